/* The context pass: a small scanner for each output format walks a template's literal
 * text in order, treating sections as transparent, and so knows at every tag whether it
 * stands inside a quoted string, a comment, a block scalar, a plain scalar, or alone as
 * a whole value. The scanner does not validate the format; it only needs to be right
 * about templates that are valid, and every rendered YAML/JSON output is parsed back
 * anyway.
 *
 * A section must leave the scanner in the state it found it (otherwise a repeated or
 * skipped body would change the meaning of what follows), the same rule Go's
 * html/template applies to branches. */
#include "template_ops.h"

#include "arena.h"
#include "buf.h"
#include "error.h"

#include <string.h>

enum {
	SCAN_TEXT = 0,
	Y_LINE = 1, Y_NODE, Y_PLAIN, Y_DQ, Y_SQ, Y_AFTER, Y_COMMENT, Y_PROPERTY,
	Y_BLOCK_HEADER, Y_BLOCK_TEXT,
	J_VALUE = 20, J_KEY, J_STRING, J_KEY_STRING, J_AFTER, J_LITERAL,
	H_CODE = 40, H_STRING, H_INTERP, H_COMMENT, H_BLOCK_COMMENT, H_HEREDOC,
};

void tmpl_scan_init(struct tmpl_scan_state *st, enum tmpl_format format)
{
	memset(st, 0, sizeof *st);
	st->plain_op = -1;
	st->plain_fragment = -1;
	st->line_indent = -1;
	st->block_parent = -1;
	st->block_indent = -1;
	switch (format) {
	case TMPL_FORMAT_YAML: st->mode = Y_LINE; break;
	case TMPL_FORMAT_JSON: st->mode = J_VALUE; break;
	case TMPL_FORMAT_HCL: st->mode = H_CODE; break;
	default: st->mode = SCAN_TEXT; break;
	}
}

void tmpl_scan_enter(struct tmpl_scan_state *entry, const struct tmpl_scan_state *st)
{
	*entry = *st;
	entry->plain_op = -1; /* a scalar begun by the caller is not checked across the include */
	entry->plain_offset = 0;
	entry->plain_fragment = -1;
	entry->col = 0;
	entry->dash_col = 0;
	entry->line_indent = st->mode == Y_LINE ? -1 : 0;
	if (st->in_block) {
		/* every line of a partial included in a block scalar is block content */
		entry->block_parent = -1;
		entry->block_indent = 0;
	} else {
		entry->block_parent = -1;
		entry->block_indent = -1;
	}
}

void tmpl_scan_leave(struct tmpl_scan_state *st, const struct tmpl_scan_state *exit)
{
	struct tmpl_scan_state keep = *st;
	*st = *exit;
	st->plain_op = -1;
	st->plain_fragment = -1;
	if (exit->mode != Y_LINE) {
		st->col = keep.col + 1;
		st->line_indent = keep.line_indent;
		st->dash_col = keep.dash_col;
	}
	if (keep.in_block && exit->in_block) {
		st->block_parent = keep.block_parent;
		st->block_indent = keep.block_indent;
	}
}

int tmpl_scan_same(const struct tmpl_scan_state *a, const struct tmpl_scan_state *b)
{
	int line_a = a->mode == Y_LINE || a->mode == Y_NODE;
	int line_b = b->mode == Y_LINE || b->mode == Y_NODE;
	if (a->mode != b->mode && !(line_a && line_b && a->depth == 0 && a->mode == Y_LINE))
		return 0;
	if (a->depth != b->depth || a->in_block != b->in_block || a->interp != b->interp)
		return 0;
	uint64_t mask = a->depth >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << a->depth) - 1);
	return (a->objects & mask) == (b->objects & mask);
}

