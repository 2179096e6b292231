#!/usr/bin/env bats
# The pipeline under hostile conditions (issue 18, and the honest console of
# issue 17): a full disk, interrupts, failures that outlive a run, deleted
# outputs, a user's files in OUT, an export inside OUT, a killed process
# group, a trashed asset, no-op reruns and the ETA. Each test makes the
# condition for real: a small tmpfs as OUT, signals to real processes, the
# Immich double. The per-item tools are the stand-ins of helpers/pipeline
# (they copy with cp, so a full disk fails them as it would the real ones)
# unless a test needs the real one.
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
	MOUNTED=
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY SKIP_UPLOAD MAKEFLAGS IN ORIGINALS JOBS
}

teardown() {
	[ -z "${DOUBLE_PID:-}" ] || { kill "$DOUBLE_PID" 2>/dev/null; wait "$DOUBLE_PID" 2>/dev/null; }
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED"
	true
}

# small_disk DIR SIZE: a tmpfs of SIZE mounted at DIR (unmounted in teardown).
small_disk() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" || skip "cannot mount a tmpfs here"
	MOUNTED=$1
}

# many_items N: N images of 100 kB in export "alpha", records under OUT.
many_items() {
	local i
	mkdir -p "$SRC/alpha"
	for i in $(seq 10 $((9 + $1))); do
		head -c 100000 /dev/urandom > "$SRC/alpha/m$i.jpg"
		make_record "$OUT" "$(printf 'c%015x' "$i")" alpha "$SRC/alpha/m$i.jpg" image \
			"alpha/photos/m$i.jpg"
	done
}

# snapshot: every file and directory under OUT but the run's own log
# (.mem/run), with its inode, size, mtime and ctime.
snapshot() {
	find "$OUT" -path "$OUT/.mem/run" -prune -o -printf '%P %i %s %T@ %C@\n' | sort
}

