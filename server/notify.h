/*
 * notify: change events across crmd instances (docs/events.md).
 *
 * One thread per crmd owns one dedicated libpq connection (as db_app)
 * that does nothing but LISTEN crm_events: never a worker's, never inside
 * a transaction. It waits in poll() on that connection's socket with a
 * one-second timeout, so the I/O loops never wait on it. On a
 * notification and every CRM_NOTIFY_POLL_MS (the fallback: an event held
 * back by an older transaction becomes deliverable when that one ends,
 * which may notify nothing) it reads crm.events_audience() after its
 * routing position: which users the new events may concern, nothing else.
 * It hands that audience to every I/O thread (crm_io_audience): only
 * connections of those users, and those whose position is unknown or
 * behind, fetch; the others move their position without a query. After
 * it (re)connected it tells every subscribed connection to fetch
 * (crm_io_events). Each second it
 * queues the scheduler's poll (CRM_JOB_SCHEDULE) unless one is still
 * queued or running, and every CRM_NOTIFY_USAGE_MS it reads
 * pg_notification_queue_usage() and logs it when above
 * CRM_NOTIFY_USAGE_WARN. A lost connection is reconnected with a backoff
 * doubling from 100 ms to 10 s.
 */
#ifndef CRM_NOTIFY_H
#define CRM_NOTIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crm_status.h"
#include "db.h"

#define CRM_NOTIFY_CHANNEL "crm_events"
#define CRM_NOTIFY_POLL_MS 2000
/* Outbox rows one crm.events_audience call reads (more: it calls again). */
#define CRM_NOTIFY_AUDIENCE_ROWS 5000
#define CRM_NOTIFY_USAGE_MS 30000
#define CRM_NOTIFY_USAGE_WARN 0.5
/* A fetch the pool refused (queue full) runs again after this; one that
 * failed otherwise (the database away) after the longer wait. */
#define CRM_EVENTS_RETRY_MS 50
#define CRM_EVENTS_RETRY_ERROR_MS 1000
/* Events one fetch reads for one connection: the connection's queue. */
#define CRM_EVENTS_BATCH 100

struct crm_server;
struct crm_job;

/* A position in the outbox (docs/events.md): (transaction id, sequence). */
typedef struct crm_event_pos {
	uint64_t xid;
	uint64_t seq;
} crm_event_pos;

/* -1, 0, 1 as a is before, at, after b. */
int crm_event_pos_cmp(crm_event_pos a, crm_event_pos b);

/* Who the outbox rows in (from, to] concern (crm.events_audience), as the
 * events thread hands it to the I/O threads: users sorted by id, each
 * with the position of their last such row; a user not listed has no row
 * there. Immutable once handed over; reference-counted, freed by the last
 * crm_audience_unref (any thread). */
typedef struct crm_audience {
	atomic_int refs;
	crm_event_pos from, to;
	size_t n;
	struct crm_audience_user {
		int64_t user_id;
		crm_event_pos last;
	} users[];
} crm_audience;

void crm_audience_unref(crm_audience *a);
/* The user's last position in a, or NULL when a has none of theirs. */
const crm_event_pos *crm_audience_find(const crm_audience *a, int64_t user_id);

/* Starts the LISTEN thread (main thread, after the pool and the I/O
 * threads). */
bool crm_notify_start(struct crm_server *srv, crm_err *err) CRM_MUSTCHECK;
/* Stops and joins it (main thread, before the pool stops). */
void crm_notify_stop(struct crm_server *srv);

/* Worker threads: reads the events of job's connection after job->ev_pos
 * as its user (row-level security re-checks that the user can still see
 * each record) and packs one Event frame per event into job->out; sets
 * job->ev_pos to the new position, job->ev_more when the batch was full,
 * and job->status. */
void crm_events_fetch(crm_db *db, struct crm_job *job);

#endif
