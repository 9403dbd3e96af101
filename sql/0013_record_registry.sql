-- 0013_record_registry: record types as data (issue 11, "A registry" and
-- "RLS cost independent of the number of types").
--
-- * crm.record_types gains the facts of each business type that the
--   dispatchers (crm.record_get, record_create, record_update,
--   record_name, business_table, record_editable, ...) used to spell out
--   one branch per type: its view, its save function, its display-name
--   expression, its default sort, and the fields later issues search and
--   merge. crm.refresh_dispatch() (sql/modules/50_records.sql) generates
--   those functions from these rows, as static SQL, when the module runs.
-- * crm.relation_kinds replaces the CHECK relations_to_type_pair: which
--   types may be related, from which to which, with which pick list of
--   roles, and whether such a relation may be primary.
-- * crm.records carries each record's owner, team and deleted_at (kept in
--   step by the triggers crm.register_record and crm.sync_record), so
--   that side tables (tags, custom values, relations) check the one
--   record a row belongs to, not one policy arm per type.
--
-- Functions and policies are in the modules (sql/README.md); a change to
-- the rows read here comes with a change to 50_records.sql.

-- ------------------------------------------------------------ the registry

ALTER TABLE crm.record_types
	ADD COLUMN view_name text
		CONSTRAINT record_types_view_name_format CHECK (view_name ~ '^crm\.[a-z][a-z0-9_]{0,62}$'),
	ADD COLUMN save_function text
		CONSTRAINT record_types_save_function_format CHECK (save_function ~ '^crm\.[a-z][a-z0-9_]{0,62}$'),
	ADD COLUMN name_expr text,
	ADD COLUMN default_sort text,
	ADD COLUMN searchable text[] NOT NULL DEFAULT '{}',
	ADD COLUMN mergeable text[] NOT NULL DEFAULT '{}',
	ADD CONSTRAINT record_types_table_name_format CHECK (table_name ~ '^crm\.[a-z][a-z0-9_]{0,62}$'),
	ADD CONSTRAINT record_types_save_function_check
		CHECK (save_function IS NULL OR (table_name IS NOT NULL AND view_name IS NOT NULL
						 AND name_expr IS NOT NULL AND default_sort IS NOT NULL));
COMMENT ON TABLE crm.record_types IS
	'Record types: those the permission matrix covers, and for business types (table_name set) '
	'the facts the generated dispatchers (crm.refresh_dispatch) and the side tables'' row-level '
	'security are made from. Written only by migrations.';
COMMENT ON COLUMN crm.record_types.view_name IS
	'The view crm.<type>_out whose column json is the record as the protocol has it '
	'({"<type>": {...}}); set for the types the generic record requests serve.';
COMMENT ON COLUMN crm.record_types.save_function IS
	'The function (p_id bigint, p_version bigint, d jsonb, clr text[]) RETURNS jsonb that creates '
	'(p_id NULL) or updates a record from its JSON; set exactly for the types the generic record '
	'requests (record_create, record_get, record_update, record_list, ...) serve.';
COMMENT ON COLUMN crm.record_types.name_expr IS
	'SQL expression over the type''s row r giving the record''s display name (relations, the '
	'audit trail, searches).';
COMMENT ON COLUMN crm.record_types.default_sort IS
	'The standard field (crm.standard_fields.name) a list sorts by when it names none.';
COMMENT ON COLUMN crm.record_types.searchable IS
	'Standard fields a search matches (for the search issue; may be empty).';
COMMENT ON COLUMN crm.record_types.mergeable IS
	'Standard fields a merge of duplicates chooses between (for the merge issue; may be empty).';

UPDATE crm.record_types SET view_name = 'crm.account_out', save_function = 'crm.account_save',
	name_expr = 'r.name', default_sort = 'name', searchable = '{name,legal_name,website,phone}'
WHERE name = 'account';
UPDATE crm.record_types SET view_name = 'crm.contact_out', save_function = 'crm.contact_save',
	name_expr = 'r.display_name', default_sort = 'display_name',
	searchable = '{display_name,title,emails,phones}'
