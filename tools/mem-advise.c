/*
 * mem-advise -- pick the parallelism for a run (make's -j, exports at once,
 * workers per export) from the machine and the input set, and warn where a
 * setting would over-subscribe it. Advice goes to stderr; stdout gets the
 * -j value, or with --json every figure, rule and warning.
 */
#define _GNU_SOURCE		/* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <jansson.h>

#include "mem.h"

/* What one job of each kind needs resident (LevelUp: 50-100 MB per ffmpeg
 * worker; a video with an overlay is a full decode and encode). */
#define MEM_IMAGE	(64LL << 20)
#define MEM_AUDIO	(128LL << 20)
#define MEM_VIDEO	(512LL << 20)
#define FDS_PER_JOB	64	/* a tool, its ffmpeg, pipes, make's own */
#define ROTATIONAL_JOBS	2	/* more seeks than that thrash one spindle */

struct machine {
	long	 cores;			/* usable: affinity, cgroup quota */
	const char *cores_from;
	long long mem;			/* bytes available */
	const char *mem_from;
	long long free;			/* bytes free on OUT's filesystem, -1 unknown */
	int	 rotational;		/* -1 unknown */
	int	 netfs;
	const char *fstype;
	long long nofile;		/* ulimit -n */
};

struct inputset {
	long	 items, images, videos, audio, other;
	long long bytes;
	char	**exports;		/* distinct export names from records */
	size_t	 nexports;
};

static json_t *rules, *warnings;
static int jflag;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [--parallel-exports P] [-w W] [-j N] [-o OUT] [--json]\n"
	    "       [--cores N] [--mem-available BYTES] [--free-space BYTES]\n"
	    "       [--rotational] [--network-fs] [--open-files N] [--] [path ...]\n",
	    progname);
	exit(status);
}

/* A human line on stderr, and the same in the JSON list of warnings. */
static void
warning(const char *rule, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: warning: %s\n", progname, buf);
	json_array_append_new(warnings, json_pack("{s:s,s:s}", "rule", rule, "text", buf));
}

static void
rule(const char *name, long jobs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(rules, json_pack("{s:s,s:I,s:s}", "rule", name,
	    "jobs", (json_int_t)jobs, "text", buf));
}

static long long
env_or(const char *name, long long min, long long max, long long dflt)
{
	const char *v = getenv(name);

	return v && *v ? num_ll(name, v, min, max) : dflt;
}

/* First line of a small file, or -1. */
static int
read_line(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "re");
	int ok;

	if (fp == NULL)
		return -1;
	ok = fgets(buf, (int)size, fp) != NULL;
	fclose(fp);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Our cgroup v2 directory, from /proc/self/cgroup ("0::/path"). */
static char *
cgroup_dir(void)
{
	char line[PATH_MAX];

	if (read_line("/proc/self/cgroup", line, sizeof(line)) < 0 ||
	    strncmp(line, "0::", 3) != 0)
		return xstrdup("/sys/fs/cgroup");
	return xasprintf("/sys/fs/cgroup%s", strcmp(line + 3, "/") == 0 ? "" : line + 3);
}

/* A container's CPU quota (cpu.max "QUOTA PERIOD") caps the cores we may use
 * whatever nproc says; "max" means no cap. */
