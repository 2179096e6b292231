#!/usr/bin/env bats
# Issue 16, the read side: mem-exif and mem-loudnorm read a record's media
# from a member of a zip (stored, deflated), tar or tgz as from a file. The
# output from a member must be byte-identical to the output from the same
# file on disk; every damaged archive costs only its item, with one line
# naming the archive and the member. Records are written here (until
# mem-scan writes them) with tests/helpers/archive.py.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/exif

CORPUS=${MEM_CORPUS:-$BATS_TEST_DIRNAME/../../shared/corpus}
ARC=$BATS_TEST_DIRNAME/helpers/archive.py
FIELDS=(time=2021-06-05T04:03:02Z offset=+02:00 lat=48.8584000 lon=2.2945000
	caption='Tour Eiffel')

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
}

# The same files, as four archives: s.zip stored, d.zip deflated, t.tar, t.tgz.
pack_all() {
	local a
	for a in a.s.zip d.zip t.tar t.tgz; do
		python3 "$ARC" pack "$a" "$@"
	done
}

# records DIR FILE MEMBER: the file's record (dest f/DIR) and one per
# archive (dest ARCHIVE/DIR), all with FIELDS.
records() {
	local d=$1 file=$2 member=$3 a
	make_record "f-$d.item" "source=$PWD/$file" "dest=f/$d" "${FIELDS[@]}"
	for a in a.s.zip d.zip t.tar t.tgz; do
		python3 "$ARC" record "$a-$d.item" "$a" "$member" "dest=$a/$d" "${FIELDS[@]}"
	done
}

# same_as_file DIR: each archive's output is the file's, byte for byte,
# and exiftool reads the same tags from it (file names and times aside).
same_as_file() {
	local a
	for a in a.s.zip d.zip t.tar t.tgz; do
		cmp "$OUT/f/$1" "$OUT/$a/$1"
		diff <(exiftool -a -G1 -s -x System:all "$OUT/f/$1" | grep -v ExifTool:) \
			<(exiftool -a -G1 -s -x System:all "$OUT/$a/$1" | grep -v ExifTool:)
	done
}

@test "a JPEG, a PNG and MP4/MOV videos written from zip, tar and tgz members are the bytes written from the files" {
	make_jpeg photo.jpg 640x480
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240 -frames:v 1 pic.png
	# moov last (FFmpeg's default) and moov first with no free box after it:
	# the edit in place moves the sample data
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 \
		-f lavfi -i sine -t 2 -c:v libx264 -c:a aac -shortest last.mp4
	ffmpeg -nostdin -loglevel error -i last.mp4 -c copy -movflags +faststart first.mp4
	cp "$CORPUS/drewnoakes+metadata-extractor-images/mov/with-gps.mov" phone.mov
	cp "$CORPUS/simulot+immich-go/adapters/folder/DATA/not-motion/IMG_1234.mp4" phone.mp4
	pack_all "Takeout/Google Photos/a b/photo.jpg" photo.jpg "Takeout/p/pic.png" pic.png \
		"v/last.mp4" last.mp4 "v/first.mp4" first.mp4 "v/phone.mov" phone.mov \
		"v/phone.mp4" phone.mp4
	records photo.jpg photo.jpg "Takeout/Google Photos/a b/photo.jpg"
	records pic.png pic.png "Takeout/p/pic.png"
	records last.mp4 last.mp4 v/last.mp4
	records first.mp4 first.mp4 v/first.mp4
	records phone.mov phone.mov v/phone.mov
	records phone.mp4 phone.mp4 v/phone.mp4
	run -0 mem-exif -o "$OUT" -- *.item
	for d in photo.jpg pic.png last.mp4 first.mp4 phone.mov phone.mp4; do
		same_as_file "$d"
	done
	[ "$(exiftool -s3 -DateTimeOriginal -OffsetTimeOriginal "$OUT/t.tgz/photo.jpg")" = \
		"$(printf '2021:06:05 06:03:02\n+02:00')" ]
	run -0 exiftool -s3 -n -GPSLatitude "$OUT/d.zip/pic.png"
	assert_output 48.8584
	run -0 exiftool -s3 -Keys:CreationDate "$OUT/t.tar/first.mp4"
	assert_output '2021:06:05 06:03:02+02:00'
	# the member's bytes went once into the output: nothing else in OUT
	run -0 find "$OUT" -name '.*'
	assert_output ''
}

