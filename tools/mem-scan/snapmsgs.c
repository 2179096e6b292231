/*
 * snapmsgs.c -- Snapchat messages: [messages/]json/chat_history.json and
 * snap_history.json ({conversation: [message...]}), with the saved media in
 * chat_media/ beside json/.
 *
 * A file of chat_media/ is tied to its message by the id in its name
 * (YYYY-MM-DD_b~ID.ext, YYYY-MM-DD_media~zip-UUID.ext) when the message
 * lists it in "Media IDs"; else by time. Unzipping gives DOS times: two
 * seconds of resolution, in the unzipping machine's local time. So a file
 * matches a message whose Created is within 2 s of its mtime, first as
 * UTC, then shifted by the one offset (a multiple of 15 minutes) that
 * explains the most files. memoria demanded exact float equality.
 * Overlays (_overlay~zip-UUID.png) go with the media of the same UUID, else
 * with the one media of a message of the same time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXJSON (512 << 20)
#define TOLERANCE 2		/* seconds: DOS times have 2 s steps */
#define MAXSHIFT (14 * 3600)

enum { SM_SKIP, SM_B, SM_UUID, SM_OVERLAY, SM_HASH, SM_OTHER };

struct smfile {
	struct file *f;
	char	 id[128];
	int	 cls;
	int	 used;
	struct smsg *msg;	/* the message it went to */
};

struct smsg {
	const char *conv;	/* conversation id (the JSON key) */
	const char *from, *content, *mtype;
	int	 sender;	/* sent by the export's user */
	int	 has_time;
	int64_t	 time;
	char	*ids[16];
	size_t	 nids;
	size_t	 nfiles;	/* files matched */
	json_t	*json;
	const char *metafile;
};

struct conv {
	const char *id;
	char	*name;		/* for names and captions */
};

/*
 * Classify a chat_media base name; the id (b~..., or the UUID in upper
 * case) into id. memoria's order: hidden names, b~, media~, overlay~,
 * thumbnail~, date_hash; anything else is media without an id.
 */
int
snapmsg_file(const char *base, char *id, size_t idsize, int *overlay)
{
	const char *p, *e;
	size_t n, i;

	*overlay = 0;
	id[0] = '\0';
	if (base[0] == '.' || strncmp(base, "__", 2) == 0)
		return SM_SKIP;
	if ((p = strstr(base, "_b~")) != NULL) {
		p++;
		e = strchr(p, '.');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= idsize)
			n = idsize - 1;
		memcpy(id, p, n);
		id[n] = '\0';
		return SM_B;
	}
	if ((p = strstr(base, "_media~")) != NULL ||
	    (p = strstr(base, "_overlay~")) != NULL) {
		*overlay = p[1] == 'o';
		p = strchr(p, '~') + 1;
		if (strncmp(p, "zip-", 4) == 0)
			p += 4;
		e = strchr(p, '.');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= idsize)
			n = idsize - 1;
		for (i = 0; i < n; i++)
			id[i] = (char)toupper((unsigned char)p[i]);
		id[n] = '\0';
		return *overlay ? SM_OVERLAY : SM_UUID;
	}
	if (strstr(base, "_thumbnail~") != NULL)
		return SM_SKIP;
	n = strlen(base);
	if (n > 44 && base[4] == '-' && base[10] == '_') {
		for (i = 11; i < 43 && isxdigit((unsigned char)base[i]); i++)
			;
		if (i == 43 && base[43] == '.')
			return SM_HASH;
	}
	return SM_OTHER;
}

