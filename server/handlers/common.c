/* common: the route table and the helpers every handler uses. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "handlers.h"
#include "rowmap.h"

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c
#define DB CRM_POOL_DB
#define AUTH CRM_POOL_AUTH
#define REC(c, fn, action, action_of, single) \
	{R(c), fn, NULL, action, action_of, true, DB, NULL, single, crm_record_type_of}

/* Every request type a worker serves. Hello and shallow ping are answered
 * on the I/O thread; login and password_change have their own flows in
 * worker.c (fn NULL). */
static const crm_route routes[] = {
	{R(PING), crm_handle_single, NULL, NULL, NULL, true, DB, NULL, &crm_single_deep_ping, NULL},
	{R(SLEEP), crm_handle_sleep, NULL, NULL, NULL, true, DB, NULL, NULL, NULL},
	{R(LOGIN), NULL, NULL, NULL, NULL, false, AUTH, NULL, NULL, NULL},
	{R(RESUME), crm_handle_single, NULL, NULL, NULL, false, DB, NULL, &crm_single_resume, NULL},
	{R(LOGOUT), crm_handle_logout, NULL, NULL, NULL, true, DB, NULL, NULL, NULL},
	{R(WHOAMI), crm_handle_single, NULL, NULL, NULL, true, DB, NULL, &crm_single_whoami, NULL},
	{R(PASSWORD_CHANGE), NULL, NULL, NULL, NULL, true, AUTH, NULL, NULL, NULL},
	{R(USER_CREATE), crm_handle_user_create, "user", "create", NULL, true, AUTH, NULL, NULL, NULL},
	{R(USER_GET), crm_handle_single, "user", "read", NULL, true, DB, NULL, &crm_single_user_get, NULL},
	{R(USER_LIST), crm_handle_user_list, "user", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(USER_UPDATE), crm_handle_user_update, "user", "update", NULL, true, DB, NULL, NULL, NULL},
	{R(USER_SET_ACTIVE), crm_handle_user_set_active, "user", "update", NULL, true, DB, NULL, NULL, NULL},
	{R(USER_RESET_PASSWORD), crm_handle_user_reset_password, "user", "admin", NULL, true, AUTH, NULL, NULL, NULL},
	{R(TEAM_CREATE), crm_handle_team_create, "team", "create", NULL, true, DB, NULL, NULL, NULL},
	{R(TEAM_GET), crm_handle_single, "team", "read", NULL, true, DB, NULL, &crm_single_team_get, NULL},
	{R(TEAM_LIST), crm_handle_team_list, "team", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(TEAM_UPDATE), crm_handle_team_update, "team", "update", NULL, true, DB, NULL, NULL, NULL},
	{R(TEAM_DELETE), crm_handle_team_delete, "team", "delete", NULL, true, DB, NULL, NULL, NULL},
	{R(ROLE_LIST), crm_handle_role_list, "permission", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(ROLE_GET), crm_handle_role_get, "permission", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(PERMISSION_LIST), crm_handle_permission_list, "permission", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(PERMISSION_SET), crm_handle_permission_set, "permission", "update", NULL, true, DB, NULL, NULL, NULL},
	{R(SESSION_LIST), crm_handle_session_list, "session", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(SESSION_REVOKE), crm_handle_session_revoke, "session", "delete", NULL, true, DB, NULL, NULL, NULL},
	{R(AUDIT_LIST), crm_handle_audit_list, "audit", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_CREATE), crm_handle_note_create, "note", "create", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_GET), crm_handle_single, "note", "read", NULL, true, DB, NULL, &crm_single_note_get, NULL},
	{R(NOTE_LIST), crm_handle_note_list, "note", "read", crm_note_list_action, true, DB, NULL, NULL, NULL},
	{R(NOTE_UPDATE), crm_handle_note_update, "note", "update", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_DELETE), crm_handle_note_delete, "note", "delete", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_RESTORE), crm_handle_note_restore, "note", "delete", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_REASSIGN), crm_handle_note_reassign, "note", "reassign", NULL, true, DB, NULL, NULL, NULL},
	{R(NOTE_SHARE), crm_handle_note_share, "note", "update", NULL, true, DB, NULL, NULL, NULL},
	/* records: the type comes from the request (crm_record_type_of) */
	REC(RECORD_CREATE, crm_handle_record_create, "create", NULL, NULL),
	REC(RECORD_GET, crm_handle_single, "read", NULL, &crm_single_record_get),
	REC(RECORD_UPDATE, crm_handle_record_update, "update", NULL, NULL),
	REC(RECORD_LIST, crm_handle_record_list, "read", crm_record_list_action, NULL),
	REC(RECORD_DELETE, crm_handle_record_delete, "delete", NULL, NULL),
	REC(RECORD_RESTORE, crm_handle_record_restore, "delete", NULL, NULL),
	REC(RECORD_PURGE, crm_handle_record_purge, "admin", NULL, NULL),
	REC(RECORD_REASSIGN, crm_handle_record_reassign, "reassign", NULL, NULL),
	/* relations: the SQL checks both ends (update on from, read on to) */
	{R(RELATION_ADD), crm_handle_relation_add, NULL, NULL, NULL, true, DB, NULL, NULL, NULL},
	{R(RELATION_LIST), crm_handle_relation_list, NULL, NULL, NULL, true, DB, NULL, NULL, NULL},
	{R(RELATION_REMOVE), crm_handle_relation_remove, NULL, NULL, NULL, true, DB, NULL, NULL, NULL},
	{R(FIELD_ADD), crm_handle_field_add, "field", "admin", NULL, true, DB, NULL, NULL, NULL},
	{R(FIELD_LIST), crm_handle_field_list, "field", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(FIELD_REMOVE), crm_handle_field_remove, "field", "admin", NULL, true, DB, NULL, NULL, NULL},
	{R(PICKLIST_ADD), crm_handle_picklist_add, "field", "admin", NULL, true, DB, NULL, NULL, NULL},
	{R(PICKLIST_LIST), crm_handle_picklist_list, "field", "read", NULL, true, DB, NULL, NULL, NULL},
	{R(PICKLIST_REMOVE), crm_handle_picklist_remove, "field", "admin", NULL, true, DB, NULL, NULL, NULL},
	{R(PICKLIST_MOVE), crm_handle_picklist_move, "field", "admin", NULL, true, DB, NULL, NULL, NULL},
};

