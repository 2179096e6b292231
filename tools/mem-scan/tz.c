/*
 * tz.c -- the IANA zone at a position, and a zone's offset at an instant.
 *
 * Positions: the npm package geo-tz (8.1.9) ships timezone-boundary-builder's
 * "1970" polygons as two files: timezones-1970.geojson.index.json, a
 * quadtree over the world whose leaves either name the zones of a whole
 * cell or point (pos, len) into timezones-1970.geojson.geo.dat, where each
 * cell's clipped features are one geobuf (protobuf) FeatureCollection.
 * tz_find() answers exactly what geo-tz's find() answers: the same descent
 * (the same floating-point midpoints), the same point-in-polygon rule
 * (point-in-polygon-hao: parity of crossings over all rings of a polygon,
 * a point on an edge is inside), the same Etc/GMT±N bands at sea. Cells are
 * decoded on first use (from geo.dat mapped) and cached up to a budget;
 * callers look many positions up in tz_order()'s order, so that a cell's
 * lookups come together and the budget stays small.
 *
 * Offsets: TZif files under /usr/share/zoneinfo ($TZDIR), version 2 and
 * later (64-bit section), with the footer's POSIX TZ rule for instants past
 * the table. Nothing here reads or sets the TZ variable.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "tz.h"

#ifndef MEM_TZ_DATA
#define MEM_TZ_DATA "/usr/share/mem/geo-tz"
#endif
#define INDEX_FILE "timezones-1970.geojson.index.json"
#define FEATURE_FILE "timezones-1970.geojson.geo.dat"
#define CACHE_BUDGET (16u << 20)	/* decoded cells kept (all lookups come sorted) */

/* A quadtree node: inner (child[] >= 0 where present), a cell of exact
 * zones (zone[first..first+count) in exact[]), or a cell in geo.dat. */
struct qnode {
	int32_t	 child[4];	/* a, b, c, d */
	int64_t	 pos;		/* >= 0: features at pos, len bytes */
	uint32_t len;
	uint32_t first, count;	/* exact zones, count > 0 */
};

/* A decoded cell: features, their polygons and rings, closed point lists. */
struct ring {
	uint32_t start, n;	/* xy[2*start..], n points, last == first */
	uint32_t run0;		/* its first run in the cell's runs */
	double	 box[4];	/* min x, min y, max x, max y */
};
/* RUN consecutive edges of a ring and their box: a lookup skips the runs
 * that cannot count a crossing (see poly_contains()) without reading
 * their points, so a ring of thousands of points costs tens of tests. */
#define RUN	16
struct run {
	double	 box[4];
};
struct poly {
	uint32_t ring0, nring;
	double	 box[4];
};
struct feature {
	uint32_t zone;		/* index in names[] */
	uint32_t poly0, npoly;
	double	 box[4];
};
struct cell {
	struct feature *feat;
	size_t	 nfeat, capfeat;
	struct poly *poly;
	size_t	 npoly, cappoly;
	struct ring *ring;
	size_t	 nring, capring;
	double	*xy;
	size_t	 nxy, capxy;
	struct run *run;
	size_t	 nrun, caprun;
	size_t	 bytes;
	/* A GRID x GRID grid over the features' box: each square holds
	 * GRID_UNKNOWN, GRID_EDGE (an edge comes near it), GRID_SEA or 1 +
	 * the one feature holding the whole square, learnt from a lookup. */
	double	 box[4];
	unsigned char grid[16 * 16];
};
#define GRID		16
#define GRID_UNKNOWN	0
#define GRID_SEA	0xfe
#define GRID_EDGE	0xff
#define GRID_SLACK	1e-9	/* degrees an edge's box grows by, for rounding */

/*
 * The quadtree as lookups walk it: 8-byte slots, the four children of a
 * node side by side, level by level, so that a descent touches a few cache
 * lines. The top two bits of a say what the slot is.
 */
#define SLOT_SEA	0u	/* no zone here: at sea */
#define SLOT_INNER	1u	/* a: the first of its four children */
#define SLOT_CELL	2u	/* a: pos in geo.dat, b: len */
#define SLOT_EXACT	3u	/* a: first in exact[], b: count */
#define SLOT_KIND(s)	((s).a >> 30)
#define SLOT_VAL(s)	((s).a & 0x3fffffffu)
struct slot {
	uint32_t a, b;
};

static struct qnode *nodes;	/* as parsed, until breadth_first() */
static size_t nnodes, capnodes;
static struct slot *slots;
static size_t nslots;
static uint32_t *exact;
static size_t nexact, capexact;
static char **names;		/* the index's zone names, then any new ones */
static size_t nnames;
static unsigned char *datamap;	/* geo.dat, mapped */
static size_t datasize;
static struct cell **cells;	/* by slot, NULL until decoded */
static size_t cachebytes, evict;

static const struct { const char *tzid; double left, right; } ocean[] = {
	{ "Etc/GMT-12", 172.5, 180 }, { "Etc/GMT-11", 157.5, 172.5 },
	{ "Etc/GMT-10", 142.5, 157.5 }, { "Etc/GMT-9", 127.5, 142.5 },
	{ "Etc/GMT-8", 112.5, 127.5 }, { "Etc/GMT-7", 97.5, 112.5 },
	{ "Etc/GMT-6", 82.5, 97.5 }, { "Etc/GMT-5", 67.5, 82.5 },
	{ "Etc/GMT-4", 52.5, 67.5 }, { "Etc/GMT-3", 37.5, 52.5 },
	{ "Etc/GMT-2", 22.5, 37.5 }, { "Etc/GMT-1", 7.5, 22.5 },
	{ "Etc/GMT", -7.5, 7.5 }, { "Etc/GMT+1", -22.5, -7.5 },
	{ "Etc/GMT+2", -37.5, -22.5 }, { "Etc/GMT+3", -52.5, -37.5 },
	{ "Etc/GMT+4", -67.5, -52.5 }, { "Etc/GMT+5", -82.5, -67.5 },
	{ "Etc/GMT+6", -97.5, -82.5 }, { "Etc/GMT+7", -112.5, -97.5 },
	{ "Etc/GMT+8", -127.5, -112.5 }, { "Etc/GMT+9", -142.5, -127.5 },
	{ "Etc/GMT+10", -157.5, -142.5 }, { "Etc/GMT+11", -172.5, -157.5 },
	{ "Etc/GMT+12", -180, -172.5 },
};

const char *
tz_data_dir(void)
{
	const char *d = getenv("MEM_TZ_DATA");

	return d != NULL && *d != '\0' ? d : MEM_TZ_DATA;
}

/* p, with room for one more than its n elements of size bytes. */
static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(p, *cap * size);
}

/* Zone names by FNV-1a hash, open addressing: slots hold index + 1. */
#define NAME_SLOTS 4096
static uint32_t name_slot[NAME_SLOTS];

static size_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NAME_SLOTS;
}

static uint32_t
name_index(const char *name)
{
	size_t h = name_hash(name);

	for (; name_slot[h] != 0; h = (h + 1) % NAME_SLOTS)
		if (strcmp(names[name_slot[h] - 1], name) == 0)
			return name_slot[h] - 1;
	if (nnames >= NAME_SLOTS / 2)
		die(ST_FATAL, "%s: too many zone names", tz_data_dir());
	names = xrealloc(names, (nnames + 1) * sizeof(*names));
	names[nnames] = xstrdup(name);
	name_slot[h] = (uint32_t)nnames + 1;
	return (uint32_t)nnames++;
}

/*
 * The index as geo-tz writes it (JSON.stringify): {"timezones":[NAMES],
 * "lookup":NODE}, a NODE being an array of zone numbers or an object with
 * "pos" and "len" (a cell in geo.dat) or with children "a".."d". jansson
 * built a tree of 90,000 values of it only for us to copy and free: 60 ms,
 * more than all the rest of a small scan. This reads the text once,
 * straight into nodes[] (2 ms), reading it as geo-tz does: JSON's
 * grammar, unknown keys and values skipped, a node's repeated key taken
 * last (the root's "timezones" and "lookup" first), pos and len counted
 * only when they are integers. What is not JSON, or not an index (a node
 * neither array nor object, a zone number out of range), refuses the whole
 * index. Escapes (\uXXXX) are refused in zone names (no IANA name has
 * one) and skipped elsewhere.
 */
struct itext {
	const char *p, *end;
};

#define INDEX_DEPTH 64	/* geo-tz's tree is 10 deep; more is not an index */

