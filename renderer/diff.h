/* diff: the difference between two renderings of a stamp repository (a revision and
 * the working tree), file by file, grouped by customer. Each side is loaded from a
 * source (source.h); a customer whose inputs hash the same on both sides renders the
 * same bytes (rendering is deterministic), so only the customers that differ are
 * rendered, on both sides, and compared with libgit2's diff machinery.
 *
 * struct diff owns the groups, files and patch texts; diff_release() frees them. */
#ifndef STAMP_DIFF_H
#define STAMP_DIFF_H

#include "buf.h"
#include "error.h"

#include <stddef.h>

struct source;

enum diff_status { DIFF_ADDED, DIFF_CHANGED, DIFF_REMOVED };

struct diff_file {
	char *path;             /* "out/..." */
	enum diff_status status;
	size_t additions;
	size_t deletions;
	struct buf patch;       /* unified diff, "diff --git" header first */
};

struct diff_group {
	char *customer;         /* NULL: the outputs over all customers */
	struct diff_file *files;/* in path order */
	size_t count;
	size_t additions, deletions, added, changed, removed;
	int customer_removed;   /* the customer exists in the base only: the deploy removes it */
	const char *channel;    /* the channel it follows (the base's when removed), or NULL:
				 * none declared; points into struct diff's channels */
};

/* A channel of the working tree's side (channel.h): where it points, and whether its
 * set differs from the base's channel of that name (a promotion). */
struct diff_channel {
	char *name;
	char *revision;         /* as written */
	char sha[41];           /* what it resolved to; "" for WORKTREE */
	int moved;              /* its set is not the base's for this channel (or the base had none) */
	size_t customers;       /* groups of customers that follow it */
};

struct diff {
	struct diff_group *groups; /* customers in id order, then the outputs over all */
	size_t count;
	size_t files, additions, deletions, added, changed, removed;
	size_t customers_removed;  /* groups with customer_removed */
	struct diff_channel *channels; /* the working tree's, as declared; none without channels */
	size_t channel_count;
	struct error_list errors;  /* invalid input on either side */
};

/* Renders what differs between base (NULL: a repository with nothing rendered yet) and
 * head, and compares. Returns 0, 1 when either side is invalid (errors says why), -1 on
 * an environment failure (errors says why). */
int diff_compute(struct diff *d, const struct source *base, const struct source *head, int jobs);
void diff_release(struct diff *d);

#endif
