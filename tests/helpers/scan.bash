# scan.bash -- fixtures and readers for the tests/mem-scan*.bats suites.

# record_of OUT SOURCE: the record whose source is SOURCE, one field a line,
# without its id (checked apart); nothing when there is none.
record_of() {
	local f
	for f in "$1"/.mem/items/*.item; do
		[ -e "$f" ] || continue
		if tr '\0' '\n' < "$f" | grep -qxF "source=$2"; then
			tr '\0' '\n' < "$f" | grep -v '^id='
			return 0
		fi
	done
	return 1
}

# record_dates OUT: "name time offset time_source" of each record, sorted.
record_dates() {
	local f
	for f in "$1"/.mem/items/*.item; do
		nul_list "$f" | awk -F= '
			$1 == "source" { n = split($2, p, "/"); s = p[n] }
			$1 == "time" || $1 == "offset" || $1 == "time_source" { v[$1] = $2 }
			END { print s, v["time"], (v["offset"] ? v["offset"] : "-"), v["time_source"] }'
	done | sort
}

# zone_hour_jpegs DIR: eight JPEGs taken at 2016:08:12 13:28:50, each
# zoned by an EXIF TimeZoneOffset or not: a.jpg 9, b.jpg "9 8" (ModifyDate's
# second), c.jpg -4, d.jpg 9 beside OffsetTimeDigitized +02:00, e.jpg 0,
# g.jpg 20 (no offset there is), h.jpg 5 in IFD0, i.jpg "-5 -4".
zone_hour_jpegs() {
	local f
	for f in a b c d e g h i; do
		make_jpeg "$1/$f.jpg"
		exiftool -q -overwrite_original '-DateTimeOriginal=2016:08:12 13:28:50' "$1/$f.jpg"
	done
	exiftool -q -overwrite_original -TimeZoneOffset=9 "$1/a.jpg"
	exiftool -q -overwrite_original '-TimeZoneOffset=9 8' "$1/b.jpg"
	exiftool -q -overwrite_original -TimeZoneOffset=-4 "$1/c.jpg"
	exiftool -q -overwrite_original -TimeZoneOffset=9 -OffsetTimeDigitized=+02:00 "$1/d.jpg"
	exiftool -q -overwrite_original -TimeZoneOffset=0 "$1/e.jpg"
	exiftool -q -overwrite_original -TimeZoneOffset=20 "$1/g.jpg"
	exiftool -q -overwrite_original -IFD0:TimeZoneOffset=5 "$1/h.jpg"
	exiftool -q -overwrite_original '-TimeZoneOffset=-5 -4' "$1/i.jpg"
}

# left_as_they_are [EXT]: mem-exif's outputs in out/export/media are the
# files of export (those named *.EXT) byte for byte, as a set of contents
# (their names differ).
left_as_they_are() {
	[ "$(cd export && sha1sum -- *"${1:+.$1}" | cut -d' ' -f1 | sort)" = \
		"$(cd out/export/media && sha1sum -- *"${1:+.$1}" | cut -d' ' -f1 | sort)" ]
}

# junk_offset_files DIR: files whose dates carry offsets that are no zone in
# use (exiftool-vendored's ValidTimezoneOffsets lack them: it parses such a
# date as none), each taken at 2016:08:12 13:28:50 unless said:
#   a.jpg b.jpg c.jpg e.jpg  OffsetTimeOriginal +01:30, -12:00, +02:30, +03:17
#   d.jpg h.jpg	+08:45 and +14:00, which are in use
#   f.jpg	+01:30, beside CreateDate and OffsetTimeDigitized +02:00
#   p.jpg	+01:30 in 2017, EXIF GPS in Paris
#   g.jpg	only XMP-exif:DateTimeOriginal 2015-08-12T13:28:50+01:30
#   m.mov	Apple's creationdate 2018:07:01 22:30:00+01:30, its mvhd's
#		2018-07-02T02:30:00Z
#   z03.MTS z2b.MTS z1e.MTS  MDPM 2021-01-15 09:45:59 at +01:30, -05:30,
#		+15:00 (zone bytes 0x03, 0x2b, 0x1e)
junk_offset_files() {
	local f z
	for f in a b c d e f h; do
		make_jpeg "$1/$f.jpg"
		exiftool -q -overwrite_original '-DateTimeOriginal=2016:08:12 13:28:50' "$1/$f.jpg"
	done
	exiftool -q -overwrite_original -OffsetTimeOriginal=+01:30 "$1/a.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=-12:00 "$1/b.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+02:30 "$1/c.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+08:45 "$1/d.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+03:17 "$1/e.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+01:30 -OffsetTimeDigitized=+02:00 \
		'-CreateDate=2016:08:12 13:28:50' "$1/f.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+14:00 "$1/h.jpg"
	make_jpeg "$1/p.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2017:08:12 13:28:50' -OffsetTimeOriginal=+01:30 \
		-GPSLatitude=48.8566 -GPSLatitudeRef=N -GPSLongitude=2.3522 -GPSLongitudeRef=E "$1/p.jpg"
	make_jpeg "$1/g.jpg"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2015:08:12 13:28:50+01:30' "$1/g.jpg"
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-metadata creation_time=2018-07-02T02:30:00Z -f mov "$1/m.mov"
	exiftool -q -overwrite_original '-Keys:CreationDate=2018:07:01 22:30:00+01:30' "$1/m.mov"
	for z in 03 2b 1e; do
		ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 -c:v libx264 \
			-bsf:v "filter_units=remove_types=6,h264_metadata=sei_user_data=17ee8c60-f84d-11d9-8cd6-0800200c9a66+$(printf "MDPM\x02\x18\x$z\x20\x21\x01\x19\x15\x09\x45\x59")" \
			-f mpegts -mpegts_m2ts_mode 1 "$1/z$z.MTS"
	done
	touch -d '2020-02-02 02:02:02Z' "$1"/*
}

# own_offset_files DIR: files whose date carries its own offset but no zone
# tag, and a Canon JPEG whose maker note's zone is not its offset tag's:
#   xmp.jpg	XMP-exif:DateTimeOriginal 2011-02-03T04:05:06-03:00, EXIF GPS
#		in Paris (Immich shows it at Europe/Paris)
#   iptc.jpg	IPTC 2012:03:04 05:06:07-05:00, EXIF GPS in Tokyo
#   placed.mov	Apple's creationdate 2023:07:01 22:30:00-04:00, Keys GPS in
#		Paris: 04:30 on July 2 there
#   unplaced.mov the same date, no place: shown at its own -04:00
#   zoned.jpg	XMP date -03:00 as xmp.jpg, no GPS, EXIF OffsetTimeOriginal
#		+09:00 (the zone tags' zone shows it)
#   canon.jpg	the corpus's canon_hdr_NO.jpg (maker note TimeZone +01:00)
#		with OffsetTimeOriginal +09:00: its instant by +09:00, shown
#		at +01:00
own_offset_files() {
	local d=$1 corpus=${MEM_CORPUS:-$REPO/../shared/corpus}
	make_jpeg "$d/xmp.jpg"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2011-02-03T04:05:06-03:00' \
		-GPSLatitude=48.8566 -GPSLatitudeRef=N -GPSLongitude=2.3522 -GPSLongitudeRef=E "$d/xmp.jpg"
	make_jpeg "$d/iptc.jpg"
	exiftool -q -overwrite_original -IPTC:DateCreated=2012:03:04 -IPTC:TimeCreated=05:06:07-05:00 \
		-GPSLatitude=35.6762 -GPSLatitudeRef=N -GPSLongitude=139.6503 -GPSLongitudeRef=E "$d/iptc.jpg"
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-metadata creation_time=2023-07-02T02:30:00Z -f mov "$d/unplaced.mov"
	exiftool -q -overwrite_original '-Keys:CreationDate=2023:07:01 22:30:00-04:00' "$d/unplaced.mov"
	cp "$d/unplaced.mov" "$d/placed.mov"
	exiftool -q -overwrite_original '-Keys:GPSCoordinates=48.8566, 2.3522, 35' "$d/placed.mov"
	make_jpeg "$d/zoned.jpg"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2011-02-03T04:05:06-03:00' \
		-OffsetTimeOriginal=+09:00 "$d/zoned.jpg"
	cp "$corpus/ianare+exif-samples/jpg/hdr/canon_hdr_NO.jpg" "$d/canon.jpg"
	exiftool -q -overwrite_original -OffsetTimeOriginal=+09:00 "$d/canon.jpg"
}

# subsec_jpegs DIR: JPEGs whose EXIF dates are DateTimeOriginal 1985:06:01
# 10:00:00 and CreateDate 2021:03:04 10:00:00, and beside them:
#   od.jpg	OffsetTimeDigitized +02:00 (CreateDate's)
#   sd.jpg	SubSecTimeDigitized 12 (CreateDate's)
#   both.jpg	SubSecTimeOriginal 00 and SubSecTimeDigitized 12
#   bare.jpg	nothing
subsec_jpegs() {
	local f
	for f in od sd both bare; do
		make_jpeg "$1/$f.jpg"
		exiftool -q -overwrite_original '-DateTimeOriginal=1985:06:01 10:00:00' \
			'-CreateDate=2021:03:04 10:00:00' "$1/$f.jpg"
	done
	exiftool -q -overwrite_original -OffsetTimeDigitized=+02:00 "$1/od.jpg"
	exiftool -q -overwrite_original -SubSecTimeDigitized=12 "$1/sd.jpg"
	exiftool -q -overwrite_original -SubSecTimeOriginal=00 -SubSecTimeDigitized=12 "$1/both.jpg"
}

# video_xmp_files DIR: videos with an editor's XMP (exiftool puts it where
# Adobe's tools do: an MP4's top-level uuid box, a MOV's udta XMP_), their
# mvhd at 2018-07-02T02:30:00Z unless said:
#   v1.mp4	xmp:CreateDate 2011-02-03T04:05:06+02:00
#   v2.mp4	the same in 2012, no mvhd date
#   v3.mov	exif:DateTimeOriginal 2010-02-03T04:05:06+01:00 and Apple's
#		creationdate 2019-07-01T22:30:00-04:00
#   v4.mov	xmp:CreateDate 2010-02-03T04:05:06+01:00 and the same
#		creationdate (in 2016, to keep the days apart)
#   v5.mp4	photoshop:DateCreated 2009-02-03T04:05:06 (no zone)
#   v6.mp4	xmp:CreateDate 2008-02-03T04:05:06 (no zone), XMP GPS in Paris
video_xmp_files() {
	local d=$1 v
	for v in v1.mp4 v2.mp4 v3.mov v4.mov v5.mp4 v6.mp4; do
		if [ "$v" = v2.mp4 ]; then
			ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 "$d/$v"
		else
			ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
				-metadata creation_time=2018-07-02T02:30:00Z "$d/$v"
		fi
	done
	exiftool -q -overwrite_original '-XMP-xmp:CreateDate=2011-02-03T04:05:06+02:00' "$d/v1.mp4"
	exiftool -q -overwrite_original '-XMP-xmp:CreateDate=2012-02-03T04:05:06+02:00' "$d/v2.mp4"
	exiftool -q -overwrite_original '-Keys:CreationDate=2019:07:01 22:30:00-04:00' \
		'-XMP-exif:DateTimeOriginal=2010-02-03T04:05:06+01:00' "$d/v3.mov"
	exiftool -q -overwrite_original '-Keys:CreationDate=2016:07:01 22:30:00-04:00' \
		'-XMP-xmp:CreateDate=2010-02-03T04:05:06+01:00' "$d/v4.mov"
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=2009-02-03T04:05:06' "$d/v5.mp4"
	exiftool -q -overwrite_original '-XMP-xmp:CreateDate=2008-02-03T04:05:06' \
		-XMP-exif:GPSLatitude=48.8566 -XMP-exif:GPSLongitude=2.3522 "$d/v6.mp4"
	touch -d '2020-02-02 02:02:02Z' "$d"/*
}

# xmp_place_files DIR: files placed only by their XMP's exif:GPSLatitude and
# GPSLongitude (as exiftool writes them: "48,51.396N"):
#   wall.jpg	EXIF DateTimeOriginal 2016:08:12 13:28:50, no offset; Paris
#   zoned.jpg	EXIF 2017:08:12 13:28:50, OffsetTimeOriginal -03:00; Tokyo
#   own.jpg	only XMP-exif:DateTimeOriginal 2018-08-12T13:28:50-03:00; Paris
#   shot.png	only XMP-photoshop:DateCreated 2019-08-12T13:28:50; Paris
#   both.jpg	EXIF 2015:08:12 13:28:50 and GPS in Tokyo, XMP GPS in Paris
xmp_place_files() {
	local d=$1 paris='-XMP-exif:GPSLatitude=48.8566 -XMP-exif:GPSLongitude=2.3522'
	make_jpeg "$d/wall.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2016:08:12 13:28:50' $paris "$d/wall.jpg"
	make_jpeg "$d/zoned.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2017:08:12 13:28:50' -OffsetTimeOriginal=-03:00 \
		-XMP-exif:GPSLatitude=35.6762 -XMP-exif:GPSLongitude=139.6503 "$d/zoned.jpg"
	make_jpeg "$d/own.jpg"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2018-08-12T13:28:50-03:00' $paris "$d/own.jpg"
	ffmpeg -nostdin -loglevel error -f lavfi -i color=red:s=32x32 -frames:v 1 "$d/shot.png"
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=2019-08-12T13:28:50' $paris "$d/shot.png"
	make_jpeg "$d/both.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2015:08:12 13:28:50' \
		-GPSLatitude=35.6762 -GPSLatitudeRef=N -GPSLongitude=139.6503 -GPSLongitudeRef=E $paris "$d/both.jpg"
	touch -d '2020-02-02 02:02:02Z' "$d"/*
}

# user_sidecar_files DIR: photos and a video with a user's XMP sidecar
# (darktable's X.jpg.xmp, Lightroom's X.xmp), each photo with EXIF
# 2020:01:02 03:04:05 +02:00 and GPS in Paris unless said:
#   a.jpg	a.jpg.xmp: exif:DateTimeOriginal 2015-06-07T08:09:10+05:00, rated 4
#   b.jpg	b.xmp: photoshop:DateCreated 2016-07-08T09:10:11, GPS New York
#   c.jpg	c.jpg.xmp: GPS Tokyo and a description, no date
#   d.jpg	d.jpg.xmp: xmp:CreateDate 2017-03-04T05:06:07, no place
#   f.jpg	EXIF 2018:05:06 07:08:09, no offset, no GPS; f.jpg.xmp: GPS Tokyo
#   g.mp4	creation_time 2012-01-01T00:00:00Z; g.xmp:
#		exif:DateTimeOriginal 2014-02-03T04:05:06-03:00
#   h.jpg	GPS in Tokyo; h.jpg.xmp as darktable writes it: its
#		exif:DateTimeOriginal "2019:06:16 16:45:14", as EXIF writes dates
#   k.webp	EXIF 2021:03:04 05:06:07, no offset, no GPS (a format mem-exif
#		writes no date into); k.webp.xmp: GPS in Paris, a caption and
#		a rating, no date
user_sidecar_files() {
	local d=$1 x
	for x in a:40 b:42 c:44 d:46; do	# distinct bytes: Immich keeps one of equal files
		make_jpeg "$d/${x%:*}.jpg" "64x${x#*:}"
		x=${x%:*}
		exiftool -q -overwrite_original '-DateTimeOriginal=2020:01:02 03:04:05' \
			-OffsetTimeOriginal=+02:00 -GPSLatitude=48.8566 -GPSLatitudeRef=N \
			-GPSLongitude=2.3522 -GPSLongitudeRef=E "$d/$x.jpg"
	done
	make_jpeg "$d/f.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2018:05:06 07:08:09' "$d/f.jpg"
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
		-metadata creation_time=2012-01-01T00:00:00Z "$d/g.mp4"
	exiftool -q -o "$d/a.jpg.xmp" '-XMP-exif:DateTimeOriginal=2015-06-07T08:09:10+05:00' \
		-XMP-xmp:Rating=4
	exiftool -q -o "$d/b.xmp" '-XMP-photoshop:DateCreated=2016-07-08T09:10:11' \
		-XMP-exif:GPSLatitude=40.7128 -XMP-exif:GPSLongitude=-74.006
	exiftool -q -o "$d/c.jpg.xmp" -XMP-exif:GPSLatitude=35.6762 \
		-XMP-exif:GPSLongitude=139.6503 '-XMP-dc:Description=Tokyo tower'
	exiftool -q -o "$d/d.jpg.xmp" '-XMP-xmp:CreateDate=2017-03-04T05:06:07'
	exiftool -q -o "$d/f.jpg.xmp" -XMP-exif:GPSLatitude=35.6762 -XMP-exif:GPSLongitude=139.6503
	exiftool -q -o "$d/g.xmp" '-XMP-exif:DateTimeOriginal=2014-02-03T04:05:06-03:00'
	make_jpeg "$d/h.jpg" 64x50
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:01:02 03:04:05' \
		-OffsetTimeOriginal=+02:00 -GPSLatitude=35.6762 -GPSLatitudeRef=N \
		-GPSLongitude=139.6503 -GPSLongitudeRef=E "$d/h.jpg"
	cat > "$d/h.jpg.xmp" <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
	 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
	  <rdf:Description rdf:about=""
	    xmlns:exif="http://ns.adobe.com/exif/1.0/"
	    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
	    xmlns:darktable="http://darktable.sf.net/"
	   exif:DateTimeOriginal="2019:06:16 16:45:14"
	   xmp:Rating="3"
	   darktable:xmp_version="5"/>
	 </rdf:RDF>
	</x:xmpmeta>
	EOF
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x52 -frames:v 1 "$d/k.webp"
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:03:04 05:06:07' "$d/k.webp"
	exiftool -q -o "$d/k.webp.xmp" -XMP-exif:GPSLatitude=48.8566 -XMP-exif:GPSLongitude=2.3522 \
		-XMP-xmp:Rating=2 '-XMP-dc:Description=Seine'
	touch -d '2020-02-02 02:02:02Z' "$d"/*
}

# gps_clock_sidecar_files DIR: photos whose user's sidecar has no date but a
# GPS clock (exif:GPSTimeStamp, exiftool's GPSDateTime), Immich's last date
# tag, which it takes over the file's own dates:
#   p.jpg	EXIF 2020:01:02 03:04:05 +02:00; p.jpg.xmp: 2019-05-02T08:00:00Z
#		and GPS in Paris
#   q.jpg	EXIF 2020:01:03 03:04:05 +02:00 and GPS in Tokyo; q.jpg.xmp:
#		2019-05-03T08:00:00Z, no place
#   r.webp	EXIF 2021:03:04 05:06:07, no offset; r.webp.xmp:
#		2019-05-04T08:00:00Z and GPS in Tokyo
gps_clock_sidecar_files() {
	local d=$1
	make_jpeg "$d/p.jpg" 64x40
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:01:02 03:04:05' \
		-OffsetTimeOriginal=+02:00 "$d/p.jpg"
	exiftool -q -o "$d/p.jpg.xmp" '-XMP-exif:GPSDateTime=2019:05:02 08:00:00Z' \
		-XMP-exif:GPSLatitude=48.8566 -XMP-exif:GPSLongitude=2.3522
	make_jpeg "$d/q.jpg" 64x42
	exiftool -q -overwrite_original '-DateTimeOriginal=2020:01:03 03:04:05' \
		-OffsetTimeOriginal=+02:00 -GPSLatitude=35.6762 -GPSLatitudeRef=N \
		-GPSLongitude=139.6503 -GPSLongitudeRef=E "$d/q.jpg"
	exiftool -q -o "$d/q.jpg.xmp" '-XMP-exif:GPSDateTime=2019:05:03 08:00:00Z'
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x44 -frames:v 1 "$d/r.webp"
	exiftool -q -overwrite_original '-DateTimeOriginal=2021:03:04 05:06:07' "$d/r.webp"
	exiftool -q -o "$d/r.webp.xmp" '-XMP-exif:GPSDateTime=2019:05:04 08:00:00Z' \
		-XMP-exif:GPSLatitude=35.6762 -XMP-exif:GPSLongitude=139.6503
	touch -d '2020-02-02 02:02:02Z' "$d"/*
}

# gif_xmp_files DIR: GIFs dated by an editor's XMP (an application
# extension), which exiftool reads:
#   x.gif	exif:DateTimeOriginal 2015-06-07T08:09:10+02:00, before the image
#		(where exiftool writes it)
#   late.gif	five frames, then photoshop:DateCreated 2013-03-04T05:06:07
#		and XMP GPS in Paris (gifxmp.py moves it past them)
#   plain.gif	no XMP: its mtime, 2020-02-02T02:02:02Z
gif_xmp_files() {
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 "$1/x.gif"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2015-06-07T08:09:10+02:00' "$1/x.gif"
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x40:rate=5 -t 1 "$1/a5.gif"
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=2013-03-04T05:06:07' \
		-XMP-exif:GPSLatitude=48.8566 -XMP-exif:GPSLongitude=2.3522 "$1/a5.gif"
	python3 "$REPO/tests/helpers/gifxmp.py" "$1/a5.gif" "$1/late.gif"
	rm "$1/a5.gif"
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=48x32 -frames:v 1 "$1/plain.gif"
	touch -d '2020-02-02 02:02:02Z' "$1"/*.gif
}

# heif_xmp_files DIR: HEICs dated only by their XMP item (an iPhone's HEIC
# of the corpus, its EXIF taken out, an editor's XMP put in):
#   x.heic	exif:DateTimeOriginal 2013-04-05T06:07:08+03:00
#   w.heic	photoshop:DateCreated 2012-01-02T03:04:05 (a wall clock)
heif_xmp_files() {
	local src=${MEM_CORPUS:-$REPO/../shared/corpus}/immich-app+test-assets/formats/heic/IMG_2682.heic
	cp "$src" "$1/x.heic"
	cp "$src" "$1/w.heic"
	exiftool -q -overwrite_original -EXIF:all= '-XMP-exif:DateTimeOriginal=2013-04-05T06:07:08+03:00' "$1/x.heic"
	exiftool -q -overwrite_original -EXIF:all= '-XMP-photoshop:DateCreated=2012-01-02T03:04:05' "$1/w.heic"
	touch -d '2020-02-02 02:02:02Z' "$1"/*.heic
}

# chunk_date_files DIR: PNGs dated only by a chunk exiftool reads that is no
# eXIf or uncompressed XMP before the image data (tests/helpers/pngchunks.py):
#   late.png	XMP past IDAT: exif:DateTimeOriginal 2019-05-01T10:00:00+02:00
#   zlate.png	compressed XMP past IDAT, a tEXt after it: xmp:CreateDate
#		2018-03-04T05:06:07-03:00
#   zfirst.png	compressed XMP before IDAT: photoshop:DateCreated
#		2017-02-03T04:05:06 (a wall clock)
#   exif.png	an eXIf past IDAT: DateTimeOriginal 2016:01:02 03:04:05,
#		OffsetTimeOriginal +09:00
#   magick.png	ImageMagick's "Raw profile type exif" (a zTXt of hex lines):
#		DateTimeOriginal 2014:03:04 05:06:07, OffsetTimeOriginal +01:00
#   app1.png	its "Raw profile type APP1" (a tEXt) of an XMP segment:
#		xmp:CreateDate 2015-06-07T08:09:10+05:30
#   none.png	only a tEXt past IDAT: no date (its mtime, 2020-02-02)
# and WebPs dated only by their XMP chunk:
#   xmp.webp	exif:DateTimeOriginal 2013-05-01T10:00:00+02:00
#   wall.webp	photoshop:DateCreated 2012-05-01T10:00:00 (a wall clock)
chunk_date_files() {
	local d=$1 w=$BATS_TEST_TMPDIR/late-png
	mkdir -p "$w"
	ffmpeg -nostdin -loglevel error -f lavfi -i color=red:s=32x32 -frames:v 1 "$w/base.png"
	xmp_packet() {
		printf '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:%s="%s" %s:%s="%s"/></rdf:RDF></x:xmpmeta>' \
			"$1" "$2" "$1" "$3" "$4"
	}
	xmp_packet exif http://ns.adobe.com/exif/1.0/ DateTimeOriginal 2019-05-01T10:00:00+02:00 > "$w/a.xmp"
	xmp_packet xmp http://ns.adobe.com/xap/1.0/ CreateDate 2018-03-04T05:06:07-03:00 > "$w/b.xmp"
	xmp_packet photoshop http://ns.adobe.com/photoshop/1.0/ DateCreated 2017-02-03T04:05:06 > "$w/c.xmp"
	make_jpeg "$w/e.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2016:01:02 03:04:05' -OffsetTimeOriginal=+09:00 "$w/e.jpg"
	exiftool -q -b -EXIF "$w/e.jpg" > "$w/e.exif"
	make_jpeg "$w/m.jpg"
	exiftool -q -overwrite_original '-DateTimeOriginal=2014:03:04 05:06:07' -OffsetTimeOriginal=+01:00 "$w/m.jpg"
	{ printf 'Exif\0\0'; exiftool -q -b -EXIF "$w/m.jpg"; } > "$w/m.exif"
	{ printf 'http://ns.adobe.com/xap/1.0/\0'; xmp_packet xmp http://ns.adobe.com/xap/1.0/ CreateDate 2015-06-07T08:09:10+05:30; } > "$w/app1"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/late.png" "after:xmp:$w/a.xmp"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/zlate.png" "after:zxmp:$w/b.xmp" \
		after:text:Comment=edited
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/zfirst.png" "before:zxmp:$w/c.xmp"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/exif.png" "after:exif:$w/e.exif"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/magick.png" "before:raw:exif:$w/m.exif"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/app1.png" "before:rawtext:APP1:$w/app1"
	python3 "$REPO/tests/helpers/pngchunks.py" "$w/base.png" "$d/none.png" after:text:Comment=none
	ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48 -frames:v 1 -c:v libwebp "$d/xmp.webp"
	cp "$d/xmp.webp" "$d/wall.webp"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=2013-05-01T10:00:00+02:00' "$d/xmp.webp"
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=2012-05-01T10:00:00' "$d/wall.webp"
	touch -d '2020-02-02 02:02:02Z' "$d"/*.png "$d"/*.webp
}

# old_camera_files DIR: photos dated outside EXIF, as cameras before EXIF
# 2.2 (and trail cameras) keep it, and two with a later date beside it:
#   powershot.jpg  the corpus's Canon PowerShot A5 JPEG: CIFF in APP0,
#		   TimeStamp 2000:10:27 22:56:26
#   casio.jpg	   the corpus's Casio QV-7000SX JPEG: APP1 QVCI,
#		   1998:10:24 12:08:57
#   olympus.jpg	   the corpus's Olympus D320L JPEG: APP12 picture info,
#		   TimeDate 1998:10:29 22:06:59
#   reconyx.jpg	   the corpus's Reconyx HC500 JPEG: its maker note's
#		   2020:03:16 10:00:00, no EXIF date
#   le.crw, be.crw made Canon CRWs (raws.py), little- and big-endian:
#		   2003:04:05 06:07:08 and 2004:05:06 07:08:09
#   casio-xmp.jpg  casio.jpg with XMP photoshop:DateCreated
#		   2001-02-03T04:05:06 (exiftool's MWG date: it wins)
#   casio-exif.jpg casio.jpg with EXIF DateTimeOriginal 2002:03:04
#		   05:06:07 (EXIF's wins)
old_camera_files() {
	local d=$1 corpus=${MEM_CORPUS:-$REPO/../shared/corpus}
	cp "$corpus/ianare+exif-samples/jpg/exif-org/sony-powershota5.jpg" "$d/powershot.jpg"
	cp "$corpus/exiftool+exiftool/t/images/CasioQVCI.jpg" "$d/casio.jpg"
	cp "$corpus/ianare+exif-samples/jpg/exif-org/olympus-d320l.jpg" "$d/olympus.jpg"
	cp "$corpus/ianare+exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg" "$d/reconyx.jpg"
	python3 "$REPO/tests/helpers/raws.py" crw "$d/le.crw" '2003:04:05 06:07:08' II
	python3 "$REPO/tests/helpers/raws.py" crw "$d/be.crw" '2004:05:06 07:08:09' MM
	exiftool -q -o "$d/casio-xmp.jpg" '-XMP-photoshop:DateCreated=2001-02-03T04:05:06' "$d/casio.jpg"
	exiftool -q -o "$d/casio-exif.jpg" '-DateTimeOriginal=2002:03:04 05:06:07' "$d/casio.jpg"
}

# cr3_zone_files DIR: Canon CR3s (raws.py) taken at 2021:05:06 07:08:09:
#   z.CR3	OffsetTimeOriginal +02:00, its maker note's TimeZone +01:00
#		(Canon keeps summer time apart: exiftool-vendored shows it
#		at +01:00, its instant by +02:00)
#   n.CR3	its maker note's TimeZone -05:00 only
#   g.CR3	no zone, its GPS IFD in Paris (+02:00 then)
cr3_zone_files() {
	local raws=$REPO/tests/helpers/raws.py
	python3 "$raws" cr3 "$1/z.CR3" '2021:05:06 07:08:09' +02:00 60
	python3 "$raws" cr3 "$1/n.CR3" '2021:05:06 07:08:09' - -300
	python3 "$raws" cr3 "$1/g.CR3" '2021:05:06 07:08:09' - - 48.8566,2.3522
}

# tiff_later_files DIR: TIFFs dated only past EXIF, as a scan is once its
# date is set in an editor (exiftool writes them as Photoshop does):
#   xmp.tif	XMP photoshop:DateCreated 1975:06:07 10:00:00
#   iptc.tif	IPTC DateCreated 1980:01:02, TimeCreated 03:04:05+02:00
#   both.tif	XMP exif:DateTimeOriginal 1990:01:02 03:04:05-03:00 and
#		xmp:CreateDate 1991:01:01 00:00:00 (MWG's order: the first)
tiff_later_files() {
	local f
	for f in xmp iptc both; do
		ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=1 -frames:v 1 \
			"$1/$f.tif"
	done
	exiftool -q -overwrite_original '-XMP-photoshop:DateCreated=1975:06:07 10:00:00' "$1/xmp.tif"
	exiftool -q -overwrite_original -IPTC:DateCreated=1980:01:02 \
		-IPTC:TimeCreated=03:04:05+02:00 "$1/iptc.tif"
	exiftool -q -overwrite_original '-XMP-exif:DateTimeOriginal=1990:01:02 03:04:05-03:00' \
		'-XMP-xmp:CreateDate=1991:01:01 00:00:00' "$1/both.tif"
}

# record_shown OUT: each record's instant and the wall clock it is shown
# at (the time moved by its offset; without one, the time), as Immich's
# API gives them ("2023-07-02T02:30:00+00:00", "...T04:30:00.000Z"),
# tab-separated, sorted.
record_shown() {
	record_dates "$1" | python3 -c '
import sys, datetime
for l in sys.stdin:
    name, t, off = l.split()[:3]
    u = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
    m = 0 if off == "-" else (int(off[1:3]) * 60 + int(off[4:6])) * (1 if off[0] == "+" else -1)
    print(u.strftime("%Y-%m-%dT%H:%M:%S+00:00") + "\t" +
          (u + datetime.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
' | sort
}

# field OUT SOURCE KEY: the values of KEY in SOURCE's record.
field() {
	record_of "$1" "$2" | sed -n "s/^$3=//p"
}

# sidecar FILE TITLE EPOCH [LAT LON ALT]: a Google Photos JSON sidecar.
sidecar() {
	local geo='"latitude": 0.0, "longitude": 0.0, "altitude": 0.0'
	[ $# -ge 6 ] && geo="\"latitude\": $4, \"longitude\": $5, \"altitude\": $6"
	mkdir -p "$(dirname "$1")"
	printf '{\n  "title": "%s",\n  "description": "",\n  "photoTakenTime": {"timestamp": "%s", "formatted": ""},\n  "creationTime": {"timestamp": "1700000000", "formatted": ""},\n  "geoData": {%s},\n  "geoDataExif": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0}\n}\n' \
	    "$2" "$3" "$geo" > "$1"
}

# media FILE [TEXT]: a small file of distinct content (mem-scan only reads
# the media it must date by itself).
media() {
	mkdir -p "$(dirname "$1")"
	printf 'media %s\n' "${2:-$1}" > "$1"
}

# jpeg_at FILE 'YYYY:MM:DD HH:MM:SS' [OFFSET]: a real JPEG with EXIF dates.
jpeg_at() {
	mkdir -p "$(dirname "$1")"
	make_jpeg "$1" &&
	if [ -n "${3:-}" ]; then
		exiftool -q -overwrite_original "-DateTimeOriginal=$2" "-OffsetTimeOriginal=$3" "$1"
	else
		exiftool -q -overwrite_original "-DateTimeOriginal=$2" "$1"
	fi
}

# memo_doctor CACHE OLD NEW: in place, the one answer in memo.cache holding
# the 8-byte value OLD (a sidecar's time, a photo's wall clock) says NEW
memo_doctor() {
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
p, old, new = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = open(p, 'rb').read()
o, n = struct.pack('<q', old), struct.pack('<q', new)
assert b.count(o) == 1, b.count(o)
open(p, 'r+b').write(b.replace(o, n))
PY
}

# the report of an export as compact JSON lines, for grep
report() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
for e in r["failed_matching"]["orphaned_media"]: print("media", e["context"]["relative_path"], "|", e["reason"])
for e in r["failed_matching"]["orphaned_metadata"]: print("meta", e["context"]["metadata_file"], "|", e["reason"])
for e in r["failed_processing"]: print("failed", e["file_path"], "|", e["reason"])' "$1/$2/issues/failure-report.json"
}