@test "without metadata a member is copied as it is, with the member's mtime" {
	make_jpeg photo.jpg
	python3 "$ARC" pack a.zip "x/photo.jpg" photo.jpg
	python3 "$ARC" record r.item a.zip x/photo.jpg dest=photo.jpg
	run -0 mem-exif -o "$OUT" r.item
	cmp photo.jpg "$OUT/photo.jpg"
	# the zip's DOS time is local time: 2021-06-05 04:03:02 with TZ=UTC
	[ "$(stat -c %Y "$OUT/photo.jpg")" = 1622865782 ]
}

@test "a stored photo is written from its place in the zip: no copy in memory, no byte of the next member, the member's mtime without a time" {
	make_jpeg photo.jpg 640x480
	# a JPEG cut short (no EOI): its bytes after SOS are copied as they are,
	# and in the zip the next member's bytes follow them
	head -c $(($(stat -c %s photo.jpg) * 2 / 3)) photo.jpg > cut.jpg
	python3 "$ARC" pack a.s.zip x/photo.jpg photo.jpg x/cut.jpg cut.jpg x/next.jpg photo.jpg
	python3 "$ARC" pack d.zip x/photo.jpg photo.jpg
	make_record f-photo.item "source=$PWD/photo.jpg" dest=f/photo.jpg "${FIELDS[@]}"
	make_record f-cut.item "source=$PWD/cut.jpg" dest=f/cut.jpg "${FIELDS[@]}"
	python3 "$ARC" record s-photo.item a.s.zip x/photo.jpg dest=s/photo.jpg "${FIELDS[@]}"
	python3 "$ARC" record s-cut.item a.s.zip x/cut.jpg dest=s/cut.jpg "${FIELDS[@]}"
	python3 "$ARC" record s-gps.item a.s.zip x/photo.jpg dest=s/gps.jpg lat=48.8584000 \
		lon=2.2945000
	python3 "$ARC" record d-photo.item d.zip x/photo.jpg dest=d/photo.jpg "${FIELDS[@]}"
	traced() {
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    strace -f -e trace=memfd_create -o "$1" mem-exif -o "$OUT" "${@:2}"
	}
	run -0 traced stored f-*.item s-*.item
	run -1 grep memfd_create stored
	cmp "$OUT/f/photo.jpg" "$OUT/s/photo.jpg"
	cmp "$OUT/f/cut.jpg" "$OUT/s/cut.jpg"
	run -0 exiftool -s3 -n -GPSLatitude "$OUT/s/gps.jpg"
	assert_output 48.8584
	# no capture time: the member's mtime (the zip's 2021-06-05 04:03:02,
	# TZ=UTC), not the zip file's own
	[ "$(stat -c %Y "$OUT/s/gps.jpg")" = 1622865782 ]
	# a deflated member has no place to be read from: it goes to memory
	run -0 traced deflated d-photo.item
	run -0 grep -c memfd_create deflated
	assert_output 1
	cmp "$OUT/f/photo.jpg" "$OUT/d/photo.jpg"
}

