/* Rendering two sides and comparing them. Both sides are validated whole (the same
 * rules as stamp check), then only the customers whose input hash differs, or that
 * exist on one side only, are rendered, on all cores; the outputs over all customers
 * are rendered when anything about the customers or the templates differs. Patches come
 * from git_patch_from_buffers(), so they read exactly like git's.
 *
 * The working tree is loaded first, reusing its out/.stamp-manifest as a render does,
 * and each spec it reads gets its git blob id. The revision's tree names its specs by
 * blob id, so a spec with the same id holds the same bytes: it is neither read from the
 * object store nor parsed, and takes the working tree's summary when the template sets
 * are the same. Only the specs that differ are read on that side. */
#include "diff.h"

#include "alloc.h"
#include "pool.h"

#include "array.h"
#include "channel.h"
#include "customers.h"
#include "gitrepo.h"
#include "hash.h"
#include "manifest.h"
#include "outdir.h"
#include "outmanifest.h"
#include "output.h"
#include "source.h"
#include "summary.h"

#include <git2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct diff_side {
	const struct source *source;
	const struct diff_side *other; /* loaded before, holding what this side may share */
	struct channel_tree tree;   /* the sets this side's customers follow */
	const struct channel_set *main_set; /* its default channel's */
	struct customers customers;
	int loaded;
	struct outmanifest record;  /* the side's out/.stamp-manifest, when it has a good one */
	int have_record;
	struct summary_keys keys;
	int have_keys;
};

static const struct output_set *diff_outputs_of(const struct diff_side *s, const struct customer *c)
{
	return channels_set_of(&s->tree.channels, c->channel)->outputs;
}

/* customers_reuse: a customer whose input hash is the one its side's manifest records
 * is taken from the summary recorded there (which a render of those inputs wrote), and
 * parsed only if it is rendered after all. */
static const char *diff_summary_of(void *data, struct customer *c, size_t *len)
{
	struct diff_side *s = data;
	if (!s->have_record)
		return NULL;
	const struct outmanifest_customer *r = outmanifest_customer(&s->record, c->id);
	long channel = r ? channels_find_recorded(&s->tree.channels, r->channel) : -1;
	if (channel < 0 || !r->summary)
		return NULL;
	c->channel = (size_t)channel;
	if (!hash_equal(r->input, output_customer_input(diff_outputs_of(s, c), c)))
		return NULL;
	*len = r->summary_len;
	return r->summary;
}

/* customers_reuse, on the side loaded second: a spec whose blob id is the one the other
 * side read has the bytes it hashed. */
static int diff_shared_spec_hash(void *data, const struct customer *c, struct hash *spec_hash)
{
	struct diff_side *s = data;
	const struct customer *o = customers_find(&s->other->customers, c->id);
	if (!o || !o->has_blob || memcmp(o->blob.id, c->blob.id, SOURCE_BLOB_SIZE) != 0)
		return 0;
	*spec_hash = o->spec_hash;
	return 1;
}

/* The same inputs (spec bytes and template set) make the same summary, so the other
 * side's serves when its manifest vouches for it: a customer the other side took from
 * its record was valid, with the others recorded there, at the render that wrote it, so
 * this side may skip the rules across customers as that side does. Not one it parsed
 * (nothing vouches for it with the rest), and not a summary that names a file besides
 * the spec (a value from the template set), which would show the other side's label.
 * Otherwise this side's own record, when it has one. */
static const char *diff_shared_summary_of(void *data, struct customer *c, size_t *len)
{
	struct diff_side *s = data;
	const struct customer *o = customers_find(&s->other->customers, c->id);
	const struct channels *och = &s->other->tree.channels;
	long channel = o ? channels_find_recorded(&s->tree.channels, och->count ? och->items[o->channel].name : NULL)
			 : -1;
	if (channel >= 0) {
		c->channel = (size_t)channel;
		if (o->reused && hash_equal(output_customer_input(diff_outputs_of(s->other, o), o),
					    output_customer_input(diff_outputs_of(s, c), c)) &&
		    summary_spec_only(o->summary, o->summary_len)) {
			*len = o->summary_len;
			return o->summary;
		}
	}
	return diff_summary_of(data, c, len);
}

/* The side's manifest, if it has one stamp can read; anything else means no reuse. */
static void diff_side_record(struct diff_side *s)
{
	struct buf text = BUF_INIT;
	struct error err = ERROR_INIT;
	if (s->source->ops->read(s->source, OUTDIR "/" OUTMANIFEST_NAME, 0, &text, &err) == SOURCE_OK &&
	    outmanifest_parse(&s->record, buf_detach(&text, NULL), OUTDIR "/" OUTMANIFEST_NAME, &err) == 0)
		s->have_record = s->record.version && hash_equal(s->record.set_hash, s->main_set->outputs->set_hash);
	buf_release(&text);
	error_clear(&err);
}

