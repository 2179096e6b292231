/*
 * mem-exif.h -- private to mem-exif. Three layers, each using only the ones
 * above it: the shared pieces (plan.c: what one item wants written;
 * bytes.c: byte I/O; tiff.c: the EXIF block; ffmpeg.c: its
 * argument vectors), the format writers (jpeg.c, png.c, mp4.c, xmp.c,
 * overlay.c), and mem-exif.c, the main loop over items.
 */
#ifndef MEM_EXIF_H
#define MEM_EXIF_H
/* mem.h has no include guard; the fuzz target includes several of these
 * files, so they reach it only through this header. */
#include <sys/types.h>
#include <stdint.h>

#include "mem.h"

/* The metadata to embed; every part is optional. */
struct meta {
	int	 has_time;	/* the capture instant: it dates the output file */
	int64_t	 time;		/* capture instant, UTC seconds */
	/* and is written into the file's tags or sidecar: not when it is the
	 * file's own date with no offset to add, since a date of ours would
	 * hide the zone Immich infers from the file (its GPS, its XMP) */
	int	 tag_time;
	int32_t	 offset_min;	/* its UTC offset, or OFFSET_UNKNOWN */
	int	 has_gps;
	double	 lat, lon;	/* degrees, north and east positive */
	int	 has_alt;
	double	 alt;		/* metres above sea level */
	const char *caption;	/* UTF-8, or NULL */
	int	 overwrite;	/* replace the camera's own date and GPS */
	/* the output's mtime without a capture time: the source's own (cp
	 * -p), this one when the source's fd does not carry it (a span) */
	const struct timespec *src_mtime;
	int	 no_thumbnail;	/* drop the EXIF thumbnail (the image changed) */
	/* a user's XMP sidecar goes beside the output (sidecar_carry), and
	 * no sidecar of ours; the offset its date is given, or OFFSET_UNKNOWN;
	 * sidecar_date: the record's date is added to it (the output's format
	 * takes no date of ours, and the sidecar's date is not the record's) */
	int	 user_xmp;
	int32_t	 sidecar_off;
	int	 sidecar_date;
};

/* A part of the output: bytes in memory, or a range of the source file. */
struct piece {
	const unsigned char *mem;	/* NULL: the range [off, off+len) of fd */
	int	 fd;
	off_t	 off;
	size_t	 len;
};

/* bytes.c */
/* Write the pieces in order to fd; -1 with errno set on error. */
int	 pieces_write(int fd, const struct piece *p, size_t n);
/* Read exactly n bytes at off; -1 with errno (EIO for a short file). */
int	 read_at(int fd, off_t off, void *buf, size_t n);
/* Read exactly n bytes at off of the source's bytes (past its end: EIO). */
int	 source_read(const struct source *s, off_t off, void *buf, size_t n);
/* A reader that serves the small reads of a header scan from one buffer:
 * offsets are from base in fd, and nothing past base + size is read. */
struct cached {
	int	 fd;
	off_t	 base, size;
	off_t	 boff;
	size_t	 blen;
	unsigned char buf[16384];
};
void	 cached_init(struct cached *c, int fd, off_t base, off_t size);
int	 cached_reader(void *ctx, off_t off, void *buf, size_t n);
/* Copy the whole source to dst atomically with its mtime (or t). */
int	 copy_plain(const struct source *s, const char *dst, const struct meta *m,
	    const char **why);
/* The mtime of an output: the capture instant when known. */
int	 set_mtime_fd(int fd, const struct meta *m, int srcfd);
int	 set_mtime_path(const char *path, const struct meta *m, int srcfd);
void	 put_be32(unsigned char *p, uint32_t v);
/* Write the pieces atomically to dst with its mtime; 0 or -1 with *why. */
int	 pieces_commit(const char *dst, const struct piece *p, size_t n,
	    const struct meta *m, int srcfd, const char **why);
uint32_t crc32_png(uint32_t crc, const unsigned char *p, size_t n);

/* ffmpeg.c: an argument vector for ffmpeg, run with spawn_run. */
#define MAXARGS 64
struct args {
	char	*v[MAXARGS];
	int	 n;
	char	*owned[16];	/* strings to free afterwards */
	int	 nowned;
};
void	 arg(struct args *a, const char *s);
void	 argf(struct args *a, char *s);	/* takes s, malloc'd */
void	 args_free(struct args *a);
void	 ffmpeg_head(struct args *a);
int	 args_run(struct args *a, const char **why);
const char *muxer_of(const char *path);	/* ffmpeg's muxer for a name, or NULL */
int	 is_video_ffmpeg_writes(const char *path);

