#!/usr/bin/env bats
# mem-scan on the message platforms: Snapchat messages, Google Chat, Google
# Voice, Discord, iMessage (Mac and iPhone), iMessage via iMazing. The
# exports come from scripts/mksample --only-messages (made once); broken
# and odd cases are built by hand in each test.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/messages

setup_file() {
	load helpers/common
	load helpers/messages
	messages_sample
}

setup() {
	MS=$BATS_FILE_TMPDIR/ms
}

@test "each message export is detected as its platform, with its items and orphans" {
	run -0 mem-scan --list --originals "$MS"
	assert_line --regexp '^discord-gamer-20240106 +discord +4 +0$'
	assert_line --regexp '^google-john.doe-20240105 +google-chat +5 +2$'
	assert_line --regexp '^google-john.doe-20240105 +google-voice +4 +1$'
	assert_line --regexp '^iphone-imazing-20240109 +imessage-imazing +3 +1$'
	assert_line --regexp '^iphone-messages-20240108 +imessage +1 +0$'
	assert_line --regexp '^mac-messages-20240107 +imessage +6 +2$'
	assert_line --regexp '^snapchat-jane-20240201 +snapchat-messages +4 +2$'
	refute_line --partial folder
}

@test "--list-processors names the six message platforms" {
	run -0 mem-scan --list-processors
	for p in snapchat-messages google-chat google-voice discord imessage imessage-imazing; do
		assert_line --regexp "^  $p "
	done
}

@test "a Snapchat chat file named by its b~ id gets its message's time, conversation and text" {
	scan_one snapchat-jane-20240201
	r=$(rec chat_media/2023-03-01_b~EiASFWAAA111.jpg)
	assert_equal "$(field "$r" time)" 2023-03-01T12:00:00Z
	assert_equal "$(field "$r" time_source)" json
	assert_equal "$(field "$r" offset)" +00:00
	assert_equal "$(field "$r" platform)" snapchat-messages
	assert_equal "$(field "$r" dest)" snapchat-jane-20240201/messages/snap-messages-jane-bob-20230301.jpg
	assert_equal "$(field "$r" album)" Snapchat/jane/messages
	assert_equal "$(field "$r" caption)" "$(printf 'Source: Snapchat/jane/messages\nConversation: "bob"\nSender: "bob"\nMessage: "look at this"')"
}

@test "a Snapchat file without an id is matched by time despite DOS seconds and the unzipping clock's zone" {
	# its mtime is Created + 1 h (unzipped at UTC+1) + 1 s (2-second steps)
	scan_one snapchat-jane-20240201
	r=$(rec chat_media/2023-03-02_0f1e2d3c4b5a69788796a5b4c3d2e1f0.mp4)
	assert_equal "$(field "$r" time)" 2023-03-02T08:15:31Z
	assert_equal "$(field "$r" kind)" video
	assert_equal "$(field "$r" dest)" snapchat-jane-20240201/messages/snap-messages-jane-bob-20230302.mp4
	field "$r" caption | grep -qx 'Sender: "jane"'
}

@test "an untitled Snapchat group is named by its members and its overlay goes by UUID" {
	scan_one snapchat-jane-20240201
	r=$(rec 2023-03-05_media~zip-6F1C2A3B-1111-4A2B-9C3D-0123456789AB.mp4)
	assert_equal "$(field "$r" dest)" snapchat-jane-20240201/messages/snap-messages-jane-carol-20230305.mp4
	assert_equal "$(field "$r" overlay)" "$MS/snapchat-jane-20240201/chat_media/2023-03-05_overlay~zip-6F1C2A3B-1111-4A2B-9C3D-0123456789AB.png"
	run -1 rec 2023-03-05_overlay~zip-6F1C2A3B-1111-4A2B-9C3D-0123456789AB.png
}

@test "Snapchat orphans: an unnamed file is still an item, a missing one is reported, thumbnails are no items" {
	scan_one snapchat-jane-20240201
	r=$(rec 2023-04-01_b~ZZZ999.jpg)
	assert_equal "$(field "$r" time_source)" filename
	assert_equal "$(field "$r" dest)" snapchat-jane-20240201/messages/snap-messages-jane-unknown-20230401.jpg
	run -1 rec thumbnail~b~EiASFWAAA111.jpg
	run -0 report snapchat-jane-20240201
	assert_output --partial '"Media IDs": "b~MISSING42"'
	assert_output --partial 'chat_media/2023-04-01_b~ZZZ999.jpg'
}

