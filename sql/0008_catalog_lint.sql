-- The catalog lint (tests/integration/test_catalog_lint.py, docs/data.md
-- "Catalog rules"): comments on every table, view and column that had none,
-- and constraint names of the form <table>_<column>_<rule>, the form
-- server/db.c reads a CHECK violation's field from. DDL only.

-- ------------------------------------------------------------ constraint names

-- db.c names the field of a CHECK violation by the part of the constraint's
-- name between "<table>_" and the last "_": before these renames a violation
-- named no field (permissions_action) or a field that does not exist
-- (shares_one_target: "one").

ALTER TABLE crm.login_throttle RENAME CONSTRAINT login_throttle_kind TO login_throttle_kind_check;
ALTER TABLE crm.notes RENAME CONSTRAINT notes_id_record TO notes_id_fkey;
ALTER TABLE crm.permissions RENAME CONSTRAINT permissions_action TO permissions_action_check;
ALTER TABLE crm.permissions RENAME CONSTRAINT permissions_scope TO permissions_scope_check;
ALTER TABLE crm.shares RENAME CONSTRAINT shares_access TO shares_access_check;
ALTER TABLE crm.shares RENAME CONSTRAINT shares_one_target TO shares_user_id_target;
ALTER TABLE crm.relations RENAME CONSTRAINT relations_role_pair TO relations_to_type_pair;
ALTER TABLE crm.custom_values RENAME CONSTRAINT custom_values_one_value TO custom_values_v_one;

-- ------------------------------------------------------------ tables

COMMENT ON TABLE crm.picklist_values IS
	'The values of each pick list, in display order; retired values stay for the records holding them.';

-- crm.accounts
COMMENT ON COLUMN crm.accounts.annual_revenue IS 'Annual revenue, an amount in annual_revenue_currency with that currency''s minor units; not negative.';
COMMENT ON COLUMN crm.accounts.annual_revenue_currency IS 'ISO 4217 code of annual_revenue (crm.currencies); set exactly when annual_revenue is.';
COMMENT ON COLUMN crm.accounts.billing_city IS 'Billing address: city.';
COMMENT ON COLUMN crm.accounts.billing_country IS 'Billing address: ISO 3166-1 alpha-2 country code (crm.countries).';
COMMENT ON COLUMN crm.accounts.billing_postal_code IS 'Billing address: postal code.';
COMMENT ON COLUMN crm.accounts.billing_region IS 'Billing address: state, province or county.';
COMMENT ON COLUMN crm.accounts.billing_street IS 'Billing address: street, possibly several lines.';
COMMENT ON COLUMN crm.accounts.created_at IS 'When the record was created (transaction time).';
COMMENT ON COLUMN crm.accounts.created_by IS 'The user who created the record.';
COMMENT ON COLUMN crm.accounts.deleted_at IS 'Set by a soft delete; restore clears it; purge removes the row.';
COMMENT ON COLUMN crm.accounts.description IS 'Free text, several lines allowed (at most 32768 characters).';
COMMENT ON COLUMN crm.accounts.employees IS 'Number of employees; not negative.';
COMMENT ON COLUMN crm.accounts.id IS 'The record''s id, from crm.record_id_seq and registered in crm.records (ids are unique across types).';
COMMENT ON COLUMN crm.accounts.individual IS 'True when the account is a person rather than a company.';
COMMENT ON COLUMN crm.accounts.legal_name IS 'The registered legal name, when it differs from name.';
COMMENT ON COLUMN crm.accounts.name IS 'The account''s name as typed (1 to 255 characters); required.';
COMMENT ON COLUMN crm.accounts.owner_id IS 'The user who owns the record; own scopes match on it. Changed by reassign.';
COMMENT ON COLUMN crm.accounts.parent_id IS 'The parent account (a company''s head office); cycles are refused.';
COMMENT ON COLUMN crm.accounts.phone IS 'The main phone number as entered; phone_norm holds its digits.';
COMMENT ON COLUMN crm.accounts.region IS 'A value of pick list region (checked on write; retired values stay).';
COMMENT ON COLUMN crm.accounts.shipping_city IS 'Shipping address: city.';
COMMENT ON COLUMN crm.accounts.shipping_country IS 'Shipping address: ISO 3166-1 alpha-2 country code (crm.countries).';
COMMENT ON COLUMN crm.accounts.shipping_postal_code IS 'Shipping address: postal code.';
COMMENT ON COLUMN crm.accounts.shipping_region IS 'Shipping address: state, province or county.';
COMMENT ON COLUMN crm.accounts.shipping_street IS 'Shipping address: street, possibly several lines.';
COMMENT ON COLUMN crm.accounts.team_id IS 'The owner''s team when the record was created or reassigned; team scopes match on it.';
COMMENT ON COLUMN crm.accounts.tier IS 'A value of pick list tier (checked on write; retired values stay).';
COMMENT ON COLUMN crm.accounts.type IS 'prospect, customer, partner, competitor or other.';
COMMENT ON COLUMN crm.accounts.updated_at IS 'When the record was last changed (transaction time).';
COMMENT ON COLUMN crm.accounts.updated_by IS 'The user who last changed the record.';
COMMENT ON COLUMN crm.accounts.version IS 'Incremented by every update; an update naming an older version is refused (CONFLICT).';
COMMENT ON COLUMN crm.accounts.website IS 'The account''s website, as entered.';

