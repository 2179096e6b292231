#!/usr/bin/env bats
# immich-go's Google Takeout test tables (adapters/googlePhotos/matcher_test.go,
# docs/misc/google-takeout.md), each case rebuilt as a real Takeout tree.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan
load helpers/peers

setup() {
	cd "$BATS_TEST_TMPDIR"
	G="$BATS_TEST_TMPDIR/google-ann-20240101"
	Y="$G/Takeout/Google Photos/Photos from 2021"
	OUT="$BATS_TEST_TMPDIR/out"
}

# pair yes|no JSON MEDIA: MEDIA takes JSON's time, or does not.
pair() {
	side "$Y/$2" 1600000001
	photo "$Y/$3"
	run -0 mem-scan -o "$OUT" "$G"
	if [ "$1" = yes ]; then
		taken "$OUT" "$Y/$3" 1600000001
	else
		untaken "$OUT" "$Y/$3"
	fi
}

# --- matcher_test.go, one test a row --------------------------------------

@test "immich-go: PXL_…983.jpg takes PXL_…983.jpg.json" {
	pair yes PXL_20211013_220651983.jpg.json PXL_20211013_220651983.jpg
}
@test "immich-go: PXL_…958.jpg does not take PXL_…983.jpg.json" {
	pair no PXL_20211013_220651983.jpg.json PXL_20211013_220651958.jpg
}
@test "immich-go: a -modifié PORTRAIT takes the original's sidecar" {
	pair yes PXL_20220405_090123740.PORTRAIT.jpg.json 'PXL_20220405_090123740.PORTRAIT-modifié.jpg'
}
@test "immich-go: a -modifié PORTRAIT of another instant does not" {
	pair no PXL_20220405_090123740.PORTRAIT.jpg.json 'PXL_20220405_090123741.PORTRAIT-modifié.jpg'
}
@test "immich-go: DSC_0100.JPG takes DSC_0100.JPG.json" {
	pair yes DSC_0100.JPG.json DSC_0100.JPG
}
@test "immich-go: DSC_0101(1).JPG takes DSC_0101.JPG(1).json" {
	pair yes 'DSC_0101.JPG(1).json' 'DSC_0101(1).JPG'
}
@test "immich-go: DSC_0102(1).JPG does not take DSC_0102.JPG(2).json" {
	pair no 'DSC_0102.JPG(2).json' 'DSC_0102(1).JPG'
}
@test "immich-go: DSC_0103.JPG does not take DSC_0103.JPG(1).json" {
	pair no 'DSC_0103.JPG(1).json' DSC_0103.JPG
}
@test "immich-go: DSC_0104(1).JPG does not take DSC_0104.JPG.json" {
	pair no DSC_0104.JPG.json 'DSC_0104(1).JPG'
}
@test "immich-go: IMG_2710(1).HEIC takes IMG_2710.HEIC(1).json" {
	pair yes 'IMG_2710.HEIC(1).json' 'IMG_2710(1).HEIC'
}
@test "immich-go: a .MP.jpg takes its .MP.jpg.json" {
	pair yes PXL_20231118_035751175.MP.jpg.json PXL_20231118_035751175.MP.jpg
}
@test "immich-go: …ORIGINA.jpg takes the cut …ORIGIN.json" {
	pair yes PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGIN.json PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGINA.jpg
}
@test "immich-go: a name with a space takes its sidecar cut to .jp.json" {
	pair yes '05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jp.json' '05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jpg'
}
@test "immich-go: an emoji name takes its sidecar cut one emoji short" {
	pair yes '😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗😙😚😋.json' '😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗😙😚😋😛.jpg'
}
@test "immich-go: …_m(494).jpg takes the sidecar cut before its (494)" {
	pair yes 'Backyard_ceremony_wedding_photography_xxxxxxx_(494).json' 'Backyard_ceremony_wedding_photography_xxxxxxx_m(494).jpg'
}
@test "immich-go: …_m(185).jpg does not take the (494) sidecar" {
	pair no 'Backyard_ceremony_wedding_photography_xxxxxxx_(494).json' 'Backyard_ceremony_wedding_photography_xxxxxxx_m(185).jpg'
}
@test "immich-go: …_P.jpg takes the sidecar cut to …_.json" {
	pair yes original_1d4caa6f-16c6-4c3d-901b-9387de10e528_.json original_1d4caa6f-16c6-4c3d-901b-9387de10e528_P.jpg
}
@test "immich-go: the forgotten duplicate …_P(1).jpg takes …_.json" {
	pair yes original_1d4caa6f-16c6-4c3d-901b-9387de10e528_.json 'original_1d4caa6f-16c6-4c3d-901b-9387de10e528_P(1).jpg'
}
@test "immich-go: a .MP~2.jpg takes its sidecar" {
	pair yes 'PXL_20210102_221126856.MP~2.jpg.json' 'PXL_20210102_221126856.MP~2.jpg'
}
@test "immich-go: …_n(1).jpg takes …_n.j(1).json" {
	pair yes '13039_327707840323_537645323_9470255_27214_n.j(1).json' '13039_327707840323_537645323_9470255_27214_n(1).jpg'
}

