/* Unit tests of lib/path.c and lib/record.c: path parts, dest checks, the
 * path-or-record resolver. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "tap.h"

static void
write_file(const char *path, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) < 0)
		die_errno(2, "%s", path);
}

int
main(void)
{
	static const char *inside[] = { "a", "a/b.jpg", "exp/Google Voice/x.mp3",
	    "..a", "a..", ".hidden/x", "a/.b" };
	static const char *outside[] = { "", "/abs", "..", "../x", "a/../b", "a/..",
	    ".", "./a", "a/./b", "a//b", "a/", "/" };
	static const char rec[] = "mem-item=1\0source=/in/x.jpg\0dest=e/x.jpg\0";
	static const char bad[] = "mem-item=1\0dest=e/x.jpg\0";
	char dir[] = "/tmp/mem-unit-path.XXXXXX", *p, *d;
	const char *why;
	struct item it;
	size_t i;

	ok(strcmp(path_base("a/b/c.jpg"), "c.jpg") == 0, "base of a/b/c.jpg");
	ok(strcmp(path_base("c.jpg"), "c.jpg") == 0, "base without a slash");
	ok(strcmp(path_base("a/"), "") == 0, "base of a trailing slash is empty");
	ok(strcmp(path_ext("a/b.c/d.JPG"), "JPG") == 0, "extension of the base only");
	ok(strcmp(path_ext("a/b.c/d"), "") == 0, "no extension: a dot in a directory");
	ok(strcmp(path_ext("x."), "") == 0, "a trailing dot is no extension");
	ok(strcmp(path_ext("a.tar.gz"), "gz") == 0, "the last extension");
	for (i = 0; i < LEN(inside); i++)
		ok(path_inside(inside[i]), "\"%s\" stays inside", inside[i]);
	for (i = 0; i < LEN(outside); i++)
		ok(!path_inside(outside[i]), "\"%s\" is refused", outside[i]);

	if (mkdtemp(dir) == NULL)
		die_errno(2, "mkdtemp");
	p = xasprintf("%s/r.item", dir);
	write_file(p, rec, sizeof(rec) - 1);
	ok(item_or_path(&it, p, &why) == 1 && strcmp(it.source, "/in/x.jpg") == 0,
	    "a record is loaded");
	d = item_dest(&it, "/out", &why);
	ok(d != NULL && strcmp(d, "/out/e/x.jpg") == 0, "its dest is under OUT");
	free(d);
	item_set(&it.dest, "../x.jpg");
	ok(item_dest(&it, "/out", &why) == NULL && strstr(why, "bad dest") != NULL,
	    "a dest leaving OUT is refused");
	item_set(&it.dest, NULL);
	ok(item_dest(&it, "/out", &why) == NULL && strstr(why, "no dest") != NULL,
	    "a record without dest is refused");
	item_free(&it);
	write_file(p, bad, sizeof(bad) - 1);
	ok(item_or_path(&it, p, &why) == -1 && strcmp(why, "record has no source") == 0,
	    "a bad record says why");
	write_file(p, "mem-item", 8);
	ok(item_or_path(&it, p, &why) == 0, "a short file is a plain path");
	unlink(p);
	ok(item_or_path(&it, p, &why) == -1 && strcmp(why, "No such file or directory") == 0,
	    "a missing file gives strerror");
	free(p);
	p = xasprintf("%s/fifo", dir);
	if (mkfifo(p, 0666) < 0)
		die_errno(2, "%s", p);
	ok(item_or_path(&it, p, &why) == -1 && strcmp(why, "not a regular file") == 0,
	    "a FIFO is refused without blocking");
	ok(item_sniff(p) != 1, "item_sniff of a FIFO returns without a writer");
	unlink(p);
	free(p);
	ok(item_or_path(&it, dir, &why) == -1 && strcmp(why, "not a regular file") == 0,
	    "a directory is refused");
	rmdir(dir);
	return done();
}
