/*
 * xmp.c -- an XMP sidecar (NAME.EXT.xmp) for the files mem-exif does not
 * write into (HEIC, WebP, GIF, AVIF, TIFF, AVI, ...): Immich reads it with
 * the asset, and mem-upload sends it as sidecarData.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem-exif.h"

/*
 * Text as XML character data, escaped. What XML 1.0 cannot hold at all,
 * not even as a character reference (control characters, U+FFFE, U+FFFF,
 * surrogates, bytes that are not UTF-8), becomes U+FFFD, so the sidecar
 * stays well-formed and the caption keeps its length; returns how many,
 * for a note.
 */
static int
xml_text(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	int n, i, ok, whole, bad = 0;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (*p == '&')
				fputs("&amp;", fp);
			else if (*p == '<')
				fputs("&lt;", fp);
			else if (*p == '>')
				fputs("&gt;", fp);
			else if (*p == '"')
				fputs("&quot;", fp);
			else if (*p == '\r')
				fputs("&#13;", fp);
			else if (*p >= 0x20 || *p == '\n' || *p == '\t')
				fputc(*p, fp);
			else {
				fputs("\xEF\xBF\xBD", fp);
				bad++;
			}
			p++;
			continue;
		}
		n = (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 :
		    (*p & 0xF8) == 0xF0 ? 3 : -1;
		c = n == 1 ? *p & 0x1Fu : n == 2 ? *p & 0x0Fu : *p & 0x07u;
		ok = n > 0;
		for (i = 1; ok && i <= n; i++) {
			ok = (p[i] & 0xC0) == 0x80;
			c = c << 6 | (p[i] & 0x3Fu);
		}
		whole = ok;	/* a well-formed sequence: one character, good or not */
		/* no overlong forms, surrogates or non-characters XML forbids */
		ok = ok && !((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000) || c > 0x10FFFF ||
		    (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF);
		if (ok)
			fwrite(p, 1, (size_t)n + 1, fp);
		else {
			fputs("\xEF\xBF\xBD", fp);
			bad++;
		}
		p += whole ? n + 1 : 1;
	}
	return bad;
}

/* XMP's GPSCoordinate: "DDD,MM.mmmmmmK". */
static void
coord(FILE *fp, const char *name, double v, char pos, char neg)
{
	double a = fabs(v);
	int deg = (int)a;
	double min = (a - deg) * 60;

	if (min >= 59.9999995) {
		deg++;
		min = 0;
	}
	fprintf(fp, "   exif:%s=\"%d,%.6f%c\"\n", name, deg, min, v < 0 ? neg : pos);
}

/* The dates of ours, each as Immich's exiftool may read it first. */
static const struct {
	const char *prefix, *uri, *name;
} dates[] = {
	{ "exif", "http://ns.adobe.com/exif/1.0/", "DateTimeOriginal" },
	{ "xmp", "http://ns.adobe.com/xap/1.0/", "CreateDate" },
	{ "photoshop", "http://ns.adobe.com/photoshop/1.0/", "DateCreated" },
};

/* The record's date as XMP writes it: with the offset when known; XMP
 * reads a bare time as local. */
static void
xmp_when(const struct meta *m, char *when, size_t size)
{
	time_format(m->time, m->offset_min, when, size);
	if (m->offset_min == OFFSET_UNKNOWN)
		when[strlen(when) - 1] = '\0';
}

static void
body(FILE *fp, const struct meta *m)
{
	char when[40];
	size_t i;

	fputs("<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"mem-exif\">\n"
	    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	    "  <rdf:Description rdf:about=\"\"\n"
	    "   xmlns:exif=\"http://ns.adobe.com/exif/1.0/\"\n"
	    "   xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
	    "   xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"\n"
	    "   xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n", fp);
	if (m->tag_time) {
		xmp_when(m, when, sizeof(when));
		for (i = 0; i < LEN(dates); i++)
			fprintf(fp, "   %s:%s=\"%s\"\n", dates[i].prefix, dates[i].name, when);
	}
	if (m->has_gps) {
		fputs("   exif:GPSVersionID=\"2.3.0.0\"\n", fp);
		coord(fp, "GPSLatitude", m->lat, 'N', 'S');
		coord(fp, "GPSLongitude", m->lon, 'E', 'W');
		if (m->has_alt) {
			fprintf(fp, "   exif:GPSAltitudeRef=\"%d\"\n", m->alt < 0);
			fprintf(fp, "   exif:GPSAltitude=\"%lld/100\"\n",
			    (long long)llround(fabs(m->alt) * 100));
		}
	}
	if (m->caption == NULL) {
		fputs("  />\n", fp);
	} else {
		fputs("  >\n   <dc:description>\n    <rdf:Alt>\n"
		    "     <rdf:li xml:lang=\"x-default\">", fp);
		if (xml_text(fp, m->caption) > 0)
			warnx_("%s: caption: characters XML cannot hold written as U+FFFD",
			    cur_label);
		fputs("</rdf:li>\n    </rdf:Alt>\n   </dc:description>\n"
		    "  </rdf:Description>\n", fp);
	}
	fputs(" </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n", fp);
}

