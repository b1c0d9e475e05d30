/* The allocation failure path. The handler is set once, by main, before any thread
 * starts; reading it from several threads afterwards is safe. */
#include "alloc.h"

#include <unistd.h>

static void (*alloc_handler)(void);

void alloc_set_handler(void (*handler)(void))
{
	alloc_handler = handler;
}

void alloc_failed(void)
{
	if (alloc_handler)
		alloc_handler();
	static const char line[] = "stamp: out of memory; free some, or raise the process's memory limit\n";
	ssize_t n = write(2, line, sizeof line - 1);
	(void)n; /* nothing more can be done when stderr fails too */
	_exit(2);
}

void *alloc_check(void *p)
{
	if (!p)
		alloc_failed();
	return p;
}
