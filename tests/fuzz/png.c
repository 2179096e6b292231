/*
 * tests/fuzz/png.c -- libFuzzer target for mem-exif's PNG writer: the input,
 * as a file, gets an EXIF block with every tag mem-exif writes; the output
 * must hold exactly one eXIf chunk and be written again cleanly. Built by
 * scripts/fuzz against libmem.a; the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/tiff.c"
#include "../../tools/mem-exif/png.c"

#include "writer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct meta m;

	memset(&m, 0, sizeof(m));
	m.has_time = 1;
	m.time = 1673771445;
	m.offset_min = n % 2 ? 120 : OFFSET_UNKNOWN;
	m.has_gps = 1;
	m.lat = 48.8584;
	m.lon = 2.2945;
	m.caption = "Caf\xc3\xa9";
	m.overwrite = n % 3 == 0;
	write_again(png_write, "png", d, n, &m, 0, n % 5 * 13);
	return 0;
}
