/*
 * mem-upload.h -- private to mem-upload: the run's configuration, the
 * files of a run, and the calls between its parts (api.c: JSON calls and
 * the preflight; config.c: options, environment and .env; transfer.c: hashing, checks and uploads over one libcurl
 * multi handle; album.c: get-or-create and membership; ledger.c: the
 * record of confirmed uploads and the queue lock; match.c: ignore globs;
 * live.c: Live Photo pairs).
 */
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

/* What became of a file; the summary counts these. */
enum fstate {
	F_NEW,		/* to be hashed and checked */
	F_IGNORED,	/* matched an ignore pattern */
	F_AUDIO,	/* Immich refuses audio: skipped, not failed */
	F_LEDGER,	/* the ledger knows it: no hash, no request */
	F_UPLOAD,	/* the server lacks it: to be sent */
	F_CREATED,	/* sent, 201 created */
	F_DUPLICATE,	/* the server had it already (check or upload) */
	F_FAILED
};

struct upfile {
	char	*input;		/* the operand or record as given, for messages */
	char	*path;		/* the media file */
	char	*key;		/* its absolute path: ledger key, dedup in a run */
	char	*sidecar;	/* its XMP sidecar, or NULL */
	char	**albums;	/* names, NULL-terminated */
	size_t	 nalbums;
	int	 has_time;
	int64_t	 created;	/* capture instant from the record */
	struct timespec mtime;
	struct timespec ctime;	/* with size and mtime, the ledger's identity */
	off_t	 size;
	int	 favorite;
	char	*visibility;	/* "archive", "locked", or NULL (timeline) */
	int	 is_audio;
	char	 sha1[41];
	char	*asset;		/* the server's asset id once confirmed */
	int	 trashed;
	int	 album_failed;	/* on the server, but an album step failed */
	char	*id;		/* the record's id, or NULL for a path */
	char	*live_video;	/* its record's live_video= (a Live Photo), or NULL */
	int	 link_failed;	/* on the server, but linking its video failed */
	int	 attempts;
	enum fstate state;
	char	*why;		/* failure reason */
	struct upfile *same;	/* an earlier input naming the same file */
	int	 from_record;	/* the input was an item record */
	int	 absorbed;	/* a record of a file also named directly: not counted */
	struct upfile *twin;	/* an earlier file with the same bytes, sent once */
};

struct config {
	const char *url;	/* as given, any "user:password@" as "***@" */
	char	*root;		/* url without a trailing "/" or "/api" */
	char	*api;		/* the API base, ".../api" */
	char	*key;		/* the API key: never printed */
	char	*serverkey;	/* root + a hash of the key: ledger entries */
	const char *out;	/* OUT: records' dest, the lock, the ledger */
	const char *lock;
	const char *ledger;
	const char *envfile;
	long	 concurrency;
	long	 retries;
	double	 retry_delay;	/* seconds, doubled per attempt */
	double	 timeout;	/* seconds without progress before giving up */
	double	 connect_timeout;
	int	 dry_run;
	int	 insecure;
	int	 recheck;	/* ignore the ledger */
	int	 no_album;
	int	 restore_trashed;
	int	 progress;	/* stderr is a terminal */
	char	**ignores;
	size_t	 nignores;
	char	**albums;	/* --album, overriding the records' albums */
	size_t	 nalbums;
	/* learned in the preflight */
	int	 major, minor, patch;
	char	*user_id;
	char	**exts;		/* image and video extensions, ".jpg" */
	size_t	 nexts;
};

struct stats {
	long	 created, duplicates, ledger, audio, ignored, failed, trashed;
	long	 albums_created, albums_updated;
	long	 linked;	/* Live Photos linked */
	long long bytes_sent;
};

extern struct config cfg;
extern struct stats stats;

/* config.c */
void	 load_env(const char *path, int must);
void	 config_server(const char *keyfile);
void	 config_rest(int have_ignores, int have_conc);
void	 add_str(char ***list, size_t *n, const char *s);

/* api.c */
struct reply {
	long	 status;	/* HTTP status, 0 when no answer came */
	char	*body;
	size_t	 len;
	json_t	*json;		/* parsed body, or NULL */
	char	 err[CURL_ERROR_SIZE + 64];	/* why it failed */
};
void	 api_init(void);
void	 api_cleanup(void);
/* Common options of every handle: TLS, no redirects, timeouts, the key. */
void	 api_setup(CURL *h, struct curl_slist **hdrs, int json_body);
/* A JSON call with retries; 0 on 2xx, -1 with r->err set otherwise. */
int	 api_call(const char *method, const char *path, json_t *body, struct reply *r);
void	 reply_free(struct reply *r);
size_t	 reply_body(char *p, size_t size, size_t n, void *arg);
double	 backoff(int attempt, long retry_after);
double	 now_s(void);
void	 sleep_s(double s);
const char *server_message(const struct reply *r);
void	 preflight(int want_albums);
/* The scheme and host of an absolute URL, lower-cased; -1 when it has none. */
int	 url_origin(const char *url, char **scheme, char **host);
int	 ext_allowed(const char *path);

/* transfer.c: hash, bulk-check and upload the files in F_NEW state. */
void	 transfer(struct upfile **files, size_t n, FILE *ledger);
/* After the transfers: files that waited on a twin with the same bytes. */
void	 twins_settle(struct upfile **files, size_t n, FILE *ledger);

/* album.c: put confirmed files into their albums. */
void	 albums_apply(struct upfile **files, size_t n, FILE *ledger);
/* A name that is not valid UTF-8, its stray bytes read as CP1252 (NULL if valid). */
char	*album_utf8(const char *name);

/* live.c: link each Live Photo still to its video (livePhotoVideoId). */
void	 live_videos_albumless(struct upfile **files, size_t n);
int	 live_pending(struct upfile **files, size_t n);
void	 live_apply(struct upfile **files, size_t n, FILE *ledger);

/* ledger.c */
void	 ledger_load(const char *path);
int	 ledger_lookup(struct upfile *f);	/* 1 and f->asset set when known */
int	 ledger_in_album(const char *asset, const char *album);
FILE	*ledger_open(const char *path);
void	 ledger_file(FILE *fp, const struct upfile *f);
void	 ledger_album(FILE *fp, const char *asset, const char *album);
const char *ledger_asset_of(const char *key);
int	 ledger_linked(const char *still, const char *video);
void	 ledger_link(FILE *fp, const char *still, const char *video);
void	 ledger_free(void);
int	 lock_take(const char *path);	/* the fd, held until exit */

/* match.c */
int	 glob_match(const char *pat, const char *s);
int	 ignored(const char *rel);
