/*
 * imazing.c -- iMessage exported by iMazing: each attachment saved as
 * "YYYY-MM-DD HH MM SS - <Conversation> - <Original name>.ext", beside a
 * "Messages - <Conversation>.csv" (Chat Session, Message Date, ..., Type,
 * Sender ID, Sender Name, ..., Text, Attachment, Attachment type), maybe
 * with Device-Info.txt.
 *
 * The times are the phone's wall clock, in a zone the export does not say.
 * memoria labelled them UTC. Here the record keeps the wall clock with the
 * offset unknown (so mem-exif writes it as the photo's local time, with no
 * OffsetTime) and says so with the field time_zone=local.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-scan.h"

#define MAXCSV (256 << 20)

/* "2023-01-15 10 30 45 - Conv - Orig.ext": the time as "2023-01-15
 * 10:30:45", the conversation and the original name. */
static int
parse_name(const char *base, char ts[20], char **conv, char **orig)
{
	const char *rest, *last = NULL, *p;
	static const char pat[] = "dddd-dd-dd dd dd dd - ";
	size_t i;

	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)base[i]) : base[i] != pat[i])
			return -1;
	memcpy(ts, base, 19);
	ts[13] = ':';
	ts[16] = ':';
	ts[19] = '\0';
	rest = base + sizeof(pat) - 1;
	for (p = rest; (p = strstr(p, " - ")) != NULL; p++)
		last = p;
	if (last == NULL || last == rest || last[3] == '\0')
		return -1;
	*conv = xmemdup(rest, (size_t)(last - rest));
	*orig = xstrdup(last + 3);
	return 0;
}

static int
is_csv(const char *rel)
{
	const char *b = path_base(rel);
	size_t n = strlen(b);

	return strncmp(b, "Messages - ", 11) == 0 && n > 4 &&
	    strcasecmp(b + n - 4, ".csv") == 0;
}

static int
mentions_imazing(struct export *ex, struct file *f)
{
	size_t len;
	char *buf;
	int hit;

	if (f == NULL || f->size > (1 << 20) || (buf = file_slurp(ex, f, 1 << 20, &len)) == NULL)
		return 0;
	hit = strstr(buf, "iMazing") != NULL || strstr(buf, "DigiDNA") != NULL;
	free(buf);
	return hit;
}

static int
detect(struct export *ex)
{
	size_t i;
	int csv = 0, media = 0;
	char ts[20], *c, *o;

	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];

		if (is_csv(f->rel))
			csv = 1;
		else if (f->kind != KIND_UNKNOWN && !f->claimed &&
		    parse_name(path_base(f->rel), ts, &c, &o) == 0) {
			media = 1;
			free(c);
			free(o);
		}
	}
	if (!media)
		return 0;
	return csv || mentions_imazing(ex, export_find(ex, "Device-Info.txt"));
}

struct row {
	char	*date, *attachment, *sender, *text, *session;
	const char *csv;	/* the file it is from */
	int	 used;
};

struct state {
	struct export *ex;
	struct row *r;
	size_t	 nr;
};

static const char *
field(const struct csv *c, int col)
{
	return col >= 0 && (size_t)col < c->n ? c->f[col] : "";
}

static void
load_csv(struct state *s, struct file *f)
{
	struct csv c;
	size_t len, i;
	char *buf;
	int col[9];
	static const char *names[] = { "Chat Session", "Message Date", "Type",
	    "Sender ID", "Sender Name", "Text", "Attachment", "Sender", "Date" };

	f->claimed = 1;
	if ((buf = file_slurp(s->ex, f, MAXCSV, &len)) == NULL)
		return;
	csv_init(&c, buf, len);
	if (!csv_row(&c)) {
		csv_free(&c);
		free(buf);
		return;
	}
	for (i = 0; i < LEN(names); i++)
		col[i] = csv_col(&c, names[i]);
	if (col[1] < 0)
		col[1] = col[8];
	if (col[1] < 0 || col[6] < 0) {
		scan_warn(s->ex, f->rel, "no Message Date or Attachment column");
		csv_free(&c);
		free(buf);
		return;
	}
	while (csv_row(&c)) {
		struct row *r;
		const char *type = field(&c, col[2]), *name = field(&c, col[4]);

		if (*field(&c, col[6]) == '\0')
			continue;
		s->r = xrealloc(s->r, (s->nr + 1) * sizeof(*s->r));
		r = &s->r[s->nr++];
		r->date = xstrdup(field(&c, col[1]));
		r->attachment = xstrdup(field(&c, col[6]));
		r->session = xstrdup(field(&c, col[0]));
		r->text = xstrdup(field(&c, col[5]));
		if (strcasecmp(type, "Outgoing") == 0)
			r->sender = xstrdup("me");
		else if (*name)
			r->sender = xstrdup(name);
		else if (*field(&c, col[3]))
			r->sender = xstrdup(field(&c, col[3]));
		else
			r->sender = xstrdup(field(&c, col[7]));
		r->used = 0;
		r->csv = f->rel;
	}
	csv_free(&c);
	free(buf);
}

