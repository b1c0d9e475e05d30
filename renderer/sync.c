/* Classification and the write pipeline. One decision function, sync_decide(), says
 * what a path is from what the plan wants, what the manifest recorded, what is on disk
 * and whether the journal names it; check and render differ only in how they learn
 * what is on disk. */
#include "sync.h"

#include "alloc.h"
#include "array.h"
#include "manifest.h"
#include "outdir.h"
#include "plan.h"
#include "pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum sync_disk { SYNC_DISK_MISSING, SYNC_DISK_REGULAR, SYNC_DISK_OTHER };

static enum sync_state sync_decide(const struct plan_file *f, const struct outmanifest_file *r, enum sync_disk disk,
				   struct hash hash, int in_journal)
{
	if (f) {
		if (disk == SYNC_DISK_MISSING)
			return SYNC_NEW;
		if (disk == SYNC_DISK_OTHER)
			return SYNC_LINK;
		if (hash_equal(hash, f->hash))
			return SYNC_UNCHANGED;
		if (r && hash_equal(hash, r->hash))
			return SYNC_REPLACE;
		/* a render that died was writing it: neither old nor new is no hand edit */
		if (in_journal)
			return SYNC_IN_FLIGHT;
		return r ? SYNC_EDITED : SYNC_FOREIGN;
	}
	if (disk == SYNC_DISK_MISSING) /* gone already; a pruned one's empty directories still go */
		return r ? SYNC_PRUNE : SYNC_UNCHANGED;
	if (r && disk == SYNC_DISK_OTHER)
		return SYNC_LINK; /* to prune, but a link is no file stamp wrote */
	if (r)
		return hash_equal(hash, r->hash) ? SYNC_PRUNE : SYNC_PRUNE_EDITED;
	return in_journal ? SYNC_LEFTOVER : SYNC_EXTRA;
}

static void sync_add(struct sync *s, const char *path, enum sync_state state, size_t planned,
		     const struct outmanifest_file *recorded, const char *blocker)
{
	s->counts[state]++;
	if (state == SYNC_UNCHANGED)
		return;
	s->items = array_grow(s->items, &s->cap, s->count, sizeof *s->items, 64);
	struct sync_item *item = &s->items[s->count++];
	*item = (struct sync_item){ path, state, planned, recorded, NULL };
	if (blocker && *blocker)
		item->blocker = alloc_check(strdup(blocker));
}

/* One path to look at, and what the look found. */
struct sync_look_item {
	const char *path;
	size_t planned;
	const struct outmanifest_file *recorded;
	enum outdir_kind kind;
	struct hash hash;  /* OUTDIR_REGULAR: its content's */
	char *blocker;     /* OUTDIR_LINK_ABOVE: the segment in the way (malloc'd) */
};

/* Whether out/<path>, a regular file last modified at mtime_ns, still holds what the
 * last render recorded, without reading it: it is older than the manifest that render
 * wrote after all its files, so nothing wrote it since (git trusts its index the same
 * way; a file as old as the manifest is read), and no render died writing it. --force,
 * and a render without a manifest it trusts, read every file. */
static int sync_unchanged_since_manifest(const struct plan *p, const struct outdir *od, const char *path,
					 long long mtime_ns)
{
	return !p->full && p->old_mtime_ns >= 0 && mtime_ns < p->old_mtime_ns && !outdir_journal_has(od, path);
}

/* Looks at out/<item->path> through od (any thread, with its own cursor). A render's
 * look at a file it will replace and does not read asks for it to be read ahead
 * (`prefetch`): the replacements write over the replaced files' inodes. */
static int sync_look_at(const struct plan *p, const struct outdir *od, struct outdir_cursor *c,
			struct sync_look_item *item, int prefetch, struct error *err)
{
	struct outdir_info info;
	if (outdir_stat(od, c, item->path, &info, err) < 0)
		return -1;
	item->kind = info.kind;
	if (info.kind == OUTDIR_LINK_ABOVE)
		item->blocker = alloc_check(strdup(info.blocker));
	if (info.kind != OUTDIR_REGULAR)
		return 0;
	if (item->recorded && sync_unchanged_since_manifest(p, od, item->path, info.mtime_ns)) {
		item->hash = item->recorded->hash;
		if (prefetch && item->planned != SIZE_MAX)
			outdir_prefetch(od, c, item->path);
		return 0;
	}
	return outdir_hash(od, c, item->path, &item->hash, err);
}

/* Decides what a looked-at path is, adds it to s and frees the item's blocker. */
static void sync_look_decide(struct sync *s, const struct plan *p, const struct outdir *od,
			     struct sync_look_item *item)
{
	const struct plan_file *f = item->planned == SIZE_MAX ? NULL : &p->files[item->planned];
	enum sync_disk disk = item->kind == OUTDIR_MISSING ? SYNC_DISK_MISSING
			    : item->kind == OUTDIR_REGULAR ? SYNC_DISK_REGULAR : SYNC_DISK_OTHER;
	enum sync_state state = sync_decide(f, item->recorded, disk, item->hash, outdir_journal_has(od, item->path));
	sync_add(s, item->path, state, item->planned, item->recorded, item->blocker);
	free(item->blocker);
	item->blocker = NULL;
}

/* Looks at out/<path> through od and decides. */
static int sync_look(struct sync *s, const struct plan *p, const struct outdir *od, struct outdir_cursor *c,
		     const char *path, size_t planned, const struct outmanifest_file *recorded, struct error *err)
{
	struct sync_look_item item = { path, planned, recorded, OUTDIR_MISSING, { 0, 0 }, NULL };
	if (sync_look_at(p, od, c, &item, 0, err) < 0) {
		free(item.blocker);
		return -1;
	}
	sync_look_decide(s, p, od, &item);
	return 0;
}

static int sync_compare_path(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path, ((const struct plan_file *)b)->path);
}

static size_t sync_planned(const struct plan *p, const char *path)
{
	struct plan_file key = { path, NULL, { 0, 0 }, NULL, NULL };
	const struct plan_file *f = p->count ? bsearch(&key, p->files, p->count, sizeof key, sync_compare_path) : NULL;
	return f ? (size_t)(f - p->files) : SIZE_MAX;
}

/* The render's looks, a batch at a time: workers stat and read the files (a template
 * change at 100,000 customers reads 100,000 files, most no longer in the page cache,
 * and one thread waited for each read in turn), then this thread decides, in order. */
