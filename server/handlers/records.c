/*
 * records: accounts, contacts and notes, their relations, custom fields and pick
 * lists. The rules (ownership, scopes, validation, versions, audit) live in
 * SQL (crm.record_* and friends in sql/0004_records.sql); crmd passes the
 * request's messages as JSON and turns the JSON that comes back into the
 * reply, both through jsonmsg.c, so no handler here knows a record's
 * fields. docs/data.md ("The SQL crmd calls") lists the statements.
 */
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crm_record_types.h" /* generated: CRM_RECORD_TYPES */
#include "handlers.h"
#include "jsonmsg.h"
#include "log.h"

/* This domain's statements, prepared on every connection (registered by
 * crm_routes_init through crm_db_register). */
enum {
	Q_RECORD_CREATE,
	Q_RECORD_CREATE_LINKED,
	Q_RECORD_GET,
	Q_RECORD_UPDATE,
	Q_RECORD_LIST,
	Q_RECORD_COUNT,
	Q_RECORD_SET_DELETED,
	Q_RECORD_PURGE,
	Q_RECORD_REASSIGN,
	Q_RELATION_ADD,
	Q_RELATION_LIST,
	Q_RELATION_REMOVE,
	Q_FIELD_ADD,
	Q_FIELD_LIST,
	Q_FIELD_REMOVE,
	Q_PICKLIST_ADD,
	Q_PICKLIST_LIST,
	Q_PICKLIST_REMOVE,
	Q_PICKLIST_MOVE,
	Q_RECORD_TYPE_LIST,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_RECORD_CREATE] = {"record_create",
			     "SELECT crm.record_create($1::jsonb)::text AS json"},
	[Q_RECORD_CREATE_LINKED] = {"record_create_linked",
				    "SELECT crm.record_create_linked($1::jsonb)::text AS json"},
	[Q_RECORD_GET] = {"record_get",
			  "SELECT crm.record_get($1::text, $2::bigint)::text AS json"},
	[Q_RECORD_UPDATE] = {"record_update",
			     "SELECT crm.record_update($1::bigint, $2::bigint, $3::jsonb,"
			     " $4::text[])::text AS json"},
	[Q_RECORD_LIST] = {"record_list",
			   "SELECT json, sort_key FROM crm.record_list($1::text, $2::jsonb,"
			   " $3::jsonb, $4::text, $5::integer, $6::boolean, $7::boolean)"},
	[Q_RECORD_COUNT] = {"record_count",
			    "SELECT crm.record_count($1::text, $2::jsonb, $3::boolean, $4::boolean)"
			    " AS total"},
	[Q_RECORD_SET_DELETED] = {"record_set_deleted",
				  "SELECT crm.record_set_deleted($1::text, $2::bigint,"
				  " $3::boolean)::text AS json"},
	[Q_RECORD_PURGE] = {"record_purge", "SELECT crm.record_purge($1::text, $2::bigint)"},
	[Q_RECORD_REASSIGN] = {"record_reassign",
			       "SELECT crm.record_reassign($1::text, $2::bigint, $3::text,"
			       " $4::text, $5::boolean)::text AS json"},
	[Q_RELATION_ADD] = {"relation_add",
			    "SELECT crm.relation_add($1::bigint, $2::bigint, $3::text,"
			    " $4::boolean)::text AS json"},
	[Q_RELATION_LIST] = {"relation_list",
			     "SELECT json, sort_key FROM crm.relation_list($1::bigint, $2::text,"
			     " $3::integer)"},
	[Q_RELATION_REMOVE] = {"relation_remove", "SELECT crm.relation_remove($1::bigint)"},
	[Q_FIELD_ADD] = {"field_add", "SELECT crm.field_add($1::jsonb)::text AS json"},
	[Q_FIELD_LIST] = {"field_list", "SELECT json FROM crm.field_list($1::text)"},
	[Q_FIELD_REMOVE] = {"field_remove", "SELECT crm.field_remove($1::text, $2::text)"},
	[Q_PICKLIST_ADD] = {"picklist_add",
			    "SELECT json FROM crm.picklist_add($1::text, $2::text, $3::text)"},
	[Q_PICKLIST_LIST] = {"picklist_list", "SELECT json FROM crm.picklist_list($1::text)"},
	[Q_PICKLIST_REMOVE] = {"picklist_remove",
			       "SELECT json FROM crm.picklist_remove($1::text, $2::text)"},
	[Q_PICKLIST_MOVE] = {"picklist_move",
			     "SELECT json FROM crm.picklist_move($1::text, $2::text, $3::text,"
			     " $4::text)"},
	[Q_RECORD_TYPE_LIST] = {"record_type_list", "SELECT json FROM crm.record_type_list()"},
};
#define STMT(x) (&stmts[Q_##x])

