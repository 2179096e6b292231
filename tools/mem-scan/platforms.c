/*
 * platforms.c -- the platforms mem-scan knows, in the order they scan an
 * export (memoria's priorities: the more specific layouts first), and the
 * "folder" fallback that takes whatever media they leave.
 */
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

/* Media no platform claimed: dated by the file itself. Audio keeps its
 * folder and name (songs, voice notes for mem-loudnorm). In a plain
 * folder (no platform's export) every other file but a system's is named
 * in the report's skipped list: its owner learns it did not go to the
 * library. A platform's export holds its own metadata files beside the
 * media, which would only be noise there. */
static void
folder_scan(struct export *ex, const struct platform *p)
{
	size_t i, other = 0;
	int plain = ex->nfound == 1 && ex->found[0] == p;

	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct entry *e;

		if (f->claimed)
			continue;
		if (f->kind == KIND_UNKNOWN) {
			if (plain && !is_system_file(f->rel)) {
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
