/* gitindex: git's index where it holds out/, kept in agreement with the commits stamp
 * makes.
 *
 * A stamp commit moves the branch first and writes the index second, as git does. A
 * commit cut between the two (a kill, a full disk, a held index.lock) leaves the index
 * holding out/ as the parent commit had it: git status would show the render reverted,
 * and a plain git commit would commit the reversal. gitindex_repair() finds exactly
 * that state (the tip is a stamp commit; the index's out/.stamp-manifest is the
 * parent's, not the tip's) and brings the out/ entries the commit changed to the tip's.
 * Nothing outside out/ is touched, nor out/ entries the commit did not change.
 *
 * The changes point into their caller's data; nothing here owns memory past a call. */
#ifndef STAMP_GITINDEX_H
#define STAMP_GITINDEX_H

#include <git2.h>
#include <stddef.h>

#include <sys/stat.h>

struct buf;
struct error;
struct gitrepo;

struct gitindex_change {
	const char *path;      /* in the repository: "<prefix>out/..." */
	int removed;
	git_oid id;            /* the blob, when not removed */
	const struct stat *st; /* the work tree file as the blob was read from it, or NULL */
};

/* Sets the index's entries of the changes (the rest stays) and writes it. */
int gitindex_apply(struct gitrepo *r, const struct gitindex_change *changes, size_t count, struct error *err);

/* Repairs the index an interrupted stamp commit left (above), adding one "stamp: ..."
 * line to notices when it did; 0 when there was nothing to do or it is repaired, -1 on
 * failure (err: a held index.lock, an unreadable object or index). */
int gitindex_repair(struct gitrepo *r, struct buf *notices, struct error *err);

/* gitindex_repair() for the stamp repository at path, when it is in a git repository
 * (and nothing when it is not). */
int gitindex_repair_at(const char *path, struct buf *notices, struct error *err);

#endif
