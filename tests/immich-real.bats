#!/usr/bin/env bats
# What a user's Immich shows after the pipeline: the bundled sample
# (scripts/mksample) run through mem-pipeline and uploaded to a real Immich
# v3.1.0 server (tests/immich/server), read back through the API after the
# server's own metadata and thumbnail jobs, and held against the item records.
# A disagreement the server shows today is a known failure naming the issue
# that fixes it (it counts as skipped, and passes by itself once fixed).
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/immich-real
load helpers/immich

# The server, a fresh user, the sample, one pipeline run with upload, and the
# read-back: once for the file, so every test sees one upload by one user.
setup_file() {
	real_server_start || return 1
	[ ! -s "$BATS_FILE_TMPDIR/unavailable" ] || return 0
	local F=$BATS_FILE_TMPDIR
	IMMICH_INSTANCE_URL=$(cat "$F/url") IMMICH_API_KEY=$(cat "$F/user.key")
	export IMMICH_INSTANCE_URL IMMICH_API_KEY
	"$REPO/scripts/mksample" "$F/sample" > "$F/mksample.log" 2>&1 || return 1
	mem-pipeline -j2 --originals "$F/sample" -o "$F/out" > "$F/console" 2>&1
	echo $? > "$F/status"
	MEM_IMMICH_RUN=$(cat "$F/run") real_dump "$F/out" "$F/dump.json" 2> "$F/dump.log"
	echo $? > "$F/dump.status"
}

teardown_file() {
	real_server_stop
}

setup() {
	real_server_env
	OUT=$BATS_FILE_TMPDIR/out
	DUMP=$BATS_FILE_TMPDIR/dump.json
	cd "$BATS_TEST_TMPDIR" || return 1
}

# check WHAT: the server against the records on WHAT (tests/immich/realcheck).
check() {
	"$REALCHECK" check "$1" "$OUT" "$DUMP"
}

@test "the pipeline uploads the sample to the real server: exit 0, the server's jobs finish" {
	run cat "$BATS_FILE_TMPDIR/console"
	assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
	assert_line "Failed: 0"
	run cat "$BATS_FILE_TMPDIR/dump.log"
	assert_equal "$(cat "$BATS_FILE_TMPDIR/dump.status")" 0
	refute_output --partial "$IMMICH_API_KEY"
	run -1 grep -r -F "$IMMICH_API_KEY" "$OUT"
}

@test "every image and video is on the server exactly once, owned by the uploading user" {
	run -0 check count
	assert_output ''
	# the sample has both kinds, and audio is not for Immich
	[ "$(jq '[.assets[] | select(.type == "IMAGE")] | length' "$DUMP")" -gt 10 ]
	[ "$(jq '[.assets[] | select(.type == "VIDEO")] | length' "$DUMP")" -ge 3 ]
	[ "$(jq '[.assets[] | select(.type == "AUDIO" or .type == "OTHER")] | length' "$DUMP")" -eq 0 ]
}

@test "items with an offset: fileCreatedAt and exifInfo.dateTimeOriginal are the record's instant" {
	[ "$(grep -l 'offset=' "$OUT"/.mem/items/*.item | wc -l)" -ge 5 ]
	run -0 check instant-offset
	assert_output ''
}

@test "items without an offset: fileCreatedAt and exifInfo.dateTimeOriginal are the record's instant" {
	# The server reads a JPEG's DateTimeOriginal without OffsetTimeOriginal as the
	# wall clock of its GPS position's zone: mem-scan gives every instant an offset
	# (issue 12's cascade), so none is left to be read that way.
	run -0 check instant-no-offset
	assert_output ''
}

@test "images with an offset: localDateTime is the record's wall clock and exifInfo.timeZone its offset" {
	run -0 check local-image
	assert_output ''
}

@test "videos with an offset: localDateTime is the record's wall clock and exifInfo.timeZone its offset" {
	known_failure "Immich's rule, not ours: the server takes a video's zone from its GPS position, never from the file's offset (shared/immich/README.md), so a camera whose offset disagrees with its position's zone shows the position's wall clock" \
		check local-video
	assert_output ''
}

@test "exifInfo latitude and longitude are the record's, and none where the record has none" {
	[ "$(jq '[.assets[] | select(.exifInfo.latitude != null)] | length' "$DUMP")" -ge 5 ]
	run -0 check gps
	assert_output ''
}

@test "exifInfo.description is the record's caption, empty where it has none" {
	[ "$(jq '[.assets[] | select(.exifInfo.description != "")] | length' "$DUMP")" -ge 3 ]
	run -0 check description
	assert_output ''
}

