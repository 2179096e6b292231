/*
 * tests/fuzz/jpeg.c -- libFuzzer target for mem-exif's JPEG segment parser,
 * its PNG chunk walk and the EXIF merge (maker note offset fix included):
 * the input is taken as a JPEG, as a PNG and as a bare EXIF block, every
 * merge writes all the tags mem-exif writes, and what it wrote must merge
 * again cleanly. Built by scripts/fuzz against libmem.a (plus libexif);
 * the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/jpeg.c"
#include "../../tools/mem-exif/png.c"
#include "../../tools/mem-exif/exif.c"
#include "../../tools/mem-exif/makernote.c"

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

static void
merge(const uint8_t *d, size_t n, size_t max)
{
	struct meta m;
	unsigned char *out, *again;
	size_t outlen, againlen;
	const char *why;
	int dropped, orientation;

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
	if (exif_merge(d, n, &m, max, &out, &outlen, &dropped, &orientation, &why) == 0) {
		/* what we write must read back without a complaint */
		if (exif_merge(out, outlen, &m, 0x7FFFFFF0, &again, &againlen, &dropped,
		    &orientation, &why) < 0)
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
	off_t eo, ins;
	size_t el;

	if (jpeg_scan(mem_reader, &b, (off_t)n, &l, &why) == 0) {
		(void)jpeg_has_eoi(mem_reader, &b, l.sos_off, (off_t)n);
		if (l.exif >= 0) {
			s = &l.seg[l.exif];
			merge(d + s->off + (off_t)(s->len - s->plen), s->plen, EXIF_MAX_APP1);
		}
	}
	if (png_scan(mem_reader, &b, (off_t)n, &eo, &el, &ins, &why) == 0 && eo >= 0 &&
	    el >= 12)
		(void)el;
	merge(d, n, EXIF_MAX_APP1);
	return 0;
}
