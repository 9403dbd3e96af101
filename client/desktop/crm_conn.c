/*
 * CrmConn: libcrmclient in the GLib main loop; see crm_conn.h for the
 * contract. This file owns the connection's state machine, the queue of
 * requests waiting for a usable connection, the reconnect timer and the
 * session file.
 *
 * A request is kept packed (with its idempotency key, if it mutates) in a
 * Call until its reply arrives, so that it can be sent again, byte for
 * byte, after a reconnect. libcrmclient's reply callbacks only move calls
 * between lists and finish tasks; the client is freed outside them, in
 * the source's dispatch after crm_client_process returns.
 *
 * Pushed events (crm_conn_subscribe) arrive inside crm_client_process
 * too: they are queued there and the signals are emitted by the source's
 * dispatch once processing is over; a Subscribe that an event or a login
 * calls for is sent there as well.
 */
#include "crm_conn.h"

#include <poll.h>
#include <string.h>

#include <glib/gi18n.h>
#include <openssl/crypto.h>

#include "config.h"
#include "crm_wire.h"
#include "crmclient.h"
#include "session.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000

typedef struct {
	char field[CRM_ERR_FIELD_MAX];
} CrmConnErrorPrivate;

static void crm_conn_error_private_init(CrmConnErrorPrivate *p) { p->field[0] = '\0'; }
static void crm_conn_error_private_copy(const CrmConnErrorPrivate *src, CrmConnErrorPrivate *dst) {
	memcpy(dst->field, src->field, sizeof(dst->field));
}
static void crm_conn_error_private_clear(CrmConnErrorPrivate *p) { p->field[0] = '\0'; }
G_DEFINE_EXTENDED_ERROR(CrmConnError, crm_conn_error)

typedef struct {
	CrmConn *conn; /* not a reference: a call never outlives its conn */
	GTask *task;
	guint8 *frame; /* the packed ClientFrame; wiped (it may hold a password) */
	gsize len;
	gboolean login;
	gboolean sent; /* handed to libcrmclient, callback still to come */
} Call;

/* A pushed RecordEvent, copied out of libcrmclient's frame. */
typedef struct {
	Crm__RecordType type;
	gint64 id, version, changed_at;
	char kind[16];
} Event;

typedef struct {
	GSource base;
	CrmConn *conn;
	gpointer tag;
} ConnSource;

struct _CrmConn {
	GObject parent_instance;

	char *server, *ca_file, *session_file;
	char *token, *username;
	char *time_zone, *locale; /* the user's profile (NULL: unknown) */
	int64_t session_id;
	CrmConnState state;
	gboolean authenticated;
	GError *last_error;

	crm_client *client;
	GSource *source;
	GCancellable *connecting; /* set while a connect thread runs */
	guint retry_id;
	guint backoff_ms;
	guint sent_count; /* calls handed to libcrmclient and not answered */

	GQueue waiting; /* Call*, in order */
	gboolean disposed;
	gboolean logging_out; /* a Logout is on its way: nothing else goes out */
	gboolean fresh; /* drop the connection after this dispatch: see session_refused */

	/* change events */
	gboolean follow;     /* crm_conn_subscribe was called */
	gboolean has_pos;    /* xid/seq: the last event handled (or where delivery started) */
	guint64 xid, seq;
	gboolean resubscribe; /* send Subscribe after this dispatch (a login, EventsDropped) */
	gboolean resync;      /* emit "resync" after this dispatch */
	GQueue events;        /* Event*, to emit after this dispatch */
};

G_DEFINE_FINAL_TYPE(CrmConn, crm_conn, G_TYPE_OBJECT)

enum { PROP_0, PROP_STATE, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIG_CONNECT_ERROR, SIG_LOGGED_IN, SIG_RECORD_EVENT, SIG_RESYNC, N_SIGNALS };
static guint signals[N_SIGNALS];

static void flush(CrmConn *self);
static void schedule_connect(CrmConn *self);

/* ---------------------------------------------------------------- errors */

/* The message in the user's language (crm_err_text: the server's message
 * id translated, else its English text). */
