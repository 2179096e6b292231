/*
 * album.c -- albums by name, the way memoria names them. Names are not
 * unique on an Immich server, so a run looks for one the user owns before
 * it creates one, and never creates a second: the flock keeps two runs
 * from racing, and a failed create is followed by a fresh look before any
 * new attempt. Membership is a set; "duplicate" means already in.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-upload.h"

#define CHUNK 1000

static json_t *v2_list;	/* v2 lists every owned album at once: keep it */

static int
owned(json_t *al)
{
	json_t *users, *first;
	const char *id;

	if ((id = json_string_value(json_object_get(al, "ownerId"))) != NULL)
		return strcmp(id, cfg.user_id) == 0;
	/* v3: "the first entry is always the album owner" */
	users = json_object_get(al, "albumUsers");
	first = json_array_get(users, 0);
	id = json_string_value(json_object_get(json_object_get(first, "user"), "id"));
	return id != NULL && strcmp(id, cfg.user_id) == 0;
}

/* The user's own album of that name (the oldest if several), or NULL. */
static char *
find_album(const char *name, char *err, size_t errlen)
{
	struct reply r;
	json_t *list, *al, *best = NULL;
	const char *bc, *c, *an;
	char *path, *esc, *id = NULL;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (cfg.major >= 3 || v2_list == NULL) {
		if (cfg.major >= 3) {
			if ((esc = curl_easy_escape(NULL, name, 0)) == NULL)
				die(ST_FATAL, "out of memory");
			path = xasprintf("/albums?name=%s", esc);
			curl_free(esc);
		} else {
			path = xstrdup("/albums");
		}
		if (api_call("GET", path, NULL, &r) < 0 || !json_is_array(r.json)) {
			snprintf(err, errlen, "listing albums: %s", r.err[0] ? r.err :
			    "not a list");
			free(path);
			reply_free(&r);
			return NULL;
		}
		free(path);
		if (cfg.major < 3)
			v2_list = json_incref(r.json);
		list = r.json;
	} else {
		list = v2_list;
	}
	json_array_foreach(list, i, al) {
		an = json_string_value(json_object_get(al, "albumName"));
		if (an == NULL || strcmp(an, name) != 0 || !owned(al))
			continue;
		c = json_string_value(json_object_get(al, "createdAt"));
		bc = best ? json_string_value(json_object_get(best, "createdAt")) : NULL;
		if (best == NULL || (c != NULL && bc != NULL && strcmp(c, bc) < 0))
			best = al;
	}
	if (best != NULL && (c = json_string_value(json_object_get(best, "id"))) != NULL)
		id = xstrdup(c);
	else if (best != NULL)
		snprintf(err, errlen, "listing albums: an album without an id");
	reply_free(&r);
	return id;
}

static char *
get_or_create(const char *name, int *created, char *err, size_t errlen)
{
	struct reply r;
	json_t *body, *al;
	const char *id;
	char *found;
	long saved = cfg.retries;
	int attempt;

	*created = 0;
	for (attempt = 0;; attempt++) {
		err[0] = '\0';
		if ((found = find_album(name, err, errlen)) != NULL || err[0] != '\0')
			return found;
		/* A POST is not repeated blindly: look again first. */
		body = json_pack("{s:s}", "albumName", name);
		cfg.retries = 0;
		api_call("POST", "/albums", body, &r);
		cfg.retries = saved;
		json_decref(body);
		if (r.status == 200 || r.status == 201) {
			id = json_string_value(json_object_get(r.json, "id"));
			found = id ? xstrdup(id) : NULL;
			if (v2_list != NULL && (al = json_deep_copy(r.json)) != NULL)
				json_array_append_new(v2_list, al);
			reply_free(&r);
			*created = found != NULL;
			if (found == NULL)
				snprintf(err, errlen, "creating the album: no id in the answer");
			return found;
		}
		snprintf(err, errlen, "creating the album: %s", r.err);
		if ((r.status != 0 && !http_retryable_status(r.status)) || attempt >= cfg.retries) {
			reply_free(&r);
			return NULL;
		}
		sleep_s(backoff(attempt, 0));
		reply_free(&r);
		if (v2_list != NULL) {
			json_decref(v2_list);
			v2_list = NULL;
		}
	}
}

static void
album_fail(struct upfile *f, const char *album, const char *why)
{
	if (f->state == F_FAILED)
		return;
	f->state = F_FAILED;
	free(f->why);
	f->why = xasprintf("on the server, but not in album \"%s\": %s", album, why);
}

