/*
 * crm-bench: load generator for crmd on libcrmclient.
 *
 *   crm-bench --server HOST:PORT --ca FILE --workload W [options]
 *
 * Workloads:
 *   ping        Ping answered by crmd's I/O thread (no database)
 *   deep-ping   Ping{deep}: session check, acting user, a trivial query,
 *               commit: the cost of the smallest authenticated request
 *   connect     full TCP + TLS handshake + hello + resume by token, then close
 *   login       password logins (argon2id verification on crmd's auth pool)
 *   idle        opens --connections authenticated connections (resumed by
 *               token, not N logins) and holds them for --duration
 *   argon2      no server: the in-process argon2id verification rate with
 *               the same parameters, on --threads threads (the ceiling for
 *               `login`)
 *   get         RecordGet of random ids in --ids FROM-TO (--type, default
 *               account)
 *   list        one filtered, sorted RecordList page (--filter FIELD=VALUE,
 *               --sort FIELD, --page-size N): page 1, or with --page N the
 *               N-th page, whose cursor is found once, before measuring, by
 *               paging through the records before it
 *   write       RecordUpdate of a record's description (a new text each
 *               time) with the version it read. Each connection owns the ids
 *               of --ids congruent to its number, so no two requests race
 *               for a record and a CONFLICT is a real error, and walks them
 *               in turn. Before measuring, every id's version is read with
 *               RecordGet (all connections, --depth in flight); then each
 *               update's reply gives the next version. After an error the
 *               id's version is read again (a RecordGet not measured).
 *   audit       the first page of AuditList (--page-size N, default 50)
 *               as the user logged in: an admin reads the trail newest
 *               first, anyone else the history of what they may see
 *   attach      a file of --file-size MiB uploaded whole and downloaded
 *               whole, again and again, to the account --ids FROM names,
 *               on one connection, --duration each; with --db DSN also the
 *               same chunks written and read straight through libpq
 *               (bench_attach.c). Prints MiB/s of each.
 *   timeline    the first page of TimelineList (--page-size N, default 50)
 *               of one record, --ids ID (--type, default account): its
 *               interactions, tasks and changes, newest first
 *   events      --connections connections subscribe to change events;
 *               one more, as --user, updates the records of --ids in turn
 *               at --rate updates/s (default 20); latency from an update
 *               sent to its event received, over every watcher, and the
 *               events that never arrived (bench_events.c). Watchers are
 *               --user's connections, and that user watches every record;
 *               with --sessions datagen:SEED connection i resumes
 *               crm-datagen's session i (a user of its own up to 1,000)
 *               and watches --watch-per records of --ids that its user may
 *               see
 *
 * Closed loop by default: every connection keeps --depth requests in
 * flight. With --rate R the load is open loop: R requests per second in
 * all, spread evenly, latency counted from when each request was due (so a
 * slow server is not hidden by a client that waits for it).
 *
 * Prints requests/s, latency percentiles and errors by status, as a table
 * or with --format json. Raises its own file-descriptor limit.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_attach.h"
#include "bench_events.h"
#include "crmclient.h"

#define MAX_SAMPLES (4u << 20)

typedef enum {
	W_PING,
	W_DEEP_PING,
	W_CONNECT,
	W_LOGIN,
	W_IDLE,
	W_ARGON2,
	W_GET,
	W_LIST,
	W_WRITE,
	W_AUDIT,
	W_ATTACH,
	W_TIMELINE,
	W_EVENTS
} workload;

static const char *const workload_names[] = {"ping", "deep-ping", "connect", "login", "idle",
					     "argon2", "get",	    "list",    "write",	"audit",
					     "attach", "timeline", "events"};

#define MAX_FILTERS 4

static struct {
	const char *server, *ca, *user, *password, *token, *format;
	workload w;
	int connections, depth, threads, duration_s, warmup_s;
	double rate;
	int argon2_mem_kib, argon2_iter;
	/* records */
	Crm__RecordType type;
	long long id_min, id_max;
	const char *filter[MAX_FILTERS], *sort;
	int n_filters, page, page_size;
	/* attach */
	int file_mib;
	const char *db;
	/* events */
	long long datagen_seed; /* -1: no --sessions */
	int watch_per;
} opt = {.file_mib = 8, .connections = 8, .depth = 1, .threads = 1, .duration_s = 10, .format = "table",
	 .argon2_mem_kib = 19456, .argon2_iter = 2, .type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT,
	 .page = 1, .page_size = 50, .datagen_seed = -1, .watch_per = 3};

struct thread_state;

/* One connection of a request workload. */
typedef struct conn {
	crm_client *c;
	struct thread_state *t;
	int index;     /* 0 .. connections-1 over all threads */
	long walk;     /* write: next position in this connection's share of the ids */
	uint64_t seq;  /* write: numbers the descriptions it writes */
} conn;

typedef struct thread_state {
	int index;
	pthread_t tid;
	uint32_t *lat_us; /* samples */
	size_t n_lat;
	uint64_t ok, errors[16], prep;
	char first_error[320];
	conn *conns;
	int n_clients;
	double rate; /* this thread's share, open loop */
	uint64_t rng;
} thread_state;

static volatile int stop_flag;
static int64_t t_start_us, t_measure_us, t_end_us;

static int64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A request answered: counted when it is answered within the measured
 * window, whenever it was sent (throughput is what the window completes;
 * leaving out what was sent during the warm-up would undercount requests
 * slower than a fraction of the window, and count none of those slower
 * than all of it). Its latency runs from began. */
