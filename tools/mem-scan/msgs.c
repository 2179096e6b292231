/*
 * msgs.c -- what the message platforms share: the conversation part of an
 * output name, the caption of a message's attachment, a CSV reader
 * (Discord's old messages.csv, iMazing) and a vCard reader (iMessage and
 * iMazing contacts).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

const char *scan_contacts;

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * A conversation name fit for a file name, memoria's sanitize_filename
 * without its bug: letters of any script stay (memoria turned every
 * non-ASCII name into "unknown"). ASCII is lower-cased, spaces become "_",
 * punctuation and invalid bytes go, runs of "_" or "-" collapse, the ends
 * are trimmed, and it is cut at 50 bytes on a character boundary. What
 * is left enters the file name as every name from metadata does, through
 * name_part (export.c), which also names an empty one "unknown".
 */
char *
conv_slug(const char *name)
{
	const unsigned char *s = (const unsigned char *)(name ? name : "");
	char *out = xmalloc(strlen((const char *)s) + 1), *part;
	size_t n = 0, k;

	while (*s && n < 50) {
		k = utf8_len(s);
		if (k == 0) {
			s++;
			continue;
		}
		if (k > 1) {
			/* U+00A0, U+202F and other spaces of Latin-1 */
			if (k == 2 && s[0] == 0xc2 && s[1] == 0xa0) {
				if (n > 0 && out[n - 1] != '_')
					out[n++] = '_';
			} else if (n + k <= 50) {
				memcpy(out + n, s, k);
				n += k;
			} else {
				break;
			}
			s += k;
			continue;
		}
		if (isalnum(*s)) {
			out[n++] = (char)tolower(*s);
		} else if (*s == ' ' || *s == '_' || *s == '\t') {
			if (n > 0 && out[n - 1] != '_')
				out[n++] = '_';
		} else if (*s == '-') {
			if (n > 0 && out[n - 1] != '-')
				out[n++] = '-';
		}
		s++;
	}
	while (n > 0 && (out[n - 1] == '_' || out[n - 1] == '-'))
		n--;
	out[n] = '\0';
	part = name_part(out);
	free(out);
	return part;
}

void
entry_conv(struct entry *e, const char *conv)
{
	free(e->conv);
	e->conv = conv_slug(conv);
}

/* Newlines inside a quoted value would read as new caption lines. */
static char *
one_line(const char *s)
{
	char *t = xstrdup(s), *p;

	for (p = t; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return t;
}

/*
 * The caption of an attachment: where it came from, the conversation, who
 * sent it and what they wrote, one per line (memoria's Google Chat/Voice
 * shape, with the message text it dropped).
 */
void
msg_caption(struct item *it, const char *source, const char *conv,
    const char *sender, const char *text)
{
	char *c = one_line(conv ? conv : "unknown");
	char *s = one_line(sender && *sender ? sender : "unknown");
	char *t = text && *text ? one_line(text) : NULL;

	free(it->caption);
	if (t)
		it->caption = xasprintf("Source: %s\nConversation: \"%s\"\n"
		    "Sender: \"%s\"\nMessage: \"%s\"", source, c, s, t);
	else
		it->caption = xasprintf("Source: %s\nConversation: \"%s\"\n"
		    "Sender: \"%s\"", source, c, s);
	free(c);
	free(s);
	free(t);
}

/* A field the record format does not name yet; readers keep it. */
void
item_extra(struct item *it, const char *key, const char *value)
{
	it->extra = xrealloc(it->extra, (it->nextra + 2) * sizeof(*it->extra));
	it->extra[it->nextra++] = xasprintf("%s=%s", key, value);
	it->extra[it->nextra] = NULL;
}

char *
path_dir(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? xmemdup(rel, (size_t)(s - rel)) : xstrdup("");
}

/* RFC 4180: quoted fields hold commas, "" and newlines; a BOM is skipped. */
void
csv_init(struct csv *c, const char *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->p = buf;
	c->end = buf + len;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
}

static void
csv_clear(struct csv *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->f[i]);
	c->n = 0;
}

int
csv_row(struct csv *c)
{
	char *field;
	size_t flen, fcap;

	csv_clear(c);
	/* blank lines between rows are not rows */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r'))
		c->p++;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		int quoted = 0;

		fcap = 64;
		flen = 0;
		field = xmalloc(fcap);
		if (c->p < c->end && *c->p == '"') {
			quoted = 1;
			c->p++;
		}
		while (c->p < c->end) {
			char ch = *c->p;

			if (quoted) {
				if (ch == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						c->p++;
					} else {
						quoted = 0;
						c->p++;
						continue;
					}
				}
			} else if (ch == ',' || ch == '\n' || ch == '\r') {
				break;
			}
			if (flen + 2 > fcap) {
				fcap *= 2;
				field = xrealloc(field, fcap);
			}
			field[flen++] = ch;
			c->p++;
		}
		field[flen] = '\0';
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->f = xrealloc(c->f, c->cap * sizeof(*c->f));
		}
		c->f[c->n++] = field;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		return 1;
	}
}