# --- docs/misc/google-takeout.md --------------------------------------------

@test "immich-go doc: IMG_3479, (1), (2) each take their own sidecar" {
	side "$Y/IMG_3479.JPG.json" 1600000001
	side "$Y/IMG_3479.JPG(1).json" 1600000002
	side "$Y/IMG_3479.JPG(2).json" 1600000003
	photo "$Y/IMG_3479.JPG"
	photo "$Y/IMG_3479(1).JPG"
	photo "$Y/IMG_3479(2).JPG"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/IMG_3479.JPG" 1600000001
	taken "$OUT" "$Y/IMG_3479(1).JPG" 1600000002
	taken "$OUT" "$Y/IMG_3479(2).JPG" 1600000003
}

@test "immich-go doc: a (1) that is part of the name and a duplicate (1)(1), each edited, keep apart" {
	side "$Y/Negative0-36-35(1).jpg.supplemental-metadata.json" 1600000001
	side "$Y/Negative0-36-35(1).jpg.supplemental-metadata(1).json" 1600000002
	photo "$Y/Negative0-36-35(1).jpg"
	photo "$Y/Negative0-36-35(1)-editat.jpg"
	photo "$Y/Negative0-36-35(1)(1).jpg"
	photo "$Y/Negative0-36-35(1)-editat(1).jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/Negative0-36-35(1).jpg" 1600000001
	taken "$OUT" "$Y/Negative0-36-35(1)-editat.jpg" 1600000001
	taken "$OUT" "$Y/Negative0-36-35(1)(1).jpg" 1600000002
	taken "$OUT" "$Y/Negative0-36-35(1)-editat(1).jpg" 1600000002
}

@test "immich-go doc: one photo in a year folder and two albums is one item in both albums" {
	A="$G/Takeout/Google Foto"
	for d in 'Photos from 2022' 'Amsterdam 2022' '1 anno fa'; do
		side "$A/$d/130917ad28385b5a-photo.jpg.json" 1600000001
	done
	photo "$A/Photos from 2022/130917ad28385b5a-photo.jpg"
	cp "$A/Photos from 2022/130917ad28385b5a-photo.jpg" "$A/Amsterdam 2022/"
	cp "$A/Photos from 2022/130917ad28385b5a-photo.jpg" "$A/1 anno fa/"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 1 ]
	taken "$OUT" "$A/Photos from 2022/130917ad28385b5a-photo.jpg" 1600000001
	[ "$(field "$OUT" "$A/Photos from 2022/130917ad28385b5a-photo.jpg" album)" = "Google Photos/ann
1 anno fa
Amsterdam 2022" ]
}

