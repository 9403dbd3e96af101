-- 0030_attachments.sql: files attached to business records (issue 13).
--
-- Tables only; the functions, the policies and the audit trigger are in
-- modules/86_attachments.sql. docs/data.md ("Attachments") has the model:
-- an attachment's bytes are rows of crm.attachment_chunks (bytea stored
-- out of line and uncompressed), never large objects, which row-level
-- security cannot reach. An upload is staged chunk by chunk, one request
-- and transaction each, and becomes visible when its commit sets
-- committed_at; a staged upload not committed by expires_at is deleted
-- by the scheduler (job kind attachment_expiry).

CREATE TABLE crm.attachments (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	record_type text NOT NULL REFERENCES crm.record_types,
	name text NOT NULL CONSTRAINT attachments_name_length CHECK (length(name) BETWEEN 1 AND 255),
	content_type text NOT NULL CONSTRAINT attachments_content_type_length CHECK (length(content_type) BETWEEN 3 AND 255),
	size bigint NOT NULL CONSTRAINT attachments_size_range CHECK (size >= 0),
	sha256 bytea NOT NULL CONSTRAINT attachments_sha256_length CHECK (length(sha256) = 32),
	chunk_size integer NOT NULL CONSTRAINT attachments_chunk_size_range CHECK (chunk_size > 0),
	chunks integer NOT NULL CONSTRAINT attachments_chunks_range CHECK (chunks >= 0),
	received integer NOT NULL DEFAULT 0 CONSTRAINT attachments_received_range CHECK (received BETWEEN 0 AND chunks),
	received_bytes bigint NOT NULL DEFAULT 0 CONSTRAINT attachments_received_bytes_range CHECK (received_bytes BETWEEN 0 AND size),
	created_by bigint NOT NULL REFERENCES crm.users,
	created_at timestamptz NOT NULL DEFAULT now(),
	committed_at timestamptz,
	expires_at timestamptz,
	CONSTRAINT attachments_expires_at_check CHECK ((committed_at IS NULL) = (expires_at IS NOT NULL)),
	CONSTRAINT attachments_received_check CHECK (committed_at IS NULL OR (received = chunks AND received_bytes = size))
);
COMMENT ON TABLE crm.attachments IS
	'Files attached to business records: name, content type, size and SHA-256; the bytes are rows '
	'of crm.attachment_chunks. A row is a staged upload (committed_at NULL: seen only by its '
	'uploader, deleted after expires_at) until its commit; then it is visible to whoever can see '
	'its record (docs/data.md, "Attachments").';
COMMENT ON COLUMN crm.attachments.id IS 'Identity: the id crm attach get and delete take.';
COMMENT ON COLUMN crm.attachments.record_id IS 'The record it is attached to (crm.records); a purge deletes it with the record.';
COMMENT ON COLUMN crm.attachments.record_type IS 'That record''s type.';
COMMENT ON COLUMN crm.attachments.name IS 'The file name as the uploader gave it (one line, 1-255 characters); clients sanitise it before using it as a path.';
COMMENT ON COLUMN crm.attachments.content_type IS 'MIME type (type/subtype, lower case, with any parameters), given or guessed by the client from the name.';
COMMENT ON COLUMN crm.attachments.size IS 'The file''s size in bytes, declared at begin and reached by the chunks before commit.';
COMMENT ON COLUMN crm.attachments.sha256 IS 'The file''s SHA-256, declared at begin and checked against the chunks at commit.';
COMMENT ON COLUMN crm.attachments.chunk_size IS 'Bytes of every chunk but the last (the server''s choice at begin, inside its frame limit).';
COMMENT ON COLUMN crm.attachments.chunks IS 'How many chunks the file takes: ceil(size / chunk_size).';
COMMENT ON COLUMN crm.attachments.received IS 'Chunks received so far (they arrive in order: the next expected index).';
COMMENT ON COLUMN crm.attachments.received_bytes IS 'Bytes received so far.';
COMMENT ON COLUMN crm.attachments.created_by IS 'The uploader.';
COMMENT ON COLUMN crm.attachments.created_at IS 'When the upload began.';
COMMENT ON COLUMN crm.attachments.committed_at IS 'When the upload was committed; NULL while staged (invisible to everyone but the uploader).';
COMMENT ON COLUMN crm.attachments.expires_at IS 'A staged upload is deleted after this (moved on by every chunk); NULL once committed.';

