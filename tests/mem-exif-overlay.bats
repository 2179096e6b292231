#!/usr/bin/env bats
# mem-exif's Snapchat overlays: the in-process image composite against
# FFmpeg's (psnr filter), tags read back with exiftool, damaged overlays,
# child processes that die with mem-exif, and a disk that fills up.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/exif

# the shared corpus of real camera files, beside the checkout
CORPUS=${MEM_CORPUS:-$BATS_TEST_DIRNAME/../../shared/corpus}

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	if [ -n "${MOUNTED:-}" ]; then umount "$MOUNTED"; fi
	if [ -n "${BG:-}" ]; then kill -9 "$BG" 2>/dev/null || true; fi
}

tag() {
	exiftool -s3 "$@"
}

# A photo-like JPEG (detail and noise) at FFmpeg quality 4 (the standard
# tables at 50 %), its Orientation tag $3.
photo() {
	ffmpeg -nostdin -loglevel error -y -f lavfi \
		-i "testsrc2=size=$2:rate=1,noise=alls=10:allf=u" -frames:v 1 \
		-qmin 1 -q:v 4 -f image2 -c:v mjpeg "$1"
	exiftool -q -overwrite_original -Make=Canon -Model='Kept Model' \
		-XMP-dc:Subject=kept-subject -Orientation#="$3" "$1"
}

# A Snapchat-like overlay, drawn upright: a half-transparent band with
# text and an opaque sticker.
snap_overlay() {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=black@0:s=$2,format=rgba,drawbox=x=0:y=ih*0.6:w=iw:h=ih*0.08:color=black@0.5:t=fill,drawtext=text='Hello 123':fontcolor=white:fontsize=h/16:x=w*0.1:y=h*0.61,drawbox=x=iw*0.1:y=ih*0.1:w=iw*0.2:h=ih*0.15:color=yellow@0.9:t=fill" \
		-frames:v 1 "$1"
}

# FFmpeg's composite of the same (what mem-exif ran before): the overlay
# turned into the stored frame, scaled with Lanczos, blended, encoded at
# quality $5 (FFmpeg's -q:v; "png": losslessly, as RGB).
ffmpeg_composite() {
	local turn enc fmt
	case $4 in
	2) turn="hflip," ;; 3) turn="hflip,vflip," ;; 4) turn="vflip," ;;
	5) turn="transpose=0," ;; 6) turn="transpose=2," ;; 7) turn="transpose=3," ;;
	8) turn="transpose=1," ;; *) turn= ;;
	esac
	if [ "$5" = png ]; then
		enc=(-c:v png) fmt=rgb24
	else
		enc=(-qmin 1 -q:v "$5" -c:v mjpeg) fmt=yuvj420p
	fi
	ffmpeg -nostdin -loglevel error -y -noautorotate -i "$1" -i "$2" -filter_complex \
		"[1:v]${turn}format=rgba[o];[o][0:v]scale2ref=flags=lanczos[os][b];[b][os]overlay=0:0:format=auto,format=$fmt" \
		-frames:v 1 "${enc[@]}" -f image2 "$3"
}

psnr() {
	ffmpeg -nostdin -noautorotate -i "$1" -noautorotate -i "$2" -lavfi \
		"[0:v]format=yuv444p[a];[1:v]format=yuv444p[b];[a][b]psnr" -f null - 2>&1 |
		sed -n 's/.*average:\([0-9.]*\).*/\1/p'
}

# FFmpeg's -q:v for a JPEG of this quality (the old code's estimate: the
# libjpeg scale of the standard tables, over 12.5).
ffmpeg_q() {
	local q s
	q=$(exiftool -s3 -JPEGQualityEstimate "$1")
	s=$(( q < 50 ? 5000 / q : 200 - 2 * q ))
	q=$(( (s * 8 + 50) / 100 ))
	echo $(( q < 1 ? 1 : q > 31 ? 31 : q ))
}

