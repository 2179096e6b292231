/*
 * xmp.c (mem-scan, mem-exif): a property's value in an XMP packet, found
 * by its namespace's URI as exiftool finds it, whatever prefix the packet
 * binds to it. mem-scan reads dates and places so; mem-exif finds the date
 * of a user's sidecar it gives an offset.
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

int
xmp_find(const char *x, size_t n, const char *uri, const char *name, size_t max,
    size_t *at, size_t *len)
{
	size_t ul = strlen(uri), nl = strlen(name), i, k, pl;
	const char *p;

	for (i = 1; i + ul + 2 <= n; i++) {
		if ((x[i] != '"' && x[i] != '\'') || x[i - 1] != '=' ||
		    memcmp(x + i + 1, uri, ul) != 0 || x[i + 1 + ul] != x[i] ||
		    (pl = xmlns_prefix(x, i, &p)) == 0)
			continue;
		for (k = 1; k + pl + 1 + nl < n; k++)
			if ((x[k - 1] == '<' || (unsigned char)x[k - 1] <= ' ') &&
			    memcmp(x + k, p, pl) == 0 && x[k + pl] == ':' &&
			    memcmp(x + k + pl + 1, name, nl) == 0 &&
			    value_span(x, n, k + pl + 1 + nl, x[k - 1] == '<', at, len) == 0 &&
			    *len <= max)
				return 0;
	}
	return -1;
}
