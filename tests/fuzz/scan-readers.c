/*
 * scan-readers.c -- libFuzzer target for mem-scan's other readers: the
 * Instagram HTML pages and mojibake repair, Snapchat locations, the
 * QuickTime moov box, the HEIF meta box, EXIF dates, the RIFF (AVI, WebP),
 * PNG, Matroska and AVCHD (MPEG transport stream) date readers, XMP
 * dates, dates in file names, sandboxed joins, instaloader's xz sidecars,
 * Snapchat's memories_history.html.
 *
 * FUZZ_SOURCES: tools/mem-scan/*.c
 */
#define _GNU_SOURCE	/* memfd_create */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"
#include "../../tools/mem-scan/mem-scan.h"

static void
post(const struct ig_post *p, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < p->nmedia; i++)
		if (strlen(p->media[i]) == 0)
			abort();
}

/* What a reader found, as it may be: a place on the globe, offsets of
 * at most 14 h, a soft offset only with an offset. */
static void
check_where(const char *source, int32_t off, const struct where *w)
{
	if (w->known && !(w->lat >= -90 && w->lat <= 90 && w->lon >= -180 && w->lon <= 180))
		abort();
	if (w->has_tz && (w->tz < -14 * 60 || w->tz > 14 * 60))
		abort();
	if (source != NULL && off != OFFSET_UNKNOWN && (off < -14 * 60 || off > 14 * 60))
		abort();
	if (source != NULL && w->soft && off == OFFSET_UNKNOWN)
		abort();
}

/* The readers that walk a file with preads, over the input as a file:
 * each format's by a name of its own, without and with a struct where
 * (places, zones, reading further for a maker note), and the instants'. */
static void
containers(const unsigned char *data, size_t size)
{
	static const char *names[] = { "a.jpg", "a.heic", "a.tif", "a.orf", "a.cr3", "a.crw",
	    "a.raf", "a.nef", "a.png", "a.webp", "a.gif", "a.avi", "a.mts" };
	struct where w;
	const char *source;
	int (*instants[])(struct fh *, off_t, int64_t *, int32_t *, struct where *) = {
		mkv_time, asf_time
	};
	int64_t utc;
	int32_t off;
	size_t i;
	int fd = memfd_create("fuzz", 0);
	struct fh *h;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	for (i = 0; i < LEN(names); i++) {
		h = fh_fd(dup(fd));
		(void)wall_time(h, names[i], (off_t)size, &utc, &off);
		fh_close(h);
		memset(&w, 0, sizeof(w));
		h = fh_fd(dup(fd));
		source = file_date(h, names[i], (off_t)size, &utc, &off, &w);
		fh_close(h);
		check_where(source, off, &w);
	}
	for (i = 0; i < LEN(instants); i++) {
		h = fh_fd(dup(fd));
		(void)instants[i](h, (off_t)size, &utc, &off, NULL);
		fh_close(h);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = xmemdup(data, size), *t, *j, *x;
	const char *why;
	size_t xlen;
	struct where w;
	double lat, lon;
	int64_t utc;
	uint64_t pos, n;
	size_t lt, end;
	int32_t off;

	memset(&w, 0, sizeof(w));
	ig_html_posts((const char *)data, size, post, NULL);
	json_decref(snap_html_memories((const char *)data, size));
	t = fix_mojibake(s);
	free(t);
	if (snap_location(s, &lat, &lon) == 0 && (lat < -90 || lat > 90))
		abort();
	(void)moov_time(data, size, &utc, &off);
	memset(&w, 0, sizeof(w));
	moov_where(data, size, &w);
	if (w.known && !(w.lat >= -90 && w.lat <= 90 && w.lon >= -180 && w.lon <= 180))
		abort();
	(void)heif_exif(data, size, &pos, &n);
	(void)irb_time(data, size, &utc, &off);
	if (exif_time(data, size, &utc, &off, &w) == 0 && w.known &&
	    !(w.lat >= -90 && w.lat <= 90 && w.lon >= -180 && w.lon <= 180))
		abort();
	if (mts_parse(data, size, &utc, &off) == 0 && off != OFFSET_UNKNOWN &&
	    (off < -14 * 60 || off > 14 * 60))
		abort();
	(void)name_time(s, &utc);
	(void)riff_date(s, &utc);
	(void)xmp_time((const char *)data, size, &utc, &off, &w);
	if (xmp_start_tag((const char *)data, size, "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
	    "RDF", &lt, &end) == 0 && !(lt < end && end <= size && data[lt] == '<' &&
	    data[end - 1] == '>'))
		abort();
	(void)mkv_date(data, size, &utc);
	containers(data, size);
	if ((j = safe_join("dir", s)) != NULL) {
		if (strstr(j, "/../") != NULL || j[strlen(j) - 1] == '/')
			abort();
		free(j);
	}
	if ((x = xz_decode(data, size, 1 << 20, &xlen, &why)) != NULL) {
		if (xlen > 1 << 20 || x[xlen] != '\0')
			abort();
		free(x);
	} else if (why == NULL) {
		abort();
	}
	free(s);
	return 0;
}
