/* `stamp render`: validate everything, render what changed in memory, parse it back,
 * and only then touch out/: write the files whose hash changed, prune the files of
 * removed customers, record the new hashes. Incremental like make: a customer whose
 * inputs (spec, template set, stamp's version) hash the same as at the last render is
 * neither rendered nor written. */
#include "array.h"
#include "buf.h"
#include "cli.h"
#include "customers.h"
#include "error.h"
#include "hash.h"
#include "manifest.h"
#include "outdir.h"
#include "output.h"
#include "value.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct render_job;
static void render_progress(const struct cli *cli, struct render_job *job, size_t total);

struct render_slot {
	struct customer *customer;
	struct hash input;
	int changed;
	int writes;               /* files of this customer to write */
	struct output_files files;
	struct error_list errors;
	struct output_files again; /* write pass: the bytes, rendered again */
	struct arena bytes;
	int ready;
};

/* Two passes over the changed customers, on all cores. The check pass renders, parses
 * back and hashes, keeping only paths and hashes (so 10,000 customers do not hold their
 * whole output in memory); the write pass, once everything is known good, renders the
 * customers that have files to write again and writes them. */
enum render_pass { RENDER_CHECK, RENDER_WRITE };

struct render_job {
	const struct output_set *outputs;
	struct render_slot *slots;
	size_t count;
	size_t next;
	size_t done;
	enum render_pass pass;
	pthread_mutex_t lock;
};

struct render_worker {
	struct render_job *job;
	struct arena arena;   /* paths and hashes, kept to the end */
};

/* The write pass is a pipeline: worker threads render customers again (in order, at
 * most RENDER_AHEAD ahead, so memory stays bounded) while one writer, the main thread,
 * writes them. One writer, because ext4 serialises file creation: two threads creating
 * files at once spend three times the system time for no gain in wall time. */
#define RENDER_AHEAD 64

struct render_pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t in_flight; /* rendered or being rendered, not yet written */
};

static struct render_pipe render_pipe = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void render_again(struct render_worker *w, struct render_slot *s)
{
	output_render_customer(w->job->outputs, s->customer->values, OUTPUT_KEEP, &s->bytes, &s->again, &s->errors);
	pthread_mutex_lock(&render_pipe.lock);
	s->ready = 1;
	pthread_cond_broadcast(&render_pipe.changed);
	pthread_mutex_unlock(&render_pipe.lock);
}

static void render_write_slot(struct outdir_writer *writer, struct render_slot *s)
{
	pthread_mutex_lock(&render_pipe.lock);
	while (!s->ready)
		pthread_cond_wait(&render_pipe.changed, &render_pipe.lock);
	pthread_mutex_unlock(&render_pipe.lock);
	for (size_t j = 0; j < s->files.count; j++) {
		struct output_file *f = &s->files.items[j];
		if (!f->write)
			continue;
		struct error err = ERROR_INIT;
		if (j >= s->again.count || strcmp(s->again.items[j].path, f->path) != 0 ||
		    !hash_equal(s->again.items[j].hash, f->hash)) {
			error_set(&err, NULL, 0, 0, "out/%s rendered differently the second time; this is a bug "
				  "in stamp, nothing more was written for customer %s", f->path, s->customer->id);
			error_list_take(&s->errors, &err);
			break;
		}
		if (outdir_write(writer, f->path, s->again.items[j].data, s->again.items[j].len, f->write == 2,
				 &err) < 0) {
			error_list_take(&s->errors, &err);
			break;
		}
	}
	output_files_release(&s->again);
	arena_release(&s->bytes);
	pthread_mutex_lock(&render_pipe.lock);
	render_pipe.in_flight--;
	pthread_cond_broadcast(&render_pipe.changed);
	pthread_mutex_unlock(&render_pipe.lock);
}