const char *tmpl_scan_describe(const struct tmpl_scan_state *st, enum tmpl_format format)
{
	(void)format;
	if (st->in_block && (st->mode == Y_LINE || st->mode == Y_BLOCK_TEXT))
		return "a block scalar";
	switch (st->mode) {
	case SCAN_TEXT: return "text";
	case Y_LINE: return st->depth ? "a flow collection" : "the start of a line";
	case Y_NODE: return st->depth ? "a flow collection, before a value" : "the place of a value";
	case Y_PLAIN: return "a plain scalar";
	case Y_DQ: return "a double-quoted string";
	case Y_SQ: return "a single-quoted string";
	case Y_AFTER: return "the end of a value";
	case Y_COMMENT: return "a comment";
	case Y_PROPERTY: return "an anchor, alias or tag";
	case Y_BLOCK_HEADER: return "a block scalar header";
	case Y_BLOCK_TEXT: return "a block scalar";
	case J_VALUE: return "the place of a JSON value";
	case J_KEY: return "the place of a JSON key";
	case J_STRING: case J_KEY_STRING: return "a JSON string";
	case J_AFTER: return "the end of a JSON value";
	case J_LITERAL: return "a JSON number or literal";
	case H_CODE: return "HCL code";
	case H_STRING: return "an HCL string";
	case H_INTERP: return "an HCL ${...} interpolation";
	case H_COMMENT: case H_BLOCK_COMMENT: return "an HCL comment";
	case H_HEREDOC: return "an HCL heredoc";
	}
	return "?";
}

/* ---- YAML ----------------------------------------------------------------------- */

