#!/usr/bin/env bats
# mem-exif: every tag read back with exiftool, segments and streams compared
# byte for byte with the source by independent readers (Python, ffmpeg).
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/exif

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	if [ -n "${MOUNTED:-}" ]; then umount "$MOUNTED"; fi
}

# exiftool's value of a tag, printed plainly (-s3), numbers with -n.
tag() {
	exiftool -s3 "$@"
}

@test "a JPEG gets dates, offsets, GPS with refs and a caption that exiftool reads back" {
	make_jpeg in.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 \
		--gps -33.8568,-151.2153,-12.5 --caption 'Café “at” the beach 🎉' in.jpg
	[ "$(tag -ExifIFD:DateTimeOriginal out/in.jpg)" = "2023:01:15 10:30:45" ]
	[ "$(tag -ExifIFD:CreateDate out/in.jpg)" = "2023:01:15 10:30:45" ]
	[ "$(tag -IFD0:ModifyDate out/in.jpg)" = "2023:01:15 10:30:45" ]
	[ "$(tag -OffsetTimeOriginal out/in.jpg)" = "+02:00" ]
	[ "$(tag -OffsetTimeDigitized out/in.jpg)" = "+02:00" ]
	[ "$(tag -OffsetTime out/in.jpg)" = "+02:00" ]
	[ "$(tag -GPSVersionID out/in.jpg)" = "2.3.0.0" ]
	[ "$(tag -n -GPSLatitudeRef out/in.jpg)" = "S" ]
	[ "$(tag -n -GPSLongitudeRef out/in.jpg)" = "W" ]
	[ "$(tag -n -GPS:GPSLatitude out/in.jpg)" = "33.8568" ]
	[ "$(tag -n -GPS:GPSLongitude out/in.jpg)" = "151.2153" ]
	[ "$(tag -n -Composite:GPSLatitude out/in.jpg)" = "-33.8568" ]
	[ "$(tag -n -GPSAltitude out/in.jpg)" = "-12.5" ]	# -n applies the ref
	[ "$(tag -n -GPSAltitudeRef out/in.jpg)" = "1" ]
	[ "$(tag -GPSDateStamp out/in.jpg)" = "2023:01:15" ]
	[ "$(tag -GPSTimeStamp out/in.jpg)" = "08:30:45" ]
	[ "$(tag -Make out/in.jpg)" = "Canon" ]
	exiftool -b -ImageDescription out/in.jpg > desc
	printf 'Café “at” the beach 🎉' > want
	cmp desc want
	exiftool -b -UserComment out/in.jpg > comment
	cmp comment want
}

@test "an ASCII caption with a newline is stored as ASCII UserComment" {
	make_jpeg in.jpg
	run -0 mem-exif -o "$OUT" --caption $'line one\nline two' in.jpg
	exiftool -b -UserComment out/in.jpg > got
	printf 'line one\nline two' > want
	cmp got want
}

@test "the image data and every other JPEG segment are byte-identical to the source" {
	make_jpeg in.jpg 320x240
	# ICC, XMP and a comment around the EXIF, as phones write them
	exiftool -q -overwrite_original '-ICC_Profile<=/usr/share/color/icc/sRGB.icc' \
		-XMP-dc:Title=kept -Comment='a comment' in.jpg 2>/dev/null ||
		exiftool -q -overwrite_original -XMP-dc:Title=kept -Comment='a comment' in.jpg
	cp in.jpg orig.jpg
	run -0 mem-exif -o "$OUT" --time 2021-06-01T12:00:00Z --gps 1,2 in.jpg
	jpeg_segments in.jpg skip > src.segs
	jpeg_segments out/in.jpg skip > out.segs
	diff src.segs out.segs
	grep -q '^ffe0 ' src.segs
	grep -q '^image ' src.segs
	cmp in.jpg orig.jpg	# the source is never modified
	[ "$(tag -XMP-dc:Title out/in.jpg)" = kept ]
	[ "$(tag -Comment out/in.jpg)" = 'a comment' ]
}

@test "a JPEG without EXIF gets a new APP1 after its JFIF segment" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 \
		-f image2 -c:v mjpeg in.jpg
	run -0 mem-exif -o "$OUT" --time 2020-02-29T23:59:59-05:30 in.jpg
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2020:02:29 23:59:59" ]
	[ "$(tag -OffsetTimeOriginal out/in.jpg)" = "-05:30" ]
	jpeg_segments out/in.jpg | head -2 | cut -c1-4 > order
	printf 'ffe0\nffe1\n' > want
	diff order want
	run -0 exiftool -validate -warning -error -a out/in.jpg
	refute_output --partial 'Error'
}

@test "every tag already in a camera-like EXIF block is kept, thumbnail included" {
	make_jpeg in.jpg 320x240
	ffmpeg -nostdin -loglevel error -i in.jpg -vf scale=80:-1 -f image2 th.jpg
	exiftool -q -overwrite_original -Software=16.5 -ExposureTime=1/120 -FNumber=1.78 \
		-ISO=64 -FocalLength=6.86 -LensModel='iPhone lens' -ColorSpace#=1 \
		-Orientation#=6 -SubSecTimeOriginal=123 -Artist=me -Copyright=c \
		-InteropIndex=R98 '-ThumbnailImage<=th.jpg' in.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 in.jpg
	exiftool -a -G1 -s -x System:all -x File:all -x IFD1:ThumbnailOffset in.jpg > before
	exiftool -a -G1 -s -x System:all -x File:all -x IFD1:ThumbnailOffset out/in.jpg > after
	[ -z "$(diff before after | grep '^<')" ]	# nothing removed or changed
	cmp <(exiftool -b -ThumbnailImage in.jpg) <(exiftool -b -ThumbnailImage out/in.jpg)
	[ "$(tag -n -Orientation out/in.jpg)" = 6 ]
}

@test "an iPhone maker note survives the merge and exiftool still decodes it" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 \
		-f image2 -c:v mjpeg plain.jpg
	with_makernote plain.jpg in.jpg apple
	exiftool -s -a -MakerNotes:all in.jpg > want
	grep -q 'HDRImageType *: HDR Image' want
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 \
		--caption 'moves the note' in.jpg
	exiftool -s -a -MakerNotes:all out/in.jpg > got
	diff want got
}

@test "a maker note with offsets from the TIFF header stays valid: no byte of the old block moves" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 \
		-f image2 -c:v mjpeg plain.jpg
	with_makernote plain.jpg in.jpg canon
	exiftool -s -a -MakerNotes:all in.jpg > want
	grep -q 'CanonFirmwareVersion *: Firmware Version 1.0.0' want
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 \
		--caption 'moves the note' in.jpg
	run -0 exiftool -s -a -warning -MakerNotes:all out/in.jpg
	[ "$output" = "$(cat want)" ]	# no "Adjusted MakerNotes base" warning either
	# the old TIFF block is the new one's start, but for the IFD0 offset
	python3 -c '
