#!/usr/bin/env python3
"""pngchunks.py IN OUT CHUNK...: IN with chunks added, as some editors
place them, each CHUNK one of
  before:xmp:FILE   an iTXt "XML:com.adobe.xmp" of FILE's text, before IDAT
  after:xmp:FILE    the same past the image data (before IEND)
  after:zxmp:FILE   the same, compressed (zlib)
  before:zxmp:FILE
  after:exif:FILE   an eXIf of FILE's bytes (a TIFF structure) past IDAT
  after:text:KEY=V  a tEXt past IDAT
  before:raw:NAME:FILE   ImageMagick's "Raw profile type NAME" (exif, xmp,
                    APP1) of FILE's bytes in hex lines, a zTXt
  before:rawtext:NAME:FILE  the same in a tEXt
in that order where they go."""
import binascii
import struct
import sys
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def made(kind, arg):
    if kind in ("xmp", "zxmp"):
        text = open(arg, "rb").read()
        flag = b"\x01\x00" if kind == "zxmp" else b"\x00\x00"
        return chunk(b"iTXt", b"XML:com.adobe.xmp\x00" + flag + b"\x00\x00" +
                     (zlib.compress(text) if kind == "zxmp" else text))
    if kind == "exif":
        return chunk(b"eXIf", open(arg, "rb").read())
    if kind in ("raw", "rawtext"):
        name, _, path = arg.partition(":")
        raw = open(path, "rb").read()
        h = binascii.hexlify(raw).decode()
        text = ("\n%s\n%8d\n" % (name, len(raw)) +
                "\n".join(h[i:i + 72] for i in range(0, len(h), 72)) + "\n").encode()
        key = b"Raw profile type " + name.encode() + b"\x00"
        if kind == "raw":
            return chunk(b"zTXt", key + b"\x00" + zlib.compress(text))
        return chunk(b"tEXt", key + text)
    if kind == "text":
        key, _, value = arg.partition("=")
        return chunk(b"tEXt", key.encode() + b"\x00" + value.encode())
    sys.exit("pngchunks.py: no such chunk kind: " + kind)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    png = open(src, "rb").read()
    before, after = b"", b""
    for spec in sys.argv[3:]:
        where, kind, arg = spec.split(":", 2)
        if where == "before":
            before += made(kind, arg)
        else:
            after += made(kind, arg)
    idat = png.index(b"IDAT") - 4
    iend = png.rindex(b"IEND") - 4
    open(dst, "wb").write(png[:idat] + before + png[idat:iend] + after + png[iend:])


main()
