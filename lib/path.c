/*
 * path.c -- the parts of a path that several tools take apart the same
 * way: its last component, its extension, whether a relative path from a
 * record stays inside the directory it is relative to, and the output
 * directory made ready before the first item.
 */
#include <string.h>
#include <unistd.h>

#include "mem.h"

const char *
path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

const char *
path_ext(const char *path)
{
	const char *dot = strrchr(path_base(path), '.');

	return dot != NULL && dot[1] != '\0' ? dot + 1 : "";
}

/*
 * A record's dest is joined to OUT and written or read there, so it must
 * not be absolute, empty, end in "/", or have an empty, "." or ".."
 * component: any of those would reach outside OUT or name a directory.
 */
int
path_inside(const char *rel)
{
	const char *p;
	size_t n;

	if (*rel == '\0' || *rel == '/')
		return 0;
	for (p = rel; *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
	}
	return rel[strlen(rel) - 1] != '/';
}

/* -o DIR of a writing tool: made if missing, and refused (exit 2 in the
 * caller) before the first item when it cannot be written into. */
int
outdir_ready(const char *dir)
{
	if (mkdir_p(dir, 0777) < 0)
		return -1;
	return access(dir, W_OK | X_OK);
}
