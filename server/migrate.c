/*
 * migrate: applies the compiled-in sql/ migrations and checks, before
 * crmd serves, that the database is one this build can serve and that it
 * connects as a role that cannot get around row-level security. See
 * migrate.h and sql/README.md.
 *
 * Every applied migration is recorded in crm_meta.schema_migrations with
 * the SHA-256 of the file's bytes; a landed migration is never edited, so
 * a differing checksum means the database and this build disagree about
 * what the schema is, and both `migrate` and `serve` refuse.
 *
 * Modules (sql/modules/) are repeatable: crm_meta.schema_modules records
 * the checksum each was last applied with; `migrate` re-applies those that
 * differ and `serve` refuses until it has.
 *
 * The facts of the standard fields (label, cli_option, help, ...) are
 * stated once, as options in proto/crm.proto; `migrate` runs the UPDATE
 * gen_fields.py makes of them (crm_field_facts.sql) after the modules,
 * which writes only the rows whose facts differ.
 *
 * What is generated from the registry (dispatchers, policies, triggers,
 * reporting views: crm.refresh_generated() in the last module) is made
 * again after the modules, in their transaction, whenever `migrate`
 * applied a migration or a module or what the generators read changed
 * (the field facts included: they are set before the check):
 * crm_meta.schema_generated records crm.generated_inputs() as of the last
 * run.
 */
#include "migrate.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* pg_advisory_lock key taken by every `crmd migrate`: "crm_mig". */
#define LOCK_KEY "27977153513056615"
#define NO_TX_MARKER "-- crm:no-transaction"
#define CHECKSUM_HEX (2 * 32 + 1)

static const char bootstrap_sql[] =
	"CREATE SCHEMA IF NOT EXISTS crm_meta;\n"
	"COMMENT ON SCHEMA crm_meta IS 'Bookkeeping of crmd itself; not application data.';\n"
	"CREATE TABLE IF NOT EXISTS crm_meta.schema_migrations (\n"
	"  version int PRIMARY KEY,\n"
	"  name text NOT NULL,\n"
	"  checksum text NOT NULL,\n"
	"  applied_at timestamptz NOT NULL DEFAULT now()\n"
	");\n"
	"COMMENT ON TABLE crm_meta.schema_migrations IS "
	"'One row per migration from sql/ applied by crmd migrate. Never edit by hand.';\n"
	"COMMENT ON COLUMN crm_meta.schema_migrations.version IS "
	"'The migration''s number, from its file name (0001_init.sql is 1).';\n"
	"COMMENT ON COLUMN crm_meta.schema_migrations.name IS "
	"'The migration''s file name in sql/.';\n"
	"COMMENT ON COLUMN crm_meta.schema_migrations.checksum IS "
	"'Hex SHA-256 of the file as applied; crmd refuses a database whose checksums differ "
	"from its own copy.';\n"
	"COMMENT ON COLUMN crm_meta.schema_migrations.applied_at IS "
	"'When crmd migrate applied it.';\n"
	"CREATE TABLE IF NOT EXISTS crm_meta.schema_modules (\n"
	"  name text PRIMARY KEY,\n"
	"  checksum text NOT NULL,\n"
	"  applied_at timestamptz NOT NULL DEFAULT now()\n"
	");\n"
	"COMMENT ON TABLE crm_meta.schema_modules IS "
	"'One row per repeatable module from sql/modules/ as crmd migrate last applied it. Never "
	"edit by hand.';\n"
	"COMMENT ON COLUMN crm_meta.schema_modules.name IS "
	"'The module''s file name in sql/modules/.';\n"
	"COMMENT ON COLUMN crm_meta.schema_modules.checksum IS "
	"'Hex SHA-256 of the file as last applied; crmd migrate applies the module again when "
	"its own copy differs, and crmd serve refuses until it has.';\n"
	"COMMENT ON COLUMN crm_meta.schema_modules.applied_at IS "
	"'When crmd migrate last applied it.';\n"
	"CREATE TABLE IF NOT EXISTS crm_meta.schema_generated (\n"
	"  name text PRIMARY KEY,\n"
	"  inputs text NOT NULL,\n"
	"  applied_at timestamptz NOT NULL DEFAULT now()\n"
	");\n"
	"COMMENT ON TABLE crm_meta.schema_generated IS "
	"'What is generated from the registry, as crmd migrate last made it. Never edit by hand.';\n"
	"COMMENT ON COLUMN crm_meta.schema_generated.name IS "
	"'The function that generates it: crm.refresh_generated().';\n"
	"COMMENT ON COLUMN crm_meta.schema_generated.inputs IS "
	"'crm.generated_inputs() (a checksum of what the generators read) when they last ran; crmd "
	"migrate runs them again when it differs, or when it applied a migration or a module.';\n"
	"COMMENT ON COLUMN crm_meta.schema_generated.applied_at IS "
	"'When crmd migrate last ran the generators.';\n";

