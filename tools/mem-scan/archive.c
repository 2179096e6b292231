/*
 * archive.c -- exports as the platforms deliver them: zip parts (libzip:
 * the central directory lists the members without reading them) and tar
 * parts, compressed or not (libarchive: a tar has no index, so it is read
 * once, in order). Their members become the export's file list exactly as
 * a directory's walk makes it, so every platform's rules (detection,
 * sidecars, albums, special folders) run on members unchanged. The one way
 * to read a file of an export, plain file or member, is here too (struct
 * fh): only what the rules ask for is read.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "mem.h"
#include "mem-scan.h"

/* What a member may declare before it is refused (tools/mem-scan.1). */
#define MAX_MEMBER	((int64_t)64 << 30)	/* bytes, stored or expanded */
#define MAX_RATIO	100	/* expanded / compressed size, for members */
#define RATIO_FLOOR	((int64_t)64 << 20)	/* larger than this */
/* A tar is read once: what the scan may ask of a member is kept then. */
#define MAX_KEEP	((int64_t)512 << 20)	/* a metadata member, whole */
#define HEAD		((int64_t)64 << 10)	/* a media member's first bytes */
#define MAX_HEADS	((int64_t)1 << 30)	/* all heads of a run together */
#define MAX_KEPT	((int64_t)2 << 30)	/* all metadata of a run together */

struct part {
	char	*path;		/* absolute */
	int	 tar;
	zip_t	*zip;
	struct zsrc *zs;	/* zip: what libzip reads the part through */
	pthread_mutex_t mu;	/* libzip's and libarchive's handles are not for
				 * two threads at once (the Google Photos scan
				 * reads sidecars from worker threads): one
				 * lock a part, so that two parts are read at
				 * once */
	off_t	 size;		/* the archive file's, for member_sig */
	int64_t	 mtime;
	struct stat st;		/* as listed: its members' memo.cache identity */
	struct archive *cur;	/* tar: a reader at entry curidx, */
	int64_t	 curidx;	/* curpos bytes into its data */
	int64_t	 curpos;
};

struct fh {
	int	 fd;		/* a plain file, else -1 */
	off_t	 pos;		/* where fh_read goes on */
	const struct export *ex;
	const struct file *f;	/* a member */
	zip_file_t *zf;		/* zip: open, zpos bytes read */
	int64_t	 zpos;
	int	 seekable;	/* zip: a stored member */
	int	 window;	/* zip: stored media, read through windows */
	unsigned char *mem;	/* zip: a small deflated member, whole */
	char	 why[160];	/* the reason of the last failure */
};

/*
 * One part's members and refusals, as its listing found them: zip parts
 * are listed in threads of their own (a central directory costs 1.5 us a
 * member to list, 6 ms for bench/archive-scan's four parts), and
 * export_parts() merges the listings in part order, so the file list and
 * the messages are the same run to run.
 */
struct refusal {
	char	*member;	/* NULL: the whole part */
	char	*msg;
};

struct listing {
	struct file *files;
	size_t	 nfiles, cap;
	struct refusal *refused;
	size_t	 nrefused;
	int	 partial;
};

static int64_t heads_kept, meta_kept;	/* tar parts: listed one at a time */

int
archive_kind(const char *path)
{
	static const char *tars[] = { ".tar", ".tgz", ".tar.gz", ".tar.bz2",
	    ".tbz2", ".tar.xz", ".txz", ".tar.zst" };
	const char *base = strrchr(path, '/');
	size_t n, i, e;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcasecmp(base + n - 4, ".zip") == 0)
		return 1;
	for (i = 0; i < LEN(tars); i++) {
		e = strlen(tars[i]);
		if (n > e && strcasecmp(base + n - e, tars[i]) == 0)
			return 2;
	}
	return 0;
}

/*
 * The name the parts of one export share: the base name without its
 * extension and without Takeout's part number ("-001"), which goes to
 * *partno (0 when there is none).
 */
