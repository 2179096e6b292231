/*
 * jpegfile.c -- write a JPEG with a new EXIF APP1: the segments before and
 * after it, and the image data, are copied from the source byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mem-exif.h"

/* Layout of the file at fd, checked whole: header and EOI. */
static struct jpeg_layout *
layout(int fd, off_t size, const char **why)
{
	struct jpeg_layout *l = xmalloc(sizeof(*l));
	struct cached c;

	c.fd = fd;
	c.blen = 0;
	if (jpeg_scan(cached_reader, &c, size, l, why) < 0)
		goto bad;
	if (!jpeg_has_eoi(cached_reader, &c, l->sos_off, size)) {
		*why = "truncated JPEG (no EOI marker after the image data)";
		goto bad;
	}
	return l;
bad:
	free(l);
	return NULL;
}

/* The merged EXIF block of the file at fd, as a whole APP1 segment. */
static unsigned char *
new_app1(int fd, const struct jpeg_layout *l, const struct meta *m, size_t *len,
    int *orientation, const char **why)
{
	const struct jpeg_seg *s = l->exif >= 0 ? &l->seg[l->exif] : NULL;
	unsigned char *old = NULL, *blk, *app1;
	size_t blen;
	int dropped, rc;

	if (s != NULL) {
		old = xmalloc(s->plen);
		if (read_at(fd, s->off + (off_t)(s->len - s->plen), old, s->plen) < 0) {
			free(old);
			*why = why_errno("read");
			return NULL;
		}
	}
	rc = exif_merge(old, s ? s->plen : 0, m, EXIF_MAX_APP1, &blk, &blen, &dropped,
	    orientation, why);
	free(old);
	if (rc < 0)
		return NULL;
	if (dropped && !m->no_thumbnail)
		warnx_("%s: EXIF block over 64 KiB: embedded thumbnail dropped", cur_label);
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

static int
commit(const char *dst, const struct piece *p, size_t n, const struct meta *m,
    int srcfd, const char **why)
{
	struct atomic a;

	if (atomic_open(&a, dst, "") < 0) {
		*why = why_errno(dst);
		return -1;
	}
	if (pieces_write(a.fd, p, n) < 0 || set_mtime_fd(a.fd, m, srcfd) < 0) {
		*why = why_errno(dst);
		atomic_abort(&a);
		return -1;
	}
	if (atomic_commit(&a) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	return 0;
}

int
jpeg_write(int srcfd, off_t size, const char *dst, const struct meta *m,
    const char **why)
{
	struct jpeg_layout *l;
	struct piece p[2];
	unsigned char *app1, *head;
	size_t alen;
	off_t cut, resume;
	int rc;

	if ((l = layout(srcfd, size, why)) == NULL)
		return -1;
	if ((app1 = new_app1(srcfd, l, m, &alen, NULL, why)) == NULL) {
		free(l);
		return -1;
	}
	if (l->exif >= 0) {
		cut = l->seg[l->exif].off;
		resume = cut + (off_t)l->seg[l->exif].len;
	} else
		cut = resume = l->insert_at;
	/* the head (SOI, JFIF) is a few bytes: one write with the APP1 */
	head = xmalloc((size_t)cut + alen);
	if (read_at(srcfd, 0, head, (size_t)cut) < 0) {
		*why = why_errno("read");
		rc = -1;
	} else {
		memcpy(head + cut, app1, alen);
		p[0] = (struct piece){ head, -1, 0, (size_t)cut + alen };
		p[1] = (struct piece){ NULL, srcfd, resume, (size_t)(size - resume) };
		rc = commit(dst, p, LEN(p), m, srcfd, why);
	}
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
	unsigned char *app1;
	size_t alen, n = 0, i;
	int rc;

	if ((src = layout(srcfd, size, why)) == NULL)
		return -1;
	if ((base = layout(basefd, basesize, why)) == NULL) {
		free(src);
		return -1;
	}
	if ((app1 = new_app1(srcfd, src, m, &alen, NULL, why)) == NULL) {
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
	rc = commit(dst, p, n, m, srcfd, why);
	free(p);
	free(app1);
	free(src);
	free(base);
	return rc;
}

/* PNG: the same EXIF block, in an eXIf chunk before the image data. */

static uint32_t
crc32_png(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	uint32_t c;
	unsigned i, k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc ^= 0xFFFFFFFFU;
	while (n--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFU;
}

/*
 * Chunks up to the first IDAT, then a look at the file's last 12 bytes for
 * IEND: the image data in between is never read.
 */
int
png_scan(reader_fn rd, void *ctx, off_t size, off_t *exif_off, size_t *exif_len,
    off_t *insert_at, const char **why)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
	    0xAE, 0x42, 0x60, 0x82 };
	unsigned char h[12];
	off_t off = 8;
	uint32_t len;

	*exif_off = -1;
	*exif_len = 0;
	if (size < 8 || rd(ctx, 0, h, 8) < 0 || memcmp(h, sig, 8) != 0) {
		*why = size == 0 ? "empty file" : "not a PNG (no PNG signature)";
		return -1;
	}
	for (;;) {
		if (off + 12 > size || rd(ctx, off, h, 8) < 0) {
			*why = "truncated PNG";
			return -1;
		}
		len = be32(h);
		if (len > 0x7FFFFFFFU || off + 12 + (off_t)len > size) {
			*why = len > 0x7FFFFFFFU ? "corrupt PNG (bad chunk length)" :
			    "truncated PNG";
			return -1;
		}
		if (off == 8 && memcmp(h + 4, "IHDR", 4) != 0) {
			*why = "corrupt PNG (IHDR is not first)";
			return -1;
		}
		if (memcmp(h + 4, "eXIf", 4) == 0 && *exif_off < 0) {
			*exif_off = off;
			*exif_len = 12 + (size_t)len;
		}
		if (memcmp(h + 4, "IDAT", 4) == 0 || memcmp(h + 4, "IEND", 4) == 0)
			break;
		off += 12 + (off_t)len;
	}
	*insert_at = off;
	if (size < off + 12 || rd(ctx, size - 12, h, 12) < 0 || memcmp(h, iend, 12) != 0) {
		*why = "truncated PNG (no IEND chunk at the end)";
		return -1;
	}
	return 0;
}

int
png_write(int srcfd, off_t size, const char *dst, const struct meta *m,
    const char **why)
{
	unsigned char *old = NULL, *blk, *chunk;
	off_t exif_off, insert_at, cut, resume;
	size_t exif_len, blen, clen;
	struct piece p[3];
	int dropped, rc;
	uint32_t crc;
	struct cached c;

	c.fd = srcfd;
	c.blen = 0;
	if (png_scan(cached_reader, &c, size, &exif_off, &exif_len, &insert_at, why) < 0)
		return -1;
	if (exif_off >= 0) {
		/* libexif wants the JPEG-style "Exif\0\0" header first */
		old = xmalloc(exif_len - 12 + 6);
		memcpy(old, "Exif\0\0", 6);
		if (read_at(srcfd, exif_off + 8, old + 6, exif_len - 12) < 0) {
			free(old);
			*why = why_errno("read");
			return -1;
		}
	}
	rc = exif_merge(old, exif_off >= 0 ? exif_len - 12 + 6 : 0, m, 0x7FFFFFF0,
	    &blk, &blen, &dropped, NULL, why);
	free(old);
	if (rc < 0)
		return -1;
	clen = blen - 6 + 12;
	chunk = xmalloc(clen);
	put_be32(chunk, (uint32_t)(blen - 6));
	memcpy(chunk + 4, "eXIf", 4);
	memcpy(chunk + 8, blk + 6, blen - 6);
	crc = crc32_png(0, chunk + 4, blen - 6 + 4);
	put_be32(chunk + 8 + blen - 6, crc);
	free(blk);
	if (exif_off >= 0) {
		cut = exif_off;
		resume = exif_off + (off_t)exif_len;
	} else
		cut = resume = insert_at;
	p[0] = (struct piece){ NULL, srcfd, 0, (size_t)cut };
	p[1] = (struct piece){ chunk, -1, 0, clen };
	p[2] = (struct piece){ NULL, srcfd, resume, (size_t)(size - resume) };
	rc = commit(dst, p, LEN(p), m, srcfd, why);
	free(chunk);
	return rc;
}

/* What an overlay re-encode must match: orientation, quality, chroma. */
int
jpeg_info(int fd, off_t size, int *orientation, int *scale, int *subsampled,
    const char **why)
{
	struct jpeg_layout *l;
	struct meta none;
	unsigned char *app1;
	size_t alen;

	if ((l = layout(fd, size, why)) == NULL)
		return -1;
	memset(&none, 0, sizeof(none));
	none.offset_min = OFFSET_UNKNOWN;
	none.no_thumbnail = 1;
	app1 = new_app1(fd, l, &none, &alen, orientation, why);
	*scale = l->scale ? l->scale : 50;
	*subsampled = l->subsampled;
	free(l);
	if (app1 == NULL)
		return -1;
	free(app1);
	return 0;
}
