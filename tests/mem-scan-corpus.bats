#!/usr/bin/env bats
# mem-scan over the real camera and phone photos of ../shared/corpus, with
# exiftool as the independent reader of what they say.
bats_require_minimum_version 1.5.0
load helpers/common

CORPUS=${MEM_CORPUS:-$REPO/../shared/corpus}

setup() {
	[ -f "$CORPUS/MANIFEST.tsv" ] || skip "no corpus at $CORPUS"
	cd "$BATS_TEST_TMPDIR"
}

@test "every corpus photo (JPEG, HEIC, HEIF, AVIF, TIFF, DNG) is dated by the DateTimeOriginal exiftool reads in its Exif IFD, with its OffsetTimeOriginal, and no other is" {
	local n=0 repo path kind ext
	mkdir export
	# numbered names: no date in a name, only the EXIF or the mtime
	while IFS=$'\t' read -r repo path kind _; do
		ext=${path##*.}
		case $kind:${ext,,} in
		jpeg:*|other:heic|other:heif|other:avif|other:tif|other:tiff|other:dng) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		ln -s "$CORPUS/${repo/\//+}/$path" "export/$(printf 'p%03d' "$n").$ext"
	done < "$CORPUS/MANIFEST.tsv"
	[ "$n" -gt 170 ]
	run -0 mem-scan -o out --records export
	exiftool -j -G1 -ExifIFD:DateTimeOriginal -ExifIFD:OffsetTimeOriginal \
		export/* > tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import calendar, json, os, re, sys, time
want = {}
for t in json.load(open("tags.json")):
    dto = t.get("ExifIFD:DateTimeOriginal")
    m = re.match(r"(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)", str(dto or ""))
    if not m or m.group(1) == "0000":
        want[os.path.basename(t["SourceFile"])] = None
        continue
    wall = calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0))
    off = re.fullmatch(r"([+-])(\d\d):(\d\d)", str(t.get("ExifIFD:OffsetTimeOriginal", "")))
    mins = None
    if off:
        mins = (1 if off.group(1) == "+" else -1) * (int(off.group(2)) * 60 + int(off.group(3)))
    want[os.path.basename(t["SourceFile"])] = (wall, mins)
bad, dated = [], 0
for name in os.listdir(sys.argv[1]):
    rec = dict(f.split("=", 1) for f in
               open(os.path.join(sys.argv[1], name), "rb").read().decode().split("\0") if "=" in f)
    base = os.path.basename(rec["source"])
    utc = calendar.timegm(time.strptime(rec["time"], "%Y-%m-%dT%H:%M:%SZ"))
    w = want.pop(base, "missing")
    if w is None or w == "missing":
        if rec["time_source"] == "exif":
            bad.append("%s: dated by EXIF, exiftool reads no date (%s)" % (base, w))
        continue
    dated += 1
    wall, mins = w
    o = rec.get("offset")
    got_mins = None if o is None else (1 if o[0] == "+" else -1) * (int(o[1:3]) * 60 + int(o[4:6]))
    if rec["time_source"] != "exif":
        bad.append("%s: time_source %s, exiftool reads a date" % (base, rec["time_source"]))
    elif mins is None and (utc != wall or got_mins is not None):
        bad.append("%s: %s %s, not the wall clock without an offset" % (base, rec["time"], o))
    elif mins is not None and (utc != wall - mins * 60 or got_mins != mins):
        bad.append("%s: %s %s, exiftool: %s offset %d" % (base, rec["time"], o, wall, mins))
for b in bad:
    print(b)
print("%d dated, %d wrong, %d not scanned" % (dated, len(bad), len(want)))
sys.exit(1 if bad or want or dated < 100 else 0)
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *" dated, 0 wrong, 0 not scanned" ]]
}

@test "every corpus video is dated as exiftool reads it: Apple's Keys:CreationDate with its offset, else the QuickTime CreateDate in UTC" {
	local n=0 repo path kind
	mkdir export
	while IFS=$'\t' read -r repo path kind _; do
		[ "$kind" = video ] || continue
		n=$((n + 1))
		ln -s "$CORPUS/${repo/\//+}/$path" "export/$(printf 'v%03d' "$n").${path##*.}"
	done < "$CORPUS/MANIFEST.tsv"
	[ "$n" -ge 5 ]
	run -0 mem-scan -o out --records export
	exiftool -j -G1 -Keys:CreationDate -QuickTime:CreateDate export/* > tags.json 2> /dev/null || true
	run python3 - out/.mem/items <<'PY'
import calendar, json, os, re, sys, time
want = {}
for t in json.load(open("tags.json")):
    base = os.path.basename(t["SourceFile"])
    k = re.fullmatch(r"(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)",
                     str(t.get("Keys:CreationDate", "")))
    q = re.fullmatch(r"(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)", str(t.get("QuickTime:CreateDate", "")))
    if k:
        mins = (1 if k.group(7) == "+" else -1) * (int(k.group(8)) * 60 + int(k.group(9)))
        wall = calendar.timegm(tuple(int(g) for g in k.groups()[:6]) + (0, 0, 0))
        want[base] = (wall - mins * 60, mins)
    elif q and q.group(1) != "0000":
        want[base] = (calendar.timegm(tuple(int(g) for g in q.groups()) + (0, 0, 0)), None)
bad, apple = [], 0
for name in os.listdir(sys.argv[1]):
    rec = dict(f.split("=", 1) for f in
               open(os.path.join(sys.argv[1], name), "rb").read().decode().split("\0") if "=" in f)
    base = os.path.basename(rec["source"])
    utc = calendar.timegm(time.strptime(rec["time"], "%Y-%m-%dT%H:%M:%SZ"))
    o = rec.get("offset")
    got = None if o is None else (1 if o[0] == "+" else -1) * (int(o[1:3]) * 60 + int(o[4:6]))
    w = want.pop(base, None)
    if w is None:
        bad.append("%s: exiftool reads no date" % base)
    elif rec["time_source"] != "quicktime" or utc != w[0]:
        bad.append("%s: %s (%s), exiftool: %d" % (base, rec["time"], rec["time_source"], w[0]))
    elif w[1] is not None and (got != w[1] or rec.get("offset_source") != "explicit"):
        bad.append("%s: offset %s (%s), exiftool: %d min" % (base, o, rec.get("offset_source"), w[1]))
    elif w[1] is None and rec.get("offset_source") == "explicit":
        bad.append("%s: an explicit offset %s, exiftool reads none" % (base, o))
    apple += w is not None and w[1] is not None
for b in bad:
    print(b)
print("%d with an Apple date, %d wrong, %d not scanned" % (apple, len(bad), len(want)))
sys.exit(1 if bad or want or apple < 2 else 0)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the date and offset mem-exif writes into every corpus video are the ones mem-scan reads back" {
	local n=0 repo path kind
	mkdir in
	while IFS=$'\t' read -r repo path kind _; do
		[ "$kind" = video ] || continue
		n=$((n + 1))
		cp "$CORPUS/${repo/\//+}/$path" "in/$(printf 'v%03d' "$n").${path##*.}"
	done < "$CORPUS/MANIFEST.tsv"
	run -0 mem-exif -w -o written --time 2021-03-04T05:06:07+05:30 in/*
	run -0 mem-scan -o out --records written
	for f in out/.mem/items/*.item; do
		nul_list "$f" | grep -E '^(time|offset|offset_source)=' | paste -sd ' '
	done > got
	[ "$(wc -l < got)" -eq "$n" ]
	run -0 sort -u got
	[ "$output" = "time=2021-03-03T23:36:07Z offset=+05:30 offset_source=explicit" ]
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
