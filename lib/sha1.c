/*
 * sha1.c -- SHA-1 (FIPS 180-4), because Immich names an asset by the SHA-1
 * of its bytes and the build carries no crypto library. Written from the
 * standard's description; used for content identity, not for security.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

#include "mem.h"

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/*
 * One 64-byte block into the state: 80 rounds over the expanded schedule,
 * as four loops of twenty so that no round has to pick its function.
 */
#define ROUND(f, k) do { \
	t = ROL(a, 5) + (f) + e + (k) + w[i]; \
	e = d; \
	d = c; \
	c = ROL(b, 30); \
	b = a; \
	a = t; \
} while (0)

static void
sha1_block_c(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 20; i++)
		ROUND(d ^ (b & (c ^ d)), 0x5a827999);
	for (; i < 40; i++)
		ROUND(b ^ c ^ d, 0x6ed9eba1);
	for (; i < 60; i++)
		ROUND((b & c) | (d & (b | c)), 0x8f1bbcdc);
	for (; i < 80; i++)
		ROUND(b ^ c ^ d, 0xca62c1d6);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

#ifdef HAVE_SHANI
/*
 * The same 80 rounds with the x86 SHA extensions, four rounds an
 * instruction: about three times the speed of the C rounds, which matters
 * when a 2-core machine hashes while it uploads. Used only when CPUID says
 * the instructions exist; the unit tests compare both paths.
 */
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

SHANI_TARGET static __m128i
shani_rounds(__m128i abcd, __m128i e, int group)
{
	switch (group / 5) {
	case 0:
		return _mm_sha1rnds4_epu32(abcd, e, 0);
	case 1:
		return _mm_sha1rnds4_epu32(abcd, e, 1);
	case 2:
		return _mm_sha1rnds4_epu32(abcd, e, 2);
	default:
		return _mm_sha1rnds4_epu32(abcd, e, 3);
	}
}

SHANI_TARGET static void
sha1_block_shani(uint32_t h[5], const unsigned char *p)
{
	const __m128i swap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
	__m128i abcd, abcd0, e0, e, prev, w[4];
	int i;

	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	abcd0 = abcd;
	e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
	prev = abcd;
	for (i = 0; i < 20; i++) {
		/* the schedule four words at a time: w[i] from w[i-4..i-1] */
		if (i < 4)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)),
			    swap);
		else
			w[i % 4] = _mm_sha1msg2_epu32(_mm_xor_si128(
			    _mm_sha1msg1_epu32(w[i % 4], w[(i + 1) % 4]), w[(i + 2) % 4]),
			    w[(i + 3) % 4]);
		e = i == 0 ? _mm_add_epi32(e0, w[0]) : _mm_sha1nexte_epu32(prev, w[i % 4]);
		prev = abcd;
		abcd = shani_rounds(abcd, e, i);
	}
	e0 = _mm_sha1nexte_epu32(prev, e0);
	abcd = _mm_add_epi32(abcd, abcd0);
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int
have_shani(void)
{
	static int known = -1;
	unsigned a, b, c, d;

	if (known < 0) {
		known = 0;
		if (getenv("MEM_SHA1_PORTABLE") == NULL &&
		    __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3) &&
		    __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA))
			known = 1;
	}
	return known;
}
#endif

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
#ifdef HAVE_SHANI
	if (have_shani()) {
		sha1_block_shani(h, p);
		return;
	}
#endif
	sha1_block_c(h, p);
}

void
sha1_init(struct sha1 *s)
{
	static const uint32_t iv[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
	};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

void
sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;

	s->len += len;
	if (s->n > 0) {
		take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n < 64)
			return;
		sha1_block(s->h, s->buf);
		s->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha1_block(s->h, p);
	memcpy(s->buf, p, len);
	s->n = len;
}

/* Pad with 0x80, zeros, and the bit length, big-endian. */
void
sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72];
	size_t padlen;
	int i;

	padlen = (s->n < 56 ? 56 : 120) - s->n;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(s, pad, padlen + 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void
sha1_hex(const unsigned char sum[SHA1_LEN], char hex[SHA1_HEXLEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA1_LEN; i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 15];
	}
	hex[SHA1_HEXLEN] = '\0';
}

int
sha1_file(const char *path, char hex[SHA1_HEXLEN + 1])
{
	unsigned char buf[1 << 16], sum[SHA1_LEN];
	struct sha1 s;
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	sha1_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		sha1_update(&s, buf, (size_t)n);
	}
	close(fd);
	sha1_final(&s, sum);
	sha1_hex(sum, hex);
	return 0;
}
