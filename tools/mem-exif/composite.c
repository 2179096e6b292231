/*
 * composite.c -- a Snapchat overlay burned into a JPEG or PNG image in
 * this process: the picture decoded with libjpeg-turbo (or libpng), the
 * overlay with libpng, turned into the stored pixels' frame, scaled to the
 * picture with a Lanczos-3 filter (as FFmpeg's scale2ref did), alpha-blended,
 * and encoded again: a JPEG with the source's quality tables and chroma
 * subsampling, a PNG as 8-bit RGB. The metadata is put back by the caller.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <libdeflate.h>
#include <png.h>
#include <sys/stat.h>

#include "mem-exif.h"

/* 8-bit pixels, ch channels (3 RGB, 4 RGBA), rows packed. */
struct pix {
	unsigned char *p;
	int	 w, h, ch;
	int	 ycc;		/* the 3 channels are JPEG's YCbCr, not RGB */
};

/* What the re-encode copies from the source JPEG: its quantization tables
 * and sampling factors, so that the blocks the overlay does not touch come
 * out as they went in. */
struct jpeg_src {
	int	 ncomp;
	unsigned int table[NUM_QUANT_TBLS][DCTSIZE2];	/* natural order */
	int	 have[NUM_QUANT_TBLS];
	int	 h[3], v[3], qno[3];
};

static void
pix_free(struct pix *x)
{
	free(x->p);
	x->p = NULL;
}

/* libjpeg reports errors through longjmp; the message goes to whybuf. */
struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf	 jb;
};

static void
jerr_exit(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;
	char msg[JMSG_LENGTH_MAX];

	(*c->err->format_message)(c, msg);
	snprintf(whybuf, sizeof(whybuf), "JPEG: %s", msg);
	longjmp(e->jb, 1);
}

/* Warnings (a damaged scan libjpeg can get past) are not fatal: a viewer
 * shows the same picture. */
static void
jerr_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

static unsigned char *
slurp(int fd, off_t size)
{
	unsigned char *buf = xmalloc(size > 0 ? (size_t)size : 1);

	if (read_at(fd, 0, buf, (size_t)size) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
jpeg_decode(int fd, off_t size, struct pix *out, struct jpeg_src *js, const char **why)
{
	struct jpeg_decompress_struct d;
	struct jerr e;
	unsigned char *buf, *volatile keep = NULL;
	JSAMPROW row;

	memset(out, 0, sizeof(*out));
	if ((buf = slurp(fd, size)) == NULL) {
		*why = why_errno("read");
		return -1;
	}
	keep = buf;
	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	e.pub.emit_message = jerr_quiet;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&d);
		free(keep);
		pix_free(out);
		*why = whybuf;
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, buf, (unsigned long)size);
	jpeg_read_header(&d, TRUE);
	memset(js, 0, sizeof(*js));
	js->ncomp = d.num_components;
	for (int t = 0; t < NUM_QUANT_TBLS; t++)
		if (d.quant_tbl_ptrs[t] != NULL) {
			js->have[t] = 1;
			for (int k = 0; k < DCTSIZE2; k++)
				js->table[t][k] = d.quant_tbl_ptrs[t]->quantval[k];
		}
	for (int c = 0; c < 3 && c < d.num_components; c++) {
		js->h[c] = d.comp_info[c].h_samp_factor;
		js->v[c] = d.comp_info[c].v_samp_factor;
		js->qno[c] = d.comp_info[c].quant_tbl_no;
	}
	/*
	 * A colour JPEG stays in YCbCr, its chroma replicated (no fancy
	 * upsampling): the encoder's averaging then gives back the very
	 * samples it had, as FFmpeg's YUV path did.
	 */
	out->ycc = d.jpeg_color_space == JCS_YCbCr && d.num_components == 3;
	d.out_color_space = out->ycc ? JCS_YCbCr : JCS_RGB;
	d.do_fancy_upsampling = FALSE;
	d.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&d);
	out->w = (int)d.output_width;
	out->h = (int)d.output_height;
	out->ch = 3;
	out->p = xmalloc((size_t)out->w * out->h * 3);
	while (d.output_scanline < d.output_height) {
		row = out->p + (size_t)d.output_scanline * out->w * 3;
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	free(keep);
	return 0;
}