# lang ROOT METAFILE EDITED: a Takeout in one language
lang() {
	local R="$G/Takeout/$1"
	side "$R/Photos from 2021/IMG_1.jpg.json" 1600000001
	photo "$R/Photos from 2021/IMG_1.jpg"
	[ -z "$3" ] || photo "$R/Photos from 2021/IMG_1$3.jpg"
	printf '{"title": "Album test 6/10/23", "description": ""}\n' > "$BATS_TEST_TMPDIR/m.json"
	mkdir -p "$R/Album test 6-10-23"
	cp "$BATS_TEST_TMPDIR/m.json" "$R/Album test 6-10-23/$2"
	side "$R/Album test 6-10-23/IMG_2.jpg.json" 1600000002
	photo "$R/Album test 6-10-23/IMG_2.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$stderr" = '' ]
	taken "$OUT" "$R/Photos from 2021/IMG_1.jpg" 1600000001
	[ -z "$3" ] || taken "$OUT" "$R/Photos from 2021/IMG_1$3.jpg" 1600000001
	taken "$OUT" "$R/Album test 6-10-23/IMG_2.jpg" 1600000002
	[ "$(field "$OUT" "$R/Album test 6-10-23/IMG_2.jpg" album | tail -1)" = 'Album test 6/10/23' ]
	[ ! -e "$OUT/google-ann-20240101/issues/failure-report.json" ]
}

@test "immich-go doc: a US English Takeout (Google Photos, metadata.json)" {
	lang 'Google Photos' metadata.json -edited
}
@test "immich-go doc: a French Takeout (métadonnées.json, -modifié)" {
	lang 'Google Photos' 'métadonnées.json' -modifié
}
@test "immich-go doc: an Italian Takeout (Google Foto, metadati.json, -modificato)" {
	lang 'Google Foto' metadati.json -modificato
}
@test "immich-go doc: a Slovak Takeout (Fotky Google, metadáta.json, -upravené)" {
	lang 'Fotky Google' 'metadáta.json' -upravené
}
@test "immich-go doc: a German Takeout (Google Fotos, Metadaten.json, -bearbeitet)" {
	lang 'Google Fotos' Metadaten.json -bearbeitet
}
@test "immich-go doc: a Russian Takeout (Google Фото, метаданные.json, -отредактировано)" {
	lang 'Google Фото' 'метаданные.json' -отредактировано
}
@test "immich-go doc: a Bulgarian Takeout (Google Снимки, метаданни.json)" {
	lang 'Google Снимки' 'метаданни.json' ''
}
@test "immich-go doc: the edited suffixes of the other languages take the original's sidecar" {
	local s i=0
	for s in -editado -editat -bewerkt -muokattu -edytowane -redigeret -编辑 -編集済み -편집됨 -відредаговано; do
		photo "$Y/IMG_9$s.jpg"
	done
	side "$Y/IMG_9.jpg.json" 1600000009
	run -0 mem-scan -o "$OUT" "$G"
	for s in -editado -editat -bewerkt -muokattu -edytowane -redigeret -编辑 -編集済み -편집됨 -відредаговано; do
		taken "$OUT" "$Y/IMG_9$s.jpg" 1600000009
	done
}
@test "immich-go doc: an album metadata file with an empty title keeps the folder name" {
	side "$G/Takeout/Google Photos/Trip/IMG_1.jpg.json" 1600000001
	photo "$G/Takeout/Google Photos/Trip/IMG_1.jpg"
	printf '{"title": "", "description": ""}\n' > "$G/Takeout/Google Photos/Trip/metadata.json"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$G/Takeout/Google Photos/Trip/IMG_1.jpg" album | tail -1)" = Trip ]
}

# --- Google's own folders and flags (docs/misc/google-takeout.md) ----------

@test "immich-go doc: trashed items (the Trash folder, trashed: true) are left out by default and said so" {
	R="$G/Takeout/Google Photos"
	side "$R/Trash/IMG_1.jpg.json" 1600000001
	photo "$R/Trash/IMG_1.jpg"
	side "$Y/IMG_2.jpg.json" 1600000002 '"trashed": true'
	photo "$Y/IMG_2.jpg"
	side "$Y/IMG_3.jpg.json" 1600000003
	photo "$Y/IMG_3.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$output" = "$Y/IMG_3.jpg" ]
	[ "$stderr" = "mem-scan: $G: 2 item(s) in Google Photos' trash left out (--include-trashed keeps them)" ]
	# each named in the report's own list, none counted as a failure
	run -0 jq -c '[.summary.total_failures, ([.skipped[] | [.context.relative_path, .reason]] | sort)]' \
	    "$OUT/google-ann-20240101/issues/failure-report.json"
	assert_output '[0,[["Takeout/Google Photos/Photos from 2021/IMG_2.jpg","in Google Photos'"'"' trash (--include-trashed keeps it)"],["Takeout/Google Photos/Trash/IMG_1.jpg","in Google Photos'"'"' trash (--include-trashed keeps it)"]]]'
}

