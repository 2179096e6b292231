#!/usr/bin/env bats
# mem-loudnorm: every output's loudness and true peak are read back with
# loudgain (libebur128), an independent meter; formats, tags, rates and bit
# depths with ffprobe.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/loudnorm

# Fixtures shared by the tests, made once: short clips, several formats.
setup_file() {
	local d=$BATS_FILE_TMPDIR
	make_music "$d/music.wav" 8 0 44100 -c:a pcm_s16le
	make_music "$d/quiet96.wav" 8 -14 96000 -c:a pcm_s24le
	make_music "$d/float48.wav" 8 -10 48000 -c:a pcm_f32le
	make_music "$d/mono.wav" 8 -10 44100 -ac 1 -c:a pcm_s16le
	make_music "$d/surround.wav" 8 0 48000 \
		-af 'volume=-3dB,pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.3*c0|BL=0.4*c0|BR=0.4*c1' \
		-c:a pcm_s16le
	make_hot "$d/hot.wav" 8 -c:a pcm_s16le
	ffmpeg -nostdin -v error -y -i "$d/music.wav" -c:a libmp3lame -b:a 128k "$d/cbr128.mp3"
	ffmpeg -nostdin -v error -y -f lavfi -i testsrc=s=64x64:d=1 -frames:v 1 "$d/cover.png"
	make_music "$d/plain.flac" 8 -8 44100 -c:a flac -sample_fmt s32 -bits_per_raw_sample 24
	ffmpeg -nostdin -v error -y -i "$d/plain.flac" -i "$d/cover.png" -map 0 -map 1 \
		-c copy -disposition:v attached_pic -metadata title='Song Title' \
		-metadata artist='The Artist' -metadata REPLAYGAIN_TRACK_GAIN='-3.20 dB' \
		"$d/tagged.flac"
	ffmpeg -nostdin -v error -y -i "$d/tagged.flac" -map 0 -c:a libmp3lame -b:a 192k \
		-c:v copy "$d/tagged.mp3"
}

setup() {
	F=$BATS_FILE_TMPDIR
	OUT=$BATS_TEST_TMPDIR/out
}

# No hidden temp files may be left in OUT.
no_temps() {
	run find "$OUT" -name '.*' -type f
	assert_output ''
}

@test "a music file is normalized to -16 LUFS within 0.05 LU, LRA and rate kept" {
	run -0 mem-loudnorm -o "$OUT" "$F/music.wav"
	near "$(lufs "$OUT/music.wav")" -16 0.05
	atmost "$(dbtp "$OUT/music.wav")" -1.5
	near "$(lra "$OUT/music.wav")" "$(lra "$F/music.wav")" 0.05
	[ "$(astream "$OUT/music.wav" sample_rate)" = 44100 ]
	[ "$(astream "$OUT/music.wav" codec_name)" = pcm_s16le ]
	assert_output --partial 'linear'
	no_temps
}

@test "the output path is printed NUL-terminated on stdout" {
	mem-loudnorm -q -o "$OUT" "$F/music.wav" "$F/mono.wav" > "$BATS_TEST_TMPDIR/list"
	nul_write "$BATS_TEST_TMPDIR/want" "$OUT/music.wav" "$OUT/mono.wav"
	cmp "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/want"
}

@test "a quiet 24-bit 96 kHz WAV keeps its rate and bit depth" {
	run -0 mem-loudnorm -o "$OUT" --target -14 "$F/quiet96.wav"
	near "$(lufs "$OUT/quiet96.wav")" -14 0.05
	atmost "$(dbtp "$OUT/quiet96.wav")" -1.5
	[ "$(astream "$OUT/quiet96.wav" sample_rate)" = 96000 ]
	[ "$(astream "$OUT/quiet96.wav" codec_name)" = pcm_s24le ]
}

