/*
 * xfer.c -- the downloads, up to --parallel at once on one libcurl multi
 * handle. Each task is a GET of its url into a hidden temp file (after a
 * POST of Snapchat's older link, which answers with that url). Redirects
 * are followed here, not by libcurl, so that each hop can be held to
 * https (and sent to the loopback test server when asked). Failures that
 * pass (5xx, 408, 429, a timeout, a reset) are tried again after a
 * doubling delay, or after the server's Retry-After; a 4xx never is.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "mem.h"
#include "mem-fetch.h"

#define MAXHOPS 5
#define MAXLINKBODY 65536

struct xfer {
	struct task *t;
	CURL	*h;
	struct curl_slist *hdrs;
	int	 post;		/* this request is the link's POST */
	char	*reqbody;	/* the POST's form */
	char	*answer;	/* the POST's answer */
	size_t	 nanswer;
	int	 too_big;
	char	 err[CURL_ERROR_SIZE];
};

struct waiting {
	struct task *t;
	double	 not_before;
	int	 attempt;	/* attempts made so far */
	int	 hops;		/* redirects followed */
};

static CURLM *multi;
static void (*ended)(struct task *);	/* told of each task that ends */
static struct waiting *queue;	/* tasks to start, each when due */
static size_t nqueue;
static int inflight;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fail(struct task *t, char *why)
{
	t->done = -1;
	free(t->why);
	t->why = why;
	ended(t);
}

static void
push(struct task *t, double when, int attempt, int hops)
{
	queue = xrealloc(queue, (nqueue + 1) * sizeof(*queue));
	queue[nqueue].t = t;
	queue[nqueue].not_before = when;
	queue[nqueue].attempt = attempt;
	queue[nqueue].hops = hops;
	nqueue++;
}

int
link_expired(const char *url, char day[32])
{
	const char *q = strchr(url, '?'), *p;
	char *end;
	unsigned long long ex;
	struct tm tm;

	if (q == NULL)
		return 0;
	for (p = q; (p = strstr(p + 1, "ex=")) != NULL; )
		if (p[-1] == '?' || p[-1] == '&')
			break;
	if (p == NULL)
		return 0;
	errno = 0;
	ex = strtoull(p + 3, &end, 16);
	if (end == p + 3 || (*end != '\0' && *end != '&' && *end != '#') || errno ||
	    ex > (unsigned long long)INT64_MAX || (int64_t)ex >= (int64_t)time(NULL))
		return 0;
	time_wall((int64_t)ex, 0, &tm);
	snprintf(day, 32, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
	    tm.tm_mon + 1, tm.tm_mday);
	return 1;
}

/*
 * The URL to ask: an https URL goes to the loopback test server when
 * MEM_FETCH_LOOPBACK is set (its path and query kept); any other scheme is
 * refused, so a plain-http link or redirect never gets through.
 */
static char *
target(const char *url)
{
	const char *path;

	if (strncasecmp(url, "https://", 8) != 0)
		return NULL;
	if (cfg.loopback == NULL)
		return xstrdup(url);
	path = url + 8 + strcspn(url + 8, "/?#");
	return xasprintf("%s%s%s", cfg.loopback, *path == '/' ? "" : "/", path);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300)
		return len;	/* an error page: not kept */
	if (x->post) {
		if (x->nanswer + len > MAXLINKBODY) {
			x->too_big = 1;
			return 0;
		}
		x->answer = xrealloc(x->answer, x->nanswer + len + 1);
		memcpy(x->answer + x->nanswer, p, len);
		x->nanswer += len;
		x->answer[x->nanswer] = '\0';
		return len;
	}
	if (x->t->bytes + (long long)len > cfg.max_size) {
		x->too_big = 1;
		return 0;
	}
	if (x->t->nhead < SNIFF) {
		size_t k = SNIFF - x->t->nhead < len ? SNIFF - x->t->nhead : len;

		memcpy(x->t->head + x->t->nhead, p, k);
		x->t->nhead += k;
	}
	if (fwrite(p, 1, len, x->t->body.fp) != len)
		return 0;
	x->t->bytes += (long long)len;
	return len;
}

