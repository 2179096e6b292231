/*
 * mem-fetch -- download the media that an export only links to (Discord
 * attachments, Snapchat memories) for the items whose record has a url=
 * or link= field, into OUT/.mem/fetch/, and print for each a record that
 * points at the file: the next stage (mem-exif, mem-loudnorm) reads that
 * one. Records without a link and plain paths pass through unchanged. An
 * item already fetched is not asked for again. See mem-fetch(1) and
 * docs/design.md.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "mem.h"
#include "mem-fetch.h"

struct fcfg cfg;

/* One input, in input order: a path to pass on, or an item to fetch. */
struct in {
	char	*path;		/* as given */
	struct item it;		/* the scan's record (when a task) */
	struct task *t;		/* NULL: pass through, or already done */
	char	*result;	/* the record to print, NULL when failed */
	int	 ended;		/* result (or failure) known */
};

static struct in *ins;
static size_t nins, nprinted;
static int exit_status = ST_OK;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s -o OUT [--parallel N] [--retries N] [--retry-delay S]\n"
	    "       [--timeout S] [--connect-timeout S] [--max-size BYTES[KMG]]\n"
	    "       [--] [record ...]\n", progname);
	exit(status);
}

/* A size with an optional K, M or G (powers of 1024), at least 1 byte. */
static long long
size_arg(const char *opt, const char *s)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K': case 'k': mul = 1LL << 10; break;
		case 'M': case 'm': mul = 1LL << 20; break;
		case 'G': case 'g': mul = 1LL << 30; break;
		default: mul = 0;
		}
		end++;
	}
	if (end == s || *end != '\0' || errno || mul == 0 || v < 1 ||
	    v > (1LL << 50) / mul)
		die(ST_USAGE, "%s %s: not a size from 1 byte to 1P (N, NK, NM, NG)", opt, s);
	return v * mul;
}

/* MEM_FETCH_LOOPBACK: only http://127.x.x.x, [::1] or localhost, with a
 * port: the tests' CDN. Anything else would weaken the https rule. */
static const char *
loopback_base(void)
{
	const char *v = getenv("MEM_FETCH_LOOPBACK"), *h, *p;

	if (v == NULL || *v == '\0')
		return NULL;
	if (strncmp(v, "http://", 7) != 0)
		goto bad;
	h = v + 7;
	if (strncmp(h, "127.", 4) == 0)
		p = h + 4 + strspn(h + 4, "0123456789.");
	else if (strncmp(h, "[::1]", 5) == 0)
		p = h + 5;
	else if (strncmp(h, "localhost", 9) == 0)
		p = h + 9;
	else
		goto bad;
	if (*p == ':' && p[1] != '\0' && p[1 + strspn(p + 1, "0123456789")] == '\0')
		return v;
	if (*p == '\0')
		return v;
bad:
	die(ST_USAGE, "MEM_FETCH_LOOPBACK=%s: only http://127.0.0.1[:PORT], "
	    "http://[::1][:PORT] or http://localhost[:PORT]", v);
}

/* A small file's bytes (a record), or NULL. */
static char *
slurp_small(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (fp == NULL)
		return NULL;
	do {
		if (n == cap)
			buf = xrealloc(buf, (cap = cap ? cap * 2 : 4096));
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
	} while (r > 0 && n < (64u << 20));
	if (ferror(fp)) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	*len = n;
	return buf;
}

static const char *
extra_of(const struct item *it, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < it->nextra; i++)
		if (strncmp(it->extra[i], key, n) == 0 && it->extra[i][n] == '=')
			return it->extra[i] + n + 1;
	return NULL;
}

/* dest with its extension replaced by ext (".png"). */
static char *
dest_with(const char *dest, const char *ext)
{
	const char *base = path_base(dest), *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - dest) : strlen(dest);

	return xasprintf("%.*s%s", (int)n, dest, ext);
}

/*
 * Write OUT/.mem/fetch/ID.item: the scan's record with the downloaded
 * file as its source, the kind its bytes say, the dest's extension to
 * match, and the overlay that came with it. Rewritten only when its
 * content changes, so make sees no change where there is none.
 */
