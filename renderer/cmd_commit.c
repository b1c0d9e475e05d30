/* `stamp commit`: render, then commit exactly the out/ changes with libgit2.
 *
 * The new tree is the branch tip's tree with out/ replaced, built with
 * git_tree_create_updated() from the difference between the manifest committed at the
 * tip and the one just rendered: only the files whose hash changed become new blobs, so
 * 10,000 rendered customers with one change cost one blob, not 140,000. Nothing else of
 * the tip's tree changes, so the user's other work, staged or not, is left alone.
 *
 * The branch moves with a compare-and-swap against the tip read at the start: a commit
 * that lands meanwhile is reported, never overwritten. The index then gets the new out/
 * entries, so that git status agrees. With --branch, the rendered tree alone (out/'s
 * content at the root) is committed to that branch, the hydrated-branch pattern; the
 * checked-out branch, index and work tree are not touched. */
#include "array.h"

#include "alloc.h"
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "gitrepo.h"
#include "outdir.h"
#include "outmanifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What changed between the committed manifest and the rendered one. */
struct commit_change {
	const char *path;  /* under out/ */
	const char *owner;
	int removed;
};

struct commit_changes {
	struct commit_change *items;
	size_t count;
	size_t cap;
};

static void commit_changes_add(struct commit_changes *c, const char *path, const char *owner, int removed)
{
	c->items = array_grow(c->items, &c->cap, c->count, sizeof *c->items, 256);
	c->items[c->count++] = (struct commit_change){ path, owner, removed };
}

static void commit_diff_manifests(const struct outmanifest *old, const struct outmanifest *new,
				  struct commit_changes *changes)
{
	size_t i = 0, j = 0;
	while (i < old->file_count || j < new->file_count) {
		int order = i == old->file_count ? 1 : j == new->file_count ? -1
			: strcmp(old->files[i].path, new->files[j].path);
		if (order < 0) {
			commit_changes_add(changes, old->files[i].path, old->files[i].owner, 1);
			i++;
		} else if (order > 0) {
			commit_changes_add(changes, new->files[j].path, new->files[j].owner, 0);
			j++;
		} else {
			if (!hash_equal(old->files[i].hash, new->files[j].hash))
				commit_changes_add(changes, new->files[j].path, new->files[j].owner, 0);
			i++;
			j++;
		}
	}
}

static int commit_compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The customers whose files changed, sorted and once each. */
static size_t commit_customers(const struct commit_changes *changes, const char ***out)
{
	const char **names = malloc((changes->count + 1) * sizeof *names);
	if (!names)
		alloc_failed();
	size_t n = 0;
	for (size_t i = 0; i < changes->count; i++)
		if (strcmp(changes->items[i].owner, "-") != 0)
			names[n++] = changes->items[i].owner;
	qsort(names, n, sizeof *names, commit_compare_names);
	size_t unique = 0;
	for (size_t i = 0; i < n; i++)
		if (!unique || strcmp(names[unique - 1], names[i]) != 0)
			names[unique++] = names[i];
	*out = names;
	return unique;
}

static void commit_message(struct buf *message, const char *subject, const char **customers, size_t count,
			   const git_oid *source, size_t dirty)
{
	if (subject) {
		buf_add_str(message, subject);
	} else if (!count) {
		buf_add_str(message, "Render out/");
	} else {
		buf_printf(message, "Render %zu customer%s: ", count, count == 1 ? "" : "s");
		size_t shown = count > 5 ? 4 : count;
		for (size_t i = 0; i < shown; i++)
			buf_printf(message, "%s%s", i ? ", " : "", customers[i]);
		if (shown < count)
			buf_printf(message, " and %zu more", count - shown);
	}
	buf_add_str(message, "\n\n");
	if (count) {
		buf_add_str(message, "Changed customers:");
		size_t column = 18;
		for (size_t i = 0; i < count; i++) {
			size_t len = strlen(customers[i]);
			if (column + len + 1 > 72) {
				buf_add_str(message, "\n ");
				column = 1;
			}
			buf_printf(message, " %s", customers[i]);
			column += len + 1;
		}
		buf_add_str(message, "\n\n");
	}
	if (dirty)
		buf_printf(message, "Rendered from %zu uncommitted change%s to customers/ or templates/ on top of\nthe commit below.\n\n",
			   dirty, dirty == 1 ? "" : "s");
	if (source) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, source);
		buf_printf(message, "Rendered-from: %s\n", hex);
	} else {
		buf_add_str(message, "Rendered-from: (no commit yet)\n");
	}
}

