/*
 * r128.c -- the built-in meter: BS.1770-4 integrated loudness, EBU Tech
 * 3342 loudness range and a 4x oversampled true peak, computed over the
 * 32-bit float PCM that ffmpeg decodes into a pipe.
 *
 * Why not the ebur128 filter: its true peak resamples every 100 ms frame
 * to 192 kHz, which costs two thirds of a measurement. Here the
 * interpolation only runs near samples that could beat the peak found so
 * far, so the true peak costs almost nothing, and a measurement is little
 * more than the decode.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-loudnorm.h"

#define MAXCH	 32
#define MAXTAPS	 12	/* per phase */

struct biquad {
	double	 b0, b1, b2, a1, a2;
};

struct meter {
	int	 ch, rate, sub;		/* sub: samples in 100 ms */
	double	 w[MAXCH];		/* channel weights */
	struct biquad shelf, hp;
	double	 z[MAXCH][4];		/* filter states: shelf x1 x2... */
	double	 s[MAXCH][4];
	double	 acc[MAXCH];		/* sum of squares in this 100 ms */
	int	 n;			/* samples in this 100 ms */
	double	*e;			/* mean square of each 100 ms */
	size_t	 ne, cape;
	/* true peak */
	int	 up, taps;		/* oversampling factor, taps per phase */
	double	 h[4][MAXTAPS];		/* h[phase][k] applies to x[j - k] */
	double	 gain;			/* max over phases of sum |h| */
	float	 hist[MAXCH][2 * MAXTAPS];	/* the last taps samples, twice */
	int	 pos;			/* newest in hist[c][pos], hist[c][pos + taps] */
	int	 hot[MAXCH];		/* interpolate while > 0 */
	double	 peak;			/* linear, all channels */
	unsigned long long frames;
};

/* K-weighting for any rate: the analog prototypes of BS.1770 (a shelf of
 * +4 dB near 1.7 kHz and a 38 Hz high-pass) through the bilinear transform. */
static void
kweight(struct meter *m)
{
	double f0 = 1681.974450955533, g = 3.999843853973347, q = 0.7071752369554196;
	double k = tan(M_PI * f0 / m->rate), vh = pow(10, g / 20);
	double vb = pow(vh, 0.4996667741545416), a0 = 1 + k / q + k * k;

	m->shelf.b0 = (vh + vb * k / q + k * k) / a0;
	m->shelf.b1 = 2 * (k * k - vh) / a0;
	m->shelf.b2 = (vh - vb * k / q + k * k) / a0;
	m->shelf.a1 = 2 * (k * k - 1) / a0;
	m->shelf.a2 = (1 - k / q + k * k) / a0;
	f0 = 38.13547087602444;
	q = 0.5003270373238773;
	k = tan(M_PI * f0 / m->rate);
	a0 = 1 + k / q + k * k;
	m->hp.b0 = 1;
	m->hp.b1 = -2;
	m->hp.b2 = 1;
	m->hp.a1 = 2 * (k * k - 1) / a0;
	m->hp.a2 = (1 - k / q + k * k) / a0;
}

/* A windowed-sinc interpolator, 4x under 96 kHz, 2x under 192 kHz; each
 * phase scaled to unit gain at DC. */
static void
interpolator(struct meter *m)
{
	int p, k, len;
	double c, sum, g;

	m->up = m->rate < 96000 ? 4 : m->rate < 192000 ? 2 : 1;
	m->taps = m->up == 1 ? 1 : MAXTAPS;
	len = m->up * m->taps;
	c = len / 2;	/* phase 0 falls on the samples themselves */
	m->gain = 1;
	for (p = 0; p < m->up; p++) {
		sum = g = 0;
		for (k = 0; k < m->taps; k++) {
			double n = k * m->up + p, t = (n - c) / m->up;
			double sinc = t == 0 ? 1 : sin(M_PI * t) / (M_PI * t);
			double win = 0.5 + 0.5 * cos(M_PI * (n - c) / (c + 1));

			m->h[p][k] = sinc * win;
			sum += m->h[p][k];
		}
		for (k = 0; k < m->taps; k++) {
			m->h[p][k] /= sum;
			g += fabs(m->h[p][k]);
		}
		if (g > m->gain)
			m->gain = g;
	}
}

