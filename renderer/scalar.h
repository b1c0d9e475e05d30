/* scalar: what a piece of YAML text means, and how to write a value so that it means
 * exactly that again.
 *
 * Resolution follows the YAML 1.2 core schema (so `no`, `on`, `yes` stay strings).
 * Because rendered files are also read by YAML 1.1 tools (PyYAML, older Go and Ruby
 * readers), a string is only ever written unquoted when it is a string under both 1.2
 * and 1.1; the patterns for both are PCRE2 regexes compiled once per process. All
 * functions are thread safe and allocate nothing the caller must free. */
#ifndef STAMP_SCALAR_H
#define STAMP_SCALAR_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum scalar_kind {
	SCALAR_STRING,
	SCALAR_NULL,
	SCALAR_BOOL,
	SCALAR_INT,
	SCALAR_FLOAT,
};

struct scalar_resolved {
	enum scalar_kind kind;
	int boolean;
	int64_t integer;
	double real;
};

/* Resolves a plain scalar under the YAML 1.2 core schema. Returns -1 only for an
 * integer that does not fit in 64 bits (the caller reports it; nothing is coerced). */
int scalar_resolve_core(const char *s, size_t len, struct scalar_resolved *out);
/* 1 if a YAML 1.1 reader would take this plain scalar as something other than a string
 * (bool, null, int, float, timestamp, merge or value key). */
int scalar_is_special_yaml11(const char *s, size_t len);
/* 1 if s, written with no quotes as a whole node, reads back as the same string under
 * YAML 1.2 and 1.1. `flow` is set inside [ ] or { }. */
int scalar_plain_safe(const char *s, size_t len, int flow);
/* 1 if s can be written unquoted as part of a larger plain scalar or key without ending
 * it, starting a comment or changing its structure. `at_start`: s begins the scalar. */
int scalar_fragment_safe(const char *s, size_t len, int at_start, int flow);
/* Shortest text that reads back as the same double; always has a '.', an exponent with
 * a '.', or is .inf/-.inf/.nan, so it is a float (not an int) under YAML 1.2 and 1.1. */
void scalar_format_float(double d, struct buf *out);

#endif