#define BODY(x) CRM__RESPONSE__BODY_##x
#define RECORD (&crm__record__descriptor)
#define TOTAL_CAP 10000 /* record_count answers at most TOTAL_CAP + 1 */

/* ------------------------------------------------------------ helpers */

/*
 * The record types crmd serves: one row each, made from the one list of
 * them, CRM_RECORD_TYPES (crm_record_types.h, generated from crm.proto by
 * proto/gen_fields.py, which fails the build unless every RecordType value
 * pairs with a member of Record's oneof kind of the same name). `type` is
 * the RecordType value requests name a type by (get, list, delete, ...),
 * `kind` the Record oneof member a create or update carries, `name` the
 * type's name in SQL and in permissions, which is also the kind's field
 * name and the enum value's name without RECORD_TYPE_ (records_self_check
 * compares all three with the descriptors crmd was built with, at
 * start-up). A type the table does not have is refused with
 * INVALID_ARGUMENT.
 */
typedef struct record_type {
	Crm__RecordType type;
	Crm__Record__KindCase kind;
	const char *name;
} record_type;

#define RECORD_TYPE_ROW(lower, UPPER)                                                   \
	{.type = CRM__RECORD_TYPE__RECORD_TYPE_##UPPER, .kind = CRM__RECORD__KIND_##UPPER, \
	 .name = #lower},
static const record_type record_types[] = {CRM_RECORD_TYPES(RECORD_TYPE_ROW)};
#undef RECORD_TYPE_ROW
#define N_TYPES (sizeof(record_types) / sizeof(record_types[0]))

static const record_type *type_by_value(Crm__RecordType t) {
	for (size_t i = 0; i < N_TYPES; i++)
		if (record_types[i].type == t)
			return &record_types[i];
	return NULL;
}

static const record_type *type_by_kind(const Crm__Record *r) {
	for (size_t i = 0; r && i < N_TYPES; i++)
		if (record_types[i].kind == r->kind_case)
			return &record_types[i];
	return NULL;
}

/* The refusal of a type the table does not have, at `field` (a Record
 * that must hold one, or a type that must be one). */
static const char *unknown_type(const char *field, bool hold, crm_err *err) {
	char list[CRM_ERR_MSG_MAX / 2] = "";
	size_t o = 0;

	for (size_t i = 0; i < N_TYPES && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      record_types[i].name);
	crm_err_setid(err, CRM_INVALID_ARGUMENT, field,
		      hold ? "request.type_must_hold" : "request.type_must_be", list, NULL);
	return NULL;
}

/* The SQL name of type t, or NULL with err set on `field`. */
static const char *type_name_at(Crm__RecordType t, const char *field, crm_err *err) {
	const record_type *rt = type_by_value(t);

	return rt ? rt->name : unknown_type(field, false, err);
}

/* The SQL name of a type a request's descriptor has checked already
 * (crm_route_check, on the I/O thread). */
static const char *type_name(Crm__RecordType t) {
	const record_type *rt = type_by_value(t);

	return rt ? rt->name : "unknown";
}

static const char *kind_name(const Crm__Record *r) {
	const record_type *rt = type_by_kind(r);

	return rt ? rt->name : "unknown";
}

static const char *tf(bool v) { return v ? "true" : "false"; }

/* A request message as a JSON parameter. */
static bool json_param(crm_hctx *h, const ProtobufCMessage *m, const char **out, crm_err *err) {
	*out = crm_jsonmsg_encode(h->arena, m);
	return *out != NULL ||
	       crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "request not encodable as JSON", NULL);
}

