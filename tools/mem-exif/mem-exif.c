/*
 * mem-exif -- write each item's capture date, UTC offset, GPS position and
 * caption into its output file under -o DIR, and merge Snapchat overlays.
 *
 * Items are item records (mem-scan) or plain media paths, as operands or
 * NUL-separated on stdin; each output path is printed with a NUL. JPEG and
 * PNG have their EXIF block edited in place (tiff.c) and spliced in by
 * hand, MP4 and MOV their boxes, other videos go through FFmpeg with
 * stream copy, anything else gets an XMP sidecar.
 * Outputs appear atomically; sources are never modified.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem-exif.h"

static const char *outdir;
static struct meta opt;		/* what --time, --gps, --caption said */
static int	 opt_time, opt_gps, opt_caption, keep_original;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [-hkvw] -o dir [-t time] [-g lat,lon[,alt]] "
	    "[-c caption] [--] [path ...]\n", progname);
	exit(status);
}

static void
parse_gps(const char *s)
{
	char *v = xstrdup(s), *lat = v, *lon = strchr(v, ','), *alt = NULL;

	if (lon == NULL)
		die(ST_USAGE, "--gps %s: want LAT,LON[,ALT]", s);
	else
		*lon++ = '\0';
	if ((alt = strchr(lon, ',')) != NULL)
		*alt++ = '\0';
	opt.lat = num_d("--gps latitude", lat, -90, 90);
	opt.lon = num_d("--gps longitude", lon, -180, 180);
	if (alt != NULL) {
		opt.alt = num_d("--gps altitude", alt, -20000, 100000);
		opt.has_alt = 1;
	}
	opt.has_gps = 1;
	free(v);
}

static int
has_meta(const struct meta *m)
{
	return m->tag_time || m->has_gps || m->caption != NULL;
}

static int
is_one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/*
 * What of a record's time goes into tags. A time that is only the source's
 * mtime is no time: the output keeps the source's mtime, and no tag says
 * it, since a date of ours would win in Immich over one in the file that
 * mem-scan cannot read (a maker note's, IPTC's). A time read from the
 * file's own tags dates the output file, and is written only with an
 * offset found elsewhere (its position's zone, its neighbours'): the
 * same date again would only hide what Immich infers from the file.
 */
static void
meta_from_item(struct meta *m, const struct item *it)
{
	static const char *const own[] = {
		"asf", "exif", "gps", "h264", "matroska", "quicktime", "riff", NULL
	};
	static const char *const found[] = { "default", "gps", "neighbours", NULL };
	const char *gps_source = item_field(it, "gps_source");

	memset(m, 0, sizeof(*m));
	m->offset_min = OFFSET_UNKNOWN;
	if (it->has_time && (it->time_source == NULL || strcmp(it->time_source, "mtime") != 0)) {
		m->has_time = 1;
		m->time = it->time;
		m->offset_min = it->offset_min;
		m->tag_time = !is_one_of(it->time_source, own) ||
		    is_one_of(item_field(it, "offset_source"), found);
	}
	/* a user's XMP sidecar goes along; Immich takes its date over the
	 * file's, so an offset found elsewhere goes to that date */
	m->sidecar_off = OFFSET_UNKNOWN;
	m->user_xmp = item_field(it, "sidecar") != NULL;
	if (m->has_time && it->time_source != NULL && strcmp(it->time_source, "sidecar") == 0) {
		if (is_one_of(item_field(it, "offset_source"), found))
			m->sidecar_off = it->offset_min;
		m->tag_time = 0;
	}
	/* a place read from the file itself (gps_source: its EXIF's, its
	 * moov's) is there already */
	if (it->has_gps && gps_source == NULL) {
		m->has_gps = 1;
		m->lat = it->lat;
		m->lon = it->lon;
		m->has_alt = it->has_alt;
		m->alt = it->alt;
	}
	m->caption = it->caption;
}

