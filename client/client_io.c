/*
 * client_io: everything that moves bytes once the connection is up, and
 * the requests waiting for replies.
 *
 * Writes: a request is encoded into its own buffer at once. If fewer than
 * max_inflight requests are out it is appended to the output buffer and
 * counts as in flight; otherwise it waits in a local FIFO until a reply
 * frees a slot. SSL_write is retried with the same length after WANT_*
 * (the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
 *
 * Reads: SSL_read is called until it says WANT_READ, so no decrypted data
 * is ever left inside OpenSSL (SSL_pending) while the caller sleeps in
 * poll(). Every complete frame is decoded and dispatched at once.
 *
 * Whether a lost request "may have been applied" is decided by stream
 * offsets: once any of its bytes went to SSL_write (even an attempt that
 * returned WANT_WRITE: OpenSSL may have sent part of the record), its
 * outcome is unknown.
 *
 * Requests that carry a password or a token are wiped from our buffers
 * once written or dropped (best effort: a realloc may leave a copy).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "client_internal.h"

#define READ_CHUNK 16384
#define WRITE_CHUNK (256 * 1024)

/* ---------------------------------------------------------------- buffers and queues */

static bool buf_reserve(struct crm_client_buf *b, size_t n) {
	size_t cap;
	uint8_t *p;

	if (b->off > 0 && (b->off == b->len || b->len + n > b->cap)) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : READ_CHUNK;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

static void q_push(struct crm_client_queue *q, struct crm_client_pending *p) {
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->n++;
}

static struct crm_client_pending *q_pop(struct crm_client_queue *q) {
	struct crm_client_pending *p = q->head;

	if (p == NULL)
		return NULL;
	q->head = p->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	p->next = NULL;
	return p;
}

/* Removes and returns the entry with this id, NULL if none. */
static struct crm_client_pending *q_take(struct crm_client_queue *q, uint64_t id) {
	struct crm_client_pending **pp, *prev = NULL;

	for (pp = &q->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		struct crm_client_pending *p = *pp;
		if (p->id != id)
			continue;
		*pp = p->next;
		if (q->tail == p)
			q->tail = prev;
		q->n--;
		p->next = NULL;
		return p;
	}
	return NULL;
}

static void pending_free(struct crm_client_pending *p) {
	if (p->secret && p->frame != NULL)
		OPENSSL_cleanse(p->frame, p->frame_len);
	free(p->frame);
	free(p);
}

/* Requests whose frame holds a password or a session token. */
static bool request_secret(const Crm__ClientFrame *req) {
	switch (req->request_case) {
	case CRM__CLIENT_FRAME__REQUEST_LOGIN:
	case CRM__CLIENT_FRAME__REQUEST_RESUME:
	case CRM__CLIENT_FRAME__REQUEST_PASSWORD_CHANGE:
	case CRM__CLIENT_FRAME__REQUEST_USER_RESET_PASSWORD:
		return true;
	case CRM__CLIENT_FRAME__REQUEST_USER_CREATE:
		return req->user_create != NULL && req->user_create->has_password;
	default:
		return false;
	}
}

/* Empties the output buffer, wiping it first if it held a secret. */
static void out_reset(crm_client *c) {
	if (c->out_secret && c->out.p != NULL)
		OPENSSL_cleanse(c->out.p, c->out.cap);
	c->out_secret = false;
	c->out.off = c->out.len = 0;
}

static uint32_t max_inflight(const crm_client *c) {
	return c->info.max_inflight ? c->info.max_inflight : 1;
}

/* ---------------------------------------------------------------- queueing */

/* Moves p's frame into the output buffer: it is in flight from now on. */
static bool start(crm_client *c, struct crm_client_pending *p) {
	if (!buf_reserve(&c->out, p->frame_len))
		return false;
	memcpy(c->out.p + c->out.len, p->frame, p->frame_len);
	c->out.len += p->frame_len;
	p->out_start = c->out_queued;
	c->out_queued += p->frame_len;
	if (p->secret) {
		OPENSSL_cleanse(p->frame, p->frame_len);
		c->out_secret = true;
	}
	free(p->frame);
	p->frame = NULL;
	q_push(&c->inflight, p);
	return true;
}

/* Starts waiting requests while the server's cap allows. */
static bool promote(crm_client *c) {
	while (c->waiting.head != NULL && c->inflight.n < max_inflight(c)) {
		struct crm_client_pending *p = q_pop(&c->waiting);
		if (!start(c, p)) {
			/* put it back at the head: order matters */
			p->next = c->waiting.head;
			c->waiting.head = p;
			if (c->waiting.tail == NULL)
				c->waiting.tail = p;
			c->waiting.n++;
			return false;
		}
	}
	return true;
}

static struct crm_client_pending *encode(crm_client *c, Crm__ClientFrame *req, crm_err *err) {
	struct crm_client_pending *p;
	size_t n;

	req->id = c->next_id;
	req->has_id = true;
	n = crm__client_frame__get_packed_size(req);
	if (n > c->info.max_frame) {
		char a[24], b[24];

		crm_err_setid(err, CRM_INVALID_ARGUMENT, NULL, "client.request_too_big",
			      CRM_CLIENT_NUM(a, n), CRM_CLIENT_NUM(b, c->info.max_frame), NULL);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->frame = malloc(CRM_FRAME_HEADER + n)) == NULL) {
		free(p);
		crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	crm_frame_put_len(p->frame, (uint32_t)n);
	crm__client_frame__pack(req, p->frame + CRM_FRAME_HEADER);
	p->frame_len = CRM_FRAME_HEADER + n;
	p->id = c->next_id++;
	p->request = req->request_case;
	p->secret = request_secret(req);
	return p;
}

bool crm_client_io_enqueue(crm_client *c, Crm__ClientFrame *req, crm_client_reply_cb cb,
			   void *userdata, int64_t deadline_us, crm_err *err) {
	struct crm_client_pending *p;

	if (!c->connected)
		return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "client.not_connected", c->server, NULL);
	p = encode(c, req, err);
	if (p == NULL)
		return false;
	p->cb = cb;
	p->userdata = userdata;
	p->deadline_us = deadline_us;
	if (c->waiting.head == NULL && c->inflight.n < max_inflight(c)) {
		if (!start(c, p)) {
			pending_free(p);
			return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		}
		return true;
	}
	q_push(&c->waiting, p);
	return true;
}

