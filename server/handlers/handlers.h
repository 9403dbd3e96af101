/*
 * handlers: the requests DB workers run, one file per domain (system.c,
 * identity.c, records.c, shares.c). A handler is straight-line code inside
 * the request's transaction (worker.c opens it with crm.begin_request,
 * which has already validated the session and checked the descriptor's
 * permission; worker.c commits, retries serialization failures and
 * replays idempotent results). It reads the request, runs prepared
 * statements through db.h and fills the response from the arena. It never
 * touches sockets. Returning false with err set rolls back.
 *
 * Every request type has one descriptor (crm_route, below), written with
 * designated initializers in its domain's file, after its handler; each
 * domain exports them as one crm_domain. At start-up crm_routes_init
 * indexes the domains' descriptors by request case and fails loudly on a
 * request case the ClientFrame does not have, on two descriptors for one
 * case, on a request of the ClientFrame's oneof without a descriptor (only
 * hello, answered on the I/O thread, has none) and on a descriptor whose
 * facts contradict each other or the wire (crm_wire_request_mutates).
 *
 * Adding a request: the message and its ClientFrame member in
 * proto/crm.proto; its field rules in proto/crm_wire.c (and, if it changes
 * data, its case in crm_wire_request_mutates, which the client shares);
 * in the domain's file its statement (the domain's stmts table), the
 * handler (static) and one entry in the domain's descriptor array. Nothing
 * else in server/ lists requests; the two lists in crm_wire.c stay there
 * because the client and the fuzzers use them without the server. A
 * record request names its type by a RecordType field `type` or a Record
 * member, which records.c's type_of finds by reflection. A new record type
 * needs no line in server/: records.c's record_types is made from crm.proto
 * (its RecordType value and Record member, crm_record_types.h, generated)
 * and checked against the descriptors at start-up. A new domain is a new
 * file with its crm_domain, named once in common.c.
 */
#ifndef CRM_HANDLERS_H
#define CRM_HANDLERS_H

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "crm_wire.h"
#include "db.h"

typedef struct crm_route crm_route;

typedef struct crm_hctx {
	const crm_route *route;
	crm_db *db;
	crm_arena *arena;
	const Crm__ClientFrame *req;
	Crm__Response *resp;        /* set the body with crm_hctx_body */
	const crm_config *cfg;
	int schema_version;
	const char *client_name;    /* from the connection's hello */
	const char *client_ip;      /* real client address (PROXY-aware) */
	const char *password_hash;  /* hashed beforehand on the auth pool, or NULL */
	/* session changes the I/O thread applies to the connection on OK */
	bool sets_session, clears_session;
	crm_token new_token;
	/* Subscribe: the connection starts receiving events after ev_xid/seq */
	bool subscribes;
	uint64_t ev_xid, ev_seq;
} crm_hctx;

typedef bool (*crm_handler_fn)(crm_hctx *h, crm_err *err);

/* A handler that is one statement, split so a worker can pipeline many of
 * them: prep names the statement and its parameters (arena strings),
 * finish builds the response from its result (not cleared by finish). */
typedef struct crm_single {
	bool (*prep)(crm_hctx *h, crm_stmt *stmt, int *n, const char **params, crm_err *err);
	bool (*finish)(crm_hctx *h, PGresult *r, crm_err *err);
} crm_single;
#define CRM_SINGLE_PARAMS 8

/* Runs a single-statement handler the ordinary way (one transaction). */
bool crm_handle_single(crm_hctx *h, crm_err *err);

typedef enum { CRM_POOL_DB, CRM_POOL_AUTH } crm_pool_kind;

/* What a request does to the data, for reruns and idempotency keys. */
typedef enum {
	CRM_READS,   /* changes nothing: running it twice is harmless */
	CRM_WRITES,  /* changes something but takes no idempotency key (logout) */
	CRM_MUTATES, /* changes data and may carry an idempotency key; exactly
		      * the requests crm_wire_request_mutates names (the client
		      * reads that list to add keys; crm_routes_init compares) */
} crm_effect;

