/*
 * mem-scan.h -- the core of mem-scan, shared by its platform files.
 *
 * How a platform plugs in (one file a platform, e.g. gphotos.c):
 *
 *   - Add a struct platform to the table in platforms.c (an extern const
 *     struct platform defined in the platform's file): its record name
 *     ("google-photos"), a title for --list-processors, the prefix of export
 *     directory names that carries the user (memoria's, "google"), and two
 *     functions:
 *	detect(ex)	1 when the export holds this platform's layout;
 *	scan(ex, p)	claim files and add items.
 *     Every detected platform is scanned, in table order; what no platform
 *     claims afterwards goes to the "folder" fallback.
 *
 *   - The export (struct export) has been walked once before detect():
 *     ex->files is every regular file under it, sorted byte-wise by path
 *     relative to the export, banned names, hidden names, our temp files and
 *     OUT left out. export_find() looks a path up; export_under() gives the
 *     range of files below a directory; file_slurp() reads one (bounded).
 *     The walk does not stat files (d_type says what they are): call
 *     file_stat() before using f->size or f->mtime.
 *
 *   - scan_add(ex, f, folder, prefix) makes the item for media file f (its
 *     platform and user from ex->cur, the platform being scanned), marks f
 *     claimed and returns the entry to fill: it->time etc. through
 *     set_time(), set_gps(), item_add_album(), item_set(&it->caption, ...).
 *     The dest name is given later by the core (name_all): one numbering
 *     rule for every platform. folder is the platform folder under the
 *     export ("photos", "memories", "public-media/posts"); prefix starts the
 *     name ("gphotos" gives gphotos-USER-YYYYMMDD.jpg).
 *
 *   - fallback_time(ex, f, it) fills the time from the file itself (EXIF,
 *     QuickTime, file name, mtime) when the platform has none.
 *
 *   - After every platform, the core gives a Live Photo's video the offset
 *     of its image (live_offsets), then names (name_all); mem-scan.c writes
 *     the records and, once every export is done, removes the records of
 *     the scanned exports that were not written again (their media are
 *     gone) unless the export's walk was partial (ex->partial).
 *
 *   - Problems: orphan_media() and orphan_meta() feed the export's
 *     issues/failure-report.json; scan_warn() prints one warning line and
 *     records it under failed_processing. None of them fails the run: an
 *     item with bad metadata still has a record with a fallback time.
 *
 *   - safe_join() turns a name read from metadata into a path relative to
 *     the export, refusing absolute names and "..".
 *
 * The pure parsers (sidecar names, JSON and HTML readers, moov, file-name
 * dates, mojibake) take buffers, so tests/fuzz/ can call them directly.
 */
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct platform;

/* One regular file of an export. */
struct file {
	char	*rel;		/* path relative to the export */
	off_t	 size;		/* size and mtime: valid once stated, see */
	int64_t	 mtime;		/* file_stat() (-1 and 0 before) */
	unsigned char stated;
	unsigned char kind;	/* enum item_kind by extension */
	unsigned char claimed;	/* used by a platform (item, overlay, metadata) */
	unsigned char pooled;	/* rel lies in ex->pool (the walk's), not malloc'd */
	/* A member of an archive part (archive.c); part 0 is a plain file. */
	unsigned part;		/* 1 + its index in ex->parts, or 0 */
	uint32_t crc;		/* zip: the member's CRC-32; 0: not known (a file, a tar member) */
	int64_t	 index;		/* zip: libzip's index; tar: the entry's ordinal */
	char	*member;	/* its name in the archive (owned) */
	unsigned char *data;	/* tar: bytes kept by the one pass (owned), */
	size_t	 datalen;	/* the whole member when datalen == size */
};
struct part;

/* An item being planned: the record plus what naming needs. */
struct entry {
	struct item it;
	const char *folder;	/* platform folder under the export */
	const char *prefix;	/* file name prefix: "gphotos", "snap-memories" */
	const char *platform;	/* the record's platform */
	int	 keepname;	/* audio from a folder: dest keeps its path */
	size_t	 file;		/* index in ex->files */
	char	*conv;		/* conversation in the name, or NULL (owned) */
	char	*vrel;		/* a linked item's own path (owned), else NULL */
	int	 has_hint;	/* a wall clock's offset from the file's other */
	int32_t	 hint;		/* tags (struct where), for offsets.c */
	int	 soft;		/* its offset is its date's own, which a place's
				 * zone wins over (struct where) */
};

