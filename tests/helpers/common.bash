# common.bash -- loaded by every suite: the tools first on PATH, C locale,
# the bats libraries, and helpers for NUL streams and fixtures.
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

export LC_ALL=C TZ=UTC
REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
MEM_BIN=${MEM_BIN:-$REPO/bin}
PATH=$MEM_BIN:$REPO/scripts:$PATH
export REPO MEM_BIN PATH

# The tools that exist: cli.bats holds every one of them to the contract.
mem_tools() {
	local t
	for t in "$MEM_BIN"/mem-*; do
		[ -x "$t" ] && printf '%s\n' "${t##*/}"
	done
}

# nul_list FILE: a NUL stream shown one record a line, for assertions.
nul_list() {
	tr '\0' '\n' < "$1"
}

# nul_write FILE REC...: write the records NUL-terminated.
nul_write() {
	local f=$1
	shift
	printf '%s\0' "$@" > "$f"
}

# A small camera-like JPEG (with EXIF Make/Model) at $1.
make_jpeg() {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=${2:-64x48}:rate=1" \
		-frames:v 1 -f image2 -c:v mjpeg "$1" &&
	exiftool -q -overwrite_original -Make=Canon -Model='Canon EOS 80D' "$1"
}

# A one-second tone at $1 (format from the extension).
make_audio() {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "sine=frequency=440:duration=${2:-1}" "$1"
}

# A one-second H.264/AAC MP4 at $1.
make_video() {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=10:duration=1" \
		-f lavfi -i "sine=duration=1" -c:v libx264 -pix_fmt yuv420p -c:a aac \
		-shortest -f mp4 "$1"
}
