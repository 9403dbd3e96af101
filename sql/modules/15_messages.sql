-- sql/modules/15_messages.sql: the messages of the errors the SQL raises,
-- each with a stable id, and crm.raise, which raises one.
--
-- A repeatable module (sql/README.md). An error a user may see is raised
-- with crm.raise(code, field, id, args...): the English text (MESSAGE) is
-- the id's template below with %1$s .. %9$s filled in by the arguments, and
-- DETAIL carries {"id": ..., "args": [...]} as JSON, which crmd reads in
-- one place (result_error in server/db.c) and sends beside the text in
-- Status.message_id and Status.args, so that clients can show the message
-- in their user's language (proto/README.md, "Error messages").
--
-- This list is the one place the SQL's ids and templates are written:
-- proto/gen_messages.py reads it at build time into the clients' table
-- and the translators' catalog (po/), and tests/integration/
-- test_error_ids.py checks that every crm.raise names an id of it with as
-- many arguments as its template takes. An id never changes its meaning;
-- a message that says something else gets a new id.

-- The templates by id, in the order of the ids.
CREATE OR REPLACE FUNCTION crm.messages()
 RETURNS TABLE (id text, template text)
 LANGUAGE sql
 IMMUTABLE
AS $function$ VALUES
	('access.reassign_denied', 'permission denied: you may not reassign this %1$s'),
	('access.role_denied', 'permission denied: role %1$s may not %2$s %3$s'),
	('attach.chunk_checksum', 'chunk %1$s does not match its SHA-256: the data received hashes to %2$s, the request says %3$s (send the chunk again)'),
	('attach.chunk_length', 'chunk %1$s has %2$s bytes; it must have %3$s (every chunk but the last has the upload''s chunk size, %4$s bytes; the last holds the rest of the declared size)'),
	('attach.chunk_order', 'chunk %1$s is out of order: the next chunk expected is %2$s (chunks go in order from 0; one already received may be sent again only with the same data)'),
	('attach.chunk_past_end', 'chunk %1$s is past the end: the upload of %2$s bytes takes %3$s chunks, numbered from 0'),
	('attach.content_type_format', '"%1$s" is not a MIME type: type/subtype with optional ;name=value parameters, e.g. application/pdf or text/plain; charset=utf-8'),
	('attach.file_checksum', 'upload %1$s does not match the SHA-256 declared when it began: its chunks hash to %2$s, not %3$s (abort it and upload the file again)'),
	('attach.incomplete', 'upload %1$s is incomplete: %2$s of %3$s chunks received (%4$s of %5$s bytes); send chunk %2$s next'),
	('attach.index_range', 'attachment %1$s has no chunk %2$s: its chunks are numbered 0 to %3$s'),
	('attach.no_upload', 'no upload %1$s in progress: it was committed, aborted or has expired, or it is not yours'),
	('attach.not_found', 'no attachment %1$s'),
	('attach.sha256_format', '"%1$s" is not a SHA-256: 64 hexadecimal digits'),
	('attach.size_negative', 'a size is a number of bytes, 0 or more (not %1$s)'),
	('attach.too_large', 'the file has %1$s bytes: an attachment may have at most %2$s bytes (the server''s attachment_max_size)'),
	('attach.upload_expired', 'upload %1$s has expired: no chunk came for too long (upload the file again)'),
	('audit.append_only', 'the audit trail is append-only (%1$s refused)'),
	('audit.must_between_utc', 'must be between 0001-01-01 and 9999-12-31 (UTC)'),
	('audit.not_record_type_audit_trail', '"%1$s" is not a record type the audit trail records (%2$s)'),
	('audit.permission_denied_only_administrators_purge', 'permission denied: only administrators purge %1$ss'),
	('audit.record_id_needs_type_note', 'a record id needs its type (note/42)'),
	('field.already_has_custom_field', '%1$s already has a custom field %2$s'),
	('field.field_kind_text_number_money', 'a field''s kind is text, number, money, date, boolean or picklist'),
	('field.field_name_lower_case_letters', 'a field name is 1 to 40 lower-case letters, digits or _, starting with a letter'),
	('field.give_exactly_one_before_after', 'give exactly one of before or after: the value to move next to'),
	('field.has_no_custom_field', '%1$s has no custom field "%2$s"'),
	('field.has_no_custom_field_2', '%1$s has no custom field %2$s'),
	('field.no_pick_list_crm_picklist', 'no pick list %1$s (crm picklist list shows them all)'),
	('field.not_money_amount_currency_eur', '"%1$s" is not money (an amount and a currency, e.g. "1200.50 EUR")'),
	('field.not_value_pick_list_crm', '"%1$s" is not a value of pick list %2$s (crm picklist list %3$s)'),
	('field.only_number_money_date_fields', 'only number, money and date fields have a range'),
	('field.only_pick_list_fields_have', 'only pick-list fields have options'),
	('field.only_text_fields_have_maximum', 'only text fields have a maximum length, from 1 to 4096 characters'),
	('field.option_given_twice_options_are', 'option "%1$s" is given twice (options are unique ignoring case)'),
	('field.pick_list_already_has_values', 'pick list %1$s already has "%2$s" (values are unique ignoring case)'),
	('field.pick_list_field_needs_at', 'a pick-list field needs at least one option'),
	('field.pick_list_has_no_active', 'pick list %1$s has no active value "%2$s"'),
	('field.pick_list_has_no_value', 'pick list %1$s has no value "%2$s"'),
	('field.standard_field_give_custom_field', '"%1$s" is a standard field of %2$ss; give the custom field another name (crm field list %3$s)'),
	('field.value_cannot_move_next_itself', 'a value cannot move next to itself'),
	('field.value_range', 'must be between %1$s and %2$s'),
	('identity.admin_role_permissions_are_fixed', 'the admin role''s permissions are fixed, so nobody can lock administrators out'),
	('identity.cannot_clear_only_email_team', 'cannot clear %1$s (only email, team, manages)'),
	('identity.denied_change_permissions', 'permission denied: your role may not change permissions'),
	('identity.denied_delete_teams', 'permission denied: your role may not delete teams'),
	('identity.denied_update_teams', 'permission denied: your role may not update teams'),
	('identity.denied_update_users', 'permission denied: your role may not update users'),
	('identity.last_admin', 'user %1$s is the last active admin: make another user admin first'),
	('identity.no_live_session_yours', 'no live session %1$s of yours'),
	('identity.no_request_context', 'no request context: call crm.begin_request first'),
	('identity.no_team_named', 'no team named %1$s'),
	('identity.no_user_named', 'no user named %1$s'),
	('identity.only_parent_can_cleared', 'only parent can be cleared'),
	('identity.password_action', 'is password_change or password_reset'),
	('identity.permission_denied_only_administrator_reset', 'permission denied: only an administrator may reset another user''s password'),
	('identity.permission_denied_your_role_list', 'permission denied: your role may list only your own sessions (crm session list without --user or --all)'),
	('identity.team_already_exists', 'team %1$s already exists'),
	('identity.team_cycle', 'team %1$s cannot be placed under its own sub-team'),
	('identity.team_still_has_move_them', 'team %1$s still has %2$s: move them to another team first (crm user edit, crm team edit, crm account reassign …)'),
	('identity.unknown_record_type', 'unknown record type %1$s'),
	('identity.unknown_role_see_crm_role', 'unknown role %1$s (see crm role list)'),
	('identity.unknown_time_zone', 'unknown time zone "%1$s": use an IANA name such as Europe/Paris or UTC'),
	('identity.user_already_exists', 'user %1$s already exists'),
	('identity.username_format', 'may contain only letters, digits, dot, underscore and hyphen (1 to 64)'),
	('record.account_below_account_parent_not', 'account %1$s is below account %2$s: a parent may not be its own descendant'),
	('record.account_cannot_own_parent_account', 'an account cannot be its own parent (account %1$s)'),
	('record.already_deleted', '%1$s %2$s is already deleted'),
	('record.annual_revenue_must_not_negative', 'annual revenue must not be negative'),
	('record.another_already_has_external_id', 'another %1$s already has external id "%2$s" (external ids are unique per type; a deleted one keeps its id until purged)'),
	('record.at_most_filters', 'at most 20 filters'),
	('record.at_most_sort_fields', 'at most 3 sort fields'),
	('record.at_most_values', 'at most 100 values'),
	('record.birthday_day_has_no_day', 'birthday day: %1$s-%2$s has no day %3$s'),
	('record.birthday_month_must_between_not', 'birthday month must be between 1 and 12 (not %1$s)'),
	('record.birthday_year_must_between_not', 'birthday year must be between 1850 and %1$s (not %2$s)'),
	('record.cannot_filter_crm_field_list', 'cannot filter %1$ss on "%2$s" (crm field list %3$s shows which fields can be filtered and sorted)'),
	('record.cannot_sort_by_sortable_id', 'cannot sort %1$ss by "%2$s"; sortable: %3$s, id'),
	('record.contact_has_at_most_preferences', 'a contact has at most 50 preferences (not %1$s)'),
	('record.contact_has_no_has', 'contact %1$s has no %2$s "%3$s" (it has: %4$s)'),
	('record.contact_has_no_make_primary', 'contact %1$s has no %2$s "%3$s" to make primary (it has: %4$s)'),
	('record.contact_needs_given_name_family', 'a contact needs a given name or a family name (or both)'),
	('record.deleted_crm_restore', '%1$s %2$s is deleted (crm %3$s restore %4$s)'),
	('record.denied_scope', 'permission denied: %1$s %2$s belongs to %3$s (team %4$s); %5$s'),
	('record.due_before_creation', 'a task cannot be due before it was created'),
	('record.employees_must_between_not', 'employees must be between 0 and 100000000 (not %1$s)'),
	('record.filter_not_kind', '"%1$s" is not %2$s'),
	('record.give_whole_list_add__remove_', 'give the whole list (%1$s) or add_%2$s / remove_%3$s, not both'),
	('record.give_whole_tag_list_tags', 'give the whole tag list (tags) or add_tags / remove_tags, not both'),
	('record.has_no_custom_field_crm', '%1$s has no custom field "%2$s" (crm field list %3$s)'),
	('record.has_no_tag_tags', '%1$s %2$s has no tag "%3$s" (its tags: %4$s)'),
	('record.list_at_most_20', 'at most 20'),
	('record.must_hold', 'must hold %1$s'),
	('record.needs_value', 'needs a value'),
	('record.no_account', 'no account %1$s'),
	('record.no_account_parent', 'no account %1$s to be the parent'),
	('record.link_kind', '"%1$s" is not a kind of link: participant (a contact or user who took part) or related (a record it is about; a user is only a participant)'),
	('record.links_at_most', 'an interaction has at most 50 links (this would have %1$s)'),
	('record.links_only_interactions', 'only interactions take links now (this is a %1$s)'),
	('record.log_not_done', 'an interaction is logged when the task is done: set its status to done in the same update'),
	('record.log_only_tasks', 'only a task''s update logs an interaction (this is a %1$s)'),
	('record.no_active_user_named', 'no active user named %1$s'),
	('record.not_cursor_this_list_start', 'is not a cursor of this list; start the list again'),
	('record.not_deleted', '%1$s %2$s is not deleted'),
	('record.not_field_that_can_cleared', '"%1$s" is not %2$s field that can be cleared (%3$s)'),
	('record.not_found', 'no %1$s %2$s'),
	('record.not_number', '"%1$s" is not a number'),
	('record.not_one_work_home_other', '"%1$s" is not one of work, home, other'),
	('record.not_one_work_mobile_home', '"%1$s" is not one of work, mobile, home, fax, other'),
	('record.not_record_type', '"%1$s" is not a record type (%2$s)'),
	('record.not_value_pick_list_has', '"%1$s" is not a value of pick list %2$s (it has: %3$s)'),
	('record.not_whole_number', '"%1$s" is not a whole number'),
	('record.only_accounts_have_contacts_move', 'only accounts have contacts to move (this is a %1$s)'),
	('record.only_contacts_have', 'only contacts have %1$s'),
	('record.only_equality_takes_several_values', 'only equality takes several values'),
	('record.only_one_primary', 'only one may be primary'),
	('record.page_limit_range', 'must be between 1 and 500'),
	('record.permission_denied_account_contacts_are', 'permission denied: %1$s of account %2$s''s contacts are outside what your role may reassign; reassign the account without --with-contacts, or ask an administrator'),
	('record.permission_denied_team_outside_teams', 'permission denied: %1$s (team %2$s) is outside the teams you may reassign to (%3$s)'),
	('record.preference_given_twice', 'preference "%1$s" is given twice'),
	('record.record_has_at_most_tags', 'a record has at most 50 tags (this would have %1$s)'),
	('record.reminder_in_past', 'a reminder cannot be in the past'),
	('record.takes_only_empty_not_empty', 'takes only =, != and empty / not empty'),
	('record.unknown_operator', 'unknown operator %1$s'),
	('record.user_disabled', 'user %1$s is disabled: assign the task to an active user'),
	('record.version_conflict', '%1$s %2$s changed since you read it (version %3$s, now %4$s): reload and retry'),
	('record.version_required', 'is required (the version you read) unless the update only adds, removes or makes primary list items (add_X, remove_X, primary_X)'),
	('record.version_unknown', '%1$s %2$s has no version %3$s: its version is %4$s'),
	('relation.account_parent_field_crm_account', 'an account''s parent is a field: crm account edit %1$s --parent %2$s'),
	('relation.already_related_as', '%1$s %2$s is already related to %3$s %4$s as %5$s'),
	('relation.no_relation', 'no relation %1$s'),
	('relation.record_cannot_related_itself', 'a record cannot be related to itself'),
	('relation.relation_from_cannot_primary_only', 'a relation from %1$s to %2$s cannot be primary (only: %3$s)'),
	('relation.relation_goes_not_from', 'a relation goes %1$s (not from %2$s to %3$s)'),
	('session.expired', 'session expired or revoked: log in again'),
	('share.give_exactly_one_user_team', 'give exactly one of user or team'),
	('share.must_read_edit', 'must be read or edit'),
	('share.not_record_type_that_can', '"%1$s" is not a record type that can be shared (%2$s)'),
	('share.not_shared_with_nothing_revoke', '%1$s %2$s is not shared with %3$s %4$s: nothing to revoke'),
	('share.permission_denied_you_not_share', 'permission denied: you may not share %1$s %2$s: sharing needs the update permission on it (its owner, or a role whose update scope covers it; a share for editing does not count)'),
	('timeline.unknown_kind', '"%1$s" is not a kind of timeline item (the kinds: %2$s)'),
	('timeline.until_before_since', 'until (%1$s) is before since (%2$s): give an until at or after the since'),
	('value.amount_has_too_many_decimals', 'amount %1$s has too many decimals: %2$s has %3$s decimal places'),
	('value.bad_character', '%1$s contains %2$s at character %3$s; %4$s'),
	('value.country_not_iso_country_code', 'country "%1$s" is not an ISO 3166 country code (two letters, e.g. DE, CN, US)'),
	('value.currency_not_iso_currency_code', 'currency "%1$s" is not an ISO 4217 currency code (e.g. EUR, USD, CNY)'),
	('value.money_needs_currency_amount_iso', 'money needs a currency: an amount and an ISO 4217 code, e.g. "%1$s EUR"'),
	('value.must_at_most_characters_has', '%1$s must be at most %2$s characters (it has %3$s)'),
	('value.not_date_yyyy_mm_dd', '"%1$s" is not a date (YYYY-MM-DD)'),
	('value.not_instant_iso_01t09_00z', '"%1$s" is not an instant (ISO 8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z, or microseconds since 1970)'),
	('value.not_mail_address', '"%1$s" is not an e-mail address'),
	('value.not_number_digits_with_optional', '"%1$s" is not a number (digits with an optional sign and decimal point, e.g. -1234.5)'),
	('value.not_phone_number_digits_spaces', '"%1$s" is not a phone number (digits, spaces, + ( ) . / - and an optional extension "x 12")'),
	('value.not_true_false', '"%1$s" is not true or false'),
	('value.phone_too_long', 'must be at most 64 characters'),
	('value.required', 'is required'),
	('value.required_not_blank', '%1$s is required and may not be blank'),
	('watch.not_watched', 'you do not watch %1$s %2$s')
