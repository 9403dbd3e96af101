-- sql/modules/55_shares.sql: sharing a record with a user or a team, for
-- reading or editing, whatever its type.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.
--
-- The table crm.shares and the row-level security that reads it
-- (crm.shared_ids in crm.attach_rls) were generic from the start; these
-- functions are the one path that writes it, for every type with a table
-- in crm.record_types. Who may
-- share: whoever may update the record by the matrix (its owner, or a
-- role whose update scope covers it); a share for editing does not let
-- its holder share further. The policies of crm.shares (20_access.sql)
-- say the same. Each share granted, changed or revoked is audited twice
-- by triggers: as a row of type share, and as an update of the record
-- (key "share", trigger audit_record of 0012).

-- The record a share request is about, checked: its type has a table, the
-- caller can see it (an invisible record is "no such record", as a missing
-- id is), and for p_action 'share' it is live and the caller may update it
-- by the matrix. Returns the type's table.
CREATE OR REPLACE FUNCTION crm.share_target(p_type text, p_id bigint, p_action text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := (SELECT table_name FROM crm.record_types WHERE name = p_type);
	del boolean;
BEGIN
	IF t IS NULL THEN
		PERFORM crm.raise('CRI01', 'type', 'share.not_record_type_that_can', p_type::text, ((SELECT string_agg(name, ', ' ORDER BY name) FROM crm.record_types WHERE table_name IS NOT NULL))::text);
	END IF;
	EXECUTE format('SELECT deleted_at IS NOT NULL FROM %s WHERE id = $1', t) INTO del USING p_id;
	IF del IS NULL THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type::text, p_id::text);
	END IF;
	IF p_action = 'share' AND del THEN
		PERFORM crm.raise('CRF01', 'id', 'record.deleted_crm_restore', p_type::text, p_id::text, p_type::text, p_id::text);
	END IF;
	IF p_action = 'share' AND NOT crm.record_updatable(p_type, p_id) THEN
		PERFORM crm.raise('CRP01', NULL, 'share.permission_denied_you_not_share', p_type::text, p_id::text);
	END IF;
	RETURN t;
END
$function$;
COMMENT ON FUNCTION crm.share_target(text,bigint,text) IS 'Checks the record a share request names: a type with a table, visible to the caller (else no such record), and for p_action share live and updatable by the matrix. Returns the type''s table.';

-- Grants, changes or revokes one share of a record the caller has been
-- checked for (crm.share_target). Exactly one of p_user
-- and p_team; p_access read (default) or edit. Granting again with the
-- same access changes nothing; revoking a share that does not exist is
-- NOT_FOUND naming user or team.
CREATE OR REPLACE FUNCTION crm.share_apply(p_type text, p_id bigint, p_user text, p_team text, p_access text, p_revoke boolean)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	uid bigint := CASE WHEN p_user IS NOT NULL THEN crm.user_id_of(p_user, 'user') END;
	tid bigint := crm.team_id_of(p_team, 'team');
	acc text := coalesce(p_access, 'read');
