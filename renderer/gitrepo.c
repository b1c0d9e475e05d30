/* Opening the repository and reading revisions. libgit2 is initialised on the first
 * open and shut down on the last close, so that a command that never touches git
 * never pays for it. */
#include "gitrepo.h"

#include "alloc.h"

#include "buf.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

int gitrepo_fail(struct error *err, const char *what)
{
	const git_error *e = git_error_last();
	return error_set(err, NULL, 0, 0, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

int gitrepo_fail_at(struct error *err, const char *path, const char *operation, const char *advice)
{
	int e = errno;
	const git_error *last = git_error_last();
	const char *message = last && last->message && *last->message ? last->message : NULL;
	/* libgit2 leaves an error of its own unset when a write fails in its file buffer,
	 * and the last one set may be a lookup it recovered from ("failed to find pack
	 * entry"): a system error is then the real reason */
	if ((!message || last->klass != GIT_ERROR_OS) && e != 0)
		message = strerror(e);
	if (!message)
		message = "unknown libgit2 error";
	/* libgit2's messages may span lines or end in a colon with nothing after it */
	int len = (int)strcspn(message, "\n");
	while (len > 0 && (message[len - 1] == ':' || message[len - 1] == ' '))
		len--;
	error_set(err, path, 0, 0, "cannot %s: %.*s; %s", operation, len, message, advice);
	return error_environment(err);
}

void gitrepo_clear_error(void)
{
	git_error_clear();
	errno = 0;
}

int gitrepo_check_lock(const char *dir, const char *name, struct error *err)
{
	struct buf lock = BUF_INIT;
	buf_printf(&lock, "%s%s%s.lock", dir, *dir && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
	struct stat st;
	int held = lstat(lock.ptr, &st) == 0;
	if (!held && errno != ENOENT) {
		error_set(err, lock.ptr, 0, 0, "cannot look at git's lock: %s", strerror(errno));
		error_environment(err);
	} else if (held) {
		error_set(err, lock.ptr, 0, 0, "exists: another git process seems to be running in this repository "
			  "(an editor opened by git commit?); make sure all git processes are terminated, then try "
			  "again; if it still fails, a git process crashed here earlier: remove the file by hand");
		error_environment(err);
	}
	buf_release(&lock);
	return held || err->message ? -1 : 0;
}

int gitrepo_made_by_stamp(const git_commit *commit)
{
	git_message_trailer_array trailers;
	const char *message = git_commit_message(commit);
	if (!message || git_message_trailers(&trailers, message) < 0)
		return 0;
	int found = 0;
	for (size_t i = 0; i < trailers.count && !found; i++)
		found = strcmp(trailers.trailers[i].key, GITREPO_TRAILER) == 0;
	git_message_trailer_array_free(&trailers);
	return found;
}

static int gitrepo_library_held;

int gitrepo_hold_library(void)
{
	if (!gitrepo_library_held && git_libgit2_init() < 0)
		return -1;
	gitrepo_library_held = 1;
	return 0;
}

void gitrepo_release_library(void)
{
	if (gitrepo_library_held)
		git_libgit2_shutdown();
	gitrepo_library_held = 0;
}

int gitrepo_open(struct gitrepo *r, const char *path, struct error *err)
{
	memset(r, 0, sizeof *r);
	if (gitrepo_hold_library() < 0)
		return gitrepo_fail(err, "cannot initialise libgit2");
	/* libgit2 caches only small trees by default; customers/ with 10,000 entries would
	 * be inflated again for every spec read from a revision */
	if (git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)64 << 20) < 0 ||
	    /* refs, reflogs and objects are fsynced before they are renamed into place;
	     * the ref database reads this once, when the repository first reads a ref, so
	     * it is set before the repository is opened (gitcommit.c turns it off for the
	     * objects of a large commit, which one syncfs() makes durable instead) */
	    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		return gitrepo_fail(err, "cannot configure libgit2");
	const char *cwd = path;
	if (git_repository_open_ext(&r->repo, path, 0, NULL) < 0)
		return error_set(err, NULL, 0, 0, "not a git repository (or any parent up to /): %s; run git init, "
				 "or run stamp inside a clone", cwd);
	const char *workdir = git_repository_workdir(r->repo);
	if (!workdir) {
		gitrepo_close(r);
		return error_set(err, NULL, 0, 0, "the git repository has no work tree (it is bare)");
	}
	char real[PATH_MAX], top[PATH_MAX];
	if (!realpath(cwd, real) || !realpath(workdir, top)) {
		gitrepo_close(r);
		return error_set(err, NULL, 0, 0, "cannot resolve the path of the work tree");
	}
	size_t n = strlen(top);
	struct buf prefix = BUF_INIT;
	buf_add_str(&prefix, "");
	if (strcmp(real, top) != 0 && strncmp(real, top, n) == 0 && (real[n] == '/' || n == 1))
		buf_printf(&prefix, "%s/", real + (n == 1 ? 1 : n + 1));
	r->prefix = buf_detach(&prefix, NULL);
	return 0;
}

int gitrepo_branch_name_is_valid(const char *name)
{
	if (name[0] == '-')
		return 0;
	/* a name of letters, digits, '-' and '_' (main, release-2) breaks none of git's
	 * rules, which are about dots, slashes, '@', control and special characters: it is
	 * answered without initialising libgit2 (12 ms, a tenth of a no-op render) */
	size_t plain = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
	if (plain && !name[plain])
		return 1;
	if (gitrepo_hold_library() < 0)
		return -1;
	struct buf full = BUF_INIT;
	buf_printf(&full, "refs/heads/%s", name);
	int valid = 0;
	int rc = git_reference_name_is_valid(&valid, full.ptr);
	buf_release(&full);
	return rc < 0 ? -1 : valid;
}

void gitrepo_close(struct gitrepo *r)
{
	if (r->repo)
		git_repository_free(r->repo);
	free(r->prefix);
	memset(r, 0, sizeof *r);
}

int gitrepo_resolve(struct gitrepo *r, const char *revision, git_oid *out, struct error *err)
{
	git_object *object = NULL;
	int found = git_revparse_single(&object, r->repo, revision);
	if (found == GIT_ENOTFOUND)
		return 1;
	if (found < 0) {
		struct buf what = BUF_INIT;
		buf_printf(&what, "unknown revision '%s'", revision);
		gitrepo_fail(err, what.ptr);
		buf_release(&what);
		return -1;
	}
	git_object *peeled = NULL;
	int rc = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT);
	git_object_free(object);
	if (rc < 0) {
		struct buf what = BUF_INIT;
		buf_printf(&what, "'%s' does not name a commit", revision);
		gitrepo_fail(err, what.ptr);
		buf_release(&what);
		return -1;
	}
	git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	return 0;
}

int gitrepo_commit(struct gitrepo *r, const char *revision, git_commit **out, struct error *err)
{
	git_oid id;
	int found = gitrepo_resolve(r, revision, &id, err);
	if (found > 0)
		return error_set(err, NULL, 0, 0, "unknown revision '%s': no branch, tag or commit of this repository "
				 "has that name; check it (git branch -a, git tag), or fetch it (git fetch)", revision);
	if (found < 0)
		return -1;
	if (git_commit_lookup(out, r->repo, &id) < 0)
		return gitrepo_fail(err, "cannot read the commit");
	return 0;
}

int gitrepo_read(struct gitrepo *r, git_tree *tree, const char *path, char **data, size_t *len,
		 struct error *err)
{
	git_tree_entry *entry = NULL;
	int rc = git_tree_entry_bypath(&entry, tree, path);
	if (rc == GIT_ENOTFOUND)
		return 1;
	if (rc < 0)
		return gitrepo_fail(err, path);
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(entry);
		return 1;
	}
	git_blob *blob = NULL;
	rc = git_blob_lookup(&blob, r->repo, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	if (rc < 0)
		return gitrepo_fail(err, path);
	size_t size = (size_t)git_blob_rawsize(blob);
	char *copy = malloc(size + 1);
	if (!copy)
		alloc_failed();
	memcpy(copy, git_blob_rawcontent(blob), size);
	copy[size] = 0;
	git_blob_free(blob);
	*data = copy;
	*len = size;
	return 0;
}

int gitrepo_empty_tree(struct gitrepo *r, git_tree **out, struct error *err)
{
	git_treebuilder *builder = NULL;
	git_oid id;
	if (git_treebuilder_new(&builder, r->repo, NULL) < 0 || git_treebuilder_write(&id, builder) < 0) {
		git_treebuilder_free(builder);
		return gitrepo_fail(err, "cannot write an empty tree");
	}
	git_treebuilder_free(builder);
	if (git_tree_lookup(out, r->repo, &id) < 0)
		return gitrepo_fail(err, "cannot read the empty tree");
	return 0;
}