def exif(p):
    d = open(p, "rb").read(); i = d.index(b"Exif\0\0")
    return d[i + 6:i - 2 + int.from_bytes(d[i - 2:i], "big")]
a, b = exif("in.jpg"), exif("out/in.jpg")
assert len(b) > len(a) and b[:4] == a[:4] and b[8:len(a)] == a[8:], "old bytes moved"'
}

@test "a zero-length thumbnail, an empty entry and a duplicate entry are all still there, as exiftool saw them" {
	make_jpeg plain.jpg
	exiftool -q -overwrite_original -all= plain.jpg
	python3 - plain.jpg in.jpg <<'PY'
import struct, sys
# IFD0: Make, an empty Artist (count 0), Software twice; IFD1 with a
# zero-length thumbnail
def entry(tag, typ, count, value):
    return struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
ifd0_at, ifd1_at = 8, 8 + 2 + 4 * 12 + 4
data_at = ifd1_at + 2 + 2 * 12 + 4
make = b"Cam\0"
ifd0 = struct.pack("<H", 4) + entry(0x010F, 2, 4, make) + entry(0x013B, 2, 0, b"") \
    + entry(0x0131, 2, 3, b"v1\0") + entry(0x0131, 2, 3, b"v2\0") + struct.pack("<I", ifd1_at)
ifd1 = struct.pack("<H", 2) + entry(0x0201, 4, 1, struct.pack("<I", data_at)) \
    + entry(0x0202, 4, 1, struct.pack("<I", 0)) + struct.pack("<I", 0)
tiff = b"II*\0" + struct.pack("<I", ifd0_at) + ifd0 + ifd1 + b"\0" * 4
blk = b"Exif\0\0" + tiff
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d[:2] + b"\xff\xe1" + (len(blk) + 2).to_bytes(2, "big") + blk + d[2:])
PY
	exiftool -a -G1 -s -x System:all -x File:all in.jpg > before
	grep -q 'ThumbnailLength *: 0' before
	[ "$(grep -c '\[IFD0\] *Software' before)" -eq 2 ]
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 --caption c in.jpg
	exiftool -a -G1 -s -x System:all -x File:all out/in.jpg > after
	[ -z "$(diff before after | grep '^<')" ]	# nothing removed or changed
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2023:01:15 10:30:45" ]
}

@test "a JPEG whose own date and place win, with nothing else to set, comes out byte for byte" {
	make_jpeg in.jpg
	exiftool -q -overwrite_original -AllDates='2010:01:01 00:00:00' \
		-GPSLatitude=10 -GPSLatitudeRef=N -GPSLongitude=20 -GPSLongitudeRef=E in.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 in.jpg
	cmp in.jpg out/in.jpg
}

@test "the camera's own date and GPS are kept unless --overwrite" {
	make_jpeg in.jpg
	exiftool -q -overwrite_original -DateTimeOriginal='2019:05:05 05:05:05' \
		-GPSLatitude=10 -GPSLatitudeRef=N -GPSLongitude=20 -GPSLongitudeRef=E in.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 48.5,2.5 in.jpg
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2019:05:05 05:05:05" ]
	[ "$(tag -OffsetTimeOriginal out/in.jpg)" = "" ]
	[ "$(tag -CreateDate out/in.jpg)" = "2023:01:15 10:30:45" ]
	[ "$(tag -n -GPSLatitude out/in.jpg)" = "10" ]
	run -0 mem-exif -o "$OUT" --overwrite --time 2023-01-15T10:30:45+02:00 \
		--gps 48.5,2.5 in.jpg
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2023:01:15 10:30:45" ]
	[ "$(tag -OffsetTimeOriginal out/in.jpg)" = "+02:00" ]
	[ "$(tag -n -GPSLatitude out/in.jpg)" = "48.5" ]
}

@test "a camera date that matches the item's wall time gets the known offset" {
	make_jpeg in.jpg
	exiftool -q -overwrite_original -DateTimeOriginal='2023:01:15 10:30:45' in.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 in.jpg
	[ "$(tag -OffsetTimeOriginal out/in.jpg)" = "+02:00" ]
}

@test "an unknown offset writes the UTC wall time and no OffsetTime tags" {
	make_jpeg in.jpg
	run -0 mem-exif -o "$OUT" --time '2023-01-15 08:30:45' in.jpg
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2023:01:15 08:30:45" ]
	[ "$(tag -OffsetTimeOriginal -OffsetTime out/in.jpg)" = "" ]
}

@test "the output's mtime is the capture instant; without a time it is the source's" {
	make_jpeg a.jpg
	make_jpeg b.jpg
	touch -d '2001-02-03 04:05:06 UTC' b.jpg
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 a.jpg
	[ "$(stat -c %Y out/a.jpg)" = "$(date -d 2023-01-15T08:30:45Z +%s)" ]
	run -0 mem-exif -o "$OUT" --caption hi b.jpg
	[ "$(stat -c %Y out/b.jpg)" = "$(date -d '2001-02-03 04:05:06 UTC' +%s)" ]
}

@test "a path with no metadata to write is copied byte for byte with its mtime" {
	printf 'not even media' > notes.jpg
	touch -d '2001-02-03 04:05:06 UTC' notes.jpg
	run -0 --separate-stderr mem-exif -o "$OUT" notes.jpg
	cmp notes.jpg out/notes.jpg
	[ "$(stat -c %Y out/notes.jpg)" = "$(stat -c %Y notes.jpg)" ]
	printf '%s\0' "$OUT/notes.jpg" > want
	mem-exif -o "$OUT" notes.jpg > got
	cmp got want
}

@test "an item record writes to OUT/dest, creating its directories, and prints that path" {
	make_jpeg src.jpg
	make_record r.item "source=$PWD/src.jpg" dest='exp/photos/gphotos-u-20230115.jpg' \
		kind=image time=2023-01-15T08:30:45Z offset=-05:00 lat=40.7128000 \
		lon=-74.0060000 alt=10.00 caption='from the record'
	mem-exif -o "$OUT" r.item > got
	printf '%s\0' "$OUT/exp/photos/gphotos-u-20230115.jpg" > want
	cmp got want
	f=out/exp/photos/gphotos-u-20230115.jpg
	[ "$(tag -DateTimeOriginal $f)" = "2023:01:15 03:30:45" ]
	[ "$(tag -OffsetTimeOriginal $f)" = "-05:00" ]
	[ "$(tag -n -Composite:GPSLongitude $f)" = "-74.006" ]
	[ "$(tag -ImageDescription $f)" = "from the record" ]
}