-- crm.audit
COMMENT ON COLUMN crm.audit.at IS 'When the change happened (transaction time).';
COMMENT ON COLUMN crm.audit.client_addr IS 'The client''s address as crmd saw it (after a trusted proxy''s header).';
COMMENT ON COLUMN crm.audit.id IS 'Order of the trail: increasing with time.';
COMMENT ON COLUMN crm.audit.record_id IS 'The id of the record the row is about (a business record, user, team, session, ...).';
COMMENT ON COLUMN crm.audit.record_type IS 'The type of the record the row is about (crm.record_types).';
COMMENT ON COLUMN crm.audit.request_id IS 'crmd''s request id, also in its log line: ties the rows of one request together.';

-- crm.contact_emails
COMMENT ON COLUMN crm.contact_emails.address IS 'The e-mail address as entered.';
COMMENT ON COLUMN crm.contact_emails.address_norm IS 'lower(address): matching and duplicate detection.';
COMMENT ON COLUMN crm.contact_emails.contact_id IS 'The contact the address belongs to.';
COMMENT ON COLUMN crm.contact_emails.is_primary IS 'The contact''s primary address (at most one per contact).';
COMMENT ON COLUMN crm.contact_emails.kind IS 'work, home or other.';
COMMENT ON COLUMN crm.contact_emails.position IS 'Order of the addresses as given (0 first).';

-- crm.contact_phones
COMMENT ON COLUMN crm.contact_phones.contact_id IS 'The contact the number belongs to.';
COMMENT ON COLUMN crm.contact_phones.is_primary IS 'The contact''s primary number (at most one per contact).';
COMMENT ON COLUMN crm.contact_phones.kind IS 'work, mobile, home, fax or other.';
COMMENT ON COLUMN crm.contact_phones.number IS 'The phone number as entered.';
COMMENT ON COLUMN crm.contact_phones.number_norm IS 'The number''s digits, with + for an international number: matching.';
COMMENT ON COLUMN crm.contact_phones.position IS 'Order of the numbers as given (0 first).';

