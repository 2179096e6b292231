#!/usr/bin/env bats
# memoria's tests (tests/test_detection/*.py, tests/fixtures/generators.py,
# docs/*Schema*.md): each export shape its fixtures build, rebuilt with real
# media (tests/helpers/memoria-trees.py), and what memoria says of it.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT="$BATS_TEST_TMPDIR/out"
}

# tree KIND: the export x-KIND-20240101 as memoria's generator shapes it.
tree() {
	E="$BATS_TEST_TMPDIR/x-$1-20240101"
	python3 "$REPO/tests/helpers/memoria-trees.py" "$1" "$E"
}

# detects KIND PLATFORM: mem-scan finds PLATFORM in it (with items).
detects() {
	tree "$1"
	run -0 --separate-stderr mem-scan --list "$E"
	assert_line --regexp "^x-$1-20240101 +$2 +[1-9]"
}

# rejects KIND PLATFORM: mem-scan does not take it for PLATFORM.
rejects() {
	tree "$1"
	run -0 --separate-stderr mem-scan --list "$E"
	refute_line --regexp "^x-$1-20240101 +$2 "
}

@test "memoria google: a Google Photos export is Google Photos" { detects gphotos google-photos; }
@test "memoria google: Google Photos without JSON is still Google Photos" { detects gphotos-nojson google-photos; }
@test "memoria google: files right in Google Photos/ (no album folder) are not" { rejects gphotos-files-only google-photos; }
@test "memoria google: no Google Photos folder is not Google Photos" { rejects gphotos-none google-photos; }
@test "memoria google: a Google Chat export is Google Chat" { detects gchat google-chat; }
@test "memoria google: Google Chat with groups only is Google Chat" { detects gchat-groups-only google-chat; }
@test "memoria google: Google Chat with users only is not" { rejects gchat-users-only google-chat; }
@test "memoria google: Google Chat without messages.json is not" { rejects gchat-no-messages google-chat; }
@test "memoria google: a Google Voice export is Google Voice" { detects gvoice google-voice; }
@test "memoria google: Calls/ outside Voice/ is not Google Voice" { rejects gvoice-no-voice google-voice; }
@test "memoria google: Voice/ without Calls/ is not Google Voice" { rejects gvoice-no-calls google-voice; }
@test "memoria google: Voice/Calls/ without a page named … - YYYY-MM-DDTHH_MM_SSZ.html is not" { rejects gvoice-no-html google-voice; }

@test "memoria snapchat: memoria's memories layout is Snapchat memories" { detects snapmem snapchat-memories; }
@test "memoria snapchat: the layout under memories/ is Snapchat memories" { detects snapmem-memories snapchat-memories; }
@test "memoria snapchat: memories without overlays are Snapchat memories" { detects snapmem-no-overlays snapchat-memories; }
@test "memoria snapchat: memories without media/ are not" { rejects snapmem-no-media snapchat-memories; }
@test "memoria snapchat: memories without metadata.json are not" { rejects snapmem-no-meta snapchat-memories; }
@test "memoria snapchat: an empty metadata list is not memories" { rejects snapmem-empty snapchat-memories; }
@test "memoria snapchat: a list without date/media_type/media_filename is not memories" { rejects snapmem-bad snapchat-memories; }
@test "memoria snapchat: a metadata.json that is no list is not memories" { rejects snapmem-dict snapchat-memories; }
@test "memoria snapchat: json/chat_history.json and snap_history.json are Snapchat messages" { detects snapmsg snapchat-messages; }
@test "memoria snapchat: the same under messages/ is Snapchat messages" { detects snapmsg-messages snapchat-messages; }
@test "memoria snapchat: the histories without json/ are not" { rejects snapmsg-no-json snapchat-messages; }
@test "memoria snapchat: snap_history.json alone is not Snapchat messages" { rejects snapmsg-no-chat snapchat-messages; }
@test "memoria snapchat: chat_history.json alone (no chat_media) is not Snapchat messages" { rejects snapmsg-no-snap snapchat-messages; }
@test "memoria snapchat: memoria's preprocessed messages are not taken for memories" { rejects snapmsg-pre snapchat-memories; }
@test "memoria snapchat: memories are not taken for messages" { rejects snapmem snapchat-messages; }
@test "memoria snapchat: messages are not taken for memories" { rejects snapmsg snapchat-memories; }