#define SYNC_LOOK_BATCH 4096
#define SYNC_LOOK_CHUNK 32
/* A look waits for the disk, not for a core (a stat reads an inode table block, a
 * read-ahead queues a read): after 100,000 customers' files left the page cache, two
 * threads took 13.3 s for a template change's looks and sixteen 9.9 s. -j 1 keeps one. */
#define SYNC_LOOK_THREADS 16

struct sync_looks {
	const struct plan *p;
	const struct outdir *od;
	struct sync_look_item items[SYNC_LOOK_BATCH];
	size_t count;
	size_t next;
	size_t failed;   /* the first item whose look failed (SIZE_MAX: none) */
	struct error err; /* its error */
	size_t touched;  /* looks that reached a directory (the others were under one known
			  * missing, and cost no system call) */
	int in_memory;   /* the last batch's looks were nearly all answered from memory */
	pthread_mutex_t lock;
};

static void sync_looks_worker(void *arg, size_t worker)
{
	(void)worker;
	struct sync_looks *b = arg;
	struct outdir_cursor c = OUTDIR_CURSOR_INIT;
	size_t touched = 0;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		b->touched += touched;
		touched = 0;
		size_t from = b->next;
		b->next += SYNC_LOOK_CHUNK;
		/* past a failure, nothing is needed */
		int stop = from >= b->count || from > b->failed;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			break;
		size_t to = from + SYNC_LOOK_CHUNK < b->count ? from + SYNC_LOOK_CHUNK : b->count;
		for (size_t i = from; i < to; i++) {
			struct error err = ERROR_INIT;
			if (sync_look_at(b->p, b->od, &c, &b->items[i], 1, &err) < 0) {
				pthread_mutex_lock(&b->lock);
				if (i < b->failed) {
					b->failed = i;
					error_clear(&b->err);
					error_move(&b->err, &err);
				}
				pthread_mutex_unlock(&b->lock);
				error_clear(&err);
				break;
			}
			touched += !c.missing;
		}
	}
	outdir_cursor_release(&c);
}

/* Looks at the batch's items, on up to `threads` threads, and decides them in order.
 * -1 at the first failure, in order (err), as one thread looking in turn would. */
static int sync_looks_run(struct sync_looks *b, struct sync *s, const struct plan *p, size_t threads,
			  struct error *err)
{
	b->next = 0;
	b->failed = SIZE_MAX;
	b->touched = 0;
	if (threads > (b->count + SYNC_LOOK_CHUNK - 1) / SYNC_LOOK_CHUNK)
		threads = (b->count + SYNC_LOOK_CHUNK - 1) / SYNC_LOOK_CHUNK;
	/* looks answered from memory gain nothing from threads: a cold render's 140,000
	 * looks under missing directories took 25 ms, most of it starting 500 threads */
	if (b->in_memory)
		threads = 1;
	pool_run(threads ? threads : 1, sync_looks_worker, b);
	b->in_memory = b->touched * 16 < b->count;
	int rc = 0;
	for (size_t i = 0; i < b->count; i++) {
		struct sync_look_item *it = &b->items[i];
		if (i == b->failed) {
			error_move(err, &b->err);
			rc = -1;
		}
		if (rc == 0)
			sync_look_decide(s, p, b->od, it);
		free(it->blocker);
	}
	error_clear(&b->err);
	b->count = 0;
	return rc;
}

/* Adds a look to the batch; runs the batch when it is full. */
static int sync_looks_add(struct sync_looks *b, struct sync *s, const struct plan *p, size_t threads,
			  const char *path, size_t planned, const struct outmanifest_file *recorded, struct error *err)
{
	b->items[b->count++] = (struct sync_look_item){ path, planned, recorded, OUTDIR_MISSING, { 0, 0 }, NULL };
	return b->count == SYNC_LOOK_BATCH ? sync_looks_run(b, s, p, threads, err) : 0;
}

int sync_classify_render(struct sync *s, const struct plan *p, const struct outdir *od, int force,
			 struct error *err)
{
	memset(s, 0, sizeof *s);
	s->force = force;
	struct sync_looks *b = alloc_check(calloc(1, sizeof *b));
	b->p = p;
	b->od = od;
	b->err = (struct error)ERROR_INIT;
	if (pthread_mutex_init(&b->lock, NULL) != 0)
		alloc_failed(); /* its only failure is a lack of memory */
	size_t threads = p->worker_count <= 1 ? 1 : p->worker_count > SYNC_LOOK_THREADS ? p->worker_count : SYNC_LOOK_THREADS;
	int rc = 0;
	for (size_t i = 0; i < p->count && rc == 0; i++) {
		const struct plan_file *f = &p->files[i];
		const struct outmanifest_file *r = f->rendered || p->full ? outmanifest_file(&p->old, f->path) : NULL;
		/* kept, or rendered as the last render recorded it: not written, so not looked
		 * at (a template change reads the files it replaces, not all of out/), unless a
		 * render that died was writing it */
		int as_recorded = r && hash_equal(r->hash, f->hash) && !outdir_journal_has(od, f->path);
		if (!p->full && (!f->rendered || as_recorded))
			s->counts[SYNC_UNCHANGED]++;
		else
			rc = sync_looks_add(b, s, p, threads, f->path, i, r, err);
	}
	for (size_t i = 0; i < p->old.file_count && rc == 0; i++) {
		const struct outmanifest_file *r = &p->old.files[i];
		if (!p->kept[i] && sync_planned(p, r->path) == SIZE_MAX)
			rc = sync_looks_add(b, s, p, threads, r->path, SIZE_MAX, r, err);
	}
	for (size_t i = 0; i < od->journal_count && rc == 0; i++) {
		const char *path = od->journal[i];
		if (sync_planned(p, path) == SIZE_MAX && !outmanifest_file(&p->old, path))
			rc = sync_looks_add(b, s, p, threads, path, SIZE_MAX, NULL, err);
	}
	if (rc == 0 && b->count)
		rc = sync_looks_run(b, s, p, threads, err);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return rc;
}

