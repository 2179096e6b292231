/*
 * containers.c -- the dates that formats of chunks and elements carry, as
 * exiftool reads them (and so Immich, which takes exiftool's tags):
 *   AVI	the RIFF IDIT chunk, the camera's wall clock (RIFF:DateTimeOriginal)
 *   WebP	the EXIF chunk's DateTimeOriginal (+OffsetTimeOriginal), else the
 *		XMP chunk's
 *   PNG	the eXIf chunk's, likewise, else its XMP's (ImageMagick's raw
 *		profiles too), before IDAT, else past it
 *   Matroska, WebM	the Info element's DateUTC, an instant in UTC
 *   WMV, ASF	the File Properties object's creation date, in UTC
 *   GIF	its XMP's (an editor's application extension)
 * Each walks its file with small preads, bounded in steps: these read
 * whatever a user's folder holds.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "mem.h"
#include "mem-scan.h"

#define MAX_STEPS	1024		/* chunks or elements looked at in a file */
#define MAX_EXIF	(1 << 20)	/* an EXIF chunk's bytes read */
#define MAX_XMP		FH_BYTES_MAX	/* an XMP chunk's bytes read */
#define MKV_HEAD	(64 << 10)	/* Matroska's Info lies in its first KiB */
#define MKV_EPOCH	978307200LL	/* 2001-01-01T00:00:00Z */
#define ASF_EPOCH	11644473600LL	/* 1601-01-01 to 1970-01-01, seconds */
#define GIF_WINDOW	(8 << 10)	/* a GIF's head, read at once, walking it */
#define GIF_TAIL	(256 << 10)	/* its end, where an XMP past the frames lies */

/* The date of an EXIF block, "Exif\0\0" before its TIFF structure or not
 * (WebP's and PNG's writers differ). */
static int
exif_bytes(const unsigned char *blk, size_t n, int64_t *utc, int32_t *off, struct where *w)
{
	if (n < 8)
		return -1;
	return n > 6 && memcmp(blk, "Exif\0\0", 6) == 0 ? exif_time(blk, n, utc, off, w) :
	    tiff_block_time(blk, n, utc, off, w);
}

/* The date of the n bytes of an EXIF chunk at pos. */
static int
exif_chunk(struct fh *fd, off_t pos, uint32_t n, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char *blk;
	int rc = -1;

	if (n < 8 || n > MAX_EXIF)
		return -1;
	blk = xmalloc(n);
	if (fh_pread(fd, blk, n, pos) == (ssize_t)n)
		rc = exif_bytes(blk, n, utc, off, w);
	free(blk);
	return rc;
}

/*
 * The forms cameras write into IDIT ("Mon Mar 10 15:04:43 2003\n" the
 * standard one; Pentax and Casio "2009/10/27 12:14:34", "2001/ 1/27
 * 1:42PM", "2005/11/28/ 09:19"; Konica "2002-12-16  15:35:01"), as
 * exiftool's RIFF module lists them, made one "YYYY-MM-DD HH:MM:SS" for
 * time_parse. exiftool drops the seconds of the slash forms (it reads
 * them as Casio's, which has none), so Immich shows 12:14:00 for Pentax's
 * 12:14:34: so does the record, which must date the file as the server
 * will.
 */
int
riff_date(const char *s, int64_t *utc)
{
	char mon[4], ap[3] = "", iso[32], sep[2];
	int y, mo, d, h, mi, sec = 0, n = 0;
	int32_t off;

	if (sscanf(s, "%*3s %3s %2d %2d:%2d:%2d %4d", mon, &d, &h, &mi, &sec, &y) == 6) {
		if ((mo = month_abbr(mon)) == 0)
			return -1;
	} else if (sscanf(s, "%4d%1[-/:]%2d%*1[-/:]%2d%n", &y, sep, &mo, &d, &n) == 4 && n > 0) {
		s += n;
		if (*s == '/')
			s++;
		if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2)
			return -1;
		s += n;
		if (*s == ':' && sscanf(s + 1, "%2d", &sec) != 1)
			return -1;
		if (sep[0] == '/')
			sec = 0;
		if (sscanf(s, "%*[0-9:] %2[AaPp]", ap) == 1 || sscanf(s, " %2[AaPp]", ap) == 1) {
			if (h < 1 || h > 12)
				return -1;
			h = h % 12 + (ap[0] == 'P' || ap[0] == 'p' ? 12 : 0);
		}
	} else
		return -1;
	if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    mi < 0 || sec < 0 || snprintf(iso, sizeof(iso), "%04d-%02d-%02d %02d:%02d:%02d",
	    y, mo, d, h, mi, sec) >= (int)sizeof(iso))
		return -1;
	return time_parse(iso, utc, &off);
}

