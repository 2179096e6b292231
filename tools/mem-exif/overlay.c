/*
 * overlay.c -- Snapchat overlays burned into images (composite.c, in this
 * process) and videos (one FFmpeg run, sized to the job's slot).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

/* Chosen by measurement (docs/design.md): SSIM >= 0.98 at the least CPU. */
#define OVERLAY_PRESET	"ultrafast"
#define OVERLAY_CRF	"20"

/*
 * A damaged overlay costs only the overlay: the memory is delivered as it
 * was taken, and the loss is said on stderr (a warning line, which the
 * pipeline's failure report keeps).
 */
static void
overlay_lost(const char *ovl, const char *reason)
{
	warnx_("%s: warning: overlay %s is damaged (%s): delivered without it",
	    cur_label, ovl, reason);
}

int
overlay_image(const struct source *s, const char *ovl, const char *dst,
    const struct meta *m, const char **why)
{
	struct atomic t;
	struct meta mm = *m;
	struct source comp;
	struct stat st;
	int orientation = 1, scale = 50, sub = 1, png, rc, basefd;
	int srcfd = s->fd;
	off_t size = s->size;
	const char *e = path_ext(dst);

	/* the decoder and the composite read a whole fd: never a span */
	if (s->base != 0) {
		*why = "an overlay's image must be a file";
		return -1;
	}
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
	rc = composite(srcfd, size, png, ovl, orientation, scale, sub, t.fp, why);
	if (rc == COMPOSITE_BAD_OVERLAY) {
		atomic_abort(&t);
		overlay_lost(ovl, *why);
		return png ? png_write(s, dst, m, why) : jpeg_write(s, dst, m, why);
	}
	if (rc < 0)
		goto out;
	rc = -1;
	if ((basefd = open(t.tmp, O_RDONLY | O_CLOEXEC)) < 0 || fstat(basefd, &st) < 0) {
		*why = why_errno("overlay composite");
		if (basefd >= 0)
			close(basefd);
		goto out;
	}
	mm.no_thumbnail = 1;
	if (png) {
		memset(&comp, 0, sizeof(comp));
		comp.fd = basefd;
		comp.size = st.st_size;
		rc = png_write(&comp, dst, &mm, why);
	} else
		rc = jpeg_write_from(srcfd, size, basefd, st.st_size, dst, &mm, why);
	close(basefd);
out:
	atomic_abort(&t);	/* the composite was only a step */
	return rc;
}

/*
 * The threads one encode may use: the job's slot, not every core (a -j2
 * run must not start two all-core encoders). The pipeline sets
 * MEM_JOB_THREADS to its cores over its jobs; alone, one thread, which is
 * also the least CPU per frame.
 */
static const char *
job_threads(char *buf, size_t size)
{
	const char *v = getenv("MEM_JOB_THREADS");
	char *end;
	long n = 1;

	if (v != NULL && *v != '\0') {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*end != '\0' || errno != 0 || n < 1 || n > 64)
			n = 1;
	}
	snprintf(buf, size, "%ld", n);
	return buf;
}

/*
 * Is the MP4/MOV that ffmpeg wrote whole? It exits 0 after "Error writing
 * trailer ...: No space left on device": then the top-level boxes do not
 * add up to the file, or moov (written last) is missing.
 */
static int
mp4_whole(int fd, off_t size)
{
	unsigned char h[16];
	off_t pos = 0;
	int moov = 0, mdat = 0;

	while (pos < size) {
		uint64_t len;

		if (size - pos < 8 || read_at(fd, pos, h, 8) < 0)
			return 0;
		len = be32(h);
		if (len == 1) {
			if (size - pos < 16 || read_at(fd, pos + 8, h + 8, 8) < 0)
				return 0;
			len = (uint64_t)be32(h + 8) << 32 | be32(h + 12);
		} else if (len == 0)
			len = (uint64_t)(size - pos);
		if (len < 8 || len > (uint64_t)(size - pos))
			return 0;
		moov |= memcmp(h + 4, "moov", 4) == 0;
		mdat |= memcmp(h + 4, "mdat", 4) == 0;
		pos += (off_t)len;
	}
	return moov && mdat;
}

