/*
 * content.c -- what a downloaded body is, from its first bytes (never from
 * the URL, whose name may lie or be absent), and the unpacking of the ZIP
 * that Snapchat sends for a memory with an overlay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <zip.h>

#include "mem.h"
#include "mem-fetch.h"

static int
at(const unsigned char *p, size_t n, size_t off, const char *magic, size_t len)
{
	return n >= off + len && memcmp(p + off, magic, len) == 0;
}

/* Matroska's DocType "webm" somewhere in its first bytes. */
static int
has_webm(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "webm", 4) == 0)
			return 1;
	return 0;
}

/* ISO BMFF: the major brand says which of MP4, MOV, M4A, HEIC it is. */
static void
ftyp(const unsigned char *p, struct sniffed *s)
{
	static const struct { const char *brand, *ext; int kind; } b[] = {
		{ "qt  ", ".mov", KIND_VIDEO }, { "M4A ", ".m4a", KIND_AUDIO },
		{ "M4B ", ".m4a", KIND_AUDIO }, { "heic", ".heic", KIND_IMAGE },
		{ "heix", ".heic", KIND_IMAGE }, { "mif1", ".heic", KIND_IMAGE },
		{ "avif", ".avif", KIND_IMAGE }, { "M4V ", ".m4v", KIND_VIDEO },
		{ "3gp4", ".3gp", KIND_VIDEO }, { "3gp5", ".3gp", KIND_VIDEO },
	};
	size_t i;

	s->ext = ".mp4";
	s->kind = KIND_VIDEO;
	for (i = 0; i < LEN(b); i++)
		if (memcmp(p + 8, b[i].brand, 4) == 0) {
			s->ext = b[i].ext;
			s->kind = b[i].kind;
		}
}

/* The start of an HTML page, after blanks and a BOM. */
static int
html(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return (n - i >= 5 && strncasecmp((const char *)p + i, "<html", 5) == 0) ||
	    (n - i >= 9 && strncasecmp((const char *)p + i, "<!doctype", 9) == 0) ||
	    (n - i >= 5 && strncasecmp((const char *)p + i, "<?xml", 5) == 0) ||
	    (n - i >= 5 && strncasecmp((const char *)p + i, "<head", 5) == 0);
}

int
sniff(const unsigned char *p, size_t n, struct sniffed *s)
{
	s->ext = NULL;
	s->kind = KIND_UNKNOWN;
	if (at(p, n, 0, "\xff\xd8\xff", 3))
		s->ext = ".jpg", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "\x89PNG\r\n\x1a\n", 8))
		s->ext = ".png", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "GIF87a", 6) || at(p, n, 0, "GIF89a", 6))
		s->ext = ".gif", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "RIFF", 4) && at(p, n, 8, "WEBP", 4))
		s->ext = ".webp", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "RIFF", 4) && at(p, n, 8, "WAVE", 4))
		s->ext = ".wav", s->kind = KIND_AUDIO;
	else if (at(p, n, 0, "RIFF", 4) && at(p, n, 8, "AVI ", 4))
		s->ext = ".avi", s->kind = KIND_VIDEO;
	else if (at(p, n, 4, "ftyp", 4) && n >= 12)
		ftyp(p, s);
	else if (at(p, n, 0, "\x1a\x45\xdf\xa3", 4))
		s->ext = has_webm(p, n) ? ".webm" : ".mkv", s->kind = KIND_VIDEO;
	else if (at(p, n, 0, "OggS", 4))
		s->ext = ".ogg", s->kind = KIND_AUDIO;
	else if (at(p, n, 0, "fLaC", 4))
		s->ext = ".flac", s->kind = KIND_AUDIO;
	else if (at(p, n, 0, "ID3", 3) || (n >= 2 && p[0] == 0xff && (p[1] & 0xe0) == 0xe0))
		s->ext = ".mp3", s->kind = KIND_AUDIO;
	else if (at(p, n, 0, "II*\0", 4) || at(p, n, 0, "MM\0*", 4))
		s->ext = ".tif", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "BM", 2) && n >= 14)
		s->ext = ".bmp", s->kind = KIND_IMAGE;
	else if (at(p, n, 0, "PK\3\4", 4))
		return BODY_ZIP;
	else if (html(p, n))
		return BODY_HTML;
	return s->ext != NULL ? BODY_MEDIA : BODY_OTHER;
}

