/* out/ on disk, through descriptors. See outdir.h for the rules; here is how. */
#define _GNU_SOURCE /* syncfs, renameat2 */
#include "outdir.h"

#include "alloc.h"
#include "array.h"
#include "buf.h"
#include "error.h"
#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Errors here are about a path under out/: "out/<path>: error: ...". */
static int outdir_error(struct error *err, const char *path, const char *message)
{
	struct buf file = BUF_INIT;
	buf_printf(&file, "%s%s%s", OUTDIR, *path ? "/" : "", path);
	error_set(err, file.ptr, 0, 0, "%s", message);
	buf_release(&file);
	return -1;
}

void outdir_report(struct error_list *errors, const char *path, const char *message)
{
	struct error err = ERROR_INIT;
	outdir_error(&err, path, message);
	error_list_take(errors, &err);
}

/* "out/<path>: error: <what>: <strerror>" */
static int outdir_fail(struct error *err, const char *path, const char *what, int e)
{
	struct buf message = BUF_INIT;
	buf_printf(&message, "%s: %s", what, strerror(e));
	outdir_error(err, path, message.ptr);
	buf_release(&message);
	return error_environment(err);
}

static int outdir_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}


/* ---- opening and closing ------------------------------------------------------------ */

int outdir_open(struct outdir *od, int root_fd, struct error *err)
{
	memset(od, 0, sizeof *od);
	od->root_fd = root_fd;
	od->lock_fd = od->tmp_fd = -1;
	od->writer.fd = -1;
	od->lock_file.slot = od->tmp_dir.slot = od->current.slot = od->spare.slot = -1;
	od->exchange = 1;
	od->fd = openat(root_fd, OUTDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (od->fd >= 0 || errno == ENOENT)
		return 0;
	struct stat st;
	if ((errno == ELOOP || errno == ENOTDIR) && fstatat(root_fd, OUTDIR, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return outdir_error(err, "", "is a symbolic link; stamp writes only into a real directory: "
					    "replace it with one (rm out && mkdir out)");
		return outdir_error(err, "", "is not a directory; move it away, then run stamp render");
	}
	return outdir_fail(err, "", "cannot open the directory", errno);
}

void outdir_cursor_release(struct outdir_cursor *c)
{
	for (size_t i = 0; i < OUTDIR_CURSOR_KEPT; i++) {
		if (c->kept[i].used)
			close(c->kept[i].fd);
		c->kept[i].used = 0;
	}
	c->fd = -1;
	c->missing = 0;
	c->path[0] = 0;
}

static void outdir_release_lock(struct outdir *od)
{
	if (!od->locked)
		return;
	tempfile_forget(&od->current);
	tempfile_forget(&od->spare);
	if (od->tmp_fd >= 0) {
		unlinkat(od->tmp_fd, "manifest", 0);
		unlinkat(od->tmp_fd, "pending", 0);
		unlinkat(od->tmp_fd, "w", 0);
		close(od->tmp_fd);
		od->tmp_fd = -1;
	}
	/* also when it was made but could not be opened */
	unlinkat(od->fd, OUTDIR_TMP, AT_REMOVEDIR);
	tempfile_forget(&od->tmp_dir);
	unlinkat(od->fd, OUTDIR_LOCK, 0);
	tempfile_forget(&od->lock_file);
	close(od->lock_fd);
	od->lock_fd = -1;
	od->locked = 0;
	/* an out/ made only for the lock goes again when nothing was written */
	if (od->made && !od->wrote)
		unlinkat(od->root_fd, OUTDIR, AT_REMOVEDIR);
}

/* ---- writing back in the background ------------------------------------------------- */

/* Why: with nothing asking, the kernel writes dirty pages back after 30 s or past a
 * tenth of memory, so a render of a few hundred megabytes left all of them to its
 * closing syncfs() (1.0-1.5 s of a 10,000-customer cold render, the disk idle until
 * then). The thread runs one syncfs() per request, in order, and all that were asked
 * before it stops, so a render makes the same calls however the threads are scheduled.
 *
 * It has a descriptor of its own: syncfs() reports a writeback error once to each open
 * file description, so the closing call on od->fd sees every error since out/ was
 * opened, whatever this thread's calls returned. Its results are therefore not relied
 * upon: a failure only ends the thread, and an outdir whose thread could not start
 * (no descriptor, no thread under a limit) leaves everything to the closing call. */
struct outdir_writeback {
	pthread_mutex_t lock;
	pthread_cond_t asked_more;
	size_t asked, done;
	int stop, failed;
	int fd;
	struct pool pool;
};

static void outdir_writeback_main(void *arg, size_t worker)
{
	(void)worker;
	struct outdir_writeback *wb = arg;
	pthread_mutex_lock(&wb->lock);
	for (;;) {
		while (!wb->stop && wb->done == wb->asked)
			pthread_cond_wait(&wb->asked_more, &wb->lock);
		if (wb->done == wb->asked || wb->failed)
			break;
		pthread_mutex_unlock(&wb->lock);
		int rc = syncfs(wb->fd);
		pthread_mutex_lock(&wb->lock);
		wb->done++;
		if (rc < 0)
			wb->failed = 1;
	}
	pthread_mutex_unlock(&wb->lock);
}

/* The thread, started; NULL when it cannot be (no descriptor, no thread). */
static struct outdir_writeback *outdir_writeback_start(struct outdir *od)
{
	struct outdir_writeback *wb = alloc_check(calloc(1, sizeof *wb));
	wb->fd = openat(od->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int locked = wb->fd >= 0 && pthread_mutex_init(&wb->lock, NULL) == 0;
	int waits = locked && pthread_cond_init(&wb->asked_more, NULL) == 0;
	if (waits)
		pool_start(&wb->pool, 1, outdir_writeback_main, wb);
	if (waits && wb->pool.started)
		return wb;
	if (waits)
		pthread_cond_destroy(&wb->asked_more);
	if (locked)
		pthread_mutex_destroy(&wb->lock);
	if (wb->fd >= 0)
		close(wb->fd);
	free(wb);
	return NULL;
}

/* Called by the writer for every file written, when the files are many. */
static void outdir_writeback_count(struct outdir *od, size_t len)
{
	if (od->per_file_sync || !od->writeback_bytes)
		return;
	od->unflushed += len + 4096;
	if (od->unflushed < od->writeback_bytes)
		return;
	od->unflushed = 0;
	if (!od->writeback)
		od->writeback = outdir_writeback_start(od);
	struct outdir_writeback *wb = od->writeback;
	if (!wb) {
		od->writeback_bytes = 0; /* the closing syncfs does it all */
		return;
	}
	pthread_mutex_lock(&wb->lock);
	wb->asked++;
	pthread_cond_signal(&wb->asked_more);
	pthread_mutex_unlock(&wb->lock);
}

/* Waits for the requests made so far and ends the thread. */
static void outdir_writeback_stop(struct outdir *od)
{
	struct outdir_writeback *wb = od->writeback;
	if (!wb)
		return;
	pthread_mutex_lock(&wb->lock);
	wb->stop = 1;
	pthread_cond_signal(&wb->asked_more);
	pthread_mutex_unlock(&wb->lock);
	pool_join(&wb->pool);
	pthread_cond_destroy(&wb->asked_more);
	pthread_mutex_destroy(&wb->lock);
	close(wb->fd);
	free(wb);
	od->writeback = NULL;
}

void outdir_close(struct outdir *od)
{
	outdir_writeback_stop(od);
	outdir_cursor_release(&od->writer);
	outdir_release_lock(od);
	if (od->fd >= 0)
		close(od->fd);
	od->fd = -1;
	free(od->journal);
	free(od->journal_text);
	od->journal = NULL;
	od->journal_text = NULL;
	od->journal_count = 0;
	for (size_t i = 0; i < od->dirty_count; i++)
		free(od->dirty_dirs[i]);
	free(od->dirty_dirs);
	od->dirty_dirs = NULL;
	od->dirty_count = od->dirty_cap = 0;
}

void outdir_expect_writes(struct outdir *od, size_t count, size_t writeback_bytes)
{
	od->per_file_sync = count <= OUTDIR_FSYNC_FILES;
	od->writeback_bytes = writeback_bytes;
}

/* A directory whose entries changed, to be fsynced before the manifest names them. */
static void outdir_dirty(struct outdir *od, const char *dir, size_t len)
{
	if (!od->per_file_sync)
		return;
	for (size_t i = od->dirty_count; i-- > 0;)
		if (strlen(od->dirty_dirs[i]) == len && memcmp(od->dirty_dirs[i], dir, len) == 0)
			return;
	od->dirty_dirs = array_grow(od->dirty_dirs, &od->dirty_cap, od->dirty_count, sizeof *od->dirty_dirs, 16);
	char *copy = alloc_check(malloc(len + 1));
	memcpy(copy, dir, len);
	copy[len] = 0;
	od->dirty_dirs[od->dirty_count++] = copy;
}

/* ---- the lock ------------------------------------------------------------------------ */

/* The lock's content, "<pid> <host>", as "pid N on host H". */
static void outdir_holder(int fd, struct buf *holder)
{
	struct buf text = BUF_INIT;
	if (lseek(fd, 0, SEEK_SET) == 0 && buf_read_fd(&text, fd, 0) == 0 && text.len) {
		long pid = 0;
		char host[256] = "";
		if (sscanf(text.ptr, "%ld %255s", &pid, host) >= 1 && pid > 0) {
			buf_printf(holder, "pid %ld", pid);
			if (*host)
				buf_printf(holder, " on host %s", host);
		}
	}
	if (!holder->len)
		buf_add_str(holder, "an unknown process");
	buf_release(&text);
}

int outdir_lock_state(const struct outdir *od, struct buf *holder)
{
	if (od->fd < 0)
		return 0;
	int fd = openat(od->fd, OUTDIR_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* a shared lock is free exactly when no holder keeps its exclusive one */
	int alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	outdir_holder(fd, holder);
	close(fd);
	return alive ? 1 : 2;
}

/* A lock file that exists: reclaimed when its holder is gone, else an error. */
static int outdir_reclaim(struct outdir *od, struct error *err)
{
	int fd = openat(od->fd, OUTDIR_LOCK, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : outdir_fail(err, OUTDIR_LOCK, "cannot open the lock", errno);
	struct buf holder = BUF_INIT;
	outdir_holder(fd, &holder);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e != EWOULDBLOCK) {
			buf_release(&holder);
			return outdir_fail(err, OUTDIR_LOCK, "cannot lock", e);
		}
		struct buf message = BUF_INIT;
		buf_printf(&message, "is held by another stamp (%s); wait for it to finish, then run again", holder.ptr);
		outdir_error(err, OUTDIR_LOCK, message.ptr);
		buf_release(&message);
		buf_release(&holder);
		return -1;
	}
	/* nobody holds it: the file is the one we looked at, and its holder died */
	struct stat mine, there;
	int same = fstat(fd, &mine) == 0 && fstatat(od->fd, OUTDIR_LOCK, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
		   mine.st_ino == there.st_ino && mine.st_dev == there.st_dev;
	if (same && unlinkat(od->fd, OUTDIR_LOCK, 0) < 0 && errno != ENOENT) {
		int e = errno;
		close(fd);
		buf_release(&holder);
		return outdir_fail(err, OUTDIR_LOCK, "cannot remove the stale lock", e);
	}
	close(fd);
	snprintf(od->reclaimed, sizeof od->reclaimed, "%s", holder.ptr);
	buf_release(&holder);
	return 0;
}

/* out/.stamp-tmp, emptied of what a killed render left there. */
static int outdir_make_tmp(struct outdir *od, struct error *err)
{
	tempfile_create_begin();
	int made = mkdirat(od->fd, OUTDIR_TMP, 0777) == 0 || errno == EEXIST;
	int made_errno = errno;
	int watched = made && (od->tmp_dir.slot >= 0 || tempfile_watch(&od->tmp_dir, od->fd, OUTDIR_TMP, 1) == 0);
	tempfile_create_end();
	if (!made)
		return outdir_fail(err, OUTDIR_TMP, "cannot create the directory", made_errno);
	if (!watched)
		return outdir_error(err, OUTDIR_TMP, "cannot be watched for cleanup");
	od->tmp_fd = openat(od->fd, OUTDIR_TMP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (od->tmp_fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
		/* the name is stamp's, and stamp holds the lock: whatever else is there goes */
		if (unlinkat(od->fd, OUTDIR_TMP, 0) < 0 || mkdirat(od->fd, OUTDIR_TMP, 0777) < 0)
			return outdir_fail(err, OUTDIR_TMP, "cannot create the directory", errno);
		od->tmp_fd = openat(od->fd, OUTDIR_TMP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (od->tmp_fd < 0)
		return outdir_fail(err, OUTDIR_TMP, "cannot open the directory", errno);
	int fd = dup(od->tmp_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return outdir_fail(err, OUTDIR_TMP, "cannot read the directory", e);
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    unlinkat(od->tmp_fd, e->d_name, 0) < 0 && errno != ENOENT)
			rc = outdir_fail(err, OUTDIR_TMP, "cannot remove a leftover temporary", errno);
	closedir(d);
	return rc;
}

static int outdir_tmp(struct outdir *od, struct error *err)
{
	return od->tmp_fd >= 0 ? 0 : outdir_make_tmp(od, err);
}

int outdir_lock(struct outdir *od, struct error *err)
{
	if (od->fd < 0) {
		int made = mkdirat(od->root_fd, OUTDIR, 0777) == 0;
		if (!made && errno != EEXIST)
			return outdir_fail(err, "", "cannot create the directory", errno);
		if (outdir_open(od, od->root_fd, err) < 0)
			return -1;
		od->made = made && od->fd >= 0;
		if (od->fd < 0)
			return outdir_fail(err, "", "cannot open the directory", ENOENT);
	}
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) < 0)
		snprintf(host, sizeof host, "unknown");
	for (int attempt = 0;; attempt++) {
		tempfile_create_begin();
		od->lock_fd = openat(od->fd, OUTDIR_LOCK, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		int e = errno;
		int unwatched = od->lock_fd >= 0 && tempfile_watch(&od->lock_file, od->fd, OUTDIR_LOCK, 0) < 0;
		if (unwatched) {
			close(od->lock_fd);
			unlinkat(od->fd, OUTDIR_LOCK, 0);
			od->lock_fd = -1;
		}
		tempfile_create_end();
		if (unwatched)
			return outdir_error(err, OUTDIR_LOCK, "cannot be watched for cleanup");
		if (od->lock_fd >= 0)
			break;
		if (e != EEXIST || attempt > 0)
			return e == EEXIST
				? outdir_error(err, OUTDIR_LOCK, "is held by another stamp that just started; run "
					       "again")
				: outdir_fail(err, OUTDIR_LOCK, "cannot create the lock", e);
		if (outdir_reclaim(od, err) < 0)
			return -1;
	}
	od->locked = 1;
	struct buf line = BUF_INIT;
	buf_printf(&line, "%ld %s\n", (long)getpid(), host);
	int rc = 0;
	if (flock(od->lock_fd, LOCK_EX | LOCK_NB) < 0 || outdir_write_all(od->lock_fd, line.ptr, line.len) < 0)
		rc = outdir_fail(err, OUTDIR_LOCK, "cannot write the lock", errno);
	buf_release(&line);
	/* the temporary directory is made when first needed (a no-op render makes none);
	 * one a killed render left is emptied now */
	struct stat st;
	if (rc == 0 && fstatat(od->fd, OUTDIR_TMP, &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = outdir_make_tmp(od, err);
	if (rc == 0)
		rc = outdir_journal_load(od, err);
	if (rc < 0)
		outdir_release_lock(od);
	return rc;
}

/* ---- walking ------------------------------------------------------------------------- */

/* Keeps fd, the directory dir[0..len), in c, in the slot used longest ago (closing
 * the directory it held). */
static struct outdir_cursor_dir *outdir_cursor_keep(struct outdir_cursor *c, const char *dir, size_t len, int fd,
						    int made)
{
	struct outdir_cursor_dir *slot = &c->kept[0];
	for (size_t i = 1; i < OUTDIR_CURSOR_KEPT && slot->used; i++)
		if (!c->kept[i].used || c->kept[i].used < slot->used)
			slot = &c->kept[i];
	if (slot->used)
		close(slot->fd);
	memcpy(slot->path, dir, len);
	slot->path[len] = 0;
	slot->len = len;
	slot->fd = fd;
	slot->made = made;
	slot->used = ++c->clock;
	return slot;
}

/* Closes every kept directory but the one whose descriptor is `keep`: for a walk that
 * ran out of descriptors, which the kept ones must never cost. 1 when one was closed. */
static int outdir_cursor_shed(struct outdir_cursor *c, int keep)
{
	int shed = 0;
	for (size_t i = 0; i < OUTDIR_CURSOR_KEPT; i++)
		if (c->kept[i].used && c->kept[i].fd != keep) {
			close(c->kept[i].fd);
			c->kept[i].used = 0;
			shed = 1;
		}
	return shed;
}

/* Whether an open that failed with errno e is worth once more: it ran out of
 * descriptors, and c had directories kept beside `in_use`, now closed. */
static int outdir_cursor_retry(struct outdir_cursor *c, int in_use, int e)
{
	return (e == EMFILE || e == ENFILE) && outdir_cursor_shed(c, in_use);
}

/* openat() of a directory segment, once more when outdir_cursor_retry() says so. */
static int outdir_open_segment(struct outdir_cursor *c, int fd, const char *name)
{
	int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0 && outdir_cursor_retry(c, fd, errno))
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return next;
}

/* Opens the directory `dir` (len bytes of a path, "" for out/ itself) into c, one
 * segment at a time without following links, from the deepest directory c keeps that
 * holds it (each directory opened on the way is kept). 1 when a segment is missing
 * (and not created); -1 on error, with info->blocker set when a segment is a link or a
 * file. A kept directory is the one stamp opened, wherever it is now: as out/'s own
 * descriptor, held for the whole render, it is not looked up by name again. */
static int outdir_walk(const struct outdir *od, struct outdir_cursor *c, const char *dir, size_t len, int create,
		       int replace_links, char *blocker, struct error *err)
{
	if (c->fd >= 0 && strlen(c->path) == len && memcmp(c->path, dir, len) == 0)
		return 0;
	/* a cold render looks at 140,000 paths under a few missing directories: each look
	 * would be an openat that fails */
	if (c->missing && !create) {
		size_t gone = strlen(c->path);
		if (len >= gone && memcmp(c->path, dir, gone) == 0 && (len == gone || dir[gone] == '/'))
			return 1;
	}
	c->fd = -1;
	c->missing = 0;
	c->path[0] = 0;
	if (od->fd < 0)
		return 1;
	struct outdir_cursor_dir *from = NULL;
	for (size_t i = 0; i < OUTDIR_CURSOR_KEPT; i++) {
		struct outdir_cursor_dir *k = &c->kept[i];
		if (k->used && k->len <= len && (!from || k->len > from->len) && memcmp(k->path, dir, k->len) == 0 &&
		    (k->len == len || dir[k->len] == '/'))
			from = k;
	}
	int fd = od->fd, in_made = 0;
	size_t start = 0;
	if (from) {
		from->used = ++c->clock;
		fd = from->fd;
		in_made = from->made;
		start = from->len + 1;
	}
	while (start < len) {
		size_t end = start;
		while (end < len && dir[end] != '/')
			end++;
		char name[256];
		size_t n = end - start;
		if (n >= sizeof name)
			return outdir_error(err, "", "has a path segment longer than 255 bytes");
		memcpy(name, dir + start, n);
		name[n] = 0;
		/* in a directory this cursor made, a name is missing unless it made it too
		 * (or someone else did meanwhile: EEXIST, and the openat sees what it is) */
		int made = 0;
		int next = create && in_made ? -1 : outdir_open_segment(c, fd, name);
		if (create && (in_made || (next < 0 && errno == ENOENT))) {
			made = mkdirat(fd, name, 0777) == 0;
			if (!made && errno != EEXIST) {
				int e = errno;
				struct buf shown = BUF_INIT;
				buf_add(&shown, dir, end);
				outdir_fail(err, shown.ptr, "cannot create the directory", e);
				buf_release(&shown);
				return -1;
			}
			next = outdir_open_segment(c, fd, name);
		}
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR) && create && replace_links) {
			/* --force: the link (or file) in the way goes, not what it points to */
			if (unlinkat(fd, name, 0) == 0 && mkdirat(fd, name, 0777) == 0)
				next = outdir_open_segment(c, fd, name);
		}
		if (next < 0) {
			int e = errno;
			if (e == ENOENT) {
				memcpy(c->path, dir, end);
				c->path[end] = 0;
				c->missing = 1;
				return 1;
			}
			struct buf shown = BUF_INIT;
			buf_add(&shown, dir, end);
			if (e == ELOOP || e == ENOTDIR) {
				if (blocker)
					snprintf(blocker, OUTPATH_MAX + 1, "%s", shown.ptr);
				outdir_error(err, shown.ptr, "is a symbolic link or a file where stamp needs a directory; "
					     "stamp never writes through a link: remove it, or run stamp render --force to "
					     "replace it");
			} else {
				outdir_fail(err, shown.ptr, "cannot open the directory", e);
			}
			buf_release(&shown);
			return -1;
		}
		fd = outdir_cursor_keep(c, dir, end, next, made)->fd;
		in_made = made;
		start = end + 1;
	}
	memcpy(c->path, dir, len);
	c->path[len] = 0;
	c->fd = fd;
	return 0;
}

/* Takes the directory c walked to out of it: the caller closes the descriptor. */
static int outdir_cursor_take(const struct outdir *od, struct outdir_cursor *c)
{
	int fd = c->fd;
	c->fd = -1;
	c->path[0] = 0;
	for (size_t i = 0; i < OUTDIR_CURSOR_KEPT; i++)
		if (c->kept[i].used && c->kept[i].fd == fd) {
			c->kept[i].used = 0;
			return fd;
		}
	return fd == od->fd ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : fd;
}

/* The directory part of path, and its last segment. */
static size_t outdir_split(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	*name = slash ? slash + 1 : path;
	return slash ? (size_t)(slash - path) : 0;
}

static int outdir_check_path(const char *path, struct error *err)
{
	const char *problem = outpath_problem(path, strlen(path));
	if (!problem)
		return 0;
	struct buf shown = BUF_INIT;
	error_quote_value(&shown, path, strlen(path), 200);
	struct buf message = BUF_INIT;
	buf_printf(&message, "the path \"%s\" %s; stamp reads and writes only plain paths under out/", shown.ptr,
		   problem);
	error_set(err, OUTDIR, 0, 0, "%s", message.ptr);
	buf_release(&shown);
	buf_release(&message);
	return -1;
}

int outdir_stat(const struct outdir *od, struct outdir_cursor *c, const char *path, struct outdir_info *info,
		struct error *err)
{
	info->kind = OUTDIR_MISSING;
	info->mtime_ns = 0;
	info->blocker[0] = 0;
	if (outdir_check_path(path, err) < 0)
		return -1;
	const char *name;
	size_t dir_len = outdir_split(path, &name);
	struct error walk = ERROR_INIT;
	int rc = outdir_walk(od, c, path, dir_len, 0, 0, info->blocker, &walk);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		if (info->blocker[0]) {
			info->kind = OUTDIR_LINK_ABOVE;
			error_clear(&walk);
			return 0;
		}
		error_move(err, &walk);
		return -1;
	}
	struct stat st;
	if (fstatat(c->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return outdir_fail(err, path, "cannot read", errno);
	}
	info->kind = S_ISREG(st.st_mode) ? OUTDIR_REGULAR : OUTDIR_OTHER;
	info->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return 0;
}

/* Opens out/<path> for reading through c, without following a link; -1 (err) otherwise. */
static int outdir_open_read(const struct outdir *od, struct outdir_cursor *c, const char *path, struct error *err)
{
	if (outdir_check_path(path, err) < 0)
		return -1;
	const char *name;
	size_t dir_len = outdir_split(path, &name);
	int rc = outdir_walk(od, c, path, dir_len, 0, 0, NULL, err);
	if (rc == 1)
		return outdir_fail(err, path, "cannot read", ENOENT);
	if (rc < 0)
		return -1;
	/* O_NONBLOCK: a FIFO put there must not hang the read */
	int fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && outdir_cursor_retry(c, c->fd, errno))
		fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? outdir_fail(err, path, "cannot read", errno) : fd;
}

int outdir_read(const struct outdir *od, struct outdir_cursor *c, const char *path, struct buf *out,
		struct stat *st_out, struct error *err)
{
	int fd = outdir_open_read(od, c, path, err);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return outdir_fail(err, path, "cannot read", e);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return outdir_error(err, path, "is not a regular file");
	}
	buf_clear(out);
	int rc = buf_read_fd(out, fd, 0);
	int e = errno;
	/* the status after the read: what git's index needs to trust the file as read */
	if (rc == 0 && st_out && fstat(fd, st_out) < 0) {
		rc = -1;
		e = errno;
	}
	close(fd);
	return rc < 0 ? outdir_fail(err, path, "cannot read", e) : 0;
}

int outdir_hash(const struct outdir *od, struct outdir_cursor *c, const char *path, struct hash *out,
		struct error *err)
{
	struct buf data = BUF_INIT;
	int rc = outdir_read(od, c, path, &data, NULL, err);
	if (rc == 0)
		*out = hash_bytes(data.ptr ? data.ptr : "", data.len);
	buf_release(&data);
	return rc;
}

void outdir_prefetch(const struct outdir *od, struct outdir_cursor *c, const char *path)
{
	/* a failure here costs the write a wait, nothing else: the write reports its own */
	struct error ignored = ERROR_INIT;
	int fd = outdir_open_read(od, c, path, &ignored);
	error_clear(&ignored);
	if (fd < 0)
		return;
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED) != 0) {
		/* no read ahead: the write reads what it needs itself */
	}
	close(fd);
}

/* ---- writing ------------------------------------------------------------------------- */

/* Opens dirfd/name for writing, watched by tempfile.h while it is written (a signal
 * removes it). -1 with the errno in *e. */
static int outdir_open_watched(struct outdir *od, int dirfd, const char *name, int flags, int *e)
{
	tempfile_create_begin();
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0666);
	*e = errno;
	if (fd >= 0 && tempfile_watch(&od->current, dirfd, name, 0) < 0) {
		close(fd);
		unlinkat(dirfd, name, 0);
		fd = -1;
		*e = EMFILE;
	}
	tempfile_create_end();
	return fd;
}

