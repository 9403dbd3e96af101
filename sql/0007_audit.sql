-- 0007_audit: the audit trail read fast and read as people expect.
--
-- Reading. Until now the SELECT policy on crm.audit called
-- crm.record_visible(record_type, record_id) for every row it looked at:
-- a query per row, and no index could serve "the history I may see", so a
-- sales user's page walked the trail until it had found 50 rows (0.9-1.9 s
-- with 17,000 rows). Now every audit row carries its *subject*: the record
-- whose visibility decides who may read the row, with that record's
-- current owner and team, kept up to date by triggers:
--
--   subject_type   note/account/contact: the record's type; relation: the
--                  type of its from record; user and session: 'user' /
--                  'session'; team, permission, role, field: 'public'
--                  (everyone who reads the audit trail sees those); any
--                  other type, or a record that is gone: NULL (only scope
--                  all and the acting user see the row).
--   subject_ref    the record's id (relation: its from record's id)
--   subject_owner  the record's owner (user: the user; session: its user)
--   subject_team   the record's team
--
-- The policy is then a column test per row (as the business tables'
-- policies are), and crm.audit_list states the same scope in its query as
-- record lists do (docs/data.md), one index range per owner, team, type or
-- shared record, each read newest first and merged: a page costs the same
-- whatever the size of the trail. Relations keep their extra condition
-- (both ends visible) through crm.record_visible, for relation rows only.
--
-- Reading as people expect: crm.audit_out gains the acting user's id, the
-- name of a user or team record, and old/new values with user and team
-- names beside their ids and money amounts with their currency.
--
-- Functions, views, policies and the grants on functions that this
-- migration introduced or replaced are in sql/modules/ (sql/README.md):
-- what stays here is tables, indexes, roles, privileges on tables and
-- data.

-- ------------------------------------------------------------ subjects

ALTER TABLE crm.audit
	ADD COLUMN subject_type text,
	ADD COLUMN subject_ref bigint,
	ADD COLUMN subject_owner bigint,
	ADD COLUMN subject_team bigint;

COMMENT ON COLUMN crm.audit.subject_type IS 'Whose visibility governs this row: the business type of the record it is about (a relation: its from record''s type), user, session, public (teams, permissions, roles, fields: every audit reader), or NULL (scope all and the acting user only). Access data, kept current by triggers (crm.audit_subject, crm.audit_follow); not part of the recorded change.';
COMMENT ON COLUMN crm.audit.subject_ref IS 'The record named by subject_type (a relation''s from record).';
COMMENT ON COLUMN crm.audit.subject_owner IS 'The subject''s current owner (a user row: the user; a session: its user).';
COMMENT ON COLUMN crm.audit.subject_team IS 'The subject''s current team.';

-- The rows already written.
UPDATE crm.audit SET subject_type = 'public' WHERE record_type IN ('team', 'permission', 'role', 'field');
UPDATE crm.audit SET subject_type = 'user', subject_ref = record_id, subject_owner = record_id
WHERE record_type = 'user';
UPDATE crm.audit a SET subject_type = 'session', subject_ref = a.record_id, subject_owner = s.user_id
FROM crm.sessions s WHERE a.record_type = 'session' AND s.id = a.record_id;
UPDATE crm.audit a SET subject_type = r.from_type, subject_ref = r.from_id
FROM crm.relations r WHERE a.record_type = 'relation' AND r.id = a.record_id;
UPDATE crm.audit SET subject_type = record_type, subject_ref = record_id
WHERE record_type IN ('note', 'account', 'contact');
UPDATE crm.audit a SET subject_owner = o.owner_id, subject_team = o.team_id
FROM (SELECT 'note' AS t, id, owner_id, team_id FROM crm.notes
      UNION ALL SELECT 'account', id, owner_id, team_id FROM crm.accounts
      UNION ALL SELECT 'contact', id, owner_id, team_id FROM crm.contacts) o
WHERE a.subject_type = o.t AND a.subject_ref = o.id;
UPDATE crm.audit SET subject_type = NULL, subject_ref = NULL
WHERE subject_type IN ('note', 'account', 'contact') AND subject_owner IS NULL;

-- One index per way in: whose record (owner, team), what kind (type:
-- scope all and the public rows), which record (shares; and the triggers
-- above). Each ends in id so that a page reads newest first and stops.
CREATE INDEX audit_subject_owner_idx ON crm.audit (subject_owner, id);
CREATE INDEX audit_subject_team_idx ON crm.audit (subject_team, id);
CREATE INDEX audit_subject_type_idx ON crm.audit (subject_type, id);
CREATE INDEX audit_subject_ref_idx ON crm.audit (subject_ref, id);
