-- 0003_identity_api: the functions and views crmd's requests run for
-- identity, access, audit and the note fixture. Views are security_invoker,
-- so row-level security applies to whoever reads them; functions that must
-- act before or beyond the caller's rights (session checks, logins,
-- passwords) are SECURITY DEFINER with a pinned search_path and check the
-- acting user themselves. Column names match the protocol's field names,
-- so crmd maps rows to messages generically.

CREATE TABLE crm_meta.settings (
	name text PRIMARY KEY,
	value text NOT NULL
);
COMMENT ON TABLE crm_meta.settings IS
	'Installation-wide settings every crmd instance shares; cursor_key signs '
	'list cursors so a cursor from one instance is accepted by the others.';
INSERT INTO crm_meta.settings VALUES
	('cursor_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
GRANT SELECT ON crm_meta.settings TO crm_app;

CREATE FUNCTION crm.us(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;
COMMENT ON FUNCTION crm.us(timestamptz) IS 'Microseconds since the epoch, the protocol''s instant.';

CREATE FUNCTION crm.fail(p_code text, p_field text, p_msg text) RETURNS void
LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION '%', p_msg USING ERRCODE = p_code, COLUMN = coalesce(p_field, ''); END $$;

-- ------------------------------------------------------ request prologue

-- First statement of every request's transaction: sets the request's
-- context and, when a session token hash is given, validates the session
-- (live, not idle, user active), sets the acting user and checks the
-- role's permission for (p_type, p_action). Raises CRA01 / CRP01.
CREATE FUNCTION crm.begin_request(p_token_hash bytea, p_request_id text, p_addr text,
				  p_timeout text, p_type text, p_action text)
RETURNS TABLE (user_id bigint, username text, role text, session_id bigint, scope text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	s record;
BEGIN
	PERFORM set_config('crm.request_id', p_request_id, true),
		set_config('crm.client_addr', p_addr, true),
		set_config('statement_timeout', p_timeout, true),
		set_config('crm.user_id', '', true),
		set_config('crm.session_id', '', true);
	IF p_token_hash IS NULL THEN
		RETURN;
	END IF;
	SELECT se.id, se.user_id, u.username, u.role, se.last_used_at, se.idle_timeout INTO s
	FROM crm.sessions se JOIN crm.users u ON u.id = se.user_id
	WHERE se.token_hash = p_token_hash AND se.revoked_at IS NULL
	  AND se.expires_at > now() AND se.last_used_at + se.idle_timeout > now() AND u.active;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'session expired or revoked: log in again' USING ERRCODE = 'CRA01';
	END IF;
	-- Written at most once a minute (or per half idle timeout, if shorter),
	-- not on every request.
	IF s.last_used_at < now() - least(interval '1 minute', s.idle_timeout / 2) THEN
		UPDATE crm.sessions SET last_used_at = now() WHERE id = s.id;
	END IF;
	PERFORM set_config('crm.user_id', s.user_id::text, true),
		set_config('crm.session_id', s.id::text, true);
	scope := 'all';
	IF p_type IS NOT NULL THEN
		scope := crm.scope_of(p_type, p_action);
		IF scope = 'none' THEN
			RAISE EXCEPTION 'permission denied: role % may not % %', s.role, p_action,
				CASE p_type WHEN 'permission' THEN 'permissions' ELSE p_type || 's' END
				USING ERRCODE = 'CRP01';
		END IF;
	END IF;
	user_id := s.user_id;
	username := s.username;
	role := s.role;
	session_id := s.id;
	RETURN NEXT;
END
$$;

-- ------------------------------------------------------ logins

-- Before any password hashing: is this username or address locked out?
-- Returns the user's id and hash (NULL for an unknown or disabled user:
-- crmd then verifies against a dummy hash so timing reveals nothing).
CREATE FUNCTION crm.login_precheck(p_username text, p_addr text)
RETURNS TABLE (user_id bigint, password_hash text, wait_seconds integer)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	SELECT u.id, u.password_hash,
	       coalesce(ceil(extract(epoch FROM (SELECT max(t.locked_until) FROM crm.login_throttle t
		     WHERE ((t.kind = 'user' AND t.key = lower(p_username)) OR (t.kind = 'addr' AND t.key = p_addr))
		       AND t.locked_until > now()) - now()))::integer, 0)
	FROM (SELECT 1) AS one
	LEFT JOIN crm.users u ON u.username = lower(p_username) AND u.active
$$;

-- After verification: records the outcome. On success opens a session,
-- clears the counters and audits a login; on failure counts it against the
-- username and the address, locking out with a doubling delay past the
-- limits, and audits a failed login. Committed even though the login
-- request fails (the documented exception to "a failing request changes
-- nothing").
CREATE FUNCTION crm.login_finish(p_username text, p_addr text, p_user_id bigint, p_ok boolean,
				 p_token_hash bytea, p_client_name text, p_lifetime interval,
				 p_idle interval, p_max_user integer, p_max_addr integer,
				 p_lock_max interval)
RETURNS TABLE (session_id bigint, expires_at timestamptz, wait_seconds integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	k record;
	waited integer := 0;
BEGIN
	IF p_ok THEN
		-- Only the username's count: an address's decays by itself, so one
		-- valid account cannot reset the limit on guessing others.
		DELETE FROM crm.login_throttle WHERE kind = 'user' AND key = lower(p_username);
		PERFORM set_config('crm.user_id', p_user_id::text, true);
		INSERT INTO crm.sessions (token_hash, user_id, expires_at, idle_timeout, client_addr, client_name)
		VALUES (p_token_hash, p_user_id, now() + p_lifetime, p_idle, p_addr, p_client_name)
		RETURNING id, sessions.expires_at INTO session_id, expires_at;
		UPDATE crm.users SET last_login_at = now() WHERE id = p_user_id;
		PERFORM crm.audit_write('user', p_user_id, 'login', NULL,
			jsonb_build_object('session_id', session_id, 'client', p_client_name));
		wait_seconds := 0;
		RETURN NEXT;
		RETURN;
	END IF;
	FOR k IN SELECT * FROM (VALUES ('user', lower(p_username), p_max_user), ('addr', p_addr, p_max_addr)) AS v(kind, key, lim) LOOP
		INSERT INTO crm.login_throttle AS t (kind, key, failures, last_failure)
		VALUES (k.kind, k.key, 1, now())
		ON CONFLICT (kind, key) DO UPDATE
		SET failures = CASE WHEN t.last_failure < now() - interval '15 minutes' THEN 1 ELSE t.failures + 1 END,
		    last_failure = now(),
		    locked_until = CASE
			WHEN (CASE WHEN t.last_failure < now() - interval '15 minutes' THEN 1 ELSE t.failures + 1 END) >= k.lim
			THEN now() + least(p_lock_max, interval '1 second' * power(2, least(30,
				(CASE WHEN t.last_failure < now() - interval '15 minutes' THEN 1 ELSE t.failures + 1 END) - k.lim)))
			ELSE t.locked_until END;
	END LOOP;
	PERFORM crm.audit_write('user', p_user_id, 'login_failed', NULL,
		jsonb_build_object('username', p_username), NULL);
	SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0) INTO waited
	FROM crm.login_throttle t
	WHERE ((t.kind = 'user' AND t.key = lower(p_username)) OR (t.kind = 'addr' AND t.key = p_addr))
	  AND t.locked_until > now();
	session_id := NULL;
	expires_at := NULL;
	wait_seconds := waited;
	RETURN NEXT;
END
$$;

-- A new session for the acting user (after a password change, which ends
-- all the others).
CREATE FUNCTION crm.session_open(p_token_hash bytea, p_client_name text, p_lifetime interval, p_idle interval)
RETURNS TABLE (session_id bigint, expires_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	INSERT INTO crm.sessions (token_hash, user_id, expires_at, idle_timeout, client_addr, client_name)
	SELECT p_token_hash, crm.acting_user(), now() + p_lifetime, p_idle,
	       nullif(current_setting('crm.client_addr', true), ''), p_client_name
	WHERE crm.acting_user() IS NOT NULL
	RETURNING id, expires_at
$$;

-- The acting user's own password hash, to verify the old password.
CREATE FUNCTION crm.own_password_hash() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$ SELECT password_hash FROM crm.users WHERE id = crm.acting_user() AND active $$;

-- Sets a password hash: one's own (password_change), or anyone's with the
-- user admin scope (password_reset). Revokes the user's sessions.
CREATE FUNCTION crm.password_set(p_username text, p_hash text, p_action text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	target crm.users;
BEGIN
	SELECT * INTO target FROM crm.users WHERE username = lower(p_username);
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'username', format('no user named %s', p_username));
	END IF;
	IF NOT (p_action = 'password_change' AND target.id = crm.acting_user())
	   AND NOT crm.scope_all('user', 'admin') THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: only an administrator may reset another user''s password');
	END IF;
	-- The audit trigger records the change under this action (the hash
	-- itself is never recorded; password_changed_at is).
	PERFORM set_config('crm.audit_action', p_action, true);
	UPDATE crm.users SET password_hash = p_hash, password_changed_at = now(), updated_at = now()
	WHERE id = target.id;
	PERFORM set_config('crm.audit_action', '', true);
END
$$;

-- ------------------------------------------------------ output views

CREATE VIEW crm.user_out WITH (security_invoker = true) AS
SELECT u.id AS user_id, u.username, u.display_name, u.email, u.time_zone, u.locale, u.role,
       t.name AS team, u.active,
       ARRAY(SELECT mt.name FROM crm.team_managers m JOIN crm.teams mt ON mt.id = m.team_id
	     WHERE m.user_id = u.id ORDER BY mt.name) AS manages,
       crm.us(u.created_at) AS created_at, crm.us(u.updated_at) AS updated_at,
       crm.us(u.last_login_at) AS last_login_at, u.team_id
FROM crm.users u LEFT JOIN crm.teams t ON t.id = u.team_id;

CREATE VIEW crm.team_out WITH (security_invoker = true) AS
WITH RECURSIVE paths(id, path) AS (
	SELECT id, name FROM crm.teams WHERE parent_id IS NULL
	UNION ALL
	SELECT t.id, p.path || ' / ' || t.name FROM crm.teams t JOIN paths p ON t.parent_id = p.id)
SELECT t.id AS team_id, t.name, pt.name AS parent,
       (SELECT count(*) FROM crm.users u WHERE u.team_id = t.id AND u.active)::integer AS members,
       ARRAY(SELECT u.username FROM crm.team_managers m JOIN crm.users u ON u.id = m.user_id
	     WHERE m.team_id = t.id ORDER BY u.username) AS managers,
       p.path
FROM crm.teams t LEFT JOIN crm.teams pt ON pt.id = t.parent_id LEFT JOIN paths p ON p.id = t.id;

CREATE VIEW crm.role_out WITH (security_invoker = true) AS
SELECT r.name, r.description, r.builtin,
       (SELECT count(*) FROM crm.users u WHERE u.role = r.name AND u.active)::integer AS users
FROM crm.roles r;

CREATE VIEW crm.session_out WITH (security_invoker = true) AS
SELECT s.id AS session_id, u.username, crm.us(s.created_at) AS created_at,
       crm.us(s.last_used_at) AS last_used_at, crm.us(s.expires_at) AS expires_at,
       s.client_addr, s.client_name,
       s.id = nullif(current_setting('crm.session_id', true), '')::bigint AS current,
       s.user_id
FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id
WHERE s.revoked_at IS NULL AND s.expires_at > now() AND s.last_used_at + s.idle_timeout > now();

CREATE VIEW crm.audit_out WITH (security_invoker = true) AS
SELECT a.id AS audit_id, crm.us(a.at) AS at, a.username, a.request_id, a.client_addr,
       a.record_type, a.record_id, a.action, a.old_values::text AS old_values,
       a.new_values::text AS new_values, a.user_id, a.at AS at_ts
FROM crm.audit a;

CREATE VIEW crm.note_out WITH (security_invoker = true) AS
SELECT n.id AS note_id, n.body, crm.us(n.created_at) AS created_at, o.username AS owner,
       t.name AS team, n.version, crm.us(n.updated_at) AS updated_at,
       crm.us(n.deleted_at) AS deleted_at, n.deleted_at IS NOT NULL AS is_deleted
FROM crm.notes n LEFT JOIN crm.users o ON o.id = n.owner_id LEFT JOIN crm.teams t ON t.id = n.team_id;

GRANT SELECT ON crm.user_out, crm.team_out, crm.role_out, crm.session_out, crm.audit_out,
	crm.note_out TO crm_app;

-- ------------------------------------------------------ lookups

CREATE FUNCTION crm.team_id_of(p_name text, p_field text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r bigint;
BEGIN
	IF p_name IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT id INTO r FROM crm.teams WHERE lower(name) = lower(p_name);
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', p_field, format('no team named %s', p_name));
	END IF;
	RETURN r;
END
$$;

CREATE FUNCTION crm.user_id_of(p_name text, p_field text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r bigint;
BEGIN
	SELECT id INTO r FROM crm.users WHERE username = lower(p_name);
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', p_field, format('no user named %s', p_name));
	END IF;
	RETURN r;
END
$$;

CREATE FUNCTION crm.check_role(p_role text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_role IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.roles WHERE name = p_role) THEN
		PERFORM crm.fail('CRI01', 'role', format('unknown role %s (see crm role list)', p_role));
	END IF;
	RETURN p_role;
END
$$;

-- ------------------------------------------------------ users and teams

CREATE FUNCTION crm.user_create(p_username text, p_display_name text, p_email text, p_time_zone text,
				p_locale text, p_role text, p_team text, p_hash text)
RETURNS SETOF crm.user_out
LANGUAGE plpgsql
AS $$
DECLARE
	new_id bigint;
BEGIN
	IF p_username !~ '^[A-Za-z0-9._-]{1,64}$' THEN
		PERFORM crm.fail('CRI01', 'username', 'may contain only letters, digits, dot, underscore and hyphen (1 to 64)');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.users WHERE username = lower(p_username)) THEN
		PERFORM crm.fail('CRE01', 'username', format('user %s already exists', lower(p_username)));
	END IF;
	INSERT INTO crm.users (username, display_name, email, time_zone, locale, role, team_id,
			       password_hash, password_changed_at)
	VALUES (lower(p_username), coalesce(p_display_name, lower(p_username)), nullif(p_email, ''),
		coalesce(p_time_zone, 'UTC'), coalesce(p_locale, 'en-US'), crm.check_role(p_role),
		crm.team_id_of(p_team, 'team'), p_hash, CASE WHEN p_hash IS NOT NULL THEN now() END)
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = new_id;
END
$$;

CREATE FUNCTION crm.user_update(p_username text, p_display_name text, p_email text, p_time_zone text,
				p_locale text, p_role text, p_team text, p_manages text[], p_clear text[])
RETURNS SETOF crm.user_out
LANGUAGE plpgsql
AS $$
DECLARE
	uid bigint := crm.user_id_of(p_username, 'username');
	c text;
BEGIN
	FOREACH c IN ARRAY coalesce(p_clear, '{}') LOOP
		IF c NOT IN ('email', 'manages', 'team') THEN
			PERFORM crm.fail('CRI01', 'clear', format('cannot clear %s (only email, team, manages)', c));
		END IF;
	END LOOP;
	UPDATE crm.users SET
		display_name = coalesce(p_display_name, display_name),
		email = CASE WHEN 'email' = ANY (p_clear) THEN NULL ELSE coalesce(nullif(p_email, ''), email) END,
		time_zone = coalesce(p_time_zone, time_zone),
		locale = coalesce(p_locale, locale),
		role = coalesce(crm.check_role(p_role), role),
		team_id = CASE WHEN 'team' = ANY (p_clear) THEN NULL
			       ELSE coalesce(crm.team_id_of(p_team, 'team'), team_id) END
	WHERE id = uid;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: your role may not update users');
	END IF;
	IF 'manages' = ANY (p_clear) OR cardinality(p_manages) > 0 THEN
		DELETE FROM crm.team_managers WHERE user_id = uid;
		INSERT INTO crm.team_managers (team_id, user_id)
		SELECT DISTINCT crm.team_id_of(m, 'manages'), uid FROM unnest(coalesce(p_manages, '{}')) AS m;
	END IF;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = uid;
END
$$;

CREATE FUNCTION crm.user_set_active(p_username text, p_active boolean)
RETURNS SETOF crm.user_out
LANGUAGE plpgsql
AS $$
DECLARE
	uid bigint := crm.user_id_of(p_username, 'username');
BEGIN
	UPDATE crm.users SET active = p_active WHERE id = uid;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: your role may not update users');
	END IF;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = uid;
END
$$;

CREATE FUNCTION crm.team_create(p_name text, p_parent text)
RETURNS SETOF crm.team_out
LANGUAGE plpgsql
AS $$
DECLARE
	new_id bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM crm.teams WHERE lower(name) = lower(p_name)) THEN
		PERFORM crm.fail('CRE01', 'name', format('team %s already exists', p_name));
	END IF;
	INSERT INTO crm.teams (name, parent_id) VALUES (p_name, crm.team_id_of(p_parent, 'parent'))
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.team_out WHERE team_id = new_id;
END
$$;

CREATE FUNCTION crm.team_update(p_name text, p_new_name text, p_parent text, p_clear text[])
RETURNS SETOF crm.team_out
LANGUAGE plpgsql
AS $$
DECLARE
	tid bigint := crm.team_id_of(p_name, 'name');
BEGIN
	IF p_new_name IS NOT NULL AND EXISTS (SELECT 1 FROM crm.teams
			WHERE lower(name) = lower(p_new_name) AND id <> tid) THEN
		PERFORM crm.fail('CRE01', 'new_name', format('team %s already exists', p_new_name));
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(coalesce(p_clear, '{}')) c WHERE c <> 'parent') THEN
		PERFORM crm.fail('CRI01', 'clear', 'only parent can be cleared');
	END IF;
	UPDATE crm.teams SET
		name = coalesce(p_new_name, name),
		parent_id = CASE WHEN 'parent' = ANY (p_clear) THEN NULL
				 ELSE coalesce(crm.team_id_of(p_parent, 'parent'), parent_id) END
	WHERE id = tid;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: your role may not update teams');
	END IF;
	RETURN QUERY SELECT * FROM crm.team_out WHERE team_id = tid;
END
$$;

CREATE FUNCTION crm.permission_set(p_role text, p_type text, p_action text, p_scope text)
RETURNS TABLE (role text, record_type text, action text, scope text)
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM crm.check_role(p_role);
	IF p_role = 'admin' THEN
		PERFORM crm.fail('CRF01', 'role', 'the admin role''s permissions are fixed, so nobody can lock administrators out');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.record_types WHERE name = p_type) THEN
		PERFORM crm.fail('CRI01', 'record_type', format('unknown record type %s', p_type));
	END IF;
	UPDATE crm.permissions p SET scope = p_scope
	WHERE p.role = p_role AND p.record_type = p_type AND p.action = p_action;
	IF NOT FOUND THEN
		IF NOT crm.scope_all('permission', 'update') THEN
			PERFORM crm.fail('CRP01', NULL, 'permission denied: your role may not change permissions');
		END IF;
		-- A cell that did not exist yet.
		INSERT INTO crm.permissions (role, record_type, action, scope)
		VALUES (p_role, p_type, p_action, p_scope);
	END IF;
	RETURN QUERY SELECT p.role, p.record_type, p.action, p.scope FROM crm.permissions p
	WHERE p.role = p_role AND p.record_type = p_type AND p.action = p_action;
END
$$;
GRANT INSERT ON crm.permissions TO crm_app;

CREATE FUNCTION crm.session_revoke(p_id bigint) RETURNS SETOF crm.session_out
LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE crm.sessions SET revoked_at = now() WHERE id = p_id AND revoked_at IS NULL;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'session_id', format('no live session %s of yours', p_id));
	END IF;
	RETURN;
END
$$;

-- ------------------------------------------------------ notes

CREATE FUNCTION crm.note_create(p_body text) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO crm.notes (body, owner_id, team_id, created_by, updated_by)
	SELECT p_body, u.id, u.team_id, u.id, u.id FROM crm.users u WHERE u.id = crm.acting_user()
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = new_id;
END
$$;

-- Reports why a note could not be changed: not visible (NOT_FOUND, saying
-- nothing about whether it exists), stale version (CONFLICT), or visible
-- but outside the action's scope (PERMISSION_DENIED).
CREATE FUNCTION crm.note_refuse(p_id bigint, p_version bigint, p_action text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	v bigint;
	del boolean;
BEGIN
	SELECT version, deleted_at IS NOT NULL INTO v, del FROM crm.notes WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'note_id', format('no note %s', p_id));
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.fail('CRN01', 'note_id', format('note %s is deleted (crm note restore %s)', p_id, p_id));
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.fail('CRF01', 'note_id', format('note %s is not deleted', p_id));
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.fail('CRC01', 'version', format('note %s changed since you read it (version %s, now %s): reload and retry', p_id, p_version, v));
	END IF;
	PERFORM crm.fail('CRP01', NULL, format('permission denied: you may not %s note %s', p_action, p_id));
END
$$;

CREATE FUNCTION crm.note_update(p_id bigint, p_version bigint, p_body text) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
BEGIN
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
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = p_id;
END
$$;

CREATE FUNCTION crm.note_set_deleted(p_id bigint, p_deleted boolean) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
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
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = p_id;
END
$$;

-- Reassigning moves the team with the owner unless a team is given. The
-- new owner must be within the reassigning user's scope.
CREATE FUNCTION crm.note_reassign(p_id bigint, p_owner text, p_team text) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
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
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = p_id;
END
$$;

-- Shares need update rights on the note (not a share for editing).
CREATE FUNCTION crm.note_share(p_id bigint, p_user text, p_team text, p_access text, p_revoke boolean)
RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
DECLARE
	uid bigint := CASE WHEN p_user IS NOT NULL THEN crm.user_id_of(p_user, 'user') END;
	tid bigint := crm.team_id_of(p_team, 'team');
BEGIN
	PERFORM 1 FROM crm.notes
	WHERE id = p_id AND deleted_at IS NULL
	  AND (owner_id = (SELECT crm.scope_own('note', 'update'))
	       OR (SELECT crm.scope_all('note', 'update'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, NULL, 'share');
	END IF;
	IF p_revoke THEN
		DELETE FROM crm.shares
		WHERE record_type = 'note' AND record_id = p_id
		  AND user_id IS NOT DISTINCT FROM uid AND team_id IS NOT DISTINCT FROM tid;
	ELSIF uid IS NOT NULL THEN
		INSERT INTO crm.shares (record_type, record_id, user_id, access)
		VALUES ('note', p_id, uid, coalesce(p_access, 'read'))
		ON CONFLICT (record_type, record_id, user_id) WHERE user_id IS NOT NULL
		DO UPDATE SET access = EXCLUDED.access;
	ELSE
		INSERT INTO crm.shares (record_type, record_id, team_id, access)
		VALUES ('note', p_id, tid, coalesce(p_access, 'read'))
		ON CONFLICT (record_type, record_id, team_id) WHERE team_id IS NOT NULL
		DO UPDATE SET access = EXCLUDED.access;
	END IF;
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = p_id;
END
$$;
