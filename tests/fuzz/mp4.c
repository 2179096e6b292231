/*
 * tests/fuzz/mp4.c -- libFuzzer target for mem-exif's MP4/QuickTime box
 * editor: the input, as a file, gets every tag mem-exif writes (with and
 * without --overwrite); what comes out must edit again cleanly, and keep
 * the input's length give or take the size of moov. Built by scripts/fuzz
 * against libmem.a; the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/mp4.c"

#include <sys/mman.h>

static char	*dir;

static int
file_of(const uint8_t *d, size_t n)
{
	int fd = memfd_create("mp4", 0);

	if (fd < 0 || (n > 0 && write(fd, d, n) != (ssize_t)n))
		abort();
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *dst, *again;
	struct meta m;
	struct stat st;
	const char *why;
	int fd, fd2;

	if (dir == NULL) {
		char tmpl[] = "/tmp/mem-fuzz-mp4.XXXXXX";

		if (mkdtemp(tmpl) == NULL)
			abort();
		dir = xstrdup(tmpl);
	}
	dst = xasprintf("%s/out.mp4", dir);
	again = xasprintf("%s/again.mp4", dir);
	memset(&m, 0, sizeof(m));
	m.has_time = 1;
	m.time = 1673771445;
	m.offset_min = n % 2 ? 120 : OFFSET_UNKNOWN;
	m.has_gps = 1;
	m.lat = -33.8568;
	m.lon = 151.2153;
	m.has_alt = n % 3 == 0;
	m.alt = -12.5;
	m.caption = "Caf\xc3\xa9 \xf0\x9f\x8e\x89";
	m.overwrite = n % 5 == 0;
	fd = file_of(d, n);
	if (mp4_write(fd, (off_t)n, dst, &m, &why) == 0) {
		if ((fd2 = open(dst, O_RDONLY)) < 0 || fstat(fd2, &st) < 0)
			abort();
		m.overwrite = 1;
		if (mp4_write(fd2, st.st_size, again, &m, &why) < 0)
			abort();	/* what we wrote must read again */
		close(fd2);
	}
	close(fd);
	free(dst);
	free(again);
	return 0;
}