static void *render_worker_main(void *arg)
{
	struct render_worker *w = arg;
	struct render_job *job = w->job;
	for (;;) {
		if (job->pass == RENDER_WRITE) {
			pthread_mutex_lock(&render_pipe.lock);
			while (render_pipe.in_flight >= RENDER_AHEAD)
				pthread_cond_wait(&render_pipe.changed, &render_pipe.lock);
			pthread_mutex_unlock(&render_pipe.lock);
		}
		pthread_mutex_lock(&job->lock);
		size_t i = job->next;
		while (i < job->count && !(job->pass == RENDER_CHECK ? job->slots[i].changed : job->slots[i].writes))
			i++;
		job->next = i + 1;
		if (i < job->count && job->pass == RENDER_WRITE) {
			pthread_mutex_lock(&render_pipe.lock);
			render_pipe.in_flight++;
			pthread_mutex_unlock(&render_pipe.lock);
		}
		pthread_mutex_unlock(&job->lock);
		if (i >= job->count)
			break;
		struct render_slot *s = &job->slots[i];
		if (job->pass == RENDER_CHECK)
			output_render_customer(job->outputs, s->customer->values, OUTPUT_PARSE_BACK, &w->arena,
					       &s->files, &s->errors);
		else
			render_again(w, s);
		pthread_mutex_lock(&job->lock);
		job->done++;
		pthread_mutex_unlock(&job->lock);
	}
	return NULL;
}

static void render_run(struct render_job *job, struct render_worker *workers, size_t worker_count,
		       const struct cli *cli, size_t total)
{
	job->next = 0;
	job->done = 0;
	if (worker_count == 1) {
		render_worker_main(&workers[0]);
		return;
	}
	pthread_t *threads = calloc(worker_count, sizeof *threads);
	if (!threads)
		abort();
	for (size_t i = 0; i < worker_count; i++)
		pthread_create(&threads[i], NULL, render_worker_main, &workers[i]);
	render_progress(cli, job, total);
	for (size_t i = 0; i < worker_count; i++)
		pthread_join(threads[i], NULL);
	free(threads);
}

/* One file of the new tree: rendered now, or kept from the last render. */
struct plan_file {
	const char *path;
	const char *owner;
	struct hash hash;
	struct output_file *rendered; /* NULL: kept */
	struct render_slot *slot;     /* the customer it belongs to, if rendered */
};

static int plan_compare(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path, ((const struct plan_file *)b)->path);
}

struct plan {
	struct plan_file *files;
	size_t count;
	size_t cap;
};

static void plan_add(struct plan *p, struct plan_file f)
{
	p->files = array_grow(p->files, &p->cap, p->count, sizeof *p->files, 1024);
	p->files[p->count++] = f;
}

static int render_compare_old(const void *a, const void *b)
{
	return strcmp(((const struct outdir_file *)a)->path, ((const struct outdir_file *)b)->path);
}

/* The manifest is written in path order; one written by hand may not be. */
static void render_sort_old(struct outdir_manifest *old)
{
	for (size_t i = 1; i < old->file_count; i++) {
		if (strcmp(old->files[i - 1].path, old->files[i].path) > 0) {
			qsort(old->files, old->file_count, sizeof *old->files, render_compare_old);
			return;
		}
	}
}

static int render_compare_id(const void *key, const void *item)
{
	return strcmp(key, ((const struct customer *)item)->id);
}

/* Do the last render's files of this owner stay as they are? */
static int render_owner_stays(const char *owner, const struct customers *customers,
			      const struct render_slot *slots, int aggregates_rendered)
{
	if (strcmp(owner, "-") == 0)
		return !aggregates_rendered;
	if (!customers->count)
		return 0;
	const struct customer *c = bsearch(owner, customers->items, customers->count, sizeof *customers->items,
					   render_compare_id);
	return c && !slots[c - customers->items].changed;
}

/* Merges two lists sorted by path into plan. */
static void render_merge(struct plan *plan, const struct plan *a, const struct plan *b)
{
	size_t i = 0, j = 0;
	while (i < a->count || j < b->count) {
		if (j == b->count || (i < a->count && strcmp(a->files[i].path, b->files[j].path) <= 0))
			plan_add(plan, a->files[i++]);
		else
			plan_add(plan, b->files[j++]);
	}
}

static void render_take(struct plan *plan, struct output_files *files, const char *owner,
			struct render_slot *slot)
{
	for (size_t i = 0; i < files->count; i++)
		plan_add(plan, (struct plan_file){ files->items[i].path, owner, files->items[i].hash,
						   &files->items[i], slot });
}

static void render_report_file(struct error_list *errors, const char *path, const char *message)
{
	struct error err = ERROR_INIT;
	struct buf file = BUF_INIT;
	buf_printf(&file, "out/%s", path);
	error_set(&err, file.ptr, 0, 0, "%s", message);
	error_list_take(errors, &err);
	buf_release(&file);
}

