#!/usr/bin/env bats
# The pipeline: plan, make and GNU parallel engines, resume, status mapping,
# console lines, failure reports and the upload queue. The first part runs
# with stand-in tools (tests/helpers/pipeline.bash) so that it tests the
# orchestration alone; the second runs the real tools on the bundled sample.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/pipeline

setup() {
	STUBS=$BATS_TEST_TMPDIR/stubs
	stub_tools "$STUBS"
	SRC=$BATS_TEST_TMPDIR/src
	OUT=$BATS_TEST_TMPDIR/out
	export STUB_TRACE=$BATS_TEST_TMPDIR/trace
	: > "$STUB_TRACE"
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY SKIP_UPLOAD MAKEFLAGS IN ORIGINALS JOBS
}

# -- the plan -------------------------------------------------------------------

@test "an OUT with whitespace, ':', '\$', '#', '%' or a shell metacharacter is refused with exit 2" {
	mkdir -p "$SRC"
	for bad in "a b" "a:b" 'a$b' "a#b" "a%b" $'a\tb' "a;b" "a'b" 'a\b' 'a(b'; do
		echo "OUT=$bad"
		run_stubbed -o "$BATS_TEST_TMPDIR/$bad" "$SRC"
		[ "$status" -eq 2 ]
		assert_output --partial "OUT must not contain"
		assert_not_exists "$BATS_TEST_TMPDIR/$bad"
	done
}

@test "the generated plan names items by ID and holds no path" {
	stub_set "$SRC" "$OUT"
	find "$OUT/.mem/items" -name '*.item' -print0 > "$BATS_TEST_TMPDIR/recs"
	run -0 mem-plan -o "$OUT" < "$BATS_TEST_TMPDIR/recs"
	plan=$OUT/.mem/plan/plan.mk
	assert_file_exists "$plan"
	run -1 grep -e "$SRC" -e alpha -e beta -e '\.jpg' "$plan"
	run -0 grep -c '^X_[0-9a-f]\{16\} := ' "$plan"
	assert_output 2
	run -0 grep '^N := 8$' "$plan"
	run -0 grep '^NORM := b000000000000007$' "$plan"
}

@test "the plan refuses an unreadable record and two items with one ID" {
	stub_set "$SRC" "$OUT"
	printf 'not a record' > "$BATS_TEST_TMPDIR/junk"
	run -1 mem-plan -o "$OUT" "$OUT/.mem/items/a000000000000000.item" "$BATS_TEST_TMPDIR/junk"
	assert_output --partial "junk: not an item record"
	make_record "$BATS_TEST_TMPDIR/o2" a000000000000000 alpha /etc/hostname image alpha/x.jpg
	run -2 mem-plan -o "$OUT" "$OUT/.mem/items/a000000000000000.item" \
		"$BATS_TEST_TMPDIR/o2/.mem/items/a000000000000000.item"
	assert_output --partial "collides"
}

@test "the engines start the songs and videos first, the longest first, then the rest in plan order" {
	mkdir -p "$SRC/a" "$SRC/b"
	printf 'x' > "$SRC/a/1.jpg"
	head -c 200000 /dev/zero > "$SRC/a/2.jpg"
	head -c 1000000 /dev/zero > "$SRC/a/clip.mp4"
	head -c 100000 /dev/zero > "$SRC/b/long.mp3"
	head -c 10000 /dev/zero > "$SRC/b/short.wav"
	printf 'x' > "$SRC/b/3.jpg"
	make_record "$OUT" a000000000000001 a "$SRC/a/1.jpg" image a/1.jpg
	make_record "$OUT" a000000000000002 a "$SRC/a/2.jpg" image a/2.jpg
	make_record "$OUT" a000000000000003 a "$SRC/a/clip.mp4" video a/clip.mp4
	make_record "$OUT" b000000000000001 b "$SRC/b/short.wav" audio b/short.wav
	make_record "$OUT" b000000000000002 b "$SRC/b/long.mp3" audio b/long.mp3
	make_record "$OUT" b000000000000003 b "$SRC/b/3.jpg" image b/3.jpg
	find "$OUT/.mem/items" -name '*.item' -print0 | sort -z > "$BATS_TEST_TMPDIR/recs"
	run -0 mem-plan -o "$OUT" < "$BATS_TEST_TMPDIR/recs"
	run -0 grep '^RUN := ' "$OUT/.mem/plan/plan.mk"
	assert_output "RUN := b000000000000002 b000000000000001 a000000000000003 a000000000000001 a000000000000002 b000000000000003"
	# GNU parallel's list in the same order; the job numbers stay the plan's.
	printf 'norm\tb000000000000002\0norm\tb000000000000001\0exif\ta000000000000003\0exif\ta000000000000001\0exif\ta000000000000002\0exif\tb000000000000003\0' \
		> "$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$OUT/.mem/plan/todo"
	run -0 cut -f 1,2 "$OUT/.mem/plan/items"
	assert_output "$(printf '1\ta000000000000001\n2\ta000000000000002\n3\ta000000000000003\n4\tb000000000000001\n5\tb000000000000002\n6\tb000000000000003')"
	# make starts them in that order, one at a time at -j1.
	MEM_BIN=$STUBS run -0 mem-pipeline -o "$OUT" -j1 "$SRC"
	run -0 awk '$2 == "start" { printf "%s ", $4 }' "$STUB_TRACE"
	assert_output "b000000000000002 b000000000000001 a000000000000003 a000000000000001 a000000000000002 b000000000000003 "
}