static char *
write_fetched(struct item *it, const char *media, int kind, const char *overlay,
    const char **why)
{
	char *path = xasprintf("%s/%s.item", cfg.fetchdir, it->id), *buf = NULL, *old;
	char *src = it->source, *dest = it->dest, *ov = it->overlay;
	enum item_kind k = it->kind;
	size_t len = 0, oldlen;
	FILE *mem;
	int same = 0, rc = -1;

	it->source = (char *)media;
	it->kind = (enum item_kind)kind;
	it->dest = dest_with(dest ? dest : it->id, path_ext(media)[0] ?
	    strrchr(path_base(media), '.') : "");
	it->overlay = overlay ? (char *)overlay : ov;
	mem = open_memstream(&buf, &len);
	if (mem == NULL || item_write(it, mem) < 0 || fclose(mem) == EOF)
		die(ST_FATAL, "out of memory");
	if ((old = slurp_small(path, &oldlen)) != NULL) {
		same = oldlen == len && memcmp(old, buf, len) == 0;
		free(old);
	}
	rc = same ? 0 : item_save(it, path);
	if (rc < 0)
		*why = strerror(errno);
	free(buf);
	free(it->dest);
	it->source = src;
	it->dest = dest;
	it->overlay = ov;
	it->kind = k;
	if (rc < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/*
 * Fetched before? fetch/ID.item for the same link, with its file still
 * there: the record is written again from the scan's (whose caption or
 * date may have changed) and nothing is downloaded.
 */
static char *
already(struct in *in, const char **why)
{
	char *path = xasprintf("%s/%s.item", cfg.fetchdir, in->it.id), *res = NULL;
	const char *w, *u, *l, *ou, *ol;
	struct item old;

	if (item_load(&old, path, &w) < 0) {
		free(path);
		return NULL;
	}
	free(path);
	u = extra_of(&in->it, "url");
	l = extra_of(&in->it, "link");
	ou = extra_of(&old, "url");
	ol = extra_of(&old, "link");
	if ((u == NULL) == (ou == NULL) && (u == NULL || strcmp(u, ou) == 0) &&
	    (l == NULL) == (ol == NULL) && (l == NULL || strcmp(l, ol) == 0) &&
	    old.source != NULL && access(old.source, R_OK) == 0 &&
	    (old.overlay == NULL || access(old.overlay, R_OK) == 0))
		res = write_fetched(&in->it, old.source, old.kind, old.overlay, why);
	item_free(&old);
	return res;
}

/* Temp files a killed run left for these items (.ID.part.XXXXXX). */
static void
remove_stale(struct in *v, size_t n)
{
	DIR *d = opendir(cfg.fetchdir);
	struct dirent *de;
	size_t i;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_temp_name(de->d_name) || strlen(de->d_name) < 18)
			continue;
		for (i = 0; i < n; i++)
			if (v[i].t && strncmp(de->d_name + 1, v[i].t->id, 16) == 0) {
				char *p = xasprintf("%s/%s", cfg.fetchdir, de->d_name);

				if (unlink(p) < 0 && errno != ENOENT)
					warn_("%s", p);
				free(p);
				break;
			}
	}
	closedir(d);
}

/* A downloaded body becomes the item's file, by what its bytes are. */
static char *
settle(struct in *in, char **why)
{
	struct task *t = in->t;
	struct sniffed s;
	char *media = NULL, *overlay = NULL, *res;
	const char *w = NULL;
	int body = sniff(t->head, t->nhead, &s);

	if (body == BODY_HTML || body == BODY_OTHER) {
		long code = 200;

		atomic_abort(&t->body);
		if (body == BODY_HTML)
			*why = xasprintf("the server answered HTTP %ld with an HTML page, "
			    "not the media", code);
		else if (t->nhead == 0)
			*why = xstrdup("the server answered with an empty body");
		else
			*why = xasprintf("not an image, video or audio file (it starts "
			    "with %02x %02x %02x %02x)", t->head[0],
			    t->nhead > 1 ? t->head[1] : 0, t->nhead > 2 ? t->head[2] : 0,
			    t->nhead > 3 ? t->head[3] : 0);
		return NULL;
	}
	if (body == BODY_ZIP) {
		char *zip = xstrdup(t->body.tmp);
		int rc;

		if (fclose(t->body.fp) == EOF) {
			*why = xasprintf("%s: %s", zip, strerror(errno));
			t->body.fp = NULL;
			t->body.fd = -1;
			atomic_abort(&t->body);
			free(zip);
			return NULL;
		}
		t->body.fp = NULL;
		t->body.fd = -1;
		rc = unzip_memory(zip, cfg.fetchdir, in->it.id, &media, &overlay, &s, why);
		atomic_abort(&t->body);
		free(zip);
		if (rc < 0)
			return NULL;
	} else {
		media = xasprintf("%s/%s%s", cfg.fetchdir, in->it.id, s.ext);
		free(t->body.dst);
		t->body.dst = xstrdup(media);
		if (atomic_commit(&t->body) < 0) {
			*why = xasprintf("%s: %s", media, strerror(errno));
			free(media);
			return NULL;
		}
	}
	res = write_fetched(&in->it, media, s.kind, overlay, &w);
	if (res == NULL)
		*why = xasprintf("%s/%s.item: %s", cfg.fetchdir, in->it.id, w);
	free(media);
	free(overlay);
	return res;
}

/* Print the results known so far, in input order. */
static void
flush_ready(void)
{
	for (; nprinted < nins && ins[nprinted].ended; nprinted++) {
		struct in *in = &ins[nprinted];

		if (in->result != NULL)
			out_path(in->result);
	}
}

/* A download ended: the item is settled now, so that a kill loses no
 * finished download. */