struct export {
	char	*path;		/* absolute directory */
	char	*name;		/* its base name */
	int	 fd;		/* the directory, open */
	struct file *files;
	size_t	 nfiles;
	struct entry *items;
	size_t	 nitems, capitems;
	json_t	*orphan_media, *orphan_meta, *failed;	/* for the report */
	json_t	*skipped;	/* left out on purpose (trash, locked), for it */
	const struct platform *found[16];	/* detected platforms */
	size_t	 nfound;
	size_t	 nitem_by[16], norphan_by[16];	/* per found platform, --list */
	const struct platform *cur;	/* the platform being scanned */
	int	 status;	/* ST_ITEM when a file could not be read */
	int	 partial;	/* the walk missed a directory: keep old records */
	struct part *parts;	/* archive parts (archive.c), or none */
	size_t	 nparts;
	struct entry **stems;	/* export.c: the last stem sort, for the next */
	size_t	 nstems;
	char	**pool;		/* export.c: the walk's paths, in blocks */
	size_t	 npool, poolused;
};

struct platform {
	const char *name;	/* record value: "google-photos" */
	const char *title;	/* for people: "Google Photos (Takeout)" */
	const char *dirprefix;	/* export name prefix giving the user */
	int	(*detect)(struct export *ex);
	void	(*scan)(struct export *ex, const struct platform *p);
};

/* platforms.c: the table, the last one the "folder" fallback. */
extern const size_t nplatforms;
const struct platform *platform_at(size_t i);
const struct platform *platform_by_name(const char *name);

/* export.c: the walk, the items, names, records and reports. */
int	 export_walk(struct export *ex, const char *path, dev_t outdev, ino_t outino,
	    int hasout);
void	 export_init(struct export *ex, const char *path);
int	 banned(const char *name);
void	 export_free(struct export *ex);
struct file *export_find(struct export *ex, const char *rel);
/* Files whose path starts with dir + "/": *n of them from the result. */
struct file *export_under(struct export *ex, const char *dir, size_t *n);
char	*file_path(const struct export *ex, const struct file *f);
/* An open file of the export, a plain file or an archive member alike:
 * file_open() gives NULL with errno (and, for a member, a reason in
 * fh_why()); reads return -1 with errno and a reason likewise. */
struct fh;
struct fh *file_open(const struct export *ex, const struct file *f);
struct fh *fh_fd(int fd);	/* a plain file open on fd (fd is the handle's) */
ssize_t	 fh_read(struct fh *h, void *buf, size_t n);
ssize_t	 fh_pread(struct fh *h, void *buf, size_t n, off_t off);
/* The n bytes at pos of a file of fsize bytes (at most FH_BYTES_MAX: an
 * XMP packet, a HEIF item), NUL-terminated, malloc'd; or NULL. */
#define FH_BYTES_MAX (1 << 20)
unsigned char *fh_bytes(struct fh *fd, off_t fsize, uint64_t pos, uint64_t n);
const char *fh_why(const struct fh *h);
int	 fh_fileno(const struct fh *h);	/* a plain file's fd, else -1 */
void	 fh_close(struct fh *h);
/* A libdeflate decompressor from those kept for reuse, and back. */
struct libdeflate_decompressor;
struct libdeflate_decompressor *dz_take(void);
void	 dz_give(struct libdeflate_decompressor *dz);
/* The media or overlay of a record: source= or overlay=, and for a member
 * the contract's member=, member_sig= or overlay_member= (docs/design.md). */
char	*file_source(const struct export *ex, const struct file *f, struct item *it);
void	 file_overlay(const struct export *ex, const struct file *f, struct item *it);
void	 file_xmp(const struct export *ex, const struct file *f, struct item *it);
int	 file_stat(const struct export *ex, struct file *f);	/* 0 or -1 */
void	 entry_id(const struct export *ex, const struct entry *e, char id[17]);
json_t	*file_json(struct export *ex, struct file *f, size_t max);
char	*file_slurp(struct export *ex, const struct file *f, size_t max, size_t *len);
struct entry *scan_add(struct export *ex, struct file *f, const char *folder,
	    const char *prefix);
