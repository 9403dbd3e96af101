/*
 * libcrmclient: a connection to crmd over TLS, speaking the framed
 * protobuf protocol of proto/crm.proto.
 *
 * Two ways to use one connection:
 *
 *  - Blocking (the CLI, scripts, worker threads): crm_client_connect, then
 *    crm_client_call for each request. A call waits for its reply up to the
 *    request timeout and, for requests that carry an idempotency key,
 *    reconnects and resends when the connection drops.
 *
 *  - Non-blocking (a GLib/GTK main loop or a poll() loop): watch
 *    crm_client_fd for crm_client_events, call crm_client_process when it
 *    is ready (and when crm_client_next_timeout_ms expires), queue requests
 *    with crm_client_send_async. Replies and pushed events arrive through
 *    callbacks from inside crm_client_process. Nothing here blocks except
 *    crm_client_connect / crm_client_reconnect: connecting, the TLS
 *    handshake and the hello are done blocking (bounded by the connect
 *    timeout) for simplicity; a GUI runs them in a worker thread (GTask) and
 *    then hands the connected client to its main loop.
 *
 * Threads: a client object is not thread-safe. Use one object per thread,
 * or hand an object from one thread to another with proper
 * synchronisation; never call into one object from two threads at once.
 * Different objects are independent. The library never installs signal
 * handlers; it writes with MSG_NOSIGNAL, so a dropped connection cannot
 * raise SIGPIPE.
 *
 * Errors: every fallible function returns false (or NULL) and fills a
 * crm_err (proto/crm_status.h) with a status code, the field at fault if
 * any, and a message written for the user: what went wrong and what to
 * change. Transport failures are UNAVAILABLE (or DEADLINE_EXCEEDED for
 * timeouts); a request refused locally is INVALID_ARGUMENT.
 *
 * Ownership: requests stay the caller's (they are encoded before the
 * function returns). Replies handed to the caller are the caller's and are
 * freed with crm_client_reply_free. Events given to the event callback are
 * borrowed for the duration of the callback.
 */
#ifndef CRM_CLIENT_H
#define CRM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crm.pb-c.h"
#include "crm_status.h"

#define CRM_CLIENT_CONNECT_TIMEOUT_MS 10000
#define CRM_CLIENT_REQUEST_TIMEOUT_MS 30000
#define CRM_CLIENT_RETRIES 3
/* crm_client_idempotency_key writes this many hex digits plus a NUL. */
#define CRM_CLIENT_KEY_LEN 32

typedef struct crm_client crm_client;

/*
 * The text of an error in the user's language, for the CLI and the
 * desktop alike: the template of err's message id (proto/crm_messages.h,
 * sql/modules/15_messages.sql) translated in the "crm" text domain
 * (gettext; the program binds it and sets the locale) and filled with
 * err's arguments. Without an id, with an id this client does not know
 * (a newer server) or without a translation, the English text err->msg.
 * Writes into buf (always NUL-terminated, cut to size) and returns it.
 * Any thread (uses only err and buf).
 */
const char *crm_err_text(const crm_err *err, char *buf, size_t size);

typedef struct crm_client_options {
	/* "HOST:PORT", "[IPv6]:PORT" or "IPv4:PORT". Required. The host name
	 * is what the server certificate must name (DNS or IP SAN). */
	const char *server;
	/* PEM file with the CA(s) that signed the server's certificate. NULL:
	 * the system's default trust store. */
	const char *ca_file;
	/* Optional client certificate (PEM chain) and its key; key_file NULL
	 * means the key is in cert_file. */
	const char *cert_file;
	const char *key_file;
	/* Sent in the hello, 1..64 bytes; NULL gives "libcrmclient/VERSION". */
	const char *client_name;
	/* TCP connect + TLS handshake + hello, together. 0 gives the default. */
	int connect_timeout_ms;
	/* Per request: crm_client_call waits this long for its reply, and so
	 * does each crm_client_send_async request. 0 gives the default. */
	int request_timeout_ms;
	/* crm_client_call with an idempotency key: how many times it may
	 * reconnect and resend after the connection dropped. -1 gives the
	 * default; 0 disables the retry. */
	int retries;
	/* A session token from an earlier Login, or NULL. When set, every
	 * connection (the first and each reconnect) sends Resume{token} right
	 * after the hello, and the connect fails with the server's status if
	 * the token is refused (UNAUTHENTICATED: "session expired or revoked").
	 * Copied; see also crm_client_set_session. */
	const char *session_token;
	/* Optional handler for pushed events, in place from the hello on (an
	 * event may follow the HelloReply at once); see crm_client_event_cb. */
	void (*event_cb)(struct crm_client *c, const Crm__Event *ev, void *userdata);
	void *event_userdata;
} crm_client_options;