static const char select_modules_sql[] = "SELECT name, checksum FROM crm_meta.schema_modules";

static const char record_module_sql[] =
	"INSERT INTO crm_meta.schema_modules (name, checksum) VALUES ($1, $2) "
	"ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()";

/* Whether what the generators read differs from their last run's. */
static const char generated_stale_sql[] =
	"SELECT crm.generated_inputs() IS DISTINCT FROM (SELECT g.inputs FROM "
	"crm_meta.schema_generated g WHERE g.name = 'crm.refresh_generated()')";

static const char record_generated_sql[] =
	"INSERT INTO crm_meta.schema_generated (name, inputs) "
	"VALUES ('crm.refresh_generated()', crm.generated_inputs()) "
	"ON CONFLICT (name) DO UPDATE SET inputs = EXCLUDED.inputs, applied_at = now()";

/* Rows of modules this build no longer has ($1: the names it has). */
static const char forget_modules_sql[] =
	"DELETE FROM crm_meta.schema_modules WHERE name <> ALL ($1::text[])";

static const char select_applied_sql[] =
	"SELECT version, name, checksum FROM crm_meta.schema_migrations ORDER BY version";

static const char insert_applied_sql[] =
	"INSERT INTO crm_meta.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

/* The first object the current role owns, directly or through a role it
 * is a member of; NULL when it owns nothing. */
static const char role_sql[] =
	"SELECT r.rolname, r.rolsuper, r.rolbypassrls, ("
	" SELECT o.kind || ' ' || o.name FROM ("
	"  SELECT 'database' AS kind, quote_ident(d.datname) AS name, d.datdba AS owner"
	"   FROM pg_database d WHERE d.datname = current_database()"
	"  UNION ALL SELECT 'schema', quote_ident(n.nspname), n.nspowner FROM pg_namespace n"
	"  UNION ALL SELECT 'relation', c.oid::regclass::text, c.relowner FROM pg_class c"
	"  UNION ALL SELECT 'function', p.oid::regprocedure::text, p.proowner FROM pg_proc p"
	"  UNION ALL SELECT 'type', t.oid::regtype::text, t.typowner FROM pg_type t"
	" ) o WHERE pg_has_role(r.oid, o.owner, 'MEMBER') LIMIT 1"
	"), has_database_privilege(r.oid, current_database(), 'TEMPORARY')"
	" FROM pg_roles r WHERE r.rolname = current_user";

static void sha256_hex(const char *data, size_t len, char out[CHECKSUM_HEX]) {
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0; /* leaves "" and so never matches a recorded checksum */
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * (mdlen < 32 ? mdlen : 32)] = '\0';
}

static int newest_compiled(void) {
	int v = 0;

	for (int i = 0; i < crm_migrations_count; i++)
		if (crm_migrations[i].version > v)
			v = crm_migrations[i].version;
	return v;
}

