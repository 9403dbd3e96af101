/* common: the index of the domains' request descriptors and the helpers
 * every handler uses. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "handlers.h"
#include "rowmap.h"

/* Every domain; each lists its requests in its own file. */
static const crm_domain *const domains[] = {
	&crm_domain_system,
	&crm_domain_identity,
	&crm_domain_records,
	&crm_domain_shares,
	&crm_domain_watches,
	&crm_domain_attachments,
	&crm_domain_timeline,
};

/* Requests of the ClientFrame that have no descriptor on purpose: hello is
 * answered on the I/O thread (so is a shallow ping; a deep one is PING's
 * descriptor). */
static const Crm__ClientFrame__RequestCase io_only[] = {
	CRM__CLIENT_FRAME__REQUEST_HELLO,
};

/* by_case[c]: the descriptor of request case c; written once, at start-up,
 * before any thread reads it. */
static const crm_route **by_case;
static size_t n_cases;

/* The ClientFrame's field for request case c if it is a member of the
 * `request` oneof, else NULL. */
static const ProtobufCFieldDescriptor *request_field(unsigned c) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field(&crm__client_frame__descriptor, c);

	if (fd == NULL || !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
	    fd->quantifier_offset != offsetof(Crm__ClientFrame, request_case))
		return NULL;
	return fd;
}

static bool is_io_only(unsigned c) {
	for (size_t i = 0; i < sizeof(io_only) / sizeof(io_only[0]); i++)
		if ((unsigned)io_only[i] == c)
			return true;
	return false;
}

/* One descriptor's facts, on their own and against the wire. */
static bool check_route(const crm_domain *d, const crm_route *r, crm_err *err) {
	const ProtobufCFieldDescriptor *fd = request_field((unsigned)r->which);
	Crm__ClientFrame probe = CRM__CLIENT_FRAME__INIT;
	const char *name = fd ? fd->name : "?";
	int ways = (r->fn != NULL) + (r->single != NULL) + (r->flow != CRM_FLOW_HANDLER);

	if (fd == NULL)
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "descriptor for request case %u, which ClientFrame's request "
				   "oneof does not have", (unsigned)r->which);
	if (is_io_only(fd->id))
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "descriptor for %s, which the I/O thread answers", name);
	if (ways != 1)
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: give exactly one of fn, single and flow", name);
	if ((r->record_type || r->type_of) != (r->action || r->action_of) ||
	    (r->record_type && r->type_of) || (r->action && r->action_of))
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: a permission needs one record type (record_type or "
				   "type_of) and one action (action or action_of)", name);
	if (r->session_only && (r->record_type || r->type_of || r->fn || r->flow != CRM_FLOW_HANDLER))
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: session_only is for a single statement that reads no row "
				   "(no permission, no handler)", name);
	if (r->new_password && r->pool != CRM_POOL_AUTH)
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: a password is hashed on the auth pool (pool = CRM_POOL_AUTH)",
				   name);
	if (r->as_auth && r->pool != CRM_POOL_AUTH)
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: only auth workers have a crm_auth connection", name);
	probe.request_case = r->which;
	if ((r->effect == CRM_MUTATES) != crm_wire_request_mutates(&probe))
		return crm_err_set(err, CRM_INTERNAL, d->name,
				   "%s: effect %s but crm_wire_request_mutates (which the client "
				   "reads) says %s", name,
				   r->effect == CRM_MUTATES ? "CRM_MUTATES" : "not CRM_MUTATES",
				   crm_wire_request_mutates(&probe) ? "it mutates" : "it does not");
	return true;
}

