/*
 * match.c -- ignore patterns as the Immich CLI and memoria write them
 * (memoria's defaults are "issues/" and "*matching/" folders at any depth):
 * globs where a star stays inside one path segment and a double star
 * crosses segments, tried at every segment of the path relative to OUT, as
 * the CLI prefixes each pattern with a double star and a slash.
 */
#include <string.h>

#include "mem.h"
#include "mem-upload.h"

/* A bracket expression at *pp against c; advances *pp past it. -1 if bad. */
static int
bracket(const char **pp, unsigned char c)
{
	const char *p = *pp + 1;
	int neg = 0, hit = 0;
	unsigned char lo, hi;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {
		hit = c == ']';
		p++;
	}
	while (*p != ']') {
		if (*p == '\0')
			return -1;
		lo = (unsigned char)*p++;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			hi = (unsigned char)p[1];
			p += 2;
			if (lo <= c && c <= hi)
				hit = 1;
		} else if (lo == c) {
			hit = 1;
		}
	}
	*pp = p + 1;
	return hit != neg;
}

int
glob_match(const char *p, const char *s)
{
	const char *q;
	int r;

	for (; *p != '\0'; p++, s++) {
		switch (*p) {
		case '*':
			if (p[1] == '*') {
				p += 2;
				/* "**" then "/": zero or more whole segments */
				if (*p == '/') {
					if (glob_match(p + 1, s))
						return 1;
					for (q = s; *q != '\0'; q++)
						if (*q == '/' && glob_match(p + 1, q + 1))
							return 1;
					return 0;
				}
				for (q = s;; q++) {
					if (glob_match(p, q))
						return 1;
					if (*q == '\0')
						return 0;
				}
			}
			for (q = s;; q++) {
				if (glob_match(p + 1, q))
					return 1;
				if (*q == '\0' || *q == '/')
					return 0;
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return 0;
			break;
		case '[':
			if (*s == '\0' || *s == '/')
				return 0;
			q = p;
			if ((r = bracket(&q, (unsigned char)*s)) < 0) {
				if (*s != '[')	/* no closing ']': a literal '[' */
					return 0;
				break;
			}
			if (r == 0)
				return 0;
			p = q - 1;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*p != *s)
				return 0;
		}
	}
	return *s == '\0';
}

int
ignored(const char *rel)
{
	const char *s;
	size_t i;

	for (i = 0; i < cfg.nignores; i++) {
		for (s = rel; s != NULL; s = strchr(s, '/'), s = s ? s + 1 : NULL)
			if (glob_match(cfg.ignores[i], s))
				return 1;
	}
	return 0;
}
