/*
 * overlay.c -- Snapchat overlays burned into images and videos by FFmpeg.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

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
	if (args_run(&a, why) < 0)
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
