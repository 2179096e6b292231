/*
 * remux.c -- the videos FFmpeg writes: Matroska and WebM get their
 * metadata by a stream copy (remux), and an overlay's re-encoded video its
 * metadata the same way; a ©xyz is then added to an MP4's moov (mp4.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

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
	if (m->tag_time && (when == NULL || m->overwrite)) {
		time_format(m->time, OFFSET_UNKNOWN, buf, sizeof(buf));
		arg(a, "-metadata");
		argf(a, xasprintf("creation_time=%s", buf));
	}
	*loc = have;
	if (m->has_gps && (have == NULL || m->overwrite)) {
		free(have);
		*loc = meta_iso6709(m);
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
