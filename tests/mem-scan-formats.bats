#!/usr/bin/env bats
# Which files mem-scan takes as media, and the dates formats other than
# JPEG, HEIF and MP4 carry (PNG, WebP, camera raws, AVI, Matroska), read
# back by exiftool, the reader Immich takes its dates from.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/scan

IMMICH_SRC=${MEM_IMMICH_SRC:-$REPO/../shared/immich/immich-3.1.0-server.tar.xz}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "every extension Immich 3.1 takes as a photo or a video is an item of that kind, camera raws included, and none else of Immich's" {
	[ -f "$IMMICH_SRC" ] || skip "no Immich source at $IMMICH_SRC"
	tar -xJOf "$IMMICH_SRC" immich-3.1.0/server/src/utils/mime-types.ts > mime-types.ts
	# the keys of Immich's raw, image and video tables, with their kind
	awk '/^const (raw|webSupportedImage|webUnsupportedImage) = \{/ { k = "image" }
		/^const video: / { k = "video" }
		/^const sidecar/ { k = "" }
		/^};/ { k = "" }
		k != "" && match($0, /^  '\''\.[a-z0-9]+'\''/) {
			print substr($0, RSTART + 4, RLENGTH - 5), k }' mime-types.ts | sort > want
	[ "$(wc -l < want)" -ge 55 ]
	grep -qx 'cr3 image' want
	grep -qx 'mts video' want
	mkdir export
	while read -r ext kind; do
		: > "export/f.$ext"
	done < want
	: > export/notes.txt	# not media: no item
	: > export/f.xmp	# Immich's sidecar: no item
	run -0 mem-scan -o out --records export
	for f in out/.mem/items/*.item; do
		nul_list "$f" | awk -F= '$1 == "source" { sub(/.*\./, "", $2); e = $2 }
			$1 == "kind" { k = $2 } END { print e, k }'
	done | sort > got
	run -0 diff want got
}

@test "a PNG and a WebP whose EXIF exiftool wrote, and an ORF and an RW2 raw, are dated by that EXIF's DateTimeOriginal and OffsetTimeOriginal" {
	mkdir export
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 export/a.png
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 \
		-c:v libwebp export/b.webp
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 t.tif
	exiftool -q -overwrite_original '-DateTimeOriginal=2019:07:04 18:30:05' \
		'-OffsetTimeOriginal=-05:00' export/a.png export/b.webp t.tif
	# Olympus and Panasonic raws: TIFF structures with their own magic
	python3 -c 'import sys; d = open("t.tif", "rb").read()
open("export/c.orf", "wb").write(d[:2] + b"RO" + d[4:])
open("export/d.rw2", "wb").write(d[:2] + b"U\0" + d[4:])'
	run -0 exiftool -q -p '$FileType $DateTimeOriginal$OffsetTimeOriginal' \
		export/a.png export/b.webp export/c.orf export/d.rw2
	assert_output "PNG 2019:07:04 18:30:05-05:00
Extended WEBP 2019:07:04 18:30:05-05:00
ORF 2019:07:04 18:30:05-05:00
RAW 2019:07:04 18:30:05-05:00"
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "a.png 2019-07-04T23:30:05Z -05:00 exif
b.webp 2019-07-04T23:30:05Z -05:00 exif
c.orf 2019-07-04T23:30:05Z -05:00 exif
d.rw2 2019-07-04T23:30:05Z -05:00 exif"
}

@test "a Matroska and a WebM video are dated by the DateUTC FFmpeg wrote from their creation_time, an instant in UTC" {
	mkdir export
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-metadata creation_time=2017-05-06T07:08:09.5Z export/f.mkv
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-c:v libvpx -metadata creation_time=2005-12-31T23:59:59Z export/g.webm
	run -0 exiftool -q -p '$DateTimeOriginal' export/f.mkv export/g.webm
	assert_output "2017:05:06 07:08:09.5Z
2005:12:31 23:59:59Z"
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "f.mkv 2017-05-06T07:08:09Z +00:00 matroska
g.webm 2005-12-31T23:59:59Z +00:00 matroska"
}

@test "an AVI is dated by its IDIT chunk in each form cameras write, a wall clock without a zone, and one without a date by its mtime" {
	mkdir export
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-c:v mjpeg base.avi
	# idit NAME TEXT: that AVI with an IDIT chunk of TEXT in its header LIST
	idit() {
		python3 "$REPO/tests/helpers/idit.py" base.avi "$1" "$2"
	}
	idit export/a.avi 'THU OCT 26 16:46:04 2006'
	idit export/b.avi '2002-12-16  15:35:01'
	idit export/c.avi '2001/ 1/27  1:42PM'
	idit export/d.avi '2005/11/28/ 09:19'
	idit export/f.avi '2009/10/27 12:14:34'
	idit export/e.avi 'not a date'
	touch -d '2020-02-02 02:02:02Z' export/e.avi
	run -0 exiftool -q -p '$DateTimeOriginal' export/[a-d].avi export/f.avi
	assert_output "2006:10:26 16:46:04
2002:12:16 15:35:01
2001:01:27 13:42:00
2005:11:28 09:19:00
2009:10:27 12:14:00"
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "a.avi 2006-10-26T16:46:04Z - riff
b.avi 2002-12-16T15:35:01Z - riff
c.avi 2001-01-27T13:42:00Z - riff
d.avi 2005-11-28T09:19:00Z - riff
e.avi 2020-02-02T02:02:02Z +00:00 mtime
f.avi 2009-10-27T12:14:00Z - riff"
}

@test "a camera raw in a Takeout is an item matched to its sidecar, its offset from its EXIF clock against the sidecar's UTC time" {
	local dir="takeout/Takeout/Google Photos/Photos from 2004"
	mkdir -p "$dir"
	[ -f "$REPO/../shared/corpus/MANIFEST.tsv" ] || skip "no corpus"
	cp "$REPO/../shared/corpus/exiftool+exiftool/t/images/Nikon.nef" "$dir/DSC_0001.NEF"
	# exiftool: DateTimeOriginal 2004:06:09 16:02:35, no offset; taken at -04:00
	printf '{"title": "DSC_0001.NEF", "photoTakenTime": {"timestamp": "%s"}}' \
		"$(date -u -d '2004-06-09 20:02:35' +%s)" > "$dir/DSC_0001.NEF.supplemental-metadata.json"
	run -0 mem-scan -o out --records takeout
	run -0 record_dates out
	assert_output "DSC_0001.NEF 2004-06-09T20:02:35Z -04:00 json"
}

@test "mem-exif copies an AVI dated by its own IDIT and a file dated only by its mtime as they are, with no sidecar, whose date would win in Immich over the one the file holds" {
	[ -f "$REPO/../shared/corpus/MANIFEST.tsv" ] || skip "no corpus"
	mkdir export
	cp "$REPO/../shared/corpus/exiftool+exiftool/t/images/RIFF.avi" export/clip.avi
	head -c 4096 /dev/urandom > export/clip.wmv
	touch -d '2021-06-07 08:09:10Z' export/clip.wmv
	mem-scan -o out --records export > records
	run -0 mem-exif -o out < records
	run -0 find out -type f ! -path 'out/.mem/*'
	run -0 sort <<< "$output"
	assert_output "out/export/media/folder-export-20030310.avi
out/export/media/folder-export-20210607.wmv"
	cmp export/clip.avi out/export/media/folder-export-20030310.avi
	# the IDIT's wall clock, of no zone, dates the file as if UTC
	[ "$(stat -c %Y out/export/media/folder-export-20030310.avi)" = "$(date -d '2003-03-10 15:04:43Z' +%s)" ]
	cmp export/clip.wmv out/export/media/folder-export-20210607.wmv
	[ "$(stat -c %Y out/export/media/folder-export-20210607.wmv)" = "$(date -d '2021-06-07 08:09:10Z' +%s)" ]
}

@test "an AVCHD video (MTS, M2TS, 188- or 192-byte packets) is dated by its MDPM date with the camera's zone, as exiftool reads it" {
	mkdir export
	python3 "$REPO/tests/helpers/mts.py" export/a.MTS 2019-07-04T18:30:05 -05:00
	python3 "$REPO/tests/helpers/mts.py" --dst export/b.m2ts 2019-07-04T18:30:05 +01:00
	python3 "$REPO/tests/helpers/mts.py" --188 export/c.m2t 2019-07-04T00:00:01 -09:30
	python3 "$REPO/tests/helpers/mts.py" export/d.mts 2012-02-29T23:59:59 +05:30
	run -0 exiftool -q -q -p '$DateTimeOriginal' export/a.MTS export/b.m2ts export/c.m2t export/d.mts
	assert_output "2019:07:04 18:30:05-05:00
2019:07:04 18:30:05+01:00 DST
2019:07:04 00:00:01-09:30
2012:02:29 23:59:59+05:30"
	# an H.264 transport stream without MDPM: no date of its own
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-c:v libx264 -f mpegts export/e.ts
	touch -d '2020-02-02 02:02:02Z' export/e.ts
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "a.MTS 2019-07-04T23:30:05Z -05:00 h264
b.m2ts 2019-07-04T17:30:05Z +01:00 h264
c.m2t 2019-07-04T09:30:01Z -09:30 h264
d.mts 2012-02-29T18:29:59Z +05:30 h264
e.ts 2020-02-02T02:02:02Z +00:00 mtime"
}

@test "a Canon CR3, a Fujifilm RAF and a WMV are dated as exiftool reads them: the CR3's CMT2 Exif IFD, the RAF's JPEG preview, the WMV's ASF creation date" {
	mkdir export
	python3 "$REPO/tests/helpers/raws.py" cr3 export/a.CR3 '2021:05:06 07:08:09' +09:00
	make_jpeg p.jpg
	exiftool -q -overwrite_original '-DateTimeOriginal=2016:08:09 10:11:12' p.jpg
	python3 "$REPO/tests/helpers/raws.py" raf export/b.RAF p.jpg
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 -c:v wmv2 \
		-metadata creation_time=2012-03-04T05:06:07Z export/c.wmv
	run -0 exiftool -q -p '$FileType $DateTimeOriginal' export/a.CR3 export/b.RAF
	assert_output "CR3 2021:05:06 07:08:09
RAF 2016:08:09 10:11:12"
	run -0 exiftool -q -p '$OffsetTimeOriginal' export/a.CR3
	assert_output "+09:00"
	run -0 exiftool -q -p '$FileType $CreationDate' export/c.wmv
	assert_output "WMV 2012:03:04 05:06:07Z"
	run -0 mem-scan -o out --records export
	run -0 record_dates out
	assert_output "a.CR3 2021-05-05T22:08:09Z +09:00 exif
b.RAF 2016-08-09T10:11:12Z - exif
c.wmv 2012-03-04T05:06:07Z +00:00 asf"
}

@test "a Canon CR3 is shown at its maker note's TimeZone (CMT3), as exiftool-vendored zones it for Immich, its instant placed by its OffsetTimeOriginal; its GPS IFD (CMT4) is its place, and zones a date without an offset; mem-exif leaves each file as it is, and gives the placed one a sidecar of its date at that zone" {
	mkdir export
	cr3_zone_files export
	exiftool -q -q -f -p '$FileName $DateTimeOriginal $OffsetTimeOriginal $TimeZone $GPSLatitude# $GPSLongitude#' \
		export | sort > judged
	run -0 cat judged
	assert_output "g.CR3 2021:05:06 07:08:09 - - 48.8566 2.3522
n.CR3 2021:05:06 07:08:09 - -05:00 - -
z.CR3 2021:05:06 07:08:09 +02:00 +01:00 - -"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "g.CR3 2021-05-06T05:08:09Z +02:00 exif
n.CR3 2021-05-06T12:08:09Z -05:00 exif
z.CR3 2021-05-06T05:08:09Z +01:00 exif"
	run -0 field out "$PWD/export/g.CR3" lat
	assert_output 48.8566000
	run -0 field out "$PWD/export/g.CR3" offset_source
	assert_output gps
	run -0 mem-exif -o out < records
	[ "$(cd export && sha1sum * | cut -d' ' -f1 | sort)" = \
		"$(cd out/export/media && sha1sum *.cr3 | cut -d' ' -f1 | sort)" ]
	run -0 exiftool -q -p '$DateTimeOriginal' out/export/media/*.xmp
	assert_output "2021:05:06 07:08:09+02:00"
}

@test "a JPEG without DateTimeOriginal is dated by its EXIF CreateDate, else its XMP DateTimeOriginal, else its XMP CreateDate (an edited copy, a scan), and mem-exif leaves that date as it is, writing neither a copy nor the mtime" {
	mkdir export
	make_jpeg export/a.jpg
	exiftool -q -overwrite_original '-ExifIFD:CreateDate=2010:01:02 03:04:05' \
		'-OffsetTimeDigitized=+01:00' export/a.jpg
	make_jpeg export/b.jpg
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2011-02-03T04:05:06-03:00' \
		'-XMP-xmp:CreateDate=2001-01-01T01:01:01Z' export/b.jpg
	make_jpeg export/c.jpg
	exiftool -q -overwrite_original '-XMP-xmp:CreateDate=2012-03-04T05:06:07Z' export/c.jpg
	make_jpeg export/d.jpg
	exiftool -q -overwrite_original '-XMP-xmp:CreateDate=2013-04-05' export/d.jpg
	touch -d '2020-02-02 02:02:02Z' export/*.jpg
	run -0 exiftool -q -q -p '$FileName $DateTimeOriginal|$CreateDate' export/[a-d].jpg
	assert_output "b.jpg 2011:02:03 04:05:06-03:00|2001:01:01 01:01:01Z"
	run -0 exiftool -q -q -p '$FileName $CreateDate' export/[acd].jpg
	assert_output "a.jpg 2010:01:02 03:04:05
c.jpg 2012:03:04 05:06:07Z
d.jpg 2013:04:05"
	mem-scan -o out --records export > records
	run -0 record_dates out
	# a date without a time is none: d.jpg keeps its mtime
	assert_output "a.jpg 2010-01-02T02:04:05Z +01:00 exif
b.jpg 2011-02-03T07:05:06Z -03:00 exif
c.jpg 2012-03-04T05:06:07Z +00:00 exif
d.jpg 2020-02-02T02:02:02Z +00:00 mtime"
	run -0 mem-exif -o out < records
	cmp export/c.jpg out/export/media/folder-export-20120304.jpg
	cmp export/d.jpg out/export/media/folder-export-20200202.jpg
}

@test "a JPEG whose EXIF clock has no offset is placed by its GPS IFD, read past the first 4 KiB of its EXIF, and dated at the zone there; mem-exif adds the offset and leaves its GPS as it was" {
	mkdir export
	make_jpeg export/paris.jpg
	# a 6 KB UserComment puts the GPS IFD, and not the date, past the EXIF
	# head mem-scan reads first
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:07:01 12:00:00' \
		-GPSLatitude=48.8566 -GPSLatitudeRef=N -GPSLongitude=2.3522 -GPSLongitudeRef=E \
		"-UserComment=$(printf '%06000d' 0)" export/paris.jpg
	mem-scan -o out --records export > records
	run -0 nul_list out/.mem/items/*.item
	assert_line time=2021-07-01T10:00:00Z
	assert_line offset=+02:00
	assert_line offset_source=gps
	assert_line zone=Europe/Paris
	assert_line lat=48.8566000
	assert_line lon=2.3522000
	assert_line gps_source=exif
	run -0 mem-exif -o out < records
	o=out/export/media/folder-export-20210701.jpg
	run -0 exiftool -q -q -p '$DateTimeOriginal $OffsetTimeOriginal' "$o"
	assert_output "2021:07:01 12:00:00 +02:00"
	diff <(exiftool -a -G1 -s -GPS:all export/paris.jpg) <(exiftool -a -G1 -s -GPS:all "$o")
}

@test "a JPEG without an EXIF date is dated in Immich's order past it: XMP photoshop:DateCreated, IPTC DateCreated with TimeCreated, IPTC DigitalCreationDate, an extended XMP packet's pdf:CreationDate; a date without a time is none" {
	mkdir export
	make_jpeg export/a.jpg
	exiftool -q -overwrite_original -IPTC:DateCreated=2006:10:29 \
		-IPTC:TimeCreated=06:27:51-05:00 export/a.jpg
	make_jpeg export/b.jpg
	exiftool -q -overwrite_original -IPTC:DateCreated=2006:10:29 -IPTC:TimeCreated=06:27:51-05:00 \
		'-XMP-photoshop:DateCreated=2007-01-02T03:04:05+01:00' export/b.jpg
	make_jpeg export/c.jpg
	exiftool -q -overwrite_original -XMP-photoshop:DateCreated=2007-01-02 \
		-IPTC:DigitalCreationDate=2005:06:07 -IPTC:DigitalCreationTime=08:09:10+00:00 export/c.jpg
	make_jpeg export/plain.jpg
	python3 "$REPO/tests/helpers/extxmp.py" export/d.jpg pdf:CreationDate=2008-10-20T19:54:15 \
		< export/plain.jpg
	rm export/plain.jpg
	touch -d '2020-02-02 02:02:02Z' export/*.jpg
	# what exiftool reads as Immich asks it (-use MWG): DateTimeOriginal
	# (XMP's photoshop:DateCreated while IPTC's digest allows, else
	# IPTC's), CreateDate (the same of IPTC's digital creation and
	# xmp:CreateDate) and CreationDate, one file a line
	run -0 exiftool -q -q -use MWG -p '$FileName $DateTimeOriginal' export/[abc].jpg
	assert_output "a.jpg 2006:10:29 06:27:51-05:00
b.jpg 2007:01:02 03:04:05+01:00
c.jpg 2007:01:02"
	run -0 exiftool -q -q -use MWG -p '$FileName $CreateDate' export/c.jpg
	assert_output "c.jpg 2005:06:07 08:09:10+00:00"
	run -0 exiftool -q -q -p '$FileName $CreationDate' export/d.jpg
	assert_output "d.jpg 2008:10:20 19:54:15"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "a.jpg 2006-10-29T11:27:51Z -05:00 exif
b.jpg 2007-01-02T02:04:05Z +01:00 exif
c.jpg 2005-06-07T08:09:10Z +00:00 exif
d.jpg 2008-10-20T19:54:15Z - exif"
}

@test "a TIFF without an EXIF date (a scan dated in an editor) is dated by its XMP and IPTC (IFD0's tags) in Immich's order, as exiftool's MWG dates it; mem-exif leaves each as it is" {
	mkdir export
	tiff_later_files export
	exiftool -q -q -f -use MWG -p '$FileName $DateTimeOriginal' export | sort > judged
	run -0 cat judged
	assert_output "both.tif 1990:01:02 03:04:05-03:00
iptc.tif 1980:01:02 03:04:05+02:00
xmp.tif 1975:06:07 10:00:00"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "both.tif 1990-01-02T06:04:05Z -03:00 exif
iptc.tif 1980-01-02T01:04:05Z +02:00 exif
xmp.tif 1975-06-07T10:00:00Z - exif"
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a PNG without an EXIF date (an iPhone's screenshot) is dated by its XMP before IDAT in Immich's order: photoshop:DateCreated, exif:DateTimeOriginal, else its GPS clock; mem-exif leaves each as it is" {
	mkdir export
	ffmpeg -nostdin -loglevel error -f lavfi -i color=red:s=32x32 -frames:v 1 base.png
	for f in a b c d; do cp base.png export/$f.png; done
	# a: a screenshot's XMP (photoshop:DateCreated, a wall clock; the
	# CreateDate of a later edit); b: exif:DateTimeOriginal with an
	# offset; c: the GPS clock alone; d: an eXIf without a date and the XMP
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=2016-01-28T12:21:20' \
		'-XMP-exif:UserComment=Screenshot' '-XMP-xmp:CreateDate=2021-01-03T00:21:38-05:00' export/a.png
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2019-05-01T10:00:00+02:00' export/b.png
	exiftool -q -overwrite_original '-XMP-exif:GPSDateTime=2019-05-02T08:00:00Z' export/c.png
	exiftool -q -overwrite_original -Make=Apple '-XMP-exif:DateTimeOriginal=2018-03-04T05:06:07-03:00' export/d.png
	run -0 exiftool -q -q -use MWG -p '$FileName $DateTimeOriginal' export/a.png export/b.png export/d.png
	assert_output "a.png 2016:01:28 12:21:20
b.png 2019:05:01 10:00:00+02:00
d.png 2018:03:04 05:06:07-03:00"
	run -0 exiftool -q -q -p '$FileName $GPSDateTime' export/c.png
	assert_output "c.png 2019:05:02 08:00:00Z"
	# the XMP lies before the image data, where exiftool writes it
	run -0 python3 - export/a.png <<-'EOF'
	import struct, sys
	b, at, kinds = open(sys.argv[1], "rb").read(), 8, []
	while at < len(b):
	    n, = struct.unpack(">I", b[at:at + 4])
	    kinds.append(b[at + 4:at + 8].decode())
	    at += 12 + n
	print(" ".join(k for k in kinds if k in ("iTXt", "IDAT", "eXIf")))
	EOF
	assert_output "iTXt IDAT"
	mem-scan -o out --records export > records
	run -0 record_dates out
	# a.png's wall clock takes the offset of its later CreateDate, as
	# exiftool-vendored gives Immich its zone (offset_source=tags)
	assert_output "a.png 2016-01-28T17:21:20Z -05:00 exif
b.png 2019-05-01T08:00:00Z +02:00 exif
c.png 2019-05-02T08:00:00Z +00:00 gps
d.png 2018-03-04T08:06:07Z -03:00 exif"
	run -0 mem-exif -o out < records
	cmp export/a.png out/export/media/folder-export-20160128.png
	cmp export/b.png out/export/media/folder-export-20190501.png
	cmp export/d.png out/export/media/folder-export-20180304.png
}

@test "a photo's EXIF wall clock takes the zone exiftool-vendored gives Immich: OffsetTimeDigitized's; else the first of its other capture dates' (MWG's CreateDate, IPTC's TimeCreated) with an offset; else its GPS clock's distance; mem-exif writes none of them" {
	mkdir export
	for f in t1 t2 t3 t4 t5 t6; do make_jpeg export/$f.jpg; done
	# t1: an edited copy, its XMP CreateDate at -04:00 (no EXIF CreateDate)
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:01 12:00:00' \
		'-XMP-xmp:CreateDate=2020-06-01T12:00:00-04:00' export/t1.jpg
	# t2: the same with an EXIF CreateDate: MWG's CreateDate is EXIF's
	# then, without a zone, and the XMP's is not looked at
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:02 12:00:00' \
		'-CreateDate=2020:06:02 12:00:00' '-XMP-xmp:CreateDate=2020-06-02T12:00:00-04:00' export/t2.jpg
	# t3: IPTC's TimeCreated alone carries a zone
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:03 12:00:00' \
		'-IPTC:TimeCreated=12:00:00+05:30' export/t3.jpg
	# t4: OffsetTimeDigitized without OffsetTimeOriginal: the camera's own
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:04 12:00:00' \
		'-OffsetTimeDigitized=+09:00' export/t4.jpg
	# t5, t6: a GPS clock and no position: 14:00 on the camera, 12:00:20 by
	# GPS is +02:00; 03:40 apart is +03:30, the nearest offset within 30 min
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:05 14:00:00' \
		-GPSDateStamp=2020:06:05 -GPSTimeStamp=12:00:20 export/t5.jpg
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:06:06 16:10:00' \
		-GPSDateStamp=2020:06:06 -GPSTimeStamp=12:30:00 export/t6.jpg
	run -0 exiftool -q -q -f -use MWG -p '$FileName $DateTimeOriginal|$CreateDate|$TimeCreated|$OffsetTimeDigitized|$GPSDateTime' export/t?.jpg
	assert_output "t1.jpg 2020:06:01 12:00:00|2020:06:01 12:00:00-04:00|-|-|-
t2.jpg 2020:06:02 12:00:00|2020:06:02 12:00:00|-|-|-
t3.jpg 2020:06:03 12:00:00|-|12:00:00+05:30|-|-
t4.jpg 2020:06:04 12:00:00|-|-|+09:00|-
t5.jpg 2020:06:05 14:00:00|-|-|-|2020:06:05 12:00:20Z
t6.jpg 2020:06:06 16:10:00|-|-|-|2020:06:06 12:30:00Z"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "t1.jpg 2020-06-01T16:00:00Z -04:00 exif
t2.jpg 2020-06-02T12:00:00Z - exif
t3.jpg 2020-06-03T06:30:00Z +05:30 exif
t4.jpg 2020-06-04T03:00:00Z +09:00 exif
t5.jpg 2020-06-05T12:00:00Z +02:00 exif
t6.jpg 2020-06-06T12:40:00Z +03:30 exif"
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep "^offset_source="; done | sort | uniq -c'
	assert_output --regexp '^ +1 offset_source=explicit
 +1 offset_source=none
 +4 offset_source=tags$'
	run -0 mem-exif -o out < records
	for f in 1 2 3 4 5 6; do
		cmp export/t$f.jpg out/export/media/folder-export-2020060$f.jpg
	done
}

@test "a photo's EXIF CreateDate dates it before its DateTimeOriginal when only the CreateDate has its SubSecTime or OffsetTime tag (exiftool's SubSec composites first, in Immich's order); mem-exif leaves each file as it is" {
	mkdir export
	subsec_jpegs export
	run -0 exiftool -q -q -f -p '$FileName $SubSecDateTimeOriginal|$SubSecCreateDate' export/*.jpg
	assert_output "bare.jpg -|-
both.jpg 1985:06:01 10:00:00.00|2021:03:04 10:00:00.12
od.jpg -|2021:03:04 10:00:00+02:00
sd.jpg -|2021:03:04 10:00:00.12"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "bare.jpg 1985-06-01T10:00:00Z - exif
both.jpg 1985-06-01T10:00:00Z - exif
od.jpg 2021-03-04T08:00:00Z +02:00 exif
sd.jpg 2021-03-04T10:00:00Z - exif"
	run -0 mem-exif -o out < records
	left_as_they_are jpg
}

@test "photos dated outside EXIF are dated as exiftool's MWG dates them for Immich: a Canon CRW's CIFF TimeStamp (little- and big-endian), a PowerShot JPEG's CIFF in APP0, a Casio's APP1 QVCI, an Olympus's APP12 picture info, a Reconyx maker note; an XMP or EXIF date before them; mem-exif leaves each file as it is" {
	mkdir export
	old_camera_files export
	exiftool -q -q -f -use MWG -p '$FileName $DateTimeOriginal' export | sort > judged
	run -0 cat judged
	assert_output "be.crw 2004:05:06 07:08:09
casio-exif.jpg 2002:03:04 05:06:07
casio-xmp.jpg 2001:02:03 04:05:06
casio.jpg 1998:10:24 12:08:57
le.crw 2003:04:05 06:07:08
olympus.jpg 1998:10:29 22:06:59
powershot.jpg 2000:10:27 22:56:26
reconyx.jpg 2020:03:16 10:00:00"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "be.crw 2004-05-06T07:08:09Z - exif
casio-exif.jpg 2002-03-04T05:06:07Z - exif
casio-xmp.jpg 2001-02-03T04:05:06Z - exif
casio.jpg 1998-10-24T12:08:57Z - exif
le.crw 2003-04-05T06:07:08Z - exif
olympus.jpg 1998-10-29T22:06:59Z - exif
powershot.jpg 2000-10-27T22:56:26Z - exif
reconyx.jpg 2020-03-16T10:00:00Z - exif"
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a photo's EXIF TimeZoneOffset (an older camera's zone, in hours) zones its wall clock where no offset tag and no maker note does, as exiftool-vendored reads it for Immich (from the Exif IFD, else IFD0): one value (with ModifyDate's second exiftool prints a string: no zone, or the second when negative), a real offset (UTC-11 to UTC+14); mem-exif leaves each file as it is" {
	mkdir export
	zone_hour_jpegs export
	run -0 exiftool -q -q -f -p '$FileName $TimeZoneOffset|$OffsetTimeDigitized' export/*.jpg
	assert_output "a.jpg 9|-
b.jpg 9 8|-
c.jpg -4|-
d.jpg 9|+02:00
e.jpg 0|-
g.jpg 20|-
h.jpg 5|-
i.jpg -5 -4|-"
	[ "$(exiftool -q -q -s3 -IFD0:TimeZoneOffset export/h.jpg)" = 5 ]
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "a.jpg 2016-08-12T04:28:50Z +09:00 exif
b.jpg 2016-08-12T13:28:50Z - exif
c.jpg 2016-08-12T17:28:50Z -04:00 exif
d.jpg 2016-08-12T11:28:50Z +02:00 exif
e.jpg 2016-08-12T13:28:50Z +00:00 exif
g.jpg 2016-08-12T13:28:50Z - exif
h.jpg 2016-08-12T08:28:50Z +05:00 exif
i.jpg 2016-08-12T17:28:50Z -04:00 exif"
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep "^offset_source="; done | sort | uniq -c'
	assert_output --regexp '^ +6 offset_source=explicit
 +2 offset_source=none$'
	run -0 mem-exif -o out < records
	[ "$(ls out/export/media | wc -l)" -eq 8 ]
	left_as_they_are jpg
}

@test "a date whose offset is no zone in use (+01:30, -12:00, +02:30, +03:17, an AVCHD's -05:30: exiftool-vendored parses it as no date) is passed over for the next date Immich reads, else taken for its wall clock of no zone; such an offset tag zones nothing; mem-exif writes only the zone of a place" {
	mkdir export
	junk_offset_files export
	run -0 exiftool -q -q -f -p '$FileName $OffsetTimeOriginal $OffsetTimeDigitized' export/*.jpg
	assert_output "a.jpg +01:30 -
b.jpg -12:00 -
c.jpg +02:30 -
d.jpg +08:45 -
e.jpg +03:17 -
f.jpg +01:30 +02:00
g.jpg - -
h.jpg +14:00 -
p.jpg +01:30 -"
	run -0 exiftool -q -q -p '$FileName $DateTimeOriginal' export/*.MTS
	assert_output "z03.MTS 2021:01:15 09:45:59+01:30
z1e.MTS 2021:01:15 09:45:59+15:00
z2b.MTS 2021:01:15 09:45:59-05:30"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "a.jpg 2016-08-12T13:28:50Z - exif
b.jpg 2016-08-12T13:28:50Z - exif
c.jpg 2016-08-12T13:28:50Z - exif
d.jpg 2016-08-12T04:43:50Z +08:45 exif
e.jpg 2016-08-12T13:28:50Z - exif
f.jpg 2016-08-12T11:28:50Z +02:00 exif
g.jpg 2020-02-02T02:02:02Z +00:00 mtime
h.jpg 2016-08-11T23:28:50Z +14:00 exif
m.mov 2018-07-02T02:30:00Z +00:00 quicktime
p.jpg 2017-08-12T11:28:50Z +02:00 exif
z03.MTS 2021-01-15T09:45:59Z - h264
z1e.MTS 2021-01-15T09:45:59Z - h264
z2b.MTS 2021-01-15T09:45:59Z - h264"
	run -0 mem-exif -o out < records
	# the files left as they are, but p.jpg: its wall clock at its place's
	# zone written as CreateDate (SubSecCreateDate, the date Immich reads
	# next), the camera's OffsetTimeOriginal kept
	run -0 sh -c 'cd export && sha1sum * | cut -d" " -f1 | sort > ../in.sums
		cd ../out/export/media && sha1sum * | cut -d" " -f1 | sort > ../../../out.sums
		comm -23 ../../../in.sums ../../../out.sums | wc -l'
	assert_output 1
	run -0 exiftool -q -q -p '$SubSecCreateDate $OffsetTimeOriginal' out/export/media/folder-export-20170812.jpg
	assert_output "2017:08:12 13:28:50+02:00 +01:30"
}

@test "a PNG dated only by chunks exiftool reads past its image data (XMP, compressed or not; an eXIf), by a compressed XMP before it, or by ImageMagick's raw profiles (EXIF; APP1's XMP), and a WebP dated only by its XMP chunk, are dated by them; a PNG with none by its mtime; mem-exif leaves each as it is" {
	mkdir export
	chunk_date_files export
	run -0 exiftool -q -q -f -p '$FileName $DateTimeOriginal|$CreateDate|$DateCreated' export/*.png
	assert_output "app1.png -|2015:06:07 08:09:10+05:30|-
exif.png 2016:01:02 03:04:05|-|-
late.png 2019:05:01 10:00:00+02:00|-|-
magick.png 2014:03:04 05:06:07|-|-
none.png -|-|-
zfirst.png -|-|2017:02:03 04:05:06
zlate.png -|2018:03:04 05:06:07-03:00|-"
	run -0 exiftool -q -q -p '$FileName $OffsetTimeOriginal' export/exif.png export/magick.png
	assert_output "exif.png +09:00
magick.png +01:00"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "app1.png 2015-06-07T02:39:10Z +05:30 exif
exif.png 2016-01-01T18:04:05Z +09:00 exif
late.png 2019-05-01T08:00:00Z +02:00 exif
magick.png 2014-03-04T04:06:07Z +01:00 exif
none.png 2020-02-02T02:02:02Z +00:00 mtime
wall.webp 2012-05-01T10:00:00Z - exif
xmp.webp 2013-05-01T08:00:00Z +02:00 exif
zfirst.png 2017-02-03T04:05:06Z - exif
zlate.png 2018-03-04T08:06:07Z -03:00 exif"
	run -0 exiftool -use MWG -q -q -p '$FileName $DateTimeOriginal' export/*.webp
	assert_output "wall.webp 2012:05:01 10:00:00
xmp.webp 2013:05:01 10:00:00+02:00"
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a HEIC dated only by its XMP item (an editor's) is dated by it, as exiftool reads it; mem-exif leaves it as it is" {
	[ -f "$REPO/../shared/corpus/MANIFEST.tsv" ] || skip "no corpus"
	mkdir export
	heif_xmp_files export
	run -0 exiftool -use MWG -q -q -f -p '$FileName $DateTimeOriginal $EXIF:DateTimeOriginal' export/*.heic
	assert_output "w.heic 2012:01:02 03:04:05 -
x.heic 2013:04:05 06:07:08+03:00 -"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "w.heic 2012-01-02T03:04:05Z - exif
x.heic 2013-04-05T03:07:08Z +03:00 exif"
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a photo without an EXIF place is placed by its XMP's GPSLatitude and GPSLongitude, as exiftool reads them for Immich, and shown at the zone there unless a zone tag of its own says another; mem-exif writes no place back" {
	mkdir export
	xmp_place_files export
	run -0 sh -c "exiftool -n -q -q -p '\$FileName \$GPSLatitude \$GPSLongitude' export | sort"
	assert_output "both.jpg 35.6762 139.6503
own.jpg 48.8566 2.3522
shot.png 48.8566 2.3522
wall.jpg 48.8566 2.3522
zoned.jpg 35.6762 139.6503"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "both.jpg 2015-08-12T04:28:50Z +09:00 exif
own.jpg 2018-08-12T16:28:50Z +02:00 exif
shot.png 2019-08-12T11:28:50Z +02:00 exif
wall.jpg 2016-08-12T11:28:50Z +02:00 exif
zoned.jpg 2017-08-12T16:28:50Z -03:00 exif"
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep -E "^(lat|lon|gps_source)=" | tr "\n" " "; echo; done | sort'
	assert_output "lat=35.6762000 lon=139.6503000 gps_source=exif 
lat=35.6762000 lon=139.6503000 gps_source=exif 
lat=48.8566000 lon=2.3522000 gps_source=exif 
lat=48.8566000 lon=2.3522000 gps_source=exif 
lat=48.8566000 lon=2.3522000 gps_source=exif "
	run -0 mem-exif -o out < records
	run -0 sh -c "exiftool -n -q -q -p '\$GPSLatitude \$GPSLongitude' out/export/media | sort"
	assert_output "35.6762 139.6503
35.6762 139.6503
48.8566 2.3522
48.8566 2.3522
48.8566 2.3522"
}

@test "a video with an editor's XMP (an MP4's uuid box, a MOV's udta XMP_) is dated in Immich's order of exiftool's tags: its XMP DateTimeOriginal, Apple's creationdate, its XMP CreateDate over the mvhd's; shown at the first offset among them; placed by its XMP GPS; mem-exif leaves each as it is" {
	mkdir export
	video_xmp_files export
	run -0 sh -c "exiftool -use MWG -q -q -f -p '\$FileName \$DateTimeOriginal|\$CreateDate|\$CreationDate' export | sort"
	assert_output "v1.mp4 -|2011:02:03 04:05:06+02:00|-
v2.mp4 -|2012:02:03 04:05:06+02:00|-
v3.mov 2010:02:03 04:05:06+01:00|2018:07:02 02:30:00|2019:07:01 22:30:00-04:00
v4.mov -|2010:02:03 04:05:06+01:00|2016:07:01 22:30:00-04:00
v5.mp4 2009:02:03 04:05:06|2018:07:02 02:30:00|-
v6.mp4 -|2008:02:03 04:05:06|-"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "v1.mp4 2011-02-03T02:05:06Z +02:00 quicktime
v2.mp4 2012-02-03T02:05:06Z +02:00 quicktime
v3.mov 2010-02-03T03:05:06Z +01:00 quicktime
v4.mov 2016-07-02T02:30:00Z +01:00 quicktime
v5.mp4 2009-02-03T04:05:06Z +00:00 quicktime
v6.mp4 2008-02-03T04:05:06Z +01:00 quicktime"
	run -0 field out "$PWD/export/v6.mp4" lat
	assert_output 48.8566000
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a video is placed where its moov says (Apple's Keys, QuickTime's UserData, an ItemList: exiftool's GPSCoordinates) and dated at the zone there, named by its local date; mem-exif writes no place back" {
	mkdir export
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-metadata creation_time=2023-07-02T02:30:00Z base.mp4
	for k in Keys UserData ItemList; do
		cp base.mp4 export/$k.mp4
		exiftool -q -overwrite_original "-$k:GPSCoordinates=40.7128, -74.0060, 10" export/$k.mp4
	done
	run -0 exiftool -q -q -n -G1 -p '$FileName $GPSLatitude $GPSLongitude' export/Keys.mp4 \
		export/UserData.mp4 export/ItemList.mp4
	assert_output "Keys.mp4 40.7128 -74.006
UserData.mp4 40.7128 -74.006
ItemList.mp4 40.7128 -74.006"
	# a video without a time (mvhd's 0) is still placed by its moov
	mkdir undated
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 undated/z.mp4
	exiftool -q -overwrite_original "-UserData:GPSCoordinates=40.7128, -74.0060, 10" undated/z.mp4
	touch -d '2023-01-15 12:00:00Z' undated/z.mp4
	mem-scan -o out --records export undated > records
	run -0 record_dates out
	# 02:30 UTC is 22:30 the day before in New York
	assert_output "ItemList.mp4 2023-07-02T02:30:00Z -04:00 quicktime
Keys.mp4 2023-07-02T02:30:00Z -04:00 quicktime
UserData.mp4 2023-07-02T02:30:00Z -04:00 quicktime
z.mp4 2023-01-15T12:00:00Z -05:00 mtime"
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep -E "^(gps_source|zone|lat|lon)=" | tr "\n" " "; echo; done | sort -u'
	assert_output "lat=40.7128000 lon=-74.0060000 gps_source=quicktime zone=America/New_York "
	run -0 mem-exif -o out < records
	for f in out/export/media/folder-export-20230701*.mp4; do
		[ "$(exiftool -q -q -n -p '$GPSLatitude $GPSLongitude' "$f")" = "40.7128 -74.006" ]
	done
	[ "$(ls out/export/media | wc -l)" -eq 3 ]
	cmp undated/z.mp4 out/undated/media/folder-undated-20230115.mp4
}

@test "a photo whose only date is its GPS clock is dated by it, an instant (time_source=gps), at the zone of its place; mem-exif writes that wall clock and offset" {
	mkdir export
	make_jpeg export/a.jpg
	exiftool -q -overwrite_original -GPSDateStamp=2023:11:15 -GPSTimeStamp=12:30:00 \
		-GPSLatitude=34.0522 -GPSLatitudeRef=N -GPSLongitude=118.2437 -GPSLongitudeRef=W export/a.jpg
	make_jpeg export/b.jpg
	exiftool -q -overwrite_original '-XMP-exif:GPSDateTime=2023-11-16T01:02:03Z' export/b.jpg
	run -0 exiftool -q -q -p '$FileName $GPSDateTime' export/a.jpg export/b.jpg
	assert_output "a.jpg 2023:11:15 12:30:00Z
b.jpg 2023:11:16 01:02:03Z"
	mem-scan -o out --records export > records
	run -0 record_dates out
	# b.jpg: no place, so no zone: the instant in UTC
	assert_output "a.jpg 2023-11-15T12:30:00Z -08:00 gps
b.jpg 2023-11-16T01:02:03Z +00:00 gps"
	run -0 mem-exif -o out < records
	run -0 exiftool -q -q -p '$DateTimeOriginal $OffsetTimeOriginal' out/export/media/folder-export-20231115.jpg
	assert_output "2023:11:15 04:30:00 -08:00"
	cmp export/b.jpg out/export/media/folder-export-20231116.jpg
}

@test "a user's XMP sidecar dates and places its photo or video as Immich reads the two, and mem-exif carries it beside the output byte for byte, but for the offset it gives a date of none, or the date it gives a sidecar of none beside a file that takes no date; the media are left as they are but for that offset" {
	mkdir export
	user_sidecar_files export
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "a.jpg 2015-06-07T03:09:10Z +05:00 sidecar
b.jpg 2016-07-08T13:10:11Z -04:00 sidecar
c.jpg 2020-01-02T01:04:05Z +09:00 exif
d.jpg 2017-03-04T04:06:07Z +01:00 sidecar
f.jpg 2018-05-05T22:08:09Z +09:00 exif
g.mp4 2014-02-03T07:05:06Z -03:00 sidecar
h.jpg 2019-06-16T07:45:14Z +09:00 sidecar
k.webp 2021-03-04T04:06:07Z +01:00 exif"
	run -0 sh -c 'for f in out/.mem/items/*.item; do tr "\0" "\n" < "$f" | grep -E "^(sidecar|lat|gps_source|offset_source)=" | sed "s|$PWD/||" | tr "\n" " "; echo; done | sort'
	assert_output "lat=35.6762000 gps_source=exif sidecar=export/h.jpg.xmp offset_source=gps 
lat=35.6762000 gps_source=sidecar sidecar=export/c.jpg.xmp offset_source=tags 
lat=35.6762000 gps_source=sidecar sidecar=export/f.jpg.xmp offset_source=gps 
lat=40.7128000 gps_source=sidecar sidecar=export/b.xmp offset_source=gps 
lat=48.8566000 gps_source=exif sidecar=export/a.jpg.xmp offset_source=explicit 
lat=48.8566000 gps_source=exif sidecar=export/d.jpg.xmp offset_source=gps 
lat=48.8566000 gps_source=sidecar sidecar=export/k.webp.xmp offset_source=gps 
sidecar=export/g.xmp offset_source=explicit "
	run -0 mem-exif -o out < records
	o=out/export/media
	cmp export/a.jpg.xmp $o/folder-export-20150607.jpg.xmp
	cmp export/c.jpg.xmp $o/folder-export-20200102.jpg.xmp
	cmp export/f.jpg.xmp $o/folder-export-20180506.jpg.xmp
	cmp export/g.xmp $o/folder-export-20140203.mp4.xmp
	# a date of no zone, zoned at the place: only "-04:00" and "+01:00" added
	run -0 diff <(sed 's/09:10:11-04:00/09:10:11/' $o/folder-export-20160708.jpg.xmp) export/b.xmp
	run -0 diff <(sed 's/05:06:07+01:00/05:06:07/' $o/folder-export-20170304.jpg.xmp) export/d.jpg.xmp
	# and a date as darktable writes it (EXIF's colons), "+09:00" added
	run -0 diff <(sed 's/16:45:14+09:00/16:45:14/' $o/folder-export-20190616.jpg.xmp) export/h.jpg.xmp
	run -0 exiftool -q -q -p '$XMP-exif:DateTimeOriginal' $o/folder-export-20190616.jpg.xmp
	assert_output "2019:06:16 16:45:14+09:00"
	run -0 exiftool -q -q -p '$DateCreated' $o/folder-export-20160708.jpg.xmp
	assert_output "2016:07:08 09:10:11-04:00"
	run -0 exiftool -q -q -p '$XMP-xmp:CreateDate' $o/folder-export-20170304.jpg.xmp
	assert_output "2017:03:04 05:06:07+01:00"
	# a WebP's sidecar of no date: the record's, zoned, in a Description
	# of ours first in its rdf:RDF; the rest of it byte for byte
	x=$o/folder-export-20210304.webp.xmp
	xmllint --noout $x
	run -0 diff <(sed '/^ <rdf:Description rdf:about=""$/,/\/>$/d' $x) export/k.webp.xmp
	run -0 exiftool -q -q -p '$XMP-exif:DateTimeOriginal|$XMP-xmp:CreateDate|$XMP-photoshop:DateCreated|$Description|$Rating' $x
	assert_output "2021:03:04 05:06:07+01:00|2021:03:04 05:06:07+01:00|2021:03:04 05:06:07+01:00|Seine|2"
	# the media: as they were, but f.jpg's wall clock, given the zone of
	# its sidecar's place
	for r in out/.mem/items/*.item; do
		src=$(nul_list "$r" | sed -n 's/^source=//p')
		dst=$(nul_list "$r" | sed -n 's/^dest=//p')
		[ "${src##*/}" = f.jpg ] || cmp "$src" "out/$dst"
	done
	run -0 exiftool -q -q -p '$DateTimeOriginal $OffsetTimeOriginal' $o/folder-export-20180506.jpg
	assert_output "2018:05:06 07:08:09 +09:00"
}

