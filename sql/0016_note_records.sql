-- 0016_note_records: notes become an ordinary record type (issue 11,
-- "Record types as data"): the generic record requests serve them
-- (record_create, record_get, record_update, record_list, ...), with a
-- view made by crm.create_record_view and a save function, crm.note_save
-- (both in modules/80_notes.sql), like accounts and contacts.
--
-- * crm.record_types' row for note gains its view, save function, display
--   name and default sort; crm.refresh_dispatch() (modules/50_records.sql,
--   whose header changes with this) then generates the note branches.
-- * crm.standard_fields gains the note's fields, with the facts of the
--   field options of NoteRecord in proto/crm.proto (crm_field_facts.sql).
-- * The note's body is 1 to 4096 characters (it was 4096 bytes).
-- * Notes get the trigger crm.touch_record as the other business tables:
--   every update bumps the version.
-- * The view crm.note_out becomes the record view ({"note": {...}}).
-- * The note requests (note_create, note_get, note_list, note_update,
--   note_delete, note_restore, note_reassign, note_share) are retired:
--   their functions, which returned the old view's rows, are dropped.

-- ------------------------------------------------------------ the old requests

DROP FUNCTION crm.note_set_deleted(bigint, boolean);
DROP FUNCTION crm.note_reassign(bigint, text, text);
DROP FUNCTION crm.note_share(bigint, text, text, text, boolean);
DROP FUNCTION crm.note_create(text);
DROP FUNCTION crm.note_update(bigint, bigint, text);
DROP FUNCTION crm.note_refuse(bigint, bigint, text);
DROP VIEW crm.note_out;

-- ------------------------------------------------------------ the table

ALTER TABLE crm.notes DROP CONSTRAINT notes_body_length;
ALTER TABLE crm.notes ADD CONSTRAINT notes_body_length CHECK (length(body) BETWEEN 1 AND 4096);
COMMENT ON CONSTRAINT notes_body_length ON crm.notes IS 'A note''s text is 1 to 4096 characters.';

CREATE TRIGGER touch_record BEFORE UPDATE ON crm.notes
	FOR EACH ROW EXECUTE FUNCTION crm.touch_record();

-- ------------------------------------------------------------ the registry

UPDATE crm.record_types SET view_name = 'crm.note_out', save_function = 'crm.note_save',
	name_expr = 'left(r.body, 60)', default_sort = 'created_at', searchable = '{body}',
	label = 'Note', plural_label = 'Notes'
WHERE name = 'note';

INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
SELECT 'note', f.name, f.label, f.kind, f.col, f.sort_expr, f.nullable, row_number() OVER ()
FROM (VALUES
	('id', 'Id', 'ref', 'r.id', NULL, false),
	('body', 'Text', 'none', NULL, NULL, false),
	('tags', 'Tags', 'tags', NULL, NULL, true),
	('owner', 'Owner', 'user', 'r.owner_id', NULL, false),
	('team', 'Team', 'team', 'r.team_id', NULL, true),
	('created_at', 'Created', 'instant', 'r.created_at', 'r.created_at', false),
	('updated_at', 'Updated', 'instant', 'r.updated_at', 'r.updated_at', false),
	('external_id', 'External id', 'text', 'r.external_id', NULL, true)
) AS f(name, label, kind, col, sort_expr, nullable);

-- the facts, as build/proto/crm_field_facts.sql states them for note
UPDATE crm.standard_fields s
SET label = v.label, cli_option = v.cli_option, help = v.help, max_length = v.max_length,
    multi_line = v.multi_line, ref_type = v.ref_type, read_only = v.read_only,
    personal = v.personal
FROM (VALUES
	('note', 'body', 'Text', 'body', 'The note''s text (1-4096 characters, several lines allowed)', 4096, true, NULL, false, true),
	('note', 'id', 'Id', NULL, 'The record''s id (the same sequence for every type)', NULL, false, NULL, true, false),
	('note', 'owner', 'Owner', NULL, 'The user who owns the record (reassign changes it)', NULL, false, NULL, true, false),
	('note', 'team', 'Team', NULL, 'The team the record belongs to (with its owner)', NULL, false, NULL, true, false),
	('note', 'created_at', 'Created', NULL, 'When the record was created', NULL, false, NULL, true, false),
	('note', 'updated_at', 'Updated', NULL, 'When the record last changed', NULL, false, NULL, true, false),
	('note', 'tags', 'Tags', 'tag', 'Tags (each 1-64 characters); the ones given replace the record''s', 64, false, NULL, false, true),
	('note', 'external_id', 'External id', 'external-id', 'The record''s key in another system (1-255 characters, unique per type; imports match on it)', 255, false, NULL, false, false)
) AS v(record_type, name, label, cli_option, help, max_length, multi_line, ref_type, read_only, personal)
WHERE s.record_type = v.record_type AND s.name = v.name;