@test "two Snapchat overlays of one time are not guessed between" {
	ex=$BATS_TEST_TMPDIR/snapchat-amy-20240301
	mkdir -p "$ex/json" "$ex/chat_media"
	make_video "$ex/chat_media/2023-05-05_00112233445566778899aabbccddeeff.mp4"
	: > "$ex/chat_media/2023-05-05_overlay~A.png"
	: > "$ex/chat_media/2023-05-05_overlay~B.png"
	touch -d '2023-05-05 10:00:00 UTC' "$ex"/chat_media/*
	cat > "$ex/json/chat_history.json" <<-'EOF'
	{"zed": [{"From": "zed", "Media Type": "MEDIA", "Created": "2023-05-05 10:00:00 UTC",
	  "Content": "", "Conversation Title": null, "IsSender": false, "Media IDs": ""}]}
	EOF
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	assert_output --partial 'overlays of the same time: none merged (ambiguous)'
	r=$(rec 2023-05-05_00112233445566778899aabbccddeeff.mp4)
	assert_equal "$(field "$r" overlay)" ""
	assert_equal "$(field "$r" time)" 2023-05-05T10:00:00Z
}

@test "Google Chat dates are read with their zone, U+202F before PM included" {
	scan_one google-john.doe-20240105
	r=$(rec "DM 7Hq2AAAAE/What_s up_.jpg")
	assert_equal "$(field "$r" time)" 2016-11-05T14:00:00Z
	assert_equal "$(field "$r" offset)" -07:00
	r=$(rec "DM 7Hq2AAAAE/IMG_0001(1).jpg")
	assert_equal "$(field "$r" time)" 2016-11-04T21:05:10Z
	assert_equal "$(field "$r" offset)" +00:00
	r=$(rec "Space AAAAxyz123/clip.mp4")
	assert_equal "$(field "$r" time)" 2017-01-02T08:00:00Z
	assert_equal "$(field "$r" offset)" +02:00
}

@test "Google Chat finds attachments by export_name with Google's renaming and names DMs and Spaces" {
	scan_one google-john.doe-20240105
	r=$(rec "DM 7Hq2AAAAE/IMG_0001.jpg")
	assert_equal "$(field "$r" dest)" google-john.doe-20240105/chat/gchat-john.doe-ana_lima-20161103.jpg
	assert_equal "$(field "$r" caption)" "$(printf 'Source: Google Chat/john.doe\nConversation: "Ana Lima"\nSender: "Ana Lima"\nMessage: "from the beach"')"
	assert_equal "$(field "$r" album)" "Google Chat/john.doe"
	field "$(rec "DM 7Hq2AAAAE/IMG_0001(1).jpg")" caption | grep -qx 'Sender: "John Doe"'
	assert_equal "$(field "$(rec "Space AAAAxyz123/clip.mp4")" dest)" \
	    google-john.doe-20240105/chat/gchat-john.doe-family_chat-20170102.mp4
	run -0 report google-john.doe-20240105
	assert_output --partial '"export_name": "lost.jpg"'
	assert_output --partial 'Space AAAAxyz123/stray.jpg'
}

@test "Google Chat without Users/ is still scanned, with the user from the directory and a warning" {
	# letters of any script stay in names (memoria made them "unknown");
	# only ASCII is lower-cased
	ex=$BATS_TEST_TMPDIR/google-maria-20240101
	mkdir -p "$ex/Google Chat/Groups/Space X1"
	cp "$MS/google-john.doe-20240105/Takeout/Google Chat/Groups/Space AAAAxyz123/clip.mp4" \
	    "$ex/Google Chat/Groups/Space X1/"
	printf '%s' '{"name": "Fam\u00edlia \u00d1and\u00fa", "members": []}' \
	    > "$ex/Google Chat/Groups/Space X1/group_info.json"
	printf '%s' '{"messages": [{"creator": {"name": "Rui"}, "created_date":
	    "Tuesday, March 7, 2023 at 5:06:07 PM UTC", "attached_files":
	    [{"export_name": "clip.mp4"}]}]}' > "$ex/Google Chat/Groups/Space X1/messages.json"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	assert_output --partial 'no Users/*/user_info.json'
	r=$(rec "Space X1/clip.mp4")
	assert_equal "$(field "$r" dest)" "google-maria-20240101/chat/gchat-maria-família_Ñandú-20230307.mp4"
	assert_equal "$(field "$r" time)" 2023-03-07T17:06:07Z
}

