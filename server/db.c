/* db: see db.h. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define BACKOFF_MIN_US 100000
#define BACKOFF_MAX_US 5000000

typedef struct {
	const char *name;
	const char *sql;
} stmt_def;

/* Every statement crmd runs. Named by crm_stmt; prepared on connect. */
static const stmt_def stmts[CRM_STMT__COUNT] = {
	[CRM_STMT_SETUP] = {"setup",
			    "SELECT set_config('crm.user_id', $1, true),"
			    " set_config('crm.request_id', $2, true),"
			    " set_config('crm.client_addr', $3, true),"
			    " set_config('statement_timeout', $4, true)"},
	[CRM_STMT_DEEP_PING] = {"deep_ping",
				"SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8"},
	[CRM_STMT_SLEEP] = {"sleep", "SELECT pg_sleep($1::int4 / 1000.0)"},
	[CRM_STMT_NOTE_INSERT] = {"note_insert",
				  "INSERT INTO crm.notes (body) VALUES ($1)"
				  " RETURNING id, (extract(epoch FROM created_at) * 1000000)::int8"},
	[CRM_STMT_NOTE_GET] = {"note_get",
			       "SELECT id, body, (extract(epoch FROM created_at) * 1000000)::int8"
			       " FROM crm.notes WHERE id = $1"},
	[CRM_STMT_IDEM_CLAIM] = {"idem_claim",
				 "INSERT INTO crm.idempotency_keys AS k"
				 " (principal, key, request_type, request_hash)"
				 " VALUES ($1, $2, $3, $4)"
				 " ON CONFLICT (principal, key) DO UPDATE"
				 " SET request_type = EXCLUDED.request_type,"
				 "  request_hash = EXCLUDED.request_hash, response = NULL,"
				 "  created_at = now()"
				 " WHERE k.created_at < now() - interval '24 hours'"
				 " RETURNING 1"},
	[CRM_STMT_IDEM_GET] = {"idem_get",
			       "SELECT request_type, request_hash, response"
			       " FROM crm.idempotency_keys WHERE principal = $1 AND key = $2"},
	[CRM_STMT_IDEM_STORE] = {"idem_store",
				 "UPDATE crm.idempotency_keys SET response = $3"
				 " WHERE principal = $1 AND key = $2"},
	[CRM_STMT_IDEM_PURGE] = {"idem_purge",
				 "DELETE FROM crm.idempotency_keys"
				 " WHERE created_at < now() - interval '24 hours'"},
};

static int64_t mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

crm_status crm_db_translate(const char *s) {
	if (s == NULL || s[0] == '\0')
		return CRM_UNAVAILABLE; /* no SQLSTATE: the connection failed */
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
	if (strcmp(s, "42501") == 0)
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
	snprintf(db->dsn, sizeof(db->dsn), "%s", dsn);
	db->index = index;
	db->backoff = BACKOFF_MIN_US;
}

static void db_drop(crm_db *db) {
	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->pending = 0;
	db->syncs = 0;
	db->in_tx = false;
}

void crm_db_fini(crm_db *db) { db_drop(db); }

static bool prepare_all(crm_db *db) {
	for (int i = 0; i < CRM_STMT__COUNT; i++) {
		PGresult *r = PQprepare(db->conn, stmts[i].name, stmts[i].sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			log_error("db worker %d: cannot prepare %s: %s", db->index, stmts[i].name,
				  PQresultErrorMessage(r));
		PQclear(r);
		if (!ok)
			return false;
	}
	return true;
}

static bool db_connect(crm_db *db) {
	static const char *const keys[] = {"application_name", "connect_timeout", "keepalives_idle",
					   "keepalives_interval", "dbname", NULL};
	const char *vals[] = {"crmd", "5", "10", "5", db->dsn, NULL};

	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and reason, never the password */
		log_warn("db worker %d: cannot connect: %s", db->index,
			 strtok(PQerrorMessage(db->conn), "\n"));
		db_drop(db);
		return false;
	}
	if (!prepare_all(db) || PQenterPipelineMode(db->conn) != 1) {
		db_drop(db);
		return false;
	}
	log_info("db worker %d: connected", db->index);
	return true;
}