/* What the server said in its HelloReply. Valid until the client is freed
 * or reconnects. */
typedef struct crm_client_server_info {
	const char *server_version;
	uint32_t protocol_major, protocol_minor;
	const char *const *features;
	size_t n_features;
	uint32_t max_frame;    /* largest frame body the server accepts now: the
				* hello's (pre-login) limit, raised by the
				* max_frame of a Login or Resume reply */
	uint32_t max_inflight; /* requests the server allows in flight */
	bool authenticated;    /* a Login or Resume succeeded on this connection */
	int64_t session_id;    /* from that LoginReply; 0 if none */
	int64_t expires_at;    /* the session's absolute expiry, µs; 0 if unknown */
	/* the user's profile time zone (an IANA name, crm.users.time_zone)
	 * from that LoginReply; "" when it carried none */
	char time_zone[64];
	/* the user's profile locale ("zh-CN", crm.users.locale) from that
	 * LoginReply; "" when it carried none */
	char locale[36];
} crm_client_server_info;

/* Zeroes o and fills in the defaults. */
void crm_client_options_init(crm_client_options *o);

/*
 * Connects, verifies the server (chain against the CA, host name), says
 * hello and, with a session token, resumes the session. Blocks up to the
 * connect timeout. The options are copied. On failure returns NULL with
 * err set; a hello or resume refused by the server (say, an unsupported
 * protocol version, or an expired token) gives the server's status.
 */
crm_client *crm_client_connect(const crm_client_options *o, crm_err *err) CRM_MUSTCHECK;

/*
 * Drops the current connection, if any, and connects again with the same
 * options. Requests still pending on the old connection get their
 * callbacks first, with UNAVAILABLE. Blocks like crm_client_connect.
 */
bool crm_client_reconnect(crm_client *c, crm_err *err) CRM_MUSTCHECK;

/* Closes the connection (TLS close_notify, best effort) and frees
 * everything. Pending requests get their callbacks with UNAVAILABLE.
 * Never call it from inside one of this client's callbacks. */
void crm_client_free(crm_client *c);

const crm_client_server_info *crm_client_server(const crm_client *c);

/* True while the connection is up (false after it broke or was closed). */
bool crm_client_connected(const crm_client *c);

/* ---------------------------------------------------------------- sessions */

/*
 * The token the client resumes with when it (re)connects. It starts as
 * options.session_token and follows the conversation: a successful Login
 * or PasswordChange whose LoginReply carries a token replaces it (so a
 * reconnect after a dropped connection resumes the new session), a
 * successful Logout clears it. NULL when there is none. Valid until the
 * next call on the client.
 */
const char *crm_client_session_token(const crm_client *c);

/* Replaces the token used by later (re)connects; NULL forgets it. It does
 * not touch the current connection. */
bool crm_client_set_session(crm_client *c, const char *token, crm_err *err) CRM_MUSTCHECK;

/* ---------------------------------------------------------------- events */

/* A pushed event. ev is borrowed: copy what you need before returning. */
typedef void (*crm_client_event_cb)(crm_client *c, const Crm__Event *ev, void *userdata);

/* Sets (or, with cb NULL, clears) the handler for pushed events. Without
 * one, events are dropped. */
void crm_client_set_event_cb(crm_client *c, crm_client_event_cb cb, void *userdata);

/* ---------------------------------------------------------------- blocking */