static int diff_side_load(struct diff_side *s, const struct source *src, const struct diff_side *other, int jobs,
			  struct error_list *errors)
{
	memset(s, 0, sizeof *s);
	s->source = src;
	s->other = other;
	if (!src)
		return 0; /* nothing rendered on this side */
	int rc = channel_tree_load(&s->tree, src, errors);
	if (rc != 0)
		return rc;
	s->main_set = channels_default_set(&s->tree.channels);
	summary_keys_init_channels(&s->keys, &s->tree.channels);
	s->have_keys = 1;
	struct customers_reuse reuse = { .keys = &s->keys, .summary_of = diff_summary_of, .data = s,
					 .hold = CUSTOMERS_HOLD_ALL };
	if (other && other->main_set) {
		reuse.summary_of = diff_shared_summary_of;
		reuse.spec_hash_of = diff_shared_spec_hash;
	} else {
		reuse.blob_ids = 1;
	}
	/* this side's record serves what the other side's cannot (its 13 MB at 10,000
	 * customers are not read for nothing) */
	if (!other || !other->have_record)
		diff_side_record(s);
	rc = customers_load(&s->customers, s->main_set->manifest, &s->tree.channels, src, jobs, NULL, &reuse);
	error_list_append(errors, &s->customers.errors);
	s->loaded = rc == 0;
	return rc < 0 || error_list_environment(errors) ? -1 : rc;
}

static void diff_side_release(struct diff_side *s)
{
	customers_release(&s->customers);
	outmanifest_release(&s->record);
	if (s->have_keys)
		summary_keys_release(&s->keys);
	channel_tree_release(&s->tree);
}

/* One customer to compare, or the outputs over all customers (base/head NULL, all set). */
struct diff_item {
	const char *id;
	struct customer *base, *head;
	int all;
	struct diff_group group;
	struct error_list errors;
};

struct diff_job {
	struct diff_side *base, *head;
	struct diff_item *items;
	size_t count;
	size_t next;
	pthread_mutex_t lock;
};

static void diff_group_add(struct diff_group *g, const char *path, const struct output_file *old,
			   const struct output_file *new, struct error_list *errors)
{
	git_patch *patch = NULL;
	git_diff_options options;
	git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION);
	struct buf name = BUF_INIT;
	buf_printf(&name, "out/%s", path);
	if (git_patch_from_buffers(&patch, old ? old->data : NULL, old ? old->len : 0, old ? name.ptr : NULL,
				   new ? new->data : NULL, new ? new->len : 0, new ? name.ptr : NULL, &options) < 0) {
		const git_error *e = git_error_last();
		struct error err = ERROR_INIT;
		error_set(&err, name.ptr, 0, 0, "cannot compare: %s", e && e->message ? e->message : "unknown error");
		error_list_take(errors, &err);
		buf_release(&name);
		return;
	}
	g->files = realloc(g->files, (g->count + 1) * sizeof *g->files);
	if (!g->files)
		alloc_failed();
	struct diff_file *f = &g->files[g->count++];
	memset(f, 0, sizeof *f);
	f->path = buf_detach(&name, NULL);
	f->status = !old ? DIFF_ADDED : !new ? DIFF_REMOVED : DIFF_CHANGED;
	git_patch_line_stats(NULL, &f->additions, &f->deletions, patch);
	git_buf text = { 0 };
	if (git_patch_to_buf(&text, patch) == 0)
		buf_add(&f->patch, text.ptr, text.size);
	git_buf_dispose(&text);
	git_patch_free(patch);
	g->additions += f->additions;
	g->deletions += f->deletions;
	g->added += f->status == DIFF_ADDED;
	g->changed += f->status == DIFF_CHANGED;
	g->removed += f->status == DIFF_REMOVED;
}

static int diff_compare_files(const void *a, const void *b)
{
	return strcmp(((const struct output_file *)a)->path, ((const struct output_file *)b)->path);
}

/* Compares two renderings, matched by path. */
static void diff_files(struct diff_group *g, struct output_files *old, struct output_files *new,
		       struct error_list *errors)
{
	if (old->count)
		qsort(old->items, old->count, sizeof *old->items, diff_compare_files);
	if (new->count)
		qsort(new->items, new->count, sizeof *new->items, diff_compare_files);
	size_t i = 0, j = 0;
	while (i < old->count || j < new->count) {
		int order = i == old->count ? 1 : j == new->count ? -1 : strcmp(old->items[i].path, new->items[j].path);
		if (order < 0) {
			diff_group_add(g, old->items[i].path, &old->items[i], NULL, errors);
			i++;
		} else if (order > 0) {
			diff_group_add(g, new->items[j].path, NULL, &new->items[j], errors);
			j++;
		} else {
			if (!hash_equal(old->items[i].hash, new->items[j].hash))
				diff_group_add(g, new->items[j].path, &old->items[i], &new->items[j], errors);
			i++;
			j++;
		}
	}
}

