-- 0005_trust: the second layer holds against the application role.
--
-- Until now the acting user, the scope caches and the audit context were
-- transaction-local settings (crm.user_id, crm.scopes, ...), which any role
-- may SET: whoever held crm_app's password could act as anyone. From here:
--  * crm.begin_request takes the raw session token, hashes it itself and
--    writes the request's context (user, session, role, permission row,
--    request id, client address) into pg_temp.crm_context, a temporary
--    table it creates owned by crm_owner, on which crm_app has no
--    privilege. The row carries the id of the transaction that wrote it
--    (pg_current_xact_id()); every reader (crm.acting_user, crm.scope_*,
--    crm.shared_ids, the audit) reads only the row of the current
--    transaction (pg_current_xact_id_if_assigned()). An abort rolls the
--    write back and after a commit no transaction has that id again, so
--    every transaction, pipelined or not, starts with no acting user.
--    (ON COMMIT DELETE ROWS would say the same, but truncates the table at
--    every commit: measured at 20 ms a commit here, docs/benchmarks.md.)
--  * TEMPORARY is revoked from PUBLIC on the database, so crm_app cannot
--    create a table that shadows the context or anything a SECURITY
--    DEFINER function names; every such function pins
--    search_path = pg_catalog, crm, pg_temp (pg_temp last).
--  * EXECUTE on every function of crm and crm_meta is revoked from PUBLIC
--    and granted to the roles that need it.
--  * The audit trail refuses UPDATE, DELETE and TRUNCATE from everyone,
--    except the redaction crm.purge_record performs after checking the
--    purge permission from the context.
-- docs/security.md has the threat model.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'crm_auth') THEN
		RAISE EXCEPTION 'role crm_auth does not exist: create the authentication role first: '
			'CREATE ROLE crm_auth LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ''...'''
			USING HINT = 'crmd''s auth pool connects as crm_auth (config key db_auth) to '
				'read password hashes and open sessions. See sql/README.md. '
				'Then run crmd migrate again.';
	END IF;
END
$$;

-- No role but the owner creates temporary tables here (the owner's
-- functions create the request context).
DO $$
BEGIN
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM crm_app, crm_auth', current_database());
END
$$;

-- ------------------------------------------------------------ the context

-- Creates this session's context table when it is missing (first request
-- of a connection, or after DISCARD TEMP). Owned by crm_owner; nobody
-- else has any privilege on it.
CREATE FUNCTION crm.context_create() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
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
			scopes jsonb,
			team_ids bigint[],
			subteam_ids bigint[],
			shared jsonb NOT NULL DEFAULT '{}',
			audit_action text,
			redacting boolean NOT NULL DEFAULT false
		);
		REVOKE ALL ON pg_temp.crm_context FROM PUBLIC;
	END IF;
END
$$;
COMMENT ON FUNCTION crm.context_create() IS
	'Creates pg_temp.crm_context (the request context: acting user, session, role, '
	'permission row as {"type.action": scope}, request id and client address as crmd '
	'asserts them, lazily cached team and share ids, the audit action a definer function '
	'names, whether a purge is redacting), owned by crm_owner. xact binds the one row to '
	'the transaction that wrote it: readers ignore it in any other transaction.';

-- First statement of every request's transaction. p_token is the raw
-- session token (NULL: no session); its SHA-256 must match a live session
-- (not revoked, not expired, not idle, user active). Writes the context,
-- and checks the role's permission for (p_type, p_action). Raises CRA01 /
-- CRP01. p_request_id and p_addr are recorded as given: they are what
-- crmd asserts.
DROP FUNCTION crm.begin_request(bytea, text, text, text, text, text);
CREATE FUNCTION crm.begin_request(p_token bytea, p_request_id text, p_addr text,
				  p_timeout text, p_type text, p_action text)