@test "a float WAV stays float at 48 kHz and lands on the EBU R128 target" {
	run -0 mem-loudnorm -o "$OUT" --target -23 "$F/float48.wav"
	near "$(lufs "$OUT/float48.wav")" -23 0.05
	[ "$(astream "$OUT/float48.wav" codec_name)" = pcm_f32le ]
	[ "$(astream "$OUT/float48.wav" sample_rate)" = 48000 ]
}

@test "a mono file stays mono; --dual-mono measures it as two channels" {
	run -0 mem-loudnorm -o "$OUT" "$F/mono.wav"
	near "$(lufs "$OUT/mono.wav")" -16 0.05
	[ "$(astream "$OUT/mono.wav" channels)" = 1 ]
	run -0 mem-loudnorm -o "$OUT/dual" --dual-mono "$F/mono.wav"
	# loudgain reads mono as one channel: dual mono is 3.01 LU louder.
	near "$(lufs "$OUT/dual/mono.wav")" -19.01 0.06
}

@test "a 5.1 file keeps its six channels and lands within 0.05 LU" {
	run -0 mem-loudnorm -o "$OUT" "$F/surround.wav"
	[ "$(astream "$OUT/surround.wav" channels)" = 6 ]
	near "$(lufs "$OUT/surround.wav")" -16 0.05
}

@test "a hot master is turned down by a pure gain, its dynamics untouched" {
	run -0 mem-loudnorm -o "$OUT" "$F/hot.wav"
	assert_output --partial 'linear'
	refute_output --partial 'limiter'
	near "$(lufs "$OUT/hot.wav")" -16 0.05
	near "$(lra "$OUT/hot.wav")" "$(lra "$F/hot.wav")" 0.05
	# A null test: the output is the input times one constant.
	local g
	g=$(awk -v i="$(lufs "$F/hot.wav")" 'BEGIN { print -16 - i }')
	run -0 bash -c "ffmpeg -nostdin -i '$F/hot.wav' -i '$OUT/hot.wav' -filter_complex \
		'[0:a]volume=${g}dB[a];[1:a]volume=-1[b];[a][b]amix=normalize=0,volumedetect' \
		-f null - 2>&1 | sed -n 's/.*max_volume: \([-0-9.]*\) dB/\1/p'"
	atmost "$output" -70
}

@test "a gain that would pass the true-peak ceiling is limited, and that is said" {
	run -0 mem-loudnorm -o "$OUT" --target -11 "$F/music.wav"
	assert_output --partial 'limited'
	assert_output --partial 'dynamics changed by the true-peak limiter'
	near "$(lufs "$OUT/music.wav")" -11 0.1
	atmost "$(dbtp "$OUT/music.wav")" -1.5
	[ "$(astream "$OUT/music.wav" sample_rate)" = 44100 ]
}

@test "--tp-mode cap lowers the gain instead and reports the shortfall" {
	run -0 mem-loudnorm -o "$OUT" --target -11 --tp-mode cap "$F/music.wav"
	assert_output --partial 'capped'
	assert_output --partial 'under target to keep the true peak'
	atmost "$(dbtp "$OUT/music.wav")" -1.5
	near "$(lra "$OUT/music.wav")" "$(lra "$F/music.wav")" 0.05
	# a lossy output is capped by its own measured true peak
	run -0 mem-loudnorm -o "$OUT" --target -11 --tp-mode cap --format mp3 "$F/music.wav"
	assert_output --partial 'capped'
	atmost "$(dbtp "$OUT/music.mp3")" -1.5
}

@test "a 128 kb/s MP3 lands within 0.1 LU although LAME loses half an LU" {
	run -0 mem-loudnorm -o "$OUT" "$F/cbr128.mp3"
	near "$(lufs "$OUT/cbr128.mp3")" -16 0.1
	atmost "$(dbtp "$OUT/cbr128.mp3")" -1.5
	[ "$(astream "$OUT/cbr128.mp3" bit_rate)" = 128000 ]
}

@test "a lossy re-encode is verified and corrected when the first pass misses" {
	# --bitrate 96k has no compensation in the table: pass 2 corrects it.
	run -0 mem-loudnorm -o "$OUT" --format mp3 --bitrate 96k "$F/music.wav"
	near "$(lufs "$OUT/music.mp3")" -16 0.1
	atmost "$(dbtp "$OUT/music.mp3")" -1.5
}

