/* db: see db.h. */
#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"

#define BACKOFF_MIN_US 100000
#define BACKOFF_MAX_US 5000000

/* The server's own statements (sessions, logins, passwords, idempotency
 * keys); the handlers' are in their domains' files (crm_db_register). */
const crm_sql crm_core_stmts[CRM_CORE__COUNT] = {
	[CRM_CORE_SETUP] = {"setup",
			    "SELECT user_id, username, role, session_id, scope"
			    " FROM crm.begin_request($1::bytea, $2, $3, $4, $5, $6)"},
	[CRM_CORE_LOGIN_PRECHECK] = {"login_precheck",
				     "SELECT user_id, password_hash, wait_seconds, reason"
				     " FROM crm.login_precheck($1, $2, $3::integer)"},
	[CRM_CORE_LOGIN_FINISH] = {"login_finish",
				   "SELECT session_id, crm.us(expires_at) AS expires_at, wait_seconds, capped"
				   " FROM crm.login_finish($1, $2, $3::bigint, $4::boolean, $5::bytea, $6,"
				   " $7::interval, $8::interval, $9::integer, $10::integer, $11::interval,"
				   " $12::integer)"},
	[CRM_CORE_SESSION_OPEN] = {"session_open",
				   "SELECT session_id, crm.us(expires_at) AS expires_at"
				   " FROM crm.session_open($1::bytea, $2, $3::interval, $4::interval)"},
	[CRM_CORE_OWN_PASSWORD_HASH] = {"own_password_hash", "SELECT crm.own_password_hash()"},
	[CRM_CORE_PASSWORD_SET] = {"password_set", "SELECT crm.password_set($1, $2, $3)"},
	[CRM_CORE_SESSION_USER] = {"session_user", "SELECT * FROM crm.session_user_out()"},
	[CRM_CORE_IDEM_CLAIM] = {"idem_claim",
				 "INSERT INTO crm.idempotency_keys AS k"
				 " (principal, key, request_type, request_hash)"
				 " VALUES (coalesce(crm.acting_user()::text, $1), $2, $3, $4)"
				 " ON CONFLICT (principal, key) DO UPDATE"
				 " SET request_type = EXCLUDED.request_type,"
				 "  request_hash = EXCLUDED.request_hash, response = NULL,"
				 "  created_at = now()"
				 " WHERE k.created_at < now() - interval '24 hours'"
				 " RETURNING 1"},
	[CRM_CORE_IDEM_GET] = {"idem_get",
			       "SELECT request_type, request_hash, response"
			       " FROM crm.idempotency_keys"
			       " WHERE principal = coalesce(crm.acting_user()::text, $1) AND key = $2"},
	[CRM_CORE_IDEM_STORE] = {"idem_store",
				 "UPDATE crm.idempotency_keys SET response = $3"
				 " WHERE principal = coalesce(crm.acting_user()::text, $1) AND key = $2"},
	[CRM_CORE_IDEM_PURGE] = {"idem_purge", "SELECT crm.idempotency_purge()"},
	[CRM_CORE_EVENTS_READ] = {"events_read",
				  "SELECT xid::text, seq, at, 'RECORD_TYPE_' || upper(record_type),"
				  " record_id, version, kind"
				  " FROM crm.events_read($1::xid8, $2::bigint, $3::integer)"},
	[CRM_CORE_JOBS_RUN] = {"jobs_run", "SELECT crm.jobs_run($1::integer)"},
};

static int64_t mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

crm_status crm_db_translate(const char *s) {
	static const struct {
		const char *state;
		crm_status code;
	} ours[] = {
		/* raised by our own SQL (sql/0002_identity.sql) */
		{"CRA01", CRM_UNAUTHENTICATED}, {"CRP01", CRM_PERMISSION_DENIED},
		{"CRN01", CRM_NOT_FOUND},       {"CRI01", CRM_INVALID_ARGUMENT},
		{"CRF01", CRM_FAILED_PRECONDITION}, {"CRC01", CRM_CONFLICT},
		{"CRE01", CRM_ALREADY_EXISTS},  {"CRR01", CRM_RESOURCE_EXHAUSTED},
	};

	if (s == NULL || s[0] == '\0')
		return CRM_UNAVAILABLE; /* no SQLSTATE: the connection failed */
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strcmp(s, ours[i].state) == 0)
			return ours[i].code;
	if (strcmp(s, "23505") == 0)
		return CRM_ALREADY_EXISTS;
	if (strcmp(s, "23503") == 0)
		return CRM_NOT_FOUND; /* reveals nothing about the target */
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return CRM_INVALID_ARGUMENT;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
		return CRM_UNAVAILABLE; /* retried first, see crm_db_retryable */
	if (strcmp(s, "57014") == 0)
		return CRM_DEADLINE_EXCEEDED;
	if (strcmp(s, "42501") == 0) /* incl. a row-level security WITH CHECK failure */
		return CRM_PERMISSION_DENIED;
	if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0)
		return CRM_UNAVAILABLE;
	if (strncmp(s, "53", 2) == 0)
		return CRM_RESOURCE_EXHAUSTED;
	return CRM_INTERNAL;
}