const crm_route *crm_route_find(Crm__ClientFrame__RequestCase which) {
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].which == which)
			return &routes[i];
	return NULL;
}

const char *crm_route_record_type(const crm_route *r, const Crm__ClientFrame *f) {
	return r->type_of ? r->type_of(f) : r->record_type;
}

const char *crm_route_action(const crm_route *r, const Crm__ClientFrame *f) {
	return r->action_of ? r->action_of(f) : r->action;
}

const char *crm_hctx_i64(crm_hctx *h, int64_t v) {
	return crm_arena_printf(h->arena, "%" PRId64, v);
}

const char *crm_hctx_text(crm_hctx *h, const ProtobufCBinaryData *b, protobuf_c_boolean has) {
	char *s;

	if (!has)
		return NULL;
	s = crm_arena_alloc(h->arena, b->len + 1);
	memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	return s;
}

const char *crm_hctx_array(crm_hctx *h, char **strs, const ProtobufCBinaryData *bins, size_t n) {
	size_t cap = 3, o = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += 3 + 2 * (strs ? strlen(strs[i]) : bins[i].len);
	out = crm_arena_alloc(h->arena, cap);
	out[o++] = '{';
	for (size_t i = 0; i < n; i++) {
		const char *s = strs ? strs[i] : (const char *)bins[i].data;
		size_t len = strs ? strlen(strs[i]) : bins[i].len;
		if (i)
			out[o++] = ',';
		out[o++] = '"';
		for (size_t j = 0; j < len; j++) {
			if (s[j] == '"' || s[j] == '\\')
				out[o++] = '\\';
			out[o++] = s[j];
		}
		out[o++] = '"';
	}
	out[o++] = '}';
	out[o] = '\0';
	return out;
}

void crm_hctx_body(crm_hctx *h, unsigned body_case, void *msg) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field(&crm__response__descriptor, body_case);

	h->resp->body_case = (Crm__Response__BodyCase)body_case;
	*(void **)((char *)h->resp + fd->offset) = msg;
}

bool crm_hctx_row(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *d,
		  unsigned body_case, const char *nf_field, const char *nf_msg, crm_err *err) {
	if (PQntuples(r) == 0)
		return crm_err_set(err, CRM_NOT_FOUND, nf_field, "%s", nf_msg);
	crm_hctx_body(h, body_case, crm_rowmap_new(h->arena, d, r, 0));
	return true;
}