@test "immich-go issues 106, 405, 634: Pixel motion photos' videos (.MP, .MP~2, MVIMG_ without an extension) are left out by name, their stills kept" {
	side "$Y/PXL_20220812_153341290.MP.jpg.json" 1660318421
	photo "$Y/PXL_20220812_153341290.MP.jpg"
	clip "$Y/PXL_20220812_153341290.MP"
	side "$Y/PXL_20210102_221126856.MP~2.jpg.json" 1609625486
	photo "$Y/PXL_20210102_221126856.MP~2.jpg"
	clip "$Y/PXL_20210102_221126856.MP~2"
	side "$Y/MVIMG_20180722_120942.jpg.json" 1532260182
	photo "$Y/MVIMG_20180722_120942.jpg"
	clip "$Y/MVIMG_20180722_120942"
	photo "$Y/notes.MPX"	# no motion video, no media: nothing said
	mem-scan -o "$OUT" "$G" > got 2> err
	run -0 tr '\0' '\n' < got
	assert_output "$Y/MVIMG_20180722_120942.jpg
$Y/PXL_20210102_221126856.MP~2.jpg
$Y/PXL_20220812_153341290.MP.jpg"
	run -0 cat err
	assert_output "mem-scan: $G: 3 Pixel motion photo video(s) (.MP, MVIMG_) left out: no format Immich takes; their stills are kept"
	run -0 jq -c '[.summary.total_failures, ([.skipped[] | .context.relative_path] | sort), ([.skipped[].reason] | unique)]' \
	    "$OUT/google-ann-20240101/issues/failure-report.json"
	assert_output '[0,["Takeout/Google Photos/Photos from 2021/MVIMG_20180722_120942","Takeout/Google Photos/Photos from 2021/PXL_20210102_221126856.MP~2","Takeout/Google Photos/Photos from 2021/PXL_20220812_153341290.MP"],["a Pixel motion photo'"'"'s video: no format Immich takes (.MP); its still (.MP.jpg) is kept"]]'
}

@test "immich-go doc: --include-trashed keeps trashed items, and Trash is no album" {
	R="$G/Takeout/Google Photos"
	side "$R/Trash/IMG_1.jpg.json" 1600000001
	photo "$R/Trash/IMG_1.jpg"
	run -0 --separate-stderr mem-scan --include-trashed -o "$OUT" "$G"
	[ "$stderr" = '' ]
	taken "$OUT" "$R/Trash/IMG_1.jpg" 1600000001
	[ "$(field "$OUT" "$R/Trash/IMG_1.jpg" album)" = 'Google Photos/ann' ]
}

@test "immich-go doc: archived items are kept with the archive visibility, Archive is no album" {
	R="$G/Takeout/Google Photos"
	side "$R/Archive/IMG_1.jpg.json" 1600000001
	photo "$R/Archive/IMG_1.jpg"
	side "$Y/IMG_2.jpg.json" 1600000002 '"archived": true'
	photo "$Y/IMG_2.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$R/Archive/IMG_1.jpg" 1600000001
	[ "$(field "$OUT" "$R/Archive/IMG_1.jpg" visibility)" = archive ]
	[ "$(field "$OUT" "$R/Archive/IMG_1.jpg" album)" = 'Google Photos/ann' ]
	[ "$(field "$OUT" "$Y/IMG_2.jpg" visibility)" = archive ]
}