static GError *error_from(const crm_err *err) {
	char text[sizeof(err->msg) * 2];
	const char *shown = crm_err_text(err, text, sizeof(text));
	GError *e = g_error_new_literal(CRM_CONN_ERROR, (int)err->code,
					shown[0] ? shown : _("The request failed."));
	CrmConnErrorPrivate *p = crm_conn_error_get_private(e);

	if (p != NULL)
		g_strlcpy(p->field, err->field, sizeof(p->field));
	return e;
}

const char *crm_conn_error_field(const GError *error) {
	CrmConnErrorPrivate *p;

	if (error == NULL || error->domain != CRM_CONN_ERROR)
		return NULL;
	p = crm_conn_error_get_private(error);
	return p != NULL && p->field[0] ? p->field : NULL;
}

const GError *crm_conn_get_last_error(CrmConn *self) { return self->last_error; }

/* ---------------------------------------------------------------- state */

static void set_state(CrmConn *self, CrmConnState state) {
	if (self->state == state)
		return;
	self->state = state;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

CrmConnState crm_conn_get_state(CrmConn *self) { return self->state; }
const char *crm_conn_username(CrmConn *self) { return self->authenticated ? self->username : NULL; }
const char *crm_conn_get_server(CrmConn *self) { return self->server; }
const char *crm_conn_get_login_name(CrmConn *self) { return self->username; }
const char *crm_conn_get_time_zone(CrmConn *self) {
	return self->authenticated ? self->time_zone : NULL;
}
const char *crm_conn_get_locale(CrmConn *self) { return self->locale; }

void crm_conn_set_session_file(CrmConn *self, const char *path) {
	g_free(self->session_file);
	self->session_file = g_strdup(path);
}

static void forget_token(CrmConn *self) {
	if (self->token != NULL)
		OPENSSL_cleanse(self->token, strlen(self->token));
	g_clear_pointer(&self->token, g_free);
}

/* The stored session, if it is for this server. */
static void load_session(CrmConn *self) {
	char why[CRM_SESSION_WHY_MAX];
	crm_session s;

	if (self->session_file == NULL)
		return;
	if (crm_session_load(self->session_file, &s, why) == CRM_SESSION_OK &&
	    g_strcmp0(s.server, self->server) == 0) {
		forget_token(self);
		self->token = g_strdup(s.token);
		g_free(self->username);
		self->username = g_strdup(s.username);
		g_free(self->locale);
		self->locale = s.locale && s.locale[0] ? g_strdup(s.locale) : NULL;
		self->session_id = s.session_id;
	} else if (why[0]) {
		g_warning("%s", why);
	}
	crm_session_clear(&s);
}

/* Keeps the session, with the profile locale (read at the next start for
 * the language: main.c). */
static void save_session(CrmConn *self) {
	char why[CRM_SESSION_WHY_MAX];
	crm_session s = {.server = self->server, .username = self->username,
			 .token = self->token, .session_id = self->session_id,
			 .locale = self->locale};

	if (self->session_file != NULL && !crm_session_save(self->session_file, &s, why))
		g_warning("%s", why);
}

/* ---------------------------------------------------------------- calls */

static void call_free(Call *call) {
	if (call->frame != NULL)
		OPENSSL_cleanse(call->frame, call->len);
	g_free(call->frame);
	g_clear_object(&call->task);
	g_free(call);
}

static void call_fail(Call *call, GError *error) {
	g_task_return_error(call->task, error);
	call_free(call);
}

static gboolean is_transport_error(const crm_err *err) {
	return err->code == CRM_UNAVAILABLE;
}

/* The login that follows goes out on a new connection without a token
 * (crmd before desk-locale refused a Login on a connection still bound to
 * the refused session; today's accepts it): marked here (this may run
 * inside crm_client_process) and done by fresh_connection after it. */
static void session_refused(CrmConn *self) {
	self->fresh = TRUE;
	self->authenticated = FALSE;
	forget_token(self);
	if (self->client != NULL && !crm_client_set_session(self->client, NULL, &(crm_err){0}))
		g_warning("could not clear the session token");
	set_state(self, CRM_CONN_NEEDS_LOGIN);
}

/* The profile a Login or Resume reply carried; the session file follows a
 * changed locale. */
static void set_profile(CrmConn *self, const char *time_zone, const char *locale,
			gboolean save) {
	gboolean changed = g_strcmp0(locale && locale[0] ? locale : NULL, self->locale) != 0;

	g_free(self->time_zone);
	self->time_zone = time_zone && time_zone[0] ? g_strdup(time_zone) : NULL;
	if (changed) {
		g_free(self->locale);
		self->locale = locale && locale[0] ? g_strdup(locale) : NULL;
	}
	if (save || (changed && self->token != NULL))
		save_session(self);
}

static void login_done(CrmConn *self, Crm__ServerFrame *reply) {
	const Crm__LoginReply *lr = reply->response->login;
	const char *token = self->client ? crm_client_session_token(self->client) : NULL;

	forget_token(self);
	self->token = g_strdup(token);
	if (lr != NULL && lr->user != NULL && lr->user->username != NULL) {
		g_free(self->username);
		self->username = g_strdup(lr->user->username);
	}
	self->authenticated = TRUE;
	self->session_id = lr ? (int64_t)lr->session_id : 0;
	set_profile(self, lr && lr->user ? lr->user->time_zone : NULL,
		    lr && lr->user ? lr->user->locale : NULL, TRUE);
	self->backoff_ms = 0;
	self->resubscribe = self->follow; /* a new session: its own subscription */
	set_state(self, CRM_CONN_CONNECTED);
	g_signal_emit(self, signals[SIG_LOGGED_IN], 0);
}

/* libcrmclient's reply callback, inside crm_client_process (or free). */
static void on_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *userdata) {
	Call *call = userdata;
	CrmConn *self = call->conn;
	gboolean login;

	call->sent = FALSE;
	self->sent_count--;
	if (err != NULL && reply == NULL && is_transport_error(err) && !self->disposed) {
		/* lost with the connection: sent again after the reconnect, with
		 * the same bytes (and key) */
		g_queue_push_tail(&self->waiting, call);
		return;
	}
	if (err != NULL && err->code == CRM_UNAUTHENTICATED && !call->login && !self->disposed) {
		/* the session expired or was revoked: the request waits for a
		 * new login; crmd did not run it */
		crm_client_reply_free(reply);
		g_queue_push_tail(&self->waiting, call);
		session_refused(self);
		return;
	}
	if (err != NULL) {
		crm_client_reply_free(reply);
		call_fail(call, error_from(err));
		return;
	}
	login = call->login;
	if (login)
		login_done(self, reply);
	g_task_return_pointer(call->task, reply, (GDestroyNotify)crm_client_reply_free);
	call_free(call);
	if (login)
		flush(self);
}

