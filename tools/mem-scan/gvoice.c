/*
 * gvoice.c -- Google Voice in a Takeout: [Takeout/]Voice/Calls/ (HTML pages), one
 * page a conversation, voicemail or recorded call, with its files beside it.
 *
 * The pages are read with libxml2's HTML parser. A text message is a
 * <div class="message">: its time the title of <abbr class="dt"> with its
 * UTC offset (kept: memoria threw it away), its sender the <cite
 * class="sender"> vcard's fn (or tel: link), its text the <q>, and its
 * files every <img>, <audio>, <video>, <source> and local <a href>. A
 * voicemail or recording is a page with <audio src> and an <abbr
 * class="published"> time. Audio becomes audio items (mem-loudnorm).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXHTML (64 << 20)

static int
has_class(xmlNode *n, const char *cls)
{
	xmlChar *v;
	const char *p;
	size_t cl = strlen(cls);
	int hit = 0;

	if (n->type != XML_ELEMENT_NODE || (v = xmlGetProp(n, BAD_CAST "class")) == NULL)
		return 0;
	for (p = (const char *)v; *p && !hit;) {
		size_t wl;

		while (*p && isspace((unsigned char)*p))
			p++;
		wl = strcspn(p, " \t\r\n");
		hit = wl == cl && strncmp(p, cls, cl) == 0;
		p += wl;
	}
	xml_free(v);
	return hit;
}

static int
is(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

static xmlNode *
find(xmlNode *n, const char *name, const char *cls)
{
	xmlNode *c, *r;

	for (c = n ? n->children : NULL; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if ((name == NULL || is(c, name)) && (cls == NULL || has_class(c, cls)))
			return c;
		if ((r = find(c, name, cls)) != NULL)
			return r;
	}
	return NULL;
}

/* The text of a node, spaces collapsed, or NULL when empty. */
static char *
text(xmlNode *n)
{
	xmlChar *c;
	char *t, *w, *p;

	if (n == NULL || (c = xmlNodeGetContent(n)) == NULL)
		return NULL;
	t = xstrdup((const char *)c);
	xml_free(c);
	for (w = p = t; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (w > t && w[-1] != ' ')
				*w++ = ' ';
		} else {
			*w++ = *p;
		}
	}
	while (w > t && w[-1] == ' ')
		w--;
	*w = '\0';
	if (*t == '\0') {
		free(t);
		return NULL;
	}
	return t;
}

/* text() for the other HTML readers of mem-scan (snapchat.c). */
char *
html_text(xmlNode *n)
{
	return text(n);
}

static char *
prop(xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	if (n == NULL || (v = xmlGetProp(n, BAD_CAST name)) == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xml_free(v);
	return s;
}

/* A link to a file of the export, not to the web or a phone. */
static int
local_ref(const char *s)
{
	return s && *s && *s != '#' && strncasecmp(s, "tel:", 4) != 0 &&
	    strncasecmp(s, "mailto:", 7) != 0 && strstr(s, "://") == NULL &&
	    strncasecmp(s, "data:", 5) != 0 && strncasecmp(s, "javascript:", 11) != 0;
}

struct msgctx {
	char	*sender, *text;
	int	 has_time;
	int64_t	 time;
	int32_t	 off;
};

static void
add_ref(struct gv_page *pg, const char *src, const struct msgctx *m)
{
	struct gv_ref *r;
	size_t i;

	for (i = 0; i < pg->nrefs; i++)	/* <a href> around its own <img> */
		if (strcmp(pg->refs[i].src, src) == 0)
			return;
	pg->refs = xrealloc(pg->refs, (pg->nrefs + 1) * sizeof(*pg->refs));
	r = &pg->refs[pg->nrefs++];
	r->src = xstrdup(src);
	r->sender = m->sender ? xstrdup(m->sender) : NULL;
	r->text = m->text ? xstrdup(m->text) : NULL;
	r->has_time = m->has_time;
	r->time = m->time;
	r->off = m->off;
}

static void
refs(xmlNode *n, struct gv_page *pg, const struct msgctx *m)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		char *s = NULL;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "img") || is(c, "audio") || is(c, "video") || is(c, "source") ||
		    is(c, "embed"))
			s = prop(c, "src");
		else if (is(c, "a"))
			s = prop(c, "href");
		if (local_ref(s))
			add_ref(pg, s, m);
		free(s);
		refs(c, pg, m);
	}
}

