#!/usr/bin/env bats
# mem-scan: records of vanished media, Live Photo offsets, Instagram .json.xz
# sidecars, Snapchat's HTML-only memories history.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT="$BATS_TEST_TMPDIR/out"
}

# the record files under OUT, one name a line, sorted
records() {
	(cd "$OUT/.mem/items" && ls -1 | grep '\.item$' | LC_ALL=C sort) || true
}

# video_at FILE ISO-UTC: a short MP4/MOV whose mvhd says that instant
video_at() {
	mkdir -p "$(dirname "$1")"
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=32x24:rate=5:duration=0.4" \
		-c:v libx264 -pix_fmt yuv420p -metadata "creation_time=$2" -f mov "$1"
}

# --- records of vanished media -------------------------------------------

@test "a source deleted since the last scan loses its record; the others stay byte for byte" {
	media songs/a.mp3
	media songs/b.mp3
	media songs/c.mp3
	run -0 mem-scan -o "$OUT" songs
	[ "$(records | wc -l)" -eq 3 ]
	record_of "$OUT" "$PWD/songs/b.mp3" > /dev/null
	cp -a "$OUT/.mem/items" kept
	rm songs/b.mp3
	run -0 mem-scan -o "$OUT" --records songs
	[ "$(records | wc -l)" -eq 2 ]
	run -1 record_of "$OUT" "$PWD/songs/b.mp3"
	# The surviving records are untouched (same bytes, same mtime).
	for r in $(records); do
		cmp "kept/$r" "$OUT/.mem/items/$r"
		[ "$(stat -c %Y "kept/$r")" = "$(stat -c %Y "$OUT/.mem/items/$r")" ]
	done
	# What is printed is what is left.
	mem-scan -o "$OUT" --records songs | tr '\0' '\n' | xargs -n1 basename | sort > printed
	records > left
	diff printed left
}

@test "a scan of one export never removes another export's records" {
	media songs/a.mp3
	media tunes/t.mp3
	run -0 mem-scan -o "$OUT" songs tunes
	[ "$(records | wc -l)" -eq 2 ]
	rm songs/a.mp3
	rm tunes/t.mp3
	media songs/new.mp3
	run -0 mem-scan -o "$OUT" songs
	[ "$(records | wc -l)" -eq 2 ]
	run -1 record_of "$OUT" "$PWD/songs/a.mp3"
	record_of "$OUT" "$PWD/songs/new.mp3" > /dev/null
	# tunes was not scanned: its record stays though its media is gone.
	record_of "$OUT" "$PWD/tunes/t.mp3" > /dev/null
}

@test "an export emptied of media loses all its records, exit 0" {
	media songs/a.mp3
	media songs/sub/b.mp3
	run -0 mem-scan -o "$OUT" songs
	rm -r songs/a.mp3 songs/sub
	run -0 mem-scan -o "$OUT" --records songs
	assert_output ''
	[ "$(records | wc -l)" -eq 0 ]
}

@test "with --platform only that platform's records of the export can go" {
	G=google-john.doe-20240101
	GP="$G/Takeout/Google Photos"
	media "$GP/Trip/IMG_1.jpg"
	sidecar "$GP/Trip/IMG_1.jpg.json" IMG_1.jpg 1700000000
	media "$GP/Trip/IMG_2.jpg"
	sidecar "$GP/Trip/IMG_2.jpg.json" IMG_2.jpg 1700000100
	media "$G/loose/song.mp3"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$PWD/$G/loose/song.mp3" platform)" = folder ]
	[ "$(records | wc -l)" -eq 3 ]
	rm "$GP/Trip/IMG_2.jpg"
	run -0 mem-scan -o "$OUT" --platform google-photos "$G"
	[ "$(records | wc -l)" -eq 2 ]
	run -1 record_of "$OUT" "$PWD/$GP/Trip/IMG_2.jpg"
	# The folder item was not scanned this time, so its record stays.
	record_of "$OUT" "$PWD/$G/loose/song.mp3" > /dev/null
}

@test "an export whose walk missed a directory keeps its old records" {
	media songs/a.mp3
	media songs/b.mp3
	run -0 mem-scan -o "$OUT" songs
	# 64 levels is where the walk stops: what lies deeper is not seen.
	deep=songs$(printf '/d%.0s' $(seq 64))
	mkdir -p "$deep"
	rm songs/a.mp3
	run -0 --separate-stderr mem-scan -o "$OUT" songs
	[[ "$stderr" == *'directories deep, not followed'* ]]
	[ "$(records | wc -l)" -eq 2 ]
	rm -r songs/d
	run -0 mem-scan -o "$OUT" songs
	[ "$(records | wc -l)" -eq 1 ]
	record_of "$OUT" "$PWD/songs/b.mp3" > /dev/null
}

