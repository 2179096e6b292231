#!/usr/bin/env bats
# mem-scan on exports as the platforms deliver them: zip and tar parts. Each
# platform's export is scanned from its directory and from its archives; the
# records must be the same field by field but for where the media lie
# (tests/helpers/records-compare.py). Then every kind of bad archive.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/scan

setup_file() {
	load helpers/common
	mksample "$BATS_FILE_TMPDIR/s" > /dev/null
	mksample "$BATS_FILE_TMPDIR/m" --only-messages > /dev/null
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	S=$BATS_FILE_TMPDIR/s
	M=$BATS_FILE_TMPDIR/m
	A=$REPO/tests/helpers/archives.py
	CMP=$REPO/tests/helpers/records-compare.py
	G=google-john.doe-20240101
	T=$BATS_TEST_TMPDIR
}

# same_as_dir DIR ARCHIVE...: the scan of the export directory DIR and the
# scan of the archives give the same records but for where the media lie,
# and every record of the archives names its member.
same_as_dir() {
	local dir=$1
	shift
	run -0 mem-scan -o "$T/d" "$dir"
	run -0 mem-scan -o "$T/a" "$@"
	run -0 python3 "$CMP" --members "$T/d/.mem/items" "$T/a/.mem/items"
}

# members OUT KEY: the values of KEY in every record under OUT, sorted.
members() {
	python3 - "$1" "$2" <<-'EOF'
	import os, sys
	d = os.path.join(sys.argv[1], ".mem", "items")
	out = []
	for n in os.listdir(d):
	    for f in open(os.path.join(d, n), "rb").read().split(b"\0"):
	        if f.startswith(sys.argv[2].encode() + b"="):
	            out.append(f[len(sys.argv[2]) + 1:])
	for v in sorted(out):
	    sys.stdout.buffer.write(v.replace(b"\n", b"\\n") + b"\n")
	EOF
}

# a good export beside the bad ones: its item must still be planned
good_songs() {
	mkdir -p songs
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/a.mp3
	(cd songs && zip -q ../songs.zip a.mp3)
}

@test "Google Photos from one zip gives the records of its directory" {
	(cd "$S/$G" && zip -qr "$T/$G.zip" .)
	same_as_dir "$S/$G" "$T/$G.zip"
}

@test "a zipped folder (the export's folder inside the zip) gives the records of the folder" {
	(cd "$S" && zip -qr "$T/$G.zip" "$G")
	same_as_dir "$S/$G" "$T/$G.zip"
}

@test "Google Photos from a tgz gives the records of its directory" {
	tar -C "$S/$G" -czf "$G.tgz" .
	same_as_dir "$S/$G" "$T/$G.tgz"
}

@test "mem-scan is linked against none of libarchive, libzip, SQLite and libxml2, and loads each for an export that needs it" {
	run -0 readelf -d "$(command -v mem-scan)"
	for l in libarchive libzip libsqlite3 libxml2; do
		refute_output --partial "$l"
	done
	# libs: NAME NAME... loaded (their initializers ran) by a scan of the operands
	libs() {
		LD_DEBUG=libs mem-scan "$@" > /dev/null 2> "$T/libs.log" || return
		grep -oE 'calling init: .*/lib(archive|zip|sqlite3|xml2)\.so' "$T/libs.log" |
			sed 's,.*/,,; s,\.so$,,' | sort -u | tr '\n' ' '
	}
	run -0 libs "$S/$G"
	assert_output ""
	tar -C "$S/$G" -czf "$G.tgz" .
	run -0 libs "$T/$G.tgz"
	# (libarchive itself needs libxml2, for xar)
	assert_output --regexp '^libarchive (libxml2 )?$'
	(cd "$S/$G" && zip -qr "$T/$G.zip" .)
	run -0 libs "$T/$G.zip"
	assert_output "libzip "
	run -0 libs "$M/mac-messages-20240107"
	assert_output "libsqlite3 "
	# Google Voice's HTML
	run -0 libs "$M/google-john.doe-20240105"
	assert_output "libxml2 "
	# and what they read is what the directory gives
	same_as_dir "$S/$G" "$T/$G.tgz"
	same_as_dir "$S/$G" "$T/$G.zip"
}

