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
	run -1 --separate-stderr mem-scan -o "$OUT" songs
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

@test "a Live Photo's still names its video's record (live_video), and only the closest video of its stem" {
	jpeg_at cam/IMG_0001.JPG '2023:05:02 00:30:00' '+02:00'
	video_at cam/IMG_0001.MOV 2023-05-01T22:30:02Z
	video_at cam/IMG_0001.MP4 2023-05-01T22:30:30Z
	jpeg_at cam/IMG_0002.JPG '2023:05:02 00:30:00' '+02:00'
	video_at cam/IMG_0002.MOV 2023-05-01T23:30:00Z
	video_at cam/IMG_0003.MOV 2023-05-01T22:30:00Z
	run -0 mem-scan -o "$OUT" cam
	vid=$(grep -lzxF "source=$PWD/cam/IMG_0001.MOV" "$OUT"/.mem/items/*.item)
	vid=${vid##*/}
	vid=${vid%.item}
	[ ${#vid} -eq 16 ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0001.JPG" live_video)" = "$vid" ]
	# one value, on the still only
	[ "$(record_of "$OUT" "$PWD/cam/IMG_0001.JPG" | grep -c '^live_video=')" -eq 1 ]
	[ "$(grep -lz '^live_video=' "$OUT"/.mem/items/*.item | wc -l)" -eq 1 ]
	# an hour apart is no Live Photo
	[ "$(field "$OUT" "$PWD/cam/IMG_0002.JPG" live_video)" = '' ]
}

@test "a video is no Live Photo of an image of another folder, another stem or another time" {
	jpeg_at a/IMG_0002.JPG '2023:05:02 00:30:00' '-05:00'
	video_at b/IMG_0002.MOV 2023-05-02T05:30:00Z
	video_at a/IMG_0003.MOV 2023-05-02T05:30:00Z
	video_at a/IMG_0002.MP4 2023-05-02T06:30:00Z
	run -0 mem-scan -o "$OUT" a
	run -0 mem-scan -o "$OUT" b
	[ "$(field "$OUT" "$PWD/a/IMG_0002.JPG" offset)" = '-05:00' ]
	[ "$(field "$OUT" "$PWD/b/IMG_0002.MOV" offset)" = '+00:00' ]
	[ "$(field "$OUT" "$PWD/a/IMG_0003.MOV" offset)" = '+00:00' ]
	[ "$(field "$OUT" "$PWD/a/IMG_0002.MP4" offset)" = '+00:00' ]
}

@test "an image without an EXIF offset gives its video none" {
	jpeg_at cam/IMG_0004.JPG '2023:05:02 00:30:00'
	video_at cam/IMG_0004.MOV 2023-05-02T00:30:00Z
	run -0 mem-scan -o "$OUT" cam
	[ "$(field "$OUT" "$PWD/cam/IMG_0004.JPG" offset)" = '' ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0004.JPG" time_zone)" = local ]
	[ "$(field "$OUT" "$PWD/cam/IMG_0004.MOV" offset)" = '+00:00' ]
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

# --- instaloader's .json.xz ------------------------------------------------

# loader_json FILE EPOCH CAPTION: instaloader's post JSON, xz-compressed
loader_json() {
	printf '{"node": {"__typename": "GraphImage", "taken_at_timestamp": %s, "edge_media_to_caption": {"edges": [{"node": {"text": "%s"}}]}, "location": {"name": "Lisbon", "lat": 38.7223, "lng": -9.1393}}, "instaloader": {"version": "4.10", "node_type": "Post"}}' \
		"$2" "$3" | xz -c > "$1"
}

@test "instaloader's .json.xz gives the time, caption and place; the .txt is not needed" {
	I=instagram-jane_doe-20240103
	make_jpeg "$BATS_TEST_TMPDIR/p.jpg"
	mkdir -p "$I"
	cp p.jpg "$I/2021-02-03_08-30-00_UTC.jpg"
	loader_json "$I/2021-02-03_08-30-00_UTC.json.xz" 1612341005 'Caf\u00e9 by the river'
	run -0 --separate-stderr mem-scan -o "$OUT" "$I"
	[ "$stderr" = '' ]
	R="$PWD/$I/2021-02-03_08-30-00_UTC.jpg"
	[ "$(field "$OUT" "$R" time)" = 2021-02-03T08:30:05Z ]
	[ "$(field "$OUT" "$R" time_source)" = json ]
	[ "$(field "$OUT" "$R" lat)" = 38.7223000 ]
	[ "$(field "$OUT" "$R" lon)" = -9.1393000 ]
	[ "$(field "$OUT" "$R" caption)" = 'Café by the river' ]
	[ "$(field "$OUT" "$R" platform)" = instagram ]
	# The sidecar is metadata, not an item, and no orphan.
	run -1 record_of "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.json.xz"
	assert_file_not_exists "$OUT/$I/issues/failure-report.json"
}

@test "a plain .json wins over a .json.xz of the same post" {
	I=instagram-jane_doe-20240103
	media "$I/2021-02-03_08-30-00_UTC.jpg"
	loader_json "$I/2021-02-03_08-30-00_UTC.json.xz" 1612341005 'compressed'
	printf '%s' '{"node": {"taken_at_timestamp": 1612341009, "edge_media_to_caption": {"edges": [{"node": {"text": "plain"}}]}}}' \
		> "$I/2021-02-03_08-30-00_UTC.json"
	run -0 mem-scan -o "$OUT" "$I"
	[ "$(field "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.jpg" caption)" = plain ]
	[ "$(field "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.jpg" time)" = 2021-02-03T08:30:09Z ]
}

@test "a corrupt, truncated or non-xz .json.xz is reported and the post keeps the time of its name" {
	I=instagram-jane_doe-20240103
	media "$I/2021-01-01_10-00-00_UTC.jpg"
	media "$I/2021-01-02_10-00-00_UTC.jpg"
	media "$I/2021-01-03_10-00-00_UTC.jpg"
	printf 'plain text, not xz' > "$I/2021-01-01_10-00-00_UTC.json.xz"
	loader_json full.xz 1612341005 'cut short'
	head -c 40 full.xz > "$I/2021-01-02_10-00-00_UTC.json.xz"
	printf 'not json' | xz -c > "$I/2021-01-03_10-00-00_UTC.json.xz"
	run -0 --separate-stderr mem-scan -o "$OUT" "$I"
	[[ "$stderr" == *"2021-01-01_10-00-00_UTC.json.xz: not xz data"* ]]
	[[ "$stderr" == *"2021-01-02_10-00-00_UTC.json.xz: truncated xz data"* || \
	   "$stderr" == *"2021-01-02_10-00-00_UTC.json.xz: corrupt or truncated xz data"* ]]
	[[ "$stderr" == *"2021-01-03_10-00-00_UTC.json.xz: malformed or truncated JSON"* ]]
	for d in 01 02 03; do
		[ "$(field "$OUT" "$PWD/$I/2021-01-${d}_10-00-00_UTC.jpg" time)" = "2021-01-${d}T10:00:00Z" ]
		[ "$(field "$OUT" "$PWD/$I/2021-01-${d}_10-00-00_UTC.jpg" time_source)" = filename ]
	done
	run -0 report "$OUT" "$I"
	assert_line --partial 'failed 2021-01-01_10-00-00_UTC.json.xz | not xz data'
}

@test "xz streams written one after another read as one file, as xz -dc does" {
	I=instagram-jane_doe-20240103
	media "$I/2021-02-03_08-30-00_UTC.jpg"
	{ printf '{"node": {"taken_at_timestamp": 1612341005, ' | xz -c
	  printf '"edge_media_to_caption": {"edges": [{"node": {"text": "two streams"}}]}}}' | xz -c
	} > "$I/2021-02-03_08-30-00_UTC.json.xz"
	xz -dc "$I/2021-02-03_08-30-00_UTC.json.xz" | python3 -c 'import json, sys; json.load(sys.stdin)'
	run -0 mem-scan -o "$OUT" "$I"
	[ "$(field "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.jpg" caption)" = 'two streams' ]
}

# --- Snapchat's HTML-only memories_history.html -----------------------------

# snap_html FILE: Snapchat's HTML download page with three memories, the
# links in onclick (newer) and in a javascript: href (older)
snap_html() {
	mkdir -p "$(dirname "$1")"
	cat > "$1" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Memories</title>
<script>function downloadMemories(url, el, isGet) { }</script></head>
<body><div class="leftpanel"><ul><li><a href="account.html">Account</a></li></ul></div>
<div class="rightpanel"><h1>Memories</h1>
<table>
<tbody>
<tr><th><b>Date</b></th><th><b>Media Type</b></th><th><b>Location</b></th><th><b></b></th></tr>
<tr><td>2022-06-01 18:11:44 UTC</td><td>Image</td><td>Latitude, Longitude: 40.6892494, -74.0445004</td>
<td><a href="#" onclick="downloadMemories('https://app.snapchat.com/dmd/memories?uid=u&amp;sid=s&amp;mid=aaaa-1111&amp;ts=1&amp;sig=x', this, true); return false;">Download</a></td></tr>
<tr><td>2022-06-01 22:30:00 UTC</td><td>Video</td><td>Latitude, Longitude: 0.0, 0.0</td>
<td><a href="javascript:downloadMemories('https://app.snapchat.com/dmd/memories?uid=u&amp;mid=bbbb-2222&amp;ts=1');">Download</a></td></tr>
<tr><td>2022-06-03 07:00:00 UTC</td><td>Image</td><td>Latitude, Longitude: 0.0, 0.0</td>
<td><a href="javascript:downloadMemories('https://app.snapchat.com/dmd/memories?uid=u&amp;mid=cccc-3333&amp;ts=1');">Download</a></td></tr>
</tbody></table></div></body></html>
HTML
}

@test "Snapchat's HTML-only memories_history.html dates its files by id, with overlay and place" {
	S=snapchat-jane-20240102
	media "$S/memories/2022-06-01_aaaa-1111-main.jpg"
	media "$S/memories/2022-06-01_aaaa-1111-overlay.png"
	media "$S/memories/2022-06-01_bbbb-2222-main.mp4"
	snap_html "$S/html/memories_history.html"
	run -0 --separate-stderr mem-scan -o "$OUT" "$S"
	[ "$stderr" = '' ]
	run -0 record_of "$OUT" "$PWD/$S/memories/2022-06-01_aaaa-1111-main.jpg"
	assert_output "mem-item=1
source=$PWD/$S/memories/2022-06-01_aaaa-1111-main.jpg
export=snapchat-jane-20240102
platform=snapchat-memories
user=jane
dest=snapchat-jane-20240102/memories/snap-memories-jane-20220601.jpg
kind=image
time=2022-06-01T18:11:44Z
offset=-04:00
time_source=html
lat=40.6892494
lon=-74.0445004
album=Snapchat/jane/memories
overlay=$PWD/$S/memories/2022-06-01_aaaa-1111-overlay.png
offset_source=gps
zone=America/New_York"
	R="$PWD/$S/memories/2022-06-01_bbbb-2222-main.mp4"
	[ "$(field "$OUT" "$R" time)" = 2022-06-01T22:30:00Z ]
	[ "$(field "$OUT" "$R" platform)" = snapchat-memories ]
	[ "$(field "$OUT" "$R" lat)" = '' ]
	# the memory with no downloaded file becomes an item with its link
	# (for mem-fetch), the page is no orphan
	run -1 report "$OUT" "$S"
	run -0 grep -lz '^link=https://app.snapchat.com/dmd/memories?uid=u&mid=cccc-3333&ts=1$' "$OUT"/.mem/items/*.item
	[ "${#lines[@]}" -eq 1 ]
	mem-scan "$S" | tr '\0' '\n' > list
	[ "$(wc -l < list)" -eq 3 ]
}

@test "the HTML table's columns are found by their headers, and a page with no table is reported" {
	S=snapchat-jane-20240102
	media "$S/memories/2022-06-01_aaaa-1111-main.jpg"
	mkdir -p "$S/html"
	printf '%s' '<html><body><table><tr><th>Media Type</th><th>Location</th><th>Date</th><th></th></tr>
<tr><td>Image</td><td>Latitude, Longitude: 52.37, 4.89</td><td>2022-06-01 18:11:44 UTC</td>
<td><a href="https://app.snapchat.com/dmd/memories?mid=aaaa-1111&amp;ts=1">Download</a></td></tr></table></body></html>' \
		> "$S/html/memories_history.html"
	run -0 mem-scan -o "$OUT" "$S"
	R="$PWD/$S/memories/2022-06-01_aaaa-1111-main.jpg"
	[ "$(field "$OUT" "$R" time)" = 2022-06-01T18:11:44Z ]
	[ "$(field "$OUT" "$R" lat)" = 52.3700000 ]
	[ "$(field "$OUT" "$R" lon)" = 4.8900000 ]
	printf '<html><body><p>Nothing here</p></body></html>' > "$S/html/memories_history.html"
	run -0 --separate-stderr mem-scan -o "$OUT" "$S"
	[ "$stderr" = "mem-scan: $PWD/$S/html/memories_history.html: no memories table" ]
	[ "$(field "$OUT" "$R" time_source)" = filename ]
}

@test "with both downloads the JSON is read and the HTML is not an orphan" {
	S=snapchat-jane-20240102
	media "$S/memories/2022-06-01_aaaa-1111-main.jpg"
	snap_html "$S/html/memories_history.html"
	mkdir -p "$S/json"
	printf '%s' '{"Saved Media": [{"Date": "2022-06-01 18:11:50 UTC", "Media Type": "Image",
	  "Download Link": "https://app.snapchat.com/dmd/memories?mid=aaaa-1111"}]}' \
		> "$S/json/memories_history.json"
	run -0 mem-scan -o "$OUT" "$S"
	[ "$(field "$OUT" "$PWD/$S/memories/2022-06-01_aaaa-1111-main.jpg" time)" = 2022-06-01T18:11:50Z ]
	assert_file_not_exists "$OUT/$S/issues/failure-report.json"
}
