/*
 * tiff.c -- edit an EXIF block (a TIFF structure) without moving a byte.
 *
 * Maker notes, thumbnails, previews and vendor structures hold offsets
 * from the TIFF header, often to data outside their declared size, and
 * some of them (Canon's, Kodak's) check where they are. So nothing of the
 * old block moves: the IFDs that change (IFD0, and the Exif and GPS IFDs
 * when we set something there) are written again after its end, their
 * kept entries copied as their 12 bytes (so they still point at the old
 * values), and the header's IFD0 offset is repointed. What is left behind
 * of the old IFDs is dead bytes no reader follows. Only a file without
 * EXIF gets a block built from nothing, with the tags EXIF 2.32 requires.
 * The old block is read through lib/tiff.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem-exif.h"

enum {
	TAG_DESCRIPTION = 0x010E, TAG_ORIENTATION = 0x0112, TAG_XRES = 0x011A,
	TAG_YRES = 0x011B, TAG_RESUNIT = 0x0128, TAG_DATETIME = 0x0132,
	TAG_YCBCRPOS = 0x0213, TAG_EXIF_IFD = 0x8769, TAG_GPS_IFD = 0x8825,
	TAG_EXIF_VERSION = 0x9000, TAG_DATE_ORIGINAL = 0x9003,
	TAG_DATE_DIGITIZED = 0x9004, TAG_OFFSET = 0x9010,
	TAG_OFFSET_ORIGINAL = 0x9011, TAG_OFFSET_DIGITIZED = 0x9012,
	TAG_COMPONENTS = 0x9101, TAG_USER_COMMENT = 0x9286,
	TAG_FLASHPIX = 0xA000, TAG_COLORSPACE = 0xA001, TAG_PIXEL_X = 0xA002,
	TAG_PIXEL_Y = 0xA003,
	GPS_VERSION = 0, GPS_LAT_REF = 1, GPS_LAT = 2, GPS_LON_REF = 3, GPS_LON = 4,
	GPS_ALT_REF = 5, GPS_ALT = 6, GPS_TIME = 7, GPS_DATE = 0x1D
};

/* One IFD entry: its 12 bytes as the block has them (a kept entry), or a
 * new one whose value, when over 4 bytes, is in val until written. */
struct entry {
	unsigned char raw[12];
	unsigned char *val;	/* malloc'd value of a new entry, or NULL */
	size_t	 vlen;
};

struct ifd {
	struct entry *e;
	size_t	 n, cap;
	uint32_t next;		/* the next IFD's offset (IFD0: IFD1's) */
	int	 changed;
	int	 present;	/* it was in the old block */
};

static void
put16(const struct tiff *t, unsigned char *p, unsigned v)
{
	p[t->be ? 0 : 1] = (unsigned char)(v >> 8);
	p[t->be ? 1 : 0] = (unsigned char)v;
}

static void
put32(const struct tiff *t, unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[t->be ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

static unsigned
entry_tag(const struct tiff *t, const struct entry *e)
{
	return tiff_get16(t, e->raw);
}

/*
 * The IFD at off, its entries copied as they are (empty and duplicate ones
 * too). 0, or -1 when it does not fit in the block: a pointer gone wrong,
 * which a careful writer does not follow.
 */
static int
ifd_read(const struct tiff *t, uint32_t off, struct ifd *d)
{
	long n = tiff_ifd_count(t, off), i;

	memset(d, 0, sizeof(*d));
	if (n < 0)
		return -1;
	d->cap = (size_t)n + 16;
	d->e = xcalloc(d->cap, sizeof(*d->e));
	for (i = 0; i < n; i++)
		memcpy(d->e[i].raw, t->p + off + 2 + 12 * i, 12);
	d->n = (size_t)n;
	/* a last IFD may lack its next pointer when the block ends there */
	if (t->len - off - 2 - 12 * (size_t)n >= 4)
		d->next = tiff_get32(t, t->p + off + 2 + 12 * n);
	d->present = 1;
	return 0;
}

static void
ifd_free(struct ifd *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->e[i].val);
	free(d->e);
	memset(d, 0, sizeof(*d));
}

static int
ifd_find(const struct tiff *t, const struct ifd *d, unsigned tag)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (entry_tag(t, &d->e[i]) == tag)
			return (int)i;
	return -1;
}

