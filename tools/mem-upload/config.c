/*
 * config.c -- mem-upload's settings: options first, then the environment,
 * then a .env file (memoria's precedence). The URL and the key are checked
 * here, before any item; the key is never printed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mem-upload.h"

static char **envkeys, **envvals;	/* from the .env file */
static size_t nenv;

/* KEY=VALUE lines; "#" comments, "export ", quotes stripped, as dotenv does. */
void
load_env(const char *path, int must)
{
	char *line = NULL, *k, *v, *e;
	size_t cap = 0, n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		if (must || errno != ENOENT)
			die_errno(ST_FATAL, "%s", path);
		return;
	}
	while (getline(&line, &cap, fp) >= 0) {
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (strncmp(k, "export ", 7) == 0)
			k += 7;
		if (*k == '#' || (v = strchr(k, '=')) == NULL)
			continue;
		for (e = v; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		n = strcspn(v, "\r\n");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		envkeys = xrealloc(envkeys, (nenv + 1) * sizeof(*envkeys));
		envvals = xrealloc(envvals, (nenv + 1) * sizeof(*envvals));
		envkeys[nenv] = xstrdup(k);
		envvals[nenv++] = xmemdup(v, n);
	}
	if (ferror(fp))
		die_errno(ST_FATAL, "%s", path);
	free(line);
	fclose(fp);
}

/* The environment first, then .env (flags were looked at before). */
static const char *
setting(const char *name)
{
	const char *v = getenv(name);
	size_t i;

	if (v != NULL && *v != '\0')
		return v;
	for (i = nenv; i-- > 0;)
		if (strcmp(envkeys[i], name) == 0 && envvals[i][0] != '\0')
			return envvals[i];
	return NULL;
}

void
add_str(char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 2) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
	(*list)[*n] = NULL;
}

static int
has_space_or_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

static char *
read_key_file(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		die_errno(ST_FATAL, "--key-file %s", path);
	n = getline(&line, &cap, fp);
	if (n < 0 && ferror(fp))
		die_errno(ST_FATAL, "--key-file %s", path);
	fclose(fp);
	if (n < 0)
		die(ST_FATAL, "--key-file %s: empty", path);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	return line;
}

/*
 * A URL with "user:password@" (basic auth at a reverse proxy) is a secret
 * too: messages and the ledger get it as "***@". *userinfo is set to
 * where the user information starts, or NULL.
 */
static char *
redacted(const char *url, const char **userinfo)
{
	const char *host = strstr(url, "://"), *at = NULL, *p;
	size_t n;

	*userinfo = NULL;
	if (host == NULL)
		return xstrdup(url);
	host += 3;
	n = strcspn(host, "/");
	for (p = host; p < host + n; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(url);
	*userinfo = host;
	return xasprintf("%.*s***%s", (int)(host - url), url, at);
}

/*
 * URL and key, checked before any item: http(s) only, no spaces or control
 * bytes anywhere (they would forge headers), "/api" optional.
 */
void
config_server(const char *keyfile)
{
	unsigned char sum[SHA1_LEN];
	char hex[SHA1_HEXLEN + 1];
	struct sha1 s;
	const char *k, *url, *userinfo;
	char *shown;
	size_t n;

	if (cfg.url == NULL && (cfg.url = setting("IMMICH_INSTANCE_URL")) == NULL)
		die(ST_FATAL, "no server: set IMMICH_INSTANCE_URL or give --url");
	url = cfg.url;
	cfg.url = redacted(url, &userinfo);	/* what messages show */
	n = strncmp(url, "http://", 7) == 0 ? 7 :
	    strncmp(url, "https://", 8) == 0 ? 8 : 0;
	if (n == 0 || url[n] == '\0' || url[n] == '/' ||
	    has_space_or_control(url) || strchr(url, '#') != NULL ||
	    strchr(url, '?') != NULL)
		die(ST_FATAL, "%s: not an http:// or https:// server URL", cfg.url);
	cfg.root = xstrdup(url);
	n = strlen(cfg.root);
	while (n > 0 && cfg.root[n - 1] == '/')
		cfg.root[--n] = '\0';
	if (n >= 4 && strcmp(cfg.root + n - 4, "/api") == 0)
		cfg.root[n -= 4] = '\0';
	while (n > 0 && cfg.root[n - 1] == '/')
		cfg.root[--n] = '\0';
	cfg.api = xasprintf("%s/api", cfg.root);

	if (keyfile != NULL)
		cfg.key = read_key_file(keyfile);
	else if ((k = setting("IMMICH_API_KEY")) != NULL)
		cfg.key = xstrdup(k);
	else
		die(ST_FATAL, "no API key: set IMMICH_API_KEY or give --key-file");
	if (cfg.key[0] == '\0' || has_space_or_control(cfg.key))
		die(ST_FATAL, "the API key is empty or holds spaces or control characters");
	/* The ledger trusts entries made with this server and key only. */
	sha1_init(&s);
	sha1_update(&s, "mem-upload ledger\n", 18);
	sha1_update(&s, cfg.key, strlen(cfg.key));
	if (userinfo != NULL)
		sha1_update(&s, userinfo, strcspn(userinfo, "@"));
	sha1_final(&s, sum);
	sha1_hex(sum, hex);
	shown = redacted(cfg.root, &userinfo);
	cfg.serverkey = xasprintf("%s#%.16s", shown, hex);
	free(shown);
}

void
config_rest(int have_ignores, int have_conc)
{
	static const char *defaults[] = { "issues/**", "**/*matching/**" };
	const char *v;
	char *list, *p, *tok, *save = NULL, *e;
	size_t i;

	if (!have_conc) {
		cfg.concurrency = 4;
		if ((v = setting("IMMICH_UPLOAD_CONCURRENCY")) != NULL)
			cfg.concurrency = num_ll("IMMICH_UPLOAD_CONCURRENCY", v, 1, 64);
	}
	if (!have_ignores) {
		if ((v = setting("IMMICH_IGNORE_PATTERNS")) != NULL) {
			list = xstrdup(v);
			for (p = list; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
				while (*tok == ' ' || *tok == '\t')
					tok++;
				e = tok + strlen(tok);
				while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
					*--e = '\0';
				if (*tok != '\0')
					add_str(&cfg.ignores, &cfg.nignores, tok);
			}
			free(list);
		} else {
			for (i = 0; i < LEN(defaults); i++)
				add_str(&cfg.ignores, &cfg.nignores, defaults[i]);
		}
	}
}
