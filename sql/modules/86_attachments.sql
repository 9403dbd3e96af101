-- sql/modules/86_attachments.sql: files attached to business records
-- (tables in 0030_attachments.sql; docs/data.md, "Attachments").
--
-- A repeatable module (sql/README.md): everything here can run again.
--
-- crm_app only reads the two tables (sql/0031), under the policies below:
-- an attachment is visible exactly when its record is, and its chunks
-- exactly when the attachment is; a staged upload is seen only by its
-- uploader. Reading (attach_list, attach_read) runs as the caller. Every
-- write goes through a SECURITY DEFINER function (attach_begin,
-- attach_chunk, attach_commit, attach_abort, attach_delete) that trusts
-- only crm.acting_user() and the context crm.begin_request wrote: it
-- checks the record's visibility and editability itself
-- (crm.attach_parent_check, on crm.records' owner, team, deletion and
-- shares) and bounds what crmd passes (the size limit by the ceiling in
-- crm_meta.settings, the chunk size, the expiry). Each request is one
-- transaction; an upload is several (begin, one per chunk, commit), which
-- is why its state lives in the tables, for whichever crmd the next
-- request reaches.

-- ------------------------------------------------------------ access

DROP POLICY IF EXISTS owner_all ON crm.attachments;
CREATE POLICY owner_all ON crm.attachments TO crm_owner USING (true) WITH CHECK (true);
-- Visible when the record is (crm.records' own policy, as the side
-- tables' policies test it: crm.side_visible), once committed, or to its
-- uploader while staged.
DROP POLICY IF EXISTS select_scope ON crm.attachments;
CREATE POLICY select_scope ON crm.attachments FOR SELECT TO crm_app USING (
	((SELECT crm.scope_all_types('read'))
	 OR EXISTS (SELECT 1 FROM crm.records x WHERE x.id = attachments.record_id AND x.record_type = attachments.record_type))
	AND (committed_at IS NOT NULL OR created_by = (SELECT crm.acting_user())));
-- No write policy for crm_app: it has no INSERT, UPDATE or DELETE on
-- either table (sql/0031); the definer functions below write as the
-- owner (owner_all).
DROP POLICY IF EXISTS insert_scope ON crm.attachments;
DROP POLICY IF EXISTS update_scope ON crm.attachments;
DROP POLICY IF EXISTS delete_scope ON crm.attachments;

DROP POLICY IF EXISTS owner_all ON crm.attachment_chunks;
CREATE POLICY owner_all ON crm.attachment_chunks TO crm_owner USING (true) WITH CHECK (true);
-- A chunk is visible when its attachment is, under crm.attachments' own
-- policies (which test the record): this layer holds without the
-- functions above it.
DROP POLICY IF EXISTS select_scope ON crm.attachment_chunks;
CREATE POLICY select_scope ON crm.attachment_chunks FOR SELECT TO crm_app USING (
	EXISTS (SELECT 1 FROM crm.attachments a WHERE a.id = attachment_chunks.attachment_id));
DROP POLICY IF EXISTS insert_scope ON crm.attachment_chunks;

-- ------------------------------------------------------------ the view

-- A committed attachment as the protocol's Attachment (its columns are
-- the message's fields).
CREATE OR REPLACE VIEW crm.attachment_out WITH (security_invoker = true) AS
	SELECT a.id, 'RECORD_TYPE_' || upper(a.record_type) AS type, a.record_id, a.name, a.content_type,
	       a.size, encode(a.sha256, 'hex') AS sha256, a.chunk_size, a.chunks,
	       u.username AS created_by, crm.us(a.committed_at) AS created_at
	FROM crm.attachments a LEFT JOIN crm.users u ON u.id = a.created_by
	WHERE a.committed_at IS NOT NULL;
COMMENT ON VIEW crm.attachment_out IS 'Committed attachments as the protocol''s Attachment message (row-level security of the reader applies).';
COMMENT ON COLUMN crm.attachment_out.id IS 'The attachment''s id.';
COMMENT ON COLUMN crm.attachment_out.type IS 'The type of the record it is attached to, as the protocol''s RecordType value name.';
COMMENT ON COLUMN crm.attachment_out.record_id IS 'The record it is attached to.';
COMMENT ON COLUMN crm.attachment_out.name IS 'The file name as uploaded.';
COMMENT ON COLUMN crm.attachment_out.content_type IS 'MIME type.';
COMMENT ON COLUMN crm.attachment_out.size IS 'Bytes.';
COMMENT ON COLUMN crm.attachment_out.sha256 IS 'SHA-256 of the file, hex.';
COMMENT ON COLUMN crm.attachment_out.chunk_size IS 'Bytes of every chunk but the last.';
COMMENT ON COLUMN crm.attachment_out.chunks IS 'Number of chunks.';
COMMENT ON COLUMN crm.attachment_out.created_by IS 'The uploader''s username.';
COMMENT ON COLUMN crm.attachment_out.created_at IS 'When it was committed, microseconds since the epoch.';

-- ------------------------------------------------------------ checks

-- A MIME type (RFC 6838 names, RFC 2045 parameters): type and subtype
-- lower-cased, parameters kept as given.
CREATE OR REPLACE FUNCTION crm.check_content_type(p_value text, p_field text)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	v text := btrim(p_value);
	tok CONSTANT text := '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
	par CONSTANT text := '[A-Za-z0-9!#$&^_.+-]+';
BEGIN
	IF v IS NULL OR v !~ ('^' || tok || '/' || tok || '( *; *' || par || '=(' || par || '|"[^"\\]*"))*$')
	   OR length(v) > 255 THEN
		PERFORM crm.raise('CRI01', p_field, 'attach.content_type_format', coalesce(p_value, ''));
	END IF;
	RETURN lower(split_part(v, ';', 1)) || CASE WHEN position(';' IN v) > 0
						       THEN substr(v, position(';' IN v)) ELSE '' END;
END
$function$;
COMMENT ON FUNCTION crm.check_content_type(text,text) IS 'A MIME type (type/subtype[; name=value]...) with type and subtype lower-cased, or INVALID_ARGUMENT on p_field.';

-- 64 hex digits as the 32 bytes of a SHA-256.
CREATE OR REPLACE FUNCTION crm.check_sha256(p_value text, p_field text)
 RETURNS bytea
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	IF p_value IS NULL OR p_value !~ '^[0-9A-Fa-f]{64}$' THEN
		PERFORM crm.raise('CRI01', p_field, 'attach.sha256_format', coalesce(p_value, ''));
	END IF;
	RETURN decode(p_value, 'hex');
END
$function$;
COMMENT ON FUNCTION crm.check_sha256(text,text) IS 'A SHA-256 given as 64 hex digits, as bytes, or INVALID_ARGUMENT on p_field.';

-- Whether the acting user's scope of p_action covers a row of
-- crm.records (its type, owner and team), as crm.scope_test's policy text
-- does: the definer functions below test records with it, where no
-- policy of crm_app applies.
CREATE OR REPLACE FUNCTION crm.attach_scope(p_action text, x crm.records)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	SELECT coalesce(CASE crm.action_scopes(p_action) ->> x.record_type
		WHEN 'all' THEN true
		WHEN 'own' THEN x.owner_id = crm.acting_user()
		WHEN 'team' THEN x.owner_id = crm.acting_user() OR x.team_id = ANY (crm.teams_of_scope('team'))
		WHEN 'subteams' THEN x.owner_id = crm.acting_user() OR x.team_id = ANY (crm.teams_of_scope('subteams'))
		ELSE false END, false)
$function$;
COMMENT ON FUNCTION crm.attach_scope(text,crm.records) IS 'Whether the acting user''s scope of an action covers a crm.records row (type, owner, team); shares are not part of it. For the definer functions of attachments.';

-- The record p_type/p_id as the acting user may see it (crm.records'
-- SELECT policy: read scope or a share, not purged), locked FOR SHARE so
-- that a change of its owner, team or deletion waits for the request; NULL
-- when not visible.
CREATE OR REPLACE FUNCTION crm.attach_target(p_type text, p_id bigint)
 RETURNS crm.records
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	x crm.records;
BEGIN
	SELECT * INTO x FROM crm.records r WHERE r.id = p_id AND r.record_type = p_type AND r.purged_at IS NULL
	FOR SHARE;
	IF NOT FOUND OR crm.acting_user() IS NULL
	   OR NOT (crm.attach_scope('read', x) OR x.id = ANY (crm.shared_any(false))) THEN
		RETURN NULL;
	END IF;
	RETURN x;
END
$function$;
COMMENT ON FUNCTION crm.attach_target(text,bigint) IS 'The crm.records row of a record the acting user may see (read scope or a share), locked FOR SHARE; NULL otherwise. For the definer functions of attachments.';

-- The record an attachment is added to or removed from must be visible,
-- live and editable by the acting user (update, delete or reassign scope,
-- or shared for editing: what the business tables' UPDATE policy
-- allows); else NOT_FOUND exactly as for a record that does not exist,
-- or the refusal crm.record_refuse gives (deleted, not in scope). Tested
-- here, not through the tables' policies: the callers run as the owner.
CREATE OR REPLACE FUNCTION crm.attach_parent_check(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	x crm.records := crm.attach_target(p_type, p_id);
BEGIN
	IF x.id IS NULL THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type, p_id::text);
	END IF;
	IF x.deleted_at IS NOT NULL
	   OR NOT (crm.attach_scope('update', x) OR crm.attach_scope('delete', x) OR crm.attach_scope('reassign', x)
		   OR x.id = ANY (crm.shared_any(true))) THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, 'update');
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.attach_parent_check(text,bigint) IS 'Refuses (NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED) a record the acting user may not attach files to or remove them from: not visible, deleted, not editable; tests crm.records itself (its callers run as the owner) and locks its row FOR SHARE.';