/* Ends a write begun by outdir_open_watched(), whose writing returned rc: fsynced when
 * `durable`, closed; on failure the file is removed again and *e holds the errno. On
 * success it stays watched: the caller renames it or forgets it. */
static int outdir_close_watched(struct outdir *od, int dirfd, const char *name, int fd, int rc, int durable,
				int *e)
{
	if (rc == 0 && durable && fsync(fd) < 0) {
		rc = -1;
		*e = errno;
	}
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		*e = errno;
	}
	if (rc < 0) {
		unlinkat(dirfd, name, 0);
		tempfile_forget(&od->current);
	}
	return rc;
}

/* Writes data to dirfd/name, watched, fsynced when `durable` (see above). */
static int outdir_write_watched(struct outdir *od, int dirfd, const char *name, int flags, const char *data,
				size_t len, int durable, int *e)
{
	int fd = outdir_open_watched(od, dirfd, name, flags, e);
	if (fd < 0)
		return -1;
	int rc = outdir_write_all(fd, data, len);
	/* written over, not truncated first (flags 0): what was longer is cut after */
	off_t end = rc == 0 && !(flags & (O_EXCL | O_TRUNC)) ? lseek(fd, 0, SEEK_END) : 0;
	if (end < 0 || (end > 0 && (size_t)end > len && ftruncate(fd, (off_t)len) < 0))
		rc = -1;
	*e = errno;
	return outdir_close_watched(od, dirfd, name, fd, rc, durable, e);
}

