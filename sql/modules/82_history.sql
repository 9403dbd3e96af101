-- sql/modules/82_history.sql: interactions and tasks (issue 13), two
-- ordinary record types (their tables, registry rows and standard fields
-- are sql/0027_history_records.sql's): their record views (through
-- crm.create_record_view) and save functions, which the generic record
-- requests reach through the generated dispatchers (50_records.sql).
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

SELECT crm.create_record_view('interaction', 'crm.interactions', $f$
	'kind', r.kind, 'direction', r.direction, 'subject', r.subject, 'body', r.body,
	'occurred_at', crm.us(r.occurred_at), 'duration', r.duration, 'outcome', r.outcome,
	'account_id', r.account_id,
	'account_name', (SELECT a.name FROM crm.accounts a WHERE a.id = r.account_id),
	'contact_id', r.contact_id,
	'contact_name', (SELECT c.display_name FROM crm.contacts c WHERE c.id = r.contact_id),
	'links', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', l.id, 'kind', l.kind,
			'target_type', l.target_type, 'target_id', l.target_id,
			'user', (SELECT u.username FROM crm.users u WHERE u.id = l.target_user_id),
			'name', CASE WHEN l.target_id IS NOT NULL THEN crm.record_name(l.target_type, l.target_id) END))
			ORDER BY l.id)
		  FROM crm.record_links l WHERE l.record_id = r.id)$f$);

SELECT crm.create_record_view('task', 'crm.tasks', $f$
	'subject', r.subject, 'description', r.description, 'due_at', crm.us(r.due_at),
	'all_day', r.all_day, 'priority', r.priority, 'status', r.status,
	'assignee', (SELECT u.username FROM crm.users u WHERE u.id = r.assignee_id),
	'account_id', r.account_id,
	'account_name', (SELECT a.name FROM crm.accounts a WHERE a.id = r.account_id),
	'contact_id', r.contact_id,
	'contact_name', (SELECT c.display_name FROM crm.contacts c WHERE c.id = r.contact_id),
	'remind_at', crm.us(r.remind_at), 'completed_at', crm.us(r.completed_at)$f$);