@test "a Snapchat item whose media and overlay are members is the item written from the files" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=360x640 -frames:v 1 -q:v 3 snap.jpg
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=360x640:rate=15 -t 1 \
		-c:v libx264 -pix_fmt yuv420p snap.mp4
	ffmpeg -nostdin -loglevel error -f lavfi -i "color=c=red@0.5:size=360x640,format=rgba" \
		-frames:v 1 ovl.png
	python3 "$ARC" pack snap.zip "memories/2021-06-05_a-main.jpg" snap.jpg \
		"memories/2021-06-05_a-overlay.png" ovl.png "memories/2021-06-05_b-main.mp4" snap.mp4 \
		"memories/2021-06-05_b-overlay.png" ovl.png
	make_record f-img.item "source=$PWD/snap.jpg" "overlay=$PWD/ovl.png" dest=f/a.jpg "${FIELDS[@]}"
	make_record f-vid.item "source=$PWD/snap.mp4" "overlay=$PWD/ovl.png" dest=f/b.mp4 "${FIELDS[@]}"
	python3 "$ARC" record z-img.item snap.zip "memories/2021-06-05_a-main.jpg" \
		"overlay=$PWD/snap.zip" "overlay_member=memories/2021-06-05_a-overlay.png" \
		dest=z/a.jpg "${FIELDS[@]}"
	python3 "$ARC" record z-vid.item snap.zip "memories/2021-06-05_b-main.mp4" \
		"overlay=$PWD/snap.zip" "overlay_member=memories/2021-06-05_b-overlay.png" \
		dest=z/b.mp4 "${FIELDS[@]}"
	run -0 mem-exif -o "$OUT" f-img.item f-vid.item z-img.item z-vid.item
	cmp "$OUT/f/a.jpg" "$OUT/z/a.jpg"
	cmp "$OUT/f/b.mp4" "$OUT/z/b.mp4"
	# the overlay was merged (red over the test pattern), not dropped
	! cmp -s snap.jpg "$OUT/z/a.jpg"
	run -0 exiftool -s3 -Description "$OUT/z/b.mp4"
	assert_output 'Tour Eiffel'
}

@test "an audio item read by mem-loudnorm from zip, tar and tgz members is the file's output" {
	ffmpeg -nostdin -loglevel error -f lavfi -i "sine=frequency=440:duration=4" \
		-af volume=-18dB -c:a aac voice.m4a
	ffmpeg -nostdin -loglevel error -f lavfi -i "sine=frequency=330:duration=4" song.flac
	pack_all "Voice/voice note.m4a" voice.m4a "Music/song.flac" song.flac
	records voice.m4a voice.m4a "Voice/voice note.m4a"
	records song.flac song.flac "Music/song.flac"
	run -0 mem-loudnorm -q -o "$OUT" -- *.item
	for a in a.s.zip d.zip t.tar t.tgz; do
		cmp "$OUT/f/voice.m4a" "$OUT/$a/voice.m4a"
		cmp "$OUT/f/song.flac" "$OUT/$a/song.flac"
	done
	run -0 find "$OUT" -name '.*'
	assert_output ''
}

@test "member names with spaces, a newline and bytes that are not UTF-8 are found in zips and tars" {
	make_jpeg photo.jpg
	raw=$'Takeout/caf\xe9 \xff/a\nb c.jpg'
	utf8=$'Takeout/caf\xc3\xa9 \xe2\x82\xac/a\nb c.jpg'
	make_record f.item "source=$PWD/photo.jpg" dest=f.jpg "${FIELDS[@]}"
	n=0
	for name in "$raw" "$utf8"; do
		n=$((n + 1))
		for a in a.zip a.tar a.tgz; do
			python3 "$ARC" pack "$n$a" "$name" photo.jpg
			python3 "$ARC" record "$n$a.item" "$n$a" "$name" "dest=$n$a.jpg" "${FIELDS[@]}"
		done
	done
	# a zip's raw name is CP437 to libzip (its control bytes drawn as
	# glyphs): the record holds that UTF-8; a tar's bytes are kept
	[ "$(python3 "$ARC" seen 1a.zip "$raw")" = $'Takeout/caf\xce\x98 \xc2\xa0/a\xe2\x97\x99b c.jpg' ]
	[ "$(python3 "$ARC" seen 1a.tar "$raw")" = "$raw" ]
	run -0 mem-exif -o "$OUT" f.item {1,2}a.{zip,tar,tgz}.item
	for a in 1a.zip 1a.tar 1a.tgz 2a.zip 2a.tar 2a.tgz; do
		cmp "$OUT/f.jpg" "$OUT/$a.jpg"
	done
}

