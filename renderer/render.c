/* The renderer: runs a compiled template's ops over a value tree. It only reads the
 * template, so one compiled template serves any number of threads. Every value tag is
 * written for the context the compiler gave it (see template_context.c), or refused with
 * the template's position and the value's own source position. */
#include "template_ops.h"

#include "array.h"
#include "buf.h"
#include "error.h"
#include "escape.h"
#include "scalar.h"
#include "suggest.h"
#include "utf8.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

#define RENDER_MAX_DEPTH 100

struct render_overrides {
	const struct render_overrides *outer; /* checked first: outer definitions win */
	const struct tmpl *t;
	size_t begin;
	size_t end;
};

struct render {
	struct buf *out;
	struct error *err;
	const struct value **stack;
	size_t depth;
	size_t cap;
	unsigned nesting;
	enum tmpl_format format;
	int strict;
	size_t plain_start;               /* output offset of a plain scalar holding a tag */
	const struct value *plain_value;  /* the last value written into it */
	struct buf scalar;                /* a scalar's text, reused from tag to tag */
	struct tmpl_trace *trace;         /* tmpl_render_traced(): what produced each piece */
};

#define RENDER_NO_PLAIN ((size_t)-1)

static void render_push(struct render *r, const struct value *v)
{
	r->stack = array_grow(r->stack, &r->cap, r->depth, sizeof *r->stack, 16);
	r->stack[r->depth++] = v;
}

static const struct value *render_lookup(const struct render *r, const struct tmpl_op *op)
{
	if (op->part_count == 0)
		return r->depth ? r->stack[r->depth - 1] : NULL;
	const struct value *v = NULL;
	for (size_t d = r->depth; d-- > 0;) {
		v = value_map_get(r->stack[d], op->parts[0], op->part_lens[0]);
		if (v)
			break;
	}
	for (size_t k = 1; v && k < op->part_count; k++)
		v = value_map_get(v, op->parts[k], op->part_lens[k]);
	return v;
}

/* The names a missing dotted name could have meant: the keys of the map where the
 * lookup stopped (every frame's keys when its first part is unknown). */
static const char *render_closest(const struct render *r, const struct tmpl_op *op, size_t *known)
{
	const struct value *v = NULL;
	*known = 0;
	for (size_t d = r->depth; !v && d-- > 0;)
		v = value_map_get(r->stack[d], op->parts[0], op->part_lens[0]);
	while (v && *known + 1 < op->part_count) {
		const struct value *next = value_map_get(v, op->parts[*known + 1], op->part_lens[*known + 1]);
		if (!next)
			break;
		v = next;
		(*known)++;
	}
	const char **names = NULL;
	size_t count = 0, cap = 0;
	if (!v) {
		for (size_t d = r->depth; d-- > 0;)
			for (size_t i = 0; r->stack[d] && r->stack[d]->type == VALUE_MAP && i < r->stack[d]->as.map.count; i++) {
				names = array_grow(names, &cap, count, sizeof *names, 32);
				names[count++] = r->stack[d]->as.map.entries[i].key->as.string.ptr;
			}
	} else {
		(*known)++;
		for (size_t i = 0; v->type == VALUE_MAP && i < v->as.map.count; i++) {
			names = array_grow(names, &cap, count, sizeof *names, 32);
			names[count++] = v->as.map.entries[i].key->as.string.ptr;
		}
	}
	size_t at = *known < op->part_count ? *known : op->part_count - 1;
	const char *hint = suggest_closest(op->parts[at], op->part_lens[at], names, count);
	free(names);
	return hint;
}