@test "m4a and opus outputs land within 0.1 LU with the true peak under the ceiling" {
	run -0 mem-loudnorm -o "$OUT" --format m4a --true-peak -1 "$F/plain.flac"
	run -0 mem-loudnorm -o "$OUT" --format opus --true-peak -1 "$F/plain.flac"
	near "$(lufs "$OUT/plain.m4a")" -16 0.1
	near "$(lufs "$OUT/plain.opus")" -16 0.1
	atmost "$(dbtp "$OUT/plain.m4a")" -1
	atmost "$(dbtp "$OUT/plain.opus")" -1
	[ "$(astream "$OUT/plain.m4a" codec_name)" = aac ]
	[ "$(astream "$OUT/plain.opus" codec_name)" = opus ]
}

@test "a 24-bit FLAC stays 24-bit and keeps tags and cover; stale ReplayGain goes" {
	run -0 mem-loudnorm -o "$OUT" "$F/tagged.flac" "$F/tagged.mp3"
	near "$(lufs "$OUT/tagged.flac")" -16 0.05
	near "$(lufs "$OUT/tagged.mp3")" -16 0.1
	[ "$(astream "$OUT/tagged.flac" bits_per_raw_sample)" = 24 ]
	for f in "$OUT/tagged.flac" "$OUT/tagged.mp3"; do
		run -0 exiftool -s -s -s -Title -Artist "$f"
		assert_output $'Song Title\nThe Artist'
		run -0 ffprobe -v error -show_entries format_tags "$f"
		refute_output --partial REPLAYGAIN
		run -0 ffprobe -v error -select_streams v -show_entries \
			stream=codec_name:stream_disposition=attached_pic -of csv=p=0 "$f"
		assert_output 'png,1'
	done
}

@test "--no-keep-metadata drops tags and cover art" {
	run -0 mem-loudnorm -o "$OUT" --no-keep-metadata "$F/tagged.flac"
	run -0 ffprobe -v error -show_entries format_tags=title -of csv=p=0 "$OUT/tagged.flac"
	assert_output ''
	run -0 ffprobe -v error -select_streams v -show_entries stream=index -of csv=p=0 \
		"$OUT/tagged.flac"
	assert_output ''
}

@test "a video's audio is normalized and its video stream copied bit for bit" {
	ffmpeg -nostdin -v error -y -f lavfi -i testsrc=s=64x48:r=10:d=8 -i "$F/music.wav" \
		-map 0 -map 1 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest \
		"$BATS_TEST_TMPDIR/clip.mp4"
	run -0 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/clip.mp4"
	near "$(lufs "$OUT/clip.mp4")" -16 0.1
	a=$(ffmpeg -v error -i "$BATS_TEST_TMPDIR/clip.mp4" -map 0:v -c copy -f md5 -)
	b=$(ffmpeg -v error -i "$OUT/clip.mp4" -map 0:v -c copy -f md5 -)
	[ "$a" = "$b" ]
}

@test "--format mp3 changes the extension; --sample-rate resamples and is verified" {
	run -0 mem-loudnorm -o "$OUT" --format mp3 --bitrate 192k --sample-rate 48000 \
		"$F/music.wav"
	[ -f "$OUT/music.mp3" ]
	[ "$(astream "$OUT/music.mp3" sample_rate)" = 48000 ]
	[ "$(astream "$OUT/music.mp3" bit_rate)" = 192000 ]
	near "$(lufs "$OUT/music.mp3")" -16 0.1
}

@test "a steady 1 kHz tone (LRA 0, where loudnorm goes dynamic) is gained linearly" {
	ffmpeg -nostdin -v error -y -f lavfi -i 'sine=f=1000:d=10,volume=0.4' -ac 2 \
		"$BATS_TEST_TMPDIR/tone.wav"
	run -0 mem-loudnorm -o "$OUT" --target -23 "$BATS_TEST_TMPDIR/tone.wav"
	near "$(lufs "$OUT/tone.wav")" -23 0.05
}

