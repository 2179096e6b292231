/*
 * records.c -- writing OUT/.mem/items/ID.item (docs/design.md §4) at the
 * cost of the bytes that change.
 *
 * - A record whose bytes are what is there already is not written (make
 *   compares mtimes: only items whose metadata moved are redone). Whether
 *   they are is known without opening the record: OUT/.mem/items.index
 *   holds each record's content hash and inode as this tool last wrote it,
 *   and one readdir of items/ says which records are still there with the
 *   inode written (every writer of records replaces them by rename, so a
 *   new inode means new bytes). A rescan of an unchanged tree writes
 *   nothing, not even the index.
 * - The first scan into an OUT writes its records into a fresh hidden
 *   directory (.mem/.items.XXXXXX), plain files, then renames it to items/:
 *   readers see no records or all of them, as with a temp file per record.
 * - Later new records are written as unnamed files (O_TMPFILE) and linked
 *   under their name once whole; a changed record is a temp file renamed
 *   over the old one. Where O_TMPFILE is not supported, every record takes
 *   the temp-file way.
 */
#define _GNU_SOURCE		/* O_TMPFILE, linkat's AT_SYMLINK_FOLLOW */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"

/* One record: what the index says, what readdir found, what we wrote. */
struct rec {
	char	 id[17];
	uint64_t hash;		/* FNV-1a of the record's bytes, 0: unknown */
	uint64_t ino;		/* inode the hash belongs to */
	uint64_t dino;		/* inode readdir found, 0: not there */
	int	 keep;		/* goes into the new index */
};

static struct rec *recs;
static size_t nrecs, caprecs;
static size_t nsorted;		/* recs[0..nsorted) is sorted and searched */
static char *memdir, *itemdir, *freshdir, *indexpath;
static int dirfd_ = -1;		/* the directory records go to now */
static int tmpfile_ok = 1;	/* O_TMPFILE works here */
static int dirty;		/* the index must be rewritten */

/*
 * The dedup pass's verdicts, kept between scans (OUT/.mem/same.cache): two
 * files found byte for byte the same, each named by what moves when its
 * content can have changed: device, inode, size, mtime and ctime (every
 * write moves the ctime, which no one can set back). A rescan of an
 * unchanged tree then reads no media file to know its copies again; a
 * file touched since is compared again. The cache keeps what this scan
 * used or found, and is rewritten only when that differs.
 */
struct ident {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
};
struct same {
	struct ident a, b;	/* a < b (memcmp) */
	int	 used;
};
static struct same *sames;
static size_t nsames, capsames, nsames_sorted;
static int sames_dirty;
static char *samepath;

static int
cmp_same(const void *x, const void *y)
{
	const struct same *a = x, *b = y;

	return memcmp(&a->a, &b->a, 2 * sizeof(a->a));
}

static void
ident_of(const struct stat *st, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	id->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
}

static void
same_key(const struct stat *x, const struct stat *y, struct same *k)
{
	struct ident a, b;

	ident_of(x, &a);
	ident_of(y, &b);
	if (memcmp(&a, &b, sizeof(a)) <= 0) {
		k->a = a;
		k->b = b;
	} else {
		k->a = b;
		k->b = a;
	}
	k->used = 1;
}

static void
load_sames(void)
{
	FILE *fp = fopen(samepath, "re");
	unsigned long long v[10];
	struct same *s;

	if (fp == NULL)
		return;
	while (fscanf(fp, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) == 10) {
		if (nsames == capsames) {
			capsames = capsames ? 2 * capsames : 256;
			sames = xrealloc(sames, capsames * sizeof(*sames));
		}
		s = &sames[nsames++];
		memset(s, 0, sizeof(*s));
		s->a = (struct ident){ v[0], v[1], v[2], v[3], v[4] };
		s->b = (struct ident){ v[5], v[6], v[7], v[8], v[9] };
	}
	fclose(fp);
	qsort(sames, nsames, sizeof(*sames), cmp_same);
	nsames_sorted = nsames;
}

int
same_known(const struct stat *x, const struct stat *y)
{
	struct same k, *hit;

	if (samepath == NULL)
		return 0;
	same_key(x, y, &k);
	hit = bsearch(&k, sames, nsames_sorted, sizeof(*sames), cmp_same);
	if (hit == NULL)
		return 0;
	hit->used = 1;
	return 1;
}

void
same_found(const struct stat *x, const struct stat *y)
{
	if (samepath == NULL)
		return;
	if (nsames == capsames) {
		capsames = capsames ? 2 * capsames : 256;
		sames = xrealloc(sames, capsames * sizeof(*sames));
	}
	same_key(x, y, &sames[nsames++]);
	sames_dirty = 1;
}