int sync_classify_scan(struct sync *s, const struct plan *p, const struct outdir *od,
		       const struct outdir_scan *scan, struct error *err)
{
	memset(s, 0, sizeof *s);
	struct outdir_cursor c = OUTDIR_CURSOR_INIT;
	size_t i = 0, j = 0;
	int rc = 0;
	while (rc == 0 && (i < p->count || j < scan->count)) {
		int order = i == p->count ? 1 : j == scan->count ? -1 : strcmp(p->files[i].path, scan->entries[j].path);
		const char *path = order <= 0 ? p->files[i].path : scan->entries[j].path;
		size_t planned = order <= 0 ? i : SIZE_MAX;
		const struct outdir_entry *entry = order >= 0 ? &scan->entries[j] : NULL;
		const struct plan_file *f = order <= 0 ? &p->files[i] : NULL;
		if (order <= 0)
			i++;
		if (order >= 0)
			j++;
		int untouched = entry && entry->regular && sync_unchanged_since_manifest(p, od, path, entry->mtime_ns);
		/* a kept file untouched since the render that wrote it: no record needed */
		if (f && !f->rendered && untouched) {
			s->counts[SYNC_UNCHANGED]++;
			continue;
		}
		const struct outmanifest_file *r = outmanifest_file(&p->old, path);
		if (!entry && !f) {
			continue;
		} else if (!entry) {
			/* the scan saw nothing here; a directory in the way is looked at closer */
			rc = sync_look(s, p, od, &c, path, planned, r, err);
			continue;
		}
		struct hash hash = { 0, 0 };
		enum sync_disk disk = entry->regular ? SYNC_DISK_REGULAR : SYNC_DISK_OTHER;
		if (untouched && r) {
			hash = r->hash;
		} else if (disk == SYNC_DISK_REGULAR && (f || r) && outdir_hash(od, &c, path, &hash, err) < 0) {
			rc = -1;
			break;
		}
		sync_add(s, path, sync_decide(f, r, disk, hash, outdir_journal_has(od, path)), planned, r, NULL);
	}
	outdir_cursor_release(&c);
	return rc;
}

/* ---- what to say ----------------------------------------------------------------------- */


/* The message for an item, with the command that fixes it. */
static void sync_message(const struct sync_item *item, const struct plan *p, int for_check, struct buf *m)
{
	const struct plan_file *f = item->planned == SIZE_MAX ? NULL : &p->files[item->planned];
	/* a normal render looks only at what it renders: a kept file needs --force */
	const char *render = f && !f->rendered && !p->full ? "stamp render --force" : "stamp render";
	const char *owner = f ? f->owner : item->recorded ? item->recorded->owner : "-";
	/* under pre-commit, which stashes what is not staged, a render the user made but did
	 * not add looks stale: both fixes are named */
	const char *staged = for_check == SYNC_CHECK_STAGED ? ", or git add out/ if you already did" : "";
	switch (item->state) {
	case SYNC_NEW:
		buf_printf(m, "is missing; run %s", render);
		break;
	case SYNC_REPLACE:
		if (strcmp(owner, "-") == 0)
			buf_printf(m, "is out of date (the customers or the templates changed); run stamp render%s", staged);
		else
			buf_printf(m, "is out of date (customer %s's spec or the templates changed); run stamp render%s",
				   owner, staged);
		break;
	case SYNC_IN_FLIGHT:
		buf_printf(m, "was being written by a render that was interrupted; run stamp render");
		break;
	case SYNC_EDITED:
		buf_printf(m, "was edited by hand since the last render; move the change into the templates or the "
			   "spec, or run stamp render --force to overwrite it");
		break;
	case SYNC_FOREIGN:
		buf_printf(m, "is not a file stamp wrote%s; move it out of out/, or run stamp render --force to "
			   "overwrite it", for_check ? " and differs from its rendering" : "");
		break;
	case SYNC_LINK:
		if (item->blocker) /* reported at the directory, once (see sync_problems) */
			buf_printf(m, "is a symbolic link or a file where stamp needs a directory, and stamp never "
				   "writes through a link; remove it, or run stamp render --force to replace it");
		else
			buf_printf(m, "is a symbolic link or not a regular file, and stamp never writes through a "
				   "link; remove it, or run stamp render --force to replace it");
		break;
	case SYNC_PRUNE:
		if (strcmp(owner, "-") == 0)
			buf_printf(m, "was written by an output that no longer exists; run stamp render to remove it%s",
				   staged);
		else if (!customers_find(&p->customers, owner))
			buf_printf(m, "belongs to customer %s, which no longer exists; run stamp render to remove it%s",
				   owner, staged);
		else
			buf_printf(m, "is no longer an output of customer %s; run stamp render to remove it%s", owner,
				   staged);
		break;
	case SYNC_PRUNE_EDITED:
		buf_printf(m, "is no longer produced by any output but was edited by hand; move it away, or run "
			   "stamp render --force to remove it");
		break;
	case SYNC_LEFTOVER:
		buf_printf(m, "was left by a render that was interrupted; run stamp render to remove it");
		break;
	case SYNC_EXTRA:
		buf_printf(m, "is not produced by any output; remove it (stamp never writes it)");
		break;
	default:
		break;
	}
}

int sync_problems(const struct sync *s, const struct plan *p, int for_check, int force, struct error_list *out)
{
	int status = 0;
	int restore = force || p->old_missing || p->old_damage.message;
	for (size_t i = 0; i < s->count; i++) {
		const struct sync_item *item = &s->items[i];
		int refused;
		switch (item->state) {
		case SYNC_LINK:
			refused = !force;
			if (refused && !for_check)
				status = 2;
			break;
		case SYNC_EDITED:
		case SYNC_PRUNE_EDITED:
			refused = !force;
			break;
		case SYNC_FOREIGN:
			refused = !restore;
			break;
		default:
			refused = 0;
			break;
		}
		if (!for_check && !refused)
			continue;
		if (status < 1 && (for_check || refused))
			status = 1;
		struct buf message = BUF_INIT;
		sync_message(item, p, for_check, &message);
		outdir_report(out, item->blocker ? item->blocker : item->path, message.ptr);
		buf_release(&message);
	}
	error_list_sort(out); /* in path order; a directory in the way of many files once */
	return status;
}

void sync_release(struct sync *s)
{
	error_list_release(&s->invalid);
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i].blocker);
	free(s->items);
	buf_release(&s->manifest);
	memset(s, 0, sizeof *s);
}

/* ---- applying ------------------------------------------------------------------------ */

enum sync_action { SYNC_SKIP = 0, SYNC_WRITE_REPLACE = 1, SYNC_WRITE_CREATE = 2 };