static void
msg_time(xmlNode *n, const char *cls, struct msgctx *m)
{
	xmlNode *a = find(n, "abbr", cls);
	char *t = prop(a, "title");

	if (t != NULL && time_parse(t, &m->time, &m->off) == 0)
		m->has_time = 1;
	free(t);
}

static void
msg_sender(xmlNode *n, struct msgctx *m, const char *cls)
{
	xmlNode *cite = find(n, NULL, cls), *fn, *tel;
	char *h;

	if (cite == NULL)
		return;
	if ((fn = find(cite, NULL, "fn")) != NULL && (m->sender = text(fn)) != NULL)
		return;
	if ((tel = find(cite, "a", "tel")) != NULL && (h = prop(tel, "href")) != NULL) {
		m->sender = xstrdup(strncasecmp(h, "tel:", 4) == 0 ? h + 4 : h);
		free(h);
		return;
	}
	m->sender = text(cite);
}

/* Messages first (their refs carry their sender and time), then the page. */
static void
walk(xmlNode *n, struct gv_page *pg)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		struct msgctx m;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!has_class(c, "message")) {
			walk(c, pg);
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.off = OFFSET_UNKNOWN;
		msg_time(c, "dt", &m);
		msg_sender(c, &m, "sender");
		m.text = text(find(c, "q", NULL));
		if (m.text == NULL)	/* <div class="text"> (memoria's fixtures) */
			m.text = text(find(c, NULL, "text"));
		refs(c, pg, &m);
		free(m.sender);
		free(m.text);
	}
}

/* The fn of every vcard in the participants block, "Me" left out. */
static void
participants(xmlNode *n, struct gv_page *pg)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		char *t;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (has_class(c, "fn") && (t = text(c)) != NULL) {
			if (strcmp(t, "Me") == 0)
				free(t);
			else {
				pg->people = xrealloc(pg->people,
				    (pg->npeople + 1) * sizeof(*pg->people));
				pg->people[pg->npeople++] = t;
			}
			continue;
		}
		participants(c, pg);
	}
}

/*
 * Parse one page. Returns 0, or -1 when it is not HTML at all. Files of
 * the page outside any message (voicemail, recording) get the page's time
 * (abbr.published) and its contributor.
 */
int
gv_parse(const char *buf, size_t len, struct gv_page *pg)
{
	htmlDocPtr doc;
	xmlNode *root, *t, *parts;
	struct msgctx page;

	memset(pg, 0, sizeof(*pg));
	if (len > INT_MAX)
		return -1;
	doc = htmlReadMemory(buf, (int)len, NULL, "UTF-8", HTML_PARSE_RECOVER |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc == NULL)
		return -1;
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	if ((t = find(root, "title", NULL)) != NULL)
		pg->title = text(t);
	if ((parts = find(root, NULL, "participants")) != NULL)
		participants(parts, pg);
	walk(root, pg);
	memset(&page, 0, sizeof(page));
	page.off = OFFSET_UNKNOWN;
	msg_time(root, "published", &page);
	if (!page.has_time)
		msg_time(root, "dt", &page);
	msg_sender(root, &page, "contributor");
	if (page.sender == NULL && pg->npeople > 0)
		page.sender = xstrdup(pg->people[0]);
	page.text = text(find(root, NULL, "full-text"));
	refs(root, pg, &page);	/* those already seen in messages stay theirs */
	free(page.sender);
	free(page.text);
	xmlFreeDoc(doc);
	return 0;
}

void
gv_page_free(struct gv_page *pg)
{
	size_t i;

	for (i = 0; i < pg->nrefs; i++) {
		free(pg->refs[i].src);
		free(pg->refs[i].sender);
		free(pg->refs[i].text);
	}
	for (i = 0; i < pg->npeople; i++)
		free(pg->people[i]);
	free(pg->refs);
	free(pg->people);
	free(pg->title);
	memset(pg, 0, sizeof(*pg));
}

