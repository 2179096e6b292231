#!/usr/bin/env bats
# mem-scan under hostile conditions (issue 18): near-identical files,
# unreadable folders, dangling and looping links, names from metadata.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan
load helpers/peers

setup() {
	cd "$BATS_TEST_TMPDIR"
	G="$BATS_TEST_TMPDIR/google-ann-20240101"
	Y="$G/Takeout/Google Photos/Photos from 2021"
	OUT="$BATS_TEST_TMPDIR/out"
}

# scans: two BMP "scans" of one size, white margins, whose first and last
# 16 KiB agree and whose middles differ by one pixel.
scans() {
	python3 - "$Y" <<'PY'
import sys
d = sys.argv[1]
w, h = 256, 256
for name, mark in (('scan-a.bmp', 0x10), ('scan-b.bmp', 0x20)):
    px = bytearray(b'\xff' * w * h * 3)
    px[(h // 2 * w + w // 2) * 3] = mark
    head = b'BM' + (54 + len(px)).to_bytes(4, 'little') + b'\0\0\0\0' + (54).to_bytes(4, 'little')
    info = (40).to_bytes(4, 'little') + w.to_bytes(4, 'little') + h.to_bytes(4, 'little') + \
        (1).to_bytes(2, 'little') + (24).to_bytes(2, 'little') + b'\0' * 4 + len(px).to_bytes(4, 'little') + b'\0' * 16
    open(d + '/' + name, 'wb').write(head + info + px)
PY
}

@test "two scans of one size whose first and last 16 KiB agree are two items, each with its caption" {
	mkdir -p "$Y"
	scans
	side "$Y/scan-a.bmp.json" 1600000001 '"description": "grandma"'
	side "$Y/scan-b.bmp.json" 1600000002 '"description": "grandpa"'
	[ "$(stat -c %s "$Y/scan-a.bmp")" = "$(stat -c %s "$Y/scan-b.bmp")" ]
	cmp -s -n 16384 "$Y/scan-a.bmp" "$Y/scan-b.bmp"
	[ "$(tail -c 16384 "$Y/scan-a.bmp" | md5sum)" = "$(tail -c 16384 "$Y/scan-b.bmp" | md5sum)" ]
	run -1 cmp -s "$Y/scan-a.bmp" "$Y/scan-b.bmp"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 2 ]
	taken "$OUT" "$Y/scan-a.bmp" 1600000001
	taken "$OUT" "$Y/scan-b.bmp" 1600000002
	[ "$(field "$OUT" "$Y/scan-a.bmp" caption)" = grandma ]
	[ "$(field "$OUT" "$Y/scan-b.bmp" caption)" = grandpa ]
}

@test "byte-identical copies in a year folder and an album are one item in both" {
	photo "$Y/IMG_1.jpg"
	mkdir -p "$G/Takeout/Google Photos/Trip"
	cp "$Y/IMG_1.jpg" "$G/Takeout/Google Photos/Trip/IMG_1.jpg"
	side "$Y/IMG_1.jpg.json" 1600000001
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 1 ]
	[ "$(field "$OUT" "$Y/IMG_1.jpg" album | tail -1)" = Trip ]
}

@test "files of 0 bytes are never merged: each keeps its own sidecar" {
	mkdir -p "$Y"
	: > "$Y/a.jpg"
	: > "$Y/b.jpg"
	side "$Y/a.jpg.json" 1600000001
	side "$Y/b.jpg.json" 1600000002
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/a.jpg" 1600000001
	taken "$OUT" "$Y/b.jpg" 1600000002
}

# as_nobody CMD...: run as an unprivileged user (root reads everything).
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

