/* utf8: strict UTF-8 decoding (no overlong forms, no surrogates, nothing past
 * U+10FFFF) and the character classes the escapers and diagnostics need. Pure
 * functions, no allocation. */
#ifndef STAMP_UTF8_H
#define STAMP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 if the bytes there are invalid. */
size_t utf8_sequence_length(const char *s, size_t len);
/* Decodes a sequence already known valid, of length n. */
uint32_t utf8_decode(const char *s, size_t n);
/* 1 if all of s is valid UTF-8. */
int utf8_is_valid(const char *s, size_t len);
/* A character that every YAML reader takes as itself, nothing else: no C0/C1 control,
 * no DEL, no line or paragraph separator, no BOM, no non-character. */
int utf8_is_printable(uint32_t cp);

#endif
