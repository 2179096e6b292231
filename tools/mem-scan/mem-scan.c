/*
 * mem-scan -- find the media of social-media exports, detect each export's
 * platforms, resolve every item's capture time, place, albums and caption,
 * and plan its output name; write one item record per media file under
 * OUT/.mem/items/ and print the media (or record) paths, sorted.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"
#include "tz.h"

/*
 * One line of output, kept until every export is scanned. The path it
 * prints is HEAD/TAIL: an export's (or archive part's, or the fetch
 * directory's) path, kept once, and the rest: a path of the walk's pool
 * (kept for the results), else a copy in blocks. 50,000 results are no
 * 50,000 copies of the same head.
 */
struct result {
	const char *head;	/* see keep_head() */
	const char *tail;	/* in tails[] or the walk's pool */
	char	 id[17];	/* the record is ITEMDIR/ID.item */
};

static struct result *results;
static size_t nresults, capresults;
static char **names;		/* export names seen, for duplicates */
static size_t nnames;
static const char *out;
static char *itemdir;
static char *fetchdir;		/* OUT/.mem/fetch, absolute: linked items' files */
static struct stat outst;
static const struct platform *only;
static int records, listflag;
static char **pruned;		/* exports whose stale records go */
static size_t npruned;
static struct export **kept;	/* scanned, waiting for the run's offsets */
static size_t nkept;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [-o OUT] [--records] [--list] [--platform NAME] "
	    "[--contacts VCF]\n"
	    "       [--include-trashed] [--include-locked] [--skip-partner]\n"
	    "       [--timezone ZONE] [--tz-window DURATION]\n"
	    "       [--originals DIR | EXPORT ...]\n"
	    "       %s --list-processors\n", progname, progname);
	exit(status);
}

static void
list_processors(void)
{
	size_t i;

	printf("Available processors:\n\n");
	for (i = 0; i < nplatforms; i++)
		printf("  %-18s %s\n", platform_at(i)->name, platform_at(i)->title);
	printf("\nTotal: %zu processor(s)\n", nplatforms);
}

static char **heads, **tails;	/* the results' strings, freed at the end */
static size_t nheads, ntails, tailused;

static const char *
keep_head(const char *head)
{
	size_t i;

	for (i = nheads; i > 0; i--)
		if (strcmp(heads[i - 1], head) == 0)
			return heads[i - 1];
	heads = xrealloc(heads, (nheads + 1) * sizeof(*heads));
	heads[nheads] = xstrdup(head);
	return heads[nheads++];
}

/* tail is copied unless it lasts (a path of the walk's pool, which
 * finish_export() keeps for the results) */
static void
add_result(const char *head, const char *tail, int lasts, const char *id)
{
	if (nresults == capresults) {
		capresults = capresults ? capresults * 2 : 256;
		results = xrealloc(results, capresults * sizeof(*results));
	}
	results[nresults].head = keep_head(head);
	results[nresults].tail = lasts ? tail : pool_copy(&tails, &ntails, &tailused, tail);
	memcpy(results[nresults++].id, id, 17);
}

/* The byte at i of HEAD/TAIL, or -1 past its end. */
static int
shown_at(const struct result *r, size_t i, size_t hlen)
{
	if (i < hlen)
		return (unsigned char)r->head[i];
	if (i == hlen)
		return '/';
	return r->tail[i - hlen - 1] != '\0' ? (unsigned char)r->tail[i - hlen - 1] : -1;
}

static int
was_pruned(const char *export)
{
	size_t i;

	for (i = 0; i < npruned; i++)
		if (strcmp(pruned[i], export) == 0)
			return 1;
	return 0;
}

/*
 * A source deleted since the last scan must not stay planned: remove the
 * records of the exports scanned here that this scan did not make. Only
 * records naming one of those exports go (with --platform, only that
 * platform's); other exports' records, foreign files and records that
 * cannot be read are left alone. An export whose walk missed a directory
 * is not in the list (what it did not see may still be there). Each
 * removal is one unlink(2): a reader sees the record whole or not at all.
 */