/* A PNG, whole, as RGBA (ch 4) or RGB (ch 3); a damaged one is an error
 * with libpng's words. */
static int
png_decode(FILE *fp, int ch, struct pix *out, const char **why)
{
	png_image im;

	memset(out, 0, sizeof(*out));
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_stdio(&im, fp)) {
		snprintf(whybuf, sizeof(whybuf), "PNG: %s", im.message);
		*why = whybuf;
		return -1;
	}
	im.format = ch == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	if (im.width > 30000 || im.height > 30000) {
		png_image_free(&im);
		*why = "PNG: larger than 30000 pixels a side";
		return -1;
	}
	out->w = (int)im.width;
	out->h = (int)im.height;
	out->ch = ch;
	out->ycc = 0;
	out->p = xmalloc(PNG_IMAGE_SIZE(im));
	if (!png_image_finish_read(&im, NULL, out->p, 0, NULL)) {
		snprintf(whybuf, sizeof(whybuf), "PNG: %s", im.message);
		*why = whybuf;
		pix_free(out);
		png_image_free(&im);
		return -1;
	}
	return 0;
}

/* PNG's filters, undone on one row of n bytes (bpp bytes a pixel); prev
 * is the row above, already unfiltered (zeros for the first row). */
static int
png_unfilter(int type, unsigned char *row, const unsigned char *prev, size_t n, int bpp)
{
	size_t i;

	switch (type) {
	case 0:
		break;
	case 1:
		for (i = (size_t)bpp; i < n; i++)
			row[i] = (unsigned char)(row[i] + row[i - bpp]);
		break;
	case 2:
		for (i = 0; i < n; i++)
			row[i] = (unsigned char)(row[i] + prev[i]);
		break;
	case 3:
		for (i = 0; i < (size_t)bpp; i++)
			row[i] = (unsigned char)(row[i] + prev[i] / 2);
		for (; i < n; i++)
			row[i] = (unsigned char)(row[i] + (row[i - bpp] + prev[i]) / 2);
		break;
	case 4:
		for (i = 0; i < (size_t)bpp; i++)
			row[i] = (unsigned char)(row[i] + prev[i]);
		for (; i < n; i++) {
			int a = row[i - bpp], b = prev[i], c = prev[i - bpp];
			int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);

			row[i] = (unsigned char)(row[i] + (pa <= pb && pa <= pc ? a :
			    pb <= pc ? b : c));
		}
		break;
	default:
		return -1;
	}
	return 0;
}

/*
 * The common overlay (8-bit RGBA or RGB, not interlaced, no gamma or
 * transparency chunk to apply) decoded without libpng: its image data
 * inflated in one call by libdeflate, which is several times faster than
 * zlib's streaming inflate on a mostly transparent 1080x1920 frame (half
 * the composite's time went there). Every chunk's CRC is checked and IEND
 * must be there. Anything else, damage included, returns 1: libpng then
 * decodes it (or names the damage in its words), so both paths accept and
 * refuse the same files.
 */