/* The value bytes of an entry: a new one's, or where the old block has
 * them (NULL if out of it). */
static const unsigned char *
entry_value(const struct tiff *t, const struct entry *e, size_t *len)
{
	if (e->val != NULL) {
		*len = e->vlen;
		return e->val;
	}
	return tiff_value(t, e->raw, len);
}

/* Replace the first entry with tag, or insert it where the tags sort. */
static void
ifd_set(const struct tiff *t, struct ifd *d, unsigned tag, unsigned type,
    uint32_t count, const void *val, size_t len)
{
	struct entry *e;
	int i = ifd_find(t, d, tag);
	size_t at;

	if (i >= 0)
		e = &d->e[i];
	else {
		if (d->n == d->cap) {
			d->cap += 16;
			d->e = xrealloc(d->e, d->cap * sizeof(*d->e));
		}
		for (at = 0; at < d->n && entry_tag(t, &d->e[at]) < tag; at++)
			;
		memmove(&d->e[at + 1], &d->e[at], (d->n - at) * sizeof(*d->e));
		d->n++;
		e = &d->e[at];
		e->val = NULL;
	}
	free(e->val);
	e->val = NULL;
	e->vlen = 0;
	memset(e->raw, 0, 12);
	put16(t, e->raw, tag);
	put16(t, e->raw + 2, type);
	put32(t, e->raw + 4, count);
	if (len <= 4)
		memcpy(e->raw + 8, val, len);
	else {
		e->val = (unsigned char *)xmemdup(val, len);
		e->vlen = len;
	}
	d->changed = 1;
}

static void
ifd_remove(const struct tiff *t, struct ifd *d, unsigned tag)
{
	int i;

	while ((i = ifd_find(t, d, tag)) >= 0) {
		free(d->e[i].val);
		memmove(&d->e[i], &d->e[i + 1], (d->n - (size_t)i - 1) * sizeof(*d->e));
		d->n--;
		d->changed = 1;
	}
}

static void
set_ascii(const struct tiff *t, struct ifd *d, unsigned tag, const char *s)
{
	size_t n = strlen(s) + 1;

	ifd_set(t, d, tag, TIFF_ASCII, (uint32_t)n, s, n);
}

static void
set_short(const struct tiff *t, struct ifd *d, unsigned tag, unsigned v)
{
	unsigned char b[2];

	put16(t, b, v);
	ifd_set(t, d, tag, TIFF_SHORT, 1, b, 2);
}

static void
set_rationals(const struct tiff *t, struct ifd *d, unsigned tag,
    const uint32_t *num, const uint32_t *den, unsigned n)
{
	unsigned char b[24];
	unsigned i;

	for (i = 0; i < n; i++) {
		put32(t, b + 8 * i, num[i]);
		put32(t, b + 8 * i + 4, den[i]);
	}
	ifd_set(t, d, tag, TIFF_RATIONAL, n, b, 8 * n);
}

/* A date tag counts as present unless empty, blank or zero (memoria's
 * rule); its text, NUL-terminated, in buf. */
static const char *
date_of(const struct tiff *t, const struct ifd *d, unsigned tag, char *buf, size_t size)
{
	const unsigned char *v;
	size_t n;
	int i = ifd_find(t, d, tag);

	if (i < 0 || tiff_get16(t, d->e[i].raw + 2) != TIFF_ASCII ||
	    (v = entry_value(t, &d->e[i], &n)) == NULL)
		return NULL;
	n = n < size - 1 ? n : size - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (buf[0] == '\0' || buf[0] == ' ' || strncmp(buf, "0000", 4) == 0)
		return NULL;
	return buf;
}

/* What the dates come to: the wall clock and offset text we would write,
 * and whether the date the file keeps is ours (for the GPS stamps). */
struct dates {
	char	 wall[64];	/* "2023:01:15 10:30:45" */
	char	 off[16];	/* "+02:00" */
	int	 known;		/* the offset is */
	int	 ours;		/* DateTimeOriginal kept is our instant */
};