/* ITU-R BS.1770 weights: surround channels +1.5 dB, LFE left out. */
static void
weights(struct meter *m, const char *layout, int dualmono)
{
	int c;

	for (c = 0; c < m->ch; c++)
		m->w[c] = 1;
	if (m->ch == 1 && dualmono)
		m->w[0] = 2;
	if (strncmp(layout, "5.1", 3) == 0 || strncmp(layout, "7.1", 3) == 0) {
		m->w[3] = 0;			/* FL FR FC LFE ... */
		for (c = 4; c < m->ch; c++)
			m->w[c] = 1.41;
	} else if (strncmp(layout, "5.0", 3) == 0 || strncmp(layout, "7.0", 3) == 0) {
		for (c = 3; c < m->ch; c++)
			m->w[c] = 1.41;
	} else if (strcmp(layout, "quad") == 0 || strncmp(layout, "4.0", 3) == 0) {
		for (c = strcmp(layout, "quad") == 0 ? 2 : 3; c < m->ch; c++)
			m->w[c] = 1.41;
	} else if (strcmp(layout, "2.1") == 0 && m->ch == 3) {
		m->w[2] = 0;
	}
}

static double
biquad(const struct biquad *f, double x, double *st)
{
	/* st: x1 x2 y1 y2 */
	double y = f->b0 * x + f->b1 * st[0] + f->b2 * st[1] - f->a1 * st[2] -
	    f->a2 * st[3];

	st[1] = st[0];
	st[0] = x;
	st[3] = st[2];
	st[2] = y;
	return y;
}

/* The inter-sample peaks before sample x (newest in hist[0]); only run
 * while a sample that could beat the peak is within reach. */
static void
true_peak(struct meter *m, int c, float x)
{
	float *h = m->hist[c] + m->pos;
	double ax = fabs(x);
	int p, k;

	h[0] = h[m->taps] = x;
	if (ax > m->peak)
		m->peak = ax;
	if (m->up == 1)
		return;
	if (ax * m->gain >= m->peak)
		m->hot[c] = m->taps;
	if (m->hot[c] == 0)
		return;
	m->hot[c]--;
	for (p = 0; p < m->up; p++) {
		double y = 0;

		for (k = 0; k < m->taps; k++)
			y += m->h[p][k] * h[k];
		if (fabs(y) > m->peak)
			m->peak = fabs(y);
	}
}

static void
feed(struct meter *m, const float *buf, size_t nframes)
{
	size_t i;
	int c;

	for (i = 0; i < nframes; i++) {
		m->pos = m->pos == 0 ? m->taps - 1 : m->pos - 1;
		for (c = 0; c < m->ch; c++) {
			float x = buf[i * (size_t)m->ch + (size_t)c];
			double y;

			true_peak(m, c, x);
			y = biquad(&m->shelf, x, m->z[c]);
			y = biquad(&m->hp, y, m->s[c]);
			m->acc[c] += y * y;
		}
		if (++m->n == m->sub) {
			double e = 0;

			for (c = 0; c < m->ch; c++) {
				e += m->w[c] * m->acc[c];
				m->acc[c] = 0;
			}
			if (m->ne == m->cape) {
				m->cape = m->cape ? m->cape * 2 : 4096;
				m->e = xrealloc(m->e, m->cape * sizeof(*m->e));
			}
			m->e[m->ne++] = e / m->sub;
			m->n = 0;
		}
	}
	m->frames += nframes;
}

