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
#include <stdatomic.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"

/* One record: what the index says, what readdir found, what we wrote
 * (40 bytes: one a record, 50,000 of them). */
struct rec {
	uint64_t id;		/* its 16 hex digits as a number */
	uint64_t hash;		/* FNV-1a of the record's bytes, 0: unknown */
	uint64_t ino;		/* inode the hash belongs to */
	uint64_t dino;		/* inode readdir found, 0: not there */
	unsigned char keep;	/* goes into the new index */
	unsigned char old;	/* in items/ when the scan began */
	unsigned char put;	/* records_put() was asked for it */
};

static struct rec *recs;
static size_t nrecs, caprecs;
static size_t nsorted;		/* recs[0..nsorted) is sorted and searched */
static char *memdir, *itemdir, *freshdir, *indexpath;
static int dirfd_ = -1;		/* the directory records go to now */
static int tmpfile_ok = 1;	/* O_TMPFILE works here */
static int dirty;		/* the index must be rewritten */
static char (*stale)[17];	/* records_close(): old records not put again */
static size_t nstale;

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

	if (samepath == NULL || nsames_sorted == 0)	/* bsearch takes no NULL */
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

/*
 * What a file yielded when it was last read (OUT/.mem/memo.cache): a
 * sidecar's parsed fields, a photo's EXIF wall clock. Each answer is kept
 * under the file's identity (device, inode, size, mtime, ctime: any write
 * moves the ctime, which no one can set back) and a kind (an archive
 * member's: its archive's, and its index), so a rescan of an unchanged
 * tree takes the answer instead of opening the file, and a file changed
 * since has another identity and is read again. Two guards:
 * the answers are this very mem-scan binary's (another build reads every
 * file once again, its parsers may differ), and a file changed less than
 * MEMO_SETTLE before the scan started is not kept (ctimes come from a
 * coarse clock: a file rewritten within the tick we read it in would keep
 * its identity with other bytes). Rewritten only when what this scan used
 * differs from what the file holds (a rescan of an unchanged tree leaves
 * it). Any thread may call memo_get() and memo_keep() (memo_put()).
 */
#define MEMO_MAGIC "mem-scan memo.cache 2\n"
#define MEMO_SETTLE 2000000000LL	/* ns */
/*
 * An answer is kept in memory in 46 bytes and its own: inode, size, mtime,
 * ctime and member (8 bytes each), its length (4), its device as an index
 * in memo_devs (1) and its kind (1), at no particular alignment; memo.cache
 * holds the whole key (56 bytes) and an 8-byte length, rebuilt when it is
 * written. The loaded answers are one buffer indexed by their offsets (4
 * bytes each, no structure with pointers); the answers put during the
 * scan are appended to blocks that never move, so what memo_keep()
 * returns stays valid until records_close(). Workers put answers while
 * others get them: the loaded index never changes during a pass, and the
 * put side takes a lock.
 */
#define MEMO_HEAD (sizeof(struct memo_key) + 8)	/* in memo.cache */
#define MEM_HEAD 46				/* in memory */
#define MEMO_BLOCK 65536
struct memo_block {
	unsigned char *p;
	size_t	 used, size;
};
static unsigned char *memo_loaded;	/* the loaded answers, sorted by key */
static uint32_t *memo_off;		/* where each starts */
static size_t nmemos_sorted;
static atomic_uchar *memo_used;		/* by memo_get(), for the loaded ones */
static struct memo_block *memo_blocks;	/* answers put, in order */
static size_t nblocks;
static uint64_t memo_devs[256];		/* the devices of the answers */
static size_t nmemo_devs;
static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static int memos_dirty;
static char *memopath;
static struct ident memo_build;		/* this binary's identity */
static int64_t memo_since;		/* changed at or after: not kept */

/* By inode first: it almost always decides. */
static int
cmp_memo_key(const struct memo_key *a, const struct memo_key *b)
{
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->member != b->member)
		return a->member < b->member ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	if (a->mtime_ns != b->mtime_ns)
		return a->mtime_ns < b->mtime_ns ? -1 : 1;
	if (a->ctime_ns != b->ctime_ns)
		return a->ctime_ns < b->ctime_ns ? -1 : 1;
	return 0;
}

