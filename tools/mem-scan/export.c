/*
 * export.c -- the core of mem-scan: walk an export once, hand its files to
 * the platforms, give every item its dest name, write the failure report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXDEPTH 64

struct walk {
	struct export *ex;
	size_t	 cap;
	dev_t	 outdev;
	ino_t	 outino;
	int	 hasout;
	dev_t	 devs[MAXDEPTH];	/* the directories above: loops */
	ino_t	 inos[MAXDEPTH];
	int	 depth;
};

/* memoria's banned names (§2.1.4) are prefixes; hidden names (ours: .mem,
 * .name.XXXXXX temp files) are skipped too. */
int
banned(const char *name)
{
	static const char *ban[] = { "@eaDir", "@__thumb", "SYNOFILE_THUMB_",
	    "Lightroom Catalog", "thumbnails", ".DS_Store", "._", ".photostructure" };
	size_t i;

	if (name[0] == '.')
		return 1;
	for (i = 0; i < LEN(ban); i++)
		if (strncmp(name, ban[i], strlen(ban[i])) == 0)
			return 1;
	return 0;
}

/*
 * A copy of s in *blocks, blocks of POOL_BLOCK bytes filled in turn (*used
 * of the last): 100,000 paths are one allocation each no more (their
 * headers and rounding are a fifth of what they hold). The walk keeps the
 * export's paths so, and mem-scan.c the results' it must copy.
 */
char *
pool_copy(char ***blocks, size_t *nblocks, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (*nblocks == 0 || *used + n > POOL_BLOCK) {
		*blocks = xrealloc(*blocks, (*nblocks + 1) * sizeof(**blocks));
		(*blocks)[(*nblocks)++] = xmalloc(n > POOL_BLOCK ? n : POOL_BLOCK);
		*used = 0;
	}
	p = (*blocks)[*nblocks - 1] + *used;
	*used += n;
	memcpy(p, s, n);
	return p;
}

static void
add_file(struct walk *w, const char *rel, const struct stat *st)
{
	struct export *ex = w->ex;
	struct file *f;

	if (ex->nfiles == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		ex->files = xrealloc(ex->files, w->cap * sizeof(*ex->files));
	}
	f = &ex->files[ex->nfiles++];
	memset(f, 0, sizeof(*f));
	f->rel = pool_copy(&ex->pool, &ex->npool, &ex->poolused, rel);
	f->pooled = 1;
	f->size = st ? st->st_size : -1;
	f->mtime = st ? (int64_t)st->st_mtime : 0;
	f->stated = st != NULL;
	f->kind = (unsigned char)kind_of_name(rel);
	f->claimed = 0;
}

/*
 * Depth first with openat(), so a deep tree costs no path lookups. Symbolic
 * links are followed, but never into a directory already above us (a loop)
 * or into OUT.
 */
static void
walk_dir(struct walk *w, int dfd, char *rel, size_t rlen)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int fd;

	if ((d = fdopendir(dfd)) == NULL) {
		w->ex->partial = 1;
		w->ex->status = ST_ITEM;
		scan_warn(w->ex, rlen ? rel : ".", "%s", strerror(errno));
		close(dfd);
		return;
	}
	for (;;) {
		size_t nlen;
		int i, isdir;

		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (banned(de->d_name))
			continue;
		nlen = strlen(de->d_name);
		if (rlen + nlen + 2 > PATH_MAX)
			continue;
		if (rlen) {
			rel[rlen] = '/';
			memcpy(rel + rlen + 1, de->d_name, nlen + 1);
		} else {
			memcpy(rel, de->d_name, nlen + 1);
		}
		/* no stat when d_type tells: most files never need one
		 * (file_stat() does it when they do) */
		if (de->d_type == DT_REG) {
			add_file(w, rel, NULL);
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			/* a dangling link hides nothing; EACCES may. Each
			 * is an item that cannot be had: status 1. */
			if (errno != ENOENT && errno != ELOOP)
				w->ex->partial = 1;
			w->ex->status = ST_ITEM;
			scan_warn(w->ex, rel, "%s", strerror(errno));
			continue;
		}
		isdir = S_ISDIR(st.st_mode);
		if (S_ISREG(st.st_mode)) {
			add_file(w, rel, &st);
			continue;
		}
		if (!isdir)
			continue;
		if (w->hasout && st.st_dev == w->outdev && st.st_ino == w->outino)
			continue;
		for (i = 0; i < w->depth; i++)
			if (w->devs[i] == st.st_dev && w->inos[i] == st.st_ino)
				break;
		if (i < w->depth || w->depth == MAXDEPTH) {
			if (i == w->depth) {	/* too deep, not a loop */
				w->ex->partial = 1;
				w->ex->status = ST_ITEM;
				scan_warn(w->ex, rel, "more than %d directories deep, "
				    "not followed", MAXDEPTH);
			} else {
				scan_warn(w->ex, rel, "directory loop, not followed");
			}
			continue;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			w->ex->partial = 1;
			w->ex->status = ST_ITEM;
			scan_warn(w->ex, rel, "%s", strerror(errno));
			continue;
		}
		w->devs[w->depth] = st.st_dev;
		w->inos[w->depth++] = st.st_ino;
		walk_dir(w, fd, rel, rlen + (rlen ? 1 : 0) + nlen);
		w->depth--;
		rel[rlen] = '\0';
	}
	if (errno != 0) {
		w->ex->partial = 1;
		w->ex->status = ST_ITEM;
		scan_warn(w->ex, rlen ? rel : ".", "%s", strerror(errno));
	}
	closedir(d);
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->rel, ((const struct file *)b)->rel);
}

