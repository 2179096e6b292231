#!/usr/bin/env bats
# mem-upload against the Immich double (tests/helpers/immich-double.py),
# whose request log and state are the independent witness.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/immich

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
	cd "$BATS_TEST_TMPDIR" || return 1
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY IMMICH_UPLOAD_CONCURRENCY IMMICH_IGNORE_PATTERNS
}

teardown() {
	double_stop
}

# up ARGS: mem-upload with fast retries, stdout kept as a NUL file.
up() {
	mem-upload --retry-delay 0.05 "$@" > "$BATS_TEST_TMPDIR/stdout"
}

@test "new files are uploaded once each and printed in input order" {
	double_start
	make_jpegs "$OUT/a" 3
	run -0 up -o "$OUT" "$OUT/a/img2.jpg" "$OUT/a/img1.jpg" "$OUT/a/img3.jpg"
	nul_write expect "$OUT/a/img2.jpg" "$OUT/a/img1.jpg" "$OUT/a/img3.jpg"
	cmp expect stdout
	[ "$(state '.assets | length')" -eq 3 ]
	[ "$(requests POST /api/assets)" -eq 3 ]
	[ "$(requests POST /api/assets/bulk-upload-check)" -eq 1 ]
	assert_output --partial '3 uploaded'
	assert_output --partial '0 failed'
}

@test "the preflight asks the version, the user and the key's permissions once" {
	double_start
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" "$OUT/img1.jpg" "$OUT/img2.jpg"
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -r '.[] | .method + \" \" + .path' | head -5"
	assert_output "GET /.well-known/immich
GET /api/server/version
GET /api/users/me
GET /api/api-keys/me
GET /api/server/media-types"
}

@test "the multipart body has text fields first, UTC times with Z, and the exact name last" {
	double_start
	make_jpegs "$OUT" 1
	touch -d '2021-03-04 05:06:07.250 UTC' "$OUT/img1.jpg"
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -c '[.[] | select(.path == \"/api/assets\")][0] | .order, .fields'"
	assert_line --index 0 '["deviceAssetId","deviceId","fileCreatedAt","fileModifiedAt","isFavorite","assetData","filename"]'
	assert_line --index 1 --partial '"fileCreatedAt":"2021-03-04T05:06:07.250Z"'
	assert_line --index 1 --partial '"fileModifiedAt":"2021-03-04T05:06:07.250Z"'
	assert_line --index 1 --partial '"deviceAssetId":"img1.jpg-'
	assert_line --index 1 --partial '"isFavorite":"false"'
	refute_line --index 1 --partial 'duration'
}

@test "a record's capture instant, favorite and album reach the server" {
	double_start
	make_jpegs "$OUT/exp/photos" 1
	touch -d '2024-01-01 00:00:00 UTC' "$OUT/exp/photos/img1.jpg"
	write_record rec.item id=0123456789abcdef source=/in/x.jpg dest=exp/photos/img1.jpg \
		kind=image time=2023-01-15T08:30:45Z offset=+02:00 favorite=1 'album=Google Photos/john' 'album=Trip 2023'
	run -0 up -o "$OUT" rec.item
	nul_write expect "$OUT/exp/photos/img1.jpg"
	cmp expect stdout
	[ "$(state '.assets[0].fileCreatedAt')" = 2023-01-15T08:30:45.000Z ]
	[ "$(state '.assets[0].fileModifiedAt')" = 2024-01-01T00:00:00.000Z ]
	[ "$(state '.assets[0].isFavorite')" = true ]
	[ "$(state '[.albums[].name] | sort | join(",")')" = "Google Photos/john,Trip 2023" ]
	[ "$(state '[.albums[].assets | length] | add')" -eq 2 ]
	assert_output --partial 'albums: 2 created, 2 updated'
}

@test "a record's archive and locked visibility reach the server, none means the timeline" {
	double_start
	make_jpegs "$OUT/exp/photos" 3
	write_record a.item source=/in/a.jpg dest=exp/photos/img1.jpg kind=image visibility=archive favorite=1
	write_record l.item source=/in/l.jpg dest=exp/photos/img2.jpg kind=image visibility=locked
	write_record t.item source=/in/t.jpg dest=exp/photos/img3.jpg kind=image
	run -0 up -o "$OUT" a.item l.item t.item
	[ "$(state '[.assets[] | .visibility] | sort | join(",")')" = archive,locked,timeline ]
	[ "$(state '[.assets[] | select(.visibility == "archive") | .isFavorite] | join(",")')" = true ]
}

@test "a locked record goes into none of its albums: the real server keeps the Locked Folder out of albums" {
	double_start
	make_jpegs "$OUT/exp/photos" 2
	write_record l.item source=/in/l.jpg dest=exp/photos/img1.jpg kind=image visibility=locked album=Trip
	write_record t.item source=/in/t.jpg dest=exp/photos/img2.jpg kind=image album=Trip
	run -0 up -o "$OUT" l.item t.item
	[ "$(state '[.assets[] | .visibility] | sort | join(",")')" = locked,timeline ]
	[ "$(state '[.albums[] | select(.name == "Trip") | .assets | length] | join(",")')" = 1 ]
	assert_output --partial 'albums: 1 created, 1 updated'
}

@test "a record that names no album gets memoria's album for its platform and user" {
	double_start
	make_jpegs "$OUT/snap/memories" 1 s
	make_jpegs "$OUT/insta/public-media/stories" 1 i
	make_jpegs "$OUT/f" 1 f
	write_record s.item source=/in/s.jpg dest=snap/memories/s1.jpg platform=snapchat-memories user=john kind=image
	write_record i.item source=/in/i.jpg dest=insta/public-media/stories/i1.jpg platform=instagram user=jane kind=image
	write_record f.item source=/in/f.jpg dest=f/f1.jpg platform=folder user=x kind=image
	run -0 up -o "$OUT" s.item i.item f.item
	[ "$(state '[.albums[].name] | sort | join(",")')" = "Instagram/jane/stories,Snapchat/john/memories" ]
	[ "$(state '.assets | length')" -eq 3 ]
}

