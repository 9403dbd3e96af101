-- sql/modules/80_notes.sql: notes, an ordinary record type: their record
-- view (crm.note_v1_out, made by crm.create_record_view) and save function
-- (crm.note_save), which the generic record requests reach through the
-- dispatchers crm.refresh_dispatch() generates (50_records.sql; PL/pgSQL,
-- so they find these when they run). Then the functions of the older note
-- requests (note_create, note_get, ...; server/handlers/notes.c), over
-- crm.note_v1_out, their rows' shape, until those requests are retired.
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

-- ------------------------------------------------------------ the older note requests

CREATE OR REPLACE VIEW crm.note_v1_out WITH (security_invoker = true) AS
SELECT n.id AS note_id, n.body, crm.us(n.created_at) AS created_at, o.username AS owner,
       t.name AS team, n.version, crm.us(n.updated_at) AS updated_at,
       crm.us(n.deleted_at) AS deleted_at, n.deleted_at IS NOT NULL AS is_deleted
FROM crm.notes n LEFT JOIN crm.users o ON o.id = n.owner_id LEFT JOIN crm.teams t ON t.id = n.team_id;

COMMENT ON VIEW crm.note_v1_out IS
	'Notes as the older note requests return them (crm.note_out is the record view): times in microseconds since 1970, owner and team by name.';
COMMENT ON COLUMN crm.note_v1_out.note_id IS 'The note''s id.';
COMMENT ON COLUMN crm.note_v1_out.body IS 'The note''s text.';
COMMENT ON COLUMN crm.note_v1_out.created_at IS 'When the note was created (microseconds since 1970).';
COMMENT ON COLUMN crm.note_v1_out.owner IS 'The owner''s user name.';
COMMENT ON COLUMN crm.note_v1_out.team IS 'The note''s team by name.';
COMMENT ON COLUMN crm.note_v1_out.version IS 'The note''s version.';
COMMENT ON COLUMN crm.note_v1_out.updated_at IS 'When the note was last changed (microseconds since 1970).';
COMMENT ON COLUMN crm.note_v1_out.deleted_at IS 'When the note was soft-deleted (microseconds since 1970); NULL when live.';
COMMENT ON COLUMN crm.note_v1_out.is_deleted IS 'Whether the note is soft-deleted.';
GRANT SELECT ON crm.note_v1_out TO crm_app;

CREATE OR REPLACE FUNCTION crm.note_set_deleted(p_id bigint, p_deleted boolean)
 RETURNS SETOF crm.note_v1_out
 LANGUAGE plpgsql
AS $function$
BEGIN
	UPDATE crm.notes SET deleted_at = CASE WHEN p_deleted THEN now() END, version = version + 1,
		updated_at = now(), updated_by = crm.acting_user()
	WHERE id = p_id AND (deleted_at IS NULL) = p_deleted
	  AND (owner_id = (SELECT crm.scope_own('note', 'delete'))
	       OR (SELECT crm.scope_all('note', 'delete'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'delete'))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, NULL, CASE WHEN p_deleted THEN 'delete' ELSE 'restore' END);
	END IF;
	RETURN QUERY SELECT * FROM crm.note_v1_out WHERE note_id = p_id;
END
$function$;

-- Reassigning moves the team with the owner unless a team is given. The
-- new owner must be within the reassigning user's scope.
CREATE OR REPLACE FUNCTION crm.note_reassign(p_id bigint, p_owner text, p_team text)
 RETURNS SETOF crm.note_v1_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	new_owner record;
	new_team bigint;
BEGIN
	SELECT id, username, team_id INTO new_owner FROM crm.users
	WHERE username = lower(p_owner) AND active;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'owner', format('no active user named %s', p_owner));
	END IF;
	new_team := coalesce(crm.team_id_of(p_team, 'team'), new_owner.team_id);
	IF NOT ((SELECT crm.scope_all('note', 'reassign'))
		OR new_team = ANY ((SELECT crm.scope_teams('note', 'reassign'))::bigint[])
		OR (new_owner.id = crm.acting_user() AND (SELECT crm.scope_of('note', 'reassign')) <> 'none')) THEN
		PERFORM crm.fail('CRP01', 'owner', format('permission denied: %s is outside the teams you may reassign to', new_owner.username));
	END IF;
	UPDATE crm.notes SET owner_id = new_owner.id, team_id = new_team, version = version + 1,
		updated_at = now(), updated_by = crm.acting_user()
	WHERE id = p_id AND deleted_at IS NULL
	  AND (owner_id = (SELECT crm.scope_own('note', 'reassign'))
	       OR (SELECT crm.scope_all('note', 'reassign'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'reassign'))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, NULL, 'reassign');
	END IF;
	RETURN QUERY SELECT * FROM crm.note_v1_out WHERE note_id = p_id;