/* Requests that are not a handler in one transaction but a flow of their
 * own in worker.c. */
typedef enum { CRM_FLOW_HANDLER, CRM_FLOW_LOGIN, CRM_FLOW_PASSWORD_CHANGE } crm_flow;

/* The new password a request sets, hashed on the auth pool after the
 * access check and before the transaction (crm_hctx.password_hash). */
typedef struct crm_new_password {
	const ProtobufCBinaryData *password;
	const ProtobufCBinaryData *username; /* whose: the policy refuses it inside */
	const char *field;                   /* for errors: "user_create.password" */
} crm_new_password;

/*
 * A request type's descriptor: how it is served. Written with designated
 * initializers; what is left out is zero, which is the common case (a
 * session is needed, DB pool, READ COMMITTED, reads only, no permission
 * check before the handler).
 */
struct crm_route {
	Crm__ClientFrame__RequestCase which;
	/* exactly one of: */
	crm_handler_fn fn;        /* a handler in the request's transaction */
	const crm_single *single; /* one statement: pipelined in batches */
	crm_flow flow;            /* a flow of worker.c's own (login) */

	/* The permission crm.begin_request checks before the handler: the
	 * record type (record_type, or type_of when the request names it)
	 * and the action (action, or action_of when it depends on the
	 * request). Neither type: the handler's SQL checks. */
	const char *record_type;
	const char *(*type_of)(const Crm__ClientFrame *f, crm_err *err);
	const char *action;
	const char *(*action_of)(const Crm__ClientFrame *f);
	/* The request reads and writes no row (a deep ping): crm.begin_request
	 * only checks the session (action "check") and writes no request
	 * context, so its transaction takes no transaction id. No permission
	 * goes with it. */
	bool session_only;

	bool anonymous;        /* served without a logged-in connection */
	crm_pool_kind pool;    /* AUTH: password work (hashing happens first) */
	bool as_auth;          /* on the auth worker's crm_auth connection */
	/* "REPEATABLE READ" or "SERIALIZABLE" for a handler that needs more
	 * than READ COMMITTED (serialization failures are retried); NULL for
	 * the default. */
	const char *isolation;
	crm_effect effect;
	/* Pre-transaction hook: false when the request sets no password. */
	bool (*new_password)(const Crm__ClientFrame *f, crm_new_password *out);
	/* The session token the request runs under when it is not the
	 * connection's (resume carries its own). */
	const ProtobufCBinaryData *(*token_of)(const Crm__ClientFrame *f);
};

/* A domain's requests and the statements its handlers run, exported by
 * its file. self_check (optional) checks the domain's own tables against
 * the proto at start-up. */
typedef struct crm_domain {
	const char *name;
	const crm_route *routes;
	size_t n_routes;
	const crm_sql *stmts;
	size_t n_stmts;
	bool (*self_check)(crm_err *err);
} crm_domain;

extern const crm_domain crm_domain_system, crm_domain_identity, crm_domain_records,
	crm_domain_shares, crm_domain_watches, crm_domain_attachments, crm_domain_timeline;

/* Indexes the domains' descriptors and registers their statements (db.h);
 * false (err says which descriptor is wrong) when they are inconsistent.
 * crmd calls it once at start-up, before any thread looks a request up or
 * connects. */
bool crm_routes_init(crm_err *err) CRM_MUSTCHECK;
/* The same check and index for any list of domains (for tests). */
bool crm_routes_build(const crm_domain *const *domains, size_t n, crm_err *err) CRM_MUSTCHECK;
/* The descriptor of a request case, NULL when none (hello, or a case this
 * server does not know). */