@test "upload-only over an existing OUT: every file once, the tools' own files skipped" {
	double_start
	make_jpegs "$OUT/exp/photos" 3
	mkdir -p "$OUT/.mem/items"
	write_record "$OUT/.mem/items/0000000000000001.item" source=/in/1.jpg dest=exp/photos/img1.jpg kind=image album=A
	run -0 up -o "$OUT" "$OUT/exp/photos/img2.jpg"
	run -0 bash -c "find '$OUT' -type f -print0 | sort -z | mem-upload -o '$OUT' > out.nul"
	assert_output --partial '0 failed'
	[ "$(state '.assets | length')" -eq 3 ]
	[ "$(requests POST /api/assets)" -eq 3 ]
	[ "$(state '.albums[0].assets | length')" -eq 1 ]
	[ "$(nul_list out.nul | grep -c '/exp/photos/')" -eq 3 ]
}

@test "find OUT -type f: a record and the file it names are one asset, counted and printed once, with the record's time" {
	double_start
	make_jpegs "$OUT/exp/photos" 2
	mkdir -p "$OUT/.mem/items"
	write_record "$OUT/.mem/items/0000000000000001.item" source=/in/1.jpg dest=exp/photos/img1.jpg \
		kind=image album=A time=2019-07-08T09:10:11Z favorite=1
	write_record "$OUT/.mem/items/0000000000000002.item" source=/in/2.jpg dest=exp/photos/img2.jpg \
		kind=image album=B time=2020-01-02T03:04:05Z
	# both orders: the record before its file (sort) and after it (reverse sort)
	for order in -z -zr; do
		double_stop
		double_start
		rm -f "$OUT/.mem/upload.ledger"
		run -0 bash -c "find '$OUT' -type f -print0 | sort $order | mem-upload -o '$OUT' > out.nul"
		assert_output --partial '2 uploaded'
		assert_output --partial '0 duplicates'
		assert_output --partial '0 failed'
		[ "$(requests POST /api/assets)" -eq 2 ]
		nul_list out.nul | sort > got
		printf '%s\n' "$OUT/exp/photos/img1.jpg" "$OUT/exp/photos/img2.jpg" > want
		diff want got
		[ "$(state '[.albums[] | .name + "=" + (.assets | length | tostring)] | sort | join(",")')" = "A=1,B=1" ]
		run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -r '[.[] | select(.path == \"/api/assets\") | .fields | .fileCreatedAt + \" \" + .isFavorite] | sort | join(\",\")'"
		assert_output "2019-07-08T09:10:11.000Z true,2020-01-02T03:04:05.000Z false"
	done
}

@test "files under .mem/ are never uploaded: relative or absolute, operands or stdin, with or without -o" {
	double_start
	make_jpegs "$OUT/exp" 1
	mkdir -p "$OUT/.mem/log"
	make_jpeg "$OUT/.mem/log/looks-like-media.jpg"
	printf 'x\n' > "$OUT/.mem/upload.ledger.txt"
	cd "$OUT"
	run -0 mem-upload --retry-delay 0.05 -- .mem/log/looks-like-media.jpg "$OUT/.mem/log/looks-like-media.jpg" \
		"$OUT/.mem/upload.ledger.txt" ./exp/img1.jpg
	assert_output --partial '1 uploaded'
	assert_output --partial '3 ignored'
	run -0 bash -c "find . '$OUT' -type f -print0 | mem-upload --retry-delay 0.05 > '$BATS_TEST_TMPDIR/all.nul'"
	assert_output --partial '0 failed'
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c "find '$OUT' -type f -print0 | mem-upload -o '$OUT' > all.nul"
	assert_output --partial '0 failed'
	run -0 bash -c "cd '$BATS_TEST_TMPDIR' && find out -type f -print0 | mem-upload -o out > all.nul"
	assert_output --partial '0 failed'
	run -0 bash -c "find out -type f -print0 | mem-upload > all.nul"
	assert_output --partial '0 failed'
	# from a folder beside OUT, absolute paths, no -o: OUT is nowhere above
	mkdir elsewhere
	n=$(find "$OUT/.mem" -type f | wc -l)
	[ "$n" -ge 2 ]
	run -0 bash -c "cd elsewhere && find '$OUT' -type f -print0 | mem-upload --retry-delay 0.05 > ../far.nul"
	assert_output --partial "$n ignored"
	assert_output --partial '0 failed'
	nul_write expect "$OUT/exp/img1.jpg"
	cmp expect far.nul
	[ "$(state '.assets | length')" -eq 1 ]
	[ "$(requests POST /api/assets)" -eq 1 ]
	nul_write expect out/exp/img1.jpg
	cmp expect all.nul
}

@test "the v2 profile gets deviceAssetId and deviceId and accepts the upload" {
	double_start --profile v2
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" -A Holiday "$OUT/img1.jpg" "$OUT/img2.jpg"
	[ "$(state '.assets | length')" -eq 2 ]
	[ "$(state '[.assets[].deviceAssetId] | sort | join(",")')" = "img1.jpg-$(stat -c %s "$OUT/img1.jpg"),img2.jpg-$(stat -c %s "$OUT/img2.jpg")" ]
	[ "$(state '.albums | length')" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 2 ]
	# v2 lists every owned album: no name filter in the query
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -r '.[] | select(.path == \"/api/albums\" and .method == \"GET\") | .query'"
	assert_output ''
}

@test "a rerun with nothing new makes no request at all and prints every path" {
	double_start
	make_jpegs "$OUT" 3
	run -0 up -o "$OUT" -A Keep "$OUT"/img*.jpg
	cp stdout first
	double_get log | jq length > before
	run -0 up -o "$OUT" -A Keep "$OUT"/img*.jpg
	cmp first stdout
	[ "$(double_get log | jq length)" -eq "$(cat before)" ]
	assert_output --partial '3 unchanged (ledger)'
}

@test "deleting the ledger costs only a rehash: the server's check prevents a second upload" {
	double_start
	make_jpegs "$OUT" 3
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	rm "$OUT/.mem/upload.ledger"
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	[ "$(requests POST /api/assets)" -eq 3 ]
	[ "$(requests POST /api/assets/bulk-upload-check)" -eq 2 ]
	[ "$(state '.assets | length')" -eq 3 ]
	assert_output --partial '3 duplicates'
	[ -s "$OUT/.mem/upload.ledger" ]
}

