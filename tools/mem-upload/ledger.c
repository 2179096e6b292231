/*
 * ledger.c -- the record of confirmed uploads, and the queue lock.
 *
 * The ledger (OUT/.mem/upload.ledger) is append-only: one NUL-terminated
 * record per confirmation, written only after the server answered, so a
 * killed run loses at most the files in flight, and those the server's
 * checksum check catches on the rerun. Fields are separated by tabs; the
 * path or album name is last, so it may hold any byte but NUL:
 *
 *	c TAB SERVER TAB SIZE TAB MSEC.NSEC TAB CSEC.NSEC TAB SHA1 TAB ASSET TAB PATH
 *	a TAB SERVER TAB ASSET TAB ALBUM
 *	l TAB SERVER TAB STILL TAB VIDEO	(a Live Photo linked, live.c)
 *
 * SERVER names the server and key (see config_server in mem-upload.c), so
 * a ledger never vouches for an upload to another server or account. A
 * later record for the same path wins. A file whose size, mtime and ctime
 * still match is known without hashing it and without asking the server.
 * The mtime alone would not do: the tools set it to the capture time, so a
 * caption edited in place (same length, mtime put back) would keep it; the
 * ctime is the kernel's, and any write or rename moves it. Records of the
 * older form "f" (no ctime) are not trusted: such a file is hashed and
 * checked again, which costs no upload.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-upload.h"

struct entry {
	char	*key;		/* path, or "ASSET\tALBUM" */
	long long size;
	long long sec, csec;
	long	 nsec, cnsec;
	char	 sha1[41];
	char	*asset;
	struct entry *next;
};

#define NBUCKET 4096

static struct entry *files[NBUCKET], *members[NBUCKET], *links[NBUCKET];

static struct entry **
bucket(struct entry **tab, const char *key)
{
	return &tab[fnv1a64(key, strlen(key), FNV64_INIT) % NBUCKET];
}

