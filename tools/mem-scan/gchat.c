/*
 * gchat.c -- Google Chat in a Takeout: [Takeout/]Google Chat/Groups/<DM|Space
 * ID>/{group_info.json, messages.json, attachments}, and the export's user
 * in Users/<User ID>/user_info.json. A Users/<name>/messages.json with its
 * files beside it is a DM with <name> (memoria's layout).
 *
 * A message's time is Google's long form, "Thursday, November 3, 2016 at
 * 11:59:50 AM UTC" (newer exports put U+202F before AM/PM), read with its
 * zone. Attachments are found by export_name, with Google's quirks: "?"
 * and "'" written as "_", a name used twice saved as NAME(1).EXT, long
 * names cut.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXJSON (256 << 20)

static const struct {
	const char *name;
	int	 min;
} zones[] = {
	{ "UTC", 0 }, { "GMT", 0 }, { "Z", 0 }, { "WET", 0 }, { "BST", 60 },
	{ "CET", 60 }, { "CEST", 120 }, { "EET", 120 }, { "EEST", 180 },
	{ "MSK", 180 }, { "IST", 330 }, { "SGT", 480 }, { "HKT", 480 },
	{ "JST", 540 }, { "KST", 540 }, { "AEST", 600 }, { "AEDT", 660 },
	{ "NZST", 720 }, { "NZDT", 780 }, { "HST", -600 }, { "AKST", -540 },
	{ "AKDT", -480 }, { "PST", -480 }, { "PDT", -420 }, { "MST", -420 },
	{ "MDT", -360 }, { "CST", -360 }, { "CDT", -300 }, { "EST", -300 },
	{ "EDT", -240 }, { "AST", -240 }, { "ADT", -180 }, { "NST", -210 },
	{ "BRT", -180 }
};

static const char *months[] = { "january", "february", "march", "april", "may",
    "june", "july", "august", "september", "october", "november", "december" };

/* Next word of s (letters, digits, ':', '+', '-'), skipping spaces and
 * punctuation; U+00A0 and U+202F count as spaces. */
static size_t
word(const char **s, char *w, size_t size)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t n = 0;

	for (;;) {
		if (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		else if (p[0] == 0xc2 && p[1] == 0xa0)
			p += 2;
		else if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xaf)
			p += 3;
		else
			break;
	}
	while (*p && (isalnum(*p) || *p == ':' || *p == '+' || *p == '-' || *p == '.')) {
		if (n + 1 < size)
			w[n++] = (char)*p;
		p++;
	}
	w[n] = '\0';
	*s = (const char *)p;
	return n;
}

/* "+05:30", "-0800", "+2" after GMT/UTC: minutes, or -1. */
static int
zone_digits(const char *z, int *min)
{
	int sign, h = 0, m = 0, nd = 0;

	if (*z != '+' && *z != '-')
		return -1;
	sign = *z++ == '-' ? -1 : 1;
	while (isdigit((unsigned char)*z) && nd < 2) {
		h = h * 10 + (*z++ - '0');
		nd++;
	}
	if (nd == 0)
		return -1;
	if (*z == ':')
		z++;
	if (isdigit((unsigned char)z[0]) && isdigit((unsigned char)z[1])) {
		m = (z[0] - '0') * 10 + (z[1] - '0');
		z += 2;
	}
	if (*z != '\0' || h > 18 || m > 59)
		return -1;
	*min = sign * (h * 60 + m);
	return 0;
}

/*
 * Google Chat's created_date. Returns 0 with the instant and the zone's
 * offset (OFFSET_UNKNOWN for UTC: the sender's own clock is not known), or
 * -1 when the text or its zone is not understood. ISO 8601 is read too.
 */
