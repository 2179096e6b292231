#!/usr/bin/env python3
"""raws.py -- camera raws laid out as their cameras write them, as far as
a date goes (exiftool, the judge in tests/mem-scan-formats.bats, reads
them back):

  raws.py cr3 OUT "YYYY:MM:DD HH:MM:SS" [+HH:MM]
      a Canon CR3: ftyp "crx ", and in moov the box of Canon's uuid
      85c0b687-820f-11e0-8111-f4ce462b6a48 holding CMT1 (IFD0: Make,
      Model) and CMT2 (the Exif IFD: DateTimeOriginal, OffsetTimeOriginal),
      each a little-endian TIFF structure.
  raws.py raf OUT JPEG
      a Fujifilm RAF: the "FUJIFILMCCD-RAW " header, whose bytes 84-91
      give the offset and length of the JPEG preview (big-endian), and
      that JPEG (its EXIF is the photo's).
"""
import struct
import sys


def tiff(entries):
    """A TIFF structure of one IFD of ASCII tags [(tag, text)]."""
    end = 8 + 2 + 12 * len(entries) + 4
    ents, data = b"", b""
    for tag, text in sorted(entries):
        v = text.encode() + b"\0"
        if len(v) <= 4:
            ents += struct.pack("<HHI", tag, 2, len(v)) + v.ljust(4, b"\0")
        else:
            ents += struct.pack("<HHII", tag, 2, len(v), end + len(data))
            data += v + b"\0" * (len(v) % 2)
    return b"II*\0" + struct.pack("<IH", 8, len(entries)) + ents + bytes(4) + data


def box(kind, body):
    return struct.pack(">I", 8 + len(body)) + kind + body


def cr3(out, when, offset=None):
    exif = [(0x9003, when)] + ([(0x9011, offset)] if offset else [])
    uuid = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    canon = box(b"CMT1", tiff([(0x010f, "Canon"), (0x0110, "Canon EOS R5")]))
    canon += box(b"CMT2", tiff(exif))
    data = box(b"ftyp", b"crx " + struct.pack(">I", 1) + b"crx isom")
    data += box(b"moov", box(b"uuid", uuid + canon)) + box(b"mdat", b"")
    open(out, "wb").write(data)


def raf(out, jpeg):
    j = open(jpeg, "rb").read()
    h = (b"FUJIFILMCCD-RAW 0201FF393101" + b"X-T2".ljust(32, b"\0")).ljust(0x3c, b"\0")
    h = (h + b"0100").ljust(84, b"\0") + struct.pack(">II", 0x100, len(j))
    open(out, "wb").write(h.ljust(0x100, b"\0") + j + bytes(64))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "cr3":
        cr3(*sys.argv[2:5])
    elif len(sys.argv) == 4 and sys.argv[1] == "raf":
        raf(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
