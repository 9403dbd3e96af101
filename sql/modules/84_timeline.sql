-- sql/modules/84_timeline.sql: the customer timeline (issue 13; crm
-- timeline TYPE/ID, the request TimelineList): a record's interactions,
-- tasks and change history (its audit rows) merged newest first, one
-- keyset page at a time (docs/data.md, "The timeline").
--
-- Everything here runs as the caller (crm_app) under row-level security:
-- the record itself, each interaction and task, the contacts an account's
-- items reach it through and the audit rows are tested by their own
-- policies, so what the user may not see is neither shown nor counted.
-- The columns and indexes are sql/0029_timeline.sql's.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, CREATE OR REPLACE TRIGGER. Signature changes and
-- drops go in a versioned migration.

-- The account whose timeline an interaction or a task is on
-- (via_account_id): its own account, or when it names none the account of
-- its contact at the moment the link is written. Written on insert and
-- whenever account_id or contact_id changes, so a contact who later moves
-- to another account leaves their history where it happened; any other
-- update keeps the stored value whatever the statement sets (the trigger
-- fires on every update: crm_app may update the row's columns, and this
-- one is derived, never taken from a writer).
--
-- Not a definer function: it reads the contact as the writer, under
-- row-level security, so a contact the acting user cannot read gives no
-- account (crm_app could otherwise insert a row naming any contact and
-- read that contact's account back from the derived column; the save
-- functions refuse such a contact, and this layer holds without them).
-- The account itself is not read: a contact the writer may read carries
-- its account id whether or not the writer may read that account, and the
-- account's timeline tests its reader when reading. Where row security
-- does not apply (a purge's cascade, run as the table's owner) the
-- account may be gone in the same statement: then it is no account; and
-- the cascade that empties via_account_id itself (its foreign key's ON
-- DELETE SET NULL) is let through, where any other update of the column
-- is undone (the row would otherwise keep naming a purged account).
CREATE OR REPLACE FUNCTION crm.timeline_via()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	acc bigint;
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.account_id IS NOT DISTINCT FROM OLD.account_id
	   AND NEW.contact_id IS NOT DISTINCT FROM OLD.contact_id THEN
		-- the cascade of the account's purge (ON DELETE SET NULL, as
		-- the table's owner without row security) empties it
		IF NEW.via_account_id IS NULL AND NOT row_security_active('crm.accounts') THEN
			RETURN NEW;
		END IF;
		NEW.via_account_id := OLD.via_account_id;
		RETURN NEW;
	END IF;
	IF NEW.account_id IS NULL AND NEW.contact_id IS NOT NULL THEN
		SELECT c.account_id INTO acc FROM crm.contacts c WHERE c.id = NEW.contact_id;
		IF acc IS NOT NULL AND NOT row_security_active('crm.accounts')
		   AND NOT EXISTS (SELECT 1 FROM crm.accounts a WHERE a.id = acc) THEN
			acc := NULL;
		END IF;
	END IF;
	NEW.via_account_id := coalesce(NEW.account_id, acc);
	RETURN NEW;
END
$function$;
COMMENT ON FUNCTION crm.timeline_via() IS 'Trigger: sets via_account_id of an interaction or task (its account, else its contact''s account when the link is written).';

CREATE OR REPLACE TRIGGER timeline_via BEFORE INSERT OR UPDATE ON crm.interactions
	FOR EACH ROW EXECUTE FUNCTION crm.timeline_via();
CREATE OR REPLACE TRIGGER timeline_via BEFORE INSERT OR UPDATE ON crm.tasks
	FOR EACH ROW EXECUTE FUNCTION crm.timeline_via();

-- The kinds of timeline item, in the order errors list them.
CREATE OR REPLACE FUNCTION crm.timeline_kinds()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT ARRAY['call', 'meeting', 'email', 'visit', 'message', 'note', 'task', 'change']
$function$;
COMMENT ON FUNCTION crm.timeline_kinds() IS 'The kinds of timeline item: the interaction kinds, task and change.';

