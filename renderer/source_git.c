/* A git tree as a source: the stamp repository's directory inside a revision's tree,
 * read through libgit2's object database without a checkout. One mutex serialises the
 * libgit2 calls (loaders read from several threads); the parsing they feed runs in
 * parallel. Links are followed the way the working tree follows them: relative to the
 * link's directory, and refused when they lead outside the stamp repository. */
#include "source.h"

#include "alloc.h"

#include "buf.h"
#include "error.h"
#include "gitrepo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct source_git {
	struct gitrepo *repo;
	git_tree *root;      /* the stamp repository's directory in the revision */
	char *label;
	pthread_mutex_t lock;
};

static git_tree_entry *git_entry(const struct source_git *g, const char *path)
{
	git_tree_entry *entry = NULL;
	if (!*path || git_tree_entry_bypath(&entry, g->root, path) < 0)
		return NULL;
	return entry;
}

static enum source_kind git_entry_kind(const git_tree_entry *e)
{
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return SOURCE_FILE;
	case GIT_FILEMODE_TREE:
		return SOURCE_DIR;
	case GIT_FILEMODE_LINK:
		return SOURCE_LINK;
	default:
		return SOURCE_OTHER;
	}
}

static int git_list(const struct source *s, const char *dir, char ***names, enum source_kind **kinds, size_t *count,
		    struct error *err)
{
	struct source_git *g = s->data;
	*names = NULL;
	if (kinds)
		*kinds = NULL;
	*count = 0;
	pthread_mutex_lock(&g->lock);
	git_tree_entry *entry = git_entry(g, dir);
	git_tree *tree = NULL;
	int rc = 0;
	if (!entry || git_tree_entry_type(entry) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&tree, g->repo->repo, git_tree_entry_id(entry)) < 0) {
		struct buf name = BUF_INIT;
		source_name(s, dir, &name);
		rc = error_set(err, name.ptr, 0, 0, "cannot read the directory: not in this revision");
		buf_release(&name);
	} else {
		size_t n = git_tree_entrycount(tree);
		*names = calloc(n ? n : 1, sizeof **names);
		if (!*names)
			alloc_failed();
		if (kinds)
			*kinds = alloc_check(calloc(n ? n : 1, sizeof **kinds));
		for (size_t i = 0; i < n; i++) {
			const git_tree_entry *item = git_tree_entry_byindex(tree, i);
			char *copy = strdup(git_tree_entry_name(item));
			if (!copy)
				alloc_failed();
			if (kinds)
				(*kinds)[*count] = git_entry_kind(item);
			(*names)[(*count)++] = copy;
		}
	}
	git_tree_free(tree);
	git_tree_entry_free(entry);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static enum source_kind git_kind(const struct source *s, const char *path)
{
	struct source_git *g = s->data;
	pthread_mutex_lock(&g->lock);
	git_tree_entry *entry = git_entry(g, path);
	enum source_kind kind = entry ? git_entry_kind(entry) : SOURCE_NONE;
	git_tree_entry_free(entry);
	pthread_mutex_unlock(&g->lock);
	return kind;
}

/* The blob at path, appended to out; the lock is held. */
static int git_blob_at(struct source_git *g, const git_tree_entry *entry, size_t max, struct buf *out)
{
	git_blob *blob = NULL;
	if (git_blob_lookup(&blob, g->repo->repo, git_tree_entry_id(entry)) < 0)
		return SOURCE_FAILED;
	size_t size = (size_t)git_blob_rawsize(blob);
	int rc = SOURCE_OK;
	if (max && size > max)
		rc = SOURCE_TOO_LARGE;
	else
		buf_add(out, git_blob_rawcontent(blob), size);
	git_blob_free(blob);
	return rc;
}

/* Normalises dir + "/" + target (a link's text) into a path from the root; 1 when it
 * climbs out of the root. */
static int git_join(const char *dir, const char *target, size_t target_len, struct buf *out)
{
	if (target_len && target[0] == '/')
		return 1;
	struct buf joined = BUF_INIT;
	buf_printf(&joined, "%s%s%.*s", dir, *dir ? "/" : "", (int)target_len, target);
	char *parts[256];
	size_t depth = 0;
	int outside = 0;
	char *state = NULL;
	for (char *p = strtok_r(joined.ptr, "/", &state); p && !outside; p = strtok_r(NULL, "/", &state)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			if (!depth)
				outside = 1;
			else
				depth--;
		} else if (depth < 256) {
			parts[depth++] = p;
		}
	}
	for (size_t i = 0; i < depth && !outside; i++)
		buf_printf(out, "%s%s", i ? "/" : "", parts[i]);
	buf_release(&joined);
	return outside;
}

/* Follows links (at most 8) from path; the lock is held. */
static int git_follow(const struct source *s, const char *path, struct buf *resolved, struct error *err)
{
	struct source_git *g = s->data;
	buf_add_str(resolved, path);
	for (int hops = 0; hops < 8; hops++) {
		git_tree_entry *entry = git_entry(g, resolved->ptr);
		if (!entry)
			return error_set(err, NULL, 0, 0, "No such file or directory");
		if (git_entry_kind(entry) != SOURCE_LINK) {
			git_tree_entry_free(entry);
			return 0;
		}
		struct buf text = BUF_INIT;
		git_blob_at(g, entry, 4096, &text);
		git_tree_entry_free(entry);
		char *slash = strrchr(resolved->ptr, '/');
		struct buf dir = BUF_INIT;
		if (slash)
			buf_add(&dir, resolved->ptr, (size_t)(slash - resolved->ptr));
		else
			buf_add_str(&dir, "");
		buf_clear(resolved);
		int outside = git_join(dir.ptr, text.ptr ? text.ptr : "", text.len, resolved);
		if (outside) {
			buf_clear(resolved);
			buf_add(resolved, text.ptr ? text.ptr : "", text.len);
		}
		buf_release(&dir);
		buf_release(&text);
		if (outside)
			return 1;
	}
	return error_set(err, NULL, 0, 0, "Too many levels of symbolic links");
}

