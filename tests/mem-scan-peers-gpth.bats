#!/usr/bin/env bats
# GooglePhotosTakeoutHelper's test tables (test/gpth_test.dart's "guess"
# table, date_extractors_test.dart, extras), each case a real file.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/scan
load helpers/peers

setup() {
	cd "$BATS_TEST_TMPDIR"
	F="$BATS_TEST_TMPDIR/photos-ann-20240101"
	G="$BATS_TEST_TMPDIR/google-ann-20240101"
	Y="$G/Takeout/Google Photos/Photos from 2021"
	OUT="$BATS_TEST_TMPDIR/out"
}

# named NAME 'YYYY-MM-DD hh:mm:ss': a real file without inner dates is
# dated from its name, that wall clock exactly.
named() {
	case $1 in
	*.mp4 | *.MP4) clip "$F/$1" ;;
	*) photo "$F/$1" ;;
	esac
	run -0 mem-scan -o "$OUT" "$F"
	[ "$(field "$OUT" "$F/$1" time_source)" = filename ]
	[ "$(field "$OUT" "$F/$1" time)" = "${2/ /T}Z" ]
	[ "$(field "$OUT" "$F/$1" offset)" = '' ]
}

@test "gpth guess: Screenshot_20190919-053857_Camera-edited.jpg" {
	named Screenshot_20190919-053857_Camera-edited.jpg '2019-09-19 05:38:57'
}
@test "gpth guess: MVIMG_20190215_193501.MP4" {
	named MVIMG_20190215_193501.MP4 '2019-02-15 19:35:01'
}
@test "gpth guess: Screenshot_2019-04-16-11-19-37-232_com.jpg" {
	named Screenshot_2019-04-16-11-19-37-232_com.jpg '2019-04-16 11:19:37'
}
@test "gpth guess: signal-2020-10-26-163832.jpg" {
	named signal-2020-10-26-163832.jpg '2020-10-26 16:38:32'
}
@test "gpth guess: VID_20220107_113306.mp4" {
	named VID_20220107_113306.mp4 '2022-01-07 11:33:06'
}
@test "gpth guess: 00004XTR_00004_BURST20190216172030.jpg" {
	named 00004XTR_00004_BURST20190216172030.jpg '2019-02-16 17:20:30'
}
@test "gpth guess: 00055IMG_00055_BURST20190216172030_COVER.jpg" {
	named 00055IMG_00055_BURST20190216172030_COVER.jpg '2019-02-16 17:20:30'
}
@test "gpth guess: 2016_01_30_11_49_15.mp4" {
	named 2016_01_30_11_49_15.mp4 '2016-01-30 11:49:15'
}
@test "gpth guess: 201801261147521000.jpg" {
	named 201801261147521000.jpg '2018-01-26 11:47:52'
}
@test "gpth guess: IMG_1_BURST20160623205107_COVER.jpg" {
	named IMG_1_BURST20160623205107_COVER.jpg '2016-06-23 20:51:07'
}
@test "gpth guess: IMG_1_BURST20160520195318.jpg" {
	named IMG_1_BURST20160520195318.jpg '2016-05-20 19:53:18'
}
@test "gpth guess: 1990_06_16_07_30_00.jpg" {
	named 1990_06_16_07_30_00.jpg '1990-06-16 07:30:00'
}
@test "gpth guess: 1869_12_30_16_59_57.jpg" {
	named 1869_12_30_16_59_57.jpg '1869-12-30 16:59:57'
}
@test "gpth guess: IMG_20200229_000000.gif (leap day)" {
	named IMG_20200229_000000.gif '2020-02-29 00:00:00'
}
@test "gpth guess: random_name.jpg has no date in its name" {
	photo "$F/random_name.jpg"
	run -0 mem-scan -o "$OUT" "$F"
	[ "$(field "$OUT" "$F/random_name.jpg" time_source)" = mtime ]
}
@test "gpth guess: a long digit run that is no date (a phone number) gives none" {
	photo "$F/0612345678901234.jpg"
	run -0 mem-scan -o "$OUT" "$F"
	[ "$(field "$OUT" "$F/0612345678901234.jpg" time_source)" = mtime ]
}