static int
prune_records(void)
{
	struct item it;
	const char *why, *id;
	char *rec;
	size_t i;
	int status = ST_OK;

	if (npruned == 0)
		return ST_OK;
	/* the records items/ held before this scan and it did not make
	 * again (records.c has read the directory once already) */
	for (i = 0; (id = records_stale(i)) != NULL; i++) {
		rec = xasprintf("%s/%s.item", itemdir, id);
		if (item_load(&it, rec, &why) < 0) {
			if (why == NULL && errno != ENOENT) {
				warn_("%s", rec);
				status = ST_ITEM;
			}
			free(rec);
			continue;
		}
		if (it.export != NULL && was_pruned(it.export) && (only == NULL ||
		    (it.platform != NULL && strcmp(it.platform, only->name) == 0)) &&
		    unlink(rec) < 0 && errno != ENOENT) {
			warn_("%s: cannot remove the record of vanished %s", rec,
			    it.source ? it.source : "media");
			status = ST_ITEM;
		}
		item_free(&it);
		free(rec);
	}
	return status;
}

/* HEAD/TAIL against HEAD/TAIL, as strcmp() would the two paths. */
static int
cmp_result(const void *a, const void *b)
{
	const struct result *x = a, *y = b;
	size_t i, xl, yl;
	int c, d;

	if (x->head == y->head)
		return strcmp(x->tail, y->tail);
	xl = strlen(x->head);
	yl = strlen(y->head);
	for (i = 0; ; i++) {
		c = shown_at(x, i, xl);
		d = shown_at(y, i, yl);
		if (c != d)
			return c < d ? -1 : 1;
		if (c < 0)
			return 0;
	}
}

static void
list_row(const struct export *ex, const char *platform, size_t items, size_t orphans)
{
	printf("%-36s %-18s %7zu %8zu\n", ex->name, platform, items, orphans);
}

/* The export's name: its base name as given ("google-john-20240101/"
 * too), or the resolved one for "." and "..". */
static char *
export_name(const char *arg, const char *abs)
{
	char *s = xstrdup(arg), *b;
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	b = strrchr(s, '/');
	b = b ? b + 1 : s;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		free(s);
		b = strrchr(abs, '/');
		return xstrdup(b && b[1] ? b + 1 : abs);
	}
	b = xstrdup(b);
	free(s);
	return b;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is dir a folder of archive parts (every entry not hidden is a zip or a
 * tar file, and there is one)? Their absolute paths, sorted, in *parts. */
static size_t
folder_parts(const char *abs, char ***parts)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **v = NULL;
	size_t n = 0, i;
	int other = 0;

	*parts = NULL;
	if ((d = opendir(abs)) == NULL)
		return 0;
	while (!other && (de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", abs, de->d_name);
		if (archive_kind(p) == 0 || stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			other = 1;
			free(p);
			break;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
	}
	closedir(d);
	if (other || n == 0) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*parts = v;
	return n;
}

static int
claim_name(const char *arg, char *name)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0) {
			warnx_("%s: an export named %s was scanned already", arg, name);
			free(name);
			return -1;
		}
	names = xrealloc(names, (nnames + 1) * sizeof(*names));
	names[nnames++] = name;
	return 0;
}

/* Every platform over the export's file list, then kept for the run. */
static int
scan_files(struct export *exp)
{
	struct export ex = *exp;
	size_t i;

	for (i = 0; i < nplatforms; i++) {
		const struct platform *p = platform_at(i);

		if (only != NULL && p != only)
			continue;
		ex.cur = p;
		if (p->detect(&ex) && ex.nfound < LEN(ex.found)) {
			ex.found[ex.nfound++] = p;
			p->scan(&ex, p);
		}
	}
	ex.cur = NULL;
	live_offsets(&ex);
	/* named and written once every export is scanned: offsets come
	 * from the whole run (offsets.c) and names use the local date */
	kept = xrealloc(kept, (nkept + 1) * sizeof(*kept));
	kept[nkept] = xmalloc(sizeof(ex));
	memcpy(kept[nkept++], &ex, sizeof(ex));
	return ST_OK;
}

