/*
 * probe.c -- what ffprobe says about an input: its first audio stream
 * (codec, rate, channels, bit depth, bit rate), the other streams, the
 * container, the duration and the stale loudness tags to drop.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "mem.h"
#include "mem-loudnorm.h"

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ffprobe prints most numbers as strings ("44100", "180.000000"). */
static double
jnum(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	double d;

	if (json_is_number(v))
		return json_number_value(v);
	if ((s = json_is_string(v) ? json_string_value(v) : NULL) == NULL)
		return dflt;
	d = strtod(s, &end);
	return end == s ? dflt : d;
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* ReplayGain and R128 gain tags describe the source's loudness: after a
 * gain they are wrong, so the output must not inherit them. */
static void
collect_stale(struct probe *p, json_t *tags)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(tags))
		return;
	json_object_foreach(tags, key, v) {
		if (strncasecmp(key, "REPLAYGAIN_", 11) != 0 &&
		    strncasecmp(key, "R128_", 5) != 0)
			continue;
		for (i = 0; i < p->nstale; i++)
			if (strcmp(p->stale[i], key) == 0)
				break;
		if (i < p->nstale)
			continue;
		p->stale = xrealloc(p->stale, (p->nstale + 2) * sizeof(*p->stale));
		p->stale[p->nstale++] = xstrdup(key);
		p->stale[p->nstale] = NULL;
	}
}

static void
take_audio(struct probe *p, json_t *st)
{
	const char *codec = jstr(st, "codec_name");
	int raw = (int)jnum(st, "bits_per_raw_sample", 0);
	int bps = (int)jnum(st, "bits_per_sample", 0);

	p->aindex = (int)jnum(st, "index", 0);
	copy(p->codec, sizeof(p->codec), codec);
	copy(p->sample_fmt, sizeof(p->sample_fmt), jstr(st, "sample_fmt"));
	copy(p->layout, sizeof(p->layout), jstr(st, "channel_layout"));
	p->rate = (int)jnum(st, "sample_rate", 0);
	p->channels = (int)jnum(st, "channels", 0);
	p->bitrate = (long)jnum(st, "bit_rate", 0);
	if (codec != NULL && (strncmp(codec, "pcm_", 4) == 0 ||
	    strcmp(codec, "flac") == 0 || strcmp(codec, "alac") == 0 ||
	    strcmp(codec, "wavpack") == 0))
		p->bits = raw > 0 ? raw : bps;
	if (p->duration < 0)
		p->duration = jnum(st, "duration", -1);
}

int
probe_file(const char *path, struct probe *p, char *why, size_t whysize)
{
	char *arg = xasprintf("file:%s", path);
	char *argv[] = { "ffprobe", "-v", "error", "-show_format",
	    "-show_streams", "-of", "json", arg, NULL };
	struct proc_out o;
	json_error_t jerr;
	json_t *root = NULL, *streams, *fmt, *st;
	char line[256];
	double fdur;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	p->aindex = -1;
	p->duration = -1;
	rc = spawn_run(argv, 1, &o);
	free(arg);
	if (rc < 0) {
		snprintf(why, whysize, "cannot run ffprobe");
		return -1;
	}
	if (rc != 0) {
		snprintf(why, whysize, "not a media file (ffprobe: %s)",
		    last_line(o.err, line, sizeof(line)));
		proc_out_free(&o);
		return -1;
	}
	root = json_loads(o.out, 0, &jerr);
	proc_out_free(&o);
	if (root == NULL) {
		snprintf(why, whysize, "ffprobe output unreadable: %s", jerr.text);
		return -1;
	}
	fmt = json_object_get(root, "format");
	copy(p->format, sizeof(p->format), jstr(fmt, "format_name"));
	fdur = jnum(fmt, "duration", -1);
	collect_stale(p, json_object_get(fmt, "tags"));
	streams = json_object_get(root, "streams");
	json_array_foreach(streams, i, st) {
		const char *type = jstr(st, "codec_type");
		json_t *disp = json_object_get(st, "disposition");

		if (type == NULL)
			continue;
		if (strcmp(type, "audio") == 0) {
			if (p->naudio++ == 0) {
				take_audio(p, st);
				collect_stale(p, json_object_get(st, "tags"));
			}
		} else if (strcmp(type, "video") == 0) {
			if (jnum(disp, "attached_pic", 0) > 0)
				p->ncover++;
			else
				p->nvideo++;
		}
	}
	json_decref(root);
	if (p->duration <= 0)
		p->duration = fdur;
	if (p->naudio == 0) {
		snprintf(why, whysize, "no audio stream");
		probe_free(p);
		return -1;
	}
	if (p->rate <= 0 || p->channels <= 0) {
		snprintf(why, whysize, "audio stream without rate or channels");
		probe_free(p);
		return -1;
	}
	return 0;
}

void
probe_free(struct probe *p)
{
	size_t i;

	for (i = 0; i < p->nstale; i++)
		free(p->stale[i]);
	free(p->stale);
	p->stale = NULL;
	p->nstale = 0;
}
