/*
 * mem-loudnorm.h -- private to mem-loudnorm: what ffprobe says about a
 * file, what the ebur128 meter says about it, and how to render it.
 */

/* The facts about one input that the render needs (probe.c). */
struct probe {
	int	 aindex;	/* stream index of the first audio stream, -1 none */
	int	 naudio;	/* audio streams */
	int	 nvideo;	/* real video streams (cover art not counted) */
	int	 ncover;	/* attached pictures */
	char	 codec[32];	/* the audio stream's codec_name */
	char	 sample_fmt[16];
	char	 layout[64];	/* channel_layout: "stereo", "5.1(side)" */
	char	 format[96];	/* format_name: "wav", "mov,mp4,m4a,3gp,3g2,mj2" */
	int	 rate;
	int	 channels;
	int	 bits;		/* bit depth of PCM/FLAC/ALAC, else 0 */
	long	 bitrate;	/* audio bit rate in bit/s, 0 when unknown */
	double	 duration;	/* seconds, < 0 when unknown */
	char	**stale;	/* REPLAYGAIN_*, R128_* tag keys, NULL-terminated */
	size_t	 nstale;
};

/* One measurement with FFmpeg's ebur128 filter (meter.c). */
struct loudness {
	double	 i;		/* integrated loudness, LUFS (-70: none) */
	double	 lra;		/* loudness range, LU */
	double	 tp;		/* true peak, dBTP, rounded up */
	double	 seconds;	/* audio actually decoded */
};

/* Where and how an output is written (render.c). */
struct target {
	const char *muxer;	/* -f */
	const char *ext;	/* with the dot, "" to keep the name */
	const char *codec;	/* -c:a */
	const char *sample_fmt;	/* -sample_fmt, or NULL */
	int	 bits;		/* -bits_per_raw_sample, or 0 */
	long	 bitrate;	/* -b:a, or 0 */
	int	 vbr_quality;	/* -q:a when >= 0 and no bitrate */
	int	 lossy;
	int	 video;		/* a video container: copy everything else */
	int	 covers;	/* the muxer keeps attached pictures */
	double	 shift;	/* expected loudness change by the encoder, LU */
};

/* The settings of the run (mem-loudnorm.c). */
struct settings {
	double	 target;	/* LUFS */
	double	 tpmax;		/* dBTP */
	double	 lra;		/* LU: report inputs wider than this */
	double	 threshold;	/* LU */
	int	 maxpasses;
	const char *format;	/* NULL: same as the source */
	long	 bitrate;	/* 0: the source's */
	int	 rate;		/* 0: keep */
	int	 dualmono;
	int	 metadata;
	int	 limit;		/* --tp-mode limit (1) or cap (0) */
	int	 verify;	/* measure every output, lossless too */
};

int	 probe_file(const char *path, struct probe *p, char *why, size_t whysize);
void	 probe_free(struct probe *p);

/* The meter that measure() uses: the built-in one or FFmpeg's ebur128. */
extern int use_ebur128;
int	 measure(const char *path, const struct probe *p, int dualmono,
	    struct loudness *m, char *why, size_t whysize);
int	 measure_builtin(const char *path, const struct probe *p, int dualmono,
	    struct loudness *m, char *why, size_t whysize);
const char *damaged(const char *err, char *buf, size_t size);

int	 pick_target(const struct probe *p, const struct settings *s,
	    const char *srcpath, struct target *t, char *why, size_t whysize);
int	 written_whole(const char *path, const struct target *t, double want,
	    char *why, size_t whysize);
int	 render(const char *src, const char *dst, const struct probe *p,
	    const struct target *t, const struct settings *s, double gain,
	    double ceiling, char *why, size_t whysize);

enum mode { LINEAR, LIMITED, CAPPED, UNCHANGED };

/* What happened to one item, for the report line. */
struct result {
	const char *input;
	const char *output;
	const char *status;	/* normalized, measured, failed */
	const char *reason;	/* why it failed, or NULL */
	struct loudness in, out;
	int	 have_in, have_out;
	int	 verified;	/* out was measured, not predicted */
	enum mode mode;
	double	 gain;
	int	 passes;
	double	 error;		/* out.i - target */
	int	 wide;		/* input LRA above --lra (kept) */
};

/* The run's settings and report stream (mem-loudnorm.c). */
extern struct settings set;
extern int quiet, json;
extern FILE *report;
extern unsigned long ntotal, ndone, nfailed;
extern double maxerr;

/* report.c: one line (or JSON object) a file, and the batch summaries. */
extern const char *mode_names[];
void	 report_line(const struct result *r);
void	 summary(void);
int	 summarize(const char *path);