@test "isFavorite is the record's favorite" {
	[ "$(jq '[.assets[] | select(.isFavorite)] | length' "$DUMP")" -ge 1 ]
	run -0 check favorite
	assert_output ''
}

@test "each album of the records exists once, holds exactly the assets whose records name it, the user its only member" {
	[ "$(jq '.albums | length' "$DUMP")" -ge 5 ]
	run -0 check albums
	assert_output ''
}

@test "a Live Photo's still links its video (livePhotoVideoId)" {
	known_failure "issue 13: mem-upload sends no livePhotoVideoId and the pair has no ContentIdentifier for the server to link" \
		check live-photo
	assert_output ''
}

@test "visibility: everything on the timeline, a Live Photo's video hidden" {
	known_failure "issue 13: the Live Photo's video stays on the timeline while the pair is not linked" \
		check visibility
	assert_output ''
}

@test "no asset is stacked: no record asks for a stack" {
	run -0 check stack
	assert_output ''
}

@test "an unchanged rerun uploads nothing: the same assets, ids and albums" {
	run -0 mem-pipeline -j2 --originals "$BATS_FILE_TMPDIR/sample" -o "$OUT"
	assert_line "Failed: 0"
	real_dump "$OUT" again.json
	jq -S '[.assets[] | {id, checksum, fileCreatedAt, isFavorite}] | sort_by(.id)' "$DUMP" > before
	jq -S '[.assets[] | {id, checksum, fileCreatedAt, isFavorite}] | sort_by(.id)' again.json > after
	cmp before after
	jq -S '[.albums[] | {id, albumName, m: (.memberIds | sort)}] | sort_by(.id)' "$DUMP" > before
	jq -S '[.albums[] | {id, albumName, m: (.memberIds | sort)}] | sort_by(.id)' again.json > after
	cmp before after
}

@test "find OUT -type f | mem-upload -o OUT: every asset counted and printed once, nothing new on the server" {
	run -0 bash -c "find '$OUT' -type f -print0 | mem-upload -o '$OUT' > up.nul"
	media=$(jq '.assets | length' "$DUMP")
	assert_output --partial "0 uploaded"
	assert_output --partial "0 failed"
	# each image and video once on stdout, nothing under .mem/
	[ "$(tr '\0' '\n' < up.nul | grep -vc -e '\.mp3$' -e '\.wav$' -e '\.flac$')" -eq "$media" ]
	[ "$(tr '\0' '\n' < up.nul | sort | uniq -d | wc -l)" -eq 0 ]
	run -1 grep -F '/.mem/' up.nul
	real_dump "$OUT" again.json
	[ "$(jq '.assets | length' again.json)" -eq "$media" ]
}

# The double (tests/helpers/immich-double.py) against the real server: the
# same steps, a fresh user of the real server, compared line by line.
protocol_both() {
	make_jpeg a.jpg
	cp a.jpg b.jpg
	printf 'b' >> b.jpg
	echo 'not media' > not-media.txt
	"$SERVER" user real.key > /dev/null
	protocol_trace "$IMMICH_INSTANCE_URL" real.key . > real.trace
	double_start
	printf 'k' > double.key
	protocol_trace "$DOUBLE_URL" double.key . > double.trace
	double_stop
}

@test "the double answers uploads (201, then 200 duplicate), bulk checks and albums exactly as the real server" {
	protocol_both
	grep -v '^error-' real.trace > real
	grep -v '^error-' double.trace > double
	[ "$(grep -c . real)" -eq 8 ]
	run -0 diff real double
}

@test "the double answers errors with the real server's status and message" {
	protocol_both
	grep '^error-' real.trace | cut -d' ' -f1,2 > real
	grep '^error-' double.trace | cut -d' ' -f1,2 > double
	[ "$(grep -c . real)" -eq 3 ]
	run -0 diff real double
	grep '^error-' real.trace > real
	grep '^error-' double.trace > double
	run -0 diff real double
}

# --- Google Photos' Archive, Locked Folder and favorites on the real server
# (issue 15). A user of our own, made through the admin's API with a
# password, so that its session can be unlocked with a PIN: the server shows
# locked assets only to such a session, never to an API key.