void
csv_free(struct csv *c)
{
	csv_clear(c);
	free(c->f);
	c->f = NULL;
	c->cap = 0;
}

int
csv_col(const struct csv *hdr, const char *name)
{
	size_t i;

	for (i = 0; i < hdr->n; i++)
		if (strcasecmp(hdr->f[i], name) == 0)
			return (int)i;
	return -1;
}

static void
contact_add(struct contacts *c, const char *key, const char *name)
{
	if (*key == '\0')
		return;
	c->key = xrealloc(c->key, (c->n + 1) * sizeof(*c->key));
	c->name = xrealloc(c->name, (c->n + 1) * sizeof(*c->name));
	c->key[c->n] = xstrdup(key);
	c->name[c->n++] = xstrdup(name);
}

/* "+1 (404) 555-1234" to "+14045551234"; an address to lower case. */
static char *
handle_key(const char *h)
{
	char *k = xmalloc(strlen(h) + 1);
	size_t n = 0;
	const char *p;

	if (strchr(h, '@') != NULL) {
		for (p = h; *p; p++)
			if (!isspace((unsigned char)*p))
				k[n++] = (char)tolower((unsigned char)*p);
		k[n] = '\0';
		return k;
	}
	for (p = h; *p; p++)
		if (isdigit((unsigned char)*p) || (*p == '+' && n == 0))
			k[n++] = *p;
	k[n] = '\0';
	return k;
}

/* The value after the property's parameters: "TEL;TYPE=CELL:+1..." */
static const char *
vcard_value(const char *line, const char *prop)
{
	size_t n = strlen(prop);
	const char *p = line, *dot = strchr(line, '.'), *colon = strchr(line, ':');

	/* "item1.TEL:..." groups */
	if (dot != NULL && colon != NULL && dot < colon)
		p = dot + 1;
	if (strncasecmp(p, prop, n) != 0 || (p[n] != ':' && p[n] != ';'))
		return NULL;
	return colon ? colon + 1 : NULL;
}

/*
 * Every card's FN for each of its TEL and EMAIL values, with folded lines
 * unfolded. A US number is also stored in its other form (+1XXXXXXXXXX and
 * XXXXXXXXXX) since handles use both.
 */
void
vcard_parse(const char *buf, size_t len, struct contacts *c)
{
	char *text = xmalloc(len + 1), *line, *next, *fn = NULL;
	char **vals = NULL;
	size_t n = 0, i, nv = 0;

	memset(c, 0, sizeof(*c));
	/* unfold: CRLF or LF followed by a space or tab continues the line */
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			continue;
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
			continue;
		if (buf[i] == '\n' && i + 1 < len && (buf[i + 1] == ' ' || buf[i + 1] == '\t')) {
			i++;
			continue;
		}
		text[n++] = buf[i];
	}
	text[n] = '\0';
	for (line = text; line != NULL; line = next) {
		const char *v;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncasecmp(line, "BEGIN:VCARD", 11) == 0) {
			free(fn);
			fn = NULL;
			for (i = 0; i < nv; i++)
				free(vals[i]);
			nv = 0;
		} else if ((v = vcard_value(line, "FN")) != NULL) {
			free(fn);
			fn = xstrdup(v);
		} else if ((v = vcard_value(line, "TEL")) != NULL ||
		    (v = vcard_value(line, "EMAIL")) != NULL) {
			if (strncasecmp(v, "tel:", 4) == 0)
				v += 4;
			vals = xrealloc(vals, (nv + 1) * sizeof(*vals));
			vals[nv++] = handle_key(v);
		} else if (strncasecmp(line, "END:VCARD", 9) == 0 && fn != NULL && *fn) {
			for (i = 0; i < nv; i++) {
				size_t kl = strlen(vals[i]);
				char *alt = NULL;

				contact_add(c, vals[i], fn);
				if (kl == 12 && strncmp(vals[i], "+1", 2) == 0)
					alt = xstrdup(vals[i] + 2);
				else if (kl == 10 && vals[i][0] != '+')
					alt = xasprintf("+1%s", vals[i]);
				else if (kl == 11 && vals[i][0] == '1')
					alt = xasprintf("+%s", vals[i]);
				if (alt != NULL)
					contact_add(c, alt, fn);
				free(alt);
			}
		}
	}
	for (i = 0; i < nv; i++)
		free(vals[i]);
	free(vals);
	free(fn);
	free(text);
}

const char *
contact_name(const struct contacts *c, const char *handle)
{
	char *k;
	size_t i;
	const char *hit = NULL;

	if (c == NULL || handle == NULL)
		return NULL;
	k = handle_key(handle);
	for (i = c->n; i-- > 0 && hit == NULL;)	/* later cards win */
		if (strcmp(c->key[i], k) == 0)
			hit = c->name[i];
	free(k);
	return hit;
}

void
contacts_free(struct contacts *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->key[i]);
		free(c->name[i]);
	}
	free(c->key);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* Does a path of export_paths name a Messages or SMS folder (memoria's
 * iMessage marker)? */
static int
imessage_path(json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n;

	if (s == NULL)
		return 0;
	for (i = 0, n = strlen(s); i + 3 <= n; i++)
		if (strncasecmp(s + i, "messages", 8) == 0 || strncasecmp(s + i, "sms", 3) == 0)
			return 1;
	return 0;
}

