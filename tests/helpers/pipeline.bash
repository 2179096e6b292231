# pipeline.bash -- helpers for tests/pipeline.bats: hand-written item records
# and stand-in tools, so that the orchestration (plan, make and parallel
# engines, resume, status mapping, upload queue) is tested on its own; the
# end-to-end tests run the real tools.

# make_record OUT ID EXPORT SOURCE KIND DEST: a record as mem-scan writes it.
make_record() {
	mkdir -p "$1/.mem/items"
	printf 'mem-item=1\0id=%s\0source=%s\0export=%s\0platform=folder\0kind=%s\0dest=%s\0' \
		"$2" "$4" "$3" "$5" "$6" > "$1/.mem/items/$2.item"
}

# record_field FILE KEY: one field of a record.
record_field() {
	tr '\0' '\n' < "$1" | sed -n "s/^$2=//p" | head -n 1
}

# stub_tools DIR: stand-ins for the mem-* tools in DIR (put it first on
# PATH). They keep the contract (records in, output paths out, one line per
# failed item, 0/1/2) and append "TOOL start|end EPOCH-NS ID" to $STUB_TRACE:
#  mem-scan	prints the records already under OUT/.mem/items, sorted
#  mem-exif, mem-loudnorm	copy the source to OUT/dest (atomically); a
#		source that starts with "bad" fails, one with "warn"
#		warns (and succeeds); $STUB_SLEEP slows them
#  mem-upload	takes the lock OUT/.mem/upload.lock, lists what it got in
#		$STUB_TRACE, sleeps $STUB_UPLOAD_SLEEP
#  mem-advise	prints $STUB_ADVICE (default 2)
stub_tools() {
	local d=$1
	mkdir -p "$d"
	cat > "$d/mem-scan" <<'SH'
#!/bin/bash
out=
while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; --) shift; break;; esac; shift; done
find "$out/.mem/items" -name '*.item' -print0 | sort -z
SH
	cat > "$d/mem-exif" <<'SH'
#!/bin/bash
tool=${0##*/} out=
while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; --) shift; break;; *) break;; esac; shift; done
st=0
for rec; do
	src= dest= id=
	while IFS= read -r -d '' f || [ -n "$f" ]; do
		case $f in
		source=*) src=${f#source=} ;;
		dest=*) dest=${f#dest=} ;;
		id=*) id=${f#id=} ;;
		esac
	done < "$rec"
	[ -z "$STUB_TRACE" ] || echo "$tool start $(date +%s%N) $id" >> "$STUB_TRACE"
	[ -z "$STUB_SLEEP" ] || sleep "$STUB_SLEEP"
	case $(head -c 4 "$src") in
	bad*) echo "$tool: $src: not a JPEG (no SOI marker)" >&2; st=1; continue ;;
	warn) echo "$tool: $src: warning: no capture time" >&2 ;;
	esac
	mkdir -p "$(dirname "$out/$dest")"
	tmp=$(dirname "$out/$dest")/.$(basename "$dest").XXXXXX
	tmp=$(mktemp "$tmp") && cp "$src" "$tmp" && mv "$tmp" "$out/$dest" || { st=1; continue; }
	[ -z "$STUB_TRACE" ] || echo "$tool end $(date +%s%N) $id" >> "$STUB_TRACE"
	printf '%s\0' "$out/$dest"
done
exit $st
SH
	cp "$d/mem-exif" "$d/mem-loudnorm"
	cat > "$d/mem-upload" <<'SH'
#!/bin/bash
out=
while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; --) shift; break;; esac; shift; done
[ -z "$STUB_TRACE" ] || echo "mem-upload argv $(date +%s%N) $0 $* (parent: $(tr '\0' ' ' < /proc/$PPID/cmdline))" >> "$STUB_TRACE"
exec 8> "$out/.mem/upload.lock"
flock 8
n=0
[ -z "$STUB_TRACE" ] || echo "mem-upload start $(date +%s%N) -" >> "$STUB_TRACE"
while IFS= read -r -d '' rec; do
	n=$((n + 1))
	[ -z "$STUB_TRACE" ] || echo "mem-upload file $(date +%s%N) $(tr '\0' '\n' < "$rec" | sed -n 's/^id=//p')" >> "$STUB_TRACE"
