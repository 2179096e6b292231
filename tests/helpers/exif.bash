# exif.bash -- helpers for tests/mem-exif.bats: item records, JPEG segment
# listings by an independent (Python) reader, pixels and stream hashes.

# make_record FILE key=value...: an item record (NUL-separated fields).
make_record() {
	local f=$1
	shift
	printf 'mem-item=1\0' > "$f"
	printf '%s\0' "$@" >> "$f"
}

# jpeg_segments FILE [skip-exif]: one line per segment before SOS
# ("ffe0 <sha1>"), then "image <sha1>" for SOS to the end; with skip-exif
# the Exif APP1 is left out, so source and output can be compared.
jpeg_segments() {
	python3 - "$@" <<'EOF'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
skip = len(sys.argv) > 2
assert data[:2] == b"\xff\xd8", "no SOI"
i = 2
while True:
    while data[i] == 0xFF and data[i + 1] == 0xFF:
        i += 1
    assert data[i] == 0xFF, "no marker at %d" % i
    m = data[i + 1]
    if m == 0xDA:
        print("image", hashlib.sha1(data[i:]).hexdigest())
        break
    n = int.from_bytes(data[i + 2:i + 4], "big")
    seg = data[i:i + 2 + n]
    if not (skip and m == 0xE1 and seg[4:10] == b"Exif\0\0"):
        print("%02x%02x" % (0xFF, m), hashlib.sha1(seg).hexdigest())
    i += 2 + n
EOF
}

# png_chunks FILE [skip-exif]: "TYPE <sha1>" per chunk.
png_chunks() {
	python3 - "$@" <<'EOF'
import hashlib, sys, zlib
data = open(sys.argv[1], "rb").read()
skip = len(sys.argv) > 2
assert data[:8] == b"\x89PNG\r\n\x1a\n"
i = 8
while i < len(data):
    n = int.from_bytes(data[i:i + 4], "big")
    t = data[i + 4:i + 8]
    crc = int.from_bytes(data[i + 8 + n:i + 12 + n], "big")
    assert crc == zlib.crc32(data[i + 4:i + 8 + n]), "bad CRC in " + t.decode()
    if not (skip and t == b"eXIf"):
        print(t.decode(), hashlib.sha1(data[i:i + 12 + n]).hexdigest())
    i += 12 + n
EOF
}

# pixel FILE X Y: "R G B" of one pixel as a viewer shows it (autorotated).
pixel() {
	ffmpeg -nostdin -loglevel error -i "$1" -vf "format=rgb24,crop=1:1:$2:$3" \
		-frames:v 1 -f rawvideo - | od -An -tu1 | tr -s ' ' | sed 's/^ //'
}

# stream_hashes FILE: a hash of each stream's packets, for stream-copy checks.
stream_hashes() {
	ffmpeg -nostdin -loglevel error -i "$1" -map 0 -c copy -f streamhash -
}

# make_overlay FILE WxH: transparent PNG with an opaque blue box in its top
# left quarter (x 10%..40%, y 10%..40%).
make_overlay() {
	local w=${2%x*} h=${2#*x}
	ffmpeg -nostdin -loglevel error -y -f lavfi \
		-i "color=c=black@0:s=$2,format=rgba[bg];color=c=blue:s=$((w * 3 / 10))x$((h * 3 / 10)),format=rgba[b];[bg][b]overlay=$((w / 10)):$((h / 10)):format=auto,format=rgba" \
		-frames:v 1 "$1"
}

# no_temp_files DIR: nothing named like an atomic temp file is left.
no_temp_files() {
	local left
	left=$(find "$1" -name '.*.??????*' 2>/dev/null)
	[ -z "$left" ] || { echo "temp files left: $left" >&2; return 1; }
}

# with_makernote IN OUT apple|canon: IN with an EXIF block holding a maker
# note: Apple's (offsets from the note) or Canon's (offsets from the TIFF
# header), each with tags exiftool decodes.
with_makernote() {
	python3 - "$@" <<'PY'
import struct, sys
src, dst, kind = sys.argv[1:]
make = b"Apple\0" if kind == "apple" else b"Canon\0"
ifd0_off = 8
make_off = ifd0_off + 2 + 12 * 2 + 4
exif_off = make_off + len(make)
mn_off = exif_off + 2 + 12 + 4
if kind == "apple":
    hdr = b"Apple iOS\0" + b"\0\x01" + b"MM"
    data_off = len(hdr) + 2 + 12 * 3 + 4            # from the note's start
    mn = hdr + struct.pack(">H", 3) + \
        struct.pack(">HHII", 0x0001, 9, 1, 14) + \
        struct.pack(">HHII", 0x0008, 10, 3, data_off) + \
        struct.pack(">HHII", 0x000a, 9, 1, 3) + b"\0\0\0\0" + \
        struct.pack(">iiiiii", -1, 100, 2, 100, 98, 100)
else:
    s1, s2 = b"Canon EOS 80D Test\0", b"Firmware Version 1.0.0\0\0"
    d1 = mn_off + 2 + 12 * 2 + 4                     # from the TIFF header
    d2 = d1 + len(s1) + 1
    mn = struct.pack(">H", 2) + struct.pack(">HHII", 0x0006, 2, len(s1), d1) + \
        struct.pack(">HHII", 0x0007, 2, len(s2), d2) + b"\0\0\0\0" + s1 + b"\0" + s2
t = b"MM\0\x2a" + struct.pack(">I", ifd0_off) + struct.pack(">H", 2) + \
    struct.pack(">HHII", 0x010f, 2, len(make), make_off) + \
    struct.pack(">HHII", 0x8769, 4, 1, exif_off) + b"\0\0\0\0" + make + \
    struct.pack(">H", 1) + struct.pack(">HHII", 0x927c, 7, len(mn), mn_off) + \
    b"\0\0\0\0" + mn
blk = b"Exif\0\0" + t
jpg = open(src, "rb").read()
seg = b"\xff\xe1" + struct.pack(">H", len(blk) + 2) + blk
open(dst, "wb").write(jpg[:2] + seg + jpg[2:])
PY
}