-- The size limit: the smaller of crmd's attachment_max_size (p_max) and
-- the ceiling in crm_meta.settings, which crm_app cannot change.
CREATE OR REPLACE FUNCTION crm.attach_limit(p_max bigint)
 RETURNS bigint
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	SELECT least(coalesce(p_max, c), c)
	FROM (SELECT coalesce((SELECT s.value::bigint FROM crm_meta.settings s
			       WHERE s.name = 'attachment_max_size_ceiling'), 268435456) AS c) t
$function$;
COMMENT ON FUNCTION crm.attach_limit(bigint) IS 'The largest file accepted: crmd''s attachment_max_size, at most the ceiling crm_meta.settings.attachment_max_size_ceiling (256 MiB).';

-- The acting user's staged upload p_id, locked, or NOT_FOUND; an expired
-- one is FAILED_PRECONDITION (the scheduler deletes it soon).
CREATE OR REPLACE FUNCTION crm.attach_staged(p_id bigint)
 RETURNS crm.attachments
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	a crm.attachments;
BEGIN
	SELECT * INTO a FROM crm.attachments x
	WHERE x.id = p_id AND x.committed_at IS NULL AND x.created_by = crm.acting_user() FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'attachment_id', 'attach.no_upload', p_id::text);
	END IF;
	IF a.expires_at < now() THEN
		PERFORM crm.raise('CRF01', 'attachment_id', 'attach.upload_expired', p_id::text);
	END IF;
	RETURN a;