@test "options override what a record says" {
	make_jpeg src.jpg
	make_record r.item "source=$PWD/src.jpg" dest=a.jpg time=2023-01-15T08:30:45Z
	run -0 mem-exif -o "$OUT" --time 1999-12-31T23:59:59Z r.item
	[ "$(tag -DateTimeOriginal out/a.jpg)" = "1999:12:31 23:59:59" ]
}

@test "an audio item is refused with one line and exit 1, and the other items are done" {
	make_audio song.m4a
	make_jpeg ok.jpg
	make_record a.item "source=$PWD/song.m4a" dest=a.m4a kind=audio
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z a.item ok.jpg
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "mem-exif: a.item: audio is not for mem-exif"* ]]
	[ -f out/ok.jpg ]
	[ ! -e out/a.m4a ]
}

@test "a record whose dest would leave OUT is refused" {
	make_jpeg src.jpg
	make_record r.item "source=$PWD/src.jpg" dest=../escape.jpg
	run -1 --separate-stderr mem-exif -o "$OUT" r.item
	[[ "$stderr" == *"bad dest"* ]]
	[ ! -e escape.jpg ]
}

@test "an output that would replace its own source is refused" {
	mkdir -p out
	make_jpeg out/self.jpg
	cp out/self.jpg keep.jpg
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z out/self.jpg
	[[ "$stderr" == *"is the source itself"* ]]
	cmp out/self.jpg keep.jpg
	# nor is the user's sidecar beside it touched
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=32x24 -frames:v 1 out/self.gif
	echo '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>' > out/self.gif.xmp
	cp out/self.gif.xmp keep.xmp
	run -1 --separate-stderr mem-exif -o "$OUT" out/self.gif
	[[ "$stderr" == *"is the source itself"* ]]
	cmp out/self.gif.xmp keep.xmp
}

@test "bad JPEGs fail one line each, leave no temp file, and the good ones are done" {
	make_jpeg good.jpg 160x120
	printf 'GIF89a not a jpeg' > notjpeg.jpg
	: > empty.jpg
	head -c 100 good.jpg > cuthead.jpg
	size=$(stat -c %s good.jpg)
	head -c $((size - 200)) good.jpg > cutdata.jpg
	# an APP1 that says Exif but holds no TIFF header
	python3 -c '
import sys
d = open("good.jpg", "rb").read()
bad = b"Exif\0\0" + b"XX\0\x2a" + b"\xff" * 40
seg = b"\xff\xe1" + (len(bad) + 2).to_bytes(2, "big") + bad
open("badexif.jpg", "wb").write(d[:2] + seg + d[2:])
# a TIFF header whose IFD0 lies past the block
bad = b"Exif\0\0" + b"II\x2a\0" + (60000).to_bytes(4, "little") + b"\0" * 40
seg = b"\xff\xe1" + (len(bad) + 2).to_bytes(2, "big") + bad
open("badifd.jpg", "wb").write(d[:2] + seg + d[2:])'
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z \
		notjpeg.jpg empty.jpg cuthead.jpg cutdata.jpg badexif.jpg badifd.jpg good.jpg
	[ "${#stderr_lines[@]}" -eq 5 ]
	[ "${stderr_lines[0]}" = "mem-exif: notjpeg.jpg: not a JPEG (no SOI marker)" ]
	[ "${stderr_lines[1]}" = "mem-exif: empty.jpg: empty file" ]
	[ "${stderr_lines[2]}" = "mem-exif: cuthead.jpg: truncated JPEG (ends inside its header)" ]
	[ "${stderr_lines[3]}" = "mem-exif: badexif.jpg: corrupt EXIF (no TIFF header)" ]
	[ "${stderr_lines[4]}" = "mem-exif: badifd.jpg: corrupt EXIF (IFD0 outside the block)" ]
	[ "$(ls out | tr '\n' ' ')" = "cutdata.jpg good.jpg " ]
	no_temp_files out
}

@test "a JPEG with no EOI and stray bytes between segments is written as exiftool would, those bytes kept" {
	make_jpeg good.jpg 160x120
	python3 -c '
d = open("good.jpg", "rb").read()
# three stray bytes after the first segment (APP0), and the EOI cut off
n = 4 + int.from_bytes(d[4:6], "big")
open("odd.jpg", "wb").write(d[:n] + b"\x00\x12\x34" + d[n:-2])'
	exiftool -validate -warning -a odd.jpg > before.txt || true
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 odd.jpg
	[ "$(tag -DateTimeOriginal out/odd.jpg)" = "2023:01:15 10:30:45" ]
	# the stray bytes and everything from SOS on are there as they were
	python3 -c '
src = open("odd.jpg", "rb").read(); out = open("out/odd.jpg", "rb").read()
assert b"\x00\x12\x34\xff" in out
sos = src.index(b"\xff\xda")
assert out.endswith(src[sos:]), "scan data changed"'
}

@test "a directory or a FIFO is refused without hanging" {
	mkdir adir
	mkfifo afifo
	run -1 --separate-stderr timeout 10 mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z adir afifo
	[ "${stderr_lines[0]}" = "mem-exif: adir: not a regular file" ]
	[ "${stderr_lines[1]}" = "mem-exif: afifo: not a regular file" ]
}

@test "an unreadable source is one line and exit 1" {
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z missing.jpg
	[ "$stderr" = "mem-exif: missing.jpg: No such file or directory" ]
}

@test "a file in the way of the destination directory fails that item only" {
	make_jpeg src.jpg
	mkdir -p out
	: > out/blocked
	make_record r.item "source=$PWD/src.jpg" dest=blocked/a.jpg time=2023-01-01T00:00:00Z
	run -1 --separate-stderr mem-exif -o "$OUT" r.item src.jpg
	[[ "$stderr" == "mem-exif: r.item: cannot create the directory of "* ]]
	[ -f out/src.jpg ]
}

@test "an EXIF block that would outgrow 64 KiB fails that item, the thumbnail untouched, the rest go on" {
	make_jpeg in.jpg 64x48
	make_jpeg other.jpg 64x48
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=size=320x240,noise=alls=60:allf=u" \
		-frames:v 1 -q:v 2 -f image2 thumb.jpg
	size=$(stat -c %s thumb.jpg)
	[ "$size" -gt 36000 ] && [ "$size" -lt 60000 ]	# fits alone, not with the caption
	exiftool -q -overwrite_original '-ThumbnailImage<=thumb.jpg' in.jpg
	caption=$(head -c 30000 /dev/zero | tr '\0' x)
	run -1 --separate-stderr mem-exif -o "$OUT" --caption "$caption" in.jpg other.jpg
	[[ "$stderr" == "mem-exif: in.jpg: EXIF block too big ("*" bytes, at most 65533 fit in a JPEG)" ]]
	[ "$(ls out)" = other.jpg ]
	[ "$(tag -ImageDescription out/other.jpg)" = "$caption" ]
	no_temp_files out
}

