/* alloc: what happens when memory runs out. Every allocation stamp makes is checked;
 * a failure is an environment error, never a wrong diagnostic: alloc_failed() hands it
 * to the one handler main.c installs (which removes stamp's lock and temporaries, says
 * so in one line and exits 2). Without a handler (tests, benchmarks) it prints the same
 * line and exits 2. */
#ifndef STAMP_ALLOC_H
#define STAMP_ALLOC_H

#include <stddef.h>

void alloc_failed(void) __attribute__((noreturn));
/* Returns p, or does not return when it is NULL. */
void *alloc_check(void *p);
/* The handler: it must not return. */
void alloc_set_handler(void (*handler)(void));

#endif
