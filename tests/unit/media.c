/* Unit tests of lib/media.c: the duration of what ffmpeg wrote, and -1 for
 * a file that is not whole, not media, missing, or when ffprobe is not
 * there. The files are made by ffmpeg here. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "tap.h"

/* ffmpeg -f lavfi SOURCE -t SECONDS -f MUXER path; 0 when it exits 0. */
static int
make_media(const char *source, const char *seconds, const char *muxer,
    const char *path)
{
	char *out = xasprintf("file:%s", path);
	char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
	    "-i", (char *)source, "-t", (char *)seconds, "-f", (char *)muxer, out, NULL };
	struct proc_out o;
	int rc = spawn_run(argv, 0, &o);

	free(out);
	proc_out_free(&o);
	return rc;
}

/* The first n bytes of from, as a new file to. */
static void
copy_head(const char *from, const char *to, size_t n)
{
	char *buf = xmalloc(n);
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (in < 0 || out < 0 || read(in, buf, n) != (ssize_t)n ||
	    write(out, buf, n) != (ssize_t)n || close(out) < 0 || close(in) < 0)
		die_errno(2, "%s", to);
	free(buf);
}

int
main(void)
{
	char dir[] = "/tmp/mem-unit-media.XXXXXX";
	char *mkv, *odd, *cut, *raw, *text, *missing;
	const char *path_env = getenv("PATH");
	char *saved_path;
	double d;
	int fd;

	if (mkdtemp(dir) == NULL)
		die_errno(2, "mkdtemp");
	mkv = xasprintf("%s/two seconds.mkv", dir);
	odd = xasprintf("%s/-a:b $x %%#.mka", dir);	/* an option, a protocol */
	cut = xasprintf("%s/cut.mkv", dir);
	raw = xasprintf("%s/frames.mjpeg", dir);
	text = xasprintf("%s/notes.txt", dir);
	missing = xasprintf("%s/missing.mkv", dir);
	saved_path = xstrdup(path_env ? path_env : "/usr/bin:/bin");

	ok(make_media("testsrc=size=64x48:rate=10", "2", "matroska", mkv) == 0,
	    "ffmpeg writes a 2 s Matroska video");
	d = media_whole_seconds(mkv);
	ok(fabs(d - 2) < 0.2, "its duration is read back (%.3f s)", d);

	ok(make_media("sine=frequency=440", "1", "matroska", odd) == 0,
	    "ffmpeg writes a 1 s audio file with a hostile name");
	d = media_whole_seconds(odd);
	ok(fabs(d - 1) < 0.1, "a name with a leading -, a colon and $ %% # is read (%.3f s)", d);

	copy_head(mkv, cut, 200);
	d = media_whole_seconds(cut);
	ok(d < 0, "the first 200 bytes of the video are not whole (%.3f)", d);

	ok(make_media("testsrc=size=64x48:rate=10", "1", "mjpeg", raw) == 0,
	    "ffmpeg writes a raw MJPEG stream");
	d = media_whole_seconds(raw);
	ok(d == -1, "a stream with no duration (ffprobe: N/A) is -1 (%.3f)", d);

	if ((fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 ||
	    write(fd, "not media\n", 10) != 10 || close(fd) < 0)
		die_errno(2, "%s", text);
	ok(media_whole_seconds(text) == -1, "a text file is no media");
	ok(media_whole_seconds(missing) == -1, "a missing file is -1");

	if (setenv("PATH", dir, 1) < 0)
		die_errno(2, "setenv");
	ok(media_whole_seconds(mkv) == -1, "without ffprobe on PATH, -1");
	if (setenv("PATH", saved_path, 1) < 0)
		die_errno(2, "setenv");

	unlink(mkv);
	unlink(odd);
	unlink(cut);
	unlink(raw);
	unlink(text);
	rmdir(dir);
	free(mkv);
	free(odd);
	free(cut);
	free(raw);
	free(text);
	free(missing);
	free(saved_path);
	return done();
}