@test "on camera photos the composite matches FFmpeg's within 45 dB PSNR, upright for every orientation" {
	c=$CORPUS/ianare+exif-samples/jpg
	[ -d "$c" ] || skip "no corpus at $CORPUS"
	for f in orientation/landscape_2 orientation/landscape_3 orientation/portrait_5 \
	    orientation/landscape_6 orientation/portrait_7 orientation/portrait_8 hdr/canon_hdr_YES; do
		src=$c/$f.jpg n=${f##*/}
		o=$(exiftool -s3 -n -Orientation "$src")
		read -r w h <<< "$(exiftool -s3 -ImageWidth -ImageHeight "$src" | tr '\n' ' ')"
		case $o in 5|6|7|8) s=${h}x$w ;; *) s=${w}x$h ;; esac	# upright size
		for ovs in "$s" 1080x1920; do
			snap_overlay "ovl-$n-$ovs.png" "$ovs"
			make_record r.item "source=$src" "dest=$n-$ovs.jpg" kind=image \
				"overlay=$PWD/ovl-$n-$ovs.png"
			run -0 mem-exif -o "$OUT" r.item
			ffmpeg_composite "$src" "ovl-$n-$ovs.png" ref.jpg "$o" "$(ffmpeg_q "$src")"
			p=$(psnr "out/$n-$ovs.jpg" ref.jpg)
			echo "$n (orientation $o) overlay $ovs: $p dB"
			awk -v p="$p" 'BEGIN { exit !(p >= 45) }'
		done
	done
}

@test "the composite is closer to a lossless composite than FFmpeg's was, on a noisy picture" {
	for o in 1 6; do
		case $o in 6) s=480x640 ;; *) s=640x480 ;; esac
		photo "src$o.jpg" 640x480 "$o"
		snap_overlay "ovl$o.png" "$s"
		make_record r.item "source=$PWD/src$o.jpg" "dest=m$o.jpg" kind=image \
			"overlay=$PWD/ovl$o.png"
		run -0 mem-exif -o "$OUT" r.item
		ffmpeg_composite "src$o.jpg" "ovl$o.png" "ffmpeg$o.jpg" "$o" 4
		ffmpeg_composite "src$o.jpg" "ovl$o.png" "lossless$o.png" "$o" png
		ours=$(psnr "out/m$o.jpg" "lossless$o.png")
		theirs=$(psnr "ffmpeg$o.jpg" "lossless$o.png")
		echo "orientation $o: ours $ours dB, FFmpeg's $theirs dB against the lossless composite"
		awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a >= b) }'
	done
}

@test "the composite keeps the source's EXIF, XMP and orientation, as exiftool reads them" {
	photo src.jpg 640x480 6
	snap_overlay ovl.png 480x640
	make_record r.item "source=$PWD/src.jpg" dest=m.jpg kind=image \
		time=2023-01-15T08:30:45Z offset=+01:00 "overlay=$PWD/ovl.png"
	run -0 mem-exif -o "$OUT" r.item
	[ "$(tag -Model out/m.jpg)" = 'Kept Model' ]
	[ "$(tag -XMP-dc:Subject out/m.jpg)" = kept-subject ]
	[ "$(tag -n -Orientation out/m.jpg)" = 6 ]
	[ "$(tag -DateTimeOriginal out/m.jpg)" = "2023:01:15 09:30:45" ]
	[ "$(tag -ImageSize out/m.jpg)" = 640x480 ]
	# the quality of the source: the same luminance table
	[ "$(tag -JPEGQualityEstimate out/m.jpg 2>/dev/null || true)" = "$(tag -JPEGQualityEstimate src.jpg 2>/dev/null || true)" ]
	# the sticker, shown upright at x 10..30 %, y 10..25 %: yellow there
	read -r r g b <<< "$(pixel out/m.jpg 120 100)"
	[ "$r" -gt 180 ] && [ "$g" -gt 180 ] && [ "$b" -lt 90 ]
	no_temp_files out
}

@test "a damaged overlay on an image costs only the overlay: delivered, warned, exit 0" {
	photo src.jpg 640x480 1
	snap_overlay ovl.png 640x480
	head -c "$(($(stat -c %s ovl.png) / 2))" ovl.png > bad.png
	make_record r.item "source=$PWD/src.jpg" dest=m.jpg kind=image \
		time=2023-01-15T08:30:45Z "overlay=$PWD/bad.png"
	make_record plain.item "source=$PWD/src.jpg" dest=plain.jpg kind=image \
		time=2023-01-15T08:30:45Z
	run -0 --separate-stderr mem-exif -o "$OUT" r.item
	[[ $stderr == "mem-exif: r.item: warning: overlay $PWD/bad.png is damaged (PNG: "*"): delivered without it" ]]
	mem-exif -o "$OUT" plain.item > /dev/null
	cmp out/m.jpg out/plain.jpg	# the memory itself, as without an overlay
	no_temp_files out
}

