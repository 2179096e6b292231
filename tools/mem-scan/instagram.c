/*
 * instagram.c -- Instagram exports: the JSON download (posts, archived
 * posts, reels, stories, profile photos, messages in every message_N.json),
 * the HTML download (every page), and instaloader's layout
 * (YYYY-MM-DD_HH-MM-SS_UTC[_N].jpg with .txt and .json or .json.xz
 * beside, xz read with liblzma). Instagram's
 * JSON stores UTF-8 bytes as \u00XX escapes; captions are repaired.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lzma.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXMETA (256 << 20)

/* What a content file holds, from its name. */
static const struct {
	const char *prefix;
	const char *type;
} types[] = {
	{ "posts_", "posts" }, { "archived_posts", "archived_posts" },
	{ "reels", "reels" }, { "igtv_videos", "reels" }, { "stories", "stories" },
	{ "profile_photos", "profile" }, { "other_content", "other" },
	{ "recently_deleted", "other" }
};

static const char *content_dirs[] = { "your_instagram_activity/content",
    "your_instagram_activity/media", "content" };

struct ig {
	struct export *ex;
	const char *type;
	const char *metafile;
	int	 html;
	const char *conv, *sender;	/* JSON messages: title, sender_name */
};

/* memmem, which POSIX lacks. */
static const char *
find_bytes(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *p, *end = h + hl;

	if (nl == 0 || hl < nl)
		return NULL;
	for (p = h; (size_t)(end - p) >= nl; p++) {
		p = memchr(p, n[0], (size_t)(end - p) - nl + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, n, nl) == 0)
			return p;
	}
	return NULL;
}

/*
 * Instagram writes "é" as "\u00c3\u00a9": each UTF-8 byte became a code
 * point. When every code point of s is below 256 and those bytes form
 * valid UTF-8 with something above ASCII, return the repaired text; else
 * a copy of s.
 */
char *
fix_mojibake(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *out, *q;
	int high = 0;

	q = out = xmalloc(strlen(s) + 1);
	while (*p) {
		if (*p < 0x80) {
			*q++ = *p++;
		} else if ((*p == 0xc2 || *p == 0xc3) && (p[1] & 0xc0) == 0x80) {
			*q++ = (unsigned char)(((*p & 0x03) << 6) | (p[1] & 0x3f));
			p += 2;
			high = 1;
		} else {
			goto keep;
		}
	}
	*q = '\0';
	if (!high)
		goto keep;
	/* the bytes must now be valid UTF-8 */
	for (q = out; *q;) {
		int n, i;

		if (*q < 0x80)
			n = 0;
		else if ((*q & 0xe0) == 0xc0 && *q >= 0xc2)
			n = 1;
		else if ((*q & 0xf0) == 0xe0)
			n = 2;
		else if ((*q & 0xf8) == 0xf0 && *q <= 0xf4)
			n = 3;
		else
			goto keep;
		for (i = 1; i <= n; i++)
			if ((q[i] & 0xc0) != 0x80)
				goto keep;
		q += n + 1;
	}
	return (char *)out;
keep:
	free(out);
	return xstrdup(s);
}

static const char *
type_of(const char *base)
{
	size_t i;

	for (i = 0; i < LEN(types); i++)
		if (strncmp(base, types[i].prefix, strlen(types[i].prefix)) == 0)
			return types[i].type;
	return NULL;
}

static int
is_message_file(const char *base, const char *ext)
{
	size_t i = 8;

	if (strncmp(base, "message_", 8) != 0 || !isdigit((unsigned char)base[8]))
		return 0;
	while (isdigit((unsigned char)base[i]))
		i++;
	return strcmp(base + i, ext) == 0;
}

/* instaloader: 2021-01-03_12-00-00_UTC[_N].ext; length of the base or 0. */
static size_t
loader_base(const char *name)
{
	static const char pat[] = "dddd-dd-dd_dd-dd-dd_UTC";
	size_t i;

	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)name[i]) : name[i] != pat[i])
			return 0;
	return i;
}

/* An inbox holds messages when a conversation in it has message_N.html or
 * message_N.json: a folder of other files is no conversation. */
static int
inbox_has_messages(struct export *ex, const char *inbox)
{
	size_t i, n;
	struct file *f = export_under(ex, inbox, &n);

	for (i = 0; i < n; i++) {
		const char *b = strrchr(f[i].rel, '/') + 1;

		if (is_message_file(b, ".html") || is_message_file(b, ".json"))
			return 1;
	}
	return 0;
}