/* An export with no files yet: its path, name and empty reports. */
void
export_init(struct export *ex, const char *path)
{
	const char *base;
	size_t len;

	memset(ex, 0, sizeof(*ex));
	ex->fd = -1;
	ex->path = xstrdup(path);
	len = strlen(ex->path);
	while (len > 1 && ex->path[len - 1] == '/')
		ex->path[--len] = '\0';
	base = strrchr(ex->path, '/');
	ex->name = xstrdup(base && base[1] ? base + 1 : ex->path);
	ex->orphan_media = json_array();
	ex->orphan_meta = json_array();
	ex->failed = json_array();
	ex->skipped = json_array();
	if (ex->orphan_media == NULL || ex->orphan_meta == NULL || ex->failed == NULL ||
	    ex->skipped == NULL)
		die(ST_FATAL, "out of memory");
}

int
export_walk(struct export *ex, const char *path, dev_t outdev, ino_t outino, int hasout)
{
	struct walk w;
	struct stat st;
	char *rel;
	int fd;

	export_init(ex, path);
	fd = open(ex->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((ex->fd = dup(fd)) < 0) {
		close(fd);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.ex = ex;
	w.outdev = outdev;
	w.outino = outino;
	w.hasout = hasout;
	w.devs[0] = st.st_dev;
	w.inos[0] = st.st_ino;
	w.depth = 1;
	rel = xmalloc(PATH_MAX);
	rel[0] = '\0';
	walk_dir(&w, fd, rel, 0);
	free(rel);
	if (ex->nfiles > 0)
		qsort(ex->files, ex->nfiles, sizeof(*ex->files), cmp_file);
	return 0;
}

void
export_free(struct export *ex)
{
	size_t i;

	parts_free(ex);
	for (i = 0; i < ex->nfiles; i++)
		if (!ex->files[i].pooled)
			free(ex->files[i].rel);
	free(ex->files);
	for (i = 0; i < ex->npool; i++)
		free(ex->pool[i]);
	free(ex->pool);
	for (i = 0; i < ex->nitems; i++)
		entry_free(&ex->items[i]);
	free(ex->items);
	free(ex->stems);
	json_decref(ex->orphan_media);
	json_decref(ex->orphan_meta);
	json_decref(ex->skipped);
	json_decref(ex->failed);
	free(ex->path);
	free(ex->name);
	if (ex->fd >= 0)
		close(ex->fd);
	memset(ex, 0, sizeof(*ex));
	ex->fd = -1;
}

struct file *
export_find(struct export *ex, const char *rel)
{
	size_t lo = 0, hi = ex->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ex->files[mid].rel, rel);

		if (c == 0)
			return &ex->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Sorted byte-wise, the files under "dir/" are one run: find its ends. */
struct file *
export_under(struct export *ex, const char *dir, size_t *n)
{
	size_t dlen = strlen(dir), lo = 0, hi = ex->nfiles, first;

	*n = 0;
	if (dlen == 0) {
		*n = ex->nfiles;
		return ex->files;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *r = ex->files[mid].rel;
		int c = strncmp(r, dir, dlen);

		if (c == 0)
			c = (unsigned char)r[dlen] < '/' ? -1 : 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < ex->nfiles && strncmp(ex->files[lo].rel, dir, dlen) == 0 &&
	    ex->files[lo].rel[dlen] == '/')
		lo++;
	*n = lo - first;
	return ex->files + first;
}

/* A file's path; for a member, its archive's. */
char *
file_path(const struct export *ex, const struct file *f)
{
	if (f->part != 0)
		return xstrdup(part_path(ex, f));
	return xasprintf("%s/%s", ex->path, f->rel);
}

int
file_stat(const struct export *ex, struct file *f)
{
	struct stat st;

	if (f->stated)
		return 0;
	if (ex->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fstatat(ex->fd, f->rel, &st, 0) < 0)
		return -1;
	f->size = st.st_size;
	f->mtime = (int64_t)st.st_mtime;
	f->stated = 1;
	return 0;
}

/* The whole file, NUL-terminated, or NULL with a warning. */
/* A metadata file, claimed and parsed; a malformed one costs a warning
 * (naming its line), never the scan. NULL when unreadable or malformed. */
json_t *
file_json(struct export *ex, struct file *f, size_t max)
{
	json_error_t err;
	size_t len;
	char *buf;
	json_t *root;

	f->claimed = 1;
	if ((buf = file_slurp(ex, f, max, &len)) == NULL)
		return NULL;
	root = json_loadb(buf, len, 0, &err);
	free(buf);
	if (root == NULL)
		scan_warn(ex, f->rel, "malformed or truncated JSON (line %d: %s)",
		    err.line, err.text);
	return root;
}

char *
file_slurp(struct export *ex, const struct file *f, size_t max, size_t *len)
{
	struct fh *h;
	char *buf;
	size_t n = 0, cap;
	ssize_t r;

	if ((h = file_open(ex, f)) == NULL) {
		scan_warn(ex, f->rel, "%s", strerror(errno));
		ex->status = ST_ITEM;
		return NULL;
	}
	if (f->size > 0 && (size_t)f->size > max) {
		fh_close(h);
		scan_warn(ex, f->rel, "too large to be metadata (%lld bytes)",
		    (long long)f->size);
		return NULL;
	}
	cap = f->size >= 0 ? (size_t)f->size + 1 : 8192;
	buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max + 1)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = fh_read(h, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			scan_warn(ex, f->rel, "%s", fh_why(h) ? fh_why(h) : strerror(errno));
			ex->status = ST_ITEM;
			free(buf);
			fh_close(h);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (f->part == 0 && f->size >= 0 && n == (size_t)f->size)
			break;	/* as large as the walk saw it: no read for EOF */
	}
	fh_close(h);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A new entry of the platform being scanned, not yet tied to a file. */
static struct entry *
new_entry(struct export *ex, enum item_kind kind, const char *folder, const char *prefix)
{
	struct entry *e;
	size_t i;

	if (ex->nitems == ex->capitems) {
		ex->capitems = ex->capitems ? ex->capitems * 2 : 64;
		ex->items = xrealloc(ex->items, ex->capitems * sizeof(*ex->items));
	}
	e = &ex->items[ex->nitems++];
	memset(e, 0, sizeof(*e));
	item_init(&e->it);
	e->folder = folder;
	e->prefix = prefix;
	/* id, source, export and platform are filled in when the record is
	 * written (entry_id, mem-scan.c): 50,000 items need not hold them */
	e->platform = ex->cur ? ex->cur->name : "folder";
	e->it.user = user_of(ex->name, ex->cur ? ex->cur->dirprefix : NULL);
	e->it.kind = kind;
	for (i = 0; i < ex->nfound; i++)
		if (ex->found[i] == ex->cur)
			ex->nitem_by[i]++;
	return e;
}

struct entry *
scan_add(struct export *ex, struct file *f, const char *folder, const char *prefix)
{
	struct entry *e = new_entry(ex, (enum item_kind)f->kind, folder, prefix);

	e->file = (size_t)(f - ex->files);
	f->claimed = 1;
	return e;
}

/*
 * An item the export only links to (a Discord attachment, a Snapchat
 * memory): no file of the export is its media, so it gets a path of its
 * own inside the export (vrel, unique, with the extension the link
 * suggests) for its id and its place among the names, and the link in a
 * url= (GET) or link= (POST for the url) field for mem-fetch.
 */
struct entry *
scan_add_link(struct export *ex, const char *vrel, const char *key, const char *url,
    enum item_kind kind, const char *folder, const char *prefix)
{
	struct entry *e = new_entry(ex, kind, folder, prefix);

	e->vrel = xstrdup(vrel);
	item_extra(&e->it, key, url);
	return e;
}

const char *
entry_rel(const struct export *ex, const struct entry *e)
{
	return e->vrel != NULL ? e->vrel : ex->files[e->file].rel;
}

/* FNV-1a 64 of the export name, a NUL, and the path in the export. */
void
entry_id(const struct export *ex, const struct entry *e, char id[17])
{
	const char *rel = entry_rel(ex, e);
	uint64_t h;

	h = fnv1a64(ex->name, strlen(ex->name) + 1, FNV64_INIT);
	h = fnv1a64(rel, strlen(rel), h);
	snprintf(id, 17, "%016llx", (unsigned long long)h);
}

/*
 * The few names of time sources, one copy each for the run: an item's
 * time_source points here (entry_free() lets go of it before item_free()),
 * not to a copy of its own among 50,000.
 */
static const char *
source_name(const char *source)
{
	static char **names;
	static size_t n;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], source) == 0)
			return names[i];
	names = xrealloc(names, (n + 1) * sizeof(*names));
	names[n] = xstrdup(source);
	return names[n++];
}

