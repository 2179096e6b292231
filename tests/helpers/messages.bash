# messages.bash -- helpers of tests/mem-scan-messages.bats: the generated
# message exports (once a file) and reading records.

# The sample's message exports, made once for the whole file.
messages_sample() {
	MS=$BATS_FILE_TMPDIR/ms
	[ -d "$MS" ] || mksample "$MS" --only-messages
}

# scan_one EXPORT [OPTION...]: mem-scan -o $OUT of one export of the sample.
scan_one() {
	local ex=$1
	shift
	OUT=$BATS_TEST_TMPDIR/out
	run -0 mem-scan -o "$OUT" "$@" "$MS/$ex"
}

# rec SUFFIX: the record whose source ends with SUFFIX (exactly one).
rec() {
	local f n=0 hit=
	for f in "$OUT"/.mem/items/*.item; do
		if SUF=$1 perl -0 -ne 'chomp; $h = 1 if index($_, "source=") == 0 &&
		    substr($_, -length($ENV{SUF})) eq $ENV{SUF}; END { exit($h ? 0 : 1) }' \
		    < "$f"; then
			hit=$f
			n=$((n + 1))
		fi
	done
	[ "$n" -eq 1 ] || { echo "rec $1: $n records" >&2; return 1; }
	printf '%s\n' "$hit"
}

# field RECORD KEY: the values of KEY, one a line (captions keep their lines).
field() {
	perl -0 -ne 'BEGIN { $k = shift @ARGV } chomp;
	    print substr($_, length($k) + 1), "\n" if index($_, "$k=") == 0' "$2" < "$1"
}

# report EXPORT: the export's failure report, pretty, for grep.
report() {
	python3 -m json.tool "$OUT/$1/issues/failure-report.json"
}

# url_rec URL: the record whose url= is URL (exactly one).
url_rec() {
	local f n=0 hit=
	for f in "$OUT"/.mem/items/*.item; do
		if [ "$(field "$f" url)" = "$1" ]; then
			hit=$f
			n=$((n + 1))
		fi
	done
	[ "$n" -eq 1 ] || { echo "url_rec $1: $n records" >&2; return 1; }
	printf '%s\n' "$hit"
}
