/*
 * exif.c -- merge an item's date, offset, GPS and caption into an
 * EXIF block with libexif, keeping every tag already there.
 *
 * libexif is told to keep unknown tags, not to "fix" the block to the
 * specification, and to keep maker notes as bytes: its defaults would drop
 * camera data (an iPhone's maker note entirely).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libexif/exif-data.h>
#include <libexif/exif-log.h>
#include <libexif/exif-mem.h>
#include <libexif/exif-utils.h>

#include "mem-exif.h"

/* The first complaint libexif makes about the block, if any. */
struct corrupt {
	int	 seen;
	char	 msg[200];
};

static void
on_log(ExifLog *log, ExifLogCode code, const char *domain, const char *fmt,
    va_list ap, void *data)
{
	struct corrupt *c = data;

	(void)log;
	if (code != EXIF_LOG_CODE_CORRUPT_DATA && code != EXIF_LOG_CODE_NO_MEMORY)
		return;
	/* a maker note libexif cannot parse is still kept, byte for byte */
	if (code == EXIF_LOG_CODE_CORRUPT_DATA && domain != NULL &&
	    strncmp(domain, "ExifMnote", 9) == 0)
		return;
	if (!c->seen)
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	c->seen = 1;
}

/*
 * Replace (or add) one entry. The content takes its own reference, so ours
 * is dropped at the end; the data is allocated with the block's allocator,
 * which frees it with the entry.
 */
static int
put(ExifData *ed, ExifMem *mem, ExifIfd ifd, ExifTag tag, ExifFormat fmt,
    unsigned long comps, const void *data, size_t size)
{
	ExifEntry *e, *old;

	old = exif_content_get_entry(ed->ifd[ifd], tag);
	if (old != NULL)
		exif_content_remove_entry(ed->ifd[ifd], old);
	if ((e = exif_entry_new_mem(mem)) == NULL)
		return -1;
	if ((e->data = exif_mem_alloc(mem, (ExifLong)size)) == NULL) {
		exif_entry_unref(e);
		return -1;
	}
	memcpy(e->data, data, size);
	e->size = (unsigned)size;
	e->tag = tag;
	e->format = fmt;
	e->components = comps;
	exif_content_add_entry(ed->ifd[ifd], e);
	exif_entry_unref(e);
	return 0;
}

static int
put_ascii(ExifData *ed, ExifMem *mem, ExifIfd ifd, ExifTag tag, const char *s)
{
	size_t n = strlen(s) + 1;

	return put(ed, mem, ifd, tag, EXIF_FORMAT_ASCII, n, s, n);
}

/* A date tag counts as present unless empty, blank or zero (memoria's rule). */
static const char *
date_of(ExifData *ed, ExifIfd ifd, ExifTag tag, char *buf, size_t size)
{
	ExifEntry *e = exif_content_get_entry(ed->ifd[ifd], tag);
	size_t n;

	if (e == NULL || e->data == NULL || e->format != EXIF_FORMAT_ASCII)
		return NULL;
	n = e->size < size - 1 ? e->size : size - 1;
	memcpy(buf, e->data, n);
	buf[n] = '\0';
	if (buf[0] == '\0' || buf[0] == ' ' || strncmp(buf, "0000", 4) == 0)
		return NULL;
	return buf;
}

/*
 * One date tag and its offset tag. A camera's date is kept unless
 * overwrite; when it shows the same wall time as ours, the offset we know
 * is still added, since it is the camera's too.
 */
static int
put_date(ExifData *ed, ExifMem *mem, ExifIfd ifd, ExifTag tag, ExifTag offtag,
    const struct meta *m, const char *wall, const char *off)
{
	char buf[32];
	const char *have = date_of(ed, ifd, tag, buf, sizeof(buf));

	if (have != NULL && !m->overwrite) {
		if (off == NULL || strncmp(have, wall, 19) != 0)
			return 0;
		if (exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], offtag) != NULL)
			return 0;
		return put_ascii(ed, mem, EXIF_IFD_EXIF, offtag, off);
	}
	if (put_ascii(ed, mem, ifd, tag, wall) < 0)
		return -1;
	if (off != NULL)
		return put_ascii(ed, mem, EXIF_IFD_EXIF, offtag, off);
	/* a stale offset must not be read against our new date */
	if (exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], offtag) != NULL)
		exif_content_remove_entry(ed->ifd[EXIF_IFD_EXIF],
		    exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], offtag));
	return 0;
}

static int
put_dates(ExifData *ed, ExifMem *mem, const struct meta *m)
{
	char wall[64], off[16];
	const char *known = NULL;
	struct tm tm;
	int o;

	time_wall(m->time, m->offset_min, &tm);
	snprintf(wall, sizeof(wall), "%04d:%02d:%02d %02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (m->offset_min != OFFSET_UNKNOWN) {
		o = m->offset_min < 0 ? -m->offset_min : m->offset_min;
		snprintf(off, sizeof(off), "%c%02d:%02d", m->offset_min < 0 ? '-' : '+',
		    o / 60 % 100, o % 60);
		known = off;
	}
	if (put_date(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL,
	    EXIF_TAG_OFFSET_TIME_ORIGINAL, m, wall, known) < 0 ||
	    put_date(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_DIGITIZED,
	    EXIF_TAG_OFFSET_TIME_DIGITIZED, m, wall, known) < 0 ||
	    put_date(ed, mem, EXIF_IFD_0, EXIF_TAG_DATE_TIME, EXIF_TAG_OFFSET_TIME, m,
	    wall, known) < 0)
		return -1;
	return 0;
}

