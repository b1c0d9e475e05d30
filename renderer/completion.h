/* completion: the shell completion scripts of `stamp completion bash|zsh|fish`.
 *
 * Generated from the commands' own help texts, so they cannot drift from them: every
 * option a command's help names (a word like --base or -m) is completed after that
 * command, and an option whose usage shows its choices (--format text|markdown|json)
 * completes them. Customer ids for `stamp show` come, at completion time, from the
 * customers/ of the stamp repository found from the current directory or -C DIR.
 *
 * Nothing is allocated past a call; the text goes to the given buffer. */
#ifndef STAMP_COMPLETION_H
#define STAMP_COMPLETION_H

#include <stddef.h>

struct buf;

struct completion_command {
	const char *name;
	const char *help; /* "usage: stamp NAME ..." and the option lines */
};

/* The shells there is a script for. */
extern const char *const completion_shells[];
#define COMPLETION_SHELLS 3

/* The script for shell (one of completion_shells): 0, or -1 for another shell. */
int completion_script(struct buf *out, const char *shell, const struct completion_command *commands, size_t count);

#endif