static gboolean call_send(CrmConn *self, Call *call) {
	Crm__ClientFrame *req = crm__client_frame__unpack(NULL, call->len, call->frame);
	crm_err err = {0};
	gboolean ok;

	if (req == NULL) {
		call_fail(call, g_error_new_literal(CRM_CONN_ERROR, CRM_INTERNAL,
						    _("The request could not be encoded.")));
		return TRUE;
	}
	ok = crm_client_send_async(self->client, req, on_reply, call, &err);
	crm__client_frame__free_unpacked(req, NULL);
	if (ok) {
		call->sent = TRUE;
		self->sent_count++;
		return TRUE;
	}
	if (is_transport_error(&err))
		return FALSE; /* disconnected: it stays queued */
	call_fail(call, error_from(&err));
	return TRUE;
}

/* Sends what may go now: logins whenever connected, the rest once the
 * session is authenticated. */
static void flush(CrmConn *self) {
	GList *l, *next;

	if (self->client == NULL || !crm_client_connected(self->client) || self->logging_out)
		return;
	for (l = self->waiting.head; l != NULL; l = next) {
		Call *call = l->data;

		next = l->next;
		if (!call->login && !self->authenticated)
			continue;
		g_queue_delete_link(&self->waiting, l);
		if (!call_send(self, call)) {
			g_queue_push_head(&self->waiting, call);
			return;
		}
	}
}

static void enqueue(CrmConn *self, Crm__ClientFrame *req, gboolean login, GTask *task) {
	Call *call;

	if (g_queue_get_length(&self->waiting) + self->sent_count >= CRM_CONN_QUEUE_MAX) {
		g_task_return_new_error(task, CRM_CONN_ERROR, CRM_CONN_ERROR_BUSY, "%s",
					_("Too many requests are waiting for the server; try again "
					  "in a moment."));
		g_object_unref(task);
		return;
	}
	call = g_new0(Call, 1);
	call->conn = self;
	call->task = task;
	call->login = login;
	call->len = crm__client_frame__get_packed_size(req);
	call->frame = g_malloc(call->len ? call->len : 1);
	crm__client_frame__pack(req, call->frame);
	if (login)
		g_queue_push_head(&self->waiting, call);
	else
		g_queue_push_tail(&self->waiting, call);
	flush(self);
}

