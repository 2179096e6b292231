/*
 * mem-loudnorm -- EBU R128 loudness normalization with the FFmpeg CLI.
 *
 * For each audio or video file (operands, else NUL-separated paths or item
 * records on stdin): measure once (BS.1770 over ffmpeg's decode), apply the
 * exact linear gain T - I, limit only when the true peak would pass the
 * ceiling, measure lossy or limited outputs again and correct from the
 * source until the error is under the threshold. Print each output path,
 * NUL-terminated; report each file on stderr (or --report).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-loudnorm.h"

#define MAXPASSES 5
/*
 * True-peak readings of two 4x meters differ by a few hundredths of a dB
 * (interpolator and grid); decisions keep this much away from the ceiling
 * so that another meter never reads an output over it.
 */
#define TPGUARD 0.05

struct settings set = {
	.target = -16, .tpmax = -1.5, .lra = 11, .threshold = 0.1,
	.maxpasses = 3, .metadata = 1, .limit = 1,
};
static const char *outdir;
static int measure_only;
int quiet, json;
FILE *report;
unsigned long ntotal, ndone, nfailed;
double maxerr;

_Noreturn static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [-q] [--measure] [--json] [--report FILE] "
	    "[--target LUFS]\n"
	    "       [--true-peak dBTP] [--tp-mode limit|cap] [--lra LU] "
	    "[--threshold LU]\n"
	    "       [--max-passes N] [--format same|mp3|flac|wav|m4a|opus] "
	    "[--bitrate RATE]\n"
	    "       [--sample-rate HZ] [--dual-mono] [--[no-]keep-metadata] "
	    "[--verify]\n"
	    "       [--meter builtin|ebur128]\n"
	    "       -o DIR [--] [file ...]\n"
	    "       %s --summary REPORT\n", progname, progname);
	exit(status);
}

/* "192k", "192000", "320K": bits per second. */
static long
parse_bitrate(const char *s)
{
	size_t n = strlen(s);
	char *num;
	long long v;

	if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'K')) {
		num = xmemdup(s, n - 1);
		v = num_ll("--bitrate", num, 6, 512) * 1000;
		free(num);
		return (long)v;
	}
	return (long)num_ll("--bitrate", s, 6000, 512000);
}

/* OUT/rel, its extension replaced by ext when ext is not "". */
static char *
out_name(const char *rel, const char *ext)
{
	const char *b = path_base(rel), *dot = strrchr(b, '.');
	size_t keep = strlen(rel);

	if (*ext != '\0' && dot != NULL && dot != b)
		keep = (size_t)(dot - rel);
	return xasprintf("%s/%.*s%s", outdir, (int)keep, rel, ext);
}

static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A candidate output of one pass. */
struct pass {
	struct atomic a;
	struct loudness m;
	int	 open;
};

static void
pass_drop(struct pass *p)
{
	if (p->open)
		atomic_abort(&p->a);
	p->open = 0;
}

/*
 * A file already on target (a second run over its own output) is copied
 * byte for byte: re-encoding a lossy file would only cost a generation.
 */
static int
on_target(const struct result *r, const struct target *t, const struct probe *p)
{
	double tol = t->lossy ? set.threshold : fmin(set.threshold, 0.05);

	return fabs(r->in.i - set.target) <= tol &&
	    r->in.tp <= set.tpmax - TPGUARD && set.format == NULL &&
	    (set.rate == 0 || set.rate == p->rate) && set.metadata;
}

static int
copy_file(const char *src, struct pass *out, char *why, size_t whysize)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(src, "rb");

	if (in == NULL) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out->a.fp) != n)
			break;
	if (ferror(in) || ferror(out->a.fp)) {
		snprintf(why, whysize, "copy: %s", strerror(errno));
		fclose(in);
		return -1;
	}
	fclose(in);
	return 0;
}

/*
 * Render until the output is within the threshold: each pass starts from
 * the source with the gain corrected by the last measured error (a lossy
 * encoder's loudness shift hardly depends on the gain, so one correction
 * usually does), and lowers the limiter ceiling by any true-peak overshoot.
 * Keeps the best output whose true peak is under the limit.
 */