@test "a record given from outside OUT is copied into the plan" {
	make_record "$BATS_TEST_TMPDIR/elsewhere" c000000000000001 c /etc/hostname image c/x.jpg
	run -0 mem-plan -o "$OUT" "$BATS_TEST_TMPDIR/elsewhere/.mem/items/c000000000000001.item"
	cmp "$BATS_TEST_TMPDIR/elsewhere/.mem/items/c000000000000001.item" \
		"$OUT/.mem/items/c000000000000001.item"
}

# -- a run ------------------------------------------------------------------------

@test "a run prints LevelUp's batch lines, the per-export lines and the summary, exit 0" {
	stub_set "$SRC" "$OUT"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "=== BATCH PROCESSING START ==="
	assert_line "Files to process: 8"
	assert_line "Parallel processing: ENABLED"
	assert_line "Max concurrent jobs: 2"
	assert_line "processing job 1/8: plain.jpg"
	assert_line "processing job 2/8: with space.jpg"
	assert_line "processing job 3/8: new?line.jpg"
	assert_line --regexp '^completed job [1-8]/8 \(8/8 total completed\)$'
	assert_line "✓ SUCCESS: alpha completed successfully (4 item(s))"
	assert_line "✓ SUCCESS: beta completed successfully (4 item(s))"
	assert_line "=== PARALLEL PROCESSING SUMMARY ==="
	assert_line "Total files: 8"
	assert_line "Completed: 8"
	assert_line "Failed: 0"
	assert_line "Success rate: 100.0%"
	assert_line "Total: 2 succeeded, 0 failed out of 2 export(s)"
	assert_line --index $((${#lines[@]} - 1)) "=== BATCH PROCESSING COMPLETE ==="
	# Every job line is whole: 8 starts and 8 completions.
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^processing job [1-8]/8: ')" -eq 8 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^completed job [1-8]/8 (')" -eq 8 ]
	for i in 0 1 2 3; do
		cmp "$OUT/alpha/photos/alpha-$i.jpg" <(printf 'alpha %d' "$i")
	done
	cmp "$OUT/beta/songs/song.mp3" <(printf song)
	assert_equal "$(trace_count 'mem-loudnorm end')" 1
	assert_equal "$(trace_count 'mem-exif end')" 7
}

@test "a failed item fails alone: exit 1, the others done, its log shown and reported" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "failed job 5/9: corrupt.jpg: mem-exif: $SRC/alpha/corrupt.jpg: not a JPEG (no SOI marker)"
	assert_line "✗ FAILED: alpha: 1 of 5 item(s) failed"
	assert_line "Completed: 8"
	assert_line "Failed: 1"
	assert_line "Success rate: 88.9%"
	assert_line --index $((${#lines[@]} - 1)) "mem-pipeline: exit 1: some items failed"
	assert_line "  corrupt.jpg: mem-exif: $SRC/alpha/corrupt.jpg: not a JPEG (no SOI marker)"
	assert_file_not_exists "$OUT/alpha/photos/bad.jpg"
	assert_file_exists "$OUT/alpha/photos/alpha-3.jpg"
	assert_file_exists "$OUT/.mem/log/a0000000000000ff.log"
	assert_file_not_exists "$OUT/beta/issues/failure-report.json"
	rep=$OUT/alpha/issues/failure-report.json
	run -0 python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
f = r["failed_processing"]
print(r["summary"]["failed_processing"], r["summary"]["total_failures"], len(f))
print(f[0]["file_path"]); print(f[0]["stage"]); print(f[0]["reason"])' "$rep"
	assert_output "1 1 1
$SRC/alpha/corrupt.jpg
mem-exif
mem-exif: $SRC/alpha/corrupt.jpg: not a JPEG (no SOI marker)"
}

@test "the failure report keeps mem-scan's orphans and adds the failed items" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	mkdir -p "$OUT/alpha/issues"
	cat > "$OUT/alpha/issues/failure-report.json" <<-'EOF'
	{"processor_name": "Google Photos", "export_directory": "/x/alpha",
	 "summary": {"total_failures": 2, "failed_matching": 2, "failed_processing": 0},
	 "failed_matching": {"orphaned_media": [{"file_path": "/x/a.jpg"}],
	                     "orphaned_metadata": [{"metadata_entry": {}}]},
	 "failed_processing": []}
	EOF
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	run -0 python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(r["processor_name"], r["summary"], len(r["failed_matching"]["orphaned_media"]), len(r["failed_processing"]))' \
		"$OUT/alpha/issues/failure-report.json"
	assert_output "Google Photos {'total_failures': 3, 'failed_matching': 2, 'failed_processing': 1} 1 1"
}

@test "a rerun redoes only what failed, and a changed source" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "Files to process: 1"
	assert_line "Already done: 8 of 9 (unchanged since the last run)"
	assert_equal "$(trace_count 'mem-exif start')" 1
	# Fixed, plus one source changed in content (same size), one touched.
	printf 'good' > "$SRC/alpha/corrupt.jpg"
	mv "$SRC/alpha/corrupt.jpg" "$SRC/alpha/fixed.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/fixed.jpg" image alpha/photos/bad.jpg
	printf 'alpha X' > "$SRC/alpha/plain.jpg"
	touch -d '2001-01-01' "$SRC/beta/b2.jpg"
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 3"
	assert_equal "$(trace_count 'mem-exif end')" 3
	cmp "$OUT/alpha/photos/alpha-0.jpg" <(printf 'alpha X')
	cmp "$OUT/alpha/photos/bad.jpg" <(printf good)
	# The old failure is gone from the report.
	run -0 python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["failed_processing"]))' \
		"$OUT/alpha/issues/failure-report.json"
	assert_output 0
}

