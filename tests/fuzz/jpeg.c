/*
 * tests/fuzz/jpeg.c -- libFuzzer target for mem-exif's JPEG segment parser,
 * its PNG chunk walk and the EXIF block editor: the input is taken as a
 * JPEG, as a PNG and as a bare EXIF block; every edit writes all the tags
 * mem-exif writes, must leave the old block's bytes where they were, and
 * what it wrote must edit again cleanly. Built by scripts/fuzz against
 * libmem.a; the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/jpeg.c"
#include "../../tools/mem-exif/png.c"
#include "../../tools/mem-exif/tiff.c"

struct buf {
	const uint8_t	*d;
	size_t		 n;
};

static int
mem_reader(void *ctx, off_t off, void *out, size_t n)
{
	const struct buf *b = ctx;

	if (off < 0 || (size_t)off > b->n || n > b->n - (size_t)off) {
		errno = EIO;
		return -1;
	}
	memcpy(out, b->d + off, n);
	return 0;
}

/* Edit the block with every tag mem-exif writes; what comes out must be
 * a block the editor reads again, whose old bytes did not move. */
static void
merge(const uint8_t *d, size_t n, size_t max)
{
	struct exif_image img = { 640, 480, 72, 72, 2, (int)(n % 2) };
	struct meta m;
	unsigned char *out, *again;
	size_t outlen, againlen;
	const char *why;

	memset(&m, 0, sizeof(m));
	m.has_time = 1;
	m.time = 1673771445;
	m.offset_min = n % 2 ? 120 : OFFSET_UNKNOWN;
	m.has_gps = 1;
	m.lat = -33.8568;
	m.lon = 151.2153;
	m.has_alt = 1;
	m.alt = -12.5;
	m.caption = "Caf\xc3\xa9 \xf0\x9f\x8e\x89 \xff bad byte";
	m.overwrite = n % 3 == 0;
	m.no_thumbnail = n % 5 == 0;
	(void)exif_orientation(d, n);
	if (exif_edit(n % 7 == 0 ? NULL : d, n, &m, &img, max, &out, &outlen, &why) == 0) {
		if (n % 7 != 0 && (outlen < n || memcmp(out, d, 10) != 0 ||
		    memcmp(out + 14, d + 14, n - 14) != 0))
			abort();
		if (exif_edit(out, outlen, &m, &img, 0x7FFFFFF0, &again, &againlen, &why) < 0)
			abort();
		free(again);
		free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct jpeg_layout l;
	struct buf b = { d, n };
	const struct jpeg_seg *s;
	const char *why;
	struct png_layout pl;

	if (jpeg_scan(mem_reader, &b, (off_t)n, &l, &why) == 0) {
		(void)jpeg_has_eoi(mem_reader, &b, l.sos_off, (off_t)n);
		if (l.exif >= 0) {
			s = &l.seg[l.exif];
			merge(d + s->off + (off_t)(s->len - s->plen), s->plen, EXIF_MAX_APP1);
		}
	}
	(void)png_scan(mem_reader, &b, (off_t)n, &pl, &why);
	merge(d, n, EXIF_MAX_APP1);
	return 0;
}