void
set_time(struct item *it, int64_t utc, int32_t off, const char *source)
{
	it->has_time = 1;
	it->time = utc;
	it->offset_min = off;
	it->time_source = source ? (char *)(uintptr_t)source_name(source) : NULL;
}

/* What an entry holds, freed (its time_source is source_name()'s). */
void
entry_free(struct entry *e)
{
	e->it.time_source = NULL;
	item_free(&e->it);
	free(e->conv);
	free(e->vrel);
	e->conv = e->vrel = NULL;
}

/* (0,0) is how the platforms say "no location". */
void
set_gps(struct item *it, double lat, double lon, int has_alt, double alt)
{
	if ((lat == 0 && lon == 0) || !(lat >= -90 && lat <= 90) ||
	    !(lon >= -180 && lon <= 180))
		return;
	it->has_gps = 1;
	it->lat = lat;
	it->lon = lon;
	it->has_alt = has_alt && alt == alt && alt != 0;
	it->alt = it->has_alt ? alt : 0;
}

static void
count_orphan(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfound; i++)
		if (ex->found[i] == ex->cur)
			ex->norphan_by[i]++;
}

/* A JSON string of any bytes: invalid UTF-8 bytes become U+FFFD. */
json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);
	char *t, *q;
	const unsigned char *p;

	if (j != NULL)
		return j;
	q = t = xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*q++ = (char)*p;
		} else {
			*q++ = (char)0xef;
			*q++ = (char)0xbf;
			*q++ = (char)0xbd;
		}
	}
	*q = '\0';
	j = json_string(t);
	free(t);
	return j;
}

