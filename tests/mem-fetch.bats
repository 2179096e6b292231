#!/usr/bin/env bats
# mem-fetch: the media an export only links to, from a loopback CDN
# (helpers/cdn.py) that logs every request and plays the faults a real CDN
# has; then the pipeline on generated Discord and Snapchat exports.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/fetch

setup() {
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT" recs
	cdn_start
}

teardown() {
	cdn_stop
}

F=.mem/fetch

@test "an attachment is downloaded, named by its bytes (not its URL), and its new record points at it" {
	make_jpeg shot.jpg && mv shot.jpg "$CDN_ROOT/shot.png"	# a JPEG behind a .png name
	link_record recs/r.item 00000000000000a1 url "$(att shot.png)"
	run -0 --separate-stderr mem-fetch -o "$OUT" recs/r.item
	[ "$stderr" = '' ]
	printf '%s\0' "$OUT/$F/00000000000000a1.item" | cmp - <(mem-fetch -o "$OUT" recs/r.item)
	cmp "$CDN_ROOT/shot.png" "$OUT/$F/00000000000000a1.jpg"
	tr '\0' '\n' < "$OUT/$F/00000000000000a1.item" > got
	cat > want <<-EOF
	mem-item=1
	id=00000000000000a1
	source=$OUT/$F/00000000000000a1.jpg
	export=e
	platform=discord
	user=u
	dest=e/messages/discord-u-kim-20240228.jpg
	kind=image
	time=2024-02-28T13:03:11Z
	offset=+01:00
	time_source=json
	caption=Message: "look"
	url=$(att shot.png)
	EOF
	diff want got
	# the second run asked nothing
	[ "$(hits GET /attachments/501/1210000000000000001/shot.png)" -eq 1 ]
}

@test "records without a link and plain paths pass through in input order" {
	make_jpeg a.jpg
	make_jpeg "$CDN_ROOT/x.jpg"
	printf 'mem-item=1\0id=00000000000000b1\0source=%s\0dest=e/a.jpg\0' "$PWD/a.jpg" > recs/plain.item
	link_record recs/l.item 00000000000000b2 url "$(att x.jpg)"
	run -0 mem-fetch -o "$OUT" a.jpg recs/l.item recs/plain.item
	printf '%s\0' a.jpg "$OUT/$F/00000000000000b2.item" recs/plain.item > want
	mem-fetch -o "$OUT" a.jpg recs/l.item recs/plain.item | cmp want -
}

@test "404 and 403 fail at once with their reason, never retried; the other items are done, exit 1" {
	make_jpeg "$CDN_ROOT/ok.jpg"
	link_record recs/1.item 00000000000000c1 url "$(att f404-a.jpg)"
	link_record recs/2.item 00000000000000c2 url "$(att f403-a.jpg)"
	link_record recs/3.item 00000000000000c3 url "$(att ok.jpg)"
	run -1 --separate-stderr mem-fetch -o "$OUT" --retry-delay 0 recs/1.item recs/2.item recs/3.item
	# (a line as each item ends: in the order the server answered)
	sort <<< "$stderr" > got
	printf '%s\n' "mem-fetch: recs/1.item: not found on the server (HTTP 404)" \
		"mem-fetch: recs/2.item: refused by the server (HTTP 403)" | cmp - got
	[ "$(hits GET /attachments/501/1210000000000000001/f404-a.jpg)" -eq 1 ]
	[ "$(hits GET /attachments/501/1210000000000000001/f403-a.jpg)" -eq 1 ]
	cmp "$CDN_ROOT/ok.jpg" "$OUT/$F/00000000000000c3.jpg"
	run -0 ls "$OUT/$F"
	assert_output "00000000000000c3.item
00000000000000c3.jpg"
}

