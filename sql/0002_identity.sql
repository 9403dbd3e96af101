-- 0002_identity: users, teams, roles and the permission matrix, sessions,
-- login throttling, shares, the audit trail, and the shared mechanisms every
-- business table attaches to: row-level security (crm.attach_rls) and audit
-- (crm.attach_audit). Notes become the first business table using both.
--
-- How access works (docs/security.md has the long form):
--  * Each request's transaction starts with crm.begin_request(), which
--    validates the session token, sets the acting user, request id and
--    client address as transaction-local settings, and checks the role's
--    permission for the request's (record type, action).
--  * Policies read the acting user through crm.acting_user() and the
--    role's scopes through crm.scope_*(); all fail closed: with no acting
--    user they grant nothing.
--  * Errors meant for the user are raised with SQLSTATEs of class CR, which
--    crmd maps to statuses: CRA01 unauthenticated, CRP01 permission denied,
--    CRN01 not found, CRI01 invalid argument (COLUMN names the field),
--    CRF01 failed precondition, CRC01 conflict, CRE01 already exists,
--    CRR01 resource exhausted (login lockout).

-- ------------------------------------------------------------ helpers

CREATE FUNCTION crm.acting_user() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('crm.user_id', true), '')::bigint $$;
COMMENT ON FUNCTION crm.acting_user() IS
	'The user the current transaction acts for, from the transaction-local '
	'setting crm.user_id; NULL (grants nothing) when unset or empty.';

-- ------------------------------------------------------ roles and matrix

