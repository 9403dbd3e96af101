/*
 * io: an I/O thread. It owns an event_base and the connections handed to
 * it, and wakes on one event for everything other threads send it: newly
 * accepted sockets (main thread), finished jobs (workers) and the order to
 * drain (main thread). It never waits on anything but its event_base.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"

static void wake_up(crm_io *io) {
	/* Caller holds io->lock. One activation covers any number of items. */
	if (!io->wake_pending) {
		io->wake_pending = true;
		event_active(io->wake, EV_READ, 0);
	}
}

static void stop_if_done(crm_io *io) {
	if (io->drain_seen && io->n_conns == 0)
		event_base_loopexit(io->base, NULL);
}

static void on_grace(evutil_socket_t fd, short what, void *arg) {
	crm_io *io = arg;

	(void)fd, (void)what;
	if (io->n_conns > 0)
		log_warn("io %d: shutdown grace period over; closing %d connection(s)", io->index,
			 io->n_conns);
	crm_conn_abort_all(io, "shutdown grace period over");
	stop_if_done(io);
}

static void start_drain(crm_io *io) {
	struct timeval tv = {crm_srv->cfg.shutdown_grace / 1000,
			     (crm_srv->cfg.shutdown_grace % 1000) * 1000};

	io->drain_seen = true;
	io->grace = evtimer_new(io->base, on_grace, io);
	evtimer_add(io->grace, &tv);
	crm_conn_drain_all(io);
	stop_if_done(io);
}

static void on_wake(evutil_socket_t fd, short what, void *arg) {
	crm_io *io = arg;
	crm_job *done;
	crm_handoff *fresh;
	crm_audience **aud;
	int n_aud;
	bool drain, events;

	(void)fd, (void)what;
	pthread_mutex_lock(&io->lock);
	done = io->done_head;
	io->done_head = io->done_tail = NULL;
	fresh = io->new_conns;
	io->new_conns = NULL;
	io->wake_pending = false;
	events = io->events_pending;
	io->events_pending = false;
	aud = io->aud;
	n_aud = io->n_aud;
	io->aud = NULL;
	io->n_aud = io->cap_aud = 0;
	pthread_mutex_unlock(&io->lock);
	drain = atomic_load(&crm_srv->draining) && !io->drain_seen;

	while (fresh) {
		crm_handoff *h = fresh;
		fresh = h->next;
		if (crm_conn_new(io, h) == NULL)
			atomic_fetch_sub(&crm_srv->conns, 1);
		free(h);
	}
	while (done) {
		crm_job *j = done;
		done = j->next;
		crm_conn_deliver(j);
	}
	if (events && !io->drain_seen)
		crm_conn_events_all(io);
	for (int i = 0; i < n_aud; i++) {
		if (!io->drain_seen)
			crm_conn_events_route(io, aud[i]);
		crm_audience_unref(aud[i]);
	}
	free(aud);
	if (drain)
		start_drain(io);
	else
		stop_if_done(io);
}

static void *io_main(void *arg) {
	crm_io *io = arg;
	char name[16];

	snprintf(name, sizeof(name), "crmd-io-%d", io->index);
	pthread_setname_np(pthread_self(), name);
	event_base_loop(io->base, EVLOOP_NO_EXIT_ON_EMPTY);
	crm_conn_abort_all(io, "I/O thread exiting");
	return NULL;
}

bool crm_io_start(crm_io *io, int index, crm_err *err) {
	memset(io, 0, sizeof(*io));
	io->index = index;
	pthread_mutex_init(&io->lock, NULL);
	io->base = event_base_new();
	if (io->base == NULL)
		return crm_err_set(err, CRM_INTERNAL, "io_threads", "cannot create event base");
	io->wake = event_new(io->base, -1, EV_PERSIST, on_wake, io);
	if (io->wake == NULL)
		return crm_err_set(err, CRM_INTERNAL, "io_threads", "cannot create wake event");
	if (pthread_create(&io->thread, NULL, io_main, io) != 0)
		return crm_err_set(err, CRM_INTERNAL, "io_threads", "cannot start thread: %s",
				   strerror(errno));
	return true;
}

void crm_io_adopt(crm_io *io, crm_handoff *h) {
	pthread_mutex_lock(&io->lock);
	h->next = io->new_conns;
	io->new_conns = h;
	wake_up(io);
	pthread_mutex_unlock(&io->lock);
}

void crm_io_complete(crm_io *io, crm_job *job) {
	job->next = NULL;
	pthread_mutex_lock(&io->lock);
	if (io->done_tail)
		io->done_tail->next = job;
	else
		io->done_head = job;
	io->done_tail = job;
	wake_up(io);
	pthread_mutex_unlock(&io->lock);
}

void crm_io_events(crm_io *io) {
	pthread_mutex_lock(&io->lock);
	io->events_pending = true;
	wake_up(io);
	pthread_mutex_unlock(&io->lock);
}

void crm_io_audience(crm_io *io, crm_audience *a) {
	pthread_mutex_lock(&io->lock);
	if (io->n_aud == io->cap_aud) {
		int cap = io->cap_aud ? io->cap_aud * 2 : 8;
		crm_audience **p = realloc(io->aud, (size_t)cap * sizeof(*p));

		if (p == NULL) { /* everyone fetches instead */
			io->events_pending = true;
			wake_up(io);
			pthread_mutex_unlock(&io->lock);
			return;
		}
		io->aud = p;
		io->cap_aud = cap;
	}
	atomic_fetch_add(&a->refs, 1);
	io->aud[io->n_aud++] = a;
	wake_up(io);
	pthread_mutex_unlock(&io->lock);
}

void crm_io_drain(crm_io *io) {
	pthread_mutex_lock(&io->lock);
	wake_up(io);
	pthread_mutex_unlock(&io->lock);
}

void crm_io_join(crm_io *io) { pthread_join(io->thread, NULL); }

void crm_io_free(crm_io *io) {
	crm_job *j;

	/* Jobs finished after the loop stopped: their connections are gone. */
	while ((j = io->done_head) != NULL) {
		io->done_head = j->next;
		crm_conn_deliver(j);
	}
	for (int i = 0; i < io->n_aud; i++)
		crm_audience_unref(io->aud[i]);
	free(io->aud);
	if (io->grace)
		event_free(io->grace);
	event_free(io->wake);
	event_base_free(io->base);
	pthread_mutex_destroy(&io->lock);
}
