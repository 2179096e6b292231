/*
 * record.c -- the input of a tool that takes item records or plain media
 * paths alike (mem-advise, mem-loudnorm, mem-upload): tell them apart,
 * load the record, and find its output under OUT.
 */
#include <errno.h>
#include <string.h>

#include "mem.h"

int
item_or_path(struct item *it, const char *path, const char **why)
{
	int rec;

	item_init(it);
	*why = NULL;
	if ((rec = item_sniff(path)) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (rec == 0)
		return 0;
	if (item_load(it, path, why) < 0) {
		if (*why == NULL)
			*why = strerror(errno);
		return -1;
	}
	return 1;
}

char *
item_dest(const struct item *it, const char *outdir, const char **why)
{
	if (it->dest == NULL || it->dest[0] == '\0') {
		*why = "the record has no dest (mem-scan -o OUT writes it)";
		return NULL;
	}
	if (!path_inside(it->dest)) {
		*why = "the record has a bad dest (absolute, or leaving OUT)";
		return NULL;
	}
	return xasprintf("%s/%s", outdir, it->dest);
}
