/* arena: a region allocator for short-lived nodes (a loaded document, a compiled
 * template). Everything allocated from an arena is freed by one arena_release(); no
 * node is freed on its own, so nodes may point at each other freely. Not thread safe:
 * one arena has one owner at a time. */
#ifndef STAMP_ARENA_H
#define STAMP_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total;
};

#define ARENA_INIT { NULL, 0 }

void *arena_alloc(struct arena *a, size_t size);   /* zeroed, aligned for any type */
char *arena_strndup(struct arena *a, const char *s, size_t len); /* NUL-terminated copy */
char *arena_strdup(struct arena *a, const char *s);
void arena_release(struct arena *a);

#endif
