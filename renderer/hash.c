/* XXH3-128 through libxxhash. */
#include "hash.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct hash hash_bytes(const void *data, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(data, len);
	struct hash out = { h.high64, h.low64 };
	return out;
}

int hash_equal(struct hash a, struct hash b)
{
	return a.high == b.high && a.low == b.low;
}

void hash_hex(struct hash h, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[i] = digits[(h.high >> (60 - 4 * i)) & 0xf];
		out[16 + i] = digits[(h.low >> (60 - 4 * i)) & 0xf];
	}
	out[32] = 0;
}

int hash_parse(const char *s, size_t len, struct hash *out)
{
	if (len != 32)
		return -1;
	uint64_t parts[2] = { 0, 0 };
	int bad = 0;
	for (size_t i = 0; i < 32; i++) {
		unsigned c = (unsigned char)s[i];
		unsigned d = c - '0' < 10 ? c - '0' : c - 'a' < 6 ? c - 'a' + 10 : 16;
		bad |= d == 16;
		parts[i / 16] = (parts[i / 16] << 4) | (d & 0xf);
	}
	if (bad)
		return -1;
	out->high = parts[0];
	out->low = parts[1];
	return 0;
}

struct hash_state *hash_begin(void)
{
	XXH3_state_t *s = XXH3_createState();
	if (!s)
		alloc_failed();
	XXH3_128bits_reset(s);
	return (struct hash_state *)s;
}

void hash_add(struct hash_state *state, const void *data, size_t len)
{
	uint64_t n = len;
	XXH3_128bits_update((XXH3_state_t *)state, &n, sizeof n);
	XXH3_128bits_update((XXH3_state_t *)state, data, len);
}

struct hash hash_end(struct hash_state *state)
{
	XXH128_hash_t h = XXH3_128bits_digest((XXH3_state_t *)state);
	XXH3_freeState((XXH3_state_t *)state);
	struct hash out = { h.high64, h.low64 };
	return out;
}
