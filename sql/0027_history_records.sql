-- 0027_history_records: interactions and tasks, two ordinary record types
-- (issue 13, "Customer history"): calls, meetings, e-mails, visits,
-- messages and notes with a customer, and what is to be done next, with
-- a due time, a priority, a status, an assignee and a reminder. Their
-- views and save functions are in modules/82_history.sql; crmd migrate
-- runs the generators (dispatchers, policies, audit, reporting view) and
-- sets the field facts from crm.proto (docs/data.md, "Adding a record
-- type").
--
-- * crm.interactions and crm.tasks, with the bookkeeping columns every
--   business table has, their own columns, and an index per list path.
-- * The pick list outcome (an interaction's; a standard pick-list field's
--   list has the field's name, crm.filter_cond).
-- * Their rows in crm.record_types, crm.standard_fields and
--   crm.permissions (as accounts').

-- ------------------------------------------------------------ interactions

CREATE TABLE crm.interactions (
	id bigint PRIMARY KEY REFERENCES crm.records,
	owner_id bigint NOT NULL REFERENCES crm.users,
	team_id bigint REFERENCES crm.teams,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by bigint REFERENCES crm.users,
	deleted_at timestamptz,
	external_id text CONSTRAINT interactions_external_id_length CHECK (length(external_id) BETWEEN 1 AND 255),
	kind text NOT NULL CONSTRAINT interactions_kind_check
		CHECK (kind IN ('call', 'meeting', 'email', 'visit', 'message', 'note')),
	direction text CONSTRAINT interactions_direction_check CHECK (direction IN ('in', 'out')),
	subject text NOT NULL CONSTRAINT interactions_subject_length CHECK (length(subject) BETWEEN 1 AND 255),
	body text CONSTRAINT interactions_body_length CHECK (length(body) BETWEEN 1 AND 32768),
	occurred_at timestamptz NOT NULL DEFAULT now(),
	duration integer CONSTRAINT interactions_duration_range CHECK (duration BETWEEN 0 AND 100000),
	outcome text,
	account_id bigint REFERENCES crm.accounts ON DELETE SET NULL,
	contact_id bigint REFERENCES crm.contacts ON DELETE SET NULL
);
COMMENT ON TABLE crm.interactions IS 'Calls, meetings, e-mails, visits, messages and notes with customers: a record type (crm.record_types), iCalendar VEVENT for meetings (docs/data.md).';
COMMENT ON COLUMN crm.interactions.id IS 'The record''s id (crm.records).';
COMMENT ON COLUMN crm.interactions.owner_id IS 'The user who owns the interaction (row-level security).';
COMMENT ON COLUMN crm.interactions.team_id IS 'The owner''s team when it was created or reassigned (row-level security).';
COMMENT ON COLUMN crm.interactions.version IS 'Bumped by every update (optimistic locking).';
COMMENT ON COLUMN crm.interactions.created_at IS 'When the record was created.';
COMMENT ON COLUMN crm.interactions.created_by IS 'Who created the record.';
COMMENT ON COLUMN crm.interactions.updated_at IS 'When the record last changed.';
COMMENT ON COLUMN crm.interactions.updated_by IS 'Who changed the record last.';
COMMENT ON COLUMN crm.interactions.deleted_at IS 'Set while soft-deleted.';
COMMENT ON COLUMN crm.interactions.external_id IS 'The record''s key in another system, unique among interactions.';
COMMENT ON COLUMN crm.interactions.kind IS 'call, meeting, email, visit, message or note (InteractionKind).';
COMMENT ON COLUMN crm.interactions.direction IS 'in: the customer started it; out: we did (Direction); NULL: not said.';
COMMENT ON COLUMN crm.interactions.subject IS 'What it was about (iCalendar SUMMARY).';
COMMENT ON COLUMN crm.interactions.body IS 'What was said or written, several lines (iCalendar DESCRIPTION).';
COMMENT ON COLUMN crm.interactions.occurred_at IS 'When it happened (iCalendar DTSTART); shown in the user''s time zone.';
COMMENT ON COLUMN crm.interactions.duration IS 'How long it took, in minutes (iCalendar DURATION).';
COMMENT ON COLUMN crm.interactions.outcome IS 'A value of the pick list outcome.';
COMMENT ON COLUMN crm.interactions.account_id IS 'The account it was with (visible to the user when linked).';
COMMENT ON COLUMN crm.interactions.contact_id IS 'The contact who took part (iCalendar ATTENDEE; visible to the user when linked).';
COMMENT ON CONSTRAINT interactions_duration_range ON crm.interactions IS 'A duration is 0 to 100000 minutes.';

CREATE UNIQUE INDEX interactions_external_id_key ON crm.interactions (external_id) WHERE external_id IS NOT NULL;
COMMENT ON INDEX crm.interactions_external_id_key IS 'One interaction per external id.';
CREATE INDEX interactions_owner_idx ON crm.interactions (owner_id, id);
CREATE INDEX interactions_team_idx ON crm.interactions (team_id, id);
CREATE INDEX interactions_created_idx ON crm.interactions (created_at, id);
CREATE INDEX interactions_updated_idx ON crm.interactions (updated_at, id);
CREATE INDEX interactions_deleted_idx ON crm.interactions (deleted_at, id);
CREATE INDEX interactions_occurred_idx ON crm.interactions (occurred_at, id);
CREATE INDEX interactions_account_idx ON crm.interactions (account_id, occurred_at, id) WHERE account_id IS NOT NULL;
CREATE INDEX interactions_contact_idx ON crm.interactions (contact_id, occurred_at, id) WHERE contact_id IS NOT NULL;
CREATE INDEX interactions_kind_idx ON crm.interactions (kind, id);
COMMENT ON INDEX crm.interactions_occurred_idx IS 'Sorts by occurred_at (the default, newest first, reads it backwards).';
COMMENT ON INDEX crm.interactions_account_idx IS 'An account''s interactions, newest first (filter account_id); purges of the account.';
COMMENT ON INDEX crm.interactions_contact_idx IS 'A contact''s interactions, newest first (filter contact_id); purges of the contact.';

GRANT SELECT, INSERT, UPDATE, DELETE ON crm.interactions TO crm_app;

-- ------------------------------------------------------------ tasks

CREATE TABLE crm.tasks (
	id bigint PRIMARY KEY REFERENCES crm.records,
	owner_id bigint NOT NULL REFERENCES crm.users,
	team_id bigint REFERENCES crm.teams,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by bigint REFERENCES crm.users,
	deleted_at timestamptz,
	external_id text CONSTRAINT tasks_external_id_length CHECK (length(external_id) BETWEEN 1 AND 255),
	subject text NOT NULL CONSTRAINT tasks_subject_length CHECK (length(subject) BETWEEN 1 AND 255),
	description text CONSTRAINT tasks_description_length CHECK (length(description) BETWEEN 1 AND 32768),
	due_at timestamptz,
	all_day boolean NOT NULL DEFAULT false,
	priority text NOT NULL DEFAULT 'normal' CONSTRAINT tasks_priority_check
		CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
	status text NOT NULL DEFAULT 'open' CONSTRAINT tasks_status_check
		CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
	assignee_id bigint NOT NULL REFERENCES crm.users,
	account_id bigint REFERENCES crm.accounts ON DELETE SET NULL,
	contact_id bigint REFERENCES crm.contacts ON DELETE SET NULL,
	remind_at timestamptz,
	completed_at timestamptz,
	CONSTRAINT tasks_due_at_bound CHECK (due_at >= created_at - interval '2 days'),
	CONSTRAINT tasks_completed_at_status CHECK ((completed_at IS NOT NULL) = (status = 'done'))
);
COMMENT ON TABLE crm.tasks IS 'What is to be done, by whom and when, with a reminder: a record type (crm.record_types), iCalendar VTODO (docs/data.md).';
COMMENT ON COLUMN crm.tasks.id IS 'The record''s id (crm.records).';
COMMENT ON COLUMN crm.tasks.owner_id IS 'The user who owns the task (row-level security); the assignee need not be the owner.';
COMMENT ON COLUMN crm.tasks.team_id IS 'The owner''s team when it was created or reassigned (row-level security).';
COMMENT ON COLUMN crm.tasks.version IS 'Bumped by every update (optimistic locking).';
COMMENT ON COLUMN crm.tasks.created_at IS 'When the record was created.';
COMMENT ON COLUMN crm.tasks.created_by IS 'Who created the record.';
COMMENT ON COLUMN crm.tasks.updated_at IS 'When the record last changed.';
COMMENT ON COLUMN crm.tasks.updated_by IS 'Who changed the record last.';
COMMENT ON COLUMN crm.tasks.deleted_at IS 'Set while soft-deleted.';
COMMENT ON COLUMN crm.tasks.external_id IS 'The record''s key in another system, unique among tasks.';
COMMENT ON COLUMN crm.tasks.subject IS 'What is to be done (iCalendar SUMMARY).';
COMMENT ON COLUMN crm.tasks.description IS 'Free text, several lines (iCalendar DESCRIPTION).';
COMMENT ON COLUMN crm.tasks.due_at IS 'When it is due (iCalendar DUE); with all_day, midnight UTC of the due date; NULL: no due time.';
COMMENT ON COLUMN crm.tasks.all_day IS 'Due on the date of due_at rather than at its time (iCalendar DUE;VALUE=DATE).';
COMMENT ON COLUMN crm.tasks.priority IS 'low, normal, high or urgent (TaskPriority; iCalendar PRIORITY 9, 5, 3, 1).';
COMMENT ON COLUMN crm.tasks.status IS 'open, in_progress, done or cancelled (TaskStatus; iCalendar STATUS).';
COMMENT ON COLUMN crm.tasks.assignee_id IS 'The user who is to do it: an active user when set; the creator by default.';
COMMENT ON COLUMN crm.tasks.account_id IS 'The related account (visible to the user when linked).';
COMMENT ON COLUMN crm.tasks.contact_id IS 'The related contact (visible to the user when linked).';
COMMENT ON COLUMN crm.tasks.remind_at IS 'When to remind the assignee (iCalendar VALARM); not in the past when set.';
COMMENT ON COLUMN crm.tasks.completed_at IS 'When the status became done (iCalendar COMPLETED); NULL otherwise.';
COMMENT ON CONSTRAINT tasks_due_at_bound ON crm.tasks IS 'A task is not due days before it was created (a backstop: the save function refuses a due time before its creation).';
COMMENT ON CONSTRAINT tasks_completed_at_status ON crm.tasks IS 'completed_at is set exactly while the task is done.';

CREATE UNIQUE INDEX tasks_external_id_key ON crm.tasks (external_id) WHERE external_id IS NOT NULL;
COMMENT ON INDEX crm.tasks_external_id_key IS 'One task per external id.';
CREATE INDEX tasks_owner_idx ON crm.tasks (owner_id, id);
CREATE INDEX tasks_team_idx ON crm.tasks (team_id, id);
CREATE INDEX tasks_created_idx ON crm.tasks (created_at, id);
CREATE INDEX tasks_updated_idx ON crm.tasks (updated_at, id);
CREATE INDEX tasks_deleted_idx ON crm.tasks (deleted_at, id);
CREATE INDEX tasks_due_sort_idx ON crm.tasks ((due_at IS NULL),
	(CASE WHEN due_at IS NULL THEN '1970-01-01 00:00:00+00'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_assignee_due_idx ON crm.tasks (assignee_id, due_at, id);
CREATE INDEX tasks_status_due_idx ON crm.tasks (status, due_at, id);
CREATE INDEX tasks_remind_idx ON crm.tasks (remind_at, id) WHERE remind_at IS NOT NULL;
CREATE INDEX tasks_account_idx ON crm.tasks (account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX tasks_contact_idx ON crm.tasks (contact_id, id) WHERE contact_id IS NOT NULL;
COMMENT ON INDEX crm.tasks_due_sort_idx IS 'Sorts by due_at (the default), tasks without one last.';
COMMENT ON INDEX crm.tasks_assignee_due_idx IS 'A user''s tasks by due time (task list --mine --due).';
COMMENT ON INDEX crm.tasks_status_due_idx IS 'Open tasks by due time (task list --due: status and due_at).';
COMMENT ON INDEX crm.tasks_remind_idx IS 'Reminders by time (the scheduler, later).';

GRANT SELECT, INSERT, UPDATE, DELETE ON crm.tasks TO crm_app;

-- ------------------------------------------------------------ the registry

INSERT INTO crm.picklists (name, description) VALUES
	('outcome', 'The outcome of an interaction (a standard field''s pick list has the field''s name)');
INSERT INTO crm.picklist_values (picklist, value, label, position)
SELECT 'outcome', v.value, v.value, v.n
FROM unnest(ARRAY['Successful', 'No answer', 'Left message', 'Follow-up needed', 'Not interested'])
	WITH ORDINALITY AS v(value, n);

INSERT INTO crm.record_types (name, description) VALUES
	('interaction', 'Calls, meetings, e-mails, visits, messages and notes with customers'),
	('task', 'Tasks and reminders');

SELECT crm.attach_record('crm.interactions', 'interaction');
SELECT crm.attach_record('crm.tasks', 'task');

UPDATE crm.record_types SET table_name = 'crm.interactions', view_name = 'crm.interaction_out',
	save_function = 'crm.interaction_save', name_expr = 'r.subject', default_sort = '-occurred_at',
	searchable = '{subject,body}', label = 'Interaction', plural_label = 'Interactions',
	clearable = '{direction,body,duration,outcome,account_id,contact_id}',
	personal = '{subject,body,tags,custom}'
WHERE name = 'interaction';
UPDATE crm.record_types SET table_name = 'crm.tasks', view_name = 'crm.task_out',
	save_function = 'crm.task_save', name_expr = 'r.subject', default_sort = 'due_at',
	searchable = '{subject,description}', label = 'Task', plural_label = 'Tasks',
	clearable = '{description,due_at,remind_at,account_id,contact_id}',
	personal = '{subject,description,tags,custom}'
WHERE name = 'task';

INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
SELECT f.t, f.name, f.label, f.kind, f.col, f.sort_expr, f.nullable, row_number() OVER (PARTITION BY f.t)
FROM (VALUES
	('interaction', 'id', 'Id', 'ref', 'r.id', NULL, false),
	('interaction', 'kind', 'Kind', 'enum', 'r.kind', NULL, false),
	('interaction', 'direction', 'Direction', 'enum', 'r.direction', NULL, true),
	('interaction', 'subject', 'Subject', 'text', 'r.subject', NULL, false),
	('interaction', 'body', 'Body', 'none', NULL, NULL, true),
	('interaction', 'occurred_at', 'Occurred', 'instant', 'r.occurred_at', 'r.occurred_at', false),
	('interaction', 'duration', 'Duration (minutes)', 'number', 'r.duration', NULL, true),
	('interaction', 'outcome', 'Outcome', 'picklist', 'r.outcome', NULL, true),
	('interaction', 'account_id', 'Account', 'ref', 'r.account_id', NULL, true),
	('interaction', 'contact_id', 'Contact', 'ref', 'r.contact_id', NULL, true),
	('interaction', 'tags', 'Tags', 'tags', NULL, NULL, true),
	('interaction', 'owner', 'Owner', 'user', 'r.owner_id', NULL, false),
	('interaction', 'team', 'Team', 'team', 'r.team_id', NULL, true),
	('interaction', 'created_at', 'Created', 'instant', 'r.created_at', 'r.created_at', false),
	('interaction', 'updated_at', 'Updated', 'instant', 'r.updated_at', 'r.updated_at', false),
	('interaction', 'external_id', 'External id', 'text', 'r.external_id', NULL, true),
	('task', 'id', 'Id', 'ref', 'r.id', NULL, false),
	('task', 'subject', 'Subject', 'text', 'r.subject', NULL, false),
	('task', 'description', 'Description', 'none', NULL, NULL, true),
	('task', 'due_at', 'Due', 'instant', 'r.due_at',
	 'r.due_at IS NULL|CASE WHEN r.due_at IS NULL THEN ''1970-01-01 00:00:00+00''::timestamptz ELSE r.due_at END', true),
	('task', 'all_day', 'All day', 'none', NULL, NULL, false),
	('task', 'priority', 'Priority', 'enum', 'r.priority', NULL, false),
	('task', 'status', 'Status', 'enum', 'r.status', NULL, false),
	('task', 'assignee', 'Assignee', 'user', 'r.assignee_id', NULL, false),
	('task', 'account_id', 'Account', 'ref', 'r.account_id', NULL, true),
	('task', 'contact_id', 'Contact', 'ref', 'r.contact_id', NULL, true),
	('task', 'remind_at', 'Reminder', 'instant', 'r.remind_at', NULL, true),
	('task', 'completed_at', 'Completed', 'instant', 'r.completed_at', NULL, true),
	('task', 'tags', 'Tags', 'tags', NULL, NULL, true),
	('task', 'owner', 'Owner', 'user', 'r.owner_id', NULL, false),
	('task', 'team', 'Team', 'team', 'r.team_id', NULL, true),
	('task', 'created_at', 'Created', 'instant', 'r.created_at', 'r.created_at', false),
	('task', 'updated_at', 'Updated', 'instant', 'r.updated_at', 'r.updated_at', false),
	('task', 'external_id', 'External id', 'text', 'r.external_id', NULL, true)
) AS f(t, name, label, kind, col, sort_expr, nullable);

INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT p.role, t.name, p.action, p.scope
FROM crm.permissions p, (VALUES ('interaction'), ('task')) AS t(name)
WHERE p.record_type = 'account';
