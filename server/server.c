/* server: see server.h. */
#include "server.h"

#include <errno.h>
#include <event2/thread.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cursor.h"
#include "handlers/handlers.h"
#include "log.h"
#include "migrate.h"
#include "notify.h"
#include "server_internal.h"
#include "tls.h"

#define PURGE_INTERVAL_S 600
#define STARTUP_RETRY_S 2
#define LOG_RING_BYTES (1024 * 1024)
#define LOG_STOP_WAIT_MS 2000

crm_server *crm_srv;
static volatile sig_atomic_t startup_stop;

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
		      int len, void *arg) {
	crm_server *srv = arg;
	int n = atomic_fetch_add(&srv->conns, 1) + 1;
	crm_handoff *h;

	(void)l;
	if (atomic_load(&srv->draining) || n > srv->cfg.max_connections + CRM_REJECT_SLACK ||
	    (h = calloc(1, sizeof(*h))) == NULL) {
		atomic_fetch_sub(&srv->conns, 1);
		evutil_closesocket(fd);
		return;
	}
	h->fd = fd;
	h->reject = n > srv->cfg.max_connections;
	memcpy(&h->addr, addr, (size_t)len < sizeof(h->addr) ? (size_t)len : sizeof(h->addr));
	h->addrlen = (socklen_t)len;
	crm_io_adopt(&srv->ios[srv->next_io++ % (unsigned)srv->n_io], h);
}

static void on_accept_error(struct evconnlistener *l, void *arg) {
	int e = EVUTIL_SOCKET_ERROR();

	(void)l, (void)arg;
	log_warn("accept failed: %s", evutil_socket_error_to_string(e));
}

static bool listen_all(crm_server *srv, crm_err *err) {
	for (int i = 0; i < srv->cfg.n_listen; i++) {
		const crm_listen_addr *la = &srv->cfg.listen[i];
		struct addrinfo hints = {0}, *res = NULL;
		char port[8];
		int rc;

		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%u", la->port);
		rc = getaddrinfo(la->host, port, &hints, &res);
		if (rc != 0)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, "listen", "%s: %s", la->host,
					   gai_strerror(rc));
		srv->listeners[i] = evconnlistener_new_bind(
			srv->main_base, on_accept, srv,
			LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
			res->ai_addr, (int)res->ai_addrlen);
		freeaddrinfo(res);
		if (srv->listeners[i] == NULL)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, "listen",
					   "cannot listen on %s:%u: %s", la->host, la->port,
					   strerror(errno));
		evconnlistener_set_error_cb(srv->listeners[i], on_accept_error);
		srv->n_listeners++;
		log_info("listening on %s:%u", la->host, la->port);
	}
	return true;
}

static void begin_shutdown(crm_server *srv, const char *sig) {
	if (atomic_exchange(&srv->draining, true))
		return;
	log_info("%s: draining: no new connections, finishing requests in flight "
		 "(grace %d ms)",
		 sig, srv->cfg.shutdown_grace);
	for (int i = 0; i < srv->n_listeners; i++) {
		evconnlistener_free(srv->listeners[i]);
		srv->listeners[i] = NULL;
	}
	srv->n_listeners = 0;
	for (int i = 0; i < srv->n_io; i++)
		crm_io_drain(&srv->ios[i]);
	event_base_loopexit(srv->main_base, NULL);
}