int
xmp_write(const char *dst, const struct meta *m, int srcfd, const char **why)
{
	char *path = xasprintf("%s.xmp", dst);
	struct atomic a;
	int rc = -1;

	if (atomic_open(&a, path, "") < 0) {
		*why = why_errno(path);
		goto out;
	}
	body(a.fp, m);
	if (fflush(a.fp) == EOF || ferror(a.fp) || set_mtime_fd(a.fd, m, srcfd) < 0 ||
	    atomic_commit(&a) < 0) {
		*why = why_errno(path);
		atomic_abort(&a);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

/*
 * The date of a user's sidecar x (n bytes) that mem-scan took (docs/
 * design.md: time_source "sidecar"), a wall clock of no zone, which Immich
 * reads in exiftool's MWG order: the first of these whose wall clock is
 * the record's. Where its value ends, or 0.
 */
static size_t
sidecar_date_end(const char *x, size_t n, int64_t wall)
{
	static const char *const props[][2] = {
		{ "http://ns.adobe.com/photoshop/1.0/", "DateCreated" },
		{ "http://ns.adobe.com/exif/1.0/", "DateTimeOriginal" },
		{ "http://ns.adobe.com/pdf/1.3/", "CreationDate" },
		{ "http://ns.adobe.com/xap/1.0/", "CreateDate" },
	};
	char v[64];
	size_t i, at, len;
	int64_t t;
	int32_t off;

	for (i = 0; i < LEN(props); i++) {
		if (xmp_find(x, n, props[i][0], props[i][1], sizeof(v) - 1, &at, &len) < 0)
			continue;
		memcpy(v, x + at, len);
		v[len] = '\0';
		if (time_has_clock(v) && time_parse(v, &t, &off) == 0 &&
		    off == OFFSET_UNKNOWN && t == wall)
			return at + len;
	}
	return 0;
}

/*
 * The record's date for a user's sidecar with none of ours, beside an
 * output mem-exif writes no date into (HEIC, WebP, TIFF, raw, GIF): one
 * rdf:Description of ours, first in the sidecar's rdf:RDF, with those of
 * our dates the sidecar lacks. Its text and its place in *at, or NULL
 * with *why.
 */
static char *
sidecar_dates(const char *x, size_t n, const struct meta *m, size_t *at, const char **why)
{
	static const char rdf[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
	char when[40], *d, *t;
	size_t lt, end, vat, vlen, i;
	int pl, added = 0;

	if (xmp_start_tag(x, n, rdf, "RDF", &lt, &end) < 0 || x[end - 2] == '/') {
		*why = "it has no rdf:RDF to add it to";
		return NULL;
	}
	/* rdf:RDF under the sidecar's own prefix, the one it is found by */
	pl = (int)((const char *)memchr(x + lt, ':', end - lt) - (x + lt + 1));
	xmp_when(m, when, sizeof(when));
	d = xasprintf("\n <%.*s:Description %.*s:about=\"\"", pl, x + lt + 1, pl, x + lt + 1);
	for (i = 0; i < LEN(dates); i++) {
		if (xmp_find(x, n, dates[i].uri, dates[i].name, n, &vat, &vlen) == 0)
			continue;
		t = xasprintf("%s\n  xmlns:%s=\"%s\"\n  %s:%s=\"%s\"", d, dates[i].prefix,
		    dates[i].uri, dates[i].prefix, dates[i].name, when);
		free(d);
		d = t;
		added++;
	}
	if (added == 0) {
		free(d);
		*why = "it has dates of its own that are not the record's";
		return NULL;
	}
	t = xasprintf("%s/>", d);
	free(d);
	*at = end;
	return t;
}

int
sidecar_carry(const char *dst, const struct source *xs, const struct meta *m,
    const char **why)
{
	char *path = xasprintf("%s.xmp", dst), *x = NULL, *add = NULL;
	const char *nowhy = "";
	struct meta mm = *m;
	struct atomic a;
	size_t n = (size_t)xs->size, at = 0;
	int rc = -1, z;

	if (xs->size > XMP_SIDECAR_MAX) {
		*why = "the XMP sidecar is larger than 16 MiB";
		goto out;
	}
	x = xmalloc(n + 1);
	if (n > 0 && source_read(xs, 0, x, n) < 0) {
		*why = why_errno("the XMP sidecar");
		goto out;
	}
	/* what Immich would not know from the sidecar and the output: the
	 * offset of the sidecar's date, or the record's date itself */
	if (m->sidecar_off != OFFSET_UNKNOWN) {
		z = m->sidecar_off < 0 ? -m->sidecar_off : m->sidecar_off;
		add = xasprintf("%c%02d:%02d", m->sidecar_off < 0 ? '-' : '+',
		    z / 60 % 100, z % 60);
		if ((at = sidecar_date_end(x, n, m->time + (int64_t)m->sidecar_off * 60)) == 0) {
			warnx_("%s: the XMP sidecar's date is not the record's: carried "
			    "without the offset %s", cur_label, add);
			free(add);
			add = NULL;
		}
	} else if (m->sidecar_date && (add = sidecar_dates(x, n, m, &at, &nowhy)) == NULL) {
		warnx_("%s: the XMP sidecar is carried without the record's date: %s",
		    cur_label, nowhy);
	}
	if (atomic_open(&a, path, "") < 0) {
		*why = why_errno(path);
		goto out;
	}
	mm.src_mtime = &xs->mtime;
	fwrite(x, 1, at, a.fp);
	if (add != NULL)
		fputs(add, a.fp);
	fwrite(x + at, 1, n - at, a.fp);
	if (fflush(a.fp) == EOF || ferror(a.fp) || set_mtime_fd(a.fd, &mm, -1) < 0 ||
	    atomic_commit(&a) < 0) {
		*why = why_errno(path);
		atomic_abort(&a);
		goto out;
	}
	rc = 0;
out:
	free(add);
	free(x);
	free(path);
	return rc;
}
