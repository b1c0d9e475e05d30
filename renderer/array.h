/* array: growing the plain C arrays the modules keep as items + count + capacity. The
 * caller owns the array and frees it with free(). Allocation failure aborts, as in buf.h. */
#ifndef STAMP_ARRAY_H
#define STAMP_ARRAY_H

#include <stddef.h>

/* Returns items with room for at least count + 1 elements of item_size bytes, doubling
 * *cap (from `first`) when it is full; use as  a = array_grow(a, &cap, n, sizeof *a, 16). */
void *array_grow(void *items, size_t *cap, size_t count, size_t item_size, size_t first);

#endif