@test "a quiet file with a loud ending is measured as the meter measures it" {
	ffmpeg -nostdin -v error -y -f lavfi -i 'sine=f=500:d=12,volume=0.01' \
		-f lavfi -i 'sine=f=500:d=3,volume=0.5' \
		-filter_complex '[0][1]concat=v=0:a=1' "$BATS_TEST_TMPDIR/ending.wav"
	run -0 mem-loudnorm --measure --json --report "$BATS_TEST_TMPDIR/r.jsonl" \
		"$BATS_TEST_TMPDIR/ending.wav"
	i=$(jq -r 'select(.input) | .input_i' "$BATS_TEST_TMPDIR/r.jsonl")
	near "$i" "$(lufs "$BATS_TEST_TMPDIR/ending.wav")" 0.05
}

@test "an output already on target is copied, not encoded again, when run again" {
	run -0 mem-loudnorm -o "$OUT" "$F/music.wav" "$F/cbr128.mp3"
	run -0 mem-loudnorm -o "$OUT/again" "$OUT/music.wav" "$OUT/cbr128.mp3"
	assert_output --partial 'music.wav: I -16.00 LUFS'
	assert_output --partial 'already on target: copied, not re-encoded'
	cmp "$OUT/music.wav" "$OUT/again/music.wav"
	cmp "$OUT/cbr128.mp3" "$OUT/again/cbr128.mp3"
	# a different target is rendered, of course
	run -0 mem-loudnorm -o "$OUT/other" --target -23 "$OUT/music.wav"
	near "$(lufs "$OUT/other/music.wav")" -23 0.05
}

@test "silence is refused with a clear message, exit 1, nothing written" {
	ffmpeg -nostdin -v error -y -f lavfi -i anullsrc=d=3 "$BATS_TEST_TMPDIR/silence.wav"
	run -1 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/silence.wav"
	assert_output "mem-loudnorm: $BATS_TEST_TMPDIR/silence.wav: silent (integrated loudness -inf): not normalized"
	[ ! -e "$OUT/silence.wav" ]
	no_temps
}

@test "a file under 0.4 s is refused: its loudness is undefined" {
	ffmpeg -nostdin -v error -y -f lavfi -i sine=d=0.3 "$BATS_TEST_TMPDIR/short.wav"
	run -1 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/short.wav"
	assert_output --partial 'short.wav: too short (0.30 s)'
	[ ! -e "$OUT/short.wav" ]
}

@test "a file with no audio stream is refused" {
	ffmpeg -nostdin -v error -y -f lavfi -i testsrc=s=64x48:d=1 -c:v mpeg4 \
		-metadata REPLAYGAIN_TRACK_GAIN='-1.00 dB' "$BATS_TEST_TMPDIR/mute.mp4"
	run -1 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/mute.mp4"
	assert_output "mem-loudnorm: $BATS_TEST_TMPDIR/mute.mp4: no audio stream"
}

@test "truncated, corrupt and non-audio files fail one line each; the rest is done" {
	local t=$BATS_TEST_TMPDIR
	head -c 150000 "$F/plain.flac" > "$t/cut.flac"
	{ head -c 40000 "$F/cbr128.mp3"; head -c 30000 /dev/urandom; tail -c +70001 "$F/cbr128.mp3"; } \
		> "$t/noise.mp3"
	echo 'not audio' > "$t/text.wav"
	run -1 mem-loudnorm -q -o "$OUT" "$t/cut.flac" "$t/noise.mp3" "$t/text.wav" \
		"$t/missing.wav" "$F/music.wav"
	assert_line --index 0 --partial "$t/cut.flac: damaged audio"
	assert_line --index 1 --partial "$t/noise.mp3: damaged audio"
	assert_line --index 2 --partial "$t/text.wav: not a media file"
	assert_line --index 3 "mem-loudnorm: $t/missing.wav: No such file or directory"
	[ "${#lines[@]}" -eq 5 ]
	[ -f "$OUT/music.wav" ]
	[ ! -e "$OUT/cut.flac" ] && [ ! -e "$OUT/noise.mp3" ]
	no_temps
}