@test "short items run 16 to a job, each with its own tool run, stamp, event and failure record" {
	local i
	mkdir -p "$SRC/alpha"
	for i in $(seq 10 44); do
		printf 'alpha %d' "$i" > "$SRC/alpha/p$i.jpg"
		make_record "$OUT" "$(printf 'b%015x' "$i")" alpha "$SRC/alpha/p$i.jpg" image \
			"alpha/photos/p$i.jpg"
	done
	printf 'bad' > "$SRC/alpha/p20.jpg"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "failed job 11/35: p20.jpg: mem-exif: $SRC/alpha/p20.jpg: not a JPEG (no SOI marker)"
	# 35 photos to do: batches of 16, 16 and 3, one mem-job each
	run -0 sed -n 's/^JB_exif-[0-9a-f]* := //p' "$OUT/.mem/run/batches.mk"
	assert_equal "$(printf '%s\n' "$output" | awk '{ print NF }' | tr '\n' ' ')" "16 16 3 "
	assert_equal "$(trace_count 'mem-exif start')" 35
	assert_equal "$(grep -c '^start exif ' "$OUT/.mem/run/events")" 35
	assert_equal "$(grep -c '^ok exif ' "$OUT/.mem/run/events")" 34
	# the failed one's batch kept its other stamps
	assert_equal "$(ls "$OUT/.mem/stamp" | grep -c '\.ok$')" 34
	assert_file_not_exists "$OUT/.mem/stamp/b000000000000014.ok"
	assert_file_exists "$OUT/.mem/stamp/b000000000000014.fail"
	assert_file_exists "$OUT/.mem/log/b000000000000014.log"
	# a rerun redoes that one alone
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "Files to process: 1"
	assert_equal "$(trace_count 'mem-exif start')" 1
}