static int
detect(struct export *ex)
{
	size_t i, n;

	for (i = 0; i < LEN(content_dirs); i++) {
		export_under(ex, content_dirs[i], &n);
		if (n > 0)
			return 1;
	}
	export_under(ex, "media/posts", &n);
	if (n > 0)
		return 1;
	export_under(ex, "media/archived_posts", &n);
	if (n > 0)
		return 1;
	if (inbox_has_messages(ex, "messages/inbox") ||
	    inbox_has_messages(ex, "your_instagram_activity/messages/inbox"))
		return 1;
	/* instaloader: two names at least (a post and its .txt/.json.xz,
	 * or two posts; one dated name is any camera's), a carousel's _N
	 * not counted */
	for (i = 0, n = 0; i < ex->nfiles; i++) {
		const char *r = ex->files[i].rel;
		size_t b;

		if (strchr(r, '/') == NULL && (b = loader_base(r)) > 0 && r[b] == '.')
			n++;
	}
	return n >= 2;
}

static struct entry *
add(struct export *ex, struct file *f, const char *type)
{
	static char folders[16][40], prefixes[16][40];
	static size_t nt;
	struct entry *e;
	char *album;
	size_t i;

	/* static names: entries keep pointers to them */
	for (i = 0; i < nt; i++)
		if (strcmp(folders[i] + (strncmp(folders[i], "public-media/", 13) ? 0 : 13),
		    type) == 0)
			break;
	if (i == nt) {
		if (nt == LEN(folders))
			i = 0;
		else
			nt++;
		if (strcmp(type, "messages") == 0)
			snprintf(folders[i], sizeof(folders[i]), "messages");
		else
			snprintf(folders[i], sizeof(folders[i]), "public-media/%s", type);
		snprintf(prefixes[i], sizeof(prefixes[i]), "insta-%s", type);
	}
	e = scan_add(ex, f, folders[i], prefixes[i]);
	album = xasprintf("Instagram/%s/%s", e->it.user, type);
	item_add_album(&e->it, album);
	free(album);
	return e;
}

/* The file a uri names: relative to the export, maybe without the
 * your_instagram_activity/ prefix, maybe in mojibake. */
static struct file *
resolve(struct export *ex, const char *uri, int *outside)
{
	static const char *pre[] = { "", "your_instagram_activity/" };
	struct file *f = NULL;
	char *fixed, *rel;
	size_t i;

	*outside = 0;
	if (strncmp(uri, "http:", 5) == 0 || strncmp(uri, "https:", 6) == 0)
		return NULL;
	fixed = fix_mojibake(uri);
	for (i = 0; i < LEN(pre) && f == NULL; i++) {
		rel = safe_join(pre[i], uri);
		if (rel == NULL) {
			*outside = 1;
			break;
		}
		f = export_find(ex, rel);
		free(rel);
		if (f == NULL && (rel = safe_join(pre[i], fixed)) != NULL) {
			f = export_find(ex, rel);
			free(rel);
		}
	}
	free(fixed);
	return f;
}

/* The file a uri names, else the file it names relative to the page that
 * names it ("photos/x.jpg" beside message_1.html, memoria's fixtures). */
static struct file *
resolve_from(struct export *ex, const char *uri, const char *page, int *outside)
{
	struct file *f = resolve(ex, uri, outside);
	char *dir, *rel;

	if (f != NULL || *outside || page == NULL || strchr(page, '/') == NULL)
		return f;
	dir = path_dir(page);
	if ((rel = safe_join(dir, uri)) != NULL) {
		f = export_find(ex, rel);
		free(rel);
	}
	free(dir);
	return f;
}

static void
media_ref(struct ig *g, const char *uri, json_t *obj, int64_t t, int has_t,
    const char *caption, int has_gps, double lat, double lon)
{
	struct export *ex = g->ex;
	struct entry *e;
	struct file *f;
	size_t i;
	int outside;

	f = resolve_from(ex, uri, g->metafile, &outside);
	if (f == NULL) {
		if (strncmp(uri, "http", 4) != 0)
			orphan_meta(ex, g->metafile, obj, outside ?
			    "uri points outside the export" : "media file not found");
		return;
	}
	if (f->kind == KIND_UNKNOWN)
		return;
	if (f->claimed) {	/* named twice (a post and its archive): one item */
		char *album = NULL;

		for (i = 0; i < ex->nitems; i++)
			if (ex->items[i].file == (size_t)(f - ex->files)) {
				album = xasprintf("Instagram/%s/%s", ex->items[i].it.user,
				    g->type);
				item_add_album(&ex->items[i].it, album);
				break;
			}
		free(album);
		return;
	}
	e = add(ex, f, g->type);
	if (has_t)
		set_time(&e->it, t, OFFSET_UNKNOWN, g->html ? "html" : "json");
	else
		fallback_time(ex, f, e);
	if (g->conv != NULL && strcmp(g->type, "messages") == 0) {
		/* a DM keeps its conversation and sender, as memoria's
		 * Instagram messages and our Google Chat items do */
		char *conv = fix_mojibake(g->conv), *src;
		char *sender = g->sender ? fix_mojibake(g->sender) : NULL;
		char *text = caption ? fix_mojibake(caption) : NULL;

		src = xasprintf("Instagram/%s/messages", e->it.user);
		entry_conv(e, conv);
		msg_caption(&e->it, src, conv, sender, text);
		free(src);
		free(conv);
		free(sender);
		free(text);
	} else if (caption && *caption)
		e->it.caption = g->html ? xstrdup(caption) : fix_mojibake(caption);
	if (has_gps)
		set_gps(&e->it, lat, lon, 0, 0);
}

