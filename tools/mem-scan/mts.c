/*
 * mts.c -- the capture time of AVCHD video (.MTS, .M2TS, .m2t): an MPEG
 * transport stream whose H.264 stream carries, in an SEI message of its
 * first access units, the camcorder's "MDPM" user data (Sony, Panasonic,
 * Canon, JVC): packs of a tag byte and 4 bytes, the recording date and
 * time in BCD with the camera's time zone. exiftool shows it as
 * H264:DateTimeOriginal.
 *
 * The way there (ISO 13818-1, H.264 7.3 and D.1, exiftool's M2TS.pm and
 * H264.pm for MDPM): 188-byte packets, or 192 with a 4-byte time code
 * before each (BDAV, what AVCHD writes); the PAT (PID 0) names the PMTs;
 * a PMT names the H.264 stream (stream_type 0x1b); that PID's PES packets
 * carry NAL units; an SEI NAL (type 6) holds payloads, one of which is
 * user_data_unregistered (type 5) starting with the MDPM UUID and "MDPM".
 *
 * Only the start of the file is read: the SEI is in the first access
 * unit (Panasonic's in the second), so a few hundred KiB at most.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-scan.h"

#define TS_SIZE 188		/* a transport packet */
#define TS_SYNC 0x47
#define BDAV_PREFIX 4		/* M2TS: a time code before each packet */
#define SYNC_CHECKS 4		/* packets whose sync byte says it is a TS */
#define PROBE_SIZE (SYNC_CHECKS * (TS_SIZE + BDAV_PREFIX))
#define READ_MAX (256 << 10)	/* of the file */
#define ES_MAX (64 << 10)	/* of the video stream gathered */
#define MAX_PMTS 16
#define STREAM_H264 0x1b
#define NAL_SEI 6
#define SEI_USER_DATA_UNREGISTERED 5
#define SEI_END 0x80		/* rbsp_trailing_bits where a type would be */
#define MDPM_COUNT_AT 20	/* UUID (16) and "MDPM" (4), then a count */
#define MDPM_DATE 0x18		/* zone, year (2 bytes), month */
#define MDPM_TIME 0x19		/* day, hour, minute, second */

static const unsigned char mdpm_id[MDPM_COUNT_AT] = {
	0x17, 0xee, 0x8c, 0x60, 0xf8, 0x4d, 0x11, 0xd9,
	0x8c, 0xd6, 0x08, 0x00, 0x20, 0x0c, 0x9a, 0x66,
	'M', 'D', 'P', 'M',
};

/* The packets of a buffer: each plen bytes, its sync byte at prefix. */
struct ts {
	const unsigned char *buf;
	size_t	 len, plen, prefix;
};

/*
 * Which packet size the buffer has: 192 (BDAV) when byte 4 and every
 * 192nd after it is the sync byte, else 188 when byte 0 and every 188th
 * is; as exiftool, 4 packets must agree. 0: no transport stream.
 */
static int
ts_layout(const unsigned char *buf, size_t len, struct ts *t)
{
	static const size_t prefixes[] = { BDAV_PREFIX, 0 };
	size_t i, j;

	for (i = 0; i < LEN(prefixes); i++) {
		size_t plen = TS_SIZE + prefixes[i];

		if (len < SYNC_CHECKS * plen)
			continue;
		for (j = 0; j < SYNC_CHECKS; j++)
			if (buf[prefixes[i] + j * plen] != TS_SYNC)
				break;
		if (j == SYNC_CHECKS) {
			t->buf = buf;
			t->len = len;
			t->plen = plen;
			t->prefix = prefixes[i];
			return 1;
		}
	}
	return 0;
}

/*
 * The payload of packet i: -1 past the end or where the sync is lost
 * (what follows is not packets), 0 when it has none (adaptation field
 * only, scrambled, or a field longer than the packet), else 1 with its
 * PID, payload_unit_start_indicator and bytes.
 */
static int
ts_payload(const struct ts *t, size_t i, unsigned *pid, int *start,
    const unsigned char **pl, size_t *n)
{
	const unsigned char *p;
	size_t at = 4;
	unsigned control;

	if (i >= t->len / t->plen)
		return -1;
	p = t->buf + i * t->plen + t->prefix;
	if (p[0] != TS_SYNC)
		return -1;
	*start = (p[1] & 0x40) != 0;
	*pid = (unsigned)(p[1] & 0x1f) << 8 | p[2];
	control = (p[3] >> 4) & 3;
	if ((p[3] & 0xc0) != 0 || (control & 1) == 0)
		return 0;
	if (control & 2) {
		at += 1 + (size_t)p[4];
		if (at >= TS_SIZE)
			return 0;
	}
	*pl = p + at;
	*n = TS_SIZE - at;
	return 1;
}

/*
 * The PSI section of table_id starting in payload pl (n bytes): its body
 * after the 8-byte header and before the CRC. Only a section that fits
 * in its first packet is read (a PAT or an AVCHD PMT always does).
 * 0, or -1.
 */
