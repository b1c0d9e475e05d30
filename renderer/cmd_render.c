/* `stamp render`: parse the options, run sync_render(), print what it reports. */
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "sync.h"

#include <stdio.h>

int render_out(const struct cli *cli, const struct cli_repository *repo, int force, struct buf *manifest)
{
	struct sync_options o = { repo->fd, repo->source, cli->jobs, !cli->quiet, force, manifest != NULL };
	struct sync_report r = SYNC_REPORT_INIT;
	int status = sync_render(&o, &r);
	if (r.notices.len)
		fputs(r.notices.ptr, stderr);
	cli_print_errors(cli, &r.problems);
	if (status == CLI_INVALID)
		fprintf(stderr, "stamp: %zu error%s; nothing was written\n", r.problems.count,
			r.problems.count == 1 ? "" : "s");
	else if (status == CLI_OK && !cli->quiet)
		printf("%zu customer%s (%zu rendered): %zu file%s written, %zu unchanged, %zu removed\n", r.customers,
		       r.customers == 1 ? "" : "s", r.rendered, r.written, r.written == 1 ? "" : "s", r.unchanged,
		       r.removed);
	if (manifest && status == CLI_OK)
		buf_add(manifest, r.manifest.ptr ? r.manifest.ptr : "", r.manifest.len);
	sync_report_release(&r);
	return status;
}

int cmd_render(const struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = { { "--force", 0, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 1, positional, 0, &count) < 0)
		return CLI_USAGE;
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;
	int status = render_out(cli, &repo, options[0].seen, NULL);
	cli_close_repository(&repo);
	return status;
}
