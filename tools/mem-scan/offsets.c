/*
 * offsets.c -- every item's UTC offset, from the first rule that applies
 * (docs/design.md §3, offset_source), across every export of one run:
 *
 *   explicit	the camera's or the platform's own offset (set by a parser);
 *   gps	the zone at the item's position, its offset at that instant;
 *   tags	a photo's wall clock: the offset its file's other dates carry,
 *		else its GPS clock's distance from it; a date with its own
 *		offset but no zone tag (XMP's, IPTC's, Apple's): the zone of
 *		its place, its instant kept (exiftool-vendored's inference,
 *		by which Immich shows the file);
 *   neighbours	no position: the zone of the run's located items just
 *		before and just after it, within --tz-window, when both
 *		sides give the same offset (a flight between zones is not
 *		guessed);
 *   default	--timezone ZONE;
 *   utc	+00:00, written.
 *
 * A wall clock without a zone (time_zone=local: iMazing's CSV, Instagram's
 * HTML pages, EXIF without OffsetTime*, a phone's file name) goes through gps, neighbours and default to become an
 * instant; with none of them it stays a wall clock, offset_source=none.
 * Runs after every export is scanned and before names are made, so names
 * carry the local date.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-scan.h"
#include "tz.h"

const char *scan_timezone;		/* --timezone, validated */
int64_t scan_tz_window = 6 * 3600;	/* --tz-window, seconds */

/* A located item: its instant, its wall clock there and its zone. */
struct anchor {
	int64_t	 t, wall;
	const char *zone;
};

static struct anchor *anchors;
static size_t nanchors, capanchors;

static const char *open_failed;	/* why the data could not be opened */

/*
 * Load geo-tz's index before the scan: what its parse leaves (the nodes
 * as read) is then freed before the exports' lists are built, and that
 * heap is reused, so the peak memory is the larger of the two, not their
 * sum. A run that never needs a zone does not need the data: a failure is
 * kept until then.
 */
void
offsets_prepare(void)
{
	if (tz_open(tz_data_dir(), &open_failed) == 0)
		open_failed = NULL;
}

static void
open_data(void)
{
	if (open_failed == NULL && tz_open(tz_data_dir(), &open_failed) == 0)
		return;
	die(ST_FATAL, "%s: %s", tz_data_dir(), open_failed);
}

/* The zone geo-tz gives first at the item's position, or NULL. */
static const char *
zone_at(const struct item *it)
{
	const char *zones[TZ_MAX_ZONES], *why;
	size_t n;

	open_data();
	if (tz_find(it->lat, it->lon, zones, &n, &why) < 0) {
		if (strcmp(why, "invalid position") != 0)
			die(ST_FATAL, "%s: %s", tz_data_dir(), why);
		return NULL;
	}
	return n > 0 ? zones[0] : NULL;
}

/* A wall clock of an unknown zone: iMazing's CSV says so in the record;
 * Instagram's HTML pages print the exporter's local clock. */
static int
has_wall_mark(const struct item *it)
{
	size_t i;

	for (i = 0; i < it->nextra; i++)
		if (strcmp(it->extra[i], "time_zone=local") == 0)
			return 1;
	return 0;
}

static int
is_wall_clock(const struct entry *e)
{
	if (has_wall_mark(&e->it))
		return 1;
	if (e->it.time_source == NULL)
		return 0;
	/* EXIF's DateTimeOriginal without OffsetTime* is the camera's clock,
	 * as an AVI's IDIT is, AVCHD's MDPM without its zone, and an XMP
	 * sidecar's date without one */
	if ((strcmp(e->it.time_source, "exif") == 0 || strcmp(e->it.time_source, "riff") == 0 ||
	    strcmp(e->it.time_source, "h264") == 0 || strcmp(e->it.time_source, "sidecar") == 0) &&
	    e->it.offset_min == OFFSET_UNKNOWN)
		return 1;
	/* a phone names its files by its own clock (IMG_20190919_053857) */
	if (strcmp(e->it.time_source, "filename") == 0)
		return 1;
	return strcmp(e->platform, "instagram") == 0 &&
	    strcmp(e->it.time_source, "html") == 0;
}

static void
drop_wall_mark(struct item *it)
{
	size_t i;

	for (i = 0; i < it->nextra; i++)
		if (strcmp(it->extra[i], "time_zone=local") == 0) {
			free(it->extra[i]);
			memmove(&it->extra[i], &it->extra[i + 1],
			    (it->nextra - i) * sizeof(*it->extra));
			it->nextra--;
			i--;
		}
	if (it->nextra == 0) {
		free(it->extra);
		it->extra = NULL;
	}
}

