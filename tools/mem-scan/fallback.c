/*
 * fallback.c -- the capture time a file carries itself, for media that no
 * platform metadata dates: EXIF DateTimeOriginal (+OffsetTimeOriginal) in a
 * JPEG's EXIF segment, a HEIF's Exif item, a TIFF's (DNG's, a camera raw's)
 * own IFDs or a PNG's or WebP's EXIF chunk (containers.c), else an older
 * camera's own (CIFF: a CRW, a PowerShot JPEG; Casio's QVCI, APP12
 * picture info, a Reconyx maker note); an AVI's IDIT,
 * an AVCHD video's MDPM (mts.c), a Matroska file's DateUTC; a video's
 * Apple creationdate (with its offset) or QuickTime mvhd creation time; a
 * date in the file name, and last the mtime. The record's time_source says
 * which one. A photo's EXIF GPS position is read with its date when asked.
 */
#define _GNU_SOURCE	/* memmem */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"

#define MAX_HEADERS 256	/* segments before the EXIF one: XMP may take 100 */
#define MAX_SIDECAR (16 << 20)	/* a user's XMP sidecar: Lightroom's hold a few KiB */
#define TAG_EXIF_IFD 0x8769
#define TAG_GPS_IFD 0x8825
#define GPS_LAT_REF 1		/* "N" or "S", then three rationals: */
#define GPS_LAT 2		/* degrees, minutes, seconds */
#define GPS_LON_REF 3
#define GPS_LON 4
#define GPS_TIME 7		/* UTC: three rationals, hours to seconds */
#define GPS_DATE 0x1d		/* UTC: "YYYY:MM:DD" */
#define TAG_DATE_TIME_ORIGINAL 0x9003
#define TAG_CREATE_DATE 0x9004		/* DateTimeDigitized, exiftool's CreateDate */
#define TAG_OFFSET_TIME_ORIGINAL 0x9011	/* EXIF 2.31 */
#define TAG_OFFSET_TIME_DIGITIZED 0x9012
#define TAG_SUBSEC_ORIGINAL 0x9291
#define TAG_SUBSEC_DIGITIZED 0x9292
#define TAG_TIME_ZONE_OFFSET 0x882a	/* int16s: hours; a second, ModifyDate's */
#define TAG_MAKE 0x010f
#define TAG_XMP 0x02bc		/* a TIFF's XMP packet, in IFD0 */
#define TAG_IPTC 0x83bb		/* a TIFF's IPTC datasets, bare */
#define TAG_PHOTOSHOP 0x8649	/* a TIFF's image resources (IPTC among them) */
#define TAG_MAKER_NOTE 0x927c
#define CANON_TIME_INFO 0x0035	/* in Canon's maker note: int32s[4], [1] the zone */
#define NIKON_WORLD_TIME 0x0024	/* in Nikon's: int16s zone, int8u summer time */
#define XMP_ID "http://ns.adobe.com/xap/1.0/"	/* a JPEG's XMP segment, and */
#define XMP_NS_EXIF "http://ns.adobe.com/exif/1.0/"	/* DateTimeOriginal's, */
#define XMP_NS_XMP XMP_ID				/* CreateDate's namespace */
#define XMP_NS_PHOTOSHOP "http://ns.adobe.com/photoshop/1.0/"
#define XMP_NS_PDF "http://ns.adobe.com/pdf/1.3/"
#define XMP_EXT "http://ns.adobe.com/xmp/extension/"	/* XMP too long for one
						 * segment: a GUID, the
						 * whole length, this
						 * piece's offset */
#define XMP_EXT_HEAD (sizeof(XMP_EXT) + 32 + 8)
#define XMP_NS_NOTE "http://ns.adobe.com/xmp/note/"	/* HasExtendedXMP: the GUID */
#define IPTC_NONE 256	/* no dataset's number (they are bytes) */
#define XMP_EXT_PIECES 64	/* 4 MiB: Lightroom's are a few KiB */
#define IRB_ID "Photoshop 3.0"	/* a JPEG's APP13 image resources, and */
#define IRB_IPTC 0x0404		/* among them IPTC's IIM datasets */
#define QT_EPOCH_DELTA 2082844800LL	/* 1904-01-01 to 1970-01-01 */

