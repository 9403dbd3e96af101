/*
 * conn: one client connection on its I/O thread: the optional PROXY v2
 * header, the TLS handshake, framing, hello, the requests answered here
 * (hello, ping) and the hand-off of everything else to the DB workers,
 * then delivery of their results.
 *
 * Lifetime: a connection holds one reference for being open and one per
 * job in flight; callbacks hold one while they run. Closing frees the
 * bufferevent (and socket) at once; the struct goes when the last
 * reference does, so a worker's late result finds it and is dropped.
 *
 * Before login: the deadline timer runs handshake_timeout until hello,
 * then auth_timeout until a login or resume succeeds (and again from a
 * logout); bytes received do not move it. A connection not logged in
 * counts against its address's max_preauth_per_address (preauth.c) from
 * the moment the address is known (accept, or the PROXY header) until it
 * logs in or closes; over the cap it gets one RESOURCE_EXHAUSTED frame
 * after TLS and is closed.
 *
 * Decode cost: every frame's bytes are pre-scanned (crm_wire_prescan)
 * before protobuf-c unpacks them, so a frame that would cost much to
 * decode is refused after a linear walk that stops at the first count
 * over a limit.
 *
 * Back-pressure: at most max_inflight jobs per connection (more are
 * answered RESOURCE_EXHAUSTED at once), at most FRAMES_PER_PASS frames per
 * callback (the rest are picked up on a deferred pass, so one client
 * cannot starve the others), and reading stops while the output buffer is
 * above the high-water mark.
 */
#include <errno.h>
#include <limits.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "handlers/handlers.h"
#include "log.h"
#include "preauth.h"
#include "proxy.h"
#include "server_internal.h"
#include "tls.h"

#define FRAMES_PER_PASS 64
#define OUTPUT_HWM_MIN (256 * 1024)
#define REPLY_COPY_MAX (16 * 1024) /* one TLS record */

struct crm_conn {
	crm_conn *next, *prev;
	crm_io *io;
	uint64_t id;
	evutil_socket_t fd;
	struct bufferevent *bev;
	struct event *proxy_ev;  /* reading the PROXY header */
	struct event *deadline;  /* handshake deadline until hello, then auth */
	uint8_t *proxybuf;
	size_t proxylen;
	char peer[64];           /* address:port, for logs */
	char client_ip[48];      /* address only */
	char client_name[72];    /* from hello */
	crm_token token;         /* the session this connection logged in with */
	crm_preauth_key addr_key; /* the client address, for max_preauth_per_address */
	int refs;
	int inflight;
	size_t hwm;
	bool open, tls_up, hello_done, authenticated;
	bool reject, closing, read_paused, draining;
	bool over_preauth_cap;   /* refuse once TLS is up */
	bool preauth_counted;    /* holds one count under addr_key */
	bool auth_expired;       /* auth_timeout passed with a request in flight */
	/* events (Subscribe): pushed after ev_pos while subscribed; one fetch
	 * in flight at a time (ev_fetching), another wanted (ev_again); a
	 * fetch for an older subscription (ev_gen) is dropped. ev_user: the
	 * session's user (0: not known yet, fetches on every audience). While
	 * a fetch is in flight, audiences without the user pile up in
	 * (ev_skip_from, ev_skip_to]: where the fetch ends at or after
	 * ev_skip_from, the position moves on to ev_skip_to. ev_retry: a fetch
	 * the pool refused, or that failed, runs again from this timer. */
	bool subscribed, ev_fetching, ev_again, ev_skip;
	uint32_t ev_gen;
	int64_t ev_user;
	crm_event_pos ev_pos, ev_skip_from, ev_skip_to;
	struct event *ev_retry;
	uint64_t ids[]; /* request ids in flight, cfg.max_inflight of them */
};

static const crm_config *cfg(void) { return &crm_srv->cfg; }

int64_t crm_mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void format_peer(const struct sockaddr_storage *ss, char *out, size_t size, char *ip,
			size_t ipsize) {
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
		snprintf(out, size, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
		snprintf(out, size, "[%s]:%u", host, port);
	} else {
		snprintf(out, size, "unknown");
	}
	snprintf(ip, ipsize, "%s", host);
}

static void conn_unref(crm_conn *c) {
	if (--c->refs > 0)
		return;
	free(c->proxybuf);
	free(c);
}

/* Counts the connection under its client address (addr_key), or marks it
 * to be refused once TLS is up. */
static void preauth_count(crm_conn *c) {
	if (crm_preauth_acquire(&c->addr_key, cfg()->max_preauth_per_address))
		c->preauth_counted = true;
	else
		c->over_preauth_cap = true;
}

static void preauth_uncount(crm_conn *c) {
	if (c->preauth_counted)
		crm_preauth_release(&c->addr_key);
	c->preauth_counted = false;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg);

/* (Re)starts the deadline timer: ms from now, whatever arrives meanwhile. */
static bool arm_deadline(crm_conn *c, int ms) {
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (c->deadline == NULL)
		c->deadline = evtimer_new(c->io->base, on_deadline, c);
	return c->deadline != NULL && evtimer_add(c->deadline, &tv) == 0;
}