@test "a tgz is read once, in archive order, for records given out of order, and -v says how much was read" {
	for i in 1 2 3 4 5 6; do
		make_jpeg "p$i.jpg"
		set -- "$@" "d/p$i.jpg" "p$i.jpg"
	done
	python3 "$ARC" pack part.tgz "$@"
	for i in 4 2 6 1 5 3; do
		python3 "$ARC" record "r$i.item" part.tgz "d/p$i.jpg" "dest=p$i.jpg" \
			"member_sig=1:2:-:$i" "${FIELDS[@]}"
	done
	run -0 --separate-stderr mem-exif -v -o "$OUT" r4.item r2.item r6.item r1.item r5.item r3.item
	size=$(stat -c %s part.tgz)
	[ "$stderr" = "mem-exif: $PWD/part.tgz: read $size bytes of $size in 1 pass for 6 members" ]
	for i in 1 2 3 4 5 6; do
		make_record "f$i.item" "source=$PWD/p$i.jpg" "dest=f/p$i.jpg" "${FIELDS[@]}"
		mem-exif -o "$OUT" "f$i.item" > /dev/null
		cmp "$OUT/f/p$i.jpg" "$OUT/p$i.jpg"
	done
	# without member_sig, input order: a member the pass has gone by is
	# found by a second pass, and that is said
	python3 "$ARC" record n4.item part.tgz d/p4.jpg dest=n4.jpg
	python3 "$ARC" record n2.item part.tgz d/p2.jpg dest=n2.jpg
	run -0 --separate-stderr mem-exif -v -o "$OUT" n4.item n2.item
	[ "$stderr" = "mem-exif: $PWD/part.tgz: read $((2 * size)) bytes of $size in 2 passes for 2 members" ]
}

@test "mem-loudnorm too reads a tgz's audio members in one pass, in archive order, and says so" {
	for i in 1 2 3; do
		ffmpeg -nostdin -loglevel error -f lavfi -i "sine=frequency=$((200 * i)):duration=2" "s$i.flac"
		set -- "$@" "Voice/s$i.flac" "s$i.flac"
	done
	python3 "$ARC" pack part.tgz "$@"
	for i in 3 1 2; do
		python3 "$ARC" record "r$i.item" part.tgz "Voice/s$i.flac" "dest=s$i.flac" \
			"member_sig=1:2:-:$i"
	done
	run -0 --separate-stderr mem-loudnorm -o "$OUT" r3.item r1.item r2.item
	size=$(stat -c %s part.tgz)
	[ "$(sed -n 4p <<< "$stderr")" = "mem-loudnorm: $PWD/part.tgz: read $size bytes of $size in 1 pass for 3 members" ]
	[ "$(sed -n 1p <<< "$stderr" | cut -d: -f2)" = ' r1.item' ]
	for i in 1 2 3; do
		make_record "f$i.item" "source=$PWD/s$i.flac" "dest=f/s$i.flac"
		mem-loudnorm -q -o "$OUT" "f$i.item" > /dev/null
		cmp "$OUT/f/s$i.flac" "$OUT/s$i.flac"
	done
}

