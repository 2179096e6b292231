/*
 * scan-readers.c -- libFuzzer target for mem-scan's other readers: the
 * Instagram HTML pages and mojibake repair, Snapchat locations, the
 * QuickTime moov box, the HEIF meta box, EXIF dates, dates in file names, sandboxed joins,
 * instaloader's xz sidecars, Snapchat's memories_history.html.
 *
 * FUZZ_SOURCES: tools/mem-scan/*.c
 */
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = xmemdup(data, size), *t, *j, *x;
	const char *why;
	size_t xlen;
	double lat, lon;
	int64_t utc;
	uint64_t pos, n;
	int32_t off;

	ig_html_posts((const char *)data, size, post, NULL);
	json_decref(snap_html_memories((const char *)data, size));
	t = fix_mojibake(s);
	free(t);
	if (snap_location(s, &lat, &lon) == 0 && (lat < -90 || lat > 90))
		abort();
	(void)moov_time(data, size, &utc, &off);
	(void)heif_exif(data, size, &pos, &n);
	(void)exif_time(data, size, &utc, &off);
	(void)name_time(s, &utc);
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
