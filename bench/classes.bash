# bench/classes.bash -- part 4 of bench/pipeline (sourced by it; CLASSES=only
# runs this part alone): CPU seconds per item of each class, each run through
# one process of the real tool, against its floor measured in the same run:
#	JPEG, PNG	cp of the same files
#	video		a decode of each (ffmpeg -f null)
#	overlay image	djpeg | cjpeg at the source's quality, per file
#	overlay video	a decode (floor) and the encode mem-exif ran before
#			(x264 medium, CRF 18, every core): "today"
#	audio		a decode of each
#	fetched		only when a fetcher (mem-fetch) is on PATH
# and the orchestration's own CPU per item (make, mem-job, the monitor) on
# no-op steps. CPU is user + sys of every child (bash's times).
# Needs: T (a temp dir), REPO, N_CLASS (items a class, default 12).

cls_cpu() {	# cls_cpu CMD...: CPU-s of everything CMD runs
	local a b
	times > "$T/.times"	# not in a pipe: a subshell has no children
	a=$(tail -1 "$T/.times")
	"$@" > /dev/null 2>&1 || true
	times > "$T/.times"
	b=$(tail -1 "$T/.times")
	awk -v a="$a" -v b="$b" 'function s(t,  m) { split(t, m, /[ms]/); return m[1] * 60 + m[2] }
		BEGIN { split(a, x, " "); split(b, y, " ");
			printf "%.3f", s(y[1]) + s(y[2]) - s(x[1]) - s(x[2]) }'
}
per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.1f", 1000 * t / n }'; }
per2() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.2f", 1000 * t / n }'; }
cls_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
cls_row() {	# cls_row CLASS N CPU FLOORNAME FLOORCPU
	printf '  %-14s %3d items  %8s ms/item  floor (%s) %8s ms/item  %6sx\n' \
		"$1" "$2" "$(per "$3" "$2")" "$4" "$(per "$5" "$2")" "$(cls_ratio "$3" "$5")"
}
rec() {		# rec FILE SOURCE DEST KIND [OVERLAY]
	printf 'mem-item=1\0source=%s\0dest=%s\0kind=%s\0time=2023-01-15T08:30:45Z\0' \
		"$2" "$3" "$4" > "$1"
	[ -z "${5:-}" ] || printf 'overlay=%s\0' "$5" >> "$1"
}

