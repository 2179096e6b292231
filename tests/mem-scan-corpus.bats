#!/usr/bin/env bats
# mem-scan over the real camera and phone photos of ../shared/corpus, with
# exiftool as the independent reader of what they say.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/scan

CORPUS=${MEM_CORPUS:-$REPO/../shared/corpus}

setup() {
	[ -f "$CORPUS/MANIFEST.tsv" ] || skip "no corpus at $CORPUS"
	cd "$BATS_TEST_TMPDIR"
}

# corpus_into DIR HOW REGEX: the corpus files whose "kind:ext" (ext in
# lower case) matches REGEX put in DIR by HOW (ln -s, cp) as f001.ext...:
# numbered, so no name carries a date; prints how many.
corpus_into() {
	local dir=$1 how=$2 re=$3 n=0 repo path kind ext
	mkdir -p "$dir"
	while IFS=$'\t' read -r repo path kind _; do
		ext=${path##*.}
		[[ $kind:${ext,,} =~ $re ]] || continue
		n=$((n + 1))
		$how "$CORPUS/${repo/\//+}/$path" "$dir/$(printf 'f%03d' "$n").$ext"
	done < "$CORPUS/MANIFEST.tsv"
	echo "$n"
}

@test "every corpus photo (JPEG, HEIC, HEIF, AVIF, TIFF, DNG) is dated as exiftool reads it, in Immich's order: the Exif IFD's DateTimeOriginal, else its CreateDate, the CreateDate first where only it has its SubSecTime or OffsetTime tag (its instant by its own offset tag, else by the file's zone, and shown at that zone: its maker note's TimeZone, else OffsetTimeOriginal, OffsetTimeDigitized, TimeZoneOffset's hours), else in a JPEG's or a TIFF's XMP photoshop:DateCreated, IPTC's DateCreated, XMP's exif:DateTimeOriginal, pdf:CreationDate, IPTC's DigitalCreationDate, XMP's xmp:CreateDate; else an older camera's maker note's or APP12's DateTimeOriginal; else by its GPS clock (time_source=gps); and no other is" {
	[ "$(corpus_into export 'ln -s' '^(jpeg|other:(heic|heif|avif|tif|tiff|dng)):')" -gt 220 ]
	run -0 mem-scan -o out --records export
	exiftool -j -G1 -ExifIFD:DateTimeOriginal -ExifIFD:OffsetTimeOriginal \
		-ExifIFD:CreateDate -ExifIFD:OffsetTimeDigitized -ExifIFD:SubSecTimeOriginal \
		-ExifIFD:SubSecTimeDigitized -XMP-photoshop:DateCreated \
		-IPTC:DateCreated -IPTC:TimeCreated -XMP-exif:DateTimeOriginal -XMP-pdf:CreationDate \
		-IPTC:DigitalCreationDate -IPTC:DigitalCreationTime \
		-XMP-xmp:CreateDate -Composite:GPSDateTime -XMP-exif:GPSDateTime \
		-MakerNotes:TimeZone -MakerNotes:DaylightSavings -ExifIFD:TimeZoneOffset -IFD0:TimeZoneOffset -IFD0:Make \
		-MakerNotes:DateTimeOriginal -APP12:DateTimeOriginal \
		export/* > tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import json, os, re, sys
sys.path.insert(0, os.environ["REPO"] + "/tests/helpers")
from dates import records, as_read, instant, exiftool_date, minutes, report
want = {}
for t in json.load(open("tags.json")):
    d = None
    # exiftool's SubSec composites come first: a date with its SubSecTime
    # or OffsetTime tag
    rich = lambda s, o: ("ExifIFD:SubSecTime" + s) in t or ("ExifIFD:OffsetTime" + o) in t
    create_first = "ExifIFD:CreateDate" in t and rich("Digitized", "Digitized") and \
        not rich("Original", "Original")
    for date, zone in (("ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal"),
                       ("ExifIFD:CreateDate", "ExifIFD:OffsetTimeDigitized"),
                       ("XMP-photoshop:DateCreated", None), ("IPTC:DateCreated", "IPTC:TimeCreated"),
                       ("XMP-exif:DateTimeOriginal", None), ("XMP-pdf:CreationDate", None),
                       ("IPTC:DigitalCreationDate", "IPTC:DigitalCreationTime"),
                       ("XMP-xmp:CreateDate", None)):
        v = str(t.get(date, ""))
        if date == "ExifIFD:DateTimeOriginal" and create_first:
            continue
        if not date.startswith("ExifIFD") and \
                os.path.splitext(t["SourceFile"])[1] not in (".jpg", ".tif", ".tiff", ".dng"):
            continue	# XMP and IPTC are read in JPEGs and TIFF structures only
        if date.startswith("IPTC"):
            # "2006:10:29" and "06:27:51-05:00": one date, none without its time
            v = v + " " + str(t.get(zone, "")) if zone in t else ""
            zone = None
        if exiftool_date(v[:19]) is not None:
            d = ("exif", exiftool_date(v[:19] + (str(t.get(zone, "")) if zone else v[19:].lstrip(".0123456789"))))
            # exiftool-vendored's zone, which Immich shows the file at:
            # the first of its maker note's TimeZone (a Nikon's summer
            # time an hour more), OffsetTimeOriginal, OffsetTimeDigitized
            # and TimeZoneOffset (one number of hours; two print as a
            # string, in which it finds only a negative second). An EXIF
            # date's own offset tag still places the instant.
            z = None
            if date.startswith("ExifIFD"):
                mz = [str(x) for k, x in t.items() if k.endswith(":TimeZone")]
                tzo = t.get("ExifIFD:TimeZoneOffset", t.get("IFD0:TimeZoneOffset"))
                if isinstance(tzo, str) and re.fullmatch(r"-?\d+ -\d+", tzo):
                    tzo = int(tzo.split()[1])
                if mz and minutes(mz[0]) is not None:
                    m = minutes(mz[0])
                    if "nikon" in str(t.get("IFD0:Make", "")).lower() and any(
                            k.endswith(":DaylightSavings") and x in ("Yes", "On") for k, x in t.items()):
                        m += 60
                    z = m
                elif minutes(t.get("ExifIFD:OffsetTimeOriginal")) is not None:
                    z = minutes(t.get("ExifIFD:OffsetTimeOriginal"))
                elif minutes(t.get("ExifIFD:OffsetTimeDigitized")) is not None:
                    z = minutes(t.get("ExifIFD:OffsetTimeDigitized"))
                elif isinstance(tzo, int) and -11 <= tzo <= 14:
                    z = tzo * 60
            if z is not None:
                i = d[1][0] if d[1][1] is not None else d[1][0] - z * 60
                d = ("exif", (i, z))
            break
    # else an older camera's own, which exiftool calls DateTimeOriginal too:
    # a maker note's (Casio, Reconyx, CIFF), else an APP12 picture info's
    for g in ("MakerNotes", "APP12"):
        v = [str(x) for k, x in t.items() if k.endswith(":DateTimeOriginal") and
             not k.startswith(("ExifIFD:", "XMP-")) and (g == "APP12") == (k == "PictureInfo:DateTimeOriginal")]
        if d is None and v and exiftool_date(v[0][:19]) is not None:
            d = ("exif", exiftool_date(v[0][:19]))
    # Immich's last date tag: the GPS clock, an instant ("...:09.5Z"),
    # EXIF's, else (in a JPEG) XMP's
    v = str(t.get("Composite:GPSDateTime", ""))
    if not v and os.path.splitext(t["SourceFile"])[1] == ".jpg":
        v = str(t.get("XMP-exif:GPSDateTime", ""))
    if d is None and exiftool_date(v[:19]) is not None:
        d = ("gps", exiftool_date(v[:19] + "Z"))
    want[os.path.basename(t["SourceFile"])] = d
bad, dated = [], 0
for rec in records(sys.argv[1]):
    base = os.path.basename(rec["source"])
    w = want.pop(base, None)
    if w is None:
        if rec["time_source"] in ("exif", "gps"):
            bad.append("%s: dated by %s, exiftool reads no date" % (base, rec["time_source"]))
        continue
    dated += 1
    src, w = w
    got = as_read(rec) if src == "exif" else (instant(rec), 0)
    if rec["time_source"] != src or got != w:
        bad.append("%s: %s %s (%s), exiftool: %d %s (%s)" % (base, rec["time"], rec.get("offset"),
                   rec["time_source"], w[0], w[1], src))
report(bad + ["%s: not scanned" % w for w in want],
       "%d dated, %d wrong, %d not scanned" % (dated, len(bad), len(want)), dated >= 115)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "every corpus photo's EXIF GPS position is its record's place, as exiftool reads it (gps_source=exif), and a wall clock without an offset has the offset of the zone there at that time (offset_source=gps)" {
	[ "$(corpus_into export 'ln -s' '^(jpeg|png|other:(heic|heif|avif|tif|tiff|dng|webp|cr2|nef)):')" -gt 220 ]
	run -0 mem-scan -o out --records export
	exiftool -j -n -GPS:GPSLatitude -GPS:GPSLatitudeRef -GPS:GPSLongitude -GPS:GPSLongitudeRef \
		export/* > tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import datetime, json, os, sys, zoneinfo
sys.path.insert(0, os.environ["REPO"] + "/tests/helpers")
from dates import records, instant, minutes, report
want = {}
for t in json.load(open("tags.json")):
    try:
        lat = float(t["GPSLatitude"]) * {"N": 1, "S": -1}[t["GPSLatitudeRef"]]
        lon = float(t["GPSLongitude"]) * {"E": 1, "W": -1}[t["GPSLongitudeRef"]]
    except (KeyError, ValueError):
        continue	# no position, or none that reads as one
    if (lat, lon) != (0, 0):
        want[os.path.basename(t["SourceFile"])] = (lat, lon)
bad, placed, zoned = [], 0, 0
for rec in records(sys.argv[1]):
    base = os.path.basename(rec["source"])
    w = want.pop(base, None)
    got = (float(rec["lat"]), float(rec["lon"])) if "lat" in rec else None
    if w is None:
        if got is not None:
            bad.append("%s: placed at %s, exiftool reads no GPS" % (base, got))
        continue
    placed += 1
    if got is None or rec.get("gps_source") != "exif" or abs(got[0] - w[0]) > 1e-6 or abs(got[1] - w[1]) > 1e-6:
        bad.append("%s: %s (%s), exiftool: %s" % (base, got, rec.get("gps_source"), w))
    if rec.get("offset_source") == "gps":
        zoned += 1
        t = datetime.datetime.fromtimestamp(instant(rec), datetime.timezone.utc)
        off = t.astimezone(zoneinfo.ZoneInfo(rec["zone"])).utcoffset() // datetime.timedelta(minutes=1)
        if off != minutes(rec["offset"]):
            bad.append("%s: offset %s, %s is at %+d min then" % (base, rec["offset"], rec["zone"], off))
report(bad + ["%s: not scanned" % w for w in want],
       "%d placed, %d zoned by their place, %d wrong" % (placed, zoned, len(bad)), placed >= 40 and zoned >= 15)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "every other corpus file (PNG, WebP, GIF, camera raws, AVI, Matroska, AVCHD) is dated by the DateTimeOriginal exiftool reads in it, with its offset, and none without one is" {
	[ "$(corpus_into export 'ln -s' '^(png|mkv|other:(png|webp|gif|cr2|nef|avi|mts)):')" -eq 13 ]
	run -0 mem-scan -o out --records export
	exiftool -j -DateTimeOriginal -OffsetTimeOriginal export/* > tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["REPO"] + "/tests/helpers")
from dates import records, as_read, exiftool_date, report
want = {}
for t in json.load(open("tags.json")):
    d = str(t.get("DateTimeOriginal", ""))
    # "21:17:48.5Z" (Matroska): the second's fraction goes, the zone stays
    if len(d) > 19 and d[19] == ".":
        d = d[:19] + d[19:].lstrip(".0123456789")
    want[os.path.basename(t["SourceFile"])] = exiftool_date(d + str(t.get("OffsetTimeOriginal", "")))
bad, dated = [], 0
for rec in records(sys.argv[1]):
    base = os.path.basename(rec["source"])
    w = want.pop(base, None)
    src = rec["time_source"]
    if w is None:
        if src not in ("mtime", "filename"):
            bad.append("%s: dated by %s, exiftool reads no date" % (base, src))
        continue
    dated += 1
    got, off = as_read(rec)
    if src in ("mtime", "filename") or got != w[0] or (src != "matroska" and off != w[1]):
        bad.append("%s: %s %s (%s), exiftool: %d %s" % (base, rec["time"], rec.get("offset"),
                   src, w[0], w[1]))
report(bad + ["%s: not scanned" % w for w in want],
       "%d dated, %d wrong, %d not scanned" % (dated, len(bad), len(want)), dated >= 6)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "an AVI whose IDIT says 2009/10/27 12:14:34 (a Pentax K-x's) is dated 12:14:00, as exiftool reads it and the server shows it" {
	mkdir export
	cp "$CORPUS/exiftool+exiftool/t/images/Pentax.avi" export/
	run -0 exiftool -q -p '$DateTimeOriginal' export/Pentax.avi
	assert_output "2009:10:27 12:14:00"
	run -0 mem-scan -o out --records export
	run -0 nul_list out/.mem/items/*.item
	assert_line time=2009-10-27T12:14:00Z
	assert_line time_source=riff
}

@test "every corpus video is dated as exiftool reads it: Apple's Keys:CreationDate with its offset, else the QuickTime CreateDate in UTC; one placed by its moov is shown at its place's zone (geo-tz's), as exiftool-vendored zones it for Immich (offset_source=tags)" {
	[ "$(corpus_into export 'ln -s' '^video:')" -ge 5 ]
	run -0 mem-scan -o out --records export
	exiftool -j -n -G1 -Keys:CreationDate -QuickTime:CreateDate -GPSCoordinates export/* \
		> tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import datetime, json, os, subprocess, sys, zoneinfo
sys.path.insert(0, os.environ["REPO"] + "/tests/helpers")
from dates import records, instant, minutes, exiftool_date, report
want, placed = {}, {}
for t in json.load(open("tags.json")):
    base = os.path.basename(t["SourceFile"])
    k = exiftool_date(t.get("Keys:CreationDate"))
    want[base] = k if k and k[1] is not None else exiftool_date(t.get("QuickTime:CreateDate"))
    at = [str(v).split()[:2] for g, v in t.items() if g.endswith(":GPSCoordinates")]
    if at:
        placed[base] = " ".join(at[0])
# the zone of each place, by geo-tz itself
names = sorted(placed)
zones = subprocess.run(["node", os.environ["REPO"] + "/deps/tz/find-lines.js"],
                       input="".join(placed[b] + "\n" for b in names), capture_output=True,
                       text=True, check=True, env=dict(os.environ, NODE_PATH=os.environ["REPO"] +
                       "/deps/tz/node_modules")).stdout.split("\n")
zone = {b: zones[i].split(",")[0] for i, b in enumerate(names)}
bad, apple, shown = [], 0, 0
for rec in records(sys.argv[1]):
    base = os.path.basename(rec["source"])
    w = want.pop(base, None)
    if w is None:
        bad.append("%s: exiftool reads no date" % base)
        continue
    src, off = "explicit", w[1]
    if w[1] is not None and base in zone:
        src = "tags"
        off = int(zoneinfo.ZoneInfo(zone[base]).utcoffset(
            datetime.datetime.fromtimestamp(w[0], datetime.timezone.utc).replace(tzinfo=None))
            .total_seconds()) // 60
        shown += 1
    if rec["time_source"] != "quicktime" or instant(rec) != w[0] or \
            (w[1] is not None and (rec.get("offset_source") != src or minutes(rec.get("offset")) != off
                                   or (src == "tags" and rec.get("zone") != zone[base]))) \
            or (w[1] is None and rec.get("offset_source") in ("explicit", "tags")):
        bad.append("%s: %s %s (%s %s), exiftool: %d %s, place's zone %s" % (base, rec["time"],
                   rec.get("offset"), rec.get("offset_source"), rec.get("zone"), w[0], w[1],
                   zone.get(base)))
    apple += w[1] is not None
report(bad + ["%s: not scanned" % w for w in want],
       "%d with an Apple date, %d of them placed, %d wrong, %d not scanned" %
       (apple, shown, len(bad), len(want)), apple >= 2 and shown >= 2)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the instant mem-exif writes into every corpus video is the one mem-scan reads back, at the offset written, or where the video's moov places it, at its place's zone (as Immich shows it)" {
	local n
	n=$(corpus_into in cp '^video:')
	run -0 mem-exif -w -o written --time 2021-03-04T05:06:07+05:30 in/*
	run -0 mem-scan -o out --records written
	for f in out/.mem/items/*.item; do
		nul_list "$f" | grep -E '^(time|offset|offset_source|zone)=' | paste -sd ' '
	done > got
	[ "$(wc -l < got)" -eq "$n" ]
	# one instant; the five videos placed by their moov are shown at their
	# place's zone, as Immich shows them
	run -0 sh -c 'sort got | uniq -c | sed "s/^ *//"'
	assert_output "1 time=2021-03-03T23:36:07Z offset=+00:00 offset_source=tags zone=Europe/London
1 time=2021-03-03T23:36:07Z offset=+01:00 offset_source=tags zone=Europe/Berlin
2 time=2021-03-03T23:36:07Z offset=+01:00 offset_source=tags zone=Europe/Paris
1 time=2021-03-03T23:36:07Z offset=+02:00 offset_source=tags zone=Asia/Jerusalem
$((n - 5)) time=2021-03-03T23:36:07Z offset=+05:30 offset_source=explicit"
}

@test "a file is shown at the zone exiftool-vendored gives it, its instant kept: a Canon's maker-note zone over its offset tag; the EXIF zone tags' zone over an XMP date's own offset; else, for a date with its own offset (XMP, IPTC, Apple's creationdate), the zone of the place the file gives (offset_source=tags); mem-exif writes none of it" {
	mkdir export
	own_offset_files export
	run -0 exiftool -q -q -f -p '$FileName $TimeZone|$OffsetTimeOriginal' export/canon.jpg
	assert_output "canon.jpg +01:00|+09:00"
	mem-scan -o out --records export > records
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep -E "^(source|time|offset|offset_source|zone)=" | sed "s|^source=.*/||" | paste -sd " "; done | sort'
	assert_output "canon.jpg time=2015-02-09T13:47:44Z offset=+01:00 offset_source=explicit
iptc.jpg time=2012-03-04T10:06:07Z offset=+09:00 offset_source=tags zone=Asia/Tokyo
placed.mov time=2023-07-02T02:30:00Z offset=+02:00 offset_source=tags zone=Europe/Paris
unplaced.mov time=2023-07-02T02:30:00Z offset=-04:00 offset_source=explicit
xmp.jpg time=2011-02-03T07:05:06Z offset=+01:00 offset_source=tags zone=Europe/Paris
zoned.jpg time=2011-02-03T07:05:06Z offset=+09:00 offset_source=explicit"
	# named by the day Immich shows: placed.mov on July 2
	run -0 mem-exif -o out < records
	run -0 ls out/export/media
	assert_output "folder-export-20110203.jpg
folder-export-20110203_1.jpg
folder-export-20120304.jpg
folder-export-20150209.jpg
folder-export-20230701.mov
folder-export-20230702.mov"
	left_as_they_are
}

@test "a Nikon raw's maker-note zone is read where its maker note lies past the first MiB, or says it is longer than the bytes read first (a raw's holds its preview), as exiftool reads it" {
	local J=$CORPUS/ianare+exif-samples/jpg/tests/32-lens_data.jpeg
	mkdir export
	python3 "$REPO/tests/helpers/raws.py" nef export/far.nef "$J" far
	python3 "$REPO/tests/helpers/raws.py" nef export/long.nef "$J" long
	run -0 exiftool -q -q -f -p '$FileName $TimeZone|$DaylightSavings|$DateTimeOriginal|$OffsetTimeOriginal' export/*.nef
	assert_output "far.nef +03:00|No|2012:07:14 16:30:12|-
long.nef +03:00|No|2012:07:14 16:30:12|-"
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "far.nef 2012-07-14T13:30:12Z +03:00 exif
long.nef 2012-07-14T13:30:12Z +03:00 exif"
}

@test "an iPhone HEIC in a Takeout takes its offset from its EXIF clock against the sidecar's UTC time, as a JPEG does" {
	local dir="takeout/Takeout/Google Photos/Photos from 2021"
	mkdir -p "$dir"
	cp "$CORPUS/ianare+exif-samples/heic/IMG_5195.HEIC" "$dir/"
	# exiftool: DateTimeOriginal 2021:04:11 15:47:53, OffsetTimeOriginal -05:00
	printf '{"title": "IMG_5195.HEIC", "photoTakenTime": {"timestamp": "%s"}}' \
		"$(date -u -d '2021-04-11 20:47:53' +%s)" > "$dir/IMG_5195.HEIC.json"
	run -0 mem-scan -o out --records takeout
	run -0 nul_list out/.mem/items/*.item
	assert_line time=2021-04-11T20:47:53Z
	assert_line offset=-05:00
	assert_line offset_source=explicit
}
