/*
 * bytes.c -- byte I/O for every writer: write an output as pieces of memory and ranges of the source,
 * letting the kernel copy the ranges (copy_file_range), as cp does: the
 * image data of a photo never passes through this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "mem-exif.h"

int
read_at(int fd, off_t off, void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int
cached_reader(void *ctx, off_t off, void *out, size_t n)
{
	struct cached *c = ctx;
	ssize_t r;

	if (n > sizeof(c->buf))
		return read_at(c->fd, off, out, n);
	if (c->blen == 0 || off < c->boff || off + (off_t)n > c->boff + (off_t)c->blen) {
		do
			r = pread(c->fd, c->buf, sizeof(c->buf), off);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -1;
		c->boff = off;
		c->blen = (size_t)r;
		if (n > c->blen) {
			errno = EIO;
			return -1;
		}
	}
	memcpy(out, c->buf + (off - c->boff), n);
	return 0;
}

static int
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The portable way, for file systems copy_file_range does not serve. */
static int
copy_slow(int dst, int src, off_t off, size_t len)
{
	unsigned char buf[1 << 16];
	size_t n;

	while (len > 0) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (read_at(src, off, buf, n) < 0 || write_all(dst, buf, n) < 0)
			return -1;
		off += (off_t)n;
		len -= n;
	}
	return 0;
}

static int
copy_range(int dst, int src, off_t off, size_t len)
{
	static int no_cfr;
	loff_t in = off;
	ssize_t n;

	while (len > 0 && !no_cfr) {
		n = copy_file_range(src, &in, dst, NULL, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
		    errno == EOPNOTSUPP || errno == EBADF)) {
			no_cfr = errno != EXDEV;
			break;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;	/* the source shrank under us */
			return -1;
		}
		len -= (size_t)n;
	}
	/* across file systems (an archive member in memory, written to
	 * OUT), sendfile still copies page to page, not through us */
	while (len > 0) {
		n = sendfile(dst, src, &in, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len -= (size_t)n;
	}
	return copy_slow(dst, src, in, len);
}

int
pieces_write(int fd, const struct piece *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i].len == 0)
			continue;
		if (p[i].mem != NULL ? write_all(fd, p[i].mem, p[i].len) < 0 :
		    copy_range(fd, p[i].fd, p[i].off, p[i].len) < 0)
			return -1;
	}
	return 0;
}

static void
mtime_of(const struct meta *m, int srcfd, struct timespec ts[2])
{
	struct stat st;

	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	if (m->has_time) {
		ts[1].tv_sec = (time_t)m->time;
		ts[1].tv_nsec = 0;
	} else if (srcfd >= 0 && fstat(srcfd, &st) == 0) {
		ts[1] = st.st_mtim;
	} else {
		ts[1].tv_sec = 0;
		ts[1].tv_nsec = UTIME_OMIT;
	}
}

/* Capture instant when known, else the source's own mtime (cp -p). */
int
set_mtime_fd(int fd, const struct meta *m, int srcfd)
{
	struct timespec ts[2];

	mtime_of(m, srcfd, ts);
	return futimens(fd, ts);
}

int
set_mtime_path(const char *path, const struct meta *m, int srcfd)
{
	struct timespec ts[2];

	mtime_of(m, srcfd, ts);
	return utimensat(AT_FDCWD, path, ts, 0);
}

int
copy_plain(int srcfd, off_t size, const char *dst, const struct meta *m,
    const char **why)
{
	struct atomic a;
	struct piece p;

	if (atomic_open(&a, dst, "") < 0) {
		*why = why_errno(dst);
		return -1;
	}
	p.mem = NULL;
	p.fd = srcfd;
	p.off = 0;
	p.len = (size_t)size;
	if (pieces_write(a.fd, &p, 1) < 0 || set_mtime_fd(a.fd, m, srcfd) < 0) {
		atomic_abort(&a);
		goto fail;
	}
	if (atomic_commit(&a) < 0)
		goto fail;
	return 0;
fail:
	*why = why_errno(dst);
	return -1;
}

/* Big-endian 32-bit fields: PNG chunks and MP4 boxes. */
uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Write the pieces to a temp file beside dst, give it its mtime, rename. */
int
pieces_commit(const char *dst, const struct piece *p, size_t n, const struct meta *m,
    int srcfd, const char **why)
{
	struct atomic a;

	if (atomic_open(&a, dst, "") < 0) {
		*why = why_errno(dst);
		return -1;
	}
	if (pieces_write(a.fd, p, n) < 0 || set_mtime_fd(a.fd, m, srcfd) < 0) {
		*why = why_errno(dst);
		atomic_abort(&a);
		return -1;
	}
	if (atomic_commit(&a) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	return 0;
}

/* The CRC of PNG chunks (ISO 3309, as zlib's crc32). */
uint32_t
crc32_png(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	uint32_t c;
	unsigned i, k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc ^= 0xFFFFFFFFU;
	while (n--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFU;
}