char *
archive_stem(const char *path, int *partno)
{
	const char *base = strrchr(path, '/');
	char *s, *dot;
	size_t n;

	s = xstrdup(base ? base + 1 : path);
	*partno = 0;
	n = strlen(s);
	if (n > 4 && strcasecmp(s + n - 4, ".zip") == 0)
		s[n - 4] = '\0';
	else if ((dot = strrchr(s, '.')) != NULL && dot != s) {
		*dot = '\0';
		if ((dot = strrchr(s, '.')) != NULL && dot != s && strcasecmp(dot, ".tar") == 0)
			*dot = '\0';
	}
	n = strlen(s);
	if (n > 4 && s[n - 4] == '-' && s[n - 3] >= '0' && s[n - 3] <= '9' &&
	    s[n - 2] >= '0' && s[n - 2] <= '9' && s[n - 1] >= '0' && s[n - 1] <= '9') {
		*partno = (s[n - 3] - '0') * 100 + (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
		s[n - 4] = '\0';
	}
	return s;
}

/* A member that costs its item: one line, the failure report, status 1. */
static void
refuse(struct export *ex, const char *archive, const char *member, const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (member != NULL)
		warnx_("%s: %s: %s", archive, member, msg);
	else
		warnx_("%s: %s", archive, msg);
	j = json_pack("{s:o, s:o, s:s}", "file_path", jstr(archive), "reason", jstr(msg),
	    "platform", "archive");
	if (j != NULL && member != NULL)
		json_object_set_new(j, "member", jstr(member));
	if (j == NULL || json_array_append_new(ex->failed, j) < 0)
		die(ST_FATAL, "out of memory");
	ex->status = ST_ITEM;
}

/* A refusal kept for the merge (refuse() is the main thread's). */
static void
defer(struct listing *l, const char *member, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->refused = xrealloc(l->refused, (l->nrefused + 1) * sizeof(*l->refused));
	l->refused[l->nrefused].member = member ? xstrdup(member) : NULL;
	l->refused[l->nrefused++].msg = xstrdup(msg);
}

/*
 * A member's name as a path in the export, or NULL: *why says why it is
 * refused (absolute, a ".." component), or is NULL for a name the walk
 * would skip too (hidden, banned). "." and empty components go.
 */
static char *
member_rel(const char *name, const char **why)
{
	char *rel, *q;
	const char *p = name;

	*why = NULL;
	if (name == NULL || *name == '\0') {
		*why = "a member without a name";
		return NULL;
	}
	if (*name == '/') {
		*why = "an absolute name, refused";
		return NULL;
	}
	q = rel = xmalloc(strlen(name) + 1);
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char comp[256];

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "a name with a \"..\" component, refused";
			free(rel);
			return NULL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			memcpy(comp, p, n < sizeof(comp) ? n : sizeof(comp) - 1);
			comp[n < sizeof(comp) ? n : sizeof(comp) - 1] = '\0';
			if (banned(comp)) {
				free(rel);
				return NULL;
			}
			if (q > rel)
				*q++ = '/';
			memcpy(q, p, n);
			q += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	*q = '\0';
	if (*rel == '\0') {
		free(rel);
		return NULL;
	}
	return rel;
}

static struct file *
add_member(struct listing *l, char *rel, const char *name, size_t part)
{
	struct file *f;

	if (l->nfiles == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->files = xrealloc(l->files, l->cap * sizeof(*l->files));
	}
	f = &l->files[l->nfiles++];
	memset(f, 0, sizeof(*f));
	f->rel = rel;
	f->member = xstrdup(name);
	f->kind = (unsigned char)kind_of_name(rel);
	f->stated = 1;
	f->part = (unsigned)part + 1;
	return f;
}

/* A declared size no media or sidecar has, or an expansion only a bomb
 * makes: the reason, or NULL. */
static const char *
absurd(int64_t size, int64_t csize, int compressed, char *buf, size_t bufsize)
{
	if (size > MAX_MEMBER) {
		snprintf(buf, bufsize, "declares %lld bytes, more than the %lld GiB "
		    "a member may have (a zip bomb?), refused", (long long)size,
		    (long long)(MAX_MEMBER >> 30));
		return buf;
	}
	if (compressed && size > RATIO_FLOOR && size / (csize > 0 ? csize : 1) > MAX_RATIO) {
		snprintf(buf, bufsize, "expands %lld times (%lld to %lld bytes), more "
		    "than %d (a zip bomb?), refused", (long long)(size / (csize > 0 ?
		    csize : 1)), (long long)csize, (long long)size, MAX_RATIO);
		return buf;
	}
	return NULL;
}

/*
 * A member's mtime in seconds: the "UT" extra field (0x5455: a flags byte,
 * bit 0 for a 4-byte little-endian Unix mtime) where the zip has one, as
 * Info-ZIP writes it, since the DOS time libzip gives is a local wall
 * clock with 2-second steps; else that.
 */
static int64_t
zip_mtime(zip_t *za, zip_int64_t i, const zip_stat_t *st)
{
	const zip_uint8_t *ut;
	zip_uint16_t len;

	ut = zip_file_extra_field_get_by_id(za, (zip_uint64_t)i, 0x5455, 0, &len,
	    ZIP_FL_CENTRAL);
	if (ut != NULL && len >= 5 && (ut[0] & 1))
		return (int32_t)((uint32_t)ut[1] | (uint32_t)ut[2] << 8 |
		    (uint32_t)ut[3] << 16 | (uint32_t)ut[4] << 24);
	return (int64_t)st->mtime;
}

/* The central directory is the list: no member is read. */
static void
list_zip(struct part *p, size_t pi, struct listing *l)
{
	zip_int64_t n, i;
	zip_error_t ze;
	char why[200];
	int err;

	if ((p->zip = source_zip_open(p->path, &p->zs, &err)) == NULL) {
		zip_error_init_with_code(&ze, err);
		defer(l, NULL, "not a readable zip archive (%s); none of its members "
		    "is scanned", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		l->partial = 1;
		return;
	}
	n = zip_get_num_entries(p->zip, 0);
	for (i = 0; i < n; i++) {
		zip_stat_t st;
		zip_uint8_t opsys;
		zip_uint32_t attr;
		const char *reason;
		struct file *f;
		char *rel;

		if (zip_stat_index(p->zip, (zip_uint64_t)i, 0, &st) < 0 ||
		    !(st.valid & ZIP_STAT_NAME)) {
			snprintf(why, sizeof(why), "#%lld", (long long)i);
			defer(l, why, "unreadable entry (%s)", zip_strerror(p->zip));
			continue;
		}
		if (st.name[0] != '\0' && st.name[strlen(st.name) - 1] == '/')
			continue;	/* a directory */
		if (zip_file_get_external_attributes(p->zip, (zip_uint64_t)i, 0, &opsys,
		    &attr) == 0 && opsys == ZIP_OPSYS_UNIX && ((attr >> 16) & S_IFMT) != 0 &&
		    ((attr >> 16) & S_IFMT) != S_IFREG)
			continue;	/* a link or a directory, as the walk skips */
		if ((rel = member_rel(st.name, &reason)) == NULL) {
			if (reason != NULL)
				defer(l, st.name, "%s", reason);
			continue;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE)
			reason = "encrypted, refused (mem-scan reads no passwords)";
		else if ((st.valid & ZIP_STAT_COMP_METHOD) &&
		    !zip_compression_method_supported((zip_int32_t)st.comp_method, 0))
			reason = "compressed with a method libzip cannot read, refused";
		else if ((reason = absurd((int64_t)st.size, (int64_t)st.comp_size,
		    st.comp_method != ZIP_CM_STORE, why, sizeof(why))) != NULL)
			;
		else if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size)
			reason = "stored, but its two sizes differ: corrupt, refused";
		else if ((off_t)st.comp_size > p->size)
			reason = "larger than its archive: truncated, refused";
		if (reason != NULL) {
			defer(l, st.name, "%s", reason);
			free(rel);
			continue;
		}
		f = add_member(l, rel, st.name, pi);
		f->size = (off_t)st.size;
		f->mtime = zip_mtime(p->zip, i, &st);
		f->crc = st.crc;
		f->index = i;
	}
}

static struct archive *
tar_reader(const char *path, char *why, size_t whysize)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		die(ST_FATAL, "out of memory");
	if (archive_read_support_filter_all(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_gnutar(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		snprintf(why, whysize, "%s", archive_error_string(a) ?
		    archive_error_string(a) : "cannot read it");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Up to n bytes of the current entry's data: its count, or -1. */
static int64_t
tar_data(struct archive *a, unsigned char *buf, int64_t n)
{
	int64_t got = 0;
	la_ssize_t r;

	while (got < n) {
		r = archive_read_data(a, buf + got, (size_t)(n - got));
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/*
 * A tar has no index: the one pass lists it and keeps what the scan may
 * ask of it (metadata whole, up to MAX_KEEP, while MAX_KEPT allows; a
 * media member's first HEAD bytes while MAX_HEADS allows), so the
 * platforms' reads need no second pass; what is not kept is read later
 * through the part again (tar_pread). A member cut short by the end of
 * the archive is refused.
 */
static void
list_tar(struct part *p, size_t pi, struct listing *l)
{
	struct archive *a;
	struct archive_entry *ae;
	char why[200];
	int64_t ordinal = 0, want;
	struct file *last = NULL;
	int r;

	if ((a = tar_reader(p->path, why, sizeof(why))) == NULL) {
		defer(l, NULL, "not a readable tar archive (%s); none of its members "
		    "is scanned", why);
		l->partial = 1;
		return;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae), *reason;
		int64_t size = archive_entry_size(ae);
		struct file *f;
		char *rel;

		ordinal++;
		last = NULL;
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if ((rel = member_rel(name, &reason)) == NULL) {
			if (reason != NULL)
				defer(l, name ? name : "", "%s", reason);
			continue;
		}
		if ((reason = absurd(size, size, 0, why, sizeof(why))) != NULL) {
			defer(l, name, "%s", reason);
			free(rel);
			continue;
		}
		f = add_member(l, rel, name, pi);
		f->size = (off_t)size;
		f->mtime = (int64_t)archive_entry_mtime(ae);
		f->index = ordinal - 1;
		last = f;
		want = 0;
		if (f->kind == KIND_UNKNOWN && size <= MAX_KEEP && meta_kept + size <= MAX_KEPT)
			want = size;
		else if (f->kind != KIND_UNKNOWN && heads_kept < MAX_HEADS)
			want = size < HEAD ? size : HEAD;
		if (want > 0) {
			f->data = xmalloc((size_t)want);
			if ((f->datalen = (size_t)tar_data(a, f->data, want)) != (size_t)want) {
				defer(l, name, "truncated or corrupt (%s), refused",
				    archive_error_string(a) ? archive_error_string(a) :
				    "ends early");
				free(f->data);
				free(f->rel);
				free(f->member);
				l->nfiles--;
				l->partial = 1;
				archive_read_free(a);
				return;
			}
			if (f->kind != KIND_UNKNOWN)
				heads_kept += want;
			else
				meta_kept += want;
		}
	}
	if (r != ARCHIVE_EOF) {
		/* the data of the member before the failing header was
		 * skipped, not read: whether it is whole nobody knows */
		if (last != NULL && (int64_t)last->datalen < (int64_t)last->size) {
			defer(l, last->member, "truncated or corrupt (%s), refused",
			    archive_error_string(a) ? archive_error_string(a) : "?");
			free(last->data);
			free(last->rel);
			free(last->member);
			l->nfiles--;
		} else {
			defer(l, NULL, "truncated or corrupt after %lld entries (%s); the "
			    "rest is not scanned", (long long)ordinal,
			    archive_error_string(a) ? archive_error_string(a) : "?");
		}
		l->partial = 1;
	}
	archive_read_free(a);
}

static int
cmp_member(const void *a, const void *b)
{
	const struct file *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);

	if (c != 0)
		return c;
	return x->part < y->part ? -1 : x->part > y->part;
}

/*
 * A set's numbered parts (Takeout's -001, -002...; two of them at least)
 * with one missing in the middle (or before the first): each missing one
 * is said, the export is partial (its old records stay) and the run fails.
 */
static void
missing_parts(struct export *ex)
{
	size_t i, j;

	for (i = 0; i < ex->nparts; i++) {
		int pi, pj, seen = 0, k;
		char *si = archive_stem(ex->parts[i].path, &pi), *sj;
		const char *ext;

		for (j = 0; j < i && !seen; j++) {
			sj = archive_stem(ex->parts[j].path, &pj);
			seen = strcmp(si, sj) == 0;
			free(sj);
		}
		for (j = i + 1, k = 0; j < ex->nparts && !seen && k == 0; j++) {
			sj = archive_stem(ex->parts[j].path, &pj);
			k = strcmp(si, sj) == 0 && pj != 0;
			free(sj);
		}
		/* a set is two numbered parts or more: one file named
		 * "x-123.zip" is no part 123 of something */
		if (seen || pi == 0 || k == 0) {
			free(si);
			continue;
		}
		/* the numbers of this stem: parts come sorted by path */
		for (k = 1, j = i; k <= 999; k++) {
			int have = 0;

			for (j = i; j < ex->nparts; j++) {
				sj = archive_stem(ex->parts[j].path, &pj);
				if (strcmp(si, sj) == 0 && pj >= k)
					have = have ? have : pj;
				free(sj);
			}
			if (have == 0)
				break;
			if (have != k) {
				char *dir = xstrdup(ex->parts[i].path), *slash = strrchr(dir, '/');
				char *miss;

				ext = strrchr(ex->parts[i].path, '.');
				if (slash != NULL)
					*slash = '\0';
				if (ext != NULL && ext - 4 > ex->parts[i].path &&
				    strncasecmp(ext - 4, ".tar", 4) == 0)
					ext -= 4;
				miss = xasprintf("%s/%s-%03d%s", dir, si, k, ext ? ext : "");
				refuse(ex, miss, NULL, "missing: part %d of %s is not here "
				    "(its items are not scanned)", k, si);
				free(miss);
				free(dir);
				ex->partial = 1;
			}
		}
		free(si);
	}
}

/* A part's size and mtime (for member_sig), then its members. */
static void
list_part(struct part *p, size_t pi, struct listing *l)
{
	struct stat st;

	if (stat(p->path, &st) < 0) {
		defer(l, NULL, "%s", strerror(errno));
		l->partial = 1;
		return;
	}
	p->size = st.st_size;
	p->mtime = (int64_t)st.st_mtime;
	p->st = st;
	if (p->tar)
		list_tar(p, pi, l);
	else
		list_zip(p, pi, l);
}

/* The zip parts threads take in turn (list_parts). */
struct listers {
	struct export *ex;
	struct listing *l;
	size_t	 next;
	pthread_mutex_t mu;
};

static void *
lister(void *arg)
{
	struct listers *ls = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&ls->mu);
		while (ls->next < ls->ex->nparts && ls->ex->parts[ls->next].tar)
			ls->next++;
		i = ls->next++;
		pthread_mutex_unlock(&ls->mu);
		if (i >= ls->ex->nparts)
			return NULL;
		list_part(&ls->ex->parts[i], i, &ls->l[i]);
	}
}

/* Each part's listing, the zips in threads (as many as CPUs, this one
 * among them), the tars here one after the other. */
static void
list_parts(struct export *ex, struct listing *l)
{
	pthread_t th[7];
	struct listers ls = { ex, l, 0, PTHREAD_MUTEX_INITIALIZER };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, nzip = 0, nt = 0;

	for (i = 0; i < ex->nparts; i++)
		nzip += !ex->parts[i].tar;
	for (; nt + 1 < nzip && (long)nt + 1 < ncpu && nt < LEN(th); nt++)
		if (pthread_create(&th[nt], NULL, lister, &ls) != 0)
			break;
	for (i = 0; i < ex->nparts; i++)
		if (ex->parts[i].tar)
			list_part(&ex->parts[i], i, &l[i]);
	lister(&ls);
	for (i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
}

/*
 * An export made of archive parts (sorted by path): every member of every
 * part in one file list. When all members lie under one folder named as
 * the export (a zipped folder), that folder is the export's root, as it
 * is when the folder is scanned. A path in two parts is kept from the
 * first.
 */
int
export_parts(struct export *ex, const char *path, const char *name, char **parts,
    size_t nparts)
{
	struct listing *l = xcalloc(nparts, sizeof(*l));
	size_t i, j, k, nlen = strlen(name);

	export_init(ex, path);
	free(ex->name);
	ex->name = xstrdup(name);
	ex->parts = xcalloc(nparts, sizeof(*ex->parts));
	ex->nparts = nparts;
	for (i = 0; i < nparts; i++) {
		struct part *p = &ex->parts[i];

		p->path = xstrdup(parts[i]);
		p->tar = archive_kind(p->path) == 2;
		if (pthread_mutex_init(&p->mu, NULL) != 0)
			die(ST_FATAL, "pthread_mutex_init failed");
	}
	list_parts(ex, l);
	for (i = 0; i < nparts; i++) {
		for (k = 0; k < l[i].nrefused; k++) {
			refuse(ex, ex->parts[i].path, l[i].refused[k].member, "%s",
			    l[i].refused[k].msg);
			free(l[i].refused[k].member);
			free(l[i].refused[k].msg);
		}
		free(l[i].refused);
		ex->files = xrealloc(ex->files, (ex->nfiles + l[i].nfiles + 1) *
		    sizeof(*ex->files));
		if (l[i].nfiles > 0)
			memcpy(ex->files + ex->nfiles, l[i].files, l[i].nfiles *
			    sizeof(*ex->files));
		ex->nfiles += l[i].nfiles;
		free(l[i].files);
		ex->partial |= l[i].partial;
	}
	free(l);
	missing_parts(ex);
	for (i = 0; i < ex->nfiles; i++)
		if (strncmp(ex->files[i].rel, name, nlen) != 0 ||
		    ex->files[i].rel[nlen] != '/')
			break;
	if (nlen > 0 && ex->nfiles > 0 && i == ex->nfiles)
		for (i = 0; i < ex->nfiles; i++)
			memmove(ex->files[i].rel, ex->files[i].rel + nlen + 1,
			    strlen(ex->files[i].rel + nlen + 1) + 1);
	if (ex->nfiles > 1)
		qsort(ex->files, ex->nfiles, sizeof(*ex->files), cmp_member);
	for (i = j = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];

		if (j > 0 && strcmp(ex->files[j - 1].rel, f->rel) == 0) {
			warnx_("%s: %s: also in %s, whose copy is taken",
			    ex->parts[f->part - 1].path, f->member,
			    ex->parts[ex->files[j - 1].part - 1].path);
			free(f->rel);
			free(f->member);
			free(f->data);
			continue;
		}
		ex->files[j++] = *f;
	}
	ex->nfiles = j;
	return 0;
}

void
parts_free(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfiles; i++) {
		free(ex->files[i].member);
		free(ex->files[i].data);
	}
	for (i = 0; i < ex->nparts; i++) {
		if (ex->parts[i].zip != NULL)
			zip_discard(ex->parts[i].zip);
		if (ex->parts[i].cur != NULL)
			archive_read_free(ex->parts[i].cur);
		pthread_mutex_destroy(&ex->parts[i].mu);
		free(ex->parts[i].path);
	}
	free(ex->parts);
	ex->parts = NULL;
	ex->nparts = 0;
}

const char *
part_path(const struct export *ex, const struct file *f)
{
	return f->part ? ex->parts[f->part - 1].path : NULL;
}

/* A member's identity in memo.cache: its archive's, taken before the
 * listing read a byte (any write to the archive since moves its ctime),
 * and its index. -1: none (no cache, or an archive changed just now). */
int
member_memo_key(const struct export *ex, const struct file *f, unsigned kind,
    struct memo_key *k)
{
	if (f->part == 0 || memo_key_of(&ex->parts[f->part - 1].st, kind, k) < 0)
		return -1;
	k->member = (uint64_t)f->index + 1;
	return 0;
}

/* source= and the contract's member fields (docs/design.md §3). */
char *
file_source(const struct export *ex, const struct file *f, struct item *it)
{
	const struct part *p;
	char sig[128];

	if (f->part == 0)
		return file_path(ex, f);
	p = &ex->parts[f->part - 1];
	if (p->tar)
		snprintf(sig, sizeof(sig), "%lld:%lld:-:%lld", (long long)p->size,
		    (long long)p->mtime, (long long)f->index);
	else
		snprintf(sig, sizeof(sig), "%lld:%lld:%08x:%lld", (long long)p->size,
		    (long long)p->mtime, (unsigned)f->crc, (long long)f->index);
	item_extra(it, "member", f->member);
	item_extra(it, "member_sig", sig);
	return xstrdup(p->path);
}

void
file_overlay(const struct export *ex, const struct file *f, struct item *it)
{
	if (f->part == 0) {
		it->overlay = file_path(ex, f);
		return;
	}
	it->overlay = xstrdup(ex->parts[f->part - 1].path);
	item_extra(it, "overlay_member", f->member);
}

/* sidecar= (and sidecar_member=): a user's XMP sidecar, which mem-exif
 * carries beside the output. */
void
file_xmp(const struct export *ex, const struct file *f, struct item *it)
{
	char *path = f->part == 0 ? file_path(ex, f) : xstrdup(ex->parts[f->part - 1].path);

	item_extra(it, "sidecar", path);
	free(path);
	if (f->part != 0)
		item_extra(it, "sidecar_member", f->member);
}

struct fh *
fh_fd(int fd)
{
	struct fh *h = xcalloc(1, sizeof(*h));

	h->fd = fd;
	return h;
}

/*
 * A small deflated member (a sidecar, a message file) whole in h->mem: its
 * compressed bytes as libzip hands them over (ZIP_FL_COMPRESSED: under the
 * part's lock, one pread), inflated by libdeflate and checked against the
 * central directory's CRC outside it. libzip's own way sets up zlib and a
 * CRC layer for each member and inflates under the lock, so two workers
 * on one part wait for each other. 0, or -1 when anything is not as
 * expected: the member then goes the usual way, which says why.
 */
#define SMALL_MEMBER	((off_t)1 << 20)

/* libdeflate's decompressors, kept between members (and a PNG's compressed
 * chunks: containers.c): a new one builds its tables for the fixed Huffman
 * code of each small member again. */
static struct libdeflate_decompressor *spare_dz[8];
static size_t nspare_dz;
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;

struct libdeflate_decompressor *
dz_take(void)
{
	struct libdeflate_decompressor *dz = NULL;

	pthread_mutex_lock(&spare_mu);
	if (nspare_dz > 0)
		dz = spare_dz[--nspare_dz];
	pthread_mutex_unlock(&spare_mu);
	if (dz == NULL && (dz = libdeflate_alloc_decompressor()) == NULL)
		die(ST_FATAL, "out of memory");
	return dz;
}

void
dz_give(struct libdeflate_decompressor *dz)
{
	pthread_mutex_lock(&spare_mu);
	if (nspare_dz < sizeof(spare_dz) / sizeof(spare_dz[0])) {
		spare_dz[nspare_dz++] = dz;
		dz = NULL;
	}
	pthread_mutex_unlock(&spare_mu);
	libdeflate_free_decompressor(dz);
}

static int
small_inflate(struct fh *h, struct part *p)
{
	struct libdeflate_decompressor *dz;
	unsigned char *raw = NULL, *out;
	zip_file_t *zf = NULL;
	zip_int64_t r = -1;
	zip_stat_t st;
	size_t got;
	int ok;

	pthread_mutex_lock(&p->mu);
	ok = zip_stat_index(p->zip, (zip_uint64_t)h->f->index, 0, &st) == 0 &&
	    (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
	    ZIP_STAT_CRC)) == (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
	    ZIP_STAT_CRC) && st.comp_method == ZIP_CM_DEFLATE &&
	    st.size == (zip_uint64_t)h->f->size && st.comp_size > 0 &&
	    st.comp_size <= (zip_uint64_t)SMALL_MEMBER &&
	    (zf = zip_fopen_index(p->zip, (zip_uint64_t)h->f->index, ZIP_FL_COMPRESSED)) != NULL;
	if (ok) {
		raw = xmalloc((size_t)st.comp_size);
		r = zip_fread(zf, raw, st.comp_size);
	}
	if (zf != NULL)
		zip_fclose(zf);
	pthread_mutex_unlock(&p->mu);
	if (!ok || r != (zip_int64_t)st.comp_size) {
		free(raw);
		return -1;
	}
	out = xmalloc(st.size > 0 ? (size_t)st.size : 1);
	dz = dz_take();
	ok = libdeflate_deflate_decompress(dz, raw, (size_t)st.comp_size, out,
	    (size_t)st.size, &got) == LIBDEFLATE_SUCCESS && got == (size_t)st.size &&
	    libdeflate_crc32(0, out, got) == st.crc;
	dz_give(dz);
	free(raw);
	if (!ok) {
		free(out);
		return -1;
	}
	h->mem = out;
	return 0;
}

