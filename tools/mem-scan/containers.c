/*
 * containers.c -- the dates that formats of chunks and elements carry, as
 * exiftool reads them (and so Immich, which takes exiftool's tags):
 *   AVI	the RIFF IDIT chunk, the camera's wall clock (RIFF:DateTimeOriginal)
 *   WebP	the EXIF chunk's DateTimeOriginal (+OffsetTimeOriginal)
 *   PNG	the eXIf chunk's, likewise
 *   Matroska, WebM	the Info element's DateUTC, an instant in UTC
 *   WMV, ASF	the File Properties object's creation date, in UTC
 * Each walks its file with small preads, bounded in steps: these read
 * whatever a user's folder holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-scan.h"

#define MAX_STEPS	1024		/* chunks or elements looked at in a file */
#define MAX_EXIF	(1 << 20)	/* an EXIF chunk's bytes read */
#define MAX_XMP		(1 << 20)	/* a PNG's XMP chunk's */
#define MKV_HEAD	(64 << 10)	/* Matroska's Info lies in its first KiB */
#define MKV_EPOCH	978307200LL	/* 2001-01-01T00:00:00Z */
#define ASF_EPOCH	11644473600LL	/* 1601-01-01 to 1970-01-01, seconds */

/* The date of the n bytes of an EXIF chunk at pos: a TIFF structure, with
 * "Exif\0\0" before it or not (WebP writers differ). */
static int
exif_chunk(struct fh *fd, off_t pos, uint32_t n, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char *blk;
	int rc = -1;

	if (n < 8 || n > MAX_EXIF)
		return -1;
	blk = xmalloc(n);
	if (fh_pread(fd, blk, n, pos) == (ssize_t)n)
		rc = n > 6 && memcmp(blk, "Exif\0\0", 6) == 0 ?
		    exif_time(blk, n, utc, off, w) : tiff_block_time(blk, n, utc, off, w);
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
		} else if (memcmp(h, "EXIF", 4) == 0 && depth == 0) {
			return exif_chunk(fd, at + 8, n, utc, off, w);
		}
	}
	return -1;
}

int
riff_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char h[12];
	int steps = MAX_STEPS;

	if (size < 12 || fh_pread(fd, h, 12, 0) != 12 || memcmp(h, "RIFF", 4) != 0 ||
	    (memcmp(h + 8, "AVI ", 4) != 0 && memcmp(h + 8, "WEBP", 4) != 0))
		return -1;
	return riff_walk(fd, 12, size, 0, &steps, utc, off, w);
}

/*
 * A PNG's eXIf chunk, looked for among the chunks before the image data
 * (where the PNG extensions put it, and Apple, exiftool and mem-exif
 * write it); without a date there, its XMP (an iTXt chunk, keyword
 * "XML:com.adobe.xmp", not compressed): an iPhone's screenshot has only
 * that. Apple's readers take no XMP past IDAT, and exiftool writes it
 * before; it is looked for there too. An eXIf date without a zone may
 * take one from the XMP's other dates (w).
 */
int
png_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const char key[] = "XML:com.adobe.xmp";
	unsigned char h[8 + sizeof(key) + 1];
	char *x, *text;
	off_t at = 8, xmp = 0;
	uint32_t n, xlen = 0;
	size_t skip;
	int steps, rc, dated = 0;

	if (size < 8 || fh_pread(fd, h, 8, 0) != 8 || memcmp(h, sig, 8) != 0)
		return -1;
	for (steps = 0; steps < MAX_STEPS && at + 12 <= size; steps++) {
		if (fh_pread(fd, h, 8, at) != 8)
			break;
		n = be32(h);
		if ((off_t)n > size - at - 12 || memcmp(h + 4, "IDAT", 4) == 0)
			break;
		if (memcmp(h + 4, "eXIf", 4) == 0 && !dated &&
		    exif_chunk(fd, at + 8, n, utc, off, w) == 0) {
			if (w == NULL || *off != OFFSET_UNKNOWN)
				return 0;
			dated = 1;
		}
		/* the keyword, its NUL and the compression flag (0: none) */
		if (memcmp(h + 4, "iTXt", 4) == 0 && xmp == 0 && n > sizeof(key) + 1 &&
		    n <= MAX_XMP && fh_pread(fd, h + 8, sizeof(key) + 1, at + 8) ==
		    (ssize_t)sizeof(key) + 1 && memcmp(h + 8, key, sizeof(key)) == 0 &&
		    h[8 + sizeof(key)] == 0) {
			xmp = at + 8;
			xlen = n;
		}
		at += 12 + (off_t)n;
	}
	if (xmp == 0)
		return dated ? 0 : -1;
	x = xmalloc(xlen + 1);
	if (fh_pread(fd, x, xlen, xmp) != (ssize_t)xlen) {
		free(x);
		return dated ? 0 : -1;
	}
	x[xlen] = '\0';
	/* past the keyword, the flag, the method, the language tag and the
	 * translated keyword (each of the last two ends at a NUL) */
	text = x + sizeof(key) + 2;
	for (skip = 0; skip < 2 && text != NULL; skip++)
		if ((text = memchr(text, '\0', (size_t)(x + xlen - text))) != NULL)
			text++;
	if (dated) {
		if (text != NULL)
			xmp_zone(text, (size_t)(x + xlen - text), w);
		rc = 0;
	} else {
		rc = text != NULL ? xmp_time(text, (size_t)(x + xlen - text), utc, off, w) : -1;
	}
	free(x);
	return rc;
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
