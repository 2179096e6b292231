/*
 * platforms.c -- the platforms mem-scan knows, in the order they scan an
 * export (memoria's priorities: the more specific layouts first), and the
 * "folder" fallback that takes whatever media they leave.
 */
#include <string.h>

#include "mem.h"
#include "mem-scan.h"

extern const struct platform platform_gphotos, platform_snapchat,
    platform_instagram;
/* the message platforms (issue 8) */
extern const struct platform platform_snapmsgs, platform_gchat,
    platform_gvoice, platform_discord, platform_imessage, platform_imazing;

/* Media no platform claimed: dated by the file itself. Audio keeps its
 * folder and name (songs, voice notes for mem-loudnorm). */
static void
folder_scan(struct export *ex, const struct platform *p)
{
	size_t i;

	(void)p;
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct entry *e;

		if (f->claimed || f->kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, f, "media", "folder");
		e->keepname = f->kind == KIND_AUDIO;
		if (strcmp(e->it.user, "unknown") == 0)
			item_set(&e->it.user, ex->name);
		fallback_time(ex, f, &e->it);
	}
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
