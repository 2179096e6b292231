# fetch.bash -- the loopback CDN (helpers/cdn.py) and generated exports
# that only link to their media, for tests/mem-fetch.bats.

CDN_PY=$REPO/tests/helpers/cdn.py
VALID='ex=7fffffff&is=65e0f000&hm=0123abcd'	# expires in 2038
EXPIRED='ex=65e2a000&is=65e15080&hm=0123abcd'	# 2024-03-02

# cdn_start [cdn.py options]: serve $CDN_ROOT on 127.0.0.1, log requests to
# $CDN_LOG, and point mem-fetch at it (MEM_FETCH_LOOPBACK).
cdn_start() {
	local pf=$BATS_TEST_TMPDIR/cdn.port i
	CDN_ROOT=$BATS_TEST_TMPDIR/cdn CDN_LOG=$BATS_TEST_TMPDIR/cdn.log
	mkdir -p "$CDN_ROOT"
	: > "$CDN_LOG"
	rm -f "$pf"
	python3 "$CDN_PY" --root "$CDN_ROOT" --log "$CDN_LOG" --port-file "$pf" \
		--lifetime 600 "$@" 3>&- &
	CDN_PID=$!
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	CDN_PORT=$(cat "$pf")
	export MEM_FETCH_LOOPBACK=http://127.0.0.1:$CDN_PORT CDN_ROOT CDN_LOG CDN_PORT
}

cdn_stop() {
	[ -n "${CDN_PID:-}" ] || return 0
	kill "$CDN_PID" 2>/dev/null || true
	wait "$CDN_PID" 2>/dev/null || true
	CDN_PID=
}

# hits METHOD PATH: how many such requests the CDN answered.
hits() {
	awk -v m="$1" -v p="$2" '$1 == m && $2 == p { n++ } END { print n + 0 }' "$CDN_LOG"
}

# link_record FILE ID KEY URL [DEST]: a record as mem-scan writes it for
# an item it only has the link of.
link_record() {
	printf 'mem-item=1\0id=%s\0source=%s\0export=e\0platform=discord\0user=u\0dest=%s\0kind=image\0time=2024-02-28T13:03:11Z\0offset=+01:00\0time_source=json\0caption=Message: "look"\0%s=%s\0' \
		"$2" "$OUT/.mem/fetch/$2" "${5:-e/messages/discord-u-kim-20240228.png}" "$3" "$4" > "$1"
}

# att NAME: a Discord attachment URL (the real shape) of the file NAME.
att() {
	printf 'https://cdn.discordapp.com/attachments/501/%s/%s?%s' \
		"${2:-1210000000000000001}" "$1" "${3:-$VALID}"
}

# discord_export DIR: a Discord data package whose media are only CDN
# links: a DM in messages.json (new format: ISO times with their offset,
# two attachments of one message space-separated) and a server channel in
# the older messages.csv; the CDN serves all but an expired link and a
# gone one. Media: a.jpg, b.jpg, c.mp4 (JSON), d.jpg and g.jpg (CSV, one
# message).
discord_export() {
	local ex=$1
	mkdir -p "$ex/Messages/c501" "$ex/Messages/c502" "$ex/account"
	make_jpeg "$CDN_ROOT/a.jpg" && make_jpeg "$CDN_ROOT/b.jpg" 80x60 &&
	make_video "$CDN_ROOT/c.mp4" && make_jpeg "$CDN_ROOT/d.jpg" 32x24 &&
	make_jpeg "$CDN_ROOT/g.jpg" 48x36 &&
	cp "$CDN_ROOT/a.jpg" "$CDN_ROOT/e.jpg" || return 1
	printf '{"id": "1", "username": "pat"}' > "$ex/account/user.json"
	printf '{"501": "Direct Message with kim#0", "502": "general in Guild"}' \
		> "$ex/Messages/index.json"
	printf '{"id": "501", "type": "DM"}' > "$ex/Messages/c501/channel.json"
	printf '{"id": "502", "type": "GUILD_TEXT", "name": "general", "guild": {"id": "9", "name": "Guild"}}' \
		> "$ex/Messages/c502/channel.json"
	cat > "$ex/Messages/c501/messages.json" <<-JSON
	[{"ID": 1210000000000000001, "Timestamp": "2024-02-28T14:03:11.000+01:00",
	  "Contents": "look", "Attachments": "$(att a.jpg 11) $(att b.jpg 12)"},
	 {"ID": 1210000000000000002, "Timestamp": "2024-02-28T15:00:00.000+01:00",
	  "Contents": "a clip", "Attachments": "$(att c.mp4 13)"},
	 {"ID": 1210000000000000003, "Timestamp": "2024-02-29T09:00:00.000+01:00",
	  "Contents": "old", "Attachments": "$(att e.jpg 14 "$EXPIRED")"},
	 {"ID": 1210000000000000004, "Timestamp": "2024-02-29T09:30:00.000+01:00",
	  "Contents": "gone", "Attachments": "$(att f404-x.jpg 15)"}]
	JSON
	printf 'ID,Timestamp,Contents,Attachments\r\n1,2023-12-24 20:00:00.123000+00:00,"merry ""xmas""",%s\r\n2,2023-12-24 20:05:00.000000+00:00,no files,\r\n' \
		"$(att d.jpg 21) $(att g.jpg 22)" > "$ex/Messages/c502/messages.csv"
}

