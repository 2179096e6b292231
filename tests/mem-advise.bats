#!/usr/bin/env bats
# mem-advise: memoria's and LevelUp's rules, and the machine checks beyond them,
# on injected machine facts so every figure is exact.
bats_require_minimum_version 1.5.0
load helpers/common

# A machine that triggers nothing unless a test says so.
quiet_machine=(--cores 16 --mem-available 68719476736 --free-space 1099511627776 --open-files 65536)

setup() {
	export MEM_ROTATIONAL=0
	mkdir -p "$BATS_TEST_TMPDIR/in"
	cd "$BATS_TEST_TMPDIR"
}

# media N KIND: N small files of a kind, listed NUL-separated in list.nul
media() {
	local i ext
	case $2 in image) ext=jpg ;; video) ext=mp4 ;; audio) ext=flac ;; esac
	for ((i = 1; i <= $1; i++)); do
		head -c 1000 /dev/zero > "in/$2 $i.$ext"
		printf '%s\0' "$PWD/in/$2 $i.$ext"
	done >> list.nul
}

@test "memoria's warning for 4 exports of 15 workers on 16 cores is reproduced to the letter" {
	run --separate-stderr mem-advise "${quiet_machine[@]}" --parallel-exports 4 --workers 15 </dev/null
	[ "$status" -eq 0 ]
	expected='WARNING: Running 4 exports with 15 workers each
         will create ~64 processes on 16 CPU cores
         This may cause performance degradation due to over-subscription.

SUGGESTION: Try --parallel-exports 4 --workers 3
            or reduce --parallel-exports to 1
'
	[ "${stderr:0:${#expected}}" = "$expected" ]
}

@test "memoria's example on 2 cores suggests one worker and one export" {
	run --separate-stderr mem-advise --cores 2 --parallel-exports 2 --workers 8 </dev/null
	[ "$status" -eq 0 ]
	[[ $stderr == *"will create ~18 processes on 2 CPU cores"* ]]
	[[ $stderr == *"SUGGESTION: Try --parallel-exports 2 --workers 1"* ]]
	[[ $stderr == *"or reduce --parallel-exports to 1"* ]]
}

@test "a balanced setting (2 exports of 7 workers on 16 cores) gets no warning" {
	run --separate-stderr mem-advise "${quiet_machine[@]}" --parallel-exports 2 --workers 7 </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = 14 ]
	[[ $stderr != *WARNING* ]]
}

@test "workers default to cores - 1, so 2 exports on 16 cores over-subscribe" {
	run --separate-stderr mem-advise "${quiet_machine[@]}" --parallel-exports 2 --json </dev/null
	[ "$status" -eq 0 ]
	[[ $stderr == *"Running 2 exports with 15 workers each"* ]]
	[ "$(jq .settings.workers <<<"$output")" = 15 ]
	[ "$(jq .settings.processes <<<"$output")" = 32 ]
}

@test "three items or fewer run sequentially (LevelUp)" {
	media 3 image
	run --separate-stderr mem-advise "${quiet_machine[@]}" < list.nul
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	[[ $stderr == *"3 items (3 images, 0 videos, 0 audio, 0 other)"* ]]
}

@test "four items or more use cores - 1 workers (LevelUp)" {
	media 4 audio
	run --separate-stderr mem-advise "${quiet_machine[@]}" < list.nul
	[ "$status" -eq 0 ]
	[ "$output" = 15 ]
}

@test "one core still gets one job" {
	run --separate-stderr mem-advise --cores 1 </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "little memory caps the jobs, with the heaviest kind setting the need" {
	media 5 video
	# 2 GiB available, 80% usable, 512 MiB a video job: 3 jobs
	run --separate-stderr mem-advise --cores 16 --mem-available 2147483648 --open-files 65536 < list.nul
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	[[ $stderr == *"warning: 15 jobs need 15 x 512.0 MiB but only 2.0 GiB is available; using 3"* ]]
}

@test "a rotational disk caps the jobs at two" {
	media 5 image
	run --separate-stderr mem-advise "${quiet_machine[@]}" --rotational < list.nul
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	[[ $stderr == *"warning: rotational disk"* ]]
}

@test "a network filesystem is warned about" {
	run --separate-stderr mem-advise "${quiet_machine[@]}" --network-fs </dev/null
	[ "$status" -eq 0 ]
	[[ $stderr == *"on a network filesystem"* ]]
}

@test "free space under twice the input is warned about (LevelUp)" {
	media 4 image	# 4000 bytes
	run --separate-stderr mem-advise --cores 4 --mem-available 68719476736 --open-files 65536 \
		--free-space 7999 -o "$BATS_TEST_TMPDIR" < list.nul
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: 7.8 KiB free on $BATS_TEST_TMPDIR, but 2 x the input is 7.8 KiB"* ]]
	run --separate-stderr mem-advise --cores 4 --mem-available 68719476736 --open-files 65536 \
		--free-space 8000 -o "$BATS_TEST_TMPDIR" < list.nul
	[[ $stderr != *"2 x the input"* ]]
}

@test "a low ulimit -n is warned about with the fix" {
	run --separate-stderr mem-advise --cores 16 --mem-available 68719476736 --open-files 256 </dev/null
	[ "$status" -eq 0 ]
	[[ $stderr == *'ulimit -n is 256, low for 15 jobs ("Too many open files"): run ulimit -n 4096'* ]]
}

@test "the environment injects the same facts as the options" {
	MEM_CORES=8 MEM_OPEN_FILES=65536 MEM_MEM_AVAILABLE=68719476736 run --separate-stderr mem-advise </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
	[[ $stderr == *"8 usable cores (given)"* ]]
}

@test "--json carries every figure, rule and warning" {
	media 2 image
	media 2 audio
	run --separate-stderr mem-advise --json --cores 4 --mem-available 1073741824 \
		--free-space 1000 --open-files 100 -o "$BATS_TEST_TMPDIR" < list.nul
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.machine.cores, .input.items, .input.images, .input.audio, .input.bytes, .jobs]' <<<"$output")" = '[4,4,2,2,4000,3]' ]
	[ "$(jq -r '[.rules[].rule] | join(",")' <<<"$output")" = levelup,memory,disk,open-files ]
	[ "$(jq -r '[.warnings[].rule] | join(",")' <<<"$output")" = disk,open-files ]
}