@test "each damaged archive costs only its item, with the archive, the member and why; the others are written" {
	make_jpeg photo.jpg 320x240
	python3 "$ARC" pack good.s.zip a.jpg photo.jpg
	zip -q -P secret enc.zip photo.jpg
	# a byte of the stored member's data flipped: its CRC no longer matches
	python3 -c '
import sys
d = bytearray(open("good.s.zip", "rb").read())
d[d.find(b"\xff\xd8") + 200] ^= 0xFF
open("crc.zip", "wb").write(d)'
	head -c $(($(stat -c %s good.s.zip) / 2)) good.s.zip > cut.zip
	python3 -c '
import zipfile
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("bomb.jpg", bytes(32 << 20))'
	python3 "$ARC" pack t.tgz a.jpg photo.jpg
	head -c 2000 t.tgz > cut.tgz
	# a tar header that claims 100 GiB
	python3 -c '
import tarfile
ti = tarfile.TarInfo("huge.jpg"); ti.size = 100 << 30
open("huge.tar", "wb").write(ti.tobuf(tarfile.GNU_FORMAT) + bytes(4096))'
	python3 "$ARC" record 0.item good.s.zip a.jpg dest=0.jpg "${FIELDS[@]}"
	python3 "$ARC" record 1.item enc.zip photo.jpg dest=1.jpg "${FIELDS[@]}"
	python3 "$ARC" record 2.item crc.zip a.jpg dest=2.jpg "${FIELDS[@]}"
	python3 "$ARC" record 3.item cut.zip a.jpg dest=3.jpg "${FIELDS[@]}"
	python3 "$ARC" record 4.item bomb.zip bomb.jpg dest=4.jpg "${FIELDS[@]}"
	python3 "$ARC" record 5.item cut.tgz a.jpg dest=5.jpg "${FIELDS[@]}"
	python3 "$ARC" record 6.item huge.tar huge.jpg dest=6.jpg "${FIELDS[@]}"
	python3 "$ARC" record 7.item good.s.zip missing.jpg dest=7.jpg "${FIELDS[@]}"
	python3 "$ARC" record 8.item gone-002.zip a.jpg dest=8.jpg "${FIELDS[@]}"
	python3 "$ARC" record 9.item good.s.zip ../a.jpg dest=9.jpg "${FIELDS[@]}"
	python3 "$ARC" record 10.item good.s.zip /etc/a.jpg dest=10.jpg "${FIELDS[@]}"
	python3 "$ARC" record 11.item good.s.zip a.jpg dest=11.jpg "member_sig=1:2:0badf00d:0" \
		"${FIELDS[@]}"
	crc=$(python3 -c 'import zipfile; print("%08x" % zipfile.ZipFile("good.s.zip").getinfo("a.jpg").CRC)')
	comp=$(python3 -c 'import zipfile; print(zipfile.ZipFile("bomb.zip").getinfo("bomb.jpg").compress_size)')
	run -1 --separate-stderr mem-exif -o "$OUT" {0..11}.item
	[ "$(tr '\0' '\n' <<< "$output")" = "$OUT/0.jpg" ]
	p=$PWD
	want="mem-exif: 1.item: $p/enc.zip: photo.jpg: encrypted member (a password-protected zip)
mem-exif: 2.item: $p/crc.zip: a.jpg: CRC error: the member is damaged
mem-exif: 3.item: $p/cut.zip: a.jpg: not a zip archive, or truncated (no central directory)
mem-exif: 4.item: $p/bomb.zip: bomb.jpg: refused: 33554432 bytes from $comp compressed, an expansion over 200:1 (a zip bomb?)
mem-exif: 7.item: $p/good.s.zip: missing.jpg: no such member in the archive
mem-exif: 8.item: $p/gone-002.zip: a.jpg: No such file or directory
mem-exif: 9.item: $p/good.s.zip: ../a.jpg: refused: the member name is absolute or has a '..'
mem-exif: 10.item: $p/good.s.zip: /etc/a.jpg: refused: the member name is absolute or has a '..'
mem-exif: 11.item: $p/good.s.zip: a.jpg: the member changed since the scan (CRC $crc, the record says 0badf00d)
mem-exif: 5.item: $p/cut.tgz: a.jpg: damaged or truncated archive (truncated gzip input)
mem-exif: 6.item: $p/huge.tar: huge.jpg: refused: 107374182400 bytes expanded, over the limit of 68719476736 (a zip bomb?)"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$stderr")
	# only the good item reached OUT; no temp file was left
	run -0 find "$OUT" -mindepth 1 -not -name 0.jpg
	assert_output ''
}

