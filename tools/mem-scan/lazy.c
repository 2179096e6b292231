/*
 * lazy.c -- SQLite and libxml2, loaded at their first use.
 *
 * Only iMessage exports (chat.db, sms.db) need SQLite and only Snapchat's
 * and Google Voice's HTML libxml2, and linking them costs every start its
 * share of the dynamic linking (lib/lazy.c says why that matters); so
 * mem-scan defines the functions it calls, and they load the library by
 * the soname the build linked against at their first call.
 */
#include <stddef.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <sqlite3.h>

#include "lazy.h"
#include "mem.h"
#include "mem-scan.h"

_Static_assert(sizeof(SONAME_SQLITE) > 1, "the Makefile found no soname for libsqlite3");
static struct lazy_lib libsqlite = { SONAME_SQLITE, NULL };

LAZY(libsqlite, int, sqlite3_bind_text,
    (sqlite3_stmt *st, int i, const char *s, int n, void (*del)(void *)), (st, i, s, n, del))
LAZY(libsqlite, int, sqlite3_busy_timeout, (sqlite3 *db, int ms), (db, ms))
LAZY(libsqlite, int, sqlite3_close, (sqlite3 *db), (db))
LAZY(libsqlite, const void *, sqlite3_column_blob, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, int, sqlite3_column_bytes, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, int, sqlite3_column_int, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, const unsigned char *, sqlite3_column_text, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, int, sqlite3_column_type, (sqlite3_stmt *st, int i), (st, i))
LAZY(libsqlite, int, sqlite3_deserialize,
    (sqlite3 *db, const char *schema, unsigned char *data, sqlite3_int64 n,
    sqlite3_int64 cap, unsigned flags), (db, schema, data, n, cap, flags))
LAZY(libsqlite, const char *, sqlite3_errmsg, (sqlite3 *db), (db))
LAZY(libsqlite, const char *, sqlite3_errstr, (int rc), (rc))
LAZY(libsqlite, int, sqlite3_finalize, (sqlite3_stmt *st), (st))
LAZY(libsqlite, void *, sqlite3_malloc64, (sqlite3_uint64 n), (n))
LAZY(libsqlite, int, sqlite3_open_v2, (const char *path, sqlite3 **db, int flags, const char *vfs),
    (path, db, flags, vfs))
LAZY(libsqlite, int, sqlite3_prepare_v2,
    (sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail),
    (db, sql, n, st, tail))
LAZY(libsqlite, int, sqlite3_step, (sqlite3_stmt *st), (st))

/*
 * libxml2 (Snapchat's and Google Voice's HTML), and through it ICU and
 * libstdc++: the largest share of the dynamic linking left, for two
 * platforms' exports.
 */
_Static_assert(sizeof(SONAME_XML) > 1, "the Makefile found no soname for libxml2");
static struct lazy_lib libxml = { SONAME_XML, NULL };

LAZY(libxml, htmlDocPtr, htmlReadMemory,
    (const char *buf, int n, const char *url, const char *encoding, int options),
    (buf, n, url, encoding, options))
LAZY(libxml, xmlNodePtr, xmlDocGetRootElement, (const xmlDoc *doc), (doc))
LAZY_VOID(libxml, xmlFreeDoc, (xmlDocPtr doc), (doc))
LAZY(libxml, xmlChar *, xmlGetProp, (const xmlNode *node, const xmlChar *name), (node, name))
LAZY(libxml, xmlChar *, xmlNodeGetContent, (const xmlNode *node), (node))
LAZY(libxml, int, xmlStrcasecmp, (const xmlChar *a, const xmlChar *b), (a, b))

/*
 * xmlFree is a variable of libxml2 (the free function it was set up with),
 * and a program that names a library's variable is linked against the
 * library to copy it: so what libxml2 returned is freed through here.
 */
void
xml_free(void *p)
{
	static _Atomic(void *) addr;
	void *v = atomic_load_explicit(&addr, memory_order_acquire);

	if (v == NULL) {
		v = lazy_sym(&libxml, "xmlFree");
		atomic_store_explicit(&addr, v, memory_order_release);
	}
	(*(xmlFreeFunc *)v)(p);
}
