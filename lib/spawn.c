/*
 * spawn.c -- run ffmpeg and friends: an argv array through posix_spawnp,
 * stdin from /dev/null (ffmpeg would otherwise eat our NUL stream), stdout
 * and stderr captured through pipes read together so neither can fill up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"

extern char **environ;

static void
append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The child gets its ends through dup2; the originals must not leak into
 * it, or a reader would never see EOF. */
static int
pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

int
spawn_stream(char *const argv[], void (*sink)(void *arg, const char *p, size_t n),
    void *arg, struct proc_out *o)
{
	posix_spawn_file_actions_t fa;
	int errp[2], outp[2] = { -1, -1 }, status, rc, capture_out = sink != NULL;
	size_t ecap = 0;
	pid_t pid;
	struct pollfd pf[2];
	char chunk[65536];

	memset(o, 0, sizeof(*o));
	if (pipe_cloexec(errp) < 0)
		return -1;
	if (capture_out && pipe_cloexec(outp) < 0) {
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	if (capture_out)
		posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(errp[1]);
	if (capture_out)
		close(outp[1]);
	if (rc != 0) {
		close(errp[0]);
		if (capture_out)
			close(outp[0]);
		errno = rc;
		return -1;
	}
	append(&o->err, &o->errlen, &ecap, "", 0);
	pf[0].fd = errp[0];
	pf[0].events = POLLIN;
	pf[1].fd = capture_out ? outp[0] : -1;
	pf[1].events = POLLIN;
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		int i;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			n = read(pf[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
			} else if (i == 0)
				append(&o->err, &o->errlen, &ecap, chunk, (size_t)n);
			else
				sink(arg, chunk, (size_t)n);
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	/* posix_spawnp reports a missing program as exit 127 on glibc. */
	return WEXITSTATUS(status);
}

/* spawn_run's sink: stdout gathered into o->out. */
struct gather {
	struct proc_out *o;
	size_t	 cap;
};

static void
gather(void *arg, const char *p, size_t n)
{
	struct gather *g = arg;

	append(&g->o->out, &g->o->outlen, &g->cap, p, n);
}

int
spawn_run(char *const argv[], int capture_out, struct proc_out *o)
{
	struct gather g;
	int rc;

	memset(o, 0, sizeof(*o));
	g.o = o;
	g.cap = 0;
	rc = spawn_stream(argv, capture_out ? gather : NULL, &g, o);
	if (rc >= 0 && capture_out && o->out == NULL)
		o->out = xstrdup("");	/* captured, and it said nothing */
	return rc;
}

void
proc_out_free(struct proc_out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

/* The last non-empty line of a program's output, for one-line messages. */
const char *
last_line(const char *text, char *buf, size_t size)
{
	const char *end, *start;

	if (text == NULL) {
		snprintf(buf, size, "no output");
		return buf;
	}
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n' && start[-1] != '\r')
		start--;
	if (start == end)
		snprintf(buf, size, "no output");
	else
		snprintf(buf, size, "%.*s", (int)(end - start), start);
	return buf;
}

int
have_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p, *e;
	struct stat st;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0;
	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path; ; p = e + 1) {
		char *full;
		int ok;

		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		/* an empty PATH element means the current directory */
		full = e > p ? xasprintf("%.*s/%s", (int)(e - p), p, name)
		    : xasprintf("./%s", name);
		ok = stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0;
		free(full);
		if (ok)
			return 1;
		if (*e == '\0')
			return 0;
	}
}
