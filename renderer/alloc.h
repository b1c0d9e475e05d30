/* alloc: what happens when memory runs out. Every allocation stamp makes is checked;
 * a failure is an environment error, never a wrong diagnostic: alloc_failed() runs the
 * cleanup main.c installs (removing stamp's lock and temporaries), says so in one line
 * and exits 2. */
#ifndef STAMP_ALLOC_H
#define STAMP_ALLOC_H

#include <stddef.h>

void alloc_failed(void) __attribute__((noreturn));
/* Returns p, or does not return when it is NULL. */
void *alloc_check(void *p);
/* What to undo before exiting; it may run on any thread, with no memory to spare. */
void alloc_set_cleanup(void (*cleanup)(void));

#endif