/*
 * A plain file is opened now (NULL with errno when it cannot be); a
 * member's failures wait for the first read, which says why.
 */
struct fh *
file_open(const struct export *ex, const struct file *f)
{
	struct part *p;
	struct fh *h;
	zip_stat_t st;
	int fd;

	if (f->part == 0) {
		if (ex->fd < 0) {
			errno = EBADF;
			return NULL;
		}
		if ((fd = openat(ex->fd, f->rel, O_RDONLY | O_CLOEXEC)) < 0)
			return NULL;
		return fh_fd(fd);
	}
	h = fh_fd(-1);
	h->ex = ex;
	h->f = f;
	p = &ex->parts[f->part - 1];
	if (p->tar || (f->data != NULL && f->datalen == (size_t)f->size))
		return h;
	if (f->size <= SMALL_MEMBER && small_inflate(h, p) == 0)
		return h;
	pthread_mutex_lock(&p->mu);
	if (f->kind != KIND_UNKNOWN && zip_stat_index(p->zip, (zip_uint64_t)f->index, 0,
	    &st) == 0 && st.comp_method == ZIP_CM_STORE)
		h->seekable = h->window = 1;	/* zf waits for a read to the end */
	else if ((h->zf = zip_fopen_index(p->zip, (zip_uint64_t)f->index, 0)) == NULL)
		snprintf(h->why, sizeof(h->why), "%s", zip_strerror(p->zip));
	else if (zip_stat_index(p->zip, (zip_uint64_t)f->index, 0, &st) == 0 &&
	    st.comp_method == ZIP_CM_STORE)
		h->seekable = 1;
	pthread_mutex_unlock(&p->mu);
	return h;
}

