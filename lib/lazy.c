/*
 * lazy.c -- libarchive and libzip, loaded at the first archive member.
 *
 * lib/source.c and mem-scan read members of zip and tar archives; but the
 * two libraries and what they pull in (libxml2, ICU, libstdc++, libcrypto,
 * nettle...) cost 3.3 ms of dynamic linking at every start, where cp
 * starts in 0.9 ms and unzip -Z1 lists a part in 2: more than the rest of
 * the work of many runs. So libmem defines the functions the tools call
 * (lazy.h); the linker takes these before the libraries, and --as-needed
 * then leaves the libraries out of the executables. Each one loads its
 * library by the soname it was built against (the Makefile passes them)
 * and calls the real function, so a run without archives never loads
 * them. A function a tool starts to call and this file lacks is linked
 * the usual way (correct, only slower to start; tests check that mem-exif
 * and mem-scan need neither library).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zip.h>

#include "lazy.h"
#include "mem.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *
lazy_sym(struct lazy_lib *lib, const char *name)
{
	void *sym;
	int e;

	if ((e = pthread_mutex_lock(&lock)) != 0)
		die(2, "%s: %s", lib->soname, strerror(e));
	if (lib->handle == NULL &&
	    (lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_GLOBAL)) == NULL)
		die(2, "cannot load %s: %s", lib->soname, dlerror());
	if ((sym = dlsym(lib->handle, name)) == NULL)
		die(2, "%s: no %s: %s", lib->soname, name, dlerror());
	if ((e = pthread_mutex_unlock(&lock)) != 0)
		die(2, "%s: %s", lib->soname, strerror(e));
	return sym;
}

/* The sonames the build linked against, from the Makefile. */
_Static_assert(sizeof(SONAME_ARCHIVE) > 1 && sizeof(SONAME_ZIP) > 1,
    "the Makefile found no soname for libarchive or libzip");
static struct lazy_lib libarchive = { SONAME_ARCHIVE, NULL };
static struct lazy_lib libzip = { SONAME_ZIP, NULL };

