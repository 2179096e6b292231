# peers.bash -- real Takeout trees for the peers' test tables
# (tests/mem-scan-peers-*.bats). Every photo is a real JPEG of its own
# bytes; every sidecar has a time of its own, so a test sees which sidecar
# a photo took.

# photo FILE: a real JPEG whose bytes differ from every other photo's (its
# path in a COM segment).
photo() {
	mkdir -p "$(dirname "$1")"
	[ -e "$BATS_TEST_TMPDIR/.base.jpg" ] ||
		make_jpeg "$BATS_TEST_TMPDIR/.base.jpg" || return 1
	python3 - "$BATS_TEST_TMPDIR/.base.jpg" "$1" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
c = sys.argv[2].encode()
open(sys.argv[2], 'wb').write(b[:2] + b'\xff\xfe' + (len(c) + 2).to_bytes(2, 'big') + c + b[2:])
PY
}

# clip FILE: a real one-second MP4 with its own bytes.
clip() {
	mkdir -p "$(dirname "$1")"
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=32x24:rate=5:duration=1" \
		-c:v libx264 -pix_fmt yuv420p -metadata "title=$1" -f mp4 "$1"
}

# side FILE EPOCH [EXTRA-JSON]: a sidecar whose photoTakenTime is EPOCH.
side() {
	mkdir -p "$(dirname "$1")"
	printf '{"title": "t", "photoTakenTime": {"timestamp": "%s"}%s}\n' \
		"$2" "${3:+, $3}" > "$1"
}

# iso EPOCH: the record's form of an instant.
iso() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# taken OUT SOURCE EPOCH: SOURCE's record has EPOCH from a sidecar.
taken() {
	local t s
	t=$(field "$1" "$2" time) s=$(field "$1" "$2" time_source)
	[ "$t" = "$(iso "$3")" ] && [ "$s" = json ] || {
		echo "$2: time '$t' from '$s', want $(iso "$3") from json" >&2
		return 1
	}
}

# untaken OUT SOURCE: SOURCE has a record whose time is not a sidecar's.
untaken() {
	local s
	record_of "$1" "$2" > /dev/null || { echo "$2: no record" >&2; return 1; }
	s=$(field "$1" "$2" time_source)
	[ "$s" != json ] || { echo "$2: took a sidecar's time" >&2; return 1; }
}
