/* sync: the plan (what out/ should hold) against out/ (what it holds), classified once
 * and applied. `stamp check` classifies and reports; `stamp render` classifies, refuses
 * what it must not touch and writes the rest; both say the same thing about the same
 * file, and every message names a command that fixes it.
 *
 * What a render looks at: the files of the customers it renders, the files the manifest
 * says it must prune and the files of the journal a dead render left; a full render
 * (--force, or no trustworthy manifest) looks at every planned file. check looks at
 * everything out/ holds, trusting a kept file by its timestamp like git's index.
 *
 * A struct sync owns its items and counts; the paths point into the plan, which must
 * outlive it. sync_release() frees it. */
#ifndef STAMP_SYNC_H
#define STAMP_SYNC_H

#include "buf.h"
#include "error.h"
#include "outmanifest.h"

#include <stddef.h>

struct outdir;
struct outdir_scan;
struct plan;
struct source;

enum sync_state {
	SYNC_UNCHANGED,     /* on disk as planned */
	SYNC_NEW,           /* planned, missing on disk: created */
	SYNC_REPLACE,       /* as the last render left it, now out of date: replaced */
	SYNC_IN_FLIGHT,     /* planned, written by an interrupted render (the journal): replaced */
	SYNC_EDITED,        /* differs from the plan and from what stamp last wrote */
	SYNC_FOREIGN,       /* planned, but a file stamp never wrote is there */
	SYNC_LINK,          /* a link or other non-regular file (or one on the way) */
	SYNC_PRUNE,         /* recorded, no longer produced: removed */
	SYNC_PRUNE_EDITED,  /* recorded, no longer produced, edited by hand since */
	SYNC_LEFTOVER,      /* not produced, left by an interrupted render: removed */
	SYNC_EXTRA,         /* on disk, neither produced nor ever written by stamp */
	SYNC_STATES
};

struct sync_item {
	const char *path;                       /* under out/ */
	enum sync_state state;
	size_t planned;                         /* index in the plan's files, or SIZE_MAX */
	const struct outmanifest_file *recorded; /* the last render's record, or NULL */
	char *blocker;                          /* SYNC_LINK: NULL the file itself, else the directory
						 * in the way (malloc'd) */
};

struct sync {
	struct sync_item *items;   /* in path order */
	size_t count;
	size_t cap;
	size_t counts[SYNC_STATES];
	int force;                 /* from sync_classify_render */
	size_t written, removed;   /* by a render's writing (sync_render) */
	struct error_list invalid; /* sync_render: a deferred customer's problems (returned 1) */
	int progress;              /* sync_render: say how far the writing is, on stderr */
	struct buf manifest;       /* the new manifest's text, after a render with want_manifest */
};

/* For check: every planned file against the scan of out/. -1 on I/O failure (err). */
int sync_classify_scan(struct sync *s, const struct plan *p, const struct outdir *od,
		       const struct outdir_scan *scan, struct error *err);
/* For render: the files a render must look at (see above), through od; `force` lets
 * the apply step overwrite hand edits and replace links. */
int sync_classify_render(struct sync *s, const struct plan *p, const struct outdir *od, int force,
			 struct error *err);
/* for_check of sync_problems(): a render's refusals, check's findings, or check's
 * under pre-commit (which stashes what is not staged, so "git add out/" may be the fix). */
enum { SYNC_RENDER = 0, SYNC_CHECK = 1, SYNC_CHECK_STAGED = 2 };
/* The problems to report: for check every state but UNCHANGED; for render (`force`
 * 0) the ones it refuses. Returns the exit status they call for: 0, 1 (hand edits,
 * foreign files) or 2 (a link in the way). */
int sync_problems(const struct sync *s, const struct plan *p, int for_check, int force, struct error_list *out);
void sync_release(struct sync *s);

/* The two whole operations, for the commands: they do the work and fill a report,
 * which the command prints. */
struct sync_report {
	int status;                 /* the exit status: 0, 1 (invalid input, refused files, not
				     * in sync) or 2 (environment) */
	int invalid;                /* problems are invalid input: nothing was looked at on disk */
	int template_set_invalid;   /* ... in the template set itself */
	int undone;                 /* ... found while writing: what was written is removed again */
	struct error_list problems; /* to print, in order */
	struct buf notices;         /* "stamp: ..." lines to print first */
	size_t customers, rendered, files, written, unchanged, removed;
	size_t counts[SYNC_STATES];
	struct buf manifest;        /* render with want_manifest: the new manifest's text */
};
#define SYNC_REPORT_INIT { 0, 0, 0, 0, ERROR_LIST_INIT, BUF_INIT, 0, 0, 0, 0, 0, 0, { 0 }, BUF_INIT }

struct sync_options {
	int root_fd;               /* the stamp repository */
	const struct source *src;  /* its working tree */
	int jobs;
	int progress;
	int force;                 /* render: overwrite hand edits, replace links, look at all */
	int want_manifest;         /* render: fill the report's manifest, a no-op too */
	int staged_only;           /* check: out/ holds only what is staged (under pre-commit) */
	const char *hydrated_branch; /* render: out/ is for this branch's root (stamp commit
				      * --branch); the template set's deploy: must say so */
};
int sync_render(const struct sync_options *o, struct sync_report *r);
int sync_check(const struct sync_options *o, struct sync_report *r);
void sync_report_release(struct sync_report *r);

#endif
