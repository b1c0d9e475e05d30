/* template_ops: the compiled form of a template, shared by the compiler (template.c),
 * the context scanner (template_context.c) and the renderer (render.c). Private to
 * those three files.
 *
 * A template is a flat array of operations. Sections, parents and blocks hold the index
 * just past their body (`end`), so rendering is a loop with no tree to chase. All
 * strings point into the set's arena, which owns them. */
#ifndef STAMP_TEMPLATE_OPS_H
#define STAMP_TEMPLATE_OPS_H

#include "template.h"

#include <stdint.h>

enum tmpl_op_kind {
	TMPL_OP_TEXT,
	TMPL_OP_VALUE,    /* {{x}} {{{x}}} {{&x}} */
	TMPL_OP_SECTION,  /* {{#x}} */
	TMPL_OP_INVERTED, /* {{^x}} */
	TMPL_OP_PARTIAL,  /* {{>x}} {{>*x}} */
	TMPL_OP_PARENT,   /* {{<x}} {{<*x}} */
	TMPL_OP_BLOCK,    /* {{$x}} */
};

/* Where a value tag stands in its output, decided when compiling. */
enum tmpl_context {
	TMPL_CONTEXT_TEXT,          /* none or html format: escape by format */
	TMPL_CONTEXT_YAML_VALUE,    /* a whole node */
	TMPL_CONTEXT_YAML_KEY,      /* a whole mapping key */
	TMPL_CONTEXT_YAML_FRAGMENT, /* part of a plain scalar or key */
	TMPL_CONTEXT_YAML_DOUBLE,   /* inside "..." */
	TMPL_CONTEXT_YAML_SINGLE,   /* inside '...' */
	TMPL_CONTEXT_YAML_COMMENT,
	TMPL_CONTEXT_YAML_LITERAL,  /* in a | block scalar */
	TMPL_CONTEXT_YAML_FOLDED,   /* in a > block scalar */
	TMPL_CONTEXT_JSON_VALUE,
	TMPL_CONTEXT_JSON_KEY,
	TMPL_CONTEXT_JSON_STRING,
	TMPL_CONTEXT_HCL_VALUE,
	TMPL_CONTEXT_HCL_STRING,
	TMPL_CONTEXT_HCL_COMMENT,
	TMPL_CONTEXT_HCL_BLOCK_COMMENT,
};

/* The scanner's position in the output's syntax. Compared (tmpl_scan_same) to check
 * that sections leave the syntax as they found it, and used as the cache key of a
 * partial compiled for one place. Always built from a zeroed struct, so memcmp works. */
struct tmpl_scan_state {
	uint8_t mode;
	uint8_t depth;       /* YAML flow depth; JSON nesting depth */
	uint8_t in_block;    /* YAML: inside a block scalar */
	uint8_t folded;      /* YAML: that block scalar is folded (>) */
	uint8_t resume;      /* mode to return to after a comment or escape */
	uint8_t last_code;   /* HCL: last non-blank character of code */
	uint8_t interp;      /* HCL: ${ } depth inside a string */
	uint8_t pad;
	int32_t col;         /* column within the current line */
	int32_t line_indent; /* indentation of the current line, -1 before its first character */
	int32_t block_parent;/* YAML: indentation of the line that opened the block scalar */
	int32_t block_indent;/* YAML: content indentation, -1 until its first line */
	int32_t dash_col;    /* YAML: column of the last "- " on this line */
	int32_t plain_op;    /* YAML: op where the current plain scalar began, -1 if none */
	int32_t plain_offset;/* ... and the offset in that op's text */
	int32_t plain_fragment; /* YAML: last value tag inside the current plain scalar, -1 */
	uint64_t objects;    /* JSON: bit n set when level n is an object */
	char heredoc[32];    /* HCL: the heredoc's closing marker */
};

struct tmpl_op {
	enum tmpl_op_kind kind;
	unsigned line;
	unsigned col;
	unsigned line_start : 1; /* first thing on a source line: the partial indent goes here */
	unsigned standalone : 1; /* the tag stood alone on its line */
	unsigned raw : 1;        /* {{{x}}} or {{&x}} */
	unsigned dynamic : 1;    /* {{>*x}} */
	unsigned flow : 1;       /* YAML: inside [ ] or { } */
	unsigned at_start : 1;   /* YAML fragment: begins its scalar */
	unsigned block_first : 1;/* YAML block scalar: first thing of the first content line */
	unsigned missing : 1;    /* static partial not found (non-strict) */
	const char *text;        /* TEXT: the bytes; tags: the name as written */
	size_t len;
	const char **parts;      /* dotted name split; no parts for "." */
	size_t *part_lens;
	size_t part_count;
	size_t end;              /* sections, parents, blocks: index past the body */
	const char *indent;      /* partials, parents, blocks: standalone indentation */
	size_t indent_len;
	enum tmpl_context context;
	int32_t block_indent;    /* YAML block scalar: content indentation */
	uint32_t plain_begin;    /* YAML: 1 + offset where a plain scalar holding a tag begins */
	uint32_t plain_end;      /* YAML: 1 + offset where such a scalar ends (TEXT ops) */
	uint32_t plain_blame;    /* ... the last value tag in it, for the diagnostic */
	struct tmpl_scan_state scan; /* the state at this tag */
	struct tmpl_scan_state after;/* dynamic partials: the state the caller continues in */
	const struct tmpl *target;   /* static partial or parent */
};

struct tmpl {
	struct tmpl_set *set;
	const char *path;
	struct tmpl_op *ops;
	size_t count;
	struct tmpl_scan_state entry;
	struct tmpl_scan_state exit;
	int compiling; /* set while its own static partials are being compiled */
	int assumed_neutral; /* a recursive include assumed exit == entry; checked at the end */
	int plain_at_end;    /* YAML: the template ends inside a plain scalar holding a tag */
	uint32_t plain_blame;
};

/* template.c: the partial `name` compiled for entry state `entry` (NULL with 1 returned
 * when it does not exist). Caller holds the set's lock. */
int tmpl_partial_get(struct tmpl_set *set, const char *name, size_t len,
		     const struct tmpl_scan_state *entry, const struct tmpl **out,
		     struct error *err);
/* template.c: the same, taking the lock; for the renderer's dynamic partials. */
int tmpl_partial_get_locked(struct tmpl_set *set, const char *name, size_t len,
			    const struct tmpl_scan_state *entry, const struct tmpl **out,
			    struct error *err);
enum tmpl_format tmpl_set_format(const struct tmpl_set *set);
int tmpl_set_strict(const struct tmpl_set *set);

/* template_context.c */
void tmpl_scan_init(struct tmpl_scan_state *st, enum tmpl_format format);
/* The state a partial starts in when included at st (indentation made relative). */
void tmpl_scan_enter(struct tmpl_scan_state *entry, const struct tmpl_scan_state *st);
/* The caller's state after a partial that ended in `exit`. */
void tmpl_scan_leave(struct tmpl_scan_state *st, const struct tmpl_scan_state *exit);
int tmpl_scan_same(const struct tmpl_scan_state *a, const struct tmpl_scan_state *b);
const char *tmpl_scan_describe(const struct tmpl_scan_state *st, enum tmpl_format format);
/* Walks t's ops: classifies every value tag, compiles static partials, checks that
 * sections are neutral. Fills t->exit. Caller holds the set's lock. */
int tmpl_context_resolve(struct tmpl *t, struct error *err);

#endif
