/*
 * discord.c -- Discord's data package: [package/]Messages/index.json (channel
 * id to title) and Messages/c<id>/{channel.json, messages.json or the older
 * messages.csv}. A message's "Attachments" are CDN URLs: the package holds
 * no files. mem-scan makes no network call; a file counts when the user
 * put it in the channel folder (as NAME, MESSAGEID_NAME, or under
 * attachments/), and every other media attachment becomes an item with
 * its link (url=), which mem-fetch downloads.
 * Audio is kept (memoria dropped it). memoria's own preprocessed Discord
 * (metadata.json + media/) is read too.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXMETA (256 << 20)

/* The Messages directory, found by its index.json. */
static char *
messages_dir(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfiles; i++) {
		const char *r = ex->files[i].rel;
		char *d;

		if (strcmp(path_base(r), "index.json") != 0)
			continue;
		d = path_dir(r);
		if (strcasecmp(path_base(d), "messages") == 0)
			return d;
		free(d);
	}
	return NULL;
}

static int
detect(struct export *ex)
{
	char *d = messages_dir(ex), *c;
	struct file *f;
	size_t n, i;
	int hit = 0;
	json_t *meta;

	if (d == NULL) {	/* memoria's preprocessed Discord */
		hit = memoria_pre(ex, PRE_DISCORD, &meta) != NULL;
		json_decref(meta);
		return hit;
	}
	f = export_under(ex, d, &n);
	for (i = 0; i < n && !hit; i++) {
		c = f[i].rel + strlen(d) + 1;
		hit = c[0] == 'c' && isdigit((unsigned char)c[1]) && strchr(c, '/') != NULL;
	}
	free(d);
	return hit;
}

/* messages.csv (ID,Timestamp,Contents,Attachments) as messages.json's list. */
static json_t *
load_csv(struct export *ex, struct file *f)
{
	struct csv c, hdr;
	json_t *list;
	size_t len, i;
	char *buf;
	int col[4];
	static const char *names[] = { "ID", "Timestamp", "Contents", "Attachments" };

	f->claimed = 1;
	if ((buf = file_slurp(ex, f, MAXMETA, &len)) == NULL)
		return NULL;
	csv_init(&c, buf, len);
	if (!csv_row(&c)) {
		csv_free(&c);
		free(buf);
		return json_array();
	}
	memset(&hdr, 0, sizeof(hdr));	/* the header's fields, kept */
	hdr.f = xcalloc(c.n + 1, sizeof(char *));
	for (i = 0; i < c.n; i++)
		hdr.f[i] = xstrdup(c.f[i]);
	hdr.n = c.n;
	for (i = 0; i < LEN(names); i++)
		col[i] = csv_col(&hdr, names[i]);
	list = json_array();
	if (col[1] < 0)
		scan_warn(ex, f->rel, "no Timestamp column");
	while (col[1] >= 0 && csv_row(&c)) {
		json_t *o = json_object();

		for (i = 0; i < LEN(names); i++)
			if (col[i] >= 0 && (size_t)col[i] < c.n)
				json_object_set_new(o, names[i], jstr(c.f[col[i]]));
		json_array_append_new(list, o);
	}
	for (i = 0; i < hdr.n; i++)
		free(hdr.f[i]);
	free(hdr.f);
	csv_free(&c);
	free(buf);
	return list;
}

/* %XX decoded, the query cut: the file name at the end of a CDN URL. */
static char *
url_name(const char *url)
{
	const char *q = url + strcspn(url, "?#"), *s = q;
	char *out, *w;

	while (s > url && s[-1] != '/')
		s--;
	out = w = xmalloc((size_t)(q - s) + 1);
	for (; s < q; s++) {
		if (*s == '%' && s + 2 < q && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], '\0' };
			int ch = (int)strtol(hex, NULL, 16);

			if (ch != 0 && ch != '/') {
				*w++ = (char)ch;
				s += 2;
				continue;
			}
		}
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

/* A linked attachment's own path in the export: the channel folder, the
 * URL's path (its ids keep two attachments of one name apart), the name. */