@test "a file changed since the ledger entry is hashed and uploaded again" {
	double_start
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	printf 'edit' >> "$OUT/img1.jpg"
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	[ "$(state '.assets | length')" -eq 3 ]
	assert_output --partial '1 uploaded'
	assert_output --partial '1 unchanged (ledger)'
}

@test "an asset deleted on the server since the ledger entry is named, with the way out" {
	double_start
	make_jpegs "$OUT" 1
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	double_stop
	double_start
	# a new server behind the same URL and key: the ledger is stale
	sed -i "s|127.0.0.1:[0-9]*#|127.0.0.1:$DOUBLE_PORT#|" "$OUT/.mem/upload.ledger"
	run -1 up -o "$OUT" -A New "$OUT/img1.jpg"
	assert_output --partial 'which the server no longer has (run with --recheck'
	run -0 up -o "$OUT" -A New --recheck "$OUT/img1.jpg"
	[ "$(state '.albums[0].assets | length')" -eq 1 ]
}

@test "--recheck ignores the ledger and asks the server again" {
	double_start
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	run -0 up -o "$OUT" --recheck "$OUT"/img*.jpg
	[ "$(requests POST /api/assets/bulk-upload-check)" -eq 2 ]
	[ "$(requests POST /api/assets)" -eq 2 ]
	assert_output --partial '2 duplicates'
}

@test "the ledger of one server or key is not trusted for another" {
	double_start
	make_jpegs "$OUT" 1
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	double_stop
	double_start
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "the same bytes under two names become one asset" {
	double_start
	make_jpegs "$OUT" 1
	cp "$OUT/img1.jpg" "$OUT/copy.jpg"
	run -0 up -o "$OUT" "$OUT/img1.jpg" "$OUT/copy.jpg"
	[ "$(state '.assets | length')" -eq 1 ]
	nul_write expect "$OUT/img1.jpg" "$OUT/copy.jpg"
	cmp expect stdout
}

@test "a file named twice is sent once and printed twice" {
	double_start
	make_jpegs "$OUT" 1
	run -0 up -o "$OUT" "$OUT/img1.jpg" "$OUT/./img1.jpg"
	[ "$(requests POST /api/assets)" -eq 1 ]
	nul_write expect "$OUT/img1.jpg" "$OUT/./img1.jpg"
	cmp expect stdout
}

@test "an existing album of the user is reused and never created twice" {
	double_start
	make_jpegs "$OUT" 4
	run -0 up -o "$OUT" -A Same "$OUT/img1.jpg" "$OUT/img2.jpg"
	run -0 up -o "$OUT" -A Same "$OUT/img3.jpg" "$OUT/img4.jpg"
	[ "$(state '.albums | length')" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 4 ]
	[ "$(requests POST /api/albums)" -eq 1 ]
	assert_output --partial 'albums: 0 created, 1 updated'
}

@test "files already in the album count as success" {
	double_start
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" -A Dup "$OUT"/img*.jpg
	rm "$OUT/.mem/upload.ledger"
	run -0 up -o "$OUT" -A Dup "$OUT"/img*.jpg
	[ "$(requests PUT "/api/albums/$(state '.albums[0].id')/assets")" -eq 2 ]
	[ "$(state '.albums[0].assets | length')" -eq 2 ]
	assert_output --partial '0 failed'
}

@test "another user's album of the same name is not used (v3 lists shared albums)" {
	double_start --key k=alice:all --key b=bob:all
	make_jpegs "$OUT" 1
	make_jpegs other 1 bob
	run -0 env IMMICH_API_KEY=b mem-upload -o "$OUT" --ledger bob.ledger -A Shared other/bob1.jpg
	run -0 up -o "$OUT" -A Shared "$OUT/img1.jpg"
	[ "$(state '.albums | length')" -eq 2 ]
	[ "$(state '[.albums[] | select(.owner == "alice")][0].assets | length')" -eq 1 ]
	[ "$(state '[.albums[] | select(.owner == "bob")][0].assets | length')" -eq 1 ]
}

@test "a new album added to files known to the ledger costs no upload" {
	double_start
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	run -0 up -o "$OUT" -A Later "$OUT"/img*.jpg
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(requests POST /api/assets/bulk-upload-check)" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 2 ]
}

@test "--album replaces the records' albums and --no-album uploads without any" {
	double_start
	make_jpegs "$OUT/e" 2
	write_record r1.item source=/in/1.jpg dest=e/img1.jpg kind=image album=FromRecord
	write_record r2.item source=/in/2.jpg dest=e/img2.jpg kind=image album=FromRecord
	run -0 up -o "$OUT" -A Chosen r1.item
	run -0 up -o "$OUT" --no-album r2.item
	[ "$(state '[.albums[].name] | join(",")')" = Chosen ]
	[ "$(state '.assets | length')" -eq 2 ]
	run -2 mem-upload -o "$OUT" --no-album -A X r1.item
}

@test "audio is skipped with a count, never a failure" {
	double_start
	make_jpegs "$OUT" 1
	make_audio "$OUT/voice.m4a"
	write_record a.item source=/in/v.m4a dest=voice.m4a kind=audio
	run -0 up -o "$OUT" "$OUT/img1.jpg" "$OUT/voice.m4a" a.item
	nul_write expect "$OUT/img1.jpg"
	cmp expect stdout
	assert_output --partial '2 skipped (audio)'
	[ "$(requests POST /api/assets)" -eq 1 ]
}

@test "memoria's default ignores skip issues/ and *matching/ folders" {
	double_start
	make_jpegs "$OUT/exp/photos" 1
	make_jpegs "$OUT/exp/issues" 1 bad
	make_jpegs "$OUT/exp/messages/needs_matching" 1 nm
	run -0 up -o "$OUT" "$OUT/exp/photos/img1.jpg" "$OUT/exp/issues/bad1.jpg" \
		"$OUT/exp/messages/needs_matching/nm1.jpg"
	nul_write expect "$OUT/exp/photos/img1.jpg"
	cmp expect stdout
	assert_output --partial '2 ignored'
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "--ignore and IMMICH_IGNORE_PATTERNS replace the defaults" {
	double_start
	make_jpegs "$OUT/issues" 1 keep
	make_jpegs "$OUT/x" 2
	run -0 up -o "$OUT" -i 'img1.jpg' "$OUT/issues/keep1.jpg" "$OUT"/x/img*.jpg
	nul_write expect "$OUT/issues/keep1.jpg" "$OUT/x/img2.jpg"
	cmp expect stdout
	rm -r "$OUT/.mem"
	run -0 env IMMICH_IGNORE_PATTERNS=' x/**, nothing ' mem-upload -o "$OUT" "$OUT/issues/keep1.jpg" "$OUT"/x/img*.jpg
	assert_output --partial '2 ignored'
}

@test "an XMP sidecar goes along as sidecarData after the file" {
	double_start
	make_jpegs "$OUT" 1
	printf '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>' > "$OUT/img1.xmp"
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	[ "$(state '.assets[0].sidecar')" = true ]
	[ "$(state '.assets[0].sidecarSha1')" = "$(sha1sum < "$OUT/img1.xmp" | cut -d' ' -f1)" ]
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -c '[.[] | select(.path == \"/api/assets\")][0].order'"
	assert_output '["deviceAssetId","deviceId","fileCreatedAt","fileModifiedAt","isFavorite","assetData","sidecarData","filename"]'
}

@test "names with quotes, newlines, dollars, percent, a leading dash and byte 377 keep their exact name" {
	double_start
	make_jpegs "$OUT" 1
	name=$(printf -- '-we"ird\n$x %%41 #:\377.jpg')
	mv "$OUT/img1.jpg" "$OUT/$name"
	run -0 up -o "$OUT" -- "$OUT/$name"
	nul_write expect "$OUT/$name"
	cmp expect stdout
	# the server decodes invalid UTF-8 as U+FFFD, like Node does
	[ "$(state '.assets[0].originalFileName')" = "$(printf -- '-we"ird\n$x %%41 #:\357\277\275.jpg')" ]
	printf '%s\0' "$OUT/$name" | up -o "$OUT"
	cmp expect stdout
}

@test "500s are retried with backoff until the upload succeeds" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":500,"count":2}]'
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	[ "$(requests POST /api/assets)" -eq 3 ]
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "429 waits for Retry-After before the next attempt" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":429,"count":1,"retry_after":1}]'
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq '[.[] | select(.path == \"/api/assets\") | .time] | .[1] - .[0] >= 1'"
	assert_output true
}

@test "retries are bounded: a server that keeps failing fails the file with exit 1" {
	double_start
	make_jpegs "$OUT" 2
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":503,"count":100}]'
	run -1 up -o "$OUT" --retries 2 "$OUT/img1.jpg"
	assert_output --partial "img1.jpg: HTTP 503"
	assert_output --partial "(after 3 attempts)"
	[ "$(requests POST /api/assets)" -eq 3 ]
	[ ! -s stdout ]
}

@test "400 is never retried and the other files go on" {
	double_start
	make_jpegs "$OUT" 2
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":400,"count":1}]'
	run -1 up -o "$OUT" -c 1 "$OUT/img1.jpg" "$OUT/img2.jpg"
	assert_output --partial 'img1.jpg: HTTP 400: injected fault'
	[ "$(requests POST /api/assets)" -eq 2 ]
	nul_write expect "$OUT/img2.jpg"
	cmp expect stdout
}

@test "413 from a proxy is not retried" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":413,"count":5}]'
	run -1 up -o "$OUT" "$OUT/img1.jpg"
	[ "$(requests POST /api/assets)" -eq 1 ]
}

@test "a connection reset mid-body is retried and leaves no duplicate" {
	double_start
	head -c 300000 /dev/urandom > "$OUT/big.jpg"
	double_post faults '[{"match":"POST /api/assets","kind":"reset","count":1}]'
	run -0 up -o "$OUT" "$OUT/big.jpg"
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(state '.assets | length')" -eq 1 ]
	[ "$(state '.assets[0].size')" -eq 300000 ]
}

@test "a hung server is given up on after --timeout and the retry succeeds" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"POST /api/assets","kind":"hang","count":1}]'
	run -0 up -o "$OUT" --timeout 1 "$OUT/img1.jpg"
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "a slow answer is waited for, not cut off" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"POST /api/assets","kind":"slow","seconds":1.5,"count":1}]'
	run -0 up -o "$OUT" --timeout 1 "$OUT/img1.jpg"
	[ "$(requests POST /api/assets)" -eq 1 ]
}

