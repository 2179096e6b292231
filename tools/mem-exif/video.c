/*
 * video.c -- everything FFmpeg writes: video metadata by stream copy, and
 * Snapchat overlays burned into images and videos.
 *
 * Every path handed to ffmpeg is prefixed "file:", so a name with a colon
 * is never taken for a protocol and "-" never for stdin; every output gets
 * an explicit -f, as the temp file's name is not the final one.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

#define MAXARGS 64

struct args {
	char	*v[MAXARGS];
	int	 n;
	char	*owned[16];	/* strings to free afterwards */
	int	 nowned;
};

static void
arg(struct args *a, const char *s)
{
	if (a->n >= MAXARGS - 1)
		die(ST_FATAL, "internal error: too many ffmpeg arguments");
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static void
argf(struct args *a, char *s)
{
	if (a->nowned >= (int)LEN(a->owned))
		die(ST_FATAL, "internal error: too many ffmpeg arguments");
	a->owned[a->nowned++] = s;
	arg(a, s);
}

static void
args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	memset(a, 0, sizeof(*a));
}

/* ffmpeg's muxer for an output name, or NULL when it is not ours. */
static const char *
muxer_of(const char *path)
{
	static const char *map[][2] = {
		{ "mp4", "mp4" }, { "m4v", "mp4" }, { "mov", "mov" }, { "3gp", "3gp" },
		{ "mkv", "matroska" }, { "webm", "webm" },
	};
	const char *e = path_ext(path);
	size_t i;

	for (i = 0; i < LEN(map); i++)
		if (strcasecmp(e, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

int
is_video_ffmpeg_writes(const char *path)
{
	return muxer_of(path) != NULL;
}

static int
run(struct args *a, const char **why)
{
	struct proc_out o;
	char line[300];
	int st;

	st = spawn_run(a->v, 0, &o);
	if (st == 0) {
		proc_out_free(&o);
		return 0;
	}
	if (st < 0 || st == 127)
		snprintf(whybuf, sizeof(whybuf), "cannot run %s: %s", a->v[0],
		    st < 0 ? strerror(errno) : "not found");
	else
		snprintf(whybuf, sizeof(whybuf), "%s failed (%s%d): %s", a->v[0],
		    st > 128 ? "signal " : "status ", st > 128 ? st - 128 : st,
		    last_line(o.err, line, sizeof(line)));
	proc_out_free(&o);
	*why = whybuf;
	return -1;
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

	if (run(a, why) < 0) {
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
static int
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

static void
ffmpeg_head(struct args *a)
{
	arg(a, "ffmpeg");
	arg(a, "-nostdin");
	arg(a, "-hide_banner");
	arg(a, "-nostats");
	arg(a, "-loglevel");
	arg(a, "error");
	arg(a, "-y");
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

/*
 * The filter that turns the overlay (drawn upright, as the picture is
 * shown) into the stored pixels' frame, for an EXIF orientation: the
 * inverse of what a viewer applies. The picture is read as stored
 * (-noautorotate) and keeps its Orientation tag, as a camera wrote it.
 */
static const char *
unorient(int orientation)
{
	switch (orientation) {
	case 2: return "hflip,";
	case 3: return "hflip,vflip,";
	case 4: return "vflip,";
	case 5: return "transpose=0,";
	case 6: return "transpose=2,";
	case 7: return "transpose=3,";
	case 8: return "transpose=1,";
	default: return "";
	}
}

int
overlay_image(const char *src, int srcfd, off_t size, const char *ovl,
    const char *dst, const struct meta *m, const char **why)
{
	struct args a = { 0 };
	struct atomic t;
	struct meta mm = *m;
	struct stat st;
	int orientation = 1, scale = 50, sub = 1, png, rc = -1, q;
	const char *e = path_ext(dst);

	png = strcasecmp(e, "png") == 0;
	if (!png && strcasecmp(e, "jpg") != 0 && strcasecmp(e, "jpeg") != 0) {
		*why = "overlays are merged into JPEG and PNG images only";
		return -1;
	}
	if (!png && jpeg_info(srcfd, size, &orientation, &scale, &sub, why) < 0)
		return -1;
	if (atomic_open(&t, dst, png ? ".png" : ".jpg") < 0) {
		*why = why_errno(dst);
		return -1;
	}
	ffmpeg_head(&a);
	arg(&a, "-noautorotate");	/* the pixels as stored; EXIF turns them */
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", src));
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", ovl));
	arg(&a, "-filter_complex");
	argf(&a, xasprintf("[1:v]%sformat=rgba[o];[o][0:v]scale2ref=flags=lanczos[os][b];"
	    "[b][os]overlay=0:0:format=auto,format=%s", unorient(orientation),
	    png ? "rgb24" : sub ? "yuvj420p" : "yuvj444p"));
	arg(&a, "-frames:v");
	arg(&a, "1");
	if (!png) {
		/* FFmpeg's JPEG tables are the standard ones times q/8 */
		q = (scale * 8 + 50) / 100;
		q = q < 1 ? 1 : q > 31 ? 31 : q;
		arg(&a, "-qmin");
		arg(&a, "1");
		arg(&a, "-q:v");
		argf(&a, xasprintf("%d", q));
	}
	arg(&a, "-c:v");
	arg(&a, png ? "png" : "mjpeg");
	arg(&a, "-f");
	arg(&a, "image2");
	argf(&a, xasprintf("file:%s", t.tmp));
	if (run(&a, why) < 0)
		goto out;
	{
		int basefd = open(t.tmp, O_RDONLY | O_CLOEXEC);

		if (basefd < 0 || fstat(basefd, &st) < 0) {
			*why = why_errno("overlay composite");
			if (basefd >= 0)
				close(basefd);
			goto out;
		}
		mm.no_thumbnail = 1;
		if (png)
			rc = png_write(basefd, st.st_size, dst, &mm, why);
		else
			rc = jpeg_write_from(srcfd, size, basefd, st.st_size, dst, &mm, why);
		close(basefd);
	}
out:
	atomic_abort(&t);	/* the composite was only a step */
	args_free(&a);
	return rc;
}

/*
 * Burn the overlay into an H.264/AAC MP4 (or the container the name asks
 * for). FFmpeg turns the picture upright first (autorotate), so the
 * overlay, drawn upright, lands right, and the output needs no rotation.
 */
int
overlay_video(const char *src, const char *ovl, const char *dst,
    const struct meta *m, const char **why)
{
	const char *fmt = muxer_of(dst);
	struct args a = { 0 };
	struct atomic t;
	char suffix[16];
	int webm;

	if (fmt == NULL) {
		*why = "overlays are merged into MP4, MOV, MKV and WebM videos only";
		return -1;
	}
	webm = strcmp(fmt, "webm") == 0;
	snprintf(suffix, sizeof(suffix), ".%s", path_ext(dst));
	if (atomic_open(&t, dst, suffix) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	ffmpeg_head(&a);
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", src));
	arg(&a, "-loop");
	arg(&a, "1");
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", ovl));
	arg(&a, "-filter_complex");
	arg(&a, "[1:v]format=rgba[o];[o][0:v]scale2ref=flags=lanczos[os][b];"
	    "[b][os]overlay=0:0:shortest=1:format=auto,"
	    "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p[v]");
	arg(&a, "-map");
	arg(&a, "[v]");
	arg(&a, "-map");
	arg(&a, "0:a?");
	if (webm) {
		arg(&a, "-c:v");
		arg(&a, "libvpx-vp9");
		arg(&a, "-crf");
		arg(&a, "30");
		arg(&a, "-b:v");
		arg(&a, "0");
		arg(&a, "-c:a");
		arg(&a, "libopus");
	} else {
		arg(&a, "-c:v");
		arg(&a, "libx264");
		arg(&a, "-preset");
		arg(&a, "medium");
		arg(&a, "-crf");
		arg(&a, "18");
		arg(&a, "-profile:v");
		arg(&a, "high");
		arg(&a, "-c:a");
		arg(&a, "aac");
		arg(&a, "-b:a");
		arg(&a, "192k");
	}
	return run_into(&a, &t, src, m, fmt, why);
}
