-- sql/modules/10_context.sql: the request context (who acts, with which
-- scopes), small helpers, the idempotency keys.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

DROP POLICY IF EXISTS own_keys ON crm.idempotency_keys;
CREATE POLICY own_keys ON crm.idempotency_keys TO crm_app
	USING (principal = coalesce(crm.acting_user()::text, ''))
	WITH CHECK (principal = coalesce(crm.acting_user()::text, ''));

DROP POLICY IF EXISTS owner_all ON crm.idempotency_keys;
CREATE POLICY owner_all ON crm.idempotency_keys TO crm_owner USING (true) WITH CHECK (true);

CREATE OR REPLACE FUNCTION crm.idempotency_purge()
 RETURNS bigint
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	WITH gone AS (DELETE FROM crm.idempotency_keys
		      WHERE created_at < now() - interval '24 hours' RETURNING 1)
	SELECT count(*) FROM gone
$function$;

-- STABLE, as extract() from a timestamptz is: a plain SQL function no more
-- volatile than its body is inlined where it is called (the record views
-- call it three times a record); an IMMUTABLE one over a STABLE body is not.
CREATE OR REPLACE FUNCTION crm.us(t timestamp with time zone)
 RETURNS bigint
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ SELECT (extract(epoch FROM t) * 1000000)::bigint $function$;
COMMENT ON FUNCTION crm.us(timestamp with time zone) IS 'Microseconds since the epoch, the protocol''s instant.';

CREATE OR REPLACE FUNCTION crm.fail(p_code text, p_field text, p_msg text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$ BEGIN RAISE EXCEPTION '%', p_msg USING ERRCODE = p_code, COLUMN = coalesce(p_field, ''); END $function$;

-- The JSON object with the values of the given keys replaced.
CREATE OR REPLACE FUNCTION crm.redact(p jsonb, p_keys text[])
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT CASE WHEN p IS NULL OR jsonb_typeof(p) <> 'object' THEN p
		    ELSE (SELECT coalesce(jsonb_object_agg(k, CASE WHEN k = ANY (p_keys) AND v <> 'null' THEN '"[redacted]"'::jsonb ELSE v END), '{}')
			  FROM jsonb_each(p) AS e(k, v)) END
$function$;

-- Creates this session's context table when it is missing (first request
-- of a connection, or after DISCARD TEMP). Owned by crm_owner; nobody
-- else has any privilege on it.
CREATE OR REPLACE FUNCTION crm.context_create()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		CREATE TEMPORARY TABLE crm_context (
			xact xid8 NOT NULL,
			user_id bigint,
			username text,
			role text,
			session_id bigint,
			request_id bigint,
			client_addr text,
			audit_action text,
			redacting boolean NOT NULL DEFAULT false
		);
		REVOKE ALL ON pg_temp.crm_context FROM PUBLIC;
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.context_create() IS 'Creates pg_temp.crm_context (the request context: acting user, session, role, request id and client address as crmd asserts them, the audit action a definer function names, whether a purge is redacting), owned by crm_owner. xact binds the one row to the transaction that wrote it: readers ignore it in any other transaction.';