@test "a batch's stamps are links to one file; a warning reaches its item's log; a redone item's stamp is replaced, the others keep theirs" {
	local i
	mkdir -p "$SRC/alpha"
	for i in 1 2 3 4 5; do
		printf 'alpha %d' "$i" > "$SRC/alpha/p$i.jpg"
		make_record "$OUT" "c00000000000000$i" alpha "$SRC/alpha/p$i.jpg" image \
			"alpha/photos/p$i.jpg"
	done
	printf 'warn 3' > "$SRC/alpha/p3.jpg"
	run_stubbed -o "$OUT" -j1 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "    warning: mem-exif: $SRC/alpha/p3.jpg: warning: no capture time"
	run -0 sed -n 's/^JB_exif-[0-9a-f]* := //p' "$OUT/.mem/run/batches.mk"
	assert_output "c000000000000001 c000000000000002 c000000000000003 c000000000000004 c000000000000005"
	assert_equal "$(grep -c '^ok exif ' "$OUT/.mem/run/events")" 5
	# one file, five names
	run -0 sh -c 'stat -c "%i %h" "$1"/.mem/stamp/*.ok | sort -u' _ "$OUT"
	assert_output --regexp '^[0-9]+ 5$'
	# the warning (on the console, above) in p3's log; no log for the
	# others, and the batch's message file is gone
	cmp "$OUT/.mem/log/c000000000000003.log" <(echo "mem-exif: $SRC/alpha/p3.jpg: warning: no capture time")
	[ "$(ls "$OUT/.mem/log")" = c000000000000003.log ]
	[ -z "$(ls "$OUT/.mem/run" | grep '\.err$')" ]
	# one record rewritten: only that item is redone, by itself; its stamp
	# is a new file, and the others' file did not move
	stat -c '%n %i %Y.%y' "$OUT"/.mem/stamp/*.ok | grep -v c000000000000002 > "$BATS_TEST_TMPDIR/before"
	sleep 1
	make_record "$OUT" c000000000000002 alpha "$SRC/alpha/p2.jpg" image alpha/photos/p2-new.jpg
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j1 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 1"
	assert_equal "$(trace_count 'mem-exif start')" 1
	stat -c '%n %i %Y.%y' "$OUT"/.mem/stamp/*.ok | grep -v c000000000000002 > "$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	run -0 stat -c %h "$OUT/.mem/stamp/c000000000000002.ok"
	assert_output 1
	cmp "$OUT/alpha/photos/p2-new.jpg" <(printf 'alpha 2')
}

@test "the sources' signatures are one file; an OUT with a signature file per item (older) is not redone" {
	stub_set "$SRC" "$OUT"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_file_not_exists "$OUT/.mem/sig"
	run -0 sh -c "tr '\0' '\n' < '$OUT/.mem/plan/sigs' | cut -d' ' -f1"
	assert_output "$(ls "$OUT/.mem/items" | sed 's/\.item$//' | sort)"
	# as an older mem-plan left it: sig/ID.sig, no plan/sigs
	mkdir "$OUT/.mem/sig"
	tr '\0' '\n' < "$OUT/.mem/plan/sigs" | while read -r id sig; do
		printf '%s\n' "$sig" > "$OUT/.mem/sig/$id.sig"
	done
	rm "$OUT/.mem/plan/sigs"
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 0"
	assert_equal "$(trace_count 'mem-exif start')" 0
	assert_file_exists "$OUT/.mem/plan/sigs"
	# a source changed since (its ctime moves): redone
	touch "$SRC/beta/b2.jpg"
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 1"
	assert_equal "$(trace_count 'mem-exif start')" 1
}

@test "a run killed with -9 resumes: finished items are not redone, nothing partial stays" {
	stub_set "$SRC" "$OUT"
	for i in $(seq 10 29); do
		printf 'more %d' "$i" > "$SRC/alpha/m$i.jpg"
		make_record "$OUT" "$(printf 'c%015x' "$i")" alpha "$SRC/alpha/m$i.jpg" image "alpha/photos/m$i.jpg"
	done
	export STUB_SLEEP=0.2
	MEM_BIN=$STUBS setsid mem-pipeline -o "$OUT" -j2 "$SRC" > /dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		[ "$(trace_count 'mem-exif end')" -ge 6 ] && break
		sleep 0.1
	done
	kill -9 -- "-$pid"
	wait "$pid" || true
	first=$(trace_count 'mem-exif end')
	[ "$first" -ge 6 ]
	[ "$first" -lt 28 ]
	# A temp file that a killed tool would leave behind.
	: > "$OUT/alpha/photos/.m29.jpg.AbC123.jpg"
	unset STUB_SLEEP
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Completed: 28"
	assert_line "mem-plan: removed a partial file: $OUT/alpha/photos/.m29.jpg.AbC123.jpg"
	# Each item finished before the kill is not redone.
	second=$(trace_count 'mem-exif start')
	[ $((first + second)) -le 29 ]
	[ "$(find "$OUT" -path "$OUT/.mem" -prune -o -name '.*' -type f -print | wc -l)" -eq 0 ]
	[ "$(find "$OUT/alpha" "$OUT/beta" -type f | wc -l)" -eq 28 ]
}

@test "Ctrl-C stops the run with a summary and exit 2; the next run finishes it" {
	stub_set "$SRC" "$OUT"
	export STUB_SLEEP=0.5
	# A terminal's Ctrl-C: SIGINT to the whole process group (a background
	# job of a script starts with SIGINT ignored, so put it back first).
	MEM_BIN=$STUBS python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' mem-pipeline -o "$OUT" -j2 "$SRC" \
		> "$BATS_TEST_TMPDIR/console" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		[ "$(trace_count 'mem-exif end')" -ge 2 ] && break
		sleep 0.1
	done
	kill -INT -- "-$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 2 ]
	run cat "$BATS_TEST_TMPDIR/console"
	assert_line "Processing interrupted by user"
	assert_line --regexp '^Not run: [1-6] \(interrupted; run again to finish\)$'
	assert_line "mem-pipeline: exit 2: interrupted; run again to finish"
	unset STUB_SLEEP
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Completed: 8"
}

@test "progress: a live line with the ETA on a terminal, plain periodic lines otherwise" {
	stub_set "$SRC" "$OUT"
	export STUB_SLEEP=0.2
	MEM_PROGRESS_INTERVAL=0 run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line --regexp '^progress: [0-9]/8 done, [0-9.]+ items/s, ETA [0-9]+:[0-9][0-9], 0 failed$'
	refute_output --partial $'\r'
	# On a terminal (script(1) gives one), the line is redrawn in place.
	rm -r "$OUT/.mem/stamp"
	TERM=xterm MEM_BIN=$STUBS run script -qec "mem-pipeline -o '$OUT' -j2 '$SRC'" /dev/null
	[ "$status" -eq 0 ]
	assert_output --regexp $'\r\e\\[K\\[[0-9]/8\\] [0-9.]+ items/s, ETA [0-9]+:[0-9][0-9], 0 failed, [0-2] running'
	assert_output --partial "=== BATCH PROCESSING COMPLETE ==="
}

@test "the make and GNU parallel engines produce the same OUT and the same status" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/beta/corrupt.jpg"
	make_record "$OUT" b0000000000000ff beta "$SRC/beta/corrupt.jpg" image beta/photos/bad.jpg
	cp -a "$OUT" "$BATS_TEST_TMPDIR/out2"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	run_stubbed --engine parallel -o "$BATS_TEST_TMPDIR/out2" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "Failed: 1"
	assert_file_exists "$BATS_TEST_TMPDIR/out2/.mem/run/joblog"
	diff -r -x .mem -x failure-report.json "$OUT" "$BATS_TEST_TMPDIR/out2"
	# The reports differ only in their timestamps.
	diff <(grep -v timestamp "$OUT/beta/issues/failure-report.json") \
		<(grep -v timestamp "$BATS_TEST_TMPDIR/out2/beta/issues/failure-report.json")
}

@test "an engine that breaks (not an item) is a fatal exit 2" {
	stub_set "$SRC" "$OUT"
	mkdir -p "$OUT/.mem/run"
	# mem-job cannot write its event log: make fails outside any item.
	printf '#!/bin/sh\nexit 2\n' > "$STUBS/mem-job"
	chmod +x "$STUBS/mem-job"
	PATH=$STUBS:$PATH MEM_BIN=$STUBS run "$REPO/scripts/mem-pipeline" -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 2 ]
	assert_output --partial "the make engine failed"
}

@test "a missing export directory and a bad -j are usage errors, exit 2" {
	run_stubbed -o "$OUT" "$BATS_TEST_TMPDIR/nope"
	[ "$status" -eq 2 ]
	assert_output --partial "not a directory"
	mkdir -p "$SRC"
	run_stubbed -o "$OUT" -j 0 "$SRC"
	[ "$status" -eq 2 ]
	run_stubbed -o "$OUT" --engine ninja "$SRC"
	[ "$status" -eq 2 ]
	run_stubbed -o "$OUT"
	[ "$status" -eq 2 ]
	assert_output --partial "nothing to do"
}

@test "items run on another host over ssh with parallel's --transferfile/--return, same OUT" {
	start_sshd "$BATS_TEST_TMPDIR/ssh"
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/beta/corrupt.jpg"
	make_record "$OUT" b0000000000000ff beta "$SRC/beta/corrupt.jpg" image beta/photos/bad.jpg
	cp -a "$OUT" "$BATS_TEST_TMPDIR/local"
	run_stubbed -o "$BATS_TEST_TMPDIR/local" -j2 "$SRC"
	[ "$status" -eq 1 ]
	# The "other host" finds the tools on the PATH we send (--env PATH);
	# a real one has them installed (docs/pipeline.md).
	PATH=$STUBS:$PATH PARALLEL_SSH=$SSH_CMD PARALLEL="--env PATH" \
		run_stubbed -S 2/root@127.0.0.1 -o "$OUT" "$SRC"
	kill "$SSHD_PID"
	[ "$status" -eq 1 ]
	assert_line "Completed: 8"
	assert_line "Failed: 1"
	assert_line --partial "failed job 9/9: corrupt.jpg: mem-exif: "
	run -0 awk -F '\t' 'NR > 1 { print $2 }' "$OUT/.mem/run/joblog"
	assert_line "root@127.0.0.1"
	diff -r -x .mem -x failure-report.json "$BATS_TEST_TMPDIR/local" "$OUT"
	assert_file_not_exists "$OUT/.mem/xfer"
	# A rerun sends only what failed.
	PATH=$STUBS:$PATH PARALLEL_SSH=$SSH_CMD PARALLEL="--env PATH" \
		run_stubbed -S 2/root@127.0.0.1 -o "$OUT" "$SRC" || true
}

@test "on another host over ssh, a user's XMP sidecar goes with its item and comes back carried beside the output, as a run here makes it" {
	load helpers/scan
	cd "$BATS_TEST_TMPDIR"
	start_sshd "$BATS_TEST_TMPDIR/ssh"
	mkdir -p in/shoot
	user_sidecar_files in/shoot
	run -0 mem-pipeline --skip-upload -j2 --originals in -o local
	PARALLEL_SSH=$SSH_CMD PARALLEL="--env PATH" \
		run -0 mem-pipeline --skip-upload -j2 -S 2/root@127.0.0.1 --originals in -o "$OUT"
	kill "$SSHD_PID"
	assert_line "Failed: 0"
	run -0 awk -F '\t' 'NR > 1 { print $2 }' "$OUT/.mem/run/joblog"
	assert_line "root@127.0.0.1"
	[ "$(find "$OUT/shoot/media" -name '*.xmp' | wc -l)" -eq 8 ]
	diff -r -x .mem -x issues local "$OUT"
}

# -- through the top-level Makefile -----------------------------------------------

@test "make -j2 IN=… OUT=… runs the pipeline and shares make's job server" {
	stub_set "$SRC" "$OUT"
	MEM_BIN=$STUBS run make -s -C "$REPO" -j2 IN="$SRC" OUT="$OUT"
	[ "$status" -eq 0 ]
	assert_line "Max concurrent jobs: 2"
	assert_line "Completed: 8"
	assert_equal "$(trace_count 'mem-exif end')" 7
}

@test "through make, a failed item is make's 2 with the runner's exit 1 said in words" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	MEM_BIN=$STUBS run make -s -C "$REPO" -j2 IN="$SRC" OUT="$OUT"
	[ "$status" -eq 2 ]
	assert_line "mem-pipeline: exit 1: some items failed"
	assert_line "Completed: 8"
}

@test "without -j the pipeline runs with mem-advise's value" {
	stub_set "$SRC" "$OUT"
	STUB_ADVICE=3 run_stubbed -o "$OUT" "$SRC"
	[ "$status" -eq 0 ]
	assert_line "mem-advise: advice for this machine"
	assert_line "Max concurrent jobs: 3"
	assert_line "Using parallel processing with 3 workers..."
}

# -- uploads -----------------------------------------------------------------------

@test "each export uploads once its items are done, while others process, one upload at a time" {
	stub_set "$SRC" "$OUT"
	for x in gamma delta; do
		mkdir -p "$SRC/$x"
		for i in 1 2 3 4 5 6; do
			printf '%s %d' "$x" "$i" > "$SRC/$x/$i.jpg"
			make_record "$OUT" "$(printf '%s%014x' "${x:0:2}" "$i" | tr 'gmlt' '1234' | cut -c1-16)" \
				"$x" "$SRC/$x/$i.jpg" image "$x/photos/$i.jpg"
		done
	done
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=secret-key-123
	export STUB_SLEEP=0.1 STUB_UPLOAD_SLEEP=0.6
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_equal "$(trace_count 'mem-upload start')" 4
	assert_equal "$(trace_count 'mem-upload file')" 20
	assert_line --regexp '^Adding upload of [0-9]+ file\(s\) to queue for alpha\.\.\.$'
	assert_line "[Upload Worker] Completed alpha"
	assert_line "[Upload Worker] Completed delta"
	refute_output --partial secret-key-123
	# No two uploads at once: starts and ends alternate.
	run -0 sh -c "grep '^mem-upload \(start\|end\)' '$STUB_TRACE' | sort -k3n | cut -d' ' -f2 | uniq | tr '\n' ' '"
	assert_output "start end start end start end start end "
	# An upload overlapped with processing: some item started while the
	# first upload ran.
	read -r us ue < <(awk '$1=="mem-upload" && $2=="start" {s=$3} $1=="mem-upload" && $2=="end" {print s, $3; exit}' "$STUB_TRACE")
	awk -v s="$us" -v e="$ue" '$1=="mem-exif" && $2=="start" && $3>s && $3<e {n++} END {exit !(n>0)}' "$STUB_TRACE"
	# The key never reached argv, a log or a plan file.
	run -1 grep -r secret-key-123 "$STUB_TRACE" "$OUT/.mem"
}

@test "a failed upload is exit 1 and is retried by the next run" {
	stub_set "$SRC" "$OUT"
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	STUB_UPLOAD_FAIL=1 run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line "    ✗ Failed alpha: mem-upload: server said 500"
	assert_line --partial "upload FAILED"
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_equal "$(trace_count 'mem-upload start')" 2
	assert_equal "$(trace_count 'mem-exif start')" 0
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_equal "$(trace_count 'mem-upload start')" 0
}

@test "SKIP_UPLOAD=1 uploads nothing; make upload OUT=… uploads an existing OUT" {
	stub_set "$SRC" "$OUT"
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	SKIP_UPLOAD=1 run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_equal "$(trace_count 'mem-upload')" 0
	: > "$STUB_TRACE"
	MEM_BIN=$STUBS run make -s -C "$REPO" upload OUT="$OUT"
	[ "$status" -eq 0 ]
	assert_line "Upload-only mode"
	assert_line "Upload tasks: 2 succeeded, 0 failed"
	assert_equal "$(trace_count 'mem-upload start')" 2
	assert_equal "$(trace_count 'mem-upload file')" 8
	assert_equal "$(trace_count 'mem-exif')" 0
}

# -- the real tools on the bundled sample ------------------------------------------

real_tools() {
	local t
	for t in mem-scan mem-exif mem-loudnorm; do
		[ -x "$MEM_BIN/$t" ] || skip "$t is not built yet"
	done
	[ -x "$REPO/scripts/mksample" ] || skip "scripts/mksample is not there yet"
}

# The sample and one clean run of it, shared by the tests below.
sample_run() {
	SAMPLE=$BATS_FILE_TMPDIR/sample
	ROUT=$BATS_FILE_TMPDIR/out
	if [ ! -f "$BATS_FILE_TMPDIR/status" ]; then
		"$REPO/scripts/mksample" "$SAMPLE" > /dev/null 2>&1
		make -s -C "$REPO" -j2 ORIGINALS="$SAMPLE" OUT="$ROUT" SKIP_UPLOAD=1 \
			> "$BATS_FILE_TMPDIR/console" 2>&1
		echo $? > "$BATS_FILE_TMPDIR/status"
	fi
	unset STUB_TRACE
}

@test "the bundled sample runs end to end with make -j2: exit 0, every item done" {
	real_tools
	sample_run
	run cat "$BATS_FILE_TMPDIR/console"
	assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
	total=$(grep -c . "$ROUT/.mem/plan/items")
	[ "$total" -gt 10 ]
	assert_line "Files to process: $total"
	assert_line "Total files: $total"
	assert_line "Completed: $total"
	assert_line "Failed: 0"
	assert_line "Success rate: 100.0%"
	assert_line --regexp "^Total: [0-9]+ succeeded, 0 failed out of [0-9]+ export\\(s\\)$"
	assert_line --index $((${#lines[@]} - 1)) "=== BATCH PROCESSING COMPLETE ==="
}

@test "every record's output is in OUT/<export>/<platform folder>, counted per export and platform" {
	real_tools
	sample_run
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ]
	: > "$BATS_TEST_TMPDIR/want"
	for r in "$ROUT"/.mem/items/*.item; do
		dest=$(record_field "$r" dest)
		assert_file_exists "$ROUT/$dest"
		printf '%s %s\n' "$(record_field "$r" export)" "$(dirname "$dest")" >> "$BATS_TEST_TMPDIR/want"
	done
	# The files on disk, per export and folder, are exactly the planned ones.
	(cd "$ROUT" && find . -path ./.mem -prune -o -path '*/issues' -prune -o -type f \
		! -name '*.xmp' -printf '%h\n' | sed 's|^\./||') | sort | uniq -c > "$BATS_TEST_TMPDIR/have"
	awk '{ print $2 }' "$BATS_TEST_TMPDIR/want" | sort | uniq -c > "$BATS_TEST_TMPDIR/want2"
	diff "$BATS_TEST_TMPDIR/want2" "$BATS_TEST_TMPDIR/have"
	# More than one export, and more than one platform folder.
	[ "$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/want" | sort -u | wc -l)" -ge 3 ]
	[ "$(awk '{ print $2 }' "$BATS_TEST_TMPDIR/want" | sort -u | wc -l)" -ge 3 ]
}

