/* `stamp check`: the pre-commit hook. Parses the options, runs sync_check() (validate,
 * render in memory what changed, compare with out/; writes nothing) and prints every
 * problem with the command that fixes it. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_print_summary(const struct sync_report *r)
{
	if (r->invalid) {
		size_t files = 0;
		const char *last = NULL;
		for (size_t i = 0; i < r->problems.count; i++) {
			const char *f = r->problems.items[i].file;
			if (!last || !f || strcmp(last, f) != 0)
				files++;
			last = f;
		}
		if (r->template_set_invalid)
			fprintf(stderr, "stamp: the template set has %zu error%s\n", r->problems.count,
				r->problems.count == 1 ? "" : "s");
		else
			fprintf(stderr, "stamp: %zu error%s in %zu file%s\n", r->problems.count,
				r->problems.count == 1 ? "" : "s", files, files == 1 ? "" : "s");
		return;
	}
	const size_t *c = r->counts;
	size_t edited = c[SYNC_EDITED] + c[SYNC_FOREIGN] + c[SYNC_PRUNE_EDITED];
	const char *names[] = { "stale", "missing", "extra", "edited by hand", "in flight", "not regular" };
	size_t values[] = { c[SYNC_REPLACE], c[SYNC_NEW], c[SYNC_PRUNE] + c[SYNC_EXTRA], edited,
			    c[SYNC_IN_FLIGHT] + c[SYNC_LEFTOVER], c[SYNC_LINK] };
	struct buf parts = BUF_INIT;
	for (size_t k = 0; k < 6; k++)
		if (values[k])
			buf_printf(&parts, "%s%zu %s", parts.len ? ", " : "", values[k], names[k]);
	fprintf(stderr, "stamp: out/ is not in sync with the specs and templates%s%s%s; %s\n", parts.len ? " (" : "",
		parts.len ? parts.ptr : "", parts.len ? ")" : "",
		edited || c[SYNC_LINK] ? "each line above says how to fix it; stamp render --force overwrites hand edits"
		: c[SYNC_EXTRA] || c[SYNC_NEW] ? "each line above says how to fix it"
		: "stamp render brings it up to date");
	buf_release(&parts);
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	struct cli_repository repo;
	if (cli_open_format_command(cli, argc, argv, &repo) < 0)
		return CLI_USAGE;
	/* an index left reverted would have the user's next git commit undo stamp's */
	int index_bad = cli_repair_index(cli, &repo) < 0;
	/* pre-commit runs its hooks with PRE_COMMIT=1, unstaged changes stashed away */
	const char *pre_commit = getenv("PRE_COMMIT");
	struct sync_options o = { .root_fd = repo.fd, .src = repo.source, .jobs = cli->jobs,
				  .progress = !cli->quiet, .staged_only = pre_commit && strcmp(pre_commit, "1") == 0 };
	struct sync_report r = SYNC_REPORT_INIT;
	int status = sync_check(&o, &r);
	cli_print_errors(cli, &r.problems);
	if (r.notices.len)
		fputs(r.notices.ptr, stderr);
	if (status == CLI_INVALID)
		check_print_summary(&r);
	else if (status == CLI_OK && !cli->quiet)
		printf("%zu customer%s valid; out/ is up to date (%zu file%s)\n", r.customers,
		       r.customers == 1 ? "" : "s", r.files, r.files == 1 ? "" : "s");
	sync_report_release(&r);
	cli_close_repository(&repo);
	return index_bad && status == CLI_OK ? CLI_INVALID : status;
}
