/* out/ on disk: the manifest's text format, the lock, atomic writes, pruning.
 *
 * Manifest format, one record a line, sorted so that the file itself diffs well:
 *   stamp-manifest 1
 *   version <stamp version>
 *   set <hash>
 *   customer <id> <hash>
 *   file <hash> <owner> <path> */
#include "outdir.h"

#include "array.h"
#include "buf.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *outdir_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* Parses the manifest in place: fields are cut out of the text with NULs, so that a
 * manifest of 100,000 files costs one allocation for its strings. */
int outdir_manifest_read(struct outdir_manifest *m, struct error *err)
{
	memset(m, 0, sizeof *m);
	struct buf text = BUF_INIT;
	if (buf_read_file(&text, OUTDIR_MANIFEST, 0) < 0) {
		int e = errno;
		buf_release(&text);
		if (e == ENOENT)
			return 0;
		return error_set(err, OUTDIR_MANIFEST, 0, 0, "cannot read: %s", strerror(e));
	}
	return outdir_manifest_parse(m, buf_detach(&text, NULL), OUTDIR_MANIFEST, err);
}

int outdir_manifest_parse(struct outdir_manifest *m, char *text, const char *name, struct error *err)
{
	memset(m, 0, sizeof *m);
	m->text = text;
	size_t lines = 0;
	for (const char *c = m->text; *c; c++)
		lines += *c == '\n';
	m->customers = malloc((lines + 1) * sizeof *m->customers);
	m->files = malloc((lines + 1) * sizeof *m->files);
	if (!m->customers || !m->files)
		abort();
	unsigned line = 0;
	char *p = m->text;
	int rc = 0;
	while (*p && rc == 0) {
		char *e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		int last = *e == 0;
		*e = 0;
		line++;
		size_t n = (size_t)(e - p);
		if (line == 1) {
			if (strcmp(p, "stamp-manifest 1") != 0)
				rc = error_set(err, name, 1, 1, "not a stamp manifest (or a newer "
					       "format); remove it and run stamp render --force");
		} else if (n > 8 && memcmp(p, "version ", 8) == 0) {
			m->version = p + 8;
		} else if (n == 4 + HASH_HEX_LEN && memcmp(p, "set ", 4) == 0) {
			rc = hash_parse(p + 4, HASH_HEX_LEN, &m->set_hash);
		} else if (n > 9 + HASH_HEX_LEN + 1 && memcmp(p, "customer ", 9) == 0) {
			struct outdir_customer *c = &m->customers[m->customer_count++];
			char *hash = e - HASH_HEX_LEN;
			hash[-1] = 0;
			c->id = p + 9;
			rc = hash_parse(hash, HASH_HEX_LEN, &c->input);
		} else if (n > 5 + HASH_HEX_LEN + 2 && memcmp(p, "file ", 5) == 0 && p[5 + HASH_HEX_LEN] == ' ') {
			struct outdir_file *f = &m->files[m->file_count++];
			char *owner = p + 5 + HASH_HEX_LEN + 1;
			char *space = strchr(owner, ' ');
			rc = hash_parse(p + 5, HASH_HEX_LEN, &f->hash);
			if (!space) {
				rc = -1;
			} else {
				*space = 0;
				f->owner = owner;
				f->path = space + 1;
			}
		} else if (n) {
			rc = -1;
		}
		if (rc < 0 && !err->message)
			error_set(err, name, line, 1, "unreadable line; the manifest is damaged: "
				  "remove it and run stamp render --force");
		if (last)
			break;
		p = e + 1;
	}
	if (rc < 0)
		outdir_manifest_release(m);
	return rc;
}

static int outdir_compare_customers(const void *a, const void *b)
{
	return strcmp(((const struct outdir_customer *)a)->id, ((const struct outdir_customer *)b)->id);
}

static int outdir_compare_files(const void *a, const void *b)
{
	return strcmp(((const struct outdir_file *)a)->path, ((const struct outdir_file *)b)->path);
}

void outdir_manifest_sort(struct outdir_manifest *m)
{
	for (size_t i = 1; i < m->file_count; i++) {
		if (strcmp(m->files[i - 1].path, m->files[i].path) > 0) {
			qsort(m->files, m->file_count, sizeof *m->files, outdir_compare_files);
			break;
		}
	}
	for (size_t i = 1; i < m->customer_count; i++) {
		if (strcmp(m->customers[i - 1].id, m->customers[i].id) > 0) {
			qsort(m->customers, m->customer_count, sizeof *m->customers, outdir_compare_customers);
			break;
		}
	}
}