bool crm_db_retryable(const crm_db *db) {
	return strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0;
}

void crm_db_init(crm_db *db, const char *dsn, int index) {
	memset(db, 0, sizeof(*db));
	pthread_mutex_init(&db->cancel_lock, NULL);
	snprintf(db->dsn, sizeof(db->dsn), "%s", dsn);
	db->index = index;
	db->backoff = BACKOFF_MIN_US;
}

static void db_drop(crm_db *db) {
	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		PQfreeCancel(db->cancel);
	db->cancel = NULL;
	pthread_mutex_unlock(&db->cancel_lock);
	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->pending = 0;
	db->syncs = 0;
	db->in_tx = false;
}

void crm_db_fini(crm_db *db) {
	db_drop(db);
	pthread_mutex_destroy(&db->cancel_lock);
}

void crm_db_cancel(crm_db *db) {
	char buf[256];

	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		(void)PQcancel(db->cancel, buf, sizeof(buf));
	pthread_mutex_unlock(&db->cancel_lock);
}

/* The first line of libpq's error message (thread-safe; no strtok). */
static const char *first_line(const char *msg, char *buf, size_t size) {
	size_t n = strcspn(msg, "\n");

	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), msg);
	return buf;
}

/* The statements registered besides crm_core_stmts: written at start-up,
 * before any worker connects; read by the workers after. */
#define GROUPS_MAX 32
static struct {
	const crm_sql *stmts;
	size_t n;
} groups[GROUPS_MAX];
static size_t n_groups;

static bool name_taken(const crm_sql *stmts, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (stmts[i].name && strcmp(stmts[i].name, name) == 0)
			return true;
	return false;
}

bool crm_db_register(const crm_sql *stmts, size_t n, crm_err *err) {
	for (size_t g = 0; g < n_groups; g++)
		if (groups[g].stmts == stmts)
			return true;
	if (n_groups == GROUPS_MAX)
		return crm_err_set(err, CRM_INTERNAL, NULL, "too many statement groups");
	for (size_t i = 0; i < n; i++) {
		bool taken;

		if (stmts[i].name == NULL || stmts[i].sql == NULL)
			return crm_err_set(err, CRM_INTERNAL, NULL,
					   "statement %zu of a group (after %s) has no %s", i,
					   i ? stmts[i - 1].name : "none", stmts[i].name ? "SQL" : "name");
		taken = name_taken(crm_core_stmts, CRM_CORE__COUNT, stmts[i].name) ||
			name_taken(stmts, i, stmts[i].name);
		for (size_t g = 0; g < n_groups && !taken; g++)
			taken = name_taken(groups[g].stmts, groups[g].n, stmts[i].name);
		if (taken)
			return crm_err_set(err, CRM_INTERNAL, NULL,
					   "two statements are named %s", stmts[i].name);
	}
	groups[n_groups].stmts = stmts;
	groups[n_groups++].n = n;
	return true;
}