END
$function$;
COMMENT ON FUNCTION crm.attach_staged(bigint) IS 'The acting user''s staged upload, locked (FOR UPDATE); NOT_FOUND when there is none, FAILED_PRECONDITION when it expired.';

-- ------------------------------------------------------------ uploading

-- Starts an upload to a record the acting user may edit: checks the name,
-- content type, size (p_max: crmd's attachment_max_size, at most the
-- ceiling) and SHA-256, and stages it with p_chunk bytes per chunk
-- (256 B to 256 KiB), expiring after p_expiry (1 s to 7 days) without a
-- chunk.
CREATE OR REPLACE FUNCTION crm.attach_begin(p_type text, p_id bigint, p_name text, p_content_type text, p_size bigint, p_sha256 text, p_max bigint, p_chunk integer, p_expiry interval)
 RETURNS TABLE (attachment_id bigint, chunks integer, expires_at bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	v_name text := crm.check_text(p_name, 'name', 255, true);
	v_type text := crm.check_content_type(p_content_type, 'content_type');
	v_sha bytea := crm.check_sha256(p_sha256, 'sha256');
	v_max bigint := crm.attach_limit(p_max);
	v_chunk integer := least(greatest(coalesce(p_chunk, 262144), 256), 262144);
	v_expiry interval := least(greatest(coalesce(p_expiry, '1 hour'), '1 second'), '7 days');
	a crm.attachments;
BEGIN
	IF p_size IS NULL THEN
		PERFORM crm.raise('CRI01', 'size', 'value.required');
	ELSIF p_size < 0 THEN
		PERFORM crm.raise('CRI01', 'size', 'attach.size_negative', p_size::text);
	ELSIF p_size > v_max THEN
		PERFORM crm.raise('CRI01', 'size', 'attach.too_large', p_size::text, v_max::text);
	END IF;
	PERFORM crm.attach_parent_check(p_type, p_id);
	INSERT INTO crm.attachments (record_id, record_type, name, content_type, size, sha256, chunk_size, chunks,
				     created_by, expires_at)
	VALUES (p_id, p_type, v_name, v_type, p_size, v_sha, v_chunk, ((p_size + v_chunk - 1) / v_chunk)::integer,
		crm.acting_user(), now() + v_expiry)
	RETURNING * INTO a;
	RETURN QUERY SELECT a.id, a.chunks, crm.us(a.expires_at);
END
$function$;
COMMENT ON FUNCTION crm.attach_begin(text,bigint,text,text,bigint,text,bigint,integer,interval) IS 'Stages an upload of p_size bytes to a record the acting user may edit (checked here: it runs as the owner); returns its id, its number of chunks and its expiry.';

-- One chunk of the acting user's staged upload, in order: its length
-- (chunk_size, the last the rest), its SHA-256 (computed here, on what
-- PostgreSQL received) and the size limit are checked before it is
-- written; the upload's expiry moves on. A chunk already received sent
-- again with the same checksum (a retry) changes nothing.
CREATE OR REPLACE FUNCTION crm.attach_chunk(p_id bigint, p_idx integer, p_data bytea, p_sha256 text, p_max bigint, p_expiry interval)
 RETURNS TABLE (received integer, expires_at bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	v_sha bytea := crm.check_sha256(p_sha256, 'sha256');
	v_max bigint := crm.attach_limit(p_max);
	v_expiry interval := least(greatest(coalesce(p_expiry, '1 hour'), '1 second'), '7 days');
	a crm.attachments := crm.attach_staged(p_id);
	want bigint;
	got bytea;
BEGIN
	IF p_idx < a.received AND EXISTS (SELECT 1 FROM crm.attachment_chunks c
					  WHERE c.attachment_id = p_id AND c.idx = p_idx AND c.sha256 = v_sha) THEN
		RETURN QUERY SELECT a.received, crm.us(a.expires_at);
		RETURN;
	ELSIF p_idx IS NULL OR p_idx < 0 OR p_idx >= a.chunks THEN
		PERFORM crm.raise('CRI01', 'index', 'attach.chunk_past_end', coalesce(p_idx::text, ''), a.size::text,
				  a.chunks::text);
	ELSIF p_idx <> a.received THEN
		PERFORM crm.raise('CRI01', 'index', 'attach.chunk_order', p_idx::text, a.received::text);
	END IF;
	IF a.received_bytes + length(p_data) > v_max THEN
		PERFORM crm.raise('CRI01', 'data', 'attach.too_large', (a.received_bytes + length(p_data))::text, v_max::text);
	END IF;
	want := CASE WHEN p_idx < a.chunks - 1 THEN a.chunk_size ELSE a.size - (a.chunks - 1)::bigint * a.chunk_size END;
	IF p_data IS NULL OR length(p_data) <> want THEN
		PERFORM crm.raise('CRI01', 'data', 'attach.chunk_length', p_idx::text, coalesce(length(p_data), 0)::text,
				  want::text, a.chunk_size::text);
	END IF;
	got := sha256(p_data);
	IF got <> v_sha THEN
		PERFORM crm.raise('CRI01', 'sha256', 'attach.chunk_checksum', p_idx::text, encode(got, 'hex'),
				  encode(v_sha, 'hex'));
	END IF;
	INSERT INTO crm.attachment_chunks (attachment_id, idx, sha256, data) VALUES (p_id, p_idx, got, p_data);
	RETURN QUERY
	UPDATE crm.attachments x SET received = x.received + 1, received_bytes = x.received_bytes + length(p_data),
		expires_at = now() + v_expiry
	WHERE x.id = p_id
	RETURNING x.received, crm.us(x.expires_at);
END
$function$;
COMMENT ON FUNCTION crm.attach_chunk(bigint,integer,bytea,text,bigint,interval) IS 'Writes the next chunk of the acting user''s staged upload after checking its order, length, SHA-256 and the size limit; returns the chunks received and the new expiry.';

-- Makes the acting user's complete upload visible: every chunk received
-- (each checked on arrival: order, length, SHA-256 computed here), the
-- record still editable, and the whole file's SHA-256 (p_sha256, which
-- crmd computed reading the chunks in order before this call, outside
-- any lock) equal to the one declared at begin. Short: the upload's row
-- and the record's are locked only for these checks and the update.
CREATE OR REPLACE FUNCTION crm.attach_commit(p_id bigint, p_sha256 text)
 RETURNS SETOF crm.attachment_out
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	v_sha bytea := crm.check_sha256(p_sha256, 'sha256');
	a crm.attachments := crm.attach_staged(p_id);
BEGIN
	IF a.received < a.chunks OR a.received_bytes < a.size THEN
		PERFORM crm.raise('CRF01', 'attachment_id', 'attach.incomplete', p_id::text, a.received::text,
				  a.chunks::text, a.received_bytes::text, a.size::text);
	END IF;
	PERFORM crm.attach_parent_check(a.record_type, a.record_id);
	IF v_sha <> a.sha256 THEN
		PERFORM crm.raise('CRF01', 'attachment_id', 'attach.file_checksum', p_id::text, encode(v_sha, 'hex'),
				  encode(a.sha256, 'hex'));
	END IF;
	UPDATE crm.attachments x SET committed_at = now(), expires_at = NULL WHERE x.id = p_id;
	RETURN QUERY SELECT * FROM crm.attachment_out o WHERE o.id = p_id;
END
$function$;
COMMENT ON FUNCTION crm.attach_commit(bigint,text) IS 'Commits the acting user''s complete staged upload when the whole file''s SHA-256 crmd computed from its chunks (p_sha256) is the one declared at begin; returns the attachment.';

-- Drops the acting user's staged upload and its chunks.
CREATE OR REPLACE FUNCTION crm.attach_abort(p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	DELETE FROM crm.attachments x WHERE x.id = p_id AND x.committed_at IS NULL AND x.created_by = crm.acting_user();
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'attachment_id', 'attach.no_upload', p_id::text);
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.attach_abort(bigint) IS 'Deletes the acting user''s staged upload (NOT_FOUND when there is none).';

-- ------------------------------------------------------------ reading, deleting

-- A page of a record's attachments, newest first: p_limit (1-500) of
-- those older than p_after (the id the cursor carries; NULL: the newest),
-- plus one more to tell whether another page follows (crmd makes its
-- cursor from the last it returns). attachments_record_idx (record_id,
-- id) serves it. A record the acting user cannot see is NOT_FOUND, as
-- one that does not exist.
CREATE OR REPLACE FUNCTION crm.attach_list(p_type text, p_id bigint, p_after text, p_limit integer)
 RETURNS SETOF crm.attachment_out
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.records r WHERE r.id = p_id AND r.record_type = p_type) THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type, p_id::text);
	END IF;
	RETURN QUERY SELECT * FROM crm.attachment_out o
		     WHERE o.record_id = p_id AND (p_after IS NULL OR o.id < p_after::bigint)
		     ORDER BY o.id DESC LIMIT least(greatest(coalesce(p_limit, 50), 1), 500) + 1;
