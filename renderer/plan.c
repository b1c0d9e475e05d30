/* The plan of a render. Incremental like make: a customer whose input hash (spec,
 * template set, stamp's version) is the one the last render recorded is not rendered,
 * its files stay as recorded. The customers that changed are rendered on all cores; the
 * new tree is their files merged with the files that stay, which come from the manifest
 * in path order already, so 100,000 customers cost no sort of the whole tree. */
#include "plan.h"

#include "alloc.h"

#include "array.h"
#include "buf.h"
#include "manifest.h"
#include "outdir.h"
#include "pool.h"
#include "source.h"
#include "summary.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct plan_job {
	struct plan *plan;
	int undefer;    /* render the deferred customers only, in full */
	size_t next;
	size_t done;
	pthread_mutex_t lock;
};

size_t plan_channel_moved(const struct plan *p, size_t channel)
{
	const struct outmanifest_channel *before = outmanifest_channel(&p->old, p->tree.channels.items[channel].name);
	if (!before || hash_equal(before->set, channels_set_of(&p->tree.channels, channel)->outputs->set_hash))
		return 0;
	size_t moved = 0;
	for (size_t i = 0; p->slots && i < p->customers.count; i++)
		moved += p->customers.items[i].channel == channel && p->slots[i].changed;
	return moved;
}

const struct output_set *plan_outputs_of(const struct plan *p, const struct customer *c)
{
	return channels_set_of(&p->tree.channels, c->channel)->outputs;
}

/* The values customer c renders from: its own, or for a lean one (whose values are its
 * summary) its spec parsed again into arena. NULL when that fails (errors says why). */
static const struct value *plan_values(const struct plan *p, const struct plan_customer *c, struct arena *arena,
				       struct error_list *errors)
{
	if (!c->customer->lean)
		return c->customer->values;
	struct value *full = NULL;
	customers_values(&p->customers, p->main_set->manifest, p->source, (size_t)(c - p->slots), arena, &full,
			 errors);
	return full;
}

/* output_keep for the check pass: the bytes of a file rendered otherwise than the last
 * render recorded it, which the writer will most likely write, are kept, up to
 * keep_budget in all; the writer then need not render its customer again (sync.c).
 * A template change over 10,000 customers keeps 7 MB and renders each customer once.
 * A path the last render wrote is the manifest's string, not a copy: 1.4 million
 * paths at 100,000 customers take 67 MB. */
static int plan_keep(void *data, const char *path, struct hash hash, size_t len, const char **same)
{
	struct plan *p = data;
	const struct outmanifest_file *r = outmanifest_file(&p->old, path);
	if (r)
		*same = r->path;
	if (r && hash_equal(r->hash, hash))
		return 0;
	size_t before = atomic_fetch_add(&p->kept_bytes, len);
	if (before + len <= p->keep_budget && before + len >= before)
		return 1;
	atomic_fetch_sub(&p->kept_bytes, len);
	return 0;
}

/* Worker w keeps the paths and hashes it renders in p->arenas[w], to the end. */
static void plan_worker_main(void *arg, size_t worker)
{
	struct plan_job *job = arg;
	struct plan *p = job->plan;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		size_t i = job->next;
		while (i < p->customers.count && !(p->slots[i].changed && (!job->undefer || p->slots[i].deferred)))
			i++;
		job->next = i + 1;
		pthread_mutex_unlock(&job->lock);
		if (i >= p->customers.count)
			break;
		struct plan_customer *s = &p->slots[i];
		if (job->undefer) {
			output_files_release(&s->files);
			s->deferred = 0;
		}
		/* deferred: only the paths now; the writer renders, parses back and hashes it
		 * once, as it writes. A path that does not render is rendered in full here,
		 * which says what is wrong with it */
		const struct output_set *os = plan_outputs_of(p, s->customer);
		if (s->deferred && output_render_paths(os, s->customer->values, &p->arenas[worker], &s->files,
							&s->errors) < 0) {
			s->deferred = 0;
			output_files_release(&s->files);
			error_list_release(&s->errors);
		}
		if (!s->deferred) {
			struct arena scratch = ARENA_INIT;
			const struct value *values = plan_values(p, s, &scratch, &s->errors);
			struct output_keep keep = { plan_keep, p };
			if (values)
				output_render_customer(os, values, OUTPUT_PARSE_BACK, &keep, &p->arenas[worker],
						       &s->files, &s->errors);
			arena_release(&scratch);
		}
		pthread_mutex_lock(&job->lock);
		job->done++;
		pthread_mutex_unlock(&job->lock);
	}
}