/* Moves a watched temporary into place; it is no longer watched after. */
static int outdir_rename_watched(struct outdir *od, const char *name, int dirfd, const char *to, int *e)
{
	int rc = renameat(od->tmp_fd, name, dirfd, to);
	*e = errno;
	if (rc < 0)
		unlinkat(od->tmp_fd, name, 0);
	tempfile_forget(&od->current);
	return rc;
}

/* Puts the watched temporary "w" in the place of an existing file. Why not a plain
 * rename: that frees the replaced file's inode and the next temporary allocates one, and
 * ext4 without a journal passes over every inode freed in the last minutes to find a free
 * one, so replacing N files cost about N^2 (a template change at 100,000 customers ran
 * 57 times as long as at 10,000). Here the two names swap atomically (RENAME_EXCHANGE:
 * the path holds the old file or the new one, never neither), and "w" then holds the
 * replaced file, whose inode the next replacement truncates and writes: one inode for
 * the whole run. It is kept only when it is a regular file with no other name (a hard
 * link elsewhere must keep its bytes); a link or another file's name is dropped, as a
 * rename would drop it, and anything else is swapped back and renamed over, as before.
 * Where the filesystem cannot swap, every later replacement renames. */
static int outdir_replace_watched(struct outdir *od, int dirfd, const char *to, int *e)
{
	if (od->exchange) {
		if (renameat2(od->tmp_fd, "w", dirfd, to, RENAME_EXCHANGE) == 0) {
			struct stat st;
			int known = fstatat(od->tmp_fd, "w", &st, AT_SYMLINK_NOFOLLOW) == 0;
			if (known && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
			    tempfile_watch(&od->spare, od->tmp_fd, "w", 0) == 0) {
				tempfile_forget(&od->current);
				return 0;
			}
			if (known && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
				tempfile_forget(&od->current);
				if (unlinkat(od->tmp_fd, "w", 0) < 0) { /* the new file is in place */
					*e = errno;
					return -1;
				}
				return 0;
			}
			if (renameat2(dirfd, to, od->tmp_fd, "w", RENAME_EXCHANGE) < 0) {
				*e = errno;
				tempfile_forget(&od->current);
				return -1;
			}
		} else if (errno == EINVAL || errno == ENOSYS || errno == EPERM) {
			od->exchange = 0; /* not on this filesystem, or not allowed */
		} else if (errno != ENOENT) { /* ENOENT: nothing to swap with, so a rename */
			*e = errno;
			unlinkat(od->tmp_fd, "w", 0);
			tempfile_forget(&od->current);
			return -1;
		}
	}
	return outdir_rename_watched(od, "w", dirfd, to, e);
}

