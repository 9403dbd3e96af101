/*
 * db: one database worker's PostgreSQL connection, its prepared statements
 * and the transaction around each request.
 *
 * The connection lives in libpq pipeline mode, so the transaction's
 * prologue (BEGIN and the statement that sets the acting user, request id,
 * client address and statement timeout) travels in the same round trip as
 * the handler's first query, and a handler's last query can travel with
 * COMMIT. Every statement is prepared once per connection (db.c's own and
 * those the handler domains register) and re-prepared after a reconnect. SQLSTATEs are translated to
 * statuses in exactly one place, crm_db_translate.
 *
 * A crm_db belongs to one worker thread.
 */
#ifndef CRM_DB_H
#define CRM_DB_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crm_status.h"

/*
 * A prepared statement: its name on the connection and its SQL. Each is
 * prepared once per connection, on connect. The server's own statements
 * (sessions, logins, passwords, idempotency keys) are db.c's, named with
 * CRM_STMT(NAME); each handler domain declares its own in its file
 * (server/handlers/) and registers them before any worker connects.
 */
typedef struct crm_sql {
	const char *name;
	const char *sql;
} crm_sql;
typedef const crm_sql *crm_stmt;

typedef enum {
	CRM_CORE_SETUP, /* crm.begin_request: session, context, permission */
	CRM_CORE_LOGIN_PRECHECK,
	CRM_CORE_LOGIN_FINISH,
	CRM_CORE_SESSION_OPEN,
	CRM_CORE_OWN_PASSWORD_HASH,
	CRM_CORE_PASSWORD_SET,
	CRM_CORE_SESSION_USER,
	CRM_CORE_IDEM_CLAIM, /* insert the key or find it taken */
	CRM_CORE_IDEM_GET,
	CRM_CORE_IDEM_STORE,
	CRM_CORE_IDEM_PURGE,
	CRM_CORE_EVENTS_READ, /* a subscriber's new events (notify.c, worker.c) */
	CRM_CORE_JOBS_RUN,    /* the scheduler's poll */
	CRM_CORE__COUNT
} crm_core_stmt;
extern const crm_sql crm_core_stmts[CRM_CORE__COUNT];
#define CRM_STMT(name) (&crm_core_stmts[CRM_CORE_##name])

/* Adds n statements to those every connection prepares (again for the same
 * array: nothing). Refuses, with INTERNAL, a statement without a name or
 * SQL and a name already taken. Call before any worker connects. */
bool crm_db_register(const crm_sql *stmts, size_t n, crm_err *err) CRM_MUSTCHECK;

/* What crm.begin_request said about the session (valid after the first
 * crm_db_exec of a transaction). */
typedef struct crm_db_session {
	bool valid;
	int64_t user_id;
	int64_t session_id;
	char username[72];
	char role[72];
	char scope[16];
} crm_db_session;

typedef struct crm_db {
	PGconn *conn;
	char dsn[1024];
	int index;              /* worker number, for logs */
	int64_t next_attempt;   /* monotonic µs of the next reconnect attempt */
	int64_t backoff;        /* current reconnect backoff, µs */
	int pending;            /* results sent but not yet read */
	int syncs;              /* pipeline syncs sent but not yet read */
	bool in_tx;
	/* The connection failed during the current transaction (or batched
	 * transaction): the server is gone or ended the session. */
	bool lost;
	/* COMMIT (or, for a batched transaction, the sync that commits it)
	 * has been sent: if the connection is lost now, the transaction may
	 * have committed or not, and only the database can tell. Before it,
	 * a lost connection means nothing was committed. */
	bool commit_sent;
	bool hold_commit;       /* set by the caller: `last` must not commit */
	bool expect_session;    /* the prologue's result is still to be read */
	char sqlstate[6];       /* of the last failure, "" if none */
	crm_db_session session; /* from the current transaction's prologue */
	pthread_mutex_t cancel_lock; /* guards cancel, which other threads use */
	PGcancel *cancel;
} crm_db;