void outdir_manifest_release(struct outdir_manifest *m)
{
	free(m->customers);
	free(m->files);
	free(m->text);
	memset(m, 0, sizeof *m);
}

const struct outdir_customer *outdir_manifest_customer(const struct outdir_manifest *m, const char *id)
{
	struct outdir_customer key = { (char *)id, { 0, 0 } };
	if (!m->customer_count)
		return NULL;
	return bsearch(&key, m->customers, m->customer_count, sizeof key, outdir_compare_customers);
}

const struct outdir_file *outdir_manifest_file(const struct outdir_manifest *m, const char *path)
{
	struct outdir_file key = { (char *)path, NULL, { 0, 0 } };
	if (!m->file_count)
		return NULL;
	return bsearch(&key, m->files, m->file_count, sizeof key, outdir_compare_files);
}

void outdir_manifest_format(struct outdir_manifest *m, struct buf *out)
{
	outdir_manifest_sort(m); /* a plan is in order already: then this only looks */
	char hex[HASH_HEX_LEN + 1];
	buf_add_str(out, "stamp-manifest 1\n");
	buf_printf(out, "version %s\n", m->version ? m->version : "");
	hash_hex(m->set_hash, hex);
	buf_printf(out, "set %s\n", hex);
	for (size_t i = 0; i < m->customer_count; i++) {
		hash_hex(m->customers[i].input, hex);
		buf_add_str(out, "customer ");
		buf_add_str(out, m->customers[i].id);
		buf_add_char(out, ' ');
		buf_add(out, hex, HASH_HEX_LEN);
		buf_add_char(out, '\n');
	}
	for (size_t i = 0; i < m->file_count; i++) {
		hash_hex(m->files[i].hash, hex);
		buf_add_str(out, "file ");
		buf_add(out, hex, HASH_HEX_LEN);
		buf_add_char(out, ' ');
		buf_add_str(out, m->files[i].owner);
		buf_add_char(out, ' ');
		buf_add_str(out, m->files[i].path);
		buf_add_char(out, '\n');
	}
}

/* out/ made only to hold the lock is removed again if the render wrote nothing. */
static int outdir_made;

int outdir_lock(struct error *err)
{
	outdir_made = mkdir(OUTDIR, 0777) == 0;
	if (!outdir_made && errno != EEXIST)
		return error_set(err, OUTDIR, 0, 0, "cannot create the directory: %s", strerror(errno));
	int fd = open(OUTDIR_LOCK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			return error_set(err, OUTDIR_LOCK, 0, 0, "exists: another stamp render is running, or "
					 "one was killed; if none is running, remove the file and run again");
		return error_set(err, OUTDIR_LOCK, 0, 0, "cannot create: %s", strerror(errno));
	}
	close(fd);
	return 0;
}

void outdir_unlock(void)
{
	unlink(OUTDIR_LOCK);
	if (outdir_made)
		rmdir(OUTDIR); /* fails, as it should, once anything was written */
}

static int outdir_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int outdir_commit(const struct buf *text, struct error *err)
{
	int fd = open(OUTDIR_LOCK, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || outdir_write_all(fd, text->ptr, text->len) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return error_set(err, OUTDIR_LOCK, 0, 0, "cannot write: %s", strerror(e));
	}
	close(fd);
	if (rename(OUTDIR_LOCK, OUTDIR_MANIFEST) < 0)
		return error_set(err, OUTDIR_MANIFEST, 0, 0, "cannot replace: %s", strerror(errno));
	return 0;
}