@test "memoria instagram: messages in your_instagram_activity/messages/inbox are Instagram" { detects igmsg instagram; }
@test "memoria instagram: messages in the legacy messages/inbox are Instagram" { detects igmsg-legacy instagram; }
@test "memoria instagram: an inbox with only other.html is not Instagram" { rejects igmsg-other-html instagram; }
@test "memoria instagram: media/posts/YYYYMM alone is Instagram" { detects igpublic-posts instagram; }
@test "memoria instagram: media/archived_posts/YYYYMM alone is Instagram" { detects igpublic-archived instagram; }
@test "memoria instagram: media/stories alone is not Instagram" { rejects igpublic-stories instagram; }
@test "memoria instagram: instaloader's dated files are Instagram" { detects igold instagram; }
@test "memoria instagram: one instaloader-named file is not Instagram" { rejects igold-one instagram; }
@test "memoria instagram: dated names without _UTC are not instaloader's" { rejects igold-noutc instagram; }

@test "memoria discord: a package with a server channel and a DM is Discord" { detects discord discord; }
@test "memoria discord: a server channel only is Discord" { detects discord-server discord; }
@test "memoria discord: a DM only is Discord" { detects discord-dm discord; }
@test "memoria discord: no Messages/ is not Discord" { rejects discord-no-messages discord; }
@test "memoria discord: no Messages/index.json is not Discord" { rejects discord-no-index discord; }
@test "memoria discord: no c* channel folder is not Discord" { rejects discord-no-cdir discord; }

@test "memoria imessage: chat.db with Attachments/ is iMessage" { detects imessage-mac imessage; }
@test "memoria imessage: SMS/sms.db with SMS/Attachments/ is iMessage" { detects imessage-iphone imessage; }
@test "memoria imessage: a chat.db without Attachments/ is not iMessage" { rejects imessage-no-attachments imessage; }

# --- what memoria's fixtures hold, read ------------------------------------

@test "memoria instagram: a post's own photo1.jpg.json gives its caption and taken_at" {
	tree igpublic-posts
	run -0 mem-scan -o "$OUT" "$E"
	r="$E/media/posts/202101/photo1.jpg"
	[ "$(field "$OUT" "$r" time)" = 2021-01-01T12:00:00Z ]
	[ "$(field "$OUT" "$r" time_source)" = json ]
	[ "$(field "$OUT" "$r" caption)" = 'Test post' ]
	[ ! -e "$OUT/x-igpublic-posts-20240101/issues/failure-report.json" ]
}

@test "memoria instagram: an archived post's photo2.jpg.json is read too, into archived_posts" {
	tree igpublic-archived
	run -0 mem-scan -o "$OUT" "$E"
	r="$E/media/archived_posts/202101/photo2.jpg"
	[ "$(field "$OUT" "$r" time)" = 2021-01-15T12:00:00Z ]
	[ "$(field "$OUT" "$r" caption)" = 'Archived post' ]
	[[ "$(field "$OUT" "$r" dest)" == */public-media/archived_posts/* ]]
}

@test "memoria instagram: a post's X.json (no media extension) is its sidecar too" {
	mkdir -p "instagram-ann-20240101/media/posts/202102"
	E="$BATS_TEST_TMPDIR/instagram-ann-20240101"
	make_jpeg "$E/media/posts/202102/p.jpg"
	printf '{"caption": "c", "taken_at": 1612345678}' > "$E/media/posts/202102/p.json"
	run -0 mem-scan -o "$OUT" "$E"
	[ "$(field "$OUT" "$E/media/posts/202102/p.jpg" time)" = 2021-02-03T09:47:58Z ]
	[ "$(field "$OUT" "$E/media/posts/202102/p.jpg" offset)" = +00:00 ]
}

@test "memoria snapchat: a memories metadata.json naming a missing file is reported" {
	tree snapmem
	rm "$E/media/memory2.mp4"
	run -0 mem-scan -o "$OUT" "$E"
	run -0 report "$OUT" x-snapmem-20240101
	assert_output 'meta metadata.json | media file not found'
}

@test "memoria snapchat: memoria's preprocessed messages (metadata.json + media/) are Snapchat messages, read" {
	tree snapmsg-pre
	run -0 mem-scan --list "$E"
	assert_line --regexp '^x-snapmsg-pre-20240101 +snapchat-messages +1 +0$'
	run -0 mem-scan -o "$OUT" "$E"
	r="$E/media/2021-01-01_b~abc123.jpg"
	[ "$(field "$OUT" "$r" time)" = 2021-01-01T12:00:00Z ]
	[ "$(field "$OUT" "$r" user)" = testuser ]
	[ "$(field "$OUT" "$r" dest)" = x-snapmsg-pre-20240101/messages/snap-messages-testuser-other_user-20210101.jpg ]
	record_of "$OUT" "$r" | grep -qxF 'Conversation: "Other User"'
	record_of "$OUT" "$r" | grep -qxF 'Sender: "Other User"'
}
