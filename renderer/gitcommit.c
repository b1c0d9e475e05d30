/* stamp commit, in git's order (see gitcommit.h). Why each step is where it is:
 *
 * - Locks are looked at before rendering, so that a held one costs nothing and says
 *   so at once; they are taken for real only around the ref update (the transaction),
 *   so that a second committer can still move the branch while stamp renders, and the
 *   compare-and-swap then tells.
 * - The objects are durable before the branch names them: a crash leaves at worst
 *   unreachable objects (git gc removes them), never a branch pointing at nothing.
 * - The index comes last, as in git: if that write fails or is cut, the branch already
 *   holds the commit and the next stamp run repairs the index (gitindex.h). */
#define _GNU_SOURCE /* syncfs */
#include "gitcommit.h"

#include "alloc.h"
#include "channel.h"
#include "gitindex.h"
#include "gitrepo.h"
#include "outdir.h"
#include "outmanifest.h"
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gitcommit {
	const struct gitcommit_options *o;
	struct gitcommit_report *report;
	struct gitrepo repo;
	char *ref;                /* refs/heads/... */
	int on_head;              /* the checked-out branch: HEAD and the index follow it */
	git_oid tip;
	int has_tip;
	git_oid source;           /* HEAD's commit, named by the trailer */
	int has_source;
	git_tree *tree;           /* the tip's tree, or an empty one */
	struct buf out_dir;       /* where out/ sits in that tree: "<prefix>out/", or "" */
	git_signature *author, *committer;
	struct outmanifest old, new;
	struct outmanifest_changes changes;
	int manifest_changed;
	git_oid manifest_blob;           /* the new manifest's, when it changed */
	struct stat manifest_st;         /* its file's, as the blob was compared with it */
	char **customers, **removed;     /* for the message (owned copies) */
	size_t customer_count, removed_count;
	char *promote;                   /* "Promote stable to 7512cd4: 4 customers", or NULL */
	char **others;                   /* customers changed on no channel promoted (into customers) */
	size_t other_count;
	struct gitindex_change *entries; /* the index's new out/ entries */
	struct stat *stats;
	char **paths;
	size_t entry_count;
};

/* A failure that is not libgit2's: one line, exit 2. */
#define gitcommit_fail(c, ...) (error_set(&(c)->report->err, NULL, 0, 0, __VA_ARGS__), \
				error_environment(&(c)->report->err))
/* The trailer naming the customers a commit removes. */
#define GITCOMMIT_REMOVED_TRAILER "Removed-customers"
/* exit 2: a git, lock or I/O failure */
#define GITCOMMIT_FAILED 2

/* The worktree (path in where) that has ref checked out, other than this one: 1, or 0. */
static int gitcommit_checked_out_elsewhere(struct gitcommit *c, const char *ref, struct buf *where)
{
	git_repository *repo = c->repo.repo;
	git_strarray names = { NULL, 0 };
	int found = 0;
	if (git_worktree_list(&names, repo) == 0) {
		for (size_t i = 0; i < names.count && !found; i++) {
			git_worktree *wt = NULL;
			git_repository *other = NULL;
			git_reference *head = NULL;
			if (git_worktree_lookup(&wt, repo, names.strings[i]) == 0 && git_worktree_validate(wt) == 0 &&
			    git_repository_open_from_worktree(&other, wt) == 0 &&
			    git_reference_lookup(&head, other, "HEAD") == 0 &&
			    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
			    strcmp(git_reference_symbolic_target(head), ref) == 0 &&
			    strcmp(git_repository_path(other), git_repository_path(repo)) != 0) {
				found = 1;
				buf_add_str(where, git_worktree_path(wt));
			}
			git_reference_free(head);
			git_repository_free(other);
			git_worktree_free(wt);
		}
		git_strarray_dispose(&names);
	}
	if (!found && git_repository_is_worktree(repo)) {
		/* seen from a linked worktree, the main one is not in the list */
		git_repository *main_repo = NULL;
		git_reference *head = NULL;
		if (git_repository_open(&main_repo, git_repository_commondir(repo)) == 0 &&
		    git_reference_lookup(&head, main_repo, "HEAD") == 0 &&
		    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
		    strcmp(git_reference_symbolic_target(head), ref) == 0) {
			found = 1;
			buf_add_str(where, git_repository_workdir(main_repo) ? git_repository_workdir(main_repo)
					   : git_repository_commondir(repo));
		}
		git_reference_free(head);
		git_repository_free(main_repo);
	}
	return found;
}

