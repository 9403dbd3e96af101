/*
 * watches: the records a user follows (WatchAdd, WatchRemove, WatchList)
 * and the start of a connection's event subscription (Subscribe). The
 * checks live in SQL (crm.watch_*, crm.events_start in
 * sql/modules/92_events.sql); delivery itself is conn.c's and worker.c's
 * (docs/events.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "handlers.h"

enum {
	Q_WATCH_ADD,
	Q_WATCH_REMOVE,
	Q_WATCH_LIST,
	Q_EVENTS_START,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_WATCH_ADD] = {"watch_add", "SELECT crm.watch_add($1::text, $2::bigint)"},
	[Q_WATCH_REMOVE] = {"watch_remove", "SELECT crm.watch_remove($1::text, $2::bigint)"},
	[Q_WATCH_LIST] = {"watch_list",
			  "SELECT 'RECORD_TYPE_' || upper(record_type) AS type, record_id AS id,"
			  " created_at FROM crm.watch_list()"},
	[Q_EVENTS_START] = {"events_start",
			    "SELECT xid::text, seq, resync FROM crm.events_start($1::xid8, $2::bigint)"},
};
#define STMT(x) (&stmts[Q_##x])

static bool watch_change(crm_hctx *h, crm_stmt stmt, int64_t id, crm_err *err) {
	const char *p[] = {crm_request_type_of(h->req, err), crm_hctx_i64(h, id)};
	PGresult *r;

	if (p[0] == NULL)
		return false;
	r = crm_db_exec(h->db, stmt, 2, p, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	PQclear(r);
	crm_hctx_body(h, CRM__RESPONSE__BODY_EMPTY, crm_arena_alloc(h->arena, sizeof(Crm__Empty)));
	crm__empty__init(h->resp->empty);
	return true;
}

static bool handle_watch_add(crm_hctx *h, crm_err *err) {
	return watch_change(h, STMT(WATCH_ADD), h->req->watch_add->id, err);
}

static bool handle_watch_remove(crm_hctx *h, crm_err *err) {
	return watch_change(h, STMT(WATCH_REMOVE), h->req->watch_remove->id, err);
}

static bool handle_watch_list(crm_hctx *h, crm_err *err) {
	return crm_hctx_list(h, STMT(WATCH_LIST), 0, NULL, &crm__watch_list_reply__descriptor,
			     CRM__RESPONSE__BODY_WATCH_LIST, "", UINT32_MAX, NULL, err);
}

/* Where the subscription starts (crm.events_start): the position given,
 * or the head, with resync_required when the given one is too old. The
 * connection starts fetching once the reply is out (conn.c). */
static bool handle_subscribe(crm_hctx *h, crm_err *err) {
	const Crm__Subscribe *q = h->req->subscribe;
	bool given = q->after && q->after->has_xid;
	const char *p[] = {given ? crm_arena_printf(h->arena, "%" PRIu64, q->after->xid) : NULL,
			   given ? crm_arena_printf(h->arena, "%" PRIu64, q->after->seq) : NULL};
	Crm__SubscribeReply *sr = crm_arena_alloc(h->arena, sizeof(*sr));
	Crm__EventPosition *pos = crm_arena_alloc(h->arena, sizeof(*pos));
	PGresult *r = crm_db_exec(h->db, STMT(EVENTS_START), 2, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "events_start", NULL);
	}
	crm__subscribe_reply__init(sr);
	crm__event_position__init(pos);
	pos->has_xid = pos->has_seq = true;
	pos->xid = h->ev_xid = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	pos->seq = h->ev_seq = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	sr->has_resync_required = true;
	sr->resync_required = PQgetvalue(r, 0, 2)[0] == 't';
	sr->position = pos;
	PQclear(r);
	h->subscribes = true;
	crm_hctx_body(h, CRM__RESPONSE__BODY_SUBSCRIBE, sr);
	return true;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_route routes[] = {
	/* watching needs the right to read the type; the SQL checks the record */
	{.which = R(WATCH_ADD), .fn = handle_watch_add, .type_of = crm_request_type_of,
	 .action = "read", .effect = CRM_MUTATES},
	{.which = R(WATCH_REMOVE), .fn = handle_watch_remove, .type_of = crm_request_type_of,
	 .action = "read", .effect = CRM_MUTATES},
	{.which = R(WATCH_LIST), .fn = handle_watch_list},
	{.which = R(SUBSCRIBE), .fn = handle_subscribe},
};

const crm_domain crm_domain_watches = {
	.name = "watches",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