static int
png_decode_fast(FILE *fp, struct pix *out)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	struct libdeflate_decompressor *dz = NULL;
	unsigned char *file = NULL, *idat = NULL, *raw = NULL, *zero = NULL;
	size_t size, off = 8, nidat = 0, stride, rawlen;
	uint32_t w = 0, h = 0;
	int bpp = 0, seen_iend = 0, rc = 1;
	struct stat st;

	if (fstat(fileno(fp), &st) < 0 || st.st_size < 8 + 25 || st.st_size > (1 << 28))
		return 1;
	size = (size_t)st.st_size;
	file = xmalloc(size);
	if (fread(file, 1, size, fp) != size || memcmp(file, sig, 8) != 0)
		goto out;
	idat = xmalloc(size);
	while (!seen_iend && off + 12 <= size) {
		uint32_t len = be32(file + off);
		const unsigned char *type = file + off + 4, *data = file + off + 8;

		if (len > size - off - 12 ||
		    libdeflate_crc32(0, type, (size_t)len + 4) != be32(data + len))
			goto out;
		if (off == 8) {
			if (memcmp(type, "IHDR", 4) != 0 || len != 13)
				goto out;
			w = be32(data);
			h = be32(data + 4);
			/* depth 8, RGB or RGBA, deflate, adaptive filters, no interlace */
			if (w == 0 || h == 0 || w > 30000 || h > 30000 || data[8] != 8 ||
			    (data[9] != 2 && data[9] != 6) || data[10] || data[11] || data[12])
				goto out;
			bpp = data[9] == 6 ? 4 : 3;
		} else if (memcmp(type, "IDAT", 4) == 0) {
			memcpy(idat + nidat, data, len);
			nidat += len;
		} else if (memcmp(type, "IEND", 4) == 0)
			seen_iend = 1;
		else if (memcmp(type, "tRNS", 4) == 0 || memcmp(type, "PLTE", 4) == 0 ||
		    memcmp(type, "iCCP", 4) == 0 || memcmp(type, "sBIT", 4) == 0 ||
		    (memcmp(type, "gAMA", 4) == 0 && (len != 4 ||
		    be32(data) < 45000 || be32(data) > 46000)) || !(type[0] & 0x20))
			goto out;	/* (an unknown critical chunk too) */
		off += 12 + (size_t)len;
	}
	if (!seen_iend || nidat == 0)
		goto out;
	stride = (size_t)w * (size_t)bpp;
	rawlen = (size_t)h * (stride + 1);
	raw = xmalloc(rawlen);
	if ((dz = libdeflate_alloc_decompressor()) == NULL ||
	    libdeflate_zlib_decompress(dz, idat, nidat, raw, rawlen, NULL) != LIBDEFLATE_SUCCESS)
		goto out;
	zero = calloc(1, stride);
	if (zero == NULL)
		goto out;
	/* unfiltered in place, each row then moved down over the filter
	 * bytes (RGBA) or spread to RGBA (RGB, into a buffer of its own):
	 * no second frame-sized buffer to fault in for the common case */
	for (uint32_t y = 0; y < h; y++) {
		unsigned char *row = raw + (size_t)y * (stride + 1) + 1;

		if (png_unfilter(row[-1], row, y ? row - stride - 1 : zero, stride, bpp) < 0)
			goto out;
	}
	memset(out, 0, sizeof(*out));
	out->w = (int)w;
	out->h = (int)h;
	out->ch = 4;
	if (bpp == 4) {
		for (uint32_t y = 0; y < h; y++)
			memmove(raw + (size_t)y * stride, raw + (size_t)y * (stride + 1) + 1, stride);
		out->p = raw;
		raw = NULL;
	} else {
		unsigned char *d = out->p = xmalloc((size_t)w * h * 4);

		for (uint32_t y = 0; y < h; y++) {
			const unsigned char *row = raw + (size_t)y * (stride + 1) + 1;

			for (uint32_t x = 0; x < w; x++, d += 4) {
				memcpy(d, row + 3 * x, 3);
				d[3] = 255;
			}
		}
	}
	rc = 0;
out:
	if (dz != NULL)
		libdeflate_free_decompressor(dz);
	free(zero);
	free(raw);
	free(idat);
	free(file);
	return rc;
}

int
overlay_check(const char *ovl, const char **why)
{
	struct pix o;
	FILE *fp = fopen(ovl, "rbe");

	if (fp == NULL) {
		*why = why_errno(ovl);
		return -1;
	}
	if (png_decode(fp, 4, &o, why) < 0) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	pix_free(&o);
	return 0;
}

/*
 * The overlay is drawn upright (as a viewer shows the picture); the stored
 * pixels are turned by the EXIF orientation. Map it into the stored frame:
 * the inverse of what a viewer applies.
 */