/* The write pass is a pipeline: worker threads render again the customers that have
 * files to write (in order, at most SYNC_AHEAD ahead, so memory stays bounded) while
 * one writer, the calling thread, writes them. One writer, because ext4 serialises file
 * creation: two threads creating files at once spend three times the system time for
 * no gain in wall time.
 *
 * Why 256 customers ahead (about 5 MB of rendered text): the writer stalls in the kernel
 * for tens of milliseconds at a time (a journal commit, writeback), longer than a worker
 * takes to render 64 customers; with a window of 64 the worker then slept too and a core
 * stood idle. Measured on 2 cores, 10,000 customers, alternating, 3 runs each: cold
 * render 3.99 s with 64, 3.84 s with 256, 3.83 s with 1,024, whose 20 MB more took the
 * 100,000-customer cold render from 446 to 487 MiB (the limit is 512). */
#define SYNC_AHEAD 256

struct sync_slot {
	struct output_files again;
	struct arena bytes;
	struct error_list errors;
	int claimed;
	int ready;
};

struct sync_pipe {
	struct plan *plan;
	struct error_list invalid; /* a deferred customer's problems: nothing more is written */
	unsigned char **actions;   /* per customer, per rendered file */
	size_t *writes;            /* per customer: files to write */
	unsigned char *from_plan;  /* per customer: the plan kept the bytes of every file to
				    * write (plan.c plan_keep): not rendered again */
	struct sync_slot *slots;   /* one per customer */
	size_t next;
	size_t in_flight;
	int stop;                  /* the writer failed: render no more */
	size_t awaited;            /* the customer the writer sleeps on; SIZE_MAX: none */
	size_t idle;               /* workers asleep for want of room */
	pthread_mutex_t lock;
	pthread_cond_t ready;      /* the writer's: the awaited customer is rendered */
	pthread_cond_t room;       /* the workers': in_flight fell to SYNC_AHEAD / 2, or stop */
	struct pool pool;          /* the workers, while started */
	int started;
};

/* Tells the workers to render no more. */
static void sync_pipe_stop(struct sync_pipe *pipe)
{
	pthread_mutex_lock(&pipe->lock);
	pipe->stop = 1;
	pthread_cond_broadcast(&pipe->room);
	pthread_mutex_unlock(&pipe->lock);
}

/* Claims the next customer to render (at most SYNC_AHEAD ahead of the writer); SIZE_MAX
 * when there is none. Called with the lock held. */
static size_t sync_claim(struct sync_pipe *pipe, int wait)
{
	struct plan *p = pipe->plan;
	while (wait && pipe->in_flight >= SYNC_AHEAD && !pipe->stop) {
		pipe->idle++;
		pthread_cond_wait(&pipe->room, &pipe->lock);
		pipe->idle--;
	}
	if (pipe->stop || pipe->in_flight >= SYNC_AHEAD)
		return SIZE_MAX;
	size_t i = pipe->next;
	while (i < p->customers.count && (!pipe->writes[i] || pipe->from_plan[i]))
		i++;
	if (i >= p->customers.count)
		return SIZE_MAX;
	pipe->next = i + 1;
	pipe->in_flight++;
	pipe->slots[i].claimed = 1;
	return i;
}

static void sync_render_slot(struct sync_pipe *pipe, size_t i)
{
	struct sync_slot *s = &pipe->slots[i];
	plan_render_again(pipe->plan, &pipe->plan->slots[i], &s->bytes, &s->again, &s->errors);
	pthread_mutex_lock(&pipe->lock);
	s->ready = 1;
	if (pipe->awaited == i)
		pthread_cond_signal(&pipe->ready);
	pthread_mutex_unlock(&pipe->lock);
}

static void sync_worker(void *arg, size_t worker)
{
	(void)worker;
	struct sync_pipe *pipe = arg;
	for (;;) {
		pthread_mutex_lock(&pipe->lock);
		size_t i = sync_claim(pipe, 1);
		pthread_mutex_unlock(&pipe->lock);
		if (i == SIZE_MAX)
			return;
		sync_render_slot(pipe, i);
	}
}

/* A pipe over the plan's customers, nothing to write yet (sync_apply() gives it the
 * actions), no worker started. */
static struct sync_pipe *sync_pipe_new(struct plan *p)
{
	size_t customers = p->customers.count ? p->customers.count : 1;
	struct sync_pipe *pipe = alloc_check(calloc(1, sizeof *pipe));
	pipe->plan = p;
	pipe->invalid = (struct error_list)ERROR_LIST_INIT;
	pipe->awaited = SIZE_MAX;
	if (pthread_mutex_init(&pipe->lock, NULL) != 0 || pthread_cond_init(&pipe->ready, NULL) != 0 ||
	    pthread_cond_init(&pipe->room, NULL) != 0)
		alloc_failed(); /* their only failure is a lack of memory */
	pipe->writes = alloc_check(calloc(customers, sizeof *pipe->writes));
	pipe->slots = alloc_check(calloc(customers, sizeof *pipe->slots));
	pipe->from_plan = alloc_check(calloc(customers, 1));
	return pipe;
}

/* Starts the workers (one fewer than cores: the writer keeps a core of its own, and
 * renders ahead itself when its next customer is not ready). None started: the writer
 * renders every customer itself. */
static void sync_pipe_start(struct sync_pipe *pipe)
{
	if (pipe->started)
		return;
	pipe->started = 1;
	size_t workers = pipe->plan->worker_count;
	pool_start(&pipe->pool, workers > 1 ? workers - 1 : 1, sync_worker, pipe);
}

/* Stops the workers and drops what they rendered that nobody wrote. */
static void sync_pipe_halt(struct sync_pipe *pipe)
{
	if (pipe->started) {
		sync_pipe_stop(pipe);
		pool_join(&pipe->pool);
		pipe->started = 0;
	}
	for (size_t i = 0; i < pipe->plan->customers.count; i++) {
		output_files_release(&pipe->slots[i].again);
		arena_release(&pipe->slots[i].bytes);
		error_list_release(&pipe->slots[i].errors);
	}
}

static void sync_pipe_free(struct sync_pipe *pipe)
{
	if (!pipe)
		return;
	sync_pipe_halt(pipe);
	for (size_t i = 0; pipe->actions && i < pipe->plan->customers.count; i++)
		free(pipe->actions[i]);
	free(pipe->actions);
	free(pipe->writes);
	free(pipe->from_plan);
	free(pipe->slots);
	error_list_release(&pipe->invalid);
	pthread_mutex_destroy(&pipe->lock);
	pthread_cond_destroy(&pipe->ready);
	pthread_cond_destroy(&pipe->room);
	free(pipe);
}

