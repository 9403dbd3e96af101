-- 0023_note_id_comment: the comment on crm.notes.id still named the
-- note_id of the requests 0016 retired; notes are ordinary records, whose
-- id every client shows as "id" (RecordMeta.id). The reporting view's
-- column takes its comment from here (crm.refresh_reporting).

COMMENT ON COLUMN crm.notes.id IS 'Identity of the note (crm.records.id); the id clients see.';
