#!/usr/bin/env bats
# cli.bats -- the contract of docs/design.md §2, held for every tool in bin/.
# Each test loops over the tools and names the one it checks, so a failure
# says which (bats 1.8 cannot generate tests in a loop).
bats_require_minimum_version 1.5.0
load helpers/common

# A name with every character that breaks naive scripts, and a non-UTF-8 byte.
WEIRD=$'-we ird\n"q\'$x:%#\377'

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
	cd "$BATS_TEST_TMPDIR"
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=cli-test-key
}

# invoke TOOL ARGS...: the tool with the options it needs to run at all.
invoke() {
	local t=$1
	shift
	case $t in
	mem-scan) "$t" -o "$OUT" "$@" ;;
	mem-exif|mem-loudnorm) "$t" -o "$OUT" "$@" ;;
	mem-upload) "$t" --dry-run -o "$OUT" "$@" ;;
	mem-advise) "$t" --cores 2 --open-files 4096 "$@" ;;
	mem-fetch) "$t" -o "$OUT" "$@" ;;
	*) "$t" "$@" ;;
	esac
}

# to_full CMD...: CMD with stdout on a full disk (run would capture it).
to_full() {
	"$@" </dev/null >/dev/full
}

# one_item TOOL: an input the tool processes successfully, named $WEIRD.
one_item() {
	case $1 in
	mem-scan) mkdir -p export && make_jpeg "$PWD/export/$WEIRD.jpg" && printf '%s' "$PWD/export" ;;
	mem-exif|mem-upload|mem-advise) make_jpeg "$PWD/$WEIRD.jpg" && printf '%s' "$PWD/$WEIRD.jpg" ;;
	mem-loudnorm) make_audio "$PWD/$WEIRD.wav" 2 && printf '%s' "$PWD/$WEIRD.wav" ;;
	mem-fetch) make_jpeg "$PWD/$WEIRD.jpg" && printf '%s' "$PWD/$WEIRD.jpg" ;;
	esac
}

@test "every tool is present" {
	for t in mem-scan mem-exif mem-loudnorm mem-upload mem-advise; do
		echo "# $t"
		[ -x "$MEM_BIN/$t" ] || skip "$t not built yet"
	done
}

@test "-h and --help print usage on stdout and exit 0" {
	for t in $(mem_tools); do
		echo "# $t"
		run --separate-stderr "$t" -h
		[ "$status" -eq 0 ] && [[ $output == usage:* ]] && [ -z "$stderr" ]
		run --separate-stderr "$t" --help
		[ "$status" -eq 0 ] && [[ $output == usage:* ]]
	done
}

@test "an unknown option prints usage on stderr and exits 2" {
	for t in $(mem_tools); do
		echo "# $t"
		run --separate-stderr "$t" --no-such-option </dev/null
		[ "$status" -eq 2 ] && [ -z "$output" ] && [[ $stderr == *usage:* ]]
	done
}

@test "--version names the tool and exits 0" {
	for t in $(mem_tools); do
		echo "# $t"
		run --separate-stderr "$t" --version
		[ "$status" -eq 0 ] && [[ $output == "$t (mem) "[0-9]* ]]
	done
}

@test "empty input is success with nothing on stdout" {
	for t in $(mem_tools); do
		[ "$t" = mem-advise ] && continue	# its answer is the -j value
		echo "# $t"
		run --separate-stderr invoke "$t" </dev/null
		[ "$status" -eq 0 ] && [ -z "$output" ]
	done
}

@test "an empty record on stdin is reported with its number, exit 1" {
	for t in $(mem_tools); do
		[ "$t" = mem-scan ] && continue	# its records are export directories
		echo "# $t"
		run --separate-stderr invoke "$t" < <(printf '\0')
		[ "$status" -eq 1 ] && [[ $stderr == *"$t: -:1: empty path"* ]]
	done
}

@test "a file named with spaces, a newline, quotes, \$, :, %, #, a leading - and byte 377 goes through" {
	for t in $(mem_tools); do
		echo "# $t"
		rm -rf "$OUT" export ./-we* && mkdir -p "$OUT"
		item=$(one_item "$t")
		invoke "$t" -- "$item" > stdout.nul 2> stderr.txt || { cat stderr.txt; false; }
		case $t in
		mem-advise)
			grep -q '^1$' stdout.nul || grep -q '"items": 1' stdout.nul ;;
		mem-scan)
			printf '%s\0' "$PWD/export/$WEIRD.jpg" | cmp - stdout.nul ;;
		mem-upload)
			printf '%s\0' "$item" | cmp - stdout.nul ;;
		mem-fetch)	# a path without a link passes through
			printf '%s\0' "$item" | cmp - stdout.nul ;;
		*)
			printf '%s\0' "$OUT/${item##*/}" | cmp - stdout.nul
			[ -s "$OUT/${item##*/}" ] ;;
		esac
		# the same through a NUL stream on stdin
		rm -rf "$OUT" && mkdir -p "$OUT"
		printf '%s\0' "$item" | invoke "$t" > stdin.nul 2> stderr.txt || { cat stderr.txt; false; }
		cmp stdout.nul stdin.nul
	done
}

@test "a write error on stdout exits 2" {
	for t in $(mem_tools); do
		echo "# $t"
		rm -rf "$OUT" export ./-we* && mkdir -p "$OUT"
		item=$(one_item "$t")
		run to_full invoke "$t" -- "$item"
		[ "$status" -eq 2 ]
	done
}

@test "no temp file is left behind after a run" {
	for t in $(mem_tools); do
		echo "# $t"
		rm -rf "$OUT" export ./-we* && mkdir -p "$OUT"
		item=$(one_item "$t")
		invoke "$t" -- "$item" >/dev/null 2>&1 || true
		run find "$OUT" "$BATS_TEST_TMPDIR" -name '.*.[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]*' -type f
		[ -z "$output" ]
	done
}