/* The branch to move, its tip and where out/ goes in its tree. */
static int gitcommit_target(struct gitcommit *c)
{
	const char *branch = c->o->branch;
	struct error *err = &c->report->err;
	git_reference *head = NULL;
	if (git_reference_lookup(&head, c->repo.repo, "HEAD") < 0)
		return gitrepo_fail_at(err, "HEAD", "read HEAD", "run git status to see what is wrong");
	int symbolic = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC;
	struct buf name = BUF_INIT;
	if (symbolic)
		buf_add_str(&name, git_reference_symbolic_target(head));
	git_reference_free(head);
	c->has_source = git_reference_name_to_id(&c->source, c->repo.repo, "HEAD") == 0;
	if (!branch && !symbolic) {
		buf_release(&name);
		return gitcommit_fail(c, "HEAD is detached; check out a branch first (git switch NAME), or commit the "
				      "rendered tree to a branch of its own with --branch NAME");
	}
	if (branch) {
		int valid = gitrepo_branch_name_is_valid(branch);
		if (valid < 0) {
			buf_release(&name);
			return gitrepo_fail_at(err, branch, "check the branch name", "run stamp commit again");
		}
		struct buf full = BUF_INIT;
		buf_printf(&full, "refs/heads/%s", branch);
		if (!valid) {
			buf_release(&full);
			buf_release(&name);
			return gitcommit_fail(c, "'%s' is not a valid branch name; pick one git accepts (git check-ref-format "
					      "--branch NAME says)", branch);
		}
		if (symbolic && strcmp(name.ptr, full.ptr) == 0) {
			buf_release(&full);
			buf_release(&name);
			return gitcommit_fail(c, "--branch %s is the branch checked out here; leave out --branch to commit "
					      "out/ on it", branch);
		}
		struct buf where = BUF_INIT;
		if (gitcommit_checked_out_elsewhere(c, full.ptr, &where)) {
			gitcommit_fail(c, "--branch %s is checked out in the worktree at %s; git never moves a branch "
					"checked out elsewhere: commit to another branch, or switch that worktree away", branch,
					where.ptr);
			buf_release(&where);
			buf_release(&full);
			buf_release(&name);
			return -1;
		}
		buf_release(&where);
		buf_release(&name);
		name = full;
	} else {
		c->on_head = 1;
		buf_printf(&c->out_dir, "%s" OUTDIR "/", c->repo.prefix);
	}
	c->ref = buf_detach(&name, NULL);
	c->report->branch = alloc_check(strdup(c->ref + strlen("refs/heads/")));
	c->has_tip = git_reference_name_to_id(&c->tip, c->repo.repo, c->ref) == 0;
	if (c->o->expect) {
		git_commit *expected = NULL;
		if (gitrepo_commit(&c->repo, c->o->expect, &expected, err) < 0)
			return error_environment(err);
		int same = c->has_tip && git_oid_equal(git_commit_id(expected), &c->tip);
		char want[GIT_OID_HEXSZ + 1], have[GIT_OID_HEXSZ + 1] = "nothing";
		git_oid_tostr(want, sizeof want, git_commit_id(expected));
		if (c->has_tip)
			git_oid_tostr(have, sizeof have, &c->tip);
		git_commit_free(expected);
		if (!same) {
			error_set(err, NULL, 0, 0, "%s moved: it is at %.12s, not at %.12s (--expect %s); nothing was "
				  "committed: fetch, rebase or run the job again on the new tip", c->ref, have, want,
				  c->o->expect);
			return error_environment(err);
		}
	}
	if (!c->has_tip)
		return gitrepo_empty_tree(&c->repo, &c->tree, err) < 0 ? error_environment(err) : 0;
	git_commit *tip = NULL;
	int rc = 0;
	if (git_commit_lookup(&tip, c->repo.repo, &c->tip) < 0 || git_commit_tree(&c->tree, tip) < 0)
		rc = gitrepo_fail_at(err, c->ref, "read the branch's last commit", "run git fsck");
	git_commit_free(tip);
	return rc;
}