static void
it_space(struct itext *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' ||
	    *t->p == '\r'))
		t->p++;
}

/* The next non-blank character is c: consume it. */
static inline int
it_take(struct itext *t, char c)
{
	if (t->p < t->end && *t->p == c) {	/* geo-tz's file has no blanks */
		t->p++;
		return 1;
	}
	it_space(t);
	if (t->p < t->end && *t->p == c) {
		t->p++;
		return 1;
	}
	return 0;
}

/* A string: 1 when it is whole in buf (NUL-terminated: no escape in it,
 * shorter than cap), 0 when it is skipped, -1 when it is not JSON. */
static int
it_string(struct itext *t, char *buf, size_t cap)
{
	size_t n = 0;
	int kept = buf != NULL;

	if (!it_take(t, '"'))
		return -1;
	for (; t->p < t->end && *t->p != '"'; t->p++) {
		if ((unsigned char)*t->p < 0x20)
			return -1;
		if (*t->p == '\\') {
			if (++t->p >= t->end)
				return -1;
			kept = 0;
		} else if (kept && n + 1 < cap) {
			buf[n++] = *t->p;
		} else {
			kept = 0;
		}
	}
	if (t->p >= t->end)
		return -1;
	t->p++;
	if (kept)
		buf[n] = '\0';
	return kept;
}

/* A number: 1 and *v for an integer (no fraction, no exponent), 0 for
 * another number, -1 for no number or one of more than 18 digits. */
static int
it_number(struct itext *t, int64_t *v)
{
	int neg = 0, integer = 1, digits = 0;
	int64_t u = 0;

	it_space(t);
	if (t->p < t->end && *t->p == '-') {
		neg = 1;
		t->p++;
	}
	if (t->p >= t->end || *t->p < '0' || *t->p > '9' ||
	    (*t->p == '0' && t->p + 1 < t->end && t->p[1] >= '0' && t->p[1] <= '9'))
		return -1;
	for (; t->p < t->end && *t->p >= '0' && *t->p <= '9'; t->p++)
		if (++digits > 18)
			return -1;
		else
			u = u * 10 + (*t->p - '0');
	if (t->p < t->end && *t->p == '.') {
		integer = 0;
		if (++t->p >= t->end || *t->p < '0' || *t->p > '9')
			return -1;
		while (t->p < t->end && *t->p >= '0' && *t->p <= '9')
			t->p++;
	}
	if (t->p < t->end && (*t->p == 'e' || *t->p == 'E')) {
		integer = 0;
		t->p++;
		if (t->p < t->end && (*t->p == '+' || *t->p == '-'))
			t->p++;
		if (t->p >= t->end || *t->p < '0' || *t->p > '9')
			return -1;
		while (t->p < t->end && *t->p >= '0' && *t->p <= '9')
			t->p++;
	}
	*v = neg ? -u : u;
	return integer;
}

/* Any value, skipped: 0, or -1 when it is not JSON. */
static int
it_skip(struct itext *t, int depth)
{
	static const char *words[] = { "true", "false", "null" };
	int64_t v;
	size_t i, n;

	it_space(t);
	if (t->p >= t->end || depth > INDEX_DEPTH)
		return -1;
	if (*t->p == '"')
		return it_string(t, NULL, 0) < 0 ? -1 : 0;
	if (*t->p == '{' || *t->p == '[') {
		char close = *t->p == '{' ? '}' : ']';

		t->p++;
		if (it_take(t, close))
			return 0;
		do {
			if (close == '}' && (it_string(t, NULL, 0) < 0 || !it_take(t, ':')))
				return -1;
			if (it_skip(t, depth + 1) < 0)
				return -1;
		} while (it_take(t, ','));
		return it_take(t, close) ? 0 : -1;
	}
	for (i = 0; i < LEN(words); i++) {
		n = strlen(words[i]);
		if ((size_t)(t->end - t->p) >= n && memcmp(t->p, words[i], n) == 0) {
			t->p += n;
			return 0;
		}
	}
	return it_number(t, &v) < 0 ? -1 : 0;
}

/* One node of the index into nodes[], depth first: its number, or -1 when
 * it is not JSON or not a node (the index is then refused). */
static int32_t
index_node(struct itext *t, int depth)
{
	int32_t self = (int32_t)nnodes, c;
	int64_t v, pos = -1, len = 0, *num;
	char key[4] = "";
	size_t k;
	int r;

	if (depth > INDEX_DEPTH)
		return -1;
	nodes = grow(nodes, nnodes, &capnodes, sizeof(*nodes));
	memset(&nodes[self], 0, sizeof(nodes[self]));
	nodes[self].pos = -1;
	for (k = 0; k < 4; k++)
		nodes[self].child[k] = -1;
	nnodes++;
	if (it_take(t, '[')) {
		if (it_take(t, ']'))
			return self;	/* geo-tz descends into nothing: sea */
		nodes[self].first = (uint32_t)nexact;
		do {
			if (it_number(t, &v) != 1 || v < 0 || (uint64_t)v >= nnames)
				return -1;
			exact = grow(exact, nexact, &capexact, sizeof(*exact));
			exact[nexact++] = (uint32_t)v;
		} while (it_take(t, ','));
		nodes[self].count = (uint32_t)(nexact - nodes[self].first);
		return it_take(t, ']') ? self : -1;
	}
	if (!it_take(t, '{'))
		return -1;
	if (it_take(t, '}'))
		return self;
	do {
		if ((r = it_string(t, key, sizeof(key))) < 0 || !it_take(t, ':'))
			return -1;
		if (r == 1 && key[0] >= 'a' && key[0] <= 'd' && key[1] == '\0') {
			if ((c = index_node(t, depth + 1)) < 0)
				return -1;
			nodes[self].child[key[0] - 'a'] = c;
			continue;
		}
		num = r != 1 ? NULL : memcmp(key, "pos", 4) == 0 ? &pos :
		    memcmp(key, "len", 4) == 0 ? &len : NULL;
		it_space(t);
		if (num != NULL && t->p < t->end && (*t->p == '-' ||
		    (*t->p >= '0' && *t->p <= '9'))) {
			if ((r = it_number(t, &v)) < 0)
				return -1;
			*num = r == 1 ? v : -1;	/* 2.5 is no position */
		} else {
			if (num != NULL)
				*num = -1;
			if (it_skip(t, depth + 1) < 0)
				return -1;
		}
	} while (it_take(t, ','));
	if (!it_take(t, '}'))
		return -1;
	if (pos >= 0 && len > 0) {
		if (len > (1 << 26))
			return -1;
		nodes[self].pos = pos;
		nodes[self].len = (uint32_t)len;
	}
	return self;
}

/*
 * The whole index: 0, -1 when it is not one, -2 when a zone is named
 * twice. The names come first in geo-tz's file; a "lookup" before them is
 * skipped and read once they are known.
 */
static int
index_parse(const char *text, size_t len)
{
	struct itext t = { text, text + len };
	const char *lookup = NULL;
	char key[16], name[128];
	size_t before;
	int r, named = 0, looked = 0;

	if (!it_take(&t, '{'))
		return -1;
	if (!it_take(&t, '}'))
		do {
			if ((r = it_string(&t, key, sizeof(key))) < 0 || !it_take(&t, ':'))
				return -1;
			if (r == 1 && strcmp(key, "timezones") == 0 && !named) {
				named = 1;
				if (!it_take(&t, '['))
					return -1;
				if (it_take(&t, ']'))
					continue;
				do {
					if (it_string(&t, name, sizeof(name)) != 1)
						return -1;
					before = nnames;
					if (name_index(name) != before)
						return -2;
				} while (it_take(&t, ','));
				if (!it_take(&t, ']'))
					return -1;
			} else if (r == 1 && strcmp(key, "lookup") == 0 && !looked) {
				looked = 1;
				it_space(&t);
				if (t.p >= t.end || *t.p != '{')
					return -1;
				if (named) {
					if (index_node(&t, 0) != 0)
						return -1;
				} else {
					lookup = t.p;
					if (it_skip(&t, 0) < 0)
						return -1;
				}
			} else if (it_skip(&t, 0) < 0) {
				return -1;
			}
		} while (it_take(&t, ','));
	if (!it_take(&t, '}'))
		return -1;
	it_space(&t);
	if (t.p != t.end || !named || !looked)
		return -1;
	if (lookup != NULL) {
		t.p = lookup;
		if (index_node(&t, 0) != 0)
			return -1;
	}
	return 0;
}