static ssize_t
fail_zip(struct fh *h)
{
	snprintf(h->why, sizeof(h->why), "%s", zip_file_strerror(h->zf));
	errno = EIO;
	return -1;
}

/*
 * Bytes off..off+n of a stored media member, short of its end, through a
 * window of libzip on the part. A zip_file_t would run them through its
 * CRC layer, whose sum is checked only by a read that meets the end: on
 * the scan's 2,000 EXIF heads, 8 MB summed for nothing (2 ms). A read to
 * the end still goes through zf, which then checks what it can.
 */
static ssize_t
window_read(struct fh *h, struct part *p, void *buf, size_t n, off_t off)
{
	zip_source_t *src;
	zip_int64_t r;

	/* a block's worth would be 8 KiB read for a 4 KiB head: read the local
	 * header (30 bytes, the name, an extra field of a usual size) and the
	 * bytes asked for, in one pread; a longer extra field costs a second */
	source_zip_want(p->zs, 30 + strlen(h->f->member) + 64 + (size_t)off + n);
	src = zip_source_zip(p->zip, p->zip, (zip_uint64_t)h->f->index, 0,
	    (zip_uint64_t)off, (zip_int64_t)n);
	if (src != NULL && zip_source_open(src) < 0) {
		snprintf(h->why, sizeof(h->why), "%s", zip_error_strerror(zip_source_error(src)));
		zip_source_free(src);
		source_zip_want(p->zs, 0);
		errno = EIO;
		return -1;
	}
	r = src == NULL ? -1 : zip_source_read(src, buf, n);
	source_zip_want(p->zs, 0);
	if (src == NULL) {
		snprintf(h->why, sizeof(h->why), "%s", zip_strerror(p->zip));
		errno = EIO;
		return -1;
	}
	if (r < 0)
		snprintf(h->why, sizeof(h->why), "%s", zip_error_strerror(zip_source_error(src)));
	zip_source_close(src);
	zip_source_free(src);
	if (r < 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)r;
}

