/*
 * mem-upload -- put output files into a self-hosted Immich server.
 *
 * Reads media paths or item records (operands, else NUL-separated records
 * on stdin), and for each file: skips it when the ledger under OUT already
 * holds it unchanged, else hashes it (SHA-1), asks the server in batches
 * which it lacks, uploads those over --concurrency parallel transfers with
 * retries, and adds every file to its albums (memoria's names from the
 * records, or --album). One run at a time holds the lock under OUT, so
 * parallel make jobs queue their uploads. Prints each file that is on the
 * server, NUL-terminated, in input order; a summary goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-upload.h"

struct config cfg;
struct stats stats;

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: %s [-n] [-o OUT] [-u URL] [--key-file FILE] [-A NAME]... [-c N]\n"
	    "       [-i GLOB]... [--lock FILE] [--ledger FILE] [--env-file FILE]\n"
	    "       [--no-album] [--recheck] [--restore-trashed] [--insecure]\n"
	    "       [--retries N] [--retry-delay S] [--timeout S] [--connect-timeout S]\n"
	    "       [--] [path | record ...]\n"
	    "Uploads files (or the files that item records name under OUT) to Immich.\n"
	    "The server comes from --url or IMMICH_INSTANCE_URL, the key from\n"
	    "--key-file or IMMICH_API_KEY (also read from ./.env); never from argv.\n",
	    progname);
	exit(status);
}

static char *outreal;	/* realpath of OUT, for paths relative to it */

static int
inside_out(const struct upfile *f)
{
	size_t n = outreal ? strlen(outreal) : 0;

	return n > 0 && strncmp(f->key, outreal, n) == 0 && f->key[n] == '/';
}

/* The path the ignore patterns see: relative to OUT when inside it. */
static const char *
rel_path(const struct upfile *f, const char *given)
{
	size_t n = outreal ? strlen(outreal) : 0;

	if (n > 0 && strncmp(f->key, outreal, n) == 0 && f->key[n] == '/')
		return f->key + n + 1;
	while (strncmp(given, "./", 2) == 0)
		given += 2;
	return given;
}

