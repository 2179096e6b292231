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

/* The file is on the server all the same: it stays confirmed (printed,
 * in the ledger); the run's status says an album step failed. */
static void
album_fail(struct upfile *f, const char *album, const char *why)
{
	if (f->state == F_FAILED || f->album_failed)
		return;
	f->album_failed = 1;
	free(f->why);
	f->why = xasprintf("on the server, but not in album \"%s\": %s", album, why);
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/*
 * A folder name from an old Windows export is CP1252 (or Latin-1) bytes,
 * which Immich cannot take as an album name. Each byte that is not part
 * of valid UTF-8 is read as CP1252; the five bytes CP1252 leaves undefined
 * as Latin-1. So every name converts, and the same bytes always give the
 * same album.
 */
char *
album_utf8(const char *name)
{
	static const unsigned short cp1252[32] = {
		0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021,
		0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
		0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
		0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178
	};
	const unsigned char *s = (const unsigned char *)name;
	char *out, *o;
	unsigned c;
	size_t k, bad = 0;

	for (k = 0; s[k] != '\0'; k += utf8_len(s + k) ? utf8_len(s + k) : 1)
		bad += utf8_len(s + k) == 0;
	if (bad == 0)
		return NULL;
	o = out = xmalloc(strlen(name) * 3 + 1);
	while (*s != '\0') {
		if ((k = utf8_len(s)) > 0) {
			memcpy(o, s, k);
			o += k;
			s += k;
			continue;
		}
		c = *s >= 0x80 && *s < 0xa0 ? cp1252[*s - 0x80] : *s;
		if (c < 0x800) {
			*o++ = (char)(0xc0 | c >> 6);
		} else {
			*o++ = (char)(0xe0 | c >> 12);
			*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		}
		*o++ = (char)(0x80 | (c & 0x3f));
		s++;
	}
	*o = '\0';
	return out;
}

/* Add the files (all confirmed) to the album; count what happened. */
static void
fill_album(const char *name, struct upfile **fs, size_t n, FILE *ledger)
{
	struct reply r;
	json_t *ids, *body, *v;
	const char *id, *error, *sname;
	char err[512], *album, *conv;
	size_t i, j, k, added = 0;
	int created;

	/* (the ledger keeps the name as the record has it) */
	if ((conv = album_utf8(name)) != NULL)
		warnx_("album \"%s\": not valid UTF-8; named \"%s\" (its bytes read as "
		    "CP1252)", name, conv);
	sname = conv ? conv : name;
	if ((album = get_or_create(sname, &created, err, sizeof(err))) == NULL) {
		for (i = 0; i < n; i++)
			album_fail(fs[i], name, err);
		free(conv);
		return;
	}
	free(conv);
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