done
[ -z "$STUB_UPLOAD_SLEEP" ] || sleep "$STUB_UPLOAD_SLEEP"
[ -z "$STUB_TRACE" ] || echo "mem-upload end $(date +%s%N) -" >> "$STUB_TRACE"
[ -z "$STUB_UPLOAD_FAIL" ] || { echo "mem-upload: server said 500" >&2; exit 1; }
echo "mem-upload: $n uploaded, 0 failed" >&2
SH
	cat > "$d/mem-advise" <<'SH'
#!/bin/sh
cat > /dev/null
echo "mem-advise: advice for this machine" >&2
echo "${STUB_ADVICE:-2}"
SH
	chmod +x "$d"/mem-*
}

# stub_set SRC OUT: sources and their records for two exports, "alpha"
# (four images, names that break shells and makefiles) and "beta" (two
# images and a song); prints nothing.
stub_set() {
	local src=$1 out=$2 i n
	local names=("plain.jpg" "with space.jpg" $'new\nline.jpg' "q'u\"o\$te:%#.jpg"
		"-dash.jpg" $'\377byte.jpg' "b2.jpg" "song.mp3")
	mkdir -p "$src/alpha" "$src/beta"
	for i in 0 1 2 3; do
		n=${names[$i]}
		printf 'alpha %d' "$i" > "$src/alpha/$n"
		make_record "$out" "$(printf 'a%015x' "$i")" alpha "$src/alpha/$n" image \
			"alpha/photos/alpha-$i.jpg"
	done
	for i in 4 5 6; do
		n=${names[$i]}
		printf 'beta %d' "$i" > "$src/beta/$n"
		make_record "$out" "$(printf 'b%015x' "$i")" beta "$src/beta/$n" image \
			"beta/photos/beta-$i.jpg"
	done
	printf 'song' > "$src/beta/song.mp3"
	make_record "$out" b000000000000007 beta "$src/beta/song.mp3" audio beta/songs/song.mp3
}

# run_stubbed ARGS...: mem-pipeline with the stand-in tools.
run_stubbed() {
	MEM_BIN=$STUBS run mem-pipeline "$@"
}

# trace_count WHAT: lines of $STUB_TRACE that start with WHAT.
trace_count() {
	grep -c "^$1" "$STUB_TRACE" || true
}

# start_sshd DIR: a second sshd for root on 127.0.0.1 (an ephemeral port),
# with its own host key and a client key; sets SSH_CMD (the ssh command
# that reaches it) and SSHD_PID. Skips the test when that cannot be done.
start_sshd() {
	local d=$1 port i
	[ "$(id -u)" -eq 0 ] || skip "a second sshd needs root"
	[ -x /usr/sbin/sshd ] || skip "openssh-server is not installed"
	command -v rsync > /dev/null || skip "rsync is not installed"
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host" &&
	ssh-keygen -q -t ed25519 -N '' -f "$d/id" || return 1
	cp "$d/id.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	for i in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 30000))
		cat > "$d/sshd_config" <<-EOF2
		Port $port
		ListenAddress 127.0.0.1
		HostKey $d/host
		AuthorizedKeysFile $d/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		StrictModes no
		UsePAM no
		PidFile $d/sshd.pid
		MaxStartups 50
		MaxSessions 50
		EOF2
		/usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" 3>&- &
		SSHD_PID=$!
		SSH_CMD="ssh -p $port -i $d/id -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
		for _ in $(seq 50); do
			$SSH_CMD root@127.0.0.1 true 2>/dev/null && return 0
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	done
	skip "could not start a second sshd"
}

# start_double DIR [ARGS...]: the Immich double on 127.0.0.1 (an ephemeral
# port); sets IMMICH_URL and DOUBLE_PID.
start_double() {
	local d=$1
	shift
	mkdir -p "$d"
	python3 "$REPO/tests/helpers/immich-double.py" --port-file "$d/port" "$@" \
		> "$d/log" 2>&1 3>&- &
	DOUBLE_PID=$!
	for _ in $(seq 100); do
		[ -s "$d/port" ] && break
		sleep 0.05
	done
	[ -s "$d/port" ] || return 1
	IMMICH_URL=http://127.0.0.1:$(cat "$d/port")
}

# double_get URL: the body of a GET (python3, which the tests need anyway).
double_get() {
	python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' "$1"
}
