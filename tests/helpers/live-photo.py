#!/usr/bin/env python3
"""live-photo.py -- the still of an iPhone Live Photo, for tests.

  live-photo.py IN.jpg OUT.jpg UUID

Writes OUT.jpg: IN.jpg with an EXIF block an iPhone would write (Make
Apple, Model, ExifVersion) whose Apple maker note holds tag 0x0011, the
ContentIdentifier (exiftool 12.57 calls it MediaGroupUUID) that pairs the
still with its MOV (QuickTime Keys com.apple.quicktime.content.identifier).
exiftool cannot create an Apple maker note, so it is built here from the
layout exiftool reads: "Apple iOS\\0", version 1, "MM", then a big-endian
IFD whose offsets count from the start of the maker note.
"""
import struct
import sys


def ifd(entries, base, data_at):
    """entries: (tag, type, count, bytes). Values over 4 bytes go after the
    IFD at data_at (offsets relative to base). Returns (ifd bytes, data)."""
    out = struct.pack(">H", len(entries))
    data = b""
    for tag, typ, count, val in entries:
        if len(val) <= 4:
            out += struct.pack(">HHI", tag, typ, count) + val.ljust(4, b"\0")
        else:
            out += struct.pack(">HHII", tag, typ, count, data_at + len(data) - base)
            data += val + (b"\0" if len(val) % 2 else b"")
    return out + struct.pack(">I", 0), data


def main():
    src, dst, uuid = sys.argv[1:4]
    cid = uuid.encode() + b"\0"
    # the maker note: header, IFD at 14, data after it
    n = 2
    mn_ifd, mn_data = ifd([(0x0001, 9, 1, struct.pack(">i", 14)),
                           (0x0011, 2, len(cid), cid)], 0, 14 + 2 + 12 * n + 4)
    mn = b"Apple iOS\0" + b"\0\x01" + b"MM" + mn_ifd + mn_data
    make, model = b"Apple\0", b"iPhone 12\0"
    ifd0_at = 8
    ifd0_len = 2 + 12 * 3 + 4
    exif_at = ifd0_at + ifd0_len + len(make) + len(model)
    exif_len = 2 + 12 * 2 + 4
    ifd0, d0 = ifd([(0x010f, 2, len(make), make), (0x0110, 2, len(model), model),
                    (0x8769, 4, 1, struct.pack(">I", exif_at))], 0, ifd0_at + ifd0_len)
    exif, dx = ifd([(0x9000, 7, 4, b"0232"), (0x927c, 7, len(mn), mn)], 0, exif_at + exif_len)
    tiff = b"MM\0*" + struct.pack(">I", ifd0_at) + ifd0 + d0 + exif + dx
    app1 = b"Exif\0\0" + tiff
    with open(src, "rb") as f:
        jpg = f.read()
    if jpg[:2] != b"\xff\xd8":
        sys.exit("live-photo.py: %s: not a JPEG" % src)
    at = 2
    if jpg[2:4] == b"\xff\xe0":  # after JFIF's APP0
        at = 4 + struct.unpack(">H", jpg[4:6])[0]
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    with open(dst, "wb") as f:
        f.write(jpg[:at] + seg + jpg[at:])


if __name__ == "__main__":
    main()
