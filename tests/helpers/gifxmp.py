#!/usr/bin/env python3
"""gifxmp.py IN OUT: IN's XMP application extension ("XMP DataXMP", as
exiftool writes it, before the images) moved past the images, just before
the trailer, where an editor may put it and exiftool still reads it."""
import sys


def blocks(d):
    """(start, end) of each block after the header and global color table."""
    at = 13
    if d[10] & 0x80:
        at += 3 << ((d[10] & 7) + 1)
    while d[at] != 0x3B:
        start = at
        if d[at] == 0x2C:
            flags = d[at + 9]
            at += 10 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0) + 1
        else:
            at += 2
        while d[at]:
            at += 1 + d[at]
        yield start, at + 1
        at += 1


d = open(sys.argv[1], "rb").read()
xmp = [(s, e) for s, e in blocks(d) if d[s:s + 14] == b"\x21\xff\x0bXMP DataXMP"]
(s, e), = xmp
rest = d[:s] + d[e:]
open(sys.argv[2], "wb").write(rest[:-1] + d[s:e] + rest[-1:])
