/* gitcommit: `stamp commit`'s work. Renders through the sync layer, then commits exactly
 * what changed in out/, in git's order: objects, then the branch by compare-and-swap,
 * then the index.
 *
 * Before anything is rendered: the target branch is resolved (the checked-out one, or
 * --branch NAME, refused when a worktree has it checked out), every lock the commit
 * will take is looked at (index.lock, HEAD.lock, the branch's lock, packed-refs.lock;
 * a held one stops the commit, and stamp never removes one) and an index an
 * interrupted commit left is repaired (gitindex.h).
 *
 * The new tree is the tip's tree with out/'s changed files replaced, found by comparing
 * the manifest committed at the tip with the one the render returns in memory; only
 * those files are read (through out/'s descriptor) and become blobs; the new manifest's
 * blob is the render's text, which is then parsed in place (the render's report no
 * longer holds it). The manifests are released before git's index is read: at 100,000
 * customers they are 270 MB parsed, the index 400 MB in libgit2. The objects are
 * made durable (fsync per object for a small commit, one syncfs() for a large one)
 * before the branch moves; the branch moves in a libgit2 transaction that holds its
 * lock (and HEAD's), under which its tip is compared with the one read at the start.
 *
 * struct gitcommit_report owns its strings and the render's report;
 * gitcommit_report_release() frees them. */
#ifndef STAMP_GITCOMMIT_H
#define STAMP_GITCOMMIT_H

#include "buf.h"
#include "error.h"
#include "sync.h"

#include <git2.h>

struct gitcommit_options {
	const char *path;    /* the stamp repository (absolute), for libgit2 */
	const char *subject; /* -m, or NULL for one that names the changed customers */
	const char *branch;  /* --branch: the hydrated branch; NULL: the checked-out one */
	const char *expect;  /* --expect REV: commit only on top of it */
	struct sync_options render;
};

struct gitcommit_report {
	struct sync_report render; /* the render's, printed first */
	int rendered;              /* the render ran (its report is to be printed) */
	struct buf notices;        /* "stamp: ..." lines (a repaired index, uncommitted sources) */
	int committed;             /* 0: nothing to commit */
	char *branch;              /* the branch's short name */
	char id[GIT_OID_HEXSZ + 1];
	char *subject;
	size_t files, customers, removed; /* customers rendered; customers removed */
	struct error err;          /* the failure, when the status is 2 */
};
#define GITCOMMIT_REPORT_INIT { SYNC_REPORT_INIT, 0, BUF_INIT, 0, NULL, "", NULL, 0, 0, 0, ERROR_INIT }

/* The exit status: 0 committed or nothing to commit, 1 invalid input (the render's
 * report says what), 2 a git, lock or I/O failure (err). */
int gitcommit_run(const struct gitcommit_options *o, struct gitcommit_report *report);
void gitcommit_report_release(struct gitcommit_report *report);

#endif