/* A progress line on a terminal, once a run has taken more than a second. */
static void plan_progress(struct plan_job *job, size_t total)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int shown = 0;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		size_t done = job->done;
		pthread_mutex_unlock(&job->lock);
		if (done >= total)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (elapsed > 1.0) {
			fprintf(stderr, "\rstamp: rendering %zu/%zu customers", done, total);
			shown = 1;
		}
		struct timespec pause = { 0, 100 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	if (shown)
		fputs("\r\033[K", stderr);
}

/* Every changed customer, on worker_count threads (fewer if fewer can be started; with
 * none started, this thread renders them all). This thread shows the progress. */
static void plan_render_changed(struct plan *p, int progress, int undefer)
{
	struct plan_job job = { p, undefer, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	if (p->worker_count == 1) {
		plan_worker_main(&job, 0);
		return;
	}
	struct pool pool;
	pool_start(&pool, p->worker_count, plan_worker_main, &job);
	if (!pool.started)
		plan_worker_main(&job, 0);
	else if (progress && isatty(2))
		plan_progress(&job, p->changed);
	pool_join(&pool);
}


static int plan_compare(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path, ((const struct plan_file *)b)->path);
}

struct plan_list {
	struct plan_file *files;
	size_t count;
	size_t cap;
};

/* Appends files to l, which has room for them. */
static void plan_list_take(struct plan_list *l, struct output_files *files, const char *owner,
			   struct plan_customer *slot)
{
	for (size_t i = 0; i < files->count && l->count < l->cap; i++)
		l->files[l->count++] = (struct plan_file){ files->items[i].path, owner, files->items[i].hash,
							   &files->items[i], slot };
}

/* Do the last render's files of this owner stay as they are? */
static int plan_owner_stays(const struct plan *p, const char *owner)
{
	if (strcmp(owner, "-") == 0)
		return !p->aggregates_rendered;
	const struct customer *c = customers_find(&p->customers, owner);
	return c && !p->slots[c - p->customers.items].changed;
}

/* The last render's manifest. One that cannot be parsed is set aside (old_damage says
 * why) and the plan becomes full: nothing it says is trusted, least of all a deletion. */
static int plan_read_old(struct plan *p, const struct outdir *od)
{
	struct buf text = BUF_INIT;
	struct error err = ERROR_INIT;
	struct stat st;
	p->old_mtime_ns = -1;
	int rc = outdir_manifest_read(od, &text, &st, &err);
	if (rc == 1) {
		buf_release(&text);
		p->old_missing = 1;
		return 0;
	}
	if (rc < 0 && err.environment) { /* unreadable, not damaged */
		buf_release(&text);
		error_list_take(&p->errors, &err);
		return -1;
	}
	if (rc == 0 && outmanifest_parse(&p->old, buf_detach(&text, NULL), OUTDIR "/" OUTMANIFEST_NAME, &err) == 0) {
		p->old_mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		return 0;
	}
	buf_release(&text);
	error_move(&p->old_damage, &err);
	return 0;
}

/* With errors: 1 when they are all the input's, -1 when the system failed too (an
 * unreadable file must not pass for an invalid one). */
static int plan_status(const struct plan *p)
{
	return error_list_environment(&p->errors) ? -1 : 1;
}