@test "an expired Discord link fails with the day it expired and why" {
	make_jpeg "$CDN_ROOT/old.jpg"
	link_record recs/1.item 00000000000000d1 url "$(att old.jpg 7 "$EXPIRED")"
	run -1 --separate-stderr mem-fetch -o "$OUT" recs/1.item
	[ "$stderr" = "mem-fetch: recs/1.item: link expired on 2024-03-02; Discord links in a data package are valid for about a day after it is made (HTTP 404)" ]
	[ "$(hits GET /attachments/501/7/old.jpg)" -eq 1 ]
}

@test "429 is tried again after Retry-After, 500 after a backoff, a reset mid-body again: all arrive whole" {
	for n in f429-a f500-b reset-c; do make_jpeg "$CDN_ROOT/$n.jpg" 320x240; done
	link_record recs/1.item 00000000000000e1 url "$(att f429-a.jpg)"
	link_record recs/2.item 00000000000000e2 url "$(att f500-b.jpg)"
	link_record recs/3.item 00000000000000e3 url "$(att reset-c.jpg)"
	run -0 --separate-stderr mem-fetch -o "$OUT" --retry-delay 0.1 recs/*.item
	[ "$stderr" = '' ]
	cmp "$CDN_ROOT/f429-a.jpg" "$OUT/$F/00000000000000e1.jpg"
	cmp "$CDN_ROOT/f500-b.jpg" "$OUT/$F/00000000000000e2.jpg"
	cmp "$CDN_ROOT/reset-c.jpg" "$OUT/$F/00000000000000e3.jpg"
	[ "$(hits GET /attachments/501/1210000000000000001/f429-a.jpg)" -eq 2 ]
	[ "$(hits GET /attachments/501/1210000000000000001/f500-b.jpg)" -eq 2 ]
	[ "$(hits GET /attachments/501/1210000000000000001/reset-c.jpg)" -eq 2 ]
}

@test "with --retries 0 a 500 fails after one attempt, saying so" {
	make_jpeg "$CDN_ROOT/f500-a.jpg"
	link_record recs/1.item 00000000000000e4 url "$(att f500-a.jpg)"
	run -1 --separate-stderr mem-fetch -o "$OUT" --retries 0 recs/1.item
	[ "$stderr" = "mem-fetch: recs/1.item: HTTP 500 (after 1 attempts)" ]
	[ "$(hits GET /attachments/501/1210000000000000001/f500-a.jpg)" -eq 1 ]
}

@test "a slow body that keeps moving is waited for" {
	make_jpeg "$CDN_ROOT/slow-a.jpg" 320x240
	link_record recs/1.item 00000000000000f1 url "$(att slow-a.jpg)"
	run -0 mem-fetch -o "$OUT" --timeout 1 recs/1.item
	cmp "$CDN_ROOT/slow-a.jpg" "$OUT/$F/00000000000000f1.jpg"
	[ "$(hits GET /attachments/501/1210000000000000001/slow-a.jpg)" -eq 1 ]
}

@test "a redirect to http is refused; one to https is followed" {
	make_jpeg "$CDN_ROOT/a.jpg"
	link_record recs/1.item 0000000000000101 url "$(att redirhttp-a.jpg)"
	link_record recs/2.item 0000000000000102 url "$(att redirhttps-a.jpg)"
	run -1 --separate-stderr mem-fetch -o "$OUT" recs/1.item recs/2.item
	[ "$stderr" = "mem-fetch: recs/1.item: redirected to http://127.0.0.1:$CDN_PORT/attachments/501/1210000000000000001/a.jpg, which is not https" ]
	cmp "$CDN_ROOT/a.jpg" "$OUT/$F/0000000000000102.jpg"
	# the refused hop was never asked for: a.jpg came once, by https
	[ "$(hits GET /attachments/501/1210000000000000001/a.jpg)" -eq 1 ]
}

@test "a plain http link and a non-loopback MEM_FETCH_LOOPBACK are refused" {
	link_record recs/1.item 0000000000000111 url "http://127.0.0.1:$CDN_PORT/attachments/1/2/a.jpg"
	run -1 --separate-stderr mem-fetch -o "$OUT" recs/1.item
	[ "$stderr" = "mem-fetch: recs/1.item: http://127.0.0.1:$CDN_PORT/attachments/1/2/a.jpg: not an https link" ]
	[ ! -s "$CDN_LOG" ]
	MEM_FETCH_LOOPBACK=http://cdn.example.com:80 run -2 --separate-stderr mem-fetch -o "$OUT" recs/1.item
	[ "$stderr" = "mem-fetch: MEM_FETCH_LOOPBACK=http://cdn.example.com:80: only http://127.0.0.1[:PORT], http://[::1][:PORT] or http://localhost[:PORT]" ]
}

@test "TLS is verified: a server with a self-signed certificate is refused before any request" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-keyout key.pem -out cert.pem 2> /dev/null
	cat key.pem cert.pem > tls.pem
	make_jpeg "$CDN_ROOT/a.jpg"
	python3 "$CDN_PY" --root "$CDN_ROOT" --log tls.log --port-file tls.port \
		--lifetime 60 --cert tls.pem 3>&- &
	tls_pid=$!
	for i in $(seq 200); do [ -s tls.port ] && break; sleep 0.05; done
	link_record recs/1.item 0000000000000151 url "https://127.0.0.1:$(cat tls.port)/attachments/501/1/a.jpg"
	unset MEM_FETCH_LOOPBACK
	run -1 --separate-stderr mem-fetch -o "$OUT" recs/1.item
	kill "$tls_pid"
	[[ $stderr == "mem-fetch: recs/1.item: SSL certificate problem: self-signed certificate"* ]]
	[ ! -s tls.log ]
	run -0 find "$OUT/$F" -type f
	assert_output ''
}

@test "a body over --max-size and an HTML page served with 200 fail, and leave nothing" {
	make_jpeg "$CDN_ROOT/big-a.jpg" 640x480
	link_record recs/1.item 0000000000000121 url "$(att big-a.jpg)"
	link_record recs/2.item 0000000000000122 url "$(att html-b.jpg)"
	run -1 --separate-stderr mem-fetch -o "$OUT" --max-size 1K recs/1.item recs/2.item
	sort <<< "$stderr" > got
	printf '%s\n' "mem-fetch: recs/1.item: larger than the cap of 1024 bytes (--max-size)" \
		"mem-fetch: recs/2.item: the server answered HTTP 200 with an HTML page, not the media" | cmp - got
	run -0 find "$OUT/$F" -type f
	assert_output ''
}

@test "an older Snapchat link is POSTed for the media URL; a ZIP gives the media and its overlay" {
	snapchat_export snap
	link_record recs/1.item 0000000000000131 link "https://app.snapchat.com/dmd/memories?uid=u1&sid=s1&mid=m1&ts=1&sig=abc" x/snap-memories-u-20230501.jpg
	link_record recs/2.item 0000000000000132 link "https://app.snapchat.com/dmd/memories?uid=u1&sid=s1&mid=m2&ts=1&sig=abc" x/snap-memories-u-20230502.jpg
	run -0 --separate-stderr mem-fetch -o "$OUT" recs/1.item recs/2.item
	[ "$stderr" = '' ]
	cmp "$CDN_ROOT/m1.jpg" "$OUT/$F/0000000000000131.jpg"
	cmp "$BATS_TEST_TMPDIR/zip/m2-main.jpg" "$OUT/$F/0000000000000132.jpg"
	cmp "$BATS_TEST_TMPDIR/zip/m2-overlay.png" "$OUT/$F/0000000000000132.overlay.png"
	tr '\0' '\n' < "$OUT/$F/0000000000000132.item" | grep -qx "overlay=$OUT/$F/0000000000000132.overlay.png"
	[ "$(hits POST /dmd/memories)" -eq 2 ]
	[ "$(hits GET /memories/m1)" -eq 1 ]
	[ "$(hits GET /memories/m2)" -eq 1 ]
}

@test "a run killed with -9 mid-download leaves nothing partial; the rerun fetches only what was not done" {
	for n in 1 2 3; do make_jpeg "$CDN_ROOT/q$n.jpg"; done
	make_jpeg "$CDN_ROOT/stall-s.jpg" 640x480
	link_record recs/1.item 0000000000000141 url "$(att q1.jpg)"
	link_record recs/2.item 0000000000000142 url "$(att stall-s.jpg)"
	link_record recs/3.item 0000000000000143 url "$(att q3.jpg)"
	mem-fetch -o "$OUT" recs/1.item recs/2.item recs/3.item > /dev/null 2>&1 3>&- &
	pid=$!
	for i in $(seq 200); do
		[ -f "$OUT/$F/0000000000000141.item" ] && [ -f "$OUT/$F/0000000000000143.item" ] &&
			ls -a "$OUT/$F" | grep -q '^\.0000000000000142\.part\.' && break
		sleep 0.05
	done
	ls -a "$OUT/$F" | grep -q '^\.0000000000000142\.part\.'	# the stalled body, hidden
	kill -9 "$pid"
	wait "$pid" || true
	# nothing partial under a visible name
	run -0 find "$OUT/$F" -name '0000000000000142*'
	assert_output ''
	mv "$CDN_ROOT/stall-s.jpg" "$CDN_ROOT/s.jpg"
	link_record recs/2.item 0000000000000142 url "$(att s.jpg)"
	run -0 mem-fetch -o "$OUT" recs/1.item recs/2.item recs/3.item
	cmp "$CDN_ROOT/s.jpg" "$OUT/$F/0000000000000142.jpg"
	[ "$(hits GET /attachments/501/1210000000000000001/q1.jpg)" -eq 1 ]
	[ "$(hits GET /attachments/501/1210000000000000001/q3.jpg)" -eq 1 ]
	[ "$(hits GET /attachments/501/1210000000000000001/s.jpg)" -eq 1 ]
	run -0 find "$OUT/$F" -name '.*'
	assert_output ''
}

D=discord-pat-20240301/messages
S=snapchat-pat-20240301/memories

@test "the pipeline puts every reachable linked item in OUT with its date and caption; the expired and the gone link are reported, exit 1" {
	both_exports
	run -1 mem-pipeline -j2 -o "$OUT" --originals in
	assert_line --regexp "^failed job [0-9]+/10: e.jpg: mem-fetch: $OUT/.mem/items/[0-9a-f]{16}.item: link expired on 2024-03-02; Discord links in a data package are valid for about a day after it is made \(HTTP 404\)$"
	assert_line --regexp "^failed job [0-9]+/10: f404-x.jpg: mem-fetch: .*: not found on the server \(HTTP 404\)$"
	assert_line "✗ FAILED: discord-pat-20240301: 2 of 7 item(s) failed"
	assert_line "✓ SUCCESS: snapchat-pat-20240301 completed successfully (3 item(s))"
	assert_line "  ✗ FAILED        discord-pat-20240301 (7 item(s), 2 failed)"
	assert_line --regexp "^Downloaded: 8 item\(s\), [0-9.]+ MB$"
	assert_line "mem-pipeline: exit 1: some items failed"
	run -0 find "$OUT" -path "$OUT/.mem" -prune -o -type f -print
	[ "${#lines[@]}" -eq 9 ]	# 8 media and the Discord failure report
	# Discord (JSON): the message's wall clock and offset, its text
	[ "$(tag "$OUT/$D/discord-pat-kim-20240228.jpg" -DateTimeOriginal -OffsetTimeOriginal)" = "2024:02:28 14:03:11
+01:00" ]
	exiftool -b -ImageDescription "$OUT/$D/discord-pat-kim-20240228.jpg" > desc
	printf 'Source: Discord/pat\nConversation: "DM with kim"\nSender: "pat"\nMessage: "look"' | cmp - desc
	# the message's second attachment (b.jpg is 80 wide)
	[ "$(tag "$OUT/$D/discord-pat-kim-20240228_1.jpg" -ImageWidth -DateTimeOriginal)" = "80
2024:02:28 14:03:11" ]
	[ "$(tag "$OUT/$D/discord-pat-kim-20240228_2.mp4" -QuickTime:CreateDate)" = "2024:02:28 14:00:00" ]
	tag "$OUT/$D/discord-pat-kim-20240228_2.mp4" -Description | grep -q 'Message: "a clip"'
	# Discord (CSV, the older format)
	[ "$(tag "$OUT/$D/discord-pat-general-20231224.jpg" -DateTimeOriginal)" = "2023:12:24 20:00:00" ]
	exiftool -b -ImageDescription "$OUT/$D/discord-pat-general-20231224.jpg" | grep -qx 'Message: "merry "xmas""'
	# the message's second attachment (g.jpg is 48 wide)
	[ "$(tag "$OUT/$D/discord-pat-general-20231224_1.jpg" -ImageWidth -DateTimeOriginal)" = "48
2023:12:24 20:00:00" ]
	# Snapchat: both link forms, the date (the wall clock of the place's
	# zone: Paris, New York), the place, the overlay merged
	[ "$(tag "$OUT/$S/snap-memories-pat-20230501.jpg" -n -DateTimeOriginal -OffsetTimeOriginal -GPSLatitude)" = "2023:05:01 12:00:00
+02:00
48.8584" ]
	[ "$(tag "$OUT/$S/snap-memories-pat-20230503.jpg" -n -DateTimeOriginal -OffsetTimeOriginal -GPSLongitude)" = "2023:05:03 08:00:00
-04:00
-74.0445" ]
	[ "$(tag "$OUT/$S/snap-memories-pat-20230502.jpg" -DateTimeOriginal)" = "2023:05:02 11:00:00" ]
	[ "$(pixels "$OUT/$S/snap-memories-pat-20230502.jpg")" != "$(pixels zip/m2-main.jpg)" ]
	# the failure report names both failed links with their reasons
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
for e in r["failed_processing"]: print(e["stage"], e["reason"].split(": ", 2)[-1])' \
		"$OUT/discord-pat-20240301/issues/failure-report.json" | sort > got
	printf '%s\n' "mem-fetch link expired on 2024-03-02; Discord links in a data package are valid for about a day after it is made (HTTP 404)" \
		"mem-fetch not found on the server (HTTP 404)" | cmp - got
	# every reachable file asked for once
	for n in a.jpg b.jpg c.mp4 d.jpg g.jpg; do
		[ "$(awk -v n="$n" '$1 == "GET" && $2 ~ "/" n "$"' "$CDN_LOG" | wc -l)" -eq 1 ]
	done
	[ "$(hits POST /dmd/memories)" -eq 2 ]
	[ "$(hits GET /dmd/mm/m3)" -eq 1 ]
}

@test "a rerun asks the CDN again only for the links that failed (make and GNU parallel)" {
	both_exports
	run -1 mem-pipeline -j2 -o "$OUT" --originals in
	cp "$CDN_LOG" first.log
	run -1 mem-pipeline -j2 -o "$OUT" --originals in
	assert_line "Already done: 8 of 10 (unchanged since the last run)"
	diff first.log - < <(head -n "$(wc -l < first.log)" "$CDN_LOG")
	tail -n +"$(( $(wc -l < first.log) + 1 ))" "$CDN_LOG" | awk '{ print $1, $2 }' | sort > again
	printf '%s\n' "GET /attachments/501/14/e.jpg" "GET /attachments/501/15/f404-x.jpg" | cmp - again
	run -1 mem-pipeline -j2 --engine parallel -o "$OUT" --originals in
	assert_line "Already done: 8 of 10 (unchanged since the last run)"
	[ "$(hits GET /attachments/501/11/a.jpg)" -eq 1 ]
	[ "$(hits GET /attachments/501/14/e.jpg)" -eq 3 ]
}

@test "the GNU parallel engine downloads first in the item's own job and ends with the same OUT" {
	both_exports
	run -1 mem-pipeline -j2 --engine parallel -o "$OUT" --originals in
	assert_line "✗ FAILED: discord-pat-20240301: 2 of 7 item(s) failed"
	(cd "$OUT" && find . -path ./.mem -prune -o -type f -name '*.jp*g' -print -o -name '*.mp4' -print | sort) > got
	printf '%s\n' ./$D/discord-pat-general-20231224.jpg ./$D/discord-pat-general-20231224_1.jpg \
		./$D/discord-pat-kim-20240228.jpg \
		./$D/discord-pat-kim-20240228_1.jpg ./$D/discord-pat-kim-20240228_2.mp4 \
		./$S/snap-memories-pat-20230501.jpg ./$S/snap-memories-pat-20230502.jpg \
		./$S/snap-memories-pat-20230503.jpg | cmp - got
}

@test "FETCH=0: each export's links are counted and named, its summary line says so, nothing is asked, exit 1" {
	both_exports
	FETCH=0 run -1 mem-pipeline -j2 -o "$OUT" --originals in
	assert_line "discord-pat-20240301: 7 attachment(s) not downloaded (FETCH=0)"
	assert_line "    not downloaded: a.jpg"
	assert_line "    not downloaded: f404-x.jpg"
	assert_line "snapchat-pat-20240301: 3 memories not downloaded (FETCH=0)"
	assert_line "  ✗ INCOMPLETE    discord-pat-20240301 (0 item(s), 7 not downloaded (FETCH=0))"
	assert_line "  ✗ INCOMPLETE    snapchat-pat-20240301 (0 item(s), 3 not downloaded (FETCH=0))"
	assert_line "Not downloaded: 10 (FETCH=0; run with FETCH=1 to get them)"
	assert_line "mem-pipeline: exit 1: 10 item(s) not downloaded (FETCH=0)"
	[ ! -s "$CDN_LOG" ]
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["failed_processing"]), set(e["reason"] for e in r["failed_processing"]))' \
		"$OUT/snapchat-pat-20240301/issues/failure-report.json" > got
	echo "3 {'not downloaded (FETCH=0)'}" | cmp - got
	# --no-fetch is the same; then a run with the stage on gets them
	run -1 mem-pipeline --no-fetch -j2 -o "$OUT" --originals in
	assert_line "mem-pipeline: exit 1: 10 item(s) not downloaded (FETCH=0)"
	run -1 mem-pipeline -j2 -o "$OUT" --originals in
	assert_line "✓ SUCCESS: snapchat-pat-20240301 completed successfully (3 item(s))"
	[ -f "$OUT/$S/snap-memories-pat-20230502.jpg" ]
}

@test "with other hosts (ssh), the links are downloaded here and the items sent with their files" {
	load helpers/pipeline
	start_sshd "$BATS_TEST_TMPDIR/ssh"
	both_exports
	PARALLEL_SSH=$SSH_CMD PARALLEL="--env PATH" \
		run -1 mem-pipeline -j2 -S 2/root@127.0.0.1 -o "$OUT" --originals in
	kill "$SSHD_PID"
	assert_line "✗ FAILED: discord-pat-20240301: 2 of 7 item(s) failed"
	assert_line "Completed: 8"
	run -0 awk -F '\t' 'NR > 1 { print $2 }' "$OUT/.mem/run/joblog"
	assert_line "root@127.0.0.1"
	[ "$(tag "$OUT/$D/discord-pat-kim-20240228.jpg" -DateTimeOriginal -OffsetTimeOriginal)" = "2024:02:28 14:03:11
+01:00" ]
	[ "$(tag "$OUT/$S/snap-memories-pat-20230501.jpg" -n -GPSLatitude)" = 48.8584 ]
	[ "$(pixels "$OUT/$S/snap-memories-pat-20230502.jpg")" != "$(pixels zip/m2-main.jpg)" ]
	[ "$(hits GET /attachments/501/11/a.jpg)" -eq 1 ]
	assert_file_not_exists "$OUT/.mem/xfer"
}