static int render_missing(struct render *r, const struct tmpl *t, const struct tmpl_op *op)
{
	if (!r->strict)
		return 0;
	size_t known = 0;
	const char *hint = op->part_count ? render_closest(r, op, &known) : NULL;
	if (hint) {
		/* the name as it would be: the parts that resolved, then the hint */
		size_t at = known < op->part_count ? known : op->part_count - 1, prefix = 0;
		for (size_t k = 0; k < at; k++)
			prefix += op->part_lens[k] + 1;
		const char *rest = op->text + prefix + op->part_lens[at];
		return error_set(r->err, t->path, op->line, op->col, "'%.*s' is not defined in the data; did you "
				 "mean '%.*s%s%.*s'?", (int)op->len, op->text, (int)prefix, op->text, hint,
				 (int)(op->len - (size_t)(rest - op->text)), rest);
	}
	return error_set(r->err, t->path, op->line, op->col,
			 "'%.*s' is not defined in the data; define it, or guard the tag with "
			 "{{#%.*s}}...{{/%.*s}}", (int)op->len, op->text, (int)op->len, op->text,
			 (int)op->len, op->text);
}

/* A value refused where the template puts it: both places are named. */
static int render_refuse(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
			 const struct value *v, const char *where, const char *why, const char *fix)
{
	struct buf from = BUF_INIT;
	if (v->file) {
		buf_printf(&from, " (from %s", v->file);
		if (v->line)
			buf_printf(&from, ":%u:%u", v->line, v->col);
		buf_add_char(&from, ')');
	}
	error_set(r->err, t->path, op->line, op->col, "value of '%.*s'%s cannot be written %s: %s%s%s",
		  (int)op->len, op->text, from.ptr ? from.ptr : "", where, why, fix ? "; " : "",
		  fix ? fix : "");
	buf_release(&from);
	return -1;
}

/* ---- whole values ---------------------------------------------------------------------- */

static int render_yaml_string(struct buf *out, const char *s, size_t len, int flow, const char **why)
{
	if (scalar_plain_safe(s, len, flow)) {
		buf_add(out, s, len);
		return 0;
	}
	buf_add_char(out, '"');
	if (escape_yaml_double_quoted(out, s, len, why) < 0)
		return -1;
	buf_add_char(out, '"');
	return 0;
}

static int render_yaml_node(struct buf *out, const struct value *v, int flow, const char **why)
{
	switch (v->type) {
	case VALUE_NULL:
		buf_add_str(out, "null");
		return 0;
	case VALUE_STRING:
		return render_yaml_string(out, v->as.string.ptr, v->as.string.len, flow, why);
	case VALUE_LIST:
		buf_add_char(out, '[');
		for (size_t i = 0; i < v->as.list.count; i++) {
			if (i)
				buf_add_str(out, ", ");
			if (render_yaml_node(out, v->as.list.items[i], 1, why) < 0)
				return -1;
		}
		buf_add_char(out, ']');
		return 0;
	case VALUE_MAP:
		buf_add_char(out, '{');
		for (size_t i = 0; i < v->as.map.count; i++) {
			const struct value *k = v->as.map.entries[i].key;
			if (i)
				buf_add_str(out, ", ");
			if (render_yaml_string(out, k->as.string.ptr, k->as.string.len, 1, why) < 0)
				return -1;
			buf_add_str(out, ": ");
			if (render_yaml_node(out, v->as.map.entries[i].value, 1, why) < 0)
				return -1;
		}
		buf_add_char(out, '}');
		return 0;
	default:
		value_scalar_text(v, out);
		return 0;
	}
}