/* The identity: GIT_AUTHOR_* / GIT_COMMITTER_* as git reads them, else user.name and
 * user.email from the git configuration. */
static int commit_signature(git_repository *repo, const char *role, git_signature **out, struct error *err)
{
	char name_var[32], email_var[32];
	snprintf(name_var, sizeof name_var, "GIT_%s_NAME", role);
	snprintf(email_var, sizeof email_var, "GIT_%s_EMAIL", role);
	const char *name = getenv(name_var), *email = getenv(email_var);
	git_signature *fallback = NULL;
	if ((!name || !email) && git_signature_default(&fallback, repo) < 0)
		return error_set(err, NULL, 0, 0, "no git identity: set one with git config user.name \"Your Name\" "
				 "and git config user.email you@example.com (or GIT_%s_NAME and GIT_%s_EMAIL)", role, role);
	int rc = git_signature_now(out, name ? name : fallback->name, email ? email : fallback->email);
	git_signature_free(fallback);
	if (rc < 0)
		return gitrepo_fail(err, "invalid git identity");
	return 0;
}

struct commit_target {
	char *ref;           /* refs/heads/... */
	git_oid tip;
	int has_tip;
	git_tree *tree;      /* the tip's tree, or an empty one */
	const char *out_dir; /* where out/ sits in that tree: "<prefix>out/" or "" */
};

static int commit_find_target(struct gitrepo *r, const char *branch, const char *expect, struct commit_target *t,
			      git_oid *source, int *has_source, struct error *err)
{
	memset(t, 0, sizeof *t);
	git_reference *head = NULL;
	int rc = git_reference_lookup(&head, r->repo, "HEAD");
	if (rc < 0)
		return gitrepo_fail(err, "cannot read HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		git_reference_free(head);
		if (!branch)
			return error_set(err, NULL, 0, 0, "HEAD is detached; check out a branch first, or commit to "
					 "another branch with --branch NAME");
	}
	const char *head_ref = head && git_reference_type(head) == GIT_REFERENCE_SYMBOLIC
		? git_reference_symbolic_target(head) : NULL;
	*has_source = git_reference_name_to_id(source, r->repo, "HEAD") == 0;
	struct buf name = BUF_INIT;
	if (branch) {
		buf_printf(&name, "refs/heads/%s", branch);
		if (!git_reference_is_valid_name(name.ptr)) {
			buf_release(&name);
			git_reference_free(head);
			return error_set(err, NULL, 0, 0, "'%s' is not a valid branch name", branch);
		}
		if (head_ref && strcmp(head_ref, name.ptr) == 0) {
			buf_release(&name);
			git_reference_free(head);
			return error_set(err, NULL, 0, 0, "--branch %s is the branch checked out here; leave out "
					 "--branch to commit out/ on it", branch);
		}
		t->out_dir = "";
	} else {
		buf_add_str(&name, head_ref);
		struct buf dir = BUF_INIT;
		buf_printf(&dir, "%sout/", r->prefix);
		t->out_dir = buf_detach(&dir, NULL);
	}
	git_reference_free(head);
	t->ref = buf_detach(&name, NULL);
	t->has_tip = git_reference_name_to_id(&t->tip, r->repo, t->ref) == 0;
	if (expect) {
		git_commit *expected = NULL;
		if (gitrepo_commit(r, expect, &expected, err) < 0)
			return -1;
		int same = t->has_tip && git_oid_equal(git_commit_id(expected), &t->tip);
		char want[GIT_OID_HEXSZ + 1], have[GIT_OID_HEXSZ + 1] = "nothing";
		git_oid_tostr(want, sizeof want, git_commit_id(expected));
		if (t->has_tip)
			git_oid_tostr(have, sizeof have, &t->tip);
		git_commit_free(expected);
		if (!same)
			return error_set(err, NULL, 0, 0, "%s moved: it is at %.12s, not at %.12s (--expect %s); nothing "
					 "was committed", t->ref, have, want, expect);
	}
	if (t->has_tip) {
		git_commit *tip = NULL;
		if (git_commit_lookup(&tip, r->repo, &t->tip) < 0 || git_commit_tree(&t->tree, tip) < 0) {
			git_commit_free(tip);
			return gitrepo_fail(err, "cannot read the branch's last commit");
		}
		git_commit_free(tip);
		return 0;
	}
	return gitrepo_empty_tree(r, &t->tree, err);
}

