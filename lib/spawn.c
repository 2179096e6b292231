/*
 * spawn.c -- run ffmpeg and friends: an argv array through fork and execvp
 * (not posix_spawn: the child must ask for SIGKILL when we die before it
 * execs), stdin from /dev/null (ffmpeg would otherwise eat our NUL stream),
 * stdout and stderr captured through pipes read together so neither can
 * fill up, and a time limit the caller sizes to the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

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

/* The time limit of the next children, in seconds (0: none). */
static double limit_s;

/*
 * A child that hangs (ffmpeg looping over a damaged input) must not hold a
 * job slot forever: the caller sizes the limit to the input. The
 * environment's MEM_CHILD_LIMIT (seconds) caps it, so a test or a user can
 * make it short.
 */
void
spawn_limit(double seconds)
{
	const char *cap = getenv("MEM_CHILD_LIMIT");
	char *end;
	double c;

	limit_s = seconds > 0 ? seconds : 0;
	if (cap != NULL && *cap != '\0') {
		errno = 0;
		c = strtod(cap, &end);
		if (*end == '\0' && errno == 0 && c > 0 && (limit_s == 0 || c < limit_s))
			limit_s = c;
	}
}

/* Seconds a child may take on an input of this size and duration (either
 * may be 0 when unknown): a minute, plus 10 s a megabyte, plus 20 times
 * the media's duration, far beyond any real run on a slow machine. */
double
spawn_budget(long long bytes, double media_seconds)
{
	return 60 + 10.0 * (double)bytes / 1e6 + 20 * (media_seconds > 0 ? media_seconds : 0);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The child's side of the fork: its fds, a SIGKILL when we die (so a
 * killed mem-exif leaves no ffmpeg behind), then exec. An exec failure is
 * sent back through report (close-on-exec: EOF means exec worked).
 */
static _Noreturn void
child(char *const argv[], int errfd, int outfd, int report, pid_t parent)
{
	int e, null;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);	/* the parent is gone already */
	signal(SIGPIPE, SIG_DFL);
	if ((null = open("/dev/null", O_RDWR)) < 0 || dup2(null, 0) < 0 ||
	    dup2(errfd, 2) < 0 || dup2(outfd >= 0 ? outfd : null, 1) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int
spawn_stream(char *const argv[], void (*sink)(void *arg, const char *p, size_t n),
    void *arg, struct proc_out *o)
{
	int errp[2], outp[2] = { -1, -1 }, rep[2], status, e, capture_out = sink != NULL;
	int killed = 0;
	size_t ecap = 0;
	ssize_t got;
	pid_t pid, parent = getpid();
	struct pollfd pf[2];
	char chunk[65536];
	double deadline = limit_s > 0 ? now_s() + limit_s : 0;

	memset(o, 0, sizeof(*o));
	if (pipe_cloexec(errp) < 0)
		return -1;
	if (capture_out && pipe_cloexec(outp) < 0) {
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	if (pipe_cloexec(rep) < 0) {
		e = errno;
		goto fail_pipes;
	}
	if ((pid = fork()) < 0) {
		e = errno;
		close(rep[0]);
		close(rep[1]);
		goto fail_pipes;
	}
	if (pid == 0)
		child(argv, errp[1], capture_out ? outp[1] : -1, rep[1], parent);
	close(errp[1]);
	if (capture_out)
		close(outp[1]);
	close(rep[1]);
	while ((got = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	if (got == (ssize_t)sizeof(e)) {	/* exec failed: ENOENT, EACCES */
		close(errp[0]);
		if (capture_out)
			close(outp[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	append(&o->err, &o->errlen, &ecap, "", 0);
	pf[0].fd = errp[0];
	pf[0].events = POLLIN;
	pf[1].fd = capture_out ? outp[0] : -1;
	pf[1].events = POLLIN;
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		int i, wait_ms = -1;

		if (deadline > 0 && !killed) {
			double left = deadline - now_s();

			if (left <= 0) {
				/* its pipes close when it dies; drain them as usual */
				kill(pid, SIGKILL);
				killed = 1;
			} else
				wait_ms = (int)(left * 1000) + 1;
		}
		if ((i = poll(pf, 2, wait_ms)) <= 0) {
			if (i == 0 || errno == EINTR)
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
	if (killed) {
		char line[96];

		/* the reason callers show is the last line of its stderr */
		snprintf(line, sizeof(line), "\nkilled after its time limit of %g s\n",
		    limit_s);
		append(&o->err, &o->errlen, &ecap, line, strlen(line));
		o->timed_out = 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
fail_pipes:
	close(errp[0]);
	close(errp[1]);
	if (capture_out) {
		close(outp[0]);
		close(outp[1]);
	}
	errno = e;
	return -1;
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
