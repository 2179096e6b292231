/*
 * lazy.c -- libarchive and libzip, loaded at the first archive member.
 *
 * lib/source.c reads members of zip and tar archives, and mem-exif links
 * it; but the two libraries and what they pull in (libxml2, ICU,
 * libstdc++, libcrypto, nettle...) cost 3.3 ms of dynamic linking at every
 * start, where cp starts in 0.9 ms and copies 30 phone photos in 35 ms:
 * a tenth of the budget before the first file. So mem-exif defines the
 * functions source.c calls; the linker takes these before the libraries,
 * and --as-needed then leaves the libraries out of the executable. Each
 * one loads its library by the soname it was built against (the Makefile
 * passes them) and calls the real function, so a run without archives
 * never loads them. A function source.c starts to call and this file
 * lacks is linked the usual way (correct, only slower to start; a test
 * checks that mem-exif needs neither library).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>
#include <zip.h>

#include "mem.h"

/* The sonames the build linked against, from the Makefile. */
static const char *const sonames[] = { SONAME_ARCHIVE, SONAME_ZIP };
_Static_assert(sizeof(SONAME_ARCHIVE) > 1 && sizeof(SONAME_ZIP) > 1,
    "the Makefile found no soname for libarchive or libzip");

/* The address of name in library lib; a library that cannot be loaded
 * is fatal, as it is to the dynamic linker at start. */
static void *
lazy_sym(int lib, const char *name)
{
	static void *handle[2];
	void *sym;

	if (handle[lib] == NULL &&
	    (handle[lib] = dlopen(sonames[lib], RTLD_NOW | RTLD_GLOBAL)) == NULL)
		die(2, "cannot load %s: %s", sonames[lib], dlerror());
	if ((sym = dlsym(handle[lib], name)) == NULL)
		die(2, "%s: no %s: %s", sonames[lib], name, dlerror());
	return sym;
}

/* A function of lib: its pointer is looked up once, at its first call. */
#define LAZY(lib, type, name, params, args)				\
type									\
name params								\
{									\
	static type (*fn) params;					\
									\
	if (fn == NULL)							\
		*(void **)&fn = lazy_sym(lib, #name);			\
	return fn args;							\
}

#define LAZY_VOID(lib, name, params, args)				\
void									\
name params								\
{									\
	static void (*fn) params;					\
									\
	if (fn == NULL)							\
		*(void **)&fn = lazy_sym(lib, #name);			\
	fn args;							\
}

#define A 0
LAZY(A, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
LAZY(A, int, archive_entry_is_encrypted, (struct archive_entry *e), (e))
LAZY(A, time_t, archive_entry_mtime, (struct archive_entry *e), (e))
LAZY(A, int, archive_entry_mtime_is_set, (struct archive_entry *e), (e))
LAZY(A, const char *, archive_entry_pathname, (struct archive_entry *e), (e))
LAZY(A, la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
LAZY(A, int, archive_entry_size_is_set, (struct archive_entry *e), (e))
LAZY(A, const char *, archive_error_string, (struct archive *a), (a))
LAZY(A, la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n))
LAZY(A, la_ssize_t, archive_read_data, (struct archive *a, void *buf, size_t n), (a, buf, n))
LAZY(A, int, archive_read_free, (struct archive *a), (a))
LAZY(A, struct archive *, archive_read_new, (void), ())
LAZY(A, int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
LAZY(A, int, archive_read_open_filename, (struct archive *a, const char *path, size_t block),
    (a, path, block))
LAZY(A, int, archive_read_support_filter_all, (struct archive *a), (a))
LAZY(A, int, archive_read_support_format_gnutar, (struct archive *a), (a))
LAZY(A, int, archive_read_support_format_tar, (struct archive *a), (a))

#define Z 1
LAZY(Z, int, zip_compression_method_supported, (zip_int32_t method, int compress),
    (method, compress))
LAZY_VOID(Z, zip_discard, (zip_t *za), (za))
LAZY(Z, int, zip_error_code_zip, (const zip_error_t *err), (err))
LAZY_VOID(Z, zip_error_fini, (zip_error_t *err), (err))
LAZY_VOID(Z, zip_error_init, (zip_error_t *err), (err))
LAZY_VOID(Z, zip_error_init_with_code, (zip_error_t *err, int code), (err, code))
LAZY(Z, const char *, zip_error_strerror, (zip_error_t *err), (err))
LAZY(Z, int, zip_fclose, (zip_file_t *zf), (zf))
LAZY(Z, zip_error_t *, zip_file_get_error, (zip_file_t *zf), (zf))
LAZY(Z, zip_file_t *, zip_fopen_index, (zip_t *za, zip_uint64_t i, zip_flags_t f), (za, i, f))
LAZY(Z, zip_int64_t, zip_fread, (zip_file_t *zf, void *buf, zip_uint64_t n), (zf, buf, n))
LAZY(Z, const char *, zip_get_name, (zip_t *za, zip_uint64_t i, zip_flags_t f), (za, i, f))
LAZY(Z, zip_int64_t, zip_get_num_entries, (zip_t *za, zip_flags_t f), (za, f))
LAZY(Z, zip_int64_t, zip_name_locate, (zip_t *za, const char *name, zip_flags_t f),
    (za, name, f))
LAZY(Z, zip_t *, zip_open, (const char *path, int flags, int *err), (path, flags, err))
LAZY(Z, zip_t *, zip_open_from_source, (zip_source_t *src, int flags, zip_error_t *err),
    (src, flags, err))
LAZY_VOID(Z, zip_source_free, (zip_source_t *src), (src))
LAZY(Z, int, zip_stat_index, (zip_t *za, zip_uint64_t i, zip_flags_t f, zip_stat_t *st),
    (za, i, f, st))
LAZY_VOID(Z, zip_stat_init, (zip_stat_t *st), (st))
LAZY(Z, const char *, zip_strerror, (zip_t *za), (za))