static void commit_target_release(struct commit_target *t, const char *branch)
{
	free(t->ref);
	if (!branch)
		free((char *)t->out_dir);
	git_tree_free(t->tree);
}

/* How many paths of customers/ and templates/ differ from HEAD (staged, unstaged or
 * untracked): the commit renders the work tree, while its trailer can only name HEAD. */
static size_t commit_dirty_sources(struct gitrepo *r)
{
	git_status_options options;
	git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
	options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	struct buf customers = BUF_INIT, templates = BUF_INIT;
	buf_printf(&customers, "%scustomers/", r->prefix);
	buf_printf(&templates, "%stemplates/", r->prefix);
	char *paths[2] = { customers.ptr, templates.ptr };
	options.pathspec.strings = paths;
	options.pathspec.count = 2;
	git_status_list *list = NULL;
	size_t count = 0;
	if (git_status_list_new(&list, r->repo, &options) == 0)
		count = git_status_list_entrycount(list);
	git_status_list_free(list);
	buf_release(&customers);
	buf_release(&templates);
	return count;
}

/* A stale index.lock would make the index update fail after the commit; find it first. */
static int commit_check_index_lock(struct gitrepo *r, struct error *err)
{
	struct buf lock = BUF_INIT;
	buf_printf(&lock, "%sindex.lock", git_repository_path(r->repo));
	int exists = access(lock.ptr, F_OK) == 0;
	if (exists)
		error_set(err, lock.ptr, 0, 0, "exists: another git process is running, or one crashed; if none "
			  "is running, remove the file and run again");
	buf_release(&lock);
	return exists ? -1 : 0;
}

/* Builds the new tree: the target's tree with out/ brought to what out/ holds now. */
static int commit_build_tree(struct gitrepo *r, const struct outdir *od, struct commit_target *t,
			     const struct commit_changes *changes, int manifest_changed, git_oid *tree_id,
			     struct error *err)
{
	struct outdir_cursor cursor = OUTDIR_CURSOR_INIT;
	struct buf data = BUF_INIT;
	size_t n = changes->count + 1;
	git_tree_update *updates = calloc(n, sizeof *updates);
	char **paths = calloc(n, sizeof *paths);
	if (!updates || !paths)
		alloc_failed();
	size_t count = 0;
	int rc = 0;
	for (size_t i = 0; i <= changes->count && rc == 0; i++) {
		const char *path = i < changes->count ? changes->items[i].path : ".stamp-manifest";
		if (i == changes->count && !manifest_changed)
			break;
		struct buf full = BUF_INIT;
		buf_printf(&full, "%s%s", t->out_dir, path);
		git_tree_update *u = &updates[count];
		if (i < changes->count && changes->items[i].removed) {
			u->action = GIT_TREE_UPDATE_REMOVE;
		} else {
			/* read through out/'s descriptor: never through a link */
			u->action = GIT_TREE_UPDATE_UPSERT;
			u->filemode = GIT_FILEMODE_BLOB;
			if (i == changes->count) {
				buf_clear(&data);
				rc = outdir_manifest_read(od, &data, err) == 0 ? 0 : -1;
			} else {
				rc = outdir_read(od, &cursor, path, &data, err);
			}
			if (rc == 0 && git_blob_create_from_buffer(&u->id, r->repo, data.ptr ? data.ptr : "", data.len) < 0)
				rc = gitrepo_fail(err, path);
		}
		paths[count] = buf_detach(&full, NULL);
		u->path = paths[count];
		count++;
	}
	if (rc == 0 && git_tree_create_updated(tree_id, r->repo, t->tree, count, updates) < 0)
		rc = gitrepo_fail(err, "cannot write the new tree");
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
	free(updates);
	buf_release(&data);
	outdir_cursor_release(&cursor);
	return rc;
}

