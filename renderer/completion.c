/* The completion scripts. bash's is the reference; zsh runs it through bashcompinit
 * (zsh's own emulation of bash completion), fish gets its own `complete` lines from
 * the same tables. */
#include "completion.h"

#include "buf.h"

#include <ctype.h>
#include <string.h>

#define COMPLETION_GLOBALS "-C -j --jobs -q --quiet --color --help --version"
/* the one command that is not in the table: it shows the others' help */
#define COMPLETION_EXTRA "help"

const char *const completion_shells[COMPLETION_SHELLS] = { "bash", "zsh", "fish" };

/* 1 when the space-separated list already holds word. */
static int completion_listed(const struct buf *list, const char *word, size_t len)
{
	const char *p = list->ptr ? list->ptr : "";
	while (*p) {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, word, len) == 0)
			return 1;
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The options a help text names, space-separated, in the order it names them: words
 * that start with - or -- after a blank, '[', ',' or '('. */
static void completion_options(const char *help, struct buf *out)
{
	for (const char *p = help; *p; p++) {
		if (*p != '-' || (p != help && !strchr(" \t\n[,(", p[-1])))
			continue;
		const char *q = p + 1;
		if (*q == '-')
			q++;
		const char *name = q;
		while (isalnum((unsigned char)*q) || *q == '-')
			q++;
		if (q > name && isalpha((unsigned char)*name) && (!*q || strchr(" \t\n]=,)", *q)) &&
		    !completion_listed(out, p, (size_t)(q - p))) {
			if (out->len)
				buf_add_char(out, ' ');
			buf_add(out, p, (size_t)(q - p));
		}
		p = q - 1;
	}
}

/* For each option of the usage line shown with its choices (--format text|markdown|json),
 * calls back with the option and the choices, space-separated. */
static void completion_choices(const char *help, void (*fn)(void *ctx, const char *option, size_t option_len,
							     const char *choices),
			       void *ctx)
{
	size_t line = strcspn(help, "\n");
	for (size_t i = 0; i + 2 < line; i++) {
		if (help[i] != '-' || help[i + 1] != '-' || (i && !strchr(" [", help[i - 1])))
			continue;
		size_t name = strcspn(help + i, " ]\n");
		const char *value = help + i + name;
		if (*value != ' ')
			continue;
		value++;
		size_t len = strcspn(value, " ]\n");
		if (!memchr(value, '|', len))
			continue;
		struct buf choices = BUF_INIT;
		for (size_t k = 0; k < len; k++)
			buf_add_char(&choices, value[k] == '|' ? ' ' : value[k]);
		fn(ctx, help + i, name, choices.ptr);
		buf_release(&choices);
	}
}

struct completion_case {
	struct buf *out;
	const char *command;
	int fish;
};

static void completion_choice_case(void *ctx, const char *option, size_t option_len, const char *choices)
{
	struct completion_case *c = ctx;
	if (c->fish)
		buf_printf(c->out, "complete -c stamp -n '__fish_seen_subcommand_from %s' -l %.*s -xa '%s'\n", c->command,
			   (int)option_len - 2, option + 2, choices);
	else
		buf_printf(c->out, "\t%s:%.*s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", c->command,
			   (int)option_len, option, choices);
}

static void completion_bash(struct buf *out, const struct completion_command *commands, size_t count)
{
	buf_add_str(out, "# stamp's bash completion: source it, or put it in bash-completion's completions\n"
			 "# directory as 'stamp'. Made by stamp completion bash.\n"
			 "_stamp_ids() {\n"
			 "\tlocal dir=. i f\n"
			 "\tfor ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
			 "\t\t[[ ${COMP_WORDS[i]} == -C ]] && dir=${COMP_WORDS[i + 1]}\n"
			 "\tdone\n"
			 "\tfor ((i = 0; i < 64; i++)); do\n"
			 "\t\t[[ -f $dir/templates/stamp.yaml || ! -d $dir/.. ]] && break\n"
			 "\t\t[[ $(cd \"$dir\" 2>/dev/null && pwd) == / ]] && return\n"
			 "\t\tdir=$dir/..\n"
			 "\tdone\n"
			 "\tfor f in \"$dir\"/customers/*.yaml; do\n"
			 "\t\t[[ -f $f ]] || continue\n"
			 "\t\tf=${f##*/}\n"
			 "\t\tprintf '%s\\n' \"${f%.yaml}\"\n"
			 "\tdone\n"
			 "}\n\n"
			 "_stamp() {\n"
			 "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd= i\n"
			 "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
			 "\t\tcase ${COMP_WORDS[i]} in\n"
			 "\t\t-C | -j | --jobs) ((i++)) ;;\n"
			 "\t\t--) break ;;\n"
			 "\t\t-*) ;;\n"
			 "\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n"
			 "\t\tesac\n"
			 "\tdone\n"
			 "\tcase $prev in\n"
			 "\t-C) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
			 "\t-j | --jobs) COMPREPLY=(); return ;;\n"
			 "\t--color) COMPREPLY=($(compgen -W 'auto always never' -- \"$cur\")); return ;;\n"
			 "\tesac\n"
			 "\tcase $cmd:$prev in\n");
	for (size_t i = 0; i < count; i++) {
		struct completion_case c = { out, commands[i].name, 0 };
		completion_choices(commands[i].help, completion_choice_case, &c);
	}
	buf_add_str(out, "\tesac\n"
			 "\tlocal opts='" COMPLETION_GLOBALS "'\n"
			 "\tcase $cmd in\n"
			 "\t'')\n"
			 "\t\tif [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n"
			 "\t\tCOMPREPLY=($(compgen -W '");
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s ", commands[i].name);
	buf_add_str(out, COMPLETION_EXTRA "' -- \"$cur\")); return ;;\n"
			 "\thelp) COMPREPLY=($(compgen -W '");
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s ", commands[i].name);
	buf_add_str(out, COMPLETION_EXTRA "' -- \"$cur\")); return ;;\n"
			 "\tcompletion) COMPREPLY=($(compgen -W '");
	for (size_t i = 0; i < COMPLETION_SHELLS; i++)
		buf_printf(out, "%s ", completion_shells[i]);
	buf_add_str(out, "' -- \"$cur\")); return ;;\n"
			 "\tshow) [[ $cur != -* ]] && { COMPREPLY=($(compgen -W \"$(_stamp_ids)\" -- \"$cur\")); return; } ;;\n"
			 "\tesac\n"
			 "\tcase $cmd in\n");
	for (size_t i = 0; i < count; i++) {
		struct buf options = BUF_INIT;
		completion_options(commands[i].help, &options);
		buf_printf(out, "\t%s) opts=\"$opts %s\" ;;\n", commands[i].name, options.ptr ? options.ptr : "");
		buf_release(&options);
	}
	buf_add_str(out, "\tesac\n"
			 "\tif [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n"
			 "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
			 "}\n"
			 "complete -F _stamp stamp\n");
}

