/* `stamp channels`: each channel of templates/stamp.yaml, the revision it names, the
 * commit that resolves to and how many customers follow it, as a table. */
#include "buf.h"
#include "channel.h"
#include "cli.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static void channels_print(const struct channels_survey *s)
{
	const struct channels *ch = &s->tree.channels;
	if (!ch->count) {
		printf("no channels: the %zu customer%s render with templates/ of the tree; declare channels: in "
		       "templates/stamp.yaml to pin them to revisions\n", s->customers, s->customers == 1 ? "" : "s");
		return;
	}
	int name_width = (int)strlen("CHANNEL"), revision_width = (int)strlen("REVISION");
	for (size_t i = 0; i < ch->count; i++) {
		int n = (int)strlen(ch->items[i].name) + 2, r = (int)strlen(ch->items[i].revision);
		name_width = n > name_width ? n : name_width;
		revision_width = r > revision_width ? r : revision_width;
	}
	printf("%-*s  %-*s  %-7s  %s\n", name_width, "CHANNEL", revision_width, "REVISION", "COMMIT", "CUSTOMERS");
	for (size_t i = 0; i < ch->count; i++) {
		const struct channel_set *set = channels_set_of(ch, i);
		struct buf name = BUF_INIT;
		buf_printf(&name, "%s%s", ch->items[i].name, i == ch->default_channel ? " *" : "");
		printf("%-*s  %-*s  %-7.7s  %zu\n", name_width, name.ptr, revision_width, ch->items[i].revision,
		       *set->sha ? set->sha : "-", s->followers[i]);
		buf_release(&name);
	}
}

int cmd_channels(struct cli *cli, int argc, char **argv)
{
	struct cli_repository repo;
	if (cli_open_format_command(cli, argc, argv, &repo) < 0)
		return CLI_USAGE;
	struct error_list errors = ERROR_LIST_INIT;
	struct channels_survey s;
	int rc = channels_survey(&s, repo.source, cli->jobs, &errors);
	error_list_sort(&errors);
	cli_print_errors(cli, &errors);
	if (rc == 0 && !cli->quiet)
		channels_print(&s);
	channels_survey_release(&s);
	error_list_release(&errors);
	cli_close_repository(&repo);
	return rc == 0 ? CLI_OK : rc < 0 ? CLI_USAGE : CLI_INVALID;
}