/*
 * Sends req and waits for its Response. Sets req->id (the client numbers
 * requests itself; any id the caller put there is overwritten). While
 * waiting it also dispatches pushed events and the replies of requests
 * queued with crm_client_send_async.
 *
 * Returns true when the response's status is OK. Otherwise err is set:
 *  - the server answered with another status: err carries its code, field
 *    and message, and *reply is still set (the caller frees it);
 *  - the reply did not arrive: *reply is NULL. If the connection dropped
 *    after the request was sent and req has an idempotency key, the call
 *    reconnects and resends the same request (up to `retries` times, with
 *    exponential backoff): the server applies it at most once. Without a
 *    key it never resends, and the error is UNAVAILABLE "connection lost;
 *    outcome unknown: the request may or may not have been applied". No
 *    reply within the request timeout is DEADLINE_EXCEEDED (outcome
 *    unknown as well; never retried). Each reconnect resumes the session
 *    (crm_client_session_token); a token the server refuses ends the
 *    retries with UNAUTHENTICATED.
 * A request larger than the server's max_frame is refused locally with
 * INVALID_ARGUMENT and never sent.
 *
 * If the connection is down (it broke earlier, or the server closed it
 * while idle and said so), the call reconnects first: nothing was sent, so
 * that is safe for any request.
 *
 * Never call it from inside one of this client's callbacks.
 */
bool crm_client_call(crm_client *c, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		     crm_err *err) CRM_MUSTCHECK;

/* Frees a reply from crm_client_call or a reply callback. NULL is fine. */
void crm_client_reply_free(Crm__ServerFrame *reply);

/*
 * Writes CRM_CLIENT_KEY_LEN random hex digits (128 bits from the OpenSSL
 * CSPRNG) and a NUL to out, for ClientFrame.idempotency_key.
 */
bool crm_client_idempotency_key(char out[CRM_CLIENT_KEY_LEN + 1], crm_err *err) CRM_MUSTCHECK;

/* ---------------------------------------------------------------- non-blocking */

/*
 * Called once per request queued with crm_client_send_async, from inside
 * crm_client_process (or crm_client_call, crm_client_reconnect,
 * crm_client_free). reply is the caller's and may be NULL:
 *  - status OK: reply set, err NULL;
 *  - another status: reply set, err holds code/field/message;
 *  - transport failure or local timeout: reply NULL, err set (UNAVAILABLE
 *    or DEADLINE_EXCEEDED; the message says whether the request was sent).
 * The callback may queue more requests; it must not free the client.
 */
typedef void (*crm_client_reply_cb)(crm_client *c, Crm__ServerFrame *reply, const crm_err *err,
				    void *userdata);

/*
 * Queues req (encoded now; req stays the caller's; req->id is set).
 * Returns false without queueing when the client is disconnected or req
 * is larger than the server's max_frame. Requests beyond the server's
 * max_inflight wait in a local queue and are sent as replies come in, in
 * order. Nothing is written here: the caller's loop sees POLLOUT in
 * crm_client_events and calls crm_client_process. The request timeout
 * counts from now.
 */
bool crm_client_send_async(crm_client *c, Crm__ClientFrame *req, crm_client_reply_cb cb,
			   void *userdata, crm_err *err) CRM_MUSTCHECK;

/* The socket to watch; -1 while disconnected. It changes on reconnect. */
int crm_client_fd(const crm_client *c);

/* poll() events to wait for: POLLIN always while connected, POLLOUT
 * while output is waiting (or TLS needs to write to go on reading). */
short crm_client_events(const crm_client *c);
bool crm_client_want_write(const crm_client *c);

/* Milliseconds until the earliest request deadline (0 if one has passed),
 * -1 if nothing waits: the timeout for poll() or g_timeout_add. */
int crm_client_next_timeout_ms(const crm_client *c);

/*
 * Does whatever I/O can be done without blocking: writes queued frames,
 * reads and decodes every complete frame (including data OpenSSL has
 * already buffered), calls reply and event callbacks, fails requests whose
 * deadline passed. revents (from poll) is a hint; 0 is fine after a timeout.
 * Returns false when the connection broke: every pending request has then
 * had its callback with UNAVAILABLE and err says why; the fd is closed.
 */
bool crm_client_process(crm_client *c, short revents, crm_err *err) CRM_MUSTCHECK;

/* Requests not yet answered: sent ones plus those queued locally. */
size_t crm_client_pending(const crm_client *c);

#endif