/*
 * One date tag and its offset tag. A camera's date is kept unless
 * overwrite; when it shows the same wall time as ours, the offset we know
 * is still added, since it is the camera's too. Returns whether an
 * OffsetTime tag was written.
 */
static int
put_date(const struct tiff *t, struct ifd *dd, unsigned tag, struct ifd *exif,
    unsigned offtag, const struct meta *m, struct dates *ds)
{
	char buf[32];
	const char *have = date_of(t, dd, tag, buf, sizeof(buf));

	if (have != NULL && !m->overwrite) {
		if (strncmp(have, ds->wall, 19) != 0)
			return 0;
		if (tag == TAG_DATE_ORIGINAL)
			ds->ours = 1;
		if (!ds->known || ifd_find(t, exif, offtag) >= 0)
			return 0;
		set_ascii(t, exif, offtag, ds->off);
		return 1;
	}
	if (tag == TAG_DATE_ORIGINAL)
		ds->ours = 1;
	set_ascii(t, dd, tag, ds->wall);
	if (ds->known) {
		set_ascii(t, exif, offtag, ds->off);
		return 1;
	}
	/* a stale offset must not be read against our new date */
	if (ifd_find(t, exif, offtag) >= 0)
		ifd_remove(t, exif, offtag);
	return 0;
}

static void
put_dates(const struct tiff *t, struct ifd *ifd0, struct ifd *exif,
    const struct meta *m, struct dates *ds)
{
	static const unsigned char v0232[4] = { '0', '2', '3', '2' };
	const unsigned char *v;
	size_t n;
	int wrote = 0, i;

	wrote |= put_date(t, exif, TAG_DATE_ORIGINAL, exif, TAG_OFFSET_ORIGINAL, m, ds);
	wrote |= put_date(t, exif, TAG_DATE_DIGITIZED, exif, TAG_OFFSET_DIGITIZED, m, ds);
	wrote |= put_date(t, ifd0, TAG_DATETIME, exif, TAG_OFFSET, m, ds);
	if (!wrote)
		return;
	/* the OffsetTime tags came with EXIF 2.31 */
	i = ifd_find(t, exif, TAG_EXIF_VERSION);
	if (i >= 0 && (v = entry_value(t, &exif->e[i], &n)) != NULL && n == 4 &&
	    memcmp(v, "0231", 4) >= 0 && memcmp(v, "0999", 4) <= 0)
		return;
	ifd_set(t, exif, TAG_EXIF_VERSION, TIFF_UNDEFINED, 4, v0232, 4);
}

/* Degrees as three rationals: whole degrees, whole minutes, seconds in
 * millionths (a micro-arcsecond is far below a 7-decimal degree). */
static void
set_dms(const struct tiff *t, struct ifd *d, unsigned tag, double v)
{
	unsigned long long us = (unsigned long long)llround(fabs(v) * 3600e6);
	uint32_t num[3], den[3] = { 1, 1, 1000000 };

	num[0] = (uint32_t)(us / 3600000000ULL);
	num[1] = (uint32_t)(us / 60000000ULL % 60);
	num[2] = (uint32_t)(us % 60000000ULL);
	set_rationals(t, d, tag, num, den, 3);
}

/*
 * The position, and the UTC date and time stamps when the date the file
 * keeps is our instant with a known offset: a stamp must never contradict
 * the date (a camera's own date, or a wall clock of no known zone).
 */
