/*
 * mp4.c -- MP4, MOV, 3GP and M4V (ISO base media boxes), without FFmpeg.
 *
 * Only moov is rewritten: the times in mvhd, tkhd and mdhd, the moov/udta
 * strings (©day, ©xyz, ©des, ©cmt) and the Apple keys we set in the mdta
 * meta (creationdate with its offset, location.ISO6709); every other box,
 * ours to keep or not, is copied byte for byte, tracks and edit lists and
 * vendor boxes and the other keys (ContentIdentifier pairs a Live Photo).
 * mdat never passes through this process (copy_file_range). When moov
 * sits before the sample data and changes size, a free box right after it
 * takes up the change, else every chunk offset (stco, co64) is shifted.
 *
 * mp4_put_xyz is the older, narrower job: a ©xyz into the moov that FFmpeg
 * left last in a file it wrote (its mp4 muxer writes only a 3GPP loci).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

#define MAXMOOV (256u << 20)

/* The ©xyz user data box: a counted string and a language (und). */
static unsigned char *
xyz_box(const char *loc, size_t *len)
{
	size_t n = strlen(loc);
	unsigned char *b = xmalloc(12 + n);

	put_be32(b, (uint32_t)(12 + n));
	memcpy(b + 4, "\xA9xyz", 4);
	b[8] = (unsigned char)(n >> 8);
	b[9] = (unsigned char)n;
	b[10] = 0x15;		/* packed ISO 639-2 "eng", as Apple writes */
	b[11] = 0xC7;
	memcpy(b + 12, loc, n);
	*len = 12 + n;
	return b;
}

/* moov with ©xyz added to (or replaced in) its udta, and the coarser
 * loci copy of the same place dropped; malloc'd. */
static unsigned char *
rebuild(const unsigned char *moov, size_t mlen, const char *loc, size_t *outlen)
{
	unsigned char *out, *xyz;
	size_t xlen, o = 8, i = 8, udta_at = 0, j;
	uint64_t sz, csz;
	unsigned hl, chl;

	xyz = xyz_box(loc, &xlen);
	out = xmalloc(mlen + xlen + 8);
	memcpy(out, moov, 8);
	while (i < mlen) {
		if (box_header(moov + i, mlen - i, &sz, &hl) < 0)
			goto bad;
		if (memcmp(moov + i + 4, "udta", 4) != 0 || hl != 8) {
			memcpy(out + o, moov + i, (size_t)sz);
			o += (size_t)sz;
			i += (size_t)sz;
			continue;
		}
		/* udta: copy its children but an old ©xyz, then ours */
		udta_at = o;
		memcpy(out + o, moov + i, 8);
		o += 8;
		for (j = i + 8; j < i + sz; j += (size_t)csz) {
			if (box_header(moov + j, i + sz - j, &csz, &chl) < 0)
				goto bad;
			/* ffmpeg's loci holds the place at 16.16 fixed point */
			if (memcmp(moov + j + 4, "\xA9xyz", 4) == 0 ||
			    memcmp(moov + j + 4, "loci", 4) == 0)
				continue;
			memcpy(out + o, moov + j, (size_t)csz);
			o += (size_t)csz;
		}
		memcpy(out + o, xyz, xlen);
		o += xlen;
		put_be32(out + udta_at, (uint32_t)(o - udta_at));
		i += (size_t)sz;
	}
	if (udta_at == 0) {
		put_be32(out + o, (uint32_t)(8 + xlen));
		memcpy(out + o + 4, "udta", 4);
		memcpy(out + o + 8, xyz, xlen);
		o += 8 + xlen;
	}
	put_be32(out, (uint32_t)o);
	free(xyz);
	*outlen = o;
	return out;
bad:
	free(xyz);
	free(out);
	return NULL;
}

