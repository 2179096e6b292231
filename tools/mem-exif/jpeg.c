/*
 * jpeg.c -- JPEG: find the segments without reading the image data, and
 * write a JPEG with a new EXIF APP1; the segments before and after it,
 * and the image data, are copied from the source byte for byte.
 *
 * The scan reads marker headers through a reader callback (pread on a
 * file, memcpy in the fuzzer), so a 5 MB photo costs a few small reads:
 * everything from SOS on is copied, never parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mem-exif.h"

/* JPEG Annex K.1, the luminance table IJG quality 50 scales from. */
static const unsigned char std_luma[64] = {
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99
};

static int
is_sof(unsigned m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* The quality a re-encode should aim at: the table's sum against the
 * standard one's (order does not matter for a sum, so no zigzag). */
static void
note_dqt(struct jpeg_layout *l, const unsigned char *p, size_t n)
{
	unsigned sum = 0, ssum = 0;
	size_t i;

	if (l->scale != 0 || n < 65 || (p[0] >> 4) != 0)
		return;
	for (i = 0; i < 64; i++) {
		sum += p[1 + i];
		ssum += std_luma[i];
	}
	l->scale = (int)((sum * 100 + ssum / 2) / ssum);
	if (l->scale == 0)
		l->scale = 1;
}

static void
note_sof(struct jpeg_layout *l, const unsigned char *p, size_t n)
{
	if (n >= 5 && l->img.width == 0) {
		l->img.height = (uint32_t)p[1] << 8 | p[2];
		l->img.width = (uint32_t)p[3] << 8 | p[4];
	}
	if (n >= 9 && p[5] == 3)
		l->subsampled = (p[7] >> 4) > 1 || (p[7] & 15) > 1;
}

/* JFIF's pixel density, for the resolution tags of a new EXIF block. */
static void
note_jfif(struct jpeg_layout *l, const unsigned char *p, size_t n)
{
	if (n < 12 || memcmp(p, "JFIF\0", 5) != 0 || (p[7] != 1 && p[7] != 2) ||
	    l->img.xres != 0)
		return;
	l->img.unit = p[7] == 1 ? 2 : 3;
	l->img.xres = (uint32_t)p[8] << 8 | p[9];
	l->img.yres = (uint32_t)p[10] << 8 | p[11];
	if (l->img.xres == 0 || l->img.yres == 0)
		l->img.xres = l->img.yres = 0;
}

int
jpeg_scan(reader_fn rd, void *ctx, off_t size, struct jpeg_layout *l,
    const char **why)
{
	unsigned char b[2], head[72];
	off_t off = 2, at;
	size_t len, n;
	unsigned m;

	memset(l, 0, sizeof(*l));
	l->exif = -1;
	l->insert_at = 2;
	if (size < 2 || rd(ctx, 0, b, 2) < 0 || b[0] != 0xFF || b[1] != 0xD8) {
		*why = size == 0 ? "empty file" : "not a JPEG (no SOI marker)";
		return -1;
	}
	for (;;) {
		at = off;
		if (off + 2 > size || rd(ctx, off, b, 2) < 0)
			goto truncated;
		/* bytes between segments: skipped, as exiftool does, and
		 * copied as they are, since the writers copy ranges */
		while (b[0] != 0xFF) {
			if (++off + 2 > size || rd(ctx, off, b, 2) < 0)
				goto truncated;
		}
		at = off;
		/* any number of FF fill bytes may precede a marker */
		while (b[1] == 0xFF) {
			if (++off + 2 > size || rd(ctx, off, b, 2) < 0)
				goto truncated;
		}
		m = b[1];
		off += 2;
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01)
			continue;	/* standalone markers */
		if (m == 0xD9) {
			*why = "corrupt JPEG (no image data before EOI)";
			return -1;
		}
		if (m == 0x00 || m == 0xD8) {
			*why = "corrupt JPEG (bad marker in header)";
			return -1;
		}
		if (off + 2 > size || rd(ctx, off, b, 2) < 0)
			goto truncated;
		len = (size_t)b[0] << 8 | b[1];
		if (len < 2) {
			*why = "corrupt JPEG (segment length under 2)";
			return -1;
		}
		if (off + (off_t)len > size)
			goto truncated;
		if (m == 0xDA) {
			l->sos_off = at;
			return 0;
		}
		if (l->nseg == JPEG_MAXSEG) {
			*why = "corrupt JPEG (too many segments)";
			return -1;
		}
		n = len - 2 < sizeof(head) ? len - 2 : sizeof(head);
		if (n > 0 && rd(ctx, off + 2, head, n) < 0)
			goto truncated;
		l->seg[l->nseg].off = at;
		l->seg[l->nseg].len = (size_t)(off - at) + len;
		l->seg[l->nseg].plen = len - 2;
		l->seg[l->nseg].marker = (unsigned char)m;
		memset(l->seg[l->nseg].id, 0, sizeof(l->seg[0].id));
		memcpy(l->seg[l->nseg].id, head, n < 7 ? n : 7);
		if (m == 0xE1 && l->exif < 0 && n >= 6 && memcmp(head, "Exif\0\0", 6) == 0)
			l->exif = (int)l->nseg;
		/* a new APP1 goes after the JFIF/JFXX APP0s that lead the file */
		if (m == 0xE0 && l->insert_at == at)
			l->insert_at = off + (off_t)len;
		if (m == 0xE0)
			note_jfif(l, head, n);
		if (m == 0xDB)
			note_dqt(l, head, n);
		if (is_sof(m))
			note_sof(l, head, n);
		l->nseg++;
		off += (off_t)len;
	}
truncated:
	*why = "truncated JPEG (ends inside its header)";
	return -1;
}