@test "a PNG gets an eXIf chunk exiftool reads, and its other chunks are unchanged" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 in.png
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 51.5,-0.12 \
		--caption 'png caption' in.png
	[ "$(tag -EXIF:DateTimeOriginal out/in.png)" = "2023:01:15 10:30:45" ]
	[ "$(tag -OffsetTimeOriginal out/in.png)" = "+02:00" ]
	[ "$(tag -n -Composite:GPSLongitude out/in.png)" = "-0.12" ]
	[ "$(tag -ImageDescription out/in.png)" = "png caption" ]
	png_chunks in.png skip > a
	png_chunks out/in.png skip > b
	diff a b
	png_chunks out/in.png | cut -d' ' -f1 | tr '\n' ' ' > order
	[[ "$(cat order)" == "IHDR "*"eXIf IDAT "*"IEND " ]]
	# a second run replaces the chunk instead of adding one
	run -0 mem-exif -o out2 --overwrite --time 2000-01-01T00:00:00Z out/in.png
	[ "$(png_chunks out2/in.png | grep -c '^eXIf ')" -eq 1 ]
	[ "$(tag -DateTimeOriginal out2/in.png)" = "2000:01:01 00:00:00" ]
}

@test "a PNG whose eXIf follows the image data gets it edited there, never a second one" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 plain.png
	make_jpeg cam.jpg
	exiftool -q -overwrite_original -Orientation#=6 cam.jpg
	python3 - plain.png cam.jpg in.png <<'PY'
import sys, zlib
png, jpg = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
i = jpg.index(b"Exif\0\0")
tiff = jpg[i + 6:i - 2 + int.from_bytes(jpg[i - 2:i], "big")]
chunk = len(tiff).to_bytes(4, "big") + b"eXIf" + tiff + zlib.crc32(b"eXIf" + tiff).to_bytes(4, "big")
open(sys.argv[3], "wb").write(png[:-12] + chunk + png[-12:])   # after IDAT, before IEND
PY
	[ "$(tag -n -Orientation in.png)" = 6 ]
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 in.png
	png_chunks out/in.png | cut -d' ' -f1 | tr '\n' ' ' > order
	[[ "$(cat order)" == "IHDR "*"IDAT eXIf IEND " ]]
	[ "$(tag -n -Orientation out/in.png)" = 6 ]
	[ "$(tag -Make out/in.png)" = Canon ]
	[ "$(tag -DateTimeOriginal out/in.png)" = "2023:01:15 10:30:45" ]
}

@test "a PNG whose only EXIF is an ImageMagick raw profile gets it edited inside that zTXt chunk" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 plain.png
	make_jpeg cam.jpg
	python3 - plain.png cam.jpg in.png <<'PY'
import sys, zlib
png, jpg = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
i = jpg.index(b"Exif\0\0")
blk = jpg[i:i - 2 + int.from_bytes(jpg[i - 2:i], "big")]
h = blk.hex()
text = "\nexif\n%8d\n" % len(blk) + "\n".join(h[k:k + 72] for k in range(0, len(h), 72)) + "\n"
data = b"Raw profile type exif\0\0" + zlib.compress(text.encode())
chunk = len(data).to_bytes(4, "big") + b"zTXt" + data + zlib.crc32(b"zTXt" + data).to_bytes(4, "big")
n = 8 + 25    # after IHDR
open(sys.argv[3], "wb").write(png[:n] + chunk + png[n:])
PY
	[ "$(tag -Make in.png)" = Canon ]
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --caption 'raw' in.png
	png_chunks out/in.png | cut -d' ' -f1 | tr '\n' ' ' > order
	[[ "$(cat order)" == "IHDR zTXt "*"IDAT "*"IEND " ]]
	[[ "$(cat order)" != *eXIf* ]]
	[ "$(tag -Make out/in.png)" = Canon ]
	[ "$(tag -DateTimeOriginal out/in.png)" = "2023:01:15 10:30:45" ]
	[ "$(tag -ImageDescription out/in.png)" = raw ]
	# nothing new to say (the raw profile's own "non-standard" note stays)
	[ "$(exiftool -validate -warning -a -s3 out/in.png)" = "$(exiftool -validate -warning -a -s3 in.png)" ]
}

@test "an MP4 gets its times, dated and placed keys and a caption in moov only; every other box byte for byte" {
	make_video in.mp4
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 \
		--gps 48.858400,2.294500,35.5 --caption 'a vidéo' in.mp4
	[ "$(ffprobe -v error -show_entries format_tags=creation_time -of csv=p=0 out/in.mp4)" = \
		"2023-01-15T08:30:45.000000Z" ]
	[ "$(tag -QuickTime:CreateDate out/in.mp4)" = "2023:01:15 08:30:45" ]
	[ "$(tag -Track1:TrackCreateDate out/in.mp4)" = "2023:01:15 08:30:45" ]
	[ "$(tag -Track2:MediaCreateDate out/in.mp4)" = "2023:01:15 08:30:45" ]
	[ "$(tag -Keys:CreationDate out/in.mp4)" = "2023:01:15 10:30:45+02:00" ]
	[ "$(tag -n -UserData:GPSCoordinates out/in.mp4)" = "48.8584 2.2945 35.5" ]
	[ "$(tag -n -Keys:GPSCoordinates out/in.mp4)" = "48.8584 2.2945 35.5" ]
	[ "$(tag -UserData:Comment out/in.mp4)" = "a vidéo" ]
	stream_hashes in.mp4 > a
	stream_hashes out/in.mp4 > b
	diff a b
	printf '%s\t%s\n' "$PWD/in.mp4" "$PWD/out/in.mp4" > pairs
	run -0 python3 "$REPO/tests/helpers/corpus-data.py" pairs
	[ -z "$output" ]
	[ "$(stat -c %Y out/in.mp4)" = "$(date -d 2023-01-15T08:30:45Z +%s)" ]
	run -0 exiftool -validate -warning -a -s3 out/in.mp4
	[ "$output" = OK ]
}

@test "a faststart MP4 whose moov grows gets its chunk offsets shifted; a free box after moov takes up the growth" {
	make_video v.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -movflags +faststart -f mp4 fast.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -moov_size 20000 -f mp4 roomy.mp4
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 1,2 --caption c \
		fast.mp4 roomy.mp4
	for f in fast roomy; do
		ffmpeg -nostdin -loglevel error -i $f.mp4 -map 0 -c copy -f framemd5 - > a
		ffmpeg -nostdin -loglevel error -i out/$f.mp4 -map 0 -c copy -f framemd5 - > b
		diff a b
		[ "$(tag -n -Keys:GPSCoordinates out/$f.mp4)" = "1 2" ]
	done
	[ "$(stat -c %s out/fast.mp4)" -gt "$(stat -c %s fast.mp4)" ]
	[ "$(stat -c %s out/roomy.mp4)" = "$(stat -c %s roomy.mp4)" ]
	# in the roomy one, all from the first byte after the free box on is the same
	python3 -c '
import sys
a = open("roomy.mp4", "rb").read(); b = open("out/roomy.mp4", "rb").read()
i = a.index(b"mdat") - 4
assert a[i:] == b[i:], "mdat moved"'
}

