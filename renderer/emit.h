/* emit: a value tree written out as block-style YAML (for `stamp show` and anything
 * else that prints values). Strings are plain only when they read back as the same
 * string under YAML 1.2 and 1.1 (see scalar.h), double-quoted otherwise, so the output
 * loads back to the same tree. Appends to the caller's buffer; allocates nothing else. */
#ifndef STAMP_EMIT_H
#define STAMP_EMIT_H

struct buf;
struct value;

/* Returns -1 only if a string is not valid UTF-8 (YAML cannot carry it). */
int emit_yaml(struct buf *out, const struct value *v);

#endif
