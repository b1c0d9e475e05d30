/* pool: the one way stamp runs work on several threads.
 *
 * Work is always taken from a queue the caller owns (an index under a mutex), never
 * split up front, so a pool that gets fewer threads than asked for (pthread_create
 * fails with EAGAIN under a pids or memory limit) does the same work on fewer threads:
 * a thread limit costs speed, never output. Each thread gets a worker number (0 to
 * the count started - 1) to pick its own arena or scratch state. */
#ifndef STAMP_POOL_H
#define STAMP_POOL_H

#include <pthread.h>
#include <stddef.h>

typedef void pool_fn(void *arg, size_t worker);

/* Threads for -j N (0: every online core). */
size_t pool_threads(int jobs);

/* Runs fn(arg, w) on up to `threads` threads, the calling thread being worker 0, and
 * returns when every one has returned. Returns how many ran (at least 1). */
size_t pool_run(size_t threads, pool_fn *fn, void *arg);

/* Starts up to `threads` background threads running fn(arg, w); `started` says how
 * many did (0 when none could be: the caller then does the work itself). */
struct pool {
	pthread_t *ids;
	struct pool_thread *threads;
	size_t started;
};
void pool_start(struct pool *p, size_t threads, pool_fn *fn, void *arg);
void pool_join(struct pool *p);

#endif