/* Every lock the commit takes, before anything is rendered. */
static int gitcommit_check_locks(struct gitcommit *c)
{
	const char *gitdir = git_repository_path(c->repo.repo);
	const char *common = git_repository_commondir(c->repo.repo);
	struct error *err = &c->report->err;
	if (c->on_head && (gitrepo_check_lock(gitdir, "index", err) < 0 || gitrepo_check_lock(gitdir, "HEAD", err) < 0))
		return -1;
	if (gitrepo_check_lock(common, c->ref, err) < 0 || gitrepo_check_lock(common, "packed-refs", err) < 0)
		return -1;
	return 0;
}

/* The identity: GIT_AUTHOR_* / GIT_COMMITTER_* as git reads them, else user.name and
 * user.email from the git configuration. */
static int gitcommit_signature(struct gitcommit *c, const char *role, git_signature **out)
{
	char name_var[32], email_var[32];
	snprintf(name_var, sizeof name_var, "GIT_%s_NAME", role);
	snprintf(email_var, sizeof email_var, "GIT_%s_EMAIL", role);
	const char *name = getenv(name_var), *email = getenv(email_var);
	git_signature *fallback = NULL;
	if ((!name || !email) && git_signature_default(&fallback, c->repo.repo) < 0)
		return gitcommit_fail(c, "no git identity: set one with git config user.name \"Your Name\" and git config "
				       "user.email you@example.com (or GIT_%s_NAME and GIT_%s_EMAIL)", role, role);
	int rc = git_signature_now(out, name ? name : fallback->name, email ? email : fallback->email);
	git_signature_free(fallback);
	if (rc < 0)
		return gitrepo_fail_at(&c->report->err, name_var, "use the git identity",
				       "set a name and an email git accepts");
	return 0;
}

/* The new manifest's blob, from the render's text in memory. The file is compared with
 * it a piece at a time: it must still be the render's. The blob is written before the
 * text is parsed (in place), so before the commit's size is known: it is fsynced on its
 * own. */
static int gitcommit_manifest_blob(struct gitcommit *c, const struct outdir *od)
{
	struct error *err = &c->report->err;
	const struct buf *text = &c->report->render.manifest;
	int same = outdir_manifest_matches(od, text->ptr, text->len, &c->manifest_st, err);
	if (same < 0)
		return error_environment(err);
	if (same) {
		error_set(err, OUTDIR "/" OUTMANIFEST_NAME, 0, 0, "changed while stamp was committing (another stamp "
			  "render?); nothing was committed: run stamp commit again");
		return error_environment(err);
	}
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		return gitrepo_fail_at(err, ".git", "configure libgit2", "report this as a bug");
	gitrepo_clear_error();
	if (git_blob_create_from_buffer(&c->manifest_blob, c->repo.repo, text->ptr ? text->ptr : "", text->len) < 0)
		return gitrepo_fail_at(err, OUTDIR "/" OUTMANIFEST_NAME, "write the blob",
				       "free space or fix the permissions of .git/objects, then run stamp commit again");
	return 0;
}

/* The manifest committed at the tip and the one the render returned, and what differs.
 * Both are 126 MB of text at 100,000 customers: the render's is parsed where it lies
 * (its blob written first), not copied. */
static int gitcommit_manifests(struct gitcommit *c, const struct outdir *od)
{
	struct error *err = &c->report->err;
	struct buf where = BUF_INIT;
	buf_printf(&where, "%s" OUTMANIFEST_NAME, c->out_dir.ptr ? c->out_dir.ptr : "");
	char *old_text = NULL;
	size_t old_len = 0;
	int rc = gitrepo_read(&c->repo, c->tree, where.ptr, &old_text, &old_len, err);
	buf_release(&where);
	if (rc < 0)
		return error_environment(err);
	struct buf *text = &c->report->render.manifest;
	/* the manifest alone may change: the same files from other inputs (a comment in a
	 * spec); compared before parsing, which cuts the text into strings */
	c->manifest_changed = rc == 1 || old_len != text->len || memcmp(old_text, text->ptr ? text->ptr : "", old_len) != 0;
	if (rc == 0 && outmanifest_parse(&c->old, old_text, "the committed out/.stamp-manifest", err) < 0)
		return error_environment(err);
	if (rc == 1)
		free(old_text);
	if (c->manifest_changed && gitcommit_manifest_blob(c, od) < 0)
		return -1;
	if (outmanifest_parse(&c->new, buf_detach(text, NULL), OUTDIR "/" OUTMANIFEST_NAME, err) < 0)
		return error_environment(err);
	outmanifest_diff(&c->old, &c->new, &c->changes);
	return 0;
}

