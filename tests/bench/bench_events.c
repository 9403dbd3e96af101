/*
 * bench_events: crm-bench's `events` workload (docs/benchmarks.md,
 * docs/events.md).
 *
 * The user watches the records of --ids (WatchAdd; one already watched is
 * fine) and opens --connections connections that each Subscribe from the
 * head. One more connection, the writer, updates those records in turn,
 * open loop at --rate updates a second (a record's next update waits for
 * its previous reply, so two never race for a version). Every update is
 * pushed to every subscribed connection: latency runs from the moment the
 * update was sent to the moment its event arrives on a watcher, so it
 * includes the update itself, the commit, the NOTIFY, crmd's fetch as the
 * user and the send. All connections share one thread and one poll().
 * After the window the writer stops and the watchers drain for a few
 * seconds; events of measured updates that never arrive are counted as
 * missing (expected - received).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_events.h"

#define MAX_LAT (8u << 20)

struct slot {
	int64_t version;   /* the record's version as last read or written */
	int64_t sent_us;   /* when the last update was sent */
	int64_t v_before;  /* the version that update was sent with */
	bool busy, counted;
};

static struct {
	const struct bench_events_params *p;
	struct bench_events_result *res;
	struct slot *slots;
	int *watchers_of; /* per record: how many connections watch it */
	long n_slots;
	uint32_t *lat_us;
	size_t n_lat;
	int64_t t_measure, t_end;
} B;

static int64_t mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fail(const char *what, const crm_err *err) {
	B.res->errors++;
	if (!B.res->first_error[0])
		snprintf(B.res->first_error, sizeof(B.res->first_error), "%s: %s: %s", what,
			 crm_status_name(err->code) ? crm_status_name(err->code) : "?", err->msg);
}

static int64_t record_version(const Crm__ServerFrame *reply) {
	const Crm__Record *r = reply && reply->response ? reply->response->record : NULL;
	const Crm__RecordMeta *m = NULL;

	if (r && r->kind_case == CRM__RECORD__KIND_ACCOUNT)
		m = r->account->meta;
	if (r && r->kind_case == CRM__RECORD__KIND_CONTACT)
		m = r->contact->meta;
	return m && m->has_version ? m->version : 0;
}

/* An event on a watcher: an update of ours, sent with a version below the
 * event's, is answered. Events of earlier updates of the same record (the
 * slot has moved on) and of other changes are not measured. */
static void on_event(crm_client *c, const Crm__Event *ev, void *ud) {
	int64_t now = mono_us();
	const Crm__RecordEvent *re;
	long slot;

	(void)c;
	(void)ud;
	if (ev->kind_case == CRM__EVENT__KIND_DROPPED) {
		B.res->dropped++;
		return;
	}
	if (ev->kind_case != CRM__EVENT__KIND_RECORD || (re = ev->record) == NULL || !re->has_id ||
	    !re->has_version || re->type != B.p->type)
		return;
	slot = (long)(re->id - B.p->id_min);
	if (slot < 0 || slot >= B.n_slots)
		return;
	if (!B.slots[slot].counted || re->version <= B.slots[slot].v_before)
		return;
	B.res->received++;
	if (B.n_lat < MAX_LAT)
		B.lat_us[B.n_lat++] = (uint32_t)(now - B.slots[slot].sent_us);
}

static void on_update(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	struct slot *s = ud;

	(void)c;
	s->busy = false;
	if (err && crm_err_isset(err)) {
		fail("update", err);
		s->counted = false;
		s->version = 0;
	} else {
		s->version = record_version(reply);
		if (s->counted) { /* its events are expected once it committed */
			B.res->writes++;
			B.res->expected += B.watchers_of[s - B.slots];
		}
	}
	crm_client_reply_free(reply);
}

static ProtobufCBinaryData bin(const char *s) {
	return (ProtobufCBinaryData){strlen(s), (uint8_t *)s};
}

static void send_update(crm_client *w, long slot, uint64_t seq) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordUpdate u = CRM__RECORD_UPDATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Account a = CRM__ACCOUNT__INIT;
	Crm__Contact ct = CRM__CONTACT__INIT;
	struct slot *s = &B.slots[slot];
	char text[64];
	crm_err err;

	/* a new text each time, also across runs: an unchanged row writes
	 * no audit row, so no event */
	snprintf(text, sizeof(text), "crm-bench events %lld-%llu", (long long)time(NULL),
		 (unsigned long long)seq);
	u.has_id = u.has_version = true;
	u.id = B.p->id_min + slot;
	u.version = s->version;
	if (B.p->type == CRM__RECORD_TYPE__RECORD_TYPE_CONTACT) {
		ct.has_description = true;
		ct.description = bin(text);
		rec.kind_case = CRM__RECORD__KIND_CONTACT;
		rec.contact = &ct;
	} else {
		a.has_description = true;
		a.description = bin(text);
		rec.kind_case = CRM__RECORD__KIND_ACCOUNT;
		rec.account = &a;
	}
	u.changes = &rec;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
	f.record_update = &u;
	s->sent_us = mono_us();
	s->v_before = s->version;
	s->counted = s->sent_us >= B.t_measure && s->sent_us < B.t_end;
	s->busy = true;
	crm_err_clear(&err);
	if (!crm_client_send_async(w, &f, on_update, s, &err)) {
		s->busy = false;
		s->counted = false;
		fail("update", &err);
	}
}