LAZY(libarchive, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
LAZY(libarchive, int, archive_entry_is_encrypted, (struct archive_entry *e), (e))
LAZY(libarchive, time_t, archive_entry_mtime, (struct archive_entry *e), (e))
LAZY(libarchive, int, archive_entry_mtime_is_set, (struct archive_entry *e), (e))
LAZY(libarchive, const char *, archive_entry_pathname, (struct archive_entry *e), (e))
LAZY(libarchive, la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
LAZY(libarchive, int, archive_entry_size_is_set, (struct archive_entry *e), (e))
LAZY(libarchive, const char *, archive_error_string, (struct archive *a), (a))
LAZY(libarchive, la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n))
LAZY(libarchive, la_ssize_t, archive_read_data, (struct archive *a, void *buf, size_t n), (a, buf, n))
LAZY(libarchive, int, archive_read_free, (struct archive *a), (a))
LAZY(libarchive, struct archive *, archive_read_new, (void), ())
LAZY(libarchive, int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
LAZY(libarchive, int, archive_read_open_filename, (struct archive *a, const char *path, size_t block),
    (a, path, block))
LAZY(libarchive, int, archive_read_support_filter_all, (struct archive *a), (a))
LAZY(libarchive, int, archive_read_support_format_gnutar, (struct archive *a), (a))
LAZY(libarchive, int, archive_read_support_format_tar, (struct archive *a), (a))

LAZY(libzip, int, zip_compression_method_supported, (zip_int32_t method, int compress),
    (method, compress))
LAZY_VOID(libzip, zip_discard, (zip_t *za), (za))
LAZY(libzip, int, zip_error_code_zip, (const zip_error_t *err), (err))
LAZY_VOID(libzip, zip_error_fini, (zip_error_t *err), (err))
LAZY_VOID(libzip, zip_error_init, (zip_error_t *err), (err))
LAZY_VOID(libzip, zip_error_init_with_code, (zip_error_t *err, int code), (err, code))
LAZY(libzip, const char *, zip_error_strerror, (zip_error_t *err), (err))
LAZY(libzip, int, zip_fclose, (zip_file_t *zf), (zf))
LAZY(libzip, zip_error_t *, zip_file_get_error, (zip_file_t *zf), (zf))
LAZY(libzip, zip_file_t *, zip_fopen_index, (zip_t *za, zip_uint64_t i, zip_flags_t f), (za, i, f))
LAZY(libzip, zip_int64_t, zip_fread, (zip_file_t *zf, void *buf, zip_uint64_t n), (zf, buf, n))
LAZY(libzip, const char *, zip_get_name, (zip_t *za, zip_uint64_t i, zip_flags_t f), (za, i, f))
LAZY(libzip, zip_int64_t, zip_get_num_entries, (zip_t *za, zip_flags_t f), (za, f))
LAZY(libzip, zip_int64_t, zip_name_locate, (zip_t *za, const char *name, zip_flags_t f),
    (za, name, f))
LAZY(libzip, zip_t *, zip_open, (const char *path, int flags, int *err), (path, flags, err))
LAZY(libzip, zip_t *, zip_open_from_source, (zip_source_t *src, int flags, zip_error_t *err),
    (src, flags, err))
LAZY_VOID(libzip, zip_source_free, (zip_source_t *src), (src))
LAZY(libzip, int, zip_stat_index, (zip_t *za, zip_uint64_t i, zip_flags_t f, zip_stat_t *st),
    (za, i, f, st))
LAZY_VOID(libzip, zip_stat_init, (zip_stat_t *st), (st))
LAZY(libzip, const char *, zip_strerror, (zip_t *za), (za))
LAZY_VOID(libzip, zip_error_set, (zip_error_t *err, int ze, int se), (err, ze, se))
LAZY(libzip, zip_int64_t, zip_error_to_data, (const zip_error_t *err, void *data, zip_uint64_t n),
    (err, data, n))
LAZY(libzip, const zip_uint8_t *, zip_file_extra_field_get_by_id,
    (zip_t *za, zip_uint64_t i, zip_uint16_t id, zip_uint16_t k, zip_uint16_t *len, zip_flags_t f),
    (za, i, id, k, len, f))
LAZY(libzip, int, zip_file_get_external_attributes,
    (zip_t *za, zip_uint64_t i, zip_flags_t f, zip_uint8_t *os, zip_uint32_t *attr),
    (za, i, f, os, attr))
LAZY(libzip, const char *, zip_file_strerror, (zip_file_t *zf), (zf))
LAZY(libzip, zip_int8_t, zip_fseek, (zip_file_t *zf, zip_int64_t off, int whence),
    (zf, off, whence))
LAZY(libzip, int, zip_source_close, (zip_source_t *src), (src))
LAZY(libzip, zip_error_t *, zip_source_error, (zip_source_t *src), (src))
LAZY(libzip, zip_source_t *, zip_source_function_create,
    (zip_source_callback cb, void *ud, zip_error_t *err), (cb, ud, err))
LAZY(libzip, int, zip_source_open, (zip_source_t *src), (src))
LAZY(libzip, zip_int64_t, zip_source_read, (zip_source_t *src, void *buf, zip_uint64_t n),
    (src, buf, n))
LAZY(libzip, zip_int64_t, zip_source_seek_compute_offset,
    (zip_uint64_t off, zip_uint64_t len, void *data, zip_uint64_t n, zip_error_t *err),
    (off, len, data, n, err))
LAZY(libzip, zip_source_t *, zip_source_zip,
    (zip_t *za, zip_t *src, zip_uint64_t i, zip_flags_t f, zip_uint64_t start, zip_int64_t len),
    (za, src, i, f, start, len))
LAZY(libzip, int, zip_close, (zip_t *za), (za))