/*
 * The chunks from at to end of a RIFF file, and the LISTs among them that
 * hold dates (hdrl, INFO): an AVI's IDIT or a WebP's EXIF. *steps bounds
 * the walk; a chunk cut off by the end of the file is read as far as it
 * goes (a camera that stopped recording leaves one).
 */
static int
riff_walk(struct fh *fd, off_t at, off_t end, int depth, int *steps, int64_t *utc,
    int32_t *off, struct where *w)
{
	unsigned char h[12];
	char text[64];
	uint32_t n;
	ssize_t r;

	for (; at + 8 <= end && (*steps)-- > 0; at += 8 + (off_t)n + (n & 1)) {
		if ((r = fh_pread(fd, h, 12, at)) < 8)
			return -1;
		n = le32(h + 4);
		if ((off_t)n > end - at - 8)
			n = (uint32_t)(end - at - 8);
		if (memcmp(h, "LIST", 4) == 0 && r == 12 && n >= 4 && depth < 2 &&
		    (memcmp(h + 8, "hdrl", 4) == 0 || memcmp(h + 8, "INFO", 4) == 0)) {
			if (riff_walk(fd, at + 12, at + 8 + n, depth + 1, steps, utc, off, w) == 0)
				return 0;
		} else if (memcmp(h, "IDIT", 4) == 0) {
			size_t k = n < sizeof(text) - 1 ? n : sizeof(text) - 1;

			if (fh_pread(fd, text, k, at + 8) != (ssize_t)k)
				return -1;
			text[k] = '\0';
			if (riff_date(text, utc) == 0) {
				*off = OFFSET_UNKNOWN;
				return 0;
			}
		}
	}
	return -1;
}

/*
 * A WebP's EXIF chunk's date, else its XMP chunk's (exiftool reads both,
 * and so Immich); an EXIF date without a zone takes one from the XMP's
 * other dates (w).
 */
static int
webp_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char h[8];
	off_t at, exif = 0, xmp = 0;
	uint32_t n, exlen = 0, xlen = 0;
	int steps, rc = -1, dated;
	char *x;

	for (at = 12, steps = 0; at + 8 <= size && steps < MAX_STEPS;
	    at += 8 + (off_t)n + (n & 1), steps++) {
		if (fh_pread(fd, h, 8, at) != 8)
			break;
		if ((off_t)(n = le32(h + 4)) > size - at - 8)
			break;
		if (memcmp(h, "EXIF", 4) == 0 && exif == 0) {
			exif = at + 8;
			exlen = n;
		} else if (memcmp(h, "XMP ", 4) == 0 && xmp == 0 && n <= MAX_XMP) {
			xmp = at + 8;
			xlen = n;
		}
	}
	dated = exif != 0 && exif_chunk(fd, exif, exlen, utc, off, w) == 0;
	if (xmp == 0 || (dated && (w == NULL || (*off != OFFSET_UNKNOWN && w->known))))
		return dated ? 0 : -1;
	if ((x = (char *)fh_bytes(fd, size, (uint64_t)xmp, xlen)) != NULL) {
		if (dated)
			xmp_zone(x, xlen, w);
		else
			rc = xmp_time(x, xlen, utc, off, w);
	}
	free(x);
	return dated ? 0 : rc;
}

int
riff_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char h[12];
	int steps = MAX_STEPS;

	if (size < 12 || fh_pread(fd, h, 12, 0) != 12 || memcmp(h, "RIFF", 4) != 0)
		return -1;
	if (memcmp(h + 8, "WEBP", 4) == 0)
		return webp_time(fd, size, utc, off, w);
	if (memcmp(h + 8, "AVI ", 4) != 0)
		return -1;
	return riff_walk(fd, 12, size, 0, &steps, utc, off, w);
}