/* JSON and HCL share the shape of whole values; HCL writes "=" in objects. */
static int render_data_node(struct buf *out, const struct value *v, int hcl, const char **why)
{
	int (*esc)(struct buf *, const char *, size_t, const char **) =
		hcl ? escape_hcl_string : escape_json_string;
	switch (v->type) {
	case VALUE_STRING:
		buf_add_char(out, '"');
		if (esc(out, v->as.string.ptr, v->as.string.len, why) < 0)
			return -1;
		buf_add_char(out, '"');
		return 0;
	case VALUE_FLOAT:
		if (v->as.real != v->as.real || v->as.real - v->as.real != 0) {
			*why = "it is infinite or not a number, which has no literal in this format";
			return -1;
		}
		value_scalar_text(v, out);
		return 0;
	case VALUE_LIST:
		buf_add_char(out, '[');
		for (size_t i = 0; i < v->as.list.count; i++) {
			if (i)
				buf_add_str(out, ", ");
			if (render_data_node(out, v->as.list.items[i], hcl, why) < 0)
				return -1;
		}
		buf_add_char(out, ']');
		return 0;
	case VALUE_MAP:
		buf_add_char(out, '{');
		for (size_t i = 0; i < v->as.map.count; i++) {
			const struct value *k = v->as.map.entries[i].key;
			if (i)
				buf_add_str(out, ", ");
			buf_add_char(out, '"');
			if (esc(out, k->as.string.ptr, k->as.string.len, why) < 0)
				return -1;
			buf_add_str(out, hcl ? "\" = " : "\": ");
			if (render_data_node(out, v->as.map.entries[i].value, hcl, why) < 0)
				return -1;
		}
		buf_add_char(out, '}');
		return 0;
	default:
		if (v->type == VALUE_NULL) {
			buf_add_str(out, "null");
			return 0;
		}
		value_scalar_text(v, out);
		return 0;
	}
}

/* ---- block scalars ----------------------------------------------------------------------- */

static int render_block_scalar(struct buf *out, const struct tmpl_op *op, const char *s, size_t len,
			       const char *indent, size_t indent_len, const char **why)
{
	int folded = op->context == TMPL_CONTEXT_YAML_FOLDED;
	if (op->block_first && len == 0) {
		*why = "it is empty, and the first line of a block scalar decides its indentation";
		return -1;
	}
	if (op->block_first && len && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n')) {
		*why = "it begins with a blank or a line break, which would change the block's "
		       "indentation";
		return -1;
	}
	if (len && s[len - 1] == '\n') {
		*why = "it ends with a line break, which the block's chomping would drop";
		return -1;
	}
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_sequence_length(s + i, len - i);
		if (!n) {
			*why = "it is not valid UTF-8";
			return -1;
		}
		uint32_t cp = utf8_decode(s + i, n);
		if (cp == '\n' && folded) {
			*why = "it holds a line break, which a folded (>) block turns into a space";
			return -1;
		}
		if (cp != '\n' && cp != '\t' && !utf8_is_printable(cp)) {
			*why = "it holds a carriage return, control or non-printable character, which "
			       "a block scalar cannot carry";
			return -1;
		}
		i += n;
	}
	size_t run = 0;
	for (i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		buf_add(out, s + run, i + 1 - run);
		buf_add(out, indent, indent_len);
		buf_add_repeat(out, ' ', (size_t)(op->block_indent > 0 ? op->block_indent : 0));
		run = i + 1;
	}
	buf_add(out, s + run, len - run);
	return 0;
}

/* ---- value tags -------------------------------------------------------------------------- */

