/* Shared command-line plumbing. Commands never exit the process themselves: they
 * return one of the cli_exit codes and main() exits with it. */
#include "cli.h"

#include "buf.h"
#include "error.h"
#include "suggest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_use_color(const struct cli *cli, int fd)
{
	if (cli->color == CLI_COLOR_ALWAYS)
		return 1;
	if (cli->color == CLI_COLOR_NEVER)
		return 0;
	const char *no_color = getenv("NO_COLOR");
	if (no_color && *no_color)
		return 0;
	const char *term = getenv("TERM");
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fd);
}

void cli_print_error(const struct cli *cli, const struct error *err)
{
	struct buf line = BUF_INIT;
	/* an error of no file is the program's, as a compiler says "cc: error: ..." */
	if (!err->file)
		buf_add_str(&line, "stamp: ");
	error_format(err, &line, cli_use_color(cli, 2));
	buf_add_char(&line, '\n');
	fwrite(line.ptr, 1, line.len, stderr);
	buf_release(&line);
}

void cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	(void)cli;
	va_list ap;
	va_start(ap, fmt);
	fputs("stamp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_parse_options(const struct cli *cli, int argc, char **argv, struct cli_option *options,
		      size_t option_count, const char **positional, size_t max_positional,
		      size_t *positional_count)
{
	*positional_count = 0;
	int only_positional = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (*positional_count >= max_positional) {
				cli_usage_error(cli, "'%s' takes at most %zu argument%s; unexpected '%s' "
						"(see 'stamp help %s')", cli->command, max_positional,
						max_positional == 1 ? "" : "s", arg, cli->command);
				return -1;
			}
			positional[(*positional_count)++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_positional = 1;
			continue;
		}
		const char *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		struct cli_option *found = NULL;
		for (size_t k = 0; k < option_count; k++) {
			if (strlen(options[k].name) == name_len &&
			    memcmp(options[k].name, arg, name_len) == 0)
				found = &options[k];
		}
		if (!found) {
			const char *names[33];
			size_t n = option_count < 32 ? option_count : 32;
			for (size_t k = 0; k < n; k++)
				names[k] = options[k].name;
			names[n++] = "--help";
			const char *hint = suggest_closest(arg, name_len, names, n);
			if (hint)
				cli_usage_error(cli, "unknown option '%.*s' for '%s'; did you mean '%s'?",
						(int)name_len, arg, cli->command, hint);
			else
				cli_usage_error(cli, "unknown option '%.*s' for '%s' (see 'stamp help %s')",
						(int)name_len, arg, cli->command, cli->command);
			return -1;
		}
		found->seen = 1;
		if (!found->takes_value) {
			if (eq) {
				cli_usage_error(cli, "option '%s' takes no value", found->name);
				return -1;
			}
			continue;
		}
		if (eq) {
			found->value = eq + 1;
		} else if (i + 1 < argc) {
			found->value = argv[++i];
		} else {
			cli_usage_error(cli, "option '%s' needs a value (see 'stamp help %s')", found->name,
					cli->command);
			return -1;
		}
	}
	return 0;
}

void cli_print_errors(const struct cli *cli, const struct error_list *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		cli_print_error(cli, &errors->items[i]);
}

void cli_path(const struct cli *cli, const char *path, struct buf *out)
{
	if (cli->dir && path[0] != '/')
		buf_printf(out, "%s/%s", cli->dir, path);
	else
		buf_add_str(out, path);
}

int cli_open_repository(const struct cli *cli, struct cli_repository *repo)
{
	memset(repo, 0, sizeof *repo);
	repo->fd = -1;
	char start[PATH_MAX];
	const char *from = cli->dir ? cli->dir : ".";
	if (!realpath(from, start)) {
		cli_usage_error(cli, "cannot find the directory '%s': %s", from, strerror(errno));
		return -1;
	}
	struct buf dir = BUF_INIT, probe = BUF_INIT;
	buf_add_str(&dir, start);
	for (;;) {
		struct stat st;
		buf_clear(&probe);
		buf_printf(&probe, "%s/" "templates/stamp.yaml", strcmp(dir.ptr, "/") == 0 ? "" : dir.ptr);
		if (stat(probe.ptr, &st) == 0)
			break;
		char *slash = strrchr(dir.ptr, '/');
		if (!slash || strcmp(dir.ptr, "/") == 0) {
			buf_release(&dir);
			buf_release(&probe);
			cli_usage_error(cli, "not a stamp repository (no templates/stamp.yaml here or in any parent "
					"directory); run it in one, or use -C DIR");
			return -1;
		}
		buf_truncate(&dir, slash == dir.ptr ? 1 : (size_t)(slash - dir.ptr));
	}
	buf_release(&probe);
	repo->fd = open(dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->fd < 0) {
		cli_usage_error(cli, "cannot open the directory '%s': %s", dir.ptr, strerror(errno));
		buf_release(&dir);
		return -1;
	}
	repo->path = buf_detach(&dir, NULL);
	source_worktree_open(&repo->worktree, repo->fd, repo->path);
	repo->source = &repo->worktree;
	return 0;
}

void cli_close_repository(struct cli_repository *repo)
{
	if (repo->fd >= 0)
		close(repo->fd);
	free(repo->path);
	memset(repo, 0, sizeof *repo);
	repo->fd = -1;
}