static int yaml_is_break(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Is the indicator at s[i] followed by a blank, a line end, or (in flow) a flow
 * indicator? The end of the text counts only at the end of the template. */
static int yaml_boundary(const char *s, size_t i, size_t n, int eof, int flow)
{
	if (i + 1 >= n)
		return eof;
	char c = s[i + 1];
	return yaml_is_break(c) || (flow && strchr(",[]{}", c));
}

static void yaml_newline(struct tmpl_scan_state *st)
{
	st->col = 0;
	st->line_indent = -1;
	switch (st->mode) {
	case Y_DQ:
	case Y_SQ:
		return;
	case Y_BLOCK_HEADER:
		st->in_block = 1;
		st->mode = Y_LINE;
		return;
	case Y_COMMENT:
		st->mode = st->depth ? st->resume : Y_LINE;
		return;
	default:
		if (st->depth == 0)
			st->mode = Y_LINE;
		else if (st->mode == Y_PLAIN || st->mode == Y_PROPERTY)
			st->mode = Y_AFTER;
	}
}

/* At the first character of a line inside a block scalar: is it still content? */
static int yaml_block_continues(struct tmpl_scan_state *st, int *first)
{
	*first = 0;
	if (st->block_indent < 0) {
		if (st->col > st->block_parent) {
			st->block_indent = st->col;
			*first = 1;
			return 1;
		}
	} else if (st->col >= st->block_indent) {
		return 1;
	}
	st->in_block = 0;
	return 0;
}

static void yaml_take_indent(struct tmpl_scan_state *st)
{
	if (st->line_indent == -2)
		st->line_indent = st->col;
}

/* Advances the scanner over the character at s[*i] (and any it consumes with it). */
static void yaml_step(struct tmpl_scan_state *st, const char *s, size_t *index, size_t n, int eof)
{
	int flow;
	size_t i = *index;
	{
		char c = s[i];
		flow = st->depth > 0;
		if (c == '\n') {
			yaml_newline(st);
			return;
		}
		if (c == '\r')
			return;
		switch (st->mode) {
		case Y_LINE:
			if (c == ' ') {
				st->col++;
				return;
			}
			if (st->in_block) {
				int first;
				if (yaml_block_continues(st, &first)) {
					st->mode = Y_BLOCK_TEXT;
					break;
				}
			}
			st->line_indent = st->col;
			if (st->col == 0 && n - i >= 3 && (memcmp(s + i, "---", 3) == 0 ||
							   memcmp(s + i, "...", 3) == 0) &&
			    yaml_boundary(s, i + 2, n, 1, 0)) {
				st->mode = s[i] == '-' ? Y_NODE : Y_AFTER;
				*index = i + 2;
				st->col += 3;
				return;
			}
			st->mode = Y_NODE;
			/* fall through */
		case Y_NODE:
			if (c == ' ' || c == '\t')
				break;
			if (c == '#') {
				st->resume = Y_NODE;
				st->mode = Y_COMMENT;
			} else if (c == '"') {
				yaml_take_indent(st);
				st->mode = Y_DQ;
			} else if (c == '\'') {
				yaml_take_indent(st);
				st->mode = Y_SQ;
			} else if ((c == '-' || c == '?' || c == ':') && yaml_boundary(s, i, n, eof, flow)) {
				if (c == '-') {
					st->dash_col = st->col;
					st->line_indent = -2;
				}
			} else if (c == '[' || c == '{') {
				yaml_take_indent(st);
				if (st->depth < 250)
					st->depth++;
			} else if ((c == ']' || c == '}') && flow) {
				st->depth--;
				st->mode = Y_AFTER;
			} else if (c == ',' && flow) {
				/* next entry */
			} else if ((c == '|' || c == '>') && !flow) {
				st->block_parent = st->line_indent == -2 ? st->dash_col : st->line_indent;
				st->block_indent = -1;
				st->folded = c == '>';
				st->mode = Y_BLOCK_HEADER;
			} else if (c == '&' || c == '!' || c == '*') {
				yaml_take_indent(st);
				st->mode = Y_PROPERTY;
			} else {
				yaml_take_indent(st);
				st->mode = Y_PLAIN;
			}
			break;
		case Y_PLAIN:
			if (c == ':' && yaml_boundary(s, i, n, eof, flow)) {
				st->mode = Y_NODE;
			} else if ((c == ' ' || c == '\t') && i + 1 < n && s[i + 1] == '#') {
				st->resume = Y_AFTER;
				st->mode = Y_COMMENT;
				i++;
			} else if (flow && c == ',') {
				st->mode = Y_NODE;
			} else if (flow && (c == ']' || c == '}')) {
				st->depth--;
				st->mode = Y_AFTER;
			}
			break;
		case Y_PROPERTY:
			if (c == ' ' || c == '\t') {
				st->mode = Y_NODE;
			} else if (flow && c == ',') {
				st->mode = Y_NODE;
			} else if (flow && (c == ']' || c == '}')) {
				st->depth--;
				st->mode = Y_AFTER;
			}
			break;
		case Y_DQ:
			if (c == '\\')
				i++;
			else if (c == '"')
				st->mode = Y_AFTER;
			break;
		case Y_SQ:
			if (c == '\'') {
				if (i + 1 < n && s[i + 1] == '\'')
					i++;
				else
					st->mode = Y_AFTER;
			}
			break;
		case Y_AFTER:
			if (c == ':') {
				st->mode = Y_NODE;
			} else if (c == '#') {
				st->resume = Y_AFTER;
				st->mode = Y_COMMENT;
			} else if (flow && c == ',') {
				st->mode = Y_NODE;
			} else if (flow && (c == ']' || c == '}')) {
				st->depth--;
			}
			break;
		case Y_BLOCK_HEADER:
			if (c >= '1' && c <= '9')
				st->block_indent = (st->block_parent < 0 ? 0 : st->block_parent) + (c - '0');
			break;
		default:
			break;
		}
		st->col++;
	}
	*index = i;
}

/* A plain scalar that holds a value tag is checked when rendered: the whole scalar must
 * still read as a string ("{{major}}.{{minor}}" with 1 and 2 would read as a float).
 * The scanner marks where such a scalar begins and ends; see render.c. */
static void yaml_plain_begin(struct tmpl_scan_state *st, size_t op, size_t offset)
{
	st->plain_op = (int32_t)op;
	st->plain_offset = (int32_t)offset;
	st->plain_fragment = -1;
}

static void yaml_plain_mark_begin(struct tmpl *t, const struct tmpl_scan_state *st)
{
	struct tmpl_op *first = &t->ops[st->plain_op];
	first->plain_begin = first->kind == TMPL_OP_TEXT ? (uint32_t)st->plain_offset + 1 : 1;
}

static void yaml_plain_end(struct tmpl *t, struct tmpl_scan_state *st, size_t op, size_t offset)
{
	if (st->plain_fragment >= 0 && st->plain_op >= 0) {
		yaml_plain_mark_begin(t, st);
		t->ops[op].plain_end = (uint32_t)offset + 1;
		t->ops[op].plain_blame = (uint32_t)st->plain_fragment;
	}
	st->plain_op = -1;
	st->plain_fragment = -1;
}

static void yaml_scan(struct tmpl *t, size_t op, struct tmpl_scan_state *st, const char *s,
		      size_t n, int eof)
{
	for (size_t i = 0; i < n; i++) {
		int was_plain = st->mode == Y_PLAIN;
		size_t at = i;
		yaml_step(st, s, &i, n, eof);
		int is_plain = st->mode == Y_PLAIN;
		if (!was_plain && is_plain)
			yaml_plain_begin(st, op, at);
		else if (was_plain && !is_plain)
			yaml_plain_end(t, st, op, at);
	}
}

/* ---- JSON ----------------------------------------------------------------------- */

static void json_push(struct tmpl_scan_state *st, int object)
{
	if (st->depth < 64) {
		if (object)
			st->objects |= (uint64_t)1 << st->depth;
		else
			st->objects &= ~((uint64_t)1 << st->depth);
	}
	if (st->depth < 250)
		st->depth++;
	st->mode = object ? J_KEY : J_VALUE;
}

static void json_pop(struct tmpl_scan_state *st)
{
	if (st->depth)
		st->depth--;
	st->mode = J_AFTER;
}

static int json_in_object(const struct tmpl_scan_state *st)
{
	return st->depth && st->depth <= 64 && (st->objects >> (st->depth - 1)) & 1;
}

static void json_scan(struct tmpl_scan_state *st, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
		switch (st->mode) {
		case J_VALUE:
		case J_KEY:
			if (ws)
				break;
			if (c == '"')
				st->mode = st->mode == J_KEY ? J_KEY_STRING : J_STRING;
			else if (c == '{')
				json_push(st, 1);
			else if (c == '[')
				json_push(st, 0);
			else if (c == ']' || c == '}')
				json_pop(st);
			else
				st->mode = J_LITERAL;
			break;
		case J_STRING:
		case J_KEY_STRING:
			if (c == '\\')
				i++;
			else if (c == '"')
				st->mode = J_AFTER;
			break;
		case J_LITERAL:
			if (!ws && c != ',' && c != ']' && c != '}' && c != ':')
				break;
			st->mode = J_AFTER;
			/* fall through */
		case J_AFTER:
			if (c == ',')
				st->mode = json_in_object(st) ? J_KEY : J_VALUE;
			else if (c == ':')
				st->mode = J_VALUE;
			else if (c == ']' || c == '}')
				json_pop(st);
			break;
		}
	}
}

