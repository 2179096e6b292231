/*
 * png.c -- PNG: the EXIF block in its eXIf chunk, wherever that is (a new
 * one goes before the image data), or in an ImageMagick "Raw profile type
 * exif" text chunk when that is the only EXIF; every other chunk, raw
 * profiles included, is copied byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <zlib.h>

#include "mem-exif.h"

/*
 * Every chunk's header up to IEND (an eXIf may follow the image data, and
 * there must never be two); the image data itself is never read. A text
 * chunk is read as far as its keyword, for an ImageMagick raw profile.
 */
int
png_scan(reader_fn rd, void *ctx, off_t size, struct png_layout *l, const char **why)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
	    0xAE, 0x42, 0x60, 0x82 };
	static const char *raw[] = { "Raw profile type exif", "Raw profile type APP1" };
	unsigned char h[12], kw[24];
	off_t off = 8;
	uint32_t len;
	size_t i;

	l->insert_at = l->exif_off = l->raw_off = -1;
	l->exif_len = l->raw_len = 0;
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
		if (off == 8 && (memcmp(h + 4, "IHDR", 4) != 0 || len < 13)) {
			*why = "corrupt PNG (IHDR is not first)";
			return -1;
		}
		if (memcmp(h + 4, "eXIf", 4) == 0 && l->exif_off < 0) {
			l->exif_off = off;
			l->exif_len = 12 + (size_t)len;
		}
		if ((memcmp(h + 4, "tEXt", 4) == 0 || memcmp(h + 4, "zTXt", 4) == 0 ||
		    memcmp(h + 4, "iTXt", 4) == 0) && len >= sizeof(kw) &&
		    l->raw_off < 0 && rd(ctx, off + 8, kw, sizeof(kw)) == 0)
			for (i = 0; i < LEN(raw); i++)
				if (memcmp(kw, raw[i], strlen(raw[i]) + 1) == 0) {
					l->raw_off = off;
					l->raw_len = 12 + (size_t)len;
				}
		if ((memcmp(h + 4, "IDAT", 4) == 0 || memcmp(h + 4, "IEND", 4) == 0) &&
		    l->insert_at < 0)
			l->insert_at = off;
		if (memcmp(h + 4, "IEND", 4) == 0)
			break;
		off += 12 + (off_t)len;
	}
	if (size < off + 12 || rd(ctx, off, h, 12) < 0 || memcmp(h, iend, 12) != 0) {
		*why = "truncated PNG (no IEND chunk at the end)";
		return -1;
	}
	return 0;
}

#define RAW_MAX (16u << 20)

/* zlib's inflate of a whole stream of unknown size, up to RAW_MAX. */
static unsigned char *
inflate_all(const unsigned char *in, size_t n, size_t *outlen)
{
	z_stream z;
	unsigned char *out = NULL;
	size_t cap = 0;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return NULL;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	do {
		if (cap >= RAW_MAX) {
			rc = Z_DATA_ERROR;
			break;
		}
		cap = cap ? cap * 2 : 4 * n + 256;
		out = xrealloc(out, cap);
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_FINISH);
	} while (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_out == 0));
	*outlen = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static unsigned char *