static void record(thread_state *t, int64_t began, const crm_err *err) {
	int64_t now = now_us();

	if (now < t_measure_us || now > t_end_us)
		return; /* warm-up or after the end */
	if (err && crm_err_isset(err)) {
		t->errors[err->code < 16 ? err->code : 0]++;
		if (!t->first_error[0])
			snprintf(t->first_error, sizeof(t->first_error), "%s: %s",
				 crm_status_name(err->code) ? crm_status_name(err->code) : "?",
				 err->msg);
		return;
	}
	t->ok++;
	if (t->n_lat < MAX_SAMPLES)
		t->lat_us[t->n_lat++] = (uint32_t)(now - began);
}

static void options_for(crm_client_options *o, const char *token) {
	crm_client_options_init(o);
	o->server = opt.server;
	o->ca_file = opt.ca;
	o->client_name = "crm-bench";
	o->session_token = token;
	o->request_timeout_ms = 60000;
}

/* Logs in once and returns the token (malloc'd). */
static char *get_token(void) {
	crm_client_options o;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__Login l = CRM__LOGIN__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_client *c;
	crm_err err;
	char *tok = NULL;

	if (opt.token)
		return strdup(opt.token);
	if (!opt.user || !opt.password) {
		fprintf(stderr, "crm-bench: this workload needs --user and --password-file (or --token)\n");
		exit(2);
	}
	crm_err_clear(&err);
	options_for(&o, NULL);
	if ((c = crm_client_connect(&o, &err)) == NULL) {
		fprintf(stderr, "crm-bench: connect: %s\n", err.msg);
		exit(1);
	}
	l.has_username = l.has_password = true;
	l.username.data = (uint8_t *)opt.user;
	l.username.len = strlen(opt.user);
	l.password.data = (uint8_t *)opt.password;
	l.password.len = strlen(opt.password);
	f.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
	f.login = &l;
	if (!crm_client_call(c, &f, &reply, &err)) {
		fprintf(stderr, "crm-bench: login: %s\n", err.msg);
		exit(1);
	}
	tok = strdup(reply->response->login->token);
	crm_client_reply_free(reply);
	crm_client_free(c);
	return tok;
}

/* ---------------------------------------------------------------- records */

static Crm__RecordList list_req = CRM__RECORD_LIST__INIT;
static Crm__ListPage list_page = CRM__LIST_PAGE__INIT;
static Crm__Filter list_filters[MAX_FILTERS];
static Crm__Filter *list_filter_ptrs[MAX_FILTERS];
static ProtobufCBinaryData list_values[MAX_FILTERS];
static Crm__Sort list_sort = CRM__SORT__INIT;
static Crm__Sort *list_sort_ptr = &list_sort;
static Crm__AuditList audit_req = CRM__AUDIT_LIST__INIT;
static Crm__TimelineList timeline_req = CRM__TIMELINE_LIST__INIT;

/* write: the version last read of each id in --ids (0: not known yet) and
 * whether a request for it is in flight. Each id belongs to one
 * connection, so to one thread. */
static int64_t *versions;
static uint8_t *busy;

static ProtobufCBinaryData bin(const char *s) {
	return (ProtobufCBinaryData){strlen(s), (uint8_t *)s};
}

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void build_list(void) {
	for (int i = 0; i < opt.n_filters; i++) {
		const char *eq = strchr(opt.filter[i], '=');
		char *field = strndup(opt.filter[i], (size_t)(eq - opt.filter[i]));

		crm__filter__init(&list_filters[i]);
		list_filters[i].has_field = list_filters[i].has_op = true;
		list_filters[i].field = bin(field);
		list_filters[i].op = CRM__FILTER_OP__FILTER_OP_EQ;
		list_values[i] = bin(eq + 1);
		list_filters[i].n_values = 1;
		list_filters[i].values = &list_values[i];
		list_filter_ptrs[i] = &list_filters[i];
	}
	list_req.has_type = true;
	list_req.type = opt.type;
	list_req.n_filters = (size_t)opt.n_filters;
	list_req.filters = list_filter_ptrs;
	if (opt.sort == NULL)
		opt.sort = opt.type == CRM__RECORD_TYPE__RECORD_TYPE_CONTACT ? "display_name" : "name";
	list_sort.has_field = true;
	list_sort.field = bin(opt.sort[0] == '-' ? opt.sort + 1 : opt.sort);
	list_sort.has_desc = opt.sort[0] == '-';
	list_sort.desc = opt.sort[0] == '-';
	list_req.n_sort = 1;
	list_req.sort = &list_sort_ptr;
	list_page.has_limit = true;
	list_page.limit = (uint32_t)opt.page_size;
	list_req.page = &list_page;
}

/* Finds the cursor of page --page once, before measuring: the measured
 * request then asks for that page again and again. A cursor holds the
 * last row's sort key, not the page size, so the rows before the page
 * are skipped in pages of up to 500. */