/*
 * A PNG keeps its metadata in chunks that exiftool reads wherever they lie,
 * and so Immich: eXIf (EXIF), an iTXt keyworded "XML:com.adobe.xmp" (XMP,
 * compressed or not), and ImageMagick's text chunks "Raw profile type
 * exif", "xmp" or "APP1" (the bytes in hex lines; APP1's an EXIF or an XMP
 * segment), which it writes converting a photo.
 */
enum { PNG_NONE, PNG_EXIF, PNG_XMP, PNG_APP1 };

#define PNG_METAS 8	/* metadata chunks taken before the image data, and past it */
#define PNG_KEY 82	/* a text chunk's keyword (79 at most), its NUL, iTXt's 2 flags */
#define RAW_PROFILE "Raw profile type "

struct png_meta {
	off_t	 at;		/* its data */
	uint32_t len;
	int	 text;		/* 't' tEXt, 'z' zTXt, 'i' iTXt, 0 eXIf */
};

/* Which of them the chunk of type t is, its data beginning with the m
 * bytes at d; PNG_NONE: none. */
static int
png_kind(const unsigned char *t, const unsigned char *d, size_t m)
{
	static const struct {
		const char *key;
		int kind;
	} keys[] = {
		{ "XML:com.adobe.xmp", PNG_XMP },	/* an iTXt's only */
		{ RAW_PROFILE "exif", PNG_EXIF },
		{ RAW_PROFILE "xmp", PNG_XMP },
		{ RAW_PROFILE "APP1", PNG_APP1 },
	};
	size_t i, kl;

	if (memcmp(t, "eXIf", 4) == 0)
		return PNG_EXIF;
	if (memcmp(t, "tEXt", 4) != 0 && memcmp(t, "zTXt", 4) != 0 && memcmp(t, "iTXt", 4) != 0)
		return PNG_NONE;
	for (i = 0; i < LEN(keys); i++)
		if (m >= (kl = strlen(keys[i].key) + 1) && memcmp(d, keys[i].key, kl) == 0 &&
		    (i > 0 || memcmp(t, "iTXt", 4) == 0))
			return keys[i].kind;
	return PNG_NONE;
}

/* A raw profile's bytes: "\n" its name "\n", its length, "\n", then hex
 * digits in lines, as exiftool reads them; in place. 0 with *len, or -1. */
