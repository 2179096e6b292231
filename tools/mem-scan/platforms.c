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

static int
cmp_rel(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The media file an XMP sidecar of a plain folder belongs to, as Immich
 * pairs them: "X.jpg.xmp" (darktable's, digiKam's) with X.jpg, else
 * "X.xmp" (Lightroom's) with an X of any extension; rels holds the media
 * files' names, sorted. NULL when it belongs to none.
 */
static const char *
sidecar_of(const char *rel, const char *const *rels, size_t n)
{
	size_t len = strlen(rel), lo = 0, hi = n, mid;
	const char *const *hit;
	char *stem;
	const char *r = NULL;

	if (len <= 4 || strcasecmp(rel + len - 4, ".xmp") != 0 || n == 0)
		return NULL;
	stem = xstrdup(rel);
	stem[len - 4] = '\0';		/* "X.jpg" */
	if ((hit = bsearch(&stem, rels, n, sizeof(*rels), cmp_rel)) != NULL) {
		free(stem);
		return *hit;
	}
	stem[len - 4] = '.';
	stem[len - 3] = '\0';		/* "X." */
	while (lo < hi) {	/* the first name from "X." on */
		mid = lo + (hi - lo) / 2;
		if (strcmp(rels[mid], stem) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* "X.jpg", not "X.d/Y.jpg" (a folder) nor "X.tar.jpg" */
	for (; r == NULL && lo < n && strncmp(rels[lo], stem, len - 3) == 0; lo++)
		if (strpbrk(rels[lo] + len - 3, "/.") == NULL)
			r = rels[lo];
	free(stem);
	return r;
}

/* Media no platform claimed: dated by the file itself. Audio keeps its
 * folder and name (songs, voice notes for mem-loudnorm). In a plain
 * folder (no platform's export) every other file but a system's is named
 * in the report's skipped list: its owner learns it did not go to the
 * library; an XMP sidecar of a photo is named as one, whose dates, place
 * and caption do not reach it. A platform's export holds its own metadata
 * files beside the media, which would only be noise there. */
static void
folder_scan(struct export *ex, const struct platform *p)
{
	size_t i, n = 0, other = 0, sidecars = 0;
	int plain = ex->nfound == 1 && ex->found[0] == p;
	const char **rels = xcalloc(ex->nfiles + 1, sizeof(*rels));
	const char *of;
	char *why;

	for (i = 0; plain && i < ex->nfiles; i++)
		if (ex->files[i].kind != KIND_UNKNOWN)
			rels[n++] = ex->files[i].rel;
	qsort(rels, n, sizeof(*rels), cmp_rel);
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct entry *e;

		if (f->claimed)
			continue;
		if (f->kind == KIND_UNKNOWN) {
			if (plain && (of = sidecar_of(f->rel, rels, n)) != NULL) {
				why = xasprintf("the XMP sidecar of %s: not carried, its "
				    "dates, place and caption do not reach Immich", of);
				scan_skip(ex, f, why);
				free(why);
				sidecars++;
			} else if (plain && !is_system_file(f->rel)) {
				scan_skip(ex, f, "not a photo, video or audio file Immich or "
				    "mem-loudnorm takes");
				other++;
			}
			continue;
		}
		e = scan_add(ex, f, "media", "folder");
		e->keepname = f->kind == KIND_AUDIO;
		if (strcmp(e->it.user, "unknown") == 0)
			item_set(&e->it.user, ex->name);
		fallback_time(ex, f, e);
	}
	free(rels);
	if (sidecars > 0)
		warnx_("%s: %zu XMP sidecar(s) of photos and videos left out: their "
		    "dates, places and captions do not reach Immich (the report's "
		    "skipped list names them)", ex->path, sidecars);
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
