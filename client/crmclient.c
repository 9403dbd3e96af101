/*
 * crmclient: the public face of libcrmclient. Options, connecting (TCP,
 * TLS, hello, resume), the session token, the blocking call with its retry
 * rules, and the small accessors. The non-blocking machinery lives in
 * client_io.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "client_internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000

/* ---------------------------------------------------------------- waiting for one reply */

/* Filled by wait_cb; the blocking paths wait until done. */
struct wait_state {
	bool done;
	Crm__ServerFrame *reply;
	crm_err err;      /* the request's error, as its callback got it */
	crm_err conn_err; /* why the connection broke, if it did */
	enum crm_client_outcome outcome;
};

static void wait_cb(crm_client *c, Crm__ServerFrame *reply, const crm_err *e, void *userdata) {
	struct wait_state *st = userdata;

	st->done = true;
	st->reply = reply;
	st->outcome = c->outcome;
	if (e != NULL && !crm_err_isset(&st->err))
		st->err = *e; /* the whole error: its message id and arguments too */
}

/* Runs the loop until st is done. It always gets done: the request has a
 * deadline, and a broken connection fails every pending request. */
static void wait_done(crm_client *c, struct wait_state *st) {
	struct pollfd pfd;
	crm_err e;
	int rc;

	while (!st->done && c->connected) {
		pfd.fd = crm_client_fd(c);
		pfd.events = crm_client_events(c);
		pfd.revents = 0;
		rc = poll(&pfd, 1, crm_client_next_timeout_ms(c));
		crm_err_clear(&e);
		if (rc < 0 && errno != EINTR) {
			crm_err_setid(&e, CRM_UNAVAILABLE, NULL, "client.poll_failed", strerror(errno),
				      NULL);
			crm_client_io_fail(c, &e, false);
		} else if (!crm_client_process(c, rc > 0 ? pfd.revents : 0, &e)) {
			crm_client_err_copy(&st->conn_err, &e);
		}
	}
	if (!st->done) /* cannot happen; never hang if it does */
		crm_err_set(&st->err, CRM_INTERNAL, NULL, "connection closed while waiting");
}

/* Copies src, message id and arguments included, unless dst is set (the
 * first error wins); returns false like crm_err_set. */
static bool copy_err(crm_err *dst, const crm_err *src) {
	if (crm_err_isset(dst))
		return false;
	*dst = *src;
	if (dst->code == 0)
		dst->code = CRM_INTERNAL;
	return false;
}

/* ---------------------------------------------------------------- connecting */

static void store_hello(crm_client *c, const Crm__HelloReply *h) {
	size_t i;

	c->server_version = strdup(h->server_version ? h->server_version : "unknown");
	c->features = calloc(h->n_features + 1, sizeof(char *));
	for (i = 0; c->features != NULL && i < h->n_features; i++)
		c->features[i] = strdup(h->features[i] ? h->features[i] : "");
	c->info.server_version = c->server_version ? c->server_version : "unknown";
	c->info.features = (const char *const *)c->features;
	c->info.n_features = c->features ? h->n_features : 0;
	c->info.protocol_major = h->protocol ? h->protocol->major : 0;
	c->info.protocol_minor = h->protocol ? h->protocol->minor : 0;
	if (h->has_max_frame && h->max_frame >= CRM_FRAME_MIN_FLOOR)
		c->info.max_frame = h->max_frame < CRM_FRAME_MAX_CEILING ? h->max_frame
									 : CRM_FRAME_MAX_CEILING;
	if (h->has_max_inflight && h->max_inflight > 0)
		c->info.max_inflight = h->max_inflight;
	c->preauth_max_frame = c->info.max_frame;
}

static void forget_hello(crm_client *c) {
	size_t i;

	for (i = 0; c->features != NULL && c->features[i] != NULL; i++)
		free(c->features[i]);
	free(c->features);
	free(c->server_version);
	c->features = NULL;
	c->server_version = NULL;
	memset(&c->info, 0, sizeof(c->info));
	c->info.server_version = "unknown";
	c->info.max_frame = CRM_FRAME_MIN_FLOOR; /* enough for a hello */
	c->info.max_inflight = 1;
	c->preauth_max_frame = c->info.max_frame;
}

/* ---------------------------------------------------------------- the session */

bool crm_client_token_replace(crm_client *c, const char *token) {
	char *copy = NULL;

	if (token != NULL && (copy = strdup(token)) == NULL)
		return false;
	if (c->token != NULL) {
		OPENSSL_cleanse(c->token, strlen(c->token));
		free(c->token);
	}
	c->token = copy;
	return true;
}

