-- 0029_timeline: what the customer timeline (issue 13; crm timeline
-- TYPE/ID, crm.timeline_list in modules/84_timeline.sql) reads, indexed so
-- that a page costs the same for an account with a hundred interactions
-- and one with a hundred thousand (docs/data.md, "The timeline").
--
-- * crm.interactions.via_account_id and crm.tasks.via_account_id: the
--   account whose timeline the row is on, stored when the row is written:
--   its own account_id, or, when it names none, the account of its
--   contact at that moment (the trigger timeline_via, modules/84). An
--   account's timeline is then one index range, however many contacts
--   the account has and however many interactions each has; reading each
--   contact's interactions and merging them would cost a page per
--   contact. The column is derived: the audit trail skips it (the audit
--   triggers of both tables are made again below with it among the
--   skipped columns, as crm.attach_record makes them).
-- * Indexes: one per way in, each ending in the instant the timeline
--   sorts by and the id, read backwards (newest first) as far as a page
--   needs: an account's interactions per kind (so that --kind is an
--   index range too; a contact's are interactions_contact_idx of 0027),
--   an account's or a contact's tasks by the task's instant
--   (done: completed_at; else due_at; else created_at), and a record's
--   audit rows by time.
--
-- The backfill and the indexes run in the migration's transaction: writes
-- to the three tables wait for them (docs/operations.md, "Migrations and
-- rolling upgrades").

-- ------------------------------------------------------------ the account of each row

ALTER TABLE crm.interactions
	ADD COLUMN via_account_id bigint REFERENCES crm.accounts ON DELETE SET NULL;
ALTER TABLE crm.tasks
	ADD COLUMN via_account_id bigint REFERENCES crm.accounts ON DELETE SET NULL;
COMMENT ON COLUMN crm.interactions.via_account_id IS 'The account whose timeline shows the interaction: account_id, or when that is empty the account of its contact when contact_id was last set (trigger timeline_via). Derived; not audited.';
COMMENT ON COLUMN crm.tasks.via_account_id IS 'The account whose timeline shows the task: account_id, or when that is empty the account of its contact when contact_id was last set (trigger timeline_via). Derived; not audited.';

-- The rows already written, with no trigger of theirs (no new version, no
-- audit row, no event: nothing a user did changed).
ALTER TABLE crm.interactions DISABLE TRIGGER USER;
UPDATE crm.interactions i
SET via_account_id = coalesce(i.account_id, (SELECT c.account_id FROM crm.contacts c WHERE c.id = i.contact_id))
WHERE i.account_id IS NOT NULL OR i.contact_id IS NOT NULL;
ALTER TABLE crm.interactions ENABLE TRIGGER USER;
ALTER TABLE crm.tasks DISABLE TRIGGER USER;
UPDATE crm.tasks t
SET via_account_id = coalesce(t.account_id, (SELECT c.account_id FROM crm.contacts c WHERE c.id = t.contact_id))
WHERE t.account_id IS NOT NULL OR t.contact_id IS NOT NULL;
ALTER TABLE crm.tasks ENABLE TRIGGER USER;

-- The audit triggers as crm.attach_record made them (the type, then the
-- skipped columns), with the derived column skipped too.
DROP TRIGGER audit ON crm.interactions;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.interactions
	FOR EACH ROW EXECUTE FUNCTION crm.audit_row('interaction', 'version', 'updated_at', 'updated_by', 'via_account_id');
DROP TRIGGER audit ON crm.tasks;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.tasks
	FOR EACH ROW EXECUTE FUNCTION crm.audit_row('task', 'version', 'updated_at', 'updated_by', 'via_account_id');

-- ------------------------------------------------------------ indexes

CREATE INDEX interactions_via_kind_idx ON crm.interactions (via_account_id, kind, occurred_at, id)
	WHERE via_account_id IS NOT NULL;
COMMENT ON INDEX crm.interactions_via_kind_idx IS 'An account''s timeline: its interactions of one kind, newest first (crm.timeline_list reads one range per kind and merges them); purges of the account.';

-- A task's instant on the timeline: when it was done, else when it is
-- due, else when it was made (CASE rather than coalesce: an expression
-- row-level security lets an index serve, docs/data.md).
CREATE INDEX tasks_via_timeline_idx ON crm.tasks (via_account_id,
	(CASE WHEN completed_at IS NOT NULL THEN completed_at WHEN due_at IS NOT NULL THEN due_at ELSE created_at END), id)
	WHERE via_account_id IS NOT NULL;
CREATE INDEX tasks_contact_timeline_idx ON crm.tasks (contact_id,
	(CASE WHEN completed_at IS NOT NULL THEN completed_at WHEN due_at IS NOT NULL THEN due_at ELSE created_at END), id)
	WHERE contact_id IS NOT NULL;
COMMENT ON INDEX crm.tasks_via_timeline_idx IS 'An account''s timeline: its tasks by their instant (completed_at, else due_at, else created_at), newest first; purges of the account.';
COMMENT ON INDEX crm.tasks_contact_timeline_idx IS 'A contact''s timeline: its tasks by their instant, newest first.';

CREATE INDEX audit_record_at_idx ON crm.audit (record_type, record_id, at, id);
COMMENT ON INDEX crm.audit_record_at_idx IS 'A record''s changes by time, newest first (the timeline''s change history).';
