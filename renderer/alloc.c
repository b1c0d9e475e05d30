/* The allocation failure path. The cleanup is set once, by main, before any thread
 * starts; reading it from several threads afterwards is safe. */
#include "alloc.h"

#include <unistd.h>

static void (*alloc_cleanup)(void);

void alloc_set_cleanup(void (*cleanup)(void))
{
	alloc_cleanup = cleanup;
}

void alloc_failed(void)
{
	if (alloc_cleanup)
		alloc_cleanup();
	static const char line[] = "stamp: error: out of memory; free some, or raise the process's memory limit\n";
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
