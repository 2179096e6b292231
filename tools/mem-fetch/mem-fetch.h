/*
 * mem-fetch.h -- shared by mem-fetch's files: main and records
 * (mem-fetch.c), the libcurl loop (xfer.c), what a body is (content.c).
 */
#include <stdint.h>

#define SNIFF 64		/* bytes kept from a body's start */

struct fcfg {
	const char *out;	/* -o OUT */
	char	*fetchdir;	/* OUT/.mem/fetch */
	int	 parallel;	/* transfers at once */
	int	 retries;	/* attempts after the first */
	double	 retry_delay;	/* seconds before the first retry, doubled */
	double	 timeout;	/* a transfer that moves no byte this long */
	double	 connect_timeout;
	long long max_size;	/* bytes */
	const char *loopback;	/* MEM_FETCH_LOOPBACK: https hosts served here */
};
extern struct fcfg cfg;

/* One item to download. */
struct task {
	char	*recpath;	/* the scan's record, as given */
	char	*id;
	char	*url;		/* the media, or NULL until a link gave it */
	char	*link;		/* Snapchat's older link: POST it for the url */
	char	*label;		/* for messages: the record's dest, else id */
	int	 done;		/* 1 ok, -1 failed */
	char	*why;		/* the reason, when failed */
	struct atomic body;	/* the GET's body, in a hidden temp file */
	long long bytes;
	unsigned char head[SNIFF];	/* the body's first bytes */
	size_t	 nhead;
	void	*owner;		/* the caller's */
};

/* xfer.c: download every task; done(task) is called as each ends, with
 * task->done 1 (its body is in task->body, to be renamed by done) or -1
 * (task->why says why). */
void	 fetch_all(struct task **t, size_t n, void (*done)(struct task *));
/* Does the URL's ex= (Discord's expiry, hex Unix time) lie in the past?
 * 1 with the date in day[32], else 0. */
int	 link_expired(const char *url, char day[32]);

/* content.c */
struct sniffed {
	const char *ext;	/* ".jpg", ".mp4", ... */
	int	 kind;		/* enum item_kind */
};
enum { BODY_MEDIA, BODY_ZIP, BODY_HTML, BODY_OTHER };
int	 sniff(const unsigned char *p, size_t n, struct sniffed *s);
/*
 * Unpack Snapchat's ZIP (the media and its overlay) from zip into
 * dir/ID.EXT and dir/ID.overlay.png, each atomically. 0 with the media's
 * path in *media and the overlay's (or NULL) in *overlay, else -1 with a
 * reason in *why (malloc'd).
 */
int	 unzip_memory(const char *zip, const char *dir, const char *id,
	    char **media, char **overlay, struct sniffed *s, char **why);