/* Latitude/longitude anywhere inside media_metadata (photo or video
 * exif_data lists). */
static int
find_gps(json_t *o, double *lat, double *lon, int depth)
{
	json_t *la, *lo;
	void *it;
	size_t i;

	if (depth > 6 || o == NULL)
		return -1;
	if (json_is_object(o)) {
		la = json_object_get(o, "latitude");
		lo = json_object_get(o, "longitude");
		if (json_is_number(la) && json_is_number(lo)) {
			*lat = json_number_value(la);
			*lon = json_number_value(lo);
			return 0;
		}
		for (it = json_object_iter(o); it; it = json_object_iter_next(o, it))
			if (find_gps(json_object_iter_value(it), lat, lon, depth + 1) == 0)
				return 0;
	} else if (json_is_array(o)) {
		for (i = 0; i < json_array_size(o); i++)
			if (find_gps(json_array_get(o, i), lat, lon, depth + 1) == 0)
				return 0;
	}
	return -1;
}

static int
json_time(json_t *o, int64_t *t)
{
	json_t *v = json_object_get(o, "creation_timestamp");

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*t = (int64_t)json_integer_value(v);
		return 0;
	}
	v = json_object_get(o, "timestamp_ms");
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*t = (int64_t)(json_integer_value(v) / 1000);
		return 0;
	}
	v = json_object_get(o, "taken_at");
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*t = (int64_t)json_integer_value(v);
		return 0;
	}
	return -1;
}

static void walk_children(struct ig *g, json_t *o, int64_t t, int has_t,
    const char *cap, int depth);

/*
 * Every object with a "uri" is a media reference, whatever the export's
 * version nests it in; its time and caption are its own or its post's
 * (the enclosing object's creation_timestamp/timestamp_ms and title, or a
 * message's content).
 */
static void
walk_json(struct ig *g, json_t *o, int64_t pt, int has_pt, const char *pcap, int depth)
{
	json_t *v, *uri;
	const char *cap = pcap;
	int64_t t = pt;
	int has_t = has_pt;
	size_t i;

	if (depth > 12)
		return;
	if (json_is_array(o)) {
		for (i = 0; i < json_array_size(o); i++)
			walk_json(g, json_array_get(o, i), pt, has_pt, pcap, depth + 1);
		return;
	}
	if (!json_is_object(o))
		return;
	if (json_time(o, &t) == 0)
		has_t = 1;
	v = json_object_get(o, "title");
	if (json_is_string(v) && json_string_length(v) > 0)
		cap = json_string_value(v);
	else if (json_is_string(v = json_object_get(o, "content")) && json_string_length(v) > 0)
		cap = json_string_value(v);
	uri = json_object_get(o, "uri");
	v = json_object_get(o, "sender_name");
	if (json_is_string(v) && !json_is_string(uri)) {
		const char *saved = g->sender;

		g->sender = json_string_value(v);
		walk_children(g, o, t, has_t, cap, depth);
		g->sender = saved;
		return;
	}
	if (json_is_string(uri)) {
		double lat = 0, lon = 0;
		int gps = find_gps(json_object_get(o, "media_metadata"), &lat, &lon, 0) == 0;

		/* a conversation title is not a photo's caption */
		media_ref(g, json_string_value(uri), o, t, has_t,
		    strcmp(g->type, "messages") == 0 && cap == pcap && depth < 3 ? NULL : cap,
		    gps, lat, lon);
		return;
	}
	walk_children(g, o, t, has_t, cap, depth);
}