static double
lufs(double z)
{
	return z > 0 ? -0.691 + 10 * log10(z) : -HUGE_VAL;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Gated mean of blocks of len 100 ms pieces, every 100 ms: BS.1770's
 * integrated loudness (len 4, relative gate -10 LU) or, with lra set, EBU
 * 3342's range (len 30, gate -20 LU, 10th to 95th percentile).
 */
static double
gated(const struct meter *m, size_t len, double rel, int lra)
{
	size_t nb, i, j, k = 0;
	double *b, sum = 0, gate, res;
	size_t n = 0;

	if (m->ne < len)
		return lra ? 0 : -HUGE_VAL;
	nb = m->ne - len + 1;
	b = xcalloc(nb, sizeof(*b));
	for (i = 0; i < nb; i++) {
		for (j = 0; j < len; j++)
			b[i] += m->e[i + j];
		b[i] /= (double)len;
	}
	for (i = 0; i < nb; i++)
		if (lufs(b[i]) > -70) {
			sum += b[i];
			n++;
		}
	if (n == 0) {
		free(b);
		return lra ? 0 : -HUGE_VAL;
	}
	gate = lufs(sum / n) + rel;
	sum = 0;
	for (i = 0; i < nb; i++)
		if (lufs(b[i]) > -70 && lufs(b[i]) > gate) {
			sum += b[i];
			b[k++] = lufs(b[i]);
		}
	if (!lra) {
		res = lufs(sum / (double)k);
	} else if (k < 2) {
		res = 0;
	} else {
		qsort(b, k, sizeof(*b), cmpd);
		res = b[(size_t)lround(0.95 * (double)(k - 1))] -
		    b[(size_t)lround(0.10 * (double)(k - 1))];
	}
	free(b);
	return res;
}

/* PCM from the decoder, fed to the meter in whole frames as it arrives. */
struct pcm {
	struct meter *m;
	size_t	 fsize, have;	/* bytes a frame; bytes waiting in buf */
	union { float f[4096 * 2]; char c[4096 * 2 * sizeof(float)]; } buf;
};

static void
pcm_sink(void *arg, const char *p, size_t n)
{
	struct pcm *pc = arg;
	size_t take, whole;

	while (n > 0) {
		take = sizeof(pc->buf.c) - pc->have;
		if (take > n)
			take = n;
		memcpy(pc->buf.c + pc->have, p, take);
		pc->have += take;
		p += take;
		n -= take;
		/* whole frames only; a partial one waits for its rest */
		whole = pc->have / pc->fsize * pc->fsize;
		feed(pc->m, pc->buf.f, pc->have / pc->fsize);
		memmove(pc->buf.c, pc->buf.c + whole, pc->have - whole);
		pc->have -= whole;
	}
}

int
measure_builtin(const char *path, const struct probe *pr, int dualmono,
    struct loudness *out, char *why, size_t whysize)
{
	struct meter *m;
	struct pcm *pc;
	struct proc_out po;
	char *in = xasprintf("file:%s", path), rate[16], chans[16], line[256];
	char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats",
	    "-v", "error", "-i", in, "-map", "0:a:0", "-ac", chans, "-ar", rate,
	    "-c:a", "pcm_f32le", "-f", "f32le", "-", NULL };
	int status, rc;

	if (pr->channels > MAXCH) {
		snprintf(why, whysize, "%d channels: too many", pr->channels);
		free(in);
		return -1;
	}
	snprintf(rate, sizeof(rate), "%d", pr->rate);
	snprintf(chans, sizeof(chans), "%d", pr->channels);
	m = xcalloc(1, sizeof(*m));
	m->ch = pr->channels;
	m->rate = pr->rate;
	m->sub = (m->rate + 5) / 10;
	kweight(m);
	interpolator(m);
	weights(m, pr->layout, dualmono);
	pc = xcalloc(1, sizeof(*pc));
	pc->m = m;
	pc->fsize = sizeof(float) * (size_t)m->ch;
	status = spawn_stream(argv, pcm_sink, pc, &po);
	free(in);
	rc = -1;
	if (status < 0)
		snprintf(why, whysize, "cannot run ffmpeg: %s", strerror(errno));
	else if (status != 0)
		snprintf(why, whysize, "cannot decode (ffmpeg: %s)",
		    last_line(po.err, line, sizeof(line)));
	else if (damaged(po.err, line, sizeof(line)) != NULL)
		snprintf(why, whysize, "damaged audio (ffmpeg: %s)", line);
	else if (m->frames == 0)
		snprintf(why, whysize, "no audio decoded");
	else
		rc = 0;
	if (rc == 0) {
		out->i = gated(m, 4, -10, 0);
		out->lra = gated(m, 30, -20, 1);
		out->tp = m->peak > 0 ? 20 * log10(m->peak) : -HUGE_VAL;
		out->seconds = (double)m->frames / m->rate;
	}
	proc_out_free(&po);
	free(pc);
	free(m->e);
	free(m);
	return rc;
}
