/*
 * ffmpeg.c -- the argument vectors handed to ffmpeg, and running them.
 *
 * Every path handed to ffmpeg is prefixed "file:", so a name with a colon
 * is never taken for a protocol and "-" never for stdin; every output gets
 * an explicit -f, as the temp file's name is not the final one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem-exif.h"

void
arg(struct args *a, const char *s)
{
	if (a->n >= MAXARGS - 1)
		die(ST_FATAL, "internal error: too many ffmpeg arguments");
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

void
argf(struct args *a, char *s)
{
	if (a->nowned >= (int)LEN(a->owned))
		die(ST_FATAL, "internal error: too many ffmpeg arguments");
	a->owned[a->nowned++] = s;
	arg(a, s);
}

void
args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	memset(a, 0, sizeof(*a));
}

/* ffmpeg's muxer for an output name, or NULL when it is not ours. */
const char *
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

int
args_run(struct args *a, const char **why)
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

void
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