static void
walk_children(struct ig *g, json_t *o, int64_t t, int has_t, const char *cap, int depth)
{
	json_t *v;
	void *it;

	for (it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *k = json_object_iter_key(it);

		v = json_object_iter_value(it);
		if (strcmp(k, "participants") == 0 || strcmp(k, "media_metadata") == 0)
			continue;
		if (json_is_object(v) || json_is_array(v))
			walk_json(g, v, t, has_t, strcmp(g->type, "messages") == 0 &&
			    strcmp(k, "messages") == 0 ? NULL : cap, depth + 1);
	}
}

/* A conversation named by its folder, without Instagram's id ("zoe_123"
 * is "zoe"): for a message_N file without a title. */
static char *
conv_folder(const char *rel)
{
	const char *e = strrchr(rel, '/'), *b;
	char *folder;
	size_t n;

	if (e == NULL)
		return xstrdup("unknown");
	for (b = e; b > rel && b[-1] != '/'; b--)
		;
	n = (size_t)(e - b);
	folder = xmemdup(b, n);
	while (n > 0 && isdigit((unsigned char)folder[n - 1]))
		n--;
	if (n > 1 && folder[n - 1] == '_' && n < strlen(folder))
		folder[n - 1] = '\0';
	return folder;
}

static void
scan_json(struct ig *g, struct file *f)
{
	json_t *root;
	char *folder;

	if ((root = file_json(g->ex, f, MAXMETA)) == NULL)
		return;
	g->metafile = f->rel;
	g->conv = NULL;
	folder = NULL;
	if (strcmp(g->type, "messages") == 0 &&
	    (g->conv = json_string_value(json_object_get(root, "title"))) == NULL)
		g->conv = folder = conv_folder(f->rel);
	g->sender = NULL;
	walk_json(g, root, 0, 0, NULL, 0);
	g->conv = g->sender = NULL;
	free(folder);
	json_decref(root);
}

