-- 0014_record_meta: metadata for clients (issue 11, "Metadata for
-- clients"): each record type's labels, and the facts about each standard
-- field a client needs to build its views (crm field list, FieldDef in
-- proto/crm.proto), stored once in crm.standard_fields.

-- ------------------------------------------------------------ record types

ALTER TABLE crm.record_types
	ADD COLUMN label text CONSTRAINT record_types_label_length CHECK (length(label) BETWEEN 1 AND 64),
	ADD COLUMN plural_label text CONSTRAINT record_types_plural_label_length CHECK (length(plural_label) BETWEEN 1 AND 64);
COMMENT ON COLUMN crm.record_types.label IS
	'The type''s name shown to users, singular ("Account"); NULL: the name with a capital.';
COMMENT ON COLUMN crm.record_types.plural_label IS
	'The type''s name shown to users, plural ("Accounts"); NULL: the label with an s.';

UPDATE crm.record_types t SET label = v.label, plural_label = v.plural
FROM (VALUES
	('account', 'Account', 'Accounts'),
	('contact', 'Contact', 'Contacts'),
	('note', 'Note', 'Notes'),
	('user', 'User', 'Users'),
	('team', 'Team', 'Teams'),
	('permission', 'Permission', 'Permissions'),
	('session', 'Session', 'Sessions'),
	('audit', 'Audit entry', 'Audit entries'),
	('relation', 'Relationship', 'Relationships'),
	('field', 'Field', 'Fields')
) AS v(name, label, plural)
WHERE t.name = v.name;

-- ------------------------------------------------------------ standard fields

ALTER TABLE crm.standard_fields
	ADD COLUMN cli_option text CONSTRAINT standard_fields_cli_option_format CHECK (cli_option ~ '^[a-z][a-z0-9-]{0,39}$'),
	ADD COLUMN help text NOT NULL DEFAULT '',
	ADD COLUMN max_length integer CONSTRAINT standard_fields_max_length_range CHECK (max_length BETWEEN 1 AND 1048576),
	ADD COLUMN multi_line boolean NOT NULL DEFAULT false,
	ADD COLUMN ref_type text CONSTRAINT standard_fields_ref_type_fkey REFERENCES crm.record_types,
	ADD COLUMN read_only boolean NOT NULL DEFAULT false,
	ADD COLUMN personal boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN crm.standard_fields.cli_option IS
	'The crm option that sets the field on add and edit, without "--" ("legal-name"); NULL when no single option sets it.';
COMMENT ON COLUMN crm.standard_fields.help IS 'One line of help for people: what the field holds and what it accepts.';
COMMENT ON COLUMN crm.standard_fields.max_length IS 'Text fields: the most characters a value may have; NULL for other fields.';
COMMENT ON COLUMN crm.standard_fields.multi_line IS 'Whether a text value may hold several lines (an editor shows a text area).';
COMMENT ON COLUMN crm.standard_fields.ref_type IS 'For a field holding a record id (parent_id, account_id): the type of the record it names.';
COMMENT ON COLUMN crm.standard_fields.read_only IS 'Set by the server (ids, owners, times, derived names); ignored when a client sends it.';
COMMENT ON COLUMN crm.standard_fields.personal IS 'Whether the field holds personal data (a purge redacts it in the record''s audit history).';

UPDATE crm.standard_fields s
SET cli_option = v.opt, help = v.help, max_length = v.maxlen, multi_line = v.ml,
    ref_type = v.ref, read_only = v.ro, personal = v.pers
FROM (VALUES
	('account', 'id', NULL, 'The record''s id (the same sequence for every type)', NULL, false, NULL, true, false),
	('account', 'name', 'name', 'The account''s name (1-255 characters)', 255, false, NULL, false, true),
	('account', 'legal_name', 'legal-name', 'The registered name', 255, false, NULL, false, true),
	('account', 'type', 'type', 'prospect (the default), customer, partner, competitor or other', NULL, false, NULL, false, false),
	('account', 'individual', 'individual', 'A person rather than a company', NULL, false, NULL, false, false),
	('account', 'industry', 'industry', 'A value of the pick list industry', NULL, false, NULL, false, false),
	('account', 'region', 'region', 'A value of the pick list region', NULL, false, NULL, false, false),
	('account', 'tier', 'tier', 'A value of the pick list tier', NULL, false, NULL, false, false),
	('account', 'website', 'website', 'The web site''s address', 2048, false, NULL, false, true),
	('account', 'phone', 'phone', 'The main phone number, as written', 64, false, NULL, false, true),
	('account', 'billing_address', NULL, 'The billing address: street, city, region, postal code, country (--billing-street ... --billing-country)', NULL, false, NULL, false, true),
	('account', 'country', 'billing-country', 'The billing address''s country: an ISO 3166 code (DE)', 2, false, NULL, false, false),
	('account', 'shipping_address', NULL, 'The shipping address, as the billing address (--shipping-street ... --shipping-country)', NULL, false, NULL, false, true),
	('account', 'parent_id', 'parent', 'The parent account''s id (no cycles)', NULL, false, 'account', false, false),
	('account', 'annual_revenue', 'annual-revenue', 'An amount and a currency, e.g. 1250000 EUR: a point before the decimals, no thousands separators', NULL, false, NULL, false, false),
	('account', 'employees', 'employees', 'The number of employees (0-100000000)', NULL, false, NULL, false, false),
	('account', 'description', 'description', 'Free text, several lines allowed', 32768, true, NULL, false, true),
	('account', 'tags', 'tag', 'Tags (each 1-64 characters); the ones given replace the record''s', 64, false, NULL, false, true),
	('account', 'owner', NULL, 'The user who owns the record (reassign changes it)', NULL, false, NULL, true, false),
	('account', 'team', NULL, 'The team the record belongs to (with its owner)', NULL, false, NULL, true, false),
	('account', 'created_at', NULL, 'When the record was created', NULL, false, NULL, true, false),
	('account', 'updated_at', NULL, 'When the record last changed', NULL, false, NULL, true, false),
	('contact', 'id', NULL, 'The record''s id (the same sequence for every type)', NULL, false, NULL, true, false),
	('contact', 'display_name', NULL, 'The name as shown: given and family name in the name order', NULL, false, NULL, true, true),
	('contact', 'given_name', 'given-name', 'The given name (1-255 characters; this or the family name is required)', 255, false, NULL, false, true),
	('contact', 'family_name', 'family-name', 'The family name (1-255 characters; this or the given name is required)', 255, false, NULL, false, true),
	('contact', 'name_order', 'name-order', 'western or eastern (default: eastern for Han, Kana or Hangul names)', NULL, false, NULL, false, false),
	('contact', 'title', 'title', 'The job title', 255, false, NULL, false, true),
	('contact', 'email', 'email', 'E-mail addresses, each [KIND:]ADDRESS with KIND work (the default), home or other; the ones given replace the contact''s', 254, false, NULL, false, true),
	('contact', 'phone', 'phone', 'Phone numbers, each [KIND:]NUMBER with KIND work (the default), mobile, home, fax or other; the ones given replace the contact''s', 64, false, NULL, false, true),
	('contact', 'birthday', 'birthday', 'YYYY-MM-DD, or MM-DD when the year is unknown', NULL, false, NULL, false, true),
	('contact', 'preferred_channel', 'preferred-channel', 'email, phone, sms, mail or in_person', NULL, false, NULL, false, false),
	('contact', 'do_not_contact', 'do-not-contact', 'The contact does not want to be contacted', NULL, false, NULL, false, false),
	('contact', 'marketing_opt_out', 'marketing-opt-out', 'The contact wants no marketing', NULL, false, NULL, false, false),
	('contact', 'preferences', 'pref', 'Communication preferences, each KEY=VALUE; the ones given replace the contact''s', 1024, false, NULL, false, true),
	('contact', 'account_id', 'account', 'The primary account''s id (links the contact to it)', NULL, false, 'account', false, false),
	('contact', 'description', 'description', 'Free text, several lines allowed', 32768, true, NULL, false, true),
	('contact', 'tags', 'tag', 'Tags (each 1-64 characters); the ones given replace the record''s', 64, false, NULL, false, true),
	('contact', 'owner', NULL, 'The user who owns the record (reassign changes it)', NULL, false, NULL, true, false),
	('contact', 'team', NULL, 'The team the record belongs to (with its owner)', NULL, false, NULL, true, false),
	('contact', 'created_at', NULL, 'When the record was created', NULL, false, NULL, true, false),
	('contact', 'updated_at', NULL, 'When the record last changed', NULL, false, NULL, true, false)
) AS v(record_type, name, opt, help, maxlen, ml, ref, ro, pers)
WHERE s.record_type = v.record_type AND s.name = v.name;

-- ------------------------------------------------------------ external ids
-- Every record type's shared fields (RecordMeta in proto/crm.proto) gain
-- external_id: the record's key in another system, unique per type when
-- set, which imports match on. A column on each business table, a partial
-- unique index (rows without one cost nothing), and a standard field so
-- that lists filter on it.

ALTER TABLE crm.accounts ADD COLUMN external_id text
	CONSTRAINT accounts_external_id_length CHECK (length(external_id) BETWEEN 1 AND 255);
COMMENT ON COLUMN crm.accounts.external_id IS
	'The account''s key in another system (1 to 255 characters), unique among accounts when set; imports match on it.';
CREATE UNIQUE INDEX accounts_external_id_key ON crm.accounts (external_id) WHERE external_id IS NOT NULL;
COMMENT ON INDEX crm.accounts_external_id_key IS 'One account per external id; equality filters on external_id.';

ALTER TABLE crm.contacts ADD COLUMN external_id text
	CONSTRAINT contacts_external_id_length CHECK (length(external_id) BETWEEN 1 AND 255);
COMMENT ON COLUMN crm.contacts.external_id IS
	'The contact''s key in another system (1 to 255 characters), unique among contacts when set; imports match on it.';
CREATE UNIQUE INDEX contacts_external_id_key ON crm.contacts (external_id) WHERE external_id IS NOT NULL;
COMMENT ON INDEX crm.contacts_external_id_key IS 'One contact per external id; equality filters on external_id.';

ALTER TABLE crm.notes ADD COLUMN external_id text
	CONSTRAINT notes_external_id_length CHECK (length(external_id) BETWEEN 1 AND 255);
COMMENT ON COLUMN crm.notes.external_id IS
	'The note''s key in another system (1 to 255 characters), unique among notes when set; imports match on it.';
CREATE UNIQUE INDEX notes_external_id_key ON crm.notes (external_id) WHERE external_id IS NOT NULL;
COMMENT ON INDEX crm.notes_external_id_key IS 'One note per external id.';

INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position,
				 cli_option, help, max_length)
SELECT t, 'external_id', 'External id', 'text', 'r.external_id', NULL, true,
       (SELECT max(position) + 1 FROM crm.standard_fields WHERE record_type = t),
       'external-id', 'The record''s key in another system (1-255 characters, unique per type; imports match on it)', 255
FROM unnest(ARRAY['account', 'contact']) AS t;

-- The record views crm.account_out and crm.contact_out gain external_id
-- and are now created by modules/50_records.sql (crm.create_record_view,
-- called there for each type), which runs after this: drop the ones 0004
-- made (their SELECT r.* cannot take a new column in place).
DROP VIEW crm.account_out;
DROP VIEW crm.contact_out;