/* A progress line on a terminal, once a run has taken more than a second. */
static void render_progress(const struct cli *cli, struct render_job *job, size_t total)
{
	if (cli->quiet || !isatty(2))
		return;
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

int cmd_render(const struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = { { "--force", 0, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 1, positional, 0, &count) < 0)
		return CLI_USAGE;
	int force = options[0].seen;
	if (cli_enter_repository(cli) < 0)
		return CLI_USAGE;

	int status = CLI_OK;
	struct error_list errors = ERROR_LIST_INIT;
	struct error err = ERROR_INIT;
	struct output_set outputs;
	int have_outputs = 0, locked = 0;
	struct outdir_manifest old = { 0 };
	struct customers customers = { 0 };
	struct render_slot *slots = NULL;
	struct render_worker *workers = NULL;
	size_t worker_count = 0;
	struct plan plan = { 0 }, rendered = { 0 };
	char *kept = NULL;
	struct arena aggregate_arena = ARENA_INIT;
	struct output_files aggregate_files = { 0 };
	struct buf text = BUF_INIT;

	struct manifest *m = manifest_load(MANIFEST_PATH, &errors);
	if (!m)
		goto invalid;
	have_outputs = output_set_load(&outputs, m, &errors) == 0;
	if (!have_outputs)
		goto invalid;
	if (outdir_lock(&err) < 0) {
		cli_print_error(cli, &err);
		status = CLI_USAGE;
		goto out;
	}
	locked = 1;
	if (outdir_manifest_read(&old, &err) < 0) {
		cli_print_error(cli, &err);
		status = CLI_USAGE;
		goto out;
	}
	int rc = customers_load(&customers, m, cli->jobs, NULL);
	if (rc != 0) {
		error_list_append(&errors, &customers.errors);
		if (rc < 0) {
			cli_print_errors(cli, &errors);
			status = CLI_USAGE;
			goto out;
		}
		goto invalid;
	}

	/* what changed since the last render */
	slots = calloc(customers.count ? customers.count : 1, sizeof *slots);
	size_t changed = 0;
	int set_same = old.version && hash_equal(old.set_hash, outputs.set_hash);
	for (size_t i = 0; i < customers.count; i++) {
		struct render_slot *s = &slots[i];
		s->customer = &customers.items[i];
		struct hash_state *h = hash_begin();
		hash_add(h, &outputs.set_hash, sizeof outputs.set_hash);
		hash_add(h, &s->customer->spec_hash, sizeof s->customer->spec_hash);
		s->input = hash_end(h);
		const struct outdir_customer *before = outdir_manifest_customer(&old, s->customer->id);
		s->changed = !set_same || !before || !hash_equal(before->input, s->input);
		changed += (size_t)s->changed;
	}
	int customers_changed = changed || old.customer_count != customers.count;
	if (!customers_changed && set_same) {
		/* nothing to render, write or prune: the common case, kept cheap */
		if (!cli->quiet)
			printf("%zu customer%s (0 rendered): 0 files written, %zu unchanged, 0 removed\n",
			       customers.count, customers.count == 1 ? "" : "s", old.file_count);
		goto out;
	}

	/* render the changed customers on all cores */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	worker_count = cli->jobs > 0 ? (size_t)cli->jobs : cores > 0 ? (size_t)cores : 1;
	if (worker_count > changed)
		worker_count = changed ? changed : 1;
	workers = calloc(worker_count, sizeof *workers);
	struct render_job job = { &outputs, slots, customers.count, 0, 0, RENDER_CHECK, PTHREAD_MUTEX_INITIALIZER };
	for (size_t i = 0; i < worker_count; i++)
		workers[i].job = &job;
	if (changed)
		render_run(&job, workers, worker_count, cli, changed);
	for (size_t i = 0; i < customers.count; i++)
		error_list_append(&errors, &slots[i].errors);

	/* outputs over all customers, when anything about the customers changed */
	if (customers_changed || !set_same) {
		struct value *all = value_new_map(&aggregate_arena, NULL, 0, 0);
		struct value *list = value_new(&aggregate_arena, VALUE_LIST, NULL, 0, 0);
		list->as.list.items = arena_alloc(&aggregate_arena, (customers.count + 1) * sizeof(struct value *));
		for (size_t i = 0; i < customers.count; i++)
			list->as.list.items[list->as.list.count++] = customers.items[i].values;
		value_map_set(&aggregate_arena, all, value_new_string(&aggregate_arena, "platform", 8, NULL, 0, 0),
			      (struct value *)m->platform);
		value_map_set(&aggregate_arena, all, value_new_string(&aggregate_arena, "customers", 9, NULL, 0, 0),
			      list);
		output_render_aggregate(&outputs, all, OUTPUT_PARSE_BACK | OUTPUT_KEEP, &aggregate_arena,
					&aggregate_files, &errors);
	}
	if (errors.count)
		goto invalid;

	/* the new tree: the files rendered now, merged with the last render's files that
	 * stay (those are in path order already, so 100,000 customers cost no sort) */
	for (size_t i = 0; i < customers.count; i++)
		if (slots[i].changed)
			render_take(&rendered, &slots[i].files, slots[i].customer->id, &slots[i]);
	int aggregates_rendered = customers_changed || !set_same;
	if (aggregates_rendered)
		render_take(&rendered, &aggregate_files, "-", NULL);
	if (rendered.count)
		qsort(rendered.files, rendered.count, sizeof *rendered.files, plan_compare);
	render_sort_old(&old);
	kept = calloc(old.file_count ? old.file_count : 1, 1);
	struct plan stay = { 0 };
	const char *last_owner = NULL;
	int last_keep = 0;
	for (size_t i = 0; i < old.file_count; i++) {
		const char *owner = old.files[i].owner;
		if (!last_owner || strcmp(owner, last_owner) != 0) {
			last_owner = owner;
			last_keep = render_owner_stays(owner, &customers, slots, aggregates_rendered);
		}
		if (!last_keep)
			continue;
		kept[i] = 1;
		plan_add(&stay, (struct plan_file){ old.files[i].path, owner, old.files[i].hash, NULL, NULL });
	}
	render_merge(&plan, &stay, &rendered);
	free(stay.files);
	for (size_t i = 1; i < plan.count; i++)
		if (strcmp(plan.files[i].path, plan.files[i - 1].path) == 0)
			render_report_file(&errors, plan.files[i].path, "two outputs write this path (check the "
					   "path: templates of outputs in templates/stamp.yaml)");
	if (errors.count)
		goto invalid;

	/* what to write and remove, refusing to overwrite hand edits */
	size_t written = 0, unchanged = 0, removed = 0;
	char *write = calloc(plan.count ? plan.count : 1, 1);
	struct error_list edits = ERROR_LIST_INIT;
	for (size_t i = 0; i < plan.count; i++) {
		struct plan_file *f = &plan.files[i];
		if (!f->rendered) {
			unchanged++;
			continue;
		}
		const struct outdir_file *before = outdir_manifest_file(&old, f->path);
		struct hash disk;
		int state = outdir_file_hash(f->path, &disk, &err);
		if (state < 0) {
			error_list_take(&errors, &err);
		} else if (state == 1) {
			write[i] = 2; /* a new file */
		} else if (hash_equal(disk, f->hash)) {
			unchanged++;
		} else if (force || (before && hash_equal(disk, before->hash)) ||
			   (!before && outdir_pending_has(f->path))) {
			write[i] = 1;
		} else {
			render_report_file(&edits, f->path, before
				? "was edited by hand since the last render; move the change into the templates "
				  "or the spec, or run stamp render --force to overwrite it"
				: "is not a file stamp wrote; move it out of out/, or run stamp render --force to "
				  "overwrite it");
		}
	}
	char *prune = calloc(old.file_count ? old.file_count : 1, 1);
	for (size_t i = 0; i < old.file_count; i++) {
		struct plan_file key = { old.files[i].path, NULL, { 0, 0 }, NULL, NULL };
		if (kept[i] || (rendered.count && bsearch(&key, rendered.files, rendered.count, sizeof key,
							  plan_compare)))
			continue;
		struct hash disk;
		int state = outdir_file_hash(old.files[i].path, &disk, &err);
		if (state < 0)
			error_list_take(&errors, &err);
		else if (state == 0 && !force && !hash_equal(disk, old.files[i].hash))
			render_report_file(&edits, old.files[i].path, "belongs to a removed customer but was edited "
					   "by hand; move it away, or run stamp render --force to remove it");
		else if (state == 0)
			prune[i] = 1;
	}
	if (errors.count || edits.count) {
		error_list_append(&errors, &edits);
		free(write);
		free(prune);
		goto invalid;
	}
	error_list_release(&edits);

	/* the only part that touches out/: first the journal of the files about to be made */
	const char **fresh = malloc((plan.count ? plan.count : 1) * sizeof *fresh);
	size_t fresh_count = 0;
	for (size_t i = 0; i < plan.count; i++)
		if (write[i] == 2)
			fresh[fresh_count++] = plan.files[i].path;
	if (fresh_count && outdir_pending_write(fresh, fresh_count, &err) < 0) {
		cli_print_error(cli, &err);
		status = CLI_USAGE;
	}
	free(fresh);
	for (size_t i = 0; i < plan.count; i++) {
		if (!write[i])
			continue;
		written++;
		plan.files[i].rendered->write = write[i];
		if (plan.files[i].slot)
			plan.files[i].slot->writes++;
	}
	/* customers' files on all cores, rendered once more; the few aggregates here */
	size_t with_writes = 0;
	for (size_t i = 0; i < customers.count; i++)
		with_writes += slots[i].writes > 0;
	if (status == CLI_OK && with_writes) {
		job.pass = RENDER_WRITE;
		job.next = 0;
		pthread_t *threads = calloc(worker_count, sizeof *threads);
		if (!threads)
			abort();
		for (size_t i = 0; i < worker_count; i++)
			pthread_create(&threads[i], NULL, render_worker_main, &workers[i]);
		struct outdir_writer slot_writer = { "" };
		for (size_t i = 0; i < customers.count; i++)
			if (slots[i].writes)
				render_write_slot(&slot_writer, &slots[i]);
		for (size_t i = 0; i < worker_count; i++)
			pthread_join(threads[i], NULL);
		free(threads);
		for (size_t i = 0; i < customers.count; i++)
			for (size_t k = 0; k < slots[i].errors.count; k++) {
				cli_print_error(cli, &slots[i].errors.items[k]);
				status = CLI_USAGE;
			}
	}
	struct outdir_writer writer = { "" };
	for (size_t i = 0; i < aggregate_files.count && status == CLI_OK; i++) {
		struct output_file *f = &aggregate_files.items[i];
		if (f->write && outdir_write(&writer, f->path, f->data, f->len, f->write == 2, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_USAGE;
		}
	}
	for (size_t i = 0; i < old.file_count && status == CLI_OK; i++) {
		if (!prune[i])
			continue;
		if (outdir_remove(old.files[i].path, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_USAGE;
		}
		removed++;
	}
	free(write);
	free(prune);
	if (status == CLI_OK) {
		struct outdir_manifest next = { 0 };
		next.version = (char *)STAMP_VERSION;
		next.set_hash = outputs.set_hash;
		next.customer_count = customers.count;
		next.customers = calloc(customers.count ? customers.count : 1, sizeof *next.customers);
		for (size_t i = 0; i < customers.count; i++) {
			next.customers[i].id = customers.items[i].id;
			next.customers[i].input = slots[i].input;
		}
		next.file_count = plan.count;
		next.files = calloc(plan.count ? plan.count : 1, sizeof *next.files);
		for (size_t i = 0; i < plan.count; i++) {
			next.files[i].path = (char *)plan.files[i].path;
			next.files[i].owner = (char *)plan.files[i].owner;
			next.files[i].hash = plan.files[i].hash;
		}
		outdir_manifest_format(&next, &text);
		free(next.customers);
		free(next.files);
		if (outdir_commit(&text, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_USAGE;
		} else {
			locked = 0;
			outdir_pending_clear();
		}
	}
	if (status == CLI_OK && !cli->quiet)
		printf("%zu customer%s (%zu rendered): %zu file%s written, %zu unchanged, %zu removed\n",
		       customers.count, customers.count == 1 ? "" : "s", changed, written,
		       written == 1 ? "" : "s", unchanged, removed);
	goto out;

invalid:
	error_list_sort(&errors);
	cli_print_errors(cli, &errors);
	fprintf(stderr, "stamp: %zu error%s; nothing was written\n", errors.count, errors.count == 1 ? "" : "s");
	status = CLI_INVALID;
out:
	if (locked)
		outdir_unlock();
	for (size_t i = 0; slots && i < customers.count; i++) {
		output_files_release(&slots[i].files);
		error_list_release(&slots[i].errors);
	}
	free(slots);
	for (size_t i = 0; i < worker_count; i++) {
		arena_release(&workers[i].arena);
	}
	free(workers);
	free(plan.files);
	free(rendered.files);
	free(kept);
	output_files_release(&aggregate_files);
	arena_release(&aggregate_arena);
	buf_release(&text);
	customers_release(&customers);
	outdir_manifest_release(&old);
	if (have_outputs)
		output_set_release(&outputs);
	manifest_free(m);
	error_list_release(&errors);
	error_clear(&err);
	return status;
}
