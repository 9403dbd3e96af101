/*
 * records: accounts and contacts, their relations, custom fields and pick
 * lists. The rules (ownership, scopes, validation, versions, audit) live in
 * SQL (crm.record_* and friends in sql/0004_records.sql); crmd passes the
 * request's messages as JSON and turns the JSON that comes back into the
 * reply, both through jsonmsg.c, so no handler here knows a record's
 * fields. docs/data.md ("The SQL crmd calls") lists the statements.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jsonmsg.h"
#include "log.h"

#define BODY(x) CRM__RESPONSE__BODY_##x
#define RECORD (&crm__record__descriptor)
#define TOTAL_CAP 10000 /* record_count answers at most TOTAL_CAP + 1 */

/* ------------------------------------------------------------ helpers */

/* The SQL name of a record type. Anything else (the validator lets no
 * other value through) is a name no permission exists for. */
static const char *type_name(Crm__RecordType t) {
	switch (t) {
	case CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT:
		return "account";
	case CRM__RECORD_TYPE__RECORD_TYPE_CONTACT:
		return "contact";
	default:
		return "unknown";
	}
}

static const char *kind_name(const Crm__Record *r) {
	if (r && r->kind_case == CRM__RECORD__KIND_ACCOUNT)
		return "account";
	if (r && r->kind_case == CRM__RECORD__KIND_CONTACT)
		return "contact";
	return "unknown";
}

static const char *no_such(crm_hctx *h, const char *type) {
	return crm_arena_printf(h->arena, "no such %s", type);
}

static const char *tf(bool v) { return v ? "true" : "false"; }

/* A request message as a JSON parameter. */
static bool json_param(crm_hctx *h, const ProtobufCMessage *m, const char **out, crm_err *err) {
	*out = crm_jsonmsg_encode(h->arena, m);
	return *out != NULL ||
	       crm_err_set(err, CRM_INTERNAL, NULL, "internal error: request not encodable as JSON");
}

/* Repeated messages as a JSON array parameter ("[]" for none). */
static bool json_array_param(crm_hctx *h, void *const *ms, size_t n, const char **out,
			     crm_err *err) {
	*out = crm_jsonmsg_encode_array(h->arena, (ProtobufCMessage *const *)ms, n);
	return *out != NULL ||
	       crm_err_set(err, CRM_INTERNAL, NULL, "internal error: request not encodable as JSON");
}

/* Column "json" of a row as a message of type d; *out NULL when the row is
 * missing or the value is SQL NULL. */
static bool row_json(crm_hctx *h, const PGresult *r, int row, const ProtobufCMessageDescriptor *d,
		     void **out, crm_err *err) {
	int col = PQfnumber(r, "json");

	*out = NULL;
	if (col < 0)
		return crm_err_set(err, CRM_INTERNAL, NULL, "internal error: result has no json column");
	if (row >= PQntuples(r) || PQgetisnull(r, row, col))
		return true;
	if (crm_jsonmsg_decode(h->arena, d, PQgetvalue(r, row, col),
			       (size_t)PQgetlength(r, row, col), out, err))
		return true;
	log_error("records: %s", err->msg);
	return false;
}

/* A list element: row_json, where NULL is a bug in the SQL. */
static bool list_row(crm_hctx *h, const PGresult *r, int row, const ProtobufCMessageDescriptor *d,
		     void **out, crm_err *err) {
	if (!row_json(h, r, row, d, out, err))
		return false;
	return *out != NULL ||
	       crm_err_set(err, CRM_INTERNAL, NULL, "internal error: list row without json");
}

/* The first row's JSON as the body; none (or NULL) is NOT_FOUND on id. */
static bool json_body(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *d,
		      unsigned body, const char *nf_msg, crm_err *err) {
	void *m;

	if (!row_json(h, r, 0, d, &m, err))
		return false;
	if (m == NULL)
		return crm_err_set(err, CRM_NOT_FOUND, "id", "%s", nf_msg);
	crm_hctx_body(h, body, m);
	return true;
}

/* Runs stmt as the transaction's last statement; its JSON is the body. */
static bool one_json(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		     const ProtobufCMessageDescriptor *d, unsigned body, const char *nf_msg,
		     crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, true, err);
	bool ok;

	if (r == NULL)
		return false;
	ok = json_body(h, r, d, body, nf_msg, err);
	PQclear(r);
	return ok;
}

