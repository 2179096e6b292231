#!/usr/bin/env bats
# What the real Immich v3.1.0 server (tests/immich/server) shows of the real
# camera and phone files of ../shared/corpus, once uploaded as they are by
# the official CLI and once through the pipeline (mem-scan, mem-exif,
# mem-upload), each by its own user: every output must show as its
# original does. The server reads far more tags than mem-scan (maker
# notes' dates, IPTC's, a zone from the GPS position), so this is the test
# that a tag of ours never hides one of the camera's.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/immich-real
load helpers/immich

CORPUS=${MEM_CORPUS:-$REPO/../shared/corpus}

# The server, two users, the originals by the CLI, the pipeline by the
# other user, and both read back once the server's jobs are done.
setup_file() {
	local F=$BATS_FILE_TMPDIR n rc
	[ -f "$CORPUS/MANIFEST.tsv" ] || { echo "no corpus at $CORPUS" > "$F/unavailable"; return 0; }
	real_server_start || return 1
	[ ! -s "$F/unavailable" ] || return 0
	cli_install
	[ -x "$CLI_DIR/node_modules/.bin/node" ] ||
		{ echo "the official CLI could not be installed from npm" > "$F/unavailable"; return 0; }
	"$SERVER" user "$F/orig.key" > "$F/orig.id" || return 1
	# a copy keeps the files' mtimes, which date the ones without a date
	mkdir "$F/corpus"
	cp -a "$CORPUS"/*+* "$F/corpus/" || return 1
	n=$(find "$F/corpus" -type f | wc -l)
	echo "$n" > "$F/n"
	IMMICH_INSTANCE_URL=$(cat "$F/url") IMMICH_API_KEY=$(cat "$F/orig.key") BATS_TEST_TMPDIR=$F \
		immich upload --recursive "$F/corpus" > "$F/cli.log" 2>&1 && rc=0 || rc=$?
	echo "$rc" > "$F/cli.status"
	"$REALCHECK" dump-all "$(cat "$F/url")" "$F/orig.key" \
		"$(cat "$F/run")/admin.key" "$n" "$F/originals.json" 2> "$F/originals.log"
	IMMICH_INSTANCE_URL=$(cat "$F/url") IMMICH_API_KEY=$(cat "$F/user.key") \
		mem-pipeline -j2 --originals "$F/corpus" -o "$F/out" > "$F/console" 2>&1 && rc=0 || rc=$?
	echo "$rc" > "$F/status"
	"$REALCHECK" dump-all "$(cat "$F/url")" "$F/user.key" "$(cat "$F/run")/admin.key" "$F/out" \
		"$F/dump.json" 2> "$F/dump.log" && rc=0 || rc=$?
	echo "$rc" > "$F/dump.status"
}

teardown_file() {
	real_server_stop
}

setup() {
	real_server_env
	F=$BATS_FILE_TMPDIR
	cd "$BATS_TEST_TMPDIR" || return 1
}

# versus WHAT: the server's view of every output against its original's.
versus() {
	"$REALCHECK" versus "$1" "$F/originals.json" "$F/out" "$F/dump.json"
}

@test "the CLI uploads every corpus file and the pipeline delivers and uploads every one: exit 0" {
	run cat "$F/cli.log"
	assert_equal "$(cat "$F/cli.status")" 0
	assert_output --partial "Successfully uploaded $(cat "$F/n") new assets"
	run cat "$F/console"
	assert_equal "$(cat "$F/status")" 0
	assert_line "Failed: 0"
	assert_equal "$(cat "$F/dump.status")" 0
}

@test "every output and every original is on the server exactly once, and the server made as many assets of both (a Samsung motion photo's video, hidden)" {
	run -0 versus count
	assert_output ''
	[ "$(jq '.assets | length' "$F/originals.json")" -gt "$(cat "$F/n")" ]
}

@test "the server dates every output as its original, to the second: the same instant and wall clock (so the same offset); where it finds no date in the original, at the date mem-scan read" {
	run -0 versus date
	assert_output ''
}

@test "the server shows every original at the date its record says mem-scan read from the file: the instant and wall clock where the offset came from the file too (its own, its place's zone, its other dates'), the wall clock as UTC where the file gives no zone; and finds no date where mem-scan found none (an old camera's maker-note or segment date is read)" {
	run "$REALCHECK" versus record "$F/originals.json" "$F/out" "$F/dump.json"
	assert_output ''
	[ "$status" -eq 0 ]
}

@test "the server places every output where it places its original" {
	run -0 versus place
	assert_output ''
}

@test "the server shows every output's camera, lens and exposure as its original's" {
	run -0 versus camera
	assert_output ''
}

@test "the server shows every output's kind, duration, size and orientation as its original's, and makes a thumbnail of each that it makes of the original" {
	run -0 versus image
	assert_output ''
}

@test "the server shows every output's caption as its original's" {
	run -0 versus caption
	assert_output ''
}