static void
start(struct waiting *w)
{
	struct task *t = w->t;
	struct xfer *x = xcalloc(1, sizeof(*x));
	char *url, *ua, *dst;

	x->t = t;
	x->post = t->url == NULL;
	url = target(x->post ? t->link : t->url);
	if (url == NULL) {
		fail(t, xasprintf("%s: not an https link", x->post ? t->link : t->url));
		free(x);
		return;
	}
	if ((x->h = curl_easy_init()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	if (!x->post) {
		dst = xasprintf("%s/%s.part", cfg.fetchdir, t->id);
		if (atomic_open(&t->body, dst, "") < 0)
			die_errno(ST_FATAL, "%s", dst);
		/* fewer, larger writes: bodies are megabytes */
		if (setvbuf(t->body.fp, NULL, _IOFBF, 1 << 18) != 0)
			die(ST_FATAL, "out of memory");
		free(dst);
		t->bytes = 0;
		t->nhead = 0;
	} else {
		/* the link's query is the form: POST it without the query */
		char *q = strchr(url, '?');

		x->reqbody = xstrdup(q ? q + 1 : "");
		if (q)
			*q = '\0';
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->reqbody);
		x->hdrs = curl_slist_append(NULL,
		    "Content-Type: application/x-www-form-urlencoded");
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	}
	ua = "mem-fetch/" VERSION;
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, cfg.loopback ? "http,https" : "https");
	curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg.connect_timeout * 1000));
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, (long)ceil(cfg.timeout));
	curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg.max_size);
	curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, 1L << 17);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	free(url);
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		die(ST_FATAL, "libcurl: cannot add a transfer");
	inflight++;
}

/* A 4xx: for a Discord link past its ex=, the reason says so. */
static char *
refused(const struct task *t, long code)
{
	char day[32];

	if ((code == 403 || code == 404 || code == 410) && t->url &&
	    link_expired(t->url, day))
		return xasprintf("link expired on %s; Discord links in a data package "
		    "are valid for about a day after it is made (HTTP %ld)", day, code);
	if (code == 403 || code == 401)
		return xasprintf("refused by the server (HTTP %ld)", code);
	if (code == 404 || code == 410)
		return xasprintf("not found on the server (HTTP %ld)", code);
	return xasprintf("HTTP %ld", code);
}

/*
 * One transfer ended: the task is done, goes on (the link gave its url,
 * a redirect), waits for another attempt, or fails. w is the attempt
 * count and hops of the request that ended.
 */
static void
finish(struct xfer *x, CURLcode rc, struct waiting *w)
{
	struct task *t = x->t;
	long code = 0;
	char *loc = NULL, *why = NULL;
	int again = 0;
	long ra = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (x->too_big) {
		why = x->post ? xstrdup("the link's answer is too long") :
		    xasprintf("larger than the cap of %lld bytes (--max-size)", cfg.max_size);
	} else if (rc == CURLE_FILESIZE_EXCEEDED) {
		why = xasprintf("larger than the cap of %lld bytes (--max-size)", cfg.max_size);
	} else if (rc != CURLE_OK) {
		again = http_retryable_curl(rc);
		why = xasprintf("%s", *x->err ? x->err : curl_easy_strerror(rc));
	} else if (code >= 300 && code < 400) {
		char *r = NULL;

		curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &r);
		if (r == NULL)
			why = xasprintf("HTTP %ld without a Location", code);
		else if (strncasecmp(r, "https://", 8) != 0)
			why = xasprintf("redirected to %s, which is not https", r);
		else if (w->hops >= MAXHOPS)
			why = xasprintf("more than %d redirects", MAXHOPS);
		else
			loc = xstrdup(r);
	} else if (code < 200 || code >= 300) {
		again = http_retryable_status(code);
		ra = code == 429 ? http_retry_after(x->h) : 0;
		why = again ? xasprintf("HTTP %ld", code) : refused(t, code);
	}
	if (x->post) {
		if (why == NULL && loc == NULL) {
			char *a = x->answer ? x->answer : "";
			size_t n = strlen(a);

			while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
				a++, n--;
			while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\r' ||
			    a[n - 1] == '\n' || a[n - 1] == '\t'))
				n--;
			if (n == 0 || strncasecmp(a, "https://", 8) != 0 ||
			    memchr(a, ' ', n) || memchr(a, '\n', n))
				why = xstrdup("the link answered no https download URL");
			else
				t->url = xmemdup(a, n);
		}
		if (why == NULL && loc == NULL) {
			push(t, 0, 0, 0);	/* now the GET */
			goto out;
		}
	} else {
		if (why == NULL && loc == NULL && fflush(t->body.fp) == EOF)
			why = xasprintf("%s: %s", t->body.tmp, strerror(errno));
		if (why == NULL && loc == NULL) {
			t->done = 1;	/* the caller names and renames the body */
			ended(t);
			goto out;
		}
		atomic_abort(&t->body);
	}
	if (loc != NULL) {
		if (x->post) {
			free(t->link);
			t->link = loc;
		} else {
			free(t->url);
			t->url = loc;
		}
		loc = NULL;
		push(t, 0, w->attempt, w->hops + 1);
	} else if (again && w->attempt < cfg.retries) {
		double d = ra > 0 ? (ra < 300 ? (double)ra : 300) :
		    cfg.retry_delay * pow(2, w->attempt < 16 ? w->attempt : 16);

		push(t, now_s() + (d < 60 || ra > 0 ? d : 60), w->attempt + 1, w->hops);
	} else {
		if (again) {
			char *said = xasprintf("%s (after %d attempts)", why, w->attempt + 1);

			free(why);
			why = said;
		}
		fail(t, why);	/* takes it */
		why = NULL;
	}
