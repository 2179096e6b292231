/*
 * tests/fuzz/png.c -- libFuzzer target for mem-exif's PNG writer: the input,
 * as a file, gets an EXIF block with every tag mem-exif writes; the output
 * must hold exactly one eXIf chunk and be written again cleanly. Built by
 * scripts/fuzz against libmem.a; the tool's own files are included here.
 */
#include "../../tools/mem-exif/bytes.c"	/* first: it defines _GNU_SOURCE */
#include "../../tools/mem-exif/plan.c"
#include "../../tools/mem-exif/tiff.c"
#include "../../tools/mem-exif/png.c"

#include <sys/mman.h>

static char	*dir;

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *dst, *again;
	struct meta m;
	struct stat st;
	const char *why;
	int fd, fd2;

	if (dir == NULL) {
		char tmpl[] = "/tmp/mem-fuzz-png.XXXXXX";

		if (mkdtemp(tmpl) == NULL)
			abort();
		dir = xstrdup(tmpl);
	}
	dst = xasprintf("%s/out.png", dir);
	again = xasprintf("%s/again.png", dir);
	memset(&m, 0, sizeof(m));
	m.has_time = 1;
	m.time = 1673771445;
	m.offset_min = n % 2 ? 120 : OFFSET_UNKNOWN;
	m.has_gps = 1;
	m.lat = 48.8584;
	m.lon = 2.2945;
	m.caption = "Caf\xc3\xa9";
	m.overwrite = n % 3 == 0;
	if ((fd = memfd_create("png", 0)) < 0 || (n > 0 && write(fd, d, n) != (ssize_t)n))
		abort();
	if (png_write(fd, (off_t)n, dst, &m, &why) == 0) {
		if ((fd2 = open(dst, O_RDONLY)) < 0 || fstat(fd2, &st) < 0)
			abort();
		if (png_write(fd2, st.st_size, again, &m, &why) < 0)
			abort();	/* what we wrote must read again */
		close(fd2);
	}
	close(fd);
	free(dst);
	free(again);
	return 0;
}
