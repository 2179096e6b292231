#!/usr/bin/env bats
# Exports as they really come (issue 15): Snapchat's 2026 memories in the
# ZIP parts with empty links, memoria's preprocessed Discord and iMessage,
# Instagram message pages, Google Voice and Chat variants, Snapchat's
# json/chat_media/. The trees are built by tests/helpers/layout-trees.py
# with real media and one distinct time per file.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	OUT="$BATS_TEST_TMPDIR/out"
}

# tree KIND [NAME]: the export NAME (x-KIND-20240101) in $E.
tree() {
	E="$BATS_TEST_TMPDIR/${2:-x-$1-20240101}"
	python3 "$REPO/tests/helpers/layout-trees.py" "$1" "$E"
}

# rec SOURCE: SOURCE's record, one field a line: time, time_source, lat, lon,
# overlay (what a Snapchat memory's matching decides).
rec() {
	record_of "$OUT" "$1" | grep -E '^(time|time_source|lat|lon|overlay)='
}

# --- Snapchat's 2026 memories ----------------------------------------------

P1=mydata~1717000000/memories
P2=mydata~1717000000-2/memories

@test "Snapchat 2026: memories of every ZIP part's memories/ take the file whose mtime is their Date, not the day's first" {
	tree snap2026
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	run -0 rec "$E/$P1/2024-05-01_F0000000-0000-4000-8000-000000000001-main.jpg"
	assert_output "time=2024-05-01T10:00:01Z
time_source=json
lat=48.8566000
lon=2.3522000
overlay=$E/$P1/2024-05-01_F0000000-0000-4000-8000-000000000001-overlay.png"
	run -0 rec "$E/$P2/2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg"
	assert_output "time=2024-05-01T10:20:05Z
time_source=json
lat=51.5072000
lon=-0.1276000"
	run -0 rec "$E/$P2/2024-05-01_B0000000-0000-4000-8000-000000000003-main.mp4"
	assert_output "time=2024-05-01T11:30:09Z
time_source=json
lat=40.7128000
lon=-74.0060000
overlay=$E/$P2/2024-05-01_B0000000-0000-4000-8000-000000000003-overlay.png"
	run -0 rec "$E/$P1/2024-05-02_C0000000-0000-4000-8000-000000000004-main.jpg"
	assert_output "time=2024-05-02T23:59:59Z
time_source=json
lat=35.6764000
lon=139.6500000"
}

@test "Snapchat 2026: two memories of one second at two places are not guessed: each file kept with its mtime, no place, all named in the report" {
	tree snap2026
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	[ "$stderr" = "mem-scan: $E: 2 Snapchat memories could not be told apart: kept dated by themselves, no location (listed in the failure report)" ]
	run -0 rec "$E/$P1/2024-05-03_D0000000-0000-4000-8000-000000000005-main.jpg"
	assert_output "time=2024-05-03T09:00:00Z
time_source=mtime"
	run -0 rec "$E/$P2/2024-05-03_E0000000-0000-4000-8000-000000000006-main.jpg"
	assert_output "time=2024-05-03T09:00:00Z
time_source=mtime"
	run -0 report "$OUT" x-snap2026-20240101
	assert_output "media $P2/2024-05-03_E0000000-0000-4000-8000-000000000006-main.jpg | ambiguous: several memories of its type fit its time; dated by its own mtime, no location
media $P1/2024-05-03_D0000000-0000-4000-8000-000000000005-main.jpg | ambiguous: several memories of its type fit its time; dated by its own mtime, no location
meta mydata~1717000000/json/memories_history.json | ambiguous: 2 files of its type fit its Date or day; none was guessed
meta mydata~1717000000/json/memories_history.json | ambiguous: 2 files of its type fit its Date or day; none was guessed"
	run -0 jq -r '.failed_matching.orphaned_metadata[].metadata_entry.Location' \
	    "$OUT/x-snap2026-20240101/issues/failure-report.json"
	assert_output 'Latitude, Longitude: 52.52, 13.405
Latitude, Longitude: 41.9028, 12.4964'
}

@test "Snapchat 2026: two memories of one second at one place take the two files, as either order gives the same records" {
	tree snap2026
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	for f in "$P1/2024-05-04_10000000-0000-4000-8000-000000000007-main.jpg" \
	    "$P2/2024-05-04_20000000-0000-4000-8000-000000000008-main.jpg"; do
		run -0 rec "$E/$f"
		assert_output "time=2024-05-04T07:00:03Z
time_source=json
lat=45.4642000
lon=9.1900000"
	done
}

