/* error: the one way a failure travels from where it happens to the user.
 *
 * Functions return an int status (0 ok, -1 failed) and describe the failure in a
 * struct error the caller passes in: file, line, column (1-based; 0 when unknown) and a
 * message that already says how to fix it. The struct owns its strings; error_clear()
 * frees them. An error_list collects many errors so that a run reports every problem at
 * once; it owns its entries. */
#ifndef STAMP_ERROR_H
#define STAMP_ERROR_H

#include <stddef.h>
#include <stdio.h>

struct buf;

struct error {
	char *file;
	unsigned line;
	unsigned col;
	char *message;
	int environment; /* the system failed (I/O, a limit), not the input: exit 2 */
};

#define ERROR_INIT { NULL, 0, 0, NULL, 0 }

/* Sets err (replacing what it held) and returns -1, so callers can `return error_set(...)`. */
int error_set(struct error *err, const char *file, unsigned line, unsigned col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void error_clear(struct error *err);
/* Marks err as an environment failure (an unreadable file, a limit) and returns -1. */
int error_environment(struct error *err);
/* Moves src into dst (dst's old contents are freed, src ends empty). */
void error_move(struct error *dst, struct error *src);
/* "file:line:col: error: message" (parts that are unknown are left out). */
void error_format(const struct error *err, struct buf *out, int color);

struct error_list {
	struct error *items;
	size_t count;
	size_t cap;
};

#define ERROR_LIST_INIT { NULL, 0, 0 }

void error_list_take(struct error_list *list, struct error *err); /* err ends empty */
/* Moves every error of src to the end of dst; src ends empty (and may be reused). */
void error_list_append(struct error_list *dst, struct error_list *src);
void error_list_sort(struct error_list *list); /* by file, line, column; stable; drops repeats */
void error_list_release(struct error_list *list);
/* 1 when any error of the list is an environment failure. */
int error_list_environment(const struct error_list *list);

/* Appends s to out with every byte that is not printable written as an escape
 * (\n, \t, \xNN, and invalid UTF-8 as \xNN), so a diagnostic never carries a raw
 * control byte. At most max bytes of s are shown; longer values end in "...". */
void error_quote_value(struct buf *out, const char *s, size_t len, size_t max);
/* Appends path as it is when it holds no control character, '"', '\\' or invalid UTF-8;
 * else in double quotes with the escapes of error_quote_value() (\n, \x1B, \u202E),
 * as git quotes paths, so that a file name can neither inject a terminal escape or a
 * bidirectional override nor break a one-line diagnostic. */
void error_quote_path(struct buf *out, const char *path);

#endif