BEGIN
	IF (uid IS NULL) = (tid IS NULL) THEN
		PERFORM crm.raise('CRI01', 'user', 'share.give_exactly_one_user_team');
	END IF;
	IF acc NOT IN ('read', 'edit') THEN
		PERFORM crm.raise('CRI01', 'access', 'share.must_read_edit');
	END IF;
	IF p_revoke THEN
		DELETE FROM crm.shares
		WHERE record_type = p_type AND record_id = p_id
		  AND user_id IS NOT DISTINCT FROM uid AND team_id IS NOT DISTINCT FROM tid;
		IF NOT FOUND THEN
			PERFORM crm.raise('CRN01', CASE WHEN uid IS NOT NULL THEN 'user' ELSE 'team' END, 'share.not_shared_with_nothing_revoke', p_type::text, p_id::text, (CASE WHEN uid IS NOT NULL THEN 'user' ELSE 'team' END)::text, coalesce(p_user, p_team)::text);
		END IF;
	ELSIF uid IS NOT NULL THEN
		INSERT INTO crm.shares AS s (record_type, record_id, user_id, access, shared_by)
		VALUES (p_type, p_id, uid, acc, crm.acting_user())
		ON CONFLICT (record_type, record_id, user_id) WHERE user_id IS NOT NULL
		DO UPDATE SET access = EXCLUDED.access, shared_by = EXCLUDED.shared_by
		WHERE s.access <> EXCLUDED.access;
	ELSE
		INSERT INTO crm.shares AS s (record_type, record_id, team_id, access, shared_by)
		VALUES (p_type, p_id, tid, acc, crm.acting_user())
		ON CONFLICT (record_type, record_id, team_id) WHERE team_id IS NOT NULL
		DO UPDATE SET access = EXCLUDED.access, shared_by = EXCLUDED.shared_by
		WHERE s.access <> EXCLUDED.access;
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.share_apply(text,bigint,text,text,text,boolean) IS 'Grants, changes or revokes one share (user or team, read or edit) of a record already checked; revoking one that does not exist fails naming user or team.';

-- A record's shares as crmd answers them: users first, then teams, by
-- name; times in microseconds.
CREATE OR REPLACE FUNCTION crm.share_rows(p_type text, p_id bigint)
 RETURNS TABLE("user" text, team text, access text, created_at bigint, shared_by text)
 LANGUAGE sql
 STABLE
AS $function$
	SELECT u.username, t.name, s.access, crm.us(s.created_at), b.username
	FROM crm.shares s
	LEFT JOIN crm.users u ON u.id = s.user_id
	LEFT JOIN crm.teams t ON t.id = s.team_id
	LEFT JOIN crm.users b ON b.id = s.shared_by
	WHERE s.record_type = p_type AND s.record_id = p_id
	ORDER BY s.user_id IS NULL, coalesce(u.username, t.name)
$function$;
COMMENT ON FUNCTION crm.share_rows(text,bigint) IS 'A record''s shares: user or team by name, access, when made (microseconds) and who shared it.';

-- RecordShare: one share granted, changed or revoked; answers the
-- record's shares after the change.
CREATE OR REPLACE FUNCTION crm.record_share(p_type text, p_id bigint, p_user text, p_team text, p_access text, p_revoke boolean)
 RETURNS TABLE("user" text, team text, access text, created_at bigint, shared_by text)
 LANGUAGE plpgsql
AS $function$
BEGIN
	PERFORM crm.share_target(p_type, p_id, 'share');
	PERFORM crm.share_apply(p_type, p_id, p_user, p_team, p_access, p_revoke);
	RETURN QUERY SELECT * FROM crm.share_rows(p_type, p_id);
END
$function$;
COMMENT ON FUNCTION crm.record_share(text,bigint,text,text,text,boolean) IS 'Shares a record with a user or a team (read or edit) or revokes that; needs the update permission on it by the matrix. Returns the record''s shares.';

-- ShareList: the shares of a record the caller can see.
CREATE OR REPLACE FUNCTION crm.share_list(p_type text, p_id bigint)
 RETURNS TABLE("user" text, team text, access text, created_at bigint, shared_by text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	PERFORM crm.share_target(p_type, p_id, 'list');
	RETURN QUERY SELECT * FROM crm.share_rows(p_type, p_id);
END
$function$;
COMMENT ON FUNCTION crm.share_list(text,bigint) IS 'The shares of a record the caller can see (else no such record).';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.share_target(text,bigint,text),
	crm.share_apply(text,bigint,text,text,text,boolean),
	crm.share_rows(text,bigint),
	crm.record_share(text,bigint,text,text,text,boolean),
	crm.share_list(text,bigint)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.share_target(text,bigint,text),
	crm.share_apply(text,bigint,text,text,text,boolean),
	crm.share_rows(text,bigint),
	crm.record_share(text,bigint,text,text,text,boolean),
	crm.share_list(text,bigint)
TO crm_app;