static const crm_migration *find_compiled(int version) {
	for (int i = 0; i < crm_migrations_count; i++)
		if (crm_migrations[i].version == version)
			return &crm_migrations[i];
	return NULL;
}

static bool no_transaction(const crm_migration *m) {
	size_t n = strlen(NO_TX_MARKER);

	if (m->len < n || memcmp(m->sql, NO_TX_MARKER, n) != 0)
		return false;
	for (const char *p = m->sql + n; *p && *p != '\n'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

/* Copies a libpq message, newlines turned into spaces, trailing ones gone. */
static void one_line(const char *in, char *out, size_t outsz) {
	size_t n;

	snprintf(out, outsz, "%s", in ? in : "");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/* Status for a failed command: UNAVAILABLE once the connection is gone. */
static crm_status failure_code(PGconn *conn) {
	return PQstatus(conn) == CONNECTION_OK ? CRM_FAILED_PRECONDITION : CRM_UNAVAILABLE;
}

/* The server's primary message for a failed result. */
static void server_message(PGconn *conn, const PGresult *res, char *out, size_t outsz) {
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	one_line(primary ? primary : PQerrorMessage(conn), out, outsz);
}

static bool exec_ok(PGconn *conn, const char *sql, const char *what, crm_err *err) {
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	char msg[CRM_ERR_MSG_MAX];

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return true;
	}
	server_message(conn, res, msg, sizeof(msg));
	PQclear(res);
	return crm_err_set(err, failure_code(conn), NULL, "%s: %s", what, msg);
}

static void notice_to_log(void *arg, const char *message) {
	char line[CRM_ERR_MSG_MAX * 2];

	one_line(message, line, sizeof(line));
	log_warn("postgres: %s", line);
}

static bool connect_owner(const crm_config *cfg, PGconn **out, crm_err *err) {
	const char *const kw[] = {"dbname", "fallback_application_name", NULL};
	const char *const val[] = {cfg->db_owner, "crmd migrate", NULL};
	char msg[CRM_ERR_MSG_MAX];

	*out = PQconnectdbParams(kw, val, 1);
	if (*out == NULL)
		return crm_err_set(err, CRM_INTERNAL, "db_owner", "out of memory");
	if (PQstatus(*out) != CONNECTION_OK) {
		one_line(PQerrorMessage(*out), msg, sizeof(msg));
		return crm_err_set(err, CRM_UNAVAILABLE, "db_owner", "cannot connect: %s", msg);
	}
	PQsetNoticeProcessor(*out, notice_to_log, NULL);
	return exec_ok(*out, "SET client_min_messages = warning", "setting up the session", err);
}

static bool take_lock(PGconn *conn, crm_err *err) {
	PGresult *res = PQexec(conn, "SELECT pg_try_advisory_lock(" LOCK_KEY ")");
	bool got = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		   strcmp(PQgetvalue(res, 0, 0), "t") == 0;

	PQclear(res);
	if (got)
		return true;
	log_info("another crmd migrate is running; waiting for it to finish");
	return exec_ok(conn, "SELECT pg_advisory_lock(" LOCK_KEY ")", "taking the migration lock",
		       err);
}

/*
 * Reads crm_meta.schema_migrations. A missing schema or table is reported
 * as a database crmd migrate has never run on.
 */
static PGresult *read_applied(PGconn *conn, crm_err *err) {
	PGresult *res = PQexec(conn, select_applied_sql);
	char msg[CRM_ERR_MSG_MAX], state[6] = "";

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	if (PQresultErrorField(res, PG_DIAG_SQLSTATE))
		snprintf(state, sizeof(state), "%s", PQresultErrorField(res, PG_DIAG_SQLSTATE));
	server_message(conn, res, msg, sizeof(msg));
	PQclear(res);
	if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)
		crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
			    "the database has no crmd schema yet: run crmd migrate");
	else if (strcmp(state, "42501") == 0)
		crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
			    "cannot read crm_meta.schema_migrations (%s): db_app must connect as "
			    "crm_app, the role crmd migrate grants access to",
			    msg);
	else
		crm_err_set(err, failure_code(conn), NULL,
			    "cannot read crm_meta.schema_migrations: %s", msg);
	return NULL;
}

