#!/usr/bin/env bats
# mem-scan: exports in, item records and sorted paths out.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan

setup() {
	cd "$BATS_TEST_TMPDIR"
	G="$BATS_TEST_TMPDIR/google-john.doe-20240101"
	GP="$G/Takeout/Google Photos"
	OUT="$BATS_TEST_TMPDIR/out"
}

# --- the command line ---------------------------------------------------

@test "-h prints the usage on stdout and exits 0" {
	run -0 mem-scan -h
	assert_output --partial 'usage: mem-scan'
}

@test "an unknown option exits 2 with the usage on stderr" {
	run -2 --separate-stderr mem-scan --bogus
	assert_output ''
	[[ "$stderr" == *'usage: mem-scan'* ]]
}

@test "--records without -o is a usage error" {
	mkdir e
	run -2 mem-scan --records e
	assert_output --partial 'needs -o'
}

@test "an unknown --platform is a usage error" {
	run -2 mem-scan --platform myspace
	assert_output --partial 'myspace: unknown'
}

@test "--list-processors names every platform" {
	run -0 mem-scan --list-processors
	assert_line --partial 'google-photos'
	assert_line --partial 'snapchat-memories'
	assert_line --partial 'instagram'
	assert_line --partial 'folder'
	assert_line 'Total: 10 processor(s)'
}

@test "empty stdin is no exports: exit 0 and no output" {
	run -0 mem-scan -o "$OUT" --records < /dev/null
	assert_output ''
}

@test "an operand that is neither a directory nor an archive costs exit 1, the others are scanned" {
	media songs/a.mp3
	touch notadir
	run -1 --separate-stderr mem-scan -o "$OUT" notadir songs
	[ "$stderr" = 'mem-scan: notadir: not a directory or an archive (an export is a directory, or its zip or tar parts)' ]
	[ "$output" = "$BATS_TEST_TMPDIR/songs/a.mp3" ]
}

@test "an output directory that cannot be made is fatal before any export" {
	media songs/a.mp3
	run -2 mem-scan -o /dev/null/out songs
	assert_output --partial '/dev/null/out'
}

@test "a write error on stdout exits 2" {
	media songs/a.mp3
	run -2 sh -c 'mem-scan songs >/dev/full'
}

@test "export directories come from NUL-separated stdin when there are no operands" {
	media 'a b/x.mp3'
	media c/y.mp3
	printf '%s\0%s' "a b" c | mem-scan -o "$OUT" > paths
	printf '%s\0' "$BATS_TEST_TMPDIR/a b/x.mp3" "$BATS_TEST_TMPDIR/c/y.mp3" > want
	cmp paths want
}

# --- Google Photos --------------------------------------------------------

@test "a Takeout photo gets time, place, albums, caption, favorite and name from its sidecar" {
	media "$GP/Photos from 2023/IMG_20230115_103045.jpg"
	python3 - "$GP/Photos from 2023/IMG_20230115_103045.jpg.supplemental-metadata.json" <<'PY'
import json, sys
json.dump({"title": "IMG_20230115_103045.jpg", "description": "Caf\u00e9 with Ann",
           "favorited": True,
           "photoTakenTime": {"timestamp": "1673778645"},
           "creationTime": {"timestamp": "1700000000"},
           "geoData": {"latitude": 48.8583701, "longitude": 2.2944813, "altitude": 35.5}},
          open(sys.argv[1], "w"))
PY
	run -0 mem-scan -o "$OUT" "$G"
	run -0 record_of "$OUT" "$GP/Photos from 2023/IMG_20230115_103045.jpg"
	assert_output "mem-item=1
source=$GP/Photos from 2023/IMG_20230115_103045.jpg
export=google-john.doe-20240101
platform=google-photos
user=john.doe
dest=google-john.doe-20240101/photos/gphotos-john.doe-20230115.jpg
kind=image
time=2023-01-15T10:30:45Z
offset=+01:00
time_source=json
lat=48.8583701
lon=2.2944813
alt=35.50
album=Google Photos/john.doe
caption=Café with Ann
favorite=1
offset_source=gps
zone=Europe/Paris"
	[ ! -e "$OUT/google-john.doe-20240101/issues/failure-report.json" ]
}

@test "every truncation of .supplemental-metadata finds its photo" {
	local n
	for n in a b c d e; do media "$GP/Album/IMG_$n.jpg"; done
	sidecar "$GP/Album/IMG_a.jpg.supplemental-metadata.json" IMG_a.jpg 1673778645
	sidecar "$GP/Album/IMG_b.jpg.supplemental-met.json" IMG_b.jpg 1673778646
	sidecar "$GP/Album/IMG_c.jpg.supp.json" IMG_c.jpg 1673778647
	sidecar "$GP/Album/IMG_d.jpg..json" IMG_d.jpg 1673778648
	sidecar "$GP/Album/IMG_e.jpg.json" IMG_e.jpg 1673778649
	run -0 mem-scan -o "$OUT" "$G"
	for n in a b c d e; do
		[ "$(field "$OUT" "$GP/Album/IMG_$n.jpg" time_source)" = json ]
	done
	[ "$(field "$OUT" "$GP/Album/IMG_d.jpg" time)" = 2023-01-15T10:30:48Z ]
}

@test "a (1) duplicate takes its (1) sidecar, wherever Takeout put the number" {
	media "$GP/A/IMG_1.jpg" one
	media "$GP/A/IMG_1(1).jpg" two
	media "$GP/A/IMG_2(1).jpg" three
	sidecar "$GP/A/IMG_1.jpg.supplemental-metadata.json" IMG_1.jpg 1673778645
	sidecar "$GP/A/IMG_1.jpg.supplemental-metadata(1).json" IMG_1.jpg 1688400000
	sidecar "$GP/A/IMG_2.jpg(1).json" IMG_2.jpg 1688403600
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/IMG_1.jpg" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$GP/A/IMG_1(1).jpg" time)" = 2023-07-03T16:00:00Z ]
	[ "$(field "$OUT" "$GP/A/IMG_2(1).jpg" time)" = 2023-07-03T17:00:00Z ]
}

@test "edited copies, localized too, use the original's sidecar" {
	media "$GP/A/IMG_5.jpg" orig
	media "$GP/A/IMG_5-edited.jpg" ed
	media "$GP/A/IMG_5-bearbeitet.jpg" de
	sidecar "$GP/A/IMG_5.jpg.supplemental-metadata.json" IMG_5.jpg 1673778645 1.5 2.5 0
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/IMG_5-edited.jpg" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$GP/A/IMG_5-bearbeitet.jpg" lat)" = 1.5000000 ]
	# one instant: numbered by path ("-" sorts before ".")
	[ "$(field "$OUT" "$GP/A/IMG_5-bearbeitet.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115.jpg ]
	[ "$(field "$OUT" "$GP/A/IMG_5-edited.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_1.jpg ]
	[ "$(field "$OUT" "$GP/A/IMG_5.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_2.jpg ]
}