@test "a truncated faststart MP4 and a file that is no MP4 fail one line each; the good one is done" {
	make_video v.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -movflags +faststart -f mp4 fast.mp4
	head -c $(($(stat -c %s fast.mp4) - 1000)) fast.mp4 > cut.mp4
	head -c 3000 /dev/urandom > bad.mp4
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-15T10:30:45Z cut.mp4 bad.mp4 v.mp4
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "mem-exif: cut.mp4: truncated MP4 (a box runs past the end of the file)" ]
	[ "${stderr_lines[1]}" = "mem-exif: bad.mp4: not an MP4 or QuickTime file (no ftyp box)" ]
	[ "$(ls out)" = v.mp4 ]
	no_temp_files out
}

@test "a video's own creation time and location are kept unless --overwrite" {
	make_video in.mp4
	run -0 mem-exif -o o1 --time 2010-01-01T00:00:00Z --gps 10,20 in.mp4
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 48.5,2.5 o1/in.mp4
	[ "$(tag -QuickTime:CreateDate out/in.mp4)" = "2010:01:01 00:00:00" ]
	[ "$(tag -n -UserData:GPSCoordinates out/in.mp4)" = "10 20" ]
	run -0 mem-exif -o o3 --overwrite --time 2023-01-15T10:30:45+02:00 --gps 48.5,2.5 o1/in.mp4
	[ "$(tag -QuickTime:CreateDate o3/in.mp4)" = "2023:01:15 08:30:45" ]
	[ "$(tag -Keys:CreationDate o3/in.mp4)" = "2023:01:15 10:30:45+02:00" ]
	[ "$(tag -n -UserData:GPSCoordinates o3/in.mp4)" = "48.5 2.5" ]
	[ "$(tag -n -Keys:GPSCoordinates o3/in.mp4)" = "48.5 2.5" ]
}

@test "a video with no known offset gets the wall clock as it is" {
	make_video in.mp4
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45 in.mp4
	[ "$(tag -QuickTime:CreateDate out/in.mp4)" = "2023:01:15 10:30:45" ]
	[ "$(tag -Keys:CreationDate out/in.mp4)" = "2023:01:15 10:30:45" ]
}

@test "a MOV's Keys (a Live Photo's ContentIdentifier, the camera's place) survive byte for byte" {
	make_video v.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -movflags use_metadata_tags \
		-metadata com.apple.quicktime.content.identifier=8D3A1A6E-1B2C-4D5E-9F00-112233445566 \
		-metadata com.apple.quicktime.location.ISO6709=+37.3349-122.0090+010.000/ \
		-f mov in.mov
	[ "$(tag -Keys:ContentIdentifier in.mov)" = 8D3A1A6E-1B2C-4D5E-9F00-112233445566 ]
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45Z --gps 1,2 --caption c in.mov
	[ "$(tag -Keys:ContentIdentifier out/in.mov)" = 8D3A1A6E-1B2C-4D5E-9F00-112233445566 ]
	[ "$(tag -n -Keys:GPSCoordinates out/in.mov)" = "37.3349 -122.009 10" ]
	# the key entries and their ilst items, as bytes, are all still there
	python3 - in.mov out/in.mov <<'PY'
import sys
def box(d, path):
    i = 0
    for name in path:
        end = len(d) if i == 0 else i + int.from_bytes(d[i:i + 4], "big")
        j = i + (0 if i == 0 else 8)
        while j < end:
            n = int.from_bytes(d[j:j + 4], "big")
            if d[j + 4:j + 8] == name:
                i = j
                break
            j += n
        else:
            raise SystemExit("no " + name.decode())
    return d[i:i + int.from_bytes(d[i:i + 4], "big")]
def items(d):
    # Apple keeps its keys in moov/meta, FFmpeg in moov/udta/meta
    try:
        meta = box(d, [b"moov", b"meta"])
    except SystemExit:
        meta = box(d, [b"moov", b"udta", b"meta"])
    keys = meta[meta.index(b"keys") - 4:]
    keys = keys[:int.from_bytes(keys[:4], "big")]
    ilst = meta[meta.index(b"ilst") - 4:]
    ilst = ilst[:int.from_bytes(ilst[:4], "big")]
    names, j = [], 16
    while j < len(keys):
        n = int.from_bytes(keys[j:j + 4], "big"); names.append(keys[j + 8:j + n]); j += n
    out, j = {}, 8
    while j < len(ilst):
        n = int.from_bytes(ilst[j:j + 4], "big")
        out[names[int.from_bytes(ilst[j + 4:j + 8], "big") - 1]] = ilst[j + 8:j + n]
        j += n
    return out
a, b = items(open(sys.argv[1], "rb").read()), items(open(sys.argv[2], "rb").read())
for k, v in a.items():
    assert b.get(k) == v, k
assert b[b"com.apple.quicktime.creationdate"][16:] == b"2023-01-15T10:30:45+0000"
PY
}

@test "a MOV gets ©xyz and an MKV gets creation_time, streams copied" {
	make_video v.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -f mov in.mov
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -f matroska in.mkv
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45Z --gps -1.5,-2.5 in.mov in.mkv
	[ "$(tag -n -UserData:GPSCoordinates out/in.mov)" = "-1.5 -2.5" ]
	[ "$(ffprobe -v error -show_entries format_tags=creation_time -of csv=p=0 out/in.mkv)" = \
		"2023-01-15T10:30:45.000000Z" ]
	stream_hashes in.mkv > a
	stream_hashes out/in.mkv > b
	diff a b
}

@test "a Matroska video FFmpeg cannot read fails with its reason and leaves no temp file" {
	# an EBML header whose first element overruns it (random bytes would be
	# taken for some other format now and then)
	{ printf '\032\105\337\243\102\206\201\001'; for i in $(seq 150); do printf 'not a matroska body '; done; } > bad.mkv
	make_video v.mp4
	ffmpeg -nostdin -loglevel error -i v.mp4 -c copy -f matroska good.mkv
	run -1 --separate-stderr mem-exif -o "$OUT" --time 2023-01-15T10:30:45Z bad.mkv good.mkv
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "mem-exif: bad.mkv: ffmpeg failed (status "* ]]
	[ -f out/good.mkv ]
	[ ! -e out/bad.mkv ]
	no_temp_files out
}

