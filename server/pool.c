/* pool: see pool.h. A ring buffer under one mutex and one condition
 * variable; workers sleep on the condvar, submitters never do. */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct crm_pool {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	void **ring;
	int capacity, head, count;
	bool stopping;
	crm_pool_ops ops;
	int n_threads;     /* started so far (creation and stop only) */
	int n_workers;     /* configured; read by workers */
	pthread_t *threads;
	char name[32];
};

typedef struct {
	crm_pool *pool;
	int index;
} worker_arg;

static void *worker_main(void *p) {
	worker_arg wa = *(worker_arg *)p;
	crm_pool *pool = wa.pool;
	void *state, *items[64];
	int take, max = pool->ops.run_batch && pool->ops.batch > 1 ? pool->ops.batch : 1;
	char tname[16];

	if (max > 64)
		max = 64;

	free(p);
	snprintf(tname, sizeof(tname), "%.10s-%d", pool->name, wa.index);
	pthread_setname_np(pthread_self(), tname);
	state = pool->ops.init ? pool->ops.init(wa.index, pool->ops.arg) : NULL;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->count == 0 && !pool->stopping)
			pthread_cond_wait(&pool->nonempty, &pool->lock);
		if (pool->count == 0) { /* stopping and drained */
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		/* A fair share of what waits, so idle workers get some too. */
		take = (pool->count + pool->n_workers - 1) / pool->n_workers;
		take = take < 1 ? 1 : take > max ? max : take;
		for (int i = 0; i < take; i++) {
			items[i] = pool->ring[pool->head];
			pool->head = (pool->head + 1) % pool->capacity;
		}
		pool->count -= take;
		pthread_mutex_unlock(&pool->lock);
		if (take == 1)
			pool->ops.run(state, items[0]);
		else
			pool->ops.run_batch(state, items, take);
	}
	if (pool->ops.fini)
		pool->ops.fini(state);
	return NULL;
}

crm_pool *crm_pool_new(const char *name, int workers, int capacity, const crm_pool_ops *ops) {
	crm_pool *pool = calloc(1, sizeof(*pool));
	int i;

	if (pool == NULL)
		return NULL;
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->nonempty, NULL);
	pool->ring = calloc((size_t)capacity, sizeof(void *));
	pool->threads = calloc((size_t)workers, sizeof(pthread_t));
	if (pool->ring == NULL || pool->threads == NULL)
		goto fail;
	pool->capacity = capacity;
	pool->ops = *ops;
	pool->n_workers = workers;
	for (i = 0; i < workers; i++) {
		worker_arg *wa = malloc(sizeof(*wa));
		if (wa == NULL)
			goto fail;
		wa->pool = pool;
		wa->index = i;
		if (pthread_create(&pool->threads[i], NULL, worker_main, wa) != 0) {
			free(wa);
			goto fail;
		}
		pool->n_threads++;
	}
	return pool;
fail:
	crm_pool_stop(pool);
	crm_pool_free(pool);
	return NULL;
}

bool crm_pool_submit(crm_pool *pool, void *item) {
	bool ok = false;

	pthread_mutex_lock(&pool->lock);
	if (!pool->stopping && pool->count < pool->capacity) {
		pool->ring[(pool->head + pool->count) % pool->capacity] = item;
		pool->count++;
		ok = true;
		pthread_cond_signal(&pool->nonempty);
	}
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

int crm_pool_queued(crm_pool *pool) {
	int n;

	pthread_mutex_lock(&pool->lock);
	n = pool->count;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void crm_pool_stop(crm_pool *pool) {
	int i;

	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->nonempty);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	pool->n_threads = 0;
}

void crm_pool_free(crm_pool *pool) {
	if (pool == NULL)
		return;
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->nonempty);
	free(pool->ring);
	free(pool->threads);
	free(pool);
}
