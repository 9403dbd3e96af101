-- 0019_shares_reader_note_sort: issue 11's leftovers.
--
-- * One reader of the shares granted to the acting user:
--   crm.context_shared(type, edit) reads every type's shares when the type
--   is NULL, and crm.shared_any (modules/10_context.sql, changed with this)
--   calls it so; its copy, crm.context_shared_any(edit), goes (IF EXISTS: on
--   a fresh database the modules, which made it, have not run yet).
--   Between this file's commit and the modules' (one crmd migrate, a moment
--   apart), crm.shared_any still names the function dropped here: a request
--   an instance serves in that moment that reads crm.records or the audit
--   trail fails; the same request a moment later succeeds.
-- * Notes sort by created_at (their default) and updated_at with an index
--   serving each, in both directions, as accounts and contacts do (lists
--   sort on indexed fields only: docs/data.md, "Lists").

DROP FUNCTION IF EXISTS crm.context_shared_any(boolean);

CREATE INDEX notes_created_idx ON crm.notes (created_at, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX crm.notes_created_idx IS 'Note lists sorted by created_at (the default) and their keyset pages.';
CREATE INDEX notes_updated_idx ON crm.notes (updated_at, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX crm.notes_updated_idx IS 'Note lists sorted by updated_at and their keyset pages.';