/* ---------------------------------------------------------------- writing */

static bool flush(crm_client *c, crm_err *err) {
	size_t n;
	int r, e;

	while (c->out.off < c->out.len) {
		n = c->out.len - c->out.off;
		n = c->write_retry_len ? c->write_retry_len : n < WRITE_CHUNK ? n : WRITE_CHUNK;
		ERR_clear_error();
		errno = 0;
		r = SSL_write(c->ssl, c->out.p + c->out.off, (int)n);
		if (r > 0) {
			c->out.off += (size_t)r;
			c->out_sent += (uint64_t)r;
			c->write_retry_len = 0;
			c->write_wants_read = false;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
			crm_client_tls_io_error(c, r, err);
			return false;
		}
		c->write_retry_len = n;
		c->write_wants_read = e == SSL_ERROR_WANT_READ;
		return true;
	}
	out_reset(c);
	return true;
}

/* ---------------------------------------------------------------- reading and dispatch */

/* The status of a Response as a crm_err; true when it is OK. */
static bool response_status(const Crm__Response *r, crm_err *e) {
	const Crm__Status *s = r->status;
	const char *msg;

	if (s == NULL || !s->has_code)
		return crm_err_setid(e, CRM_INTERNAL, NULL, "client.no_status", NULL);
	if (s->code == CRM__CODE__OK)
		return true;
	msg = s->message && s->message[0] ? s->message : NULL;
	if (!crm_status_valid((int)s->code)) {
		char code[24];

		return crm_err_setid(e, CRM_INTERNAL, s->field, "client.unknown_status",
				     CRM_CLIENT_NUM(code, s->code), msg ? msg : "", NULL);
	}
	crm_err_set(e, (crm_status)s->code, s->field, "%s",
		    msg ? msg : crm_status_name((crm_status)s->code));
	crm_wire_status_ids(s, e);
	return false;
}

static bool on_response(crm_client *c, Crm__ServerFrame *f, crm_err *err) {
	const Crm__Response *r = f->response;
	struct crm_client_pending *p = r->has_id ? q_take(&c->inflight, r->id) : NULL;
	bool promoted;
	crm_err e;

	crm_err_clear(&e);
	if (p == NULL) {
		/* not ours: an error about the connection itself, kept to explain a close */
		if (!response_status(r, &e))
			crm_client_err_copy(&c->server_said, &e);
		crm__server_frame__free_unpacked(f, NULL);
		return true;
	}
	promoted = promote(c);
	/* even for an abandoned request: the connection's session changed */
	if (response_status(r, &e))
		crm_client_session_reply(c, p->request, r);
	if (p->cb == NULL) {
		c->n_abandoned--;
		crm__server_frame__free_unpacked(f, NULL);
	} else {
		c->outcome = CRM_OUTCOME_REPLY;
		p->cb(c, f, crm_err_isset(&e) ? &e : NULL, p->userdata);
	}
	pending_free(p);
	return promoted || crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
}