@test "item records are read and their sources sized" {
	head -c 5000 /dev/zero > "in/a b.mp4"
	printf 'mem-item=1\0source=%s\0export=e1\0kind=video\0' "$PWD/in/a b.mp4" > r1.item
	run --separate-stderr mem-advise --json "${quiet_machine[@]}" r1.item
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.input.videos, .input.bytes, .input.exports]' <<<"$output")" = '[1,5000,1]' ]
}

@test "a missing input is named, the others counted, exit 1" {
	media 4 image
	printf '%s\0' "$PWD/in/nothing.jpg" >> list.nul
	run --separate-stderr mem-advise --json "${quiet_machine[@]}" < list.nul
	[ "$status" -eq 1 ]
	[[ $stderr == *"mem-advise: $PWD/in/nothing.jpg: No such file or directory"* ]]
	[ "$(jq .input.items <<<"$output")" = 4 ]
}

@test "bad numbers are usage errors, exit 2" {
	run -2 mem-advise --cores 0 </dev/null
	[ "$output" = "mem-advise: --cores 0: out of range (1 to 1048576)" ]
	run -2 mem-advise --workers x </dev/null
	[[ $output == *"--workers x: not a whole number"* ]]
	run -2 mem-advise --parallel-exports -3 </dev/null
}

@test "an OUT that does not exist is fatal" {
	run -2 mem-advise -o "$BATS_TEST_TMPDIR/nope" </dev/null
	[[ $output == *"nope: No such file or directory"* ]]
}

@test "a FIFO or a directory is reported and not waited on, exit 1" {
	media 2 image
	mkfifo "$PWD/in/fifo.jpg"
	mkdir "$PWD/in/dir.jpg"
	printf '%s\0' "$PWD/in/fifo.jpg" "$PWD/in/dir.jpg" >> list.nul
	run -1 --separate-stderr timeout 20 mem-advise --json "${quiet_machine[@]}" < list.nul
	[[ $stderr == *"mem-advise: $PWD/in/fifo.jpg: not a regular file"* ]]
	[[ $stderr == *"mem-advise: $PWD/in/dir.jpg: not a regular file"* ]]
	[ "$(jq .input.items <<<"$output")" = 2 ]
}

@test "a record whose source is missing is named first, then its source" {
	printf 'mem-item=1\0source=%s\0kind=image\0' "$PWD/in/gone.jpg" > r.item
	run -1 --separate-stderr mem-advise --json "${quiet_machine[@]}" r.item
	[[ $stderr == *"mem-advise: r.item: $PWD/in/gone.jpg: No such file or directory"* ]]
	[ "$(jq .input.items <<<"$output")" = 0 ]
}

@test "the user's -j stands: the advice is said once, without a run-with line" {
	media 4 image
	run -0 --separate-stderr mem-advise --jobs 2 "${quiet_machine[@]}" < list.nul
	[ "$output" = 2 ]
	[[ $stderr == *"mem-advise: 16 usable cores (given): would pick -j15; your -j2 stands"* ]]
	[[ $stderr != *"run with"* ]]
	[ "$(grep -c 'would pick' <<<"$stderr")" = 1 ]
}

@test "without -j the advice says what to run with" {
	media 4 image
	run -0 --separate-stderr mem-advise "${quiet_machine[@]}" < list.nul
	[ "$output" = 15 ]
	[[ $stderr == *"mem-advise: 16 usable cores (given): run with -j15"* ]]
	[[ $stderr != *"would pick"* ]]
}
