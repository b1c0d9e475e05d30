/* The escapers walk the string one UTF-8 character at a time; a character that is not
 * printable (see utf8_is_printable) is always written as an escape, so output never
 * carries a byte a reader might normalise, fold or reject. */
#include "escape.h"

#include "buf.h"
#include "utf8.h"

#include <stdint.h>

static const char escape_invalid_utf8[] =
	"it is not valid UTF-8, which YAML, JSON and HCL cannot carry";

void escape_html(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(out, s + run, i - run);
		buf_add_str(out, rep);
		run = i + 1;
	}
	buf_add(out, s + run, len - run);
}

/* \uNNNN, or a surrogate pair when the code point is past the BMP (JSON, HCL). */
static void escape_utf16(struct buf *out, uint32_t cp)
{
	if (cp < 0x10000) {
		buf_printf(out, "\\u%04X", (unsigned)cp);
		return;
	}
	cp -= 0x10000;
	buf_printf(out, "\\u%04X\\u%04X", (unsigned)(0xd800 + (cp >> 10)),
		   (unsigned)(0xdc00 + (cp & 0x3ff)));
}

int escape_yaml_double_quoted(struct buf *out, const char *s, size_t len, const char **why)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n) {
			*why = escape_invalid_utf8;
			return -1;
		}
		if (n > 1) {
			uint32_t cp = utf8_decode(s + i, n);
			if (utf8_is_printable(cp))
				buf_add(out, s + i, n);
			else if (cp < 0x100)
				buf_printf(out, "\\x%02X", (unsigned)cp);
			else if (cp < 0x10000)
				buf_printf(out, "\\u%04X", (unsigned)cp);
			else
				buf_printf(out, "\\U%08X", (unsigned)cp);
			i += n;
			continue;
		}
		switch (c) {
		case '"': buf_add_str(out, "\\\""); break;
		case '\\': buf_add_str(out, "\\\\"); break;
		case '\n': buf_add_str(out, "\\n"); break;
		case '\r': buf_add_str(out, "\\r"); break;
		case '\t': buf_add_str(out, "\\t"); break;
		case 0: buf_add_str(out, "\\0"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(out, "\\x%02X", c);
			else
				buf_add_char(out, (char)c);
		}
		i++;
	}
	return 0;
}

int escape_yaml_single_quoted(struct buf *out, const char *s, size_t len, const char **why)
{
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n) {
			*why = escape_invalid_utf8;
			return -1;
		}
		uint32_t cp = utf8_decode(s + i, n);
		if (cp == '\n' || cp == '\r') {
			*why = "it holds a line break, which a single-quoted YAML string folds; "
			       "use a double-quoted string in the template";
			return -1;
		}
		if (cp != '\t' && !utf8_is_printable(cp)) {
			*why = "it holds a control or non-printable character, which a single-quoted "
			       "YAML string cannot carry; use a double-quoted string in the template";
			return -1;
		}
		if (cp == '\'')
			buf_add_str(out, "''");
		else
			buf_add(out, s + i, n);
		i += n;
	}
	return 0;
}

void escape_comment(struct buf *out, const char *s, size_t len, int block_comment)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n) {
			buf_printf(out, "\\x%02X", c);
			i++;
			continue;
		}
		uint32_t cp = utf8_decode(s + i, n);
		if (cp == '\n')
			buf_add_str(out, "\\n");
		else if (cp == '\r')
			buf_add_str(out, "\\r");
		else if (cp == '\t')
			buf_add_str(out, "\\t");
		else if (!utf8_is_printable(cp))
			buf_printf(out, cp < 0x100 ? "\\x%02X" : "\\u%04X", (unsigned)cp);
		else if (block_comment && c == '*' && i + 1 < len && s[i + 1] == '/')
			buf_add_str(out, "* ");
		else
			buf_add(out, s + i, n);
		i += n;
	}
}

/* The escapes JSON and HCL share; `hcl` adds the template-sequence guards. */
static int escape_quoted_string(struct buf *out, const char *s, size_t len, const char **why,
				int hcl)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n) {
			*why = escape_invalid_utf8;
			return -1;
		}
		if (n > 1) {
			uint32_t cp = utf8_decode(s + i, n);
			if (utf8_is_printable(cp))
				buf_add(out, s + i, n);
			else
				escape_utf16(out, cp);
			i += n;
			continue;
		}
		switch (c) {
		case '"': buf_add_str(out, "\\\""); break;
		case '\\': buf_add_str(out, "\\\\"); break;
		case '\n': buf_add_str(out, "\\n"); break;
		case '\r': buf_add_str(out, "\\r"); break;
		case '\t': buf_add_str(out, "\\t"); break;
		case '$':
		case '%':
			buf_add_char(out, (char)c);
			if (hcl && i + 1 < len && s[i + 1] == '{')
				buf_add_char(out, (char)c);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				escape_utf16(out, c);
			else
				buf_add_char(out, (char)c);
		}
		i++;
	}
	return 0;
}

int escape_json_string(struct buf *out, const char *s, size_t len, const char **why)
{
	return escape_quoted_string(out, s, len, why, 0);
}

int escape_hcl_string(struct buf *out, const char *s, size_t len, const char **why)
{
	return escape_quoted_string(out, s, len, why, 1);
}
