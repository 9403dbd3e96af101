/* notes: the fixture record type. Ownership, scopes, soft delete, versions
 * and audit live in SQL (crm.note_* in sql/0003_identity_api.sql); here
 * each request becomes one statement and its row the reply. */
#include "handlers.h"

/* This domain's statements, prepared on every connection (registered by
 * crm_routes_init through crm_db_register). */
enum {
	Q_NOTE_CREATE,
	Q_NOTE_GET,
	Q_NOTE_LIST,
	Q_NOTE_UPDATE,
	Q_NOTE_SET_DELETED,
	Q_NOTE_REASSIGN,
	Q_NOTE_SHARE,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_NOTE_CREATE] = {"note_create", "SELECT * FROM crm.note_create($1)"},
	[Q_NOTE_GET] = {"note_get",
			"SELECT * FROM crm.note_v1_out WHERE note_id = $1 AND NOT is_deleted"},
	[Q_NOTE_LIST] = {"note_list",
			 "SELECT * FROM crm.note_v1_out WHERE is_deleted = $1::boolean"
			 " AND ($2::bigint IS NULL OR note_id < $2)"
			 " ORDER BY note_id DESC LIMIT $3::integer + 1"},
	[Q_NOTE_UPDATE] = {"note_update",
			   "SELECT * FROM crm.note_update($1::bigint, $2::bigint, $3)"},
	[Q_NOTE_SET_DELETED] = {"note_set_deleted",
				"SELECT * FROM crm.note_set_deleted($1::bigint, $2::boolean)"},
	[Q_NOTE_REASSIGN] = {"note_reassign",
			     "SELECT * FROM crm.note_reassign($1::bigint, $2, $3)"},
	[Q_NOTE_SHARE] = {"note_share",
			  "SELECT * FROM crm.note_share($1::bigint, $2, $3, $4, $5::boolean)"},
};
#define STMT(x) (&stmts[Q_##x])

#define NOTE_BODY CRM__RESPONSE__BODY_NOTE
#define NOTE(h) (&crm__note__descriptor)

static bool one_note(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, bool last,
		     crm_err *err) {
	return crm_hctx_one(h, stmt, n, p, NOTE(h), NOTE_BODY, last, "note_id", "no such note", err);
}

static bool handle_note_create(crm_hctx *h, crm_err *err) {
	const Crm__NoteCreate *q = h->req->note_create;
	const char *p[] = {crm_hctx_text(h, &q->body, q->has_body)};

	return one_note(h, STMT(NOTE_CREATE), 1, p, true, err);
}

static bool note_get_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			  crm_err *err) {
	(void)err;
	*stmt = STMT(NOTE_GET);
	*n = 1;
	params[0] = crm_hctx_i64(h, h->req->note_get->note_id);
	return true;
}

static bool note_get_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return crm_hctx_row(h, r, NOTE(h), NOTE_BODY, "note_id", "no such note", err);
}

static const crm_single note_get = {note_get_prep, note_get_finish};

static bool handle_note_list(crm_hctx *h, crm_err *err) {
	const Crm__NoteList *q = h->req->note_list;
	const char *filters = q->deleted ? "deleted" : "live";
	const char *p[3];
	const char *key;
	uint32_t limit;

	if (!crm_hctx_page(h, q->page, "note_list.page.cursor", filters, &limit, &key, err))
		return false;
	p[0] = q->deleted ? "true" : "false";
	p[1] = key;
	p[2] = crm_hctx_i64(h, limit);
	return crm_hctx_list(h, STMT(NOTE_LIST), 3, p, &crm__note_list_reply__descriptor,
			     CRM__RESPONSE__BODY_NOTE_LIST, filters, limit, "note_id", err);
}

static bool handle_note_update(crm_hctx *h, crm_err *err) {
	const Crm__NoteUpdate *q = h->req->note_update;
	const char *p[] = {crm_hctx_i64(h, q->note_id), crm_hctx_i64(h, q->version),
			   crm_hctx_text(h, &q->body, q->has_body)};

	return one_note(h, STMT(NOTE_UPDATE), 3, p, true, err);
}

static bool set_deleted(crm_hctx *h, int64_t id, bool deleted, crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, id), deleted ? "true" : "false"};

	return one_note(h, STMT(NOTE_SET_DELETED), 2, p, true, err);
}

static bool handle_note_delete(crm_hctx *h, crm_err *err) {
	return set_deleted(h, h->req->note_delete->note_id, true, err);
}

static bool handle_note_restore(crm_hctx *h, crm_err *err) {
	return set_deleted(h, h->req->note_restore->note_id, false, err);
}

static bool handle_note_reassign(crm_hctx *h, crm_err *err) {
	const Crm__NoteReassign *q = h->req->note_reassign;
	const char *p[] = {crm_hctx_i64(h, q->note_id), crm_hctx_text(h, &q->owner, q->has_owner),
			   crm_hctx_text(h, &q->team, q->has_team)};

	return one_note(h, STMT(NOTE_REASSIGN), 3, p, true, err);
}

static bool handle_note_share(crm_hctx *h, crm_err *err) {
	const Crm__NoteShare *q = h->req->note_share;
	const char *p[] = {crm_hctx_i64(h, q->note_id), crm_hctx_text(h, &q->user, q->has_user),
			   crm_hctx_text(h, &q->team, q->has_team),
			   q->access == CRM__ACCESS__ACCESS_EDIT ? "edit" : "read",
			   q->revoke ? "true" : "false"};

	return one_note(h, STMT(NOTE_SHARE), 5, p, true, err);
}

static const char *note_list_action(const Crm__ClientFrame *f) {
	return f->note_list->export ? "export" : "read";
}

/* ------------------------------------------------------------ descriptors */

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_route routes[] = {
	{.which = R(NOTE_CREATE), .fn = handle_note_create,
	 .record_type = "note", .action = "create", .effect = CRM_MUTATES},
	{.which = R(NOTE_GET), .single = &note_get, .record_type = "note", .action = "read"},
	{.which = R(NOTE_LIST), .fn = handle_note_list,
	 .record_type = "note", .action_of = note_list_action},
	{.which = R(NOTE_UPDATE), .fn = handle_note_update,
	 .record_type = "note", .action = "update", .effect = CRM_MUTATES},
	{.which = R(NOTE_DELETE), .fn = handle_note_delete,
	 .record_type = "note", .action = "delete", .effect = CRM_MUTATES},
	{.which = R(NOTE_RESTORE), .fn = handle_note_restore,
	 .record_type = "note", .action = "delete", .effect = CRM_MUTATES},
	{.which = R(NOTE_REASSIGN), .fn = handle_note_reassign,
	 .record_type = "note", .action = "reassign", .effect = CRM_MUTATES},
	{.which = R(NOTE_SHARE), .fn = handle_note_share,
	 .record_type = "note", .action = "update", .effect = CRM_MUTATES},
};

const crm_domain crm_domain_notes = {
	.name = "notes",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
