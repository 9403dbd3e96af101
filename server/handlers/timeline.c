/*
 * timeline: a record's interactions, tasks and change history merged,
 * newest first, one keyset page at a time (TimelineList; docs/data.md,
 * "The timeline"). The checks, the merge and row-level security live in
 * SQL (crm.timeline_list, crm.timeline_count in
 * sql/modules/84_timeline.sql), run as the user; here the request becomes
 * their parameters and the signed cursor carries the last row's key.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "rowmap.h"

enum {
	Q_TIMELINE_LIST,
	Q_TIMELINE_COUNT,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_TIMELINE_LIST] = {"timeline_list",
			     "SELECT o_at AS at, o_kind AS kind,"
			     " 'RECORD_TYPE_' || upper(o_record_type) AS record_type,"
			     " o_record_id AS record_id, o_summary AS summary, o_who AS who,"
			     " o_action AS action, o_sort_key AS sort_key"
			     " FROM crm.timeline_list($1::text, $2::bigint, $3::text[], $4::bigint,"
			     " $5::bigint, $6::text, $7::integer)"},
	[Q_TIMELINE_COUNT] = {"timeline_count",
			      "SELECT crm.timeline_count($1::text, $2::bigint, $3::text[], $4::bigint,"
			      " $5::bigint) AS total"},
};
#define STMT(x) (&stmts[Q_##x])

/* An instant the database can represent: 0001-01-01 to 9999-12-31. */
static bool instant_ok(bool has, int64_t us, const char *field, crm_err *err) {
	const int64_t lo = -62135596800LL * 1000000, hi = 253402300799LL * 1000000;

	if (!has || (us >= lo && us <= hi))
		return true;
	return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "request.instant_range",
			     strrchr(field, '.') + 1, NULL);
}

/* A row as a TimelineItem (columns named after its fields; sort_key is
 * the cursor's, no field's). */
static bool item_row(crm_hctx *h, const PGresult *r, int row, const ProtobufCMessageDescriptor *d,
		     void **out, crm_err *err) {
	(void)err;
	*out = crm_rowmap_new(h->arena, d, r, row);
	return true;
}

/* Counts the items (min(n, 10001)) into the reply's total. */
static bool count_items(crm_hctx *h, const char *const *p, uint64_t *total, bool *capped,
			crm_err *err) {
	PGresult *r = crm_db_exec(h->db, STMT(TIMELINE_COUNT), 5, p, NULL, NULL, false, err);
	long long n;

	if (r == NULL)
		return false;
	n = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	*capped = n > 10000;
	*total = (uint64_t)(*capped ? 10000 : n);
	return true;
}

static bool handle_timeline_list(crm_hctx *h, crm_err *err) {
	const Crm__TimelineList *q = h->req->timeline_list;
	const char *type = crm_request_type_of(h->req, err);
	const char *kinds = crm_hctx_array(h, NULL, q->kinds, q->n_kinds);
	const char *id = crm_hctx_i64(h, q->id);
	const char *since = q->has_since ? crm_hctx_i64(h, q->since) : NULL;
	const char *until = q->has_until ? crm_hctx_i64(h, q->until) : NULL;
	const char *filters, *key;
	Crm__TimelineListReply *reply;
	uint64_t total = 0;
	bool capped = false;
	uint32_t limit;
	PGresult *r;

	if (type == NULL)
		return false;
	/* the cursor belongs to this record and these filters */
	filters = crm_arena_printf(h->arena, "timeline|%s|%s|%s|%s|%s", type, id, kinds,
				   since ? since : "", until ? until : "");
	if (!instant_ok(q->has_since, q->since, "timeline_list.since", err) ||
	    !instant_ok(q->has_until, q->until, "timeline_list.until", err) ||
	    !crm_hctx_page(h, q->page, "timeline_list.page.cursor", filters, &limit, &key, err))
		return false;
	const char *p[] = {type, id, kinds, since, until, key, crm_hctx_i64(h, limit)};
	if (q->total && !count_items(h, p, &total, &capped, err))
		return false;
	r = crm_db_exec(h->db, STMT(TIMELINE_LIST), 7, p, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	reply = crm_hctx_list_reply(h, r, &crm__timeline_list_reply__descriptor, item_row, filters, limit,
				    "sort_key", err);
	PQclear(r);
	if (reply == NULL)
		return false;
	if (q->total) {
		reply->has_total = reply->has_total_capped = true;
		reply->total = total;
		reply->total_capped = capped;
	}
	crm_hctx_body(h, CRM__RESPONSE__BODY_TIMELINE_LIST, reply);
	return true;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_route routes[] = {
	/* reading a timeline needs the right to read the record's type; the
	 * SQL tests the record and every item as the user */
	{.which = R(TIMELINE_LIST), .fn = handle_timeline_list, .type_of = crm_request_type_of,
	 .action = "read"},
};

const crm_domain crm_domain_timeline = {
	.name = "timeline",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
