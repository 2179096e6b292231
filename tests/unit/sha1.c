/* Unit tests of lib/sha1.c against the FIPS 180 and NIST example vectors. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "tap.h"

static const char *
digest(const void *p, size_t n)
{
	static char hex[SHA1_HEXLEN + 1];
	unsigned char sum[SHA1_LEN];
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, p, n);
	sha1_final(&s, sum);
	sha1_hex(sum, hex);
	return hex;
}

/*
 * On a CPU with the SHA extensions the vectors above ran through them; run
 * them again in a child forced onto the portable rounds.
 */
static int
portable_passes(const char *self)
{
	pid_t pid;
	int st;

	if (getenv("MEM_SHA1_PORTABLE") != NULL)
		return 1;
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		setenv("MEM_SHA1_PORTABLE", "1", 1);
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

int
main(int argc, char *argv[])
{
	static const char two_blocks[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	unsigned char sum[SHA1_LEN];
	char hex[SHA1_HEXLEN + 1], path[] = "/tmp/sha1-unit.XXXXXX";
	struct sha1 s;
	char *mega;
	size_t i;
	int fd, r;

	ok(strcmp(digest("", 0), "da39a3ee5e6b4b0d3255bfef95601890afd80709") == 0,
	    "the empty message");
	ok(strcmp(digest("abc", 3), "a9993e364706816aba3e25717850c26c9cd0d89d") == 0,
	    "abc, one block");
	ok(strcmp(digest(two_blocks, strlen(two_blocks)),
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1") == 0,
	    "a 56-byte message needs a second block for its length");
	ok(strcmp(digest("The quick brown fox jumps over the lazy dog", 43),
	    "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12") == 0, "the quick brown fox");

	mega = malloc(1000000);
	memset(mega, 'a', 1000000);
	ok(strcmp(digest(mega, 1000000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0,
	    "a million a's in one call");
	sha1_init(&s);
	for (i = 0; i < 1000000; i += 7)
		sha1_update(&s, mega + i, 1000000 - i < 7 ? 1000000 - i : 7);
	sha1_final(&s, sum);
	sha1_hex(sum, hex);
	ok(strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0,
	    "a million a's in 7-byte pieces");
	for (i = 55; i <= 65; i++) {
		char a[SHA1_HEXLEN + 1], b[SHA1_HEXLEN + 1];

		sha1_init(&s);
		sha1_update(&s, mega, 1);
		sha1_update(&s, mega + 1, i - 1);
		sha1_final(&s, sum);
		sha1_hex(sum, a);
		memcpy(b, digest(mega, i), sizeof(b));
		ok(strcmp(a, b) == 0, "split and whole agree at %zu bytes", i);
	}

	/* ok() evaluates its condition twice: side effects go first. */
	fd = mkstemp(path);
	r = fd >= 0 && write(fd, mega, 1000000) == 1000000;
	r = close(fd) == 0 && r;
	ok(r, "a temp file of a million a's");
	r = sha1_file(path, hex);
	ok(r == 0 && strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0,
	    "sha1_file streams the file: %s", hex);
	unlink(path);
	r = sha1_file(path, hex);
	ok(r == -1, "a missing file is an error");
	free(mega);
	r = argc > 0 && portable_passes(argv[0]);
	ok(r, "the portable rounds give the same digests");
	return done();
}