-- crm.contacts
COMMENT ON COLUMN crm.contacts.birthday_day IS 'Day of the birthday (1 to 31, valid for the month).';
COMMENT ON COLUMN crm.contacts.birthday_month IS 'Month of the birthday (1 to 12); set together with birthday_day.';
COMMENT ON COLUMN crm.contacts.created_at IS 'When the record was created (transaction time).';
COMMENT ON COLUMN crm.contacts.created_by IS 'The user who created the record.';
COMMENT ON COLUMN crm.contacts.deleted_at IS 'Set by a soft delete; restore clears it; purge removes the row.';
COMMENT ON COLUMN crm.contacts.description IS 'Free text, several lines allowed (at most 32768 characters).';
COMMENT ON COLUMN crm.contacts.display_name_norm IS 'lower(NFKC(display_name)): equality filters and duplicate matching.';
COMMENT ON COLUMN crm.contacts.do_not_contact IS 'The contact asked not to be contacted at all.';
COMMENT ON COLUMN crm.contacts.family_name IS 'Family name (surname); one of given_name and family_name is required.';
COMMENT ON COLUMN crm.contacts.family_name_norm IS 'lower(NFKC(family_name)): equality filters.';
COMMENT ON COLUMN crm.contacts.given_name IS 'Given name; one of given_name and family_name is required.';
COMMENT ON COLUMN crm.contacts.id IS 'The record''s id, from crm.record_id_seq and registered in crm.records (ids are unique across types).';
COMMENT ON COLUMN crm.contacts.marketing_opt_out IS 'The contact opted out of marketing.';
COMMENT ON COLUMN crm.contacts.marketing_opt_out_at IS 'When marketing_opt_out was last set to true.';
COMMENT ON COLUMN crm.contacts.name_order IS 'western (given name first, with a space) or eastern (family name first, no space): how display_name is built.';
COMMENT ON COLUMN crm.contacts.owner_id IS 'The user who owns the record; own scopes match on it. Changed by reassign.';
COMMENT ON COLUMN crm.contacts.preferences IS 'Key-value preferences of the contact, as a JSON object of strings.';
COMMENT ON COLUMN crm.contacts.preferred_channel IS 'How the contact prefers to be reached: email, phone, sms, mail or in_person.';
COMMENT ON COLUMN crm.contacts.team_id IS 'The owner''s team when the record was created or reassigned; team scopes match on it.';
COMMENT ON COLUMN crm.contacts.title IS 'Job title.';
COMMENT ON COLUMN crm.contacts.updated_at IS 'When the record was last changed (transaction time).';
COMMENT ON COLUMN crm.contacts.updated_by IS 'The user who last changed the record.';
COMMENT ON COLUMN crm.contacts.version IS 'Incremented by every update; an update naming an older version is refused (CONFLICT).';

-- crm.countries
COMMENT ON COLUMN crm.countries.code IS 'ISO 3166-1 alpha-2 code.';
COMMENT ON COLUMN crm.countries.name IS 'English short name.';

-- crm.currencies
COMMENT ON COLUMN crm.currencies.code IS 'ISO 4217 code.';
COMMENT ON COLUMN crm.currencies.minor_units IS 'Digits after the decimal point amounts in this currency have.';
COMMENT ON COLUMN crm.currencies.name IS 'English name.';

-- crm.custom_values
COMMENT ON COLUMN crm.custom_values.field_id IS 'The custom field (crm.fields).';
COMMENT ON COLUMN crm.custom_values.record_id IS 'The record the value belongs to.';
COMMENT ON COLUMN crm.custom_values.record_type IS 'The record''s type (equals the field''s record_type).';
COMMENT ON COLUMN crm.custom_values.v_bool IS 'The value of a boolean field.';
COMMENT ON COLUMN crm.custom_values.v_currency IS 'The currency (ISO 4217) of a money field''s amount.';
COMMENT ON COLUMN crm.custom_values.v_date IS 'The value of a date field.';
COMMENT ON COLUMN crm.custom_values.v_num IS 'The value of a number field, or the amount of a money field.';
COMMENT ON COLUMN crm.custom_values.v_num_key IS 'v_num as float8: an index key usable under row-level security (numeric comparison is not leakproof).';
COMMENT ON COLUMN crm.custom_values.v_text IS 'The value of a text or pick-list field.';