deflate_all(const unsigned char *in, size_t n, size_t *outlen)
{
	uLongf len = compressBound((uLong)n);
	unsigned char *out = xmalloc(len);

	if (compress2(out, &len, in, (uLong)n, 9) != Z_OK) {
		free(out);
		return NULL;
	}
	*outlen = len;
	return out;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * ImageMagick's raw profile text: "\nexif\n" (the name), the length on a
 * line of its own, then the bytes in hex, 72 digits a line. The EXIF
 * block, with its "Exif\0\0" header added when the text has none.
 */
static unsigned char *
raw_decode(const char *t, size_t n, size_t *blen, int *had_header, size_t *namelen)
{
	size_t i = 0, want, k = 0;
	unsigned char *b;
	int hi, lo;

	while (i < n && t[i] == '\n')
		i++;
	*namelen = i;
	while (i < n && t[i] != '\n')
		i++;
	*namelen = i - *namelen;
	want = 0;
	while (i < n && (t[i] == '\n' || t[i] == ' '))
		i++;
	while (i < n && t[i] >= '0' && t[i] <= '9' && want < RAW_MAX)
		want = want * 10 + (size_t)(t[i++] - '0');
	if (want < 8 || want >= RAW_MAX)
		return NULL;
	b = xmalloc(want + 6);
	memcpy(b, "Exif\0\0", 6);
	while (k < want && i < n) {
		if ((hi = hexval((unsigned char)t[i])) < 0) {
			i++;
			continue;
		}
		if (i + 1 >= n || (lo = hexval((unsigned char)t[i + 1])) < 0)
			break;
		b[6 + k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	if (k != want) {
		free(b);
		return NULL;
	}
	*had_header = want >= 6 && memcmp(b + 6, "Exif\0\0", 6) == 0;
	if (*had_header) {
		memmove(b, b + 6, want);
		*blen = want;
	} else
		*blen = want + 6;
	return b;
}

static char *
raw_encode(const char *name, size_t namelen, const unsigned char *b, size_t n, size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	char *t = xmalloc(namelen + 32 + 2 * n + n / 36 + 2);
	size_t o, i;
	int w;

	w = snprintf(t, namelen + 32, "\n%.*s\n%8zu", (int)namelen, name, n);
	o = (size_t)w;
	for (i = 0; i < n; i++) {
		if (i % 36 == 0)
			t[o++] = '\n';
		t[o++] = hex[b[i] >> 4];
		t[o++] = hex[b[i] & 15];
	}
	t[o++] = '\n';
	*len = o;
	return t;
}

/*
 * The raw profile chunk at off (len bytes, all of it) with its EXIF edited
 * by m: the same kind of chunk (tEXt, zTXt, iTXt), keyword, compression
 * and language; malloc'd, or NULL with *why.
 */
static unsigned char *
raw_edit(const unsigned char *c, size_t len, const struct meta *m,
    const struct exif_image *img, size_t *outlen, const char **why)
{
	const unsigned char *d = c + 8, *text;
	size_t dlen = len - 12, kw, head, tlen, blen, nlen, elen, newlen, zlen = 0;
	unsigned char *plain = NULL, *blk = NULL, *eblk = NULL, *z = NULL, *out = NULL;
	char *t = NULL;
	int compressed, had;

	kw = strnlen((const char *)d, dlen);
	if (kw == dlen)
		goto bad;
	if (memcmp(c + 4, "tEXt", 4) == 0) {
		head = kw + 1;
		compressed = 0;
	} else if (memcmp(c + 4, "zTXt", 4) == 0) {
		head = kw + 2;
		compressed = 1;
	} else {
		/* iTXt: flag, method, language\0, translated keyword\0 */
		head = kw + 3;
		if (head > dlen)
			goto bad;
		head += strnlen((const char *)d + head, dlen - head) + 1;
		if (head > dlen)
			goto bad;
		head += strnlen((const char *)d + head, dlen - head) + 1;
		compressed = d[kw + 1] != 0;
	}
	if (head > dlen)
		goto bad;
	if (compressed) {
		if ((plain = inflate_all(d + head, dlen - head, &tlen)) == NULL)
			goto bad;
		text = plain;
	} else {
		text = d + head;
		tlen = dlen - head;
	}
	if ((blk = raw_decode((const char *)text, tlen, &blen, &had, &nlen)) == NULL)
		goto bad;
	if (exif_edit(blk, blen, m, img, RAW_MAX, &eblk, &elen, why) < 0)
		goto out;
	{
		const char *name = (const char *)text;

		while (*name == '\n')
			name++;
		t = raw_encode(name, nlen, had ? eblk : eblk + 6, had ? elen : elen - 6,
		    &newlen);
	}
	if (compressed && (z = deflate_all((unsigned char *)t, newlen, &zlen)) == NULL)
		goto bad;
	*outlen = 12 + head + (compressed ? zlen : newlen);
	out = xmalloc(*outlen);
	put_be32(out, (uint32_t)(*outlen - 12));
	memcpy(out + 4, c + 4, 4);
	memcpy(out + 8, d, head);
	memcpy(out + 8 + head, compressed ? z : (unsigned char *)t, compressed ? zlen : newlen);
	put_be32(out + *outlen - 4, crc32_png(0, out + 4, *outlen - 8));
	goto out;
bad:
	*why = "corrupt PNG (unreadable raw EXIF profile)";
out:
	free(plain);
	free(blk);
	free(eblk);
	free(t);
	free(z);
	return out;
}

int
png_write(const struct source *s, const char *dst, const struct meta *m,
    const char **why)
{
	off_t size = s->size;
	unsigned char *old = NULL, *blk = NULL, *chunk = NULL, ihdr[8];
	off_t cut, resume;
	size_t blen, clen;
	struct png_layout l;
	struct piece p[3];
	struct exif_image img;
	struct cached c;
	int rc = -1;

	cached_init(&c, s->fd, s->base, size);
	if (png_scan(cached_reader, &c, size, &l, why) < 0)
		return -1;
	if (source_read(s, 16, ihdr, 8) < 0) {
		*why = why_errno("read");
		return -1;
	}
	memset(&img, 0, sizeof(img));
	img.rgb = 1;
	img.width = be32(ihdr);
	img.height = be32(ihdr + 4);
	if (l.exif_off < 0 && l.raw_off >= 0) {
		/* the EXIF is only in a raw profile: it is edited there */
		old = xmalloc(l.raw_len);
		if (source_read(s, l.raw_off, old, l.raw_len) < 0) {
			*why = why_errno("read");
			goto out;
		}
		if ((chunk = raw_edit(old, l.raw_len, m, &img, &clen, why)) == NULL)
			goto out;
		cut = l.raw_off;
		resume = l.raw_off + (off_t)l.raw_len;
	} else {
		if (l.exif_off >= 0) {
			/* the editor takes the JPEG-style "Exif\0\0" header first */
			old = xmalloc(l.exif_len - 12 + 6);
			memcpy(old, "Exif\0\0", 6);
			if (source_read(s, l.exif_off + 8, old + 6, l.exif_len - 12) < 0) {
				*why = why_errno("read");
				goto out;
			}
		}
		if (exif_edit(old, l.exif_off >= 0 ? l.exif_len - 12 + 6 : 0, m, &img,
		    0x7FFFFFF0, &blk, &blen, why) < 0)
			goto out;
		clen = blen - 6 + 12;
		chunk = xmalloc(clen);
		put_be32(chunk, (uint32_t)(blen - 6));
		memcpy(chunk + 4, "eXIf", 4);
		memcpy(chunk + 8, blk + 6, blen - 6);
		put_be32(chunk + 8 + blen - 6, crc32_png(0, chunk + 4, blen - 6 + 4));
		/* an eXIf stays where it was, before or after the image data */
		if (l.exif_off >= 0) {
			cut = l.exif_off;
			resume = l.exif_off + (off_t)l.exif_len;
		} else
			cut = resume = l.insert_at;
	}
	p[0] = (struct piece){ NULL, s->fd, s->base, (size_t)cut };
	p[1] = (struct piece){ chunk, -1, 0, clen };
	p[2] = (struct piece){ NULL, s->fd, s->base + resume, (size_t)(size - resume) };
	rc = pieces_commit(dst, p, LEN(p), m, s->fd, why);
out:
	free(old);
	free(blk);
	free(chunk);
	return rc;
}
