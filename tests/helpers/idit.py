#!/usr/bin/env python3
"""idit.py IN.avi OUT.avi TEXT -- IN (an AVI FFmpeg wrote) with an IDIT
chunk of TEXT ("Mon Mar 10 15:04:43 2003", as a camera writes it: a
newline and a NUL after) appended to its header LIST hdrl, the LIST's and
the RIFF's sizes grown to hold it. idx1 counts from movi, so it stays
right."""
import struct
import sys

src, dst, text = sys.argv[1:4]
d = bytearray(open(src, "rb").read())
assert d[:4] == b"RIFF" and d[8:12] == b"AVI "
at = 12
while d[at:at + 4] != b"LIST" or d[at + 8:at + 12] != b"hdrl":
    at += 8 + struct.unpack_from("<I", d, at + 4)[0]
    at += at % 2
size = struct.unpack_from("<I", d, at + 4)[0]
body = text.encode() + b"\n\0"
chunk = b"IDIT" + struct.pack("<I", len(body)) + body + bytes(len(body) % 2)
end = at + 8 + size
d[end:end] = chunk
struct.pack_into("<I", d, at + 4, size + len(chunk))
struct.pack_into("<I", d, 4, struct.unpack_from("<I", d, 4)[0] + len(chunk))
open(dst, "wb").write(d)