/* customers_reuse: a customer whose input hash is the one the last render recorded is
 * reused through the summary it recorded, when it recorded one. The channel it followed
 * gives the set its inputs are hashed with: its spec, which names the channel, is the
 * same bytes. */
static const char *plan_summary_of(void *data, struct customer *c, size_t *len)
{
	struct plan *p = data;
	if (p->full || !p->set_same)
		return NULL;
	const struct outmanifest_customer *before = outmanifest_customer(&p->old, c->id);
	/* a channel gone, or none recorded where channels are declared now: its spec says */
	long channel = before ? channels_find_recorded(&p->tree.channels, before->channel) : -1;
	if (channel < 0 || !before->summary)
		return NULL;
	c->channel = (size_t)channel;
	if (!hash_equal(before->input, output_customer_input(plan_outputs_of(p, c), c)))
		return NULL;
	*len = before->summary_len;
	return before->summary;
}

/* The values a plan keeps (customers.h): 64 MiB holds about 14,000 customers of the
 * default set, so up to there nothing is parsed twice; past it a customer is parsed
 * again where it is rendered, and 100,000 customers fit in 512 MiB. STAMP_TEST_HOLD sets
 * it (bytes), so that the tests take the lean path with a few customers. */
static size_t plan_test_bytes(const char *name, size_t otherwise)
{
	const char *test = getenv(name);
	char *end = NULL;
	unsigned long long bytes = test && *test ? strtoull(test, &end, 10) : 0;
	return end && !*end && bytes ? (size_t)bytes : otherwise;
}

/* customers_reuse: the summary the last render recorded for c, to tell whether a changed
 * customer still claims what it did (customer.summary_as_before). */
static const char *plan_summary_before(void *data, const struct customer *c, size_t *len)
{
	struct plan *p = data;
	if (p->full || !p->set_same)
		return NULL;
	const struct outmanifest_customer *before = outmanifest_customer(&p->old, c->id);
	/* on another channel, its summary's platform (P) is another set's */
	if (!before || !before->summary || channels_find_recorded(&p->tree.channels, before->channel) != (long)c->channel)
		return NULL;
	*len = before->summary_len;
	return before->summary;
}