END
$function$;
COMMENT ON FUNCTION crm.attach_list(text,bigint,text,integer) IS 'A page of the committed attachments of a record the acting user can see, newest first, keyset on the id (p_limit + 1 rows; NOT_FOUND when the record is not visible).';

-- Chunk p_idx of a committed attachment with the attachment's facts, every
-- column text but the data: crmd reads the row in binary format. An empty
-- file has chunk 0 with no data.
CREATE OR REPLACE FUNCTION crm.attach_read(p_id bigint, p_idx integer)
 RETURNS TABLE (id text, type text, record_id text, name text, content_type text, size text, sha256 text,
		chunk_size text, chunks text, created_by text, created_at text, index text, data bytea)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	o crm.attachment_out;
	d bytea := ''::bytea;
BEGIN
	SELECT * INTO o FROM crm.attachment_out x WHERE x.id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'attachment_id', 'attach.not_found', p_id::text);
	END IF;
	IF p_idx < 0 OR p_idx >= greatest(o.chunks, 1) THEN
		PERFORM crm.raise('CRI01', 'index', 'attach.index_range', p_id::text, p_idx::text,
				  (greatest(o.chunks, 1) - 1)::text);
	END IF;
	IF o.chunks > 0 THEN
		SELECT c.data INTO d FROM crm.attachment_chunks c WHERE c.attachment_id = p_id AND c.idx = p_idx;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'attachment % lacks chunk %', p_id, p_idx USING ERRCODE = 'XX000';
		END IF;
	END IF;
	RETURN QUERY SELECT o.id::text, o.type, o.record_id::text, o.name, o.content_type, o.size::text, o.sha256,
			    o.chunk_size::text, o.chunks::text, o.created_by, o.created_at::text, p_idx::text, d;