RETURNS TABLE (user_id bigint, username text, role text, session_id bigint, scope text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	s record;
	uid bigint;
	uname text;
	urole text;
	sid bigint;
BEGIN
	PERFORM pg_catalog.set_config('statement_timeout', p_timeout, true);
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		PERFORM crm.context_create();
	END IF;
	IF p_token IS NOT NULL THEN
		SELECT se.id, se.user_id, u.username, u.role, se.last_used_at, se.idle_timeout INTO s
		FROM crm.sessions se JOIN crm.users u ON u.id = se.user_id
		WHERE se.token_hash = pg_catalog.sha256(p_token) AND se.revoked_at IS NULL
		  AND se.expires_at > pg_catalog.now() AND se.last_used_at + se.idle_timeout > pg_catalog.now()
		  AND u.active;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'session expired or revoked: log in again' USING ERRCODE = 'CRA01';
		END IF;
		uid := s.user_id;
		uname := s.username;
		urole := s.role;
		sid := s.id;
	END IF;
	-- One row, rewritten by every request (a HOT update: the table stays
	-- one page) and bound to this transaction's id.
	UPDATE pg_temp.crm_context c
	SET xact = pg_catalog.pg_current_xact_id(), user_id = uid, username = uname, role = urole,
	    session_id = sid, request_id = nullif(p_request_id, '')::bigint,
	    client_addr = nullif(p_addr, ''), scopes = NULL, team_ids = NULL, subteam_ids = NULL,
	    shared = '{}', audit_action = NULL, redacting = false;
	IF NOT FOUND THEN
		INSERT INTO pg_temp.crm_context (xact, user_id, username, role, session_id, request_id,
						 client_addr)
		VALUES (pg_catalog.pg_current_xact_id(), uid, uname, urole, sid,
			nullif(p_request_id, '')::bigint, nullif(p_addr, ''));
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
		scope := coalesce((SELECT p.scope FROM crm.permissions p WHERE p.role = urole
				   AND p.record_type = p_type AND p.action = p_action), 'none');
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
COMMENT ON FUNCTION crm.begin_request(bytea, text, text, text, text, text) IS
	'First statement of every request: checks the raw session token against the stored '
	'SHA-256, writes pg_temp.crm_context and checks the role''s permission for the route.';

-- The readers. SECURITY DEFINER (crm_app cannot read the context table
-- itself); without a context table or row they answer "nobody".
CREATE OR REPLACE FUNCTION crm.acting_user() RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.user_id FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$$;
COMMENT ON FUNCTION crm.acting_user() IS
	'The user the current transaction acts for, from the context crm.begin_request wrote '
	'after checking the session token; NULL (grants nothing) without one.';

CREATE FUNCTION crm.acting_session() RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.session_id FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$$;
COMMENT ON FUNCTION crm.acting_session() IS 'The session of the current request (from the context), or NULL.';

-- The role's row of the matrix, read once per transaction on first use
-- (a deep ping never needs it) and kept in the context.
CREATE FUNCTION crm.context_scopes() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	out_ jsonb;
BEGIN
	SELECT coalesce(pg_catalog.jsonb_object_agg(p.record_type || '.' || p.action, p.scope), '{}')
	INTO out_ FROM pg_temp.crm_context c JOIN crm.permissions p ON p.role = c.role
	WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	UPDATE pg_temp.crm_context c SET scopes = out_ WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	RETURN out_;
END
$$;

CREATE OR REPLACE FUNCTION crm.scope_of(p_type text, p_action text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	v jsonb;
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN 'none';
	END IF;
	SELECT c.scopes INTO v FROM pg_temp.crm_context c
	WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL;
	IF NOT FOUND THEN
		RETURN 'none';
	END IF;
	RETURN coalesce(coalesce(v, crm.context_scopes()) ->> (p_type || '.' || p_action), 'none');
END
$$;

CREATE OR REPLACE FUNCTION crm.scope_all(p_type text, p_action text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$ SELECT crm.scope_of(p_type, p_action) = 'all' $$;

CREATE OR REPLACE FUNCTION crm.scope_own(p_type text, p_action text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$ SELECT CASE WHEN crm.scope_of(p_type, p_action) <> 'none' THEN crm.acting_user() END $$;

-- Lazily filled caches: computed once per transaction, on first use, by a
-- VOLATILE definer function that stores them in the context row.
CREATE FUNCTION crm.context_teams(p_scope text) RETURNS bigint[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
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
	IF p_scope = 'subteams' THEN
		UPDATE pg_temp.crm_context c SET subteam_ids = out_ WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	ELSE
		UPDATE pg_temp.crm_context c SET team_ids = out_ WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	END IF;
	RETURN out_;
END
$$;

CREATE OR REPLACE FUNCTION crm.scope_teams(p_type text, p_action text) RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	s text := crm.scope_of(p_type, p_action);
	out_ bigint[];
BEGIN
	IF s NOT IN ('team', 'subteams') THEN
		RETURN '{}';
	END IF;
	SELECT CASE s WHEN 'team' THEN c.team_ids ELSE c.subteam_ids END INTO out_
	FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	RETURN coalesce(out_, crm.context_teams(s));
END
$$;

CREATE FUNCTION crm.context_shared(p_type text, p_edit boolean) RETURNS bigint[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	u bigint := crm.acting_user();
	out_ bigint[];
BEGIN
	IF u IS NULL THEN
		RETURN '{}';
	END IF;
	SELECT coalesce(array_agg(DISTINCT s.record_id), '{}') INTO out_
	FROM crm.shares s
	WHERE s.record_type = p_type
	  AND (s.access = 'edit' OR NOT p_edit)
	  AND (s.user_id = u OR s.team_id = (SELECT x.team_id FROM crm.users x WHERE x.id = u));
	UPDATE pg_temp.crm_context c
	SET shared = c.shared || jsonb_build_object(p_type || '.' || p_edit::text, to_jsonb(out_))
	WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	RETURN out_;
END
$$;

CREATE OR REPLACE FUNCTION crm.shared_ids(p_type text, p_edit boolean) RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	v jsonb;
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN '{}';
	END IF;
	SELECT c.shared -> (p_type || '.' || p_edit::text) INTO v
	FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned() AND c.user_id IS NOT NULL;
	IF NOT FOUND THEN
		RETURN '{}';
	ELSIF v IS NULL THEN
		RETURN crm.context_shared(p_type, p_edit);
	END IF;
	RETURN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v)::bigint);
END
$$;

-- The lookups of 0004 read settings; they are replaced by the context.
DROP FUNCTION crm.scope_lookup();
DROP FUNCTION crm.scope_teams_lookup(text);
DROP FUNCTION crm.shared_ids_lookup(text, boolean);

-- Names the audit action of the changes a definer function is about to
-- make (password_change, revoke, ...); NULL returns to naming it from what
-- changed. Callable only by the owner's functions.
CREATE FUNCTION crm.context_audit_action(p_action text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NOT NULL THEN
		UPDATE pg_temp.crm_context c SET audit_action = p_action WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	END IF;
END
$$;

CREATE FUNCTION crm.context_audit_action() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (SELECT c.audit_action FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned());
END
$$;

-- ------------------------------------------------------------ audit

-- One audit row. The acting user comes from the context (p_user is used
-- only when the context has none, by the login functions: the user who
-- just logged in); p_username names the attempted user of a failed login.
-- Request id and client address are what crmd asserted at begin_request.
DROP FUNCTION crm.audit_write(text, bigint, text, jsonb, jsonb, bigint);
CREATE FUNCTION crm.audit_write(p_type text, p_id bigint, p_action text, p_old jsonb, p_new jsonb,
				p_user bigint DEFAULT NULL, p_username text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	c_user bigint;
	c_name text;
	c_request bigint;
	c_addr text;
	u bigint;
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NOT NULL THEN
		SELECT x.user_id, x.username, x.request_id, x.client_addr
		INTO c_user, c_name, c_request, c_addr FROM pg_temp.crm_context x
		WHERE x.xact = pg_catalog.pg_current_xact_id_if_assigned();
	END IF;
	u := coalesce(c_user, p_user);
	INSERT INTO crm.audit (at, user_id, username, request_id, client_addr, record_type, record_id,
			       action, old_values, new_values, record_ref)
	VALUES (pg_catalog.clock_timestamp(), u,
		coalesce(p_username, CASE WHEN u = c_user THEN c_name END,
			 (SELECT x.username FROM crm.users x WHERE x.id = u)),
		c_request, c_addr, p_type, p_id, p_action, p_old, p_new,
		(SELECT r.id FROM crm.records r WHERE r.id = p_id AND r.record_type = p_type));
END
$$;

CREATE OR REPLACE FUNCTION crm.audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
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
	act := crm.context_audit_action();
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

CREATE OR REPLACE FUNCTION crm.users_revoke_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
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
$$;

-- The trail is append-only: no role updates, deletes or truncates it.
-- The one exception is the redaction of a purged record's personal fields,
-- done by crm.purge_record after it checked the purge permission from the
-- context; it flags the context while it redacts.
CREATE FUNCTION crm.audit_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
BEGIN
	-- Nested: the context table may not exist, so it is named only once it does.
	IF TG_OP = 'UPDATE' AND pg_catalog.to_regclass('pg_temp.crm_context') IS NOT NULL THEN
		IF (SELECT c.redacting FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned())
		   AND (NEW.id, NEW.at, NEW.user_id, NEW.username, NEW.request_id, NEW.client_addr,
			NEW.record_type, NEW.record_id, NEW.action, NEW.record_ref)
		       IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.user_id, OLD.username, OLD.request_id,
			OLD.client_addr, OLD.record_type, OLD.record_id, OLD.action, OLD.record_ref) THEN
			RETURN NEW;
		END IF;
	END IF;
	RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP
		USING ERRCODE = 'CRP01';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON crm.audit
	FOR EACH ROW EXECUTE FUNCTION crm.audit_guard();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON crm.audit
	FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_guard();

-- Purge: the permission comes from the context (scope_all reads it), so
-- nothing crm_app sets can forge it.
CREATE OR REPLACE FUNCTION crm.purge_record(p_type text, p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	rt crm.record_types;
	fk record;
	n bigint;
BEGIN
	SELECT * INTO rt FROM crm.record_types WHERE name = p_type;
	IF NOT crm.scope_all(p_type, 'admin') OR rt.table_name IS NULL THEN
		PERFORM crm.fail('CRP01', NULL, format('permission denied: only administrators purge %ss', p_type));
	END IF;
	FOR fk IN
		SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
		FROM pg_catalog.pg_constraint c
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'crm.records'::regclass
		  AND c.conrelid <> 'crm.audit'::regclass
		  AND c.conrelid::regclass::text NOT IN (SELECT x.table_name FROM crm.record_types x WHERE x.table_name IS NOT NULL)
	LOOP
		EXECUTE format('DELETE FROM %s WHERE %I = $1', fk.tbl, fk.col) USING p_id;
	END LOOP;
	EXECUTE format('DELETE FROM %s WHERE id = $1', rt.table_name) USING p_id;
	UPDATE pg_temp.crm_context c SET redacting = true WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	UPDATE crm.audit a
	SET old_values = crm.redact(a.old_values, rt.personal), new_values = crm.redact(a.new_values, rt.personal)
	WHERE a.record_ref = p_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE pg_temp.crm_context c SET redacting = false WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	UPDATE crm.records SET purged_at = now() WHERE id = p_id;
	PERFORM crm.audit_write(p_type, p_id, 'redact', NULL,
				jsonb_build_object('audit_rows', n, 'fields', to_jsonb(rt.personal)));
END
$$;

-- ------------------------------------------------------------ logins and passwords

-- Lockout (docs/security.md, "Throttling"). Failures are counted per
-- (username, address) -- kind 'pair' -- and per address ('addr'); past
-- their limits each further failure doubles a temporary lockout of that
-- pair or address only, so nobody can lock a user out from elsewhere. A
-- user's failures from all addresses are also counted per hour ('user',
-- window_start); at the cap the user is refused from every address that
-- has not logged in as them in the last 30 days.
ALTER TABLE crm.login_throttle DROP CONSTRAINT login_throttle_kind;
DELETE FROM crm.login_throttle WHERE kind = 'user'; -- ends the old user-wide lockouts
ALTER TABLE crm.login_throttle ADD CONSTRAINT login_throttle_kind CHECK (kind IN ('pair', 'addr', 'user'));
ALTER TABLE crm.login_throttle ADD COLUMN window_start timestamptz;
COMMENT ON TABLE crm.login_throttle IS
	'Failed logins. pair (key "username address"): past login_max_failures each further '
	'failure doubles a lockout of that username from that address; addr: the same per '
	'address past login_max_failures_addr; a success or 15 quiet minutes reset a count. '
	'user (key username): failures from every address in the hour from window_start; at '
	'login_user_hourly_cap only addresses that logged in as the user in the last 30 days '
	'may try. Operational state: not audited (the audit trail records each attempt).';
COMMENT ON COLUMN crm.login_throttle.window_start IS
	'kind user: start of the hour whose failures are counted; NULL for the other kinds.';

CREATE FUNCTION crm.login_known_addr(p_username text, p_addr text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id
		       WHERE u.username = lower(p_username) AND s.client_addr = p_addr
			 AND s.created_at > now() - interval '30 days')
$$;
COMMENT ON FUNCTION crm.login_known_addr(text, text) IS
	'Whether a session of the user was opened from the address in the last 30 days '
	'(such an address is exempt from the hourly cap).';

-- Before any password hashing: may this username try from this address?
-- Returns the user's id and hash (NULL for an unknown or disabled user:
-- crmd then verifies against a dummy hash so timing reveals nothing), the
-- seconds to wait (0: go ahead) and why: 'lockout' (this pair or this
-- address) or 'cap' (the user's hourly cap, from an unfamiliar address).
DROP FUNCTION crm.login_precheck(text, text);
CREATE FUNCTION crm.login_precheck(p_username text, p_addr text, p_cap integer)
RETURNS TABLE (user_id bigint, password_hash text, wait_seconds integer, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
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
$$;

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
DROP FUNCTION crm.login_finish(text, text, bigint, boolean, bytea, text, interval, interval,
			       integer, integer, interval);
CREATE FUNCTION crm.login_finish(p_username text, p_addr text, p_user_id bigint, p_ok boolean,
				 p_token_hash bytea, p_client_name text, p_lifetime interval,
				 p_idle interval, p_max_pair integer, p_max_addr integer,
				 p_lock_max interval, p_cap integer)
RETURNS TABLE (session_id bigint, expires_at timestamptz, wait_seconds integer, capped boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	k record;
	n integer;
	name_ text := lower(p_username);
BEGIN
	IF pg_catalog.to_regclass('pg_temp.crm_context') IS NULL
	   OR NOT EXISTS (SELECT 1 FROM pg_temp.crm_context c WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned()) THEN
		PERFORM crm.fail('CRA01', NULL, 'no request context: call crm.begin_request first');
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
$$;

-- A new session for the acting user (after a password change, which ends
-- all the others). The client address is the context's.
CREATE OR REPLACE FUNCTION crm.session_open(p_token_hash bytea, p_client_name text, p_lifetime interval, p_idle interval)
RETURNS TABLE (session_id bigint, expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION crm.own_password_hash() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$ SELECT u.password_hash FROM crm.users u WHERE u.id = crm.acting_user() AND u.active $$;

CREATE OR REPLACE FUNCTION crm.password_set(p_username text, p_hash text, p_action text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$
DECLARE
	target crm.users;
BEGIN
	SELECT * INTO target FROM crm.users WHERE username = lower(p_username);
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'username', format('no user named %s', p_username));
	END IF;
	IF p_action NOT IN ('password_change', 'password_reset') THEN
		PERFORM crm.fail('CRI01', 'action', 'is password_change or password_reset');
	END IF;
	IF NOT (p_action = 'password_change' AND target.id = crm.acting_user())
	   AND NOT crm.scope_all('user', 'admin') THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: only an administrator may reset another user''s password');
	END IF;
	PERFORM crm.context_audit_action(p_action);
	UPDATE crm.users SET password_hash = p_hash, password_changed_at = now(), updated_at = now()
	WHERE id = target.id;
	PERFORM crm.context_audit_action(NULL);
END
$$;

-- ------------------------------------------------------------ views

CREATE OR REPLACE VIEW crm.session_out WITH (security_invoker = true) AS
SELECT s.id AS session_id, u.username, crm.us(s.created_at) AS created_at,
       crm.us(s.last_used_at) AS last_used_at, crm.us(s.expires_at) AS expires_at,
       s.client_addr, s.client_name,
       s.id = crm.acting_session() AS current,
       s.user_id
FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id
WHERE s.revoked_at IS NULL AND s.expires_at > now() AND s.last_used_at + s.idle_timeout > now();

-- The user row the auth pool answers a login or a password change with:
-- the context's user (crm_auth reads no table itself).
CREATE FUNCTION crm.session_user_out() RETURNS SETOF crm.user_out
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$ SELECT * FROM crm.user_out WHERE user_id = crm.acting_user() $$;
COMMENT ON FUNCTION crm.session_user_out() IS
	'The acting user''s row of crm.user_out, for crm_auth''s login and password replies.';

-- The row a password reset answers with; only for an administrator's
-- context (crm.password_set has just checked the same).
CREATE FUNCTION crm.user_out_of(p_username text) RETURNS SETOF crm.user_out
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm, pg_temp
AS $$ SELECT * FROM crm.user_out WHERE username = lower(p_username) AND crm.scope_all('user', 'admin') $$;
COMMENT ON FUNCTION crm.user_out_of(text) IS
	'A user''s row of crm.user_out when the acting user administers users (crm_auth''s '
	'password reset reply).';

-- ------------------------------------------------------------ privileges

-- Every SECURITY DEFINER function searches pg_temp last.
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname IN ('crm', 'crm_meta') AND p.prosecdef LOOP
		EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, crm, pg_temp', f);
	END LOOP;
END
$$;

-- Nothing is executable by PUBLIC, now or in later migrations.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA crm, crm_meta FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- What crmd's request pool (crm_app) runs: the request prologue and the
-- policy helpers, and every function a request calls (they run with the
-- caller's rights, under row-level security).
GRANT EXECUTE ON FUNCTION
	crm.begin_request(bytea, text, text, text, text, text),
	crm.acting_user(), crm.acting_session(),
	crm.scope_of(text, text), crm.scope_all(text, text), crm.scope_own(text, text),
	crm.scope_teams(text, text), crm.shared_ids(text, boolean),
	crm.record_visible(text, bigint), crm.record_updatable(text, bigint),
	crm.record_editable(text, bigint), crm.idempotency_purge(),
	crm.purge_record(text, bigint), crm.account_parent_loops(bigint, bigint),
	crm.us(timestamptz), crm.fail(text, text, text), crm.redact(jsonb, text[]),
	crm.team_id_of(text, text), crm.user_id_of(text, text), crm.check_role(text),
	crm.user_name(bigint), crm.user_create(text, text, text, text, text, text, text, text),
	crm.user_update(text, text, text, text, text, text, text, text[], text[]),
	crm.user_set_active(text, boolean), crm.team_create(text, text),
	crm.team_update(text, text, text, text[]), crm.permission_set(text, text, text, text),
	crm.session_revoke(bigint),
	crm.note_create(text), crm.note_refuse(bigint, bigint, text),
	crm.note_update(bigint, bigint, text), crm.note_set_deleted(bigint, boolean),
	crm.note_reassign(bigint, text, text), crm.note_share(bigint, text, text, text, boolean),
	crm.pick(jsonb, text, text[], text), crm.given(jsonb, text, text[]),
	crm.check_text(text, text, integer, boolean), crm.phone_norm(text),
	crm.check_phone(text, text), crm.check_email(text, text), crm.check_number(text, text),
	crm.check_money(text, text, text), crm.check_date(text, text), crm.check_bool(text, text),
	crm.check_instant(text, text), crm.check_picklist(text, text, text, text),
	crm.check_country(text, text), crm.check_parent(bigint, bigint),
	crm.check_preferences(jsonb), crm.check_birthday(jsonb),
	crm.save_tags(text, bigint, jsonb, text[], boolean),
	crm.save_custom_value(text, bigint, crm.fields, text),
	crm.save_custom(text, bigint, jsonb, text[], boolean),
	crm.save_contact_lists(bigint, jsonb, text[], boolean),
	crm.record_refuse(text, bigint, bigint, text),
	crm.address_json(text, text, text, text, text),
	crm.account_save(bigint, bigint, jsonb, text[]), crm.name_order_of(text, text),
	crm.set_primary_account(bigint, bigint), crm.contact_save(bigint, bigint, jsonb, text[]),
	crm.business_table(text), crm.record_create(jsonb),
	crm.record_update(bigint, bigint, jsonb, text[]), crm.record_get(text, bigint),
	crm.scope_cond(text, text), crm.record_set_deleted(text, bigint, boolean),
	crm.record_reassign(text, bigint, text, text), crm.record_purge(text, bigint),
	crm.filter_cond(text, jsonb, text[]),
	crm.record_list_sql(text, jsonb, jsonb, text, integer, boolean, boolean, boolean),
	crm.record_list(text, jsonb, jsonb, text, integer, boolean, boolean),
	crm.record_count(text, jsonb, boolean, boolean), crm.record_name(text, bigint),
	crm.relation_json(crm.relations), crm.relation_add(bigint, bigint, text, boolean),
	crm.relation_remove(bigint), crm.relation_list(bigint, text, integer),
	crm.field_json(crm.fields), crm.field_add(jsonb), crm.field_list(text),
	crm.field_remove(text, text), crm.picklist_json(text), crm.picklist_list(text),
	crm.picklist_add(text, text, text), crm.picklist_remove(text, text)
TO crm_app;

-- A password reset runs on the auth pool and may carry an idempotency key:
-- crm_auth reaches its acting user's stored replies, as crm_app does.
CREATE POLICY own_keys_auth ON crm.idempotency_keys TO crm_auth
	USING (principal = coalesce(crm.acting_user()::text, ''))
	WITH CHECK (principal = coalesce(crm.acting_user()::text, ''));
GRANT SELECT, INSERT, UPDATE ON crm.idempotency_keys TO crm_auth;

-- What crmd's auth pool (crm_auth) runs: the prologue, logins, password
-- change and reset, and the rows it answers with. It reads no table.
GRANT USAGE ON SCHEMA crm TO crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.begin_request(bytea, text, text, text, text, text),
	crm.login_precheck(text, text, integer),
	crm.login_finish(text, text, bigint, boolean, bytea, text, interval, interval, integer, integer,
			 interval, integer),
	crm.session_open(bytea, text, interval, interval),
	crm.own_password_hash(), crm.password_set(text, text, text),
	crm.session_user_out(), crm.user_out_of(text), crm.us(timestamptz)
TO crm_auth;
