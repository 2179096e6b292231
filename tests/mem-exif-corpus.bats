#!/usr/bin/env bats
# mem-exif over every file of ../shared/corpus (real cameras and phones,
# maker notes, odd and damaged structures), all in one run with a date, an
# offset, a place and a non-ASCII caption. exiftool is the independent
# reader: one run over all sources and one over all outputs (-@ argfile).
bats_require_minimum_version 1.5.0
load helpers/common

CORPUS=${MEM_CORPUS:-$REPO/../shared/corpus}
CAPTION='Café ☕ naïve — 東京'

setup_file() {
	[ -f "$CORPUS/MANIFEST.tsv" ] || skip "no corpus at $CORPUS"
	cd "$BATS_FILE_TMPDIR"
	local i=0 repo path kind ext
	: > srcs.args
	while IFS=$'\t' read -r repo path kind _; do
		[ "$repo" = repo ] && continue
		i=$((i + 1))
		ext=${path##*.}
		printf '%s/%s/%s\n' "$CORPUS" "${repo/\//+}" "$path" >> srcs.args
		printf 'mem-item=1\0source=%s\0dest=%03d.%s\0' \
			"$CORPUS/${repo/\//+}/$path" "$i" "$ext" > "$(printf 'r%03d.item' "$i")"
	done < "$CORPUS/MANIFEST.tsv"
	set +e
	mem-exif -o out --time 2023-01-15T10:30:45+02:00 --gps 48.8584,2.2945,35 \
		--caption "$CAPTION" r*.item > outputs 2> errors
	echo $? > status
	set -e
	# source and output side by side, for the files that were written
	: > pairs
	i=0
	while IFS= read -r src; do
		i=$((i + 1))
		for o in out/$(printf %03d "$i").*; do
			case $o in *.xmp) continue ;; esac
			[ -f "$o" ] && printf '%s\t%s\n' "$src" "$PWD/$o" >> pairs
		done
	done < srcs.args
	cut -f1 pairs > a.args
	cut -f2 pairs > b.args
	exiftool -a -G1 -s -@ a.args > a.tags 2>/dev/null || true
	exiftool -a -G1 -s -@ b.args > b.tags 2>/dev/null || true
}

@test "every corpus file is written; the ones refused are refused by exiftool too" {
	cd "$BATS_FILE_TMPDIR"
	total=$(wc -l < srcs.args)
	written=$(wc -l < pairs)
	# every refusal is one line naming the item, and exiftool cannot
	# write that file either
	while IFS= read -r line; do
		[[ "$line" == "mem-exif: r"[0-9][0-9][0-9]".item: "* ]]
		n=${line#mem-exif: r}
		n=$((10#${n%%.item*}))
		src=$(sed -n "${n}p" srcs.args)
		run -1 exiftool -q -o "$BATS_TEST_TMPDIR/x.${src##*.}" -Artist=x "$src"
	done < errors
	[ "$((written + $(wc -l < errors)))" -eq "$total" ]
	if [ -s errors ]; then [ "$(cat status)" -eq 1 ]; else [ "$(cat status)" -eq 0 ]; fi
}

@test "every tag in a corpus file reads back the same, except the ones mem-exif sets, which read back right" {
	cd "$BATS_FILE_TMPDIR"
	printf '{"date": "2023:01:15 10:30:45", "offset": "+02:00", "lat": "48 deg 51%s 30.24\\"", "caption": "%s"}' \
		"'" "$CAPTION" > want.json
	run -0 python3 "$REPO/tests/helpers/corpus-compare.py" a.tags b.tags want.json
	[ -z "$output" ]
}

@test "exiftool -validate reports nothing new about any corpus file" {
	cd "$BATS_FILE_TMPDIR"
	exiftool -validate -warning -error -a -G1 -s -@ a.args > a.valid 2>&1 || true
	exiftool -validate -warning -error -a -G1 -s -@ b.args > b.valid 2>&1 || true
	run -0 python3 - a.valid b.valid <<'EOF'
import sys
def parse(p):
    out, cur = [], None
    for l in open(p, errors="replace"):
        l = l.rstrip("\n")
        if l.startswith("======== "):
            cur = set()
            out.append((l[9:], cur))
        elif cur is not None and l.startswith("[") and l.split(":")[0].split()[-1] in ("Warning", "Error"):
            cur.add(l.split(":", 1)[1].strip())
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
assert len(a) == len(b)
for (src, x), (_, y) in zip(a, b):
    for w in sorted(y - x):
        print(src, "|", w)
EOF
	[ -z "$output" ]
}

@test "image data, every other segment and chunk, and every box outside moov are byte-identical" {
	cd "$BATS_FILE_TMPDIR"
	run -0 python3 "$REPO/tests/helpers/corpus-data.py" pairs
	[ -z "$output" ]
}

@test "every packet of every track of the corpus videos is byte-identical" {
	cd "$BATS_FILE_TMPDIR"
	n=0
	while IFS=$'\t' read -r src dst; do
		case ${dst##*.} in mp4|mov|m4v|3gp|MP4|MOV) ;; *) continue ;; esac
		ffmpeg -nostdin -loglevel error -i "$src" -map 0 -c copy -f framemd5 - > a.md5
		ffmpeg -nostdin -loglevel error -i "$dst" -map 0 -c copy -f framemd5 - > b.md5
		diff a.md5 b.md5
		n=$((n + 1))
	done < pairs
	[ "$n" -ge 5 ]
}

@test "a file mem-exif does not write into gets an XMP sidecar with the date, place and caption" {
	cd "$BATS_FILE_TMPDIR"
	n=0
	for x in out/*.xmp; do
		[ "$(exiftool -s3 -XMP-exif:DateTimeOriginal "$x")" = "2023:01:15 10:30:45+02:00" ]
		[ "$(exiftool -s3 -XMP-dc:Description "$x")" = "$CAPTION" ]
		[ -n "$(exiftool -s3 -XMP-exif:GPSLatitude "$x")" ]
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}
