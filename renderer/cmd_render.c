/* `stamp render`: validate everything, render what changed in memory, parse it back,
 * and only then touch out/: write the files whose hash changed, prune the files of
 * removed customers, record the new hashes. Incremental like make: a customer whose
 * inputs (spec, template set, stamp's version) hash the same as at the last render is
 * neither rendered nor written. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "hash.h"
#include "outdir.h"
#include "output.h"
#include "plan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The write pass is a pipeline: worker threads render the customers that have files
 * to write again (in order, at most RENDER_AHEAD ahead, so memory stays bounded) while
 * one writer, the main thread, writes them. One writer, because ext4 serialises file
 * creation: two threads creating files at once spend three times the system time for
 * no gain in wall time. */
#define RENDER_AHEAD 64

struct render_slot {
	struct output_files again;
	struct arena bytes;
	struct error_list errors;
	int ready;
};

struct render_pipe {
	struct plan *plan;
	struct render_slot *slots; /* one per customer */
	size_t next;
	size_t in_flight;          /* rendered or being rendered, not yet written */
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static void *render_worker_main(void *arg)
{
	struct render_pipe *pipe = arg;
	struct plan *p = pipe->plan;
	for (;;) {
		pthread_mutex_lock(&pipe->lock);
		while (pipe->in_flight >= RENDER_AHEAD)
			pthread_cond_wait(&pipe->changed, &pipe->lock);
		size_t i = pipe->next;
		while (i < p->customers.count && !p->slots[i].writes)
			i++;
		pipe->next = i + 1;
		if (i < p->customers.count)
			pipe->in_flight++;
		pthread_mutex_unlock(&pipe->lock);
		if (i >= p->customers.count)
			return NULL;
		struct render_slot *s = &pipe->slots[i];
		plan_render_again(p, &p->slots[i], &s->bytes, &s->again, &s->errors);
		pthread_mutex_lock(&pipe->lock);
		s->ready = 1;
		pthread_cond_broadcast(&pipe->changed);
		pthread_mutex_unlock(&pipe->lock);
	}
}

/* Writes the files of customer i that the plan marked, from the bytes rendered again. */
static void render_write_customer(struct render_pipe *pipe, struct outdir_writer *writer, size_t i)
{
	struct render_slot *s = &pipe->slots[i];
	struct plan_customer *c = &pipe->plan->slots[i];
	pthread_mutex_lock(&pipe->lock);
	while (!s->ready)
		pthread_cond_wait(&pipe->changed, &pipe->lock);
	pthread_mutex_unlock(&pipe->lock);
	for (size_t j = 0; j < c->files.count && !s->errors.count; j++) {
		struct output_file *f = &c->files.items[j];
		if (!f->write)
			continue;
		struct error err = ERROR_INIT;
		if (j >= s->again.count || strcmp(s->again.items[j].path, f->path) != 0 ||
		    !hash_equal(s->again.items[j].hash, f->hash)) {
			error_set(&err, NULL, 0, 0, "out/%s rendered differently the second time; this is a bug "
				  "in stamp, nothing more was written for customer %s", f->path, c->customer->id);
			error_list_take(&s->errors, &err);
		} else if (outdir_write(writer, f->path, s->again.items[j].data, s->again.items[j].len,
					f->write == 2, &err) < 0) {
			error_list_take(&s->errors, &err);
		}
	}
	output_files_release(&s->again);
	arena_release(&s->bytes);
	pthread_mutex_lock(&pipe->lock);
	pipe->in_flight--;
	pthread_cond_broadcast(&pipe->changed);
	pthread_mutex_unlock(&pipe->lock);
}

/* Customers' files, rendered once more on all cores and written by this thread. */
static int render_write_customers(const struct cli *cli, struct plan *p)
{
	struct render_pipe pipe = { p, calloc(p->customers.count ? p->customers.count : 1, sizeof *pipe.slots),
				    0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	pthread_t *threads = calloc(p->worker_count, sizeof *threads);
	if (!pipe.slots || !threads)
		abort();
	for (size_t i = 0; i < p->worker_count; i++)
		pthread_create(&threads[i], NULL, render_worker_main, &pipe);
	struct outdir_writer writer = { "" };
	for (size_t i = 0; i < p->customers.count; i++)
		if (p->slots[i].writes)
			render_write_customer(&pipe, &writer, i);
	for (size_t i = 0; i < p->worker_count; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	int status = CLI_OK;
	for (size_t i = 0; i < p->customers.count; i++) {
		for (size_t k = 0; k < pipe.slots[i].errors.count; k++) {
			cli_print_error(cli, &pipe.slots[i].errors.items[k]);
			status = CLI_USAGE;
		}
		error_list_release(&pipe.slots[i].errors);
	}
	free(pipe.slots);
	return status;
}

static int render_compare_path(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path, ((const struct plan_file *)b)->path);
}

/* The render itself, for `stamp render` and `stamp commit`: returns an exit code. */
int render_out(const struct cli *cli, int force)
{
	int status = CLI_OK;
	struct error err = ERROR_INIT;
	struct plan plan;
	struct buf text = BUF_INIT;
	char *write = NULL, *prune = NULL;
	struct error_list edits = ERROR_LIST_INIT;
	if (outdir_lock(&err) < 0) {
		cli_print_error(cli, &err);
		error_clear(&err);
		return CLI_USAGE;
	}
	int locked = 1;
	int rc = plan_build(&plan, cli->jobs, !cli->quiet);
	if (rc < 0) {
		cli_print_errors(cli, &plan.errors);
		status = CLI_USAGE;
		goto out;
	}
	if (rc > 0)
		goto invalid;
	if (plan_is_noop(&plan)) {
		/* nothing to render, write or prune: the common case, kept cheap */
		if (!cli->quiet)
			printf("%zu customer%s (0 rendered): 0 files written, %zu unchanged, 0 removed\n",
			       plan.customers.count, plan.customers.count == 1 ? "" : "s", plan.old.file_count);
		goto out;
	}

	/* what to write and remove, refusing to overwrite hand edits */
	size_t written = 0, unchanged = 0, removed = 0;
	write = calloc(plan.count ? plan.count : 1, 1);
	prune = calloc(plan.old.file_count ? plan.old.file_count : 1, 1);
	if (!write || !prune)
		abort();
	for (size_t i = 0; i < plan.count; i++) {
		struct plan_file *f = &plan.files[i];
		if (!f->rendered) {
			unchanged++;
			continue;
		}
		const struct outdir_file *before = outdir_manifest_file(&plan.old, f->path);
		struct hash disk;
		int state = outdir_file_hash(f->path, &disk, &err);
		if (state < 0) {
			error_list_take(&plan.errors, &err);
		} else if (state == 1) {
			write[i] = 2; /* a new file */
		} else if (hash_equal(disk, f->hash)) {
			unchanged++;
		} else if (force || (before && hash_equal(disk, before->hash)) ||
			   (!before && outdir_pending_has(f->path))) {
			write[i] = 1;
		} else {
			outdir_report(&edits, f->path, before
				? "was edited by hand since the last render; move the change into the templates "
				  "or the spec, or run stamp render --force to overwrite it"
				: "is not a file stamp wrote; move it out of out/, or run stamp render --force to "
				  "overwrite it");
		}
	}
	for (size_t i = 0; i < plan.old.file_count; i++) {
		struct plan_file key = { plan.old.files[i].path, NULL, { 0, 0 }, NULL, NULL };
		if (plan.kept[i] || bsearch(&key, plan.files, plan.count, sizeof key, render_compare_path))
			continue;
		struct hash disk;
		int state = outdir_file_hash(plan.old.files[i].path, &disk, &err);
		if (state < 0)
			error_list_take(&plan.errors, &err);
		else if (state == 0 && !force && !hash_equal(disk, plan.old.files[i].hash))
			outdir_report(&edits, plan.old.files[i].path, "belongs to a removed customer but was "
					   "edited by hand; move it away, or run stamp render --force to remove it");
		else if (state == 0)
			prune[i] = 1;
	}
	if (plan.errors.count || edits.count) {
		error_list_append(&plan.errors, &edits);
		goto invalid;
	}

	/* the only part that touches out/: first the journal of the files about to be made */
	const char **fresh = malloc((plan.count ? plan.count : 1) * sizeof *fresh);
	if (!fresh)
		abort();
	size_t fresh_count = 0;
	for (size_t i = 0; i < plan.count; i++)
		if (write[i] == 2)
			fresh[fresh_count++] = plan.files[i].path;
	if (fresh_count && outdir_pending_write(fresh, fresh_count, &err) < 0) {
		cli_print_error(cli, &err);
		status = CLI_USAGE;
	}
	free(fresh);
	int customer_writes = 0;
	for (size_t i = 0; i < plan.count; i++) {
		if (!write[i])
			continue;
		written++;
		plan.files[i].rendered->write = write[i];
		if (plan.files[i].customer) {
			plan.files[i].customer->writes++;
			customer_writes = 1;
		}
	}
	if (status == CLI_OK && customer_writes)
		status = render_write_customers(cli, &plan);
	struct outdir_writer writer = { "" };
	for (size_t i = 0; i < plan.aggregate_files.count && status == CLI_OK; i++) {
		struct output_file *f = &plan.aggregate_files.items[i];
		if (f->write && outdir_write(&writer, f->path, f->data, f->len, f->write == 2, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_USAGE;
		}
	}
	for (size_t i = 0; i < plan.old.file_count && status == CLI_OK; i++) {
		if (!prune[i])
			continue;
		if (outdir_remove(plan.old.files[i].path, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_USAGE;
		}
		removed++;
	}
	if (status == CLI_OK) {
		struct outdir_manifest next = { 0 };
		next.version = (char *)STAMP_VERSION;
		next.set_hash = plan.outputs.set_hash;
		next.customer_count = plan.customers.count;
		next.customers = calloc(plan.customers.count ? plan.customers.count : 1, sizeof *next.customers);
		next.file_count = plan.count;
		next.files = calloc(plan.count ? plan.count : 1, sizeof *next.files);
		if (!next.customers || !next.files)
			abort();
		for (size_t i = 0; i < plan.customers.count; i++) {
			next.customers[i].id = plan.customers.items[i].id;
			next.customers[i].input = plan.slots[i].input;
		}
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
		       plan.customers.count, plan.customers.count == 1 ? "" : "s", plan.changed, written,
		       written == 1 ? "" : "s", unchanged, removed);
	goto out;

invalid:
	error_list_sort(&plan.errors);
	cli_print_errors(cli, &plan.errors);
	fprintf(stderr, "stamp: %zu error%s; nothing was written\n", plan.errors.count,
		plan.errors.count == 1 ? "" : "s");
	status = CLI_INVALID;
out:
	if (locked)
		outdir_unlock();
	free(write);
	free(prune);
	error_list_release(&edits);
	buf_release(&text);
	plan_release(&plan);
	error_clear(&err);
	return status;
}

int cmd_render(const struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = { { "--force", 0, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 1, positional, 0, &count) < 0)
		return CLI_USAGE;
	if (cli_enter_repository(cli) < 0)
		return CLI_USAGE;
	return render_out(cli, options[0].seen);
}