static void find_page(const char *token) {
	crm_client_options o;
	crm_client *c;
	crm_err err;
	int64_t t0 = now_us();
	long skip = (long)(opt.page - 1) * opt.page_size, done = 0;
	int requests = 0;

	if (skip == 0)
		return;
	crm_err_clear(&err);
	options_for(&o, token);
	if ((c = crm_client_connect(&o, &err)) == NULL) {
		fprintf(stderr, "crm-bench: connect: %s\n", err.msg);
		exit(1);
	}
	while (done < skip) {
		Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
		Crm__ServerFrame *reply = NULL;
		const Crm__RecordListReply *l;

		list_page.limit = (uint32_t)(skip - done > 500 ? 500 : skip - done);
		f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
		f.record_list = &list_req;
		if (!crm_client_call(c, &f, &reply, &err)) {
			fprintf(stderr, "crm-bench: list after %ld records: %s: %s\n", done,
				crm_status_name(err.code) ? crm_status_name(err.code) : "?", err.msg);
			exit(1);
		}
		l = reply->response->record_list;
		requests++;
		done += l ? (long)l->n_records : 0;
		if (l == NULL || !l->has_next_cursor || l->next_cursor.len == 0) {
			fprintf(stderr, "crm-bench: the list ends after %ld records: no page %d of %d\n",
				done, opt.page, opt.page_size);
			exit(1);
		}
		free(list_page.cursor.data);
		list_page.cursor.data = malloc(l->next_cursor.len);
		memcpy(list_page.cursor.data, l->next_cursor.data, l->next_cursor.len);
		list_page.cursor.len = l->next_cursor.len;
		list_page.has_cursor = true;
		crm_client_reply_free(reply);
	}
	list_page.limit = (uint32_t)opt.page_size;
	crm_client_free(c);
	fprintf(stderr, "crm-bench: skipped %ld records to page %d in %d requests, %.1f s\n", done,
		opt.page, requests, (double)(now_us() - t0) / 1e6);
}

/* write: this connection's next id that has no request in flight; -1 if
 * all of them have one. */
static long next_slot(conn *k) {
	long count = (long)(opt.id_max - opt.id_min + 1);
	long share = (count - k->index + opt.connections - 1) / opt.connections;

	for (long tries = 0; tries < share; tries++) {
		long slot = k->index + (k->walk++ % share) * opt.connections;
		if (!busy[slot])
			return slot;
	}
	return -1;
}

static int64_t reply_version(const Crm__ServerFrame *reply) {
	const Crm__Record *r = reply && reply->response ? reply->response->record : NULL;

	const Crm__RecordMeta *m = NULL;

	if (r && r->kind_case == CRM__RECORD__KIND_ACCOUNT)
		m = r->account->meta;
	if (r && r->kind_case == CRM__RECORD__KIND_CONTACT)
		m = r->contact->meta;
	return m && m->has_version ? m->version : 0;
}

/* write: before measuring, reads the version of every id (RecordGet,
 * --depth in flight on every connection), so the measured loop sends
 * updates only. */
static long prefetch_pending, prefetch_failed;
static char prefetch_error[320];

typedef struct pref {
	conn *k;
	long slot, next; /* next: this connection's next position in its share */
} pref;

static void prefetch_send(pref *p);

static void on_version(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	pref *p = ud;

	(void)c;
	if (err && crm_err_isset(err)) {
		prefetch_failed++;
		if (!prefetch_error[0])
			snprintf(prefetch_error, sizeof(prefetch_error), "id %lld: %s: %s",
				 opt.id_min + p->slot,
				 crm_status_name(err->code) ? crm_status_name(err->code) : "?", err->msg);
	} else {
		versions[p->slot] = reply_version(reply);
	}
	crm_client_reply_free(reply);
	prefetch_send(p);
}

static void prefetch_send(pref *p) {
	long count = (long)(opt.id_max - opt.id_min + 1);
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet g = CRM__RECORD_GET__INIT;
	crm_err err;

	p->slot = p->k->index + p->next * opt.connections;
	if (p->slot >= count) {
		prefetch_pending--;
		free(p);
		return;
	}
	p->next += opt.depth;
	g.has_type = g.has_id = true;
	g.type = opt.type;
	g.id = opt.id_min + p->slot;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	f.record_get = &g;
	crm_err_clear(&err);
	if (!crm_client_send_async(p->k->c, &f, on_version, p, &err)) {
		fprintf(stderr, "crm-bench: reading versions: %s\n", err.msg);
		exit(1);
	}
}

static void prefetch_versions(thread_state *ts) {
	int64_t t0 = now_us();
	struct pollfd *pfd = calloc((size_t)opt.connections, sizeof(*pfd));
	conn **all = calloc((size_t)opt.connections, sizeof(*all));
	int n = 0;

	for (int i = 0; i < opt.threads; i++)
		for (int j = 0; j < ts[i].n_clients; j++)
			all[n++] = &ts[i].conns[j];
	for (int i = 0; i < n; i++)
		for (int d = 0; d < opt.depth; d++) {
			pref *p = calloc(1, sizeof(*p));
			p->k = all[i];
			p->next = d;
			prefetch_pending++;
			prefetch_send(p);
		}
	while (prefetch_pending > 0) {
		for (int i = 0; i < n; i++) {
			pfd[i].fd = crm_client_fd(all[i]->c);
			pfd[i].events = crm_client_events(all[i]->c);
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			crm_err err;
			crm_err_clear(&err);
			if (!crm_client_process(all[i]->c, pfd[i].revents, &err)) {
				fprintf(stderr, "crm-bench: reading versions: %s\n", err.msg);
				exit(1);
			}
		}
	}
	free(pfd);
	free(all);
	fprintf(stderr, "crm-bench: read the versions of %lld records in %.1f s", opt.id_max - opt.id_min + 1,
		(double)(now_us() - t0) / 1e6);
	if (prefetch_failed)
		fprintf(stderr, "; %ld failed (%s)", prefetch_failed, prefetch_error);
	fprintf(stderr, "\n");
}

/* ---------------------------------------------------------------- request loop */

typedef struct inflight {
	thread_state *t;
	conn *k;
	int64_t began;
	long slot;  /* write: the id's index in --ids; -1 otherwise */
	bool prep;  /* write: the RecordGet that learns a version (not measured) */
} inflight;

static void send_one(thread_state *t, conn *k, int64_t due);
static void send_frame(inflight *fl, Crm__ClientFrame *f);
static void send_update(inflight *fl);