/* An export given as archive parts side by side, one stem: its name is
 * the stem, its path the stem beside the first part. */
static int
scan_parts(const char *stem, char **parts, size_t nparts)
{
	struct export ex;
	char *dir, *slash, *path;

	if (claim_name(parts[0], xstrdup(stem)) < 0)
		return ST_ITEM;
	dir = xstrdup(parts[0]);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	path = xasprintf("%s/%s", dir, stem);
	free(dir);
	export_parts(&ex, path, stem, parts, nparts);
	free(path);
	return scan_files(&ex);
}

static int
scan_export(const char *arg)
{
	struct export ex;
	struct stat st;
	char abs[PATH_MAX], *name, **parts;
	size_t nparts, i;

	if (stat(arg, &st) < 0) {
		warn_("%s", arg);
		return ST_ITEM;
	}
	if (!S_ISDIR(st.st_mode)) {
		warnx_("%s: not a directory or an archive (an export is a directory, "
		    "or its zip or tar parts)", arg);
		return ST_ITEM;
	}
	if (realpath(arg, abs) == NULL) {
		warn_("%s", arg);
		return ST_ITEM;
	}
	name = export_name(arg, abs);
	if (claim_name(arg, name) < 0)
		return ST_ITEM;
	if ((nparts = folder_parts(abs, &parts)) > 0) {
		export_parts(&ex, abs, name, parts, nparts);
		for (i = 0; i < nparts; i++)
			free(parts[i]);
		free(parts);
		return scan_files(&ex);
	}
	if (export_walk(&ex, abs, outst.st_dev, outst.st_ino, out != NULL) < 0) {
		warn_("%s", arg);
		export_free(&ex);
		return ST_ITEM;
	}
	free(ex.name);
	ex.name = xstrdup(name);
	return scan_files(&ex);
}

/*
 * The operands (or --originals' entries), in order: a directory is an
 * export; archive files with one stem (takeout-X-001.zip, -002.zip,
 * -003.tgz) are the parts of one export, placed where its first part is.
 */
struct job {
	char	*arg;		/* a directory, or NULL for parts */
	char	*stem;
	char	**parts;	/* absolute */
	size_t	 nparts;
};
static struct job *jobs;
static size_t njobs;

static int
add_operand(const char *arg)
{
	struct stat st;
	char *abs, *stem;
	size_t i;
	int partno;

	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode) && archive_kind(arg) != 0) {
		if ((abs = realpath(arg, NULL)) == NULL) {
			warn_("%s", arg);
			return ST_ITEM;
		}
		stem = archive_stem(abs, &partno);
		for (i = 0; i < njobs; i++)
			if (jobs[i].arg == NULL && strcmp(jobs[i].stem, stem) == 0)
				break;
		if (i == njobs) {
			jobs = xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
			memset(&jobs[njobs++], 0, sizeof(*jobs));
			jobs[i].stem = stem;
		} else {
			free(stem);
		}
		for (partno = 0; (size_t)partno < jobs[i].nparts; partno++)
			if (strcmp(jobs[i].parts[partno], abs) == 0)
				break;
		if ((size_t)partno < jobs[i].nparts) {	/* named twice */
			free(abs);
			return ST_OK;
		}
		jobs[i].parts = xrealloc(jobs[i].parts, (jobs[i].nparts + 1) *
		    sizeof(*jobs[i].parts));
		jobs[i].parts[jobs[i].nparts++] = abs;
		return ST_OK;
	}
	jobs = xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
	memset(&jobs[njobs], 0, sizeof(*jobs));
	jobs[njobs++].arg = xstrdup(arg);
	return ST_OK;
}