-- crm.fields
COMMENT ON COLUMN crm.fields.created_at IS 'When the field was defined.';
COMMENT ON COLUMN crm.fields.id IS 'Identity of the field.';
COMMENT ON COLUMN crm.fields.kind IS 'text, number, money, date, boolean or picklist.';
COMMENT ON COLUMN crm.fields.label IS 'The name shown to users.';
COMMENT ON COLUMN crm.fields.max_length IS 'Text fields: the longest value (1 to 4096, default 255).';
COMMENT ON COLUMN crm.fields.max_value IS 'Number, money and date fields: the largest value allowed, in text form.';
COMMENT ON COLUMN crm.fields.min_value IS 'Number, money and date fields: the smallest value allowed, in text form.';
COMMENT ON COLUMN crm.fields.name IS 'The field''s name: [a-z][a-z0-9_]{0,39}, unique per type and distinct from the standard fields.';
COMMENT ON COLUMN crm.fields.record_type IS 'The record type the field belongs to.';
COMMENT ON COLUMN crm.fields.required IS 'A record of the type must have a value (checked on create and update).';

-- crm.login_throttle
COMMENT ON COLUMN crm.login_throttle.failures IS 'Failed logins counted: a success or 15 quiet minutes reset the count (kind user: those of the hour from window_start).';
COMMENT ON COLUMN crm.login_throttle.key IS 'kind pair: "username address"; addr: the address; user: the user name.';
COMMENT ON COLUMN crm.login_throttle.kind IS 'pair (user name and address), addr (address) or user (user name): what key counts failures of.';
COMMENT ON COLUMN crm.login_throttle.last_failure IS 'When the last failed login happened.';
COMMENT ON COLUMN crm.login_throttle.locked_until IS 'Logins for the key are refused until then.';

-- crm.notes
COMMENT ON COLUMN crm.notes.created_by IS 'The user who created the record.';
COMMENT ON COLUMN crm.notes.updated_at IS 'When the record was last changed (transaction time).';
COMMENT ON COLUMN crm.notes.updated_by IS 'The user who last changed the record.';

-- crm.permissions
COMMENT ON COLUMN crm.permissions.action IS 'read, create, update, delete, export, reassign or admin.';
COMMENT ON COLUMN crm.permissions.id IS 'Identity of the cell (audit rows name it).';
COMMENT ON COLUMN crm.permissions.record_type IS 'The record type (crm.record_types).';
COMMENT ON COLUMN crm.permissions.role IS 'The role (crm.roles).';
COMMENT ON COLUMN crm.permissions.scope IS 'none, own, team, subteams or all: the records the action applies to.';

-- crm.picklist_values
COMMENT ON COLUMN crm.picklist_values.id IS 'Identity of the value.';
COMMENT ON COLUMN crm.picklist_values.label IS 'The name shown to users.';
COMMENT ON COLUMN crm.picklist_values.picklist IS 'The pick list (crm.picklists.name).';
COMMENT ON COLUMN crm.picklist_values.position IS 'Display order within the list.';
COMMENT ON COLUMN crm.picklist_values.value IS 'The value as stored on records (unique per list).';

-- crm.picklists
COMMENT ON COLUMN crm.picklists.description IS 'What the list is for.';
COMMENT ON COLUMN crm.picklists.id IS 'Identity of the list.';
COMMENT ON COLUMN crm.picklists.name IS 'industry, region, tier, relation.<from>.<to> or <type>.<field> (a custom pick-list field).';

-- crm.record_tags
COMMENT ON COLUMN crm.record_tags.record_id IS 'The tagged record.';
COMMENT ON COLUMN crm.record_tags.record_type IS 'The record''s type.';
COMMENT ON COLUMN crm.record_tags.tag IS 'The tag as typed (1 to 64 characters).';
COMMENT ON COLUMN crm.record_tags.tag_norm IS 'lower(NFKC(tag)): a record has each tag once, ignoring case.';