static int render_value(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
			const char *indent, size_t indent_len)
{
	const struct value *v = render_lookup(r, op);
	if (op->plain_begin)
		r->plain_start = r->out->len;
	if (!v)
		return render_missing(r, t, op);
	struct buf *out = r->out;
	const char *why = NULL;
	if (op->context == TMPL_CONTEXT_YAML_FRAGMENT)
		r->plain_value = v;
	int collection = v->type == VALUE_LIST || v->type == VALUE_MAP;

	switch (op->context) {
	case TMPL_CONTEXT_YAML_VALUE:
		if (!op->raw && render_yaml_node(out, v, op->flow, &why) < 0)
			return render_refuse(r, t, op, v, "as a YAML value", why, NULL);
		if (!op->raw)
			return 0;
		break;
	case TMPL_CONTEXT_JSON_VALUE:
	case TMPL_CONTEXT_HCL_VALUE:
		if (op->raw)
			break;
		if (render_data_node(out, v, op->context == TMPL_CONTEXT_HCL_VALUE, &why) < 0)
			return render_refuse(r, t, op, v, "as a value", why, NULL);
		return 0;
	default:
		break;
	}
	if (collection) {
		if (!r->strict && (op->context == TMPL_CONTEXT_TEXT || op->raw))
			return 0;
		return render_refuse(r, t, op, v, "here", v->type == VALUE_LIST ? "it is a list" : "it is a map",
				     "only a tag that is a whole YAML, JSON or HCL value can hold a list "
				     "or map; use a section ({{#name}}...{{/name}}) to write its items");
	}
	struct buf *text = &r->scalar; /* reused: no allocation per tag */
	buf_clear(text);
	value_scalar_text(v, text);
	const char *s = text->ptr ? text->ptr : "";
	size_t len = text->len;
	int rc = 0;
	if (op->raw) {
		buf_add(out, s, len);
		goto done;
	}
	switch (op->context) {
	case TMPL_CONTEXT_TEXT:
		if (r->format == TMPL_FORMAT_HTML)
			escape_html(out, s, len);
		else
			buf_add(out, s, len);
		break;
	case TMPL_CONTEXT_YAML_KEY:
		if (render_yaml_string(out, s, len, op->flow, &why) < 0)
			rc = render_refuse(r, t, op, v, "as a YAML key", why, NULL);
		break;
	case TMPL_CONTEXT_YAML_FRAGMENT:
		if (!utf8_is_valid(s, len))
			rc = render_refuse(r, t, op, v, "inside this plain scalar", "it is not valid UTF-8", NULL);
		else if (!scalar_fragment_safe(s, len, op->at_start, op->flow))
			rc = render_refuse(r, t, op, v, "inside this plain scalar",
					   "it holds characters that would end the scalar or change "
					   "its meaning (such as ': ', ' #', a line break, or a leading "
					   "indicator)", "quote the scalar in the template");
		else
			buf_add(out, s, len);
		break;
	case TMPL_CONTEXT_YAML_DOUBLE:
		if (escape_yaml_double_quoted(out, s, len, &why) < 0)
			rc = render_refuse(r, t, op, v, "inside a double-quoted string", why, NULL);
		break;
	case TMPL_CONTEXT_YAML_SINGLE:
		if (escape_yaml_single_quoted(out, s, len, &why) < 0)
			rc = render_refuse(r, t, op, v, "inside a single-quoted string", why, NULL);
		break;
	case TMPL_CONTEXT_YAML_COMMENT:
	case TMPL_CONTEXT_HCL_COMMENT:
		escape_comment(out, s, len, 0);
		break;
	case TMPL_CONTEXT_HCL_BLOCK_COMMENT:
		escape_comment(out, s, len, 1);
		break;
	case TMPL_CONTEXT_YAML_LITERAL:
	case TMPL_CONTEXT_YAML_FOLDED:
		if (render_block_scalar(out, op, s, len, indent, indent_len, &why) < 0)
			rc = render_refuse(r, t, op, v, "inside this block scalar", why,
					   "write it in a double-quoted string in the template instead");
		break;
	case TMPL_CONTEXT_JSON_KEY:
		buf_add_char(out, '"');
		if (escape_json_string(out, s, len, &why) < 0)
			rc = render_refuse(r, t, op, v, "as a JSON key", why, NULL);
		buf_add_char(out, '"');
		break;
	case TMPL_CONTEXT_JSON_STRING:
		if (escape_json_string(out, s, len, &why) < 0)
			rc = render_refuse(r, t, op, v, "inside a JSON string", why, NULL);
		break;
	case TMPL_CONTEXT_HCL_STRING:
		if (escape_hcl_string(out, s, len, &why) < 0)
			rc = render_refuse(r, t, op, v, "inside an HCL string", why, NULL);
		break;
	default:
		buf_add(out, s, len);
		break;
	}
done:
	return rc;
}