/*
 * Whether an EOI marker follows the SOS at sos: a file cut short in its
 * image data has none. Searched from the end, where it nearly always is
 * (data a phone appends after EOI is short), so a good file costs one read.
 */
int
jpeg_has_eoi(reader_fn rd, void *ctx, off_t sos, off_t size)
{
	unsigned char buf[65536];
	off_t end = size, start;
	size_t i, n;

	/* the usual case: EOI is the last two bytes */
	if (size - sos >= 2 && rd(ctx, size - 2, buf, 2) == 0 && buf[0] == 0xFF &&
	    buf[1] == 0xD9)
		return 1;
	while (end - sos >= 2) {
		start = end - (off_t)sizeof(buf) > sos ? end - (off_t)sizeof(buf) : sos;
		n = (size_t)(end - start);
		if (rd(ctx, start, buf, n) < 0)
			return 0;
		for (i = n - 1; i > 0; i--)
			if (buf[i - 1] == 0xFF && buf[i] == 0xD9)
				return 1;
		/* overlap one byte so a marker split across reads is seen */
		end = start + 1;
		if (start == sos)
			break;
	}
	return 0;
}

/*
 * Layout of the file at fd. A missing EOI is taken as exiftool takes it
 * (the bytes after SOS are copied as they are) unless need_eoi: an image
 * to be decoded again must be whole. c keeps the window the scan read
 * (the EXIF block is nearly always in it) for the reads that follow.
 */
static struct jpeg_layout *
layout(int fd, off_t base, struct cached *c, off_t size, int need_eoi, const char **why)
{
	struct jpeg_layout *l = xmalloc(sizeof(*l));

	cached_init(c, fd, base, size);
	if (jpeg_scan(cached_reader, c, size, l, why) < 0)
		goto bad;
	if (need_eoi && !jpeg_has_eoi(cached_reader, c, l->sos_off, size)) {
		*why = "truncated JPEG (no EOI marker after the image data)";
		goto bad;
	}
	return l;
bad:
	free(l);
	return NULL;
}

/* The payload of the Exif APP1 of the file c reads (malloc'd), or NULL
 * with *len 0 when there is none; -1 on a read error. */
static int
old_exif(struct cached *c, const struct jpeg_layout *l, unsigned char **blk, size_t *len)
{
	const struct jpeg_seg *s = l->exif >= 0 ? &l->seg[l->exif] : NULL;

	*blk = NULL;
	*len = 0;
	if (s == NULL)
		return 0;
	*blk = xmalloc(s->plen);
	if (cached_reader(c, s->off + (off_t)(s->len - s->plen), *blk, s->plen) < 0) {
		free(*blk);
		*blk = NULL;
		return -1;
	}
	*len = s->plen;
	return 0;
}

