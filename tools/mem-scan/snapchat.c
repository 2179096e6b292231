/*
 * snapchat.c -- Snapchat Memories, in two layouts:
 *   memoria's: [memories/]media/, overlays/, metadata.json (a list of
 *     {date, media_type, media_filename, overlay_filename, latitude,
 *     longitude});
 *   Snapchat's own: json/memories_history.json ("Saved Media": Date in UTC,
 *     Media Type, Location "Latitude, Longitude: a, b", Download Link), or
 *     the HTML-only download's html/memories_history.html (the same table,
 *     read with libxml2), with the files in memories/ as
 *     <date>_<id>-main.<ext> and <date>_<id>-overlay.png.
 * Snapchat dates are UTC instants; the wall-clock offset is not known.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXJSON (256 << 20)

static const char *meta_names[] = { "metadata.json", "memories/metadata.json" };

/* "Latitude, Longitude: 40.7128, -74.006" (or just "40.7128, -74.006"). */
int
snap_location(const char *s, double *lat, double *lon)
{
	const char *p = strrchr(s, ':');
	char *end;

	p = p ? p + 1 : s;
	*lat = strtod(p, &end);
	if (end == p || *end != ',')
		return -1;
	p = end + 1;
	*lon = strtod(p, &end);
	if (end == p)
		return -1;
	while (*end == ' ')
		end++;
	if (*end != '\0' || !(*lat >= -90 && *lat <= 90) || !(*lon >= -180 && *lon <= 180))
		return -1;
	return 0;
}

/*
 * memoria's metadata.json is a non-empty list whose first entry has date,
 * media_type and media_filename (memoria's own rule). Another metadata.json
 * (memoria's Snapchat messages, an empty list) is not memories. A file
 * that is no JSON at all still counts, so that the scan says so.
 */
static int
memoria_list(struct export *ex, struct file *meta)
{
	size_t len;
	char *buf = file_slurp(ex, meta, MAXJSON, &len);
	json_t *root, *first;
	int ok;

	if (buf == NULL)
		return 1;
	root = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (root == NULL)
		return 1;
	first = json_array_get(root, 0);
	ok = json_is_object(first) && json_object_get(first, "date") != NULL &&
	    json_object_get(first, "media_type") != NULL &&
	    json_object_get(first, "media_filename") != NULL;
	json_decref(root);
	return ok;
}

/* memoria's layout: the base ("" or "memories") or NULL. */
static const char *
memoria_base(struct export *ex, struct file **meta)
{
	size_t i, n;

	for (i = 0; i < LEN(meta_names); i++) {
		const char *base = i == 0 ? "" : "memories";
		char *dir = xasprintf("%s%smedia", base, *base ? "/" : "");

		*meta = export_find(ex, meta_names[i]);
		export_under(ex, dir, &n);
		free(dir);
		if (*meta != NULL && n > 0 && memoria_list(ex, *meta))
			return base;
	}
	return NULL;
}

/*
 * The memories' list: json/memories_history.json, memories_history.json at
 * the top, else the HTML-only download's html/memories_history.html (or at
 * the top). When both formats were downloaded the JSON is read and the
 * HTML, the same list, is claimed as metadata.
 */
static struct file *
history(struct export *ex)
{
	static const char *names[] = { "json/memories_history.json",
	    "memories_history.json", "html/memories_history.html",
	    "memories_history.html" };
	struct file *f, *hit = NULL;
	size_t i;

	for (i = 0; i < LEN(names); i++)
		if ((f = export_find(ex, names[i])) != NULL) {
			if (hit == NULL)
				hit = f;
			else
				f->claimed = 1;
		}
	return hit;
}

