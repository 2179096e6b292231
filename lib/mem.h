/*
 * mem.h -- the one header the mem-* tools include.
 *
 * Contracts (exit statuses, NUL streams, the item record) are written down
 * in docs/design.md; this file only declares the code that keeps them.
 */
#ifndef MEM_H
#define MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Exit statuses: every tool, every runner. */
enum {
	ST_OK = 0,	/* every item done (no items is fine) */
	ST_ITEM = 1,	/* some items failed, the others are done */
	ST_FATAL = 2,	/* usage error, or nothing could be done */
	ST_USAGE = 2
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* msg.c: "prog: message" on stderr, prog from argv[0]. */
extern const char *progname;
void	 setprogname(const char *argv0);
void	 warnx_(const char *fmt, ...);		/* prog: fmt\n */
void	 warn_(const char *fmt, ...);		/* prog: fmt: strerror(errno)\n */
_Noreturn void die(int status, const char *fmt, ...);
_Noreturn void die_errno(int status, const char *fmt, ...);
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xmemdup(const void *p, size_t n);	/* adds a NUL */
char	*xasprintf(const char *fmt, ...);
char	*xvasprintf(const char *fmt, va_list ap);
/* range-checked numbers for options: fatal (exit 2) with the option name. */
long long	 num_ll(const char *opt, const char *s, long long min, long long max);
double		 num_d(const char *opt, const char *s, double min, double max);
void	 print_version(void);			/* "prog (mem) VERSION" on stdout */

/* nul.c: the input of a filter, operands or NUL-separated records on stdin. */
struct input {
	char	**argv;		/* operands, or NULL to read stdin */
	int	  argc, i;
	char	 *buf;		/* the current stdin record */
	size_t	  cap;
	unsigned long recno;	/* 1-based record number on stdin */
	char	  label[32];	/* "-:17" for stdin records */
};
void	 input_init(struct input *in, int argc, char **argv);
/*
 * The next path, or NULL at the end. An empty stdin record is reported
 * ("prog: -:N: empty path") and sets *status to ST_ITEM; a read error on
 * stdin is fatal.
 */
const char *input_next(struct input *in, int *status);
void	 input_free(struct input *in);
ssize_t	 nul_getrec(FILE *fp, char **buf, size_t *cap);	/* len, or -1 at EOF */
void	 out_path(const char *path);	/* path + NUL on stdout, flushed */
void	 out_close(void);		/* exit 2 if stdout could not be written */

/* atomic.c: outputs appear whole or not at all. */
struct atomic {
	char	*dst;		/* final path */
	char	*tmp;		/* DIR/.BASE.XXXXXX[SUFFIX] in the same directory */
	int	 fd;
	FILE	*fp;		/* open on fd, for writers that want stdio */
};
/* Create the temp file beside dst; suffix (may be "") is kept for tools that
 * pick a format by extension. Returns 0, or -1 with errno set. */
int	 atomic_open(struct atomic *a, const char *dst, const char *suffix);
int	 atomic_commit(struct atomic *a);	/* flush, close, rename; -1 on error */
void	 atomic_abort(struct atomic *a);	/* close and unlink; keeps errno */
int	 write_all(int fd, const void *buf, size_t n);	/* every byte, or -1 */
/* Temp files that a signal or a fatal exit must remove; atomic_open
 * registers its own. The handlers are installed by the first call. */
void	 cleanup_add(const char *path);
void	 cleanup_del(const char *path);
int	 mkdir_p(const char *dir, int mode);	/* mkdir -p; 0 or -1 */
int	 mkdir_parent(const char *path);	/* mkdir -p of dirname(path) */
int	 is_temp_name(const char *base);	/* ".name.XXXXXX" made by atomic_open */

/* spawn.c: run a program with an argv array, never through a shell. */
struct proc_out {
	char	*out;		/* child's stdout (when captured), NUL-terminated */
	size_t	 outlen;
	char	*err;		/* child's stderr, NUL-terminated */
	size_t	 errlen;
	int	 timed_out;	/* killed at its time limit (spawn_limit) */
};
/*
 * Run argv[0] (found on PATH) with stdin from /dev/null, capturing stdout
 * when o->out is wanted (capture_out) and stderr always. Returns the exit
 * status (0..255), 128+signal when killed, or -1 with errno set when it could
 * not be started (ENOENT: not installed).
 */
int	 spawn_run(char *const argv[], int capture_out, struct proc_out *o);
/* The same, with the child's stdout handed to sink chunk by chunk as it
 * comes (a decoder's PCM), not kept; sink NULL sends it to /dev/null. */
int	 spawn_stream(char *const argv[], void (*sink)(void *arg, const char *p,
	    size_t n), void *arg, struct proc_out *o);
void	 proc_out_free(struct proc_out *o);
/* Every child dies with its parent (SIGKILL). spawn_limit: the time limit
 * of the children started from now on (0: none; MEM_CHILD_LIMIT caps it),
 * killed at it with "killed after its time limit of N s" as the last line
 * of o->err; spawn_budget: a limit proportional to an input. */
void	 spawn_limit(double seconds);
double	 spawn_budget(long long bytes, double media_seconds);
const char *last_line(const char *text, char *buf, size_t size);
int	 have_program(const char *name);	/* found on PATH and executable */

/* media.c (mem-exif, mem-loudnorm): is a file ffmpeg wrote whole? Its
 * duration in seconds as ffprobe reads it, or -1 when ffprobe cannot read
 * it or finds no duration (an unfinished file; no ffprobe). */
double	 media_whole_seconds(const char *path);

/* tiff.c (mem-exif, mem-scan): a TIFF structure (an EXIF block), read in
 * place; every offset it hands out lies within its bytes. */
struct tiff {
	const unsigned char *p;	/* the TIFF header */
	size_t	 len;
	int	 be;		/* "MM" */
};
enum {
	TIFF_BYTE = 1, TIFF_ASCII = 2, TIFF_SHORT = 3, TIFF_LONG = 4, TIFF_RATIONAL = 5,
	TIFF_UNDEFINED = 7, TIFF_SSHORT = 8, TIFF_SLONG = 9, TIFF_SRATIONAL = 10, TIFF_IFD = 13
};
/* p: a TIFF header (a TIFF or raw file, a HEIF's Exif item). 0, or -1. */
int	 tiff_init(struct tiff *t, const unsigned char *p, size_t len);
/* blk: "Exif\0\0" and a TIFF header. 0, or -1 with *why. */
int	 tiff_open(struct tiff *t, const unsigned char *blk, size_t len, const char **why);
unsigned tiff_get16(const struct tiff *t, const unsigned char *p);
uint32_t tiff_get32(const struct tiff *t, const unsigned char *p);
size_t	 tiff_type_size(unsigned type);	/* 0: a type no reader knows */
/* The entries of the IFD at off, or -1 when they do not fit in the block. */
long	 tiff_ifd_count(const struct tiff *t, uint32_t off);
/* The 12 bytes of the IFD's first entry with tag, or NULL. */
const unsigned char *tiff_entry(const struct tiff *t, uint32_t ifd, unsigned tag);
/* An entry's value bytes (in the entry when they fit in 4), *len of them;
 * NULL when they lie outside the block or the type is unknown. */
const unsigned char *tiff_value(const struct tiff *t, const unsigned char *e, size_t *len);
/* Is e a pointer to an IFD (LONG or IFD, count 1)? Then 1, *off its
 * offset (not checked); else 0: readers do not follow it. */
int	 tiff_pointer(const struct tiff *t, const unsigned char *e, uint32_t *off);

/* A file's 32-bit fields: big-endian (ISO boxes, PNG chunks, RAF headers,
 * SHA-1 words) and little-endian (RIFF chunks: WAV, AVI, WebP; ASF).
 * Inline: SHA-1 reads one per 4 bytes hashed. */
static inline uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* box.c (mem-exif, mem-scan): ISO base media boxes (MP4, MOV, HEIF). */
/* The box at p (n bytes left): its size (n for a size of 0) and header
 * length; 0, or -1 when it does not fit. */
int	 box_header(const unsigned char *p, uint64_t n, uint64_t *size, unsigned *hlen);
/* Where the children of the meta box at p (whole, n bytes) begin: after
 * its header in QuickTime files, after a version word too in ISO ones;
 * 0 when it has no hdlr. */
size_t	 meta_children(const unsigned char *p, size_t n);

/* xmp.c (mem-scan, mem-exif): where the value of property name of the
 * namespace uri lies in an XMP packet x of n bytes, as an attribute
 * (P:name="v") or an element (<P:name>v<), P any prefix the packet binds
 * to uri (Adobe's older files say xap: for xmp:); the first of at most max
 * bytes. 0, or -1. */
int	 xmp_find(const char *x, size_t n, const char *uri, const char *name, size_t max,
	    size_t *at, size_t *len);
/* The first start tag <P:name ...> (or <P:name .../>) in x, P bound to
 * uri: its '<' at x[*lt], its end just past its '>' at x[*end]. 0, or -1. */
int	 xmp_start_tag(const char *x, size_t n, const char *uri, const char *name,
	    size_t *lt, size_t *end);

/* time.c: instants are UTC seconds; an offset is known or not. */
#define OFFSET_UNKNOWN INT32_MIN
/* Parse ISO 8601 ("2023-01-15T10:30:45+02:00", "...Z", "2023-01-15 10:30:45",
 * fractions ignored). With no zone the text is taken as UTC and *offset_min
 * is OFFSET_UNKNOWN. Returns 0, or -1 if malformed. */
int	 time_parse(const char *s, int64_t *utc, int32_t *offset_min);
/* Whether s is a date with a time of day, not a day alone (time.c). */
int	 time_has_clock(const char *s);
/* Format as "2023-01-15T08:30:45Z" (UTC), or with the offset applied
 * ("2023-01-15T10:30:45+02:00") when offset_min is known. */
void	 time_format(int64_t utc, int32_t offset_min, char *buf, size_t size);
/* Broken-down local wall time at the offset (0 when unknown). */
void	 time_wall(int64_t utc, int32_t offset_min, struct tm *tm);
int64_t	 time_from_utc_tm(const struct tm *tm);	/* timegm without TZ */

/* item.c: the item record, written by mem-scan and read by the others. */
#define ITEM_MAGIC "mem-item=1"
/* A record whose media is an archive member (it has a member field). */
#define ITEM_MAGIC2 "mem-item=2"
enum item_kind { KIND_UNKNOWN, KIND_IMAGE, KIND_VIDEO, KIND_AUDIO };
struct item {
	char	*id;		/* 16 hex digits, stable across runs */
	char	*source;	/* the media file */
	char	*export;	/* export name (the directory's base name) */
	char	*platform;	/* "google-photos", "snapchat-memories", ... */
	char	*user;		/* the export's user, from its name or metadata */
	char	*dest;		/* output path relative to OUT */
	enum item_kind kind;
	int	 has_time;
	int64_t	 time;		/* capture instant, UTC seconds */
	int32_t	 offset_min;	/* its UTC offset, or OFFSET_UNKNOWN */
	char	*time_source;	/* "json", "exif", "filename", "mtime", ... */
	int	 has_gps;
	double	 lat, lon;	/* degrees, north and east positive */
	int	 has_alt;
	double	 alt;		/* metres above sea level */
	char	**albums;	/* albums[0..nalbums), NULL-terminated when not empty */
	size_t	 nalbums;
	char	*caption;	/* UTF-8 */
	char	*overlay;	/* Snapchat overlay PNG to merge, or NULL */
	int	 favorite;
	/* Fields this reader does not know, kept so a rewrite loses nothing. */
	char	**extra;	/* "key=value" strings, extra[0..nextra) */
	size_t	 nextra;
};
void	 item_init(struct item *it);
void	 item_free(struct item *it);
/* Read one record from a whole buffer (len bytes). Returns 0, or -1 with a
 * reason in *why; after a failure *it holds nothing to free. */
int	 item_parse(struct item *it, const char *buf, size_t len, const char **why);
/* Load the record file at path. Returns 0, -1 (errno set, *why NULL) when it
 * cannot be read, or -1 with *why when it is not a valid record. */
int	 item_load(struct item *it, const char *path, const char **why);
int	 item_write(const struct item *it, FILE *fp);	/* 0, or -1 on error */
int	 item_save(const struct item *it, const char *path);	/* atomic */
/* Does the file at path start with ITEM_MAGIC? (1 yes, 0 no, -1 unreadable) */
int	 item_sniff(const char *path);
void	 item_add_album(struct item *it, const char *album);
/* Does buf start with a record's first field, version 1 or 2? */
int	 item_has_magic(const void *buf, size_t n);
const char *item_field(const struct item *it, const char *key);	/* kept field, or NULL */
const char *kind_name(enum item_kind k);
enum item_kind kind_parse(const char *s);
enum item_kind kind_of_name(const char *path);	/* by extension */
void	 item_set(char **field, const char *value);	/* free + xstrdup */
uint64_t fnv1a64(const void *p, size_t n, uint64_t h);
#define FNV64_INIT 0xcbf29ce484222325ULL

/* sha1.c (mem-upload): Immich identifies an asset by the SHA-1 of its bytes. */
#define SHA1_LEN 20
#define SHA1_HEXLEN 40
struct sha1 {
	uint32_t	 h[5];
	uint64_t	 len;		/* bytes so far */
	unsigned char	 buf[64];
	size_t		 n;		/* bytes waiting in buf */
};
void	 sha1_init(struct sha1 *s);
void	 sha1_update(struct sha1 *s, const void *data, size_t len);
void	 sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN]);
void	 sha1_hex(const unsigned char sum[SHA1_LEN], char hex[SHA1_HEXLEN + 1]);
/* The file's SHA-1 as 40 lower-case hex digits; 0, or -1 with errno set. */
int	 sha1_file(const char *path, char hex[SHA1_HEXLEN + 1]);