/* The edited EXIF block of the file c reads, as a whole APP1 segment. */
static unsigned char *
new_app1(struct cached *c, const struct jpeg_layout *l, const struct meta *m, size_t *len,
    const char **why)
{
	unsigned char *old, *blk, *app1;
	size_t olen, blen;
	int rc;

	if (old_exif(c, l, &old, &olen) < 0) {
		*why = why_errno("read");
		return NULL;
	}
	rc = exif_edit(old, olen, m, &l->img, EXIF_MAX_APP1, &blk, &blen, why);
	free(old);
	if (rc < 0)
		return NULL;
	app1 = xmalloc(blen + 4);
	app1[0] = 0xFF;
	app1[1] = 0xE1;
	app1[2] = (unsigned char)((blen + 2) >> 8);
	app1[3] = (unsigned char)((blen + 2) & 0xFF);
	memcpy(app1 + 4, blk, blen);
	free(blk);
	*len = blen + 4;
	return app1;
}

#define AFCP_MAXREC 64

/* An AFCP trailer (AXS File Concatenation Protocol): its directory at
 * the start and its end record, with absolute offsets in both. */
struct afcp {
	off_t	 start;			/* "AXS!" of the directory */
	size_t	 dirlen;		/* directory: 12 + 12 per record */
	unsigned char dir[12 + 12 * AFCP_MAXREC];
	unsigned char end[12];		/* "AXS!", start, 0 */
};

static uint32_t
afcp_get32(int le, const unsigned char *p)
{
	return le ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]
	    : be32(p);
}

static void
afcp_put32(int le, unsigned char *p, uint32_t v)
{
	if (!le)
		put_be32(p, v);
	else {
		p[0] = (unsigned char)v;
		p[1] = (unsigned char)(v >> 8);
		p[2] = (unsigned char)(v >> 16);
		p[3] = (unsigned char)(v >> 24);
	}
}

/*
 * An AFCP trailer after from, with its offsets moved by delta: the bytes
 * after an APP1 that grew all move, and so must the absolute offsets that
 * point at them. 1 when there is one to fix, else 0 (nothing to do).
 */
static int
afcp_shift(const struct source *s, off_t from, off_t delta, struct afcp *a)
{
	off_t size = s->size;
	uint32_t start, n, i, off;
	int le;

	if (delta == 0 || size - from < 24 || source_read(s, size - 12, a->end, 12) < 0 ||
	    memcmp(a->end, "AXS", 3) != 0 || (a->end[3] != '!' && a->end[3] != '*'))
		return 0;
	le = a->end[3] == '*';
	start = afcp_get32(le, a->end + 4);
	if (start < from || start > size - 24 || source_read(s, start, a->dir, 12) < 0 ||
	    memcmp(a->dir, a->end, 4) != 0)
		return 0;
	n = afcp_get32(le, a->dir + 4) & 0xFFFF;
	if (n > AFCP_MAXREC || (off_t)(12 + 12 * n) > size - 12 - (off_t)start ||
	    source_read(s, start + 12, a->dir + 12, 12 * n) < 0)
		return 0;
	a->start = start;
	a->dirlen = 12 + 12 * n;
	for (i = 0; i < n; i++) {
		off = afcp_get32(le, a->dir + 12 + 12 * i + 8);
		if (off >= from)
			afcp_put32(le, a->dir + 12 + 12 * i + 8, (uint32_t)(off + delta));
	}
	afcp_put32(le, a->end + 4, (uint32_t)(start + delta));
	return 1;
}

int
jpeg_write(const struct source *s, const char *dst, const struct meta *m,
    const char **why)
{
	off_t size = s->size;
	struct jpeg_layout *l;
	struct piece p[5];
	struct afcp *afcp;
	struct cached c;
	unsigned char *app1, *head;
	size_t alen, np = 0;
	off_t cut, resume;
	int rc;

	if ((l = layout(s->fd, s->base, &c, size, 0, why)) == NULL)
		return -1;
	if ((app1 = new_app1(&c, l, m, &alen, why)) == NULL) {
		free(l);
		return -1;
	}
	if (l->exif >= 0) {
		cut = l->seg[l->exif].off;
		resume = cut + (off_t)l->seg[l->exif].len;
	} else
		cut = resume = l->insert_at;
	afcp = xmalloc(sizeof(*afcp));
	/* the head (SOI, JFIF) is a few bytes: one write with the APP1 */
	head = xmalloc((size_t)cut + alen);
	if (cut > 0 && cached_reader(&c, 0, head, (size_t)cut) < 0) {
		*why = why_errno("read");
		rc = -1;
	} else {
		memcpy(head + cut, app1, alen);
		p[np++] = (struct piece){ head, -1, 0, (size_t)cut + alen };
		if (afcp_shift(s, resume, (off_t)alen - (resume - cut), afcp)) {
			p[np++] = (struct piece){ NULL, s->fd, s->base + resume,
			    (size_t)(afcp->start - resume) };
			p[np++] = (struct piece){ afcp->dir, -1, 0, afcp->dirlen };
			resume = afcp->start + (off_t)afcp->dirlen;
			p[np++] = (struct piece){ NULL, s->fd, s->base + resume,
			    (size_t)(size - 12 - resume) };
			p[np++] = (struct piece){ afcp->end, -1, 0, 12 };
		} else
			p[np++] = (struct piece){ NULL, s->fd, s->base + resume,
			    (size_t)(size - resume) };
		rc = pieces_commit(dst, p, np, m, s->fd, why);
	}
	free(afcp);
	free(head);
	free(app1);
	free(l);
	return rc;
}

