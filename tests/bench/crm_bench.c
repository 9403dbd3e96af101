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

#include "crmclient.h"

#define MAX_SAMPLES (4u << 20)

typedef enum { W_PING, W_DEEP_PING, W_CONNECT, W_LOGIN, W_IDLE, W_ARGON2 } workload;

static struct {
	const char *server, *ca, *user, *password, *token, *format;
	workload w;
	int connections, depth, threads, duration_s, warmup_s;
	double rate;
	int argon2_mem_kib, argon2_iter;
} opt = {.connections = 8, .depth = 1, .threads = 1, .duration_s = 10, .format = "table",
	 .argon2_mem_kib = 19456, .argon2_iter = 2};

typedef struct thread_state {
	int index;
	pthread_t tid;
	uint32_t *lat_us; /* samples */
	size_t n_lat;
	uint64_t ok, errors[16];
	char first_error[320];
	crm_client **clients;
	int n_clients;
	double rate; /* this thread's share, open loop */
} thread_state;

static volatile int stop_flag;
static int64_t t_start_us, t_measure_us, t_end_us;

static int64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void record(thread_state *t, int64_t began, const crm_err *err) {
	int64_t now = now_us();

	if (began < t_measure_us || now > t_end_us)
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

/* ---------------------------------------------------------------- request loop */

typedef struct inflight {
	thread_state *t;
	crm_client *c;
	int64_t began;
} inflight;

static void send_one(thread_state *t, crm_client *c, int64_t due);

static void on_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	inflight *f = ud;
	thread_state *t = f->t;

	record(t, f->began, err);
	crm_client_reply_free(reply);
	free(f);
	if (!stop_flag && opt.rate <= 0)
		send_one(t, c, now_us());
}

static void send_one(thread_state *t, crm_client *c, int64_t due) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__Ping p = CRM__PING__INIT;
	Crm__Login l = CRM__LOGIN__INIT;
	inflight *fl = malloc(sizeof(*fl));
	crm_err err;

	fl->t = t;
	fl->c = c;
	fl->began = due;
	if (opt.w == W_LOGIN) {
		l.has_username = l.has_password = true;
		l.username.data = (uint8_t *)opt.user;
		l.username.len = strlen(opt.user);
		l.password.data = (uint8_t *)opt.password;
		l.password.len = strlen(opt.password);
		f.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
		f.login = &l;
	} else {
		p.has_deep = opt.w == W_DEEP_PING;
		p.deep = opt.w == W_DEEP_PING;
		f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
		f.ping = &p;
	}
	crm_err_clear(&err);
	if (!crm_client_send_async(c, &f, on_reply, fl, &err)) {
		record(t, due, &err);
		free(fl);
	}
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
				send_one(t, t->clients[i], now_us());
	while (!stop_flag) {
		int64_t now = now_us();
		int timeout = 10;

		if (now >= t_end_us) {
			stop_flag = 1;
			break;
		}
		while (interval > 0 && next_due <= now) { /* open loop: what is due */
			crm_client *c = t->clients[rr++ % t->n_clients];
			send_one(t, c, next_due);
			next_due += (int64_t)interval;
		}
		if (interval > 0) /* whole milliseconds: send what is due in bursts, never spin */
			timeout = (int)((next_due - now + 999) / 1000);
		for (int i = 0; i < t->n_clients; i++) {
			pfd[i].fd = crm_client_fd(t->clients[i]);
			pfd[i].events = crm_client_events(t->clients[i]);
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)t->n_clients, timeout < 0 ? 0 : timeout) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < t->n_clients; i++) {
			crm_err err;
			crm_err_clear(&err);
			if (pfd[i].fd >= 0 && (pfd[i].revents || crm_client_pending(t->clients[i])) &&
			    !crm_client_process(t->clients[i], pfd[i].revents, &err)) {
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
	static const char *names[] = {"ping", "deep-ping", "connect", "login", "idle", "argon2"};
	uint64_t ok = 0, errs[16] = {0}, nerr = 0;
	size_t total = 0, k = 0;
	uint32_t *all;
	double secs = (double)(t_end_us - t_measure_us) / 1e6;
	const char *first = "";

	for (int i = 0; i < n; i++) {
		ok += ts[i].ok;
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
		       "\"rps\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		       "\"errors_by_status\":{",
		       names[opt.w], opt.connections, opt.depth, opt.threads, opt.rate, secs,
		       (unsigned long long)ok, (unsigned long long)nerr, (double)ok / secs,
		       pct(all, total, 50), pct(all, total, 95), pct(all, total, 99),
		       total ? all[total - 1] / 1000.0 : 0.0);
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
		"usage: crm-bench --workload ping|deep-ping|connect|login|idle|argon2 [options]\n"
		"  --server HOST:PORT   crmd (or CRM_SERVER)\n"
		"  --ca FILE            CA of crmd's certificate (or CRM_CA)\n"
		"  --user NAME          user for deep-ping/connect/idle (a login first) and login\n"
		"  --password-file F    that user's password (first line); or CRM_BENCH_PASSWORD\n"
		"  --token T            a session token instead of a login\n"
		"  --connections N      connections (default 8)\n"
		"  --depth P            requests in flight per connection, closed loop (default 1)\n"
		"  --threads T          client threads (default 1)\n"
		"  --rate R             open loop: R requests/s in all\n"
		"  --duration S         seconds measured (default 10); --warmup S before (default 1)\n"
		"  --argon2-memory KIB, --argon2-iterations N   parameters for argon2 (19456, 2)\n"
		"  --format table|json\n");
}

static workload parse_workload(const char *s) {
	static const char *names[] = {"ping", "deep-ping", "connect", "login", "idle", "argon2"};
	for (int i = 0; i < 6; i++)
		if (strcmp(s, names[i]) == 0)
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
		ts[i].clients = calloc((size_t)ts[i].n_clients, sizeof(crm_client *));
		for (int j = 0; j < ts[i].n_clients; j++) {
			crm_err err;
			crm_err_clear(&err);
			if ((ts[i].clients[j] = crm_client_connect(&o, &err)) == NULL) {
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
	}
	if (opt.w == W_DEEP_PING || opt.w == W_CONNECT || opt.w == W_IDLE)
		token = get_token();
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
