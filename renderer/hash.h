/* hash: XXH3-128 content hashes (xxHash), as 32 lowercase hex digits in manifests and
 * templates. A hash_state accumulates several inputs (a template set's files, a
 * customer's inputs) into one hash. Value types only; nothing to free. */
#ifndef STAMP_HASH_H
#define STAMP_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash {
	uint64_t high;
	uint64_t low;
};

#define HASH_HEX_LEN 32

struct hash hash_bytes(const void *data, size_t len);
int hash_equal(struct hash a, struct hash b);
/* Writes 32 hex digits and a NUL into out (33 bytes). */
void hash_hex(struct hash h, char *out);
/* Parses 32 hex digits; returns -1 if s is not that. */
int hash_parse(const char *s, size_t len, struct hash *out);

struct hash_state;
struct hash_state *hash_begin(void);
/* Adds a length-prefixed piece, so that ("ab","c") and ("a","bc") differ. */
void hash_add(struct hash_state *state, const void *data, size_t len);
struct hash hash_end(struct hash_state *state); /* frees the state */

#endif
