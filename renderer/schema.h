/* schema: the rules a customer spec must follow, as data from the template set's
 * manifest (types, required fields, defaults, enums, PCRE2 patterns, length and count
 * bounds, key patterns, nested objects, the keys a map may not use because the templates
 * set them or because they name credentials, list items unique by a field), compiled
 * once and applied to every spec.
 *
 * A compiled schema lives in the manifest's arena and is read-only afterwards, so specs
 * are validated from many threads at once. schema_apply() writes the normalised spec
 * (defaults filled in, in declaration order) into a map the caller owns, allocating in
 * the caller's arena, and appends every problem it finds to an error list. */
#ifndef STAMP_SCHEMA_H
#define STAMP_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct error_list;
struct secrets;
struct tmpl;
struct tmpl_set;
struct value;

enum schema_type {
	SCHEMA_STRING,
	SCHEMA_INT,
	SCHEMA_FLOAT,
	SCHEMA_BOOL,
	SCHEMA_LIST,
	SCHEMA_MAP,
	SCHEMA_OBJECT,
};

struct schema;

struct schema_field {
	const char *name;
	size_t len;
	struct value *key;     /* name as the key a default is set under (no position) */
	struct schema *schema;
};

struct schema {
	enum schema_type type;
	const struct value *where;        /* its definition, for diagnostics */
	int required;
	const struct value *default_value;
	const struct tmpl *default_template; /* a default written as a mustache template */
	const struct value *enum_values;  /* a list of allowed scalars */
	void *pattern;                    /* pcre2_code */
	const char *pattern_text;
	const char *hint;                 /* what a pattern mismatch means, and the fix */
	int has_min, has_max;
	int64_t min, max;
	int has_min_length, has_max_length, has_min_items, has_max_items;
	size_t min_length, max_length, min_items, max_items;
	int unique;
	const char *unique_field;         /* lists of objects: no two items share this field */
	const struct value *reserved;     /* maps: key -> the output that sets it itself */
	void *credential_pattern;         /* maps: keys that look like credentials (pcre2_code) */
	const struct value *credential_allow; /* ... and the names allowed all the same */
	const char *credential_hint;      /* where such a key belongs */
	const struct secrets *secrets;    /* the top level's: the value patterns, which say it
					   * first when a credential name holds one */
	void *key_pattern;                /* pcre2_code */
	const char *key_hint;
	const struct tmpl *prefix;        /* strings must start with this (rendered) */
	const struct tmpl *not_under;     /* strings may not be this domain or under it */
	struct schema *items;             /* lists */
	struct schema *values;            /* maps */
	struct schema_field *fields;      /* objects */
	size_t field_count;
};

/* Compiles the schema defined at `definition` (the manifest's `schema:` map: field ->
 * rule). `enum_sources` is the manifest root, for `enum_from: plans`. Templates are
 * compiled in `templates` (format none, strict). Problems go to errors; returns NULL if
 * there were any. */
struct schema *schema_compile(struct arena *arena, const struct value *definition,
			      const struct value *enum_sources, struct tmpl_set *templates,
			      const struct secrets *secrets, struct error_list *errors);

/* Validates `spec` (the whole document of file `file`) against the top-level object
 * schema and adds its fields to `out` (a map: existing entries of the same name are
 * merged under the spec's). `context` is the map templates (defaults, prefixes) render
 * over; usually `out` itself. Returns the number of problems: those added to errors,
 * and the nodes the loader refused (value.h's invalid), already reported. */
size_t schema_apply(const struct schema *schema, const struct value *spec, const char *file,
		    struct value *out, const struct value *context, struct arena *arena,
		    struct error_list *errors);

/* Frees the compiled regexes (the rest is in the arena). */
void schema_release(struct schema *schema);

#endif