/* One blocking call on the writer during set-up. */
static bool setup_call(crm_client *w, Crm__ClientFrame *f, Crm__ServerFrame **reply, const char *what) {
	crm_err err;

	crm_err_clear(&err);
	*reply = NULL;
	if (crm_client_call(w, f, reply, &err))
		return true;
	fail(what, &err);
	return false;
}

/* The writer reads every record's version before the run. */
static bool read_versions(crm_client *w) {
	for (long i = 0; i < B.n_slots; i++) {
		Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
		Crm__RecordGet g = CRM__RECORD_GET__INIT;
		Crm__ServerFrame *reply = NULL;

		g.has_type = g.has_id = true;
		g.type = B.p->type;
		g.id = B.p->id_min + i;
		f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
		f.record_get = &g;
		if (!setup_call(w, &f, &reply, "get"))
			return false;
		B.slots[i].version = record_version(reply);
		crm_client_reply_free(reply);
	}
	return true;
}

static int cmp_u32(const void *a, const void *b) {
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(size_t n, double p) {
	return n ? B.lat_us[(size_t)(p / 100.0 * (double)(n - 1))] / 1000.0 : 0;
}

/* Polls every connection once for up to timeout_ms; false if one broke. */
static bool pump(crm_client **all, struct pollfd *pfd, int n, int timeout_ms) {
	for (int i = 0; i < n; i++) {
		pfd[i].fd = crm_client_fd(all[i]);
		pfd[i].events = crm_client_events(all[i]);
		pfd[i].revents = 0;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		return false;
	for (int i = 0; i < n; i++) {
		crm_err err;

		crm_err_clear(&err);
		if ((pfd[i].revents || crm_client_pending(all[i])) &&
		    !crm_client_process(all[i], pfd[i].revents, &err)) {
			fail(i == 0 ? "writer connection" : "watcher connection", &err);
			return false;
		}
	}
	return true;
}

/* Whether an update is still waiting for its reply. */
static bool pending_updates_left(const struct slot *slots, long n) {
	for (long i = 0; i < n; i++)
		if (slots[i].busy)
			return true;
	return false;
}

/* A connection's set-up: its watches one at a time (each user its own;
 * with one user for all, the first connection adds every watch), then
 * Subscribe. At most SETUP_PARALLEL connections are in set-up at once,
 * and a RESOURCE_EXHAUSTED ("busy") is tried again 20 ms later: crmd's
 * queue is bounded, and 1,000 connections asking at once would fill it. */
#define SETUP_PARALLEL 16

struct watcher {
	crm_client *c;
	int index;
	int phase;	/* 0 not started, 1 watching, 2 subscribing, 3 subscribed */
	int next;	/* next watch to add */
	int n_watch;	/* watches to add */
	bool inflight;
	int64_t retry_at;
	long slot;	/* the record of the watch in flight */
};

static struct watcher *W;
static int setup_active, setup_done;

static long watch_slot(const struct watcher *w, int j) {
	if (B.p->tokens == NULL) /* one user: the first connection watches every record */
		return j;
	return (long)(((int64_t)w->index * B.p->watch_per + j) % B.n_slots);
}

static void watcher_step(struct watcher *w);

static void on_setup_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	struct watcher *w = ud;
	bool failed = err && crm_err_isset(err);

	(void)c;
	w->inflight = false;
	crm_client_reply_free(reply);
	if (failed && err->code == CRM_RESOURCE_EXHAUSTED) {
		w->retry_at = mono_us() + 20000;
		return;
	}
	if (w->phase == 1) {
		/* a record this user cannot see is NOT_FOUND: not watched */
		if (!failed || err->code == CRM_ALREADY_EXISTS) {
			if (B.p->tokens == NULL)
				B.watchers_of[w->slot] = B.p->watchers;
			else
				B.watchers_of[w->slot]++;
		} else if (err->code != CRM_NOT_FOUND) {
			fail("watch add", err);
		}
		w->next++;
	} else if (w->phase == 2) {
		if (failed)
			fail("subscribe", err);
		w->phase = 3;
		setup_active--;
		setup_done++;
		return;
	}
	watcher_step(w);
}

static void watcher_step(struct watcher *w) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__WatchAdd wa = CRM__WATCH_ADD__INIT;
	Crm__Subscribe sub = CRM__SUBSCRIBE__INIT;
	crm_err err;

	if (w->phase == 0) {
		w->phase = 1;
		setup_active++;
	}
	if (w->phase == 1 && w->next >= w->n_watch)
		w->phase = 2;
	if (w->phase == 1) {
		w->slot = watch_slot(w, w->next);
		wa.has_type = wa.has_id = true;
		wa.type = B.p->type;
		wa.id = B.p->id_min + w->slot;
		f.request_case = CRM__CLIENT_FRAME__REQUEST_WATCH_ADD;
		f.watch_add = &wa;
	} else {
		crm_client_set_event_cb(w->c, on_event, NULL);
		f.request_case = CRM__CLIENT_FRAME__REQUEST_SUBSCRIBE;
		f.subscribe = &sub;
	}
	crm_err_clear(&err);
	w->inflight = crm_client_send_async(w->c, &f, on_setup_reply, w, &err);
	if (!w->inflight) {
		fail(w->phase == 1 ? "watch add" : "subscribe", &err);
		w->phase = 3;
		setup_active--;
		setup_done++;
	}
}