@test "a Live Photo's MOV uses the image's sidecar and shares its name" {
	media "$GP/A/IMG_0100.HEIC" img
	media "$GP/A/IMG_0100.MOV" mov
	media "$GP/A/IMG_0200.jpg" other
	sidecar "$GP/A/IMG_0100.HEIC.supplemental-metadata.json" IMG_0100.HEIC 1673778645
	sidecar "$GP/A/IMG_0200.jpg.supplemental-metadata.json" IMG_0200.jpg 1673778600
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/IMG_0100.MOV" kind)" = video ]
	[ "$(field "$OUT" "$GP/A/IMG_0100.MOV" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$GP/A/IMG_0200.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115.jpg ]
	[ "$(field "$OUT" "$GP/A/IMG_0100.HEIC" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_1.heic ]
	[ "$(field "$OUT" "$GP/A/IMG_0100.MOV" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_1.mov ]
}

@test "names cut at Takeout's 47 and 51 character limits still match" {
	local long='Screenshot_20230812-093015_Some Long Application Name.jpg'
	media "$GP/A/$long"
	sidecar "$GP/A/Screenshot_20230812-093015_Some Long Applicati.json" x 1673778645
	media "$GP/A/PXL_20230201_181500123.NIGHT.REALLY_LONG_NAME.jpg"
	sidecar "$GP/A/PXL_20230201_181500123.NIGHT.REALLY_LONG_NA.json" y 1688400000
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/$long" time_source)" = json ]
	[ "$(field "$OUT" "$GP/A/PXL_20230201_181500123.NIGHT.REALLY_LONG_NAME.jpg" time)" = 2023-07-03T16:00:00Z ]
}

@test "creationTime stands in for photoTakenTime, geoDataExif for an empty geoData, (0,0) is no place" {
	media "$GP/A/a.jpg"
	media "$GP/A/b.jpg"
	printf '%s' '{"title":"a.jpg","creationTime":{"timestamp":"1673778645"},
	  "geoData":{"latitude":0.0,"longitude":0.0,"altitude":0.0},
	  "geoDataExif":{"latitude":-33.8567844,"longitude":151.2152967,"altitude":5.0}}' > "$GP/A/a.jpg.json"
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/a.jpg" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$GP/A/a.jpg" lat)" = -33.8567844 ]
	[ "$(field "$OUT" "$GP/A/a.jpg" alt)" = 5.00 ]
	[ "$(field "$OUT" "$GP/A/b.jpg" lat)" = '' ]
	# no place of its own: a.jpg, taken in Sydney at the same instant,
	# is its neighbour on both sides
	[ "$(field "$OUT" "$GP/A/b.jpg" offset)" = +11:00 ]
	[ "$(field "$OUT" "$GP/A/b.jpg" offset_source)" = neighbours ]
}

@test "the same photo in the year folder and two albums is one item with every album" {
	# the year folder's copy stands for the others
	media "$GP/Photos from 2023/IMG_9.jpg" same
	sidecar "$GP/Photos from 2023/IMG_9.jpg.json" IMG_9.jpg 1673778645
	mkdir -p "$GP/Paris_ 2023" "$GP/Friends"
	cp "$GP/Photos from 2023/IMG_9.jpg" "$GP/Photos from 2023/IMG_9.jpg.json" "$GP/Paris_ 2023/"
	cp "$GP/Photos from 2023/IMG_9.jpg" "$GP/Friends/"
	printf '{"title": "Paris: 2023"}' > "$GP/Paris_ 2023/metadata.json"
	media "$GP/Friends/IMG_10.jpg" differ
	sidecar "$GP/Friends/IMG_10.jpg.json" IMG_10.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	printf '%s\0' "$GP/Friends/IMG_10.jpg" "$GP/Photos from 2023/IMG_9.jpg" > want
	mem-scan "$G" > got
	cmp got want
	run -0 field "$OUT" "$GP/Photos from 2023/IMG_9.jpg" album
	# copies with a sidecar first, then by path
	assert_output 'Google Photos/john.doe
Paris: 2023
Friends'
	[ ! -e "$OUT/google-john.doe-20240101/issues/failure-report.json" ]
}

@test "a rescan into OUT knows the copies it found without comparing them again, and compares a copy rewritten since" {
	media "$GP/Photos from 2023/IMG_9.jpg" same
	sidecar "$GP/Photos from 2023/IMG_9.jpg.json" IMG_9.jpg 1673778645
	mkdir -p "$GP/Friends"
	cp "$GP/Photos from 2023/IMG_9.jpg" "$GP/Friends/"
	run -0 mem-scan -o "$OUT" "$G"
	mem-scan "$G" > got
	[ "$(tr '\0' '\n' < got | grep -c .)" -eq 1 ]
	# the verdict is kept: one pair, each file by device, inode, size,
	# mtime and ctime
	[ "$(wc -l < "$OUT/.mem/same.cache")" -eq 1 ]
	[ "$(awk '{ print NF }' "$OUT/.mem/same.cache")" -eq 10 ]
	before=$(stat -c '%i %Y.%y' "$OUT/.mem/same.cache")
	sleep 0.05
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(stat -c '%i %Y.%y' "$OUT/.mem/same.cache")" = "$before" ]
	[ "$(field "$OUT" "$GP/Photos from 2023/IMG_9.jpg" album | tail -n1)" = Friends ]
	# a copy rewritten with other bytes of the same size, its mtime put
	# back: the ctime moved, so it is compared, and is an item of its own
	printf 'media SAME\n' > "$GP/Friends/IMG_9.jpg"
	touch -r "$GP/Photos from 2023/IMG_9.jpg" "$GP/Friends/IMG_9.jpg"
	mem-scan -o "$OUT" --records "$G" > got
	[ "$(tr '\0' '\n' < got | grep -c .)" -eq 2 ]
	[ ! -s "$OUT/.mem/same.cache" ]
}

# bytes FILE SIZE SEED [OFFSET]: SIZE bytes of seeded noise, with the byte
# at OFFSET (if given) flipped: copies that differ in one byte only.
bytes() {
	mkdir -p "$(dirname "$1")"
	python3 - "$@" <<'PY'
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(random.Random(seed).randbytes(size))
if len(sys.argv) > 4:
    b[int(sys.argv[4])] ^= 0xff
open(path, "wb").write(b)
PY
}

@test "copies are merged only when every byte is the same: one byte apart anywhere is two items" {
	local size=3000001 i
	# pairs alone at their size (compared directly, 32 KiB first, then
	# in growing reads), one byte apart: the last, the first past
	# 32 KiB, one in the first 32 KiB, the first
	for i in 1 2 3 4 5; do
		bytes "$GP/Photos from 2023/P$i.jpg" $((size + i)) $i
	done
	bytes "$GP/Trip/P1.jpg" $((size + 1)) 1 $((size + 1 - 1))
	bytes "$GP/Trip/P2.jpg" $((size + 2)) 2 32768
	bytes "$GP/Trip/P3.jpg" $((size + 3)) 3 20000
	bytes "$GP/Trip/P4.jpg" $((size + 4)) 4 0
	# a true copy, and three files of one size of which two are copies
	# (hashed, then compared)
	cp "$GP/Photos from 2023/P5.jpg" "$GP/Trip/P5.jpg"
	bytes "$GP/Photos from 2023/T1.jpg" 70000 9
	bytes "$GP/Trip/T1.jpg" 70000 9
	bytes "$GP/Trip/T2.jpg" 70000 9 69999
	# 600 small files of one size (hashed, then compared), all distinct
	for i in $(seq 100 699); do
		printf 'photo %s\n' "$i" > "$GP/Photos from 2023/S$i.jpg"
	done
	run -0 mem-scan -o "$OUT" "$G"
	mem-scan "$G" | tr '\0' '\n' | sed "s|^$GP/||" | grep -v '/S[0-9]*\.jpg$' > got
	printf '%s\n' 'Photos from 2023/P1.jpg' 'Photos from 2023/P2.jpg' \
	    'Photos from 2023/P3.jpg' 'Photos from 2023/P4.jpg' 'Photos from 2023/P5.jpg' \
	    'Photos from 2023/T1.jpg' 'Trip/P1.jpg' 'Trip/P2.jpg' 'Trip/P3.jpg' \
	    'Trip/P4.jpg' 'Trip/T2.jpg' > want
	diff want got
	[ "$(mem-scan "$G" | tr '\0' '\n' | grep -c '/S[0-9]*\.jpg$')" -eq 600 ]
	[ "$(field "$OUT" "$GP/Photos from 2023/P5.jpg" album | tail -n1)" = Trip ]
	[ "$(field "$OUT" "$GP/Photos from 2023/T1.jpg" album | tail -n1)" = Trip ]
	# the two copies found, kept for the next scan
	[ "$(wc -l < "$OUT/.mem/same.cache")" -eq 2 ]
}

