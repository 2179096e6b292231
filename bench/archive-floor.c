/*
 * archive-floor -- what the libraries alone cost for the work a scan of
 * zip parts cannot leave out (issue 16), for bench/archive-scan: the
 * parts' central directories listed (libzip: zip_open, every member's
 * name and stat), then, unless -l, every .json member read whole (its
 * raw bytes through libzip, inflated by libdeflate, as mem-scan reads a
 * small member) and every other member's first 4 KiB (an EXIF head);
 * with -j each sidecar is parsed too, by jansson, as mem-scan parses it.
 * Nothing else: no EXIF parsed, no sidecar matched, no record. A thread a part at a time, on as
 * many threads as CPUs (at most 8), as mem-scan reads them, with TZ set
 * as mem-scan sets it (lib/source.c: libzip's mktime of each member's
 * DOS time would otherwise stat /etc/localtime under glibc's lock, and
 * the threads wait on each other). Prints the bytes it got, so the reads
 * cannot be left out.
 * Usage: archive-floor [-l | -j] PART...
 */
#include <jansson.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define HEAD	4096
#define MAXJSON	(1 << 20)

static char **parts;
static int nparts, nextpart, listonly, parse;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int
is_json(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* The bytes of member i that a scan reads, or -1. */
static long
member(zip_t *z, zip_int64_t i, const zip_stat_t *st, struct libdeflate_decompressor *d,
    unsigned char *raw, unsigned char *buf)
{
	zip_file_t *f;
	zip_int64_t r;
	json_t *j;
	size_t n;
	int json = is_json(st->name);

	if (json && (st->comp_size > MAXJSON || st->size > MAXJSON))
		return -1;
	if (json && st->comp_method == ZIP_CM_DEFLATE) {
		if ((f = zip_fopen_index(z, (zip_uint64_t)i, ZIP_FL_COMPRESSED)) == NULL)
			return -1;
		r = zip_fread(f, raw, st->comp_size);
		zip_fclose(f);
		if (r < 0 || libdeflate_deflate_decompress(d, raw, (size_t)r, buf, MAXJSON,
		    &n) != LIBDEFLATE_SUCCESS)
			return -1;
		if (parse && (j = json_loadb((const char *)buf, n, 0, NULL)) != NULL) {
			n += json_object_size(j);
			json_decref(j);
		}
		return (long)n;
	}
	if ((f = zip_fopen_index(z, (zip_uint64_t)i, 0)) == NULL)
		return -1;
	r = zip_fread(f, buf, json ? MAXJSON : HEAD);
	zip_fclose(f);
	return (long)r;
}

static void *
reader(void *arg)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	unsigned char *raw = malloc(MAXJSON), *buf = malloc(MAXJSON);
	long *got = arg, r;
	zip_int64_t i, n;
	zip_stat_t st;
	zip_t *z;
	int k, err;

	if (d == NULL || raw == NULL || buf == NULL) {
		fputs("archive-floor: out of memory\n", stderr);
		exit(2);
	}
	for (;;) {
		pthread_mutex_lock(&mu);
		k = nextpart++;
		pthread_mutex_unlock(&mu);
		if (k >= nparts)
			break;
		if ((z = zip_open(parts[k], ZIP_RDONLY, &err)) == NULL) {
			fprintf(stderr, "archive-floor: %s: cannot open (libzip error %d)\n",
			    parts[k], err);
			exit(2);
		}
		n = zip_get_num_entries(z, 0);
		for (i = 0; i < n; i++) {
			if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0)
				continue;
			*got += (long)strlen(st.name);
			if (!listonly && (r = member(z, i, &st, d, raw, buf)) > 0)
				*got += r;
		}
		zip_discard(z);
	}
	libdeflate_free_decompressor(d);
	free(raw);
	free(buf);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t th[8];
	long got[8] = { 0 }, total = 0, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nt = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu, i;

	if (argc > 1 && (strcmp(argv[1], "-l") == 0 || strcmp(argv[1], "-j") == 0)) {
		listonly = argv[1][1] == 'l';
		parse = argv[1][1] == 'j';
		argv++;
		argc--;
	}
	json_object_seed(0);	/* before threads, as jansson asks */
	parts = argv + 1;
	nparts = argc - 1;
	if (getenv("TZ") == NULL && setenv("TZ", ":/etc/localtime", 0) == 0)
		tzset();
	for (i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, reader, &got[i]) != 0) {
			fputs("archive-floor: cannot start a thread\n", stderr);
			return 2;
		}
	for (i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		total += got[i];
	}
	if (printf("%ld\n", total) < 0 || fflush(stdout) == EOF)
		return 2;
	return 0;
}
