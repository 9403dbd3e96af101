/* identity: resuming a session, whoami, logout, and the user, team, role,
 * permission, session and audit requests. Login and password change run
 * as multi-step flows in worker.c (hashing stays outside transactions);
 * their descriptors are here with the others. */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "rowmap.h"

/* This domain's statements, prepared on every connection (registered by
 * crm_routes_init through crm_db_register). */
enum {
	Q_USER_OUT_OF,
	Q_RESUME,
	Q_WHOAMI,
	Q_USER_GET,
	Q_USER_LIST,
	Q_USER_CREATE,
	Q_USER_UPDATE,
	Q_USER_SET_ACTIVE,
	Q_TEAM_CREATE,
	Q_TEAM_GET,
	Q_TEAM_LIST,
	Q_TEAM_UPDATE,
	Q_ROLE_LIST,
	Q_ROLE_GET,
	Q_PERMISSION_LIST,
	Q_PERMISSION_SET,
	Q_SESSION_LIST,
	Q_SESSION_REVOKE,
	Q_AUDIT_LIST,
	Q_TEAM_DELETE,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_USER_OUT_OF] = {"user_out_of", "SELECT * FROM crm.user_out_of($1)"},
	[Q_RESUME] = {"resume",
		      "SELECT u.*, s.session_id AS resume_session_id,"
		      " s.expires_at AS resume_expires_at"
		      " FROM crm.session_out s JOIN crm.user_out u ON u.user_id = s.user_id"
		      " WHERE s.current"},
	[Q_WHOAMI] = {"whoami",
		      "SELECT * FROM crm.user_out WHERE user_id = crm.acting_user()"},
	[Q_USER_GET] = {"user_get", "SELECT * FROM crm.user_out WHERE username = lower($1)"},
	[Q_USER_LIST] = {"user_list",
			 "SELECT * FROM crm.user_out"
			 " WHERE ($1::text IS NULL OR team_id = crm.team_id_of($1, 'team'))"
			 " AND ($2::text IS NULL OR role = $2) AND (active OR $3::boolean)"
			 " AND ($4::text IS NULL OR username > $4)"
			 " ORDER BY username LIMIT $5::integer + 1"},
	[Q_USER_CREATE] = {"user_create",
			   "SELECT * FROM crm.user_create($1, $2, $3, $4, $5, $6, $7, $8)"},
	[Q_USER_UPDATE] = {"user_update",
			   "SELECT * FROM crm.user_update($1, $2, $3, $4, $5, $6, $7,"
			   " $8::text[], $9::text[])"},
	[Q_USER_SET_ACTIVE] = {"user_set_active",
			       "SELECT * FROM crm.user_set_active($1, $2::boolean)"},
	[Q_TEAM_CREATE] = {"team_create", "SELECT * FROM crm.team_create($1, $2)"},
	[Q_TEAM_GET] = {"team_get", "SELECT * FROM crm.team_out WHERE lower(name) = lower($1)"},
	[Q_TEAM_LIST] = {"team_list", "SELECT * FROM crm.team_out ORDER BY path"},
	[Q_TEAM_UPDATE] = {"team_update",
			   "SELECT * FROM crm.team_update($1, $2, $3, $4::text[])"},
	[Q_ROLE_LIST] = {"role_list", "SELECT * FROM crm.role_out ORDER BY name"},
	[Q_ROLE_GET] = {"role_get", "SELECT * FROM crm.role_out WHERE name = $1"},
	[Q_PERMISSION_LIST] = {"permission_list",
			       "SELECT * FROM crm.permission_list($1, $2)"},
	[Q_PERMISSION_SET] = {"permission_set",
			      "SELECT * FROM crm.permission_set($1, $2, $3, $4)"},
	[Q_SESSION_LIST] = {"session_list",
			    "SELECT * FROM crm.session_list($1, $2::boolean)"},
	[Q_SESSION_REVOKE] = {"session_revoke",
			      "SELECT * FROM crm.session_revoke($1::bigint)"},
	[Q_AUDIT_LIST] = {"audit_list",
			  "SELECT * FROM crm.audit_list($1, $2::bigint, $3, $4::bigint, $5::bigint,"
			  " $6::bigint, $7::integer)"},
	[Q_TEAM_DELETE] = {"team_delete", "SELECT crm.team_delete($1::text)"},
};
#define STMT(x) (&stmts[Q_##x])