-- First statement of every request's transaction. p_token is the raw
-- session token (NULL: no session); its SHA-256 must match a live session
-- (not revoked, not expired, not idle, user active). Writes the context,
-- and checks the role's permission for (p_type, p_action). Raises CRA01 /
-- CRP01. p_request_id and p_addr are recorded as given: they are what
-- crmd asserts.
CREATE OR REPLACE FUNCTION crm.begin_request(p_token bytea, p_request_id text, p_addr text, p_timeout text, p_type text, p_action text)
 RETURNS TABLE(user_id bigint, username text, role text, session_id bigint, scope text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	s record;
	check_only boolean;
	uid bigint;
	uname text;
	urole text;
	sid bigint;
BEGIN
	PERFORM pg_catalog.set_config('statement_timeout', p_timeout, true);
	-- A request that reads and writes nothing under row-level security
	-- (a deep ping: p_type NULL, p_action 'check') only has its session
	-- checked: no context is written, so the transaction takes no
	-- transaction id (writing the row costs one, about 30 us of a deep
	-- ping's 110), and every reader in it answers "nobody".
	check_only := p_type IS NULL AND p_action IS NOT DISTINCT FROM 'check';
	IF NOT check_only AND pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		PERFORM crm.context_create();
	END IF;
	IF p_token IS NOT NULL THEN
		SELECT se.id, se.user_id, u.username, u.role, se.last_used_at, se.idle_timeout INTO s
		FROM crm.sessions se JOIN crm.users u ON u.id = se.user_id
		WHERE se.token_hash = pg_catalog.sha256(p_token) AND se.revoked_at IS NULL
		  AND se.expires_at > pg_catalog.now() AND se.last_used_at + se.idle_timeout > pg_catalog.now()
		  AND u.active;
		IF NOT FOUND THEN
			PERFORM crm.raise('CRA01', NULL, 'session.expired');
		END IF;
		uid := s.user_id;
		uname := s.username;
		urole := s.role;
		sid := s.id;
	END IF;
	IF NOT check_only THEN
		-- One row, rewritten by every request (a HOT update: the table
		-- stays one page) and bound to this transaction's id.
		UPDATE pg_temp.crm_context c
		SET xact = pg_catalog.pg_current_xact_id(), user_id = uid, username = uname, role = urole,
		    session_id = sid, request_id = nullif(p_request_id, '')::bigint,
		    client_addr = nullif(p_addr, ''), audit_action = NULL, redacting = false;
		IF NOT FOUND THEN
			INSERT INTO pg_temp.crm_context (xact, user_id, username, role, session_id,
							 request_id, client_addr)
			VALUES (pg_catalog.pg_current_xact_id(), uid, uname, urole, sid,
				nullif(p_request_id, '')::bigint, nullif(p_addr, ''));
		END IF;
	END IF;
	IF p_token IS NULL THEN
		RETURN;
	END IF;
	-- Written at most once a minute (or per half idle timeout, if shorter),
	-- not on every request.
	IF s.last_used_at < pg_catalog.now() - least(interval '1 minute', s.idle_timeout / 2) THEN
		UPDATE crm.sessions SET last_used_at = pg_catalog.now() WHERE id = s.id;
	END IF;
	scope := 'all';
	IF p_type IS NOT NULL THEN
		scope := coalesce((SELECT rs.scopes ->> p_type FROM crm.role_scopes rs
				   WHERE rs.role = urole AND rs.action = p_action), 'none');
		IF scope = 'none' THEN
			PERFORM crm.raise('CRP01', NULL, 'access.role_denied', s.role, p_action,
				CASE p_type WHEN 'permission' THEN 'permissions' ELSE p_type || 's' END);
		END IF;
	END IF;
	user_id := s.user_id;
	username := s.username;
	role := s.role;
	session_id := s.id;
	RETURN NEXT;
END
$function$;
COMMENT ON FUNCTION crm.begin_request(bytea,text,text,text,text,text) IS 'First statement of every request: checks the raw session token against the stored SHA-256, writes pg_temp.crm_context (not for p_action ''check'' without a type: a request that reads no row) and checks the role''s permission for the route.';

-- The readers. SECURITY DEFINER (crm_app cannot read the context table
-- itself); without a context table or row they answer "nobody".
CREATE OR REPLACE FUNCTION crm.acting_user()
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.user_id FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$function$;
COMMENT ON FUNCTION crm.acting_user() IS 'The user the current transaction acts for, from the context crm.begin_request wrote after checking the session token; NULL (grants nothing) without one.';

CREATE OR REPLACE FUNCTION crm.acting_session()
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.session_id FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$function$;
COMMENT ON FUNCTION crm.acting_session() IS 'The session of the current request (from the context), or NULL.';

-- The role's row of the matrix, read where it is needed (a deep ping never
-- needs it). Nothing read from the matrix, the teams or the shares is
-- cached in the context row: a cache written during a statement is not
-- seen by the STABLE readers later in that statement (they keep the
-- statement's snapshot), and a wide row rewritten per request grows the
-- temporary table, which autovacuum never visits, without bound (a
-- connection's table passed 4 MB in 2,000 requests, and every reader scans
-- it). Each lookup is one index probe, and the policies call them in
-- initplans, once per statement.
CREATE OR REPLACE FUNCTION crm.context_scopes()
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN '{}';
	END IF;
	RETURN (SELECT coalesce(pg_catalog.jsonb_object_agg(p.record_type || '.' || p.action, p.scope), '{}')
		FROM pg_temp.crm_context c JOIN crm.permissions p ON p.role = c.role
		WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL);
END
$function$;

CREATE OR REPLACE FUNCTION crm.scope_of(p_type text, p_action text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN 'none';
	END IF;
	-- The compiled matrix (crm.role_scopes, below): one probe of a table of
	-- a row per role and action, whatever the number of types.
	RETURN coalesce((SELECT s.scopes ->> p_type FROM pg_temp.crm_context c
			 JOIN crm.role_scopes s ON s.role = c.role AND s.action = p_action
			 WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL), 'none');
END
$function$;

-- scope_all, scope_own, shared_ids and shared_any only combine definer
-- readers: plain SQL functions (no SECURITY DEFINER, no SET), which the
-- planner inlines into the policies' initplans, so each costs one definer
-- call instead of two (a definer call with a pinned search_path costs
-- about 10 us in PostgreSQL 15: the setting is set and restored around it).
CREATE OR REPLACE FUNCTION crm.scope_all(p_type text, p_action text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$ SELECT crm.scope_of(p_type, p_action) = 'all' $function$;

CREATE OR REPLACE FUNCTION crm.scope_own(p_type text, p_action text)
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$ SELECT CASE WHEN crm.scope_of(p_type, p_action) <> 'none' THEN crm.acting_user() END $function$;

-- The teams a team or subteams scope covers, and the records shared with
-- the acting user: computed per call (once per statement in the policies'
-- initplans).
CREATE OR REPLACE FUNCTION crm.context_teams(p_scope text)
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	u bigint := crm.acting_user();
	out_ bigint[];
BEGIN
	IF u IS NULL THEN
		RETURN '{}';
	END IF;
	WITH RECURSIVE base AS (
		SELECT x.team_id AS id FROM crm.users x WHERE x.id = u AND x.team_id IS NOT NULL
		UNION
		SELECT m.team_id FROM crm.team_managers m WHERE m.user_id = u),
	tree AS (
		SELECT id FROM base
		UNION
		SELECT t.id FROM crm.teams t JOIN tree ON t.parent_id = tree.id WHERE p_scope = 'subteams')
	SELECT coalesce(array_agg(id), '{}') INTO out_ FROM tree;
	RETURN out_;
END
$function$;

CREATE OR REPLACE FUNCTION crm.scope_teams(p_type text, p_action text)
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	s text := crm.scope_of(p_type, p_action);
BEGIN
	IF s NOT IN ('team', 'subteams') THEN
		RETURN '{}';
	END IF;
	RETURN crm.context_teams(s);
END
$function$;

-- The ids of the records of type p_type shared with the acting user or
-- their team (for editing when p_edit); every type's when p_type is NULL
-- (crm.shared_any: record ids are unique across types).
CREATE OR REPLACE FUNCTION crm.context_shared(p_type text, p_edit boolean)
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	u bigint := crm.acting_user();
	out_ bigint[];
BEGIN
	IF u IS NULL THEN
		RETURN '{}';
	END IF;
	SELECT coalesce(array_agg(DISTINCT s.record_id), '{}') INTO out_
	FROM crm.shares s
	WHERE (p_type IS NULL OR s.record_type = p_type)
	  AND (s.access = 'edit' OR NOT p_edit)
	  AND (s.user_id = u OR s.team_id = (SELECT x.team_id FROM crm.users x WHERE x.id = u));
	RETURN out_;
END
$function$;
COMMENT ON FUNCTION crm.context_shared(text,boolean) IS 'The ids of the records of one type (every type when NULL) shared with the acting user or their team (for editing when p_edit); {} without a context.';

CREATE OR REPLACE FUNCTION crm.shared_ids(p_type text, p_edit boolean)
 RETURNS bigint[]
 LANGUAGE sql
 STABLE
AS $function$ SELECT crm.context_shared(p_type, p_edit) $function$;

-- The permission matrix compiled per role and action (crm.role_scopes,
-- 0025): for each, the scopes of every record type as {"account": "team",
-- ...} (types without a cell are absent: none) and whether every business
-- type's scope is all. Kept in step by triggers on crm.permissions,
-- crm.roles and crm.record_types, so that readers make one
-- primary-key probe whatever the number of types.
--
-- Only rows whose facts changed are written. A registry change still
-- rewrites most rows once per statement that changes the matrix (a new
-- type's key joins every role's and action's object): a type's migration
-- leaves some dead versions per role and action, which autovacuum removes
-- soon after (the table is a row per role and action, its threshold about
-- 60 dead rows), and crm-datagen --types vacuums it at once.
--
-- Concurrent changes: the lock serialises refreshes, and the query after it
-- takes a new snapshot (READ COMMITTED), which sees the refresh that held
-- the lock before. Under REPEATABLE READ or SERIALIZABLE the snapshot is
-- older; but every row goes through the upsert, whose conflict check fails
-- with a serialization error on a row written after that snapshot, so a
-- later refresh is never overwritten with older facts.
CREATE OR REPLACE FUNCTION crm.refresh_role_scopes()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	LOCK TABLE crm.role_scopes IN SHARE ROW EXCLUSIVE MODE;
	WITH m AS (
		SELECT r.name AS role, a.action,
		       coalesce((SELECT pg_catalog.jsonb_object_agg(p.record_type, p.scope ORDER BY p.record_type)
				 FROM crm.permissions p WHERE p.role = r.name AND p.action = a.action), '{}') AS scopes,
		       NOT EXISTS (SELECT 1 FROM crm.record_types t
				   WHERE t.table_name IS NOT NULL
				     AND NOT EXISTS (SELECT 1 FROM crm.permissions p
						     WHERE p.role = r.name AND p.record_type = t.name
						       AND p.action = a.action AND p.scope = 'all')) AS all_types
		FROM crm.roles r
		CROSS JOIN (SELECT DISTINCT p.action FROM crm.permissions p) a
	), gone AS (
		DELETE FROM crm.role_scopes s
		WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.role = s.role AND m.action = s.action)
	)
	INSERT INTO crm.role_scopes AS s (role, action, scopes, all_types)
	SELECT m.role, m.action, m.scopes, m.all_types FROM m
	ON CONFLICT (role, action) DO UPDATE SET scopes = EXCLUDED.scopes, all_types = EXCLUDED.all_types
	WHERE s.scopes IS DISTINCT FROM EXCLUDED.scopes OR s.all_types IS DISTINCT FROM EXCLUDED.all_types;
END
$function$;
COMMENT ON FUNCTION crm.refresh_role_scopes() IS 'Rewrites crm.role_scopes from crm.permissions, crm.roles and crm.record_types (run by their statement triggers and by the module).';

CREATE OR REPLACE FUNCTION crm.role_scopes_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	PERFORM crm.refresh_role_scopes();
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.role_scopes_changed() IS 'Statement trigger of crm.permissions, crm.roles and crm.record_types: keeps crm.role_scopes in step.';

DROP POLICY IF EXISTS owner_all ON crm.role_scopes;
CREATE POLICY owner_all ON crm.role_scopes TO crm_owner USING (true) WITH CHECK (true);
-- Statement triggers, not deferred ones: a deferred (constraint) trigger
-- with events pending makes ALTER TABLE of its table fail in the same
-- transaction, which a migration may well do after writing rows.
CREATE OR REPLACE TRIGGER role_scopes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.permissions
	FOR EACH STATEMENT EXECUTE FUNCTION crm.role_scopes_changed();
CREATE OR REPLACE TRIGGER role_scopes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crm.roles
	FOR EACH STATEMENT EXECUTE FUNCTION crm.role_scopes_changed();
CREATE OR REPLACE TRIGGER role_scopes AFTER INSERT OR UPDATE OF table_name OR DELETE OR TRUNCATE ON crm.record_types
	FOR EACH STATEMENT EXECUTE FUNCTION crm.role_scopes_changed();
SELECT crm.refresh_role_scopes();

-- The scopes of one action for every record type, {"account": "team",
-- ...} (types without a cell are absent: none), from crm.role_scopes.
-- Policies that test records of several types at once (crm.records, and
-- through it the side tables) read it once per statement, in a scalar
-- sub-select, and look a row's type up in it: one test per row whatever the
-- number of types.
CREATE OR REPLACE FUNCTION crm.action_scopes(p_action text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN '{}';
	END IF;
	RETURN coalesce((SELECT s.scopes
			 FROM pg_temp.crm_context c JOIN crm.role_scopes s ON s.role = c.role AND s.action = p_action
			 WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL), '{}');
END
$function$;
COMMENT ON FUNCTION crm.action_scopes(text) IS 'The acting user''s scope of one action for every record type, as {"type": scope}; {} without a context.';

-- Whether the acting user's scope of an action is all for every business
-- type (administrators, viewers reading): side tables' policies then skip
-- the test of each row's record, once per statement (an initplan).
CREATE OR REPLACE FUNCTION crm.scope_all_types(p_action text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN false;
	END IF;
	RETURN coalesce((SELECT s.all_types
			 FROM pg_temp.crm_context c JOIN crm.role_scopes s ON s.role = c.role AND s.action = p_action
			 WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL), false);
END
$function$;
COMMENT ON FUNCTION crm.scope_all_types(text) IS 'Whether the acting user''s scope of an action is all for every business type; false without a context.';

-- The teams a scope covers (team: the user's team and those they manage;
-- subteams: also every team below them), whatever the type.
CREATE OR REPLACE FUNCTION crm.teams_of_scope(p_scope text)
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF p_scope NOT IN ('team', 'subteams') THEN
		RETURN '{}';
	END IF;
	RETURN crm.context_teams(p_scope);
END
$function$;
COMMENT ON FUNCTION crm.teams_of_scope(text) IS 'The ids of the teams scope team or subteams covers for the acting user; {} otherwise.';

CREATE OR REPLACE FUNCTION crm.shared_any(p_edit boolean)
 RETURNS bigint[]
 LANGUAGE sql
 STABLE
AS $function$ SELECT crm.context_shared(NULL, p_edit) $function$;
COMMENT ON FUNCTION crm.shared_any(boolean) IS 'The ids of the records of any type shared with the acting user or their team (for editing when p_edit).';

-- Names the audit action of the changes a definer function is about to
-- make (password_change, revoke, ...); NULL returns to naming it from what
-- changed. Callable only by the owner's functions.
CREATE OR REPLACE FUNCTION crm.context_audit_action(p_action text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NOT NULL THEN
		UPDATE pg_temp.crm_context c SET audit_action = p_action WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	END IF;
END
$function$;

CREATE OR REPLACE FUNCTION crm.context_audit_action()
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.audit_action FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$function$;

-- A password reset runs on the auth pool and may carry an idempotency key:
-- crm_auth reaches its acting user's stored replies, as crm_app does.
DROP POLICY IF EXISTS own_keys_auth ON crm.idempotency_keys;
CREATE POLICY own_keys_auth ON crm.idempotency_keys TO crm_auth
	USING (principal = coalesce(crm.acting_user()::text, ''))
	WITH CHECK (principal = coalesce(crm.acting_user()::text, ''));

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.idempotency_purge(),
	crm.us(timestamp with time zone),
	crm.fail(text,text,text),
	crm.redact(jsonb,text[]),
	crm.context_create(),
	crm.begin_request(bytea,text,text,text,text,text),
	crm.acting_user(),
	crm.acting_session(),
	crm.context_scopes(),
	crm.scope_of(text,text),
	crm.scope_all(text,text),
	crm.scope_own(text,text),
	crm.context_teams(text),
	crm.scope_teams(text,text),
	crm.context_shared(text,boolean),
	crm.shared_ids(text,boolean),
	crm.action_scopes(text),
	crm.scope_all_types(text),
	crm.refresh_role_scopes(),
	crm.role_scopes_changed(),
	crm.teams_of_scope(text),
	crm.shared_any(boolean),
	crm.context_audit_action(text),
	crm.context_audit_action()
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.idempotency_purge(),
	crm.us(timestamp with time zone),
	crm.fail(text,text,text),
	crm.redact(jsonb,text[]),
	crm.begin_request(bytea,text,text,text,text,text),
	crm.acting_user(),
	crm.acting_session(),
	crm.scope_of(text,text),
	crm.scope_all(text,text),
	crm.scope_own(text,text),
	crm.scope_teams(text,text),
	crm.shared_ids(text,boolean),
	crm.action_scopes(text),
	crm.scope_all_types(text),
	crm.teams_of_scope(text),
	crm.shared_any(boolean),
	crm.context_shared(text,boolean)
TO crm_app;
GRANT EXECUTE ON FUNCTION
	crm.us(timestamp with time zone),
	crm.begin_request(bytea,text,text,text,text,text)
TO crm_auth;
