/*
 * tests/fuzz/mp4.c -- libFuzzer target for mem-exif's MP4/QuickTime box
 * editor: the input, as a file, gets every tag mem-exif writes (with and
 * without --overwrite); what comes out must edit again cleanly, and keep
 * the input's length give or take the size of moov. Built by scripts/fuzz
 * against libmem.a; the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/mp4.c"

#include "writer.h"

/* mp4_write reads a whole fd: the source is never a span (pad 0). */
static int
mp4_write_source(const struct source *s, const char *dst, const struct meta *m,
    const char **why)
{
	return mp4_write(s->fd, s->size, dst, m, why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct meta m;

	memset(&m, 0, sizeof(m));
	m.has_time = 1;
	m.time = 1673771445;
	m.offset_min = n % 2 ? 120 : OFFSET_UNKNOWN;
	m.has_gps = 1;
	m.lat = -33.8568;
	m.lon = 151.2153;
	m.has_alt = n % 3 == 0;
	m.alt = -12.5;
	m.caption = "Caf\xc3\xa9 \xf0\x9f\x8e\x89";
	m.overwrite = n % 5 == 0;
	write_again(mp4_write_source, "mp4", d, n, &m, 1, 0);
	return 0;
}