@test "a GIF gets an XMP sidecar with the offset date, GPS and caption that exiftool reads" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=32x24:rate=1 -frames:v 1 in.gif
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps -33.5,151.25,5 \
		--caption 'Fish & <chips>' in.gif
	printf '%s\0' "$OUT/in.gif" > want
	mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 in.gif > got
	cmp got want
	cmp in.gif out/in.gif
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps -33.5,151.25,5 \
		--caption 'Fish & <chips>' in.gif
	x=out/in.gif.xmp
	[ "$(tag -XMP-exif:DateTimeOriginal $x)" = "2023:01:15 10:30:45+02:00" ]
	[ "$(tag -n -XMP-exif:GPSLatitude $x)" = "-33.5" ]
	[ "$(tag -n -XMP-exif:GPSLongitude $x)" = "151.25" ]
	[ "$(tag -n -XMP-exif:GPSAltitude $x)" = "5" ]
	[ "$(tag -XMP-dc:Description $x)" = 'Fish & <chips>' ]
	[ "$(stat -c %Y out/in.gif)" = "$(date -d 2023-01-15T08:30:45Z +%s)" ]
}

@test "a caption with U+FFFE and a control character keeps well-formed XMP, with a note, and goes whole into EXIF" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=32x24:rate=1 -frames:v 1 in.gif
	make_jpeg in.jpg
	caption=$(printf 'a\xef\xbf\xbeb\x01c \xe2\x98\x95')
	run -0 --separate-stderr mem-exif -o "$OUT" --caption "$caption" in.gif in.jpg
	[ "$stderr" = "mem-exif: in.gif: caption: characters XML cannot hold written as U+FFFD" ]
	xmllint --noout out/in.gif.xmp
	[ "$(tag -XMP-dc:Description out/in.gif.xmp)" = "$(printf 'a\xef\xbf\xbdb\xef\xbf\xbdc \xe2\x98\x95')" ]
	[ "$(exiftool -b -IFD0:ImageDescription out/in.jpg)" = "$caption" ]
	[ "$(exiftool -b -ExifIFD:UserComment out/in.jpg)" = "$caption" ]
}

@test "a Snapchat image overlay is composited upright and the source EXIF is kept" {
	make_jpeg src.jpg 200x100
	exiftool -q -overwrite_original -Orientation#=6 -Model=Kept src.jpg
	make_overlay ovl.png 100x200	# drawn upright: portrait, like the picture shown
	make_record r.item "source=$PWD/src.jpg" dest=snap/m.jpg kind=image \
		time=2023-01-15T08:30:45Z offset=+01:00 "overlay=$PWD/ovl.png"
	run -0 mem-exif -o "$OUT" r.item
	f=out/snap/m.jpg
	[ "$(tag -Model $f)" = Kept ]
	[ "$(tag -n -Orientation $f)" = 6 ]
	[ "$(tag -OffsetTimeOriginal $f)" = "+01:00" ]
	# shown upright (100x200), the box covers x 10..40, y 20..80: blue there
	read -r r g b <<< "$(pixel $f 25 50)"
	[ "$b" -gt 200 ] && [ "$r" -lt 60 ] && [ "$g" -lt 60 ]
	read -r r g b <<< "$(pixel $f 80 180)"
	[ "$b" -lt 200 ] || [ "$r" -gt 60 ] || [ "$g" -gt 60 ]
	[ "$(stat -c %Y $f)" = "$(date -d 2023-01-15T08:30:45Z +%s)" ]
}

@test "a Snapchat video overlay is burned into an H.264/AAC MP4; --keep-original keeps the unmerged one" {
	make_video src.mp4
	make_overlay ovl.png 64x48
	make_record r.item "source=$PWD/src.mp4" dest=snap/v.mp4 kind=video \
		time=2023-01-15T08:30:45Z lat=52.5200000 lon=13.4050000 "overlay=$PWD/ovl.png"
	mem-exif -o "$OUT" --keep-original r.item > got
	printf '%s\0' "$OUT/snap/v_original.mp4" "$OUT/snap/v.mp4" > want
	cmp got want
	f=out/snap/v.mp4
	[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 $f)" = h264 ]
	[ "$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 $f)" = aac ]
	[ "$(tag -n -UserData:GPSCoordinates $f)" = "52.52 13.405" ]
	read -r r g b <<< "$(pixel $f 12 10)"
	[ "$b" -gt 180 ] && [ "$r" -lt 80 ] && [ "$g" -lt 80 ]
	stream_hashes src.mp4 > a
	stream_hashes out/snap/v_original.mp4 > b
	diff a b
}

@test "a rotated video gets its overlay upright" {
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=size=64x48:rate=10:duration=1" \
		-c:v libx264 -pix_fmt yuv420p -f mp4 src.mp4
	exiftool -q -overwrite_original -Rotation=90 src.mp4	# a phone held upright
	[ "$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 src.mp4)" = "-90" ]
	make_overlay ovl.png 48x64	# upright: portrait
	make_record r.item "source=$PWD/src.mp4" dest=v.mp4 kind=video "overlay=$PWD/ovl.png"
	run -0 mem-exif -o "$OUT" r.item
	[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 out/v.mp4)" = "48,64" ]
	read -r r g b <<< "$(pixel out/v.mp4 10 10)"
	[ "$b" -gt 180 ] && [ "$r" -lt 80 ] && [ "$g" -lt 80 ]
}

@test "a PNG with an overlay is composited and gets its eXIf chunk" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=100x80 -frames:v 1 src.png
	make_overlay ovl.png 100x80
	make_record r.item "source=$PWD/src.png" dest=p.png time=2023-01-15T08:30:45Z \
		"overlay=$PWD/ovl.png"
	run -0 mem-exif -o "$OUT" r.item
	[ "$(tag -DateTimeOriginal out/p.png)" = "2023:01:15 08:30:45" ]
	[ "$(pixel out/p.png 20 15)" = "0 0 255" ]
	png_chunks out/p.png > /dev/null	# every CRC right
}

@test "without ffmpeg on PATH an MKV fails with one line; the MP4 and the JPEG are still done" {
	make_video in.mp4
	ffmpeg -nostdin -loglevel error -i in.mp4 -c copy -f matroska in.mkv
	make_jpeg in.jpg
	run -1 --separate-stderr env PATH="$MEM_BIN" mem-exif -o "$OUT" \
		--time 2023-01-15T08:30:45Z in.mkv in.mp4 in.jpg
	[ "$stderr" = "mem-exif: in.mkv: cannot run ffmpeg: No such file or directory" ]
	[ -f out/in.jpg ] && [ -f out/in.mp4 ] && [ ! -e out/in.mkv ]
	no_temp_files out
}