@test "an overlay is composited the same by the fast PNG path (any filter, stored or deflated) and by libpng" {
	photo src.jpg 640x480 1
	snap_overlay ovl.png 640x480
	for p in none sub up avg paeth mixed; do
		ffmpeg -nostdin -loglevel error -y -i ovl.png -pred "$p" "rgba-$p.png"
	done
	ffmpeg -nostdin -loglevel error -y -i ovl.png -compression_level 0 rgba-stored.png
	# the same image data with an sBIT chunk (8 bits each: no change),
	# which the fast path leaves to libpng
	python3 - ovl.png libpng.png <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
n = 8 + 12 + struct.unpack(">I", d[8:12])[0]
body = b"sBIT" + bytes([8, 8, 8, 8])
chunk = struct.pack(">I", 4) + body + struct.pack(">I", zlib.crc32(body))
open(sys.argv[2], "wb").write(d[:n] + chunk + d[n:])
PY
	for o in libpng rgba-none rgba-sub rgba-up rgba-avg rgba-paeth rgba-mixed rgba-stored; do
		make_record "$o.item" "source=$PWD/src.jpg" "dest=$o.jpg" kind=image \
			time=2023-01-15T08:30:45Z "overlay=$PWD/$o.png"
	done
	run -0 mem-exif -o "$OUT" ./*.item
	for o in rgba-none rgba-sub rgba-up rgba-avg rgba-paeth rgba-mixed rgba-stored; do
		cmp out/libpng.jpg "out/$o.jpg"
	done
	# and an opaque 8-bit RGB overlay, against the same with sBIT
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=s=320x240" -frames:v 1 \
		-pix_fmt rgb24 -pred paeth rgb.png
	python3 - rgb.png rgb-libpng.png <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
n = 8 + 12 + struct.unpack(">I", d[8:12])[0]
body = b"sBIT" + bytes([8, 8, 8])
chunk = struct.pack(">I", 3) + body + struct.pack(">I", zlib.crc32(body))
open(sys.argv[2], "wb").write(d[:n] + chunk + d[n:])
PY
	for o in rgb rgb-libpng; do
		make_record "$o.item" "source=$PWD/src.jpg" "dest=$o.jpg" kind=image \
			time=2023-01-15T08:30:45Z "overlay=$PWD/$o.png"
	done
	run -0 mem-exif -o "$OUT" rgb.item rgb-libpng.item
	cmp out/rgb.jpg out/rgb-libpng.jpg
	! cmp -s out/rgb.jpg out/libpng.jpg
}

@test "an overlay whose image data fails its CRC is damaged: delivered without it" {
	photo src.jpg 640x480 1
	snap_overlay ovl.png 640x480
	# one byte of the first IDAT's data changed, the chunk's CRC kept
	off=$(grep -obUaP 'IDAT' ovl.png | head -n1 | cut -d: -f1)
	cp ovl.png bad.png
	printf '\x55' | dd of=bad.png bs=1 seek=$((off + 40)) conv=notrunc status=none
	make_record r.item "source=$PWD/src.jpg" dest=m.jpg kind=image \
		time=2023-01-15T08:30:45Z "overlay=$PWD/bad.png"
	make_record plain.item "source=$PWD/src.jpg" dest=plain.jpg kind=image \
		time=2023-01-15T08:30:45Z
	run -0 --separate-stderr mem-exif -o "$OUT" r.item
	[[ $stderr == "mem-exif: r.item: warning: overlay $PWD/bad.png is damaged (PNG: "*"): delivered without it" ]]
	mem-exif -o "$OUT" plain.item > /dev/null
	cmp out/m.jpg out/plain.jpg
}

@test "a damaged overlay on a video costs only the overlay and ffmpeg does not run forever" {
	make_video src.mp4
	make_overlay ovl.png 64x48
	head -c "$(($(stat -c %s ovl.png) / 2))" ovl.png > bad.png
	make_record r.item "source=$PWD/src.mp4" dest=v.mp4 kind=video "overlay=$PWD/bad.png"
	make_record plain.item "source=$PWD/src.mp4" dest=plain.mp4 kind=video
	run -0 --separate-stderr timeout 60 mem-exif -o "$OUT" r.item
	[[ $stderr == "mem-exif: r.item: warning: overlay $PWD/bad.png is damaged ("*"): delivered without it" ]]
	mem-exif -o "$OUT" plain.item > /dev/null
	stream_hashes out/v.mp4 > a
	stream_hashes out/plain.mp4 > b
	diff a b
	no_temp_files out
}

@test "an overlay video's encoder dies with mem-exif: no ffmpeg is left running" {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=60" \
		-c:v libx264 -preset ultrafast -pix_fmt yuv420p -f mp4 long.mp4
	make_overlay ovl.png 1280x720
	make_record r.item "source=$PWD/long.mp4" dest=v.mp4 kind=video "overlay=$PWD/ovl.png"
	mem-exif -o "$OUT" r.item 3>&- > /dev/null 2>&1 &
	BG=$!
	child=
	for _ in $(seq 100); do
		child=$(pgrep -P "$BG" -x ffmpeg || true)
		[ -n "$child" ] && break
		sleep 0.1
	done
	[ -n "$child" ]
	kill -9 "$BG"
	wait "$BG" || true
	BG=
	for _ in $(seq 50); do
		state=$(awk '{ print $3 }' "/proc/$child/stat" 2>/dev/null || true)
		[ -z "$state" ] || [ "$state" = Z ] && break
		sleep 0.1
	done
	[ -z "$state" ] || [ "$state" = Z ]
}

@test "an overlay video that does not fit on the disk is not delivered: exit 1, named, no temp left" {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=640x480:rate=30:duration=4" \
		-f lavfi -i "sine=duration=4" -c:v libx264 -preset ultrafast -crf 10 -pix_fmt yuv420p \
		-c:a aac -shortest -f mp4 src.mp4
	make_overlay ovl.png 640x480
	mkdir -p "$OUT"
	mount -t tmpfs -o size=300k tmpfs "$OUT"
	MOUNTED=$OUT
	make_record r.item "source=$PWD/src.mp4" dest=v.mp4 kind=video "overlay=$PWD/ovl.png"
	run -1 --separate-stderr mem-exif -o "$OUT" r.item
	[[ $stderr == "mem-exif: r.item: $PWD/src.mp4: "* ]]
	[ ! -e "$OUT/v.mp4" ]
	no_temp_files "$OUT"
}

@test "through the pipeline, a damaged overlay is a warning on the console and a line in the failure report" {
	load helpers/pipeline
	stubs=$BATS_TEST_TMPDIR/stubs
	STUB_TRACE=$BATS_TEST_TMPDIR/trace stub_tools "$stubs"
	ln -sf "$MEM_BIN/mem-exif" "$stubs/mem-exif"	# the real one
	mkdir -p src/snap
	photo src/snap/m.jpg 320x240 1
	snap_overlay ovl.png 320x240
	head -c "$(($(stat -c %s ovl.png) / 2))" ovl.png > src/snap/bad.png
	make_record "$OUT" a000000000000001 snap "$PWD/src/snap/m.jpg" image snap/memories/m.jpg
	printf 'overlay=%s\0' "$PWD/src/snap/bad.png" >> "$OUT/.mem/items/a000000000000001.item"
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY MAKEFLAGS
	STUB_TRACE=$BATS_TEST_TMPDIR/trace MEM_BIN=$stubs run -0 mem-pipeline -o "$OUT" -j1 "$PWD/src"
	assert_output --partial "warning: mem-exif: "
	assert_output --partial "is damaged"
	[ -f "$OUT/snap/memories/m.jpg" ]
	r=$OUT/snap/issues/failure-report.json
	[ "$(jq -r '.failed_processing[0].delivered' "$r")" = true ]
	[[ "$(jq -r '.failed_processing[0].reason' "$r")" == *"overlay $PWD/src/snap/bad.png is damaged"* ]]
}