/* Makes the objects written so far durable: one syncfs() of the object store's file
 * system, for a commit too large to fsync object by object. */
static int gitcommit_sync_objects(struct gitcommit *c)
{
	struct buf objects = BUF_INIT;
	buf_printf(&objects, "%sobjects", git_repository_path(c->repo.repo));
	int fd = open(objects.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 || syncfs(fd) < 0 ? -1 : 0;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		error_set(&c->report->err, objects.ptr, 0, 0, "cannot flush the new objects to disk: %s; nothing was "
			  "committed: fix the disk, then run stamp commit again", strerror(e));
		error_environment(&c->report->err);
	}
	buf_release(&objects);
	return rc;
}

/* The blobs of out/'s changed files, read through out/'s descriptor (never through a
 * link), and the new tree: the tip's tree with them in place. */
static int gitcommit_objects(struct gitcommit *c, const struct outdir *od, git_oid *tree_id)
{
	struct error *err = &c->report->err;
	size_t n = c->changes.count + (size_t)c->manifest_changed;
	git_tree_update *updates = alloc_check(calloc(n + 1, sizeof *updates));
	c->entries = alloc_check(calloc(n + 1, sizeof *c->entries));
	c->stats = alloc_check(calloc(n + 1, sizeof *c->stats));
	c->paths = alloc_check(calloc(n + 1, sizeof *c->paths));
	struct outdir_cursor cursor = OUTDIR_CURSOR_INIT;
	struct buf data = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int is_manifest = i == c->changes.count;
		const char *path = is_manifest ? OUTMANIFEST_NAME : c->changes.items[i].path;
		int removed = !is_manifest && c->changes.items[i].removed;
		struct buf full = BUF_INIT;
		buf_printf(&full, "%s%s", c->out_dir.ptr ? c->out_dir.ptr : "", path);
		c->paths[i] = buf_detach(&full, NULL);
		struct gitindex_change *e = &c->entries[c->entry_count++];
		e->path = c->paths[i];
		e->removed = removed;
		git_tree_update *u = &updates[i];
		u->path = c->paths[i];
		if (removed) {
			u->action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		u->action = GIT_TREE_UPDATE_UPSERT;
		u->filemode = GIT_FILEMODE_BLOB;
		if (is_manifest) {
			/* its blob is written (gitcommit_manifest_blob()) */
			u->id = e->id = c->manifest_blob;
			e->st = &c->manifest_st;
			continue;
		}
		if (outdir_read(od, &cursor, path, &data, &c->stats[i], err) < 0) {
			rc = error_environment(err);
			break;
		}
		e->st = &c->stats[i];
		gitrepo_clear_error();
		if (git_blob_create_from_buffer(&u->id, c->repo.repo, data.ptr ? data.ptr : "", data.len) < 0)
			rc = gitrepo_fail_at(err, c->paths[i], "write the blob",
					     "free space or fix the permissions of .git/objects, then run stamp commit again");
		e->id = u->id;
	}
	if (rc == 0)
		gitrepo_clear_error();
	if (rc == 0 && git_tree_create_updated(tree_id, c->repo.repo, c->tree, n, updates) < 0)
		rc = gitrepo_fail_at(err, ".git/objects", "write the new tree",
				     "free space or fix the permissions of .git/objects, then run stamp commit again");
	free(updates);
	buf_release(&data);
	outdir_cursor_release(&cursor);
	return rc;
}

