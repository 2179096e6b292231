#!/usr/bin/env bats
# The pipeline on exports delivered as archives that can only be read in
# order (tar, tgz): under make, a part's items of one stage are one job and
# one tool run that reads the part once (issue 16). The real tools, on the
# bundled sample's Takeout (--scale 2) and three of its songs, each once as
# a directory and once as a tgz part; and on the real camera files of
# ../shared/corpus as directories, zips and tgzs.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/scan

G=google-john.doe-20240101
TAKEOUT=takeout-20240101T000000Z-001.tgz
SONGS=("01 Morning Light.mp3" "02 Loud Anthem.flac" "03 Quiet Room.wav")

setup_file() {
	load helpers/common
	local f=$BATS_FILE_TMPDIR
	mksample "$f/s" --scale 2 > /dev/null 2>&1
	# The directories, and the same files as tgz parts (tar's name order).
	mkdir -p "$f/dir/music" "$f/tgz/$G" "$f/tgz/music" "$f/takeout/$G"
	cp -a "$f/s/$G" "$f/dir/"
	(cd "$f/s/songs" && cp -a "${SONGS[@]}" "$f/dir/music/")
	tar --sort=name -C "$f/s/$G" -czf "$f/tgz/$G/$TAKEOUT" .
	tar --sort=name -C "$f/s/songs" -czf "$f/tgz/music/music-001.tgz" "${SONGS[@]}"
	# the Takeout alone, for the quicker tests
	cp -a "$f/tgz/$G/$TAKEOUT" "$f/takeout/$G/"
	mem-pipeline --skip-upload -j2 --originals "$f/dir" -o "$f/od" > "$f/od.console" 2>&1
	echo $? > "$f/od.status"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	F=$BATS_FILE_TMPDIR
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY SKIP_UPLOAD MAKEFLAGS MAKELEVEL IN ORIGINALS JOBS
	[ "$(cat "$F/od.status")" -eq 0 ]
}

# outputs OUT: every output under OUT (not .mem, not the reports), sorted.
outputs() {
	(cd "$1" && find . -path ./.mem -prune -o -path '*/issues' -prune -o -type f -print) |
		sort
}