/* [messages/]json/NAME: the root ("", "messages") holding it, or NULL. */
static const char *
root_of(struct export *ex)
{
	static const char *roots[] = { "", "messages" };
	static const char *names[] = { "chat_history.json", "snap_history.json" };
	size_t i, k;

	/* both files (memoria's rule: one alone is not this export), or
	 * chat_history.json with the chat_media/ it describes (exports
	 * without snap_history.json exist) */
	for (i = 0; i < LEN(roots); i++) {
		int have[2] = { 0, 0 };
		size_t n;
		char *media;

		for (k = 0; k < LEN(names); k++) {
			char *rel = xasprintf("%s%sjson/%s", roots[i],
			    *roots[i] ? "/" : "", names[k]);

			have[k] = export_find(ex, rel) != NULL;
			free(rel);
		}
		media = xasprintf("%s%schat_media", roots[i], *roots[i] ? "/" : "");
		export_under(ex, media, &n);
		free(media);
		if (n == 0) {	/* chat_media/ inside json/ (memoria) */
			media = xasprintf("%s%sjson/chat_media", roots[i],
			    *roots[i] ? "/" : "");
			export_under(ex, media, &n);
			free(media);
		}
		if ((have[0] && have[1]) || (have[0] && n > 0))
			return roots[i];
	}
	return NULL;
}

/*
 * memoria's own intermediate ("preprocessed") Snapchat messages: media/
 * beside a metadata.json object with "conversations" and export_info's
 * export_username (in the export or its messages/), and neither Discord's
 * nor iMessage's markers (msgs.c). Its root, or NULL; *meta its metadata,
 * parsed.
 */
static const char *
pre_root(struct export *ex, json_t **meta)
{
	return memoria_pre(ex, PRE_SNAPCHAT, meta);
}

static int
detect(struct export *ex)
{
	json_t *meta;
	int pre = pre_root(ex, &meta) != NULL;

	json_decref(meta);
	return root_of(ex) != NULL || pre;
}

/*
 * The preprocessed layout: each message naming a media_file under media/
 * makes an item (conversation title, sender, created in UTC); media no
 * message names are orphans, messages naming missing files too.
 */
static void
scan_pre(struct export *ex, const char *root, json_t *meta)
{
	json_t *convs = json_object_get(meta, "conversations"), *c, *m;
	const char *key, *u = json_string_value(json_object_get(json_object_get(meta,
	    "export_info"), "export_username"));
	char *dir = xasprintf("%s%smedia", root, *root ? "/" : "");
	char *mfile = xasprintf("%s%smetadata.json", root, *root ? "/" : "");
	char *user = u && *u ? xstrdup(u) : user_of(ex->name, "snapchat");
	char *src = xasprintf("Snapchat/%s/messages", user);
	struct file *f;
	size_t i, n;

	json_object_foreach(convs, key, c) {
		const char *title = json_string_value(json_object_get(c, "title"));
		const char *conv = title && *title ? title : key;

		json_array_foreach(json_object_get(c, "messages"), i, m) {
			const char *name = json_string_value(json_object_get(m, "media_file"));
			const char *created = json_string_value(json_object_get(m, "created"));
			const char *sender = json_string_value(json_object_get(m, "sender"));
			char *rel = name ? safe_join(dir, name) : NULL;
			struct entry *e;
			int64_t t;
			int32_t off;

			if (name == NULL)
				continue;
			f = rel ? export_find(ex, rel) : NULL;
			free(rel);
			if (f == NULL || f->claimed) {
				if (f == NULL)
					orphan_meta(ex, mfile, m, "media file not found");
				continue;
			}
			e = scan_add(ex, f, "messages", "snap-messages");
			item_set(&e->it.user, user);
			item_add_album(&e->it, src);
			entry_conv(e, conv);
			if (created && time_parse(created, &t, &off) == 0)
				set_time(&e->it, t, off, "json");
			else
				fallback_time(ex, f, e);
			msg_caption(&e->it, src, conv, sender,
			    json_string_value(json_object_get(m, "content")));
		}
	}
	f = export_under(ex, dir, &n);
	for (i = 0; i < n; i++) {
		struct entry *e;

		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, &f[i], "messages", "snap-messages");
		item_set(&e->it.user, user);
		item_add_album(&e->it, src);
		fallback_time(ex, &f[i], e);
		orphan_media(ex, &f[i], "not named in memoria's metadata.json");
	}
	free(dir);
	free(mfile);
	free(user);
	free(src);
}

static int
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