static int gitcommit_compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The customers whose files changed and who still exist, sorted and once each. */
static void gitcommit_customers(struct gitcommit *c)
{
	const struct outmanifest_changes *changes = &c->changes;
	const char **names = alloc_check(malloc((changes->count + 1) * sizeof *names));
	size_t n = 0;
	for (size_t i = 0; i < changes->count; i++)
		if (strcmp(changes->items[i].owner, "-") != 0 && outmanifest_customer(&c->new, changes->items[i].owner))
			names[n++] = changes->items[i].owner;
	qsort(names, n, sizeof *names, gitcommit_compare_names);
	c->customers = alloc_check(calloc(n + 1, sizeof *c->customers));
	for (size_t i = 0; i < n; i++)
		if (!c->customer_count || strcmp(c->customers[c->customer_count - 1], names[i]) != 0)
			c->customers[c->customer_count++] = alloc_check(strdup(names[i]));
	free(names);
}

/* The customers the committed manifest has and the new one does not, in id order. In
 * GitOps a removal deletes a live namespace and database: the message names them first. */
static void gitcommit_removed(struct gitcommit *c)
{
	c->removed = alloc_check(calloc(c->old.customer_count + 1, sizeof *c->removed));
	for (size_t i = 0; i < c->old.customer_count; i++)
		if (!outmanifest_customer(&c->new, c->old.customers[i].id))
			c->removed[c->removed_count++] = alloc_check(strdup(c->old.customers[i].id));
}

/* With channels: each channel whose set is not the one the committed manifest recorded
 * for it is promoted, "Promote stable to 7512cd4: 4 customers" naming how many of the
 * changed customers follow it; the others changed for their specs. */
static void gitcommit_promotions(struct gitcommit *c)
{
	c->others = alloc_check(calloc(c->customer_count + 1, sizeof *c->others));
	char *promoted = alloc_check(calloc(c->customer_count + 1, 1));
	struct buf subject = BUF_INIT;
	for (size_t i = 0; i < c->new.channel_count; i++) {
		const struct outmanifest_channel *ch = &c->new.channels[i];
		const struct outmanifest_channel *before = outmanifest_channel(&c->old, ch->name);
		if (before && hash_equal(before->set, ch->set))
			continue;
		size_t n = 0;
		for (size_t k = 0; k < c->customer_count; k++) {
			const struct outmanifest_customer *x = outmanifest_customer(&c->new, c->customers[k]);
			if (x && x->channel && strcmp(x->channel, ch->name) == 0) {
				promoted[k] = 1;
				n++;
			}
		}
		if (n && subject.len)
			buf_add_str(&subject, ", ");
		if (n)
			channels_describe_promotion(&subject, ch->name, ch->commit, NULL, n);
	}
	for (size_t k = 0; k < c->customer_count; k++)
		if (!promoted[k])
			c->others[c->other_count++] = c->customers[k];
	free(promoted);
	c->promote = subject.len ? buf_detach(&subject, NULL) : NULL;
	buf_release(&subject);
}

/* "a, b, c", or the first four and "and N more" past five */
static void gitcommit_names(struct buf *out, char *const *names, size_t count)
{
	size_t shown = count > 5 ? 4 : count;
	for (size_t i = 0; i < shown; i++)
		buf_printf(out, "%s%s", i ? ", " : "", names[i]);
	if (shown < count)
		buf_printf(out, " and %zu more", count - shown);
}

/* The body's list of names, wrapped at 72 columns, then a line of note if given. */
static void gitcommit_name_list(struct buf *out, const char *title, char *const *names, size_t count,
				const char *note)
{
	buf_add_str(out, title);
	size_t column = strlen(title);
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(names[i]);
		if (column + len + 1 > 72) {
			buf_add_str(out, "\n ");
			column = 1;
		}
		buf_printf(out, " %s", names[i]);
		column += len + 1;
	}
	buf_add_str(out, "\n");
	if (note)
		buf_printf(out, "%s\n", note);
	buf_add_str(out, "\n");
}

