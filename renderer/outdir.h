/* outdir: the one handle through which stamp touches out/.
 *
 * An outdir holds a directory descriptor for out/ (opened with O_NOFOLLOW: out/ itself
 * being a symbolic link is refused), the lock, the temporary directory and the pending
 * journal. Every read, write and delete below out/ goes through it: paths are checked
 * against the out/ path rule (outpath.h) and walked one segment at a time with openat()
 * and O_NOFOLLOW relative to that descriptor, so nothing is ever read, written,
 * truncated or removed through a symbolic link or outside out/, whatever a manifest
 * says or a concurrent process does (a link met on the way is an error naming it).
 *
 * The lock, out/.stamp-manifest.lock, is created exclusively, holds the holder's PID
 * and host, and carries an flock() for the holder's lifetime: a lock nobody holds any
 * more (its process died) is reclaimed by the next outdir_lock(), which says so. While
 * locked, temporaries live in out/.stamp-tmp; the lock, the temporary directory and the
 * file being written are watched by tempfile.h, so a signal or an allocation failure
 * removes them.
 *
 * Writing: a file that exists is replaced by writing a temporary and renaming it into
 * place; a new file is created in place (O_EXCL). The pending journal
 * (out/.stamp-pending) names every path first, so that a render that dies leaves files
 * the next one knows are its own, whatever state they are in. Durability: before the new manifest is renamed into place,
 * every file written and directory changed is on disk (an fsync each for a few files,
 * one syncfs of out/'s filesystem for many); the manifest and out/ itself after.
 *
 * No global state: everything is in struct outdir, owned by its caller; outdir_close()
 * releases the descriptors and, when still locked, removes the lock and temporaries.
 * A struct outdir_cursor caches the last directory walked; one per thread. */
#ifndef STAMP_OUTDIR_H
#define STAMP_OUTDIR_H

#include "hash.h"
#include "outpath.h"
#include "tempfile.h"

#include <stddef.h>

#include <sys/stat.h>

struct buf;
struct error;
struct outdir_writeback;
struct error_list;

#define OUTDIR "out"
#define OUTDIR_LOCK ".stamp-manifest.lock"
#define OUTDIR_PENDING ".stamp-pending"
#define OUTDIR_TMP ".stamp-tmp"

/* The directories a cursor keeps open: a walk starts from the deepest one that holds
 * its target, so going back and forth between out/apps/ and out/customers/<id>/ costs
 * no system call, and a new customer's directory one mkdirat and one openat (no look
 * first in a directory the cursor made). */
#define OUTDIR_CURSOR_KEPT 4

struct outdir_cursor_dir {
	char path[OUTPATH_MAX + 1];
	size_t len;
	int fd;
	int made;                   /* this cursor created it: what is in it, it made */
	unsigned long used;         /* when last walked to or through; 0: the slot is free */
};

struct outdir_cursor {
	char path[OUTPATH_MAX + 1]; /* the directory whose descriptor is fd; "" is out/ */
	int fd;                     /* -1: none; else out/'s or a kept one's (not owned) */
	int missing;                /* fd is -1 and path is a directory found missing: a look
				     * below it needs no system call until this cursor creates
				     * one (a cursor that looks while another writes must not
				     * outlive the pass) */
	struct outdir_cursor_dir kept[OUTDIR_CURSOR_KEPT]; /* owned: closed on release */
	unsigned long clock;
};

#define OUTDIR_CURSOR_INIT { "", -1, 0, { { "", 0, -1, 0, 0 } }, 0 }

struct outdir {
	int root_fd;            /* the stamp repository; not owned */
	int fd;                 /* out/, or -1 when it does not exist */
	int made;               /* out/ was created to hold the lock */
	int locked;
	int lock_fd;            /* holds the flock */
	int tmp_fd;             /* out/.stamp-tmp, made while locked when first needed */
	int replace_links;      /* --force: a link or file in the way of a directory is removed */
	int wrote;              /* something under out/ changed */
	int committed;          /* the new manifest is in place: nothing may be undone */
	struct tempfile lock_file, tmp_dir, current;
	struct tempfile spare;  /* out/.stamp-tmp/w between replacements: the file the last
				 * one swapped out, whose inode the next one reuses */
	int exchange;           /* replacements swap names (renameat2 RENAME_EXCHANGE) */
	struct outdir_cursor writer;
	char *journal_text;     /* the journal found at lock time, one path a line */
	const char **journal;   /* its valid paths, sorted */
	size_t journal_count;
	char reclaimed[256];    /* the holder of a stale lock reclaimed, or "" */
	int per_file_sync;      /* few files: each fsynced, and the directories they changed */
	size_t unflushed;       /* many files: bytes written since the last writeback was asked */
	size_t writeback_bytes; /* ask one each time this many more were written (0: never,
				 * as when the thread could not start) */
	struct outdir_writeback *writeback; /* its thread, started with the first (NULL: none) */
	char **dirty_dirs;      /* per_file_sync: directories to fsync before the manifest */
	size_t dirty_count, dirty_cap;
};

/* Up to this many files written, each is fsynced with the directories it changed;
 * beyond, one syncfs() of out/'s filesystem is cheaper (make bench measures both). */
