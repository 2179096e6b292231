/*
 * atomic.c -- outputs appear whole or not at all: write a hidden temp file
 * beside the destination, then rename it over. Temp files are registered so
 * that a signal or a fatal exit removes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define MAXTEMP 64

static char *temps[MAXTEMP];
static volatile sig_atomic_t ntemps;
static int installed;

static void
cleanup_all(void)
{
	int i;

	for (i = 0; i < ntemps; i++)
		if (temps[i] != NULL)
			unlink(temps[i]);
}

static void
on_signal(int sig)
{
	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;
	size_t i;

	installed = 1;
	atexit(cleanup_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < LEN(sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < LEN(sigs); i++) {
		struct sigaction old;

		/* A signal the parent told us to ignore stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* The table is only changed with signals blocked, so a handler never sees
 * a half-written slot. */
static void
block(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

void
cleanup_add(const char *path)
{
	sigset_t old;
	int i;

	if (!installed)
		install();
	block(&old);
	for (i = 0; i < ntemps && temps[i] != NULL; i++)
		;
	if (i < MAXTEMP) {
		temps[i] = xstrdup(path);
		if (i == ntemps)
			ntemps++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
cleanup_del(const char *path)
{
	sigset_t old;
	int i;

	block(&old);
	for (i = 0; i < ntemps; i++) {
		if (temps[i] != NULL && strcmp(temps[i], path) == 0) {
			free(temps[i]);
			temps[i] = NULL;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ".NAME.XXXXXX", or ".NAME.XXXXXX.EXT" when atomic_open kept a suffix. */
int
is_temp_name(const char *base)
{
	const char *p;
	size_t n;

	if (base[0] != '.')
		return 0;
	for (p = strchr(base + 1, '.'); p != NULL; p = strchr(p + 1, '.')) {
		n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789");
		if (n == 6 && (p[7] == '\0' || p[7] == '.'))
			return 1;
	}
	return 0;
}

static mode_t
default_mode(void)
{
	mode_t um = umask(0);

	umask(um);
	return 0666 & ~um;
}

int
atomic_open(struct atomic *a, const char *dst, const char *suffix)
{
	const char *slash = strrchr(dst, '/');
	size_t dirlen = slash ? (size_t)(slash - dst) + 1 : 0;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	if (suffix == NULL)
		suffix = "";
	a->dst = xstrdup(dst);
	a->tmp = xasprintf("%.*s.%s.XXXXXX%s", (int)dirlen, dst, dst + dirlen, suffix);
	a->fd = mkstemps(a->tmp, (int)strlen(suffix));
	if (a->fd < 0) {
		int e = errno;

		free(a->dst);
		free(a->tmp);
		a->dst = a->tmp = NULL;
		errno = e;
		return -1;
	}
	cleanup_add(a->tmp);
	/* mkstemp gives 0600; a finished file gets the usual mode. */
	if (fchmod(a->fd, default_mode()) < 0 || (a->fp = fdopen(a->fd, "w")) == NULL) {
		atomic_abort(a);
		return -1;
	}
	return 0;
}

int
atomic_commit(struct atomic *a)
{
	int e;

	if (a->fp != NULL) {
		if (fflush(a->fp) == EOF || ferror(a->fp))
			goto fail;
		if (fclose(a->fp) == EOF) {
			a->fp = NULL;
			a->fd = -1;
			goto fail;
		}
	} else if (a->fd >= 0 && close(a->fd) < 0) {
		a->fd = -1;
		goto fail;
	}
	a->fp = NULL;
	a->fd = -1;
	if (rename(a->tmp, a->dst) < 0)
		goto fail;
	cleanup_del(a->tmp);
	free(a->tmp);
	free(a->dst);
	a->tmp = a->dst = NULL;
	return 0;
fail:
	e = errno;
	atomic_abort(a);
	errno = e;
	return -1;
}

void
atomic_abort(struct atomic *a)
{
	int e = errno;

	if (a->fp != NULL)
		fclose(a->fp);
	else if (a->fd >= 0)
		close(a->fd);
	a->fp = NULL;
	a->fd = -1;
	if (a->tmp != NULL) {
		unlink(a->tmp);
		cleanup_del(a->tmp);
	}
	free(a->tmp);
	free(a->dst);
	a->tmp = a->dst = NULL;
	errno = e;
}

int
mkdir_p(const char *dir, int mode)
{
	char *p, *s;
	int rc = 0;

	if (*dir == '\0')
		return 0;
	s = xstrdup(dir);
	for (p = s + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(s, (mode_t)mode) < 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	if (rc == 0) {
		struct stat st;

		if (stat(s, &st) < 0)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	free(s);
	return rc;
}

int
mkdir_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL || slash == path)
		return 0;
	dir = xmemdup(path, (size_t)(slash - path));
	rc = mkdir_p(dir, 0777);
	free(dir);
	return rc;
}

/* write(2) until all of buf is written (a short write is not an error). */
int
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