static int
psi_section(const unsigned char *pl, size_t n, unsigned table_id,
    const unsigned char **body, size_t *len)
{
	const unsigned char *s;
	size_t seclen;

	if (n < 1 || (size_t)pl[0] + 1 > n)
		return -1;
	s = pl + 1 + pl[0];
	n -= 1 + (size_t)pl[0];
	if (n < 3 || s[0] != table_id || (s[1] & 0xc0) != 0x80)
		return -1;
	seclen = (size_t)(s[1] & 0x0f) << 8 | s[2];
	if (seclen < 5 + 4 || seclen > 1021 || 3 + seclen > n)
		return -1;
	*body = s + 8;
	*len = seclen - 5 - 4;
	return 0;
}

/* The PID of the first H.264 stream a PMT of the PAT names, or -1. */
static int
h264_pid(const struct ts *t)
{
	unsigned pmts[MAX_PMTS], pid;
	size_t npmts = 0, i, j, n, len, at;
	const unsigned char *pl, *b;
	int start, r;

	for (i = 0; (r = ts_payload(t, i, &pid, &start, &pl, &n)) >= 0; i++) {
		if (r == 0 || !start)
			continue;
		if (pid == 0 && npmts == 0 && psi_section(pl, n, 0x00, &b, &len) == 0) {
			for (at = 0; at + 4 <= len && npmts < MAX_PMTS; at += 4)
				if ((b[at] | b[at + 1]) != 0)	/* 0: the NIT */
					pmts[npmts++] = (unsigned)(b[at + 2] & 0x1f) << 8 |
					    b[at + 3];
			continue;
		}
		for (j = 0; j < npmts && pmts[j] != pid; j++)
			;
		if (j == npmts || psi_section(pl, n, 0x02, &b, &len) < 0 || len < 4)
			continue;
		at = 4 + ((size_t)(b[2] & 0x0f) << 8 | b[3]);	/* program info */
		while (at + 5 <= len) {
			if (b[at] == STREAM_H264)
				return (int)((unsigned)(b[at + 1] & 0x1f) << 8 | b[at + 2]);
			at += 5 + ((size_t)(b[at + 3] & 0x0f) << 8 | b[at + 4]);
		}
	}
	return -1;
}

/*
 * The elementary stream of pid from its first PES packet on, PES headers
 * left out, into es (at most max bytes): its length.
 */
static size_t
pes_gather(const struct ts *t, unsigned pid, unsigned char *es, size_t max)
{
	const unsigned char *pl;
	size_t i, n, len = 0, skip;
	unsigned p;
	int start, r, begun = 0;

	for (i = 0; len < max && (r = ts_payload(t, i, &p, &start, &pl, &n)) >= 0; i++) {
		if (r == 0 || p != pid || (!start && !begun))
			continue;
		if (start) {
			/* a video PES always has the optional header:
			 * '10' flags, then its length */
			if (n < 9 || pl[0] != 0 || pl[1] != 0 || pl[2] != 1 ||
			    (pl[6] & 0xc0) != 0x80 || (skip = 9 + (size_t)pl[8]) > n) {
				begun = 0;
				continue;
			}
			pl += skip;
			n -= skip;
			begun = 1;
		}
		if (n > max - len)
			n = max - len;
		memcpy(es + len, pl, n);
		len += n;
	}
	return len;
}

/* Two BCD digits as a number, or -1. */
static int
bcd(unsigned char b)
{
	return (b >> 4) > 9 || (b & 0x0f) > 9 ? -1 : (b >> 4) * 10 + (b & 0x0f);
}

/*
 * The date of the MDPM date and time packs (4 bytes each, their tag
 * bytes left out). The first byte is the zone, as exiftool decodes it:
 * 0x20 the sign (set: west of UTC), (byte >> 1) & 0x0f the hours, 0x01
 * half an hour more, 0x40 a DST flag that exiftool only names (the
 * offset is not changed by it), 0x80 unused. A zone not in use
 * (real_zone(): -05:30, past +-14:00) makes the date none to Immich, which
 * shows the mtime mem-exif gives the output: the wall clock is kept, its
 * offset unknown.
 */
static int
mdpm_date(const unsigned char *date, const unsigned char *time, int64_t *utc,
    int32_t *off)
{
	unsigned char zone = date[0];
	int32_t mins = ((zone >> 1) & 0x0f) * 60 + (zone & 1) * 30;
	char text[40];
	int i;

	for (i = 1; i < 4; i++)
		if (bcd(date[i]) < 0)
			return -1;
	for (i = 0; i < 4; i++)
		if (bcd(time[i]) < 0)
			return -1;
	if (date[1] == 0 && date[2] == 0)
		return -1;	/* year 0: no clock set */
	snprintf(text, sizeof(text), "%02x%02x-%02x-%02xT%02x:%02x:%02x",
	    date[1], date[2], date[3], time[0], time[1], time[2], time[3]);
	if (time_parse(text, utc, off) < 0)
		return -1;
	if (zone & 0x20)
		mins = -mins;
	if (real_zone(mins)) {
		*off = mins;
		*utc -= (int64_t)mins * 60;
	}
	return 0;
}