/* Add the files (all confirmed) to the album; count what happened. */
static void
fill_album(const char *name, struct upfile **fs, size_t n, FILE *ledger)
{
	struct reply r;
	json_t *ids, *body, *v;
	const char *id, *error;
	char err[512], *album;
	size_t i, j, k, added = 0;
	int created;

	if ((v = json_string(name)) == NULL) {
		for (i = 0; i < n; i++)
			album_fail(fs[i], name, "the name is not valid UTF-8");
		return;
	}
	json_decref(v);
	if ((album = get_or_create(name, &created, err, sizeof(err))) == NULL) {
		for (i = 0; i < n; i++)
			album_fail(fs[i], name, err);
		return;
	}
	stats.albums_created += created;
	for (i = 0; i < n; i += CHUNK) {
		ids = json_array();
		for (j = i; j < n && j < i + CHUNK; j++)
			json_array_append_new(ids, json_string(fs[j]->asset));
		body = json_pack("{s:o}", "ids", ids);
		{
			char *path = xasprintf("/albums/%s/assets", album);

			if (api_call("PUT", path, body, &r) < 0 || !json_is_array(r.json)) {
				for (j = i; j < n && j < i + CHUNK; j++)
					album_fail(fs[j], name, r.err[0] ? r.err : "not a list");
				free(path);
				json_decref(body);
				reply_free(&r);
				continue;
			}
			free(path);
		}
		json_array_foreach(r.json, k, v) {
			id = json_string_value(json_object_get(v, "id"));
			error = json_string_value(json_object_get(v, "error"));
			for (j = i; id != NULL && j < n && j < i + CHUNK; j++) {
				if (strcmp(fs[j]->asset, id) != 0)
					continue;
				if (json_is_true(json_object_get(v, "success"))) {
					added++;
					ledger_album(ledger, id, name);
				} else if (error != NULL && strcmp(error, "duplicate") == 0) {
					ledger_album(ledger, id, name);
				} else if (error != NULL && strcmp(error, "not_found") == 0 &&
				    fs[j]->state == F_LEDGER) {
					fs[j]->state = F_FAILED;
					free(fs[j]->why);
					fs[j]->why = xasprintf("the ledger names asset %s, which the "
					    "server no longer has (run with --recheck to send the "
					    "file again)", id);
				} else {
					album_fail(fs[j], name, error ? error : "refused");
				}
			}
		}
		json_decref(body);
		reply_free(&r);
	}
	if (added > 0 || created)
		stats.albums_updated++;
	free(album);
}

static int
confirmed(const struct upfile *f)
{
	return f->asset != NULL && (f->state == F_CREATED || f->state == F_DUPLICATE ||
	    f->state == F_LEDGER);
}

void
albums_apply(struct upfile **files, size_t n, FILE *ledger)
{
	struct upfile **fs;
	const char **names = NULL;
	size_t nnames = 0, i, j, k, m;

	for (i = 0; i < n; i++) {
		if (!confirmed(files[i]) || files[i]->same != NULL)
			continue;
		for (j = 0; j < files[i]->nalbums; j++) {
			for (k = 0; k < nnames; k++)
				if (strcmp(names[k], files[i]->albums[j]) == 0)
					break;
			if (k == nnames && !ledger_in_album(files[i]->asset, files[i]->albums[j])) {
				names = xrealloc(names, (nnames + 1) * sizeof(*names));
				names[nnames++] = files[i]->albums[j];
			}
		}
	}
	fs = xcalloc(n, sizeof(*fs));
	for (k = 0; k < nnames; k++) {
		for (i = m = 0; i < n; i++) {
			if (!confirmed(files[i]) || files[i]->same != NULL ||
			    ledger_in_album(files[i]->asset, names[k]))
				continue;
			for (j = 0; j < files[i]->nalbums; j++)
				if (strcmp(files[i]->albums[j], names[k]) == 0)
					break;
			if (j == files[i]->nalbums)
				continue;
			/* one asset once per album, even if two inputs share it */
			for (j = 0; j < m; j++)
				if (strcmp(fs[j]->asset, files[i]->asset) == 0)
					break;
			if (j == m)
				fs[m++] = files[i];
		}
		if (m > 0)
			fill_album(names[k], fs, m, ledger);
	}
	free(fs);
	free(names);
	if (v2_list != NULL)
		json_decref(v2_list);
	v2_list = NULL;
}