/* A cold render's customers, rendered from as soon as their paths are known, while
 * this thread finishes the plan, looks at out/ and writes the journal: those are one
 * thread's work (60 ms at 10,000 customers), and a core would stand idle. Each deferred
 * customer writes every file it renders when it is written at all (sync_render() goes
 * on with these renders only when every file is new); sync_apply() checks that this
 * is what it found. */
static struct sync_pipe *sync_pipe_ahead(struct plan *p)
{
	struct sync_pipe *pipe = sync_pipe_new(p);
	for (size_t i = 0; i < p->customers.count; i++)
		pipe->writes[i] = p->slots[i].deferred ? p->slots[i].files.count : 0;
	sync_pipe_start(pipe);
	return pipe;
}

/* Writes customer i's files, from the bytes rendered again (by a worker, or here when
 * no worker is ahead). -1 at the first failure. */
static int sync_write_customer(struct sync_pipe *pipe, struct outdir *od, size_t i, struct sync *s,
			       struct error *err)
{
	struct sync_slot *slot = &pipe->slots[i];
	struct plan_customer *c = &pipe->plan->slots[i];
	if (pipe->from_plan[i]) {
		int rc = 0;
		for (size_t j = 0; j < c->files.count && rc == 0; j++) {
			const struct output_file *f = &c->files.items[j];
			if (!pipe->actions[i][j])
				continue;
			rc = outdir_write(od, f->path, f->data, f->len, pipe->actions[i][j] == SYNC_WRITE_CREATE, err);
			if (rc == 0)
				s->written++;
		}
		if (rc < 0)
			sync_pipe_stop(pipe);
		return rc;
	}
	pthread_mutex_lock(&pipe->lock);
	int mine = !slot->claimed;
	if (mine) {
		/* no worker got here first: render it on this thread */
		pipe->next = i + 1 > pipe->next ? i + 1 : pipe->next;
		pipe->in_flight++;
		slot->claimed = 1;
	}
	pthread_mutex_unlock(&pipe->lock);
	if (mine)
		sync_render_slot(pipe, i);
	/* while a worker renders it, render one further ahead here rather than wait: the
	 * writer would otherwise leave its core idle */
	pthread_mutex_lock(&pipe->lock);
	while (!slot->ready) {
		size_t ahead = sync_claim(pipe, 0);
		if (ahead != SIZE_MAX) {
			pthread_mutex_unlock(&pipe->lock);
			sync_render_slot(pipe, ahead);
			pthread_mutex_lock(&pipe->lock);
			continue;
		}
		pipe->awaited = i;
		pthread_cond_wait(&pipe->ready, &pipe->lock);
		pipe->awaited = SIZE_MAX;
	}
	pthread_mutex_unlock(&pipe->lock);
	int rc = 0;
	if (slot->errors.count && c->deferred) {
		/* its first render, and it is invalid: nothing more is written, the others are
		 * still rendered for their problems, and what was written goes again */
		error_list_append(&pipe->invalid, &slot->errors);
	} else if (slot->errors.count) {
		error_move(err, &slot->errors.items[0]);
		rc = -1;
	}
	int writing = !pipe->invalid.count;
	for (size_t j = 0; j < c->files.count && rc == 0; j++) {
		struct output_file *f = &c->files.items[j];
		if (!pipe->actions[i][j])
			continue;
		if (c->deferred && j < slot->again.count && strcmp(slot->again.items[j].path, f->path) == 0) {
			f->hash = slot->again.items[j].hash; /* known now, for the manifest */
			f->len = slot->again.items[j].len;
		}
		if (!writing)
			continue;
		if (j >= slot->again.count || strcmp(slot->again.items[j].path, f->path) != 0 ||
		    !hash_equal(slot->again.items[j].hash, f->hash)) {
			rc = error_set(err, NULL, 0, 0, "out/%s rendered differently the second time; this is a bug "
				       "in stamp, and nothing more was written", f->path);
		} else {
			rc = outdir_write(od, f->path, slot->again.items[j].data, slot->again.items[j].len,
					  pipe->actions[i][j] == SYNC_WRITE_CREATE, err);
			if (rc == 0)
				s->written++;
		}
	}
	output_files_release(&slot->again);
	arena_release(&slot->bytes);
	error_list_release(&slot->errors);
	pthread_mutex_lock(&pipe->lock);
	pipe->in_flight--;
	if (rc < 0)
		pipe->stop = 1;
	/* workers wake when half the window is free, not at every customer: each wakeup
	 * lands a worker on a core the writer was using */
	if (pipe->idle && (pipe->stop || pipe->in_flight <= SYNC_AHEAD / 2))
		pthread_cond_broadcast(&pipe->room);
	pthread_mutex_unlock(&pipe->lock);
	return rc;
}

static double sync_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int sync_write_customers(struct sync *s, struct sync_pipe *pipe, struct outdir *od, struct error *err)
{
	struct plan *p = pipe->plan;
	sync_pipe_start(pipe);
	int rc = 0;
	/* on a terminal, a write that takes more than a second says how far it is, as the
	 * check pass does (plan.c): a cold render renders here */
	size_t total = 0, done = 0;
	for (size_t i = 0; i < p->customers.count; i++)
		total += pipe->writes[i] != 0;
	double start = s->progress ? sync_seconds() : 0, shown = 0;
	for (size_t i = 0; i < p->customers.count && rc == 0; i++) {
		if (!pipe->writes[i])
			continue;
		rc = sync_write_customer(pipe, od, i, s, err);
		done++;
		double now = s->progress ? sync_seconds() : 0;
		if (s->progress && now - start > 1.0 && now - shown > 0.1) {
			fprintf(stderr, "\rstamp: writing %zu/%zu customers", done, total);
			shown = now;
		}
	}
	if (shown > 0)
		fputs("\r\033[K", stderr);
	sync_pipe_halt(pipe);
	return rc;
}

/* outmanifest.file_at over the plan's files: a deferred customer's hashes came when it
 * was written */
static void sync_manifest_file(const void *data, size_t i, struct outmanifest_file *out)
{
	const struct plan_file *f = &((const struct plan *)data)->files[i];
	out->path = (char *)f->path;
	out->owner = (char *)f->owner;
	out->hash = f->rendered ? f->rendered->hash : f->hash;
}

/* The new manifest: the plan's customers and files, pointing into the plan;
 * sync_manifest_release() frees the array of customers. */
