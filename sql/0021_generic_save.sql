-- 0021_generic_save: a type's save function validates and writes only its
-- own columns (issue 11, "Record types as data"). What every type's save
-- did alike moves into the generic path, the generated crm.record_save
-- (modules/50_records.sql, changed with this): the check of the fields to
-- clear, crm.check_external_id, the update scope with the version and
-- deleted_at tests (crm.record_refuse when they fail), the tags, the custom
-- values and the record's JSON from its view.
--
-- * crm.record_types gains clearable: the type's own fields a record
--   update may clear, so that the generic path checks the clear list from
--   the registry.
-- * The save functions change signature, (p_id, d, clr) returning the
--   record's id instead of (p_id, p_version, d, clr) returning its JSON:
--   the old ones are dropped here and modules/50_records.sql and
--   80_notes.sql create the new ones.
--
-- Between this file's commit and the modules' (one crmd migrate, a moment
-- apart), the previous crm.record_save calls a save function that no
-- longer exists: a record create or update an instance serves in that
-- moment fails; the same request a moment later succeeds.

ALTER TABLE crm.record_types ADD COLUMN clearable text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN crm.record_types.clearable IS
	'The type''s own fields a record update may clear (RecordUpdate.clear), a part of a field as '
	'field.part (billing_address.city); tags, external_id and custom.NAME may be cleared for every '
	'type. crm.record_save refuses any other.';
COMMENT ON COLUMN crm.record_types.save_function IS
	'The function (p_id bigint, d jsonb, clr text[]) RETURNS bigint that validates and writes the '
	'type''s own columns from its JSON d, clearing clr: INSERT when p_id is NULL, else UPDATE of '
	'the row crm.record_save has checked (update scope, version, not deleted) and locked; returns '
	'the record''s id. Set exactly for the types the generic record requests (record_create, '
	'record_get, record_update, record_list, ...) serve.';

UPDATE crm.record_types SET clearable = '{legal_name,industry,region,tier,website,phone,'
	'billing_address,billing_address.street,billing_address.city,billing_address.region,'
	'billing_address.postal_code,billing_address.country,'
	'shipping_address,shipping_address.street,shipping_address.city,shipping_address.region,'
	'shipping_address.postal_code,shipping_address.country,'
	'parent_id,annual_revenue,employees,description}'
WHERE name = 'account';
UPDATE crm.record_types SET clearable = '{given_name,family_name,title,emails,phones,birthday,'
	'preferred_channel,preferences,account_id,description}'
WHERE name = 'contact';

-- IF EXISTS: on a fresh database the modules, which made them, have not
-- run yet.
DROP FUNCTION IF EXISTS crm.account_save(bigint, bigint, jsonb, text[]);
DROP FUNCTION IF EXISTS crm.contact_save(bigint, bigint, jsonb, text[]);
DROP FUNCTION IF EXISTS crm.note_save(bigint, bigint, jsonb, text[]);