/* libzip seeks only in stored members; in a deflated one, read on to the
 * offset (from the start again when it lies behind). */
static ssize_t
zip_pread_(struct fh *h, struct part *p, void *buf, size_t n, off_t off)
{
	static unsigned char skip[1 << 15];
	zip_int64_t r;

	if (h->window && off >= 0 && n > 0 && (uint64_t)off + n < (uint64_t)h->f->size)
		return window_read(h, p, buf, n, off);
	if (h->zf == NULL && h->window) {
		if ((h->zf = zip_fopen_index(p->zip, (zip_uint64_t)h->f->index, 0)) == NULL) {
			snprintf(h->why, sizeof(h->why), "%s", zip_strerror(p->zip));
			errno = EIO;
			return -1;
		}
		h->zpos = 0;
	}
	if (h->zf == NULL) {
		errno = EIO;
		return -1;
	}
	if (off != h->zpos && h->seekable) {
		if (zip_fseek(h->zf, off, SEEK_SET) < 0)
			return fail_zip(h);
		h->zpos = off;
	}
	if (off < h->zpos) {
		zip_fclose(h->zf);
		h->zpos = 0;
		if ((h->zf = zip_fopen_index(p->zip, (zip_uint64_t)h->f->index, 0)) == NULL) {
			snprintf(h->why, sizeof(h->why), "%s", zip_strerror(p->zip));
			errno = EIO;
			return -1;
		}
	}
	while (h->zpos < off) {
		int64_t want = off - h->zpos;

		r = zip_fread(h->zf, skip, want < (int64_t)sizeof(skip) ? (zip_uint64_t)want :
		    sizeof(skip));
		if (r < 0)
			return fail_zip(h);
		if (r == 0)
			return 0;
		h->zpos += r;
	}
	if ((r = zip_fread(h->zf, buf, n)) < 0)
		return fail_zip(h);
	h->zpos += r;
	return (ssize_t)r;
}