$function$;
COMMENT ON FUNCTION crm.messages() IS 'The SQL''s error messages: stable id and English template (%1$s .. %9$s are its arguments).';

CREATE OR REPLACE FUNCTION crm.message_template(p_id text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT m.template FROM crm.messages() m WHERE m.id = p_id $function$;
COMMENT ON FUNCTION crm.message_template(text) IS 'The English template of an error message id, or NULL.';

-- Raises the error: ERRCODE the CR code (server/db.c maps it to a status),
-- COLUMN the field, MESSAGE the English text, DETAIL the id and arguments.
-- An unknown id is a bug: XX000, which crmd answers INTERNAL.
CREATE OR REPLACE FUNCTION crm.raise(p_code text, p_field text, p_id text, VARIADIC p_args text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := crm.message_template(p_id);
	args text[] := ARRAY(SELECT coalesce(a, '') FROM unnest(p_args) WITH ORDINALITY AS u(a, n) ORDER BY n);
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'crm.raise: unknown message id "%"', p_id USING ERRCODE = 'XX000';
	END IF;
	RAISE EXCEPTION '%', format(t, VARIADIC args) USING ERRCODE = p_code, COLUMN = coalesce(p_field, ''),
		DETAIL = json_build_object('id', p_id, 'args', args)::text;
END
$function$;
COMMENT ON FUNCTION crm.raise(text, text, text, text[]) IS 'Raises an error a user may see: code (CRx01), field, message id (crm.messages()) and its arguments.';

CREATE OR REPLACE FUNCTION crm.raise(p_code text, p_field text, p_id text)
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT crm.raise(p_code, p_field, p_id, VARIADIC '{}'::text[]) $function$;
COMMENT ON FUNCTION crm.raise(text, text, text) IS 'crm.raise for a message without arguments.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may). crm_auth runs no function that raises
-- as itself (its functions are SECURITY DEFINER), as with crm.fail.
REVOKE ALL ON FUNCTION
	crm.messages(),
	crm.message_template(text),
	crm.raise(text,text,text,text[]),
	crm.raise(text,text,text)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.messages(),
	crm.message_template(text),
	crm.raise(text,text,text,text[]),
	crm.raise(text,text,text)
TO crm_app;