/* Repeated messages as a JSON array parameter ("[]" for none). */
static bool json_array_param(crm_hctx *h, void *const *ms, size_t n, const char **out,
			     crm_err *err) {
	*out = crm_jsonmsg_encode_array(h->arena, (ProtobufCMessage *const *)ms, n);
	return *out != NULL ||
	       crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "request not encodable as JSON", NULL);
}

/* Column "json" of a row as a message of type d; *out NULL when the row is
 * missing or the value is SQL NULL. */
static bool row_json(crm_hctx *h, const PGresult *r, int row, const ProtobufCMessageDescriptor *d,
		     void **out, crm_err *err) {
	int col = PQfnumber(r, "json");

	*out = NULL;
	if (col < 0)
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "result has no json column", NULL);
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
	       crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "list row without json", NULL);
}

/* The first row's JSON as the body; none (or NULL) is NOT_FOUND on id. */
static bool json_body(crm_hctx *h, const PGresult *r, const ProtobufCMessageDescriptor *d,
		      unsigned body, const char *nf_type, crm_err *err) {
	void *m;

	if (!row_json(h, r, 0, d, &m, err))
		return false;
	if (m == NULL)
		return crm_err_setid(err, CRM_NOT_FOUND, "id", "request.no_such_record", nf_type, NULL);
	crm_hctx_body(h, body, m);
	return true;
}

/* Runs stmt as the transaction's last statement; its JSON is the body. */
static bool one_json(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		     const ProtobufCMessageDescriptor *d, unsigned body, const char *nf_type,
		     crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, true, err);
	bool ok;

	if (r == NULL)
		return false;
	ok = json_body(h, r, d, body, nf_type, err);
	PQclear(r);
	return ok;
}

static bool one_record(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, const char *type,
		       crm_err *err) {
	return one_json(h, stmt, n, p, RECORD, BODY(RECORD), type, err);
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

/*
 * The record type a record request is about: its `type` field, or the kind
 * of the Record it carries (create's `record`, update's `changes`). Found by
 * the request's descriptor, so a new record request needs no code here.
 * NULL, with INVALID_ARGUMENT naming the field, for a type not in
 * record_types.
 */
const char *crm_request_type_of(const Crm__ClientFrame *f, crm_err *err) {
	const char *req = NULL;
	const ProtobufCMessage *m = crm_route_request(f, &req);
	const ProtobufCFieldDescriptor *fd;
	char path[CRM_ERR_FIELD_MAX];

	if (m == NULL) {
		crm_err_setid(err, CRM_INTERNAL, "request", "internal.detail", "no request", NULL);
		return NULL;
	}
	fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "type");
	if (fd && fd->type == PROTOBUF_C_TYPE_ENUM && fd->descriptor == &crm__record_type__descriptor) {
		snprintf(path, sizeof(path), "%s.type", req);
		return type_name_at(*(const Crm__RecordType *)((const char *)m + fd->offset), path,
				    err);
	}
	for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
		const Crm__Record *r;

		fd = &m->descriptor->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->descriptor != &crm__record__descriptor)
			continue;
		r = *(const Crm__Record *const *)((const char *)m + fd->offset);
		if (type_by_kind(r))
			return type_by_kind(r)->name;
		snprintf(path, sizeof(path), "%s.%s", req, fd->name);
		return unknown_type(path, true, err);
	}
	snprintf(path, sizeof(path), "%s names no record type", req);
	crm_err_setid(err, CRM_INTERNAL, req, "internal.detail", path, NULL);
	return NULL;
}

static const char *record_list_action(const Crm__ClientFrame *f) {
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
	size_t i;

	if (ok)
		return true;
	for (i = 0; i < N_TYPES; i++) {
		size_t len = strlen(record_types[i].name);

		if (strncmp(err->field, record_types[i].name, len) == 0 && err->field[len] == '.')
			break;
	}
	if (i == N_TYPES)
		return false;
	if (snprintf(buf, sizeof(buf), "%s.%s", member, err->field) < (int)sizeof(buf))
		memcpy(err->field, buf, sizeof(buf));
	return false;
}

/* A create with links (an interaction's further contacts, participants
 * and related records) sends the whole RecordCreate: the SQL makes the
 * record and its links in one statement. */
