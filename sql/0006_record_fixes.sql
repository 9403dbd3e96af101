-- 0006_record_fixes: what a new user hit with records (issue 10, part 4).
--
-- * Edits change only what was asked: a part of an address changes only
--   that part (clear takes billing_address.city too); an edit that changes
--   nothing writes nothing (no version, no updated_at, no audit row); tags,
--   e-mail addresses and phone numbers can be added and removed one by one
--   and the primary changed without retyping the rest.
-- * Reassigning an account can take its contacts along; the reply says how
--   many contacts stayed with whom otherwise.
-- * Input hygiene: single-line text is trimmed and may not hold tabs, line
--   breaks, control characters, bidirectional controls or non-characters;
--   multi-line text (descriptions, streets, notes) keeps line breaks. Pick-
--   list values are unique ignoring case and surrounding space and a
--   record's value is stored in the list's spelling; country and currency
--   codes are taken in any case.
-- * Errors say what is wrong and what is accepted (versions, money without a
--   currency, parent on itself, a contact without a name, refused
--   reassigns, deleting a deleted record).
-- * Empty values sort last in both directions.
-- * team_delete and picklist_move.
--
-- Functions, views, policies and the grants on functions that this
-- migration introduced or replaced are in sql/modules/ (sql/README.md):
-- what stays here is tables, indexes, roles, privileges on tables and
-- data.

-- ------------------------------------------------------------ teams

GRANT DELETE ON crm.teams TO crm_app;

-- ------------------------------------------------------------ sorting: empty values last

-- Descending sorts on a field that may be empty use the key
-- "x IS NOT NULL" (see crm.record_list_sql); these serve them.
CREATE INDEX accounts_revenue_desc_idx ON crm.accounts ((annual_revenue_key IS NOT NULL), (CASE WHEN annual_revenue_key IS NULL THEN 0 ELSE annual_revenue_key END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX accounts_employees_desc_idx ON crm.accounts ((employees IS NOT NULL), (CASE WHEN employees IS NULL THEN 0 ELSE employees END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX contacts_family_desc_idx ON crm.contacts ((family_name IS NOT NULL), (CASE WHEN family_name IS NULL THEN '' ELSE family_name END) COLLATE crm.names, id)
	WHERE deleted_at IS NULL;
COMMENT ON COLUMN crm.standard_fields.sort_expr IS
	'The sort key: one expression, or for a field that may be empty '
	'"x IS NULL|CASE WHEN x IS NULL THEN c ELSE x END": two keys that put empty values last '
	'in both directions (descending, crm.record_list_sql uses "x IS NOT NULL" as the first key) '
	'and never compare NULL, so a keyset condition stays one row comparison an index serves. '
	'CASE, not coalesce: PostgreSQL treats COALESCE as possibly leaky under row-level security, '
	'CASE and IS NULL as safe.';

-- ------------------------------------------------------------ what the catalog says

-- (crm.audit_row cannot audit crm.roles, whose key is name, not id; a
-- migration's wording fix needs no audit row.)
ALTER TABLE crm.roles DISABLE TRIGGER audit;
UPDATE crm.roles SET description = CASE name
	WHEN 'sales' THEN 'Works own accounts, contacts and notes'
	WHEN 'support' THEN 'Reads the team''s accounts, contacts and notes; works own ones'
	WHEN 'marketing' THEN 'Reads and exports the team''s accounts, contacts and notes; works own ones'
	ELSE description END
WHERE name IN ('sales', 'support', 'marketing');
ALTER TABLE crm.roles ENABLE TRIGGER audit;

COMMENT ON SCHEMA crm IS
	'Application data of crmd: users, teams, roles and permissions, sessions, the audit trail, '
	'and the business records (notes, accounts, contacts, their relations, custom fields and '
	'pick lists). Written only through crmd (role crm_app).';