/* Degrees as three rationals: whole degrees, whole minutes, seconds in
 * millionths (a micro-arcsecond is far below a 7-decimal degree). */
static void
dms(double v, ExifByteOrder bo, unsigned char out[24])
{
	double a = fabs(v);
	unsigned long long us = (unsigned long long)llround(a * 3600e6);
	ExifRational r[3];
	int i;

	r[0].numerator = (ExifLong)(us / 3600000000ULL);
	r[0].denominator = 1;
	r[1].numerator = (ExifLong)(us / 60000000ULL % 60);
	r[1].denominator = 1;
	r[2].numerator = (ExifLong)(us % 60000000ULL);
	r[2].denominator = 1000000;
	for (i = 0; i < 3; i++)
		exif_set_rational(out + 8 * i, bo, r[i]);
}

static int
put_gps(ExifData *ed, ExifMem *mem, const struct meta *m)
{
	static const unsigned char version[4] = { 2, 3, 0, 0 };
	ExifByteOrder bo = exif_data_get_byte_order(ed);
	unsigned char buf[24], ref;
	ExifRational r;
	char date[48];
	struct tm tm;
	int rc = 0;

	if (exif_content_get_entry(ed->ifd[EXIF_IFD_GPS],
	    (ExifTag)EXIF_TAG_GPS_LATITUDE) != NULL) {
		if (!m->overwrite)
			return 0;
		/* another place's bearing or speed would be wrong here */
		while (ed->ifd[EXIF_IFD_GPS]->count > 0)
			exif_content_remove_entry(ed->ifd[EXIF_IFD_GPS],
			    ed->ifd[EXIF_IFD_GPS]->entries[0]);
	}
	rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_VERSION_ID,
	    EXIF_FORMAT_BYTE, 4, version, 4);
	rc |= put_ascii(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF,
	    m->lat < 0 ? "S" : "N");
	dms(m->lat, bo, buf);
	rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE,
	    EXIF_FORMAT_RATIONAL, 3, buf, 24);
	rc |= put_ascii(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF,
	    m->lon < 0 ? "W" : "E");
	dms(m->lon, bo, buf);
	rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE,
	    EXIF_FORMAT_RATIONAL, 3, buf, 24);
	if (m->has_alt) {
		ref = m->alt < 0;
		rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_ALTITUDE_REF,
		    EXIF_FORMAT_BYTE, 1, &ref, 1);
		r.numerator = (ExifLong)llround(fabs(m->alt) * 100);
		r.denominator = 100;
		exif_set_rational(buf, bo, r);
		rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_ALTITUDE,
		    EXIF_FORMAT_RATIONAL, 1, buf, 8);
	}
	if (m->has_time) {
		time_wall(m->time, 0, &tm);
		r.denominator = 1;
		r.numerator = (ExifLong)tm.tm_hour;
		exif_set_rational(buf, bo, r);
		r.numerator = (ExifLong)tm.tm_min;
		exif_set_rational(buf + 8, bo, r);
		r.numerator = (ExifLong)tm.tm_sec;
		exif_set_rational(buf + 16, bo, r);
		rc |= put(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_TIME_STAMP,
		    EXIF_FORMAT_RATIONAL, 3, buf, 24);
		snprintf(date, sizeof(date), "%04d:%02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
		rc |= put_ascii(ed, mem, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_DATE_STAMP,
		    date);
	}
	return rc ? -1 : 0;
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
static int
put_comment(ExifData *ed, ExifMem *mem, const char *text)
{
	ExifByteOrder bo = exif_data_get_byte_order(ed);
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), len = 8, i;
	unsigned char *buf;
	unsigned long c;
	int ascii = 1, rc;

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
				exif_set_short(buf + len, bo, (ExifShort)(0xD800 | c >> 10));
				len += 2;
				c = 0xDC00 | (c & 0x3FF);
			}
			exif_set_short(buf + len, bo, (ExifShort)c);
			len += 2;
		}
	}
	rc = put(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_USER_COMMENT, EXIF_FORMAT_UNDEFINED,
	    len, buf, len);
	free(buf);
	return rc;
}

/*
 * What libexif gives up on without a word: a block it cannot read at all
 * would otherwise be replaced by ours, and the camera's tags lost.
 */