static bool handle_record_create(crm_hctx *h, crm_err *err) {
	const Crm__RecordCreate *q = h->req->record_create;
	const char *p[1];

	if (q->n_links > 0) {
		if (!json_param(h, &q->base, &p[0], err))
			return false;
		return under("record", one_record(h, STMT(RECORD_CREATE_LINKED), 1, p,
						  kind_name(q->record), err),
			     err);
	}
	if (!json_param(h, &q->record->base, &p[0], err))
		return false;
	return under("record", one_record(h, STMT(RECORD_CREATE), 1, p, kind_name(q->record), err),
		     err);
}

static bool record_get_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			    crm_err *err) {
	const Crm__RecordGet *q = h->req->record_get;

	(void)err;
	*stmt = STMT(RECORD_GET);
	*n = 2;
	params[0] = type_name(q->type);
	params[1] = crm_hctx_i64(h, q->id);
	return true;
}

static bool record_get_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return json_body(h, r, RECORD, BODY(RECORD), type_name(h->req->record_get->type),
			 err);
}

static const crm_single record_get = {record_get_prep, record_get_finish};

/* The member of RecordUpdate a field the SQL named belongs to: "log"
 * for one of the logged record's type (a task's update logging an
 * interaction: "interaction.kind"), else "changes". */
static const char *update_member(const Crm__RecordUpdate *q, const crm_err *err) {
	const char *k;
	size_t n;

	if (q->log == NULL || type_by_kind(q->log) == NULL ||
	    (q->changes != NULL && q->changes->kind_case == q->log->kind_case))
		return "changes";
	k = kind_name(q->log);
	n = strlen(k);
	return strncmp(err->field, k, n) == 0 && err->field[n] == '.' ? "log" : "changes";
}

/* The whole RecordUpdate goes to the SQL as JSON: the changes, the
 * edits of repeated fields (add_tags, remove_emails, primary_phone, ...)
 * and a task's log; crm.record_update reads them all. The version may be
 * absent (NULL): the SQL takes that only for an update made of list
 * edits alone. */
static bool handle_record_update(crm_hctx *h, crm_err *err) {
	const Crm__RecordUpdate *q = h->req->record_update;
	const char *p[4] = {crm_hctx_i64(h, q->id),
			    q->has_version ? crm_hctx_i64(h, q->version) : NULL, NULL,
			    crm_hctx_array(h, q->clear, NULL, q->n_clear)};
	bool ok;

	if (!json_param(h, &q->base, &p[2], err))
		return false;
	ok = one_record(h, STMT(RECORD_UPDATE), 4, p, kind_name(q->changes), err);
	return under(ok ? "changes" : update_member(q, err), ok, err);
}

static bool set_deleted(crm_hctx *h, Crm__RecordType type, int64_t id, bool deleted,
			crm_err *err) {
	const char *p[] = {type_name(type), crm_hctx_i64(h, id), tf(deleted)};

	return one_record(h, STMT(RECORD_SET_DELETED), 3, p, p[0], err);
}

static bool handle_record_delete(crm_hctx *h, crm_err *err) {
	const Crm__RecordDelete *q = h->req->record_delete;

	return set_deleted(h, q->type, q->id, true, err);
}

static bool handle_record_restore(crm_hctx *h, crm_err *err) {
	const Crm__RecordRestore *q = h->req->record_restore;

	return set_deleted(h, q->type, q->id, false, err);
}

static bool handle_record_purge(crm_hctx *h, crm_err *err) {
	const Crm__RecordPurge *q = h->req->record_purge;
	const char *p[] = {type_name(q->type), crm_hctx_i64(h, q->id)};

	return run_empty(h, STMT(RECORD_PURGE), 2, p, err);
}

static bool handle_record_reassign(crm_hctx *h, crm_err *err) {
	const Crm__RecordReassign *q = h->req->record_reassign;
	const char *p[] = {type_name(q->type), crm_hctx_i64(h, q->id),
			   crm_hctx_text(h, &q->owner, q->has_owner),
			   crm_hctx_text(h, &q->team, q->has_team),
			   tf(q->has_with_contacts && q->with_contacts)};

	return one_record(h, STMT(RECORD_REASSIGN), 5, p, p[0], err);
}

