/* outdir: the rendered tree out/ and its hash manifest, out/.stamp-manifest.
 *
 * The manifest records stamp's version, the template set's hash, each customer's input
 * hash and every file stamp wrote, with its XXH3-128 hash and owner (a customer id, or
 * "-" for outputs over all customers). It is what makes a no-op render do nothing, finds
 * hand-edited files, and prunes the files of removed customers.
 *
 * Changes follow git's lockfile discipline: out/.stamp-manifest.lock is created
 * exclusively (a second render refuses to run), files are written to a temporary name
 * and renamed into place, and the new manifest is written to the lock file and renamed
 * over the old one last (not fsynced, like git's index: the tree is derived data, and
 * stamp render --force rebuilds it from the specs). A run that dies leaves old or new files, never half files, and
 * the next render repairs them (a file whose content is the new rendering is not taken
 * for a hand edit). struct outdir_manifest owns its strings; outdir_manifest_release()
 * frees them. */
#ifndef STAMP_OUTDIR_H
#define STAMP_OUTDIR_H

#include "hash.h"

#include <stddef.h>

struct buf;
struct error;
struct error_list;

#define OUTDIR "out"
#define OUTDIR_MANIFEST "out/.stamp-manifest"
#define OUTDIR_LOCK "out/.stamp-manifest.lock"

struct outdir_customer {
	char *id;
	struct hash input;
};

struct outdir_file {
	char *path;  /* under out/ */
	char *owner; /* customer id, or "-" */
	struct hash hash;
};

struct outdir_manifest {
	char *text;                        /* the file as read; the strings below point into it */
	char *version;
	struct hash set_hash;
	struct outdir_customer *customers; /* sorted by id */
	size_t customer_count;
	struct outdir_file *files;         /* sorted by path */
	size_t file_count;
};

/* A missing manifest reads as an empty one. */
int outdir_manifest_read(struct outdir_manifest *m, struct error *err);
/* The same from text (malloc'd; the manifest takes it), named `name` in errors. */
int outdir_manifest_parse(struct outdir_manifest *m, char *text, const char *name, struct error *err);
/* Sorts files by path and customers by id, when a hand-made manifest did not. */
void outdir_manifest_sort(struct outdir_manifest *m);
void outdir_manifest_release(struct outdir_manifest *m);
const struct outdir_customer *outdir_manifest_customer(const struct outdir_manifest *m, const char *id);
const struct outdir_file *outdir_manifest_file(const struct outdir_manifest *m, const char *path);
/* Sorts the lists and writes the manifest text. */
void outdir_manifest_format(struct outdir_manifest *m, struct buf *out);

int outdir_lock(struct error *err);
/* Writes text into the lock file and renames it over the manifest. */
int outdir_commit(const struct buf *text, struct error *err);
void outdir_unlock(void);

/* 0 and the hash when out/<path> is a regular file, 1 when it does not exist, -1 on error. */
int outdir_file_hash(const char *path, struct hash *out, struct error *err);
/* Writes out/<path>: a file that exists is replaced atomically (temporary name, then
 * rename); a new file is created in place, since there is nothing to protect and the
 * pending journal (below) names it. `dirs` remembers the directories already made. */
struct outdir_writer {
	char last_dir[4096];
};
int outdir_write(struct outdir_writer *w, const char *path, const char *data, size_t len, int is_new,
		 struct error *err);

/* The pending journal, out/.stamp-pending: the new files a render is about to create,
 * written before the first of them. If the render dies, the next one knows those files
 * are its own, not files someone put there. Removed when the manifest is committed. */
#define OUTDIR_PENDING "out/.stamp-pending"
int outdir_pending_write(const char *const *paths, size_t count, struct error *err);
/* 1 if path is in the journal a dead render left (the list is read once). */
int outdir_pending_has(const char *path);
void outdir_pending_clear(void);
/* What out/ holds on disk: every entry that is not a directory, in path order, without
 * stamp's own files (out/.stamp-*). The paths live in `text`. */
struct outdir_entry {
	const char *path;     /* under out/ */
	int regular;          /* 0: a symlink, FIFO, socket, device */
	long long mtime_ns;
};
struct outdir_scan {
	struct outdir_entry *entries;
	size_t count;
	size_t cap;
	char *text;
	size_t text_len;
	size_t text_cap;
	long long manifest_mtime_ns; /* -1: no manifest */
};
/* A missing out/ scans as empty. `threads` share the directories two levels down. */
int outdir_scan(struct outdir_scan *scan, int threads, struct error *err);
void outdir_scan_release(struct outdir_scan *scan);
/* 0 and the hash of out/<path>'s content; -1 when it cannot be read (err says why). */
int outdir_content_hash(const char *path, struct hash *out, struct error *err);

/* Adds "out/<path>: error: message" to errors. */
void outdir_report(struct error_list *errors, const char *path, const char *message);
/* Removes out/<path> and the directories it leaves empty. */
int outdir_remove(const char *path, struct error *err);

#endif
