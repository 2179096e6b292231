/*
 * report.c -- what mem-loudnorm says about each file: one line (or one JSON
 * object) with the input's and the output's figures, and LevelUp's batch
 * summary, for one run or for the reports that many runs appended to a file.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mem.h"
#include "mem-loudnorm.h"

const char *mode_names[] = { "linear", "limited", "capped", "unchanged" };

/* JSON strings must be UTF-8; a name is any bytes: bad bytes become U+FFFD. */
static json_t *
jpath(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *buf = xmalloc(n * 3 + 1);
	json_t *j;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		size_t k;

		for (k = 1; len > 0 && k < len; k++)
			if (i + k >= n || ((unsigned char)s[i + k] >> 6) != 2)
				len = 0;
		if (len == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(buf + o, s + i, len);
			o += len;
			i += len;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j != NULL ? j : json_string("?");
}

static json_t *
jround(double d, double scale)
{
	if (!isfinite(d))
		return json_null();
	return json_real(round(d * scale) / scale);
}

static void
report_json(const struct result *r)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "input", jpath(r->input));
	if (r->output != NULL)
		json_object_set_new(o, "output", jpath(r->output));
	json_object_set_new(o, "status", json_string(r->status));
	if (r->reason != NULL)
		json_object_set_new(o, "reason", jpath(r->reason));
	json_object_set_new(o, "target", jround(set.target, 100));
	json_object_set_new(o, "true_peak_limit", jround(set.tpmax, 100));
	if (r->have_in) {
		json_object_set_new(o, "input_i", jround(r->in.i, 1000));
		json_object_set_new(o, "input_tp", jround(r->in.tp, 100));
		json_object_set_new(o, "input_lra", jround(r->in.lra, 100));
		json_object_set_new(o, "duration", jround(r->in.seconds, 10));
	}
	if (r->have_out) {
		json_object_set_new(o, "mode", json_string(mode_names[r->mode]));
		json_object_set_new(o, "gain", jround(r->gain, 1000));
		json_object_set_new(o, "output_i", jround(r->out.i, 1000));
		json_object_set_new(o, "output_tp", jround(r->out.tp, 100));
		json_object_set_new(o, "output_lra", jround(r->out.lra, 100));
		json_object_set_new(o, "verified", json_boolean(r->verified));
		json_object_set_new(o, "passes", json_integer(r->passes));
		json_object_set_new(o, "error", jround(r->error, 1000));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (s != NULL)
		fprintf(report, "%s\n", s);
	else
		warnx_("%s: cannot write its JSON report", r->input);
	free(s);
}

/* One line a file, LevelUp's figures: input, gain, output, passes, error. */
void
report_line(const struct result *r)
{
	if (quiet && report == stderr && strcmp(r->status, "failed") != 0)
		return;
	if (json) {
		report_json(r);
	} else if (strcmp(r->status, "failed") == 0) {
		if (report == stderr)
			return;		/* the failure line already said it */
		fprintf(report, "%s: %s: failed: %s\n", progname, r->input, r->reason);
	} else {
		fprintf(report, "%s: %s: I %.2f LUFS, TP %.2f dBTP, LRA %.1f LU",
		    progname, r->input, r->in.i, r->in.tp, r->in.lra);
		if (r->have_out)
			fprintf(report, "; gain %+.2f dB %s; out I %.2f LUFS, TP %.2f "
			    "dBTP, LRA %.1f LU%s; %d pass%s, error %+.2f LU",
			    r->gain, mode_names[r->mode], r->out.i, r->out.tp,
			    r->out.lra, r->verified ? "" : " (exact, not re-measured)",
			    r->passes, r->passes == 1 ? "" : "es", r->error);
		if (r->mode == LIMITED)
			fprintf(report, "; dynamics changed by the true-peak limiter");
		if (r->mode == CAPPED)
			fprintf(report, "; %.2f LU under target to keep the true peak",
			    -r->error);
		if (r->mode == UNCHANGED)
			fprintf(report, "; already on target: copied, not re-encoded");
		if (r->wide)
			fprintf(report, "; LRA over --lra %.1f kept", set.lra);
		fputc('\n', report);
	}
	if (fflush(report) == EOF)
		die_errno(ST_FATAL, "report");
}

/* A LevelUp-style batch summary, one line, when more than one file ran. */
void
summary(void)
{
	if (ntotal < 2 || (quiet && report == stderr))
		return;
	if (json) {
		fprintf(report, "{\"summary\":{\"total\":%lu,\"completed\":%lu,"
		    "\"failed\":%lu,\"success_rate\":%.1f,\"max_error\":%.3f}}\n",
		    ntotal, ndone, nfailed, 100.0 * ndone / ntotal, maxerr);
	} else {
		fprintf(report, "%s: summary: %lu files, %lu completed, %lu failed, "
		    "success rate %.1f%%, max |error| %.2f LU\n", progname, ntotal,
		    ndone, nfailed, 100.0 * ndone / ntotal, maxerr);
	}
	if (fflush(report) == EOF)
		die_errno(ST_FATAL, "report");
}

/*
 * LevelUp's batch summary for the reports that runs appended to one file
 * with --json --report (the pipeline runs one mem-loudnorm per item).
 * Returns 0, or -1 when the file cannot be read.
 */
int
summarize(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long n = 0, ok = 0, bad = 0, modes[4] = { 0 }, lines = 0;
	double worst = 0, sum = 0;
	ssize_t len;

	if (fp == NULL)
		return -1;
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_t *o = json_loadb(line, (size_t)len, 0, NULL);
		const char *st, *mode;
		double e;
		int i;

		lines++;
		if (o == NULL) {
			warnx_("%s:%lu: not a JSON report", path, lines);
			continue;
		}
		st = json_string_value(json_object_get(o, "status"));
		mode = json_string_value(json_object_get(o, "mode"));
		if (st != NULL) {
			n++;
			if (strcmp(st, "failed") == 0)
				bad++;
			else
				ok++;
		}
		for (i = 0; mode != NULL && i < 4; i++)
			if (strcmp(mode, mode_names[i]) == 0)
				modes[i]++;
		e = json_number_value(json_object_get(o, "error"));
		if (mode != NULL && strcmp(mode, "capped") != 0) {
			sum += fabs(e);
			if (fabs(e) > worst)
				worst = fabs(e);
		}
		json_decref(o);
	}
	free(line);
	if (ferror(fp)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	printf("=== LOUDNESS NORMALIZATION SUMMARY ===\n");
	printf("Total files: %lu\n", n);
	printf("Completed: %lu\n", ok);
	printf("Failed: %lu\n", bad);
	printf("Success rate: %.1f%%\n", n ? 100.0 * ok / n : 100.0);
	printf("Linear: %lu, limited: %lu, capped: %lu, unchanged: %lu\n",
	    modes[0], modes[1], modes[2], modes[3]);
	if (modes[0] + modes[1] + modes[3] > 0)
		printf("Loudness error: mean %.3f LU, max %.3f LU\n",
		    sum / (modes[0] + modes[1] + modes[3]), worst);
	return 0;
}