@test "ffmpeg missing is fatal before the first item (exit 2)" {
	mkdir -p "$BATS_TEST_TMPDIR/path"
	run -2 env PATH="$BATS_TEST_TMPDIR/path" "$MEM_BIN/mem-loudnorm" -o "$OUT" "$F/music.wav"
	assert_output --partial 'ffmpeg and ffprobe are needed'
	[ ! -e "$OUT/music.wav" ]
}

@test "an item record's dest is used under OUT and its capture time is the mtime" {
	nul_write "$BATS_TEST_TMPDIR/a.item" 'mem-item=1' "source=$F/cbr128.mp3" \
		'dest=ex/Google Voice/voice-jo-20230115.mp3' 'kind=audio' 'time=2023-01-15T08:30:45Z'
	run -0 mem-loudnorm -q -o "$OUT" "$BATS_TEST_TMPDIR/a.item"
	f="$OUT/ex/Google Voice/voice-jo-20230115.mp3"
	[ -f "$f" ]
	[ "$(stat -c %Y "$f")" = 1673771445 ]
	near "$(lufs "$f")" -16 0.1
}

@test "records on stdin are processed in order; a bad one costs only itself" {
	nul_write "$BATS_TEST_TMPDIR/in" "$F/mono.wav" "" "$F/music.wav"
	run -1 bash -c 'mem-loudnorm -q -o "$1" < "$2" > "$3"' _ "$OUT" \
		"$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/list"
	assert_output 'mem-loudnorm: -:2: empty path'
	nul_write "$BATS_TEST_TMPDIR/want" "$OUT/mono.wav" "$OUT/music.wav"
	cmp "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/want"
}

@test "a name with any bytes goes through" {
	n=$'-a b\n"q\'$:%#\377.wav'
	cp "$F/mono.wav" "$BATS_TEST_TMPDIR/$n"
	mem-loudnorm -q -o "$OUT" -- "$BATS_TEST_TMPDIR/$n" > "$BATS_TEST_TMPDIR/list"
	printf '%s\0' "$OUT/$n" > "$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/want"
	cp "$OUT/$n" "$BATS_TEST_TMPDIR/plain.wav"	# loudgain cannot open that name
	near "$(lufs "$BATS_TEST_TMPDIR/plain.wav")" -16 0.05
}

@test "--measure writes nothing and reports input loudness, LRA and true peak" {
	run -0 mem-loudnorm --measure "$F/music.wav"
	assert_output --regexp 'music.wav: I -[0-9.]+ LUFS, TP -[0-9.]+ dBTP, LRA [0-9.]+ LU$'
	[ ! -e "$OUT" ]
}

@test "--json --report writes one object per file and a batch summary" {
	run -0 bash -c 'mem-loudnorm -o "$1" --json --report "$2" "$3" "$4" >/dev/null' _ \
		"$OUT" "$BATS_TEST_TMPDIR/r.jsonl" "$F/music.wav" "$F/cbr128.mp3"
	assert_output ''
	run -0 jq -r 'select(.input) | [.status, .mode, (.output_i|tostring), (.passes|tostring), .verified] | @tsv' \
		"$BATS_TEST_TMPDIR/r.jsonl"
	assert_line --index 0 $'normalized\tlinear\t-16\t1\tfalse'
	assert_line --index 1 --regexp $'^normalized\tlinear\t-1(5|6)\\.[0-9]+\t[12]\ttrue$'
	run -0 jq -c '.summary | select(.) | [.total, .completed, .failed]' "$BATS_TEST_TMPDIR/r.jsonl"
	assert_output '[2,2,0]'
}

