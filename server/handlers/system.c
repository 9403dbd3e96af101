/* system: requests about the server itself: deep ping, diagnostics. */
#include <stdlib.h>

#include "handlers.h"

/* This domain's statements, prepared on every connection (registered by
 * crm_routes_init through crm_db_register). */
enum {
	Q_DEEP_PING,
	Q_SLEEP,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_DEEP_PING] = {"deep_ping",
			 "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8"},
	[Q_SLEEP] = {"sleep", "SELECT pg_sleep($1::int4 / 1000.0)"},
};
#define STMT(x) (&stmts[Q_##x])

static bool deep_ping_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			   crm_err *err) {
	(void)h, (void)params, (void)err;
	*stmt = STMT(DEEP_PING);
	*n = 0;
	return true;
}

static bool deep_ping_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	Crm__PingReply *pr = crm_arena_alloc(h->arena, sizeof(*pr));

	(void)err;
	crm__ping_reply__init(pr);
	pr->has_db_time = true;
	pr->db_time = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	pr->has_server_time = true;
	pr->server_time = crm_now_us();
	pr->has_schema_version = true;
	pr->schema_version = (uint32_t)h->schema_version;
	if (h->req->ping->has_payload) {
		pr->has_payload = true;
		pr->payload = h->req->ping->payload;
	}
	crm_hctx_body(h, CRM__RESPONSE__BODY_PING, pr);
	return true;
}

static const crm_single deep_ping = {deep_ping_prep, deep_ping_finish};

static bool handle_sleep(crm_hctx *h, crm_err *err) {
	Crm__SleepReply *sr;
	const char *ms;
	PGresult *r;

	if (!h->cfg->diagnostics)
		return crm_err_setid(err, CRM_FAILED_PRECONDITION, "sleep", "request.diagnostics_off",
				     NULL);
	ms = crm_hctx_i64(h, h->req->sleep->ms);
	r = crm_db_exec(h->db, STMT(SLEEP), 1, &ms, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	PQclear(r);
	sr = crm_arena_alloc(h->arena, sizeof(*sr));
	crm__sleep_reply__init(sr);
	sr->has_slept_ms = true;
	sr->slept_ms = h->req->sleep->ms;
	crm_hctx_body(h, CRM__RESPONSE__BODY_SLEEP, sr);
	return true;
}

/* ------------------------------------------------------------ descriptors */

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

/* Hello, and a ping without `deep`, are answered on the I/O thread. A
 * deep ping reads no row: session_only (docs/security.md, "The request
 * context"). */
static const crm_route routes[] = {
	{.which = R(PING), .single = &deep_ping, .session_only = true},
	{.which = R(SLEEP), .fn = handle_sleep},
};

const crm_domain crm_domain_system = {
	.name = "system",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
