/* notes: the small record type that exercises the write path. */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

static Crm__Note *note_from_row(crm_hctx *h, PGresult *r, int id_col, int body_col, int at_col) {
	Crm__Note *n = crm_arena_alloc(h->arena, sizeof(*n));

	crm__note__init(n);
	n->has_note_id = true;
	n->note_id = strtoll(PQgetvalue(r, 0, id_col), NULL, 10);
	n->has_created_at = true;
	n->created_at = strtoll(PQgetvalue(r, 0, at_col), NULL, 10);
	if (body_col >= 0) {
		size_t len = (size_t)PQgetlength(r, 0, body_col);
		n->has_body = true;
		n->body.len = len;
		n->body.data = memcpy(crm_arena_alloc(h->arena, len + 1), PQgetvalue(r, 0, body_col), len);
	}
	return n;
}

bool crm_handle_note_create(crm_hctx *h, crm_err *err) {
	const ProtobufCBinaryData *body = &h->req->note_create->body;
	char *text = crm_arena_alloc(h->arena, body->len + 1);
	const char *params[1] = {text};
	PGresult *r;
	Crm__Note *n;

	memcpy(text, body->data, body->len); /* validated: no NUL inside */
	text[body->len] = '\0';
	r = crm_db_exec(h->db, CRM_STMT_NOTE_INSERT, 1, params, NULL, NULL, false, err);
	if (r == NULL)
		return false;
	n = note_from_row(h, r, 0, -1, 1);
	PQclear(r);
	n->has_body = true;
	n->body = *body;
	h->resp->body_case = CRM__RESPONSE__BODY_NOTE;
	h->resp->note = n;
	return true;
}

bool crm_handle_note_get(crm_hctx *h, crm_err *err) {
	const char *params[1] = {crm_hctx_i64(h, h->req->note_get->note_id)};
	PGresult *r = crm_db_exec(h->db, CRM_STMT_NOTE_GET, 1, params, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return crm_err_set(err, CRM_NOT_FOUND, "note_get.note_id", "no such note");
	}
	h->resp->body_case = CRM__RESPONSE__BODY_NOTE;
	h->resp->note = note_from_row(h, r, 0, 1, 2);
	PQclear(r);
	return true;
}