static void sync_manifest(const struct plan *p, struct outmanifest *next)
{
	memset(next, 0, sizeof *next);
	next->version = (char *)STAMP_VERSION;
	next->set_hash = p->main_set->outputs->set_hash;
	next->customer_count = p->customers.count;
	next->customers = alloc_check(calloc(p->customers.count ? p->customers.count : 1, sizeof *next->customers));
	next->file_count = p->count;
	next->file_at = sync_manifest_file;
	next->file_data = p;
	for (size_t i = 0; i < p->customers.count; i++) {
		next->customers[i].id = p->customers.items[i].id;
		next->customers[i].input = p->slots[i].input;
		if (p->tree.channels.count)
			next->customers[i].channel = p->tree.channels.items[p->customers.items[i].channel].name;
		next->customers[i].summary = p->customers.items[i].summary;
		next->customers[i].summary_len = p->customers.items[i].summary_len;
	}
	/* each channel's set: the next check tells a channel moved from a spec changed */
	next->channel_count = p->tree.channels.count;
	next->channels = alloc_check(calloc(p->tree.channels.count ? p->tree.channels.count : 1, sizeof *next->channels));
	for (size_t i = 0; i < p->tree.channels.count; i++) {
		const struct channel_set *set = channels_set_of(&p->tree.channels, i);
		next->channels[i].name = (char *)p->tree.channels.items[i].name;
		next->channels[i].set = set->outputs->set_hash;
		next->channels[i].commit = (char *)(*set->sha ? set->sha : CHANNEL_WORKTREE);
	}
}

static void sync_manifest_release(struct outmanifest *next)
{
	free(next->customers);
	free(next->channels);
}

static void sync_format_manifest(const struct plan *p, struct buf *text)
{
	struct outmanifest next;
	sync_manifest(p, &next);
	outmanifest_format(&next, text);
	sync_manifest_release(&next);
}

/* outdir_text_fn over a manifest being formatted; `keep`, when set, gets the whole text
 * as well (stamp commit makes its blob from it) */
struct sync_manifest_pieces {
	const struct outmanifest *manifest;
	size_t at;
	struct buf *keep;
};

static int sync_manifest_piece(void *data, struct buf *piece)
{
	struct sync_manifest_pieces *m = data;
	int more = outmanifest_format_next(m->manifest, &m->at, piece);
	if (m->keep)
		buf_add(m->keep, piece->ptr, piece->len);
	return more;
}

/* After a failure: the files this run created go again (the ones it replaced hold
 * complete new content, which the next render recognises). */
static void sync_undo(struct outdir *od, const char **created, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct error ignored = ERROR_INIT;
		if (outdir_remove(od, created[i], &ignored) < 0) {
			/* the journal still names it: the next render knows it is stamp's */
		}
		error_clear(&ignored);
	}
}

/* Writes and removes what the classification says, then the manifest (od locked; its
 * text is kept in s->manifest with want_manifest, else written as it is formatted).
 * Stops at the first I/O error: what this run created is removed again and err says
 * what failed (-1). A deferred customer (plan.h), rendered for the first time here, that
 * is invalid stops the writing too: the others are still rendered for their problems,
 * which go to s->invalid, what this run created is removed again, and out/ is left as
 * it was (1). `ahead`: the customers sync_pipe_ahead() started rendering (NULL: none),
 * used when they are what is to be written, else halted; the caller frees it. */
static int sync_apply(struct sync *s, struct plan *p, struct outdir *od, int want_manifest,
		      struct sync_pipe *ahead, struct error *err)
{
	od->replace_links = s->force;
	size_t customers = p->customers.count;
	unsigned char **actions = alloc_check(calloc(customers ? customers : 1, sizeof *actions));
	size_t *writes = alloc_check(calloc(customers ? customers : 1, sizeof *writes));
	unsigned char *from_plan = alloc_check(calloc(customers ? customers : 1, 1));
	unsigned char *aggregate = alloc_check(calloc(p->aggregate_files.count + 1, 1));
	const char **created = alloc_check(calloc(s->count + 1, sizeof *created));
	const char **writing = alloc_check(calloc(s->count + 1, sizeof *writing));
	size_t created_count = 0, writing_count = 0;
	int rc = 0;

