/*
 * gphotos.c -- Google Photos in a Takeout: album folders of media with JSON
 * sidecars. Matches sidecars through every Takeout name quirk, keeps every
 * album a photo is in, and processes identical content once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXJSON (16 << 20)

/*
 * One file below Google Photos/<album>/: 56 bytes, since a Takeout has
 * 100,000 of them. A media file keeps its EXIF wall clock, a sidecar what
 * it parsed to, packed as memo.cache keeps it (meta_pack(): the bytes are
 * memo.cache's own when it had them or keeps them now), or why it did not
 * parse (rare: a structure of its own).
 */
struct gfile {
	const char *album;	/* the album folder name, in f->rel */
	const char *base;	/* file name, in f->rel */
	char	*key;		/* sidecars: the media name it describes */
	char	*title;		/* the album's title, owned by its first file */
	union {
		int64_t	 wall;	/* media: EXIF DateTimeOriginal as if UTC */
		const unsigned char *packed;	/* sidecar, parsed == 1 */
		struct gbad *bad;	/* sidecar, parsed < 0 */
	} u;
	uint32_t idx;		/* ex->files */
	uint32_t alen;
	int	 dfd;		/* its directory, open (-1: use the export's) */
	signed char parsed;	/* 0 not yet, 1 ok, -1 bad, -2 bad and said */
	signed char walled;	/* media: 0 not read, 1 wall clock found, -1 none */
	unsigned char used;	/* sidecar matched by some media */
	unsigned char owned;	/* u.packed is ours to free (else memo.cache's) */
};

/* Why a sidecar did not parse. */
struct gbad {
	const char *why;	/* a reason, or NULL and err */
	int	 err;
	char	*rwhy;		/* an archive's reason for err (owned), or NULL */
};

/* The most meta_pack() output memo.cache takes. */
#define MEMO_META_MAX 16384

/* Takeout's root folder names ("Google Photos" in other languages too). */
static const char *roots[] = { "Google Photos", "Google Fotos", "Google Foto",
    "Fotky Google", "Google \xd0\xa4\xd0\xbe\xd1\x82\xd0\xbe",
    "Google \xd0\xa1\xd0\xbd\xd0\xb8\xd0\xbc\xd0\xba\xd0\xb8" };

int gp_include_trashed, gp_include_locked, gp_skip_partner;

/* Google's own folders, which are not albums the user made. */
enum { SPECIAL_NONE, SPECIAL_TRASH, SPECIAL_ARCHIVE, SPECIAL_LOCKED, SPECIAL_FAILED };
static const struct {
	const char *name;
	int	 kind;
} specials[] = {
	{ "Trash", SPECIAL_TRASH }, { "Bin", SPECIAL_TRASH },
	{ "Corbeille", SPECIAL_TRASH }, { "Papierkorb", SPECIAL_TRASH },
	{ "Papelera", SPECIAL_TRASH }, { "Cestino", SPECIAL_TRASH },
	{ "Prullenbak", SPECIAL_TRASH }, { "Lixeira", SPECIAL_TRASH },
	{ "Kosz", SPECIAL_TRASH }, { "Ko\xc5\xa1", SPECIAL_TRASH },
	{ "Archive", SPECIAL_ARCHIVE }, { "Archiv", SPECIAL_ARCHIVE },
	{ "Archives", SPECIAL_ARCHIVE }, { "Archivio", SPECIAL_ARCHIVE },
	{ "Archivo", SPECIAL_ARCHIVE }, { "Archief", SPECIAL_ARCHIVE },
	{ "Arquivo", SPECIAL_ARCHIVE },
	{ "Locked Folder", SPECIAL_LOCKED },
	{ "Failed Videos", SPECIAL_FAILED },
};

static int
special_folder(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < LEN(specials); i++)
		if (strlen(specials[i].name) == n && memcmp(a, specials[i].name, n) == 0)
			return specials[i].kind;
	return SPECIAL_NONE;
}

/* The album's own metadata file, named in the user's language. */
static const char *album_meta[] = { "metadata.json",
    "m\xc3\xa9tadonn\xc3\xa9\x65s.json", "metadati.json", "metad\xc3\xa1ta.json",
    "Metadaten.json", "metadatos.json", "metadades.json", "metadados.json",
    "\xd0\xbc\xd0\xb5\xd1\x82\xd0\xb0\xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5.json",
    "\xd0\xbc\xd0\xb5\xd1\x82\xd0\xb0\xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb8.json" };

/* "Edited" suffixes that Takeout appends in the user's language. */
static const char *edited[] = { "-edited", "-bearbeitet", "-modifi\xc3\xa9",
    "-modifie", "-editado", "-modificato", "-bewerkt", "-redigerad",
    "-redigeret", "-muokattu", "-edytowane", "-upraveno", "-editat",
    "-\xe7\xb7\xa8\xe9\x9b\x86\xe6\xb8\x88\xe3\x81\xbf",
    "-\xd0\xbe\xd1\x82\xd1\x80\xd0\xb5\xd0\xb4\xd0\xb0\xd0\xba\xd1\x82\xd0\xb8\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe",
    "-\xe7\xbc\x96\xe8\xbe\x91", "-\xed\x8e\xb8\xec\xa7\x91\xeb\x90\xa8",
    "-\xd0\xb2\xd1\x96\xd0\xb4\xd1\x80\xd0\xb5\xd0\xb4\xd0\xb0\xd0\xb3\xd0\xbe\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe",
    "-upraven\xc3\xa9", "-ha editado", "-effects", "-smile", "-mix",
    "-editat", "-editada", "-diedit",
    /* GooglePhotosTakeoutHelper's list (extras.dart), and macOS's NFD */
    "-\xe5\xb7\xb2\xe7\xbc\x96\xe8\xbe\x91",
    "-d\xc3\xbczenlendi",
    "-\xd8\xaa\xd9\x85 \xd8\xa7\xd9\x84\xd8\xaa\xd8\xb9\xd8\xaf\xd9\x8a\xd9\x84",
    "-\xe0\xa4\xb8\xe0\xa4\x82\xe0\xa4\xaa\xe0\xa4\xbe\xe0\xa4\xa6\xe0\xa4\xbf\xe0\xa4\xa4",
    "-\xc4\x91\xc3\xa3 ch\xe1\xbb\x89nh s\xe1\xbb\xad""a",
    "-\xe0\xb9\x81\xe0\xb8\x81\xe0\xb9\x89\xe0\xb9\x84\xe0\xb8\x82\xe0\xb9\x81\xe0\xb8\xa5\xe0\xb9\x89\xe0\xb8\xa7",
    "-modifie\xcc\x81",
    "-upravene\xcc\x81" };

static int
is_root(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < LEN(roots); i++)
		if (strlen(roots[i]) == n && memcmp(s, roots[i], n) == 0)
			return 1;
	return 0;
}

/* An album's metadata file (any language), not a photo's sidecar. */
static int
is_album_meta(const char *base)
{
	size_t i;

	for (i = 0; i < LEN(album_meta); i++)
		if (strcmp(base, album_meta[i]) == 0)
			return 1;
	return 0;
}