static long
cgroup_cpus(const char *dir)
{
	char path[PATH_MAX + 16], buf[64];
	long long quota, period;

	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	if (read_line(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%lld %lld", &quota, &period) != 2 || period <= 0)
		return 0;
	return (long)((quota + period - 1) / period);
}

static long long
cgroup_mem(const char *dir)
{
	char path[PATH_MAX + 16], buf[64];
	long long limit, used;

	snprintf(path, sizeof(path), "%s/memory.max", dir);
	if (read_line(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%lld", &limit) != 1)
		return -1;
	snprintf(path, sizeof(path), "%s/memory.current", dir);
	if (read_line(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%lld", &used) != 1)
		used = 0;
	return limit > used ? limit - used : 0;
}

static long long
meminfo_available(void)
{
	FILE *fp = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb < 0 ? -1 : kb * 1024;
}

/* /sys/dev/block/MAJ:MIN is the partition; its queue/ is on the disk above. */
static int
is_rotational(dev_t dev)
{
	char path[128], buf[16];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/rotational",
	    major(dev), minor(dev));
	if (read_line(path, buf, sizeof(buf)) == 0)
		return buf[0] == '1';
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../queue/rotational",
	    major(dev), minor(dev));
	if (read_line(path, buf, sizeof(buf)) == 0)
		return buf[0] == '1';
	return -1;
}

static const char *
netfs_name(long type)
{
	static const struct { long magic; const char *name; } fs[] = {
		{ 0x6969, "nfs" }, { 0x517B, "smb" }, { (long)0xFF534D42, "cifs" },
		{ (long)0xFE534D42, "smb2" }, { 0x65735546, "fuse" },
		{ 0x01021997, "9p" }, { 0x5346414F, "afs" }, { 0x00C36400, "ceph" },
	};
	size_t i;

	for (i = 0; i < LEN(fs); i++)
		if (fs[i].magic == type)
			return fs[i].name;
	return NULL;
}

static void
probe_machine(struct machine *m, const char *out, int force_rot, int force_net)
{
	cpu_set_t set;
	char *cg = cgroup_dir();
	long n, quota;
	long long cmem;
	struct statvfs sv;
	struct statfs sf;
	struct stat st;
	struct rlimit rl;
	const char *where = out ? out : ".";

	n = sysconf(_SC_NPROCESSORS_ONLN);
	m->cores_from = "online";
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
		n = CPU_COUNT(&set);
		m->cores_from = "affinity";
	}
	if ((quota = cgroup_cpus(cg)) > 0 && quota < n) {
		n = quota;
		m->cores_from = "cgroup quota";
	}
	m->cores = n > 0 ? n : 1;
	m->mem = meminfo_available();
	m->mem_from = "MemAvailable";
	if ((cmem = cgroup_mem(cg)) >= 0 && (m->mem < 0 || cmem < m->mem)) {
		m->mem = cmem;
		m->mem_from = "cgroup limit";
	}
	free(cg);
	m->free = statvfs(where, &sv) == 0 ? (long long)sv.f_bavail * (long long)sv.f_frsize : -1;
	m->rotational = stat(where, &st) == 0 ? is_rotational(st.st_dev) : -1;
	m->fstype = statfs(where, &sf) == 0 ? netfs_name((long)sf.f_type) : NULL;
	m->netfs = m->fstype != NULL;
	m->nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ?
	    (long long)rl.rlim_cur : LLONG_MAX;

	/* Injected facts win, so tests and what-if questions are exact. */
	if (getenv("MEM_CORES") && *getenv("MEM_CORES")) {
		m->cores = (long)num_ll("MEM_CORES", getenv("MEM_CORES"), 1, 1 << 20);
		m->cores_from = "given";
	}
	if (getenv("MEM_MEM_AVAILABLE") && *getenv("MEM_MEM_AVAILABLE"))
		m->mem_from = "given";
	m->mem = env_or("MEM_MEM_AVAILABLE", 0, LLONG_MAX, m->mem);
	m->free = env_or("MEM_FREE_SPACE", 0, LLONG_MAX, m->free);
	m->nofile = env_or("MEM_OPEN_FILES", 1, LLONG_MAX, m->nofile);
	if (getenv("MEM_ROTATIONAL") && *getenv("MEM_ROTATIONAL"))
		m->rotational = (int)num_ll("MEM_ROTATIONAL", getenv("MEM_ROTATIONAL"), 0, 1);
	if (force_rot)
		m->rotational = 1;
	if (force_net) {
		m->netfs = 1;
		m->fstype = "network (given)";
	}
}

/* Does the record only link to its media (url=, link=: mem-fetch's)? */
static int
linked(const struct item *it)
{
	size_t i;

	for (i = 0; i < it->nextra; i++)
		if (strncmp(it->extra[i], "url=", 4) == 0 ||
		    strncmp(it->extra[i], "link=", 5) == 0)
			return 1;
	return 0;
}

/* One input: an item record (its source is sized) or a media path. */
static int
count(struct inputset *in, const char *path)
{
	struct item it;
	struct stat st;
	const char *why, *media = path;
	enum item_kind kind;
	int rec;
	size_t i;

	if ((rec = item_or_path(&it, path, &why)) < 0) {
		warnx_("%s: %s", path, why);
		return -1;
	}
	if (rec == 1) {
		media = it.source;
		kind = it.kind;
		if (it.export != NULL) {
			for (i = 0; i < in->nexports && strcmp(in->exports[i], it.export); i++)
				;
			if (i == in->nexports) {
				in->exports = xrealloc(in->exports, (i + 1) * sizeof(char *));
				in->exports[in->nexports++] = xstrdup(it.export);
			}
		}
	} else {
		kind = kind_of_name(path);
	}
	if (rec == 1 && item_field(&it, "member") != NULL) {
		/* the member's size, not its archive's */
		char mwhy[256];
		int64_t size = source_member_size(media, item_field(&it, "member"),
		    item_field(&it, "member_sig"), mwhy, sizeof(mwhy));

		if (size < 0) {
			warnx_("%s: %s: %s: %s", path, media, item_field(&it, "member"), mwhy);
			item_free(&it);
			return -1;
		}
		st.st_size = (off_t)size;
	} else if (rec == 1 && linked(&it) && stat(media, &st) < 0) {
		st.st_size = 0;	/* mem-fetch has not downloaded it yet */
	} else if (stat(media, &st) < 0) {
		/* a record is the item: its name leads, then its source's */
		warn_("%s%s%s", rec ? path : "", rec ? ": " : "", media);
		item_free(&it);
		return -1;
	}
	item_free(&it);
	in->items++;
	in->bytes += st.st_size;
	switch (kind) {
	case KIND_IMAGE: in->images++; break;
	case KIND_VIDEO: in->videos++; break;
	case KIND_AUDIO: in->audio++; break;
	default: in->other++; break;
	}
	return 0;
}

static void
human_bytes(long long n, char *buf, size_t size)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < LEN(unit)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* memoria's over-subscription warning (memoria.md §1.6), to the letter. */
static void
memoria_rule(long P, long W, long cores)
{
	long total = P * (W + 1);

	rule("memoria", P * W, "%ld exports x (%ld workers + 1) = %ld processes on %ld cores",
	    P, W, total, cores);
	if ((double)total <= (double)cores * 1.5)
		return;
	fprintf(stderr,
	    "WARNING: Running %ld exports with %ld workers each\n"
	    "         will create ~%ld processes on %ld CPU cores\n"
	    "         This may cause performance degradation due to over-subscription.\n"
	    "\n"
	    "SUGGESTION: Try --parallel-exports %ld --workers %ld\n"
	    "            or reduce --parallel-exports to %ld\n"
	    "\n",
	    P, W, total, cores, P, cores / P - 1 > 1 ? cores / P - 1 : 1,
	    cores / (W + 1) > 1 ? cores / (W + 1) : 1);
	json_array_append_new(warnings, json_pack("{s:s,s:s}", "rule", "memoria", "text",
	    "over-subscription: exports x (workers + 1) > 1.5 x cores"));
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "parallel-exports", required_argument, NULL, 'P' },
		{ "workers", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'J' },
		{ "cores", required_argument, NULL, 'c' },
		{ "mem-available", required_argument, NULL, 'm' },
		{ "free-space", required_argument, NULL, 'f' },
		{ "rotational", no_argument, NULL, 'r' },
		{ "network-fs", no_argument, NULL, 'n' },
		{ "open-files", required_argument, NULL, 'u' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct machine m;
	struct inputset in;
	struct input inp;
	const char *out = NULL, *path;
	long P = 0, W = 0, jobs, workers, exports, cap, given = 0;
	long long need, per_job;
	int ch, status = ST_OK, rot = 0, net = 0;
	char b1[32], b2[32];
	json_t *doc;
	struct stat st;

	setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "+hj:o:w:", opts, NULL)) != -1) {
		switch (ch) {
		case 'P': P = (long)num_ll("--parallel-exports", optarg, 1, 4096); break;
		case 'w': W = (long)num_ll("--workers", optarg, 1, 4096); break;
		case 'o': out = optarg; break;
		case 'j': given = (long)num_ll("--jobs", optarg, 1, 4096); break;
		case 'J': jflag = 1; break;
		/* the options are the environment's facts, checked here */
		case 'c':
			num_ll("--cores", optarg, 1, 1 << 20);
			setenv("MEM_CORES", optarg, 1);
			break;
		case 'm':
			num_ll("--mem-available", optarg, 0, LLONG_MAX);
			setenv("MEM_MEM_AVAILABLE", optarg, 1);
			break;
		case 'f':
			num_ll("--free-space", optarg, 0, LLONG_MAX);
			setenv("MEM_FREE_SPACE", optarg, 1);
			break;
		case 'r': rot = 1; break;
		case 'n': net = 1; break;
		case 'u':
			num_ll("--open-files", optarg, 1, LLONG_MAX);
			setenv("MEM_OPEN_FILES", optarg, 1);
			break;
		case 'h': usage(stdout, ST_OK); break;
		case 'V': print_version(); return ST_OK;
		default: usage(stderr, ST_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	rules = json_array();
	warnings = json_array();
	if (out != NULL && stat(out, &st) < 0)
		die_errno(ST_FATAL, "%s", out);
	if (out != NULL && !S_ISDIR(st.st_mode))
		die(ST_FATAL, "%s: not a directory", out);
	probe_machine(&m, out, rot, net);

	/* The input set sizes the run; a terminal on stdin means there is none. */
	memset(&in, 0, sizeof(in));
	if (argc > 0 || !isatty(STDIN_FILENO)) {
		input_init(&inp, argc, argv);
		while ((path = input_next(&inp, &status)) != NULL)
			if (count(&in, path) < 0)
				status = ST_ITEM;
		input_free(&inp);
	}

	/* LevelUp: a small batch runs sequentially, else leave one core free. */
	if (in.items >= 1 && in.items <= 3) {
		jobs = 1;
		rule("levelup", jobs, "%ld items: a batch of 3 or fewer runs sequentially", in.items);
	} else {
		jobs = m.cores > 1 ? m.cores - 1 : 1;
		rule("levelup", jobs, "%ld cores - 1 (one left for the system)", m.cores);
	}

	/* memoria: exports at once x workers each; W defaults to cores - 1. */
	exports = P ? P : 1;
	workers = W ? W : (m.cores > 1 ? m.cores - 1 : 1);
	if (P || W) {
		memoria_rule(exports, workers, m.cores);
		jobs = exports * workers;
	}

	/* Memory: the heaviest kind present sets what a job needs. */
	per_job = in.videos ? MEM_VIDEO : in.audio ? MEM_AUDIO : MEM_IMAGE;
	if (m.mem >= 0) {
		cap = (long)(m.mem * 8 / 10 / per_job);
		if (cap < 1)
			cap = 1;
		human_bytes(m.mem, b1, sizeof(b1));
		human_bytes(per_job, b2, sizeof(b2));
		rule("memory", cap, "%s available (%s), %s a job", b1, m.mem_from, b2);
		if (jobs > cap) {
			warning("memory", "%ld jobs need %ld x %s but only %s is available; "
			    "using %ld", jobs, jobs, b2, b1, cap);
			jobs = cap;
		}
	}

	/* Storage: a spinning disk thrashes under parallel I/O (memoria's HDD note). */
	if (m.rotational == 1) {
		rule("storage", ROTATIONAL_JOBS, "rotational disk");
		if (jobs > ROTATIONAL_JOBS) {
			warning("storage", "rotational disk: parallel I/O thrashes; using %d jobs "
			    "instead of %ld", ROTATIONAL_JOBS, jobs);
			jobs = ROTATIONAL_JOBS;
		}
	}
	if (m.netfs)
		warning("storage", "%s is on a network filesystem (%s): bandwidth, not cores, "
		    "will limit the run; consider copying the input locally",
		    out ? out : ".", m.fstype);

	/* LevelUp: free space of at least twice the input. */
	if (m.free >= 0 && in.bytes > 0) {
		need = in.bytes * 2;
		human_bytes(m.free, b1, sizeof(b1));
		human_bytes(need, b2, sizeof(b2));
		rule("disk", jobs, "%s free, %s wanted (2 x input)", b1, b2);
		if (m.free < need)
			warning("disk", "%s free on %s, but 2 x the input is %s", b1,
			    out ? out : ".", b2);
	}

	/* "Too many open files": each job holds several descriptors. */
	if (m.nofile != LLONG_MAX) {
		rule("open-files", jobs, "ulimit -n %lld", m.nofile);
		if (m.nofile < (long long)jobs * FDS_PER_JOB + FDS_PER_JOB)
			warning("open-files", "ulimit -n is %lld, low for %ld jobs "
			    "(\"Too many open files\"): run ulimit -n 4096", m.nofile, jobs);
	}

	if (jobs < 1)
		jobs = 1;
	human_bytes(in.bytes, b1, sizeof(b1));
	if (in.items > 0)
		fprintf(stderr, "%s: %ld items (%ld images, %ld videos, %ld audio, %ld other), %s\n",
		    progname, in.items, in.images, in.videos, in.audio, in.other, b1);
	/* The user's -j stands: say once what we would have picked, and no
	 * "run with" line that contradicts the run in progress. */
	if (given > 0) {
		fprintf(stderr, "%s: %ld usable cores (%s): would pick -j%ld; "
		    "your -j%ld stands\n", progname, m.cores, m.cores_from, jobs, given);
		jobs = given;
	} else
		fprintf(stderr, "%s: %ld usable cores (%s): run with -j%ld\n", progname,
		    m.cores, m.cores_from, jobs);

	if (jflag) {
		doc = json_pack("{s:{s:I,s:s,s:I,s:s,s:I,s:i,s:b,s:s?,s:I},"
		    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
		    "s:{s:I,s:I,s:I},s:I,s:o,s:o}",
		    "machine", "cores", (json_int_t)m.cores, "cores_from", m.cores_from,
		    "mem_available", (json_int_t)m.mem, "mem_from", m.mem_from,
		    "free_space", (json_int_t)m.free, "rotational", m.rotational,
		    "network_fs", m.netfs, "fs_type", m.fstype,
		    "open_files", (json_int_t)(m.nofile == LLONG_MAX ? -1 : m.nofile),
		    "input", "items", (json_int_t)in.items, "bytes", (json_int_t)in.bytes,
		    "images", (json_int_t)in.images, "videos", (json_int_t)in.videos,
		    "audio", (json_int_t)in.audio, "other", (json_int_t)in.other,
		    "exports", (json_int_t)in.nexports,
		    "settings", "parallel_exports", (json_int_t)exports,
		    "workers", (json_int_t)workers, "processes", (json_int_t)(exports * (workers + 1)),
		    "jobs", (json_int_t)jobs, "rules", rules, "warnings", warnings);
		if (doc == NULL)
			die(ST_FATAL, "cannot build JSON");
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
			die_errno(ST_FATAL, "stdout");
		putchar('\n');
		json_decref(doc);
	} else {
		printf("%ld\n", jobs);
		json_decref(rules);
		json_decref(warnings);
	}
	for (size_t i = 0; i < in.nexports; i++)
		free(in.exports[i]);
	free(in.exports);
	source_report(0);
	out_close();
	return status;
}