END
$function$;
COMMENT ON FUNCTION crm.attach_read(bigint,integer) IS 'One chunk of a committed attachment the acting user can see, with the attachment''s facts as text (NOT_FOUND otherwise).';

-- Deletes a committed attachment of a record the acting user may edit.
-- The DELETE itself must find the row: of two deletes at once, the second
-- waits for the first and then finds nothing, which is NOT_FOUND, not a
-- second success.
CREATE OR REPLACE FUNCTION crm.attach_delete(p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	a crm.attachments;
BEGIN
	SELECT * INTO a FROM crm.attachments x WHERE x.id = p_id AND x.committed_at IS NOT NULL;
	IF NOT FOUND OR crm.attach_target(a.record_type, a.record_id) IS NULL THEN
		PERFORM crm.raise('CRN01', 'attachment_id', 'attach.not_found', p_id::text);
	END IF;
	PERFORM crm.attach_parent_check(a.record_type, a.record_id);
	DELETE FROM crm.attachments x WHERE x.id = p_id AND x.committed_at IS NOT NULL;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'attachment_id', 'attach.not_found', p_id::text);
	END IF;
END
$function$;
COMMENT ON FUNCTION crm.attach_delete(bigint) IS 'Deletes a committed attachment (NOT_FOUND when the acting user cannot see it or it is already gone, the record''s refusal when they may not edit the record).';