/* A plain scalar that holds a value must still read as a string under YAML 1.2 and
 * 1.1 once complete: "{{major}}.{{minor}}" with 1 and 2 is the float 1.2. */
static int render_check_plain(struct render *r, const struct tmpl *t, uint32_t blame)
{
	size_t start = r->plain_start;
	r->plain_start = RENDER_NO_PLAIN;
	if (start == RENDER_NO_PLAIN || start > r->out->len || !r->plain_value)
		return 0;
	const char *s = r->out->ptr + start;
	size_t n = r->out->len - start;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	struct scalar_resolved res;
	if (scalar_resolve_core(s, n, &res) == 0 && res.kind == SCALAR_STRING &&
	    !scalar_is_special_yaml11(s, n))
		return 0;
	struct buf shown = BUF_INIT;
	error_quote_value(&shown, s, n, 60);
	int rc = render_refuse(r, t, &t->ops[blame], r->plain_value, "into this plain scalar",
			       "the scalar would read \"", NULL);
	/* replace the tail with the scalar shown: the message is built once, here */
	struct error located = ERROR_INIT;
	error_set(&located, r->err->file, r->err->line, r->err->col, "%s%s\" and YAML reads that as a "
		  "number, bool, null or date, not a string; quote the scalar in the template",
		  r->err->message, shown.ptr);
	error_move(r->err, &located);
	buf_release(&shown);
	return rc;
}

/* ---- control flow ------------------------------------------------------------------------ */

static int render_range(struct render *r, const struct tmpl *t, size_t begin, size_t end,
			const char *indent, size_t indent_len, const struct render_overrides *ov);

static int render_block_lookup(const struct render_overrides *ov, const char *name, size_t len,
			       const struct tmpl **t, size_t *index)
{
	if (!ov)
		return 0;
	if (render_block_lookup(ov->outer, name, len, t, index))
		return 1;
	for (size_t k = ov->begin; k < ov->end; k++) {
		const struct tmpl_op *op = &ov->t->ops[k];
		if (op->kind == TMPL_OP_BLOCK && op->len == len && memcmp(op->text, name, len) == 0) {
			*t = ov->t;
			*index = k;
			return 1;
		}
		if (op->kind == TMPL_OP_SECTION || op->kind == TMPL_OP_INVERTED ||
		    op->kind == TMPL_OP_PARENT || op->kind == TMPL_OP_BLOCK)
			k = op->end - 1;
	}
	return 0;
}

/* Runs a partial or parent: indentation grows by the tag's own when it stood alone. */
static int render_include(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
			  const char *indent, size_t indent_len, const struct render_overrides *ov)
{
	const struct tmpl *target = op->target;
	if (op->dynamic) {
		const struct value *name = render_lookup(r, op);
		if (!name || name->type != VALUE_STRING)
			return render_missing(r, t, op);
		struct tmpl_scan_state entry;
		tmpl_scan_enter(&entry, &op->scan);
		int rc = tmpl_partial_get_locked(t->set, name->as.string.ptr, name->as.string.len,
						 &entry, &target, r->err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (!r->strict)
				return 0;
			return error_set(r->err, t->path, op->line, op->col,
					 "partial '%s' (the value of '%.*s') not found; create it or fix "
					 "the value", name->as.string.ptr, (int)op->len, op->text);
		}
		if (!tmpl_scan_same(&target->exit, &op->after) && !tmpl_scan_same(&target->exit, &entry))
			return error_set(r->err, t->path, op->line, op->col,
					 "dynamic partial '%s' does not end in the context it starts in, "
					 "so it cannot be placed here; make it self-contained",
					 name->as.string.ptr);
	} else if (!target) {
		if (!r->strict)
			return 0;
		return error_set(r->err, t->path, op->line, op->col, "partial '%.*s' not found",
				 (int)op->len, op->text);
	}
	if (r->nesting >= RENDER_MAX_DEPTH)
		return error_set(r->err, t->path, op->line, op->col,
				 "partials nest more than %d levels deep here; a partial includes itself "
				 "without an end (guard the include with a section)", RENDER_MAX_DEPTH);
	struct buf deeper = BUF_INIT;
	if (op->standalone && op->indent_len) {
		buf_add(&deeper, indent, indent_len);
		buf_add(&deeper, op->indent, op->indent_len);
		indent = deeper.ptr;
		indent_len = deeper.len;
	}
	struct render_overrides frame;
	if (op->kind == TMPL_OP_PARENT) {
		size_t index = (size_t)(op - t->ops);
		frame.outer = ov;
		frame.t = t;
		frame.begin = index + 1;
		frame.end = op->end;
		ov = &frame;
	}
	r->nesting++;
	int rc = render_range(r, target, 0, target->count, indent, indent_len, ov);
	r->nesting--;
	buf_release(&deeper);
	if (rc < 0 && r->nesting == 0 && r->err->message && !strstr(r->err->message, "(included from ")) {
		/* say where the outermost include is, once: the error itself is in the partial */
		struct error located = ERROR_INIT;
		error_set(&located, r->err->file, r->err->line, r->err->col, "%s (included from %s:%u:%u)",
			  r->err->message, t->path, op->line, op->col);
		error_move(r->err, &located);
	}
	return rc;
}