bool crm_db_ensure(crm_db *db, crm_err *err) {
	int64_t now;

	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return true;
	db_drop(db);
	now = mono_us();
	if (now < db->next_attempt)
		return crm_err_set(err, CRM_UNAVAILABLE, NULL,
				   "database unavailable; retry in a few seconds");
	if (db_connect(db)) {
		db->backoff = BACKOFF_MIN_US;
		db->next_attempt = 0;
		return true;
	}
	db->next_attempt = mono_us() + db->backoff;
	db->backoff = db->backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : db->backoff * 2;
	return crm_err_set(err, CRM_UNAVAILABLE, NULL,
			   "database unavailable; retry in a few seconds");
}

/* Records a failed result in err and db->sqlstate. */
static void result_error(crm_db *db, const PGresult *r, crm_err *err) {
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	crm_status code;

	if (PQstatus(db->conn) != CONNECTION_OK)
		state = NULL;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	code = crm_db_translate(state);
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
		crm_err_set(err, code, NULL, state && strncmp(state, "40", 2) == 0
						 ? "database busy; retry"
						 : "database connection lost; retry shortly");
		break;
	case CRM_DEADLINE_EXCEEDED:
		crm_err_set(err, code, NULL, "request took longer than the server allows");
		break;
	case CRM_INTERNAL:
		crm_err_set(err, code, NULL, "internal error; the server log has the details");
		break;
	default:
		crm_err_set(err, code, PQresultErrorField(r, PG_DIAG_COLUMN_NAME), "%s",
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
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
	const char *params[4] = {ctx->user_id, reqid, ctx->client_addr, timeout};

	snprintf(reqid, sizeof(reqid), "%llu", (unsigned long long)ctx->request_id);
	snprintf(timeout, sizeof(timeout), "%d", ctx->timeout_ms > 0 ? ctx->timeout_ms : 1);
	db->sqlstate[0] = '\0';
	if (PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQsendQueryPrepared(db->conn, stmts[CRM_STMT_SETUP].name, 4, params, NULL, NULL, 0) !=
		1) {
		result_error(db, NULL, err);
		return false;
	}
	db->pending = 2;
	db->in_tx = true;
	return true;
}

PGresult *crm_db_exec(crm_db *db, crm_stmt stmt, int nparams, const char *const *values,
		      const int *lengths, const int *formats, bool last, crm_err *err) {
	PGresult *r;
	int sent;

	last = last && !db->hold_commit;
	sent = PQsendQueryPrepared(db->conn, stmts[stmt].name, nparams, values, lengths, formats,
				   0);
	if (sent == 1 && last)
		sent = PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
		       send_sync(db);
	else if (sent == 1)
		sent = PQsendFlushRequest(db->conn) == 1 && PQflush(db->conn) == 0;
	if (sent != 1) {
		result_error(db, NULL, err);
		return NULL;
	}
	/* Everything queued before this statement must have succeeded. */
	r = drain_pending(db, err);
	PQclear(r);
	if (crm_err_isset(err))
		return NULL;
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

bool crm_db_commit(crm_db *db, crm_err *err) {
	PGresult *r;

	if (!db->in_tx)
		return true;

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
	ok = PQstatus(db->conn) == CONNECTION_OK && sync_and_drain(db);
	if (ok && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		ok = PQsendQueryParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
		     sync_and_drain(db);
	if (ok && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		ok = false;
	db->pending = 0;
	db->in_tx = false;
	if (!ok) {
		log_warn("db worker %d: connection not idle after rollback; reconnecting",
			 db->index);
		db_drop(db);
	}
}