static bool is_applied(const PGresult *res, int version) {
	for (int i = 0; i < PQntuples(res); i++)
		if (atoi(PQgetvalue(res, i, 0)) == version)
			return true;
	return false;
}

/*
 * Compares what the database records with what this build carries. Sets
 * *max to the newest applied version (0 when none).
 */
static bool verify_applied(const PGresult *res, int *max, crm_err *err) {
	char sum[CHECKSUM_HEX];
	int newest = newest_compiled();

	*max = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		int version = atoi(PQgetvalue(res, i, 0));
		const char *name = PQgetvalue(res, i, 1);
		const crm_migration *m = find_compiled(version);

		if (m == NULL && version > newest)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
					   "database schema %d is newer than this crmd supports (up "
					   "to %d): upgrade crmd",
					   version, newest);
		if (m == NULL)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
					   "applied migration %s is not part of this build: never "
					   "remove a landed migration",
					   name);
		if (strcmp(m->name, name) != 0)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
					   "applied migration %s is called %s in this build: never "
					   "rename a landed migration",
					   name, m->name);
		sha256_hex(m->sql, m->len, sum);
		if (strcmp(sum, PQgetvalue(res, i, 2)) != 0)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
					   "checksum of applied migration %s differs from this "
					   "build: never edit a landed migration; add a new one",
					   m->name);
		if (version > *max)
			*max = version;
	}
	return true;
}

/* 1-based line of the character at 1-based position `pos` in sql. */
static int line_of(const char *sql, size_t len, long pos) {
	int line = 1;
	long chars = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)sql[i] & 0xC0) != 0x80 && ++chars >= pos)
			break;
		if (sql[i] == '\n')
			line++;
	}
	return line;
}

/*
 * Reports a failed statement of the file `name` (its text: sql, len).
 * `offset` is where the statement sent begins in the file, to turn the
 * server's position into a line number. The whole diagnostic goes to the
 * log; err gets a short one.
 */
static bool file_failed(PGconn *conn, const PGresult *res, const char *what, const char *name,
			const char *sql, size_t len, size_t offset, crm_err *err) {
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	char msg[CRM_ERR_MSG_MAX], where[48] = "";

	server_message(conn, res, msg, sizeof(msg));
	if (pos) {
		long chars = strtol(pos, NULL, 10);
		int line = line_of(sql + offset, len - offset, chars) +
			   line_of(sql, offset, (long)offset + 1) - 1;
		snprintf(where, sizeof(where), " line %d", line);
	}
	log_error("%s %s%s failed: %s%s%s%s%s%s%s", what, name, where, msg,
		  detail ? "; detail: " : "", detail ? detail : "", hint ? "; hint: " : "",
		  hint ? hint : "", ctx ? "; context: " : "", ctx ? ctx : "");
	return crm_err_set(err, failure_code(conn), NULL, "%s %s%s failed: %s", what, name, where,
			   msg);
}

static bool migration_failed(PGconn *conn, const PGresult *res, const crm_migration *m,
			     size_t offset, crm_err *err) {
	return file_failed(conn, res, "migration", m->name, m->sql, m->len, offset, err);
}