static void
unorient(struct pix *o, int orientation)
{
	struct pix r;
	int x, y, sx, sy, swap = orientation >= 5 && orientation <= 8;

	if (orientation < 2 || orientation > 8)
		return;
	r.ch = o->ch;
	r.ycc = o->ycc;
	r.w = swap ? o->h : o->w;
	r.h = swap ? o->w : o->h;
	r.p = xmalloc((size_t)r.w * r.h * r.ch);
	for (y = 0; y < r.h; y++)
		for (x = 0; x < r.w; x++) {
			switch (orientation) {
			case 2: sx = o->w - 1 - x; sy = y; break;
			case 3: sx = o->w - 1 - x; sy = o->h - 1 - y; break;
			case 4: sx = x; sy = o->h - 1 - y; break;
			/* transpose=0: counter-clockwise and vertical flip */
			case 5: sx = y; sy = x; break;
			/* transpose=2: 90 degrees counter-clockwise */
			case 6: sx = o->w - 1 - y; sy = x; break;
			/* transpose=3: clockwise and vertical flip */
			case 7: sx = o->w - 1 - y; sy = o->h - 1 - x; break;
			/* transpose=1: 90 degrees clockwise */
			default: sx = y; sy = o->h - 1 - x; break;
			}
			memcpy(r.p + ((size_t)y * r.w + x) * r.ch,
			    o->p + ((size_t)sy * o->w + sx) * o->ch, (size_t)r.ch);
		}
	free(o->p);
	*o = r;
}

static double
lanczos3(double x)
{
	if (x == 0)
		return 1;
	if (x <= -3 || x >= 3)
		return 0;
	x *= M_PI;
	return 3 * sin(x) * sin(x / 3) / (x * x);
}

/*
 * One pass of a separable Lanczos-3 resample along one axis, on
 * premultiplied-free RGBA in floats: n source samples to m, each output
 * a weighted sum over the filter's support (widened when shrinking).
 */
static void
resample_axis(const float *src, float *dst, int n, int m, int count,
    long sstride, long sstep, long dstride, long dstep, int ch)
{
	double scale = (double)n / m, support = 3 * (scale > 1 ? scale : 1);
	double fscale = scale > 1 ? 1 / scale : 1;
	int i, k, c, j;

	for (i = 0; i < m; i++) {
		double center = (i + 0.5) * scale - 0.5, wsum = 0, w[512] = { 0 };
		int lo = (int)floor(center - support) + 1, hi = (int)floor(center + support);

		if (hi - lo + 1 > (int)LEN(w))
			hi = lo + (int)LEN(w) - 1;
		for (k = lo; k <= hi; k++)
			wsum += w[k - lo] = lanczos3((k - center) * fscale);
		for (j = 0; j < count; j++) {
			const float *s = src + j * sstride;
			float *d = dst + j * dstride + i * dstep;

			for (c = 0; c < ch; c++) {
				double acc = 0;

				for (k = lo; k <= hi; k++) {
					int kk = k < 0 ? 0 : k >= n ? n - 1 : k;

					acc += w[k - lo] * s[kk * sstep + c];
				}
				d[c] = (float)(wsum != 0 ? acc / wsum : 0);
			}
		}
	}
}

/* The overlay at the picture's size (w x h). */
static void
scale_to(struct pix *o, int w, int h)
{
	float *a, *b, *c;
	size_t i, n;
	int ch = o->ch;

	if (o->w == w && o->h == h)
		return;
	n = (size_t)o->w * o->h * ch;
	a = xmalloc(n * sizeof(float));
	for (i = 0; i < n; i++)
		a[i] = o->p[i];
	b = xmalloc((size_t)w * o->h * ch * sizeof(float));
	/* rows: o->h of them, o->w samples to w */
	resample_axis(a, b, o->w, w, o->h, (long)o->w * ch, ch, (long)w * ch, ch, ch);
	c = xmalloc((size_t)w * h * ch * sizeof(float));
	/* columns: w of them, o->h samples to h */
	resample_axis(b, c, o->h, h, w, ch, (long)w * ch, ch, (long)w * ch, ch);
	free(a);
	free(b);
	free(o->p);
	o->p = xmalloc((size_t)w * h * ch);
	for (i = 0; i < (size_t)w * h * ch; i++) {
		float v = c[i] + 0.5f;

		o->p[i] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
	}
	free(c);
	o->w = w;
	o->h = h;
}

/* Source-over: the overlay's alpha says how much of it covers the picture. */
static void
blend(struct pix *base, const struct pix *o)
{
	size_t i, n = (size_t)base->w * base->h;

	for (i = 0; i < n; i++) {
		const unsigned char *s = o->p + i * 4;
		unsigned char *d = base->p + i * base->ch;
		unsigned a = s[3];

		unsigned char px[3];

		if (a == 0)
			continue;
		if (base->ycc) {
			/* JFIF's full-range YCbCr */
			double r = s[0], g = s[1], b = s[2];
			double y = 0.299 * r + 0.587 * g + 0.114 * b;
			double cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
			double cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;

			px[0] = (unsigned char)(y + 0.5);
			px[1] = (unsigned char)(cb < 0 ? 0 : cb > 255 ? 255 : cb + 0.5);
			px[2] = (unsigned char)(cr < 0 ? 0 : cr > 255 ? 255 : cr + 0.5);
		} else
			memcpy(px, s, 3);
		for (int c = 0; c < 3; c++)
			d[c] = (unsigned char)((px[c] * a + d[c] * (255 - a) + 127) / 255);
	}
}