@test "the JPEGs carry their record's capture instant and GPS, read back with exiftool" {
	real_tools
	sample_run
	n=0
	for r in "$ROUT"/.mem/items/*.item; do
		dest=$(record_field "$r" dest)
		case $dest in *.jpg|*.jpeg|*.JPG) ;; *) continue ;; esac
		t=$(record_field "$r" time)
		[ -n "$t" ] || continue
		# The wall clock and its offset (none: UTC) give the instant back.
		have=$(exiftool -s3 -DateTimeOriginal -OffsetTimeOriginal "$ROUT/$dest" |
			python3 -c 'import sys, datetime as d
w = sys.stdin.read().split("\n")
t = d.datetime.strptime(w[0], "%Y:%m:%d %H:%M:%S")
o = w[1] if len(w) > 1 and w[1] else "+00:00"
m = (1 if o[0] == "+" else -1) * (int(o[1:3]) * 60 + int(o[4:6]))
print((t - d.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
		echo "$dest"
		assert_equal "$have" "$t"
		lat=$(record_field "$r" lat)
		if [ -n "$lat" ]; then
			glat=$(exiftool -n -s3 -GPSLatitude "$ROUT/$dest")
			awk -v a="$lat" -v b="$glat" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 5 ]
}

@test "a corrupt file in the set: exit 1, the rest done, listed in the summary and the report" {
	real_tools
	"$REPO/scripts/mksample" "$BATS_TEST_TMPDIR/bad" --with-bad > /dev/null 2>&1
	run mem-pipeline --skip-upload -j2 --originals "$BATS_TEST_TMPDIR/bad" -o "$OUT"
	[ "$status" -eq 1 ]
	assert_line "mem-pipeline: exit 1: some items failed"
	assert_line --regexp '^Failed: [1-9][0-9]*$'
	assert_line "Failed files:"
	assert_line --regexp '^failed job [0-9]+/[0-9]+: '
	run -0 sh -c "cat '$OUT'/*/issues/failure-report.json | grep -c '\"stage\": \"mem-'"
}

