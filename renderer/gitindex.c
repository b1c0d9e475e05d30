/* The index's out/ entries: set from known blobs after a commit, repaired after an
 * interrupted one. Both go through gitindex_apply(), so a repaired index holds exactly
 * what a commit that had finished would have written. */
#include "gitindex.h"

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "gitrepo.h"
#include "outdir.h"
#include "outmanifest.h"
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *gitindex_path(struct gitrepo *r, git_index *index, struct buf *where)
{
	const char *path = index ? git_index_path(index) : NULL;
	buf_clear(where);
	if (path)
		buf_add_str(where, path);
	else
		buf_printf(where, "%sindex", git_repository_path(r->repo));
	return where->ptr;
}

static void gitindex_note_path(struct gitrepo *r, struct buf *path)
{
	buf_clear(path);
	buf_printf(path, "%s" GITINDEX_PENDING, git_repository_path(r->repo));
}

/* fsyncs path (a file, or with O_DIRECTORY a directory) */
static int gitindex_fsync(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int gitindex_pending(struct gitrepo *r, const git_oid *commit, struct error *err)
{
	struct buf path = BUF_INIT;
	gitindex_note_path(r, &path);
	char line[GIT_OID_HEXSZ + 2];
	git_oid_tostr(line, GIT_OID_HEXSZ + 1, commit);
	line[GIT_OID_HEXSZ] = '\n';
	int fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc = fd < 0 ? -1 : 0;
	if (rc == 0 && (write(fd, line, GIT_OID_HEXSZ + 1) != GIT_OID_HEXSZ + 1 || fsync(fd) < 0))
		rc = -1;
	int e = errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && gitindex_fsync(git_repository_path(r->repo), O_DIRECTORY) < 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0) {
		error_set(err, path.ptr, 0, 0, "cannot write: %s; nothing was committed: free space or fix the "
			  "permissions of .git, then run stamp commit again", strerror(e));
		error_environment(err);
		if (fd >= 0)
			unlink(path.ptr);
	}
	buf_release(&path);
	return rc;
}

/* Removes the note (gone already is fine). */
static int gitindex_note_remove(struct gitrepo *r, struct error *err)
{
	struct buf path = BUF_INIT;
	gitindex_note_path(r, &path);
	int rc = 0;
	if (unlink(path.ptr) < 0 && errno != ENOENT) {
		error_set(err, path.ptr, 0, 0, "cannot remove: %s; fix the permissions of .git, then run stamp again",
			  strerror(errno));
		rc = error_environment(err);
	}
	buf_release(&path);
	return rc;
}

/* The index is written: made durable, then the note goes. */
static int gitindex_done(struct gitrepo *r, git_index *index, struct error *err)
{
	struct buf where = BUF_INIT;
	int rc = 0;
	if (gitindex_fsync(gitindex_path(r, index, &where), 0) < 0) {
		error_set(err, where.ptr, 0, 0, "cannot flush to disk: %s; run stamp again, which repairs the index",
			  strerror(errno));
		rc = error_environment(err);
	}
	buf_release(&where);
	return rc == 0 ? gitindex_note_remove(r, err) : rc;
}

