-- sql/modules/30_identity.sql: users, teams, roles, permissions,
-- sessions, logins and passwords.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

CREATE OR REPLACE FUNCTION crm.teams_no_cycle()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	IF NEW.parent_id IS NOT NULL AND EXISTS (
		WITH RECURSIVE up(id) AS (
			SELECT NEW.parent_id
			UNION
			SELECT t.parent_id FROM crm.teams t JOIN up ON t.id = up.id
			WHERE t.parent_id IS NOT NULL)
		SELECT 1 FROM up WHERE id = NEW.id) THEN
		PERFORM crm.raise('CRI01', 'parent', 'identity.team_cycle', NEW.name);
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION crm.users_check()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	-- pg_timezone_names reads the zone files: only look when the zone changes.
	IF NEW.time_zone <> 'UTC'
	   AND (TG_OP = 'INSERT' OR NEW.time_zone IS DISTINCT FROM OLD.time_zone)
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = NEW.time_zone) THEN
		PERFORM crm.raise('CRI01', 'time_zone', 'identity.unknown_time_zone', NEW.time_zone);
	END IF;
	IF TG_OP = 'UPDATE' THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END
$function$;

-- The last active admin can be neither disabled nor demoted. The advisory
-- lock serialises concurrent attempts so two admins cannot demote each other.
CREATE OR REPLACE FUNCTION crm.users_keep_admin()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF OLD.role = 'admin' AND OLD.active
	   AND (TG_OP = 'DELETE' OR NEW.role <> 'admin' OR NOT NEW.active) THEN
		PERFORM pg_advisory_xact_lock(hashtext('crm.last_admin'));
		IF NOT EXISTS (SELECT 1 FROM crm.users
			       WHERE role = 'admin' AND active AND id <> OLD.id) THEN
			PERFORM crm.raise('CRF01', 'username', 'identity.last_admin', OLD.username);
		END IF;
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$function$;

DROP POLICY IF EXISTS select_scope ON crm.sessions;
CREATE POLICY select_scope ON crm.sessions FOR SELECT TO crm_app
	USING (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'read')));

DROP POLICY IF EXISTS update_scope ON crm.sessions;
CREATE POLICY update_scope ON crm.sessions FOR UPDATE TO crm_app
	USING (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'delete')))
	WITH CHECK (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'delete')));

DROP POLICY IF EXISTS owner_all ON crm.sessions;
CREATE POLICY owner_all ON crm.sessions TO crm_owner USING (true) WITH CHECK (true);

DROP POLICY IF EXISTS owner_all ON crm.login_throttle;
CREATE POLICY owner_all ON crm.login_throttle TO crm_owner USING (true) WITH CHECK (true);

CREATE OR REPLACE VIEW crm.user_out WITH (security_invoker = true) AS
SELECT u.id AS user_id, u.username, u.display_name, u.email, u.time_zone, u.locale, u.role,
       t.name AS team, u.active,
       ARRAY(SELECT mt.name FROM crm.team_managers m JOIN crm.teams mt ON mt.id = m.team_id
	     WHERE m.user_id = u.id ORDER BY mt.name) AS manages,
       crm.us(u.created_at) AS created_at, crm.us(u.updated_at) AS updated_at,
       crm.us(u.last_login_at) AS last_login_at, u.team_id
FROM crm.users u LEFT JOIN crm.teams t ON t.id = u.team_id;

COMMENT ON VIEW crm.user_out IS
	'Users as crmd returns them, without secrets: team by name, managed teams, times in microseconds since 1970.';