static char *
link_rel(const char *cdir, const char *url, const char *name)
{
	const char *p = strstr(url, "://"), *q, *last;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	q = p + strcspn(p, "?#");
	for (last = q; last > p && last[-1] != '/'; last--)
		;
	while (p < last && *p == '/')
		p++;
	return xasprintf("%s/%.*s%s", cdir, (int)(last - p), p, *name ? name : "attachment");
}

static struct file *
local_file(struct export *ex, const char *cdir, const char *id, const char *name)
{
	static const char *fmt[] = { "%s%s", "%s_%s", "attachments/%s%s",
	    "attachments/%s_%s" };
	struct file *f;
	size_t i;

	for (i = 0; i < LEN(fmt); i++) {
		char *n = i % 2 ? xasprintf(fmt[i], id, name) : xasprintf(fmt[i], "", name);
		char *rel = safe_join(cdir, n);

		free(n);
		f = rel ? export_find(ex, rel) : NULL;
		free(rel);
		if (f != NULL && !f->claimed && f->kind != KIND_UNKNOWN)
			return f;
	}
	return NULL;
}

struct chan {
	char	*part;		/* for the file name */
	char	*label;		/* for the caption */
};

/* "Direct Message with bob#0" → bob; a guild channel by its name. */
static void
channel(json_t *index, json_t *info, const char *id, struct chan *c)
{
	const char *title = NULL, *type = NULL, *name, *guild;
	char key[64];
	json_t *t;

	snprintf(key, sizeof(key), "%s", id);
	title = json_string_value(json_object_get(index, key));
	if (title == NULL) {
		snprintf(key, sizeof(key), "c%s", id);
		title = json_string_value(json_object_get(index, key));
	}
	t = json_object_get(info, "type");
	if (json_is_string(t))
		type = json_string_value(t);
	else if (json_is_integer(t))
		type = json_integer_value(t) == 1 ? "DM" : json_integer_value(t) == 3 ?
		    "GROUP_DM" : "GUILD_TEXT";
	name = json_string_value(json_object_get(info, "name"));
	guild = json_string_value(json_object_get(json_object_get(info, "guild"), "name"));
	if ((type && strcmp(type, "DM") == 0) ||
	    (title && strncmp(title, "Direct Message with ", 20) == 0)) {
		const char *who = title && strncmp(title, "Direct Message with ", 20) == 0 ?
		    title + 20 : title ? title : "dm";
		size_t n = strlen(who), k = n;

		while (k > 0 && isdigit((unsigned char)who[k - 1]))
			k--;
		if (k > 0 && k < n && who[k - 1] == '#')
			n = k - 1;
		c->part = xmemdup(who, n);
		c->label = xasprintf("DM with %s", c->part);
	} else if (type && strcmp(type, "GROUP_DM") == 0) {
		c->part = xstrdup(name && *name ? name : "group");
		c->label = xstrdup(name && *name ? name : title && *title ? title : "Group DM");
	} else if (name != NULL) {
		c->part = xstrdup(name);
		c->label = guild ? xasprintf("#%s in %s", name, guild) : xasprintf("#%s", name);
	} else if (title != NULL) {
		const char *in = strstr(title, " in ");

		c->part = in ? xmemdup(title, (size_t)(in - title)) : xstrdup(title);
		c->label = xstrdup(title);
	} else {
		c->part = xstrdup(id);
		c->label = xstrdup(id);
	}
	if (strlen(c->part) > 30)
		c->part[30] = '\0';	/* conv_slug keeps whole characters */
}

static char *
json_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return xstrdup("");
}

