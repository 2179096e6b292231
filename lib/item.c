/*
 * item.c -- the item record (docs/design.md): "key=value" fields, each
 * ended by a NUL, the first one ITEM_MAGIC. Values may hold any byte but
 * NUL; a key may repeat (album); unknown keys are kept, not rejected, so
 * older readers survive newer writers.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define MAXRECORD (16 << 20)	/* far beyond any real record */

static const char *kinds[] = { "unknown", "image", "video", "audio" };

const char *
kind_name(enum item_kind k)
{
	return (unsigned)k < LEN(kinds) ? kinds[k] : "unknown";
}

enum item_kind
kind_parse(const char *s)
{
	size_t i;

	for (i = 0; i < LEN(kinds); i++)
		if (strcmp(s, kinds[i]) == 0)
			return (enum item_kind)i;
	return KIND_UNKNOWN;
}

static int
cmp_ext(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/*
 * The photos and videos Immich 3.1 takes (server/src/utils/mime-types.ts:
 * camera raw formats too, which memoria's sets leave out), plus the audio
 * that mem-loudnorm takes; tests/mem-scan-formats.bats holds the image and
 * video sets to Immich's. Sorted, for bsearch: every member of an archive
 * asks.
 */
enum item_kind
kind_of_name(const char *path)
{
	enum { I = KIND_IMAGE, V = KIND_VIDEO, A = KIND_AUDIO };
	static const struct ext_kind {
		const char *ext;	/* first: cmp_ext compares it */
		unsigned char kind;
	} exts[] = {
		{ "3fr", I }, { "3gp", V }, { "3gpp", V }, { "aac", A },
		{ "aif", A }, { "aiff", A }, { "amr", A }, { "ari", I },
		{ "arw", I }, { "avi", V }, { "avif", I }, { "bmp", I },
		{ "caf", A }, { "cap", I }, { "cin", I }, { "cr2", I },
		{ "cr3", I }, { "crw", I }, { "dcr", I }, { "dng", I },
		{ "erf", I }, { "fff", I }, { "flac", A }, { "flv", V },
		{ "gif", I }, { "heic", I }, { "heif", I }, { "hif", I },
		{ "iiq", I }, { "insp", I }, { "insv", V }, { "jp2", I },
		{ "jpe", I }, { "jpeg", I }, { "jpg", I }, { "jxl", I },
		{ "k25", I }, { "kdc", I }, { "m2t", V }, { "m2ts", V },
		{ "m4a", A }, { "m4v", V }, { "mkv", V }, { "mov", V },
		{ "mp3", A }, { "mp4", V }, { "mpe", V }, { "mpeg", V },
		{ "mpg", V }, { "mpo", I }, { "mrw", I }, { "mts", V },
		{ "mxf", V }, { "nef", I }, { "nrw", I }, { "ogg", A },
		{ "opus", A }, { "orf", I }, { "ori", I }, { "pef", I },
		{ "png", I }, { "psd", I }, { "raf", I }, { "raw", I },
		{ "rw2", I }, { "rwl", I }, { "sr2", I }, { "srf", I },
		{ "srw", I }, { "svg", I }, { "tif", I }, { "tiff", I },
		{ "ts", V }, { "vob", V }, { "wav", A }, { "webm", V },
		{ "webp", I }, { "wma", A }, { "wmv", V }, { "x3f", I }
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	char ext[6];
	const void *k;
	size_t i;

	if (dot == NULL || dot[1] == '\0' || strlen(dot + 1) >= sizeof(ext))
		return KIND_UNKNOWN;
	for (i = 0; dot[i + 1] != '\0'; i++)
		ext[i] = (char)tolower((unsigned char)dot[i + 1]);
	ext[i] = '\0';
	k = bsearch(ext, exts, LEN(exts), sizeof(exts[0]), cmp_ext);
	return k != NULL ? (enum item_kind)((const struct ext_kind *)k)->kind : KIND_UNKNOWN;
}

uint64_t
fnv1a64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	while (n--) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
item_init(struct item *it)
{
	memset(it, 0, sizeof(*it));
	it->offset_min = OFFSET_UNKNOWN;
}

void
item_free(struct item *it)
{
	size_t i;

	free(it->id);
	free(it->source);
	free(it->export);
	free(it->platform);
	free(it->user);
	free(it->dest);
	free(it->time_source);
	free(it->caption);
	free(it->overlay);
	for (i = 0; i < it->nalbums; i++)
		free(it->albums[i]);
	free(it->albums);
	for (i = 0; i < it->nextra; i++)
		free(it->extra[i]);
	free(it->extra);
	item_init(it);
}

void
item_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

static void
push(char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 2) * sizeof(char *));
	(*list)[(*n)++] = xstrdup(s);
	(*list)[*n] = NULL;
}