@test "a user's sidecar with no date but a GPS clock dates its photo by that instant (Immich's last date tag, taken over the file's dates), zoned by the sidecar's place only; mem-exif carries it and the photos as they are" {
	mkdir export
	gps_clock_sidecar_files export
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "p.jpg 2019-05-02T08:00:00Z +02:00 sidecar
q.jpg 2019-05-03T08:00:00Z +00:00 sidecar
r.webp 2019-05-04T08:00:00Z +09:00 sidecar"
	[ "$(field out "$PWD/export/q.jpg" offset_source)" = explicit ]
	[ "$(field out "$PWD/export/r.webp" offset_source)" = tags ]
	run -0 mem-exif -o out < records
	left_as_they_are
}

@test "a GIF dated by an editor's XMP (an application extension, before its images or past them) is dated and placed by it, as exiftool reads it; one without by its mtime; mem-exif leaves each as it is, and gives a sidecar only to the wall clock zoned at its place" {
	mkdir export
	gif_xmp_files export
	run -0 sh -c "exiftool -use MWG -q -q -f -p '\$FileName \$DateTimeOriginal' export | sort"
	assert_output "late.gif 2013:03:04 05:06:07
plain.gif -
x.gif 2015:06:07 08:09:10+02:00"
	mem-scan -o out --records export > records
	run -0 record_dates out
	assert_output "late.gif 2013-03-04T04:06:07Z +01:00 exif
plain.gif 2020-02-02T02:02:02Z +00:00 mtime
x.gif 2015-06-07T06:09:10Z +02:00 exif"
	[ "$(field out "$PWD/export/late.gif" lat)" = 48.8566000 ]
	[ "$(field out "$PWD/export/late.gif" offset_source)" = gps ]
	run -0 mem-exif -o out < records
	left_as_they_are gif
	run -0 sh -c 'cd out/export/media && ls *.xmp'
	assert_output "folder-export-20130304.gif.xmp"
	run -0 exiftool -q -q -p '$DateTimeOriginal' out/export/media/folder-export-20130304.gif.xmp
	assert_output "2013:03:04 05:06:07+01:00"
}
