/* Threads for the pool. pthread_create's failure is the expected case under a limit,
 * not an error: the work queue makes any number of threads, one included, correct. */
#define _GNU_SOURCE /* gettid */
#include "pool.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

struct pool_thread {
	pool_fn *fn;
	void *arg;
	size_t worker;
	int behind;
};

/* Lowers the calling thread's priority by POOL_BEHIND (Linux keeps a nice value per
 * thread; a new thread starts with its creator's). Lowering is never refused to an
 * unprivileged user; if it fails all the same, the thread runs as fast as before:
 * priority costs speed, never output. */
static void pool_step_behind(void)
{
	pid_t self = gettid();
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)self);
	if (nice == -1 && errno != 0)
		return;
	if (setpriority(PRIO_PROCESS, (id_t)self, nice + POOL_BEHIND > 19 ? 19 : nice + POOL_BEHIND) < 0)
		return; /* as above: it runs at the caller's priority */
}

static void *pool_thread_main(void *data)
{
	struct pool_thread *t = data;
	if (t->behind)
		pool_step_behind();
	t->fn(t->arg, t->worker);
	return NULL;
}

size_t pool_threads(int jobs)
{
	if (jobs > 0)
		return (size_t)jobs;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (size_t)cores : 1;
}

static void pool_start_numbered(struct pool *p, size_t threads, pool_fn *fn, void *arg, size_t first, int behind)
{
	p->started = 0;
	p->ids = NULL;
	p->threads = NULL;
	if (!threads)
		return;
	p->ids = alloc_check(calloc(threads, sizeof *p->ids));
	p->threads = alloc_check(calloc(threads, sizeof *p->threads));
	for (size_t i = 0; i < threads; i++) {
		p->threads[i] = (struct pool_thread){ fn, arg, first + i, behind };
		if (pthread_create(&p->ids[i], NULL, pool_thread_main, &p->threads[i]) != 0)
			break; /* the limit is reached: the ones started share the work */
		p->started++;
	}
}

void pool_start(struct pool *p, size_t threads, pool_fn *fn, void *arg)
{
	pool_start_numbered(p, threads, fn, arg, 0, 0);
}

void pool_start_behind(struct pool *p, size_t threads, pool_fn *fn, void *arg)
{
	pool_start_numbered(p, threads, fn, arg, 0, 1);
}

void pool_join(struct pool *p)
{
	for (size_t i = 0; i < p->started; i++)
		pthread_join(p->ids[i], NULL);
	free(p->ids);
	free(p->threads);
	p->ids = NULL;
	p->threads = NULL;
	p->started = 0;
}

size_t pool_run(size_t threads, pool_fn *fn, void *arg)
{
	struct pool p;
	/* the calling thread is worker 0; started threads are 1.. */
	pool_start_numbered(&p, threads > 1 ? threads - 1 : 0, fn, arg, 1, 0);
	size_t ran = p.started + 1;
	fn(arg, 0);
	pool_join(&p);
	return ran;
}