static void conn_close(crm_conn *c, const char *why) {
	crm_io *io = c->io;

	if (!c->open)
		return;
	c->open = false;
	log_debug("conn=%llu peer=%s closed: %s", (unsigned long long)c->id, c->peer, why);
	preauth_uncount(c);
	if (c->deadline)
		event_free(c->deadline);
	if (c->proxy_ev)
		event_free(c->proxy_ev);
	if (c->ev_retry)
		event_free(c->ev_retry);
	c->deadline = c->proxy_ev = c->ev_retry = NULL;
	if (c->bev) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		if (c->tls_up && ssl) {
			ERR_clear_error();
			SSL_shutdown(ssl); /* best effort close_notify; never waits */
		}
		bufferevent_free(c->bev); /* closes the socket */
		c->bev = NULL;
	} else {
		close(c->fd);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		io->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	io->n_conns--;
	atomic_fetch_sub(&crm_srv->conns, 1);
	if (io->drain_seen && io->n_conns == 0)
		event_base_loopexit(io->base, NULL);
	conn_unref(c);
}

/* Stops reading and closes once everything queued has been written. */
static void close_after_write(crm_conn *c) {
	if (!c->open || c->closing)
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_close(c, "closed by server");
}

static void check_output(crm_conn *c) {
	if (!c->read_paused && !c->closing &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > c->hwm) {
		c->read_paused = true;
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setwatermark(c->bev, EV_WRITE, c->hwm / 2, 0);
	}
}

static void send_frame(crm_conn *c, const Crm__ServerFrame *sf) {
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t n = crm__server_frame__get_packed_size(sf);
	struct evbuffer_iovec v;

	if (evbuffer_reserve_space(out, n + CRM_FRAME_HEADER, &v, 1) < 1) {
		/* A reply the client waits for is lost: closing tells it so
		 * (a silent drop would leave it waiting for its timeout). */
		log_error("conn=%llu: out of memory for a %zu-byte frame; closing",
			  (unsigned long long)c->id, n);
		close_after_write(c);
		return;
	}
	crm_frame_put_len(v.iov_base, (uint32_t)n);
	crm__server_frame__pack(sf, (uint8_t *)v.iov_base + CRM_FRAME_HEADER);
	v.iov_len = n + CRM_FRAME_HEADER;
	evbuffer_commit_space(out, &v, 1);
	check_output(c);
}

/* rid: the request id the worker gave PostgreSQL (audit rows carry it);
 * 0 for a request answered here, which gets one of its own. */
static void log_request(const crm_conn *c, uint64_t id, uint64_t rid, const char *type,
			crm_status code, int64_t t0, const char *user) {
	crm_log(crm_status_log_level(code),
		"conn=%llu peer=%s req=%llu rid=%llu type=%s status=%s ms=%.3f user=%s",
		(unsigned long long)c->id, c->peer, (unsigned long long)id,
		(unsigned long long)(rid ? rid : crm_request_id_next()), type,
		crm_status_name(code), (double)(crm_mono_us() - t0) / 1000.0,
		user && user[0] ? user : "-");
}

/* Sends a response carrying only a status. */
static void reply_status(crm_conn *c, uint64_t id, const char *type, int64_t t0,
			 const crm_err *err) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Response resp = CRM__RESPONSE__INIT;
	Crm__Status st = CRM__STATUS__INIT;
	char *argv[CRM_ERR_ARGS_MAX];

	st.has_code = true;
	st.code = (Crm__Code)err->code;
	crm_wire_status_set(&st, err, argv);
	resp.has_id = true;
	resp.id = id;
	resp.status = &st;
	sf.kind_case = CRM__SERVER_FRAME__KIND_RESPONSE;
	sf.response = &resp;
	send_frame(c, &sf);
	log_request(c, id, 0, type, err->code, t0, NULL);
}

/* Answers and then closes: for violations after which the stream cannot
 * be trusted (bad framing, no hello). */
static void protocol_error(crm_conn *c, uint64_t id, const char *type, int64_t t0,
			   const crm_err *err) {
	reply_status(c, id, type, t0, err);
	close_after_write(c);
}

static void reply_ok(crm_conn *c, Crm__Response *resp, uint64_t id, const char *type,
		     int64_t t0) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Status st = CRM__STATUS__INIT;

	st.has_code = true;
	st.code = CRM__CODE__OK;
	resp->has_id = true;
	resp->id = id;
	resp->status = &st;
	sf.kind_case = CRM__SERVER_FRAME__KIND_RESPONSE;
	sf.response = resp;
	send_frame(c, &sf);
	log_request(c, id, 0, type, CRM_OK, t0, NULL);
}

static uint32_t frame_limit(const crm_conn *c) {
	return c->authenticated ? cfg()->max_frame : cfg()->max_frame_preauth;
}