static bool one_record(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, const char *type,
		       crm_err *err) {
	return one_json(h, stmt, n, p, RECORD, BODY(RECORD), no_such(h, type), err);
}

/* Runs stmt as the last statement; the reply is Empty. */
static bool run_empty(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, true, err);
	Crm__Empty *e;

	if (r == NULL)
		return false;
	PQclear(r);
	e = crm_arena_alloc(h->arena, sizeof(*e));
	crm__empty__init(e);
	crm_hctx_body(h, BODY(EMPTY), e);
	return true;
}

/* Runs stmt as the last statement; every row's JSON is an element of a
 * reply of type reply_d (unpaged), which becomes the body. */
static bool json_rows(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		      const ProtobufCMessageDescriptor *reply_d, unsigned body, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, true, err);
	void *reply;

	if (r == NULL)
		return false;
	reply = crm_hctx_list_reply(h, r, reply_d, list_row, "", UINT32_MAX, NULL, err);
	PQclear(r);
	if (reply == NULL)
		return false;
	crm_hctx_body(h, body, reply);
	return true;
}

/* ------------------------------------------------------------ routes */

const char *crm_record_type_of(const Crm__ClientFrame *f) {
	switch (f->request_case) {
	case CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE:
		return kind_name(f->record_create->record);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE:
		return kind_name(f->record_update->changes);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_GET:
		return type_name(f->record_get->type);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_LIST:
		return type_name(f->record_list->type);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_DELETE:
		return type_name(f->record_delete->type);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_RESTORE:
		return type_name(f->record_restore->type);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_PURGE:
		return type_name(f->record_purge->type);
	case CRM__CLIENT_FRAME__REQUEST_RECORD_REASSIGN:
		return type_name(f->record_reassign->type);
	default:
		return "unknown";
	}
}

const char *crm_record_list_action(const Crm__ClientFrame *f) {
	return f->record_list->export ? "export" : "read";
}

/* ------------------------------------------------------------ records */

/*
 * The SQL names a record's fields from the record ("account.name"); the
 * request holds the record under `record` (create) or `changes` (update),
 * so the path the client sees is record_create.record.account.name.
 */
static bool under(const char *member, bool ok, crm_err *err) {
	char buf[CRM_ERR_FIELD_MAX];

	if (ok || (strncmp(err->field, "account.", 8) != 0 && strncmp(err->field, "contact.", 8) != 0))
		return ok;
	if (snprintf(buf, sizeof(buf), "%s.%s", member, err->field) < (int)sizeof(buf))
		memcpy(err->field, buf, sizeof(buf));
	return false;
}

bool crm_handle_record_create(crm_hctx *h, crm_err *err) {
	const Crm__RecordCreate *q = h->req->record_create;
	const char *p[1];

	if (!json_param(h, &q->record->base, &p[0], err))
		return false;
	return under("record", one_record(h, CRM_STMT_RECORD_CREATE, 1, p, kind_name(q->record), err),
		     err);
}

static bool record_get_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			    crm_err *err) {
	const Crm__RecordGet *q = h->req->record_get;

	(void)err;
	*stmt = CRM_STMT_RECORD_GET;
	*n = 2;
	params[0] = type_name(q->type);
	params[1] = crm_hctx_i64(h, q->id);
	return true;
}

static bool record_get_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return json_body(h, r, RECORD, BODY(RECORD), no_such(h, type_name(h->req->record_get->type)),
			 err);
}

const crm_single crm_single_record_get = {record_get_prep, record_get_finish};

/* The whole RecordUpdate goes to the SQL as JSON: the changes and the
 * edits of repeated fields (add_tags, remove_emails, primary_phone, ...);
 * crm.record_update reads both. */
bool crm_handle_record_update(crm_hctx *h, crm_err *err) {
	const Crm__RecordUpdate *q = h->req->record_update;
	const char *p[4] = {crm_hctx_i64(h, q->id), crm_hctx_i64(h, q->version), NULL,
			    crm_hctx_array(h, q->clear, NULL, q->n_clear)};

	if (!json_param(h, &q->base, &p[2], err))
		return false;
	return under("changes", one_record(h, CRM_STMT_RECORD_UPDATE, 4, p, kind_name(q->changes), err),
		     err);
}

