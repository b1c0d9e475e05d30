/* gitrepo: the git repository a stamp repository lives in, through libgit2. Finds it
 * from the stamp repository's directory (the stamp repository may be a subdirectory of it, such
 * as examples/hybrid), turns libgit2's errors into ours, and reads blobs and trees of
 * a revision without touching the working tree.
 *
 * struct gitrepo owns its libgit2 repository and prefix; gitrepo_close() frees them.
 * Blobs read with gitrepo_read() are malloc'd copies the caller frees. */
#ifndef STAMP_GITREPO_H
#define STAMP_GITREPO_H

#include <git2.h>
#include <stddef.h>

struct error;

struct gitrepo {
	git_repository *repo;
	char *prefix;  /* the stamp repository inside the work tree: "" or "examples/hybrid/" */
};

/* libgit2 is initialised once, at its first use (every function here, and diff.c, holds
 * it first), and stays so to gitrepo_release_library() at the end of the run: an
 * initialisation loads the system's CA certificates (about 12 ms), which a render that
 * opens no repository does not pay, and which a run pays once however often it opens
 * one. No module initialises or shuts it down itself. -1 when it cannot be initialised. */
int gitrepo_hold_library(void);
void gitrepo_release_library(void);

/* Opens the repository holding the stamp repository at path (absolute, resolved). */
int gitrepo_open(struct gitrepo *r, const char *path, struct error *err);
void gitrepo_close(struct gitrepo *r);
/* Sets err to "<what>: <libgit2's last error>" and returns -1. */
int gitrepo_fail(struct error *err, const char *what);
/* Sets err to "<path>: error: cannot <operation>: <libgit2's last error, one line>;
 * <advice>", marked as an environment failure, and returns -1. */
int gitrepo_fail_at(struct error *err, const char *path, const char *operation, const char *advice);
/* Clears libgit2's last error and errno before a call whose failure gitrepo_fail_at()
 * reports, so that the reason it gives is that call's. */
void gitrepo_clear_error(void);
/* git's lock on <dir>/<name> (dir: git_repository_path() or _commondir()): 0 when
 * nobody holds it, else -1 with err naming the lock file and git's advice. stamp never
 * removes a lock. */
int gitrepo_check_lock(const char *dir, const char *name, struct error *err);

/* 1 when git accepts name as a branch (refs/heads/<name>, not starting with '-'), 0
 * when not, -1 when libgit2 could not say (out of memory). Needs no repository. */
int gitrepo_branch_name_is_valid(const char *name);

/* The trailer every commit stamp makes ends with, naming the commit rendered from. */
#define GITREPO_TRAILER "Rendered-from"
/* 1 when the commit's message ends with stamp's trailer. */
int gitrepo_made_by_stamp(const git_commit *commit);
/* The commit a revision (HEAD, origin/main, a SHA, ...) names; the caller frees it. */
int gitrepo_commit(struct gitrepo *r, const char *revision, git_commit **out, struct error *err);
/* The commit revision names (a tag or branch peeled to it): 0 with *out set, 1 when
 * this repository has no such revision (a tag a shallow clone did not fetch), -1 on
 * any other failure (err says why). */
int gitrepo_resolve(struct gitrepo *r, const char *revision, git_oid *out, struct error *err);
/* A blob of tree at path, NUL-terminated: 0, 1 when there is none, -1 on error. */
int gitrepo_read(struct gitrepo *r, git_tree *tree, const char *path, char **data, size_t *len,
		 struct error *err);
/* An empty tree, for a branch or repository that has no commit yet. */
int gitrepo_empty_tree(struct gitrepo *r, git_tree **out, struct error *err);

#endif