static void on_event(crm_client *c, Crm__ServerFrame *f) {
	if (f->event->kind_case == CRM__EVENT__KIND_SHUTDOWN)
		c->server_shutdown = true;
	if (c->event_cb)
		c->event_cb(c, f->event, c->event_userdata);
	crm__server_frame__free_unpacked(f, NULL);
}

static bool dispatch(crm_client *c, Crm__ServerFrame *f, crm_err *err) {
	if (f->kind_case == CRM__SERVER_FRAME__KIND_RESPONSE && f->response != NULL)
		return on_response(c, f, err);
	if (f->kind_case == CRM__SERVER_FRAME__KIND_EVENT && f->event != NULL)
		on_event(c, f);
	else /* a kind this client does not know yet: a newer server */
		crm__server_frame__free_unpacked(f, NULL);
	return true;
}

/* Decodes and dispatches every complete frame in the input buffer. */
static bool parse(crm_client *c, crm_err *err) {
	struct crm_client_buf *b = &c->in;
	Crm__ServerFrame *f;
	uint32_t n;

	while (b->len - b->off >= CRM_FRAME_HEADER) {
		n = crm_frame_get_len(b->p + b->off);
		if (n > CRM_FRAME_MAX_CEILING) {
			char len[24];

			return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "client.frame_too_big",
					     CRM_CLIENT_NUM(len, n), NULL);
		}
		if (b->len - b->off - CRM_FRAME_HEADER < n)
			break;
		f = crm__server_frame__unpack(NULL, n, b->p + b->off + CRM_FRAME_HEADER);
		b->off += CRM_FRAME_HEADER + n;
		if (f == NULL)
			return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "client.bad_frame", NULL);
		if (!dispatch(c, f, err))
			return false;
	}
	return true;
}