int gitindex_apply(struct gitrepo *r, const struct gitindex_change *changes, size_t count, struct error *err)
{
	git_index *index = NULL;
	struct buf where = BUF_INIT;
	int rc = 0;
	/* re-read when another git process wrote it since this process first read it */
	if (git_repository_index(&index, r->repo) < 0 || git_index_read(index, 0) < 0) {
		rc = gitrepo_fail_at(err, gitindex_path(r, index, &where), "read the index",
				     "run git status to see what is wrong with it");
		goto out;
	}
	for (size_t i = 0; i < count && rc == 0; i++) {
		const struct gitindex_change *c = &changes[i];
		if (c->removed) {
			int removed = git_index_remove(index, c->path, 0);
			if (removed < 0 && removed != GIT_ENOTFOUND)
				rc = gitrepo_fail_at(err, c->path, "remove from the index", "run git status, then run stamp again");
			continue;
		}
		git_index_entry entry;
		memset(&entry, 0, sizeof entry);
		entry.path = c->path;
		entry.id = c->id;
		entry.mode = GIT_FILEMODE_BLOB;
		/* the status of the file the blob was read from: git status trusts it as git
		 * add would, instead of hashing the file again */
		if (c->st) {
			entry.ctime.seconds = (int32_t)c->st->st_ctim.tv_sec;
			entry.ctime.nanoseconds = (uint32_t)c->st->st_ctim.tv_nsec;
			entry.mtime.seconds = (int32_t)c->st->st_mtim.tv_sec;
			entry.mtime.nanoseconds = (uint32_t)c->st->st_mtim.tv_nsec;
			entry.dev = (uint32_t)c->st->st_dev;
			entry.ino = (uint32_t)c->st->st_ino;
			entry.uid = (uint32_t)c->st->st_uid;
			entry.gid = (uint32_t)c->st->st_gid;
			entry.file_size = (uint32_t)c->st->st_size;
		}
		gitrepo_clear_error();
		if (git_index_add(index, &entry) < 0)
			rc = gitrepo_fail_at(err, c->path, "add to the index", "run git status, then run stamp again");
	}
	/* index.lock is libgit2's: a signal must not strand it */
	sigset_t saved;
	if (rc == 0 && tempfile_hold_signals(&saved) < 0) {
		error_set(err, NULL, 0, 0, "cannot hold back signals while the index is written: %s", strerror(errno));
		rc = error_environment(err);
	} else if (rc == 0) {
		gitrepo_clear_error();
		if (git_index_write(index) < 0)
			rc = gitrepo_fail_at(err, gitindex_path(r, index, &where), "write the index",
					     "free space or fix the permissions of .git, then run stamp again, which repairs it");
		if (rc == 0)
			rc = gitindex_done(r, index, err);
		if (tempfile_release_signals(&saved) < 0 && rc == 0) {
			error_set(err, NULL, 0, 0, "cannot restore the signal mask: %s", strerror(errno));
			rc = error_environment(err);
		}
	}
out:
	git_index_free(index);
	buf_release(&where);
	return rc;
}

/* The id of path in tree: 1 found, 0 not there, -1 on error. */
static int gitindex_tree_id(git_tree *tree, const char *path, git_oid *id, git_object_t *type, struct error *err)
{
	git_tree_entry *entry = NULL;
	int rc = git_tree_entry_bypath(&entry, tree, path);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return gitrepo_fail_at(err, path, "read the commit's tree", "run git fsck");
	*id = *git_tree_entry_id(entry);
	if (type)
		*type = git_tree_entry_type(entry);
	git_tree_entry_free(entry);
	return 1;
}

/* The changes that take the index's out/ from the parent's tree to the tip's. */
static int gitindex_changes(struct gitrepo *r, git_tree *parent, git_tree *tip, const char *out_dir,
			    struct gitindex_change **changes, size_t *count, struct buf *paths, struct error *err)
{
	git_oid ids[2];
	git_object_t types[2] = { GIT_OBJECT_INVALID, GIT_OBJECT_INVALID };
	git_tree *trees[2] = { NULL, NULL };
	git_tree *roots[2] = { parent, tip };
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		int found = gitindex_tree_id(roots[k], out_dir, &ids[k], &types[k], err);
		if (found < 0)
			rc = -1;
		else if (found && types[k] == GIT_OBJECT_TREE && git_tree_lookup(&trees[k], r->repo, &ids[k]) < 0)
			rc = gitrepo_fail_at(err, out_dir, "read the commit's tree", "run git fsck");
	}
	git_diff *diff = NULL;
	if (rc == 0 && git_diff_tree_to_tree(&diff, r->repo, trees[0], trees[1], NULL) < 0)
		rc = gitrepo_fail_at(err, out_dir, "compare the commit with its parent", "run git fsck");
	size_t n = rc == 0 ? git_diff_num_deltas(diff) : 0;
	struct gitindex_change *items = n ? alloc_check(calloc(n, sizeof *items)) : NULL;
	size_t *offsets = n ? alloc_check(calloc(n, sizeof *offsets)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		int removed = d->status == GIT_DELTA_DELETED;
		offsets[i] = paths->len;
		buf_printf(paths, "%s/%s", out_dir, removed ? d->old_file.path : d->new_file.path);
		buf_add_char(paths, 0);
		items[i].removed = removed;
		if (!removed)
			items[i].id = d->new_file.id;
	}
	/* the paths live in one buffer that may have moved while it grew */
	for (size_t i = 0; i < n; i++)
		items[i].path = paths->ptr + offsets[i];
	free(offsets);
	git_diff_free(diff);
	git_tree_free(trees[0]);
	git_tree_free(trees[1]);
	*changes = items;
	*count = n;
	return rc;
}

