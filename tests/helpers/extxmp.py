#!/usr/bin/env python3
"""extxmp.py OUT.jpg PROPERTY=VALUE: a JPEG (a 1x1 image's segments after
SOI) whose XMP holds PROPERTY (prefix pdf, photoshop, exif or xmp) only in
an extended XMP packet, in two segments given in reverse order, named by
the main packet's xmpNote:HasExtendedXMP as Adobe's XMP specification
(part 3, 1.1.3.1) lays it out."""
import hashlib
import struct
import sys

NS = {"pdf": "http://ns.adobe.com/pdf/1.3/", "photoshop": "http://ns.adobe.com/photoshop/1.0/",
      "exif": "http://ns.adobe.com/exif/1.0/", "xmp": "http://ns.adobe.com/xap/1.0/"}


def packet(body):
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            'rdf:about="" %s/></rdf:RDF></x:xmpmeta>' % body).encode()


def segment(marker, body):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body


out, prop = sys.argv[1], sys.argv[2]
name, value = prop.split("=", 1)
prefix = name.split(":")[0]
ext = packet('xmlns:%s="%s" %s="%s"' % (prefix, NS[prefix], name, value))
guid = hashlib.md5(ext).hexdigest().upper().encode()
main = packet('xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="%s"'
              % guid.decode())
data = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + main)
half = len(ext) // 2
for off, piece in ((half, ext[half:]), (0, ext[:half])):
    data += segment(0xE1, b"http://ns.adobe.com/xmp/extension/\0" + guid +
                    struct.pack(">II", len(ext), off) + piece)
jpeg = open("/dev/stdin", "rb").read()
open(out, "wb").write(jpeg[:2] + data + jpeg[2:])
