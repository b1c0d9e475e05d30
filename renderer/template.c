/* The template compiler: source text -> tokens -> standalone lines removed -> a flat
 * op list, then the context pass (template_context.c) classifies every tag. Also the
 * template set: its arena, its lock and its cache of partials compiled per context.
 *
 * Standalone lines follow the mustache spec: a line holding only whitespace and tags
 * that print nothing (sections, comments, delimiters, partials, parents, blocks) is
 * removed, and a partial on it is indented by the line's leading whitespace. Blocks are
 * re-indented as the inheritance spec asks: the indentation of their definition is
 * removed here and the indentation of the place they expand at is added when rendering. */
#include "template_ops.h"

#include "alloc.h"

#include "arena.h"
#include "array.h"
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TMPL_MAX_NESTING 100

struct tmpl_cache_entry {
	const char *name;
	size_t name_len;
	struct tmpl_scan_state entry;
	const struct tmpl *t; /* NULL: no such partial */
	struct tmpl_cache_entry *next;
};

struct tmpl_set {
	struct tmpl_options options;
	pthread_mutex_t lock;
	struct arena arena;
	struct tmpl_cache_entry *cache;
	unsigned compile_depth;
};

static const char *tmpl_find(const char *hay, size_t hay_len, const char *needle, size_t n);

/* ---- formats ---------------------------------------------------------------- */

static const char *const tmpl_format_names[] = {
	[TMPL_FORMAT_NONE] = "none", [TMPL_FORMAT_HTML] = "html", [TMPL_FORMAT_YAML] = "yaml",
	[TMPL_FORMAT_JSON] = "json", [TMPL_FORMAT_HCL] = "hcl",
};

int tmpl_format_parse(const char *name, enum tmpl_format *out)
{
	for (size_t i = 0; i < sizeof tmpl_format_names / sizeof *tmpl_format_names; i++) {
		if (strcmp(name, tmpl_format_names[i]) == 0) {
			*out = (enum tmpl_format)i;
			return 0;
		}
	}
	return -1;
}

const char *tmpl_format_name(enum tmpl_format format)
{
	return tmpl_format_names[format];
}

/* The one table of file extensions and their formats: a template's escaping follows its
 * extension, and so does the lookup of the partials it includes. */
static const struct { const char *ext; enum tmpl_format format; } tmpl_extensions[] = {
	{ ".yaml", TMPL_FORMAT_YAML }, { ".yml", TMPL_FORMAT_YAML },
	{ ".json", TMPL_FORMAT_JSON }, { ".tf", TMPL_FORMAT_HCL },
	{ ".tfvars", TMPL_FORMAT_HCL }, { ".hcl", TMPL_FORMAT_HCL },
	{ ".html", TMPL_FORMAT_HTML }, { ".htm", TMPL_FORMAT_HTML },
	{ ".mustache", TMPL_FORMAT_HTML }, { ".txt", TMPL_FORMAT_NONE },
};
#define TMPL_EXTENSION_COUNT (sizeof tmpl_extensions / sizeof *tmpl_extensions)

const char *tmpl_format_extension(enum tmpl_format format, size_t n)
{
	for (size_t i = 0; i < TMPL_EXTENSION_COUNT; i++)
		if (tmpl_extensions[i].format == format && n-- == 0)
			return tmpl_extensions[i].ext;
	return NULL;
}

enum tmpl_format tmpl_format_for_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (!dot)
		return TMPL_FORMAT_NONE;
	for (size_t i = 0; i < TMPL_EXTENSION_COUNT; i++)
		if (strcmp(dot, tmpl_extensions[i].ext) == 0)
			return tmpl_extensions[i].format;
	return TMPL_FORMAT_NONE;
}

/* ---- partials from a directory ------------------------------------------------------ */

