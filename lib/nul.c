/* nul.c -- NUL-separated records in, NUL-terminated paths out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mem.h"

void
input_init(struct input *in, int argc, char **argv)
{
	memset(in, 0, sizeof(*in));
	in->argc = argc;
	in->argv = argc > 0 ? argv : NULL;
}

/* A last record without its NUL is still a record (as coreutils does). */
ssize_t
nul_getrec(FILE *fp, char **buf, size_t *cap)
{
	ssize_t n = getdelim(buf, cap, '\0', fp);

	if (n < 0)
		return -1;
	if (n > 0 && (*buf)[n - 1] == '\0')
		n--;
	(*buf)[n] = '\0';
	return n;
}

const char *
input_next(struct input *in, int *status)
{
	ssize_t n;

	if (in->argv != NULL) {
		while (in->i < in->argc) {
			const char *p = in->argv[in->i++];

			snprintf(in->label, sizeof(in->label), "operand %d", in->i);
			if (*p != '\0')
				return p;
			warnx_("%s: empty path", in->label);
			*status = ST_ITEM;
		}
		return NULL;
	}
	for (;;) {
		errno = 0;
		n = nul_getrec(stdin, &in->buf, &in->cap);
		if (n < 0) {
			if (ferror(stdin))
				die_errno(ST_FATAL, "stdin");
			return NULL;
		}
		in->recno++;
		snprintf(in->label, sizeof(in->label), "-:%lu", in->recno);
		if (n > 0 && memchr(in->buf, '\0', (size_t)n) == NULL)
			return in->buf;
		warnx_("%s: empty path", in->label);
		*status = ST_ITEM;
	}
}

void
input_free(struct input *in)
{
	free(in->buf);
	in->buf = NULL;
	in->cap = 0;
}

void
out_path(const char *path)
{
	if (fwrite(path, strlen(path) + 1, 1, stdout) != 1 || fflush(stdout) == EOF)
		die_errno(ST_FATAL, "stdout");
}

void
out_close(void)
{
	if (ferror(stdin))
		die(ST_FATAL, "stdin: read error");
	if (fflush(stdout) == EOF || ferror(stdout))
		die_errno(ST_FATAL, "stdout");
	if (fclose(stdout) == EOF)
		die_errno(ST_FATAL, "stdout");
}