/* ------------------------------------------------------------ record list */

/* record_count of the list (p as for RECORD_LIST: type, filters, ...,
 * deleted, export) into the reply; not the transaction's last statement. */
static bool count_into(crm_hctx *h, const char *const *p, Crm__RecordListReply *reply,
		       crm_err *err) {
	const char *cp[] = {p[0], p[1], p[5], p[6]};
	PGresult *r = crm_db_exec(h->db, STMT(RECORD_COUNT), 4, cp, NULL, NULL, false, err);
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
	PGresult *r = crm_db_exec(h->db, STMT(RECORD_LIST), 7, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	*reply = crm_hctx_list_reply(h, r, &crm__record_list_reply__descriptor, list_row, bind, limit,
				     "sort_key", err);
	PQclear(r);
	return *reply != NULL;
}

static bool handle_record_list(crm_hctx *h, crm_err *err) {
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

static bool handle_relation_add(crm_hctx *h, crm_err *err) {
	const Crm__RelationAdd *q = h->req->relation_add;
	const char *p[] = {crm_hctx_i64(h, q->from_id), crm_hctx_i64(h, q->to_id),
			   crm_hctx_text(h, &q->role, q->has_role), tf(q->has_primary && q->primary)};

	return one_json(h, STMT(RELATION_ADD), 4, p, &crm__relation__descriptor, BODY(RELATION),
			"no such record", err);
}

static bool handle_relation_list(crm_hctx *h, crm_err *err) {
	const Crm__RelationList *q = h->req->relation_list;
	const char *p[3] = {crm_hctx_i64(h, q->record_id), NULL, NULL};
	const char *bind = crm_arena_printf(h->arena, "relation|%s", p[0]);
	PGresult *r;
	void *reply;
	uint32_t limit;

	if (!crm_hctx_page(h, q->page, "relation_list.page.cursor", bind, &limit, &p[1], err))
		return false;
	p[2] = crm_hctx_i64(h, (int64_t)limit + 1);
	r = crm_db_exec(h->db, STMT(RELATION_LIST), 3, p, NULL, NULL, true, err);
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

static bool handle_relation_remove(crm_hctx *h, crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, h->req->relation_remove->relation_id)};

	return run_empty(h, STMT(RELATION_REMOVE), 1, p, err);
}

/* ------------------------------------------------------------ custom fields */

static bool handle_field_add(crm_hctx *h, crm_err *err) {
	const char *p[1];

	if (!json_param(h, &h->req->field_add->field->base, &p[0], err))
		return false;
	return one_json(h, STMT(FIELD_ADD), 1, p, &crm__field_def__descriptor, BODY(FIELD),
			"field not added", err);
}

static bool handle_field_list(crm_hctx *h, crm_err *err) {
	const char *p[] = {type_name_at(h->req->field_list->record_type, "record_type", err)};

	return p[0] && json_rows(h, STMT(FIELD_LIST), 1, p, &crm__field_list_reply__descriptor,
			 BODY(FIELD_LIST), err);
}

static bool handle_field_remove(crm_hctx *h, crm_err *err) {
	const Crm__FieldRemove *q = h->req->field_remove;
	const char *p[] = {type_name_at(q->record_type, "record_type", err),
			   crm_hctx_text(h, &q->name, q->has_name)};

	return p[0] && run_empty(h, STMT(FIELD_REMOVE), 2, p, err);
}

/* ------------------------------------------------------------ pick lists */

static bool picklists(crm_hctx *h, crm_stmt stmt, int n, const char *const *p, crm_err *err) {
	return json_rows(h, stmt, n, p, &crm__picklist_list_reply__descriptor, BODY(PICKLIST_LIST),
			 err);
}

static bool handle_picklist_add(crm_hctx *h, crm_err *err) {
	const Crm__PicklistAdd *q = h->req->picklist_add;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value),
			   crm_hctx_text(h, &q->label, q->has_label)};

	return picklists(h, STMT(PICKLIST_ADD), 3, p, err);
}

static bool handle_picklist_list(crm_hctx *h, crm_err *err) {
	const Crm__PicklistList *q = h->req->picklist_list;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name)};

	return picklists(h, STMT(PICKLIST_LIST), 1, p, err);
}