static void
put_gps(const struct tiff *t, struct ifd *gps, const struct meta *m,
    const struct dates *ds)
{
	static const unsigned char version[4] = { 2, 3, 0, 0 };
	uint32_t num[3], den[3] = { 1, 1, 1 };
	unsigned char ref;
	char date[48];
	struct tm tm;

	if (ifd_find(t, gps, GPS_LAT) >= 0) {
		if (!m->overwrite)
			return;
		/* another place's bearing or speed would be wrong here */
		while (gps->n > 0)
			ifd_remove(t, gps, entry_tag(t, &gps->e[0]));
	}
	ifd_set(t, gps, GPS_VERSION, TIFF_BYTE, 4, version, 4);
	set_ascii(t, gps, GPS_LAT_REF, m->lat < 0 ? "S" : "N");
	set_dms(t, gps, GPS_LAT, m->lat);
	set_ascii(t, gps, GPS_LON_REF, m->lon < 0 ? "W" : "E");
	set_dms(t, gps, GPS_LON, m->lon);
	if (m->has_alt) {
		ref = m->alt < 0;
		ifd_set(t, gps, GPS_ALT_REF, TIFF_BYTE, 1, &ref, 1);
		num[0] = (uint32_t)llround(fabs(m->alt) * 100);
		den[0] = 100;
		set_rationals(t, gps, GPS_ALT, num, den, 1);
		den[0] = 1;
	}
	if (m->tag_time && ds->known && ds->ours) {
		time_wall(m->time, 0, &tm);
		num[0] = (uint32_t)tm.tm_hour;
		num[1] = (uint32_t)tm.tm_min;
		num[2] = (uint32_t)tm.tm_sec;
		set_rationals(t, gps, GPS_TIME, num, den, 3);
		snprintf(date, sizeof(date), "%04d:%02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
		set_ascii(t, gps, GPS_DATE, date);
	}
}

/* The next code point of UTF-8 text; a bad byte reads as U+FFFD. */
static unsigned long
utf8_next(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	unsigned long c;
	int n, i;

	if (s[0] < 0x80) {
		*sp = s + 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 1;
		c = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 2;
		c = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 3;
		c = s[0] & 0x07;
	} else {
		*sp = s + 1;
		return 0xFFFD;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*sp = s + 1;
			return 0xFFFD;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	*sp = s + n + 1;
	if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	return c;
}

/*
 * UserComment: "ASCII" when the caption is, else "UNICODE" with UTF-16 in
 * the block's byte order, the one reading exiftool and Immich share.
 */
static void
put_comment(const struct tiff *t, struct ifd *exif, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), len = 8, i;
	unsigned char *buf;
	unsigned long c;
	int ascii = 1;

	for (i = 0; i < n; i++)
		if (s[i] >= 0x80)
			ascii = 0;
	buf = xmalloc(8 + 4 * n + 2);
	if (ascii) {
		memcpy(buf, "ASCII\0\0\0", 8);
		memcpy(buf + 8, text, n);
		len += n;
	} else {
		memcpy(buf, "UNICODE\0", 8);
		while (*s != '\0') {
			c = utf8_next(&s);
			if (c >= 0x10000) {
				c -= 0x10000;
				put16(t, buf + len, (unsigned)(0xD800 | c >> 10));
				len += 2;
				c = 0xDC00 | (c & 0x3FF);
			}
			put16(t, buf + len, (unsigned)c);
			len += 2;
		}
	}
	ifd_set(t, exif, TAG_USER_COMMENT, TIFF_UNDEFINED, (uint32_t)len, buf, len);
	free(buf);
}

/* The tags EXIF 2.32 requires in IFD0, for a block made from nothing. */
static void
put_required_ifd0(const struct tiff *t, struct ifd *ifd0, const struct exif_image *img)
{
	uint32_t num[1], den[1] = { 1 };

	num[0] = img->xres ? img->xres : 72;
	set_rationals(t, ifd0, TAG_XRES, num, den, 1);
	num[0] = img->yres ? img->yres : 72;
	set_rationals(t, ifd0, TAG_YRES, num, den, 1);
	set_short(t, ifd0, TAG_RESUNIT, img->xres ? img->unit : 2);
	if (!img->rgb)
		set_short(t, ifd0, TAG_YCBCRPOS, 1);
}

/* ... and in an Exif IFD we make (the block had none). */
static void
put_required_exif(const struct tiff *t, struct ifd *exif, const struct exif_image *img)
{
	static const unsigned char v0232[4] = { '0', '2', '3', '2' };
	static const unsigned char fpx[4] = { '0', '1', '0', '0' };
	static const unsigned char ycc[4] = { 1, 2, 3, 0 }, rgb[4] = { 4, 5, 6, 0 };
	unsigned char b[4];

	ifd_set(t, exif, TAG_EXIF_VERSION, TIFF_UNDEFINED, 4, v0232, 4);
	ifd_set(t, exif, TAG_COMPONENTS, TIFF_UNDEFINED, 4, img->rgb ? rgb : ycc, 4);
	ifd_set(t, exif, TAG_FLASHPIX, TIFF_UNDEFINED, 4, fpx, 4);
	set_short(t, exif, TAG_COLORSPACE, 1);
	put32(t, b, img->width);
	ifd_set(t, exif, TAG_PIXEL_X, TIFF_LONG, 1, b, 4);
	put32(t, b, img->height);
	ifd_set(t, exif, TAG_PIXEL_Y, TIFF_LONG, 1, b, 4);
}

/* Bytes an IFD takes when written: entries, next pointer, values. */
static size_t
ifd_size(const struct ifd *d)
{
	size_t n = 2 + 12 * d->n + 4, i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].val != NULL)
			n += (d->e[i].vlen + 1) & ~(size_t)1;
	return n;
}