/* path.c (review: shared by mem-exif, mem-loudnorm, mem-upload). */
const char *path_base(const char *path);	/* after the last '/' */
const char *path_ext(const char *path);	/* of the base, no dot; "" if none */
/* Is rel relative, non-empty, without "", "." or ".." components and
 * without a trailing '/'? (a record's dest must stay inside OUT) */
int	 path_inside(const char *rel);
/* mkdir -p dir, then check it can be written into; 0, or -1 with errno. */
int	 outdir_ready(const char *dir);

/* record.c (review): inputs that are item records or media paths. */
/*
 * Load path into *it when it is an item record (1), or leave *it empty for
 * a plain media path (0). -1 with *why (a strerror text, or what is wrong
 * with the record) when it can be neither; *it then holds nothing.
 */
int	 item_or_path(struct item *it, const char *path, const char **why);
/* "OUT/dest" of a record, malloc'd; NULL with *why when the record has no
 * dest or one that would leave OUT. */
char	*item_dest(const struct item *it, const char *outdir, const char **why);

/* source.c: a record's media as a plain file or an archive member
 * (issue 16). Members bigger than SOURCE_SIZE_MAX, or over
 * SOURCE_RATIO_FLOOR bytes that expand more than SOURCE_RATIO_MAX:1, are
 * refused as zip bombs; up to SOURCE_RAM_MAX bytes a member is held in
 * memory, beyond that in an unlinked file of the spool directory. */