int outdir_file_hash(const char *path, struct hash *out, struct error *err)
{
	struct buf full = BUF_INIT, data = BUF_INIT;
	buf_printf(&full, OUTDIR "/%s", path);
	struct stat st;
	int rc;
	if (lstat(full.ptr, &st) < 0) {
		rc = errno == ENOENT ? 1 : error_set(err, full.ptr, 0, 0, "cannot read: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = error_set(err, full.ptr, 0, 0, "is not a regular file; out/ holds only rendered files");
	} else if (buf_read_file(&data, full.ptr, 0) < 0) {
		rc = error_set(err, full.ptr, 0, 0, "cannot read: %s", strerror(errno));
	} else {
		*out = hash_bytes(data.ptr, data.len);
		rc = 0;
	}
	buf_release(&full);
	buf_release(&data);
	return rc;
}

/* mkdir -p of the directories above out/<path>. */
static int outdir_make_parents(const char *full, struct error *err)
{
	char *copy = outdir_strndup(full, strlen(full));
	for (char *p = copy + strlen(OUTDIR) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
			int e = errno;
			error_set(err, copy, 0, 0, "cannot create the directory: %s", strerror(e));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

int outdir_write(struct outdir_writer *w, const char *path, const char *data, size_t len, int is_new,
		 struct error *err)
{
	struct buf full = BUF_INIT, temp = BUF_INIT;
	buf_printf(&full, OUTDIR "/%s", path);
	int rc = 0;
	const char *slash = strrchr(full.ptr, '/');
	size_t dir_len = (size_t)(slash - full.ptr);
	if (dir_len >= sizeof w->last_dir || strlen(w->last_dir) != dir_len ||
	    memcmp(w->last_dir, full.ptr, dir_len) != 0) {
		rc = outdir_make_parents(full.ptr, err);
		if (rc == 0 && dir_len < sizeof w->last_dir) {
			memcpy(w->last_dir, full.ptr, dir_len);
			w->last_dir[dir_len] = 0;
		}
	}
	if (rc == 0 && is_new) {
		int fd = open(full.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0 || outdir_write_all(fd, data, len) < 0 || close(fd) < 0)
			rc = error_set(err, full.ptr, 0, 0, "cannot write: %s", strerror(errno));
	} else if (rc == 0) {
		buf_printf(&temp, "%s.stamp-tmp", full.ptr);
		int fd = open(temp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0 || outdir_write_all(fd, data, len) < 0 || close(fd) < 0) {
			rc = error_set(err, full.ptr, 0, 0, "cannot write: %s", strerror(errno));
			unlink(temp.ptr);
		} else if (rename(temp.ptr, full.ptr) < 0) {
			rc = error_set(err, full.ptr, 0, 0, "cannot replace: %s", strerror(errno));
			unlink(temp.ptr);
		}
	}
	buf_release(&full);
	buf_release(&temp);
	return rc;
}

int outdir_pending_write(const char *const *paths, size_t count, struct error *err)
{
	struct buf text = BUF_INIT;
	for (size_t i = 0; i < count; i++) {
		buf_add_str(&text, paths[i]);
		buf_add_char(&text, '\n');
	}
	int fd = open(OUTDIR_PENDING, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int rc = 0;
	if (fd < 0 || outdir_write_all(fd, text.ptr ? text.ptr : "", text.len) < 0 || close(fd) < 0)
		rc = error_set(err, OUTDIR_PENDING, 0, 0, "cannot write: %s", strerror(errno));
	buf_release(&text);
	return rc;
}

static struct buf outdir_pending_text;
static int outdir_pending_loaded;

int outdir_pending_has(const char *path)
{
	if (!outdir_pending_loaded) {
		outdir_pending_loaded = 1;
		if (buf_read_file(&outdir_pending_text, OUTDIR_PENDING, 0) < 0)
			buf_release(&outdir_pending_text);
	}
	if (!outdir_pending_text.len)
		return 0;
	size_t n = strlen(path);
	for (const char *p = outdir_pending_text.ptr; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && memcmp(p, path, n) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

void outdir_pending_clear(void)
{
	unlink(OUTDIR_PENDING);
	buf_release(&outdir_pending_text);
	outdir_pending_loaded = 0;
}

int outdir_remove(const char *path, struct error *err)
{
	struct buf full = BUF_INIT;
	buf_printf(&full, OUTDIR "/%s", path);
	int rc = 0;
	if (unlink(full.ptr) < 0 && errno != ENOENT)
		rc = error_set(err, full.ptr, 0, 0, "cannot remove: %s", strerror(errno));
	/* directories left empty go too, up to out/ itself */
	char *slash;
	while (rc == 0 && (slash = strrchr(full.ptr, '/')) && (size_t)(slash - full.ptr) > strlen(OUTDIR)) {
		*slash = 0;
		if (rmdir(full.ptr) < 0)
			break;
	}
	buf_release(&full);
	return rc;
}

void outdir_report(struct error_list *errors, const char *path, const char *message)
{
	struct error err = ERROR_INIT;
	struct buf file = BUF_INIT;
	buf_printf(&file, OUTDIR "/%s", path);
	error_set(&err, file.ptr, 0, 0, "%s", message);
	error_list_take(errors, &err);
	buf_release(&file);
}

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
		scan->text = realloc(scan->text, cap);
		if (!scan->text)
			abort();
		scan->text_cap = cap;
	}
	int n = sprintf(scan->text + scan->text_len, "%s%s%s", dir, *dir ? "/" : "", name);
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

static int outdir_scan_dir(struct outdir_scan *scan, int parent, const char *name, const char *rel,
			   struct outdir_deferred *defer, struct error *err)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (!*rel && e == ENOENT)
			return 0;
		return error_set(err, *rel ? rel : OUTDIR, 0, 0, "cannot read the directory: %s", strerror(e));
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!*rel && strncmp(e->d_name, ".stamp-", 7) == 0)
			continue;
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed while we looked */
		if (S_ISDIR(st.st_mode)) {
			struct buf sub = BUF_INIT;
			buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
			if (defer && *rel && !strchr(rel, '/')) {
				defer->dirs = array_grow(defer->dirs, &defer->cap, defer->count, sizeof *defer->dirs, 256);
				defer->dirs[defer->count++] = buf_detach(&sub, NULL);
			} else {
				rc = outdir_scan_dir(scan, fd, e->d_name, sub.ptr, defer, err);
			}
			buf_release(&sub);
		} else {
			outdir_scan_add(scan, rel, e->d_name, S_ISREG(st.st_mode),
					(long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
		}
	}
	closedir(d);
	return rc;
}

static int outdir_compare_entry(const void *a, const void *b)
{
	return strcmp(((const struct outdir_entry *)a)->path, ((const struct outdir_entry *)b)->path);
}

struct outdir_scan_part {
	struct outdir_deferred *deferred;
	size_t first, step;
	struct outdir_scan scan;
	struct error err;
	int rc;
};

static void *outdir_scan_part_main(void *arg)
{
	struct outdir_scan_part *part = arg;
	for (size_t i = part->first; i < part->deferred->count && part->rc == 0; i += part->step) {
		struct buf path = BUF_INIT;
		buf_printf(&path, OUTDIR "/%s", part->deferred->dirs[i]);
		part->rc = outdir_scan_dir(&part->scan, AT_FDCWD, path.ptr, part->deferred->dirs[i], NULL, &part->err);
		buf_release(&path);
	}
	return NULL;
}

/* Moves part's entries into scan (offsets into part's text become offsets into scan's). */
static void outdir_scan_merge(struct outdir_scan *scan, struct outdir_scan *part)
{
	if (scan->text_len + part->text_len > scan->text_cap) {
		scan->text_cap = scan->text_len + part->text_len;
		scan->text = realloc(scan->text, scan->text_cap ? scan->text_cap : 1);
		if (!scan->text)
			abort();
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

int outdir_scan(struct outdir_scan *scan, int threads, struct error *err)
{
	memset(scan, 0, sizeof *scan);
	struct stat st;
	scan->manifest_mtime_ns = lstat(OUTDIR_MANIFEST, &st) == 0
		? (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : -1;
	struct outdir_deferred deferred = { NULL, 0, 0 };
	int rc = outdir_scan_dir(scan, AT_FDCWD, OUTDIR, "", &deferred, err);
	if (threads < 1)
		threads = 1;
	if ((size_t)threads > deferred.count)
		threads = deferred.count ? (int)deferred.count : 1;
	struct outdir_scan_part *parts = calloc((size_t)threads, sizeof *parts);
	pthread_t *ids = calloc((size_t)threads, sizeof *ids);
	if (!parts || !ids)
		abort();
	for (int t = 0; t < threads && rc == 0; t++) {
		parts[t] = (struct outdir_scan_part){ &deferred, (size_t)t, (size_t)threads, { 0 }, ERROR_INIT, 0 };
		if (t > 0)
			pthread_create(&ids[t], NULL, outdir_scan_part_main, &parts[t]);
	}
	if (rc == 0) {
		outdir_scan_part_main(&parts[0]);
		for (int t = 1; t < threads; t++)
			pthread_join(ids[t], NULL);
		for (int t = 0; t < threads; t++) {
			if (parts[t].rc < 0 && rc == 0) {
				error_move(err, &parts[t].err);
				rc = -1;
			}
			error_clear(&parts[t].err);
			outdir_scan_merge(scan, &parts[t].scan);
		}
	}
	for (size_t i = 0; i < deferred.count; i++)
		free(deferred.dirs[i]);
	free(deferred.dirs);
	free(parts);
	free(ids);
	if (rc < 0)
		return -1;
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

int outdir_content_hash(const char *path, struct hash *out, struct error *err)
{
	struct buf full = BUF_INIT, data = BUF_INIT;
	buf_printf(&full, OUTDIR "/%s", path);
	int rc = 0;
	if (buf_read_file(&data, full.ptr, 0) < 0)
		rc = error_set(err, full.ptr, 0, 0, "cannot read: %s", strerror(errno));
	else
		*out = hash_bytes(data.ptr, data.len);
	buf_release(&full);
	buf_release(&data);
	return rc;
}
