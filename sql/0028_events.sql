-- 0028_events.sql: change events (the outbox), watches and due jobs.
--
-- Tables only; the triggers that fill them, the readers and the scheduler
-- are in modules/92_events.sql. docs/events.md explains the outbox's
-- visibility rule, resume positions and the scheduler's claim.

-- ------------------------------------------------------------ the outbox

CREATE TABLE crm.events (
	xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
	seq bigint GENERATED ALWAYS AS IDENTITY,
	at timestamptz NOT NULL DEFAULT now(),
	record_type text NOT NULL REFERENCES crm.record_types,
	record_id bigint NOT NULL,
	version bigint,
	kind text NOT NULL CONSTRAINT events_kind_check
		CHECK (kind IN ('created', 'updated', 'deleted', 'restored', 'reassigned', 'purged',
				'assigned', 'reminder')),
	user_id bigint REFERENCES crm.users ON DELETE CASCADE,
	PRIMARY KEY (xid, seq)
);
COMMENT ON TABLE crm.events IS
	'The outbox: one row per change of a business record (or reminder, or assignment), written in '
	'the transaction of the change. Readers deliver only rows of transactions no longer in progress '
	'(xid below the snapshot''s xmin), in (xid, seq) order, which is also the resume position '
	'(docs/events.md). Never field values. Old rows are deleted by the event_retention job.';
COMMENT ON COLUMN crm.events.xid IS 'The writing transaction (pg_current_xact_id()): first part of the position.';
COMMENT ON COLUMN crm.events.seq IS 'Order within the outbox (sequence order is not commit order): second part of the position.';
COMMENT ON COLUMN crm.events.at IS 'When the change''s transaction began.';
COMMENT ON COLUMN crm.events.record_type IS 'The changed record''s type.';
COMMENT ON COLUMN crm.events.record_id IS 'The changed record''s id (crm.records).';
COMMENT ON COLUMN crm.events.version IS 'The record''s version after the change; NULL once purged.';
COMMENT ON COLUMN crm.events.kind IS 'created, updated, deleted, restored, reassigned, purged (from the audit action), assigned or reminder (for user_id).';
COMMENT ON COLUMN crm.events.user_id IS 'The one user the event is for (a task assigned to them, a reminder); NULL: for the record''s watchers.';

CREATE INDEX events_at_idx ON crm.events (at);
COMMENT ON INDEX crm.events_at_idx IS 'Retention: the oldest rows first.';
CREATE INDEX events_user_id_idx ON crm.events (user_id) WHERE user_id IS NOT NULL;
COMMENT ON INDEX crm.events_user_id_idx IS 'Deleting a user deletes the events addressed to them.';

-- The last position retention deleted up to: a reader resuming from an
-- older position may have missed events and must resync.
CREATE TABLE crm.event_horizon (
	id boolean PRIMARY KEY DEFAULT true CONSTRAINT event_horizon_id_check CHECK (id),
	xid xid8 NOT NULL DEFAULT '0'::xid8,
	seq bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE crm.event_horizon IS 'One row: the newest outbox position retention has deleted; a resume position older than it gets RESYNC_REQUIRED.';
COMMENT ON COLUMN crm.event_horizon.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN crm.event_horizon.xid IS 'Transaction id of the newest deleted position.';
COMMENT ON COLUMN crm.event_horizon.seq IS 'Sequence of the newest deleted position.';
INSERT INTO crm.event_horizon DEFAULT VALUES;

-- Readable by crm_app through row-level security only (as the acting
-- user: events on records they watch or addressed to them, of records
-- they can see); written by the owner's triggers.
ALTER TABLE crm.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.events FORCE ROW LEVEL SECURITY;
ALTER TABLE crm.event_horizon ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.event_horizon FORCE ROW LEVEL SECURITY;
GRANT SELECT ON crm.events TO crm_app;
GRANT SELECT ON crm.event_horizon TO crm_app;

-- ------------------------------------------------------------ watches

CREATE TABLE crm.watches (
	user_id bigint NOT NULL REFERENCES crm.users ON DELETE CASCADE,
	record_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	record_type text NOT NULL REFERENCES crm.record_types,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, record_id)
);
COMMENT ON TABLE crm.watches IS 'Records a user follows: their changes are pushed to the user''s subscribed connections while the user can see the record.';
COMMENT ON COLUMN crm.watches.user_id IS 'Who watches.';
COMMENT ON COLUMN crm.watches.record_id IS 'The watched record (crm.records).';
COMMENT ON COLUMN crm.watches.record_type IS 'The watched record''s type.';
COMMENT ON COLUMN crm.watches.created_at IS 'When the watch was added.';
CREATE INDEX watches_record_id_idx ON crm.watches (record_id);
COMMENT ON INDEX crm.watches_record_id_idx IS 'Purges of the record.';

ALTER TABLE crm.watches ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.watches FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON crm.watches TO crm_app;

-- ------------------------------------------------------------ due jobs

CREATE TABLE crm.jobs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind text NOT NULL CONSTRAINT jobs_kind_check CHECK (kind IN ('reminder', 'event_retention')),
	due_at timestamptz NOT NULL,
	record_id bigint REFERENCES crm.records ON DELETE CASCADE,
	payload jsonb NOT NULL DEFAULT '{}',
	attempts integer NOT NULL DEFAULT 0 CONSTRAINT jobs_attempts_range CHECK (attempts >= 0),
	done_at timestamptz,
	last_error text
);
COMMENT ON TABLE crm.jobs IS
	'Time-driven work every crmd polls: a due row is claimed with FOR UPDATE SKIP LOCKED in the '
	'transaction that performs it and sets done_at, so it fires once whatever the number of crmd.';
COMMENT ON COLUMN crm.jobs.id IS 'Identity.';
COMMENT ON COLUMN crm.jobs.kind IS 'reminder (a task''s remind_at) or event_retention (deletes old outbox rows, then schedules itself again).';
COMMENT ON COLUMN crm.jobs.due_at IS 'When it is to run.';
COMMENT ON COLUMN crm.jobs.record_id IS 'The record it is about (the task of a reminder), or NULL.';
COMMENT ON COLUMN crm.jobs.payload IS 'Parameters of the job''s kind (event_retention: keep_seconds, every_seconds, batch).';
COMMENT ON COLUMN crm.jobs.attempts IS 'How many times it ran (or failed).';
COMMENT ON COLUMN crm.jobs.done_at IS 'When it ran; NULL while pending.';
COMMENT ON COLUMN crm.jobs.last_error IS 'The error of the last failed attempt (it runs again later).';

CREATE INDEX jobs_due_at_idx ON crm.jobs (due_at) WHERE done_at IS NULL;
COMMENT ON INDEX crm.jobs_due_at_idx IS 'The poll: pending jobs by due time.';
CREATE UNIQUE INDEX jobs_record_id_key ON crm.jobs (kind, record_id) WHERE done_at IS NULL;
COMMENT ON INDEX crm.jobs_record_id_key IS 'At most one pending job of a kind per record (a task''s reminder moves with remind_at).';
CREATE INDEX jobs_record_id_idx ON crm.jobs (record_id) WHERE record_id IS NOT NULL;
COMMENT ON INDEX crm.jobs_record_id_idx IS 'Purges of the record.';

-- The first retention run; each run schedules the next.
INSERT INTO crm.jobs (kind, due_at, payload)
VALUES ('event_retention', now(), '{"keep_seconds": 604800, "every_seconds": 60, "batch": 10000}');

ALTER TABLE crm.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.jobs FORCE ROW LEVEL SECURITY;