@test "an output that would replace its source is refused" {
	cp "$F/mono.wav" "$BATS_TEST_TMPDIR/self.wav"
	run -1 mem-loudnorm -o "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/self.wav"
	assert_output --partial 'would replace the source'
	cmp "$F/mono.wav" "$BATS_TEST_TMPDIR/self.wav"
}

@test "bad settings exit 2 before any item" {
	run -2 mem-loudnorm -o "$OUT" --target -3 "$F/music.wav"
	run -2 mem-loudnorm -o "$OUT" --max-passes 6 "$F/music.wav"
	run -2 mem-loudnorm -o "$OUT" --format ogg "$F/music.wav"
	run -2 mem-loudnorm -o "$OUT" --tp-mode soft "$F/music.wav"
	run -2 mem-loudnorm -o "$OUT" --true-peak 1 "$F/music.wav"
	run -2 mem-loudnorm "$F/music.wav"
	[ ! -e "$OUT" ]
}

@test "an unreachable target under the ceiling fails with advice, nothing written" {
	run -1 mem-loudnorm -o "$OUT" --target -5 --true-peak -1 --max-passes 2 "$F/hot.wav"
	assert_output --partial 'hot.wav: target unreachable'
	assert_output --partial 'try --tp-mode cap'
	[ ! -e "$OUT/hot.wav" ]
	no_temps
}

@test "the built-in meter agrees with libebur128 and with FFmpeg's ebur128" {
	for f in music.wav surround.wav mono.wav quiet96.wav cbr128.mp3 tagged.flac hot.wav; do
		mem-loudnorm --measure --json --report "$BATS_TEST_TMPDIR/b.jsonl" "$F/$f" >/dev/null
		mem-loudnorm --measure --json --meter ebur128 --report "$BATS_TEST_TMPDIR/e.jsonl" \
			"$F/$f" >/dev/null
	done
	paste <(jq -r '[.input, .input_i, .input_tp] | @tsv' "$BATS_TEST_TMPDIR/b.jsonl") \
		<(jq -r '[.input_i, .input_tp] | @tsv' "$BATS_TEST_TMPDIR/e.jsonl") |
	while IFS=$'\t' read -r f i tp ei etp; do
		echo "$f: $i $tp / ebur128 $ei $etp / loudgain $(lufs "$f") $(dbtp "$f")"
		near "$i" "$(lufs "$f")" 0.01 || exit 1
		near "$i" "$ei" 0.02 || exit 1
		near "$tp" "$(dbtp "$f")" 0.03 || exit 1
	done
}

@test "--summary prints LevelUp's batch summary of reports appended by many runs" {
	for f in music.wav mono.wav; do
		mem-loudnorm -o "$OUT" --json --report "$BATS_TEST_TMPDIR/r.jsonl" "$F/$f" >/dev/null
	done
	ffmpeg -nostdin -v error -y -f lavfi -i anullsrc=d=2 "$BATS_TEST_TMPDIR/silence.wav"
	run -1 mem-loudnorm -o "$OUT" --json --report "$BATS_TEST_TMPDIR/r.jsonl" \
		"$BATS_TEST_TMPDIR/silence.wav"
	run -0 mem-loudnorm --summary "$BATS_TEST_TMPDIR/r.jsonl"
	assert_line --index 0 '=== LOUDNESS NORMALIZATION SUMMARY ==='
	assert_line --index 1 'Total files: 3'
	assert_line --index 2 'Completed: 2'
	assert_line --index 3 'Failed: 1'
	assert_line --index 4 'Success rate: 66.7%'
	assert_line --index 5 'Linear: 2, limited: 0, capped: 0, unchanged: 0'
	assert_line --index 6 --regexp '^Loudness error: mean 0\.0[0-9]+ LU, max 0\.0[0-9]+ LU$'
	run -2 mem-loudnorm --summary "$BATS_TEST_TMPDIR/none.jsonl"
	# an option after --summary is still checked
	run -2 --separate-stderr mem-loudnorm --summary "$BATS_TEST_TMPDIR/r.jsonl" --bogus
	[ -z "$output" ]
	[[ $stderr == *usage:* ]]
}

