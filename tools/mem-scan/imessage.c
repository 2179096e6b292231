/*
 * imessage.c -- iMessage: a Mac's ~/Library/Messages (chat.db and
 * Attachments/) or an iPhone backup's SMS/ (sms.db and SMS/Attachments/),
 * read with SQLite, opened read-only and immutable so that not even a -wal
 * or -shm file appears in the source.
 *
 * Dates count from 2001-01-01 UTC, in nanoseconds since macOS 10.13 and in
 * seconds before; both are told apart by size. Names come from a vCard
 * file: --contacts FILE, else contacts.vcf in the export (memoria read a
 * hard-coded /mnt/media/originals/contacts.vcf). Audio (.caf voice notes)
 * and HEIC are items like the rest; a Live Photo's MOV goes with its HEIC.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "mem.h"
#include "mem-scan.h"

#define APPLE_EPOCH 978307200LL

/* Apple's time to Unix seconds: nanoseconds in new databases, seconds in
 * old ones (no date of this century is 1e11 seconds from 2001). */
int64_t
apple_time(int64_t v)
{
	if (v > 100000000000LL || v < -100000000000LL)
		v /= 1000000000LL;
	return v + APPLE_EPOCH;
}

/* The bytes of a UTF-8 string with U+FFFC and U+FFFD (attachment marks)
 * taken out, or NULL when nothing else is left. */
static char *
strip_marks(const unsigned char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (i + 2 < n && s[i] == 0xef && s[i + 1] == 0xbf &&
		    (s[i + 2] == 0xbc || s[i + 2] == 0xbd)) {
			i += 2;
			continue;
		}
		if (s[i] == '\0')
			continue;
		out[k++] = (char)s[i];
	}
	while (k > 0 && isspace((unsigned char)out[k - 1]))
		k--;
	out[k] = '\0';
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The text of a message stored only in attributedBody: an NSTypedStream
 * ("\x04\x0bstreamtyped") whose first NSString holds it after a 0x01 0x2b
 * marker and a length (one byte, or 0x81 and 2 bytes, 0x82 and 4 bytes,
 * little-endian). NULL when it holds none.
 */
char *
typedstream_text(const unsigned char *buf, size_t len)
{
	static const char magic[] = "\x04\x0bstreamtyped";
	const unsigned char *p, *end = buf + len;
	size_t n, i;

	if (len < sizeof(magic) - 1 || memcmp(buf, magic, sizeof(magic) - 1) != 0)
		return NULL;
	for (p = buf; p + 8 <= end; p++)
		if (memcmp(p, "NSString", 8) == 0)
			break;
	if (p + 8 > end)
		return NULL;
	for (p += 8; p + 1 < end; p++)
		if (p[0] == 0x01 && p[1] == 0x2b)
			break;
	if (p + 2 >= end)
		return NULL;
	p += 2;
	if (*p == 0x81) {
		if (end - p < 3)
			return NULL;
		n = (size_t)p[1] | (size_t)p[2] << 8;
		p += 3;
	} else if (*p == 0x82) {
		if (end - p < 5)
			return NULL;
		for (n = 0, i = 4; i > 0; i--)
			n = n << 8 | p[i];
		p += 5;
	} else if (*p < 0x80) {
		n = *p++;
	} else {
		return NULL;
	}
	if (n > (size_t)(end - p))
		return NULL;
	return strip_marks(p, n);
}

/* Which of the two layouts: the database and the directory it is in. */
static struct file *
database(struct export *ex, const char **base)
{
	struct file *f;

	size_t n;

	/* the database and its Attachments/ (memoria's rule: a chat.db
	 * alone is some other program's file, and holds no media) */
	if ((f = export_find(ex, "chat.db")) != NULL &&
	    (export_under(ex, "Attachments", &n), n > 0)) {
		*base = "";
		return f;
	}
	if ((f = export_find(ex, "SMS/sms.db")) != NULL &&
	    (export_under(ex, "SMS/Attachments", &n), n > 0)) {
		*base = "SMS/";
		return f;
	}
	return NULL;
}

static int
detect(struct export *ex)
{
	const char *base;
	json_t *meta;
	int pre;

	if (database(ex, &base) != NULL)
		return 1;
	pre = memoria_pre(ex, PRE_IMESSAGE, &meta) != NULL;	/* memoria's */
	json_decref(meta);
	return pre;
}