static int
raw_profile(unsigned char *s, size_t n, size_t *len)
{
	unsigned char *e = s + n, *q;
	unsigned long want = 0;
	size_t got = 0;
	int hi = -1, v;

	if (n < 2 || *s != '\n' || (q = memchr(s + 1, '\n', n - 1)) == NULL)
		return -1;
	for (q++; q < e && *q == ' '; q++)
		;
	for (; q < e && *q >= '0' && *q <= '9' && want <= MAX_EXIF; q++)
		want = want * 10 + (unsigned long)(*q - '0');
	if (q == e || *q != '\n' || want == 0 || want > MAX_EXIF)
		return -1;
	for (q++; q < e && got < want; q++) {
		if (*q == '\n' || *q == ' ' || *q == '\r')
			continue;
		if ((v = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ?
		    *q - 'a' + 10 : *q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : -1) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			s[got++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (got != want)
		return -1;
	*len = got;
	return 0;
}

/* What a metadata chunk holds, as *kind (APP1's made EXIF or XMP) and
 * *len bytes, NUL-terminated: text inflated, a raw profile's hex read. */
static unsigned char *
png_payload(struct fh *fd, const struct png_meta *m, int *kind, size_t *len)
{
	static const char xmp_id[] = "http://ns.adobe.com/xap/1.0/";
	unsigned char *c, *p, *e, *plain;
	struct libdeflate_decompressor *dz;
	size_t n = m->len, got;
	int z = m->text == 'z', raw, i;

	c = xmalloc(n + 1);
	if (fh_pread(fd, c, n, m->at) != (ssize_t)n)
		goto bad;
	c[n] = '\0';
	if (m->text == 0) {
		*len = n;
		return c;
	}
	e = c + n;
	raw = strncmp((char *)c, RAW_PROFILE, sizeof(RAW_PROFILE) - 1) == 0;
	if ((p = memchr(c, '\0', n)) == NULL)	/* the keyword's end */
		goto bad;
	p++;
	if (m->text == 'i') {
		/* the flag, the method; the language tag and the translated
		 * keyword each end at a NUL */
		if (e - p < 2)
			goto bad;
		z = p[0];
		p += 2;
		for (i = 0; i < 2 && p != NULL; i++)
			if ((p = memchr(p, '\0', (size_t)(e - p))) != NULL)
				p++;
		if (p == NULL)
			goto bad;
	} else if (z) {
		if (p == e)
			goto bad;
		p++;	/* the method */
	}
	if (z) {
		plain = xmalloc(MAX_XMP + 1);
		dz = dz_take();
		if (libdeflate_zlib_decompress(dz, p, (size_t)(e - p), plain, MAX_XMP, &got) !=
		    LIBDEFLATE_SUCCESS)
			got = SIZE_MAX;
		dz_give(dz);
		free(c);
		if (got == SIZE_MAX) {
			free(plain);
			return NULL;
		}
		c = p = plain;
		e = p + got;
	}
	n = (size_t)(e - p);
	memmove(c, p, n);
	c[n] = '\0';
	if (raw && raw_profile(c, n, &n) < 0)
		goto bad;
	c[n] = '\0';
	if (*kind == PNG_APP1) {
		if (n > 6 && memcmp(c, "Exif\0\0", 6) == 0) {
			*kind = PNG_EXIF;
		} else if (n > sizeof(xmp_id) && memcmp(c, xmp_id, sizeof(xmp_id)) == 0) {
			*kind = PNG_XMP;
			n -= sizeof(xmp_id);
			memmove(c, c + sizeof(xmp_id), n + 1);
		} else {
			goto bad;
		}
	}
	*len = n;
	return c;
bad:
	free(c);
	return NULL;
}

/*
 * The date of the metadata chunks ms (n of them, in file order): the
 * first EXIF date, else the first XMP's; an EXIF date without a zone
 * takes one from the XMP's other dates (w). Each read when needed (a
 * Pixel's XMP is 73 KiB). 0, or -1.
 */
static int
png_dates(struct fh *fd, const struct png_meta *ms, size_t n, const int *kinds,
    int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char *p;
	size_t len, i;
	int kind, pass, rc = -1, dated = 0;

	for (pass = PNG_EXIF; pass <= PNG_XMP; pass++)
		for (i = 0; i < n; i++) {
			if (kinds[i] != pass && kinds[i] != PNG_APP1)
				continue;
			kind = kinds[i];
			if ((p = png_payload(fd, &ms[i], &kind, &len)) == NULL)
				continue;
			if (kind != pass) {
				free(p);
				continue;
			}
			if (pass == PNG_EXIF)
				dated = exif_bytes(p, len, utc, off, w) == 0;
			else if (!dated)
				rc = xmp_time((char *)p, len, utc, off, w);
			else
				xmp_zone((char *)p, len, w);
			free(p);
			if (pass == PNG_XMP ||
			    (dated && (w == NULL || (*off != OFFSET_UNKNOWN && w->known))))
				return dated ? 0 : rc;
			if (dated)
				break;
		}
	return dated ? 0 : rc;
}

/*
 * The chunks past the image data, found from the end of the last PNG_TAIL
 * bytes: IEND last, and before each chunk the one whose length ends it
 * there, its type four letters and its CRC checked (a PNG points nowhere
 * back; a false match passes a CRC-32 once in four billion; a crafted
 * file gets MAX_STEPS tries), up to the last IDAT. Walking the image data
 * forward would cost a read for each 8 KiB of it. A chunk not whole in
 * the tail is not found. Its metadata chunks in ms, in file order.
 */
#define PNG_TAIL	(64 << 10)

/* A chunk type is four ASCII letters. */
static int
chunk_type(const unsigned char *t)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z')))
			return 0;
	return 1;
}

static size_t
png_tail(struct fh *fd, off_t size, struct png_meta *ms, int *kinds)
{
	unsigned char *buf;
	size_t len = size - 8 < PNG_TAIL ? (size_t)(size - 8) : PNG_TAIL, end, p, n = 0, i;
	off_t base = size - (off_t)len;
	int steps, crcs = 0, kind;

	if (len < 12)
		return 0;
	buf = xmalloc(len);
	if (fh_pread(fd, buf, len, base) != (ssize_t)len ||
	    be32(buf + len - 12) != 0 || memcmp(buf + len - 8, "IEND", 4) != 0) {
		free(buf);
		return 0;
	}
	end = len - 12;
	for (steps = 0; steps < MAX_STEPS && end >= 12 && n < PNG_METAS; steps++) {
		for (p = end - 12 + 1; p-- > 0;)
			if (be32(buf + p) == end - p - 12 && chunk_type(buf + p + 4) &&
			    crcs++ < MAX_STEPS && libdeflate_crc32(0, buf + p + 4,
			    end - p - 8) == be32(buf + end - 4))
				break;
		if (p == (size_t)-1 || memcmp(buf + p + 4, "IDAT", 4) == 0)
			break;
		if ((kind = png_kind(buf + p + 4, buf + p + 8, end - p - 12)) != PNG_NONE) {
			ms[n].at = base + (off_t)p + 8;
			ms[n].len = (uint32_t)(end - p - 12);
			ms[n].text = buf[p + 4] == 'e' ? 0 : buf[p + 4];
			kinds[n++] = kind;
		}
		end = p;
	}
	free(buf);
	/* found last first */
	for (i = 0; i < n / 2; i++) {
		struct png_meta t = ms[i];
		int k = kinds[i];

		ms[i] = ms[n - 1 - i];
		kinds[i] = kinds[n - 1 - i];
		ms[n - 1 - i] = t;
		kinds[n - 1 - i] = k;
	}
	return n;
}

/* Which metadata chunk the one whose head (type and length n) is at h
 * is, its data at pos: a text chunk's keyword is read into h + 8. */
static int
chunk_meta(struct fh *fd, unsigned char *h, uint32_t n, off_t pos)
{
	size_t m = n < PNG_KEY ? n : PNG_KEY;

	if (memcmp(h + 4, "eXIf", 4) == 0)
		return n <= MAX_EXIF ? PNG_EXIF : PNG_NONE;
	if ((memcmp(h + 4, "tEXt", 4) != 0 && memcmp(h + 4, "zTXt", 4) != 0 &&
	    memcmp(h + 4, "iTXt", 4) != 0) || n > MAX_XMP ||
	    fh_pread(fd, h + 8, m, pos) != (ssize_t)m)
		return PNG_NONE;
	return png_kind(h + 4, h + 8, m);
}

/*
 * A PNG's date: its metadata chunks before the image data (where the PNG
 * extensions put them, and Apple, exiftool and mem-exif write them: an
 * iPhone's screenshot has only an XMP), else those past it (png_tail),
 * where some editors put them and exiftool reads them too.
 */
int
png_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char h[8 + PNG_KEY];
	struct png_meta ms[PNG_METAS];
	int kinds[PNG_METAS], steps, kind;
	off_t at = 8;
	uint32_t n;
	size_t nm = 0;

	if (size < 8 || fh_pread(fd, h, 8, 0) != 8 || memcmp(h, sig, 8) != 0)
		return -1;
	for (steps = 0; steps < MAX_STEPS && at + 12 <= size && nm < PNG_METAS; steps++) {
		if (fh_pread(fd, h, 8, at) != 8)
			break;
		n = be32(h);
		if ((off_t)n > size - at - 12 || memcmp(h + 4, "IDAT", 4) == 0)
			break;
		if ((kind = chunk_meta(fd, h, n, at + 8)) != PNG_NONE) {
			ms[nm].at = at + 8;
			ms[nm].len = n;
			ms[nm].text = h[4] == 'e' ? 0 : h[4];
			kinds[nm++] = kind;
		}
		at += 12 + (off_t)n;
	}
	if (png_dates(fd, ms, nm, kinds, utc, off, w) == 0)
		return 0;
	nm = png_tail(fd, size, ms, kinds);
	return png_dates(fd, ms, nm, kinds, utc, off, w);
}

/* An EBML number at p + *at (an ID with its length marker kept, or a size
 * with it taken off: all ones is "unknown"); *at moves past it. */
static int
vint(const unsigned char *p, size_t len, size_t *at, int keep, uint64_t *v)
{
	unsigned n = 1, i;
	int ones;

	if (*at >= len || p[*at] == 0)
		return -1;
	while (!(p[*at] & (0x80 >> (n - 1))))
		n++;
	if (n > len - *at)
		return -1;
	*v = keep ? p[*at] : p[*at] & (0xffu >> n);
	ones = *v == (0xffu >> n);
	for (i = 1; i < n; i++) {
		*v = *v << 8 | p[*at + i];
		ones = ones && p[*at + i] == 0xff;
	}
	*at += n;
	if (!keep && ones)
		*v = UINT64_MAX;
	return 0;
}

/*
 * In the first bytes of a Matroska file: the EBML header, the Segment
 * (its size may be unknown), and among its first elements Info, whose
 * DateUTC is nanoseconds from 2001-01-01 UTC. Exposed for the fuzzer.
 */
int
mkv_date(const unsigned char *p, size_t len, int64_t *utc)
{
	size_t at = 0, end = len, stop;
	uint64_t id, sz;
	int depth = 0, steps;

	for (steps = 0; steps < MAX_STEPS && at < end; steps++) {
		if (vint(p, end, &at, 1, &id) < 0 || vint(p, end, &at, 0, &sz) < 0)
			return -1;
		if (steps == 0 && id != 0x1a45dfa3)
			return -1;	/* not EBML */
		stop = sz == UINT64_MAX || sz > end - at ? end : at + (size_t)sz;
		if ((depth == 0 && id == 0x18538067) || (depth == 1 && id == 0x1549a966)) {
			depth++;	/* into the Segment, then its Info */
			end = stop;
			continue;
		}
		if (depth == 2 && id == 0x4461 && sz == 8 && stop - at == 8) {
			int64_t ns = (int64_t)((uint64_t)p[at] << 56 | (uint64_t)p[at + 1] << 48 |
			    (uint64_t)p[at + 2] << 40 | (uint64_t)p[at + 3] << 32 |
			    (uint64_t)p[at + 4] << 24 | (uint64_t)p[at + 5] << 16 |
			    (uint64_t)p[at + 6] << 8 | p[at + 7]);

			*utc = MKV_EPOCH + ns / 1000000000 - (ns % 1000000000 < 0);
			return 0;
		}
		if (sz == UINT64_MAX || id == 0x1f43b675)
			return -1;	/* a Cluster: the media begins */
		at = stop;
	}
	return -1;
}

int
mkv_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	size_t n = size < MKV_HEAD ? (size_t)size : MKV_HEAD;
	unsigned char *buf;
	int rc = -1;

	(void)w;	/* no place in Info */
	if (size < 4)
		return -1;
	buf = xmalloc(n);
	if (fh_pread(fd, buf, n, 0) == (ssize_t)n && mkv_date(buf, n, utc) == 0) {
		*off = OFFSET_UNKNOWN;
		rc = 0;
	}
	free(buf);
	return rc;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p + 4) << 32 | le32(p);
}