/* The part's one reader goes forward to the member and the offset; only a
 * read behind it starts the tar again. */
static ssize_t
tar_pread(struct fh *h, struct part *p, void *buf, size_t n, off_t off)
{
	static unsigned char skip[1 << 15];
	struct archive_entry *ae;
	int64_t r;
	int rc;

	if (p->cur == NULL || p->curidx > h->f->index ||
	    (p->curidx == h->f->index && p->curpos > off)) {
		if (p->cur != NULL)
			archive_read_free(p->cur);
		if ((p->cur = tar_reader(p->path, h->why, sizeof(h->why))) == NULL) {
			errno = EIO;
			return -1;
		}
		p->curidx = -1;
	}
	while (p->curidx < h->f->index) {
		rc = archive_read_next_header(p->cur, &ae);
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			goto fail;
		p->curidx++;
		p->curpos = 0;
	}
	while (p->curpos < off) {
		int64_t want = off - p->curpos;

		r = tar_data(p->cur, skip, want < (int64_t)sizeof(skip) ? want :
		    (int64_t)sizeof(skip));
		if (r < 0)
			goto fail;
		if (r == 0)
			return 0;
		p->curpos += r;
	}
	if ((r = tar_data(p->cur, buf, (int64_t)n)) < 0)
		goto fail;
	p->curpos += r;
	return (ssize_t)r;
fail:
	snprintf(h->why, sizeof(h->why), "%s", archive_error_string(p->cur) ?
	    archive_error_string(p->cur) : "cannot read it");
	archive_read_free(p->cur);
	p->cur = NULL;
	errno = EIO;
	return -1;
}

