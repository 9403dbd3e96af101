-- 0005_trust: the second layer holds against the application role.
--
-- Until now the acting user, the scope caches and the audit context were
-- transaction-local settings (crm.user_id, crm.scopes, ...), which any role
-- may SET: whoever held crm_app's password could act as anyone. From here:
--  * crm.begin_request takes the raw session token, hashes it itself and
--    writes the request's context (user, session, role, permission row,
--    request id, client address) into pg_temp.crm_context, a temporary
--    table it creates owned by crm_owner, on which crm_app has no
--    privilege. The row carries the id of the transaction that wrote it
--    (pg_current_xact_id()); every reader (crm.acting_user, crm.scope_*,
--    crm.shared_ids, the audit) reads only the row of the current
--    transaction (pg_current_xact_id_if_assigned()). An abort rolls the
--    write back and after a commit no transaction has that id again, so
--    every transaction, pipelined or not, starts with no acting user.
--    (ON COMMIT DELETE ROWS would say the same, but truncates the table at
--    every commit: measured at 20 ms a commit here, docs/benchmarks.md.)
--  * TEMPORARY is revoked from PUBLIC on the database, so crm_app cannot
--    create a table that shadows the context or anything a SECURITY
--    DEFINER function names; every such function pins
--    search_path = pg_catalog, crm, pg_temp (pg_temp last).
--  * EXECUTE on every function of crm and crm_meta is revoked from PUBLIC
--    and granted to the roles that need it.
--  * The audit trail refuses UPDATE, DELETE and TRUNCATE from everyone,
--    except the redaction crm.purge_record performs after checking the
--    purge permission from the context.
-- docs/security.md has the threat model.
--
-- Functions, views, policies and the grants on functions that this
-- migration introduced or replaced are in sql/modules/ (sql/README.md):
-- what stays here is tables, indexes, roles, privileges on tables and
-- data.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'crm_auth') THEN
		RAISE EXCEPTION 'role crm_auth does not exist: create the authentication role first: '
			'CREATE ROLE crm_auth LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ''...'''
			USING HINT = 'crmd''s auth pool connects as crm_auth (config key db_auth) to '
				'read password hashes and open sessions. See sql/README.md. '
				'Then run crmd migrate again.';
	END IF;
END
$$;

-- No role but the owner creates temporary tables here (the owner's
-- functions create the request context).
DO $$
BEGIN
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM crm_app, crm_auth', current_database());
END
$$;

-- ------------------------------------------------------------ the context

-- The signature changes: the module re-creates it.
DROP FUNCTION crm.begin_request(bytea, text, text, text, text, text);

-- The lookups of 0004 read settings; they are replaced by the context.
DROP FUNCTION crm.scope_lookup();
DROP FUNCTION crm.scope_teams_lookup(text);
DROP FUNCTION crm.shared_ids_lookup(text, boolean);

-- ------------------------------------------------------------ audit

-- The signature changes: the module re-creates it.
DROP FUNCTION crm.audit_write(text, bigint, text, jsonb, jsonb, bigint);

-- ------------------------------------------------------------ logins and passwords

-- Lockout (docs/security.md, "Throttling"). Failures are counted per
-- (username, address) -- kind 'pair' -- and per address ('addr'); past
-- their limits each further failure doubles a temporary lockout of that
-- pair or address only, so nobody can lock a user out from elsewhere. A
-- user's failures from all addresses are also counted per hour ('user',
-- window_start); at the cap the user is refused from every address that
-- has not logged in as them in the last 30 days.
ALTER TABLE crm.login_throttle DROP CONSTRAINT login_throttle_kind;
DELETE FROM crm.login_throttle WHERE kind = 'user'; -- ends the old user-wide lockouts
ALTER TABLE crm.login_throttle ADD CONSTRAINT login_throttle_kind CHECK (kind IN ('pair', 'addr', 'user'));
ALTER TABLE crm.login_throttle ADD COLUMN window_start timestamptz;
COMMENT ON TABLE crm.login_throttle IS
	'Failed logins. pair (key "username address"): past login_max_failures each further '
	'failure doubles a lockout of that username from that address; addr: the same per '
	'address past login_max_failures_addr; a success or 15 quiet minutes reset a count. '
	'user (key username): failures from every address in the hour from window_start; at '
	'login_user_hourly_cap only addresses that logged in as the user in the last 30 days '
	'may try. Operational state: not audited (the audit trail records each attempt).';
COMMENT ON COLUMN crm.login_throttle.window_start IS
	'kind user: start of the hour whose failures are counted; NULL for the other kinds.';

-- The signature changes: the module re-creates it.
DROP FUNCTION crm.login_precheck(text, text);

-- The signature changes: the module re-creates it.
DROP FUNCTION crm.login_finish(text, text, bigint, boolean, bytea, text, interval, interval,
			       integer, integer, interval);

-- ------------------------------------------------------------ privileges

-- Every SECURITY DEFINER function searches pg_temp last.
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname IN ('crm', 'crm_meta') AND p.prosecdef LOOP
		EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, crm, pg_temp', f);
	END LOOP;
END
$$;

-- Nothing is executable by PUBLIC, now or in later migrations.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA crm, crm_meta FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON crm.idempotency_keys TO crm_auth;

-- What crmd's auth pool (crm_auth) runs: the prologue, logins, password
-- change and reset, and the rows it answers with. It reads no table.
GRANT USAGE ON SCHEMA crm TO crm_auth;