static int render_block(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
			const char *indent, size_t indent_len, const struct render_overrides *ov)
{
	const struct tmpl *source = t;
	size_t index = (size_t)(op - t->ops);
	render_block_lookup(ov, op->text, op->len, &source, &index);
	const struct tmpl_op *body = &source->ops[index];
	if (source != t || body != op) {
		if (!tmpl_scan_same(&body->scan, &op->scan))
			return error_set(r->err, source->path, body->line, body->col,
					 "block '%.*s' is written in %s but its parent %s places it in %s; "
					 "define it where the parent expects it", (int)op->len, op->text,
					 tmpl_scan_describe(&body->scan, r->format), t->path,
					 tmpl_scan_describe(&op->scan, r->format));
	}
	struct buf deeper = BUF_INIT;
	if (op->standalone && op->indent_len) {
		buf_add(&deeper, indent, indent_len);
		buf_add(&deeper, op->indent, op->indent_len);
		indent = deeper.ptr;
		indent_len = deeper.len;
	}
	int rc = render_range(r, source, index + 1, body->end, indent, indent_len, ov);
	buf_release(&deeper);
	return rc;
}

static void render_trace(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
			 const struct value *v)
{
	struct tmpl_trace *tr = r->trace;
	tr->items = array_grow(tr->items, &tr->cap, tr->count, sizeof *tr->items, 64);
	tr->items[tr->count++] = (struct tmpl_trace_entry){ r->out->len, t, op, v };
}

