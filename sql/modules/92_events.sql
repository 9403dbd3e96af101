-- sql/modules/92_events.sql: change events (the outbox), watches and the
-- scheduler's due jobs (tables in 0028_events.sql; docs/events.md).
--
-- A repeatable module (sql/README.md): everything here can run again.
--
-- Every write of a business record of any type goes through the audit
-- trail (crm.attach_record attaches crm.audit_row to each type's table;
-- side rows write audit rows of their record), so one trigger on
-- crm.audit turns each audit row of a business record into an outbox row:
-- a new type emits events without a line here.

-- The event kind of an audit action.
CREATE OR REPLACE FUNCTION crm.event_kind(p_action text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT CASE p_action
		WHEN 'create' THEN 'created' WHEN 'delete' THEN 'deleted'
		WHEN 'restore' THEN 'restored' WHEN 'reassign' THEN 'reassigned'
		WHEN 'purge' THEN 'purged' ELSE 'updated' END
$function$;
COMMENT ON FUNCTION crm.event_kind(text) IS 'The outbox kind (created, updated, deleted, restored, reassigned, purged) of an audit action.';

-- AFTER INSERT on crm.audit, for rows about a business record: one outbox
-- row in the same transaction, with the record's version after the change
-- and never its values.
CREATE OR REPLACE FUNCTION crm.event_from_audit()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	INSERT INTO crm.events (record_type, record_id, version, kind)
	VALUES (NEW.record_type, NEW.record_id,
		CASE WHEN NEW.action <> 'purge' THEN (SELECT s.version FROM crm.record_state(NEW.record_type, NEW.record_id) s) END,
		crm.event_kind(NEW.action));
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.event_from_audit() IS 'Trigger on crm.audit: writes the outbox row of a business record''s change (type, id, version, kind) in the change''s transaction.';

CREATE OR REPLACE TRIGGER audit_event AFTER INSERT ON crm.audit
	FOR EACH ROW WHEN (NEW.record_ref IS NOT NULL) EXECUTE FUNCTION crm.event_from_audit();

-- NOTIFY carries only the writing transaction's id: PostgreSQL delivers
-- one notification per distinct (channel, payload) of a transaction, at
-- its commit, so every statement of the transaction that writes events
-- sends the same one and listeners get it once.
CREATE OR REPLACE FUNCTION crm.events_notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	PERFORM pg_catalog.pg_notify('crm_events', pg_catalog.pg_current_xact_id()::text);
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.events_notify() IS 'Statement trigger on crm.events: NOTIFY crm_events with the transaction id (sent once per transaction, at commit).';

CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON crm.events
	FOR EACH STATEMENT EXECUTE FUNCTION crm.events_notify();

-- A task's assignment and reminder: an 'assigned' event for the assignee
-- when a task is created or reassigned to someone, and its pending
-- reminder job moved with remind_at (removed when the task is deleted,
-- done or cancelled).
CREATE OR REPLACE FUNCTION crm.task_events()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.assignee_id IS DISTINCT FROM OLD.assignee_id THEN
		INSERT INTO crm.events (record_type, record_id, version, kind, user_id)
		VALUES ('task', NEW.id, NEW.version, 'assigned', NEW.assignee_id);
	END IF;
	IF NEW.remind_at IS NULL OR NEW.deleted_at IS NOT NULL OR NEW.status IN ('done', 'cancelled') THEN
		DELETE FROM crm.jobs j WHERE j.kind = 'reminder' AND j.record_id = NEW.id AND j.done_at IS NULL;
	ELSIF TG_OP = 'INSERT' OR NEW.remind_at IS DISTINCT FROM OLD.remind_at
	      OR ((NEW.deleted_at IS DISTINCT FROM OLD.deleted_at OR NEW.status IS DISTINCT FROM OLD.status)
		  AND NEW.remind_at > now()) THEN
		INSERT INTO crm.jobs (kind, due_at, record_id) VALUES ('reminder', NEW.remind_at, NEW.id)
		ON CONFLICT (kind, record_id) WHERE done_at IS NULL
		DO UPDATE SET due_at = EXCLUDED.due_at, attempts = 0, last_error = NULL;
	END IF;
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.task_events() IS 'Trigger on crm.tasks: the assigned event for a new assignee and the task''s pending reminder job, moved with remind_at.';

CREATE OR REPLACE TRIGGER task_events AFTER INSERT OR UPDATE OF assignee_id, remind_at, deleted_at, status
	ON crm.tasks FOR EACH ROW EXECUTE FUNCTION crm.task_events();

-- ------------------------------------------------------------ access

DROP POLICY IF EXISTS owner_all ON crm.events;
CREATE POLICY owner_all ON crm.events TO crm_owner USING (true) WITH CHECK (true);
-- The acting user reads the events addressed to them and those of records
-- they watch, of records they can see now (crm.records' own policy).
DROP POLICY IF EXISTS select_mine ON crm.events;
CREATE POLICY select_mine ON crm.events FOR SELECT TO crm_app USING (
	(user_id = (SELECT crm.acting_user())
	 OR (user_id IS NULL AND EXISTS (SELECT 1 FROM crm.watches w
					 WHERE w.user_id = (SELECT crm.acting_user()) AND w.record_id = events.record_id)))
	AND EXISTS (SELECT 1 FROM crm.records r WHERE r.id = events.record_id AND r.record_type = events.record_type));

DROP POLICY IF EXISTS owner_all ON crm.event_horizon;
CREATE POLICY owner_all ON crm.event_horizon TO crm_owner USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS select_all ON crm.event_horizon;
CREATE POLICY select_all ON crm.event_horizon FOR SELECT TO crm_app USING ((SELECT crm.acting_user()) IS NOT NULL);

DROP POLICY IF EXISTS owner_all ON crm.watches;
CREATE POLICY owner_all ON crm.watches TO crm_owner USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS select_mine ON crm.watches;
CREATE POLICY select_mine ON crm.watches FOR SELECT TO crm_app USING (user_id = (SELECT crm.acting_user()));
DROP POLICY IF EXISTS insert_mine ON crm.watches;
CREATE POLICY insert_mine ON crm.watches FOR INSERT TO crm_app WITH CHECK (
	user_id = (SELECT crm.acting_user())
	AND EXISTS (SELECT 1 FROM crm.records r WHERE r.id = watches.record_id AND r.record_type = watches.record_type));
DROP POLICY IF EXISTS delete_mine ON crm.watches;
CREATE POLICY delete_mine ON crm.watches FOR DELETE TO crm_app USING (user_id = (SELECT crm.acting_user()));

DROP POLICY IF EXISTS owner_all ON crm.jobs;
CREATE POLICY owner_all ON crm.jobs TO crm_owner USING (true) WITH CHECK (true);

-- ------------------------------------------------------------ watches

-- Watches a record the acting user can see; one they cannot see is
-- NOT_FOUND, as one that does not exist. Watching it again is no error.
CREATE OR REPLACE FUNCTION crm.watch_add(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.records r WHERE r.id = p_id AND r.record_type = p_type) THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type, p_id::text);
	END IF;
	INSERT INTO crm.watches (user_id, record_id, record_type)
	VALUES (crm.acting_user(), p_id, p_type) ON CONFLICT DO NOTHING;
END
$function$;
COMMENT ON FUNCTION crm.watch_add(text,bigint) IS 'The acting user watches a record they can see (NOT_FOUND otherwise).';

CREATE OR REPLACE FUNCTION crm.watch_remove(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	DELETE FROM crm.watches w WHERE w.user_id = crm.acting_user() AND w.record_id = p_id AND w.record_type = p_type;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'id', 'watch.not_watched', p_type, p_id::text);
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.watch_remove(text,bigint) IS 'The acting user stops watching a record (NOT_FOUND when they did not watch it).';

CREATE OR REPLACE FUNCTION crm.watch_list()
 RETURNS TABLE (record_type text, record_id bigint, created_at bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT w.record_type, w.record_id, crm.us(w.created_at)
	FROM crm.watches w
	WHERE w.user_id = crm.acting_user()
	  AND EXISTS (SELECT 1 FROM crm.records r WHERE r.id = w.record_id AND r.record_type = w.record_type)
	ORDER BY w.record_type, w.record_id
$function$;
COMMENT ON FUNCTION crm.watch_list() IS 'The records the acting user watches and can still see.';

-- ------------------------------------------------------------ readers

-- Where a subscription starts: the position given, or the head (every row
-- of a finished transaction counts as delivered) when none is given or
-- when the given one is older than what retention kept (resync).
CREATE OR REPLACE FUNCTION crm.events_start(p_xid xid8, p_seq bigint, OUT xid xid8, OUT seq bigint, OUT resync boolean)
 RETURNS record
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT CASE WHEN keep THEN p_xid ELSE pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) END,
	       CASE WHEN keep THEN p_seq ELSE 0 END,
	       NOT keep AND p_xid IS NOT NULL
	FROM (SELECT p_xid IS NOT NULL AND (p_xid, p_seq) >= (h.xid, h.seq) AS keep FROM crm.event_horizon h) x
$function$;
COMMENT ON FUNCTION crm.events_start(xid8,bigint) IS 'The position a subscription starts from: the one given, or the head when none is given or retention deleted past it (resync).';

-- The acting user's events after a position, at most p_limit, in (xid,
-- seq) order, of finished transactions only (xid below the snapshot's
-- xmin: a transaction still in progress may have taken a lower sequence
-- and commit later). Row-level security keeps the user's own. A last row
-- with kind NULL carries (xmin, 0): when fewer than p_limit events came
-- back, every event before it has been seen, so the reader's position
-- moves there even when none was the user's.
-- PL/pgSQL with one static query, so that each worker's backend plans it
-- once and keeps the plan (a LANGUAGE sql function returning a table is
-- planned again on every call: with crm.events' policy, which brings in
-- crm.records' own, that was 20-65 ms of planning per fetch). STABLE: both
-- queries and pg_current_snapshot() see the calling statement's snapshot,
-- so the rows and the bound come from one snapshot as before.
CREATE OR REPLACE FUNCTION crm.events_read(p_xid xid8, p_seq bigint, p_limit integer)
 RETURNS TABLE (xid xid8, seq bigint, at bigint, record_type text, record_id bigint, version bigint, kind text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	h xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
BEGIN
	RETURN QUERY
	SELECT e.xid, e.seq, crm.us(e.at), e.record_type, e.record_id, e.version, e.kind
	FROM crm.events e
	WHERE (e.xid, e.seq) > (p_xid, p_seq) AND e.xid < h
	ORDER BY e.xid, e.seq
	LIMIT p_limit;
	RETURN QUERY SELECT h, 0::bigint, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
END
$function$;
COMMENT ON FUNCTION crm.events_read(xid8,bigint,integer) IS 'The acting user''s outbox rows after a position, of finished transactions only, in (xid, seq) order; a last row with kind NULL carries the snapshot''s (xmin, 0).';

-- Who the new events concern, for crmd's events thread to route them
-- (docs/events.md, "Routing"): for the outbox rows after a position, of
-- finished transactions (the visibility rule of crm.events_read), at most
-- p_limit of them, one row per user they may concern (the user an event is
-- addressed to, or a watcher of its record) with that user's last such
-- position. Nothing of the events themselves: no type, record or kind,
-- and no check of who may see the record (a superset: the user's own
-- fetch, crm.events_read under row-level security, decides). The last row
-- has user_id NULL and the position the next call starts after: the last
-- row read when p_limit rows were read (more is true: call again at once),
-- else the snapshot's (xmin, 0). Without a position (p_xid NULL), only
-- that last row: where routing starts.
CREATE OR REPLACE FUNCTION crm.events_audience(p_xid xid8, p_seq bigint, p_limit integer)
 RETURNS TABLE (xid xid8, seq bigint, user_id bigint, more boolean)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	h xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
BEGIN
	IF p_xid IS NULL OR p_seq IS NULL THEN
		RETURN QUERY SELECT h, 0::bigint, NULL::bigint, false;
		RETURN;
	END IF;
	RETURN QUERY
	WITH ev AS MATERIALIZED (
		SELECT e.xid, e.seq, e.record_id, e.user_id FROM crm.events e
		WHERE (e.xid, e.seq) > (p_xid, p_seq) AND e.xid < h
		ORDER BY e.xid, e.seq
		LIMIT p_limit),
	who AS (
		SELECT ev.xid, ev.seq, ev.user_id FROM ev WHERE ev.user_id IS NOT NULL
		UNION ALL
		SELECT ev.xid, ev.seq, w.user_id FROM ev JOIN crm.watches w ON w.record_id = ev.record_id
		WHERE ev.user_id IS NULL),
	n AS (SELECT count(*) AS cnt FROM ev)
	(SELECT DISTINCT ON (who.user_id) who.xid, who.seq, who.user_id, NULL::boolean
	 FROM who ORDER BY who.user_id, who.xid DESC, who.seq DESC)
	UNION ALL
	SELECT CASE WHEN n.cnt >= p_limit THEN l.xid ELSE h END,
	       CASE WHEN n.cnt >= p_limit THEN l.seq ELSE 0 END,
	       NULL::bigint, n.cnt >= p_limit
	FROM n LEFT JOIN LATERAL (SELECT ev.xid, ev.seq FROM ev ORDER BY ev.xid DESC, ev.seq DESC LIMIT 1) l ON true;
END
$function$;
COMMENT ON FUNCTION crm.events_audience(xid8,bigint,integer) IS 'Routing: for outbox rows after a position (finished transactions only), the users they may concern with each one''s last position, no event content; a last row (user NULL) carries where the next call starts and whether more rows wait.';

-- The newest position readers may deliver now (of the rows of finished
-- transactions), as "xid/seq", or '' when there is none: for operators
-- and tests (crmd's events thread no longer polls it: it routes with
-- crm.events_audience). One backward probe of the primary key. It tells
-- crm_app how far the outbox goes, nothing of what is in it.
CREATE OR REPLACE FUNCTION crm.events_head()
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	SELECT coalesce((SELECT e.xid::text || '/' || e.seq FROM crm.events e
			 WHERE e.xid < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
			 ORDER BY e.xid DESC, e.seq DESC LIMIT 1), '')
$function$;
COMMENT ON FUNCTION crm.events_head() IS 'The newest deliverable outbox position as xid/seq (empty when none), for operators and tests.';

-- ------------------------------------------------------------ the scheduler

-- Deletes at most p_batch outbox rows older than p_keep and moves the
-- horizon past the newest deleted. Returns how many it deleted.
CREATE OR REPLACE FUNCTION crm.events_prune(p_keep interval, p_batch integer)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	n bigint;
	gx xid8;
	gs bigint;
BEGIN
	WITH gone AS (
		DELETE FROM crm.events e
		WHERE (e.xid, e.seq) IN (SELECT o.xid, o.seq FROM crm.events o
					 WHERE o.at < now() - p_keep ORDER BY o.at LIMIT p_batch)
		RETURNING e.xid, e.seq)
	SELECT count(*), (array_agg(g.xid ORDER BY g.xid DESC, g.seq DESC))[1],
	       (array_agg(g.seq ORDER BY g.xid DESC, g.seq DESC))[1]
	INTO n, gx, gs FROM gone g;
	IF n > 0 THEN
		UPDATE crm.event_horizon h SET xid = gx, seq = gs WHERE (gx, gs) > (h.xid, h.seq);
	END IF;
	RETURN n;
END
$function$;
COMMENT ON FUNCTION crm.events_prune(interval,integer) IS 'Retention: deletes at most p_batch outbox rows older than p_keep, moving the resync horizon past them; returns the count.';

-- One job, in the caller's transaction.
CREATE OR REPLACE FUNCTION crm.job_perform(j crm.jobs)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	every_ interval := make_interval(secs => coalesce((j.payload ->> 'every_seconds')::integer, 60));
	n bigint;
BEGIN
	IF j.kind = 'reminder' THEN
		INSERT INTO crm.events (record_type, record_id, version, kind, user_id)
		SELECT 'task', t.id, t.version, 'reminder', t.assignee_id
		FROM crm.tasks t WHERE t.id = j.record_id AND t.deleted_at IS NULL;
	ELSIF j.kind = 'event_retention' THEN
		n := crm.events_prune(make_interval(secs => coalesce((j.payload ->> 'keep_seconds')::integer, 604800)),
				      coalesce((j.payload ->> 'batch')::integer, 10000));
		-- again soon while there is a backlog, else after the interval
		INSERT INTO crm.jobs (kind, due_at, payload)
		VALUES ('event_retention',
			now() + CASE WHEN n >= coalesce((j.payload ->> 'batch')::integer, 10000) THEN interval '1 second' ELSE every_ END,
			j.payload);
	ELSIF j.kind = 'attachment_expiry' THEN
		-- staged uploads past their expiry (modules/86_attachments.sql)
		n := crm.attachments_expire(coalesce((j.payload ->> 'batch')::integer, 100));
		INSERT INTO crm.jobs (kind, due_at, payload)
		VALUES ('attachment_expiry',
			now() + CASE WHEN n >= coalesce((j.payload ->> 'batch')::integer, 100) THEN interval '1 second' ELSE every_ END,
			j.payload);
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.job_perform(crm.jobs) IS 'Performs one due job: a reminder writes the reminder event for the task''s assignee; event_retention prunes the outbox, attachment_expiry deletes expired staged uploads, each scheduling itself again.';

-- The poll every crmd runs (a worker, every second): claims at most
-- p_limit due jobs with FOR UPDATE SKIP LOCKED, performs each and marks
-- it done, all in the caller's transaction, so a job is done exactly once
-- whatever the number of crmd (one killed mid-way rolls back and leaves
-- the rows to the others). A job that fails runs again later with its
-- error recorded. Returns how many jobs ran.
CREATE OR REPLACE FUNCTION crm.jobs_run(p_limit integer)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	j crm.jobs;
	n integer := 0;
BEGIN
	FOR j IN SELECT * FROM crm.jobs x WHERE x.done_at IS NULL AND x.due_at <= now()
		 ORDER BY x.due_at LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
		BEGIN
			PERFORM crm.job_perform(j);
			UPDATE crm.jobs x SET done_at = now(), attempts = x.attempts + 1, last_error = NULL WHERE x.id = j.id;
			n := n + 1;
		EXCEPTION WHEN OTHERS THEN
			UPDATE crm.jobs x SET attempts = x.attempts + 1, last_error = left(SQLERRM, 500),
				due_at = now() + least(x.attempts + 1, 60) * interval '10 seconds'
			WHERE x.id = j.id;
		END;
	END LOOP;
	-- done jobs are kept a day for the record
	DELETE FROM crm.jobs x WHERE x.id IN (SELECT y.id FROM crm.jobs y WHERE y.done_at < now() - interval '1 day' LIMIT 1000);
	RETURN n;
END
$function$;
COMMENT ON FUNCTION crm.jobs_run(integer) IS 'The scheduler''s poll: claims due jobs (FOR UPDATE SKIP LOCKED), performs and marks each in the caller''s transaction; returns how many ran.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.event_kind(text),
	crm.event_from_audit(),
	crm.events_notify(),
	crm.task_events(),
	crm.watch_add(text,bigint),
	crm.watch_remove(text,bigint),
	crm.watch_list(),
	crm.events_start(xid8,bigint),
	crm.events_read(xid8,bigint,integer),
	crm.events_audience(xid8,bigint,integer),
	crm.events_head(),
	crm.events_prune(interval,integer),
	crm.job_perform(crm.jobs),
	crm.jobs_run(integer)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.watch_add(text,bigint),
	crm.watch_remove(text,bigint),
	crm.watch_list(),
	crm.events_start(xid8,bigint),
	crm.events_read(xid8,bigint,integer),
	crm.events_audience(xid8,bigint,integer),
	crm.events_head(),
	crm.jobs_run(integer)
TO crm_app;
