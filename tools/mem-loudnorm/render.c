/*
 * render.c -- choose the output's container, codec and bit depth, then
 * write it with one ffmpeg run: a linear gain (volume) and, only when the
 * true peak demands it, a limiter; every other stream copied.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mem-loudnorm.h"

/* The encoder that writes a codec again, or NULL when FFmpeg has none. */
static const char *
encoder_for(const char *codec)
{
	static const char *map[][2] = {
		{ "flac", "flac" }, { "alac", "alac" }, { "mp3", "libmp3lame" },
		{ "aac", "aac" }, { "opus", "libopus" }, { "vorbis", "libvorbis" },
		{ "ac3", "ac3" }, { "eac3", "eac3" }, { "mp2", "mp2" },
		{ "wmav2", "wmav2" }, { "wmav1", "wmav1" }, { "wavpack", "wavpack" },
	};
	size_t i;

	if (strncmp(codec, "pcm_", 4) == 0)
		return codec;
	for (i = 0; i < LEN(map); i++)
		if (strcmp(codec, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static int
is_lossy(const char *enc)
{
	return strncmp(enc, "pcm_", 4) != 0 && strcmp(enc, "flac") != 0 &&
	    strcmp(enc, "alac") != 0 && strcmp(enc, "wavpack") != 0;
}

/*
 * How much a lossy encoder changes integrated loudness, measured here with
 * an independent meter (LAME loses about 0.5 LU at 128 kb/s). The first
 * encode is compensated by it, so the verification usually passes at once;
 * the verification still decides.
 */
static double
encoder_shift(const char *enc, long bitrate, int quality)
{
	if (strcmp(enc, "libmp3lame") == 0) {
		if (bitrate <= 0)
			return quality <= 2 ? -0.03 : -0.1;
		if (bitrate <= 128000)
			return -0.48;
		if (bitrate <= 160000)
			return -0.38;
		if (bitrate <= 192000)
			return -0.29;
		if (bitrate <= 256000)
			return -0.1;
		return 0;
	}
	return 0;	/* AAC, Opus, Vorbis: within 0.05 LU */
}

/* The lossless sample format that keeps the source's bit depth. */
static void
lossless_depth(const struct probe *p, struct target *t)
{
	int bits = p->bits > 0 ? p->bits : 16;
	int planar = strcmp(t->codec, "alac") == 0 ||
	    strcmp(t->codec, "wavpack") == 0;

	if (strncmp(t->codec, "pcm_", 4) == 0)
		return;
	if (bits <= 16) {
		t->sample_fmt = planar ? "s16p" : "s16";
	} else {
		t->sample_fmt = planar ? "s32p" : "s32";
		t->bits = 24;
	}
}

/* A WAV/AIFF codec of the source's depth when the source is not PCM. */
static const char *
pcm_codec(const struct probe *p, int bigendian)
{
	int bits = p->bits;

	if (strncmp(p->codec, "pcm_f", 5) == 0 || strcmp(p->sample_fmt, "flt") == 0 ||
	    strcmp(p->sample_fmt, "fltp") == 0)
		if (p->bits >= 32 || strncmp(p->codec, "pcm_", 4) == 0)
			return bigendian ? "pcm_f32be" : "pcm_f32le";
	if (bits > 24)
		return bigendian ? "pcm_s32be" : "pcm_s32le";
	if (bits > 16)
		return bigendian ? "pcm_s24be" : "pcm_s24le";
	return bigendian ? "pcm_s16be" : "pcm_s16le";
}

/* Valid MPEG-1 layer III rates: LAME refuses the others. */
static long
mp3_rate(long b)
{
	static const long r[] = { 32, 40, 48, 56, 64, 80, 96, 112, 128, 160,
	    192, 224, 256, 320 };
	size_t i, best = 0;

	for (i = 0; i < LEN(r); i++)
		if (labs(r[i] * 1000 - b) < labs(r[best] * 1000 - b))
			best = i;
	return r[best] * 1000;
}

static void
choose_bitrate(const struct probe *p, const struct settings *s, struct target *t)
{
	long b = s->bitrate;

	t->vbr_quality = -1;
	if (b == 0 && is_lossy(p->codec) && p->bitrate > 0 &&
	    strcmp(encoder_for(p->codec) ? encoder_for(p->codec) : "", t->codec) == 0)
		b = p->bitrate;
	if (strcmp(t->codec, "libmp3lame") == 0) {
		if (b == 0)
			t->vbr_quality = 2;
		else
			b = mp3_rate(b);
	} else if (strcmp(t->codec, "libvorbis") == 0 && b == 0) {
		t->vbr_quality = 5;
	} else if (b == 0) {
		if (strcmp(t->codec, "libopus") == 0)
			b = p->channels > 2 ? 256000 : p->channels == 1 ? 64000 : 128000;
		else if (strcmp(t->codec, "aac") == 0)
			b = p->channels > 2 ? 384000 : 192000;
	}
	t->bitrate = b;
}

int
pick_target(const struct probe *p, const struct settings *s, const char *src,
    struct target *t, char *why, size_t whysize)
{
	const char *fmt = p->format, *ext = path_ext(src);

	memset(t, 0, sizeof(*t));
	t->ext = "";
	t->codec = encoder_for(p->codec);
	if (s->format != NULL) {
		static const char *map[][4] = {
			/* --format, muxer, extension, encoder */
			{ "mp3", "mp3", ".mp3", "libmp3lame" },
			{ "flac", "flac", ".flac", "flac" },
			{ "wav", "wav", ".wav", NULL },
			{ "m4a", "mp4", ".m4a", "aac" },
			{ "opus", "opus", ".opus", "libopus" },
		};
		size_t i;

		for (i = 0; i < LEN(map); i++)
			if (strcmp(s->format, map[i][0]) == 0)
				break;
		t->muxer = map[i][1];
		t->ext = map[i][2];
		t->codec = map[i][3] ? map[i][3] : pcm_codec(p, 0);
		t->covers = strcmp(t->muxer, "wav") != 0 && strcmp(t->muxer, "opus") != 0;
	} else if (strstr(fmt, "wav") != NULL) {
		t->muxer = "wav";
		if (t->codec == NULL || is_lossy(t->codec))
			t->codec = pcm_codec(p, 0);
	} else if (strcmp(fmt, "aiff") == 0) {
		t->muxer = "aiff";
		if (t->codec == NULL || is_lossy(t->codec))
			t->codec = pcm_codec(p, 1);
	} else if (strcmp(fmt, "w64") == 0 || strcmp(fmt, "caf") == 0 ||
	    strcmp(fmt, "flac") == 0 || strcmp(fmt, "mp3") == 0 ||
	    strcmp(fmt, "ogg") == 0 || strcmp(fmt, "avi") == 0 ||
	    strcmp(fmt, "mpegts") == 0 || strcmp(fmt, "asf") == 0) {
		t->muxer = fmt;
		t->covers = strcmp(fmt, "flac") == 0 || strcmp(fmt, "mp3") == 0;
	} else if (strcmp(fmt, "aac") == 0 || strcmp(fmt, "wv") == 0) {
		t->muxer = strcmp(fmt, "aac") == 0 ? "adts" : "wv";
	} else if (strncmp(fmt, "mov,mp4", 7) == 0) {
		t->muxer = strcasecmp(ext, "mov") == 0 ? "mov" : "mp4";
		t->covers = 1;
	} else if (strncmp(fmt, "matroska", 8) == 0) {
		t->muxer = strcasecmp(ext, "webm") == 0 ? "webm" : "matroska";
	} else {
		snprintf(why, whysize, "unsupported container %s", fmt);
		return -1;
	}
	if (t->codec == NULL) {
		snprintf(why, whysize, "FFmpeg cannot encode %s audio: choose "
		    "--format", p->codec);
		return -1;
	}
	t->video = s->format == NULL && p->nvideo > 0;
	t->lossy = is_lossy(t->codec);
	if (t->lossy) {
		choose_bitrate(p, s, t);
		t->shift = encoder_shift(t->codec, t->bitrate, t->vbr_quality);
	} else {
		lossless_depth(p, t);
	}
	return 0;
}

struct args {
	char	**v;
	size_t	  n, cap;
};

static void
add(struct args *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void
addf(struct args *a, const char *fmt, double d)
{
	char *s = xasprintf(fmt, d);

	add(a, s);
	free(s);
}

static void
args_free(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/*
 * One ffmpeg run from the source (never from an earlier output, so lossy
 * generations never stack): gain in double precision, then the limiter when
 * ceiling (dBFS, sample peak) is finite.
 */
int
render(const char *src, const char *dst, const struct probe *p,
    const struct target *t, const struct settings *s, double gain,
    double ceiling, char *why, size_t whysize)
{
	struct args a = { 0 };
	struct proc_out o;
	char *filter, *in, *out, line[256];
	const char *sel;
	size_t i;
	int rc;

	if (isfinite(ceiling)) {
		double lim = pow(10, ceiling / 20);

		lim = lim < 0.0625 ? 0.0625 : lim > 1 ? 1 : lim;
		filter = xasprintf("volume=%.4fdB:precision=double,alimiter="
		    "limit=%.6f:attack=5:release=50:level=disabled:latency=1",
		    gain, lim);
	} else {
		filter = xasprintf("volume=%.4fdB:precision=double", gain);
	}
	in = xasprintf("file:%s", src);
	out = xasprintf("file:%s", dst);
	add(&a, "ffmpeg");
	add(&a, "-nostdin");
	add(&a, "-hide_banner");
	add(&a, "-nostats");
	add(&a, "-v");
	add(&a, "error");
	add(&a, "-y");
	add(&a, "-i");
	add(&a, in);
	if (t->video) {
		/* Everything copied but the first audio stream. */
		add(&a, "-map");
		add(&a, "0");
		add(&a, "-c");
		add(&a, "copy");
		sel = ":a:0";
	} else {
		add(&a, "-map");
		add(&a, "0:a:0");
		if (t->covers && p->ncover > 0 && p->nvideo == 0 && s->metadata) {
			add(&a, "-map");
			add(&a, "0:v");
			add(&a, "-c:v");
			add(&a, "copy");
		}
		sel = ":a";
	}
	{
		char opt[32];

		snprintf(opt, sizeof(opt), "-c%s", sel);
		add(&a, opt);
		add(&a, t->codec);
		snprintf(opt, sizeof(opt), "-filter%s", sel);
		add(&a, opt);
		add(&a, filter);
		if (t->sample_fmt != NULL) {
			snprintf(opt, sizeof(opt), "-sample_fmt%s", sel);
			add(&a, opt);
			add(&a, t->sample_fmt);
		}
		if (t->bits > 0) {
			snprintf(opt, sizeof(opt), "-bits_per_raw_sample%s", sel);
			add(&a, opt);
			addf(&a, "%.0f", t->bits);
		}
		if (t->bitrate > 0) {
			snprintf(opt, sizeof(opt), "-b%s", sel);
			add(&a, opt);
			addf(&a, "%.0f", (double)t->bitrate);
		} else if (t->vbr_quality >= 0) {
			snprintf(opt, sizeof(opt), "-q%s", sel);
			add(&a, opt);
			addf(&a, "%.0f", t->vbr_quality);
		}
		if (s->rate > 0) {
			snprintf(opt, sizeof(opt), "-ar%s", sel);
			add(&a, opt);
			addf(&a, "%.0f", s->rate);
		}
	}
	if (!s->metadata) {
		add(&a, "-map_metadata");
		add(&a, "-1");
		add(&a, "-map_chapters");
		add(&a, "-1");
	} else {
		for (i = 0; i < p->nstale; i++) {
			char *kv = xasprintf("%s=", p->stale[i]);

			add(&a, "-metadata");
			add(&a, kv);
			add(&a, "-metadata:s:a:0");
			add(&a, kv);
			free(kv);
		}
	}
	add(&a, "-f");
	add(&a, t->muxer);
	add(&a, out);
	free(filter);
	free(in);
	free(out);
	rc = spawn_run(a.v, 0, &o);
	args_free(&a);
	if (rc < 0) {
		snprintf(why, whysize, "cannot run ffmpeg");
		return -1;
	}
	if (rc != 0) {
		snprintf(why, whysize, "ffmpeg failed: %s",
		    last_line(o.err, line, sizeof(line)));
		proc_out_free(&o);
		return -1;
	}
	/* ffmpeg exits 0 after some write errors (a FLAC trailer on a full
	 * disk): its own words say so */
	for (const char *e = o.err; (e = strstr(e, "Error ")) != NULL; e++)
		if (strncmp(e, "Error writing trailer", 21) == 0 ||
		    strncmp(e, "Error closing file", 18) == 0) {
			snprintf(why, whysize, "ffmpeg: %s", last_line(o.err, line,
			    sizeof(line)));
			proc_out_free(&o);
			return -1;
		}
	proc_out_free(&o);
	return 0;
}