static int
is_element(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

/* The first http(s) URL in an attribute of a link under n: the download
 * link sits in href="javascript:downloadMemories('URL', ...)" or in an
 * onclick, depending on the export's age. */
static char *
row_link(xmlNode *n)
{
	static const char *attrs[] = { "href", "onclick" };
	xmlNode *c;
	xmlChar *v;
	const char *p;
	char *url;
	size_t i, len;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; is_element(n, "a") && i < LEN(attrs); i++) {
			if ((v = xmlGetProp(n, BAD_CAST attrs[i])) == NULL)
				continue;
			if ((p = strstr((const char *)v, "http")) != NULL) {
				len = strcspn(p, "'\" \t\n)");
				url = xmemdup(p, len);
				xmlFree(v);
				return url;
			}
			xmlFree(v);
		}
		if ((c = n->children) != NULL && (url = row_link(c)) != NULL)
			return url;
	}
	return NULL;
}

struct memtable {
	json_t	*list;
	int	 col[3];	/* Date, Media Type, Location; -1 unknown */
	int	 header;	/* a header row was seen */
};

static const char *memcols[] = { "Date", "Media Type", "Location" };

/* One <tr>: a header row sets the columns, a data row adds a memory. */
static void
table_row(xmlNode *tr, struct memtable *t)
{
	xmlNode *c;
	char *cell[16] = { NULL }, *link;
	size_t n = 0, i, k;
	int th = 0;
	json_t *o;

	for (c = tr->children; c != NULL && n < LEN(cell); c = c->next) {
		if (!is_element(c, "td") && !is_element(c, "th"))
			continue;
		th |= is_element(c, "th");
		cell[n++] = html_text(c);
	}
	if (th) {
		for (k = 0; k < LEN(memcols); k++) {
			t->col[k] = -1;
			for (i = 0; i < n; i++)
				if (cell[i] && strcasecmp(cell[i], memcols[k]) == 0)
					t->col[k] = (int)i;
		}
		t->header = 1;
	} else if (n > 0) {
		o = json_object();
		for (k = 0; o != NULL && k < LEN(memcols); k++) {
			int col = t->header ? t->col[k] : (int)k;

			if (col >= 0 && (size_t)col < n && cell[col] != NULL)
				json_object_set_new(o, memcols[k], jstr(cell[col]));
		}
		if (o != NULL && (link = row_link(tr->children)) != NULL) {
			json_object_set_new(o, "Download Link", jstr(link));
			free(link);
		}
		/* a row with no date is no memory (a layout row) */
		if (o != NULL && json_object_get(o, "Date") != NULL)
			json_array_append(t->list, o);
		json_decref(o);
	}
	for (i = 0; i < n; i++)
		free(cell[i]);
}

static void
table_walk(xmlNode *n, struct memtable *t)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_element(n, "tr"))
			table_row(n, t);
		else if (n->children != NULL)
			table_walk(n->children, t);
	}
}

/*
 * Snapchat's HTML download has the memories as a table: a header row
 * (Date, Media Type, Location) and one row per memory, its download link
 * in the last cell. The columns are found by their headers, so that a
 * reordered or widened table still reads.
 */
json_t *
snap_html_memories(const char *buf, size_t len)
{
	htmlDocPtr doc;
	xmlNode *root;
	struct memtable t;
	json_t *out;

	if (len > INT_MAX)
		return NULL;
	doc = htmlReadMemory(buf, (int)len, NULL, "UTF-8", HTML_PARSE_RECOVER |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc == NULL)
		return NULL;
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	memset(&t, 0, sizeof(t));
	t.col[0] = 0;
	t.col[1] = 1;
	t.col[2] = 2;
	if ((t.list = json_array()) == NULL)
		die(ST_FATAL, "out of memory");
	table_walk(root, &t);
	xmlFreeDoc(doc);
	if (!t.header && json_array_size(t.list) == 0) {
		json_decref(t.list);	/* no table: no list */
		out = json_object();
	} else {
		out = json_pack("{s:o}", "Saved Media", t.list);
	}
	if (out == NULL)
		die(ST_FATAL, "out of memory");
	return out;
}

static int
detect(struct export *ex)
{
	struct file *meta;

	return memoria_base(ex, &meta) != NULL || history(ex) != NULL;
}