static void gitcommit_message(struct buf *message, const char *subject, const struct gitcommit *c,
			      const git_oid *source, size_t dirty)
{
	char *const *customers = c->customers, *const *removed = c->removed;
	size_t count = c->customer_count, removed_count = c->removed_count;
	if (subject) {
		buf_add_str(message, subject);
	} else if (c->promote && !removed_count) {
		buf_add_str(message, c->promote);
		if (c->other_count) {
			buf_printf(message, "; render %zu more: ", c->other_count);
			gitcommit_names(message, c->others, c->other_count);
		}
	} else if (removed_count) {
		if (removed_count == 1)
			buf_printf(message, "Remove customer %s", removed[0]);
		else {
			buf_printf(message, "Remove %zu customers (", removed_count);
			gitcommit_names(message, removed, removed_count);
			buf_add_str(message, ")");
		}
		if (count) {
			buf_printf(message, ", render %zu: ", count);
			gitcommit_names(message, customers, count);
		}
	} else if (!count) {
		buf_add_str(message, "Render out/");
	} else {
		buf_printf(message, "Render %zu customer%s: ", count, count == 1 ? "" : "s");
		gitcommit_names(message, customers, count);
	}
	buf_add_str(message, "\n\n");
	if (removed_count)
		gitcommit_name_list(message, "Removed customers:", removed, removed_count,
				    "(their namespaces, databases and DNS names go when this is deployed)");
	if (count)
		gitcommit_name_list(message, "Changed customers:", customers, count, NULL);
	if (c->promote && (subject || removed_count))
		buf_printf(message, "%s.\n\n", c->promote);
	if (dirty)
		buf_printf(message, "Rendered from %zu uncommitted change%s to customers/ or templates/ on top of\nthe commit below.\n\n",
			   dirty, dirty == 1 ? "" : "s");
	if (removed_count) {
		buf_add_str(message, GITCOMMIT_REMOVED_TRAILER ":");
		for (size_t i = 0; i < removed_count; i++)
			buf_printf(message, "%s %s", i ? "," : "", removed[i]);
		buf_add_str(message, "\n");
	}
	if (source) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, source);
		buf_printf(message, GITREPO_TRAILER ": %s\n", hex);
	} else {
		buf_add_str(message, GITREPO_TRAILER ": (no commit yet)\n");
	}
}

/* How many paths of customers/ and templates/ differ from HEAD (staged, unstaged or
 * untracked): the commit renders the work tree, while its trailer can only name HEAD.
 * One status a directory: libgit2 walks only the common prefix of a pathspec, which for
 * the two together is the whole work tree, out/'s 1.5 million files at 100,000
 * customers (15 s against 0.5 s); the paths are literal (the prefix may hold '*').
 * -1 (err) when libgit2 cannot tell: nothing is committed yet, and a commit whose
 * message may be wrong is not made. */
