/*
 * media.c (review: shared by mem-exif and mem-loudnorm) -- is a media file
 * that ffmpeg wrote whole, and how long is it? ffmpeg exits 0 after "Error
 * writing trailer ...: No space left on device" for some muxers, leaving a
 * file whose index or header was never finished. ffprobe reads the
 * duration from what was written; a file it cannot read, or in which it
 * finds no duration, is not whole.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/*
 * ffprobe prints the duration as "12.345000" (the C locale's point: no
 * setlocale), or "N/A" when the container does not say; anything but a
 * number and its line end is no duration.
 */
static double
seconds_of(const char *text)
{
	char *end;
	double d;

	if (text == NULL || *text == '\0')
		return -1;
	d = strtod(text, &end);
	if (end == text || end[strspn(end, "\r\n")] != '\0' || d < 0 || !isfinite(d))
		return -1;
	return d;
}

double
media_whole_seconds(const char *path)
{
	char *in = xasprintf("file:%s", path);	/* "a:b" is no protocol */
	char *argv[] = { "ffprobe", "-v", "error", "-show_entries", "format=duration",
	    "-of", "csv=p=0", in, NULL };
	struct proc_out o;
	int rc = spawn_run(argv, 1, &o);
	double d;

	free(in);
	d = rc == 0 ? seconds_of(o.out) : -1;
	proc_out_free(&o);
	return d;
}
