/*
 * scan-sidecar.c -- libFuzzer target for mem-scan's Google Photos sidecar
 * matcher and reader. The input's first line is a media name, the next
 * lines sidecar names (made keys, sorted, matched); the whole input is
 * also read as a sidecar.
 *
 * FUZZ_SOURCES: tools/mem-scan/*.c
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "../../tools/mem-scan/mem-scan.h"

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = xmemdup(data, size), *line, *save = NULL, *media = NULL;
	char *keys[64] = { NULL }, key[4096];
	struct gp_meta m;
	const char *why;
	size_t n = 0, i;
	int r;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (media == NULL)
			media = line;
		else if (n < LEN(keys) && gp_json_key(line, key, sizeof(key)) > 0)
			keys[n++] = xstrdup(key);
	}
	qsort(keys, n, sizeof(*keys), cmp);
	if (media != NULL) {
		r = gp_match(media, keys, n);
		if (r < -1 || r >= (int)n)
			abort();
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	if (gp_parse((const char *)data, size, &m, &why) == 0)
		gp_meta_free(&m);
	free(buf);
	return 0;
}
