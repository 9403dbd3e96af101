/*
 * notify: the LISTEN thread and a subscriber's fetch of its events (see
 * notify.h for the contract, docs/events.md for the outbox's rules).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "server_internal.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define TICK_MS 1000

typedef struct crm_notify {
	pthread_t thread;
	int stop_fd;           /* eventfd: the main thread asks the thread to stop */
	atomic_bool stop;
	PGconn *conn;          /* the LISTEN connection; this thread only */
	int backoff_ms;
	int64_t last_poll_us, last_usage_us, last_tick_us;
	bool routing;          /* apos is known */
	crm_event_pos apos;    /* audiences were handed out up to here */
} crm_notify;

int crm_event_pos_cmp(crm_event_pos a, crm_event_pos b) {
	if (a.xid != b.xid)
		return a.xid < b.xid ? -1 : 1;
	return a.seq < b.seq ? -1 : a.seq > b.seq;
}

void crm_audience_unref(crm_audience *a) {
	if (a != NULL && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

const crm_event_pos *crm_audience_find(const crm_audience *a, int64_t user_id) {
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->users[mid].user_id == user_id)
			return &a->users[mid].last;
		if (a->users[mid].user_id < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ------------------------------------------------------------ LISTEN thread */

static void wake_all(void) {
	for (int i = 0; i < crm_srv->n_io; i++)
		crm_io_events(&crm_srv->ios[i]);
}

/* Queues the scheduler's poll unless one is still queued or running. */
static void schedule_tick(void) {
	crm_job *job;

	if (atomic_exchange(&crm_srv->schedule_busy, true))
		return;
	job = crm_job_new(CRM_JOB_SCHEDULE);
	if (!crm_pool_submit(crm_srv->pool, job)) { /* queue full: next second */
		crm_job_free(job);
		atomic_store(&crm_srv->schedule_busy, false);
	}
}

static void drop_conn(crm_notify *n, const char *why) {
	log_warn("events: LISTEN connection lost (%s); reconnecting", why);
	PQfinish(n->conn);
	n->conn = NULL;
}

/* Connects and LISTENs; false (logged) when the database is not there. */
static bool listen_conn(crm_notify *n) {
	PGresult *r;

	n->conn = PQconnectdb(crm_srv->cfg.db_app);
	if (PQstatus(n->conn) != CONNECTION_OK) {
		if (n->backoff_ms == BACKOFF_MIN_MS)
			log_warn("events: cannot connect the LISTEN connection: %s",
				 PQerrorMessage(n->conn));
		PQfinish(n->conn);
		n->conn = NULL;
		return false;
	}
	r = PQexec(n->conn, "LISTEN " CRM_NOTIFY_CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warn("events: LISTEN failed: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(n->conn);
		n->conn = NULL;
		return false;
	}
	PQclear(r);
	if (PQsetnonblocking(n->conn, 1) != 0)
		log_warn("events: cannot make the LISTEN connection non-blocking");
	log_info("events: listening on %s", CRM_NOTIFY_CHANNEL);
	n->backoff_ms = BACKOFF_MIN_MS;
	wake_all(); /* whatever was announced while it was down */
	return true;
}

/* Logs PostgreSQL's notification queue usage when it is high: a listener
 * that stays in a transaction (or a stuck one) holds the queue, and at
 * 100% every NOTIFY, so every write that emits events, fails. */
static void check_usage(crm_notify *n) {
	PGresult *r;
	double usage;

	if (PQsetnonblocking(n->conn, 0) != 0)
		return;
	r = PQexec(n->conn, "SELECT pg_notification_queue_usage()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		usage = strtod(PQgetvalue(r, 0, 0), NULL);
		if (usage > CRM_NOTIFY_USAGE_WARN)
			log_warn("events: pg_notification_queue_usage() = %.1f%% (above %.0f%%): a "
				 "session listening on a channel is not consuming notifications",
				 usage * 100, CRM_NOTIFY_USAGE_WARN * 100);
		else
			log_debug("events: pg_notification_queue_usage() = %.3f%%", usage * 100);
	}
	PQclear(r);
	(void)PQsetnonblocking(n->conn, 1);
}

static int cmp_user(const void *a, const void *b) {
	int64_t x = ((const struct crm_audience_user *)a)->user_id;
	int64_t y = ((const struct crm_audience_user *)b)->user_id;

	return (x > y) - (x < y);
}

/* crm.events_audience's rows as an audience after n->apos: user rows, and
 * the last row (user NULL) with where the next call starts. NULL when the
 * query failed or said nothing usable. */
static crm_audience *audience_of(crm_notify *n, PGresult *r, bool *more) {
	int rows = PQntuples(r), last = rows - 1;
	crm_audience *a;

	if (rows < 1 || !PQgetisnull(r, last, 2))
		return NULL;
	a = calloc(1, sizeof(*a) + (size_t)last * sizeof(a->users[0]));
	if (a == NULL)
		return NULL;
	atomic_init(&a->refs, 1);
	a->from = n->apos;
	a->to.xid = strtoull(PQgetvalue(r, last, 0), NULL, 10);
	a->to.seq = strtoull(PQgetvalue(r, last, 1), NULL, 10);
	*more = PQgetvalue(r, last, 3)[0] == 't';
	for (int i = 0; i < last; i++) {
		a->users[a->n].user_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		a->users[a->n].last.xid = strtoull(PQgetvalue(r, i, 0), NULL, 10);
		a->users[a->n].last.seq = strtoull(PQgetvalue(r, i, 1), NULL, 10);
		a->n++;
	}
	qsort(a->users, a->n, sizeof(a->users[0]), cmp_user);
	return a;
}

/* One crm.events_audience call after n->apos (or, before the first, the
 * head to start routing from). NULL: it failed (logged). */
static crm_audience *read_audience(crm_notify *n, bool *more) {
	char xid[24], seq[24], limit[16];
	const char *v[3] = {n->routing ? xid : NULL, n->routing ? seq : NULL, limit};
	crm_audience *a = NULL;
	PGresult *r;

	snprintf(xid, sizeof(xid), "%" PRIu64, n->apos.xid);
	snprintf(seq, sizeof(seq), "%" PRIu64, n->apos.seq);
	snprintf(limit, sizeof(limit), "%d", CRM_NOTIFY_AUDIENCE_ROWS);
	r = PQexecParams(n->conn, "SELECT * FROM crm.events_audience($1::xid8, $2::int8, $3::int4)", 3,
			 NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		a = audience_of(n, r, more);
	else
		log_warn("events: crm.events_audience failed: %s", PQresultErrorMessage(r));
	PQclear(r);
	return a;
}

/* Hands a to every I/O thread, unless it is empty. */
static void hand_out(crm_notify *n, crm_audience *a) {
	if (crm_event_pos_cmp(a->to, a->from) > 0) {
		log_debug("events: routing %" PRIu64 "/%" PRIu64 " to %" PRIu64 "/%" PRIu64
			  ": %zu user(s)", a->from.xid, a->from.seq, a->to.xid, a->to.seq, a->n);
		for (int i = 0; i < crm_srv->n_io; i++)
			crm_io_audience(&crm_srv->ios[i], a);
		n->apos = a->to;
	}
	crm_audience_unref(a);
}

/* True (and drained) when notifications are waiting in libpq's queue:
 * PQexec reads whatever arrives while it waits for its result. */
static bool notified(crm_notify *n) {
	PGnotify *note;
	bool any = false;

	while ((note = PQnotifies(n->conn)) != NULL) {
		any = true;
		PQfreemem(note);
	}
	return any;
}

/* Reads the audience of the new events and hands it out, until nothing
 * more is waiting (a bounded number of rounds: the next poll goes on).
 * When it cannot be read every subscribed connection fetches instead. */
static void route(crm_notify *n) {
	for (int round = 0; round < 16; round++) {
		bool more = false, first = !n->routing;
		crm_audience *a;

		if (n->conn == NULL || PQsetnonblocking(n->conn, 0) != 0) {
			wake_all();
			return;
		}
		a = read_audience(n, &more);
		(void)PQsetnonblocking(n->conn, 1);
		if (a == NULL) {
			wake_all();
			return;
		}
		if (first) { /* routing starts at the head; earlier fetches are the connections' */
			n->apos = a->to;
			n->routing = true;
			crm_audience_unref(a);
		} else {
			hand_out(n, a);
		}
		if (!more && !notified(n))
			return;
	}
}

/* Reads what arrived on the LISTEN connection; false when it is lost. */
static bool consume(crm_notify *n) {
	if (!PQconsumeInput(n->conn))
		return false;
	if (notified(n))
		route(n);
	return n->conn != NULL && PQstatus(n->conn) == CONNECTION_OK;
}

/* Sleeps up to ms, or until asked to stop, watching the connection's
 * socket when there is one. Returns poll()'s revents of the socket. */
static short wait_for(crm_notify *n, int ms) {
	struct pollfd p[2] = {{.fd = n->stop_fd, .events = POLLIN},
			      {.fd = n->conn ? PQsocket(n->conn) : -1, .events = POLLIN}};

	if (poll(p, 2, ms) < 0 && errno != EINTR)
		usleep((useconds_t)ms * 1000);
	return p[1].fd >= 0 ? p[1].revents : 0;
}

/* Timers of the loop: the scheduler's tick, the fallback poll (routing
 * what became deliverable without a notification), the queue usage
 * check. */
static void on_timers(crm_notify *n) {
	int64_t now = crm_mono_us();

	if (now - n->last_tick_us >= TICK_MS * 1000) {
		n->last_tick_us = now;
		schedule_tick();
	}
	if (now - n->last_poll_us >= CRM_NOTIFY_POLL_MS * 1000) {
		n->last_poll_us = now;
		route(n);
	}
	if (n->conn && now - n->last_usage_us >= CRM_NOTIFY_USAGE_MS * 1000) {
		n->last_usage_us = now;
		check_usage(n);
		if (n->conn && notified(n)) /* read while it waited for its result */
			route(n);
	}
}

static void *notify_main(void *arg) {
	crm_notify *n = arg;

	pthread_setname_np(pthread_self(), "crmd-notify");
	while (!atomic_load(&n->stop)) {
		if (n->conn == NULL && !listen_conn(n)) {
			wait_for(n, n->backoff_ms);
			n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
			on_timers(n);
			continue;
		}
		if ((wait_for(n, TICK_MS) & (POLLIN | POLLERR | POLLHUP)) && !consume(n))
			drop_conn(n, PQerrorMessage(n->conn));
		on_timers(n);
	}
	PQfinish(n->conn);
	n->conn = NULL;
	return NULL;
}

bool crm_notify_start(crm_server *srv, crm_err *err) {
	crm_notify *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory at start-up");
	n->backoff_ms = BACKOFF_MIN_MS;
	atomic_init(&n->stop, false);
	n->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->stop_fd < 0 || pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		if (n->stop_fd >= 0)
			close(n->stop_fd);
		free(n);
		return crm_err_set(err, CRM_INTERNAL, NULL, "cannot start the events thread: %s",
				   strerror(errno));
	}
	srv->notify = n;
	return true;
}

void crm_notify_stop(crm_server *srv) {
	crm_notify *n = srv->notify;
	uint64_t one = 1;

	if (n == NULL)
		return;
	atomic_store(&n->stop, true);
	if (write(n->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_warn("events: cannot wake the events thread; it stops within a second");
	pthread_join(n->thread, NULL);
	close(n->stop_fd);
	free(n);
	srv->notify = NULL;
}

/* ------------------------------------------------------------ fetch */

/* One row of crm.events_read as an Event frame appended to job->out. */
static bool pack_event(crm_job *job, PGresult *r, int i, size_t *cap) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Event ev = CRM__EVENT__INIT;
	Crm__RecordEvent re = CRM__RECORD_EVENT__INIT;
	Crm__EventPosition pos = CRM__EVENT_POSITION__INIT;
	const ProtobufCEnumValue *type =
		protobuf_c_enum_descriptor_get_value_by_name(&crm__record_type__descriptor,
							     PQgetvalue(r, i, 3));
	size_t n;

	pos.has_xid = pos.has_seq = true;
	pos.xid = strtoull(PQgetvalue(r, i, 0), NULL, 10);
	pos.seq = strtoull(PQgetvalue(r, i, 1), NULL, 10);
	re.position = &pos;
	re.has_changed_at = true;
	re.changed_at = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	re.has_type = type != NULL;
	re.type = type ? (Crm__RecordType)type->value : CRM__RECORD_TYPE__RECORD_TYPE_UNSPECIFIED;
	re.has_id = true;
	re.id = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	re.has_version = !PQgetisnull(r, i, 5);
	re.version = re.has_version ? strtoll(PQgetvalue(r, i, 5), NULL, 10) : 0;
	re.kind = PQgetvalue(r, i, 6);
	ev.has_at = true;
	ev.at = crm_now_us();
	ev.kind_case = CRM__EVENT__KIND_RECORD;
	ev.record = &re;
	sf.kind_case = CRM__SERVER_FRAME__KIND_EVENT;
	sf.event = &ev;
	n = crm__server_frame__get_packed_size(&sf) + CRM_FRAME_HEADER;
	if (job->out_len + n > *cap) {
		size_t want = (job->out_len + n) * 2;
		uint8_t *p = realloc(job->out, want);

		if (p == NULL)
			return false;
		job->out = p;
		*cap = want;
	}
	crm_frame_put_len(job->out + job->out_len, (uint32_t)(n - CRM_FRAME_HEADER));
	crm__server_frame__pack(&sf, job->out + job->out_len + CRM_FRAME_HEADER);
	job->out_len += n;
	job->ev_pos.xid = pos.xid;
	job->ev_pos.seq = pos.seq;
	return true;
}

/* The rows become frames; the row with kind NULL carries the snapshot's
 * (xmin, 0), where the position moves when the batch was not full. */
static void pack_events(crm_job *job, PGresult *r) {
	crm_event_pos horizon = {0, 0};
	int events = 0;
	size_t cap = 0;

	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, 6)) {
			horizon.xid = strtoull(PQgetvalue(r, i, 0), NULL, 10);
			continue;
		}
		if (!pack_event(job, r, i, &cap)) {
			job->status = CRM_RESOURCE_EXHAUSTED;
			return;
		}
		events++;
	}
	job->ev_more = events >= CRM_EVENTS_BATCH;
	if (!job->ev_more && crm_event_pos_cmp(horizon, job->ev_pos) > 0)
		job->ev_pos = horizon;
	job->status = CRM_OK;
}

void crm_events_fetch(crm_db *db, crm_job *job) {
	crm_db_ctx ctx = {&job->token, job->rid, job->client_ip, crm_srv->cfg.request_timeout,
			  NULL, NULL, NULL};
	char xid[24], seq[24], limit[16];
	const char *v[3] = {xid, seq, limit};
	PGresult *r;
	crm_err err;

	snprintf(xid, sizeof(xid), "%" PRIu64, job->ev_pos.xid);
	snprintf(seq, sizeof(seq), "%" PRIu64, job->ev_pos.seq);
	snprintf(limit, sizeof(limit), "%d", CRM_EVENTS_BATCH);
	crm_err_clear(&err);
	memset(&db->session, 0, sizeof(db->session));
	if (!crm_db_ensure(db, &err) || !crm_db_begin(db, &ctx, &err)) {
		job->status = err.code;
		return;
	}
	r = crm_db_exec(db, CRM_STMT(EVENTS_READ), 3, v, NULL, NULL, true, &err);
	if (r == NULL) {
		crm_db_rollback(db);
		job->status = err.code;
		log_debug("conn=%llu: events fetch failed: %s", (unsigned long long)job->conn_id,
			  err.msg);
		return;
	}
	pack_events(job, r);
	PQclear(r);
	snprintf(job->user, sizeof(job->user), "%s", db->session.username);
	job->ev_user = db->session.user_id;
}