static void
append(json_t *arr, json_t *obj)
{
	if (obj == NULL || json_array_append_new(arr, obj) < 0)
		die(ST_FATAL, "out of memory");
}

void
orphan_media(struct export *ex, struct file *f, const char *reason)
{
	char *p = file_path(ex, f);

	(void)file_stat(ex, f);
	append(ex->orphan_media, json_pack("{s:o, s:s, s:{s:s, s:o, s:I}}",
	    "file_path", jstr(p), "reason", reason, "context", "platform",
	    ex->cur ? ex->cur->name : "folder", "relative_path", jstr(f->rel),
	    "file_size", (json_int_t)f->size));
	if (f->part != 0 && json_object_set_new(json_array_get(ex->orphan_media,
	    json_array_size(ex->orphan_media) - 1), "member", jstr(f->member)) < 0)
		die(ST_FATAL, "out of memory");
	free(p);
	count_orphan(ex);
}

void
orphan_meta(struct export *ex, const char *metafile, json_t *entry, const char *reason)
{
	append(ex->orphan_meta, json_pack("{s:O, s:o, s:{s:s, s:o}}",
	    "metadata_entry", entry ? entry : json_null(), "reason", jstr(reason),
	    "context", "platform", ex->cur ? ex->cur->name : "folder",
	    "metadata_file", jstr(metafile)));
	count_orphan(ex);
}

void
scan_warn(struct export *ex, const char *rel, const char *fmt, ...)
{
	struct file *f;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	f = ex->nparts > 0 ? export_find(ex, rel) : NULL;
	if (f != NULL && f->part != 0)
		warnx_("%s: %s: %s", part_path(ex, f), f->member, msg);
	else
		warnx_("%s/%s: %s", ex->path, rel, msg);
	append(ex->failed, json_pack("{s:o, s:o, s:s}", "file_path", jstr(rel),
	    "reason", jstr(msg), "platform", ex->cur ? ex->cur->name : "folder"));
	free(msg);
}

void
scan_skip(struct export *ex, struct file *f, const char *reason)
{
	char *p = file_path(ex, f);

	append(ex->skipped, json_pack("{s:o, s:s, s:{s:s, s:o}}", "file_path", jstr(p),
	    "reason", reason, "context", "platform", ex->cur ? ex->cur->name : "folder",
	    "relative_path", jstr(f->rel)));
	free(p);
}

/*
 * A name from metadata, relative to dir inside the export. Absolute names,
 * "..", and empty components are refused: metadata must not point outside
 * the export.
 */
