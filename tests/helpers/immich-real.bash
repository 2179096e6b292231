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

# protocol_trace URL KEYFILE DIR: the upload protocol's steps against a server,
# one line each, "STEP STATUS projection" (ids as booleans: same or not), so
# the real server and the double can be compared line by line. DIR holds two
# JPEGs a.jpg and b.jpg and a video c.mov; the key goes in a header file,
# never on a command line.
protocol_trace() {
	local url=$1 kf=$2 d=$3 id al hex hexb b64 vid nobody=00000000-0000-4000-8000-000000000000
	printf 'x-api-key: %s\n' "$(cat "$kf")" > "$d/hdr"
	hex=$(sha1sum "$d/a.jpg" | cut -c1-40)
	hexb=$(sha1sum "$d/b.jpg" | cut -c1-40)
	b64=$(printf '%s' "$hex" | xxd -r -p | base64)
	_up() {
		curl -s -o "$d/body" -w '%{http_code}' -H "@$d/hdr" -F fileCreatedAt=2020-01-02T03:04:05.000Z \
			-F fileModifiedAt=2020-01-02T03:04:05.000Z -F isFavorite=false -F "assetData=@$1" "$url/api/assets"
	}
	_js() {
		curl -s -o "$d/body" -w '%{http_code}' -H "@$d/hdr" -H 'Content-Type: application/json' \
			-X "$1" ${3:+--data "$3"} "$url/api$2"
	}
	echo "upload $(_up "$d/a.jpg") $(jq -c '{status, id: (.id | test("^[0-9a-f-]{36}$"))}' "$d/body")"
	id=$(jq -r .id "$d/body")
	echo "upload-again $(_up "$d/a.jpg") $(jq -c --arg id "$id" '{status, same: (.id == $id)}' "$d/body")"
	echo "bulk-check $(_js POST /assets/bulk-upload-check "{\"assets\":[{\"id\":\"x1\",\"checksum\":\"$hex\"},{\"id\":\"x2\",\"checksum\":\"$hexb\"},{\"id\":\"x3\",\"checksum\":\"$b64\"},{\"id\":\"x1\",\"checksum\":\"$hexb\"}]}") $(jq -c --arg id "$id" '[.results[] | {id, action, reason, isTrashed, same: (.assetId == $id)}]' "$d/body")"
	echo "album-create $(_js POST /albums '{"albumName":"A"}') $(jq -c '{albumName, assetCount}' "$d/body")"
	al=$(jq -r .id "$d/body")
	echo "album-add $(_js PUT "/albums/$al/assets" "{\"ids\":[\"$id\"]}") $(jq -c --arg id "$id" '[.[] | {success, error, same: (.id == $id)}]' "$d/body")"
	echo "album-add-again $(_js PUT "/albums/$al/assets" "{\"ids\":[\"$id\"]}") $(jq -c --arg id "$id" '[.[] | {success, error, same: (.id == $id)}]' "$d/body")"
	echo "album-same-name $(_js POST /albums '{"albumName":"A"}') $(jq -c --arg al "$al" '{albumName, assetCount, new: (.id != $al)}' "$d/body")"
	echo "albums $(_js GET /albums) $(jq -c '[.[] | {albumName, assetCount}] | sort_by(.assetCount)' "$d/body")"
	# a Live Photo linked by hand, as mem-upload does when the export lost
	# Apple's ContentIdentifier
	echo "upload-video $(_up "$d/c.mov") $(jq -c '{status, id: (.id | test("^[0-9a-f-]{36}$"))}' "$d/body")"
	vid=$(jq -r .id "$d/body")
	_live() {
		jq -c --arg id "$id" --arg v "$vid" '{type, visibility, same: (.id == $id), video: (.livePhotoVideoId == $v)}' "$d/body"
	}
	echo "live-link $(_js PUT "/assets/$id" "{\"livePhotoVideoId\":\"$vid\"}") $(_live)"
	echo "live-still $(_js GET "/assets/$id") $(_live)"
	echo "live-video $(_js GET "/assets/$vid") $(jq -c --arg v "$vid" '{type, visibility, same: (.id == $v), livePhotoVideoId}' "$d/body")"
	echo "live-link-again $(_js PUT "/assets/$id" "{\"livePhotoVideoId\":\"$vid\"}") $(_live)"
	echo "error-unsupported $(_up "$d/not-media.txt") $(jq -c '.message' "$d/body")"
	echo "error-unknown-album $(_js PUT /albums/00000000-0000-4000-8000-000000000000/assets "{\"ids\":[\"$id\"]}") $(jq -c '.message' "$d/body")"
	echo "error-live-not-video $(_js PUT "/assets/$vid" "{\"livePhotoVideoId\":\"$id\"}") $(jq -c '.message' "$d/body")"
	echo "error-live-no-video $(_js PUT "/assets/$id" "{\"livePhotoVideoId\":\"$nobody\"}") $(jq -c '.message' "$d/body")"
	echo "error-live-not-owned $(_js PUT "/assets/$nobody" "{\"livePhotoVideoId\":\"$vid\"}") $(jq -c '.message' "$d/body")"
	printf 'x-api-key: not-a-key\n' > "$d/hdr"
	echo "error-bad-key $(_js GET /users/me) $(jq -c '.message' "$d/body")"
}