static void on_term(evutil_socket_t sig, short what, void *arg) {
	(void)what;
	begin_shutdown(arg, sig == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_hup(evutil_socket_t sig, short what, void *arg) {
	crm_server *srv = arg;
	crm_config fresh;
	crm_err err;

	(void)sig, (void)what;
	crm_err_clear(&err);
	crm_config_defaults(&fresh);
	if (!crm_config_load(srv->config_path, &fresh, &err)) {
		log_error("SIGHUP: configuration not reloaded: %s: %s", err.field, err.msg);
		return;
	}
	if (!crm_tls_load(&fresh, &err)) {
		log_error("SIGHUP: TLS not reloaded, keeping the current certificate: %s: %s",
			  err.field, err.msg);
		return;
	}
	crm_log_set_level(fresh.log_level);
	log_info("SIGHUP: TLS certificate and key reloaded from %s; log_level applied "
		 "(other keys need a restart)",
		 fresh.tls_cert);
}

static void on_purge(evutil_socket_t fd, short what, void *arg) {
	crm_server *srv = arg;
	crm_job *job = crm_job_new(CRM_JOB_PURGE);

	(void)fd, (void)what;
	if (!crm_pool_submit(srv->pool, job))
		crm_job_free(job); /* busy: next time */
}

static void on_startup_signal(int sig) {
	(void)sig;
	startup_stop = 1;
}

static bool load_cursor_key(PGconn *conn, crm_err *err) {
	PGresult *r = PQexec(conn, "SELECT value FROM crm_meta.settings WHERE name = 'cursor_key'");
	bool ok;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		return crm_err_set(err, CRM_FAILED_PRECONDITION, "db_app",
				   "cannot read crm_meta.settings cursor_key: run crmd migrate");
	}
	ok = crm_cursor_set_key(PQgetvalue(r, 0, 0), err);
	PQclear(r);
	return ok;
}

/* The auth pool's role (db_auth) is held to the same rules as db_app. */
static bool check_auth_role(const crm_config *cfg, crm_err *err) {
	PGconn *conn;
	bool ok;

	if (cfg->db_auth[0] == '\0')
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "db_auth",
				   "is required: the libpq conninfo of the authentication role "
				   "(e.g. user=crm_auth), used only for logins and passwords");
	conn = PQconnectdb(cfg->db_auth);
	if (PQstatus(conn) != CONNECTION_OK) {
		ok = crm_err_set(err, CRM_UNAVAILABLE, "db_auth", "cannot connect: %s",
				 strtok(PQerrorMessage(conn), "\n"));
	} else {
		ok = crm_migrate_check_role(conn, "db_auth", err);
	}
	PQfinish(conn);
	return ok;
}

/* Waits for the database and checks its schema. Only a wrong schema is
 * fatal; an unreachable database is retried until it answers. */
static bool check_database(crm_server *srv, crm_err *err) {
	struct sigaction sa = {0}, old_term, old_int;
	bool ok = false;

	sa.sa_handler = on_startup_signal;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	while (!startup_stop) {
		PGconn *conn = PQconnectdb(srv->cfg.db_app);
		if (PQstatus(conn) == CONNECTION_OK) {
			ok = crm_migrate_check(conn, &srv->schema_version, err) &&
			     load_cursor_key(conn, err) && check_auth_role(&srv->cfg, err);
			PQfinish(conn);
			break;
		}
		log_warn("database not reachable yet (%s); retrying in %d s",
			 strtok(PQerrorMessage(conn), "\n"), STARTUP_RETRY_S);
		PQfinish(conn);
		sleep(STARTUP_RETRY_S);
	}
	if (startup_stop)
		crm_err_set(err, CRM_UNAVAILABLE, NULL, "stopped while waiting for the database");
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	return ok;
}

static bool write_pid_file(const char *path) {
	FILE *f;

	if (path[0] == '\0')
		return true;
	f = fopen(path, "w");
	if (f == NULL) {
		log_error("cannot write pid_file %s: %s", path, strerror(errno));
		return false;
	}
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0;
}

/* Signals and the purge timer. A server that could not watch SIGTERM
 * could not be stopped cleanly: refuse to start without them. */
