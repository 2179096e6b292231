/* Unit tests of lib/box.c: box sizes of 32 and 64 bits and to the end,
 * boxes that do not fit, and where a meta box's children begin. */
#include <string.h>

#include "mem.h"
#include "tap.h"

int
main(void)
{
	static const unsigned char plain[] = "\0\0\0\x0cmoov\1\2\3\4";
	static const unsigned char wide[] = "\0\0\0\1mdat\0\0\0\0\0\0\0\x12\xaa\xbb";
	static const unsigned char rest[] = "\0\0\0\0mdat\1\2\3";
	static const unsigned char qt[] = "\0\0\0\x1cmeta\0\0\0\x14hdlr";
	static const unsigned char iso[] = "\0\0\0\x20meta\0\0\0\0\0\0\0\x14hdlr";
	uint64_t size;
	unsigned hlen;

	ok(box_header(plain, 12, &size, &hlen) == 0 && size == 12 && hlen == 8,
	    "a 32-bit size");
	ok(box_header(wide, 18, &size, &hlen) == 0 && size == 18 && hlen == 16,
	    "a 64-bit size after a size of 1");
	ok(box_header(rest, 11, &size, &hlen) == 0 && size == 11 && hlen == 8,
	    "a size of 0 runs to the end");
	ok(box_header(plain, 11, &size, &hlen) == -1, "a box longer than what is left");
	ok(box_header(wide, 15, &size, &hlen) == -1, "a 64-bit size cut short");
	ok(box_header(plain, 7, &size, &hlen) == -1, "less than a header");
	ok(box_header((const unsigned char *)"\0\0\0\4moov", 8, &size, &hlen) == -1,
	    "a size smaller than its header");
	ok(meta_children(qt, sizeof(qt) - 1) == 8, "QuickTime's meta: children after the header");
	ok(meta_children(iso, sizeof(iso) - 1) == 12,
	    "ISO's meta: children after a version word too");
	ok(meta_children(plain, sizeof(plain) - 1) == 0, "no hdlr, no children");
	return done();
}
