/*
 * CrmConn: crm-desktop's one connection to crmd, a GObject on top of
 * libcrmclient's non-blocking API, driven by the GLib main loop.
 *
 * The main loop never blocks: connecting (TCP, TLS handshake, hello,
 * resume) runs in a GTask thread and hands the connected crm_client to
 * the main thread; from then on a GSource watches crm_client_fd() for
 * crm_client_events() and wakes at crm_client_next_timeout_ms(), and
 * calls crm_client_process(). Everything here is called on the main
 * thread (the thread that made the object) only.
 *
 * Requests: crm_conn_call() queues one request and finishes with its reply
 * (GIO async style: GAsyncReadyCallback, then crm_conn_call_finish()). A
 * request that changes data (crm_wire_request_mutates) gets an idempotency
 * key here, once, so that when the connection drops before its reply the
 * same request (same key) is sent again after the reconnect and crmd
 * applies it once. Requests made while the connection is down wait in a
 * bounded queue (CRM_CONN_QUEUE_MAX; beyond it they fail at once with
 * CRM_CONN_ERROR_BUSY) and go out when it is back.
 *
 * States (property "state", signal "notify::state"): DISCONNECTED,
 * CONNECTING, CONNECTED, RECONNECTING (lost, retrying with backoff by
 * itself), NEEDS_LOGIN (no session, or crmd refused it: expired or
 * revoked; requests wait until crm_conn_login() succeeds, so an open view
 * keeps its state and its pending edit).
 *
 * Errors: GError in CRM_CONN_ERROR's domain; the code is the crm status
 * code (proto/crm_status.h: CRM_STATUS_NOT_FOUND, ...), the message the
 * server's (or libcrmclient's) text for the user, and
 * crm_conn_error_field() gives the field the error names (for showing it
 * at the form's widget).
 */
#ifndef CRM_CONN_H
#define CRM_CONN_H

#include <gio/gio.h>

#include "crm.pb-c.h"
#include "crmclient.h" /* crm_client_reply_free */

G_BEGIN_DECLS

#define CRM_CONN_QUEUE_MAX 256

#define CRM_TYPE_CONN (crm_conn_get_type())
G_DECLARE_FINAL_TYPE(CrmConn, crm_conn, CRM, CONN, GObject)

typedef enum {
	CRM_CONN_DISCONNECTED,
	CRM_CONN_CONNECTING,
	CRM_CONN_CONNECTED,
	CRM_CONN_RECONNECTING,
	CRM_CONN_NEEDS_LOGIN,
} CrmConnState;

#define CRM_CONN_ERROR (crm_conn_error_quark())
GQuark crm_conn_error_quark(void);
/* Codes beyond the crm status codes. */
#define CRM_CONN_ERROR_BUSY 1000

/* server "HOST:PORT", ca_file PEM path (NULL: system store). */
CrmConn *crm_conn_new(const char *server, const char *ca_file);
CrmConnState crm_conn_get_state(CrmConn *self);

/* Connects (in a thread), resuming the stored session if there is one. */
void crm_conn_start(CrmConn *self);

/* Logs in; on success the session token is stored and waiting requests go
 * out. */
void crm_conn_login(CrmConn *self, const char *username, const char *password, GCancellable *cancel,
		    GAsyncReadyCallback cb, gpointer user_data);
gboolean crm_conn_login_finish(CrmConn *self, GAsyncResult *res, GError **error);

/* req stays the caller's (it is encoded before this returns). The reply
 * (OK status) is the caller's: crm_client_reply_free(). A non-OK status is
 * a GError and no reply. */
void crm_conn_call(CrmConn *self, Crm__ClientFrame *req, GCancellable *cancel, GAsyncReadyCallback cb,
		   gpointer user_data);
Crm__ServerFrame *crm_conn_call_finish(CrmConn *self, GAsyncResult *res, GError **error);
/* crm_conn_call_finish, and a reply whose body is not of the kind want
 * ("The server sent an answer of the wrong kind.") is an error too. */
Crm__ServerFrame *crm_conn_call_finish_body(CrmConn *self, GAsyncResult *res,
					    Crm__Response__BodyCase want, GError **error);

/* The field a CRM_CONN_ERROR names ("record_update.name"), or NULL. */
const char *crm_conn_error_field(const GError *error);

/* ---- additions (desk-core) ---- */

/* The session file (default: crm_config_sibling_path("desktop-session"),
 * beside the config file `crm` reads); NULL keeps no session. Call before
 * crm_conn_start. */
void crm_conn_set_session_file(CrmConn *self, const char *path);

/* "HOST:PORT" as given to crm_conn_new. */
const char *crm_conn_get_server(CrmConn *self);

/* Why the last connect attempt failed or the connection was lost (NULL
 * while connected). Signal "connect-error" (GError *) is emitted on each
 * failed attempt; retrying goes on with backoff (up to 8 s apart). */
const GError *crm_conn_get_last_error(CrmConn *self);

/* The user name of the stored or last session, also while NEEDS_LOGIN
 * (to ask that user for the password again); NULL if none. */
const char *crm_conn_get_login_name(CrmConn *self);

/* Skips the backoff wait: tries to connect at once (the banner's button). */
void crm_conn_retry_now(CrmConn *self);

/* Forgets the session (removes the session file); state NEEDS_LOGIN.
 * Signal "logged-in" is emitted after each successful crm_conn_login. */
void crm_conn_logout(CrmConn *self);

/* The signed-in user's name, locale and time zone from the session (NULL
 * before login). */
const char *crm_conn_username(CrmConn *self);

/* The signed-in user's profile time zone (an IANA name) from the Login or
 * Resume reply; NULL before login or when the profile has none. */
const char *crm_conn_get_time_zone(CrmConn *self);

/* The user's profile locale ("zh-CN") from the last Login or Resume reply,
 * else from the session file; NULL if unknown. The session file keeps it
 * (`locale = zh-CN`, as crm's does): main.c takes the language from it at
 * the next start. */
const char *crm_conn_get_locale(CrmConn *self);

/* ---- change events (docs/events.md; docs/desktop.md, "Live updates") ---- */

/*
 * Follows the server's pushed events from now on: on every connection
 * whose session is authenticated (at start, after each reconnect and
 * after each login) CrmConn sends Subscribe with the position of the last
 * event it handled (none the first time), so the events of the gap are
 * replayed. Then:
 *
 *   signal "record-event" (detailed by the record type's name:
 *     "record-event::task"): (const char *type, gint64 id, gint64 version
 *     (0: none, the record is purged), const char *kind (created, updated,
 *     deleted, restored, reassigned, purged, assigned, reminder), gint64
 *     changed_at (µs));
 *   signal "resync" (): events were missed (the position was older than
 *     what the server keeps: RESYNC_REQUIRED, or the connection fell
 *     behind: EVENTS_DROPPED, after which CrmConn subscribes again from
 *     the position given); whatever shows server data asks again.
 *
 * Both are emitted from the main loop after libcrmclient's processing,
 * never from inside it: a handler may make requests or drop the conn.
 */
void crm_conn_subscribe(CrmConn *self);
/* The position of the last event handled (FALSE: none yet). */
gboolean crm_conn_get_event_position(CrmConn *self, guint64 *xid, guint64 *seq);

/* Waits (up to timeout_ms) until no connect thread runs: main calls it
 * before returning, so that the process does not exit under one. */
void crm_conn_wait_for_threads(guint timeout_ms);

G_END_DECLS

#endif