static void on_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	inflight *f = ud;
	thread_state *t = f->t;
	bool failed = err && crm_err_isset(err);
	conn *k;

	(void)c;
	if (f->prep) { /* write: version learnt; now the measured update */
		t->prep++;
		if (!failed && (versions[f->slot] = reply_version(reply)) > 0) {
			if (!stop_flag) {
				crm_client_reply_free(reply);
				f->prep = false;
				if (opt.rate <= 0)
					f->began = now_us();
				send_update(f);
				return;
			}
		} else if (!failed) { /* a reply without a version: the server's error */
			crm_err e;
			crm_err_clear(&e);
			crm_err_set(&e, CRM_INTERNAL, NULL, "RecordGet reply without a version");
			record(t, f->began, &e);
		} else {
			record(t, f->began, err);
		}
	} else {
		record(t, f->began, err);
		if (f->slot >= 0) {
			int64_t v = failed ? 0 : reply_version(reply);
			versions[f->slot] = v; /* 0 after an error: read it again */
		}
	}
	if (f->slot >= 0)
		busy[f->slot] = 0;
	crm_client_reply_free(reply);
	k = f->k;
	free(f);
	if (!stop_flag && opt.rate <= 0)
		send_one(t, k, now_us());
}

static void send_frame(inflight *fl, Crm__ClientFrame *f) {
	crm_err err;

	crm_err_clear(&err);
	if (!crm_client_send_async(fl->k->c, f, on_reply, fl, &err)) {
		record(fl->t, fl->began, &err);
		if (fl->slot >= 0)
			busy[fl->slot] = 0;
		free(fl);
	}
}

static void send_get(inflight *fl, int64_t id) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet g = CRM__RECORD_GET__INIT;

	g.has_type = g.has_id = true;
	g.type = opt.type;
	g.id = id;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	f.record_get = &g;
	send_frame(fl, &f);
}

static void send_update(inflight *fl) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordUpdate u = CRM__RECORD_UPDATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Account a = CRM__ACCOUNT__INIT;
	Crm__Contact c = CRM__CONTACT__INIT;
	char text[96];

	/* a new text each time: an unchanged row writes no audit row */
	snprintf(text, sizeof(text), "crm-bench %d-%llu", fl->k->index,
		 (unsigned long long)++fl->k->seq);
	u.has_id = u.has_version = true;
	u.id = opt.id_min + fl->slot;
	u.version = versions[fl->slot];
	if (opt.type == CRM__RECORD_TYPE__RECORD_TYPE_CONTACT) {
		c.has_description = true;
		c.description = bin(text);
		rec.kind_case = CRM__RECORD__KIND_CONTACT;
		rec.contact = &c;
	} else {
		a.has_description = true;
		a.description = bin(text);
		rec.kind_case = CRM__RECORD__KIND_ACCOUNT;
		rec.account = &a;
	}
	u.changes = &rec;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
	f.record_update = &u;
	send_frame(fl, &f);
}

static void send_one(thread_state *t, conn *k, int64_t due) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__Ping p = CRM__PING__INIT;
	Crm__Login l = CRM__LOGIN__INIT;
	inflight *fl = calloc(1, sizeof(*fl));

	fl->t = t;
	fl->k = k;
	fl->began = due;
	fl->slot = -1;
	switch (opt.w) {
	case W_LOGIN:
		l.has_username = l.has_password = true;
		l.username = bin(opt.user);
		l.password = bin(opt.password);
		f.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
		f.login = &l;
		break;
	case W_GET:
		send_get(fl, opt.id_min + (int64_t)(rnd(&t->rng) % (uint64_t)(opt.id_max - opt.id_min + 1)));
		return;
	case W_LIST:
		f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
		f.record_list = &list_req;
		break;
	case W_AUDIT:
		f.request_case = CRM__CLIENT_FRAME__REQUEST_AUDIT_LIST;
		f.audit_list = &audit_req;
		break;
	case W_TIMELINE:
		f.request_case = CRM__CLIENT_FRAME__REQUEST_TIMELINE_LIST;
		f.timeline_list = &timeline_req;
		break;
	case W_WRITE:
		if ((fl->slot = next_slot(k)) < 0) { /* open loop ahead of the server */
			crm_err e;
			crm_err_clear(&e);
			crm_err_set(&e, CRM_RESOURCE_EXHAUSTED, NULL, "every id of the connection is in flight");
			record(t, due, &e);
			free(fl);
			return;
		}
		busy[fl->slot] = 1;
		if (versions[fl->slot] > 0) {
			send_update(fl);
		} else {
			fl->prep = true;
			send_get(fl, opt.id_min + fl->slot);
		}
		return;
	default:
		p.has_deep = opt.w == W_DEEP_PING;
		p.deep = opt.w == W_DEEP_PING;
		f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
		f.ping = &p;
		break;
	}
	send_frame(fl, &f);
}

static void *run_requests(void *arg) {
	thread_state *t = arg;
	struct pollfd *pfd = calloc((size_t)t->n_clients, sizeof(*pfd));
	int64_t next_due = now_us();
	double interval = t->rate > 0 ? 1e6 / t->rate : 0;
	int rr = 0;

	if (opt.rate <= 0)
		for (int i = 0; i < t->n_clients; i++)
			for (int d = 0; d < opt.depth; d++)
				send_one(t, &t->conns[i], now_us());
	while (!stop_flag) {
		int64_t now = now_us();
		int timeout = 10;

		if (now >= t_end_us) {
			stop_flag = 1;
			break;
		}
		while (interval > 0 && next_due <= now) { /* open loop: what is due */
			send_one(t, &t->conns[rr++ % t->n_clients], next_due);
			next_due += (int64_t)interval;
		}
		if (interval > 0) /* whole milliseconds: send what is due in bursts, never spin */
			timeout = (int)((next_due - now + 999) / 1000);
		for (int i = 0; i < t->n_clients; i++) {
			pfd[i].fd = crm_client_fd(t->conns[i].c);
			pfd[i].events = crm_client_events(t->conns[i].c);
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)t->n_clients, timeout < 0 ? 0 : timeout) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < t->n_clients; i++) {
			crm_err err;
			crm_err_clear(&err);
			if (pfd[i].fd >= 0 && (pfd[i].revents || crm_client_pending(t->conns[i].c)) &&
			    !crm_client_process(t->conns[i].c, pfd[i].revents, &err)) {
				/* counted whatever the window: a run that ends here
				 * must not read as a quiet one */
				t->errors[err.code < 16 ? err.code : 0]++;
				snprintf(t->first_error, sizeof(t->first_error), "connection lost: %s",
					 err.msg);
				stop_flag = 1;
			}
		}
	}
	free(pfd);
	return NULL;
}