@test "the server's early duplicate answer before the body is a success" {
	double_start --checksum-early
	head -c 2000000 /dev/urandom > "$OUT/big.jpg"
	head -c 3000 /dev/urandom > "$OUT/small.jpg"
	run -0 up -o "$OUT" "$OUT/big.jpg" "$OUT/small.jpg"
	cp "$OUT/big.jpg" "$OUT/big2.jpg"
	cp "$OUT/small.jpg" "$OUT/small2.jpg"
	# another client uploaded them between the check and the upload
	double_post config '{"stale_check": true}'
	run -0 up -o "$OUT" "$OUT/big2.jpg" "$OUT/small2.jpg"
	assert_output --partial '2 duplicates'
	[ "$(double_get log | jq '[.[] | select(.early)] | length')" -eq 2 ]
	[ "$(requests POST /api/assets)" -eq 4 ]
	[ "$(state '.assets | length')" -eq 2 ]
}

@test "a refused key stops the run with exit 2 before any upload, and the key is never shown" {
	double_start
	make_jpegs "$OUT" 1
	run -2 env IMMICH_API_KEY=sekret-value mem-upload -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'the API key was refused (HTTP 401: Invalid API key)'
	refute_output --partial sekret-value
	[ "$(requests POST /api/assets)" -eq 0 ]
	[ ! -e "$OUT/.mem/upload.ledger" ]
}

@test "a key without asset.upload is named as the missing permission, exit 2" {
	double_start --key k=alice:user.read,album.read
	make_jpegs "$OUT" 1
	run -2 mem-upload -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'lacks the permission asset.upload'
	[ "$(requests POST /api/assets)" -eq 0 ]
}