END
$function$;

-- Shares need update rights on the note (not a share for editing); the
-- share itself is written by the generic path (crm.share_apply in
-- 55_shares.sql), as crm.record_share does for every other type.
CREATE OR REPLACE FUNCTION crm.note_share(p_id bigint, p_user text, p_team text, p_access text, p_revoke boolean)
 RETURNS SETOF crm.note_v1_out
 LANGUAGE plpgsql
AS $function$
BEGIN
	PERFORM 1 FROM crm.notes
	WHERE id = p_id AND deleted_at IS NULL
	  AND (owner_id = (SELECT crm.scope_own('note', 'update'))
	       OR (SELECT crm.scope_all('note', 'update'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, NULL, 'share');
	END IF;
	PERFORM crm.share_apply('note', p_id, p_user, p_team, p_access, p_revoke);
	RETURN QUERY SELECT * FROM crm.note_v1_out WHERE note_id = p_id;
END
$function$;

CREATE OR REPLACE FUNCTION crm.note_refuse(p_id bigint, p_version bigint, p_action text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	v bigint;
	del boolean;
BEGIN
	SELECT version, deleted_at IS NOT NULL INTO v, del FROM crm.notes WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'note_id', format('no note %s', p_id));
	ELSIF del AND p_action = 'delete' THEN
		PERFORM crm.fail('CRF01', 'note_id', format('note %s is already deleted', p_id));
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.fail('CRN01', 'note_id', format('note %s is deleted (crm note restore %s)', p_id, p_id));
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.fail('CRF01', 'note_id', format('note %s is not deleted', p_id));
	ELSIF p_version IS NOT NULL AND p_version > v THEN
		PERFORM crm.fail('CRC01', 'version', format('note %s has no version %s: its version is %s', p_id, p_version, v));
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.fail('CRC01', 'version', format('note %s changed since you read it (version %s, now %s): reload and retry', p_id, p_version, v));
	END IF;
	PERFORM crm.fail('CRP01', NULL, format('permission denied: you may not %s note %s', p_action, p_id));
END
$function$;

-- A note's body is multi-line text: line breaks and tabs kept, other
-- control and formatting characters refused (crm.check_text).
CREATE OR REPLACE FUNCTION crm.note_create(p_body text)
 RETURNS SETOF crm.note_v1_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	new_id bigint;
BEGIN
	PERFORM crm.check_text(p_body, 'body', 4096, true, true);
	INSERT INTO crm.notes (body, owner_id, team_id, created_by, updated_by)
	SELECT p_body, u.id, u.team_id, u.id, u.id FROM crm.users u WHERE u.id = crm.acting_user()
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.note_v1_out WHERE note_id = new_id;
END
$function$;

CREATE OR REPLACE FUNCTION crm.note_update(p_id bigint, p_version bigint, p_body text)
 RETURNS SETOF crm.note_v1_out
 LANGUAGE plpgsql
AS $function$
BEGIN
	PERFORM crm.check_text(p_body, 'body', 4096, true, true);
	UPDATE crm.notes SET body = p_body, version = version + 1, updated_at = now(),
		updated_by = crm.acting_user()
	WHERE id = p_id AND version = p_version AND deleted_at IS NULL
	  AND (owner_id = (SELECT crm.scope_own('note', 'update'))
	       OR (SELECT crm.scope_all('note', 'update'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[])
	       OR id = ANY ((SELECT crm.shared_ids('note', true))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, p_version, 'update');
	END IF;
	RETURN QUERY SELECT * FROM crm.note_v1_out WHERE note_id = p_id;
END
$function$;

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.note_save(bigint,bigint,jsonb,text[]),
	crm.note_set_deleted(bigint,boolean),
	crm.note_reassign(bigint,text,text),
	crm.note_share(bigint,text,text,text,boolean),
	crm.note_refuse(bigint,bigint,text),
	crm.note_create(text),
	crm.note_update(bigint,bigint,text)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.note_save(bigint,bigint,jsonb,text[]),
	crm.note_set_deleted(bigint,boolean),
	crm.note_reassign(bigint,text,text),
	crm.note_share(bigint,text,text,text,boolean),
	crm.note_refuse(bigint,bigint,text),
	crm.note_create(text),
	crm.note_update(bigint,bigint,text)
TO crm_app;