static int gitcommit_dirty_sources(struct gitrepo *r, size_t *count, struct error *err)
{
	static const char *const dirs[] = { "customers/", "templates/" };
	*count = 0;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		git_status_options options;
		git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
		options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
		options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
				GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s%s", r->prefix, dirs[i]);
		char *paths[1] = { path.ptr };
		options.pathspec.strings = paths;
		options.pathspec.count = 1;
		git_status_list *list = NULL;
		gitrepo_clear_error();
		int rc = git_status_list_new(&list, r->repo, &options);
		if (rc == 0)
			*count += git_status_list_entrycount(list);
		else
			gitrepo_fail_at(err, path.ptr, "read the status", "nothing was committed: run git status to see "
					"what is wrong, then stamp commit again");
		git_status_list_free(list);
		buf_release(&path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The compare-and-swap: under the branch's lock (and HEAD's), the branch must still be
 * where it was when stamp started. */
static int gitcommit_transaction(struct gitcommit *c, const git_oid *id, const char *subject)
{
	struct error *err = &c->report->err;
	git_repository *repo = c->repo.repo;
	git_transaction *tx = NULL;
	const char *common = git_repository_commondir(repo);
	gitrepo_clear_error();
	int rc = git_transaction_new(&tx, repo);

	if (rc == 0 && (rc = git_transaction_lock_ref(tx, c->ref)) < 0 && gitrepo_check_lock(common, c->ref, err) == 0)
		gitrepo_fail_at(err, c->ref, "lock the branch", "run stamp commit again");
	if (rc == 0 && c->on_head && (rc = git_transaction_lock_ref(tx, "HEAD")) < 0 &&
	    gitrepo_check_lock(git_repository_path(repo), "HEAD", err) == 0)
		gitrepo_fail_at(err, "HEAD", "lock HEAD", "run stamp commit again");
	if (rc < 0) {
		if (!err->message)
			gitrepo_fail_at(err, c->ref, "start the branch's update", "run stamp commit again");
		git_transaction_free(tx);
		return error_environment(err);
	}
	git_oid now;
	int has_now = git_reference_name_to_id(&now, repo, c->ref) == 0;
	if (has_now != c->has_tip || (has_now && !git_oid_equal(&now, &c->tip))) {
		char was[GIT_OID_HEXSZ + 1] = "nothing", is[GIT_OID_HEXSZ + 1] = "nothing";
		if (c->has_tip)
			git_oid_tostr(was, sizeof was, &c->tip);
		if (has_now)
			git_oid_tostr(is, sizeof is, &now);
		error_set(err, NULL, 0, 0, "%s moved while stamp was committing (from %.12s to %.12s: another commit "
			  "landed); nothing was committed: run stamp commit again", c->ref, was, is);
		git_transaction_free(tx);
		return error_environment(err);
	}
	/* the index follows the branch: until it has, the note says so (gitindex.h) */
	if (c->on_head && gitindex_pending(&c->repo, id, err) < 0) {
		git_transaction_free(tx);
		return -1;
	}
	struct buf log = BUF_INIT;
	buf_printf(&log, "stamp commit: %s", subject);
	gitrepo_clear_error();
	rc = git_transaction_set_target(tx, c->ref, id, c->committer, log.ptr);
	if (rc == 0)
		rc = git_transaction_commit(tx);
	if (rc < 0)
		gitrepo_fail_at(err, c->ref, "move the branch",
				"free space or fix the permissions of .git, then run stamp commit again");
	buf_release(&log);
	git_transaction_free(tx);
	return rc < 0 ? -1 : 0;
}

static int gitcommit_move_branch(struct gitcommit *c, const git_oid *id, const char *subject)
{
	/* the locks the transaction makes are libgit2's: a signal must not strand them */
	sigset_t saved;
	if (tempfile_hold_signals(&saved) < 0)
		return gitcommit_fail(c, "cannot hold back signals while the branch moves: %s", strerror(errno));
	int rc = gitcommit_transaction(c, id, subject);
	if (tempfile_release_signals(&saved) < 0 && rc == 0)
		return gitcommit_fail(c, "cannot restore the signal mask: %s", strerror(errno));
	return rc;
}

/* What only the message and the index need is kept; the manifests go (both are parsed
 * at once, 270 MB at 100,000 customers), before the index is read (400 MB for the
 * 1.5 million entries of the same repository). */
static void gitcommit_release_manifests(struct gitcommit *c)
{
	free(c->changes.items);
	memset(&c->changes, 0, sizeof c->changes);
	outmanifest_release(&c->old);
	outmanifest_release(&c->new);
}

static int gitcommit_write(struct gitcommit *c)
{
	struct gitcommit_report *rep = c->report;
	struct error *err = &rep->err;
	struct outdir od = { .fd = -1 };
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	struct buf message = BUF_INIT;
	int rc = -1;
	if (outdir_open(&od, c->o->render.root_fd, err) < 0 || gitcommit_manifests(c, &od) < 0)
		goto out;
	if (!c->manifest_changed && !c->changes.count) {
		rc = 0;
		goto out;
	}
	/* small commits fsync each object; large ones flush the file system once */
	size_t objects = c->changes.count + 8;
	int per_object = objects <= OUTDIR_FSYNC_FILES;
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, per_object) < 0) {
		gitrepo_fail_at(err, ".git", "configure libgit2", "report this as a bug");
		goto out;
	}
	git_oid tree_id, commit_id;
	if (gitcommit_objects(c, &od, &tree_id) < 0)
		goto out;
	if (git_oid_equal(&tree_id, git_tree_id(c->tree))) {
		rc = 0;
		goto out;
	}
	gitcommit_customers(c);
	gitcommit_removed(c);
	gitcommit_promotions(c);
	rep->customers = c->customer_count;
	rep->removed = c->removed_count;
	rep->files = c->changes.count + (size_t)c->manifest_changed;
	gitcommit_release_manifests(c);
	if (git_tree_lookup(&tree, c->repo.repo, &tree_id) < 0) {
		gitrepo_fail_at(err, ".git/objects", "read the new tree", "run git fsck");
		goto out;
	}
	size_t dirty = 0;
	if (gitcommit_dirty_sources(&c->repo, &dirty, err) < 0)
		goto out;
	if (dirty)
		buf_printf(&rep->notices, "stamp: warning: %zu path%s in customers/ or templates/ differ%s from HEAD; out/ "
			   "was rendered from them, the commit's " GITREPO_TRAILER " trailer can only name HEAD\n", dirty,
			   dirty == 1 ? "" : "s", dirty == 1 ? "s" : "");
	gitcommit_message(&message, c->o->subject, c, c->has_source ? &c->source : NULL, dirty);
	rep->subject = alloc_check(strndup(message.ptr, strcspn(message.ptr, "\n")));
	if (c->has_tip && git_commit_lookup(&parent, c->repo.repo, &c->tip) < 0) {
		gitrepo_fail_at(err, c->ref, "read the branch's last commit", "run git fsck");
		goto out;
	}
	const git_commit *parents[1] = { parent };
	gitrepo_clear_error();
	if (git_commit_create(&commit_id, c->repo.repo, NULL, c->author, c->committer, NULL, message.ptr, tree,
			      parent ? 1 : 0, parents) < 0) {
		gitrepo_fail_at(err, ".git/objects", "write the commit",
				"free space or fix the permissions of .git/objects, then run stamp commit again");
		goto out;
	}
	if (!per_object && gitcommit_sync_objects(c) < 0)
		goto out;
	/* the branch and the index are written durably whatever the size */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0) {
		gitrepo_fail_at(err, ".git", "configure libgit2", "report this as a bug");
		goto out;
	}
	if (gitcommit_move_branch(c, &commit_id, rep->subject) < 0)
		goto out;
	rep->committed = 1;
	git_oid_tostr(rep->id, sizeof rep->id, &commit_id);
	if (c->on_head && gitindex_apply(&c->repo, c->entries, c->entry_count, err) < 0) {
		struct buf message2 = BUF_INIT;
		buf_printf(&message2, "%s (%.12s is committed; until the index is written, git status shows out/ "
			   "reverted: any stamp command repairs it)", err->message, rep->id);
		free(err->message);
		err->message = buf_detach(&message2, NULL);
		goto out;
	}
	rc = 0;
