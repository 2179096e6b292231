# immich.bash -- the Immich double and the official CLI, for the upload suites.
# Load after helpers/common. Every server lives on 127.0.0.1 and stops by itself.

DOUBLE=$REPO/tests/helpers/immich-double.py
CLI_DIR=$REPO/tests/helpers/immich-cli

# double_start [double options]: start the double, export the URL and key "k".
double_start() {
	local pf=$BATS_TEST_TMPDIR/double.port i
	rm -f "$pf"
	python3 "$DOUBLE" --port-file "$pf" --lifetime 600 "$@" 3>&- &
	DOUBLE_PID=$!
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	DOUBLE_PORT=$(cat "$pf")
	DOUBLE_URL=http://127.0.0.1:$DOUBLE_PORT
	export IMMICH_INSTANCE_URL=$DOUBLE_URL IMMICH_API_KEY=k DOUBLE_URL DOUBLE_PORT
}

double_stop() {
	[ -n "${DOUBLE_PID:-}" ] || return 0
	kill "$DOUBLE_PID" 2>/dev/null || true
	wait "$DOUBLE_PID" 2>/dev/null || true
	DOUBLE_PID=
}

double_get() {
	curl -sf "$DOUBLE_URL/__double/$1"
}

double_post() {
	curl -sf -X POST -H 'Content-Type: application/json' --data "$2" \
		"$DOUBLE_URL/__double/$1" >/dev/null
}

# requests METHOD PATH: how many such requests the double saw.
requests() {
	double_get log | jq --arg m "$1" --arg p "$2" '[.[] | select(.method == $m and .path == $p)] | length'
}

# state JQ: a query over the double's assets and albums.
state() {
	double_get state | jq -r "$1"
}

# make_jpegs DIR N [PREFIX]: N distinct small JPEGs (one encode, unique tails).
make_jpegs() {
	local dir=$1 n=$2 pre=${3:-img} i
	mkdir -p "$dir"
	[ -f "$BATS_TEST_TMPDIR/.seed.jpg" ] || make_jpeg "$BATS_TEST_TMPDIR/.seed.jpg"
	for i in $(seq "$n"); do
		cp "$BATS_TEST_TMPDIR/.seed.jpg" "$dir/$pre$i.jpg"
		printf '%s-%s' "$pre" "$i" >> "$dir/$pre$i.jpg"
	done
}

# write_record FILE key=value...: an item record (NUL-terminated fields).
write_record() {
	local f=$1
	shift
	printf '%s\0' mem-item=1 "$@" > "$f"
}

# cli_install: the pinned official CLI, installed once from the lockfile.
cli_install() {
	[ -x "$CLI_DIR/node_modules/.bin/node" ] && [ -f "$CLI_DIR/node_modules/@immich/cli/bin/immich" ] && return 0
	(cd "$CLI_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1)
}

# immich ARGS: the official CLI 3.2.2 with a private config directory.
immich() {
	IMMICH_CONFIG_DIR=$BATS_TEST_TMPDIR/immich-config \
		"$CLI_DIR/node_modules/.bin/node" "$CLI_DIR/node_modules/@immich/cli/bin/immich" "$@"
}