int
mp4_put_xyz(const char *path, const char *loc, const char **why)
{
	unsigned char h[16], *moov = NULL, *nm = NULL;
	off_t off = 0, moov_off = -1;
	uint64_t sz, msz = 0;
	size_t nlen;
	struct stat st;
	unsigned hl, mhl = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		*why = why_errno("ffmpeg's output");
		goto out;
	}
	while (off < st.st_size) {
		size_t n = st.st_size - off >= 16 ? 16 : (size_t)(st.st_size - off);

		if (read_at(fd, off, h, n) < 0 || box_header(h, (uint64_t)(st.st_size - off), &sz,
		    &hl) < 0) {
			*why = "ffmpeg wrote a broken MP4";
			goto out;
		}
		if (memcmp(h + 4, "moov", 4) == 0) {
			moov_off = off;
			msz = sz;
			mhl = hl;
		}
		off += (off_t)sz;
	}
	if (moov_off < 0 || moov_off + (off_t)msz != st.st_size || mhl != 8 ||
	    msz > MAXMOOV) {
		*why = "cannot add ©xyz: the MP4's moov box is not last";
		goto out;
	}
	moov = xmalloc((size_t)msz);
	if (read_at(fd, moov_off, moov, (size_t)msz) < 0) {
		*why = why_errno("ffmpeg's output");
		goto out;
	}
	if ((nm = rebuild(moov, (size_t)msz, loc, &nlen)) == NULL) {
		*why = "ffmpeg wrote a broken moov box";
		goto out;
	}
	if (pwrite(fd, nm, nlen, moov_off) != (ssize_t)nlen ||
	    ftruncate(fd, moov_off + (off_t)nlen) < 0) {
		*why = why_errno("output");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		*why = why_errno("output");
		rc = -1;
	}
	free(moov);
	free(nm);
	return rc;
}


/* QuickTime counts seconds from 1904-01-01, Unix from 1970-01-01. */
#define QT_EPOCH_DELTA 2082844800ULL

#define KEY_DATE "com.apple.quicktime.creationdate"
#define KEY_PLACE "com.apple.quicktime.location.ISO6709"
/* exiftool (and so Immich) reads a caption as Description from this key;
 * udta's ©des is not read as one. */
#define KEY_DESC "com.apple.quicktime.description"

/* What one file gets: each part is set only when it is to be written. */
struct qt_plan {
	int	 set_time;
	uint64_t qt_time;	/* seconds since 1904, UTC */
	char	 day[48];	/* "2023-01-15T10:30:45+0200" */
	char	*place;		/* ISO 6709, malloc'd, or NULL */
	const char *caption;
};

/* A growing output buffer. */
struct obuf {
	unsigned char *p;
	size_t	 n, cap;
};