-- A timeline request's arguments, checked, as the list and the count use
-- them: the interaction kinds wanted, whether tasks and changes are, and
-- the time range. Refuses, naming the field: an unknown kind (listing the
-- kinds), an instant PostgreSQL cannot hold, until before since; and a
-- record the caller cannot see exactly as one that does not exist
-- (crm.records' own policy: owner, team, shares; purged records are not
-- there).
CREATE OR REPLACE FUNCTION crm.timeline_args(p_type text, p_id bigint, p_kinds text[], p_since bigint, p_until bigint,
	OUT ikinds text[], OUT want_task boolean, OUT want_change boolean,
	OUT since_ts timestamp with time zone, OUT until_ts timestamp with time zone)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	bad text;
	wanted text[] := CASE WHEN cardinality(p_kinds) > 0 THEN p_kinds ELSE crm.timeline_kinds() END;
BEGIN
	bad := (SELECT k FROM unnest(wanted) k WHERE k IS NULL OR k <> ALL (crm.timeline_kinds()) LIMIT 1);
	IF bad IS NOT NULL OR array_position(wanted, NULL) IS NOT NULL THEN
		PERFORM crm.raise('CRI01', 'kinds', 'timeline.unknown_kind', coalesce(bad, ''),
				  array_to_string(crm.timeline_kinds(), ', '));
	END IF;
	since_ts := crm.audit_instant(p_since, 'since');
	until_ts := crm.audit_instant(p_until, 'until');
	IF since_ts > until_ts THEN
		PERFORM crm.raise('CRI01', 'until', 'timeline.until_before_since',
				  to_char(until_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
				  to_char(since_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.records x WHERE x.id = p_id AND x.record_type = p_type) THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type, p_id::text);
	END IF;
	ikinds := ARRAY(SELECT DISTINCT k FROM unnest(wanted) k WHERE k NOT IN ('task', 'change') ORDER BY k);
	want_task := 'task' = ANY (wanted);
	want_change := 'change' = ANY (wanted);
	since_ts := coalesce(since_ts, '-infinity');
	until_ts := coalesce(until_ts, 'infinity');
END
$function$;
COMMENT ON FUNCTION crm.timeline_args(text,bigint,text[],bigint,bigint) IS 'Checks a timeline request (kinds, since, until, the record visible to the caller) for crm.timeline_list and crm.timeline_count.';

-- One page of a record's timeline, newest first: p_limit + 1 rows (the
-- extra one tells crmd there is a next page), ordered by (at, src, id)
-- descending, where src is 2 for an interaction or task (their ids come
-- from one sequence) and 1 for a change (an audit row's id, from
-- another). p_after is the last row's sort_key, "at:src:id" (at in
-- microseconds), from the signed cursor.
--
-- Each source is read on its own, newest first, from an index whose
-- leading columns it fixes, as far as a page needs (LIMIT), and the
-- sources are merged; so a page costs the same whatever the number of
-- items (docs/data.md, "The timeline"):
--   an account's interactions  interactions_via_kind_idx, one range per kind
--   a contact's interactions   interactions_contact_idx (0027), the kinds
--                              a filter (a person's history, not an
--                              account's hundred thousand)
--   an account's tasks         tasks_via_timeline_idx
--   a contact's tasks          tasks_contact_timeline_idx
--   interactions linked to it  record_links_target_idx (0032): further
--                              contacts, related accounts; those already
--                              on the timeline by their own columns are
--                              left out (shown once)
--   the record's changes       audit_record_at_idx
-- The keyset condition is one row comparison per source, (at, id) <
-- (bound), so it is an index condition: the bound folds in until and the
-- cursor (src decides whether the cursor's own instant is still open to
-- the source: a change after an interaction of the same instant, a record
-- item before it). Row-level security tests each row the ranges yield
-- (the comparisons are leakproof, so the index serves them below the
-- policies). An interaction or task on an account's timeline through its
-- contact (no account of its own) is shown only if the caller may see
-- that contact.
--
-- Generic plans (plpgsql caches them; the arguments are parameters), jit
-- off (a page takes a millisecond; compiling its plan would take a
-- hundred).
CREATE OR REPLACE FUNCTION crm.timeline_list(p_type text, p_id bigint, p_kinds text[], p_since bigint, p_until bigint, p_after text, p_limit integer)
 RETURNS TABLE(o_at bigint, o_kind text, o_record_type text, o_record_id bigint, o_summary text, o_who text, o_action text, o_sort_key text)
 LANGUAGE plpgsql
 STABLE
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
	a record;
	n integer := p_limit + 1;
	key text[] := string_to_array(p_after, ':');
	c_at timestamptz;
	-- the bound of each source: (at, id) < (b?_at, b?_id); 1 changes, 2 records
	b1_at timestamptz;
	b1_id bigint := -9223372036854775808;
	b2_at timestamptz;
	b2_id bigint := -9223372036854775808;
BEGIN
	SELECT * INTO a FROM crm.timeline_args(p_type, p_id, p_kinds, p_since, p_until);
	b1_at := a.until_ts;
	b2_at := a.until_ts;
	IF p_after IS NOT NULL THEN
		c_at := timestamptz 'epoch' + key[1]::bigint * interval '1 microsecond';
		-- changes (src 1) come after the records (src 2) of an instant:
		-- after a record, the changes of its instant are still to come;
		-- after a change, no record of its instant is
		IF (c_at, CASE WHEN key[2] = '1' THEN key[3]::bigint ELSE 9223372036854775807 END) < (b1_at, b1_id) THEN
			b1_at := c_at;
			b1_id := CASE WHEN key[2] = '1' THEN key[3]::bigint ELSE 9223372036854775807 END;
		END IF;
		IF (c_at, CASE WHEN key[2] = '2' THEN key[3]::bigint ELSE -9223372036854775808 END) < (b2_at, b2_id) THEN
			b2_at := c_at;
			b2_id := CASE WHEN key[2] = '2' THEN key[3]::bigint ELSE -9223372036854775808 END;
		END IF;
	ELSIF a.until_ts = 'infinity' THEN
		b1_id := 9223372036854775807;
		b2_id := 9223372036854775807;
	END IF;
	RETURN QUERY
	SELECT crm.us(u.at), u.kind, u.rtype, u.rid, u.summary,
	       coalesce(u.who, (SELECT usr.username FROM crm.users usr WHERE usr.id = u.who_id)), u.action,
	       crm.us(u.at) || ':' || u.src || ':' || u.sid
	FROM (
		SELECT x.at, x.kind, 2 AS src, x.id AS sid, 'interaction' AS rtype, x.id AS rid, x.subject AS summary,
		       NULL::text AS who, x.owner_id AS who_id, NULL::text AS action
		FROM unnest(a.ikinds) k(kind),
		LATERAL (SELECT i.occurred_at AS at, i.kind, i.id, i.subject, i.owner_id
			 FROM crm.interactions i
			 WHERE p_type = 'account' AND i.via_account_id = p_id AND i.kind = k.kind
			   AND (i.occurred_at, i.id) < (b2_at, b2_id) AND i.occurred_at >= a.since_ts
			   AND i.deleted_at IS NULL
			   AND (i.account_id IS NOT NULL OR EXISTS (SELECT 1 FROM crm.contacts c WHERE c.id = i.contact_id))
			 ORDER BY i.occurred_at DESC, i.id DESC LIMIT n) x
		UNION ALL
		(SELECT i.occurred_at, i.kind, 2, i.id, 'interaction', i.id, i.subject, NULL, i.owner_id, NULL
		 FROM crm.interactions i
		 WHERE cardinality(a.ikinds) > 0 AND p_type = 'contact' AND i.contact_id = p_id
		   AND i.kind = ANY (a.ikinds)
		   AND (i.occurred_at, i.id) < (b2_at, b2_id) AND i.occurred_at >= a.since_ts
		   AND i.deleted_at IS NULL
		 ORDER BY i.occurred_at DESC, i.id DESC LIMIT n)
		UNION ALL
		(SELECT l.at, i.kind, 2, i.id, 'interaction', i.id, i.subject, NULL, i.owner_id, NULL
		 FROM crm.record_links l JOIN crm.interactions i ON i.id = l.record_id
		 WHERE cardinality(a.ikinds) > 0 AND l.target_type = p_type AND l.target_id = p_id
		   AND (l.at, l.record_id) < (b2_at, b2_id) AND l.at >= a.since_ts
		   AND i.kind = ANY (a.ikinds) AND i.deleted_at IS NULL
		   AND NOT (p_type = 'contact' AND i.contact_id IS NOT DISTINCT FROM p_id)
		   AND NOT (p_type = 'account' AND i.via_account_id IS NOT DISTINCT FROM p_id)
		 ORDER BY l.at DESC, l.record_id DESC LIMIT n)
		UNION ALL
		(SELECT CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			     ELSE t.created_at END, 'task', 2, t.id, 'task', t.id, t.subject, NULL, t.assignee_id, t.status
		 FROM crm.tasks t
		 WHERE a.want_task AND p_type = 'account' AND t.via_account_id = p_id
		   AND (CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			     ELSE t.created_at END, t.id) < (b2_at, b2_id)
		   AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			    ELSE t.created_at END >= a.since_ts
		   AND t.deleted_at IS NULL
		   AND (t.account_id IS NOT NULL OR EXISTS (SELECT 1 FROM crm.contacts c WHERE c.id = t.contact_id))
		 ORDER BY CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			       ELSE t.created_at END DESC, t.id DESC
		 LIMIT n)
		UNION ALL
		(SELECT CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			     ELSE t.created_at END, 'task', 2, t.id, 'task', t.id, t.subject, NULL, t.assignee_id, t.status
		 FROM crm.tasks t
		 WHERE a.want_task AND p_type = 'contact' AND t.contact_id = p_id
		   AND (CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			     ELSE t.created_at END, t.id) < (b2_at, b2_id)
		   AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			    ELSE t.created_at END >= a.since_ts
		   AND t.deleted_at IS NULL
		 ORDER BY CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			       ELSE t.created_at END DESC, t.id DESC
		 LIMIT n)
		UNION ALL
		(SELECT au.at, 'change', 1, au.id, au.record_type, au.record_id,
			CASE WHEN au.action IN ('create', 'purge') THEN NULL
			     ELSE (SELECT string_agg(f, ', ' ORDER BY f)
				   FROM (SELECT jsonb_object_keys(coalesce(au.new_values, '{}'))
					 UNION SELECT jsonb_object_keys(coalesce(au.old_values, '{}'))) k(f)) END,
			au.username, au.user_id, au.action
		 FROM crm.audit au
		 WHERE a.want_change AND au.record_type = p_type AND au.record_id = p_id
		   AND (au.at, au.id) < (b1_at, b1_id) AND au.at >= a.since_ts
		 ORDER BY au.at DESC, au.id DESC
		 LIMIT n)
	) u
	ORDER BY u.at DESC, u.src DESC, u.sid DESC
	LIMIT n;
END
$function$;
COMMENT ON FUNCTION crm.timeline_list(text,bigint,text[],bigint,bigint,text,integer) IS 'One page of a record''s timeline (interactions, tasks, changes) newest first, as the caller may see it; p_limit + 1 rows and each row''s sort_key for the next cursor.';

-- How many items the whole timeline holds for the caller, counting at
-- most 10,001 of each source (10,001 in all means "10,000+"), under
-- row-level security as the list: what the caller may not see is not
-- counted.
CREATE OR REPLACE FUNCTION crm.timeline_count(p_type text, p_id bigint, p_kinds text[], p_since bigint, p_until bigint)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
 SET jit TO 'off'
AS $function$
DECLARE
	a record;
	n bigint := 0;
BEGIN
	SELECT * INTO a FROM crm.timeline_args(p_type, p_id, p_kinds, p_since, p_until);
	n := n + (SELECT count(*) FROM (
		SELECT 1 FROM crm.interactions i
		WHERE cardinality(a.ikinds) > 0 AND p_type = 'account' AND i.via_account_id = p_id
		  AND i.kind = ANY (a.ikinds) AND i.occurred_at >= a.since_ts AND i.occurred_at < a.until_ts
		  AND i.deleted_at IS NULL
		  AND (i.account_id IS NOT NULL OR EXISTS (SELECT 1 FROM crm.contacts c WHERE c.id = i.contact_id))
		UNION ALL
		SELECT 1 FROM crm.interactions i
		WHERE cardinality(a.ikinds) > 0 AND p_type = 'contact' AND i.contact_id = p_id
		  AND i.kind = ANY (a.ikinds) AND i.occurred_at >= a.since_ts AND i.occurred_at < a.until_ts
		  AND i.deleted_at IS NULL
		UNION ALL
		SELECT 1 FROM crm.record_links l JOIN crm.interactions i ON i.id = l.record_id
		WHERE cardinality(a.ikinds) > 0 AND l.target_type = p_type AND l.target_id = p_id
		  AND l.at >= a.since_ts AND l.at < a.until_ts
		  AND i.kind = ANY (a.ikinds) AND i.deleted_at IS NULL
		  AND NOT (p_type = 'contact' AND i.contact_id IS NOT DISTINCT FROM p_id)
		  AND NOT (p_type = 'account' AND i.via_account_id IS NOT DISTINCT FROM p_id)
		LIMIT 10001) x);
	n := n + (SELECT count(*) FROM (
		SELECT 1 FROM crm.tasks t
		WHERE a.want_task AND p_type = 'account' AND t.via_account_id = p_id
		  AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			   ELSE t.created_at END >= a.since_ts
		  AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			   ELSE t.created_at END < a.until_ts
		  AND t.deleted_at IS NULL
		  AND (t.account_id IS NOT NULL OR EXISTS (SELECT 1 FROM crm.contacts c WHERE c.id = t.contact_id))
		UNION ALL
		SELECT 1 FROM crm.tasks t
		WHERE a.want_task AND p_type = 'contact' AND t.contact_id = p_id
		  AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			   ELSE t.created_at END >= a.since_ts
		  AND CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at WHEN t.due_at IS NOT NULL THEN t.due_at
			   ELSE t.created_at END < a.until_ts
		  AND t.deleted_at IS NULL
		LIMIT 10001) x);
	n := n + (SELECT count(*) FROM (
		SELECT 1 FROM crm.audit au
		WHERE a.want_change AND au.record_type = p_type AND au.record_id = p_id
		  AND au.at >= a.since_ts AND au.at < a.until_ts
		LIMIT 10001) x);
	RETURN least(n, 10001);
END
$function$;
COMMENT ON FUNCTION crm.timeline_count(text,bigint,text[],bigint,bigint) IS 'The number of items of a record''s timeline the caller may see, at most 10001 ("10,000+").';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT here
-- revokes it on the next crmd migrate. The trigger function is called by
-- its triggers only.
REVOKE ALL ON FUNCTION
	crm.timeline_via(),
	crm.timeline_kinds(),
	crm.timeline_args(text,bigint,text[],bigint,bigint),
	crm.timeline_list(text,bigint,text[],bigint,bigint,text,integer),
	crm.timeline_count(text,bigint,text[],bigint,bigint)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.timeline_kinds(),
	crm.timeline_args(text,bigint,text[],bigint,bigint),
	crm.timeline_list(text,bigint,text[],bigint,bigint,text,integer),
	crm.timeline_count(text,bigint,text[],bigint,bigint)
TO crm_app;
