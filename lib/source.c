/*
 * source.c -- a record's media (or overlay) as a plain file or as a member
 * of the archive that holds it (docs/design.md §3, issue 16): the one place
 * the readers open a record's bytes.
 *
 * A zip member is found by name through libzip (its central directory gives
 * random access); a tar, tar.gz or tgz member through libarchive, which can
 * only stream: the open archive is kept between calls, so members asked for
 * in archive order cost one pass over the part. No byte of the export is
 * written to disk: a member goes to an anonymous memory file (memfd) when
 * it is at most SOURCE_RAM_MAX bytes, else to an unlinked temp file in the
 * spool directory (OUT/.mem), gone when it is closed or the process dies.
 * Readers get a seekable fd and a path for children ("/dev/fd/N").
 *
 * A stored zip member (Takeout stores its photos) can also be read in
 * place, for a caller that reads the bytes itself (SOURCE_SPAN): libzip
 * reads it once to check its CRC, and where its data lies in the part is
 * where libzip's reads went (zsrc below). The output is then copied from
 * the part by the kernel: one copy, no memory file.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "mem.h"

/* One pass over a streamed archive: what the run read of each part. */
struct tar_read {
	char	*path;
	int64_t	 bytes;		/* compressed bytes read, over all passes */
	int64_t	 size;		/* the part's size */
	unsigned passes, members;
};

static struct {
	char	*path;
	zip_t	*za;
	struct zsrc *src;
} zcache;

static struct {
	char	*path;		/* the tar being streamed */
	struct archive *ar;
	long	 ordinal;	/* entries read so far in this pass */
	int	 at_entry;	/* the last header's data not yet consumed */
	struct tar_read *stat;
} tcache;

static struct tar_read *reads;
static size_t nreads;

/*
 * Where a streamed archive proved damaged this run: its first entry that
 * could not be read whole. A member at or past it cannot be read either,
 * and finding that out again from the start of the part would cost a pass
 * per member left (a 50 GB tgz cut near its end): they are refused at once.
 */
static struct {
	char	*path;
	long	 entry;
	char	 why[512];
} tbroken;