	/* what each planned file needs */
	for (size_t k = 0; k < s->count; k++) {
		struct sync_item *item = &s->items[k];
		if (item->planned == SIZE_MAX)
			continue;
		int act = item->state == SYNC_NEW ? SYNC_WRITE_CREATE : SYNC_WRITE_REPLACE;
		if (item->state == SYNC_LINK && item->blocker)
			act = SYNC_WRITE_CREATE; /* the directory is replaced: the file is new in it */
		const struct plan_file *f = &p->files[item->planned];
		if (!f->rendered)
			continue; /* kept as the last render left it: no bytes to write (never in a full plan) */
		if (act == SYNC_WRITE_CREATE)
			created[created_count++] = f->path;
		writing[writing_count++] = f->path;
		if (f->customer) {
			size_t c = (size_t)(f->customer - p->slots);
			if (!actions[c])
				actions[c] = alloc_check(calloc(f->customer->files.count + 1, 1));
			actions[c][f->rendered - f->customer->files.items] = (unsigned char)act;
			writes[c]++;
		} else {
			aggregate[f->rendered - p->aggregate_files.items] = (unsigned char)act;
		}
	}
	for (size_t c = 0; c < customers; c++) {
		const struct plan_customer *slot = &p->slots[c];
		from_plan[c] = writes[c] && !slot->deferred;
		for (size_t j = 0; from_plan[c] && j < slot->files.count; j++)
			if (actions[c][j] && !slot->files.items[j].data)
				from_plan[c] = 0;
	}
	/* the renders started ahead go on when they are of the customers to write, in the
	 * same order (the workers read writes and from_plan): else they stop, and a pipe of
	 * this run's own renders them */
	struct sync_pipe *own = NULL, *pipe = ahead;
	for (size_t c = 0; pipe && c < customers; c++)
		if (pipe->writes[c] != writes[c] || pipe->from_plan[c] != from_plan[c])
			pipe = NULL;
	if (!pipe) {
		if (ahead)
			sync_pipe_halt(ahead);
		pipe = own = sync_pipe_new(p);
		memcpy(pipe->writes, writes, customers * sizeof *writes);
		memcpy(pipe->from_plan, from_plan, customers);
	}
	pipe->actions = actions; /* only the writer reads them */
	free(writes);
	free(from_plan);
	/* items are never UNCHANGED */
	outdir_expect_writes(od, s->count - s->counts[SYNC_EXTRA], p->writeback_bytes);
	/* the journal first: a render that dies (or a machine that loses power before the
	 * data reached the disk) leaves files the next one knows are its own. A file
	 * fsynced before its rename is old or new whatever happens, so when each file is
	 * fsynced, only the new ones, created in place, need naming */
	if (od->per_file_sync)
		rc = created_count ? outdir_journal_write(od, created, created_count, err) : 0;
	else if (writing_count)
		rc = outdir_journal_write(od, writing, writing_count, err);
	if (rc == 0)
		rc = sync_write_customers(s, pipe, od, err);
	if (rc == 0 && pipe->invalid.count) {
		error_list_append(&s->invalid, &pipe->invalid);
		rc = 1;
	}
	for (size_t i = 0; i < p->aggregate_files.count && rc == 0; i++) {
		struct output_file *f = &p->aggregate_files.items[i];
		if (!aggregate[i])
			continue;
		rc = outdir_write(od, f->path, f->data, f->len, aggregate[i] == SYNC_WRITE_CREATE, err);
		if (rc == 0)
			s->written++;
	}
	for (size_t k = 0; k < s->count && rc == 0; k++) {
		enum sync_state state = s->items[k].state;
		int link = state == SYNC_LINK && s->items[k].planned == SIZE_MAX && s->force;
		if (state == SYNC_PRUNE || state == SYNC_LEFTOVER || (state == SYNC_PRUNE_EDITED && s->force) || link) {
			/* a link goes itself (unlinkat never follows it), never what it points to */
			const char *path = link && s->items[k].blocker ? s->items[k].blocker : s->items[k].path;
			rc = outdir_remove(od, path, err);
			if (rc == 0)
				s->removed++;
			rc = rc < 0 ? -1 : 0;
		}
	}
	if (rc == 0) {
		/* written as it is formatted: 13 MB at 10,000 customers need not sit in memory */
		struct outmanifest next;
		sync_manifest(p, &next);
		struct sync_manifest_pieces pieces = { &next, 0, want_manifest ? &s->manifest : NULL };
		rc = outdir_commit(od, sync_manifest_piece, &pieces, err);
		sync_manifest_release(&next);
	}
	if (rc != 0 && !od->committed)
		sync_undo(od, created, created_count);
	if (rc > 0)
		outdir_abandon(od); /* every file this run made is gone: out/ is as it was */
	sync_pipe_free(own);
	free(aggregate);
	free(created);
	free(writing);
	return rc;
}

/* ---- the operations ------------------------------------------------------------------ */

static void sync_take_plan_errors(struct sync_report *r, struct plan *p, int rc)
{
	error_list_sort(&p->errors);
	error_list_append(&r->problems, &p->errors);
	r->status = rc < 0 ? 2 : 1;
	r->invalid = rc > 0;
	r->template_set_invalid = rc > 0 && !p->tree.manifest;
}

static void sync_fail(struct sync_report *r, struct error *err)
{
	error_list_take(&r->problems, err);
	r->status = 2;
}

int sync_render(const struct sync_options *o, struct sync_report *r)
{
	struct outdir od;
	struct plan plan;
	struct sync s = { 0 };
	struct error err = ERROR_INIT;
	struct sync_pipe *ahead = NULL;
	int have_plan = 0;
	if (outdir_open(&od, o->root_fd, &err) < 0 || outdir_lock(&od, &err) < 0) {
		sync_fail(r, &err);
		goto out;
	}
	if (od.reclaimed[0])
		buf_printf(&r->notices, "stamp: note: removed a stale lock, out/" OUTDIR_LOCK ", left by %s, which is no "
			   "longer running\n", od.reclaimed);
	int rc = plan_begin(&plan, o->src, &od, o->jobs, o->progress, o->force, 1);
	have_plan = 1;
	r->customers = plan.customers.count;
	/* the deferred customers are rendered from now on (sync_pipe_ahead), unless the
	 * plan still has values to fill in (plan.h) */
	if (rc == 0 && plan.deferred && !plan.customers.reused)
		ahead = sync_pipe_ahead(&plan);
	if (rc == 0)
		rc = plan_finish(&plan, o->src);
	if (rc != 0 && plan.errors.count && plan.deferred) {
		/* nothing will be written: they are rendered for their problems, as when
		 * nothing is deferred, once the renders ahead stopped */
		sync_pipe_free(ahead);
		ahead = NULL;
		rc = plan_undefer(&plan, 0);
	}
	if (rc != 0) {
		sync_take_plan_errors(r, &plan, rc);
		goto out;
	}
	/* deferred customers are rendered once, by the writer, only when every file they
	 * write is new: then a problem found while writing is undone by removing what was
	 * written. Anything in their way (an out/ without a manifest, --force over files)
	 * and they are rendered first, as when nothing is deferred */
	if (plan.deferred) {
		if (sync_classify_render(&s, &plan, &od, o->force, &err) < 0) {
			sync_fail(r, &err);
			goto out;
		}
		int all_new = 1;
		for (size_t k = 0; k < s.count && all_new; k++) {
			const struct sync_item *item = &s.items[k];
			if (item->planned != SIZE_MAX && plan.files[item->planned].customer &&
			    plan.files[item->planned].customer->deferred)
				all_new = item->state == SYNC_NEW;
		}
		if (!all_new) {
			sync_release(&s);
			sync_pipe_free(ahead);
			ahead = NULL;
			rc = plan_undefer(&plan, o->progress);
			if (rc != 0) {
				sync_take_plan_errors(r, &plan, rc);
				goto out;
			}
		}
	}
	/* every channel's Applications must point where the branch holds the files */
	int hydrated_ok = 1;
	for (size_t i = 0; o->hydrated_branch && hydrated_ok && i < plan.tree.channels.set_count; i++)
		hydrated_ok = manifest_check_hydrated(plan.tree.channels.sets[i].manifest, o->hydrated_branch, &err) == 0;
	if (!hydrated_ok) {
		error_list_take(&r->problems, &err);
		r->status = 1;
		r->invalid = 1;
		r->template_set_invalid = 1;
		goto out;
	}
	if (plan.old_damage.message) {
		const struct error *d = &plan.old_damage;
		const char *tail = strstr(d->message, "; the manifest is damaged");
		buf_printf(&r->notices, "%s", d->file);
		if (d->line)
			buf_printf(&r->notices, ":%u:%u", d->line, d->col);
		buf_printf(&r->notices, ": warning: %.*s; the manifest is damaged: this render rebuilds it from every "
			   "output and removes nothing it names\n", tail ? (int)(tail - d->message) : (int)strlen(d->message),
			   d->message);
	}
	r->rendered = plan.changed;
	r->files = plan.count;
	if (plan_is_noop(&plan) && !od.journal_count && !plan.summaries_missing) {
		/* nothing to render, write or prune: the common case, kept cheap */
		r->unchanged = plan.old.file_count;
		if (o->want_manifest)
			sync_format_manifest(&plan, &r->manifest);
		goto out;
	}
	if (!plan.deferred && sync_classify_render(&s, &plan, &od, o->force, &err) < 0) {
		sync_fail(r, &err);
		goto out;
	}
	r->status = sync_problems(&s, &plan, SYNC_RENDER, o->force, &r->problems);
	if (r->status)
		goto out;
	s.progress = o->progress && isatty(2);
	rc = sync_apply(&s, &plan, &od, o->want_manifest, ahead, &err);
	if (rc < 0) {
		sync_fail(r, &err);
		goto out;
	}
	if (rc > 0) {
		error_list_sort(&s.invalid);
		error_list_append(&r->problems, &s.invalid);
		r->status = 1;
		r->invalid = 1;
		r->undone = 1;
		goto out;
	}
	if (plan.old_missing && s.counts[SYNC_FOREIGN])
		buf_printf(&r->notices, "stamp: note: out/ had no manifest; %zu file%s that differed from %s rendering "
			   "%s restored\n", s.counts[SYNC_FOREIGN], s.counts[SYNC_FOREIGN] == 1 ? "" : "s",
			   s.counts[SYNC_FOREIGN] == 1 ? "its" : "their", s.counts[SYNC_FOREIGN] == 1 ? "was" : "were");
	r->written = s.written;
	r->removed = s.removed;
	r->unchanged = plan.count - s.written;
	if (o->want_manifest) { /* moved, not copied: 13 MB at 10,000 customers */
		buf_release(&r->manifest);
		r->manifest = s.manifest;
		s.manifest = (struct buf)BUF_INIT;
	}
out:
	memcpy(r->counts, s.counts, sizeof r->counts);
	sync_release(&s);
	sync_pipe_free(ahead); /* before the plan it renders */
	if (have_plan)
		plan_release(&plan);
	outdir_close(&od);
	error_clear(&err);
	return r->status;
}

