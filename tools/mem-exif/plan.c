/*
 * plan.c -- the item being written: its label for notes on stderr, and a
 * buffer for the reason an item failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem-exif.h"

char		 whybuf[512];
const char	*cur_label = "";

const char *
why_errno(const char *what)
{
	snprintf(whybuf, sizeof(whybuf), "%s: %s", what, strerror(errno));
	return whybuf;
}

/* ISO 6709, as Apple writes it in ©xyz and its location key. */
char *
meta_iso6709(const struct meta *m)
{
	if (m->has_alt)
		return xasprintf("%+010.6f%+011.6f%+.3f/", m->lat, m->lon, m->alt);
	return xasprintf("%+010.6f%+011.6f/", m->lat, m->lon);
}