static int
run_jobs(void)
{
	size_t i, k;
	int status = ST_OK, rc;

	for (i = 0; i < njobs; i++) {
		if (jobs[i].arg != NULL) {
			rc = scan_export(jobs[i].arg);
		} else {
			qsort(jobs[i].parts, jobs[i].nparts, sizeof(*jobs[i].parts), cmp_str);
			rc = scan_parts(jobs[i].stem, jobs[i].parts, jobs[i].nparts);
		}
		if (rc != ST_OK)
			status = rc;
		free(jobs[i].arg);
		free(jobs[i].stem);
		for (k = 0; k < jobs[i].nparts; k++)
			free(jobs[i].parts[k]);
		free(jobs[i].parts);
	}
	free(jobs);
	jobs = NULL;
	njobs = 0;
	return status;
}

/* Name the export's items and write their records and its report. */
static int
finish_export(struct export *exp)
{
	struct export ex = *exp;
	const char *name = ex.name;
	size_t i, k;
	int status = ST_OK;

	live_pairs(&ex);	/* on the final instants */
	name_all(&ex);
	for (i = 0; i < ex.nitems; i++) {
		struct entry *e = &ex.items[i];
		struct item *it = &e->it;
		char id[17], *shown;
		const char *head, *tail;
		int lasts = 0;

		/* the fields every record of the export shares, lent */
		entry_id(&ex, e, id);
		it->id = id;
		if (e->vrel != NULL)	/* mem-fetch's file; see docs/design.md */
			it->source = fetchdir != NULL ? xasprintf("%s/%s", fetchdir, id) :
			    xasprintf("%s/%s", ex.path, e->vrel);
		else
			it->source = file_source(&ex, &ex.files[e->file], it);
		/* what is printed, HEAD/TAIL: the source; a member is printed as
		 * ARCHIVE/MEMBER (it has no path) */
		if (e->vrel != NULL) {
			head = fetchdir != NULL ? fetchdir : ex.path;
			tail = fetchdir != NULL ? id : e->vrel;
		} else if (ex.files[e->file].part != 0) {
			head = it->source;
			tail = ex.files[e->file].member;
		} else {
			head = ex.path;
			tail = ex.files[e->file].rel;
			lasts = ex.files[e->file].pooled;
		}
		it->export = ex.name;
		it->platform = (char *)(uintptr_t)e->platform;
		if (out != NULL && records_put(it, id) < 0) {
			shown = xasprintf("%s/%s", head, tail);
			warn_("%s: cannot write %s/%s.item", shown, itemdir, id);
			free(shown);
			status = ST_ITEM;
		} else {
			add_result(head, tail, lasts, id);
		}
		free(it->source);
		it->id = it->source = it->export = it->platform = NULL;
		/* written: its memory goes to the next ones' (dest, results) */
		entry_free(e);
	}
	if (out != NULL && write_report(&ex, out) < 0)
		status = ST_ITEM;
	if (out != NULL && !ex.partial) {
		pruned = xrealloc(pruned, (npruned + 1) * sizeof(*pruned));
		pruned[npruned++] = xstrdup(name);
	}
	if (listflag) {
		for (k = 0; k < ex.nfound; k++)
			list_row(&ex, ex.found[k]->name, ex.nitem_by[k], ex.norphan_by[k]);
		if (ex.nfound == 0)
			list_row(&ex, "-", 0, 0);
	}
	if (ex.status != ST_OK)
		status = ex.status;
	/* the walk's paths are the results' tails: kept until they are printed */
	tails = xrealloc(tails, (ntails + ex.npool + 1) * sizeof(*tails));
	for (k = 0; k < ex.npool; k++)
		tails[ntails + k] = ex.pool[k];
	ntails += ex.npool;
	if (ex.npool > 0)
		tailused = POOL_BLOCK;	/* a pool block is no tail block to fill */
	free(ex.pool);
	ex.pool = NULL;
	ex.npool = 0;
	export_free(&ex);
	free(exp);
	return status;
}