@test "a full disk ends the run promptly with exit 2 and says so; no event line is torn; the next run finishes" {
	small_disk "$OUT" 2m
	many_items 40
	run -2 timeout 120 env MEM_BIN="$STUBS" mem-pipeline -o "$OUT" -j2 "$SRC"
	assert_line "mem-monitor: $OUT: No space left on device: stopping the run (free some space and run again; the items done are kept)"
	assert_line --index $((${#lines[@]} - 1)) \
		"mem-pipeline: exit 2: $OUT: No space left on device; free some space and run again"
	# the reason reached the console although the item's log could not be written
	assert_line --regexp '^failed job [0-9]+/40: m[0-9]+\.jpg: cp: .*No space left on device$'
	refute_output --partial 'exit status 1'
	# promptly: the engine was stopped, not every item tried
	[ "$(trace_count 'mem-exif start')" -lt 30 ]
	# every event line whole, and the end is there
	run -1 grep -vE '^((start|ok) exif [0-9a-f]{16}|fail exif [0-9a-f]{16} [0-9]+ .*|end [0-9]+ [01])$' \
		"$OUT/.mem/run/events"
	run -0 grep -c '^end ' "$OUT/.mem/run/events"
	# room again: the rerun removes the partial files and does the rest
	mount -o remount,size=16m "$OUT"
	: > "$STUB_TRACE"
	run -0 env MEM_BIN="$STUBS" mem-pipeline -o "$OUT" -j2 "$SRC"
	assert_line "Completed: 40"
	[ "$(find "$OUT/alpha" -name '.*' | wc -l)" -eq 0 ]
	for i in $(seq 10 49); do
		cmp "$SRC/alpha/m$i.jpg" "$OUT/alpha/photos/m$i.jpg"
	done
}

@test "the monitor ends on SIGTERM or SIGINT even when the engine's end never comes" {
	stub_set "$SRC" "$OUT"
	find "$OUT/.mem/items" -name '*.item' -print0 | mem-plan -o "$OUT" > /dev/null
	for sig in TERM INT; do
		: > "$OUT/.mem/run/events"
		printf 'start exif a000000000000000\n' >> "$OUT/.mem/run/events"
		mem-monitor "$OUT" 2 > "$BATS_TEST_TMPDIR/console" 2>&1 3>&- &
		pid=$!
		for _ in $(seq 100); do
			grep -q 'processing job' "$BATS_TEST_TMPDIR/console" && break
			sleep 0.05
		done
		kill -s "$sig" "$pid"
		# (without the fix it waits for "end" forever: the timeout says 124)
		run -0 timeout 30 tail --pid="$pid" -f /dev/null
		st=0
		wait "$pid" || st=$?
		[ "$st" -eq 0 ]
		run cat "$BATS_TEST_TMPDIR/console"
		assert_line "Processing interrupted by user"
		assert_line "Not run: 8 (interrupted; run again to finish)"
		assert_line "=== BATCH PROCESSING COMPLETE ==="
		run -0 cat "$OUT/.mem/run/result"
		assert_output "0 0 8 0 0"
	done
}

@test "the failure report keeps mem-scan's entries and every failure until it is fixed" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	mkdir -p "$OUT/alpha/issues"
	cat > "$OUT/alpha/issues/failure-report.json" <<-'EOF'
	{"processor_name": "mem-scan", "export_directory": "/x/alpha",
	 "summary": {"total_failures": 1, "failed_matching": 0, "failed_processing": 1},
	 "failed_matching": {"orphaned_media": [], "orphaned_metadata": []},
	 "failed_processing": [{"file_path": "locked", "reason": "Permission denied", "platform": "folder"}]}
	EOF
	report() {
		python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(r["summary"]["total_failures"], r["summary"]["failed_processing"],
      ",".join(f.get("stage", f["file_path"]) for f in r["failed_processing"]))' \
			"$OUT/alpha/issues/failure-report.json"
	}
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	run -0 report
	assert_output "2 2 locked,mem-exif"
	# a run that does not retry the item (upload only) still reports it
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	run_stubbed --upload-only -o "$OUT"
	[ "$status" -eq 0 ]
	run -0 report
	assert_output "2 2 locked,mem-exif"
	run -0 python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["failed_processing"][1]["reason"])' "$OUT/alpha/issues/failure-report.json"
	assert_output "mem-exif: $SRC/alpha/corrupt.jpg: not a JPEG (no SOI marker)"
	# a run interrupted before the item's turn: still reported
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY
	printf 'start exif a000000000000000\n' > "$OUT/.mem/run/events"
	mem-monitor "$OUT" 2 > "$BATS_TEST_TMPDIR/console" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'processing job' "$BATS_TEST_TMPDIR/console" && break
		sleep 0.05
	done
	kill -s INT "$pid"
	run -0 timeout 30 tail --pid="$pid" -f /dev/null
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	run -0 report
	assert_output "2 2 locked,mem-exif"
	# fixed: only mem-scan's entry stays
	printf 'good' > "$SRC/alpha/corrupt.jpg"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	run -0 report
	assert_output "1 1 locked"
	assert_file_not_exists "$OUT/.mem/stamp/a0000000000000ff.fail"
}

@test "an output deleted after a run is made again" {
	stub_set "$SRC" "$OUT"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	rm "$OUT/alpha/photos/alpha-1.jpg" "$OUT/beta/songs/song.mp3"
	: > "$STUB_TRACE"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 2"
	assert_equal "$(trace_count 'mem-exif end')" 1
	assert_equal "$(trace_count 'mem-loudnorm end')" 1
	cmp "$OUT/alpha/photos/alpha-1.jpg" <(printf 'alpha 1')
	cmp "$OUT/beta/songs/song.mp3" <(printf song)
}

@test "an export inside OUT is refused with exit 2, however it is named" {
	mkdir -p "$OUT/x/photos" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$OUT/x" "$BATS_TEST_TMPDIR/elsewhere/link"
	for e in "$OUT/x" "$OUT" "$BATS_TEST_TMPDIR/elsewhere/link" "$OUT/x/../x/photos"; do
		run_stubbed -o "$OUT" "$e"
		[ "$status" -eq 2 ]
		assert_output "mem-pipeline: $e: the export is inside OUT ($OUT): give an export outside it"
	done
	ORIGINALS=$OUT run_stubbed -o "$OUT"
	[ "$status" -eq 2 ]
	assert_output --partial "the export is inside OUT"
	[ "$(find "$OUT" -mindepth 1 | sort | tr '\n' ' ')" = "$OUT/x $OUT/x/photos " ]
}

@test "the partial-file cleanup removes only what our runs left beside their outputs" {
	stub_set "$SRC" "$OUT"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	# ours: a killed tool's temp beside an output, a sidecar's, a report's
	: > "$OUT/alpha/photos/.alpha-1.jpg.Xy12Z9"
	: > "$OUT/alpha/photos/.alpha-2.xmp.q1W2e3"
	mkdir -p "$OUT/beta/issues"
	: > "$OUT/beta/issues/.failure-report.json.AAbb12"
	# the user's, though they look the same
	printf 'keep' > "$OUT/.gitignore.backup"
	printf 'keep' > "$OUT/alpha/.thumbnails.backup"
	printf 'keep' > "$OUT/alpha/photos/.holiday.jpg.AbC123"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "mem-plan: removed a partial file: $OUT/alpha/photos/.alpha-1.jpg.Xy12Z9"
	assert_line "mem-plan: removed a partial file: $OUT/alpha/photos/.alpha-2.xmp.q1W2e3"
	assert_line "mem-plan: removed a partial file: $OUT/beta/issues/.failure-report.json.AAbb12"
	assert_file_not_exists "$OUT/alpha/photos/.alpha-1.jpg.Xy12Z9"
	for f in .gitignore.backup alpha/.thumbnails.backup alpha/photos/.holiday.jpg.AbC123; do
		cmp "$OUT/$f" <(printf keep)
	done
	refute_output --partial backup
	refute_output --partial holiday
}

@test "killing the pipeline's process group also ends a running upload and frees its lock" {
	stub_set "$SRC" "$OUT"
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k STUB_UPLOAD_SLEEP=60
	MEM_BIN=$STUBS setsid mem-pipeline -o "$OUT" -j2 "$SRC" > /dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 200); do
		[ "$(trace_count 'mem-upload start')" -ge 1 ] && break
		sleep 0.05
	done
	[ "$(trace_count 'mem-upload start')" -ge 1 ]
	kill -9 -- "-$pid"
	wait "$pid" || true
	# the upload held the lock; it must be free now, not in a minute
	run -0 flock -w 10 "$OUT/.mem/upload.lock" true
	# nothing of the run is left running (zombies wait for their reaper)
	run -0 sh -c "ps -o pid=,stat= --sid $pid | awk '\$2 !~ /^Z/'"
	assert_output ""
	assert_equal "$(trace_count 'mem-upload end')" 0
}