void crm_conn_call(CrmConn *self, Crm__ClientFrame *req, GCancellable *cancel, GAsyncReadyCallback cb,
		   gpointer user_data) {
	GTask *task = g_task_new(self, cancel, cb, user_data);
	char key[CRM_CLIENT_KEY_LEN + 1];
	gboolean keyed = FALSE;
	crm_err err = {0};

	g_task_set_source_tag(task, crm_conn_call);
	if (!req->has_idempotency_key && crm_wire_request_mutates(req)) {
		if (!crm_client_idempotency_key(key, &err)) {
			g_task_return_error(task, error_from(&err));
			g_object_unref(task);
			return;
		}
		/* the key goes into the packed copy; req is left as it came */
		req->has_idempotency_key = keyed = TRUE;
		req->idempotency_key.data = (uint8_t *)key;
		req->idempotency_key.len = strlen(key);
	}
	enqueue(self, req, FALSE, task);
	if (keyed) {
		req->has_idempotency_key = FALSE;
		req->idempotency_key.data = NULL;
		req->idempotency_key.len = 0;
	}
}

Crm__ServerFrame *crm_conn_call_finish(CrmConn *self, GAsyncResult *res, GError **error) {
	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

Crm__ServerFrame *crm_conn_call_finish_body(CrmConn *self, GAsyncResult *res,
					    Crm__Response__BodyCase want, GError **error) {
	Crm__ServerFrame *f = crm_conn_call_finish(self, res, error);

	if (f != NULL && (f->kind_case != CRM__SERVER_FRAME__KIND_RESPONSE ||
			  f->response->body_case != want)) {
		crm_client_reply_free(f);
		g_set_error(error, CRM_CONN_ERROR, CRM_INTERNAL, "%s",
			    _("The server sent an answer of the wrong kind."));
		return NULL;
	}
	return f;
}

void crm_conn_login(CrmConn *self, const char *username, const char *password, GCancellable *cancel,
		    GAsyncReadyCallback cb, gpointer user_data) {
	GTask *task = g_task_new(self, cancel, cb, user_data);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Login login = CRM__LOGIN__INIT;

	g_task_set_source_tag(task, crm_conn_login);
	login.has_username = login.has_password = TRUE;
	login.username.data = (uint8_t *)username;
	login.username.len = strlen(username);
	login.password.data = (uint8_t *)password;
	login.password.len = strlen(password);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
	req.login = &login;
	enqueue(self, &req, TRUE, task);
	if (username != self->username) { /* a caller may pass crm_conn_get_login_name() */
		g_free(self->username);
		self->username = g_strdup(username);
	}
	if (self->state == CRM_CONN_DISCONNECTED)
		crm_conn_start(self);
}

gboolean crm_conn_login_finish(CrmConn *self, GAsyncResult *res, GError **error) {
	Crm__ServerFrame *reply = g_task_propagate_pointer(G_TASK(res), error);

	crm_client_reply_free(reply);
	return reply != NULL;
}

/* ---------------------------------------------------------------- the source */

static gboolean source_prepare(GSource *base, gint *timeout) {
	ConnSource *s = (ConnSource *)base;
	crm_client *c = s->conn->client;
	short ev = crm_client_events(c);
	GIOCondition cond = G_IO_HUP | G_IO_ERR;

	if (ev & POLLIN)
		cond |= G_IO_IN;
	if (ev & POLLOUT)
		cond |= G_IO_OUT;
	g_source_modify_unix_fd(base, s->tag, cond);
	*timeout = crm_client_next_timeout_ms(c);
	return *timeout == 0;
}

static gboolean source_check(GSource *base) {
	ConnSource *s = (ConnSource *)base;

	return g_source_query_unix_fd(base, s->tag) != 0 ||
	       crm_client_next_timeout_ms(s->conn->client) == 0;
}

static void lost(CrmConn *self, const crm_err *err);
static void fresh_connection(CrmConn *self);
static void subscribe(CrmConn *self);
static void deliver_events(CrmConn *self);

static gboolean source_dispatch(GSource *base, GSourceFunc cb, gpointer data) {
	ConnSource *s = (ConnSource *)base;
	CrmConn *self = s->conn;
	GIOCondition got = g_source_query_unix_fd(base, s->tag);
	short revents = 0;
	crm_err err = {0};

	if (got & G_IO_IN)
		revents |= POLLIN;
	if (got & G_IO_OUT)
		revents |= POLLOUT;
	if (got & (G_IO_HUP | G_IO_ERR))
		revents |= POLLHUP;
	g_object_ref(self);
	if (!crm_client_process(self->client, revents, &err))
		lost(self, &err); /* destroys this source */
	else if (self->fresh)
		fresh_connection(self); /* so does this */
	else {
		if (self->resubscribe)
			subscribe(self);
		flush(self);
	}
	deliver_events(self);
	g_object_unref(self);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
	.prepare = source_prepare, .check = source_check, .dispatch = source_dispatch};

static void on_event(crm_client *c, const Crm__Event *ev, void *userdata);

static void attach(CrmConn *self) {
	ConnSource *s = (ConnSource *)g_source_new(&source_funcs, sizeof(ConnSource));

	crm_client_set_event_cb(self->client, on_event, self);
	s->conn = self;
	s->tag = g_source_add_unix_fd(&s->base, crm_client_fd(self->client), G_IO_IN);
	g_source_set_name(&s->base, "CrmConn");
	g_source_attach(&s->base, NULL);
	self->source = &s->base;
}

static void drop_client(CrmConn *self) {
	if (self->source != NULL) {
		g_source_destroy(self->source);
		g_clear_pointer(&self->source, g_source_unref);
	}
	/* pending calls get on_reply with UNAVAILABLE and go back to waiting */
	g_clear_pointer(&self->client, crm_client_free);
}

static void connect_now(CrmConn *self);

static void fresh_connection(CrmConn *self) {
	self->fresh = FALSE;
	drop_client(self);
	connect_now(self);
}

static void lost(CrmConn *self, const crm_err *err) {
	self->fresh = FALSE;
	g_clear_error(&self->last_error);
	self->last_error = error_from(err);
	drop_client(self);
	set_state(self, CRM_CONN_RECONNECTING);
	schedule_connect(self);
}

/* ---------------------------------------------------------------- connecting */

typedef struct {
	char *server, *ca_file, *token;
	crm_client *client; /* the result */
	gboolean needs_login;
	crm_err err;
} ConnectJob;

static void connect_job_free(ConnectJob *j) {
	if (j->token != NULL)
		OPENSSL_cleanse(j->token, strlen(j->token));
	g_free(j->token);
	g_free(j->server);
	g_free(j->ca_file);
	if (j->client != NULL)
		crm_client_free(j->client);
	g_free(j);
}

/* Connect threads still running: the program must not exit under them
 * (OpenSSL's exit handlers would free what they use): main waits for
 * them with crm_conn_wait_for_threads. */
static GMutex threads_lock;
static GCond threads_done;
static guint threads_running;

void crm_conn_wait_for_threads(guint timeout_ms) {
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	g_mutex_lock(&threads_lock);
	while (threads_running > 0 && g_cond_wait_until(&threads_done, &threads_lock, end))
		;
	g_mutex_unlock(&threads_lock);
}

/* In a worker thread: everything here may block up to the connect timeout. */
static void connect_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel) {
	ConnectJob *j = data;
	crm_client_options o;

	crm_client_options_init(&o);
	o.server = j->server;
	o.ca_file = j->ca_file;
	o.client_name = "crm-desktop/" CRM_VERSION;
	o.session_token = j->token;
	j->client = crm_client_connect(&o, &j->err);
	if (j->client == NULL && j->token != NULL && j->err.code == CRM_UNAUTHENTICATED) {
		/* the stored session is gone: connect without it, ask for a login */
		o.session_token = NULL;
		crm_err_clear(&j->err);
		j->client = crm_client_connect(&o, &j->err);
	}
	j->needs_login = j->client != NULL && !crm_client_server(j->client)->authenticated;
	g_task_return_boolean(task, j->client != NULL);
	g_mutex_lock(&threads_lock);
	if (--threads_running == 0)
		g_cond_broadcast(&threads_done);
	g_mutex_unlock(&threads_lock);
}