@test "a run killed with -9 and run again ends with the same OUT as an uninterrupted run" {
	real_tools
	sample_run
	MEM_BIN=$MEM_BIN setsid "$REPO/scripts/mem-pipeline" --skip-upload -o "$OUT" -j2 \
		--originals "$SAMPLE" > /dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 300); do
		[ "$(grep -c '^ok ' "$OUT/.mem/run/events" 2>/dev/null)" -ge 5 ] && break
		sleep 0.1
	done
	kill -9 -- "-$pid"
	wait "$pid" || true
	# The killed run's last processes (an ffmpeg of a song) may take a
	# moment to die; until then they hold the run's lock.
	flock -w 30 "$OUT/.mem/run.lock" true
	done_before=$(ls "$OUT/.mem/stamp" | grep -c '\.ok$')
	run "$REPO/scripts/mem-pipeline" --skip-upload -o "$OUT" -j2 --originals "$SAMPLE"
	[ "$status" -eq 0 ]
	total=$(grep -c . "$OUT/.mem/plan/items")
	assert_line "Files to process: $((total - done_before))"
	assert_line "Completed: $total"
	diff -r -x .mem -x failure-report.json "$ROUT" "$OUT"
	[ "$(find "$OUT" -path "$OUT/.mem" -prune -o -name '.*' -type f -print | wc -l)" -eq 0 ]
}

