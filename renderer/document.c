/* YAML/JSON loading with libyaml's event parser. The tree is built with an explicit
 * stack instead of recursion so that the depth limit, not the C stack, decides how deep
 * a document may go. Refusals name the node they refuse, in the input's coordinates
 * (libyaml counts from 0; we report from 1). */
#include "document.h"

#include "alloc.h"

#include "arena.h"
#include "array.h"
#include "buf.h"
#include "error.h"
#include "scalar.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const struct document_limits document_default_limits = { 4 * 1024 * 1024, 64 };

struct document_frame {
	enum value_type type;      /* VALUE_LIST or VALUE_MAP */
	struct value *node;        /* NULL when only checking */
	struct value *pending_key; /* maps: the key waiting for its value */
	size_t keys_start;         /* maps: where their keys begin in the loader's keys */
	void **items;              /* list items, or key/value pairs for maps (not when checking) */
	size_t count;
	size_t cap;
};

struct document_loader {
	struct arena *arena;
	const char *file;
	struct error *err;
	struct error_list *recovered; /* document_load_recover(): problems of single scalars */
	struct document_frame *stack;
	size_t depth;
	size_t stack_cap;
	/* the keys of the maps open on the stack, each a struct document_key and its bytes,
	 * to find a duplicate without a node per key */
	struct buf keys;
	int check_only; /* document_check_string(): nothing is built */
};

struct document_key {
	unsigned line;
	size_t len;
};

/* What stands for a node that is only checked: the loader looks at nothing but its type
 * (the keys are kept apart, so duplicates are found the same way). */
static struct value document_checked_scalar = { .type = VALUE_NULL };
static struct value document_checked_list = { .type = VALUE_LIST };
static struct value document_checked_map = { .type = VALUE_MAP };

static int document_fail(struct document_loader *l, yaml_mark_t mark, const char *fmt,
			 const char *detail)
{
	return error_set(l->err, l->file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
			 fmt, detail);
}

static void document_frame_push_item(struct document_frame *f, void *item)
{
	f->items = array_grow(f->items, &f->cap, f->count, sizeof *f->items, 8);
	f->items[f->count++] = item;
}

/* "!!int" for "tag:yaml.org,2002:int": the way the user wrote it. */
static const char *document_tag_shown(const char *tag, char *tmp, size_t size)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	if (strncmp(tag, prefix, sizeof prefix - 1) == 0) {
		snprintf(tmp, size, "!!%s", tag + sizeof prefix - 1);
		return tmp;
	}
	return tag;
}

static int document_check_tag(struct document_loader *l, const yaml_char_t *tag,
			      yaml_mark_t mark, const char *expected)
{
	if (!tag)
		return 0;
	const char *t = (const char *)tag;
	if (strcmp(t, "!") == 0)
		return 0;
	if (expected && strcmp(t, expected) == 0)
		return 0;
	char tmp[128];
	return document_fail(l, mark,
			     "tag '%s' is not allowed here; only the YAML core schema's tags are "
			     "accepted (remove the tag, or quote the value)",
			     document_tag_shown(t, tmp, sizeof tmp));
}

/* Attaches a finished node to the frame on top of the stack (or makes it the root). A
 * key's duplicates were refused when it was read (document_key). */
static void document_attach(struct document_loader *l, struct value *node, struct value **root)
{
	if (l->depth == 0) {
		*root = node;
		return;
	}
	struct document_frame *top = &l->stack[l->depth - 1];
	if (top->type == VALUE_LIST) {
		if (l->check_only)
			top->count++; /* nothing reads the items */
		else
			document_frame_push_item(top, node);
		return;
	}
	if (!top->pending_key) {
		top->pending_key = node;
		return;
	}
	if (!l->check_only) {
		document_frame_push_item(top, top->pending_key);
		document_frame_push_item(top, node);
	}
	top->pending_key = NULL;
}

/* Records the key text of the map on top of the stack, refused when the map has it
 * already. */
static int document_key(struct document_loader *l, const char *text, size_t len, unsigned line,
			unsigned col)
{
	struct document_frame *top = &l->stack[l->depth - 1];
	for (size_t at = top->keys_start; at < l->keys.len;) {
		struct document_key k;
		memcpy(&k, l->keys.ptr + at, sizeof k);
		at += sizeof k;
		if (k.len == len && memcmp(l->keys.ptr + at, text, len) == 0) {
			struct buf msg = BUF_INIT;
			error_quote_value(&msg, text, len, 80);
			error_set(l->err, l->file, line, col,
				  "duplicate key \"%s\" (first defined at line %u); remove one of them",
				  msg.ptr, k.line);
			buf_release(&msg);
			return -1;
		}
		at += k.len;
	}
	struct document_key k = { line, len };
	buf_add(&l->keys, &k, sizeof k);
	buf_add(&l->keys, text, len);
	return 0;
}