static void
find_sidecar(struct upfile *f)
{
	const char *slash = strrchr(f->path, '/');
	const char *dot = strrchr(slash ? slash + 1 : f->path, '.');
	char *c[2];
	struct stat st;
	size_t i;

	c[0] = dot ? xasprintf("%.*s.xmp", (int)(dot - f->path), f->path) : NULL;
	c[1] = xasprintf("%s.xmp", f->path);
	for (i = 0; i < 2; i++) {
		if (f->sidecar == NULL && c[i] != NULL && stat(c[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			f->sidecar = c[i];
		else
			free(c[i]);
	}
}

/*
 * memoria's album for a record that names none (memoria.md section 2):
 * "Platform/user", with Instagram's and Snapchat's sub-albums. NULL for
 * plain folders and records without a user.
 */
static char *
memoria_album(const struct item *it)
{
	static const struct {
		const char *platform, *fmt;
	} names[] = {
		{ "google-photos", "Google Photos/%s" },
		{ "google-chat", "Google Chat/%s" },
		{ "google-voice", "Google Voice/%s" },
		{ "snapchat-memories", "Snapchat/%s/memories" },
		{ "snapchat-messages", "Snapchat/%s/messages" },
		{ "discord", "Discord/%s" },
		{ "imessage", "iMessage/%s" },
		{ "imessage-imazing", "iMessage/%s" },
	};
	const char *p, *e;
	size_t i;

	if (it->platform == NULL || it->user == NULL || it->user[0] == '\0')
		return NULL;
	for (i = 0; i < LEN(names); i++)
		if (strcmp(it->platform, names[i].platform) == 0)
			return xasprintf(names[i].fmt, it->user);
	if (strcmp(it->platform, "instagram") != 0)
		return NULL;
	/* public-media/<type>/ names the album; messages/ are messages */
	if (it->dest != NULL && (p = strstr(it->dest, "public-media/")) != NULL) {
		p += strlen("public-media/");
		if ((e = strchr(p, '/')) != NULL && e > p)
			return xasprintf("Instagram/%s/%.*s", it->user, (int)(e - p), p);
	}
	if (it->dest != NULL && strstr(it->dest, "messages/") != NULL)
		return xasprintf("Instagram/%s/messages", it->user);
	return xasprintf("Instagram/%s/posts", it->user);
}

/* A hidden component ("/.mem/", ".name"): the tools' own files, skipped. */
static int
hidden(const char *rel)
{
	const char *s;

	for (s = rel; s != NULL; s = strchr(s, '/'), s = s ? s + 1 : NULL)
		if (s[0] == '.' && s[1] != '/' && s[1] != '\0' &&
		    !(s[1] == '.' && (s[2] == '/' || s[2] == '\0')))
			return 1;
	return 0;
}

/*
 * A path through a ".mem" directory: the tools' own files (records, ledger,
 * logs) are never media, whether the path is relative or absolute and
 * whether or not OUT is given.
 */
static int
in_mem_dir(const char *path)
{
	const char *s;

	for (s = path; s != NULL; s = strchr(s, '/'), s = s ? s + 1 : NULL)
		if (strncmp(s, ".mem/", 5) == 0)
			return 1;
	return 0;
}

static void
free_file(struct upfile *f)
{
	size_t i;

	for (i = 0; i < f->nalbums; i++)
		free(f->albums[i]);
	free(f->albums);
	free(f->input);
	free(f->visibility);
	free(f->id);
	free(f->live_video);
	free(f->path);
	free(f->key);
	free(f->sidecar);
	free(f->asset);
	free(f->why);
	free(f);
}

/*
 * Resolve one input into a file: a record names OUT/dest, its time, its
 * albums and its kind; a path stands for itself. NULL after reporting.
 */
static struct upfile *
resolve(const char *input, int *status)
{
	struct upfile *f = xcalloc(1, sizeof(*f));
	struct item it;
	struct stat st;
	const char *why = NULL, *base, *pre, *sep;
	char *real, *album;
	size_t i;
	int r;

	f->input = xstrdup(input);
	if ((r = item_or_path(&it, input, &why)) < 0) {
		warnx_("%s: %s", input, why);
		goto bad;
	}
	if (r == 1) {
		/* only OUT/dest is sent: a dest that leaves OUT is refused */
		if ((f->path = item_dest(&it, cfg.out, &why)) == NULL) {
			warnx_("%s: %s", input, why);
			goto bad;
		}
		f->from_record = 1;
		f->has_time = it.has_time;
		f->created = it.time;
		f->favorite = it.favorite;
		for (i = 0; i < it.nextra; i++)	/* docs/design.md §3 */
			if (strcmp(it.extra[i], "visibility=archive") == 0 ||
			    strcmp(it.extra[i], "visibility=locked") == 0)
				f->visibility = xstrdup(it.extra[i] + 11);
			else if (strncmp(it.extra[i], "live_video=", 11) == 0 &&
			    strlen(it.extra[i] + 11) == 16 &&	/* an id, no path */
			    strspn(it.extra[i] + 11, "0123456789abcdef") == 16 &&
			    f->live_video == NULL)
				f->live_video = xstrdup(it.extra[i] + 11);
		if (it.id != NULL)
			f->id = xstrdup(it.id);
		f->is_audio = it.kind == KIND_AUDIO ||
		    (it.kind == KIND_UNKNOWN && kind_of_name(f->path) == KIND_AUDIO);
		for (i = 0; i < it.nalbums; i++)
			if (it.albums[i][0] != '\0')
				add_str(&f->albums, &f->nalbums, it.albums[i]);
		if (f->nalbums == 0 && (album = memoria_album(&it)) != NULL) {
			add_str(&f->albums, &f->nalbums, album);
			free(album);
		}
	} else {
		f->path = xstrdup(input);
		f->is_audio = kind_of_name(f->path) == KIND_AUDIO;
	}
	item_free(&it);
	/* a record is the item: its name leads, then the file it names */
	pre = r == 1 ? input : "";
	sep = r == 1 ? ": " : "";
	if (stat(f->path, &st) < 0) {
		warn_("%s%s%s", pre, sep, f->path);
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx_("%s%s%s: not a regular file", pre, sep, f->path);
		goto bad;
	}
	if ((real = realpath(f->path, NULL)) == NULL) {
		warn_("%s%s%s", pre, sep, f->path);
		goto bad;
	}
	f->key = real;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	f->ctime = st.st_ctim;
	if (cfg.no_album) {
		for (i = 0; i < f->nalbums; i++)
			free(f->albums[i]);
		f->nalbums = 0;
	} else if (cfg.nalbums > 0) {
		for (i = 0; i < f->nalbums; i++)
			free(f->albums[i]);
		f->nalbums = 0;
		for (i = 0; i < cfg.nalbums; i++)
			add_str(&f->albums, &f->nalbums, cfg.albums[i]);
	}
	/* the server keeps the Locked Folder out of every album (it answers
	 * no_permission): a locked item goes into none */
	if (f->visibility != NULL && strcmp(f->visibility, "locked") == 0) {
		for (i = 0; i < f->nalbums; i++)
			free(f->albums[i]);
		f->nalbums = 0;
	}
	base = path_base(f->path);
	if (is_temp_name(base) || ignored(rel_path(f, r == 1 ? f->path : input)) ||
	    (r == 0 && (in_mem_dir(input) || in_mem_dir(f->key) ||
	    (inside_out(f) && hidden(rel_path(f, input))))))
		f->state = F_IGNORED;
	else if (f->is_audio)
		f->state = F_AUDIO;
	else
		find_sidecar(f);
	return f;
bad:
	item_free(&it);
	free_file(f);
	*status = ST_ITEM;
	return NULL;
}

static const char *
human(long long bytes)
{
	static char buf[4][32];
	static int k;
	const char *unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	k = (k + 1) % 4;
	while (v >= 1000 && u + 1 < LEN(unit)) {
		v /= 1000;
		u++;
	}
	snprintf(buf[k], sizeof(buf[k]), u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf[k];
}

static void
summary(struct upfile **fs, size_t n)
{
	long long would = 0;
	long nwould = 0, albums = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fs[i]->absorbed)
			continue;
		switch (fs[i]->state) {
		case F_CREATED:
			stats.created++;
			break;
		case F_DUPLICATE:
			stats.duplicates++;
			break;
		case F_LEDGER:
			stats.ledger++;
			break;
		case F_AUDIO:
			stats.audio++;
			break;
		case F_IGNORED:
			stats.ignored++;
			break;
		case F_FAILED:
			stats.failed++;
			break;
		case F_NEW:
		case F_UPLOAD:
			if (fs[i]->same == NULL) {
				nwould++;
				would += (long long)fs[i]->size;
			}
			break;
		}
		albums += (long)fs[i]->nalbums;
	}
	if (cfg.dry_run) {
		warnx_("dry run: would upload %ld file%s (%s) unless the server has them; "
		    "%ld unchanged (ledger), %ld skipped (audio), %ld ignored, %ld failed",
		    nwould, nwould == 1 ? "" : "s", human(would), stats.ledger,
		    stats.audio, stats.ignored, stats.failed);
		return;
	}
	warnx_("%ld uploaded (%s), %ld duplicate%s, %ld unchanged (ledger), "
	    "%ld skipped (audio), %ld ignored, %ld failed; albums: %ld created, "
	    "%ld updated; Live Photos: %ld linked", stats.created,
	    human(stats.bytes_sent), stats.duplicates, stats.duplicates == 1 ? "" : "s",
	    stats.ledger, stats.audio, stats.ignored, stats.failed, stats.albums_created,
	    stats.albums_updated, stats.linked);
}

/*
 * A duplicate the server holds only in its trash is not in the library:
 * without --restore-trashed that file failed (named, exit 1, not in the
 * ledger, so every run says so until it is restored); restored, it is
 * confirmed like any other.
 */
static void
trashed(struct upfile **fs, size_t n, FILE *ledger)
{
	struct reply r;
	json_t *ids = json_array(), *body;
	size_t i;
	int ok = 1;

	for (i = 0; i < n; i++) {
		if (!fs[i]->trashed || fs[i]->asset == NULL)
			continue;
		if (cfg.restore_trashed) {
			json_array_append_new(ids, json_string(fs[i]->asset));
			continue;
		}
		fs[i]->state = F_FAILED;
		free(fs[i]->why);
		fs[i]->why = xstrdup("on the server, but in its trash (restore it in "
		    "Immich, or run again with --restore-trashed)");
	}
	if (json_array_size(ids) > 0) {
		body = json_pack("{s:O}", "ids", ids);
		if (api_call("POST", "/trash/restore/assets", body, &r) < 0) {
			warnx_("restoring %zu file%s from the trash: %s", json_array_size(ids),
			    json_array_size(ids) == 1 ? "" : "s", r.err);
			ok = 0;
		}
		json_decref(body);
		reply_free(&r);
	}
	json_decref(ids);
	for (i = 0; cfg.restore_trashed && i < n; i++) {
		if (!fs[i]->trashed || fs[i]->asset == NULL)
			continue;
		if (ok) {
			ledger_file(ledger, fs[i]);
			continue;
		}
		fs[i]->state = F_FAILED;
		free(fs[i]->why);
		fs[i]->why = xstrdup("on the server, but in its trash, and restoring it failed");
	}
}

static struct upfile **
find_same(struct upfile **table, size_t cap, struct upfile *f)
{
	size_t i = fnv1a64(f->key, strlen(f->key), FNV64_INIT) % cap;

	while (table[i] != NULL && strcmp(table[i]->key, f->key) != 0)
		i = (i + 1) % cap;
	return &table[i];
}

/*
 * A record and the file it names both among the inputs (find OUT -type f
 * reaches OUT/.mem/items/ too): one asset, counted and printed once, with
 * the record's time and favourite, whichever of the two came first.
 */
static void
absorb_record(struct upfile *first, struct upfile *later)
{
	if (first->from_record == later->from_record)
		return;
	if (later->from_record) {
		first->has_time = later->has_time;
		first->created = later->created;
		first->favorite = later->favorite;
		first->from_record = 1;
		if (first->id == NULL && later->id != NULL)
			first->id = xstrdup(later->id);
		if (first->live_video == NULL && later->live_video != NULL)
			first->live_video = xstrdup(later->live_video);
		later->absorbed = 1;
	} else {
		later->absorbed = 1;
	}
}

int
main(int argc, char *argv[])
{
	enum { O_KEYFILE = 256, O_ENVFILE, O_LOCK, O_LEDGER, O_NOALBUM, O_INSECURE,
	    O_RECHECK, O_RETRIES, O_DELAY, O_TIMEOUT, O_CTIMEOUT, O_RESTORE, O_VERSION };
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "url", required_argument, NULL, 'u' },
		{ "key-file", required_argument, NULL, O_KEYFILE },
		{ "env-file", required_argument, NULL, O_ENVFILE },
		{ "album", required_argument, NULL, 'A' },
		{ "album-name", required_argument, NULL, 'A' },
		{ "no-album", no_argument, NULL, O_NOALBUM },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "lock", required_argument, NULL, O_LOCK },
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "recheck", no_argument, NULL, O_RECHECK },
		{ "restore-trashed", no_argument, NULL, O_RESTORE },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "retry-delay", required_argument, NULL, O_DELAY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct upfile **fs = NULL, **table, *f, **slot;
	struct input in;
	const char *p, *keyfile = NULL;
	size_t n = 0, cap, i, j;
	int ch, status = ST_OK, have_ignores = 0, have_conc = 0, need_net = 0;
	int want_albums = 0;
	FILE *ledger = NULL;
	struct stat st;

	setprogname(argv[0]);
	cfg.out = ".";
	cfg.envfile = NULL;
	cfg.retries = 5;
	cfg.retry_delay = 1;
	cfg.timeout = 300;
	cfg.connect_timeout = 10;
	while ((ch = getopt_long(argc, argv, "+A:c:hi:no:u:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			if (*optarg == '\0')
				die(ST_USAGE, "--album: empty name");
			add_str(&cfg.albums, &cfg.nalbums, optarg);
			break;
		case 'c':
			cfg.concurrency = num_ll("--concurrency", optarg, 1, 64);
			have_conc = 1;
			break;
		case 'h':
			usage(stdout, ST_OK);
			break;
		case 'i':
			add_str(&cfg.ignores, &cfg.nignores, optarg);
			have_ignores = 1;
			break;
		case 'n':
			cfg.dry_run = 1;
			break;
		case 'o':
			cfg.out = optarg;
			break;
		case 'u':
			cfg.url = optarg;
			break;
		case O_KEYFILE:
			keyfile = optarg;
			break;
		case O_ENVFILE:
			cfg.envfile = optarg;
			break;
		case O_LOCK:
			cfg.lock = optarg;
			break;
		case O_LEDGER:
			cfg.ledger = optarg;
			break;
		case O_NOALBUM:
			cfg.no_album = 1;
			break;
		case O_INSECURE:
			cfg.insecure = 1;
			break;
		case O_RECHECK:
			cfg.recheck = 1;
			break;
		case O_RESTORE:
			cfg.restore_trashed = 1;
			break;
		case O_RETRIES:
			cfg.retries = num_ll("--retries", optarg, 0, 20);
			break;
		case O_DELAY:
			cfg.retry_delay = num_d("--retry-delay", optarg, 0, 60);
			break;
		case O_TIMEOUT:
			cfg.timeout = num_d("--timeout", optarg, 1, 86400);
			break;
		case O_CTIMEOUT:
			cfg.connect_timeout = num_d("--connect-timeout", optarg, 0.1, 600);
			break;
		case O_VERSION:
			print_version();
			out_close();
			return ST_OK;
		default:
			usage(stderr, ST_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (cfg.no_album && cfg.nalbums > 0)
		die(ST_USAGE, "--album and --no-album exclude each other");

	/* Global setup: every problem here exits 2 before the first item. */
	load_env(cfg.envfile ? cfg.envfile : ".env", cfg.envfile != NULL);
	config_server(keyfile);
	config_rest(have_ignores, have_conc);
	if (stat(cfg.out, &st) < 0) {
		if (!cfg.dry_run)
			die_errno(ST_FATAL, "-o %s", cfg.out);
	} else if (!S_ISDIR(st.st_mode)) {
		die(ST_FATAL, "-o %s: not a directory", cfg.out);
	} else if ((outreal = realpath(cfg.out, NULL)) == NULL) {
		die_errno(ST_FATAL, "-o %s", cfg.out);
	}
	if (cfg.lock == NULL)
		cfg.lock = xasprintf("%s/.mem/upload.lock", cfg.out);
	if (cfg.ledger == NULL)
		cfg.ledger = xasprintf("%s/.mem/upload.ledger", cfg.out);
	cfg.progress = isatty(STDERR_FILENO);

	input_init(&in, argc, argv);
	cap = 0;
	while ((p = input_next(&in, &status)) != NULL) {
		if ((f = resolve(p, &status)) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			fs = xrealloc(fs, cap * sizeof(*fs));
		}
		fs[n++] = f;
	}
	input_free(&in);

	/* The same file named twice is sent once; its albums are merged. */
	cap = 2 * n + 1;
	table = xcalloc(cap, sizeof(*table));
	for (i = 0; i < n; i++) {
		if (fs[i]->state != F_NEW)
			continue;
		slot = find_same(table, cap, fs[i]);
		if (*slot == NULL) {
			*slot = fs[i];
			continue;
		}
		fs[i]->same = *slot;
		for (j = 0; j < fs[i]->nalbums; j++)
			add_str(&(*slot)->albums, &(*slot)->nalbums, fs[i]->albums[j]);
		absorb_record(*slot, fs[i]);
	}
	free(table);
	live_videos_albumless(fs, n);

	for (i = 0; i < n; i++)
		if (fs[i]->state == F_NEW && fs[i]->same == NULL)
			need_net = 1;
	if (need_net && !cfg.dry_run) {
		lock_take(cfg.lock);	/* held until exit */
	}
	if (need_net && !cfg.recheck)
		ledger_load(cfg.ledger);
	need_net = 0;
	for (i = 0; i < n; i++) {
		f = fs[i];
		if (f->state != F_NEW || f->same != NULL)
			continue;
		if (!cfg.recheck && ledger_lookup(f))
			f->state = F_LEDGER;
		else
			need_net = 1;
		for (j = 0; j < f->nalbums; j++) {
			want_albums = 1;
			if (f->state != F_LEDGER || !ledger_in_album(f->asset, f->albums[j]))
				need_net = 1;
		}
		if (cfg.dry_run && f->state == F_NEW && !ext_allowed(f->path)) {
			f->state = F_FAILED;
			f->why = xstrdup("not a type Immich accepts (by its extension)");
		}
	}

	if (!need_net && live_pending(fs, n))	/* a pair known, not yet linked */
		need_net = 1;
	if (need_net && !cfg.dry_run) {
		api_init();
		preflight(want_albums);
		for (i = 0; i < n; i++) {
			if (fs[i]->state == F_NEW && fs[i]->same == NULL &&
			    !ext_allowed(fs[i]->path)) {
				fs[i]->state = F_FAILED;
				fs[i]->why = xstrdup("not a type this Immich server accepts "
				    "(by its extension)");
			}
		}
		ledger = ledger_open(cfg.ledger);
		transfer(fs, n, ledger);
		twins_settle(fs, n, ledger);
		trashed(fs, n, ledger);
		albums_apply(fs, n, ledger);
		live_apply(fs, n, ledger);
		if (fclose(ledger) == EOF)
			warn_("%s", cfg.ledger);
		api_cleanup();
	}

	for (i = 0; i < n; i++) {
		f = fs[i];
		if (f->same != NULL) {
			f->state = f->same->state == F_CREATED ? F_DUPLICATE : f->same->state;
			f->album_failed = f->same->album_failed;
			f->link_failed = f->same->link_failed;
			if (f->same->why != NULL)
				f->why = xstrdup(f->same->why);
		}
		if (f->absorbed)
			continue;
		switch (f->state) {
		case F_CREATED:
		case F_DUPLICATE:
		case F_LEDGER:
			/* on the server: printed, even when an album step failed */
			out_path(f->path);
			if (f->album_failed || f->link_failed) {
				warnx_("%s: %s", f->input, f->why);
				stats.failed++;
				status = ST_ITEM;
			}
			break;
		case F_NEW:
			if (cfg.dry_run)
				out_path(f->path);
			break;
		case F_FAILED:
			warnx_("%s: %s", f->input, f->why ? f->why : "failed");
			status = ST_ITEM;
			break;
		default:
			break;
		}
	}
	summary(fs, n);
	for (i = 0; i < n; i++)
		free_file(fs[i]);
	free(fs);
	ledger_free();
	out_close();
	return status;
}