CREATE TABLE crm.roles (
	name text PRIMARY KEY CONSTRAINT roles_name_format CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
	description text NOT NULL DEFAULT '',
	builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE crm.roles IS 'Roles users hold; each has a row per record type and action in crm.permissions.';

CREATE TABLE crm.record_types (
	name text PRIMARY KEY,
	description text NOT NULL DEFAULT ''
);
COMMENT ON TABLE crm.record_types IS 'Record types the permission matrix covers.';

CREATE TABLE crm.permissions (
	id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	role text NOT NULL REFERENCES crm.roles ON DELETE CASCADE,
	record_type text NOT NULL REFERENCES crm.record_types,
	action text NOT NULL CONSTRAINT permissions_action CHECK
		(action IN ('read', 'create', 'update', 'delete', 'export', 'reassign', 'admin')),
	scope text NOT NULL CONSTRAINT permissions_scope CHECK
		(scope IN ('none', 'own', 'team', 'subteams', 'all')),
	PRIMARY KEY (role, record_type, action)
);
COMMENT ON TABLE crm.permissions IS
	'The permission matrix: for each role, record type and action, the scope of '
	'records it applies to. own: records the user owns; team: also those of the '
	'user''s team and of teams the user manages; subteams: also every team below '
	'those; all: every record. Missing cells mean none.';

INSERT INTO crm.roles (name, description, builtin) VALUES
	('admin', 'Administers users, teams, permissions and all records', true),
	('manager', 'Sees and steers the records of the teams they belong to and manage, and their sub-teams', true),
	('sales', 'Works own accounts, contacts, leads and deals', true),
	('support', 'Works tickets; reads the team''s customer records', true),
	('marketing', 'Builds segments and campaigns; reads the team''s records', true),
	('viewer', 'Reads everything, changes nothing; reads the audit trail', true);

INSERT INTO crm.record_types (name, description) VALUES
	('note', 'Notes (the fixture business record type)'),
	('user', 'Users'),
	('team', 'Teams'),
	('permission', 'Roles and the permission matrix'),
	('session', 'Login sessions'),
	('audit', 'The audit trail');

-- Default matrix. Business types follow a pattern per role; the
-- administrative types are listed explicitly.
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT r.role, 'note', a.action, r.scopes[a.n]
FROM (VALUES
	-- read, create, update, delete, export, reassign, admin
	('admin',     ARRAY['all', 'all', 'all', 'all', 'all', 'all', 'all']),
	('manager',   ARRAY['subteams', 'subteams', 'subteams', 'subteams', 'subteams', 'subteams', 'none']),
	('sales',     ARRAY['own', 'own', 'own', 'own', 'own', 'none', 'none']),
	('support',   ARRAY['team', 'own', 'own', 'none', 'none', 'none', 'none']),
	('marketing', ARRAY['team', 'own', 'own', 'own', 'team', 'none', 'none']),
	('viewer',    ARRAY['all', 'none', 'none', 'none', 'none', 'none', 'none'])
) AS r(role, scopes)
CROSS JOIN (VALUES (1, 'read'), (2, 'create'), (3, 'update'), (4, 'delete'),
		   (5, 'export'), (6, 'reassign'), (7, 'admin')) AS a(n, action);

INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT 'admin', t, a, 'all'
FROM unnest(ARRAY['user', 'team', 'permission', 'session', 'audit']) AS t,
     unnest(ARRAY['read', 'create', 'update', 'delete', 'export', 'reassign', 'admin']) AS a;

INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT r, t, 'read', 'all'
FROM unnest(ARRAY['manager', 'sales', 'support', 'marketing', 'viewer']) AS r,
     unnest(ARRAY['user', 'team', 'permission']) AS t;

-- Everyone sees and ends their own sessions.
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT r, 'session', a, 'own'
FROM unnest(ARRAY['manager', 'sales', 'support', 'marketing', 'viewer']) AS r,
     unnest(ARRAY['read', 'delete']) AS a;

-- Audit: viewers see all of it; managers the history of their sub-teams'
-- records; everyone else the history of records they can see.
INSERT INTO crm.permissions (role, record_type, action, scope) VALUES
	('viewer', 'audit', 'read', 'all'),
	('manager', 'audit', 'read', 'subteams'),
	('sales', 'audit', 'read', 'own'),
	('support', 'audit', 'read', 'own'),
	('marketing', 'audit', 'read', 'own');

-- ------------------------------------------------------------ teams

CREATE TABLE crm.teams (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL CONSTRAINT teams_name_length CHECK (length(name) BETWEEN 1 AND 128),
	parent_id bigint REFERENCES crm.teams,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON crm.teams (lower(name));
CREATE INDEX teams_parent_idx ON crm.teams (parent_id);
COMMENT ON TABLE crm.teams IS 'Teams form a tree (Sales > Sales East). A user belongs to one team.';
COMMENT ON COLUMN crm.teams.parent_id IS 'The team above; NULL for a top-level team. Cycles are refused.';

CREATE FUNCTION crm.teams_no_cycle() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	IF NEW.parent_id IS NOT NULL AND EXISTS (
		WITH RECURSIVE up(id) AS (
			SELECT NEW.parent_id
			UNION
			SELECT t.parent_id FROM crm.teams t JOIN up ON t.id = up.id
			WHERE t.parent_id IS NOT NULL)
		SELECT 1 FROM up WHERE id = NEW.id) THEN
		RAISE EXCEPTION 'team % cannot be placed under its own sub-team', NEW.name
			USING ERRCODE = 'CRI01', COLUMN = 'parent';
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER teams_no_cycle BEFORE INSERT OR UPDATE ON crm.teams
	FOR EACH ROW EXECUTE FUNCTION crm.teams_no_cycle();

-- ------------------------------------------------------------ users

CREATE TABLE crm.users (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username text NOT NULL UNIQUE
		CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9._-]{1,64}$'),
	display_name text NOT NULL CONSTRAINT users_display_name_length CHECK (length(display_name) BETWEEN 1 AND 256),
	email text CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
	time_zone text NOT NULL DEFAULT 'UTC',
	locale text NOT NULL DEFAULT 'en-US'
		CONSTRAINT users_locale_format CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
	role text NOT NULL REFERENCES crm.roles,
	team_id bigint REFERENCES crm.teams,
	active boolean NOT NULL DEFAULT true,
	password_hash text,
	password_changed_at timestamptz,
	last_login_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_team_idx ON crm.users (team_id);
CREATE INDEX users_role_idx ON crm.users (role);
COMMENT ON TABLE crm.users IS 'People who log in to the CRM.';
COMMENT ON COLUMN crm.users.username IS 'Login name: lower-case [a-z0-9._-], 1 to 64 characters.';
COMMENT ON COLUMN crm.users.time_zone IS 'IANA time zone name, checked against pg_timezone_names; times are shown in it.';
COMMENT ON COLUMN crm.users.password_hash IS 'argon2id hash in PHC string format; NULL = cannot log in with a password. Never audited.';
COMMENT ON COLUMN crm.users.active IS 'Disabled users cannot log in; disabling revokes their sessions.';

CREATE TABLE crm.team_managers (
	id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	team_id bigint NOT NULL REFERENCES crm.teams ON DELETE CASCADE,
	user_id bigint NOT NULL REFERENCES crm.users ON DELETE CASCADE,
	PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_managers_user_idx ON crm.team_managers (user_id);
COMMENT ON TABLE crm.team_managers IS 'Teams a user manages besides their own; a manager sees those teams too (and their sub-teams with scope subteams).';

CREATE FUNCTION crm.users_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	-- pg_timezone_names reads the zone files: only look when the zone changes.
	IF NEW.time_zone <> 'UTC'
	   AND (TG_OP = 'INSERT' OR NEW.time_zone IS DISTINCT FROM OLD.time_zone)
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = NEW.time_zone) THEN
		RAISE EXCEPTION 'unknown time zone "%": use an IANA name such as Europe/Paris or UTC', NEW.time_zone
			USING ERRCODE = 'CRI01', COLUMN = 'time_zone';
	END IF;
	IF TG_OP = 'UPDATE' THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER users_check BEFORE INSERT OR UPDATE OF time_zone, display_name, email, locale, role, team_id, active
	ON crm.users FOR EACH ROW EXECUTE FUNCTION crm.users_check();

-- The last active admin can be neither disabled nor demoted. The advisory
-- lock serialises concurrent attempts so two admins cannot demote each other.
CREATE FUNCTION crm.users_keep_admin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
BEGIN
	IF OLD.role = 'admin' AND OLD.active
	   AND (TG_OP = 'DELETE' OR NEW.role <> 'admin' OR NOT NEW.active) THEN
		PERFORM pg_advisory_xact_lock(hashtext('crm.last_admin'));
		IF NOT EXISTS (SELECT 1 FROM crm.users
			       WHERE role = 'admin' AND active AND id <> OLD.id) THEN
			RAISE EXCEPTION 'user % is the last active admin: make another user admin first', OLD.username
				USING ERRCODE = 'CRF01', COLUMN = 'username';
		END IF;
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER users_keep_admin BEFORE UPDATE OF role, active OR DELETE ON crm.users
	FOR EACH ROW EXECUTE FUNCTION crm.users_keep_admin();

-- ------------------------------------------------------------ sessions

CREATE TABLE crm.sessions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE CONSTRAINT sessions_token_hash_length CHECK (length(token_hash) = 32),
	user_id bigint NOT NULL REFERENCES crm.users ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	idle_timeout interval NOT NULL,
	revoked_at timestamptz,
	client_addr text,
	client_name text
);
CREATE INDEX sessions_user_idx ON crm.sessions (user_id) WHERE revoked_at IS NULL;
COMMENT ON TABLE crm.sessions IS
	'Login sessions. Only the SHA-256 of the token is stored; the token itself '
	'exists only on the client. Any crmd instance accepts any live session.';
COMMENT ON COLUMN crm.sessions.last_used_at IS 'Written at most once a minute; idle expiry counts from it.';

-- Disabling a user or changing their password ends all their sessions.
CREATE FUNCTION crm.users_revoke_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	outer_action text := current_setting('crm.audit_action', true);
BEGIN
	IF (OLD.active AND NOT NEW.active) OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
		PERFORM set_config('crm.audit_action', 'revoke', true);
		UPDATE crm.sessions SET revoked_at = now()
		WHERE user_id = NEW.id AND revoked_at IS NULL;
		PERFORM set_config('crm.audit_action', coalesce(outer_action, ''), true);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER users_revoke_sessions AFTER UPDATE OF active, password_hash ON crm.users
	FOR EACH ROW EXECUTE FUNCTION crm.users_revoke_sessions();

CREATE TABLE crm.login_throttle (
	kind text NOT NULL CONSTRAINT login_throttle_kind CHECK (kind IN ('user', 'addr')),
	key text NOT NULL,
	failures integer NOT NULL DEFAULT 0,
	last_failure timestamptz NOT NULL DEFAULT now(),
	locked_until timestamptz,
	PRIMARY KEY (kind, key)
);
COMMENT ON TABLE crm.login_throttle IS
	'Failed logins per username and per client address. Past the limit each '
	'further failure doubles a temporary lockout; a success or 15 quiet '
	'minutes reset the count. Operational state: not audited (the audit trail '
	'records each attempt).';

-- ------------------------------------------------------------ shares

CREATE TABLE crm.shares (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_type text NOT NULL REFERENCES crm.record_types,
	record_id bigint NOT NULL,
	user_id bigint REFERENCES crm.users ON DELETE CASCADE,
	team_id bigint REFERENCES crm.teams ON DELETE CASCADE,
	access text NOT NULL CONSTRAINT shares_access CHECK (access IN ('read', 'edit')),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT shares_one_target CHECK (num_nonnulls(user_id, team_id) = 1)
);
CREATE UNIQUE INDEX shares_user_key ON crm.shares (record_type, record_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX shares_team_key ON crm.shares (record_type, record_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX shares_user_idx ON crm.shares (user_id, record_type) WHERE user_id IS NOT NULL;
CREATE INDEX shares_team_idx ON crm.shares (team_id, record_type) WHERE team_id IS NOT NULL;
COMMENT ON TABLE crm.shares IS 'A record shared explicitly with a user or a team, for reading or editing, beyond what the matrix grants.';

-- ------------------------------------------------------------ audit

CREATE TABLE crm.audit (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	user_id bigint,
	username text,
	request_id bigint,
	client_addr text,
	record_type text NOT NULL,
	record_id bigint,
	action text NOT NULL,
	old_values jsonb,
	new_values jsonb
);
CREATE INDEX audit_record_idx ON crm.audit (record_type, record_id, id);
CREATE INDEX audit_user_idx ON crm.audit (user_id, id);
CREATE INDEX audit_at_idx ON crm.audit (at);
COMMENT ON TABLE crm.audit IS
	'Append-only history of every change to business data and to users, teams, '
	'permissions, shares and sessions, and of every login attempt. Written by '
	'triggers in the same transaction as the change; crm_app can neither '
	'insert, update nor delete rows directly.';
COMMENT ON COLUMN crm.audit.user_id IS 'Acting user (NULL for failed logins, which have no authenticated actor, and for changes made by the owner role, such as crmd create-admin).';
COMMENT ON COLUMN crm.audit.username IS 'Acting user''s name at the time, kept even if the user is renamed.';
COMMENT ON COLUMN crm.audit.action IS 'create, update, delete, restore, purge, reassign, revoke, enable, disable, login, login_failed, password_change, password_reset. Shares are records of type share (create, update, purge); permission changes are updates of type permission; a logout is a revoke of type session.';
COMMENT ON COLUMN crm.audit.old_values IS 'The changed fields'' values before the change (JSON object).';
COMMENT ON COLUMN crm.audit.new_values IS 'The changed fields'' values after the change (JSON object).';

-- Writes one audit row; the acting user, request id and client address come
-- from the transaction's settings.
CREATE FUNCTION crm.audit_write(p_type text, p_id bigint, p_action text, p_old jsonb, p_new jsonb,
				 p_user bigint DEFAULT NULL)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	INSERT INTO crm.audit (user_id, username, request_id, client_addr, record_type, record_id,
			       action, old_values, new_values)
	SELECT u, (SELECT username FROM crm.users WHERE id = u),
	       nullif(current_setting('crm.request_id', true), '')::bigint,
	       nullif(current_setting('crm.client_addr', true), ''),
	       p_type, p_id, p_action, p_old, p_new
	FROM (SELECT coalesce(p_user, crm.acting_user()) AS u) AS a;
$$;
REVOKE ALL ON FUNCTION crm.audit_write(text, bigint, text, jsonb, jsonb, bigint) FROM PUBLIC;

-- The generic row trigger. TG_ARGV[0] is the record type; further
-- arguments name columns never to record (secrets) or to ignore (noise).
-- An UPDATE that changes nothing recorded writes nothing. The action is
-- named after what changed: deleted_at set = delete, cleared = restore,
-- owner_id = reassign, revoked_at = revoke, active = enable/disable;
-- a transaction may name it outright with set_config('crm.audit_action').
CREATE FUNCTION crm.audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	skip text[] := TG_ARGV[1:];
	o jsonb;
	n jsonb;
	oc jsonb := '{}';
	nc jsonb := '{}';
	k text;
	act text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		n := to_jsonb(NEW) - skip;
		PERFORM crm.audit_write(TG_ARGV[0], NEW.id, 'create', NULL, n);
		RETURN NULL;
	ELSIF TG_OP = 'DELETE' THEN
		o := to_jsonb(OLD) - skip;
		PERFORM crm.audit_write(TG_ARGV[0], OLD.id, 'purge', o, NULL);
		RETURN NULL;
	END IF;
	o := to_jsonb(OLD) - skip;
	n := to_jsonb(NEW) - skip;
	FOR k IN SELECT jsonb_object_keys(n) LOOP
		IF o -> k IS DISTINCT FROM n -> k THEN
			oc := oc || jsonb_build_object(k, o -> k);
			nc := nc || jsonb_build_object(k, n -> k);
		END IF;
	END LOOP;
	IF oc = '{}' THEN
		RETURN NULL;
	END IF;
	act := nullif(current_setting('crm.audit_action', true), '');
	IF act IS NULL THEN
		act := CASE
			WHEN nc ? 'deleted_at' AND nc -> 'deleted_at' <> 'null' THEN 'delete'
			WHEN nc ? 'deleted_at' THEN 'restore'
			WHEN nc ? 'revoked_at' THEN 'revoke'
			WHEN nc ? 'owner_id' THEN 'reassign'
			WHEN nc ? 'active' AND nc -> 'active' = 'true' THEN 'enable'
			WHEN nc ? 'active' THEN 'disable'
			ELSE 'update' END;
	END IF;
	PERFORM crm.audit_write(TG_ARGV[0], NEW.id, act, oc, nc);
	RETURN NULL;
END
$$;

-- Attaches the audit trigger to a table: one line per table.
CREATE FUNCTION crm.attach_audit(p_table regclass, p_type text, VARIADIC p_skip text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.audit_row(%s)',
		       p_table, array_to_string(ARRAY(SELECT quote_literal(x)
						      FROM unnest(p_type || p_skip) AS x), ', '));
END
$$;

-- ------------------------------------------------------ scopes for policies
-- SECURITY DEFINER so they read the matrix and the team tree whatever the
-- caller may see; search_path pinned; all return "nothing" without an acting
-- user. Policies call them inside scalar sub-selects, so each is evaluated
-- once per statement, not once per row.

CREATE FUNCTION crm.scope_of(p_type text, p_action text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	SELECT coalesce((SELECT p.scope FROM crm.users u
			 JOIN crm.permissions p ON p.role = u.role
			 WHERE u.id = crm.acting_user() AND u.active
			   AND p.record_type = p_type AND p.action = p_action), 'none')
$$;

CREATE FUNCTION crm.scope_all(p_type text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$ SELECT crm.scope_of(p_type, p_action) = 'all' $$;

-- The acting user when the scope covers at least their own records.
CREATE FUNCTION crm.scope_own(p_type text, p_action text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$ SELECT CASE WHEN crm.scope_of(p_type, p_action) <> 'none' THEN crm.acting_user() END $$;

-- Teams whose records the scope covers: for team, the user's team and the
-- teams they manage; for subteams, those and all below; else none.
CREATE FUNCTION crm.scope_teams(p_type text, p_action text) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	WITH RECURSIVE s AS (SELECT crm.scope_of(p_type, p_action) AS scope),
	base AS (
		SELECT u.team_id AS id FROM crm.users u, s
		WHERE u.id = crm.acting_user() AND u.team_id IS NOT NULL
		  AND s.scope IN ('team', 'subteams')
		UNION
		SELECT m.team_id FROM crm.team_managers m, s
		WHERE m.user_id = crm.acting_user() AND s.scope IN ('team', 'subteams')),
	tree AS (
		SELECT id FROM base
		UNION
		SELECT t.id FROM crm.teams t JOIN tree ON t.parent_id = tree.id, s
		WHERE s.scope = 'subteams')
	SELECT coalesce(array_agg(id), '{}') FROM tree
$$;

-- Ids of records of a type shared with the acting user or their team.
CREATE FUNCTION crm.shared_ids(p_type text, p_edit boolean) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	SELECT coalesce(array_agg(DISTINCT s.record_id), '{}')
	FROM crm.shares s
	WHERE s.record_type = p_type
	  AND (s.access = 'edit' OR NOT p_edit)
	  AND (s.user_id = crm.acting_user()
	       OR s.team_id = (SELECT team_id FROM crm.users WHERE id = crm.acting_user()))
$$;

-- Changing a record's owner or team is the reassign action: the acting
-- user needs a reassign scope covering the new team (or all, or the record
-- stays their own). Row-level security cannot see the old row, so this
-- trigger, attached by crm.attach_rls, guards the change for crm_app.
CREATE FUNCTION crm.guard_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	IF current_user = 'crm_app'
	   AND (NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.team_id IS DISTINCT FROM OLD.team_id)
	   AND NOT (crm.scope_all(TG_ARGV[0], 'reassign')
		    OR NEW.team_id = ANY (crm.scope_teams(TG_ARGV[0], 'reassign'))
		    OR (NEW.owner_id = crm.acting_user() AND NEW.owner_id = OLD.owner_id
			AND crm.scope_of(TG_ARGV[0], 'reassign') <> 'none')) THEN
		RAISE EXCEPTION 'permission denied: you may not reassign this %', TG_ARGV[0]
			USING ERRCODE = 'CRP01', COLUMN = 'owner';
	END IF;
	RETURN NEW;
END
$$;

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
CREATE FUNCTION crm.attach_rls(p_table regclass, p_type text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
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
$$;

-- ------------------------------------------------------------ notes

ALTER TABLE crm.notes
	ADD COLUMN owner_id bigint REFERENCES crm.users DEFAULT crm.acting_user(),
	ADD COLUMN team_id bigint REFERENCES crm.teams,
	ADD COLUMN version bigint NOT NULL DEFAULT 1,
	ADD COLUMN created_by bigint REFERENCES crm.users DEFAULT crm.acting_user(),
	ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN updated_by bigint REFERENCES crm.users,
	ADD COLUMN deleted_at timestamptz;
COMMENT ON COLUMN crm.notes.owner_id IS 'The user who owns the note (NULL only for notes written before 0002, which only scope all sees).';
COMMENT ON COLUMN crm.notes.team_id IS 'The owner''s team when the note was created or reassigned; team scopes match on it.';
COMMENT ON COLUMN crm.notes.version IS 'Incremented by every update; an update naming an older version is refused (CONFLICT).';
COMMENT ON COLUMN crm.notes.deleted_at IS 'Set by a soft delete; restore clears it; purge removes the row.';
CREATE INDEX notes_owner_idx ON crm.notes (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX notes_team_idx ON crm.notes (team_id, id) WHERE deleted_at IS NULL;

SELECT crm.attach_rls('crm.notes', 'note');
SELECT crm.attach_audit('crm.notes', 'note');
GRANT SELECT, INSERT, UPDATE ON crm.notes TO crm_app;
GRANT DELETE ON crm.notes TO crm_app;

-- Administrative tables: everyone with a session may read (the matrix
-- decides who may list them through crmd); writes need the admin scope;
-- the owner reaches everything in SECURITY DEFINER functions.
CREATE FUNCTION crm.attach_admin_rls(p_table regclass, p_type text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
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
$$;

SELECT crm.attach_admin_rls('crm.users', 'user');
SELECT crm.attach_admin_rls('crm.teams', 'team');
SELECT crm.attach_admin_rls('crm.team_managers', 'team');
SELECT crm.attach_admin_rls('crm.roles', 'permission');
SELECT crm.attach_admin_rls('crm.permissions', 'permission');
SELECT crm.attach_audit('crm.users', 'user', 'password_hash', 'updated_at', 'last_login_at');
SELECT crm.attach_audit('crm.teams', 'team', 'updated_at');
SELECT crm.attach_audit('crm.team_managers', 'team_manager');
SELECT crm.attach_audit('crm.roles', 'role');
SELECT crm.attach_audit('crm.permissions', 'permission');
GRANT SELECT, INSERT, UPDATE ON crm.teams TO crm_app;
GRANT INSERT ON crm.users TO crm_app;
-- Passwords change only through crm.password_set().
GRANT UPDATE (display_name, email, time_zone, locale, role, team_id, active, updated_at)
	ON crm.users TO crm_app;
GRANT SELECT, INSERT, DELETE ON crm.team_managers TO crm_app;
GRANT SELECT ON crm.roles, crm.record_types TO crm_app;
GRANT SELECT, UPDATE ON crm.permissions TO crm_app;
-- Column grants keep secrets away from the app role's plain SELECTs.
REVOKE SELECT ON crm.users FROM crm_app;
GRANT SELECT (id, username, display_name, email, time_zone, locale, role, team_id, active,
	      password_changed_at, last_login_at, created_at, updated_at) ON crm.users TO crm_app;

CREATE FUNCTION crm.record_visible(p_type text, p_id bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, crm
AS $$
	SELECT CASE p_type
		WHEN 'note' THEN EXISTS (SELECT 1 FROM crm.notes WHERE id = p_id)
		WHEN 'user' THEN p_id = crm.acting_user()
		WHEN 'session' THEN EXISTS (SELECT 1 FROM crm.sessions WHERE id = p_id AND user_id = crm.acting_user())
		WHEN 'team' THEN true
		WHEN 'permission' THEN true
		WHEN 'role' THEN true
		ELSE false END
$$;
COMMENT ON FUNCTION crm.record_visible(text, bigint) IS
	'Whether the acting user may see a record, under its table''s row-level security. '
	'Every business type adds its line here.';

CREATE FUNCTION crm.record_updatable(p_type text, p_id bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, crm
AS $$
	SELECT CASE p_type
		WHEN 'note' THEN EXISTS (SELECT 1 FROM crm.notes n WHERE n.id = p_id
			AND ((SELECT crm.scope_all('note', 'update'))
			     OR n.owner_id = (SELECT crm.scope_own('note', 'update'))
			     OR n.team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[])))
		ELSE false END
$$;
COMMENT ON FUNCTION crm.record_updatable(text, bigint) IS
	'Whether the acting user may update a record by the matrix (shares do not count): '
	'who may share it. Every business type adds its line here.';


-- Shares: visible to their target (user or team) and to whoever can see
-- the record; written only by users who may update the record
-- (crm.record_updatable), so a share cannot widen anyone's own access.
ALTER TABLE crm.shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.shares FORCE ROW LEVEL SECURITY;
CREATE POLICY select_scope ON crm.shares FOR SELECT TO crm_app
	USING (user_id = crm.acting_user()
	       OR team_id = (SELECT team_id FROM crm.users WHERE id = crm.acting_user())
	       OR crm.record_visible(record_type, record_id));
CREATE POLICY write_scope ON crm.shares FOR ALL TO crm_app
	USING (crm.record_updatable(record_type, record_id))
	WITH CHECK (crm.record_updatable(record_type, record_id));
CREATE POLICY owner_all ON crm.shares TO crm_owner USING (true) WITH CHECK (true);
SELECT crm.attach_audit('crm.shares', 'share');
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.shares TO crm_app;

-- Sessions: a user sees their own; the session admin scope sees all.
ALTER TABLE crm.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY select_scope ON crm.sessions FOR SELECT TO crm_app
	USING (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'read')));
CREATE POLICY update_scope ON crm.sessions FOR UPDATE TO crm_app
	USING (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'delete')))
	WITH CHECK (user_id = crm.acting_user() OR (SELECT crm.scope_all('session', 'delete')));
CREATE POLICY owner_all ON crm.sessions TO crm_owner USING (true) WITH CHECK (true);
SELECT crm.attach_audit('crm.sessions', 'session', 'token_hash', 'last_used_at');
GRANT SELECT (id, user_id, created_at, last_used_at, expires_at, idle_timeout, revoked_at,
	      client_addr, client_name), UPDATE (revoked_at) ON crm.sessions TO crm_app;

-- Login throttling is reached only through the login functions.
ALTER TABLE crm.login_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.login_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON crm.login_throttle TO crm_owner USING (true) WITH CHECK (true);

-- Audit: append-only; crm_app may only read, within the matrix: scope all
-- sees everything; otherwise one's own actions and the history of records
-- one can see.


ALTER TABLE crm.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.audit FORCE ROW LEVEL SECURITY;
CREATE POLICY select_scope ON crm.audit FOR SELECT TO crm_app
	USING ((SELECT crm.scope_all('audit', 'read'))
	       OR ((SELECT crm.scope_of('audit', 'read')) <> 'none'
		   AND (user_id = crm.acting_user() OR crm.record_visible(record_type, record_id))));
CREATE POLICY owner_all ON crm.audit TO crm_owner USING (true) WITH CHECK (true);
GRANT SELECT ON crm.audit TO crm_app;

-- Idempotency keys: each user reaches only their own stored replies;
-- expired ones are purged through crm.idempotency_purge().
ALTER TABLE crm.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY own_keys ON crm.idempotency_keys TO crm_app
	USING (principal = coalesce(crm.acting_user()::text, ''))
	WITH CHECK (principal = coalesce(crm.acting_user()::text, ''));
CREATE POLICY owner_all ON crm.idempotency_keys TO crm_owner USING (true) WITH CHECK (true);
CREATE FUNCTION crm.idempotency_purge() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	WITH gone AS (DELETE FROM crm.idempotency_keys
		      WHERE created_at < now() - interval '24 hours' RETURNING 1)
	SELECT count(*) FROM gone
$$;
GRANT EXECUTE ON FUNCTION crm.idempotency_purge() TO crm_app;
GRANT EXECUTE ON FUNCTION crm.acting_user(), crm.scope_of(text, text), crm.scope_all(text, text),
	crm.scope_own(text, text), crm.scope_teams(text, text), crm.shared_ids(text, boolean),
	crm.record_visible(text, bigint), crm.record_updatable(text, bigint) TO crm_app;
