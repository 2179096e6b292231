/* Unit tests of lib/tiff.c: both byte orders, values in and out of their
 * entry, and every offset that leaves the block refused. */
#include <string.h>

#include "mem.h"
#include "tap.h"

/*
 * An "Exif\0\0" block: IFD0 at 8 with two entries (a SHORT inside its
 * entry, the Exif IFD pointer), the Exif IFD at 38 with an ASCII date
 * (its 20 bytes at 68) and a LONG of count 2 (no pointer).
 */
static size_t
block(unsigned char *b, int be)
{
	unsigned char *p = b + 6;

	memset(b, 0, 128);
	memcpy(b, "Exif\0\0", 6);
	memcpy(p, be ? "MM\0\x2a" : "II\x2a\0", 4);
#define W16(at, v) do { p[(at) + !be] = (unsigned char)((v) >> 8); p[(at) + be] = (unsigned char)(v); } while (0)
#define W32(at, v) do { W16((at) + (be ? 0 : 2), (v) >> 16); W16((at) + (be ? 2 : 0), (v) & 0xffff); } while (0)
	W32(4, 8);
	W16(8, 2);
	W16(10, 0x0112); W16(12, TIFF_SHORT); W32(14, 1); W16(18, 6);
	W16(22, 0x8769); W16(24, TIFF_LONG); W32(26, 1); W32(30, 38);
	W32(34, 0);
	W16(38, 2);
	W16(40, 0x9003); W16(42, TIFF_ASCII); W32(44, 20); W32(48, 68);
	W16(52, 0x9004); W16(54, TIFF_LONG); W32(56, 2); W32(60, 38);
	W32(64, 0);
	memcpy(p + 68, "2023:01:15 10:30:45", 20);
	return 6 + 88;
}

int
main(void)
{
	unsigned char b[128];
	struct tiff t;
	const unsigned char *e, *v;
	const char *why;
	uint32_t off;
	size_t n, len;
	int be;

	for (be = 0; be <= 1; be++) {
		const char *order = be ? "big-endian" : "little-endian";

		n = block(b, be);
		ok(tiff_open(&t, b, n, &why) == 0 && t.be == be, "%s: opened", order);
		ok(tiff_ifd_count(&t, tiff_get32(&t, t.p + 4)) == 2, "%s: IFD0 has 2 entries",
		    order);
		e = tiff_entry(&t, 8, 0x0112);
		ok(e != NULL && (v = tiff_value(&t, e, &len)) == e + 8 && len == 2 &&
		    tiff_get16(&t, v) == 6, "%s: a SHORT is read inside its entry", order);
		e = tiff_entry(&t, 8, 0x8769);
		ok(e != NULL && tiff_pointer(&t, e, &off) == 1 && off == 38,
		    "%s: the Exif IFD pointer is followed", order);
		e = tiff_entry(&t, 38, 0x9003);
		ok(e != NULL && (v = tiff_value(&t, e, &len)) != NULL && len == 20 &&
		    memcmp(v, "2023:01:15 10:30:45", 20) == 0,
		    "%s: an ASCII value is read at its offset", order);
		e = tiff_entry(&t, 38, 0x9004);
		ok(e != NULL && tiff_pointer(&t, e, &off) == 0,
		    "%s: a LONG of count 2 is no pointer", order);
		ok(tiff_entry(&t, 8, 0x9003) == NULL, "%s: a tag of another IFD is not found",
		    order);
		t.len = 68 + 19;
		e = tiff_entry(&t, 38, 0x9003);
		ok(e != NULL && tiff_value(&t, e, &len) == NULL,
		    "%s: a value one byte past a cut block is refused", order);
		t.len = 38 + 2 + 12;
		ok(tiff_ifd_count(&t, 38) == -1 && tiff_entry(&t, 38, 0x9003) == NULL,
		    "%s: an IFD whose entries pass the end is refused", order);
	}
	ok(tiff_ifd_count(&t, 4) == -1 && tiff_ifd_count(&t, 0xffffffffu) == -1,
	    "an IFD inside the header or far past the end is refused");
	n = block(b, 0);
	ok(tiff_open(&t, b, 13, &why) < 0 && strstr(why, "too short") != NULL,
	    "a block shorter than a header is refused");
	b[6] = 'X';
	ok(tiff_open(&t, b, n, &why) < 0 && strstr(why, "no TIFF header") != NULL,
	    "a block without II or MM is refused");
	n = block(b, 1);
	b[6 + 12] = 0;
	b[6 + 13] = 99;	/* IFD0's first entry of an unknown type */
	ok(tiff_open(&t, b, n, &why) == 0 && (e = tiff_entry(&t, 8, 0x0112)) != NULL &&
	    tiff_value(&t, e, &len) == NULL, "a value of an unknown type is refused");
	return done();
}