@test "--verify measures lossless outputs too; a range over --lra is kept and said" {
	run -0 mem-loudnorm -o "$OUT" --verify --lra 5 "$F/music.wav"
	assert_output --partial 'LRA over --lra 5.0 kept'
	refute_output --partial 'not re-measured'
	near "$(lra "$OUT/music.wav")" "$(lra "$F/music.wav")" 0.05
	run -0 bash -c 'mem-loudnorm -q -o "$1" --verify --json --report "$2" "$3" >/dev/null' _ \
		"$OUT/j" "$BATS_TEST_TMPDIR/r.jsonl" "$F/music.wav"
	run -0 jq -r '.verified' "$BATS_TEST_TMPDIR/r.jsonl"
	assert_output true
}

# ebu_sines OUT LEVEL:SECONDS...: a 1 kHz stereo sine at each level (dBFS) in
# turn, as EBU Tech 3341 and 3342 build their test signals.
ebu_sines() {
	local out=$1 n=0 in=() chain=''
	shift
	for seg; do
		# lavfi's sine has amplitude 1/8: 18.0618 dB under full scale
		in+=(-f lavfi -i "sine=f=1000:r=48000:d=${seg#*:},volume=$(
			awk -v l="${seg%%:*}" 'BEGIN { printf "%.4f", l + 18.0618 }')dB")
		chain="$chain[$n]"
		n=$((n + 1))
	done
	ffmpeg -nostdin -v error -y "${in[@]}" -filter_complex \
		"${chain}concat=n=$n:v=0:a=1,pan=stereo|c0=c0|c1=c0" -c:a pcm_f32le "$out"
}

@test "the meter gives EBU Tech 3341 and 3342's known answers" {
	local t=$BATS_TEST_TMPDIR
	ebu_sines "$t/3341-1.wav" -23:20
	ebu_sines "$t/3341-3.wav" -36:10 -23:60 -36:10
	ebu_sines "$t/3341-5.wav" -26:20 -20:20.1 -26:20
	ebu_sines "$t/3342-1.wav" -20:20 -30:20
	ebu_sines "$t/3342-2.wav" -20:20 -15:20
	mem-loudnorm --measure --json --report "$t/r.jsonl" "$t"/33*.wav >/dev/null
	run -0 jq -r 'select(.input) | "\(.input | sub(".*/"; "")) \(.input_i) \(.input_lra)"' "$t/r.jsonl"
	printf "%s\n" "$output"	# shown when the test fails
	while read -r f i lra; do
		case $f in
		3341-*) near "$i" -23 0.1 || return 1 ;;
		3342-1.wav) near "$lra" 10 1 || return 1 ;;
		3342-2.wav) near "$lra" 5 1 || return 1 ;;
		esac
	done <<<"$output"
}

@test "a FIFO or a directory, named or as a record's source, fails alone without hanging" {
	local t=$BATS_TEST_TMPDIR
	mkfifo "$t/fifo.wav"
	mkdir "$t/dir.wav"
	nul_write "$t/f.item" 'mem-item=1' "source=$t/fifo.wav" 'dest=f.wav' 'kind=audio'
	run -1 timeout 60 mem-loudnorm -q -o "$OUT" "$t/fifo.wav" "$t/dir.wav" "$t/f.item" \
		"$F/mono.wav"
	assert_line --index 0 "mem-loudnorm: $t/fifo.wav: not a regular file"
	assert_line --index 1 "mem-loudnorm: $t/dir.wav: not a regular file"
	assert_line --index 2 "mem-loudnorm: $t/f.item: $t/fifo.wav: not a regular file"
	[ "${#lines[@]}" -eq 4 ]	# and the path of the one done
	[ -f "$OUT/mono.wav" ]
}

