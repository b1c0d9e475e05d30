/* Shared command-line plumbing. Commands never exit the process themselves: they
 * return one of the cli_exit codes and main() exits with it. */
#include "cli.h"

#include "buf.h"
#include "diagnostic.h"
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
	diagnostic_format(err, cli->diagnostics, cli_use_color(cli, 2), &line);
	/* the machine-readable forms go to stdout, where a tool reads them */
	fwrite(line.ptr, 1, line.len, cli->diagnostics == DIAGNOSTIC_TEXT ? stderr : stdout);
	buf_release(&line);
}

int cli_diagnostics_option(struct cli *cli, const char *value)
{
	static const char *const styles[] = { "text", "json", "github" };
	int k = value ? cli_choice("--format", value, styles, 3) : 0;
	if (k < 0)
		return -1;
	cli->diagnostics = k == 1 ? DIAGNOSTIC_JSON : k == 2 ? DIAGNOSTIC_GITHUB : DIAGNOSTIC_TEXT;
	/* JSON Lines on stdout hold the diagnostics alone */
	if (k == 1)
		cli->quiet = 1;
	return 0;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("stamp: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_pager_start(const struct cli *cli, struct cli_pager *pager, int wanted)
{
	pager->pipe = NULL;
	pager->saved_stdout = -1;
	pager->color = cli_use_color(cli, 1);
	if (!wanted || !isatty(1))
		return 0;
	const char *command = getenv("STAMP_PAGER");
	if (!command)
		command = getenv("PAGER");
	if (!command)
		command = "less";
	if (!*command || strcmp(command, "cat") == 0)
		return 0;
	/* git's defaults: quit if one screen, keep colours, leave the screen as it was */
	if (setenv("LESS", getenv("LESS") ? getenv("LESS") : "FRX", 1) < 0 ||
	    setenv("LV", getenv("LV") ? getenv("LV") : "-c", 1) < 0)
		return 0;
	fflush(stdout);
	pager->saved_stdout = dup(1);
	if (pager->saved_stdout < 0)
		return 0;
	pager->pipe = popen(command, "w");
	if (!pager->pipe || dup2(fileno(pager->pipe), 1) < 0) {
		fprintf(stderr, "stamp: warning: cannot start the pager '%s': %s; showing the output as is (or use "
			"--no-pager)\n", command, strerror(errno));
		if (pager->pipe)
			pclose(pager->pipe);
		pager->pipe = NULL;
		close(pager->saved_stdout);
		pager->saved_stdout = -1;
		return -1;
	}
	/* a pager quit early ends stamp with SIGPIPE, as it ends git: diff writes nothing */
	return 1;
}

void cli_pager_stop(struct cli_pager *pager)
{
	if (!pager->pipe)
		return;
	fflush(stdout);
	/* fd 1 back to the terminal, so the pipe's last writer is pclose's */
	dup2(pager->saved_stdout, 1);
	close(pager->saved_stdout);
	pclose(pager->pipe);
	pager->pipe = NULL;
	pager->saved_stdout = -1;
}

/* The global options, accepted before and after the command, as kubectl takes its
 * persistent flags. */
static const char *const cli_global_names[] = { "-C", "-j", "--jobs", "-q", "--quiet", "--color", "--help" };
#define CLI_GLOBAL_COUNT (sizeof cli_global_names / sizeof *cli_global_names)
static const char *const cli_color_names[] = { "auto", "always", "never" };

int cli_choice(const char *option, const char *value, const char *const *choices, size_t count)
{
	for (size_t k = 0; k < count; k++)
		if (strcmp(value, choices[k]) == 0)
			return (int)k;
	struct buf list = BUF_INIT;
	for (size_t k = 0; k < count; k++)
		buf_printf(&list, "%s%s", k == 0 ? "" : k + 1 == count ? " or " : ", ", choices[k]);
	const char *hint = suggest_closest(value, strlen(value), choices, count);
	if (hint)
		cli_error("%s takes %s, not '%s'; did you mean '%s'?", option, list.ptr, value, hint);
	else
		cli_error("%s takes %s, not '%s'", option, list.ptr, value);
	buf_release(&list);
	return -1;
}

static int cli_set_jobs(struct cli *cli, const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > 1024) {
		cli_error("-j needs a number of threads from 1 to 1024, not '%s'", s);
		return -1;
	}
	cli->jobs = (int)n;
	return 0;
}

static void cli_set_dir(struct cli *cli, const char *dir)
{
	/* like git: -C a -C b is a/b; the directory is used, never entered */
	struct buf joined = BUF_INIT;
	if (cli->dir && dir[0] != '/')
		buf_printf(&joined, "%s/", cli->dir);
	buf_add_str(&joined, dir);
	free((char *)cli->dir);
	cli->dir = buf_detach(&joined, NULL);
}

/* A global option's value: after '=', the rest of a bundle, or the next word. */
static const char *cli_value(const char *inline_value, int argc, char **argv, int *i,
			     const char *name)
{
	if (inline_value && *inline_value)
		return inline_value;
	if (*i + 1 < argc)
		return argv[++*i];
	cli_error("%s needs a value (see 'stamp --help')", name);
	return NULL;
}

int cli_global_option(struct cli *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (a[0] != '-' || a[1] == 0)
		return 0;
	if (a[1] == '-') {
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		if (len == 7 && strncmp(a, "--quiet", 7) == 0 && !eq) {
			cli->quiet = 1;
			return 1;
		}
		if (len == 6 && strncmp(a, "--jobs", 6) == 0) {
			const char *v = cli_value(eq ? eq + 1 : NULL, argc, argv, i, "--jobs");
			return v && cli_set_jobs(cli, v) == 0 ? 1 : -1;
		}
		if (len == 7 && strncmp(a, "--color", 7) == 0) {
			/* --color alone is always, as in git; --color WHEN takes the next word
			 * only when it is one of the three */
			const char *when = eq ? eq + 1 : NULL;
			if (!eq && *i + 1 < argc)
				for (size_t k = 0; k < 3; k++)
					if (strcmp(argv[*i + 1], cli_color_names[k]) == 0)
						when = argv[++*i];
			int k = when ? cli_choice("--color", when, cli_color_names, 3) : 1;
			if (k < 0)
				return -1;
			cli->color = k == 0 ? CLI_COLOR_AUTO : k == 1 ? CLI_COLOR_ALWAYS : CLI_COLOR_NEVER;
			return 1;
		}
		return 0;
	}
	/* a bundle of short flags (-qj2, -qC DIR): taken only when every letter is global */
	for (const char *p = a + 1; *p; p++) {
		if (*p == 'j' || *p == 'C')
			break;
		if (*p != 'q')
			return 0;
	}
	for (const char *p = a + 1; *p; p++) {
		if (*p == 'q') {
			cli->quiet = 1;
			continue;
		}
		const char *name = *p == 'j' ? "-j" : "-C";
		const char *v = cli_value(p[1] == '=' ? p + 2 : p + 1, argc, argv, i, name);
		if (!v)
			return -1;
		if (*p == 'j')
			return cli_set_jobs(cli, v) == 0 ? 1 : -1;
		cli_set_dir(cli, v);
		return 1;
	}
	return 1;
}

void cli_unknown_option(const struct cli *cli, const char *arg, size_t len, const struct cli_option *options,
			size_t option_count)
{
	const char *names[48];
	size_t n = 0;
	for (size_t k = 0; k < option_count && n < 32; k++)
		names[n++] = options[k].name;
	for (size_t k = 0; k < CLI_GLOBAL_COUNT; k++)
		names[n++] = cli_global_names[k];
	names[n++] = "--version";
	const char *hint = suggest_closest(arg, len, names, n);
	const char *where = cli->command;
	if (hint && where)
		cli_error("unknown option '%.*s' for '%s'; did you mean '%s'?", (int)len, arg, where, hint);
	else if (hint)
		cli_error("unknown option '%.*s'; did you mean '%s'?", (int)len, arg, hint);
	else if (where)
		cli_error("unknown option '%.*s' for '%s' (see 'stamp help %s')", (int)len, arg, where, where);
	else
		cli_error("unknown option '%.*s' (see 'stamp --help')", (int)len, arg);
}

static struct cli_option *cli_find_option(struct cli_option *options, size_t count, const char *name, size_t len)
{
	for (size_t k = 0; k < count; k++)
		if (strlen(options[k].name) == len && memcmp(options[k].name, name, len) == 0)
			return &options[k];
	return NULL;
}

int cli_parse_options(struct cli *cli, int argc, char **argv, struct cli_option *options,
		      size_t option_count, const char **positional, size_t max_positional,
		      size_t *positional_count)
{
	*positional_count = 0;
	int only_positional = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (*positional_count >= max_positional) {
				cli_error("'%s' takes at most %zu argument%s; unexpected '%s' "
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
		const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
		size_t name_len = eq ? (size_t)(eq - arg) : arg[1] == '-' ? strlen(arg) : 2;
		struct cli_option *found = cli_find_option(options, option_count, arg, name_len);
		if (!found) {
			int g = cli_global_option(cli, argc, argv, &i);
			if (g < 0)
				return -1;
			if (g > 0)
				continue;
			cli_unknown_option(cli, arg, arg[1] == '-' ? name_len : strlen(arg), options, option_count);
			return -1;
		}
		/* a short option with more after it: its value (-mMESSAGE) */
		const char *rest = arg[1] != '-' && arg[2] ? arg + 2 : NULL;
		found->seen = 1;
		if (!found->takes_value) {
			if (eq || rest) {
				cli_error("option '%s' takes no value", found->name);
				return -1;
			}
			continue;
		}
		if (eq) {
			found->value = eq + 1;
		} else if (rest) {
			found->value = rest;
		} else if (i + 1 < argc) {
			found->value = argv[++i];
		} else {
			cli_error("option '%s' needs a value (see 'stamp help %s')", found->name,
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
		cli_error("cannot find the directory '%s': %s", from, strerror(errno));
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
			cli_error("not a stamp repository (no templates/stamp.yaml here or in any parent "
					"directory); run it in one, or use -C DIR");
			return -1;
		}
		buf_truncate(&dir, slash == dir.ptr ? 1 : (size_t)(slash - dir.ptr));
	}
	buf_release(&probe);
	repo->fd = open(dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->fd < 0) {
		cli_error("cannot open the directory '%s': %s", dir.ptr, strerror(errno));
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

int cli_open_format_command(struct cli *cli, int argc, char **argv, struct cli_repository *repo)
{
	struct cli_option options[] = { { "--format", 1, NULL, 0 } };
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 1, positional, 0, &count) < 0 ||
	    cli_diagnostics_option(cli, options[0].value) < 0)
		return -1;
	return cli_open_repository(cli, repo);
}