/* ---------------------------------------------------------------- connect */

static void *run_connects(void *arg) {
	thread_state *t = arg;
	crm_client_options o;
	char *token = (char *)opt.token;

	options_for(&o, token);
	while (now_us() < t_end_us) {
		int64_t began = now_us();
		crm_err err;
		crm_client *c;

		crm_err_clear(&err);
		c = crm_client_connect(&o, &err);
		record(t, began, c ? NULL : &err);
		if (c)
			crm_client_free(c);
	}
	return NULL;
}

/* ---------------------------------------------------------------- argon2 */

static char argon2_hash[crypto_pwhash_STRBYTES];

static void *run_argon2(void *arg) {
	thread_state *t = arg;
	static const char pw[] = "benchmark password";

	while (now_us() < t_end_us) {
		int64_t began = now_us();
		crm_err err;

		crm_err_clear(&err);
		if (crypto_pwhash_str_verify(argon2_hash, pw, sizeof(pw) - 1) != 0)
			crm_err_set(&err, CRM_INTERNAL, NULL, "verification failed");
		record(t, began, &err);
	}
	return NULL;
}

/* ---------------------------------------------------------------- main */

static int cmp_u32(const void *a, const void *b) {
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p) {
	if (n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1));
	return v[i] / 1000.0;
}

static void report(thread_state *ts, int n) {
	const char *const *names = workload_names;
	uint64_t ok = 0, errs[16] = {0}, nerr = 0, prep = 0;
	size_t total = 0, k = 0;
	uint32_t *all;
	double secs = (double)(t_end_us - t_measure_us) / 1e6;
	const char *first = "";

	for (int i = 0; i < n; i++) {
		ok += ts[i].ok;
		prep += ts[i].prep;
		total += ts[i].n_lat;
		for (int s = 0; s < 16; s++)
			errs[s] += ts[i].errors[s], nerr += ts[i].errors[s];
		if (!first[0] && ts[i].first_error[0])
			first = ts[i].first_error;
	}
	all = malloc((total ? total : 1) * sizeof(uint32_t));
	for (int i = 0; i < n; i++) {
		memcpy(all + k, ts[i].lat_us, ts[i].n_lat * sizeof(uint32_t));
		k += ts[i].n_lat;
	}
	qsort(all, total, sizeof(uint32_t), cmp_u32);
	if (strcmp(opt.format, "json") == 0) {
		printf("{\"workload\":\"%s\",\"connections\":%d,\"depth\":%d,\"threads\":%d,"
		       "\"rate\":%.1f,\"seconds\":%.3f,\"ok\":%llu,\"errors\":%llu,"
		       "\"rps\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,",
		       names[opt.w], opt.connections, opt.depth, opt.threads, opt.rate, secs,
		       (unsigned long long)ok, (unsigned long long)nerr, (double)ok / secs,
		       pct(all, total, 50), pct(all, total, 95), pct(all, total, 99),
		       total ? all[total - 1] / 1000.0 : 0.0);
		if (opt.w == W_LIST || opt.w == W_AUDIT || opt.w == W_TIMELINE)
			printf("\"page\":%d,\"page_size\":%d,", opt.page, opt.page_size);
		if (opt.w == W_WRITE)
			printf("\"re_reads\":%llu,", (unsigned long long)prep);
		if (first[0]) {
			printf("\"first_error\":\"");
			for (const char *q = first; *q; q++)
				if (*q == '"' || *q == '\\')
					printf("\\%c", *q);
				else if ((unsigned char)*q >= 0x20)
					putchar(*q);
			printf("\",");
		}
		printf("\"errors_by_status\":{");
		for (int s = 0, sep = 0; s < 16; s++)
			if (errs[s])
				printf("%s\"%s\":%llu", sep++ ? "," : "",
				       crm_status_name(s) ? crm_status_name(s) : "OTHER",
				       (unsigned long long)errs[s]);
		printf("}}\n");
	} else {
		printf("workload      %s\n", names[opt.w]);
		printf("load          %d connections x depth %d on %d thread(s)%s\n", opt.connections,
		       opt.depth, opt.threads, opt.rate > 0 ? ", open loop" : ", closed loop");
		if (opt.rate > 0)
			printf("offered       %.0f req/s\n", opt.rate);
		if (opt.w == W_LIST || opt.w == W_AUDIT || opt.w == W_TIMELINE)
			printf("page          %d of %d records\n", opt.page, opt.page_size);
		if (opt.w == W_WRITE)
			printf("re-reads      %llu versions read again after errors (not measured)\n",
			       (unsigned long long)prep);
		printf("measured      %.1f s\n", secs);
		printf("throughput    %.1f req/s (%llu ok)\n", (double)ok / secs, (unsigned long long)ok);
		printf("latency ms    p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", pct(all, total, 50),
		       pct(all, total, 95), pct(all, total, 99), total ? all[total - 1] / 1000.0 : 0.0);
		printf("errors        %llu", (unsigned long long)nerr);
		for (int s = 0; s < 16; s++)
			if (errs[s])
				printf("  %s %llu", crm_status_name(s) ? crm_status_name(s) : "OTHER",
				       (unsigned long long)errs[s]);
		printf("\n");
		if (first[0])
			printf("first error   %s\n", first);
	}
	free(all);
}

