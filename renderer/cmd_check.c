/* `stamp check`: validates the template set and every customer spec and reports every
 * problem of every file in one run. Writes nothing. */
#include "cli.h"
#include "customers.h"
#include "error.h"
#include "manifest.h"

#include <stdio.h>
#include <string.h>

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, NULL, 0, positional, 0, &count) < 0)
		return CLI_USAGE;
	if (cli_enter_repository(cli) < 0)
		return CLI_USAGE;
	struct error_list errors = ERROR_LIST_INIT;
	struct manifest *m = manifest_load(MANIFEST_PATH, &errors);
	if (!m) {
		error_list_sort(&errors);
		cli_print_errors(cli, &errors);
		fprintf(stderr, "stamp: the template set has %zu error%s\n", errors.count,
			errors.count == 1 ? "" : "s");
		error_list_release(&errors);
		return CLI_INVALID;
	}
	struct customers customers;
	int rc = customers_load(&customers, m, cli->jobs, NULL);
	int status = CLI_OK;
	if (rc < 0) {
		cli_print_errors(cli, &customers.errors);
		status = CLI_USAGE;
	} else if (rc > 0) {
		cli_print_errors(cli, &customers.errors);
		size_t files = 0;
		const char *last = NULL;
		for (size_t i = 0; i < customers.errors.count; i++) {
			const char *f = customers.errors.items[i].file;
			if (!last || !f || strcmp(last, f) != 0)
				files++;
			last = f;
		}
		fprintf(stderr, "stamp: %zu error%s in %zu file%s\n", customers.errors.count,
			customers.errors.count == 1 ? "" : "s", files, files == 1 ? "" : "s");
		status = CLI_INVALID;
	} else if (!cli->quiet) {
		printf("%zu customer%s valid\n", customers.count, customers.count == 1 ? "" : "s");
	}
	customers_release(&customers);
	manifest_free(m);
	error_list_release(&errors);
	return status;
}
