/*
 * xmp.c (mem-scan, mem-exif): a property's value in an XMP packet, found
 * by its namespace's URI as exiftool finds it, whatever prefix the packet
 * binds to it. mem-scan reads dates and places so; mem-exif finds the date
 * of a user's sidecar it gives an offset, and where to add one it has none.
 */
#include <string.h>

#include "mem.h"

/* The prefix that the xmlns:P="..." whose opening quote is x[q] declares:
 * its length (0 for none) and its start in *p. */
static size_t
xmlns_prefix(const char *x, size_t q, const char **p)
{
	size_t k = q - 1;	/* x[k] is the '=' */

	while (k > 0 && (unsigned char)x[k - 1] > ' ' && x[k - 1] != ':' && x[k - 1] != '<' &&
	    x[k - 1] != '"')
		k--;
	if (k < 7 || k == q - 1 || x[k - 1] != ':' || memcmp(x + k - 6, "xmlns", 5) != 0 ||
	    (unsigned char)x[k - 7] > ' ')
		return 0;
	*p = x + k;
	return q - 1 - k;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The span of the value of a P:name that ends at x[at]: an element's text
 * up to '<', or an attribute's between its quotes. */
static int
value_span(const char *x, size_t n, size_t at, int element, size_t *vat, size_t *vlen)
{
	const char *v = x + at, *end = x + n;
	char q = '<';
	size_t vl;

	if (element) {
		if (v >= end || *v++ != '>')
			return -1;
	} else {
		while (v < end && is_space(*v))
			v++;
		if (v >= end || *v++ != '=')
			return -1;
		while (v < end && is_space(*v))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			return -1;
		q = *v++;
	}
	for (vl = 0; v + vl < end && v[vl] != q; vl++)
		;
	if (v + vl >= end)
		return -1;
	*vat = (size_t)(v - x);
	*vlen = vl;
	return 0;
}

/* The next xmlns:P="uri" from x[*i] on, *i past it: P's length (0: no
 * more), its start in *p. */
static size_t
next_binding(const char *x, size_t n, const char *uri, size_t *i, const char **p)
{
	size_t ul = strlen(uri), pl;

	for (; *i + ul + 2 <= n; (*i)++)
		if ((x[*i] == '"' || x[*i] == '\'') && x[*i - 1] == '=' &&
		    memcmp(x + *i + 1, uri, ul) == 0 && x[*i + 1 + ul] == x[*i] &&
		    (pl = xmlns_prefix(x, *i, p)) > 0) {
			(*i)++;
			return pl;
		}
	return 0;
}

/* Is x[k] the start of P:name, after '<' or a space? */
static int
name_at(const char *x, size_t k, const char *p, size_t pl, const char *name, size_t nl)
{
	return (x[k - 1] == '<' || (unsigned char)x[k - 1] <= ' ') &&
	    memcmp(x + k, p, pl) == 0 && x[k + pl] == ':' && memcmp(x + k + pl + 1, name, nl) == 0;
}

int
xmp_find(const char *x, size_t n, const char *uri, const char *name, size_t max,
    size_t *at, size_t *len)
{
	size_t nl = strlen(name), i = 1, k, pl;
	const char *p;

	while ((pl = next_binding(x, n, uri, &i, &p)) > 0)
		for (k = 1; k + pl + 1 + nl < n; k++)
			if (name_at(x, k, p, pl, name, nl) &&
			    value_span(x, n, k + pl + 1 + nl, x[k - 1] == '<', at, len) == 0 &&
			    *len <= max)
				return 0;
	return -1;
}

int
xmp_start_tag(const char *x, size_t n, const char *uri, const char *name, size_t *lt,
    size_t *end)
{
	size_t nl = strlen(name), i = 1, k, e, pl;
	const char *p;
	char q;
	int found = 0;

	while ((pl = next_binding(x, n, uri, &i, &p)) > 0)
		for (k = 1; k + pl + 1 + nl < n && (!found || k - 1 < *lt); k++) {
			if (x[k - 1] != '<' || !name_at(x, k, p, pl, name, nl))
				continue;
			e = k + pl + 1 + nl;
			if (x[e] != '>' && x[e] != '/' && !is_space(x[e]))
				continue;
			for (q = 0; e < n && (q != 0 || x[e] != '>'); e++)
				if (q == 0 && (x[e] == '"' || x[e] == '\''))
					q = x[e];
				else if (x[e] == q)
					q = 0;
			if (e == n)
				break;
			*lt = k - 1;
			*end = e + 1;
			found = 1;
			break;
		}
	return found ? 0 : -1;
}