@test "immich-go doc: Locked Folder items are left out by default, --include-locked keeps them locked" {
	R="$G/Takeout/Google Photos"
	side "$R/Locked Folder/IMG_1.jpg.json" 1600000001
	photo "$R/Locked Folder/IMG_1.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$output" = '' ]
	[ "$stderr" = "mem-scan: $G: 1 item(s) of the Locked Folder left out (--include-locked keeps them, locked on the server)" ]
	run -0 jq -c '[.skipped[] | [.file_path, .reason]]' "$OUT/google-ann-20240101/issues/failure-report.json"
	assert_output "[[\"$R/Locked Folder/IMG_1.jpg\",\"in the Locked Folder (--include-locked keeps it)\"]]"
	run -0 mem-scan --include-locked -o "$OUT" "$G"
	taken "$OUT" "$R/Locked Folder/IMG_1.jpg" 1600000001
	[ "$(field "$OUT" "$R/Locked Folder/IMG_1.jpg" visibility)" = locked ]
}

@test "immich-go doc: partner-shared items are kept and marked, --skip-partner leaves them out" {
	side "$Y/IMG_1.jpg.json" 1600000001 '"googlePhotosOrigin": {"fromPartnerSharing": {}}'
	photo "$Y/IMG_1.jpg"
	side "$Y/IMG_2.jpg.json" 1600000002 '"googlePhotosOrigin": {"mobileUpload": {}}'
	photo "$Y/IMG_2.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/IMG_1.jpg" partner)" = 1 ]
	[ "$(field "$OUT" "$Y/IMG_2.jpg" partner)" = '' ]
	rm -rf "$OUT"
	run -0 --separate-stderr mem-scan --skip-partner -o "$OUT" "$G"
	[ "$output" = "$Y/IMG_2.jpg" ]
	[ "$stderr" = "mem-scan: $G: 1 partner-shared item(s) left out (--skip-partner)" ]
	run -0 jq -c '[.skipped[] | [.file_path, .reason]]' "$OUT/google-ann-20240101/issues/failure-report.json"
	assert_output "[[\"$Y/IMG_1.jpg\",\"shared by a partner (--skip-partner)\"]]"
}

@test "immich-go doc: Failed Videos is not an album" {
	R="$G/Takeout/Google Photos"
	side "$R/Failed Videos/VID_1.mp4.json" 1600000001
	clip "$R/Failed Videos/VID_1.mp4"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$R/Failed Videos/VID_1.mp4" 1600000001
	[ "$(field "$OUT" "$R/Failed Videos/VID_1.mp4" album)" = 'Google Photos/ann' ]
}

@test "immich-go doc: a favorite keeps favorite=1" {
	side "$Y/IMG_1.jpg.json" 1600000001 '"favorited": true'
	photo "$Y/IMG_1.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/IMG_1.jpg" favorite)" = 1 ]
}

@test "immich-go: a Takeout with its year folders at the top (no Google Photos folder) is recognised" {
	B="$G/Photos from 2019"
	side "$B/IMG_1.jpg.json" 1600000001
	photo "$B/IMG_1.jpg"
	side "$G/Trip/IMG_2.jpg.json" 1600000002
	photo "$G/Trip/IMG_2.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$B/IMG_1.jpg" 1600000001
	taken "$OUT" "$G/Trip/IMG_2.jpg" 1600000002
	[ "$(field "$OUT" "$G/Trip/IMG_2.jpg" platform)" = google-photos ]
	[ "$(field "$OUT" "$G/Trip/IMG_2.jpg" album | tail -1)" = Trip ]
}

@test "immich-go: an album metadata in the older {albumData: {title}} form names the album" {
	R="$G/Takeout/Google Photos"
	side "$R/Trip 6-10-23/IMG_1.jpg.json" 1600000001
	photo "$R/Trip 6-10-23/IMG_1.jpg"
	printf '{"albumData": {"title": "Trip 6/10/23", "date": {"timestamp": "1"}}}\n' > "$R/Trip 6-10-23/metadata.json"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$R/Trip 6-10-23/IMG_1.jpg" album | tail -1)" = 'Trip 6/10/23' ]
}