@test "an asset found only in the server's trash is named on the pipeline's console and in its status" {
	[ -x "$REPO/bin/mem-upload" ] || skip "mem-upload is not built"
	ln -sf "$REPO/bin/mem-upload" "$STUBS/mem-upload"
	stub_set "$SRC" "$OUT"
	start_double "$BATS_TEST_TMPDIR/immich"
	export IMMICH_INSTANCE_URL=$IMMICH_URL IMMICH_API_KEY=k
	# the same bytes as alpha's second output, uploaded earlier, then trashed
	mkdir -p "$BATS_TEST_TMPDIR/old"
	printf 'alpha 1' > "$BATS_TEST_TMPDIR/old/earlier.jpg"
	mem-upload -o "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/old/earlier.jpg" > /dev/null 2>&1
	curl -sf -X POST -H 'Content-Type: application/json' \
		--data "{\"checksum\":\"$(printf 'alpha 1' | sha1sum | cut -d' ' -f1)\"}" \
		"$IMMICH_URL/__double/trash" > /dev/null
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line --partial "    ✗ Failed alpha: mem-upload:"
	assert_line "    | mem-upload: $OUT/.mem/items/a000000000000001.item: on the server, but in its trash (restore it in Immich, or run again with --restore-trashed)"
	assert_line --regexp '^  ✗ FAILED +alpha \(4 item\(s\), upload FAILED\)$'
	assert_line "[Upload Worker] Completed beta"
	assert_line "mem-pipeline: exit 1: some items failed"
	run -0 python3 -c 'import json,sys
f = json.load(open(sys.argv[1]))["failed_processing"]
print(f[0]["stage"]); print(any("in its trash" in l for l in f[0]["log"]))' \
		"$OUT/alpha/issues/failure-report.json"
	assert_output "mem-upload
True"
	# every run says so until it is restored
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line --partial "on the server, but in its trash"
}

@test "a no-op rerun leaves every file in OUT untouched" {
	stub_set "$SRC" "$OUT"
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	snapshot > "$BATS_TEST_TMPDIR/before"
	sleep 0.05
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 0 ]
	assert_line "Files to process: 0"
	snapshot > "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "a rerun in which the same item fails again leaves the failure report untouched" {
	stub_set "$SRC" "$OUT"
	printf 'bad' > "$SRC/alpha/corrupt.jpg"
	make_record "$OUT" a0000000000000ff alpha "$SRC/alpha/corrupt.jpg" image alpha/photos/bad.jpg
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	rep=$OUT/alpha/issues/failure-report.json
	before=$(stat -c '%i %s %Y.%y %Z.%z' "$rep")
	cp "$rep" "$BATS_TEST_TMPDIR/report"
	sleep 1.1
	run_stubbed -o "$OUT" -j2 "$SRC"
	[ "$status" -eq 1 ]
	assert_line --partial "failed job 5/9: corrupt.jpg"
	[ "$(stat -c '%i %s %Y.%y %Z.%z' "$rep")" = "$before" ]
	cmp "$rep" "$BATS_TEST_TMPDIR/report"
}

