-- 0024_type_migrations: what a record type's migration relies on.
--
-- A versioned migration may write audited tables (crm.permissions,
-- crm.record_types, crm.standard_fields, ...) on a fresh database too.
-- 0005 dropped crm.audit_write, whose signature
-- changed, and only modules/90_audit.sql makes it again, after every
-- migration: on a fresh database the audit triggers of a later migration's
-- INSERT called a function that did not exist (docs/data.md, "Adding a
-- record type": a type's migration inserts its crm.permissions rows).
--
-- So, when crm.audit_write is missing -- a fresh database, from here until
-- the modules run -- it is made here with the module's exact signature, as a
-- placeholder that writes nothing: rows a migration writes before the
-- modules exist (the install itself) are not audited. The module's CREATE
-- OR REPLACE then replaces the placeholder, in the same `crmd migrate`. On
-- a database that has the modules already the real function is left
-- untouched, and a later migration's rows are audited as any others.
--
-- (Functions belong in modules; this one is made at run time, by the DO
-- block, only to stand in for the module's until it runs.)

DO $do$
BEGIN
	IF pg_catalog.to_regprocedure('crm.audit_write(text,bigint,text,jsonb,jsonb,bigint,text)') IS NULL THEN
		CREATE FUNCTION crm.audit_write(p_type text, p_id bigint, p_action text, p_old jsonb,
						p_new jsonb, p_user bigint DEFAULT NULL::bigint,
						p_username text DEFAULT NULL::text)
		RETURNS void
		LANGUAGE plpgsql
		SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
		AS $f$
		BEGIN
			-- A placeholder until modules/90_audit.sql replaces it: the rows
			-- migrations write on a fresh database are not audited.
			NULL;
		END
		$f$;
		REVOKE ALL ON FUNCTION crm.audit_write(text,bigint,text,jsonb,jsonb,bigint,text) FROM PUBLIC;
	END IF;
END
$do$;

-- And the kinds a standard field may have, as crm.record_list filters them
-- and crm.field_list shows them, name date (a day, YYYY-MM-DD), which a
-- type's own fields may use.
COMMENT ON COLUMN crm.standard_fields.kind IS 'How the field filters: text, norm, enum, picklist, number, money, date, instant, boolean, user, team, tags, ref, email, phone, country or none.';
COMMENT ON TABLE crm.standard_fields IS
	'Built-in fields per record type, for field lists, filters and sorting. kind: text, norm '
	'(equality on a normalised column), enum, picklist, number, money, date, instant, boolean, user, '
	'team, tags, ref, email, phone, country, none.';
