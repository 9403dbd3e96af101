/*
 * shares: sharing a record of any type with a user or a team (RecordShare)
 * and listing a record's shares (ShareList). Who may share, the checks and
 * the audit live in SQL (crm.record_share, crm.share_list in
 * sql/modules/55_shares.sql); each request is one statement whose rows are
 * the reply.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"

/* This domain's statements, prepared on every connection (registered by
 * crm_routes_init through crm_db_register). The access comes back as the
 * Access enum's value name, which the row mapper matches. */
enum {
	Q_RECORD_SHARE,
	Q_SHARE_LIST,
	N_STMTS
};
#define SHARE_COLS "\"user\", team, 'ACCESS_' || upper(access) AS access, created_at, shared_by"
static const crm_sql stmts[N_STMTS] = {
	[Q_RECORD_SHARE] = {"record_share",
			    "SELECT " SHARE_COLS " FROM crm.record_share($1::text, $2::bigint,"
			    " $3::text, $4::text, $5::text, $6::boolean)"},
	[Q_SHARE_LIST] = {"share_list",
			  "SELECT " SHARE_COLS " FROM crm.share_list($1::text, $2::bigint)"},
};
#define STMT(x) (&stmts[Q_##x])

#define TYPE_PREFIX "RECORD_TYPE_"
#define TYPES_MAX 64 /* RecordType values this file can name */
#define TYPE_NAME_MAX 32

/*
 * The SQL names of the RecordType values, by value: the enum name without
 * RECORD_TYPE_, in lower case ("account"). records.c's self check holds
 * every value but 0 to a type it serves under that name, so no list of
 * types is kept here. Filled once by shares_self_check at start-up,
 * before any thread serves a request; read-only after.
 */
static char type_names[TYPES_MAX][TYPE_NAME_MAX];

/* The refusal of an unset or unknown type at `field`, naming those served. */
static const char *unknown_type(const char *field, crm_err *err) {
	char list[CRM_ERR_MSG_MAX / 2] = "";
	size_t o = 0;

	for (size_t i = 1; i < TYPES_MAX && o < sizeof(list); i++)
		if (type_names[i][0])
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "",
					      type_names[i]);
	crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "request.share_type_not_served", list, NULL);
	return NULL;
}

/* The record type a share request names (its `type`), for the permission
 * check and the SQL; NULL with INVALID_ARGUMENT for one not served. */
static const char *share_type_of(const Crm__ClientFrame *f, crm_err *err) {
	bool share = f->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_SHARE;
	Crm__RecordType t = share ? f->record_share->type : f->share_list->type;

	if (t <= 0 || (size_t)t >= TYPES_MAX || type_names[t][0] == '\0')
		return unknown_type(share ? "record_share.type" : "share_list.type", err);
	return type_names[t];
}

/* Rows of the statement as the ShareListReply body. */
static bool share_rows(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, crm_err *err) {
	return crm_hctx_list(h, stmt, n, p, &crm__share_list_reply__descriptor,
			     CRM__RESPONSE__BODY_SHARE_LIST, "", UINT32_MAX, NULL, err);
}

static bool handle_record_share(crm_hctx *h, crm_err *err) {
	const Crm__RecordShare *q = h->req->record_share;
	const char *p[] = {share_type_of(h->req, err), crm_hctx_i64(h, q->id),
			   crm_hctx_text(h, &q->user, q->has_user),
			   crm_hctx_text(h, &q->team, q->has_team),
			   q->access == CRM__ACCESS__ACCESS_EDIT ? "edit" : "read",
			   q->revoke ? "true" : "false"};

	return p[0] && share_rows(h, STMT(RECORD_SHARE), 6, p, err);
}

static bool handle_share_list(crm_hctx *h, crm_err *err) {
	const char *p[] = {share_type_of(h->req, err), crm_hctx_i64(h, h->req->share_list->id)};

	return p[0] && share_rows(h, STMT(SHARE_LIST), 2, p, err);
}

/* ------------------------------------------------------------ descriptors */

/* Fills type_names from the RecordType enum (see there). */
static bool shares_self_check(crm_err *err) {
	const ProtobufCEnumDescriptor *ed = &crm__record_type__descriptor;
	const size_t plen = strlen(TYPE_PREFIX);

	for (unsigned i = 0; i < ed->n_values; i++) {
		const char *name = ed->values[i].name;
		int v = ed->values[i].value;
		size_t j;

		if (v == 0)
			continue;
		if (v < 0 || v >= TYPES_MAX || strncmp(name, TYPE_PREFIX, plen) != 0 ||
		    strlen(name + plen) >= TYPE_NAME_MAX)
			return crm_err_set(err, CRM_INTERNAL, "shares",
					   "RecordType %s does not fit shares.c's type_names", name);
		for (j = 0; name[plen + j]; j++)
			type_names[v][j] = (char)tolower((unsigned char)name[plen + j]);
		type_names[v][j] = '\0';
	}
	return true;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_route routes[] = {
	/* the SQL checks more: update by the matrix, not by an edit share */
	{.which = R(RECORD_SHARE), .fn = handle_record_share, .type_of = share_type_of,
	 .action = "update", .effect = CRM_MUTATES},
	{.which = R(SHARE_LIST), .fn = handle_share_list, .type_of = share_type_of,
	 .action = "read"},
};

const crm_domain crm_domain_shares = {
	.name = "shares",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
	.self_check = shares_self_check,
};