void crm_client_session_reply(crm_client *c, Crm__ClientFrame__RequestCase request,
			      const Crm__Response *r) {
	const Crm__LoginReply *l = r->body_case == CRM__RESPONSE__BODY_LOGIN ? r->login : NULL;

	switch (request) {
	case CRM__CLIENT_FRAME__REQUEST_LOGIN:
	case CRM__CLIENT_FRAME__REQUEST_RESUME:
	case CRM__CLIENT_FRAME__REQUEST_PASSWORD_CHANGE:
		if (l == NULL)
			return;
		c->info.authenticated = true;
		if (l->has_session_id)
			c->info.session_id = (int64_t)l->session_id;
		if (l->has_expires_at)
			c->info.expires_at = l->expires_at;
		if (l->user != NULL && l->user->time_zone != NULL &&
		    strlen(l->user->time_zone) < sizeof(c->info.time_zone))
			strcpy(c->info.time_zone, l->user->time_zone);
		if (l->user != NULL && l->user->locale != NULL &&
		    strlen(l->user->locale) < sizeof(c->info.locale))
			strcpy(c->info.locale, l->user->locale);
		if (l->has_max_frame && l->max_frame >= CRM_FRAME_MIN_FLOOR)
			c->info.max_frame = l->max_frame < CRM_FRAME_MAX_CEILING
						    ? l->max_frame
						    : CRM_FRAME_MAX_CEILING;
		/* a new token (login, or a password change that revoked the old
		 * sessions) is what a reconnect must resume from now on; if the
		 * copy fails the old one stays and a reconnect will say so */
		if (l->token != NULL && l->token[0] != '\0')
			(void)crm_client_token_replace(c, l->token);
		return;
	case CRM__CLIENT_FRAME__REQUEST_LOGOUT:
		(void)crm_client_token_replace(c, NULL);
		c->info.authenticated = false;
		c->info.time_zone[0] = c->info.locale[0] = '\0';
		c->info.session_id = c->info.expires_at = 0;
		c->info.max_frame = c->preauth_max_frame;
		return;
	default:
		return;
	}
}

const char *crm_client_session_token(const crm_client *c) { return c->token; }

bool crm_client_set_session(crm_client *c, const char *token, crm_err *err) {
	if (token != NULL && (token[0] == '\0' || strlen(token) > 128))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "session_token",
				   "a session token is 1 to 128 bytes");
	return crm_client_token_replace(c, token) ||
	       crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
}

static bool hello_failed(crm_client *c, const struct wait_state *st, crm_err *err) {
	char ms[24];

	if (st->outcome == CRM_OUTCOME_TIMEOUT)
		return crm_err_setid(err, CRM_UNAVAILABLE, "server", "client.hello_timeout", c->server,
				     CRM_CLIENT_NUM(ms, c->opt.connect_timeout_ms), NULL);
	if (st->reply == NULL && crm_err_isset(&st->conn_err))
		return copy_err(err, &st->conn_err);
	return copy_err(err, &st->err);
}

static bool say_hello(crm_client *c, int64_t deadline_us, crm_err *err) {
	Crm__Version v = CRM__VERSION__INIT;
	Crm__Hello h = CRM__HELLO__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	struct wait_state st = {0};
	const Crm__Response *r;
	bool ok = false;

	v.has_major = v.has_minor = true;
	v.major = CRM_PROTO_MAJOR;
	v.minor = CRM_PROTO_MINOR;
	h.protocol = &v;
	h.has_client_name = true;
	h.client_name.data = (uint8_t *)c->client_name;
	h.client_name.len = strlen(c->client_name);
	f.request_case = CRM__CLIENT_FRAME__REQUEST_HELLO;
	f.hello = &h;
	if (!crm_client_io_enqueue(c, &f, wait_cb, &st, deadline_us, err))
		return false;
	wait_done(c, &st);
	if (st.reply == NULL || crm_err_isset(&st.err))
		goto cleanup;
	r = st.reply->response;
	if (r->body_case != CRM__RESPONSE__BODY_HELLO || r->hello == NULL) {
		crm_err_setid(&st.err, CRM_INTERNAL, NULL, "client.no_hello", c->server, NULL);
		goto cleanup;
	}
	store_hello(c, r->hello);
	ok = true;
cleanup:
	if (!ok)
		hello_failed(c, &st, err);
	crm_client_reply_free(st.reply);
	return ok;
}