static void do_hello(crm_conn *c, const Crm__ClientFrame *f, int64_t t0) {
	static const char *features[] = {"pipelining", "idempotency", "deep-ping", "events"};
	Crm__Response resp = CRM__RESPONSE__INIT;
	Crm__HelloReply hr = CRM__HELLO_REPLY__INIT;
	Crm__Version v = CRM__VERSION__INIT, *supported[1] = {&v};
	struct timeval idle = {cfg()->idle_timeout / 1000, (cfg()->idle_timeout % 1000) * 1000};
	crm_err err;

	if (f->hello->protocol->major != CRM_PROTO_MAJOR) {
		crm_err_clear(&err);
		crm_err_setid(&err, CRM_FAILED_PRECONDITION, "hello.protocol.major",
			      "conn.protocol_version", CRM_NUM(f->hello->protocol->major),
			      CRM_NUM(CRM_PROTO_MAJOR), CRM_NUM(CRM_PROTO_MAJOR),
			      CRM_NUM(CRM_PROTO_MINOR), NULL);
		protocol_error(c, f->id, "hello", t0, &err);
		return;
	}
	v.has_major = v.has_minor = true;
	v.major = CRM_PROTO_MAJOR;
	v.minor = CRM_PROTO_MINOR;
	hr.protocol = &v;
	hr.server_version = CRM_VERSION;
	hr.n_features = sizeof(features) / sizeof(features[0]);
	hr.features = (char **)features;
	hr.n_supported = 1;
	hr.supported = supported;
	hr.has_max_frame = hr.has_max_inflight = true;
	hr.max_frame = frame_limit(c);
	hr.max_inflight = (uint32_t)cfg()->max_inflight;
	resp.body_case = CRM__RESPONSE__BODY_HELLO;
	resp.hello = &hr;
	c->hello_done = true;
	snprintf(c->client_name, sizeof(c->client_name), "%.*s", (int)f->hello->client_name.len,
		 (const char *)f->hello->client_name.data);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	reply_ok(c, &resp, f->id, "hello", t0);
	if (!arm_deadline(c, cfg()->auth_timeout)) {
		log_error("conn=%llu: cannot arm auth_timeout; closing", (unsigned long long)c->id);
		close_after_write(c);
	}
}

static void do_ping(crm_conn *c, const Crm__ClientFrame *f, int64_t t0) {
	Crm__Response resp = CRM__RESPONSE__INIT;
	Crm__PingReply pr = CRM__PING_REPLY__INIT;

	pr.has_server_time = true;
	pr.server_time = crm_now_us();
	if (f->ping->has_payload) {
		pr.has_payload = true;
		pr.payload = f->ping->payload;
	}
	resp.body_case = CRM__RESPONSE__BODY_PING;
	resp.ping = &pr;
	reply_ok(c, &resp, f->id, "ping", t0);
}

static bool id_in_flight(const crm_conn *c, uint64_t id) {
	for (int i = 0; i < c->inflight; i++)
		if (c->ids[i] == id)
			return true;
	return false;
}

static void forget_id(crm_conn *c, uint64_t id) {
	for (int i = 0; i < c->inflight; i++) {
		if (c->ids[i] == id) {
			c->ids[i] = c->ids[--c->inflight];
			return;
		}
	}
}

/* Hands a validated request to the DB (or auth) workers. Takes the job. */
static void submit(crm_conn *c, crm_job *job, int64_t t0) {
	const Crm__ClientFrame *f = job->frame;
	const char *type = crm_wire_request_name(f);
	const crm_route *route = crm_route_find(f->request_case);
	crm_pool *pool = crm_srv->pool;
	crm_err err;

	crm_err_clear(&err);
	if (route == NULL)
		crm_err_setid(&err, CRM_UNIMPLEMENTED, "request", "conn.not_served", type, NULL);
	else if (!route->anonymous && !c->authenticated)
		crm_err_setid(&err, CRM_UNAUTHENTICATED, NULL, "conn.login_first", NULL);
	else if (c->inflight >= cfg()->max_inflight)
		crm_err_setid(&err, CRM_RESOURCE_EXHAUSTED, NULL, "conn.inflight_cap",
			      CRM_NUM(cfg()->max_inflight), NULL);
	else if (id_in_flight(c, f->id))
		crm_err_setid(&err, CRM_INVALID_ARGUMENT, "id", "conn.id_in_flight", CRM_NUM(f->id),
			      NULL);
	else /* sets err for, e.g., a record type this server does not serve */
		crm_route_check(route, f, &err);
	if (!crm_err_isset(&err)) {
		job->conn = c;
		job->io = c->io;
		job->conn_id = c->id;
		job->request_id = f->id;
		job->received_us = t0;
		job->route = route;
		snprintf(job->peer, sizeof(job->peer), "%s", c->peer);
		snprintf(job->client_ip, sizeof(job->client_ip), "%s", c->client_ip);
		snprintf(job->client_name, sizeof(job->client_name), "%s", c->client_name);
		job->has_token = c->authenticated;
		job->token = c->token;
		if (route->pool == CRM_POOL_AUTH)
			pool = crm_srv->auth_pool;
		c->refs++;
		c->ids[c->inflight++] = f->id;
		if (crm_pool_submit(pool, job))
			return;
		c->refs--;
		c->inflight--;
		crm_err_setid(&err, CRM_RESOURCE_EXHAUSTED, NULL, "conn.busy", NULL);
	}
	reply_status(c, f->id, type, t0, &err);
	crm_job_free(job);
}