/* Copy one member of the archive to dst, atomically; its first bytes in
 * head. */
static int
extract(zip_t *z, zip_int64_t idx, const char *dst, unsigned char *head,
    size_t *nhead, char **why)
{
	struct atomic a;
	zip_file_t *zf;
	char buf[65536];
	zip_int64_t r;

	*nhead = 0;
	if ((zf = zip_fopen_index(z, (zip_uint64_t)idx, 0)) == NULL) {
		*why = xasprintf("ZIP: %s", zip_strerror(z));
		return -1;
	}
	if (atomic_open(&a, dst, "") < 0) {
		*why = xasprintf("%s: %s", dst, strerror(errno));
		zip_fclose(zf);
		return -1;
	}
	while ((r = zip_fread(zf, buf, sizeof(buf))) > 0) {
		if (*nhead < SNIFF) {
			size_t k = SNIFF - *nhead < (size_t)r ? SNIFF - *nhead : (size_t)r;

			memcpy(head + *nhead, buf, k);
			*nhead += k;
		}
		if (fwrite(buf, 1, (size_t)r, a.fp) != (size_t)r) {
			*why = xasprintf("%s: %s", dst, strerror(errno));
			goto fail;
		}
	}
	if (r < 0) {
		*why = xasprintf("ZIP: %s", zip_file_strerror(zf));
		goto fail;
	}
	zip_fclose(zf);
	if (atomic_commit(&a) < 0) {
		*why = xasprintf("%s: %s", dst, strerror(errno));
		return -1;
	}
	return 0;
fail:
	zip_fclose(zf);
	atomic_abort(&a);
	return -1;
}

/*
 * Snapchat's ZIP holds "<id>-main.<ext>" and "<id>-overlay.png". The
 * media is written under a neutral name first and renamed once its bytes
 * said what it is.
 */
int
unzip_memory(const char *zip, const char *dir, const char *id, char **media,
    char **overlay, struct sniffed *s, char **why)
{
	zip_t *z;
	int err;
	zip_int64_t i, n, main_idx = -1, over_idx = -1;
	unsigned char head[SNIFF];
	size_t nhead;
	char *tmp;

	*media = *overlay = NULL;
	if ((z = zip_open(zip, ZIP_RDONLY, &err)) == NULL) {
		*why = xstrdup("a ZIP that cannot be read");
		return -1;
	}
	n = zip_get_num_entries(z, 0);
	for (i = 0; i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if (name == NULL || name[strlen(name) > 0 ? strlen(name) - 1 : 0] == '/')
			continue;
		if (strstr(name, "overlay") != NULL)
			over_idx = over_idx < 0 ? i : over_idx;
		else if (main_idx < 0)
			main_idx = i;
	}
	if (main_idx < 0) {
		*why = xstrdup("the ZIP holds no media");
		zip_close(z);
		return -1;
	}
	tmp = xasprintf("%s/%s.unzipped", dir, id);
	if (extract(z, main_idx, tmp, head, &nhead, why) < 0)
		goto fail;
	if (sniff(head, nhead, s) != BODY_MEDIA) {
		*why = xstrdup("the ZIP's media is not an image, video or audio file");
		unlink(tmp);
		goto fail;
	}
	*media = xasprintf("%s/%s%s", dir, id, s->ext);
	if (rename(tmp, *media) < 0) {
		*why = xasprintf("%s: %s", *media, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	if (over_idx >= 0) {
		struct sniffed os;

		*overlay = xasprintf("%s/%s.overlay.png", dir, id);
		if (extract(z, over_idx, *overlay, head, &nhead, why) < 0)
			goto fail;
		if (sniff(head, nhead, &os) != BODY_MEDIA || os.kind != KIND_IMAGE) {
			*why = xstrdup("the ZIP's overlay is not an image");
			unlink(*overlay);
			goto fail;
		}
	}
	zip_close(z);
	return 0;
fail:
	free(tmp);
	free(*media);
	free(*overlay);
	*media = *overlay = NULL;
	zip_discard(z);
	return -1;
}