static struct entry *
add(struct export *ex, struct file *f)
{
	struct entry *e = scan_add(ex, f, "memories", "snap-memories");
	char *album = xasprintf("Snapchat/%s/memories", e->it.user);

	item_add_album(&e->it, album);
	free(album);
	return e;
}

/*
 * A memory whose file is not in the export but whose entry links to it:
 * an item for mem-fetch. "Media Download Url" (newer exports) is the media
 * itself (url=); the older "Download Link" to /dmd/memories answers a POST
 * of its query with the media's URL (link=). Its own path is
 * DIR/<mid>.jpg|mp4, by the entry's Media Type.
 */
static struct entry *
add_link(struct export *ex, json_t *v, const char *dir, const char *mid, size_t n,
    enum item_kind kind)
{
	const char *direct = json_string_value(json_object_get(v, "Media Download Url"));
	const char *dl = json_string_value(json_object_get(v, "Download Link"));
	const char *key = "url", *u = direct;
	struct entry *e;
	char *vrel, *album;

	if ((u == NULL || strncmp(u, "https://", 8) != 0) && dl != NULL &&
	    strncmp(dl, "https://", 8) == 0) {
		u = dl;
		key = strstr(dl, "/dmd/memories") != NULL ? "link" : "url";
	}
	if (u == NULL || strncmp(u, "https://", 8) != 0)
		return NULL;
	vrel = mid ? xasprintf("%s/%s%s", dir, mid, kind == KIND_VIDEO ? ".mp4" : ".jpg") :
	    xasprintf("%s/memory-%zu%s", dir, n + 1, kind == KIND_VIDEO ? ".mp4" : ".jpg");
	e = scan_add_link(ex, vrel, key, u, kind, "memories", "snap-memories");
	free(vrel);
	album = xasprintf("Snapchat/%s/memories", e->it.user);
	item_add_album(&e->it, album);
	free(album);
	return e;
}

/* Date of a memory: "YYYY-MM-DD HH:MM:SS UTC"; the zone must be there. */
static int
snap_date(json_t *v, int64_t *t)
{
	int32_t off;

	if (!json_is_string(v) || time_parse(json_string_value(v), t, &off) < 0)
		return -1;
	return 0;	/* no zone is read as UTC too: that is what Snapchat means */
}

static int
number(json_t *v, double *d)
{
	char *end;

	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		*d = strtod(json_string_value(v), &end);
		return end != json_string_value(v) && *end == '\0' ? 0 : -1;
	}
	return -1;
}

/* Media left in a folder that the metadata never named: still items. */
static void
leftovers(struct export *ex, const char *dir, int overlays)
{
	struct file *f;
	size_t i, n;

	f = export_under(ex, dir, &n);
	for (i = 0; i < n; i++) {
		struct entry *e;

		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		if (overlays || strstr(f[i].rel, "-overlay.") != NULL) {
			f[i].claimed = 1;	/* an overlay without its memory */
			continue;
		}
		e = add(ex, &f[i]);
		fallback_time(ex, &f[i], &e->it);
		orphan_media(ex, &f[i], "not in the memories metadata");
	}
}