/* Segments of the source that still describe a re-encoded image. */
static int
keep_from_source(const struct jpeg_seg *s)
{
	if (s->marker == 0xFE)
		return 1;	/* COM */
	if (s->marker < 0xE1 || s->marker > 0xEF)
		return 0;	/* APP0 (the new file has its own), tables, frame */
	/* MPF points at images that follow in the source file only */
	return !(s->marker == 0xE2 && memcmp(s->id, "MPF", 4) == 0);
}

/*
 * A re-encoded image (the overlay composite at basefd) with the source's
 * metadata: its EXIF merged, ICC profile, XMP and comments; the encoder's
 * JFIF, tables and image data.
 */
int
jpeg_write_from(int srcfd, off_t size, int basefd, off_t basesize,
    const char *dst, const struct meta *m, const char **why)
{
	static const unsigned char soi[2] = { 0xFF, 0xD8 };
	struct jpeg_layout *src, *base;
	struct piece *p;
	struct cached *cs = xmalloc(sizeof(*cs)), *cb = xmalloc(sizeof(*cb));
	unsigned char *app1 = NULL;
	size_t alen, n = 0, i;
	int rc = -1;

	src = layout(srcfd, 0, cs, size, 0, why);
	base = src != NULL ? layout(basefd, 0, cb, basesize, 1, why) : NULL;
	free(cb);
	if (base != NULL)
		app1 = new_app1(cs, src, m, &alen, why);
	free(cs);
	if (app1 == NULL) {
		free(src);
		free(base);
		return -1;
	}
	p = xcalloc(src->nseg + base->nseg + 4, sizeof(*p));
	p[n++] = (struct piece){ soi, -1, 0, 2 };
	for (i = 0; i < base->nseg && base->seg[i].marker == 0xE0; i++)
		p[n++] = (struct piece){ NULL, basefd, base->seg[i].off, base->seg[i].len };
	p[n++] = (struct piece){ app1, -1, 0, alen };
	for (i = 0; i < src->nseg; i++)
		if ((int)i != src->exif && keep_from_source(&src->seg[i]))
			p[n++] = (struct piece){ NULL, srcfd, src->seg[i].off, src->seg[i].len };
	for (i = 0; i < base->nseg; i++)
		if (base->seg[i].marker != 0xFE &&
		    (base->seg[i].marker < 0xE0 || base->seg[i].marker > 0xEF))
			p[n++] = (struct piece){ NULL, basefd, base->seg[i].off, base->seg[i].len };
	p[n++] = (struct piece){ NULL, basefd, base->sos_off, (size_t)(basesize - base->sos_off) };
	rc = pieces_commit(dst, p, n, m, srcfd, why);
	free(p);
	free(app1);
	free(src);
	free(base);
	return rc;
}

/* What an overlay re-encode must match: orientation, quality, chroma. */
int
jpeg_info(int fd, off_t size, int *orientation, int *scale, int *subsampled,
    const char **why)
{
	struct jpeg_layout *l;
	struct cached c;
	unsigned char *old;
	size_t olen;

	if ((l = layout(fd, 0, &c, size, 1, why)) == NULL)
		return -1;
	if (old_exif(&c, l, &old, &olen) < 0) {
		*why = why_errno("read");
		free(l);
		return -1;
	}
	*orientation = old != NULL ? exif_orientation(old, olen) : 1;
	*scale = l->scale ? l->scale : 50;
	*subsampled = l->subsampled;
	free(old);
	free(l);
	return 0;
}