-- ------------------------------------------------------------ audit, expiry

-- Audits an attachment as a change of its record, as side rows are
-- (crm.audit_side): {"attachment": {id, name, size, sha256, content_type}}
-- when it is committed and when it is deleted; who and when are the audit
-- row's. Never the bytes, and nothing of staged uploads.
CREATE OR REPLACE FUNCTION crm.attachment_audit()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	r crm.attachments := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	v jsonb := jsonb_build_object('attachment', jsonb_build_object(
		'id', r.id, 'name', r.name, 'size', r.size, 'sha256', encode(r.sha256, 'hex'),
		'content_type', r.content_type));
BEGIN
	IF TG_OP = 'DELETE' AND OLD.committed_at IS NOT NULL THEN
		PERFORM crm.audit_write(OLD.record_type, OLD.record_id, 'update', v, NULL);
	ELSIF TG_OP = 'UPDATE' AND OLD.committed_at IS NULL AND NEW.committed_at IS NOT NULL THEN
		PERFORM crm.audit_write(NEW.record_type, NEW.record_id, 'update', NULL, v);
	END IF;
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.attachment_audit() IS 'Trigger on crm.attachments: an update audit row of the record when an attachment is committed or deleted (name, size, SHA-256, content type; never the bytes).';

CREATE OR REPLACE TRIGGER audit AFTER UPDATE OF committed_at OR DELETE ON crm.attachments
	FOR EACH ROW EXECUTE FUNCTION crm.attachment_audit();