@test "a key without user.read is refused with the server's 403 message" {
	double_start --key k=alice:asset.upload
	make_jpegs "$OUT" 1
	run -2 mem-upload -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'Missing required permission: user.read'
}

@test "album permissions are checked only when albums are wanted" {
	double_start --key k=alice:user.read,asset.upload
	make_jpegs "$OUT" 2
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	run -2 mem-upload -o "$OUT" -A X "$OUT/img2.jpg"
	assert_output --partial 'lacks the permission album.read'
}

@test "an unreachable server is fatal (exit 2)" {
	make_jpegs "$OUT" 1
	export IMMICH_API_KEY=k
	run -2 mem-upload -o "$OUT" --retries 1 --retry-delay 0 -u http://127.0.0.1:9 "$OUT/img1.jpg"
	assert_output --partial 'http://127.0.0.1:9: server unreachable'
}

@test "redirects are refused, not followed" {
	double_start
	make_jpegs "$OUT" 1
	double_post faults '[{"match":"GET /.well-known/immich","kind":"redirect","status":308,"count":1}]'
	run -2 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'redirected to http://127.0.0.1:9/api (not followed'
	[ "$(double_get log | jq length)" -eq 1 ]
}

@test "TLS is verified: a self-signed server is refused unless --insecure" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null
	double_start --tls-cert cert.pem --tls-key key.pem
	make_jpegs "$OUT" 1
	run -2 up -o "$OUT" --retries 0 -u "https://127.0.0.1:$DOUBLE_PORT" "$OUT/img1.jpg"
	assert_output --partial 'server unreachable: SSL certificate problem'
	run -0 up -o "$OUT" --insecure -u "https://127.0.0.1:$DOUBLE_PORT" "$OUT/img1.jpg"
	[ "$(curl -sfk "https://127.0.0.1:$DOUBLE_PORT/__double/state" | jq '.assets | length')" -eq 1 ]
}

@test "the URL works with or without /api and a trailing slash" {
	double_start
	make_jpegs "$OUT" 3
	run -0 up -o "$OUT" -u "$DOUBLE_URL/api" "$OUT/img1.jpg"
	run -0 up -o "$OUT" -u "$DOUBLE_URL/" "$OUT/img2.jpg"
	run -0 up -o "$OUT" -u "$DOUBLE_URL/api/" "$OUT/img3.jpg"
	[ "$(state '.assets | length')" -eq 3 ]
}

@test "settings come from flags, then the environment, then .env" {
	double_start
	make_jpegs "$OUT" 3
	url=$IMMICH_INSTANCE_URL
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY
	printf '# comment\nexport IMMICH_INSTANCE_URL="%s"\nIMMICH_API_KEY = '\''k'\''\n' "$url" > .env
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	run -2 env IMMICH_API_KEY=wrong mem-upload -o "$OUT" "$OUT/img2.jpg"
	printf 'k\n' > keyfile
	run -0 env IMMICH_API_KEY=wrong mem-upload -o "$OUT" --key-file keyfile "$OUT/img2.jpg"
	run -2 env IMMICH_INSTANCE_URL=http://127.0.0.1:9 mem-upload --retries 0 -o "$OUT" "$OUT/img3.jpg"
	run -0 env IMMICH_INSTANCE_URL=http://127.0.0.1:9 mem-upload -u "$url" -o "$OUT" "$OUT/img3.jpg"
	rm .env
	run -2 mem-upload -o "$OUT" --env-file missing.env "$OUT/img3.jpg"
	[ "$(state '.assets | length')" -eq 3 ]
}

@test "the key is never an argument, and a malformed URL or key is a usage error" {
	run -2 mem-upload --key k -u http://127.0.0.1:9 </dev/null
	run -2 env IMMICH_API_KEY=k mem-upload -u ftp://host/ </dev/null
	assert_output --partial 'not an http:// or https:// server URL'
	run -2 env IMMICH_API_KEY="$(printf 'k\r\nX-Evil: 1')" mem-upload -u http://127.0.0.1:9 </dev/null
	refute_output --partial Evil
	run -2 env IMMICH_API_KEY=k mem-upload </dev/null
	assert_output --partial 'no server'
}

@test "numbers are range-checked, from flags and from the environment" {
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	run -2 mem-upload -c 0 </dev/null
	run -2 mem-upload --concurrency 65 </dev/null
	run -2 env IMMICH_UPLOAD_CONCURRENCY=four mem-upload </dev/null
	assert_output --partial 'IMMICH_UPLOAD_CONCURRENCY four'
	run -2 mem-upload --retries -1 </dev/null
	run -2 mem-upload --timeout 0 </dev/null
}

@test "--concurrency bounds the uploads in flight, and more than one runs at once" {
	double_start --latency 0.3
	make_jpegs "$OUT" 8
	run -0 up -o "$OUT" -c 3 "$OUT"/img*.jpg
	# the most uploads that overlapped in time, from the double's log
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq '[.[] | select(.path == \"/api/assets\")] as \$u |
		[\$u[] | .time as \$t | [\$u[] | select(.time <= \$t and .end > \$t)] | length] | max'"
	[ "$output" -le 3 ]
	[ "$output" -ge 2 ]
}

