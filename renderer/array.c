/* Doubling growth, so that appending n items costs O(n) copies in all. */
#include "array.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>

void *array_grow(void *items, size_t *cap, size_t count, size_t item_size, size_t first)
{
	if (count < *cap)
		return items;
	size_t grown = *cap ? *cap * 2 : first;
	void *p = realloc(items, grown * item_size);
	if (!p)
		alloc_failed();
	*cap = grown;
	return p;
}