/* A duration: a number with s, m, h or d (seconds without), at most 7d. */
static int
parse_duration(const char *s, int64_t *secs)
{
	char *end;
	long long v;
	int64_t unit = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v > 7 * 86400)
		return -1;
	if (*end != '\0') {
		unit = strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60 :
		    strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : 0;
		if (unit == 0)
			return -1;
	}
	if (v * unit > 7 * 86400)
		return -1;
	*secs = v * unit;
	return 0;
}

/* memoria's --originals: every immediate, non-hidden directory and
 * archive part, sorted; OUT itself is left out when it lies there. */
static int
originals(const char *dir)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **v = NULL;
	size_t n = 0, i;
	int status = ST_OK, rc;

	if ((d = opendir(dir)) == NULL)
		die_errno(ST_FATAL, "--originals %s", dir);
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) < 0 || !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) &&
		    archive_kind(p) != 0)) ||
		    (out && st.st_dev == outst.st_dev && st.st_ino == outst.st_ino)) {
			free(p);
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
	}
	if (errno != 0)
		die_errno(ST_FATAL, "--originals %s", dir);
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		if ((rc = add_operand(v[i])) != ST_OK)
			status = rc;
		free(v[i]);
	}
	free(v);
	if ((rc = run_jobs()) != ST_OK)
		status = rc;
	return status;
}

int
main(int argc, char *argv[])
{
	enum { OPT_RECORDS = 256, OPT_LIST, OPT_LISTPROC, OPT_ORIGINALS,
	    OPT_PLATFORM, OPT_VERSION, OPT_CONTACTS, OPT_TRASHED, OPT_LOCKED,
	    OPT_NOPARTNER, OPT_TIMEZONE, OPT_TZWINDOW, OPT_TZLOOKUP };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "records", no_argument, NULL, OPT_RECORDS },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "list-processors", no_argument, NULL, OPT_LISTPROC },
		{ "originals", required_argument, NULL, OPT_ORIGINALS },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "processor", required_argument, NULL, OPT_PLATFORM },
		{ "contacts", required_argument, NULL, OPT_CONTACTS },
		{ "include-trashed", no_argument, NULL, OPT_TRASHED },
		{ "include-locked", no_argument, NULL, OPT_LOCKED },
		{ "skip-partner", no_argument, NULL, OPT_NOPARTNER },
		{ "timezone", required_argument, NULL, OPT_TIMEZONE },
		{ "tz-window", required_argument, NULL, OPT_TZWINDOW },
		{ "tz-lookup", no_argument, NULL, OPT_TZLOOKUP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *orig = NULL, *arg;
	struct input in;
	struct stat st;
	int ch, status = ST_OK, rc, listproc = 0, tzlookup = 0;
	int32_t off;
	size_t i;

	setprogname(argv[0]);
#ifdef M_MMAP_THRESHOLD
	/* A fixed threshold: glibc's own rises to the size of the largest
	 * mapped block freed (the scan's per-export arrays, megabytes), and
	 * the arrays grown after that (records, results) then grow in the
	 * heap by copying, each old copy left resident. */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);	/* refused: a cost only */
