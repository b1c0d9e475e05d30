/* document: YAML and JSON text loaded into a value tree (see value.h) with libyaml.
 *
 * One document per input, keys unique, scalars resolved by the YAML 1.2 core schema,
 * nothing the core schema does not know (other tags, merge keys, anchors and aliases)
 * accepted, nesting and size bounded. Every node is allocated in the caller's arena; the
 * `file` name is copied there too. On failure nothing is returned and err says where
 * (document_load_recover() goes on past a refused scalar instead). A tab in indentation
 * is named as such, at the tab. */
#ifndef STAMP_DOCUMENT_H
#define STAMP_DOCUMENT_H

#include <stddef.h>

struct arena;
struct error;
struct error_list;
struct value;

struct document_limits {
	size_t max_bytes; /* 0: no limit */
	unsigned max_depth;
};

extern const struct document_limits document_default_limits;

int document_load_string(struct arena *arena, const char *text, size_t len,
			 const char *file, const struct document_limits *limits,
			 struct value **root, struct error *err);
/* The same, but a scalar refused on its own (an out-of-range number, a tag that does not
 * match its value) does not stop the load: its problem goes to `recovered` and a node
 * marked invalid (value.h) takes its place, so that a spec's other problems are found in
 * the same run. Returns 0 with such problems too; the caller must treat them as errors. */
int document_load_recover(struct arena *arena, const char *text, size_t len, const char *file,
			  const struct document_limits *limits, struct value **root, struct error *err,
			  struct error_list *recovered);
/* The same rules over text, and nothing built: 0 when document_load_string() would load
 * it, else -1 with the same error. */
int document_check_string(const char *text, size_t len, const char *file,
			  const struct document_limits *limits, struct error *err);
int document_load_file(struct arena *arena, const char *path,
		       const struct document_limits *limits, struct value **root,
		       struct error *err);

#endif