/* An item with no file, only a link (url= or link=): scan_add_link. */
struct entry *scan_add_link(struct export *ex, const char *vrel, const char *key,
	    const char *url, enum item_kind kind, const char *folder, const char *prefix);
const char *entry_rel(const struct export *ex, const struct entry *e);
void	 set_time(struct item *it, int64_t utc, int32_t off, const char *source);
void	 entry_free(struct entry *e);	/* its record written: not needed */
/* export.c: a copy of s in blocks of POOL_BLOCK bytes (*used of the last) */
#define POOL_BLOCK 65536
char	*pool_copy(char ***blocks, size_t *nblocks, size_t *used, const char *s);
void	 set_gps(struct item *it, double lat, double lon, int has_alt, double alt);
void	 orphan_media(struct export *ex, struct file *f, const char *reason);
void	 orphan_meta(struct export *ex, const char *metafile, json_t *entry,
	    const char *reason);
void	 scan_warn(struct export *ex, const char *rel, const char *fmt, ...);
/* A file left out on purpose (Google's trash, the Locked Folder): named
 * in the report's "skipped" list with the reason; not a failure. */
void	 scan_skip(struct export *ex, struct file *f, const char *reason);
json_t	*jstr(const char *s);	/* any bytes as a JSON string */
char	*safe_join(const char *dir, const char *name);
char	*user_of(const char *exportname, const char *prefix);
void	 live_offsets(struct export *ex);	/* before name_all() */
void	 live_pairs(struct export *ex);	/* the still names its video */
void	 name_all(struct export *ex);
/* A name from metadata made one safe part of a file name (docs/design.md
 * §5: the only way such a name enters one); malloc'd, "unknown" if empty. */
char	*name_part(const char *name);
int	 write_report(struct export *ex, const char *out);

/* fallback.c: the time a file carries itself. */
void	 fallback_time(struct export *ex, struct file *f, struct entry *e);
/* The same with a user's XMP sidecar sf, read as Immich reads the two. */
void	 sidecar_time(struct export *ex, struct file *f, struct file *sf, struct entry *e);
/* Whether a file's format (by name) carries its camera's wall clock (EXIF,
 * an AVI's IDIT, AVCHD's MDPM), and that clock of one open on fd, of size
 * bytes: 0, or -1. */
int	 has_wall_clock(const char *name);
int	 wall_time(struct fh *fd, const char *name, off_t size, int64_t *utc, int32_t *off);
/* Whether Immich takes this offset (minutes) for a zone: exiftool-vendored
 * knows it as one in use (fallback.c). */
int	 real_zone(int32_t min);
/* Where a file's own EXIF GPS places it, and its GPS clock, when a reader
 * is asked (the date readers below take a struct where *, or NULL); and
 * for a wall clock, the offset the file's other dates give it, as
 * exiftool-vendored infers the zone Immich shows (fallback.c). */
struct where {
	int	 known;
	double	 lat, lon;
	int	 has_clock;
	int64_t	 clock;		/* GPSDateStamp + GPSTimeStamp: UTC seconds */
	int	 none;		/* IFD0 read whole has no GPS IFD */
	int	 dto, create;	/* the Exif IFD has DateTimeOriginal, CreateDate */
	int	 more;		/* a maker note's zone lies past the bytes read */
	int	 has_hint;
	int32_t	 hint;		/* minutes */
	int	 has_tz;	/* the EXIF zone tags' zone (exiftool-vendored's */
	int32_t	 tz;		/* first, which Immich shows dates at), minutes */
	int	 soft;		/* the offset is a date's own, no zone tag's */
	int	 junk;		/* the date's offset is no zone in use
				 * (real_zone()): its wall clock is taken */
};
/* The date a file carries itself, by the reader of its name's format, and
 * (w, or NULL) its place and zones: its time_source ("exif", "riff"...),
 * or NULL. */
const char *file_date(struct fh *fd, const char *name, off_t size, int64_t *utc,
	    int32_t *off, struct where *w);
/* The date of an EXIF block ("Exif\0\0", a TIFF structure): 0, or -1. */
int	 exif_time(const unsigned char *blk, size_t len, int64_t *utc, int32_t *off,
	    struct where *w);