-- The attachment_expiry job (crm.job_perform, modules/92_events.sql):
-- deletes at most p_batch staged uploads past their expiry, with their
-- chunks, skipping those a request holds. Returns how many it deleted.
CREATE OR REPLACE FUNCTION crm.attachments_expire(p_batch integer)
 RETURNS bigint
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	WITH gone AS (
		DELETE FROM crm.attachments a
		WHERE a.id IN (SELECT x.id FROM crm.attachments x
			       WHERE x.committed_at IS NULL AND x.expires_at < now()
			       ORDER BY x.expires_at LIMIT p_batch FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*) FROM gone
$function$;
COMMENT ON FUNCTION crm.attachments_expire(integer) IS 'Deletes at most p_batch expired staged uploads (FOR UPDATE SKIP LOCKED); returns the count. The attachment_expiry job.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.check_content_type(text,text),
	crm.check_sha256(text,text),
	crm.attach_scope(text,crm.records),
	crm.attach_target(text,bigint),
	crm.attach_parent_check(text,bigint),
	crm.attach_limit(bigint),
	crm.attach_staged(bigint),
	crm.attach_begin(text,bigint,text,text,bigint,text,bigint,integer,interval),
	crm.attach_chunk(bigint,integer,bytea,text,bigint,interval),
	crm.attach_commit(bigint,text),
	crm.attach_abort(bigint),
	crm.attach_list(text,bigint,text,integer),
	crm.attach_read(bigint,integer),
	crm.attach_delete(bigint),
	crm.attachment_audit(),
	crm.attachments_expire(integer)
FROM PUBLIC, crm_app, crm_auth;
-- crm_app calls the requests' functions only; the helpers run inside the
-- definer functions, as the owner.
GRANT EXECUTE ON FUNCTION
	crm.attach_begin(text,bigint,text,text,bigint,text,bigint,integer,interval),
	crm.attach_chunk(bigint,integer,bytea,text,bigint,interval),
	crm.attach_commit(bigint,text),
	crm.attach_abort(bigint),
	crm.attach_list(text,bigint,text,integer),
	crm.attach_read(bigint,integer),
	crm.attach_delete(bigint)
TO crm_app;
GRANT SELECT ON crm.attachment_out TO crm_app;