static bool prepare(crm_db *db, const crm_sql *s) {
	PGresult *r = PQprepare(db->conn, s->name, s->sql, 0, NULL);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		log_error("db worker %d: cannot prepare %s: %s", db->index, s->name,
			  PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

static bool prepare_all(crm_db *db) {
	for (int i = 0; i < CRM_CORE__COUNT; i++)
		if (!prepare(db, &crm_core_stmts[i]))
			return false;
	for (size_t g = 0; g < n_groups; g++)
		for (size_t i = 0; i < groups[g].n; i++)
			if (!prepare(db, &groups[g].stmts[i]))
				return false;
	return true;
}

/*
 * plan_cache_mode: every statement crmd runs (and every static statement
 * inside the PL/pgSQL functions it calls) looks rows up by key under
 * row-level security, whose policies add dozens of init plans. PostgreSQL's
 * default re-plans such a statement on each execution (a custom plan costs
 * less than the generic one on paper), which made planning most of a
 * record get's time; the generic plan is as good for every one of them.
 * Lists build their SQL per request (EXECUTE), which this does not touch.
 *
 * jit off: a generic plan over row-level security is estimated far above
 * jit_above_cost (LIMITs over index ranges the planner cannot see end
 * early), so PostgreSQL would compile plans that then run in a millisecond:
 * tens to hundreds of milliseconds of compilation for nothing. crmd's
 * statements are all short lookups; set here, on crmd's own sessions, it
 * leaves the role's and the database's settings to the DBA's other users
 * (docs/operations.md).
 */
static bool db_connect(crm_db *db) {
	static const char *const keys[] = {"application_name", "connect_timeout", "keepalives_idle",
					   "keepalives_interval", "options", "dbname", NULL};
	const char *vals[] = {"crmd", "5", "10", "5",
			      "-c plan_cache_mode=force_generic_plan -c jit=off", db->dsn, NULL};

	char line[256];

	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and reason, never the password */
		log_warn("db worker %d: cannot connect: %s", db->index,
			 first_line(PQerrorMessage(db->conn), line, sizeof(line)));
		db_drop(db);
		return false;
	}
	if (!prepare_all(db) || PQenterPipelineMode(db->conn) != 1) {
		db_drop(db);
		return false;
	}
	pthread_mutex_lock(&db->cancel_lock);
	db->cancel = PQgetCancel(db->conn);
	pthread_mutex_unlock(&db->cancel_lock);
	log_info("db worker %d: connected", db->index);
	return true;
}

/*
 * Between transactions nothing is due from the server: whatever can be
 * read (the FATAL of a terminated session, or end of file) means the
 * session is over. One poll(2), no round trip.
 */
static bool idle_conn_alive(crm_db *db) {
	struct pollfd p = {.fd = PQsocket(db->conn), .events = POLLIN};

	if (PQstatus(db->conn) != CONNECTION_OK || p.fd < 0)
		return false;
	if (db->in_tx || db->pending > 0 || db->syncs > 0) {
		log_warn("db worker %d: connection left inside a transaction; reconnecting",
			 db->index);
		return false;
	}
	if (poll(&p, 1, 0) == 0)
		return true;
	log_info("db worker %d: the server closed the connection while idle; reconnecting",
		 db->index);
	return false;
}

bool crm_db_ensure(crm_db *db, crm_err *err) {
	int64_t now;

	db->lost = db->commit_sent = false; /* a new transaction starts */
	if (db->conn && idle_conn_alive(db))
		return true;
	db_drop(db);
	now = mono_us();
	if (now < db->next_attempt)
		return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "db.unavailable", NULL);
	if (db_connect(db)) {
		db->backoff = BACKOFF_MIN_US;
		db->next_attempt = 0;
		return true;
	}
	db->next_attempt = mono_us() + db->backoff;
	db->backoff = db->backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : db->backoff * 2;
	return crm_err_setid(err, CRM_UNAVAILABLE, NULL, "db.unavailable", NULL);
}

static void read_session(crm_db *db, const PGresult *r) {
	crm_db_session *s = &db->session;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return;
	s->valid = true;
	s->user_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(s->username, sizeof(s->username), "%s", PQgetvalue(r, 0, 1));
	snprintf(s->role, sizeof(s->role), "%s", PQgetvalue(r, 0, 2));
	s->session_id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	snprintf(s->scope, sizeof(s->scope), "%s", PQgetvalue(r, 0, 4));
}

/*
 * Check constraints are named <table>_<column>_<rule> (users_email_format,
 * notes_body_length): a violation names the column as the field.
 */
static bool constraint_field(const PGresult *r, char *out, size_t size) {
	const char *con = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	const char *tab = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
	size_t tl, len;
	const char *last;

	if (con == NULL || tab == NULL)
		return false;
	tl = strlen(tab);
	if (strncmp(con, tab, tl) != 0 || con[tl] != '_' || (last = strrchr(con, '_')) <= con + tl)
		return false;
	len = (size_t)(last - (con + tl + 1));
	if (len == 0 || len >= size)
		return false;
	memcpy(out, con + tl + 1, len);
	out[len] = '\0';
	return true;
}

