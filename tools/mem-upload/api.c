/*
 * api.c -- the Immich API over libcurl: handle options every request
 * shares (TLS verified, redirects refused, the key in a header, a stall
 * timeout instead of a total one), JSON calls with bounded exponential
 * backoff, and the preflight that runs once per run.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mem.h"
#include "mem-upload.h"

#define MAXBODY (64 << 20)

static CURL *sync_h;

void
api_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		die(ST_FATAL, "libcurl: initialisation failed");
	if ((sync_h = curl_easy_init()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
}

void
api_cleanup(void)
{
	if (sync_h != NULL)
		curl_easy_cleanup(sync_h);
	sync_h = NULL;
	curl_global_cleanup();
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Retry-After seconds from the server win; else delay, doubling, capped. */
double
backoff(int attempt, long retry_after)
{
	double d;

	if (retry_after > 0)
		return retry_after < 300 ? (double)retry_after : 300;
	d = cfg.retry_delay * pow(2, attempt < 16 ? attempt : 16);
	return d < 60 ? d : 60;
}

void
api_setup(CURL *h, struct curl_slist **hdrs, int json_body)
{
	char *kh;
	long stall = (long)ceil(cfg.timeout);

	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cfg.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cfg.insecure ? 0L : 2L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg.connect_timeout * 1000));
	/* A stall, not a total time: big videos take long, and the server
	 * may go quiet while it flushes a file before answering. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall > 0 ? stall : 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mem-upload/" VERSION);
	kh = xasprintf("x-api-key: %s", cfg.key);
	*hdrs = curl_slist_append(*hdrs, kh);
	explicit_bzero(kh, strlen(kh));
	free(kh);
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json");
	if (json_body)
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	if (*hdrs == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
}

/* libcurl's write callback for every answer: the body, NUL-terminated,
 * up to MAXBODY (a bigger one fails the transfer). */
size_t
reply_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	n *= size;
	if (r->len + n > MAXBODY)
		return 0;
	r->body = xrealloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

void
reply_free(struct reply *r)
{
	free(r->body);
	if (r->json != NULL)
		json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* The server's own words: "message" (a string or a list), else the text. */
const char *
server_message(const struct reply *r)
{
	static char buf[512];
	json_t *m, *v;
	size_t i, n;

	buf[0] = '\0';
	if (r->json != NULL && (m = json_object_get(r->json, "message")) != NULL) {
		if (json_is_string(m))
			snprintf(buf, sizeof(buf), "%s", json_string_value(m));
		json_array_foreach(m, i, v) {
			n = strlen(buf);
			if (json_is_string(v))
				snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "; " : "",
				    json_string_value(v));
		}
		return buf;
	}
	if (r->body != NULL) {
		for (i = 0; i < r->len && i + 1 < sizeof(buf) && r->body[i] != '\n'; i++)
			buf[i] = r->body[i];
		buf[i] = '\0';
	}
	return buf;
}

