-- 0020_note_newest_first: note lists are newest first again when they name
-- no sort. Issue 11 moved notes onto the generic record requests with "no
-- user-visible behaviour changes", but crm.record_types.default_sort could
-- only name a field, ascending, so `crm note list` turned oldest first
-- (the retired note_list read newest first).
--
-- * default_sort may say a direction, spelled as `crm ... list --sort`
--   takes it: "-created_at" is created_at descending, id descending
--   breaking ties. crm.record_list_sql (modules/50_records.sql, changed
--   with this) reads it.
-- * note's default sort becomes "-created_at"; notes_created_idx (0019),
--   read backwards, serves it and its keyset pages.
--
-- Between this file's commit and the modules' (one crmd migrate, a moment
-- apart), the previous crm.record_list_sql reads "-created_at" as a field
-- name: a note list naming no sort that an instance serves in that moment
-- fails (INVALID_ARGUMENT on "sort"); the same request a moment later
-- succeeds. Accounts and contacts are not affected.

ALTER TABLE crm.record_types ADD CONSTRAINT record_types_default_sort_format
	CHECK (default_sort ~ '^-?[a-z][a-z0-9_]{0,62}$');
COMMENT ON CONSTRAINT record_types_default_sort_format ON crm.record_types IS
	'A default sort is a standard field''s name, with a leading "-" for descending.';
COMMENT ON COLUMN crm.record_types.default_sort IS
	'The standard field (crm.standard_fields.name) a list sorts by when it names none, ascending, '
	'or descending with a leading "-" ("-created_at"), as --sort spells it; id breaks ties in the '
	'same direction.';

UPDATE crm.record_types SET default_sort = '-created_at' WHERE name = 'note';