-- crm.record_types
COMMENT ON COLUMN crm.record_types.description IS 'What records of the type are.';
COMMENT ON COLUMN crm.record_types.name IS 'The type''s name as requests, permissions and the audit trail spell it.';

-- crm.records
COMMENT ON COLUMN crm.records.created_at IS 'When the record was created.';
COMMENT ON COLUMN crm.records.id IS 'The record''s id (crm.record_id_seq).';
COMMENT ON COLUMN crm.records.purged_at IS 'Set when the record was purged: the row stays as a tombstone so that the history still names a type.';
COMMENT ON COLUMN crm.records.record_type IS 'The type, hence the table holding the record.';

-- crm.relations
COMMENT ON COLUMN crm.relations.created_at IS 'When the relationship was added.';
COMMENT ON COLUMN crm.relations.created_by IS 'The user who added it.';
COMMENT ON COLUMN crm.relations.from_id IS 'The record the relationship goes from (a contact or account).';
COMMENT ON COLUMN crm.relations.from_type IS 'from_id''s type.';
COMMENT ON COLUMN crm.relations.id IS 'Identity of the relationship.';
COMMENT ON COLUMN crm.relations.is_primary IS 'A contact''s primary account (at most one per contact; mirrored in crm.contacts.account_id).';
COMMENT ON COLUMN crm.relations.role IS 'A value of the pick list relation.<from_type>.<to_type> (decision_maker, reports_to, partner, ...).';
COMMENT ON COLUMN crm.relations.to_id IS 'The record the relationship goes to.';
COMMENT ON COLUMN crm.relations.to_type IS 'to_id''s type.';

-- crm.roles
COMMENT ON COLUMN crm.roles.builtin IS 'One of the six roles the schema ships with.';
COMMENT ON COLUMN crm.roles.description IS 'What the role is for.';
COMMENT ON COLUMN crm.roles.name IS 'The role''s name: [a-z][a-z0-9_]{0,63}.';

-- crm.sessions
COMMENT ON COLUMN crm.sessions.client_addr IS 'The client''s address at login.';
COMMENT ON COLUMN crm.sessions.client_name IS 'The client''s name as its Hello gave it.';
COMMENT ON COLUMN crm.sessions.created_at IS 'When the session was opened (the login).';
COMMENT ON COLUMN crm.sessions.expires_at IS 'Absolute expiry: the session ends then, used or not.';
COMMENT ON COLUMN crm.sessions.id IS 'Identity of the session (session_list shows it; session_revoke takes it).';
COMMENT ON COLUMN crm.sessions.idle_timeout IS 'The session ends when unused for this long (from last_used_at).';
COMMENT ON COLUMN crm.sessions.revoked_at IS 'When the session was ended before its expiry (logout, revoke, disabling the user).';
COMMENT ON COLUMN crm.sessions.token_hash IS 'SHA-256 of the session token; the token itself is never stored. Not readable by crm_app.';
COMMENT ON COLUMN crm.sessions.user_id IS 'The user the session belongs to.';

-- crm.shares
COMMENT ON COLUMN crm.shares.access IS 'read or edit.';
COMMENT ON COLUMN crm.shares.created_at IS 'When the share was made.';
COMMENT ON COLUMN crm.shares.id IS 'Identity of the share.';
COMMENT ON COLUMN crm.shares.record_id IS 'The shared record.';
COMMENT ON COLUMN crm.shares.record_type IS 'The shared record''s type.';
COMMENT ON COLUMN crm.shares.team_id IS 'The team it is shared with (or user_id).';
COMMENT ON COLUMN crm.shares.user_id IS 'The user it is shared with (or team_id).';

