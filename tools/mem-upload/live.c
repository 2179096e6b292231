/*
 * live.c -- Live Photos. Immich pairs a still with its video by Apple's
 * ContentIdentifier, which exports often lose (Takeout, iMessage
 * attachments); mem-scan pairs them by name and time instead and writes
 * the video's record id into the still's record (live_video=ID). Once both
 * are on the server, the still is updated with PUT /api/assets/STILL
 * {"livePhotoVideoId": VIDEO}, which makes the server hide the video.
 * The ledger keeps each confirmed link, so a rerun sends nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-upload.h"

/* This run's files by record id (open addressing), built once: a run may
 * hold tens of thousands of files and thousands of pairs. */
static struct upfile **by_id;
static size_t by_id_cap;

static size_t
id_slot(const char *id)
{
	size_t h = fnv1a64(id, strlen(id), FNV64_INIT) % by_id_cap;

	while (by_id[h] != NULL && strcmp(by_id[h]->id, id) != 0)
		h = (h + 1) % by_id_cap;
	return h;
}

/* The first file of this run whose record has that id, or NULL. */
static struct upfile *
file_of(struct upfile **fs, size_t n, const char *id)
{
	size_t i, h;

	if (by_id == NULL) {
		by_id_cap = 2 * n + 1;
		by_id = xcalloc(by_id_cap, sizeof(*by_id));
		for (i = 0; i < n; i++)
			if (fs[i]->id != NULL && by_id[h = id_slot(fs[i]->id)] == NULL)
				by_id[h] = fs[i];
	}
	return by_id[id_slot(id)];
}

static int
on_server(const struct upfile *f)
{
	return (f->state == F_CREATED || f->state == F_DUPLICATE ||
	    f->state == F_LEDGER) && f->asset != NULL && f->asset[0] != '\0' &&
	    !f->trashed;
}

/*
 * The video's asset id: from this run's file of that record, else from
 * the ledger's upload of the file its record names under OUT (an earlier
 * run uploaded it). NULL when it is not on the server (yet); *video_path
 * names it for messages.
 */
static const char *
video_asset(struct upfile **fs, size_t n, const char *id, const char **video_path)
{
	static char *path;
	const struct upfile *g;
	const char *why = NULL, *asset = NULL;
	char *rec, *dest, *real;
	struct item it;

	if ((g = file_of(fs, n, id)) != NULL) {
		if (g->same != NULL)
			g = g->same;
		*video_path = g->path;
		return on_server(g) ? g->asset : NULL;
	}
	/* a fetched item's record is mem-fetch's (docs/design.md section 3) */
	free(path);
	path = NULL;
	rec = xasprintf("%s/.mem/fetch/%s.item", cfg.out, id);
	if (item_load(&it, rec, &why) < 0) {
		free(rec);
		rec = xasprintf("%s/.mem/items/%s.item", cfg.out, id);
		if (item_load(&it, rec, &why) < 0) {
			free(rec);
			*video_path = id;
			return NULL;
		}
	}
	free(rec);
	if ((dest = item_dest(&it, cfg.out, &why)) != NULL &&
	    (real = realpath(dest, NULL)) != NULL) {
		asset = ledger_asset_of(real);
		free(real);
	}
	item_free(&it);
	path = dest;
	*video_path = dest != NULL ? dest : id;
	return asset;
}

/*
 * A Live Photo's video goes into no album: the still stands for both, and
 * Immich, when it links a pair itself, takes the video out of every album
 * (a hidden member would only skew the album's count). Done before the
 * ledger is asked, so a video's albums never call for the network.
 */
void
live_videos_albumless(struct upfile **fs, size_t n)
{
	struct upfile *v, *g;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (fs[i]->live_video == NULL ||
		    (v = file_of(fs, n, fs[i]->live_video)) == NULL)
			continue;
		g = v->same != NULL ? v->same : v;
		for (j = 0; j < g->nalbums; j++)
			free(g->albums[j]);
		g->nalbums = 0;
		for (j = 0; j < v->nalbums && v != g; j++)
			free(v->albums[j]);
		v->nalbums = 0;
	}
}

int
live_pending(struct upfile **fs, size_t n)
{
	const char *video, *vpath;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fs[i]->same != NULL || fs[i]->live_video == NULL || !on_server(fs[i]))
			continue;
		video = video_asset(fs, n, fs[i]->live_video, &vpath);
		if (video != NULL && !ledger_linked(fs[i]->asset, video))
			return 1;
	}
	return 0;
}

static void
link_fail(struct upfile *f, const char *vpath, const char *why)
{
	char *old = f->why;

	f->link_failed = 1;
	f->why = xasprintf("%s%son the server, but not linked to its Live Photo video "
	    "%s: %s", old ? old : "", old ? "; " : "", vpath, why);
	free(old);
}

/*
 * After the uploads: each still on the server whose video is on the
 * server too, and whose link the ledger does not hold, is linked. A video
 * that failed was named already; one not uploaded yet is linked by the
 * run that uploads it (the pipeline sends every done record of the export
 * each time).
 */
void
live_apply(struct upfile **fs, size_t n, FILE *ledger)
{
	struct upfile *f;
	struct reply r;
	const char *video, *vpath;
	json_t *body;
	char *path;
	size_t i;

	for (i = 0; i < n; i++) {
		f = fs[i];
		if (f->same != NULL || f->live_video == NULL || !on_server(f))
			continue;
		video = video_asset(fs, n, f->live_video, &vpath);
		if (video == NULL || ledger_linked(f->asset, video))
			continue;
		if (strcmp(video, f->asset) == 0) {
			link_fail(f, vpath, "it is the same asset (the same bytes)");
			continue;
		}
		body = json_pack("{s:s}", "livePhotoVideoId", video);
		path = xasprintf("/assets/%s", f->asset);
		if (body == NULL)
			die(ST_FATAL, "out of memory");
		if (api_call("PUT", path, body, &r) == 0 &&
		    json_is_string(json_object_get(r.json, "livePhotoVideoId")) &&
		    strcmp(json_string_value(json_object_get(r.json, "livePhotoVideoId")),
		    video) == 0) {
			ledger_link(ledger, f->asset, video);
			stats.linked++;
		} else {
			link_fail(f, vpath, r.err[0] ? r.err :
			    "the server's answer does not name the video");
		}
		reply_free(&r);
		json_decref(body);
		free(path);
	}
}
