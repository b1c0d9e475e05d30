/* output: the files a template set renders. The manifest's outputs: list is compiled
 * here (each template with the escaping of its file type, its path as a template), the
 * set's own hash is taken (every file under templates/ and stamp's version), and a
 * customer's values or the set of all customers become files in memory: rendered,
 * parsed back when they are YAML or JSON, and hashed.
 *
 * An output_set owns its compiled templates and arena; output_set_release() frees them.
 * Rendered files are allocated in the caller's arena (one per worker thread). */
#ifndef STAMP_OUTPUT_H
#define STAMP_OUTPUT_H

#include "arena.h"
#include "hash.h"
#include "template.h"

#include <stddef.h>

struct customer;
struct error_list;
struct manifest;
struct source;
struct value;

/* when: {platform.delivery: manifests}: a per-customer output is rendered for a customer
 * only when the value at each dotted path of its values is one of the scalars named
 * (their text, as a template would print them). */
struct output_when {
	const char *path;            /* "platform.delivery" */
	const struct value *allowed; /* a scalar, or a list of scalars */
};

struct output_def {
	const char *name;
	const char *template_path;   /* under templates/ */
	const struct tmpl *template;
	const struct tmpl *path;     /* renders the path under out/ */
	enum tmpl_format format;
	int over_all;                /* rendered once over every customer */
	int uses_hashes;             /* its template reads {{hashes.<name>}} */
	const struct value *where;
	struct output_when *when;    /* all must hold; none: always rendered */
	size_t when_count;
};

/* Where the templates of one format find their partials. */
struct output_partials {
	const struct source *src;
	enum tmpl_format format;
};

struct output_set {
	struct arena arena;
	struct output_def *defs;
	size_t count;
	struct tmpl_set *sets[TMPL_FORMAT_COUNT]; /* the templates, one set per format: each
				       * loads partials with its own escaping */
	struct output_partials partials[TMPL_FORMAT_COUNT];
	struct tmpl_set *paths;      /* the path: templates (no partials, no escaping) */
	struct hash set_hash;        /* templates/ and stamp's version */
	int aggregates_use_hashes;   /* an output over all customers reads {{hashes.<name>}} */
};

struct output_file {
	const char *path;            /* under out/ */
	const char *data;            /* NULL unless rendered with OUTPUT_KEEP */
	size_t len;
	struct hash hash;
};

/* How to render: parse every YAML/JSON output back (the check before anything is
 * written), and/or keep the bytes (for writing). A render that writes renders again
 * without keeping everything in memory at once; rendering is deterministic. */
enum output_mode {
	OUTPUT_PARSE_BACK = 1,
	OUTPUT_KEEP = 2,
};

struct output_files {
	struct output_file *items;
	size_t count;
	size_t cap;
};

/* 1 when output d is rendered for a customer with these values (its when: holds). */
int output_applies(const struct output_def *d, const struct value *values);

/* Compiles the outputs of m, reading templates and partials from src. On failure (-1,
 * the problems in errors) nothing is left to release. */
int output_set_load(struct output_set *os, const struct manifest *m, const struct source *src,
		    struct error_list *errors);
void output_set_release(struct output_set *os);

/* Which files keep their bytes when the mode does not keep them all: keep() is asked
 * with each file's path, hash and length once it is rendered (from any thread), and
 * returns 1 to keep them. It may set *same to a string equal to path that outlives the
 * files, which then point to it instead of a copy of their own. */
struct output_keep {
	int (*keep)(void *data, const char *path, struct hash hash, size_t len, const char **same);
	void *data;
};

/* Renders every per-customer output of `values` and appends the files. Each output sees
 * {{hashes.<name>}}, the hash of every output rendered before it, from a frame of this
 * render's own over the values, which are not changed. Bytes are kept (in arena) with
 * OUTPUT_KEEP, or where `keep` (may be NULL) says so. Returns -1 after adding the
 * problems to errors. */
int output_render_customer(const struct output_set *os, const struct value *values, int mode,
			   const struct output_keep *keep, struct arena *arena, struct output_files *files,
			   struct error_list *errors);
/* Only the paths of what output_render_customer() renders (no bytes, no hashes), in
 * the same order: a render can name every file it will write before it writes one.
 * -1 when a path does not render, or is not a path (the render proper reports it). */
int output_render_paths(const struct output_set *os, const struct value *values, struct arena *arena,
			struct output_files *files, struct error_list *errors);
/* 1 when a per-customer path reads {{hashes.*}}: then it cannot be known before the
 * outputs before it are rendered. */
int output_paths_use_hashes(const struct output_set *os);
/* Where the outputs over all customers find a customer's output hashes: hash_of sets
 * *out to the hash of the file at path (under out/) of customer `index`, and returns 0,
 * or -1 when it does not know it (the output is then rendered to learn it). */
struct output_hash_source {
	int (*hash_of)(void *data, size_t index, const char *path, struct hash *out);
	void *data;
};
/* The outputs with over: all, rendered over {platform, deploy, customers: [each one's
 * values, with its hashes when an output uses them]}; source may be NULL. */
int output_render_aggregate(const struct output_set *os, const struct manifest *m,
			    const struct customer *customers, size_t count, const struct output_hash_source *source,
			    int mode, struct arena *arena, struct output_files *files, struct error_list *errors);
/* Everything a customer's outputs depend on (its spec, the template set, stamp's version),
 * as one hash: equal hashes render equal bytes. render, check and diff all decide by it. */
struct hash output_customer_input(const struct output_set *os, const struct customer *c);
void output_files_release(struct output_files *files);

#endif