/* A session token as the client holds it (crm.begin_request hashes it:
 * crmd never passes a stored hash, so a dump of crm.sessions opens none). */
#define CRM_TOKEN_MAX 128 /* the longest a client may present (Resume) */
typedef struct crm_token {
	uint8_t len;
	uint8_t data[CRM_TOKEN_MAX];
} crm_token;

/* Context of the transaction a request runs in. */
typedef struct crm_db_ctx {
	const crm_token *token;    /* raw session token, or NULL for no session */
	uint64_t request_id;
	const char *client_addr;
	int timeout_ms;            /* statement_timeout for this transaction */
	const char *record_type;   /* permission checked by begin_request, or NULL */
	const char *action;
	const char *isolation;     /* NULL: READ COMMITTED */
} crm_db_ctx;



void crm_db_init(crm_db *db, const char *dsn, int index);
void crm_db_fini(crm_db *db);

/* Asks the server to cancel whatever this connection is running. Any
 * thread may call it (shutdown after the grace period). */
void crm_db_cancel(crm_db *db);

/* Connects (with backoff between failures) when not connected. An idle
 * connection with something to read has been closed or terminated by the
 * server (a restart, pg_terminate_backend): it is replaced before use, so
 * a restart of PostgreSQL costs no request. Fails with UNAVAILABLE while
 * the database is unreachable. */
bool crm_db_ensure(crm_db *db, crm_err *err) CRM_MUSTCHECK;

/* Queues BEGIN and the prologue; nothing is sent until the first query. */
bool crm_db_begin(crm_db *db, const crm_db_ctx *ctx, crm_err *err) CRM_MUSTCHECK;

/*
 * Runs a prepared statement inside the transaction and returns its result
 * (caller PQclears), or NULL with err set. With `last` the COMMIT is sent
 * in the same round trip and the transaction is over when this returns
 * successfully (unless hold_commit is set); crm_db_commit after that is a
 * no-op.
 */
PGresult *crm_db_exec(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
		      const int *lengths, const int *formats, bool last, crm_err *err);

/* crm_db_exec with the result in binary format: bytea comes as its raw
 * bytes (a file's chunk, without hex text twice its size), text as its
 * characters (PQgetvalue still ends it with a NUL); other types in their
 * binary send format, so cast them to text in the statement. */
PGresult *crm_db_exec_binary(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
			     const int *lengths, const int *formats, bool last, crm_err *err);

/* Sends the queued prologue and reads it, so db->session is known before
 * the first statement (costs a round trip; most handlers need not). */
bool crm_db_prologue(crm_db *db, crm_err *err) CRM_MUSTCHECK;

bool crm_db_commit(crm_db *db, crm_err *err) CRM_MUSTCHECK;
/* Ends a failed or abandoned transaction; drops the connection if it
 * cannot be brought back to idle. */
void crm_db_rollback(crm_db *db);

/*
 * Batches. A transaction that is one statement can be queued without
 * waiting, several in a row, then flushed once and read back in order: one
 * write and one wake-up for the whole batch instead of one per request.
 * Each runs as an implicit transaction (the prologue and the statement up
 * to its own sync), so a failure in one leaves the others untouched. Only
 * for READ COMMITTED and no idempotency key; nothing else may be pending.
 */
bool crm_db_queue_tx(crm_db *db, const crm_db_ctx *ctx, crm_stmt stmt, int nparams,
		     const char *const *values, crm_err *err) CRM_MUSTCHECK;
bool crm_db_flush(crm_db *db, crm_err *err) CRM_MUSTCHECK;
/* The next queued transaction's statement result (caller PQclears), with
 * db->session set from its prologue; NULL with err set if it failed. */
PGresult *crm_db_read_tx(crm_db *db, crm_err *err);

/* True when the last failure may succeed if the whole transaction is run
 * again (serialization failure, deadlock). */
bool crm_db_retryable(const crm_db *db);

/* The one SQLSTATE → status translation. */
crm_status crm_db_translate(const char *sqlstate);

#endif