/* &amp; &lt; &gt; &quot; &#39; &#NNN; &#xHH; in place. */
static void
unescape(char *s)
{
	char *w = s;
	long c;

	while (*s) {
		if (*s != '&') {
			*w++ = *s++;
			continue;
		}
		if (strncmp(s, "&amp;", 5) == 0) {
			*w++ = '&';
			s += 5;
		} else if (strncmp(s, "&lt;", 4) == 0) {
			*w++ = '<';
			s += 4;
		} else if (strncmp(s, "&gt;", 4) == 0) {
			*w++ = '>';
			s += 4;
		} else if (strncmp(s, "&quot;", 6) == 0) {
			*w++ = '"';
			s += 6;
		} else if (s[1] == '#') {
			char *end;

			c = s[2] == 'x' || s[2] == 'X' ? strtol(s + 3, &end, 16) :
			    strtol(s + 2, &end, 10);
			if (*end != ';' || c <= 0 || c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
				*w++ = *s++;
				continue;
			}
			s = end + 1;
			if (c < 0x80) {
				*w++ = (char)c;
			} else if (c < 0x800) {
				*w++ = (char)(0xc0 | c >> 6);
				*w++ = (char)(0x80 | (c & 0x3f));
			} else if (c < 0x10000) {
				*w++ = (char)(0xe0 | c >> 12);
				*w++ = (char)(0x80 | (c >> 6 & 0x3f));
				*w++ = (char)(0x80 | (c & 0x3f));
			} else {
				*w++ = (char)(0xf0 | c >> 18);
				*w++ = (char)(0x80 | (c >> 12 & 0x3f));
				*w++ = (char)(0x80 | (c >> 6 & 0x3f));
				*w++ = (char)(0x80 | (c & 0x3f));
			}
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/* The text of the element whose opening tag holds cls, tags removed,
 * <br> as newlines; NULL when there is none before end. */
static char *
text_of(const char *p, const char *end, const char *cls)
{
	const char *c = p, *gt, *q, *stop;
	char *out, *w;
	int depth = 0;

	for (;;) {
		c = find_bytes(c, (size_t)(end - c), cls, strlen(cls));
		if (c == NULL)
			return NULL;
		/* inside a class attribute of a tag */
		q = c;
		while (q > p && *q != '<' && *q != '>')
			q--;
		if (*q == '<')
			break;
		c += strlen(cls);
	}
	if ((gt = memchr(c, '>', (size_t)(end - c))) == NULL)
		return NULL;
	gt++;
	w = out = xmalloc((size_t)(end - gt) + 1);
	for (stop = gt; stop < end; stop++) {
		if (*stop == '<') {
			const char *te = memchr(stop, '>', (size_t)(end - stop));

			if (te == NULL)
				break;
			if (te - stop >= 3 && strncasecmp(stop, "<br", 3) == 0)
				*w++ = '\n';
			else if (stop[1] == '/') {
				if (depth-- == 0)
					break;
			} else if (te[-1] != '/')
				depth++;
			stop = te;
			continue;
		}
		*w++ = *stop;
	}
	*w = '\0';
	unescape(out);
	/* trim */
	while (w > out && isspace((unsigned char)w[-1]))
		*--w = '\0';
	if (*out == '\0') {
		free(out);
		return NULL;
	}
	return out;
}

/* "Jan 15, 2023 10:30 am" or "Jan 15, 2023, 10:30 AM": wall time of an
 * unknown zone. */
static int
html_time(const char *s, int64_t *t)
{
	int m, d, y, h, mi, sec = 0, n = 0;
	char mo[4], ap[3], buf[40];
	int32_t off;

	if (sscanf(s, "%3s %d, %d%n", mo, &d, &y, &n) != 3)
		return -1;
	s += n;
	if (*s == ',')
		s++;
	if (sscanf(s, " %d:%d%n", &h, &mi, &n) != 2)
		return -1;
	s += n;
	if (*s == ':' && sscanf(s, ":%d%n", &sec, &n) == 1)
		s += n;
	if (sscanf(s, " %2s", ap) != 1)
		return -1;
	if ((m = month_abbr(mo)) == 0 || h < 1 || h > 12)
		return -1;
	if (strcasecmp(ap, "pm") == 0 && h != 12)
		h += 12;
	else if (strcasecmp(ap, "am") == 0 && h == 12)
		h = 0;
	else if (strcasecmp(ap, "am") != 0 && strcasecmp(ap, "pm") != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, h, mi, sec);
	return time_parse(buf, t, &off);
}

/* The HTML's time: Instagram's "Jan 15, 2023 10:30 am", or ISO 8601
 * ("2021-01-01T12:00:00", memoria's fixtures), both as the wall clock they
 * show (an ISO time with a zone gives the wall clock of that zone). */
static int
html_when(const char *s, int64_t *t)
{
	int32_t off;

	if (html_time(s, t) == 0)
		return 0;
	if (time_parse(s, t, &off) < 0)
		return -1;
	if (off != OFFSET_UNKNOWN)
		*t += (int64_t)off * 60;
	return 0;
}

/* Where the element whose opening tag holds cls ends (after its first
 * closing tag), searching [p, end); NULL when there is none. */
static const char *
cell_after(const char *p, const char *end, const char *cls)
{
	const char *c = p, *q;

	for (;;) {
		if ((c = find_bytes(c, (size_t)(end - c), cls, strlen(cls))) == NULL)
			return NULL;
		for (q = c; q > p && *q != '<' && *q != '>'; q--)
			;
		if (*q == '<')
			break;
		c += strlen(cls);
	}
	if ((c = find_bytes(c, (size_t)(end - c), "</", 2)) == NULL ||
	    (c = memchr(c, '>', (size_t)(end - c))) == NULL)
		return end;
	return c + 1;
}

/* The value after a "Latitude"/"Longitude" label cell. */
static int
html_coord(const char *p, const char *end, const char *label, double *v)
{
	const char *c = find_bytes(p, (size_t)(end - p), label, strlen(label));
	char *txt, *e;
	int rc = -1;

	if (c == NULL || (txt = text_of(c, end, "_a6-q")) == NULL)
		return -1;
	*v = strtod(txt, &e);
	if (e != txt)
		rc = 0;
	free(txt);
	return rc;
}

static void
add_ref(struct ig_post *post, const char *v, size_t n)
{
	char *s;

	if (post->nmedia == LEN(post->media) || n == 0 || n > 4096)
		return;
	if ((n > 5 && strncmp(v, "http:", 5) == 0) || (n > 6 && strncmp(v, "https:", 6) == 0) ||
	    strncmp(v, "data:", 5 < n ? 5 : n) == 0)
		return;
	s = xmemdup(v, n);
	unescape(s);
	if (kind_of_name(s) == KIND_UNKNOWN) {
		free(s);
		return;
	}
	post->media[post->nmedia++] = s;
}

/* One post or message of [p, next): caption, sender, time, GPS, media. */
static void
html_one(const char *p, const char *next, int first,
    void (*fn)(const struct ig_post *, void *), void *arg)
{
	struct ig_post post;
	const char *a;
	char *t;
	size_t i;

	memset(&post, 0, sizeof(post));
	post.caption = text_of(p, next, "_2pim");
	/* the sender: the header (_2pim), or memoria's "_3-95 _a6-o" cell */
	post.sender = post.caption ? xstrdup(post.caption) :
	    text_of(p, next, "_3-95 _a6-o");
	if ((t = text_of(p, next, "_3-94")) != NULL ||
	    (first && (t = text_of(p, next, "_a6-o")) != NULL)) {
		post.has_time = html_when(t, &post.time) == 0;
		free(t);
	}
	post.has_gps = html_coord(p, next, ">Latitude<", &post.lat) == 0 &&
	    html_coord(p, next, ">Longitude<", &post.lon) == 0;
	for (a = p; a < next; a++) {
		const char *q;
		size_t skip;

		if (next - a >= 6 && memcmp(a, "href=\"", 6) == 0)
			skip = 6;
		else if (next - a >= 5 && memcmp(a, "src=\"", 5) == 0)
			skip = 5;
		else
			continue;
		q = memchr(a + skip, '"', (size_t)(next - a - skip));
		if (q == NULL)
			break;
		add_ref(&post, a + skip, (size_t)(q - a - skip));
		a = q;
	}
	fn(&post, arg);
	for (i = 0; i < post.nmedia; i++)
		free(post.media[i]);
	free(post.caption);
	free(post.sender);
}

/*
 * Instagram's HTML: one <div class="pam _3-95 _2ph- _a6-g uiBoxWhite
 * noborder"> a post or message. Inside: the caption (or sender) in class
 * "_2pim", the date in "_3-94 _a6-o", media as href/src attributes, GPS as
 * "Latitude"/"Longitude" rows of "_a6-q" cells. A box without that
 * header holding several dated messages (memoria's fixtures: sender,
 * text, time, again) is cut after each time cell, so that each message
 * keeps its own sender and time; what follows the last time cell stays
 * with the last message.
 */
void
ig_html_posts(const char *buf, size_t len, void (*fn)(const struct ig_post *, void *),
    void *arg)
{
	const char *end = buf + len, *p, *next, *seg, *cut, *after;
	static const char box[] = "uiBoxWhite";
	int one;

	p = find_bytes(buf, len, box, sizeof(box) - 1);
	while (p != NULL) {
		next = find_bytes(p + 1, (size_t)(end - p - 1), box, sizeof(box) - 1);
		if (next == NULL)
			next = end;
		/* a box with its header (_2pim: caption or sender) is one post
		 * or message, as Instagram writes them */
		one = find_bytes(p, (size_t)(next - p), "_2pim", 5) != NULL;
		for (seg = p; seg < next; seg = cut) {
			cut = one ? NULL : cell_after(seg, next, "_3-94");
			/* the last time cell takes the rest of the box */
			if (cut == NULL || (after = cell_after(cut, next, "_3-94")) == NULL)
				cut = next;
			html_one(seg, cut, seg == p, fn, arg);
		}
		p = next < end ? next : NULL;
	}
}

static void
html_post(const struct ig_post *post, void *arg)
{
	struct ig *g = arg;
	size_t i;
	int msg = strcmp(g->type, "messages") == 0;

	if (msg)	/* a DM: the sender of the message, its folder's title */
		g->sender = post->sender;
	for (i = 0; i < post->nmedia; i++)
		media_ref(g, post->media[i], NULL, post->time, post->has_time,
		    msg ? NULL : post->caption, post->has_gps, post->lat, post->lon);
	g->sender = NULL;
}

static void
scan_html(struct ig *g, struct file *f)
{
	size_t len;
	char *buf, *conv;

	f->claimed = 1;
	if ((buf = file_slurp(g->ex, f, MAXMETA, &len)) == NULL)
		return;
	g->metafile = f->rel;
	conv = NULL;
	if (strcmp(g->type, "messages") == 0) {
		/* the conversation: the page's <title>, else its folder */
		if ((conv = text_of(buf, buf + len, "<title")) == NULL)
			conv = conv_folder(f->rel);
		g->conv = conv;
	}
	ig_html_posts(buf, len, html_post, g);
	g->conv = NULL;
	free(conv);
	free(buf);
}

/*
 * The whole of an xz file (instaloader compresses its JSON by default),
 * NUL-terminated, at most max bytes; NULL with *why otherwise. In memory
 * with liblzma rather than an xz process a post: an account has thousands.
 * Concatenated streams are read as one, like xz -dc does.
 */
char *
xz_decode(const unsigned char *in, size_t inlen, size_t max, size_t *outlen,
    const char **why)
{
	lzma_stream zs = LZMA_STREAM_INIT;
	lzma_ret r;
	char *out;
	size_t cap = inlen * 4 + 64;

	*why = NULL;
	if (lzma_stream_decoder(&zs, 256u << 20, LZMA_CONCATENATED) != LZMA_OK) {
		*why = "cannot start the xz decoder";
		return NULL;
	}
	if (cap > max + 1)
		cap = max + 1;
	out = xmalloc(cap);
	zs.next_in = in;
	zs.avail_in = inlen;
	zs.next_out = (uint8_t *)out;
	zs.avail_out = cap - 1;
	for (;;) {
		r = lzma_code(&zs, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK && r != LZMA_BUF_ERROR) {
			*why = r == LZMA_FORMAT_ERROR ? "not xz data" :
			    r == LZMA_MEMLIMIT_ERROR ? "xz data needing too much memory" :
			    "corrupt or truncated xz data";
			break;
		}
		if (zs.avail_out > 0) {		/* input used up, no end */
			*why = "truncated xz data";
			break;
		}
		if (cap - 1 >= max) {
			*why = "too large to be metadata once uncompressed";
			break;
		}
		cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		out = xrealloc(out, cap);
		zs.next_out = (uint8_t *)out + zs.total_out;
		zs.avail_out = cap - 1 - zs.total_out;
	}
	if (*why != NULL) {
		lzma_end(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	out[*outlen] = '\0';
	lzma_end(&zs);
	return out;
}

/* instaloader's BASE.json, else BASE.json.xz, parsed (claimed either way). */
static json_t *
loader_json(struct export *ex, const char *base)
{
	struct file *side;
	json_t *root = NULL;
	const char *why;
	char *rel, *buf, *plain;
	size_t len, plen;
	int xz;

	rel = xasprintf("%s.json", base);
	if ((xz = (side = export_find(ex, rel)) == NULL)) {
		free(rel);
		rel = xasprintf("%s.json.xz", base);
		side = export_find(ex, rel);
	}
	free(rel);
	if (side == NULL)
		return NULL;
	side->claimed = 1;
	if ((buf = file_slurp(ex, side, MAXMETA, &len)) == NULL)
		return NULL;
	if (xz) {
		plain = xz_decode((unsigned char *)buf, len, MAXMETA, &plen, &why);
		free(buf);
		if (plain == NULL) {
			scan_warn(ex, side->rel, "%s", why);
			return NULL;
		}
		buf = plain;
		len = plen;
	}
	if ((root = json_loadb(buf, len, 0, NULL)) == NULL)
		scan_warn(ex, side->rel, "malformed or truncated JSON");
	free(buf);
	return root;
}

static void
scan_loader(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i], *side;
		size_t bl = loader_base(f->rel);
		char *base, *rel;
		struct entry *e;
		json_t *root = NULL, *v;

		if (bl == 0 || f->claimed || f->kind == KIND_UNKNOWN || strchr(f->rel, '/'))
			continue;
		base = xmemdup(f->rel, bl);
		e = add(ex, f, "posts");
		root = loader_json(ex, base);
		v = json_object_get(json_object_get(root, "node"), "taken_at_timestamp");
		if (json_is_integer(v) && json_integer_value(v) > 0)
			set_time(&e->it, (int64_t)json_integer_value(v), OFFSET_UNKNOWN, "json");
		v = json_object_get(json_object_get(root, "node"), "edge_media_to_caption");
		v = json_object_get(json_array_get(json_object_get(v, "edges"), 0), "node");
		v = json_object_get(v, "text");
		if (json_is_string(v) && json_string_length(v) > 0)
			e->it.caption = xstrdup(json_string_value(v));
		v = json_object_get(json_object_get(root, "node"), "location");
		if (json_is_number(json_object_get(v, "lat")) && json_is_number(json_object_get(v, "lng")))
			set_gps(&e->it, json_number_value(json_object_get(v, "lat")),
			    json_number_value(json_object_get(v, "lng")), 0, 0);
		json_decref(root);
		/* the caption: BASE.txt, or BASE_1.txt for a carousel */
		if (e->it.caption == NULL) {
			static const char *sfx[] = { ".txt", "_1.txt" };
			size_t k;

			for (k = 0; k < LEN(sfx) && e->it.caption == NULL; k++) {
				rel = xasprintf("%s%s", base, sfx[k]);
				if ((side = export_find(ex, rel)) != NULL) {
					size_t len;
					char *buf = file_slurp(ex, side, MAXMETA, &len);

					side->claimed = 1;
					while (buf && len > 0 && (buf[len - 1] == '\n' ||
					    buf[len - 1] == '\r'))
						buf[--len] = '\0';
					if (buf && *buf)
						e->it.caption = buf;
					else
						free(buf);
				}
				free(rel);
			}
		}
		if (!e->it.has_time) {
			int64_t t;
			char ts[32];
			int32_t off;

			/* the name is the UTC instant */
			snprintf(ts, sizeof(ts), "%.10sT%.2s:%.2s:%.2sZ", base, base + 11,
			    base + 14, base + 17);
			if (time_parse(ts, &t, &off) == 0)
				set_time(&e->it, t, OFFSET_UNKNOWN, "filename");
			else
				fallback_time(ex, f, e);
		}
		free(base);
	}
}

/* The type a media folder path implies, for media no metadata named. */
static const char *
type_of_path(const char *rel)
{
	if (strstr(rel, "/inbox/") || strncmp(rel, "messages/", 9) == 0)
		return "messages";
	if (strstr(rel, "media/stories/"))
		return "stories";
	if (strstr(rel, "media/reels/") || strstr(rel, "media/igtv/"))
		return "reels";
	if (strstr(rel, "media/profile/"))
		return "profile";
	if (strstr(rel, "media/archived_posts/"))
		return "archived_posts";
	if (strstr(rel, "media/posts/"))
		return "posts";
	return NULL;
}

/*
 * A post's own sidecar, as memoria's public-media fixtures have it:
 * X.jpg.json or X.json beside the media, {"caption", "taken_at"} with
 * taken_at epoch seconds or an ISO time (no zone: offset unknown).
 * Returns 1 when it gave the item its time.
 */
static int
file_sidecar(struct export *ex, struct file *f, struct entry *e)
{
	const char *dot = strrchr(f->rel, '.');
	char *names[2];
	struct file *sf = NULL;
	json_t *root, *v;
	int64_t t;
	int32_t off = OFFSET_UNKNOWN;
	int ok = 0;
	size_t i;

	names[0] = xasprintf("%s.json", f->rel);
	names[1] = dot ? xasprintf("%.*s.json", (int)(dot - f->rel), f->rel) : NULL;
	for (i = 0; i < 2 && sf == NULL; i++)
		if (names[i] != NULL)
			sf = export_find(ex, names[i]);
	free(names[0]);
	free(names[1]);
	if (sf == NULL || (root = file_json(ex, sf, MAXMETA)) == NULL)
		return 0;
	v = json_object_get(root, "taken_at");
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		t = (int64_t)json_integer_value(v);
		off = 0;
		ok = 1;
	} else if (json_is_string(v) && time_parse(json_string_value(v), &t, &off) == 0) {
		ok = 1;
	}
	if (ok) {
		set_time(&e->it, t, off, "json");
		v = json_object_get(root, "caption");
		if (json_is_string(v) && json_string_length(v) > 0)
			item_set(&e->it.caption, json_string_value(v));
	} else {
		scan_warn(ex, sf->rel, "no taken_at: the post keeps the time of its file");
	}
	json_decref(root);
	return ok;
}

static void
scan(struct export *ex, const struct platform *p)
{
	struct ig g;
	size_t i;

	(void)p;
	memset(&g, 0, sizeof(g));
	g.ex = ex;
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		const char *base = strrchr(f->rel, '/'), *ext, *type = NULL;
		size_t k;

		base = base ? base + 1 : f->rel;
		ext = strrchr(base, '.');
		if (ext == NULL || (strcmp(ext, ".json") != 0 && strcmp(ext, ".html") != 0))
			continue;
		if (is_message_file(base, ext) && strstr(f->rel, "messages/"))
			type = "messages";
		for (k = 0; type == NULL && k < LEN(content_dirs); k++) {
			size_t dl = strlen(content_dirs[k]);

			if (strncmp(f->rel, content_dirs[k], dl) == 0 && f->rel[dl] == '/' &&
			    strchr(f->rel + dl + 1, '/') == NULL)
				type = type_of(base);
		}
		if (type == NULL)
			continue;
		g.type = type;
		g.html = strcmp(ext, ".html") == 0;
		if (g.html)
			scan_html(&g, f);
		else
			scan_json(&g, f);
	}
	scan_loader(ex);
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		const char *type;
		struct entry *e;

		if (f->claimed || f->kind == KIND_UNKNOWN ||
		    (type = type_of_path(f->rel)) == NULL)
			continue;
		e = add(ex, f, type);
		if (file_sidecar(ex, f, e))
			continue;
		fallback_time(ex, f, e);
		orphan_media(ex, f, "not named by any post, story or message");
	}
}

const struct platform platform_instagram = {
	"instagram", "Instagram (JSON or HTML download, instaloader)", "instagram",
	detect, scan
};