/* An ASCII tag of the IFD at ifd, NUL-terminated in buf; 0, or -1. */
static int
exif_string(const struct tiff *t, uint32_t ifd, unsigned tag, char *buf, size_t size)
{
	const unsigned char *e = tiff_entry(t, ifd, tag), *v;
	size_t n;

	if (e == NULL || tiff_get16(t, e + 2) != TIFF_ASCII ||
	    (v = tiff_value(t, e, &n)) == NULL || n == 0)
		return -1;
	n = n < size - 1 ? n : size - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/*
 * The offsets exiftool-vendored takes for a zone, in minutes (its
 * ValidTimezoneOffsets: neither the archaic ones, +01:30, +02:30..., nor
 * Baker Island's -12:00). A date written with another ("2016:08:12
 * 13:28:50+01:30", exiftool's composite of a date and its offset tag) is
 * no date to it: Immich passes over it to its next date tag, and with
 * none shows the file's mtime (the real server does so with +01:30,
 * -12:00, +02:30 and +03:17).
 */
static const int16_t zones[] = {
	-660, -600, -570, -540, -510, -480, -420, -360, -300, -240, -210, -180,
	-150, -120, -60, 0, 60, 120, 180, 210, 240, 270, 300, 330, 345, 360, 390,
	420, 480, 510, 525, 540, 570, 585, 600, 630, 660, 720, 765, 780, 825, 840
};

int
real_zone(int32_t min)
{
	size_t i;

	for (i = 0; i < LEN(zones); i++)
		if (zones[i] == min)
			return 1;
	return 0;
}

/* A date of a file's XMP, IPTC or QuickTime tags as exiftool-vendored
 * parses it: one with an offset not in use is none. 0, or -1. */
static int
tag_time(const char *s, int64_t *utc, int32_t *off)
{
	return time_parse(s, utc, off) == 0 && (*off == OFFSET_UNKNOWN || real_zone(*off)) ?
	    0 : -1;
}

/*
 * A date tag of an Exif IFD of a TIFF structure, maybe cut short (-1 when
 * what it needs lies past the cut): the camera's wall clock. Its offset
 * tag, when present, says which zone that was (exiftool's SubSec
 * composites, which Immich reads, join the two). Without it the offset
 * stays unknown and the wall clock is stored as if UTC (docs/design.md:
 * never the machine's local time). 0; 1 when its offset is no zone in
 * use (zones[]), which makes the date none to Immich: then its wall
 * clock, of no zone; or -1.
 */
static int
ifd_date(const struct tiff *t, uint32_t ifd, unsigned date, unsigned zone, int64_t *utc,
    int32_t *off)
{
	char dt[32], ot[16], s[64];
	int32_t o;

	if (exif_string(t, ifd, date, dt, sizeof(dt)) < 0 || strncmp(dt, "0000", 4) == 0)
		return -1;
	if (exif_string(t, ifd, zone, ot, sizeof(ot)) == 0 && (ot[0] == '+' || ot[0] == '-'))
		snprintf(s, sizeof(s), "%.19s%s", dt, ot);
	else
		snprintf(s, sizeof(s), "%.19s", dt);
	if (time_parse(s, utc, &o) < 0 && time_parse(dt, utc, &o) < 0)
		return -1;
	if (o != OFFSET_UNKNOWN && !real_zone(o)) {
		*utc += (int64_t)o * 60;	/* the wall clock */
		*off = OFFSET_UNKNOWN;
		return 1;
	}
	*off = o;
	return 0;
}

/* An offset tag of an Exif IFD ("+09:00") as a zone, in minutes: 0, or -1
 * (none, or no zone: exiftool-vendored then takes the next zone tag). */
static int
offset_tag(const struct tiff *t, uint32_t ifd, unsigned tag, int32_t *z)
{
	char ot[16];
	int h, m, n = 0;

	if (exif_string(t, ifd, tag, ot, sizeof(ot)) < 0 || (ot[0] != '+' && ot[0] != '-') ||
	    sscanf(ot + 1, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5 || m > 59)
		return -1;
	*z = (ot[0] == '-' ? -1 : 1) * (h * 60 + m);
	return real_zone(*z) ? 0 : -1;
}

/*
 * EXIF's TimeZoneOffset, older cameras' zone (in the Exif IFD, or IFD0
 * where some put it): whole hours east of UTC, where exiftool-vendored
 * takes an hour for one (UTC-11 to UTC+14). With a second value
 * (ModifyDate's) exiftool prints the two as one string ("9 8", "-5 -4"),
 * in which exiftool-vendored finds a zone only at its end, signed: the
 * second value, when negative (the real server shows "9 8" at UTC, "-5
 * -4" at UTC-4). 0 with *z, or -1.
 */
static int
hours_tag(const struct tiff *t, uint32_t ifd, int32_t *z)
{
	const unsigned char *e = tiff_entry(t, ifd, TAG_TIME_ZONE_OFFSET), *v;
	unsigned type;
	size_t n;
	int h;

	if (e == NULL || ((type = tiff_get16(t, e + 2)) != TIFF_SSHORT && type != TIFF_SHORT) ||
	    (v = tiff_value(t, e, &n)) == NULL || (n != 2 && n != 4))
		return -1;
	h = (int)tiff_get16(t, v + n - 2);
	if (type == TIFF_SSHORT)
		h = (int16_t)h;
	if (h < -11 || h > 14 || (n == 4 && h >= 0))
		return -1;
	*z = h * 60;
	return 0;
}

static int maker_zone(const struct tiff *t, uint32_t exif, int32_t *z, struct where *w);

/*
 * The zone exiftool-vendored gives a file from its zone tags, which Immich
 * shows every date of the file at: the first of the maker note's
 * TimeZone (mz when read elsewhere: a CR3's), OffsetTimeOriginal,
 * OffsetTimeDigitized and TimeZoneOffset. 0 with *z, or -1.
 */
static int
zone_tags(const struct tiff *t, uint32_t ifd, const int32_t *mz, int32_t *z, struct where *w)
{
	if (mz != NULL) {
		*z = *mz;
		return 0;
	}
	return maker_zone(t, ifd, z, w) == 0 ||
	    offset_tag(t, ifd, TAG_OFFSET_TIME_ORIGINAL, z) == 0 ||
	    offset_tag(t, ifd, TAG_OFFSET_TIME_DIGITIZED, z) == 0 ||
	    hours_tag(t, ifd, z) == 0 || hours_tag(t, tiff_get32(t, t->p + 4), z) == 0 ? 0 : -1;
}

/* Whether exiftool makes a SubSec composite of a date: it has its
 * SubSecTime tag or its OffsetTime tag. */
static int
subsec(const struct tiff *t, uint32_t ifd, unsigned subsec_tag, unsigned offset_tag)
{
	return tiff_entry(t, ifd, subsec_tag) != NULL || tiff_entry(t, ifd, offset_tag) != NULL;
}

/* Six numbers of a date, year first, as one wall clock: 0, or -1. */
static int
wall_of(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
    int64_t *utc, int32_t *off)
{
	char buf[64];

	if (y == 0 || y > 9999)
		return -1;
	snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02u", y, mo, d, h, mi, s);
	return time_parse(buf, utc, off);
}

/*
 * The date a Reconyx trail camera keeps in its maker note, and not in its
 * EXIF, which exiftool reads as DateTimeOriginal (below EXIF's): six
 * little-endian numbers, seconds first, whatever the EXIF's byte order, or
 * bytes in an UltraFire's; where, and in which order, the note's head says
 * (exiftool's Reconyx module). A wall clock: 0, or -1.
 */
static int
reconyx_date(const struct tiff *t, uint32_t exif, int64_t *utc, int32_t *off)
{
	const unsigned char *e, *v;
	char make[16];
	unsigned a[7];
	size_t n, at, i;
	int hf2;

	if ((e = tiff_entry(t, exif, TAG_MAKER_NOTE)) == NULL ||
	    (v = tiff_value(t, e, &n)) == NULL || n < 4)
		return -1;
	if (n >= 0x3b + 7 && memcmp(v, "RECONYXUF\0", 10) == 0) {
		for (i = 0; i < 7; i++)
			a[i] = v[0x3b + i];
		return wall_of(a[5] + a[6] * 256, a[4], a[3], a[2], a[1], a[0], utc, off);
	}
	if ((hf2 = n >= 10 && memcmp(v, "RECONYXH2\0", 10) == 0))
		at = 0x3e;
	else if (v[0] == 0x01 && v[1] == 0xf1 && (((v[2] == 2 || v[2] == 3) && v[3] == 0) ||
	    (exif_string(t, tiff_get32(t, t->p + 4), TAG_MAKE, make, sizeof(make)) == 0 &&
	    strcmp(make, "RECONYX") == 0)))
		at = 0x16;	/* a HyperFire's */
	else
		return -1;
	if (n < at + 12)
		return -1;
	for (i = 0; i < 6; i++)
		a[i] = v[at + 2 * i] | (unsigned)v[at + 2 * i + 1] << 8;
	if (hf2)
		return wall_of(a[5], a[4], a[3], a[2], a[1], a[0], utc, off);
	/* a HyperFire that wrote them big-endian: exiftool swaps them back */
	if ((a[0] & 0xff00) && !(a[0] & 0xff))
		for (i = 0; i < 6; i++)
			a[i] = a[i] >> 8 | (a[i] & 0xff) << 8;
	return wall_of(a[5], a[3], a[4], a[2], a[1], a[0], utc, off);
}

/*
 * DateTimeOriginal, else CreateDate (when it was digitized: a scan's, an
 * edited copy's), in Immich's order: exiftool's SubSec composites first (a
 * date with its SubSecTime or its OffsetTime tag), so a CreateDate with one
 * before a DateTimeOriginal without. Without EXIF's DateTimeOriginal, a
 * Reconyx maker note's is exiftool's, and has no composite. w learns which
 * of them there are (exiftool's MWG dates take XMP's and IPTC's only in
 * the EXIF dates' place), and the zone tags' zone (mz: the maker note's,
 * read elsewhere). The date's own offset tag places its instant; the zone
 * tags' zone is the offset it is shown at, and places a date without one.
 * A date whose offset is no zone in use is passed over, as Immich passes
 * over it, and only without another taken for its wall clock (w->junk).
 */
static int
ifd_time(const struct tiff *t, uint32_t ifd, const int32_t *mz, int64_t *utc, int32_t *off,
    struct where *w)
{
	int64_t du, cu;
	int32_t dof, co, z;
	int dto, maker, create, zoned, rd, rc;

	rd = ifd_date(t, ifd, TAG_DATE_TIME_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL, &du, &dof);
	if ((dto = rd == 0)) {
		*utc = du;
		*off = dof;
	}
	maker = !dto && reconyx_date(t, ifd, utc, off) == 0;
	rc = ifd_date(t, ifd, TAG_CREATE_DATE, TAG_OFFSET_TIME_DIGITIZED, &cu, &co);
	create = rc == 0;
	if (create && ((!dto && !maker) ||
	    ((maker || !subsec(t, ifd, TAG_SUBSEC_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL)) &&
	    subsec(t, ifd, TAG_SUBSEC_DIGITIZED, TAG_OFFSET_TIME_DIGITIZED)))) {
		*utc = cu;
		*off = co;
	}
	zoned = zone_tags(t, ifd, mz, &z, w) == 0;
	if (w != NULL) {
		w->dto = dto;
		w->create = create;
		if (zoned) {
			w->has_tz = 1;
			w->tz = z;
		}
	}
	if (!dto && !maker && !create) {
		if (rd != 1 && rc != 1)
			return -1;
		/* only dates whose offset is no zone: Immich reads none and
		 * shows the mtime mem-exif gives the output, the record's
		 * time; their wall clock is that, as any without a zone */
		*utc = rd == 1 ? du : cu;
		*off = OFFSET_UNKNOWN;
		if (w != NULL)
			w->junk = 1;
		return 0;
	}
	if (zoned) {
		if (*off == OFFSET_UNKNOWN)
			*utc -= (int64_t)z * 60;
		*off = z;
	}
	return 0;
}

/* Three rationals of a GPS tag (degrees, minutes, seconds; or hours,
 * minutes, seconds) as one number of the first unit, signed rationals too
 * (a Nokia 8.3 writes them); 0, or -1. */
static int
gps_sexagesimal(const struct tiff *t, uint32_t gps, unsigned tag, double *v)
{
	const unsigned char *e = tiff_entry(t, gps, tag), *p;
	uint32_t num, den;
	unsigned type;
	size_t n;
	int i;

	if (e == NULL ||
	    ((type = tiff_get16(t, e + 2)) != TIFF_RATIONAL && type != TIFF_SRATIONAL) ||
	    (p = tiff_value(t, e, &n)) == NULL || n < 24)
		return -1;
	*v = 0;
	for (i = 2; i >= 0; i--) {
		num = tiff_get32(t, p + 8 * i);
		den = tiff_get32(t, p + 8 * i + 4);
		if (den == 0)
			return -1;
		*v = *v / 60 + (type == TIFF_RATIONAL ? (double)num / den :
		    (double)(int32_t)num / (int32_t)den);
	}
	return 0;
}

/* A GPS coordinate: its reference letter (pos or neg) and its three
 * rationals; 0, or -1. */
static int
gps_coord(const struct tiff *t, uint32_t gps, unsigned reftag, unsigned tag, char pos,
    char neg, double *v)
{
	char ref[4];

	if (exif_string(t, gps, reftag, ref, sizeof(ref)) < 0 ||
	    (ref[0] != pos && ref[0] != neg) || gps_sexagesimal(t, gps, tag, v) < 0)
		return -1;
	if (ref[0] == neg)
		*v = -*v;
	return 0;
}

/* The GPS clock: its date and time stamps, an instant in UTC; 0, or -1. */
static int
gps_clock(const struct tiff *t, uint32_t gps, int64_t *utc)
{
	char date[16], s[48];
	double h;
	int secs;
	int32_t off;

	if (exif_string(t, gps, GPS_DATE, date, sizeof(date)) < 0 || strlen(date) != 10 ||
	    gps_sexagesimal(t, gps, GPS_TIME, &h) < 0 || !(h >= 0 && h < 24))
		return -1;
	secs = (int)lround(h * 3600);
	if (secs >= 86400)
		secs = 86399;	/* 23:59:59.6 is that day's, not the next's */
	snprintf(s, sizeof(s), "%.4s-%.2s-%.2sT%02d:%02d:%02dZ", date, date + 5, date + 8,
	    secs / 3600, secs / 60 % 60, secs % 60);
	return time_parse(s, utc, &off);
}

/* Where the GPS IFD at gps places the photo, and its clock, in w. */
static void
gps_where(const struct tiff *t, uint32_t gps, struct where *w)
{
	double lat, lon;

	if (!w->has_clock && gps_clock(t, gps, &w->clock) == 0)
		w->has_clock = 1;
	if (w->known ||
	    gps_coord(t, gps, GPS_LAT_REF, GPS_LAT, 'N', 'S', &lat) < 0 ||
	    gps_coord(t, gps, GPS_LON_REF, GPS_LON, 'E', 'W', &lon) < 0 ||
	    !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
		return;
	w->known = 1;
	w->lat = lat;
	w->lon = lon;
}

/* Where the GPS IFD that IFD0 points to places the photo, and its clock,
 * if asked. */
static void
tiff_where(const struct tiff *t, struct where *w)
{
	const unsigned char *e;
	uint32_t ifd0, gps;

	if (w == NULL || (w->known && w->has_clock))
		return;
	ifd0 = tiff_get32(t, t->p + 4);
	if ((e = tiff_entry(t, ifd0, TAG_GPS_IFD)) == NULL) {
		/* IFD0 whole and no GPS IFD: nothing to look for further */
		w->none = tiff_ifd_count(t, ifd0) >= 0;
		return;
	}
	if (tiff_pointer(t, e, &gps))
		gps_where(t, gps, w);
}

/* Canon's TimeInfo in the maker-note IFD at `at` of t, whose offsets an
 * editor moved by `moved`: 0 with *z, -1 for none, 1 when the IFD or the
 * value lies past the bytes at hand. */
static int
canon_zone(const struct tiff *t, uint32_t at, int64_t moved, int32_t *z)
{
	const unsigned char *e;
	uint32_t vo;

	if ((e = tiff_entry(t, at, CANON_TIME_INFO)) == NULL)
		return tiff_ifd_count(t, at) >= 0 ? -1 : 1;	/* whole: none */
	if ((tiff_get16(t, e + 2) != TIFF_LONG && tiff_get16(t, e + 2) != TIFF_SLONG) ||
	    tiff_get32(t, e + 4) < 2)
		return -1;
	vo = tiff_get32(t, e + 8);
	if ((int64_t)vo + moved < 0 || (int64_t)vo + moved + 8 > (int64_t)t->len)
		return 1;
	*z = (int32_t)tiff_get32(t, t->p + vo + moved + 4);
	return 0;
}

/*
 * The zone a Canon's or a Nikon's maker note keeps (Canon's TimeInfo,
 * Nikon's WorldTime: minutes east of UTC, and a Nikon's summer time an hour
 * more), which exiftool calls TimeZone and exiftool-vendored takes first
 * for the photo's zone (a date's own offset tag still places its instant).
 * A maker note longer than the bytes at hand (a raw's holds its preview)
 * is read from its head, where the zone is. 0 with *z, or -1; w->more
 * when the zone lies past the bytes at hand.
 */
static int
maker_zone(const struct tiff *t, uint32_t exif, int32_t *z, struct where *w)
{
	const unsigned char *e, *v, *tv;
	char make[64];
	struct tiff mt;
	size_t n, tn;
	uint32_t at;
	int32_t tz;
	int cut = 0;

	if (exif_string(t, tiff_get32(t, t->p + 4), TAG_MAKE, make, sizeof(make)) < 0 ||
	    (e = tiff_entry(t, exif, TAG_MAKER_NOTE)) == NULL)
		return -1;
	if (strncmp(make, "Canon", 5) != 0 && strncasecmp(make, "NIKON", 5) != 0)
		return -1;
	if ((v = tiff_value(t, e, &n)) == NULL) {
		if (tiff_type_size(tiff_get16(t, e + 2)) == 0)
			return -1;
		cut = 1;
		if (n <= 4 || (at = tiff_get32(t, e + 8)) >= t->len)
			goto more;
		v = t->p + at;
		n = t->len - at;
	}
	if (make[0] == 'C') {
		/* an IFD, its offsets the EXIF's; but an editor that moved
		 * it left them as they were, and its footer ("II*\0" and
		 * where it was) says by how much (exiftool's FixBase) */
		uint32_t was;
		int64_t moved = 0;
		int rc;

		at = (uint32_t)(v - t->p);
		if (!cut && n >= 8 && (memcmp(v + n - 8, "II*\0", 4) == 0 ||
		    memcmp(v + n - 8, "MM\0*", 4) == 0) && (was = tiff_get32(t, v + n - 4)) != 0)
			moved = (int64_t)at - was;
		if ((rc = canon_zone(t, at, moved, &tz)) < 0)
			return -1;
		if (rc > 0)
			goto more;
	} else {
		/* "Nikon\0", a version, then a TIFF structure of its own */
		uint32_t ifd;

		if (n < 18 || memcmp(v, "Nikon\0\2", 7) != 0 || tiff_init(&mt, v + 10, n - 10) < 0)
			goto more;
		ifd = tiff_get32(&mt, mt.p + 4);
		if ((e = tiff_entry(&mt, ifd, NIKON_WORLD_TIME)) == NULL) {
			if (tiff_ifd_count(&mt, ifd) >= 0)
				return -1;	/* the IFD is whole: none */
			goto more;
		}
		if ((tv = tiff_value(&mt, e, &tn)) == NULL || tn < 3)
			goto more;
		tz = (int16_t)tiff_get16(&mt, tv) + (tv[2] ? 60 : 0);
	}
	if (!real_zone(tz))
		return -1;
	*z = tz;
	return 0;
more:
	/* not in the head at hand: maybe past it */
	if (cut && w != NULL)
		w->more = 1;
	return -1;
}

/* The same of the Exif IFD that IFD0 points to, and where (w). */
static int
tiff_time(const struct tiff *t, int64_t *utc, int32_t *off, struct where *w)
{
	const unsigned char *e;
	uint32_t exif;

	tiff_where(t, w);
	if ((e = tiff_entry(t, tiff_get32(t, t->p + 4), TAG_EXIF_IFD)) == NULL ||
	    !tiff_pointer(t, e, &exif))
		return -1;
	return ifd_time(t, exif, NULL, utc, off, w);
}

/* The date of an EXIF block: "Exif\0\0" and a TIFF structure. */
int
exif_time(const unsigned char *blk, size_t len, int64_t *utc, int32_t *off, struct where *w)
{
	struct tiff t;
	const char *why;

	return tiff_open(&t, blk, len, &why) < 0 ? -1 : tiff_time(&t, utc, off, w);
}

/* The date of a bare TIFF structure (a PNG's eXIf, most WebPs' EXIF). */
int
tiff_block_time(const unsigned char *blk, size_t len, int64_t *utc, int32_t *off,
    struct where *w)
{
	struct tiff t;

	return tiff_init(&t, blk, len) < 0 ? -1 : tiff_time(&t, utc, off, w);
}

/*
 * Olympus (ORF) and Panasonic (RW2, RWL, RAW) raws are TIFF structures
 * with a magic number of their own: made TIFF's in a copy of the header.
 */
static void
raw_magic(unsigned char *p, size_t n)
{
	if (n < 4)
		return;
	if (memcmp(p, "IIRO", 4) == 0 || memcmp(p, "IIRS", 4) == 0 ||
	    memcmp(p, "IIU\0", 4) == 0)
		memcpy(p, "II\x2a\0", 4);
	else if (memcmp(p, "MMOR", 4) == 0)
		memcpy(p, "MM\0\x2a", 4);
}

static int later_time(const unsigned char *iptc, size_t ilen, const char *const x[2],
    const size_t xlen[2], int64_t *utc, int32_t *off);
static void later_where(int rc, int dated, const unsigned char *iptc, size_t ilen,
    const char *const x[2], const size_t xlen[2], int64_t *utc, int32_t *off,
    struct where *w);

/*
 * The XMP and IPTC of a TIFF structure's IFD0 (a scan's, as Photoshop,
 * Lightroom or exiftool leave them): without an EXIF date (rc -1), the
 * dates past EXIF's in Immich's order, as in a JPEG; what they tell of the
 * zone in any case. The IPTC tag's datasets are bare; image resources
 * hold them otherwise. rc, or 0 for a date found.
 */
static int
tiff_later(const struct tiff *t, int rc, int64_t *utc, int32_t *off, struct where *w)
{
	uint32_t ifd0 = tiff_get32(t, t->p + 4);
	const unsigned char *e, *iptc = NULL;
	const char *x[2] = { NULL, NULL };
	size_t xlen[2] = { 0, 0 }, ilen = 0;
	int dated = rc == 0;

	if ((e = tiff_entry(t, ifd0, TAG_XMP)) != NULL)
		x[0] = (const char *)tiff_value(t, e, &xlen[0]);
	if ((e = tiff_entry(t, ifd0, TAG_IPTC)) != NULL ||
	    (e = tiff_entry(t, ifd0, TAG_PHOTOSHOP)) != NULL)
		iptc = tiff_value(t, e, &ilen);
	if (x[0] == NULL && iptc == NULL)
		return rc;
	if (!dated)
		rc = later_time(iptc, ilen, x, xlen, utc, off);
	later_where(rc, dated, iptc, ilen, x, xlen, utc, off, w);
	return rc;
}

/*
 * A TIFF-based file (TIFF, DNG, most camera raws): the date is in its own
 * IFDs, which cameras write near the start, else in its XMP or IPTC; the
 * first 64 KiB, else the first MiB, else 16.
 */
static int
tiff_file_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	size_t n, step;
	unsigned char *buf;
	struct tiff t;
	int rc = -1;

	if (size < 8)
		return -1;	/* unknown (-1), or no header */
	/* more while the date, or its maker note's zone, lies further */
	for (step = 64 << 10; (rc < 0 || (w != NULL && w->more)) && step <= 16 << 20;
	    step <<= 4) {
		n = size < (off_t)step ? (size_t)size : step;
		buf = xmalloc(n);
		if (w != NULL)
			w->more = 0;
		if (fh_pread(fd, buf, n, 0) == (ssize_t)n) {
			raw_magic(buf, n);
			if (tiff_init(&t, buf, n) == 0)
				rc = tiff_later(&t, tiff_time(&t, utc, off, w), utc, off, w);
		}
		free(buf);
		if (n < step)
			break;	/* the whole file was read */
	}
	return rc;
}

/* The text of property name of the namespace uri in an XMP packet x of n
 * bytes (xmp_find), into buf. 0, or -1. */
static int
xmp_prop(const char *x, size_t n, const char *uri, const char *name, char *buf,
    size_t size)
{
	size_t at, len;

	if (xmp_find(x, n, uri, name, size - 1, &at, &len) < 0)
		return -1;
	memcpy(buf, x + at, len);
	buf[len] = '\0';
	return 0;
}

/*
 * IPTC's datasets date and time of record 2 in the IIM block among a
 * JPEG's image resources (p, n: its APP13 after "Photoshop 3.0\0"), or in
 * bare datasets (a TIFF's IPTC tag): each found with its length, or NULL.
 */
static void
iptc_find(const unsigned char *p, size_t n, unsigned date, unsigned time,
    const unsigned char **d, size_t *dl, const unsigned char **t, size_t *tl)
{
	const unsigned char *iim = NULL;
	size_t at = 0, len, name, i, ilen = 0;

	*d = *t = NULL;
	*dl = *tl = 0;
	if (n > 0 && p[0] == 0x1c) {	/* bare datasets (a TIFF's IPTC tag) */
		iim = p;
		ilen = n;
	}
	/* "8BIM", its id, a Pascal name padded to even, a size, the data */
	while (iim == NULL && at + 12 <= n && memcmp(p + at, "8BIM", 4) == 0) {
		name = (p[at + 6] + 2u) & ~1u;
		if (at + 6 + name + 4 > n)
			return;
		len = be32(p + at + 6 + name);
		if (len > n - (at + 10 + name))
			return;
		if ((p[at + 4] << 8 | p[at + 5]) == IRB_IPTC) {
			iim = p + at + 10 + name;
			ilen = len;
		}
		at += 10 + name + ((len + 1) & ~(size_t)1);
	}
	/* datasets: 0x1C, record, number, a 15-bit size, the data */
	for (i = 0; iim != NULL && i + 5 <= ilen && iim[i] == 0x1c; i += 5 + len) {
		len = (size_t)(iim[i + 3] & 0x7f) << 8 | iim[i + 4];
		if (iim[i + 3] & 0x80 || len > ilen - i - 5)
			break;	/* an extended size is no date's */
		if (iim[i + 1] == 2 && iim[i + 2] == date) {
			*d = iim + i + 5;
			*dl = len;
		} else if (iim[i + 1] == 2 && iim[i + 2] == time) {
			*t = iim + i + 5;
			*tl = len;
		}
	}
}

/* The date and time datasets (date "CCYYMMDD", time "HHMMSS+HHMM") as one
 * instant: 0, or -1. A date without its time is none, as for Immich. */
static int
iptc_time(const unsigned char *p, size_t n, unsigned date, unsigned time, int64_t *utc,
    int32_t *off)
{
	const unsigned char *d, *t;
	size_t dl, tl;
	char s[40];

	iptc_find(p, n, date, time, &d, &dl, &t, &tl);
	if (d == NULL || t == NULL || dl != 8 || (tl != 6 && tl != 11))
		return -1;
	snprintf(s, sizeof(s), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", d, d + 4, d + 6, t, t + 2, t + 4);
	if (tl == 11)
		snprintf(s + 19, sizeof(s) - 19, "%.3s:%.2s", t + 6, t + 9);
	return tag_time(s, utc, off);
}

/* The offset of an IPTC time ("HHMMSS+HHMM"), in minutes: 0, or -1. */
static int
iptc_zone(const unsigned char *t, size_t tl, int32_t *z)
{
	size_t i;

	if (t == NULL || tl != 11 || (t[6] != '+' && t[6] != '-'))
		return -1;
	for (i = 7; i < 11; i++)
		if (t[i] < '0' || t[i] > '9')
			return -1;
	if (t[9] > '5')
		return -1;	/* minutes past 59 */
	*z = ((t[7] - '0') * 10 + (t[8] - '0')) * 60 + (t[9] - '0') * 10 + (t[10] - '0');
	if (*z > 14 * 60)
		return -1;
	if (t[6] == '-')
		*z = -*z;
	return 0;
}

/*
 * The dates past the EXIF ones, in Immich's order (exiftool's MWG tags):
 * XMP's photoshop:DateCreated, IPTC's DateCreated, XMP's
 * exif:DateTimeOriginal and pdf:CreationDate, IPTC's DigitalCreationDate,
 * XMP's xmp:CreateDate; any XMP prefix, as an attribute or an element. A
 * date without a time is none. exiftool's MWG takes IPTC's date over
 * XMP's only when XMP has none, or IPTC's digest says the XMP is stale;
 * that digest (an MD5) is not checked here. iptc or x may be NULL; x[1]
 * is an extended XMP packet, read after the main one.
 */
static int
later_time(const unsigned char *iptc, size_t ilen, const char *const x[2], const size_t xlen[2],
    int64_t *utc, int32_t *off)
{
	static const struct {
		const char *ns, *name;	/* an XMP property, or NULL: */
		unsigned date, time;	/* IPTC's datasets */
	} later[] = {
		{ XMP_NS_PHOTOSHOP, "DateCreated", 0, 0 },
		{ NULL, NULL, 55, 60 },
		{ XMP_NS_EXIF, "DateTimeOriginal", 0, 0 },
		{ XMP_NS_PDF, "CreationDate", 0, 0 },
		{ NULL, NULL, 62, 63 },
		{ XMP_NS_XMP, "CreateDate", 0, 0 },
	};
	char v[64];
	size_t i, k;

	for (i = 0; i < LEN(later); i++) {
		if (later[i].ns == NULL) {
			if (iptc != NULL && iptc_time(iptc, ilen, later[i].date,
			    later[i].time, utc, off) == 0)
				return 0;
			continue;
		}
		for (k = 0; k < 2; k++)
			if (x[k] != NULL && xmp_prop(x[k], xlen[k], later[i].ns, later[i].name,
			    v, sizeof(v)) == 0 && time_has_clock(v) &&
			    tag_time(v, utc, off) == 0)
				return 0;
	}
	return -1;
}

/*
 * The zone exiftool-vendored gives a wall clock from the file's other
 * dates, with which Immich shows it (its inferTimezoneFromDatestamps): the
 * first offset other than UTC's among the dates it calls "captured at",
 * as exiftool's MWG makes them. Each is the first of its sources there:
 * DateTimeOriginal (EXIF's, whose zone was read with it, else XMP's
 * photoshop:DateCreated, IPTC's DateCreated, XMP's exif:DateTimeOriginal),
 * CreateDate (EXIF's, else IPTC's DigitalCreationDate, XMP's
 * xmp:CreateDate), CreationDate (XMP's pdf:), DateTimeCreated and
 * TimeCreated (IPTC's). iptc or x may be NULL. 0 with *z, or -1.
 */
static int
tags_zone(const unsigned char *iptc, size_t ilen, const char *const x[2], const size_t xlen[2],
    const struct where *w, int32_t *z)
{
	static const struct {
		int slot;		/* the tag */
		const char *ns, *name;	/* an XMP property, or NULL: */
		unsigned date, time;	/* IPTC's datasets (IPTC_NONE: none) */
	} src[] = {
		{ 1, XMP_NS_PHOTOSHOP, "DateCreated", 0, 0 },
		{ 1, NULL, NULL, 55, 60 },
		{ 1, XMP_NS_EXIF, "DateTimeOriginal", 0, 0 },
		{ 2, NULL, NULL, 62, 63 },
		{ 2, XMP_NS_XMP, "CreateDate", 0, 0 },
		{ 3, XMP_NS_PDF, "CreationDate", 0, 0 },
		{ 4, NULL, NULL, 55, 60 },
		{ 5, NULL, NULL, IPTC_NONE, 60 },
	};
	const unsigned char *d, *t;
	size_t i, k, dl, tl;
	char v[64];
	int64_t u;
	int decided = 0, there;

	for (i = 0; i < LEN(src); i++) {
		if (i > 0 && src[i].slot != src[i - 1].slot)
			decided = 0;
		if (decided || (src[i].slot == 1 && w->dto) || (src[i].slot == 2 && w->create))
			continue;
		*z = OFFSET_UNKNOWN;
		if (src[i].ns != NULL) {
			for (k = 0, there = 0; k < 2 && !there; k++)
				there = x[k] != NULL && xmp_prop(x[k], xlen[k], src[i].ns,
				    src[i].name, v, sizeof(v)) == 0;
			if (there && time_parse(v, &u, z) < 0)
				*z = OFFSET_UNKNOWN;
		} else {
			if (iptc == NULL)
				continue;
			iptc_find(iptc, ilen, src[i].date, src[i].time, &d, &dl, &t, &tl);
			/* DateTimeCreated needs both; TimeCreated its time; the
			 * MWG dates their date */
			there = src[i].slot == 4 ? d != NULL && t != NULL :
			    src[i].slot == 5 ? t != NULL : d != NULL;
			if (there && iptc_zone(t, tl, z) < 0)
				*z = OFFSET_UNKNOWN;
		}
		if (!there)
			continue;
		if (*z != OFFSET_UNKNOWN && *z != 0 && real_zone(*z))
			return 0;
		decided = 1;	/* this tag is there, and has no zone */
	}
	return -1;
}

static int xmp_clock(const char *const x[2], const size_t xlen[2], int64_t *utc);

/*
 * An XMP or IPTC date zoned as exiftool-vendored zones it: by the EXIF zone
 * tags' zone where the file has one (its own offset still places the
 * instant); else its own offset is soft: the zone of a place in the file
 * shows it (offsets.c), and only without one its own.
 */
static void
zone_later(int64_t *utc, int32_t *off, struct where *w)
{
	if (w == NULL)
		return;
	if (w->has_tz) {
		if (*off == OFFSET_UNKNOWN)
			*utc -= (int64_t)w->tz * 60;
		*off = w->tz;
	} else if (*off != OFFSET_UNKNOWN) {
		w->soft = 1;
	}
}

/* An XMP GPS coordinate in degrees, signed by its letter (pos or neg):
 * "48,51.396N" (degrees and minutes, as exiftool writes it) or
 * "48,51,23.76N"; 0, or -1. */
static int
xmp_coord(const char *s, char pos, char neg, double *v)
{
	double part[3] = { 0, 0, 0 };
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		part[i] = strtod(s, &end);
		if (*(s = end) != ',')
			break;
		s++;
	}
	if ((*s != pos && *s != neg) || s[1] != '\0' || i == 3)
		return -1;
	*v = part[0] + part[1] / 60 + part[2] / 3600;
	if (*s == neg)
		*v = -*v;
	return 0;
}

/* Where XMP places the photo (exif:GPSLatitude and GPSLongitude), in w
 * when its EXIF has no place: exiftool gives EXIF's tags first. */
static void
xmp_place(const char *const x[2], const size_t xlen[2], struct where *w)
{
	char la[64], lo[64];
	double lat, lon;
	size_t k;

	if (w == NULL || w->known)
		return;
	for (k = 0; k < 2; k++)
		if (x[k] != NULL &&
		    xmp_prop(x[k], xlen[k], XMP_NS_EXIF, "GPSLatitude", la, sizeof(la)) == 0 &&
		    xmp_prop(x[k], xlen[k], XMP_NS_EXIF, "GPSLongitude", lo, sizeof(lo)) == 0 &&
		    xmp_coord(la, 'N', 'S', &lat) == 0 && xmp_coord(lo, 'E', 'W', &lon) == 0 &&
		    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
			w->known = 1;
			w->lat = lat;
			w->lon = lon;
			return;
		}
}

/* An XMP packet's date (later_time's XMP ones), and when asked (w may be
 * NULL) its GPS clock and the zone its other dates give a wall clock. A
 * PNG's XMP, and the fuzzer's. */
int
xmp_time(const char *x, size_t n, int64_t *utc, int32_t *off, struct where *w)
{
	const char *xs[2] = { x, NULL };
	size_t ns[2] = { n, 0 };
	int rc = later_time(NULL, 0, xs, ns, utc, off);

	xmp_place(xs, ns, w);
	if (rc == 0)
		zone_later(utc, off, w);
	if (rc == 0 && *off == OFFSET_UNKNOWN)
		xmp_zone(x, n, w);
	else if (rc < 0 && w != NULL && !w->has_clock)
		w->has_clock = xmp_clock(xs, ns, &w->clock) == 0;
	return rc;
}

/* What an XMP packet tells of a file dated elsewhere (a PNG's eXIf): its
 * place, and for a wall clock the zone of its other dates and its GPS
 * clock, in w (w may be NULL). */
void
xmp_zone(const char *x, size_t n, struct where *w)
{
	const char *xs[2] = { x, NULL };
	size_t ns[2] = { n, 0 };

	if (w == NULL)
		return;
	xmp_place(xs, ns, w);
	if (!w->has_hint)
		w->has_hint = tags_zone(NULL, 0, xs, ns, w, &w->hint) == 0;
	if (!w->has_clock)
		w->has_clock = xmp_clock(xs, ns, &w->clock) == 0;
}

/* The same of an APP13 segment's image resources, for the fuzzer. */
int
irb_time(const unsigned char *p, size_t n, int64_t *utc, int32_t *off)
{
	const char *xs[2] = { NULL, NULL };
	size_t ns[2] = { 0, 0 };

	return later_time(p, n, xs, ns, utc, off);
}

/* XMP's GPS clock (exif:GPSTimeStamp, a date and time in UTC), in the
 * main packet or the extended one; 0, or -1. */
static int
xmp_clock(const char *const x[2], const size_t xlen[2], int64_t *utc)
{
	char v[64];
	int32_t off;
	size_t k;

	for (k = 0; k < 2; k++)
		if (x[k] != NULL && xmp_prop(x[k], xlen[k], XMP_NS_EXIF, "GPSTimeStamp", v,
		    sizeof(v)) == 0 && time_has_clock(v) && time_parse(v, utc, &off) == 0 &&
		    (off == 0 || off == OFFSET_UNKNOWN))
			return 0;
	return -1;
}

/*
 * What a file's XMP and IPTC tell of the date rc says was found (0, or
 * -1: none), dated when EXIF gave it: one of theirs is zoned as
 * exiftool-vendored zones it; and in w, their GPS clock and the zone
 * their other dates give a wall clock.
 */
static void
later_where(int rc, int dated, const unsigned char *iptc, size_t ilen, const char *const x[2],
    const size_t xlen[2], int64_t *utc, int32_t *off, struct where *w)
{
	xmp_place(x, xlen, w);
	if (rc == 0 && !dated)
		zone_later(utc, off, w);
	if (w != NULL && !w->has_clock)
		w->has_clock = xmp_clock(x, xlen, &w->clock) == 0;
	if (rc == 0 && *off == OFFSET_UNKNOWN && w != NULL && !w->has_hint)
		w->has_hint = tags_zone(iptc, ilen, x, xlen, w, &w->hint) == 0;
}

/* The n bytes at base + at of a JPEG (a segment's), or NULL (at 0: none). */
static unsigned char *
segment(struct fh *fd, off_t base, off_t at, size_t n)
{
	unsigned char *p;

	if (at == 0)
		return NULL;
	p = xmalloc(n);
	if (fh_pread(fd, p, n, base + at) != (ssize_t)n) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * The extended XMP packet the main one names (xmpNote:HasExtendedXMP, x of
 * xlen bytes), put together from the segments at ext[0..n) that carry its
 * GUID (each: its header, the GUID, the packet's length and the piece's
 * offset in it, big-endian); NULL when there is none or it is not whole.
 * exiftool ignores pieces no main packet names, and so does this.
 */
static char *
extended_xmp(struct fh *fd, off_t base, const off_t *ext, size_t n, const char *x,
    size_t xlen, size_t *len)
{
	unsigned char h[4 + XMP_EXT_HEAD];
	char guid[40], *p = NULL;
	size_t i, got = 0, plen, at;

	*len = 0;
	if (x == NULL || n == 0 ||
	    xmp_prop(x, xlen, XMP_NS_NOTE, "HasExtendedXMP", guid, sizeof(guid)) < 0 ||
	    strlen(guid) != 32)
		return NULL;
	for (i = 0; i < n; i++) {
		if (fh_pread(fd, h, sizeof(h), base + ext[i]) != (ssize_t)sizeof(h))
			break;
		if (memcmp(h + 4 + sizeof(XMP_EXT), guid, 32) != 0)
			continue;
		plen = ((size_t)h[2] << 8 | h[3]) - 2 - XMP_EXT_HEAD;
		at = be32(h + sizeof(h) - 4);
		if (p == NULL) {
			*len = be32(h + sizeof(h) - 8);
			if (*len == 0 || *len > XMP_EXT_PIECES * 65536)
				break;
			p = xcalloc(1, *len);	/* pieces may overlap and leave gaps */
		}
		if (at > *len || plen > *len - at ||
		    fh_pread(fd, p + at, plen, base + ext[i] + (off_t)sizeof(h)) != (ssize_t)plen)
			break;
		got += plen;
	}
	if (i == n && p != NULL && got == *len)
		return p;
	free(p);
	*len = 0;
	return NULL;
}

/*
 * CIFF, Canon's format before TIFF-based raws (a CRW file; a JPEG's APP0
 * from a PowerShot of 1999): a heap of records whose directory sits at its
 * end, the last 4 bytes saying where (from the heap's start); a record of
 * type 0x28 or 0x30 is a heap of its own. The TimeStamp record (0x180e)
 * holds the wall clock as Unix seconds, which exiftool reads as
 * DateTimeOriginal (its zone records are no zone tag exiftool-vendored
 * takes). The heap at start, len bytes, on fd, le its byte order, at
 * depth; heaps are read at most 8 deep, and at most *budget directories,
 * so a heap that holds itself ends. 0, or -1.
 */
#define CIFF_TIME_STAMP	0x180e
#define CIFF_ENTRIES	1024	/* a camera's directories hold a few dozen */

static unsigned
ciff16(const unsigned char *p, int le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

static uint32_t
ciff32(const unsigned char *p, int le)
{
	return le ? le32(p) : be32(p);
}

static int
ciff_date(struct fh *fd, off_t start, uint32_t len, int le, int depth, int *budget,
    int64_t *utc)
{
	unsigned char b[10 * CIFF_ENTRIES], *e;
	uint32_t dir, size, at;
	unsigned tag, type, n, i;

	if (len < 6 || depth > 8 || --*budget < 0 || fh_pread(fd, b, 4, start + len - 4) != 4 ||
	    (dir = ciff32(b, le)) > len - 6 || fh_pread(fd, b, 2, start + dir) != 2)
		return -1;
	n = ciff16(b, le);
	if (n > CIFF_ENTRIES || (uint64_t)dir + 2 + 10 * n > len ||
	    fh_pread(fd, b, 10 * n, start + dir + 2) != (ssize_t)(10 * n))
		return -1;
	for (i = 0; i < n; i++) {
		e = b + 10 * i;
		tag = ciff16(e, le);
		if (tag & 0x8000)
			return -1;	/* exiftool stops at a bad entry too */
		size = ciff32(e + 2, le);
		at = ciff32(e + 6, le);
		type = tag >> 8 & 0x38;
		if (tag & 0x4000) {	/* the value in the entry itself */
			if ((tag & 0x3fff) == CIFF_TIME_STAMP && (*utc = ciff32(e + 2, le)) != 0)
				return 0;
			continue;
		}
		if (at > len || size > len - at)
			continue;
		if ((tag & 0x3fff) == CIFF_TIME_STAMP && size >= 4) {
			unsigned char v[4];

			if (fh_pread(fd, v, 4, start + at) == 4 && (*utc = ciff32(v, le)) != 0)
				return 0;
		} else if ((type == 0x28 || type == 0x30) &&
		    ciff_date(fd, start + at, size, le, depth + 1, budget, utc) == 0) {
			return 0;
		}
	}
	return -1;
}

/* A CIFF block at start on fd, len bytes, its header first ("II" or
 * "MM", the header's length, "HEAP" and its kind, "CCDR" for a CRW file,
 * "JPGM" in a JPEG): its date, 0 or -1. */
static int
ciff_block(struct fh *fd, off_t start, off_t len, const char *kind, int64_t *utc,
    int32_t *off)
{
	unsigned char h[14];
	uint32_t hlen;
	int le, budget = 64;

	if (len < (off_t)sizeof(h) || fh_pread(fd, h, sizeof(h), start) != (ssize_t)sizeof(h) ||
	    (memcmp(h, "II", 2) != 0 && memcmp(h, "MM", 2) != 0) || memcmp(h + 6, "HEAP", 4) != 0 ||
	    memcmp(h + 10, kind, 4) != 0)
		return -1;
	le = h[0] == 'I';
	hlen = ciff32(h + 2, le);
	if (hlen < sizeof(h) || (off_t)hlen >= len || len - hlen > UINT32_MAX ||
	    ciff_date(fd, start + hlen, (uint32_t)(len - hlen), le, 0, &budget, utc) < 0)
		return -1;
	*off = OFFSET_UNKNOWN;
	return 0;
}

/* A Canon CRW raw: a CIFF file. No GPS, no zone. */
static int
crw_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	(void)w;
	return ciff_block(fd, 0, size, "CCDR", utc, off);
}

/*
 * The dates some cameras of the 1990s wrote in a JPEG segment of their own
 * instead of EXIF, each exiftool's DateTimeOriginal where EXIF, XMP and
 * IPTC have none (exiftool's MWG composite takes theirs first): CIFF in
 * APP0 (a Canon PowerShot's), Casio's APP1 "QVCI" (a QV-7000SX's:
 * "1998.10.24.12.08.57" at 0x4d), and the text of an APP12 "picture info"
 * (Olympus, Agfa, Polaroid: TimeDate= Unix seconds of the wall clock).
 * exiftool keeps the last of the first two kinds it meets, and an APP12's
 * only without them, the first (its table's priority is 0).
 */
enum { SEG_CIFF, SEG_QVCI, SEG_PICTURE_INFO };

struct oldseg {
	off_t	 at;		/* the segment's data, from the JPEG's start */
	size_t	 len;
	int	 kind;
};

static int
oldseg_date(struct fh *fd, off_t base, const struct oldseg *o, int64_t *utc, int32_t *off)
{
	char s[24], *p, *v;
	unsigned char *seg;
	size_t i;
	long long u;
	int rc = -1;

	switch (o->kind) {
	case SEG_CIFF:
		return ciff_block(fd, base + o->at, (off_t)o->len, "JPGM", utc, off);
	case SEG_QVCI:
		if (o->len < 0x4d + 19 || fh_pread(fd, s, 19, base + o->at + 0x4d) != 19)
			return -1;
		s[19] = '\0';
		for (i = 0; i < 19; i++)
			if (s[i] == '.')
				s[i] = ':';
		s[10] = ' ';
		return time_parse(s, utc, off);
	}
	if ((seg = segment(fd, base, o->at, o->len)) == NULL)
		return -1;
	p = (char *)seg;
	if (memmem(p, o->len, "[picture info]", 14) == NULL && memmem(p, o->len, "Type=", 5) == NULL)
		goto out;
	for (v = p; (v = memmem(v, o->len - (size_t)(v - p), "TimeDate=", 9)) != NULL; v += 9) {
		if (v > p && (isalnum((unsigned char)v[-1]) || v[-1] == '_' || v[-1] == '#' ||
		    v[-1] == '-'))
			continue;	/* a longer tag's name */
		for (i = 9, u = 0; v + i < p + o->len && isdigit((unsigned char)v[i]) && i < 20; i++)
			u = u * 10 + (v[i] - '0');
		if (i == 9 || (v + i < p + o->len && v[i] != '\r' && v[i] != '\n' && v[i] != '\0' &&
		    v[i] != ' '))
			break;	/* a value other than seconds: none read */
		if (u != 0) {	/* exiftool's zero date */
			*utc = u;
			*off = OFFSET_UNKNOWN;
			rc = 0;
		}
		break;
	}
out:
	free(seg);
	return rc;
}

/*
 * The EXIF time of the JPEG at base on fd (a file, a member, a RAF's
 * preview), reading only its APP1 "Exif" segment (at most 64 KiB): the
 * segments before it are skipped by their lengths, a small read each past
 * the first 4 KiB (a Pixel photo edited elsewhere has 73 KiB of XMP
 * first). Without an EXIF date, the XMP's and IPTC's (later_time), read
 * only then. w: where its GPS places it, when asked.
 */
static int
jpeg_exif_at(struct fh *fd, off_t base, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char h[4096], *seg, *irb;
	char *x[2];
	off_t pos = 2, xmp = 0, iptc = 0, ext[XMP_EXT_PIECES];
	ssize_t n;
	size_t len, xlen[2] = { 0, 0 }, ilen = 0, next = 0, nold = 0, k;
	struct oldseg old[4];
	int i, rc, dated = 0;

	if ((n = fh_pread(fd, h, sizeof(h), base)) < 4 || h[0] != 0xff || h[1] != 0xd8)
		return -1;
	for (i = 0; i < MAX_HEADERS; i++) {
		unsigned char m[4 + XMP_EXT_HEAD];
		ssize_t got = (ssize_t)sizeof(m);

		if (pos + got <= n)
			memcpy(m, h + pos, sizeof(m));
		else if ((got = fh_pread(fd, m, sizeof(m), base + pos)) < 10)
			break;
		if (m[0] != 0xff)
			break;
		if (m[1] == 0xd8 || (m[1] >= 0xd0 && m[1] <= 0xd7) || m[1] == 0x01) {
			pos += 2;
			continue;
		}
		if (!((m[1] >= 0xe0 && m[1] <= 0xef) || m[1] == 0xfe))
			break;	/* image data begins */
		len = (size_t)m[2] << 8 | m[3];
		if (len < 2)
			break;
		if (m[1] == 0xe1 && len >= 8 && memcmp(m + 4, "Exif\0\0", 6) == 0 && !dated) {
			/* the directories sit at the start of the segment; the
			 * rest (thumbnail, maker notes) is read only if needed:
			 * for a date, or a place asked for */
			if (w != NULL)
				w->more = 0;
			rc = pos + 4 < n ? exif_time(h + pos + 4,
			    (size_t)(n - pos - 4) < len - 2 ? (size_t)(n - pos - 4) : len - 2,
			    utc, off, w) : -1;
			if ((rc < 0 || (w != NULL && ((!w->known && !w->none) || w->more))) &&
			    pos + 2 + (off_t)len > n) {
				/* the whole segment: what the head lacked (a place,
				 * a maker note's zone); a read cut short keeps what
				 * the head gave */
				int64_t hu = *utc;
				int32_t ho = *off;

				seg = xmalloc(len);
				if (fh_pread(fd, seg, len - 2, base + pos + 4) == (ssize_t)(len - 2) &&
				    exif_time(seg, len - 2, utc, off, w) == 0) {
					rc = 0;
				} else if (rc == 0) {
					*utc = hu;
					*off = ho;
				}
				free(seg);
			}
			/* a wall clock: the XMP and IPTC that follow may zone
			 * it; without an EXIF place, XMP's may place it */
			if (rc == 0 && (w == NULL || (*off != OFFSET_UNKNOWN && w->known)))
				return 0;
			dated = rc == 0;
		} else if (m[1] == 0xe1 && xmp == 0 && len > 2 + sizeof(XMP_ID) &&
		    got >= 4 + (ssize_t)sizeof(XMP_ID) &&
		    memcmp(m + 4, XMP_ID, sizeof(XMP_ID)) == 0) {
			xmp = pos + 4 + (off_t)sizeof(XMP_ID);
			xlen[0] = len - 2 - sizeof(XMP_ID);
		} else if (m[1] == 0xe1 && len > 2 + XMP_EXT_HEAD && got == (ssize_t)sizeof(m) &&
		    memcmp(m + 4, XMP_EXT, sizeof(XMP_EXT)) == 0 && next < XMP_EXT_PIECES) {
			ext[next++] = pos;
		} else if (m[1] == 0xed && iptc == 0 && len > 2 + sizeof(IRB_ID) &&
		    got >= 4 + (ssize_t)sizeof(IRB_ID) && memcmp(m + 4, IRB_ID, sizeof(IRB_ID)) == 0) {
			iptc = pos + 4 + (off_t)sizeof(IRB_ID);
			ilen = len - 2 - sizeof(IRB_ID);
		} else if (nold < LEN(old) && ((m[1] == 0xe0 && len >= 2 + 14 && got >= 18 &&
		    (memcmp(m + 4, "II", 2) == 0 || memcmp(m + 4, "MM", 2) == 0) &&
		    memcmp(m + 10, "HEAPJPGM", 8) == 0) ||
		    (m[1] == 0xe1 && len >= 2 + 5 && got >= 9 && memcmp(m + 4, "QVCI\0", 5) == 0) ||
		    m[1] == 0xec)) {
			old[nold].at = pos + 4;
			old[nold].len = len - 2;
			old[nold++].kind = m[1] == 0xe0 ? SEG_CIFF : m[1] == 0xe1 ? SEG_QVCI :
			    SEG_PICTURE_INFO;
		}
		pos += 2 + (off_t)len;
	}
	/* no EXIF date, or one without a zone: IPTC's and the XMP's, read
	 * only now (a Pixel's XMP is 73 KiB); without theirs, an old
	 * camera's segment's, in exiftool's order */
	if (xmp == 0 && iptc == 0 && (dated || nold == 0))
		return dated ? 0 : -1;
	x[0] = (char *)segment(fd, base, xmp, xlen[0]);
	x[1] = extended_xmp(fd, base, ext, next, x[0], xlen[0], &xlen[1]);
	irb = segment(fd, base, iptc, ilen);
	rc = dated ? 0 : later_time(irb, ilen, (const char *const *)x, xlen, utc, off);
	for (k = nold; rc < 0 && k-- > 0;)
		if (old[k].kind != SEG_PICTURE_INFO)
			rc = oldseg_date(fd, base, &old[k], utc, off);
	for (k = 0; rc < 0 && k < nold; k++)
		if (old[k].kind == SEG_PICTURE_INFO)
			rc = oldseg_date(fd, base, &old[k], utc, off);
	later_where(rc, dated, irb, ilen, (const char *const *)x, xlen, utc, off, w);
	free(x[0]);
	free(x[1]);
	free(irb);
	return rc;
}

static int
jpeg_exif_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	(void)size;	/* its segments say where they end */
	return jpeg_exif_at(fd, 0, utc, off, w);
}

/*
 * A Fujifilm raw (RAF): its header says where the JPEG preview lies, whose
 * EXIF is the photo's (exiftool's FujiFilm module reads it so).
 */
static int
raf_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char h[92];
	uint32_t at;

	if (size < (off_t)sizeof(h) || fh_pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h, "FUJIFILM", 8) != 0)
		return -1;
	at = be32(h + 84);
	if (at < sizeof(h) || (off_t)at >= size)
		return -1;
	return jpeg_exif_at(fd, (off_t)at, utc, off, w);
}

