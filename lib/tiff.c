/*
 * tiff.c -- a TIFF structure read where it lies (an EXIF block, a TIFF or
 * DNG file's head, a HEIF's Exif item): its header, its IFDs' entries and
 * their values, every offset checked against the bytes at hand. mem-exif
 * edits EXIF blocks on top of it (tools/mem-exif/tiff.c); mem-scan reads
 * a photo's date with it. libexif built every entry of every IFD, and
 * named each tag by a search of its table, to give that date: 10 us a
 * corpus photo, where this takes 0.03.
 */
#include <string.h>

#include "mem.h"

#define MAX_ENTRIES 1024	/* more is a pointer gone wrong */

int
tiff_init(struct tiff *t, const unsigned char *p, size_t len)
{
	if (len < 8 || (memcmp(p, "MM\0\x2a", 4) != 0 && memcmp(p, "II\x2a\0", 4) != 0))
		return -1;
	t->p = p;
	t->len = len;
	t->be = p[0] == 'M';
	return 0;
}

int
tiff_open(struct tiff *t, const unsigned char *blk, size_t len, const char **why)
{
	if (len < 6 + 8 || memcmp(blk, "Exif\0\0", 6) != 0) {
		*why = "corrupt EXIF (too short)";
		return -1;
	}
	if (tiff_init(t, blk + 6, len - 6) < 0) {
		*why = "corrupt EXIF (no TIFF header)";
		return -1;
	}
	return 0;
}

unsigned
tiff_get16(const struct tiff *t, const unsigned char *p)
{
	return t->be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

uint32_t
tiff_get32(const struct tiff *t, const unsigned char *p)
{
	return t->be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
	    : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

size_t
tiff_type_size(unsigned type)
{
	static const unsigned char sz[] = { 0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4 };

	return type < sizeof(sz) ? sz[type] : 0;
}

long
tiff_ifd_count(const struct tiff *t, uint32_t off)
{
	size_t n;

	if (off < 8 || off > t->len || t->len - off < 2)
		return -1;
	n = tiff_get16(t, t->p + off);
	if (n > MAX_ENTRIES || (t->len - off - 2) / 12 < n)
		return -1;
	return (long)n;
}

const unsigned char *
tiff_entry(const struct tiff *t, uint32_t ifd, unsigned tag)
{
	const unsigned char *e;
	long n = tiff_ifd_count(t, ifd), i;

	for (i = 0, e = t->p + ifd + 2; i < n; i++, e += 12)
		if (tiff_get16(t, e) == tag)
			return e;
	return NULL;
}

const unsigned char *
tiff_value(const struct tiff *t, const unsigned char *e, size_t *len)
{
	size_t size = tiff_type_size(tiff_get16(t, e + 2));
	uint64_t n = (uint64_t)tiff_get32(t, e + 4) * size;
	uint32_t off;

	*len = (size_t)n;
	if (size == 0)
		return NULL;
	if (n <= 4)
		return e + 8;
	off = tiff_get32(t, e + 8);
	if (off > t->len || n > t->len - off)
		return NULL;
	return t->p + off;
}

int
tiff_pointer(const struct tiff *t, const unsigned char *e, uint32_t *off)
{
	unsigned type = tiff_get16(t, e + 2);

	if ((type != TIFF_LONG && type != TIFF_IFD) || tiff_get32(t, e + 4) != 1)
		return 0;
	*off = tiff_get32(t, e + 8);
	return 1;
}
