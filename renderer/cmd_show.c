/* `stamp show NAME`: one customer's fully merged values, exactly what the templates
 * see, as YAML on stdout. */
#include "alloc.h"
#include "buf.h"
#include "channel.h"
#include "cli.h"
#include "customers.h"
#include "emit.h"
#include "error.h"
#include "manifest.h"
#include "source.h"
#include "suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "did you mean" among the customers that exist, read through the repository's
 * source (so -C DIR and a revision's tree are looked at, not the current directory). */
static void show_unknown(const struct source *src, const char *name)
{
	char **names = NULL;
	size_t count = 0;
	struct error err = ERROR_INIT;
	if (src->ops->list(src, CUSTOMERS_DIR, &names, NULL, &count, &err) < 0)
		count = 0; /* the message below still holds; only the hint is lost */
	error_clear(&err);
	const char **ids = alloc_check(calloc(count ? count : 1, sizeof *ids));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(names[i]);
		if (len > 5 && strcmp(names[i] + len - 5, ".yaml") == 0 && names[i][0] != '.') {
			names[i][len - 5] = 0;
			ids[n++] = names[i];
		}
	}
	const char *hint = suggest_closest(name, strlen(name), ids, n);
	if (hint)
		cli_error("no customer '%s' (no customers/%s.yaml); did you mean '%s'?", name, name, hint);
	else
		cli_error("no customer '%s' (no customers/%s.yaml)", name, name);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(ids);
}

static int show_run(const struct cli *cli, const struct cli_repository *repo, const char **positional)
{
	const char *name = positional[0];
	struct error_list errors = ERROR_LIST_INIT;
	struct manifest *m = manifest_load(repo->source, MANIFEST_PATH, &errors);
	if (!m) {
		error_list_sort(&errors);
		cli_print_errors(cli, &errors);
		error_list_release(&errors);
		return CLI_INVALID;
	}
	int status = CLI_OK;
	/* a customer's values come from its channel's template set */
	struct channels ch;
	int rc = channels_load(&ch, m, NULL, repo->source, &errors);
	if (rc != 0) {
		error_list_sort(&errors);
		cli_print_errors(cli, &errors);
		channels_release(&ch);
		manifest_free(m);
		error_list_release(&errors);
		return rc < 0 ? CLI_USAGE : CLI_INVALID;
	}
	struct customers customers;
	rc = customers_valid_id(name, strlen(name))
	     ? customers_load(&customers, channels_default_set(&ch)->manifest, &ch, repo->source, 1, name, NULL) : -2;
	if (rc == -2 || (rc == 0 && customers.count == 0)) {
		show_unknown(repo->source, name);
		status = CLI_INVALID;
	} else if (rc != 0) {
		cli_print_errors(cli, &customers.errors);
		status = rc < 0 ? CLI_USAGE : CLI_INVALID;
	} else {
		struct buf out = BUF_INIT;
		if (ch.count) {
			const struct channel *c = &ch.items[customers.items[0].channel];
			const struct channel_set *set = channels_set_of(&ch, customers.items[0].channel);
			buf_printf(&out, "# channel %s: %s", c->name, c->revision);
			if (*set->sha)
				buf_printf(&out, " (%.7s)", set->sha);
			buf_add_char(&out, '\n');
		}
		emit_yaml(&out, customers.items[0].values);
		fwrite(out.ptr, 1, out.len, stdout);
		buf_release(&out);
	}
	if (rc != -2)
		customers_release(&customers);
	channels_release(&ch);
	manifest_free(m);
	error_list_release(&errors);
	return status;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = { { "--format", 1, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 1, positional, 1, &count) < 0 ||
	    cli_diagnostics_option(cli, options[0].value) < 0)
		return CLI_USAGE;
	if (count != 1) {
		cli_error("'show' needs a customer NAME (see 'stamp help show')");
		return CLI_USAGE;
	}
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;
	int status = show_run(cli, &repo, positional);
	cli_close_repository(&repo);
	return status;
}