/* What a block made from nothing says of the image. */
struct exif_image {
	uint32_t width, height;
	uint32_t xres, yres;	/* pixels per unit, 0 for unknown (72 dpi) */
	unsigned unit;		/* 2 inch, 3 cm */
	int	 rgb;		/* components RGB (PNG), else YCbCr (JPEG) */
};
/* jpeg.c: where the segments of a JPEG are, without reading its image data. */
typedef int (*reader_fn)(void *ctx, off_t off, void *buf, size_t n);
#define JPEG_MAXSEG 1024
struct jpeg_seg {
	off_t	 off;		/* at its FF */
	size_t	 len;		/* marker, length and payload */
	size_t	 plen;		/* payload (after the length bytes) */
	unsigned char marker;	/* 0xE1 for APP1 ... */
	char	 id[8];		/* payload start: "Exif", "ICC_PRO", "MPF", ... */
};
struct jpeg_layout {
	struct jpeg_seg seg[JPEG_MAXSEG];	/* every segment before SOS */
	size_t	 nseg;
	int	 exif;		/* index of the first Exif APP1, or -1 */
	off_t	 insert_at;	/* where a new APP1 goes when there is none */
	off_t	 sos_off;	/* the first SOS marker */
	int	 scale;		/* first DQT as a percentage of the standard
				 * luminance table (IJG scaling), or 0 */
	int	 subsampled;	/* chroma subsampled (4:2:0 or 4:2:2) */
	struct exif_image img;	/* size (SOF) and density (JFIF) */
};
int	 jpeg_scan(reader_fn rd, void *ctx, off_t size, struct jpeg_layout *l,
	    const char **why);
int	 jpeg_has_eoi(reader_fn rd, void *ctx, off_t sos, off_t size);

/* tiff.c: the EXIF block ("Exif\0\0" + TIFF) with m's tags, the old
 * block's bytes kept where they are and the changed IFDs after them. */
#define EXIF_MAX_APP1 65533	/* APP1 payload: 65535 minus the length bytes */
/* Edit the block old (olen bytes; NULL for none: a new one for img) into
 * a malloc'd *out of at most max bytes; 0, or -1 with *why. */
int	 exif_edit(const unsigned char *old, size_t olen, const struct meta *m,
	    const struct exif_image *img, size_t max, unsigned char **out,
	    size_t *outlen, const char **why);
/* Its Orientation tag, 1 when absent or unreadable. */
int	 exif_orientation(const unsigned char *blk, size_t len);

/* jpeg.c, png.c: one item of each kind; 0 or -1 with *why. */
int	 jpeg_write(const struct source *s, const char *dst, const struct meta *m,
	    const char **why);
int	 jpeg_write_from(int srcfd, off_t size, int basefd, off_t basesize,
	    const char *dst, const struct meta *m, const char **why);
int	 jpeg_info(int fd, off_t size, int *orientation, int *scale, int *subsampled,
	    const char **why);
int	 png_write(const struct source *s, const char *dst, const struct meta *m,
	    const char **why);
/* Where a PNG's chunks are: the first eXIf, the first raw EXIF profile
 * (tEXt, zTXt or iTXt), and where a new eXIf goes (the first IDAT). */
struct png_layout {
	off_t	 exif_off, raw_off, insert_at;
	size_t	 exif_len, raw_len;	/* whole chunks */
};
int	 png_scan(reader_fn rd, void *ctx, off_t size, struct png_layout *l,
	    const char **why);

/* mp4.c: MP4, MOV, 3GP, M4V by their boxes; ©xyz into moov/udta of a
 * file whose moov is last (FFmpeg's output). */
int	 is_mp4_name(const char *path);
int	 mp4_write(int srcfd, off_t size, const char *dst, const struct meta *m,
	    const char **why);
/* The same edit in place, in a file open for reading and writing (an
 * archive member streamed into the output's temp file). */
int	 mp4_edit_fd(int fd, off_t size, const struct meta *m, const char **why);
int	 mp4_put_xyz(const char *path, const char *iso6709, const char **why);

/* remux.c: Matroska and WebM by FFmpeg's stream copy. run_into runs a
 * (which writes t), with the source's and m's metadata, and commits t;
 * it frees a. */
int	 video_write(const char *src, const char *dst, const struct meta *m,
	    const char **why);
int	 run_into(struct args *a, struct atomic *t, const char *src,
	    const struct meta *m, const char *fmt, const char **why);

/* overlay.c: a Snapchat overlay burned into an image or a video. */
int	 overlay_image(const struct source *s, const char *ovl,
	    const char *dst, const struct meta *m, const char **why);
int	 overlay_video(const char *src, const char *ovl, const char *dst,
	    const struct meta *m, const char **why);

/* composite.c: the overlay burned into a JPEG or PNG (png != 0) in this
 * process, the result written to out without metadata. 0, -1 with *why,
 * or COMPOSITE_BAD_OVERLAY when the overlay itself cannot be read. */
#define COMPOSITE_BAD_OVERLAY (-2)
int	 composite(int srcfd, off_t size, int png, const char *ovl, int orientation,
	    int scale, int subsampled, FILE *out, const char **why);
int	 overlay_check(const char *ovl, const char **why);	/* decodes it whole */

/* xmp.c: a sidecar for the formats we do not write into. */
int	 xmp_write(const char *dst, const struct meta *m, int srcfd, const char **why);
/* A user's XMP sidecar xs beside the output, as dst.xmp: byte for byte,
 * but for the offset m->sidecar_off given to its date (m->time), or, with
 * m->sidecar_date, the record's date added in a Description of ours. */
#define XMP_SIDECAR_MAX (16 << 20)
int	 sidecar_carry(const char *dst, const struct source *xs, const struct meta *m,
	    const char **why);

/* plan.c */
extern char	 whybuf[512];	/* room for a formatted reason */
extern const char *cur_label;	/* the item, for notes on stderr */
const char *why_errno(const char *what);	/* "what: strerror(errno)" */
char	*meta_iso6709(const struct meta *m);	/* "+48.858400+002.294500/", malloc'd */

#endif