/* Resumes the session of c->token on the new connection. */
static bool say_resume(crm_client *c, int64_t deadline_us, crm_err *err) {
	Crm__Resume rs = CRM__RESUME__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	struct wait_state st = {0};
	char ms[24];
	bool ok;

	rs.has_token = true;
	rs.token.data = (uint8_t *)c->token;
	rs.token.len = strlen(c->token);
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RESUME;
	f.resume = &rs;
	if (!crm_client_io_enqueue(c, &f, wait_cb, &st, deadline_us, err))
		return false;
	wait_done(c, &st);
	ok = st.reply != NULL && !crm_err_isset(&st.err);
	if (ok) /* even without a LoginReply body (then the frame limit stays) */
		c->info.authenticated = true;
	if (!ok && st.reply != NULL && st.err.code == CRM_UNAUTHENTICATED)
		crm_err_setid(err, CRM_UNAUTHENTICATED, NULL, "auth.session_gone", NULL);
	else if (!ok && st.outcome == CRM_OUTCOME_TIMEOUT)
		crm_err_setid(err, CRM_UNAVAILABLE, "server", "client.resume_timeout", c->server,
			      CRM_CLIENT_NUM(ms, c->opt.connect_timeout_ms), NULL);
	else if (!ok)
		copy_err(err, st.reply == NULL && crm_err_isset(&st.conn_err) ? &st.conn_err
									    : &st.err);
	crm_client_reply_free(st.reply);
	return ok;
}

static bool connect_now(crm_client *c, crm_err *err) {
	int64_t deadline = crm_client_mono_us() + (int64_t)c->opt.connect_timeout_ms * 1000;

	crm_client_io_close(c, false);
	forget_hello(c);
	crm_err_clear(&c->server_said);
	c->server_shutdown = false;
	if (!crm_client_net_connect(c, deadline, err))
		return false;
	if (!crm_client_tls_handshake(c, deadline, err)) {
		crm_client_io_close(c, false);
		return false;
	}
	c->connected = true;
	if (!say_hello(c, deadline, err) || (c->token != NULL && !say_resume(c, deadline, err))) {
		crm_client_io_close(c, true);
		return false;
	}
	return true;
}

void crm_client_options_init(crm_client_options *o) {
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = CRM_CLIENT_CONNECT_TIMEOUT_MS;
	o->request_timeout_ms = CRM_CLIENT_REQUEST_TIMEOUT_MS;
	o->retries = CRM_CLIENT_RETRIES;
}

/* Copies the options (strings included) and fills in defaults. */
static bool copy_options(crm_client *c, const crm_client_options *o, crm_err *err) {
	const char *name = o->client_name ? o->client_name : "libcrmclient/" CRM_VERSION;

	c->opt = *o;
	if (c->opt.connect_timeout_ms <= 0)
		c->opt.connect_timeout_ms = CRM_CLIENT_CONNECT_TIMEOUT_MS;
	if (c->opt.request_timeout_ms <= 0)
		c->opt.request_timeout_ms = CRM_CLIENT_REQUEST_TIMEOUT_MS;
	if (c->opt.retries < 0)
		c->opt.retries = CRM_CLIENT_RETRIES;
	if (strlen(name) < 1 || strlen(name) > CRM_CLIENT_NAME_MAX)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "client_name",
				   "must be 1 to %d bytes", CRM_CLIENT_NAME_MAX);
	c->server = o->server ? strdup(o->server) : NULL;
	c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	c->cert_file = o->cert_file ? strdup(o->cert_file) : NULL;
	c->key_file = o->key_file ? strdup(o->key_file) : NULL;
	c->client_name = strdup(name);
	if ((o->server && !c->server) || (o->ca_file && !c->ca_file) ||
	    (o->cert_file && !c->cert_file) || (o->key_file && !c->key_file) || !c->client_name)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
	c->opt.server = c->server;
	c->opt.ca_file = c->ca_file;
	c->opt.cert_file = c->cert_file;
	c->opt.key_file = c->key_file;
	c->opt.client_name = c->client_name;
	c->opt.session_token = NULL; /* lives in c->token, which changes */
	if (o->session_token != NULL && !crm_client_set_session(c, o->session_token, err))
		return false;
	c->event_cb = o->event_cb;
	c->event_userdata = o->event_userdata;
	return true;
}

crm_client *crm_client_connect(const crm_client_options *o, crm_err *err) {
	crm_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->next_id = 1;
	forget_hello(c);
	if (!copy_options(c, o, err) || !crm_client_net_split(c->server, &c->host, &c->port, err))
		goto fail;
	c->host_is_ip = crm_client_net_is_ip(c->host);
	c->ctx = crm_client_tls_ctx_new(c, err);
	if (c->ctx == NULL || !connect_now(c, err))
		goto fail;
	return c;
fail:
	crm_client_free(c);
	return NULL;
}

bool crm_client_reconnect(crm_client *c, crm_err *err) {
	crm_err why;

	if (c->connected) {
		crm_err_clear(&why);
		crm_err_setid(&why, CRM_UNAVAILABLE, NULL, "client.reconnected", NULL);
		crm_client_io_fail(c, &why, true);
	}
	return connect_now(c, err);
}