static void diff_render_all(const struct diff_side *s, struct arena *arena, struct output_files *files,
			    struct error_list *errors)
{
	if (!s->loaded)
		return;
	/* no record of the customers' hashes here: an output over all of them that uses
	 * them has them rendered (output.h) */
	output_render_aggregate(s->main_set->outputs, s->main_set->manifest, s->customers.items, s->customers.count, NULL,
				OUTPUT_PARSE_BACK | OUTPUT_KEEP, arena, files, errors);
}

static void diff_item_run(struct diff_job *job, struct diff_item *item)
{
	struct arena arena = ARENA_INIT;
	struct output_files old = { 0 }, new = { 0 };
	if (item->all) {
		diff_render_all(job->base, &arena, &old, &item->errors);
		diff_render_all(job->head, &arena, &new, &item->errors);
	} else {
		if (item->base)
			output_render_customer(diff_outputs_of(job->base, item->base), item->base->values, OUTPUT_PARSE_BACK | OUTPUT_KEEP, NULL,
					       &arena, &old, &item->errors);
		if (item->head)
			output_render_customer(diff_outputs_of(job->head, item->head), item->head->values, OUTPUT_PARSE_BACK | OUTPUT_KEEP, NULL,
					       &arena, &new, &item->errors);
	}
	if (!item->errors.count)
		diff_files(&item->group, &old, &new, &item->errors);
	output_files_release(&old);
	output_files_release(&new);
	arena_release(&arena);
}

static void diff_worker_main(void *arg, size_t worker)
{
	(void)worker;
	struct diff_job *job = arg;
	for (;;) {
		pthread_mutex_lock(&job->lock);
		size_t i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->count)
			return;
		diff_item_run(job, &job->items[i]);
	}
}

static void diff_add_item(struct diff_job *job, size_t *cap, const char *id, struct customer *base,
			  struct customer *head, int all)
{
	job->items = array_grow(job->items, cap, job->count, sizeof *job->items, 64);
	struct diff_item *item = &job->items[job->count++];
	memset(item, 0, sizeof *item);
	item->id = id;
	item->base = base;
	item->head = head;
	item->all = all;
}

/* The working tree's channels, each marked moved when its set is not the one the base's
 * channel of that name renders with, and each group tagged with its customer's. */
static void diff_channels(struct diff *d, const struct diff_side *b, const struct diff_side *h)
{
	const struct channels *hch = &h->tree.channels, *bch = &b->tree.channels;
	if (!h->loaded || (!hch->count && !(b->loaded && bch->count)))
		return;
	d->channel_count = hch->count;
	d->channels = alloc_check(calloc(hch->count ? hch->count : 1, sizeof *d->channels));
	for (size_t i = 0; i < hch->count; i++) {
		struct diff_channel *c = &d->channels[i];
		const struct channel_set *set = channels_set_of(hch, i);
		c->name = alloc_check(strdup(hch->items[i].name));
		c->revision = alloc_check(strdup(hch->items[i].revision));
		memcpy(c->sha, set->sha, sizeof c->sha);
		long before = b->loaded ? channels_find(bch, c->name, strlen(c->name)) : -1;
		c->moved = before < 0 ||
			   !hash_equal(channels_set_of(bch, (size_t)before)->outputs->set_hash, set->outputs->set_hash);
	}
	for (size_t i = 0; i < d->count; i++) {
		struct diff_group *g = &d->groups[i];
		if (!g->customer)
			continue;
		const struct customer *x = customers_find(&h->customers, g->customer);
		const struct channels *ch = hch;
		if (!x && b->loaded) {
			x = customers_find(&b->customers, g->customer);
			ch = bch;
		}
		if (!x || !ch->count)
			continue;
		long at = channels_find(hch, ch->items[x->channel].name, strlen(ch->items[x->channel].name));
		if (at < 0)
			continue; /* a removed customer of a channel the working tree no longer has */
		g->channel = d->channels[at].name;
		d->channels[at].customers += !g->customer_removed;
	}
}