@test "Google Voice keeps the explicit UTC offset and finds an MMS image named without extension" {
	scan_one google-john.doe-20240105
	r=$(rec "+15551234567 - Text - 2016-05-18T15_00_23Z-1-1.jpg")
	assert_equal "$(field "$r" time)" 2016-05-18T15:00:23Z
	assert_equal "$(field "$r" offset)" -04:00
	assert_equal "$(field "$r" time_source)" html
	assert_equal "$(field "$r" platform)" google-voice
	assert_equal "$(field "$r" dest)" "google-john.doe-20240105/Google Voice/gvoice-john.doe-jane_roe-20160518.jpg"
	assert_equal "$(field "$r" caption)" "$(printf 'Source: Google Voice/john.doe\nConversation: "Jane Roe"\nSender: "Jane Roe"\nMessage: "Look at this"')"
}

@test "a Google Voice voicemail is an audio item with the page's time and transcript" {
	scan_one google-john.doe-20240105
	r=$(rec "+15557654321 - Voicemail - 2018-02-03T04_05_06Z.mp3")
	assert_equal "$(field "$r" kind)" audio
	assert_equal "$(field "$r" time)" 2018-02-03T04:05:06Z
	assert_equal "$(field "$r" offset)" -05:00
	field "$r" caption | grep -qx 'Message: "Hi it is Bob, call me back"'
	r=$(rec "+15559999999 - Recorded - 2019-03-04T05_06_07Z.mp3")
	assert_equal "$(field "$r" time)" 2019-03-04T05:06:07Z
	assert_equal "$(field "$r" time_source)" filename
}

@test "a Google Voice group is named by its participants and its video link is followed" {
	scan_one google-john.doe-20240105
	r=$(rec "Group Conversation - 2017-01-02T10_00_00Z-1-1.mp4")
	assert_equal "$(field "$r" dest)" "google-john.doe-20240105/Google Voice/gvoice-john.doe-ana_lima_bob_stone-20170102.mp4"
	assert_equal "$(field "$r" offset)" +01:00
}

@test "Google Voice pages are parsed as HTML, not matched as text" {
	ex=$BATS_TEST_TMPDIR/google-kim-20240101
	mkdir -p "$ex/Voice/Calls"
	make_jpeg "$ex/Voice/Calls/pic.jpg"
	# attributes in another order and quoting, a comment hiding a decoy,
	# an entity in the text and unclosed tags
	cat > "$ex/Voice/Calls/Lee - Text - 2020-01-01T00_00_00Z.html" <<-'EOF'
	<html><head><title>Lee</title><body>
	<!-- <div class="message"><img src="decoy.jpg"></div> -->
	<div class='message'><abbr title='2020-01-01T09:30:00+09:00' class='dt'>x</abbr>
	<cite class="sender vcard"><a href="tel:+8190" class="tel"><span class="fn">Lee</span></a></cite>
	<q>a &amp; b</q><p><img alt=x src=pic.jpg>
	</div>
	EOF
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	r=$(rec Voice/Calls/pic.jpg)
	assert_equal "$(field "$r" time)" 2020-01-01T00:30:00Z
	assert_equal "$(field "$r" offset)" +09:00
	field "$r" caption | grep -qx 'Message: "a & b"'
	assert_file_not_exists "$OUT/google-kim-20240101/issues/failure-report.json"
}

@test "Discord reads JSON and CSV channels, keeps audio and names channels" {
	scan_one discord-gamer-20240106
	r=$(rec "c111/screen shot.png")
	assert_equal "$(field "$r" dest)" discord-gamer-20240106/messages/discord-gamer-pal-20220701.png
	assert_equal "$(field "$r" time)" 2022-07-01T18:30:00Z
	r=$(rec c111/9002_voice-message.ogg)
	assert_equal "$(field "$r" kind)" audio
	assert_equal "$(field "$r" dest)" discord-gamer-20240106/messages/discord-gamer-pal-20220701_1.ogg
	r=$(rec c222/attachments/clip.mp4)
	assert_equal "$(field "$r" dest)" discord-gamer-20240106/messages/discord-gamer-general-20211224.mp4
	assert_equal "$(field "$r" album)" Discord/gamer
	field "$r" caption | grep -qx 'Conversation: "#general in Cool Server"'
	field "$r" caption | grep -qx 'Message: "merry xmas, all see "clip""'
}