static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The box at p + *at of the boxes in len bytes: its type and payload;
 * *at moves past it. 0, or -1 at the end or at a box that does not fit. */
static int
box_next(const unsigned char *p, size_t len, size_t *at, const unsigned char **type,
    const unsigned char **body, size_t *blen)
{
	uint64_t sz;
	unsigned hdr;

	if (*at > len || box_header(p + *at, len - *at, &sz, &hdr) < 0)
		return -1;
	*type = p + *at + 4;
	*body = p + *at + hdr;
	*blen = (size_t)(sz - hdr);
	*at += (size_t)sz;
	return 0;
}

/* The payload of the first box of type among the boxes at p, or NULL. */
static const unsigned char *
box(const unsigned char *p, size_t len, const char *type, size_t *plen)
{
	const unsigned char *t, *b;
	size_t at = 0;

	while (box_next(p, len, &at, &t, &b, plen) == 0)
		if (memcmp(t, type, 4) == 0)
			return b;
	return NULL;
}

/* The whole meta box among the boxes at p (its header too, as
 * meta_children() takes it), or NULL. */
static const unsigned char *
meta_box(const unsigned char *p, size_t len, size_t *mlen)
{
	const unsigned char *type, *body;
	size_t at = 0, bl;

	while (box_next(p, len, &at, &type, &body, &bl) == 0)
		if (memcmp(type, "meta", 4) == 0) {
			*mlen = bl + (size_t)(body - (type - 4));
			return type - 4;
		}
	return NULL;
}