static void completion_fish(struct buf *out, const struct completion_command *commands, size_t count)
{
	buf_add_str(out, "# stamp's fish completion: put it in ~/.config/fish/completions/stamp.fish.\n"
			 "# Made by stamp completion fish.\n"
			 "function __stamp_ids\n"
			 "\tset -l dir .\n"
			 "\tset -l words (commandline -opc)\n"
			 "\tfor i in (seq (count $words))\n"
			 "\t\tif test \"$words[$i]\" = -C; and test $i -lt (count $words)\n"
			 "\t\t\tset dir $words[(math $i + 1)]\n"
			 "\t\tend\n"
			 "\tend\n"
			 "\tfor i in (seq 64)\n"
			 "\t\ttest -f $dir/templates/stamp.yaml; and break\n"
			 "\t\ttest (realpath $dir 2>/dev/null) = /; and return\n"
			 "\t\tset dir $dir/..\n"
			 "\tend\n"
			 "\tfor f in $dir/customers/*.yaml\n"
			 "\t\tbasename $f .yaml\n"
			 "\tend\n"
			 "end\n"
			 "complete -c stamp -f\n"
			 "complete -c stamp -s C -r -a '(__fish_complete_directories)' -d 'run as if started in DIR'\n"
			 "complete -c stamp -s j -l jobs -x -d 'threads to use'\n"
			 "complete -c stamp -s q -l quiet -d 'print only errors'\n"
			 "complete -c stamp -l color -xa 'auto always never'\n"
			 "complete -c stamp -l version -d 'the versions of stamp and its libraries'\n");
	buf_add_str(out, "complete -c stamp -n __fish_use_subcommand -a '");
	for (size_t i = 0; i < count; i++)
		buf_printf(out, "%s ", commands[i].name);
	buf_add_str(out, COMPLETION_EXTRA "'\n"
			 "complete -c stamp -n '__fish_seen_subcommand_from show' -a '(__stamp_ids)'\n"
			 "complete -c stamp -n '__fish_seen_subcommand_from completion' -a '");
	for (size_t i = 0; i < COMPLETION_SHELLS; i++)
		buf_printf(out, "%s ", completion_shells[i]);
	buf_add_str(out, "'\n");
	for (size_t i = 0; i < count; i++) {
		struct buf options = BUF_INIT;
		completion_options(commands[i].help, &options);
		const char *p = options.ptr ? options.ptr : "";
		while (*p) {
			size_t n = strcspn(p, " ");
			if (p[1] == '-')
				buf_printf(out, "complete -c stamp -n '__fish_seen_subcommand_from %s' -l %.*s\n",
					   commands[i].name, (int)n - 2, p + 2);
			else
				buf_printf(out, "complete -c stamp -n '__fish_seen_subcommand_from %s' -s %.*s\n",
					   commands[i].name, (int)n - 1, p + 1);
			p += n;
			while (*p == ' ')
				p++;
		}
		buf_release(&options);
		struct completion_case c = { out, commands[i].name, 1 };
		completion_choices(commands[i].help, completion_choice_case, &c);
	}
}

int completion_script(struct buf *out, const char *shell, const struct completion_command *commands, size_t count)
{
	if (strcmp(shell, "bash") == 0) {
		completion_bash(out, commands, count);
	} else if (strcmp(shell, "zsh") == 0) {
		/* zsh completes with the bash function, through its own emulation of bash's */
		buf_add_str(out, "#compdef stamp\n"
				 "# stamp's zsh completion: put it in a directory of $fpath as _stamp.\n"
				 "autoload -U +X bashcompinit && bashcompinit\n");
		completion_bash(out, commands, count);
	} else if (strcmp(shell, "fish") == 0) {
		completion_fish(out, commands, count);
	} else {
		return -1;
	}
	return 0;
}