char *
safe_join(const char *dir, const char *name)
{
	const char *p = name;

	if (name == NULL || *name == '\0' || *name == '/' || name[strlen(name) - 1] == '/')
		return NULL;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if ((n == 2 && p[0] == '.' && p[1] == '.') || n == 0)
			return NULL;
		p += n;
		if (*p == '/')
			p++;
	}
	if (dir == NULL || *dir == '\0')
		return xstrdup(name);
	return xasprintf("%s/%s", dir, name);
}

/* digits: YYYY-?MM-?DD at s, its length or 0. */
static size_t
date_at(const char *s)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++)
		if (s[n] < '0' || s[n] > '9')
			return 0;
		else
			n++;
	for (i = 0; i < 2; i++) {
		if (s[n] == '-')
			n++;
		if (s[n] < '0' || s[n] > '9' || s[n + 1] < '0' || s[n + 1] > '9')
			return 0;
		n += 2;
	}
	return n;
}

/*
 * The user from an export directory's name, memoria's rules (§1.7):
 * PREFIX-USER-YYYYMMDD; instagram-USER_-DATE keeps the "_"; PREFIX-USER
 * with a trailing date dropped; else any WORD-USER-DATE; else "unknown".
 * Slashes and control characters become "_"; other bytes (UTF-8) stay.
 */
char *
user_of(const char *name, const char *prefix)
{
	size_t plen, i, n = strlen(name);
	const char *s = NULL;
	char *u = NULL;

	if (prefix != NULL && (plen = strlen(prefix)) < n &&
	    strncasecmp(name, prefix, plen) == 0 && name[plen] == '-') {
		s = name + plen + 1;
		for (i = 1; s[i] != '\0'; i++)
			if (s[i] == '-' && date_at(s + i + 1)) {
				/* instagram-user_-2021-07-25 keeps "user_" */
				u = xmemdup(s, i);
				break;
			}
		if (u == NULL && *s != '\0') {
			size_t len = strlen(s);

			for (i = 0; i < len; i++)
				if (date_at(s + i) && s[i + date_at(s + i)] == '\0')
					break;
			while (i > 0 && i <= len && (s[i - 1] == '-' || s[i - 1] == '_'))
				i--;
			if (i > 0)
				u = xmemdup(s, i);
		}
	}
	if (u == NULL) {
		const char *d = strchr(name, '-');

		if (d != NULL) {
			for (i = 1; d[1] && d[i] != '\0'; i++)
				if (d[i] == '-' && date_at(d + i + 1)) {
					u = xmemdup(d + 1, i - 1);
					break;
				}
		}
	}
	if (u == NULL || *u == '\0') {
		free(u);
		u = xstrdup("unknown");
	}
	for (i = 0; u[i]; i++)
		if (u[i] == '/' || (unsigned char)u[i] < 0x20 || u[i] == 0x7f)
			u[i] = '_';
	return u;
}

static const char *
extension(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot;

	dot = strrchr(slash ? slash + 1 : path, '.');
	return dot && dot != (slash ? slash + 1 : path) ? dot : "";
}

/* The name stem before the extension, for Live Photo pairs. */
static size_t
stem_len(const char *path)
{
	return strlen(path) - strlen(extension(path));
}

static struct export *sort_ex;

/* An entry with its sort key worked out once: qsort compares each one
 * log2(n) times, and the stem's length takes two scans of the path. */
struct stemkey {
	struct entry *e;
	const char *rel;
	size_t	 stem;
};