bool bench_events_run(const struct bench_events_params *p, struct bench_events_result *res) {
	int n = p->watchers + 1;
	crm_client **all = calloc((size_t)n, sizeof(*all));
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	bool ok = false;
	int64_t next_due, interval, t0;
	uint64_t seq = 0;
	long rr = 0;

	memset(res, 0, sizeof(*res));
	memset(&B, 0, sizeof(B));
	B.p = p;
	B.res = res;
	B.n_slots = (long)(p->id_max - p->id_min + 1);
	B.slots = calloc((size_t)B.n_slots, sizeof(*B.slots));
	B.watchers_of = calloc((size_t)B.n_slots, sizeof(*B.watchers_of));
	B.lat_us = malloc(MAX_LAT * sizeof(uint32_t));
	for (int i = 0; i < n; i++) {
		crm_err err;

		crm_err_clear(&err);
		crm_client_options o = *p->conn;

		if (i > 0 && p->tokens)
			o.session_token = p->tokens[i - 1];
		if ((all[i] = crm_client_connect(&o, &err)) == NULL) {
			fail(i == 0 ? "writer connect" : "watcher connect", &err);
			goto out;
		}
	}
	if (!read_versions(all[0]))
		goto out;
	W = calloc((size_t)p->watchers, sizeof(*W));
	for (int i = 0; i < p->watchers; i++) {
		W[i].c = all[i + 1];
		W[i].index = i;
		W[i].n_watch = p->tokens ? p->watch_per : (i == 0 ? (int)B.n_slots : 0);
	}
	t0 = mono_us();
	for (int started = 0; setup_done < p->watchers && mono_us() - t0 < 600000000;) {
		int64_t now = mono_us();

		while (started < p->watchers && setup_active < SETUP_PARALLEL &&
		       (p->tokens != NULL || started == 0 || W[0].phase == 3))
			watcher_step(&W[started++]);
		for (int i = 0; i < started; i++)
			if (W[i].phase > 0 && W[i].phase < 3 && !W[i].inflight && W[i].retry_at &&
			    W[i].retry_at <= now) {
				W[i].retry_at = 0;
				watcher_step(&W[i]);
			}
		if (!pump(all, pfd, n, 10))
			goto out;
	}
	if (setup_done < p->watchers || res->errors)
		goto out;
	for (long i = 0; i < B.n_slots; i++)
		res->watches += B.watchers_of[i];
	fprintf(stderr, "crm-bench: %d connections subscribed, %ld watches on %ld records, in %.1f s\n",
		p->watchers, res->watches, B.n_slots, (double)(mono_us() - t0) / 1e6);

	B.t_measure = mono_us() + (int64_t)p->warmup_s * 1000000;
	B.t_end = B.t_measure + (int64_t)p->duration_s * 1000000;
	interval = (int64_t)(1e6 / (p->rate > 0 ? p->rate : 1));
	next_due = mono_us();
	for (;;) {
		int64_t now = mono_us();
		int timeout;

		if (now >= B.t_end)
			break;
		while (next_due <= now) { /* what is due: the next idle record */
			for (long tries = 0; tries < B.n_slots; tries++) {
				long slot = rr++ % B.n_slots;
				if (!B.slots[slot].busy && B.slots[slot].version > 0) {
					send_update(all[0], slot, ++seq);
					break;
				}
			}
			next_due += interval;
		}
		timeout = (int)((next_due - now + 999) / 1000);
		if (!pump(all, pfd, n, timeout < 0 ? 0 : timeout))
			goto out;
	}
	/* drain: the window's last updates and their events */
	t0 = mono_us();
	while (mono_us() - t0 < (int64_t)p->drain_s * 1000000 &&
	       (res->received < res->expected || pending_updates_left(B.slots, B.n_slots)))
		if (!pump(all, pfd, n, 50))
			goto out;
	qsort(B.lat_us, B.n_lat, sizeof(uint32_t), cmp_u32);
	res->p50_ms = pct(B.n_lat, 50);
	res->p95_ms = pct(B.n_lat, 95);
	res->p99_ms = pct(B.n_lat, 99);
	res->max_ms = B.n_lat ? B.lat_us[B.n_lat - 1] / 1000.0 : 0;
	ok = true;
out:
	for (int i = 0; i < n; i++)
		crm_client_free(all[i]);
	free(all);
	free(pfd);
	free(B.slots);
	free(B.watchers_of);
	free(B.lat_us);
	free(W);
	W = NULL;
	setup_active = setup_done = 0;
	return ok;
}
