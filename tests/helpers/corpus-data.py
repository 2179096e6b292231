#!/usr/bin/env python3
"""corpus-data.py PAIRS -- for each "SOURCE<TAB>OUTPUT" line of PAIRS, check
that mem-exif changed only the metadata it writes, and print one line per
file where it did more:

  JPEG: every segment but the Exif APP1 is byte-identical and in the same
        order, and so is everything from SOS on (scan, EOI, trailers; an
        AFCP trailer's directory and end record may differ only in offsets);
  PNG:  every chunk but eXIf is byte-identical and in the same order;
  MP4/MOV/3GP/M4V: every box outside moov is byte-identical and in order,
        every track's sample data the same (ffmpeg -c copy -f framemd5 of
        every stream, checked separately by the suite);
  anything else: the whole file is byte-identical (the metadata goes into
        an XMP sidecar).
"""
import sys


def jpeg_parts(d):
    """The segments before SOS (the Exif APP1 left out), and the rest."""
    assert d[:2] == b"\xff\xd8", "no SOI"
    segs, i = [], 2
    while i + 4 <= len(d):
        if d[i] != 0xFF:            # stray bytes: kept as they are
            j = d.index(b"\xff", i)
            segs.append(("stray", d[i:j]))
            i = j
            continue
        while d[i + 1] == 0xFF:
            i += 1
        m = d[i + 1]
        if m == 0xDA:
            return segs, d[i:]
        n = int.from_bytes(d[i + 2:i + 4], "big")
        seg = d[i:i + 2 + n]
        if not (m == 0xE1 and seg[4:10] == b"Exif\0\0"):
            segs.append(("%02x" % m, seg))
        i += 2 + n
    raise ValueError("no SOS")


def without_afcp(rest):
    """The bytes after SOS with an AFCP trailer's offsets blanked out."""
    if len(rest) < 12 or rest[-12:-9] != b"AXS":
        return rest
    le = rest[-9:-8] == b"*"
    # the trailer starts where its directory's magic is
    at = rest.rfind(rest[-12:-8], 0, len(rest) - 12)
    if at < 0:
        return rest
    b = bytearray(rest)
    n = int.from_bytes(b[at + 6:at + 8], "little" if le else "big")
    for k in range(n):
        o = at + 12 + 12 * k + 8
        b[o:o + 4] = b"\0\0\0\0"
    b[-8:-4] = b"\0\0\0\0"
    return bytes(b)


def png_chunks(d, keep_exif=False):
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    out, i = [], 8
    while i + 12 <= len(d):
        n = int.from_bytes(d[i:i + 4], "big")
        t = d[i + 4:i + 8]
        if t != b"eXIf" or keep_exif:
            out.append(d[i:i + 12 + n])
        i += 12 + n
        if t == b"IEND":
            out.append(d[i:])
            break
    return out


def mp4_top(d):
    """The top-level boxes but moov (and a free box moov's growth ate)."""
    out, i = [], 0
    while i + 8 <= len(d):
        n = int.from_bytes(d[i:i + 4], "big")
        h = 8
        if n == 1:
            n = int.from_bytes(d[i + 8:i + 16], "big")
            h = 16
        elif n == 0:
            n = len(d) - i
        if n < h:
            out.append(d[i:])
            break
        t = d[i + 4:i + 8]
        if t not in (b"moov", b"free", b"skip"):
            out.append(d[i:i + n])
        i += n
    return out


def main():
    problems = 0
    for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
        src, dst = line.rstrip("\n").split("\t")
        a = open(src, "rb").read()
        b = open(dst, "rb").read()
        ext = dst.rsplit(".", 1)[-1].lower()
        try:
            if a[:3] == b"\xff\xd8\xff":
                sa, ra = jpeg_parts(a)
                sb, rb = jpeg_parts(b)
                if sa != sb:
                    print("%s: a JPEG segment changed" % src)
                    problems += 1
                if without_afcp(ra) != without_afcp(rb) or len(ra) != len(rb):
                    print("%s: the JPEG scan data changed" % src)
                    problems += 1
            elif a[:8] == b"\x89PNG\r\n\x1a\n":
                if png_chunks(a) != png_chunks(b):
                    print("%s: a PNG chunk changed" % src)
                    problems += 1
                if sum(1 for c in png_chunks(b, True) if c[4:8] == b"eXIf") != 1:
                    print("%s: not exactly one eXIf chunk" % src)
                    problems += 1
            elif ext in ("mp4", "mov", "m4v", "3gp"):
                if mp4_top(a) != mp4_top(b):
                    print("%s: a box outside moov changed" % src)
                    problems += 1
            elif a != b:
                print("%s: changed, though mem-exif does not write into it" % src)
                problems += 1
        except (ValueError, AssertionError, IndexError) as e:
            print("%s: unreadable output (%s)" % (src, e))
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