@test "Snapchat 2026: files unzipped on a clock two hours ahead of UTC still find their memories" {
	tree snap2026-shifted
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	[ "$stderr" = '' ]
	run -0 rec "$E/$P2/2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg"
	assert_output "time=2024-05-01T10:20:05Z
time_source=json
lat=51.5072000
lon=-0.1276000"
	run -0 rec "$E/$P1/2024-05-02_C0000000-0000-4000-8000-000000000004-main.jpg"
	assert_output "time=2024-05-02T23:59:59Z
time_source=json
lat=35.6764000
lon=139.6500000"
	[ ! -e "$OUT/x-snap2026-shifted-20240101/issues/failure-report.json" ]
}

@test "Snapchat 2026: with the times reset by the unzipper, a day with one memory and one file of a type pairs, a day with two is reported" {
	tree snap2026
	find "$E" -type f -exec touch -d '2026-01-01 12:00:00 UTC' {} +
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	# 2024-05-02 has one image memory and one image file
	run -0 rec "$E/$P1/2024-05-02_C0000000-0000-4000-8000-000000000004-main.jpg"
	assert_output "time=2024-05-02T23:59:59Z
time_source=json
lat=35.6764000
lon=139.6500000"
	# so does 2024-05-01's video; its two images are two of a day
	[ "$(field "$OUT" "$E/$P2/2024-05-01_B0000000-0000-4000-8000-000000000003-main.mp4" time)" = 2024-05-01T11:30:09Z ]
	run -0 rec "$E/$P2/2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg"
	assert_output "time=2024-05-01T12:00:00Z
time_source=filename"
	run -0 report "$OUT" x-snap2026-20240101
	assert_line "media $P2/2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg | ambiguous: several memories of its day and type, none of its time; dated by the file itself, no location"
	assert_line "media $P1/2024-05-01_F0000000-0000-4000-8000-000000000001-main.jpg | ambiguous: several memories of its day and type, none of its time; dated by the file itself, no location"
	[ "$(grep -c '^meta .*ambiguous' <<< "$output")" -eq 4 ]
	[ "$(grep -c '^media .*ambiguous' <<< "$output")" -eq 4 ]
	# 2024-05-04's two memories say the same: the two files take them
	[ "$(field "$OUT" "$E/$P1/2024-05-04_10000000-0000-4000-8000-000000000007-main.jpg" lat)" = 45.4642000 ]
	[ "$(field "$OUT" "$E/$P2/2024-05-04_20000000-0000-4000-8000-000000000008-main.jpg" lat)" = 45.4642000 ]
}

@test "Snapchat 2026: a part's file no memory names is kept and reported; a memory without a file is reported" {
	tree snap2026
	J="$E/mydata~1717000000/json/memories_history.json"
	jq '."Saved Media" += [{"Date": "2024-06-01 08:00:00 UTC", "Media Type": "Image",
	    "Location": "Latitude, Longitude: 1.0, 2.0", "Download Link": "", "Media Download Url": ""}]' \
	    "$J" > j && mv j "$J"
	make_jpeg "$E/$P2/2024-07-01_99999999-0000-4000-8000-000000000009-main.jpg"
	touch -d '2024-07-01 06:00:08 UTC' "$E/$P2/2024-07-01_99999999-0000-4000-8000-000000000009-main.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	run -0 report "$OUT" x-snap2026-20240101
	assert_line "media $P2/2024-07-01_99999999-0000-4000-8000-000000000009-main.jpg | not in the memories metadata"
	assert_line "meta mydata~1717000000/json/memories_history.json | no downloaded file for this memory"
	[ "$(field "$OUT" "$E/$P2/2024-07-01_99999999-0000-4000-8000-000000000009-main.jpg" dest)" = x-snap2026-20240101/memories/snap-memories-snap2026-20240701.jpg ]
}

