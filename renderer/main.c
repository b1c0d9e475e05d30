/* stamp's entry point: global options, the command table, help and version. The only
 * place that may end the process (die()); commands return their exit code. */
#include "alloc.h"
#include "cli.h"
#include "buf.h"
#include "completion.h"
#include "gitrepo.h"
#include "suggest.h"
#include "tempfile.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <git2.h>
#include <pcre2.h>
#include <xxhash.h>
#include <yaml.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef STAMP_VERSION
#define STAMP_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
	const char *help;
};

static int cmd_completion(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

static const struct command commands[] = {
	{ "channels", cmd_channels, "list the channels, their revisions and their customers",
	  "usage: stamp channels [--format text|json|github]\n"
	  "\n"
	  "Lists each channel templates/stamp.yaml declares (the default one marked *): the\n"
	  "revision it names, the commit that resolves to (- for WORKTREE, the templates/ of\n"
	  "the working tree) and how many customers follow it. Every spec and every channel's\n"
	  "template set is validated, as stamp check does.\n"
	  "\n"
	  "Exit: 0 listed, 1 invalid input or a revision not in this clone, 2 not a stamp\n"
	  "repository or an I/O error.\n" },
	{ "check", cmd_check, "check that out/ is what the specs and templates render",
	  "usage: stamp check [--format text|json|github]\n"
	  "\n"
	  "Validates templates/stamp.yaml and every customers/<id>.yaml (every problem of every\n"
	  "file at once, sorted by file and line), renders in memory the customers changed\n"
	  "since the last render, and compares the result with out/: lists every stale,\n"
	  "missing, extra or hand-edited file with the command that fixes it. Writes nothing;\n"
	  "made for pre-commit. Files not modified since out/.stamp-manifest was written are\n"
	  "trusted by their timestamps, like git's index; every other file is read and hashed.\n"
	  "\n"
	  "Exit: 0 valid and in sync, 1 problems found, 2 not a stamp repository or I/O error.\n" },
	{ "commit", cmd_commit, "render, then commit the out/ changes",
	  "usage: stamp commit [-m MESSAGE] [--branch NAME] [--expect REV]\n"
	  "\n"
	  "Renders (as stamp render), then commits exactly the changes of out/ on the branch\n"
	  "checked out: the new commit's tree is the branch's tree with out/ replaced, so\n"
	  "other work, staged or not, stays out of it and stays as it is. The message names\n"
	  "the changed customers and ends with a Rendered-from: trailer naming the commit of\n"
	  "the sources. The branch moves only if nobody moved it meanwhile. Does nothing when\n"
	  "out/ already matches the branch.\n"
	  "\n"
	  "  -m, --message MESSAGE  the subject line (default: Render N customers: ...)\n"
	  "  --branch NAME          commit the rendered tree alone (out/'s content at the\n"
	  "                         root) to branch NAME instead, creating it if needed; the\n"
	  "                         checked-out branch, index and work tree are not touched\n"
	  "  --expect REV           commit only if the branch is still at REV (in CI: the\n"
	  "                         commit the job checked out)\n"
	  "\n"
	  "Identity: GIT_AUTHOR_NAME/EMAIL and GIT_COMMITTER_NAME/EMAIL, else user.name and\n"
	  "user.email from git's configuration.\n"
	  "\n"
	  "Exit: 0 committed or nothing to commit, 1 invalid input, 2 git or I/O error.\n" },
	{ "completion", cmd_completion, "print the bash, zsh or fish completion script",
	  "usage: stamp completion bash|zsh|fish\n"
	  "\n"
	  "Prints the shell's completion script: commands, their options and the values of\n"
	  "those that take a fixed set, and customer ids after 'stamp show'. bash:\n"
	  "  source <(stamp completion bash)\n"
	  "zsh: stamp completion zsh > \"${fpath[1]}/_stamp\"; fish: stamp completion fish >\n"
	  "~/.config/fish/completions/stamp.fish. make install puts all three in place.\n" },
	{ "diff", cmd_diff, "show how the rendered output differs from a revision's",
	  "usage: stamp diff [REV | --base REV] [--format text|markdown|json] [--exit-code] [--no-pager]\n"
	  "\n"
	  "Renders REV's templates and customers, read straight from the git object store (no\n"
	  "checkout; the same validation as on disk), and the working tree's, and shows the\n"
	  "difference of the rendered files, grouped by customer. Customers whose spec and\n"
	  "template set are the same on both sides render the same and are skipped.\n"
	  "\n"
	  "  REV, --base REV   the revision to compare with (default: HEAD)\n"
	  "  --format text     a unified diff, coloured on a terminal (the default)\n"
	  "  --format markdown a pull-request comment: a table of customers and collapsible\n"
	  "                    per-file diffs, cut to 65,536 characters with a note of what\n"
	  "                    was left out\n"
	  "  --format json     the same for bots (the shape is in README.md)\n"
	  "  --exit-code       exit 1 when the rendered output differs\n"
	  "  --no-pager        on a terminal, print instead of paging (the text diff goes\n"
	  "                    through STAMP_PAGER, else PAGER, else less, as git's does)\n"
	  "\n"
	  "Exit: 0 (1 with --exit-code when different), 1 invalid input on either side, 2 not a\n"
	  "git repository, unknown revision or I/O error.\n" },
	{ "mustache", cmd_mustache, "render one template with a data file to stdout",
	  "usage: stamp mustache TEMPLATE [--data FILE] [--partials DIR] [--escape html|yaml|json|hcl|none] [--strict]\n"
	  "\n"
	  "Renders TEMPLATE with the values in FILE (YAML or JSON; none: an empty map) and\n"
	  "writes the result to stdout, only if the whole render succeeded.\n"
	  "\n"
	  "  --data FILE      the data, a YAML or JSON document\n"
	  "  --partials DIR   where {{>name}} is found: DIR/name or DIR/name.mustache\n"
	  "                   (default: the template's directory)\n"
	  "  --escape MODE    html, yaml, json, hcl or none; default by TEMPLATE's extension:\n"
	  "                   .yaml/.yml yaml, .json json, .tf/.tfvars/.hcl hcl,\n"
	  "                   .html/.mustache html, anything else none\n"
	  "  --strict         a missing name or partial is an error (as in every render);\n"
	  "                   without it they render empty, as the mustache spec says\n"
	  "\n"
	  "Exit: 0 rendered, 1 template or data error, 2 usage or I/O error.\n" },
	{ "render", cmd_render, "render every customer into out/",
	  "usage: stamp render [--force] [--format text|json|github]\n"
	  "\n"
	  "Validates the template set and every spec, renders every output of every changed\n"
	  "customer in memory, parses each YAML and JSON output back, and only then writes the\n"
	  "files whose content changed into out/, prunes the files of removed customers and\n"
	  "records every hash in out/.stamp-manifest. Writes nothing at all if anything is\n"
	  "invalid. A customer whose spec, template set and stamp version are unchanged is not\n"
	  "rendered again. Refuses to overwrite files edited by hand since the last render,\n"
	  "and never writes through a symbolic link. Files and directories are on disk before\n"
	  "the manifest names them; a render that dies is completed by the next one.\n"
	  "\n"
	  "  --force   render every customer and look at every file: restore edited, missing\n"
	  "            or truncated files, remove what no output produces, replace links\n"
	  "\n"
	  "Exit: 0 rendered, 1 invalid input or hand-edited files, 2 lock held, a link in the\n"
	  "way, or an I/O error or limit.\n" },
	{ "show", cmd_show, "print a customer's fully merged values",
	  "usage: stamp show NAME [--format text|json|github]\n"
	  "\n"
	  "Prints the values the templates see for customer NAME (customers/NAME.yaml) as\n"
	  "YAML: id and platform settings, the plan, the spec with the schema's defaults, and\n"
	  "the derived values.\n"
	  "\n"
	  "Exit: 0 shown, 1 unknown customer or invalid spec, 2 not a stamp repository.\n" },
	{ "version", cmd_version, "print the versions of stamp and its libraries",
	  "usage: stamp version\n"
	  "\n"
	  "Prints the version of stamp and of the libyaml, libgit2, PCRE2 and xxHash it runs\n"
	  "with, one per line. --version, anywhere on the line, does the same.\n" },
};

#define COMMAND_COUNT (sizeof commands / sizeof *commands)

static void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("stamp: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static void print_overview(FILE *f)
{
	fprintf(f,
		"usage: stamp [-C DIR] [-j N] [-q] [--color[=]auto|always|never] COMMAND [ARGS]\n"
		"\n"
		"stamp renders one isolated deployment per customer from a YAML spec per customer\n"
		"and a set of mustache templates, and keeps the rendered tree in git.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"  %-10s %s\n"
		"\n"
		"options (anywhere on the line, before or after the command, until --):\n"
		"  -C DIR         run as if started in DIR\n"
		"  -j, --jobs N   threads to use (default: all cores)\n"
		"  -q, --quiet    print only errors\n"
		"  --color WHEN   auto (default; NO_COLOR is respected), always or never\n"
		"  --help         this text; 'stamp help COMMAND' for one command\n"
		"  --version      the version of stamp and of its libraries (also 'stamp version')\n"
		"Short flags bundle (-qj2); --opt=value and --opt value both work.\n"
		"\n"
		"exit codes: 0 success, 1 invalid input (or a difference where asked), 2 usage or\n"
		"environment error\n",
		"help", "show help for a command");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void unknown_command(const char *name)
{
	const char *names[COMMAND_COUNT + 1];
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		names[i] = commands[i].name;
	names[COMMAND_COUNT] = "help";
	const char *hint = suggest_closest(name, strlen(name), names, COMMAND_COUNT + 1);
	if (hint)
		die(2, "unknown command '%s'; did you mean '%s'?", name, hint);
	die(2, "unknown command '%s' (see 'stamp --help')", name);
}

static int help_command(int argc, char **argv)
{
	if (argc == 0) {
		print_overview(stdout);
		return 0;
	}
	if (argc > 1)
		die(2, "'help' takes one COMMAND");
	if (strcmp(argv[0], "help") == 0) {
		puts("usage: stamp help COMMAND\n\nShows the help of COMMAND.");
		return 0;
	}
	const struct command *c = find_command(argv[0]);
	if (!c)
		unknown_command(argv[0]);
	fputs(c->help, stdout);
	return 0;
}

/* stamp's version and the versions of the libraries it runs with (not those it was
 * built against: a distribution upgrade changes them without a rebuild). */
static int print_version(void)
{
	int major = 0, minor = 0, rev = 0;
	char pcre[64] = "unknown";
	unsigned xxh = XXH_versionNumber();
	if (git_libgit2_version(&major, &minor, &rev) < 0 || pcre2_config(PCRE2_CONFIG_VERSION, pcre) < 0)
		die(2, "cannot read the libraries' versions");
	printf("stamp %s\nlibyaml %s\nlibgit2 %d.%d.%d\nPCRE2 %s\nxxHash %u.%u.%u\n", STAMP_VERSION,
	       yaml_get_version_string(), major, minor, rev, pcre, xxh / 10000, xxh / 100 % 100, xxh % 100);
	return 0;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, NULL, 0, positional, 0, &count) < 0)
		return CLI_USAGE;
	return print_version();
}

static int cmd_completion(struct cli *cli, int argc, char **argv)
{
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, NULL, 0, positional, 1, &count) < 0)
		return CLI_USAGE;
	if (count != 1) {
		cli_error("'completion' takes one shell: bash, zsh or fish");
		return CLI_USAGE;
	}
	struct completion_command table[COMMAND_COUNT];
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		table[i] = (struct completion_command){ commands[i].name, commands[i].help };
	struct buf script = BUF_INIT;
	int rc = completion_script(&script, positional[0], table, COMMAND_COUNT);
	if (rc == 0)
		fwrite(script.ptr, 1, script.len, stdout);
	buf_release(&script);
	if (rc == 0)
		return CLI_OK;
	const char *hint = suggest_closest(positional[0], strlen(positional[0]), completion_shells, COMPLETION_SHELLS);
	if (hint)
		cli_error("no completion for '%s'; did you mean '%s'?", positional[0], hint);
	else
		cli_error("no completion for '%s'; there is one for bash, zsh and fish", positional[0]);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli = { NULL, NULL, 0, 0, CLI_COLOR_AUTO, DIAGNOSTIC_TEXT };
	alloc_set_cleanup(tempfile_remove_all); /* out of memory: stamp's lock and temporaries go */
	tempfile_install();
	/* the global options before the command; the command's parser takes those after it */
	int status = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_overview(stdout);
			goto out;
		}
		if (strcmp(a, "--version") == 0) {
			status = print_version();
			goto out;
		}
		int g = cli_global_option(&cli, argc, argv, &i);
		if (g == 0)
			cli_unknown_option(&cli, a, strlen(a), NULL, 0);
		if (g <= 0) {
			status = 2;
			goto out;
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		print_overview(stderr);
		status = 2;
		goto out;
	}
	const char *name = argv[i];
	if (strcmp(name, "help") == 0) {
		status = help_command(argc - i - 1, argv + i + 1);
		goto out;
	}
	const struct command *c = find_command(name);
	if (!c)
		unknown_command(name);
	cli.command = c->name;
	for (int k = i + 1; k < argc; k++) {
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			fputs(c->help, stdout);
			goto out;
		}
		if (strcmp(argv[k], "--version") == 0) {
			status = print_version();
			goto out;
		}
		if (strcmp(argv[k], "--") == 0)
			break;
	}
	/* libgit2 is initialised where it is first used, once for the run (gitrepo.h) */
	status = c->run(&cli, argc - i - 1, argv + i + 1);
	gitrepo_release_library();
out:
	free((char *)cli.dir);
	return status;
}