static void
setwhy(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* A member name a reader may use: relative, no "..", no empty name. */
int
member_name_ok(const char *name)
{
	const char *p = name, *slash;
	size_t n;

	if (*name == '\0' || *name == '/')
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

/* Zip by its magic or its name; everything else goes to libarchive. */
static int
is_zip(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC), zip = 0;

	if (fd >= 0) {
		zip = read(fd, m, 4) == 4 && m[0] == 'P' && m[1] == 'K' &&
		    ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
		close(fd);
	}
	return zip || strcasecmp(path_ext(path), "zip") == 0;
}

/*
 * A member too big, or that expands too much, to be media: a zip bomb.
 * comp < 0 when the archive does not say (a tar member).
 */
static int
absurd(int64_t size, int64_t comp, char *why, size_t n)
{
	if (size > SOURCE_SIZE_MAX) {
		setwhy(why, n, "refused: %" PRId64 " bytes expanded, over the limit of %"
		    PRId64 " (a zip bomb?)", size, (int64_t)SOURCE_SIZE_MAX);
		return 1;
	}
	if (comp >= 0 && size > SOURCE_RATIO_FLOOR &&
	    (comp == 0 || size / comp > SOURCE_RATIO_MAX)) {
		setwhy(why, n, "refused: %" PRId64 " bytes from %" PRId64 " compressed, "
		    "an expansion over %d:1 (a zip bomb?)", size, comp, SOURCE_RATIO_MAX);
		return 1;
	}
	return 0;
}

/* The anonymous file a member goes to: memory, or an unlinked spool file. */
static int
anon_file(int64_t size, const char *spooldir, char *why, size_t n)
{
	char *tmp;
	int fd = -1;

#ifdef __linux__
	if (size <= SOURCE_RAM_MAX && (fd = memfd_create("mem-member", 0)) >= 0)
		return fd;
#endif
	tmp = xasprintf("%s/.member.XXXXXX", spooldir ? spooldir : "/tmp");
	if (spooldir != NULL)
		(void)mkdir_p(spooldir, 0777);
	if ((fd = mkstemp(tmp)) < 0 || unlink(tmp) < 0) {
		setwhy(why, n, "cannot spool the member in %s: %s",
		    spooldir ? spooldir : "/tmp", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(tmp);
	return fd;
}

static void
zip_drop(void)
{
	if (zcache.za != NULL)
		zip_discard(zcache.za);
	free(zcache.path);
	memset(&zcache, 0, sizeof(zcache));
}

/*
 * A zip as libzip reads it: pread through one block kept in memory.
 * libzip's own file source goes through stdio, and every member opened
 * seeks to its local header and then to its data, each seek dropping
 * stdio's buffer: four syscalls for a 300-byte sidecar or an EXIF head;
 * and a central directory too big for libzip's one read of the zip's end
 * is read an entry at a time. The block read where a miss lands (the
 * local header) holds the header, the name and a sidecar or the start of
 * a JPEG: one pread a member. A read of a block or more (the central
 * directory, a long EXIF segment, a photo) goes straight to the caller's
 * buffer.
 *
 * It also notes where libzip's reads went: a run of reads that starts at
 * one offset and goes on without a gap is the "span", which is where a
 * stored member's data lies once libzip has read it (zip_span).
 */
#define ZBLOCK	8192
struct zsrc {
	int	 fd;
	zip_uint64_t size, pos;
	zip_uint64_t at;	/* the block: file bytes at..at+len */
	size_t	 len;
	size_t	 want;		/* a miss reads this much (0: ZBLOCK) */
	zip_uint64_t span_start, span_len;
	int	 span_gap;	/* a read that did not follow the last one */
	unsigned char block[ZBLOCK];
	zip_error_t err;
};

static zip_int64_t
zsrc_read(struct zsrc *z, unsigned char *buf, zip_uint64_t n)
{
	zip_uint64_t got = 0, k, start = z->pos;
	size_t block = z->want > 0 && z->want < ZBLOCK ? z->want : ZBLOCK;
	ssize_t r;

	while (got < n && z->pos < z->size) {
		if (z->pos >= z->at && z->pos < z->at + z->len) {
			k = z->at + z->len - z->pos;
			k = k < n - got ? k : n - got;
			memcpy(buf + got, z->block + (z->pos - z->at), (size_t)k);
		} else {
			if (n - got >= block)
				r = pread(z->fd, buf + got, (size_t)(n - got), (off_t)z->pos);
			else if ((r = pread(z->fd, z->block, block, (off_t)z->pos)) > 0) {
				z->at = z->pos;
				z->len = (size_t)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				zip_error_set(&z->err, ZIP_ER_READ, errno);
				return -1;
			}
			if (r == 0)
				break;	/* shorter than it was */
			k = (zip_uint64_t)r;
		}
		got += k;
		z->pos += k;
	}
	if (got > 0) {
		if (z->span_len == 0)
			z->span_start = start;
		else if (start != z->span_start + z->span_len)
			z->span_gap = 1;
		z->span_len += got;
	}
	return (zip_int64_t)got;
}

static zip_int64_t
zsrc_cb(void *ud, void *data, zip_uint64_t n, zip_source_cmd_t cmd)
{
	struct zsrc *z = ud;
	zip_stat_t *st = data;
	zip_int64_t at;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		z->pos = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return zsrc_read(z, data, n);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT:
		if (n < sizeof(*st)) {
			zip_error_set(&z->err, ZIP_ER_INVAL, 0);
			return -1;
		}
		zip_stat_init(st);
		st->size = z->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->err, data, n);
	case ZIP_SOURCE_FREE:
		close(z->fd);
		zip_error_fini(&z->err);
		free(z);
		return 0;
	case ZIP_SOURCE_SEEK:
		if ((at = zip_source_seek_compute_offset(z->pos, z->size, data, n,
		    &z->err)) < 0)
			return -1;
		z->pos = (zip_uint64_t)at;
		return 0;
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)z->pos;
	case ZIP_SOURCE_SUPPORTS:
		/* open, read, close, stat, error, free, seek, tell, supports */
		return ZIP_SOURCE_SUPPORTS_SEEKABLE;
	default:
		zip_error_set(&z->err, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/*
 * libzip turns each entry's DOS time into a time_t with mktime; with TZ
 * unset glibc stats /etc/localtime on every call (libzip issue 84):
 * 20,000 syscalls to open a Takeout part. The same zone, named, is read
 * once.
 */
struct zip *
source_zip_open(const char *path, struct zsrc **zs, int *err)
{
	struct zsrc *z = xcalloc(1, sizeof(*z));
	struct stat st;
	zip_source_t *src;
	zip_error_t ze;
	zip_t *za;

	if ((z->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(z->fd, &st) < 0) {
		*err = errno == ENOENT ? ZIP_ER_NOENT : ZIP_ER_OPEN;
		if (z->fd >= 0)
			close(z->fd);
		free(z);
		return NULL;
	}
	z->size = (zip_uint64_t)st.st_size;
	zip_error_init(&z->err);
	zip_error_init(&ze);
	if ((src = zip_source_function_create(zsrc_cb, z, &ze)) == NULL) {
		*err = zip_error_code_zip(&ze);
		zip_error_fini(&ze);
		zip_error_fini(&z->err);
		close(z->fd);
		free(z);
		return NULL;
	}
	if (getenv("TZ") == NULL && setenv("TZ", ":/etc/localtime", 0) == 0)
		tzset();
	if ((za = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		*err = zip_error_code_zip(&ze);
		zip_source_free(src);	/* and z with it */
	} else if (zs != NULL)
		*zs = z;
	zip_error_fini(&ze);
	return za;
}

void
source_zip_want(struct zsrc *zs, size_t n)
{
	zs->want = n;
}

static zip_t *
zip_get(const char *path, char *why, size_t n)
{
	zip_error_t ze;
	int err;

	if (zcache.za != NULL && strcmp(zcache.path, path) == 0)
		return zcache.za;
	zip_drop();
	if ((zcache.za = source_zip_open(path, &zcache.src, &err)) == NULL) {
		if (err == ZIP_ER_NOZIP)
			setwhy(why, n, "not a zip archive, or truncated (no central directory)");
		else if (err == ZIP_ER_INCONS)
			setwhy(why, n, "corrupt or truncated zip (inconsistent central directory)");
		else {
			zip_error_init_with_code(&ze, err);
			setwhy(why, n, "%s", zip_error_strerror(&ze));
			zip_error_fini(&ze);
		}
		return NULL;
	}
	zcache.path = xstrdup(path);
	return zcache.za;
}

/* The member's CRC in a member_sig ("SIZE:MTIME:CRC32:INDEX"), or -1. */
static int64_t
sig_crc(const char *sig)
{
	const char *p = sig;
	char *end;
	unsigned long v;
	int i;

	for (i = 0; p != NULL && i < 2; i++)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	if (p == NULL || *p == '-')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 16);
	return errno || end != p + 8 || *end != ':' ? -1 : (int64_t)v;
}

/* The INDEX of a member_sig, or -1. */
static int64_t
sig_index(const char *sig)
{
	const char *p = sig ? strrchr(sig, ':') : NULL;
	char *end;
	long long v;

	if (p == NULL)
		return -1;
	errno = 0;
	v = strtoll(p + 1, &end, 10);
	return errno || end == p + 1 || *end != '\0' || v < 0 ? -1 : (int64_t)v;
}

/*
 * The member's index and stat, refused here when it cannot or must not be
 * read (encrypted, an unknown method, a zip bomb, a CRC other than the
 * record's): 0, or -1 with why.
 */
static int
zip_find(zip_t *za, const char *member, const char *sig, zip_int64_t *idx,
    zip_stat_t *zs, char *why, size_t n)
{
	const char *name;
	int64_t want;

	/* the index the scan saw, when its name still matches; else by name */
	*idx = sig_index(sig);
	if (*idx < 0 || *idx >= zip_get_num_entries(za, 0) ||
	    (name = zip_get_name(za, (zip_uint64_t)*idx, 0)) == NULL ||
	    strcmp(name, member) != 0)
		*idx = zip_name_locate(za, member, 0);
	if (*idx < 0) {
		setwhy(why, n, "no such member in the archive");
		return -1;
	}
	zip_stat_init(zs);
	if (zip_stat_index(za, (zip_uint64_t)*idx, 0, zs) < 0) {
		setwhy(why, n, "%s", zip_strerror(za));
		return -1;
	}
	if ((zs->valid & ZIP_STAT_ENCRYPTION_METHOD) && zs->encryption_method != ZIP_EM_NONE) {
		setwhy(why, n, "encrypted member (a password-protected zip)");
		return -1;
	}
	if ((zs->valid & ZIP_STAT_COMP_METHOD) &&
	    !zip_compression_method_supported(zs->comp_method, 0)) {
		setwhy(why, n, "compression method %u is not supported", (unsigned)zs->comp_method);
		return -1;
	}
	if (absurd((int64_t)zs->size, (zs->valid & ZIP_STAT_COMP_SIZE) ?
	    (int64_t)zs->comp_size : -1, why, n))
		return -1;
	if (sig != NULL && (want = sig_crc(sig)) >= 0 && (zs->valid & ZIP_STAT_CRC) &&
	    (uint32_t)want != zs->crc) {
		setwhy(why, n, "the member changed since the scan (CRC %08" PRIx32
		    ", the record says %08" PRIx32 ")", zs->crc, (uint32_t)want);
		return -1;
	}
	return 0;
}

/* Read the member whole through libzip, which checks its CRC, into fd
 * (-1: only to check it): 0, or -1 with why. */
static int
zip_read(zip_t *za, zip_int64_t idx, const zip_stat_t *zs, int fd, char *why, size_t n)
{
	char buf[1 << 16];
	zip_file_t *zf;
	zip_int64_t r, total = 0;

	if ((zf = zip_fopen_index(za, (zip_uint64_t)idx, 0)) == NULL) {
		setwhy(why, n, "%s", zip_strerror(za));
		return -1;
	}
	/* what libzip reads from here on is the member's data */
	zcache.src->span_len = 0;
	zcache.src->span_gap = 0;
	while ((r = zip_fread(zf, buf, sizeof(buf))) > 0) {
		if (total + r > (zip_int64_t)zs->size) {
			setwhy(why, n, "corrupt member (more bytes than its stated size)");
			zip_fclose(zf);
			return -1;
		}
		if (fd >= 0 && write_all(fd, buf, (size_t)r) < 0) {
			setwhy(why, n, "write: %s", strerror(errno));
			zip_fclose(zf);
			return -1;
		}
		total += r;
	}
	if (r < 0) {
		zip_error_t *ze = zip_file_get_error(zf);

		if (zip_error_code_zip(ze) == ZIP_ER_CRC)
			setwhy(why, n, "CRC error: the member is damaged");
		else
			setwhy(why, n, "damaged or truncated member (%s)", zip_error_strerror(ze));
		zip_fclose(zf);
		return -1;
	}
	zip_fclose(zf);
	if (total != (zip_int64_t)zs->size) {
		setwhy(why, n, "truncated member (%" PRId64 " of %" PRIu64 " bytes)",
		    (int64_t)total, (uint64_t)zs->size);
		return -1;
	}
	return 0;
}

static void
zip_mtime(const zip_stat_t *zs, struct timespec *mtime)
{
	mtime->tv_sec = (zs->valid & ZIP_STAT_MTIME) ? zs->mtime : 0;
	mtime->tv_nsec = (zs->valid & ZIP_STAT_MTIME) ? 0 : UTIME_OMIT;
}

/* Copy the zip member into fd, its CRC checked by libzip as it is read. */
static int
zip_member(const char *path, const char *member, const char *sig, int fd,
    int64_t *size, struct timespec *mtime, char *why, size_t n)
{
	zip_stat_t zs;
	zip_int64_t idx;
	zip_t *za;

	if ((za = zip_get(path, why, n)) == NULL ||
	    zip_find(za, member, sig, &idx, &zs, why, n) < 0 ||
	    zip_read(za, idx, &zs, fd, why, n) < 0)
		return -1;
	*size = (int64_t)zs.size;
	zip_mtime(&zs, mtime);
	return 0;
}

/*
 * A stored member read in place: s gets the part and where the member's
 * data lies in it. libzip reads the member once first (its CRC checked),
 * and its reads of the data must form one run of the member's size, the
 * data's place in the part; else (or for a deflated member) 0: the caller
 * copies the member out. 1 done, 0 not done, -1 with why.
 */
static int
zip_span(struct source *s, const char *path, const char *member, const char *sig,
    char *why, size_t n)
{
	struct zsrc *z;
	zip_stat_t zs;
	zip_int64_t idx;
	zip_t *za;

	if ((za = zip_get(path, why, n)) == NULL ||
	    zip_find(za, member, sig, &idx, &zs, why, n) < 0)
		return -1;
	if (!(zs.valid & ZIP_STAT_COMP_METHOD) || zs.comp_method != ZIP_CM_STORE ||
	    zs.size == 0)
		return 0;
	if (zip_read(za, idx, &zs, -1, why, n) < 0)
		return -1;
	z = zcache.src;
	if (z->span_gap || z->span_len != zs.size)
		return 0;
	if ((s->fd = fcntl(z->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		setwhy(why, n, "%s", strerror(errno));
		return -1;
	}
	s->base = (off_t)z->span_start;
	s->size = (off_t)zs.size;
	zip_mtime(&zs, &s->mtime);
	return 1;
}

static struct tar_read *
tar_stat(const char *path)
{
	struct stat st;
	size_t i;

	for (i = 0; i < nreads; i++)
		if (strcmp(reads[i].path, path) == 0)
			return &reads[i];
	reads = xrealloc(reads, (nreads + 1) * sizeof(*reads));
	memset(&reads[nreads], 0, sizeof(*reads));
	reads[nreads].path = xstrdup(path);
	reads[nreads].size = stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
	return &reads[nreads++];
}

static void
tar_drop(void)
{
	if (tcache.ar != NULL) {
		tcache.stat->bytes += archive_filter_bytes(tcache.ar, -1);
		archive_read_free(tcache.ar);
	}
	free(tcache.path);
	memset(&tcache, 0, sizeof(tcache));
}

static int
tar_open(const char *path, char *why, size_t n)
{
	tar_drop();
	tcache.ar = archive_read_new();
	if (tcache.ar == NULL)
		die(ST_FATAL, "out of memory");
	tcache.stat = tar_stat(path);
	archive_read_support_filter_all(tcache.ar);
	archive_read_support_format_tar(tcache.ar);
	archive_read_support_format_gnutar(tcache.ar);
	if (archive_read_open_filename(tcache.ar, path, 1 << 17) != ARCHIVE_OK) {
		if (errno == ENOENT || errno == EACCES)
			setwhy(why, n, "%s", strerror(errno));
		else
			setwhy(why, n, "damaged or truncated archive (%s)",
			    archive_error_string(tcache.ar));
		archive_read_free(tcache.ar);
		tcache.ar = NULL;
		return -1;
	}
	tcache.path = xstrdup(path);
	tcache.stat->passes++;
	return 0;
}

static void
tar_broken(const char *path, long entry, const char *why)
{
	if (tbroken.path != NULL && strcmp(tbroken.path, path) == 0 &&
	    tbroken.entry <= entry)
		return;
	free(tbroken.path);
	tbroken.path = xstrdup(path);
	tbroken.entry = entry;
	snprintf(tbroken.why, sizeof(tbroken.why), "%s", why);
}

/*
 * Advance to the member: on from where the last one was, and once more
 * from the start when it lies behind (records out of archive order).
 * index: the member's ordinal from its member_sig, or -1.
 * 1 found, 0 not in the archive, -1 with why.
 */
static int
tar_seek(const char *path, const char *member, int64_t index,
    struct archive_entry **e, char *why, size_t n)
{
	long start = -1;
	int r, wrapped = 0;

	if (index >= 0 && tbroken.path != NULL && index >= tbroken.entry &&
	    strcmp(tbroken.path, path) == 0) {
		setwhy(why, n, "%s", tbroken.why);
		return -1;
	}
	if (tcache.ar == NULL || strcmp(tcache.path, path) != 0) {
		if (tar_open(path, why, n) < 0)
			return -1;
	} else
		start = tcache.ordinal;	/* a second pass ends where this began */
	for (;;) {
		r = archive_read_next_header(tcache.ar, e);
		if (r == ARCHIVE_EOF) {
			if (start < 0 || wrapped)
				return 0;
			if (tar_open(path, why, n) < 0)
				return -1;
			wrapped = 1;
			continue;
		}
		if (r < ARCHIVE_WARN) {
			setwhy(why, n, "damaged or truncated archive (%s)",
			    archive_error_string(tcache.ar));
			tar_broken(path, tcache.ordinal, why);
			tar_drop();
			return -1;
		}
		tcache.ordinal++;
		if (archive_entry_pathname(*e) != NULL &&
		    strcmp(archive_entry_pathname(*e), member) == 0)
			return 1;
		if (wrapped && tcache.ordinal > start)
			return 0;
	}
}

static int
tar_member(const char *path, const char *member, int64_t index, int fd,
    int64_t *size, struct timespec *mtime, char *why, size_t n)
{
	char buf[1 << 16];
	struct archive_entry *e;
	la_ssize_t r;
	int64_t total = 0, want;
	int found;

	if ((found = tar_seek(path, member, index, &e, why, n)) < 0)
		return -1;
	if (found == 0) {
		setwhy(why, n, "no such member in the archive");
		return -1;
	}
	if (archive_entry_filetype(e) != AE_IFREG) {
		setwhy(why, n, "not a regular file in the archive");
		return -1;
	}
	if (archive_entry_is_encrypted(e)) {
		setwhy(why, n, "encrypted member");
		return -1;
	}
	want = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	if (absurd(want, -1, why, n))
		return -1;
	while ((r = archive_read_data(tcache.ar, buf, sizeof(buf))) > 0) {
		total += r;
		if (total > SOURCE_SIZE_MAX) {
			absurd(total, -1, why, n);
			tar_drop();
			return -1;
		}
		if (write_all(fd, buf, (size_t)r) < 0) {
			setwhy(why, n, "write: %s", strerror(errno));
			tar_drop();
			return -1;
		}
	}
	if (r < 0) {
		setwhy(why, n, "damaged or truncated archive (%s)",
		    archive_error_string(tcache.ar));
		tar_broken(path, tcache.ordinal - 1, why);
		tar_drop();
		return -1;
	}
	if (want >= 0 && total != want) {
		setwhy(why, n, "truncated member (%" PRId64 " of %" PRId64 " bytes)",
		    total, want);
		tar_broken(path, tcache.ordinal,
		    "damaged or truncated archive (it ends in an earlier member)");
		tar_drop();
		return -1;
	}
	tcache.stat->members++;
	*size = total;
	mtime->tv_sec = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	mtime->tv_nsec = archive_entry_mtime_is_set(e) ? 0 : UTIME_OMIT;
	return 0;
}

/* A member name we may read, in an archive we can open: 0, or -1 with why. */
static int
member_usable(const char *archive, const char *member, char *why, size_t n)
{
	if (!member_name_ok(member)) {
		setwhy(why, n, "refused: the member name is absolute or has a '..'");
		return -1;
	}
	if (access(archive, R_OK) < 0) {
		setwhy(why, n, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

int
source_member_copy(const char *archive, const char *member, const char *sig, int fd,
    int64_t *size, struct timespec *mtime, char *why, size_t n)
{
	if (member_usable(archive, member, why, n) < 0)
		return -1;
	return is_zip(archive) ? zip_member(archive, member, sig, fd, size, mtime, why, n) :
	    tar_member(archive, member, sig_index(sig), fd, size, mtime, why, n);
}

int
source_open(struct source *s, const char *file, const char *member, const char *sig,
    const char *spooldir, int flags, char *why, size_t n)
{
	struct timespec ts[2];
	struct stat st;
	int64_t size;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->name = member ? member : file;
	if (member == NULL) {
		/* O_NONBLOCK: a FIFO named by mistake must not hang the run */
		if ((s->fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 ||
		    fstat(s->fd, &st) < 0) {
			setwhy(why, n, "%s", strerror(errno));
			source_close(s);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			setwhy(why, n, "not a regular file");
			source_close(s);
			return -1;
		}
		s->size = st.st_size;
		s->mtime = st.st_mtim;
		s->path = xstrdup(file);
		return 0;
	}
	if (member_usable(file, member, why, n) < 0)
		return -1;
	s->member = 1;
	if ((flags & SOURCE_SPAN) && is_zip(file) &&
	    (r = zip_span(s, file, member, sig, why, n)) != 0)
		return r;
	/* the size decides memory or spool: libzip says it before reading */
	size = 0;
	if (is_zip(file) && zip_get(file, why, n) != NULL) {
		zip_int64_t idx = zip_name_locate(zcache.za, member, 0);
		zip_stat_t zs;

		if (idx >= 0 && zip_stat_index(zcache.za, (zip_uint64_t)idx, 0, &zs) == 0 &&
		    (zs.valid & ZIP_STAT_SIZE) && zs.size <= SOURCE_SIZE_MAX)
			size = (int64_t)zs.size;
	}
	if ((s->fd = anon_file(size, spooldir, why, n)) < 0)
		return -1;
	if (source_member_copy(file, member, sig, s->fd, &size, &ts[1], why, n) < 0) {
		source_close(s);
		return -1;
	}
	/* the member's mtime, as the file's would be (cp -p of an output) */
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	if (futimens(s->fd, ts) < 0 || lseek(s->fd, 0, SEEK_SET) < 0) {
		setwhy(why, n, "%s", strerror(errno));
		source_close(s);
		return -1;
	}
	s->size = (off_t)size;
	s->mtime = ts[1];
	s->path = xasprintf("/dev/fd/%d", s->fd);
	return 0;
}

int64_t
source_member_size(const char *archive, const char *member, const char *sig,
    char *why, size_t n)
{
	struct archive_entry *e;
	zip_stat_t zs;
	zip_int64_t idx;
	int found;

	if (member_usable(archive, member, why, n) < 0)
		return -1;
	if (is_zip(archive)) {
		if (zip_get(archive, why, n) == NULL)
			return -1;
		idx = zip_name_locate(zcache.za, member, 0);
		if (idx < 0 || zip_stat_index(zcache.za, (zip_uint64_t)idx, 0, &zs) < 0 ||
		    !(zs.valid & ZIP_STAT_SIZE)) {
			setwhy(why, n, "no such member in the archive");
			return -1;
		}
		return (int64_t)zs.size;
	}
	if ((found = tar_seek(archive, member, sig_index(sig), &e, why, n)) < 0)
		return -1;
	if (found == 0) {
		setwhy(why, n, "no such member in the archive");
		return -1;
	}
	return archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
}

void
source_close(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	s->fd = -1;
	s->path = NULL;
}

/* A record naming a member of a streamed (tar) archive waits for the end
 * of the input, to be read in archive order: one pass over the part. */
struct later_item {
	char	*path;		/* the record */
	char	*archive;
	long long ordinal;	/* member_sig's INDEX */
	size_t	 seq;		/* input order, for ties */
};

static int
by_archive_order(const void *a, const void *b)
{
	const struct later_item *x = a, *y = b;
	int c = strcmp(x->archive, y->archive);

	if (c != 0)
		return c;
	if (x->ordinal != y->ordinal)
		return x->ordinal < y->ordinal ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
later_add(struct later *l, const char *path)
{
	struct later_item *d;
	struct item it;
	const char *why, *member;
	int64_t idx;

	if (item_or_path(&it, path, &why) != 1)
		return 0;
	member = item_field(&it, "member");
	if (member == NULL || is_zip(it.source)) {
		item_free(&it);
		return 0;
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	d = &l->v[l->n];
	d->path = xstrdup(path);
	d->archive = xstrdup(it.source);
	idx = sig_index(item_field(&it, "member_sig"));
	d->ordinal = idx < 0 ? 0 : idx;
	d->seq = l->n++;
	item_free(&it);
	return 1;
}

const char *
later_next(struct later *l)
{
	if (!l->sorted && l->n > 0) {	/* qsort(NULL, 0) is undefined */
		qsort(l->v, l->n, sizeof(*l->v), by_archive_order);
		l->sorted = 1;
	}
	return l->next < l->n ? l->v[l->next++].path : NULL;
}

void
later_free(struct later *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].archive);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
source_report(int verbose)
{
	size_t i;

	tar_drop();
	zip_drop();
	free(tbroken.path);
	memset(&tbroken, 0, sizeof(tbroken));
	for (i = 0; i < nreads; i++) {
		if (verbose)
			warnx_("%s: read %" PRId64 " bytes of %" PRId64 " in %u pass%s "
			    "for %u member%s", reads[i].path, reads[i].bytes, reads[i].size,
			    reads[i].passes, reads[i].passes == 1 ? "" : "es",
			    reads[i].members, reads[i].members == 1 ? "" : "s");
		free(reads[i].path);
	}
	free(reads);
	reads = NULL;
	nreads = 0;
}
