/* manifest: the template set's manifest, templates/stamp.yaml. It holds everything about
 * the set that is data rather than C: platform-wide settings (domain, registry, issuer,
 * ...), the plans, the customer schema, the derived values, the values that must be
 * unique across customers, the secret patterns, and where Argo CD reads what is rendered
 * (deploy:).
 *
 * manifest_load() returns a manifest that owns its arena (the parsed document, the
 * compiled schema), its template set (the mustache expressions of defaults and derived
 * values) and its regexes; manifest_free() releases all of it. Read-only once loaded. */
#ifndef STAMP_MANIFEST_H
#define STAMP_MANIFEST_H

#include "arena.h"
#include "secrets.h"

#include <stddef.h>

struct buf;
struct error;
struct error_list;
struct schema;
struct source;
struct tmpl;
struct tmpl_set;
struct value;

#define MANIFEST_PATH "templates/stamp.yaml"

enum derived_kind {
	DERIVED_TEMPLATE, /* a string from a mustache template */
	DERIVED_LIST,     /* a list of strings from templates, plus another list appended */
	DERIVED_ENTRIES,  /* a map turned into a list of {name, value} */
};

struct derived_replace {
	const char *from;
	const char *to;
};

struct derived {
	const char *name;
	size_t len;
	struct value *key;         /* name as a key of every customer's values (no position) */
	enum derived_kind kind;
	const struct value *where;
	const struct tmpl *template;
	struct derived_replace *replace;
	size_t replace_count;
	const char *at;            /* the field whose position the result takes */
	const struct tmpl **items; /* DERIVED_LIST */
	size_t item_count;
	const char *append;        /* DERIVED_LIST: a list field appended */
	const char *entries;       /* DERIVED_ENTRIES: the map field */
};

/* deploy: the branch Argo CD's Applications name and where out/'s files sit on it. path
 * "out" is this repository's out/ (stamp commit); "." is the branch's root, which
 * stamp commit --branch writes (a hydrated branch). Absent, it is {branch: main, path:
 * out}. The templates read {{deploy.branch}}, {{deploy.path}} and {{deploy.prefix}}
 * ("out/" or ""), so an Application's path is {{deploy.prefix}}customers/{{id}}. */
struct manifest_deploy {
	const char *branch;
	int at_root;                    /* path: "." */
	const struct value *section;    /* NULL when absent */
	const struct value *branch_at;  /* the values, for positions; NULL when defaulted */
	const struct value *path_at;
	struct value *values;           /* {branch, path, prefix}, for the templates */
};

struct manifest {
	struct arena arena;
	const char *path;
	struct value *root;
	const struct value *platform;
	const struct value *plans;
	struct schema *schema;
	struct derived *derived;
	size_t derived_count;
	const struct value *unique; /* list of names whose values must be unique across customers */
	const struct value *disjoint; /* list of lists of map fields that may not share a key */
	const struct value *outputs; /* list of output definitions (see output.h) */
	struct secrets secrets;
	struct manifest_deploy deploy;
	struct tmpl_set *templates;
};

/* Loads and checks the manifest at path (in src); every problem goes to errors (with positions in
 * the manifest). Returns NULL if there was any. */
struct manifest *manifest_load(const struct source *src, const char *path, struct error_list *errors);
void manifest_free(struct manifest *m);
/* The text of the manifest (len bytes, as read) less what no render reads: the
 * channels: and default_channel: sections (channel.h) say which set each customer
 * follows, not what a set renders, so moving a channel changes no set's hash. */
void manifest_rendered_text(const struct manifest *m, const char *text, size_t len, struct buf *out);
/* For stamp commit --branch: the rendered tree goes to the root of branch, so deploy:
 * must say Argo CD reads exactly there, or every Application would point at paths the
 * branch does not hold. 0 when it does, else -1 with err at the line to edit. */
int manifest_check_hydrated(const struct manifest *m, const char *branch, struct error *err);

#endif