WHERE name = 'contact';
-- Notes are not served by the generic record requests yet (their own
-- requests and view, modules/80_notes.sql).
UPDATE crm.record_types SET name_expr = 'left(r.body, 80)' WHERE name = 'note';

-- ------------------------------------------------------------ relation kinds

CREATE TABLE crm.relation_kinds (
	from_type text NOT NULL REFERENCES crm.record_types,
	to_type text NOT NULL REFERENCES crm.record_types,
	picklist text NOT NULL REFERENCES crm.picklists ON UPDATE CASCADE,
	primary_allowed boolean NOT NULL DEFAULT false,
	description text NOT NULL DEFAULT '',
	PRIMARY KEY (from_type, to_type)
);
COMMENT ON TABLE crm.relation_kinds IS
	'Which records may be related, from which type to which: a relation of another pair is '
	'refused (crm.relation_add, and the foreign key relations_from_type_to_type_fkey). Written '
	'only by migrations.';
COMMENT ON COLUMN crm.relation_kinds.from_type IS 'The type of the record a relation goes from (its editor may change the relation).';
COMMENT ON COLUMN crm.relation_kinds.to_type IS 'The type of the record a relation goes to.';
COMMENT ON COLUMN crm.relation_kinds.picklist IS 'The pick list the relation''s role is a value of (relation.<from>.<to>).';
COMMENT ON COLUMN crm.relation_kinds.primary_allowed IS
	'Whether one relation of this kind per from record may be primary (a contact''s primary '
	'account, mirrored in contacts.account_id).';
COMMENT ON COLUMN crm.relation_kinds.description IS 'What relations of this kind are, for people.';

INSERT INTO crm.relation_kinds (from_type, to_type, picklist, primary_allowed, description) VALUES
	('contact', 'account', 'relation.contact.account', true, 'A contact''s role at an account'),
	('contact', 'contact', 'relation.contact.contact', false, 'How a contact is related to another'),
	('account', 'account', 'relation.account.account', false, 'How an account is related to another');
GRANT SELECT ON crm.relation_kinds TO crm_app;

ALTER TABLE crm.relations DROP CONSTRAINT relations_to_type_pair;
ALTER TABLE crm.relations ADD CONSTRAINT relations_from_type_to_type_fkey
	FOREIGN KEY (from_type, to_type) REFERENCES crm.relation_kinds;

-- ------------------------------------------------------------ owner, team and deleted_at in the registry

ALTER TABLE crm.records
	ADD COLUMN owner_id bigint REFERENCES crm.users ON DELETE SET NULL,
	ADD COLUMN team_id bigint REFERENCES crm.teams ON DELETE SET NULL,
	ADD COLUMN deleted_at timestamptz;
COMMENT ON COLUMN crm.records.owner_id IS
	'The record''s owner, as its business table has it (kept in step by the triggers '
	'register_record and sync_record): side tables'' row-level security tests it.';
COMMENT ON COLUMN crm.records.team_id IS
	'The record''s team, as its business table has it (kept in step like owner_id).';
COMMENT ON COLUMN crm.records.deleted_at IS
	'When the record was soft-deleted, as its business table has it (kept in step like owner_id).';

UPDATE crm.records r SET owner_id = x.owner_id, team_id = x.team_id, deleted_at = x.deleted_at
FROM crm.accounts x WHERE x.id = r.id;
UPDATE crm.records r SET owner_id = x.owner_id, team_id = x.team_id, deleted_at = x.deleted_at
FROM crm.contacts x WHERE x.id = r.id;
UPDATE crm.records r SET owner_id = x.owner_id, team_id = x.team_id, deleted_at = x.deleted_at
FROM crm.notes x WHERE x.id = r.id;

CREATE INDEX records_owner_idx ON crm.records (owner_id, id);
CREATE INDEX records_team_idx ON crm.records (team_id, id);
COMMENT ON INDEX crm.records_owner_idx IS 'Records by owner (reassigning, deleting a user''s records; scoped reads).';
COMMENT ON INDEX crm.records_team_idx IS 'Records by team (team_delete''s count; scoped reads).';
