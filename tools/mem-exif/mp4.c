/*
 * mp4.c -- MP4/MOV/3GP and the other videos FFmpeg writes: metadata by
 * stream copy, and a ©xyz location put into an MP4's moov/udta.
 *
 * FFmpeg's mp4 muxer writes the "location" key only as a 3GPP loci box,
 * which Apple's and Immich's readers ignore; only its mov muxer writes
 * ©xyz. So after a stream copy (which leaves moov last in the file) the
 * box is added here: moov grows at the end of the file, and no sample
 * offset in front of it moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

#define MAXMOOV (256u << 20)

/* A box header at p (n bytes left): its size and header length, or -1. */
static int
box(const unsigned char *p, uint64_t n, uint64_t *size, unsigned *hlen)
{
	if (n < 8)
		return -1;
	*size = be32(p);
	*hlen = 8;
	if (*size == 1) {
		if (n < 16)
			return -1;
		*size = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
		*hlen = 16;
	} else if (*size == 0)
		*size = n;
	return *size < *hlen || *size > n ? -1 : 0;
}

/* The ©xyz user data box: a counted string and a language (und). */
static unsigned char *
xyz_box(const char *loc, size_t *len)
{
	size_t n = strlen(loc);
	unsigned char *b = xmalloc(12 + n);

	put_be32(b, (uint32_t)(12 + n));
	memcpy(b + 4, "\xA9xyz", 4);
	b[8] = (unsigned char)(n >> 8);
	b[9] = (unsigned char)n;
	b[10] = 0x15;		/* packed ISO 639-2 "eng", as Apple writes */
	b[11] = 0xC7;
	memcpy(b + 12, loc, n);
	*len = 12 + n;
	return b;
}

/* moov with ©xyz added to (or replaced in) its udta, and the coarser
 * loci copy of the same place dropped; malloc'd. */
static unsigned char *
rebuild(const unsigned char *moov, size_t mlen, const char *loc, size_t *outlen)
{
	unsigned char *out, *xyz;
	size_t xlen, o = 8, i = 8, udta_at = 0, j;
	uint64_t sz, csz;
	unsigned hl, chl;

	xyz = xyz_box(loc, &xlen);
	out = xmalloc(mlen + xlen + 8);
	memcpy(out, moov, 8);
	while (i < mlen) {
		if (box(moov + i, mlen - i, &sz, &hl) < 0)
			goto bad;
		if (memcmp(moov + i + 4, "udta", 4) != 0 || hl != 8) {
			memcpy(out + o, moov + i, (size_t)sz);
			o += (size_t)sz;
			i += (size_t)sz;
			continue;
		}
		/* udta: copy its children but an old ©xyz, then ours */
		udta_at = o;
		memcpy(out + o, moov + i, 8);
		o += 8;
		for (j = i + 8; j < i + sz; j += (size_t)csz) {
			if (box(moov + j, i + sz - j, &csz, &chl) < 0)
				goto bad;
			/* ffmpeg's loci holds the place at 16.16 fixed point */
			if (memcmp(moov + j + 4, "\xA9xyz", 4) == 0 ||
			    memcmp(moov + j + 4, "loci", 4) == 0)
				continue;
			memcpy(out + o, moov + j, (size_t)csz);
			o += (size_t)csz;
		}
		memcpy(out + o, xyz, xlen);
		o += xlen;
		put_be32(out + udta_at, (uint32_t)(o - udta_at));
		i += (size_t)sz;
	}
	if (udta_at == 0) {
		put_be32(out + o, (uint32_t)(8 + xlen));
		memcpy(out + o + 4, "udta", 4);
		memcpy(out + o + 8, xyz, xlen);
		o += 8 + xlen;
	}
	put_be32(out, (uint32_t)o);
	free(xyz);
	*outlen = o;
	return out;
bad:
	free(xyz);
	free(out);
	return NULL;
}

int
mp4_put_xyz(const char *path, const char *loc, const char **why)
{
	unsigned char h[16], *moov = NULL, *nm = NULL;
	off_t off = 0, moov_off = -1;
	uint64_t sz, msz = 0;
	size_t nlen;
	struct stat st;
	unsigned hl, mhl = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		*why = why_errno("ffmpeg's output");
		goto out;
	}
	while (off < st.st_size) {
		size_t n = st.st_size - off >= 16 ? 16 : (size_t)(st.st_size - off);

		if (read_at(fd, off, h, n) < 0 || box(h, (uint64_t)(st.st_size - off), &sz,
		    &hl) < 0) {
			*why = "ffmpeg wrote a broken MP4";
			goto out;
		}
		if (memcmp(h + 4, "moov", 4) == 0) {
			moov_off = off;
			msz = sz;
			mhl = hl;
		}
		off += (off_t)sz;
	}
	if (moov_off < 0 || moov_off + (off_t)msz != st.st_size || mhl != 8 ||
	    msz > MAXMOOV) {
		*why = "cannot add ©xyz: the MP4's moov box is not last";
		goto out;
	}
	moov = xmalloc((size_t)msz);
	if (read_at(fd, moov_off, moov, (size_t)msz) < 0) {
		*why = why_errno("ffmpeg's output");
		goto out;
	}
	if ((nm = rebuild(moov, (size_t)msz, loc, &nlen)) == NULL) {
		*why = "ffmpeg wrote a broken moov box";
		goto out;
	}
	if (pwrite(fd, nm, nlen, moov_off) != (ssize_t)nlen ||
	    ftruncate(fd, moov_off + (off_t)nlen) < 0) {
		*why = why_errno("output");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		*why = why_errno("output");
		rc = -1;
	}
	free(moov);
	free(nm);
	return rc;
}

