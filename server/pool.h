/*
 * pool: a fixed set of worker threads fed by one bounded FIFO queue.
 *
 * Submitting never waits: when the queue is full (or the pool is stopping)
 * crm_pool_submit returns false at once and the caller answers
 * RESOURCE_EXHAUSTED. Each worker owns a private state made by `init` on
 * its own thread (crmd: a database connection) and handed to `run` for
 * every item it takes. crm_pool_stop lets the workers finish what is
 * queued, then joins them.
 *
 * crm_pool_submit may be called from any thread.
 */
#ifndef CRM_POOL_H
#define CRM_POOL_H

#include <stdbool.h>

typedef struct crm_pool crm_pool;

typedef struct crm_pool_ops {
	void *(*init)(int index, void *arg); /* on the worker thread */
	void (*run)(void *state, void *item);
	/* Optional: with several items waiting, a worker takes up to
	 * `batch` of them at once (its fair share of what is queued) and
	 * hands them to run_batch, which must run each exactly once. */
	void (*run_batch)(void *state, void **items, int n);
	int batch;
	void (*fini)(void *state);
	void *arg;
} crm_pool_ops;

crm_pool *crm_pool_new(const char *name, int workers, int capacity, const crm_pool_ops *ops);
bool crm_pool_submit(crm_pool *pool, void *item) __attribute__((warn_unused_result));
/* Items queued but not yet taken; a snapshot for stats. */
int crm_pool_queued(crm_pool *pool);
void crm_pool_stop(crm_pool *pool);
void crm_pool_free(crm_pool *pool);

#endif