# snapchat_export DIR: an old Snapchat export, json/memories_history.json
# only: m1 (a POST link answered with the media's URL), m2 (a POST link to
# a ZIP of the media and its overlay), m3 (a direct media URL).
snapchat_export() {
	local ex=$1 z=$BATS_TEST_TMPDIR/zip
	mkdir -p "$ex/json" "$z"
	make_jpeg "$CDN_ROOT/m1.jpg" && make_jpeg "$z/m2-main.jpg" 64x48 &&
	make_jpeg "$CDN_ROOT/m3.jpg" 48x32 &&
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=red@0.5:size=64x48,format=rgba" \
		-frames:v 1 "$z/m2-overlay.png" || return 1
	(cd "$z" && python3 -c 'import zipfile, sys
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write("m2-main.jpg"); z.write("m2-overlay.png")' "$CDN_ROOT/m2.zip") || return 1
	local dl='https://app.snapchat.com/dmd/memories?uid=u1&sid=s1&mid=%s&ts=1700000000&sig=abc'
	cat > "$ex/json/memories_history.json" <<-JSON
	{"Saved Media": [
	 {"Date": "2023-05-01 10:00:00 UTC", "Media Type": "Image",
	  "Location": "Latitude, Longitude: 48.8584, 2.2945",
	  "Download Link": "$(printf "$dl" m1)"},
	 {"Date": "2023-05-02 11:00:00 UTC", "Media Type": "Image",
	  "Location": "Latitude, Longitude: 0.0, 0.0",
	  "Download Link": "$(printf "$dl" m2)"},
	 {"Date": "2023-05-03 12:00:00 UTC", "Media Type": "Image",
	  "Location": "Latitude, Longitude: 40.6892, -74.0445",
	  "Download Link": "$(printf "$dl" m3)",
	  "Media Download Url": "https://app.snapchat.com/dmd/mm/m3?uid=u1&sid=s1&mid=m3&ts=1700000000&sig=abc"}
	]}
	JSON
}

# both_exports: the Discord and the Snapchat export under $BATS_TEST_TMPDIR/in.
both_exports() {
	mkdir -p "$BATS_TEST_TMPDIR/in"
	discord_export "$BATS_TEST_TMPDIR/in/discord-pat-20240301" &&
	snapchat_export "$BATS_TEST_TMPDIR/in/snapchat-pat-20240301"
}

# tag FILE TAG...: exiftool's value(s), one a line.
tag() {
	local f=$1
	shift
	exiftool -s3 "$@" "$f"
}

# pixels FILE: the MD5 of the decoded picture.
pixels() {
	ffmpeg -nostdin -loglevel error -i "$1" -f rawvideo -pix_fmt rgb24 - | md5sum
}