@test "GNU parallel and make produce the same OUT from the sample" {
	real_tools
	sample_run
	SKIP_UPLOAD=1 ENGINE=parallel run make -s -C "$REPO" -j2 ORIGINALS="$SAMPLE" OUT="$OUT"
	[ "$status" -eq 0 ]
	assert_file_exists "$OUT/.mem/run/joblog"
	diff -r -x .mem -x failure-report.json "$ROUT" "$OUT"
}

@test "the sample uploads to the Immich double per export, overlapping processing, one upload at a time" {
	real_tools
	[ -x "$MEM_BIN/mem-upload" ] || skip "mem-upload is not built yet"
	sample_run
	start_double "$BATS_TEST_TMPDIR/immich" --key pipeline-secret-77=admin:all --latency 0.05
	export IMMICH_INSTANCE_URL=$IMMICH_URL IMMICH_API_KEY=pipeline-secret-77
	run mem-pipeline -j2 --originals "$SAMPLE" -o "$OUT"
	double_get "$IMMICH_URL/__double/log" > "$BATS_TEST_TMPDIR/log.json"
	double_get "$IMMICH_URL/__double/state" > "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_line "[Upload Worker] Completed songs"
	refute_output --partial pipeline-secret-77
	run -1 grep -r pipeline-secret-77 "$OUT"
	# Every image and video is on the server once (audio is not for Immich).
	media=$(for r in "$OUT"/.mem/items/*.item; do
		k=$(record_field "$r" kind); [ "$k" = audio ] || echo x; done | grep -c x)
	run -0 python3 - "$BATS_TEST_TMPDIR/log.json" "$BATS_TEST_TMPDIR/state.json" "$OUT" <<-'PY'
	import json, os, sys
	log = json.load(open(sys.argv[1]))
	state = json.load(open(sys.argv[2]))
	out = sys.argv[3]
	posts = [e for e in log if e["method"] == "POST" and e["path"] == "/api/assets"]
	# Which export each upload belongs to, from its file name's prefix.
	def export(e):
	    name = e.get("files", {}).get("assetData", {}).get("filename", "")
	    return name.split("-")[0]
	seq = [export(e) for e in posts]
	groups = [x for i, x in enumerate(seq) if i == 0 or seq[i - 1] != x]
	# No two uploads at once: each export's requests form one run.
	assert len(groups) == len(set(groups)), groups
	# Overlap: an item finished after the first upload request. (A
	# batch's stamps are links to one file: its mtime is the batch's
	# first item's end, its ctime the last link's, so the last item's.)
	first = min(e["time"] for e in posts)
	stamps = [os.stat(os.path.join(out, ".mem/stamp", f)).st_ctime
	          for f in os.listdir(os.path.join(out, ".mem/stamp")) if f.endswith(".ok")]
	assert max(stamps) > first, (max(stamps), first)
	print(len(posts), len(state["assets"]), len(groups))
	PY
	read -r posts assets groups <<< "$output"
	assert_equal "$posts" "$media"
	assert_equal "$assets" "$media"
	[ "$groups" -ge 3 ]
	# A rerun that redoes one item uploads its export again: nothing twice.
	rm "$(ls "$OUT"/.mem/stamp/*.ok | head -n 1)"
	run mem-pipeline -j2 --originals "$SAMPLE" -o "$OUT"
	double_get "$IMMICH_URL/__double/state" > "$BATS_TEST_TMPDIR/state2.json"
	kill "$DOUBLE_PID"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 1"
	assert_line --partial "[Upload Worker] Completed"
	run -0 python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["assets"]))' \
		"$BATS_TEST_TMPDIR/state2.json"
	assert_output "$media"
}

@test "a rerun after a source was deleted: exit 0, no failure, its record and plan entry gone" {
	real_tools
	SRC=$BATS_TEST_TMPDIR/pics
	mkdir -p "$SRC"
	for d in 01 02 03; do
		make_jpeg "$SRC/IMG_$d.jpg"
		exiftool -q -overwrite_original "-DateTimeOriginal=2023:05:$d 12:00:00" "$SRC/IMG_$d.jpg"
	done
	run make -s -C "$REPO" -j2 IN="$SRC" OUT="$OUT" SKIP_UPLOAD=1
	[ "$status" -eq 0 ]
	assert_line "Completed: 3"
	[ "$(ls "$OUT/.mem/items" | grep -c '\.item$')" -eq 3 ]
	rm "$SRC/IMG_02.jpg"
	run make -s -C "$REPO" -j2 IN="$SRC" OUT="$OUT" SKIP_UPLOAD=1
	[ "$status" -eq 0 ]
	assert_line "Already done: 2 of 2 (unchanged since the last run)"
	assert_line "Failed: 0"
	refute_output --partial IMG_02
	# Only the records of the sources that are there, every one planned.
	[ "$(ls "$OUT/.mem/items" | grep -c '\.item$')" -eq 2 ]
	run -1 grep -rl "$SRC/IMG_02.jpg" "$OUT/.mem/items"
	[ "$(grep -c . "$OUT/.mem/plan/items")" -eq 2 ]
	for r in "$OUT"/.mem/items/*.item; do
		grep -q "$(basename "$r" .item)" "$OUT/.mem/plan/items"
		assert_file_exists "$OUT/$(record_field "$r" dest)"
	done
	assert_file_not_exists "$OUT/pics/issues/failure-report.json"
	# A third run has nothing to do and nothing to say about the gone source.
	run make -s -C "$REPO" -j2 IN="$SRC" OUT="$OUT" SKIP_UPLOAD=1
	[ "$status" -eq 0 ]
	assert_line "Already done: 2 of 2 (unchanged since the last run)"
}