# locked_user DIR: DIR/user.key (the user's API key, for mem-upload) and
# DIR/bearer (a header: its session, unlocked). Secrets stay in files.
locked_user() {
	local d=$1 url=$IMMICH_INSTANCE_URL email
	email="locked-$(date +%s%N)@mem.test"
	printf 'x-api-key: %s\n' "$(cat "$MEM_IMMICH_RUN/admin.key")" > "$d/admin.hdr"
	head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$d/pw"
	jq -n --arg e "$email" --rawfile p "$d/pw" \
		'{email: $e, name: "locked", password: $p, shouldChangePassword: false}' > "$d/new.json"
	curl -sS --fail-with-body -H @"$d/admin.hdr" -H 'Content-Type: application/json' \
		--data-binary @"$d/new.json" "$url/api/admin/users" > /dev/null || return 1
	jq -n --arg e "$email" --rawfile p "$d/pw" '{email: $e, password: $p}' > "$d/login.json"
	curl -sS --fail-with-body -H 'Content-Type: application/json' --data-binary @"$d/login.json" \
		"$url/api/auth/login" | jq -r '"Authorization: Bearer " + .accessToken' > "$d/bearer" || return 1
	echo '{"name":"issue-15","permissions":["all"]}' > "$d/key.json"
	curl -sS --fail-with-body -H @"$d/bearer" -H 'Content-Type: application/json' \
		--data-binary @"$d/key.json" "$url/api/api-keys" | jq -j .secret > "$d/user.key" || return 1
	echo '{"pinCode":"615243"}' > "$d/pin.json"
	curl -sS --fail-with-body -H @"$d/bearer" -H 'Content-Type: application/json' \
		--data-binary @"$d/pin.json" "$url/api/auth/pin-code" > /dev/null || return 1
	curl -sS --fail-with-body -H @"$d/bearer" -H 'Content-Type: application/json' \
		--data-binary @"$d/pin.json" "$url/api/auth/session/unlock" > /dev/null
}

# takeout_photo FILE EPOCH SIZE [JSON FIELDS]: a real JPEG (its own bytes:
# SIZE differs) and its Takeout sidecar.
takeout_photo() {
	mkdir -p "$(dirname "$1")"
	make_jpeg "$1" "$3" || return 1
	printf '{"title": "%s", "photoTakenTime": {"timestamp": "%s"}%s}\n' \
		"${1##*/}" "$2" "${4:+, $4}" > "$1.json"
}

@test "an archived, a Locked Folder (--include-locked) and a favorite Takeout photo show on the real server as visibility archive, locked, timeline and isFavorite" {
	local G=$BATS_TEST_TMPDIR/google-ann-20240101 O=$BATS_TEST_TMPDIR/o R
	R="$G/Takeout/Google Photos"
	takeout_photo "$R/Archive/IMG_1.jpg" 1600000001 64x48
	takeout_photo "$R/Locked Folder/IMG_2.jpg" 1610000002 72x48
	takeout_photo "$R/Photos from 2021/IMG_3.jpg" 1620000003 80x48 '"favorited": true'
	takeout_photo "$R/Photos from 2021/IMG_4.jpg" 1620100004 88x48 '"archived": true'
	locked_user "$BATS_TEST_TMPDIR"
	mem-scan --include-locked --records -o "$O" "$G" > recs.nul
	[ "$(tr -cd '\0' < recs.nul | wc -c)" -eq 4 ]
	run -0 mem-exif -o "$O" < recs.nul
	IMMICH_API_KEY=$(cat "$BATS_TEST_TMPDIR/user.key") run -0 --separate-stderr mem-upload -o "$O" < recs.nul
	# the locked one in no album (the server refuses it there)
	[[ "$stderr" == "mem-upload: 4 uploaded ("*" kB), 0 duplicates, 0 unchanged (ledger), 0 skipped (audio), 0 ignored, 0 failed; albums: 1 created, 1 updated" ]]
	for v in timeline archive locked; do
		jq -n --arg v "$v" '{visibility: $v, size: 100}' > q.json
		curl -sS --fail-with-body -H @"$BATS_TEST_TMPDIR/bearer" -H 'Content-Type: application/json' \
			--data-binary @q.json "$IMMICH_INSTANCE_URL/api/search/metadata" |
			jq -c '[.assets.items[] | [.originalFileName, .visibility, .isFavorite]] | sort | .[]'
	done > got
	run -0 cat got
	assert_output '["gphotos-ann-20210503.jpg","timeline",true]
["gphotos-ann-20200913.jpg","archive",false]
["gphotos-ann-20210504.jpg","archive",false]
["gphotos-ann-20210107.jpg","locked",false]'
	curl -sS --fail-with-body -H @"$BATS_TEST_TMPDIR/bearer" "$IMMICH_INSTANCE_URL/api/albums" |
		jq -c '[.[] | [.albumName, .assetCount]]' > got
	run -0 cat got
	assert_output '[["Google Photos/ann",3]]'
}