/* pread() of a member whose bytes (size of them) are in memory. */
static ssize_t
mem_pread(const unsigned char *mem, off_t size, void *buf, size_t n, off_t off)
{
	if (off >= size)
		return 0;
	if (n > (size_t)(size - off))
		n = (size_t)(size - off);
	memcpy(buf, mem + off, n);
	return (ssize_t)n;
}

ssize_t
fh_pread(struct fh *h, void *buf, size_t n, off_t off)
{
	const struct file *f = h->f;
	struct part *p;
	ssize_t r;

	if (h->fd >= 0)
		return pread(h->fd, buf, n, off);
	if (h->why[0] != '\0') {
		errno = EIO;
		return -1;
	}
	/* kept bytes serve what they hold; libzip checks the CRC only on a
	 * read that meets the end, so those go to the archive */
	if (f->data != NULL && (off >= f->size || (size_t)off + n <= f->datalen ||
	    f->datalen == (size_t)f->size))
		return mem_pread(f->data, f->size, buf, n, off);
	if (h->mem != NULL)
		return mem_pread(h->mem, f->size, buf, n, off);
	p = &h->ex->parts[f->part - 1];
	pthread_mutex_lock(&p->mu);
	r = p->tar ? tar_pread(h, p, buf, n, off) : zip_pread_(h, p, buf, n, off);
	pthread_mutex_unlock(&p->mu);
	return r;
}