/* The text of an ilst item's data box (type 1, UTF-8: 4 bytes of type and
 * 4 of locale first), NUL-terminated in text; 0, or -1. */
static int
ilst_text(const unsigned char *ilst, size_t il, const unsigned char name[4], char *text,
    size_t size)
{
	const unsigned char *item, *data;
	size_t itl, dl;

	if ((item = box(ilst, il, (const char *)name, &itl)) == NULL ||
	    (data = box(item, itl, "data", &dl)) == NULL || dl < 8 ||
	    dl - 8 >= size || be(data, 4) != 1)
		return -1;
	memcpy(text, data + 8, dl - 8);
	text[dl - 8] = '\0';
	return 0;
}

/*
 * The value of an Apple key (com.apple.quicktime.*) in moov's mdta meta:
 * the key's index among keys names its ilst item. 0 with the text, or -1.
 */
static int
apple_key(const unsigned char *moov, size_t len, const char *key, char *text, size_t size)
{
	const unsigned char *meta, *keys, *ilst;
	unsigned char index[4];
	size_t ml, kl, il, at, c, klen = strlen(key);
	uint32_t count, i;

	if ((meta = meta_box(moov, len, &ml)) == NULL || (c = meta_children(meta, ml)) == 0 ||
	    (keys = box(meta + c, ml - c, "keys", &kl)) == NULL || kl < 8 ||
	    (ilst = box(meta + c, ml - c, "ilst", &il)) == NULL)
		return -1;
	count = (uint32_t)be(keys + 4, 4);
	for (i = 1, at = 8; i <= count && at + 8 <= kl; i++) {
		uint64_t esz = be(keys + at, 4);

		if (esz < 8 || esz > kl - at)
			return -1;
		if (esz - 8 == klen && memcmp(keys + at + 4, "mdta", 4) == 0 &&
		    memcmp(keys + at + 8, key, klen) == 0)
			break;
		at += esz;
	}
	if (i > count || at + 8 > kl)
		return -1;
	index[0] = (unsigned char)(i >> 24);
	index[1] = (unsigned char)(i >> 16);
	index[2] = (unsigned char)(i >> 8);
	index[3] = (unsigned char)i;
	return ilst_text(ilst, il, index, text, size);
}