COMMENT ON COLUMN crm.user_out.user_id IS 'The user''s id.';
COMMENT ON COLUMN crm.user_out.username IS 'Login name.';
COMMENT ON COLUMN crm.user_out.display_name IS 'The name shown to others.';
COMMENT ON COLUMN crm.user_out.email IS 'E-mail address.';
COMMENT ON COLUMN crm.user_out.time_zone IS 'IANA time zone name.';
COMMENT ON COLUMN crm.user_out.locale IS 'Locale for texts and formats.';
COMMENT ON COLUMN crm.user_out.role IS 'The user''s role.';
COMMENT ON COLUMN crm.user_out.team IS 'The user''s team by name.';
COMMENT ON COLUMN crm.user_out.active IS 'Whether the user can log in.';
COMMENT ON COLUMN crm.user_out.manages IS 'Names of the teams the user manages, sorted.';
COMMENT ON COLUMN crm.user_out.created_at IS 'When the user was created (microseconds since 1970).';
COMMENT ON COLUMN crm.user_out.updated_at IS 'When the user was last changed (microseconds since 1970).';
COMMENT ON COLUMN crm.user_out.last_login_at IS 'When the user last logged in (microseconds since 1970).';
COMMENT ON COLUMN crm.user_out.team_id IS 'The user''s team''s id.';
GRANT SELECT ON crm.user_out TO crm_app;

CREATE OR REPLACE VIEW crm.team_out WITH (security_invoker = true) AS
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

COMMENT ON VIEW crm.team_out IS
	'Teams as crmd returns them: parent by name, active members, managers and the path from the top.';
COMMENT ON COLUMN crm.team_out.team_id IS 'The team''s id.';
COMMENT ON COLUMN crm.team_out.name IS 'The team''s name.';
COMMENT ON COLUMN crm.team_out.parent IS 'The parent team''s name; NULL for a top-level team.';
COMMENT ON COLUMN crm.team_out.members IS 'How many active users are in the team.';
COMMENT ON COLUMN crm.team_out.managers IS 'User names of the team''s managers, sorted.';
COMMENT ON COLUMN crm.team_out.path IS 'The team''s names from the top team down, separated by " / ".';
GRANT SELECT ON crm.team_out TO crm_app;

CREATE OR REPLACE VIEW crm.role_out WITH (security_invoker = true) AS
SELECT r.name, r.description, r.builtin,
       (SELECT count(*) FROM crm.users u WHERE u.role = r.name AND u.active)::integer AS users
FROM crm.roles r;

COMMENT ON VIEW crm.role_out IS
	'Roles as crmd returns them, with the number of active users holding each.';
COMMENT ON COLUMN crm.role_out.name IS 'The role''s name.';
COMMENT ON COLUMN crm.role_out.description IS 'What the role is for.';
COMMENT ON COLUMN crm.role_out.builtin IS 'One of the six roles the schema ships with.';
COMMENT ON COLUMN crm.role_out.users IS 'How many active users hold the role.';
GRANT SELECT ON crm.role_out TO crm_app;

CREATE OR REPLACE FUNCTION crm.team_id_of(p_name text, p_field text)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	r bigint;
BEGIN
	IF p_name IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT id INTO r FROM crm.teams WHERE lower(name) = lower(p_name);
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', p_field, 'identity.no_team_named', p_name::text);
	END IF;
	RETURN r;
END
$function$;

CREATE OR REPLACE FUNCTION crm.user_id_of(p_name text, p_field text)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	r bigint;
BEGIN
	SELECT id INTO r FROM crm.users WHERE username = lower(p_name);
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', p_field, 'identity.no_user_named', p_name::text);
	END IF;
	RETURN r;
END
$function$;

CREATE OR REPLACE FUNCTION crm.check_role(p_role text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_role IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.roles WHERE name = p_role) THEN
		PERFORM crm.raise('CRI01', 'role', 'identity.unknown_role_see_crm_role', p_role::text);
	END IF;
	RETURN p_role;
END
$function$;

CREATE OR REPLACE FUNCTION crm.user_create(p_username text, p_display_name text, p_email text, p_time_zone text, p_locale text, p_role text, p_team text, p_hash text)
 RETURNS SETOF crm.user_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	dn text := crm.check_text(p_display_name, 'display_name', 256, p_display_name IS NOT NULL);
	new_id bigint;