static int
jpeg_encode(const struct pix *x, const struct jpeg_src *js, int scale, int subsampled,
    FILE *fp, const char **why)
{
	struct jpeg_compress_struct c;
	struct jerr e;
	JSAMPROW row;

	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	if (setjmp(e.jb)) {
		jpeg_destroy_compress(&c);
		*why = whybuf;
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, fp);
	c.image_width = (JDIMENSION)x->w;
	c.image_height = (JDIMENSION)x->h;
	c.input_components = 3;
	c.in_color_space = x->ycc ? JCS_YCbCr : JCS_RGB;
	jpeg_set_defaults(&c);
	c.optimize_coding = TRUE;
	c.dct_method = JDCT_ISLOW;
	if (x->ycc && js->ncomp == 3 && js->have[js->qno[0]] && js->have[js->qno[1]] &&
	    js->have[js->qno[2]]) {
		/* the source's own tables and sampling */
		for (int t = 0; t < NUM_QUANT_TBLS; t++)
			if (js->have[t])
				jpeg_add_quant_table(&c, t, js->table[t], 100, FALSE);
		for (int k = 0; k < 3; k++) {
			c.comp_info[k].quant_tbl_no = js->qno[k];
			c.comp_info[k].h_samp_factor = js->h[k];
			c.comp_info[k].v_samp_factor = js->v[k];
		}
	} else {
		/* the standard tables at the source's estimated scale */
		jpeg_set_linear_quality(&c, scale, FALSE);
		c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor =
		    subsampled ? 2 : 1;
	}
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		row = x->p + (size_t)c.next_scanline * x->w * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}

static int
png_encode(const struct pix *x, FILE *fp, const char **why)
{
	png_image im;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	im.width = (png_uint_32)x->w;
	im.height = (png_uint_32)x->h;
	im.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_stdio(&im, fp, 0, x->p, 0, NULL)) {
		snprintf(whybuf, sizeof(whybuf), "PNG: %s", im.message);
		*why = whybuf;
		return -1;
	}
	return 0;
}

int
composite(int srcfd, off_t size, int png, const char *ovl, int orientation,
    int scale, int subsampled, FILE *out, const char **why)
{
	struct pix base, o;
	struct jpeg_src js;
	FILE *fp;
	int rc;

	if ((fp = fopen(ovl, "rbe")) == NULL) {
		*why = why_errno(ovl);
		return COMPOSITE_BAD_OVERLAY;
	}
	if ((rc = png_decode_fast(fp, &o)) > 0) {
		rewind(fp);
		rc = png_decode(fp, 4, &o, why);
	}
	fclose(fp);
	if (rc < 0)
		return COMPOSITE_BAD_OVERLAY;
	if (png) {
		int fd2 = dup(srcfd);

		if (fd2 < 0 || (fp = fdopen(fd2, "rb")) == NULL) {
			*why = why_errno("source");
			if (fd2 >= 0)
				close(fd2);
			pix_free(&o);
			return -1;
		}
		rewind(fp);
		rc = png_decode(fp, 3, &base, why);
		fclose(fp);
	} else
		rc = jpeg_decode(srcfd, size, &base, &js, why);
	if (rc < 0) {
		pix_free(&o);
		return -1;
	}
	unorient(&o, png ? 1 : orientation);
	scale_to(&o, base.w, base.h);
	blend(&base, &o);
	pix_free(&o);
	rc = png ? png_encode(&base, out, why) :
	    jpeg_encode(&base, &js, scale, subsampled, out, why);
	pix_free(&base);
	if (rc == 0 && (fflush(out) == EOF || ferror(out))) {
		*why = why_errno("composite");
		rc = -1;
	}
	return rc;
}