@test "the ETA is the remaining work by item class at its measured cost, and none before 3 of each class are done" {
	mkdir -p "$SRC/x"
	for i in 1 2 3 4 5 6; do
		printf 'img %d' "$i" > "$SRC/x/i$i.jpg"
		make_record "$OUT" "$(printf 'a%015x' "$i")" x "$SRC/x/i$i.jpg" image "x/i$i.jpg"
	done
	for i in 1 2 3 4; do
		printf 'song %d' "$i" > "$SRC/x/s$i.mp3"
		make_record "$OUT" "$(printf 'b%015x' "$i")" x "$SRC/x/s$i.mp3" audio "x/s$i.mp3"
	done
	find "$OUT/.mem/items" -name '*.item' -print0 | mem-plan -o "$OUT" > /dev/null
	run -0 python3 - "$REPO/scripts/mem-monitor" "$OUT" <<-'PY'
	import importlib.machinery, importlib.util, os, sys
	loader = importlib.machinery.SourceFileLoader("monitor", sys.argv[1])
	spec = importlib.util.spec_from_loader("monitor", loader)
	mm = importlib.util.module_from_spec(spec)
	loader.exec_module(mm)
	mm.OUT = sys.argv[2]
	mm.MEM = os.path.join(mm.OUT, ".mem")
	mm.emit = lambda *lines: None
	for jobs in (1, 2):
	    m = mm.Monitor(jobs, False, False)
	    now = [100.0]
	    m.clock = lambda: now[0]
	    def job(iid, secs):
	        m.event("start exif %s" % iid if iid[0] == "a" else "start norm %s" % iid)
	        now[0] += secs
	        m.event("ok %s %s" % ("exif" if iid[0] == "a" else "norm", iid))
	    etas = []
	    # songs take 10 s, photos 1 s, one at a time
	    for n in (1, 2, 3):
	        job("b%015x" % n, 10)
	        etas.append(m.eta())
	    for n in (1, 2, 3):
	        job("a%015x" % n, 1)
	        etas.append(m.eta())
	    print(jobs, etas)
	PY
	# before 3 of each class: none; then 1 song x 10 s + 3 photos x 1 s,
	# over the job slots (a plain rate, 6 items in 33 s, would say 22 s)
	assert_output "1 [None, None, None, None, None, 13.0]
2 [None, None, None, None, None, 6.5]"
}

@test "with the real scan, a rerun in which an item fails again keeps and does not touch the report" {
	[ -x "$REPO/bin/mem-scan" ] || skip "mem-scan is not built"
	ln -sf "$REPO/bin/mem-scan" "$STUBS/mem-scan"
	mkdir -p "$SRC/trip"
	make_jpeg "$SRC/trip/good.jpg"
	printf 'bad, not a JPEG' > "$SRC/trip/bad.jpg"
	run_stubbed -o "$OUT" -j2 "$SRC/trip"
	[ "$status" -eq 1 ]
	rep=$(find "$OUT" -path "$OUT/.mem" -prune -o -name failure-report.json -print)
	[ -n "$rep" ]
	run -0 python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(r["summary"]["total_failures"], [f["stage"] for f in r["failed_processing"]])' "$rep"
	assert_output "1 ['mem-exif']"
	before=$(stat -c '%i %s %Y.%y %Z.%z' "$rep")
	sleep 1.1
	run_stubbed -o "$OUT" -j2 "$SRC/trip"
	[ "$status" -eq 1 ]
	[ "$(stat -c '%i %s %Y.%y %Z.%z' "$rep")" = "$before" ]
}

@test "a batch started on a full disk still names each item's reason (cp's own words) in its fail event" {
	small_disk "$OUT" 1m
	many_items 3
	find "$OUT/.mem/items" -name '*.item' -print0 | mem-plan -o "$OUT" > /dev/null
	: > "$OUT/.mem/run/events"
	fallocate -n -l 65536 "$OUT/.mem/run/events"
	# no room left for a byte (the batch's messages file cannot be reserved)
	head -c 2000000 /dev/zero > "$OUT/filler" 2> /dev/null || true
	run -1 env PATH="$STUBS:$PATH" MEM_JOB_FETCHED=1 \
		mem-job "$OUT" exif c00000000000000a c00000000000000b c00000000000000c
	run -0 grep -c '^fail exif c00000000000000[abc] 1 cp: .*No space left on device$' \
		"$OUT/.mem/run/events"
	assert_output 3
	[ -z "$(ls "$OUT/.mem/stamp" | grep '\.ok$')" ]
	[ -z "$(ls "$OUT/.mem/run" | grep '\.err$')" ]
}
