/* tap.h -- the smallest TAP producer: ok(cond, name), then done(). */
#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do { \
	tap_n++; \
	if (!(cond)) tap_failed++; \
	printf("%sok %d - ", (cond) ? "" : "not ", tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!(cond)) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

static int
done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