/* What every change under out/ checks first: the lock is held and the path is plain;
 * then the path's directory part and last segment. */
static int outdir_change_begin(const struct outdir *od, const char *path, const char **name, size_t *dir_len,
			       struct error *err)
{
	if (!od->locked)
		return outdir_error(err, path, "changed without the lock (a bug in stamp)");
	if (outdir_check_path(path, err) < 0)
		return -1;
	*dir_len = outdir_split(path, name);
	return 0;
}

int outdir_write(struct outdir *od, const char *path, const char *data, size_t len, int is_new,
		 struct error *err)
{
	const char *name = NULL;
	size_t dir_len = 0;
	if (outdir_change_begin(od, path, &name, &dir_len, err) < 0)
		return -1;
	if (outdir_walk(od, &od->writer, path, dir_len, 1, od->replace_links, NULL, err) != 0)
		return -1;
	int dir = od->writer.fd;
	od->wrote = 1;
	outdir_dirty(od, path, dir_len);
	outdir_writeback_count(od, len);
	int e;
	if (is_new) {
		int rc = outdir_write_watched(od, dir, name, O_EXCL, data, len, od->per_file_sync, &e);
		if (rc < 0 && outdir_cursor_retry(&od->writer, od->writer.fd, e))
			rc = outdir_write_watched(od, dir, name, O_EXCL, data, len, od->per_file_sync, &e);
		if (rc < 0)
			return outdir_fail(err, path, "cannot write", e);
		tempfile_forget(&od->current);
		return 0;
	}
	if (outdir_tmp(od, err) < 0)
		return -1;
	/* "w" may be the file the last replacement swapped out: written over in place and
	 * cut to length, watched as the temporary it is again. Not truncated to nothing
	 * first: on ext4 that frees its blocks (without a journal, on a disk mounted with
	 * discard, the writer waits for their discard) and makes close() start its
	 * writeback: 210 us a file in all. Content torn by a crash is no risk: a file is
	 * fsynced before its rename, or named in the journal before the render writes it,
	 * and the next render writes it again */
	int rc = outdir_write_watched(od, od->tmp_fd, "w", 0, data, len, od->per_file_sync, &e);
	if (rc < 0 && outdir_cursor_retry(&od->writer, od->writer.fd, e))
		rc = outdir_write_watched(od, od->tmp_fd, "w", 0, data, len, od->per_file_sync, &e);
	tempfile_forget(&od->spare);
	if (rc < 0 || outdir_replace_watched(od, dir, name, &e) < 0)
		return outdir_fail(err, path, "cannot write", e);
	return 0;
}

