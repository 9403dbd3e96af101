/*
 * server_internal: the structures the parts of `crmd serve` share. Only
 * files in server/ include this.
 *
 * Threads: the main thread runs the listeners, signals and timers on
 * srv->main_base; each I/O thread runs its own event_base with its
 * connections; DB workers (pool.c) run jobs. A connection and everything
 * in it is touched only by its I/O thread. A job travels I/O thread →
 * worker → I/O thread and is owned by whoever holds it.
 */
#ifndef CRM_SERVER_INTERNAL_H
#define CRM_SERVER_INTERNAL_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "crm_wire.h"
#include "db.h"
#include "notify.h"
#include "pool.h"

typedef struct crm_io crm_io;
typedef struct crm_conn crm_conn;
typedef struct crm_job crm_job;

/* Connections allowed past max_connections only to be told so. */
#define CRM_REJECT_SLACK 64

typedef struct crm_server {
	crm_config cfg;
	char config_path[CRM_CONFIG_PATH_MAX];
	struct event_base *main_base;
	struct evconnlistener *listeners[CRM_CONFIG_MAX_LISTEN];
	int n_listeners;
	crm_io *ios;
	int n_io;
	unsigned next_io;
	crm_pool *pool;
	int schema_version;
	atomic_int conns;          /* open connections, all I/O threads */
	atomic_bool draining;      /* SIGTERM seen */
	atomic_bool io_stopped;    /* I/O threads gone: queued jobs are dropped */
	atomic_uint_fast64_t next_conn_id;
	crm_pool *auth_pool;       /* password hashing, at most the cores */
	struct event *ev_term, *ev_int, *ev_hup, *ev_purge;
	struct crm_notify *notify; /* the LISTEN thread (notify.c) */
	atomic_bool schedule_busy; /* a scheduler poll is queued or running */
} crm_server;

extern crm_server *crm_srv;

/* ---- I/O threads (io.c) */

typedef struct crm_handoff {
	int fd;
	bool reject;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct crm_handoff *next;
} crm_handoff;

struct crm_io {
	int index;
	pthread_t thread;
	struct event_base *base;
	struct event *wake;        /* activated from other threads */
	struct event *grace;       /* shutdown deadline */
	pthread_mutex_t lock;      /* guards the three fields below */
	crm_job *done_head, *done_tail;
	crm_handoff *new_conns;
	bool wake_pending;
	bool events_pending;       /* everyone fetches (notify.c) */
	crm_audience **aud;        /* routed events to apply, in order (notify.c) */
	int n_aud, cap_aud;
	bool drain_seen;
	crm_conn *conns;           /* this thread's connections */
	int n_conns;
};

bool crm_io_start(crm_io *io, int index, crm_err *err) CRM_MUSTCHECK;
/* Hands an accepted socket to the I/O thread (any thread). */
void crm_io_adopt(crm_io *io, crm_handoff *h);
/* Hands a finished job back to its I/O thread (worker threads). */
void crm_io_complete(crm_io *io, crm_job *job);
/* Tells the I/O thread that new events may be in the outbox: all its
 * subscribed connections fetch (any thread; notify.c). */
void crm_io_events(crm_io *io);
/* Hands the I/O thread an audience of new events: the connections of the
 * users in it fetch, the others move on (any thread; takes a reference). */
void crm_io_audience(crm_io *io, crm_audience *a);
/* Asks the I/O thread to drain and exit (main thread). */
void crm_io_drain(crm_io *io);
void crm_io_join(crm_io *io);
/* After the workers have stopped: drops late results, frees the thread's
 * resources. */
void crm_io_free(crm_io *io);

/* ---- connections (conn.c), I/O thread only */

crm_conn *crm_conn_new(crm_io *io, crm_handoff *h);
/* Delivers a worker's result on its connection, or drops it if the
 * connection is gone; releases the job and its reference. */
void crm_conn_deliver(crm_job *job);
/* Starts draining every connection of the thread: in-flight requests
 * finish, new ones are refused, idle connections close. */
void crm_conn_drain_all(crm_io *io);
/* Closes every connection of the thread at once, dropping unsent output. */
void crm_conn_abort_all(crm_io *io, const char *why);
/* Every subscribed connection of the thread fetches its new events. */
void crm_conn_events_all(crm_io *io);
/* Routes an audience (notify.h) to the thread's subscribed connections:
 * a fetch for those whose user is in it or whose position is before
 * a->from or unknown; the others' position moves to a->to. */
void crm_conn_events_route(crm_io *io, const crm_audience *a);

/* ---- jobs (worker.c) */

/* REQUEST: a client's request. PURGE, SCHEDULE: maintenance (no
 * connection; the idempotency key purge, the scheduler's poll). EVENTS: a
 * subscribed connection's fetch of its new events, as its user. */
typedef enum { CRM_JOB_REQUEST, CRM_JOB_PURGE, CRM_JOB_SCHEDULE, CRM_JOB_EVENTS } crm_job_kind;

struct crm_job {
	crm_arena arena;
	crm_job_kind kind;
	crm_conn *conn;            /* holds a reference; I/O thread only */
	crm_io *io;
	const Crm__ClientFrame *frame;
	uint64_t request_id;       /* the client's frame id, for the reply */
	uint64_t rid;              /* crmd's request id: log line and audit rows */
	uint64_t conn_id;
	int64_t received_us;       /* monotonic */
	char peer[64];             /* address:port for logs */
	char client_ip[48];        /* address only, for sessions and throttling */
	char client_name[72];      /* from the connection's hello */
	bool has_token;            /* the connection is logged in */
	crm_token token;           /* the connection's session token */
	crm_token resume_token;    /* Resume: the token the request carries */
	const struct crm_route *route;
	/* result */
	char user[72];             /* acting user for logs, "" = none */
	crm_status status;
	bool sets_session, clears_session; /* applied to the connection on OK */
	crm_token new_token;
	/* events: Subscribe's start (subscribes on OK), or an EVENTS job's
	 * position before (in) and after (out) the fetch */
	bool subscribes;
	bool ev_more;              /* EVENTS: a full batch; fetch again */
	int64_t ev_user;           /* Subscribe, EVENTS: the session's user id */
	uint32_t ev_gen;           /* the subscription the fetch is for */
	crm_event_pos ev_pos;
	uint8_t *out;              /* packed frame(s) with header, malloc'd */
	size_t out_len;
	crm_job *next;
};

/* A new request id, unique across connections and (with overwhelming
 * probability) across crmd processes: a random 31-bit prefix drawn at
 * start and a 32-bit counter, a positive bigint for the audit trail. Any
 * thread. */
uint64_t crm_request_id_next(void);

/* A new job; a request job gets its request id here. */
crm_job *crm_job_new(crm_job_kind kind);
void crm_job_free(crm_job *job);

/* Worker-thread pool callbacks. */
void *crm_worker_init(int index, void *arg);
void crm_worker_run(void *state, void *item);
/* Several jobs at once: single-statement reads go out as one pipeline
 * (see crm_db_queue_tx), the rest run one by one. */
void crm_worker_run_batch(void *state, void **items, int n);
#define CRM_WORKER_BATCH 16
void crm_worker_fini(void *state);
/* Cancels the statement every worker is running (shutdown, grace over). */
void crm_workers_cancel(void);

/* Packs a ServerFrame with its length header into a malloc'd buffer.
 * Returns NULL if it exceeds CRM_FRAME_MAX_CEILING. */
uint8_t *crm_pack_frame(const Crm__ServerFrame *sf, size_t *len);

int64_t crm_mono_us(void);

#endif
