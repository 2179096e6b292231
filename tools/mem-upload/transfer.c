/*
 * transfer.c -- hashing, bulk checks and uploads in one loop over one
 * libcurl multi handle: while up to --concurrency uploads are on the wire,
 * the loop hashes the next files, so the disk and the network work at the
 * same time; checked batches grow (8, 32, ... 5000) so the first upload
 * starts early and big runs need few checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "mem-upload.h"

#define MAXBATCH 5000

struct xfer {
	CURL	*h;
	struct upfile *f;
	curl_mime *mime;
	struct curl_slist *hdrs;
	struct reply r;
	char	 errbuf[CURL_ERROR_SIZE];
	curl_off_t moved;	/* bytes up and down so far */
	double	 moved_at;	/* when they last grew */
	int	 stalled;
};

struct job {
	struct upfile *f;
	double	 not_before;
};

static CURLM *multi;
/* Uploads waiting: fresh ones in order, retries with their earliest time. */
static struct upfile **fresh;
static size_t nfresh, fresh_head;
static struct job *later;
static size_t nlater;
static int inflight;		/* handles in the multi, counted here */
static FILE *ledger_fp;
static long long done_bytes, total_bytes;
static long done_files, total_files;
static double started, last_progress;
static int progress_shown;

static char *
iso_time(int64_t sec, long nsec)
{
	struct tm tm;
	char buf[64];

	time_wall(sec, 0, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, nsec / 1000000);
	return xstrdup(buf);
}

static void
text_part(curl_mime *mime, const char *name, const char *value)
{
	curl_mimepart *p = curl_mime_addpart(mime);

	if (p == NULL || curl_mime_name(p, name) != CURLE_OK ||
	    curl_mime_data(p, value, CURL_ZERO_TERMINATED) != CURLE_OK)
		die(ST_FATAL, "libcurl: out of memory");
}

static int
file_part(curl_mime *mime, const char *name, const char *path, const char *type)
{
	curl_mimepart *p = curl_mime_addpart(mime);

	if (p == NULL || curl_mime_name(p, name) != CURLE_OK)
		die(ST_FATAL, "libcurl: out of memory");
	if (curl_mime_filedata(p, path) != CURLE_OK)
		return -1;
	if (curl_mime_filename(p, path_base(path)) != CURLE_OK ||
	    curl_mime_type(p, type) != CURLE_OK)
		die(ST_FATAL, "libcurl: out of memory");
	return 0;
}

/*
 * The body of immich.md section 5: text fields first (the server's type
 * check sees only fields that came before a file part), deviceAssetId and
 * deviceId for servers before v3 (v3 ignores them), times in UTC with "Z",
 * no duration; then the file, the XMP sidecar, and last the exact name
 * (curl escapes quotes in the part's filename; a "filename" field before
 * the sidecar would make the server check the sidecar by the asset's name).
 */