static int gitindex_check(struct gitrepo *r, struct buf *notices, struct error *err);

int gitindex_repair(struct gitrepo *r, struct buf *notices, struct error *err)
{
	struct buf note = BUF_INIT;
	gitindex_note_path(r, &note);
	struct stat st;
	int pending = lstat(note.ptr, &st) == 0;
	int e = errno;
	if (!pending && e != ENOENT)
		error_set(err, note.ptr, 0, 0, "cannot look at stamp's note: %s", strerror(e));
	buf_release(&note);
	if (!pending)
		return e == ENOENT ? 0 : error_environment(err); /* ENOENT: no commit was cut */
	int rc = gitindex_check(r, notices, err);
	/* repaired (the apply removed the note), or nothing to repair: the commit was cut
	 * before the branch moved */
	return rc == 0 ? gitindex_note_remove(r, err) : rc;
}

/* The comparison itself (see gitindex.h). */
static int gitindex_check(struct gitrepo *r, struct buf *notices, struct error *err)
{
	git_reference *head = NULL;
	int rc = git_repository_head(&head, r->repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return gitrepo_fail_at(err, "HEAD", "read HEAD", "run git status to see what is wrong");
	git_commit *tip = NULL, *parent = NULL;
	git_tree *tip_tree = NULL, *parent_tree = NULL;
	git_index *index = NULL;
	struct gitindex_change *changes = NULL;
	size_t count = 0;
	struct buf manifest = BUF_INIT, out_dir = BUF_INIT, paths = BUF_INIT;
	rc = 0;
	if (!git_reference_is_branch(head))
		goto out; /* detached: no branch of stamp's to agree with */
	if (git_reference_peel((git_object **)&tip, head, GIT_OBJECT_COMMIT) < 0 || git_commit_tree(&tip_tree, tip) < 0) {
		rc = gitrepo_fail_at(err, git_reference_name(head), "read the branch's last commit", "run git fsck");
		goto out;
	}
	if (!gitrepo_made_by_stamp(tip))
		goto out;
	if (git_commit_parentcount(tip) > 0) {
		if (git_commit_parent(&parent, tip, 0) < 0 || git_commit_tree(&parent_tree, parent) < 0) {
			rc = gitrepo_fail_at(err, git_reference_name(head), "read the parent of the branch's last commit",
					     "run git fsck");
			goto out;
		}
	} else if (gitrepo_empty_tree(r, &parent_tree, err) < 0) {
		rc = -1;
		goto out;
	}
	buf_printf(&out_dir, "%s" OUTDIR, r->prefix);
	buf_printf(&manifest, "%s/" OUTMANIFEST_NAME, out_dir.ptr);
	git_oid tip_id, parent_id;
	int in_tip = gitindex_tree_id(tip_tree, manifest.ptr, &tip_id, NULL, err);
	int in_parent = in_tip > 0 ? gitindex_tree_id(parent_tree, manifest.ptr, &parent_id, NULL, err) : 0;
	if (in_tip <= 0 || in_parent < 0) {
		rc = in_tip < 0 || in_parent < 0 ? -1 : 0;
		goto out;
	}
	if (git_repository_index(&index, r->repo) < 0 || git_index_read(index, 0) < 0) {
		rc = gitrepo_fail_at(err, "index", "read the index", "run git status to see what is wrong with it");
		goto out;
	}
	const git_index_entry *entry = git_index_get_bypath(index, manifest.ptr, 0);
	/* the commit's own state, or one of the user's: not an interrupted commit */
	if (entry ? !in_parent || !git_oid_equal(&entry->id, &parent_id) || git_oid_equal(&entry->id, &tip_id)
		  : in_parent)
		goto out;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, git_commit_id(tip));
	if (gitrepo_check_lock(git_repository_path(r->repo), "index", err) < 0) {
		struct buf message = BUF_INIT;
		buf_printf(&message, "%s (and the index holds out/ as before stamp's commit %.12s, which was interrupted: "
			   "a git commit now would revert it; stamp repairs it on its next run)", err->message, hex);
		free(err->message);
		err->message = buf_detach(&message, NULL);
		rc = -1;
		goto out;
	}
	rc = gitindex_changes(r, parent_tree, tip_tree, out_dir.ptr, &changes, &count, &paths, err);
	if (rc == 0)
		rc = gitindex_apply(r, changes, count, err);
	if (rc == 0)
		buf_printf(notices, "stamp: note: the index held %s/ as before %.12s, a stamp commit that was interrupted before "
			   "it wrote the index; repaired: %zu entr%s now match the commit\n", out_dir.ptr, hex, count,
			   count == 1 ? "y" : "ies");
out:
	free(changes);
	buf_release(&paths);
	buf_release(&manifest);
	buf_release(&out_dir);
	git_index_free(index);
	git_tree_free(tip_tree);
	git_tree_free(parent_tree);
	git_commit_free(tip);
	git_commit_free(parent);
	git_reference_free(head);
	return rc;
}