@test "Google Photos in three parts, sidecars apart from their photos, the last a tgz, is one export" {
	python3 "$A" parts "$S/$G" parts "$G" 3 --tgz-last
	same_as_dir "$S/$G" parts/"$G"-001.zip parts/"$G"-002.zip parts/"$G"-003.tgz
	# IMG_0001.jpg and its sidecar lie in two parts, and the sidecar dated it
	local img='Takeout/Google Photos/Photos from 2023/IMG_0001.jpg'
	local in1 in2
	run -0 sh -c 'for p in "$@"; do case $p in *.zip) unzip -Z1 "$p";; *) tar -tzf "$p";; esac |
	    grep -qxF "$0" && echo "$p"; done; exit 0' "$img" parts/*
	in1=$output
	run -0 sh -c 'for p in "$@"; do case $p in *.zip) unzip -Z1 "$p";; *) tar -tzf "$p";; esac |
	    grep -qxF "$0" && echo "$p"; done; exit 0' "$img.supplemental-metadata.json" parts/*
	in2=$output
	[ -n "$in1" ] && [ -n "$in2" ] && [ "$in1" != "$in2" ]
	run -0 python3 - a "$img" <<-'EOF'
	import os, sys
	d = os.path.join(sys.argv[1], ".mem", "items")
	for n in os.listdir(d):
	    f = dict(x.split(b"=", 1) for x in open(os.path.join(d, n), "rb").read().split(b"\0") if x)
	    if f.get(b"member") == sys.argv[2].encode():
	        print(f[b"time_source"].decode(), f[b"time"].decode())
	EOF
	[ "${lines[0]%% *}" = json ]
}

@test "a folder of parts is one export named by the folder, as operand and under --originals" {
	mkdir -p orig/"$G"
	python3 "$A" parts "$S/$G" orig/"$G" takeout-20240101T000000Z 3
	same_as_dir "$S/$G" "$T/orig/$G"
	run -0 mem-scan --list --originals orig
	assert_line --regexp "^$G +google-photos +"
}

@test "Snapchat memories from a zip of deflated members with data descriptors give the records of the directory" {
	python3 "$A" zip "$S/snapchat-jane-20240102" snapchat-jane-20240102.zip --deflate --stream
	run -0 sh -c "zipinfo -v snapchat-jane-20240102.zip | grep -c 'extended local header: *yes'"
	[ "$output" -gt 3 ]
	same_as_dir "$S/snapchat-jane-20240102" "$T/snapchat-jane-20240102.zip"
	# an overlay in the zip is named by overlay= (the archive) and overlay_member=
	run -0 members a overlay_member
	assert_line --regexp '^memories/.*overlay\.png$'
	run -0 members a overlay
	assert_line "$T/snapchat-jane-20240102.zip"
}

@test "Instagram from a zip64 archive gives the records of its directory" {
	(cd "$S/instagram-jane_doe-20240103" && zip -q -r -fz "$T/instagram-jane_doe-20240103.zip" .)
	# every central directory entry carries the zip64 field (id 0x0001)
	run -0 python3 - instagram-jane_doe-20240103.zip <<-'EOF'
	import struct, sys, zipfile
	def ids(x):
	    i = 0
	    while i + 4 <= len(x):
	        t, n = struct.unpack("<HH", x[i:i + 4])
	        yield t
	        i += 4 + n
	zs = zipfile.ZipFile(sys.argv[1]).infolist()
	print(sum(1 for z in zs if 1 in ids(z.extra)), len(zs))
	EOF
	[ "${output% *}" = "${output#* }" ] && [ "${output% *}" -gt 5 ]
	same_as_dir "$S/instagram-jane_doe-20240103" "$T/instagram-jane_doe-20240103.zip"
}

@test "every message platform from its zip gives the records of its directory" {
	mkdir z
	for d in "$M"/*/; do
		d=${d%/}
		(cd "$d" && zip -qr "$T/z/${d##*/}.zip" .)
	done
	run -0 mem-scan -o d --originals "$M"
	run -0 mem-scan -o a --originals z
	run -0 python3 "$CMP" --members d/.mem/items a/.mem/items
	run -0 mem-scan --list --originals z
	for p in discord google-chat google-voice imessage-imazing imessage snapchat-messages; do
		assert_line --regexp " $p +[1-9]"
	done
}