struct state {
	struct export *ex;
	struct smsg *m;
	size_t	 nm, capm;
	struct smfile *sf;
	size_t	 nsf;
	struct conv *cv;
	size_t	 ncv;
	json_t	*roots[2];
	char	*user;
};

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* "Saved Chat History" lists of old exports: the other party names it. */
static const char *
old_conv(const char *key, json_t *v)
{
	if (strncasecmp(key, "Received", 8) == 0 && str(v, "From"))
		return str(v, "From");
	if (strncasecmp(key, "Sent", 4) == 0 && str(v, "To"))
		return str(v, "To");
	return key;
}

static void
load(struct state *s, struct file *f, int slot)
{
	json_t *root, *list, *v;
	const char *key;
	size_t i;

	if ((root = file_json(s->ex, f, MAXJSON)) == NULL)
		return;
	if (!json_is_object(root)) {
		scan_warn(s->ex, f->rel, "not an object of conversations");
		json_decref(root);
		return;
	}
	s->roots[slot] = root;
	json_object_foreach(root, key, list) {
		json_array_foreach(json_is_array(list) ? list : NULL, i, v) {
			struct smsg *m;
			const char *ids, *p;
			int32_t off;
			json_t *snd;

			if (!json_is_object(v))
				continue;
			if (s->nm == s->capm) {
				s->capm = s->capm ? s->capm * 2 : 256;
				s->m = xrealloc(s->m, s->capm * sizeof(*s->m));
			}
			m = &s->m[s->nm++];
			memset(m, 0, sizeof(*m));
			m->json = v;
			m->metafile = f->rel;
			m->conv = strstr(key, "History") ? old_conv(key, v) : key;
			m->from = str(v, "From");
			m->content = str(v, "Content");
			m->mtype = str(v, "Media Type");
			snd = json_object_get(v, "IsSender");
			m->sender = json_is_true(snd) || (json_is_string(snd) &&
			    strcasecmp(json_string_value(snd), "true") == 0) ||
			    strncasecmp(key, "Sent", 4) == 0;
			if (str(v, "Created") && time_parse(str(v, "Created"), &m->time,
			    &off) == 0)
				m->has_time = 1;
			if ((ids = str(v, "Media IDs")) == NULL)
				continue;
			for (p = ids; *p && m->nids < LEN(m->ids);) {
				const char *e = strchr(p, '|');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				size_t a = 0, b = n;

				while (a < b && isspace((unsigned char)p[a]))
					a++;
				while (b > a && isspace((unsigned char)p[b - 1]))
					b--;
				if (b > a)
					m->ids[m->nids++] = xmemdup(p + a, b - a);
				p += n;
				if (*p == '|')
					p++;
			}
		}
	}
}

/* Does a Media IDs entry name this file? */
static int
id_match(const char *want, const struct smfile *sf)
{
	const char *w = want;
	size_t i;

	if (sf->cls == SM_B)
		return strcmp(want, sf->id) == 0;
	if (sf->cls != SM_UUID)
		return 0;
	if (strncmp(w, "media~", 6) == 0)
		w += 6;
	if (strncmp(w, "zip-", 4) == 0)
		w += 4;
	if (strlen(w) != strlen(sf->id))
		return 0;
	for (i = 0; w[i]; i++)
		if (toupper((unsigned char)w[i]) != sf->id[i])
			return 0;
	return 1;
}

static int
wants_media(const struct smsg *m)
{
	if (m->nids > 0)
		return m->nfiles < m->nids;
	if (m->nfiles > 0 || m->mtype == NULL)
		return 0;
	return strcasecmp(m->mtype, "TEXT") != 0 && strcasecmp(m->mtype, "STATUS") != 0 &&
	    strncasecmp(m->mtype, "STATUS", 6) != 0 && strcasecmp(m->mtype, "NOTE") != 0 &&
	    strcasecmp(m->mtype, "LOCATION") != 0 && strcasecmp(m->mtype, "SHARE") != 0;
}