/* ---- HCL ------------------------------------------------------------------------ */

static void hcl_scan(struct tmpl_scan_state *st, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (st->mode == H_HEREDOC) {
			if (st->col == 0) {
				size_t j = i;
				while (j < n && (s[j] == ' ' || s[j] == '\t'))
					j++;
				size_t m = strlen(st->heredoc);
				if (n - j >= m && memcmp(s + j, st->heredoc, m) == 0 &&
				    (j + m == n || s[j + m] == '\n' || s[j + m] == '\r')) {
					st->mode = H_CODE;
					st->last_code = 'v';
					i = j + m - 1;
					st->col = 1;
					continue;
				}
			}
			st->col = c == '\n' ? 0 : st->col + 1;
			continue;
		}
		st->col = c == '\n' ? 0 : st->col + 1;
		switch (st->mode) {
		case H_CODE:
			if (c == '"') {
				st->mode = H_STRING;
			} else if (c == '#' || (c == '/' && i + 1 < n && s[i + 1] == '/')) {
				st->mode = H_COMMENT;
			} else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
				st->mode = H_BLOCK_COMMENT;
				i++;
			} else if (c == '<' && i + 1 < n && s[i + 1] == '<') {
				size_t j = i + 2;
				if (j < n && s[j] == '-')
					j++;
				size_t k = 0;
				while (j < n && k + 1 < sizeof st->heredoc &&
				       (s[j] == '_' || s[j] == '-' || (s[j] >= 'A' && s[j] <= 'Z') ||
					(s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9')))
					st->heredoc[k++] = s[j++];
				st->heredoc[k] = 0;
				if (k) {
					st->mode = H_HEREDOC;
					while (j < n && s[j] != '\n')
						j++;
					i = j;
					st->col = 0;
				}
			} else if (c != ' ' && c != '\t' && c != '\r') {
				st->last_code = (uint8_t)c;
			}
			break;
		case H_STRING:
			if (c == '\\') {
				i++;
			} else if (c == '"') {
				st->mode = H_CODE;
				st->last_code = '"';
			} else if ((c == '$' || c == '%') && i + 2 < n && s[i + 1] == c && s[i + 2] == '{') {
				i += 2;
			} else if ((c == '$' || c == '%') && i + 1 < n && s[i + 1] == '{') {
				st->mode = H_INTERP;
				st->interp = 1;
				i++;
			}
			break;
		case H_INTERP:
			if (c == '{') {
				st->interp++;
			} else if (c == '}' && --st->interp == 0) {
				st->mode = H_STRING;
			}
			break;
		case H_COMMENT:
			if (c == '\n') {
				st->mode = H_CODE;
				st->last_code = '\n';
			}
			break;
		case H_BLOCK_COMMENT:
			if (c == '*' && i + 1 < n && s[i + 1] == '/') {
				st->mode = H_CODE;
				i++;
			}
			break;
		}
	}
}

/* ---- classification --------------------------------------------------------------- */

/* Up to 64 bytes of the literal text that follows op i in the output, across sections;
 * *eof says the template ends there, *blocked that another tag follows first. */
static size_t tmpl_lookahead(const struct tmpl *t, size_t i, char *out, size_t cap, int *eof,
			     int *blocked)
{
	size_t n = 0;
	*eof = 0;
	*blocked = 0;
	for (size_t k = i + 1; n < cap; k++) {
		if (k >= t->count) {
			*eof = 1;
			break;
		}
		const struct tmpl_op *op = &t->ops[k];
		if (op->kind == TMPL_OP_SECTION || op->kind == TMPL_OP_INVERTED || op->kind == TMPL_OP_BLOCK)
			continue;
		if (op->kind != TMPL_OP_TEXT) {
			*blocked = 1;
			break;
		}
		size_t take = op->len < cap - n ? op->len : cap - n;
		memcpy(out + n, op->text, take);
		n += take;
		/* a line end settles every question the classifier asks */
		if (memchr(op->text, '\n', take))
			break;
	}
	return n;
}

static int tmpl_forbid(const struct tmpl *t, const struct tmpl_op *op, struct error *err,
		       const char *where, const char *fix)
{
	return error_set(err, t->path, op->line, op->col, "tag '%.*s' stands %s%s; %s",
			 (int)op->len, op->text, strncmp(where, "right ", 6) == 0 ? "" : "in ", where, fix);
}

static void yaml_classify_node(struct tmpl_op *op, struct tmpl_scan_state *st, const char *next,
			       size_t n, int eof, int blocked)
{
	int flow = st->depth > 0;
	size_t i = 0;
	op->flow = (unsigned)flow;
	if (n >= 1 && next[0] == ':' && (n == 1 ? eof && !blocked : yaml_is_break(next[1]) ||
						       (flow && strchr(",[]{}", next[1])))) {
		op->context = TMPL_CONTEXT_YAML_KEY;
		st->mode = Y_AFTER;
		return;
	}
	while (i < n && (next[i] == ' ' || next[i] == '\t'))
		i++;
	int whole;
	if (i == n)
		whole = eof && !blocked;
	else
		whole = next[i] == '\n' || (next[i] == '\r' && i + 1 < n && next[i + 1] == '\n') ||
			(i > 0 && next[i] == '#') || (flow && strchr(",]}", next[i]));
	if (whole) {
		op->context = TMPL_CONTEXT_YAML_VALUE;
		st->mode = Y_AFTER;
	} else {
		op->context = TMPL_CONTEXT_YAML_FRAGMENT;
		op->at_start = 1;
		st->mode = Y_PLAIN;
		st->plain_op = -1;
	}
}

static int yaml_classify(const struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
			 size_t index, struct error *err)
{
	char next[64];
	int eof, blocked;
	size_t n = tmpl_lookahead(t, index, next, sizeof next, &eof, &blocked);
	if (st->mode == Y_LINE) {
		int first = 0;
		if (st->in_block && yaml_block_continues(st, &first)) {
			st->mode = Y_BLOCK_TEXT;
			op->block_first = (unsigned)first;
		} else {
			st->line_indent = st->col;
			st->mode = Y_NODE;
		}
	}
	switch (st->mode) {
	case Y_BLOCK_TEXT:
		op->context = st->folded ? TMPL_CONTEXT_YAML_FOLDED : TMPL_CONTEXT_YAML_LITERAL;
		op->block_indent = st->block_indent;
		break;
	case Y_NODE:
		yaml_take_indent(st);
		yaml_classify_node(op, st, next, n, eof, blocked);
		break;
	case Y_PLAIN:
		op->context = TMPL_CONTEXT_YAML_FRAGMENT;
		op->flow = st->depth > 0;
		break;
	case Y_DQ:
		op->context = TMPL_CONTEXT_YAML_DOUBLE;
		break;
	case Y_SQ:
		op->context = TMPL_CONTEXT_YAML_SINGLE;
		break;
	case Y_COMMENT:
		op->context = TMPL_CONTEXT_YAML_COMMENT;
		break;
	case Y_BLOCK_HEADER:
		if (op->raw)
			break;
		return tmpl_forbid(t, op, err, "a block scalar header",
				   "move it to the lines of the block, or write the value after ': '");
	case Y_AFTER:
		if (op->raw)
			break;
		return tmpl_forbid(t, op, err, "right after a complete value",
				   "put it inside the quotes, or separate it with ': ' or a new line");
	case Y_PROPERTY:
		if (op->raw)
			break;
		return tmpl_forbid(t, op, err, "an anchor, alias or tag",
				   "values cannot name anchors or tags; write them in the template");
	}
	if (op->context == TMPL_CONTEXT_YAML_FRAGMENT && !op->raw) {
		if (op->at_start)
			st->plain_op = (int32_t)index;
		st->plain_fragment = (int32_t)index;
	}
	st->col++;
	return 0;
}

static int json_classify(const struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
			 size_t index, struct error *err)
{
	char next[64];
	int eof, blocked;
	size_t n = tmpl_lookahead(t, index, next, sizeof next, &eof, &blocked);
	size_t i = 0;
	while (i < n && (next[i] == ' ' || next[i] == '\t' || next[i] == '\n' || next[i] == '\r'))
		i++;
	char follow = i < n ? next[i] : eof && !blocked ? 0 : 'x';
	switch (st->mode) {
	case J_STRING:
	case J_KEY_STRING:
		op->context = TMPL_CONTEXT_JSON_STRING;
		return 0;
	case J_VALUE:
		if (follow == 0 || follow == ',' || follow == ']' || follow == '}') {
			op->context = TMPL_CONTEXT_JSON_VALUE;
			st->mode = J_AFTER;
			return 0;
		}
		break;
	case J_KEY:
		if (follow == ':') {
			op->context = TMPL_CONTEXT_JSON_KEY;
			st->mode = J_AFTER;
			return 0;
		}
		break;
	}
	if (op->raw)
		return 0;
	return tmpl_forbid(t, op, err, tmpl_scan_describe(st, TMPL_FORMAT_JSON),
			   "outside a string a tag must be a whole JSON value (followed by ',', ']' "
			   "or '}'); otherwise put it inside the quotes");
}

static int hcl_classify(const struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
			size_t index, struct error *err)
{
	char next[64];
	int eof, blocked;
	size_t n = tmpl_lookahead(t, index, next, sizeof next, &eof, &blocked);
	size_t i = 0;
	while (i < n && (next[i] == ' ' || next[i] == '\t'))
		i++;
	switch (st->mode) {
	case H_STRING:
		op->context = TMPL_CONTEXT_HCL_STRING;
		return 0;
	case H_COMMENT:
		op->context = TMPL_CONTEXT_HCL_COMMENT;
		return 0;
	case H_BLOCK_COMMENT:
		op->context = TMPL_CONTEXT_HCL_BLOCK_COMMENT;
		return 0;
	case H_CODE: {
		int after = st->last_code == 0 || strchr("=[,(:?\n", st->last_code);
		int before = i == n ? eof && !blocked
				    : strchr("\r\n,])}#", next[i]) || (next[i] == '/' && i + 1 < n && next[i + 1] == '/');
		if (after && before) {
			op->context = TMPL_CONTEXT_HCL_VALUE;
			st->last_code = 'v';
			return 0;
		}
		if (op->raw)
			return 0;
		return tmpl_forbid(t, op, err, "HCL code",
				   "outside a string a tag must be a whole value (after '=', '[', ',' "
				   "or '(' and before a line end, ',' or a closing bracket); otherwise put "
				   "it inside the quotes");
	}
	case H_INTERP:
		if (op->raw)
			return 0;
		return tmpl_forbid(t, op, err, "an HCL ${...} interpolation",
				   "values cannot write HCL expressions; move the tag outside the ${...}");
	default:
		if (op->raw)
			return 0;
		return tmpl_forbid(t, op, err, "an HCL heredoc",
				   "write the value as a quoted string (\"{{x}}\") instead of a heredoc");
	}
}

static void tmpl_scan_text(struct tmpl *t, size_t op, struct tmpl_scan_state *st,
			   enum tmpl_format format, const char *s, size_t n, int eof)
{
	switch (format) {
	case TMPL_FORMAT_YAML: yaml_scan(t, op, st, s, n, eof); break;
	case TMPL_FORMAT_JSON: json_scan(st, s, n); break;
	case TMPL_FORMAT_HCL: hcl_scan(st, s, n); break;
	default: break;
	}
}

static int tmpl_resolve_range(struct tmpl *t, size_t begin, size_t end,
			      struct tmpl_scan_state *st, struct error *err);

/* At the start of a line inside a YAML block scalar, a section or partial tag cannot
 * tell by itself whether the block goes on: the first character of the text that
 * follows does. Settling it here keeps a section after a block scalar neutral. */
static void yaml_settle_block(const struct tmpl *t, size_t index, struct tmpl_scan_state *st)
{
	if (st->mode != Y_LINE || !st->in_block)
		return;
	char next[64];
	int eof, blocked;
	size_t n = tmpl_lookahead(t, index, next, sizeof next, &eof, &blocked);
	size_t i = 0;
	while (i < n && next[i] == ' ')
		i++;
	if (i == n ? !blocked : next[i] == '\n' || next[i] == '\r')
		return;
	int32_t col = st->col + (int32_t)i;
	if (st->block_indent < 0 ? col <= st->block_parent : col < st->block_indent)
		st->in_block = 0;
}

static const char *tmpl_format_title(enum tmpl_format format)
{
	switch (format) {
	case TMPL_FORMAT_YAML: return "YAML";
	case TMPL_FORMAT_JSON: return "JSON";
	case TMPL_FORMAT_HCL: return "HCL";
	default: return "text";
	}
}

static int tmpl_classify(const struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
			 size_t index, struct error *err);

static int tmpl_resolve_partial(struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
				struct error *err)
{
	op->scan = *st;
	if (op->dynamic) {
		/* Compiled when rendered, for this same state. The caller goes on as if the
		 * partial were a value tag here; the renderer checks that it ends that way,
		 * or where it began. */
		size_t index = (size_t)(op - t->ops);
		struct tmpl_op probe = *op;
		struct error ignored = ERROR_INIT;
		if (tmpl_classify(t, &probe, st, index, &ignored) < 0)
			*st = op->scan;
		error_clear(&ignored);
		op->after = *st;
		return 0;
	}
	struct tmpl_scan_state entry;
	tmpl_scan_enter(&entry, st);
	const struct tmpl *target = NULL;
	int rc = tmpl_partial_get(t->set, op->text, op->len, &entry, &target, err);
	if (rc < 0) {
		if (!err->file)
			error_set(err, t->path, op->line, op->col, "%s", err->message);
		return -1;
	}
	if (rc == 1) {
		if (tmpl_set_strict(t->set))
			return error_set(err, t->path, op->line, op->col,
					 "partial '%.*s' not found; create it in the partials directory or "
					 "fix the name", (int)op->len, op->text);
		op->missing = 1;
		return 0;
	}
	op->target = target;
	if (target->compiling) {
		((struct tmpl *)target)->assumed_neutral = 1;
		return 0;
	}
	tmpl_scan_leave(st, &target->exit);
	return 0;
}

static int tmpl_resolve_range(struct tmpl *t, size_t begin, size_t end,
			      struct tmpl_scan_state *st, struct error *err)
{
	enum tmpl_format format = tmpl_set_format(t->set);
	for (size_t i = begin; i < end; i++) {
		struct tmpl_op *op = &t->ops[i];
		switch (op->kind) {
		case TMPL_OP_TEXT:
			tmpl_scan_text(t, i, st, format, op->text, op->len, i + 1 == t->count);
			break;
		case TMPL_OP_VALUE:
			op->scan = *st;
			if (tmpl_classify(t, op, st, i, err) < 0)
				return -1;
			break;
		case TMPL_OP_SECTION:
		case TMPL_OP_INVERTED:
		case TMPL_OP_BLOCK: {
			if (format == TMPL_FORMAT_YAML)
				yaml_settle_block(t, i, st);
			op->scan = *st;
			if (tmpl_resolve_range(t, i + 1, op->end, st, err) < 0)
				return -1;
			if (!tmpl_scan_same(&op->scan, st))
				return error_set(err, t->path, op->line, op->col,
						 "'%.*s' starts in %s but ends in %s, so repeating or "
						 "skipping it would change the %s around it; open and close it "
						 "at the same place in the structure (for example each on a line "
						 "of its own)", (int)op->len, op->text,
						 tmpl_scan_describe(&op->scan, format),
						 tmpl_scan_describe(st, format), tmpl_format_title(format));
			i = op->end - 1;
			break;
		}
		case TMPL_OP_PARTIAL:
			if (format == TMPL_FORMAT_YAML)
				yaml_settle_block(t, i, st);
			if (tmpl_resolve_partial(t, op, st, err) < 0)
				return -1;
			break;
		case TMPL_OP_PARENT: {
			struct tmpl_scan_state at = *st;
			if (tmpl_resolve_partial(t, op, st, err) < 0)
				return -1;
			/* the body prints nothing but its blocks, which fill the parent's slots */
			for (size_t k = i + 1; k < op->end; k++) {
				struct tmpl_op *block = &t->ops[k];
				if (block->kind == TMPL_OP_VALUE || block->kind == TMPL_OP_TEXT)
					continue;
				if (block->kind == TMPL_OP_BLOCK) {
					struct tmpl_scan_state inner = at;
					block->scan = at;
					if (tmpl_resolve_range(t, k + 1, block->end, &inner, err) < 0)
						return -1;
				} else if (block->kind == TMPL_OP_PARTIAL || block->kind == TMPL_OP_PARENT) {
					struct tmpl_scan_state inner = at;
					if (tmpl_resolve_partial(t, block, &inner, err) < 0)
						return -1;
				}
				if (block->end > k)
					k = block->end - 1;
			}
			i = op->end - 1;
			break;
		}
		}
	}
	return 0;
}

static int tmpl_classify(const struct tmpl *t, struct tmpl_op *op, struct tmpl_scan_state *st,
			 size_t index, struct error *err)
{
	switch (tmpl_set_format(t->set)) {
	case TMPL_FORMAT_YAML: return yaml_classify(t, op, st, index, err);
	case TMPL_FORMAT_JSON: return json_classify(t, op, st, index, err);
	case TMPL_FORMAT_HCL: return hcl_classify(t, op, st, index, err);
	default: return 0;
	}
}

int tmpl_context_resolve(struct tmpl *t, struct error *err)
{
	struct tmpl_scan_state st = t->entry;
	if (tmpl_resolve_range(t, 0, t->count, &st, err) < 0)
		return -1;
	t->exit = st;
	if (tmpl_set_format(t->set) == TMPL_FORMAT_YAML && st.mode == Y_PLAIN &&
	    st.plain_fragment >= 0 && st.plain_op >= 0) {
		yaml_plain_mark_begin(t, &st);
		t->plain_at_end = 1;
		t->plain_blame = (uint32_t)st.plain_fragment;
	}
	if (t->assumed_neutral && !tmpl_scan_same(&t->entry, &st))
		return error_set(err, t->path, 1, 1,
				 "this partial includes itself but does not end in the %s context it "
				 "starts in (%s, ends in %s); make it self-contained",
				 tmpl_format_title(tmpl_set_format(t->set)),
				 tmpl_scan_describe(&t->entry, tmpl_set_format(t->set)),
				 tmpl_scan_describe(&st, tmpl_set_format(t->set)));
	return 0;
}