@test "a Discord attachment that exists only as a CDN link becomes an item with its url, time and caption, for mem-fetch" {
	scan_one discord-gamer-20240106
	r=$(url_rec "https://cdn.discordapp.com/attachments/111/9003/not_downloaded.jpg")
	id=$(field "$r" id)
	assert_equal "$(field "$r" source)" "$OUT/.mem/fetch/$id"
	assert_equal "$(field "$r" kind)" image
	assert_equal "$(field "$r" time)" 2022-07-02T09:00:00Z
	assert_equal "$(field "$r" dest)" discord-gamer-20240106/messages/discord-gamer-pal-20220702.jpg
	field "$r" caption | grep -qx 'Message: "gone"'
	assert_file_not_exists "$OUT/discord-gamer-20240106/issues/failure-report.json"
}

@test "iMessage reads chat.db: nanosecond dates, contacts, group names, attributedBody text" {
	scan_one mac-messages-20240107
	r=$(rec Attachments/ab/01/GUID-0001/IMG_0001.jpg)
	assert_equal "$(field "$r" time)" 2023-06-01T09:00:00Z
	assert_equal "$(field "$r" time_source)" db
	assert_equal "$(field "$r" dest)" mac-messages-20240107/messages/imessage-mac-ana_lima-20230601.jpg
	assert_equal "$(field "$r" album)" iMessage/mac
	r=$(rec "Attachments/cd/02/GUID-0002/Audio Message.caf")
	assert_equal "$(field "$r" kind)" audio
	assert_equal "$(field "$r" caption)" "$(printf 'Source: iMessage/mac\nConversation: "Ana Lima"\nSender: "me"\nMessage: "voice note for you"')"
	r=$(rec Attachments/ef/03/GUID-0003/IMG_0005.jpeg)
	field "$r" caption | grep -qx 'Conversation: "Trip Crew"'
	field "$r" caption | grep -qx 'Sender: "Bob Stone"'
	field "$r" caption | grep -qx 'Message: "live one"'
}

@test "an iMessage Live Photo's MOV goes with its still and shares its name" {
	scan_one mac-messages-20240107
	a=$(field "$(rec GUID-0003/IMG_0005.jpeg)" dest)
	b=$(field "$(rec GUID-0003/IMG_0005.MOV)" dest)
	assert_equal "${a%.*}" "${b%.*}"
	assert_equal "$(field "$(rec GUID-0003/IMG_0005.MOV)" time)" 2023-06-02T18:00:00Z
	# the still names the video's record, for mem-upload to link them
	assert_equal "$(field "$(rec GUID-0003/IMG_0005.jpeg)" live_video)" "$(field "$(rec GUID-0003/IMG_0005.MOV)" id)"
	assert_equal "$(field "$(rec GUID-0003/IMG_0005.MOV)" live_video)" ''
}

@test "iMessage reports a missing attachment and an unreferenced file, and leaves chat.db untouched" {
	sum=$(cksum < "$MS/mac-messages-20240107/chat.db")
	scan_one mac-messages-20240107
	assert_equal "$(cksum < "$MS/mac-messages-20240107/chat.db")" "$sum"
	assert_file_not_exists "$MS/mac-messages-20240107/chat.db-wal"
	assert_file_not_exists "$MS/mac-messages-20240107/chat.db-shm"
	run -0 report mac-messages-20240107
	assert_output --partial 'GUID-0099/missing.jpg'
	assert_output --partial 'GUID-0009/unreferenced.jpg'
}

@test "--contacts names iMessage handles from the given vCard, and a missing file exits 2" {
	printf 'BEGIN:VCARD\nVERSION:3.0\nFN:Ana From Option\nTEL:+1 404 555 1234\nEND:VCARD\n' \
	    > "$BATS_TEST_TMPDIR/c.vcf"
	scan_one mac-messages-20240107 --contacts "$BATS_TEST_TMPDIR/c.vcf"
	field "$(rec GUID-0001/IMG_0001.jpg)" caption | grep -qx 'Sender: "Ana From Option"'
	run -2 mem-scan -o "$BATS_TEST_TMPDIR/o2" --contacts "$BATS_TEST_TMPDIR/none.vcf" \
	    "$MS/mac-messages-20240107"
	assert_output --partial 'none.vcf'
}

@test "an iPhone backup's SMS/sms.db with second dates is read" {
	scan_one iphone-messages-20240108
	r=$(rec SMS/Attachments/0a/10/IMG_0100.jpg)
	assert_equal "$(field "$r" time)" 2012-08-09T10:11:12Z
	assert_equal "$(field "$r" dest)" iphone-messages-20240108/messages/imessage-iphone-15550001111-20120809.jpg
}

