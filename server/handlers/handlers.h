/*
 * handlers: the requests DB workers run, one file per domain. A handler is
 * straight-line code inside the request's transaction (worker.c opens it,
 * commits it, retries it on serialization failures and replays
 * idempotent results); it reads the request, runs prepared statements
 * through db.h and fills the response body from the arena. It never
 * touches sockets. Returning false with err set rolls everything back.
 */
#ifndef CRM_HANDLERS_H
#define CRM_HANDLERS_H

#include "arena.h"
#include "crm_wire.h"
#include "db.h"

typedef struct crm_hctx {
	crm_db *db;
	crm_arena *arena;
	const Crm__ClientFrame *req;
	Crm__Response *resp; /* set body_case and the body */
	const char *user_id; /* "" until sessions exist */
	bool diagnostics;    /* the server's `diagnostics` key */
	int schema_version;
} crm_hctx;

typedef bool (*crm_handler_fn)(crm_hctx *h, crm_err *err);

/* The handler for a request type, or NULL if workers do not serve it. */
crm_handler_fn crm_handler_find(Crm__ClientFrame__RequestCase which);

/* Per-domain handlers. */
bool crm_handle_deep_ping(crm_hctx *h, crm_err *err);
bool crm_handle_sleep(crm_hctx *h, crm_err *err);
bool crm_handle_note_create(crm_hctx *h, crm_err *err);
bool crm_handle_note_get(crm_hctx *h, crm_err *err);

/* Helpers shared by handlers: decimal text of an int64 in the arena. */
const char *crm_hctx_i64(crm_hctx *h, int64_t v);

#endif