/*
 * Lay the parsed nodes out as slots, level by level: every lookup walks the
 * top levels, which then share a few cache lines (in the depth-first order
 * of the parse each step of a descent was a cache miss). -1 when a value
 * does not fit a slot.
 */
static int
breadth_first(void)
{
	int32_t *queue = xcalloc(nnodes + 1, sizeof(*queue));
	size_t *at = xcalloc(nnodes + 1, sizeof(*at));
	size_t head = 0, tail = 0, k;

	slots = xcalloc(1 + 4 * nnodes, sizeof(*slots));
	nslots = 1;
	queue[tail] = 0;
	at[tail++] = 0;
	while (head < tail) {
		const struct qnode *q = &nodes[queue[head]];
		struct slot *sl = &slots[at[head++]];
		uint32_t kind, a, b = 0;

		if (q->pos >= 0) {
			kind = SLOT_CELL;
			if (q->pos >= (1 << 30))
				goto bad;
			a = (uint32_t)q->pos;
			b = q->len;
		} else if (q->count > 0) {
			kind = SLOT_EXACT;
			if (q->first >= (1u << 30))
				goto bad;
			a = q->first;
			b = q->count;
		} else if (q->child[0] < 0 && q->child[1] < 0 && q->child[2] < 0 &&
		    q->child[3] < 0) {
			kind = SLOT_SEA;	/* geo-tz finds nothing below it */
			a = 0;
		} else {
			kind = SLOT_INNER;
			a = (uint32_t)nslots;
			for (k = 0; k < 4; k++)
				if (q->child[k] >= 0) {
					queue[tail] = q->child[k];
					at[tail++] = nslots + k;
				}
			nslots += 4;
			if (nslots >= (1u << 30))
				goto bad;
		}
		sl->a = kind << 30 | a;
		sl->b = b;
	}
	free(queue);
	free(at);
	free(nodes);
	nodes = NULL;
	capnodes = 0;
	return 0;
bad:
	free(queue);
	free(at);
	return -1;
}

/* The whole file at path, NUL-terminated (*len without it), and its
 * stat, or NULL. */