/* The options win over what a record says. */
static void
meta_apply_options(struct meta *m)
{
	if (opt_time) {
		m->has_time = m->tag_time = 1;
		m->time = opt.time;
		m->offset_min = opt.offset_min;
	}
	if (opt_gps) {
		m->has_gps = 1;
		m->lat = opt.lat;
		m->lon = opt.lon;
		m->has_alt = opt.has_alt;
		m->alt = opt.alt;
	}
	if (opt_caption)
		m->caption = opt.caption;
	m->overwrite = opt.overwrite;
}

static int
is_jpeg_magic(const unsigned char *b, ssize_t n)
{
	return n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

static int
is_png_magic(const unsigned char *b, ssize_t n)
{
	return n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* How an output is written: into the file's own tags, or a copy with an
 * XMP sidecar of ours (W_SIDECAR). */
enum writer { W_COPY, W_JPEG, W_PNG, W_MP4, W_VIDEO, W_SIDECAR };

/*
 * The writer of an output, picked by content for JPEG and PNG (messaging
 * apps misname them), by name for the rest. 0, or -1 with *why.
 */
static int
pick_writer(const struct source *s, const char *dst, const struct meta *m, enum writer *w,
    const char **why)
{
	unsigned char magic[8];
	const char *e = path_ext(s->name);
	ssize_t n = s->size >= 8 ? 8 : (ssize_t)s->size;

	if (!has_meta(m)) {
		*w = W_COPY;
		return 0;
	}
	if (n > 0 && source_read(s, 0, magic, (size_t)n) < 0) {
		*why = why_errno("read");
		return -1;
	}
	if (s->size == 0) {
		*why = "empty file";
		return -1;
	}
	if (is_jpeg_magic(magic, n) || strcasecmp(e, "jpg") == 0 ||
	    strcasecmp(e, "jpeg") == 0)
		*w = is_png_magic(magic, n) ? W_PNG : W_JPEG;
	else if (is_png_magic(magic, n) || strcasecmp(e, "png") == 0)
		*w = W_PNG;
	/* never a span here (process() asks for none with a video's name) */
	else if (is_mp4_name(s->name) && is_mp4_name(dst))
		*w = W_MP4;
	else if (is_video_ffmpeg_writes(s->name) && is_video_ffmpeg_writes(dst))
		*w = W_VIDEO;
	else
		*w = W_SIDECAR;
	return 0;
}

/* One output from one source, by its writer. */
static int
write_one(const struct source *s, const char *dst, const struct meta *m, enum writer w,
    const char **why)
{
	switch (w) {
	case W_JPEG:
		return jpeg_write(s, dst, m, why);
	case W_PNG:
		return png_write(s, dst, m, why);
	case W_MP4:
		return mp4_write(s->fd, s->size, dst, m, why);
	case W_VIDEO:
		return video_write(s->path, dst, m, why);
	case W_SIDECAR:
		if (copy_plain(s, dst, m, why) < 0)
			return -1;
		return m->user_xmp ? 0 : xmp_write(dst, m, s->fd, why);
	default:
		return copy_plain(s, dst, m, why);
	}
}

/*
 * An archive member written straight into the output's temp file, then
 * edited there: an MP4's moov in place (mp4_edit_fd), or nothing for an
 * item without metadata. Neither memory nor the spool holds a video. A
 * member that turns out to be a JPEG or PNG is written from that temp file
 * as any other source. *why may point into swhy.
 */
static int
stream_member(const char *archive, const char *member, const char *sig, const char *dst,
    const struct meta *m, const char **why, char *swhy, size_t swhylen)
{
	unsigned char magic[8];
	struct timespec ts[2];
	struct source s;
	struct atomic t;
	int64_t size;
	size_t n;
	int rc;

	if (atomic_open(&t, dst, "") < 0) {
		*why = why_errno(dst);
		return -1;
	}
	if (source_member_copy(archive, member, sig, t.fd, &size, &ts[1], swhy,
	    swhylen) < 0) {
		atomic_abort(&t);
		*why = swhy;
		return -1;
	}
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	if (has_meta(m)) {
		n = size >= 8 ? 8 : (size_t)size;
		if (size == 0 || read_at(t.fd, 0, magic, n) < 0) {
			*why = size == 0 ? "empty file" : why_errno("read");
			atomic_abort(&t);
			return -1;
		}
		if (is_jpeg_magic(magic, (ssize_t)n) || is_png_magic(magic, (ssize_t)n)) {
			memset(&s, 0, sizeof(s));
			s.name = member;
			s.path = t.tmp;
			s.fd = t.fd;
			s.size = (off_t)size;
			/* the member's mtime, for an output without a time */
			rc = futimens(t.fd, ts) < 0 ? -1 : write_one(&s, dst, m,
			    is_png_magic(magic, (ssize_t)n) ? W_PNG : W_JPEG, why);
			if (rc < 0 && *why == NULL)
				*why = why_errno("write");
			atomic_abort(&t);
			return rc;
		}
		if (mp4_edit_fd(t.fd, (off_t)size, m, why) < 0) {
			atomic_abort(&t);
			return -1;
		}
	}
	if (m->has_time) {
		ts[1].tv_sec = (time_t)m->time;
		ts[1].tv_nsec = 0;
	}
	if (futimens(t.fd, ts) < 0 || atomic_commit(&t) < 0) {
		*why = why_errno(dst);
		atomic_abort(&t);
		return -1;
	}
	return 0;
}

/* "dir/name.ext" -> "dir/name_original.ext" */
static char *
original_name(const char *dst)
{
	const char *e = path_ext(dst);
	size_t stem = *e ? (size_t)(e - dst) - 1 : strlen(dst);

	return xasprintf("%.*s_original%s%s", (int)stem, dst, *e ? "." : "", e);
}

/* mkdir -p of dst's directory, skipped when the last item's was the same:
 * a run writes many files into few directories. */
static int
make_parent(const char *dst)
{
	static char *lastdir;
	const char *slash = strrchr(dst, '/');
	size_t n = slash != NULL ? (size_t)(slash - dst) : 0;

	if (lastdir != NULL && strlen(lastdir) == n && memcmp(lastdir, dst, n) == 0)
		return 0;
	if (mkdir_parent(dst) < 0)
		return -1;
	free(lastdir);
	lastdir = xmemdup(dst, n);
	return 0;
}

/* A record's user XMP sidecar, beside dst before the output itself, so an
 * output that is there has it. 0, or -1 with its line printed. */
static int
carry_sidecar(const char *label, const struct item *it, const char *dst, const struct meta *m)
{
	struct source xs = { .fd = -1 };
	const char *file = item_field(it, "sidecar"), *member, *why = NULL;
	char *spool = xasprintf("%s/.mem", outdir), swhy[512];
	int rc = -1;

	member = item_field(it, "sidecar_member");
	if (source_open(&xs, file, member, NULL, spool, 0, swhy, sizeof(swhy)) < 0)
		warnx_("%s: sidecar %s%s%s: %s", label, file, member ? ": " : "",
		    member ? member : "", swhy);
	else if (sidecar_carry(dst, &xs, m, &why) < 0)
		warnx_("%s: sidecar %s: %s", label, file, why);
	else
		rc = 0;
	source_close(&xs);
	free(spool);
	return rc;
}

/* No sidecar of an earlier run beside dst: one is written again when the
 * record still asks for it (xmp_write), and mem-upload would send a stale
 * one. 0, or -1 with its line printed. */
static int
drop_sidecar(const char *label, const char *dst)
{
	char *x = xasprintf("%s.xmp", dst);
	int rc = unlink(x) < 0 && errno != ENOENT ? -1 : 0;

	if (rc < 0)
		warn_("%s: %s", label, x);
	free(x);
	return rc;
}

/* Before the output: the user's sidecar carried, or none of an earlier
 * run left. */
static int
sidecar_first(const char *label, const struct item *it, const char *dst, const struct meta *m)
{
	return m->user_xmp ? carry_sidecar(label, it, dst, m) : drop_sidecar(label, dst);
}

/* Is the file open at fd an item record? Plain media paths are opened
 * once, for the sniff and the copy. */
static int
is_record(int fd)
{
	char buf[sizeof(ITEM_MAGIC)];

	return read_at(fd, 0, buf, sizeof(buf)) == 0 && item_has_magic(buf, sizeof(buf));
}

static int
same_file(const char *dst, const struct stat *src)
{
	struct stat st;

	return stat(dst, &st) == 0 && st.st_dev == src->st_dev && st.st_ino == src->st_ino;
}

/*
 * One item: 0, or -1 with its one line already printed. A record of a tar
 * member is kept in defer (when not NULL) to be done after the input, in
 * archive order; the records are told from media here, by the one open
 * every item needs, not by a second one.
 */
static int
process(const char *path, struct later *defer)
{
	struct item it;
	struct meta m;
	struct stat st;
	struct source media = { .fd = -1 }, ovs = { .fd = -1 };
	const char *why = NULL, *src, *ovl = NULL, *base, *member = NULL, *ovmember = NULL;
	char *dst = NULL, *orig = NULL, *spool = NULL, swhy[512];
	enum item_kind kind;
	enum writer w;
	int fd = -1, rc = -1, rec;

	cur_label = path;
	item_init(&it);
	/* O_NONBLOCK: a FIFO named by mistake must not hang the run */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, &st) < 0) {
		warn_("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx_("%s: not a regular file", path);
		goto out;
	}
	rec = is_record(fd);
	if (rec) {
		close(fd);
		fd = -1;
		item_free(&it);
		if (item_load(&it, path, &why) < 0) {
			if (why == NULL)
				warn_("%s", path);
			else
				warnx_("%s: %s", path, why);
			goto out;
		}
		if (defer != NULL && item_field(&it, "member") != NULL &&
		    later_add(defer, path)) {
			rc = 0;
			goto out;
		}
		if ((dst = item_dest(&it, outdir, &why)) == NULL) {
			warnx_("%s: %s", path, why);
			goto out;
		}
		src = it.source;
		ovl = it.overlay;
		member = item_field(&it, "member");
		ovmember = ovl != NULL ? item_field(&it, "overlay_member") : NULL;
		kind = it.kind;
		meta_from_item(&m, &it);
	} else {
		src = path;
		kind = kind_of_name(path);
		memset(&m, 0, sizeof(m));
		m.offset_min = m.sidecar_off = OFFSET_UNKNOWN;
		base = path_base(path);
		if (*base == '\0') {
			warnx_("%s: not a file name", path);
			goto out;
		}
		dst = xasprintf("%s/%s", outdir, base);
	}
	meta_apply_options(&m);
	if (kind == KIND_AUDIO) {
		warnx_("%s: audio is not for mem-exif (mem-loudnorm writes audio)", path);
		goto out;
	}
	if (fd >= 0) {
		media.fd = fd;
		media.name = src;
		media.path = xstrdup(src);
		media.size = st.st_size;
		fd = -1;
	} else if (member != NULL && ovl == NULL && (!has_meta(&m) ||
	    (is_mp4_name(member) && is_mp4_name(dst)))) {
		if (make_parent(dst) < 0) {
			warn_("%s: cannot create the directory of %s", path, dst);
			goto out;
		}
		if (sidecar_first(path, &it, dst, &m) < 0)
			goto out;
		if ((rc = stream_member(src, member, item_field(&it, "member_sig"), dst, &m,
		    &why, swhy, sizeof(swhy))) < 0)
			goto fail;
		out_path(dst);
		goto out;
	} else {
		/*
		 * A member goes to memory (or an unlinked spool in OUT/.mem),
		 * or, stored in a zip, is read in place when it is an image
		 * the photo writers take: they read its span of the part.
		 * The video writers read a path or a whole fd: a record that
		 * says "image" of a video's name does not get a span.
		 */
		spool = xasprintf("%s/.mem", outdir);
		if (source_open(&media, src, member, item_field(&it, "member_sig"), spool,
		    member != NULL && ovl == NULL && kind == KIND_IMAGE &&
		    !is_mp4_name(member) && !is_video_ffmpeg_writes(member) ? SOURCE_SPAN : 0,
		    swhy, sizeof(swhy)) < 0) {
			warnx_("%s: %s%s%s: %s", path, src, member ? ": " : "",
			    member ? member : "", swhy);
			goto out;
		}
		if (member != NULL)
			m.src_mtime = &media.mtime;
	}
	/* st is the source's already when the item is the file itself */
	if (!media.member && ((rec && fstat(media.fd, &st) < 0) || same_file(dst, &st))) {
		warnx_("%s: the output %s is the source itself", path, dst);
		goto out;
	}
	if (make_parent(dst) < 0) {
		warn_("%s: cannot create the directory of %s", path, dst);
		goto out;
	}
	if (pick_writer(&media, dst, &m, &w, &why) < 0)
		goto fail;
	/* Immich reads a user's sidecar over the file: a date of ours that
	 * the file cannot hold goes into it */
	m.sidecar_date = m.user_xmp && m.tag_time && w == W_SIDECAR && ovl == NULL;
	if (sidecar_first(path, &it, dst, &m) < 0)
		goto out;
	if (ovl != NULL) {
		if (ovmember != NULL) {
			if (source_open(&ovs, ovl, ovmember, NULL, spool, 0, swhy,
			    sizeof(swhy)) < 0) {
				warnx_("%s: overlay %s: %s: %s", path, ovl, ovmember, swhy);
				goto out;
			}
			ovl = ovs.path;
		} else if (access(ovl, R_OK) < 0) {
			warn_("%s: overlay %s", path, ovl);
			goto out;
		}
		if (keep_original) {
			orig = original_name(dst);
			if (write_one(&media, orig, &m, w, &why) < 0)
				goto fail;
		}
		if (kind == KIND_VIDEO)
			rc = overlay_video(media.path, ovl, dst, &m, &why);
		else
			rc = overlay_image(&media, ovl, dst, &m, &why);
	} else
		rc = write_one(&media, dst, &m, w, &why);
	if (rc < 0)
		goto fail;
	if (orig != NULL)
		out_path(orig);
	out_path(dst);
	goto out;
fail:
	rc = -1;
	if (member != NULL)
		warnx_("%s: %s: %s: %s", path, src, member, why);
	else if (rec)
		warnx_("%s: %s: %s", path, src, why);
	else
		warnx_("%s: %s", path, why);
out:
	if (fd >= 0)
		close(fd);
	source_close(&media);
	source_close(&ovs);
	free(spool);
	free(dst);
	free(orig);
	item_free(&it);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "time", required_argument, NULL, 't' },
		{ "gps", required_argument, NULL, 'g' },
		{ "caption", required_argument, NULL, 'c' },
		{ "overwrite", no_argument, NULL, 'w' },
		{ "keep-original", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct input in;
	struct later later = { 0 };
	const char *path;
	int ch, status = ST_OK, verbose = 0;

	setprogname(argv[0]);
	opt.offset_min = OFFSET_UNKNOWN;
	while ((ch = getopt_long(argc, argv, "+o:t:g:c:wkvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			outdir = optarg;
			break;
		case 't':
			if (time_parse(optarg, &opt.time, &opt.offset_min) < 0)
				die(ST_USAGE, "--time %s: not an ISO 8601 date and time",
				    optarg);
			opt.has_time = opt_time = 1;
			break;
		case 'g':
			parse_gps(optarg);
			opt_gps = 1;
			break;
		case 'c':
			opt.caption = optarg;
			opt_caption = 1;
			break;
		case 'w':
			opt.overwrite = 1;
			break;
		case 'k':
			keep_original = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout, ST_OK);
			break;
		case 'V':
			print_version();
			return ST_OK;
		default:
			usage(stderr, ST_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (outdir == NULL || *outdir == '\0') {
		warnx_("-o DIR is required");
		usage(stderr, ST_USAGE);
	}
	if (outdir_ready(outdir) < 0)
		die_errno(ST_FATAL, "%s", outdir);

	input_init(&in, argc, argv);
	while ((path = input_next(&in, &status)) != NULL)
		if (process(path, &later) < 0)
			status = ST_ITEM;
	while ((path = later_next(&later)) != NULL)
		if (process(path, NULL) < 0)
			status = ST_ITEM;
	input_free(&in);
	later_free(&later);
	source_report(verbose);
	out_close();
	return status;
}
