/*
 * written.c -- is the file ffmpeg wrote whole? ffmpeg exits 0 after
 * "Error writing trailer ...: No space left on device" for some muxers
 * (FLAC), leaving a file whose header was never finished. Before an output
 * is renamed into place its duration is read back from what the muxer
 * writes last: WAV's data chunk size and FLAC's STREAMINFO sample count are
 * read here (no process); other containers ask ffprobe (lib/media.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "mem-loudnorm.h"

/* WAV: the data chunk's size over the fmt chunk's byte rate; -1 when the
 * header says nothing (an unfinished RIFF has data size 0 or garbage). */
static double
wav_seconds(int fd, off_t size)
{
	unsigned char h[12], c[8], fmt[16];
	off_t pos = 12;
	uint32_t rate = 0;

	if (pread(fd, h, 12, 0) != 12 || memcmp(h, "RIFF", 4) != 0 ||
	    memcmp(h + 8, "WAVE", 4) != 0)
		return -1;
	while (pos + 8 <= size) {
		uint32_t len;

		if (pread(fd, c, 8, pos) != 8)
			return -1;
		len = le32(c + 4);
		if (memcmp(c, "fmt ", 4) == 0) {
			if (len < 16 || pread(fd, fmt, 16, pos + 8) != 16)
				return -1;
			rate = le32(fmt + 8);	/* bytes per second */
		} else if (memcmp(c, "data", 4) == 0) {
			if (rate == 0 || pos + 8 + (off_t)len > size)
				return -1;	/* the header promises more than is there */
			return (double)len / rate;
		}
		pos += 8 + (off_t)len + (len & 1);
	}
	return -1;
}

/* FLAC: STREAMINFO's total samples over its rate (the muxer fills them in
 * at the end; an unfinished file says 0). */
static double
flac_seconds(int fd)
{
	unsigned char h[4 + 4 + 34];
	uint32_t rate;
	uint64_t total;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "fLaC", 4) != 0 ||
	    (h[4] & 0x7f) != 0)
		return -1;
	rate = (uint32_t)h[18] << 12 | (uint32_t)h[19] << 4 | h[20] >> 4;
	total = (uint64_t)(h[21] & 0x0f) << 32 | (uint64_t)h[22] << 24 |
	    (uint64_t)h[23] << 16 | (uint64_t)h[24] << 8 | h[25];
	return rate > 0 && total > 0 ? (double)total / rate : -1;
}

/*
 * 0 when path (written by the muxer t->muxer) holds about want seconds of
 * audio, else -1 with the reason. The tolerance is an encoder's padding.
 */
int
written_whole(const char *path, const struct target *t, double want, char *why,
    size_t whysize)
{
	struct stat st;
	double got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (strcmp(t->muxer, "wav") == 0)
		got = wav_seconds(fd, st.st_size);
	else if (strcmp(t->muxer, "flac") == 0)
		got = flac_seconds(fd);
	else
		got = -2;
	close(fd);
	if (got == -2)
		got = media_whole_seconds(path);
	if (got < 0 || (want > 0 && got + 0.5 + 0.02 * want < want)) {
		if (got < 0)
			snprintf(why, whysize, "the output is incomplete (its %s header was "
			    "never finished: disk full?)", t->muxer);
		else
			snprintf(why, whysize, "the output is incomplete (%.1f s of %.1f s: "
			    "disk full?)", got, want);
		return -1;
	}
	return 0;
}
