/* `stamp commit`: parse the options, run gitcommit_run() (render, then commit the out/
 * changes), print what it reports. */
#include "cli.h"
#include "gitcommit.h"

#include <stdio.h>

int cmd_commit(struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = {
		{ "-m", 1, NULL, 0 }, { "--message", 1, NULL, 0 }, { "--branch", 1, NULL, 0 }, { "--expect", 1, NULL, 0 },
	};
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 4, positional, 0, &count) < 0)
		return CLI_USAGE;
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;
	struct gitcommit_options o = {
		repo.path, options[0].value ? options[0].value : options[1].value, options[2].value, options[3].value,
		{ .root_fd = repo.fd, .src = repo.source, .jobs = cli->jobs, .progress = !cli->quiet,
		  .want_manifest = 1 },
	};
	struct gitcommit_report r = GITCOMMIT_REPORT_INIT;
	int status = gitcommit_run(&o, &r);
	if (r.notices.len)
		fputs(r.notices.ptr, stderr);
	if (r.rendered)
		render_print(cli, &r.render);
	if (r.committed && !cli->quiet) {
		/* --branch puts out/'s content at the branch's root */
		printf("[%s %.12s] %s\n %zu file%s changed %s, %zu customer%s rendered", r.branch, r.id, r.subject,
		       r.files, r.files == 1 ? "" : "s", o.branch ? "at the branch's root" : "under out/", r.customers,
		       r.customers == 1 ? "" : "s");
		if (r.removed)
			printf(", %zu removed", r.removed);
		putchar('\n');
	} else if (status == CLI_OK && !cli->quiet) {
		printf("nothing to commit: out/ matches %s\n", r.branch);
	}
	if (r.err.message)
		cli_print_error(cli, &r.err);
	gitcommit_report_release(&r);
	cli_close_repository(&repo);
	return status;
}