static void usage(FILE *out) {
	fprintf(out,
		"usage: crm-bench --workload ping|deep-ping|connect|login|idle|argon2|get|list|write|\n"
		"                 audit|timeline|attach|events\n"
		"                 [options]\n"
		"  --server HOST:PORT   crmd (or CRM_SERVER)\n"
		"  --ca FILE            CA of crmd's certificate (or CRM_CA)\n"
		"  --user NAME          user for login and for the others (one login first)\n"
		"  --password-file F    that user's password (first line); or CRM_BENCH_PASSWORD\n"
		"  --token T            a session token instead of a login\n"
		"  --connections N      connections (default 8)\n"
		"  --depth P            requests in flight per connection, closed loop (default 1)\n"
		"  --threads T          client threads (default 1)\n"
		"  --rate R             open loop: R requests/s in all\n"
		"  --duration S         seconds measured (default 10); --warmup S before (default 1)\n"
		"  --argon2-memory KIB, --argon2-iterations N   parameters for argon2 (19456, 2)\n"
		"  --type account|contact   record type for get, list, write, timeline (default\n"
		"                       account)\n"
		"  --ids FROM-TO        record ids for get, write and events; timeline: the\n"
		"                       record FROM\n"
		"  --filter FIELD=VALUE list: an equality filter (up to 4)\n"
		"  --sort FIELD         list: sort key, -FIELD descending (default name/display_name)\n"
		"  --page-size N        list: records per page (default 50)\n"
		"  --page N             list: measure page N (default 1)\n"
		"  --file-size MIB      attach: the file's size (default 8)\n"
		"  --db DSN             attach: also the same chunks through libpq on this database\n"
		"  --sessions datagen:SEED  events: watcher i resumes crm-datagen's session i\n"
		"  --watch-per K        events with --sessions: records each watcher watches (3)\n"
		"  --format table|json\n");
}

static workload parse_workload(const char *s) {
	for (int i = 0; i < (int)(sizeof(workload_names) / sizeof(workload_names[0])); i++)
		if (strcmp(s, workload_names[i]) == 0)
			return (workload)i;
	fprintf(stderr, "crm-bench: unknown workload %s\n", s);
	usage(stderr);
	exit(2);
}