out:
	free(why);
	free(loc);
	curl_multi_remove_handle(multi, x->h);
	curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdrs);
	free(x->reqbody);
	free(x->answer);
	free(x);
	inflight--;
}

/* The attempt and hop counts of a running transfer, by task. */
static struct waiting *running;
static size_t nrunning;

static struct waiting *
running_of(struct task *t)
{
	size_t i;

	for (i = 0; i < nrunning; i++)
		if (running[i].t == t)
			return &running[i];
	return NULL;
}

void
fetch_all(struct task **t, size_t n, void (*done)(struct task *))
{
	size_t i;

	ended = done;
	if ((multi = curl_multi_init()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	running = xcalloc(n + 1, sizeof(*running));
	for (i = 0; i < n; i++)
		push(t[i], 0, 0, 0);
	while (nqueue > 0 || inflight > 0) {
		double now = now_s(), next = now + 1;
		int still, msgs;
		CURLMsg *m;

		/* start what is due, in order, while there is room */
		for (i = 0; i < nqueue && inflight < cfg.parallel; ) {
			if (queue[i].not_before <= now) {
				struct waiting w = queue[i];
				struct waiting *r = running_of(w.t);

				memmove(&queue[i], &queue[i + 1], (nqueue - i - 1) * sizeof(*queue));
				nqueue--;
				if (r == NULL)
					r = &running[nrunning++];
				*r = w;
				start(r);
			} else {
				if (queue[i].not_before < next)
					next = queue[i].not_before;
				i++;
			}
		}
		if (curl_multi_perform(multi, &still) != CURLM_OK)
			die(ST_FATAL, "libcurl: the transfer loop failed");
		while ((m = curl_multi_info_read(multi, &msgs)) != NULL) {
			struct xfer *x;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			finish(x, m->data.result, running_of(x->t));
		}
		if (inflight > 0 || nqueue > 0) {
			int ms;

			/* a slot freed above and a task due: no sleep */
			for (i = 0, next = now_s() + 1; i < nqueue; i++)
				if (queue[i].not_before < next)
					next = queue[i].not_before;
			ms = inflight >= cfg.parallel ? 1000 : (int)((next - now_s()) * 1000);
			ms = ms < 0 ? 0 : ms > 1000 ? 1000 : ms;
			if (curl_multi_poll(multi, NULL, 0, ms, NULL) != CURLM_OK)
				die(ST_FATAL, "libcurl: the transfer loop failed");
		}
	}
	curl_multi_cleanup(multi);
	free(queue);
	free(running);
	queue = NULL;
	running = NULL;
	nqueue = nrunning = 0;
}