@test "foreign files, temp files and unreadable records in the item directory are left alone" {
	media songs/a.mp3
	run -0 mem-scan -o "$OUT" songs
	printf 'not a record' > "$OUT/.mem/items/0123456789abcdef.item"
	printf 'notes' > "$OUT/.mem/items/README"
	printf 'mem-item=1\0id=fedcba9876543210\0source=/x.mp3\0export=songs' \
		> "$OUT/.mem/items/.fedcba9876543210.item.AbC123"
	rm songs/a.mp3
	run -0 mem-scan -o "$OUT" songs
	[ "$(records | wc -l)" -eq 1 ]
	assert_file_exists "$OUT/.mem/items/0123456789abcdef.item"
	assert_file_exists "$OUT/.mem/items/README"
	assert_file_exists "$OUT/.mem/items/.fedcba9876543210.item.AbC123"
}

@test "a scan without -o removes nothing" {
	media songs/a.mp3
	run -0 mem-scan -o "$OUT" songs
	rm songs/a.mp3
	run -0 mem-scan songs
	[ "$(records | wc -l)" -eq 1 ]
}

# --- Live Photos ----------------------------------------------------------

@test "a Live Photo's video takes the UTC offset of its image's EXIF, and its day" {
	jpeg_at cam/IMG_0001.JPG '2023:05:02 00:30:00' '+02:00'
	video_at cam/IMG_0001.MOV 2023-05-01T22:30:00Z
	run -0 mem-scan -o "$OUT" cam
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.JPG" offset)" = '+02:00' ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.MOV" time)" = 2023-05-01T22:30:00Z ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.MOV" time_source)" = quicktime ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.MOV" offset)" = '+02:00' ]
	# One wall-clock day (02 May, not UTC's 01 May) and one number.
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.JPG" dest)" = cam/media/folder-cam-20230502.jpg ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.MOV" dest)" = cam/media/folder-cam-20230502.mov ]
}

@test "a video is no Live Photo of an image of another folder, another stem or another time" {
	jpeg_at a/IMG_0002.JPG '2023:05:02 00:30:00' '-05:00'
	video_at b/IMG_0002.MOV 2023-05-02T05:30:00Z
	video_at a/IMG_0003.MOV 2023-05-02T05:30:00Z
	video_at a/IMG_0002.MP4 2023-05-02T06:30:00Z
	run -0 mem-scan -o "$OUT" a
	run -0 mem-scan -o "$OUT" b
	[ "$(field "$OUT" "$PWD/a/IMG_0002.JPG" offset)" = '-05:00' ]
	[ "$(field "$OUT" "$PWD/b/IMG_0002.MOV" offset)" = '' ]
	[ "$(field "$OUT" "$PWD/a/IMG_0003.MOV" offset)" = '' ]
	[ "$(field "$OUT" "$PWD/a/IMG_0002.MP4" offset)" = '' ]
}

@test "an image without an EXIF offset gives its video none" {
	jpeg_at cam/IMG_0004.JPG '2023:05:02 00:30:00'
	video_at cam/IMG_0004.MOV 2023-05-02T00:30:00Z
	run -0 mem-scan -o "$OUT" cam
	[ "$(field "$OUT" "$PWD/cam/IMG_0004.JPG" offset)" = '' ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0004.MOV" offset)" = '' ]
}

@test "a Takeout Live Photo's MP4 takes the offset Google's JPEG got from its EXIF" {
	G=google-john.doe-20240101
	GP="$G/Takeout/Google Photos/Photos from 2023"
	# 2023-05-01T22:30:00Z, shown as 00:30 the next day at +02:00
	jpeg_at "$GP/IMG_0005.JPG" '2023:05:02 00:30:00'
	video_at "$GP/IMG_0005.MP4" 2023-05-01T22:30:00Z
	sidecar "$GP/IMG_0005.JPG.json" IMG_0005.JPG 1682980200
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$PWD/$GP/IMG_0005.JPG" offset)" = '+02:00' ]
	[ "$(field "$OUT" "$PWD/$GP/IMG_0005.MP4" time)" = 2023-05-01T22:30:00Z ]
	[ "$(field "$OUT" "$PWD/$GP/IMG_0005.MP4" offset)" = '+02:00' ]
	[ "$(field "$OUT" "$PWD/$GP/IMG_0005.MP4" dest)" = "$G/photos/gphotos-john.doe-20230502.mp4" ]
}