@test "a record whose dest would leave OUT is refused and nothing is written outside" {
	local t=$BATS_TEST_TMPDIR
	nul_write "$t/up.item" 'mem-item=1' "source=$F/mono.wav" 'dest=../escape.wav' 'kind=audio'
	nul_write "$t/abs.item" 'mem-item=1' "source=$F/mono.wav" "dest=$t/abs.wav" 'kind=audio'
	run -1 mem-loudnorm -q -o "$OUT" "$t/up.item" "$t/abs.item"
	assert_line --index 0 "mem-loudnorm: $t/up.item: the record has a bad dest (absolute, or leaving OUT)"
	assert_line --index 1 "mem-loudnorm: $t/abs.item: the record has a bad dest (absolute, or leaving OUT)"
	[ ! -e "$t/escape.wav" ] && [ ! -e "$t/abs.wav" ]
	no_temps
}

# -- written outputs are checked; children are bounded ----------------------------

# A small tmpfs as OUT (root in the test machines); unmounted in teardown.
small_out() {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1"
	MOUNTED=$1
}

teardown() {
	if [ -n "${MOUNTED:-}" ]; then umount "$MOUNTED"; fi
}

@test "a FLAC that does not fit on the disk is not delivered: exit 1, named, no file left" {
	make_music "$BATS_TEST_TMPDIR/long.flac" 30 -8 44100 -c:a flac
	small_out "$OUT" 600k
	run -1 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/long.flac"
	assert_output --partial "mem-loudnorm: $BATS_TEST_TMPDIR/long.flac: "
	assert_output --regexp 'No space left on device|incomplete'
	[ ! -e "$OUT/long.flac" ]
	no_temps
}

@test "an MP3 that does not fit on the disk is not delivered: exit 1, named, no file left" {
	make_music "$BATS_TEST_TMPDIR/long.wav" 60 -8 44100 -c:a pcm_s16le
	ffmpeg -nostdin -v error -y -i "$BATS_TEST_TMPDIR/long.wav" -c:a libmp3lame -b:a 128k \
		"$BATS_TEST_TMPDIR/long.mp3"
	small_out "$OUT" 400k
	run -1 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/long.mp3"
	assert_output --partial "mem-loudnorm: $BATS_TEST_TMPDIR/long.mp3: "
	[ ! -e "$OUT/long.mp3" ]
	no_temps
}

@test "a one-minute MP3 verified without a second probe still lands within 0.1 LU" {
	make_music "$BATS_TEST_TMPDIR/min.wav" 60 -12 44100 -c:a pcm_s16le
	ffmpeg -nostdin -v error -y -i "$BATS_TEST_TMPDIR/min.wav" -c:a libmp3lame -b:a 128k \
		"$BATS_TEST_TMPDIR/min.mp3"
	run -0 mem-loudnorm -o "$OUT" "$BATS_TEST_TMPDIR/min.mp3"
	near "$(lufs "$OUT/min.mp3")" -16 0.1
	atmost "$(dbtp "$OUT/min.mp3")" -1.5
	[ "$(astream "$OUT/min.mp3" sample_rate)" = 44100 ]
	run -0 mem-loudnorm -o "$OUT/r" --sample-rate 48000 "$BATS_TEST_TMPDIR/min.mp3"
	near "$(lufs "$OUT/r/min.mp3")" -16 0.1
	[ "$(astream "$OUT/r/min.mp3" sample_rate)" = 48000 ]
}

@test "a decoder that hangs is killed at its time limit and the file is named, exit 1" {
	# an ffprobe that never answers stands for one stuck on a damaged
	# file; MEM_CHILD_LIMIT makes the limit short
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\nexec sleep 600\n' > "$BATS_TEST_TMPDIR/bin/ffprobe"
	chmod +x "$BATS_TEST_TMPDIR/bin/ffprobe"
	SECONDS=0
	PATH=$BATS_TEST_TMPDIR/bin:$PATH MEM_CHILD_LIMIT=1 run -1 mem-loudnorm -o "$OUT" "$F/music.wav"
	[ "$SECONDS" -lt 30 ]
	assert_output --partial "killed after its time limit of 1 s"
	[ ! -e "$OUT/music.wav" ]
}
