/*
 * scan-msgexport.c -- libFuzzer target for the message platforms' JSON,
 * CSV and SQLite readers as they run: the input is written as every
 * metadata file of a small export (Snapchat chat_history.json, Google Chat
 * messages.json and group_info.json, Discord index.json, messages.json and
 * messages.csv, iMazing's Messages CSV, chat.db) beside a few media files;
 * the export is walked and each platform detects and scans it. Its
 * warnings go to the log with libFuzzer's.
 *
 * FUZZ_SOURCES: tools/mem-scan/*.c
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "../../tools/mem-scan/mem-scan.h"

static char root[64];

static const char *dirs[] = { "json", "chat_media", "Google Chat",
    "Google Chat/Groups", "Google Chat/Groups/DM 1", "Google Chat/Users",
    "Google Chat/Users/U", "Messages", "Messages/c1", "Messages/c2",
    "Attachments", "Attachments/a" };
static const char *metas[] = { "json/chat_history.json",
    "Google Chat/Groups/DM 1/messages.json",
    "Google Chat/Groups/DM 1/group_info.json",
    "Google Chat/Users/U/user_info.json", "Messages/index.json",
    "Messages/c1/messages.json", "Messages/c1/channel.json",
    "Messages/c2/messages.csv", "Messages - A.csv", "chat.db", "contacts.vcf" };
static const char *media[] = { "chat_media/2023-01-01_b~x.jpg",
    "chat_media/2023-01-01_overlay~zip-X.png", "Google Chat/Groups/DM 1/a.jpg",
    "Messages/c1/a.jpg", "2023-01-01 10 00 00 - A - a.jpg",
    "Attachments/a/a.jpg" };

static int
rm1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch export goes when the fuzzer exits. */
static void
cleanup(void)
{
	if (root[0] != '\0')
		nftw(root, rm1, 16, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *rel, const unsigned char *data, size_t size)
{
	char *p = xasprintf("%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	free(p);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct export ex;
	size_t i;

	if (root[0] == '\0') {
		snprintf(root, sizeof(root), "/tmp/mem-fuzz-XXXXXX");
		if (mkdtemp(root) == NULL)
			abort();
		atexit(cleanup);
		for (i = 0; i < LEN(dirs); i++) {
			char *p = xasprintf("%s/%s", root, dirs[i]);

			mkdir(p, 0700);
			free(p);
		}
		for (i = 0; i < LEN(media); i++)
			put(media[i], (const unsigned char *)"x", 1);
	}
	for (i = 0; i < LEN(metas); i++)
		put(metas[i], data, size);
	if (export_walk(&ex, root, 0, 0, 0) < 0)
		abort();
	for (i = 0; i < nplatforms; i++) {
		const struct platform *p = platform_at(i);

		ex.cur = p;
		if (p->detect(&ex) && ex.nfound < LEN(ex.found)) {
			ex.found[ex.nfound++] = p;
			p->scan(&ex, p);
		}
	}
	ex.cur = NULL;
	name_all(&ex);
	export_free(&ex);
	return 0;
}