static void
task_ended(struct task *t)
{
	struct in *in = &ins[(size_t)(uintptr_t)t->owner];
	char *why = NULL;

	if (t->done == 1)
		in->result = settle(in, &why);
	if (in->result == NULL) {
		warnx_("%s: %s", in->path, why ? why : t->why ? t->why : "not downloaded");
		exit_status = ST_ITEM;
	}
	free(why);
	in->ended = 1;
	flush_ready();
}

int
main(int argc, char **argv)
{
	enum { O_PAR = 256, O_RETRIES, O_DELAY, O_TIMEOUT, O_CTIMEOUT, O_MAX };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "parallel", required_argument, NULL, O_PAR },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "retry-delay", required_argument, NULL, O_DELAY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
		{ "max-size", required_argument, NULL, O_MAX },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct input input;
	struct task **tasks = NULL;
	size_t ntasks = 0, i;
	const char *path;
	char *mem;
	int ch;

	setprogname(argv[0]);
	cfg.parallel = 8;
	cfg.retries = 4;
	cfg.retry_delay = 1;
	cfg.timeout = 30;
	cfg.connect_timeout = 15;
	cfg.max_size = 4LL << 30;
	while ((ch = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': cfg.out = optarg; break;
		case O_PAR: cfg.parallel = (int)num_ll("--parallel", optarg, 1, 256); break;
		case O_RETRIES: cfg.retries = (int)num_ll("--retries", optarg, 0, 100); break;
		case O_DELAY: cfg.retry_delay = num_d("--retry-delay", optarg, 0, 60); break;
		case O_TIMEOUT: cfg.timeout = num_d("--timeout", optarg, 1, 3600); break;
		case O_CTIMEOUT:
			cfg.connect_timeout = num_d("--connect-timeout", optarg, 0.1, 600);
			break;
		case O_MAX: cfg.max_size = size_arg("--max-size", optarg); break;
		case 'h': usage(stdout, ST_OK); break;
		case 'V': print_version(); return ST_OK;
		default: usage(stderr, ST_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (cfg.out == NULL)
		usage(stderr, ST_USAGE);
	if (*cfg.out == '\0')
		die(ST_USAGE, "-o: empty path");
	cfg.loopback = loopback_base();
	mem = xasprintf("%s/.mem", cfg.out);
	cfg.fetchdir = xasprintf("%s/fetch", mem);
	if (outdir_ready(cfg.fetchdir) < 0)
		die_errno(ST_FATAL, "%s", cfg.fetchdir);
	free(mem);
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		die(ST_FATAL, "libcurl: initialisation failed");

	input_init(&input, argc, argv);
	while ((path = input_next(&input, &exit_status)) != NULL) {
		struct in *in;
		const char *why, *u, *l;
		int r;

		ins = xrealloc(ins, (nins + 1) * sizeof(*ins));
		in = &ins[nins++];
		memset(in, 0, sizeof(*in));
		in->path = xstrdup(path);
		in->ended = 1;
		r = item_or_path(&in->it, path, &why);
		if (r < 0) {
			warnx_("%s: %s", path, why);
			exit_status = ST_ITEM;
			continue;
		}
		u = r == 1 ? extra_of(&in->it, "url") : NULL;
		l = r == 1 ? extra_of(&in->it, "link") : NULL;
		if (u == NULL && l == NULL) {
			in->result = xstrdup(path);
			continue;
		}
		if (in->it.id == NULL || strlen(in->it.id) != 16 ||
		    strspn(in->it.id, "0123456789abcdef") != 16) {
			warnx_("%s: a record with a link needs its id", path);
			exit_status = ST_ITEM;
			continue;
		}
		why = NULL;
		if ((in->result = already(in, &why)) != NULL)
			continue;
		if (why != NULL) {
			warnx_("%s: %s", path, why);
			exit_status = ST_ITEM;
			continue;
		}
		in->ended = 0;
		in->t = xcalloc(1, sizeof(*in->t));
		in->t->owner = (void *)(uintptr_t)(nins - 1);
		in->t->id = in->it.id;
		in->t->url = u ? xstrdup(u) : NULL;
		in->t->link = u ? NULL : xstrdup(l);
		in->t->body.fd = -1;
		tasks = xrealloc(tasks, (ntasks + 1) * sizeof(*tasks));
		tasks[ntasks++] = in->t;
	}
	remove_stale(ins, nins);
	flush_ready();
	if (ntasks > 0)
		fetch_all(tasks, ntasks, task_ended);
	flush_ready();
	for (i = 0; i < nins; i++) {
		struct in *in = &ins[i];

		if (in->t != NULL) {
			free(in->t->url);
			free(in->t->link);
			free(in->t->why);
			free(in->t);
		}
		free(in->result);
		free(in->path);
		item_free(&in->it);
	}
	free(ins);
	free(tasks);
	input_free(&input);
	curl_global_cleanup();
	free(cfg.fetchdir);
	out_close();
	return exit_status;
}
