-- 0031_attachments_definer.sql: attachments are written only through the
-- SECURITY DEFINER functions of modules/86_attachments.sql (review of
-- issue 13).
--
-- With INSERT, UPDATE and DELETE granted, crm_app acting for an uploader
-- could insert an upload with its counters already set, insert chunk rows
-- itself and set committed_at, skipping attach_commit's checks (size,
-- SHA-256, completeness, the record still editable). crm_app now only
-- reads the two tables (under their SELECT policies); attach_begin,
-- attach_chunk, attach_commit, attach_abort and attach_delete run as the
-- owner, trust only crm.acting_user() and check the record themselves.
REVOKE INSERT, UPDATE, DELETE ON crm.attachments FROM crm_app;
REVOKE INSERT, UPDATE, DELETE ON crm.attachment_chunks FROM crm_app;

-- The write policies of crm_app go with its rights (the module no longer
-- makes them).
DROP POLICY IF EXISTS insert_scope ON crm.attachments;
DROP POLICY IF EXISTS update_scope ON crm.attachments;
DROP POLICY IF EXISTS delete_scope ON crm.attachments;
DROP POLICY IF EXISTS insert_scope ON crm.attachment_chunks;

-- The largest file any configuration may accept. crmd passes its
-- attachment_max_size to the functions; they take the smaller of it and
-- this, which crm_app can read but not change.
INSERT INTO crm_meta.settings (name, value) VALUES ('attachment_max_size_ceiling', '268435456')
ON CONFLICT (name) DO NOTHING;

-- attach_commit takes the file's SHA-256 as crmd computed it (it no
-- longer reads the whole file in one backend under the record's lock);
-- attach_list takes a page (keyset on the id, newest first).
DROP FUNCTION IF EXISTS crm.attach_commit(bigint);
DROP FUNCTION IF EXISTS crm.attach_list(text,bigint);