/* A scalar refused on its own (an out-of-range number, a tag that does not match): with
 * document_load_recover() the problem is kept and an invalid node stands in for it, so
 * that the rest of the document is still loaded and checked; otherwise loading stops. */
static struct value *document_refuse_scalar(struct document_loader *l, unsigned line, unsigned col,
					    const char *text, size_t len, const char *fmt, const char *detail)
{
	if (!l->recovered) {
		error_set(l->err, l->file, line, col, fmt, detail);
		return NULL;
	}
	struct error err = ERROR_INIT;
	error_set(&err, l->file, line, col, fmt, detail);
	error_list_take(l->recovered, &err);
	struct value *v = value_new(l->arena, VALUE_NULL, l->file, line, col);
	v->text = arena_strndup(l->arena, text, len);
	v->invalid = 1;
	return v;
}

static struct value *document_scalar(struct document_loader *l, yaml_event_t *ev, int is_key)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;
	const char *tag = (const char *)ev->data.scalar.tag;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && strcmp(tag, "!") != 0 && strcmp(tag, YAML_STR_TAG) != 0 &&
	    strcmp(tag, YAML_NULL_TAG) != 0 && strcmp(tag, YAML_BOOL_TAG) != 0 &&
	    strcmp(tag, YAML_INT_TAG) != 0 && strcmp(tag, YAML_FLOAT_TAG) != 0) {
		document_check_tag(l, ev->data.scalar.tag, ev->start_mark, NULL);
		return NULL;
	}

	if (is_key || !plain || (tag && (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0))) {
		if (tag && strcmp(tag, "!") != 0 && strcmp(tag, YAML_STR_TAG) != 0) {
			char tmp[128];
			error_set(l->err, l->file, line, col,
				  "tag '%s' on a quoted value or key; remove the tag",
				  document_tag_shown(tag, tmp, sizeof tmp));
			return NULL;
		}
		if (is_key && plain && !tag && len == 2 && memcmp(text, "<<", 2) == 0) {
			error_set(l->err, l->file, line, col,
				  "merge keys ('<<') are YAML 1.1 and not supported; write the keys out");
			return NULL;
		}
		if (is_key && document_key(l, text, len, line, col) < 0)
			return NULL;
		if (l->check_only)
			return &document_checked_scalar;
		return value_new_string(l->arena, text, len, l->file, line, col);
	}
	struct scalar_resolved r;
	if (scalar_resolve_core(text, len, &r) < 0) {
		struct buf msg = BUF_INIT;
		error_quote_value(&msg, text, len, 80);
		struct value *v = document_refuse_scalar(l, line, col, text, len, "number \"%s\" is out of range; "
							 "quote it to keep it as a string", msg.ptr);
		buf_release(&msg);
		return v;
	}
	static const char *const kind_tags[] = {
		[SCALAR_STRING] = YAML_STR_TAG, [SCALAR_NULL] = YAML_NULL_TAG,
		[SCALAR_BOOL] = YAML_BOOL_TAG, [SCALAR_INT] = YAML_INT_TAG,
		[SCALAR_FLOAT] = YAML_FLOAT_TAG,
	};
	if (tag && strcmp(tag, kind_tags[r.kind]) != 0 &&
	    !(r.kind == SCALAR_INT && strcmp(tag, YAML_FLOAT_TAG) == 0)) {
		char tmp[128];
		return document_refuse_scalar(l, line, col, text, len, "tag '%s' does not match the value; remove "
					      "the tag or fix the value", document_tag_shown(tag, tmp, sizeof tmp));
	}
	if (l->check_only)
		return &document_checked_scalar; /* a plain scalar is never a key here */
	struct value *v;
	switch (r.kind) {
	case SCALAR_NULL:
		v = value_new(l->arena, VALUE_NULL, l->file, line, col);
		v->text = arena_strndup(l->arena, text, len);
		return v;
	case SCALAR_BOOL:
		v = value_new(l->arena, VALUE_BOOL, l->file, line, col);
		v->as.boolean = r.boolean;
		v->text = arena_strndup(l->arena, text, len);
		return v;
	case SCALAR_INT:
		if (tag && strcmp(tag, YAML_FLOAT_TAG) == 0) {
			v = value_new(l->arena, VALUE_FLOAT, l->file, line, col);
			v->as.real = (double)r.integer;
			return v;
		}
		v = value_new(l->arena, VALUE_INT, l->file, line, col);
		v->as.integer = r.integer;
		v->text = arena_strndup(l->arena, text, len);
		return v;
	case SCALAR_FLOAT:
		v = value_new(l->arena, VALUE_FLOAT, l->file, line, col);
		v->as.real = r.real;
		v->text = arena_strndup(l->arena, text, len);
		return v;
	default:
		return value_new_string(l->arena, text, len, l->file, line, col);
	}
}