@test "the folder fallback from a tar with odd names (spaces, a newline, Latin-1 bytes) gives the records of its directory" {
	mkdir -p songs/'a dir'
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/'a dir/one song.mp3'
	cp songs/'a dir/one song.mp3' songs/$'new\nline.mp3'
	cp songs/'a dir/one song.mp3' songs/$'caf\xe9.mp3'
	tar -C songs -cf songs.tar .
	same_as_dir "$T/songs" "$T/songs.tar"
	run -0 members a member
	assert_output "$(printf './a dir/one song.mp3\n./caf\351.mp3\n./new\\nline.mp3')"
}

@test "a CP437 name in a zip is read as UTF-8, as libzip converts it" {
	mkdir -p songs
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/'caf?.mp3'
	python3 "$A" zip songs songs.zip
	python3 "$A" rename songs.zip 'caf?.mp3' "b'caf\\x82.mp3'"
	run -0 mem-scan -o a songs.zip
	run -0 members a member
	assert_output 'café.mp3'
	run -0 members a dest
	assert_output 'songs/café.mp3'
}

@test "without -o, members are printed as ARCHIVE/MEMBER, sorted" {
	mkdir -p songs
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/b.mp3
	cp songs/b.mp3 songs/a.mp3
	(cd songs && zip -q ../songs.zip b.mp3 a.mp3)
	mem-scan songs.zip > list
	printf '%s\0' "$T/songs.zip/a.mp3" "$T/songs.zip/b.mp3" > want
	cmp list want
}

@test "an encrypted member costs its item: one line naming archive and member, exit 1, the rest scanned" {
	good_songs
	mkdir -p e && cp songs/a.mp3 e/secret.mp3 && cp songs/a.mp3 e/open.mp3
	(cd e && zip -q -P pw ../e.zip secret.mp3 && zip -q ../e.zip open.mp3)
	run -1 --separate-stderr mem-scan -o out e.zip songs.zip
	[ "$stderr" = "mem-scan: $T/e.zip: secret.mp3: encrypted, refused (mem-scan reads no passwords)" ]
	run -0 members out member
	assert_output 'a.mp3
open.mp3'
	run -0 report out e
	assert_output "failed $T/e.zip | encrypted, refused (mem-scan reads no passwords)"
	run -0 python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed_processing"][0]["member"])' out/e/issues/failure-report.json
	assert_output secret.mp3
}

@test "a sidecar whose CRC is wrong is named with its archive and costs exit 1; its photo still has a record" {
	python3 "$A" zip "$S/$G" g.zip
	python3 - g.zip <<-'EOF'
	import sys
	d = bytearray(open(sys.argv[1], "rb").read())
	name = b"Photos from 2023/DSC01234.JPG.supplemental-metadata.json"
	i = d.find(b'"photoTakenTime"', d.find(name))
	d[i + 3] ^= 0x20
	open(sys.argv[1], "wb").write(d)
	EOF
	run -1 --separate-stderr mem-scan -o out g.zip
	[ "$stderr" = "mem-scan: $T/g.zip: Takeout/Google Photos/Photos from 2023/DSC01234.JPG.supplemental-metadata.json: CRC error" ]
	run -0 python3 - out <<-'EOF'
	import os, sys
	d = os.path.join(sys.argv[1], ".mem", "items")
	for n in os.listdir(d):
	    f = dict(x.split(b"=", 1) for x in open(os.path.join(d, n), "rb").read().split(b"\0") if x)
	    if f.get(b"member", b"").endswith(b"/DSC01234.JPG"):
	        print(f[b"time_source"].decode())
	EOF
	[ "$output" != json ] && [ -n "$output" ]
}

@test "a photo member whose CRC is wrong is not read during the scan (only its sidecar is)" {
	python3 "$A" zip "$S/$G" g.zip
	python3 - g.zip <<-'EOF'
	import sys, zipfile
	z = zipfile.ZipFile(sys.argv[1])
	i = [x for x in z.infolist() if x.filename.endswith("Photos from 2023/DSC01234.JPG")][0]
	z.close()
	d = bytearray(open(sys.argv[1], "rb").read())
	end = i.header_offset + 30 + len(i.filename.encode()) + len(i.extra) + i.compress_size
	d[end - 3] ^= 0xff	# in the image data, far after its EXIF
	open(sys.argv[1], "wb").write(d)
	EOF
	run -0 python3 -c 'import sys, zipfile; sys.exit(0 if zipfile.ZipFile(sys.argv[1]).testzip() else 1)' g.zip
	run -0 mem-scan -o out g.zip
}