/*
 * An ASF file (WMV, WMA) begins with its Header object, whose File
 * Properties object holds the creation date: 100 ns steps from 1601 UTC,
 * exiftool's ASF:CreationDate (a tag Immich takes).
 */
int
asf_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	static const unsigned char header[16] = { 0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66,
	    0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c };
	static const unsigned char props[16] = { 0xa1, 0xdc, 0xab, 0x8c, 0x47, 0xa9,
	    0xcf, 0x11, 0x8e, 0xe4, 0x00, 0xc0, 0x0c, 0x20, 0x53, 0x65 };
	unsigned char h[56];
	uint64_t n, end, t;
	off_t at = 30;
	ssize_t r;
	int steps;

	(void)w;	/* no place in the File Properties */
	if (size < 30 || fh_pread(fd, h, 30, 0) != 30 || memcmp(h, header, 16) != 0)
		return -1;
	end = le64(h + 16) < (uint64_t)size ? le64(h + 16) : (uint64_t)size;
	for (steps = 0; steps < MAX_STEPS && (uint64_t)at + 24 <= end; steps++) {
		if ((r = fh_pread(fd, h, sizeof(h), at)) < 24)
			return -1;
		n = le64(h + 16);
		if (n < 24 || n > end - (uint64_t)at)
			return -1;
		if (memcmp(h, props, 16) == 0) {
			/* 0 is "unset"; past 2223 (as for QuickTime) is no date */
			t = r == (ssize_t)sizeof(h) ? le64(h + 48) / 10000000 : 0;
			if (t <= (uint64_t)ASF_EPOCH || t > (uint64_t)ASF_EPOCH + 8000000000ULL)
				return -1;
			*utc = (int64_t)t - ASF_EPOCH;
			*off = OFFSET_UNKNOWN;
			return 0;
		}
		at += (off_t)n;
	}
	return -1;
}