BEGIN
	IF p_username !~ '^[A-Za-z0-9._-]{1,64}$' THEN
		PERFORM crm.raise('CRI01', 'username', 'identity.username_format');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.users WHERE username = lower(p_username)) THEN
		PERFORM crm.raise('CRE01', 'username', 'identity.user_already_exists', lower(p_username)::text);
	END IF;
	INSERT INTO crm.users (username, display_name, email, time_zone, locale, role, team_id,
			       password_hash, password_changed_at)
	VALUES (lower(p_username), coalesce(dn, lower(p_username)), nullif(p_email, ''),
		coalesce(p_time_zone, 'UTC'), coalesce(p_locale, 'en-US'), crm.check_role(p_role),
		crm.team_id_of(p_team, 'team'), p_hash, CASE WHEN p_hash IS NOT NULL THEN now() END)
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = new_id;
END
$function$;

CREATE OR REPLACE FUNCTION crm.user_update(p_username text, p_display_name text, p_email text, p_time_zone text, p_locale text, p_role text, p_team text, p_manages text[], p_clear text[])
 RETURNS SETOF crm.user_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	uid bigint := crm.user_id_of(p_username, 'username');
	dn text := crm.check_text(p_display_name, 'display_name', 256, p_display_name IS NOT NULL);
	c text;
BEGIN
	FOREACH c IN ARRAY coalesce(p_clear, '{}') LOOP
		IF c NOT IN ('email', 'manages', 'team') THEN
			PERFORM crm.raise('CRI01', 'clear', 'identity.cannot_clear_only_email_team', c::text);
		END IF;
	END LOOP;
	UPDATE crm.users SET
		display_name = coalesce(dn, display_name),
		email = CASE WHEN 'email' = ANY (p_clear) THEN NULL ELSE coalesce(nullif(p_email, ''), email) END,
		time_zone = coalesce(p_time_zone, time_zone),
		locale = coalesce(p_locale, locale),
		role = coalesce(crm.check_role(p_role), role),
		team_id = CASE WHEN 'team' = ANY (p_clear) THEN NULL
			       ELSE coalesce(crm.team_id_of(p_team, 'team'), team_id) END
	WHERE id = uid;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRP01', NULL, 'identity.denied_update_users');
	END IF;
	IF 'manages' = ANY (p_clear) OR cardinality(p_manages) > 0 THEN
		DELETE FROM crm.team_managers WHERE user_id = uid;
		INSERT INTO crm.team_managers (team_id, user_id)
		SELECT DISTINCT crm.team_id_of(m, 'manages'), uid FROM unnest(coalesce(p_manages, '{}')) AS m;
	END IF;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = uid;
END
$function$;

CREATE OR REPLACE FUNCTION crm.user_set_active(p_username text, p_active boolean)
 RETURNS SETOF crm.user_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	uid bigint := crm.user_id_of(p_username, 'username');
BEGIN
	UPDATE crm.users SET active = p_active WHERE id = uid;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRP01', NULL, 'identity.denied_update_users');
	END IF;
	RETURN QUERY SELECT * FROM crm.user_out WHERE user_id = uid;
END
$function$;

CREATE OR REPLACE FUNCTION crm.team_update(p_name text, p_new_name text, p_parent text, p_clear text[])
 RETURNS SETOF crm.team_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	tid bigint := crm.team_id_of(p_name, 'name');
	nn text := crm.check_text(p_new_name, 'new_name', 128, p_new_name IS NOT NULL);
BEGIN
	IF nn IS NOT NULL AND EXISTS (SELECT 1 FROM crm.teams
			WHERE lower(name) = lower(nn) AND id <> tid) THEN
		PERFORM crm.raise('CRE01', 'new_name', 'identity.team_already_exists', nn::text);
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(coalesce(p_clear, '{}')) c WHERE c <> 'parent') THEN
		PERFORM crm.raise('CRI01', 'clear', 'identity.only_parent_can_cleared');
	END IF;
	UPDATE crm.teams SET
		name = coalesce(nn, name),
		parent_id = CASE WHEN 'parent' = ANY (p_clear) THEN NULL
				 ELSE coalesce(crm.team_id_of(p_parent, 'parent'), parent_id) END
	WHERE id = tid;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRP01', NULL, 'identity.denied_update_teams');
	END IF;
	RETURN QUERY SELECT * FROM crm.team_out WHERE team_id = tid;