#define BODY(x) CRM__RESPONSE__BODY_##x

/* Resume: crm.begin_request has already checked the token (the worker
 * uses the request's token for this one); one statement reads the user and
 * the session, so a reconnect costs one round trip. */
static bool resume_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params, crm_err *err) {
	(void)h, (void)params, (void)err;
	*stmt = STMT(RESUME);
	*n = 0;
	return true;
}

static bool resume_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	Crm__LoginReply *lr = crm_arena_alloc(h->arena, sizeof(*lr));

	if (PQntuples(r) != 1)
		return crm_err_setid(err, CRM_UNAUTHENTICATED, NULL, "auth.session_gone", NULL);
	crm__login_reply__init(lr);
	lr->user = crm_rowmap_new(h->arena, &crm__user__descriptor, r, 0);
	lr->has_session_id = lr->has_expires_at = lr->has_max_frame = true;
	lr->session_id = (uint64_t)strtoll(PQgetvalue(r, 0, PQfnumber(r, "resume_session_id")), NULL, 10);
	lr->expires_at = strtoll(PQgetvalue(r, 0, PQfnumber(r, "resume_expires_at")), NULL, 10);
	lr->max_frame = h->cfg->max_frame;
	h->new_token.len = (uint8_t)h->req->resume->token.len; /* 1..128: crm_wire checked */
	memcpy(h->new_token.data, h->req->resume->token.data, h->new_token.len);
	h->sets_session = true;
	crm_hctx_body(h, BODY(LOGIN), lr);
	return true;
}

static const crm_single resume = {resume_prep, resume_finish};

static bool whoami_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params, crm_err *err) {
	(void)h, (void)params, (void)err;
	*stmt = STMT(WHOAMI);
	*n = 0;
	return true;
}

static bool whoami_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return crm_hctx_row(h, r, &crm__user__descriptor, BODY(USER), NULL, "request.session_user_missing",
			    err);
}

static const crm_single whoami = {whoami_prep, whoami_finish};

static bool handle_logout(crm_hctx *h, crm_err *err) {
	PGresult *r;

	if (!crm_db_prologue(h->db, err))
		return false;
	const char *p[] = {crm_hctx_i64(h, h->db->session.session_id)};
	r = crm_db_exec(h->db, STMT(SESSION_REVOKE), 1, p, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	PQclear(r);
	h->clears_session = true;
	crm_hctx_body(h, BODY(EMPTY), crm_arena_alloc(h->arena, sizeof(Crm__Empty)));
	crm__empty__init(h->resp->empty);
	return true;
}

/* ------------------------------------------------------------ users */

static bool handle_user_create(crm_hctx *h, crm_err *err) {
	const Crm__UserCreate *q = h->req->user_create;
	const char *p[] = {crm_hctx_text(h, &q->username, q->has_username),
			   crm_hctx_text(h, &q->display_name, q->has_display_name),
			   crm_hctx_text(h, &q->email, q->has_email),
			   crm_hctx_text(h, &q->time_zone, q->has_time_zone),
			   crm_hctx_text(h, &q->locale, q->has_locale),
			   crm_hctx_text(h, &q->role, q->has_role),
			   crm_hctx_text(h, &q->team, q->has_team),
			   h->password_hash};

	return crm_hctx_one(h, STMT(USER_CREATE), 8, p, &crm__user__descriptor, BODY(USER), true,
			    "username", "request.user_not_created", err);
}

static bool user_get_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			  crm_err *err) {
	const Crm__UserGet *q = h->req->user_get;

	(void)err;
	*stmt = STMT(USER_GET);
	*n = 1;
	params[0] = crm_hctx_text(h, &q->username, q->has_username);
	return true;
}