static int64_t
dist(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

static int
cmp_mtime(const void *a, const void *b)
{
	const struct smfile *x = *(struct smfile *const *)a;
	const struct smfile *y = *(struct smfile *const *)b;

	if (x->f->mtime != y->f->mtime)
		return x->f->mtime < y->f->mtime ? -1 : 1;
	return strcmp(x->f->rel, y->f->rel);
}

/* The unmatched files a message may take by time (not b~ ones, which have
 * their id), sorted by mtime: each message then looks at a window. */
static struct smfile **
by_mtime(struct state *s, int cls, size_t *n)
{
	struct smfile **v = xcalloc(s->nsf + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < s->nsf; i++) {
		struct smfile *sf = &s->sf[i];

		if (sf->used || sf->cls == SM_OVERLAY || sf->cls == SM_SKIP ||
		    sf->cls == SM_B || (cls != 0 && sf->cls != cls))
			continue;
		v[(*n)++] = sf;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_mtime);
	return v;
}

/* The first of v[0..n) with mtime >= t. */
static size_t
lower(struct smfile **v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->f->mtime < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The offset of the unzipping machine's clock: of the shifts (multiples of
 * 15 minutes, within 14 hours) that bring an unmatched file within the
 * tolerance of an unmatched message, the one that does so most often.
 */
static int64_t
best_shift(struct state *s, int cls)
{
	unsigned votes[2 * MAXSHIFT / 900 + 1];
	struct smfile **v;
	size_t i, k, n, b = LEN(votes) / 2;

	memset(votes, 0, sizeof(votes));
	v = by_mtime(s, cls, &n);
	for (k = 0; n > 0 && k < s->nm; k++) {
		if (!s->m[k].has_time || !wants_media(&s->m[k]))
			continue;
		for (i = 0; i < LEN(votes); i++) {
			int64_t sh = (int64_t)i * 900 - MAXSHIFT;
			size_t j = lower(v, n, s->m[k].time + sh - TOLERANCE);

			if (sh != 0 && j < n && v[j]->f->mtime <= s->m[k].time + sh + TOLERANCE)
				votes[i]++;
		}
	}
	free(v);
	for (i = 0; i < LEN(votes); i++)
		if (votes[i] > votes[b] || (votes[i] == votes[b] && votes[i] > 0 &&
		    dist((int64_t)i * 900, MAXSHIFT) < dist((int64_t)b * 900, MAXSHIFT)))
			b = i;
	return votes[b] ? (int64_t)b * 900 - MAXSHIFT : 0;
}

/* Unmatched media files within the tolerance of messages, at a shift: the
 * nearest first. */
static void
match_time(struct state *s, int64_t shift)
{
	struct smfile **v;
	size_t k, n;

	v = by_mtime(s, 0, &n);
	for (k = 0; n > 0 && k < s->nm; k++) {
		struct smsg *m = &s->m[k];

		while (m->has_time && wants_media(m)) {
			struct smfile *best = NULL;
			int64_t bd = TOLERANCE + 1, want = m->time + shift;
			size_t j;

			for (j = lower(v, n, want - TOLERANCE); j < n &&
			    v[j]->f->mtime <= want + TOLERANCE; j++)
				if (!v[j]->used && dist(v[j]->f->mtime, want) < bd) {
					bd = dist(v[j]->f->mtime, want);
					best = v[j];
				}
			if (best == NULL)
				break;
			best->used = 1;
			best->msg = m;
			m->nfiles++;
		}
	}
	free(v);
}

static const char *
user_name(struct state *s)
{
	return s->user;
}

/* Names of conversations: DM by the other user, a group by its title or,
 * untitled, by its members (memoria crashed on those). */
static const char *
conv_name(struct state *s, const char *id)
{
	size_t i, k, n = 0;
	char *title = NULL, *names = NULL;

	for (i = 0; i < s->ncv; i++)
		if (strcmp(s->cv[i].id, id) == 0)
			return s->cv[i].name;
	for (k = 0; k < s->nm; k++) {
		const char *t;

		if (strcmp(s->m[k].conv, id) != 0)
			continue;
		t = str(s->m[k].json, "Conversation Title");
		if (t != NULL && *t && title == NULL)
			title = xstrdup(t);
	}
	if (title == NULL && is_uuid(id)) {
		for (k = 0; k < s->nm && n < 3; k++) {
			const char *fr = s->m[k].from;
			char *t;

			if (strcmp(s->m[k].conv, id) != 0 || s->m[k].sender || fr == NULL ||
			    (names && strstr(names, fr)))
				continue;
			t = names ? xasprintf("%s, %s", names, fr) : xstrdup(fr);
			free(names);
			names = t;
			n++;
		}
		title = names ? names : xstrdup("group");
	}
	s->cv = xrealloc(s->cv, (s->ncv + 1) * sizeof(*s->cv));
	s->cv[s->ncv].id = id;
	s->cv[s->ncv].name = title ? title : xstrdup(id);
	return s->cv[s->ncv++].name;
}

static void
add_item(struct state *s, struct smfile *sf, struct smfile *ov)
{
	struct export *ex = s->ex;
	struct smsg *m = sf->msg;
	struct entry *e = scan_add(ex, sf->f, "messages", "snap-messages");
	char *src, *album;

	item_set(&e->it.user, user_name(s));
	src = xasprintf("Snapchat/%s/messages", e->it.user);
	album = xstrdup(src);
	item_add_album(&e->it, album);
	if (m != NULL) {
		const char *cn = conv_name(s, m->conv);

		entry_conv(e, cn);
		if (m->has_time)
			set_time(&e->it, m->time, OFFSET_UNKNOWN, "json");
		else
			fallback_time(ex, sf->f, e);
		msg_caption(&e->it, src, cn, m->sender ? e->it.user : m->from,
		    m->content);
	} else {
		entry_conv(e, "unknown");
		fallback_time(ex, sf->f, e);
		item_set(&e->it.caption, src);
	}
	if (ov != NULL) {
		ov->used = 1;
		ov->f->claimed = 1;
		file_overlay(ex, ov->f, &e->it);
	}
	free(src);
	free(album);
}

/* The overlay of a media file: the same UUID, else the only one of its
 * message's time when the message has one media file. */
static struct smfile *
overlay_for(struct state *s, struct smfile *sf, int64_t shift)
{
	struct smfile *hit = NULL;
	size_t i, n = 0;

	for (i = 0; i < s->nsf; i++)
		if (s->sf[i].cls == SM_OVERLAY && !s->sf[i].used && sf->id[0] &&
		    strcmp(s->sf[i].id, sf->id) == 0)
			return &s->sf[i];
	if (sf->msg == NULL || !sf->msg->has_time || sf->msg->nfiles != 1)
		return NULL;
	for (i = 0; i < s->nsf; i++) {
		struct smfile *o = &s->sf[i];

		if (o->cls != SM_OVERLAY || o->used)
			continue;
		if (dist(o->f->mtime, sf->msg->time) <= TOLERANCE ||
		    (shift && dist(o->f->mtime - shift, sf->msg->time) <= TOLERANCE)) {
			hit = o;
			n++;
		}
	}
	if (n > 1) {
		scan_warn(s->ex, sf->f->rel, "%zu overlays of the same time: "
		    "none merged (ambiguous)", n);
		return NULL;
	}
	return hit;
}

/* The media files of a chat_media folder, classified, into s->sf. */
static void
collect(struct state *s, struct file *f, size_t n)
{
	size_t i;
	int ov;

	for (i = 0; i < n; i++) {
		struct smfile *sf = &s->sf[s->nsf];

		if (f[i].claimed)
			continue;
		if (file_stat(s->ex, &f[i]) < 0) {	/* its mtime dates it */
			scan_warn(s->ex, f[i].rel, "%s", strerror(errno));
			continue;
		}
		sf->f = &f[i];
		sf->cls = snapmsg_file(path_base(f[i].rel), sf->id, sizeof(sf->id), &ov);
		if (sf->cls == SM_SKIP || (sf->cls != SM_OVERLAY &&
		    f[i].kind == KIND_UNKNOWN)) {
			f[i].claimed = f[i].kind != KIND_UNKNOWN;
			continue;
		}
		s->nsf++;
	}
}

static void
scan(struct export *ex, const struct platform *p)
{
	const char *root = root_of(ex);
	struct state s;
	struct file *f;
	char *dir, *jdir, *rel;
	size_t i, k, n, nj;
	int64_t shift;

	(void)p;
	if (root == NULL) {	/* memoria's preprocessed layout only */
		json_t *meta;
		const char *pre = pre_root(ex, &meta);

		if (pre != NULL)
			scan_pre(ex, pre, meta);
		json_decref(meta);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.ex = ex;
	rel = xasprintf("%s%sjson/chat_history.json", root, *root ? "/" : "");
	if ((f = export_find(ex, rel)) != NULL)
		load(&s, f, 0);
	free(rel);
	rel = xasprintf("%s%sjson/snap_history.json", root, *root ? "/" : "");
	if ((f = export_find(ex, rel)) != NULL)
		load(&s, f, 1);
	free(rel);
	s.user = user_of(ex->name, "snapchat");
	for (k = 0; strcmp(s.user, "unknown") == 0 && k < s.nm; k++)
		if (s.m[k].sender && s.m[k].from && *s.m[k].from) {
			free(s.user);
			s.user = xstrdup(s.m[k].from);
		}
	/* chat_media/ beside json/, and json/chat_media/ (memoria's docs) */
	dir = xasprintf("%s%schat_media", root, *root ? "/" : "");
	jdir = xasprintf("%s%sjson/chat_media", root, *root ? "/" : "");
	export_under(ex, dir, &n);
	export_under(ex, jdir, &nj);
	s.sf = xcalloc(n + nj + 1, sizeof(*s.sf));
	f = export_under(ex, dir, &n);
	collect(&s, f, n);
	f = export_under(ex, jdir, &nj);
	collect(&s, f, nj);
	/* 1: by id */
	for (k = 0; k < s.nm; k++)
		for (i = 0; i < s.m[k].nids; i++) {
			size_t j;

			for (j = 0; j < s.nsf; j++)
				if (!s.sf[j].used && id_match(s.m[k].ids[i], &s.sf[j])) {
					s.sf[j].used = 1;
					s.sf[j].msg = &s.m[k];
					s.m[k].nfiles++;
					break;
				}
		}
	/* 2: by time, as UTC, then at the unzipping clock's offset */
	match_time(&s, 0);
	shift = best_shift(&s, SM_UUID);
	if (shift == 0)
		shift = best_shift(&s, SM_HASH);
	if (shift == 0)
		shift = best_shift(&s, SM_OTHER);
	if (shift != 0)
		match_time(&s, shift);
	for (i = 0; i < s.nsf; i++)
		if (s.sf[i].used && s.sf[i].cls != SM_OVERLAY)
			add_item(&s, &s.sf[i], overlay_for(&s, &s.sf[i], shift));
	/* what no message claimed */
	for (i = 0; i < s.nsf; i++) {
		struct smfile *sf = &s.sf[i];

		if (sf->used)
			continue;
		if (sf->cls == SM_OVERLAY) {
			sf->f->claimed = 1;
			scan_warn(ex, sf->f->rel, "overlay of no media file");
			continue;
		}
		sf->used = 1;
		add_item(&s, sf, overlay_for(&s, sf, shift));
		orphan_media(ex, sf->f, "no message in chat_history.json names or "
		    "dates this file");
	}
	/* messages whose media is missing */
	for (k = 0; k < s.nm; k++) {
		struct smsg *m = &s.m[k];

		if (m->nids > m->nfiles)
			orphan_meta(ex, m->metafile, m->json, m->nfiles ?
			    "some of its media files are not in chat_media" :
			    "its media file is not in chat_media");
		for (i = 0; i < m->nids; i++)
			free(m->ids[i]);
	}
	for (i = 0; i < s.ncv; i++)
		free(s.cv[i].name);
	free(s.cv);
	free(s.m);
	free(s.sf);
	free(s.user);
	free(dir);
	free(jdir);
	json_decref(s.roots[0]);
	json_decref(s.roots[1]);
}

const struct platform platform_snapmsgs = {
	"snapchat-messages",
	"Snapchat messages (chat_history.json, snap_history.json, chat_media/)",
	"snapchat", detect, scan
};