@test "an unreadable folder in an export is a failure: exit 1, named on stderr and in the report" {
	local d="$BATS_TEST_TMPDIR"
	while :; do	# bats' own temp folders, so nobody reaches the export
		chmod a+x "$d"
		[ "$d" != "$BATS_RUN_TMPDIR" ] && [ "$d" != / ] || break
		d=$(dirname "$d")
	done
	photo "$G/Takeout/Google Photos/Photos from 2021/IMG_1.jpg"
	side "$Y/IMG_1.jpg.json" 1600000001
	photo "$G/Takeout/Google Photos/Secret/IMG_2.jpg"
	chmod -R a+rX "$G"
	chmod 700 "$G/Takeout/Google Photos/Secret"
	mkdir -m 777 "$OUT"
	run -1 --separate-stderr as_nobody "$MEM_BIN/mem-scan" -o "$OUT" "$G"
	[ "$stderr" = "mem-scan: $G/Takeout/Google Photos/Secret: Permission denied" ]
	[ "$output" = "$Y/IMG_1.jpg" ]
	run -0 report "$OUT" google-ann-20240101
	assert_output 'failed Takeout/Google Photos/Secret | Permission denied'
}

@test "a dangling symlink in an export is a failure: exit 1, named on stderr and in the report" {
	photo "$Y/IMG_1.jpg"
	ln -s "$BATS_TEST_TMPDIR/gone.jpg" "$Y/IMG_2.jpg"
	run -1 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$stderr" = "mem-scan: $Y/IMG_2.jpg: No such file or directory" ]
	[ "$output" = "$Y/IMG_1.jpg" ]
	run -0 report "$OUT" google-ann-20240101
	assert_line 'failed Takeout/Google Photos/Photos from 2021/IMG_2.jpg | No such file or directory'
}

@test "a symlink that loops on itself is a failure: exit 1, named on stderr and in the report" {
	photo "$Y/IMG_1.jpg"
	ln -s loop-b "$Y/loop-a"
	ln -s loop-a "$Y/loop-b"
	run -1 --separate-stderr mem-scan -o "$OUT" "$G"
	assert_equal "$(printf '%s\n' "$stderr" | sort)" "mem-scan: $Y/loop-a: Too many levels of symbolic links
mem-scan: $Y/loop-b: Too many levels of symbolic links"
	run -0 report "$OUT" google-ann-20240101
	assert_line 'failed Takeout/Google Photos/Photos from 2021/loop-a | Too many levels of symbolic links'
	assert_line 'failed Takeout/Google Photos/Photos from 2021/loop-b | Too many levels of symbolic links'
}

# discord_with USER: a Discord package (its directory names no user) whose
# account/user.json holds USER, one DM with one real PNG.
discord_with() {
	local P="$BATS_TEST_TMPDIR/package" c="$BATS_TEST_TMPDIR/package/Messages/c111"
	rm -rf "$P" "$OUT"
	mkdir -p "$P/account" "$c"
	python3 - "$P" "$1" <<'PY'
import json, sys
p, user = sys.argv[1], sys.argv[2]
json.dump({"id": "1", "username": user}, open(p + "/account/user.json", "w"))
json.dump({"111": "Direct Message with pal#0"}, open(p + "/Messages/index.json", "w"))
json.dump({"id": "111", "type": 1, "recipients": ["1", "2"]}, open(p + "/Messages/c111/channel.json", "w"))
json.dump([{"ID": 9001, "Timestamp": "2022-07-01 18:30:00", "Contents": "hi",
            "Attachments": "https://cdn.discordapp.com/attachments/111/9001/shot.png"}],
          open(p + "/Messages/c111/messages.json", "w"))
PY
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=32x24" -frames:v 1 "$c/shot.png"
	run -0 --separate-stderr mem-scan -o "$OUT" "$P"
	[ "$stderr" = '' ]
	[ "$output" = "$c/shot.png" ]
	dest=$(field "$OUT" "$c/shot.png" dest)
}

@test "a user name read from JSON with a slash stays inside one file name" {
	discord_with 'sub/dir'
	[ "$dest" = package/messages/discord-sub_dir-pal-20220701.png ]
	[ "$(field "$OUT" "$BATS_TEST_TMPDIR/package/Messages/c111/shot.png" user)" = sub/dir ]
}

@test "a user name read from JSON that is .. is not a path step" {
	discord_with '..'
	[ "$dest" = package/messages/discord-__-pal-20220701.png ]
}

@test "a user name of 300 characters read from JSON is cut to a file name that can be made" {
	discord_with "$(printf 'é%.0s' $(seq 150))"
	[ "$dest" = "package/messages/discord-$(printf 'é%.0s' $(seq 32))-pal-20220701.png" ]
	mkdir -p "$OUT/$(dirname "$dest")"
	: > "$OUT/$dest"
}