/*
 * Apple's com.apple.quicktime.creationdate: when the capture began, on
 * the phone's clock, with its offset ("2019-07-24T11:25:40+0300"). The one
 * date of an iPhone video that knows its zone; exiftool's
 * Keys:CreationDate, which Immich takes first.
 */
static int
apple_date(const unsigned char *moov, size_t len, int64_t *utc, int32_t *off)
{
	char text[64];

	if (apple_key(moov, len, "com.apple.quicktime.creationdate", text, sizeof(text)) < 0 ||
	    tag_time(text, utc, off) < 0 || *off == OFFSET_UNKNOWN)
		return -1;
	return 0;
}

/* An ISO 6709 point ("+47.5383-002.8919+000.000/"), in w. */
static void
iso6709(const char *s, struct where *w)
{
	double v[2];
	char *end;
	int i;

	if (strspn(s, "+-.0123456789") < strcspn(s, "/"))
		return;	/* no strtod's words or hex */
	for (i = 0; i < 2; i++) {
		if (*s != '+' && *s != '-')
			return;
		v[i] = strtod(s, &end);
		if (end == s)
			return;
		s = end;
	}
	if (!(v[0] >= -90 && v[0] <= 90 && v[1] >= -180 && v[1] <= 180) ||
	    (v[0] == 0 && v[1] == 0))
		return;	/* 0,0: no fix (exiftool-vendored ignores it) */
	w->known = 1;
	w->lat = v[0];
	w->lon = v[1];
}

