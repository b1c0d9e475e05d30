/* `stamp check`: the pre-commit hook. Validates the template set and every spec, renders
 * in memory what changed since the last render, and compares the result with out/:
 * every stale, missing, extra or hand-edited file is listed with the command that
 * fixes it. Writes nothing.
 *
 * Hashes first, content second: a file of a customer whose inputs did not change must
 * still hold what the manifest says. Like git's index, its stat data decides whether to
 * read it: a file last modified before the manifest was written is the one the render
 * wrote; anything modified since (an edit, a checkout, a fresh clone) is read and
 * hashed. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "outdir.h"
#include "plan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_counts {
	size_t stale, missing, extra, edited;
	size_t foreign; /* extra files stamp never wrote */
};

/* An expected file (of the plan) against what is on disk (entry, NULL if nothing). */
static void check_expected(const struct plan *p, const struct plan_file *f, const struct outdir_entry *entry,
			   long long manifest_mtime, struct check_counts *counts, struct error_list *problems)
{
	struct error err = ERROR_INIT;
	if (!entry) {
		counts->missing++;
		outdir_report(problems, f->path, "is missing; run stamp render");
		return;
	}
	if (!entry->regular) {
		counts->extra++;
		outdir_report(problems, f->path, "is not a regular file; remove it, then run stamp render");
		return;
	}
	/* a kept file untouched since the render that wrote it */
	if (!f->rendered && manifest_mtime >= 0 && entry->mtime_ns < manifest_mtime)
		return;
	const struct outdir_file *before = outdir_manifest_file(&p->old, f->path);
	struct hash disk;
	if (outdir_content_hash(f->path, &disk, &err) < 0) {
		error_list_take(problems, &err);
		counts->missing++;
		return;
	}
	if (hash_equal(disk, f->hash))
		return;
	if (before && hash_equal(disk, before->hash)) {
		counts->stale++;
		struct buf message = BUF_INIT;
		if (strcmp(f->owner, "-") == 0)
			buf_printf(&message, "is out of date (the customers or the templates changed); run stamp render");
		else
			buf_printf(&message, "is out of date (customer %s's spec or the templates changed); run stamp "
				   "render", f->owner);
		outdir_report(problems, f->path, message.ptr);
		buf_release(&message);
	} else if (before) {
		counts->edited++;
		outdir_report(problems, f->path, "was edited by hand since the last render; move the change into "
			      "the templates or the spec, then run stamp render --force");
	} else {
		counts->edited++;
		outdir_report(problems, f->path, "is not a file stamp wrote and differs from its rendering; move "
			      "it out of out/, then run stamp render");
	}
}

/* A file on disk that no output produces any more. */
static void check_extra(const struct plan *p, const struct outdir_entry *entry, struct check_counts *counts,
			struct error_list *problems)
{
	counts->extra++;
	const struct outdir_file *before = outdir_manifest_file(&p->old, entry->path);
	if (!before) {
		counts->foreign++;
		outdir_report(problems, entry->path, "is not produced by any output; remove it (stamp never "
			      "writes it)");
		return;
	}
	struct buf message = BUF_INIT;
	if (strcmp(before->owner, "-") == 0)
		buf_printf(&message, "was written by an output that no longer exists; run stamp render to remove it");
	else if (!customers_find(&p->customers, before->owner))
		buf_printf(&message, "belongs to customer %s, which no longer exists; run stamp render to remove it",
			   before->owner);
	else
		buf_printf(&message, "is no longer an output of customer %s; run stamp render to remove it",
			   before->owner);
	outdir_report(problems, entry->path, message.ptr);
	buf_release(&message);
}

/* out/ is scanned on a thread of its own while the plan is built: on a no-op check,
 * the two take about as long as each other. */
struct check_scan {
	struct outdir_scan scan;
	struct error err;
	int rc;
};

static void *check_scan_main(void *arg)
{
	struct check_scan *s = arg;
	s->rc = outdir_scan(&s->scan, 2, &s->err);
	return NULL;
}