int
gchat_date(const char *s, int64_t *utc, int32_t *off)
{
	char w[64];
	const char *p = s;
	int mon = -1, day, year, h, mi, sec = 0, zmin = 0, known = 0;
	size_t i;
	struct tm tm;

	if (time_parse(s, utc, off) == 0) {
		if (*off == 0)
			*off = OFFSET_UNKNOWN;
		return 0;
	}
	/* an optional weekday, then the month */
	while (mon < 0 && word(&p, w, sizeof(w)) > 0)
		for (i = 0; i < LEN(months); i++)
			if (strcasecmp(w, months[i]) == 0 ||
			    (strlen(w) == 3 && strncasecmp(w, months[i], 3) == 0))
				mon = (int)i;
	if (mon < 0 || word(&p, w, sizeof(w)) == 0)
		return -1;
	day = (int)strtol(w, NULL, 10);
	if (word(&p, w, sizeof(w)) == 0)
		return -1;
	year = (int)strtol(w, NULL, 10);
	if (word(&p, w, sizeof(w)) > 0 && strcasecmp(w, "at") == 0 &&
	    word(&p, w, sizeof(w)) == 0)
		return -1;
	if (sscanf(w, "%d:%d:%d", &h, &mi, &sec) < 2)
		return -1;
	if (word(&p, w, sizeof(w)) > 0 && (strcasecmp(w, "AM") == 0 ||
	    strcasecmp(w, "PM") == 0)) {
		if (h < 1 || h > 12)
			return -1;
		h = h % 12 + (toupper((unsigned char)w[0]) == 'P' ? 12 : 0);
		word(&p, w, sizeof(w));
	}
	if (w[0] == '\0') {
		known = 0;
	} else if (zone_digits(w, &zmin) == 0) {
		known = 1;
	} else {
		for (i = 0; i < LEN(zones); i++) {
			size_t zl = strlen(zones[i].name);

			if (strncasecmp(w, zones[i].name, zl) == 0 && (w[zl] == '\0' ||
			    zone_digits(w + zl, &zmin) == 0)) {
				if (w[zl] == '\0')
					zmin = zones[i].min;
				known = 1;
				break;
			}
		}
		if (!known)
			return -1;
	}
	if (*p != '\0' || year < 1970 || year > 9999 || day < 1 || day > 31 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	*utc = time_from_utc_tm(&tm) - (int64_t)zmin * 60;
	*off = known && zmin != 0 ? zmin : OFFSET_UNKNOWN;
	return 0;
}

/*
 * The "Google Chat" directories of the export (Takeout-wrapped or not):
 * those with a Groups/<conversation>/messages.json, and, when users is
 * set, those with a Users/<name>/messages.json (a DM kept under the other
 * person's folder, as memoria's fixtures have it).
 */
static size_t
roots(struct export *ex, char **out, size_t max, int users)
{
	static const char *subs[] = { "Google Chat/Groups/", "Google Chat/Users/" };
	size_t i, n = 0, k, s;

	for (i = 0; i < ex->nfiles && n < max; i++) {
		const char *r = ex->files[i].rel, *g = NULL;
		char *root;

		for (s = 0; s < (users ? 2u : 1u) && g == NULL; s++)
			if ((g = strstr(r, subs[s])) != NULL && g != r && g[-1] != '/')
				g = NULL;
		if (g == NULL || strcmp(path_base(r), "messages.json") != 0)
			continue;
		root = xmemdup(r, (size_t)(g - r) + strlen("Google Chat"));
		for (k = 0; k < n; k++)
			if (strcmp(out[k], root) == 0)
				break;
		if (k < n)
			free(root);
		else
			out[n++] = root;
	}
	return n;
}

/* A Users/<name>/messages.json attaching a file: a DM with media to date
 * (one without attachments is no Google Chat export: memoria's rule). */
static int
users_media(struct export *ex)
{
	size_t i, k;
	json_t *j, *m;

	for (i = 0; i < ex->nfiles; i++) {
		const char *r = ex->files[i].rel, *g = strstr(r, "Google Chat/Users/");
		int hit = 0;

		if (g == NULL || (g != r && g[-1] != '/') ||
		    strcmp(path_base(r), "messages.json") != 0 ||
		    (j = file_json(ex, &ex->files[i], MAXJSON)) == NULL)
			continue;
		json_array_foreach(json_object_get(j, "messages"), k, m)
			hit |= json_array_size(json_object_get(m, "attached_files")) > 0;
		json_decref(j);
		if (hit)
			return 1;
	}
	return 0;
}

static int
detect(struct export *ex)
{
	char *r[8];
	size_t n = roots(ex, r, LEN(r), 0), i;

	for (i = 0; i < n; i++)
		free(r[i]);
	return n > 0 || users_media(ex);
}

/* The export user's address, from the first Users/<id>/user_info.json. */
static char *
user_email(struct export *ex, const char *root)
{
	char *dir = xasprintf("%s/Users", root), *email = NULL;
	struct file *f;
	size_t i, n;

	f = export_under(ex, dir, &n);
	for (i = 0; i < n && email == NULL; i++) {
		json_t *j;
		const char *e;

		if (strcmp(path_base(f[i].rel), "user_info.json") != 0)
			continue;
		if ((j = file_json(ex, &f[i], MAXJSON)) == NULL)
			continue;
		e = json_string_value(json_object_get(json_object_get(j, "user"), "email"));
		if (e != NULL && *e)
			email = xstrdup(e);
		json_decref(j);
	}
	free(dir);
	return email;
}

static const char *
jstrv(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* memoria's names: a DM by the other member, a Space by its name, else by
 * the first names of its other members, else by its id. */
static char *
conv_name(json_t *info, const char *gid, const char *email)
{
	const char *name = jstrv(info, "name");
	json_t *members = json_object_get(info, "members"), *m;
	char *s = NULL, *t;
	size_t i;
	int dm = strncmp(gid, "DM ", 3) == 0;

	if (!dm && name && *name && strcmp(name, "Group Chat") != 0)
		return xstrdup(name);
	json_array_foreach(json_is_array(members) ? members : NULL, i, m) {
		const char *mn = jstrv(m, "name"), *me = jstrv(m, "email");
		size_t wl;

		if (mn == NULL || *mn == '\0' || (email && me && strcasecmp(me, email) == 0))
			continue;
		if (dm)
			return xstrdup(mn);
		wl = strcspn(mn, " ");
		t = s ? xasprintf("%s, %.*s", s, (int)wl, mn) : xmemdup(mn, wl);
		free(s);
		s = t;
	}
	if (s != NULL)
		return s;
	if (name && *name)
		return xstrdup(name);
	return xstrdup(gid);
}

struct use {
	char	*name;
	int	 n;
};

/* "?" and "'" as Google writes them in file names. */
static char *
quirks(const char *s)
{
	char *t = xstrdup(s), *p;

	for (p = t; *p; p++)
		if (*p == '?' || *p == '\'' || *p == '/' || *p == ':' || *p == '"' ||
		    *p == '*' || *p == '<' || *p == '>' || *p == '|' || *p == '\\')
			*p = '_';
	return t;
}

static struct file *
find_in(struct export *ex, const char *dir, const char *name)
{
	char *rel = safe_join(dir, name);
	struct file *f = rel ? export_find(ex, rel) : NULL;

	free(rel);
	return f;
}

/*
 * The file of an attachment: its name (quirks applied) the first time, the
 * name with (N) the N-th time again; then a name Google cut: same
 * extension, one stem a prefix of at least 30 bytes of the other.
 */
static struct file *
attachment(struct export *ex, const char *dir, const char *export_name,
    struct use **uses, size_t *nuses)
{
	char *q = quirks(export_name), *alt;
	const char *dot = strrchr(q, '.');
	struct file *f = NULL, *g;
	size_t i, n, stem = dot && dot != q ? (size_t)(dot - q) : strlen(q);
	int *count = NULL;

	for (i = 0; i < *nuses; i++)
		if (strcmp((*uses)[i].name, q) == 0)
			count = &(*uses)[i].n;
	if (count == NULL) {
		*uses = xrealloc(*uses, (*nuses + 1) * sizeof(**uses));
		(*uses)[*nuses].name = xstrdup(q);
		(*uses)[*nuses].n = 0;
		count = &(*uses)[(*nuses)++].n;
	}
	if (*count == 0) {
		if ((f = find_in(ex, dir, export_name)) == NULL || f->claimed)
			f = find_in(ex, dir, q);
	}
	if (f == NULL || f->claimed) {
		alt = xasprintf("%.*s(%d)%s", (int)stem, q, *count, q + stem);
		f = find_in(ex, dir, alt);
		free(alt);
	}
	if ((f == NULL || f->claimed) && stem >= 30) {
		g = export_under(ex, dir, &n);
		for (f = NULL, i = 0; i < n && f == NULL; i++) {
			const char *b = path_base(g[i].rel), *bd = strrchr(b, '.');
			size_t bs = bd && bd != b ? (size_t)(bd - b) : strlen(b);
			size_t m = bs < stem ? bs : stem;

			if (!g[i].claimed && g[i].kind != KIND_UNKNOWN && m >= 30 &&
			    strchr(g[i].rel + strlen(dir) + 1, '/') == NULL &&
			    strncmp(b, q, m) == 0 && strcasecmp(b + bs, q + stem) == 0)
				f = &g[i];
		}
	}
	(*count)++;
	free(q);
	return f && !f->claimed && f->kind != KIND_UNKNOWN ? f : NULL;
}

static void
scan_group(struct export *ex, const char *gdir, const char *email,
    const char *user, const char *album)
{
	char *rel = xasprintf("%s/group_info.json", gdir), *conv, *src;
	const char *gid = path_base(gdir);
	struct file *f = export_find(ex, rel), *g;
	json_t *info = NULL, *root, *msgs, *m;
	struct use *uses = NULL;
	size_t nuses = 0, i, k, n;

	free(rel);
	if (f != NULL)
		info = file_json(ex, f, MAXJSON);
	conv = conv_name(info, gid, email);
	src = xasprintf("Google Chat/%s", user);
	rel = xasprintf("%s/messages.json", gdir);
	f = export_find(ex, rel);
	free(rel);
	root = f ? file_json(ex, f, MAXJSON) : NULL;
	msgs = json_object_get(root, "messages");
	if (root != NULL && !json_is_array(msgs))
		scan_warn(ex, f->rel, "no \"messages\" list");
	json_array_foreach(json_is_array(msgs) ? msgs : NULL, i, m) {
		json_t *files = json_object_get(m, "attached_files"), *a;
		const char *date = jstrv(m, "created_date");
		const char *sender = jstrv(json_object_get(m, "creator"), "name");
		int64_t t;
		int32_t off;
		int has_t = date && gchat_date(date, &t, &off) == 0;

		if (date && !has_t)
			scan_warn(ex, f->rel, "created_date \"%s\" not understood", date);
		json_array_foreach(json_is_array(files) ? files : NULL, k, a) {
			const char *en = jstrv(a, "export_name");
			struct file *af;
			struct entry *e;

			if (en == NULL)
				en = jstrv(a, "original_name");
			af = en ? attachment(ex, gdir, en, &uses, &nuses) : NULL;
			if (af == NULL) {
				json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}",
				    "conversation_id", jstr(gid), "conversation_name",
				    jstr(conv), "export_name", en ? jstr(en) : json_null(),
				    "message_timestamp", date ? jstr(date) : json_null(),
				    "sender", sender ? jstr(sender) : json_null());

				orphan_meta(ex, f->rel, o, en == NULL ? "attachment without "
				    "export_name" : "attachment not found in the conversation");
				json_decref(o);
				continue;
			}
			e = scan_add(ex, af, "chat", "gchat");
			item_set(&e->it.user, user);
			entry_conv(e, conv);
			item_add_album(&e->it, album);
			if (has_t)
				set_time(&e->it, t, off, "json");
			else
				fallback_time(ex, af, e);
			msg_caption(&e->it, src, conv, sender, jstrv(m, "text"));
		}
	}
	/* media in the conversation that no message names */
	g = export_under(ex, gdir, &n);
	for (i = 0; i < n; i++) {
		struct entry *e;

		if (g[i].claimed || g[i].kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, &g[i], "chat", "gchat");
		item_set(&e->it.user, user);
		entry_conv(e, conv);
		item_add_album(&e->it, album);
		fallback_time(ex, &g[i], e);
		item_set(&e->it.caption, src);
		orphan_media(ex, &g[i], "no message of messages.json attaches it");
	}
	for (i = 0; i < nuses; i++)
		free(uses[i].name);
	free(uses);
	json_decref(root);
	json_decref(info);
	free(conv);
	free(src);
}