/* ISO 6709, as Apple writes it and the mov muxer puts into ©xyz. */
static char *
iso6709(const struct meta *m)
{
	if (m->has_alt)
		return xasprintf("%+010.6f%+011.6f%+.3f/", m->lat, m->lon, m->alt);
	return xasprintf("%+010.6f%+011.6f/", m->lat, m->lon);
}

/* The value of "TAG:key=" in ffprobe's output, or NULL; malloc'd. */
static char *
tag_value(const char *out, const char *key)
{
	char *pat = xasprintf("TAG:%s=", key), *v = NULL;
	const char *p = strstr(out, pat);

	if (p != NULL && (p == out || p[-1] == '\n')) {
		p += strlen(pat);
		v = xmemdup(p, strcspn(p, "\n"));
	}
	free(pat);
	return v;
}

/* What the source already says: its creation time and location. */
static void
probe_tags(const char *src, char **when, char **loc)
{
	struct args a = { 0 };
	struct proc_out o;
	int st;

	*when = *loc = NULL;
	arg(&a, "ffprobe");
	arg(&a, "-v");
	arg(&a, "error");
	arg(&a, "-show_entries");
	arg(&a, "format_tags=creation_time,location,com.apple.quicktime.location.ISO6709");
	arg(&a, "-of");
	arg(&a, "default=noprint_wrappers=1");
	argf(&a, xasprintf("file:%s", src));
	st = spawn_run(a.v, 1, &o);
	if (st == 0 && o.out != NULL) {
		*when = tag_value(o.out, "creation_time");
		/* muxers write these for "no date" */
		if (*when != NULL && (strncmp(*when, "1970-01-01", 10) == 0 ||
		    strncmp(*when, "1904-01-01", 10) == 0)) {
			free(*when);
			*when = NULL;
		}
		*loc = tag_value(o.out, "location");
		if (*loc == NULL)
			*loc = tag_value(o.out, "com.apple.quicktime.location.ISO6709");
	}
	proc_out_free(&o);
	args_free(&a);
}

/*
 * -metadata for the date, place and caption, keeping the camera's own
 * date and place unless overwrite (the JPEG rule). *loc is the location
 * the output will carry (ours or the camera's), for ©xyz.
 */
static void
meta_args(struct args *a, const char *src, const struct meta *m, char **loc)
{
	char buf[40], *when = NULL, *have = NULL;

	probe_tags(src, &when, &have);
	if (m->has_time && (when == NULL || m->overwrite)) {
		time_format(m->time, OFFSET_UNKNOWN, buf, sizeof(buf));
		arg(a, "-metadata");
		argf(a, xasprintf("creation_time=%s", buf));
	}
	*loc = have;
	if (m->has_gps && (have == NULL || m->overwrite)) {
		free(have);
		*loc = iso6709(m);
	}
	/* the camera's place too: an iPhone keeps it in an mdta key that
	 * FFmpeg drops, so it is handed back as the key muxers write */
	if (*loc != NULL) {
		arg(a, "-metadata");
		argf(a, xasprintf("location=%s", *loc));
	}
	if (m->caption != NULL) {
		arg(a, "-metadata");
		argf(a, xasprintf("comment=%s", m->caption));
		arg(a, "-metadata");
		argf(a, xasprintf("description=%s", m->caption));
	}
	free(when);
}

/* Run a, which writes the temp file t, then give t its mtime and name. */
static int
finish(struct args *a, struct atomic *t, const struct meta *m, int srcfd,
    const char *fmt, const char *loc, const char **why)
{
	struct stat st;

	if (args_run(a, why) < 0) {
		atomic_abort(t);
		return -1;
	}
	if (stat(t->tmp, &st) < 0 || st.st_size == 0) {
		*why = "ffmpeg wrote nothing";
		atomic_abort(t);
		return -1;
	}
	if (loc != NULL && (strcmp(fmt, "mp4") == 0 || strcmp(fmt, "3gp") == 0) &&
	    mp4_put_xyz(t->tmp, loc, why) < 0) {
		atomic_abort(t);
		return -1;
	}
	if (set_mtime_path(t->tmp, m, srcfd) < 0 || atomic_commit(t) < 0) {
		*why = why_errno(t->dst ? t->dst : "output");
		atomic_abort(t);
		return -1;
	}
	return 0;
}

/*
 * The tail both writers share: the source's metadata and ours, the muxer,
 * the temp file as the output; then run and finish. Frees a.
 */
int
run_into(struct args *a, struct atomic *t, const char *src, const struct meta *m,
    const char *fmt, const char **why)
{
	char *loc = NULL;
	int rc, srcfd;

	arg(a, "-map_metadata");
	arg(a, "0");
	meta_args(a, src, m, &loc);
	arg(a, "-f");
	arg(a, fmt);
	argf(a, xasprintf("file:%s", t->tmp));
	srcfd = open(src, O_RDONLY | O_CLOEXEC);
	rc = finish(a, t, m, srcfd, fmt, loc, why);
	free(loc);
	if (srcfd >= 0)
		close(srcfd);
	args_free(a);
	return rc;
}

int
video_write(const char *src, const char *dst, const struct meta *m, const char **why)
{
	const char *fmt = muxer_of(dst);
	struct args a = { 0 };
	struct atomic t;
	char suffix[16];

	snprintf(suffix, sizeof(suffix), ".%s", path_ext(dst));
	if (fmt == NULL) {
		*why = "no muxer for this extension";
		return -1;
	}
	if (atomic_open(&t, dst, suffix) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	ffmpeg_head(&a);
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", src));
	arg(&a, "-map");
	arg(&a, "0");
	arg(&a, "-c");
	arg(&a, "copy");
	return run_into(&a, &t, src, m, fmt, why);
}