/* An answer in memory: its key and length. */
static void
mem_at(const unsigned char *rec, struct memo_key *k, uint32_t *len)
{
	if (k != NULL) {
		memcpy(&k->ino, rec, 8);
		memcpy(&k->size, rec + 8, 8);
		memcpy(&k->mtime_ns, rec + 16, 8);
		memcpy(&k->ctime_ns, rec + 24, 8);
		memcpy(&k->member, rec + 32, 8);
		k->dev = memo_devs[rec[44]];
		k->kind = rec[45];
	}
	if (len != NULL)
		memcpy(len, rec + 40, 4);
}

/* Its index in memo_devs, adding it (caller holds the lock, or loads);
 * -1 when there are too many devices to keep answers of. */
static int
dev_index(uint64_t dev)
{
	size_t i;

	for (i = 0; i < nmemo_devs; i++)
		if (memo_devs[i] == dev)
			return (int)i;
	if (nmemo_devs == LEN(memo_devs))
		return -1;
	memo_devs[nmemo_devs] = dev;
	return (int)nmemo_devs++;
}

/* A key and a length as an answer in memory at rec, or -1 if it cannot
 * be kept so. */
static int
mem_put(unsigned char *rec, const struct memo_key *k, uint64_t len)
{
	uint32_t l32 = (uint32_t)len;
	int d;

	if (k->kind > 255 || len > UINT32_MAX || (d = dev_index(k->dev)) < 0)
		return -1;
	memcpy(rec, &k->ino, 8);
	memcpy(rec + 8, &k->size, 8);
	memcpy(rec + 16, &k->mtime_ns, 8);
	memcpy(rec + 24, &k->ctime_ns, 8);
	memcpy(rec + 32, &k->member, 8);
	memcpy(rec + 40, &l32, 4);
	rec[44] = (unsigned char)d;
	rec[45] = (unsigned char)k->kind;
	return 0;
}

int
memo_key_of(const struct stat *st, unsigned kind, struct memo_key *k)
{
	struct ident id;

	if (memopath == NULL)
		return -1;
	ident_of(st, &id);
	if ((int64_t)id.ctime_ns >= memo_since || (int64_t)id.mtime_ns >= memo_since)
		return -1;
	memset(k, 0, sizeof(*k));
	k->dev = id.dev;
	k->ino = id.ino;
	k->size = id.size;
	k->mtime_ns = id.mtime_ns;
	k->ctime_ns = id.ctime_ns;
	k->kind = kind;
	return 0;
}