static void connected(GObject *obj, GAsyncResult *res, gpointer data) {
	CrmConn *self = CRM_CONN(obj);
	ConnectJob *j = g_task_get_task_data(G_TASK(res));

	g_clear_object(&self->connecting);
	if (self->disposed)
		return;
	if (j->client == NULL) {
		g_clear_error(&self->last_error);
		self->last_error = error_from(&j->err);
		set_state(self, CRM_CONN_RECONNECTING);
		g_signal_emit(self, signals[SIG_CONNECT_ERROR], 0, self->last_error);
		schedule_connect(self);
		return;
	}
	self->client = g_steal_pointer(&j->client);
	self->fresh = FALSE; /* a new connection, without the refused token */
	g_clear_error(&self->last_error);
	attach(self);
	self->authenticated = !j->needs_login;
	if (j->needs_login) {
		forget_token(self);
		set_state(self, CRM_CONN_NEEDS_LOGIN);
	} else {
		const crm_client_server_info *info = crm_client_server(self->client);

		if (info->session_id != 0)
			self->session_id = info->session_id;
		set_profile(self, info->time_zone, info->locale, FALSE);
		self->backoff_ms = 0;
		set_state(self, CRM_CONN_CONNECTED);
		if (self->follow)
			subscribe(self);
	}
	flush(self);
}