static int check_compare(const struct cli *cli, struct plan *p, struct outdir_scan *scanned)
{
	struct outdir_scan scan = *scanned;
	struct error_list problems = ERROR_LIST_INIT;
	struct check_counts counts = { 0, 0, 0, 0, 0 };
	size_t i = 0, j = 0;
	while (i < p->count || j < scan.count) {
		int order = i == p->count ? 1 : j == scan.count ? -1 : strcmp(p->files[i].path, scan.entries[j].path);
		if (order < 0) {
			check_expected(p, &p->files[i++], NULL, scan.manifest_mtime_ns, &counts, &problems);
		} else if (order > 0) {
			check_extra(p, &scan.entries[j++], &counts, &problems);
		} else {
			check_expected(p, &p->files[i++], &scan.entries[j++], scan.manifest_mtime_ns, &counts,
				       &problems);
		}
	}
	if (!problems.count && !plan_is_noop(p)) {
		struct error stale = ERROR_INIT;
		error_set(&stale, OUTDIR_MANIFEST, 0, 0, "records an older render (%zu customer%s changed without "
			  "changing a file); run stamp render", p->changed, p->changed == 1 ? "" : "s");
		error_list_take(&problems, &stale);
		counts.stale++;
	}
	int status = CLI_OK;
	if (problems.count) {
		cli_print_errors(cli, &problems);
		struct buf parts = BUF_INIT;
		const char *names[] = { "stale", "missing", "extra", "edited by hand" };
		size_t values[] = { counts.stale, counts.missing, counts.extra, counts.edited };
		for (size_t k = 0; k < 4; k++)
			if (values[k])
				buf_printf(&parts, "%s%zu %s", parts.len ? ", " : "", values[k], names[k]);
		fprintf(stderr, "stamp: out/ is not in sync with the specs and templates (%s); %s\n", parts.ptr,
			counts.edited ? "stamp render --force overwrites hand edits"
			: counts.foreign ? "remove the files stamp did not write, then run stamp render"
			: "stamp render brings it up to date");
		buf_release(&parts);
		status = CLI_INVALID;
	} else if (!cli->quiet) {
		printf("%zu customer%s valid; out/ is up to date (%zu file%s)\n", p->customers.count,
		       p->customers.count == 1 ? "" : "s", p->count, p->count == 1 ? "" : "s");
	}
	error_list_release(&problems);
	return status;
}

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, NULL, 0, positional, 0, &count) < 0)
		return CLI_USAGE;
	if (cli_enter_repository(cli) < 0)
		return CLI_USAGE;
	struct check_scan scan = { .err = ERROR_INIT };
	pthread_t scanner;
	int threaded = pthread_create(&scanner, NULL, check_scan_main, &scan) == 0;
	if (!threaded)
		check_scan_main(&scan);
	struct plan plan;
	int rc = plan_build(&plan, cli->jobs, !cli->quiet);
	if (threaded)
		pthread_join(scanner, NULL);
	int status;
	if (rc < 0) {
		cli_print_errors(cli, &plan.errors);
		status = CLI_USAGE;
	} else if (rc > 0) {
		error_list_sort(&plan.errors);
		cli_print_errors(cli, &plan.errors);
		size_t files = 0;
		const char *last = NULL;
		for (size_t i = 0; i < plan.errors.count; i++) {
			const char *f = plan.errors.items[i].file;
			if (!last || !f || strcmp(last, f) != 0)
				files++;
			last = f;
		}
		if (!plan.manifest)
			fprintf(stderr, "stamp: the template set has %zu error%s\n", plan.errors.count,
				plan.errors.count == 1 ? "" : "s");
		else
			fprintf(stderr, "stamp: %zu error%s in %zu file%s\n", plan.errors.count,
				plan.errors.count == 1 ? "" : "s", files, files == 1 ? "" : "s");
		status = CLI_INVALID;
	} else if (scan.rc < 0) {
		cli_print_error(cli, &scan.err);
		status = CLI_USAGE;
	} else {
		status = check_compare(cli, &plan, &scan.scan);
	}
	outdir_scan_release(&scan.scan);
	error_clear(&scan.err);
	plan_release(&plan);
	return status;
}
