/*
 * client_internal: the crm_client object and the functions the files of
 * libcrmclient share. Not installed, not for applications.
 *
 *   crmclient.c   public API: options, connect, hello, call, send_async
 *   client_io.c   buffers, non-blocking TLS reads/writes, framing,
 *                 pending requests, dispatch of replies and events
 *   client_tls.c  SSL_CTX, handshake, certificate checks, error messages
 *   client_net.c  HOST:PORT parsing, TCP connect with a deadline
 */
#ifndef CRM_CLIENT_INTERNAL_H
#define CRM_CLIENT_INTERNAL_H

#include <stdio.h>

#include <openssl/ssl.h>

#include "crm_wire.h"
#include "crmclient.h"

/* A growable byte queue: bytes live in [off, len). */
struct crm_client_buf {
	uint8_t *p;
	size_t off, len, cap;
};

/* Why a reply callback is being called; read by crm_client_call. */
enum crm_client_outcome {
	CRM_OUTCOME_REPLY,       /* a Response arrived */
	CRM_OUTCOME_TIMEOUT,     /* request deadline passed */
	CRM_OUTCOME_LOST_UNSENT, /* connection lost before any byte was sent */
	CRM_OUTCOME_LOST_SENT,   /* connection lost after sending: outcome unknown */
};

struct crm_client_pending {
	struct crm_client_pending *next;
	uint64_t id;
	crm_client_reply_cb cb; /* NULL once abandoned after its timeout */
	void *userdata;
	int64_t deadline_us;    /* monotonic */
	uint8_t *frame;         /* header + body while queued locally */
	size_t frame_len;
	uint64_t out_start;     /* stream offset of its first byte, once in out */
	Crm__ClientFrame__RequestCase request; /* what was asked, for the session rules */
	bool secret;            /* holds a password or token: wiped before free */
};

struct crm_client_queue {
	struct crm_client_pending *head, *tail;
	size_t n;
};

/* What the verify callback saw first; explains a failed handshake. */
struct crm_client_verify {
	int error; /* X509_V_ERR_*, 0 if none */
	int depth;
	char subject[128];
	char issuer[128];
	char names[160]; /* the certificate's DNS/IP names, or its CN */
};

struct crm_client {
	/* options, with owned copies of the strings */
	crm_client_options opt;
	char *server, *ca_file, *cert_file, *key_file, *client_name;
	char *host, *port;
	bool host_is_ip;
	SSL_CTX *ctx;

	/* the connection */
	int fd;
	SSL *ssl;
	bool connected;
	bool tls_failed;       /* no close_notify after a TLS error */
	bool read_wants_write; /* SSL_read said WANT_WRITE */
	bool write_wants_read; /* SSL_write said WANT_READ */
	size_t write_retry_len; /* SSL_write must be retried with this length */
	struct crm_client_buf in, out;
	bool out_secret; /* out has held a password or token: wipe it when emptied */
	uint64_t out_queued, out_sent; /* stream offsets */
	struct crm_client_verify verify;
	crm_err server_said; /* an error Response with no request of ours */
	bool server_shutdown;

	/* requests */
	uint64_t next_id;
	struct crm_client_queue inflight; /* in out or on the wire */
	struct crm_client_queue waiting;  /* held back by max_inflight */
	size_t n_abandoned;               /* inflight entries with cb NULL */
	enum crm_client_outcome outcome;  /* of the callback running now */

	crm_client_event_cb event_cb;
	void *event_userdata;

	/* from the HelloReply */
	char *server_version;
	char **features;
	crm_client_server_info info;
	uint32_t preauth_max_frame; /* the hello's limit, in force again after a logout */

	/* the session: resumed on every (re)connect; owned, wiped when freed */
	char *token;
};

/* client_net.c */
int64_t crm_client_mono_us(void);
/* Copies src (message id and arguments included) into dst unless dst is
 * set: the first error wins. Returns false like crm_err_set. */
static inline bool crm_client_err_copy(crm_err *dst, const crm_err *src) {
	if (!crm_err_isset(dst))
		*dst = *src;
	return false;
}

/* A number as text for a message argument. */
#define CRM_CLIENT_NUM(buf, v) (snprintf((buf), sizeof(buf), "%lld", (long long)(v)), (buf))

bool crm_client_net_split(const char *server, char **host, char **port, crm_err *err)
	CRM_MUSTCHECK;
bool crm_client_net_is_ip(const char *host);
bool crm_client_net_connect(crm_client *c, int64_t deadline_us, crm_err *err) CRM_MUSTCHECK;
/* Waits for events on fd until the deadline; false on timeout. */
bool crm_client_net_wait(int fd, short events, int64_t deadline_us);

/* client_tls.c */
SSL_CTX *crm_client_tls_ctx_new(const crm_client *c, crm_err *err);
bool crm_client_tls_handshake(crm_client *c, int64_t deadline_us, crm_err *err) CRM_MUSTCHECK;
/* Turns a failed SSL_read/SSL_write (its return value) into err. */
void crm_client_tls_io_error(crm_client *c, int ret, crm_err *err);

/* client_io.c */
bool crm_client_io_enqueue(crm_client *c, Crm__ClientFrame *req, crm_client_reply_cb cb,
			   void *userdata, int64_t deadline_us, crm_err *err) CRM_MUSTCHECK;
/* Closes the socket (close_notify if graceful) and resets buffers. */
void crm_client_io_close(crm_client *c, bool graceful);
/* Closes, then calls every pending callback with a transport error built
 * from why. */
void crm_client_io_fail(crm_client *c, const crm_err *why, bool graceful);
void crm_client_io_free_queues(crm_client *c);

/* crmclient.c: a successful reply to a session request (Login, Resume,
 * PasswordChange, Logout) updates the token and frame limit. */
void crm_client_session_reply(crm_client *c, Crm__ClientFrame__RequestCase request,
			      const Crm__Response *r);
/* Replaces c->token (NULL clears); false when out of memory. */
bool crm_client_token_replace(crm_client *c, const char *token);

#endif