static void
ob_put(struct obuf *o, const void *p, size_t n)
{
	if (o->cap - o->n < n) {
		while (o->cap - o->n < n)
			o->cap = o->cap ? o->cap * 2 : 4096;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
}

static void
ob_be32(struct obuf *o, uint32_t v)
{
	unsigned char b[4];

	put_be32(b, v);
	ob_put(o, b, 4);
}

/* Start a box: its size is filled in by ob_end. */
static size_t
ob_begin(struct obuf *o, const char *type)
{
	size_t at = o->n;

	ob_be32(o, 0);
	ob_put(o, type, 4);
	return at;
}

static void
ob_end(struct obuf *o, size_t at)
{
	put_be32(o->p + at, (uint32_t)(o->n - at));
}

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* A QuickTime user data string: counted, with a language (und). */
static void
ob_qt_string(struct obuf *o, const char *type, const char *text)
{
	size_t at = ob_begin(o, type), n = strlen(text);
	unsigned char h[4] = { (unsigned char)(n >> 8), (unsigned char)n, 0x55, 0xC4 };

	ob_put(o, h, 4);
	ob_put(o, text, n);
	ob_end(o, at);
}

static int
is_type(const unsigned char *box, const char *type)
{
	return memcmp(box + 4, type, 4) == 0;
}

/* Is this meta box (whole, header included) Apple's mdta one? */
static int
is_mdta_meta(const unsigned char *p, size_t n)
{
	size_t c = meta_children(p, n);

	return c != 0 && n >= c + 20 && memcmp(p + c + 16, "mdta", 4) == 0;
}

/* One ilst item: key index, a data box of UTF-8 text. */
static void
ob_ilst_item(struct obuf *o, uint32_t index, const char *text)
{
	unsigned char t[4];
	size_t at, d;

	put_be32(t, index);
	at = ob_begin(o, (const char *)t);
	d = ob_begin(o, "data");
	ob_be32(o, 1);		/* UTF-8 */
	ob_be32(o, 0);		/* default locale */
	ob_put(o, text, strlen(text));
	ob_end(o, d);
	ob_end(o, at);
}

/*
 * The mdta meta box with our keys set: the keys box keeps its entries in
 * order and gains ours at the end; the ilst items of other keys are copied
 * as they are. p is the whole old box, or NULL to make one.
 */
static void
edit_meta(struct obuf *o, const unsigned char *p, size_t n, const struct qt_plan *pl)
{
	static const unsigned char hdlr[33] = { 0, 0, 0, 33, 'h', 'd', 'l', 'r',
	    0, 0, 0, 0, 0, 0, 0, 0, 'm', 'd', 't', 'a' };
	const char *want[3], *text[3];
	const unsigned char *keys = NULL, *ilst = NULL;
	uint32_t idx[3] = { 0, 0, 0 }, count = 0, k;
	uint64_t sz, ksz = 0, isz = 0, esz;
	unsigned hl, ehl;
	size_t c = p != NULL ? meta_children(p, n) : 8, i, at, kat, j;
	int w, nw = 0;

	if (pl->set_time) {
		text[nw] = pl->day;
		want[nw++] = KEY_DATE;
	}
	if (pl->place != NULL) {
		text[nw] = pl->place;
		want[nw++] = KEY_PLACE;
	}
	if (pl->caption != NULL) {
		text[nw] = pl->caption;
		want[nw++] = KEY_DESC;
	}
	at = ob_begin(o, "meta");
	if (p != NULL)
		ob_put(o, p + 8, c - 8);	/* an ISO version word */
	/* find keys and ilst, and the indexes of our keys */
	for (i = c; p != NULL && i + 8 <= n; i += (size_t)sz) {
		if (box_header(p + i, n - i, &sz, &hl) < 0)
			break;
		if (is_type(p + i, "keys") && keys == NULL && hl == 8 && sz >= 16) {
			keys = p + i;
			ksz = sz;
		} else if (is_type(p + i, "ilst") && ilst == NULL && hl == 8) {
			ilst = p + i;
			isz = sz;
		}
	}
	if (keys != NULL) {
		count = be32(keys + 12);
		for (j = 16, k = 1; k <= count && j + 8 <= ksz; k++, j += (size_t)esz) {
			esz = be32(keys + j);
			if (esz < 8 || esz > ksz - j)
				break;
			for (w = 0; w < nw; w++)
				if (esz - 8 == strlen(want[w]) &&
				    memcmp(keys + j + 8, want[w], esz - 8) == 0)
					idx[w] = k;
		}
		count = k - 1;
	}
	if (p == NULL)
		ob_put(o, hdlr, sizeof(hdlr));
	for (i = c; p != NULL && i + 8 <= n; i += (size_t)sz) {
		if (box_header(p + i, n - i, &sz, &hl) < 0) {
			ob_put(o, p + i, n - i);
			break;
		}
		if (p + i != keys && p + i != ilst)
			ob_put(o, p + i, (size_t)sz);
	}
	/* keys: the old entries as they were, then ours */
	kat = ob_begin(o, "keys");
	ob_be32(o, 0);
	ob_be32(o, 0);		/* the count, below */
	if (keys != NULL)
		ob_put(o, keys + 16, (size_t)ksz - 16);
	for (w = 0; w < nw; w++) {
		if (idx[w] != 0)
			continue;
		idx[w] = ++count;
		ob_be32(o, (uint32_t)(8 + strlen(want[w])));
		ob_put(o, "mdta", 4);
		ob_put(o, want[w], strlen(want[w]));
	}
	put_be32(o->p + kat + 12, count);
	ob_end(o, kat);
	/* ilst: the items of other keys as they were, then ours */
	kat = ob_begin(o, "ilst");
	for (i = 8; ilst != NULL && i + 8 <= isz; i += (size_t)esz) {
		if (box_header(ilst + i, isz - i, &esz, &ehl) < 0) {
			ob_put(o, ilst + i, (size_t)isz - i);
			break;
		}
		k = be32(ilst + i + 4);
		for (w = 0; w < nw && k != idx[w]; w++)
			;
		if (w < nw)
			continue;
		ob_put(o, ilst + i, (size_t)esz);
	}
	for (w = 0; w < nw; w++)
		ob_ilst_item(o, idx[w], text[w]);
	ob_end(o, kat);
	ob_end(o, at);
}

/*
 * moov/udta with our strings in place of the ones we set; and, when keys
 * is set, the first mdta meta in it edited (where FFmpeg puts Apple's
 * keys) and keys cleared.
 */
static void
edit_udta(struct obuf *o, const unsigned char *p, size_t n, const struct qt_plan *pl,
    int *keys)
{
	const unsigned char *tail = NULL;
	uint64_t sz;
	unsigned hl;
	size_t i, tlen = 0, at = ob_begin(o, "udta");

	for (i = 0; p != NULL && i < n; i += (size_t)sz) {
		if (box_header(p + i, n - i, &sz, &hl) < 0) {
			tail = p + i;	/* a terminator: it stays last */
			tlen = n - i;
			break;
		}
		if (*keys && is_type(p + i, "meta") && is_mdta_meta(p + i, (size_t)sz)) {
			edit_meta(o, p + i, (size_t)sz, pl);
			*keys = 0;
			continue;
		}
		if ((pl->set_time && is_type(p + i, "\xA9" "day")) ||
		    (pl->place != NULL && (is_type(p + i, "\xA9xyz") ||
		    is_type(p + i, "loci"))) ||
		    (pl->caption != NULL && (is_type(p + i, "\xA9" "des") ||
		    is_type(p + i, "\xA9" "cmt"))))
			continue;
		ob_put(o, p + i, (size_t)sz);
	}
	if (pl->set_time)
		ob_qt_string(o, "\xA9" "day", pl->day);
	if (pl->place != NULL)
		ob_qt_string(o, "\xA9xyz", pl->place);
	if (pl->caption != NULL) {
		ob_qt_string(o, "\xA9" "des", pl->caption);
		ob_qt_string(o, "\xA9" "cmt", pl->caption);
	}
	if (tail != NULL)
		ob_put(o, tail, tlen);
	ob_end(o, at);
}

/* What the moov says already: a creation time, a place. */
struct qt_have {
	uint64_t time;		/* mvhd's, 0 for none */
	int	 has_day;	/* a creationdate key or ©day */
	int	 has_place;	/* ©xyz, loci or the ISO6709 key */
};

/*
 * A place or a date anywhere in a udta or meta box: as a box of its own
 * (©xyz, loci, ©day, in udta or in an ilst inside it, as Android writes
 * them) or as an Apple key name. A plain search is enough: these names do
 * not turn up by chance in the few hundred bytes of such a box.
 */
static void
look_in(const unsigned char *b, size_t n, struct qt_have *h)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++) {
		if (memcmp(b + i, "\xA9xyz", 4) == 0 || memcmp(b + i, "loci", 4) == 0 ||
		    (n - i >= sizeof(KEY_PLACE) - 1 &&
		    memcmp(b + i, KEY_PLACE, sizeof(KEY_PLACE) - 1) == 0))
			h->has_place = 1;
		if (memcmp(b + i, "\xA9" "day", 4) == 0 ||
		    (n - i >= sizeof(KEY_DATE) - 1 &&
		    memcmp(b + i, KEY_DATE, sizeof(KEY_DATE) - 1) == 0))
			h->has_day = 1;
	}
}

