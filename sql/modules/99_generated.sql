-- sql/modules/99_generated.sql: what is generated from the registry, in
-- one place. crm.refresh_generated() runs every generator;
-- crm.generated_inputs() sums up what they read.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.
--
-- No module calls a generator. crmd migrate calls crm.refresh_generated()
-- after the modules, in their transaction (an instance still serving sees
-- the old generated objects or the new ones, never a mix), whenever it
-- applied a migration or a module, or crm.generated_inputs() differs from
-- the one recorded in crm_meta.schema_generated (a change made outside a
-- migration, such as crm-datagen --types). So a migration that adds a
-- record type, a side table or a column to a type's table needs no line
-- in any module for the generated objects to gain it.

-- Every generator, in order. This is the last module, so everything the
-- generators read or name exists: the record views (create_record_view in
-- 50_records.sql and the types' modules), the save functions, the audit
-- trail's functions (90_audit.sql) and the reporting generator
-- (95_reporting.sql).
--   1. crm.refresh_dispatch(): the per-type dispatchers with their
--      privileges, the trigger sync_record on every business table and
--      crm.records in step, then crm.refresh_side_rls(): the policies of
--      crm.records and of the side tables (crm_meta.side_tables);
--   2. crm.attach_audit_follow() on every business table: its audit rows
--      follow the record's owner and team;
--   3. crm.refresh_reporting(): one view per type in schema reporting.
CREATE OR REPLACE FUNCTION crm.refresh_generated()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	t record;
BEGIN
	PERFORM crm.refresh_dispatch();
	FOR t IN SELECT name, table_name FROM crm.record_types WHERE table_name IS NOT NULL ORDER BY name LOOP
		PERFORM crm.attach_audit_follow(t.table_name::regclass, t.name);
	END LOOP;
	PERFORM crm.refresh_reporting();
END
$function$;
COMMENT ON FUNCTION crm.refresh_generated() IS 'Runs every generator (crm.refresh_dispatch, which calls crm.refresh_side_rls; crm.attach_audit_follow on every business table; crm.refresh_reporting). crmd migrate calls it after the modules whenever it applied something or crm.generated_inputs() changed.';

-- What the generators read, as a checksum: the registry
-- (crm.record_types, crm.relation_kinds, crm_meta.side_tables,
-- crm.standard_fields, the pick lists' names) and the catalog they read
-- (the business tables' columns and their comments; the foreign keys to
-- crm.records and to and from the business tables). crmd migrate records
-- it with each run of crm.refresh_generated() and runs that again when it
-- differs.
CREATE OR REPLACE FUNCTION crm.generated_inputs()
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	WITH b AS (SELECT t.table_name::regclass AS tab FROM crm.record_types t WHERE t.table_name IS NOT NULL)
	SELECT md5(concat_ws(E'\n--\n',
		(SELECT string_agg(t::text, E'\n' ORDER BY t.name) FROM crm.record_types t),
		(SELECT string_agg(k::text, E'\n' ORDER BY k::text) FROM crm.relation_kinds k),
		(SELECT string_agg(s::text, E'\n' ORDER BY s.table_name) FROM crm_meta.side_tables s),
		(SELECT string_agg(f::text, E'\n' ORDER BY f.record_type, f.name) FROM crm.standard_fields f),
		(SELECT string_agg(p.name, E'\n' ORDER BY p.name) FROM crm.picklists p),
		(SELECT string_agg(format('%s.%s %s %s', a.attrelid::regclass, a.attname,
					  format_type(a.atttypid, a.atttypmod), col_description(a.attrelid, a.attnum)),
				   E'\n' ORDER BY a.attrelid::regclass::text, a.attnum)
		 FROM pg_attribute a WHERE a.attrelid IN (SELECT tab FROM b) AND a.attnum > 0 AND NOT a.attisdropped),
		(SELECT string_agg(format('%s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)),
				   E'\n' ORDER BY c.conrelid::regclass::text, c.conname)
		 FROM pg_constraint c
		 WHERE c.contype = 'f' AND (c.confrelid = 'crm.records'::regclass
					    OR c.confrelid IN (SELECT tab FROM b) OR c.conrelid IN (SELECT tab FROM b)))))
$function$;
COMMENT ON FUNCTION crm.generated_inputs() IS 'A checksum of what the generators of crm.refresh_generated() read (registry and catalog); crmd migrate runs them again when it differs from the one recorded in crm_meta.schema_generated.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.refresh_generated(),
	crm.generated_inputs()
FROM PUBLIC, crm_app, crm_auth;