@test "a video member cut short in a tgz leaves no output and no temp file, and mem-loudnorm says the same" {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=640x480:rate=25 -t 4 \
		-c:v libx264 -preset ultrafast -qp 10 big.mp4
	ffmpeg -nostdin -loglevel error -f lavfi -i "sine=duration=3" voice.flac
	python3 "$ARC" pack v.tar big.mp4 big.mp4
	python3 "$ARC" pack a.tar voice.flac voice.flac
	gzip -1 -c v.tar | head -c $(($(stat -c %s big.mp4) / 2)) > cut.tgz
	gzip -1 -c a.tar | head -c $(($(stat -c %s voice.flac) / 2)) > cut-a.tgz
	python3 "$ARC" record v.item cut.tgz big.mp4 dest=v/big.mp4 "${FIELDS[@]}"
	python3 "$ARC" record a.item cut-a.tgz voice.flac dest=a/voice.flac kind=audio
	run -1 --separate-stderr mem-exif -o "$OUT" v.item
	[ "$stderr" = "mem-exif: v.item: $PWD/cut.tgz: big.mp4: damaged or truncated archive (truncated gzip input)" ]
	run -1 --separate-stderr mem-loudnorm -q -o "$OUT" a.item
	assert_equal "$stderr" "mem-loudnorm: a.item: $PWD/cut-a.tgz: voice.flac: damaged or truncated archive (truncated gzip input)"
	run -0 find "$OUT" -type f
	assert_output ''
}

# split_items OUT: the records of OUT/.mem/items, NUL-separated in name
# order, the audio ones into OUT.aud and the others into OUT.img.
split_items() {
	python3 - "$1" <<'PY'
import os, sys
d = sys.argv[1] + "/.mem/items"
img, aud = [], []
for f in sorted(os.listdir(d)):
    if f.endswith(".item"):
        b = open(os.path.join(d, f), "rb").read()
        (aud if b"\0kind=audio\0" in b else img).append(os.fsencode(os.path.join(d, f)))
open(sys.argv[1] + ".img", "wb").write(b"".join(x + b"\0" for x in img))
open(sys.argv[1] + ".aud", "wb").write(b"".join(x + b"\0" for x in aud))
PY
}

@test "the sample as delivered (zip parts, a tgz part, Snapchat and Instagram zips) gives the outputs of the unpacked sample, byte for byte" {
	mksample plain > /dev/null
	mksample --archives packed > /dev/null
	for s in plain packed; do
		mem-scan -o "$s.out" --originals "$s" > /dev/null
		split_items "$s.out"
		run -0 mem-exif -o "$s.out" < "$s.out.img"
		run -0 mem-loudnorm -q -o "$s.out" < "$s.out.aud"
	done
	# the packed records do read members: overlays, videos, a tgz
	grep -lz '^overlay_member=' packed.out/.mem/items/*.item
	grep -lz '^member=.*\.mp4$' packed.out/.mem/items/*.item
	grep -lz '^source=.*\.tgz$' packed.out/.mem/items/*.item
	(cd plain.out && find . -path ./.mem -prune -o -type f -print | sort) > plain.list
	(cd packed.out && find . -path ./.mem -prune -o -type f -print | sort) > packed.list
	diff plain.list packed.list
	[ "$(wc -l < plain.list)" -gt 30 ]
	while IFS= read -r f; do
		cmp "plain.out/$f" "packed.out/$f"
	done < plain.list
}

@test "mem-advise counts a member's own size, not its archive's" {
	make_jpeg photo.jpg 640x480
	head -c 3000000 /dev/urandom > filler.bin
	python3 "$ARC" pack a.s.zip x/photo.jpg photo.jpg x/filler.bin filler.bin
	python3 "$ARC" pack a.tgz x/filler.bin filler.bin x/photo.jpg photo.jpg
	python3 "$ARC" record z.item a.s.zip x/photo.jpg dest=z.jpg
	python3 "$ARC" record t.item a.tgz x/photo.jpg dest=t.jpg
	run -0 --separate-stderr mem-advise --json z.item t.item
	[ "$(jq .input.bytes <<< "$output")" = $((2 * $(stat -c %s photo.jpg))) ]
}