static void
scan_memoria(struct export *ex, const char *base, struct file *mf)
{
	char *mdir = xasprintf("%s%smedia", base, *base ? "/" : "");
	char *odir = xasprintf("%s%soverlays", base, *base ? "/" : "");
	json_t *root = file_json(ex, mf, MAXJSON);
	size_t i;

	if (root != NULL && !json_is_array(root))
		scan_warn(ex, mf->rel, "not a list of memories");
	for (i = 0; i < json_array_size(root); i++) {
		json_t *v = json_array_get(root, i);
		const char *name = json_string_value(json_object_get(v, "media_filename"));
		const char *ov = json_string_value(json_object_get(v, "overlay_filename"));
		char *rel = safe_join(mdir, name), *orel;
		struct file *f = rel ? export_find(ex, rel) : NULL;
		struct file *of;
		struct entry *e;
		double lat, lon;
		int64_t t;
		int outside = name != NULL && rel == NULL;

		free(rel);
		if (f == NULL || f->claimed || f->kind == KIND_UNKNOWN) {
			orphan_meta(ex, mf->rel, v, name == NULL ? "no media_filename" :
			    outside ? "media_filename points outside the export" :
			    "media file not found");
			continue;
		}
		e = add(ex, f);
		if (snap_date(json_object_get(v, "date"), &t) == 0)
			set_time(&e->it, t, OFFSET_UNKNOWN, "json");
		else {
			scan_warn(ex, f->rel, "memory without a valid date in %s", mf->rel);
			fallback_time(ex, f, &e->it);
		}
		if (number(json_object_get(v, "latitude"), &lat) == 0 &&
		    number(json_object_get(v, "longitude"), &lon) == 0)
			set_gps(&e->it, lat, lon, 0, 0);
		if (ov != NULL && (orel = safe_join(odir, ov)) != NULL) {
			if ((of = export_find(ex, orel)) != NULL) {
				of->claimed = 1;
				file_overlay(ex, of, &e->it);
			} else {
				scan_warn(ex, f->rel, "overlay %s not found", ov);
			}
			free(orel);
		}
	}
	json_decref(root);
	leftovers(ex, mdir, 0);
	leftovers(ex, odir, 1);
	free(mdir);
	free(odir);
}

/* A file of memories/: <YYYY-MM-DD>_<id>[-main|-overlay].<ext>. */
struct snapfile {
	struct file *f;
	char	 date[11];
	char	*id;
	int	 overlay;
};

static int
parse_name(struct file *f, const char *dir, struct snapfile *s)
{
	const char *b = f->rel + strlen(dir) + 1, *dot, *us;
	size_t idlen;

	if (strchr(b, '/') != NULL || strlen(b) < 12 || b[10] != '_')
		return -1;
	memcpy(s->date, b, 10);
	s->date[10] = '\0';
	us = b + 11;
	dot = strrchr(us, '.');
	if (dot == NULL)
		dot = us + strlen(us);
	idlen = (size_t)(dot - us);
	s->overlay = 0;
	if (idlen > 5 && strncmp(dot - 5, "-main", 5) == 0)
		idlen -= 5;
	else if (idlen > 8 && strncmp(dot - 8, "-overlay", 8) == 0) {
		idlen -= 8;
		s->overlay = 1;
	}
	s->id = xmemdup(us, idlen);
	s->f = f;
	return 0;
}

/* The mid=… of a download link: the memory's id in the file names. */
static char *
link_id(json_t *v)
{
	static const char *keys[] = { "Download Link", "Media Download Url" };
	const char *u, *p, *e;
	size_t i;

	for (i = 0; i < LEN(keys); i++) {
		u = json_string_value(json_object_get(v, keys[i]));
		if (u == NULL || (p = strstr(u, "mid=")) == NULL)
			continue;
		p += 4;
		e = strchr(p, '&');
		return xmemdup(p, e ? (size_t)(e - p) : strlen(p));
	}
	return NULL;
}

static json_t *
load_html(struct export *ex, struct file *f)
{
	size_t len;
	char *buf;
	json_t *root;

	f->claimed = 1;
	if ((buf = file_slurp(ex, f, MAXJSON, &len)) == NULL)
		return NULL;
	root = snap_html_memories(buf, len);
	free(buf);
	if (root == NULL)
		scan_warn(ex, f->rel, "not an HTML page");
	return root;
}