bool crm_hctx_one(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		  const ProtobufCMessageDescriptor *d, unsigned body_case, bool last,
		  const char *nf_field, const char *nf_msg, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, last, err);
	bool ok;

	if (r == NULL)
		return false;
	ok = crm_hctx_row(h, r, d, body_case, nf_field, nf_msg, err);
	PQclear(r);
	return ok;
}

bool crm_handle_single(crm_hctx *h, crm_err *err) {
	const char *params[CRM_SINGLE_PARAMS];
	crm_stmt stmt;
	PGresult *r;
	int n;
	bool ok;

	if (!h->route->single->prep(h, &stmt, &n, params, err))
		return false;
	r = crm_db_exec(h->db, stmt, n, params, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	ok = h->route->single->finish(h, r, err);
	PQclear(r);
	return ok;
}

bool crm_hctx_page(crm_hctx *h, const Crm__ListPage *page, const char *field, const char *filters,
		   uint32_t *limit, const char **key, crm_err *err) {
	*limit = page && page->has_limit ? page->limit : CRM_PAGE_DEFAULT;
	*key = NULL;
	if (page == NULL || !page->has_cursor || page->cursor.len == 0)
		return true;
	/* The cursor is bound to a user: the session must be known. */
	if (!crm_db_prologue(h->db, err))
		return false;
	return crm_cursor_read(h->arena, &page->cursor, h->db->session.user_id, filters, field, key,
			       err);
}

static bool rowmap_row(crm_hctx *h, const PGresult *r, int row,
		       const ProtobufCMessageDescriptor *d, void **out, crm_err *err) {
	(void)err;
	*out = crm_rowmap_new(h->arena, d, r, row);
	return true;
}

/* Puts a cursor for the page after `row` in the reply's next_cursor. */
static bool next_cursor(crm_hctx *h, ProtobufCMessage *reply, const ProtobufCFieldDescriptor *next,
			const PGresult *r, int row, const char *filters, const char *key_col,
			crm_err *err) {
	int col = PQfnumber(r, key_col);
	const char *key;

	if (col < 0 || PQgetisnull(r, row, col))
		return crm_err_set(err, CRM_INTERNAL, NULL, "internal error: list row without %s",
				   key_col);
	key = PQgetvalue(r, row, col);
	if (strlen(key) > CRM_CURSOR_KEY_MAX)
		return crm_err_set(err, CRM_INTERNAL, NULL, "internal error: %s too long for a cursor",
				   key_col);
	*(ProtobufCBinaryData *)((char *)reply + next->offset) =
		crm_cursor_make(h->arena, h->db->session.user_id, filters, key);
	*(protobuf_c_boolean *)((char *)reply + next->quantifier_offset) = 1;
	return true;
}

void *crm_hctx_list_reply(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *reply_d,
			  crm_hctx_row_fn row_fn, const char *filters, uint32_t limit,
			  const char *key_col, crm_err *err) {
	const ProtobufCFieldDescriptor *items = &reply_d->fields[0];
	const ProtobufCFieldDescriptor *next =
		protobuf_c_message_descriptor_get_field_by_name(reply_d, "next_cursor");
	ProtobufCMessage *reply = crm_arena_alloc(h->arena, reply_d->sizeof_message);
	size_t count = (size_t)PQntuples(r);
	void **rows;

	reply_d->message_init(reply);
	if (key_col && next && limit > 0 && count > limit) {
		if (!next_cursor(h, reply, next, r, (int)limit - 1, filters, key_col, err))
			return NULL;
		count = limit;
	}
	rows = crm_arena_alloc(h->arena, (count ? count : 1) * sizeof(void *));
	for (size_t i = 0; i < count; i++)
		if (!row_fn(h, r, (int)i, items->descriptor, &rows[i], err))
			return NULL;
	*(size_t *)((char *)reply + items->quantifier_offset) = count;
	*(void ***)((char *)reply + items->offset) = rows;
	return reply;
}

bool crm_hctx_list(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		   const ProtobufCMessageDescriptor *reply_d, unsigned body_case,
		   const char *filters, uint32_t limit, const char *key_col, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, true, err);
	void *reply;

	if (r == NULL)
		return false;
	reply = crm_hctx_list_reply(h, r, reply_d, rowmap_row, filters, limit, key_col, err);
	PQclear(r);
	if (reply == NULL)
		return false;
	crm_hctx_body(h, body_case, reply);
	return true;
}