void
item_add_album(struct item *it, const char *album)
{
	size_t i;

	for (i = 0; i < it->nalbums; i++)
		if (strcmp(it->albums[i], album) == 0)
			return;
	push(&it->albums, &it->nalbums, album);
}

static int
parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end == s || *end != '\0' || errno == ERANGE || !isfinite(*v) ? -1 : 0;
}

/* One field; -1 with *why when its value is malformed. */
static int
field(struct item *it, const char *key, size_t klen, const char *val, const char **why)
{
#define IS(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	char **str = NULL, buf[48];
	int32_t off;
	int64_t t;
	if (IS("id"))
		str = &it->id;
	else if (IS("source"))
		str = &it->source;
	else if (IS("export"))
		str = &it->export;
	else if (IS("platform"))
		str = &it->platform;
	else if (IS("user"))
		str = &it->user;
	else if (IS("dest"))
		str = &it->dest;
	else if (IS("time_source"))
		str = &it->time_source;
	else if (IS("caption"))
		str = &it->caption;
	else if (IS("overlay"))
		str = &it->overlay;
	if (str != NULL) {
		item_set(str, val);
		return 0;
	}
	if (IS("kind")) {
		it->kind = kind_parse(val);
	} else if (IS("album")) {
		item_add_album(it, val);
	} else if (IS("favorite")) {
		it->favorite = strcmp(val, "1") == 0;
	} else if (IS("time")) {
		if (time_parse(val, &it->time, &off) < 0 || off != 0) {
			*why = "bad time (want YYYY-MM-DDTHH:MM:SSZ)";
			return -1;
		}
		it->has_time = 1;
	} else if (IS("offset")) {
		/* "+02:00" alone: borrow the date parser with a dummy date */
		snprintf(buf, sizeof(buf), "2000-01-01T00:00:00%s", val);
		if (time_parse(buf, &t, &off) < 0 || off == OFFSET_UNKNOWN) {
			*why = "bad offset (want +HH:MM)";
			return -1;
		}
		it->offset_min = off;
	} else if (IS("lat") || IS("lon")) {
		double v;

		if (parse_double(val, &v) < 0 || fabs(v) > (IS("lat") ? 90 : 180)) {
			*why = "bad GPS coordinate";
			return -1;
		}
		if (IS("lat"))
			it->lat = v;
		else
			it->lon = v;
		it->has_gps |= IS("lat") ? 1 : 2;
	} else if (IS("alt")) {
		/* beyond the Mariana Trench and low orbit is a broken value */
		if (parse_double(val, &it->alt) < 0 || fabs(it->alt) > 1e6) {
			*why = "bad altitude";
			return -1;
		}
		it->has_alt = 1;
	} else {
		push(&it->extra, &it->nextra, key);	/* key=value, whole */
	}
	return 0;
#undef IS
}

int
item_parse(struct item *it, const char *buf, size_t len, const char **why)
{
	const char *p = buf, *end = buf + len, *nul, *eq;

	item_init(it);
	*why = NULL;
	if (!item_has_magic(buf, len)) {
		*why = "not an item record (no " ITEM_MAGIC " header)";
		goto bad;
	}
	p += sizeof(ITEM_MAGIC);
	while (p < end) {
		char *f;
		int rc;

		/* like a NUL stream, the last field may lack its NUL */
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL)
			nul = end;
		eq = memchr(p, '=', (size_t)(nul - p));
		if (eq == NULL || eq == p) {
			*why = "malformed field (want key=value)";
			goto bad;
		}
		f = xmemdup(p, (size_t)(nul - p));
		rc = field(it, f, (size_t)(eq - p), f + (eq - p) + 1, why);
		free(f);
		if (rc < 0)
			goto bad;
		p = nul + 1;
	}
	if (it->has_gps != 0 && it->has_gps != 3) {
		*why = "GPS needs both lat and lon";
		goto bad;
	}
	it->has_gps = it->has_gps == 3;
	if (it->source == NULL || *it->source == '\0') {
		*why = "record has no source";
		goto bad;
	}
	if (it->kind == KIND_UNKNOWN)	/* a member's kind is its name's */
		it->kind = kind_of_name(item_field(it, "member") ? item_field(it, "member") :
		    it->source);
	return 0;