#endif
	while ((ch = getopt_long(argc, argv, "+ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, ST_OK);
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_RECORDS:
			records = 1;
			break;
		case OPT_LIST:
			listflag = 1;
			break;
		case OPT_LISTPROC:
			listproc = 1;
			break;
		case OPT_ORIGINALS:
			orig = optarg;
			break;
		case OPT_PLATFORM:
			if ((only = platform_by_name(optarg)) == NULL) {
				warnx_("--platform %s: unknown (see --list-processors)", optarg);
				usage(stderr, ST_USAGE);
			}
			break;
		case OPT_CONTACTS:
			scan_contacts = optarg;
			break;
		case OPT_TRASHED:
			gp_include_trashed = 1;
			break;
		case OPT_LOCKED:
			gp_include_locked = 1;
			break;
		case OPT_NOPARTNER:
			gp_skip_partner = 1;
			break;
		case OPT_TIMEZONE:
			if (tz_offset(optarg, 0, &off) < 0) {
				warnx_("--timezone %s: not an IANA zone name "
				    "(Europe/Paris, America/New_York, UTC)", optarg);
				usage(stderr, ST_USAGE);
			}
			scan_timezone = optarg;
			break;
		case OPT_TZWINDOW:
			if (parse_duration(optarg, &scan_tz_window) < 0) {
				warnx_("--tz-window %s: want a duration from 0 to 7d "
				    "(6h, 90m, 3600s)", optarg);
				usage(stderr, ST_USAGE);
			}
			break;
		case OPT_TZLOOKUP:
			tzlookup = 1;
			break;
		case OPT_VERSION:
			print_version();
			out_close();
			return ST_OK;
		default:
			usage(stderr, ST_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (listproc) {
		list_processors();
		out_close();
		return ST_OK;
	}
	if (tzlookup) {
		status = tz_lookup_lines();
		out_close();
		return status;
	}
	if (orig != NULL && argc > 0) {
		warnx_("--originals and export operands exclude each other");
		usage(stderr, ST_USAGE);
	}
	if (records && out == NULL) {
		warnx_("--records needs -o OUT");
		usage(stderr, ST_USAGE);
	}
	if (out != NULL) {
		if (*out == '\0')
			die(ST_USAGE, "-o: empty path");
		itemdir = xasprintf("%s/.mem/items", out);
		if (records_open(out) < 0)
			die_errno(ST_FATAL, "%s", itemdir);
		if ((arg = realpath(out, NULL)) == NULL)
			die_errno(ST_FATAL, "%s", out);
		fetchdir = xasprintf("%s/.mem/fetch", arg);
		free((char *)arg);
		if (stat(out, &outst) < 0)
			die_errno(ST_FATAL, "%s", out);
	}
	if (scan_contacts != NULL && access(scan_contacts, R_OK) < 0)
		die_errno(ST_FATAL, "--contacts %s", scan_contacts);
	if (orig != NULL) {
		if (stat(orig, &st) < 0)
			die_errno(ST_FATAL, "--originals %s", orig);
		if (!S_ISDIR(st.st_mode))
			die(ST_FATAL, "--originals %s: not a directory", orig);
	}
	offsets_prepare();
	if (listflag)
		printf("%-36s %-18s %7s %8s\n", "EXPORT", "PLATFORM", "ITEMS", "ORPHANS");
	if (orig != NULL) {
		status = originals(orig);
	} else {
		input_init(&in, argc, argv);
		while ((arg = input_next(&in, &status)) != NULL)
			if ((rc = add_operand(arg)) != ST_OK)
				status = rc;
		input_free(&in);
		if ((rc = run_jobs()) != ST_OK)
			status = rc;
	}
	offsets_resolve(kept, nkept);
	for (i = 0; i < nkept; i++)
		if ((rc = finish_export(kept[i])) != ST_OK)
			status = rc;
	free(kept);
	if (out != NULL && records_close() < 0)
		status = ST_FATAL;
	if (out != NULL && (rc = prune_records()) != ST_OK)
		status = rc;
	if (nresults > 0)
		qsort(results, nresults, sizeof(*results), cmp_result);
	/* all at once: through stdio's buffer, not flushed a path each
	 * (out_path's way: 50,000 write calls for 50,000 items) */
	for (i = 0; i < nresults && !listflag; i++)
		if ((records ? printf("%s/%s.item%c", itemdir, results[i].id, '\0') :
		    printf("%s/%s%c", results[i].head, results[i].tail, '\0')) < 0)
			die_errno(ST_FATAL, "stdout");
	free(results);
	for (i = 0; i < nheads; i++)
		free(heads[i]);
	free(heads);
	for (i = 0; i < ntails; i++)
		free(tails[i]);
	free(tails);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < npruned; i++)
		free(pruned[i]);
	free(pruned);
	free(itemdir);
	out_close();
	return status;
}
