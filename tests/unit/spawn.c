/* Unit tests of lib/spawn.c: statuses and output, a missing program, the
 * time limit, and a child that dies with its parent. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "tap.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is pid gone (or a zombie nobody reaped)? */
static int
gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void
to_stdout(void *arg, const char *p, size_t n)
{
	if (write(1, p, n) != (ssize_t)n)
		_exit(2);
}

int
main(void)
{
	char *echo[] = { "sh", "-c", "printf out; printf 'err line\\n' >&2; exit 3", NULL };
	char *missing[] = { "mem-no-such-program-here", NULL };
	char *hang[] = { "sleep", "30", NULL };
	char *report[] = { "sh", "-c", "echo $$; exec sleep 30", NULL };
	char buf[128];
	struct proc_out o;
	double t0;
	int rc, p[2], status;
	pid_t mid, grandchild = 0;

	rc = spawn_run(echo, 1, &o);
	ok(rc == 3, "the exit status comes back (%d)", rc);
	ok(o.out != NULL && strcmp(o.out, "out") == 0, "stdout is captured");
	ok(strcmp(last_line(o.err, buf, sizeof(buf)), "err line") == 0, "stderr is captured");
	ok(!o.timed_out, "no time limit, none hit");
	proc_out_free(&o);

	errno = 0;
	rc = spawn_run(missing, 0, &o);
	ok(rc == -1 && errno == ENOENT, "a missing program is -1 with ENOENT");
	proc_out_free(&o);

	spawn_limit(0.5);
	t0 = now_s();
	rc = spawn_run(hang, 0, &o);
	ok(rc == 128 + SIGKILL, "a child past its limit is killed (%d)", rc);
	ok(now_s() - t0 < 5, "at its limit, not at its end (%.1f s)", now_s() - t0);
	ok(o.timed_out, "and says so");
	ok(strcmp(last_line(o.err, buf, sizeof(buf)),
	    "killed after its time limit of 0.5 s") == 0,
	    "the reason is the last line of its stderr: %s", buf);
	proc_out_free(&o);
	spawn_limit(0);

	/* A parent killed with SIGKILL (no handler runs) takes its child
	 * along: the middle process runs a child that prints its pid. */
	if (pipe(p) < 0 || (mid = fork()) < 0)
		die_errno(2, "fork");
	if (mid == 0) {
		close(p[0]);
		if (dup2(p[1], 1) < 0)
			_exit(2);
		spawn_stream(report, to_stdout, NULL, &o);
		_exit(0);
	}
	close(p[1]);
	rc = (int)read(p[0], buf, sizeof(buf) - 1);
	if (rc > 0) {
		buf[rc] = '\0';
		grandchild = (pid_t)strtol(buf, NULL, 10);
	}
	ok(grandchild > 0 && !gone(grandchild), "the child runs (%ld)", (long)grandchild);
	kill(mid, SIGKILL);
	waitpid(mid, &status, 0);
	for (t0 = now_s(); grandchild > 0 && !gone(grandchild) && now_s() - t0 < 5; )
		usleep(10000);
	ok(grandchild > 0 && gone(grandchild), "a child dies with its parent");
	close(p[0]);
	return done();
}