@test "photos of one size whose first 64 KiB differ are not read past it, and a rescan reads none of them" {
	local i
	# three of a phone photo's size, one size for all, distinct from
	# their first bytes; and three that share their first 64 KiB, of
	# which two are copies and one is a byte apart at its end
	for i in 1 2 3; do
		bytes "$GP/Photos from 2023/R$i.jpg" 4000000 $i
		sidecar "$GP/Photos from 2023/R$i.jpg.json" R$i.jpg 1673778645
		sidecar "$GP/Trip/S$i.jpg.json" S$i.jpg 1673778645
	done
	bytes "$GP/Trip/S1.jpg" 3000000 7
	bytes "$GP/Trip/S2.jpg" 3000000 7 2999999
	bytes "$GP/Trip/S3.jpg" 3000000 7
	sleep 2.1	# settled: what the scan finds is kept in memo.cache
	# bytes read from FILE in the trace (the main thread compares;
	# LeakSanitizer cannot run under strace)
	read_of() {
		awk -v f="$1>" 'index($0, f) && $NF ~ /^[0-9]+$/ { n += $NF } END { print n + 0 }' trace
	}
	traced() {
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    strace -f -y -e trace=read,pread64 -o trace mem-scan "$@"
	}
	traced -o "$OUT" "$G" > got
	tr '\0' '\n' < got | sed "s|^$GP/||" > got.txt
	printf '%s\n' 'Photos from 2023/R1.jpg' 'Photos from 2023/R2.jpg' \
	    'Photos from 2023/R3.jpg' 'Trip/S1.jpg' 'Trip/S2.jpg' > want
	diff want got.txt
	for i in 1 2 3; do
		[ "$(read_of "$GP/Photos from 2023/R$i.jpg")" -le 131072 ]
		[ "$(read_of "$GP/Trip/S$i.jpg")" -ge 3000000 ]
	done
	traced -o "$OUT" "$G" > got
	tr '\0' '\n' < got | sed "s|^$GP/||" | diff want -
	for i in 1 2 3; do
		[ "$(read_of "$GP/Photos from 2023/R$i.jpg")" -eq 0 ]
		[ "$(read_of "$GP/Trip/S$i.jpg")" -eq 0 ]
	done
}

@test "a record that cannot be written is named with its reason and exit 1; the others are whole when the scan exits" {
	local long i
	long=$(printf 'caption %.0s' $(seq 1 150))
	for i in 1 2 3; do
		media "$GP/A/IMG_$i.jpg"
		sidecar "$GP/A/IMG_$i.jpg.json" "IMG_$i.jpg" $((1673778645 + i))
	done
	# IMG_2's record is over 512 bytes: the file size limit refuses it
	python3 - "$GP/A/IMG_2.jpg.json" "$long" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["description"] = sys.argv[2]
json.dump(j, open(sys.argv[1], "w"))
PY
	run -1 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec mem-scan -o "$1" "$2" > got' - "$OUT" "$G"
	[[ "$stderr" == *"mem-scan: $GP/A/IMG_2.jpg: cannot write $OUT/.mem/items/"*".item: File too large"* ]]
	printf '%s\0' "$GP/A/IMG_1.jpg" "$GP/A/IMG_3.jpg" > want
	cmp got want
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 2 ]
	# the two written are the records a scan without the limit writes
	run -0 mem-scan -o full "$G"
	for i in 1 3; do
		id=$(grep -l "IMG_$i.jpg" "$OUT"/.mem/items/*.item)
		cmp "$id" "full/.mem/items/${id##*/}"
	done
	[ "$(ls full/.mem/items | wc -l)" -eq 3 ]
}

@test "Takeout parts side by side are one export; a sidecar may sit in another part" {
	media "$G/takeout-001/Takeout/Google Photos/Trip/IMG_1.jpg"
	sidecar "$G/takeout-002/Takeout/Google Photos/Trip/IMG_1.jpg.supplemental-metadata.json" IMG_1.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$G/takeout-001/Takeout/Google Photos/Trip/IMG_1.jpg" time_source)" = json ]
	[ "$(field "$OUT" "$G/takeout-001/Takeout/Google Photos/Trip/IMG_1.jpg" album | tail -n1)" = Trip ]
}

@test "a photo without sidecar is dated from its EXIF and reported as an orphan" {
	jpeg_at "$GP/A/lonely.jpg" '2023:06:01 09:15:00' '+02:00'
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/lonely.jpg" time)" = 2023-06-01T07:15:00Z ]
	[ "$(field "$OUT" "$GP/A/lonely.jpg" offset)" = +02:00 ]
	[ "$(field "$OUT" "$GP/A/lonely.jpg" time_source)" = exif ]
	run -0 report "$OUT" google-john.doe-20240101
	assert_output 'media Takeout/Google Photos/A/lonely.jpg | no JSON sidecar matched'
}

@test "a sidecar without its photo is reported as orphaned metadata" {
	media "$GP/A/IMG_1.jpg"
	sidecar "$GP/A/IMG_1.jpg.json" IMG_1.jpg 1673778645
	sidecar "$GP/A/IMG_404.jpg.supplemental-metadata.json" IMG_404.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	run -0 report "$OUT" google-john.doe-20240101
	assert_output 'meta Takeout/Google Photos/A/IMG_404.jpg.supplemental-metadata.json | no media file matched this sidecar'
}

@test "a truncated sidecar costs a warning and a fallback time, not the run" {
	media "$GP/A/IMG_20230505_050505.jpg"
	printf '{"title": "IMG_20230505_050505.jpg", "photoTakenTime": {"timest' > "$GP/A/IMG_20230505_050505.jpg.json"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[[ "$stderr" == *"IMG_20230505_050505.jpg.json: malformed or truncated JSON"* ]]
	[ "$(field "$OUT" "$GP/A/IMG_20230505_050505.jpg" time)" = 2023-05-05T05:05:05Z ]
	[ "$(field "$OUT" "$GP/A/IMG_20230505_050505.jpg" time_source)" = filename ]
	run -0 report "$OUT" google-john.doe-20240101
	assert_line 'media Takeout/Google Photos/A/IMG_20230505_050505.jpg | its JSON sidecar is unreadable'
	assert_line 'failed Takeout/Google Photos/A/IMG_20230505_050505.jpg.json | malformed or truncated JSON'
}

# --- Snapchat Memories --------------------------------------------------

