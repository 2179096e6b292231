/*
 * tz-compact -- the build step that writes geo-tz's zone index in the
 * compact form mem-scan loads at start (tools/mem-scan/tz.c says why),
 * beside the JSON in DIR. Not installed: make runs it after npm ci.
 * Usage: tz-compact DIR
 */
#include <stdio.h>

#include "mem.h"
#include "../tz.h"

int
main(int argc, char *argv[])
{
	const char *why;

	setprogname(argv[0]);
	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: tz-compact DIR\n");
		return ST_FATAL;
	}
	if (tz_compact(argv[1], &why) < 0) {
		fprintf(stderr, "tz-compact: %s: %s\n", argv[1], why);
		return ST_FATAL;
	}
	return 0;
}