static bool user_get_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return crm_hctx_row(h, r, &crm__user__descriptor, BODY(USER), "username", "request.no_such_user",
			    err);
}

static const crm_single user_get = {user_get_prep, user_get_finish};

static bool handle_user_list(crm_hctx *h, crm_err *err) {
	const Crm__UserList *q = h->req->user_list;
	const char *team = crm_hctx_text(h, &q->team, q->has_team);
	const char *role = crm_hctx_text(h, &q->role, q->has_role);
	const char *filters = crm_arena_printf(h->arena, "users|%s|%s|%d", team ? team : "",
					       role ? role : "", q->include_inactive);
	const char *key;
	uint32_t limit;

	if (!crm_db_prologue(h->db, err) ||
	    !crm_hctx_page(h, q->page, "user_list.page.cursor", filters, &limit, &key, err))
		return false;
	const char *p[] = {team, role, q->include_inactive ? "true" : "false", key,
			   crm_hctx_i64(h, limit)};
	return crm_hctx_list(h, STMT(USER_LIST), 5, p, &crm__user_list_reply__descriptor,
			     BODY(USER_LIST), filters, limit, "username", err);
}

static bool handle_user_update(crm_hctx *h, crm_err *err) {
	const Crm__UserUpdate *q = h->req->user_update;
	const char *p[] = {crm_hctx_text(h, &q->username, q->has_username),
			   crm_hctx_text(h, &q->display_name, q->has_display_name),
			   crm_hctx_text(h, &q->email, q->has_email),
			   crm_hctx_text(h, &q->time_zone, q->has_time_zone),
			   crm_hctx_text(h, &q->locale, q->has_locale),
			   crm_hctx_text(h, &q->role, q->has_role),
			   crm_hctx_text(h, &q->team, q->has_team),
			   crm_hctx_array(h, NULL, q->manages, q->n_manages),
			   crm_hctx_array(h, q->clear, NULL, q->n_clear)};

	return crm_hctx_one(h, STMT(USER_UPDATE), 9, p, &crm__user__descriptor, BODY(USER), true,
			    "username", "request.no_such_user", err);
}

static bool handle_user_set_active(crm_hctx *h, crm_err *err) {
	const Crm__UserSetActive *q = h->req->user_set_active;
	const char *p[] = {crm_hctx_text(h, &q->username, q->has_username),
			   q->active ? "true" : "false"};

	return crm_hctx_one(h, STMT(USER_SET_ACTIVE), 2, p, &crm__user__descriptor, BODY(USER),
			    true, "username", "request.no_such_user", err);
}

static bool handle_user_reset_password(crm_hctx *h, crm_err *err) {
	const Crm__UserResetPassword *q = h->req->user_reset_password;
	const char *name = crm_hctx_text(h, &q->username, q->has_username);
	const char *p[] = {name, h->password_hash, "password_reset"};
	PGresult *r = crm_db_exec(h->db, CRM_STMT(PASSWORD_SET), 3, p, NULL, NULL, false, err);

	if (r == NULL)
		return false;
	PQclear(r);
	/* Runs as crm_auth (worker.c job_db), which reads users only so. */
	return crm_hctx_one(h, STMT(USER_OUT_OF), 1, p, &crm__user__descriptor, BODY(USER), true,
			    "username", "request.no_such_user", err);
}

/* ------------------------------------------------------------ teams */

static bool handle_team_create(crm_hctx *h, crm_err *err) {
	const Crm__TeamCreate *q = h->req->team_create;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->parent, q->has_parent)};

	return crm_hctx_one(h, STMT(TEAM_CREATE), 2, p, &crm__team__descriptor, BODY(TEAM), true,
			    "name", "request.team_not_created", err);
}