static int
normalize(const char *src, const char *dst, const struct probe *p,
    const struct target *t, struct result *r, struct pass *best,
    char *why, size_t whysize)
{
	struct pass cur;
	struct probe op;
	double gain, ceiling = INFINITY, goal = set.target, preerr = INFINITY;
	int verify, pass;

	memset(best, 0, sizeof(*best));
	if (on_target(r, t, p)) {
		if (atomic_open(&best->a, dst, "") < 0) {
			snprintf(why, whysize, "%s: %s", dst, strerror(errno));
			return -1;
		}
		best->open = 1;
		if (copy_file(src, best, why, whysize) < 0) {
			pass_drop(best);
			return -1;
		}
		r->mode = UNCHANGED;
		r->gain = 0;
		r->passes = 0;
		best->m = r->in;
		return 0;
	}
	gain = set.target - r->in.i;
	r->mode = LINEAR;
	if (r->in.tp + gain > set.tpmax - TPGUARD) {
		if (set.limit) {
			r->mode = LIMITED;
			ceiling = set.tpmax - 0.3;
		} else {
			r->mode = CAPPED;
			gain = set.tpmax - TPGUARD - r->in.tp;
			goal = r->in.i + gain;
		}
	}
	verify = set.verify || t->lossy || r->mode == LIMITED ||
	    (set.rate > 0 && set.rate != p->rate);
	if (t->lossy && r->mode != CAPPED)
		gain -= t->shift;
	for (pass = 1; pass <= set.maxpasses; pass++) {
		double err, over;

		memset(&cur, 0, sizeof(cur));
		if (atomic_open(&cur.a, dst, "") < 0) {
			snprintf(why, whysize, "%s: %s", dst, strerror(errno));
			return -1;
		}
		cur.open = 1;
		if (render(src, cur.a.tmp, p, t, &set, gain, ceiling, why, whysize) < 0) {
			pass_drop(&cur);
			return -1;
		}
		r->passes = pass;
		/* a full disk leaves a file whose header was never finished */
		if (!verify && written_whole(cur.a.tmp, t, r->in.seconds, why, whysize) < 0) {
			pass_drop(&cur);
			return -1;
		}
		if (!verify) {
			cur.m.i = r->in.i + gain;
			cur.m.tp = r->in.tp + gain;
			cur.m.lra = r->in.lra;
			cur.m.seconds = r->in.seconds;
			r->gain = gain;
			*best = cur;
			return 0;
		}
		/* The output's stream is what the render made of the source's:
		 * its layout, at the rate asked for. No second probe. */
		op = *p;
		op.stale = NULL;
		op.nstale = 0;
		if (set.rate > 0)
			op.rate = set.rate;
		if (measure(cur.a.tmp, &op, set.dualmono, &cur.m, why, whysize) < 0) {
			pass_drop(&cur);
			return -1;
		}
		/* the decode of what was written is its completeness check */
		if (cur.m.seconds + fmax(0.5, 0.02 * r->in.seconds) < r->in.seconds) {
			snprintf(why, whysize, "the output is incomplete (%.1f s of %.1f s: "
			    "disk full?)", cur.m.seconds, r->in.seconds);
			pass_drop(&cur);
			return -1;
		}
		err = cur.m.i - goal;
		over = cur.m.tp - (set.tpmax - TPGUARD);
		if (over <= 0 && (!best->open || fabs(err) < fabs(best->m.i - goal))) {
			pass_drop(best);
			*best = cur;
			r->gain = gain;
			r->verified = 1;
		} else {
			pass_drop(&cur);
		}
		/* Capped: the true peak decides alone, the shortfall is reported. */
		if (r->mode == CAPPED || (over > 0 && !set.limit)) {
			if (over <= 0)
				break;
			r->mode = CAPPED;
			gain -= over + 0.05;
			continue;
		}
		if (over <= 0 && fabs(err) <= set.threshold)
			break;
		/* LevelUp's third stop: a pass that did not improve. */
		if (over <= 0 && pass > 1 && fabs(err) >= fabs(preerr) - 0.005)
			break;
		preerr = err;
		gain -= err;
		if (over > 0) {
			if (!isfinite(ceiling))
				ceiling = fmin(r->in.tp + gain + err, set.tpmax - TPGUARD);
			ceiling -= over + 0.1;
			r->mode = LIMITED;
		}
	}
	if (!best->open) {
		snprintf(why, whysize, "true peak stays over %.1f dBTP after %d "
		    "passes", set.tpmax, r->passes);
		return -1;
	}
	if (r->mode != CAPPED && fabs(best->m.i - goal) > set.threshold) {
		snprintf(why, whysize, "target unreachable: best %.2f LUFS "
		    "(%+.2f LU) at %.1f dBTP after %d passes; try --tp-mode cap or "
		    "a lower --target", best->m.i, best->m.i - set.target,
		    set.tpmax, r->passes);
		pass_drop(best);
		return -1;
	}
	return 0;
}

