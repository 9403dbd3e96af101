-- 0019_shared_ids_one_reader: one reader of the shares granted to the
-- acting user (issue 11, a duplicate left over). crm.context_shared(type,
-- edit) reads every type's shares when the type is NULL, and crm.shared_any
-- (modules/10_context.sql, changed with this) calls it so; its copy,
-- crm.context_shared_any(edit), goes (IF EXISTS: on a fresh database the
-- modules, which made it, have not run yet).
--
-- Between this file's commit and the modules' (one crmd migrate, a moment
-- apart), crm.shared_any still names the function dropped here: a request
-- an instance serves in that moment that reads crm.records or the audit
-- trail fails; the same request a moment later succeeds.

DROP FUNCTION IF EXISTS crm.context_shared_any(boolean);