int outdir_remove(struct outdir *od, const char *path, struct error *err)
{
	const char *name = NULL;
	size_t dir_len = 0;
	if (outdir_change_begin(od, path, &name, &dir_len, err) < 0)
		return -1;
	int rc = outdir_walk(od, &od->writer, path, dir_len, 0, 0, NULL, err);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return -1;
	od->wrote = 1;
	outdir_dirty(od, path, dir_len);
	int absent = 0;
	if (unlinkat(od->writer.fd, name, 0) < 0) {
		if (errno != ENOENT)
			return outdir_fail(err, path, "cannot remove", errno);
		absent = 1;
	}
	/* the directories left empty go too, deepest first, up to out/ itself; a directory
	 * that is not empty stops it, any other failure is reported */
	while (dir_len) {
		size_t cut = dir_len;
		while (cut && path[cut - 1] != '/')
			cut--;
		char segment[256];
		snprintf(segment, sizeof segment, "%.*s", (int)(dir_len - cut), path + cut);
		int rc = outdir_walk(od, &od->writer, path, cut ? cut - 1 : 0, 0, 0, NULL, err);
		if (rc == 1)
			break;
		if (rc < 0)
			return -1;
		outdir_dirty(od, path, cut ? cut - 1 : 0);
		if (unlinkat(od->writer.fd, segment, AT_REMOVEDIR) < 0) {
			if (errno == ENOTEMPTY || errno == EEXIST)
				break;
			if (errno != ENOENT) {
				struct buf shown = BUF_INIT;
				buf_add(&shown, path, dir_len);
				outdir_fail(err, shown.ptr, "cannot remove the empty directory", errno);
				buf_release(&shown);
				return -1;
			}
		}
		dir_len = cut ? cut - 1 : 0;
	}
	outdir_cursor_release(&od->writer);
	return absent;
}