bool crm_routes_build(const crm_domain *const *ds, size_t nd, crm_err *err) {
	const ProtobufCMessageDescriptor *cf = &crm__client_frame__descriptor;
	const crm_route **idx;
	size_t n = 0;

	for (unsigned i = 0; i < cf->n_fields; i++)
		if (cf->fields[i].id + 1 > n)
			n = cf->fields[i].id + 1;
	idx = calloc(n, sizeof(*idx));
	if (idx == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory at start-up");
	for (size_t i = 0; i < nd; i++) {
		for (size_t j = 0; j < ds[i]->n_routes; j++) {
			const crm_route *r = &ds[i]->routes[j];

			if (!check_route(ds[i], r, err))
				goto fail;
			if (idx[r->which]) {
				crm_err_set(err, CRM_INTERNAL, ds[i]->name,
					    "a second descriptor for %s", request_field(r->which)->name);
				goto fail;
			}
			idx[r->which] = r;
		}
		if (ds[i]->self_check && !ds[i]->self_check(err))
			goto fail;
	}
	for (unsigned i = 0; i < cf->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = request_field(cf->fields[i].id);

		if (fd && !is_io_only(fd->id) && idx[fd->id] == NULL) {
			crm_err_set(err, CRM_INTERNAL, NULL,
				    "request %s (ClientFrame field %u) has no descriptor in any domain",
				    fd->name, fd->id);
			goto fail;
		}
	}
	free(by_case);
	by_case = idx;
	n_cases = n;
	return true;
fail:
	free(idx);
	return false;
}

bool crm_routes_init(crm_err *err) {
	const size_t n = sizeof(domains) / sizeof(domains[0]);

	if (!crm_routes_build(domains, n, err))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!crm_db_register(domains[i]->stmts, domains[i]->n_stmts, err))
			return false;
	return true;
}

const crm_route *crm_route_find(Crm__ClientFrame__RequestCase which) {
	return (size_t)which < n_cases ? by_case[which] : NULL;
}

bool crm_route_check(const crm_route *r, const Crm__ClientFrame *f, crm_err *err) {
	return r->type_of == NULL || r->type_of(f, err) != NULL;
}

const char *crm_route_record_type(const crm_route *r, const Crm__ClientFrame *f) {
	crm_err scratch;
	const char *t;

	if (r->type_of == NULL)
		return r->record_type;
	crm_err_clear(&scratch);
	t = r->type_of(f, &scratch);
	/* crm_route_check refused such a request already; should one get
	 * here, a name no permission exists for still refuses it. */
	return t ? t : "unknown";
}

const char *crm_route_action(const crm_route *r, const Crm__ClientFrame *f) {
	if (r->session_only)
		return "check";
	return r->action_of ? r->action_of(f) : r->action;
}

const ProtobufCMessage *crm_route_request(const Crm__ClientFrame *f, const char **name) {
	const ProtobufCFieldDescriptor *fd = request_field((unsigned)f->request_case);

	if (fd == NULL)
		return NULL;
	if (name)
		*name = fd->name;
	return *(const ProtobufCMessage *const *)((const char *)f + fd->offset);
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
		  unsigned body_case, const char *nf_field, const char *nf_id, crm_err *err) {
	if (PQntuples(r) == 0)
		return crm_err_setid(err, CRM_NOT_FOUND, nf_field, nf_id, NULL);
	crm_hctx_body(h, body_case, crm_rowmap_new(h->arena, d, r, 0));
	return true;
}

bool crm_hctx_one(crm_hctx *h, crm_stmt stmt, int n, const char *const *p,
		  const ProtobufCMessageDescriptor *d, unsigned body_case, bool last,
		  const char *nf_field, const char *nf_id, crm_err *err) {
	PGresult *r = crm_db_exec(h->db, stmt, n, p, NULL, NULL, last, err);
	bool ok;

	if (r == NULL)
		return false;
	ok = crm_hctx_row(h, r, d, body_case, nf_field, nf_id, err);
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
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail",
				     crm_arena_printf(h->arena, "list row without %s", key_col), NULL);
	key = PQgetvalue(r, row, col);
	if (strlen(key) > CRM_CURSOR_KEY_MAX)
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail",
				     crm_arena_printf(h->arena, "%s too long for a cursor", key_col), NULL);
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