static curl_mime *
build_body(CURL *h, struct upfile *f)
{
	curl_mime *mime = curl_mime_init(h);
	char *devid, *s, *d, *t;

	if (mime == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	devid = xasprintf("%s-%lld", path_base(f->path), (long long)f->size);
	for (s = d = devid; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			*d++ = *s;
	*d = '\0';
	text_part(mime, "deviceAssetId", devid);
	free(devid);
	text_part(mime, "deviceId", "mem-upload");
	t = f->has_time ? iso_time(f->created, 0) : iso_time(f->mtime.tv_sec, f->mtime.tv_nsec);
	text_part(mime, "fileCreatedAt", t);
	free(t);
	t = iso_time(f->mtime.tv_sec, f->mtime.tv_nsec);
	text_part(mime, "fileModifiedAt", t);
	free(t);
	text_part(mime, "isFavorite", f->favorite ? "true" : "false");
	if (f->visibility != NULL)
		text_part(mime, "visibility", f->visibility);
	if (file_part(mime, "assetData", f->path, "application/octet-stream") < 0 ||
	    (f->sidecar != NULL &&
	    file_part(mime, "sidecarData", f->sidecar, "application/xml") < 0)) {
		curl_mime_free(mime);
		return NULL;
	}
	text_part(mime, "filename", path_base(f->path));
	return mime;
}

static void
fail(struct upfile *f, char *why)
{
	f->state = F_FAILED;
	free(f->why);
	f->why = why;
	done_files++;
}

/*
 * A transfer that moves no byte for --timeout seconds is given up (and
 * retried). libcurl's own low-speed check averages over a window of
 * seconds; this one counts from the last byte.
 */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer *x = arg;
	double t = now_s();

	(void)dltotal;
	(void)ultotal;
	if (dlnow + ulnow != x->moved || x->moved_at == 0) {
		x->moved = dlnow + ulnow;
		x->moved_at = t;
		return 0;
	}
	if (t - x->moved_at < cfg.timeout)
		return 0;
	x->stalled = 1;
	return 1;
}

static void
start(struct upfile *f)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	char *ck, *url;

	x->f = f;
	if ((x->h = curl_easy_init()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	api_setup(x->h, &x->hdrs, 0);
	ck = xasprintf("x-immich-checksum: %s", f->sha1);
	x->hdrs = curl_slist_append(x->hdrs, ck);
	free(ck);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	if ((x->mime = build_body(x->h, f)) == NULL) {
		fail(f, xasprintf("%s", strerror(errno ? errno : EIO)));
		curl_slist_free_all(x->hdrs);
		curl_easy_cleanup(x->h);
		free(x);
		return;
	}
	x->f->attempts++;
	url = xasprintf("%s/assets", cfg.api);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(x->h, CURLOPT_MIMEPOST, x->mime);
	/* big reads: fewer trips through the loop for multi-megabyte files */
	curl_easy_setopt(x->h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x->h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(x->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->r);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, reply_body);
	x->errbuf[0] = '\0';
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		die(ST_FATAL, "libcurl: cannot add a transfer");
	inflight++;
}

static void
enqueue(struct upfile *f, double not_before)
{
	if (not_before <= 0) {
		fresh = xrealloc(fresh, (nfresh + 1) * sizeof(*fresh));
		fresh[nfresh++] = f;
		return;
	}
	later = xrealloc(later, (nlater + 1) * sizeof(*later));
	later[nlater].f = f;
	later[nlater].not_before = not_before;
	nlater++;
}

/*
 * An answer, or none. A complete 200/201 counts even when the send failed:
 * a server that knows the checksum answers "duplicate" before reading the
 * body and closes the connection.
 */
static void
finish(struct xfer *x, CURLcode rc)
{
	struct upfile *f = x->f;
	const char *st, *id;
	char *why;
	long status = 0, ra = 0;
	int again = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->r.body != NULL)
		x->r.json = json_loadb(x->r.body, x->r.len, 0, NULL);
	st = json_string_value(json_object_get(x->r.json, "status"));
	id = json_string_value(json_object_get(x->r.json, "id"));
	if ((status == 200 || status == 201) && st != NULL && id != NULL && *id != '\0' &&
	    (rc == CURLE_OK || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR)) {
		free(f->asset);
		f->asset = xstrdup(id);
		if (strcmp(st, "duplicate") == 0) {
			f->state = F_DUPLICATE;
		} else {
			f->state = F_CREATED;
			stats.bytes_sent += (long long)f->size;
		}
		done_files++;
		done_bytes += (long long)f->size;
		ledger_file(ledger_fp, f);
		return;
	}
	if (x->stalled) {
		why = xasprintf("no progress for %g seconds", cfg.timeout);
		again = 1;
	} else if (rc != CURLE_OK) {
		why = xasprintf("%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		again = http_retryable_curl(rc);
		if (rc == CURLE_READ_ERROR)
			again = 0;
	} else if (status >= 300 && status < 400) {
		why = xasprintf("HTTP %ld: redirected (not followed)", status);
	} else if (status >= 200 && status < 300) {
		/* No asset id: nothing confirmed. The asset may exist now; the
		 * retry's answer ("duplicate", with the id) says so. */
		why = xasprintf("HTTP %ld: unexpected answer: %.200s", status,
		    x->r.body ? x->r.body : "");
		again = 1;
	} else {
		why = xasprintf("HTTP %ld%s%s", status, *server_message(&x->r) ? ": " : "",
		    server_message(&x->r));
		again = http_retryable_status(status);
		ra = http_retry_after(x->h);
	}
	if (again && f->attempts <= cfg.retries) {
		free(f->why);
		f->why = why;
		enqueue(f, now_s() + backoff(f->attempts - 1, ra));
		return;
	}
	if (again && f->attempts > 1) {
		fail(f, xasprintf("%s (after %d attempts)", why, f->attempts));
		free(why);
	} else {
		fail(f, why);
	}
	done_bytes += (long long)f->size;
}

static void
reap(void)
{
	struct xfer *x;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(x, m->data.result);
		curl_multi_remove_handle(multi, x->h);
		inflight--;
		curl_easy_cleanup(x->h);
		curl_mime_free(x->mime);
		curl_slist_free_all(x->hdrs);
		reply_free(&x->r);
		free(x);
	}
}

/*
 * Files with the same bytes at different paths (two outputs of one
 * source, say) are one asset: the first is sent, the others wait for its
 * answer and take its asset id (twins_settle). The table holds the first
 * file of each checksum this run is sending.
 */
static struct upfile **sent_by_sum;
static size_t sent_cap;

static struct upfile *
twin_of(struct upfile *f)
{
	size_t i = fnv1a64(f->sha1, 40, FNV64_INIT) % sent_cap;

	while (sent_by_sum[i] != NULL) {
		if (memcmp(sent_by_sum[i]->sha1, f->sha1, 40) == 0)
			return sent_by_sum[i];
		i = (i + 1) % sent_cap;
	}
	sent_by_sum[i] = f;
	return NULL;
}

void
twins_settle(struct upfile **files, size_t n, FILE *ledger)
{
	struct upfile *f, *t;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((f = files[i])->twin == NULL)
			continue;
		t = f->twin;
		if ((t->state == F_CREATED || t->state == F_DUPLICATE) && t->asset != NULL) {
			f->state = F_DUPLICATE;
			free(f->asset);
			f->asset = xstrdup(t->asset);
			ledger_file(ledger, f);
		} else {
			f->state = F_FAILED;
			free(f->why);
			f->why = xasprintf("same bytes as %s, which failed: %s", t->path,
			    t->why ? t->why : "failed");
		}
	}
	free(sent_by_sum);
	sent_by_sum = NULL;
}