static void connect_now(CrmConn *self) {
	ConnectJob *j = g_new0(ConnectJob, 1);
	GTask *task;

	if (self->connecting != NULL || self->client != NULL) {
		g_free(j);
		return;
	}
	j->server = g_strdup(self->server);
	j->ca_file = g_strdup(self->ca_file);
	j->token = g_strdup(self->token);
	self->connecting = g_cancellable_new();
	if (self->state == CRM_CONN_DISCONNECTED)
		set_state(self, CRM_CONN_CONNECTING);
	task = g_task_new(self, self->connecting, connected, NULL);
	g_task_set_task_data(task, j, (GDestroyNotify)connect_job_free);
	g_mutex_lock(&threads_lock);
	threads_running++;
	g_mutex_unlock(&threads_lock);
	g_task_run_in_thread(task, connect_thread);
	g_object_unref(task);
}

static gboolean retry_cb(gpointer data) {
	CrmConn *self = data;

	self->retry_id = 0;
	connect_now(self);
	return G_SOURCE_REMOVE;
}

static void schedule_connect(CrmConn *self) {
	if (self->retry_id != 0 || self->disposed)
		return;
	self->backoff_ms = self->backoff_ms == 0 ? BACKOFF_FIRST_MS
						 : MIN(self->backoff_ms * 2, BACKOFF_MAX_MS);
	self->retry_id = g_timeout_add(self->backoff_ms, retry_cb, self);
}

void crm_conn_start(CrmConn *self) {
	if (self->client != NULL || self->connecting != NULL)
		return;
	if (self->retry_id != 0)
		g_clear_handle_id(&self->retry_id, g_source_remove);
	if (self->token == NULL)
		load_session(self);
	connect_now(self);
}

void crm_conn_retry_now(CrmConn *self) {
	if (self->retry_id == 0)
		return;
	g_clear_handle_id(&self->retry_id, g_source_remove);
	self->backoff_ms = 0;
	connect_now(self);
}

/* The Logout's reply (inside crm_client_process, or crm_client_free):
 * whatever crmd said, the session is forgotten here, and the connection
 * is replaced by one without it after this dispatch (session_refused). */
static void logout_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err,
			 void *userdata) {
	CrmConn *self = userdata;

	(void)c;
	crm_client_reply_free(reply);
	self->logging_out = FALSE;
	if (err != NULL && err->code != CRM_UNAUTHENTICATED)
		g_warning("logging out: %s", err->msg); /* the session ends when it expires */
	if (!self->disposed)
		session_refused(self);
}

/* Sends Logout on the connection, so that crmd revokes the session; false
 * when it cannot go out now (no connection, or not logged in). */
static gboolean send_logout(CrmConn *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Logout logout = CRM__LOGOUT__INIT;
	crm_err err = {0};

	if (self->client == NULL || !crm_client_connected(self->client) || !self->authenticated ||
	    self->logging_out)
		return FALSE;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_LOGOUT;
	req.logout = &logout;
	if (!crm_client_send_async(self->client, &req, logout_reply, self, &err)) {
		g_warning("logging out: %s", err.msg);
		return FALSE;
	}
	self->logging_out = TRUE;
	return TRUE;
}

