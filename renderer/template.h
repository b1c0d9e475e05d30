/* template: mustache templates, compiled once and rendered many times.
 *
 * A tmpl_set owns everything: the compiled templates, their partials (compiled once per
 * name and per output context they are included in) and the memory behind them; free
 * the set and all of it goes. Compiling takes the set's lock, so a set may be shared by
 * threads; tmpl_render() only reads a compiled template and may run in many threads at
 * once (a dynamic partial seen for the first time is compiled under the lock).
 *
 * The output format decides escaping. For YAML, JSON and HCL the compiler knows the
 * syntactic context of every tag (whole value, inside quotes, in a comment, part of a
 * plain scalar, in a block scalar) and each value is written for its context or refused;
 * see README.md, "Escaping". */
#ifndef STAMP_TEMPLATE_H
#define STAMP_TEMPLATE_H

#include <stddef.h>

struct buf;
struct error;
struct value;

enum tmpl_format {
	TMPL_FORMAT_NONE,
	TMPL_FORMAT_HTML,
	TMPL_FORMAT_YAML,
	TMPL_FORMAT_JSON,
	TMPL_FORMAT_HCL,
	TMPL_FORMAT_COUNT
};

/* "html", "yaml", "json", "hcl", "none"; returns -1 for anything else. */
int tmpl_format_parse(const char *name, enum tmpl_format *out);
const char *tmpl_format_name(enum tmpl_format format);
/* By extension: .yaml/.yml, .json, .tf/.tfvars/.hcl, .html/.htm/.mustache; else none. */
enum tmpl_format tmpl_format_for_path(const char *path);
/* The n-th file extension (".yaml") of format, NULL past the last. */
const char *tmpl_format_extension(enum tmpl_format format, size_t n);

/* Finds the source of partial `name`. Returns 0 and fills source and path (the name
 * diagnostics will show), 1 when there is no such partial, -1 on error (err set). */
/* The largest template or partial source read. */
#define TMPL_MAX_SOURCE (16u * 1024 * 1024)

typedef int (*tmpl_loader_fn)(void *data, const char *name, size_t name_len,
			      struct buf *source, struct buf *path, struct error *err);

/* A loader for partials kept as files in one directory: `name` is dir/name, or
 * dir/name + one of the suffixes, tried in order. Names must stay inside the directory
 * (no leading '/' or '.', no "/." anywhere, no backslash): dynamic names come from data. */
struct tmpl_directory {
	const char *dir; /* NULL: no partials */
	const char *const *suffixes;
	size_t suffix_count;
};
int tmpl_load_from_directory(void *directory, const char *name, size_t name_len,
			     struct buf *source, struct buf *path, struct error *err);

struct tmpl_options {
	enum tmpl_format format;
	/* strict: a missing name or partial is an error. Otherwise they render empty, as the
	 * mustache spec requires. */
	int strict;
	tmpl_loader_fn loader; /* NULL: no partials */
	void *loader_data;
};

struct tmpl_set;
struct tmpl;

struct tmpl_set *tmpl_set_new(const struct tmpl_options *options);
void tmpl_set_free(struct tmpl_set *set);

/* Compiles source (path names it in diagnostics), with its static partials. */
int tmpl_compile(struct tmpl_set *set, const char *path, const char *source, size_t len,
		 const struct tmpl **out, struct error *err);
/* Appends the rendering of t over data to out. On failure out holds a partial result
 * the caller must discard. */
int tmpl_render(const struct tmpl *t, const struct value *data, struct buf *out,
		struct error *err);
/* The same over a context stack: frames[0] at the bottom, frames[count - 1] looked in
 * first, as if each were a section around the next; no frame is copied or changed. */
int tmpl_render_frames(const struct tmpl *t, const struct value *const *frames, size_t count,
		       struct buf *out, struct error *err);
/* Where each piece of a rendering came from, for a diagnostic about the rendered text:
 * tmpl_render_traced() records, at the output offset where it begins, every text
 * and value tag it renders; tmpl_trace_at() says which one an offset falls in. */
struct tmpl_trace_entry {
	size_t offset;
	const struct tmpl *t;
	const void *op;              /* the operation (template_ops.h) */
	const struct value *value;   /* a value tag's value, else NULL */
};
struct tmpl_trace {
	struct tmpl_trace_entry *items;
	size_t count, cap;
};
/* The origin of the byte at offset: the template and the line and column in it whose
 * text (or tag) produced it, and the value when a tag did. */
struct tmpl_origin {
	const char *template_path;
	unsigned line, col;
	const struct value *value;
};
int tmpl_render_traced(const struct tmpl *t, const struct value *const *frames, size_t count,
		       struct buf *out, struct error *err, struct tmpl_trace *trace);
int tmpl_trace_at(const struct tmpl_trace *trace, size_t offset, struct tmpl_origin *origin);
void tmpl_trace_release(struct tmpl_trace *trace);

/* 1 when a tag of t, or of a partial it includes, names `name` first ({{name}},
 * {{name.x}}, {{#name}}), or when t includes a dynamic partial, which may; else 0. */
int tmpl_uses_name(const struct tmpl *t, const char *name);
/* Calls fn with the first part of every name a tag of t, or of a partial it includes,
 * looks up ({{name}}, {{name.x}}, {{#name}}; not the implicit iterator), each time it
 * appears. -1 when t includes a dynamic partial, whose names depend on the data: the
 * names are then not all known. */
typedef void (*tmpl_name_fn)(void *data, const char *name, size_t len);
int tmpl_names(const struct tmpl *t, tmpl_name_fn fn, void *data);

#endif