/* The index gets the committed out/ entries (the rest of it, staged work included, stays). */
static int commit_update_index(struct gitrepo *r, const struct commit_target *t,
			       const struct commit_changes *changes, int manifest_changed, struct error *err)
{
	git_index *index = NULL;
	if (git_repository_index(&index, r->repo) < 0)
		return gitrepo_fail(err, "cannot read the index");
	int rc = 0;
	for (size_t i = 0; i <= changes->count && rc == 0; i++) {
		if (i == changes->count && !manifest_changed)
			break;
		const char *path = i < changes->count ? changes->items[i].path : ".stamp-manifest";
		struct buf full = BUF_INIT;
		buf_printf(&full, "%s%s", t->out_dir, path);
		if (i < changes->count && changes->items[i].removed)
			rc = git_index_remove_bypath(index, full.ptr);
		else
			rc = git_index_add_bypath(index, full.ptr);
		if (rc < 0)
			gitrepo_fail(err, full.ptr);
		buf_release(&full);
	}
	if (rc == 0 && git_index_write(index) < 0)
		rc = gitrepo_fail(err, "cannot write the index");
	git_index_free(index);
	return rc < 0 ? -1 : 0;
}

int cmd_commit(const struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = {
		{ "-m", 1, NULL, 0 }, { "--message", 1, NULL, 0 }, { "--branch", 1, NULL, 0 }, { "--expect", 1, NULL, 0 },
	};
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 4, positional, 0, &count) < 0)
		return CLI_USAGE;
	const char *subject = options[0].value ? options[0].value : options[1].value;
	const char *branch = options[2].value, *expect = options[3].value;
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;

	struct error err = ERROR_INIT;
	struct gitrepo r;
	if (gitrepo_open(&r, repo.path, &err) < 0) {
		cli_print_error(cli, &err);
		error_clear(&err);
		cli_close_repository(&repo);
		return CLI_USAGE;
	}
	struct outdir od = { .fd = -1 };
	int status = CLI_USAGE;
	struct commit_target t;
	git_oid source;
	int has_source = 0;
	struct outmanifest old = { 0 }, new = { 0 };
	struct commit_changes changes = { 0 };
	const char **customers = NULL;
	size_t customer_count = 0;
	git_signature *author = NULL, *committer = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_reference *moved = NULL;
	struct buf message = BUF_INIT;
	char *old_text = NULL, *new_text = NULL;
	size_t old_len = 0, new_len = 0;

	if (commit_find_target(&r, branch, expect, &t, &source, &has_source, &err) < 0)
		goto fail;
	if (!branch && commit_check_index_lock(&r, &err) < 0)
		goto fail;
	if (commit_signature(r.repo, "AUTHOR", &author, &err) < 0 ||
	    commit_signature(r.repo, "COMMITTER", &committer, &err) < 0)
		goto fail;

	/* render first: a commit holds only a complete, valid render */
	struct buf rendered = BUF_INIT;
	status = render_out(cli, &repo, 0, &rendered);
	if (status != CLI_OK) {
		buf_release(&rendered);
		goto out;
	}
	status = CLI_USAGE;
	if (outdir_open(&od, repo.fd, &err) < 0) {
		buf_release(&rendered);
		goto fail;
	}

	/* out/ at the tip, through its manifest, against out/ now */
	struct buf where = BUF_INIT;
	buf_printf(&where, "%s.stamp-manifest", t.out_dir);
	int rc = gitrepo_read(&r, t.tree, where.ptr, &old_text, &old_len, &err);
	buf_release(&where);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		char *copy = alloc_check(malloc(old_len + 1));
		memcpy(copy, old_text, old_len + 1);
		if (outmanifest_parse(&old, copy, "the committed out/.stamp-manifest", &err) < 0)
			goto fail;
	}
	/* the new manifest as the render made it, not as the disk now says */
	new_len = rendered.len;
	new_text = buf_detach(&rendered, NULL);
	char *copy = alloc_check(malloc(new_len + 1));
	memcpy(copy, new_text, new_len + 1);
	if (outmanifest_parse(&new, copy, OUTDIR "/" OUTMANIFEST_NAME, &err) < 0)
		goto fail;
	commit_diff_manifests(&old, &new, &changes);
	/* the manifest alone may change: the same files from other inputs (a comment in a spec) */
	int manifest_changed = rc == 1 || old_len != new_len || memcmp(old_text, new_text, new_len) != 0;
	if (!manifest_changed && !changes.count) {
		if (!cli->quiet)
			printf("nothing to commit: out/ matches %s\n", t.ref);
		status = CLI_OK;
		goto out;
	}

	git_oid tree_id, commit_id;
	if (commit_build_tree(&r, &od, &t, &changes, manifest_changed, &tree_id, &err) < 0)
		goto fail;
	if (git_tree_lookup(&tree, r.repo, &tree_id) < 0) {
		gitrepo_fail(&err, "cannot read the new tree");
		goto fail;
	}
	if (git_oid_equal(&tree_id, git_tree_id(t.tree))) {
		if (!cli->quiet)
			printf("nothing to commit: out/ matches %s\n", t.ref);
		status = CLI_OK;
		goto out;
	}
	customer_count = commit_customers(&changes, &customers);
	size_t dirty = commit_dirty_sources(&r);
	if (dirty)
		fprintf(stderr, "stamp: warning: %zu path%s in customers/ or templates/ differ%s from HEAD; out/ was "
			"rendered from them, the commit's Rendered-from trailer can only name HEAD\n", dirty,
			dirty == 1 ? "" : "s", dirty == 1 ? "s" : "");
	commit_message(&message, subject, customers, customer_count, has_source ? &source : NULL, dirty);
	if (t.has_tip && git_commit_lookup(&parent, r.repo, &t.tip) < 0) {
		gitrepo_fail(&err, "cannot read the branch's last commit");
		goto fail;
	}
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_id, r.repo, NULL, author, committer, NULL, message.ptr, tree,
			      parent ? 1 : 0, parents) < 0) {
		gitrepo_fail(&err, "cannot write the commit");
		goto fail;
	}
	/* the compare-and-swap: the branch must still be where it was when we started */
	struct buf log = BUF_INIT;
	buf_printf(&log, "stamp commit: %.*s", (int)strcspn(message.ptr, "\n"), message.ptr);
	rc = t.has_tip ? git_reference_create_matching(&moved, r.repo, t.ref, &commit_id, 1, &t.tip, log.ptr)
		       : git_reference_create(&moved, r.repo, t.ref, &commit_id, 0, log.ptr);
	buf_release(&log);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		error_set(&err, NULL, 0, 0, "%s moved while stamp was committing (another commit landed); nothing "
			  "was committed: run stamp commit again", t.ref);
		goto fail;
	}
	if (rc < 0) {
		gitrepo_fail(&err, "cannot move the branch");
		goto fail;
	}
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &commit_id);
	if (!branch && commit_update_index(&r, &t, &changes, manifest_changed, &err) < 0) {
		cli_print_error(cli, &err);
		fprintf(stderr, "stamp: committed %.12s, but the index was not updated: git status will show out/ "
			"as changed until you run git reset -q -- %sout\n", hex, r.prefix);
		goto out;
	}
	if (!cli->quiet) {
		const char *shown = strncmp(t.ref, "refs/heads/", 11) == 0 ? t.ref + 11 : t.ref;
		printf("[%s %.12s] %.*s\n", shown, hex, (int)strcspn(message.ptr, "\n"), message.ptr);
		printf(" %zu file%s changed under out/, %zu customer%s\n", changes.count + (size_t)manifest_changed,
		       changes.count + (size_t)manifest_changed == 1 ? "" : "s", customer_count,
		       customer_count == 1 ? "" : "s");
	}
	status = CLI_OK;
	goto out;

fail:
	cli_print_error(cli, &err);
	status = CLI_USAGE;
out:
	if (t.ref)
		commit_target_release(&t, branch);
	git_reference_free(moved);
	git_tree_free(tree);
	git_commit_free(parent);
	git_signature_free(author);
	git_signature_free(committer);
	free(customers);
	free(changes.items);
	free(old_text);
	free(new_text);
	outmanifest_release(&old);
	outmanifest_release(&new);
	outdir_close(&od);
	buf_release(&message);
	error_clear(&err);
	gitrepo_close(&r);
	cli_close_repository(&repo);
	return status;
}
