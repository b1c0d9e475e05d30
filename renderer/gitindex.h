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
 * Like out/'s journal, a note in the git directory (STAMP_INDEX_PENDING, fsynced) says
 * that a commit is between the two writes; only then does a stamp run read the index,
 * which for 140,000 files costs more than the rest of a no-op render. The note goes
 * once the index is written and fsynced (libgit2 does not fsync it).
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

#define GITINDEX_PENDING "STAMP_INDEX_PENDING"

/* Writes the note, naming the commit the branch is about to move to (before it moves). */
int gitindex_pending(struct gitrepo *r, const git_oid *commit, struct error *err);
/* Sets the index's entries of the changes (the rest stays), writes and fsyncs it, then
 * removes the note. */
int gitindex_apply(struct gitrepo *r, const struct gitindex_change *changes, size_t count, struct error *err);

/* Repairs the index an interrupted stamp commit left (above), when the note says there
 * may be one, adding one "stamp: ..." line to notices when it did; 0 when there was
 * nothing to do or it is repaired, -1 on failure (err: a held index.lock, an
 * unreadable object or index). */
int gitindex_repair(struct gitrepo *r, struct buf *notices, struct error *err);

/* gitindex_repair() for the stamp repository at path, when it is in a git repository
 * (and nothing when it is not). */
int gitindex_repair_at(const char *path, struct buf *notices, struct error *err);

#endif
