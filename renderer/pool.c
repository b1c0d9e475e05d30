/* Threads for the pool. pthread_create's failure is the expected case under a limit,
 * not an error: the work queue makes any number of threads, one included, correct. */
#include "pool.h"

#include "alloc.h"

#include <stdlib.h>
#include <unistd.h>

struct pool_thread {
	pool_fn *fn;
	void *arg;
	size_t worker;
};

static void *pool_thread_main(void *data)
{
	struct pool_thread *t = data;
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

static void pool_start_numbered(struct pool *p, size_t threads, pool_fn *fn, void *arg, size_t first)
{
	p->started = 0;
	p->ids = NULL;
	p->threads = NULL;
	if (!threads)
		return;
	p->ids = alloc_check(calloc(threads, sizeof *p->ids));
	p->threads = alloc_check(calloc(threads, sizeof *p->threads));
	for (size_t i = 0; i < threads; i++) {
		p->threads[i] = (struct pool_thread){ fn, arg, first + i };
		if (pthread_create(&p->ids[i], NULL, pool_thread_main, &p->threads[i]) != 0)
			break; /* the limit is reached: the ones started share the work */
		p->started++;
	}
}

void pool_start(struct pool *p, size_t threads, pool_fn *fn, void *arg)
{
	pool_start_numbered(p, threads, fn, arg, 0);
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
	pool_start_numbered(&p, threads > 1 ? threads - 1 : 0, fn, arg, 1);
	size_t ran = p.started + 1;
	fn(arg, 0);
	pool_join(&p);
	return ran;
}