/* ---- the journal --------------------------------------------------------------------- */

static int outdir_compare_paths(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int outdir_journal_load(struct outdir *od, struct error *err)
{
	free(od->journal);
	free(od->journal_text);
	od->journal = NULL;
	od->journal_text = NULL;
	od->journal_count = 0;
	if (od->fd < 0)
		return 0;
	int fd = openat(od->fd, OUTDIR_PENDING, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : outdir_fail(err, OUTDIR_PENDING, "cannot read", errno);
	struct buf text = BUF_INIT;
	struct stat st;
	int rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? buf_read_fd(&text, fd, 0) : 0;
	int e = errno;
	close(fd);
	if (rc < 0) {
		buf_release(&text);
		return outdir_fail(err, OUTDIR_PENDING, "cannot read", e);
	}
	od->journal_text = buf_detach(&text, NULL);
	size_t cap = 0;
	/* a line that is not a plain path is ignored: the journal only ever adds trust to a
	 * path stamp would write anyway, never a path of its own */
	for (char *p = od->journal_text; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (!outpath_problem(p, strlen(p))) {
			od->journal = array_grow(od->journal, &cap, od->journal_count, sizeof *od->journal, 64);
			od->journal[od->journal_count++] = p;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (od->journal_count)
		qsort(od->journal, od->journal_count, sizeof *od->journal, outdir_compare_paths);
	return 0;
}

int outdir_journal_has(const struct outdir *od, const char *path)
{
	return od->journal_count &&
	       bsearch(&path, od->journal, od->journal_count, sizeof *od->journal, outdir_compare_paths) != NULL;
}

/* A file of the temporary directory written a piece at a time (each asks next() for
 * the text that follows), then fsynced: text of 13 MB is never held whole. */
static int outdir_write_pieces(struct outdir *od, const char *name, outdir_text_fn next, void *data, int *e)
{
	int fd = outdir_open_watched(od, od->tmp_fd, name, O_TRUNC, e);
	if (fd < 0)
		return -1;
	struct buf piece = BUF_INIT;
	int more = 1, rc = 0;
	while (more && rc == 0) {
		buf_clear(&piece);
		more = next(data, &piece);
		rc = outdir_write_all(fd, piece.ptr, piece.len);
		*e = errno;
	}
	buf_release(&piece);
	return outdir_close_watched(od, od->tmp_fd, name, fd, rc, 1, e);
}

/* The journal's lines, 256 KiB at a time: the paths found at lock time, then these. */
struct outdir_journal_text {
	const struct outdir *od;
	const char *const *paths;
	size_t count;
	size_t next; /* over the found paths, then the new ones */
};

static int outdir_journal_piece(void *data, struct buf *piece)
{
	struct outdir_journal_text *t = data;
	size_t total = t->od->journal_count + t->count;
	while (t->next < total && piece->len < 256 * 1024) {
		const char *path = t->next < t->od->journal_count ? t->od->journal[t->next]
							     : t->paths[t->next - t->od->journal_count];
		buf_add_str(piece, path);
		buf_add_char(piece, '\n');
		t->next++;
	}
	return t->next < total;
}

int outdir_journal_write(struct outdir *od, const char *const *paths, size_t count, struct error *err)
{
	int e = 0;
	int rc = outdir_tmp(od, err);
	if (rc < 0)
		return -1;
	struct outdir_journal_text text = { od, paths, count, 0 };
	rc = outdir_write_pieces(od, "pending", outdir_journal_piece, &text, &e);
	if (rc == 0)
		rc = outdir_rename_watched(od, "pending", od->fd, OUTDIR_PENDING, &e);
	if (rc == 0 && fsync(od->fd) < 0) { /* on disk before the first file it names */
		rc = -1;
		e = errno;
	}
	if (rc == 0)
		od->wrote = 1;
	return rc < 0 ? outdir_fail(err, OUTDIR_PENDING, "cannot write", e) : 0;
}

void outdir_abandon(struct outdir *od)
{
	struct error ignored = ERROR_INIT;
	/* the journal as the lock found it: a dead render's paths stay named */
	if (od->journal_count)
		outdir_journal_write(od, NULL, 0, &ignored);
	else if (od->fd >= 0)
		unlinkat(od->fd, OUTDIR_PENDING, 0);
	error_clear(&ignored);
	od->wrote = 0;
}

/* ---- the manifest -------------------------------------------------------------------- */

/* out/.stamp-manifest opened for reading, never through a link: 0 with *fd and its
 * status in *st, 1 no manifest, -1 (err). */
static int outdir_manifest_open(const struct outdir *od, int *fd_out, struct stat *st, struct error *err)
{
	if (od->fd < 0)
		return 1;
	int fd = openat(od->fd, ".stamp-manifest", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			return outdir_error(err, ".stamp-manifest", "is a symbolic link; the manifest is damaged: run "
					    "stamp render, which rebuilds it");
		return outdir_fail(err, ".stamp-manifest", "cannot read", errno);
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return outdir_error(err, ".stamp-manifest", "is not a regular file; the manifest is damaged: run "
				    "stamp render, which rebuilds it");
	}
	*fd_out = fd;
	return 0;
}

int outdir_manifest_read(const struct outdir *od, struct buf *text, struct stat *st_out, struct error *err)
{
	int fd = -1;
	struct stat st;
	int found = outdir_manifest_open(od, &fd, &st, err);
	if (found != 0)
		return found;
	int rc = buf_read_regular(text, fd, 0, (size_t)st.st_size);
	int e = errno;
	if (rc == 0 && st_out && fstat(fd, st_out) < 0) {
		rc = -1;
		e = errno;
	}
	close(fd);
	if (rc < 0)
		return outdir_fail(err, ".stamp-manifest", "cannot read", e);
	buf_add(text, "", 0);
	return 0;
}

int outdir_manifest_matches(const struct outdir *od, const char *text, size_t len, struct stat *st_out,
			    struct error *err)
{
	int fd = -1;
	struct stat st;
	int found = outdir_manifest_open(od, &fd, &st, err);
	if (found != 0)
		return found;
	/* a piece at a time: the manifest of 100,000 customers is 126 MB, which the caller
	 * already holds once */
	enum { PIECE = 1 << 20 };
	char *piece = alloc_check(malloc(PIECE));
	size_t at = 0;
	int same = (size_t)st.st_size == len, rc = 0;
	while (same) {
		ssize_t n = read(fd, piece, PIECE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > len - at || memcmp(piece, text + at, (size_t)n) != 0) {
			same = 0;
			break;
		}
		at += (size_t)n;
	}
	int e = errno;
	if (rc == 0 && same && at != len)
		same = 0;
	if (rc == 0 && same && st_out && fstat(fd, st_out) < 0) {
		rc = -1;
		e = errno;
	}
	free(piece);
	close(fd);
	if (rc < 0)
		return outdir_fail(err, ".stamp-manifest", "cannot read", e);
	return same ? 0 : 1;
}

int outdir_commit(struct outdir *od, outdir_text_fn next, void *data, struct error *err)
{
	/* every file written and every directory changed is on disk before the manifest
	 * that names them: the few files were fsynced as they were written, and their
	 * directories are now; for many, one syncfs measured far cheaper than an fsync
	 * per file */
	outdir_writeback_stop(od);
	if (od->per_file_sync) {
		struct outdir_cursor c = OUTDIR_CURSOR_INIT;
		for (size_t i = 0; i < od->dirty_count; i++) {
			const char *dir = od->dirty_dirs[i];
			int rc = outdir_walk(od, &c, dir, strlen(dir), 0, 0, NULL, err);
			if (rc == 1)
				continue; /* removed as it emptied: its parent is listed too */
			if (rc < 0 || fsync(c.fd) < 0) {
				if (rc == 0)
					outdir_fail(err, dir, "cannot flush to disk", errno);
				outdir_cursor_release(&c);
				return -1;
			}
		}
		outdir_cursor_release(&c);
	} else if (syncfs(od->fd) < 0) {
		return outdir_fail(err, "", "cannot flush to disk", errno);
	}
	int e;
	if (outdir_tmp(od, err) < 0)
		return -1;
	if (outdir_write_pieces(od, "manifest", next, data, &e) < 0 ||
	    outdir_rename_watched(od, "manifest", od->fd, ".stamp-manifest", &e) < 0)
		return outdir_fail(err, ".stamp-manifest", "cannot write", e);
	od->wrote = 1;
	od->committed = 1;
	if (unlinkat(od->fd, OUTDIR_PENDING, 0) < 0 && errno != ENOENT)
		return outdir_fail(err, OUTDIR_PENDING, "cannot remove", errno);
	if (fsync(od->fd) < 0)
		return outdir_fail(err, "", "cannot flush to disk", errno);
	outdir_release_lock(od);
	return 0;
}

/* ---- scanning ------------------------------------------------------------------------ */

/* Paths are kept as offsets into one growing text while scanning (it moves as it
 * grows), and turned into pointers at the end. */
static void outdir_scan_add(struct outdir_scan *scan, const char *dir, const char *name, int regular,
			    long long mtime_ns)
{
	size_t need = strlen(dir) + strlen(name) + 2;
	if (scan->text_len + need > scan->text_cap) {
		size_t cap = scan->text_cap ? scan->text_cap : 65536;
		while (scan->text_len + need > cap)
			cap *= 2;
		scan->text = alloc_check(realloc(scan->text, cap));
		scan->text_cap = cap;
	}
	int n = snprintf(scan->text + scan->text_len, need, "%s%s%s", dir, *dir ? "/" : "", name);
	scan->entries = array_grow(scan->entries, &scan->cap, scan->count, sizeof *scan->entries, 1024);
	scan->entries[scan->count++] = (struct outdir_entry){ (const char *)(uintptr_t)scan->text_len, regular,
							      mtime_ns };
	scan->text_len += (size_t)n + 1;
}

/* Directories two levels down (out/customers/<id>), left for the scan threads. */
struct outdir_deferred {
	char **dirs;
	size_t count;
	size_t cap;
};

/* Scans the directory fd (rel under out/; the function owns fd). */
static int outdir_scan_fd(struct outdir_scan *scan, int fd, const char *rel, struct outdir_deferred *defer,
			  struct error *err)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return outdir_fail(err, rel, "cannot read the directory", e);
	}
	struct dirent *e;
	int rc = 0;
	errno = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!*rel && strncmp(e->d_name, ".stamp-", 7) == 0)
			continue;
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) /* ENOENT: removed while we looked */
				rc = outdir_fail(err, rel, "cannot read the directory", errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct buf sub = BUF_INIT;
			buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
			if (defer && *rel && !strchr(rel, '/')) {
				defer->dirs = array_grow(defer->dirs, &defer->cap, defer->count, sizeof *defer->dirs, 256);
				defer->dirs[defer->count++] = buf_detach(&sub, NULL);
			} else {
				int sub_fd = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				rc = sub_fd < 0 ? outdir_fail(err, sub.ptr, "cannot read the directory", errno)
						: outdir_scan_fd(scan, sub_fd, sub.ptr, defer, err);
			}
			buf_release(&sub);
		} else {
			outdir_scan_add(scan, rel, e->d_name, S_ISREG(st.st_mode),
					(long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
		}
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = outdir_fail(err, rel, "cannot read the directory", errno);
	closedir(d);
	return rc;
}

static int outdir_compare_entry(const void *a, const void *b)
{
	return strcmp(((const struct outdir_entry *)a)->path, ((const struct outdir_entry *)b)->path);
}

struct outdir_scan_job {
	const struct outdir *od;
	struct outdir_deferred *deferred;
	size_t next;
	pthread_mutex_t lock;
	struct outdir_scan_part *parts;
};

struct outdir_scan_part {
	struct outdir_scan scan;
	struct error err;
	int rc;
};

static void outdir_scan_worker(void *arg, size_t worker)
{
	struct outdir_scan_job *job = arg;
	struct outdir_scan_part *part = &job->parts[worker];
	struct outdir_cursor c = OUTDIR_CURSOR_INIT; /* keeps their parents open */
	while (part->rc == 0) {
		pthread_mutex_lock(&job->lock);
		size_t i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->deferred->count)
			break;
		const char *dir = job->deferred->dirs[i];
		int rc = outdir_walk(job->od, &c, dir, strlen(dir), 0, 0, NULL, &part->err);
		if (rc == 1)
			continue; /* removed while we looked */
		if (rc < 0) {
			part->rc = -1;
			break;
		}
		int fd = outdir_cursor_take(job->od, &c);
		part->rc = fd < 0 ? outdir_fail(&part->err, dir, "cannot open the directory", errno)
				  : outdir_scan_fd(&part->scan, fd, dir, NULL, &part->err);
	}
	outdir_cursor_release(&c);
}

/* Moves part's entries into scan (offsets into part's text become offsets into scan's). */
static void outdir_scan_merge(struct outdir_scan *scan, struct outdir_scan *part)
{
	if (scan->text_len + part->text_len > scan->text_cap) {
		scan->text_cap = scan->text_len + part->text_len;
		scan->text = alloc_check(realloc(scan->text, scan->text_cap ? scan->text_cap : 1));
	}
	if (part->text_len)
		memcpy(scan->text + scan->text_len, part->text, part->text_len);
	for (size_t i = 0; i < part->count; i++) {
		struct outdir_entry e = part->entries[i];
		e.path = (const char *)((uintptr_t)e.path + scan->text_len);
		scan->entries = array_grow(scan->entries, &scan->cap, scan->count, sizeof *scan->entries, 1024);
		scan->entries[scan->count++] = e;
	}
	scan->text_len += part->text_len;
	outdir_scan_release(part);
}

int outdir_scan(const struct outdir *od, int threads, struct outdir_scan *scan, struct error *err)
{
	memset(scan, 0, sizeof *scan);
	if (od->fd < 0)
		return 0;
	struct outdir_deferred deferred = { NULL, 0, 0 };
	int top = dup(od->fd);
	int rc = top < 0 ? outdir_fail(err, "", "cannot read the directory", errno)
			 : outdir_scan_fd(scan, top, "", &deferred, err);
	size_t workers = threads < 1 ? 1 : (size_t)threads;
	if (workers > deferred.count)
		workers = deferred.count ? deferred.count : 1;
	struct outdir_scan_part *parts = alloc_check(calloc(workers, sizeof *parts));
	if (rc == 0) {
		struct outdir_scan_job job = { od, &deferred, 0, PTHREAD_MUTEX_INITIALIZER, parts };
		pool_run(workers, outdir_scan_worker, &job);
	}
	for (size_t t = 0; t < workers; t++) {
		if (parts[t].rc < 0 && rc == 0) {
			error_move(err, &parts[t].err);
			rc = -1;
		}
		error_clear(&parts[t].err);
		outdir_scan_merge(scan, &parts[t].scan);
	}
	for (size_t i = 0; i < deferred.count; i++)
		free(deferred.dirs[i]);
	free(deferred.dirs);
	free(parts);
	if (rc < 0) {
		outdir_scan_release(scan);
		return -1;
	}
	for (size_t i = 0; i < scan->count; i++)
		scan->entries[i].path = scan->text + (uintptr_t)scan->entries[i].path;
	if (scan->count)
		qsort(scan->entries, scan->count, sizeof *scan->entries, outdir_compare_entry);
	return 0;
}

void outdir_scan_release(struct outdir_scan *scan)
{
	free(scan->entries);
	free(scan->text);
	memset(scan, 0, sizeof *scan);
}
