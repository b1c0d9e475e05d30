/* plan: what out/ should hold, worked out in memory and nothing written. Loads the
 * template set, the last render's manifest (out/.stamp-manifest, read through the
 * outdir; a damaged one is set aside, never trusted, and the plan is then full) and
 * every customer,
 * finds the customers whose inputs changed since that render, renders those (and the
 * outputs over all customers, when needed) on all cores with every YAML/JSON output
 * parsed back, and merges them with the last render's files that stay, into one list in
 * path order. sync.h compares it with out/, for `stamp check` and `stamp render`.
 *
 * A plan owns everything it loaded and rendered; plan_release() frees it. Rendered
 * files keep their paths and hashes only: the bytes are rendered again when written
 * (rendering is deterministic), so 10,000 customers do not sit in memory at once. */
#ifndef STAMP_PLAN_H
#define STAMP_PLAN_H

#include "arena.h"
#include "channel.h"
#include "customers.h"
#include "error.h"
#include "hash.h"
#include "outmanifest.h"
#include "output.h"
#include "summary.h"

#include <stdatomic.h>
#include <stddef.h>

struct manifest;
struct outdir;
struct source;

/* One customer of the plan. */
struct plan_customer {
	struct customer *customer;
	struct hash input;          /* spec, template set and stamp's version */
	int changed;                /* inputs differ from the last render: rendered */
	int deferred;               /* rendered by the writer (sync.h): files has the paths
				     * only, their hashes come as they are written */
	struct output_files files;  /* when changed: paths and hashes */
	struct error_list errors;
};

/* One file of the new tree: rendered now, or kept from the last render. */
struct plan_file {
	const char *path;                 /* under out/ */
	const char *owner;                /* customer id, or "-" for outputs over all customers */
	struct hash hash;
	struct output_file *rendered;     /* NULL: kept as the last render left it */
	struct plan_customer *customer;   /* the customer it belongs to, if rendered */
};

/* The bytes of customers' values, and then of rendered files kept for the writer
 * (plan.c plan_keep), that a plan keeps while it works (see plan.c). */
#define PLAN_HOLD ((size_t)64 * 1024 * 1024)

struct plan {
	const struct source *source;     /* what it reads from (not owned) */
	struct channel_tree tree;        /* the sets customers follow (channel.h) */
	const struct channel_set *main_set; /* the default channel's: the outputs over all
					  * customers, the rules across them, the record */
	struct outmanifest old;          /* the last render's; sorted by path */
	int old_missing;                 /* there was no manifest */
	struct error old_damage;         /* why the manifest was set aside, if it was */
	long long old_mtime_ns;          /* when the manifest read was last modified; -1: none
					  * read, or set aside (sync.c trusts a file older) */
	int full;                        /* every customer rendered, every file to be looked at:
					  * --force, or no trustworthy manifest */
	int set_same;                    /* the template set is the one the manifest records */
	struct summary_keys keys;        /* what a customer's summary keeps */
	int have_keys;
	int summaries_missing;           /* a kept customer has no summary in the manifest yet */
	struct customers customers;
	struct plan_customer *slots;     /* one per customer, in customer order */
	size_t changed;                  /* customers rendered */
	size_t deferred;                 /* ... of which deferred to the writer */
	int noop;                        /* no customer changed, none came or went, the same set */
	int aggregates_rendered;         /* what the outputs over all customers read changed */
	struct output_files aggregate_files;
	struct arena aggregate_arena;
	struct plan_file *files;         /* the new tree, sorted by path */
	size_t count;
	char *kept;                      /* per old file: 1 if it stays as it is */
	struct arena *arenas;            /* one per worker; the paths, and the bytes kept */
	size_t keep_budget;              /* what PLAN_HOLD leaves after the values */
	atomic_size_t kept_bytes;        /* rendered bytes kept for the writer, at most
					  * keep_budget: a file whose data is set needs no
					  * second render to be written */
	size_t worker_count;
	size_t writeback_bytes;          /* OUTDIR_WRITEBACK_BYTES, or STAMP_TEST_WRITEBACK */
	struct error_list errors;
};

/* Builds the plan of the stamp repository read through src, against out/ as od holds
 * it, in two steps, so that a caller can start rendering the deferred customers
 * (plan_render_again) between them. Each returns 0 when everything is valid so far;
 * 1 when errors holds invalid input; -1 when the environment failed (an unreadable
 * directory or manifest; errors says why). `progress` shows a progress line on a
 * terminal for long runs; `force` renders every customer as if nothing had been
 * rendered before. plan_begin() loads every customer and renders the changed ones;
 * with `defer`, the customers whose files the last render did not write are not
 * rendered here but by the writer (plan_customer.deferred), so that each is rendered
 * once, and only their paths are named. plan_finish() renders the outputs over all
 * customers and makes the new tree. Neither renders the deferred customers when
 * something is invalid: the caller stops its own renders of them first, then calls
 * plan_undefer(). plan_finish() fills in the values of the customers kept from the
 * last render (plan.customers.reused of them): rendering the deferred ones meanwhile
 * is safe only when there are none. */
int plan_begin(struct plan *p, const struct source *src, const struct outdir *od, int jobs, int progress,
	       int force, int defer);
int plan_finish(struct plan *p, const struct source *src);
/* Both steps, nothing deferred: every changed customer is rendered here. */
int plan_build(struct plan *p, const struct source *src, const struct outdir *od, int jobs, int progress,
	       int force);
void plan_release(struct plan *p);
/* 1 when nothing changed since the last render: no customer to render, none removed,
 * the same template set. */
int plan_is_noop(const struct plan *p);
/* Renders the deferred customers here after all, parsed back, and makes the new tree
 * again; returns as plan_build(). For when something is in their way (sync.h). */
int plan_undefer(struct plan *p, int progress);
/* When channel `channel` renders another set than the last render recorded for it (it
 * was moved to another revision, or its revision's templates changed): how many of its
 * customers are rendered now; else 0. */
size_t plan_channel_moved(const struct plan *p, size_t channel);
/* The set customer c renders with (its channel's). */
const struct output_set *plan_outputs_of(const struct plan *p, const struct customer *c);
/* Renders one customer again, keeping the bytes (in arena), for writing; a deferred
 * one is parsed back too (its first render). */
int plan_render_again(const struct plan *p, struct plan_customer *c, struct arena *arena,
		      struct output_files *files, struct error_list *errors);

#endif