/*
 * The MDPM user data p (n bytes, its UUID first): a count, then packs of
 * a tag and 4 bytes, tags ascending (exiftool stops at one out of order).
 * The date is pack 0x18 with 0x19 right after it.
 */
static int
mdpm_time(const unsigned char *p, size_t n, int64_t *utc, int32_t *off)
{
	size_t at, i, count;
	int last = -1;

	if (n <= MDPM_COUNT_AT || memcmp(p, mdpm_id, MDPM_COUNT_AT) != 0)
		return -1;
	count = p[MDPM_COUNT_AT];
	for (i = 0, at = MDPM_COUNT_AT + 1; i < count && at + 5 <= n; i++, at += 5) {
		if ((int)p[at] <= last)
			return -1;
		last = p[at];
		if (p[at] == MDPM_DATE)
			return at + 10 <= n && p[at + 5] == MDPM_TIME ?
			    mdpm_date(p + at + 1, p + at + 6, utc, off) : -1;
	}
	return -1;
}

/*
 * The SEI messages of an RBSP (emulation prevention removed): each a
 * type and a size, both coded as 0xff bytes adding 255 and a last byte,
 * then the payload. As exiftool, only the first user data of an SEI unit
 * is looked at: MDPM after x264's own user data (which ffmpeg's
 * h264_metadata makes) is not read, by exiftool nor here.
 */
static int
sei_time(const unsigned char *p, size_t n, int64_t *utc, int32_t *off)
{
	size_t at = 0, type, size;

	while (at < n) {
		for (type = 0; at < n && p[at] == 0xff; at++)
			type += 255;
		if (at >= n)
			return -1;
		type += p[at++];
		if (type == SEI_END)
			return -1;
		for (size = 0; at < n && p[at] == 0xff; at++)
			size += 255;
		if (at >= n)
			return -1;
		size += p[at++];
		if (size > n - at)
			return -1;
		if (type == SEI_USER_DATA_UNREGISTERED)
			return mdpm_time(p + at, size, utc, off);
		at += size;
	}
	return -1;
}

/* Where the next start code 00 00 01 in p[at..n) begins, or n. */
static size_t
start_code(const unsigned char *p, size_t n, size_t at)
{
	for (; at + 3 <= n; at++)
		if (p[at] == 0 && p[at + 1] == 0 && p[at + 2] == 1)
			return at;
	return n;
}

/*
 * The NAL units of an Annex B stream (each after a start code); an SEI
 * unit's payload is copied into rbsp without its emulation prevention
 * bytes (the 03 of 00 00 03) and read.
 */
static int
es_time(const unsigned char *es, size_t n, unsigned char *rbsp, int64_t *utc,
    int32_t *off)
{
	size_t at = start_code(es, n, 0), end, i, len, zeros;

	while (at < n) {
		at += 3;
		end = start_code(es, n, at);
		if (at < end && (es[at] & 0x80) == 0 && (es[at] & 0x1f) == NAL_SEI) {
			for (i = at + 1, len = 0, zeros = 0; i < end; i++) {
				if (zeros >= 2 && es[i] == 3) {
					zeros = 0;
					continue;
				}
				zeros = es[i] == 0 ? zeros + 1 : 0;
				rbsp[len++] = es[i];
			}
			if (sei_time(rbsp, len, utc, off) == 0)
				return 0;
		}
		at = end;
	}
	return -1;
}

/*
 * The capture time of a transport stream's start in buf: 0, or -1 when
 * it is no TS, has no H.264 stream or no MDPM date. Exposed for the
 * fuzzer.
 */
int
mts_parse(const unsigned char *buf, size_t len, int64_t *utc, int32_t *off)
{
	struct ts t;
	unsigned char *es, *rbsp;
	size_t n;
	int pid, rc = -1;

	if (!ts_layout(buf, len, &t) || (pid = h264_pid(&t)) < 0)
		return -1;
	es = xmalloc(ES_MAX);
	n = pes_gather(&t, (unsigned)pid, es, ES_MAX);
	if (n > 0) {
		rbsp = xmalloc(n);
		rc = es_time(es, n, rbsp, utc, off);
		free(rbsp);
	}
	free(es);
	return rc;
}

/*
 * The capture time of the transport stream open on fd: a file that is no
 * TS costs one read of PROBE_SIZE bytes; one that is, one of READ_MAX.
 */
int
mts_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w)
{
	unsigned char probe[PROBE_SIZE], *buf;
	size_t n;
	ssize_t r;
	struct ts t;
	int rc = -1;

	(void)w;	/* MDPM's GPS is not read */
	if (size < SYNC_CHECKS * TS_SIZE)
		return -1;	/* unknown (-1), or too short */
	n = size < PROBE_SIZE ? (size_t)size : PROBE_SIZE;
	if ((r = fh_pread(fd, probe, n, 0)) < 0 || !ts_layout(probe, (size_t)r, &t))
		return -1;
	n = size < READ_MAX ? (size_t)size : READ_MAX;
	buf = xmalloc(n);
	if ((r = fh_pread(fd, buf, n, 0)) > 0)
		rc = mts_parse(buf, (size_t)r, utc, off);
	free(buf);
	return rc;
}