END
$function$;

CREATE OR REPLACE FUNCTION crm.permission_set(p_role text, p_type text, p_action text, p_scope text)
 RETURNS TABLE(role text, record_type text, action text, scope text)
 LANGUAGE plpgsql
AS $function$
BEGIN
	PERFORM crm.check_role(p_role);
	IF p_role = 'admin' THEN
		PERFORM crm.raise('CRF01', 'role', 'identity.admin_role_permissions_are_fixed');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.record_types WHERE name = p_type) THEN
		PERFORM crm.raise('CRI01', 'record_type', 'identity.unknown_record_type', p_type::text);
	END IF;
	UPDATE crm.permissions p SET scope = p_scope
	WHERE p.role = p_role AND p.record_type = p_type AND p.action = p_action;
	IF NOT FOUND THEN
		IF NOT crm.scope_all('permission', 'update') THEN
			PERFORM crm.raise('CRP01', NULL, 'identity.denied_change_permissions');
		END IF;
		-- A cell that did not exist yet.
		INSERT INTO crm.permissions (role, record_type, action, scope)
		VALUES (p_role, p_type, p_action, p_scope);
	END IF;
	RETURN QUERY SELECT p.role, p.record_type, p.action, p.scope FROM crm.permissions p
	WHERE p.role = p_role AND p.record_type = p_type AND p.action = p_action;
END
$function$;

CREATE OR REPLACE FUNCTION crm.session_revoke(p_id bigint)
 RETURNS SETOF crm.session_out
 LANGUAGE plpgsql
AS $function$
BEGIN
	UPDATE crm.sessions SET revoked_at = now() WHERE id = p_id AND revoked_at IS NULL;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'session_id', 'identity.no_live_session_yours', p_id::text);
	END IF;
	RETURN;
END
$function$;

CREATE OR REPLACE FUNCTION crm.user_name(p_id bigint)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ SELECT username FROM crm.users WHERE id = p_id $function$;

CREATE OR REPLACE FUNCTION crm.users_revoke_sessions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	outer_action text := crm.context_audit_action();
BEGIN
	IF (OLD.active AND NOT NEW.active) OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
		PERFORM crm.context_audit_action('revoke');
		UPDATE crm.sessions SET revoked_at = now()
		WHERE user_id = NEW.id AND revoked_at IS NULL;
		PERFORM crm.context_audit_action(outer_action);
	END IF;
	RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION crm.login_known_addr(p_username text, p_addr text)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	SELECT EXISTS (SELECT 1 FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id
		       WHERE u.username = lower(p_username) AND s.client_addr = p_addr
			 AND s.created_at > now() - interval '30 days')
$function$;
COMMENT ON FUNCTION crm.login_known_addr(text,text) IS 'Whether a session of the user was opened from the address in the last 30 days (such an address is exempt from the hourly cap).';