/* The loaded answer of key k: its index, or -1. */
static ssize_t
memo_find(const struct memo_key *k)
{
	size_t lo = 0, hi = nmemos_sorted;
	struct memo_key mk;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c;

		mem_at(memo_loaded + memo_off[mid], &mk, NULL);
		if ((c = cmp_memo_key(&mk, k)) == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
memo_on(void)
{
	return memopath != NULL;
}

int
memo_any(void)
{
	return nmemos_sorted > 0;
}

/* An answer taken is kept in the cache: nothing else to call. */
const void *
memo_get(const struct memo_key *k, size_t *len)
{
	ssize_t i = memo_find(k);
	uint32_t l;

	if (i < 0)
		return NULL;
	atomic_store_explicit(&memo_used[i], 1, memory_order_relaxed);
	mem_at(memo_loaded + memo_off[i], NULL, &l);
	*len = l;
	return memo_loaded + memo_off[i] + MEM_HEAD;
}

/* Room for n bytes that will not move (caller holds the lock). */
static unsigned char *
memo_room(size_t n)
{
	struct memo_block *b = nblocks > 0 ? &memo_blocks[nblocks - 1] : NULL;

	if (b == NULL || b->size - b->used < n) {
		memo_blocks = xrealloc(memo_blocks, (nblocks + 1) * sizeof(*memo_blocks));
		b = &memo_blocks[nblocks++];
		b->size = n > MEMO_BLOCK ? n : MEMO_BLOCK;
		b->p = xmalloc(b->size);
		b->used = 0;
	}
	b->used += n;
	return b->p + b->used - n;
}

/* The answer kept for the next scan, the same bytes as blob: where they
 * are kept (valid until records_close()), or NULL when they are not (no
 * cache). Any thread may call it. */
const void *
memo_keep(const struct memo_key *k, const void *blob, size_t len)
{
	ssize_t i;
	unsigned char *rec, head[MEM_HEAD];
	uint32_t ol;

	if (memopath == NULL)
		return NULL;
	if ((i = memo_find(k)) >= 0) {
		mem_at(memo_loaded + memo_off[i], NULL, &ol);
		if (ol == len && memcmp(memo_loaded + memo_off[i] + MEM_HEAD, blob, len) == 0) {
			atomic_store_explicit(&memo_used[i], 1, memory_order_relaxed);
			return memo_loaded + memo_off[i] + MEM_HEAD;
		}
		/* another answer now: dropped */
		atomic_store_explicit(&memo_used[i], 0, memory_order_relaxed);
	}
	if (pthread_mutex_lock(&memo_mu) != 0)
		die(ST_FATAL, "pthread_mutex_lock failed");
	if (mem_put(head, k, len) < 0) {
		pthread_mutex_unlock(&memo_mu);
		return NULL;
	}
	rec = memo_room(MEM_HEAD + len);
	memcpy(rec, head, MEM_HEAD);
	if (len > 0)
		memcpy(rec + MEM_HEAD, blob, len);
	memos_dirty = 1;
	pthread_mutex_unlock(&memo_mu);
	return rec + MEM_HEAD;
}

void
memo_put(const struct memo_key *k, const void *blob, size_t len)
{
	(void)memo_keep(k, blob, len);
}

/*
 * Anything short or odd drops the whole cache: it is only a cost. Read
 * whole, checked, then made the loaded answers (16 bytes an answer less)
 * and let go.
 */
static void
load_memos(void)
{
	struct timespec now;
	struct stat st;
	size_t off, n, hl = strlen(MEMO_MAGIC) + sizeof(memo_build), nm = 0, size = 0;
	struct memo_key prev;
	unsigned char *file;
	int fd;

	if (stat("/proc/self/exe", &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0) {
		free(memopath);
		memopath = NULL;	/* no cache this run */
		return;
	}
	ident_of(&st, &memo_build);
	memo_since = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec - MEMO_SETTLE;
	if ((fd = open(memopath, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	memos_dirty = 1;	/* unless it loads whole */
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)hl || st.st_size > (off_t)1 << 30) {
		close(fd);
		return;
	}
	/* mapped, not read into the heap: a large block freed there would
	 * make malloc keep later large arrays in the heap too, where they
	 * grow by copying */
	n = (size_t)st.st_size;
	file = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED)
		return;
	if (memcmp(file, MEMO_MAGIC, strlen(MEMO_MAGIC)) != 0 ||
	    memcmp(file + strlen(MEMO_MAGIC), &memo_build, sizeof(memo_build)) != 0) {
		munmap(file, n);
		return;
	}
	/* checked: whole, written sorted, each one keepable in memory */
	memset(&prev, 0, sizeof(prev));
	for (off = hl; n - off >= MEMO_HEAD; nm++) {
		uint64_t len;
		struct memo_key k;

		memcpy(&k, file + off, sizeof(k));
		memcpy(&len, file + off + sizeof(k), 8);
		if (len > n - off - MEMO_HEAD || k.kind > 255 || dev_index(k.dev) < 0)
			break;
		if (nm > 0 && cmp_memo_key(&prev, &k) >= 0)
			break;
		prev = k;
		size += MEM_HEAD + (size_t)len;
		off += MEMO_HEAD + (size_t)len;
	}
	if (off != n) {
		munmap(file, n);
		nmemo_devs = 0;
		return;	/* damaged or unsorted: nothing loaded */
	}
	memo_loaded = xmalloc(size + 1);
	memo_off = xcalloc(nm + 1, sizeof(*memo_off));
	for (off = hl, size = 0, nm = 0; off < n; nm++) {
		uint64_t len;
		struct memo_key k;

		memcpy(&k, file + off, sizeof(k));
		memcpy(&len, file + off + sizeof(k), 8);
		(void)mem_put(memo_loaded + size, &k, len);	/* checked above */
		memcpy(memo_loaded + size + MEM_HEAD, file + off + MEMO_HEAD, (size_t)len);
		memo_off[nm] = (uint32_t)size;
		size += MEM_HEAD + (size_t)len;
		off += MEMO_HEAD + (size_t)len;
	}
	munmap(file, n);
	nmemos_sorted = nm;
	memo_used = xcalloc(nm + 1, sizeof(*memo_used));
	memos_dirty = 0;
}

static int
cmp_memo_rec(const void *x, const void *y)
{
	const unsigned char *a = *(const unsigned char *const *)x;
	const unsigned char *b = *(const unsigned char *const *)y;
	struct memo_key ka, kb;
	int c;

	mem_at(a, &ka, NULL);
	mem_at(b, &kb, NULL);
	if ((c = cmp_memo_key(&ka, &kb)) != 0)
		return c;
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

/* What this scan used or found, one answer a key (the last put). */
static void
save_memos(void)
{
	struct atomic a;
	const unsigned char **v;
	size_t i, n = 0, nadded = 0, off;
	int bad = 0;

	for (i = 0; i < nmemos_sorted; i++)
		memos_dirty |= !memo_used[i];
	if (!memos_dirty)
		return;
	for (i = 0; i < nblocks; i++)
		nadded += memo_blocks[i].used / MEM_HEAD;	/* at most */
	v = xcalloc(nmemos_sorted + nadded + 1, sizeof(*v));
	for (i = 0; i < nmemos_sorted; i++)
		if (memo_used[i])
			v[n++] = memo_loaded + memo_off[i];
	for (i = 0; i < nblocks; i++)
		for (off = 0; off < memo_blocks[i].used; ) {
			uint32_t len;

			mem_at(memo_blocks[i].p + off, NULL, &len);
			v[n++] = memo_blocks[i].p + off;
			off += MEM_HEAD + len;
		}
	qsort(v, n, sizeof(*v), cmp_memo_rec);
	if (atomic_open(&a, memopath, "") < 0) {
		warn_("%s", memopath);
		free(v);
		return;
	}
	bad |= fwrite(MEMO_MAGIC, 1, strlen(MEMO_MAGIC), a.fp) != strlen(MEMO_MAGIC);
	bad |= fwrite(&memo_build, sizeof(memo_build), 1, a.fp) != 1;
	for (i = 0; i < n && !bad; i++) {
		struct memo_key k, next;
		uint32_t len;
		uint64_t len64;

		mem_at(v[i], &k, &len);
		if (i + 1 < n) {
			mem_at(v[i + 1], &next, NULL);
			if (memcmp(&k, &next, sizeof(k)) == 0)
				continue;	/* a later one of the key follows */
		}
		len64 = len;
		bad |= fwrite(&k, sizeof(k), 1, a.fp) != 1 || fwrite(&len64, 8, 1, a.fp) != 1 ||
		    fwrite(v[i] + MEM_HEAD, 1, len, a.fp) != len;
	}
	free(v);
	if (bad) {
		atomic_abort(&a);
		warn_("%s", memopath);
	} else if (atomic_commit(&a) < 0) {
		warn_("%s", memopath);
	}
}

static void
free_memos(void)
{
	size_t i;

	for (i = 0; i < nblocks; i++)
		free(memo_blocks[i].p);
	free(memo_blocks);
	free(memo_off);
	free(memo_used);
	free(memo_loaded);
	free(memopath);
	memo_blocks = NULL;
	memo_off = NULL;
	memo_used = NULL;
	memo_loaded = NULL;
	memopath = NULL;
	nblocks = nmemos_sorted = nmemo_devs = 0;
	memos_dirty = 0;
}

/* An ID's 16 lower-case hex digits as a number: numbers compare as the
 * digits do. */
static uint64_t
id_num(const char *id)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return v;
}

static int
cmp_rec(const void *a, const void *b)
{
	uint64_t x = ((const struct rec *)a)->id, y = ((const struct rec *)b)->id;

	return x < y ? -1 : x > y;
}

/* The sorted part only: what the index and items/ held at the start. */
static struct rec *
find(const char *id)
{
	struct rec key;

	memset(&key, 0, sizeof(key));
	key.id = id_num(id);
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
	r->id = id_num(id);
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
	memopath = xasprintf("%s/memo.cache", memdir);
	load_memos();
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
			r->old = 1;
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

/* After records_close(): the IDs of the records that were in items/ when
 * the scan began and that it did not write again (NULL past the last). */
const char *
records_stale(size_t i)
{
	return i < nstale ? stale[i] : NULL;
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
	r->put = 1;
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
		    fprintf(a.fp, "%016llx %016llx %llu\n", (unsigned long long)recs[i].id,
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
	if (rc == 0) {
		save_sames();
		if (memopath != NULL)
			save_memos();
	}
	free_memos();
	free(sames);
	free(samepath);
	sames = NULL;
	samepath = NULL;
	nsames = capsames = nsames_sorted = 0;
	/* what the prune looks at: no second readdir of items/ */
	free(stale);
	stale = xcalloc(nrecs + 1, sizeof(*stale));
	nstale = 0;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].old && !recs[i].put)
			snprintf(stale[nstale++], 17, "%016llx", (unsigned long long)recs[i].id);
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