static bool team_get_prep(crm_hctx *h, crm_stmt *stmt, int *n, const char **params,
			  crm_err *err) {
	const Crm__TeamGet *q = h->req->team_get;

	(void)err;
	*stmt = STMT(TEAM_GET);
	*n = 1;
	params[0] = crm_hctx_text(h, &q->name, q->has_name);
	return true;
}

static bool team_get_finish(crm_hctx *h, PGresult *r, crm_err *err) {
	return crm_hctx_row(h, r, &crm__team__descriptor, BODY(TEAM), "name", "request.no_such_team", err);
}

static const crm_single team_get = {team_get_prep, team_get_finish};

static bool handle_team_list(crm_hctx *h, crm_err *err) {
	return crm_hctx_list(h, STMT(TEAM_LIST), 0, NULL, &crm__team_list_reply__descriptor,
			     BODY(TEAM_LIST), "", UINT32_MAX, NULL, err);
}

static bool handle_team_update(crm_hctx *h, crm_err *err) {
	const Crm__TeamUpdate *q = h->req->team_update;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name),
			   crm_hctx_text(h, &q->new_name, q->has_new_name),
			   crm_hctx_text(h, &q->parent, q->has_parent),
			   crm_hctx_array(h, q->clear, NULL, q->n_clear)};

	return crm_hctx_one(h, STMT(TEAM_UPDATE), 4, p, &crm__team__descriptor, BODY(TEAM), true,
			    "name", "request.no_such_team", err);
}

static bool handle_team_delete(crm_hctx *h, crm_err *err) {
	const Crm__TeamDelete *q = h->req->team_delete;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name)};
	PGresult *r = crm_db_exec(h->db, STMT(TEAM_DELETE), 1, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	PQclear(r);
	crm_hctx_body(h, BODY(EMPTY), crm_arena_alloc(h->arena, sizeof(Crm__Empty)));
	crm__empty__init(h->resp->empty);
	return true;
}

/* ------------------------------------------------------ roles, matrix */

static bool handle_role_list(crm_hctx *h, crm_err *err) {
	return crm_hctx_list(h, STMT(ROLE_LIST), 0, NULL, &crm__role_list_reply__descriptor,
			     BODY(ROLE_LIST), "", UINT32_MAX, NULL, err);
}

static bool handle_role_get(crm_hctx *h, crm_err *err) {
	const Crm__RoleGet *q = h->req->role_get;
	const char *p[] = {crm_hctx_text(h, &q->name, q->has_name), NULL};
	PGresult *r = crm_db_exec(h->db, STMT(ROLE_GET), 1, p, NULL, NULL, false, err);
	Crm__Role *role;

	if (r == NULL)
		return false;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return crm_err_setid(err, CRM_NOT_FOUND, "name", "request.no_such_role", NULL);
	}
	role = crm_rowmap_new(h->arena, &crm__role__descriptor, r, 0);
	PQclear(r);
	r = crm_db_exec(h->db, STMT(PERMISSION_LIST), 2, p, NULL, NULL, true, err);
	if (r == NULL)
		return false;
	role->n_permissions = crm_rowmap_all(h->arena, &crm__permission__descriptor, r,
					     (void ***)&role->permissions);
	PQclear(r);
	crm_hctx_body(h, BODY(ROLE), role);
	return true;
}

static bool handle_permission_list(crm_hctx *h, crm_err *err) {
	const Crm__PermissionList *q = h->req->permission_list;
	const char *p[] = {crm_hctx_text(h, &q->role, q->has_role),
			   crm_hctx_text(h, &q->record_type, q->has_record_type)};

	return crm_hctx_list(h, STMT(PERMISSION_LIST), 2, p,
			     &crm__permission_list_reply__descriptor, BODY(PERMISSION_LIST), "",
			     UINT32_MAX, NULL, err);
}

