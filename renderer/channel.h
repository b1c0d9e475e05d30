/* channel: the template-set revisions customers are pinned to, for staged rollouts.
 * templates/stamp.yaml of the tree being rendered may declare
 *
 *   channels:
 *     stable: {revision: templates-v12}   # a tag, branch or sha git resolves
 *     canary: {revision: WORKTREE}        # the tree being rendered itself
 *   default_channel: stable
 *
 * and a spec picks one with `channel: canary` (without, it follows default_channel).
 * Each customer is validated and rendered with the template set of its channel's
 * revision: templates/ read from the object store with libgit2, no checkout, loaded
 * and compiled once per distinct commit. WORKTREE is the tree being rendered: the
 * working tree, or the revision `stamp diff` reads on that side. Without channels:
 * there is one set, the tree's own, and every customer follows it.
 *
 * struct channels owns the sets it loaded (their sources, manifests and output sets)
 * and the repository it opened; the tree's own set (set 0) is borrowed from the
 * caller, who frees it after channels_release(). */
#ifndef STAMP_CHANNEL_H
#define STAMP_CHANNEL_H

#include "gitrepo.h"
#include "output.h"
#include "source.h"

#include <stddef.h>

struct buf;
struct error_list;
struct manifest;
struct value;

#define CHANNEL_WORKTREE "WORKTREE"
#define CHANNEL_SHA_LEN 40

/* One template set: a revision's templates/ (or the tree's own). */
struct channel_set {
	const struct manifest *manifest;
	const struct output_set *outputs;
	char sha[CHANNEL_SHA_LEN + 1]; /* the commit it was read from; "" for the tree's own */
	/* owned when loaded from a revision */
	struct source source;
	struct manifest *owned_manifest;
	struct output_set owned_outputs;
	int have_outputs;
};

struct channel {
	const char *name;          /* in the declaring manifest's arena */
	const char *revision;      /* as written; CHANNEL_WORKTREE for the tree's own */
	const struct value *where; /* its revision: value, for diagnostics */
	size_t set;                /* index into channels.sets */
};

struct channels {
	struct channel *items;     /* in the order stamp.yaml declares them */
	size_t count;              /* 0: no channels: declared */
	size_t default_channel;    /* index into items (0 when there are none) */
	struct channel_set *sets;  /* sets[0] is the tree's own */
	size_t set_count;
	struct gitrepo *repo;      /* where the revisions were resolved, or NULL */
	struct gitrepo owned_repo; /* opened here for a working tree */
	int owns_repo;
	int repo_failed;           /* no repository holds the tree: said once */
};

/* Reads the channels m (the tree's own manifest, loaded from src together with os)
 * declares, resolves each revision and loads each distinct one's template set. Every
 * problem goes to errors, at the line of templates/stamp.yaml to edit: an unknown
 * channel name, a revision that is not in this clone (with the fetch that brings it),
 * a revision without templates/stamp.yaml, or any problem of the set it holds. Returns
 * 0, 1 when errors holds problems of the input, -1 when the environment failed. */
int channels_load(struct channels *ch, const struct manifest *m, const struct output_set *os,
		  const struct source *src, struct error_list *errors);
void channels_release(struct channels *ch);

/* The channel named name (len bytes), or -1. */
long channels_find(const struct channels *ch, const char *name, size_t len);
/* The channel a manifest's record names (NULL: it followed none, as when no channels
 * were declared), as an index of ch: -1 when ch has no such channel now. */
long channels_find_recorded(const struct channels *ch, const char *recorded);
/* The channel whose name is closest to name (a likely typo), or NULL. */
const char *channels_closest(const struct channels *ch, const char *name, size_t len);
/* "Promote stable to 9b874c5 (templates-v13): 4 customers", or for a channel that follows
 * the working tree (sha NULL, "" or WORKTREE) "Update canary (WORKTREE): 1 customer";
 * revision (may be NULL) is shown when it is not the sha itself. */
void channels_describe_promotion(struct buf *out, const char *name, const char *sha, const char *revision,
				 size_t customers);
/* The set customers of channel i (or of the default, when there are no channels)
 * render with. */
const struct channel_set *channels_set_of(const struct channels *ch, size_t channel);
/* The set of the default channel: the one the outputs over all customers, the rules
 * across customers and the manifest's record use. */
const struct channel_set *channels_default_set(const struct channels *ch);

/* The template sets of one tree (the working tree, or the revision one side of `stamp
 * diff` reads): its own manifest and outputs (set 0), and the sets its channels name.
 * channel_tree_release() frees all of it, also after a load that failed. */
struct channel_tree {
	struct manifest *manifest;
	struct output_set outputs;
	int have_outputs;
	struct channels channels;
	int have_channels;
};
/* 0, 1 when errors holds problems of the input, -1 when the environment failed. */
int channel_tree_load(struct channel_tree *t, const struct source *src, struct error_list *errors);
void channel_tree_release(struct channel_tree *t);

/* `stamp channels`: the channels of the tree at src, each with the customers that
 * follow it. Loads the template sets and every spec. */
struct channels_survey {
	struct channel_tree tree;
	size_t *followers;          /* per channel (one entry when there are none) */
	size_t customers;
};
/* 0, 1 when errors holds invalid input, -1 when the environment failed. */
int channels_survey(struct channels_survey *s, const struct source *src, int jobs, struct error_list *errors);
void channels_survey_release(struct channels_survey *s);

#endif
