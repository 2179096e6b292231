/*
 * scan-msgtext.c -- libFuzzer target for the message platforms' pure
 * readers: Google Voice's HTML pages (libxml2), the CSV reader (Discord,
 * iMazing), vCards, iMessage's attributedBody typedstreams, Google Chat's
 * long dates, Snapchat chat_media names and conversation slugs.
 *
 * FUZZ_SOURCES: tools/mem-scan/*.c
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "../../tools/mem-scan/mem-scan.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = xmemdup(data, size), *t, id[128];
	struct gv_page pg;
	struct csv c;
	struct contacts ct;
	int64_t utc;
	int32_t off;
	size_t i, rows = 0;
	int ov;

	if (gv_parse((const char *)data, size, &pg) == 0) {
		for (i = 0; i < pg.nrefs; i++)
			if (pg.refs[i].src == NULL || *pg.refs[i].src == '\0')
				abort();
		gv_page_free(&pg);
	}
	csv_init(&c, (const char *)data, size);
	while (csv_row(&c) && rows++ < 100000)
		if (c.n == 0)
			abort();
	csv_free(&c);
	vcard_parse((const char *)data, size, &ct);
	(void)contact_name(&ct, s);
	contacts_free(&ct);
	if ((t = typedstream_text(data, size)) != NULL) {
		if (strlen(t) > size)
			abort();
		free(t);
	}
	if (gchat_date(s, &utc, &off) == 0 && off != OFFSET_UNKNOWN &&
	    (off < -18 * 60 || off > 18 * 60))
		abort();
	(void)snapmsg_file(s, id, sizeof(id), &ov);
	if (strlen(id) >= sizeof(id))
		abort();
	t = conv_slug(s);
	if (*t == '\0' || strlen(t) > 50 || strchr(t, '/') != NULL)
		abort();
	free(t);
	(void)apple_time((int64_t)size << 40);
	free(s);
	return 0;
}