static void
scan_history(struct export *ex, struct file *hf)
{
	size_t hl = strlen(hf->rel);
	int html = hl > 5 && strcmp(hf->rel + hl - 5, ".html") == 0;
	json_t *root, *list;
	struct snapfile *sf = NULL;
	char *dir, *slash;
	size_t nsf = 0, i, n, k;
	struct file *f;

	root = html ? load_html(ex, hf) : file_json(ex, hf, MAXJSON);
	/* memories/ beside the json/ (or html/) folder */
	slash = strrchr(hf->rel, '/');
	if (slash == NULL)
		dir = xstrdup("memories");
	else {
		char *parent = xmemdup(hf->rel, (size_t)(slash - hf->rel));
		char *ps = strrchr(parent, '/');

		if (ps)
			dir = xasprintf("%.*s/memories", (int)(ps - parent), parent);
		else
			dir = xstrdup("memories");
		free(parent);
	}
	f = export_under(ex, dir, &n);
	for (i = 0; i < n; i++) {
		struct snapfile s;

		if (f[i].kind == KIND_UNKNOWN || parse_name(&f[i], dir, &s) < 0)
			continue;
		sf = xrealloc(sf, (nsf + 1) * sizeof(*sf));
		sf[nsf++] = s;
	}
	list = json_object_get(root, "Saved Media");
	if (root != NULL && !json_is_array(list))
		scan_warn(ex, hf->rel, "%s", html ? "no memories table" :
		    "no \"Saved Media\" list");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *v = json_array_get(list, i);
		const char *type = json_string_value(json_object_get(v, "Media Type"));
		const char *loc = json_string_value(json_object_get(v, "Location"));
		const char *date = json_string_value(json_object_get(v, "Date"));
		enum item_kind want = type && strcasecmp(type, "video") == 0 ?
		    KIND_VIDEO : KIND_IMAGE;
		char *id = link_id(v);
		struct snapfile *hit = NULL;
		struct entry *e;
		double lat, lon;
		int64_t t;

		/* by the id in the link, else the first unused file of the day
		 * and type, in name order */
		for (k = 0; id && k < nsf && hit == NULL; k++)
			if (!sf[k].overlay && strcmp(sf[k].id, id) == 0 && !sf[k].f->claimed)
				hit = &sf[k];
		for (k = 0; !hit && date && k < nsf; k++)
			if (!sf[k].overlay && !sf[k].f->claimed &&
			    strncmp(sf[k].date, date, 10) == 0 && sf[k].f->kind == want)
				hit = &sf[k];
		if (hit == NULL && (e = add_link(ex, v, dir, id, i, want)) != NULL) {
			free(id);
			if (snap_date(json_object_get(v, "Date"), &t) == 0)
				set_time(&e->it, t, OFFSET_UNKNOWN, html ? "html" : "json");
			if (loc && snap_location(loc, &lat, &lon) == 0)
				set_gps(&e->it, lat, lon, 0, 0);
			continue;
		}
		free(id);
		if (hit == NULL) {
			orphan_meta(ex, hf->rel, v, "no downloaded file for this memory");
			continue;
		}
		e = add(ex, hit->f);
		if (snap_date(json_object_get(v, "Date"), &t) == 0)
			set_time(&e->it, t, OFFSET_UNKNOWN, html ? "html" : "json");
		else {
			scan_warn(ex, hit->f->rel, "memory without a valid Date");
			fallback_time(ex, hit->f, &e->it);
		}
		if (loc && snap_location(loc, &lat, &lon) == 0)
			set_gps(&e->it, lat, lon, 0, 0);
		for (k = 0; k < nsf; k++)
			if (sf[k].overlay && strcmp(sf[k].id, hit->id) == 0 &&
			    strcmp(sf[k].date, hit->date) == 0) {
				sf[k].f->claimed = 1;
				file_overlay(ex, sf[k].f, &e->it);
			}
	}
	json_decref(root);
	leftovers(ex, dir, 0);
	for (k = 0; k < nsf; k++)
		free(sf[k].id);
	free(sf);
	free(dir);
}

static void
scan(struct export *ex, const struct platform *p)
{
	struct file *meta, *hf;
	const char *base;

	(void)p;
	if ((base = memoria_base(ex, &meta)) != NULL)
		scan_memoria(ex, base, meta);
	if ((hf = history(ex)) != NULL)
		scan_history(ex, hf);
}

const struct platform platform_snapchat = {
	"snapchat-memories",
	"Snapchat Memories (memories_history.json or .html, or memoria's metadata.json)",
	"snapchat", detect, scan
};