@test "a chat.db that is no database costs a warning, and its attachments are still items" {
	ex=$BATS_TEST_TMPDIR/mac-messages-20240202
	mkdir -p "$ex/Attachments/aa"
	printf 'not sqlite at all' > "$ex/chat.db"
	make_jpeg "$ex/Attachments/aa/IMG_1.jpg"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex" "$MS/snapchat-jane-20240201"
	assert_output --partial 'chat.db: '
	r=$(rec Attachments/aa/IMG_1.jpg)
	assert_equal "$(field "$r" platform)" imessage
	rec 2023-03-01_b~EiASFWAAA111.jpg
}

@test "iMazing's local times are kept as wall clock and labelled local, with the CSV's sender and text" {
	scan_one iphone-imazing-20240109
	r=$(rec "2023-01-15 10 30 45 - Jane Roe - IMG_0001.jpg")
	assert_equal "$(field "$r" time)" 2023-01-15T10:30:45Z
	assert_equal "$(field "$r" offset)" ""
	assert_equal "$(field "$r" time_zone)" local
	assert_equal "$(field "$r" platform)" imessage-imazing
	assert_equal "$(field "$r" dest)" iphone-imazing-20240109/messages/imessage-janes_iphone-jane_roe-20230115.jpg
	field "$r" caption | grep -qx 'Message: "Look, a photo"'
	r=$(rec "2023-01-15 10 31 02 - Jane Roe - Audio Message.m4a")
	assert_equal "$(field "$r" kind)" audio
	field "$r" caption | grep -qx 'Sender: "me"'
	run -0 report iphone-imazing-20240109
	assert_output --partial '"Attachment": "gone.jpg"'
}

@test "broken JSON of one platform costs a warning; the export's other platforms go on" {
	ex=$BATS_TEST_TMPDIR/discord-x-20240101
	mkdir -p "$ex/Messages/c1" "$ex/json" "$ex/chat_media"
	printf '{"1": "Direct Message with y#0"' > "$ex/Messages/index.json"
	printf '[{"ID": 1, "Timestamp": "2022-01-01 00:00:00", "Attach' > "$ex/Messages/c1/messages.json"
	make_jpeg "$ex/Messages/c1/a.jpg"
	printf '{"y": [{"From": "y", "Media Type": "MEDIA", "Created": "2022-02-02 02:02:02 UTC", "Media IDs": "b~Q"}]}' \
	    > "$ex/json/chat_history.json"
	make_jpeg "$ex/chat_media/2022-02-02_b~Q.jpg"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	assert_output --partial 'malformed or truncated JSON'
	assert_equal "$(field "$(rec chat_media/2022-02-02_b~Q.jpg)" time)" 2022-02-02T02:02:02Z
	assert_equal "$(field "$(rec Messages/c1/a.jpg)" platform)" discord
}

@test "metadata naming a file outside the export is refused" {
	ex=$BATS_TEST_TMPDIR/google-eve-20240101
	mkdir -p "$ex/Google Chat/Groups/DM 1"
	make_jpeg "$BATS_TEST_TMPDIR/secret.jpg"
	printf '%s' '{"messages": [{"created_date": "Monday, January 2, 2017 at 10:00:00 AM UTC",
	    "attached_files": [{"export_name": "../../../../secret.jpg"}]}]}' \
	    > "$ex/Google Chat/Groups/DM 1/messages.json"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	run -0 report google-eve-20240101
	assert_output --partial 'attachment not found'
	run -0 find "$OUT/.mem/items" -name '*.item'
	assert_output ''
}