@test "Snapchat's memories_history.json dates its files by id, with overlay and place" {
	S=snapchat-jane-20240102
	media "$S/memories/2022-06-01_aaaa-1111-main.jpg"
	media "$S/memories/2022-06-01_aaaa-1111-overlay.png"
	media "$S/memories/2022-06-01_bbbb-2222-main.mp4"
	mkdir -p "$S/json"
	cat > "$S/json/memories_history.json" <<'EOF'
{"Saved Media": [
 {"Date": "2022-06-01 22:30:00 UTC", "Media Type": "Video", "Location": "Latitude, Longitude: 0.0, 0.0",
  "Download Link": "https://app.snapchat.com/dmd/memories?uid=u&sid=s&mid=bbbb-2222&ts=1"},
 {"Date": "2022-06-01 18:11:44 UTC", "Media Type": "Image",
  "Location": "Latitude, Longitude: 40.6892494, -74.0445004",
  "Download Link": "https://app.snapchat.com/dmd/memories?uid=u&mid=aaaa-1111&ts=1"}
]}
EOF
	run -0 mem-scan -o "$OUT" "$S"
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
time_source=json
lat=40.6892494
lon=-74.0445004
album=Snapchat/jane/memories
overlay=$PWD/$S/memories/2022-06-01_aaaa-1111-overlay.png
offset_source=gps
zone=America/New_York"
	[ "$(field "$OUT" "$PWD/$S/memories/2022-06-01_bbbb-2222-main.mp4" dest)" = snapchat-jane-20240102/memories/snap-memories-jane-20220601_1.mp4 ]
	[ "$(field "$OUT" "$PWD/$S/memories/2022-06-01_bbbb-2222-main.mp4" lat)" = '' ]
	# the overlay is not an item of its own
	mem-scan "$S" | tr '\0' '\n' > list
	[ "$(wc -l < list)" -eq 2 ]
}

@test "memories without ids in their links pair with files of their day and type" {
	S=snapchat-jane-20240102
	media "$S/memories/2022-07-01_x1-main.jpg"
	media "$S/memories/2022-07-01_x2-main.mp4"
	mkdir -p "$S/json"
	printf '%s' '{"Saved Media": [{"Date": "2022-07-01 10:00:00 UTC", "Media Type": "Video"},
	  {"Date": "2022-07-01 09:00:00 UTC", "Media Type": "Image"},
	  {"Date": "2022-07-02 09:00:00 UTC", "Media Type": "Image"}]}' > "$S/json/memories_history.json"
	run -0 mem-scan -o "$OUT" "$S"
	[ "$(field "$OUT" "$PWD/$S/memories/2022-07-01_x1-main.jpg" time)" = 2022-07-01T09:00:00Z ]
	[ "$(field "$OUT" "$PWD/$S/memories/2022-07-01_x2-main.mp4" time)" = 2022-07-01T10:00:00Z ]
	run -0 report "$OUT" "$S"
	assert_output 'meta json/memories_history.json | no downloaded file for this memory'
}

@test "memoria's Snapchat layout works, and a name pointing outside the export is refused" {
	S=snapchat-jane-20240102
	media "$S/memories/media/m1.jpg"
	media "$S/memories/overlays/o1.png"
	media "$S/memories/media/m2.jpg"
	printf '%s' '[{"date": "2021-01-04 23:08:30 UTC", "media_type": "Image", "media_filename": "m1.jpg",
	   "overlay_filename": "o1.png", "latitude": null, "longitude": null},
	  {"date": "2021-01-05 10:00:00 UTC", "media_type": "Image", "media_filename": "../../../../etc/passwd"}]' \
	    > "$S/memories/metadata.json"
	run -0 mem-scan -o "$OUT" "$S"
	[ "$(field "$OUT" "$PWD/$S/memories/media/m1.jpg" time)" = 2021-01-04T23:08:30Z ]
	[ "$(field "$OUT" "$PWD/$S/memories/media/m1.jpg" overlay)" = "$PWD/$S/memories/overlays/o1.png" ]
	[ "$(field "$OUT" "$PWD/$S/memories/media/m2.jpg" time_source)" = mtime ]
	run -0 report "$OUT" "$S"
	assert_line 'meta memories/metadata.json | media_filename points outside the export'
	assert_line 'media memories/media/m2.jpg | not in the memories metadata'
}

# --- Instagram ------------------------------------------------------------

@test "Instagram JSON posts get their time, EXIF place and repaired caption" {
	I=instagram-jane_doe-20240103
	media "$I/media/posts/202103/1.jpg"
	media "$I/media/posts/202103/2.jpg"
	mkdir -p "$I/your_instagram_activity/content"
	# "Café ☕" as Instagram writes it: each UTF-8 byte a \u00XX escape
	cat > "$I/your_instagram_activity/content/posts_1.json" <<'EOF'
[{"media": [{"uri": "media/posts/202103/1.jpg", "creation_timestamp": 1615734566, "title": "",
   "media_metadata": {"photo_metadata": {"exif_data": [{"latitude": 45.4371908, "longitude": 12.3345898}]}}},
  {"uri": "media/posts/202103/2.jpg", "creation_timestamp": 1615734566, "title": ""}],
  "title": "Caf\u00c3\u00a9 \u00e2\u0098\u0095", "creation_timestamp": 1615734566}]
EOF
	run -0 mem-scan -o "$OUT" "$I"
	run -0 record_of "$OUT" "$PWD/$I/media/posts/202103/1.jpg"
	assert_output "mem-item=1
source=$PWD/$I/media/posts/202103/1.jpg
export=instagram-jane_doe-20240103
platform=instagram
user=jane_doe
dest=instagram-jane_doe-20240103/public-media/posts/insta-posts-jane_doe-20210314.jpg
kind=image
time=2021-03-14T15:09:26Z
offset=+01:00
time_source=json
lat=45.4371908
lon=12.3345898
album=Instagram/jane_doe/posts
caption=Café ☕
offset_source=gps
zone=Europe/Rome"
	[ "$(field "$OUT" "$PWD/$I/media/posts/202103/2.jpg" dest)" = instagram-jane_doe-20240103/public-media/posts/insta-posts-jane_doe-20210314_1.jpg ]
}

@test "Instagram messages are read from every message_N.json" {
	I=instagram-jane_doe-20240103
	C="$I/your_instagram_activity/messages/inbox/zoe_123"
	media "$C/photos/1.jpg"
	media "$C/audio/2.m4a"
	printf '%s' '{"participants": [{"name": "Zo\u00c3\u00ab"}], "title": "Zo\u00c3\u00ab",
	  "messages": [{"sender_name": "Zo\u00c3\u00ab", "timestamp_ms": 1615734566123,
	  "photos": [{"uri": "your_instagram_activity/messages/inbox/zoe_123/photos/1.jpg"}]}]}' > "$C/message_1.json"
	printf '%s' '{"messages": [{"sender_name": "x", "timestamp_ms": 1615734600000,
	  "audio_files": [{"uri": "your_instagram_activity/messages/inbox/zoe_123/audio/2.m4a"}]}]}' > "$C/message_2.json"
	run -0 mem-scan -o "$OUT" "$I"
	[ "$(field "$OUT" "$PWD/$C/photos/1.jpg" time)" = 2021-03-14T15:09:26Z ]
	[ "$(field "$OUT" "$PWD/$C/photos/1.jpg" album)" = Instagram/jane_doe/messages ]
	[ "$(field "$OUT" "$PWD/$C/audio/2.m4a" kind)" = audio ]
	[ "$(field "$OUT" "$PWD/$C/photos/1.jpg" dest)" = instagram-jane_doe-20240103/messages/insta-messages-jane_doe-zoë-20210314.jpg ]
	record_of "$OUT" "$PWD/$C/photos/1.jpg" | grep -qxF 'Sender: "Zoë"'
	[ "$(field "$OUT" "$PWD/$C/audio/2.m4a" dest)" = instagram-jane_doe-20240103/messages/insta-messages-jane_doe-zoe-20210314.m4a ]
}