/*
 * Where a video's moov places it, as exiftool reads its GPSCoordinates:
 * Apple's com.apple.quicktime.location.ISO6709, else the "\251xyz" of
 * udta (a 16-bit length and language, then the text) or of an ilst item
 * list in udta's or moov's meta (Android, Pixel). Exposed for the fuzzer.
 */
void
moov_where(const unsigned char *buf, size_t len, struct where *w)
{
	static const unsigned char xyz[4] = { 0xa9, 'x', 'y', 'z' };
	const unsigned char *moov, *udta, *p, *meta, *ilst;
	size_t n, ul, pl, ml, il, c, k;
	char text[128];

	if (w->known || (moov = box(buf, len, "moov", &n)) == NULL)
		return;
	if (apple_key(moov, n, "com.apple.quicktime.location.ISO6709", text, sizeof(text)) == 0) {
		iso6709(text, w);
		return;
	}
	if ((udta = box(moov, n, "udta", &ul)) != NULL &&
	    (p = box(udta, ul, (const char *)xyz, &pl)) != NULL && pl > 4 &&
	    (size_t)be(p, 2) <= pl - 4 && (size_t)be(p, 2) < sizeof(text)) {
		memcpy(text, p + 4, (size_t)be(p, 2));
		text[be(p, 2)] = '\0';
		iso6709(text, w);
		return;
	}
	for (k = 0; k < 2; k++) {
		if (k == 0 ? udta == NULL || (meta = meta_box(udta, ul, &ml)) == NULL :
		    (meta = meta_box(moov, n, &ml)) == NULL)
			continue;
		if ((c = meta_children(meta, ml)) != 0 &&
		    (ilst = box(meta + c, ml - c, "ilst", &il)) != NULL &&
		    ilst_text(ilst, il, xyz, text, sizeof(text)) == 0) {
			iso6709(text, w);
			return;
		}
	}
}

/*
 * The time of a buffer holding a moov box, as found by moov_file(), and
 * of the video's XMP (x, or NULL), in Immich's order of exiftool's tags:
 * DateTimeOriginal (XMP's), Apple's creationdate with its offset
 * (CreationDate), CreateDate (XMP's, which exiftool's MWG gives over the
 * mvhd's), else the mvhd creation time (UTC by the spec, *off unknown).
 * moov_time(), without XMP, is exposed for the fuzzer.
 */
static int video_xmp_date(const char *x, size_t n, int slot, int64_t *utc, int32_t *off);

static int
moov_dates(const unsigned char *buf, size_t len, const char *x, size_t xlen, int64_t *utc,
    int32_t *off)
{
	/* the dates in Immich's order, and the order exiftool-vendored takes
	 * a video's zone from them in */
	enum { DTO, CREATION, CREATE, NDATES };
	static const int zone_order[] = { DTO, CREATE, CREATION };
	const unsigned char *moov, *b;
	size_t n = 0, bl, i;
	uint64_t t;
	int64_t du[NDATES];
	int32_t dz[NDATES];
	int has[NDATES], k;

	moov = buf != NULL ? box(buf, len, "moov", &n) : NULL;
	has[DTO] = x != NULL && video_xmp_date(x, xlen, 1, &du[DTO], &dz[DTO]) == 0;
	has[CREATION] = moov != NULL && apple_date(moov, n, &du[CREATION], &dz[CREATION]) == 0;
	has[CREATE] = x != NULL && video_xmp_date(x, xlen, 2, &du[CREATE], &dz[CREATE]) == 0;
	for (k = 0; k < NDATES && !has[k]; k++)
		;
	if (k < NDATES) {
		*utc = du[k];
		*off = dz[k];
	} else {
		if (moov == NULL || (b = box(moov, n, "mvhd", &bl)) == NULL || bl < 12)
			return -1;
		t = b[0] == 1 && bl >= 20 ? be(b + 4, 8) : be(b + 4, 4);
		if (t <= (uint64_t)QT_EPOCH_DELTA || t > (uint64_t)QT_EPOCH_DELTA + 8000000000ULL)
			return -1;	/* 0 (unset) or absurd */
		*utc = (int64_t)t - QT_EPOCH_DELTA;
		*off = OFFSET_UNKNOWN;
	}
	/* shown at the first offset other than UTC's among those dates */
	for (i = 0; i < LEN(zone_order); i++)
		if (has[zone_order[i]] && dz[zone_order[i]] != OFFSET_UNKNOWN &&
		    dz[zone_order[i]] != 0) {
			*off = dz[zone_order[i]];
			break;
		}
	return 0;
}

int
moov_time(const unsigned char *buf, size_t len, int64_t *utc, int32_t *off)
{
	return moov_dates(buf, len, NULL, 0, utc, off);
}

/* The top-level box of type (a uuid box: of that uuid, 16 bytes; else
 * NULL), whole (at most max bytes), malloc'd, *len of it, its header's
 * size in *hdr; or NULL. Walked with pread, so a moov at the end of a
 * large file costs a few small reads, not the file. */
static unsigned char *
top_box(struct fh *fd, off_t fsize, const char *type, const unsigned char *uuid,
    uint64_t max, size_t *len, unsigned *hdr)
{
	unsigned char h[32], *buf;
	off_t off = 0;

	while (off + 8 <= fsize) {
		uint64_t sz;
		ssize_t r = fh_pread(fd, h, 32, off);

		/* all 16 bytes, or all the file has left */
		if (r < 8 || (r < 16 && r < fsize - off) ||
		    box_header(h, (uint64_t)(fsize - off), &sz, hdr) < 0)
			return NULL;
		if (memcmp(h + 4, type, 4) == 0 && (uuid == NULL ||
		    (r >= (ssize_t)*hdr + 16 && sz >= *hdr + 16 && memcmp(h + *hdr, uuid, 16) == 0))) {
			if (sz > max)
				return NULL;
			buf = xmalloc((size_t)sz);
			if (fh_pread(fd, buf, (size_t)sz, off) != (ssize_t)sz) {
				free(buf);
				return NULL;
			}
			*len = (size_t)sz;
			return buf;
		}
		off += (off_t)sz;
	}
	return NULL;
}

/*
 * A video's XMP date for a place in Immich's order (slot 1:
 * DateTimeOriginal, photoshop:DateCreated else exif:DateTimeOriginal as
 * exiftool's MWG takes them; 2: CreateDate, xmp:CreateDate). A date
 * without a zone is UTC, as exiftool-vendored reads a video's. 0, or -1.
 */