static bool handle_picklist_remove(crm_hctx *h, crm_err *err) {
	const Crm__PicklistRemove *q = h->req->picklist_remove;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value)};

	return picklists(h, STMT(PICKLIST_REMOVE), 2, p, err);
}

static bool handle_picklist_move(crm_hctx *h, crm_err *err) {
	const Crm__PicklistMove *q = h->req->picklist_move;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->value, q->has_value),
			   crm_hctx_text(h, &q->before, q->has_before),
			   crm_hctx_text(h, &q->after, q->has_after)};

	return picklists(h, STMT(PICKLIST_MOVE), 4, p, err);
}

/* ------------------------------------------------------------ metadata */

/* The types the user may read, with labels and allowed actions: the SQL
 * asks the permission matrix, so any logged-in user may ask. Only the
 * types this server serves through the record requests (record_types)
 * are listed: a client takes each to FieldList and RecordList. */
static bool handle_record_type_list(crm_hctx *h, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, STMT(RECORD_TYPE_LIST), 0, NULL, NULL, NULL, true, err);
	Crm__RecordTypeListReply *reply;
	size_t k = 0;

	if (r == NULL)
		return false;
	reply = crm_hctx_list_reply(h, r, &crm__record_type_list_reply__descriptor, list_row, "",
				    UINT32_MAX, NULL, err);
	PQclear(r);
	if (reply == NULL)
		return false;
	for (size_t i = 0; i < reply->n_types; i++)
		for (size_t j = 0; j < N_TYPES; j++)
			if (reply->types[i]->name && strcmp(reply->types[i]->name, record_types[j].name) == 0)
				reply->types[k++] = reply->types[i];
	reply->n_types = k;
	crm_hctx_body(h, BODY(RECORD_TYPE_LIST), reply);
	return true;
}

/* ------------------------------------------------------------ descriptors */

/* A record type's message has the shared fields as `meta` (RecordMeta),
 * which jsonmsg inlines: none of its own fields may take a name of
 * RecordMeta's, or the JSON the SQL writes would be ambiguous. */
static bool meta_check(const ProtobufCMessageDescriptor *d, crm_err *err) {
	const ProtobufCFieldDescriptor *meta = protobuf_c_message_descriptor_get_field_by_name(d, "meta");
	const ProtobufCMessageDescriptor *md = &crm__record_meta__descriptor;

	if (meta == NULL || meta->descriptor != md)
		return crm_err_set(err, CRM_INTERNAL, "records", "%s has no field meta of type %s",
				   d->name, md->name);
	for (unsigned i = 0; i < md->n_fields; i++)
		if (protobuf_c_message_descriptor_get_field_by_name(d, md->fields[i].name))
			return crm_err_set(err, CRM_INTERNAL, "records",
					   "%s has a field %s, a name of RecordMeta's", d->name,
					   md->fields[i].name);
	return true;
}

/* record_types against the proto: every RecordType value but 0 and every
 * member of Record's kind oneof has exactly one row, with matching names. */