/* A GIF read forward through a window, a block's bytes at a time. */
struct gif {
	struct fh *fd;
	off_t	 size, base;	/* the window holds [base, base + len) */
	size_t	 len;
	unsigned char buf[GIF_WINDOW];
};

/* The byte at off, or -1 past the end or on a read error. */
static int
gif_byte(struct gif *g, off_t off)
{
	ssize_t r;

	if (off < g->base || off >= g->base + (off_t)g->len) {
		if (off >= g->size || (r = fh_pread(g->fd, g->buf, sizeof(g->buf), off)) <= 0)
			return -1;
		g->base = off;
		g->len = (size_t)r;
	}
	return g->buf[off - g->base];
}

/* The date of the XMP packet that starts at from and runs to the end (its
 * magic trailer and the GIF's after it: xmp_time looks for properties). */
static int
gif_xmp(struct fh *fd, off_t size, off_t from, int64_t *utc, int32_t *off, struct where *w)
{
	size_t n = size - from > MAX_XMP ? MAX_XMP : (size_t)(size - from);
	char *x = (char *)fh_bytes(fd, size, (uint64_t)from, n);
	int rc = x != NULL ? xmp_time(x, n, utc, off, w) : -1;

	free(x);
	return rc;
}

/*
 * A GIF's XMP (an application extension "XMP DataXMP", an editor's:
 * exiftool reads it, and so Immich): its packet lies raw after the
 * identifier, ended by a "magic trailer" that makes it read as
 * sub-blocks. exiftool writes it among the extensions before the first
 * image, others past the last one, before the GIF's trailer: the blocks
 * before the first image are walked, then the last GIF_TAIL bytes looked
 * through. The frames are not read: an animation may take tens of MB, and
 * a GIF without XMP would cost them all.
 */