-- crm.standard_fields
COMMENT ON COLUMN crm.standard_fields.col IS 'The column or expression filters compare (r is the record''s row); NULL when the field cannot be filtered.';
COMMENT ON COLUMN crm.standard_fields.kind IS 'How the field filters: text, norm, enum, picklist, number, money, instant, boolean, user, team, tags, ref, email, phone, country or none.';
COMMENT ON COLUMN crm.standard_fields.label IS 'The name shown to users.';
COMMENT ON COLUMN crm.standard_fields.name IS 'The field''s name as filters, sorts and field lists spell it.';
COMMENT ON COLUMN crm.standard_fields.nullable IS 'Whether the field may be empty.';
COMMENT ON COLUMN crm.standard_fields.position IS 'Order of the field in field lists.';
COMMENT ON COLUMN crm.standard_fields.record_type IS 'The record type.';

-- crm.team_managers
COMMENT ON COLUMN crm.team_managers.id IS 'Identity of the row (audit rows name it).';
COMMENT ON COLUMN crm.team_managers.team_id IS 'The managed team.';
COMMENT ON COLUMN crm.team_managers.user_id IS 'The managing user: team scopes include the team (subteams: also the teams below it).';

-- crm.teams
COMMENT ON COLUMN crm.teams.created_at IS 'When the team was created.';
COMMENT ON COLUMN crm.teams.id IS 'Identity of the team.';
COMMENT ON COLUMN crm.teams.name IS 'The team''s name (unique, ignoring case).';
COMMENT ON COLUMN crm.teams.updated_at IS 'When the team was last changed.';

-- crm.users
COMMENT ON COLUMN crm.users.created_at IS 'When the user was created.';
COMMENT ON COLUMN crm.users.display_name IS 'The name shown to others.';
COMMENT ON COLUMN crm.users.email IS 'The user''s e-mail address (optional).';
COMMENT ON COLUMN crm.users.id IS 'Identity of the user.';
COMMENT ON COLUMN crm.users.last_login_at IS 'When the user last logged in.';
COMMENT ON COLUMN crm.users.locale IS 'Locale for texts and formats, such as de-DE.';
COMMENT ON COLUMN crm.users.password_changed_at IS 'When the password was last set.';
COMMENT ON COLUMN crm.users.role IS 'The user''s role (crm.roles): what the permission matrix grants.';
COMMENT ON COLUMN crm.users.team_id IS 'The user''s team; NULL for none (records they own then match no team scope).';
COMMENT ON COLUMN crm.users.updated_at IS 'When the user was last changed.';

-- crm_meta.settings
COMMENT ON COLUMN crm_meta.settings.name IS 'The setting''s name.';
COMMENT ON COLUMN crm_meta.settings.value IS 'The setting''s value.';

-- crm_meta.side_tables
COMMENT ON COLUMN crm_meta.side_tables.pairs IS 'Pairs of column names, record id then record type, naming the records a row belongs to; the first governs writing.';
COMMENT ON COLUMN crm_meta.side_tables.table_name IS 'A side table (schema-qualified) whose rows belong to business records.';

-- ------------------------------------------------------------ views
--
-- The views crmd reads records through. A repeatable file that replaces a
-- view with CREATE OR REPLACE VIEW keeps these comments; one that drops
-- and re-creates it must comment it again.


-- crm.account_out
COMMENT ON VIEW crm.account_out IS
	'Accounts as crmd returns them: the table''s columns and the record as JSON (json), under the table''s row-level security.';