@test "a truncated zip costs only its own items" {
	good_songs
	python3 "$A" zip "$S/$G" g.zip
	head -c 100000 g.zip > cut.zip
	run -1 --separate-stderr mem-scan -o out cut.zip songs.zip
	[ "$stderr" = "mem-scan: $T/cut.zip: not a readable zip archive (Not a zip archive); none of its members is scanned" ]
	run -0 members out member
	assert_output a.mp3
}

@test "a truncated tgz keeps the members before the cut and refuses the one cut" {
	mkdir -p t
	cp "$S/songs/"*.mp3 t/
	tar -C t -czf whole.tgz .
	head -c $(( $(stat -c %s whole.tgz) * 2 / 3 )) whole.tgz > cut.tgz
	run -1 --separate-stderr mem-scan -o out cut.tgz
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "mem-scan: $T/cut.tgz: ./"*": truncated or corrupt ("*"), refused" ]]
	run -0 members out member
	[ "${#lines[@]}" -ge 1 ]
	[ "${#lines[@]}" -lt "$(ls t | wc -l)" ]
}

@test "a part missing in the middle of a set is named, costs exit 1, and the other parts are scanned" {
	python3 "$A" parts "$S/$G" parts "$G" 3
	rm parts/"$G"-002.zip
	run -1 --separate-stderr mem-scan -o out parts/"$G"-001.zip parts/"$G"-003.zip
	[ "$stderr" = "mem-scan: $T/parts/$G-002.zip: missing: part 2 of $G is not here (its items are not scanned)" ]
	run -0 members out member
	[ "${#lines[@]}" -ge 5 ]
	run -0 report out "$G"
	assert_line "failed $T/parts/$G-002.zip | missing: part 2 of $G is not here (its items are not scanned)"
}

@test "member names with .. or an absolute path are refused, each on one line" {
	good_songs
	python3 - bad.zip songs/a.mp3 <<-'EOF'
	import sys, zipfile
	data = open(sys.argv[2], "rb").read()
	with zipfile.ZipFile(sys.argv[1], "w") as z:
	    for n in ["../up.mp3", "/abs/x.mp3", "ok/../../y.mp3", "fine.mp3"]:
	        z.writestr(zipfile.ZipInfo(n), data)
	EOF
	run -1 --separate-stderr mem-scan -o out bad.zip songs.zip
	[ "$stderr" = "mem-scan: $T/bad.zip: ../up.mp3: a name with a \"..\" component, refused
mem-scan: $T/bad.zip: /abs/x.mp3: an absolute name, refused
mem-scan: $T/bad.zip: ok/../../y.mp3: a name with a \"..\" component, refused" ]
	run -0 members out member
	assert_output 'a.mp3
fine.mp3'
}

@test "a zip bomb (a member expanding more than 100 times past 64 MiB) is refused with its ratio" {
	good_songs
	python3 - bomb.zip <<-'EOF'
	import sys, zipfile
	with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
	    z.writestr("zeros.mp3", b"\0" * (100 << 20))
	EOF
	run -1 --separate-stderr mem-scan -o out bomb.zip songs.zip
	[[ "$stderr" == "mem-scan: $T/bomb.zip: zeros.mp3: expands "*" times ("*" to 104857600 bytes), more than 100 (a zip bomb?), refused" ]]
	run -0 members out member
	assert_output a.mp3
}

@test "a tar member declaring more than 64 GiB is refused without being read" {
	good_songs
	mkdir sp
	truncate -s 65G sp/big.mp4
	tar --sparse -C sp -czf sp.tgz .
	rm -rf sp
	run -1 --separate-stderr mem-scan -o out sp.tgz songs.zip
	[ "$stderr" = "mem-scan: $T/sp.tgz: ./big.mp4: declares 69793218560 bytes, more than the 64 GiB a member may have (a zip bomb?), refused" ]
	run -0 members out member
	assert_output a.mp3
}