-- The interaction's save function (crm.record_types.save_function): its
-- own columns from the change set d (external_id checked by
-- crm.record_save, which also does the clear list, the update scope,
-- tags and custom values). Kind and subject are required on create; it
-- happened now unless occurred_at says when; the duration is 0 to 100000
-- minutes; the outcome a value of the pick list outcome.
CREATE OR REPLACE FUNCTION crm.interaction_save(p_id bigint, d jsonb, clr text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.interactions;
	at_ timestamptz;
	id_ bigint := p_id;
BEGIN
	IF NOT creating THEN
		SELECT * INTO o FROM crm.interactions WHERE id = p_id;
	END IF;
	IF creating AND d ->> 'kind' IS NULL THEN
		PERFORM crm.raise('CRI01', 'interaction.kind', 'value.required');
	END IF;
	d := crm.clean_text(d, '{subject}', 'interaction.subject', 255, creating OR d ? 'subject');
	d := crm.clean_text(d, '{body}', 'interaction.body', 32768, false, true);
	IF d ? 'occurred_at' THEN
		at_ := crm.check_instant(d ->> 'occurred_at', 'interaction.occurred_at');
	END IF;
	IF (d ->> 'duration')::numeric NOT BETWEEN 0 AND 100000 THEN
		PERFORM crm.raise('CRI01', 'interaction.duration', 'field.value_range', '0', '100000');
	END IF;
	IF d ? 'outcome' THEN
		d := jsonb_set(d, '{outcome}', to_jsonb(crm.check_picklist('outcome', d ->> 'outcome', 'interaction.outcome',
									    o.outcome)));
	END IF;
	-- the account and contact it links to: live and visible to the acting
	-- user (the function runs as the caller, so row-level security hides
	-- what the user may not read): else NOT_FOUND, exactly as an id that
	-- does not exist (as crm.contact_save does for its account)
	IF d ->> 'account_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.accounts
			WHERE id = (d ->> 'account_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'interaction.account_id', 'record.no_account', (d ->> 'account_id')::text);
	END IF;
	IF d ->> 'contact_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.contacts
			WHERE id = (d ->> 'contact_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'interaction.contact_id', 'record.not_found', 'contact', (d ->> 'contact_id')::text);
	END IF;
	IF creating THEN
		INSERT INTO crm.interactions (owner_id, team_id, created_by, updated_by, kind, direction,
			subject, body, occurred_at, duration, outcome, account_id, contact_id, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'kind', d ->> 'direction', d ->> 'subject',
			d ->> 'body', coalesce(at_, now()), (d ->> 'duration')::integer, d ->> 'outcome',
			(d ->> 'account_id')::bigint, (d ->> 'contact_id')::bigint, d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.interactions SET
			kind = coalesce(d ->> 'kind', kind),
			direction = crm.pick(d, 'direction', clr, direction),
			subject = coalesce(d ->> 'subject', subject),
			body = crm.pick(d, 'body', clr, body),
			occurred_at = coalesce(at_, occurred_at),
			duration = crm.pick(d, 'duration', clr, duration::text)::integer,
			outcome = crm.pick(d, 'outcome', clr, outcome),
			account_id = crm.pick(d, 'account_id', clr, account_id::text)::bigint,
			contact_id = crm.pick(d, 'contact_id', clr, contact_id::text)::bigint,
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	RETURN id_;
END
$function$;
COMMENT ON FUNCTION crm.interaction_save(bigint,jsonb,text[]) IS 'The interaction''s save function (crm.record_types.save_function): writes an interaction''s own columns from its JSON d, clearing clr, creating it when p_id is NULL; returns its id.';

-- The task's save function (crm.record_types.save_function), as
-- crm.interaction_save is the interaction's. The subject is required on
-- create; the assignee is the creator unless given; a due time is not
-- before the task's creation (an all-day one not before the day before,
-- so that a date means the same in every time zone; a minute's grace for
-- clocks); a reminder, when given, not in the past; completed_at follows
-- the status (set when it becomes done, cleared when it leaves done).
CREATE OR REPLACE FUNCTION crm.task_save(p_id bigint, d jsonb, clr text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.tasks;
	created timestamptz := now();
	all_day_ boolean;
	due_ timestamptz;
	remind_ timestamptz;
	assignee_ bigint;
	active_ boolean;
	id_ bigint := p_id;
BEGIN
	IF NOT creating THEN
		SELECT * INTO o FROM crm.tasks WHERE id = p_id;
		created := o.created_at;
	END IF;
	d := crm.clean_text(d, '{subject}', 'task.subject', 255, creating OR d ? 'subject');
	d := crm.clean_text(d, '{description}', 'task.description', 32768, false, true);
	all_day_ := coalesce((d ->> 'all_day')::boolean, o.all_day, false);
	IF d ->> 'due_at' IS NOT NULL THEN
		due_ := crm.check_instant(d ->> 'due_at', 'task.due_at');
		IF due_ < (CASE WHEN all_day_ THEN date_trunc('day', created, 'UTC') - interval '1 day'
				ELSE created - interval '1 minute' END) THEN
			PERFORM crm.raise('CRI01', 'task.due_at', 'record.due_before_creation');
		END IF;
	END IF;
	IF d ->> 'remind_at' IS NOT NULL THEN
		remind_ := crm.check_instant(d ->> 'remind_at', 'task.remind_at');
		IF remind_ < now() - interval '1 minute' THEN
			PERFORM crm.raise('CRI01', 'task.remind_at', 'record.reminder_in_past');
		END IF;
	END IF;
	-- the assignee: an active user by name (me: the acting user); crm_app
	-- reads only the columns of crm.users it is granted
	IF d ? 'assignee' THEN
		SELECT u.id, u.active INTO assignee_, active_ FROM crm.users u
		WHERE u.username = CASE WHEN lower(btrim(d ->> 'assignee')) = 'me'
					THEN crm.user_name(crm.acting_user())
					ELSE lower(btrim(d ->> 'assignee')) END;
		IF assignee_ IS NULL THEN
			PERFORM crm.raise('CRN01', 'task.assignee', 'identity.no_user_named', (d ->> 'assignee')::text);
		ELSIF NOT active_ THEN
			PERFORM crm.raise('CRI01', 'task.assignee', 'record.user_disabled', lower(btrim(d ->> 'assignee'))::text);
		END IF;
	END IF;
	-- the account and contact it links to: live and visible to the acting
	-- user (the function runs as the caller, so row-level security hides
	-- what the user may not read): else NOT_FOUND, exactly as an id that
	-- does not exist (as crm.contact_save does for its account)
	IF d ->> 'account_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.accounts
			WHERE id = (d ->> 'account_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'task.account_id', 'record.no_account', (d ->> 'account_id')::text);
	END IF;
	IF d ->> 'contact_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.contacts
			WHERE id = (d ->> 'contact_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'task.contact_id', 'record.not_found', 'contact', (d ->> 'contact_id')::text);
	END IF;
	IF creating THEN
		INSERT INTO crm.tasks (owner_id, team_id, created_by, updated_by, subject, description,
			due_at, all_day, priority, status, assignee_id, account_id, contact_id, remind_at,
			completed_at, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'subject', d ->> 'description', due_, all_day_,
			coalesce(d ->> 'priority', 'normal'), coalesce(d ->> 'status', 'open'),
			coalesce(assignee_, u.id), (d ->> 'account_id')::bigint, (d ->> 'contact_id')::bigint,
			remind_, CASE WHEN d ->> 'status' = 'done' THEN now() END, d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.tasks SET
			subject = coalesce(d ->> 'subject', subject),
			description = crm.pick(d, 'description', clr, description),
			due_at = CASE WHEN crm.given(d, 'due_at', clr) THEN due_ ELSE due_at END,
			all_day = all_day_,
			priority = coalesce(d ->> 'priority', priority),
			status = coalesce(d ->> 'status', status),
			assignee_id = coalesce(assignee_, assignee_id),
			account_id = crm.pick(d, 'account_id', clr, account_id::text)::bigint,
			contact_id = crm.pick(d, 'contact_id', clr, contact_id::text)::bigint,
			remind_at = CASE WHEN crm.given(d, 'remind_at', clr) THEN remind_ ELSE remind_at END,
			completed_at = CASE WHEN coalesce(d ->> 'status', status) <> 'done' THEN NULL
					    WHEN status = 'done' THEN completed_at ELSE now() END,
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	RETURN id_;
END
$function$;
COMMENT ON FUNCTION crm.task_save(bigint,jsonb,text[]) IS 'The task''s save function (crm.record_types.save_function): writes a task''s own columns from its JSON d, clearing clr, creating it when p_id is NULL; returns its id.';

-- The interaction a task's completion led to (RecordUpdate.log; crm task
-- done --log): created by crm.record_update after it saved the task, in
-- the same transaction, so that a log refused (a bad kind, a contact the
-- user cannot see, no right to create interactions) leaves the task as it
-- was, and a task update refused logs nothing. Only a task's update logs,
-- and only one that leaves the task done. The interaction takes the
-- task's account and contact unless the log names its own; it is made by
-- crm.record_create as the user (its save function checks every field
-- and the links, row-level security the create scope). Returns the task's
-- JSON with the new interaction's id as logged_interaction_id.
CREATE OR REPLACE FUNCTION crm.interaction_log(p_type text, p_task jsonb, p_log jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	task jsonb := p_task -> 'task';
	d jsonb;
	made jsonb;
BEGIN
	IF p_type IS DISTINCT FROM 'task' THEN
		PERFORM crm.raise('CRI01', 'log', 'record.log_only_tasks', coalesce(p_type, 'record')::text);
	END IF;
	IF jsonb_typeof(p_log) IS DISTINCT FROM 'object' OR crm.record_kind(p_log) IS DISTINCT FROM 'interaction' THEN
		PERFORM crm.raise('CRI01', 'log', 'record.must_hold', 'interaction');
	END IF;
	IF task ->> 'status' IS DISTINCT FROM 'done' THEN
		PERFORM crm.raise('CRI01', 'log', 'record.log_not_done');
	END IF;
	d := p_log -> 'interaction';
	IF d ->> 'account_id' IS NULL AND task ->> 'account_id' IS NOT NULL THEN
		d := d || jsonb_build_object('account_id', (task ->> 'account_id')::bigint);
	END IF;
	IF d ->> 'contact_id' IS NULL AND task ->> 'contact_id' IS NOT NULL THEN
		d := d || jsonb_build_object('contact_id', (task ->> 'contact_id')::bigint);
	END IF;
	made := crm.record_create(jsonb_build_object('interaction', d));
	RETURN jsonb_set(p_task, '{task,logged_interaction_id}', made -> 'interaction' -> 'id');
END
$function$;
COMMENT ON FUNCTION crm.interaction_log(text,jsonb,jsonb) IS 'Creates the interaction a task''s completing update logs (RecordUpdate.log), with the task''s account and contact unless it names its own; returns the task''s JSON with logged_interaction_id.';

-- ------------------------------------------------------------ participants and links

-- crm.record_links (sql/0032_participants.sql): what a row says of itself
-- is derived here, never taken from the writer (crm_app may insert rows
-- with SQL of its own): the record's type and the target's from
-- crm.records as the writer sees them (row-level security: a record the
-- writer cannot read is NOT_FOUND, as one that does not exist), the
-- instant from the interaction, who and when. An update (crm_app may
-- update only at) recomputes at and keeps the rest.
CREATE OR REPLACE FUNCTION crm.record_link_fill()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		NEW := OLD;
	ELSE
		NEW.record_type := (SELECT r.record_type FROM crm.records r WHERE r.id = NEW.record_id);
		IF NEW.record_type IS DISTINCT FROM 'interaction' THEN
			PERFORM crm.raise('CRN01', 'id', 'record.not_found', 'interaction', coalesce(NEW.record_id::text, ''));
		END IF;
		IF NEW.target_user_id IS NOT NULL THEN
			NEW.target_type := 'user';
		ELSE
			NEW.target_type := (SELECT r.record_type FROM crm.records r WHERE r.id = NEW.target_id);
			IF NEW.target_type IS NULL THEN
				PERFORM crm.raise('CRN01', 'links', 'record.not_found', 'record', coalesce(NEW.target_id::text, ''));
			END IF;
		END IF;
		NEW.created_at := now();
		NEW.created_by := crm.acting_user();
	END IF;
	NEW.at := (SELECT i.occurred_at FROM crm.interactions i WHERE i.id = NEW.record_id);
	IF NEW.at IS NULL THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', 'interaction', NEW.record_id::text);
	END IF;
	RETURN NEW;
END
$function$;
COMMENT ON FUNCTION crm.record_link_fill() IS 'Trigger: derives a link''s record_type, target_type, at, created_at and created_by (crm.record_links); refuses a record or target the writer cannot read as NOT_FOUND.';

CREATE OR REPLACE TRIGGER record_link_fill BEFORE INSERT OR UPDATE ON crm.record_links
	FOR EACH ROW EXECUTE FUNCTION crm.record_link_fill();

-- The links of an interaction follow its occurred_at (the timeline of
-- each target reads them by it). A definer function: every link of the
-- interaction moves, also those whose target the writer cannot read; it
-- takes nothing from the writer but the id and instant of the row the
-- writer was allowed to update (the trigger fires after that update
-- passed the interaction's row-level security).
CREATE OR REPLACE FUNCTION crm.record_links_follow()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	UPDATE crm.record_links SET at = NEW.occurred_at WHERE record_id = NEW.id AND at <> NEW.occurred_at;
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.record_links_follow() IS 'Trigger: keeps crm.record_links.at of an interaction''s links at its occurred_at.';

CREATE OR REPLACE TRIGGER record_links_follow AFTER UPDATE OF occurred_at ON crm.interactions
	FOR EACH ROW WHEN (NEW.occurred_at IS DISTINCT FROM OLD.occurred_at)
	EXECUTE FUNCTION crm.record_links_follow();

-- Row-level security of crm.record_links: a link is visible when the
-- interaction is and its target is (a user is always: usernames are
-- readable); written by whoever may edit the interaction, to a target
-- they can read (the second layer under crm.interaction_links, which
-- checks the same first).
DO $do$
DECLARE
	vis text := crm.side_visible('record_id', 'record_type')
		|| ' AND (target_user_id IS NOT NULL OR ' || crm.side_visible('target_id', 'target_type') || ')';
BEGIN
	DROP POLICY IF EXISTS select_scope ON crm.record_links;
	DROP POLICY IF EXISTS insert_scope ON crm.record_links;
	DROP POLICY IF EXISTS update_scope ON crm.record_links;
	DROP POLICY IF EXISTS delete_scope ON crm.record_links;
	DROP POLICY IF EXISTS owner_all ON crm.record_links;
	EXECUTE format('CREATE POLICY select_scope ON crm.record_links FOR SELECT TO crm_app USING (%s)', vis);
	EXECUTE format('CREATE POLICY insert_scope ON crm.record_links FOR INSERT TO crm_app'
		       ' WITH CHECK (crm.record_editable(record_type, record_id) AND %s)', vis);
	CREATE POLICY update_scope ON crm.record_links FOR UPDATE TO crm_app
		USING (crm.record_editable(record_type, record_id)) WITH CHECK (crm.record_editable(record_type, record_id));
	CREATE POLICY delete_scope ON crm.record_links FOR DELETE TO crm_app
		USING (crm.record_editable(record_type, record_id));
	CREATE POLICY owner_all ON crm.record_links TO crm_owner USING (true) WITH CHECK (true);
END
$do$;

-- The links a create of an interaction carries (RecordCreate.links; crm
-- interaction add --contact ... --participant USER --link TYPE/ID): each
-- a user who took part (user: an active user's name) or a record
-- (target_type and target_id: live and visible to the acting user, else
-- NOT_FOUND exactly as one that does not exist); kind participant (the
-- default for a contact or a user) or related (the default for anything
-- else). At most 50; a target named twice, or already the interaction's
-- account or contact, is linked once. Runs as the caller: the policies of
-- crm.record_links test the same again.
CREATE OR REPLACE FUNCTION crm.interaction_links(p_id bigint, p_links jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	l jsonb;
	uid bigint;
	tid bigint;
	ttype text;
	k text;
	i crm.interactions;
BEGIN
	IF jsonb_typeof(p_links) IS DISTINCT FROM 'array' THEN
		RETURN;
	END IF;
	IF jsonb_array_length(p_links) > 50 THEN
		PERFORM crm.raise('CRI01', 'links', 'record.links_at_most', jsonb_array_length(p_links)::text);
	END IF;
	SELECT * INTO i FROM crm.interactions WHERE id = p_id;
	FOR l IN SELECT jsonb_array_elements(p_links) LOOP
		uid := NULL;
		tid := NULL;
		IF l ->> 'user' IS NOT NULL THEN
			SELECT u.id INTO uid FROM crm.users u
			WHERE u.username = lower(btrim(l ->> 'user')) AND u.active;
			IF uid IS NULL THEN
				PERFORM crm.raise('CRN01', 'links', 'record.no_active_user_named', (l ->> 'user')::text);
			END IF;
			ttype := 'user';
		ELSE
			ttype := l ->> 'target_type';
			tid := (l ->> 'target_id')::bigint;
			IF ttype IS NULL OR tid IS NULL OR NOT EXISTS (SELECT 1 FROM crm.records r WHERE r.id = tid
					AND r.record_type = ttype AND r.deleted_at IS NULL) THEN
				PERFORM crm.raise('CRN01', 'links', 'record.not_found', coalesce(ttype, 'record')::text,
						  coalesce(tid::text, ''));
			END IF;
		END IF;
		k := coalesce(nullif(l ->> 'kind', ''), CASE WHEN ttype IN ('user', 'contact') THEN 'participant' ELSE 'related' END);
		IF k NOT IN ('participant', 'related') OR (uid IS NOT NULL AND k <> 'participant') THEN
			PERFORM crm.raise('CRI01', 'links', 'record.link_kind', k::text);
		END IF;
		CONTINUE WHEN tid IS NOT NULL AND (tid = i.contact_id OR tid = i.account_id);
		INSERT INTO crm.record_links (record_id, record_type, kind, target_type, target_id, target_user_id, at)
		VALUES (p_id, 'interaction', k, ttype, tid, uid, i.occurred_at)
		ON CONFLICT DO NOTHING;
	END LOOP;
END
$function$;
COMMENT ON FUNCTION crm.interaction_links(bigint,jsonb) IS 'Links an interaction to the users and records of a create''s links (RecordCreate.links), each checked as the caller sees it.';

-- A create that carries links (the whole RecordCreate as JSON, from
-- crmd's record_create when it has any): the record and its links in one
-- statement, so in one transaction; only interactions take links now.
CREATE OR REPLACE FUNCTION crm.record_create_linked(p_create jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	p jsonb := p_create -> 'record';
	made jsonb;
	id_ bigint;
BEGIN
	IF crm.record_kind(p) IS DISTINCT FROM 'interaction' THEN
		PERFORM crm.raise('CRI01', 'links', 'record.links_only_interactions', coalesce(crm.record_kind(p), 'record')::text);
	END IF;
	made := crm.record_create(p);
	id_ := (made -> 'interaction' ->> 'id')::bigint;
	PERFORM crm.interaction_links(id_, p_create -> 'links');
	RETURN crm.record_get('interaction', id_);
END
$function$;
COMMENT ON FUNCTION crm.record_create_linked(jsonb) IS 'Creates a record (crm.record_create) with its links (crm.interaction_links) in one statement; returns its JSON.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.interaction_save(bigint,jsonb,text[]),
	crm.task_save(bigint,jsonb,text[]),
	crm.interaction_log(text,jsonb,jsonb),
	crm.record_link_fill(),
	crm.record_links_follow(),
	crm.interaction_links(bigint,jsonb),
	crm.record_create_linked(jsonb)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.interaction_save(bigint,jsonb,text[]),
	crm.task_save(bigint,jsonb,text[]),
	crm.interaction_log(text,jsonb,jsonb),
	crm.interaction_links(bigint,jsonb),
	crm.record_create_linked(jsonb)
TO crm_app;