@test "Instagram HTML exports are read page after page" {
	I=instagram-jane_doe-20240103
	media "$I/media/posts/202201/a.jpg"
	media "$I/media/posts/202202/b.mp4"
	mkdir -p "$I/your_instagram_activity/content"
	cat > "$I/your_instagram_activity/content/posts_1.html" <<'EOF'
<html><body><div class="_a706"><div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder"><h2 class="_3-95 _2pim _a6-h _a6-i">Snow &amp; sun</h2><div class="_3-95 _a6-p"><div><a target="_blank" href="media/posts/202201/a.jpg"><img src="media/posts/202201/a.jpg" class="_a6_o _3-96"/></a></div><table><tr><td class="_2pin _a6_q">Latitude<div><div class="_a6-q">46.5</div></div></td></tr><tr><td class="_2pin _a6_q">Longitude<div><div class="_a6-q">7.25</div></div></td></tr></table></div><div class="_3-94 _a6-o">Jan 15, 2022 3:04 pm</div></div></div></body></html>
EOF
	cat > "$I/your_instagram_activity/content/posts_2.html" <<'EOF'
<html><body><div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder"><div class="_3-95 _a6-p"><video src="media/posts/202202/b.mp4" controls></video></div><div class="_3-94 _a6-o">Feb 1, 2022, 12:30 AM</div></div></body></html>
EOF
	run -0 mem-scan -o "$OUT" "$I"
	# a wall clock of the page's zone; the place gives it (Europe/Zurich)
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" time)" = 2022-01-15T14:04:00Z ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" time_source)" = html ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" offset)" = +01:00 ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" offset_source)" = gps ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" caption)" = 'Snow & sun' ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202201/a.jpg" lon)" = 7.2500000 ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202202/b.mp4" time)" = 2022-02-01T00:30:00Z ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202202/b.mp4" time_zone)" = local ]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202202/b.mp4" offset_source)" = none ]
}

@test "instaloader's layout: JSON time, caption from .txt, UTC name otherwise" {
	I=instagram-jane_doe-20240103
	media "$I/2021-01-03_12-00-00_UTC_1.jpg" p1
	media "$I/2021-01-03_12-00-00_UTC_2.jpg" p2
	printf 'Carousel caption\n' > "$I/2021-01-03_12-00-00_UTC.txt"
	media "$I/2021-02-03_08-30-00_UTC.mp4"
	printf '%s' '{"node": {"taken_at_timestamp": 1612341000, "edge_media_to_caption": {"edges": [{"node": {"text": "From JSON"}}]}}}' \
	    > "$I/2021-02-03_08-30-00_UTC.json"
	run -0 mem-scan -o "$OUT" "$I"
	[ "$(field "$OUT" "$PWD/$I/2021-01-03_12-00-00_UTC_2.jpg" time)" = 2021-01-03T12:00:00Z ]
	[ "$(field "$OUT" "$PWD/$I/2021-01-03_12-00-00_UTC_2.jpg" caption)" = 'Carousel caption' ]
	[ "$(field "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.mp4" time)" = 2021-02-03T08:30:00Z ]
	[ "$(field "$OUT" "$PWD/$I/2021-02-03_08-30-00_UTC.mp4" caption)" = 'From JSON' ]
	[ "$(field "$OUT" "$PWD/$I/2021-01-03_12-00-00_UTC_1.jpg" dest)" = instagram-jane_doe-20240103/public-media/posts/insta-posts-jane_doe-20210103.jpg ]
}

@test "an Instagram uri outside the export is refused and reported" {
	I=instagram-jane_doe-20240103
	media secret.jpg
	media "$I/media/posts/202101/ok.jpg"
	mkdir -p "$I/your_instagram_activity/content"
	printf '%s' '[{"media": [{"uri": "../secret.jpg", "creation_timestamp": 1615734566},
	  {"uri": "/etc/passwd.jpg", "creation_timestamp": 1615734566},
	  {"uri": "media/posts/202101/ok.jpg", "creation_timestamp": 1615734566}]}]' \
	    > "$I/your_instagram_activity/content/posts_1.json"
	run -0 mem-scan -o "$OUT" "$I"
	run -0 report "$OUT" "$I"
	assert_output 'meta your_instagram_activity/content/posts_1.json | uri points outside the export
meta your_instagram_activity/content/posts_1.json | uri points outside the export'
	run -0 mem-scan "$I"
	assert_output "$PWD/$I/media/posts/202101/ok.jpg"
}

# --- any folder -----------------------------------------------------------

@test "a folder's photos are dated by EXIF, videos by QuickTime, then names, then mtime" {
	F=pixel-2023
	jpeg_at "$F/exif.jpg" '2023:01:15 10:30:45'
	make_video "$F/clip.mp4"
	exiftool -q -overwrite_original '-QuickTime:CreateDate=2022:12:31 23:59:58' "$F/clip.mp4"
	media "$F/IMG_20230115_103045.jpg"
	media "$F/PXL_20230201_181500123.jpg"
	media "$F/2023-01-15 10.30.45.jpg"
	media "$F/IMG-20230115-WA0001.jpg"
	media "$F/Screenshot_2023-03-04-05-06-07.png"
	media "$F/holiday.jpg"
	touch -d '2020-02-02 02:02:02Z' "$F/holiday.jpg"
	run -0 mem-scan -o "$OUT" "$F"
	[ "$(field "$OUT" "$PWD/$F/exif.jpg" time) $(field "$OUT" "$PWD/$F/exif.jpg" time_source)" = '2023-01-15T10:30:45Z exif' ]
	[ "$(field "$OUT" "$PWD/$F/exif.jpg" offset)" = '' ]
	[ "$(field "$OUT" "$PWD/$F/clip.mp4" time) $(field "$OUT" "$PWD/$F/clip.mp4" time_source)" = '2022-12-31T23:59:58Z quicktime' ]
	[ "$(field "$OUT" "$PWD/$F/IMG_20230115_103045.jpg" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$PWD/$F/PXL_20230201_181500123.jpg" time)" = 2023-02-01T18:15:00Z ]
	[ "$(field "$OUT" "$PWD/$F/2023-01-15 10.30.45.jpg" time)" = 2023-01-15T10:30:45Z ]
	[ "$(field "$OUT" "$PWD/$F/IMG-20230115-WA0001.jpg" time)" = 2023-01-15T12:00:00Z ]
	[ "$(field "$OUT" "$PWD/$F/Screenshot_2023-03-04-05-06-07.png" time)" = 2023-03-04T05:06:07Z ]
	[ "$(field "$OUT" "$PWD/$F/IMG-20230115-WA0001.jpg" time_source)" = filename ]
	[ "$(field "$OUT" "$PWD/$F/holiday.jpg" time) $(field "$OUT" "$PWD/$F/holiday.jpg" time_source)" = '2020-02-02T02:02:02Z mtime' ]
	[ "$(field "$OUT" "$PWD/$F/holiday.jpg" platform)" = folder ]
	[ "$(field "$OUT" "$PWD/$F/holiday.jpg" dest)" = pixel-2023/media/folder-pixel-2023-20200202.jpg ]
}