/* Write d at off of out (the TIFF header at out); its offset. */
static uint32_t
ifd_write(const struct tiff *t, const struct ifd *d, unsigned char *out, size_t off)
{
	size_t v = off + 2 + 12 * d->n + 4, i;

	put16(t, out + off, (unsigned)d->n);
	for (i = 0; i < d->n; i++) {
		memcpy(out + off + 2 + 12 * i, d->e[i].raw, 12);
		if (d->e[i].val == NULL)
			continue;
		memcpy(out + v, d->e[i].val, d->e[i].vlen);
		if (d->e[i].vlen % 2)
			out[v + d->e[i].vlen] = 0;
		put32(t, out + off + 2 + 12 * i + 8, (uint32_t)v);
		v += (d->e[i].vlen + 1) & ~(size_t)1;
	}
	put32(t, out + off + 2 + 12 * d->n, d->next);
	return (uint32_t)off;
}

/*
 * The sub-IFD a pointer tag of ifd0 names: read, or empty when absent or
 * not a pointer at all (a wrong type or count: readers do not follow it,
 * and neither do we, or its target's bytes would become tags); -1 when
 * it is a pointer but leads outside the block.
 */
static int
sub_ifd(const struct tiff *t, const struct ifd *ifd0, unsigned tag, struct ifd *d)
{
	int i = ifd_find(t, ifd0, tag);
	uint32_t off;

	memset(d, 0, sizeof(*d));
	if (i < 0 || !tiff_pointer(t, ifd0->e[i].raw, &off))
		return 0;
	return ifd_read(t, off, d);
}

int
exif_orientation(const unsigned char *blk, size_t len)
{
	struct tiff t;
	const unsigned char *e, *v;
	const char *why;
	size_t n;
	int o = 1;

	if (tiff_open(&t, blk, len, &why) < 0)
		return 1;
	e = tiff_entry(&t, tiff_get32(&t, t.p + 4), TAG_ORIENTATION);
	if (e != NULL && tiff_get16(&t, e + 2) == TIFF_SHORT &&
	    (v = tiff_value(&t, e, &n)) != NULL && n >= 2)
		o = (int)tiff_get16(&t, v);
	return o >= 1 && o <= 8 ? o : 1;
}

/* The wall clock and offset text of m's time. */
static void
dates_of(const struct meta *m, struct dates *ds)
{
	struct tm tm;
	int o;

	memset(ds, 0, sizeof(*ds));
	time_wall(m->time, m->offset_min, &tm);
	snprintf(ds->wall, sizeof(ds->wall), "%04d:%02d:%02d %02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (m->offset_min != OFFSET_UNKNOWN) {
		o = m->offset_min < 0 ? -m->offset_min : m->offset_min;
		snprintf(ds->off, sizeof(ds->off), "%c%02d:%02d",
		    m->offset_min < 0 ? '-' : '+', o / 60 % 100, o % 60);
		ds->known = 1;
	}
}

/* Point ifd0's tag at a sub-IFD written at off, keeping the entry's type
 * (LONG or IFD) when there was one. */