struct sync_scan_job {
	const struct outdir *od;
	struct outdir_scan scan;
	struct error err;
	int rc;
};

static void sync_scan_main(void *arg, size_t worker)
{
	(void)worker;
	struct sync_scan_job *job = arg;
	job->rc = outdir_scan(job->od, 2, &job->scan, &job->err);
}

int sync_check(const struct sync_options *o, struct sync_report *r)
{
	struct outdir od;
	struct plan plan;
	struct sync s = { 0 };
	struct error err = ERROR_INIT;
	if (outdir_open(&od, o->root_fd, &err) < 0 || outdir_journal_load(&od, &err) < 0) {
		sync_fail(r, &err);
		outdir_close(&od);
		return r->status;
	}
	/* out/ is scanned on a thread of its own while the plan is built: on a no-op
	 * check, the two take about as long as each other */
	struct sync_scan_job job = { &od, { 0 }, ERROR_INIT, 0 };
	struct pool pool;
	pool_start(&pool, 1, sync_scan_main, &job);
	if (!pool.started)
		sync_scan_main(&job, 0);
	int rc = plan_build(&plan, o->src, &od, o->jobs, o->progress, 0);
	pool_join(&pool);
	r->customers = plan.customers.count;
	r->files = plan.count;
	if (rc != 0) {
		sync_take_plan_errors(r, &plan, rc);
	} else if (job.rc < 0) {
		sync_fail(r, &job.err);
	} else if (sync_classify_scan(&s, &plan, &od, &job.scan, &err) < 0) {
		sync_fail(r, &err);
	} else {
		struct buf holder = BUF_INIT;
		int lock = outdir_lock_state(&od, &holder);
		if (lock) {
			struct error e = ERROR_INIT;
			error_set(&e, OUTDIR "/" OUTDIR_LOCK, 0, 0, lock == 1
				  ? "is held by a stamp that is running (%s); run stamp check again when it is done"
				  : "was left by a stamp that is no longer running (%s); run stamp render, which removes it",
				  holder.ptr);
			error_list_take(&r->problems, &e);
		}
		buf_release(&holder);
		if (plan.old_damage.message) {
			struct error e = ERROR_INIT;
			error_move(&e, &plan.old_damage);
			error_list_take(&r->problems, &e);
		}
		r->status = sync_problems(&s, &plan, o->staged_only ? SYNC_CHECK_STAGED : SYNC_CHECK, 0, &r->problems);
		if (r->problems.count)
			r->status = 1;
		for (size_t i = 0; r->status && i < plan.tree.channels.count; i++) {
			size_t moved = plan_channel_moved(&plan, i);
			const struct channel_set *set = channels_set_of(&plan.tree.channels, i);
			if (moved && *set->sha)
				buf_printf(&r->notices, "stamp: channel %s moved to %.7s: %zu customer%s out of date\n",
					   plan.tree.channels.items[i].name, set->sha, moved, moved == 1 ? "" : "s");
			else if (moved)
				buf_printf(&r->notices, "stamp: channel %s (" CHANNEL_WORKTREE "): the templates changed, %zu "
					   "customer%s out of date\n", plan.tree.channels.items[i].name, moved, moved == 1 ? "" : "s");
		}
		if (!r->problems.count && !plan_is_noop(&plan)) {
			struct error stale = ERROR_INIT;
			error_set(&stale, OUTDIR "/" OUTMANIFEST_NAME, 0, 0, "records an older render (%zu customer%s "
				  "changed without changing a file); run stamp render", plan.changed,
				  plan.changed == 1 ? "" : "s");
			error_list_take(&r->problems, &stale);
			s.counts[SYNC_REPLACE]++;
			r->status = 1;
		}
		error_list_sort(&r->problems);
	}
	memcpy(r->counts, s.counts, sizeof r->counts);
	outdir_scan_release(&job.scan);
	error_clear(&job.err);
	sync_release(&s);
	plan_release(&plan);
	outdir_close(&od);
	error_clear(&err);
	return r->status;
}

void sync_report_release(struct sync_report *r)
{
	error_list_release(&r->problems);
	buf_release(&r->notices);
	buf_release(&r->manifest);
}
