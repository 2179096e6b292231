/* tap.h -- the smallest TAP producer: ok(cond, name), then done(). */
#include <stdio.h>

static int tap_n, tap_failed;

/* cond is evaluated once; each line is flushed so a crash keeps the count. */
#define ok(cond, ...) do { \
	int tap_ok_ = (cond); \
	tap_n++; \
	if (!tap_ok_) tap_failed++; \
	printf("%sok %d - ", tap_ok_ ? "" : "not ", tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!tap_ok_) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
	fflush(stdout); \
} while (0)

static int
done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