static int plan_load(struct plan *p, const struct source *src, const struct outdir *od, int jobs, int force)
{
	memset(p, 0, sizeof *p);
	p->source = src;
	p->aggregate_arena = (struct arena)ARENA_INIT;
	int rc = channel_tree_load(&p->tree, src, &p->errors);
	if (rc != 0)
		return rc < 0 ? -1 : plan_status(p);
	p->main_set = channels_default_set(&p->tree.channels);
	if (plan_read_old(p, od) < 0)
		return -1;
	p->full = force || p->old_missing || p->old_damage.message;
	/* the default channel's set: what the summaries keep and the outputs over all
	 * customers read. A customer's own set is in its input hash */
	p->set_same = !p->full && p->old.version && hash_equal(p->old.set_hash, p->main_set->outputs->set_hash);
	summary_keys_init_channels(&p->keys, &p->tree.channels);
	p->have_keys = 1;
	size_t hold = plan_test_bytes("STAMP_TEST_HOLD", PLAN_HOLD);
	/* A changed template set (or stamp version) over a last render renders every
	 * customer, and the writer writes the files that change from the bytes the check
	 * pass kept. The bytes that change are a fraction of a customer's values (0.7 KB
	 * against 4.7 KB when one template changed), so the hold goes to them and no values
	 * are kept: each customer is parsed twice (here, and where the check pass renders
	 * it) and rendered once. Kept values left 100,000 customers nothing for bytes: past
	 * the first 14,000, each was parsed three times and rendered twice. */
	int bytes_first = !p->full && !p->set_same;
	struct customers_reuse reuse = { .keys = &p->keys, .summary_of = plan_summary_of,
					 .summary_before = plan_summary_before, .data = p,
					 .hold = bytes_first ? 0 : hold };
	rc = customers_load(&p->customers, p->main_set->manifest, &p->tree.channels, src, jobs, NULL, &reuse);
	/* the bytes kept for the writer come out of the same hold as the values: a cold
	 * render of 10,000 customers of the default set keeps 47 MB of values (and needs no
	 * bytes: its customers are rendered by the writer), a template change 7 MB of bytes
	 * and no values. STAMP_TEST_KEEP (bytes) sets it apart, so that the tests also take
	 * the path where the writer renders again */
	p->keep_budget = plan_test_bytes("STAMP_TEST_KEEP", hold > p->customers.held ? hold - p->customers.held : 0);
	/* the tests write back in the background after a few files */
	p->writeback_bytes = plan_test_bytes("STAMP_TEST_WRITEBACK", OUTDIR_WRITEBACK_BYTES);
	if (rc != 0) {
		error_list_append(&p->errors, &p->customers.errors);
		return rc < 0 ? -1 : plan_status(p);
	}
	p->slots = calloc(p->customers.count ? p->customers.count : 1, sizeof *p->slots);
	if (!p->slots)
		alloc_failed();
	int set_same = p->set_same;
	int summaries_as_before = 1;
	for (size_t i = 0; i < p->customers.count; i++) {
		struct plan_customer *s = &p->slots[i];
		s->customer = &p->customers.items[i];
		s->input = output_customer_input(plan_outputs_of(p, s->customer), s->customer);
		const struct outmanifest_customer *before = outmanifest_customer(&p->old, s->customer->id);
		/* its input hash holds its set's: a set changed changes it (with channels, only
		 * the customers of the channel moved) */
		s->changed = p->full || !p->old.version || !before || !hash_equal(before->input, s->input);
		p->changed += (size_t)s->changed;
		summaries_as_before &= !s->changed || s->customer->summary_as_before;
		/* kept, but parsed for want of a summary (a manifest of format 1): the next
		 * manifest records one, even when nothing else changes */
		p->summaries_missing |= !s->changed && !s->customer->reused;
	}
	/* the same customers as the last render (each has its record, and as many): with
	 * the summaries of those that changed as they were, the outputs over all customers
	 * read what they read then and stay, unless they read the files' hashes */
	int same_customers = set_same && p->old.customer_count == p->customers.count;
	p->noop = same_customers && !p->changed;
	p->aggregates_rendered = !same_customers ||
				 (p->changed && (!summaries_as_before || p->main_set->outputs->aggregates_use_hashes));
	return 0;
}

int plan_is_noop(const struct plan *p)
{
	return p->noop;
}

/* output_hash_source for the outputs over all customers: a customer rendered now has
 * its hashes in its slot; one kept has them in the last render's manifest. */
static int plan_hash_of(void *data, size_t index, const char *path, struct hash *out)
{
	const struct plan *p = data;
	const struct plan_customer *s = &p->slots[index];
	if (s->changed) {
		for (size_t i = 0; i < s->files.count; i++)
			if (strcmp(s->files.items[i].path, path) == 0) {
				*out = s->files.items[i].hash;
				return 0;
			}
		return -1;
	}
	const struct outmanifest_file *f = outmanifest_file(&p->old, path);
	if (!f || strcmp(f->owner, s->customer->id) != 0)
		return -1;
	*out = f->hash;
	return 0;
}

static int plan_merge(struct plan *p);

/* The deferred customers rendered in full here (parsed back, hashed), their problems
 * added to the plan's: none is deferred any more. */
static void plan_render_deferred(struct plan *p, int progress)
{
	plan_render_changed(p, progress, 1);
	p->deferred = 0;
	for (size_t i = 0; i < p->customers.count; i++)
		error_list_append(&p->errors, &p->slots[i].errors);
}

