-- sql/modules/80_notes.sql: notes, an ordinary record type: their save
-- function (crm.note_save; the record view crm.note_out is made by
-- crm.create_record_view), which the generic record requests reach through
-- the dispatchers crm.refresh_dispatch() generates (50_records.sql;
-- PL/pgSQL, so they find it when they run). What a new type's module
-- holds: its view and its save function, nothing else. The older note
-- requests and their functions are retired (0016_note_records.sql drops
-- them).
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

SELECT crm.create_record_view('note', 'crm.notes', $f$'body', r.body$f$);

-- The note's save function (crm.record_types.save_function), as
-- crm.account_save is the account's: its own column, the body, from the
-- change set d (external_id already checked by crm.record_save, which
-- also does the clear list, the update scope, tags and custom values).
-- Creates (p_id NULL) or updates the note crm.record_save has checked and
-- locked; returns its id. The body is multi-line text: line breaks and
-- tabs kept, other control and formatting characters refused
-- (crm.check_text); it cannot be cleared.
CREATE OR REPLACE FUNCTION crm.note_save(p_id bigint, d jsonb, clr text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
	id_ bigint := p_id;
BEGIN
	d := crm.clean_text(d, '{body}', 'note.body', 4096, p_id IS NULL OR d ? 'body', true);
	IF p_id IS NULL THEN
		INSERT INTO crm.notes (owner_id, team_id, created_by, updated_by, body, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'body', d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.notes SET
			body = coalesce(d ->> 'body', body),
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	RETURN id_;
END
$function$;
COMMENT ON FUNCTION crm.note_save(bigint,jsonb,text[]) IS 'The note''s save function (crm.record_types.save_function): writes a note''s own columns from its JSON d, clearing clr, creating it when p_id is NULL; returns its id.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.note_save(bigint,jsonb,text[])
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.note_save(bigint,jsonb,text[])
TO crm_app;