int	 tiff_block_time(const unsigned char *blk, size_t len, int64_t *utc, int32_t *off,
	    struct where *w);
int	 xmp_time(const char *x, size_t n, int64_t *utc, int32_t *off, struct where *w);
void	 xmp_zone(const char *x, size_t n, struct where *w);
int	 irb_time(const unsigned char *p, size_t n, int64_t *utc, int32_t *off);	/* IPTC's */
int	 moov_time(const unsigned char *buf, size_t len, int64_t *utc, int32_t *off);
void	 moov_where(const unsigned char *buf, size_t len, struct where *w);
int	 heif_exif(const unsigned char *buf, size_t len, uint64_t *pos, uint64_t *n);
int	 name_time(const char *base, int64_t *utc);
int	 month_abbr(const char *s);	/* "Mar": 3; 0 for none */
/* mts.c: the capture time of an MPEG transport stream (AVCHD .MTS/.M2TS)
 * open on fd, of size bytes, or of its start in buf: 0, or -1. */
int	 mts_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);
int	 mts_parse(const unsigned char *buf, size_t len, int64_t *utc, int32_t *off);

/* containers.c: dates in RIFF (AVI, WebP), PNG, Matroska and ASF files, each of
 * a file open on fd of size bytes: 0, or -1. */
int	 riff_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);
int	 riff_date(const char *s, int64_t *utc);	/* an IDIT's text */
int	 png_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);
int	 gif_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);
int	 mkv_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);
int	 mkv_date(const unsigned char *p, size_t len, int64_t *utc);
int	 asf_time(struct fh *fd, off_t size, int64_t *utc, int32_t *off, struct where *w);

/* gphotos.c */
extern int gp_include_trashed, gp_include_locked, gp_skip_partner;
size_t	 gp_json_key(const char *jsonname, char *key, size_t size);
int	 gp_match(const char *media, char *const *keys, size_t nkeys);
struct gp_meta {
	int	 has_time;
	int64_t	 time;
	int	 has_gps, has_alt;
	double	 lat, lon, alt;
	char	*title, *description;
	int	 favorite;
	int	 trashed, archived, locked, partner;
};
int	 gp_parse(const char *buf, size_t len, struct gp_meta *m, const char **why);
void	 gp_meta_free(struct gp_meta *m);

/* instagram.c */
char	*fix_mojibake(const char *s);
struct ig_post {
	char	*media[32];
	size_t	 nmedia;
	char	*caption;
	char	*sender;	/* a message's sender, or NULL */
	int	 has_time, has_gps;
	int64_t	 time;
	double	 lat, lon;
};
/* An xz file's content (NUL-terminated, at most max bytes), or NULL with
 * a reason. */
char	*xz_decode(const unsigned char *in, size_t inlen, size_t max,
	    size_t *outlen, const char **why);
/* Calls fn for each post container of an Instagram HTML page. */
void	 ig_html_posts(const char *buf, size_t len,
	    void (*fn)(const struct ig_post *, void *), void *arg);

/* snapchat.c */
int	 snap_location(const char *s, double *lat, double *lon);
/* memories_history.html as the JSON's {"Saved Media": [{"Date", "Media
 * Type", "Location", "Download Link"}...]}, or NULL when it is no HTML. */
json_t	*snap_html_memories(const char *buf, size_t len);

/* msgs.c: what the message platforms share (Snapchat messages, Google
 * Chat and Voice, Discord, iMessage, iMazing). */
extern const char *scan_contacts;	/* --contacts FILE (vCard), or NULL */
char	*conv_slug(const char *name);
void	 entry_conv(struct entry *e, const char *conv);
void	 msg_caption(struct item *it, const char *source, const char *conv,
	    const char *sender, const char *text);
void	 item_extra(struct item *it, const char *key, const char *value);
char	*path_dir(const char *rel);
struct csv {
	const char *p, *end;
	char	**f;		/* the fields of the last row */
	size_t	 n, cap;
};
void	 csv_init(struct csv *c, const char *buf, size_t len);
int	 csv_row(struct csv *c);	/* 1 with c->f/c->n, 0 at the end */
void	 csv_free(struct csv *c);
int	 csv_col(const struct csv *hdr, const char *name);	/* index or -1 */
/* A vCard file: each TEL (digits, leading +) and EMAIL (lower case) to FN. */
struct contacts {
	char	**key, **name;
	size_t	 n;
};
void	 vcard_parse(const char *buf, size_t len, struct contacts *c);
const char *contact_name(const struct contacts *c, const char *handle);
void	 contacts_free(struct contacts *c);

