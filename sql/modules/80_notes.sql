-- sql/modules/80_notes.sql: notes, an ordinary record type: their save
-- function (crm.note_save; the record view crm.note_out is made by
-- crm.create_record_view), which the generic record requests reach through
-- the dispatchers crm.refresh_dispatch() generates (50_records.sql;
-- PL/pgSQL, so they find it when they run). The older note requests and
-- their functions are retired (0016_note_records.sql drops them).
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

SELECT crm.create_record_view('note', 'crm.notes', $f$'body', r.body$f$);

-- Creates (p_id NULL) or updates a note from its JSON d, as account_save
-- does for accounts. The body is multi-line text: line breaks and tabs
-- kept, other control and formatting characters refused
-- (crm.check_text); it cannot be cleared.
CREATE OR REPLACE FUNCTION crm.note_save(p_id bigint, p_version bigint, d jsonb, clr text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	creating boolean := p_id IS NULL;
	id_ bigint := p_id;
	c text;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		IF c NOT IN ('tags', 'external_id') AND c NOT LIKE 'custom.%' THEN
			PERFORM crm.fail('CRI01', 'clear', format('"%s" is not a note field that can be cleared (tags, external_id, custom.NAME)', c));
		END IF;
	END LOOP;
	d := crm.clean_text(d, '{body}', 'note.body', 4096, creating OR d ? 'body', true);
	d := crm.check_external_id('note', p_id, d);
	IF creating THEN
		INSERT INTO crm.notes (owner_id, team_id, created_by, updated_by, body, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'body', d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.notes SET
			body = coalesce(d ->> 'body', body),
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id AND version = coalesce(p_version, version) AND deleted_at IS NULL
		  AND (owner_id = (SELECT crm.scope_own('note', 'update'))
		       OR (SELECT crm.scope_all('note', 'update'))
		       OR team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[])
		       OR id = ANY ((SELECT crm.shared_ids('note', true))::bigint[]));
		IF NOT FOUND THEN
			PERFORM crm.record_refuse('note', p_id, p_version, 'update');
		END IF;
	END IF;
	PERFORM crm.save_tags('note', id_, d, clr, creating);
	PERFORM crm.save_custom('note', id_, d, clr, creating);
	RETURN (SELECT v_.json FROM crm.note_out v_ WHERE v_.id = id_);
END
$function$;
COMMENT ON FUNCTION crm.note_save(bigint,bigint,jsonb,text[]) IS 'The note''s save function (crm.record_types.save_function): creates (p_id NULL) or updates a note from its JSON d, clearing clr; returns its JSON.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.note_save(bigint,bigint,jsonb,text[])
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.note_save(bigint,bigint,jsonb,text[])
TO crm_app;