static int render_range(struct render *r, const struct tmpl *t, size_t begin, size_t end,
			const char *indent, size_t indent_len, const struct render_overrides *ov)
{
	for (size_t i = begin; i < end; i++) {
		const struct tmpl_op *op = &t->ops[i];
		if (op->line_start && indent_len)
			buf_add(r->out, indent, indent_len);
		if (r->trace && (op->kind == TMPL_OP_TEXT || op->kind == TMPL_OP_VALUE))
			render_trace(r, t, op, op->kind == TMPL_OP_VALUE ? render_lookup(r, op) : NULL);
		switch (op->kind) {
		case TMPL_OP_TEXT: {
			size_t done = 0;
			if (op->plain_end) {
				done = op->plain_end - 1;
				buf_add(r->out, op->text, done);
				if (render_check_plain(r, t, op->plain_blame) < 0)
					return -1;
			}
			if (op->plain_begin && op->plain_begin - 1 >= done)
				r->plain_start = r->out->len + (op->plain_begin - 1 - done);
			buf_add(r->out, op->text + done, op->len - done);
			break;
		}
		case TMPL_OP_VALUE:
			if (render_value(r, t, op, indent, indent_len) < 0)
				return -1;
			break;
		case TMPL_OP_SECTION: {
			const struct value *v = render_lookup(r, op);
			if (!v && render_missing(r, t, op) < 0)
				return -1;
			if (v && v->type == VALUE_LIST) {
				for (size_t k = 0; k < v->as.list.count; k++) {
					render_push(r, v->as.list.items[k]);
					int rc = render_range(r, t, i + 1, op->end, indent, indent_len, ov);
					r->depth--;
					if (rc < 0)
						return -1;
				}
			} else if (value_is_truthy(v)) {
				render_push(r, v);
				int rc = render_range(r, t, i + 1, op->end, indent, indent_len, ov);
				r->depth--;
				if (rc < 0)
					return -1;
			}
			i = op->end - 1;
			break;
		}
		case TMPL_OP_INVERTED: {
			const struct value *v = render_lookup(r, op);
			if (!v && render_missing(r, t, op) < 0)
				return -1;
			if (!value_is_truthy(v) &&
			    render_range(r, t, i + 1, op->end, indent, indent_len, ov) < 0)
				return -1;
			i = op->end - 1;
			break;
		}
		case TMPL_OP_PARTIAL:
			if (render_include(r, t, op, indent, indent_len, ov) < 0)
				return -1;
			break;
		case TMPL_OP_PARENT:
			if (render_include(r, t, op, indent, indent_len, ov) < 0)
				return -1;
			i = op->end - 1;
			break;
		case TMPL_OP_BLOCK:
			if (render_block(r, t, op, indent, indent_len, ov) < 0)
				return -1;
			i = op->end - 1;
			break;
		}
	}
	return 0;
}

int tmpl_render(const struct tmpl *t, const struct value *data, struct buf *out,
		struct error *err)
{
	return tmpl_render_frames(t, &data, 1, out, err);
}

int tmpl_render_frames(const struct tmpl *t, const struct value *const *frames, size_t count,
		       struct buf *out, struct error *err)
{
	return tmpl_render_traced(t, frames, count, out, err, NULL);
}

int tmpl_trace_at(const struct tmpl_trace *trace, size_t offset, struct tmpl_origin *origin)
{
	const struct tmpl_trace_entry *e = NULL;
	for (size_t i = 0; i < trace->count && trace->items[i].offset <= offset; i++)
		e = &trace->items[i];
	if (!e)
		return -1;
	const struct tmpl_op *op = e->op;
	origin->template_path = e->t->path;
	origin->value = e->value;
	origin->line = op->line;
	origin->col = op->col;
	if (op->kind == TMPL_OP_TEXT) {
		/* the line of the template whose text lands at offset */
		size_t into = offset - e->offset < op->len ? offset - e->offset : op->len;
		for (size_t k = 0; k < into; k++) {
			if (op->text[k] == '\n') {
				origin->line++;
				origin->col = 1;
			} else if (((unsigned char)op->text[k] & 0xc0) != 0x80) {
				origin->col++;
			}
		}
	}
	return 0;
}

void tmpl_trace_release(struct tmpl_trace *trace)
{
	free(trace->items);
	memset(trace, 0, sizeof *trace);
}

int tmpl_render_traced(const struct tmpl *t, const struct value *const *frames, size_t count,
		       struct buf *out, struct error *err, struct tmpl_trace *trace)
{
	struct render r = { out, err, NULL, 0, 0, 0, tmpl_set_format(t->set), tmpl_set_strict(t->set),
			    RENDER_NO_PLAIN, NULL, BUF_INIT, trace };
	for (size_t i = 0; i < count; i++)
		render_push(&r, frames[i]);
	buf_grow(out, 0);
	int rc = render_range(&r, t, 0, t->count, "", 0, NULL);
	if (rc == 0 && t->plain_at_end)
		rc = render_check_plain(&r, t, t->plain_blame);
	free(r.stack);
	buf_release(&r.scalar);
	return rc;
}