#define SOURCE_SIZE_MAX (64LL << 30)
#define SOURCE_RATIO_MAX 200
#define SOURCE_RATIO_FLOOR (16LL << 20)
#define SOURCE_RAM_MAX (64LL << 20)
struct source {
	const char *name;	/* the name that says the format: file or member */
	char	*path;		/* to open or give ffmpeg: the file, or /dev/fd/N;
				 * NULL for a span */
	int	 fd;		/* seekable; a member's is inherited by children
				 * (they open path) */
	off_t	 base;		/* where the bytes start in fd: 0, or a span's */
	off_t	 size;
	struct timespec mtime;	/* the file's, or the member's */
	int	 member;	/* 1: read from an archive */
};
/* Open file, or its member (NULL: file is the media). sig is the record's
 * member_sig (or NULL): a member whose CRC differs is refused. 0, or -1
 * with the reason in why. With SOURCE_SPAN, a stored zip member (its CRC
 * checked) may come as a span: fd is the archive itself, the member at
 * base, and path is NULL; for callers that read fd and need no path. */
#define SOURCE_SPAN 1
int	 source_open(struct source *s, const char *file, const char *member,
	    const char *sig, const char *spooldir, int flags, char *why, size_t n);
void	 source_close(struct source *s);
/* Stream a member into fd (at its offset); *size and *mtime are set. */
int	 source_member_copy(const char *archive, const char *member, const char *sig,
	    int fd, int64_t *size, struct timespec *mtime, char *why, size_t n);