/* Give the item zone's offset: at its instant, or, for a wall clock, the
 * instant that wall clock was in the zone. 0, or -1 for an unknown zone. */
static int
apply_zone(struct entry *e, int wall, const char *zone, const char *source)
{
	int64_t utc;
	int32_t off;

	if (wall) {
		if (tz_from_wall(zone, e->it.time, &utc, &off) < 0)
			return -1;
		e->it.time = utc;
		drop_wall_mark(&e->it);
	} else if (tz_offset(zone, e->it.time, &off) < 0) {
		return -1;
	}
	e->it.offset_min = off;
	item_extra(&e->it, "offset_source", source);
	item_extra(&e->it, "zone", zone);
	return 0;
}

static int
has_offset_source(const struct item *it)
{
	size_t i;

	for (i = 0; i < it->nextra; i++)
		if (strncmp(it->extra[i], "offset_source=", 14) == 0)
			return 1;
	return 0;
}

static int
cmp_anchor(const void *a, const void *b)
{
	const struct anchor *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

/* The first anchor at or after t. */
static size_t
anchor_from(int64_t t)
{
	size_t lo = 0, hi = nanchors;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (anchors[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The zone of the anchors on both sides of key (an instant, or a wall
 * clock when wall is set, compared with the anchors' wall clocks), each
 * within the window, when both give the item the same offset; else NULL.
 */
static const char *
neighbour_zone(int64_t key, int wall)
{
	const struct anchor *before = NULL, *after = NULL;
	int64_t slack = wall ? 15 * 3600 : 0, ub, ua;
	int32_t ob, oa;
	size_t i;

	for (i = anchor_from(key - scan_tz_window - slack); i < nanchors &&
	    anchors[i].t <= key + scan_tz_window + slack; i++) {
		int64_t k = wall ? anchors[i].wall : anchors[i].t;

		if (k <= key && key - k <= scan_tz_window &&
		    (before == NULL || k >= (wall ? before->wall : before->t)))
			before = &anchors[i];
		if (k >= key && k - key <= scan_tz_window &&
		    (after == NULL || k < (wall ? after->wall : after->t)))
			after = &anchors[i];
	}
	if (before == NULL || after == NULL)
		return NULL;
	if (wall) {
		if (tz_from_wall(before->zone, key, &ub, &ob) < 0 ||
		    tz_from_wall(after->zone, key, &ua, &oa) < 0 || ub != ua)
			return NULL;
	} else if (tz_offset(before->zone, key, &ob) < 0 ||
	    tz_offset(after->zone, key, &oa) < 0) {
		return NULL;
	}
	if (ob != oa)
		return NULL;
	return key - (wall ? before->wall : before->t) <=
	    (wall ? after->wall : after->t) - key ? before->zone : after->zone;
}

/*
 * The zone at each located item's position (that has a time), in the
 * order the loop of offsets_resolve() meets them; looked up in
 * tz_order()'s order, so that each cell of the data is decoded once.
 */
static const char **
located_zones(struct export **exs, size_t nex)
{
	struct item **its = NULL;
	const char **zones;
	double *lat, *lon;
	size_t n = 0, cap = 0, x, i, *order;

	for (x = 0; x < nex; x++)
		for (i = 0; i < exs[x]->nitems; i++) {
			struct item *it = &exs[x]->items[i].it;

			if (!it->has_time || !it->has_gps)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				its = xrealloc(its, cap * sizeof(*its));
			}
			its[n++] = it;
		}
	zones = xcalloc(n + 1, sizeof(*zones));
	lat = xcalloc(n + 1, sizeof(*lat));
	lon = xcalloc(n + 1, sizeof(*lon));
	order = xcalloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++) {
		lat[i] = its[i]->lat;
		lon[i] = its[i]->lon;
	}
	tz_order(n, lat, lon, order);
	for (i = 0; i < n; i++)
		zones[order[i]] = zone_at(its[order[i]]);
	free(its);
	free(lat);
	free(lon);
	free(order);
	return zones;
}

void
offsets_resolve(struct export **exs, size_t nex)
{
	const char *zone, **located = located_zones(exs, nex);
	size_t x, i, nlocated = 0;
	int32_t off;
	int wall;

	/* explicit (a date's own offset yields to its place's zone: tags),
	 * then gps, then tags; the located items become the anchors */
	for (x = 0; x < nex; x++)
		for (i = 0; i < exs[x]->nitems; i++) {
			struct entry *e = &exs[x]->items[i];

			if (!e->it.has_time)
				continue;
			wall = is_wall_clock(e);
			zone = e->it.has_gps ? located[nlocated++] : NULL;
			if (!wall && e->it.offset_min != OFFSET_UNKNOWN) {
				/* a date's own offset, no zone tag's: Immich shows
				 * it at the zone of the place the file gives */
				if (!e->soft || zone == NULL || apply_zone(e, 0, zone, "tags") < 0)
					item_extra(&e->it, "offset_source", "explicit");
			} else if (zone == NULL || apply_zone(e, wall, zone, "gps") < 0) {
				/* no place: the offset its file's other tags give
				 * (fallback_time), before a Live Photo's video takes
				 * its image's */
				if (wall && e->has_hint) {
					e->it.time -= (int64_t)e->hint * 60;
					e->it.offset_min = e->hint;
					drop_wall_mark(&e->it);
					item_extra(&e->it, "offset_source", "tags");
				}
				continue;
			}
			/* an mtime is no capture time: it anchors no one (files
			 * copied at once would all take the zone of a few) */
			if (zone != NULL && (e->it.time_source == NULL ||
			    strcmp(e->it.time_source, "mtime") != 0) &&
			    tz_offset(zone, e->it.time, &off) == 0) {
				if (nanchors == capanchors) {
					capanchors = capanchors ? capanchors * 2 : 1024;
					anchors = xrealloc(anchors, capanchors * sizeof(*anchors));
				}
				anchors[nanchors].t = e->it.time;
				anchors[nanchors].wall = e->it.time + (int64_t)e->it.offset_min * 60;
				anchors[nanchors++].zone = zone;
			}
		}
	free(located);
	if (nanchors > 1)
		qsort(anchors, nanchors, sizeof(*anchors), cmp_anchor);
	/* a Live Photo's video shows its image's clock, placed or not */
	for (x = 0; x < nex; x++)
		live_offsets(exs[x]);
	/* neighbours, default, utc */
	for (x = 0; x < nex; x++)
		for (i = 0; i < exs[x]->nitems; i++) {
			struct entry *e = &exs[x]->items[i];

			if (!e->it.has_time || has_offset_source(&e->it))
				continue;
			wall = is_wall_clock(e);
			if (!wall && e->it.offset_min != OFFSET_UNKNOWN) {
				/* given by live_offsets(): its image is its neighbour */
				item_extra(&e->it, "offset_source", "neighbours");
				continue;
			}
			if ((zone = neighbour_zone(e->it.time, wall)) != NULL &&
			    apply_zone(e, wall, zone, "neighbours") == 0)
				continue;
			if (scan_timezone != NULL &&
			    apply_zone(e, wall, scan_timezone, "default") == 0)
				continue;
			if (wall) {
				if (!has_wall_mark(&e->it))
					item_extra(&e->it, "time_zone", "local");
				item_extra(&e->it, "offset_source", "none");
			} else {
				e->it.offset_min = 0;
				item_extra(&e->it, "offset_source", "utc");
			}
		}
	free(anchors);
	anchors = NULL;
	nanchors = capanchors = 0;
}

/*
 * A decimal number at *p, advancing *p past it. Up to 15 digits and 22
 * decimals, the exact mantissa divided by an exact power of ten is the
 * correctly rounded value, as strtod gives it, only faster (bench/tz reads
 * two million); anything else goes to strtod.
 */
static double
parse_number(char **p)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	    1e20, 1e21, 1e22 };
	char *s = *p, *end, *digits;
	int64_t m = 0;
	int neg = 0, decimals = 0;
	unsigned d;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	digits = s;
	for (; (d = (unsigned)(*s - '0')) < 10 && s - digits < 16; s++)
		m = m * 10 + d;
	if (*s == '.' && s - digits < 16)
		for (s++; (d = (unsigned)(*s - '0')) < 10 && s - digits < 17; s++) {
			m = m * 10 + d;
			decimals++;
		}
	/* at most 15 digits, ended by a blank or the end, the last a digit */
	if (s - digits - (decimals > 0) > 15 || s == digits ||
	    (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n') ||
	    (unsigned)(s[-1] - '0') >= 10) {
		double v = strtod(*p, &end);

		*p = end;
		return v;
	}
	*p = s;
	return (neg ? -(double)m : (double)m) / pow10[decimals];
}

/* A comma-separated list of zones, the same string for the same list. */
static const char *
zone_list(const char *const *zones, size_t n)
{
	static char **table;
	static size_t size, used;
	char *s, **old;
	size_t len = 0, i, h, k, oldsize;
	uint32_t hash = 2166136261u;

	for (i = 0; i < n; i++)
		len += strlen(zones[i]) + 1;
	s = xmalloc(len);
	for (i = 0, len = 0; i < n; i++) {
		size_t l = strlen(zones[i]);

		memcpy(s + len, zones[i], l);
		len += l;
		s[len++] = i + 1 < n ? ',' : '\0';
	}
	if (2 * (used + 1) > size) {
		old = table;
		oldsize = size;
		size = size ? 2 * size : 64;
		table = xcalloc(size, sizeof(*table));
		for (k = 0; k < oldsize; k++)
			if (old[k] != NULL) {
				const char *p;

				for (p = old[k], hash = 2166136261u; *p; p++)
					hash = (hash ^ (unsigned char)*p) * 16777619u;
				for (h = hash & (size - 1); table[h] != NULL; h = (h + 1) & (size - 1))
					;
				table[h] = old[k];
			}
		free(old);
		hash = 2166136261u;
	}
	for (i = 0; s[i]; i++)
		hash = (hash ^ (unsigned char)s[i]) * 16777619u;
	for (h = hash & (size - 1); table[h] != NULL; h = (h + 1) & (size - 1))
		if (strcmp(table[h], s) == 0) {
			free(s);
			return table[h];
		}
	used++;
	return table[h] = s;
}

/*
 * mem-scan --tz-lookup: "LAT LON" lines on stdin, the zones geo-tz would
 * give on stdout, comma-separated, one line each ("-" for a bad line).
 * For bench/tz and the tests' oracle comparison; not for users. All lines
 * are read first and looked up in tz_order()'s order, as a scan does.
 */
int
tz_lookup_lines(void)
{
	const char *zones[TZ_MAX_ZONES], *why, **answer, **sorted;
	char *line = NULL;
	size_t cap = 0, n, i, npos = 0, cappos = 0, *order;
	double *lat = NULL, *lon = NULL, *pos;
	int status = ST_OK;

	open_data();
	while (getline(&line, &cap, stdin) > 0) {
		char *end, *p = line;

		if (npos == cappos) {
			cappos = cappos ? 2 * cappos : 1024;
			lat = xrealloc(lat, cappos * sizeof(*lat));
			lon = xrealloc(lon, cappos * sizeof(*lon));
		}
		lat[npos] = parse_number(&p);
		end = p;
		lon[npos] = end != line ? parse_number(&p) : 0;
		if (end == line || p == end)
			lat[npos] = NAN;	/* not a position: tz_find refuses it */
		npos++;
	}
	free(line);
	if (ferror(stdin))
		die_errno(ST_FATAL, "stdin");
	/* gathered in order and scattered back in tight loops of their own,
	 * whose cache misses overlap, rather than one by one between lookups */
	order = xcalloc(npos + 1, sizeof(*order));
	tz_order(npos, lat, lon, order);
	pos = xcalloc(2 * npos + 1, sizeof(*pos));
	for (i = 0; i < npos; i++) {
		pos[2 * i] = lat[order[i]];
		pos[2 * i + 1] = lon[order[i]];
	}
	free(lat);
	free(lon);
	sorted = xcalloc(npos + 1, sizeof(*sorted));
	for (i = 0; i < npos; i++)
		if (tz_find(pos[2 * i], pos[2 * i + 1], zones, &n, &why) == 0)
			sorted[i] = n == 1 ? zones[0] : zone_list(zones, n);
	free(pos);
	answer = xcalloc(npos + 1, sizeof(*answer));
	for (i = 0; i < npos; i++)
		answer[order[i]] = sorted[i];
	free(sorted);
	free(order);
	for (i = 0; i < npos; i++) {
		if (answer[i] == NULL) {
			fputs("-\n", stdout);
			status = ST_ITEM;
			continue;
		}
		fputs(answer[i], stdout);
		putchar('\n');
	}
	free(answer);
	return status;
}
