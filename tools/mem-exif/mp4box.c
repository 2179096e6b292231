/*
 * mp4box.c -- put a ©xyz location into an MP4's moov/udta.
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