/* What this scan used or found; only a cost when it cannot be written. */
static void
save_sames(void)
{
	struct atomic a;
	size_t i;

	for (i = 0; i < nsames_sorted; i++)
		sames_dirty |= !sames[i].used;
	if (!sames_dirty)
		return;
	if (atomic_open(&a, samepath, "") < 0) {
		warn_("%s", samepath);
		return;
	}
	for (i = 0; i < nsames; i++) {
		const struct ident *p = &sames[i].a, *q = &sames[i].b;

		if (sames[i].used && fprintf(a.fp, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
		    (unsigned long long)p->dev, (unsigned long long)p->ino,
		    (unsigned long long)p->size, (unsigned long long)p->mtime_ns,
		    (unsigned long long)p->ctime_ns, (unsigned long long)q->dev,
		    (unsigned long long)q->ino, (unsigned long long)q->size,
		    (unsigned long long)q->mtime_ns, (unsigned long long)q->ctime_ns) < 0) {
			atomic_abort(&a);
			warn_("%s", samepath);
			return;
		}
	}
	if (atomic_commit(&a) < 0)
		warn_("%s", samepath);
}

static int
cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->id, ((const struct rec *)b)->id);
}

/* The sorted part only: what the index and items/ held at the start. */
static struct rec *
find(const char *id)
{
	struct rec key;

	memset(&key, 0, sizeof(key));
	memcpy(key.id, id, sizeof(key.id));
	return nsorted ? bsearch(&key, recs, nsorted, sizeof(*recs), cmp_rec) : NULL;
}

/* A record at the end, unsorted until resort(): no search on every put. */
static struct rec *
append(const char *id)
{
	struct rec *r;

	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 1024;
		recs = xrealloc(recs, caprecs * sizeof(*recs));
	}
	r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, 16);
	return r;
}

static void
resort(void)
{
	if (nrecs > 1)
		qsort(recs, nrecs, sizeof(*recs), cmp_rec);
	nsorted = nrecs;
}

static int
is_id(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "ID HASH INO\n" lines; anything unreadable is ignored (it only costs a
 * comparison with the record itself). */
static void
load_index(void)
{
	FILE *fp = fopen(indexpath, "re");
	char line[128], id[17];
	unsigned long long h, ino;

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strlen(line) > 17 && is_id(line) && line[16] == ' ' &&
		    sscanf(line + 17, "%llx %llu", &h, &ino) == 2) {
			struct rec *r;

			memcpy(id, line, 16);
			id[16] = '\0';
			r = append(id);
			r->hash = h;
			r->ino = ino;
		}
	fclose(fp);
}

/* A crashed first scan leaves its hidden directory: remove it. */
static void
remove_stale_fresh(void)
{
	DIR *d = opendir(memdir), *sub;
	struct dirent *de, *se;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strncmp(de->d_name, ".items.", 7) != 0 || !is_temp_name(de->d_name))
			continue;
		p = xasprintf("%s/%s", memdir, de->d_name);
		if ((sub = opendir(p)) != NULL) {
			while ((se = readdir(sub)) != NULL)
				if (se->d_name[0] != '.')
					unlinkat(dirfd(sub), se->d_name, 0);
			closedir(sub);
		}
		rmdir(p);
		free(p);
	}
	closedir(d);
}

static mode_t
dir_mode(void)
{
	mode_t um = umask(0);

	umask(um);
	return 0777 & ~um;
}

int
records_open(const char *out)
{
	DIR *d;
	struct dirent *de;
	struct rec *r;
	size_t n = 0;

	memdir = xasprintf("%s/.mem", out);
	itemdir = xasprintf("%s/items", memdir);
	indexpath = xasprintf("%s/items.index", memdir);
	if (mkdir_p(memdir, 0777) < 0)
		return -1;
	samepath = xasprintf("%s/same.cache", memdir);
	load_sames();
	remove_stale_fresh();
	if ((d = opendir(itemdir)) == NULL && errno != ENOENT)
		return -1;
	if (d != NULL) {
		load_index();
		resort();
		while ((errno = 0, de = readdir(d)) != NULL) {
			char id[17];

			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				n++;	/* anything there: no directory swap */
			if (!is_id(de->d_name) || strcmp(de->d_name + 16, ".item") != 0)
				continue;
			memcpy(id, de->d_name, 16);
			id[16] = '\0';
			if ((r = find(id)) == NULL)
				r = append(id);
			r->dino = de->d_ino;
		}
		if (errno != 0) {
			closedir(d);
			return -1;
		}
		closedir(d);
		resort();
	}
	if (access(n > 0 ? itemdir : memdir, W_OK) < 0)
		return -1;
	if (n == 0) {
		/* nothing to compare with: all records go to a fresh directory */
		freshdir = xasprintf("%s/.items.XXXXXX", memdir);
		/* mkdtemp gives 0700; items/ gets the usual mode */
		if (mkdtemp(freshdir) == NULL || chmod(freshdir, dir_mode()) < 0)
			return -1;
		dirty = 1;
	}
	if ((dirfd_ = open(freshdir ? freshdir : itemdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	/* the index is rebuilt from what is there now and what gets written */
	for (size_t i = 0; i < nrecs; i++)
		recs[i].keep = recs[i].dino != 0;
	return 0;
}

const char *
records_dir(void)
{
	return itemdir;
}

/* A new record, not there before: an unnamed file linked once whole. */
static int
put_new(const char *name, const char *buf, size_t len, uint64_t *ino)
{
	char proc[64];
	struct stat st;
	int fd, e;

	if (freshdir != NULL) {
		/* nobody sees this directory until it is renamed */
		fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return -1;
	} else {
		if (!tmpfile_ok)
			return 1;
		fd = openat(dirfd_, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0666);
		if (fd < 0) {
			if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
				tmpfile_ok = 0;
				return 1;
			}
			return -1;
		}
	}
	if (write_all(fd, buf, len) < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (freshdir == NULL) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, dirfd_, name, AT_SYMLINK_FOLLOW) < 0) {
			if (errno == EEXIST || errno == ENOENT) {
				/* there after all, or no /proc: the temp-file way */
				close(fd);
				return 1;
			}
			goto fail;
		}
	}
	*ino = st.st_ino;
	return close(fd);
fail:
	e = errno;
	close(fd);
	if (freshdir != NULL)
		unlinkat(dirfd_, name, 0);
	errno = e;
	return -1;
}