static char *
slurp(const char *path, size_t *len, struct stat *sb)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > (64u << 20)) {
		e = errno;
		close(fd);
		errno = e ? e : EFBIG;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size &&
	    ((r = read(fd, buf + n, (size_t)st.st_size - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	e = errno;
	close(fd);
	if (n < (size_t)st.st_size) {
		free(buf);
		errno = e ? e : EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	*sb = st;
	return buf;
}

/*
 * The index as lookups use it (zone names, slots, exact zones), in
 * COMPACT_FILE beside the JSON: made at build time by `make` (tz-compact,
 * the same parse as below), read back in a fraction of a millisecond where
 * parsing the JSON costs 2 to 5 ms at every start, most of what mem-scan
 * costs on a small export. Never written at run time. It stands for the
 * JSON it was made from only while that file has the size, mtime, ctime,
 * inode and device written in its head (npm ci replaces the data, and with
 * it those) and the sum holds; anything else (missing, stale, damaged,
 * another machine's byte order) and the JSON is parsed, as without it.
 */
#define COMPACT_FILE "timezones-1970.geojson.index.mem"
#define COMPACT_MAGIC "memtzix2"
#define COMPACT_ORDER 0x01020304u
struct compact_head {
	char	 magic[8];
	uint32_t order;		/* COMPACT_ORDER as written here */
	uint32_t nnames;
	uint64_t namebytes;	/* the names, each NUL-terminated, then 0-7
				 * NULs to a multiple of 8; then the slots,
				 * then exact[] */
	uint64_t nslots, nexact;
	uint64_t json_size, json_ino, json_dev;
	int64_t	 json_mtime, json_mtime_ns, json_ctime, json_ctime_ns;
	uint64_t sum;		/* compact_sum() of all that follows */
};

/* A 64-bit FNV-1a over 8-byte words (the last one padded with zeros): a
 * damaged file must not give other zones. 0.1 ms for the whole index. */
static uint64_t
compact_sum(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	uint64_t w;
	size_t i;

	for (i = 0; i < n; i += 8) {
		w = 0;
		memcpy(&w, b + i, n - i < 8 ? n - i : 8);
		h = (h ^ w) * 0x100000001b3u;
	}
	return h;
}
#define COMPACT_SUM0 0xcbf29ce484222325u

static void
compact_stamp(struct compact_head *h, const struct stat *json)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, COMPACT_MAGIC, sizeof(h->magic));
	h->order = COMPACT_ORDER;
	h->json_size = (uint64_t)json->st_size;
	h->json_ino = (uint64_t)json->st_ino;
	h->json_dev = (uint64_t)json->st_dev;
	h->json_mtime = (int64_t)json->st_mtim.tv_sec;
	h->json_mtime_ns = (int64_t)json->st_mtim.tv_nsec;
	h->json_ctime = (int64_t)json->st_ctim.tv_sec;
	h->json_ctime_ns = (int64_t)json->st_ctim.tv_nsec;
}

static int
read_exact(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n)
		if ((r = read(fd, (char *)buf + got, n - got)) > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			return -1;
	return 0;
}

/* Every slot points inside the tables, and an inner slot's children come
 * after it (as breadth_first() lays them out, so a walk down always ends):
 * a file cut short or damaged is refused here, not met by a lookup. */
static int
compact_consistent(void)
{
	size_t i;

	if (nslots == 0 || SLOT_KIND(slots[0]) != SLOT_INNER)
		return 0;
	for (i = 0; i < nslots; i++)
		switch (SLOT_KIND(slots[i])) {
		case SLOT_INNER:
			if (SLOT_VAL(slots[i]) <= i || SLOT_VAL(slots[i]) + (size_t)4 > nslots)
				return 0;
			break;
		case SLOT_EXACT:
			if (slots[i].b == 0 || slots[i].b > nexact ||
			    SLOT_VAL(slots[i]) > nexact - slots[i].b)
				return 0;
			break;
		case SLOT_CELL:
			if (slots[i].b == 0)
				return 0;
			break;
		}
	for (i = 0; i < nexact; i++)
		if (exact[i] >= nnames)
			return 0;
	return 1;
}

/* The index from the compact file made from json: 0, or -1 (nothing
 * kept). */
static int
compact_read(const char *dir, const struct stat *json)
{
	struct compact_head want, h;
	struct stat st;
	char *path, *text = NULL, *p;
	size_t pad, i, before;
	int fd;

	path = xasprintf("%s/%s", dir, COMPACT_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -1;
	compact_stamp(&want, json);
	if (fstat(fd, &st) < 0 || read_exact(fd, &h, sizeof(h)) < 0 ||
	    memcmp(h.magic, want.magic, sizeof(h.magic)) != 0 || h.order != want.order ||
	    h.json_size != want.json_size || h.json_ino != want.json_ino ||
	    h.json_dev != want.json_dev || h.json_mtime != want.json_mtime ||
	    h.json_mtime_ns != want.json_mtime_ns || h.json_ctime != want.json_ctime ||
	    h.json_ctime_ns != want.json_ctime_ns || h.nnames == 0 ||
	    h.nnames >= NAME_SLOTS / 2 || h.namebytes > (1u << 20) ||
	    h.nslots > (1u << 30) || h.nexact > (1u << 30))
		goto fail;
	pad = (8 - h.namebytes % 8) % 8;
	if ((uint64_t)st.st_size != sizeof(h) + h.namebytes + pad + h.nslots *
	    sizeof(*slots) + h.nexact * sizeof(*exact))
		goto fail;
	text = xmalloc(h.namebytes + pad + 1);
	slots = xmalloc((h.nslots ? h.nslots : 1) * sizeof(*slots));
	exact = xmalloc((h.nexact ? h.nexact : 1) * sizeof(*exact));
	nslots = h.nslots;
	nexact = capexact = h.nexact;
	if (read_exact(fd, text, h.namebytes + pad) < 0 ||
	    read_exact(fd, slots, nslots * sizeof(*slots)) < 0 ||
	    read_exact(fd, exact, nexact * sizeof(*exact)) < 0)
		goto fail;
	text[h.namebytes + pad] = '\0';
	for (p = text, i = 0; i < h.nnames; i++, p += strlen(p) + 1) {
		if (p >= text + h.namebytes || *p == '\0')
			goto fail;
		before = nnames;
		if (name_index(p) != before)
			goto fail;
	}
	if (p != text + h.namebytes || !compact_consistent() ||
	    compact_sum(exact, nexact * sizeof(*exact), compact_sum(slots,
	    nslots * sizeof(*slots), compact_sum(text, h.namebytes + pad, COMPACT_SUM0))) !=
	    h.sum)
		goto fail;
	free(text);
	close(fd);
	return 0;
fail:
	free(text);
	close(fd);
	tz_close();
	return -1;
}

/* The index just parsed from json, as COMPACT_FILE in dir: 0, or -1 with
 * errno set (nothing left behind). */
static int
compact_write(const char *dir, const struct stat *json)
{
	struct compact_head h;
	struct atomic a;
	char *path, *text, *p;
	size_t i, pad;
	int e;

	compact_stamp(&h, json);
	h.nnames = (uint32_t)nnames;
	for (i = 0; i < nnames; i++)
		h.namebytes += strlen(names[i]) + 1;
	h.nslots = nslots;
	h.nexact = nexact;
	pad = (8 - h.namebytes % 8) % 8;
	text = xmalloc(h.namebytes + pad);
	for (i = 0, p = text; i < nnames; i++) {
		memcpy(p, names[i], strlen(names[i]) + 1);
		p += strlen(names[i]) + 1;
	}
	memset(p, 0, pad);
	h.sum = compact_sum(exact, nexact * sizeof(*exact), compact_sum(slots,
	    nslots * sizeof(*slots), compact_sum(text, h.namebytes + pad, COMPACT_SUM0)));
	path = xasprintf("%s/%s", dir, COMPACT_FILE);
	e = atomic_open(&a, path, "");
	free(path);
	if (e < 0) {
		free(text);
		return -1;
	}
	if (fwrite(&h, sizeof(h), 1, a.fp) != 1 ||
	    fwrite(text, 1, h.namebytes + pad, a.fp) != h.namebytes + pad ||
	    fwrite(slots, sizeof(*slots), nslots, a.fp) != nslots ||
	    fwrite(exact, sizeof(*exact), nexact, a.fp) != nexact) {
		free(text);
		atomic_abort(&a);
		return -1;
	}
	free(text);
	return atomic_commit(&a);
}

/* The index of dir from its JSON: 0, or -1 with a reason in *why. */
static int
index_load(const char *dir, struct stat *json, const char **why)
{
	char *path, *text;
	size_t len;
	int r;

	path = xasprintf("%s/%s", dir, INDEX_FILE);
	errno = 0;
	text = slurp(path, &len, json);
	free(path);
	if (text == NULL) {
		*why = errno == ENOENT ? "no " INDEX_FILE " (run make deps)" :
		    "unreadable " INDEX_FILE;
		return -1;
	}
	r = index_parse(text, len);
	free(text);
	if (r < 0 || breadth_first() < 0 || SLOT_KIND(slots[0]) != SLOT_INNER) {
		tz_close();
		*why = r == -2 ? INDEX_FILE ": a zone named twice" :
		    INDEX_FILE ": not a geo-tz index";
		return -1;
	}
	return 0;
}

int
tz_compact(const char *dir, const char **why)
{
	struct stat json;
	int r;

	tz_close();
	if (index_load(dir, &json, why) < 0)
		return -1;
	r = compact_write(dir, &json);
	if (r < 0)
		*why = strerror(errno);
	tz_close();
	return r;
}

int
tz_open(const char *dir, const char **why)
{
	struct stat st;
	char *path;
	void *map;
	int fd;

	if (slots != NULL)
		return 0;
	path = xasprintf("%s/%s", dir, INDEX_FILE);
	fd = stat(path, &st);
	free(path);
	if ((fd < 0 || compact_read(dir, &st) < 0) && index_load(dir, &st, why) < 0)
		return -1;
	/* mapped, not read: a cell is decoded straight from the page cache,
	 * and only the pages of the cells a run looks at are touched */
	path = xasprintf("%s/%s", dir, FEATURE_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0) {
		tz_close();
		*why = "no " FEATURE_FILE " (run make deps)";
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		close(fd);
		tz_close();
		*why = "cannot read " FEATURE_FILE;
		return -1;
	}
	close(fd);
	datamap = map;
	datasize = (size_t)st.st_size;
	cells = xcalloc(nslots, sizeof(*cells));
	return 0;
}

static void
cell_free(struct cell *c)
{
	if (c == NULL)
		return;
	free(c->feat);
	free(c->poly);
	free(c->ring);
	free(c->xy);
	free(c->run);
	free(c);
}

void
tz_close(void)
{
	size_t i;

	if (cells != NULL)
		for (i = 0; i < nslots; i++)
			cell_free(cells[i]);
	free(cells);
	cells = NULL;
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	names = NULL;
	nnames = 0;
	memset(name_slot, 0, sizeof(name_slot));
	free(nodes);
	nodes = NULL;
	nnodes = capnodes = 0;
	free(slots);
	slots = NULL;
	nslots = 0;
	free(exact);
	exact = NULL;
	nexact = capexact = 0;
	cachebytes = evict = 0;
	if (datamap != NULL && munmap(datamap, datasize) < 0)
		die_errno(ST_FATAL, "munmap");
	datamap = NULL;
	datasize = 0;
}

/* A protobuf reader over one message; err is set on any malformation and
 * every later read then returns 0. */
struct pb {
	const unsigned char *p, *end;
	int	 err;
};

static uint64_t
pb_varint(struct pb *b)
{
	uint64_t v = 0;
	unsigned shift = 0;

	if (b->p < b->end && *b->p < 0x80)	/* most are one byte */
		return *b->p++;
	while (!b->err) {
		if (b->p >= b->end || shift > 63) {
			b->err = 1;
			break;
		}
		v |= (uint64_t)(*b->p & 0x7f) << shift;
		if (!(*b->p++ & 0x80))
			return v;
		shift += 7;
	}
	return 0;
}

/* A zigzag varint; a coordinate's delta is mostly one or two bytes. */
static inline int64_t
pb_svarint(struct pb *b)
{
	uint64_t v;

	if (b->end - b->p >= 2 && b->p[0] < 0x80) {
		v = *b->p++;
	} else if (b->end - b->p >= 2 && b->p[1] < 0x80) {
		v = (uint64_t)(b->p[0] & 0x7f) | (uint64_t)b->p[1] << 7;
		b->p += 2;
	} else {
		v = pb_varint(b);
	}
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The length-delimited field at b as its own reader. */
static struct pb
pb_sub(struct pb *b)
{
	struct pb s = { NULL, NULL, 1 };
	uint64_t n = pb_varint(b);

	if (b->err || n > (uint64_t)(b->end - b->p)) {
		b->err = 1;
		return s;
	}
	s.p = b->p;
	s.end = b->p + n;
	s.err = 0;
	b->p += n;
	return s;
}

static void
pb_skip(struct pb *b, unsigned wire)
{
	size_t n = 0;

	switch (wire) {
	case 0:
		(void)pb_varint(b);
		return;
	case 1:
		n = 8;
		break;
	case 2:
		(void)pb_sub(b);
		return;
	case 5:
		n = 4;
		break;
	default:
		b->err = 1;
		return;
	}
	if ((size_t)(b->end - b->p) < n)
		b->err = 1;
	else
		b->p += n;
}

static void
box_init(double box[4])
{
	box[0] = box[1] = INFINITY;
	box[2] = box[3] = -INFINITY;
}

static void
box_point(double box[4], double x, double y)
{
	if (x < box[0])
		box[0] = x;
	if (y < box[1])
		box[1] = y;
	if (x > box[2])
		box[2] = x;
	if (y > box[3])
		box[3] = y;
}

static void
box_add(double box[4], const double other[4])
{
	box_point(box, other[0], other[1]);
	box_point(box, other[2], other[3]);
}

/* The box of n points at pt (x, y pairs). */
static void
box_points(double box[4], const double *pt, size_t n)
{
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	size_t i;

	for (i = 0; i < n; i++) {
		x0 = pt[2 * i] < x0 ? pt[2 * i] : x0;
		y0 = pt[2 * i + 1] < y0 ? pt[2 * i + 1] : y0;
		x1 = pt[2 * i] > x1 ? pt[2 * i] : x1;
		y1 = pt[2 * i + 1] > y1 ? pt[2 * i + 1] : y1;
	}
	box[0] = x0;
	box[1] = y0;
	box[2] = x1;
	box[3] = y1;
}

/* One ring of npoints (0: until the end of b) delta-coded points, each
 * ring starting from 0 as geobuf does, closed by repeating its first; its
 * box, and the boxes of its runs. */
static int
read_ring(struct cell *c, struct pb *b, uint64_t npoints, unsigned dim, double scale)
{
	int64_t x = 0, y = 0;
	struct ring *r;
	uint64_t i;
	unsigned d;
	double *xy;
	size_t n;

	if (dim < 2 || dim > 8)
		return -1;
	c->ring = grow(c->ring, c->nring, &c->capring, sizeof(*c->ring));
	r = &c->ring[c->nring++];
	r->start = (uint32_t)(c->nxy / 2);
	for (i = 0; npoints ? i < npoints : b->p < b->end; i++) {
		x += pb_svarint(b);
		y += pb_svarint(b);
		for (d = 2; d < dim; d++)
			(void)pb_svarint(b);
		if (b->err)
			return -1;
		if (c->nxy + 4 > c->capxy) {
			c->capxy = c->capxy ? c->capxy * 2 : 1024;
			c->xy = xrealloc(c->xy, c->capxy * sizeof(*c->xy));
		}
		/* the division, not a product, gives geo-tz's very doubles */
		c->xy[c->nxy++] = (double)x / scale;
		c->xy[c->nxy++] = (double)y / scale;
	}
	if (i == 0 || i >= UINT32_MAX)
		return -1;
	c->xy[c->nxy] = c->xy[2 * r->start];
	c->xy[c->nxy + 1] = c->xy[2 * r->start + 1];
	c->nxy += 2;
	r->n = (uint32_t)i + 1;
	r->run0 = (uint32_t)c->nrun;
	xy = c->xy + 2 * (size_t)r->start;
	box_points(r->box, xy, r->n);
	for (i = 0; i + 1 < r->n; i += RUN) {
		n = i + RUN < r->n - 1 ? RUN + 1 : r->n - i;
		c->run = grow(c->run, c->nrun, &c->caprun, sizeof(*c->run));
		box_points(c->run[c->nrun++].box, xy + 2 * i, n);
	}
	return 0;
}

static void
poly_begin(struct cell *c)
{
	c->poly = grow(c->poly, c->npoly, &c->cappoly, sizeof(*c->poly));
	c->poly[c->npoly].ring0 = (uint32_t)c->nring;
	c->poly[c->npoly].nring = 0;
	box_init(c->poly[c->npoly].box);
	c->npoly++;
}

static void
poly_end(struct cell *c)
{
	struct poly *p = &c->poly[c->npoly - 1];
	uint32_t i;

	p->nring = (uint32_t)c->nring - p->ring0;
	for (i = p->ring0; i < c->nring; i++)
		box_add(p->box, c->ring[i].box);
}

/* A geobuf Geometry (Polygon or MultiPolygon) into the cell's polygons. */
static int
read_geometry(struct cell *c, struct pb g, unsigned dim, double scale)
{
	uint64_t type = 0, *lengths = NULL, key;
	size_t nlen = 0, caplen = 0, i, j, k;
	struct pb coords;
	int rc = 0, seen = 0;

	while (g.p < g.end && !g.err) {
		key = pb_varint(&g);
		if (key >> 3 == 1 && (key & 7) == 0) {
			type = pb_varint(&g);
		} else if (key >> 3 == 2 && (key & 7) == 2) {
			struct pb l = pb_sub(&g);

			nlen = 0;
			while (l.p < l.end && !l.err) {
				lengths = grow(lengths, nlen, &caplen, sizeof(*lengths));
				lengths[nlen++] = pb_varint(&l);
			}
			if (l.err)
				g.err = 1;
		} else if (key >> 3 == 3 && (key & 7) == 2) {
			coords = pb_sub(&g);
			if (g.err)
				break;
			seen = 1;
			if (type == 4 && nlen == 0) {		/* Polygon, one ring */
				poly_begin(c);
				rc |= read_ring(c, &coords, 0, dim, scale);
				poly_end(c);
			} else if (type == 4) {			/* Polygon */
				poly_begin(c);
				for (i = 0; i < nlen && rc == 0; i++)
					rc |= read_ring(c, &coords, lengths[i], dim, scale);
				poly_end(c);
			} else if (type == 5 && nlen == 0) {	/* one polygon */
				poly_begin(c);
				rc |= read_ring(c, &coords, 0, dim, scale);
				poly_end(c);
			} else if (type == 5) {			/* MultiPolygon */
				for (i = 0, j = 1; i < lengths[0] && rc == 0; i++) {
					if (j >= nlen || j + lengths[j] >= nlen) {
						rc = -1;
						break;
					}
					poly_begin(c);
					for (k = 0; k < lengths[j] && rc == 0; k++)
						rc |= read_ring(c, &coords, lengths[j + 1 + k],
						    dim, scale);
					poly_end(c);
					j += lengths[j] + 1;
				}
			} else {
				rc = -1;	/* geo-tz's data holds only polygons */
			}
		} else {
			pb_skip(&g, (unsigned)(key & 7));
		}
	}
	free(lengths);
	return g.err || rc != 0 || !seen ? -1 : 0;
}

/* A Value message's string, or NULL for any other kind. */
static char *
read_value(struct pb v)
{
	uint64_t key;
	char *s = NULL;

	while (v.p < v.end && !v.err) {
		key = pb_varint(&v);
		if (key >> 3 == 1 && (key & 7) == 2) {
			struct pb str = pb_sub(&v);

			if (v.err)
				break;
			free(s);
			s = xmalloc((size_t)(str.end - str.p) + 1);
			memcpy(s, str.p, (size_t)(str.end - str.p));
			s[str.end - str.p] = '\0';
		} else {
			pb_skip(&v, (unsigned)(key & 7));
		}
	}
	return s;
}

/* A Feature: its geometry and its "tzid" property. */
static int
read_feature(struct cell *c, struct pb f, char **keys, size_t nkeys, unsigned dim,
    double scale)
{
	char **values = NULL, *tzid = NULL;
	size_t nvalues = 0, i;
	uint64_t key, ki, vi;
	uint32_t poly0 = (uint32_t)c->npoly;
	int rc = 0, geom = 0;

	while (f.p < f.end && !f.err && rc == 0) {
		key = pb_varint(&f);
		if (key >> 3 == 1 && (key & 7) == 2) {
			struct pb g = pb_sub(&f);

			if (!f.err)
				rc = read_geometry(c, g, dim, scale);
			geom = 1;
		} else if (key >> 3 == 13 && (key & 7) == 2) {
			struct pb v = pb_sub(&f);

			values = xrealloc(values, (nvalues + 1) * sizeof(*values));
			values[nvalues++] = f.err ? NULL : read_value(v);
		} else if (key >> 3 == 14 && (key & 7) == 2) {
			struct pb p = pb_sub(&f);

			while (p.p < p.end && !p.err) {
				ki = pb_varint(&p);
				vi = pb_varint(&p);
				if (!p.err && ki < nkeys && vi < nvalues &&
				    strcmp(keys[ki], "tzid") == 0 && values[vi] != NULL)
					tzid = values[vi];
			}
			if (p.err)
				f.err = 1;
		} else {
			pb_skip(&f, (unsigned)(key & 7));
		}
	}
	if (f.err || rc != 0 || !geom || tzid == NULL) {
		rc = -1;
	} else {
		struct feature *ft;

		c->feat = grow(c->feat, c->nfeat, &c->capfeat, sizeof(*c->feat));
		ft = &c->feat[c->nfeat++];
		ft->zone = name_index(tzid);
		ft->poly0 = poly0;
		ft->npoly = (uint32_t)c->npoly - poly0;
		box_init(ft->box);
		for (i = poly0; i < c->npoly; i++)
			box_add(ft->box, c->poly[i].box);
	}
	for (i = 0; i < nvalues; i++)
		free(values[i]);
	free(values);
	return rc;
}

/* The square of the grid a coordinate falls in, clamped to the grid. */
static int
grid_at(double v, double lo, double hi)
{
	double g = (v - lo) / (hi - lo) * GRID;

	return g < 0 ? 0 : g >= GRID - 1 ? GRID - 1 : (int)g;
}

/*
 * Mark every square a run's box (grown by GRID_SLACK) touches: a run's
 * box holds its edges, and marking by runs reads a sixteenth of the
 * points. A square no edge comes near lies wholly inside or outside each
 * polygon, so the first lookup in it answers for all later ones without a
 * polygon test; the index's cells are clipped, so most squares are such.
 */
static void
grid_edges(struct cell *c)
{
	size_t i;
	int x0, x1, y0, y1, gx, gy;

	memset(c->grid, GRID_EDGE, sizeof(c->grid));
	box_init(c->box);
	for (i = 0; i < c->nfeat && c->nfeat < GRID_SEA; i++)
		box_add(c->box, c->feat[i].box);
	if (c->nfeat == 0 || c->nfeat >= GRID_SEA || !(c->box[2] > c->box[0]) ||
	    !(c->box[3] > c->box[1]))
		return;		/* no grid: every lookup tests the polygons */
	memset(c->grid, GRID_UNKNOWN, sizeof(c->grid));
	for (i = 0; i < c->nrun; i++) {
		const double *b = c->run[i].box;

		x0 = grid_at(b[0] - GRID_SLACK, c->box[0], c->box[2]);
		x1 = grid_at(b[2] + GRID_SLACK, c->box[0], c->box[2]);
		y0 = grid_at(b[1] - GRID_SLACK, c->box[1], c->box[3]);
		y1 = grid_at(b[3] + GRID_SLACK, c->box[1], c->box[3]);
		for (gy = y0; gy <= y1; gy++)
			for (gx = x0; gx <= x1; gx++)
				c->grid[gy * GRID + gx] = GRID_EDGE;
	}
}

/* A geobuf Data message holding a FeatureCollection. */
static struct cell *
cell_decode(const unsigned char *buf, size_t len)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	struct pb b = { buf, buf + len, 0 };
	struct cell *c = xcalloc(1, sizeof(*c));
	char **keys = NULL;
	size_t nkeys = 0, i;
	unsigned dim = 2;
	double scale = 1e6;
	uint64_t key, v;
	int rc = 0;

	/* room for every point at once: each takes two bytes at least */
	c->capxy = 2 * len + 4;
	c->xy = xmalloc(c->capxy * sizeof(*c->xy));
	while (b.p < b.end && !b.err && rc == 0) {
		key = pb_varint(&b);
		if (key >> 3 == 1 && (key & 7) == 2) {
			struct pb s = pb_sub(&b);

			if (b.err)
				break;
			keys = xrealloc(keys, (nkeys + 1) * sizeof(*keys));
			keys[nkeys] = xmalloc((size_t)(s.end - s.p) + 1);
			memcpy(keys[nkeys], s.p, (size_t)(s.end - s.p));
			keys[nkeys++][s.end - s.p] = '\0';
		} else if (key >> 3 == 2 && (key & 7) == 0) {
			dim = (unsigned)pb_varint(&b);
		} else if (key >> 3 == 3 && (key & 7) == 0) {
			v = pb_varint(&b);
			if (v >= LEN(pow10))
				rc = -1;
			else
				scale = pow10[v];
		} else if (key >> 3 == 4 && (key & 7) == 2) {
			struct pb fc = pb_sub(&b);

			while (!b.err && fc.p < fc.end && !fc.err && rc == 0) {
				key = pb_varint(&fc);
				if (key >> 3 == 1 && (key & 7) == 2) {
					struct pb f = pb_sub(&fc);

					if (!fc.err)
						rc = read_feature(c, f, keys, nkeys, dim, scale);
				} else {
					pb_skip(&fc, (unsigned)(key & 7));
				}
			}
			if (fc.err)
				rc = -1;
		} else {
			pb_skip(&b, (unsigned)(key & 7));
		}
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	if (b.err || rc != 0) {
		cell_free(c);
		return NULL;
	}
	/* to size: a cell is kept long after it is read */
	c->feat = xrealloc(c->feat, (c->capfeat = c->nfeat + 1) * sizeof(*c->feat));
	c->poly = xrealloc(c->poly, (c->cappoly = c->npoly + 1) * sizeof(*c->poly));
	c->ring = xrealloc(c->ring, (c->capring = c->nring + 1) * sizeof(*c->ring));
	c->xy = xrealloc(c->xy, (c->capxy = c->nxy + 1) * sizeof(*c->xy));
	c->run = xrealloc(c->run, (c->caprun = c->nrun + 1) * sizeof(*c->run));
	c->bytes = sizeof(*c) + c->capfeat * sizeof(*c->feat) +
	    c->cappoly * sizeof(*c->poly) + c->capring * sizeof(*c->ring) +
	    c->capxy * sizeof(*c->xy) + c->caprun * sizeof(*c->run);
	grid_edges(c);
	return c;
}

/* The cell of slot k, decoded now or cached. Past the budget, cells are
 * freed from a cursor that goes round the index until half of it is left:
 * a run rarely looks at more than a few cells, and a world-wide one comes
 * in tz_order()'s order, done with a cell before it moves on (bench/tz's
 * million land positions decode 18,241 cells, 132 MB in all). */
static struct cell *
cell_get(size_t k, const char **why)
{
	struct cell *c;
	size_t i;

	if (cells[k] != NULL)
		return cells[k];
	if (SLOT_VAL(slots[k]) > datasize || slots[k].b > datasize - SLOT_VAL(slots[k])) {
		*why = FEATURE_FILE ": shorter than its index says";
		return NULL;
	}
	c = cell_decode(datamap + SLOT_VAL(slots[k]), slots[k].b);
	if (c == NULL) {
		*why = FEATURE_FILE ": malformed geobuf";
		return NULL;
	}
	if (cachebytes + c->bytes > CACHE_BUDGET)
		for (i = 0; i < nslots && cachebytes + c->bytes > CACHE_BUDGET / 2; i++) {
			evict = (evict + 1) % nslots;
			if (cells[evict] != NULL) {
				cachebytes -= cells[evict]->bytes;
				cell_free(cells[evict]);
				cells[evict] = NULL;
			}
		}
	cachebytes += c->bytes;
	return cells[k] = c;
}

/*
 * The exact sign of a*b - c*d (what robust-predicates' orient2d gives the
 * crossing test): the products split exactly with fma, their sum of four
 * terms kept as a non-overlapping expansion, whose largest component has
 * the sign of the whole.
 */
static int
sign_det(double a, double b, double c, double d)
{
	double p = a * b, q = c * d, det = p - q, terms[4], e[4], s, bv, h, x;
	size_t n = 0, i, k;

	if (fabs(det) > 1e-15 * (fabs(p) + fabs(q)))
		return det > 0 ? 1 : -1;
	terms[0] = fma(a, b, -p);
	terms[1] = p;
	terms[2] = -fma(c, d, -q);
	terms[3] = -q;
	for (k = 0; k < 4; k++) {
		x = terms[k];
		for (i = 0; i < n; i++) {
			s = x + e[i];
			bv = s - x;
			h = (x - (s - bv)) + (e[i] - bv);
			e[i] = h;
			x = s;
		}
		e[n++] = x;
	}
	for (i = n; i-- > 0;)
		if (e[i] != 0)
			return e[i] > 0 ? 1 : -1;
	return 0;
}

/*
 * point-in-polygon-hao's rule for one polygon (all its rings): 1 inside,
 * 0 outside, 2 on an edge (which geo-tz counts as inside). An edge counts
 * or touches the point only when the point's y is within the edge's y
 * range, and never when both its ends lie right of the point (u1, u2 > 0
 * makes the determinant's sign the one that does not count, and never 0):
 * so a run whose box is above, below or right of the point is skipped, and
 * a ring's box likewise (left of a closed ring, the count is even).
 */
static int
poly_contains(const struct cell *c, const struct poly *p, double x, double y)
{
	uint32_t i, j, k, end;
	unsigned crossings = 0;

	for (i = p->ring0; i < p->ring0 + p->nring; i++) {
		const struct ring *r = &c->ring[i];
		const double *pt = c->xy + 2 * (size_t)r->start;
		const struct run *rn = c->run + r->run0;
		double u1, v1, u2, v2;
		int f;

		if (x < r->box[0] || x > r->box[2] || y < r->box[1] || y > r->box[3])
			continue;
		for (k = 0; k + 1 < r->n; k += RUN, rn++) {
			if (y < rn->box[1] || y > rn->box[3] || x < rn->box[0])
				continue;
			end = k + RUN < r->n - 1 ? k + RUN : r->n - 1;
			u1 = pt[2 * k] - x;
			v1 = pt[2 * k + 1] - y;
			for (j = k + 1; j <= end; j++) {
				u2 = pt[2 * j] - x;
				v2 = pt[2 * j + 1] - y;
				if (v1 == 0 && v2 == 0) {
					if ((u2 <= 0 && u1 >= 0) || (u1 <= 0 && u2 >= 0))
						return 2;
				} else if ((v2 >= 0 && v1 <= 0) || (v2 <= 0 && v1 >= 0)) {
					f = sign_det(u2, v1, u1, v2);
					if (f == 0)
						return 2;
					if ((f > 0 && v2 > 0 && v1 <= 0) ||
					    (f < 0 && v2 <= 0 && v1 > 0))
						crossings++;
				}
				u1 = u2;
				v1 = v2;
			}
		}
	}
	return crossings % 2;
}

static void
at_sea(double lon, const char *zones[TZ_MAX_ZONES], size_t *n)
{
	size_t i;

	*n = 0;
	if (lon == -180 || lon == 180) {
		zones[(*n)++] = "Etc/GMT+12";
		zones[(*n)++] = "Etc/GMT-12";
		return;
	}
	for (i = 0; i < LEN(ocean); i++) {
		if (ocean[i].left <= lon && ocean[i].right >= lon)
			zones[(*n)++] = ocean[i].tzid;
		else if (ocean[i].right < lon)
			break;
	}
}

int
tz_find(double lat, double lon, const char *zones[TZ_MAX_ZONES], size_t *n,
    const char **why)
{
	double top = 89.9999, bottom = -89.9999, left = -179.9999, right = 179.9999;
	double midlat = 0, midlon = 0, x, y, origlon = lon;
	size_t k = 0, i, q, p, found = 0;
	unsigned char *sq;
	struct cell *c;

	*n = 0;
	if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
		*why = "invalid position";
		return -1;
	}
	if (lat == 90) {
		for (i = 0; i < LEN(ocean); i++)
			zones[(*n)++] = ocean[i].tzid;
		return 0;
	}
	lat = lat >= 89.9999 ? 89.9999 : lat <= -89.9999 ? -89.9999 : lat;
	lon = lon >= 179.9999 ? 179.9999 : lon <= -179.9999 ? -179.9999 : lon;
	x = lon;
	y = lat;
	for (;;) {
		if (lat >= midlat && lon >= midlon) {
			q = 0;
			bottom = midlat;
			left = midlon;
		} else if (lat >= midlat) {
			q = 1;
			bottom = midlat;
			right = midlon;
		} else if (lon < midlon) {
			q = 2;
			top = midlat;
			right = midlon;
		} else {
			q = 3;
			top = midlat;
			left = midlon;
		}
		k = SLOT_VAL(slots[k]) + q;
		switch (SLOT_KIND(slots[k])) {
		case SLOT_SEA:
			at_sea(origlon, zones, n);
			return 0;
		case SLOT_CELL:
			if ((c = cell_get(k, why)) == NULL)
				return -1;
			if (x < c->box[0] || x > c->box[2] || y < c->box[1] || y > c->box[3]) {
				at_sea(origlon, zones, n);
				return 0;
			}
			sq = &c->grid[grid_at(y, c->box[1], c->box[3]) * GRID +
			    grid_at(x, c->box[0], c->box[2])];
			if (*sq == GRID_SEA) {
				at_sea(origlon, zones, n);
				return 0;
			}
			if (*sq != GRID_UNKNOWN && *sq != GRID_EDGE) {
				zones[(*n)++] = names[c->feat[*sq - 1].zone];
				return 0;
			}
			for (i = 0; i < c->nfeat && *n < TZ_MAX_ZONES; i++) {
				const struct feature *f = &c->feat[i];

				if (x < f->box[0] || x > f->box[2] || y < f->box[1] ||
				    y > f->box[3])
					continue;
				for (p = f->poly0; p < f->poly0 + f->npoly; p++)
					if (poly_contains(c, &c->poly[p], x, y)) {
						zones[(*n)++] = names[f->zone];
						found = i;
						break;
					}
			}
			if (*sq == GRID_UNKNOWN && *n <= 1)
				*sq = *n == 0 ? GRID_SEA : (unsigned char)(found + 1);
			if (*n == 0)
				at_sea(origlon, zones, n);
			return 0;
		case SLOT_EXACT:
			for (i = 0; i < slots[k].b && i < TZ_MAX_ZONES; i++)
				zones[(*n)++] = names[exact[SLOT_VAL(slots[k]) + i]];
			return 0;
		}
		midlat = (top + bottom) / 2;
		midlon = (left + right) / 2;
	}
}

/* v's low 16 bits spread to the even bits of the result. */
static uint32_t
spread16(uint32_t v)
{
	v &= 0xffff;
	v = (v | v << 8) & 0x00ff00ffu;
	v = (v | v << 4) & 0x0f0f0f0fu;
	v = (v | v << 2) & 0x33333333u;
	return (v | v << 1) & 0x55555555u;
}

/* A coordinate within [lo, lo + span] as 16 bits (anything else: 0). */
static uint32_t
quantize16(double v, double lo, double span)
{
	return v >= lo && v <= lo + span ? (uint32_t)((v - lo) / span * 65535) : 0;
}

/*
 * The order in which to look up n positions so that those of one cell of
 * the index come together: sorted by their Morton code (latitude and
 * longitude to 16 bits each, interleaved), which follows the quadtree. A
 * run's positions spread over the world then decode each cell once and
 * find its polygons, grid and slots in cache, instead of a few cache
 * misses a lookup. A radix sort of (code, index) pairs, 4 passes.
 */
void
tz_order(size_t n, const double *lat, const double *lon, size_t *order)
{
	uint64_t *a, *b, *t;
	size_t i, count[256], at, c;
	unsigned shift;

	if (n > UINT32_MAX) {
		for (i = 0; i < n; i++)
			order[i] = i;
		return;
	}
	a = xcalloc(n + 1, sizeof(*a));
	b = xcalloc(n + 1, sizeof(*b));
	for (i = 0; i < n; i++)
		a[i] = (uint64_t)(spread16(quantize16(lon[i], -180, 360)) |
		    spread16(quantize16(lat[i], -90, 180)) << 1) << 32 | i;
	for (shift = 32; shift < 64; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[a[i] >> shift & 0xff]++;
		for (i = 0, at = 0; i < 256; i++) {
			c = count[i];
			count[i] = at;
			at += c;
		}
		for (i = 0; i < n; i++)
			b[count[a[i] >> shift & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i++)
		order[i] = (size_t)(a[i] & 0xffffffffu);
	free(a);
	free(b);
}

/* ---- offsets: TZif ---- */

/* A POSIX TZ rule (the TZif footer): std offset, and DST with its rule. */
struct rule_date {
	char	 kind;		/* 'J' (1..365, no Feb 29), 'n' (0..365), 'M' */
	int	 day, week, month;
	int32_t	 time;		/* seconds after local midnight */
};
struct posix_tz {
	int32_t	 std, dst;	/* seconds east of UTC */
	int	 has_dst;
	struct rule_date start, end;
};
struct zone {
	char	*name;
	int64_t	*trans;
	unsigned char *idx;
	size_t	 ntrans;
	int32_t	*utoff;
	size_t	 ntypes;
	int	 has_rule;
	struct posix_tz rule;
};

static struct zone *zonecache;
static size_t nzonecache;

static int64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extends POSIX's 24). */
static const char *
posix_hms(const char *s, int32_t *secs)
{
	int sign = 1, h = 0, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9' && h <= 167)
		h = h * 10 + (*s++ - '0');
	if (*s == ':') {
		s++;
		if (s[0] < '0' || s[0] > '9')
			return NULL;
		while (*s >= '0' && *s <= '9' && m < 60)
			m = m * 10 + (*s++ - '0');
		if (*s == ':') {
			s++;
			if (s[0] < '0' || s[0] > '9')
				return NULL;
			while (*s >= '0' && *s <= '9' && sec < 60)
				sec = sec * 10 + (*s++ - '0');
		}
	}
	if (h > 167 || m > 59 || sec > 59)
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *
posix_name(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *
posix_date(const char *s, struct rule_date *d)
{
	char *end;
	long v;

	d->time = 7200;
	if (*s == 'M') {
		d->kind = 'M';
		d->month = (int)strtol(s + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->week = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return NULL;
		d->day = (int)strtol(end + 1, &end, 10);
		if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 ||
		    d->day < 0 || d->day > 6)
			return NULL;
	} else {
		d->kind = *s == 'J' ? 'J' : 'n';
		if (*s == 'J')
			s++;
		if (*s < '0' || *s > '9')
			return NULL;
		v = strtol(s, &end, 10);
		if (v < (d->kind == 'J') || v > 365)
			return NULL;
		d->day = (int)v;
	}
	s = end;
	if (*s == '/' && (s = posix_hms(s + 1, &d->time)) == NULL)
		return NULL;
	return s;
}

static int
posix_parse(const char *s, struct posix_tz *tz)
{
	int32_t off;

	memset(tz, 0, sizeof(*tz));
	if ((s = posix_name(s)) == NULL || (s = posix_hms(s, &off)) == NULL)
		return -1;
	tz->std = -off;
	if (*s == '\0')
		return 0;
	if ((s = posix_name(s)) == NULL)
		return -1;
	tz->has_dst = 1;
	tz->dst = tz->std + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = posix_hms(s, &off)) == NULL)
			return -1;
		tz->dst = -off;
	}
	if (*s == '\0') {	/* POSIX's default: the US rule */
		tz->start = (struct rule_date){ 'M', 0, 2, 3, 7200 };
		tz->end = (struct rule_date){ 'M', 0, 1, 11, 7200 };
		return 0;
	}
	if (*s != ',' || (s = posix_date(s + 1, &tz->start)) == NULL || *s != ',' ||
	    (s = posix_date(s + 1, &tz->end)) == NULL || *s != '\0')
		return -1;
	return 0;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds from 1970 to local midnight of the rule's day in year y. */
static int64_t
rule_day(int64_t y, const struct rule_date *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm;
	int64_t jan1, first, day;
	int wday, len;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mday = 1;
	jan1 = time_from_utc_tm(&tm) / 86400;
	if (d->kind == 'J')
		return (jan1 + d->day - 1 + (is_leap(y) && d->day >= 60)) * 86400;
	if (d->kind == 'n')
		return (jan1 + d->day) * 86400;
	tm.tm_mon = d->month - 1;
	first = time_from_utc_tm(&tm) / 86400;
	wday = (int)(((first + 4) % 7 + 7) % 7);	/* 1970-01-01: Thursday */
	day = (d->day - wday + 7) % 7 + (int64_t)(d->week - 1) * 7;
	len = mdays[d->month - 1] + (d->month == 2 && is_leap(y));
	while (day >= len)
		day -= 7;
	return (first + day) * 86400;
}

static int32_t
posix_offset(const struct posix_tz *tz, int64_t t)
{
	struct tm tm;
	int64_t y, start, end;

	if (!tz->has_dst)
		return tz->std;
	time_wall(t + tz->std, 0, &tm);
	y = (int64_t)tm.tm_year + 1900;
	start = rule_day(y, &tz->start) + tz->start.time - tz->std;
	end = rule_day(y, &tz->end) + tz->end.time - tz->dst;
	if (start < end)
		return t >= start && t < end ? tz->dst : tz->std;
	return t >= end && t < start ? tz->std : tz->dst;
}

/* A zone name we will open under the zoneinfo directory: no "..", no
 * leading "/", the characters IANA names use, not the leap-second set. */
static int
zone_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '/' || *name == '.' || strlen(name) > 255 ||
	    strstr(name, "..") != NULL || strstr(name, "/.") != NULL)
		return 0;
	/* right/ counts leap seconds in its transition times: not instants */
	if (strncmp(name, "right/", 6) == 0)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' ||
		    *p == '+'))
			return 0;
	return 1;
}

/* Parse a TZif file (version 2 or later: the 64-bit data and the footer). */
static int
tzif_parse(const unsigned char *b, size_t len, struct zone *z)
{
	size_t isutc, isstd, leap, timecnt, typecnt, charcnt, skip, i;
	const unsigned char *p, *end = b + len;
	char *footer;

	if (len < 44 || memcmp(b, "TZif", 4) != 0 || b[4] < '2')
		return -1;
	/* skip the version 1 block */
	isutc = (size_t)be(b + 20, 4); isstd = (size_t)be(b + 24, 4);
	leap = (size_t)be(b + 28, 4); timecnt = (size_t)be(b + 32, 4);
	typecnt = (size_t)be(b + 36, 4); charcnt = (size_t)be(b + 40, 4);
	skip = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc;
	if (skip + 44 > len || memcmp(b + skip, "TZif", 4) != 0)
		return -1;
	p = b + skip;
	isutc = (size_t)be(p + 20, 4); isstd = (size_t)be(p + 24, 4);
	leap = (size_t)be(p + 28, 4); timecnt = (size_t)be(p + 32, 4);
	typecnt = (size_t)be(p + 36, 4); charcnt = (size_t)be(p + 40, 4);
	p += 44;
	if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 100000 ||
	    charcnt > 100000 || isstd > 256 || isutc > 256 ||
	    (size_t)(end - p) < timecnt * 9 + typecnt * 6 + charcnt + leap * 12 +
	    isstd + isutc)
		return -1;
	z->ntrans = timecnt;
	z->trans = xcalloc(timecnt + 1, sizeof(*z->trans));
	z->idx = xcalloc(timecnt + 1, 1);
	for (i = 0; i < timecnt; i++)
		z->trans[i] = be(p + 8 * i, 8);
	p += 8 * timecnt;
	for (i = 0; i < timecnt; i++) {
		if (p[i] >= typecnt)
			return -1;
		z->idx[i] = p[i];
	}
	p += timecnt;
	z->ntypes = typecnt;
	z->utoff = xcalloc(typecnt, sizeof(*z->utoff));
	for (i = 0; i < typecnt; i++)
		z->utoff[i] = (int32_t)be(p + 6 * i, 4);
	p += typecnt * 6 + charcnt + leap * 12 + isstd + isutc;
	if (p < end && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));

		if (nl != NULL && nl > p + 1) {
			footer = xmalloc((size_t)(nl - p));
			memcpy(footer, p + 1, (size_t)(nl - p - 1));
			footer[nl - p - 1] = '\0';
			z->has_rule = posix_parse(footer, &z->rule) == 0;
			free(footer);
		}
	}
	return 0;
}