/* One request on the shared handle; 1 when worth another attempt. */
static int
call_once(const char *method, const char *url, const char *body, struct reply *r,
    long *retry_after)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	char *loc = NULL;

	reply_free(r);
	curl_easy_reset(sync_h);
	api_setup(sync_h, &hdrs, body != NULL);
	curl_easy_setopt(sync_h, CURLOPT_URL, url);
	curl_easy_setopt(sync_h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(sync_h, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(sync_h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(sync_h, CURLOPT_WRITEFUNCTION, reply_body);
	curl_easy_setopt(sync_h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(sync_h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	rc = curl_easy_perform(sync_h);
	curl_slist_free_all(hdrs);
	*retry_after = 0;
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return http_retryable_curl(rc);
	}
	curl_easy_getinfo(sync_h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body != NULL)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	if (r->status >= 200 && r->status < 300)
		return 0;
	if (r->status >= 300 && r->status < 400) {
		curl_easy_getinfo(sync_h, CURLINFO_REDIRECT_URL, &loc);
		snprintf(r->err, sizeof(r->err), "HTTP %ld: redirected to %s (not followed: "
		    "give the final URL)", r->status, loc ? loc : "?");
		return 0;
	}
	snprintf(r->err, sizeof(r->err), "HTTP %ld%s%s", r->status,
	    *server_message(r) ? ": " : "", server_message(r));
	*retry_after = http_retry_after(sync_h);
	return http_retryable_status(r->status);
}

int
api_call(const char *method, const char *path, json_t *body, struct reply *r)
{
	char *url, *text = NULL;
	long ra;
	int attempt, again;

	memset(r, 0, sizeof(*r));
	url = strncmp(path, "http", 4) == 0 ? xstrdup(path) : xasprintf("%s%s", cfg.api, path);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		die(ST_FATAL, "out of memory");
	for (attempt = 0;; attempt++) {
		again = call_once(method, url, text, r, &ra);
		if (!again || attempt >= cfg.retries)
			break;
		sleep_s(backoff(attempt, ra));
	}
	free(url);
	free(text);
	return r->status >= 200 && r->status < 300 && r->err[0] == '\0' ? 0 : -1;
}

int
url_origin(const char *url, char **scheme, char **host)
{
	CURLU *u;
	char *sch = NULL, *h = NULL, *p;
	int r = -1;

	*scheme = *host = NULL;
	if ((u = curl_url()) == NULL)
		die(ST_FATAL, "libcurl: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &sch, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		*scheme = xstrdup(sch);
		*host = xstrdup(h);
		for (p = *scheme; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		for (p = *host; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		r = 0;
	}
	curl_free(sch);
	curl_free(h);
	curl_url_cleanup(u);
	return r;
}

/*
 * The key goes wherever the API is, so an absolute endpoint is followed
 * only to the host the user named, and never from https down to http
 * (an attacker on the path, or a hostile server, would read the key).
 * 1 when the endpoint may be used.
 */
static int
endpoint_trusted(const char *ep)
{
	char *rs, *rh, *es, *eh;
	int ok;

	if (url_origin(cfg.root, &rs, &rh) < 0)
		return 0;
	if (url_origin(ep, &es, &eh) < 0) {
		free(rs);
		free(rh);
		return 0;
	}
	ok = strcmp(rh, eh) == 0 && (strcmp(rs, es) == 0 ||
	    (strcmp(rs, "http") == 0 && strcmp(es, "https") == 0));
	if (!ok)
		warnx_("%s: /.well-known/immich points to %s://%s, %s: not followed "
		    "(the API is taken at /api)", cfg.url, es, eh, strcmp(rh, eh) != 0 ?
		    "another host" : "a weaker scheme");
	free(rs);
	free(rh);
	free(es);
	free(eh);
	return ok;
}

/* "/api" or an absolute URL from /.well-known/immich, against the root. */
static void
discover(void)
{
	struct reply r;
	const char *ep;
	char *url;
	size_t n;

	url = xasprintf("%s/.well-known/immich", cfg.root);
	if (api_call("GET", url, NULL, &r) == 0 &&
	    (ep = json_string_value(json_object_get(json_object_get(r.json, "api"),
	    "endpoint"))) != NULL && *ep != '\0') {
		if (strncasecmp(ep, "http://", 7) == 0 || strncasecmp(ep, "https://", 8) == 0) {
			if (endpoint_trusted(ep)) {
				free(cfg.api);
				cfg.api = xstrdup(ep);
			}
		} else if (strstr(ep, "://") != NULL || strncmp(ep, "//", 2) == 0) {
			warnx_("%s: /.well-known/immich points to %s: not followed "
			    "(the API is taken at /api)", cfg.url, ep);
		} else {
			free(cfg.api);
			if (ep[0] == '/') {
				/* the origin of the root, then the endpoint */
				n = strcspn(strstr(cfg.root, "//") + 2, "/") +
				    (size_t)(strstr(cfg.root, "//") + 2 - cfg.root);
				cfg.api = xasprintf("%.*s%s", (int)n, cfg.root, ep);
			} else {
				cfg.api = xasprintf("%s/%s", cfg.root, ep);
			}
		}
		n = strlen(cfg.api);
		while (n > 0 && cfg.api[n - 1] == '/')
			cfg.api[--n] = '\0';
	} else if (r.status == 0) {
		die(ST_FATAL, "%s: server unreachable: %s", cfg.url, r.err);
	} else if (r.status >= 300 && r.status < 400) {
		die(ST_FATAL, "%s: %s", cfg.url, r.err);
	}
	reply_free(&r);
	free(url);
}

static int
has_perm(json_t *perms, const char *p)
{
	json_t *v;
	size_t i;

	json_array_foreach(perms, i, v)
		if (json_is_string(v) && (strcmp(json_string_value(v), p) == 0 ||
		    strcmp(json_string_value(v), "all") == 0))
			return 1;
	return 0;
}

/* 401 and 403 name what is wrong; the key itself is never shown. */
static _Noreturn void
refused(const char *what, struct reply *r)
{
	if (r->status == 401)
		die(ST_FATAL, "%s: the API key was refused (%s): check IMMICH_API_KEY or "
		    "--key-file", cfg.url, r->err);
	if (r->status == 403)
		die(ST_FATAL, "%s: the API key lacks a permission (%s): give it %s in "
		    "Immich, Account Settings, API Keys", cfg.url, server_message(r), what);
	if (r->status == 0)
		die(ST_FATAL, "%s: server unreachable: %s", cfg.url, r->err);
	die(ST_FATAL, "%s: %s", cfg.url, r->err);
}

static void
media_types(void)
{
	static const char *lists[] = { "image", "video" };
	struct reply r;
	json_t *v;
	size_t i, j;

	if (api_call("GET", "/server/media-types", NULL, &r) < 0) {
		reply_free(&r);
		return;		/* kind_of_name() decides instead */
	}
	for (i = 0; i < LEN(lists); i++) {
		json_array_foreach(json_object_get(r.json, lists[i]), j, v) {
			if (!json_is_string(v))
				continue;
			cfg.exts = xrealloc(cfg.exts, (cfg.nexts + 1) * sizeof(*cfg.exts));
			cfg.exts[cfg.nexts++] = xstrdup(json_string_value(v));
		}
	}
	reply_free(&r);
}

/* Can Immich take this file? By the server's list when it gave one. */
int
ext_allowed(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');
	size_t i;

	if (cfg.nexts == 0) {
		i = kind_of_name(path);
		return i == KIND_IMAGE || i == KIND_VIDEO;
	}
	if (dot == NULL)
		return 0;
	for (i = 0; i < cfg.nexts; i++)
		if (strcasecmp(dot, cfg.exts[i]) == 0)
			return 1;
	return 0;
}

void
preflight(int want_albums)
{
	static const char *album_perms[] = { "album.read", "album.create",
	    "albumAsset.create" };
	struct reply r;
	json_t *perms;
	const char *id;
	size_t i;

	discover();
	if (api_call("GET", "/server/version", NULL, &r) < 0 && r.status == 404) {
		reply_free(&r);
		api_call("GET", "/server-info/version", NULL, &r);
	}
	if (r.err[0] != '\0')
		refused("server.about", &r);
	cfg.major = (int)json_integer_value(json_object_get(r.json, "major"));
	cfg.minor = (int)json_integer_value(json_object_get(r.json, "minor"));
	cfg.patch = (int)json_integer_value(json_object_get(r.json, "patch"));
	reply_free(&r);
	if (cfg.major < 1 || (cfg.major == 1 && cfg.minor < 106))
		die(ST_FATAL, "%s: Immich v%d.%d.%d is older than v1.106, the oldest "
		    "mem-upload speaks to", cfg.url, cfg.major, cfg.minor, cfg.patch);

	if (api_call("GET", "/users/me", NULL, &r) < 0)
		refused("user.read", &r);
	if ((id = json_string_value(json_object_get(r.json, "id"))) == NULL)
		die(ST_FATAL, "%s: /users/me: no user id in the answer", cfg.url);
	cfg.user_id = xstrdup(id ? id : "");	/* (die does not return) */
	reply_free(&r);

	/* v2 and later tell a key's permissions; v1 servers answer 404. */
	if (api_call("GET", "/api-keys/me", NULL, &r) == 0 &&
	    (perms = json_object_get(r.json, "permissions")) != NULL) {
		if (!has_perm(perms, "asset.upload"))
			die(ST_FATAL, "%s: the API key lacks the permission asset.upload: "
			    "give it in Immich, Account Settings, API Keys", cfg.url);
		for (i = 0; want_albums && i < LEN(album_perms); i++)
			if (!has_perm(perms, album_perms[i]))
				die(ST_FATAL, "%s: the API key lacks the permission %s, "
				    "needed for albums (or use --no-album)", cfg.url,
				    album_perms[i]);
	} else if (r.status == 401 || r.status == 403) {
		refused("apiKey.read", &r);
	}
	reply_free(&r);
	media_types();
}
