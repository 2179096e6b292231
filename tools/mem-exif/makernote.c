/*
 * makernote.c -- keep a camera's MakerNote readable after libexif has
 * moved it.
 *
 * libexif re-encodes the maker notes it knows and, in 0.6.24, writes an
 * iPhone's (Apple) as nothing at all; so mem-exif tells it to keep every
 * MakerNote's bytes as they are. Those bytes are an IFD whose offsets count
 * from the maker note (Apple, Nikon, Fuji: nothing to do) or from the TIFF
 * header (Canon, Sony, Panasonic...: wrong once the note has moved). The
 * second kind is recognised as exiftool does, by where its offsets point,
 * and shifted by the distance the note moved.
 */
#include <stdint.h>
#include <string.h>

#include "mem-exif.h"

struct tiff {
	unsigned char	*p;	/* the TIFF header */
	uint32_t	 len;
	int		 be;	/* "MM" */
};

static uint32_t
get16(const struct tiff *t, uint32_t off)
{
	const unsigned char *b = t->p + off;

	return t->be ? (uint32_t)b[0] << 8 | b[1] : (uint32_t)b[1] << 8 | b[0];
}

static uint32_t
get32(const struct tiff *t, uint32_t off)
{
	const unsigned char *b = t->p + off;

	return t->be ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
	    : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static void
set32(struct tiff *t, uint32_t off, uint32_t v)
{
	unsigned char *b = t->p + off;
	int i;

	for (i = 0; i < 4; i++)
		b[t->be ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

static int
tiff_open(struct tiff *t, unsigned char *blk, size_t len)
{
	if (len < 6 + 8 || memcmp(blk, "Exif\0\0", 6) != 0 || len - 6 > UINT32_MAX)
		return -1;
	t->p = blk + 6;
	t->len = (uint32_t)(len - 6);
	if (memcmp(t->p, "MM\0\x2a", 4) == 0)
		t->be = 1;
	else if (memcmp(t->p, "II\x2a\0", 4) == 0)
		t->be = 0;
	else
		return -1;
	return 0;
}

/* The entry for tag in the IFD at off, as an offset of its 12 bytes. */
static int
ifd_entry(const struct tiff *t, uint32_t off, unsigned tag, uint32_t *at)
{
	uint32_t n, i;

	if (off > t->len - 2)
		return -1;
	n = get16(t, off);
	if (n > (t->len - off - 2) / 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (get16(t, off + 2 + 12 * i) == tag) {
			*at = off + 2 + 12 * i;
			return 0;
		}
	}
	return -1;
}

int
mnote_find(const unsigned char *blk, size_t len, uint32_t *off, uint32_t *n)
{
	struct tiff t;
	uint32_t e;

	/* read only: the cast is for the shared struct */
	if (tiff_open(&t, (unsigned char *)blk, len) < 0 ||
	    ifd_entry(&t, get32(&t, 4), 0x8769, &e) < 0 ||
	    ifd_entry(&t, get32(&t, e + 8), 0x927C, &e) < 0)
		return -1;
	*n = get32(&t, e + 4);
	*off = get32(&t, e + 8);
	if (*n <= 4 || *off > t.len || *n > t.len - *off)
		return -1;
	return 0;
}

static uint32_t
type_size(uint32_t type)
{
	static const unsigned char sz[] = { 0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8 };

	return type >= 1 && type <= 12 ? sz[type] : 0;
}

/* An IFD at start of the note that looks real: a sane count, known types. */
static int
plausible(const struct tiff *t, uint32_t mn, uint32_t n, uint32_t start, uint32_t *cnt)
{
	uint32_t i;

	if (start + 2 > n)
		return 0;
	*cnt = get16(t, mn + start);
	if (*cnt == 0 || *cnt > 512 || *cnt > (n - start - 2) / 12)
		return 0;
	for (i = 0; i < *cnt; i++)
		if (type_size(get16(t, mn + start + 2 + 12 * i + 2)) == 0)
			return 0;
	return 1;
}

void
mnote_shift(unsigned char *blk, size_t len, uint32_t oldoff, uint32_t newoff, uint32_t n)
{
	/* where makers put the IFD: right there, or after an ID string */
	static const uint32_t starts[] = { 0, 8, 10, 12, 14, 18, 6, 26 };
	struct tiff t;
	uint32_t start = 0, cnt = 0, i, e, v, size, count, ifd_end;
	int abs_only = 0, found = 0;
	size_t k;

	if (oldoff == newoff || tiff_open(&t, blk, len) < 0)
		return;
	for (k = 0; k < LEN(starts) && !found; k++)
		if (plausible(&t, newoff, n, starts[k], &cnt)) {
			start = starts[k];
			found = 1;
		}
	if (!found)
		return;
	ifd_end = start + 2 + 12 * cnt;
	for (i = 0; i < cnt; i++) {
		e = newoff + start + 2 + 12 * i;
		count = get32(&t, e + 4);
		size = type_size(get16(&t, e + 2));
		if (count > UINT32_MAX / size || count * size <= 4)
			continue;
		size *= count;
		v = get32(&t, e + 8);
		/* counted from the TIFF header, the data lies inside the note */
		if (v < oldoff || v - oldoff < ifd_end || v - oldoff > n || size > n - (v - oldoff))
			return;
		/* and counted from the note, it would not: that settles it */
		if (v < ifd_end || v > n || size > n - v)
			abs_only = 1;
	}
	if (!abs_only)
		return;	/* relative offsets (or none): the bytes are right as they are */
	for (i = 0; i < cnt; i++) {
		e = newoff + start + 2 + 12 * i;
		count = get32(&t, e + 4);
		size = type_size(get16(&t, e + 2));
		if (count > UINT32_MAX / size || count * size <= 4)
			continue;
		set32(&t, e + 8, get32(&t, e + 8) - oldoff + newoff);
	}
}
