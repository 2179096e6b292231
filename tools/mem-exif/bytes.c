/*
 * bytes.c -- byte I/O for every writer: write an output as pieces of memory and ranges of the source,
 * letting the kernel copy the ranges (copy_file_range), as cp does: the
 * image data of a photo never passes through this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
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

/* A span's bytes lie among others in its fd: none past its end is read. */
int
source_read(const struct source *s, off_t off, void *buf, size_t n)
{
	if (off < 0 || off > s->size || (off_t)n > s->size - off) {
		errno = EIO;
		return -1;
	}
	return read_at(s->fd, s->base + off, buf, n);
}

void
cached_init(struct cached *c, int fd, off_t base, off_t size)
{
	c->fd = fd;
	c->base = base;
	c->size = size;
	c->blen = 0;
}

int
cached_reader(void *ctx, off_t off, void *out, size_t n)
{
	struct cached *c = ctx;
	size_t want = sizeof(c->buf);
	ssize_t r;

	if (off < 0 || off > c->size || (off_t)n > c->size - off) {
		errno = EIO;
		return -1;
	}
	if (n > sizeof(c->buf))
		return read_at(c->fd, c->base + off, out, n);
	if (c->blen == 0 || off < c->boff || off + (off_t)n > c->boff + (off_t)c->blen) {
		if ((off_t)want > c->size - off)
			want = (size_t)(c->size - off);
		do
			r = pread(c->fd, c->buf, want, c->base + off);
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

/* Where the kernel's page cache and copy_file_range line up (see below). */
#define PAGE_BYTES	4096
#define CFR_ROUND	65536		/* what one copy_file_range round moves on ext4 */
#define CFR_MIN		(1 << 20)	/* a range worth copy_file_range's block sharing */
#define PIPE_BYTES	(1 << 20)	/* fs.pipe-max-size's default: any user may ask for it */

/*
 * Copy len bytes at *in of src to dst's file position with
 * copy_file_range (the kernel copies page to page, or shares blocks on a
 * file system that can). On ext4 it moves 64 KiB a round, one partial
 * page plus 15 whole ones: when the output position is 64 KiB-aligned at
 * the end of each round, every round fills one 64 KiB folio of the new
 * file, as cp's copy from 0 to 0 does; otherwise every round allocates,
 * fills and accounts five or six smaller folios (1.4x cp's time on
 * phone-size JPEGs). So when the two positions agree modulo a page, a
 * first copy brings the output to a 64 KiB boundary (and the source to a
 * page one), and the rest goes in aligned rounds; the same split lets a
 * CoW file system share the rest's blocks. 1 when copy_file_range is not
 * served here (*in and *len tell what is left).
 */
static int
copy_kernel(int dst, int src, off_t *in, size_t *len, off_t dpos)
{
	static int no_cfr;
	size_t first = 0;
	loff_t pos = *in;
	ssize_t n;

	if (no_cfr)
		return 1;
	if ((dpos - *in) % PAGE_BYTES == 0)
		first = (size_t)((CFR_ROUND - dpos % CFR_ROUND) % CFR_ROUND);
	while (*len > 0) {
		n = copy_file_range(src, &pos, dst, NULL, first > 0 && first < *len ?
		    first : *len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
		    errno == EOPNOTSUPP || errno == EBADF)) {
			no_cfr = errno != EXDEV;
			*in = pos;
			return 1;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;	/* the source shrank under us */
			return -1;
		}
		*len -= (size_t)n;
		first = first > (size_t)n ? first - (size_t)n : 0;
		*in = pos;
	}
	return 0;
}

/* A range by the kernel where it can, else through this process. */
static int
copy_range(int dst, int src, off_t off, size_t len, off_t dpos)
{
	off_t in = off;
	ssize_t n;
	int rc;

	if ((rc = copy_kernel(dst, src, &in, &len, dpos)) <= 0)
		return rc;
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

/*
 * The pipe outputs are written through: 1 MiB, made once, its write end
 * non-blocking so that filling it never waits for a reader (we are the
 * reader). Memory pieces are written into it, ranges of a source spliced
 * into it (the pages go in by reference), and it is emptied into the
 * output in one splice when full or at the end: the output gets one
 * write of up to 1 MiB from position 0, whatever the offsets of the
 * pieces. Measured on ext4 (30 phone JPEGs, 300 small ones), that costs
 * what cp's one copy_file_range from 0 to 0 costs, where a write of the
 * head and a copy_file_range of the rest from a misaligned offset cost
 * 1.4x (big) and 1.3x (small).
 */
static struct {
	int	 fd[2];		/* read end, write end */
	int	 state;		/* 0 not made yet, 1 ready, -1 not served here */
	size_t	 held;		/* bytes in it */
} outpipe = { { -1, -1 }, 0, 0 };

static int
outpipe_ready(void)
{
	if (outpipe.state == 0) {
		outpipe.state = -1;
		if (pipe2(outpipe.fd, O_CLOEXEC) < 0)
			return 0;
		if (fcntl(outpipe.fd[1], F_SETPIPE_SZ, PIPE_BYTES) < 4 * CFR_ROUND ||
		    fcntl(outpipe.fd[1], F_SETFL, O_NONBLOCK) < 0) {
			/* no bigger than copy_file_range's rounds: no gain */
			close(outpipe.fd[0]);
			close(outpipe.fd[1]);
			return 0;
		}
		outpipe.state = 1;
		outpipe.held = 0;
	}
	return outpipe.state > 0;
}

/* After an error the pipe may hold bytes of a failed output: a new
 * pipe for the next one. */
static void
outpipe_reset(void)
{
	int e = errno;

	close(outpipe.fd[0]);
	close(outpipe.fd[1]);
	outpipe.state = 0;
	outpipe.held = 0;
	errno = e;
}

/* Empty the pipe into dst: by splice, or by read and write where dst's
 * file system takes no splice. */
static int
outpipe_flush(int dst)
{
	unsigned char buf[1 << 16];
	ssize_t w;

	while (outpipe.held > 0) {
		w = splice(outpipe.fd[0], NULL, dst, NULL, outpipe.held, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL) {
			w = read(outpipe.fd[0], buf, outpipe.held < sizeof(buf) ?
			    outpipe.held : sizeof(buf));
			if (w > 0 && write_all(dst, buf, (size_t)w) < 0)
				w = -1;
		}
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			outpipe_reset();
			return -1;
		}
		outpipe.held -= (size_t)w;
	}
	return 0;
}

/* Put one piece into the pipe, emptying it into dst whenever it is full.
 * 1 when src cannot be spliced from (nothing of the piece was taken). */
static int
outpipe_put(int dst, const struct piece *p)
{
	loff_t pos = p->off;
	size_t done = 0;
	ssize_t n;
	int flags = SPLICE_F_NONBLOCK;

	while (done < p->len) {
		if (p->mem != NULL)
			n = write(outpipe.fd[1], p->mem + done, p->len - done);
		else
			n = splice(p->fd, &pos, outpipe.fd[1], NULL, p->len - done, flags);
		if (n > 0) {
			outpipe.held += (size_t)n;
			done += (size_t)n;
			flags = SPLICE_F_NONBLOCK;
			/* short: the pipe is full */
			if (done < p->len && outpipe_flush(dst) < 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && outpipe.held > 0) {
			if (outpipe_flush(dst) < 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EAGAIN && p->mem == NULL && flags != 0) {
			flags = 0;	/* an empty pipe: only the source can wait */
			continue;
		}
		if (n < 0 && p->mem == NULL && done == 0 &&
		    (errno == EINVAL || errno == ENOSYS))
			return 1;
		if (n == 0)
			errno = EIO;	/* the source shrank under us */
		outpipe_reset();
		return -1;
	}
	return 0;
}

/*
 * Write the pieces in order to fd, the first at offset at. Through the
 * pipe; a big range that sits at the output's own offset modulo a page
 * goes by copy_file_range instead, which a CoW file system turns into
 * shared blocks (a video's sample data behind a rewritten moov of the
 * same size).
 */
static int
pieces_put(int fd, const struct piece *p, size_t n, off_t at)
{
	size_t i;
	int rc, piped = outpipe_ready();

	for (i = 0; i < n; i++) {
		if (p[i].len == 0)
			continue;
		rc = 1;
		if (piped && (p[i].mem != NULL || p[i].len < CFR_MIN ||
		    (at - p[i].off) % PAGE_BYTES != 0))
			rc = outpipe_put(fd, &p[i]);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (piped && outpipe_flush(fd) < 0)
				return -1;
			if (p[i].mem != NULL ? write_all(fd, p[i].mem, p[i].len) < 0 :
			    copy_range(fd, p[i].fd, p[i].off, p[i].len, at) < 0)
				return -1;
		}
		at += (off_t)p[i].len;
	}
	return piped ? outpipe_flush(fd) : 0;
}

int
pieces_write(int fd, const struct piece *p, size_t n)
{
	off_t at = lseek(fd, 0, SEEK_CUR);

	/* where the pieces go only matters to the choice of a copy */
	return pieces_put(fd, p, n, at < 0 ? 0 : at);
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
	} else if (m->src_mtime != NULL) {
		ts[1] = *m->src_mtime;
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

/*
 * An output is whole or absent (lib/atomic.c's contract), at a small
 * cost per file: where the file system has O_TMPFILE, the output is an
 * unnamed file in dst's directory, created with the umask's mode, that
 * linkat() names once it is written and dated. No temp name, no fchmod,
 * no rename, and nothing for a signal handler to remove (an unnamed file
 * goes with its descriptor). When dst exists (a rerun replaces it), the
 * file is linked under a temp name and renamed over dst, so a reader sees
 * the old file or the new one. Without O_TMPFILE (or /proc to link it
 * by), lib/atomic.c's temp file and rename.
 */
struct out {
	int	 fd;
	int	 unnamed;	/* an O_TMPFILE file */
	struct atomic a;
};

static int
out_open(struct out *o, const char *dst)
{
	static int no_tmpfile = -1;
	const char *slash = strrchr(dst, '/');
	char *dir;

	if (no_tmpfile < 0)
		no_tmpfile = access("/proc/self/fd", X_OK) < 0;
	o->unnamed = 0;
	if (!no_tmpfile) {
		dir = slash == NULL ? xstrdup(".") :
		    xmemdup(dst, slash == dst ? 1 : (size_t)(slash - dst));
		o->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
		free(dir);
		if (o->fd >= 0) {
			o->unnamed = 1;
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -1;
		no_tmpfile = 1;
	}
	if (atomic_open(&o->a, dst, "") < 0)
		return -1;
	o->fd = o->a.fd;
	return 0;
}

static void
out_abort(struct out *o)
{
	int e = errno;

	if (o->unnamed)
		close(o->fd);
	else
		atomic_abort(&o->a);
	errno = e;
}

/* Link the unnamed file at proc under a new ".NAME.XXXXXX" beside dst. */
static char *
link_temp(const char *proc, const char *dst)
{
	static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned seed;
	const char *slash = strrchr(dst, '/');
	size_t dirlen = slash ? (size_t)(slash - dst) + 1 : 0;
	char *tmp, *x;
	int i, k;

	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	tmp = xasprintf("%.*s.%s.XXXXXX", (int)dirlen, dst, dst + dirlen);
	x = tmp + strlen(tmp) - 6;
	for (i = 0; i < 100; i++) {
		for (k = 0; k < 6; k++) {
			seed = seed * 1103515245u + 12345u;
			x[k] = letters[(seed >> 16) % (sizeof(letters) - 1)];
		}
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
			return tmp;
		if (errno != EEXIST)
			break;
	}
	free(tmp);
	return NULL;
}

static int
out_commit(struct out *o, const char *dst)
{
	static int empty_path_ok = 1;
	char proc[32], *tmp;
	int e, exists;

	if (!o->unnamed)
		return atomic_commit(&o->a);
	/* by the descriptor itself where allowed (CAP_DAC_READ_SEARCH), which
	 * spares the walk through /proc; else by its /proc name */
	exists = 0;
	if (empty_path_ok) {
		if (linkat(o->fd, "", AT_FDCWD, dst, AT_EMPTY_PATH) == 0)
			return close(o->fd);
		exists = errno == EEXIST;
		empty_path_ok = exists;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	if (!exists && linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) < 0)
		exists = errno == EEXIST ? 1 : -1;
	if (exists < 0)
		goto fail;
	if (exists) {
		/* a rerun: the new file replaces the old one in one rename */
		if ((tmp = link_temp(proc, dst)) == NULL)
			goto fail;
		cleanup_add(tmp);
		if (rename(tmp, dst) < 0) {
			e = errno;
			unlink(tmp);
			cleanup_del(tmp);
			free(tmp);
			errno = e;
			goto fail;
		}
		cleanup_del(tmp);
		free(tmp);
	}
	return close(o->fd);
fail:
	out_abort(o);
	return -1;
}

int
copy_plain(const struct source *s, const char *dst, const struct meta *m,
    const char **why)
{
	struct piece p;

	p.mem = NULL;
	p.fd = s->fd;
	p.off = s->base;
	p.len = (size_t)s->size;
	return pieces_commit(dst, &p, 1, m, s->fd, why);
}

/* Big-endian 32-bit fields: PNG chunks and MP4 boxes. */
void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Write the pieces to an output that appears whole at dst, with its mtime. */
int
pieces_commit(const char *dst, const struct piece *p, size_t n, const struct meta *m,
    int srcfd, const char **why)
{
	struct out o;

	if (out_open(&o, dst) < 0) {
		*why = why_errno(dst);
		return -1;
	}
	if (pieces_put(o.fd, p, n, 0) < 0 || set_mtime_fd(o.fd, m, srcfd) < 0) {
		*why = why_errno(dst);
		out_abort(&o);
		return -1;
	}
	if (out_commit(&o, dst) < 0) {
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