static char *read_first_line(const char *path) {
	static char buf[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		fprintf(stderr, "crm-bench: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static void parse_args(int argc, char **argv) {
	static const struct option lo[] = {
		{"server", 1, 0, 's'},	   {"ca", 1, 0, 'a'},	     {"workload", 1, 0, 'w'},
		{"user", 1, 0, 'u'},	   {"password-file", 1, 0, 'p'}, {"token", 1, 0, 'k'},
		{"connections", 1, 0, 'c'}, {"depth", 1, 0, 'd'},	     {"threads", 1, 0, 't'},
		{"rate", 1, 0, 'r'},	   {"duration", 1, 0, 'D'},     {"warmup", 1, 0, 'W'},
		{"format", 1, 0, 'f'},	   {"argon2-memory", 1, 0, 'M'}, {"argon2-iterations", 1, 0, 'I'},
		{"type", 1, 0, 'T'},	   {"ids", 1, 0, 'i'},	     {"filter", 1, 0, 'F'},
		{"sort", 1, 0, 'O'},	   {"page-size", 1, 0, 'L'},     {"page", 1, 0, 'P'},
		{"file-size", 1, 0, 'S'},  {"db", 1, 0, 'B'},
		{"sessions", 1, 0, 'X'},   {"watch-per", 1, 0, 'K'},
		{"help", 0, 0, 'h'},	   {0, 0, 0, 0}};
	int c;
	bool have_w = false;

	opt.server = getenv("CRM_SERVER");
	opt.ca = getenv("CRM_CA");
	opt.password = getenv("CRM_BENCH_PASSWORD");
	opt.warmup_s = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'a': opt.ca = optarg; break;
		case 'w': opt.w = parse_workload(optarg), have_w = true; break;
		case 'u': opt.user = optarg; break;
		case 'p': opt.password = read_first_line(optarg); break;
		case 'k': opt.token = optarg; break;
		case 'c': opt.connections = atoi(optarg); break;
		case 'd': opt.depth = atoi(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'r': opt.rate = atof(optarg); break;
		case 'D': opt.duration_s = atoi(optarg); break;
		case 'W': opt.warmup_s = atoi(optarg); break;
		case 'f': opt.format = optarg; break;
		case 'M': opt.argon2_mem_kib = atoi(optarg); break;
		case 'I': opt.argon2_iter = atoi(optarg); break;
		case 'T':
			if (strcmp(optarg, "account") != 0 && strcmp(optarg, "contact") != 0) {
				fprintf(stderr, "crm-bench: --type account or contact\n");
				exit(2);
			}
			opt.type = strcmp(optarg, "contact") == 0 ? CRM__RECORD_TYPE__RECORD_TYPE_CONTACT
								  : CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
			break;
		case 'i':
			if (sscanf(optarg, "%lld-%lld", &opt.id_min, &opt.id_max) != 2 || opt.id_min < 1 ||
			    opt.id_max < opt.id_min) {
				fprintf(stderr, "crm-bench: --ids FROM-TO, e.g. --ids 2-200001\n");
				exit(2);
			}
			break;
		case 'F':
			if (opt.n_filters == MAX_FILTERS || strchr(optarg, '=') == NULL ||
			    optarg[0] == '=') {
				fprintf(stderr, "crm-bench: --filter FIELD=VALUE, at most %d\n", MAX_FILTERS);
				exit(2);
			}
			opt.filter[opt.n_filters++] = optarg;
			break;
		case 'O': opt.sort = optarg; break;
		case 'L': opt.page_size = atoi(optarg); break;
		case 'P': opt.page = atoi(optarg); break;
		case 'S': opt.file_mib = atoi(optarg); break;
		case 'B': opt.db = optarg; break;
		case 'X':
			if (sscanf(optarg, "datagen:%lld", &opt.datagen_seed) != 1 || opt.datagen_seed < 0) {
				fprintf(stderr, "crm-bench: --sessions datagen:SEED (crm-datagen's --seed)\n");
				exit(2);
			}
			break;
		case 'K': opt.watch_per = atoi(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!have_w || opt.connections < 1 || opt.depth < 1 || opt.threads < 1 ||
	    opt.duration_s < 1 || (opt.w != W_ARGON2 && !opt.server)) {
		usage(stderr);
		exit(2);
	}
	if (opt.threads > opt.connections && opt.w != W_ARGON2)
		opt.threads = opt.connections;
	if ((opt.w == W_GET || opt.w == W_WRITE || opt.w == W_ATTACH || opt.w == W_TIMELINE ||
	     opt.w == W_EVENTS) &&
	    opt.id_max == 0) {
		fprintf(stderr, "crm-bench: %s needs --ids FROM-TO\n", workload_names[opt.w]);
		exit(2);
	}
	if (opt.w == W_WRITE &&
	    (opt.id_max - opt.id_min + 1) / opt.connections < (long long)opt.depth + 1) {
		fprintf(stderr, "crm-bench: write needs more than --depth ids per connection in --ids\n");
		exit(2);
	}
	if (opt.w == W_LIST && (opt.page < 1 || opt.page_size < 1 || opt.page_size > 500)) {
		fprintf(stderr, "crm-bench: --page must be at least 1, --page-size 1..500\n");
		exit(2);
	}
}

/* The attach workload: its own sequential loop (bench_attach.c). */
static int run_attach(thread_state *t) {
	struct bench_attach_result r;

	bench_attach_run(t->conns[0].c, opt.db, opt.id_min, (size_t)opt.file_mib * 1048576,
			 opt.duration_s, &r);
	if (strcmp(opt.format, "json") == 0)
		printf("{\"workload\":\"attach\",\"file_bytes\":%zu,\"put_mib_s\":%.1f,"
		       "\"get_mib_s\":%.1f,\"pq_put_mib_s\":%.1f,\"pq_get_mib_s\":%.1f,"
		       "\"errors\":%ld,\"ok\":%d,\"first_error\":\"%s\"}\n",
		       (size_t)opt.file_mib * 1048576, r.put_mib_s, r.get_mib_s, r.pq_put_mib_s,
		       r.pq_get_mib_s, r.errors, r.errors == 0, r.errors ? "see stderr" : "");
	else
		printf("attach %d MiB: put %.1f MiB/s (libpq %.1f), get %.1f MiB/s (libpq %.1f), "
		       "errors %ld\n",
		       opt.file_mib, r.put_mib_s, r.pq_put_mib_s, r.get_mib_s, r.pq_get_mib_s, r.errors);
	if (r.errors)
		fprintf(stderr, "crm-bench: attach: %s\n", r.first_error);
	return r.errors ? 1 : 0;
}

/* The events workload: watchers and a writer on one thread (bench_events.c). */
static int run_events(const char *token) {
	crm_client_options o;
	struct bench_events_params p = {.conn = &o, .watchers = opt.connections, .type = opt.type,
					 .id_min = opt.id_min, .id_max = opt.id_max,
					 .rate = opt.rate > 0 ? opt.rate : 20, .warmup_s = opt.warmup_s,
					 .duration_s = opt.duration_s, .drain_s = 5};
	struct bench_events_result r;
	bool ok;

	char **tokens = NULL;

	options_for(&o, token);
	if (opt.datagen_seed >= 0) { /* crm-datagen's session tokens (crm_datagen.c) */
		tokens = calloc((size_t)opt.connections, sizeof(*tokens));
		for (int i = 0; i < opt.connections; i++) {
			char text[64];
			uint8_t h[32];

			snprintf(text, sizeof(text), "datagen:%lld:%d", opt.datagen_seed, i);
			crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
			tokens[i] = malloc(65);
			sodium_bin2hex(tokens[i], 65, h, sizeof(h));
		}
		p.tokens = (const char *const *)tokens;
		p.watch_per = opt.watch_per;
	}
	ok = bench_events_run(&p, &r);
	if (tokens) {
		for (int i = 0; i < opt.connections; i++)
			free(tokens[i]);
		free(tokens);
	}
	if (strcmp(opt.format, "json") == 0) {
		printf("{\"workload\":\"events\",\"connections\":%d,\"rate\":%.1f,\"seconds\":%d,"
		       "\"watches\":%ld,\"writes\":%ld,\"expected\":%ld,\"received\":%ld,\"missing\":%ld,"
		       "\"dropped\":%ld,\"errors\":%ld,\"ok\":%ld,\"p50_ms\":%.3f,\"p95_ms\":%.3f,"
		       "\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
		       opt.connections, p.rate, opt.duration_s, r.watches, r.writes, r.expected, r.received,
		       r.expected > r.received ? r.expected - r.received : 0, r.dropped,
		       r.errors + !ok, ok ? r.received : 0, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms);
	} else {
		printf("workload      events\n");
		printf("load          %d watching connections, %ld watches, %.0f updates/s\n",
		       opt.connections, r.watches, p.rate);
		printf("updates       %ld in %d s; events %ld of %ld received, %ld dropped frames\n",
		       r.writes, opt.duration_s, r.received, r.expected, r.dropped);
		printf("latency ms    p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", r.p50_ms, r.p95_ms,
		       r.p99_ms, r.max_ms);
		printf("errors        %ld\n", r.errors + !ok);
	}
	if (r.first_error[0])
		fprintf(stderr, "crm-bench: events: %s\n", r.first_error);
	return ok && r.errors == 0 ? 0 : 1;
}

static void raise_fd_limit(void) {
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void connect_all(thread_state *ts, const char *token) {
	crm_client_options o;
	int per = opt.connections / opt.threads, extra = opt.connections % opt.threads;

	options_for(&o, token);
	for (int i = 0; i < opt.threads; i++) {
		ts[i].n_clients = per + (i < extra);
		ts[i].conns = calloc((size_t)ts[i].n_clients, sizeof(conn));
		for (int j = 0; j < ts[i].n_clients; j++) {
			conn *k = &ts[i].conns[j];
			crm_err err;
			crm_err_clear(&err);
			k->t = &ts[i];
			k->index = i + j * opt.threads;
			k->walk = (long)(rnd(&ts[i].rng) % 1000003);
			if ((k->c = crm_client_connect(&o, &err)) == NULL) {
				fprintf(stderr, "crm-bench: connection %d: %s\n", j, err.msg);
				exit(1);
			}
		}
	}
}

int main(int argc, char **argv) {
	thread_state *ts;
	char *token = NULL;
	void *(*fn)(void *) = run_requests;

	parse_args(argc, argv);
	raise_fd_limit();
	if (sodium_init() < 0)
		return 1;
	ts = calloc((size_t)opt.threads, sizeof(*ts));
	for (int i = 0; i < opt.threads; i++) {
		ts[i].index = i;
		ts[i].lat_us = malloc(MAX_SAMPLES * sizeof(uint32_t));
		ts[i].rate = opt.rate / opt.threads;
		ts[i].rng = (uint64_t)now_us() * 31 + (uint64_t)i;
	}
	if (opt.w != W_PING && opt.w != W_LOGIN && opt.w != W_ARGON2)
		token = get_token();
	if (opt.w == W_LIST) {
		build_list();
		find_page(token);
	}
	if (opt.w == W_AUDIT) {
		list_page.has_limit = true;
		list_page.limit = (uint32_t)opt.page_size;
		audit_req.page = &list_page;
	}
	if (opt.w == W_TIMELINE) { /* the record is the first of --ids */
		list_page.has_limit = true;
		list_page.limit = (uint32_t)opt.page_size;
		timeline_req.page = &list_page;
		timeline_req.has_type = timeline_req.has_id = true;
		timeline_req.type = opt.type;
		timeline_req.id = opt.id_min;
	}
	if (opt.w == W_WRITE) {
		size_t count = (size_t)(opt.id_max - opt.id_min + 1);
		versions = calloc(count, sizeof(*versions));
		busy = calloc(count, 1);
	}
	if (opt.w == W_LOGIN && (!opt.user || !opt.password)) {
		fprintf(stderr, "crm-bench: login needs --user and --password-file\n");
		return 2;
	}
	if (opt.w == W_ARGON2) {
		if (crypto_pwhash_str_alg(argon2_hash, "benchmark password", 18,
					  (unsigned long long)opt.argon2_iter,
					  (size_t)opt.argon2_mem_kib * 1024,
					  crypto_pwhash_ALG_ARGON2ID13) != 0)
			return 1;
		fn = run_argon2;
	} else if (opt.w == W_EVENTS) {
		int rc = run_events(token);

		for (int i = 0; i < opt.threads; i++)
			free(ts[i].lat_us);
		free(ts);
		free(token);
		return rc;
	} else if (opt.w == W_CONNECT) {
		opt.token = token;
		opt.threads = opt.connections;
		ts = realloc(ts, (size_t)opt.threads * sizeof(*ts));
		for (int i = 0; i < opt.threads; i++) {
			memset(&ts[i], 0, sizeof(ts[i]));
			ts[i].lat_us = malloc(MAX_SAMPLES * sizeof(uint32_t));
		}
		fn = run_connects;
	} else {
		connect_all(ts, token);
	}
	if (opt.w == W_IDLE) {
		fprintf(stderr, "crm-bench: holding %d authenticated connections for %d s\n",
			opt.connections, opt.duration_s);
		printf("{\"workload\":\"idle\",\"connections\":%d}\n", opt.connections);
		fflush(stdout);
		sleep((unsigned)opt.duration_s);
		return 0;
	}
	if (opt.w == W_ATTACH) {
		int rc = run_attach(&ts[0]);

		for (int i = 0; i < opt.threads; i++) {
			for (int j = 0; j < ts[i].n_clients; j++)
				crm_client_free(ts[i].conns[j].c);
			free(ts[i].conns);
			free(ts[i].lat_us);
		}
		free(ts);
		free(token);
		return rc;
	}
	if (opt.w == W_WRITE)
		prefetch_versions(ts);
	t_start_us = now_us();
	t_measure_us = t_start_us + (int64_t)opt.warmup_s * 1000000;
	t_end_us = t_measure_us + (int64_t)opt.duration_s * 1000000;
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&ts[i].tid, NULL, fn, &ts[i]);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(ts[i].tid, NULL);
	report(ts, opt.threads);
	free(token);
	return 0;
}