int	 member_name_ok(const char *name);	/* relative, no ".." */
/* zip_open(path, ZIP_RDONLY), read with pread through one block and no
 * stat of /etc/localtime per member; *zs (when not NULL) is its source,
 * freed with the archive. NULL with a libzip error in *err. */
struct zsrc;
struct zip *source_zip_open(const char *path, struct zsrc **zs, int *err);
/* How much a read that misses the block reads: what the member opened
 * next will need (local header, name, data), or 0 for the block. */
void	 source_zip_want(struct zsrc *zs, size_t n);
/* A member's size without reading it (a tar's headers are read up to it);
 * -1 with why. */
int64_t	 source_member_size(const char *archive, const char *member, const char *sig,
	    char *why, size_t n);
/* Records of tar members, kept from the input to be done after it, by
 * archive and member_sig ordinal: a tgz is then read once a run. */
struct later {
	struct later_item *v;
	size_t	 n, next;
	int	 sorted;
};
int	 later_add(struct later *l, const char *path);	/* 1: kept for later */
const char *later_next(struct later *l);	/* after the input; NULL at the end */
void	 later_free(struct later *l);
/* Close the archives kept open; with verbose, one line on stderr per
 * streamed (tar) archive: how many bytes the run read of it. */
void	 source_report(int verbose);

/* http.c (mem-upload, mem-fetch): when a failed request is tried again. */
int	 http_retryable_status(long status);	/* 408, 429, 5xx that pass */
int	 http_retryable_curl(int curlcode);	/* refused, reset, timed out */
long	 http_retry_after(void *curl_handle);	/* Retry-After: N, or 0 */

#endif /* MEM_H */