static bool add_events(crm_server *srv, crm_err *err) {
	struct timeval purge = {PURGE_INTERVAL_S, 0};

	srv->ev_term = evsignal_new(srv->main_base, SIGTERM, on_term, srv);
	srv->ev_int = evsignal_new(srv->main_base, SIGINT, on_term, srv);
	srv->ev_hup = evsignal_new(srv->main_base, SIGHUP, on_hup, srv);
	srv->ev_purge = event_new(srv->main_base, -1, EV_PERSIST, on_purge, srv);
	if (srv->ev_term == NULL || srv->ev_int == NULL || srv->ev_hup == NULL ||
	    srv->ev_purge == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory for signal events");
	if (evsignal_add(srv->ev_term, NULL) != 0 || evsignal_add(srv->ev_int, NULL) != 0 ||
	    evsignal_add(srv->ev_hup, NULL) != 0)
		return crm_err_set(err, CRM_INTERNAL, NULL,
				   "cannot watch SIGTERM, SIGINT and SIGHUP: %s", strerror(errno));
	if (event_add(srv->ev_purge, &purge) != 0)
		return crm_err_set(err, CRM_INTERNAL, NULL,
				   "cannot start the idempotency key purge timer");
	return true;
}

static bool start(crm_server *srv, crm_err *err) {
	crm_pool_ops ops = {crm_worker_init, crm_worker_run, crm_worker_run_batch,
			    CRM_WORKER_BATCH, crm_worker_fini, NULL};

	crm_pool_ops auth_ops = {crm_worker_init, crm_worker_run, NULL, 1, crm_worker_fini, srv};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int auth_threads = srv->cfg.auth_threads;

	if (!crm_routes_init(err) || !crm_tls_load(&srv->cfg, err) || !check_database(srv, err) ||
	    !crm_auth_init(srv->cfg.password_hash_memory, srv->cfg.password_hash_iterations, err))
		return false;
	if (srv->cfg.password_hash_memory < 19456 || srv->cfg.password_hash_iterations < 2)
		log_warn("password_hash_memory = %d KiB, password_hash_iterations = %d: below OWASP's "
			 "minimum for argon2id (19456 KiB, 2); for tests only, never in production",
			 srv->cfg.password_hash_memory, srv->cfg.password_hash_iterations);
	if (cores > 0 && auth_threads > cores) {
		log_warn("auth_threads = %d is more than the %ld cores; using %ld", auth_threads,
			 cores, cores);
		auth_threads = (int)cores;
	}
	srv->main_base = event_base_new();
	srv->pool = crm_pool_new("crmd-db", srv->cfg.db_workers, srv->cfg.queue_length, &ops);
	srv->auth_pool = crm_pool_new("crmd-auth", auth_threads, srv->cfg.auth_queue_length, &auth_ops);
	if (srv->auth_pool == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "cannot start the auth threads");
	srv->ios = calloc((size_t)srv->cfg.io_threads, sizeof(crm_io));
	if (srv->main_base == NULL || srv->pool == NULL || srv->ios == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory at start-up");
	for (int i = 0; i < srv->cfg.io_threads; i++) {
		if (!crm_io_start(&srv->ios[i], i, err))
			return false;
		srv->n_io++;
	}
	if (!listen_all(srv, err))
		return false;
	if (!add_events(srv, err) || !crm_notify_start(srv, err))
		return false;
	return write_pid_file(srv->cfg.pid_file) ||
	       crm_err_set(err, CRM_FAILED_PRECONDITION, "pid_file", "cannot write it");
}

static void stop(crm_server *srv) {
	struct event *evs[] = {srv->ev_term, srv->ev_int, srv->ev_hup, srv->ev_purge};

	/* No more announcements or scheduler polls; I/O threads exit once
	 * their connections are gone (or grace ends); then the workers finish
	 * the queue; then late results are dropped. */
	crm_notify_stop(srv);
	for (int i = 0; i < srv->n_io; i++)
		crm_io_join(&srv->ios[i]);
	/* Whatever still runs has nobody to answer to (the grace period is
	 * over): cancel it rather than wait. */
	atomic_store(&srv->io_stopped, true);
	crm_workers_cancel();
	if (srv->auth_pool) {
		crm_pool_stop(srv->auth_pool);
		crm_pool_free(srv->auth_pool);
	}
	if (srv->pool) {
		crm_pool_stop(srv->pool);
		crm_pool_free(srv->pool);
	}
	for (int i = 0; i < srv->n_io; i++)
		crm_io_free(&srv->ios[i]);
	for (int i = 0; i < srv->n_listeners; i++)
		evconnlistener_free(srv->listeners[i]);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	if (srv->main_base)
		event_base_free(srv->main_base);
	free(srv->ios);
	crm_tls_shutdown();
	if (srv->cfg.pid_file[0])
		unlink(srv->cfg.pid_file);
}

int crm_serve(const char *config_path, const crm_config *cfg) {
	static crm_server srv;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	srv.cfg = *cfg;
	snprintf(srv.config_path, sizeof(srv.config_path), "%s", config_path);
	atomic_init(&srv.next_conn_id, 1);
	crm_srv = &srv;
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0) {
		log_error("libevent has no pthreads support");
		return 1;
	}
	/* From here log lines go through the log thread: a stalled reader of
	 * stderr must not stall the I/O threads. */
	if (!crm_log_start(LOG_RING_BYTES))
		log_warn("cannot start the log thread; logging directly to stderr");
	if (start(&srv, &err)) {
		log_info("crmd %s ready: schema version %d, %d I/O thread(s), %d DB worker(s)",
			 CRM_VERSION, srv.schema_version, srv.n_io, srv.cfg.db_workers);
		event_base_dispatch(srv.main_base);
		if (!atomic_load(&srv.draining))
			begin_shutdown(&srv, "loop exit");
	} else {
		log_error("cannot start: %s%s%s", err.field, err.field[0] ? ": " : "", err.msg);
		rc = 1;
		atomic_store(&srv.draining, true);
		for (int i = 0; i < srv.n_io; i++)
			event_base_loopexit(srv.ios[i].base, NULL);
	}
	stop(&srv);
	if (rc == 0)
		log_info("crmd stopped");
	crm_log_stop(LOG_STOP_WAIT_MS);
	return rc;
}