int tmpl_load_from_directory(void *data, const char *name, size_t len, struct buf *source,
			     struct buf *path, struct error *err)
{
	const struct tmpl_directory *d = data;
	if (!d->dir)
		return 1;
	if (len == 0 || memchr(name, 0, len) || name[0] == '/' || name[0] == '.' ||
	    tmpl_find(name, len, "/.", 2) || memchr(name, '\\', len))
		return error_set(err, NULL, 0, 0, "partial name \"%.*s\" is not a plain relative name "
				 "inside %s", (int)len, name, d->dir);
	for (size_t i = 0; i < d->suffix_count; i++) {
		buf_clear(path);
		if (strcmp(d->dir, ".") != 0)
			buf_printf(path, "%s/", d->dir);
		buf_printf(path, "%.*s%s", (int)len, name, d->suffixes[i]);
		struct stat st;
		if (stat(path->ptr, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (buf_read_file(source, path->ptr, TMPL_MAX_SOURCE) < 0)
			return error_set(err, path->ptr, 0, 0, "cannot read partial: %s", strerror(errno));
		return 0;
	}
	return 1;
}

/* ---- the set ------------------------------------------------------------------ */

struct tmpl_set *tmpl_set_new(const struct tmpl_options *options)
{
	struct tmpl_set *set = calloc(1, sizeof *set);
	if (!set)
		alloc_failed();
	set->options = *options;
	pthread_mutex_init(&set->lock, NULL);
	return set;
}

void tmpl_set_free(struct tmpl_set *set)
{
	if (!set)
		return;
	pthread_mutex_destroy(&set->lock);
	arena_release(&set->arena);
	free(set);
}

enum tmpl_format tmpl_set_format(const struct tmpl_set *set)
{
	return set->options.format;
}

int tmpl_set_strict(const struct tmpl_set *set)
{
	return set->options.strict;
}

/* ---- tokens ------------------------------------------------------------------- */

enum tmpl_token_kind {
	TOKEN_TEXT,
	TOKEN_VALUE,
	TOKEN_SECTION,
	TOKEN_INVERTED,
	TOKEN_CLOSE,
	TOKEN_COMMENT,
	TOKEN_DELIMITER,
	TOKEN_PARTIAL,
	TOKEN_PARENT,
	TOKEN_BLOCK,
};

struct tmpl_token {
	enum tmpl_token_kind kind;
	const char *text; /* TEXT: the bytes; tags: the trimmed name */
	size_t len;
	unsigned line;
	unsigned col;
	unsigned raw : 1;
	unsigned dynamic : 1;
	unsigned standalone : 1;
	unsigned line_start : 1;
	const char *indent;
	size_t indent_len;
};

struct tmpl_compiler {
	struct tmpl_set *set;
	const char *path;
	const char *src;
	size_t len;
	struct error *err;
	struct tmpl_token *tokens;
	size_t count;
	size_t cap;
};

static struct tmpl_token *tmpl_token_add(struct tmpl_compiler *c, enum tmpl_token_kind kind)
{
	c->tokens = array_grow(c->tokens, &c->cap, c->count, sizeof *c->tokens, 64);
	struct tmpl_token *t = &c->tokens[c->count++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	return t;
}

static int tmpl_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int tmpl_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static const char *tmpl_find(const char *hay, size_t hay_len, const char *needle, size_t n)
{
	if (n == 0 || hay_len < n)
		return NULL;
	const char *end = hay + hay_len - n;
	for (const char *p = hay; p <= end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/* Line and column (1-based, in bytes) of offset. Tokens are made in order, so the
 * position is carried forward instead of recounted. */
struct tmpl_cursor {
	size_t offset;
	unsigned line;
	unsigned col;
};

static void tmpl_cursor_advance(struct tmpl_cursor *cur, const char *src, size_t to)
{
	for (size_t i = cur->offset; i < to; i++) {
		if (src[i] == '\n') {
			cur->line++;
			cur->col = 1;
		} else {
			cur->col++;
		}
	}
	cur->offset = to;
}

static int tmpl_fail(struct tmpl_compiler *c, unsigned line, unsigned col, const char *fmt,
		     const char *a, const char *b)
{
	return error_set(c->err, c->path, line, col, fmt, a, b);
}

/* Trims blanks and newlines from both ends of [*s, *s + *n). */
static void tmpl_trim(const char **s, size_t *n)
{
	while (*n && tmpl_is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && tmpl_is_space((*s)[*n - 1]))
		(*n)--;
}

static int tmpl_check_name(struct tmpl_compiler *c, struct tmpl_token *t, const char *tag)
{
	struct buf shown = BUF_INIT;
	int rc = 0;
	if (t->len == 0) {
		rc = tmpl_fail(c, t->line, t->col, "empty tag '%s'; write a name inside it%s", tag, "");
		goto out;
	}
	for (size_t i = 0; i < t->len; i++) {
		unsigned char ch = (unsigned char)t->text[i];
		if (tmpl_is_space((char)ch) || ch < 0x20 || ch == 0x7f) {
			error_quote_value(&shown, t->text, t->len, 60);
			rc = tmpl_fail(c, t->line, t->col,
				       "tag name \"%s\" contains a blank or control character; names are one "
				       "word, with dots between parts (%s)", shown.ptr, "a.b.c");
			goto out;
		}
	}
	if (t->len == 1 && t->text[0] == '.')
		goto out;
	for (size_t i = 0; i <= t->len; i++) {
		int edge = i == 0 || i == t->len;
		if ((edge && (i == t->len ? t->text[i - 1] == '.' : t->text[0] == '.')) ||
		    (!edge && t->text[i] == '.' && t->text[i - 1] == '.')) {
			error_quote_value(&shown, t->text, t->len, 60);
			rc = tmpl_fail(c, t->line, t->col,
				       "tag name \"%s\" has an empty part; write names as a.b.c, or '.' for "
				       "the current item%s", shown.ptr, "");
			goto out;
		}
	}
out:
	buf_release(&shown);
	return rc;
}

static int tmpl_tokenize(struct tmpl_compiler *c)
{
	char open[32] = "{{";
	char close[32] = "}}";
	size_t open_len = 2, close_len = 2;
	struct tmpl_cursor cur = { 0, 1, 1 };
	size_t pos = 0;

	while (pos < c->len) {
		const char *o = tmpl_find(c->src + pos, c->len - pos, open, open_len);
		size_t tag_at = o ? (size_t)(o - c->src) : c->len;
		if (tag_at > pos) {
			tmpl_cursor_advance(&cur, c->src, pos);
			struct tmpl_token *t = tmpl_token_add(c, TOKEN_TEXT);
			t->text = c->src + pos;
			t->len = tag_at - pos;
			t->line = cur.line;
			t->col = cur.col;
		}
		if (!o)
			break;
		tmpl_cursor_advance(&cur, c->src, tag_at);
		unsigned line = cur.line, col = cur.col;
		size_t inner = tag_at + open_len;
		int triple = inner < c->len && c->src[inner] == '{';
		const char *closer = close;
		size_t closer_len = close_len;
		char triple_close[40];
		if (triple) {
			triple_close[0] = '}';
			memcpy(triple_close + 1, close, close_len);
			closer = triple_close;
			closer_len = close_len + 1;
			inner++;
		}
		const char *e = tmpl_find(c->src + inner, c->len - inner, closer, closer_len);
		if (!e) {
			struct buf want = BUF_INIT;
			buf_add(&want, closer, closer_len);
			int rc = error_set(c->err, c->path, line, col,
					   "tag is never closed; add '%s' after its name", want.ptr);
			buf_release(&want);
			return rc;
		}
		const char *body = c->src + inner;
		size_t body_len = (size_t)(e - body);
		pos = (size_t)(e - c->src) + closer_len;

		enum tmpl_token_kind kind = TOKEN_VALUE;
		int raw = triple, dynamic = 0;
		char sigil = body_len ? body[0] : 0;
		if (triple) {
			/* name follows */
		} else if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' ||
			   sigil == '=' || sigil == '>' || sigil == '<' || sigil == '$' || sigil == '&') {
			body++;
			body_len--;
			kind = sigil == '#' ? TOKEN_SECTION : sigil == '^' ? TOKEN_INVERTED
			     : sigil == '/' ? TOKEN_CLOSE : sigil == '!' ? TOKEN_COMMENT
			     : sigil == '=' ? TOKEN_DELIMITER : sigil == '>' ? TOKEN_PARTIAL
			     : sigil == '<' ? TOKEN_PARENT : sigil == '$' ? TOKEN_BLOCK : TOKEN_VALUE;
			raw = sigil == '&';
		} else if (sigil && strchr("%@?:;,{}", sigil)) {
			char s[2] = { sigil, 0 };
			return tmpl_fail(c, line, col,
					 "unknown tag type '%s'; a tag is {{name}}, {{{name}}}, {{&name}}, or "
					 "starts with one of # ^ / ! = > < $%s", s, "");
		}
		struct tmpl_token *t = tmpl_token_add(c, kind);
		t->line = line;
		t->col = col;
		t->raw = (unsigned)raw;
		if (kind == TOKEN_COMMENT)
			continue;
		if (kind == TOKEN_DELIMITER) {
			if (body_len == 0 || body[body_len - 1] != '=')
				return tmpl_fail(c, line, col,
						 "delimiter change must end with '='; write it as {{=<%% %%>=}}%s%s",
						 "", "");
			body_len--;
			tmpl_trim(&body, &body_len);
			size_t split = 0;
			while (split < body_len && !tmpl_is_space(body[split]))
				split++;
			const char *second = body + split;
			size_t second_len = body_len - split;
			tmpl_trim(&second, &second_len);
			int bad = split == 0 || second_len == 0 || split >= sizeof open ||
				  second_len >= sizeof close;
			for (size_t i = 0; !bad && i < second_len; i++)
				bad = tmpl_is_space(second[i]) || second[i] == '=';
			for (size_t i = 0; !bad && i < split; i++)
				bad = body[i] == '=';
			if (bad)
				return tmpl_fail(c, line, col,
						 "invalid delimiter change; give two delimiters separated by a "
						 "space, without blanks or '=' inside them, as in {{=<%% %%>=}}%s%s",
						 "", "");
			memcpy(open, body, split);
			open[split] = 0;
			open_len = split;
			memcpy(close, second, second_len);
			close[second_len] = 0;
			close_len = second_len;
			continue;
		}
		tmpl_trim(&body, &body_len);
		if ((kind == TOKEN_PARTIAL || kind == TOKEN_PARENT) && body_len && body[0] == '*') {
			dynamic = 1;
			body++;
			body_len--;
			tmpl_trim(&body, &body_len);
		}
		t->dynamic = (unsigned)dynamic;
		t->text = body;
		t->len = body_len;
		static const char *const shown[] = {
			[TOKEN_VALUE] = "{{}}", [TOKEN_SECTION] = "{{#}}", [TOKEN_INVERTED] = "{{^}}",
			[TOKEN_CLOSE] = "{{/}}", [TOKEN_PARTIAL] = "{{>}}", [TOKEN_PARENT] = "{{<}}",
			[TOKEN_BLOCK] = "{{$}}", [TOKEN_TEXT] = "", [TOKEN_COMMENT] = "",
			[TOKEN_DELIMITER] = "",
		};
		if (kind == TOKEN_PARTIAL || kind == TOKEN_PARENT) {
			if (body_len == 0)
				return tmpl_fail(c, line, col, "empty tag '%s'; write a name inside it%s",
						 shown[kind], "");
			continue; /* partial names are file names, dots included */
		}
		if (tmpl_check_name(c, t, shown[kind]) < 0)
			return -1;
	}
	return 0;
}

/* ---- standalone lines ------------------------------------------------------------ */

static int tmpl_token_prints(const struct tmpl_token *t)
{
	return t->kind == TOKEN_TEXT || t->kind == TOKEN_VALUE;
}

/* Splits text tokens after each newline so that every line ends a token. */
static void tmpl_split_lines(struct tmpl_compiler *c)
{
	size_t extra = 0;
	for (size_t i = 0; i < c->count; i++) {
		if (c->tokens[i].kind != TOKEN_TEXT)
			continue;
		const char *s = c->tokens[i].text;
		size_t n = c->tokens[i].len;
		for (size_t k = 0; k + 1 < n; k++)
			if (s[k] == '\n')
				extra++;
	}
	if (!extra)
		return;
	struct tmpl_token *out = malloc((c->count + extra) * sizeof *out);
	if (!out)
		alloc_failed();
	size_t n_out = 0;
	for (size_t i = 0; i < c->count; i++) {
		struct tmpl_token t = c->tokens[i];
		if (t.kind != TOKEN_TEXT) {
			out[n_out++] = t;
			continue;
		}
		const char *s = t.text;
		size_t left = t.len;
		unsigned line = t.line, col = t.col;
		while (left) {
			const char *nl = memchr(s, '\n', left);
			size_t piece = nl ? (size_t)(nl - s) + 1 : left;
			struct tmpl_token p = t;
			p.text = s;
			p.len = piece;
			p.line = line;
			p.col = col;
			out[n_out++] = p;
			s += piece;
			left -= piece;
			line++;
			col = 1;
		}
	}
	free(c->tokens);
	c->tokens = out;
	c->count = c->cap = n_out;
}

static int tmpl_text_is_blank(const struct tmpl_token *t, int may_end_line)
{
	size_t n = t->len;
	if (may_end_line && n && t->text[n - 1] == '\n') {
		n--;
		if (n && t->text[n - 1] == '\r')
			n--;
	}
	for (size_t i = 0; i < n; i++)
		if (!tmpl_is_blank(t->text[i]))
			return 0;
	return 1;
}

static void tmpl_mark_standalone(struct tmpl_compiler *c)
{
	size_t begin = 0;
	while (begin < c->count) {
		size_t end = begin;
		while (end < c->count) {
			const struct tmpl_token *t = &c->tokens[end++];
			if (t->kind == TOKEN_TEXT && t->len && t->text[t->len - 1] == '\n')
				break;
		}
		/* [begin, end) is one line */
		int tags = 0, standalone = 1, empty_block = 0;
		for (size_t i = begin; i < end && standalone; i++) {
			const struct tmpl_token *t = &c->tokens[i];
			if (t->kind == TOKEN_TEXT)
				standalone = tmpl_text_is_blank(t, i == end - 1);
			else if (tmpl_token_prints(t))
				standalone = 0;
			else
				tags++;
			if (t->kind == TOKEN_BLOCK && i + 1 < end && c->tokens[i + 1].kind == TOKEN_CLOSE)
				empty_block = 1;
		}
		if (!tags)
			standalone = 0;
		const struct tmpl_token *first = &c->tokens[begin];
		if (!standalone) {
			c->tokens[begin].line_start = 1;
		} else {
			const char *indent = "";
			size_t indent_len = 0;
			if (first->kind == TOKEN_TEXT && (end - begin > 1 || first->text[first->len - 1] != '\n')) {
				indent = first->text;
				indent_len = first->len;
				if (indent_len && indent[indent_len - 1] == '\n')
					indent_len = 0;
			}
			for (size_t i = begin; i < end; i++) {
				struct tmpl_token *t = &c->tokens[i];
				if (t->kind == TOKEN_TEXT) {
					int last = i == end - 1 && t->len && t->text[t->len - 1] == '\n';
					if (last && empty_block) {
						/* an empty block keeps its line end: its content fills the line */
						size_t keep = t->len >= 2 && t->text[t->len - 2] == '\r' ? 2 : 1;
						t->text += t->len - keep;
						t->len = keep;
					} else {
						t->len = 0;
					}
				} else {
					t->standalone = 1;
					t->indent = indent;
					t->indent_len = indent_len;
				}
			}
		}
		begin = end;
	}
}

/* ---- ops ------------------------------------------------------------------------ */

struct tmpl_open {
	size_t op;
	const struct tmpl_token *token;
};

static void tmpl_split_name(struct arena *arena, struct tmpl_op *op)
{
	if (op->len == 1 && op->text[0] == '.')
		return;
	size_t parts = 1;
	for (size_t i = 0; i < op->len; i++)
		parts += op->text[i] == '.';
	op->parts = arena_alloc(arena, parts * sizeof *op->parts);
	op->part_lens = arena_alloc(arena, parts * sizeof *op->part_lens);
	size_t start = 0, k = 0;
	for (size_t i = 0; i <= op->len; i++) {
		if (i == op->len || op->text[i] == '.') {
			op->parts[k] = op->text + start;
			op->part_lens[k] = i - start;
			k++;
			start = i + 1;
		}
	}
	op->part_count = k;
}

static const char *tmpl_token_sigil(enum tmpl_token_kind kind)
{
	switch (kind) {
	case TOKEN_SECTION: return "#";
	case TOKEN_INVERTED: return "^";
	case TOKEN_PARENT: return "<";
	case TOKEN_BLOCK: return "$";
	default: return "";
	}
}

static int tmpl_build_ops(struct tmpl_compiler *c, struct tmpl *t)
{
	struct arena *arena = &c->set->arena;
	struct tmpl_op *ops = arena_alloc(arena, (c->count ? c->count : 1) * sizeof *ops);
	size_t n = 0;
	struct tmpl_open *stack = malloc((c->count + 1) * sizeof *stack);
	if (!stack)
		alloc_failed();
	size_t depth = 0;
	int carry_line_start = 0;
	int rc = 0;

	for (size_t i = 0; i < c->count; i++) {
		const struct tmpl_token *tok = &c->tokens[i];
		int line_start = tok->line_start || carry_line_start;
		carry_line_start = 0;
		if (tok->kind == TOKEN_TEXT && tok->len == 0)
			continue;
		if (tok->kind == TOKEN_COMMENT || tok->kind == TOKEN_DELIMITER) {
			carry_line_start = line_start && !tok->standalone;
			continue;
		}
		if (tok->kind == TOKEN_CLOSE) {
			if (depth == 0) {
				rc = error_set(c->err, c->path, tok->line, tok->col,
					       "'{{/%.*s}}' closes a section that was never opened; remove it "
					       "or add {{#%.*s}} before it",
					       (int)tok->len, tok->text, (int)tok->len, tok->text);
				goto out;
			}
			struct tmpl_open *open = &stack[depth - 1];
			if (open->token->len != tok->len || memcmp(open->token->text, tok->text, tok->len) != 0) {
				rc = error_set(c->err, c->path, tok->line, tok->col,
					       "'{{/%.*s}}' does not match the open section '{{%s%.*s}}' at "
					       "line %u; close that one first with {{/%.*s}}",
					       (int)tok->len, tok->text, tmpl_token_sigil(open->token->kind),
					       (int)open->token->len, open->token->text, open->token->line,
					       (int)open->token->len, open->token->text);
				goto out;
			}
			ops[open->op].end = n;
			depth--;
			if (line_start)
				carry_line_start = 0;
			continue;
		}
		struct tmpl_op *op = &ops[n];
		op->line = tok->line;
		op->col = tok->col;
		op->line_start = (unsigned)line_start;
		op->standalone = tok->standalone;
		op->raw = tok->raw;
		op->dynamic = tok->dynamic;
		op->text = tok->text;
		op->len = tok->len;
		op->indent = tok->indent;
		op->indent_len = tok->indent_len;
		switch (tok->kind) {
		case TOKEN_TEXT: op->kind = TMPL_OP_TEXT; break;
		case TOKEN_VALUE: op->kind = TMPL_OP_VALUE; break;
		case TOKEN_SECTION: op->kind = TMPL_OP_SECTION; break;
		case TOKEN_INVERTED: op->kind = TMPL_OP_INVERTED; break;
		case TOKEN_PARTIAL: op->kind = TMPL_OP_PARTIAL; break;
		case TOKEN_PARENT: op->kind = TMPL_OP_PARENT; break;
		case TOKEN_BLOCK: op->kind = TMPL_OP_BLOCK; break;
		default: break;
		}
		if (op->kind == TMPL_OP_VALUE || op->kind == TMPL_OP_SECTION ||
		    op->kind == TMPL_OP_INVERTED || op->dynamic)
			tmpl_split_name(arena, op);
		if (tok->kind == TOKEN_SECTION || tok->kind == TOKEN_INVERTED ||
		    tok->kind == TOKEN_PARENT || tok->kind == TOKEN_BLOCK) {
			if (depth >= TMPL_MAX_NESTING) {
				rc = error_set(c->err, c->path, tok->line, tok->col,
					       "sections nest more than %d levels deep; split the template "
					       "into partials", TMPL_MAX_NESTING);
				goto out;
			}
			stack[depth].op = n;
			stack[depth].token = tok;
			depth++;
		}
		n++;
	}
	if (depth) {
		const struct tmpl_token *open = stack[depth - 1].token;
		rc = error_set(c->err, c->path, open->line, open->col,
			       "'{{%s%.*s}}' is never closed; add {{/%.*s}} where it ends",
			       tmpl_token_sigil(open->kind), (int)open->len, open->text,
			       (int)open->len, open->text);
		goto out;
	}
	t->ops = ops;
	t->count = n;
out:
	free(stack);
	return rc;
}

/* Removes the indentation of a standalone block's first line from every line of its
 * body, and records where the block expands: the indentation of its content if it has
 * any, else of its tag (see the inheritance spec's re-indentation cases). */
static void tmpl_reindent_blocks(struct tmpl *t)
{
	for (size_t b = 0; b < t->count; b++) {
		struct tmpl_op *block = &t->ops[b];
		if (block->kind != TMPL_OP_BLOCK || !block->standalone)
			continue;
		const char *strip = NULL;
		size_t strip_len = 0;
		if (b + 1 < block->end && t->ops[b + 1].line_start && t->ops[b + 1].kind == TMPL_OP_TEXT) {
			const struct tmpl_op *first = &t->ops[b + 1];
			strip = first->text;
			while (strip_len < first->len && tmpl_is_blank(strip[strip_len]))
				strip_len++;
		} else if (b + 1 < block->end && t->ops[b + 1].standalone) {
			strip = t->ops[b + 1].indent;
			strip_len = t->ops[b + 1].indent_len;
		}
		if (b + 1 < block->end) {
			block->indent = strip ? strip : "";
			block->indent_len = strip_len;
		}
		if (!strip_len)
			continue;
		for (size_t i = b + 1; i < block->end; i++) {
			struct tmpl_op *op = &t->ops[i];
			if (op->line_start && op->kind == TMPL_OP_TEXT && op->len >= strip_len &&
			    memcmp(op->text, strip, strip_len) == 0) {
				op->text += strip_len;
				op->len -= strip_len;
			} else if (op->standalone && op->indent_len >= strip_len &&
				   memcmp(op->indent, strip, strip_len) == 0) {
				op->indent += strip_len;
				op->indent_len -= strip_len;
			}
		}
	}
}

static int tmpl_compile_locked(struct tmpl_set *set, const char *path, const char *source,
			       size_t len, const struct tmpl_scan_state *entry,
			       struct tmpl **out, struct error *err)
{
	if (len > TMPL_MAX_SOURCE)
		return error_set(err, path, 0, 0, "template is larger than %u bytes; split it into partials",
				 TMPL_MAX_SOURCE);
	struct tmpl *t = arena_alloc(&set->arena, sizeof *t);
	t->set = set;
	t->path = arena_strdup(&set->arena, path);
	char *src = arena_strndup(&set->arena, source, len);
	struct tmpl_compiler c = { set, t->path, src, len, err, NULL, 0, 0 };
	int rc = tmpl_tokenize(&c);
	if (rc == 0) {
		tmpl_split_lines(&c);
		tmpl_mark_standalone(&c);
		rc = tmpl_build_ops(&c, t);
	}
	free(c.tokens);
	if (rc < 0)
		return -1;
	tmpl_reindent_blocks(t);
	if (entry)
		t->entry = *entry;
	else
		tmpl_scan_init(&t->entry, set->options.format);
	*out = t;
	return 0;
}

int tmpl_partial_get(struct tmpl_set *set, const char *name, size_t len,
		     const struct tmpl_scan_state *entry, const struct tmpl **out,
		     struct error *err)
{
	for (struct tmpl_cache_entry *e = set->cache; e; e = e->next) {
		if (e->name_len == len && memcmp(e->name, name, len) == 0 &&
		    memcmp(&e->entry, entry, sizeof *entry) == 0) {
			*out = e->t;
			return e->t ? 0 : 1;
		}
	}
	if (set->compile_depth >= 64)
		return error_set(err, NULL, 0, 0,
				 "partials include each other more than 64 levels deep (\"%.*s\"); "
				 "break the cycle", (int)len, name);
	struct buf source = BUF_INIT, path = BUF_INIT;
	int found = set->options.loader
		? set->options.loader(set->options.loader_data, name, len, &source, &path, err)
		: 1;
	struct tmpl_cache_entry *e = arena_alloc(&set->arena, sizeof *e);
	e->name = arena_strndup(&set->arena, name, len);
	e->name_len = len;
	e->entry = *entry;
	int rc = found;
	if (found == 0) {
		struct tmpl *t = NULL;
		rc = tmpl_compile_locked(set, path.ptr, source.ptr, source.len, entry, &t, err);
		if (rc == 0) {
			e->t = t;
			e->next = set->cache;
			set->cache = e;
			t->compiling = 1;
			set->compile_depth++;
			rc = tmpl_context_resolve(t, err);
			set->compile_depth--;
			t->compiling = 0;
			if (rc == 0) {
				*out = t;
			} else {
				/* forget the broken template so no later lookup renders it */
				for (struct tmpl_cache_entry **p = &set->cache; *p; p = &(*p)->next) {
					if (*p == e) {
						*p = e->next;
						break;
					}
				}
			}
		}
	} else if (found == 1) {
		e->next = set->cache;
		set->cache = e;
	}
	buf_release(&source);
	buf_release(&path);
	return rc;
}

int tmpl_partial_get_locked(struct tmpl_set *set, const char *name, size_t len,
			    const struct tmpl_scan_state *entry, const struct tmpl **out,
			    struct error *err)
{
	pthread_mutex_lock(&set->lock);
	int rc = tmpl_partial_get(set, name, len, entry, out, err);
	pthread_mutex_unlock(&set->lock);
	return rc;
}

int tmpl_compile(struct tmpl_set *set, const char *path, const char *source, size_t len,
		 const struct tmpl **out, struct error *err)
{
	pthread_mutex_lock(&set->lock);
	struct tmpl *t = NULL;
	int rc = tmpl_compile_locked(set, path, source, len, NULL, &t, err);
	if (rc == 0) {
		t->compiling = 1;
		rc = tmpl_context_resolve(t, err);
		t->compiling = 0;
	}
	pthread_mutex_unlock(&set->lock);
	if (rc == 0)
		*out = t;
	return rc;
}

/* Each template once: a partial included twice, or by itself, adds no names. */
struct tmpl_names_walk {
	tmpl_name_fn fn;
	void *data;
	const struct tmpl **seen;
	size_t seen_count, seen_cap;
};

static int tmpl_names_at(const struct tmpl *t, struct tmpl_names_walk *w)
{
	for (size_t k = 0; k < w->seen_count; k++)
		if (w->seen[k] == t)
			return 0;
	w->seen = array_grow(w->seen, &w->seen_cap, w->seen_count, sizeof *w->seen, 16);
	w->seen[w->seen_count++] = t;
	for (size_t i = 0; i < t->count; i++) {
		const struct tmpl_op *op = &t->ops[i];
		switch (op->kind) {
		case TMPL_OP_VALUE:
		case TMPL_OP_SECTION:
		case TMPL_OP_INVERTED:
			if (op->part_count)
				w->fn(w->data, op->parts[0], op->part_lens[0]);
			break;
		case TMPL_OP_PARTIAL:
		case TMPL_OP_PARENT:
			if (op->dynamic)
				return -1;
			if (op->target && tmpl_names_at(op->target, w) < 0)
				return -1;
			break;
		case TMPL_OP_TEXT:
		case TMPL_OP_BLOCK:
			break;
		}
	}
	return 0;
}

int tmpl_names(const struct tmpl *t, tmpl_name_fn fn, void *data)
{
	struct tmpl_names_walk w = { fn, data, NULL, 0, 0 };
	int rc = tmpl_names_at(t, &w);
	free(w.seen);
	return rc;
}

/* tmpl_uses_name() on the one walk over names */
struct tmpl_uses {
	const char *name;
	size_t len;
	int found;
};

static void tmpl_uses_one(void *data, const char *name, size_t len)
{
	struct tmpl_uses *u = data;
	u->found |= len == u->len && memcmp(name, u->name, len) == 0;
}

int tmpl_uses_name(const struct tmpl *t, const char *name)
{
	struct tmpl_uses u = { name, strlen(name), 0 };
	/* a dynamic partial may name it */
	return tmpl_names(t, tmpl_uses_one, &u) < 0 || u.found;
}