int diff_compute(struct diff *d, const struct source *base, const struct source *head, int jobs)
{
	memset(d, 0, sizeof *d);
	struct diff_side b, h;
	int rh = diff_side_load(&h, head, NULL, jobs, &d->errors);
	int rb = diff_side_load(&b, base, &h, jobs, &d->errors);
	int status = rb < 0 || rh < 0 ? -1 : rb || rh ? 1 : 0;
	if (status != 0)
		goto out;

	/* the customers whose rendering may differ */
	struct diff_job job = { &b, &h, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t cap = 0, i = 0, j = 0;
	struct customers *bc = &b.customers, *hc = &h.customers;
	while (i < bc->count || j < hc->count) {
		int order = i == bc->count ? 1 : j == hc->count ? -1 : strcmp(bc->items[i].id, hc->items[j].id);
		if (order < 0) {
			diff_add_item(&job, &cap, bc->items[i].id, &bc->items[i], NULL, 0);
			i++;
		} else if (order > 0) {
			diff_add_item(&job, &cap, hc->items[j].id, NULL, &hc->items[j], 0);
			j++;
		} else {
			if (!hash_equal(output_customer_input(diff_outputs_of(&b, &bc->items[i]), &bc->items[i]),
					output_customer_input(diff_outputs_of(&h, &hc->items[j]), &hc->items[j])))
				diff_add_item(&job, &cap, hc->items[j].id, &bc->items[i], &hc->items[j], 0);
			i++;
			j++;
		}
	}
	int over_all = job.count || !b.loaded || !h.loaded ||
		       !hash_equal(b.main_set->outputs->set_hash, h.main_set->outputs->set_hash);
	/* what is rendered needs its whole values: a customer taken from its summary is
	 * parsed now; the outputs over all customers read the others' summaries */
	for (size_t k = 0; k < job.count && status == 0; k++) {
		if (job.items[k].base && customers_parse(bc, b.main_set->manifest, b.source, (size_t)(job.items[k].base - bc->items)) < 0)
			status = 1;
		if (job.items[k].head && customers_parse(hc, h.main_set->manifest, h.source, (size_t)(job.items[k].head - hc->items)) < 0)
			status = 1;
	}
	if (status == 0 && over_all && b.loaded && customers_expand(bc, b.main_set->manifest, b.source) != 0)
		status = 1;
	if (status == 0 && over_all && h.loaded && customers_expand(hc, h.main_set->manifest, h.source) != 0)
		status = 1;
	error_list_append(&d->errors, &bc->errors);
	error_list_append(&d->errors, &hc->errors);
	if (status != 0) {
		free(job.items);
		status = error_list_environment(&d->errors) ? -1 : 1;
		goto out;
	}

	if (gitrepo_hold_library() < 0) {
		struct error err = ERROR_INIT;
		error_set(&err, NULL, 0, 0, "cannot initialise libgit2");
		error_environment(&err);
		error_list_take(&d->errors, &err);
		free(job.items);
		status = -1;
		goto out;
	}
	size_t workers = pool_threads(jobs);
	if (workers > job.count)
		workers = job.count ? job.count : 1;
	pool_run(workers, diff_worker_main, &job);
	/* the outputs over all customers, once on each side (they read the values only) */
	if (over_all) {
		diff_add_item(&job, &cap, NULL, NULL, NULL, 1);
		diff_item_run(&job, &job.items[job.count - 1]);
	}

	size_t groups_cap = 0;

	for (size_t k = 0; k < job.count; k++) {
		struct diff_item *item = &job.items[k];
		error_list_append(&d->errors, &item->errors);
		error_list_release(&item->errors);
		if (!item->group.count) {
			free(item->group.files);
			continue;
		}
		d->groups = array_grow(d->groups, &groups_cap, d->count, sizeof *d->groups, 16);
		struct diff_group *g = &d->groups[d->count++];
		*g = item->group;
		g->customer = item->id ? strdup(item->id) : NULL;
		g->customer_removed = item->base && !item->head && !item->all;
		d->customers_removed += (size_t)g->customer_removed;
		d->files += g->count;
		d->additions += g->additions;
		d->deletions += g->deletions;
		d->added += g->added;
		d->changed += g->changed;
		d->removed += g->removed;
	}
	free(job.items);
	diff_channels(d, &b, &h);
	if (d->errors.count)
		status = 1;
out:
	error_list_sort(&d->errors);
	diff_side_release(&b);
	diff_side_release(&h);
	return status;
}

void diff_release(struct diff *d)
{
	for (size_t i = 0; i < d->channel_count; i++) {
		free(d->channels[i].name);
		free(d->channels[i].revision);
	}
	free(d->channels);
	for (size_t i = 0; i < d->count; i++) {
		for (size_t k = 0; k < d->groups[i].count; k++) {
			free(d->groups[i].files[k].path);
			buf_release(&d->groups[i].files[k].patch);
		}
		free(d->groups[i].files);
		free(d->groups[i].customer);
	}
	free(d->groups);
	error_list_release(&d->errors);
	memset(d, 0, sizeof *d);
}