COMMENT ON COLUMN crm.account_out.json IS 'The account as the JSON object crmd turns into an Account message (owner, team and names resolved, tags and custom values included).';
COMMENT ON COLUMN crm.account_out.id IS 'The record''s id, from crm.record_id_seq and registered in crm.records (ids are unique across types).';
COMMENT ON COLUMN crm.account_out.owner_id IS 'The user who owns the record; own scopes match on it. Changed by reassign.';
COMMENT ON COLUMN crm.account_out.team_id IS 'The owner''s team when the record was created or reassigned; team scopes match on it.';
COMMENT ON COLUMN crm.account_out.version IS 'Incremented by every update; an update naming an older version is refused (CONFLICT).';
COMMENT ON COLUMN crm.account_out.created_at IS 'When the record was created (transaction time).';
COMMENT ON COLUMN crm.account_out.created_by IS 'The user who created the record.';
COMMENT ON COLUMN crm.account_out.updated_at IS 'When the record was last changed (transaction time).';
COMMENT ON COLUMN crm.account_out.updated_by IS 'The user who last changed the record.';
COMMENT ON COLUMN crm.account_out.deleted_at IS 'Set by a soft delete; restore clears it; purge removes the row.';
COMMENT ON COLUMN crm.account_out.name IS 'The account''s name as typed (1 to 255 characters); required.';
COMMENT ON COLUMN crm.account_out.name_norm IS 'lower(NFKC(name)): equality filters and duplicate matching; the name itself is kept as typed.';
COMMENT ON COLUMN crm.account_out.legal_name IS 'The registered legal name, when it differs from name.';
COMMENT ON COLUMN crm.account_out.type IS 'prospect, customer, partner, competitor or other.';
COMMENT ON COLUMN crm.account_out.individual IS 'True when the account is a person rather than a company.';
COMMENT ON COLUMN crm.account_out.industry IS 'A value of pick list industry (checked on write; retired values stay).';
COMMENT ON COLUMN crm.account_out.region IS 'A value of pick list region (checked on write; retired values stay).';
COMMENT ON COLUMN crm.account_out.tier IS 'A value of pick list tier (checked on write; retired values stay).';
COMMENT ON COLUMN crm.account_out.website IS 'The account''s website, as entered.';
COMMENT ON COLUMN crm.account_out.phone IS 'The main phone number as entered; phone_norm holds its digits.';
COMMENT ON COLUMN crm.account_out.phone_norm IS 'The phone number''s digits, with + for an international number: for matching.';
COMMENT ON COLUMN crm.account_out.billing_street IS 'Billing address: street, possibly several lines.';
COMMENT ON COLUMN crm.account_out.billing_city IS 'Billing address: city.';
COMMENT ON COLUMN crm.account_out.billing_region IS 'Billing address: state, province or county.';
COMMENT ON COLUMN crm.account_out.billing_postal_code IS 'Billing address: postal code.';
COMMENT ON COLUMN crm.account_out.billing_country IS 'Billing address: ISO 3166-1 alpha-2 country code (crm.countries).';
COMMENT ON COLUMN crm.account_out.shipping_street IS 'Shipping address: street, possibly several lines.';
COMMENT ON COLUMN crm.account_out.shipping_city IS 'Shipping address: city.';
COMMENT ON COLUMN crm.account_out.shipping_region IS 'Shipping address: state, province or county.';
COMMENT ON COLUMN crm.account_out.shipping_postal_code IS 'Shipping address: postal code.';
COMMENT ON COLUMN crm.account_out.shipping_country IS 'Shipping address: ISO 3166-1 alpha-2 country code (crm.countries).';
COMMENT ON COLUMN crm.account_out.parent_id IS 'The parent account (a company''s head office); cycles are refused.';
COMMENT ON COLUMN crm.account_out.annual_revenue IS 'Annual revenue, an amount in annual_revenue_currency with that currency''s minor units; not negative.';
COMMENT ON COLUMN crm.account_out.annual_revenue_currency IS 'ISO 4217 code of annual_revenue (crm.currencies); set exactly when annual_revenue is.';
COMMENT ON COLUMN crm.account_out.annual_revenue_key IS 'annual_revenue as float8: an index key usable under row-level security (numeric comparison is not leakproof); exact comparisons use annual_revenue.';
COMMENT ON COLUMN crm.account_out.employees IS 'Number of employees; not negative.';
COMMENT ON COLUMN crm.account_out.description IS 'Free text, several lines allowed (at most 32768 characters).';