/*
 * Which of memoria's processors wrote a preprocessed metadata.json, by
 * memoria's own markers: Discord's export_info counts downloads (or its
 * conversations have guild_name / original_urls); iMessage's export_paths
 * name a Messages or SMS folder; Snapchat's has export_username or
 * conversations and neither marker. memoria tries all three on every such
 * folder; one folder is one of them.
 */
int
memoria_pre_kind(json_t *meta)
{
	json_t *info = json_object_get(meta, "export_info");
	json_t *convs = json_object_get(meta, "conversations"), *c, *m, *paths, *v;
	const char *key;
	size_t i;

	if (!json_is_object(convs))
		return PRE_NONE;
	if (json_object_get(info, "downloads_successful") != NULL ||
	    json_object_get(info, "downloads_failed") != NULL)
		return PRE_DISCORD;
	json_object_foreach(convs, key, c) {
		if (json_object_get(c, "guild_name") != NULL)
			return PRE_DISCORD;
		json_array_foreach(json_object_get(c, "messages"), i, m)
			if (json_object_get(m, "original_urls") != NULL)
				return PRE_DISCORD;
		break;	/* memoria looks at the first conversation only */
	}
	paths = json_object_get(info, "export_paths");
	json_array_foreach(paths, i, v)
		if (imessage_path(v))
			return PRE_IMESSAGE;
	if (json_is_string(json_object_get(info, "export_username")) ||
	    json_object_size(convs) > 0)
		return PRE_SNAPCHAT;
	return PRE_NONE;
}

/*
 * memoria's preprocessed layout of kind: a metadata.json beside a media/
 * folder with files, in the export or its messages/. Its root ("" or
 * "messages") with *meta parsed and the metadata file claimed, or NULL.
 */
const char *
memoria_pre(struct export *ex, int kind, json_t **meta)
{
	static const char *roots[] = { "", "messages" };
	size_t i, n, len;

	*meta = NULL;
	for (i = 0; i < LEN(roots); i++) {
		char *rel = xasprintf("%s%smetadata.json", roots[i], *roots[i] ? "/" : "");
		char *md = xasprintf("%s%smedia", roots[i], *roots[i] ? "/" : "");
		struct file *f = export_find(ex, rel);
		json_t *root;
		char *buf;

		export_under(ex, md, &n);
		free(rel);
		free(md);
		if (f == NULL || n == 0 || (buf = file_slurp(ex, f, 64 << 20, &len)) == NULL)
			continue;
		root = json_loadb(buf, len, 0, NULL);
		free(buf);
		if (memoria_pre_kind(root) == kind) {
			f->claimed = 1;
			*meta = root;
			return roots[i];
		}
		json_decref(root);
	}
	return NULL;
}

/* One file name of a message: fn for it, or a report when it is missing. */
static void
pre_file(struct export *ex, const char *dir, const char *mfile, const char *key,
    json_t *conv, json_t *msg, const char *name,
    void (*fn)(struct export *, struct file *, const char *, json_t *, json_t *, void *),
    void *arg)
{
	char *rel = safe_join(dir, name);
	struct file *f = rel ? export_find(ex, rel) : NULL;

	free(rel);
	if (f == NULL)
		orphan_meta(ex, mfile, msg, "media file not found");
	else if (!f->claimed && f->kind != KIND_UNKNOWN)
		fn(ex, f, key, conv, msg, arg);
}

/*
 * Each file the messages of memoria's metadata.json name (media_file, or
 * media_files[] for Discord) goes to fn with its conversation and message;
 * then each file of media/ none names, with msg NULL, reported as an
 * orphan. A name that is missing is reported too.
 */
void
memoria_pre_each(struct export *ex, const char *root, json_t *meta,
    void (*fn)(struct export *, struct file *, const char *, json_t *, json_t *, void *),
    void *arg)
{
	char *dir = xasprintf("%s%smedia", root, *root ? "/" : "");
	char *mfile = xasprintf("%s%smetadata.json", root, *root ? "/" : "");
	json_t *c, *m, *v;
	const char *key, *name;
	struct file *f;
	size_t i, k, n;

	json_object_foreach(json_object_get(meta, "conversations"), key, c) {
		json_array_foreach(json_object_get(c, "messages"), i, m) {
			if ((name = json_string_value(json_object_get(m, "media_file"))) != NULL)
				pre_file(ex, dir, mfile, key, c, m, name, fn, arg);
			json_array_foreach(json_object_get(m, "media_files"), k, v)
				if ((name = json_string_value(v)) != NULL)
					pre_file(ex, dir, mfile, key, c, m, name, fn, arg);
		}
	}
	f = export_under(ex, dir, &n);
	for (i = 0; i < n; i++) {
		if (f[i].claimed || f[i].kind == KIND_UNKNOWN)
			continue;
		fn(ex, &f[i], NULL, NULL, NULL, arg);
		orphan_media(ex, &f[i], "not named in memoria's metadata.json");
	}
	free(dir);
	free(mfile);
}