@test "a missing overlay fails the item" {
	make_jpeg src.jpg
	make_record r.item "source=$PWD/src.jpg" dest=m.jpg "overlay=$PWD/nope.png"
	run -1 --separate-stderr mem-exif -o "$OUT" r.item
	[[ "$stderr" == "mem-exif: r.item: overlay $PWD/nope.png: No such file or directory" ]]
}

@test "bad --time, --gps and a missing -o are usage errors before any item" {
	make_jpeg in.jpg
	run -2 --separate-stderr mem-exif -o "$OUT" --time yesterday in.jpg
	[[ "$stderr" == *"--time yesterday"* ]]
	run -2 mem-exif -o "$OUT" --gps 91,0 in.jpg
	run -2 mem-exif -o "$OUT" --gps 1 in.jpg
	run -2 mem-exif -o "$OUT" --gps 1,2,x in.jpg
	run -2 --separate-stderr mem-exif in.jpg
	[[ "$stderr" == *"usage:"* ]]
	[ ! -e out/in.jpg ]
}

@test "an output directory that cannot be made is fatal before the first item" {
	make_jpeg in.jpg
	: > file
	run -2 --separate-stderr mem-exif -o file/sub --time 2023-01-01T00:00:00Z in.jpg
	[[ "$stderr" == "mem-exif: file/sub: "* ]]
	[ -z "$output" ]
}

@test "odd names go through a NUL stream, in order" {
	make_jpeg base.jpg
	names=('a b.jpg' $'new\nline.jpg' "qu'o\"te.jpg" 'd$llar.jpg' 'co:lon.jpg'
		'per%cent.jpg' 'ha#sh.jpg' '-dash.jpg' $'\377byte.jpg')
	: > want
	for n in "${names[@]}"; do
		cp -- base.jpg "$n"
		printf '%s\0' "$PWD/$n" >> list
		printf '%s\0' "$OUT/$n" >> want
	done
	mem-exif -o "$OUT" --time 2023-01-01T00:00:00Z < list > got
	cmp got want
	[ "$(tag -DateTimeOriginal "out/-dash.jpg")" = "2023:01:01 00:00:00" ]
}

@test "an empty record on stdin is reported with its number and the rest go on" {
	make_jpeg a.jpg
	printf '\0%s\0' "$PWD/a.jpg" > list
	run -1 --separate-stderr mem-exif -o "$OUT" < list
	[ "$stderr" = "mem-exif: -:1: empty path" ]
	[ -f out/a.jpg ]
}

@test "empty stdin exits 0 with no output; -h, --version and a bad option behave" {
	run -0 --separate-stderr mem-exif -o "$OUT" < /dev/null
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 mem-exif -h
	[[ "$output" == "usage: mem-exif "* ]]
	run -0 mem-exif --version
	[[ "$output" == "mem-exif (mem) "* ]]
	run -2 --separate-stderr mem-exif --bogus
	[[ "$stderr" == *"usage: mem-exif "* ]]
}

@test "a full stdout is fatal (exit 2)" {
	make_jpeg a.jpg
	run -2 sh -c 'mem-exif -o "$1" a.jpg > /dev/full' sh "$OUT"
}

@test "a new output has the umask's mode; a rerun replaces it by a new file, never in place; no temp file is left" {
	make_jpeg in.jpg
	mkdir -p "$OUT"
	(umask 027 && mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 in.jpg > /dev/null)
	[ "$(stat -c %a "$OUT/in.jpg")" = 640 ]
	[ "$(tag -DateTimeOriginal "$OUT/in.jpg")" = "2023:01:15 10:30:45" ]
	# a reader holding the first output (a hard link here) keeps its bytes
	ln "$OUT/in.jpg" held.jpg
	cp held.jpg before.jpg
	(umask 077 && mem-exif -o "$OUT" --time 2024-02-16T11:31:46+02:00 in.jpg > /dev/null)
	[ "$(tag -DateTimeOriginal "$OUT/in.jpg")" = "2024:02:16 11:31:46" ]
	[ "$(stat -c %a "$OUT/in.jpg")" = 600 ]
	[ "$(stat -c %i "$OUT/in.jpg")" != "$(stat -c %i held.jpg)" ]
	cmp before.jpg held.jpg
	no_temp_files "$OUT"
	[ "$(find "$OUT" -type f | wc -l)" -eq 1 ]
}

@test "a Live Photo still's ContentIdentifier (Apple maker note tag 0x0011) survives with every Apple tag" {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=1" -frames:v 1 \
		-f image2 -c:v mjpeg plain.jpg
	python3 "$REPO/tests/helpers/live-photo.py" plain.jpg in.jpg 8D3A1A6E-1B2C-4D5E-9F00-112233445566
	[ "$(tag -Apple:MediaGroupUUID in.jpg)" = 8D3A1A6E-1B2C-4D5E-9F00-112233445566 ]
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 --gps 48.8584,2.2945 in.jpg
	exiftool -a -G1 -s -Apple:all in.jpg > before
	exiftool -a -G1 -s -Apple:all out/in.jpg > after
	[ "$(grep -c . before)" -ge 2 ]
	cmp before after
	[ "$(tag -DateTimeOriginal out/in.jpg)" = "2023:01:15 10:30:45" ]
}

@test "mem-exif loads libarchive and libzip only for an archive member, and writes members as files" {
	make_jpeg photo.jpg
	ARC=$REPO/tests/helpers/archive.py
	python3 "$ARC" pack a.zip x/photo.jpg photo.jpg
	python3 "$ARC" pack t.tgz x/photo.jpg photo.jpg
	make_record f.item "source=$PWD/photo.jpg" dest=f.jpg time=2021-06-05T04:03:02Z
	python3 "$ARC" record z.item a.zip x/photo.jpg dest=z.jpg time=2021-06-05T04:03:02Z
	python3 "$ARC" record t.item t.tgz x/photo.jpg dest=t.jpg time=2021-06-05T04:03:02Z
	# neither is linked in: a start without archives does not pay for them
	run -0 readelf -d "$(command -v mem-exif)"
	refute_output --partial libarchive
	refute_output --partial libzip
	LD_DEBUG=libs mem-exif -o "$OUT" f.item > /dev/null 2> plain.log
	run -1 grep -E 'libarchive|libzip' plain.log
	[ "$(tag -DateTimeOriginal "$OUT/f.jpg")" = "2021:06:05 04:03:02" ]
	LD_DEBUG=libs mem-exif -o "$OUT" z.item t.item > /dev/null 2> member.log
	grep -q 'calling init: .*/libzip\.so' member.log
	grep -q 'calling init: .*/libarchive\.so' member.log
	cmp "$OUT/f.jpg" "$OUT/z.jpg"
	cmp "$OUT/f.jpg" "$OUT/t.jpg"
}

