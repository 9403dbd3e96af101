/* bench_events: crm-bench's events workload (bench_events.c). */
#ifndef CRM_BENCH_EVENTS_H
#define CRM_BENCH_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "crmclient.h"

struct bench_events_params {
	const crm_client_options *conn; /* with the session token of the user */
	int watchers;			/* subscribed connections */
	/* NULL: every connection is the user of conn's token, and that user
	 * watches every record; else watcher i resumes tokens[i] and watches
	 * watch_per records of the range, those its user may see */
	const char *const *tokens;
	int watch_per;
	Crm__RecordType type;
	int64_t id_min, id_max; /* the records watched and written */
	double rate;		/* updates per second */
	int warmup_s, duration_s, drain_s;
};

struct bench_events_result {
	long watches;	      /* (connection, record) pairs watched */
	long writes;	      /* updates committed inside the measured window */
	long expected;	      /* sum over those writes of the record's watchers */
	long received;	      /* their events received by the end of the drain */
	long dropped;	      /* EventsDropped frames */
	long errors;	      /* failed updates and connections */
	double p50_ms, p95_ms, p99_ms, max_ms; /* update sent -> event received */
	char first_error[320];
};

/* Watches --ids as the user, opens p->watchers connections that subscribe,
 * then updates the records in turn at p->rate for warmup + duration and
 * measures, for every update of the measured window and every watcher,
 * the time from the update being sent to its event arriving. Returns
 * false on a set-up failure (message in res->first_error). */
bool bench_events_run(const struct bench_events_params *p, struct bench_events_result *res);

#endif
