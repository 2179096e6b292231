#!/usr/bin/env bats
# The Immich double is proven faithful with the official client: upstream's
# CLI e2e scenarios (e2e/src/cli/specs/upload.e2e-spec.ts, immich.md 7.6)
# replayed with @immich/cli 3.2.2 from the committed lockfile, and
# cross-client checks between the CLI and mem-upload.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/immich

setup_file() {
	cli_install
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	unset IMMICH_INSTANCE_URL IMMICH_API_KEY IMMICH_UPLOAD_CONCURRENCY IMMICH_IGNORE_PATTERNS
	[ -x "$CLI_DIR/node_modules/.bin/node" ] || skip "the official CLI could not be installed from npm"
	double_start
	make_jpegs images 9 pic
}

teardown() {
	double_stop
}

@test "the CLI uploads a single file: Successfully uploaded 1 new asset" {
	run -0 immich upload images/pic1.jpg
	assert_output --partial 'Successfully uploaded 1 new asset'
	[ "$(state '.assets | length')" -eq 1 ]
	[ "$(state '.assets[0].originalFileName')" = pic1.jpg ]
}

@test "the CLI sees its own upload as a duplicate the second time" {
	run -0 immich upload images/pic1.jpg
	run -0 immich upload images/pic1.jpg
	assert_output --partial 'Found 0 new files and 1 duplicate'
	assert_output --partial 'All assets were already uploaded, nothing to do'
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "the CLI finds no files at a missing path" {
	run -0 immich upload does-not-exist
	assert_output --partial 'No files found, exiting'
}

@test "the CLI's dry run counts new files and duplicates from the bulk check" {
	run -0 immich upload --dry-run images/pic1.jpg
	assert_output --partial 'Would have uploaded 1 asset'
	run -0 immich upload images/pic1.jpg
	run -0 immich upload --dry-run --recursive images
	assert_output --partial 'Found 8 new files and 1 duplicate'
	assert_output --partial 'Would have uploaded 8 assets'
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "the CLI uploads a folder recursively" {
	run -0 immich upload --recursive images
	assert_output --partial 'Found 9 new files and 0 duplicates'
	assert_output --partial 'Successfully uploaded 9 new assets'
	[ "$(state '.assets | length')" -eq 9 ]
}

@test "the CLI creates an album named after the folder and fills it" {
	run -0 immich upload --recursive --album images
	assert_output --partial 'Successfully created 1 new album'
	assert_output --partial 'Successfully updated 9 assets'
	[ "$(state '.albums[0].name')" = images ]
	[ "$(state '.albums[0].assets | length')" -eq 9 ]
}

@test "the CLI adds already uploaded assets to a new album" {
	run -0 immich upload --recursive images
	run -0 immich upload --recursive --album images
	assert_output --partial 'All assets were already uploaded, nothing to do'
	assert_output --partial 'Successfully updated 9 assets'
	[ "$(state '.albums[0].assets | length')" -eq 9 ]
	[ "$(state '.assets | length')" -eq 9 ]
}

@test "the CLI's --album-name names the album" {
	run -0 immich upload --recursive --album-name=e2e images
	assert_output --partial 'Successfully created 1 new album'
	[ "$(state '.albums[0].name')" = e2e ]
}

@test "the CLI's --skip-hash sends the file and the server answers duplicate" {
	run -0 immich upload images/pic1.jpg
	run -0 immich upload --skip-hash images/pic1.jpg
	assert_output --partial 'Successfully uploaded 0 new assets'
	assert_output --partial 'Skipped 1 duplicate asset'
	[ "$(requests POST /api/assets)" -eq 2 ]
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "the CLI refuses --skip-hash with --dry-run" {
	run -1 immich upload --skip-hash --dry-run images/pic1.jpg
	assert_output --partial "cannot be used with option '--skip-hash'"
}

@test "the CLI with --concurrency 2 and --ignore patterns" {
	run -0 immich upload --concurrency 2 --dry-run --recursive images
	assert_output --partial 'Found 9 new files and 0 duplicates'
	run -0 immich upload --dry-run --recursive --ignore pic1.jpg images
	assert_output --partial 'Found 8 new files and 0 duplicates'
}

@test "the CLI uploads paths with stars, quotes, commas and braces" {
	mkdir -p "odd/a*b'c,d{e}"
	cp images/pic1.jpg "odd/a*b'c,d{e}/x{1}.jpg"
	run -0 immich upload --recursive odd
	assert_output --partial 'Successfully uploaded 1 new asset'
	[ "$(state '.assets[0].originalFileName')" = 'x{1}.jpg' ]
}

@test "the CLI reports a bad key as a failed connection with the 401 body" {
	export IMMICH_API_KEY=wrong
	run -1 immich upload images/pic1.jpg
	assert_output --partial "Failed to connect to server $DOUBLE_URL/api: 401"
	assert_output --partial 'Invalid API key'
}

@test "the CLI names a missing asset.upload permission from /api-keys/me" {
	double_stop
	double_start --key k=alice:user.read,server.about
	run -1 immich upload images/pic1.jpg
	assert_output --partial 'Missing required permission: "asset.upload".'
}

@test "the CLI tries a failing upload three times, reports it, and still exits 0" {
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":500,"count":100}]'
	run -0 immich upload images/pic1.jpg images/pic2.jpg
	assert_output --partial 'Failed to upload 2 assets'
	[ "$(requests POST /api/assets)" -eq 6 ]
}

@test "files uploaded by mem-upload are duplicates to the CLI" {
	run -0 mem-upload -o . --ledger ledger -A Shared images/pic1.jpg images/pic2.jpg images/pic3.jpg
	run -0 immich upload --album-name Shared images/pic1.jpg images/pic2.jpg images/pic3.jpg
	assert_output --partial 'Found 0 new files and 3 duplicates'
	[ "$(state '.assets | length')" -eq 3 ]
	# the CLI takes the last album of that name: the one mem-upload made
	[ "$(state '.albums | length')" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 3 ]
}

@test "files uploaded by the CLI are already present for mem-upload, which only adds them to the album" {
	run -0 immich upload --album-name Both --recursive images
	run -0 mem-upload -o . --ledger ledger -A Both images/pic1.jpg images/pic2.jpg
	assert_output --partial '0 uploaded'
	assert_output --partial '2 duplicates'
	assert_output --partial 'albums: 0 created, 0 updated'
	[ "$(requests POST /api/assets)" -eq 9 ]
	[ "$(state '.albums | length')" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 9 ]
}

@test "the CLI and mem-upload agree on album membership" {
	run -0 mem-upload -o . --ledger ledger -A Mixed images/pic1.jpg images/pic2.jpg
	run -0 immich upload --album-name Mixed images/pic3.jpg images/pic4.jpg
	run -0 mem-upload -o . --ledger ledger -A Mixed images/pic3.jpg images/pic5.jpg
	[ "$(state '.albums | length')" -eq 1 ]
	[ "$(state '.albums[0].assets | length')" -eq 5 ]
	[ "$(state '.assets | length')" -eq 5 ]
	# the album as the API shows it to either client
	run -0 curl -sf -H 'x-api-key: k' "$DOUBLE_URL/api/albums?name=Mixed"
	[ "$(jq '.[0].assetCount' <<< "$output")" -eq 5 ]
}

@test "the v2 profile refuses the 3.2.2 CLI's uploads, which lack deviceAssetId" {
	double_stop
	double_start --profile v2
	run -0 immich upload images/pic1.jpg
	assert_output --partial 'Failed to upload 1 asset'
	assert_output --partial 'deviceAssetId should not be empty'
	[ "$(state '.assets | length')" -eq 0 ]
}

# upload_with FIELD=VALUE...: a raw multipart upload of pic1.jpg with curl.
upload_with() {
	local args=() kv
	for kv; do args+=(-F "$kv"); done
	curl -s -o /dev/null -w '%{http_code}' -H 'x-api-key: k' "${args[@]}" \
		-F assetData=@images/pic1.jpg "$DOUBLE_URL/api/assets"
}

@test "the v3 profile refuses v2's duration string and zoned dates, and ignores unknown fields" {
	[ "$(upload_with fileCreatedAt=2024-01-01T00:00:00.000Z fileModifiedAt=2024-01-01T00:00:00.000Z duration=0:00:00.000000)" = 400 ]
	[ "$(upload_with fileCreatedAt=2024-01-01T00:00:00+02:00 fileModifiedAt=2024-01-01T00:00:00.000Z)" = 400 ]
	[ "$(upload_with fileCreatedAt=2024-01-01T00:00:00.000Z fileModifiedAt=2024-01-01T00:00:00.000Z isFavorite=yes)" = 400 ]
	[ "$(upload_with fileCreatedAt=2024-01-01T00:00:00.000Z fileModifiedAt=2024-01-01T00:00:00.000Z fileSize=1 deviceId=x)" = 201 ]
	[ "$(upload_with fileCreatedAt=2024-01-01T00:00:00.000Z fileModifiedAt=2024-01-01T00:00:00.000Z)" = 200 ]
	[ "$(state '.assets | length')" -eq 1 ]
}

@test "a filename field before the sidecar makes the server check the sidecar by the asset's name" {
	printf '<x/>' > side.xmp
	run -0 curl -s -H 'x-api-key: k' -F fileCreatedAt=2024-01-01T00:00:00.000Z \
		-F fileModifiedAt=2024-01-01T00:00:00.000Z -F filename=pic1.jpg \
		-F assetData=@images/pic1.jpg -F sidecarData=@side.xmp "$DOUBLE_URL/api/assets"
	assert_output --partial 'Unsupported file type pic1.jpg'
	run -0 curl -s -H 'x-api-key: k' -F fileCreatedAt=2024-01-01T00:00:00.000Z \
		-F fileModifiedAt=2024-01-01T00:00:00.000Z \
		-F assetData=@images/pic1.jpg -F sidecarData=@side.xmp -F filename=pic1.jpg "$DOUBLE_URL/api/assets"
	assert_output --partial '"status": "created"'
}

@test "a first admin signs up once, logs in, and makes a key that mem-upload can use" {
	run -0 curl -sf -H 'Content-Type: application/json' \
		--data '{"email":"a@b.c","password":"pw","name":"Admin"}' "$DOUBLE_URL/api/auth/admin-sign-up"
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data '{"email":"a@b.c","password":"pw","name":"Admin"}' "$DOUBLE_URL/api/auth/admin-sign-up"
	assert_output 400
	token=$(curl -sf -H 'Content-Type: application/json' --data '{"email":"a@b.c","password":"pw"}' \
		"$DOUBLE_URL/api/auth/login" | jq -r .accessToken)
	secret=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"name":"mem-upload","permissions":["all"]}' "$DOUBLE_URL/api/api-keys" | jq -r .secret)
	[ -n "$secret" ]
	run -0 env IMMICH_API_KEY="$secret" mem-upload -o . --ledger ledger images/pic1.jpg
	[ "$(state '.assets[0].owner')" = Admin ]
}

@test "quota exceeded is a 400 that mem-upload reports and does not retry" {
	double_post faults '[{"match":"POST /api/assets","kind":"status","status":400,"message":"Quota has been exceeded!","count":9}]'
	run -1 mem-upload -o . --ledger ledger images/pic1.jpg
	assert_output --partial 'pic1.jpg: HTTP 400: Quota has been exceeded!'
	[ "$(requests POST /api/assets)" -eq 1 ]
}

# nature: upstream's nine test file names, as distinct small JPEGs.
nature() {
	local i=0 n
	mkdir -p nature
	for n in cyclamen_persicum el_torcal_rocks notocactus_minimus polemonium_reptans \
		prunus_incisa quercus_ilex silver_fir tanners_ridge wood_anemones; do
		i=$((i + 1))
		cp "images/pic$i.jpg" "nature/$n.jpg"
	done
}

@test "the CLI's ignore patterns over upstream's file names: 8, then 1" {
	nature
	run -0 immich upload --dry-run --recursive --ignore silver_fir.jpg nature
	assert_output --partial 'Found 8 new files and 0 duplicates'
	run -0 immich upload --dry-run --recursive --ignore '!(*_*_*).jpg' nature
	assert_output --partial 'Found 1 new files and 0 duplicates'
}

@test "the CLI's --delete removes what was uploaded; with --dry-run it only counts" {
	nature
	run -0 immich upload --recursive --delete --dry-run nature
	assert_output --partial 'Would have deleted 9 local assets'
	[ "$(ls nature | wc -l)" -eq 9 ]
	run -0 immich upload --recursive --delete nature
	assert_output --partial 'Deleting assets that have been uploaded'
	[ "$(ls nature | wc -l)" -eq 0 ]
	[ "$(state '.assets | length')" -eq 9 ]
}
