/* Error values and lists. Messages are built with printf formats; values quoted into
 * them go through error_quote_value() so that hostile input cannot forge extra lines. */
#include "error.h"

#include "alloc.h"

#include "array.h"
#include "buf.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *error_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *p = malloc(n + 1);
	if (!p)
		alloc_failed();
	memcpy(p, s, n + 1);
	return p;
}

int error_set(struct error *err, const char *file, unsigned line, unsigned col,
	      const char *fmt, ...)
{
	if (!err)
		return -1;
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	char *file_copy = error_strdup(file);
	error_clear(err);
	err->file = file_copy;
	err->line = line;
	err->col = col;
	err->message = buf_detach(&msg, NULL);
	return -1;
}

void error_clear(struct error *err)
{
	free(err->file);
	free(err->message);
	err->file = err->message = NULL;
	err->line = err->col = 0;
	err->environment = 0;
}

int error_environment(struct error *err)
{
	err->environment = 1;
	return -1;
}

int error_list_environment(const struct error_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].environment)
			return 1;
	return 0;
}

void error_move(struct error *dst, struct error *src)
{
	error_clear(dst);
	*dst = *src;
	src->file = src->message = NULL;
	src->line = src->col = 0;
	src->environment = 0;
}

/* Shown as it is in a diagnostic: printable, and not a bidirectional control, which
 * could make a terminal show a name or value other than the one it is. */
static int error_shows_raw(uint32_t cp)
{
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return utf8_is_printable(cp);
}

void error_quote_path(struct buf *out, const char *path)
{
	size_t len = strlen(path);
	int plain = 1;
	for (size_t i = 0; i < len && plain;) {
		unsigned char c = (unsigned char)path[i];
		size_t n = utf8_sequence_length(path + i, len - i);
		plain = n != 0 && !(n == 1 && (c < 0x20 || c == 0x7f || c == '"' || c == '\\')) &&
			(n == 1 || error_shows_raw(utf8_decode(path + i, n)));
		i += n ? n : 1;
	}
	if (plain) {
		buf_add(out, path, len);
		return;
	}
	/* in double quotes, as git quotes a path (core.quotePath), with the escapes of a
	 * quoted value; valid UTF-8 stays as it is */
	buf_add_char(out, '"');
	error_quote_value(out, path, len, len);
	buf_add_char(out, '"');
}

void error_format(const struct error *err, struct buf *out, int color)
{
	if (color)
		buf_add_str(out, "\033[1m");
	if (err->file) {
		error_quote_path(out, err->file);
		if (err->line) {
			buf_printf(out, ":%u", err->line);
			if (err->col)
				buf_printf(out, ":%u", err->col);
		}
		buf_add_str(out, ": ");
	}
	buf_add_str(out, color ? "\033[1;31merror:\033[0m " : "error: ");
	buf_add_str(out, err->message ? err->message : "unknown error");
}

void error_list_take(struct error_list *list, struct error *err)
{
	list->items = array_grow(list->items, &list->cap, list->count, sizeof *list->items, 8);
	list->items[list->count] = *err;
	list->count++;
	err->file = err->message = NULL;
	err->line = err->col = 0;
	err->environment = 0;
}

void error_list_append(struct error_list *dst, struct error_list *src)
{
	for (size_t i = 0; i < src->count; i++)
		error_list_take(dst, &src->items[i]);
	error_list_release(src);
}

static int error_compare(const struct error *a, const struct error *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void error_list_sort(struct error_list *list)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < list->count; i++) {
		struct error e = list->items[i];
		size_t j = i;
		while (j > 0 && error_compare(&list->items[j - 1], &e) > 0) {
			list->items[j] = list->items[j - 1];
			j--;
		}
		list->items[j] = e;
	}
	/* the same problem found again (one template bug, met by every customer) is shown once */
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		struct error *e = &list->items[i];
		struct error *last = kept ? &list->items[kept - 1] : NULL;
		if (last && error_compare(last, e) == 0 && last->message && e->message &&
		    strcmp(last->message, e->message) == 0) {
			error_clear(e);
			continue;
		}
		list->items[kept++] = *e;
	}
	list->count = kept;
}

void error_list_release(struct error_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		error_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = list->cap = 0;
}

void error_quote_value(struct buf *out, const char *s, size_t len, size_t max)
{
	size_t i = 0;
	while (i < len) {
		if (i >= max) {
			buf_add_str(out, "...");
			return;
		}
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_sequence_length(s + i, len - i);
		if (n == 0) {
			buf_printf(out, "\\x%02X", c);
			i++;
			continue;
		}
		if (n > 1) {
			uint32_t cp = utf8_decode(s + i, n);
			if (error_shows_raw(cp))
				buf_add(out, s + i, n);
			else
				buf_printf(out, "\\u%04X", (unsigned)cp);
			i += n;
			continue;
		}
		switch (c) {
		case '\n': buf_add_str(out, "\\n"); break;
		case '\r': buf_add_str(out, "\\r"); break;
		case '\t': buf_add_str(out, "\\t"); break;
		case '\\': buf_add_str(out, "\\\\"); break;
		case '"': buf_add_str(out, "\\\""); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(out, "\\x%02X", c);
			else
				buf_add_char(out, (char)c);
		}
		i++;
	}
}