# snap_from SENDER: a Snapchat export of the older shape whose one received
# chat photo is from SENDER (the conversation is named by the other user,
# through msgs.c's conv_slug and export.c's name_part).
snap_from() {
	local ex="$BATS_TEST_TMPDIR/snapchat-lou-20200101"
	rm -rf "$ex" "$OUT"
	mkdir -p "$ex/messages/json" "$ex/messages/chat_media"
	make_jpeg "$ex/messages/chat_media/2019-09-09_b~OLD1.jpg"
	python3 - "$ex/messages/json" "$1" <<'PY'
import json, sys
d, sender = sys.argv[1], sys.argv[2]
json.dump({"Received Saved Chat History": [{"From": sender, "Media Type": "MEDIA",
           "Created": "2019-09-09 09:09:09 UTC", "Text": "", "Media IDs": "b~OLD1"}]},
          open(d + "/chat_history.json", "w"))
json.dump({}, open(d + "/snap_history.json", "w"))
PY
	src="$ex/messages/chat_media/2019-09-09_b~OLD1.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$ex"
	[ "$stderr" = '' ]
	[ "$output" = "$src" ]
	dest=$(field "$OUT" "$src" dest)
}

@test "a Snapchat sender named with slashes, dots and a newline names one file in the messages folder" {
	snap_from $'../../Etc/Pass\nWD'
	[ "$dest" = snapchat-lou-20200101/messages/snap-messages-lou-etcpasswd-20190909.jpg ]
	record_of "$OUT" "$src" | grep -qx 'Conversation: "../../Etc/Pass WD"'
}

@test "a Snapchat sender named only by punctuation is the conversation unknown" {
	snap_from '../..//'
	[ "$dest" = snapchat-lou-20200101/messages/snap-messages-lou-unknown-20190909.jpg ]
}

@test "a Snapchat sender of 300 characters is cut to a file name that can be made" {
	snap_from "$(printf 'é%.0s' $(seq 150))"
	[ "$dest" = "snapchat-lou-20200101/messages/snap-messages-lou-$(printf 'é%.0s' $(seq 25))-20190909.jpg" ]
	mkdir -p "$OUT/$(dirname "$dest")"
	: > "$OUT/$dest"
}

@test "a Discord message with a time that is not understood and only a CDN link is an item without a time, with a warning" {
	local P="$BATS_TEST_TMPDIR/package" c="$BATS_TEST_TMPDIR/package/Messages/c221"
	mkdir -p "$P/account" "$c"
	printf '{"id": "1", "username": "ann"}' > "$P/account/user.json"
	printf '{"221": "Direct Message with pal#0"}' > "$P/Messages/index.json"
	printf '{"id": "221", "type": 1}' > "$c/channel.json"
	printf 'ID,Timestamp,Contents,Attachments\r\n7001,2021-12-24 20:00:00.12300:+00,hi,https://cdn.discordapp.com/attachments/221/7001/clip.mp4\r\n' \
		> "$c/messages.csv"
	run -0 --separate-stderr mem-scan -o "$OUT" "$P"
	[ "$stderr" = "mem-scan: $c/messages.csv: Timestamp \"2021-12-24 20:00:00.12300:+00\" not understood" ]
	r=$(grep -lx 'url=https://cdn.discordapp.com/attachments/221/7001/clip.mp4' --null-data "$OUT"/.mem/items/*.item)
	[ -n "$r" ]
	run -1 grep -ax --null-data 'time=.*' "$r"
}

@test "a Google Photos file named only (1).jpg beside another's sidecar is an item of its own, dated by its file" {
	photo "$Y/(1).jpg"
	photo "$Y/IMG_1234.jpg"
	side "$Y/IMG_1234.jpg.json" 1600000001
	touch -d @1500000000 "$Y/(1).jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 2 ]
	[ "$(field "$OUT" "$Y/IMG_1234.jpg" time)" = "$(iso 1600000001)" ]
	[ "$(field "$OUT" "$Y/(1).jpg" time)" = "$(iso 1500000000)" ]
	[ "$(field "$OUT" "$Y/(1).jpg" time_source)" = mtime ]
}