/* Bounds what the frame can cost to unpack (see crm_wire_prescan). False
 * when it was refused and answered: malformed bytes, or anything before
 * hello, close the connection as a frame protobuf-c refuses would. */
static bool prescan(crm_conn *c, const uint8_t *body, uint32_t len, int64_t t0) {
	bool bad_bytes;
	crm_err err;

	crm_err_clear(&err);
	if (crm_wire_prescan(&crm__client_frame__descriptor, body, len, &bad_bytes, &err))
		return true;
	if (bad_bytes || !c->hello_done)
		protocol_error(c, bad_bytes ? 0 : crm_wire_peek_id(body, len), "unknown", t0, &err);
	else
		reply_status(c, crm_wire_peek_id(body, len), "unknown", t0, &err);
	return false;
}

/* One complete frame body. May close the connection (after write). */
static void handle_frame(crm_conn *c, const uint8_t *body, uint32_t len) {
	int64_t t0 = crm_mono_us();
	crm_job *job;
	Crm__ClientFrame *f;
	crm_err err;

	if (!prescan(c, body, len, t0))
		return;
	job = crm_job_new(CRM_JOB_REQUEST);
	crm_err_clear(&err);
	f = crm__client_frame__unpack(&job->arena.pb, len, body);
	if (f == NULL) {
		crm_err_setid(&err, CRM_INVALID_ARGUMENT, "frame", "conn.malformed", NULL);
		protocol_error(c, 0, "unknown", t0, &err);
		goto done;
	}
	job->frame = f;
	if (!c->hello_done) {
		if (f->request_case != CRM__CLIENT_FRAME__REQUEST_HELLO)
			crm_err_setid(&err, CRM_FAILED_PRECONDITION, "request", "conn.hello_first",
				      NULL);
		else if (crm_wire_validate(f, &err))
			do_hello(c, f, t0);
		if (crm_err_isset(&err))
			protocol_error(c, f->id, crm_wire_request_name(f), t0, &err);
		goto done;
	}
	if (!crm_wire_validate(f, &err)) {
		reply_status(c, f->id, crm_wire_request_name(f), t0, &err);
		goto done;
	}
	if (f->request_case == CRM__CLIENT_FRAME__REQUEST_HELLO) {
		crm_err_setid(&err, CRM_FAILED_PRECONDITION, "request", "conn.hello_again", NULL);
		reply_status(c, f->id, "hello", t0, &err);
	} else if (id_in_flight(c, f->id)) {
		crm_err_setid(&err, CRM_INVALID_ARGUMENT, "id", "conn.id_in_flight", CRM_NUM(f->id),
			      NULL);
		reply_status(c, f->id, crm_wire_request_name(f), t0, &err);
	} else if (f->request_case == CRM__CLIENT_FRAME__REQUEST_PING && !f->ping->deep) {
		do_ping(c, f, t0);
	} else if (c->draining) {
		crm_err_setid(&err, CRM_UNAVAILABLE, NULL, "conn.shutting_down", NULL);
		reply_status(c, f->id, crm_wire_request_name(f), t0, &err);
	} else {
		submit(c, job, t0);
		return;
	}
done:
	crm_job_free(job);
}

