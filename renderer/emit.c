/* Block-style YAML output. Maps and lists nest by indentation; empty ones are written
 * in flow style ({} and []) because block style has no way to say "empty". */
#include "emit.h"

#include "buf.h"
#include "escape.h"
#include "scalar.h"
#include "value.h"

static int emit_string(struct buf *out, const char *s, size_t len)
{
	if (scalar_plain_safe(s, len, 0)) {
		buf_add(out, s, len);
		return 0;
	}
	const char *why;
	buf_add_char(out, '"');
	if (escape_yaml_double_quoted(out, s, len, &why) < 0)
		return -1;
	buf_add_char(out, '"');
	return 0;
}

static int emit_scalar(struct buf *out, const struct value *v)
{
	switch (v->type) {
	case VALUE_NULL:
		buf_add_str(out, "null");
		return 0;
	case VALUE_STRING:
		return emit_string(out, v->as.string.ptr, v->as.string.len);
	case VALUE_LIST:
		buf_add_str(out, "[]");
		return 0;
	case VALUE_MAP:
		buf_add_str(out, "{}");
		return 0;
	default:
		value_scalar_text(v, out);
		return 0;
	}
}

static int emit_is_block(const struct value *v)
{
	return (v->type == VALUE_LIST && v->as.list.count) || (v->type == VALUE_MAP && v->as.map.count);
}

static int emit_node(struct buf *out, const struct value *v, unsigned indent)
{
	if (v->type == VALUE_MAP && v->as.map.count) {
		for (size_t i = 0; i < v->as.map.count; i++) {
			const struct value *k = v->as.map.entries[i].key;
			const struct value *item = v->as.map.entries[i].value;
			if (i)
				buf_add_repeat(out, ' ', indent);
			if (emit_string(out, k->as.string.ptr, k->as.string.len) < 0)
				return -1;
			buf_add_char(out, ':');
			if (emit_is_block(item)) {
				buf_add_char(out, '\n');
				unsigned inner = item->type == VALUE_LIST ? indent : indent + 2;
				buf_add_repeat(out, ' ', inner);
				if (emit_node(out, item, inner) < 0)
					return -1;
			} else {
				buf_add_char(out, ' ');
				if (emit_scalar(out, item) < 0)
					return -1;
				buf_add_char(out, '\n');
			}
		}
		return 0;
	}
	if (v->type == VALUE_LIST && v->as.list.count) {
		for (size_t i = 0; i < v->as.list.count; i++) {
			if (i)
				buf_add_repeat(out, ' ', indent);
			buf_add_str(out, "- ");
			const struct value *item = v->as.list.items[i];
			if (emit_is_block(item)) {
				if (emit_node(out, item, indent + 2) < 0)
					return -1;
			} else {
				if (emit_scalar(out, item) < 0)
					return -1;
				buf_add_char(out, '\n');
			}
		}
		return 0;
	}
	if (emit_scalar(out, v) < 0)
		return -1;
	buf_add_char(out, '\n');
	return 0;
}

int emit_yaml(struct buf *out, const struct value *v)
{
	return emit_node(out, v, 0);
}