static bool read_all(crm_client *c, crm_err *err) {
	int r, e;

	c->read_wants_write = false;
	for (;;) {
		if (!buf_reserve(&c->in, READ_CHUNK))
			return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		ERR_clear_error();
		errno = 0;
		r = SSL_read(c->ssl, c->in.p + c->in.len, (int)(c->in.cap - c->in.len));
		if (r > 0) {
			c->in.len += (size_t)r;
			if (!parse(c, err))
				return false;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return true;
		if (e == SSL_ERROR_WANT_WRITE) {
			c->read_wants_write = true;
			return true;
		}
		crm_client_tls_io_error(c, r, err);
		return false;
	}
}

/* ---------------------------------------------------------------- timeouts */

static void expire_inflight(crm_client *c, int64_t now) {
	struct crm_client_pending *p;
	crm_client_reply_cb cb;
	crm_err e;

	for (p = c->inflight.head; p != NULL; p = p->next) {
		if (p->cb == NULL || p->deadline_us > now)
			continue;
		/* stays in flight (the server still counts it) until its reply */
		cb = p->cb;
		p->cb = NULL;
		c->n_abandoned++;
		crm_err_clear(&e);
		crm_err_setid(&e, CRM_DEADLINE_EXCEEDED, NULL, "client.reply_timeout", c->server,
			      NULL);
		c->outcome = CRM_OUTCOME_TIMEOUT;
		cb(c, NULL, &e, p->userdata);
	}
}

static void expire_waiting(crm_client *c, int64_t now) {
	struct crm_client_queue dead = {0};
	struct crm_client_pending **pp = &c->waiting.head, *p;
	crm_err e;

	while ((p = *pp) != NULL) {
		if (p->deadline_us > now) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		c->waiting.n--;
		q_push(&dead, p);
	}
	for (c->waiting.tail = NULL, p = c->waiting.head; p != NULL; p = p->next)
		c->waiting.tail = p;
	while ((p = q_pop(&dead)) != NULL) {
		char cap[24];

		crm_err_clear(&e);
		crm_err_setid(&e, CRM_DEADLINE_EXCEEDED, NULL, "client.send_timeout",
			      CRM_CLIENT_NUM(cap, max_inflight(c)), c->server, NULL);
		c->outcome = CRM_OUTCOME_TIMEOUT;
		p->cb(c, NULL, &e, p->userdata);
		pending_free(p);
	}
}

/* ---------------------------------------------------------------- closing */

void crm_client_io_close(crm_client *c, bool graceful) {
	if (c->ssl != NULL) {
		if (graceful && c->connected && !c->tls_failed) {
			ERR_clear_error();
			SSL_shutdown(c->ssl); /* one close_notify, best effort */
		}
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->connected = false;
	c->read_wants_write = c->write_wants_read = false;
	c->write_retry_len = 0;
	c->in.off = c->in.len = 0;
	out_reset(c);
	c->out_queued = c->out_sent = 0;
	ERR_clear_error();
}

static void notify_lost(crm_client *c, struct crm_client_pending *p, const crm_err *why,
			bool maybe_sent) {
	char reason[CRM_ERR_MSG_MAX];
	crm_err e;

	/* the reason in the user's language, like the sentence around it */
	crm_err_text(why, reason, sizeof(reason));
	crm_err_clear(&e);
	if (maybe_sent) {
		c->outcome = CRM_OUTCOME_LOST_SENT;
		crm_err_setid(&e, CRM_UNAVAILABLE, NULL, "client.lost_outcome_unknown", reason, NULL);
	} else {
		c->outcome = CRM_OUTCOME_LOST_UNSENT;
		crm_err_setid(&e, CRM_UNAVAILABLE, NULL, "client.lost_unsent", reason, NULL);
	}
	p->cb(c, NULL, &e, p->userdata);
}

void crm_client_io_fail(crm_client *c, const crm_err *why, bool graceful) {
	struct crm_client_queue inflight = c->inflight, waiting = c->waiting;
	uint64_t attempted = c->out_sent + c->write_retry_len;
	struct crm_client_pending *p;

	memset(&c->inflight, 0, sizeof(c->inflight));
	memset(&c->waiting, 0, sizeof(c->waiting));
	c->n_abandoned = 0;
	crm_client_io_close(c, graceful);
	while ((p = q_pop(&inflight)) != NULL) {
		if (p->cb != NULL)
			notify_lost(c, p, why, attempted > p->out_start);
		pending_free(p);
	}
	while ((p = q_pop(&waiting)) != NULL) {
		notify_lost(c, p, why, false);
		pending_free(p);
	}
}

void crm_client_io_free_queues(crm_client *c) {
	struct crm_client_pending *p;

	while ((p = q_pop(&c->inflight)) != NULL)
		pending_free(p);
	while ((p = q_pop(&c->waiting)) != NULL)
		pending_free(p);
	out_reset(c);
	free(c->in.p);
	free(c->out.p);
	memset(&c->in, 0, sizeof(c->in));
	memset(&c->out, 0, sizeof(c->out));
}

/* The connection broke: explain why as well as we can, fail everything. */
static void lost(crm_client *c, const crm_err *e, crm_err *err) {
	char said[CRM_ERR_MSG_MAX];
	crm_err why;

	crm_err_clear(&why);
	if (crm_err_isset(&c->server_said))
		crm_err_setid(&why, c->server_said.code, c->server_said.field,
			      "client.server_closed",
			      crm_err_text(&c->server_said, said, sizeof(said)), NULL);
	else if (c->server_shutdown)
		crm_err_setid(&why, CRM_UNAVAILABLE, NULL, "client.server_shutting_down", c->server,
			      NULL);
	else
		crm_client_err_copy(&why, e);
	crm_client_io_fail(c, &why, false);
	crm_client_err_copy(err, &why);
}

/* ---------------------------------------------------------------- the non-blocking API */

bool crm_client_process(crm_client *c, short revents, crm_err *err) {
	crm_err e, ignored;
	bool ok;

	(void)revents; /* reading and writing are cheap to try; WANT_* says the rest */
	if (!c->connected)
		return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "client.not_connected", c->server, NULL);
	crm_err_clear(&e);
	ok = flush(c, &e);
	if (ok) {
		ok = read_all(c, &e) && flush(c, &e);
	} else {
		/* the server may have said why before it closed: read that first */
		crm_err_clear(&ignored);
		(void)read_all(c, &ignored);
	}
	if (!ok) {
		lost(c, &e, err);
		return false;
	}
	expire_inflight(c, crm_client_mono_us());
	expire_waiting(c, crm_client_mono_us());
	return true;
}

int crm_client_fd(const crm_client *c) { return c->connected ? c->fd : -1; }

bool crm_client_want_write(const crm_client *c) {
	if (!c->connected)
		return false;
	return c->read_wants_write || (c->out.off < c->out.len && !c->write_wants_read);
}

short crm_client_events(const crm_client *c) {
	if (!c->connected)
		return 0;
	return (short)(POLLIN | (crm_client_want_write(c) ? POLLOUT : 0));
}

int crm_client_next_timeout_ms(const crm_client *c) {
	int64_t best = INT64_MAX, left;
	const struct crm_client_pending *p;

	for (p = c->inflight.head; p != NULL; p = p->next)
		if (p->cb != NULL && p->deadline_us < best)
			best = p->deadline_us;
	for (p = c->waiting.head; p != NULL; p = p->next)
		if (p->deadline_us < best)
			best = p->deadline_us;
	if (best == INT64_MAX)
		return -1;
	left = best - crm_client_mono_us();
	if (left <= 0)
		return 0;
	left = (left + 999) / 1000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

size_t crm_client_pending(const crm_client *c) {
	return c->inflight.n - c->n_abandoned + c->waiting.n;
}