/*
 * A page of Google Voice's: "… - YYYY-MM-DDTHH_MM_SSZ.html" ("+1555… -
 * Text - 2016-05-18T15_00_23Z.html", "Group Conversation - …"). Other HTML
 * in a Calls folder does not make the export Google Voice (memoria's rule).
 */
static int
voice_page(const char *r, size_t n)
{
	static const char pat[] = " - dddd-dd-ddTdd_dd_ddZ.html";
	size_t pl = sizeof(pat) - 1, i;
	const char *p;

	if (n < pl)
		return 0;
	p = r + n - pl;
	for (i = 0; i < pl; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)p[i]) : p[i] != pat[i])
			return 0;
	return 1;
}

/* Voice/Calls directories of the export (Takeout-wrapped or not). */
static char *
calls_dir(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nfiles; i++) {
		const char *r = ex->files[i].rel, *v = strstr(r, "Voice/Calls/");
		size_t n = strlen(r);

		if (v == NULL || (v != r && v[-1] != '/') || !voice_page(r, n))
			continue;
		return xmemdup(r, (size_t)(v - r) + strlen("Voice/Calls"));
	}
	return NULL;
}

static int
detect(struct export *ex)
{
	char *d = calls_dir(ex);

	free(d);
	return d != NULL;
}

/* "... - 2016-05-18T15_00_23Z.mp3": Takeout's UTC time in a name. */
static int
name_utc(const char *base, int64_t *t)
{
	const char *p;
	char buf[32];
	int32_t off;

	for (p = base; (p = strstr(p, " - ")) != NULL; p += 3) {
		const char *q = p + 3;
		size_t i;

		if (strlen(q) < 20 || q[10] != 'T' || q[19] != 'Z')
			continue;
		memcpy(buf, q, 20);
		buf[20] = '\0';
		for (i = 11; i < 19; i++)
			if (buf[i] == '_')
				buf[i] = ':';
		if (time_parse(buf, t, &off) == 0)
			return 0;
	}
	return -1;
}

static const char *exts[] = { ".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4",
    ".mov", ".avi", ".webm", ".3gp", ".mp3", ".wav", ".m4a", ".amr", ".ogg" };

static struct file *
lookup1(struct export *ex, const char *dir, const char *src)
{
	struct file *f;
	char *rel, *alt;
	size_t i;

	if ((rel = safe_join(dir, src)) == NULL)
		return NULL;
	f = export_find(ex, rel);
	for (i = 0; (f == NULL || f->claimed) && i < LEN(exts); i++) {
		alt = xasprintf("%s%s", rel, exts[i]);
		f = export_find(ex, alt);
		free(alt);
	}
	free(rel);
	return f && !f->claimed && f->kind != KIND_UNKNOWN ? f : NULL;
}

/* memoria's order: the name, the name plus a media extension, both without
 * a trailing "-1", then any unused file whose name starts with it. */
static struct file *
lookup(struct export *ex, const char *dir, const char *src)
{
	struct file *f, *g;
	size_t n, i, sl = strlen(src);
	char *cut;

	if ((f = lookup1(ex, dir, src)) != NULL)
		return f;
	if (sl > 2 && strcmp(src + sl - 2, "-1") == 0) {
		cut = xmemdup(src, sl - 2);
		f = lookup1(ex, dir, cut);
		free(cut);
		if (f != NULL)
			return f;
	}
	if (strchr(src, '/') != NULL || sl == 0)
		return NULL;
	g = export_under(ex, dir, &n);
	for (i = 0; i < n; i++)
		if (!g[i].claimed && g[i].kind != KIND_UNKNOWN &&
		    strncmp(path_base(g[i].rel), src, sl) == 0)
			return &g[i];
	return NULL;
}

/* The conversation's name: the other participants, else the title without
 * "Me to", else the first sender who is not "Me", else the file name. */
