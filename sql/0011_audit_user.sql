-- 0011: a page of `audit list --user NAME` for a user without scope all
-- reads about as many rows as it shows, however many rows NAME has.
--
-- crm.audit_list used to read NAME's actions newest first (audit_user_idx)
-- and leave row-level security to drop the ones the reader may not see: a
-- sales user asking after a busy colleague of another team walked all of
-- that colleague's history to fill a page. crm.audit_scoped_ids now takes
-- the user and reads each way in (the reader's own records, each of their
-- teams) restricted to that user's actions, which these indexes serve as
-- one range each, newest first.
CREATE INDEX audit_owner_user_idx ON crm.audit (subject_owner, user_id, id);
COMMENT ON INDEX crm.audit_owner_user_idx IS
	'One user''s actions on the records one user owns, newest last: audit list --user for a reader without scope all.';
CREATE INDEX audit_team_user_idx ON crm.audit (subject_team, user_id, id);
COMMENT ON INDEX crm.audit_team_user_idx IS
	'One user''s actions on the records of one team, newest last: audit list --user for a reader without scope all.';

-- The function gains the user (modules/90_audit.sql creates it again; on a
-- fresh database the modules have not run yet, hence IF EXISTS).
DROP FUNCTION IF EXISTS crm.audit_scoped_ids(text, timestamp with time zone, timestamp with time zone, bigint, integer);
