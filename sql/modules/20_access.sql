-- sql/modules/20_access.sql: row-level security generators, the shares'
-- policies.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

-- Changing a record's owner or team is the reassign action: the acting
-- user needs a reassign scope covering the new team (or all, or the record
-- stays their own). Row-level security cannot see the old row, so this
-- trigger, attached by crm.attach_rls, guards the change for crm_app.
CREATE OR REPLACE FUNCTION crm.guard_owner()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	IF current_user = 'crm_app'
	   AND (NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.team_id IS DISTINCT FROM OLD.team_id)
	   AND NOT (crm.scope_all(TG_ARGV[0], 'reassign')
		    OR NEW.team_id = ANY (crm.scope_teams(TG_ARGV[0], 'reassign'))
		    OR (NEW.owner_id = crm.acting_user() AND NEW.owner_id = OLD.owner_id
			AND crm.scope_of(TG_ARGV[0], 'reassign') <> 'none')) THEN
		PERFORM crm.raise('CRP01', 'owner', 'access.reassign_denied', TG_ARGV[0]);
	END IF;
	RETURN NEW;
END
$function$;

-- Row-level security for a business table with id, owner_id and team_id:
-- ENABLE and FORCE, and one policy per command for crm_app:
--   SELECT  rows in the read scope, or shared with the user;
--   INSERT  needs a create scope; the row must be the user's own or in a
--           team of that scope (all: anything);
--   UPDATE  rows in the update, delete (soft delete) or reassign scope, or
--           shared for editing; new rows must stay within one of those,
--           and a change of owner or team needs the reassign scope
--           (trigger crm.guard_owner);
--   DELETE  (purge) needs the admin action with scope all.
CREATE OR REPLACE FUNCTION crm.attach_rls(p_table regclass, p_type text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	t text := p_table::text;
	q text := quote_literal(p_type);
	vis text := '(SELECT crm.scope_all(%1$s, %2$L)) OR owner_id = (SELECT crm.scope_own(%1$s, %2$L)) '
		    'OR team_id = ANY ((SELECT crm.scope_teams(%1$s, %2$L))::bigint[])';
	rd text := '(' || format(vis, q, 'read') || ' OR id = ANY ((SELECT crm.shared_ids(' || q || ', false))::bigint[]))';
	wr text := '(' || format(vis, q, 'update') || ' OR ' || format(vis, q, 'delete') || ' OR '
		   || format(vis, q, 'reassign') || ' OR id = ANY ((SELECT crm.shared_ids(' || q || ', true))::bigint[]))';
BEGIN
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
	EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
	EXECUTE format('CREATE POLICY select_scope ON %s FOR SELECT TO crm_app USING %s', t, rd);
	EXECUTE format('CREATE POLICY insert_scope ON %s FOR INSERT TO crm_app WITH CHECK '
		       '((SELECT crm.scope_all(%2$s, ''create'')) OR owner_id = (SELECT crm.scope_own(%2$s, ''create'')) '
		       'AND (team_id IS NULL OR team_id = (SELECT team_id FROM crm.users WHERE id = crm.acting_user())) '
		       'OR team_id = ANY ((SELECT crm.scope_teams(%2$s, ''create''))::bigint[]))', t, q);
	EXECUTE format('CREATE POLICY update_scope ON %1$s FOR UPDATE TO crm_app USING %2$s WITH CHECK %2$s',
		       t, wr);
	EXECUTE format('CREATE TRIGGER guard_owner BEFORE UPDATE OF owner_id, team_id ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.guard_owner(%s)', t, q);
	EXECUTE format('CREATE POLICY delete_scope ON %s FOR DELETE TO crm_app USING ((SELECT crm.scope_all(%s, ''admin'')))', t, q);
	-- The owner role reaches the rows in maintenance functions.
	EXECUTE format('CREATE POLICY owner_all ON %s TO crm_owner USING (true) WITH CHECK (true)', t);
END
$function$;

-- Administrative tables: everyone with a session may read (the matrix
-- decides who may list them through crmd); writes need the admin scope;
-- the owner reaches everything in SECURITY DEFINER functions.
CREATE OR REPLACE FUNCTION crm.attach_admin_rls(p_table regclass, p_type text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	t text := p_table::text;
	q text := quote_literal(p_type);
BEGIN
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
	EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
	EXECUTE format('CREATE POLICY select_scope ON %s FOR SELECT TO crm_app USING ((SELECT crm.scope_of(%s, ''read'')) <> ''none'')', t, q);
	EXECUTE format('CREATE POLICY insert_scope ON %s FOR INSERT TO crm_app WITH CHECK ((SELECT crm.scope_all(%s, ''create'')))', t, q);
	EXECUTE format('CREATE POLICY update_scope ON %1$s FOR UPDATE TO crm_app USING ((SELECT crm.scope_all(%2$s, ''update''))) WITH CHECK ((SELECT crm.scope_all(%2$s, ''update'')))', t, q);
	EXECUTE format('CREATE POLICY delete_scope ON %s FOR DELETE TO crm_app USING ((SELECT crm.scope_all(%s, ''delete'')))', t, q);
	EXECUTE format('CREATE POLICY owner_all ON %s TO crm_owner USING (true) WITH CHECK (true)', t);
END
$function$;

DROP POLICY IF EXISTS select_scope ON crm.shares;
CREATE POLICY select_scope ON crm.shares FOR SELECT TO crm_app
	USING (user_id = crm.acting_user()
	       OR team_id = (SELECT team_id FROM crm.users WHERE id = crm.acting_user())
	       OR crm.record_visible(record_type, record_id));

DROP POLICY IF EXISTS write_scope ON crm.shares;
CREATE POLICY write_scope ON crm.shares FOR ALL TO crm_app
	USING (crm.record_updatable(record_type, record_id))
	WITH CHECK (crm.record_updatable(record_type, record_id));

DROP POLICY IF EXISTS owner_all ON crm.shares;
CREATE POLICY owner_all ON crm.shares TO crm_owner USING (true) WITH CHECK (true);

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.guard_owner(),
	crm.attach_rls(regclass,text),
	crm.attach_admin_rls(regclass,text)
FROM PUBLIC, crm_app, crm_auth;