static int
video_xmp_date(const char *x, size_t n, int slot, int64_t *utc, int32_t *off)
{
	static const struct {
		int slot;
		const char *ns, *name;
	} src[] = {
		{ 1, XMP_NS_PHOTOSHOP, "DateCreated" },
		{ 1, XMP_NS_EXIF, "DateTimeOriginal" },
		{ 2, XMP_NS_XMP, "CreateDate" },
	};
	char v[64];
	size_t i;

	for (i = 0; i < LEN(src); i++)
		if (src[i].slot == slot &&
		    xmp_prop(x, n, src[i].ns, src[i].name, v, sizeof(v)) == 0 &&
		    time_has_clock(v) && tag_time(v, utc, off) == 0)
			return 0;
	return -1;
}

/* A video's XMP, NUL-terminated, malloc'd (*n bytes), or NULL: a top-level
 * uuid box of Adobe's (an MP4's, where Adobe's tools and exiftool write
 * it), else the moov's udta XMP_ box (QuickTime's). */
static char *
video_xmp(struct fh *fd, off_t fsize, const unsigned char *moov, size_t len, size_t *n)
{
	static const unsigned char xmp_uuid[16] = { 0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9,
	    0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac };
	const unsigned char *m, *u, *p;
	unsigned char *b;
	size_t mn, un, blen;
	unsigned hdr;

	if ((b = top_box(fd, fsize, "uuid", xmp_uuid, 1 << 20, &blen, &hdr)) != NULL) {
		*n = blen - hdr - 16;
		memmove(b, b + hdr + 16, *n);
		b[*n] = '\0';
		return (char *)b;
	}
	if (moov == NULL || (m = box(moov, len, "moov", &mn)) == NULL ||
	    (u = box(m, mn, "udta", &un)) == NULL || (p = box(u, un, "XMP_", n)) == NULL)
		return NULL;
	return xmemdup(p, *n);
}

/* A video's moov: its time, with its XMP's, and where it was taken in w
 * (when asked): the moov's, else its XMP's. */
static int
moov_file(struct fh *fd, off_t fsize, int64_t *utc, int32_t *off, struct where *w)
{
	size_t len = 0;
	unsigned hdr;
	unsigned char *moov = top_box(fd, fsize, "moov", NULL, 64 << 20, &len, &hdr);
	const char *x[2] = { NULL, NULL };
	size_t xlen[2] = { 0, 0 };
	char *text = video_xmp(fd, fsize, moov, len, &xlen[0]);
	int rc;

	x[0] = text;
	rc = moov_dates(moov, len, x[0], xlen[0], utc, off);
	if (moov != NULL && w != NULL)
		moov_where(moov, len, w);
	xmp_place(x, xlen, w);
	free(moov);
	free(text);
	return rc;
}

/*
 * A Canon CR3 (ISO boxes): moov's box of Canon's uuid holds the EXIF as
 * TIFF structures, each its IFD0: CMT1 IFD0, CMT2 the Exif IFD, which
 * exiftool reads DateTimeOriginal from, CMT3 the maker note, whose
 * TimeInfo zone exiftool-vendored takes first, and CMT4 the GPS IFD.
 */
static int
cr3_time(struct fh *fd, off_t fsize, int64_t *utc, int32_t *off, struct where *w)
{
	static const unsigned char canon[16] = { 0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f,
	    0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48 };
	const unsigned char *moov, *type, *body, *cmt;
	size_t len, n, bl, cl, at = 0;
	unsigned hdr;
	unsigned char *buf = top_box(fd, fsize, "moov", NULL, 64 << 20, &len, &hdr);
	struct tiff t;
	int32_t mz;
	int rc = -1, zoned = 0;

	if (buf == NULL)
		return -1;
	if ((moov = box(buf, len, "moov", &n)) != NULL)
		while (box_next(moov, n, &at, &type, &body, &bl) == 0)
			if (memcmp(type, "uuid", 4) == 0 && bl >= 16 &&
			    memcmp(body, canon, 16) == 0) {
				body += 16;
				bl -= 16;
				if ((cmt = box(body, bl, "CMT3", &cl)) != NULL &&
				    tiff_init(&t, cmt, cl) == 0 &&
				    canon_zone(&t, tiff_get32(&t, t.p + 4), 0, &mz) == 0)
					zoned = real_zone(mz);
				if (w != NULL && (cmt = box(body, bl, "CMT4", &cl)) != NULL &&
				    tiff_init(&t, cmt, cl) == 0)
					gps_where(&t, tiff_get32(&t, t.p + 4), w);
				if ((cmt = box(body, bl, "CMT2", &cl)) != NULL &&
				    tiff_init(&t, cmt, cl) == 0)
					rc = ifd_time(&t, tiff_get32(&t, t.p + 4), zoned ? &mz : NULL,
					    utc, off, w);
				break;
			}
	free(buf);
	return rc;
}

/* n big-endian bytes (0 to 8) at p + *at of len, *at moved past them. */
static int
field(const unsigned char *p, size_t len, size_t *at, unsigned n, uint64_t *v)
{
	if (*at > len || len - *at < n)
		return -1;
	*v = be(p + *at, (int)n);
	*at += n;
	return 0;
}

/* The ID of the item of type Exif in an iinf box's payload (xmp 0), or
 * of its XMP (xmp 1: an item of type mime, of content type
 * application/rdf+xml), or 0. */
static uint32_t
meta_item(const unsigned char *p, size_t len, int xmp)
{
	static const char rdf[] = "application/rdf+xml";
	const unsigned char *t, *e, *name;
	size_t at, el, idlen, k;

	if (len < 6)
		return 0;
	at = p[0] == 0 ? 6 : 8;	/* version, flags, a 16- or 32-bit count */
	while (box_next(p, len, &at, &t, &e, &el) == 0) {
		/* infe of version 2 or 3: an ID of 16 or 32 bits, a
		 * protection index of 16, the type; a mime item's name and
		 * content type follow, each ended by a NUL */
		if (memcmp(t, "infe", 4) != 0 || el < 4 || (e[0] != 2 && e[0] != 3))
			continue;
		idlen = e[0] == 2 ? 2 : 4;
		if (el < 4 + idlen + 2 + 4)
			continue;
		if (!xmp && memcmp(e + 4 + idlen + 2, "Exif", 4) == 0)
			return (uint32_t)be(e + 4, (int)idlen);
		if (!xmp || memcmp(e + 4 + idlen + 2, "mime", 4) != 0)
			continue;
		k = 4 + idlen + 2 + 4;
		name = memchr(e + k, '\0', el - k);
		if (name != NULL && (size_t)(e + el - (name + 1)) >= sizeof(rdf) &&
		    memcmp(name + 1, rdf, sizeof(rdf)) == 0)
			return (uint32_t)be(e + 4, (int)idlen);
	}
	return 0;
}

/* Where the bytes of item id lie in the file, by an iloc box's payload:
 * one extent at a file offset (construction method 0). 0, or -1. */