const crm_route *crm_route_find(Crm__ClientFrame__RequestCase which);
/* The I/O thread's check of what the descriptor can tell before queueing:
 * a record type the server does not serve is INVALID_ARGUMENT naming the
 * field and the accepted types. */
bool crm_route_check(const crm_route *r, const Crm__ClientFrame *f, crm_err *err);
/* The record type and action crm.begin_request checks for request f on
 * route r (NULL: no permission check). */
const char *crm_route_record_type(const crm_route *r, const Crm__ClientFrame *f);
const char *crm_route_action(const crm_route *r, const Crm__ClientFrame *f);
/* The request's own message (the ClientFrame's oneof member) and its
 * field name ("record_get"); NULL when unset. */
const ProtobufCMessage *crm_route_request(const Crm__ClientFrame *f, const char **name);

/* ---- helpers shared by handlers (common.c) */

const char *crm_hctx_i64(crm_hctx *h, int64_t v);

/* The SQL name of the record type a request is about (records.c): its
 * `type` field, or the kind of the Record it carries; NULL with
 * INVALID_ARGUMENT naming the field and listing the types crmd serves.
 * A route's type_of for every request that names a record type. */
const char *crm_request_type_of(const Crm__ClientFrame *f, crm_err *err);
/* A text field as an arena C string (validated: no NUL inside), or NULL
 * when absent. */
const char *crm_hctx_text(crm_hctx *h, const ProtobufCBinaryData *b, protobuf_c_boolean has);
/* A PostgreSQL array literal of the given strings (or byte strings). */
const char *crm_hctx_array(crm_hctx *h, char **strs, const ProtobufCBinaryData *bins, size_t n);
/* Sets the response's oneof body to msg (case = the body's field number). */
void crm_hctx_body(crm_hctx *h, unsigned body_case, void *msg);
/* The first row of r as the body, or NOT_FOUND on nf_field with the message
 * id nf_id (proto/crm_messages.h; no arguments). */
bool crm_hctx_row(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *d,
		  unsigned body_case, const char *nf_field, const char *nf_id, crm_err *err) CRM_MUSTCHECK;
/* Runs stmt; one row becomes the body (a message of type d); no row is
 * NOT_FOUND on nf_field with message id nf_id. `last` commits in the same trip. */
bool crm_hctx_one(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		  const ProtobufCMessageDescriptor *d, unsigned body_case, bool last,
		  const char *nf_field, const char *nf_id, crm_err *err) CRM_MUSTCHECK;
/* Runs stmt; every row becomes an element of the reply's first (repeated)
 * field; the reply (type reply_d) becomes the body. With key_col != NULL,
 * the statement was asked for limit+1 rows: the extra one is dropped and
 * a cursor from key_col of the last row kept goes in next_cursor. */
bool crm_hctx_list(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		   const ProtobufCMessageDescriptor *reply_d, unsigned body_case,
		   const char *filters, uint32_t limit, const char *key_col,
		   crm_err *err) CRM_MUSTCHECK;
/* Makes the list element for row `row` of r: a message of type d. */
typedef bool (*crm_hctx_row_fn)(crm_hctx *h, const PGresult *r, int row,
				const ProtobufCMessageDescriptor *d, void **out, crm_err *err);
/* crm_hctx_list's reply from a result already read, elements made by
 * row_fn; the caller sets the body (and may add to the reply first).
 * NULL with err set when a row does not convert. */
void *crm_hctx_list_reply(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *reply_d,
			  crm_hctx_row_fn row_fn, const char *filters, uint32_t limit,
			  const char *key_col, crm_err *err);
/* Page size and the cursor's key (NULL for the first page) of a request's
 * ListPage, checked against the filters string and the session's user
 * (reads the transaction's prologue first when there is a cursor). */
bool crm_hctx_page(crm_hctx *h, const Crm__ListPage *page, const char *field, const char *filters,
		   uint32_t *limit, const char **key, crm_err *err) CRM_MUSTCHECK;

#endif
