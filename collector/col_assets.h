/* The web UI's files, embedded at build time (see ui/embed.py). */
#ifndef COL_ASSETS_H
#define COL_ASSETS_H

#include <stddef.h>

struct col_asset {
	const char *url;
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

/* Terminated by an entry whose url is NULL. */
extern const struct col_asset col_assets[];

#endif
