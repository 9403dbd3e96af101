-- 0025_role_scopes: the permission matrix compiled per role and action.
--
-- Policies that test records of several types at once (crm.records, and
-- through it every side table) read the acting user's scopes of an action
-- for every type once per statement (crm.action_scopes), and side tables
-- skip the per-row test when every business type's scope is all
-- (crm.scope_all_types). Both were computed from crm.permissions on every
-- call: a scan of the role's rows for all types (about seven per type) and
-- a query over crm.record_types planned again on every statement, so a get
-- cost more with every registered type (docs/benchmarks.md, section 10).
--
-- crm.role_scopes holds the result, one row per role and action, kept in
-- step with crm.permissions and crm.record_types by statement triggers
-- (modules/10_context.sql): each lookup is one primary-key probe whatever
-- the number of types. Only crm_owner's definer functions read or write it
-- (its policy, owner_all, is in the module).

CREATE TABLE crm.role_scopes (
	role text NOT NULL,
	action text NOT NULL,
	scopes jsonb NOT NULL,
	all_types boolean NOT NULL,
	PRIMARY KEY (role, action)
);
COMMENT ON TABLE crm.role_scopes IS
	'The permission matrix compiled per role and action, rewritten by triggers whenever crm.permissions or '
	'crm.record_types change (crm.refresh_role_scopes): what crm.action_scopes and crm.scope_all_types return. '
	'A role and action without a row have no scope on any type.';
COMMENT ON COLUMN crm.role_scopes.role IS 'The role (crm.roles).';
COMMENT ON COLUMN crm.role_scopes.action IS 'The action (crm.permissions.action).';
COMMENT ON COLUMN crm.role_scopes.scopes IS 'The role''s scope of the action for every record type it has a cell for, as {"type": scope}.';
COMMENT ON COLUMN crm.role_scopes.all_types IS 'Whether the scope is all for every business type (crm.record_types with a table).';
ALTER TABLE crm.role_scopes ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.role_scopes FORCE ROW LEVEL SECURITY;
REVOKE ALL ON crm.role_scopes FROM PUBLIC;