/* A path as an SQLite URI: %-escape what a URI would read otherwise. */
static char *
db_uri(const char *path)
{
	char *u = xmalloc(strlen(path) * 3 + 32), *w = u;
	const unsigned char *p;

	w += snprintf(w, 8, "file:");
	for (p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-_.~", *p) != NULL) {
			*w++ = (char)*p;
		} else {
			snprintf(w, 4, "%%%02X", *p);
			w += 3;
		}
	}
	snprintf(w, 16, "?immutable=1");
	return u;
}

/*
 * A database that is an archive member: its bytes (a sidecar like any
 * other) become an in-memory database, so nothing is extracted to disk.
 */
static int
db_member(struct export *ex, const struct file *f, sqlite3 **db)
{
	unsigned char *mem;
	size_t len;
	char *buf;
	int rc;

	if ((buf = file_slurp(ex, f, (size_t)1 << 30, &len)) == NULL)
		return SQLITE_CANTOPEN;
	if ((rc = sqlite3_open_v2(":memory:", db, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
		free(buf);
		return rc;
	}
	if ((mem = sqlite3_malloc64(len ? len : 1)) == NULL) {
		free(buf);
		return SQLITE_NOMEM;
	}
	memcpy(mem, buf, len);
	free(buf);
	/* sqlite owns mem from here, freed with the database */
	return sqlite3_deserialize(*db, "main", mem, (sqlite3_int64)len, (sqlite3_int64)len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
}

static int
has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *st;
	int hit = 0;
	char *q = xasprintf("SELECT 1 FROM pragma_table_info('%s') WHERE name = ?",
	    table);

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
		hit = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	free(q);
	return hit;
}

/* "~/Library/Messages/Attachments/ab/11/GUID/IMG_1.HEIC" → the file in the
 * export: the part from "Attachments/" on, below the database's directory. */
static char *
attachment_rel(const char *filename, const char *base)
{
	const char *p = filename, *hit = NULL;
	char *rel, *r;

	while ((p = strstr(p, "Attachments/")) != NULL) {
		if (p == filename || p[-1] == '/') {
			hit = p;
			break;
		}
		p++;
	}
	if (hit == NULL)
		return NULL;
	r = xasprintf("%s%s", base, hit);
	rel = safe_join("", r);
	free(r);
	return rel;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The device the export came from: "mac" of mac-messages-20240101. */
static char *
device(const char *name)
{
	const char *m = strstr(name, "-messages-");

	if (m != NULL && m != name)
		return xmemdup(name, (size_t)(m - name));
	return user_of(name, "imessage");
}

struct ctx {
	struct export *ex;
	struct contacts ct;
	char	*dev, *album, *src;
};

static struct entry *
add(struct ctx *c, struct file *f, const char *conv)
{
	struct entry *e = scan_add(c->ex, f, "messages", "imessage");

	item_set(&e->it.user, c->dev);
	entry_conv(e, conv);
	item_add_album(&e->it, c->album);
	return e;
}

/* lp_image.HEIC's lp_image.MOV: the video of the same Live Photo. */
static struct file *
live_video(struct export *ex, const struct file *f)
{
	const char *dot = strrchr(f->rel, '.');
	static const char *ext[] = { ".MOV", ".mov" };
	struct file *v;
	size_t i;

	if (dot == NULL || f->kind != KIND_IMAGE)
		return NULL;
	for (i = 0; i < LEN(ext); i++) {
		char *rel = xasprintf("%.*s%s", (int)(dot - f->rel), f->rel, ext[i]);

		v = export_find(ex, rel);
		free(rel);
		if (v != NULL && !v->claimed)
			return v;
	}
	return NULL;
}

static void
row(struct ctx *c, sqlite3_stmt *st, const char *base, const char *dbrel)
{
	struct export *ex = c->ex;
	const char *filename = col_text(st, 0), *tname = col_text(st, 1);
	const char *text = col_text(st, 4), *hid = col_text(st, 6);
	const char *dname = col_text(st, 7), *ident = col_text(st, 8);
	int is_me = sqlite3_column_int(st, 3), style = sqlite3_column_int(st, 9);
	int has_date = sqlite3_column_type(st, 2) != SQLITE_NULL;
	int64_t t = apple_time(sqlite3_column_int64(st, 2));
	char *rel = filename ? attachment_rel(filename, base) : NULL, *body = NULL;
	const char *conv, *sender, *cn;
	struct file *f, *lv;
	struct entry *e;
	int group;

	f = rel ? export_find(ex, rel) : NULL;
	free(rel);
	if (f == NULL || f->claimed || f->kind == KIND_UNKNOWN) {
		if (f == NULL && kind_of_name(filename ? filename : "") != KIND_UNKNOWN) {
			json_t *o = json_pack("{s:o, s:o, s:o}", "filename", jstr(filename),
			    "transfer_name", tname ? jstr(tname) : json_null(),
			    "chat", ident ? jstr(ident) : json_null());

			orphan_meta(ex, dbrel, o, "attachment not in Attachments/");
			json_decref(o);
		}
		return;
	}
	if (text == NULL || *text == '\0' || strcmp(text, "\xef\xbf\xbc") == 0) {
		const void *blob = sqlite3_column_blob(st, 5);
		int n = sqlite3_column_bytes(st, 5);

		if (blob != NULL && n > 0)
			body = typedstream_text(blob, (size_t)n);
		text = body;
	}
	group = style == 43 || (sqlite3_column_type(st, 9) == SQLITE_NULL && dname && *dname);
	if (group)
		conv = dname && *dname ? dname : ident ? ident : "group";
	else if (ident && (cn = contact_name(&c->ct, ident)) != NULL)
		conv = cn;
	else if (hid && (cn = contact_name(&c->ct, hid)) != NULL)
		conv = cn;
	else
		conv = ident ? ident : hid ? hid : "unknown";
	if (is_me)
		sender = "me";
	else if (hid && (cn = contact_name(&c->ct, hid)) != NULL)
		sender = cn;
	else
		sender = hid;
	lv = live_video(ex, f);
	e = add(c, f, conv);
	if (has_date)
		set_time(&e->it, t, OFFSET_UNKNOWN, "db");
	else
		fallback_time(ex, f, e);
	msg_caption(&e->it, c->src, conv, sender, text);
	if (lv != NULL) {
		struct entry *v = add(c, lv, conv);

		e = &ex->items[ex->nitems - 2];	/* add() may have moved it */
		if (e->it.has_time)
			set_time(&v->it, e->it.time, e->it.offset_min, "db");
		else
			fallback_time(ex, lv, v);
		item_set(&v->it.caption, e->it.caption);
	}
	free(body);
}

/*
 * A file of memoria's preprocessed iMessage (metadata.json: conversations
 * {type group|dm, title, messages [{sender, created "… UTC", content,
 * conversation_title, source_export, media_file}]}; a file several
 * messages shared is one entry {media_file, primary_created, messages
 * [...]}): named and captioned as from the database, the oldest message
 * (memoria's primary) giving the time and the caption.
 */
static void
pre_item(struct export *ex, struct file *f, const char *key, json_t *conv,
    json_t *msg, void *arg)
{
	struct ctx *c = arg;
	json_t *inner = json_array_get(json_object_get(msg, "messages"), 0);
	json_t *m = inner != NULL ? inner : msg;
	const char *title = json_string_value(json_object_get(m, "conversation_title"));
	const char *created = json_string_value(json_object_get(msg, "primary_created"));
	const char *cname;
	struct entry *e;
	int64_t t;
	int32_t off;

	(void)ex;
	if (title == NULL || *title == '\0')
		title = json_string_value(json_object_get(conv, "title"));
	cname = title && *title ? title : key ? key : "unknown";
	e = add(c, f, cname);
	if (key == NULL) {	/* in media/, named by no message */
		item_set(&e->it.caption, c->src);
		fallback_time(c->ex, f, e);
		return;
	}
	if (created == NULL)
		created = json_string_value(json_object_get(m, "created"));
	if (created && time_parse(created, &t, &off) == 0)
		set_time(&e->it, t, OFFSET_UNKNOWN, "json");
	else
		fallback_time(c->ex, f, e);
	msg_caption(&e->it, c->src, cname,
	    json_string_value(json_object_get(m, "sender")),
	    json_string_value(json_object_get(m, "content")));
}

/* memoria's preprocessed iMessage: the device from the first message's
 * source_export (memoria's album), else from the export's name. */
static void
scan_pre(struct export *ex)
{
	json_t *meta, *c, *m;
	const char *root = memoria_pre(ex, PRE_IMESSAGE, &meta), *key, *se = NULL;
	struct ctx cx;

	if (root == NULL)
		return;
	json_object_foreach(json_object_get(meta, "conversations"), key, c) {
		m = json_array_get(json_object_get(c, "messages"), 0);
		if (json_object_get(m, "messages") != NULL)
			m = json_array_get(json_object_get(m, "messages"), 0);
		se = json_string_value(json_object_get(m, "source_export"));
		break;
	}
	memset(&cx, 0, sizeof(cx));
	cx.ex = ex;
	cx.dev = device(se && *se ? se : ex->name);
	cx.album = xasprintf("iMessage/%s", cx.dev);
	cx.src = xstrdup(cx.album);
	memoria_pre_each(ex, root, meta, pre_item, &cx);
	free(cx.dev);
	free(cx.album);
	free(cx.src);
	json_decref(meta);
}

static void
load_contacts(struct ctx *c)
{
	struct file *f;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	memset(&c->ct, 0, sizeof(c->ct));
	if (scan_contacts != NULL) {
		size_t cap = 0, r;
		char tmp[8192];

		if ((fp = fopen(scan_contacts, "rb")) == NULL) {
			warn_("--contacts %s", scan_contacts);
			return;
		}
		while ((r = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
			if (len + r + 1 > cap) {
				cap = (len + r + 1) * 2;
				buf = xrealloc(buf, cap);
			}
			memcpy(buf + len, tmp, r);
			len += r;
		}
		if (ferror(fp))
			warn_("--contacts %s", scan_contacts);
		fclose(fp);
	} else if ((f = export_find(c->ex, "contacts.vcf")) != NULL) {
		buf = file_slurp(c->ex, f, 64 << 20, &len);
	}
	if (buf != NULL)
		vcard_parse(buf, len, &c->ct);
	free(buf);
}

static void
scan(struct export *ex, const struct platform *p)
{
	const char *base;
	struct file *dbf = database(ex, &base), *f;
	struct ctx c;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *path, *uri, *q, *adir;
	size_t i, n;
	int rc;

	(void)p;
	if (dbf == NULL) {
		scan_pre(ex);
		return;
	}
	dbf->claimed = 1;
	memset(&c, 0, sizeof(c));
	c.ex = ex;
	c.dev = device(ex->name);
	c.album = xasprintf("iMessage/%s", c.dev);
	c.src = xstrdup(c.album);
	load_contacts(&c);
	if (dbf->part != 0) {
		rc = db_member(ex, dbf, &db);
	} else {
		path = file_path(ex, dbf);
		uri = db_uri(path);
		free(path);
		rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
		    NULL);
		free(uri);
	}
	if (rc != SQLITE_OK) {
		scan_warn(ex, dbf->rel, "cannot open the database: %s",
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto leftovers;
	}
	sqlite3_busy_timeout(db, 2000);
	q = xasprintf("SELECT a.filename, %s, m.date, m.is_from_me, m.text, %s, h.id, "
	    "c.display_name, c.chat_identifier, %s "
	    "FROM attachment a "
	    "JOIN message_attachment_join maj ON maj.attachment_id = a.ROWID "
	    "JOIN message m ON m.ROWID = maj.message_id "
	    "LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID "
	    "LEFT JOIN chat c ON c.ROWID = cmj.chat_id "
	    "LEFT JOIN handle h ON h.ROWID = m.handle_id "
	    "WHERE a.filename IS NOT NULL ORDER BY m.date, a.ROWID",
	    has_column(db, "attachment", "transfer_name") ? "a.transfer_name" : "NULL",
	    has_column(db, "message", "attributedBody") ? "m.attributedBody" : "NULL",
	    has_column(db, "chat", "style") ? "c.style" : "NULL");
	rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
	free(q);
	if (rc != SQLITE_OK) {
		scan_warn(ex, dbf->rel, "not a Messages database: %s", sqlite3_errmsg(db));
		goto leftovers;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(&c, st, base, dbf->rel);
	if (rc != SQLITE_DONE)
		scan_warn(ex, dbf->rel, "reading the database: %s", sqlite3_errmsg(db));
leftovers:
	sqlite3_finalize(st);
	sqlite3_close(db);
	adir = xasprintf("%sAttachments", base);
	f = export_under(ex, adir, &n);
	for (i = 0; i < n; i++) {
		struct entry *e;

		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		e = add(&c, &f[i], "unknown");
		item_set(&e->it.caption, c.src);
		fallback_time(ex, &f[i], e);
		orphan_media(ex, &f[i], "no message of the database has it");
	}
	free(adir);
	contacts_free(&c.ct);
	free(c.dev);
	free(c.album);
	free(c.src);
}

const struct platform platform_imessage = {
	"imessage",
	"iMessage (chat.db + Attachments/, or an iPhone backup's SMS/sms.db)",
	"imessage", detect, scan
};
