/*
 * tests/fuzz/writer.h -- what the targets of mem-exif's file writers share
 * (mp4.c, png.c): the input as a file, outputs in a directory made once a
 * run, and the rule that what a writer wrote must be written again cleanly.
 * Included after the tool's sources (they define _GNU_SOURCE first).
 */
#include <sys/mman.h>

/*
 * Write the input (as an unnamed file, after pad bytes of 0xFF and before
 * as many: a span of it, as a stored zip member is read, when pad > 0)
 * with m into DIR/out.EXT with write_fn (mp4_write, png_write); when that
 * succeeds, write the output again into DIR/again.EXT, with m->overwrite
 * set when overwrite_again says so, and abort if that fails.
 */
static void
write_again(int (*write_fn)(const struct source *, const char *, const struct meta *,
    const char **), const char *ext, const uint8_t *d, size_t n, struct meta *m,
    int overwrite_again, size_t pad)
{
	static char *dir;
	static const unsigned char ff[64] = { [0 ... 63] = 0xFF };
	struct source s, s2;
	char *dst, *again;
	struct stat st;
	const char *why;
	int fd, fd2;

	if (dir == NULL) {
		char tmpl[] = "/tmp/mem-fuzz-writer.XXXXXX";

		if (mkdtemp(tmpl) == NULL)
			abort();
		dir = xstrdup(tmpl);
	}
	dst = xasprintf("%s/out.%s", dir, ext);
	again = xasprintf("%s/again.%s", dir, ext);
	if (pad > sizeof(ff) || (fd = memfd_create(ext, 0)) < 0 ||
	    write(fd, ff, pad) != (ssize_t)pad ||
	    (n > 0 && write(fd, d, n) != (ssize_t)n) || write(fd, ff, pad) != (ssize_t)pad)
		abort();
	memset(&s, 0, sizeof(s));
	s.name = ext;
	s.fd = fd;
	s.base = (off_t)pad;
	s.size = (off_t)n;
	if (write_fn(&s, dst, m, &why) == 0) {
		if ((fd2 = open(dst, O_RDONLY)) < 0 || fstat(fd2, &st) < 0)
			abort();
		if (overwrite_again)
			m->overwrite = 1;
		s2 = s;
		s2.fd = fd2;
		s2.base = 0;
		s2.size = st.st_size;
		if (write_fn(&s2, again, m, &why) < 0)
			abort();	/* what we wrote must read again */
		close(fd2);
	}
	close(fd);
	free(dst);
	free(again);
}