@test "an iMessage HEIC Live Photo and its MOV are items of one message, dated from a seconds database" {
	ex=$BATS_TEST_TMPDIR/mac-messages-20240303
	mkdir -p "$ex/Attachments/01/GUID"
	printf 'heic bytes' > "$ex/Attachments/01/GUID/lp_image.HEIC"
	make_video "$ex/Attachments/01/GUID/lp_image.MOV"
	sqlite3 "$ex/chat.db" <<-'EOF'
	CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT NOT NULL, service TEXT);
	CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, guid TEXT, style INTEGER, chat_identifier TEXT, display_name TEXT);
	CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER, is_from_me INTEGER);
	CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, guid TEXT, filename TEXT, mime_type TEXT, transfer_name TEXT, transfer_state INTEGER);
	CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER);
	CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER);
	CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);
	INSERT INTO handle VALUES (1, 'kim@example.com', 'iMessage');
	INSERT INTO chat VALUES (1, 'iMessage;-;kim@example.com', 45, 'kim@example.com', NULL);
	INSERT INTO chat_handle_join VALUES (1, 1);
	INSERT INTO message VALUES (1, 'G1', 'live', 1, 300000000, 0);
	INSERT INTO chat_message_join VALUES (1, 1, 300000000);
	INSERT INTO attachment VALUES (1, 'A1', '~/Library/Messages/Attachments/01/GUID/lp_image.HEIC', 'image/heic', 'lp_image.HEIC', 5);
	INSERT INTO message_attachment_join VALUES (1, 1);
	EOF
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	# 300000000 s after 2001-01-01 is 2010-07-05T05:20:00Z
	r=$(rec GUID/lp_image.HEIC)
	assert_equal "$(field "$r" time)" 2010-07-05T05:20:00Z
	assert_equal "$(field "$r" kind)" image
	assert_equal "$(field "$r" dest)" mac-messages-20240303/messages/imessage-mac-kimexamplecom-20100705.heic
	r=$(rec GUID/lp_image.MOV)
	assert_equal "$(field "$r" dest)" mac-messages-20240303/messages/imessage-mac-kimexamplecom-20100705.mov
	assert_equal "$(field "$r" kind)" video
}

@test "Discord's user comes from account/user.json when the directory does not name it" {
	cp -r "$MS/discord-gamer-20240106" "$BATS_TEST_TMPDIR/package"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$BATS_TEST_TMPDIR/package"
	r=$(rec "c111/screen shot.png")
	assert_equal "$(field "$r" user)" gamer
	assert_equal "$(field "$r" dest)" package/messages/discord-gamer-pal-20220701.png
}

@test "Snapchat's older export (messages/json, Received/Sent lists) names conversations by the other user" {
	ex=$BATS_TEST_TMPDIR/snapchat-lou-20200101
	mkdir -p "$ex/messages/json" "$ex/messages/chat_media"
	make_jpeg "$ex/messages/chat_media/2019-09-09_b~OLD1.jpg"
	make_jpeg "$ex/messages/chat_media/2019-09-10_b~OLD2.jpg"
	cat > "$ex/messages/json/chat_history.json" <<-'EOF'
	{"Received Saved Chat History": [{"From": "max", "Media Type": "MEDIA",
	  "Created": "2019-09-09 09:09:09 UTC", "Text": "", "Media IDs": "b~OLD1"}],
	 "Sent Saved Chat History": [{"To": "ida", "Media Type": "MEDIA",
	  "Created": "2019-09-10 10:10:10 UTC", "Text": "", "Media IDs": "b~OLD2"}]}
	EOF
	printf '{}' > "$ex/messages/json/snap_history.json"
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$ex"
	assert_equal "$(field "$(rec chat_media/2019-09-09_b~OLD1.jpg)" dest)" \
	    snapchat-lou-20200101/messages/snap-messages-lou-max-20190909.jpg
	r=$(rec chat_media/2019-09-10_b~OLD2.jpg)
	assert_equal "$(field "$r" dest)" snapchat-lou-20200101/messages/snap-messages-lou-ida-20190910.jpg
	field "$r" caption | grep -qx 'Sender: "lou"'
	assert_file_not_exists "$OUT/snapchat-lou-20200101/issues/failure-report.json"
}

@test "through mem-exif, Voice's offset and iMazing's local wall clock reach the files (read back with exiftool)" {
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$MS/google-john.doe-20240105" "$MS/iphone-imazing-20240109"
	a=$(rec "+15551234567 - Text - 2016-05-18T15_00_23Z-1-1.jpg")
	b=$(rec "2023-01-15 10 30 45 - Jane Roe - IMG_0001.jpg")
	run -0 mem-exif -o "$OUT" "$a" "$b"
	f="$OUT/$(field "$a" dest)"
	assert_equal "$(exiftool -s3 -DateTimeOriginal -OffsetTimeOriginal "$f" | tr '\n' ' ')" \
	    "2016:05:18 11:00:23 -04:00 "
	f="$OUT/$(field "$b" dest)"
	assert_equal "$(exiftool -s3 -DateTimeOriginal "$f")" "2023:01:15 10:30:45"
	assert_equal "$(exiftool -s3 -OffsetTimeOriginal "$f")" ""
}
