/*
 * png.c -- PNG: the EXIF block in an eXIf chunk before the image data.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mem-exif.h"

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
	rc = pieces_commit(dst, p, LEN(p), m, srcfd, why);
	free(chunk);
	return rc;
}