static char *
conversation(const struct gv_page *pg, const char *base)
{
	char *s = NULL, *t;
	size_t i;

	for (i = 0; i < pg->npeople; i++) {
		t = s ? xasprintf("%s, %s", s, pg->people[i]) : xstrdup(pg->people[i]);
		free(s);
		s = t;
	}
	if (s != NULL)
		return s;
	if (pg->title != NULL) {
		const char *p = pg->title;

		if (strncmp(p, "Me to ", 6) == 0)
			p += 6;
		if (*p)
			return xstrdup(p);
	}
	for (i = 0; i < pg->nrefs; i++)
		if (pg->refs[i].sender && strcmp(pg->refs[i].sender, "Me") != 0)
			return xstrdup(pg->refs[i].sender);
	t = strstr(base, " - ");
	return t ? xmemdup(base, (size_t)(t - base)) : xstrdup(base);
}

static void
scan_page(struct export *ex, struct file *hf, const char *dir, const char *user,
    const char *album, const char *src)
{
	struct gv_page pg;
	char *buf, *conv;
	size_t len, i;

	hf->claimed = 1;
	if ((buf = file_slurp(ex, hf, MAXHTML, &len)) == NULL)
		return;
	if (gv_parse(buf, len, &pg) < 0) {
		scan_warn(ex, hf->rel, "not an HTML page");
		free(buf);
		return;
	}
	free(buf);
	conv = conversation(&pg, path_base(hf->rel));
	for (i = 0; i < pg.nrefs; i++) {
		struct gv_ref *r = &pg.refs[i];
		struct file *f = lookup(ex, dir, r->src);
		struct entry *e;
		int64_t t;

		if (f == NULL) {
			json_t *o = json_pack("{s:o, s:o, s:o}", "src", jstr(r->src),
			    "conversation", jstr(conv), "sender",
			    r->sender ? jstr(r->sender) : json_null());

			orphan_meta(ex, hf->rel, o, "file named in the page not found");
			json_decref(o);
			continue;
		}
		e = scan_add(ex, f, "Google Voice", "gvoice");
		item_set(&e->it.user, user);
		entry_conv(e, conv);
		item_add_album(&e->it, album);
		if (r->has_time)
			set_time(&e->it, r->time, r->off, "html");
		else if (name_utc(path_base(f->rel), &t) == 0)
			set_time(&e->it, t, OFFSET_UNKNOWN, "filename");
		else if (name_utc(path_base(hf->rel), &t) == 0)
			/* the page's own name is its UTC time: an instant
			 * of the page, not a phone's wall clock */
			set_time(&e->it, t, OFFSET_UNKNOWN, "html");
		else
			fallback_time(ex, f, e);
		msg_caption(&e->it, src, conv, r->sender && strcmp(r->sender, "Me") == 0 ?
		    user : r->sender, r->text);
	}
	free(conv);
	gv_page_free(&pg);
}

static void
scan(struct export *ex, const struct platform *p)
{
	char *dir = calls_dir(ex), *user, *album, *src;
	struct file *f;
	size_t n, i;

	(void)p;
	if (dir == NULL)
		return;
	user = user_of(ex->name, "google");
	album = xasprintf("Google Voice/%s", user);
	src = xstrdup(album);
	f = export_under(ex, dir, &n);
	for (i = 0; i < n; i++) {
		size_t l = strlen(f[i].rel);

		if (l > 5 && strcasecmp(f[i].rel + l - 5, ".html") == 0)
			scan_page(ex, &f[i], dir, user, album, src);
	}
	for (i = 0; i < n; i++) {
		struct entry *e;
		int64_t t;

		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		e = scan_add(ex, &f[i], "Google Voice", "gvoice");
		item_set(&e->it.user, user);
		item_add_album(&e->it, album);
		item_set(&e->it.caption, src);
		if (name_utc(path_base(f[i].rel), &t) == 0)
			set_time(&e->it, t, OFFSET_UNKNOWN, "filename");
		else
			fallback_time(ex, &f[i], e);
		orphan_media(ex, &f[i], "no page of Voice/Calls names it");
	}
	free(src);
	free(album);
	free(user);
	free(dir);
}

const struct platform platform_gvoice = {
	"google-voice",
	"Google Voice (Takeout: Voice/Calls/*.html; texts, MMS, voicemail)",
	"google", detect, scan
};