static enum source_status git_read(const struct source *s, const char *path, size_t max, struct buf *out,
				   struct error *err)
{
	struct source_git *g = s->data;
	struct buf resolved = BUF_INIT, name = BUF_INIT;
	source_name(s, path, &name);
	pthread_mutex_lock(&g->lock);
	struct error why = ERROR_INIT;
	int rc = git_follow(s, path, &resolved, &why);
	enum source_status status = SOURCE_OK;
	if (rc != 0) {
		status = SOURCE_FAILED;
		error_set(err, name.ptr, 0, 0, "cannot open: %s", rc > 0 ? "leads outside the repository" : why.message);
	} else {
		git_tree_entry *entry = git_entry(g, resolved.ptr);
		if (!entry || git_entry_kind(entry) != SOURCE_FILE) {
			status = SOURCE_NOT_FILE;
		} else {
			status = git_blob_at(g, entry, max, out);
			if (status == SOURCE_FAILED)
				gitrepo_fail(err, name.ptr);
		}
		git_tree_entry_free(entry);
	}
	pthread_mutex_unlock(&g->lock);
	error_clear(&why);
	buf_release(&resolved);
	buf_release(&name);
	return status;
}

static int git_link_target(const struct source *s, const char *path, struct buf *target, struct error *err)
{
	struct source_git *g = s->data;
	pthread_mutex_lock(&g->lock);
	struct error why = ERROR_INIT;
	int rc = git_follow(s, path, target, &why);
	pthread_mutex_unlock(&g->lock);
	if (rc < 0) {
		struct buf name = BUF_INIT;
		source_name(s, path, &name);
		error_set(err, name.ptr, 0, 0, "%s", why.message);
		buf_release(&name);
	}
	error_clear(&why);
	return rc;
}

static int git_file_blob(const struct source *s, const char *path, struct source_blob *out)
{
	struct source_git *g = s->data;
	pthread_mutex_lock(&g->lock);
	git_tree_entry *entry = git_entry(g, path);
	int rc = 1;
	if (entry && git_entry_kind(entry) == SOURCE_FILE) {
		memcpy(out->id, git_tree_entry_id(entry)->id, SOURCE_BLOB_SIZE);
		rc = 0;
	}
	git_tree_entry_free(entry);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static const struct source_ops git_ops = { git_list, git_kind, git_read, git_link_target, git_file_blob };

_Static_assert(SOURCE_BLOB_SIZE == GIT_OID_RAWSZ, "a blob id is a git object id");

int source_blob_of(const char *data, size_t len, struct source_blob *out)
{
	git_oid id;
	if (git_odb_hash(&id, data ? data : "", len, GIT_OBJECT_BLOB) < 0)
		return -1;
	memcpy(out->id, id.id, SOURCE_BLOB_SIZE);
	return 0;
}

int source_git_open(struct source *s, struct gitrepo *r, const char *revision, struct error *err)
{
	memset(s, 0, sizeof *s);
	git_commit *commit = NULL;
	if (gitrepo_commit(r, revision, &commit, err) < 0)
		return -1;
	git_oid id;
	git_oid_cpy(&id, git_commit_id(commit));
	git_commit_free(commit);
	return source_git_open_commit(s, r, &id, revision, err);
}

int source_git_open_commit(struct source *s, struct gitrepo *r, const git_oid *id, const char *name,
			   struct error *err)
{
	memset(s, 0, sizeof *s);
	git_commit *commit = NULL;
	if (git_commit_lookup(&commit, r->repo, id) < 0)
		return gitrepo_fail(err, "cannot read the commit");
	git_tree *top = NULL;
	int rc = git_commit_tree(&top, commit);
	git_commit_free(commit);
	if (rc < 0)
		return gitrepo_fail(err, "cannot read the revision's tree");
	git_tree *root = top;
	if (*r->prefix) {
		git_tree_entry *entry = NULL;
		struct buf dir = BUF_INIT;
		buf_add(&dir, r->prefix, strlen(r->prefix) - 1);
		rc = git_tree_entry_bypath(&entry, top, dir.ptr);
		buf_release(&dir);
		root = NULL;
		if (rc == 0 && git_tree_entry_type(entry) == GIT_OBJECT_TREE)
			git_tree_lookup(&root, r->repo, git_tree_entry_id(entry));
		git_tree_entry_free(entry);
		git_tree_free(top);
		if (!root)
			return 1;
	}
	struct source_git *g = calloc(1, sizeof *g);
	if (!g)
		alloc_failed();
	g->repo = r;
	g->root = root;
	pthread_mutex_init(&g->lock, NULL);
	struct buf label = BUF_INIT;
	buf_printf(&label, "%s:", name);
	g->label = buf_detach(&label, NULL);
	*s = (struct source){ &git_ops, g->label, g, { -1, NULL } };
	if (git_kind(s, "templates/stamp.yaml") != SOURCE_FILE) {
		source_git_close(s);
		return 1;
	}
	return 0;
}

struct gitrepo *source_git_repo(const struct source *s)
{
	return s->ops == &git_ops ? ((struct source_git *)s->data)->repo : NULL;
}

void source_git_close(struct source *s)
{
	struct source_git *g = s->data;
	if (g) {
		git_tree_free(g->root);
		pthread_mutex_destroy(&g->lock);
		free(g->label);
		free(g);
	}
	memset(s, 0, sizeof *s);
}
