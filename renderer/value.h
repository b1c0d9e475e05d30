/* value: the tree every input becomes (customer specs, template-set manifests, data
 * files) and every template reads.
 *
 * Seven types, as in YAML's core schema and JSON. Every node records the file, line and
 * column it came from so that any later complaint about it can point there. All nodes
 * of one tree live in one arena (see arena.h) and die with it; the tree never owns
 * memory of its own. Map entries keep their source order. */
#ifndef STAMP_VALUE_H
#define STAMP_VALUE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;

enum value_type {
	VALUE_NULL,
	VALUE_BOOL,
	VALUE_INT,
	VALUE_FLOAT,
	VALUE_STRING,
	VALUE_LIST,
	VALUE_MAP,
};

struct value;

struct value_entry {
	struct value *key; /* always a VALUE_STRING */
	struct value *value;
};

struct value {
	enum value_type type;
	unsigned line;
	unsigned col;
	unsigned invalid; /* a scalar the loader refused, already reported (document.h): the
			   * schema passes over it, so it causes no second message */
	const char *file;
	const char *text; /* scalars read from a file: the text as written, for diagnostics */
	union {
		int boolean;
		int64_t integer;
		double real;
		struct {
			const char *ptr; /* NUL-terminated, may hold NULs inside */
			size_t len;
		} string;
		struct {
			struct value **items;
			size_t count;
		} list;
		struct {
			struct value_entry *entries;
			size_t count;
		} map;
	} as;
};

struct value *value_new(struct arena *arena, enum value_type type, const char *file,
			unsigned line, unsigned col);
struct value *value_new_string(struct arena *arena, const char *s, size_t len,
			       const char *file, unsigned line, unsigned col);

/* Sets key in map (an existing entry is replaced), growing the map in the arena. */
void value_map_set(struct arena *arena, struct value *map, struct value *key, struct value *v);
/* `over` merged onto `base`: maps merge key by key (recursively), anything else is
 * replaced by `over`. Shares nodes with both; allocates only new maps. */
struct value *value_merge(struct arena *arena, struct value *base, struct value *over);
/* A new, empty map. */
struct value *value_new_map(struct arena *arena, const char *file, unsigned line, unsigned col);

/* The entry's value for key, or NULL. Map keys are unique (loaders refuse duplicates). */
struct value *value_map_get(const struct value *map, const char *key, size_t key_len);
const char *value_type_name(enum value_type type);
/* Mustache truthiness: null, false, empty list, empty map and empty string are false. */
int value_is_truthy(const struct value *v);
/* The canonical text of a scalar: decimal integers, shortest round-trip floats,
 * true/false, empty for null. Returns -1 for lists and maps. */
int value_scalar_text(const struct value *v, struct buf *out);

#endif