/* Ask the server which of the hashed files it lacks. */
static void
bulk_check(struct upfile **batch, size_t n)
{
	json_t *body, *list, *res, *v;
	struct reply r;
	const char *action, *id;
	char idx[32];
	size_t i, k;

	if (n == 0)
		return;
	list = json_array();
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		json_array_append_new(list, json_pack("{s:s,s:s}", "id", idx,
		    "checksum", batch[i]->sha1));
	}
	body = json_pack("{s:o}", "assets", list);
	if (api_call("POST", "/assets/bulk-upload-check", body, &r) < 0 ||
	    !json_is_array(res = json_object_get(r.json, "results"))) {
		for (i = 0; i < n; i++)
			fail(batch[i], xasprintf("checksum check: %s", r.err[0] ? r.err :
			    "no results in the answer"));
		json_decref(body);
		reply_free(&r);
		return;
	}
	json_array_foreach(res, k, v) {
		id = json_string_value(json_object_get(v, "id"));
		action = json_string_value(json_object_get(v, "action"));
		if (id == NULL || action == NULL || (i = strtoul(id, NULL, 10)) >= n)
			continue;
		/* a second row for the same file (a repeated "accept") is not
		 * a second upload: the first answer decided */
		if (batch[i]->state != F_NEW)
			continue;
		if (strcmp(action, "accept") == 0) {
			batch[i]->state = F_UPLOAD;
			if ((batch[i]->twin = twin_of(batch[i])) != NULL)
				continue;
			total_bytes += (long long)batch[i]->size;
			enqueue(batch[i], 0);
		} else if ((id = json_string_value(json_object_get(v, "assetId"))) != NULL &&
		    *id != '\0') {
			batch[i]->state = F_DUPLICATE;
			batch[i]->asset = xstrdup(id);
			batch[i]->trashed = json_is_true(json_object_get(v, "isTrashed"));
			done_files++;
			/* a trashed asset is not in the library: not confirmed
			 * until it is restored (see trashed() in mem-upload.c) */
			if (!batch[i]->trashed)
				ledger_file(ledger_fp, batch[i]);
		}
	}
	for (i = 0; i < n; i++)
		if (batch[i]->state == F_NEW)
			fail(batch[i], xstrdup("checksum check: the server did not answer "
			    "for this file"));
	json_decref(body);
	reply_free(&r);
}