/* 1 when no git directory that git would find from path holds a note, seen without
 * opening the repository through libgit2, whose initialisation alone (loading the
 * system's CA certificates) is a tenth of a no-op render of 10,000 customers. git looks
 * for a .git in path, then in each parent up to /, and takes the first it finds; so the
 * first .git directory on that walk is the only one that can hold the note, and with
 * none up to / (a render outside any repository) there is no note at all. A .git that
 * is a file (a worktree or a submodule), GIT_DIR set, or a path that cannot be followed
 * to the top: 0, only libgit2 can tell. (Where libgit2 would stop earlier, at a
 * ceiling, a bare repository or another file system, it finds no work tree's note, so
 * the walk's answer, no note, is never one libgit2 would contradict.) */
static int gitindex_surely_no_note(const char *path)
{
	if (getenv("GIT_DIR") || getenv("GIT_COMMON_DIR"))
		return 0;
	char *dir = realpath(path, NULL);
	if (!dir)
		return 0;
	struct buf probe = BUF_INIT;
	int none = 0;
	for (;;) {
		buf_clear(&probe);
		buf_printf(&probe, "%s/.git", strcmp(dir, "/") == 0 ? "" : dir);
		struct stat st;
		if (lstat(probe.ptr, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				buf_printf(&probe, "/%s", GITINDEX_PENDING);
				none = lstat(probe.ptr, &st) < 0 && errno == ENOENT;
			}
			break; /* a .git file or link: libgit2 follows it */
		}
		if (errno != ENOENT)
			break;
		char *slash = strrchr(dir, '/');
		if (!slash || strcmp(dir, "/") == 0) {
			none = 1; /* no repository up to / */
			break;
		}
		slash[slash == dir] = '\0'; /* "/a" becomes "/" */
	}
	buf_release(&probe);
	free(dir);
	return none;
}

int gitindex_repair_at(const char *path, struct buf *notices, struct error *err)
{
	if (gitindex_surely_no_note(path))
		return 0;
	struct gitrepo r;
	struct error ignored = ERROR_INIT;
	if (gitrepo_open(&r, path, &ignored) < 0) {
		error_clear(&ignored); /* not in a git repository: no index to agree with */
		return 0;
	}
	int rc = gitindex_repair(&r, notices, err);
	gitrepo_close(&r);
	return rc;
}