@test "songs become audio items that keep their folder and name" {
	mkdir -p songs/live
	make_audio "songs/01 Morning.mp3"
	make_audio "songs/live/Track 2.flac"
	run -0 mem-scan -o "$OUT" songs
	run -0 record_of "$OUT" "$PWD/songs/live/Track 2.flac"
	assert_line 'platform=folder'
	assert_line 'kind=audio'
	assert_line 'dest=songs/live/Track 2.flac'
}

@test "a plain folder's XMP sidecars (X.jpg.xmp, X.xmp, as Immich pairs them) go with their photos: the records name them and take their dates; an .xmp of no photo is named in the report's skipped list and counted on stderr" {
	mkdir -p shoot/day2 shoot/b.d
	make_jpeg shoot/a.jpg
	make_jpeg shoot/b.jpg
	make_jpeg shoot/c2.jpg
	make_jpeg shoot/day2/e.JPG
	make_jpeg shoot/b.d/f.jpg
	exiftool -q -o shoot/a.jpg.xmp '-XMP-exif:DateTimeOriginal=2005:06:07 08:09:10+02:00'
	cp shoot/a.jpg.xmp shoot/b.xmp
	cp shoot/a.jpg.xmp shoot/c.xmp
	cp shoot/a.jpg.xmp shoot/day2/e.XMP
	# Lightroom's one sidecar of a raw file and its JPEG
	make_jpeg shoot/r.jpg 64x40
	cp shoot/r.jpg shoot/r.NEF
	cp shoot/a.jpg.xmp shoot/r.xmp
	run -0 --separate-stderr mem-scan -o "$OUT" shoot
	[ "$stderr" = "mem-scan: $PWD/shoot: 1 file(s) not photos, videos or audio: left out (the report's skipped list names them)" ]
	run -0 jq -r '.skipped[] | [.context.relative_path, .reason] | @tsv' \
		"$OUT/shoot/issues/failure-report.json"
	assert_output "c.xmp	an XMP sidecar of no photo or video here"
	for f in a.jpg:a.jpg.xmp b.jpg:b.xmp day2/e.JPG:day2/e.XMP r.jpg:r.xmp r.NEF:r.xmp; do
		run -0 record_of "$OUT" "$PWD/shoot/${f%%:*}"
		assert_line "sidecar=$PWD/shoot/${f#*:}"
		assert_line 'time=2005-06-07T06:09:10Z'
		assert_line 'offset=+02:00'
		assert_line 'time_source=sidecar'
		assert_line 'offset_source=explicit'
	done
	for f in c2.jpg b.d/f.jpg; do
		run -0 record_of "$OUT" "$PWD/shoot/$f"
		refute_line --partial 'sidecar='
		assert_line 'time_source=mtime'
	done
}

@test "a plain folder's files that are neither photos, videos nor audio are named in the report's skipped list and on stderr once; system and hidden files are not, nor a Takeout's own files" {
	mkdir -p trip/docs trip/.git takeout/Takeout
	make_jpeg trip/a.jpg
	echo x > trip/docs/notes.pdf
	echo x > 'trip/docs/-odd name.txt'
	touch trip/.DS_Store trip/Thumbs.db trip/.git/config
	run -0 --separate-stderr mem-scan -o "$OUT" trip
	[ "$stderr" = "mem-scan: $PWD/trip: 2 file(s) not photos, videos or audio: left out (the report's skipped list names them)" ]
	run -0 jq -c '[.summary.total_failures, ([.skipped[] | [.context.relative_path, .reason]] | sort)]' \
		"$OUT/trip/issues/failure-report.json"
	assert_output '[0,[["docs/-odd name.txt","not a photo, video or audio file Immich or mem-loudnorm takes"],["docs/notes.pdf","not a photo, video or audio file Immich or mem-loudnorm takes"]]]'
	# a platform's export: its metadata files are no one's loss
	mkdir -p "takeout/Takeout/Google Photos/Photos from 2020"
	make_jpeg "takeout/Takeout/Google Photos/Photos from 2020/b.jpg"
	echo '{"title": "b.jpg", "photoTakenTime": {"timestamp": "1600000000"}}' \
		> "takeout/Takeout/Google Photos/Photos from 2020/b.jpg.json"
	echo '<html>' > takeout/Takeout/archive_browser.html
	run -0 --separate-stderr mem-scan -o "$OUT" takeout
	[ "$stderr" = "" ]
}

# --- the core ---------------------------------------------------------------

@test "one day's items are numbered by capture instant, then path" {
	media "$GP/A/c.jpg"
	media "$GP/A/a.jpg"
	media "$GP/A/b.jpg"
	sidecar "$GP/A/c.jpg.json" c.jpg 1673778600
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/c.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115.jpg ]
	[ "$(field "$OUT" "$GP/A/a.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_1.jpg ]
	[ "$(field "$OUT" "$GP/A/b.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_2.jpg ]
}

@test "--records prints the record paths in the order of their media" {
	media "$GP/A/b.jpg"
	media "$GP/A/a.jpg"
	run -0 mem-scan -o "$OUT" --records "$G"
	mem-scan -o "$OUT" --records "$G" | tr '\0' '\n' > recs
	[ "$(wc -l < recs)" -eq 2 ]
	[ "$(sed -n 's/^source=//p' < <(tr '\0' '\n' < "$(head -n1 recs)"))" = "$GP/A/a.jpg" ]
	run -0 sh -c "tr '\0' '\n' < \"\$(tail -n1 recs)\" | grep -c '^id=[0-9a-f]\{16\}\$'"
	assert_output 1
}