static bool record(PGconn *conn, const crm_migration *m, crm_err *err) {
	char version[16], sum[CHECKSUM_HEX];
	const char *params[3] = {version, m->name, sum};
	PGresult *res;
	bool ok;

	snprintf(version, sizeof(version), "%d", m->version);
	sha256_hex(m->sql, m->len, sum);
	res = PQexecParams(conn, insert_applied_sql, 3, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		migration_failed(conn, res, m, 0, err);
	PQclear(res);
	return ok;
}

static bool apply_in_transaction(PGconn *conn, const crm_migration *m, crm_err *err) {
	PGresult *res;

	if (!exec_ok(conn, "BEGIN", m->name, err))
		return false;
	/* One simple-query message: every statement of the file, in order. */
	res = PQexec(conn, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		migration_failed(conn, res, m, 0, err);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return false;
	}
	PQclear(res);
	if (!record(conn, m, err)) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return false;
	}
	return exec_ok(conn, "COMMIT", m->name, err);
}

/*
 * Length of the SQL statement at s, through its terminating ';' (or to the
 * end). Knows enough of PostgreSQL's lexer to not split inside quotes,
 * comments or dollar-quoted bodies.
 */
static size_t statement_length(const char *s, size_t n) {
	size_t i = 0;

	while (i < n) {
		char c = s[i];
		if (c == ';')
			return i + 1;
		if (c == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			int depth = 1;
			for (i += 2; i < n && depth > 0; i++) {
				if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
					depth++, i++;
				else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/')
					depth--, i++;
			}
		} else if (c == '\'' || c == '"') {
			bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
			for (i++; i < n && s[i] != c; i++)
				if (backslash && s[i] == '\\')
					i++;
			i++; /* a doubled quote reads as two strings: same result */
		} else if (c == '$' && (i == 0 || !(isalnum((unsigned char)s[i - 1]) ||
						   s[i - 1] == '_'))) {
			size_t t = i + 1;
			while (t < n && (isalnum((unsigned char)s[t]) || s[t] == '_'))
				t++;
			if (t < n && s[t] == '$' && !isdigit((unsigned char)s[i + 1])) {
				size_t taglen = t - i + 1;
				const char *end = NULL;
				for (size_t j = t + 1; j + taglen <= n; j++)
					if (memcmp(s + j, s + i, taglen) == 0) {
						end = s + j;
						break;
					}
				i = end ? (size_t)(end - s) + taglen : n;
			} else {
				i++;
			}
		} else {
			i++;
		}
	}
	return n;
}

/* Runs each statement on its own, outside any transaction block, as
 * CREATE INDEX CONCURRENTLY and friends need. */
static bool apply_without_transaction(PGconn *conn, const crm_migration *m, crm_err *err) {
	size_t off = 0, len;
	char *stmt;
	PGresult *res;
	bool ok = true;

	while (ok && off < m->len) {
		len = statement_length(m->sql + off, m->len - off);
		stmt = strndup(m->sql + off, len);
		if (stmt == NULL)
			return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		res = PQexec(conn, stmt);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		     PQresultStatus(res) == PGRES_TUPLES_OK ||
		     PQresultStatus(res) == PGRES_EMPTY_QUERY;
		if (!ok)
			migration_failed(conn, res, m, off, err);
		PQclear(res);
		free(stmt);
		off += len;
	}
	if (!ok)
		log_error("%s runs without a transaction: the statements before the failing "
			  "one stay applied; fix the cause and run crmd migrate again",
			  m->name);
	return ok && record(conn, m, err);
}

static const char *recorded_checksum(const PGresult *res, const char *name) {
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), name) == 0)
			return PQgetvalue(res, i, 1);
	return NULL;
}

static bool command_ok(PGresult *res) {
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/* The compiled-in module names as a text[] literal (names are
 * [0-9a-z_.], so they need no quoting). NULL when out of memory. */
static char *module_names_array(void) {
	size_t size = 3;
	char *out;

	for (int i = 0; i < crm_modules_count; i++)
		size += strlen(crm_modules[i].name) + 1;
	out = malloc(size);
	if (out == NULL)
		return NULL;
	strcpy(out, "{");
	for (int i = 0; i < crm_modules_count; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, crm_modules[i].name);
	}
	strcat(out, "}");
	return out;
}