void crm_conn_logout(CrmConn *self) {
	char why[CRM_SESSION_WHY_MAX];

	if (self->session_file != NULL && !crm_session_remove(self->session_file, why))
		g_warning("%s", why);
	if (send_logout(self))
		return; /* logout_reply forgets the session */
	session_refused(self);
	if (self->client != NULL)
		fresh_connection(self);
}

/* ---------------------------------------------------------------- change events */

static void set_position(CrmConn *self, const Crm__EventPosition *p) {
	if (p == NULL)
		return;
	self->has_pos = TRUE;
	self->xid = p->xid;
	self->seq = p->seq;
}

/* libcrmclient's event callback, inside crm_client_process: copied and
 * queued; the signals go out after the processing (deliver_events). */
static void on_event(crm_client *c, const Crm__Event *ev, void *userdata) {
	CrmConn *self = userdata;
	const Crm__RecordEvent *r = ev->record;
	Event *e;

	(void)c;
	if (self->disposed)
		return;
	if (ev->kind_case == CRM__EVENT__KIND_DROPPED && ev->dropped != NULL) {
		/* nothing more comes until we subscribe again, from there */
		set_position(self, ev->dropped->position);
		self->resubscribe = self->resync = TRUE;
		return;
	}
	if (ev->kind_case != CRM__EVENT__KIND_RECORD || r == NULL)
		return;
	set_position(self, r->position);
	e = g_new0(Event, 1);
	e->type = r->type;
	e->id = r->id;
	e->version = r->has_version ? r->version : 0;
	e->changed_at = r->changed_at;
	g_strlcpy(e->kind, r->kind ? r->kind : "", sizeof(e->kind));
	g_queue_push_tail(&self->events, e);
}

/* The type's name ("account") for the signal's detail. */
static const char *type_name(Crm__RecordType t, char *buf, gsize size) {
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&crm__record_type__descriptor, (int)t);
	const char *s = v != NULL ? v->name : "";
	gsize i;

	if (g_str_has_prefix(s, "RECORD_TYPE_"))
		s += strlen("RECORD_TYPE_");
	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = g_ascii_tolower(s[i]);
	buf[i] = '\0';
	return buf;
}

/* Emits what the last processing queued: "resync" first (the views ask
 * again anyway), then each event in order. */
static void deliver_events(CrmConn *self) {
	Event *e;

	if (self->resync && !self->disposed) {
		self->resync = FALSE;
		g_signal_emit(self, signals[SIG_RESYNC], 0);
	}
	while ((e = g_queue_pop_head(&self->events)) != NULL) {
		char type[32];

		if (!self->disposed)
			g_signal_emit(self, signals[SIG_RECORD_EVENT],
				      g_quark_from_string(type_name(e->type, type, sizeof(type))), type,
				      e->id, e->version, e->kind, e->changed_at);
		g_free(e);
	}
}

/* The SubscribeReply (inside crm_client_process, or crm_client_free). A
 * lost connection subscribes again when it is back; a session refused,
 * after the next login. */
static void subscribed(crm_client *c, Crm__ServerFrame *reply, const crm_err *err,
		       void *userdata) {
	CrmConn *self = userdata;
	const Crm__SubscribeReply *sr =
		reply != NULL && reply->kind_case == CRM__SERVER_FRAME__KIND_RESPONSE &&
				reply->response->body_case == CRM__RESPONSE__BODY_SUBSCRIBE
			? reply->response->subscribe
			: NULL;

	(void)c;
	if (err != NULL) {
		if (!is_transport_error(err) && err->code != CRM_UNAUTHENTICATED)
			g_warning("crm-desktop: cannot follow changes: %s", err->msg);
	} else if (sr != NULL && !self->disposed) {
		set_position(self, sr->position);
		if (sr->resync_required)
			self->resync = TRUE; /* emitted after this dispatch */
	}
	crm_client_reply_free(reply);
}

