#!/usr/bin/env python3
"""mts.py -- a minimal AVCHD clip (.MTS) dated the way camcorders date it.

  mts.py [--dst] [--188] OUT.mts YYYY-MM-DDTHH:MM:SS +HH:MM|-HH:MM

Writes OUT.mts: an MPEG transport stream of 192-byte packets (a 4-byte
time code before each 188-byte packet, as AVCHD's BDAV streams; --188:
plain 188-byte packets) holding a PAT, a PMT naming one H.264 stream
(stream_type 0x1b) and that stream's first PES packet: an access unit
delimiter and an SEI NAL unit whose user_data_unregistered payload is the
camcorder's MDPM (UUID 17ee8c60-f84d-11d9-8cd6-0800200c9a66, "MDPM", a
count, 5-byte packs). Pack 0x18 is the zone byte and the year and month,
pack 0x19 the day and time, all BCD. The zone byte as exiftool's H264.pm
decodes it: 0x20 sign (west), (byte >> 1) & 0x0f hours, 0x01 half an
hour, 0x40 DST (--dst). No SPS and no slice: exiftool and mem-scan read
the SEI alone. exiftool reads the date back as
H264:DateTimeOriginal "YYYY:MM:DD HH:MM:SS+HH:MM" (" DST" after it).
"""
import re
import struct
import sys

PMT_PID = 0x0100
VIDEO_PID = 0x1011
MDPM_UUID = bytes.fromhex("17ee8c60f84d11d98cd60800200c9a66")


def crc32_mpeg(data):
    """CRC-32/MPEG-2 of a PSI section: polynomial 0x04c11db7, initial
    0xffffffff, MSB first, no final XOR."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def section(table_id, ext_id, body):
    """A long-form PSI section: header, body, CRC."""
    length = 5 + len(body) + 4
    head = struct.pack(">BHHBBB", table_id, 0xB000 | length, ext_id, 0xC1, 0, 0)
    sec = head + body
    return sec + struct.pack(">I", crc32_mpeg(sec))


def packet(pid, payload, start, counter):
    """One 188-byte packet; a short payload is padded by adaptation field
    stuffing (0xff), as a TS multiplexer does."""
    if len(payload) > 184:
        raise ValueError("payload over one packet")
    header = struct.pack(">BHB", 0x47, (0x4000 if start else 0) | pid,
                         0x10 | (counter & 0x0F))
    room = 184 - len(payload)
    if room == 0:
        return header + payload
    header = header[:3] + bytes([0x30 | (counter & 0x0F)])
    if room == 1:
        return header + b"\x00" + payload
    return header + bytes([room - 1, 0x00]) + b"\xff" * (room - 2) + payload


def escape(rbsp):
    """The NAL payload of an RBSP: 03 inserted after 00 00 before 00..03."""
    out = bytearray()
    zeros = 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def bcd(n):
    return ((n // 10) << 4) | (n % 10)


def sei_mdpm(when, zone, dst):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", when)
    z = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
    if not m or not z or z.group(3) not in ("00", "30") or int(z.group(2)) > 15:
        raise ValueError("want YYYY-MM-DDTHH:MM:SS and +HH:MM (minutes 00 or 30)")
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    zbyte = (int(z.group(2)) << 1) | (1 if z.group(3) == "30" else 0)
    zbyte |= (0x20 if z.group(1) == "-" else 0) | (0x40 if dst else 0)
    packs = [
        (0x18, bytes([zbyte, bcd(y // 100), bcd(y % 100), bcd(mo)])),
        (0x19, bytes([bcd(d), bcd(h), bcd(mi), bcd(s)])),
    ]
    data = MDPM_UUID + b"MDPM" + bytes([len(packs)])
    data += b"".join(bytes([tag]) + val for tag, val in packs)
    # sei_message: payload type 5, size (< 255 here), payload; trailing bits
    rbsp = bytes([5, len(data)]) + data + b"\x80"
    return b"\x00\x00\x00\x01\x06" + escape(rbsp)


def main(argv):
    args = [a for a in argv if a not in ("--dst", "--188")]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    out, when, zone = args
    dst, bdav = "--dst" in argv, "--188" not in argv
    pat = section(0x00, 1, struct.pack(">HH", 1, 0xE000 | PMT_PID))
    pmt = section(0x02, 1, struct.pack(">HH", 0xE000 | VIDEO_PID, 0xF000) +
                  struct.pack(">BHH", 0x1B, 0xE000 | VIDEO_PID, 0xF000))
    aud = b"\x00\x00\x00\x01\x09\x10"
    es = aud + sei_mdpm(when, zone, dst)
    # PES: video stream 0xe0, unbounded length, PTS only (90 kHz, 1 s)
    pts = 90000
    pts_bytes = bytes([0x21 | ((pts >> 29) & 0x0E), (pts >> 22) & 0xFF,
                       0x01 | ((pts >> 14) & 0xFE), (pts >> 7) & 0xFF,
                       0x01 | ((pts << 1) & 0xFE)])
    pes = b"\x00\x00\x01\xe0\x00\x00\x80\x80\x05" + pts_bytes + es
    packets = [
        packet(0, b"\x00" + pat, True, 0),
        packet(PMT_PID, b"\x00" + pmt, True, 0),
        packet(VIDEO_PID, pes, True, 0),
    ]
    # null packets, so that a reader sees 4 packets in sync and more
    packets += [packet(0x1FFF, b"\xff" * 184, False, i) for i in range(3)]
    with open(out, "wb") as f:
        for i, p in enumerate(packets):
            if bdav:
                f.write(struct.pack(">I", (i * 1000) & 0x3FFFFFFF))
            f.write(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