static const char *enum_text(crm_hctx *h, const ProtobufCEnumDescriptor *d, int v) {
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	char *s = crm_arena_strdup(h->arena, ev ? ev->name : "");

	for (char *c = s; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	return s;
}

static bool handle_permission_set(crm_hctx *h, crm_err *err) {
	const Crm__PermissionSet *q = h->req->permission_set;
	const char *p[] = {crm_hctx_text(h, &q->role, q->has_role),
			   crm_hctx_text(h, &q->record_type, q->has_record_type),
			   enum_text(h, &crm__action__descriptor, q->action),
			   enum_text(h, &crm__scope__descriptor, q->scope)};

	return crm_hctx_one(h, STMT(PERMISSION_SET), 4, p, &crm__permission__descriptor,
			    BODY(PERMISSION), true, "role", "request.permission_not_set", err);
}

/* ------------------------------------------------------ sessions, audit */

static bool handle_session_list(crm_hctx *h, crm_err *err) {
	const Crm__SessionList *q = h->req->session_list;
	const char *p[] = {crm_hctx_text(h, &q->username, q->has_username), q->all ? "true" : "false"};

	return crm_hctx_list(h, STMT(SESSION_LIST), 2, p, &crm__session_list_reply__descriptor,
			     BODY(SESSION_LIST), "", UINT32_MAX, NULL, err);
}

static bool handle_session_revoke(crm_hctx *h, crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, h->req->session_revoke->session_id)};
	PGresult *r = crm_db_exec(h->db, STMT(SESSION_REVOKE), 1, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	PQclear(r);
	crm_hctx_body(h, BODY(EMPTY), crm_arena_alloc(h->arena, sizeof(Crm__Empty)));
	crm__empty__init(h->resp->empty);
	return true;
}

/* An instant filter the database can represent: 0001-01-01 to 9999-12-31. */
static bool instant_in_range(bool has, int64_t us, const char *field, crm_err *err) {
	const int64_t lo = -62135596800LL * 1000000, hi = 253402300799LL * 1000000;

	if (!has || (us >= lo && us <= hi))
		return true;
	return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "request.instant_range",
			     strrchr(field, '.') + 1, NULL);
}

static bool handle_audit_list(crm_hctx *h, crm_err *err) {
	const Crm__AuditList *q = h->req->audit_list;
	const char *type = crm_hctx_text(h, &q->record_type, q->has_record_type);
	const char *user = crm_hctx_text(h, &q->username, q->has_username);
	const char *id = q->has_record_id ? crm_hctx_i64(h, q->record_id) : NULL;
	const char *since = q->has_since ? crm_hctx_i64(h, q->since) : NULL;
	const char *until = q->has_until ? crm_hctx_i64(h, q->until) : NULL;
	const char *filters = crm_arena_printf(h->arena, "audit|%s|%s|%s|%s|%s", type ? type : "",
					       id ? id : "", user ? user : "", since ? since : "",
					       until ? until : "");
	const char *key;
	uint32_t limit;

	if (!instant_in_range(q->has_since, q->since, "audit_list.since", err) ||
	    !instant_in_range(q->has_until, q->until, "audit_list.until", err) ||
	    !crm_hctx_page(h, q->page, "audit_list.page.cursor", filters, &limit, &key, err))
		return false;
	const char *p[] = {type, id, user, since, until, key, crm_hctx_i64(h, limit)};
	return crm_hctx_list(h, STMT(AUDIT_LIST), 7, p, &crm__audit_list_reply__descriptor,
			     BODY(AUDIT_LIST), filters, limit, "audit_id", err);
}

/* ------------------------------------------------------------ descriptors */

/* Passwords set by a request are hashed on the auth pool, after the
 * access check and before the transaction (worker.c). */
static bool user_create_password(const Crm__ClientFrame *f, crm_new_password *out) {
	const Crm__UserCreate *q = f->user_create;

	if (!q->has_password)
		return false;
	out->password = &q->password;
	out->username = &q->username;
	out->field = "user_create.password";
	return true;
}