@test "a JPEG that does not fit on the disk is not delivered, and the next one is written whole" {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	# 3 MB: the output fails in the middle of the bytes on their way to it
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=2400x1800:rate=1" \
		-vf "noise=alls=40:allf=u" -frames:v 1 -q:v 2 -f image2 -c:v mjpeg big.jpg
	[ "$(stat -c %s big.jpg)" -gt 2000000 ]
	make_jpeg small.jpg 320x240
	run -0 mem-exif -o ref --time 2023-01-15T10:30:45+02:00 small.jpg
	mkdir -p "$OUT"
	mount -t tmpfs -o size=1m tmpfs "$OUT"
	MOUNTED=$OUT
	rc=0
	mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 big.jpg small.jpg \
		> stdout.nul 2> stderr.txt || rc=$?
	[ "$rc" -eq 1 ]
	[[ "$(cat stderr.txt)" == "mem-exif: big.jpg: "*"No space left on device" ]]
	printf '%s\0' "$OUT/small.jpg" | cmp - stdout.nul
	[ ! -e "$OUT/big.jpg" ]
	cmp ref/small.jpg "$OUT/small.jpg"
	no_temp_files "$OUT"
}

@test "an item whose user's XMP sidecar is gone since the scan fails alone, naming it, with no output; the others are written with theirs" {
	mkdir shoot
	make_jpeg shoot/a.jpg 64x40
	make_jpeg shoot/b.jpg 64x42
	exiftool -q -o shoot/a.jpg.xmp '-XMP-dc:Description=kept'
	exiftool -q -o shoot/b.xmp '-XMP-dc:Description=gone'
	mem-scan -o "$OUT" --records shoot > records
	rm shoot/b.xmp
	run -1 --separate-stderr mem-exif -o "$OUT" < records
	id=$(grep -l "source=$PWD/shoot/b.jpg" "$OUT"/.mem/items/*.item)
	[ "$stderr" = "mem-exif: $id: sidecar $PWD/shoot/b.xmp: No such file or directory" ]
	run -0 find "$OUT/shoot" -type f
	sort <<< "$output" > have
	printf '%s\n' "$OUT/shoot/media/folder-shoot-$(date -r shoot/a.jpg -u +%Y%m%d).jpg" \
		"$OUT/shoot/media/folder-shoot-$(date -r shoot/a.jpg -u +%Y%m%d).jpg.xmp" > want
	diff want have
	cmp shoot/a.jpg.xmp "$OUT/shoot/media/folder-shoot-$(date -r shoot/a.jpg -u +%Y%m%d).jpg.xmp"
}

@test "a rerun whose record asks for no sidecar any more leaves none of an earlier run: neither the user's, gone from the folder since, nor one of ours" {
	mkdir shoot
	make_jpeg shoot/a.jpg
	exiftool -q -o shoot/a.jpg.xmp '-XMP-dc:Description=once'
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=32x24 -frames:v 1 shoot/b.gif
	touch -d '2020-02-02 02:02:02Z' shoot/a.jpg shoot/b.gif
	mem-scan -o "$OUT" --records shoot > records
	run -0 mem-exif -o "$OUT" < records
	run -0 mem-exif -o "$OUT" --time 2023-01-15T10:30:45+02:00 shoot/b.gif
	[ -f "$OUT/shoot/media/folder-shoot-20200202.jpg.xmp" ]
	[ -f "$OUT/b.gif.xmp" ]
	rm shoot/a.jpg.xmp
	mem-scan -o "$OUT" --records shoot > records
	run -0 mem-exif -o "$OUT" < records
	run -0 mem-exif -o "$OUT" shoot/b.gif
	run -0 find "$OUT" -path "$OUT/.mem" -prune -o -type f -print
	sort <<< "$output" > have
	printf '%s\n' "$OUT/b.gif" "$OUT/shoot/media/folder-shoot-20200202.jpg" \
		"$OUT/shoot/media/folder-shoot-20200202_1.gif" > want
	diff want have
}

@test "a user's sidecar the record's date cannot go into (no rdf:RDF; dates of its own that are not the record's) is carried byte for byte beside a file that takes no date, with one line saying so" {
	mkdir shoot
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x40 -frames:v 1 shoot/a.webp
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x42 -frames:v 1 shoot/b.webp
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:03:04 05:06:07' shoot/a.webp
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:03:05 05:06:07' shoot/b.webp
	printf '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>\n' > shoot/a.webp.xmp
	cat > shoot/b.webp.xmp <<-'X'
	<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
	<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
	 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:DateTimeOriginal="soon"
	 xmp:CreateDate="2019" photoshop:DateCreated="2019-05"/></rdf:RDF></x:xmpmeta>
	X
	mem-scan -o "$OUT" --records --timezone Europe/Paris shoot > records
	a=$(grep -l "source=$PWD/shoot/a.webp" "$OUT"/.mem/items/*.item)
	b=$(grep -l "source=$PWD/shoot/b.webp" "$OUT"/.mem/items/*.item)
	grep -q 'offset_source=default' "$a"
	grep -q 'offset_source=default' "$b"
	run -0 --separate-stderr mem-exif -o "$OUT" < records
	sort <<< "$stderr" > have
	sort > want <<-EOF
	mem-exif: $a: the XMP sidecar is carried without the record's date: it has no rdf:RDF to add it to
	mem-exif: $b: the XMP sidecar is carried without the record's date: it has dates of its own that are not the record's
	EOF
	diff want have
	cmp shoot/a.webp.xmp "$OUT/shoot/media/folder-shoot-20210304.webp.xmp"
	cmp shoot/b.webp.xmp "$OUT/shoot/media/folder-shoot-20210305.webp.xmp"
}

@test "a user's sidecar of no date, under a prefix of its own for rdf: and with a '>' in a value, gets the record's date beside a WebP, still well-formed XML, the rest byte for byte" {
	mkdir shoot
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x52 -frames:v 1 shoot/k.webp
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:03:04 05:06:07' shoot/k.webp
	cat > shoot/k.webp.xmp <<-'X'
	<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:R="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
	 <R:RDF note="a > b">
	  <R:Description R:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/>
	 </R:RDF>
	</x:xmpmeta>
	X
	mem-scan -o "$OUT" --records --timezone Asia/Tokyo shoot > records
	run -0 --separate-stderr mem-exif -o "$OUT" < records
	[ -z "$stderr" ]
	x=$OUT/shoot/media/folder-shoot-20210304.webp.xmp
	xmllint --noout "$x"
	run -0 diff <(sed '/^ <R:Description R:about=""$/,/\/>$/d' "$x") shoot/k.webp.xmp
	run -0 exiftool -q -q -p '$XMP-exif:DateTimeOriginal|$XMP-xmp:CreateDate|$XMP-photoshop:DateCreated|$Rating' "$x"
	assert_output "2021:03:04 05:06:07+09:00|2021:03:04 05:06:07+09:00|2021:03:04 05:06:07+09:00|5"
}
