/*
 * platforms.c -- the platforms mem-scan knows, in the order they scan an
 * export (memoria's priorities: the more specific layouts first), and the
 * "folder" fallback that takes whatever media they leave.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

extern const struct platform platform_gphotos, platform_snapchat,
    platform_instagram;
/* the message platforms (issue 8) */
extern const struct platform platform_snapmsgs, platform_gchat,
    platform_gvoice, platform_discord, platform_imessage, platform_imazing;

/* A file no one looks for: a system's own (Finder's, Explorer's), or
 * hidden. */
static int
is_system_file(const char *rel)
{
	static const char *const names[] = {
		".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db", NULL
	};
	const char *base = strrchr(rel, '/');
	size_t i;

	base = base != NULL ? base + 1 : rel;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(base, names[i]) == 0)
			return 1;
	return rel[0] == '.' || strstr(rel, "/.") != NULL;
}

/* An XMP sidecar of a plain folder: its name without ".xmp" (any case). */
struct sidecar {
	const char *rel;
	size_t	 stem;
	struct file *f;
};

static int
is_xmp(const char *rel)
{
	size_t len = strlen(rel);

	return len > 4 && strcasecmp(rel + len - 4, ".xmp") == 0;
}

static int
cmp_stem(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c != 0 ? c : (al > bl) - (al < bl);
}

static int
cmp_sidecar(const void *a, const void *b)
{
	const struct sidecar *x = a, *y = b;

	return cmp_stem(x->rel, x->stem, y->rel, y->stem);
}

/* The sidecar named key (n bytes) + ".xmp", or NULL. */
static struct sidecar *
sidecar_named(struct sidecar *v, size_t nv, const char *key, size_t n)
{
	size_t lo = 0, hi = nv, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = cmp_stem(key, n, v[mid].rel, v[mid].stem)) == 0)
			return &v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * The XMP sidecar of a media file, as Immich pairs them: "X.jpg.xmp"
 * (darktable's, digiKam's), else "X.xmp" (Lightroom's, which a raw file
 * and its JPEG share). NULL when it has none.
 */
static struct file *
sidecar_of(struct sidecar *v, size_t nv, const char *rel)
{
	const char *base = strrchr(rel, '/'), *dot;
	struct sidecar *s;

	if ((s = sidecar_named(v, nv, rel, strlen(rel))) != NULL)
		return s->f;
	base = base != NULL ? base + 1 : rel;
	if ((dot = strrchr(base, '.')) != NULL && dot > base &&
	    (s = sidecar_named(v, nv, rel, (size_t)(dot - rel))) != NULL)
		return s->f;
	return NULL;
}

/* Media no platform claimed: dated by the file itself. Audio keeps its
 * folder and name (songs, voice notes for mem-loudnorm). In a plain
 * folder (no platform's export) a photo's or video's XMP sidecar goes with
 * it (sidecar_time), and every other file but a system's is named in the
 * report's skipped list: its owner learns it did not go to the library. A
 * platform's export holds its own metadata files beside the media, which
 * would only be noise there. */
static void
folder_scan(struct export *ex, const struct platform *p)
{
	size_t i, nv = 0, other = 0;
	int plain = ex->nfound == 1 && ex->found[0] == p;
	struct sidecar *v = xcalloc(ex->nfiles + 1, sizeof(*v));
	struct file *sf;

	for (i = 0; plain && i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];

		if (!f->claimed && f->kind == KIND_UNKNOWN && is_xmp(f->rel)) {
			v[nv].rel = f->rel;
			v[nv].stem = strlen(f->rel) - 4;
			v[nv++].f = f;
		}
	}
	qsort(v, nv, sizeof(*v), cmp_sidecar);
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct entry *e;

		if (f->claimed || f->kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, f, "media", "folder");
		e->keepname = f->kind == KIND_AUDIO;
		if (strcmp(e->it.user, "unknown") == 0)
			item_set(&e->it.user, ex->name);
		sf = f->kind != KIND_AUDIO ? sidecar_of(v, nv, f->rel) : NULL;
		if (sf == NULL) {
			fallback_time(ex, f, e);
			continue;
		}
		sidecar_time(ex, f, sf, e);
		file_xmp(ex, sf, &e->it);
		sf->claimed = 1;
	}
	free(v);
	for (i = 0; plain && i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];

		if (!f->claimed && f->kind == KIND_UNKNOWN && !is_system_file(f->rel)) {
			scan_skip(ex, f, is_xmp(f->rel) ? "an XMP sidecar of no photo or "
			    "video here" : "not a photo, video or audio file Immich or "
			    "mem-loudnorm takes");
			other++;
		}
	}
	if (other > 0)
		warnx_("%s: %zu file(s) not photos, videos or audio: left out "
		    "(the report's skipped list names them)", ex->path, other);
}

static int
folder_detect(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfiles; i++)
		if (!ex->files[i].claimed && ex->files[i].kind != KIND_UNKNOWN)
			return 1;
	return 0;
}

static const struct platform platform_folder = {
	"folder", "Any folder (EXIF, QuickTime, file name or mtime dates; audio)",
	NULL, folder_detect, folder_scan
};

static const struct platform *table[] = {
	&platform_imazing, &platform_snapmsgs, &platform_imessage,
	&platform_snapchat, &platform_discord,
	&platform_instagram,
	&platform_gchat, &platform_gphotos, &platform_gvoice, &platform_folder
};

const size_t nplatforms = LEN(table);

const struct platform *
platform_at(size_t i)
{
	return i < LEN(table) ? table[i] : NULL;
}

const struct platform *
platform_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < LEN(table); i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}
