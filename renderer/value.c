/* Value nodes and the few questions every consumer asks of them. Building happens in
 * the loaders; this file only creates, looks up and prints scalars. */
#include "value.h"

#include "arena.h"
#include "buf.h"
#include "scalar.h"

#include <inttypes.h>
#include <string.h>

struct value *value_new(struct arena *arena, enum value_type type, const char *file,
			unsigned line, unsigned col)
{
	struct value *v = arena_alloc(arena, sizeof *v);
	v->type = type;
	v->file = file;
	v->line = line;
	v->col = col;
	return v;
}

struct value *value_new_string(struct arena *arena, const char *s, size_t len,
			       const char *file, unsigned line, unsigned col)
{
	struct value *v = value_new(arena, VALUE_STRING, file, line, col);
	v->as.string.ptr = arena_strndup(arena, s, len);
	v->as.string.len = len;
	return v;
}

struct value *value_map_get(const struct value *map, const char *key, size_t key_len)
{
	if (!map || map->type != VALUE_MAP)
		return NULL;
	for (size_t i = 0; i < map->as.map.count; i++) {
		const struct value *k = map->as.map.entries[i].key;
		if (k->as.string.len == key_len && memcmp(k->as.string.ptr, key, key_len) == 0)
			return map->as.map.entries[i].value;
	}
	return NULL;
}

const char *value_type_name(enum value_type type)
{
	switch (type) {
	case VALUE_NULL: return "null";
	case VALUE_BOOL: return "bool";
	case VALUE_INT: return "int";
	case VALUE_FLOAT: return "float";
	case VALUE_STRING: return "string";
	case VALUE_LIST: return "list";
	case VALUE_MAP: return "map";
	}
	return "?";
}

int value_is_truthy(const struct value *v)
{
	if (!v)
		return 0;
	switch (v->type) {
	case VALUE_NULL: return 0;
	case VALUE_BOOL: return v->as.boolean;
	case VALUE_STRING: return v->as.string.len > 0;
	case VALUE_LIST: return v->as.list.count > 0;
	case VALUE_MAP: return v->as.map.count > 0;
	default: return 1;
	}
}

int value_scalar_text(const struct value *v, struct buf *out)
{
	switch (v->type) {
	case VALUE_NULL: return 0;
	case VALUE_BOOL: buf_add_str(out, v->as.boolean ? "true" : "false"); return 0;
	case VALUE_INT: buf_printf(out, "%" PRId64, v->as.integer); return 0;
	case VALUE_FLOAT: scalar_format_float(v->as.real, out); return 0;
	case VALUE_STRING: buf_add(out, v->as.string.ptr, v->as.string.len); return 0;
	default: return -1;
	}
}

struct value *value_new_map(struct arena *arena, const char *file, unsigned line, unsigned col)
{
	return value_new(arena, VALUE_MAP, file, line, col);
}

/* Map entry arrays grow by doubling: a new array whenever the count reaches a power of
 * two (the arena cannot resize in place). */
void value_map_set(struct arena *arena, struct value *map, struct value *key, struct value *v)
{
	for (size_t i = 0; i < map->as.map.count; i++) {
		struct value *k = map->as.map.entries[i].key;
		if (k->as.string.len == key->as.string.len &&
		    memcmp(k->as.string.ptr, key->as.string.ptr, k->as.string.len) == 0) {
			map->as.map.entries[i].value = v;
			return;
		}
	}
	size_t n = map->as.map.count;
	if (n == 0 || (n & (n - 1)) == 0) {
		struct value_entry *grown = arena_alloc(arena, (n ? 2 * n : 4) * sizeof *grown);
		if (n)
			memcpy(grown, map->as.map.entries, n * sizeof *grown);
		map->as.map.entries = grown;
	}
	map->as.map.entries[n].key = key;
	map->as.map.entries[n].value = v;
	map->as.map.count = n + 1;
}

struct value *value_merge(struct arena *arena, struct value *base, struct value *over)
{
	if (!base || base->type != VALUE_MAP || !over || over->type != VALUE_MAP)
		return over;
	struct value *merged = value_new_map(arena, over->file, over->line, over->col);
	for (size_t i = 0; i < base->as.map.count; i++)
		value_map_set(arena, merged, base->as.map.entries[i].key, base->as.map.entries[i].value);
	for (size_t i = 0; i < over->as.map.count; i++) {
		struct value *k = over->as.map.entries[i].key;
		struct value *old = value_map_get(merged, k->as.string.ptr, k->as.string.len);
		value_map_set(arena, merged, k, value_merge(arena, old, over->as.map.entries[i].value));
	}
	return merged;
}