/* The row of a file: same date and attachment, else same attachment and
 * the same minute (iMazing rounds some times). */
static struct row *
find_row(struct state *s, const char *ts, const char *orig)
{
	size_t i, pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < s->nr; i++) {
			struct row *r = &s->r[i];

			if (r->used || strcmp(r->attachment, orig) != 0)
				continue;
			if (pass == 0 ? strncmp(r->date, ts, 19) == 0 :
			    strncmp(r->date, ts, 16) == 0)
				return r;
		}
	return NULL;
}

/* The device: "iphone" of iphone-messages-20240101, else Device-Info's
 * "Device Name:" or "Name:" line. */
static char *
device(struct export *ex)
{
	const char *m = strstr(ex->name, "-messages-");
	struct file *f;
	char *buf, *line, *next, *dev = NULL;
	size_t len;

	if (m != NULL && m != ex->name)
		return xmemdup(ex->name, (size_t)(m - ex->name));
	if ((f = export_find(ex, "Device-Info.txt")) != NULL &&
	    (buf = file_slurp(ex, f, 1 << 20, &len)) != NULL) {
		f->claimed = 1;
		for (line = buf; line && dev == NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			line[strcspn(line, "\r")] = '\0';
			if (strncmp(line, "Device Name:", 12) == 0)
				line += 12;
			else if (strncmp(line, "Name:", 5) == 0)
				line += 5;
			else
				continue;
			while (*line == ' ' || *line == '\t')
				line++;
			if (*line)
				dev = xstrdup(line);
		}
		free(buf);
		if (dev != NULL) {	/* "Jane's iPhone" names files as janes_iphone */
			char *slug = conv_slug(dev);

			free(dev);
			return slug;
		}
	}
	return user_of(ex->name, "imessage");
}

static void
scan(struct export *ex, const struct platform *p)
{
	struct state s;
	char *dev, *album, ts[20], *conv, *orig;
	size_t i, k;

	(void)p;
	memset(&s, 0, sizeof(s));
	s.ex = ex;
	for (i = 0; i < ex->nfiles; i++)
		if (is_csv(ex->files[i].rel))
			load_csv(&s, &ex->files[i]);
	dev = device(ex);
	album = xasprintf("iMessage/%s", dev);
	for (i = 0; i < ex->nfiles; i++) {
		struct file *f = &ex->files[i];
		struct entry *e;
		struct row *r;
		int64_t t;
		int32_t off;

		if (f->claimed || f->kind == KIND_UNKNOWN ||
		    parse_name(path_base(f->rel), ts, &conv, &orig) < 0)
			continue;
		e = scan_add(ex, f, "messages", "imessage");
		item_set(&e->it.user, dev);
		entry_conv(e, conv);
		item_add_album(&e->it, album);
		if (time_parse(ts, &t, &off) == 0) {
			set_time(&e->it, t, OFFSET_UNKNOWN, "filename");
			item_extra(&e->it, "time_zone", "local");
		} else {
			fallback_time(ex, f, e);
		}
		if ((r = find_row(&s, ts, orig)) != NULL) {
			r->used = 1;
			msg_caption(&e->it, album, conv, r->sender, r->text);
		} else {
			msg_caption(&e->it, album, conv, conv, NULL);
			for (k = 0; k < s.nr; k++)	/* only when its CSV is there */
				if (strcmp(s.r[k].session, conv) == 0)
					break;
			if (k < s.nr)
				orphan_media(ex, f, "no row of the Messages CSV names it");
		}
		free(conv);
		free(orig);
	}
	for (i = 0; i < s.nr; i++) {
		if (!s.r[i].used && kind_of_name(s.r[i].attachment) != KIND_UNKNOWN) {
			json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "Chat Session",
			    jstr(s.r[i].session), "Message Date", jstr(s.r[i].date),
			    "Attachment", jstr(s.r[i].attachment), "Sender",
			    jstr(s.r[i].sender));

			orphan_meta(ex, s.r[i].csv, o, "attachment file not found");
			json_decref(o);
		}
		free(s.r[i].date);
		free(s.r[i].attachment);
		free(s.r[i].sender);
		free(s.r[i].text);
		free(s.r[i].session);
	}
	free(s.r);
	free(album);
	free(dev);
}

const struct platform platform_imazing = {
	"imessage-imazing",
	"iMessage exported by iMazing (Messages CSV + timestamped files)",
	"imessage", detect, scan
};