int
gif_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	static const char id[] = "\x21\xff\x0bXMP DataXMP";
	struct gif *g = xcalloc(1, sizeof(*g));
	off_t at = 13, from;
	int n, steps = 0, rc = -1;
	const char *hit;
	char *tail;
	size_t len;

	g->fd = fd;
	g->size = size;
	if (size < 13 || gif_byte(g, 0) < 0 || g->len < 13 || memcmp(g->buf, "GIF8", 4) != 0)
		goto out;
	if (g->buf[10] & 0x80)		/* the global color table */
		at += 3 << ((g->buf[10] & 7) + 1);
	/* the extensions before the first image: each a label, then its
	 * sub-blocks (a length byte, then that many bytes; 0 ends them) */
	while (gif_byte(g, at) == 0x21 && steps++ < MAX_STEPS) {
		for (n = 1; n < (int)sizeof(id) - 1 && gif_byte(g, at + n) == (unsigned char)id[n]; n++)
			;
		if (n == (int)sizeof(id) - 1) {
			rc = gif_xmp(fd, size, at + 14, utc, off, w);
			goto out;
		}
		for (at += 2; (n = gif_byte(g, at)) > 0 && steps++ < MAX_STEPS * 64; at += 1 + n)
			;
		if (n != 0)
			goto out;
		at++;
	}
	from = size > GIF_TAIL ? size - GIF_TAIL : 0;
	len = (size_t)(size - from);
	tail = xmalloc(len);
	if (fh_pread(fd, tail, len, from) == (ssize_t)len &&
	    (hit = memmem(tail, len, id, sizeof(id) - 1)) != NULL)
		rc = gif_xmp(fd, size, from + (hit - tail) + 14, utc, off, w);
	free(tail);
out:
	free(g);
	return rc;
}