classes() {
	local n=${N_CLASS:-12} nv=$(( ${N_CLASS:-12} / 3 )) d=$T/cls i f c fl today q
	local bin=${MEM_BIN:-$REPO/bin}
	[ "$nv" -ge 2 ] || nv=2
	mkdir -p "$d"/{jpeg,png,video,ovimg,ovvid,audio,rec,out}
	echo "per class ($(uptime | sed 's/.*load average/load average/')):"
	# the corpus: phone-sized pictures with detail, short clips, songs
	ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=1600x1200:r=1,noise=alls=6:allf=u" \
		-frames:v "$n" -qmin 1 -q:v 4 "$d/jpeg/%03d.jpg"
	ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=1080x1920:r=1,noise=alls=6:allf=u" \
		-frames:v "$n" -qmin 1 -q:v 4 "$d/ovimg/%03d.jpg"
	ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=800x600:r=1" -frames:v "$n" \
		"$d/png/%03d.png"
	ffmpeg -nostdin -v error -y -f lavfi -i "color=c=black@0:s=1080x1920,format=rgba,drawbox=x=0:y=ih*0.6:w=iw:h=ih*0.08:color=black@0.5:t=fill,drawtext=text='Hello 123':fontcolor=white:fontsize=h/16:x=w*0.1:y=h*0.61" \
		-frames:v 1 "$d/ovl.png"
	ffmpeg -nostdin -v error -y -f lavfi -i "color=c=black@0:s=720x1280,format=rgba,drawbox=x=0:y=ih*0.6:w=iw:h=ih*0.08:color=black@0.5:t=fill" \
		-frames:v 1 "$d/ovlv.png"
	for i in $(seq 1 "$nv"); do
		ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=1280x720:r=30:d=5" \
			-f lavfi -i "sine=f=$((200 + i * 40)):d=5" -c:v libx264 -preset veryfast \
			-pix_fmt yuv420p -c:a aac -shortest "$d/video/$i.mp4"
		ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=720x1280:r=30:d=5" \
			-f lavfi -i "sine=f=$((300 + i * 40)):d=5" -c:v libx264 -preset veryfast \
			-pix_fmt yuv420p -c:a aac -shortest "$d/ovvid/$i.mp4"
		ffmpeg -nostdin -v error -y -f lavfi -i "sine=f=$((220 + i * 30)):d=60" \
			-af "volume=-$((i * 3))dB" -c:a libmp3lame -b:a 128k "$d/audio/$i.mp3"
	done
	for c in jpeg png video ovimg ovvid audio; do
		i=0
		for f in "$d/$c"/*; do
			i=$((i + 1))
			case $c in
			ovimg) rec "$d/rec/$c.$i.item" "$f" "$c/$i.jpg" image "$d/ovl.png" ;;
			ovvid) rec "$d/rec/$c.$i.item" "$f" "$c/$i.mp4" video "$d/ovlv.png" ;;
			audio) rec "$d/rec/$c.$i.item" "$f" "$c/$i.mp3" audio ;;
			video) rec "$d/rec/$c.$i.item" "$f" "$c/$i.mp4" video ;;
			*) rec "$d/rec/$c.$i.item" "$f" "$c/${f##*/}" image ;;
			esac
		done
	done
	for c in jpeg png; do
		cpu=$(cls_cpu "$bin/mem-exif" -o "$d/out" "$d/rec/$c".*.item)
		fl=$(cls_cpu cp "$d/$c"/* "$d/out/")
		cls_row "$c" "$n" "$cpu" cp "$fl"
	done
	cpu=$(cls_cpu "$bin/mem-exif" -o "$d/out" "$d/rec/video".*.item)
	fl=0
	for f in "$d/video"/*; do
		fl=$(awk -v a="$fl" -v b="$(cls_cpu ffmpeg -nostdin -v error -i "$f" -f null -)" 'BEGIN { print a + b }')
	done
	cls_row video "$nv" "$cpu" decode "$fl"
	cpu=$(cls_cpu "$bin/mem-exif" -o "$d/out" "$d/rec/ovimg".*.item)
	q=$(exiftool -s3 -JPEGQualityEstimate "$d/ovimg/001.jpg")
	fl=0
	for f in "$d/ovimg"/*; do
		fl=$(awk -v a="$fl" -v b="$(cls_cpu sh -c 'djpeg "$1" | cjpeg -quality "$2" > /dev/null' _ "$f" "$q")" 'BEGIN { print a + b }')
	done
	cls_row "overlay image" "$n" "$cpu" "djpeg|cjpeg -quality $q" "$fl"
	cpu=$(cls_cpu "$bin/mem-exif" -o "$d/out" "$d/rec/ovvid".*.item)
	fl=0 today=0
	for f in "$d/ovvid"/*; do
		fl=$(awk -v a="$fl" -v b="$(cls_cpu ffmpeg -nostdin -v error -i "$f" -f null -)" 'BEGIN { print a + b }')
		today=$(awk -v a="$today" -v b="$(cls_cpu ffmpeg -nostdin -v error -y -i "$f" -loop 1 -i "$d/ovlv.png" \
			-filter_complex "[1:v]format=rgba[o];[o][0:v]scale2ref=flags=lanczos[os][b];[b][os]overlay=0:0:shortest=1:format=auto,scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p[v]" \
			-map '[v]' -map '0:a?' -c:v libx264 -preset medium -crf 18 -profile:v high -c:a aac -b:a 192k \
			-f mp4 "$d/today.mp4")" 'BEGIN { print a + b }')
	done
	cls_row "overlay video" "$nv" "$cpu" decode "$fl"
	echo "  overlay video: $(cls_ratio "$cpu" "$today")x the CPU of the encode before" \
		"(x264 medium CRF 18, all cores: $(per "$today" "$nv") ms/item; goal <= 0.4)"
	cpu=$(cls_cpu "$bin/mem-loudnorm" -q -o "$d/out" "$d/rec/audio".*.item)
	fl=0
	for f in "$d/audio"/*; do
		fl=$(awk -v a="$fl" -v b="$(cls_cpu ffmpeg -nostdin -v error -i "$f" -f null -)" 'BEGIN { print a + b }')
	done
	cls_row audio "$nv" "$cpu" decode "$fl"
	if command -v mem-fetch > /dev/null; then
		echo "  fetched: mem-fetch is on PATH but has no offline corpus here: not measured"
	else
		echo "  fetched: no fetcher in this tree (mem-fetch): not measured"
	fi
}

# The orchestration alone: no-op steps, CPU per item of make, mem-job and
# the monitor (pipeline and fresh are bench/pipeline's), against the same no-op run N
# times by a bare shell loop (its fork and exec are the step's, not the
# orchestration's: as part 1's wall-clock overhead), measured right after.
orchestration() {
	local cpu bare
	# (the records are in place before, as mem-scan leaves them: making
	# them is the scan's work, not the orchestration's)
	fresh "$T/o-cpu"
	cpu=$(cls_cpu pipeline "$T/noop" "$T/o-cpu" 1)
	bare=$(cls_cpu sh -c 'i=0; while [ "$i" -lt "$1" ]; do "$2"; i=$((i + 1)); done' \
		_ "$N" "$T/noop/mem-exif")
	echo "  orchestration (no-op steps, make -j1): $(per2 "$cpu" "$N") ms CPU/item;" \
		"the no-op steps alone (a shell loop) $(per2 "$bare" "$N") ms/item;" \
		"the orchestration's own $(per2 "$(awk -v a="$cpu" -v b="$bare" 'BEGIN { print a - b }')" "$N")" \
		"ms CPU/item (goal <= 1)"
}