static void document_free_stack(struct document_loader *l)
{
	for (size_t i = 0; i < l->depth; i++)
		free(l->stack[i].items);
	free(l->stack);
	buf_release(&l->keys);
}

static int document_open(struct document_loader *l, yaml_event_t *ev, enum value_type type,
			 unsigned max_depth)
{
	if (l->depth >= max_depth)
		return error_set(l->err, l->file, (unsigned)ev->start_mark.line + 1,
				 (unsigned)ev->start_mark.column + 1,
				 "nesting deeper than %u levels; flatten the document", max_depth);
	l->stack = array_grow(l->stack, &l->stack_cap, l->depth, sizeof *l->stack, 16);
	struct document_frame *f = &l->stack[l->depth++];
	memset(f, 0, sizeof *f);
	f->type = type;
	f->keys_start = l->keys.len;
	if (!l->check_only)
		f->node = value_new(l->arena, type, l->file, (unsigned)ev->start_mark.line + 1,
				    (unsigned)ev->start_mark.column + 1);
	return 0;
}

static struct value *document_close(struct document_loader *l)
{
	struct document_frame *f = &l->stack[--l->depth];
	struct value *node = f->node;
	buf_truncate(&l->keys, f->keys_start);
	if (l->check_only)
		return f->type == VALUE_LIST ? &document_checked_list : &document_checked_map;
	if (node->type == VALUE_LIST) {
		node->as.list.count = f->count;
		node->as.list.items = arena_alloc(l->arena, (f->count ? f->count : 1) * sizeof(struct value *));
		for (size_t i = 0; i < f->count; i++)
			node->as.list.items[i] = f->items[i];
	} else {
		size_t n = f->count / 2;
		size_t cap = 1; /* a power of two: value_map_set() grows maps by doubling */
		while (cap < n)
			cap *= 2;
		node->as.map.count = n;
		node->as.map.entries = arena_alloc(l->arena, cap * sizeof(struct value_entry));
		for (size_t i = 0; i < n; i++) {
			node->as.map.entries[i].key = f->items[2 * i];
			node->as.map.entries[i].value = f->items[2 * i + 1];
		}
	}
	free(f->items);
	return node;
}

static int document_expecting_key(struct document_loader *l)
{
	if (l->depth == 0)
		return 0;
	struct document_frame *top = &l->stack[l->depth - 1];
	return top->type == VALUE_MAP && !top->pending_key;
}

/* 1 when the parser stopped in the leading blanks of a line that hold a tab (or at the
 * first character after them): mark's column is moved to that tab. libyaml counts
 * characters, not bytes, and breaks lines at CR as well as LF, so the line is found
 * by its number; the leading blanks are ASCII, where a character is a byte. */
static int document_tab_in_indent(const char *text, size_t len, yaml_mark_t *mark)
{
	size_t start = 0;
	for (size_t line = 0; line < mark->line && start < len; start++) {
		if (text[start] == '\n' || (text[start] == '\r' && (start + 1 == len || text[start + 1] != '\n')))
			line++;
	}
	size_t end = start;
	while (end < len && (text[end] == ' ' || text[end] == '\t'))
		end++;
	if (mark->column > end - start)
		return 0;
	for (size_t i = start; i < end; i++)
		if (text[i] == '\t') {
			mark->column = i - start;
			return 1;
		}
	return 0;
}

static int document_load(struct arena *arena, const char *text, size_t len, const char *file,
			 const struct document_limits *limits, struct value **root, struct error *err,
			 struct error_list *recovered);

int document_load_string(struct arena *arena, const char *text, size_t len,
			 const char *file, const struct document_limits *limits,
			 struct value **root, struct error *err)
{
	return document_load(arena, text, len, file, limits, root, err, NULL);
}

int document_load_recover(struct arena *arena, const char *text, size_t len, const char *file,
			  const struct document_limits *limits, struct value **root, struct error *err,
			  struct error_list *recovered)
{
	return document_load(arena, text, len, file, limits, root, err, recovered);
}

/* Why: a render parses back every file it writes and throws the tree away; building it
 * was a tenth of that parse. The same loop runs with the same rules and builds nothing:
 * the keys it compares to find duplicates are kept by the loader for any load. */
int document_check_string(const char *text, size_t len, const char *file,
			  const struct document_limits *limits, struct error *err)
{
	return document_load(NULL, text, len, file, limits, NULL, err, NULL);
}

static int document_load(struct arena *arena, const char *text, size_t len, const char *file,
			 const struct document_limits *limits, struct value **root, struct error *err,
			 struct error_list *recovered)
{
	if (!limits)
		limits = &document_default_limits;
	if (root) /* the nodes point at their file */
		file = arena_strdup(arena, file);
	if (root)
		*root = NULL;
	if (limits->max_bytes && len > limits->max_bytes)
		return error_set(err, file, 0, 0, "file is larger than %zu bytes; split it",
				 limits->max_bytes);