-- crm.contact_out
COMMENT ON VIEW crm.contact_out IS
	'Contacts as crmd returns them: the table''s columns and the record as JSON (json), under the table''s row-level security.';
COMMENT ON COLUMN crm.contact_out.json IS 'The contact as the JSON object crmd turns into a Contact message (owner, team and names resolved, e-mails, phones, tags and custom values included).';
COMMENT ON COLUMN crm.contact_out.id IS 'The record''s id, from crm.record_id_seq and registered in crm.records (ids are unique across types).';
COMMENT ON COLUMN crm.contact_out.owner_id IS 'The user who owns the record; own scopes match on it. Changed by reassign.';
COMMENT ON COLUMN crm.contact_out.team_id IS 'The owner''s team when the record was created or reassigned; team scopes match on it.';
COMMENT ON COLUMN crm.contact_out.version IS 'Incremented by every update; an update naming an older version is refused (CONFLICT).';
COMMENT ON COLUMN crm.contact_out.created_at IS 'When the record was created (transaction time).';
COMMENT ON COLUMN crm.contact_out.created_by IS 'The user who created the record.';
COMMENT ON COLUMN crm.contact_out.updated_at IS 'When the record was last changed (transaction time).';
COMMENT ON COLUMN crm.contact_out.updated_by IS 'The user who last changed the record.';
COMMENT ON COLUMN crm.contact_out.deleted_at IS 'Set by a soft delete; restore clears it; purge removes the row.';
COMMENT ON COLUMN crm.contact_out.given_name IS 'Given name; one of given_name and family_name is required.';
COMMENT ON COLUMN crm.contact_out.family_name IS 'Family name (surname); one of given_name and family_name is required.';
COMMENT ON COLUMN crm.contact_out.name_order IS 'western (given name first, with a space) or eastern (family name first, no space): how display_name is built.';
COMMENT ON COLUMN crm.contact_out.display_name IS 'Given then family name with a space (western), or family then given name without one (eastern: Chinese, Japanese, Korean).';
COMMENT ON COLUMN crm.contact_out.display_name_norm IS 'lower(NFKC(display_name)): equality filters and duplicate matching.';
COMMENT ON COLUMN crm.contact_out.family_name_norm IS 'lower(NFKC(family_name)): equality filters.';
COMMENT ON COLUMN crm.contact_out.title IS 'Job title.';
COMMENT ON COLUMN crm.contact_out.birthday_year IS 'Optional: a birthday may be known without the year; 29 February without a year is valid.';
COMMENT ON COLUMN crm.contact_out.birthday_month IS 'Month of the birthday (1 to 12); set together with birthday_day.';
COMMENT ON COLUMN crm.contact_out.birthday_day IS 'Day of the birthday (1 to 31, valid for the month).';
COMMENT ON COLUMN crm.contact_out.preferred_channel IS 'How the contact prefers to be reached: email, phone, sms, mail or in_person.';
COMMENT ON COLUMN crm.contact_out.do_not_contact IS 'The contact asked not to be contacted at all.';
COMMENT ON COLUMN crm.contact_out.do_not_contact_at IS 'When do_not_contact was last set to true.';
COMMENT ON COLUMN crm.contact_out.marketing_opt_out IS 'The contact opted out of marketing.';
COMMENT ON COLUMN crm.contact_out.marketing_opt_out_at IS 'When marketing_opt_out was last set to true.';
COMMENT ON COLUMN crm.contact_out.preferences IS 'Key-value preferences of the contact, as a JSON object of strings.';
COMMENT ON COLUMN crm.contact_out.account_id IS 'The primary account: mirrors the primary contact-to-account relation (crm.relations.is_primary).';
COMMENT ON COLUMN crm.contact_out.description IS 'Free text, several lines allowed (at most 32768 characters).';






