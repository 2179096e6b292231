#!/usr/bin/env bats
# mem-scan's time zones: the zone at a position (geo-tz's data, geo-tz itself
# in node as the oracle), the zone's offset at an instant (Python's zoneinfo
# as the second reader of tzdata), and the cascade explicit > gps >
# neighbours > default > utc with offset_source in every record.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan

setup() {
	cd "$BATS_TEST_TMPDIR"
	G="$BATS_TEST_TMPDIR/google-john.doe-20240101"
	GP="$G/Takeout/Google Photos"
	OUT="$BATS_TEST_TMPDIR/out"
	ORACLE="$REPO/deps/tz/find-lines.js"
	[ -f "$REPO/deps/tz/node_modules/geo-tz/package.json" ] ||
		fail "geo-tz is not installed (make deps)"
}

# photo NAME EPOCH [LAT LON]: a Takeout photo with its sidecar.
photo() {
	media "$GP/A/$1"
	if [ $# -ge 4 ]; then
		sidecar "$GP/A/$1.json" "$1" "$2" "$3" "$4" 0.0
	else
		sidecar "$GP/A/$1.json" "$1" "$2"
	fi
}

# summary NAME: time, offset, offset_source, zone and dest of a photo.
summary() {
	local f
	for f in time offset offset_source zone dest; do
		printf '%s ' "$(field "$OUT" "$GP/A/$1" "$f")"
	done
}

# --- the zone at a position ---------------------------------------------

@test "positions near borders, at sea, on the date line and at the poles get geo-tz's own zones" {
	cat > pos <<'EOF'
48.5734 7.7521
48.5700 7.8150
51.4387 4.9306
51.4420 4.9260
51.4506 4.9354
42.3314 -83.0458
42.3149 -83.0364
36.1350 -111.2399
35.1983 -111.6513
35.8722 -110.6248
-31.5553 159.0821
27.7172 85.3240
-13.8333 -171.7667
-14.2756 -170.7020
-16.80 179.98
65.7 -171.0
10 180
10 -180
0 -30
0 -7.5
0 0
90 0
-90 0
-89.99999 179.99999
EOF
	run -0 mem-scan --tz-lookup < pos
	printf '%s\n' "$output" > ours
	node "$ORACLE" < pos > theirs
	run -0 diff ours theirs
	run -0 sed -n '1p;2p;6p;7p;8p;9p;11p;12p;17p;19p' ours
	assert_output "Europe/Paris
Europe/Berlin
America/Detroit
America/Toronto
America/Denver
America/Phoenix
Australia/Lord_Howe
Asia/Kathmandu
Etc/GMT+12,Etc/GMT-12
Etc/GMT+2"
}

@test "positions exactly on polygon vertices and edges, inner rings included, get geo-tz's own zones" {
	NODE_PATH="$REPO/deps/tz/node_modules" node "$REPO/tests/helpers/tz-edge-points.js" \
	    "$REPO/deps/tz/node_modules/geo-tz/data" 300 20 > pos
	[ "$(wc -l < pos)" -eq 6000 ]
	run -0 mem-scan --tz-lookup < pos
	printf '%s\n' "$output" > ours
	node "$ORACLE" < pos > theirs
	run -0 diff ours theirs
	# many are on an edge two zones share: both are answered
	[ "$(grep -c , theirs)" -gt 500 ]
}

@test "the compact zone index make writes is loaded in place of the JSON and answers as geo-tz; a stale, damaged or missing one leaves the JSON to be parsed" {
	D=$REPO/deps/tz/node_modules/geo-tz/data
	[ -f "$D/timezones-1970.geojson.index.mem" ] || fail "make wrote no compact index"
	NODE_PATH="$REPO/deps/tz/node_modules" node "$REPO/tests/helpers/tz-edge-points.js" \
	    "$D" 100 20 > pos
	cat >> pos <<-'EOF'
	48.5734 7.7521
	-31.5553 159.0821
	10 180
	0 -30
	90 0
	EOF
	node "$ORACLE" < pos > theirs
	# lookup: --tz-lookup of every position with MEM_TZ_DATA=$1, the same as
	# geo-tz; prints which of the index files mem-scan opened (LeakSanitizer
	# cannot run under strace: make asan's leak check is left out here)
	lookup() {
		MEM_TZ_DATA=$1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    strace -f -e trace=open,openat -o trace mem-scan --tz-lookup \
		    < pos > ours || return
		diff ours theirs >&2 || return
		grep -v ' = -1 ' trace | grep -oE 'index\.(mem|json)"' | tr -d '"' | tr '\n' ' '
	}
	run -0 lookup "$D"
	assert_output "index.mem "
	# a copy of the data, its compact index made by the build's tool
	mkdir data
	cp -p "$D/timezones-1970.geojson.index.json" data/
	ln -s "$D/timezones-1970.geojson.geo.dat" data/
	run -0 lookup "$PWD/data"
	assert_output "index.json "
	run -0 "$REPO/build/tz-compact" "$PWD/data"
	run -0 lookup "$PWD/data"
	assert_output "index.mem "
	# the JSON changed since (npm ci again): stale
	touch data/timezones-1970.geojson.index.json
	run -0 lookup "$PWD/data"
	assert_output "index.mem index.json "
	# damaged in the middle, then cut short
	run -0 "$REPO/build/tz-compact" "$PWD/data"
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); n = f.seek(0, 2); f.seek(n // 2); b = f.read(1); f.seek(n // 2); f.write(bytes([b[0] ^ 0x40]))' \
	    data/timezones-1970.geojson.index.mem
	run -0 lookup "$PWD/data"
	assert_output "index.mem index.json "
	run -0 "$REPO/build/tz-compact" "$PWD/data"
	truncate -s 4000 data/timezones-1970.geojson.index.mem
	run -0 lookup "$PWD/data"
	assert_output "index.mem index.json "
	# the JSON gone: the compact index alone is not the data
	run -0 "$REPO/build/tz-compact" "$PWD/data"
	rm data/timezones-1970.geojson.index.json
	MEM_TZ_DATA=$PWD/data run -2 mem-scan --tz-lookup < pos
	assert_output --partial "mem-scan: $PWD/data: no timezones-1970.geojson.index.json"
}

@test "--tz-lookup says '-' for a line that is no valid position and exits 1" {
	printf '48.85 2.35\nnot a position\n91 0\n' > pos
	run -1 mem-scan --tz-lookup < pos
	assert_output "Europe/Paris
-
-"
}

@test "geo-tz's data missing is fatal before any record is written" {
	photo a.jpg 1688205600 48.8566 2.3522
	MEM_TZ_DATA="$BATS_TEST_TMPDIR/nowhere" run -2 mem-scan -o "$OUT" "$G"
	assert_output --partial "mem-scan: $BATS_TEST_TMPDIR/nowhere: no timezones-1970.geojson.index.json"
	[ -z "$(ls -A "$OUT/.mem/items")" ]
}

# --- the cascade ----------------------------------------------------------

@test "each rule writes its offset and says which, in the exact record" {
	# explicit: the JPEG's EXIF wall clock is 9 hours ahead of Google's UTC
	# time, though its place is Paris
	mkdir -p "$GP/A"
	jpeg_at "$GP/A/explicit.jpg" '2023:07:01 21:00:00'
	sidecar "$GP/A/explicit.jpg.json" explicit.jpg 1688212800 48.8566 2.3522 0.0
	photo gps.jpg 1688205600 48.8566 2.3522		# 10:00Z in Paris
	photo neighbour.jpg 1688209200			# 11:00Z, between them
	photo lone.jpg 1673337600			# January, nothing near
	run -0 mem-scan -o "$OUT" --timezone America/New_York "$G"
	run -0 record_of "$OUT" "$GP/A/explicit.jpg"
	assert_output "mem-item=1
source=$GP/A/explicit.jpg
export=google-john.doe-20240101
platform=google-photos
user=john.doe
dest=google-john.doe-20240101/photos/gphotos-john.doe-20230701_2.jpg
kind=image
time=2023-07-01T12:00:00Z
offset=+09:00
time_source=json
lat=48.8566000
lon=2.3522000
album=Google Photos/john.doe
album=A
offset_source=explicit"
	run -0 record_of "$OUT" "$GP/A/gps.jpg"
	assert_output "mem-item=1
source=$GP/A/gps.jpg
export=google-john.doe-20240101
platform=google-photos
user=john.doe
dest=google-john.doe-20240101/photos/gphotos-john.doe-20230701.jpg
kind=image
time=2023-07-01T10:00:00Z
offset=+02:00
time_source=json
lat=48.8566000
lon=2.3522000
album=Google Photos/john.doe
album=A
offset_source=gps
zone=Europe/Paris"
	run -0 record_of "$OUT" "$GP/A/neighbour.jpg"
	assert_output "mem-item=1
source=$GP/A/neighbour.jpg
export=google-john.doe-20240101
platform=google-photos
user=john.doe
dest=google-john.doe-20240101/photos/gphotos-john.doe-20230701_1.jpg
kind=image
time=2023-07-01T11:00:00Z
offset=+02:00
time_source=json
album=Google Photos/john.doe
album=A
offset_source=neighbours
zone=Europe/Paris"
	run -0 record_of "$OUT" "$GP/A/lone.jpg"
	assert_output "mem-item=1
source=$GP/A/lone.jpg
export=google-john.doe-20240101
platform=google-photos
user=john.doe
dest=google-john.doe-20240101/photos/gphotos-john.doe-20230110.jpg
kind=image
time=2023-01-10T08:00:00Z
offset=-05:00
time_source=json
album=Google Photos/john.doe
album=A
offset_source=default
zone=America/New_York"
}

@test "with no rule left the instant is written as UTC, explicitly, whatever TZ says" {
	photo lone.jpg 1673337600
	TZ=Asia/Tokyo run -0 mem-scan -o "$OUT" "$G"
	run -0 summary lone.jpg
	assert_output "2023-01-10T08:00:00Z +00:00 utc  google-john.doe-20240101/photos/gphotos-john.doe-20230110.jpg "
}

@test "offsets are the zone's at the instant: an hour either side of DST changes, Lord Howe, Nepal, far future" {
	# name epoch lat lon expected-offset
	cat > table <<'EOF'
paris-spring-before 1679788800 48.8566 2.3522 +01:00
paris-spring-after 1679796000 48.8566 2.3522 +02:00
paris-autumn-before 1698537600 48.8566 2.3522 +02:00
paris-autumn-after 1698544800 48.8566 2.3522 +01:00
nyc-spring-before 1678600800 40.7128 -74.0060 -05:00
nyc-spring-after 1678608000 40.7128 -74.0060 -04:00
lordhowe-april-before 1680357600 -31.5553 159.0821 +11:00
lordhowe-april-after 1680364800 -31.5553 159.0821 +10:30
lordhowe-october-before 1696084200 -31.5553 159.0821 +10:30
lordhowe-october-after 1696091400 -31.5553 159.0821 +11:00
kathmandu 1688205600 27.7172 85.3240 +05:45
phoenix-summer 1688205600 33.4484 -112.0740 -07:00
navajo-summer 1688205600 36.1350 -111.2399 -06:00
paris-2040-summer 2224756800 48.8566 2.3522 +02:00
lordhowe-2040-january 2210241600 -31.5553 159.0821 +11:00
atsea-atlantic 1688205600 0.0001 -30 -02:00
atsea-pacific 1688205600 0.0001 -175 -12:00
EOF
	while read -r name t lat lon off; do
		photo "$name.jpg" "$t" "$lat" "$lon"
	done < table
	run -0 mem-scan -o "$OUT" "$G"
	while read -r name t lat lon off; do
		echo "$name $(field "$OUT" "$GP/A/$name.jpg" offset) $(field "$OUT" "$GP/A/$name.jpg" offset_source)"
	done < table > got
	awk '{ print $1, $5, "gps" }' table > want
	run -0 diff want got
	# the zone is geo-tz's, the offset Python's zoneinfo reading of it
	awk '{ print $3, $4 }' table | node "$ORACLE" | cut -d, -f1 > zones
	while read -r name t lat lon off; do
		echo "$name $t $(field "$OUT" "$GP/A/$name.jpg" zone) $(field "$OUT" "$GP/A/$name.jpg" offset)"
	done < table > ours
	paste -d' ' <(cut -d' ' -f1,2 table) zones | python3 -c '
import sys, zoneinfo, datetime
for line in sys.stdin:
    name, t, zone = line.split()
    d = datetime.datetime.fromtimestamp(int(t), zoneinfo.ZoneInfo(zone))
    m = int(d.utcoffset().total_seconds()) // 60
    print(name, t, zone, "%s%02d:%02d" % ("-" if m < 0 else "+", abs(m) // 60, abs(m) % 60))' > theirs
	run -0 diff ours theirs
}

@test "a flight Paris to Tokyo: the photo in the air is not guessed, the ones around it are, names take the local day" {
	photo paris.jpg 1688198400 49.0097 2.5479	# 08:00Z at CDG
	photo air.jpg 1688212800			# 12:00Z, no place
	photo tokyo.jpg 1688234400 35.5494 139.7798	# 18:00Z at Haneda
	photo dinner.jpg 1688238000			# 19:00Z, no place
	photo hotel.jpg 1688248800 35.6895 139.6917	# 22:00Z in Shinjuku
	run -0 mem-scan -o "$OUT" "$G"
	run -0 summary air.jpg
	assert_output "2023-07-01T12:00:00Z +00:00 utc  google-john.doe-20240101/photos/gphotos-john.doe-20230701_1.jpg "
	run -0 summary paris.jpg
	assert_output "2023-07-01T08:00:00Z +02:00 gps Europe/Paris google-john.doe-20240101/photos/gphotos-john.doe-20230701.jpg "
	run -0 summary tokyo.jpg
	assert_output "2023-07-01T18:00:00Z +09:00 gps Asia/Tokyo google-john.doe-20240101/photos/gphotos-john.doe-20230702.jpg "
	run -0 summary dinner.jpg
	assert_output "2023-07-01T19:00:00Z +09:00 neighbours Asia/Tokyo google-john.doe-20240101/photos/gphotos-john.doe-20230702_1.jpg "
	run -0 summary hotel.jpg
	assert_output "2023-07-01T22:00:00Z +09:00 gps Asia/Tokyo google-john.doe-20240101/photos/gphotos-john.doe-20230702_2.jpg "
	# with a default the photo in the air takes it, and says so
	run -0 mem-scan -o "$OUT" --timezone Europe/Paris "$G"
	run -0 summary air.jpg
	assert_output "2023-07-01T12:00:00Z +02:00 default Europe/Paris google-john.doe-20240101/photos/gphotos-john.doe-20230701_1.jpg "
}

@test "one side only is no agreement: the last photo of a trip falls to the next rule" {
	photo before.jpg 1688205600 48.8566 2.3522
	photo after.jpg 1688209200
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$GP/A/after.jpg" offset_source)" = utc ]
}

@test "a camera's wall clock becomes an instant through the located items of another export" {
	photo a.jpg 1688209200 48.8566 2.3522		# 11:00Z, 13:00 in Paris
	photo b.jpg 1688216400 48.8566 2.3522		# 13:00Z, 15:00 in Paris
	jpeg_at cam/IMG_0001.JPG '2023:07:01 14:00:00'	# no OffsetTime
	jpeg_at lone/IMG_0002.JPG '2023:01:10 09:00:00'
	run -0 mem-scan -o "$OUT" "$G" cam lone
	run -0 record_of "$OUT" "$PWD/cam/IMG_0001.JPG"
	assert_output "mem-item=1
source=$PWD/cam/IMG_0001.JPG
export=cam
platform=folder
user=cam
dest=cam/media/folder-cam-20230701.jpg
kind=image
time=2023-07-01T12:00:00Z
offset=+02:00
time_source=exif
offset_source=neighbours
zone=Europe/Paris"
	# alone it stays the wall clock it is, and the record says so
	run -0 record_of "$OUT" "$PWD/lone/IMG_0002.JPG"
	assert_output "mem-item=1
source=$PWD/lone/IMG_0002.JPG
export=lone
platform=folder
user=lone
dest=lone/media/folder-lone-20230110.jpg
kind=image
time=2023-01-10T09:00:00Z
time_source=exif
time_zone=local
offset_source=none"
	# the default zone makes it an instant too
	run -0 mem-scan -o "$OUT" --timezone Asia/Kathmandu lone
	[ "$(field "$OUT" "$PWD/lone/IMG_0002.JPG" time) $(field "$OUT" "$PWD/lone/IMG_0002.JPG" offset)" = '2023-01-10T03:15:00Z +05:45' ]
	[ "$(field "$OUT" "$PWD/lone/IMG_0002.JPG" time_zone)" = '' ]
}

@test "--timezone takes IANA names only, and --tz-window a duration up to 7d" {
	mkdir e
	for z in Mars/Olympus_Mons ../../etc/passwd /usr/share/zoneinfo/UTC '' 'Europe/Paris ' Europe right/Europe/Paris; do
		run -2 --separate-stderr mem-scan --timezone "$z" e
		[[ "$stderr" == *"mem-scan: --timezone $z: not an IANA zone name"* ]]
	done
	for w in -1 8d 6x '' h 99999999999999999999; do
		run -2 --separate-stderr mem-scan --tz-window "$w" e
		[[ "$stderr" == *"mem-scan: --tz-window $w: want a duration"* ]]
	done
	run -0 mem-scan --timezone UTC --tz-window 7d e
	run -0 mem-scan --timezone America/Argentina/Buenos_Aires --tz-window 90m e
}

@test "--tz-window bounds how far the neighbours may be" {
	photo a.jpg 1688205600 48.8566 2.3522		# 10:00Z
	photo b.jpg 1688209200				# 11:00Z
	photo c.jpg 1688212800 48.8566 2.3522		# 12:00Z
	run -0 mem-scan -o "$OUT" --tz-window 1h "$G"
	[ "$(field "$OUT" "$GP/A/b.jpg" offset_source)" = neighbours ]
	run -0 mem-scan -o "$OUT" --tz-window 59m "$G"
	[ "$(field "$OUT" "$GP/A/b.jpg" offset_source) $(field "$OUT" "$GP/A/b.jpg" offset)" = 'utc +00:00' ]
}

@test "a photo dated only by its mtime anchors no neighbour, placed or not: files copied at once would all take the zone of a few" {
	mkdir -p trip
	for f in a b c; do
		make_jpeg "trip/$f.jpg"
	done
	# a and c placed in Paris by their GPS, dated by mtime; b between them
	exiftool -q -overwrite_original -GPSLatitude=48.8566 -GPSLatitudeRef=N \
		-GPSLongitude=2.3522 -GPSLongitudeRef=E trip/a.jpg trip/c.jpg
	touch -d '2023-07-01 10:00:00Z' trip/a.jpg
	touch -d '2023-07-01 11:00:00Z' trip/b.jpg
	touch -d '2023-07-01 12:00:00Z' trip/c.jpg
	run -0 mem-scan -o "$OUT" trip
	[ "$(field "$OUT" "$PWD/trip/a.jpg" offset_source) $(field "$OUT" "$PWD/trip/a.jpg" offset)" = 'gps +02:00' ]
	[ "$(field "$OUT" "$PWD/trip/b.jpg" offset_source) $(field "$OUT" "$PWD/trip/b.jpg" offset)" = 'utc +00:00' ]
	# with their camera's clocks instead, they do
	exiftool -q -overwrite_original '-DateTimeOriginal=2023:07:01 12:00:00' trip/a.jpg
	exiftool -q -overwrite_original '-DateTimeOriginal=2023:07:01 14:00:00' trip/c.jpg
	run -0 mem-scan -o "$OUT" trip
	[ "$(field "$OUT" "$PWD/trip/b.jpg" offset_source) $(field "$OUT" "$PWD/trip/b.jpg" offset)" = 'neighbours +02:00' ]
}

# --- what mem-exif makes of it ----------------------------------------------

@test "mem-exif writes the local wall clock and the offset of each rule, as exiftool reads them" {
	mkdir -p "$GP/A"
	make_jpeg "$GP/A/tokyo.jpg"
	sidecar "$GP/A/tokyo.jpg.json" tokyo.jpg 1688234400 35.5494 139.7798 0.0
	make_jpeg "$GP/A/lone.jpg" 80x60	# not a copy of tokyo.jpg
	sidecar "$GP/A/lone.jpg.json" lone.jpg 1673337600
	jpeg_at cam/IMG_0001.JPG '2023:01:10 09:00:00'
	mem-scan -o "$OUT" --records "$G" cam > records
	run -0 mem-exif -o "$OUT" < records
	t="$OUT/google-john.doe-20240101/photos/gphotos-john.doe-20230702.jpg"
	[ "$(exiftool -s3 -ExifIFD:DateTimeOriginal "$t")" = '2023:07:02 03:00:00' ]
	[ "$(exiftool -s3 -OffsetTimeOriginal "$t")" = '+09:00' ]
	[ "$(exiftool -s3 -OffsetTime "$t")" = '+09:00' ]
	[ "$(exiftool -s3 -OffsetTimeDigitized "$t")" = '+09:00' ]
	[ "$(exiftool -s3 -ExifIFD:CreateDate "$t")" = '2023:07:02 03:00:00' ]
	v=$(exiftool -s3 -ExifVersion "$t")
	[[ "$v" == 023[1-9] ]]	# the version OffsetTime* needs
	[ "$(exiftool -s3 -GPSDateStamp -GPSTimeStamp "$t" | tr '\n' ' ')" = '2023:07:01 18:00:00 ' ]
	[ "$(stat -c %Y "$t")" = 1688234400 ]
	u="$OUT/google-john.doe-20240101/photos/gphotos-john.doe-20230110.jpg"
	[ "$(exiftool -s3 -ExifIFD:DateTimeOriginal "$u")" = '2023:01:10 08:00:00' ]
	[ "$(exiftool -s3 -OffsetTimeOriginal "$u")" = '+00:00' ]
	# a wall clock with no zone: as it is, with no offset tag
	w="$OUT/cam/media/folder-cam-20230110.jpg"
	[ "$(exiftool -s3 -ExifIFD:DateTimeOriginal "$w")" = '2023:01:10 09:00:00' ]
	[ "$(exiftool -s3 -OffsetTimeOriginal "$w")" = '' ]
}