	struct document_loader l = { .arena = arena, .file = file, .err = err, .recovered = recovered,
				     .keys = BUF_INIT, .check_only = root == NULL };
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		alloc_failed(); /* its only failure is an allocation */
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	struct value *result = NULL;
	int documents = 0;
	int status = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				alloc_failed(); /* not the document's fault: never a YAML diagnostic */
			yaml_mark_t mark = parser.problem_mark;
			if (parser.error == YAML_READER_ERROR) {
				/* the reader reports a byte offset, not a line */
				unsigned line = 1, col = 1;
				for (size_t i = 0; i < parser.problem_offset && i < len; i++) {
					if (text[i] == '\n') {
						line++;
						col = 1;
					} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
						col++;
					}
				}
				error_set(err, file, line, col, "invalid YAML: %s; save the file as UTF-8 "
					  "without control characters",
					  parser.problem ? parser.problem : "unreadable input");
			} else if (document_tab_in_indent(text, len, &mark)) {
				/* libyaml's words for it ("found character that cannot start any
				 * token") do not say what to change */
				error_set(err, file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
					  "a tab in the indentation; YAML does not allow tabs for indentation, "
					  "indent with spaces");
			} else {
				struct buf msg = BUF_INIT;
				buf_printf(&msg, "invalid YAML: %s", parser.problem ? parser.problem : "syntax error");
				if (parser.context)
					buf_printf(&msg, " (%s at line %zu)", parser.context,
						   (size_t)parser.context_mark.line + 1);
				error_set(err, file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
					  "%s", msg.ptr);
				buf_release(&msg);
			}
			status = -1;
			break;
		}
		yaml_event_type_t type = ev.type;
		struct value *done = NULL;
		int is_key = document_expecting_key(&l);
		switch (type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				status = error_set(err, file, (unsigned)ev.start_mark.line + 1,
						   (unsigned)ev.start_mark.column + 1,
						   "more than one document; keep one document per file");
			break;
		case YAML_ALIAS_EVENT:
			status = error_set(err, file, (unsigned)ev.start_mark.line + 1,
					   (unsigned)ev.start_mark.column + 1,
					   "aliases ('*%s') are not supported; write the value out",
					   (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor) {
				status = error_set(err, file, (unsigned)ev.start_mark.line + 1,
						   (unsigned)ev.start_mark.column + 1,
						   "anchors ('&%s') are not supported; write the value out",
						   (const char *)ev.data.scalar.anchor);
				break;
			}
			done = document_scalar(&l, &ev, is_key);
			if (!done)
				status = -1;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			yaml_char_t *anchor = type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
										 : ev.data.mapping_start.anchor;
			yaml_char_t *tag = type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
									      : ev.data.mapping_start.tag;
			if (anchor) {
				status = error_set(err, file, (unsigned)ev.start_mark.line + 1,
						   (unsigned)ev.start_mark.column + 1,
						   "anchors ('&%s') are not supported; write the value out",
						   (const char *)anchor);
				break;
			}
			if (is_key) {
				status = error_set(err, file, (unsigned)ev.start_mark.line + 1,
						   (unsigned)ev.start_mark.column + 1,
						   "a map key must be a scalar, not a list or map");
				break;
			}
			if (document_check_tag(&l, tag, ev.start_mark,
					       type == YAML_SEQUENCE_START_EVENT ? YAML_SEQ_TAG : YAML_MAP_TAG) < 0) {
				status = -1;
				break;
			}
			status = document_open(&l, &ev, type == YAML_SEQUENCE_START_EVENT ? VALUE_LIST : VALUE_MAP,
					       limits->max_depth);
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			done = document_close(&l);
			break;
		default:
			break;
		}
		if (status == 0 && done)
			document_attach(&l, done, &result);
		yaml_event_delete(&ev);
		if (status < 0 || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	document_free_stack(&l);
	if (status < 0)
		return -1;
	if (root)
		*root = result ? result : value_new(arena, VALUE_NULL, file, 1, 1);
	return 0;
}

int document_load_file(struct arena *arena, const char *path,
		       const struct document_limits *limits, struct value **root,
		       struct error *err)
{
	struct buf text = BUF_INIT;
	if (!limits)
		limits = &document_default_limits;
	if (buf_read_file(&text, path, limits->max_bytes) < 0) {
		int e = errno;
		buf_release(&text);
		if (e == EFBIG)
			return error_set(err, path, 0, 0, "file is larger than %zu bytes; split it",
					 limits->max_bytes);
		return error_set(err, path, 0, 0, "cannot read: %s", strerror(e));
	}
	int rc = document_load_string(arena, text.ptr, text.len, path, limits, root, err);
	buf_release(&text);
	return rc;
}