# records_of OUT ARCHIVE: how many records read their media from ARCHIVE.
records_of() {
	grep -laF "source=$2" "$1"/.mem/items/*.item | wc -l
}

# read_line TOOL ARCHIVE N [whole]: the console's line of the tool's one
# pass over the part for N members: it read at most the part (with whole:
# and more than half of it, the members being spread over all of it).
read_line() {
	local size line got
	size=$(stat -c %s "$2")
	line=$(grep -F "$1: $2: read " console)
	[ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ]
	[[ "$line" =~ ^"$1: $2: read "([0-9]+)" bytes of $size in 1 pass for $3 member"s?$ ]]
	got=${BASH_REMATCH[1]}
	[ "$got" -le "$size" ]
	[ "${4:-}" != whole ] || [ $((2 * got)) -gt "$size" ]
}

# read_once_each: the run in ./out (its console in ./console) holds the
# directory run's outputs byte for byte; one mem-exif read the Takeout part
# once for all its items, one mem-loudnorm the songs' part for its three
# (a run per item would have read the part once per item, each for 1
# member); still an event, a stamp and a console line per item.
read_once_each() {
	outputs "$F/od" > want
	outputs out > have
	diff want have
	[ "$(grep -c . want)" -gt 40 ]
	while IFS= read -r f; do
		cmp "$F/od/$f" "out/$f"
	done < want
	n=$(records_of out "$F/tgz/$G/$TAKEOUT")
	[ "$n" -gt 40 ]
	read_line mem-exif "$F/tgz/$G/$TAKEOUT" "$n" whole
	read_line mem-loudnorm "$F/tgz/music/music-001.tgz" 3 whole
	[ "$(grep -c ': read [0-9]* bytes of ' console)" -eq 2 ]
	[ "$(grep -c '^ok exif ' out/.mem/run/events)" -eq "$n" ]
	[ "$(grep -c '^ok norm ' out/.mem/run/events)" -eq 3 ]
	[ "$(ls out/.mem/stamp | grep -c '\.ok$')" -eq $((n + 3)) ]
	grep -qx "Completed: $((n + 3))" console
	grep -qx "Failed: 0" console
}

@test "a tgz Takeout and a tgz of songs give the outputs of their directories, byte for byte, each part read once by one tool run per stage" {
	run -0 mem-pipeline --skip-upload -j2 --originals "$F/tgz" -o out
	printf '%s\n' "$output" > console
	read_once_each
}

@test "under GNU parallel too, a tgz part is one job read once per stage, with make's outputs and a rerun that does nothing" {
	run -0 mem-pipeline --engine parallel --skip-upload -j2 --originals "$F/tgz" -o out
	printf '%s\n' "$output" > console
	read_once_each
	# one GNU parallel job per part and stage (the joblog's Command)
	run -0 awk -F '\t' 'NR > 1 { print $NF }' out/.mem/run/joblog
	[ "$(printf '%s\n' "$output" | grep -c -- '--part=exif-\|--part=norm-')" -eq 2 ]
	# nothing left to do: the next run starts no job
	run -0 mem-pipeline --engine parallel --skip-upload -j2 --originals "$F/tgz" -o out
	refute_output --partial ': read '
	[ "$(grep -c '^start ' out/.mem/run/events)" -eq 0 ]
}

@test "the plan makes one job of a tgz part's items, in archive order, and leaves a zip part's items as they were" {
	mksample --archives sa > /dev/null 2>&1
	run -0 sh -c "mem-scan -o out --records --originals sa | mem-plan -o out > /dev/null"
	# the Takeout's fourth part is a tgz: its items, and only they, are a job
	tgz=$PWD/sa/$G/takeout-20240101T000000Z-004.tgz
	grep -laF "source=$tgz" out/.mem/items/*.item | sed 's|.*/||; s|\.item$||' | sort > mine
	[ -s mine ]
	run -0 grep '^PART_JOBS := ' out/.mem/run/batches.mk
	[ "$(echo "${output#PART_JOBS := }" | wc -w)" -eq 1 ]
	job=${output#PART_JOBS := }
	[[ "$job" =~ ^exif-[0-9a-f]{16}$ ]]
	sort "out/.mem/run/parts/$job" > listed
	cmp mine listed
	# in archive order: by the member's ordinal in member_sig
	while read -r i; do
		tr '\0' '\n' < "out/.mem/items/$i.item" | sed -n 's/^member_sig=.*://p'
	done < "out/.mem/run/parts/$job" > ordinals
	sort -n ordinals | cmp - ordinals
	# no zip member is in a part's job, and a zip member is in the plan
	run -0 grep '^PART_BATCHED := ' out/.mem/run/batches.mk
	for i in ${output#PART_BATCHED := }; do
		grep -qxF "$i" mine
	done
	zipped=$(grep -laF "source=$PWD/sa/$G/takeout-20240101T000000Z-001.zip" out/.mem/items/*.item | head -n 1)
	[ -n "$zipped" ]
	zipped=${zipped##*/}
	grep -q "^EXIF := .*${zipped%.item}" out/.mem/plan/plan.mk
}

@test "a corrupt member of a tgz part fails only its item: named on the console and in the failure report, exit 1" {
	mkdir -p src in/"$G"
	cp -a "$F/s/$G/." src/
	d="src/Takeout/Google Photos/Photos from 2023"
	head -c 3000 /dev/urandom > "$d/corrupt.jpg"
	sed 's/IMG_0001\.jpg/corrupt.jpg/' "$d/IMG_0001.jpg.supplemental-metadata.json" \
		> "$d/corrupt.jpg.supplemental-metadata.json"
	tar --sort=name -C src -czf in/"$G/$TAKEOUT" .
	part=$PWD/in/$G/$TAKEOUT
	run -1 mem-pipeline --skip-upload -j2 --originals in -o out
	printf '%s\n' "$output" > console
	n=$(records_of out "$part")
	read_line mem-exif "$part" "$n" whole
	why="mem-exif: $PWD/out/.mem/items/[0-9a-f]{16}\\.item: $part: \\./Takeout/Google Photos/Photos from 2023/corrupt\\.jpg: not a JPEG \\(no SOI marker\\)"
	assert_line --regexp "^failed job [0-9]+/$n: corrupt\\.jpg: $why\$"
	assert_line "Failed: 1"
	assert_line "Completed: $((n - 1))"
	assert_line "mem-pipeline: exit 1: some items failed"
	[ "$(grep -c '^fail exif ' out/.mem/run/events)" -eq 1 ]
	[ "$(ls out/.mem/stamp | grep -c '\.ok$')" -eq $((n - 1)) ]
	run -0 python3 - out/"$G"/issues/failure-report.json <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	for e in r["failed_processing"]:
	    print(e["stage"], e["file_path"], "|", e["reason"])
	EOF
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^"mem-exif $part | "$why$ ]]
	# every other item's output is there; the run again redoes only the
	# failed one (one run of mem-exif, for 1 member), and fails again
	run -1 mem-pipeline --skip-upload -j2 --originals in -o out
	printf '%s\n' "$output" > console
	[ "$(grep -c '^processing job ' console)" -eq 1 ]
	read_line mem-exif "$part" 1
	assert_line "mem-pipeline: exit 1: some items failed"
}

@test "a rerun over a done tgz part does nothing; a deleted output is made again alone" {
	part=$F/takeout/$G/$TAKEOUT
	run -0 mem-pipeline --skip-upload -j2 --originals "$F/takeout" -o out
	n=$(records_of out "$part")
	(cd out && find . -path ./.mem -prune -o -type f -printf '%i %T@ %s %p\n' | sort) > before
	run -0 mem-pipeline --skip-upload -j2 --originals "$F/takeout" -o out
	printf '%s\n' "$output" > console
	run -0 cat out/.mem/run/engine.log
	assert_output "make: Nothing to be done for 'all'."
	[ "$(grep -c '^start ' out/.mem/run/events)" -eq 0 ]
	! grep -q ': read [0-9]* bytes' console
	(cd out && find . -path ./.mem -prune -o -type f -printf '%i %T@ %s %p\n' | sort) > after
	cmp before after
	# one output goes: only its item is redone, by one pass for 1 member
	gone=$(outputs out | sed -n 7p)
	rm "out/$gone"
	run -0 mem-pipeline --skip-upload -j2 --originals "$F/takeout" -o out
	printf '%s\n' "$output" > console
	[ "$(grep -c '^processing job ' console)" -eq 1 ]
	read_line mem-exif "$part" 1
	cmp "$F/od/$gone" "out/$gone"
	(cd out && find . -path ./.mem -prune -o -type f -printf '%i %T@ %s %p\n' | sort) > again
	grep -vF " $gone" before > b
	grep -vF " $gone" again > a
	cmp b a
	[ "$(ls out/.mem/stamp | grep -c '\.ok$')" -eq "$n" ]
}

@test "a tgz cut short after the scan costs the members past the cut, each named, and is still read once" {
	mkdir -p src/g e
	for i in $(seq -w 1 12); do
		ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=size=320x240:rate=1" \
			-vf "noise=alls=30:allf=u" -frames:v 1 -q:v 2 "src/g/p$i.jpg"
	done
	tar --sort=name -C src -czf e/g.tgz g
	run -0 sh -c 'mem-scan -o out --records e > recs'
	size=$(stat -c %s e/g.tgz)
	head -c $((size / 2)) e/g.tgz > cut.tgz
	mv cut.tgz e/g.tgz
	run -0 sh -c 'mem-plan -o out < recs > /dev/null'
	run -2 make -s -f "$REPO/scripts/plan.mk" -k -j2 OUT="$PWD/out"
	ok=$(grep -c '^ok exif ' out/.mem/run/events)
	bad=$(grep -c '^fail exif ' out/.mem/run/events)
	[ "$ok" -ge 2 ] && [ "$bad" -ge 2 ] && [ $((ok + bad)) -eq 12 ]
	# each failed item: its member and why, in its log and its event
	run -0 grep -h . out/.mem/log/*.log
	assert_line --regexp "^mem-exif: $PWD/e/g\\.tgz: read [0-9]+ bytes of $((size / 2)) in 1 pass for $ok members\$"
	[ "$(grep -c "^mem-exif: $PWD/out/.mem/items/[0-9a-f]*\\.item: $PWD/e/g\\.tgz: g/p[0-9]*\\.jpg: damaged or truncated archive (" <<< "$output")" -eq "$bad" ]
	# an item done has its output, a JPEG; a failed one none
	for id in $(sed -n 's/^ok exif //p' out/.mem/run/events); do
		dest=$(tr '\0' '\n' < "out/.mem/items/$id.item" | sed -n 's/^dest=//p')
		[ "$(exiftool -s3 -FileType "out/$dest")" = JPEG ]
	done
	for id in $(sed -n 's/^fail exif \([0-9a-f]*\) .*/\1/p' out/.mem/run/events); do
		dest=$(tr '\0' '\n' < "out/.mem/items/$id.item" | sed -n 's/^dest=//p')
		[ ! -e "out/$dest" ]
	done
}

@test "a run killed with -9 in the middle of a part's job keeps the items it finished; the next run does only the rest, in one pass" {
	make_jpeg seed.jpg 160x120
	mkdir -p in/pics
	python3 - seed.jpg in/pics/pics-001.tgz 600 <<-'EOF2'
	import io, sys, tarfile
	seed = open(sys.argv[1], "rb").read()
	with tarfile.open(sys.argv[2], "w:gz") as tar:
	    for i in range(int(sys.argv[3])):
	        com = b"photo %d" % i	# each its own bytes
	        data = seed[:2] + b"\xff\xfe" + (len(com) + 2).to_bytes(2, "big") + com + seed[2:]
	        ti = tarfile.TarInfo("p%04d.jpg" % i)
	        ti.size, ti.mtime = len(data), 1672531200 + 60 * i
	        tar.addfile(ti, io.BytesIO(data))
	EOF2
	setsid mem-pipeline --skip-upload -j2 --originals in -o out > /dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 600); do
		[ "$(grep -c '^ok exif ' out/.mem/run/events 2>/dev/null)" -ge 20 ] && break
		sleep 0.05
	done
	kill -9 -- "-$pid"
	wait "$pid" || true
	flock -w 30 out/.mem/run.lock true
	done_before=$(ls out/.mem/stamp | grep -c '\.ok$')
	[ "$done_before" -ge 20 ]
	[ "$done_before" -lt 600 ] || skip "the run ended before it was killed"
	run -0 mem-pipeline --skip-upload -j2 --originals in -o out
	[ "$(grep -c '^processing job ' <<< "$output")" -eq $((600 - done_before)) ]
	assert_line --regexp "^mem-exif: $PWD/in/pics/pics-001\\.tgz: read [0-9]+ bytes of [0-9]+ in 1 pass for $((600 - done_before)) members\$"
	[ "$(ls out/.mem/stamp | grep -c '\.ok$')" -eq 600 ]
	[ "$(find out/pics -type f | wc -l)" -eq 600 ]
	[ -z "$(find out -name '.*.??????*' -newer in/pics/pics-001.tgz -path '*/pics/*')" ]
}

# records OUT: every record of OUT on one line, less where its media lies
# (source, and member and its signature for an archive's), sorted.
records() {
	local f
	for f in "$1"/.mem/items/*.item; do
		tr '\0' '\n' < "$f" |
			grep -v '^source=\|^member=\|^member_sig=\|^mem-item=\|^sidecar=\|^sidecar_member=' |
			paste -sd '|'
	done | sort
}

# packed_as_dir: mem-pipeline over dir/, zip/ and tgz/ (the same exports,
# packed), each into out-KIND; the archives' outputs and records (but where
# their media lie) are the folders', byte for byte. Leaves want (the
# outputs) and want.records.
packed_as_dir() {
	local k f
	for k in dir zip tgz; do
		run -0 mem-pipeline --skip-upload -j2 --originals "$k" -o "out-$k"
		assert_line "Failed: 0"
	done
	outputs out-dir > want
	records out-dir > want.records
	for k in zip tgz; do
		outputs "out-$k" > have
		diff want have
		while IFS= read -r f; do
			cmp "out-dir/$f" "out-$k/$f"
		done < want
		records "out-$k" > have.records
		diff want.records have.records
	done
}

@test "the real camera and phone files of ../shared/corpus, each export as a zip and as a tgz, give the records and outputs of the unpacked corpus, byte for byte" {
	local corpus=${MEM_CORPUS:-$REPO/../shared/corpus} d b k
	[ -f "$corpus/MANIFEST.tsv" ] || skip "no corpus at $corpus"
	mkdir -p dir zip tgz
	cp -a "$corpus"/*+* dir/
	for d in dir/*; do
		b=${d#dir/}
		(cd "$d" && zip -qr "../../zip/$b.zip" . && tar --sort=name -czf "../../tgz/$b.tgz" .)
	done
	packed_as_dir
	# one output a file, and an XMP sidecar beside those mem-exif cannot
	# write into (a HEIC given the offset of its place)
	[ "$(grep -vc '\.xmp$' want)" -eq "$(find dir -type f | wc -l)" ]
	grep -q '\.heic\.xmp$' want
}

@test "a plain folder with a user's XMP sidecars, as a zip and as a tgz, gives the records (but where media and sidecars lie) and outputs of the folder, sidecars carried, byte for byte" {
	mkdir -p dir/shoot zip tgz
	user_sidecar_files dir/shoot
	(cd dir/shoot && zip -qr ../../zip/shoot.zip . && tar --sort=name -czf ../../tgz/shoot.tgz .)
	packed_as_dir
	[ "$(grep -c '\.xmp$' want)" -eq 8 ]
	[ "$(grep -vc '\.xmp$' want)" -eq 8 ]
	cmp dir/shoot/a.jpg.xmp out-dir/shoot/media/folder-shoot-20150607.jpg.xmp
	[ "$(grep -c 'sidecar' want.records)" -eq 8 ]
	for k in zip tgz; do
		[ "$(cat out-$k/.mem/items/*.item | tr '\0' '\n' |
			grep -c "^sidecar=$PWD/$k/shoot\.$k$")" -eq 8 ]
	done
}