# --- extras.dart: the "edited" names, each taking the original's sidecar ----

@test "gpth extras: every edited suffix of extras.dart takes the original's sidecar" {
	local s n=0
	local -a suf=(-edited -effects -smile -mix -edytowane -bearbeitet -bewerkt -編集済み
		-modificato -modifié '-ha editado' -editado -editat -отредактировано -已编辑
		-편집됨 -düzenlendi '-تم التعديل' -संपादित '-đã chỉnh sửa' -แก้ไขแล้ว -diedit)
	for s in "${suf[@]}"; do
		n=$((n + 1))
		side "$Y/IMG_$n.jpg.json" $((1600000000 + n))
		photo "$Y/IMG_$n.jpg"
		photo "$Y/IMG_$n$s.jpg"
	done
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$stderr" = '' ]
	n=0
	for s in "${suf[@]}"; do
		n=$((n + 1))
		taken "$OUT" "$Y/IMG_$n.jpg" $((1600000000 + n))
		taken "$OUT" "$Y/IMG_$n$s.jpg" $((1600000000 + n))
	done
}

@test "gpth extras: a -modifié written in macOS's decomposed form (NFD) takes the original's sidecar" {
	side "$Y/IMG_1.jpg.json" 1600000001
	photo "$Y/IMG_1.jpg"
	photo "$Y/IMG_1-modifie$(printf '\xcc\x81').jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/IMG_1-modifie$(printf '\xcc\x81').jpg" 1600000001
}

# --- date_extractors_test.dart: the JSON and folder extractors --------------

@test "gpth json: photoTakenTime 1640960007 is 2021-12-31 14:13:27 UTC" {
	side "$Y/test.jpg.json" 1640960007
	photo "$Y/test.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/test.jpg" time)" = 2021-12-31T14:13:27Z ]
}

@test "gpth json: a sidecar of bytes 1 2 3 is not JSON: the photo falls back, the sidecar is named" {
	printf '\1\2\3' > "$BATS_TEST_TMPDIR/x"
	mkdir -p "$Y"
	cp "$BATS_TEST_TMPDIR/x" "$Y/invalid.jpg.json"
	photo "$Y/invalid.jpg"
	run -0 --separate-stderr mem-scan -o "$OUT" "$G"
	[ "$stderr" = "mem-scan: $Y/invalid.jpg.json: malformed or truncated JSON" ]
	untaken "$OUT" "$Y/invalid.jpg"
}

@test "gpth json: a sidecar without a timestamp gives no time, the photo falls back" {
	mkdir -p "$Y"
	printf '{"title": "test.jpg"}\n' > "$Y/test.jpg.json"
	photo "$Y/test.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	untaken "$OUT" "$Y/test.jpg"
}

@test "gpth json: geoData 41.3221611 19.8149139 143.09 is kept" {
	side "$Y/c.jpg.json" 1609459200 '"geoData": {"latitude": 41.3221611, "longitude": 19.8149139, "altitude": 143.09}'
	photo "$Y/c.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/c.jpg" lat)" = 41.3221611 ]
	[ "$(field "$OUT" "$Y/c.jpg" lon)" = 19.8149139 ]
}

@test "gpth json: southern and western coordinates keep their signs" {
	side "$Y/s.jpg.json" 1609459200 '"geoData": {"latitude": -33.865143, "longitude": -70.657437, "altitude": 545.0}'
	photo "$Y/s.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/s.jpg" lat)" = -33.8651430 ]
	[ "$(field "$OUT" "$Y/s.jpg" lon)" = -70.6574370 ]
}

@test "gpth json: zero coordinates are no location" {
	side "$Y/z.jpg.json" 1609459200 '"geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0}'
	photo "$Y/z.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/z.jpg" lat)" = '' ]
}