@test "Snapchat 2026 HTML-only: the table's Download cells read N/A, its memories are matched by time as well" {
	tree snap2026
	J="$E/mydata~1717000000/json/memories_history.json"
	mkdir -p "$E/mydata~1717000000/html"
	{
		printf '<html><body><table><tr><th>Date</th><th>Media Type</th><th>Location</th><th>Download</th></tr>\n'
		jq -r '."Saved Media"[] | "<tr><td>\(.Date)</td><td>\(."Media Type")</td><td>\(.Location)</td><td>N/A</td></tr>"' "$J"
		printf '</table></body></html>\n'
	} > "$E/mydata~1717000000/html/memories_history.html"
	rm -r "$E/mydata~1717000000/json"
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	run -0 rec "$E/$P2/2024-05-01_B0000000-0000-4000-8000-000000000003-main.mp4"
	assert_output "time=2024-05-01T11:30:09Z
time_source=html
lat=40.7128000
lon=-74.0060000
overlay=$E/$P2/2024-05-01_B0000000-0000-4000-8000-000000000003-overlay.png"
	[ "$(field "$OUT" "$E/$P2/2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg" lat)" = 51.5072000 ]
	[ "$(field "$OUT" "$E/$P1/2024-05-03_D0000000-0000-4000-8000-000000000005-main.jpg" time_source)" = mtime ]
}

# --- memoria's preprocessed Discord and iMessage ---------------------------

@test "memoria's preprocessed Discord (metadata.json with download counts + media/) is Discord, and not Snapchat messages" {
	tree discord-pre
	run -0 --separate-stderr mem-scan --list "$E"
	assert_output "EXPORT                               PLATFORM             ITEMS  ORPHANS
x-discord-pre-20240101               discord                  4        2"
}

@test "memoria's preprocessed Discord: each media_files name dated by its message, named and captioned by its channel" {
	tree discord-pre
	run -0 mem-scan -o "$OUT" "$E"
	run -0 record_of "$OUT" "$E/media/901_cat.jpg"
	assert_output "mem-item=1
source=$E/media/901_cat.jpg
export=x-discord-pre-20240101
platform=discord
user=gamer
dest=x-discord-pre-20240101/messages/discord-gamer-bob-20230201.jpg
kind=image
time=2023-02-01T10:00:01Z
offset=+00:00
time_source=json
album=Discord/gamer
caption=Source: Discord/gamer
Conversation: \"DM with bob\"
Sender: \"gamer\"
Message: \"look\"
offset_source=utc"
	[ "$(field "$OUT" "$E/media/902_a.mp4" dest)" = x-discord-pre-20240101/messages/discord-gamer-general-20230202.mp4 ]
	[ "$(field "$OUT" "$E/media/902_b.png" time)" = 2023-02-02T11:00:02Z ]
	record_of "$OUT" "$E/media/902_b.png" | grep -qxF 'Conversation: "#general in Test Server"'
	run -0 report "$OUT" x-discord-pre-20240101
	assert_output "media media/stray.jpg | not named in memoria's metadata.json
meta metadata.json | media file not found"
}

@test "memoria's preprocessed iMessage (export_paths naming Messages) is iMessage: sender, conversation, time; a merged file takes its oldest message" {
	tree imessage-pre mac-messages-20240107
	run -0 --separate-stderr mem-scan --list "$E"
	assert_line --regexp '^mac-messages-20240107 +imessage +2 +0$'
	refute_line --partial snapchat
	run -0 mem-scan -o "$OUT" "$E"
	run -0 record_of "$OUT" "$E/media/IMG_0001.jpg"
	assert_line 'dest=mac-messages-20240107/messages/imessage-mac-ann_example-20230301.jpg'
	assert_line 'time=2023-03-01T08:00:01Z'
	assert_line 'album=iMessage/mac'
	assert_line 'Sender: "Ann Example"'
	assert_line 'Message: "hello"'
	run -0 record_of "$OUT" "$E/media/IMG_0002.jpg"
	assert_line 'time=2023-03-02T08:00:02Z'
	assert_line 'Conversation: "Ann Example"'
	assert_line 'Sender: "me"'
	assert_line 'Message: "again"'
}

# --- Instagram message pages -------------------------------------------------