/* "(N)" at the end of s[0..n): its start, or n. */
static size_t
paren_index(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || s[n - 1] != ')')
		return n;
	for (i = n - 2; i > 0 && s[i] >= '0' && s[i] <= '9'; i--)
		;
	return i < n - 2 && s[i] == '(' ? i : n;
}

/*
 * The media name a sidecar describes, from the sidecar's name:
 *   IMG.jpg.json				IMG.jpg
 *   IMG.jpg.supplemental-metadata.json		IMG.jpg (and any truncation:
 *   IMG.jpg.supplemental-met.json, IMG.jpg.s.json, IMG.jpg..json)
 *   IMG.jpg.supplemental-metadata(1).json	IMG(1).jpg
 *   IMG.jpg(1).json				IMG(1).jpg
 *   a name cut at Takeout's 47/51 limits	the cut name (prefix match later)
 * Returns the key's length (written to key), 0 when the name is not a
 * sidecar's (not .json, or the album's own metadata.json).
 */
size_t
gp_json_key(const char *name, char *key, size_t size)
{
	static const char supp[] = "supplemental-metadata";
	size_t n = strlen(name), p, dot, i, klen;
	char num[24] = "";

	if (n <= 5 || strcasecmp(name + n - 5, ".json") != 0)
		return 0;
	n -= 5;
	if (is_album_meta(name))
		return 0;
	p = paren_index(name, n);
	if (p < n) {
		if (n - p >= sizeof(num))
			return 0;
		memcpy(num, name + p, n - p);
		num[n - p] = '\0';
		n = p;
	}
	for (dot = n; dot > 0 && name[dot - 1] != '.'; dot--)
		;
	if (dot > 1) {
		size_t sl = n - dot;
		int isupp = sl <= sizeof(supp) - 1;

		for (i = 0; isupp && i < sl; i++)
			if ((name[dot + i] | 0x20) != supp[i] && name[dot + i] != supp[i])
				isupp = 0;
		/* ".supp…" needs a media extension before it */
		if (isupp && memchr(name, '.', dot - 1) != NULL)
			n = dot - 1;
	}
	klen = n + strlen(num);
	if (klen + 1 > size || n == 0)
		return 0;
	if (*num) {
		for (dot = n; dot > 0 && name[dot - 1] != '.'; dot--)
			;
		if (dot > 1) {	/* IMG.jpg + (1) = IMG(1).jpg */
			memcpy(key, name, dot - 1);
			memcpy(key + dot - 1, num, strlen(num));
			memcpy(key + dot - 1 + strlen(num), name + dot - 1, n - dot + 1);
		} else {
			memcpy(key, name, n);
			memcpy(key + n, num, strlen(num));
		}
	} else {
		memcpy(key, name, n);
	}
	key[klen] = '\0';
	return klen;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Index of key s in the sorted keys, or -1. */
static int
find(const char *s, char *const *keys, size_t n)
{
	char *const *hit;

	if (n == 0)	/* keys can be NULL, which bsearch does not take */
		return -1;
	hit = bsearch(&s, keys, n, sizeof(*keys), cmp_str);
	return hit ? (int)(hit - keys) : -1;
}

/* A key "STEM.ext" with the same stem and another extension (Live Photo:
 * IMG_1.MOV uses IMG_1.HEIC's sidecar), or a key equal to the stem. */
static int
find_stem(const char *stem, size_t slen, char *const *keys, size_t n)
{
	size_t lo = 0, hi = n;
	char *s = xmemdup(stem, slen);
	int r = find(s, keys, n);

	free(s);
	if (r >= 0)
		return r;
	while (lo < hi) {	/* first key >= stem */
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(keys[mid], stem, slen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strncmp(keys[lo], stem, slen) == 0; lo++)
		if (keys[lo][slen] == '.' && strchr(keys[lo] + slen + 1, '.') == NULL &&
		    keys[lo][slen + 1] != '\0')
			return (int)lo;
	return -1;
}

/*
 * Keys of names cut at Takeout's limits: each cut of base (the media name
 * without its "(N)") from its full length down to 30 bytes, with num put
 * back where Takeout puts it (before the cut name's last dot, else at the
 * end): "X_n.jpg" + "(1)" finds "X_n(1).j", "X_m.jpg" + "(494)" finds
 * "X_(494)". The 30-byte floor keeps short names from matching by accident.
 */
static int
find_cut(const char *base, const char *num, char *const *keys, size_t n)
{
	size_t blen = strlen(base), nlen = strlen(num), i, d;
	char *t = xmalloc(blen + nlen + 1);
	int r = -1;

	for (i = blen; i >= 30 && r < 0; i--) {
		if (i == blen && nlen == 0)
			continue;	/* the whole name: find() did it */
		for (d = i; d > 0 && base[d - 1] != '.'; d--)
			;
		if (d == 0)
			d = i + 1;
		memcpy(t, base, d - 1);
		memcpy(t + d - 1, num, nlen);
		memcpy(t + d - 1 + nlen, base + d - 1, i - (d - 1));
		t[i + nlen] = '\0';
		r = find(t, keys, n);
	}
	free(t);
	return r;
}

/*
 * The sidecar of a media file among an album's sorted keys, or -1:
 *   the exact name;
 *   "-edited" (or a localized suffix), with or without a "(N)" after it,
 *   using the original's key (X(1)-editat(1).jpg uses X(1)(1).jpg's);
 *   the same stem with another extension (Live Photo MOV/MP4 beside a
 *   HEIC/JPG);
 *   a name cut at Takeout's limits, its "(N)" kept apart (find_cut);
 *   a "(N)" copy whose sidecar was cut before the "(N)" and the stem's
 *   end (X_P(1).jpg uses X_.json, the "forgotten duplicate").
 * A "(N)" never matches a sidecar of another N, nor the un-numbered
 * sidecar of a whole name (DSC_0104(1).JPG is not DSC_0104.JPG).
 */
int
gp_match(const char *media, char *const *keys, size_t n)
{
	const char *dot = strrchr(media, '.');
	size_t mlen = strlen(media), slen = dot && dot != media ? (size_t)(dot - media) : mlen;
	size_t i, el, p, core;
	char num[24] = "", *base, *t;
	int r;

	if (n == 0 || mlen == 0)
		return -1;
	if ((r = find(media, keys, n)) >= 0)
		return r;
	/* the stem without its "(N)" */
	p = paren_index(media, slen);
	if (p < slen && slen - p < sizeof(num)) {
		memcpy(num, media + p, slen - p);
		num[slen - p] = '\0';
	} else {
		p = slen;
	}
	core = p;
	for (i = 0; i < LEN(edited); i++) {
		el = strlen(edited[i]);
		if (core > el && strncasecmp(media + core - el, edited[i], el) == 0) {
			t = xasprintf("%.*s%s%s", (int)(core - el), media, num, media + slen);
			r = find(t, keys, n);
			if (r < 0)
				r = find_stem(t, core - el + strlen(num), keys, n);
			free(t);
			if (r >= 0)
				return r;
		}
	}
	if ((r = find_stem(media, slen, keys, n)) >= 0)
		return r;
	base = xasprintf("%.*s%s", (int)core, media, media + slen);
	r = find_cut(base, num, keys, n);
	if (r < 0 && *num) {
		/* the forgotten duplicate: a sidecar cut inside the stem */
		t = xmemdup(media, core);
		for (i = core; i > 30 && r < 0; i--) {	/* core is 0 for "(1).jpg" */
			t[i - 1] = '\0';
			r = find(t, keys, n);
		}
		free(t);
	}
	free(base);
	return r;
}

static int
epoch(json_t *o, const char *name, int64_t *t)
{
	json_t *v = json_object_get(json_object_get(o, name), "timestamp");
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		*t = (int64_t)json_integer_value(v);
		return *t > 0 ? 0 : -1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || n <= 0 || n > 32503680000LL)
		return -1;
	*t = (int64_t)n;
	return 0;
}

static int
geo(json_t *o, const char *name, struct gp_meta *m)
{
	json_t *g = json_object_get(o, name);
	json_t *la = json_object_get(g, "latitude"), *lo = json_object_get(g, "longitude");
	json_t *al = json_object_get(g, "altitude");

	if (!json_is_number(la) || !json_is_number(lo))
		return -1;
	m->lat = json_number_value(la);
	m->lon = json_number_value(lo);
	if (m->lat == 0 && m->lon == 0)
		return -1;	/* (0,0) is Google's "no location" */
	if (m->lat < -90 || m->lat > 90 || m->lon < -180 || m->lon > 180)
		return -1;
	m->has_gps = 1;
	m->has_alt = json_is_number(al) && json_number_value(al) != 0;
	m->alt = m->has_alt ? json_number_value(al) : 0;
	return 0;
}

static char *
str(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0 ?
	    xstrdup(json_string_value(v)) : NULL;
}

/*
 * A sidecar: time from photoTakenTime (epoch seconds, UTC), else
 * creationTime; place from geoData, else geoDataExif; description, title,
 * favorited. Returns 0, or -1 with *why when it is not a sidecar.
 */
int
gp_parse(const char *buf, size_t len, struct gp_meta *m, const char **why)
{
	json_error_t err;
	json_t *root;

	memset(m, 0, sizeof(*m));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (root == NULL) {
		*why = len == 0 ? "empty JSON file" : "malformed or truncated JSON";
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*why = "not a JSON object";
		return -1;
	}
	if (epoch(root, "photoTakenTime", &m->time) == 0 ||
	    epoch(root, "creationTime", &m->time) == 0)
		m->has_time = 1;
	if (geo(root, "geoData", m) < 0)
		geo(root, "geoDataExif", m);
	m->title = str(root, "title");
	m->description = str(root, "description");
	m->favorite = json_is_true(json_object_get(root, "favorited"));
	m->trashed = json_is_true(json_object_get(root, "trashed"));
	m->archived = json_is_true(json_object_get(root, "archived"));
	m->locked = json_is_true(json_object_get(root, "inLockedFolder"));
	/* present at all means shared by a partner (immich-go reads it so) */
	m->partner = json_object_get(json_object_get(root, "googlePhotosOrigin"),
	    "fromPartnerSharing") != NULL;
	json_decref(root);
	if (!m->has_time && m->title == NULL) {
		gp_meta_free(m);
		*why = "not a Google Photos sidecar (no title, no time)";
		return -1;
	}
	return 0;
}

void
gp_meta_free(struct gp_meta *m)
{
	free(m->title);
	free(m->description);
	memset(m, 0, sizeof(*m));
}

/* "Photos from 2023" and its translations are the year folders, not
 * albums the user made. */
static int
year_folder(const char *a, size_t n)
{
	size_t i;

	if (n < 10 || a[n - 5] != ' ')
		return 0;
	for (i = n - 4; i < n; i++)
		if (a[i] < '0' || a[i] > '9')
			return 0;
	return strncmp(a, "Photos ", 7) == 0 || strncmp(a, "Fotos ", 6) == 0 ||
	    strncmp(a, "Foto ", 5) == 0;
}

static int
cmp_gfile(const void *a, const void *b)
{
	const struct gfile *x = a, *y = b;
	int c = x->alen == y->alen ? memcmp(x->album, y->album, x->alen) :
	    strncmp(x->album, y->album, x->alen < y->alen ? x->alen : y->alen);

	if (c == 0 && x->alen != y->alen)
		return x->alen < y->alen ? -1 : 1;
	if (c != 0)
		return c;
	if ((x->key != NULL) != (y->key != NULL))
		return x->key ? 1 : -1;
	if (x->key)
		return strcmp(x->key, y->key);
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Takeouts without a "Google Photos" folder: the year folders ("Photos
 * from 2019/") sit at the top, or under Takeout/. The folder holding a year
 * folder with a sidecar in it is a root. Found once an export, in detect().
 */
static char **bare_roots;
static size_t nbare;

static void
find_bare_roots(struct export *ex)
{
	size_t i, k, plen;
	char key[4096];

	for (i = 0; i < nbare; i++)
		free(bare_roots[i]);
	nbare = 0;
	for (i = 0; i < ex->nfiles; i++) {
		const char *rel = ex->files[i].rel, *base = strrchr(rel, '/'), *yr;

		if (base == NULL || gp_json_key(base + 1, key, sizeof(key)) == 0)
			continue;
		for (yr = base; yr > rel && yr[-1] != '/'; yr--)
			;
		if (!year_folder(yr, (size_t)(base - yr)))
			continue;
		plen = yr > rel ? (size_t)(yr - rel - 1) : 0;
		for (k = 0; k < nbare; k++)
			if (strlen(bare_roots[k]) == plen && memcmp(bare_roots[k], rel, plen) == 0)
				break;
		if (k < nbare)
			continue;
		bare_roots = xrealloc(bare_roots, (nbare + 1) * sizeof(*bare_roots));
		bare_roots[nbare++] = xmemdup(rel, plen);
	}
}

/* Where "Google Photos/" starts in rel: both Takeout/… and takeout-*\/
 * parts, any depth; only ROOT/ALBUM/FILE counts. Else a bare root's
 * ALBUM/FILE. */
static int
split(const char *rel, const char **album, size_t *alen, const char **base)
{
	const char *p = rel, *s, *e;
	size_t i, plen;

	for (;;) {
		s = strchr(p, '/');
		if (s == NULL)
			break;
		if (is_root(p, (size_t)(s - p))) {
			e = strchr(s + 1, '/');
			if (e == NULL || strchr(e + 1, '/') != NULL)
				return -1;
			*album = s + 1;
			*alen = (size_t)(e - s - 1);
			*base = e + 1;
			return 0;
		}
		p = s + 1;
	}
	for (i = 0; i < nbare; i++) {
		plen = strlen(bare_roots[i]);
		if (plen > 0 && (strncmp(rel, bare_roots[i], plen) != 0 || rel[plen] != '/'))
			continue;
		s = plen > 0 ? rel + plen + 1 : rel;
		e = strchr(s, '/');
		if (e == NULL || e == s || strchr(e + 1, '/') != NULL)
			continue;
		*album = s;
		*alen = (size_t)(e - s);
		*base = e + 1;
		return 0;
	}
	return -1;
}

static int
detect(struct export *ex)
{
	const char *a, *b;
	size_t i, n;

	find_bare_roots(ex);
	for (i = 0; i < ex->nfiles; i++)
		if (split(ex->files[i].rel, &a, &n, &b) == 0)
			return 1;
	return 0;
}

/* A sidecar's bytes, without messages (worker threads call it). */
/* Open a file of the album: from its directory when that is open, so
 * 50,000 opens do not each walk Takeout/Google Photos/ALBUM/. */
static struct fh *
gopen(const struct export *ex, const struct gfile *g)
{
	int fd;

	if (g->dfd >= 0)
		return (fd = openat(g->dfd, g->base, O_RDONLY | O_CLOEXEC)) < 0 ? NULL :
		    fh_fd(fd);
	return file_open(ex, &ex->files[g->idx]);
}

/* The bytes of a sidecar; with mk, its identity for memo.cache first. */
static char *
read_all(const struct export *ex, struct gfile *g, size_t *len, int *err, char **rwhy,
    struct memo_key *mk, int *has_mk)
{
	size_t n = 0, cap = 8192;
	char *buf;
	ssize_t r;
	struct fh *fd;
	struct stat st;

	if ((fd = gopen(ex, g)) == NULL) {
		*err = errno;
		return NULL;
	}
	/* the identity before the bytes: a later write can only move it */
	if (mk != NULL && !*has_mk && ex->files[g->idx].part != 0)
		*has_mk = member_memo_key(ex, &ex->files[g->idx], MEMO_GP_SIDECAR, mk) == 0;
	else if (mk != NULL && !*has_mk && fh_fileno(fd) >= 0 &&
	    fstat(fh_fileno(fd), &st) == 0)
		*has_mk = memo_key_of(&st, MEMO_GP_SIDECAR, mk) == 0;
	buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > MAXJSON) {
				*err = EFBIG;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = fh_read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				*err = errno;
			if (r < 0 && fh_why(fd) != NULL)
				*rwhy = xstrdup(fh_why(fd));
			break;
		}
		n += (size_t)r;
	}
	fh_close(fd);
	if (*err != 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * A parsed sidecar as memo.cache keeps it: a flag byte, the time, the
 * place, then the title and the description, each a 32-bit length + 1
 * (0: none) and its bytes.
 */
static size_t
meta_pack(const struct gp_meta *m, unsigned char *out, size_t size)
{
	const char *s[2] = { m->title, m->description };
	size_t n = 0, i, l;
	uint32_t l32;

	if (size < 1 + 8 + 3 * 8 + 8)
		return 0;
	out[n++] = (unsigned char)((m->has_time != 0) | (m->has_gps != 0) << 1 |
	    (m->has_alt != 0) << 2 | (m->favorite != 0) << 3 | (m->trashed != 0) << 4 |
	    (m->archived != 0) << 5 | (m->locked != 0) << 6 | (m->partner != 0) << 7);
	memcpy(out + n, &m->time, 8);
	memcpy(out + n + 8, &m->lat, 8);
	memcpy(out + n + 16, &m->lon, 8);
	memcpy(out + n + 24, &m->alt, 8);
	n += 32;
	for (i = 0; i < 2; i++) {
		l = s[i] ? strlen(s[i]) : 0;
		if (l >= UINT32_MAX || size - n < 4 + l)
			return 0;
		l32 = s[i] ? (uint32_t)l + 1 : 0;
		memcpy(out + n, &l32, 4);
		if (l > 0)
			memcpy(out + n + 4, s[i], l);
		n += 4 + l;
	}
	return n;
}

static int
meta_unpack(const unsigned char *p, size_t len, struct gp_meta *m)
{
	char **s[2] = { &m->title, &m->description };
	size_t n = 33, i;
	uint32_t l32;

	memset(m, 0, sizeof(*m));
	if (len < n)
		return -1;
	m->has_time = p[0] & 1;
	m->has_gps = p[0] >> 1 & 1;
	m->has_alt = p[0] >> 2 & 1;
	m->favorite = p[0] >> 3 & 1;
	m->trashed = p[0] >> 4 & 1;
	m->archived = p[0] >> 5 & 1;
	m->locked = p[0] >> 6 & 1;
	m->partner = p[0] >> 7 & 1;
	memcpy(&m->time, p + 1, 8);
	memcpy(&m->lat, p + 9, 8);
	memcpy(&m->lon, p + 17, 8);
	memcpy(&m->alt, p + 25, 8);
	for (i = 0; i < 2; i++) {
		if (len - n < 4)
			goto bad;
		memcpy(&l32, p + n, 4);
		n += 4;
		if (l32 == 0)
			continue;
		if (len - n < (size_t)l32 - 1 || memchr(p + n, '\0', (size_t)l32 - 1) != NULL)
			goto bad;
		*s[i] = xmemdup((const char *)p + n, (size_t)l32 - 1);
		n += (size_t)l32 - 1;
	}
	if (n == len)
		return 0;
bad:
	gp_meta_free(m);
	return -1;
}

/* The length of meta_pack()'s bytes at p, which are whole. */
static size_t
packed_len(const unsigned char *p)
{
	size_t n = 33, i;
	uint32_t l32;

	for (i = 0; i < 2; i++) {
		memcpy(&l32, p + n, 4);
		n += 4 + (l32 > 0 ? (size_t)l32 - 1 : 0);
	}
	return n;
}

/* Whether memo.cache (only there with -o) may know this file: then its
 * identity is taken now, before any read (in *st for a file; a member's
 * size and mtime come from its listing). Its answer, or NULL. */
static const void *
memo_look(const struct export *ex, const struct gfile *g, unsigned kind, struct stat *st,
    struct memo_key *mk, int *has_mk, size_t *len)
{
	const struct file *f = &ex->files[g->idx];

	if (*has_mk)
		return NULL;
	if (f->part != 0)
		*has_mk = member_memo_key(ex, f, kind, mk) == 0;
	else if (g->dfd >= 0 && fstatat(g->dfd, g->base, st, 0) == 0)
		*has_mk = memo_key_of(st, kind, mk) == 0;
	return *has_mk ? memo_get(mk, len) : NULL;
}

/* A parsed sidecar kept packed; with mk, in memo.cache too (one copy). */
static void
keep_meta(struct gfile *g, const struct gp_meta *m, const struct memo_key *mk)
{
	size_t size = 41 + (m->title ? strlen(m->title) : 0) +
	    (m->description ? strlen(m->description) : 0), n;
	unsigned char *buf = xmalloc(size);
	const void *kept;

	if ((n = meta_pack(m, buf, size)) == 0)
		die(ST_FATAL, "a sidecar's fields are too long");	/* > 4 GB */
	if (mk != NULL && n <= MEMO_META_MAX && (kept = memo_keep(mk, buf, n)) != NULL) {
		free(buf);
		g->u.packed = kept;
		g->owned = 0;
	} else {
		g->u.packed = buf;
		g->owned = 1;
	}
	g->parsed = 1;
}

/* Workers call it: what it finds waits in g for meta_of(). */
static void
parse_one(const struct export *ex, struct gfile *g)
{
	struct gbad bad = { NULL, 0, NULL };
	struct gp_meta m;
	struct memo_key mk;
	struct stat st;
	const void *memo;
	size_t len;
	char *buf;
	int has_mk = 0, ok = 0;

	if (memo_on() && memo_any()) {
		memo = memo_look(ex, g, MEMO_GP_SIDECAR, &st, &mk, &has_mk, &len);
		if (memo != NULL && meta_unpack(memo, len, &m) == 0) {
			gp_meta_free(&m);
			g->u.packed = memo;	/* taken from there: kept there */
			g->owned = 0;
			g->parsed = 1;
			return;
		}
	}
	if ((buf = read_all(ex, g, &len, &bad.err, &bad.rwhy, memo_on() ? &mk : NULL,
	    &has_mk)) != NULL) {
		ok = gp_parse(buf, len, &m, &bad.why) == 0;
		free(buf);
	}
	if (ok) {
		keep_meta(g, &m, has_mk ? &mk : NULL);
		gp_meta_free(&m);
		return;
	}
	g->u.bad = xmalloc(sizeof(*g->u.bad));
	*g->u.bad = bad;
	g->parsed = -1;
}

/*
 * What dedup and offsets need of a media file: its size and mtime, and a
 * photo's EXIF wall clock (DateTimeOriginal of a JPEG, HEIF or TIFF), read
 * once. Worker threads call it; each touches only its own file.
 */
static void
read_wall(const struct export *ex, struct gfile *g)
{
	struct file *f = &ex->files[g->idx];
	struct stat st;
	int64_t utc;
	int32_t off;
	struct fh *fd;
	struct memo_key mk;
	const void *memo = NULL;
	size_t memolen = 0;
	unsigned char kept[9];
	int pfd, has_mk = 0;

	g->walled = -1;
	if (!has_wall_clock(f->rel)) {
		if (!f->stated && g->dfd >= 0 && fstatat(g->dfd, g->base, &st, 0) == 0) {
			f->size = st.st_size;
			f->mtime = (int64_t)st.st_mtime;
			f->stated = 1;
		} else {
			(void)file_stat(ex, f);
		}
		return;
	}
	if (memo_on() && memo_any()) {
		memo = memo_look(ex, g, MEMO_GP_WALL, &st, &mk, &has_mk, &memolen);
		if (has_mk && !f->stated) {
			f->size = st.st_size;
			f->mtime = (int64_t)st.st_mtime;
			f->stated = 1;
		}
		/* the answer kept: 1 and the wall clock, or 0 for none */
		if (memo != NULL && memolen == 9) {
			g->walled = ((const unsigned char *)memo)[0] ? 1 : -1;
			memcpy(&g->u.wall, (const unsigned char *)memo + 1, 8);
			return;
		}
	}
	if ((fd = gopen(ex, g)) == NULL) {
		(void)file_stat(ex, f);
		return;
	}
	if ((!f->stated || (memo_on() && !has_mk)) && (pfd = fh_fileno(fd)) >= 0 &&
	    fstat(pfd, &st) == 0) {
		f->size = st.st_size;
		f->mtime = (int64_t)st.st_mtime;
		f->stated = 1;
		if (memo_on() && !has_mk && ex->files[g->idx].part == 0)
			has_mk = memo_key_of(&st, MEMO_GP_WALL, &mk) == 0;
	}
	if (memo_on() && !has_mk && f->part != 0)
		has_mk = member_memo_key(ex, f, MEMO_GP_WALL, &mk) == 0;
	errno = 0;
	if (wall_time(fd, f->rel, f->size, &utc, &off) == 0) {
		g->u.wall = utc + (off == OFFSET_UNKNOWN ? 0 : (int64_t)off * 60);
		g->walled = 1;
	} else if (errno != 0) {
		has_mk = 0;	/* a read error is no answer to keep */
	}
	fh_close(fd);
	/* what this read found goes to memo.cache for the next scan */
	if (has_mk) {
		kept[0] = g->walled == 1;
		memcpy(kept + 1, &g->u.wall, 8);
		memo_put(&mk, kept, 9);
	}
}

/*
 * Google gives the instant in UTC and no zone; the camera's EXIF gives the
 * wall clock. Their difference, when it is a whole quarter hour within
 * +-14 h (a minute of slack), is the offset the photo was taken at.
 */
static int32_t
offset_of(struct export *ex, struct gfile *g, int64_t utc)
{
	int64_t d, q;

	if (g->walled == 0)
		read_wall(ex, g);
	if (g->walled != 1)
		return OFFSET_UNKNOWN;
	d = g->u.wall - utc;
	q = (d >= 0 ? d + 450 : d - 450) / 900 * 900;
	if (q < -14 * 3600 || q > 14 * 3600 || d - q > 60 || q - d > 60)
		return OFFSET_UNKNOWN;
	return (int32_t)(q / 60);
}

/* Parse a sidecar once, however many media use it; say why once. Its
 * fields in *m (gp_meta_free() it), or NULL. */
static struct gp_meta *
meta_of(struct export *ex, struct gfile *g, struct gp_meta *m)
{
	if (g->parsed == 0)
		parse_one(ex, g);
	if (g->parsed == -1) {
		const struct gbad *b = g->u.bad;

		if (b->why != NULL)
			scan_warn(ex, ex->files[g->idx].rel, "%s", b->why);
		else if (b->err != 0) {
			scan_warn(ex, ex->files[g->idx].rel, "%s", b->rwhy ? b->rwhy :
			    strerror(b->err));
			ex->status = ST_ITEM;
		}
		g->parsed = -2;	/* told */
	}
	if (g->parsed != 1 || meta_unpack(g->u.packed, packed_len(g->u.packed), m) < 0)
		return NULL;
	return m;
}

/*
 * Reading and parsing 50,000 sidecars is most of a scan: spread it over
 * the CPUs. Workers only fill their gfile; messages wait for meta_of().
 * The files are dealt in lanes, one an archive part (lane 0: plain
 * files): libzip reads a part under its lock, so two workers in one part
 * would wait for each other at every member. A worker keeps to its lane,
 * moves to one nobody reads, and shares one only when all are taken.
 */
#define CHUNK	64

struct lane {
	size_t	 next, end;	/* in pool.order */
	int	 readers;	/* workers in it */
};

struct pool {
	const struct export *ex;
	struct gfile *gf;
	uint32_t *order;	/* gf indices, lane by lane */
	struct lane *lane;
	size_t	 nlanes;
	pthread_mutex_t mu;
};

/* The lane a worker takes its next chunk from (in *at, -1: none left),
 * with p->mu held: its own while that has files, else the one with the
 * most left among those nobody reads, else among all. */
static void
pick_lane(struct pool *p, long *at)
{
	size_t i, left, most = 0;
	long pick = -1;
	int alone, pickalone = 0;

	if (*at >= 0 && p->lane[*at].next < p->lane[*at].end)
		return;
	for (i = 0; i < p->nlanes; i++) {
		if ((left = p->lane[i].end - p->lane[i].next) == 0)
			continue;
		alone = p->lane[i].readers == 0;
		if (pick < 0 || alone > pickalone || (alone == pickalone && left > most)) {
			pick = (long)i;
			pickalone = alone;
			most = left;
		}
	}
	if (*at >= 0)
		p->lane[*at].readers--;
	if (pick >= 0)
		p->lane[pick].readers++;
	*at = pick;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	long at = -1;
	size_t i, end;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		pick_lane(p, &at);
		if (at < 0) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->lane[at].next;
		end = p->lane[at].end - i > CHUNK ? i + CHUNK : p->lane[at].end;
		p->lane[at].next = end;
		pthread_mutex_unlock(&p->mu);
		for (; i < end; i++) {
			struct gfile *g = &p->gf[p->order[i]];

			if (g->key != NULL)
				parse_one(p->ex, g);
			else
				read_wall(p->ex, g);
		}
	}
}

static void
parse_all(const struct export *ex, struct gfile *gf, size_t n)
{
	pthread_t th[8];
	struct pool p;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu, started = 0;
	size_t i, l, at;

	json_object_seed(0);	/* before threads, as jansson asks */
	memset(&p, 0, sizeof(p));
	p.ex = ex;
	p.gf = gf;
	p.nlanes = ex->nparts + 1;
	p.lane = xcalloc(p.nlanes, sizeof(*p.lane));
	p.order = xcalloc(n > 0 ? n : 1, sizeof(*p.order));
	/* sorted by part, each part's files in their order: count them, then
	 * deal them, end moving up from the lane's start to its end */
	for (i = 0; i < n; i++)
		p.lane[ex->files[gf[i].idx].part].end++;
	for (l = 0, at = 0; l < p.nlanes; l++) {
		p.lane[l].next = at;
		at += p.lane[l].end;
		p.lane[l].end = p.lane[l].next;
	}
	for (i = 0; i < n; i++)
		p.order[p.lane[ex->files[gf[i].idx].part].end++] = (uint32_t)i;
	if (pthread_mutex_init(&p.mu, NULL) != 0)
		die(ST_FATAL, "pthread_mutex_init failed");
	if (n >= 512 && nt >= 2)
		for (; started < nt; started++)
			if (pthread_create(&th[started], NULL, worker, &p) != 0)
				break;
	if (started == 0)
		worker(&p);	/* not worth a thread, or none to be had */
	for (i = 0; i < (size_t)started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	free(p.order);
	free(p.lane);
}

/* A 64-bit hash eight bytes at a time (FNV byte by byte is too slow for
 * whole videos). */
static uint64_t
hash_words(const unsigned char *p, size_t n, uint64_t h)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return fnv1a64(p, n, h);
}

/*
 * Content identity for dedup, only for files whose sizes collide: a hash
 * of their first `limit` bytes (0: every byte; two scans with white
 * margins share their first and last 16 KiB and are still two photos),
 * kept in memo.cache as `kind`. A file that cannot be read, or holds
 * nothing, has a value of its own, even: it is never merged (empty files
 * are not "the same content"). A value read is odd.
 */
static uint64_t
content_hash(struct export *ex, struct file *f, off_t limit, unsigned kind)
{
	static unsigned char buf[1 << 16];
	uint64_t h = FNV64_INIT;
	size_t have = 0, ml;
	off_t left = limit > 0 && limit < f->size ? limit : f->size;
	ssize_t r = 0;
	struct fh *fd;
	struct stat st;
	struct memo_key mk;
	const void *m;
	int has_mk = 0;

	if (f->size <= 0)
		return (uint64_t)(f - ex->files) * 2 + 2;	/* even: unique */
	/* hashed by an earlier scan into OUT, not touched since */
	if (f->part != 0)
		has_mk = member_memo_key(ex, f, kind, &mk) == 0;
	else if (memo_any() && ex->fd >= 0 && fstatat(ex->fd, f->rel, &st, 0) == 0)
		has_mk = memo_key_of(&st, kind, &mk) == 0;
	if (has_mk && memo_any() && (m = memo_get(&mk, &ml)) != NULL && ml == 8) {
		memcpy(&h, m, 8);
		return h;
	}
	if ((fd = file_open(ex, f)) == NULL)
		return (uint64_t)(f - ex->files) * 2 + 2;
	if (!has_mk && f->part == 0 && fh_fileno(fd) >= 0 && fstat(fh_fileno(fd), &st) == 0)
		has_mk = memo_key_of(&st, kind, &mk) == 0;
	while (left > 0) {
		size_t want = sizeof(buf) - have;

		if ((off_t)want > left)
			want = (size_t)left;
		r = fh_read(fd, buf + have, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		left -= r;
		if (have == sizeof(buf)) {
			h = hash_words(buf, have, h);
			have = 0;
		}
	}
	h = hash_words(buf, have, h);
	fh_close(fd);
	if (r < 0)
		return (uint64_t)(f - ex->files) * 2 + 2;
	h |= 1;
	if (has_mk)
		memo_put(&mk, &h, 8);
	return h;
}

/* Whether two files of one size and hash hold the same bytes: a hash
 * says "maybe", only the bytes say "the same". */
static int
same_bytes(struct export *ex, struct file *a, struct file *b)
{
	static unsigned char x[1 << 20], y[1 << 20];
	struct fh *fa, *fb;
	struct stat sa, sb;
	int same = 1, known;
	off_t pos = 0;
	ssize_t ra, rb;
	size_t chunk = 1 << 15;

	if ((fa = file_open(ex, a)) == NULL)
		return 0;
	if ((fb = file_open(ex, b)) == NULL) {
		fh_close(fa);
		return 0;
	}
	/* found the same by an earlier scan into OUT, neither touched since */
	known = fh_fileno(fa) >= 0 && fh_fileno(fb) >= 0 &&
	    fstat(fh_fileno(fa), &sa) == 0 && fstat(fh_fileno(fb), &sb) == 0;
	if (known && same_known(&sa, &sb)) {
		fh_close(fa);
		fh_close(fb);
		return 1;
	}
	/* 32 KiB first (two photos that only share a size differ at once),
	 * then twice as much a read up to 1 MiB: a copy is read whole, in
	 * few calls */
	while (same) {
		ra = fh_pread(fa, x, chunk, pos);
		rb = fh_pread(fb, y, chunk, pos);
		if (ra < 0 || rb < 0 || ra != rb || memcmp(x, y, (size_t)ra) != 0)
			same = 0;
		else if (ra == 0)
			break;
		pos += ra > 0 ? ra : 0;
		if (chunk < sizeof(x))
			chunk *= 2;
	}
	fh_close(fa);
	fh_close(fb);
	if (same && known)
		same_found(&sa, &sb);
	return same;
}

/* A media file and what it resolved to, for the dedup pass. */
struct gmedia {
	struct gfile *g;
	struct gfile *side;	/* its sidecar or NULL */
	uint64_t hash;
};

static int
cmp_size(const void *a, const void *b)
{
	const struct gmedia *x = a, *y = b;

	if (x->g->idx == y->g->idx)
		return 0;
	return x->g->idx < y->g->idx ? -1 : 1;
}

static struct export *gex;

static int
cmp_dup(const void *a, const void *b)
{
	const struct gmedia *x = a, *y = b;
	off_t xs = gex->files[x->g->idx].size, ys = gex->files[y->g->idx].size;

	if (xs != ys)
		return xs < ys ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	/* the copy with a sidecar first, the year folder's (which holds
	 * every photo) before an album's, then by path */
	if ((x->side != NULL) != (y->side != NULL))
		return x->side ? -1 : 1;
	if (year_folder(x->g->album, x->g->alen) != year_folder(y->g->album, y->g->alen))
		return year_folder(x->g->album, x->g->alen) ? -1 : 1;
	return cmp_size(a, b);
}

/*
 * An album's title from its metadata file (metadata.json or its name in
 * the user's language; {"title"} or the older {"albumData": {"title"}}),
 * else the folder's name. The folder name is a file-system-safe copy:
 * "Album test 6-10-23" is titled "Album test 6/10/23".
 */
static char *
album_title(struct export *ex, const struct gfile *g)
{
	char *dir = xmemdup(ex->files[g->idx].rel, (size_t)(g->album - ex->files[g->idx].rel) + g->alen);
	char *title = NULL, *buf, *mpath;
	struct file *f;
	size_t len, i;
	json_t *root;

	for (i = 0; i < LEN(album_meta); i++) {
		mpath = xasprintf("%s/%s", dir, album_meta[i]);
		f = export_find(ex, mpath);
		free(mpath);
		if (f == NULL)
			continue;
		f->claimed = 1;
		if (title != NULL || (buf = file_slurp(ex, f, MAXJSON, &len)) == NULL)
			continue;
		root = json_loadb(buf, len, 0, NULL);
		if (!json_is_object(root))
			scan_warn(ex, f->rel, "album metadata is not a JSON object; "
			    "the album keeps its folder name");
		title = str(root, "title");
		if (title == NULL)
			title = str(json_object_get(root, "albumData"), "title");
		json_decref(root);
		free(buf);
	}
	free(dir);
	return title ? title : xmemdup(g->album, g->alen);
}

/*
 * Sort files of one size by their hash; a file alone at its hash is
 * unique, and takes an even value of its own. Those that share one keep
 * it, odd, to be looked at further.
 */
static void
alone_unique(struct gmedia *gm, size_t n)
{
	size_t k, l;

	qsort(gm, n, sizeof(*gm), cmp_dup);
	for (k = 0; k < n; k = l) {
		for (l = k + 1; l < n && gm[l].hash == gm[k].hash; l++)
			;
		if (l - k == 1)
			gm[k].hash = (uint64_t)gm[k].g->idx * 2 + 2;
	}
}

/*
 * Three files or more of one size (a photo in its year folder and two
 * albums, or photos that happen to match in size): a hash of each one's
 * first HEAD_HASH bytes tells most apart, and only those whose head
 * another one shares are hashed whole; a head of its own makes a file
 * unique without reading the rest. The bytes of equal hashes are still
 * compared before anything is merged. Sorted by hash within the size at
 * the end.
 */
#define HEAD_HASH	((off_t)64 << 10)

static void
hash_group(struct export *ex, struct gmedia *gm, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		gm[k].hash = content_hash(ex, &ex->files[gm[k].g->idx], HEAD_HASH,
		    MEMO_GP_HEAD);
	if (ex->files[gm[0].g->idx].size > HEAD_HASH) {
		alone_unique(gm, n);
		for (k = 0; k < n; k++)
			if (gm[k].hash & 1)
				gm[k].hash = content_hash(ex, &ex->files[gm[k].g->idx], 0,
				    MEMO_GP_HASH);
	}
	qsort(gm, n, sizeof(*gm), cmp_dup);
}

/*
 * Zip members of one size, told apart by the CRC-32 the central directory
 * gives each: one alone at its CRC is unique without a byte read; those
 * that share one keep it, odd, to have their bytes compared. 0 when some
 * member's CRC is not known (a plain file, a tar member, or a CRC of 0):
 * the group is then read as any other.
 */
static int
crc_group(struct export *ex, struct gmedia *gm, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (ex->files[gm[k].g->idx].part == 0 || ex->files[gm[k].g->idx].crc == 0)
			return 0;
	for (k = 0; k < n; k++)
		gm[k].hash = (uint64_t)ex->files[gm[k].g->idx].crc << 1 | 1;
	alone_unique(gm, n);
	qsort(gm, n, sizeof(*gm), cmp_dup);
	return 1;
}

/*
 * The video of a Pixel motion photo as Takeout delivers it beside the
 * still: PXL_20220812_153341290.MP (or .MP~2) beside its .MP.jpg, an older
 * MVIMG_20180722_120942 without an extension beside its .jpg. An MP4 by
 * its bytes, but Immich refuses its name and links the motion it finds
 * in the still itself; immich-go leaves it out ("useless file"), and so
 * do we, but by name in the report.
 */
static int
is_motion_video(const char *base)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL)
		return strncmp(base, "MVIMG_", 6) == 0;
	if (dot == base || strncasecmp(dot, ".mp", 3) != 0)
		return 0;
	if (dot[3] == '~')
		return dot[4] != '\0' && strspn(dot + 4, "0123456789") == strlen(dot + 4);
	return dot[3] == '\0';
}

static void
scan(struct export *ex, const struct platform *p)
{
	struct gfile *gf = NULL;
	struct gmedia *gm = NULL;
	struct gp_meta meta;
	size_t ng = 0, nm = 0, i, j, k, ndirs = 0, ntrash, nlocked;
	size_t left_trash = 0, left_locked = 0, left_partner = 0, left_motion = 0;
	int trashed, locked, archived, partner;
	char key[4096], *rdir;
	int *dirs = NULL;

	find_bare_roots(ex);
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct gfile g;
		size_t kl, alen;

		memset(&g, 0, sizeof(g));
		if (f->claimed || split(f->rel, &g.album, &alen, &g.base) < 0)
			continue;
		g.alen = (uint32_t)alen;
		g.idx = (uint32_t)i;
		if ((kl = gp_json_key(g.base, key, sizeof(key))) > 0) {
			g.key = xstrdup(key);
		} else if (f->kind == KIND_UNKNOWN && is_motion_video(g.base)) {
			f->claimed = 1;
			scan_skip(ex, f, "a Pixel motion photo's video: no format Immich "
			    "takes (.MP); its still (.MP.jpg) is kept");
			left_motion++;
			continue;
		} else if (f->kind == KIND_UNKNOWN || f->kind == KIND_AUDIO) {
			continue;
		}
		gf = xrealloc(gf, (ng + 1) * sizeof(*gf));
		gf[ng++] = g;
	}
	if (ng > 0)
		qsort(gf, ng, sizeof(*gf), cmp_gfile);
	/* one open directory for each run of files in the same folder */
	for (i = 0; i < ng; i++) {
		const char *r = ex->files[gf[i].idx].rel, *pr;
		size_t dl = (size_t)(gf[i].base - r);

		gf[i].dfd = -1;
		if (i > 0 && (pr = ex->files[gf[i - 1].idx].rel) != NULL &&
		    (size_t)(gf[i - 1].base - pr) == dl && memcmp(r, pr, dl) == 0) {
			gf[i].dfd = gf[i - 1].dfd;
			continue;
		}
		dirs = xrealloc(dirs, (ndirs + 1) * sizeof(*dirs));
		rdir = xmemdup(r, dl);
		dirs[ndirs] = ex->fd < 0 ? -1 :	/* members: no directory */
		    openat(ex->fd, rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(rdir);
		gf[i].dfd = dirs[ndirs++];
	}
	parse_all(ex, gf, ng);
	/* per album: the sidecars are the tail of the run, sorted by key */
	for (i = 0; i < ng; i = j) {
		char **keys;
		size_t nk, first;

		for (j = i; j < ng && gf[j].alen == gf[i].alen &&
		    memcmp(gf[j].album, gf[i].album, gf[i].alen) == 0; j++)
			;
		for (first = i; first < j && gf[first].key == NULL; first++)
			;
		gf[i].title = year_folder(gf[i].album, gf[i].alen) ||
		    special_folder(gf[i].album, gf[i].alen) != SPECIAL_NONE ? NULL :
		    album_title(ex, &gf[i]);
		for (k = i + 1; k < j; k++)
			gf[k].title = gf[i].title;
		nk = j - first;
		keys = xcalloc(nk + 1, sizeof(*keys));
		for (k = 0; k < nk; k++)
			keys[k] = gf[first + k].key;
		for (k = i; k < first; k++) {
			int r = gp_match(gf[k].base, keys, nk);

			gm = xrealloc(gm, (nm + 1) * sizeof(*gm));
			memset(&gm[nm], 0, sizeof(*gm));
			gm[nm].g = &gf[k];
			if (r >= 0) {
				gm[nm].side = &gf[first + (size_t)r];
				gm[nm].side->used = 1;
			}
			nm++;
		}
		free(keys);
	}
	/* identical content in several folders: sizes first, hash collisions */
	if (nm > 1) {
		gex = ex;
		qsort(gm, nm, sizeof(*gm), cmp_dup);
		for (i = 0; i < nm; i = j) {
			off_t sz = ex->files[gm[i].g->idx].size;

			for (j = i + 1; j < nm && ex->files[gm[j].g->idx].size == sz; j++)
				;
			if (j - i < 2 || sz <= 0 || crc_group(ex, gm + i, j - i))
				continue;
			/* two files of one size (Takeout's copy of a photo, or two
			 * photos that happen to match in size): their bytes are
			 * compared below, each read once, up to the first
			 * difference; hashing them first would read both whole
			 * twice */
			if (j - i == 2)
				gm[i].hash = gm[i + 1].hash = 1;
			else
				hash_group(ex, gm + i, j - i);
		}
	}
	for (i = 0; i < nm; i = j) {
		struct file *f = &ex->files[gm[i].g->idx];
		struct gp_meta *m = NULL;
		struct entry *e;
		char *album;

		for (j = i + 1; j < nm && ex->files[gm[j].g->idx].size == f->size &&
		    gm[j].hash == gm[i].hash && (gm[i].hash & 1) != 0 &&
		    same_bytes(ex, f, &ex->files[gm[j].g->idx]); j++)
			;
		/* the first copy with a sidecar that parses gives the metadata */
		for (k = i; k < j && m == NULL; k++)
			if (gm[k].side)
				m = meta_of(ex, gm[k].side, &meta);
		for (k = i, ntrash = nlocked = archived = 0; k < j; k++) {
			int sp = special_folder(gm[k].g->album, gm[k].g->alen);

			ntrash += sp == SPECIAL_TRASH;
			nlocked += sp == SPECIAL_LOCKED;
			archived |= sp == SPECIAL_ARCHIVE;
		}
		trashed = (m != NULL && m->trashed) || ntrash == j - i;
		locked = (m != NULL && m->locked) || nlocked == j - i;
		archived |= m != NULL && m->archived;
		partner = m != NULL && m->partner;
		if ((trashed && !gp_include_trashed) || (locked && !gp_include_locked) ||
		    (partner && gp_skip_partner)) {
			const char *why = trashed && !gp_include_trashed ?
			    "in Google Photos' trash (--include-trashed keeps it)" :
			    locked && !gp_include_locked ?
			    "in the Locked Folder (--include-locked keeps it)" :
			    "shared by a partner (--skip-partner)";

			for (k = i; k < j; k++) {
				ex->files[gm[k].g->idx].claimed = 1;
				scan_skip(ex, &ex->files[gm[k].g->idx], why);
			}
			if (trashed && !gp_include_trashed)
				left_trash++;
			else if (locked && !gp_include_locked)
				left_locked++;
			else
				left_partner++;
			if (m != NULL)
				gp_meta_free(m);
			continue;
		}
		e = scan_add(ex, f, "photos", "gphotos");
		if (locked)
			item_extra(&e->it, "visibility", "locked");
		else if (archived)
			item_extra(&e->it, "visibility", "archive");
		if (partner)
			item_extra(&e->it, "partner", "1");
		album = xasprintf("Google Photos/%s", e->it.user);
		item_add_album(&e->it, album);
		free(album);
		for (k = i; k < j; k++) {
			ex->files[gm[k].g->idx].claimed = 1;
			if (gm[k].g->title != NULL)
				item_add_album(&e->it, gm[k].g->title);
		}
		if (m != NULL) {
			if (m->has_time)
				set_time(&e->it, m->time, offset_of(ex, gm[i].g, m->time),
				    "json");
			if (m->has_gps)
				set_gps(&e->it, m->lat, m->lon, m->has_alt, m->alt);
			item_set(&e->it.caption, m->description);
			e->it.favorite = m->favorite;
		}
		if (!e->it.has_time)
			fallback_time(ex, f, e);
		if (m == NULL)
			orphan_media(ex, f, gm[i].side ? "its JSON sidecar is unreadable" :
			    "no JSON sidecar matched");
		else
			gp_meta_free(m);
	}
	if (left_trash > 0)
		warnx_("%s: %zu item(s) in Google Photos' trash left out "
		    "(--include-trashed keeps them)", ex->path, left_trash);
	if (left_locked > 0)
		warnx_("%s: %zu item(s) of the Locked Folder left out "
		    "(--include-locked keeps them, locked on the server)", ex->path,
		    left_locked);
	if (left_partner > 0)
		warnx_("%s: %zu partner-shared item(s) left out (--skip-partner)",
		    ex->path, left_partner);
	if (left_motion > 0)
		warnx_("%s: %zu Pixel motion photo video(s) (.MP, MVIMG_) left out: "
		    "no format Immich takes; their stills are kept", ex->path, left_motion);
	for (i = 0; i < ng; i++) {
		struct file *f = &ex->files[gf[i].idx];

		if (i == 0 || gf[i].title != gf[i - 1].title)
			free(gf[i].title);
		if (gf[i].key == NULL)
			continue;
		f->claimed = 1;
		if (!gf[i].used && meta_of(ex, &gf[i], &meta) != NULL) {
			size_t len;
			char *buf = file_slurp(ex, f, MAXJSON, &len);
			json_t *j2 = buf ? json_loadb(buf, len, 0, NULL) : NULL;

			gp_meta_free(&meta);
			orphan_meta(ex, f->rel, j2, "no media file matched this sidecar");
			json_decref(j2);
			free(buf);
		}
		if (gf[i].parsed == 1 && gf[i].owned)
			free((void *)(uintptr_t)gf[i].u.packed);
		else if (gf[i].parsed < 0) {
			free(gf[i].u.bad->rwhy);
			free(gf[i].u.bad);
		}
		free(gf[i].key);
	}
	(void)p;
	for (i = 0; i < ndirs; i++)
		if (dirs[i] >= 0)
			close(dirs[i]);
	free(dirs);
	free(gf);
	free(gm);
}

const struct platform platform_gphotos = {
	"google-photos", "Google Photos (Takeout, with album folders)", "google",
	detect, scan
};