static bool set_deleted(crm_hctx *h, Crm__RecordType type, int64_t id, bool deleted,
			crm_err *err) {
	const char *p[] = {type_name(type), crm_hctx_i64(h, id), tf(deleted)};

	return one_record(h, CRM_STMT_RECORD_SET_DELETED, 3, p, p[0], err);
}

bool crm_handle_record_delete(crm_hctx *h, crm_err *err) {
	const Crm__RecordDelete *q = h->req->record_delete;

	return set_deleted(h, q->type, q->id, true, err);
}

bool crm_handle_record_restore(crm_hctx *h, crm_err *err) {
	const Crm__RecordRestore *q = h->req->record_restore;

	return set_deleted(h, q->type, q->id, false, err);
}

bool crm_handle_record_purge(crm_hctx *h, crm_err *err) {
	const Crm__RecordPurge *q = h->req->record_purge;
	const char *p[] = {type_name(q->type), crm_hctx_i64(h, q->id)};

	return run_empty(h, CRM_STMT_RECORD_PURGE, 2, p, err);
}

bool crm_handle_record_reassign(crm_hctx *h, crm_err *err) {
	const Crm__RecordReassign *q = h->req->record_reassign;
	const char *p[] = {type_name(q->type), crm_hctx_i64(h, q->id),
			   crm_hctx_text(h, &q->owner, q->has_owner),
			   crm_hctx_text(h, &q->team, q->has_team),
			   tf(q->has_with_contacts && q->with_contacts)};

	return one_record(h, CRM_STMT_RECORD_REASSIGN, 5, p, p[0], err);
}

/* ------------------------------------------------------------ record list */

/* record_count of the list (p as for RECORD_LIST: type, filters, ...,
 * deleted, export) into the reply; not the transaction's last statement. */
static bool count_into(crm_hctx *h, const char *const *p, Crm__RecordListReply *reply,
		       crm_err *err) {
	const char *cp[] = {p[0], p[1], p[5], p[6]};
	PGresult *r = crm_db_exec(h->db, CRM_STMT_RECORD_COUNT, 4, cp, NULL, NULL, false, err);
	long long n;

	if (r == NULL)
		return false;
	n = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	reply->has_total = reply->has_total_capped = true;
	reply->total_capped = n > TOTAL_CAP;
	reply->total = (uint64_t)(n > TOTAL_CAP ? TOTAL_CAP : n < 0 ? 0 : n);
	return true;
}

/* The list's rows (p as for RECORD_LIST) into *reply; commits. */
static bool list_page(crm_hctx *h, const char *const *p, const char *bind, uint32_t limit,
		      Crm__RecordListReply **reply, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, CRM_STMT_RECORD_LIST, 7, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	*reply = crm_hctx_list_reply(h, r, &crm__record_list_reply__descriptor, list_row, bind, limit,
				     "sort_key", err);
	PQclear(r);
	return *reply != NULL;
}

bool crm_handle_record_list(crm_hctx *h, crm_err *err) {
	const Crm__RecordList *q = h->req->record_list;
	const char *p[7] = {type_name(q->type), NULL, NULL, NULL, NULL, tf(q->deleted), tf(q->export)};
	Crm__RecordListReply *reply, counted = CRM__RECORD_LIST_REPLY__INIT;
	const char *bind;
	uint32_t limit;

	if (!json_array_param(h, (void *const *)q->filters, q->n_filters, &p[1], err) ||
	    !json_array_param(h, (void *const *)q->sort, q->n_sort, &p[2], err))
		return false;
	/* a cursor is only good for the list it came from */
	bind = crm_arena_printf(h->arena, "record|%s|%s|%s|%s|%s", p[0], p[5], p[6], p[1], p[2]);
	if (!crm_hctx_page(h, q->page, "record_list.page.cursor", bind, &limit, &p[3], err))
		return false;
	p[4] = crm_hctx_i64(h, (int64_t)limit + 1);
	if (q->total && !count_into(h, p, &counted, err))
		return false;
	if (!list_page(h, p, bind, limit, &reply, err))
		return false;
	reply->has_total = counted.has_total;
	reply->total = counted.total;
	reply->has_total_capped = counted.has_total_capped;
	reply->total_capped = counted.total_capped;
	crm_hctx_body(h, BODY(RECORD_LIST), reply);
	return true;
}