static void
scan_channel(struct export *ex, const char *cdir, json_t *index, const char *user,
    const char *album, const char *src)
{
	const char *id = path_base(cdir) + 1;
	char *rel;
	struct file *f, *mf;
	json_t *info = NULL, *list = NULL, *m;
	struct chan c;
	size_t i, n;

	rel = xasprintf("%s/channel.json", cdir);
	if ((f = export_find(ex, rel)) != NULL)
		info = file_json(ex, f, MAXMETA);
	free(rel);
	rel = xasprintf("%s/messages.json", cdir);
	if ((mf = export_find(ex, rel)) != NULL)
		list = file_json(ex, mf, MAXMETA);
	free(rel);
	if (mf == NULL) {
		rel = xasprintf("%s/messages.csv", cdir);
		if ((mf = export_find(ex, rel)) != NULL)
			list = load_csv(ex, mf);
		free(rel);
	}
	channel(index, info, id, &c);
	if (list != NULL && !json_is_array(list))
		scan_warn(ex, mf->rel, "not a list of messages");
	json_array_foreach(json_is_array(list) ? list : NULL, i, m) {
		const char *atts = json_string_value(json_object_get(m, "Attachments"));
		const char *ts = json_string_value(json_object_get(m, "Timestamp"));
		const char *text = json_string_value(json_object_get(m, "Contents"));
		char *mid = json_text(json_object_get(m, "ID"));
		int64_t t = 0;
		int32_t off = OFFSET_UNKNOWN;
		int has_t = ts && time_parse(ts, &t, &off) == 0;
		const char *p = atts;

		if (off == 0)
			off = OFFSET_UNKNOWN;	/* UTC; the user's clock is unknown */
		if (ts && !has_t)
			scan_warn(ex, mf->rel, "Timestamp \"%s\" not understood", ts);
		while (p && *p) {
			size_t wl;
			char *url, *name;
			struct file *af;
			struct entry *e;

			while (*p == ' ')
				p++;
			wl = strcspn(p, " ");
			if (wl == 0)
				break;
			url = xmemdup(p, wl);
			p += wl;
			name = url_name(url);
			af = *name ? local_file(ex, cdir, mid, name) : NULL;
			if (af == NULL && (kind_of_name(name) == KIND_UNKNOWN ||
			    (strncmp(url, "https://", 8) != 0 &&
			    strncmp(url, "http://", 7) != 0))) {
				free(url);
				free(name);
				continue;
			}
			if (af == NULL) {
				/* only the CDN link: mem-fetch downloads it */
				char *vrel = link_rel(cdir, url, name);

				e = scan_add_link(ex, vrel, "url", url, kind_of_name(name),
				    "messages", "discord");
				free(vrel);
			} else {
				e = scan_add(ex, af, "messages", "discord");
			}
			item_set(&e->it.user, user);
			entry_conv(e, c.part);
			item_add_album(&e->it, album);
			if (has_t)
				set_time(&e->it, t, off, "json");
			else if (af != NULL)	/* a link alone has no file to date it by */
				fallback_time(ex, af, e);
			msg_caption(&e->it, src, c.label, user, text);
			free(url);
			free(name);
		}
		free(mid);
	}
	f = export_under(ex, cdir, &n);
	for (i = 0; i < n; i++) {
		struct entry *e;

		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, &f[i], "messages", "discord");
		item_set(&e->it.user, user);
		entry_conv(e, c.part);
		item_add_album(&e->it, album);
		item_set(&e->it.caption, src);
		fallback_time(ex, &f[i], e);
		orphan_media(ex, &f[i], "no message of the channel links it");
	}
	free(c.part);
	free(c.label);
	json_decref(info);
	json_decref(list);
}

struct pre {
	const char *user, *album;
};

/*
 * A file of memoria's preprocessed Discord (metadata.json: conversations
 * by channel id, each {type dm|group_dm|server, title, guild_name,
 * messages [{id, timestamp "… UTC", content, media_files}]}): the same
 * names and caption as the raw package's; the package holds the user's
 * own messages only, so the sender is the user.
 */