out:
	git_commit_free(parent);
	git_tree_free(tree);
	outdir_close(&od);
	buf_release(&message);
	return rc;
}

int gitcommit_run(const struct gitcommit_options *o, struct gitcommit_report *report)
{
	struct gitcommit c;
	memset(&c, 0, sizeof c);
	c.o = o;
	c.report = report;
	if (gitrepo_open(&c.repo, o->path, &report->err) < 0)
		return GITCOMMIT_FAILED;
	int status = GITCOMMIT_FAILED;
	if (gitcommit_target(&c) < 0 || gitcommit_check_locks(&c) < 0 ||
	    gitindex_repair(&c.repo, &report->notices, &report->err) < 0 ||
	    gitcommit_signature(&c, "AUTHOR", &c.author) < 0 || gitcommit_signature(&c, "COMMITTER", &c.committer) < 0)
		goto out;
	/* render first: a commit holds only a complete, valid render */
	struct sync_options render = o->render;
	render.want_manifest = 1;
	render.hydrated_branch = o->branch;
	report->rendered = 1;
	status = sync_render(&render, &report->render);
	if (status != 0)
		goto out;
	status = gitcommit_write(&c) < 0 ? GITCOMMIT_FAILED : 0;
out:
	for (size_t i = 0; i < c.entry_count; i++)
		free(c.paths[i]);
	free(c.paths);
	free(c.entries);
	free(c.stats);
	gitcommit_release_manifests(&c);
	for (size_t i = 0; i < c.customer_count; i++)
		free(c.customers[i]);
	free(c.customers);
	free(c.others);
	free(c.promote);
	for (size_t i = 0; i < c.removed_count; i++)
		free(c.removed[i]);
	free(c.removed);
	git_signature_free(c.author);
	git_signature_free(c.committer);
	git_tree_free(c.tree);
	free(c.ref);
	buf_release(&c.out_dir);
	gitrepo_close(&c.repo);
	return status;
}

void gitcommit_report_release(struct gitcommit_report *report)
{
	sync_report_release(&report->render);
	buf_release(&report->notices);
	free(report->branch);
	free(report->subject);
	error_clear(&report->err);
}