/* msgs.c: memoria's own preprocessed message layouts (metadata.json with
 * "conversations" beside media/), for Snapchat, Discord and iMessage. */
enum { PRE_NONE, PRE_SNAPCHAT, PRE_DISCORD, PRE_IMESSAGE };
int	 memoria_pre_kind(json_t *meta);
const char *memoria_pre(struct export *ex, int kind, json_t **meta);
void	 memoria_pre_each(struct export *ex, const char *root, json_t *meta,
	    void (*fn)(struct export *ex, struct file *f, const char *convkey,
	    json_t *conv, json_t *msg, void *arg), void *arg);

/* snapmsgs.c */
int	 snapmsg_file(const char *base, char *id, size_t idsize, int *overlay);
/* gchat.c */
int	 gchat_date(const char *s, int64_t *utc, int32_t *off);
/* gvoice.c */
struct gv_ref {
	char	*src;		/* the file named in the page */
	char	*sender, *text;
	int	 has_time;
	int64_t	 time;
	int32_t	 off;
};
struct gv_page {
	char	*title;
	char	**people;	/* participants other than "Me" */
	size_t	 npeople;
	struct gv_ref *refs;
	size_t	 nrefs;
};
int	 gv_parse(const char *buf, size_t len, struct gv_page *pg);
struct _xmlNode;
/* A node's text, white space collapsed, or NULL when empty (malloc'd). */
char	*html_text(struct _xmlNode *n);
void	 gv_page_free(struct gv_page *pg);
/* imessage.c */
int64_t	 apple_time(int64_t v);
char	*typedstream_text(const unsigned char *buf, size_t len);
/* archive.c: exports delivered as zip and tar parts (libzip, libarchive) */
int	 archive_kind(const char *path);	/* 1 zip, 2 tar, 0 none: by name */
char	*archive_stem(const char *path, int *partno);	/* "takeout-X", 1 */
int	 export_parts(struct export *ex, const char *path, const char *name,
	    char **parts, size_t nparts);
void	 parts_free(struct export *ex);
const char *part_path(const struct export *ex, const struct file *f);
struct memo_key;
int	 member_memo_key(const struct export *ex, const struct file *f, unsigned kind,
	    struct memo_key *k);
/* lazy.c: what libxml2 returned, freed by libxml2 (loaded at its first use) */
void	 xml_free(void *p);

/* records.c: OUT/.mem/items/ID.item, written only when its bytes change */
int	 records_open(const char *out);		/* 0, or -1 with errno */
int	 records_put(const struct item *it, const char *id);	/* 0, or -1 */
const char *records_dir(void);			/* OUT/.mem/items */
int	 records_close(void);			/* 0, or -1 (said) */
const char *records_stale(size_t i);	/* then: old IDs not put, or NULL */
/* dedup's verdicts kept in OUT between scans (records.c): two files, by
 * their stat, known to be the same; found so now */
struct stat;
int	 same_known(const struct stat *a, const struct stat *b);
void	 same_found(const struct stat *a, const struct stat *b);
/* what a file yielded, kept in OUT by its identity (records.c): a key is
 * had only with -o and for a file settled before the scan; an archive
 * member's is its archive's, and its index + 1 as member (0: a file) */
struct memo_key {
	uint64_t dev, ino, size, mtime_ns, ctime_ns, kind, member;
};
enum { MEMO_GP_SIDECAR = 1, MEMO_GP_WALL, MEMO_GP_HASH, MEMO_GP_HEAD };
int	 memo_key_of(const struct stat *st, unsigned kind, struct memo_key *k);
int	 memo_on(void);	/* there is a cache (-o) */
int	 memo_any(void);	/* the cache holds answers */
const void *memo_get(const struct memo_key *k, size_t *len);	/* or NULL */
void	 memo_put(const struct memo_key *k, const void *blob, size_t len);
/* memo_put() that says where the bytes are kept (valid until records
 * close), or NULL when there is no cache */
const void *memo_keep(const struct memo_key *k, const void *blob, size_t len);
