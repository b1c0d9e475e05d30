/* outmanifest: out/.stamp-manifest, the record of what the last render wrote.
 *
 * It holds stamp's version, the template set's hash, each customer's input hash and
 * summary (the part of its values the next render needs without parsing it again) and
 * every file stamp wrote with its XXH3-128 hash and owner (a customer id, or "-" for
 * outputs over all customers). It is what makes a no-op render do nothing, tells hand
 * edits from stale files, and says which files a removed customer leaves to prune.
 *
 * Anyone can edit the file, so nothing in it is trusted: outmanifest_parse() refuses
 * the whole manifest when any line is malformed, a path breaks the out/ path rule
 * (outpath.h), an id or owner holds a blank or control byte, or a path or customer
 * appears twice. A refused manifest is never used for a deletion: render rebuilds it.
 *
 * A parsed manifest owns its text and arrays; the strings point into the text, so a
 * manifest of 140,000 files costs three allocations. outmanifest_release() frees it.
 * A manifest built by hand for formatting (the next render's) may point anywhere; it
 * is only formatted, never released. */
#ifndef STAMP_OUTMANIFEST_H
#define STAMP_OUTMANIFEST_H

#include "hash.h"

#include <stddef.h>

struct buf;
struct error;

#define OUTMANIFEST_NAME ".stamp-manifest"
#define OUTMANIFEST_FORMAT "2"

struct outmanifest_customer {
	char *id;
	struct hash input;
	const char *channel; /* the channel it followed (channel.h), or NULL: none declared */
	const char *summary; /* what the next render needs of it (summary.h), or NULL */
	size_t summary_len;
};

/* A channel the render knew (channel.h): the set its customers were rendered with, and
 * the commit it was read from ("" for the tree's own). */
struct outmanifest_channel {
	char *name;
	struct hash set;
	char *commit;
};

struct outmanifest_file {
	char *path;  /* under out/ */
	char *owner; /* customer id, or "-" */
	struct hash hash;
};

struct outmanifest {
	char *text;                            /* the file as read; the strings point into it */
	char *version;
	struct hash set_hash;
	struct outmanifest_channel *channels;   /* as declared; malloc'd copies */
	size_t channel_count;
	struct outmanifest_customer *customers; /* sorted by id */
	size_t customer_count;
	struct outmanifest_file *files;         /* sorted by path */
	size_t file_count;
	/* A manifest built for formatting may give its files through file_at() instead of
	 * files: record i into *out (1.4 million files at 100,000 customers need no array
	 * of their own beside the plan's). */
	void (*file_at)(const void *data, size_t i, struct outmanifest_file *out);
	const void *file_data;
};

/* Parses text (malloc'd; the manifest takes it, also on failure), named `name` in
 * errors. -1 with err at the offending line when the manifest is damaged. */
int outmanifest_parse(struct outmanifest *m, char *text, const char *name, struct error *err);
void outmanifest_release(struct outmanifest *m);
const struct outmanifest_customer *outmanifest_customer(const struct outmanifest *m, const char *id);
const struct outmanifest_file *outmanifest_file(const struct outmanifest *m, const char *path);
const struct outmanifest_channel *outmanifest_channel(const struct outmanifest *m, const char *name);
/* Appends the manifest's text; files must be in path order and customers in id order
 * (as a plan makes them). */
void outmanifest_format(const struct outmanifest *m, struct buf *out);
/* The same text a piece at a time, for writing it out without holding it whole (13 MB
 * at 10,000 customers): appends the next lines, about OUTMANIFEST_PIECE bytes, from
 * cursor *at (0 to begin); returns 1 while there is more. */
#define OUTMANIFEST_PIECE (256 * 1024)
int outmanifest_format_next(const struct outmanifest *m, size_t *at, struct buf *out);

/* What differs between two manifests' files: each path added, changed or removed, in
 * path order. The changes point into the manifests, which must outlive them; the
 * caller frees items with free(). */
struct outmanifest_change {
	const char *path;  /* under out/ */
	const char *owner; /* of the new file, or of the removed one */
	int removed;
};
struct outmanifest_changes {
	struct outmanifest_change *items;
	size_t count;
	size_t cap;
};
void outmanifest_diff(const struct outmanifest *old, const struct outmanifest *new,
		      struct outmanifest_changes *changes);

#endif