#define OUTDIR_FSYNC_FILES 64
/* Beyond it, each time about this many bytes more were written, a thread of the outdir
 * asks the filesystem to write back what was written so far, so the disk works while
 * the writer creates and the closing syncfs() waits only for the tail. A file counts
 * its length and a block for its inode and directory entry. */
#define OUTDIR_WRITEBACK_BYTES (16u << 20)

/* Opens out/ under root_fd (a missing out/ is fine: fd stays -1). -1 when out/ is a
 * symbolic link or cannot be opened. */
int outdir_open(struct outdir *od, int root_fd, struct error *err);
/* Removes the lock and temporaries if still held, closes everything. */
void outdir_close(struct outdir *od);

/* Takes the lock (creating out/ if needed) and the temporary directory; reads the
 * journal a dead render left. -1 when another stamp holds the lock (err names it). */
int outdir_lock(struct outdir *od, struct error *err);
/* For check: 0 no lock; 1 held by a live stamp, 2 left by a dead one; holder says whose. */
int outdir_lock_state(const struct outdir *od, struct buf *holder);

/* What a path under out/ is, without following links. */
enum outdir_kind {
	OUTDIR_MISSING,
	OUTDIR_REGULAR,
	OUTDIR_OTHER,      /* a symbolic link, directory, FIFO, socket or device */
	OUTDIR_LINK_ABOVE, /* a directory on the way is a link or not a directory */
};
struct outdir_info {
	enum outdir_kind kind;
	long long mtime_ns;
	char blocker[OUTPATH_MAX + 1]; /* OUTDIR_LINK_ABOVE: the segment in the way */
};
int outdir_stat(const struct outdir *od, struct outdir_cursor *c, const char *path, struct outdir_info *info,
		struct error *err);
/* Reads out/<path>, a regular file; -1 otherwise (err says why). st, when given, gets
 * the file's status as of the read (from the descriptor read), for git's index. */
int outdir_read(const struct outdir *od, struct outdir_cursor *c, const char *path, struct buf *out,
		struct stat *st, struct error *err);
int outdir_hash(const struct outdir *od, struct outdir_cursor *c, const char *path, struct hash *out,
		struct error *err);
/* Asks the kernel to read out/<path> into the page cache, without waiting: a file a
 * replacement will write over (outdir_write() reuses each replaced file's inode, and a
 * partial block written over one that is not cached is read first, by the writer).
 * Advice only: a file it cannot open is left to the write that needs it. */
void outdir_prefetch(const struct outdir *od, struct outdir_cursor *c, const char *path);
void outdir_cursor_release(struct outdir_cursor *c);

/* Says how many files the render will write and remove, which picks how they are made
 * durable (see OUTDIR_FSYNC_FILES), and after how many bytes written a writeback is
 * asked in the background (OUTDIR_WRITEBACK_BYTES). */
void outdir_expect_writes(struct outdir *od, size_t count, size_t writeback_bytes);
/* Writes out/<path> (locked): create in place (is_new) or replace through a temporary. */
int outdir_write(struct outdir *od, const char *path, const char *data, size_t len, int is_new,
		 struct error *err);
/* Removes out/<path> and the directories it leaves empty (locked): 0 removed, 1 it was
 * not there (its empty directories still go), -1 on failure. */
int outdir_remove(struct outdir *od, const char *path, struct error *err);

/* The pending journal: written before the first file is written; holds the paths the
 * render writes and those of the journal found at lock time. */
int outdir_journal_write(struct outdir *od, const char *const *paths, size_t count, struct error *err);
int outdir_journal_has(const struct outdir *od, const char *path);
/* Reads the journal without the lock (check). */
int outdir_journal_load(struct outdir *od, struct error *err);

/* After a render that removed again every file it wrote (nothing was changed): the
 * journal goes back to what the lock found, and an out/ made for the lock goes with it. */
void outdir_abandon(struct outdir *od);
/* The manifest's text: 0 read, 1 no manifest, -1 unreadable (err); st as in outdir_read(). */
int outdir_manifest_read(const struct outdir *od, struct buf *text, struct stat *st, struct error *err);
/* Whether the manifest holds exactly text (read a piece at a time, never whole): 0 it
 * does (st as in outdir_read()), 1 it differs or is missing, -1 unreadable (err). */
int outdir_manifest_matches(const struct outdir *od, const char *text, size_t len, struct stat *st,
			    struct error *err);
/* Makes the render durable and final: flushes out/'s filesystem, writes the new manifest,
 * whose text comes from next(data, piece) (which appends the next piece and returns 1
 * while there is more: the text need not be held whole), removes the journal and
 * temporaries and releases the lock. */
typedef int (*outdir_text_fn)(void *data, struct buf *piece);
int outdir_commit(struct outdir *od, outdir_text_fn next, void *data, struct error *err);

/* Adds "out/<path>: error: <message>" to errors. */
void outdir_report(struct error_list *errors, const char *path, const char *message);

/* What out/ holds: every entry that is not a directory, in path order, without stamp's
 * own files (out/.stamp-*). The paths live in `text`. */
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
};
/* A missing out/ scans as empty; `threads` share the directories two levels down. */
int outdir_scan(const struct outdir *od, int threads, struct outdir_scan *scan, struct error *err);
void outdir_scan_release(struct outdir_scan *scan);

#endif