/*
 * Burn the overlay into an H.264/AAC MP4 (or the container the name asks
 * for). FFmpeg turns the picture upright first (autorotate), so the
 * overlay, drawn upright, lands right, and the output needs no rotation.
 * The overlay is decoded here first: a damaged one costs only itself. The encode goes to a temp file that
 * is checked whole, then gets the metadata as any video does (video_write).
 * x264 "ultrafast" at CRF 20 keeps SSIM >= 0.98 against a lossless
 * composite at a third of the CPU of "medium" at CRF 18 (docs/design.md).
 */
int
overlay_video(const char *src, const char *ovl, const char *dst,
    const struct meta *m, const char **why)
{
	const char *fmt = muxer_of(dst), *bad;
	struct args a = { 0 };
	struct atomic t;
	struct stat st;
	struct timespec ts[2];
	char suffix[16], threads[16];
	int webm, fd, whole, rc;

	if (fmt == NULL) {
		*why = "overlays are merged into MP4, MOV, MKV and WebM videos only";
		return -1;
	}
	if (overlay_check(ovl, &bad) < 0) {
		overlay_lost(ovl, bad);
		return video_write(src, dst, m, why);
	}
	webm = strcmp(fmt, "webm") == 0;
	snprintf(suffix, sizeof(suffix), ".%s", path_ext(dst));
	if (atomic_open(&t, dst, suffix) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	job_threads(threads, sizeof(threads));
	ffmpeg_head(&a);
	arg(&a, "-threads");
	arg(&a, threads);
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", src));
	/* one overlay frame, decoded and scaled once, repeated by overlay
	 * (eof_action=repeat) to the video's end: no "-loop 1", which decodes
	 * the PNG again for every frame */
	arg(&a, "-i");
	argf(&a, xasprintf("file:%s", ovl));
	arg(&a, "-filter_complex");
	arg(&a, "[1:v]format=rgba[o];[o][0:v]scale2ref=flags=lanczos[os][b];"
	    "[b][os]overlay=0:0:eof_action=repeat:format=auto,"
	    "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p[v]");
	arg(&a, "-filter_threads");
	arg(&a, threads);
	arg(&a, "-map");
	arg(&a, "[v]");
	arg(&a, "-map");
	arg(&a, "0:a?");
	arg(&a, "-threads");
	arg(&a, threads);
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
		arg(&a, OVERLAY_PRESET);
		arg(&a, "-crf");
		arg(&a, OVERLAY_CRF);
		arg(&a, "-profile:v");
		arg(&a, "high");
		arg(&a, "-c:a");
		arg(&a, "aac");
		arg(&a, "-b:a");
		arg(&a, "192k");
	}
	arg(&a, "-map_metadata");
	arg(&a, "0");
	arg(&a, "-f");
	arg(&a, fmt);
	argf(&a, xasprintf("file:%s", t.tmp));
	/* a minute, and a minute a megabyte: far beyond a real encode */
	spawn_limit(stat(src, &st) == 0 ? spawn_budget(6 * (long long)st.st_size, 0) : 0);
	rc = args_run(&a, why);
	spawn_limit(0);
	args_free(&a);
	if (rc < 0) {
		atomic_abort(&t);
		return -1;
	}
	if ((fd = open(t.tmp, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		*why = why_errno("overlay encode");
		if (fd >= 0)
			close(fd);
		atomic_abort(&t);
		return -1;
	}
	/* other containers: ffprobe must find a duration in what was written */
	whole = strcmp(fmt, "matroska") == 0 || webm ?
	    media_whole_seconds(t.tmp) > 0 : mp4_whole(fd, st.st_size);
	close(fd);
	if (!whole) {
		*why = "the encoded video is incomplete (disk full?)";
		atomic_abort(&t);
		return -1;
	}
	/* the source's mtime, for an item without a capture time */
	if (stat(src, &st) == 0) {
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		if (utimensat(AT_FDCWD, t.tmp, ts, 0) < 0) {
			*why = why_errno("overlay encode");
			atomic_abort(&t);
			return -1;
		}
	}
	rc = video_write(t.tmp, dst, m, why);
	atomic_abort(&t);	/* the encode was only a step */
	return rc;
}