/*
 * crm.raise (sql/modules/15_messages.sql) puts the message id and its
 * arguments in DETAIL as {"id": "...", "args": ["...", ...]}: attach them
 * to err beside the English text. This is the one place crmd reads them.
 * A CR error without them (raised some other way) keeps its text alone.
 */
static void sql_message_id(const PGresult *r, crm_err *err) {
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *args[CRM_ERR_ARGS_MAX];
	json_t *root, *id, *list;
	size_t n = 0;

	if (detail == NULL || detail[0] != '{' || (root = json_loads(detail, 0, NULL)) == NULL)
		return;
	id = json_object_get(root, "id");
	list = json_object_get(root, "args");
	if (json_is_string(id) && (list == NULL || json_is_array(list))) {
		for (; list && n < json_array_size(list) && n < CRM_ERR_ARGS_MAX; n++) {
			const json_t *a = json_array_get(list, n);

			args[n] = json_is_string(a) ? json_string_value(a) : "";
		}
		crm_err_attach_id(err, json_string_value(id), args, (unsigned)n);
	}
	json_decref(root);
}

/* Records a failed result in err and db->sqlstate. */
static void result_error(crm_db *db, const PGresult *r, crm_err *err) {
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char field[CRM_ERR_FIELD_MAX];
	crm_status code;

	if (PQstatus(db->conn) != CONNECTION_OK)
		state = NULL;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	code = crm_db_translate(state);
	/* no SQLSTATE, a connection exception, or the server ending the
	 * session (57P01-57P03): this connection is done for */
	if (state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
		db->lost = true;
	if (code == CRM_INTERNAL || code == CRM_UNAVAILABLE) {
		char msg[512];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		log_warn("db worker %d: %s%s%s", db->index, state ? state : "", state ? " " : "", msg);
	}
	switch (code) {
	case CRM_UNAVAILABLE:
		crm_err_setid(err, code, NULL,
			      state && strncmp(state, "40", 2) == 0 ? "db.busy" : "db.lost", NULL);
		break;
	case CRM_DEADLINE_EXCEEDED:
		crm_err_setid(err, code, NULL, "db.timeout", NULL);
		break;
	case CRM_INTERNAL:
		crm_err_setid(err, code, NULL, "db.internal", NULL);
		break;
	default:
		if (strncmp(state, "CR", 2) == 0) { /* our own message, written for users */
			crm_err_set(err, code, PQresultErrorField(r, PG_DIAG_COLUMN_NAME), "%s",
				    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
			sql_message_id(r, err);
			break;
		}
		/* PostgreSQL's own text may name tables and values of records the
		 * user cannot see: log it, tell the user only the kind. */
		log_info("db worker %d: %s %s", db->index, state,
			 PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		if (strcmp(state, "23514") == 0 && constraint_field(r, field, sizeof(field))) {
			crm_err_setid(err, code, field, "db.not_valid", NULL);
			break;
		}
		crm_err_setid(err, code, PQresultErrorField(r, PG_DIAG_COLUMN_NAME),
			      code == CRM_ALREADY_EXISTS      ? "db.exists"
			      : code == CRM_NOT_FOUND         ? "db.missing_reference"
			      : code == CRM_PERMISSION_DENIED ? "db.denied"
			      : code == CRM_RESOURCE_EXHAUSTED ? "db.out_of_resources"
							       : "db.bad_value",
			      NULL);
		break;
	}
}

static bool send_sync(crm_db *db) {
	if (PQpipelineSync(db->conn) != 1)
		return false;
	db->syncs++;
	return true;
}

/* Reads the next query's result (and the NULL that ends it). */
static PGresult *next_result(crm_db *db) {
	PGresult *r = PQgetResult(db->conn), *extra;

	if (r == NULL)
		return NULL;
	if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
		db->syncs--;
		return r;
	}
	while ((extra = PQgetResult(db->conn)) != NULL)
		PQclear(extra);
	return r;
}

/* Reads every pending result; returns false (err set) at the first that
 * failed. Expects `expect` as the status of the final one. */
static PGresult *drain_pending(crm_db *db, crm_err *err) {
	PGresult *r = NULL;
	bool failed = false;

	while (db->pending > 0) {
		PQclear(r);
		r = next_result(db);
		db->pending--;
		if (r == NULL) {
			failed = true;
			result_error(db, NULL, err);
			break;
		}
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_PIPELINE_SYNC:
			break;
		case PGRES_PIPELINE_ABORTED:
			failed = true;
			break;
		default:
			if (!failed)
				result_error(db, r, err);
			failed = true;
			break;
		}
	}
	if (failed) {
		PQclear(r);
		return NULL;
	}
	return r;
}

bool crm_db_begin(crm_db *db, const crm_db_ctx *ctx, crm_err *err) {
	char reqid[24], timeout[16];
	const char *params[6] = {ctx->token ? (const char *)ctx->token->data : NULL, reqid,
				 ctx->client_addr, timeout, ctx->record_type, ctx->action};
	const int lengths[6] = {ctx->token ? ctx->token->len : 0, 0, 0, 0, 0, 0};
	const int formats[6] = {1, 0, 0, 0, 0, 0};
	const char *begin = "BEGIN";

	snprintf(reqid, sizeof(reqid), "%llu", (unsigned long long)ctx->request_id);
	snprintf(timeout, sizeof(timeout), "%d", ctx->timeout_ms > 0 ? ctx->timeout_ms : 1);
	db->sqlstate[0] = '\0';
	db->lost = db->commit_sent = false;
	memset(&db->session, 0, sizeof(db->session));

	if (ctx->isolation && strcmp(ctx->isolation, "SERIALIZABLE") == 0)
		begin = "BEGIN ISOLATION LEVEL SERIALIZABLE";
	else if (ctx->isolation && strcmp(ctx->isolation, "REPEATABLE READ") == 0)
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ";
	if (PQsendQueryParams(db->conn, begin, 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQsendQueryPrepared(db->conn, CRM_STMT(SETUP)->name, 6, params, lengths, formats,
				0) != 1) {
		result_error(db, NULL, err);
		return false;
	}
	db->pending = 2;
	db->in_tx = true;
	db->expect_session = true;
	return true;
}

static PGresult *exec_stmt(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
			   const int *lengths, const int *formats, int result_format, bool last,
			   crm_err *err) {
	PGresult *r;
	int sent;

	last = last && !db->hold_commit;
	sent = PQsendQueryPrepared(db->conn, stmt->name, nparams, values, lengths, formats,
				   result_format);
	if (sent == 1 && last) {
		db->commit_sent = true;
		sent = PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
		       send_sync(db);
	} else if (sent == 1) {
		sent = PQsendFlushRequest(db->conn) == 1 && PQflush(db->conn) == 0;
	}
	if (sent != 1) {
		result_error(db, NULL, err);
		return NULL;
	}
	/* Everything queued before this statement must have succeeded. */
	r = drain_pending(db, err);
	if (crm_err_isset(err))
		return NULL;
	if (db->expect_session && r != NULL)
		read_session(db, r);
	db->expect_session = false;
	PQclear(r);
	db->pending = 1;
	r = drain_pending(db, err);
	if (r == NULL)
		return NULL;
	if (last) {
		db->pending = 2; /* COMMIT and the sync */
		PGresult *c = drain_pending(db, err);
		if (c == NULL) {
			PQclear(r);
			return NULL;
		}
		PQclear(c);
		db->in_tx = false;
	}
	return r;
}

PGresult *crm_db_exec(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
		      const int *lengths, const int *formats, bool last, crm_err *err) {
	return exec_stmt(db, stmt, nparams, values, lengths, formats, 0, last, err);
}

PGresult *crm_db_exec_binary(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
			     const int *lengths, const int *formats, bool last, crm_err *err) {
	return exec_stmt(db, stmt, nparams, values, lengths, formats, 1, last, err);
}

bool crm_db_prologue(crm_db *db, crm_err *err) {
	PGresult *r;

	if (!db->expect_session)
		return true;
	if (PQsendFlushRequest(db->conn) != 1 || PQflush(db->conn) != 0) {
		result_error(db, NULL, err);
		return false;
	}
	r = drain_pending(db, err);
	db->expect_session = false;
	if (r == NULL)
		return false;
	read_session(db, r);
	PQclear(r);
	return true;
}

bool crm_db_commit(crm_db *db, crm_err *err) {
	PGresult *r;

	if (!db->in_tx)
		return true;
	if (db->expect_session) { /* no statement ran: read the prologue first */
		if (!crm_db_prologue(db, err))
			return false;
	}

	db->commit_sent = true;
	if (PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    !send_sync(db)) {
		result_error(db, NULL, err);
		return false;
	}
	db->pending += 2;
	r = drain_pending(db, err);
	if (r == NULL)
		return false;
	PQclear(r);
	db->in_tx = false;
	return true;
}

/* Reads everything up to the last sync sent (sending one if none is
 * outstanding); false if the connection is unusable. */
static bool sync_and_drain(crm_db *db) {
	PGresult *r;
	int guard = 1000;

	if (db->syncs == 0 && !send_sync(db))
		return false;
	while (db->syncs > 0 && guard-- > 0) {
		r = PQgetResult(db->conn);
		if (r == NULL) {
			if (PQstatus(db->conn) != CONNECTION_OK)
				return false;
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
			db->syncs--;
		PQclear(r);
	}
	return db->syncs == 0;
}

void crm_db_rollback(crm_db *db) {
	bool ok;

	if (db->conn == NULL)
		return;
	ok = !db->lost && PQstatus(db->conn) == CONNECTION_OK && sync_and_drain(db);
	if (ok && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		ok = PQsendQueryParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
		     sync_and_drain(db);
	if (ok && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		ok = false;
	db->pending = 0;
	db->in_tx = false;
	if (!ok) {
		if (!db->lost)
			log_warn("db worker %d: connection not idle after rollback; reconnecting",
				 db->index);
		db_drop(db);
	}
}

/* ------------------------------------------------------------ batches */

bool crm_db_queue_tx(crm_db *db, const crm_db_ctx *ctx, crm_stmt stmt, int nparams,
		     const char *const *values, crm_err *err) {
	char reqid[24], timeout[16];
	const char *params[6] = {ctx->token ? (const char *)ctx->token->data : NULL, reqid,
				 ctx->client_addr, timeout, ctx->record_type, ctx->action};
	const int lengths[6] = {ctx->token ? ctx->token->len : 0, 0, 0, 0, 0, 0};
	const int formats[6] = {1, 0, 0, 0, 0, 0};

	snprintf(reqid, sizeof(reqid), "%llu", (unsigned long long)ctx->request_id);
	snprintf(timeout, sizeof(timeout), "%d", ctx->timeout_ms > 0 ? ctx->timeout_ms : 1);
	db->lost = false;
	db->commit_sent = true; /* the sync ends (commits) the implicit transaction */
	if (PQsendQueryPrepared(db->conn, CRM_STMT(SETUP)->name, 6, params, lengths, formats,
				0) != 1 ||
	    PQsendQueryPrepared(db->conn, stmt->name, nparams, values, NULL, NULL, 0) != 1 ||
	    !send_sync(db)) {
		result_error(db, NULL, err);
		return false;
	}
	return true;
}

bool crm_db_flush(crm_db *db, crm_err *err) {
	if (PQflush(db->conn) != 0) {
		result_error(db, NULL, err);
		return false;
	}
	return true;
}

PGresult *crm_db_read_tx(crm_db *db, crm_err *err) {
	PGresult *setup, *r, *sync;
	bool failed = false;

	db->sqlstate[0] = '\0';
	db->lost = false;
	db->commit_sent = true;
	memset(&db->session, 0, sizeof(db->session));
	setup = next_result(db);
	if (setup == NULL) {
		result_error(db, NULL, err);
		return NULL;
	}
	if (PQresultStatus(setup) == PGRES_TUPLES_OK) {
		read_session(db, setup);
	} else {
		result_error(db, setup, err);
		failed = true;
	}
	PQclear(setup);
	r = next_result(db);
	if (r == NULL) {
		result_error(db, NULL, err);
		return NULL;
	}
	if (!failed && PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		result_error(db, r, err);
		failed = true;
	}
	sync = next_result(db); /* the transaction commits (or rolls back) here */
	if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
		if (!failed)
			result_error(db, sync, err);
		failed = true;
	}
	PQclear(sync);
	if (failed) {
		PQclear(r);
		return NULL;
	}
	return r;
}