static const char *
bad_header(const unsigned char *b, size_t n)
{
	uint32_t off;
	int be;

	if (n < 6 + 8 || memcmp(b, "Exif\0\0", 6) != 0)
		return "corrupt EXIF (too short)";
	if (memcmp(b + 6, "MM\0\x2a", 4) == 0)
		be = 1;
	else if (memcmp(b + 6, "II\x2a\0", 4) == 0)
		be = 0;
	else
		return "corrupt EXIF (no TIFF header)";
	off = be ? (uint32_t)b[10] << 24 | (uint32_t)b[11] << 16 | (uint32_t)b[12] << 8 | b[13]
	    : (uint32_t)b[13] << 24 | (uint32_t)b[12] << 16 | (uint32_t)b[11] << 8 | b[10];
	if (off < 8 || off > n - 6 - 2 || off > 0xfffe - 8)
		return "corrupt EXIF (IFD0 outside the block)";
	return NULL;
}

static int
orientation_of(ExifData *ed)
{
	ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);

	if (e == NULL || e->format != EXIF_FORMAT_SHORT || e->size < 2)
		return 1;
	return exif_get_short(e->data, exif_data_get_byte_order(ed));
}

/*
 * libexif's save with the maker note kept as bytes, its offsets then
 * fixed if they count from the TIFF header (makernote.c).
 */
static void
save(ExifData *ed, const unsigned char *old, size_t olen, unsigned char **d,
    unsigned int *dlen)
{
	uint32_t oldoff, n, newoff, newn;

	exif_data_save_data(ed, d, dlen);
	if (*d == NULL || old == NULL || mnote_find(old, olen, &oldoff, &n) < 0 ||
	    mnote_find(*d, *dlen, &newoff, &newn) < 0 || newn != n ||
	    memcmp(*d + 6 + newoff, old + 6 + oldoff, n) != 0)
		return;
	mnote_shift(*d, *dlen, oldoff, newoff, n);
}

static void
drop_thumbnail(ExifData *ed, ExifMem *mem)
{
	exif_mem_free(mem, ed->data);
	ed->data = NULL;
	ed->size = 0;
	while (ed->ifd[EXIF_IFD_1]->count > 0)
		exif_content_remove_entry(ed->ifd[EXIF_IFD_1], ed->ifd[EXIF_IFD_1]->entries[0]);
}

int
exif_merge(const unsigned char *old, size_t olen, const struct meta *m,
    size_t max, unsigned char **out, size_t *outlen, int *thumb_dropped,
    int *orientation, const char **why)
{
	static const char version[4] = { '0', '2', '3', '2' };
	struct corrupt c;
	ExifMem *mem;
	ExifData *ed;
	ExifLog *log;
	unsigned char *d = NULL;
	unsigned int dlen = 0;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	*thumb_dropped = 0;
	memset(&c, 0, sizeof(c));
	if ((mem = exif_mem_new_default()) == NULL ||
	    (ed = exif_data_new_mem(mem)) == NULL || (log = exif_log_new_mem(mem)) == NULL)
		die(ST_FATAL, "out of memory");
	exif_log_set_func(log, on_log, &c);
	exif_data_log(ed, log);
	exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_set_option(ed, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE);
	if (old != NULL) {
		if ((*why = bad_header(old, olen)) != NULL)
			goto out;
		exif_data_load_data(ed, old, (unsigned)olen);
		if (c.seen) {
			snprintf(whybuf, sizeof(whybuf), "corrupt EXIF (%s)", c.msg);
			*why = whybuf;
			goto out;
		}
	}
	if (orientation != NULL)
		*orientation = orientation_of(ed);
	if (m->has_time && put_dates(ed, mem, m) < 0)
		goto nomem;
	if (m->has_gps && put_gps(ed, mem, m) < 0)
		goto nomem;
	if (m->caption != NULL && (put_ascii(ed, mem, EXIF_IFD_0,
	    EXIF_TAG_IMAGE_DESCRIPTION, m->caption) < 0 ||
	    put_comment(ed, mem, m->caption) < 0))
		goto nomem;
	if (ed->ifd[EXIF_IFD_EXIF]->count > 0 &&
	    exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_EXIF_VERSION) == NULL &&
	    put(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_EXIF_VERSION, EXIF_FORMAT_UNDEFINED, 4,
	    version, 4) < 0)
		goto nomem;
	if (m->no_thumbnail && ed->data != NULL)
		drop_thumbnail(ed, mem);
	save(ed, old, olen, &d, &dlen);
	if (d != NULL && dlen > max && ed->data != NULL) {
		/* the thumbnail is the one part a viewer can rebuild */
		free(d);
		d = NULL;
		drop_thumbnail(ed, mem);
		*thumb_dropped = 1;
		save(ed, old, olen, &d, &dlen);
	}
	if (d == NULL || c.seen)
		goto nomem;
	if (dlen > max) {
		snprintf(whybuf, sizeof(whybuf),
		    "EXIF block too big (%u bytes, at most %zu fit in a JPEG)", dlen, max);
		*why = whybuf;
		free(d);
		goto out;
	}
	*out = d;
	*outlen = dlen;
	rc = 0;
	goto out;
nomem:
	free(d);
	*why = c.seen ? "libexif could not write the EXIF block" : "out of memory";
out:
	exif_log_unref(log);
	exif_data_unref(ed);
	exif_mem_unref(mem);
	return rc;
}
