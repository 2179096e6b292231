/*
 * record.c -- the input of a tool that takes item records or plain media
 * paths alike (mem-advise, mem-loudnorm, mem-upload): tell them apart,
 * load the record, and find its output under OUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

/*
 * Opened without blocking and refused unless a regular file: a FIFO or a
 * device named by mistake must cost one item, not hang the run (a plain
 * open and read of a FIFO waits for a writer forever).
 */
int
item_or_path(struct item *it, const char *path, const char **why)
{
	char magic[sizeof(ITEM_MAGIC)];
	struct stat st;
	ssize_t n;
	int fd, e;

	item_init(it);
	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) < 0)
		*why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	if (*why != NULL) {
		close(fd);
		return -1;
	}
	do
		n = read(fd, magic, sizeof(magic));
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0) {
		*why = strerror(e);
		return -1;
	}
	if (n < 0 || !item_has_magic(magic, (size_t)n))
		return 0;
	if (item_load(it, path, why) < 0) {
		if (*why == NULL)
			*why = strerror(errno);
		return -1;
	}
	return 1;
}

char *
item_dest(const struct item *it, const char *outdir, const char **why)
{
	if (it->dest == NULL || it->dest[0] == '\0') {
		*why = "the record has no dest (mem-scan -o OUT writes it)";
		return NULL;
	}
	if (!path_inside(it->dest)) {
		*why = "the record has a bad dest (absolute, or leaving OUT)";
		return NULL;
	}
	return xasprintf("%s/%s", outdir, it->dest);
}