static struct zone *
zone_get(const char *name)
{
	const char *dir = getenv("TZDIR");
	struct zone z;
	unsigned char *buf = NULL;
	size_t i, len = 0, cap = 0;
	ssize_t r;
	char *path;
	int fd;

	for (i = 0; i < nzonecache; i++)
		if (strcmp(zonecache[i].name, name) == 0)
			return zonecache[i].ntypes > 0 ? &zonecache[i] : NULL;
	memset(&z, 0, sizeof(z));
	z.name = xstrdup(name);
	if (zone_name_ok(name)) {
		path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		while (fd >= 0) {
			if (len == cap) {
				cap = cap ? cap * 2 : 4096;
				if (cap > (1u << 22))
					break;
				buf = xrealloc(buf, cap);
			}
			if ((r = read(fd, buf + len, cap - len)) <= 0)
				break;
			len += (size_t)r;
		}
		if (fd >= 0)
			close(fd);
		if (buf != NULL && tzif_parse(buf, len, &z) < 0) {
			free(z.trans);
			free(z.idx);
			free(z.utoff);
			z.trans = NULL;
			z.idx = NULL;
			z.utoff = NULL;
			z.ntypes = 0;
		}
		free(buf);
	}
	zonecache = xrealloc(zonecache, (nzonecache + 1) * sizeof(*zonecache));
	zonecache[nzonecache] = z;
	return z.ntypes > 0 ? &zonecache[nzonecache++] : (nzonecache++, NULL);
}