/* By directory and stem ("DIR/IMG_1234"), then kind, then path. */
static int
cmp_stem(const void *a, const void *b)
{
	const struct stemkey *x = a, *y = b;
	size_t m = x->stem, n = y->stem;
	int c;

	if ((c = memcmp(x->rel, y->rel, m < n ? m : n)) != 0)
		return c;
	if (m != n)
		return m < n ? -1 : 1;
	if (x->e->it.kind != y->e->it.kind)
		return x->e->it.kind < y->e->it.kind ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

static int
stem_sortable(const struct entry *e)
{
	return e->it.has_time && (e->it.kind == KIND_IMAGE || e->it.kind == KIND_VIDEO);
}

/* The last sort still holds when the same entries are sortable: the key
 * is the path and the kind, which no pass after the scan changes. */
static struct entry **
stem_again(struct export *ex, size_t *n)
{
	struct entry **v;
	size_t i, m = 0;

	if (ex->stems == NULL)
		return NULL;
	for (i = 0; i < ex->nitems; i++)
		m += stem_sortable(&ex->items[i]);
	if (m != ex->nstems)
		return NULL;
	for (i = 0; i < m; i++)
		if (ex->stems[i] < ex->items || ex->stems[i] >= ex->items + ex->nitems ||
		    !stem_sortable(ex->stems[i]))
			return NULL;
	v = xcalloc(m + 1, sizeof(*v));
	memcpy(v, ex->stems, m * sizeof(*v));
	*n = m;
	return v;
}

/*
 * The timed images and videos of the export sorted by folder and stem, so
 * the items of one stem (IMG_1234.HEIC, IMG_1234.MOV) are neighbours.
 * Items often come in that order already (a folder's files in path
 * order): then nothing is sorted. Called three times an export (twice by
 * live_offsets, then live_pairs): the order is kept for the next call.
 */
static struct entry **
stem_sorted(struct export *ex, size_t *n)
{
	struct entry **v;
	struct stemkey *k;
	size_t i, sorted = 1;

	if ((v = stem_again(ex, n)) != NULL)
		return v;
	k = xcalloc(ex->nitems + 1, sizeof(*k));
	*n = 0;
	for (i = 0; i < ex->nitems; i++)
		if (stem_sortable(&ex->items[i])) {
			k[*n].e = &ex->items[i];
			k[*n].rel = entry_rel(ex, &ex->items[i]);
			k[*n].stem = stem_len(k[*n].rel);
			if (*n > 0 && sorted && cmp_stem(&k[*n - 1], &k[*n]) > 0)
				sorted = 0;
			(*n)++;
		}
	if (!sorted)
		qsort(k, *n, sizeof(*k), cmp_stem);
	v = xcalloc(*n + 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = k[i].e;
	free(k);
	free(ex->stems);
	ex->stems = xcalloc(*n + 1, sizeof(*v));
	memcpy(ex->stems, v, *n * sizeof(*v));
	ex->nstems = *n;
	return v;
}

/* The end of the group of one stem that starts at v[i]. */
static size_t
stem_group_end(const struct export *ex, struct entry **v, size_t n, size_t i)
{
	const char *a = entry_rel(ex, v[i]);
	size_t len = stem_len(a), j;

	for (j = i + 1; j < n; j++) {
		const char *b = entry_rel(ex, v[j]);

		if (stem_len(b) != len || memcmp(a, b, len) != 0)
			break;
	}
	return j;
}

/*
 * A Live Photo is an image and a video of one stem in one folder
 * (IMG_1234.HEIC + IMG_1234.MOV) of one platform, captured within
 * LIVE_SLACK seconds of each other. live_image() gives a video the image
 * of its stem captured closest to it (with a known offset when
 * need_offset), or NULL.
 */
#define LIVE_SLACK 60
static struct entry *
live_image(struct entry **v, size_t i, size_t j, const struct entry *vid,
    int need_offset)
{
	struct entry *best = NULL;
	int64_t bestd = LIVE_SLACK + 1, d;
	size_t m;

	for (m = i; m < j; m++) {
		struct entry *img = v[m];

		if (img->it.kind != KIND_IMAGE || strcmp(img->platform, vid->platform) != 0 ||
		    (need_offset && img->it.offset_min == OFFSET_UNKNOWN))
			continue;
		d = img->it.time - vid->it.time;
		if (d < 0)
			d = -d;
		if (d < bestd) {
			bestd = d;
			best = img;
		}
	}
	return best;
}

/*
 * The video's QuickTime time is UTC with no zone, while the image's EXIF
 * often says its offset: the video of a Live Photo takes the offset of its
 * image, so the two show one wall clock and land on one day. Videos whose
 * offset is known already are left alone.
 */
void
live_offsets(struct export *ex)
{
	struct entry **v, *best;
	size_t i, j, k, n;

	v = stem_sorted(ex, &n);
	for (i = 0; i < n; i = j) {
		j = stem_group_end(ex, v, n, i);
		for (k = i; k < j; k++) {
			if (v[k]->it.kind != KIND_VIDEO || v[k]->it.offset_min != OFFSET_UNKNOWN)
				continue;
			if ((best = live_image(v, i, j, v[k], 1)) != NULL)
				v[k]->it.offset_min = best->it.offset_min;
		}
	}
	free(v);
}

/*
 * Exports lose Apple's ContentIdentifier, which Immich pairs a Live Photo
 * by (Takeout, iMessage attachments): the still's record names its video
 * (live_video=ID, docs/design.md section 3) and mem-upload links the two.
 * Each video goes with the image closest to it in time; when two videos
 * choose one image, the closer one wins, so every pair is one to one.
 */
void
live_pairs(struct export *ex)
{
	struct entry **v, *img, *best;
	int64_t bestd, d;
	size_t i, j, k, m, n;
	char id[17];

	v = stem_sorted(ex, &n);
	for (i = 0; i < n; i = j) {
		j = stem_group_end(ex, v, n, i);
		for (m = i; m < j; m++) {
			img = v[m];
			if (img->it.kind != KIND_IMAGE)
				continue;
			best = NULL;
			bestd = LIVE_SLACK + 1;
			for (k = i; k < j; k++) {
				if (v[k]->it.kind != KIND_VIDEO || live_image(v, i, j, v[k], 0) != img)
					continue;
				d = img->it.time - v[k]->it.time;
				if (d < 0)
					d = -d;
				if (d < bestd) {
					bestd = d;
					best = v[k];
				}
			}
			if (best == NULL)
				continue;
			entry_id(ex, best, id);
			item_extra(&img->it, "live_video", id);
		}
	}
	free(v);
}

/* Group by folder and base name, then capture instant, then source. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
	int c;

	if ((c = strcmp(x->it.dest, y->it.dest)) != 0)
		return c;
	if (x->it.has_time != y->it.has_time)
		return x->it.has_time ? -1 : 1;
	if (x->it.time != y->it.time)
		return x->it.time < y->it.time ? -1 : 1;
	return strcmp(entry_rel(sort_ex, x), entry_rel(sort_ex, y));
}

/*
 * A name read from metadata (a user from Discord's account/user.json, a
 * Google Chat e-mail, a Snapchat sender) as part of one file name, the one
 * place such names are made path-safe: "/" and control bytes become "_",
 * ".." becomes "__", and it is cut at a UTF-8 boundary to 64 bytes so
 * prefix, conversation, date and suffix stay far below NAME_MAX. Anything
 * left empty is "unknown". msgs.c's conversation names end here too.
 */
char *
name_part(const char *name)
{
	const unsigned char *start = (const unsigned char *)(name ? name : ""), *s;
	char *out = xmalloc(strlen((const char *)start) + 1);
	size_t n = 0;

	for (s = start; *s != '\0' && n < 64; s++) {
		if (*s == '/' || *s < 0x20 || *s == 0x7f)
			out[n++] = '_';
		else if (*s == '.' && (s[1] == '.' || (s > start && s[-1] == '.')))
			out[n++] = '_';
		else
			out[n++] = (char)*s;
	}
	if ((*s & 0xc0) == 0x80) {	/* cut inside a letter: drop it */
		while (n > 0 && (out[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && (out[n - 1] & 0xc0) == 0xc0)
			n--;
	}
	out[n] = '\0';
	if (n == 0) {
		free(out);
		return xstrdup("unknown");
	}
	return out;
}

/*
 * Give every item its dest (docs/design.md §5): all items sharing
 * <folder>/<prefix>-<user>-<YYYYMMDD> are ordered by capture instant then
 * source path; the first keeps the bare name, the next get _1, _2...; an
 * image and a video of one Live Photo (same instant, same stem) share a
 * number. Audio from plain folders keeps its own path.
 */
void
name_all(struct export *ex)
{
	struct entry **v;
	size_t i, j, n = 0;

	v = xcalloc(ex->nitems + 1, sizeof(*v));
	for (i = 0; i < ex->nitems; i++) {
		struct entry *e = &ex->items[i];
		char date[32] = "00000000", *user;

		if (e->keepname) {
			e->it.dest = xasprintf("%s/%s", ex->name, entry_rel(ex, e));
			continue;
		}
		if (e->it.has_time) {
			struct tm tm;

			time_wall(e->it.time, e->it.offset_min, &tm);
			snprintf(date, sizeof(date), "%04d%02d%02d",
			    (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
		}
		/* the base without extension first; the rest is added below */
		user = name_part(e->it.user);
		e->it.dest = xasprintf("%s/%s/%s-%s-%s%s%s", ex->name, e->folder,
		    e->prefix, user, e->conv ? e->conv : "", e->conv ? "-" : "",
		    date);
		free(user);
		v[n++] = e;
	}
	sort_ex = ex;
	qsort(v, n, sizeof(*v), cmp_entry);
	for (i = 0; i < n; i = j) {
		int num = 0;

		for (j = i; j < n && strcmp(v[j]->it.dest, v[i]->it.dest) == 0; j++) {
			const char *a = entry_rel(ex, v[j]);
			const char *b = j > i ? entry_rel(ex, v[j - 1]) : a;

			if (j > i && !(v[j]->it.has_time && v[j - 1]->it.has_time &&
			    v[j]->it.time == v[j - 1]->it.time &&
			    stem_len(a) == stem_len(b) && strncmp(a, b, stem_len(a)) == 0 &&
			    strcasecmp(extension(a), extension(b)) != 0))
				num++;
			v[j]->keepname = -num;	/* remembered until all are compared */
		}
	}
	for (i = 0; i < n; i++) {
		char *d, *ext;
		int num = -v[i]->keepname;
		size_t k;

		ext = xstrdup(extension(entry_rel(ex, v[i])));
		for (k = 0; ext[k]; k++)
			if (ext[k] >= 'A' && ext[k] <= 'Z')
				ext[k] = (char)(ext[k] - 'A' + 'a');
		if (num > 0)
			d = xasprintf("%s_%d%s", v[i]->it.dest, num, ext);
		else
			d = xasprintf("%s%s", v[i]->it.dest, ext);
		free(ext);
		free(v[i]->it.dest);
		v[i]->it.dest = d;
		v[i]->keepname = 0;
	}
	free(v);
}

/*
 * OUT/<export>/issues/failure-report.json in memoria's shape (§2.1.6), or
 * no file (an old one removed) when nothing went wrong.
 */
int
write_report(struct export *ex, const char *out)
{
	struct atomic a;
	char *path, stamp[40];
	json_t *root;
	size_t nm = json_array_size(ex->orphan_media);
	size_t nd = json_array_size(ex->orphan_meta);
	size_t nf = json_array_size(ex->failed);
	size_t ns = json_array_size(ex->skipped);
	json_t *names, *old, *theirs, *v;
	json_int_t mine;
	size_t i;
	int rc;

	path = xasprintf("%s/%s/issues/failure-report.json", out, ex->name);
	/* the pipeline's entries (those with a "stage") are its to keep */
	old = json_load_file(path, 0, NULL);
	theirs = json_array();
	mine = json_integer_value(json_object_get(json_object_get(old, "summary"),
	    "failed_matching"));
	json_array_foreach(json_object_get(old, "failed_processing"), i, v) {
		if (json_is_string(json_object_get(v, "stage")))
			append(theirs, json_incref(v));
		else
			mine++;
	}
	/* none of ours, now or before: the file is the pipeline's alone */
	if (nm + nd + nf + ns == 0 && (json_array_size(theirs) == 0 || mine == 0)) {
		if (json_array_size(theirs) == 0 && unlink(path) < 0 && errno != ENOENT)
			warn_("%s", path);
		json_decref(old);
		json_decref(theirs);
		free(path);
		return 0;
	}
	if (json_array_extend(ex->failed, theirs) < 0)
		die(ST_FATAL, "out of memory");
	json_decref(theirs);
	nf = json_array_size(ex->failed);
	names = json_array();
	for (i = 0; i < ex->nfound; i++)
		append(names, json_string(ex->found[i]->name));
	time_format((int64_t)time(NULL), OFFSET_UNKNOWN, stamp, sizeof(stamp));
	root = json_pack("{s:s, s:O, s:o, s:s, s:{s:I, s:I, s:I}, "
	    "s:{s:O, s:O}, s:O}",
	    "processor_name", "mem-scan", "platforms", names,
	    "export_directory", jstr(ex->path), "timestamp", stamp,
	    "summary", "total_failures", (json_int_t)(nm + nd + nf),
	    "failed_matching", (json_int_t)(nm + nd),
	    "failed_processing", (json_int_t)nf,
	    "failed_matching", "orphaned_media", ex->orphan_media,
	    "orphaned_metadata", ex->orphan_meta, "failed_processing", ex->failed);
	json_decref(names);
	/* what was left out on purpose: named, not counted as failures */
	if (root != NULL && ns > 0 && json_object_set(root, "skipped", ex->skipped) < 0)
		die(ST_FATAL, "out of memory");
	if (root == NULL)
		die(ST_FATAL, "out of memory");
	/* Nothing new but the time: the file stays as it is (a rerun that
	 * changes nothing touches no file in OUT). */
	if (old != NULL && json_object_get(old, "timestamp") != NULL) {
		json_object_set(old, "timestamp", json_object_get(root, "timestamp"));
		if (json_equal(old, root)) {
			json_decref(old);
			json_decref(root);
			free(path);
			return 0;
		}
	}
	json_decref(old);
	rc = -1;
	if (mkdir_parent(path) == 0 && atomic_open(&a, path, "") == 0) {
		if (json_dumpf(root, a.fp, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 ||
		    fputc('\n', a.fp) == EOF)
			atomic_abort(&a);
		else
			rc = atomic_commit(&a);
	}
	if (rc < 0)
		warn_("%s", path);
	json_decref(root);
	free(path);
	return rc;
}