/* A record that replaces another: a temp file renamed over it. */
static int
put_replace(const char *name, const char *buf, size_t len, uint64_t *ino)
{
	struct atomic a;
	struct stat st;
	char *path = xasprintf("%s/%s", itemdir, name);

	if (atomic_open(&a, path, "") < 0) {
		free(path);
		return -1;
	}
	free(path);
	if (fwrite(buf, 1, len, a.fp) != len || fflush(a.fp) == EOF ||
	    fstat(a.fd, &st) < 0) {
		atomic_abort(&a);
		return -1;
	}
	*ino = st.st_ino;
	return atomic_commit(&a);
}

int
records_put(const struct item *it, const char *id)
{
	char *buf = NULL, name[32];
	size_t len = 0;
	FILE *fp;
	struct rec *r;
	uint64_t h, ino = 0;
	int rc;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return -1;
	if (item_write(it, fp) < 0 || fclose(fp) == EOF) {
		free(buf);
		return -1;
	}
	h = fnv1a64(buf, len, FNV64_INIT);
	if (h == 0)
		h = 1;
	if ((r = find(id)) == NULL) {
		static struct rec none;

		r = &none;	/* new to this OUT */
	}
	if (r->dino != 0 && r->hash == h && r->ino == r->dino) {
		free(buf);
		r->keep = 1;
		return 0;	/* the same bytes are there */
	}
	snprintf(name, sizeof(name), "%s.item", id);
	if (r->dino != 0 && (r->hash == 0 || r->ino != r->dino)) {
		/* not in the index, or replaced since: compare the bytes */
		char *path = xasprintf("%s/%s", itemdir, name), *old;
		size_t olen;
		int same;

		old = NULL;
		fp = fopen(path, "rbe");
		free(path);
		if (fp != NULL) {
			old = xmalloc(len + 1);
			olen = fread(old, 1, len + 1, fp);
			same = olen == len && memcmp(old, buf, len) == 0;
			fclose(fp);
			free(old);
			if (same) {
				r->hash = h;
				r->ino = r->dino;
				r->keep = 1;
				dirty = 1;
				free(buf);
				return 0;
			}
		}
	}
	rc = r->dino == 0 ? put_new(name, buf, len, &ino) : 1;
	if (rc == 1)
		rc = put_replace(name, buf, len, &ino);
	free(buf);
	if (rc < 0)
		return -1;
	if ((r = find(id)) == NULL)
		r = append(id);
	r->hash = h;
	r->ino = r->dino = ino;
	r->keep = 1;
	dirty = 1;
	return 0;
}

static int
write_index(void)
{
	struct atomic a;
	size_t i;

	if (atomic_open(&a, indexpath, "") < 0)
		return -1;
	resort();
	for (i = 0; i < nrecs; i++)
		if (recs[i].keep && recs[i].hash != 0 &&
		    fprintf(a.fp, "%s %016llx %llu\n", recs[i].id,
		    (unsigned long long)recs[i].hash, (unsigned long long)recs[i].ino) < 0) {
			atomic_abort(&a);
			return -1;
		}
	return atomic_commit(&a);
}

int
records_close(void)
{
	int rc = 0;

	if (dirfd_ >= 0 && close(dirfd_) < 0)
		rc = -1;
	dirfd_ = -1;
	/* the first scan's records appear all at once */
	if (freshdir != NULL && rc == 0 && rename(freshdir, itemdir) < 0) {
		warn_("%s", itemdir);
		rc = -1;
	}
	if (rc == 0 && dirty && write_index() < 0) {
		/* only a cost: the next scan compares the records' bytes */
		warn_("%s", indexpath);
		unlink(indexpath);
	}
	if (rc == 0)
		save_sames();
	free(sames);
	free(samepath);
	sames = NULL;
	samepath = NULL;
	nsames = capsames = nsames_sorted = 0;
	free(recs);
	recs = NULL;
	nrecs = caprecs = nsorted = 0;
	free(memdir);
	free(itemdir);
	free(freshdir);
	free(indexpath);
	memdir = itemdir = freshdir = indexpath = NULL;
	return rc;
}