static bool records_self_check(crm_err *err) {
	const ProtobufCEnumDescriptor *ed = &crm__record_type__descriptor;
	const ProtobufCMessageDescriptor *rd = &crm__record__descriptor;
	size_t kinds = 0;

	for (unsigned i = 0; i < ed->n_values; i++) {
		const record_type *rt = type_by_value((Crm__RecordType)ed->values[i].value);
		char want[64];

		if (ed->values[i].value == 0)
			continue;
		if (rt == NULL)
			return crm_err_set(err, CRM_INTERNAL, "records",
					   "RecordType %s has no row in records.c's record_types "
					   "(crm_record_types.h is stale)",
					   ed->values[i].name);
		snprintf(want, sizeof(want), "RECORD_TYPE_%s", rt->name);
		if (strcasecmp(want, ed->values[i].name) != 0)
			return crm_err_set(err, CRM_INTERNAL, "records",
					   "record_types: %s is named %s", ed->values[i].name,
					   rt->name);
	}
	for (unsigned i = 0; i < rd->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &rd->fields[i];
		Crm__Record probe = CRM__RECORD__INIT;
		const record_type *rt;

		if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    fd->quantifier_offset != offsetof(Crm__Record, kind_case))
			continue;
		kinds++;
		probe.kind_case = (Crm__Record__KindCase)fd->id;
		rt = type_by_kind(&probe);
		if (rt == NULL || strcmp(rt->name, fd->name) != 0)
			return crm_err_set(err, CRM_INTERNAL, "records",
					   "Record's kind %s has no row named so in records.c's "
					   "record_types", fd->name);
		if (!meta_check(fd->descriptor, err))
			return false;
	}
	for (size_t i = 0; i < N_TYPES; i++)
		for (size_t j = i + 1; j < N_TYPES; j++)
			if (record_types[i].type == record_types[j].type ||
			    record_types[i].kind == record_types[j].kind)
				return crm_err_set(err, CRM_INTERNAL, "records",
						   "record_types: %s and %s clash",
						   record_types[i].name, record_types[j].name);
	if (kinds != N_TYPES)
		return crm_err_set(err, CRM_INTERNAL, "records",
				   "record_types has %zu rows but Record has %zu kinds", N_TYPES,
				   kinds);
	return true;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c
/* the type comes from the request (crm_request_type_of) */
#define RECORD_TYPE .type_of = crm_request_type_of

static const crm_route routes[] = {
	{.which = R(RECORD_CREATE), .fn = handle_record_create, RECORD_TYPE,
	 .action = "create", .effect = CRM_MUTATES},
	{.which = R(RECORD_GET), .single = &record_get, RECORD_TYPE, .action = "read"},
	{.which = R(RECORD_UPDATE), .fn = handle_record_update, RECORD_TYPE,
	 .action = "update", .effect = CRM_MUTATES},
	{.which = R(RECORD_LIST), .fn = handle_record_list, RECORD_TYPE,
	 .action_of = record_list_action},
	{.which = R(RECORD_DELETE), .fn = handle_record_delete, RECORD_TYPE,
	 .action = "delete", .effect = CRM_MUTATES},
	{.which = R(RECORD_RESTORE), .fn = handle_record_restore, RECORD_TYPE,
	 .action = "delete", .effect = CRM_MUTATES},
	{.which = R(RECORD_PURGE), .fn = handle_record_purge, RECORD_TYPE,
	 .action = "admin", .effect = CRM_MUTATES},
	{.which = R(RECORD_REASSIGN), .fn = handle_record_reassign, RECORD_TYPE,
	 .action = "reassign", .effect = CRM_MUTATES},
	/* relations: the SQL checks both ends (update on from, read on to) */
	{.which = R(RELATION_ADD), .fn = handle_relation_add, .effect = CRM_MUTATES},
	{.which = R(RELATION_LIST), .fn = handle_relation_list},
	{.which = R(RELATION_REMOVE), .fn = handle_relation_remove, .effect = CRM_MUTATES},
	/* custom fields and pick lists */
	{.which = R(FIELD_ADD), .fn = handle_field_add, .record_type = "field",
	 .action = "admin", .effect = CRM_MUTATES},
	{.which = R(FIELD_LIST), .fn = handle_field_list, .record_type = "field",
	 .action = "read"},
	{.which = R(FIELD_REMOVE), .fn = handle_field_remove, .record_type = "field",
	 .action = "admin", .effect = CRM_MUTATES},
	{.which = R(PICKLIST_ADD), .fn = handle_picklist_add, .record_type = "field",
	 .action = "admin", .effect = CRM_MUTATES},
	{.which = R(PICKLIST_LIST), .fn = handle_picklist_list, .record_type = "field",
	 .action = "read"},
	{.which = R(PICKLIST_REMOVE), .fn = handle_picklist_remove, .record_type = "field",
	 .action = "admin", .effect = CRM_MUTATES},
	{.which = R(PICKLIST_MOVE), .fn = handle_picklist_move, .record_type = "field",
	 .action = "admin", .effect = CRM_WRITES},
	/* metadata: the SQL filters by the user's permissions */
	{.which = R(RECORD_TYPE_LIST), .fn = handle_record_type_list},
};

const crm_domain crm_domain_records = {
	.name = "records",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
	.self_check = records_self_check,
};