void crm_client_free(crm_client *c) {
	crm_err why;

	if (c == NULL)
		return;
	crm_err_clear(&why);
	crm_err_setid(&why, CRM_UNAVAILABLE, NULL, "client.closed", NULL);
	crm_client_io_fail(c, &why, true);
	crm_client_io_free_queues(c);
	forget_hello(c);
	(void)crm_client_token_replace(c, NULL);
	SSL_CTX_free(c->ctx);
	free(c->server);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->client_name);
	free(c->host);
	free(c->port);
	free(c);
}

const crm_client_server_info *crm_client_server(const crm_client *c) { return &c->info; }

bool crm_client_connected(const crm_client *c) { return c->connected; }

void crm_client_set_event_cb(crm_client *c, crm_client_event_cb cb, void *userdata) {
	c->event_cb = cb;
	c->event_userdata = userdata;
}

/* ---------------------------------------------------------------- calls */

static void backoff(int attempt) {
	int64_t ms = BACKOFF_FIRST_MS;
	unsigned char r = 0;
	struct timespec ts;

	while (--attempt > 0 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	if (RAND_bytes(&r, 1) == 1) /* up to +50%: clients that lost the same server spread out */
		ms += ms * r / 512;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A connection the server closed while we were idle (idle timeout, restart)
 * is noticed here, before a request is written into it: the request can
 * then go out on a new connection with no doubt about its outcome.
 */
static void notice_close(crm_client *c) {
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	crm_err ignored;

	crm_err_clear(&ignored);
	if (c->connected && poll(&pfd, 1, 0) > 0 && !crm_client_process(c, pfd.revents, &ignored))
		return; /* closed now; crm_client_call reconnects */
}

/* The final error of a call that got no reply. */
static bool give_up(crm_err *err, const crm_err *last, bool unknown, bool last_says_unknown) {
	char why[CRM_ERR_MSG_MAX];

	if (unknown && !last_says_unknown)
		return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "client.retry_failed",
				     crm_err_text(last, why, sizeof(why)), NULL);
	return copy_err(err, last);
}

bool crm_client_call(crm_client *c, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		     crm_err *err) {
	bool keyed = req->has_idempotency_key && req->idempotency_key.len > 0;
	bool unknown = false;
	struct wait_state st;
	crm_err last;
	int attempt;

	*reply = NULL;
	for (attempt = 0;; attempt++) {
		if (attempt > 0)
			backoff(attempt);
		crm_err_clear(&last);
		notice_close(c);
		if (!c->connected && !connect_now(c, &last)) {
			/* a first connect failure is final; while retrying, the server may be
			 * restarting, but a refused session or certificate will not mend */
			if (attempt == 0 || attempt >= c->opt.retries ||
			    (last.code != CRM_UNAVAILABLE && last.code != CRM_DEADLINE_EXCEEDED))
				return give_up(err, &last, unknown, false);
			continue;
		}
		memset(&st, 0, sizeof(st));
		if (!crm_client_send_async(c, req, wait_cb, &st, err))
			return false;
		wait_done(c, &st);
		if (st.reply != NULL) {
			*reply = st.reply;
			return !crm_err_isset(&st.err) || copy_err(err, &st.err);
		}
		unknown = unknown || st.outcome == CRM_OUTCOME_LOST_SENT;
		if (st.outcome == CRM_OUTCOME_TIMEOUT || attempt >= c->opt.retries ||
		    (st.outcome == CRM_OUTCOME_LOST_SENT && !keyed))
			return give_up(err, &st.err, unknown,
				       st.outcome != CRM_OUTCOME_LOST_UNSENT);
	}
}

void crm_client_reply_free(Crm__ServerFrame *reply) {
	if (reply != NULL)
		crm__server_frame__free_unpacked(reply, NULL);
}

bool crm_client_send_async(crm_client *c, Crm__ClientFrame *req, crm_client_reply_cb cb,
			   void *userdata, crm_err *err) {
	int64_t deadline = crm_client_mono_us() + (int64_t)c->opt.request_timeout_ms * 1000;

	if (cb == NULL)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, NULL, "a reply callback is required");
	return crm_client_io_enqueue(c, req, cb, userdata, deadline, err);
}

bool crm_client_idempotency_key(char out[CRM_CLIENT_KEY_LEN + 1], crm_err *err) {
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[CRM_CLIENT_KEY_LEN / 2];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return crm_err_set(err, CRM_INTERNAL, NULL, "the random number generator failed");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xF];
	}
	out[CRM_CLIENT_KEY_LEN] = '\0';
	return true;
}
