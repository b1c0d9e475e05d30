/* cli: what every command shares: the global options, the exit codes of PRODUCT.md,
 * printing diagnostics (coloured when stderr is a terminal, NO_COLOR and --color
 * respected), and a small long-option parser that answers typos with a hint. */
#ifndef STAMP_CLI_H
#define STAMP_CLI_H

#include "diagnostic.h"
#include "source.h"

#include <stddef.h>
#include <stdio.h>

struct buf;
struct error;
struct error_list;

enum cli_exit {
	CLI_OK = 0,
	CLI_INVALID = 1, /* invalid input, or "different" where a command says so */
	CLI_USAGE = 2,   /* usage error or environment failure */
};

enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli {
	const char *command;
	const char *dir;   /* -C: where to start, instead of the current directory (malloc'd by main) */
	int jobs;  /* 0: all cores */
	int quiet;
	enum cli_color color;
	enum diagnostic_style diagnostics; /* --format of check, render and show */
};

struct cli_option {
	const char *name;  /* "--data" */
	int takes_value;
	const char *value; /* set by cli_parse_options */
	int seen;
};

/* Parses argv[0..argc) against options and the global options (-C, -j, -q, --color,
 * which may come anywhere, as kubectl's do); plain words go to positional (at most
 * max_positional); "--" ends the options. --opt=value and --opt value, -mVALUE and
 * -m VALUE, bundles of global short flags (-qj2). Prints the one-line reason, with a
 * "did you mean" when one is close, and returns -1 on a usage error. */
int cli_parse_options(struct cli *cli, int argc, char **argv, struct cli_option *options,
		      size_t option_count, const char **positional, size_t max_positional,
		      size_t *positional_count);
/* If argv[*i] is a global option (or a bundle of them), applies it to cli and advances
 * *i past a value it took: 1; 0 when it is none; -1 on a bad value (printed). */
int cli_global_option(struct cli *cli, int argc, char **argv, int *i);
/* "unknown option" with the closest of options and the global options. */
void cli_unknown_option(const struct cli *cli, const char *arg, size_t len, const struct cli_option *options,
			size_t option_count);
/* The index of value among choices; else prints "OPTION takes a, b or c, not 'x'; did
 * you mean 'y'?" and returns -1. */
int cli_choice(const char *option, const char *value, const char *const *choices, size_t count);
int cli_use_color(const struct cli *cli, int fd);

/* Output through a pager, as git pages: only when stdout is a terminal, with
 * STAMP_PAGER, else PAGER, else "less" (LESS=FRX unless set: quit when it fits, keep
 * colours); "" or "cat" pages nothing, nor does wanted 0. start returns 1 paging, 0
 * not, -1 when the pager cannot be started (printed; the output goes to the terminal).
 * color says whether the output should be coloured, decided for the terminal, not the
 * pipe. */
struct cli_pager {
	FILE *pipe;
	int saved_stdout;
	int color;
};
int cli_pager_start(const struct cli *cli, struct cli_pager *pager, int wanted);
/* Flushes, restores stdout and waits for the pager to end. */
void cli_pager_stop(struct cli_pager *pager);
/* "file:line:col: error: message" on stderr; with --format json or github, the
 * diagnostic in that form on stdout (diagnostic.h). */
void cli_print_error(const struct cli *cli, const struct error *err);
/* --format text|json|github of the diagnostics (NULL: text); json also makes the run
 * quiet, so stdout holds JSON Lines only. -1 for another value (printed). */
int cli_diagnostics_option(struct cli *cli, const char *value);
/* "stamp: error: <message>" on stderr, for usage and environment failures that have no
 * file to point at (a diagnostic with one is path:line:col: error: ...). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The stamp repository a command works on: the nearest directory, from -C DIR or the
 * current directory up, that holds templates/stamp.yaml. The process never changes
 * directory: everything is read relative to fd, or to path for libgit2. */
struct cli_repository {
	int fd;
	char *path;                  /* absolute, resolved */
	struct source worktree;      /* its working tree */
	const struct source *source; /* &worktree */
};
/* Prints the reason and returns -1 when there is none. */
int cli_open_repository(const struct cli *cli, struct cli_repository *repo);
/* For a command whose only option is --format text|json|github and which takes no
 * operand (check, channels): parses its line and opens the repository. 0, or -1 when
 * either fails (said already; the command exits CLI_USAGE). */
int cli_open_format_command(struct cli *cli, int argc, char **argv, struct cli_repository *repo);
void cli_close_repository(struct cli_repository *repo);
/* A path the user gave, as seen from -C DIR. */
void cli_path(const struct cli *cli, const char *path, struct buf *out);
/* Prints every error of the list, in its order. */
void cli_print_errors(const struct cli *cli, const struct error_list *errors);

int cmd_channels(struct cli *cli, int argc, char **argv);
int cmd_mustache(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_commit(struct cli *cli, int argc, char **argv);
int cmd_diff(struct cli *cli, int argc, char **argv);
int cmd_render(struct cli *cli, int argc, char **argv);
struct sync_report;
/* Prints what a render reports (render and commit). */
void render_print(const struct cli *cli, const struct sync_report *r);
/* Repairs the index an interrupted stamp commit left (gitindex.h), printing what it
 * did or why it could not: 0, or -1 when it could not. */
int cli_repair_index(const struct cli *cli, const struct cli_repository *repo);
int cmd_show(struct cli *cli, int argc, char **argv);

#endif