static void
pre_item(struct export *ex, struct file *f, const char *key, json_t *conv,
    json_t *msg, void *arg)
{
	struct pre *p = arg;
	const char *type = json_string_value(json_object_get(conv, "type"));
	const char *title = json_string_value(json_object_get(conv, "title"));
	const char *guild = json_string_value(json_object_get(conv, "guild_name"));
	const char *ts = json_string_value(json_object_get(msg, "timestamp"));
	struct entry *e = scan_add(ex, f, "messages", "discord");
	json_t *index, *info;
	struct chan c;
	int64_t t;
	int32_t off;

	item_set(&e->it.user, p->user);
	item_add_album(&e->it, p->album);
	if (key == NULL) {	/* in media/, named by no message */
		item_set(&e->it.caption, p->album);
		fallback_time(ex, f, e);
		return;
	}
	/* channel() as for the package: the index's title, channel.json's type */
	index = json_pack("{s:s?}", key, title);
	info = json_pack("{s:s}", "type", type == NULL ? "" : strcmp(type, "dm") == 0 ?
	    "DM" : strcmp(type, "group_dm") == 0 ? "GROUP_DM" : "GUILD_TEXT");
	if (info != NULL && guild != NULL && title != NULL) {
		size_t tl = strlen(title), gl = strlen(guild);
		char *name = tl > gl + 4 && strcmp(title + tl - gl, guild) == 0 &&
		    strncmp(title + tl - gl - 4, " in ", 4) == 0 ?
		    xmemdup(title, tl - gl - 4) : xstrdup(title);

		json_object_set_new(info, "name", jstr(name));
		json_object_set_new(info, "guild", json_pack("{s:s}", "name", guild));
		free(name);
	}
	if (index == NULL || info == NULL)
		die(ST_FATAL, "out of memory");
	channel(index, info, key, &c);
	entry_conv(e, c.part);
	if (ts && time_parse(ts, &t, &off) == 0)
		set_time(&e->it, t, OFFSET_UNKNOWN, "json");
	else
		fallback_time(ex, f, e);
	msg_caption(&e->it, p->album, c.label, p->user,
	    json_string_value(json_object_get(msg, "content")));
	free(c.part);
	free(c.label);
	json_decref(index);
	json_decref(info);
}

static void
scan_pre(struct export *ex)
{
	json_t *meta;
	const char *root = memoria_pre(ex, PRE_DISCORD, &meta);
	const char *u = json_string_value(json_object_get(json_object_get(meta,
	    "export_info"), "export_username"));
	char *user, *album;
	struct pre p;

	if (root == NULL)
		return;
	user = u && *u && strcmp(u, "unknown") != 0 ? xstrdup(u) :
	    user_of(ex->name, "discord");
	album = xasprintf("Discord/%s", user);
	p.user = user;
	p.album = album;
	memoria_pre_each(ex, root, meta, pre_item, &p);
	free(album);
	free(user);
	json_decref(meta);
}

/* The account's name when the directory name does not give it. */
static char *
account_user(struct export *ex, const char *mdir)
{
	char *parent = path_dir(mdir), *rel, *u = NULL;
	struct file *f;
	json_t *j;

	rel = xasprintf("%s%saccount/user.json", parent, *parent ? "/" : "");
	f = export_find(ex, rel);
	if (f == NULL) {
		free(rel);
		rel = xasprintf("%s%sAccount/user.json", parent, *parent ? "/" : "");
		f = export_find(ex, rel);
	}
	if (f != NULL && (j = file_json(ex, f, MAXMETA)) != NULL) {
		const char *s = json_string_value(json_object_get(j, "username"));

		if (s && *s)
			u = xstrdup(s);
		json_decref(j);
	}
	free(rel);
	free(parent);
	return u;
}

static void
scan(struct export *ex, const struct platform *p)
{
	char *mdir = messages_dir(ex), *user, *album, *src, *rel, *last = NULL;
	struct file *f;
	json_t *index = NULL;
	size_t n, i;

	(void)p;
	if (mdir == NULL) {
		scan_pre(ex);
		return;
	}
	rel = xasprintf("%s/index.json", mdir);
	if ((f = export_find(ex, rel)) != NULL)
		index = file_json(ex, f, MAXMETA);
	free(rel);
	user = user_of(ex->name, "discord");
	if (strcmp(user, "unknown") == 0 && (src = account_user(ex, mdir)) != NULL) {
		free(user);
		user = src;
	}
	album = xasprintf("Discord/%s", user);
	src = xstrdup(album);
	f = export_under(ex, mdir, &n);
	for (i = 0; i < n; i++) {
		const char *c = f[i].rel + strlen(mdir) + 1, *sl = strchr(c, '/');
		char *cd;

		if (sl == NULL || c[0] != 'c')
			continue;
		cd = xmemdup(f[i].rel, (size_t)(sl - f[i].rel));
		if (last == NULL || strcmp(cd, last) != 0) {
			scan_channel(ex, cd, index, user, album, src);
			free(last);
			last = cd;
		} else {
			free(cd);
		}
	}
	free(last);
	json_decref(index);
	free(album);
	free(src);
	free(user);
	free(mdir);
}

const struct platform platform_discord = {
	"discord",
	"Discord (data package: Messages/index.json, c<id>/messages.json|csv)",
	"discord", detect, scan
};