static void process_input(crm_conn *c) {
	struct evbuffer *in;
	uint8_t hdr[CRM_FRAME_HEADER];
	int frames = 0;

	while (c->open && !c->closing && !c->read_paused && !c->auth_expired) {
		size_t avail;
		uint32_t len;
		uint8_t *p;

		in = bufferevent_get_input(c->bev);
		avail = evbuffer_get_length(in);
		if (avail < CRM_FRAME_HEADER)
			break;
		if (frames++ == FRAMES_PER_PASS) {
			bufferevent_trigger(c->bev, EV_READ,
					    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
			break;
		}
		evbuffer_copyout(in, hdr, CRM_FRAME_HEADER);
		len = crm_frame_get_len(hdr);
		if (len > frame_limit(c)) {
			crm_err err;
			crm_err_clear(&err);
			crm_err_setid(&err, CRM_RESOURCE_EXHAUSTED, "frame", "conn.frame_too_big",
				      CRM_NUM(len), CRM_NUM(frame_limit(c)), NULL);
			protocol_error(c, 0, "unknown", crm_mono_us(), &err);
			break;
		}
		if (avail < CRM_FRAME_HEADER + (size_t)len)
			break;
		p = evbuffer_pullup(in, CRM_FRAME_HEADER + (ssize_t)len);
		handle_frame(c, p + CRM_FRAME_HEADER, len);
		if (c->open)
			evbuffer_drain(bufferevent_get_input(c->bev), CRM_FRAME_HEADER + len);
	}
}

static void on_read(struct bufferevent *bev, void *arg) {
	crm_conn *c = arg;

	(void)bev;
	c->refs++;
	process_input(c);
	conn_unref(c);
}

static void resume_reading(crm_conn *c) {
	if (c->auth_expired || c->read_paused || c->closing)
		return;
	bufferevent_enable(c->bev, EV_READ);
	/* Frames may already be waiting in the input buffer. */
	bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void on_write(struct bufferevent *bev, void *arg) {
	crm_conn *c = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->closing) {
		if (left == 0)
			conn_close(c, "closed by server");
		return;
	}
	if (c->read_paused && left <= c->hwm / 2) {
		c->read_paused = false;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		resume_reading(c);
	}
}

static void reject_full(crm_conn *c) {
	crm_err err;

	crm_err_clear(&err);
	crm_err_setid(&err, CRM_RESOURCE_EXHAUSTED, NULL, "conn.too_many",
		      CRM_NUM(cfg()->max_connections), NULL);
	protocol_error(c, 0, "connect", crm_mono_us(), &err);
}

static void reject_preauth(crm_conn *c) {
	crm_err err;

	log_info("conn=%llu peer=%s refused: over max_preauth_per_address (%d)",
		 (unsigned long long)c->id, c->peer, cfg()->max_preauth_per_address);
	crm_err_clear(&err);
	crm_err_setid(&err, CRM_RESOURCE_EXHAUSTED, NULL, "conn.too_many_preauth", c->client_ip,
		      CRM_NUM(cfg()->max_preauth_per_address), NULL);
	protocol_error(c, 0, "connect", crm_mono_us(), &err);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
	crm_conn *c = arg;
	char detail[256] = "";

	if (what & BEV_EVENT_CONNECTED) {
		c->tls_up = true;
		if (c->reject)
			reject_full(c);
		else if (c->over_preauth_cap)
			reject_preauth(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
		if (c->inflight > 0 || c->closing || c->subscribed) {
			bufferevent_enable(bev, EV_READ); /* busy, or following events */
			return;
		}
		conn_close(c, "idle timeout");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e;
		while ((e = bufferevent_get_openssl_error(bev)) != 0 && !detail[0])
			ERR_error_string_n(e, detail, sizeof(detail));
		if (!detail[0] && EVUTIL_SOCKET_ERROR())
			snprintf(detail, sizeof(detail), "%s",
				 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		if (!c->tls_up)
			log_info("conn=%llu peer=%s TLS handshake failed: %s",
				 (unsigned long long)c->id, c->peer, detail[0] ? detail : "closed");
		conn_close(c, detail[0] ? detail : "error");
		return;
	}
	if (what & BEV_EVENT_EOF)
		conn_close(c, "peer closed");
}

/* auth_timeout passed without a login. A login (or any request) still in
 * flight is waited for, reading nothing more; crm_conn_deliver comes back
 * here when the last one is answered. */
static void auth_expire(crm_conn *c) {
	crm_err err;
	char secs[32];

	if (c->closing || c->authenticated)
		return;
	if (c->inflight > 0) {
		c->auth_expired = true;
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	log_info("conn=%llu peer=%s dropped: no login within auth_timeout",
		 (unsigned long long)c->id, c->peer);
	crm_err_clear(&err);
	snprintf(secs, sizeof(secs), "%g", cfg()->auth_timeout / 1000.0);
	crm_err_setid(&err, CRM_UNAUTHENTICATED, "login", "conn.auth_timeout", secs, NULL);
	protocol_error(c, 0, "auth", crm_mono_us(), &err);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg) {
	crm_conn *c = arg;

	(void)fd, (void)what;
	if (c->hello_done) {
		auth_expire(c);
		return;
	}
	log_info("conn=%llu peer=%s dropped: no hello within handshake_timeout",
		 (unsigned long long)c->id, c->peer);
	conn_close(c, "handshake timeout");
}

static bool start_tls(crm_conn *c) {
	SSL *ssl = crm_tls_new_ssl();

	if (ssl == NULL)
		return false;
	c->bev = bufferevent_openssl_socket_new(c->io->base, c->fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		return false;
	}
	/* A peer that closes without close_notify is an EOF, not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return true;
}

static void on_proxy(evutil_socket_t fd, short what, void *arg) {
	crm_conn *c = arg;
	size_t need = CRM_PROXY_HEADER_MIN;
	struct sockaddr_storage src;
	crm_proxy_result r;
	bool local = false;
	ssize_t n;
	crm_err err;

	(void)what;
	crm_err_clear(&err);
	/* Read exactly what the header still needs: never into the TLS bytes. */
	r = crm_proxy_parse(c->proxybuf, c->proxylen, &need, &src, &local, &err);
	while (r == CRM_PROXY_MORE) {
		n = recv(fd, c->proxybuf + c->proxylen, need - c->proxylen, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(c, "peer closed during PROXY header");
			return;
		}
		if (n < 0)
			return; /* wait for more */
		c->proxylen += (size_t)n;
		r = crm_proxy_parse(c->proxybuf, c->proxylen, &need, &src, &local, &err);
	}
	if (r == CRM_PROXY_ERROR) {
		log_warn("conn=%llu peer=%s bad PROXY header from trusted proxy: %s",
			 (unsigned long long)c->id, c->peer, err.msg);
		conn_close(c, "bad PROXY header");
		return;
	}
	if (!local) {
		char via[64];
		snprintf(via, sizeof(via), "%s", c->peer);
		format_peer(&src, c->peer, sizeof(c->peer), c->client_ip, sizeof(c->client_ip));
		crm_preauth_key_of(&src, &c->addr_key);
		log_debug("conn=%llu peer=%s via proxy %s", (unsigned long long)c->id, c->peer, via);
	}
	if (!c->reject)
		preauth_count(c);
	event_free(c->proxy_ev);
	c->proxy_ev = NULL;
	free(c->proxybuf);
	c->proxybuf = NULL;
	if (!start_tls(c))
		conn_close(c, "cannot start TLS");
}

/* From a trusted proxy, the PROXY header first (its source is the client
 * address that counts); otherwise the peer counts and TLS starts. */
static bool start_reading(crm_conn *c, const struct sockaddr_storage *peer) {
	if (crm_config_is_trusted_proxy(cfg(), (const struct sockaddr *)peer)) {
		c->proxybuf = malloc(CRM_PROXY_HEADER_MAX);
		c->proxy_ev = event_new(c->io->base, c->fd, EV_READ | EV_PERSIST, on_proxy, c);
		return c->proxybuf && c->proxy_ev && event_add(c->proxy_ev, NULL) == 0;
	}
	if (!c->reject)
		preauth_count(c);
	return start_tls(c);
}

crm_conn *crm_conn_new(crm_io *io, crm_handoff *h) {
	size_t ids = (size_t)cfg()->max_inflight;
	crm_conn *c = calloc(1, sizeof(*c) + ids * sizeof(uint64_t));
	int one = 1;

	if (c == NULL) {
		close(h->fd);
		return NULL;
	}
	c->io = io;
	c->fd = h->fd;
	c->id = atomic_fetch_add(&crm_srv->next_conn_id, 1);
	c->reject = h->reject;
	c->refs = 1;
	c->open = true;
	c->hwm = cfg()->max_frame * 2 > OUTPUT_HWM_MIN ? cfg()->max_frame * 2 : OUTPUT_HWM_MIN;
	format_peer(&h->addr, c->peer, sizeof(c->peer), c->client_ip, sizeof(c->client_ip));
	crm_preauth_key_of(&h->addr, &c->addr_key);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = io->conns;
	if (io->conns)
		io->conns->prev = c;
	io->conns = c;
	io->n_conns++;
	if (arm_deadline(c, cfg()->handshake_timeout) && start_reading(c, &h->addr))
		return c;
	log_error("conn=%llu peer=%s cannot set up connection", (unsigned long long)c->id, c->peer);
	atomic_fetch_add(&crm_srv->conns, 1); /* conn_close takes it back; so does the caller */
	conn_close(c, "setup failed");
	return NULL;
}

static void free_job_output(const void *data, size_t len, void *arg) {
	(void)len, (void)arg;
	free((void *)data);
}

/* Queues a job's reply. Small replies are copied, so that those delivered
 * in one loop iteration share buffer chains and leave in one TLS record and
 * one write (bufferevent_openssl writes once a chain); large ones are passed
 * by reference. */
static bool queue_reply(crm_conn *c, crm_job *job) {
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (job->out_len <= REPLY_COPY_MAX)
		return evbuffer_add(out, job->out, job->out_len) == 0;
	if (evbuffer_add_reference(out, job->out, job->out_len, free_job_output, NULL) != 0)
		return false;
	job->out = NULL;
	return true;
}

/* The connection has just become idle (its last reply is queued): the
 * idle_timeout counts from now, not from the last byte received, or a
 * request that took most of it would leave the client no time to send
 * the next. Re-setting the timeouts restarts the read timer. */
static void restart_idle(crm_conn *c) {
	struct timeval idle = {cfg()->idle_timeout / 1000, (cfg()->idle_timeout % 1000) * 1000};

	if (c->hello_done && !c->closing)
		bufferevent_set_timeouts(c->bev, &idle, NULL);
}

/* A login or resume succeeded: no more deadline, no more preauth count. */
static void logged_in(crm_conn *c) {
	c->authenticated = true;
	preauth_uncount(c);
	if (c->deadline)
		evtimer_del(c->deadline);
	if (c->auth_expired) {
		c->auth_expired = false;
		resume_reading(c);
	}
}

/* Logged out: the connection is one that has not logged in again. It
 * counts again (past the cap if need be: it was admitted) and gets a new
 * auth_timeout. */
static void logged_out(crm_conn *c) {
	c->authenticated = false;
	if (!c->preauth_counted && crm_preauth_acquire(&c->addr_key, INT_MAX))
		c->preauth_counted = true;
	if (!arm_deadline(c, cfg()->auth_timeout)) {
		log_error("conn=%llu: cannot arm auth_timeout; closing", (unsigned long long)c->id);
		close_after_write(c);
	}
}

/* ------------------------------------------------------------ events */

static void events_kick(crm_conn *c);

static void on_events_retry(evutil_socket_t fd, short what, void *arg) {
	(void)fd, (void)what;
	events_kick(arg);
}

/* Fetches again in ms (a refused or failed fetch is never dropped). */
static void events_retry(crm_conn *c, int ms) {
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (c->ev_retry == NULL)
		c->ev_retry = evtimer_new(c->io->base, on_events_retry, c);
	if (c->ev_retry == NULL || evtimer_add(c->ev_retry, &tv) != 0)
		log_error("conn=%llu: cannot arm the events retry timer; the next events fetch "
			  "will catch up", (unsigned long long)c->id);
}

/* Queues a fetch of the connection's new events unless one is in flight
 * (then one more follows it). A full pool: retried in CRM_EVENTS_RETRY_MS. */
static void events_kick(crm_conn *c) {
	crm_job *job;

	if (!c->open || c->closing || !c->subscribed || c->draining)
		return;
	if (c->ev_fetching) {
		c->ev_again = true;
		return;
	}
	job = crm_job_new(CRM_JOB_EVENTS);
	job->rid = crm_request_id_next();
	job->conn = c;
	job->io = c->io;
	job->conn_id = c->id;
	job->received_us = crm_mono_us();
	job->token = c->token;
	job->has_token = true;
	job->ev_pos = c->ev_pos;
	job->ev_gen = c->ev_gen;
	snprintf(job->peer, sizeof(job->peer), "%s", c->peer);
	snprintf(job->client_ip, sizeof(job->client_ip), "%s", c->client_ip);
	c->refs++;
	c->ev_fetching = true;
	c->ev_again = c->ev_skip = false;
	if (c->ev_retry)
		evtimer_del(c->ev_retry);
	log_debug("conn=%llu user_id=%lld: events fetch after %" PRIu64 "/%" PRIu64,
		  (unsigned long long)c->id, (long long)c->ev_user, c->ev_pos.xid, c->ev_pos.seq);
	if (crm_pool_submit(crm_srv->pool, job))
		return;
	c->refs--;
	c->ev_fetching = false;
	crm_job_free(job);
	log_debug("conn=%llu user_id=%lld: events fetch refused (queue full); again in %d ms",
		  (unsigned long long)c->id, (long long)c->ev_user, CRM_EVENTS_RETRY_MS);
	events_retry(c, CRM_EVENTS_RETRY_MS);
}

/* The connection is too far behind (its output above the high-water mark
 * with more events to send): one EventsDropped, then nothing until it
 * subscribes again. */
static void events_dropped(crm_conn *c) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Event ev = CRM__EVENT__INIT;
	Crm__EventsDropped ed = CRM__EVENTS_DROPPED__INIT;
	Crm__EventPosition pos = CRM__EVENT_POSITION__INIT;

	log_info("conn=%llu peer=%s: events dropped (output above %zu bytes); the client must "
		 "subscribe again", (unsigned long long)c->id, c->peer, c->hwm);
	c->subscribed = false;
	pos.has_xid = pos.has_seq = true;
	pos.xid = c->ev_pos.xid;
	pos.seq = c->ev_pos.seq;
	ed.position = &pos;
	ev.has_at = true;
	ev.at = crm_now_us();
	ev.kind_case = CRM__EVENT__KIND_DROPPED;
	ev.dropped = &ed;
	sf.kind_case = CRM__SERVER_FRAME__KIND_EVENT;
	sf.event = &ev;
	send_frame(c, &sf);
}

/* A fetch came back: its frames go out and the position moves, or the
 * subscription ends (session gone, or the client too slow). */
static void events_delivered(crm_conn *c, crm_job *job) {
	c->ev_fetching = false;
	if (!c->open || !c->subscribed)
		return;
	if (job->ev_gen != c->ev_gen) { /* for an older subscription */
		events_kick(c);
		return;
	}
	if (job->status == CRM_UNAUTHENTICATED) {
		log_info("conn=%llu peer=%s: session ended; no more events",
			 (unsigned long long)c->id, c->peer);
		c->subscribed = false;
		return;
	}
	if (job->status != CRM_OK) { /* the database is away, or the queue full */
		log_debug("conn=%llu user_id=%lld: events fetch failed (%s); again shortly",
			  (unsigned long long)c->id, (long long)c->ev_user, crm_status_name(job->status));
		c->ev_again = c->ev_skip = false;
		events_retry(c, job->status == CRM_RESOURCE_EXHAUSTED ? CRM_EVENTS_RETRY_MS
								    : CRM_EVENTS_RETRY_ERROR_MS);
		return;
	}
	if (job->out_len > 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) > c->hwm) {
		events_dropped(c);
		return;
	}
	if (job->out_len > 0 && !queue_reply(c, job)) {
		log_error("conn=%llu: events could not be queued; closing", (unsigned long long)c->id);
		close_after_write(c);
		return;
	}
	c->ev_pos = job->ev_pos;
	c->ev_user = job->ev_user;
	/* audiences that came meanwhile without this user */
	if (c->ev_skip && crm_event_pos_cmp(c->ev_pos, c->ev_skip_from) >= 0 &&
	    crm_event_pos_cmp(c->ev_skip_to, c->ev_pos) > 0)
		c->ev_pos = c->ev_skip_to;
	c->ev_skip = false;
	check_output(c);
	if (job->ev_more || c->ev_again)
		events_kick(c);
}

void crm_conn_events_all(crm_io *io) {
	for (crm_conn *c = io->conns; c; c = c->next)
		if (c->subscribed)
			events_kick(c);
}

/* A fetch is in flight: an audience without the user extends the range
 * its result may skip to when it follows on from it; anything else wants
 * one more fetch after it. */
static void events_route_busy(crm_conn *c, const crm_audience *a, bool mine) {
	if (mine || c->ev_user == 0) {
		c->ev_again = true;
	} else if (!c->ev_skip) {
		c->ev_skip = true;
		c->ev_skip_from = a->from;
		c->ev_skip_to = a->to;
	} else if (crm_event_pos_cmp(c->ev_skip_to, a->from) >= 0) {
		if (crm_event_pos_cmp(a->to, c->ev_skip_to) > 0)
			c->ev_skip_to = a->to;
	} else {
		c->ev_again = true;
	}
}

static void events_route(crm_conn *c, const crm_audience *a) {
	const crm_event_pos *last = c->ev_user ? crm_audience_find(a, c->ev_user) : NULL;

	if (c->ev_fetching) {
		events_route_busy(c, a, last != NULL);
	} else if (c->ev_user == 0 || crm_event_pos_cmp(c->ev_pos, a->from) < 0 ||
		   (last && crm_event_pos_cmp(*last, c->ev_pos) > 0)) {
		events_kick(c); /* not known, behind, or the user's events */
	} else if (crm_event_pos_cmp(a->to, c->ev_pos) > 0) {
		c->ev_pos = a->to; /* none of the user's: no query */
		log_debug("conn=%llu user_id=%lld: events moved to %" PRIu64 "/%" PRIu64
			  " without a fetch", (unsigned long long)c->id, (long long)c->ev_user,
			  c->ev_pos.xid, c->ev_pos.seq);
	}
}

void crm_conn_events_route(crm_io *io, const crm_audience *a) {
	for (crm_conn *c = io->conns; c; c = c->next)
		if (c->subscribed)
			events_route(c, a);
}

void crm_conn_deliver(crm_job *job) {
	crm_conn *c = job->conn;

	if (c == NULL) { /* maintenance job */
		crm_job_free(job);
		return;
	}
	if (job->kind == CRM_JOB_EVENTS) {
		events_delivered(c, job);
		crm_job_free(job);
		conn_unref(c);
		return;
	}
	forget_id(c, job->request_id);
	if (c->open && job->status == CRM_OK && job->subscribes) {
		c->subscribed = true;
		c->ev_gen++;
		c->ev_pos = job->ev_pos;
		c->ev_user = job->ev_user;
		c->ev_skip = false;
		c->ev_again = true; /* the first fetch follows the reply */
	}
	if (c->open && job->status == CRM_OK && job->sets_session) {
		c->token = job->new_token;
		c->ev_user = 0; /* another session: learnt again from its fetch */
		logged_in(c);
	} else if (c->open && job->status == CRM_OK && job->clears_session) {
		memset(&c->token, 0, sizeof(c->token));
		c->subscribed = false;
		logged_out(c);
	}
	if (c->open) {
		if (job->out && queue_reply(c, job)) {
			log_request(c, job->request_id, job->rid, crm_wire_request_name(job->frame),
				    job->status, job->received_us, job->user);
			check_output(c);
		} else {
			log_error("conn=%llu req=%llu: reply could not be queued; closing",
				  (unsigned long long)c->id, (unsigned long long)job->request_id);
			close_after_write(c);
		}
		if (c->draining && c->inflight == 0)
			close_after_write(c);
		if (c->open && c->subscribed && c->ev_again && !c->ev_fetching)
			events_kick(c);
		if (c->auth_expired)
			auth_expire(c);
		else if (c->inflight == 0)
			restart_idle(c);
	}
	crm_job_free(job);
	conn_unref(c);
}

static void send_shutdown_event(crm_conn *c) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Event ev = CRM__EVENT__INIT;
	Crm__Shutdown sd = CRM__SHUTDOWN__INIT;

	sd.has_grace_ms = true;
	sd.grace_ms = (uint32_t)cfg()->shutdown_grace;
	ev.has_at = true;
	ev.at = crm_now_us();
	ev.kind_case = CRM__EVENT__KIND_SHUTDOWN;
	ev.shutdown = &sd;
	sf.kind_case = CRM__SERVER_FRAME__KIND_EVENT;
	sf.event = &ev;
	send_frame(c, &sf);
}

void crm_conn_drain_all(crm_io *io) {
	crm_conn *c = io->conns, *next;

	while (c) {
		next = c->next;
		c->draining = true;
		if (!c->tls_up || !c->hello_done) {
			conn_close(c, "server shutting down");
		} else {
			send_shutdown_event(c);
			if (c->inflight == 0)
				close_after_write(c);
		}
		c = next;
	}
}

void crm_conn_abort_all(crm_io *io, const char *why) {
	while (io->conns)
		conn_close(io->conns, why);
}
