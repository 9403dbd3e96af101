/*
 * handlers: the requests DB workers run, one file per domain. A handler is
 * straight-line code inside the request's transaction (worker.c opens it
 * with crm.begin_request, which has already validated the session and
 * checked the route's permission; worker.c commits, retries serialization
 * failures and replays idempotent results). It reads the request, runs
 * prepared statements through db.h and fills the response from the arena.
 * It never touches sockets. Returning false with err set rolls back.
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

/* How a request type is served. */
struct crm_route {
	Crm__ClientFrame__RequestCase which;
	crm_handler_fn fn;
	const char *record_type; /* permission checked before the handler, or NULL */
	const char *action;
	/* when the action depends on the request (a list that exports) */
	const char *(*action_of)(const Crm__ClientFrame *f);
	bool session;            /* needs a logged-in connection */
	crm_pool_kind pool;      /* AUTH: password hashing happens first */
	/* "REPEATABLE READ" or "SERIALIZABLE" for a handler that needs more
	 * than READ COMMITTED (serialization failures are retried); NULL
	 * for the default. */
	const char *isolation;
	const crm_single *single; /* set when fn is crm_handle_single */
	/* when the record type comes from the request (record_get: its
	 * `type`); overrides record_type */
	const char *(*type_of)(const Crm__ClientFrame *f);
};

const crm_route *crm_route_find(Crm__ClientFrame__RequestCase which);
/* The record type and action crm.begin_request checks for request f on
 * route r (NULL: no permission check). */
const char *crm_route_record_type(const crm_route *r, const Crm__ClientFrame *f);
const char *crm_route_action(const crm_route *r, const Crm__ClientFrame *f);

/* ---- helpers shared by handlers (common.c) */

const char *crm_hctx_i64(crm_hctx *h, int64_t v);
/* A text field as an arena C string (validated: no NUL inside), or NULL
 * when absent. */
const char *crm_hctx_text(crm_hctx *h, const ProtobufCBinaryData *b, protobuf_c_boolean has);
/* A PostgreSQL array literal of the given strings (or byte strings). */
const char *crm_hctx_array(crm_hctx *h, char **strs, const ProtobufCBinaryData *bins, size_t n);
/* Sets the response's oneof body to msg (case = the body's field number). */
void crm_hctx_body(crm_hctx *h, unsigned body_case, void *msg);
/* The first row of r as the body, or NOT_FOUND on nf_field. */
bool crm_hctx_row(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *d,
		  unsigned body_case, const char *nf_field, const char *nf_msg, crm_err *err) CRM_MUSTCHECK;
/* Runs stmt; one row becomes the body (a message of type d); no row is
 * NOT_FOUND on nf_field with nf_msg. `last` commits in the same trip. */
bool crm_hctx_one(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		  const ProtobufCMessageDescriptor *d, unsigned body_case, bool last,
		  const char *nf_field, const char *nf_msg, crm_err *err) CRM_MUSTCHECK;
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

/* ---- single-statement handlers (prep + finish) */
extern const crm_single crm_single_deep_ping, crm_single_note_get, crm_single_user_get,
	crm_single_team_get, crm_single_resume, crm_single_whoami, crm_single_record_get;

/* ---- handlers */
bool crm_handle_sleep(crm_hctx *h, crm_err *err);

bool crm_handle_logout(crm_hctx *h, crm_err *err);

bool crm_handle_user_create(crm_hctx *h, crm_err *err);
bool crm_handle_user_list(crm_hctx *h, crm_err *err);
bool crm_handle_user_update(crm_hctx *h, crm_err *err);
bool crm_handle_user_set_active(crm_hctx *h, crm_err *err);
bool crm_handle_user_reset_password(crm_hctx *h, crm_err *err);
bool crm_handle_team_create(crm_hctx *h, crm_err *err);
bool crm_handle_team_list(crm_hctx *h, crm_err *err);
bool crm_handle_team_update(crm_hctx *h, crm_err *err);
bool crm_handle_team_delete(crm_hctx *h, crm_err *err);
bool crm_handle_role_list(crm_hctx *h, crm_err *err);
bool crm_handle_role_get(crm_hctx *h, crm_err *err);
bool crm_handle_permission_list(crm_hctx *h, crm_err *err);
bool crm_handle_permission_set(crm_hctx *h, crm_err *err);
bool crm_handle_session_list(crm_hctx *h, crm_err *err);
bool crm_handle_session_revoke(crm_hctx *h, crm_err *err);
bool crm_handle_audit_list(crm_hctx *h, crm_err *err);

bool crm_handle_note_create(crm_hctx *h, crm_err *err);
bool crm_handle_note_list(crm_hctx *h, crm_err *err);
bool crm_handle_note_update(crm_hctx *h, crm_err *err);
bool crm_handle_note_delete(crm_hctx *h, crm_err *err);
bool crm_handle_note_restore(crm_hctx *h, crm_err *err);
bool crm_handle_note_reassign(crm_hctx *h, crm_err *err);
bool crm_handle_note_share(crm_hctx *h, crm_err *err);
const char *crm_note_list_action(const Crm__ClientFrame *f);

/* records.c: accounts and contacts, relations, custom fields, pick lists */
bool crm_handle_record_create(crm_hctx *h, crm_err *err);
bool crm_handle_record_update(crm_hctx *h, crm_err *err);
bool crm_handle_record_list(crm_hctx *h, crm_err *err);
bool crm_handle_record_delete(crm_hctx *h, crm_err *err);
bool crm_handle_record_restore(crm_hctx *h, crm_err *err);
bool crm_handle_record_purge(crm_hctx *h, crm_err *err);
bool crm_handle_record_reassign(crm_hctx *h, crm_err *err);
bool crm_handle_relation_add(crm_hctx *h, crm_err *err);
bool crm_handle_relation_list(crm_hctx *h, crm_err *err);
bool crm_handle_relation_remove(crm_hctx *h, crm_err *err);
bool crm_handle_field_add(crm_hctx *h, crm_err *err);
bool crm_handle_field_list(crm_hctx *h, crm_err *err);
bool crm_handle_field_remove(crm_hctx *h, crm_err *err);
bool crm_handle_picklist_add(crm_hctx *h, crm_err *err);
bool crm_handle_picklist_list(crm_hctx *h, crm_err *err);
bool crm_handle_picklist_remove(crm_hctx *h, crm_err *err);
bool crm_handle_picklist_move(crm_hctx *h, crm_err *err);
/* The record type ("account", "contact") a record request is about. */
const char *crm_record_type_of(const Crm__ClientFrame *f);
const char *crm_record_list_action(const Crm__ClientFrame *f);

#endif