bad:
	item_free(it);
	return -1;
}

static char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= MAXRECORD) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

int
item_load(struct item *it, const char *path, const char **why)
{
	size_t len;
	char *buf;
	int rc;

	*why = NULL;
	item_init(it);
	buf = slurp(path, &len);
	if (buf == NULL)
		return -1;
	rc = item_parse(it, buf, len, why);
	free(buf);
	return rc;
}

int
item_sniff(const char *path)
{
	char buf[sizeof(ITEM_MAGIC)];
	ssize_t n;
	/* O_NONBLOCK: a FIFO must not make a sniff wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	return n >= 0 && item_has_magic(buf, (size_t)n);
}

int
item_has_magic(const void *buf, size_t n)
{
	return n >= sizeof(ITEM_MAGIC) && (memcmp(buf, ITEM_MAGIC, sizeof(ITEM_MAGIC)) == 0 ||
	    memcmp(buf, ITEM_MAGIC2, sizeof(ITEM_MAGIC2)) == 0);
}

/* The value of an unknown field kept in extra, or NULL. */
const char *
item_field(const struct item *it, const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < it->nextra; i++)
		if (strncmp(it->extra[i], key, klen) == 0 && it->extra[i][klen] == '=')
			return it->extra[i] + klen + 1;
	return NULL;
}

static int
put(FILE *fp, const char *key, const char *val)
{
	if (val == NULL)
		return 0;
	return fprintf(fp, "%s=%s", key, val) < 0 || fputc('\0', fp) == EOF ? -1 : 0;
}

static int
put_double(FILE *fp, const char *key, const char *fmt, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), fmt, v);
	return put(fp, key, buf);
}

int
item_write(const struct item *it, FILE *fp)
{
	char buf[64];
	size_t i;
	int rc = 0;

	/* version 2 exactly when the media is an archive member: an old
	 * reader must refuse the record, not read the archive as media */
	if (fwrite(item_field(it, "member") != NULL ? ITEM_MAGIC2 : ITEM_MAGIC,
	    sizeof(ITEM_MAGIC), 1, fp) != 1)
		return -1;
	rc |= put(fp, "id", it->id);
	rc |= put(fp, "source", it->source);
	rc |= put(fp, "export", it->export);
	rc |= put(fp, "platform", it->platform);
	rc |= put(fp, "user", it->user);
	rc |= put(fp, "dest", it->dest);
	if (it->kind != KIND_UNKNOWN)
		rc |= put(fp, "kind", kind_name(it->kind));
	if (it->has_time) {
		time_format(it->time, OFFSET_UNKNOWN, buf, sizeof(buf));
		rc |= put(fp, "time", buf);
		if (it->offset_min != OFFSET_UNKNOWN) {
			int off = it->offset_min < 0 ? -it->offset_min : it->offset_min;

			snprintf(buf, sizeof(buf), "%c%02d:%02d",
			    it->offset_min < 0 ? '-' : '+', off / 60, off % 60);
			rc |= put(fp, "offset", buf);
		}
		rc |= put(fp, "time_source", it->time_source);
	}
	if (it->has_gps) {
		rc |= put_double(fp, "lat", "%.7f", it->lat);
		rc |= put_double(fp, "lon", "%.7f", it->lon);
		if (it->has_alt)
			rc |= put_double(fp, "alt", "%.2f", it->alt);
	}
	for (i = 0; i < it->nalbums; i++)
		rc |= put(fp, "album", it->albums[i]);
	rc |= put(fp, "caption", it->caption);
	rc |= put(fp, "overlay", it->overlay);
	if (it->favorite)
		rc |= put(fp, "favorite", "1");
	for (i = 0; i < it->nextra; i++)
		if (fwrite(it->extra[i], strlen(it->extra[i]) + 1, 1, fp) != 1)
			rc = -1;
	return rc || ferror(fp) ? -1 : 0;
}

int
item_save(const struct item *it, const char *path)
{
	struct atomic a;

	if (atomic_open(&a, path, "") < 0)
		return -1;
	if (item_write(it, a.fp) < 0) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a);
}
