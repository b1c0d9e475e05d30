/* The working tree source: POSIX calls relative to the stamp repository's directory
 * descriptor. Reads open with O_NONBLOCK and check the file type
 * after opening, so a FIFO named like a spec cannot hang a run. */
#include "source.h"

#include "alloc.h"

#include "array.h"
#include "buf.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void source_name(const struct source *s, const char *path, struct buf *out)
{
	buf_printf(out, "%s%s", s->label, path);
}

/* A file that is not there, or a link that leads nowhere, is the input's problem; any
 * other failure (EIO, EMFILE, EACCES, ENOMEM) is the system's, and must not pass for
 * an invalid spec. */
static int source_failed(struct error *err, int e)
{
	if (e != ENOENT && e != ENOTDIR && e != ELOOP)
		error_environment(err);
	return -1;
}

static enum source_kind worktree_kind(const struct source *s, const char *path);

static int worktree_list(const struct source *s, const char *dir, char ***names, enum source_kind **kinds,
			 size_t *count, struct error *err)
{
	*names = NULL;
	if (kinds)
		*kinds = NULL;
	*count = 0;
	int fd = openat(s->root.fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		error_set(err, dir, 0, 0, "cannot read the directory: %s", strerror(e));
		return source_failed(err, e);
	}
	size_t cap = 0, kinds_cap = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		*names = array_grow(*names, &cap, *count, sizeof **names, 64);
		char *copy = strdup(e->d_name);
		if (!copy)
			alloc_failed();
		if (kinds) {
			*kinds = array_grow(*kinds, &kinds_cap, *count, sizeof **kinds, 64);
			enum source_kind kind = e->d_type == DT_REG ? SOURCE_FILE : e->d_type == DT_DIR ? SOURCE_DIR
					      : e->d_type == DT_LNK ? SOURCE_LINK : SOURCE_OTHER;
			if (e->d_type == DT_UNKNOWN) { /* a file system that does not say */
				struct buf path = BUF_INIT;
				buf_printf(&path, "%s/%s", dir, e->d_name);
				kind = worktree_kind(s, path.ptr);
				buf_release(&path);
			}
			(*kinds)[*count] = kind;
		}
		(*names)[(*count)++] = copy;
		errno = 0;
	}
	int e2 = errno;
	closedir(d);
	if (e2) {
		error_set(err, dir, 0, 0, "cannot read the directory: %s", strerror(e2));
		return source_failed(err, e2);
	}
	return 0;
}

static enum source_kind worktree_kind(const struct source *s, const char *path)
{
	struct stat st;
	if (fstatat(s->root.fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? SOURCE_NONE : SOURCE_UNREADABLE;
	return S_ISREG(st.st_mode) ? SOURCE_FILE : S_ISDIR(st.st_mode) ? SOURCE_DIR
		: S_ISLNK(st.st_mode) ? SOURCE_LINK : SOURCE_OTHER;
}

static enum source_status worktree_read(const struct source *s, const char *path, size_t max, struct buf *out,
					struct error *err)
{
	int fd = openat(s->root.fd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		error_set(err, path, 0, 0, "cannot open: %s", strerror(e));
		source_failed(err, e);
		return SOURCE_FAILED;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		error_set(err, path, 0, 0, "cannot read: %s", strerror(e));
		source_failed(err, e);
		return SOURCE_FAILED;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return SOURCE_NOT_FILE;
	}
	if (max && (size_t)st.st_size > max) {
		close(fd);
		return SOURCE_TOO_LARGE;
	}
	if (buf_read_regular(out, fd, max, (size_t)st.st_size) < 0) {
		int e = errno;
		close(fd);
		if (e == EFBIG)
			return SOURCE_TOO_LARGE;
		error_set(err, path, 0, 0, "cannot read: %s", strerror(e));
		source_failed(err, e);
		return SOURCE_FAILED;
	}
	close(fd);
	return SOURCE_OK;
}

static int worktree_link_target(const struct source *s, const char *path, struct buf *target, struct error *err)
{
	char root[PATH_MAX], resolved[PATH_MAX];
	struct buf full = BUF_INIT;
	buf_printf(&full, "%s/%s", s->root.path, path);
	int found = realpath(s->root.path, root) && realpath(full.ptr, resolved);
	int e = errno;
	buf_release(&full);
	if (!found)
		return error_set(err, path, 0, 0, "%s", strerror(e));
	size_t n = strlen(root);
	if (strncmp(resolved, root, n) != 0 || resolved[n] != '/') {
		buf_add_str(target, resolved);
		return 1;
	}
	buf_add_str(target, resolved + n + 1);
	return 0;
}

/* The working tree names files by path only: their ids would cost reading them. */
static int worktree_blob(const struct source *s, const char *path, struct source_blob *out)
{
	(void)s;
	(void)path;
	(void)out;
	return 1;
}

static const struct source_ops worktree_ops = { worktree_list, worktree_kind, worktree_read, worktree_link_target,
						worktree_blob };

void source_worktree_open(struct source *s, int root_fd, const char *root_path)
{
	*s = (struct source){ &worktree_ops, "", NULL, { root_fd, root_path } };
}
