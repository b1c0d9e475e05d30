/* source: where the inputs of a render (templates/ and customers/) are read from: the
 * working tree, or a tree in the git object store (`stamp diff --base REV` reads a
 * revision without checking it out). Loaders take paths relative to the stamp
 * repository root and show them in diagnostics behind the source's label: "" for the
 * working tree, "REV:" for a revision, so "origin/main:customers/acme.yaml:3:7".
 *
 * A source is read-only and safe to use from several threads. A worktree source holds
 * its root inline and needs no freeing; a git source is made by source_git_open() and freed by source_git_close(). */
#ifndef STAMP_SOURCE_H
#define STAMP_SOURCE_H

#include <git2.h>
#include <stddef.h>

struct buf;
struct error;
struct gitrepo;
struct source;

enum source_kind {
	SOURCE_NONE,    /* nothing there */
	SOURCE_FILE,
	SOURCE_DIR,
	SOURCE_LINK,
	SOURCE_OTHER,   /* FIFO, device, socket, submodule */
	SOURCE_UNREADABLE, /* could not be looked at: an I/O error, errno says which. The
			    * caller reports it as the environment's failure, never as a
			    * file that is missing or of the wrong kind */
};

/* Why a read failed. */
enum source_status {
	SOURCE_OK = 0,
	SOURCE_FAILED = -1,      /* err says why */
	SOURCE_TOO_LARGE = -2,   /* over the caller's limit */
	SOURCE_NOT_FILE = -3,    /* not a regular file (after following a link) */
};

/* The git object id of a file's bytes: what a revision's tree names each file by. Two
 * files with the same id hold the same bytes, so one side of `stamp diff` need not read
 * a spec the other side read already. */
#define SOURCE_BLOB_SIZE 20
struct source_blob {
	unsigned char id[SOURCE_BLOB_SIZE];
};

struct source_ops {
	/* The names in dir, unsorted; *names and each name are malloc'd. With kinds, what
	 * each is (as kind() says; malloc'd too), learned with the names where the source
	 * can: a directory read gives the types, so 10,000 specs cost no stat each. -1 when
	 * dir cannot be read (err says why; a missing directory is an error too). */
	int (*list)(const struct source *s, const char *dir, char ***names, enum source_kind **kinds, size_t *count,
		    struct error *err);
	/* What path is, without following a link. */
	enum source_kind (*kind)(const struct source *s, const char *path);
	/* Reads a file (following links), at most max bytes (0: no limit). */
	enum source_status (*read)(const struct source *s, const char *path, size_t max, struct buf *out,
				   struct error *err);
	/* Where a link leads, as a path from the repository root; 1 when it leads outside
	 * (target then holds what it names), -1 when it leads nowhere (err says why). */
	int (*link_target)(const struct source *s, const char *path, struct buf *target, struct error *err);
	/* The blob id of the regular file at path (not followed, if a link), when the source
	 * has it without reading the file: 0, or 1 when it has not (the working tree, a
	 * link, anything not a file: read it instead). */
	int (*blob)(const struct source *s, const char *path, struct source_blob *out);
};

/* A working tree: paths are read relative to the directory descriptor fd (not
 * owned), whose resolved path is path (kept as given, not copied). */
struct source_root {
	int fd;
	const char *path;
};

struct source {
	const struct source_ops *ops;
	const char *label;
	void *data;
	struct source_root root; /* the working tree's (worktree sources) */
};

void source_worktree_open(struct source *s, int root_fd, const char *root_path);

/* label + path, for diagnostics. */
void source_name(const struct source *s, const char *path, struct buf *out);

/* A source over the tree of commit `revision`, inside the repository's stamp directory
 * (r->prefix). The label is "<revision>:". 1 when the revision has no stamp repository
 * there (no templates/stamp.yaml), -1 on error. */
int source_git_open(struct source *s, struct gitrepo *r, const char *revision, struct error *err);
/* The same over commit id, labelled "<name>:" (the revision as the user wrote it). */
int source_git_open_commit(struct source *s, struct gitrepo *r, const git_oid *id, const char *name,
			   struct error *err);
void source_git_close(struct source *s);
/* The repository a git source reads; NULL for the working tree. */
struct gitrepo *source_git_repo(const struct source *s);
/* The blob id git gives these bytes ("blob <len>\0" and the bytes, hashed); -1 when
 * libgit2 cannot hash them (the caller goes without the id). */
int source_blob_of(const char *data, size_t len, struct source_blob *out);

#endif