static void
set_pointer(const struct tiff *t, struct ifd *ifd0, unsigned tag, uint32_t off)
{
	unsigned char b[4];
	int i = ifd_find(t, ifd0, tag);
	unsigned type = i >= 0 && tiff_get16(t, ifd0->e[i].raw + 2) == TIFF_IFD ? TIFF_IFD : TIFF_LONG;

	put32(t, b, off);
	ifd_set(t, ifd0, tag, type, 1, b, 4);
}

int
exif_edit(const unsigned char *old, size_t olen, const struct meta *m,
    const struct exif_image *img, size_t max, unsigned char **out, size_t *outlen,
    const char **why)
{
	static const unsigned char fresh[8] = { 'M', 'M', 0, 0x2A, 0, 0, 0, 8 };
	struct tiff t;
	struct ifd ifd0, exif, gps;
	struct dates ds;
	unsigned char *o;
	size_t base, total, at;
	int rc = -1;

	*out = NULL;
	memset(&ifd0, 0, sizeof(ifd0));
	memset(&exif, 0, sizeof(exif));
	memset(&gps, 0, sizeof(gps));
	if (old != NULL) {
		if (tiff_open(&t, old, olen, why) < 0)
			return -1;
		if (ifd_read(&t, tiff_get32(&t, t.p + 4), &ifd0) < 0) {
			*why = "corrupt EXIF (IFD0 outside the block)";
			return -1;
		}
		if (sub_ifd(&t, &ifd0, TAG_EXIF_IFD, &exif) < 0) {
			*why = "corrupt EXIF (Exif IFD outside the block)";
			goto out;
		}
		if (sub_ifd(&t, &ifd0, TAG_GPS_IFD, &gps) < 0) {
			*why = "corrupt EXIF (GPS IFD outside the block)";
			goto out;
		}
	} else {
		t.p = fresh;
		t.len = 8;
		t.be = 1;
		put_required_ifd0(&t, &ifd0, img);
	}
	dates_of(m, &ds);
	if (m->tag_time)
		put_dates(&t, &ifd0, &exif, m, &ds);
	if (m->has_gps)
		put_gps(&t, &gps, m, &ds);
	if (m->caption != NULL) {
		set_ascii(&t, &ifd0, TAG_DESCRIPTION, m->caption);
		put_comment(&t, &exif, m->caption);
	}
	if (!exif.present && (exif.changed || old == NULL))
		put_required_exif(&t, &exif, img);
	if (m->no_thumbnail && ifd0.next != 0) {
		ifd0.next = 0;
		ifd0.changed = 1;
	}
	if (old != NULL && !ifd0.changed && !exif.changed && !gps.changed) {
		/* nothing to set (the camera's own tags won): not a byte changes */
		*out = (unsigned char *)xmemdup(old, olen);
		*outlen = olen;
		rc = 0;
		goto out;
	}
	/* the new IFDs go after the old block, at an even offset */
	base = (t.len + 1) & ~(size_t)1;
	total = base + ifd_size(&gps) + ifd_size(&exif) + 2 * 12 + ifd_size(&ifd0);
	o = xcalloc(6 + total, 1);
	memcpy(o, "Exif\0\0", 6);
	memcpy(o + 6, t.p, t.len);
	at = base;
	if (gps.changed) {
		set_pointer(&t, &ifd0, TAG_GPS_IFD, ifd_write(&t, &gps, o + 6, at));
		at += ifd_size(&gps);
	}
	if (exif.changed) {
		set_pointer(&t, &ifd0, TAG_EXIF_IFD, ifd_write(&t, &exif, o + 6, at));
		at += ifd_size(&exif);
	}
	put32(&t, o + 6 + 4, ifd_write(&t, &ifd0, o + 6, at));
	at += ifd_size(&ifd0);
	if (6 + at > max) {
		snprintf(whybuf, sizeof(whybuf),
		    "EXIF block too big (%zu bytes, at most %zu fit in a JPEG)", 6 + at, max);
		*why = whybuf;
		free(o);
		goto out;
	}
	*out = o;
	*outlen = 6 + at;
	rc = 0;
out:
	ifd_free(&ifd0);
	ifd_free(&exif);
	ifd_free(&gps);
	return rc;
}