/* The capture instant of an item is the output's mtime (design §5). */
static void
set_mtime(const char *path, const struct item *it)
{
	struct timespec ts[2];

	if (it == NULL || !it->has_time)
		return;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)it->time;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		warn_("%s: cannot set time", path);
}

static int
process(const char *path, struct result *r, char *why, size_t whysize)
{
	struct item it, *itp = NULL;
	struct source media = { .fd = -1 };
	struct probe p;
	struct target t;
	struct pass best;
	const char *src = path, *name = path, *rel, *w, *member = NULL;
	char *dst = NULL, *spool = NULL;
	struct stat st;
	long long insize;
	int rc = -1, rec;

	if ((rec = item_or_path(&it, path, &w)) < 0) {
		snprintf(why, whysize, "%s", w);
		return -1;
	}
	if (rec == 1) {
		itp = &it;
		src = it.source;
		if (it.kind == KIND_IMAGE) {
			snprintf(why, whysize, "an image item, not audio");
			goto out;
		}
		/* a dest is joined to OUT: it must not climb out of it */
		if (!measure_only && it.dest != NULL && *it.dest != '\0' &&
		    (dst = item_dest(&it, outdir, &w)) == NULL) {
			snprintf(why, whysize, "%s", w);
			goto out;
		}
		free(dst);
		dst = NULL;
		name = src;
		/*
		 * An archive member goes to memory, or past SOURCE_RAM_MAX to an
		 * unlinked file in OUT/.mem: ffmpeg reads the source several
		 * times (probe, measure, render) and an M4A's moov may be at
		 * its end, so a pipe will not do. ffmpeg opens /dev/fd/N.
		 */
		if ((member = item_field(&it, "member")) != NULL) {
			spool = xasprintf("%s/.mem", outdir ? outdir :
			    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
			if (source_open(&media, it.source, member, item_field(&it,
			    "member_sig"), spool, 0, why, whysize) < 0) {
				char *reason = xstrdup(why);

				snprintf(why, whysize, "%s: %s: %s", it.source, member, reason);
				free(reason);
				goto out;
			}
			src = media.path;
			name = member;
		}
		/* ffprobe would wait forever on a FIFO */
		if (stat(src, &st) < 0) {
			snprintf(why, whysize, "%s: %s", src, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, whysize, "%s: not a regular file", src);
			goto out;
		}
	}
	/* a child that hangs on a damaged file is killed at a limit sized to it */
	insize = stat(src, &st) == 0 ? (long long)st.st_size : 0;
	spawn_limit(spawn_budget(insize, 0));
	if (probe_file(src, &p, why, whysize) < 0)
		goto out;
	spawn_limit(spawn_budget(insize, p.duration));
	if (p.duration >= 0 && p.duration < 0.4) {
		snprintf(why, whysize, "too short (%.2f s): integrated loudness "
		    "is undefined under 0.4 s", p.duration);
		goto outp;
	}
	if (measure(src, &p, set.dualmono, &r->in, why, whysize) < 0)
		goto outp;
	r->have_in = 1;
	if (p.duration > 0 && r->in.seconds + fmax(0.5, 0.02 * p.duration) < p.duration) {
		snprintf(why, whysize, "truncated: only %.1f s of %.1f s decode",
		    r->in.seconds, p.duration);
		goto outp;
	}
	if (r->in.seconds < 0.4) {
		snprintf(why, whysize, "too short (%.2f s): integrated loudness "
		    "is undefined under 0.4 s", r->in.seconds);
		goto outp;
	}
	if (!(r->in.i > -69.995)) {
		snprintf(why, whysize, "silent (integrated loudness -inf): "
		    "not normalized");
		goto outp;
	}
	r->wide = r->in.lra > set.lra;
	if (measure_only) {
		r->status = "measured";
		rc = 0;
		goto outp;
	}
	if (pick_target(&p, &set, name, &t, why, whysize) < 0)
		goto outp;
	rel = itp && it.dest && *it.dest ? it.dest : path_base(name);
	dst = out_name(rel, t.ext);
	if (same_file(src, dst)) {
		snprintf(why, whysize, "the output %s would replace the source", dst);
		goto outp;
	}
	if (mkdir_parent(dst) < 0) {
		snprintf(why, whysize, "%s: %s", dst, strerror(errno));
		goto outp;
	}
	if (normalize(src, dst, &p, &t, r, &best, why, whysize) < 0)
		goto outp;
	set_mtime(best.a.tmp, itp);
	r->out = best.m;
	r->have_out = 1;
	r->error = best.m.i - set.target;
	if (atomic_commit(&best.a) < 0) {
		snprintf(why, whysize, "%s: %s", dst, strerror(errno));
		goto outp;
	}
	r->status = "normalized";
	r->output = dst;
	out_path(dst);
	dst = NULL;	/* r->output keeps it until the report */
	rc = 0;
outp:
	probe_free(&p);
out:
	if (rc < 0)
		free(dst);
	source_close(&media);
	free(spool);
	item_free(&it);
	return rc;
}

static void
setup(const char *reportpath)
{
	if (!have_program("ffmpeg") || !have_program("ffprobe"))
		die(ST_FATAL, "ffmpeg and ffprobe are needed and not on PATH");
	if (!measure_only) {
		if (outdir == NULL) {
			warnx_("-o DIR is required (or --measure)");
			usage(stderr, ST_USAGE);
		}
		if (outdir_ready(outdir) < 0)
			die_errno(ST_FATAL, "%s", outdir);
	}
	report = stderr;
	if (reportpath != NULL && (report = fopen(reportpath, "a")) == NULL)
		die_errno(ST_FATAL, "%s", reportpath);
}

int
main(int argc, char *argv[])
{
	enum { O_TARGET = 256, O_TP, O_TPMODE, O_LRA, O_THRESHOLD, O_PASSES,
	    O_FORMAT, O_BITRATE, O_RATE, O_DUAL, O_KEEP, O_NOKEEP, O_MEASURE,
	    O_JSON, O_REPORT, O_VERIFY, O_METER, O_SUMMARY, O_VERSION };
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, O_TARGET },
		{ "true-peak", required_argument, NULL, O_TP },
		{ "tp-mode", required_argument, NULL, O_TPMODE },
		{ "lra", required_argument, NULL, O_LRA },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "max-passes", required_argument, NULL, O_PASSES },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "bitrate", required_argument, NULL, O_BITRATE },
		{ "sample-rate", required_argument, NULL, O_RATE },
		{ "dual-mono", no_argument, NULL, O_DUAL },
		{ "keep-metadata", no_argument, NULL, O_KEEP },
		{ "no-keep-metadata", no_argument, NULL, O_NOKEEP },
		{ "measure", no_argument, NULL, O_MEASURE },
		{ "json", no_argument, NULL, O_JSON },
		{ "report", required_argument, NULL, O_REPORT },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "meter", required_argument, NULL, O_METER },
		{ "summary", required_argument, NULL, O_SUMMARY },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct input in;
	struct later later = { 0 };
	const char *path, *reportpath = NULL, *summarypath = NULL;
	int ch, status = ST_OK;

	setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "+ho:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, ST_OK);
			/* NOTREACHED */
		case 'o':
			outdir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case O_TARGET:
			set.target = num_d("--target", optarg, -70, -5);
			break;
		case O_TP:
			set.tpmax = num_d("--true-peak", optarg, -20, 0);
			break;
		case O_TPMODE:
			if (strcmp(optarg, "limit") == 0)
				set.limit = 1;
			else if (strcmp(optarg, "cap") == 0)
				set.limit = 0;
			else
				die(ST_USAGE, "--tp-mode: %s: not limit or cap", optarg);
			break;
		case O_LRA:
			set.lra = num_d("--lra", optarg, 1, 50);
			break;
		case O_THRESHOLD:
			set.threshold = num_d("--threshold", optarg, 0.01, 5);
			break;
		case O_PASSES:
			set.maxpasses = (int)num_ll("--max-passes", optarg, 1, MAXPASSES);
			break;
		case O_FORMAT:
			if (strcmp(optarg, "same") == 0)
				set.format = NULL;
			else if (strcmp(optarg, "mp3") == 0 || strcmp(optarg, "flac") == 0 ||
			    strcmp(optarg, "wav") == 0 || strcmp(optarg, "m4a") == 0 ||
			    strcmp(optarg, "opus") == 0)
				set.format = optarg;
			else
				die(ST_USAGE, "--format: %s: not same, mp3, flac, wav, "
				    "m4a or opus", optarg);
			break;
		case O_BITRATE:
			set.bitrate = parse_bitrate(optarg);
			break;
		case O_RATE:
			set.rate = (int)num_ll("--sample-rate", optarg, 8000, 384000);
			break;
		case O_DUAL:
			set.dualmono = 1;
			break;
		case O_KEEP:
			set.metadata = 1;
			break;
		case O_NOKEEP:
			set.metadata = 0;
			break;
		case O_MEASURE:
			measure_only = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_REPORT:
			reportpath = optarg;
			break;
		case O_VERIFY:
			set.verify = 1;
			break;
		case O_METER:
			if (strcmp(optarg, "builtin") == 0)
				use_ebur128 = 0;
			else if (strcmp(optarg, "ebur128") == 0)
				use_ebur128 = 1;
			else
				die(ST_USAGE, "--meter: %s: not builtin or ebur128", optarg);
			break;
		case O_SUMMARY:
			summarypath = optarg;
			break;
		case O_VERSION:
			print_version();
			return ST_OK;
		default:
			usage(stderr, ST_USAGE);
			/* NOTREACHED */
		}
	}
	argc -= optind;
	argv += optind;
	/* after every option is checked: a bad one after it is still exit 2 */
	if (summarypath != NULL) {
		if (summarize(summarypath) < 0)
			die_errno(ST_FATAL, "%s", summarypath);
		out_close();
		return ST_OK;
	}
	setup(reportpath);

	input_init(&in, argc, argv);
	for (;;) {
		struct result r;
		char why[1024];

		/* tar members last, in archive order: one pass over a tgz */
		if ((path = input_next(&in, &status)) != NULL && later_add(&later, path))
			continue;
		if (path == NULL && (path = later_next(&later)) == NULL)
			break;

		memset(&r, 0, sizeof(r));
		r.input = path;
		ntotal++;
		if (process(path, &r, why, sizeof(why)) < 0) {
			warnx_("%s: %s", path, why);
			r.status = "failed";
			r.reason = why;
			status = ST_ITEM;
			nfailed++;
		} else {
			ndone++;
			if (r.have_out && fabs(r.error) > maxerr && r.mode != CAPPED)
				maxerr = fabs(r.error);
			if (measure_only)
				out_path(path);
		}
		report_line(&r);
		free((char *)r.output);
	}
	input_free(&in);
	later_free(&later);
	source_report(!quiet);
	summary();
	if (report != stderr && fclose(report) == EOF)
		die_errno(ST_FATAL, "report");
	out_close();
	return status;
}
