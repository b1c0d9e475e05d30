/* Diagnostics in text, JSON Lines and GitHub workflow commands. */
#include "diagnostic.h"

#include "buf.h"
#include "error.h"
#include "escape.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>
#include <string.h>

/* A JSON string of s; bytes that are not valid UTF-8 are shown as \xNN first. */
static void diagnostic_json_string(struct buf *out, const char *s, size_t len)
{
	const char *why = NULL;
	size_t start = out->len;
	buf_add_char(out, '"');
	if (escape_json_string(out, s, len, &why) < 0) {
		buf_truncate(out, start);
		struct buf shown = BUF_INIT;
		error_quote_value(&shown, s, len, len + 1);
		buf_add_char(out, '"');
		escape_json_string(out, shown.ptr ? shown.ptr : "", shown.len, &why);
		buf_release(&shown);
	}
	buf_add_char(out, '"');
}

/* The first file:line:col of message: 1 with its parts' offsets, else 0. The pattern is
 * compiled once per process (diagnostics are printed from one thread) and kept. */
static int diagnostic_related(const char *message, size_t *at, size_t *len, unsigned *line, unsigned *col)
{
	static const char pattern[] = "([^\\s:()'\"]+):([0-9]+):([0-9]+)";
	static pcre2_code *re;
	static pcre2_match_data *md;
	if (!re) {
		int code;
		PCRE2_SIZE offset;
		re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &offset, NULL);
		md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
	}
	if (!md || pcre2_match(re, (PCRE2_SPTR)message, strlen(message), 0, 0, md, NULL) <= 0)
		return 0;
	PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
	*at = v[2];
	*len = v[3] - v[2];
	*line = (unsigned)strtoul(message + v[4], NULL, 10);
	*col = (unsigned)strtoul(message + v[6], NULL, 10);
	return 1;
}

static void diagnostic_json(const struct error *err, struct buf *out)
{
	const char *message = err->message ? err->message : "unknown error";
	const char *fix = strstr(message, "; ");
	size_t what = fix ? (size_t)(fix - message) : strlen(message);
	buf_add_str(out, "{\"file\":");
	if (err->file)
		diagnostic_json_string(out, err->file, strlen(err->file));
	else
		buf_add_str(out, "null");
	/* a message about a whole file (a default the spec does not write) has no line */
	if (err->line)
		buf_printf(out, ",\"line\":%u,\"column\":%u", err->line, err->col);
	else
		buf_add_str(out, ",\"line\":null,\"column\":null");
	buf_add_str(out, ",\"severity\":\"error\",\"message\":");
	diagnostic_json_string(out, message, what);
	buf_add_str(out, ",\"fix\":");
	if (fix)
		diagnostic_json_string(out, fix + 2, strlen(fix + 2));
	else
		buf_add_str(out, "null");
	size_t at, len;
	unsigned line, col;
	buf_add_str(out, ",\"related\":");
	if (diagnostic_related(message, &at, &len, &line, &col)) {
		buf_add_str(out, "{\"file\":");
		diagnostic_json_string(out, message + at, len);
		buf_printf(out, ",\"line\":%u,\"column\":%u}", line, col);
	} else {
		buf_add_str(out, "null");
	}
	buf_add_str(out, "}\n");
}

/* A workflow command's data (escape: %, CR, LF) or property (also ':' and ','). */
static void diagnostic_github_escape(struct buf *out, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_add_str(out, "%25");
		else if (*s == '\r')
			buf_add_str(out, "%0D");
		else if (*s == '\n')
			buf_add_str(out, "%0A");
		else if (property && *s == ':')
			buf_add_str(out, "%3A");
		else if (property && *s == ',')
			buf_add_str(out, "%2C");
		else
			buf_add_char(out, *s);
	}
}

static void diagnostic_github(const struct error *err, struct buf *out)
{
	buf_add_str(out, "::error");
	if (err->file) {
		struct buf shown = BUF_INIT;
		error_quote_value(&shown, err->file, strlen(err->file), strlen(err->file) + 1);
		buf_add_str(out, " file=");
		diagnostic_github_escape(out, shown.ptr ? shown.ptr : "", 1);
		buf_release(&shown);
		if (err->line)
			buf_printf(out, ",line=%u", err->line);
		if (err->col)
			buf_printf(out, ",col=%u", err->col);
	}
	buf_add_str(out, "::");
	diagnostic_github_escape(out, err->message ? err->message : "unknown error", 0);
	buf_add_char(out, '\n');
}

void diagnostic_format(const struct error *err, enum diagnostic_style style, int color, struct buf *out)
{
	if (style == DIAGNOSTIC_JSON) {
		diagnostic_json(err, out);
	} else if (style == DIAGNOSTIC_GITHUB) {
		diagnostic_github(err, out);
	} else {
		/* an error of no file is the program's, as a compiler says "cc: error: ..." */
		if (!err->file)
			buf_add_str(out, "stamp: ");
		error_format(err, out, color);
		buf_add_char(out, '\n');
	}
}