static void plan_two_outputs(struct plan *p, const char *path)
{
	outdir_report(&p->errors, path, "two outputs write this path (check the path: templates of outputs in "
		      "templates/stamp.yaml)");
}

int plan_begin(struct plan *p, const struct source *src, const struct outdir *od, int jobs, int progress,
	       int force, int defer)
{
	int rc = plan_load(p, src, od, jobs, force);
	if (rc != 0)
		return rc;
	/* a customer whose files the last render did not write (all of them, in a full
	 * plan) is rendered once, by the writer, when nothing it writes can be in the way;
	 * sync_render() checks that they are all new, and calls plan_undefer() if not.
	 * The outputs over all customers read values only, unless they read hashes */
	int paths_use_hashes = 0;
	for (size_t i = 0; i < p->tree.channels.set_count; i++)
		paths_use_hashes |= output_paths_use_hashes(p->tree.channels.sets[i].outputs);
	if (defer && p->changed && !p->main_set->outputs->aggregates_use_hashes && !paths_use_hashes) {
		for (size_t i = 0; i < p->customers.count; i++) {
			struct plan_customer *s = &p->slots[i];
			s->deferred = s->changed && (p->full || !outmanifest_customer(&p->old, s->customer->id));
			p->deferred += (size_t)s->deferred;
		}
		/* all or none: a file replaced before a deferred customer failed could not be
		 * put back */
		if (p->deferred != p->changed) {
			for (size_t i = 0; i < p->customers.count; i++)
				p->slots[i].deferred = 0;
			p->deferred = 0;
		}
	}

	p->worker_count = pool_threads(jobs);
	if (p->worker_count > p->changed)
		p->worker_count = p->changed ? p->changed : 1;
	p->arenas = calloc(p->worker_count, sizeof *p->arenas);
	if (!p->arenas)
		alloc_failed();
	if (p->changed)
		plan_render_changed(p, progress, 0);
	for (size_t i = 0; i < p->customers.count; i++)
		error_list_append(&p->errors, &p->slots[i].errors);
	return 0;
}

int plan_finish(struct plan *p, const struct source *src)
{
	int rc;
	/* outputs over all customers, when anything about the customers changed: they read
	 * every customer, the reused ones through their summaries */
	if (p->aggregates_rendered && p->customers.reused) {
		rc = customers_expand(&p->customers, p->main_set->manifest, src);
		error_list_append(&p->errors, &p->customers.errors);
		if (rc != 0)
			return plan_status(p);
	}
	if (p->aggregates_rendered) {
		struct output_hash_source hashes = { plan_hash_of, p };
		output_render_aggregate(p->main_set->outputs, p->main_set->manifest, p->customers.items,
					p->customers.count, &hashes,
					OUTPUT_PARSE_BACK | OUTPUT_KEEP, &p->aggregate_arena, &p->aggregate_files, &p->errors);
	}
	if (p->errors.count)
		return plan_status(p);
	return plan_merge(p);
}

int plan_build(struct plan *p, const struct source *src, const struct outdir *od, int jobs, int progress,
	       int force)
{
	int rc = plan_begin(p, src, od, jobs, progress, force, 0);
	return rc == 0 ? plan_finish(p, src) : rc;
}

int plan_undefer(struct plan *p, int progress)
{
	plan_render_deferred(p, progress);
	return p->errors.count ? plan_status(p) : plan_merge(p);
}

/* The new tree: the files rendered now, merged with the files that stay (again after
 * plan_undefer(), whose renders replace the deferred customers' paths). */
