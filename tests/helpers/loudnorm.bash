# loudnorm.bash -- fixtures and the independent meter for mem-loudnorm.bats.
# Audio is generated with ffmpeg lavfi; loudness is read back with loudgain
# (libebur128), not with the ebur128 filter that mem-loudnorm itself uses.

# Music-like material with real dynamics: kick, bass, a chord that changes
# every 2 s, hi-hat noise, and quiet verses against loud choruses.
# make_music FILE SECONDS [GAIN_DB] [RATE] [extra ffmpeg output options...]
make_music() {
	local f=$1 d=$2 g=${3:-0} r=${4:-44100}
	shift 4 2>/dev/null || shift $#
	local ch='0.5*if(lt(mod(t,8),4),0.3,1)*(0.6*sin(2*PI*55*t)*exp(-8*mod(t,0.5))+0.3*sin(2*PI*(220+110*floor(mod(t/2,4)))*t)+0.15*(random(0)-0.5)*exp(-30*mod(t+0.25,0.5)))'
	local ch2='0.5*if(lt(mod(t,8),4),0.3,1)*(0.6*sin(2*PI*55*t)*exp(-8*mod(t,0.5))+0.3*sin(2*PI*(330+110*floor(mod(t/2,4)))*t)+0.15*(random(1)-0.5)*exp(-30*mod(t+0.25,0.5)))'
	ffmpeg -nostdin -v error -y -f lavfi -i "aevalsrc='$ch|$ch2':s=$r:d=$d" \
		-af "volume=${g}dB" "$@" "$f"
}

# A hot master: the same music driven +14 dB into a limiter, so that its
# loudness is high and its true peak sits at the ceiling with overs between
# samples.
make_hot() {
	local f=$1 d=$2
	shift 2
	make_music "$f.tmp.wav" "$d" 14 44100 -c:a pcm_f32le &&
	ffmpeg -nostdin -v error -y -i "$f.tmp.wav" \
		-af "alimiter=limit=0.98:level=disabled" "$@" "$f" &&
	rm -f "$f.tmp.wav"
}

# Integrated loudness (LUFS) of FILE by loudgain; "-inf" when silent.
lufs() {
	loudgain -O -q "$1" 2>/dev/null | awk -F'\t' 'NR == 2 { sub(/ LUFS/, "", $2); print $2 }'
}

# True peak (dBTP) of FILE by loudgain.
dbtp() {
	loudgain -O -q "$1" 2>/dev/null | awk -F'\t' 'NR == 2 { sub(/ dBTP/, "", $5); print $5 }'
}

# Loudness range (LU) of FILE by loudgain.
lra() {
	loudgain -O -q "$1" 2>/dev/null | awk -F'\t' 'NR == 2 { sub(/ dB/, "", $3); print $3 }'
}

# near VALUE WANT TOLERANCE: |VALUE - WANT| <= TOLERANCE, said when not.
near() {
	awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN {
		d = v - w; if (d < 0) d = -d
		if (v == "" || d > t + 1e-9) { printf "%s is not within %s of %s\n", v, t, w; exit 1 }
	}'
}

# atmost VALUE LIMIT: VALUE <= LIMIT.
atmost() {
	awk -v v="$1" -v l="$2" 'BEGIN {
		if (v == "" || v > l + 1e-9) { printf "%s is over %s\n", v, l; exit 1 }
	}'
}

# stream FILE ENTRY: one ffprobe field of the first audio stream.
astream() {
	ffprobe -v error -select_streams a:0 -show_entries "stream=$2" \
		-of default=nw=1:nk=1 "$1"
}