-- Before any password hashing: may this username try from this address?
-- Returns the user's id and hash (NULL for an unknown or disabled user:
-- crmd then verifies against a dummy hash so timing reveals nothing), the
-- seconds to wait (0: go ahead) and why: 'lockout' (this pair or this
-- address) or 'cap' (the user's hourly cap, from an unfamiliar address).
CREATE OR REPLACE FUNCTION crm.login_precheck(p_username text, p_addr text, p_cap integer)
 RETURNS TABLE(user_id bigint, password_hash text, wait_seconds integer, reason text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	lock_until timestamptz;
	cap_until timestamptz;
BEGIN
	SELECT u.id, u.password_hash INTO user_id, password_hash
	FROM crm.users u WHERE u.username = lower(p_username) AND u.active;
	SELECT max(t.locked_until) INTO lock_until FROM crm.login_throttle t
	WHERE ((t.kind = 'pair' AND t.key = lower(p_username) || ' ' || p_addr)
	       OR (t.kind = 'addr' AND t.key = p_addr)) AND t.locked_until > now();
	SELECT t.window_start + interval '1 hour' INTO cap_until FROM crm.login_throttle t
	WHERE t.kind = 'user' AND t.key = lower(p_username) AND t.failures >= p_cap
	  AND t.window_start > now() - interval '1 hour';
	wait_seconds := 0;
	reason := NULL;
	IF lock_until IS NOT NULL THEN
		wait_seconds := ceil(extract(epoch FROM lock_until - now()))::integer;
		reason := 'lockout';
	ELSIF cap_until IS NOT NULL AND NOT crm.login_known_addr(p_username, p_addr) THEN
		wait_seconds := ceil(extract(epoch FROM cap_until - now()))::integer;
		reason := 'cap';
	END IF;
	wait_seconds := greatest(wait_seconds, CASE WHEN reason IS NULL THEN 0 ELSE 1 END);
	RETURN NEXT;
END
$function$;

-- After verification: records the outcome. On success opens a session,
-- clears the pair's count and audits a login; the new session's user
-- becomes the context's acting user, so the rest of the transaction (the
-- reply's user row) acts for them. On failure counts it (pair, address,
-- the user's hour), locking out with a doubling delay past the limits,
-- and audits a failed login under the attempted username; the failure
-- that reaches the hourly cap is audited too (login_capped) and reported
-- (capped) so crmd logs a warning. Committed even though the login
-- request fails (the documented exception to "a failing request changes
-- nothing").
CREATE OR REPLACE FUNCTION crm.login_finish(p_username text, p_addr text, p_user_id bigint, p_ok boolean, p_token_hash bytea, p_client_name text, p_lifetime interval, p_idle interval, p_max_pair integer, p_max_addr integer, p_lock_max interval, p_cap integer)
 RETURNS TABLE(session_id bigint, expires_at timestamp with time zone, wait_seconds integer, capped boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	k record;
	n integer;
	name_ text := lower(p_username);
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL
	   OR NOT EXISTS (SELECT 1 FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned()) THEN
		PERFORM crm.raise('CRA01', NULL, 'identity.no_request_context');
	END IF;
	capped := false;
	IF p_ok THEN
		DELETE FROM crm.login_throttle WHERE kind = 'pair' AND key = name_ || ' ' || p_addr;
		UPDATE pg_temp.crm_context c
		SET user_id = u.id, username = u.username, role = u.role
		FROM crm.users u WHERE u.id = p_user_id AND c.xact = pg_catalog.pg_current_xact_id_if_assigned();
		INSERT INTO crm.sessions AS se (token_hash, user_id, expires_at, idle_timeout, client_addr, client_name)
		VALUES (p_token_hash, p_user_id, now() + p_lifetime, p_idle, p_addr, p_client_name)
		RETURNING se.id, se.expires_at INTO session_id, expires_at;
		UPDATE pg_temp.crm_context c SET session_id = login_finish.session_id WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
		UPDATE crm.users SET last_login_at = now() WHERE id = p_user_id;
		PERFORM crm.audit_write('user', p_user_id, 'login', NULL,
			jsonb_build_object('session_id', session_id, 'client', p_client_name));
		wait_seconds := 0;
		RETURN NEXT;
		RETURN;
	END IF;
	FOR k IN SELECT * FROM (VALUES ('pair', name_ || ' ' || p_addr, p_max_pair),
				       ('addr', p_addr, p_max_addr)) AS v(kind, key, lim) LOOP
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
	INSERT INTO crm.login_throttle AS t (kind, key, failures, last_failure, window_start)
	VALUES ('user', name_, 1, now(), now())
	ON CONFLICT (kind, key) DO UPDATE
	SET failures = CASE WHEN t.window_start > now() - interval '1 hour' THEN t.failures + 1 ELSE 1 END,
	    window_start = CASE WHEN t.window_start > now() - interval '1 hour' THEN t.window_start ELSE now() END,
	    last_failure = now()
	RETURNING t.failures INTO n;
	PERFORM crm.audit_write('user', p_user_id, 'login_failed', NULL,
		jsonb_build_object('username', p_username), NULL, name_);
	IF n = p_cap THEN
		capped := true;
		PERFORM crm.audit_write('user', p_user_id, 'login_capped', NULL,
			jsonb_build_object('username', name_, 'failures_last_hour', n,
					   'until', now() + interval '1 hour'), NULL, name_);
	END IF;
	SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0) INTO wait_seconds
	FROM crm.login_throttle t
	WHERE ((t.kind = 'pair' AND t.key = name_ || ' ' || p_addr) OR (t.kind = 'addr' AND t.key = p_addr))
	  AND t.locked_until > now();
	session_id := NULL;
	expires_at := NULL;
	RETURN NEXT;
END
$function$;

-- A new session for the acting user (after a password change, which ends
-- all the others). The client address is the context's.
CREATE OR REPLACE FUNCTION crm.session_open(p_token_hash bytea, p_client_name text, p_lifetime interval, p_idle interval)
 RETURNS TABLE(session_id bigint, expires_at timestamp with time zone)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF crm.acting_user() IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY
	INSERT INTO crm.sessions AS se (token_hash, user_id, expires_at, idle_timeout, client_addr, client_name)
	SELECT p_token_hash, c.user_id, now() + p_lifetime, p_idle, c.client_addr, p_client_name
	FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned()
	RETURNING se.id, se.expires_at;
END
$function$;

CREATE OR REPLACE FUNCTION crm.own_password_hash()
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$ SELECT u.password_hash FROM crm.users u WHERE u.id = crm.acting_user() AND u.active $function$;

CREATE OR REPLACE FUNCTION crm.password_set(p_username text, p_hash text, p_action text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	target crm.users;
BEGIN
	SELECT * INTO target FROM crm.users WHERE username = lower(p_username);
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'username', 'identity.no_user_named', p_username::text);
	END IF;
	IF p_action NOT IN ('password_change', 'password_reset') THEN
		PERFORM crm.raise('CRI01', 'action', 'identity.password_action');
	END IF;
	IF NOT (p_action = 'password_change' AND target.id = crm.acting_user())
	   AND NOT crm.scope_all('user', 'admin') THEN
		PERFORM crm.raise('CRP01', NULL, 'identity.permission_denied_only_administrator_reset');
	END IF;
	PERFORM crm.context_audit_action(p_action);
	UPDATE crm.users SET password_hash = p_hash, password_changed_at = now(), updated_at = now()
	WHERE id = target.id;
	PERFORM crm.context_audit_action(NULL);
END
$function$;

CREATE OR REPLACE VIEW crm.session_out WITH (security_invoker = true) AS
SELECT s.id AS session_id, u.username, crm.us(s.created_at) AS created_at,
       crm.us(s.last_used_at) AS last_used_at, crm.us(s.expires_at) AS expires_at,
       s.client_addr, s.client_name,
       s.id = crm.acting_session() AS current,
       s.user_id
FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id
WHERE s.revoked_at IS NULL AND s.expires_at > now() AND s.last_used_at + s.idle_timeout > now();

COMMENT ON VIEW crm.session_out IS
	'Live sessions (neither revoked nor expired) as crmd returns them, times in microseconds since 1970.';
COMMENT ON COLUMN crm.session_out.session_id IS 'The session''s id.';
COMMENT ON COLUMN crm.session_out.username IS 'The user the session belongs to.';
COMMENT ON COLUMN crm.session_out.created_at IS 'When the session was opened (microseconds since 1970).';
COMMENT ON COLUMN crm.session_out.last_used_at IS 'When the session was last used (microseconds since 1970), to the minute.';
COMMENT ON COLUMN crm.session_out.expires_at IS 'Absolute expiry (microseconds since 1970).';
COMMENT ON COLUMN crm.session_out.client_addr IS 'The client''s address at login.';
COMMENT ON COLUMN crm.session_out.client_name IS 'The client''s name as its Hello gave it.';
COMMENT ON COLUMN crm.session_out.current IS 'Whether this is the session of the request reading it.';
COMMENT ON COLUMN crm.session_out.user_id IS 'The user''s id.';
GRANT SELECT ON crm.session_out TO crm_app;

-- The user row the auth pool answers a login or a password change with:
-- the context's user (crm_auth reads no table itself).
CREATE OR REPLACE FUNCTION crm.session_user_out()
 RETURNS SETOF crm.user_out
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$ SELECT * FROM crm.user_out WHERE user_id = crm.acting_user() $function$;
COMMENT ON FUNCTION crm.session_user_out() IS 'The acting user''s row of crm.user_out, for crm_auth''s login and password replies.';

-- The row a password reset answers with; only for an administrator's
-- context (crm.password_set has just checked the same).
CREATE OR REPLACE FUNCTION crm.user_out_of(p_username text)
 RETURNS SETOF crm.user_out
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$ SELECT * FROM crm.user_out WHERE username = lower(p_username) AND crm.scope_all('user', 'admin') $function$;
COMMENT ON FUNCTION crm.user_out_of(text) IS 'A user''s row of crm.user_out when the acting user administers users (crm_auth''s password reset reply).';

-- Deletes a team that has no members, no sub-teams and owns no records;
-- otherwise FAILED_PRECONDITION saying how many of each are left. Its
-- managers and shares go with it.
CREATE OR REPLACE FUNCTION crm.team_delete(p_name text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	tid bigint := crm.team_id_of(p_name, 'name');
	members bigint;
	subs bigint;
	recs bigint := 0;
	what text[] := '{}';
	rt record;
	n bigint;
BEGIN
	IF NOT crm.scope_all('team', 'delete') THEN
		PERFORM crm.raise('CRP01', NULL, 'identity.denied_delete_teams');
	END IF;
	SELECT count(*) INTO members FROM crm.users WHERE team_id = tid;
	SELECT count(*) INTO subs FROM crm.teams WHERE parent_id = tid;
	FOR rt IN SELECT name, table_name FROM crm.record_types WHERE table_name IS NOT NULL ORDER BY name LOOP
		EXECUTE format('SELECT count(*) FROM %s WHERE team_id = $1', rt.table_name) INTO n USING tid;
		IF n > 0 THEN
			recs := recs + n;
			what := what || format('%s %s%s', n, rt.name, CASE WHEN n = 1 THEN '' ELSE 's' END);
		END IF;
	END LOOP;
	IF members > 0 OR subs > 0 OR recs > 0 THEN
		PERFORM crm.raise('CRF01', 'name', 'identity.team_still_has_move_them', ((SELECT name FROM crm.teams WHERE id = tid))::text, array_to_string(ARRAY[CASE WHEN members > 0 THEN format('%s member%s', members, CASE WHEN members = 1 THEN '' ELSE 's' END) END,
					      CASE WHEN subs > 0 THEN format('%s sub-team%s', subs, CASE WHEN subs = 1 THEN '' ELSE 's' END) END,
					      CASE WHEN recs > 0 THEN 'records it owns (' || array_to_string(what, ', ') || ')' END], ', ')::text);
	END IF;
	DELETE FROM crm.teams WHERE id = tid;
END
$function$;

-- Sessions: one's own; another user's (p_user) or everyone's (p_all) only
-- with the session read scope all. Asking for more than one may see is
-- PERMISSION_DENIED, not an empty list; an unknown user is NOT_FOUND.
CREATE OR REPLACE FUNCTION crm.session_list(p_user text, p_all boolean)
 RETURNS SETOF crm.session_out
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	me text := crm.user_name(crm.acting_user());
BEGIN
	IF p_user IS NOT NULL THEN
		PERFORM crm.user_id_of(btrim(p_user), 'username');
	END IF;
	IF (p_all OR (p_user IS NOT NULL AND lower(btrim(p_user)) IS DISTINCT FROM me))
	   AND NOT crm.scope_all('session', 'read') THEN
		PERFORM crm.raise('CRP01', CASE WHEN p_all THEN 'all' ELSE 'username' END, 'identity.permission_denied_your_role_list');
	END IF;
	RETURN QUERY SELECT * FROM crm.session_out
	WHERE (p_user IS NULL OR username = lower(btrim(p_user)))
	  AND (p_all OR p_user IS NOT NULL OR user_id = crm.acting_user())
	ORDER BY session_id;
END
$function$;

-- The permission matrix, for a role and/or a record type that exist.
CREATE OR REPLACE FUNCTION crm.permission_list(p_role text, p_type text)
 RETURNS TABLE(role text, record_type text, action text, scope text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	PERFORM crm.check_role(p_role);
	PERFORM crm.check_record_type(p_type, 'record_type');
	RETURN QUERY SELECT p.role, p.record_type, p.action, p.scope FROM crm.permissions p
	WHERE (p_role IS NULL OR p.role = p_role) AND (p_type IS NULL OR p.record_type = p_type)
	ORDER BY p.role, p.record_type,
		 array_position(ARRAY['read', 'create', 'update', 'delete', 'export', 'reassign', 'admin'], p.action);
END
$function$;

-- Team names are trimmed single-line text.
CREATE OR REPLACE FUNCTION crm.team_create(p_name text, p_parent text)
 RETURNS SETOF crm.team_out
 LANGUAGE plpgsql
AS $function$
DECLARE
	nm text := crm.check_text(p_name, 'name', 128, true);
	new_id bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM crm.teams WHERE lower(name) = lower(nm)) THEN
		PERFORM crm.raise('CRE01', 'name', 'identity.team_already_exists', nm::text);
	END IF;
	INSERT INTO crm.teams (name, parent_id) VALUES (nm, crm.team_id_of(btrim(p_parent), 'parent'))
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.team_out WHERE team_id = new_id;
END
$function$;

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.teams_no_cycle(),
	crm.users_check(),
	crm.users_keep_admin(),
	crm.team_id_of(text,text),
	crm.user_id_of(text,text),
	crm.check_role(text),
	crm.user_create(text,text,text,text,text,text,text,text),
	crm.user_update(text,text,text,text,text,text,text,text[],text[]),
	crm.user_set_active(text,boolean),
	crm.team_update(text,text,text,text[]),
	crm.permission_set(text,text,text,text),
	crm.session_revoke(bigint),
	crm.user_name(bigint),
	crm.users_revoke_sessions(),
	crm.login_known_addr(text,text),
	crm.login_precheck(text,text,integer),
	crm.login_finish(text,text,bigint,boolean,bytea,text,interval,interval,integer,integer,interval,integer),
	crm.session_open(bytea,text,interval,interval),
	crm.own_password_hash(),
	crm.password_set(text,text,text),
	crm.session_user_out(),
	crm.user_out_of(text),
	crm.team_delete(text),
	crm.session_list(text,boolean),
	crm.permission_list(text,text),
	crm.team_create(text,text)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.team_id_of(text,text),
	crm.user_id_of(text,text),
	crm.check_role(text),
	crm.user_create(text,text,text,text,text,text,text,text),
	crm.user_update(text,text,text,text,text,text,text,text[],text[]),
	crm.user_set_active(text,boolean),
	crm.team_update(text,text,text,text[]),
	crm.permission_set(text,text,text,text),
	crm.session_revoke(bigint),
	crm.user_name(bigint),
	crm.team_delete(text),
	crm.session_list(text,boolean),
	crm.permission_list(text,text),
	crm.team_create(text,text)
TO crm_app;
GRANT EXECUTE ON FUNCTION
	crm.login_precheck(text,text,integer),
	crm.login_finish(text,text,bigint,boolean,bytea,text,interval,interval,integer,integer,interval,integer),
	crm.session_open(bytea,text,interval,interval),
	crm.own_password_hash(),
	crm.password_set(text,text,text),
	crm.session_user_out(),
	crm.user_out_of(text)
TO crm_auth;