unsigned char *
fh_bytes(struct fh *fd, off_t fsize, uint64_t pos, uint64_t n)
{
	unsigned char *b;

	if (n > FH_BYTES_MAX || pos > (uint64_t)fsize || n > (uint64_t)fsize - pos)
		return NULL;
	b = xmalloc((size_t)n + 1);
	if (fh_pread(fd, b, (size_t)n, (off_t)pos) != (ssize_t)n) {
		free(b);
		return NULL;
	}
	b[n] = '\0';
	return b;
}

ssize_t
fh_read(struct fh *h, void *buf, size_t n)
{
	ssize_t r = h->fd >= 0 ? read(h->fd, buf, n) : fh_pread(h, buf, n, h->pos);

	if (r > 0 && h->fd < 0)
		h->pos += r;
	return r;
}

int
fh_fileno(const struct fh *h)
{
	return h->fd;
}

const char *
fh_why(const struct fh *h)
{
	return h != NULL && h->why[0] != '\0' ? h->why : NULL;
}

void
fh_close(struct fh *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->mem);
	if (h->zf != NULL) {
		struct part *p = &h->ex->parts[h->f->part - 1];

		pthread_mutex_lock(&p->mu);
		zip_fclose(h->zf);
		pthread_mutex_unlock(&p->mu);
	}
	free(h);
}