static void
look(const unsigned char *moov, size_t n, struct qt_have *h)
{
	uint64_t sz;
	unsigned hl;
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 8; i + 8 <= n; i += (size_t)sz) {
		if (box_header(moov + i, n - i, &sz, &hl) < 0)
			break;
		if (is_type(moov + i, "mvhd") && sz >= 28)
			h->time = moov[i + 8] == 1 && sz >= 36 ? be64(moov + i + 12) :
			    be32(moov + i + 12);
		if (is_type(moov + i, "meta") || is_type(moov + i, "udta"))
			look_in(moov + i + 8, (size_t)sz - 8, h);
	}
	/* muxers write these for "no date" */
	if (h->time == QT_EPOCH_DELTA)
		h->time = 0;
}

/* The times of one mvhd, tkhd or mdhd box (version 0: 32 bits, 1: 64). */
static void
set_times(unsigned char *b, uint64_t sz, uint64_t t)
{
	if (b[8] == 1 && sz >= 28) {
		put_be64(b + 12, t);
		put_be64(b + 20, t);
	} else if (b[8] == 0 && sz >= 20 && t <= 0xFFFFFFFFULL) {
		put_be32(b + 12, (uint32_t)t);
		put_be32(b + 16, (uint32_t)t);
	}
}

/* The zero word old QuickTime writers end a udta with. */
static int
is_terminator(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/*
 * Whether the boxes in p (n bytes) tile it exactly, and so do those in the
 * containers we look into (tracks down to their sample tables, udta, meta).
 * One that overruns its parent would swallow the boxes we add after it,
 * or be read differently once moov has grown around it.
 */
static int
tiles(const unsigned char *p, size_t n)
{
	uint64_t sz;
	unsigned hl;
	size_t i, c;

	for (i = 0; i < n; i += (size_t)sz) {
		if (n - i < 8 && is_terminator(p + i, n - i))
			break;
		if (box_header(p + i, n - i, &sz, &hl) < 0)
			return 0;
		if ((is_type(p + i, "trak") || is_type(p + i, "mdia") ||
		    is_type(p + i, "minf") || is_type(p + i, "stbl") ||
		    is_type(p + i, "udta")) && !tiles(p + i + hl, (size_t)sz - hl))
			return 0;
		if (is_type(p + i, "meta") && (c = meta_children(p + i, (size_t)sz)) != 0 &&
		    !tiles(p + i + c, (size_t)sz - c))
			return 0;
	}
	return 1;
}

/*
 * The in-place pass over the new moov: times (when set_time), and chunk
 * offsets at or past from moved by delta. Also the check that no chunk
 * starts past the end of the file: a faststart MP4 cut short has all its
 * sample tables but not the data they describe. -1 with *why.
 */
static int
fix_boxes(unsigned char *p, size_t n, int set_time, uint64_t t, uint64_t from,
    int64_t delta, uint64_t fsize, const char **why)
{
	uint64_t sz, cnt, k, v;
	unsigned hl;
	size_t i, w;

	for (i = 0; i < n; i += (size_t)sz) {
		if (n - i < 8 && is_terminator(p + i, n - i))
			break;
		/* boxes that do not tile their parent would be read differently
		 * once moov has grown around them */
		if (box_header(p + i, n - i, &sz, &hl) < 0) {
			*why = "corrupt MP4 (a box overruns the one it is in)";
			return -1;
		}
		if (is_type(p + i, "trak") || is_type(p + i, "mdia") ||
		    is_type(p + i, "minf") || is_type(p + i, "stbl")) {
			if (fix_boxes(p + i + hl, (size_t)sz - hl, set_time, t, from, delta,
			    fsize, why) < 0)
				return -1;
			continue;
		}
		if (set_time && (is_type(p + i, "mvhd") || is_type(p + i, "tkhd") ||
		    is_type(p + i, "mdhd")))
			set_times(p + i, sz, t);
		if ((is_type(p + i, "stco") || is_type(p + i, "co64")) && sz >= 16) {
			w = is_type(p + i, "stco") ? 4 : 8;
			cnt = be32(p + i + 12);
			if (cnt > (sz - 16) / w) {
				*why = "corrupt MP4 (chunk offset table too short)";
				return -1;
			}
			for (k = 0; k < cnt; k++) {
				unsigned char *e = p + i + 16 + w * k;

				v = w == 4 ? be32(e) : be64(e);
				if (v >= fsize) {
					*why = "truncated MP4 (its sample tables point past the end of the file)";
					return -1;
				}
				if (v < from)
					continue;
				v = (uint64_t)((int64_t)v + delta);
				if (w == 4 && v > 0xFFFFFFFFULL) {
					*why = "MP4 too big to grow moov (32-bit chunk offsets)";
					return -1;
				}
				if (w == 4)
					put_be32(e, (uint32_t)v);
				else
					put_be64(e, v);
			}
		}
	}
	return 0;
}

/* The plan for this file: what m asks for, less what the camera wrote
 * (unless overwrite). */
static int
plan_of(const struct meta *m, const struct qt_have *h, struct qt_plan *pl,
    const char **why)
{
	struct tm tm;
	int o;

	memset(pl, 0, sizeof(*pl));
	if (m->tag_time && ((h->time == 0 && !h->has_day) || m->overwrite)) {
		pl->set_time = 1;
		pl->qt_time = (uint64_t)(m->time + (int64_t)QT_EPOCH_DELTA);
		time_wall(m->time, m->offset_min, &tm);
		o = m->offset_min == OFFSET_UNKNOWN ? 0 : m->offset_min < 0 ? -m->offset_min :
		    m->offset_min;
		snprintf(pl->day, sizeof(pl->day), "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		if (m->offset_min != OFFSET_UNKNOWN)
			snprintf(pl->day + 19, sizeof(pl->day) - 19, "%c%02d%02d",
			    m->offset_min < 0 ? '-' : '+', o / 60 % 100, o % 60);
	}
	if (m->has_gps && (!h->has_place || m->overwrite))
		pl->place = meta_iso6709(m);
	if (m->caption != NULL) {
		if (strlen(m->caption) > 0xFFFF - 12) {
			*why = "caption too long for a QuickTime string (64 KiB)";
			free(pl->place);
			return -1;
		}
		pl->caption = m->caption;
	}
	return 0;
}

/* The new moov: its children copied, udta and the mdta meta edited (or
 * added when there is something for them). Apple's keys are in moov/meta,
 * FFmpeg's in moov/udta/meta: the first of the two is edited. */
static void
edit_moov(struct obuf *o, const unsigned char *moov, size_t n, const struct qt_plan *pl)
{
	const unsigned char *tail = NULL;
	uint64_t sz;
	unsigned hl;
	size_t i, tlen = 0, at = ob_begin(o, "moov");
	int udta = 0, top_meta = 0, keys = pl->set_time || pl->place != NULL ||
	    pl->caption != NULL;
	int strings = keys;

	for (i = 8; i + 8 <= n; i += (size_t)sz) {
		if (box_header(moov + i, n - i, &sz, &hl) < 0)
			break;
		if (is_type(moov + i, "meta") && is_mdta_meta(moov + i, (size_t)sz))
			top_meta = 1;
	}
	for (i = 8; i < n; i += (size_t)sz) {
		if (box_header(moov + i, n - i, &sz, &hl) < 0) {
			tail = moov + i;	/* a terminator: it stays last */
			tlen = n - i;
			break;
		}
		if (strings && !udta && is_type(moov + i, "udta") && hl == 8) {
			int in_udta = keys && !top_meta;

			edit_udta(o, moov + i + 8, (size_t)sz - 8, pl, &in_udta);
			if (keys && !top_meta && !in_udta)
				keys = 0;	/* done there */
			udta = 1;
		} else if (keys && top_meta && is_type(moov + i, "meta") &&
		    is_mdta_meta(moov + i, (size_t)sz)) {
			edit_meta(o, moov + i, (size_t)sz, pl);
			keys = 0;
		} else
			ob_put(o, moov + i, (size_t)sz);
	}
	if (strings && !udta) {
		int none = 0;

		edit_udta(o, NULL, 0, pl, &none);
	}
	if (keys)
		edit_meta(o, NULL, 0, pl);
	if (tail != NULL)
		ob_put(o, tail, tlen);
	ob_end(o, at);
}

int
is_mp4_name(const char *path)
{
	static const char *ext[] = { "mp4", "m4v", "mov", "3gp", "3g2", "qt" };
	const char *e = path_ext(path);
	size_t i;

	for (i = 0; i < LEN(ext); i++)
		if (strcasecmp(e, ext[i]) == 0)
			return 1;
	return 0;
}

/*
 * Where the top-level boxes are: moov's offset and size. Every box must
 * lie within the file (a cut-off mdat is a truncated file, whatever a
 * player makes of it), and there must be one moov.
 */
static int
top_boxes(int fd, off_t size, off_t *moov_off, uint64_t *moov_size, const char **why)
{
	unsigned char h[16];
	off_t off = 0;
	uint64_t sz;
	size_t n;

	*moov_off = -1;
	while (off < size) {
		n = size - off >= 16 ? 16 : (size_t)(size - off);
		if (read_at(fd, off, h, n) < 0) {
			*why = why_errno("read");
			return -1;
		}
		if (n < 8 || (be32(h) == 1 && n < 16)) {
			*why = "truncated MP4 (ends inside a box header)";
			return -1;
		}
		sz = be32(h);
		if (sz == 1)
			sz = be64(h + 8);
		else if (sz == 0)
			sz = (uint64_t)(size - off);
		if (off == 0 && !is_type(h, "ftyp") && !is_type(h, "moov") &&
		    !is_type(h, "mdat") && !is_type(h, "free") && !is_type(h, "wide") &&
		    !is_type(h, "skip")) {
			*why = "not an MP4 or QuickTime file (no ftyp box)";
			return -1;
		}
		if (sz < 8 || sz > (uint64_t)(size - off)) {
			*why = "truncated MP4 (a box runs past the end of the file)";
			return -1;
		}
		if (is_type(h, "moov")) {
			if (*moov_off >= 0) {
				*why = "corrupt MP4 (two moov boxes)";
				return -1;
			}
			if (be32(h) == 1) {
				*why = "MP4 with a 64-bit moov size is not supported";
				return -1;
			}
			*moov_off = off;
			*moov_size = sz;
		}
		off += (off_t)sz;
	}
	if (*moov_off < 0) {
		*why = "not a playable MP4 (no moov box)";
		return -1;
	}
	if (*moov_size > MAXMOOV) {
		*why = "moov box too big";
		return -1;
	}
	return 0;
}

/* The output of an MP4 edit, as pieces of memory and ranges of the source. */
struct mp4_out {
	struct piece p[4];
	size_t	 k;
	unsigned char h[8], *pad, *moov;
	struct obuf o;
	char	*place;
};

static void
mp4_out_free(struct mp4_out *w)
{
	free(w->place);
	free(w->pad);
	free(w->moov);
	free(w->o.p);
}

/* Plan the edited file: the pieces in w, 0; or -1 with *why. */
static int
mp4_plan(int srcfd, off_t size, const struct meta *m, struct mp4_out *w,
    const char **why)
{
	unsigned char *h = w->h, *moov;
	off_t moov_off, resume;
	uint64_t msz = 0, fsz;
	struct obuf o = { NULL, 0, 0 };
	struct qt_have have;
	struct qt_plan pl;
	struct piece *p = w->p;
	size_t k = 0, head = 0;
	int64_t delta;
	int rc = -1;
	unsigned char *pad = NULL;

	memset(&pl, 0, sizeof(pl));
	if (top_boxes(srcfd, size, &moov_off, &msz, why) < 0)
		return -1;
	moov = xmalloc((size_t)msz);
	if (read_at(srcfd, moov_off, moov, (size_t)msz) < 0) {
		*why = why_errno("read");
		goto out;
	}
	if (!tiles(moov + 8, (size_t)msz - 8)) {
		*why = "corrupt MP4 (a box in moov overruns the one it is in)";
		goto out;
	}
	look(moov, (size_t)msz, &have);
	if (plan_of(m, &have, &pl, why) < 0)
		goto out;
	/* what comes before moov is usually a few bytes (ftyp): it goes out
	 * in the same write as moov, not as a copy of its own */
	if (moov_off <= 65536) {
		o.cap = (size_t)moov_off + (size_t)msz + 4096;
		o.p = xmalloc(o.cap);
		if (read_at(srcfd, 0, o.p, (size_t)moov_off) < 0) {
			*why = why_errno("read");
			goto out;
		}
		o.n = (size_t)moov_off;
		head = (size_t)moov_off;
	} else
		p[k++] = (struct piece){ NULL, srcfd, 0, (size_t)moov_off };
	edit_moov(&o, moov, (size_t)msz, &pl);
	p[k++] = (struct piece){ o.p, -1, 0, o.n };
	resume = moov_off + (off_t)msz;
	delta = (int64_t)(o.n - head) - (int64_t)msz;
	/* a free box right after moov takes up its growth; a shrink leaves one */
	fsz = 0;
	if (delta > 0 && resume + 8 <= size && read_at(srcfd, resume, h, 8) == 0 &&
	    (is_type(h, "free") || is_type(h, "skip")))
		fsz = be32(h);
	if (delta > 0 && fsz >= 8 && (off_t)fsz <= size - resume &&
	    (fsz == (uint64_t)delta || fsz >= (uint64_t)delta + 8)) {
		if (fsz == (uint64_t)delta)
			resume += delta;
		else {
			put_be32(h, (uint32_t)(fsz - (uint64_t)delta));
			p[k++] = (struct piece){ h, -1, 0, 8 };
			resume += 8 + delta;
		}
		delta = 0;
	} else if (delta <= -8) {
		pad = xcalloc((size_t)-delta, 1);
		put_be32(pad, (uint32_t)-delta);
		memcpy(pad + 4, "free", 4);
		p[k++] = (struct piece){ pad, -1, 0, (size_t)-delta };
		delta = 0;
	}
	if (fix_boxes(o.p + head + 8, o.n - head - 8, pl.set_time, pl.qt_time, (uint64_t)moov_off + msz,
	    delta, (uint64_t)size, why) < 0)
		goto out;
	p[k++] = (struct piece){ NULL, srcfd, resume, (size_t)(size - resume) };
	rc = 0;
out:
	w->k = k;
	w->place = pl.place;
	w->pad = pad;
	w->moov = moov;
	w->o = o;
	return rc;
}

int
mp4_write(int srcfd, off_t size, const char *dst, const struct meta *m,
    const char **why)
{
	struct mp4_out w;
	int rc;

	memset(&w, 0, sizeof(w));
	rc = mp4_plan(srcfd, size, m, &w, why);
	if (rc == 0)
		rc = pieces_commit(dst, w.p, w.k, m, srcfd, why);
	mp4_out_free(&w);
	return rc;
}

/* Move len bytes of fd from one offset to another, overlaps allowed. */
static int
move_range(int fd, off_t from, off_t to, off_t len)
{
	static unsigned char buf[1 << 20];
	off_t done = 0, at;
	size_t n;

	while (from != to && done < len) {
		n = len - done < (off_t)sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
		/* to the right: from the end backwards, so nothing is overwritten
		 * before it is read */
		at = to > from ? len - done - (off_t)n : done;
		if (read_at(fd, from + at, buf, n) < 0 ||
		    pwrite(fd, buf, n, to + at) != (ssize_t)n)
			return -1;
		done += (off_t)n;
	}
	return 0;
}

/*
 * The same edit made in the file itself (fd, open for reading and writing):
 * an archive member streamed once into the output's temp file is edited
 * there, not copied again. The bytes before moov stay; the tail after it
 * moves only when moov changes size with no free box to take it up.
 */
int
mp4_edit_fd(int fd, off_t size, const struct meta *m, const char **why)
{
	struct mp4_out w;
	off_t at = 0;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	if ((rc = mp4_plan(fd, size, m, &w, why)) < 0)
		goto out;
	for (i = 0; i < w.k; i++)	/* the ranges first: they read the old bytes */
		at += (off_t)w.p[i].len;
	for (i = w.k; i-- > 0;) {
		at -= (off_t)w.p[i].len;
		if (w.p[i].mem == NULL && move_range(fd, w.p[i].off, at, (off_t)w.p[i].len) < 0)
			goto fail;
	}
	for (i = 0; i < w.k; at += (off_t)w.p[i].len, i++)
		if (w.p[i].mem != NULL && w.p[i].len > 0 &&
		    pwrite(fd, w.p[i].mem, w.p[i].len, at) != (ssize_t)w.p[i].len)
			goto fail;
	if (ftruncate(fd, at) < 0)
		goto fail;
	goto out;
fail:
	*why = why_errno("write");
	rc = -1;
out:
	mp4_out_free(&w);
	return rc;
}