static bool reset_password(const Crm__ClientFrame *f, crm_new_password *out) {
	const Crm__UserResetPassword *q = f->user_reset_password;

	out->password = &q->new_password;
	out->username = &q->username;
	out->field = "user_reset_password.new_password";
	return true;
}

/* Resume runs under the token it carries, not the connection's. */
static const ProtobufCBinaryData *resume_token(const Crm__ClientFrame *f) {
	return &f->resume->token;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c
#define AUTH CRM_POOL_AUTH

static const crm_route routes[] = {
	/* sessions */
	{.which = R(LOGIN), .flow = CRM_FLOW_LOGIN, .anonymous = true, .pool = AUTH,
	 .effect = CRM_WRITES},
	{.which = R(RESUME), .single = &resume, .anonymous = true, .token_of = resume_token},
	{.which = R(LOGOUT), .fn = handle_logout, .effect = CRM_WRITES},
	{.which = R(WHOAMI), .single = &whoami},
	{.which = R(PASSWORD_CHANGE), .flow = CRM_FLOW_PASSWORD_CHANGE, .pool = AUTH,
	 .effect = CRM_WRITES},
	/* users */
	{.which = R(USER_CREATE), .fn = handle_user_create, .record_type = "user",
	 .action = "create", .pool = AUTH, .new_password = user_create_password,
	 .effect = CRM_MUTATES},
	{.which = R(USER_GET), .single = &user_get, .record_type = "user", .action = "read"},
	{.which = R(USER_LIST), .fn = handle_user_list, .record_type = "user", .action = "read"},
	{.which = R(USER_UPDATE), .fn = handle_user_update, .record_type = "user",
	 .action = "update", .effect = CRM_MUTATES},
	{.which = R(USER_SET_ACTIVE), .fn = handle_user_set_active, .record_type = "user",
	 .action = "update", .effect = CRM_MUTATES},
	/* only crm_auth may set a password: runs on the auth connection */
	{.which = R(USER_RESET_PASSWORD), .fn = handle_user_reset_password,
	 .record_type = "user", .action = "admin", .pool = AUTH, .as_auth = true,
	 .new_password = reset_password, .effect = CRM_WRITES},
	/* teams */
	{.which = R(TEAM_CREATE), .fn = handle_team_create, .record_type = "team",
	 .action = "create", .effect = CRM_MUTATES},
	{.which = R(TEAM_GET), .single = &team_get, .record_type = "team", .action = "read"},
	{.which = R(TEAM_LIST), .fn = handle_team_list, .record_type = "team", .action = "read"},
	{.which = R(TEAM_UPDATE), .fn = handle_team_update, .record_type = "team",
	 .action = "update", .effect = CRM_MUTATES},
	{.which = R(TEAM_DELETE), .fn = handle_team_delete, .record_type = "team",
	 .action = "delete", .effect = CRM_WRITES},
	/* roles and the permission matrix */
	{.which = R(ROLE_LIST), .fn = handle_role_list, .record_type = "permission",
	 .action = "read"},
	{.which = R(ROLE_GET), .fn = handle_role_get, .record_type = "permission",
	 .action = "read"},
	{.which = R(PERMISSION_LIST), .fn = handle_permission_list,
	 .record_type = "permission", .action = "read"},
	{.which = R(PERMISSION_SET), .fn = handle_permission_set,
	 .record_type = "permission", .action = "update", .effect = CRM_MUTATES},
	/* sessions of others, audit */
	{.which = R(SESSION_LIST), .fn = handle_session_list, .record_type = "session",
	 .action = "read"},
	{.which = R(SESSION_REVOKE), .fn = handle_session_revoke, .record_type = "session",
	 .action = "delete", .effect = CRM_WRITES},
	{.which = R(AUDIT_LIST), .fn = handle_audit_list, .record_type = "audit",
	 .action = "read"},
};

const crm_domain crm_domain_identity = {
	.name = "identity",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