static void
scan(struct export *ex, const struct platform *p)
{
	char *r[8], *email, *user, *diruser, *album, *last = NULL;
	size_t nr = roots(ex, r, LEN(r), 1), i, k, n, s;

	(void)p;
	for (i = 0; i < nr; i++) {
		char *gdir;
		struct file *g;

		email = user_email(ex, r[i]);
		diruser = user_of(ex->name, "google");
		if (email != NULL) {
			size_t el = strlen(email);

			user = el > 10 && strcasecmp(email + el - 10, "@gmail.com") == 0 ?
			    xmemdup(email, el - 10) : xstrdup(email);
		} else {
			user = xstrdup(diruser);
			scan_warn(ex, r[i], "no Users/*/user_info.json: the user is "
			    "taken from the directory name");
		}
		album = xasprintf("Google Chat/%s", strcmp(diruser, "unknown") != 0 ?
		    diruser : user);
		/* Groups/<DM|Space id>/, then Users/<name>/ holding messages */
		for (s = 0; s < 2; s++) {
			gdir = xasprintf("%s/%s", r[i], s == 0 ? "Groups" : "Users");
			g = export_under(ex, gdir, &n);
			for (k = 0; k < n; k++) {
				const char *rest = g[k].rel + strlen(gdir) + 1;
				const char *sl = strchr(rest, '/');
				char *gd, *mrel;

				if (sl == NULL)
					continue;
				gd = xmemdup(g[k].rel, (size_t)(sl - g[k].rel));
				mrel = xasprintf("%s/messages.json", gd);
				if ((last == NULL || strcmp(last, gd) != 0) &&
				    (s == 0 || export_find(ex, mrel) != NULL)) {
					scan_group(ex, gd, email, user, album);
					free(last);
					last = gd;
				} else {
					free(gd);
				}
				free(mrel);
			}
			free(last);
			last = NULL;
			free(gdir);
		}
		free(album);
		free(user);
		free(diruser);
		free(email);
		free(r[i]);
	}
}

const struct platform platform_gchat = {
	"google-chat",
	"Google Chat (Takeout: Groups/*/messages.json, Users/*/user_info.json)",
	"google", detect, scan
};