static int32_t
zone_offset_secs(const struct zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_rule)
			return posix_offset(&z->rule, t);
		if (z->ntrans == 0)
			return z->utoff[0];
	}
	if (t < z->trans[0])
		return z->utoff[0];
	while (hi - lo > 1) {	/* the last transition at or before t */
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

int
tz_offset(const char *zone, int64_t utc, int32_t *off)
{
	struct zone *z = zone_get(zone);

	if (z == NULL)
		return -1;
	*off = zone_offset_secs(z, utc) / 60;
	return 0;
}

int
tz_from_wall(const char *zone, int64_t wall, int64_t *utc, int32_t *off)
{
	struct zone *z = zone_get(zone);
	int32_t before, after;

	if (z == NULL)
		return -1;
	before = zone_offset_secs(z, wall - 86400);
	after = zone_offset_secs(z, wall + 86400);
	if (zone_offset_secs(z, wall - before) == before) {
		*utc = wall - before;
	} else if (zone_offset_secs(z, wall - after) == after) {
		*utc = wall - after;
	} else {
		/* in a gap: the clock read with the offset before it, which
		 * lands past the change (02:30 becomes 03:30) */
		*utc = wall - before;
	}
	*off = zone_offset_secs(z, *utc) / 60;
	return 0;
}
