# immich-real.bash -- the real Immich v3.1.0 server (tests/immich/server) for
# tests/immich-real.bats. Load after helpers/common.
#
# One server per suite file: real_server_start in setup_file, real_server_stop
# in teardown_file. Without the server's source (or the Debian packages of
# scripts/install-deps) every test is skipped with the one-line reason, never
# passed. The URL and keys live in files; a key is never on a command line.

SERVER=$REPO/tests/immich/server
REALCHECK=$REPO/tests/immich/realcheck

# real_server_start: start a server of our own (its run folder in the cache,
# where the postgres user can reach it), and a fresh user with its own key.
real_server_start() {
	local cache=${MEM_IMMICH_CACHE:-/var/cache/mem-immich} reason
	if ! reason=$("$SERVER" available 2>&1); then
		echo "${reason#server: }" > "$BATS_FILE_TMPDIR/unavailable"
		return 0
	fi
	mkdir -p "$cache" || return 1
	MEM_IMMICH_RUN=$(mktemp -d "$cache/run-bats.XXXXXX") || return 1
	export MEM_IMMICH_RUN
	echo "$MEM_IMMICH_RUN" > "$BATS_FILE_TMPDIR/run"
	"$SERVER" start > "$BATS_FILE_TMPDIR/url" || return 1
	"$SERVER" user "$BATS_FILE_TMPDIR/user.key" > "$BATS_FILE_TMPDIR/user.id" || return 1
}

real_server_stop() {
	[ -s "$BATS_FILE_TMPDIR/run" ] || return 0
	MEM_IMMICH_RUN=$(cat "$BATS_FILE_TMPDIR/run") "$SERVER" stop
}

# real_server_env: in setup(): skip when there is no server; else export the
# URL and the user's key (the environment is how the pipeline takes it).
real_server_env() {
	[ ! -s "$BATS_FILE_TMPDIR/unavailable" ] ||
		skip "no real Immich server: $(cat "$BATS_FILE_TMPDIR/unavailable")"
	MEM_IMMICH_RUN=$(cat "$BATS_FILE_TMPDIR/run")
	IMMICH_INSTANCE_URL=$(cat "$BATS_FILE_TMPDIR/url")
	IMMICH_API_KEY=$(cat "$BATS_FILE_TMPDIR/user.key")
	export MEM_IMMICH_RUN IMMICH_INSTANCE_URL IMMICH_API_KEY
}

# real_dump OUT DUMP: wait for the server's jobs, then read back every asset
# and album of the user (tests/immich/realcheck dump).
real_dump() {
	"$REALCHECK" dump "$IMMICH_INSTANCE_URL" "$BATS_FILE_TMPDIR/user.key" \
		"$MEM_IMMICH_RUN/admin.key" "$1" "$2"
}

# known_failure ISSUE CMD...: an assertion the server does not meet yet, and
# the issue that will make it hold. It runs CMD; status 0 passes; status 1
# (the server disagrees with the records) skips with "known failure (ISSUE)"
# and the disagreements, so it shows in the count as skipped, not passed; any
# other status fails. Once the issue lands the test passes by itself.
known_failure() {
	local issue=$1
	shift
	run "$@"
	case $status in
	0) return 0 ;;
	1) skip "known failure ($issue): $(printf '%s' "$output" | paste -sd ';' | cut -c1-900)" ;;
	*) echo "$output" >&2
	   return 1 ;;
	esac
}
