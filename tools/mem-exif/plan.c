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