static int plan_merge(struct plan *p)
{
	free(p->files);
	free(p->kept);
	/* the last render's files that stay */
	p->kept = calloc(p->old.file_count ? p->old.file_count : 1, 1);
	if (!p->kept)
		alloc_failed();
	size_t kept = 0;
	const char *last_owner = NULL;
	int last_keep = 0;
	for (size_t i = 0; i < p->old.file_count; i++) {
		const char *owner = p->old.files[i].owner;
		if (!last_owner || strcmp(owner, last_owner) != 0) {
			last_owner = owner;
			last_keep = plan_owner_stays(p, owner);
		}
		p->kept[i] = (char)last_keep;
		kept += (size_t)last_keep;
	}
	/* the rendered ones go to the end of the new tree's array, sorted there, and the
	 * merge writes from its start: the write position never passes the next rendered
	 * file unread (it is at most the files merged, and that one sits past every kept
	 * file), so 1.4 million files at 100,000 customers need no second array */
	size_t count = p->aggregates_rendered ? p->aggregate_files.count : 0;
	for (size_t i = 0; i < p->customers.count; i++)
		if (p->slots[i].changed)
			count += p->slots[i].files.count;
	struct plan_list all = { NULL, kept + count, kept + count };
	all.files = alloc_check(malloc((all.cap ? all.cap : 1) * sizeof *all.files));
	struct plan_list rendered = { all.files + kept, 0, count };
	for (size_t i = 0; i < p->customers.count; i++)
		if (p->slots[i].changed)
			plan_list_take(&rendered, &p->slots[i].files, p->slots[i].customer->id, &p->slots[i]);
	if (p->aggregates_rendered)
		plan_list_take(&rendered, &p->aggregate_files, "-", NULL);
	if (rendered.count)
		qsort(rendered.files, rendered.count, sizeof *rendered.files, plan_compare);
	/* the files that stay have one path each (the manifest was refused otherwise): only
	 * a rendered path can meet another, here or in the merge */
	for (size_t k = 1; k < rendered.count; k++)
		if (strcmp(rendered.files[k].path, rendered.files[k - 1].path) == 0)
			plan_two_outputs(p, rendered.files[k].path);
	/* one merge, in path order, of the last render's files that stay and the new ones */
	size_t w = 0, j = 0;
	for (size_t i = 0; i < p->old.file_count; i++) {
		if (!p->kept[i])
			continue;
		int order = 1;
		while (j < rendered.count && (order = strcmp(rendered.files[j].path, p->old.files[i].path)) <= 0) {
			if (order == 0)
				plan_two_outputs(p, rendered.files[j].path);
			all.files[w++] = rendered.files[j++];
		}
		all.files[w++] = (struct plan_file){ p->old.files[i].path, p->old.files[i].owner, p->old.files[i].hash,
						      NULL, NULL };
	}
	while (j < rendered.count)
		all.files[w++] = rendered.files[j++];
	p->files = all.files;
	p->count = w;
	return p->errors.count ? 1 : 0;
}

int plan_render_again(const struct plan *p, struct plan_customer *c, struct arena *arena,
		      struct output_files *files, struct error_list *errors)
{
	const struct value *values = plan_values(p, c, arena, errors);
	if (!values)
		return -1;
	return output_render_customer(plan_outputs_of(p, c->customer), values, c->deferred ? OUTPUT_KEEP | OUTPUT_PARSE_BACK : OUTPUT_KEEP,
				      NULL, arena, files, errors);
}

void plan_release(struct plan *p)
{
	for (size_t i = 0; p->slots && i < p->customers.count; i++) {
		output_files_release(&p->slots[i].files);
		error_list_release(&p->slots[i].errors);
	}
	free(p->slots);
	for (size_t i = 0; i < p->worker_count; i++)
		arena_release(&p->arenas[i]);
	free(p->arenas);
	free(p->files);
	free(p->kept);
	output_files_release(&p->aggregate_files);
	arena_release(&p->aggregate_arena);
	customers_release(&p->customers);
	if (p->have_keys)
		summary_keys_release(&p->keys);
	outmanifest_release(&p->old);
	error_clear(&p->old_damage);
	channel_tree_release(&p->tree);
	error_list_release(&p->errors);
	memset(p, 0, sizeof *p);
}