@test "a rerun rewrites only the records whose content changed" {
	media "$GP/A/a.jpg"
	media "$GP/A/b.jpg"
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	mem-scan -o "$OUT" --records "$G" | tr '\0' '\n' > recs
	touch -d '2001-01-01' "$OUT"/.mem/items/*.item
	sidecar "$GP/A/b.jpg.json" b.jpg 1688400000
	mem-scan -o "$OUT" "$G" > /dev/null
	[ "$(stat -c %Y "$(head -n1 recs)")" = "$(date -d 2001-01-01 +%s)" ]
	[ "$(stat -c %Y "$(tail -n1 recs)")" != "$(date -d 2001-01-01 +%s)" ]
	[ "$(field "$OUT" "$GP/A/b.jpg" time)" = 2023-07-03T16:00:00Z ]
}

@test "a rescan of an unchanged tree writes no record: inodes, mtimes and the index stay" {
	media "$GP/A/a.jpg"
	media "$GP/A/b.jpg"
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ -z "$(find "$OUT/.mem" -mindepth 1 -name '.*')" ]	# no temp file or directory left
	touch -d '2001-01-01' "$OUT"/.mem/items/*.item "$OUT/.mem/items.index"
	stat -c '%n %i %Y' "$OUT"/.mem/items/* "$OUT/.mem/items.index" > before
	run -0 mem-scan -o "$OUT" "$G"
	stat -c '%n %i %Y' "$OUT"/.mem/items/* "$OUT/.mem/items.index" > after
	cmp before after
	[ "$(ls "$OUT/.mem/items" | wc -l)" = 2 ]
}

@test "a record removed or replaced behind the scan's back is written again" {
	media "$GP/A/a.jpg"
	media "$GP/A/b.jpg"
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	mem-scan -o "$OUT" --records "$G" | tr '\0' '\n' > recs
	cp "$(head -n1 recs)" want-a
	cp "$(tail -n1 recs)" want-b
	rm "$(head -n1 recs)"
	printf 'mem-item=1\0id=x\0' > other
	mv other "$(tail -n1 recs)"
	run -0 mem-scan -o "$OUT" "$G"
	cmp want-a "$(head -n1 recs)"
	cmp want-b "$(tail -n1 recs)"
}

@test "a new export's records join an OUT that has records, each whole, no temp left" {
	media "$GP/A/a.jpg"
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	mkdir -p pixel
	jpeg_at pixel/c.jpg '2023:01:15 23:30:00'
	mem-scan -o "$OUT" --records pixel | tr '\0' '\n' > recs
	[ "$(wc -l < recs)" = 1 ]
	[ "$(field "$OUT" "$PWD/pixel/c.jpg" export)" = pixel ]
	[ "$(stat -c %a "$(cat recs)")" = "$(printf '%o' $((0666 & ~0$(umask))))" ]
	[ "$(ls "$OUT/.mem/items" | wc -l)" = 2 ]
	[ -z "$(find "$OUT/.mem" -mindepth 1 -name '.*')" ]
}

@test "OUT inside an export, banned names, temp files and symlink loops are skipped" {
	F=phone
	media "$F/keep.jpg"
	media "$F/@eaDir/x.jpg"
	media "$F/thumbnails_old.jpg"
	media "$F/.DS_Store"
	media "$F/._keep.jpg"
	media "$F/.keep.jpg.Ab12Cd"
	mkdir -p "$F/sub"
	ln -s .. "$F/sub/loop"
	run -0 mem-scan -o "$F/out" "$F"
	run -0 --separate-stderr mem-scan -o "$F/out" "$F"
	assert_output "$PWD/$F/keep.jpg"
	[ "$stderr" = "mem-scan: $PWD/$F/sub/loop: directory loop, not followed" ]
}

@test "--originals scans every visible subdirectory, sorted; with operands it is a usage error" {
	media orig/b-export/x.mp3
	media orig/a-export/y.mp3
	media orig/.hidden/z.mp3
	mem-scan --originals orig -o "$OUT" > got
	printf '%s\0' orig/a-export/y.mp3 orig/b-export/x.mp3 | sed "s|orig/|$PWD/orig/|g" > want
	cmp got want
	run -2 mem-scan --originals orig orig/a-export
}

@test "--list prints a table of exports, platforms, items and orphans" {
	media "$GP/A/a.jpg"
	sidecar "$GP/A/a.jpg.json" a.jpg 1673778645
	media "$GP/A/b.jpg"
	media "$G/Takeout/YouTube/v.mp4"
	run -0 mem-scan --list "$G"
	assert_line --regexp '^EXPORT +PLATFORM +ITEMS +ORPHANS$'
	assert_line --regexp '^google-john.doe-20240101 +google-photos +2 +1$'
	assert_line --regexp '^google-john.doe-20240101 +folder +1 +0$'
}

@test "file names with newlines, quotes, dollars and invalid UTF-8 go through" {
	local odd=$'we\nird "q" $x %d #h -lead \377.jpg'
	media "phone/$odd"
	run -0 mem-scan -o "$OUT" phone
	printf '%s\0' "$PWD/phone/$odd" > want
	mem-scan -o "$OUT" phone > got
	cmp got want
	[ "$(field "$OUT" "$PWD/phone/$odd" kind)" = image ]
}

@test "two exports with one name are refused: their items would share ids" {
	media a/songs/x.mp3
	media b/songs/y.mp3
	run -1 --separate-stderr mem-scan -o "$OUT" a/songs b/songs
	[ "$stderr" = 'mem-scan: b/songs: an export named songs was scanned already' ]
	[ "$output" = "$PWD/a/songs/x.mp3" ]
}

# --- the sample ---------------------------------------------------------------

@test "the generated sample scans cleanly, every platform found" {
	mksample sample
	run -0 --separate-stderr mem-scan -o "$OUT" --originals sample
	[ "$stderr" = '' ]
	run -0 mem-scan --list --originals sample
	assert_line --regexp '^google-john.doe-20240101 +google-photos +13 +0$'
	assert_line --regexp '^instagram-jane_doe-20240103 +instagram +11 +0$'
	assert_line --regexp '^snapchat-jane-20240102 +snapchat-memories +6 +0$'
	assert_line --regexp '^songs +folder +12 +0$'
	run -0 sh -c 'ls "$1"/.mem/items | wc -l' sh "$OUT"
	assert_output 42
	# the default sample has no orphans: no report
	run -0 find "$OUT" -name failure-report.json
	assert_output ''
	# mksample is deterministic
	mksample again
	diff -r <(cd sample && find . -type f -name '*.json' -exec cat {} + | md5sum) \
	    <(cd again && find . -type f -name '*.json' -exec cat {} + | md5sum)
}

@test "the sample --with-bad reports its broken files and still exits 0" {
	mksample --with-bad sample
	run -0 mem-scan -o "$OUT" --originals sample
	run -0 report "$OUT" google-john.doe-20240101
	assert_line 'media Takeout/Google Photos/Photos from 2023/no-sidecar.jpg | no JSON sidecar matched'
	assert_line 'meta Takeout/Google Photos/Photos from 2023/IMG_9999.jpg.supplemental-metadata.json | no media file matched this sidecar'
	assert_line --partial 'failed Takeout/Google Photos/Photos from 2023/IMG_20230505_050505.jpg.supplemental-metadata.json | malformed'
	run -0 report "$OUT" instagram-jane_doe-20240103
	assert_line 'meta your_instagram_activity/content/reels.json | uri points outside the export'
}

@test "a large album is parsed in parallel with the same results and one warning per bad sidecar" {
	local i
	mkdir -p "$GP/Photos from 2022"
	for i in $(seq 1000 1299); do
		printf 'photo %s\n' "$i" > "$GP/Photos from 2022/IMG_$i.jpg"
		printf '{"title": "IMG_%s.jpg", "photoTakenTime": {"timestamp": "%s"}}' \
		    "$i" "$((1600000000 + i * 60))" > "$GP/Photos from 2022/IMG_$i.jpg.supplemental-metadata.json"
	done
	printf '{"title": "IMG_1200.jpg", "photoTak' > "$GP/Photos from 2022/IMG_1200.jpg.supplemental-metadata.json"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$stderr" = "mem-scan: $G/Takeout/Google Photos/Photos from 2022/IMG_1200.jpg.supplemental-metadata.json: malformed or truncated JSON" ]
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 300 ]
	[ "$(field "$OUT" "$GP/Photos from 2022/IMG_1299.jpg" time)" = "$(date -u -d @$((1600000000 + 1299 * 60)) +%FT%TZ)" ]
	[ "$(field "$OUT" "$GP/Photos from 2022/IMG_1200.jpg" time_source)" = mtime ]
	[ "$(grep -l 'time_source=json' "$OUT"/.mem/items/*.item | wc -l)" -eq 299 ]
}

@test "records do not depend on the machine's time zone" {
	media "$GP/A/IMG_20230115_103045.jpg"
	media "$GP/A/b.jpg"
	sidecar "$GP/A/b.jpg.json" b.jpg 1673778645
	jpeg_at pixel/c.jpg '2023:01:15 23:30:00'
	TZ=UTC mem-scan -o utc "$G" pixel > /dev/null
	TZ=Asia/Tokyo mem-scan -o tokyo "$G" pixel > /dev/null
	TZ=America/Los_Angeles mem-scan -o la "$G" pixel > /dev/null
	diff -r utc/.mem/items tokyo/.mem/items
	diff -r utc/.mem/items la/.mem/items
	[ "$(field utc "$PWD/pixel/c.jpg" dest)" = pixel/media/folder-pixel-20230115.jpg ]
}

@test "a malformed Instagram file costs a warning; its media still get records and are reported" {
	I=instagram-jane_doe-20240103
	media "$I/media/posts/202301/IMG_20230101_101010.jpg"
	mkdir -p "$I/your_instagram_activity/content"
	printf '[{"media": [{"uri": "media/posts/202301/IMG_2023' > "$I/your_instagram_activity/content/posts_1.json"
	run -0 --separate-stderr mem-scan -o "$OUT" "$I"
	[[ "$stderr" == *"content/posts_1.json: malformed or truncated JSON"* ]]
	[ "$(field "$OUT" "$PWD/$I/media/posts/202301/IMG_20230101_101010.jpg" time_source)" = filename ]
	run -0 report "$OUT" "$I"
	assert_line 'media media/posts/202301/IMG_20230101_101010.jpg | not named by any post, story or message'
}

@test "a user name in any script stays readable in dest names" {
	E=google-$'j\xc3\xb6rg_\xe6\x9d\x8e'-20240101
	media "$E/Takeout/Google Photos/A/x.jpg"
	sidecar "$E/Takeout/Google Photos/A/x.jpg.json" x.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$E"
	[ "$(field "$OUT" "$PWD/$E/Takeout/Google Photos/A/x.jpg" user)" = $'j\xc3\xb6rg_\xe6\x9d\x8e' ]
	[ "$(field "$OUT" "$PWD/$E/Takeout/Google Photos/A/x.jpg" dest)" = "$E/photos/gphotos-"$'j\xc3\xb6rg_\xe6\x9d\x8e'"-20230115.jpg" ]
}

@test "a Takeout JPEG's EXIF wall clock gives the offset Google's UTC time lacks" {
	jpeg_at "$GP/A/paris.jpg" '2023:01:15 11:30:45'
	sidecar "$GP/A/paris.jpg.json" paris.jpg 1673778645
	jpeg_at "$GP/A/nyc.jpg" '2023:01:15 23:00:00'
	sidecar "$GP/A/nyc.jpg.json" nyc.jpg "$(date -u -d '2023-01-16 04:00:00' +%s)"
	jpeg_at "$GP/A/edited-clock.jpg" '2023:01:15 11:37:00'
	sidecar "$GP/A/edited-clock.jpg.json" edited-clock.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" time) $(field "$OUT" "$GP/A/paris.jpg" offset)" = '2023-01-15T10:30:45Z +01:00' ]
	# the day in the name is the wall-clock day there
	[ "$(field "$OUT" "$GP/A/nyc.jpg" offset)" = -05:00 ]
	[ "$(field "$OUT" "$GP/A/nyc.jpg" dest)" = google-john.doe-20240101/photos/gphotos-john.doe-20230115_2.jpg ]
	# not a whole quarter hour away: no offset is better than a wrong
	# one; Google's instant is then written as UTC
	[ "$(field "$OUT" "$GP/A/edited-clock.jpg" offset)" = +00:00 ]
}

@test "a rescan into OUT takes a sidecar's fields and a photo's EXIF clock from memo.cache, and reads again a file changed since" {
	jpeg_at "$GP/A/paris.jpg" '2023:01:15 11:30:45'
	sidecar "$GP/A/paris.jpg.json" paris.jpg 1673778645
	jpeg_at "$GP/A/rome.jpg" '2022:06:01 14:00:00'
	sidecar "$GP/A/rome.jpg.json" rome.jpg "$(date -u -d '2022-06-01 12:00:00' +%s)"
	# a file changed in the 2 s before a scan is never kept: let them settle
	sleep 2.1
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" time) $(field "$OUT" "$GP/A/paris.jpg" offset)" = '2023-01-15T10:30:45Z +01:00' ]
	[ "$(field "$OUT" "$GP/A/rome.jpg" offset)" = +02:00 ]
	# an unchanged tree: nothing is written, the cache neither
	before=$(stat -c '%i %Y.%y' "$OUT/.mem/memo.cache" "$OUT/.mem/items.index")
	sleep 0.05
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(stat -c '%i %Y.%y' "$OUT/.mem/memo.cache" "$OUT/.mem/items.index")" = "$before" ]
	# the answers are taken from the cache, not from the files: a cache
	# made to say another time (a day later) and another wall clock
	# (two hours later) is believed while the files keep their identity
	memo_doctor "$OUT/.mem/memo.cache" 1673778645 1673865045
	memo_doctor "$OUT/.mem/memo.cache" "$(date -u -d '2022-06-01 14:00:00' +%s)" \
	    "$(date -u -d '2022-06-01 16:00:00' +%s)"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" time)" = 2023-01-16T10:30:45Z ]
	[ "$(field "$OUT" "$GP/A/rome.jpg" offset)" = +04:00 ]
	# a sidecar and a photo rewritten in place, same size, mtime put back:
	# only their ctimes moved, which is enough for them to be read again,
	# and the records say what the files say
	id_of() { stat -c '%i %s %Y' "$@"; }
	was=$(id_of "$GP/A/paris.jpg.json" "$GP/A/rome.jpg")
	touch -r "$GP/A/paris.jpg.json" ref
	sidecar "$GP/A/paris.jpg.json" paris.jpg 1673778646
	touch -r ref "$GP/A/paris.jpg.json"
	exiftool -q -P -overwrite_original_in_place '-DateTimeOriginal=2022:06:01 15:00:00' "$GP/A/rome.jpg"
	[ "$(id_of "$GP/A/paris.jpg.json" "$GP/A/rome.jpg")" = "$was" ]
	sleep 2.1
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" time) $(field "$OUT" "$GP/A/paris.jpg" offset)" = '2023-01-15T10:30:46Z +01:00' ]
	[ "$(field "$OUT" "$GP/A/rome.jpg" offset)" = +03:00 ]
	# a touch alone (same bytes) is read again too, and changes nothing
	memo_doctor "$OUT/.mem/memo.cache" 1673778646 1673865046
	touch "$GP/A/paris.jpg.json"
	sleep 2.1
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" time)" = 2023-01-15T10:30:46Z ]
}

@test "a file rewritten right before or during a scan is not kept in memo.cache" {
	jpeg_at "$GP/A/paris.jpg" '2023:01:15 11:30:45'
	sidecar "$GP/A/paris.jpg.json" paris.jpg 1673778645
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/paris.jpg" offset)" = +01:00 ]
	# nothing settled yet: no answer kept, so no cache file at all
	[ ! -e "$OUT/.mem/memo.cache" ]
}

@test "three photos of one size: one rewritten to another's bytes since the last scan is merged with it" {
	media "$GP/Photos from 2023/a.jpg" AAAA
	media "$GP/Photos from 2023/b.jpg" BBBB
	media "$GP/Photos from 2023/c.jpg" CCCC
	for f in a b c; do
		sidecar "$GP/Photos from 2023/$f.jpg.json" $f.jpg 1673778645
	done
	sleep 2.1
	mem-scan -o "$OUT" --records "$G" > got
	[ "$(tr '\0' '\n' < got | grep -c .)" -eq 3 ]
	[ -s "$OUT/.mem/memo.cache" ]
	# c's hash was kept; c now holds a's bytes, mtime put back
	touch -r "$GP/Photos from 2023/c.jpg" ref
	media "$GP/Photos from 2023/c.jpg" AAAA
	touch -r ref "$GP/Photos from 2023/c.jpg"
	sleep 2.1
	mem-scan -o "$OUT" --records "$G" > got
	[ "$(tr '\0' '\n' < got | grep -c .)" -eq 2 ]
}
