/*
 * Fuzz the item record reader: any bytes either fail cleanly or parse into
 * a record whose rewrite parses back and rewrites byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static char *
rewrite(const struct item *it, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL || item_write(it, fp) < 0)
		abort();
	fclose(fp);
	return buf;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct item it, back;
	const char *why;
	char *a, *b;
	size_t alen, blen;

	if (item_parse(&it, (const char *)data, size, &why) < 0)
		return 0;
	a = rewrite(&it, &alen);
	if (item_parse(&back, a, alen, &why) < 0)
		abort();
	b = rewrite(&back, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
	item_free(&it);
	item_free(&back);
	return 0;
}
