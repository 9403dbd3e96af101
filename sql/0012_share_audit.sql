-- 0012: sharing is generic (any record type with a table, through
-- crm.record_share in modules/55_shares.sql). A share now says who made
-- it, and is audited as a change of the record it opens, beside its own
-- rows of type share: whoever reads a record's history sees who it was
-- shared with, by whom, and when that was revoked.
ALTER TABLE crm.shares ADD COLUMN shared_by bigint
	CONSTRAINT shares_shared_by_fkey REFERENCES crm.users ON DELETE SET NULL;
COMMENT ON COLUMN crm.shares.shared_by IS
	'The user who granted the share or last changed its access (NULL for shares made before 0012).';

-- crm.audit_side (0004, body in modules/90_audit.sql) writes one update row
-- of the shared record per share granted, changed or revoked, under the key
-- "share".
CREATE TRIGGER audit_record AFTER INSERT OR UPDATE OR DELETE ON crm.shares
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('', 'record_id', 'share');