@test "two runs at once queue on the lock: the second waits, says so once, then goes" {
	double_start --latency 0.2
	make_jpegs "$OUT/a" 4 a
	make_jpegs "$OUT/b" 4 b
	mem-upload -o "$OUT" -c 1 -A A "$OUT"/a/*.jpg > a.out 2> a.err 3>&- &
	first=$!
	for i in $(seq 100); do
		[ "$(requests POST /api/assets)" -ge 1 ] && break
		sleep 0.05
	done
	run -0 mem-upload -o "$OUT" -c 1 -A B "$OUT"/b/*.jpg
	wait "$first"
	[ "$(grep -c 'waiting for' <<< "$output")" -eq 1 ]
	assert_output --partial "waiting for $OUT/.mem/upload.lock"
	# every request of the first run ends before the second run's first one
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -r '.[] | select(.path == \"/api/assets\") | .files.assetData.filename' | tr -d '0-9.jpg' | uniq | tr -d '\n'"
	assert_output ab
	[ "$(state '.albums | length')" -eq 2 ]
}

@test "a killed run resumes without a duplicate asset" {
	double_start --latency 0.2
	make_jpegs "$OUT" 10
	mem-upload -o "$OUT" -c 2 "$OUT"/img*.jpg > /dev/null 2>&1 3>&- &
	pid=$!
	for i in $(seq 200); do
		[ "$(state '.assets | length')" -ge 4 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	before=$(state '.assets | length')
	[ "$before" -lt 10 ]
	run -0 up -o "$OUT" "$OUT"/img*.jpg
	[ "$(state '.assets | length')" -eq 10 ]
	[ "$(state '[.assets[].checksum] | unique | length')" -eq 10 ]
	[ "$(nul_list stdout | wc -l)" -eq 10 ]
}

@test "a duplicate in the trash is reported, and --restore-trashed brings it back" {
	double_start
	make_jpegs "$OUT" 1
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	double_post trash "{\"checksum\":\"$(sha1sum < "$OUT/img1.jpg" | cut -d' ' -f1)\"}"
	rm -r "$OUT/.mem"
	# only in the trash: not in the library, so it failed (exit 1, not
	# printed, not in the ledger: every run says so until it is restored)
	run -1 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'img1.jpg: on the server, but in its trash'
	[ ! -s stdout ]
	run -1 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial 'img1.jpg: on the server, but in its trash'
	run -0 up -o "$OUT" --restore-trashed "$OUT/img1.jpg"
	[ "$(state '.assets[0].trashed')" = false ]
	nul_write expect "$OUT/img1.jpg"
	cmp expect stdout
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial '1 unchanged (ledger)'
}

@test "a file the server cannot take, or a missing one, fails alone with exit 1" {
	double_start
	make_jpegs "$OUT" 1
	echo text > "$OUT/notes.txt"
	run -1 up -o "$OUT" "$OUT/notes.txt" "$OUT/missing.jpg" "$OUT/img1.jpg"
	assert_output --partial "notes.txt: not a type this Immich server accepts"
	assert_output --partial "missing.jpg: No such file or directory"
	nul_write expect "$OUT/img1.jpg"
	cmp expect stdout
	[ "$(requests POST /api/assets)" -eq 1 ]
}

@test "records from stdin, an empty record and a record without dest" {
	double_start
	make_jpegs "$OUT/e" 1
	write_record r1.item source=/in/1.jpg dest=e/img1.jpg kind=image
	write_record r2.item source=/in/2.jpg kind=image
	run -1 bash -c "printf 'r1.item\0\0r2.item' | mem-upload -o '$OUT' > out.nul"
	assert_output --partial '-:2: empty path'
	assert_output --partial 'r2.item: the record has no dest'
	nul_write expect "$OUT/e/img1.jpg"
	cmp expect out.nul
}

@test "--dry-run asks nobody, writes nothing and prints what a run would" {
	make_jpegs "$OUT" 2
	make_audio "$OUT/a.m4a"
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	run -0 up -n -o "$OUT" "$OUT/img1.jpg" "$OUT/a.m4a" "$OUT/img2.jpg"
	nul_write expect "$OUT/img1.jpg" "$OUT/img2.jpg"
	cmp expect stdout
	assert_output --partial 'dry run: would upload 2 files'
	[ ! -e "$OUT/.mem" ]
}

@test "empty input needs no server, no lock and prints nothing" {
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	run -0 up -o "$OUT" < /dev/null
	[ ! -s stdout ]
	[ ! -e "$OUT/.mem" ]
}

@test "OUT must be a directory for a real run" {
	export IMMICH_INSTANCE_URL=http://127.0.0.1:9 IMMICH_API_KEY=k
	run -2 mem-upload -o "$BATS_TEST_TMPDIR/nope" < /dev/null
	touch file
	run -2 mem-upload -o file < /dev/null
}

@test "an unwritable stdout is fatal after a successful upload" {
	double_start
	make_jpegs "$OUT" 1
	run -2 bash -c "mem-upload -o '$OUT' '$OUT/img1.jpg' > /dev/full"
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "progress is drawn only on a terminal; the summary always" {
	double_start
	make_jpegs "$OUT" 4
	run -0 up -o "$OUT" "$OUT"/img1.jpg "$OUT"/img2.jpg
	refute_output --partial $'\r'
	assert_output --partial '2 uploaded'
	# on a terminal (script(1) gives one): files, bytes, rate and ETA
	run -0 script -qec "mem-upload -o '$OUT' '$OUT/img3.jpg' '$OUT/img4.jpg' > /dev/null" /dev/null
	assert_output --regexp $'\rmem-upload: 2/2 files, [0-9.]+/[0-9.]+ MB, [0-9.]+ MB/s, ETA [0-9]+:[0-9]{2}'
	assert_output --partial '2 uploaded'
}

@test "a FIFO named as an input fails alone instead of hanging the run" {
	double_start
	make_jpegs "$OUT" 1
	mkfifo "$OUT/fifo.jpg"
	run -1 timeout 30 bash -c 'mem-upload --retry-delay 0.05 -o "$1" "$1/fifo.jpg" "$1/img1.jpg" > stdout' _ "$OUT"
	assert_output --partial "fifo.jpg: not a regular file"
	nul_write expect "$OUT/img1.jpg"
	cmp expect stdout
}

@test "a record whose dest would leave OUT is refused and that file is not sent" {
	double_start
	make_jpegs "$OUT" 1
	make_jpegs "$BATS_TEST_TMPDIR/outside" 1 secret
	write_record bad.item source=/in/1.jpg dest=../outside/secret1.jpg kind=image
	write_record abs.item source=/in/1.jpg "dest=$BATS_TEST_TMPDIR/outside/secret1.jpg" kind=image
	run -1 up -o "$OUT" bad.item abs.item "$OUT/img1.jpg"
	assert_output --partial 'bad.item: the record has a bad dest (absolute, or leaving OUT)'
	assert_output --partial 'abs.item: the record has a bad dest (absolute, or leaving OUT)'
	nul_write expect "$OUT/img1.jpg"
	cmp expect stdout
	[ "$(requests POST /api/assets)" -eq 1 ]
}

@test "a password in the server URL is never printed nor written to the ledger" {
	double_start
	make_jpegs "$OUT" 1
	url="http://jo:hunter2@127.0.0.1:$DOUBLE_PORT"
	run -0 up -o "$OUT" -u "$url" "$OUT/img1.jpg"
	refute_output --partial hunter2
	[ -s "$OUT/.mem/upload.ledger" ]
	run -1 grep -c hunter2 "$OUT/.mem/upload.ledger"
	run -2 env IMMICH_API_KEY=wrong mem-upload -o "$OUT" --recheck -u "$url" "$OUT/img1.jpg"
	assert_output --partial "http://***@127.0.0.1:$DOUBLE_PORT: the API key was refused"
	refute_output --partial hunter2
}

@test "a record whose output file is missing is named first, then that file" {
	double_start
	write_record r.item source=/in/1.jpg dest=e/gone.jpg kind=image
	run -1 up -o "$OUT" r.item
	assert_output --partial "mem-upload: r.item: $OUT/e/gone.jpg: No such file or directory"
	[ ! -s stdout ]
}

# -- hostile conditions (issue 18) ---------------------------------------------------

@test "a changed output whose size and mtime were kept is uploaded again (the ledger holds the ctime)" {
	double_start
	make_jpegs "$OUT" 1
	touch -d '2020-02-02 02:02:02 UTC' "$OUT/img1.jpg"
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	# a caption edited in place: same length, the capture time put back
	sleep 0.02
	printf 'X' | dd of="$OUT/img1.jpg" bs=1 seek=$(($(stat -c %s "$OUT/img1.jpg") - 1)) conv=notrunc status=none
	touch -d '2020-02-02 02:02:02 UTC' "$OUT/img1.jpg"
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial '1 uploaded'
	[ "$(state '.assets | length')" -eq 2 ]
	[ "$(state '.assets[1].checksum')" = "$(sha1sum < "$OUT/img1.jpg" | cut -d' ' -f1)" ]
}

@test "a 201 with an empty asset id is not confirmed: retried, and failed when it persists" {
	double_start
	make_jpegs "$OUT" 2
	double_post faults '[{"match":"POST /api/assets","kind":"empty_id","count":1}]'
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(state '.assets | length')" -eq 1 ]
	run -0 grep -c "	$(state '.assets[0].id')	$OUT/img1.jpg" "$OUT/.mem/upload.ledger"
	double_post faults '[{"match":"POST /api/assets","kind":"empty_id","count":99}]'
	run -1 up -o "$OUT" --retries 2 "$OUT/img2.jpg"
	assert_output --partial 'img2.jpg: HTTP 201: unexpected answer: {"id": "", "status": "created"} (after 3 attempts)'
	[ ! -s stdout ]
	run -1 grep -c "img2.jpg" "$OUT/.mem/upload.ledger"
}

@test "a bulk check that repeats an accept row uploads the file once" {
	double_start
	make_jpegs "$OUT" 2
	double_post config '{"duplicate_accept": true}'
	run -0 up -o "$OUT" "$OUT/img1.jpg" "$OUT/img2.jpg"
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(double_get log | jq '[.[] | select(.path == "/api/assets") | .files.assetData.sha1] | unique | length')" -eq 2 ]
	assert_output --partial '2 uploaded'
}

@test "identical outputs at different paths are sent once, both printed and in the ledger" {
	double_start
	make_jpegs "$OUT/a" 1
	mkdir -p "$OUT/b"
	cp "$OUT/a/img1.jpg" "$OUT/b/same.jpg"
	run -0 up -o "$OUT" "$OUT/a/img1.jpg" "$OUT/b/same.jpg"
	[ "$(requests POST /api/assets)" -eq 1 ]
	[ "$(state '.assets | length')" -eq 1 ]
	nul_write expect "$OUT/a/img1.jpg" "$OUT/b/same.jpg"
	cmp expect stdout
	assert_output --partial '1 uploaded'
	assert_output --partial '1 duplicate,'
	run -0 up -o "$OUT" "$OUT/a/img1.jpg" "$OUT/b/same.jpg"
	assert_output --partial '2 unchanged (ledger)'
}

@test "a file whose album step failed is still printed, with exit 1 and the reason" {
	double_start
	make_jpegs "$OUT" 2
	double_post faults '[{"match":"PUT /api/albums/*","kind":"status","status":400,"message":"album locked","count":9}]'
	run -1 up -o "$OUT" -A Trip "$OUT/img1.jpg" "$OUT/img2.jpg"
	assert_output --partial "$OUT/img1.jpg: on the server, but not in album \"Trip\": HTTP 400: album locked"
	nul_write expect "$OUT/img1.jpg" "$OUT/img2.jpg"
	cmp expect stdout
	[ "$(state '.assets | length')" -eq 2 ]
}

@test "a non-UTF-8 album name is read as CP1252 once, and later runs neither fail nor warn" {
	double_start
	make_jpegs "$OUT/exp" 1
	write_record rec.item id=0123456789abcdef source=/in/x.jpg dest=exp/img1.jpg kind=image \
		$'album=Caf\xe9 \x80 2009'
	run -0 up -o "$OUT" rec.item
	assert_output --partial 'not valid UTF-8; named "Café € 2009" (its bytes read as CP1252)'
	[ "$(state '[.albums[].name] | join(",")')" = "Café € 2009" ]
	[ "$(state '.albums[0].assets | length')" -eq 1 ]
	run -0 up -o "$OUT" rec.item
	refute_output --partial 'UTF-8'
	assert_output --partial '1 unchanged (ledger)'
}

@test "/.well-known/immich is followed only to the same host and never from https to http" {
	double_start
	make_jpegs "$OUT" 1
	# another server (the same machine by another name) that would read the key
	pf=$BATS_TEST_TMPDIR/other.port
	python3 "$DOUBLE" --port-file "$pf" --lifetime 120 3>&- &
	other=$!
	for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	double_post config "{\"well_known\": \"http://localhost:$(cat "$pf")/api\"}"
	run -0 up -o "$OUT" "$OUT/img1.jpg"
	assert_output --partial "/.well-known/immich points to http://localhost, another host: not followed"
	[ "$(state '.assets | length')" -eq 1 ]
	[ "$(curl -sf "http://127.0.0.1:$(cat "$pf")/__double/log" | jq length)" -eq 0 ]
	kill "$other"
	wait "$other" || true
	# the same host, its own port: followed
	double_post config "{\"well_known\": \"http://127.0.0.1:$DOUBLE_PORT/api\"}"
	run -0 up -o "$OUT" --recheck "$OUT/img1.jpg"
	refute_output --partial 'not followed'
	double_stop
	# https down to http on the same host: not followed
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	double_start --tls-cert cert.pem --tls-key key.pem
	curl -sfk -X POST -H 'Content-Type: application/json' \
		--data '{"well_known": "http://127.0.0.1:9/api"}' "https://127.0.0.1:$DOUBLE_PORT/__double/config" > /dev/null
	run -0 up -o "$OUT" --insecure -u "https://127.0.0.1:$DOUBLE_PORT" --recheck "$OUT/img1.jpg"
	assert_output --partial "/.well-known/immich points to http://127.0.0.1, a weaker scheme: not followed"
	[ "$(curl -sfk "https://127.0.0.1:$DOUBLE_PORT/__double/state" | jq '.assets | length')" -eq 1 ]
}

# live_pair: a still and its video under OUT/exp, their records where
# mem-scan puts them (the still's names the video's id).
live_pair() {
	make_jpegs "$OUT/exp" 1
	make_video "$OUT/exp/img1.mov"
	mkdir -p "$OUT/.mem/items"
	STILL=$OUT/.mem/items/00000000000000a1.item
	VIDEO=$OUT/.mem/items/00000000000000b2.item
	write_record "$STILL" id=00000000000000a1 source=/in/IMG_1.JPG dest=exp/img1.jpg kind=image \
		live_video=00000000000000b2 time=2023-01-15T08:30:45Z album=Trip
	write_record "$VIDEO" id=00000000000000b2 source=/in/IMG_1.MOV dest=exp/img1.mov kind=video \
		time=2023-01-15T08:30:45Z album=Trip
}

@test "a Live Photo's still is linked to its video once both are up, the video hidden and in no album, and a rerun links nothing" {
	double_start
	live_pair
	run -0 up -o "$OUT" "$STILL" "$VIDEO"
	nul_write expect "$OUT/exp/img1.jpg" "$OUT/exp/img1.mov"
	cmp expect stdout
	assert_output --partial 'Live Photos: 1 linked'
	still=$(state '.assets[] | select(.type == "IMAGE") | .id')
	video=$(state '.assets[] | select(.type == "VIDEO") | .id')
	[ "$(state ".assets[] | select(.id == \"$still\") | .livePhotoVideoId")" = "$video" ]
	[ "$(state ".assets[] | select(.id == \"$video\") | .visibility")" = hidden ]
	[ "$(state ".assets[] | select(.id == \"$still\") | .visibility")" = timeline ]
	# the still stands for both in its album, as when Immich links a pair itself
	[ "$(state '.albums[] | select(.name == "Trip") | .assets | join(",")')" = "$still" ]
	[ "$(requests PUT "/api/assets/$still")" -eq 1 ]
	run -0 bash -c "curl -sf $DOUBLE_URL/__double/log | jq -c '[.[] | select(.method == \"PUT\")][0].headers[\"content-type\"]'"
	assert_output '"application/json"'
	n=$(double_get log | jq length)
	run -0 up -o "$OUT" "$STILL" "$VIDEO"
	assert_output --partial 'Live Photos: 0 linked'
	[ "$(double_get log | jq length)" -eq "$n" ]
}

@test "a still whose video an earlier run uploaded is linked through the ledger, once" {
	double_start
	live_pair
	run -0 up -o "$OUT" "$VIDEO"
	assert_output --partial 'Live Photos: 0 linked'
	run -0 up -o "$OUT" "$STILL"
	assert_output --partial 'Live Photos: 1 linked'
	still=$(state '.assets[] | select(.type == "IMAGE") | .id')
	video=$(state '.assets[] | select(.type == "VIDEO") | .id')
	[ "$(state ".assets[] | select(.id == \"$still\") | .livePhotoVideoId")" = "$video" ]
	[ "$(state ".assets[] | select(.id == \"$video\") | .visibility")" = hidden ]
	n=$(double_get log | jq length)
	run -0 up -o "$OUT" "$STILL" "$VIDEO"
	assert_output --partial 'Live Photos: 0 linked'
	[ "$(double_get log | jq length)" -eq "$n" ]
}

@test "a refused link is named for the still with the server's reason, exit 1, both printed; the next run links" {
	double_start
	live_pair
	double_post faults '[{"match":"PUT /api/assets/*","kind":"status","status":400,"message":"Live photo video not found","count":1}]'
	run -1 up -o "$OUT" "$STILL" "$VIDEO"
	assert_output --partial "$STILL: on the server, but not linked to its Live Photo video $OUT/exp/img1.mov: HTTP 400: Live photo video not found"
	assert_output --partial '1 failed'
	nul_write expect "$OUT/exp/img1.jpg" "$OUT/exp/img1.mov"
	cmp expect stdout
	[ "$(state '.assets[] | select(.type == "IMAGE") | .livePhotoVideoId')" = null ]
	run -0 up -o "$OUT" "$STILL" "$VIDEO"
	assert_output --partial 'Live Photos: 1 linked'
	[ "$(state '.assets[] | select(.type == "VIDEO") | .visibility')" = hidden ]
}

@test "a still whose video is not on the server is uploaded unlinked, and no link is asked for" {
	double_start
	live_pair
	run -0 up -o "$OUT" "$STILL"
	assert_output --partial 'Live Photos: 0 linked'
	[ "$(double_get log | jq '[.[] | select(.method == "PUT" and (.path | startswith("/api/assets/")))] | length')" -eq 0 ]
	[ "$(state '.assets[0].livePhotoVideoId')" = null ]
}