/*
 * Runs crm.refresh_generated() when `force` (something was applied) or
 * when crm.generated_inputs() differs from the recorded one, and records
 * the inputs it ran with. Sets *ran.
 */
static bool refresh_generated(PGconn *conn, bool force, bool *ran, crm_err *err) {
	PGresult *res;

	*ran = force;
	if (!force) {
		res = PQexec(conn, generated_stale_sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			file_failed(conn, res, "checking", "crm.generated_inputs()", "", 0, 0, err);
			PQclear(res);
			return false;
		}
		*ran = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
	}
	if (!*ran)
		return true;
	res = PQexec(conn, "SELECT crm.refresh_generated()");
	if (!command_ok(res)) {
		file_failed(conn, res, "generating", "crm.refresh_generated()", "", 0, 0, err);
		PQclear(res);
		return false;
	}
	PQclear(res);
	res = PQexec(conn, record_generated_sql);
	if (!command_ok(res)) {
		file_failed(conn, res, "recording", "crm_meta.schema_generated", "", 0, 0, err);
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * Sets the facts of the standard fields that differ from crm.proto's
 * (crm_field_facts.sql, one UPDATE). Sets *rows to the rows it changed.
 */
static bool apply_field_facts(PGconn *conn, int *rows, crm_err *err) {
	const crm_module *f = &crm_field_facts_sql;
	PGresult *res = PQexec(conn, f->sql);

	if (!command_ok(res)) {
		file_failed(conn, res, "field facts", f->name, f->sql, f->len, 0, err);
		PQclear(res);
		return false;
	}
	*rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return true;
}

/*
 * Applies every module whose checksum differs from the recorded one, in
 * file-name order, records the new checksums and sets the field facts
 * (apply_field_facts); then runs the generators
 * (refresh_generated) when `migrated` (this run applied a migration), when
 * it applied a module, or when what they read changed. All of it runs in
 * one transaction: an instance still serving sees either every old body
 * or every new one, never a mix of modules that were written together nor
 * new modules with old generated objects, and a failure leaves the
 * database exactly as it was (modules and generators can always run
 * again, so nothing is lost by rolling back the ones before).
 */
static bool apply_modules(PGconn *conn, bool migrated, crm_err *err) {
	PGresult *recorded = NULL, *res;
	bool *applied = calloc((size_t)crm_modules_count + 1, sizeof(bool));
	char sum[CHECKSUM_HEX], *names = NULL;
	const char *params[2];
	int count = 0, facts = 0;
	bool generated = false;

	if (applied == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
	if (!exec_ok(conn, "BEGIN", "modules", err)) {
		free(applied);
		return false;
	}
	/* crmd serve reads the table as crm_app, which exists by now (0001
	 * grants to it); granting again is harmless. */
	if (!exec_ok(conn, "GRANT SELECT ON crm_meta.schema_modules TO crm_app",
		     "granting crm_meta.schema_modules", err))
		goto rollback;
	recorded = PQexec(conn, select_modules_sql);
	if (PQresultStatus(recorded) != PGRES_TUPLES_OK) {
		file_failed(conn, recorded, "reading", "crm_meta.schema_modules", "", 0, 0, err);
		goto rollback;
	}
	for (int i = 0; i < crm_modules_count; i++) {
		const crm_module *m = &crm_modules[i];
		const char *was = recorded_checksum(recorded, m->name);

		sha256_hex(m->sql, m->len, sum);
		applied[i] = was == NULL || strcmp(was, sum) != 0;
		if (!applied[i])
			continue;
		res = PQexec(conn, m->sql);
		if (!command_ok(res)) {
			file_failed(conn, res, "module", m->name, m->sql, m->len, 0, err);
			PQclear(res);
			goto rollback;
		}
		PQclear(res);
		params[0] = m->name;
		params[1] = sum;
		res = PQexecParams(conn, record_module_sql, 2, NULL, params, NULL, NULL, 0);
		if (!command_ok(res)) {
			file_failed(conn, res, "recording module", m->name, "", 0, 0, err);
			PQclear(res);
			goto rollback;
		}
		PQclear(res);
		count++;
	}
	names = module_names_array();
	if (names == NULL) {
		crm_err_set(err, CRM_INTERNAL, NULL, "out of memory");
		goto rollback;
	}
	params[0] = names;
	res = PQexecParams(conn, forget_modules_sql, 1, NULL, params, NULL, NULL, 0);
	free(names);
	if (!command_ok(res)) {
		file_failed(conn, res, "forgetting", "removed modules", "", 0, 0, err);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	/* Before the generators' check: crm.generated_inputs() reads the facts. */
	if (!apply_field_facts(conn, &facts, err) ||
	    !refresh_generated(conn, migrated || count > 0, &generated, err))
		goto rollback;
	PQclear(recorded);
	if (!exec_ok(conn, "COMMIT", "modules", err)) {
		free(applied);
		return false;
	}
	for (int i = 0; i < crm_modules_count; i++)
		if (applied[i])
			printf("applied modules/%s\n", crm_modules[i].name);
	if (count == 0)
		printf("modules are up to date\n");
	if (facts > 0)
		printf("applied %s (%d standard field%s changed)\n", crm_field_facts_sql.name,
		       facts, facts == 1 ? "" : "s");
	printf("%s\n", generated ? "ran crm.refresh_generated()" : "generated objects are up to date");
	fflush(stdout);
	free(applied);
	return true;
rollback:
	PQclear(recorded);
	PQclear(PQexec(conn, "ROLLBACK"));
	free(applied);
	return false;
}

bool crm_migrate_run(const crm_config *cfg, crm_err *err) {
	PGconn *conn = NULL;
	PGresult *applied = NULL;
	bool ok = false;
	int version = 0, count = 0;

	if (cfg->db_owner[0] == '\0')
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "db_owner",
				   "is required for crmd migrate");
	if (!connect_owner(cfg, &conn, err) || !take_lock(conn, err) ||
	    !exec_ok(conn, bootstrap_sql,
		    "creating crm_meta.schema_migrations (db_owner must own the database)", err))
		goto cleanup;
	applied = read_applied(conn, err);
	if (applied == NULL || !verify_applied(applied, &version, err))
		goto cleanup;
	/* The generated table is ordered by version. */
	for (int i = 0; i < crm_migrations_count; i++) {
		const crm_migration *m = &crm_migrations[i];
		if (is_applied(applied, m->version))
			continue;
		if (m->version < version) {
			crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
				    "migration %s is older than the newest applied one (%d): "
				    "renumber it above %d",
				    m->name, version, version);
			goto cleanup;
		}
		if (!(no_transaction(m) ? apply_without_transaction(conn, m, err)
					: apply_in_transaction(conn, m, err)))
			goto cleanup;
		printf("applied %s\n", m->name);
		fflush(stdout);
		version = m->version;
		count++;
	}
	if (count == 0) {
		printf("schema is up to date (version %d)\n", version);
		fflush(stdout);
	}
	ok = apply_modules(conn, count > 0, err);
cleanup:
	PQclear(applied);
	/* Closing the session releases the advisory lock. */
	PQfinish(conn);
	return ok;
}

/* The refusal for a serving role's attributes, or NULL when it may serve.
 * Columns of role_sql: name, super, bypassrls, first owned object, temp. */
static const char *role_problem(PGresult *res, const char *key, char *buf, size_t size) {
	const char *role = PQgetvalue(res, 0, 0);

	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		snprintf(buf, size, "role %s is a superuser: connect as a role that is LOGIN "
			 "NOSUPERUSER NOBYPASSRLS and owns nothing, e.g. %s", role,
			 strcmp(key, "db_auth") == 0 ? "crm_auth" : "crm_app");
	else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		snprintf(buf, size, "role %s has BYPASSRLS, which defeats row-level security: run "
			 "ALTER ROLE %s NOBYPASSRLS", role, role);
	else if (!PQgetisnull(res, 0, 3))
		snprintf(buf, size, "role %s owns %s (directly or as a member of its owner): crmd "
			 "serve must connect as a role that owns nothing; fix %s", role,
			 PQgetvalue(res, 0, 3), key);
	else if (strcmp(PQgetvalue(res, 0, 4), "t") == 0)
		snprintf(buf, size, "role %s may create temporary tables, which could shadow the "
			 "request context: run REVOKE TEMPORARY ON DATABASE <db> FROM PUBLIC, %s",
			 role, role);
	else
		return NULL;
	return buf;
}

bool crm_migrate_check_role(PGconn *conn, const char *key, crm_err *err) {
	PGresult *res = PQexec(conn, role_sql);
	char msg[CRM_ERR_MSG_MAX];
	const char *problem;
	bool ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		server_message(conn, res, msg, sizeof(msg));
		crm_err_set(err, failure_code(conn), key, "cannot inspect the role: %s", msg);
		goto cleanup;
	}
	problem = role_problem(res, key, msg, sizeof(msg));
	if (problem != NULL)
		crm_err_set(err, CRM_FAILED_PRECONDITION, key, "%s", problem);
	else
		ok = true;
cleanup:
	PQclear(res);
	return ok;
}

/* Refuses a database where a module of this build is missing or was last
 * applied with other contents. */
static bool check_modules(PGconn *conn, crm_err *err) {
	PGresult *res = PQexec(conn, select_modules_sql);
	char msg[CRM_ERR_MSG_MAX], state[6] = "", sum[CHECKSUM_HEX];
	bool ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQresultErrorField(res, PG_DIAG_SQLSTATE))
			snprintf(state, sizeof(state), "%s",
				 PQresultErrorField(res, PG_DIAG_SQLSTATE));
		server_message(conn, res, msg, sizeof(msg));
		if (strcmp(state, "42P01") == 0)
			crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
				    "the database records no modules (crm_meta.schema_modules): "
				    "run crmd migrate");
		else
			crm_err_set(err, failure_code(conn), NULL,
				    "cannot read crm_meta.schema_modules: %s", msg);
		goto cleanup;
	}
	for (int i = 0; i < crm_modules_count; i++) {
		const crm_module *m = &crm_modules[i];
		const char *was = recorded_checksum(res, m->name);

		sha256_hex(m->sql, m->len, sum);
		if (was == NULL) {
			crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
				    "module %s is not applied: run crmd migrate", m->name);
			goto cleanup;
		}
		if (strcmp(was, sum) != 0) {
			crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
				    "module %s differs from the one applied (checksum): run crmd "
				    "migrate",
				    m->name);
			goto cleanup;
		}
	}
	ok = true;
cleanup:
	PQclear(res);
	return ok;
}

bool crm_migrate_check(PGconn *conn, int *version, crm_err *err) {
	PGresult *applied = NULL;
	int max = 0, newest = newest_compiled();
	bool ok = false;

	if (!crm_migrate_check_role(conn, "db_app", err))
		goto cleanup;
	applied = read_applied(conn, err);
	if (applied == NULL || !verify_applied(applied, &max, err))
		goto cleanup;
	if (max < CRM_SCHEMA_MIN) {
		crm_err_set(err, CRM_FAILED_PRECONDITION, NULL,
			    "database is behind: schema version %d, this crmd needs at least %d: "
			    "run crmd migrate",
			    max, CRM_SCHEMA_MIN);
		goto cleanup;
	}
	if (!check_modules(conn, err))
		goto cleanup;
	if (max < newest)
		log_warn("database schema is at version %d, this build's newest is %d: run crmd "
			 "migrate once every crmd instance runs this version",
			 max, newest);
	*version = max;
	ok = true;
cleanup:
	PQclear(applied);
	return ok;
}