static int
item_place(const unsigned char *p, size_t len, uint32_t id, uint64_t *pos, uint64_t *n)
{
	unsigned v, osz, lsz, bsz, isz;
	uint64_t count, i, item, method, base, extents, x, eo, el, skip;
	size_t at = 6;

	if (len < 6)
		return -1;
	v = p[0];
	osz = p[4] >> 4;
	lsz = p[4] & 15;
	bsz = p[5] >> 4;
	isz = v >= 1 ? p[5] & 15 : 0;
	if (osz > 8 || lsz > 8 || bsz > 8 || isz > 8 ||
	    field(p, len, &at, v < 2 ? 2 : 4, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		method = eo = el = 0;
		if (field(p, len, &at, v < 2 ? 2 : 4, &item) < 0 ||
		    (v >= 1 && field(p, len, &at, 2, &method) < 0) ||
		    field(p, len, &at, 2, &skip) < 0 ||	/* data reference */
		    field(p, len, &at, bsz, &base) < 0 ||
		    field(p, len, &at, 2, &extents) < 0)
			return -1;
		for (x = 0; x < extents; x++)
			if (field(p, len, &at, isz, &skip) < 0 ||
			    field(p, len, &at, osz, &eo) < 0 ||
			    field(p, len, &at, lsz, &el) < 0)
				return -1;
		if (item != id)
			continue;
		if ((method & 15) != 0 || extents != 1)
			return -1;
		*pos = base + eo;
		*n = el;
		return 0;
	}
	return -1;
}

/*
 * Where a HEIF's (HEIC, AVIF) EXIF lies (xmp 0), or its XMP (xmp 1), from
 * a buffer holding its meta box: iinf names the item, iloc says where its
 * bytes are. heif_exif() is exposed for the fuzzer.
 */
static int
heif_item(const unsigned char *buf, size_t len, int xmp, uint64_t *pos, uint64_t *n)
{
	const unsigned char *meta, *iinf, *iloc;
	size_t ml, il, ll;
	uint32_t id;

	if ((meta = box(buf, len, "meta", &ml)) == NULL || ml < 4 ||
	    (iinf = box(meta + 4, ml - 4, "iinf", &il)) == NULL ||
	    (iloc = box(meta + 4, ml - 4, "iloc", &ll)) == NULL ||
	    (id = meta_item(iinf, il, xmp)) == 0)
		return -1;
	return item_place(iloc, ll, id, pos, n);
}

int
heif_exif(const unsigned char *buf, size_t len, uint64_t *pos, uint64_t *n)
{
	return heif_item(buf, len, 0, pos, n);
}

/*
 * A HEIF's date: its EXIF item's, which begins with the offset of the TIFF
 * header after those 4 bytes (ISO/IEC 23008-12, A.2.1); else its XMP
 * item's (exiftool reads both, and so Immich), whose other dates may also
 * zone an EXIF date without one (w).
 */
static int
heif_time(struct fh *fd, off_t fsize, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char *buf, *b;
	size_t len;
	uint64_t pos, n, hdr;
	unsigned bh;
	struct tiff t;
	int rc = -1;

	if ((buf = top_box(fd, fsize, "meta", NULL, 16 << 20, &len, &bh)) == NULL)
		return -1;
	if (heif_item(buf, len, 0, &pos, &n) == 0 && n >= 4 + 8 &&
	    (b = fh_bytes(fd, fsize, pos, n)) != NULL) {
		if ((hdr = be(b, 4)) <= n - 4 - 8 &&
		    tiff_init(&t, b + 4 + hdr, (size_t)(n - 4 - hdr)) == 0)
			rc = tiff_time(&t, utc, off, w);
		free(b);
	}
	if ((rc < 0 || (w != NULL && (*off == OFFSET_UNKNOWN || !w->known))) &&
	    heif_item(buf, len, 1, &pos, &n) == 0 && (b = fh_bytes(fd, fsize, pos, n)) != NULL) {
		if (rc < 0)
			rc = xmp_time((char *)b, (size_t)n, utc, off, w);
		else
			xmp_zone((char *)b, (size_t)n, w);
		free(b);
	}
	free(buf);
	return rc;
}

static int
num(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* A date at s (YYYY, MM, DD with one optional separator between them),
 * then maybe a time (HH MM SS, likewise). Returns chars used or 0. */
static int
date_time_at(const char *s, int *f)
{
	const char *p = s;
	int i, sep;

	if (num(p, 4, &f[0]) < 0)
		return 0;
	p += 4;
	sep = *p == '-' || *p == '_' || *p == '.' ? *p : 0;
	for (i = 1; i < 3; i++) {
		if (sep) {
			if (*p != sep)
				return 0;
			p++;
		}
		if (num(p, 2, &f[i]) < 0)
			return 0;
		p += 2;
	}
	f[3] = f[4] = f[5] = -1;
	if (p[0] >= '0' && p[0] <= '9') {
		/* YYYYMMDDhhmmss run together (BURST20190216172030, and
		 * 201801261147521000 with milliseconds after), else part of a
		 * longer number */
		if (sep || p - s != 8 || num(p, 2, &f[3]) < 0 ||
		    num(p + 2, 2, &f[4]) < 0 || num(p + 4, 2, &f[5]) < 0 ||
		    f[3] > 23 || f[4] > 59 || f[5] > 59)
			return 0;
		return (int)(p + 6 - s);
	}
	if (*p == '_' || *p == '-' || *p == ' ' || *p == 'T') {
		const char *q = p + 1;
		int t[3], ok = 1, tsep;

		if (num(q, 2, &t[0]) == 0) {
			q += 2;
			tsep = *q == '.' || *q == ':' || *q == '-' || *q == '_' ? *q : 0;
			for (i = 1; i < 3 && ok; i++) {
				if (tsep) {
					if (*q != tsep)
						ok = 0;
					else
						q++;
				}
				if (ok && num(q, 2, &t[i]) < 0)
					ok = 0;
				q += 2;
			}
			if (ok) {
				f[3] = t[0];
				f[4] = t[1];
				f[5] = t[2];
				p = q;
			}
		}
	}
	return (int)(p - s);
}

/* The month an English abbreviation names ("Mar", any case): 1-12, or 0. */
int
month_abbr(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m;

	if (strlen(s) != 3)
		return 0;
	for (m = 0; m < 12; m++)
		if (strncasecmp(months + 3 * m, s, 3) == 0)
			return m + 1;
	return 0;
}

/*
 * Dates phones and apps put in names: IMG_20230115_103045, PXL_20230115_
 * 103045123, 2023-01-15 10.30.45, IMG-20230115-WA0001 (a date alone),
 * Screenshot_2023-01-15-10-30-45, VID_20230115_103045, BURST20190216172030,
 * 2016_01_30_11_49_15 (GooglePhotosTakeoutHelper's table). The wall clock is
 * unknown-offset; a date alone is taken at 12:00 so any zone keeps its day.
 */
int
name_time(const char *base, int64_t *utc)
{
	const char *p;
	int f[6];
	struct tm tm;
	char buf[96];
	int32_t off;

	for (p = base; *p; p++) {
		if (p > base && p[-1] >= '0' && p[-1] <= '9')
			continue;
		if (date_time_at(p, f) == 0)
			continue;
		/* a date alone from 1990, a date and time from 1800
		 * (scans named 1869_12_30_16_59_57.jpg) */
		if (f[0] > 2099 || f[0] < (f[3] < 0 ? 1990 : 1800))
			continue;
		if (f[3] < 0) {
			f[3] = 12;
			f[4] = f[5] = 0;
		}
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d",
		    f[0], f[1], f[2], f[3], f[4], f[5]);
		if (time_parse(buf, utc, &off) == 0)
			return 0;
	}
	(void)tm;
	return -1;
}

/*
 * The reader of the date a file's format carries, by its name, and the
 * time_source it gives. A wall clock (EXIF, IDIT, MDPM) is what the
 * camera's clock showed, with its offset or without; "quicktime",
 * "matroska" and "asf" are instants (Apple's creationdate has its offset
 * too).
 */
static const struct reader {
	const char *ext;
	int	  (*date)(struct fh *, off_t, int64_t *, int32_t *, struct where *);
	const char *source;
} readers[] = {
	{ "jpg", jpeg_exif_time, "exif" }, { "jpeg", jpeg_exif_time, "exif" },
	{ "jpe", jpeg_exif_time, "exif" }, { "mpo", jpeg_exif_time, "exif" },
	{ "insp", jpeg_exif_time, "exif" },
	{ "heic", heif_time, "exif" }, { "heif", heif_time, "exif" },
	{ "hif", heif_time, "exif" }, { "avif", heif_time, "exif" },
	{ "png", png_time, "exif" }, { "webp", riff_time, "exif" },
	{ "gif", gif_time, "exif" },
	{ "tif", tiff_file_time, "exif" }, { "tiff", tiff_file_time, "exif" },
	{ "dng", tiff_file_time, "exif" }, { "cr2", tiff_file_time, "exif" },
	{ "nef", tiff_file_time, "exif" }, { "nrw", tiff_file_time, "exif" },
	{ "arw", tiff_file_time, "exif" }, { "sr2", tiff_file_time, "exif" },
	{ "srf", tiff_file_time, "exif" }, { "pef", tiff_file_time, "exif" },
	{ "srw", tiff_file_time, "exif" }, { "erf", tiff_file_time, "exif" },
	{ "3fr", tiff_file_time, "exif" }, { "fff", tiff_file_time, "exif" },
	{ "dcr", tiff_file_time, "exif" }, { "k25", tiff_file_time, "exif" },
	{ "kdc", tiff_file_time, "exif" }, { "iiq", tiff_file_time, "exif" },
	{ "orf", tiff_file_time, "exif" }, { "ori", tiff_file_time, "exif" },
	{ "rw2", tiff_file_time, "exif" }, { "rwl", tiff_file_time, "exif" },
	{ "raw", tiff_file_time, "exif" }, { "raf", raf_time, "exif" },
	{ "cr3", cr3_time, "exif" }, { "crw", crw_time, "exif" },
	{ "avi", riff_time, "riff" },
	{ "mts", mts_time, "h264" }, { "m2ts", mts_time, "h264" },
	{ "m2t", mts_time, "h264" }, { "ts", mts_time, "h264" },
	{ "mkv", mkv_time, "matroska" }, { "webm", mkv_time, "matroska" },
	{ "wmv", asf_time, "asf" },
};

static const struct reader *
reader_of(const char *name)
{
	const char *ext = path_ext(name);
	size_t i;

	for (i = 0; i < LEN(readers); i++)
		if (strcasecmp(ext, readers[i].ext) == 0)
			return &readers[i];
	return NULL;
}

/* The reader of a name whose format carries the camera's wall clock. */
static const struct reader *
wall_reader(const char *name)
{
	const struct reader *r = reader_of(name);

	return r != NULL && strcmp(r->source, "matroska") != 0 &&
	    strcmp(r->source, "asf") != 0 ? r : NULL;
}

int
has_wall_clock(const char *name)
{
	return wall_reader(name) != NULL;
}

const char *
file_date(struct fh *fd, const char *name, off_t size, int64_t *utc, int32_t *off,
    struct where *w)
{
	const struct reader *r = reader_of(name);

	return r != NULL && r->date(fd, size, utc, off, w) == 0 ? r->source : NULL;
}

int
wall_time(struct fh *fd, const char *name, off_t size, int64_t *utc, int32_t *off)
{
	const struct reader *r = wall_reader(name);

	return r != NULL ? r->date(fd, size, utc, off, NULL) : -1;
}

/* The one of zones[] nearest to secs, when within 30 minutes (a clock
 * drifted, a fix late): 0 with *z, or -1 (exiftool-vendored takes a wall
 * clock's distance from a GPS clock so). */
static int
likely_offset(int64_t secs, int32_t *z)
{
	double best = 30 * 60 + 1, d;
	size_t i;

	for (i = 0; i < LEN(zones); i++)
		if ((d = fabs((double)secs - zones[i] * 60.0)) < best) {
			best = d;
			*z = zones[i];
		}
	return best <= 30 * 60 ? 0 : -1;
}

/*
 * An item without a platform's date: the file's own, else its name's,
 * else its mtime. Without a platform's place, the file's EXIF GPS too
 * (gps_source=exif): it gives a wall clock of no zone its offset, and
 * its neighbours theirs (offsets.c); mem-exif does not write it back.
 * A photo's wall clock without a zone keeps the one its other tags give
 * (e->hint: another date's offset, else its GPS clock's distance), which
 * offsets.c takes after the place's, as exiftool-vendored does for Immich.
 */
void
fallback_time(struct export *ex, struct file *f, struct entry *e)
{
	const char *base, *ext = path_ext(f->rel), *source;
	struct where w;
	struct item *it = &e->it;
	int64_t t;
	int32_t off;
	struct fh *fd;
	const char *placed = "exif";	/* by the file's EXIF GPS, or */
	int dated = 0;

	memset(&w, 0, sizeof(w));
	(void)file_stat(ex, f);
	if ((fd = file_open(ex, f)) != NULL) {
		if ((source = file_date(fd, f->rel, f->size, &t, &off, &w)) != NULL) {
			set_time(it, t, off, source);
			dated = 1;
			e->soft = off != OFFSET_UNKNOWN && w.soft;
			/* a date Immich does not read: no zone of its tags
			 * (mem-exif writes only one found elsewhere) */
			if (off == OFFSET_UNKNOWN && !w.junk && strcmp(source, "exif") == 0 &&
			    (w.has_hint || (w.has_clock && likely_offset(t - w.clock, &w.hint) == 0))) {
				e->has_hint = 1;
				e->hint = w.hint;
			}
		} else if (f->kind == KIND_VIDEO || strcasecmp(ext, "m4a") == 0) {
			/* an MP4 or MOV, or a video its name does not tell; a
			 * place is its moov's GPSCoordinates, dated or not */
			placed = "quicktime";
			if (moov_file(fd, f->size, &t, &off, &w) == 0) {
				set_time(it, t, off, "quicktime");
				dated = 1;
				e->soft = off != OFFSET_UNKNOWN;	/* Apple's own */
			}
		}
		fh_close(fd);
	}
	if (w.known && !it->has_gps) {
		set_gps(it, w.lat, w.lon, 0, 0);
		if (it->has_gps)
			item_extra(it, "gps_source", placed);
	}
	/* Immich's last date tag: an instant, its offset from the place */
	if (!dated && w.has_clock) {
		set_time(it, w.clock, OFFSET_UNKNOWN, "gps");
		dated = 1;
	}
	if (dated)
		return;
	base = strrchr(f->rel, '/');
	base = base ? base + 1 : f->rel;
	if (name_time(base, &t) == 0) {
		set_time(it, t, OFFSET_UNKNOWN, "filename");
		return;
	}
	set_time(it, f->mtime, OFFSET_UNKNOWN, "mtime");
}

/*
 * An item with a user's XMP sidecar (darktable's X.jpg.xmp, Lightroom's
 * X.xmp), as Immich reads the two (metadata.service's getExifTags): the
 * sidecar's tags over the file's. A date in the sidecar (its MWG order:
 * xmp_time, else its GPS clock) is the date, and the file's dates and the
 * zone they give are dropped; a place in the sidecar is the place, whose
 * zone then shows the date, the file's or the sidecar's. The rest is the
 * file's own (fallback_time). mem-exif carries the sidecar beside the
 * output, and gives its date an offset found elsewhere.
 */
void
sidecar_time(struct export *ex, struct file *f, struct file *sf, struct entry *e)
{
	struct where w;
	struct item *it = &e->it;
	int64_t t = 0;
	int32_t off = OFFSET_UNKNOWN;
	size_t n;
	char *x;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	(void)file_stat(ex, sf);
	if ((x = file_slurp(ex, sf, MAX_SIDECAR, &n)) != NULL) {
		rc = xmp_time(x, n, &t, &off, &w);
		free(x);
	}
	if (w.known) {
		set_gps(it, w.lat, w.lon, 0, 0);
		if (it->has_gps)
			item_extra(it, "gps_source", "sidecar");
	}
	fallback_time(ex, f, e);
	if (rc != 0 && w.has_clock) {
		/* Immich's last date tag, its GPSDateTime, is a date too: an
		 * instant, shown at the zone of the sidecar's place */
		t = w.clock;
		off = 0;
		rc = 0;
	}
	if (rc == 0) {
		set_time(it, t, off, "sidecar");
		e->soft = off != OFFSET_UNKNOWN && it->has_gps && w.known;
		e->has_hint = off == OFFSET_UNKNOWN && (w.has_hint ||
		    (w.has_clock && likely_offset(t - w.clock, &w.hint) == 0));
		e->hint = w.hint;
	} else if (w.known && it->has_gps && it->offset_min != OFFSET_UNKNOWN &&
	    strcmp(it->time_source, "mtime") != 0) {
		e->soft = 1;	/* the sidecar's place zones the file's date */
	}
}
