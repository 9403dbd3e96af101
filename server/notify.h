/*
 * notify: change events across crmd instances (docs/events.md).
 *
 * One thread per crmd owns one dedicated libpq connection (as db_app)
 * that does nothing but LISTEN crm_events: never a worker's, never inside
 * a transaction. It waits in poll() on that connection's socket with a
 * one-second timeout, so the I/O loops never wait on it. On a
 * notification, after it (re)connected, and every CRM_NOTIFY_POLL_MS when
 * crm.events_head() moved (the fallback: an event held back by an older
 * transaction becomes deliverable when that one ends, which may notify
 * nothing), it tells every I/O thread to let its subscribed connections
 * fetch (crm_io_events). Each second it
 * queues the scheduler's poll (CRM_JOB_SCHEDULE) unless one is still
 * queued or running, and every CRM_NOTIFY_USAGE_MS it reads
 * pg_notification_queue_usage() and logs it when above
 * CRM_NOTIFY_USAGE_WARN. A lost connection is reconnected with a backoff
 * doubling from 100 ms to 10 s.
 */
#ifndef CRM_NOTIFY_H
#define CRM_NOTIFY_H

#include <stdbool.h>

#include "crm_status.h"
#include "db.h"

#define CRM_NOTIFY_CHANNEL "crm_events"
#define CRM_NOTIFY_POLL_MS 2000
#define CRM_NOTIFY_POLL_ALL 15 /* every 15th poll wakes everyone anyway */
#define CRM_NOTIFY_USAGE_MS 30000
#define CRM_NOTIFY_USAGE_WARN 0.5
/* Events one fetch reads for one connection: the connection's queue. */
#define CRM_EVENTS_BATCH 100

struct crm_server;
struct crm_job;

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
