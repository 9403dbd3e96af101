-- sql/modules/90_audit.sql: the audit trail.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

-- Attaches the audit trigger to a table: one line per table.
CREATE OR REPLACE FUNCTION crm.attach_audit(p_table regclass, p_type text, VARIADIC p_skip text[] DEFAULT '{}'::text[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.audit_row(%s)',
		       p_table, array_to_string(ARRAY(SELECT quote_literal(x)
						      FROM unnest(p_type || p_skip) AS x), ', '));
END
$function$;

DROP POLICY IF EXISTS owner_all ON crm.audit;
CREATE POLICY owner_all ON crm.audit TO crm_owner USING (true) WITH CHECK (true);

-- Side rows are audited as changes of the record they belong to: one
-- audit row per tag, custom value, e-mail address or phone number added,
-- changed or removed (the business row's own trigger sees none of them).
CREATE OR REPLACE FUNCTION crm.audit_side()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
	n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
	r jsonb := coalesce(n, o);
	k text := TG_ARGV[2];
BEGIN
	IF k = 'custom' THEN
		o := (SELECT jsonb_build_object('field', f.name, 'value', coalesce(o ->> 'v_text', o ->> 'v_num', o ->> 'v_date', o ->> 'v_bool')
						|| coalesce(' ' || (o ->> 'v_currency'), ''))
		      FROM crm.fields f WHERE f.id = (o ->> 'field_id')::bigint);
		n := (SELECT jsonb_build_object('field', f.name, 'value', coalesce(n ->> 'v_text', n ->> 'v_num', n ->> 'v_date', n ->> 'v_bool')
						|| coalesce(' ' || (n ->> 'v_currency'), ''))
		      FROM crm.fields f WHERE f.id = (n ->> 'field_id')::bigint);
	ELSE
		o := o - TG_ARGV[1] - 'record_type' - 'tag_norm' - 'address_norm' - 'number_norm' - 'position';
		n := n - TG_ARGV[1] - 'record_type' - 'tag_norm' - 'address_norm' - 'number_norm' - 'position';
	END IF;
	IF o IS NOT DISTINCT FROM n THEN
		RETURN NULL;
	END IF;
	PERFORM crm.audit_write(coalesce(nullif(TG_ARGV[0], ''), r ->> 'record_type'), (r ->> TG_ARGV[1])::bigint, 'update',
				CASE WHEN o IS NOT NULL THEN jsonb_build_object(k, o) END,
				CASE WHEN n IS NOT NULL THEN jsonb_build_object(k, n) END);
	RETURN NULL;
END
$function$;

-- One audit row. The acting user comes from the context (p_user is used
-- only when the context has none, by the login functions: the user who
-- just logged in); p_username names the attempted user of a failed login.
-- Request id and client address are what crmd asserted at begin_request.
CREATE OR REPLACE FUNCTION crm.audit_write(p_type text, p_id bigint, p_action text, p_old jsonb, p_new jsonb, p_user bigint DEFAULT NULL::bigint, p_username text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION crm.audit_row()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
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
$function$;

-- Purge: the permission comes from the context (scope_all reads it), so
-- nothing crm_app sets can forge it. The rows go through
-- crm.record_erase, generated from the registry (modules/50_records.sql):
-- static statements, none built per request.
CREATE OR REPLACE FUNCTION crm.purge_record(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	rt crm.record_types;
	n bigint;
BEGIN
	SELECT * INTO rt FROM crm.record_types WHERE name = p_type;
	IF NOT crm.scope_all(p_type, 'admin') OR rt.table_name IS NULL THEN
		PERFORM crm.raise('CRP01', NULL, 'audit.permission_denied_only_administrators_purge', p_type::text);
	END IF;
	PERFORM crm.record_erase(p_type, p_id);
	UPDATE pg_temp.crm_context c SET redacting = true WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	-- the names of its attachments are the record's as much as its fields
	-- (modules/86_attachments.sql audits them under the key attachment)
	UPDATE crm.audit a
	SET old_values = crm.redact(a.old_values, rt.personal || '{attachment}'), new_values = crm.redact(a.new_values, rt.personal || '{attachment}'),
	    old_shown = crm.redact(a.old_shown, rt.personal || '{attachment}'), new_shown = crm.redact(a.new_shown, rt.personal || '{attachment}')
	WHERE a.record_ref = p_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE pg_temp.crm_context c SET redacting = false WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned();
	UPDATE crm.records SET purged_at = now() WHERE id = p_id;
	PERFORM crm.audit_write(p_type, p_id, 'redact', NULL,
				jsonb_build_object('audit_rows', n, 'fields', to_jsonb(rt.personal)));
END
$function$;

-- The trail stays append-only (0005): its history columns never change.
-- The subject columns are not history but who may read it: they follow
-- the record's owner and team, written only by the owner's triggers below
-- (no role crmd uses may UPDATE crm.audit). The redaction exception of
-- 0005 is kept as it was.
CREATE OR REPLACE FUNCTION crm.audit_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	subject CONSTANT text[] := ARRAY['subject_type', 'subject_ref', 'subject_owner', 'subject_team'];
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF (pg_catalog.to_jsonb(NEW) - subject) = (pg_catalog.to_jsonb(OLD) - subject) THEN
			RETURN NEW;
		END IF;
		-- Nested: the context table may not exist, so it is named only once it does.
		IF pg_catalog.to_regclass('pg_temp.crm_context') IS NOT NULL THEN
			IF (SELECT c.redacting FROM pg_temp.crm_context c
			    WHERE c.xact = pg_catalog.pg_current_xact_id_if_assigned())
			   AND (NEW.id, NEW.at, NEW.user_id, NEW.username, NEW.request_id, NEW.client_addr,
				NEW.record_type, NEW.record_id, NEW.action, NEW.record_ref)
			       IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.user_id, OLD.username, OLD.request_id,
				OLD.client_addr, OLD.record_type, OLD.record_id, OLD.action, OLD.record_ref) THEN
				RETURN NEW;
			END IF;
		END IF;
	END IF;
	PERFORM crm.raise('CRP01', NULL, 'audit.append_only', TG_OP);
END
$function$;

-- Owner and team of a business record now, whatever the caller may see:
-- crm.records keeps them for every business type (sql/0013); NULL for a
-- purged record and for what is not a business record.
CREATE OR REPLACE FUNCTION crm.audit_owner_of(p_type text, p_id bigint, OUT owner_id bigint, OUT team_id bigint)
 RETURNS record
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	SELECT r.owner_id, r.team_id INTO owner_id, team_id FROM crm.records r
	WHERE r.id = p_id AND r.record_type = p_type AND r.purged_at IS NULL;
END
$function$;

-- BEFORE INSERT on crm.audit: fills the subject columns of a new row.
CREATE OR REPLACE FUNCTION crm.audit_subject()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	o record;
BEGIN
	NEW.subject_type := NULL;
	NEW.subject_ref := NULL;
	NEW.subject_owner := NULL;
	NEW.subject_team := NULL;
	IF NEW.record_type IN ('team', 'permission', 'role', 'field') THEN
		NEW.subject_type := 'public';
	ELSIF NEW.record_type = 'user' THEN
		NEW.subject_type := 'user';
		NEW.subject_ref := NEW.record_id;
		NEW.subject_owner := NEW.record_id;
	ELSIF NEW.record_type = 'session' THEN
		NEW.subject_type := 'session';
		NEW.subject_ref := NEW.record_id;
		NEW.subject_owner := (SELECT s.user_id FROM crm.sessions s WHERE s.id = NEW.record_id);
	ELSIF NEW.record_type = 'relation' THEN
		SELECT r.from_type, r.from_id INTO NEW.subject_type, NEW.subject_ref
		FROM crm.relations r WHERE r.id = NEW.record_id;
	ELSE
		NEW.subject_type := NEW.record_type;
		NEW.subject_ref := NEW.record_id;
	END IF;
	IF NEW.subject_type NOT IN ('public', 'user', 'session') THEN
		o := crm.audit_owner_of(NEW.subject_type, NEW.subject_ref);
		IF o.owner_id IS NULL THEN
			-- not a business record, or one that is gone (a purge)
			NEW.subject_type := NULL;
		ELSE
			NEW.subject_owner := o.owner_id;
			NEW.subject_team := o.team_id;
		END IF;
	END IF;
	RETURN NEW;
END
$function$;

-- AFTER UPDATE OF owner_id, team_id and AFTER DELETE on a business table:
-- the history of the record (and of the relations it is the from end of)
-- follows it to its new owner and team; a purged record's history is
-- left to scope all (and to whoever acted).
CREATE OR REPLACE FUNCTION crm.audit_follow()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE crm.audit a SET subject_type = NULL, subject_owner = NULL, subject_team = NULL
		WHERE a.subject_ref = OLD.id AND a.subject_type = TG_ARGV[0];
	ELSE
		UPDATE crm.audit a SET subject_owner = NEW.owner_id, subject_team = NEW.team_id
		WHERE a.subject_ref = NEW.id AND a.subject_type = TG_ARGV[0]
		  AND (a.subject_owner, a.subject_team) IS DISTINCT FROM (NEW.owner_id, NEW.team_id);
	END IF;
	RETURN NULL;
END
$function$;

-- Attaches crm.audit_follow to a business table (named after the "audit"
-- trigger, so it runs after the row that trigger writes, and before
-- sync_record brings crm.records in step). Can run again (CREATE OR
-- REPLACE TRIGGER): crm.attach_record calls it for a new type, and
-- crm.refresh_generated() (99_generated.sql) for every business table of
-- the registry, so that a type a migration added on a fresh database
-- (where crm.attach_record still has 0004's body) has them too.
CREATE OR REPLACE FUNCTION crm.attach_audit_follow(p_table regclass, p_type text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	EXECUTE format('CREATE OR REPLACE TRIGGER audit_follow AFTER UPDATE OF owner_id, team_id ON %s FOR EACH ROW '
		       'WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id) '
		       'EXECUTE FUNCTION crm.audit_follow(%L)', p_table, p_type);
	EXECUTE format('CREATE OR REPLACE TRIGGER audit_follow_purge AFTER DELETE ON %s FOR EACH ROW '
		       'EXECUTE FUNCTION crm.audit_follow(%L)', p_table, p_type);
END
$function$;

-- Who reads an audit row: scope all on the audit trail reads every row;
-- any other scope of it reads one's own actions, rows about oneself (one's
-- user and sessions), the public rows, and the rows about a business record
-- (subject_type is its type, subject_owner and subject_team its owner and
-- team now) that the reader's scope of reading that type covers, or that is
-- shared with the reader. That last test is one lookup per row whatever the
-- number of record types: the reader's read scopes for every type, one JSON
-- object read once per statement (crm.action_scopes), looked up by the
-- row's subject_type, as crm.records' own policy does (crm.scope_test);
-- shares of any type (crm.shared_any: record ids are unique across types).
-- A relation's rows also need the relation visible (both its ends).
-- The scope of reading the trail is one initial plan (one definer call a
-- statement, where scope all and "not none" were two); each other
-- sub-select is evaluated once a statement, and only if a row needs it.
DROP POLICY IF EXISTS select_scope ON crm.audit;
CREATE POLICY select_scope ON crm.audit FOR SELECT TO crm_app
	USING (CASE coalesce((SELECT crm.scope_of('audit', 'read')), 'none')
	       WHEN 'all' THEN true
	       WHEN 'none' THEN false
	       ELSE user_id = (SELECT crm.acting_user())
			OR (subject_type IN ('user', 'session') AND subject_owner = (SELECT crm.acting_user()))
			OR subject_type = 'public'
			OR (subject_type NOT IN ('public', 'user', 'session')
			    AND (CASE (SELECT crm.action_scopes('read')) ->> subject_type
				 WHEN 'all' THEN true
				 WHEN 'own' THEN subject_owner = (SELECT crm.acting_user())
				 WHEN 'team' THEN subject_owner = (SELECT crm.acting_user())
					OR subject_team = ANY ((SELECT crm.teams_of_scope('team'))::bigint[])
				 WHEN 'subteams' THEN subject_owner = (SELECT crm.acting_user())
					OR subject_team = ANY ((SELECT crm.teams_of_scope('subteams'))::bigint[])
				 ELSE false END
				 OR subject_ref = ANY ((SELECT crm.shared_any(false))::bigint[]))
			    AND (record_type <> 'relation' OR crm.record_visible('relation', record_id)))
	       END);

-- A change set (old or new values) as people read it, worked out once,
-- when its audit row is written (trigger audit_shown; sql/0026 did
-- it for the rows before): user and team ids followed by their names then
-- ("5 (alice)"), money amounts with their currency to its minor units
-- ("1250000.00 EUR") with the currency key folded into the amount; other
-- values as they are. Money is what the field facts say when the row is
-- written: a standard field of kind money of the row's type
-- (crm.standard_fields, p_money), kept in the columns NAME and
-- NAME_currency, so in the change set under those keys; or any number that
-- comes with a NAME_currency key. The currency is the change set's, the
-- other side's, or, for a change of the amount alone, the one the record's
-- history last recorded before the row (the currency the amount was in,
-- even after a later change of it or a purge): the latest row of the
-- record that changed the currency or showed an amount with it, so the
-- look-up stops at the change before instead of reading the record's
-- whole history back to the currency's last change. NULL for an empty side.
-- A BEFORE INSERT trigger, so any insert gets them, whoever writes it; both
-- NULL when the row holds no user, team or money key (the values as
-- recorded are what people read).
CREATE OR REPLACE FUNCTION crm.audit_shown_row()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	money text[];
	keys text[];
	side int;
	vals jsonb;
	other jsonb;
	shown jsonb;
	k text;
	v jsonb;
	cur text;
	name text;
	known jsonb := '{}';  -- currencies looked up in the history, by key
BEGIN
	-- PL/pgSQL over the change set's numbers only, each statement a cached
	-- plan: as a SQL function the same work was planned again in every
	-- transaction (1.6 ms a write).
	NEW.old_shown := NULL;
	NEW.new_shown := NULL;
	IF NEW.old_values IS NULL AND NEW.new_values IS NULL THEN
		RETURN NEW;
	END IF;
	SELECT coalesce(array_agg(f.name), '{}') INTO money
	FROM crm.standard_fields f WHERE f.record_type = NEW.record_type AND f.kind = 'money';
	keys := ARRAY['owner_id', 'user_id', 'created_by', 'updated_by', 'team_id', 'parent_id']
		|| money || ARRAY(SELECT m || '_currency' FROM unnest(money) m);
	IF NOT (coalesce(NEW.old_values ?| keys, false) OR coalesce(NEW.new_values ?| keys, false)) THEN
		RETURN NEW;
	END IF;
	FOR side IN 1..2 LOOP
		vals := CASE side WHEN 1 THEN NEW.old_values ELSE NEW.new_values END;
		other := CASE side WHEN 1 THEN NEW.new_values ELSE NEW.old_values END;
		IF vals IS NULL OR jsonb_typeof(vals) <> 'object' OR vals = '{}' THEN
			CONTINUE;
		END IF;
		shown := vals;
		FOR k, v IN SELECT e.key, e.value FROM jsonb_each(vals) e WHERE jsonb_typeof(e.value) = 'number' LOOP
			name := NULL;
			IF k IN ('owner_id', 'user_id', 'created_by', 'updated_by') THEN
				SELECT u.username INTO name FROM crm.users u WHERE u.id = (v #>> '{}')::bigint;
				shown := shown || jsonb_build_object(k, (v #>> '{}') || coalesce(' (' || name || ')', ''));
				CONTINUE;
			ELSIF k = 'team_id' OR (NEW.record_type = 'team' AND k = 'parent_id') THEN
				SELECT t.name INTO name FROM crm.teams t WHERE t.id = (v #>> '{}')::bigint;
				shown := shown || jsonb_build_object(k, (v #>> '{}') || coalesce(' (' || name || ')', ''));
				CONTINUE;
			END IF;
			-- the currency of a number, if it is an amount
			cur := coalesce(vals ->> (k || '_currency'), other ->> (k || '_currency'));
			IF cur IS NULL AND k = ANY (money) THEN
				IF known ? k THEN
					cur := known ->> k;
				ELSE
					SELECT coalesce(h.new_values ->> (k || '_currency'),
							substring(h.new_shown ->> k FROM ' ([A-Z]{3})$'))
					INTO cur
					FROM crm.audit h
					WHERE h.record_type = NEW.record_type AND h.record_id = NEW.record_id AND h.id < NEW.id
					  AND (h.new_values ? (k || '_currency')
					       OR (h.new_values ? k AND h.new_shown ->> k ~ ' [A-Z]{3}$'))
					ORDER BY h.id DESC LIMIT 1;
					known := known || jsonb_build_object(k, cur);
				END IF;
			END IF;
			IF cur IS NOT NULL THEN
				shown := shown || jsonb_build_object(k,
					round((v #>> '{}')::numeric,
					      coalesce((SELECT c.minor_units FROM crm.currencies c WHERE c.code = cur), 2))::text
					|| ' ' || cur);
			END IF;
			-- a currency key beside its amount is folded into it
			shown := shown - (k || '_currency');
		END LOOP;
		IF side = 1 THEN
			NEW.old_shown := shown;
		ELSE
			NEW.new_shown := shown;
		END IF;
	END LOOP;
	RETURN NEW;
END
$function$;

-- What crmd answers: the row, at in microseconds, values as JSON text,
-- the shown values kept with the row, and the current name of a user or
-- team a row is about.
CREATE OR REPLACE VIEW crm.audit_out WITH (security_invoker = true) AS
SELECT a.id AS audit_id, (extract(epoch FROM a.at) * 1000000)::bigint AS at, a.username, a.request_id,
       a.client_addr, a.record_type, a.record_id, a.action, a.old_values::text AS old_values,
       a.new_values::text AS new_values, a.user_id, a.at AS at_ts,
       CASE a.record_type
	       WHEN 'user' THEN (SELECT u.username FROM crm.users u WHERE u.id = a.record_id)
	       WHEN 'team' THEN (SELECT t.name FROM crm.teams t WHERE t.id = a.record_id) END AS record_name,
       a.old_shown::text AS old_shown, a.new_shown::text AS new_shown
FROM crm.audit a;

COMMENT ON COLUMN crm.audit_out.audit_id IS 'The audit row''s id (crm.audit.id).';
COMMENT ON COLUMN crm.audit_out.at IS 'When the change happened (microseconds since 1970).';
COMMENT ON COLUMN crm.audit_out.username IS 'Acting user''s name at the time.';
COMMENT ON COLUMN crm.audit_out.request_id IS 'crmd''s request id.';
COMMENT ON COLUMN crm.audit_out.client_addr IS 'The client''s address.';
COMMENT ON COLUMN crm.audit_out.record_type IS 'The type of the record the row is about.';
COMMENT ON COLUMN crm.audit_out.record_id IS 'The id of the record the row is about.';
COMMENT ON COLUMN crm.audit_out.action IS 'What happened (crm.audit.action).';
COMMENT ON COLUMN crm.audit_out.old_values IS 'The changed fields'' values before the change, as JSON text.';
COMMENT ON COLUMN crm.audit_out.new_values IS 'The changed fields'' values after the change, as JSON text.';
COMMENT ON COLUMN crm.audit_out.user_id IS 'Acting user''s id.';
COMMENT ON COLUMN crm.audit_out.at_ts IS 'at as a timestamp, for filtering.';
COMMENT ON COLUMN crm.audit_out.record_name IS 'A user''s or team''s current name, for rows about one.';
COMMENT ON COLUMN crm.audit_out.old_shown IS 'old_values with user and team names beside their ids (the names when the row was written) and money with its currency, as JSON text (crm.audit.old_shown).';
COMMENT ON COLUMN crm.audit_out.new_shown IS 'new_values shown the same way as old_shown.';
COMMENT ON VIEW crm.audit_out IS
	'Audit rows as crmd answers them: at in microseconds, values as JSON text, and for people '
	'record_name (a user''s or team''s name) and old_shown/new_shown (user and team names beside '
	'ids, money with its currency).';
GRANT SELECT ON crm.audit_out TO crm_app;

-- The types an audit list may name: the registered ones and the
-- administrative rows the trail also records.
CREATE OR REPLACE FUNCTION crm.audit_check_type(p_type text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_type IS NOT NULL AND p_type NOT IN ('team_manager', 'role', 'share', 'picklist', 'picklist_value')
	   AND NOT EXISTS (SELECT 1 FROM crm.record_types t WHERE t.name = p_type) THEN
		PERFORM crm.raise('CRI01', 'record_type', 'audit.not_record_type_audit_trail', p_type::text, ((SELECT string_agg(n, ', ' ORDER BY n)
					 FROM (SELECT t.name AS n FROM crm.record_types t
					       UNION SELECT unnest(ARRAY['team_manager', 'role', 'share', 'picklist',
									 'picklist_value'])) x))::text);
	END IF;
END
$function$;

-- A protocol instant (microseconds) as a timestamp, refusing what
-- PostgreSQL cannot represent with the field named.
CREATE OR REPLACE FUNCTION crm.audit_instant(p_us bigint, p_field text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
	-- 4713 BC .. 294276 AD is PostgreSQL's range; keep well inside it
	IF p_us IS NOT NULL AND p_us NOT BETWEEN -62135596800000000 AND 253402300799999999 THEN
		PERFORM crm.raise('CRI01', p_field, 'audit.must_between_utc');
	END IF;
	RETURN timestamptz 'epoch' + (p_us / 1000000) * interval '1 second'
		+ (p_us % 1000000) * interval '1 microsecond';
END
$function$;

-- Whether a read scope covers a row with that owner and team, for a reader
-- whose context is passed in as values: the CASE of crm.scope_test's
-- policy text, as an expression the planner inlines (the arguments are
-- plain values or columns where it is called).
CREATE OR REPLACE FUNCTION crm.scope_covers(p_scope text, p_owner bigint, p_team bigint, me bigint, t_team bigint[], t_sub bigint[])
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT CASE p_scope
	       WHEN 'all' THEN true
	       WHEN 'own' THEN p_owner = me
	       WHEN 'team' THEN p_owner = me OR p_team = ANY (t_team)
	       WHEN 'subteams' THEN p_owner = me OR p_team = ANY (t_sub)
	       ELSE false END
$function$;
COMMENT ON FUNCTION crm.scope_covers(text,bigint,bigint,bigint,bigint[],bigint[]) IS 'Whether a read scope (all, own, team, subteams) covers a row of that owner and team for the reader me with those teams; for crm.audit_readable and crm.audit_relation_readable.';

-- Whether a reader sees a relation (crm.relations' policy: both its ends
-- visible in crm.records, by the type's read scope against the owner and
-- team, or shared; purged records are not), with the reader's context
-- passed in. For crm.audit_scoped_ids, which reads as the owner: there
-- crm.record_visible would see every relation.
CREATE OR REPLACE FUNCTION crm.audit_relation_readable(p_id bigint, me bigint, scopes jsonb, t_team bigint[], t_sub bigint[], shared bigint[])
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
	-- the two ends are two records (relations_to_id_self)
	SELECT EXISTS (SELECT 1 FROM crm.relations r
		       WHERE r.id = p_id
			 AND (SELECT count(*) FROM crm.records x
			      WHERE ((x.id = r.from_id AND x.record_type = r.from_type)
				     OR (x.id = r.to_id AND x.record_type = r.to_type))
				AND x.purged_at IS NULL
				AND (crm.scope_covers(scopes ->> x.record_type, x.owner_id, x.team_id, me, t_team, t_sub)
				     OR x.id = ANY (shared))) = 2)
$function$;
COMMENT ON FUNCTION crm.audit_relation_readable(bigint,bigint,jsonb,bigint[],bigint[],bigint[]) IS 'Whether a reader whose context is passed in as values sees a relation: both its ends visible (crm.relations'' policy), for crm.audit_scoped_ids.';

-- Whether a reader whose scope of reading the trail is neither none nor
-- all may read an audit row: the rule of the policy select_scope above,
-- with the reader's context passed in as values (crm.audit_scoped_ids reads
-- it once per call) where the policy reads it in initial plans. A plain
-- expression (no sub-select, no SET), so that the planner inlines it into
-- each index range of crm.audit_scoped_ids; the relation rows' extra test
-- is a call made for them only. tests/integration/test_audit.py checks
-- that a page and the policy agree for every reader.
CREATE OR REPLACE FUNCTION crm.audit_readable(p_user_id bigint, p_subject_type text, p_owner bigint, p_team bigint, p_ref bigint, p_record_type text, p_record_id bigint, me bigint, scopes jsonb, t_team bigint[], t_sub bigint[], shared bigint[])
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
	SELECT p_user_id = me
	       OR (p_subject_type IN ('user', 'session') AND p_owner = me)
	       OR p_subject_type = 'public'
	       OR (p_subject_type NOT IN ('public', 'user', 'session')
		   AND (crm.scope_covers(scopes ->> p_subject_type, p_owner, p_team, me, t_team, t_sub)
			OR p_ref = ANY (shared))
		   AND (p_record_type <> 'relation'
			OR crm.audit_relation_readable(p_record_id, me, scopes, t_team, t_sub, shared)))
$function$;
COMMENT ON FUNCTION crm.audit_readable(bigint,text,bigint,bigint,bigint,text,bigint,bigint,jsonb,bigint[],bigint[],bigint[]) IS 'The rule of crm.audit''s policy select_scope for a reader whose context is passed in as values (crm.audit_scoped_ids); the policy still checks every row read as crm_app.';

-- The ids of one page of the trail as a user without scope all sees it:
-- the user's scope stated in the query, one index range per way in, each
-- newest first and at most p_n rows, merged. p_before: the last id of the
-- previous page. p_user: only that user's actions (audit list --user),
-- each way in then read as its range of that user's rows
-- (audit_owner_user_idx, audit_team_user_idx: sql/0011), so a page costs
-- what it shows however busy the user is.
--
-- Who reads what is decided twice, independently. Here, first: the
-- reader's context (user, read scopes, teams, shares) is read once per
-- call, and every range keeps only the rows crm.audit_readable (the
-- policy's rule over those values) lets the reader see, before its LIMIT,
-- so a page is never short. Then crm.audit_list reads the page's rows
-- through crm.audit_out as crm_app, where the trail's row-level security
-- checks each row again on its own. The ranges are read as the owner
-- (SECURITY DEFINER; the trail's policy for crm_owner is true) because
-- under crm_app each range carried its own copy of the policy, and with
-- it the policy's initial plans, up to six definer calls per range: about
-- fifteen per page, most of a sales user's page beyond an admin's
-- (docs/benchmarks.md, "Audit trail"). The context comes from the
-- request's own context row (crm.acting_user, crm.action_scopes), never
-- from the arguments, so a caller learns only ids it may read.
-- Each range is written as a row comparison on its index's columns,
-- (subject_owner, id) < (me, before) with subject_owner >= me, not as an
-- equality on the first: with an equality the order by id alone is one
-- the primary key also gives, and without the policy's cost on every row
-- the planner walked the primary key backwards filtering on the owner
-- (10,000 rows read for 3 in test_audit.py); a row comparison only the
-- range's own index serves. And no sort but the merge's: a range
-- estimated to hold fewer rows than a page was otherwise read whole
-- through a bitmap of two indexes (its type's among them) and sorted,
-- which on a real trail reads every row of the type (enable_sort off:
-- each range is then its own index, newest first, read as far as a page
-- needs). (jit off: see crm.audit_list.)
-- Generic plans whoever calls it (crmd's connections use them anyway,
-- server/db.c): under the default plan_cache_mode the merged query's
-- custom plan is estimated far cheaper than its generic one, so it would
-- be planned again on every call; the generic plan reads the same index
-- ranges.
CREATE OR REPLACE FUNCTION crm.audit_scoped_ids(p_type text, p_since timestamp with time zone, p_until timestamp with time zone, p_before bigint, p_n integer, p_user bigint)
 RETURNS bigint[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_sort TO 'off'
AS $function$
DECLARE
	me bigint := crm.acting_user();
	scopes jsonb := crm.action_scopes('read');  -- every type's read scope, read once
	own_types text[];
	team_types text[];
	all_types text[];     -- business types read whole
	biz_types text[];
	t_team bigint[] := '{}';
	t_sub bigint[] := '{}';
	teams bigint[];
	shared bigint[];
	before bigint := coalesce(p_before, 9223372036854775807);
BEGIN
	-- no request, or no scope of reading the trail: nothing, as the policy
	IF me IS NULL OR coalesce(scopes ->> 'audit', 'none') = 'none' THEN
		RETURN '{}';
	END IF;
	-- The business types of the registry, sorted by the reader's read
	-- scope of each (none: absent from the JSON).
	SELECT coalesce(array_agg(t.name) FILTER (WHERE scopes ->> t.name IN ('own', 'team', 'subteams', 'all')), '{}'),
	       coalesce(array_agg(t.name) FILTER (WHERE scopes ->> t.name = 'all'), '{}'),
	       coalesce(array_agg(t.name) FILTER (WHERE scopes ->> t.name IN ('own', 'team', 'subteams')), '{}'),
	       coalesce(array_agg(t.name) FILTER (WHERE scopes ->> t.name IN ('team', 'subteams')), '{}')
	INTO biz_types, all_types, own_types, team_types
	FROM crm.record_types t WHERE t.table_name IS NOT NULL;
	own_types := ARRAY['user', 'session'] || own_types;
	IF EXISTS (SELECT 1 FROM unnest(team_types) x WHERE scopes ->> x = 'team') THEN
		t_team := crm.teams_of_scope('team');
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(team_types) x WHERE scopes ->> x = 'subteams') THEN
		t_sub := crm.teams_of_scope('subteams');
	END IF;
	teams := t_team || t_sub;
	-- records of any type shared with the reader; each way in below keeps
	-- those of the types read at all (ids are unique across types)
	shared := CASE WHEN cardinality(biz_types) > 0 THEN crm.shared_any(false) ELSE '{}' END;
	IF p_user IS NOT NULL THEN
		RETURN ARRAY(
			SELECT u.id FROM (
				(SELECT a.id FROM crm.audit a
				 WHERE me = p_user AND a.user_id >= me AND (a.user_id, a.id) < (me, before)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				 ORDER BY a.user_id DESC, a.id DESC LIMIT p_n)
				UNION
				(SELECT a.id FROM crm.audit a
				 WHERE (a.subject_owner, a.user_id) >= (me, p_user) AND (a.subject_owner, a.user_id, a.id) < (me, p_user, before)
				   AND a.subject_type = ANY (own_types)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
							  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
				 ORDER BY a.subject_owner DESC, a.user_id DESC, a.id DESC LIMIT p_n)
				UNION
				SELECT x.id FROM (SELECT DISTINCT unnest(teams) AS team) k,
				LATERAL (SELECT a.id FROM crm.audit a
					 WHERE (a.subject_team, a.user_id) >= (k.team, p_user)
					   AND (a.subject_team, a.user_id, a.id) < (k.team, p_user, before)
					   AND a.subject_type = ANY (team_types)
					   AND (p_type IS NULL OR a.record_type = p_type)
					   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
					   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
								  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
					 ORDER BY a.subject_team DESC, a.user_id DESC, a.id DESC LIMIT p_n) x
				UNION
				-- the rare public rows: their own range
				(SELECT a.id FROM crm.audit a
				 WHERE a.subject_type >= 'public' AND (a.subject_type, a.id) < ('public', before) AND a.user_id = p_user
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				 ORDER BY a.subject_type DESC, a.id DESC LIMIT p_n)
				UNION
				-- business types read whole (no role has that without scope all
				-- on the audit trail by default): the user's own range
				(SELECT a.id FROM crm.audit a
				 WHERE cardinality(all_types) > 0 AND a.user_id >= p_user AND (a.user_id, a.id) < (p_user, before)
				   AND a.subject_type = ANY (all_types)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
							  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
				 ORDER BY a.user_id DESC, a.id DESC LIMIT p_n)
				UNION
				SELECT x.id FROM (SELECT DISTINCT unnest(shared) AS ref) k,
				LATERAL (SELECT a.id FROM crm.audit a
					 WHERE a.subject_ref >= k.ref AND (a.subject_ref, a.id) < (k.ref, before) AND a.user_id = p_user
					   AND a.subject_type = ANY (biz_types)
					   AND (p_type IS NULL OR a.record_type = p_type)
					   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
					   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
								  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
					 ORDER BY a.subject_ref DESC, a.id DESC LIMIT p_n) x
			) u ORDER BY u.id DESC LIMIT p_n);
	END IF;
	RETURN ARRAY(
		SELECT u.id FROM (
			(SELECT a.id FROM crm.audit a
			 WHERE a.user_id >= me AND (a.user_id, a.id) < (me, before)
			   AND (p_type IS NULL OR a.record_type = p_type)
			   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
			 ORDER BY a.user_id DESC, a.id DESC LIMIT p_n)
			UNION
			(SELECT a.id FROM crm.audit a
			 WHERE a.subject_owner >= me AND (a.subject_owner, a.id) < (me, before) AND a.subject_type = ANY (own_types)
			   AND (p_type IS NULL OR a.record_type = p_type)
			   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
			   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
						  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
			 ORDER BY a.subject_owner DESC, a.id DESC LIMIT p_n)
			UNION
			SELECT x.id FROM (SELECT DISTINCT unnest(teams) AS team) k,
			LATERAL (SELECT a.id FROM crm.audit a
				 WHERE a.subject_team >= k.team AND (a.subject_team, a.id) < (k.team, before)
				   AND a.subject_type = ANY (team_types)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
							  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
				 ORDER BY a.subject_team DESC, a.id DESC LIMIT p_n) x
			UNION
			-- the rare public rows: their own range, the type written out so
			-- that the plan knows it from a common one
			(SELECT a.id FROM crm.audit a
			 WHERE a.subject_type >= 'public' AND (a.subject_type, a.id) < ('public', before)
			   AND (p_type IS NULL OR a.record_type = p_type)
			   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
			 ORDER BY a.subject_type DESC, a.id DESC LIMIT p_n)
			UNION
			-- one range per business type read whole
			SELECT x.id FROM unnest(all_types) k(t),
			LATERAL (SELECT a.id FROM crm.audit a
				 WHERE a.subject_type >= k.t AND (a.subject_type, a.id) < (k.t, before)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
							  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
				 ORDER BY a.subject_type DESC, a.id DESC LIMIT p_n) x
			UNION
			SELECT x.id FROM (SELECT DISTINCT unnest(shared) AS ref) k,
			LATERAL (SELECT a.id FROM crm.audit a
				 WHERE a.subject_ref >= k.ref AND (a.subject_ref, a.id) < (k.ref, before) AND a.subject_type = ANY (biz_types)
				   AND (p_type IS NULL OR a.record_type = p_type)
				   AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
				   AND crm.audit_readable(a.user_id, a.subject_type, a.subject_owner, a.subject_team, a.subject_ref,
							  a.record_type, a.record_id, me, scopes, t_team, t_sub, shared)
				 ORDER BY a.subject_ref DESC, a.id DESC LIMIT p_n) x
		) u ORDER BY u.id DESC LIMIT p_n);
END
$function$;

-- One page of audit_list, newest first, p_limit + 1 rows (the extra one
-- tells crmd there is a next page). One record's history, one's own
-- actions and, for scope all, another user's actions or the whole trail
-- read their own index (row-level security filters the rows); everything
-- else, another user's actions included, goes through
-- crm.audit_scoped_ids.
-- Both run with jit off: their generic plans are estimated expensive (a
-- LIMIT over index ranges the planner cannot see end early), and compiling
-- them would cost a few hundred milliseconds for a page that takes one or
-- two.
CREATE OR REPLACE FUNCTION crm.audit_list(p_type text, p_id bigint, p_user text, p_since bigint, p_until bigint, p_before bigint, p_limit integer)
 RETURNS SETOF crm.audit_out
 LANGUAGE plpgsql
 STABLE
 SET jit TO 'off'
AS $function$
DECLARE
	uid bigint;
	since_ts timestamptz := crm.audit_instant(p_since, 'since');
	until_ts timestamptz := crm.audit_instant(p_until, 'until');
	before bigint := coalesce(p_before, 9223372036854775807);
	n integer := p_limit + 1;
	ids bigint[];
BEGIN
	PERFORM crm.audit_check_type(p_type);
	IF p_id IS NOT NULL AND p_type IS NULL THEN
		PERFORM crm.raise('CRI01', 'record_type', 'audit.record_id_needs_type_note');
	END IF;
	IF p_user IS NOT NULL THEN
		uid := crm.user_id_of(p_user, 'username');
	END IF;
	IF p_id IS NOT NULL THEN
		ids := ARRAY(SELECT a.id FROM crm.audit a
			     WHERE a.record_type = p_type AND a.record_id = p_id AND a.id < before
			       AND (uid IS NULL OR a.user_id = uid)
			       AND (since_ts IS NULL OR a.at >= since_ts) AND (until_ts IS NULL OR a.at < until_ts)
			     ORDER BY a.record_type DESC, a.record_id DESC, a.id DESC LIMIT n);
	ELSIF uid IS NOT NULL AND (uid = crm.acting_user() OR crm.scope_all('audit', 'read')) THEN
		-- every row of the range is visible: one's own actions, or scope all
		ids := ARRAY(SELECT a.id FROM crm.audit a
			     WHERE a.user_id = uid AND a.id < before
			       AND (p_type IS NULL OR a.record_type = p_type)
			       AND (since_ts IS NULL OR a.at >= since_ts) AND (until_ts IS NULL OR a.at < until_ts)
			     ORDER BY a.user_id DESC, a.id DESC LIMIT n);
	ELSIF crm.scope_all('audit', 'read') THEN
		ids := ARRAY(SELECT a.id FROM crm.audit a
			     WHERE a.id < before
			       AND (p_type IS NULL OR a.record_type = p_type)
			       AND (since_ts IS NULL OR a.at >= since_ts) AND (until_ts IS NULL OR a.at < until_ts)
			     ORDER BY a.id DESC LIMIT n);
	ELSE
		ids := crm.audit_scoped_ids(p_type, since_ts, until_ts, p_before, n, uid);
	END IF;
	RETURN QUERY SELECT o.* FROM crm.audit_out o WHERE o.audit_id = ANY (ids) ORDER BY o.audit_id DESC;
END
$function$;

CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON crm.audit
	FOR EACH ROW EXECUTE FUNCTION crm.audit_guard();

CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON crm.audit
	FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_guard();

CREATE OR REPLACE TRIGGER audit_subject BEFORE INSERT ON crm.audit
	FOR EACH ROW EXECUTE FUNCTION crm.audit_subject();

CREATE OR REPLACE TRIGGER audit_shown BEFORE INSERT ON crm.audit
	FOR EACH ROW EXECUTE FUNCTION crm.audit_shown_row();

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.attach_audit(regclass,text,text[]),
	crm.audit_side(),
	crm.audit_write(text,bigint,text,jsonb,jsonb,bigint,text),
	crm.audit_row(),
	crm.purge_record(text,bigint),
	crm.audit_guard(),
	crm.audit_owner_of(text,bigint),
	crm.audit_subject(),
	crm.audit_shown_row(),
	crm.audit_follow(),
	crm.attach_audit_follow(regclass,text),
	crm.audit_check_type(text),
	crm.audit_instant(bigint,text),
	crm.audit_readable(bigint,text,bigint,bigint,bigint,text,bigint,bigint,jsonb,bigint[],bigint[],bigint[]),
	crm.scope_covers(text,bigint,bigint,bigint,bigint[],bigint[]),
	crm.audit_relation_readable(bigint,bigint,jsonb,bigint[],bigint[],bigint[]),
	crm.audit_scoped_ids(text,timestamp with time zone,timestamp with time zone,bigint,integer,bigint),
	crm.audit_list(text,bigint,text,bigint,bigint,bigint,integer)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.purge_record(text,bigint),
	crm.audit_check_type(text),
	crm.audit_instant(bigint,text),
	crm.audit_scoped_ids(text,timestamp with time zone,timestamp with time zone,bigint,integer,bigint),
	crm.audit_list(text,bigint,text,bigint,bigint,bigint,integer)
TO crm_app;
