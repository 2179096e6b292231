/*
 * box.c -- ISO base media boxes (MP4, MOV, HEIF): the header that says a
 * box's size, and where a meta box's children begin. mem-exif edits moov
 * boxes with them; mem-scan reads a video's or a HEIF's date.
 */
#include <string.h>

#include "mem.h"

int
box_header(const unsigned char *p, uint64_t n, uint64_t *size, unsigned *hlen)
{
	if (n < 8)
		return -1;
	*size = be32(p);
	*hlen = 8;
	if (*size == 1) {
		if (n < 16)
			return -1;
		*size = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
		*hlen = 16;
	} else if (*size == 0) {
		*size = n;
	}
	return *size < *hlen || *size > n ? -1 : 0;
}

size_t
meta_children(const unsigned char *p, size_t n)
{
	if (n >= 16 && memcmp(p + 12, "hdlr", 4) == 0)
		return 8;
	if (n >= 20 && memcmp(p + 16, "hdlr", 4) == 0)
		return 12;
	return 0;
}
