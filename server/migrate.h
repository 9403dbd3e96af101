/*
 * migrate: schema migrations. The numbered files in sql/ are compiled into
 * crmd (migrations_data.c, generated at build time), so the binary carries
 * the exact schema it was built for.
 *
 * `crmd migrate` applies the missing ones in order as the owner role,
 * under an advisory lock, each in its own transaction unless the file's
 * first line is `-- crm:no-transaction`, and records version, name and
 * SHA-256 checksum in crm_meta.schema_migrations.
 *
 * Then it applies the repeatable modules of sql/modules/ (functions,
 * views, policies, grants on functions), in file-name order, all in one
 * transaction: each module whose SHA-256 differs from the one recorded in
 * crm_meta.schema_modules (or that has none) runs again and its checksum
 * is recorded. In the same transaction it sets the facts of the standard
 * fields (crm_field_facts.sql, generated from proto/crm.proto's field
 * options) where they differ, then runs the generators if needed.
 *
 * `crmd serve` calls crm_migrate_check on the app connection and refuses
 * to start on a database that is behind CRM_SCHEMA_MIN, ahead of the
 * newest migration it knows, whose recorded checksums differ from the
 * compiled-in files, or where a module of this build is not applied as
 * it is compiled in.
 */
#ifndef CRM_MIGRATE_H
#define CRM_MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "config.h"
#include "crm_status.h"

/* The oldest schema version this build can serve; the newest is the
 * highest compiled-in migration. Raise the minimum only when the code
 * stops working on an older schema, so rolling upgrades stay possible. */
#define CRM_SCHEMA_MIN 7

typedef struct crm_migration {
	int version;
	const char *name;     /* file name, e.g. "0001_init.sql" */
	const char *sql;
	unsigned long len;
} crm_migration;

typedef struct crm_module {
	const char *name;     /* file name in sql/modules/, e.g. "10_context.sql" */
	const char *sql;
	unsigned long len;
} crm_module;

/* Generated: every file in sql/ matching NNNN_*.sql, ordered by version. */
extern const crm_migration crm_migrations[];
extern const int crm_migrations_count;

/* Generated: every file in sql/modules/ (NN_*.sql), ordered by name. */
extern const crm_module crm_modules[];
extern const int crm_modules_count;

/* Generated: proto/gen_fields.py's crm_field_facts.sql, an UPDATE of the
 * facts of crm.standard_fields' rows that differ from crm.proto's. */
extern const crm_module crm_field_facts_sql;

/* Applies pending migrations, then changed modules and field facts, using
 * cfg->db_owner. Prints one line per applied migration or module to
 * stdout. */
bool crm_migrate_run(const crm_config *cfg, crm_err *err) CRM_MUSTCHECK;

/* Checks the schema on an open connection (any role that can read
 * crm_meta.schema_migrations). Sets *version to the newest applied one. */
bool crm_migrate_check(PGconn *conn, int *version, crm_err *err) CRM_MUSTCHECK;

/* Refuses a role crmd serves as (config key `key`: db_app or db_auth) that is
 * a superuser, has BYPASSRLS, owns anything or may create temporary tables. */
bool crm_migrate_check_role(PGconn *conn, const char *key, crm_err *err) CRM_MUSTCHECK;

#endif