@test "a rerun over unchanged archives writes nothing (memo.cache neither); a changed part changes only its items' member_sig" {
	python3 "$A" parts "$S/$G" parts "$G" 3
	sleep 2.1	# settled: what the scan reads is kept in memo.cache
	run -0 mem-scan -o out parts/*
	[ -s out/.mem/memo.cache ]
	ls -i --full-time out/.mem/items out/.mem > before
	run -0 mem-scan -o out parts/*
	ls -i --full-time out/.mem/items out/.mem > after
	cmp before after
	# part 2 changes (a new mtime): only its members' records are rewritten
	touch -d '2024-02-02 00:00:00' parts/"$G"-002.zip
	grep -la "source=$T/parts/$G-002.zip" out/.mem/items/*.item | sort > p2
	[ -s p2 ]
	for f in out/.mem/items/*.item; do echo "$(stat -c %i "$f") $f"; done | sort > inodes1
	run -0 mem-scan -o out parts/*
	for f in out/.mem/items/*.item; do echo "$(stat -c %i "$f") $f"; done | sort > inodes2
	comm -13 inodes1 inodes2 | cut -d' ' -f2 | sort > changed
	cmp p2 changed
	run -0 sh -c "tr '\0' '\n' < \"\$(head -n 1 p2)\" | grep '^member_sig='"
	assert_output --regexp "^member_sig=[0-9]+:$(date -d '2024-02-02 00:00:00' +%s):[0-9a-f]{8}:[0-9]+$"
}

# mfield OUT MEMBER KEY: the values of KEY in the record of archive member MEMBER
mfield() {
	local f
	for f in "$1"/.mem/items/*.item; do
		if tr '\0' '\n' < "$f" | grep -qxF "member=$2"; then
			tr '\0' '\n' < "$f" | sed -n "s/^$3=//p"
			return 0
		fi
	done
	return 1
}

@test "a rescan into OUT reads no member of an unchanged zip again: sidecars' fields and EXIF clocks come from memo.cache; a zip written since is read again" {
	local gp="$T/g/Takeout/Google Photos/A" p=Takeout/Google\ Photos/A
	jpeg_at "$gp/paris.jpg" '2023:01:15 11:30:45'
	sidecar "$gp/paris.jpg.json" paris.jpg 1673778645
	jpeg_at "$gp/rome.jpg" '2022:06:01 14:00:00'
	sidecar "$gp/rome.jpg.json" rome.jpg "$(date -u -d '2022-06-01 12:00:00' +%s)"
	# photos of 200 KB, so that libzip's first read (the last 64 KiB)
	# holds no photo's head
	head -c 200000 /dev/urandom >> "$gp/paris.jpg"
	head -c 200000 /dev/urandom >> "$gp/rome.jpg"
	(cd g && zip -q ../g.zip "$p/paris.jpg" "$p/rome.jpg" "$p/paris.jpg.json" "$p/rome.jpg.json")
	sleep 2.1	# a zip written in the 2 s before a scan is not kept
	run -0 mem-scan -o out g.zip
	[ "$(mfield out "$p/paris.jpg" time) $(mfield out "$p/paris.jpg" offset)" = '2023-01-15T10:30:45Z +01:00' ]
	[ "$(mfield out "$p/rome.jpg" offset)" = +02:00 ]
	# the rescan reads from the zip only what reaches its central
	# directory (libzip finds it from the end): no member before it
	traced() {
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    strace -f -y -e trace=pread64 -o "$1" mem-scan -o out g.zip
	}
	# before_cd TRACE: the reads of g.zip ending before its central directory
	before_cd() {
		python3 - "$1" g.zip <<-'EOF'
		import re, sys, zipfile
		cd = zipfile.ZipFile(sys.argv[2]).start_dir
		n = 0
		for line in open(sys.argv[1], errors="replace"):
		    m = re.search(r"g\.zip>, .*, (\d+), (\d+)\) = (\d+)$", line)
		    if m and int(m.group(2)) + int(m.group(3)) <= cd:
		        n += 1
		print(n)
		EOF
	}
	rm -rf out
	traced fresh > /dev/null
	run -0 before_cd fresh
	[ "$output" -ge 4 ]	# a fresh scan: two heads, two sidecars
	run -0 mem-scan -o out g.zip
	traced again > /dev/null
	run -0 before_cd again
	[ "$output" -eq 0 ]
	# the answers are the cache's: made to say another time (a day later)
	# and another wall clock (two hours later), they are believed while
	# the zip keeps its identity
	memo_doctor out/.mem/memo.cache 1673778645 1673865045
	memo_doctor out/.mem/memo.cache "$(date -u -d '2022-06-01 14:00:00' +%s)" \
	    "$(date -u -d '2022-06-01 16:00:00' +%s)"
	run -0 mem-scan -o out g.zip
	[ "$(mfield out "$p/paris.jpg" time)" = 2023-01-16T10:30:45Z ]
	[ "$(mfield out "$p/rome.jpg" offset)" = +04:00 ]
	# the zip touched (its ctime moves): every member is read again
	touch g.zip
	sleep 2.1
	run -0 mem-scan -o out g.zip
	[ "$(mfield out "$p/paris.jpg" time) $(mfield out "$p/paris.jpg" offset)" = '2023-01-15T10:30:45Z +01:00' ]
	[ "$(mfield out "$p/rome.jpg" offset)" = +02:00 ]
}

@test "mem-plan signs a member by its member_sig: a changed part changes only its items' signatures" {
	python3 "$A" parts "$S/$G" parts "$G" 3
	mem-scan -o out --records parts/* > recs
	run -0 mem-plan -o out < recs
	tr '\0' '\n' < out/.mem/plan/sigs | grep -c '^[0-9a-f]\{16\} member ' > nsig
	[ "$(cat nsig)" -eq "$(ls out/.mem/items | wc -l)" ]
	run -0 sh -c "tr '\0' '\n' < out/.mem/plan/sigs | cut -d' ' -f2- | sort -u | sed -n 1p"
	assert_output --regexp '^member [0-9]+:[0-9]+:([0-9a-f]{8}|-):[0-9]+$'
	tr '\0' '\n' < out/.mem/plan/sigs | sort > s1
	touch -d '2024-02-02 00:00:00' parts/"$G"-002.zip
	mem-scan -o out --records parts/* > recs
	run -0 mem-plan -o out < recs
	tr '\0' '\n' < out/.mem/plan/sigs | sort > s2
	comm -13 s1 s2 | cut -d' ' -f1 | sort > changed
	grep -la "source=$T/parts/$G-002.zip" out/.mem/items/*.item |
	    sed 's/.*\/\([0-9a-f]*\)\.item$/\1/' | sort > p2
	[ -s p2 ]
	cmp p2 changed
}

@test "mem-plan --remote sends no archive: each member item is named and left to this host (exit 1)" {
	mkdir -p songs
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/a.mp3
	(cd songs && zip -q ../songs.zip a.mp3)
	mem-scan -o out --records songs.zip > recs
	run -1 --separate-stderr mem-plan -o out --remote < recs
	[ "$stderr" = "mem-plan: $T/songs.zip: a.mp3: not sent to a remote host (it would send the whole archive); run it on this host" ]
	[ ! -e out/.mem/xfer ] || [ -z "$(ls out/.mem/xfer)" ]
	[ ! -s out/.mem/plan/remote ]
}

@test "mksample --archives makes the exports as delivered, whose records are the plain sample's" {
	mksample --archives sa > /dev/null
	run -0 sh -c "find sa -maxdepth 2 \( -name '*.zip' -o -name '*.tgz' -o -name '.*' \) -printf '%P\n' | sort"
	assert_output "$G/takeout-20240101T000000Z-001.zip
$G/takeout-20240101T000000Z-002.zip
$G/takeout-20240101T000000Z-003.zip
$G/takeout-20240101T000000Z-004.tgz
instagram-jane_doe-20240103.zip
snapchat-jane-20240102.zip"
	# the sidecars are dealt into other parts than their photos
	run -0 unzip -Z1 sa/"$G"/takeout-20240101T000000Z-001.zip
	assert_line 'Takeout/Google Photos/Photos from 2023/IMG_0001.jpg'
	refute_line 'Takeout/Google Photos/Photos from 2023/IMG_0001.jpg.supplemental-metadata.json'
	run -0 mem-scan -o d --originals "$S"
	run -0 mem-scan -o a --originals sa
	run -0 python3 "$CMP" d/.mem/items a/.mem/items
}

@test "a video in a tgz dated by its moov past the kept head is read on through the part, as from its directory" {
	mkdir -p clips
	ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=640x480:rate=25 -t 4 \
	    -c:v mpeg4 -q:v 2 -metadata creation_time=2021-03-04T05:06:07Z -f mp4 clips/clip.mp4
	[ "$(stat -c %s clips/clip.mp4)" -gt 200000 ]
	# moov after mdat: its mvhd lies past the first 64 KiB that the pass keeps
	run -0 python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.find(b"moov") > 65536)' clips/clip.mp4
	assert_output True
	cp clips/clip.mp4 clips/copy.mp4
	printf 'x' >> clips/copy.mp4
	tar -C clips -czf clips.tgz .
	same_as_dir "$T/clips" "$T/clips.tgz"
	run -0 members a time_source
	assert_output 'quicktime
quicktime'
	run -0 members a time
	assert_line 2021-03-04T05:06:07Z
}

@test "Google Photos' copies of one photo past the kept head are compared through a tgz part, as in the directory" {
	local gp="$T/g/Takeout/Google Photos"
	mkdir -p "$gp/Photos from 2023" "$gp/Album A"
	make_jpeg big.jpg 640x480
	python3 - big.jpg "$gp/Photos from 2023/BIG.jpg" "$gp/Photos from 2023/OTHER.jpg" <<-'EOF'
	import sys
	b = open(sys.argv[1], "rb").read()
	open(sys.argv[2], "wb").write(b + b"\xaa" * 200000)
	open(sys.argv[3], "wb").write(b + b"\xaa" * 199999 + b"\xbb")	# same size
	EOF
	cp "$gp/Photos from 2023/BIG.jpg" "$gp/Album A/BIG.jpg"
	sidecar "$gp/Photos from 2023/BIG.jpg.supplemental-metadata.json" BIG.jpg 1680000000
	sidecar "$gp/Photos from 2023/OTHER.jpg.supplemental-metadata.json" OTHER.jpg 1680000100
	tar -C g -czf g.tgz .
	same_as_dir "$T/g" "$T/g.tgz"
	run -0 members a album
	assert_output 'Album A
Google Photos/unknown
Google Photos/unknown'
}

@test "zip members of one size are told apart by their CRCs without a read; copies of one photo are still compared and merged" {
	local gp="$T/g/Takeout/Google Photos" size
	mkdir -p "$gp/Photos from 2023" "$gp/Album A"
	make_jpeg big.jpg 640x480
	# four photos of one size: BIG and its album copy, OTHER a byte apart
	# at its end, FIRST a byte apart at its start (after the JPEG marker)
	python3 - big.jpg "$gp/Photos from 2023" <<-'EOF'
	import sys
	b = open(sys.argv[1], "rb").read() + b"\xaa" * 1000000
	d = sys.argv[2]
	open(d + "/BIG.jpg", "wb").write(b)
	open(d + "/OTHER.jpg", "wb").write(b[:-1] + b"\xbb")
	open(d + "/FIRST.jpg", "wb").write(b[:2] + b"\xff\xfe\x00\x03x" + b[7:])
	EOF
	cp "$gp/Photos from 2023/BIG.jpg" "$gp/Album A/BIG.jpg"
	size=$(stat -c %s "$gp/Album A/BIG.jpg")
	sidecar "$gp/Photos from 2023/BIG.jpg.supplemental-metadata.json" BIG.jpg 1680000000
	sidecar "$gp/Photos from 2023/OTHER.jpg.supplemental-metadata.json" OTHER.jpg 1680000100
	sidecar "$gp/Photos from 2023/FIRST.jpg.supplemental-metadata.json" FIRST.jpg 1680000200
	(cd g && zip -q -0 -r ../g.zip .)
	same_as_dir "$T/g" "$T/g.zip"
	# three items: BIG in its year folder and Album A, OTHER, FIRST
	run -0 members a album
	assert_output 'Album A
Google Photos/unknown
Google Photos/unknown
Google Photos/unknown'
	# bytes read from the zip: BIG and its copy compared whole, the EXIF
	# heads, the sidecars, the central directory and a local header for
	# each read (2.2 MB); OTHER and FIRST, whose CRCs are theirs alone, not
	# hashed (64 KiB of each, and OTHER whole: it shares BIG's head; the
	# binary before this read 5.5 MB)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -y -e trace=read,pread64 -o trace mem-scan -o "$T/c" g.zip > /dev/null
	run -0 awk 'index($0, "g.zip>") && $NF ~ /^[0-9]+$/ { n += $NF } END { print n + 0 }' trace
	echo "read $output bytes of g.zip; BIG is $size" >&3
	[ "$output" -ge $((2 * size)) ]
	[ "$output" -le $((5 * size / 2)) ]
}

@test "one archive named like a part (x-123.zip) is no set: no part is said missing" {
	mkdir -p songs
	cp "$S/songs/$(ls "$S/songs" | head -n 1)" songs/a.mp3
	(cd songs && zip -q ../songs-123.zip a.mp3)
	run -0 --separate-stderr mem-scan -o out songs-123.zip
	[ -z "$stderr" ]
	run -0 members out member
	assert_output a.mp3
}