static void subscribe(CrmConn *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Subscribe sub = CRM__SUBSCRIBE__INIT;
	Crm__EventPosition pos = CRM__EVENT_POSITION__INIT;
	crm_err err = {0};

	self->resubscribe = FALSE;
	if (self->client == NULL || !crm_client_connected(self->client) || !self->authenticated ||
	    self->logging_out)
		return; /* the next connection or login subscribes */
	if (self->has_pos) {
		pos.has_xid = pos.has_seq = TRUE;
		pos.xid = self->xid;
		pos.seq = self->seq;
		sub.after = &pos;
	}
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SUBSCRIBE;
	req.subscribe = &sub;
	if (!crm_client_send_async(self->client, &req, subscribed, self, &err) &&
	    !is_transport_error(&err))
		g_warning("crm-desktop: cannot follow changes: %s", err.msg);
}

void crm_conn_subscribe(CrmConn *self) {
	if (self->follow)
		return;
	self->follow = TRUE;
	if (self->client != NULL && self->authenticated && crm_client_connected(self->client))
		subscribe(self);
}

gboolean crm_conn_get_event_position(CrmConn *self, guint64 *xid, guint64 *seq) {
	if (xid != NULL)
		*xid = self->xid;
	if (seq != NULL)
		*seq = self->seq;
	return self->has_pos;
}

/* ---------------------------------------------------------------- GObject */

static void crm_conn_dispose(GObject *obj) {
	CrmConn *self = CRM_CONN(obj);
	Call *call;

	self->disposed = TRUE;
	g_clear_handle_id(&self->retry_id, g_source_remove);
	if (self->connecting != NULL)
		g_cancellable_cancel(self->connecting);
	drop_client(self); /* in-flight calls fail through on_reply */
	while ((call = g_queue_pop_head(&self->waiting)) != NULL)
		call_fail(call, g_error_new_literal(CRM_CONN_ERROR, CRM_UNAVAILABLE,
						    _("The connection was closed.")));
	g_queue_clear_full(&self->events, g_free);
	G_OBJECT_CLASS(crm_conn_parent_class)->dispose(obj);
}

static void crm_conn_finalize(GObject *obj) {
	CrmConn *self = CRM_CONN(obj);

	forget_token(self);
	g_free(self->username);
	g_free(self->time_zone);
	g_free(self->locale);
	g_free(self->server);
	g_free(self->ca_file);
	g_free(self->session_file);
	g_clear_error(&self->last_error);
	G_OBJECT_CLASS(crm_conn_parent_class)->finalize(obj);
}

static void crm_conn_get_property(GObject *obj, guint id, GValue *value, GParamSpec *pspec) {
	CrmConn *self = CRM_CONN(obj);

	if (id == PROP_STATE)
		g_value_set_int(value, self->state);
	else
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
}

static void crm_conn_class_init(CrmConnClass *klass) {
	GObjectClass *oc = G_OBJECT_CLASS(klass);

	oc->dispose = crm_conn_dispose;
	oc->finalize = crm_conn_finalize;
	oc->get_property = crm_conn_get_property;
	props[PROP_STATE] = g_param_spec_int("state", NULL, NULL, CRM_CONN_DISCONNECTED,
					     CRM_CONN_NEEDS_LOGIN, CRM_CONN_DISCONNECTED,
					     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(oc, N_PROPS, props);
	/* a connect attempt failed (the GError says why); retrying goes on */
	signals[SIG_CONNECT_ERROR] = g_signal_new("connect-error", G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						  G_TYPE_NONE, 1, G_TYPE_ERROR);
	signals[SIG_LOGGED_IN] = g_signal_new("logged-in", G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
					      0);
	/* a pushed RecordEvent; detail: the record type's name */
	signals[SIG_RECORD_EVENT] = g_signal_new(
		"record-event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0,
		NULL, NULL, NULL, G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_INT64, G_TYPE_INT64,
		G_TYPE_STRING, G_TYPE_INT64);
	signals[SIG_RESYNC] = g_signal_new("resync", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void crm_conn_init(CrmConn *self) {
	g_queue_init(&self->waiting);
	g_queue_init(&self->events);
}

CrmConn *crm_conn_new(const char *server, const char *ca_file) {
	CrmConn *self = g_object_new(CRM_TYPE_CONN, NULL);

	self->server = g_strdup(server);
	self->session_file = crm_config_sibling_path("desktop-session");
	self->ca_file = g_strdup(ca_file && ca_file[0] ? ca_file : NULL);
	return self;
}