# --- gpth_test.dart's "json" table, "Duplicate removal", "Album finding" ----

@test "gpth json: image-edited.jpg takes image-edited.jpg.json, and its copy in Vacation is the same item" {
	side "$Y/image-edited.jpg.json" 1599078832
	photo "$Y/image-edited.jpg"
	mkdir -p "$G/Takeout/Google Photos/Vacation"
	cp "$Y/image-edited.jpg" "$G/Takeout/Google Photos/Vacation/"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 1 ]
	taken "$OUT" "$Y/image-edited.jpg" 1599078832
	[ "$(field "$OUT" "$Y/image-edited.jpg" album | tail -1)" = Vacation ]
}
@test "gpth json: Urlaub in Knaufspesch in der Schneifel (38).JPG takes its .JPG.json" {
	side "$Y/Urlaub in Knaufspesch in der Schneifel (38).JPG.json" 1683078832
	photo "$Y/Urlaub in Knaufspesch in der Schneifel (38).JPG"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/Urlaub in Knaufspesch in der Schneifel (38).JPG" 1683078832
}
@test "gpth json: the (38) of the name survives a sidecar cut to .JP.json" {
	side "$Y/Urlaub in Knaufspesch in der Schneifel (38).JP.json" 1683078833
	photo "$Y/Urlaub in Knaufspesch in der Schneifel (38).JPG"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/Urlaub in Knaufspesch in der Schneifel (38).JPG" 1683078833
}
@test "gpth json: Screenshot_…_com.snapchat.jpg takes …_com.snapchat.json" {
	side "$Y/Screenshot_2022-10-28-09-31-43-118_com.snapchat.json" 1666942303
	photo "$Y/Screenshot_2022-10-28-09-31-43-118_com.snapchat.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/Screenshot_2022-10-28-09-31-43-118_com.snapchat.jpg" 1666942303
}
@test "gpth json: simple_file_20200101-edited.jpg and its identical (1) copy are one item with the original's sidecar" {
	side "$Y/simple_file_20200101.jpg.json" 1683074444
	photo "$Y/simple_file_20200101-edited.jpg"
	cp "$Y/simple_file_20200101-edited.jpg" "$Y/simple_file_20200101-edited(1).jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(ls "$OUT/.mem/items" | wc -l)" -eq 1 ]
	taken "$OUT" "$Y/simple_file_20200101-edited.jpg" 1683074444
}
@test "gpth json: img_(87).(vacation stuff).lol(87).jpg takes …lol.jpg(87).json" {
	side "$Y/img_(87).(vacation stuff).lol.jpg(87).json" 1680289442
	photo "$Y/img_(87).(vacation stuff).lol(87).jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/img_(87).(vacation stuff).lol(87).jpg" 1680289442
}
@test "gpth json: IMG-20150125-WA0003-modifié.jpg takes IMG-20150125-WA0003.jpg.json" {
	side "$Y/IMG-20150125-WA0003.jpg.json" 1422183600
	photo "$Y/IMG-20150125-WA0003-modifié.jpg"
	run -0 mem-scan -o "$OUT" "$G"
	taken "$OUT" "$Y/IMG-20150125-WA0003-modifié.jpg" 1422183600
}
@test "gpth json: a different IMG-20150125-WA0003-modifié(1).jpg does not take it (gpth: only with tryhard), its name dates it" {
	side "$Y/IMG-20150125-WA0003.jpg.json" 1422183600
	photo "$Y/IMG-20150125-WA0003-modifié.jpg"
	photo "$Y/IMG-20150125-WA0003-modifié(1).jpg"
	run -0 mem-scan -o "$OUT" "$G"
	[ "$(field "$OUT" "$Y/IMG-20150125-WA0003-modifié(1).jpg" time_source)" = filename ]
	[ "$(field "$OUT" "$Y/IMG-20150125-WA0003-modifié(1).jpg" time)" = 2015-01-25T12:00:00Z ]
}