/* ------------------------------------------------------------ relations */

bool crm_handle_relation_add(crm_hctx *h, crm_err *err) {
	const Crm__RelationAdd *q = h->req->relation_add;
	const char *p[] = {crm_hctx_i64(h, q->from_id), crm_hctx_i64(h, q->to_id),
			   crm_hctx_text(h, &q->role, q->has_role), tf(q->has_primary && q->primary)};

	return one_json(h, CRM_STMT_RELATION_ADD, 4, p, &crm__relation__descriptor, BODY(RELATION),
			"no such record", err);
}

bool crm_handle_relation_list(crm_hctx *h, crm_err *err) {
	const Crm__RelationList *q = h->req->relation_list;
	const char *p[3] = {crm_hctx_i64(h, q->record_id), NULL, NULL};
	const char *bind = crm_arena_printf(h->arena, "relation|%s", p[0]);
	PGresult *r;
	void *reply;
	uint32_t limit;

	if (!crm_hctx_page(h, q->page, "relation_list.page.cursor", bind, &limit, &p[1], err))
		return false;
	p[2] = crm_hctx_i64(h, (int64_t)limit + 1);
	r = crm_db_exec(h->db, CRM_STMT_RELATION_LIST, 3, p, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	reply = crm_hctx_list_reply(h, r, &crm__relation_list_reply__descriptor, list_row, bind,
				    limit, "sort_key", err);
	PQclear(r);
	if (reply == NULL)
		return false;
	crm_hctx_body(h, BODY(RELATION_LIST), reply);
	return true;
}

bool crm_handle_relation_remove(crm_hctx *h, crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, h->req->relation_remove->relation_id)};

	return run_empty(h, CRM_STMT_RELATION_REMOVE, 1, p, err);
}

/* ------------------------------------------------------------ custom fields */

bool crm_handle_field_add(crm_hctx *h, crm_err *err) {
	const char *p[1];

	if (!json_param(h, &h->req->field_add->field->base, &p[0], err))
		return false;
	return one_json(h, CRM_STMT_FIELD_ADD, 1, p, &crm__field_def__descriptor, BODY(FIELD),
			"field not added", err);
}

bool crm_handle_field_list(crm_hctx *h, crm_err *err) {
	const char *p[] = {type_name(h->req->field_list->record_type)};

	return json_rows(h, CRM_STMT_FIELD_LIST, 1, p, &crm__field_list_reply__descriptor,
			 BODY(FIELD_LIST), err);
}

bool crm_handle_field_remove(crm_hctx *h, crm_err *err) {
	const Crm__FieldRemove *q = h->req->field_remove;
	const char *p[] = {type_name(q->record_type), crm_hctx_text(h, &q->name, q->has_name)};

	return run_empty(h, CRM_STMT_FIELD_REMOVE, 2, p, err);
}

/* ------------------------------------------------------------ pick lists */

static bool picklists(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, crm_err *err) {
	return json_rows(h, stmt, n, p, &crm__picklist_list_reply__descriptor, BODY(PICKLIST_LIST),
			 err);
}

bool crm_handle_picklist_add(crm_hctx *h, crm_err *err) {
	const Crm__PicklistAdd *q = h->req->picklist_add;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value),
			   crm_hctx_text(h, &q->label, q->has_label)};

	return picklists(h, CRM_STMT_PICKLIST_ADD, 3, p, err);
}

bool crm_handle_picklist_list(crm_hctx *h, crm_err *err) {
	const Crm__PicklistList *q = h->req->picklist_list;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name)};

	return picklists(h, CRM_STMT_PICKLIST_LIST, 1, p, err);
}

bool crm_handle_picklist_remove(crm_hctx *h, crm_err *err) {
	const Crm__PicklistRemove *q = h->req->picklist_remove;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value)};

	return picklists(h, CRM_STMT_PICKLIST_REMOVE, 2, p, err);
}

bool crm_handle_picklist_move(crm_hctx *h, crm_err *err) {
	const Crm__PicklistMove *q = h->req->picklist_move;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value),
			   crm_hctx_text(h, &q->before, q->has_before),
			   crm_hctx_text(h, &q->after, q->has_after)};

	return picklists(h, CRM_STMT_PICKLIST_MOVE, 4, p, err);
}