@test "Instagram message HTML with ISO times in divs (memoria's fixture): each file its own message's time and sender, the page's title as conversation" {
	tree igmsg-iso
	run -0 mem-scan -o "$OUT" "$E"
	C="$E/your_instagram_activity/messages/inbox/otheruser_123456"
	run -0 record_of "$OUT" "$C/photos/one.jpg"
	assert_line 'dest=x-igmsg-iso-20240101/messages/insta-messages-igmsg-iso-other_user-20210101.jpg'
	assert_line 'time=2021-01-01T12:00:01Z'
	assert_line 'time_source=html'
	assert_line 'caption=Source: Instagram/igmsg-iso/messages'
	assert_line 'Conversation: "Other User"'
	assert_line 'Sender: "Other User"'
	run -0 record_of "$OUT" "$C/photos/two.jpg"
	assert_line 'time=2021-01-02T13:00:02Z'
	assert_line 'Sender: "ig_me"'
	[ ! -e "$OUT/x-igmsg-iso-20240101/issues/failure-report.json" ]
}

@test "Instagram's own message HTML: the sender of each box (h2), its time, the conversation in the name and caption" {
	tree igmsg-real
	run -0 mem-scan -o "$OUT" "$E"
	C="$E/your_instagram_activity/messages/inbox/zoe_42"
	run -0 record_of "$OUT" "$C/photos/10.jpg"
	assert_line 'dest=x-igmsg-real-20240101/messages/insta-messages-igmsg-real-zoe-20220303.jpg'
	assert_line 'time=2022-03-03T09:15:00Z'
	assert_line 'Conversation: "Zoe"'
	assert_line 'Sender: "Zoe"'
	run -0 record_of "$OUT" "$C/photos/11.jpg"
	assert_line 'time=2022-03-04T22:16:00Z'
	assert_line 'Sender: "ig_me"'
}

# --- Google Voice and Chat ---------------------------------------------------

@test "Google Voice whose only time is the page's name: … - 2023-01-15T08_30_45Z.html dates its file, UTC" {
	tree gvoice-name google-ann-20240101
	run -0 mem-scan -o "$OUT" "$E"
	run -0 record_of "$OUT" "$E/Takeout/Voice/Calls/pic.jpg"
	assert_line 'time=2023-01-15T08:30:45Z'
	assert_line 'offset=+00:00'
	assert_line 'time_source=html'
	assert_line 'Sender: "+15550001111"'
	assert_line 'Message: "Hi!"'
}

@test "Google Chat DMs under Users/<name>/messages.json are read beside Groups/: the other person's name is the conversation" {
	tree gchat-users google-me-20240101
	run -0 --separate-stderr mem-scan -o "$OUT" "$E"
	[ "$stderr" = '' ]
	run -0 record_of "$OUT" "$E/Takeout/Google Chat/Users/Bob Jones/dog.jpg"
	assert_line 'dest=google-me-20240101/chat/gchat-me-bob_jones-20230102.jpg'
	assert_line 'time=2023-01-02T12:00:02Z'
	assert_line 'Conversation: "Bob Jones"'
	assert_line 'Sender: "Bob Jones"'
	assert_line 'Message: "Hi there"'
	[ "$(field "$OUT" "$E/Takeout/Google Chat/Groups/Space AAA/summit.jpg" time)" = 2023-01-01T10:00:01Z ]
}

@test "Google Chat with only Users/<name>/messages.json is Google Chat when it attaches files, not without" {
	tree gchat-users-only google-me-20240101
	run -0 --separate-stderr mem-scan --list "$E"
	assert_line --regexp '^google-me-20240101 +google-chat +1 +0$'
	tree gchat-users-nofiles google-you-20240101
	run -0 --separate-stderr mem-scan --list "$E"
	refute_line --partial google-chat
}

# --- Snapchat messages -------------------------------------------------------

@test "Snapchat messages whose chat_media/ is inside json/ are matched: by Media ID, and by mtime" {
	tree snapmsg-jsonmedia snapchat-jane-20240201
	run -0 mem-scan -o "$OUT" "$E"
	run -0 record_of "$OUT" "$E/json/chat_media/2023-04-01_b~IDONE.jpg"
	assert_line 'dest=snapchat-jane-20240201/messages/snap-messages-jane-ann-20230401.jpg'
	assert_line 'time=2023-04-01T10:00:01Z'
	assert_line 'time_source=json'
	run -0 record_of "$OUT" "$E/json/chat_media/2023-04-02_00112233445566778899aabbccddeeff.mp4"
	assert_line 'time=2023-04-02T11:00:02Z'
	assert_line 'Message: "clip"'
	[ ! -e "$OUT/snapchat-jane-20240201/issues/failure-report.json" ]
}