static struct entry *
find(struct entry **tab, const char *key)
{
	struct entry *e;

	for (e = *bucket(tab, key); e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static struct entry *
put(struct entry **tab, const char *key)
{
	struct entry *e, **b;

	if ((e = find(tab, key)) != NULL)
		return e;
	b = bucket(tab, key);
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = *b;
	*b = e;
	return e;
}

/* Split rec at tabs into at most n fields; the last keeps its tabs. */
static size_t
fields(char *rec, char **f, size_t n)
{
	size_t i = 0;
	char *t;

	f[i++] = rec;
	while (i < n && (t = strchr(f[i - 1], '\t')) != NULL) {
		*t = '\0';
		f[i++] = t + 1;
	}
	return i;
}

static int
is_sha1(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* "SEC.NSEC" into its parts; -1 when malformed. */
static int
parse_time(const char *s, long long *sec, long *nsec)
{
	char *end;

	errno = 0;
	*sec = strtoll(s, &end, 10);
	if (*end != '.' || errno)
		return -1;
	*nsec = strtol(end + 1, &end, 10);
	if (*end != '\0' || errno || *nsec < 0 || *nsec > 999999999)
		return -1;
	return 0;
}

/* One record; a malformed one (a torn last write) is skipped. */
static void
ledger_record(char *rec)
{
	char *f[8], *end, *key;
	struct entry *e;
	long long size, sec, csec;
	long nsec, cnsec;

	if (rec[0] == 'c' && rec[1] == '\t' && fields(rec, f, 8) == 8) {
		if (strcmp(f[1], cfg.serverkey) != 0 || !is_sha1(f[5]) || *f[6] == '\0')
			return;
		errno = 0;
		size = strtoll(f[2], &end, 10);
		if (*end != '\0' || errno || parse_time(f[3], &sec, &nsec) < 0 ||
		    parse_time(f[4], &csec, &cnsec) < 0)
			return;
		e = put(files, f[7]);
		e->size = size;
		e->sec = sec;
		e->nsec = nsec;
		e->csec = csec;
		e->cnsec = cnsec;
		memcpy(e->sha1, f[5], sizeof(e->sha1));
		free(e->asset);
		e->asset = xstrdup(f[6]);
	} else if (rec[0] == 'a' && fields(rec, f, 4) == 4) {
		if (strcmp(f[1], cfg.serverkey) != 0)
			return;
		key = xasprintf("%s\t%s", f[2], f[3]);
		put(members, key);
		free(key);
	} else if (rec[0] == 'l' && rec[1] == '\t' && fields(rec, f, 4) == 4) {
		if (strcmp(f[1], cfg.serverkey) != 0)
			return;
		key = xasprintf("%s\t%s", f[2], f[3]);
		put(links, key);
		free(key);
	}
}

void
ledger_load(const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			warn_("%s", path);
		return;
	}
	while (nul_getrec(fp, &buf, &cap) >= 0)
		if (buf[0] != '\0')
			ledger_record(buf);
	if (ferror(fp))
		warn_("%s", path);
	fclose(fp);
	free(buf);
}

int
ledger_lookup(struct upfile *f)
{
	struct entry *e = find(files, f->key);

	if (e == NULL || e->size != (long long)f->size ||
	    e->sec != (long long)f->mtime.tv_sec || e->nsec != f->mtime.tv_nsec ||
	    e->csec != (long long)f->ctime.tv_sec || e->cnsec != f->ctime.tv_nsec)
		return 0;
	memcpy(f->sha1, e->sha1, sizeof(f->sha1));
	free(f->asset);
	f->asset = xstrdup(e->asset);
	return 1;
}

int
ledger_in_album(const char *asset, const char *album)
{
	char *key = xasprintf("%s\t%s", asset, album);
	int r = find(members, key) != NULL;

	free(key);
	return r;
}

static void ledger_flush(FILE *fp);

/* The asset the ledger last saw uploaded from that path, whatever its
 * state now (a Live Photo's video that is not among this run's inputs). */
const char *
ledger_asset_of(const char *key)
{
	struct entry *e = find(files, key);

	return e != NULL ? e->asset : NULL;
}

int
ledger_linked(const char *still, const char *video)
{
	char *key = xasprintf("%s\t%s", still, video);
	int r = find(links, key) != NULL;

	free(key);
	return r;
}

/* A confirmed pair (a Live Photo's link, an album's member): a record
 * tagged tag in the ledger, and a key in table for this run. */
static void
ledger_pair(FILE *fp, char tag, struct entry **table, const char *a, const char *b)
{
	char *key;

	if (fp == NULL)
		return;
	fprintf(fp, "%c\t%s\t%s\t%s", tag, cfg.serverkey, a, b);
	fputc('\0', fp);
	ledger_flush(fp);
	key = xasprintf("%s\t%s", a, b);
	put(table, key);
	free(key);
}

void
ledger_link(FILE *fp, const char *still, const char *video)
{
	ledger_pair(fp, 'l', links, still, video);
}

FILE *
ledger_open(const char *path)
{
	FILE *fp;

	if (mkdir_parent(path) < 0 || (fp = fopen(path, "a")) == NULL)
		die_errno(ST_FATAL, "%s", path);
	return fp;
}

/* Each record is flushed at once: a killed run keeps what was confirmed. */
static void
ledger_flush(FILE *fp)
{
	static int warned;

	if ((fflush(fp) == EOF || ferror(fp)) && !warned) {
		warn_("%s: ledger not written (the next run will hash again)", cfg.ledger);
		warned = 1;
	}
}

void
ledger_file(FILE *fp, const struct upfile *f)
{
	if (fp == NULL || f->asset == NULL || f->asset[0] == '\0')
		return;
	fprintf(fp, "c\t%s\t%lld\t%lld.%09ld\t%lld.%09ld\t%s\t%s\t%s", cfg.serverkey,
	    (long long)f->size, (long long)f->mtime.tv_sec, f->mtime.tv_nsec,
	    (long long)f->ctime.tv_sec, f->ctime.tv_nsec, f->sha1, f->asset, f->key);
	fputc('\0', fp);
	ledger_flush(fp);
}

void
ledger_album(FILE *fp, const char *asset, const char *album)
{
	ledger_pair(fp, 'a', members, asset, album);
}

static void
free_table(struct entry **tab)
{
	struct entry *e, *next;
	size_t i;

	for (i = 0; i < NBUCKET; i++) {
		for (e = tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e->asset);
			free(e);
		}
		tab[i] = NULL;
	}
}

void
ledger_free(void)
{
	free_table(files);
	free_table(members);
	free_table(links);
}

/*
 * The queue: one run at a time holds an exclusive flock on the lock file
 * for its whole life, so parallel make jobs upload one export after the
 * other while the processing stages go on. The lock dies with the process.
 */
int
lock_take(const char *path)
{
	int fd;

	if (mkdir_parent(path) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		die_errno(ST_FATAL, "%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK)
		die_errno(ST_FATAL, "%s: lock", path);
	warnx_("waiting for %s: another upload is running", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			die_errno(ST_FATAL, "%s: lock", path);
	return fd;
}