static void
progress(int last)
{
	double t = now_s(), rate, eta;

	if (!cfg.progress || (!last && t - last_progress < 0.25))
		return;
	last_progress = t;
	rate = t > started ? (double)stats.bytes_sent / (t - started) : 0;
	eta = rate > 0 ? (double)(total_bytes - done_bytes) / rate : 0;
	fprintf(stderr, "\r%s: %ld/%ld files, %.1f/%.1f MB, %.1f MB/s, ETA %d:%02d \033[K",
	    progname, done_files, total_files, done_bytes / 1e6, total_bytes / 1e6,
	    rate / 1e6, (int)(eta / 60), (int)eta % 60);
	if (last)
		fputc('\n', stderr);
	progress_shown = 1;
}

static size_t
queued(void)
{
	return nfresh - fresh_head + nlater;
}

/* Start what may start now: retries that are due first, then fresh files. */
static void
start_ready(void)
{
	double t = now_s();
	size_t i, j;

	for (i = j = 0; i < nlater; i++) {
		if (inflight < cfg.concurrency && later[i].not_before <= t) {
			start(later[i].f);
			continue;
		}
		later[j++] = later[i];
	}
	nlater = j;
	while (inflight < cfg.concurrency && fresh_head < nfresh)
		start(fresh[fresh_head++]);
}

/* How long the loop may sleep: until a retry is due, at most a second. */
static long
sleep_ms(void)
{
	double next = 0;
	long ms;
	size_t i;

	if (inflight < cfg.concurrency && fresh_head < nfresh)
		return 0;
	for (i = 0; inflight < cfg.concurrency && i < nlater; i++)
		if (next == 0 || later[i].not_before < next)
			next = later[i].not_before;
	if (next == 0)
		return 1000;
	ms = (long)((next - now_s()) * 1000) + 1;
	return ms < 0 ? 0 : ms > 1000 ? 1000 : ms;
}

void
transfer(struct upfile **files, size_t n, FILE *ledger)
{
	struct upfile **batch;
	size_t hi = 0, nb = 0, want = 8, i;
	int running = 0, waiting;
	long timeout;

	ledger_fp = ledger;
	for (i = 0; i < n; i++)
		if (files[i]->state == F_NEW && files[i]->same == NULL)
			total_files++;
	if (total_files == 0)
		return;
	if ((multi = curl_multi_init()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, cfg.concurrency);
	batch = xcalloc(MAXBATCH, sizeof(*batch));
	sent_cap = 2 * (size_t)total_files + 1;
	sent_by_sum = xcalloc(sent_cap, sizeof(*sent_by_sum));
	started = now_s();
	for (;;) {
		start_ready();
		/* Hash one file between turns of the transfers. */
		while (hi < n && (files[hi]->state != F_NEW || files[hi]->same != NULL))
			hi++;
		if (hi < n) {
			if (sha1_file(files[hi]->path, files[hi]->sha1) < 0)
				fail(files[hi], xasprintf("%s", strerror(errno)));
			else
				batch[nb++] = files[hi];
			hi++;
		}
		if (nb > 0 && (nb >= want || hi >= n)) {
			bulk_check(batch, nb);
			nb = 0;
			want = want * 4 < MAXBATCH ? want * 4 : MAXBATCH;
			start_ready();
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			die(ST_FATAL, "libcurl: transfer loop failed");
		reap();
		progress(0);
		waiting = hi < n || nb > 0;
		if (!waiting && inflight == 0 && queued() == 0)
			break;
		timeout = waiting ? 0 : sleep_ms();
		if (inflight > 0 || timeout > 0)
			curl_multi_poll(multi, NULL, 0, (int)timeout, NULL);
	}
	if (progress_shown)
		progress(1);
	free(batch);
	free(fresh);
	free(later);
	fresh = NULL;
	later = NULL;
	curl_multi_cleanup(multi);
}
