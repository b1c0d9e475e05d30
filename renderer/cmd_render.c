/* `stamp render`: parse the options, repair an index an interrupted commit left, run
 * sync_render(), print what it reports. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "gitindex.h"
#include "sync.h"

#include <stdio.h>

void render_print(const struct cli *cli, const struct sync_report *r)
{
	if (r->notices.len)
		fputs(r->notices.ptr, stderr);
	cli_print_errors(cli, &r->problems);
	if (r->status == CLI_INVALID)
		fprintf(stderr, "stamp: %zu error%s; nothing was %s\n", r->problems.count,
			r->problems.count == 1 ? "" : "s", r->undone ? "changed" : "written");
	else if (r->status == CLI_OK && !cli->quiet)
		printf("%zu customer%s (%zu rendered): %zu file%s written, %zu unchanged, %zu removed\n", r->customers,
		       r->customers == 1 ? "" : "s", r->rendered, r->written, r->written == 1 ? "" : "s", r->unchanged,
		       r->removed);
}

int cli_repair_index(const struct cli *cli, const struct cli_repository *repo)
{
	struct buf notices = BUF_INIT;
	struct error err = ERROR_INIT;
	int rc = gitindex_repair_at(repo->path, &notices, &err);
	if (notices.len)
		fputs(notices.ptr, stderr);
	if (rc < 0)
		cli_print_error(cli, &err);
	buf_release(&notices);
	error_clear(&err);
	return rc;
}

int cmd_render(struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = { { "--force", 0, NULL, 0 }, { "--format", 1, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 2, positional, 0, &count) < 0 ||
	    cli_diagnostics_option(cli, options[1].value) < 0)
		return CLI_USAGE;
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;
	cli_repair_index(cli, &repo); /* the render does not need the index: go on */
	struct sync_options o = { .root_fd = repo.fd, .src = repo.source, .jobs = cli->jobs,
				  .progress = !cli->quiet, .force = options[0].seen };
	struct sync_report r = SYNC_REPORT_INIT;
	int status = sync_render(&o, &r);
	render_print(cli, &r);
	sync_report_release(&r);
	cli_close_repository(&repo);
	return status;
}