CREATE INDEX attachments_record_idx ON crm.attachments (record_id, id) WHERE committed_at IS NOT NULL;
COMMENT ON INDEX crm.attachments_record_idx IS 'A record''s attachments (crm attach list), newest first.';
CREATE INDEX attachments_expires_idx ON crm.attachments (expires_at) WHERE committed_at IS NULL;
COMMENT ON INDEX crm.attachments_expires_idx IS 'The attachment_expiry job: staged uploads past their expiry.';
CREATE INDEX attachments_created_by_idx ON crm.attachments (created_by);
COMMENT ON INDEX crm.attachments_created_by_idx IS 'Deleting a user checks their uploads.';

CREATE TABLE crm.attachment_chunks (
	attachment_id bigint NOT NULL REFERENCES crm.attachments ON DELETE CASCADE,
	idx integer NOT NULL CONSTRAINT attachment_chunks_idx_range CHECK (idx >= 0),
	sha256 bytea NOT NULL CONSTRAINT attachment_chunks_sha256_length CHECK (length(sha256) = 32),
	data bytea NOT NULL,
	PRIMARY KEY (attachment_id, idx)
);
COMMENT ON TABLE crm.attachment_chunks IS
	'The bytes of attachments, one row per chunk in order. Visible exactly when the attachment is '
	'(its row-level security tests crm.attachments under that table''s own policies). Never '
	'copied into the audit trail.';
COMMENT ON COLUMN crm.attachment_chunks.attachment_id IS 'The attachment (its chunks go with it).';
COMMENT ON COLUMN crm.attachment_chunks.idx IS 'Position of the chunk: 0, 1, ... (offset idx * chunk_size).';
COMMENT ON COLUMN crm.attachment_chunks.sha256 IS 'The chunk''s SHA-256, checked when it arrived.';
COMMENT ON COLUMN crm.attachment_chunks.data IS 'The chunk''s bytes: stored out of line (TOAST) and not compressed (STORAGE EXTERNAL): files are mostly compressed already, and reading a chunk costs no decompression.';
ALTER TABLE crm.attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE crm.attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.attachments FORCE ROW LEVEL SECURITY;
ALTER TABLE crm.attachment_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.attachment_chunks FORCE ROW LEVEL SECURITY;
-- crm_app writes through the functions of modules/86_attachments.sql,
-- which run as the caller: every row it reads or writes passes the
-- policies there.
GRANT SELECT, INSERT, DELETE ON crm.attachments TO crm_app;
GRANT UPDATE (received, received_bytes, committed_at, expires_at) ON crm.attachments TO crm_app;
GRANT SELECT, INSERT ON crm.attachment_chunks TO crm_app;

-- The scheduler deletes expired staged uploads (modules/92_events.sql
-- runs jobs; modules/86_attachments.sql performs this kind).
ALTER TABLE crm.jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE crm.jobs ADD CONSTRAINT jobs_kind_check
	CHECK (kind IN ('reminder', 'event_retention', 'attachment_expiry'));
COMMENT ON COLUMN crm.jobs.kind IS 'reminder (a task''s remind_at), event_retention (deletes old outbox rows, then schedules itself again) or attachment_expiry (deletes expired staged uploads, then schedules itself again).';
COMMENT ON COLUMN crm.jobs.payload IS 'Parameters of the job''s kind (event_retention: keep_seconds, every_seconds, batch; attachment_expiry: every_seconds, batch).';
-- The first run; each run schedules the next. On a fresh database the
-- owner's policy on crm.jobs (modules/92_events.sql) does not exist yet.
ALTER TABLE crm.jobs NO FORCE ROW LEVEL SECURITY;
INSERT INTO crm.jobs (kind, due_at, payload)
VALUES ('attachment_expiry', now(), '{"every_seconds": 60, "batch": 100}');
ALTER TABLE crm.jobs FORCE ROW LEVEL SECURITY;
