/*
 * snapchat.c -- Snapchat Memories, in two layouts:
 *   memoria's: [memories/]media/, overlays/, metadata.json (a list of
 *     {date, media_type, media_filename, overlay_filename, latitude,
 *     longitude});
 *   Snapchat's own: json/memories_history.json ("Saved Media": Date in UTC,
 *     Media Type, Location "Latitude, Longitude: a, b", Download Link), or
 *     the HTML-only download's html/memories_history.html (the same table,
 *     read with libxml2), with the files in memories/ as
 *     <date>_<id>-main.<ext> and <date>_<id>-overlay.png. Since 2026 the
 *     media come in the ZIP parts (mydata~N/memories/, mydata~N-2/memories/
 *     ...) and the links are empty: a memory's file is then the one whose
 *     mtime (the capture time Snapchat writes) fits its Date, and what the
 *     times cannot tell apart is reported, not guessed (design.md §6).
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
 * the top); each also inside a folder of the export (a ZIP part unpacked
 * as mydata~1234/). When both formats were downloaded the JSON is read and
 * the HTML, the same list, is claimed as metadata, like further copies.
 */
static struct file *
history(struct export *ex)
{
	static const char *names[] = { "json/memories_history.json",
	    "memories_history.json", "html/memories_history.html",
	    "memories_history.html" };
	struct file *f, *hit = NULL;
	size_t i, k, depth;

	for (depth = 0; depth < 2; depth++)
		for (k = 0; k < LEN(names); k++)
			for (i = 0; i < ex->nfiles; i++) {
				const char *r = ex->files[i].rel, *sl = strchr(r, '/');

				f = &ex->files[i];
				if (depth == 0 ? strcmp(r, names[k]) != 0 :
				    sl == NULL || sl == r || strcmp(sl + 1, names[k]) != 0)
					continue;
				if (hit == NULL)
					hit = f;
				else if (f != hit)
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
				xml_free(v);
				return url;
			}
			xml_free(v);
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
		fallback_time(ex, &f[i], e);
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
			fallback_time(ex, f, e);
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

/* The id a download link gives (mid=…, or sid=… in newer links): the
 * memory's id in the file names; NULL when the links are empty (2026). */
static char *
link_id(json_t *v, const char *param)
{
	static const char *keys[] = { "Download Link", "Media Download Url" };
	const char *u, *p, *e;
	size_t i;

	for (i = 0; i < LEN(keys); i++) {
		u = json_string_value(json_object_get(v, keys[i]));
		if (u == NULL || (p = strstr(u, param)) == NULL ||
		    (p != u && p[-1] != '?' && p[-1] != '&'))
			continue;
		p += strlen(param);
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

/* One memory of the list, while it is matched to its file. */
struct memory {
	json_t	*v;
	enum item_kind want;
	int	 has_t;
	int64_t	 t;
	char	*mid, *sid;	/* ids of its links, or NULL */
	struct snapfile *hit;
	size_t	 nfit;		/* files its time fits when ambiguous */
};

#define SNAP_SLACK 2		/* s: a ZIP's DOS times step by 2 s */
#define SNAP_SHIFT (14 * 3600)	/* an unzipping clock's offset at most */

static int64_t
gap(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

/* The day of a file's name, as days since 1970, or INT64_MIN. */
static int64_t
name_day(const struct snapfile *sf)
{
	int64_t t;
	int32_t off;

	return time_parse(sf->date, &t, &off) == 0 ? (t - (t % 86400 + 86400) % 86400) / 86400 :
	    INT64_MIN;
}

/*
 * Can file sf hold memory m, the clock of the unzipping machine being
 * shift s ahead of UTC? The same kind, the file's mtime within the slack
 * of the memory's Date (Snapchat writes the capture time as the file's
 * time), its name's day that of the Date, or one off (a zone's date).
 * Returns the distance in seconds, or -1.
 */
static int64_t
fits(const struct memory *m, const struct snapfile *sf, int64_t s)
{
	int64_t d, day;

	if (!m->has_t || sf->overlay || sf->f->claimed || sf->f->kind != m->want ||
	    !sf->f->stated)
		return -1;
	d = gap(sf->f->mtime - s, m->t);
	day = name_day(sf);
	if (d > SNAP_SLACK || (day != INT64_MIN && gap(day, (m->t - (m->t % 86400 +
	    86400) % 86400) / 86400) > 1))
		return -1;
	return d;
}

/* The memories and files by time, for range look-ups. */
struct bytime {
	struct memory *ms;
	struct snapfile *sf;
	size_t	*mo, nmo;	/* memories with a Date, by Date */
	size_t	*fo, nfo;	/* media files with an mtime, by mtime */
};

static struct bytime *sort_ctx;	/* qsort has no argument */

static int
by_date(const void *a, const void *b)
{
	int64_t x = sort_ctx->ms[*(const size_t *)a].t, y = sort_ctx->ms[*(const size_t *)b].t;

	return x < y ? -1 : x > y;
}

static int
by_mtime(const void *a, const void *b)
{
	int64_t x = sort_ctx->sf[*(const size_t *)a].f->mtime;
	int64_t y = sort_ctx->sf[*(const size_t *)b].f->mtime;

	return x < y ? -1 : x > y;
}

static void
bytime_init(struct bytime *bt, struct memory *ms, size_t nm, struct snapfile *sf, size_t nsf)
{
	size_t i;

	bt->ms = ms;
	bt->sf = sf;
	bt->mo = xcalloc(nm + 1, sizeof(*bt->mo));
	bt->fo = xcalloc(nsf + 1, sizeof(*bt->fo));
	bt->nmo = bt->nfo = 0;
	for (i = 0; i < nm; i++)
		if (ms[i].has_t)
			bt->mo[bt->nmo++] = i;
	for (i = 0; i < nsf; i++)
		if (!sf[i].overlay && sf[i].f->stated)
			bt->fo[bt->nfo++] = i;
	sort_ctx = bt;
	qsort(bt->mo, bt->nmo, sizeof(*bt->mo), by_date);
	qsort(bt->fo, bt->nfo, sizeof(*bt->fo), by_mtime);
	sort_ctx = NULL;
}

/* The first file (in bt->fo) whose mtime is at least x. */
static size_t
first_file(const struct bytime *bt, int64_t x)
{
	size_t lo = 0, hi = bt->nfo, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bt->sf[bt->fo[mid]].f->mtime < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first memory (in bt->mo) whose Date is at least x. */
static size_t
first_memory(const struct bytime *bt, int64_t x)
{
	size_t lo = 0, hi = bt->nmo, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bt->ms[bt->mo[mid]].t < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The file nearest to memory m at shift s (its index in sf), *d its
 * distance and *ties how many files are that near; -1 when none fits.
 */
static long
nearest_file(const struct bytime *bt, const struct memory *m, int64_t s, int64_t *d,
    size_t *ties)
{
	size_t k;
	long best = -1;
	int64_t dk;

	*ties = 0;
	for (k = first_file(bt, m->t + s - SNAP_SLACK); k < bt->nfo &&
	    bt->sf[bt->fo[k]].f->mtime <= m->t + s + SNAP_SLACK; k++) {
		if ((dk = fits(m, &bt->sf[bt->fo[k]], s)) < 0)
			continue;
		if (best < 0 || dk < *d) {
			best = (long)bt->fo[k];
			*d = dk;
			*ties = 1;
		} else if (dk == *d)
			(*ties)++;
	}
	return best;
}

/*
 * The one offset (a multiple of 15 minutes, 0 first) at which the most
 * unmatched memories find a file of their time: files unzipped where the
 * clock is not UTC carry the capture time as that clock's wall time.
 */
static int64_t
best_shift(const struct bytime *bt)
{
	int64_t s, sh, best = 0, d;
	size_t i, n, most = 0, ties, left = 0;

	for (i = 0; i < bt->nmo; i++)
		left += bt->ms[bt->mo[i]].hit == NULL;

	for (s = 0; s <= 2 * SNAP_SHIFT; s += 900) {
		sh = s <= SNAP_SHIFT ? s : SNAP_SHIFT - s;
		for (n = 0, i = 0; i < bt->nmo; i++)
			if (bt->ms[bt->mo[i]].hit == NULL &&
			    nearest_file(bt, &bt->ms[bt->mo[i]], sh, &d, &ties) >= 0)
				n++;
		if (n > most) {
			most = n;
			best = sh;
		}
		if (s == 0 && n == left)	/* UTC explains them all */
			break;
	}
	return best;
}

static size_t
root_of(size_t *grp, size_t a)
{
	while (grp[a] != a)
		a = grp[a] = grp[grp[a]];
	return a;
}

/*
 * Match the memories no id matched to files by time: a memory takes a
 * file when each is the other's one nearest (within the slack); repeated
 * until nothing changes. What is left is grouped (memories and files that
 * fit each other, transitively): a group whose memories all say the same
 * (Date, Location, type) takes its files in order, as any order gives the
 * same records; any other group is ambiguous: its memories get nfit, its
 * files are marked in ambiguous[] and stay unmatched.
 */
static void
match_times(struct bytime *bt, size_t nm, size_t nsf, int64_t s, char *ambiguous)
{
	struct memory *ms = bt->ms;
	struct snapfile *sf = bt->sf;
	size_t i, k, j, ties, g, *grp, *nmem, *nfile, *first;
	char *same;
	int64_t d, dk;
	long best;
	int changed = 1;

	while (changed) {
		changed = 0;
		for (i = 0; i < bt->nmo; i++) {
			struct memory *m = &ms[bt->mo[i]];
			struct file *bf;

			if (m->hit != NULL ||
			    (best = nearest_file(bt, m, s, &d, &ties)) < 0 || ties != 1)
				continue;
			/* and no other memory is as near to that file */
			bf = sf[best].f;
			for (j = first_memory(bt, bf->mtime - s - SNAP_SLACK); j < bt->nmo &&
			    ms[bt->mo[j]].t <= bf->mtime - s + SNAP_SLACK; j++)
				if (j != i && ms[bt->mo[j]].hit == NULL &&
				    (dk = fits(&ms[bt->mo[j]], &sf[best], s)) >= 0 && dk <= d)
					break;
			if (j < bt->nmo && ms[bt->mo[j]].t <= bf->mtime - s + SNAP_SLACK)
				continue;
			m->hit = &sf[best];
			bf->claimed = 1;
			changed = 1;
		}
	}
	/* groups: memories 0..nm-1, files nm.., joined where they fit */
	grp = xcalloc(nm + nsf, sizeof(*grp));
	for (i = 0; i < nm + nsf; i++)
		grp[i] = i;
	for (i = 0; i < bt->nmo; i++) {
		struct memory *m = &ms[bt->mo[i]];

		if (m->hit != NULL)
			continue;
		for (k = first_file(bt, m->t + s - SNAP_SLACK); k < bt->nfo &&
		    sf[bt->fo[k]].f->mtime <= m->t + s + SNAP_SLACK; k++)
			if (fits(m, &sf[bt->fo[k]], s) >= 0) {
				size_t a = root_of(grp, bt->mo[i]), b = root_of(grp, nm + bt->fo[k]);

				grp[a > b ? a : b] = a < b ? a : b;
			}
	}
	for (i = 0; i < nm + nsf; i++)
		grp[i] = root_of(grp, i);
	/* per group (its root, a memory): how many memories and files, and
	 * whether its memories all say the same */
	nmem = xcalloc(nm + 1, sizeof(*nmem));
	nfile = xcalloc(nm + 1, sizeof(*nfile));
	first = xcalloc(nm + 1, sizeof(*first));
	same = xcalloc(nm + 1, 1);
	for (i = 0; i < nm; i++) {
		if (ms[i].hit != NULL)
			continue;
		g = grp[i];
		if (nmem[g]++ == 0) {
			first[g] = i;
			same[g] = 1;
		} else if (!json_equal(json_object_get(ms[first[g]].v, "Date"),
		    json_object_get(ms[i].v, "Date")) ||
		    !json_equal(json_object_get(ms[first[g]].v, "Location"),
		    json_object_get(ms[i].v, "Location")))
			same[g] = 0;
	}
	for (k = 0; k < nsf; k++)
		if (grp[nm + k] < nm)
			nfile[grp[nm + k]]++;
	/* a group of one voice takes its files in order (k per group: the
	 * next file of the group, found from the last one taken) */
	for (i = 0; i < nm; i++) {
		g = grp[i];
		if (ms[i].hit != NULL || nfile[g] == 0)
			continue;
		if (!same[g] || nfile[g] < nmem[g]) {
			ms[i].nfit = nfile[g];
			continue;
		}
		for (k = first[g] == i ? 0 : (size_t)(ms[first[g]].hit - sf);
		    k < nsf && (grp[nm + k] != g || sf[k].f->claimed); k++)
			;
		if (first[g] != i)
			first[g] = i;	/* the next one starts from this hit */
		ms[i].hit = &sf[k];
		sf[k].f->claimed = 1;
	}
	for (k = 0; k < nsf; k++)
		if (grp[nm + k] < nm && nfile[grp[nm + k]] > 0 &&
		    (!same[grp[nm + k]] || nfile[grp[nm + k]] < nmem[grp[nm + k]]))
			ambiguous[k] = 1;
	free(nmem);
	free(nfile);
	free(first);
	free(same);
	free(grp);
}

/* The UTC day of a memory's Date, "YYYY-MM-DD". */
static void
date_day(const struct memory *m, char day[11])
{
	char buf[40];

	time_format(m->t, 0, buf, sizeof(buf));	/* 2024-05-01T10:00:01+00:00 */
	memcpy(day, buf, 10);
	day[10] = '\0';
}

/* A file of memory m's day (its name's) and type, not yet taken. */
static int
of_day(const struct memory *m, const char *day, const struct snapfile *sf,
    const char *ambiguous, size_t k)
{
	return !sf[k].overlay && !sf[k].f->claimed && ambiguous[k] != 1 &&
	    sf[k].f->kind == m->want && strcmp(sf[k].date, day) == 0;
}

/*
 * Memories whose time fits no file (the unzipper gave the files its own
 * time): the day in the file's name and the type still decide when that
 * day has one memory and one file of the type left, or when its memories
 * all say the same (Date, Location) and there are files enough; any other
 * day is ambiguous (ambiguous[] 2: the file is dated by itself).
 */
static void
match_days(struct memory *ms, size_t nm, struct snapfile *sf, size_t nsf, char *ambiguous)
{
	size_t i, j, k, nmem, nfile;
	char day[11], other[11];
	int same;

	for (i = 0; i < nm; i++) {
		if (ms[i].hit != NULL || ms[i].nfit > 0 || !ms[i].has_t)
			continue;
		date_day(&ms[i], day);
		for (nfile = 0, k = 0; k < nsf; k++)
			nfile += of_day(&ms[i], day, sf, ambiguous, k);
		if (nfile == 0)
			continue;
		for (nmem = 0, same = 1, j = 0; j < nm; j++) {
			if (ms[j].hit != NULL || ms[j].nfit > 0 || !ms[j].has_t ||
			    ms[j].want != ms[i].want)
				continue;
			date_day(&ms[j], other);
			if (strcmp(day, other) != 0)
				continue;
			nmem++;
			same &= json_equal(json_object_get(ms[i].v, "Date"),
			    json_object_get(ms[j].v, "Date")) &&
			    json_equal(json_object_get(ms[i].v, "Location"),
			    json_object_get(ms[j].v, "Location"));
		}
		if (nmem == 1 ? nfile == 1 : same && nfile >= nmem) {
			for (k = 0; !of_day(&ms[i], day, sf, ambiguous, k); k++)
				;
			ms[i].hit = &sf[k];
			sf[k].f->claimed = 1;
			ambiguous[k] = 0;
			continue;
		}
		ms[i].nfit = nfile;
		for (k = 0; k < nsf; k++)
			if (of_day(&ms[i], day, sf, ambiguous, k))
				ambiguous[k] = 2;
	}
}

/* The memories/ folders of the export: the one beside json/ and those of
 * every ZIP part unpacked beside it (mydata~1234/memories/,
 * mydata~1234-2/memories/, ...): memories/ at the top or one level down. */
static char **
memories_dirs(struct export *ex, size_t *n)
{
	char **dirs = NULL;
	size_t i, k;

	*n = 0;
	for (i = 0; i < ex->nfiles; i++) {
		char *d = path_dir(ex->files[i].rel);
		const char *sl = strchr(d, '/');

		if (strcmp(path_base(d), "memories") != 0 ||
		    (sl != NULL && strchr(sl + 1, '/') != NULL)) {
			free(d);
			continue;
		}
		for (k = 0; k < *n && strcmp(dirs[k], d) != 0; k++)
			;
		if (k < *n) {
			free(d);
			continue;
		}
		dirs = xrealloc(dirs, (*n + 1) * sizeof(*dirs));
		dirs[(*n)++] = d;
	}
	return dirs;
}

static int
by_id(const void *a, const void *b)
{
	return strcasecmp((*(struct snapfile *const *)a)->id, (*(struct snapfile *const *)b)->id);
}

/* The files whose name's id is id (any case), from the index sorted by
 * id: *n of them from the result. */
static struct snapfile **
with_id(struct snapfile **byid, size_t nsf, const char *id, size_t *n)
{
	size_t lo = 0, hi = nsf, mid, end;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcasecmp(byid[mid]->id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < nsf && strcasecmp(byid[end]->id, id) == 0; end++)
		;
	*n = end - lo;
	return byid + lo;
}

/* The overlay of main file sf: the same id and day, claimed with it. */
static void
take_overlay(struct export *ex, struct snapfile **byid, size_t nsf,
    const struct snapfile *sf, struct entry *e)
{
	struct snapfile **o;
	size_t n, i;

	o = with_id(byid, nsf, sf->id, &n);
	for (i = 0; i < n; i++)
		if (o[i]->overlay && strcmp(o[i]->id, sf->id) == 0 &&
		    strcmp(o[i]->date, sf->date) == 0) {
			o[i]->f->claimed = 1;
			free(e->it.overlay);
			file_overlay(ex, o[i]->f, &e->it);
		}
}

static void
scan_history(struct export *ex, struct file *hf)
{
	size_t hl = strlen(hf->rel);
	int html = hl > 5 && strcmp(hf->rel + hl - 5, ".html") == 0;
	json_t *root, *list;
	struct snapfile *sf = NULL, **byid;
	struct memory *ms;
	char *dir, *slash, **dirs, *ambiguous;
	size_t nsf = 0, i, n, k, d, ndirs, nm;
	struct file *f;
	struct bytime bt;
	int64_t shift;

	root = html ? load_html(ex, hf) : file_json(ex, hf, MAXJSON);
	/* memories/ beside the json/ (or html/) folder: links' own paths */
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
	/* the files of every memories/ folder: <date>_<id>[-main|-overlay] */
	dirs = memories_dirs(ex, &ndirs);
	for (d = 0; d < ndirs; d++) {
		f = export_under(ex, dirs[d], &n);
		for (i = 0; i < n; i++) {
			struct snapfile s;

			if (f[i].kind == KIND_UNKNOWN || parse_name(&f[i], dirs[d], &s) < 0)
				continue;
			if (file_stat(ex, &f[i]) < 0)	/* its mtime may date it */
				scan_warn(ex, f[i].rel, "cannot read its time");
			sf = xrealloc(sf, (nsf + 1) * sizeof(*sf));
			sf[nsf++] = s;
		}
	}
	ambiguous = xcalloc(nsf + 1, 1);
	byid = xcalloc(nsf + 1, sizeof(*byid));
	for (k = 0; k < nsf; k++)
		byid[k] = &sf[k];
	qsort(byid, nsf, sizeof(*byid), by_id);
	list = json_object_get(root, "Saved Media");
	if (root != NULL && !json_is_array(list))
		scan_warn(ex, hf->rel, "%s", html ? "no memories table" :
		    "no \"Saved Media\" list");
	nm = json_array_size(list);
	ms = xcalloc(nm + 1, sizeof(*ms));
	/* 1: by the id of its link, which is the id in the file's name */
	for (i = 0; i < nm; i++) {
		struct memory *m = &ms[i];
		const char *type;

		m->v = json_array_get(list, i);
		type = json_string_value(json_object_get(m->v, "Media Type"));
		m->want = type && strcasecmp(type, "video") == 0 ? KIND_VIDEO : KIND_IMAGE;
		m->has_t = snap_date(json_object_get(m->v, "Date"), &m->t) == 0;
		m->mid = link_id(m->v, "mid=");
		m->sid = link_id(m->v, "sid=");
		for (d = 0; d < 2 && m->hit == NULL; d++) {
			const char *id = d == 0 ? m->mid : m->sid;
			struct snapfile **c;
			size_t nc;

			c = id ? with_id(byid, nsf, id, &nc) : NULL;
			for (k = 0; c != NULL && k < nc && m->hit == NULL; k++)
				if (!c[k]->overlay && !c[k]->f->claimed) {
					m->hit = c[k];
					c[k]->f->claimed = 1;
				}
		}
	}
	/* 2: by the file's own time, at UTC or at the unzipping clock */
	bytime_init(&bt, ms, nm, sf, nsf);
	shift = best_shift(&bt);
	match_times(&bt, nm, nsf, shift, ambiguous);
	free(bt.mo);
	free(bt.fo);
	match_days(ms, nm, sf, nsf, ambiguous);
	for (i = 0; i < nm; i++) {
		struct memory *m = &ms[i];
		const char *loc = json_string_value(json_object_get(m->v, "Location"));
		struct snapfile *hit = m->hit;
		struct entry *e;
		double lat, lon;

		if (hit == NULL && m->nfit > 0) {
			char *why = xasprintf("ambiguous: %zu files of its type fit its "
			    "Date or day; none was guessed", m->nfit);

			orphan_meta(ex, hf->rel, m->v, why);
			free(why);
			continue;
		}
		if (hit == NULL && (e = add_link(ex, m->v, dir, m->mid, i, m->want)) != NULL) {
			if (m->has_t)
				set_time(&e->it, m->t, OFFSET_UNKNOWN, html ? "html" : "json");
			if (loc && snap_location(loc, &lat, &lon) == 0)
				set_gps(&e->it, lat, lon, 0, 0);
			continue;
		}
		if (hit == NULL) {
			orphan_meta(ex, hf->rel, m->v, "no downloaded file for this memory");
			continue;
		}
		e = add(ex, hit->f);
		if (m->has_t)
			set_time(&e->it, m->t, OFFSET_UNKNOWN, html ? "html" : "json");
		else {
			scan_warn(ex, hit->f->rel, "memory without a valid Date");
			fallback_time(ex, hit->f, e);
		}
		if (loc && snap_location(loc, &lat, &lon) == 0)
			set_gps(&e->it, lat, lon, 0, 0);
		take_overlay(ex, byid, nsf, hit, e);
	}
	/* the ambiguous files: kept, dated by their mtime, their own overlay */
	for (k = 0, n = 0; k < nsf; k++) {
		struct entry *e;

		if (!ambiguous[k] || sf[k].f->claimed)
			continue;
		/* its mtime fit memories' Dates: it is the capture time */
		e = add(ex, sf[k].f);
		if (ambiguous[k] == 1)
			set_time(&e->it, sf[k].f->mtime - shift, OFFSET_UNKNOWN, "mtime");
		else
			fallback_time(ex, sf[k].f, e);
		take_overlay(ex, byid, nsf, &sf[k], e);
		orphan_media(ex, sf[k].f, ambiguous[k] == 1 ?
		    "ambiguous: several memories of its type fit its time; dated by "
		    "its own mtime, no location" :
		    "ambiguous: several memories of its day and type, none of its "
		    "time; dated by the file itself, no location");
		n++;
	}
	if (n > 0)
		warnx_("%s: %zu Snapchat memories could not be told apart: kept "
		    "dated by themselves, no location (listed in the failure "
		    "report)", ex->path, n);
	json_decref(root);
	for (d = 0; d < ndirs; d++) {
		leftovers(ex, dirs[d], 0);
		free(dirs[d]);
	}
	free(dirs);
	for (i = 0; i < nm; i++) {
		free(ms[i].mid);
		free(ms[i].sid);
	}
	free(ms);
	for (k = 0; k < nsf; k++)
		free(sf[k].id);
	free(sf);
	free(byid);
	free(ambiguous);
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
