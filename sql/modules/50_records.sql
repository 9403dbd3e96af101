-- sql/modules/50_records.sql: business records: registry, saving,
-- lists, reassigning, purging, the side tables' policies.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.
--
-- crm.refresh_dispatch() at the end generates the per-type functions from
-- the registry (crm.record_types); crm.refresh_generated()
-- (99_generated.sql), which crmd migrate runs after the modules whenever
-- something was applied or the registry changed, calls it. A type's own
-- save function and view live in a module: account and contact here, note
-- in 80_notes.sql.

-- Registers a new business row in crm.records (BEFORE INSERT; the owner
-- role writes the registry, crm_app cannot).
CREATE OR REPLACE FUNCTION crm.register_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	IF NEW.id IS NULL THEN
		NEW.id := nextval('crm.record_id_seq');
	END IF;
	INSERT INTO crm.records (id, record_type, owner_id, team_id, deleted_at)
	VALUES (NEW.id, TG_ARGV[0], NEW.owner_id, NEW.team_id, NEW.deleted_at);
	RETURN NEW;
END
$function$;

-- Keeps crm.records' owner, team and deleted_at in step with the business
-- row (AFTER UPDATE of those columns; a trigger function, so crm_app
-- cannot call it with values of its own).
CREATE OR REPLACE FUNCTION crm.sync_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
BEGIN
	UPDATE crm.records SET owner_id = NEW.owner_id, team_id = NEW.team_id, deleted_at = NEW.deleted_at
	WHERE id = NEW.id
	  AND (owner_id, team_id, deleted_at) IS DISTINCT FROM (NEW.owner_id, NEW.team_id, NEW.deleted_at);
	RETURN NULL;
END
$function$;
COMMENT ON FUNCTION crm.sync_record() IS 'Trigger: copies a business row''s owner_id, team_id and deleted_at to its crm.records row, which the side tables'' row-level security tests.';

-- One line per business table: registry, versions, row-level security
-- and audit (its rows, and their subject following the record's owner and
-- team). p_skip names columns the audit trail leaves out (derived columns
-- and the bookkeeping every update changes).
CREATE OR REPLACE FUNCTION crm.attach_record(p_table regclass, p_type text, VARIADIC p_skip text[] DEFAULT '{}'::text[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	EXECUTE format('CREATE TRIGGER register_record BEFORE INSERT ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.register_record(%L)', p_table, p_type);
	EXECUTE format('CREATE TRIGGER touch_record BEFORE UPDATE ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.touch_record()', p_table);
	EXECUTE format('CREATE OR REPLACE TRIGGER sync_record AFTER UPDATE OF owner_id, team_id, deleted_at ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.sync_record()', p_table);
	PERFORM crm.attach_rls(p_table, p_type);
	PERFORM crm.attach_audit(p_table, p_type,
				 VARIADIC p_skip || ARRAY['version', 'updated_at', 'updated_by']);
	PERFORM crm.attach_audit_follow(p_table, p_type);
END
$function$;

-- The visibility test of a side row's record, as policy text: the record
-- (p_id_col) of the type p_type_col is visible in crm.records, whose own
-- policy tests its owner, team and shares against the user's scopes read
-- once per statement. One index probe and one test per row, whatever the
-- number of record types.
CREATE OR REPLACE FUNCTION crm.side_visible(p_id_col text, p_type_col text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT format('((SELECT crm.scope_all_types(''read'')) OR EXISTS (SELECT 1 FROM crm.records x WHERE x.id = %1$s AND x.record_type = %2$s))', p_id_col, p_type_col)
$function$;
COMMENT ON FUNCTION crm.side_visible(text,text) IS 'Policy text: the record a side row names (id column, type column) is visible to the acting user (crm.records'' row-level security).';

CREATE OR REPLACE FUNCTION crm.refresh_side_rls()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	s record;
	vis text;
	i int;
BEGIN
	-- crm.records: a record is visible when its type's read scope covers
	-- its owner or team, or it is shared with the user; purged records
	-- are not.
	DROP POLICY IF EXISTS select_scope ON crm.records;
	EXECUTE format('CREATE POLICY select_scope ON crm.records FOR SELECT TO crm_app USING '
		       '(purged_at IS NULL AND (%s OR id = ANY ((SELECT crm.shared_any(false))::bigint[])))',
		       crm.scope_test('read', 'records'));
	DROP POLICY IF EXISTS owner_all ON crm.records;
	CREATE POLICY owner_all ON crm.records TO crm_owner USING (true) WITH CHECK (true);
	FOR s IN SELECT * FROM crm_meta.side_tables LOOP
		vis := 'true';
		FOR i IN 1 .. cardinality(s.pairs) / 2 LOOP
			vis := vis || ' AND ' || crm.side_visible(s.pairs[2 * i - 1], s.pairs[2 * i]);
		END LOOP;
		EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', s.table_name);
		EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', s.table_name);
		EXECUTE format('DROP POLICY IF EXISTS select_scope ON %s', s.table_name);
		EXECUTE format('DROP POLICY IF EXISTS insert_scope ON %s', s.table_name);
		EXECUTE format('DROP POLICY IF EXISTS update_scope ON %s', s.table_name);
		EXECUTE format('DROP POLICY IF EXISTS delete_scope ON %s', s.table_name);
		EXECUTE format('DROP POLICY IF EXISTS owner_all ON %s', s.table_name);
		EXECUTE format('CREATE POLICY select_scope ON %s FOR SELECT TO crm_app USING (%s)', s.table_name, vis);
		-- One policy per writing command (a FOR ALL policy would also
		-- apply to SELECT, locking rows while reading).
		EXECUTE format('CREATE POLICY insert_scope ON %1$s FOR INSERT TO crm_app '
			       'WITH CHECK (crm.record_editable(%3$s, %2$s) AND %4$s)',
			       s.table_name, s.pairs[1], s.pairs[2], vis);
		EXECUTE format('CREATE POLICY update_scope ON %1$s FOR UPDATE TO crm_app USING (crm.record_editable(%3$s, %2$s)) '
			       'WITH CHECK (crm.record_editable(%3$s, %2$s) AND %4$s)',
			       s.table_name, s.pairs[1], s.pairs[2], vis);
		EXECUTE format('CREATE POLICY delete_scope ON %1$s FOR DELETE TO crm_app USING (crm.record_editable(%3$s, %2$s))',
			       s.table_name, s.pairs[1], s.pairs[2]);
		EXECUTE format('CREATE POLICY owner_all ON %s TO crm_owner USING (true) WITH CHECK (true)', s.table_name);
	END LOOP;
END
$function$;

-- A record's scope test for one action, as policy text over the columns
-- of a crm.records row (alias p_alias): the acting user's scope of that
-- action for the row's type, looked up in one JSON object read once per
-- statement (crm.action_scopes). Shares are not part of it.
CREATE OR REPLACE FUNCTION crm.scope_test(p_action text, p_alias text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT format('CASE (SELECT crm.action_scopes(%1$L)) ->> %2$s.record_type '
		      'WHEN ''all'' THEN true '
		      'WHEN ''own'' THEN %2$s.owner_id = (SELECT crm.acting_user()) '
		      'WHEN ''team'' THEN %2$s.owner_id = (SELECT crm.acting_user()) '
		      'OR %2$s.team_id = ANY ((SELECT crm.teams_of_scope(''team''))::bigint[]) '
		      'WHEN ''subteams'' THEN %2$s.owner_id = (SELECT crm.acting_user()) '
		      'OR %2$s.team_id = ANY ((SELECT crm.teams_of_scope(''subteams''))::bigint[]) '
		      'ELSE false END', p_action, p_alias)
$function$;
COMMENT ON FUNCTION crm.scope_test(text,text) IS 'Policy text: whether the acting user''s scope of an action covers a crm.records row (by its type, owner and team), with one lookup per row whatever the number of types.';

CREATE OR REPLACE FUNCTION crm.record_updatable(p_type text, p_id bigint)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
	SELECT EXISTS (SELECT 1 FROM crm.records x WHERE x.id = p_id AND x.record_type = p_type
		AND CASE (SELECT crm.action_scopes('update')) ->> x.record_type
			WHEN 'all' THEN true
			WHEN 'own' THEN x.owner_id = (SELECT crm.acting_user())
			WHEN 'team' THEN x.owner_id = (SELECT crm.acting_user())
				OR x.team_id = ANY ((SELECT crm.teams_of_scope('team'))::bigint[])
			WHEN 'subteams' THEN x.owner_id = (SELECT crm.acting_user())
				OR x.team_id = ANY ((SELECT crm.teams_of_scope('subteams'))::bigint[])
			ELSE false END)
$function$;
COMMENT ON FUNCTION crm.record_updatable(text,bigint) IS 'Whether the acting user may update a record by the matrix (shares do not count): who may share it. Tests crm.records'' owner and team, for every business type.';

-- Whether the acting user may see a record. Business records: their row
-- in crm.records is visible (the same test as their table's policy, on
-- the owner and team crm.records keeps in step); the administrative
-- types are spelled out.
CREATE OR REPLACE FUNCTION crm.record_visible(p_type text, p_id bigint)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	CASE p_type
	WHEN 'relation' THEN RETURN EXISTS (SELECT 1 FROM crm.relations WHERE id = p_id);
	WHEN 'user' THEN RETURN p_id = crm.acting_user();
	WHEN 'session' THEN RETURN EXISTS (SELECT 1 FROM crm.sessions WHERE id = p_id AND user_id = crm.acting_user());
	WHEN 'team', 'permission', 'role', 'field' THEN RETURN true;
	ELSE RETURN EXISTS (SELECT 1 FROM crm.records WHERE id = p_id AND record_type = p_type);
	END CASE;
END
$function$;
COMMENT ON FUNCTION crm.record_visible(text,bigint) IS 'Whether the acting user may see a record: a business record''s row in crm.records is visible (one test for every business type), or the rule of an administrative type.';

-- Every business type's JSON, as the column `json` of a view crm.<type>_out
-- (security_invoker: row-level security applies to whoever reads it) beside
-- the record's id. The fields every record shares (the protocol's
-- RecordMeta: id, version, owner, team, who and when, tags, custom values,
-- external_id; keys of the record's object, server/jsonmsg.h) are written
-- here once;
-- p_fields adds the type's own, as jsonb_build_object arguments over the
-- row r. Scalar subqueries, not function calls: planned once per
-- statement, with row-level security's per-statement checks run once per
-- statement instead of once per row.
CREATE OR REPLACE FUNCTION crm.create_record_view(p_type text, p_table regclass, p_fields text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
BEGIN
	EXECUTE format($v$
CREATE OR REPLACE VIEW crm.%1$s_out WITH (security_invoker = true) AS
SELECT r.id, jsonb_build_object(%1$L, jsonb_strip_nulls(jsonb_build_object(
	'id', r.id, 'version', r.version,
	'owner', (SELECT u.username FROM crm.users u WHERE u.id = r.owner_id),
	'team', (SELECT t.name FROM crm.teams t WHERE t.id = r.team_id),
	'created_at', crm.us(r.created_at),
	'created_by', (SELECT u.username FROM crm.users u WHERE u.id = r.created_by),
	'updated_at', crm.us(r.updated_at),
	'updated_by', (SELECT u.username FROM crm.users u WHERE u.id = r.updated_by),
	'deleted_at', crm.us(r.deleted_at),
	'tags', (SELECT jsonb_agg(g.tag ORDER BY g.tag_norm) FROM crm.record_tags g WHERE g.record_id = r.id),
	'custom', (SELECT jsonb_agg(jsonb_build_object('field', f.name, 'value',
			CASE f.kind WHEN 'number' THEN v.v_num::text
				    WHEN 'money' THEN round(v.v_num, (SELECT c.minor_units FROM crm.currencies c
								      WHERE c.code = v.v_currency))::text || ' ' || v.v_currency
				    WHEN 'date' THEN to_char(v.v_date, 'YYYY-MM-DD')
				    WHEN 'boolean' THEN v.v_bool::text
				    ELSE v.v_text END) ORDER BY f.name)
		   FROM crm.custom_values v JOIN crm.fields f ON f.id = v.field_id WHERE v.record_id = r.id),
	'external_id', r.external_id)
	|| jsonb_build_object(%3$s))) AS json
FROM %2$s r$v$, p_type, p_table, p_fields);
	EXECUTE format('COMMENT ON VIEW crm.%1$s_out IS %2$L', p_type,
		format('Each %s (row-level security of %s applies: security_invoker) as the JSON crmd turns into its message; made by crm.create_record_view.', p_type, p_table));
	EXECUTE format('COMMENT ON COLUMN crm.%s_out.id IS %L', p_type, 'The record''s id (crm.records).');
	EXECUTE format('COMMENT ON COLUMN crm.%s_out.json IS %L', p_type,
		'The record as a JSON object {"<type>": {...}}: the shared fields (id, version, owner, team, times, tags, custom, external_id) and the type''s own, names resolved.');
	EXECUTE format('GRANT SELECT ON crm.%s_out TO crm_app', p_type);
END
$function$;

-- The record views (0014 dropped the ones 0004 made). A new type calls
-- crm.create_record_view here with its own fields.
SELECT crm.create_record_view('account', 'crm.accounts', $f$
	'name', r.name, 'legal_name', r.legal_name, 'type', r.type, 'individual', r.individual,
	'industry', r.industry, 'region', r.region, 'tier', r.tier, 'website', r.website,
	'phone', r.phone,
	'billing_address', crm.address_json(r.billing_street, r.billing_city, r.billing_region,
					    r.billing_postal_code, r.billing_country),
	'shipping_address', crm.address_json(r.shipping_street, r.shipping_city, r.shipping_region,
					     r.shipping_postal_code, r.shipping_country),
	'parent_id', r.parent_id,
	'parent_name', (SELECT p.name FROM crm.accounts p WHERE p.id = r.parent_id),
	'annual_revenue', CASE WHEN r.annual_revenue IS NOT NULL THEN jsonb_build_object(
		'amount', round(r.annual_revenue, (SELECT c.minor_units FROM crm.currencies c
						   WHERE c.code = r.annual_revenue_currency))::text,
		'currency', r.annual_revenue_currency) END,
	'employees', r.employees, 'description', r.description$f$);

SELECT crm.create_record_view('contact', 'crm.contacts', $f$
	'given_name', r.given_name, 'family_name', r.family_name, 'name_order', r.name_order,
	'display_name', r.display_name, 'title', r.title,
	'emails', (SELECT jsonb_agg(jsonb_build_object('address', e.address, 'kind', e.kind,
						     'primary', e.is_primary) ORDER BY e.position)
		   FROM crm.contact_emails e WHERE e.contact_id = r.id),
	'phones', (SELECT jsonb_agg(jsonb_build_object('number', p.number, 'kind', p.kind,
						     'primary', p.is_primary, 'normalized', p.number_norm)
				    ORDER BY p.position)
		   FROM crm.contact_phones p WHERE p.contact_id = r.id),
	'birthday', CASE WHEN r.birthday_month IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
		'year', r.birthday_year, 'month', r.birthday_month, 'day', r.birthday_day)) END,
	'preferred_channel', r.preferred_channel,
	'do_not_contact', r.do_not_contact, 'do_not_contact_at', crm.us(r.do_not_contact_at),
	'marketing_opt_out', r.marketing_opt_out, 'marketing_opt_out_at', crm.us(r.marketing_opt_out_at),
	'preferences', (SELECT jsonb_agg(jsonb_build_object('key', k, 'value', v) ORDER BY k)
			FROM jsonb_each_text(r.preferences) AS pr(k, v)),
	'account_id', r.account_id,
	'account_name', (SELECT a.name FROM crm.accounts a WHERE a.id = r.account_id),
	'description', r.description$f$);

-- The change set d with its external_id (any type: RecordMeta) checked
-- and trimmed, blank meaning none. Unique per type among every row, the
-- deleted and the ones the user cannot see included (the table's unique
-- index would refuse it anyway): SECURITY DEFINER to look, answering only
-- whether another record of the type has it.
CREATE OR REPLACE FUNCTION crm.check_external_id(p_type text, p_id bigint, d jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
DECLARE
	t text := (SELECT r.table_name FROM crm.record_types r WHERE r.name = p_type);
	taken boolean;
BEGIN
	IF NOT d ? 'external_id' THEN
		RETURN d;
	END IF;
	d := crm.clean_text(d, '{external_id}', p_type || '.external_id', 255);
	IF d ->> 'external_id' IS NULL OR t IS NULL THEN
		RETURN d;
	END IF;
	EXECUTE format('SELECT EXISTS (SELECT FROM %s x WHERE x.external_id = $1 AND x.id IS DISTINCT FROM $2)', t::regclass)
	INTO taken USING d ->> 'external_id', p_id;
	IF taken THEN
		PERFORM crm.raise('CRE01', p_type || '.external_id', 'record.another_already_has_external_id', p_type::text, (d ->> 'external_id')::text);
	END IF;
	RETURN d;
END
$function$;
COMMENT ON FUNCTION crm.check_external_id(text,bigint,jsonb) IS 'Checks and trims a change set''s external_id and refuses one another record of the type has (CRE01), looking past row-level security; answers only yes or no.';

-- The fields to clear of a save (RecordUpdate.clear): those every type
-- has (tags, external_id, custom.NAME) and the type's own
-- (crm.record_types.clearable); INVALID_ARGUMENT on "clear" listing them
-- otherwise. The registry is read only for a field of the type's own.
CREATE OR REPLACE FUNCTION crm.check_clear(p_type text, clr text[])
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	own text[];
	c text;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		CONTINUE WHEN c IN ('tags', 'external_id') OR c LIKE 'custom.%';
		IF own IS NULL THEN
			own := coalesce((SELECT t.clearable FROM crm.record_types t WHERE t.name = p_type), '{}');
		END IF;
		IF c <> ALL (own) THEN
			PERFORM crm.raise('CRI01', 'clear', 'record.not_field_that_can_cleared', c::text, (CASE WHEN p_type ~ '^[aeiou]' THEN 'an ' ELSE 'a ' END || p_type)::text, array_to_string(own || '{tags,external_id,custom.NAME}'::text[], ', ')::text);
		END IF;
	END LOOP;
END
$function$;
COMMENT ON FUNCTION crm.check_clear(text,text[]) IS 'Refuses a field to clear that the type does not have or that cannot be cleared (INVALID_ARGUMENT on "clear", listing those that can): tags, external_id, custom.NAME, and crm.record_types.clearable.';

-- Whether making p_parent the parent of p_id closes a loop. Walks the
-- whole chain whatever the caller may see (SECURITY DEFINER), answering
-- only yes or no.
CREATE OR REPLACE FUNCTION crm.account_parent_loops(p_id bigint, p_parent bigint)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $function$
	WITH RECURSIVE up(id, depth) AS (
		SELECT p_parent, 0
		UNION ALL
		SELECT a.parent_id, up.depth + 1 FROM crm.accounts a JOIN up ON a.id = up.id
		WHERE a.parent_id IS NOT NULL AND up.depth < 1000)
	SELECT EXISTS (SELECT 1 FROM up WHERE id = p_id)
$function$;

-- Han, Kana or Hangul in a name → the family name comes first.
CREATE OR REPLACE FUNCTION crm.name_order_of(p_given text, p_family text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT CASE WHEN coalesce(p_family, '') || coalesce(p_given, '')
			 ~ '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]'
		    THEN 'eastern' ELSE 'western' END
$function$;

-- Replaces a contact's e-mail addresses or phone numbers with the list
-- given: validated, at most 20, exactly one primary (the first unless
-- one says so). Written only when it differs; trigger crm.audit_side
-- audits the rows.
CREATE OR REPLACE FUNCTION crm.save_contact_lists(p_id bigint, d jsonb, clr text[], p_creating boolean)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	old jsonb;
	new_ jsonb;
	e jsonb;
	i int;
	prim int;
	list text;
BEGIN
	FOREACH list IN ARRAY ARRAY['emails', 'phones'] LOOP
		CONTINUE WHEN NOT crm.given(d, list, clr);
		e := coalesce(d -> list, '[]');
		IF jsonb_array_length(e) > 20 THEN
			PERFORM crm.raise('CRI01', 'contact.' || list, 'record.list_at_most_20');
		END IF;
		SELECT count(*) FILTER (WHERE (x ->> 'primary')::boolean) INTO prim FROM jsonb_array_elements(e) x;
		IF prim > 1 THEN
			PERFORM crm.raise('CRI01', 'contact.' || list, 'record.only_one_primary');
		END IF;
		old := (SELECT v_.json -> 'contact' -> list FROM crm.contact_out v_ WHERE v_.id = p_id);
		new_ := (SELECT jsonb_agg(CASE WHEN list = 'emails' THEN jsonb_build_object('address', x ->> 'address',
				'kind', coalesce(x ->> 'kind', 'work'),
				'primary', CASE WHEN prim = 0 THEN ord = 1 ELSE coalesce((x ->> 'primary')::boolean, false) END)
			ELSE jsonb_build_object('number', x ->> 'number', 'kind', coalesce(x ->> 'kind', 'work'),
				'primary', CASE WHEN prim = 0 THEN ord = 1 ELSE coalesce((x ->> 'primary')::boolean, false) END,
				'normalized', crm.phone_norm(x ->> 'number')) END ORDER BY ord)
			 FROM jsonb_array_elements(e) WITH ORDINALITY AS t(x, ord));
		CONTINUE WHEN new_ IS NOT DISTINCT FROM old;
		IF list = 'emails' THEN
			DELETE FROM crm.contact_emails WHERE contact_id = p_id;
			FOR i IN 0 .. jsonb_array_length(e) - 1 LOOP
				IF coalesce(e -> i ->> 'kind', 'work') NOT IN ('work', 'home', 'other') THEN
					PERFORM crm.raise('CRI01', 'contact.emails.kind', 'record.not_one_work_home_other', (e -> i ->> 'kind')::text);
				END IF;
				INSERT INTO crm.contact_emails (contact_id, position, address, kind, is_primary)
				VALUES (p_id, i, crm.check_email(e -> i ->> 'address', 'contact.emails.address'),
					coalesce(e -> i ->> 'kind', 'work'),
					CASE WHEN prim = 0 THEN i = 0 ELSE coalesce((e -> i ->> 'primary')::boolean, false) END);
			END LOOP;
		ELSE
			DELETE FROM crm.contact_phones WHERE contact_id = p_id;
			FOR i IN 0 .. jsonb_array_length(e) - 1 LOOP
				IF coalesce(e -> i ->> 'kind', 'work') NOT IN ('work', 'mobile', 'home', 'fax', 'other') THEN
					PERFORM crm.raise('CRI01', 'contact.phones.kind', 'record.not_one_work_mobile_home', (e -> i ->> 'kind')::text);
				END IF;
				IF e -> i ->> 'number' IS NULL THEN
					PERFORM crm.raise('CRI01', 'contact.phones.number', 'value.required');
				END IF;
				INSERT INTO crm.contact_phones (contact_id, position, number, number_norm, kind, is_primary)
				VALUES (p_id, i, crm.check_phone(e -> i ->> 'number', 'contact.phones.number'),
					crm.phone_norm(e -> i ->> 'number'), coalesce(e -> i ->> 'kind', 'work'),
					CASE WHEN prim = 0 THEN i = 0 ELSE coalesce((e -> i ->> 'primary')::boolean, false) END);
			END LOOP;
		END IF;
	END LOOP;
END
$function$;

-- Makes p_account the contact's primary account: the primary
-- contact-to-account relation (created with role employee when missing)
-- and contacts.account_id. NULL removes the primary mark.
-- The caller keeps contacts.account_id in step.
CREATE OR REPLACE FUNCTION crm.set_primary_account(p_contact bigint, p_account bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
	UPDATE crm.relations SET is_primary = false
	WHERE from_id = p_contact AND is_primary AND to_id IS DISTINCT FROM p_account;
	IF p_account IS NOT NULL THEN
		UPDATE crm.relations SET is_primary = true
		WHERE id = (SELECT id FROM crm.relations WHERE from_id = p_contact AND to_id = p_account
			    ORDER BY (role = 'employee') DESC, id LIMIT 1) AND NOT is_primary;
		IF NOT EXISTS (SELECT 1 FROM crm.relations WHERE from_id = p_contact AND to_id = p_account) THEN
			INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role, is_primary)
			VALUES (p_contact, 'contact', p_account, 'account', 'employee', true);
		END IF;
	END IF;
END
$function$;

-- The explicit scope test of an action (row-level security's UPDATE
-- policy admits update, delete and reassign scopes alike).
CREATE OR REPLACE FUNCTION crm.scope_cond(p_type text, p_action text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT format('(owner_id = (SELECT crm.scope_own(%1$L, %2$L)) OR (SELECT crm.scope_all(%1$L, %2$L)) '
		      'OR team_id = ANY ((SELECT crm.scope_teams(%1$L, %2$L))::bigint[]))', p_type, p_action)
$function$;

CREATE OR REPLACE FUNCTION crm.record_set_deleted(p_type text, p_id bigint, p_deleted boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := crm.business_table(p_type);
BEGIN
	IF crm.record_mark_deleted(p_type, p_id, p_deleted) = 0 THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, CASE WHEN p_deleted THEN 'delete' ELSE 'restore' END);
	END IF;
	RETURN crm.record_get(p_type, p_id);
END
$function$;

CREATE OR REPLACE FUNCTION crm.record_purge(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := crm.business_table(p_type);
BEGIN
	IF NOT crm.record_exists(p_type, p_id) THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type::text, p_id::text);
	END IF;
	PERFORM crm.purge_record(p_type, p_id);
END
$function$;

CREATE OR REPLACE FUNCTION crm.record_list(p_type text, p_filters jsonb, p_sort jsonb, p_after text, p_limit integer, p_deleted boolean, p_export boolean DEFAULT false)
 RETURNS TABLE(json text, sort_key text)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	q record;
BEGIN
	SELECT * INTO q FROM crm.record_list_sql(p_type, p_filters, p_sort, p_after, p_limit, p_deleted, false, p_export);
	RETURN QUERY EXECUTE q.sql USING q.params;
END
$function$;

CREATE OR REPLACE FUNCTION crm.record_count(p_type text, p_filters jsonb, p_deleted boolean, p_export boolean DEFAULT false)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	q record;
	n bigint;
BEGIN
	SELECT * INTO q FROM crm.record_list_sql(p_type, p_filters, NULL, NULL, 1, p_deleted, true, p_export);
	EXECUTE q.sql INTO n USING q.params;
	RETURN n;
END
$function$;

-- Every update of a business row: next version, who and when, unless
-- nothing but the bookkeeping would change (an edit that changes nothing
-- changes nothing). A caller that changed only side rows (tags, e-mail
-- addresses, custom values) bumps the version explicitly
-- (SET version = version + 1).
CREATE OR REPLACE FUNCTION crm.touch_record()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	skip text[] := ARRAY['version', 'updated_at', 'updated_by']
		       || ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = TG_RELID AND a.attgenerated <> '');
BEGIN
	-- generated columns are not computed yet in a BEFORE trigger: they
	-- follow the others, so comparing the others is enough
	IF NEW.version = OLD.version
	   AND to_jsonb(NEW) - skip = to_jsonb(OLD) - skip THEN
		NEW.updated_at := OLD.updated_at;
		NEW.updated_by := OLD.updated_by;
		RETURN NEW;
	END IF;
	NEW.version := OLD.version + 1;
	NEW.updated_at := now();
	NEW.updated_by := crm.acting_user();
	RETURN NEW;
END
$function$;

-- Why a record could not be changed: not visible (NOT_FOUND, saying
-- nothing about whether it exists), deleted (FAILED_PRECONDITION), a
-- version that is stale or never existed (CONFLICT), or visible but
-- outside the action's scope (PERMISSION_DENIED, saying whose it is and
-- what the role may do).
CREATE OR REPLACE FUNCTION crm.record_refuse(p_type text, p_id bigint, p_version bigint, p_action text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	v bigint;
	del boolean;
	own text;
	team text;
	sc text := crm.scope_of(p_type, CASE WHEN p_action IN ('restore', 'delete') THEN 'delete'
					  WHEN p_action = 'reassign' THEN 'reassign' ELSE 'update' END);
BEGIN
	SELECT x.version, x.deleted, x.owner, x.team INTO v, del, own, team FROM crm.record_state(p_type, p_id) x;
	IF v IS NULL THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', p_type::text, p_id::text);
	ELSIF del AND p_action = 'delete' THEN
		PERFORM crm.raise('CRF01', 'id', 'record.already_deleted', p_type::text, p_id::text);
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.raise('CRF01', 'id', 'record.deleted_crm_restore', p_type::text, p_id::text, p_type::text, p_id::text);
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.raise('CRF01', 'id', 'record.not_deleted', p_type::text, p_id::text);
	ELSIF p_version IS NOT NULL AND p_version > v THEN
		PERFORM crm.raise('CRC01', 'version', 'record.version_unknown', p_type::text, p_id::text, p_version::text, v::text);
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.raise('CRC01', 'version', 'record.version_conflict', p_type::text, p_id::text, p_version::text, v::text);
	END IF;
	PERFORM crm.raise('CRP01', NULL, 'record.denied_scope', p_type::text, p_id::text, coalesce(own, 'nobody')::text, coalesce(team, 'none')::text, (CASE WHEN sc = 'none' THEN format('your role may not %s %ss', p_action, p_type)
		     ELSE format('your role may %s only %s', p_action,
				 CASE sc WHEN 'own' THEN 'records you own'
					 WHEN 'team' THEN 'records of your team and the teams you manage'
					 WHEN 'subteams' THEN 'records of your teams and the teams below them'
					 ELSE 'records in its scope' END
				 || CASE WHEN p_action = 'update' THEN ' and records shared with you for editing' ELSE '' END) END)::text);
END
$function$;

CREATE OR REPLACE FUNCTION crm.check_parent(p_id bigint, p_parent bigint)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_parent IS NULL THEN
		RETURN NULL;
	END IF;
	IF p_parent = p_id THEN
		PERFORM crm.raise('CRI01', 'account.parent_id', 'record.account_cannot_own_parent_account', p_id::text);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.accounts WHERE id = p_parent AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'account.parent_id', 'record.no_account_parent', p_parent::text);
	END IF;
	IF p_id IS NOT NULL AND crm.account_parent_loops(p_id, p_parent) THEN
		PERFORM crm.raise('CRI01', 'account.parent_id', 'record.account_below_account_parent_not', p_parent::text, p_id::text);
	END IF;
	RETURN p_parent;
END
$function$;

-- The account's save function (crm.record_types.save_function): its own
-- columns from a change set (the Account message as JSON, external_id
-- already checked) and a list of fields to clear, the rest being
-- crm.record_save's. Creates (p_id NULL) or updates the account
-- crm.record_save has checked and locked; returns its id. An address in
-- the change set changes only the parts it holds.
CREATE OR REPLACE FUNCTION crm.account_save(p_id bigint, d jsonb, clr text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.accounts;
	b jsonb;
	s jsonb;
	rev numeric;
	cur text;
	id_ bigint := p_id;
BEGIN
	IF NOT creating THEN
		SELECT * INTO o FROM crm.accounts WHERE id = p_id;
	END IF;
	d := crm.clean_text(d, '{name}', 'account.name', 255, creating OR d ? 'name');
	d := crm.clean_text(d, '{legal_name}', 'account.legal_name', 255);
	d := crm.clean_text(d, '{website}', 'account.website', 2048);
	d := crm.clean_text(d, '{phone}', 'account.phone', 64);
	d := crm.clean_text(d, '{description}', 'account.description', 32768, false, true);
	d := crm.clean_address(d, 'billing_address', 'account.billing_address');
	d := crm.clean_address(d, 'shipping_address', 'account.shipping_address');
	IF d ? 'industry' THEN
		d := jsonb_set(d, '{industry}', to_jsonb(crm.check_picklist('industry', d ->> 'industry', 'account.industry', o.industry)));
	END IF;
	IF d ? 'region' THEN
		d := jsonb_set(d, '{region}', to_jsonb(crm.check_picklist('region', d ->> 'region', 'account.region', o.region)));
	END IF;
	IF d ? 'tier' THEN
		d := jsonb_set(d, '{tier}', to_jsonb(crm.check_picklist('tier', d ->> 'tier', 'account.tier', o.tier)));
	END IF;
	b := coalesce(d -> 'billing_address', '{}');
	s := coalesce(d -> 'shipping_address', '{}');
	PERFORM crm.check_phone(d ->> 'phone', 'account.phone');
	IF (d ->> 'employees')::numeric NOT BETWEEN 0 AND 100000000 THEN
		PERFORM crm.raise('CRI01', 'account.employees', 'record.employees_must_between_not', (d ->> 'employees')::text);
	END IF;
	IF d ? 'annual_revenue' THEN
		SELECT x.amount, x.currency INTO rev, cur
		FROM crm.check_money(d -> 'annual_revenue' ->> 'amount', d -> 'annual_revenue' ->> 'currency',
				     'account.annual_revenue') x;
		IF rev < 0 THEN
			PERFORM crm.raise('CRI01', 'account.annual_revenue.amount', 'record.annual_revenue_must_not_negative');
		END IF;
	END IF;
	IF creating THEN
		INSERT INTO crm.accounts (owner_id, team_id, created_by, updated_by, name, legal_name, type,
			individual, industry, region, tier, website, phone, phone_norm,
			billing_street, billing_city, billing_region, billing_postal_code, billing_country,
			shipping_street, shipping_city, shipping_region, shipping_postal_code, shipping_country,
			parent_id, annual_revenue, annual_revenue_currency, employees, description, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'name', d ->> 'legal_name', coalesce(d ->> 'type', 'prospect'),
			coalesce((d ->> 'individual')::boolean, false), d ->> 'industry', d ->> 'region', d ->> 'tier',
			d ->> 'website', d ->> 'phone', crm.phone_norm(d ->> 'phone'),
			b ->> 'street', b ->> 'city', b ->> 'region', b ->> 'postal_code', b ->> 'country',
			s ->> 'street', s ->> 'city', s ->> 'region', s ->> 'postal_code', s ->> 'country',
			crm.check_parent(NULL, (d ->> 'parent_id')::bigint), rev, cur,
			(d ->> 'employees')::bigint, d ->> 'description', d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		IF d ? 'parent_id' THEN
			PERFORM crm.check_parent(p_id, (d ->> 'parent_id')::bigint);
		END IF;
		UPDATE crm.accounts SET
			name = coalesce(d ->> 'name', name),
			legal_name = crm.pick(d, 'legal_name', clr, legal_name),
			type = coalesce(d ->> 'type', type),
			individual = coalesce((d ->> 'individual')::boolean, individual),
			industry = crm.pick(d, 'industry', clr, industry),
			region = crm.pick(d, 'region', clr, region),
			tier = crm.pick(d, 'tier', clr, tier),
			website = crm.pick(d, 'website', clr, website),
			phone = crm.pick(d, 'phone', clr, phone),
			phone_norm = CASE WHEN crm.given(d, 'phone', clr) THEN crm.phone_norm(crm.pick(d, 'phone', clr, phone))
					  ELSE phone_norm END,
			billing_street = crm.address_part(d, 'billing_address', 'street', clr, billing_street),
			billing_city = crm.address_part(d, 'billing_address', 'city', clr, billing_city),
			billing_region = crm.address_part(d, 'billing_address', 'region', clr, billing_region),
			billing_postal_code = crm.address_part(d, 'billing_address', 'postal_code', clr, billing_postal_code),
			billing_country = crm.address_part(d, 'billing_address', 'country', clr, billing_country),
			shipping_street = crm.address_part(d, 'shipping_address', 'street', clr, shipping_street),
			shipping_city = crm.address_part(d, 'shipping_address', 'city', clr, shipping_city),
			shipping_region = crm.address_part(d, 'shipping_address', 'region', clr, shipping_region),
			shipping_postal_code = crm.address_part(d, 'shipping_address', 'postal_code', clr, shipping_postal_code),
			shipping_country = crm.address_part(d, 'shipping_address', 'country', clr, shipping_country),
			parent_id = crm.pick(d, 'parent_id', clr, parent_id::text)::bigint,
			annual_revenue = CASE WHEN crm.given(d, 'annual_revenue', clr) THEN rev ELSE annual_revenue END,
			annual_revenue_currency = CASE WHEN crm.given(d, 'annual_revenue', clr) THEN cur ELSE annual_revenue_currency END,
			employees = crm.pick(d, 'employees', clr, employees::text)::bigint,
			description = crm.pick(d, 'description', clr, description),
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	RETURN id_;
END
$function$;

-- Replaces a record's tags when the change set names them (only the
-- difference is written; trigger crm.audit_side audits it). Tags are
-- single-line text, trimmed; the same tag twice (ignoring case) counts once.
CREATE OR REPLACE FUNCTION crm.save_tags(p_type text, p_id bigint, d jsonb, clr text[], p_creating boolean)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	want text[] := '{}';
	t text;
BEGIN
	IF NOT crm.given(d, 'tags', clr) THEN
		RETURN;
	END IF;
	FOR t IN SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]')) LOOP
		t := crm.check_text(t, p_type || '.tags', 64, true);
		IF lower(normalize(t, NFKC)) <> ALL (ARRAY(SELECT lower(normalize(x, NFKC)) FROM unnest(want) x)) THEN
			want := want || t;
		END IF;
	END LOOP;
	IF cardinality(want) > 50 THEN
		PERFORM crm.raise('CRI01', p_type || '.tags', 'record.record_has_at_most_tags', cardinality(want)::text);
	END IF;
	DELETE FROM crm.record_tags
	WHERE record_id = p_id AND tag_norm <> ALL (ARRAY(SELECT lower(normalize(x, NFKC)) FROM unnest(want) x));
	INSERT INTO crm.record_tags (record_id, record_type, tag)
	SELECT p_id, p_type, x FROM unnest(want) x
	ON CONFLICT DO NOTHING;
END
$function$;

CREATE OR REPLACE FUNCTION crm.check_birthday(b jsonb)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	y numeric := (b ->> 'year')::numeric;
	m numeric := (b ->> 'month')::numeric;
	dd numeric := (b ->> 'day')::numeric;
	this_year int := extract(year FROM now())::int;
BEGIN
	IF b IS NULL THEN
		RETURN;
	END IF;
	IF m IS NULL OR m NOT BETWEEN 1 AND 12 THEN
		PERFORM crm.raise('CRI01', 'contact.birthday.month', 'record.birthday_month_must_between_not', coalesce(m::text, 'missing')::text);
	END IF;
	IF y IS NOT NULL AND y NOT BETWEEN 1850 AND this_year THEN
		PERFORM crm.raise('CRI01', 'contact.birthday.year', 'record.birthday_year_must_between_not', this_year::text, y::text);
	END IF;
	IF dd IS NULL OR dd < 1 OR dd > 31
	   OR dd > extract(day FROM make_date(coalesce(y, 2000)::int, m::int, 1) + interval '1 month - 1 day') THEN
		PERFORM crm.raise('CRI01', 'contact.birthday.day', 'record.birthday_day_has_no_day', coalesce(y::text, '----')::text, lpad(m::text, 2, '0')::text, coalesce(dd::text, 'missing')::text);
	END IF;
END
$function$;

-- Preferences: a list of {key, value} → one JSON object (keys unique,
-- trimmed single-line text).
CREATE OR REPLACE FUNCTION crm.check_preferences(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
DECLARE
	o jsonb := '{}';
	e jsonb;
	k text;
BEGIN
	IF jsonb_array_length(p) > 50 THEN
		PERFORM crm.raise('CRI01', 'contact.preferences', 'record.contact_has_at_most_preferences', jsonb_array_length(p)::text);
	END IF;
	FOR e IN SELECT jsonb_array_elements(p) LOOP
		k := crm.check_text(e ->> 'key', 'contact.preferences.key', 64, true);
		IF o ? k THEN
			PERFORM crm.raise('CRI01', 'contact.preferences.key', 'record.preference_given_twice', k::text);
		END IF;
		o := o || jsonb_build_object(k, coalesce(crm.check_text(e ->> 'value', 'contact.preferences.value', 1024), ''));
	END LOOP;
	RETURN o;
END
$function$;

-- A contact's e-mail addresses or phone numbers (list = emails / phones)
-- after the edits of a RecordUpdate: the current list, then remove_<list>
-- (each must be there), then add_<list> (one already there is kept; its
-- kind and primary flag are updated when given), then primary_email /
-- primary_phone. Addresses match ignoring case, numbers by their normal
-- form. The result is the whole list, as if the client had sent it.
CREATE OR REPLACE FUNCTION crm.edit_contact_list(p_id bigint, list text, ops jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	is_email boolean := list = 'emails';
	k text := CASE WHEN is_email THEN 'address' ELSE 'number' END;
	cur jsonb := coalesce((SELECT v_.json -> 'contact' -> list FROM crm.contact_out v_ WHERE v_.id = p_id), '[]');
	x jsonb;
	r text;
	want text;
	i int;
	found_ boolean;
	prim text := ops ->> CASE WHEN is_email THEN 'primary_email' ELSE 'primary_phone' END;
BEGIN
	cur := coalesce((SELECT jsonb_agg(e - 'normalized') FROM jsonb_array_elements(cur) e), '[]');
	FOR r IN SELECT jsonb_array_elements_text(coalesce(ops -> ('remove_' || list), '[]')) LOOP
		want := CASE WHEN is_email THEN lower(btrim(r)) ELSE crm.phone_norm(r) END;
		x := (SELECT jsonb_agg(e) FROM jsonb_array_elements(cur) e
		      WHERE CASE WHEN is_email THEN lower(e ->> k) ELSE crm.phone_norm(e ->> k) END IS DISTINCT FROM want);
		IF jsonb_array_length(coalesce(x, '[]')) = jsonb_array_length(cur) THEN
			PERFORM crm.raise('CRI01', 'remove_' || list, 'record.contact_has_no_has', p_id::text, (CASE WHEN is_email THEN 'e-mail address' ELSE 'phone number' END)::text, r::text, coalesce((SELECT string_agg(e ->> k, ', ') FROM jsonb_array_elements(cur) e), 'none')::text);
		END IF;
		cur := coalesce(x, '[]');
	END LOOP;
	-- the primary goes with a removed entry: the first one left takes it
	IF jsonb_array_length(cur) > 0 AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(cur) e WHERE (e ->> 'primary')::boolean) THEN
		cur := jsonb_set(cur, '{0,primary}', 'true');
	END IF;
	FOR x IN SELECT jsonb_array_elements(coalesce(ops -> ('add_' || list), '[]')) LOOP
		want := CASE WHEN is_email THEN lower(btrim(x ->> k)) ELSE crm.phone_norm(x ->> k) END;
		found_ := false;
		FOR i IN 0 .. jsonb_array_length(cur) - 1 LOOP
			IF (CASE WHEN is_email THEN lower(cur -> i ->> k) ELSE crm.phone_norm(cur -> i ->> k) END) = want THEN
				found_ := true;
				IF x ? 'kind' THEN
					cur := jsonb_set(cur, ARRAY[i::text, 'kind'], x -> 'kind');
				END IF;
				IF (x ->> 'primary')::boolean THEN
					prim := x ->> k;
				END IF;
			END IF;
		END LOOP;
		IF NOT found_ THEN
			cur := cur || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(k, btrim(x ->> k), 'kind', x -> 'kind', 'primary', false)));
			IF (x ->> 'primary')::boolean OR jsonb_array_length(cur) = 1 THEN
				prim := x ->> k;
			END IF;
		END IF;
	END LOOP;
	IF prim IS NOT NULL THEN
		want := CASE WHEN is_email THEN lower(btrim(prim)) ELSE crm.phone_norm(prim) END;
		IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(cur) e
			       WHERE CASE WHEN is_email THEN lower(e ->> k) ELSE crm.phone_norm(e ->> k) END = want) THEN
			PERFORM crm.raise('CRI01', CASE WHEN is_email THEN 'primary_email' ELSE 'primary_phone' END, 'record.contact_has_no_make_primary', p_id::text, (CASE WHEN is_email THEN 'e-mail address' ELSE 'phone number' END)::text, prim::text, coalesce((SELECT string_agg(e ->> k, ', ') FROM jsonb_array_elements(cur) e), 'none')::text);
		END IF;
		cur := (SELECT jsonb_agg(jsonb_set(e, '{primary}', to_jsonb(CASE WHEN is_email THEN lower(e ->> k) ELSE crm.phone_norm(e ->> k) END = want))
				ORDER BY o) FROM jsonb_array_elements(cur) WITH ORDINALITY AS t(e, o));
	END IF;
	RETURN cur;
END
$function$;

-- The contact's save function, as crm.account_save is the account's: its
-- own columns, its primary account, its e-mail addresses and phone
-- numbers; returns its id.
CREATE OR REPLACE FUNCTION crm.contact_save(p_id bigint, d jsonb, clr text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.contacts;
	id_ bigint := p_id;
	bd jsonb;
	prefs jsonb;
BEGIN
	IF NOT creating THEN
		SELECT * INTO o FROM crm.contacts WHERE id = p_id;
	END IF;
	d := crm.clean_text(d, '{given_name}', 'contact.given_name', 255);
	d := crm.clean_text(d, '{family_name}', 'contact.family_name', 255);
	d := crm.clean_text(d, '{title}', 'contact.title', 255);
	d := crm.clean_text(d, '{description}', 'contact.description', 32768, false, true);
	bd := d -> 'birthday';
	PERFORM crm.check_birthday(bd);
	IF d ? 'preferences' THEN
		prefs := crm.check_preferences(d -> 'preferences');
	END IF;
	IF coalesce(crm.pick(d, 'given_name', clr, o.given_name), '') = ''
	   AND coalesce(crm.pick(d, 'family_name', clr, o.family_name), '') = '' THEN
		PERFORM crm.raise('CRI01', CASE WHEN d ? 'given_name' OR 'given_name' = ANY (clr) THEN 'contact.given_name' ELSE 'contact.family_name' END, 'record.contact_needs_given_name_family');
	END IF;
	IF d ? 'account_id' AND NOT EXISTS (SELECT 1 FROM crm.accounts
					   WHERE id = (d ->> 'account_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.raise('CRN01', 'contact.account_id', 'record.no_account', (d ->> 'account_id')::text);
	END IF;
	IF creating THEN
		INSERT INTO crm.contacts (owner_id, team_id, created_by, updated_by, given_name, family_name,
			name_order, title, birthday_year, birthday_month, birthday_day, preferred_channel,
			do_not_contact, do_not_contact_at, marketing_opt_out, marketing_opt_out_at, preferences,
			description, account_id, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'given_name', d ->> 'family_name',
			coalesce(d ->> 'name_order', crm.name_order_of(d ->> 'given_name', d ->> 'family_name')),
			d ->> 'title', (bd ->> 'year')::smallint, (bd ->> 'month')::smallint, (bd ->> 'day')::smallint,
			d ->> 'preferred_channel',
			coalesce((d ->> 'do_not_contact')::boolean, false),
			CASE WHEN (d ->> 'do_not_contact')::boolean THEN now() END,
			coalesce((d ->> 'marketing_opt_out')::boolean, false),
			CASE WHEN (d ->> 'marketing_opt_out')::boolean THEN now() END,
			coalesce(prefs, '{}'), d ->> 'description', (d ->> 'account_id')::bigint, d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.contacts SET
			given_name = crm.pick(d, 'given_name', clr, given_name),
			family_name = crm.pick(d, 'family_name', clr, family_name),
			name_order = CASE WHEN d ? 'name_order' THEN d ->> 'name_order'
					  WHEN d ? 'given_name' OR d ? 'family_name' THEN crm.name_order_of(
						crm.pick(d, 'given_name', clr, given_name), crm.pick(d, 'family_name', clr, family_name))
					  ELSE name_order END,
			title = crm.pick(d, 'title', clr, title),
			birthday_year = CASE WHEN crm.given(d, 'birthday', clr) THEN (bd ->> 'year')::smallint ELSE birthday_year END,
			birthday_month = CASE WHEN crm.given(d, 'birthday', clr) THEN (bd ->> 'month')::smallint ELSE birthday_month END,
			birthday_day = CASE WHEN crm.given(d, 'birthday', clr) THEN (bd ->> 'day')::smallint ELSE birthday_day END,
			preferred_channel = crm.pick(d, 'preferred_channel', clr, preferred_channel),
			do_not_contact = coalesce((d ->> 'do_not_contact')::boolean, do_not_contact),
			do_not_contact_at = CASE WHEN NOT d ? 'do_not_contact' THEN do_not_contact_at
						 WHEN (d ->> 'do_not_contact')::boolean THEN coalesce(do_not_contact_at, now()) END,
			marketing_opt_out = coalesce((d ->> 'marketing_opt_out')::boolean, marketing_opt_out),
			marketing_opt_out_at = CASE WHEN NOT d ? 'marketing_opt_out' THEN marketing_opt_out_at
						    WHEN (d ->> 'marketing_opt_out')::boolean THEN coalesce(marketing_opt_out_at, now()) END,
			preferences = CASE WHEN crm.given(d, 'preferences', clr) THEN coalesce(prefs, '{}') ELSE preferences END,
			account_id = CASE WHEN crm.given(d, 'account_id', clr) THEN (d ->> 'account_id')::bigint ELSE account_id END,
			description = crm.pick(d, 'description', clr, description),
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	IF crm.given(d, 'account_id', clr) THEN
		PERFORM crm.set_primary_account(id_, (d ->> 'account_id')::bigint);
	END IF;
	PERFORM crm.save_contact_lists(id_, d, clr, creating);
	RETURN id_;
END
$function$;

-- A record's JSON without what every write changes (to tell whether an
-- edit changed anything).
CREATE OR REPLACE FUNCTION crm.record_content(p jsonb)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT (SELECT jsonb_object_agg(k, v - '{version,updated_at,updated_by}'::text[]) FROM jsonb_each(p) AS e(k, v))
$function$;

-- The content of a record's side rows (tags, custom values, a contact's
-- e-mail addresses and phone numbers), to tell whether a save changed them
-- without rendering the whole record before it; NULL when the change set d
-- and the fields to clear clr name none of them, so that the save cannot
-- change them. A type whose save writes other side rows adds them here.
CREATE OR REPLACE FUNCTION crm.record_sides(p_type text, p_id bigint, d jsonb, clr text[])
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF NOT (d ?| ARRAY['tags', 'custom', 'emails', 'phones'] OR clr && ARRAY['tags', 'emails', 'phones']
		OR EXISTS (SELECT FROM unnest(clr) c WHERE c LIKE 'custom.%')) THEN
		RETURN NULL;
	END IF;
	RETURN jsonb_build_array(
		(SELECT jsonb_agg(g.tag ORDER BY g.tag_norm) FROM crm.record_tags g WHERE g.record_id = p_id),
		(SELECT jsonb_agg(to_jsonb(v) - 'v_num_key' ORDER BY v.field_id) FROM crm.custom_values v WHERE v.record_id = p_id),
		CASE WHEN p_type = 'contact' THEN jsonb_build_array(
			(SELECT jsonb_agg(to_jsonb(e) ORDER BY e.position) FROM crm.contact_emails e WHERE e.contact_id = p_id),
			(SELECT jsonb_agg(to_jsonb(x) ORDER BY x.position) FROM crm.contact_phones x WHERE x.contact_id = p_id)) END);
END
$function$;
COMMENT ON FUNCTION crm.record_sides(text,bigint,jsonb,text[]) IS 'The content of a record''s side rows (tags, custom values, a contact''s e-mail addresses and phone numbers) as JSON, to tell whether a save changed them; NULL when the change set and the fields to clear name none of them.';

-- The RecordUpdate's edits of repeated fields folded into the change set
-- as whole lists: add_tags / remove_tags (any type), add_emails /
-- remove_emails / primary_email and add_phones / remove_phones /
-- primary_phone (contacts). A list given whole and edited is a mistake.
CREATE OR REPLACE FUNCTION crm.apply_edits(t text, p_id bigint, d jsonb, ops jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	cur text[];
	x text;
	want text;
	l text;
BEGIN
	IF ops ? 'add_tags' OR ops ? 'remove_tags' THEN
		IF d ? 'tags' THEN
			PERFORM crm.raise('CRI01', 'add_tags', 'record.give_whole_tag_list_tags');
		END IF;
		cur := ARRAY(SELECT tag FROM crm.record_tags WHERE record_id = p_id ORDER BY tag_norm);
		FOR x IN SELECT jsonb_array_elements_text(coalesce(ops -> 'remove_tags', '[]')) LOOP
			want := lower(normalize(btrim(x), NFKC));
			IF want <> ALL (ARRAY(SELECT lower(normalize(y, NFKC)) FROM unnest(cur) y)) THEN
				PERFORM crm.raise('CRI01', 'remove_tags', 'record.has_no_tag_tags', t::text, p_id::text, x::text, coalesce(nullif(array_to_string(cur, ', '), ''), 'none')::text);
			END IF;
			cur := ARRAY(SELECT y FROM unnest(cur) y WHERE lower(normalize(y, NFKC)) <> want);
		END LOOP;
		cur := cur || ARRAY(SELECT jsonb_array_elements_text(coalesce(ops -> 'add_tags', '[]')));
		d := d || jsonb_build_object('tags', to_jsonb(cur));
	END IF;
	FOREACH l IN ARRAY ARRAY['emails', 'phones'] LOOP
		CONTINUE WHEN NOT (ops ? ('add_' || l) OR ops ? ('remove_' || l)
				   OR ops ? CASE l WHEN 'emails' THEN 'primary_email' ELSE 'primary_phone' END);
		IF t <> 'contact' THEN
			PERFORM crm.raise('CRI01', 'add_' || l, 'record.only_contacts_have', l::text);
		END IF;
		IF d ? l THEN
			PERFORM crm.raise('CRI01', 'add_' || l, 'record.give_whole_list_add__remove_', l::text, l::text, l::text);
		END IF;
		d := d || jsonb_build_object(l, crm.edit_contact_list(p_id, l, ops));
	END LOOP;
	RETURN d;
END
$function$;

-- p is the RecordUpdate as JSON ({"changes": {"account": {...}},
-- "add_tags": [...], ...}) or, from an older crmd, only the Record
-- ({"account": {...}}). An edit that changes nothing changes nothing: no
-- new version, no updated_at, no audit row. An edit of side rows only
-- (tags, custom values, e-mail addresses) gives the record a new version.
-- p_version is the version the client read: a stale one is CONFLICT. An
-- update made of list edits alone (add_X, remove_X, primary_X, no field
-- set or cleared) may leave it NULL: those apply to the lists as they are
-- when the update runs, with the record's row locked first so that
-- concurrent ones all land; anything else without it is refused. A
-- task's update may carry "log", an interaction to create in the same
-- transaction (crm.interaction_log, modules/82_history.sql).
CREATE OR REPLACE FUNCTION crm.record_update(p_id bigint, p_version bigint, p jsonb, p_clear text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text;
	del boolean;
	ops jsonb := '{}';
	kind text;
	before jsonb;
	after jsonb;
	bump boolean;
	log jsonb;
BEGIN
	-- crm.records' row-level security: NULL unless the record is visible
	-- (what crm.record_visible tests)
	SELECT r.record_type, r.deleted_at IS NOT NULL INTO t, del FROM crm.records r WHERE r.id = p_id;
	IF p ? 'changes' THEN
		ops := p - 'changes';
		p := p -> 'changes';
	END IF;
	log := ops -> 'log';
	ops := ops - 'log';
	kind := crm.record_kind(p);
	IF p_version IS NULL
	   AND NOT (p -> kind = '{}' AND cardinality(coalesce(p_clear, '{}')) = 0
		    AND ops ?| ARRAY['add_tags', 'remove_tags', 'add_emails', 'remove_emails',
				     'add_phones', 'remove_phones', 'primary_email', 'primary_phone']) THEN
		PERFORM crm.raise('CRI01', 'version', 'record.version_required');
	END IF;
	IF kind IS NULL OR kind IS DISTINCT FROM t THEN
		PERFORM crm.raise('CRN01', 'id', 'record.not_found', coalesce(kind, 'record')::text, p_id::text);
	END IF;
	IF p_version IS NULL THEN
		-- a concurrent list edit waits here, then reads the lists this one wrote
		PERFORM crm.record_lock(t, p_id);
		before := crm.record_get(t, p_id);
		del := before -> t ? 'deleted_at';
	END IF;
	IF del THEN
		PERFORM crm.record_refuse(t, p_id, p_version, 'update');
	END IF;
	p := jsonb_build_object(t, crm.apply_edits(t, p_id, p -> t, ops));
	IF p_version IS NOT NULL THEN
		-- a save that succeeds started from p_version (else CONFLICT): only
		-- the side rows need reading before it
		before := crm.record_sides(t, p_id, p -> t, coalesce(p_clear, '{}'));
	END IF;
	after := crm.record_save(t, p_id, p_version, p -> t, coalesce(p_clear, '{}'));
	IF p_version IS NULL THEN
		bump := (after -> t -> 'version') = (before -> t -> 'version')
			AND crm.record_content(after) IS DISTINCT FROM crm.record_content(before);
	ELSE
		bump := before IS NOT NULL AND (after -> t ->> 'version')::bigint = p_version
			AND crm.record_sides(t, p_id, p -> t, coalesce(p_clear, '{}')) IS DISTINCT FROM before;
	END IF;
	IF bump THEN
		PERFORM crm.record_bump(t, p_id);
		after := crm.record_get(t, p_id);
	END IF;
	IF log IS NOT NULL THEN
		after := crm.interaction_log(t, after, log);
	END IF;
	RETURN after;
END
$function$;

-- Reassigning moves the team with the owner unless a team is given; the
-- new owner must be within the reassigning user's scope. An account's
-- contacts (those whose primary account it is) move with it in the same
-- transaction when p_with_contacts; otherwise the reply's "reassign" says
-- how many stayed with whom. Only contacts the user can see are counted or
-- moved; one the user sees but may not reassign refuses the whole request.
CREATE OR REPLACE FUNCTION crm.record_reassign(p_type text, p_id bigint, p_owner text, p_team text, p_with_contacts boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := crm.business_table(p_type);
	new_owner record;
	new_team bigint;
	n int;
	moved int := 0;
	stayed jsonb;
	sc text := crm.scope_of(p_type, 'reassign');
BEGIN
	SELECT id, username, team_id INTO new_owner FROM crm.users WHERE username = lower(btrim(p_owner)) AND active;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'owner', 'record.no_active_user_named', p_owner::text);
	END IF;
	new_team := coalesce(crm.team_id_of(p_team, 'team'), new_owner.team_id);
	IF NOT ((SELECT crm.scope_all(p_type, 'reassign'))
		OR new_team = ANY ((SELECT crm.scope_teams(p_type, 'reassign'))::bigint[])
		OR (new_owner.id = crm.acting_user() AND sc <> 'none')) THEN
		PERFORM crm.raise('CRP01', 'owner', 'record.permission_denied_team_outside_teams', new_owner.username::text, coalesce((SELECT name FROM crm.teams WHERE id = new_team), 'none')::text, (CASE sc WHEN 'none' THEN format('your role may not reassign %ss', p_type)
				WHEN 'own' THEN 'only yourself'
				ELSE coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM crm.teams
					       WHERE id = ANY (crm.scope_teams(p_type, 'reassign'))), 'none') END)::text);
	END IF;
	IF crm.record_move(p_type, p_id, new_owner.id, new_team) = 0 THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, 'reassign');
	END IF;
	IF p_type <> 'account' THEN
		IF p_with_contacts THEN
			PERFORM crm.raise('CRI01', 'with_contacts', 'record.only_accounts_have_contacts_move', p_type::text);
		END IF;
		RETURN crm.record_get(p_type, p_id);
	END IF;
	IF p_with_contacts THEN
		SELECT count(*) INTO n FROM crm.contacts c
		WHERE c.account_id = p_id AND c.deleted_at IS NULL AND c.owner_id IS DISTINCT FROM new_owner.id
		  AND NOT ((SELECT crm.scope_all('contact', 'reassign')) OR c.owner_id = (SELECT crm.scope_own('contact', 'reassign'))
			   OR c.team_id = ANY ((SELECT crm.scope_teams('contact', 'reassign'))::bigint[]));
		IF n > 0 THEN
			PERFORM crm.raise('CRP01', 'with_contacts', 'record.permission_denied_account_contacts_are', n::text, p_id::text);
		END IF;
		UPDATE crm.contacts SET owner_id = new_owner.id, team_id = new_team
		WHERE account_id = p_id AND deleted_at IS NULL
		  AND (owner_id IS DISTINCT FROM new_owner.id OR team_id IS DISTINCT FROM new_team);
		GET DIAGNOSTICS moved = ROW_COUNT;
	END IF;
	SELECT jsonb_agg(jsonb_build_object('owner', x.username, 'count', x.n) ORDER BY x.username) INTO stayed
	FROM (SELECT u.username, count(*) AS n FROM crm.contacts c JOIN crm.users u ON u.id = c.owner_id
	      WHERE c.account_id = p_id AND c.deleted_at IS NULL AND c.owner_id <> new_owner.id
	      GROUP BY u.username) x;
	RETURN crm.record_get(p_type, p_id)
	       || jsonb_build_object('reassign', jsonb_strip_nulls(jsonb_build_object('contacts_moved', moved, 'contacts_stayed', stayed)));
END
$function$;

CREATE OR REPLACE FUNCTION crm.record_reassign(p_type text, p_id bigint, p_owner text, p_team text)
 RETURNS jsonb
 LANGUAGE sql
AS $function$ SELECT crm.record_reassign(p_type, p_id, p_owner, p_team, false) $function$;

CREATE OR REPLACE FUNCTION crm.filter_cond(p_type text, f jsonb, INOUT params text[], OUT cond text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	fname text := f ->> 'field';
	op text := coalesce(f ->> 'op', 'eq');
	vals text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(f -> 'values', '[]')));
	fld text := 'filters.' || coalesce(fname, '');
	sf crm.standard_fields;
	cf crm.fields;
	kind text;
	col text;
	sqlop text := CASE op WHEN 'eq' THEN '=' WHEN 'ne' THEN '<>' WHEN 'lt' THEN '<' WHEN 'le' THEN '<='
			      WHEN 'gt' THEN '>' WHEN 'ge' THEN '>=' END;
	refs text[] := '{}';
	v text;
	x text;
	m text[];
	cast_ text := '';
	sub text;
	plist text;
BEGIN
	IF fname IS NULL THEN
		PERFORM crm.raise('CRI01', 'filters.field', 'value.required');
	END IF;
	IF op NOT IN ('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'empty', 'not_empty') THEN
		PERFORM crm.raise('CRI01', fld, 'record.unknown_operator', op::text);
	END IF;
	IF op IN ('empty', 'not_empty') THEN
		vals := '{}';
	ELSIF cardinality(vals) = 0 THEN
		PERFORM crm.raise('CRI01', fld, 'record.needs_value');
	ELSIF cardinality(vals) > 1 AND op <> 'eq' THEN
		PERFORM crm.raise('CRI01', fld, 'record.only_equality_takes_several_values');
	ELSIF cardinality(vals) > 100 THEN
		PERFORM crm.raise('CRI01', fld, 'record.at_most_values');
	END IF;
	IF fname LIKE 'custom.%' THEN
		SELECT * INTO cf FROM crm.fields WHERE record_type = p_type AND name = substr(fname, 8);
		IF NOT FOUND THEN
			PERFORM crm.raise('CRI01', fld, 'record.has_no_custom_field_crm', p_type::text, substr(fname, 8)::text, p_type::text);
		END IF;
		kind := cf.kind;
	ELSE
		SELECT * INTO sf FROM crm.standard_fields WHERE record_type = p_type AND name = fname;
		IF NOT FOUND OR sf.kind = 'none' THEN
			PERFORM crm.raise('CRI01', fld, 'record.cannot_filter_crm_field_list', p_type::text, fname::text, p_type::text);
		END IF;
		kind := sf.kind;
		col := sf.col;
	END IF;
	IF kind IN ('norm', 'picklist', 'enum', 'text', 'country', 'tags', 'email', 'user', 'team', 'boolean', 'phone')
	   AND op IN ('lt', 'le', 'gt', 'ge') AND NOT (kind = 'norm' AND sf.sort_expr IS NOT NULL) THEN
		PERFORM crm.raise('CRI01', fld, 'record.takes_only_empty_not_empty');
	END IF;
	-- a custom pick list is named TYPE.FIELD, a standard one as its field
	plist := CASE WHEN kind <> 'picklist' THEN NULL WHEN cf.id IS NOT NULL THEN p_type || '.' || cf.name ELSE fname END;
	-- each value, checked and normalised, becomes a parameter
	FOREACH v IN ARRAY vals LOOP
		x := CASE
			WHEN kind = 'norm' AND op IN ('eq', 'ne') THEN lower(normalize(v, NFKC))
			WHEN kind IN ('norm') THEN v
			WHEN kind IN ('tags') THEN lower(normalize(v, NFKC))
			WHEN kind = 'email' THEN lower(v)
			WHEN kind = 'phone' THEN crm.phone_norm(v)
			WHEN kind = 'country' THEN upper(btrim(v))
			-- in the list's spelling, as writes store it (retired values included:
			-- they stay on the records that hold them); the column compares as is
			WHEN kind = 'picklist' THEN (SELECT pv.value FROM crm.picklist_values pv
						     WHERE pv.picklist = plist AND lower(pv.value) = lower(btrim(v)))
			WHEN kind IN ('number', 'money') THEN v
			WHEN kind = 'instant' THEN crm.us(crm.check_instant(v, fld))::text
			WHEN kind = 'date' THEN crm.check_date(v, fld)::text
			WHEN kind = 'boolean' THEN crm.check_bool(v, fld)::text
			WHEN kind = 'ref' THEN CASE WHEN v ~ '^[0-9]{1,18}$' THEN v END
			WHEN kind = 'user' THEN (SELECT id::text FROM crm.users
						 WHERE username = CASE WHEN lower(v) = 'me' THEN crm.user_name(crm.acting_user()) ELSE lower(v) END)
			WHEN kind = 'team' THEN (SELECT id::text FROM crm.teams WHERE name = v)
			ELSE v END;
		IF x IS NULL AND kind = 'picklist' THEN
			PERFORM crm.raise('CRI01', fld, 'record.not_value_pick_list_has', v::text, plist::text, coalesce((SELECT string_agg(pv.value, ', ' ORDER BY pv.position, pv.value)
					  FROM crm.picklist_values pv WHERE pv.picklist = plist), 'none')::text);
		ELSIF x IS NULL THEN
			PERFORM crm.raise('CRI01', fld, 'record.filter_not_kind', v::text, (CASE kind WHEN 'ref' THEN 'an id' WHEN 'user' THEN 'a user name (or me)' ELSE 'a team name' END)::text);
		END IF;
		IF kind IN ('number', 'money') THEN
			m := regexp_match(btrim(v), '^(\S+)(\s+([A-Za-z]{3}))?$');
			PERFORM crm.check_number(m[1], fld);
			IF m[3] IS NOT NULL THEN
				IF kind = 'number' THEN
					PERFORM crm.raise('CRI01', fld, 'record.not_number', v::text);
				END IF;
				PERFORM crm.check_money(m[1], m[3], fld);
			END IF;
			IF kind = 'number' AND col IS NOT NULL AND m[1] !~ '^-?[0-9]+$' THEN
				PERFORM crm.raise('CRI01', fld, 'record.not_whole_number', v::text);
			END IF;
			params := params || m[1];
			refs := refs || format('($1[%s])', cardinality(params));
			IF m[3] IS NOT NULL THEN
				params := params || upper(m[3]);
				refs := refs || format('($1[%s])', cardinality(params));
			ELSE
				refs := refs || NULL::text;
			END IF;
		ELSE
			params := params || x;
			refs := refs || format('($1[%s])', cardinality(params));
		END IF;
	END LOOP;
	cast_ := CASE WHEN kind IN ('ref', 'user', 'team') THEN '::bigint' WHEN kind = 'boolean' THEN '::boolean'
		      WHEN kind = 'date' THEN '::date' ELSE '' END;
	-- side-table fields: r.id IN (a subquery on the side table's index)
	IF kind IN ('tags', 'email') OR (kind = 'phone' AND col IS NULL) OR cf.id IS NOT NULL THEN
		sub := CASE
			WHEN kind = 'tags' THEN format('SELECT t.record_id FROM crm.record_tags t WHERE t.record_type = %L AND t.tag_norm', p_type)
			WHEN kind = 'email' THEN 'SELECT e.contact_id FROM crm.contact_emails e WHERE e.address_norm'
			WHEN kind = 'phone' THEN 'SELECT p.contact_id FROM crm.contact_phones p WHERE p.number_norm'
			WHEN kind IN ('number', 'money') THEN format('SELECT v.record_id FROM crm.custom_values v WHERE v.field_id = %s AND v.v_num_key', cf.id)
			WHEN kind = 'date' THEN format('SELECT v.record_id FROM crm.custom_values v WHERE v.field_id = %s AND v.v_date', cf.id)
			WHEN kind = 'boolean' THEN format('SELECT v.record_id FROM crm.custom_values v WHERE v.field_id = %s AND v.v_bool', cf.id)
			ELSE format('SELECT v.record_id FROM crm.custom_values v WHERE v.field_id = %s AND v.v_text', cf.id) END;
		IF op IN ('empty', 'not_empty') THEN
			cond := format('r.id %s IN (%s IS NOT NULL)', CASE WHEN op = 'empty' THEN 'NOT' ELSE '' END, sub);
		ELSIF kind IN ('number', 'money') THEN
			cond := format('r.id %s IN (%s %s %s::float8 AND v.v_num %s %s::numeric%s)',
				       CASE WHEN op = 'ne' THEN 'NOT' ELSE '' END, sub,
				       CASE WHEN op = 'ne' THEN '=' ELSE sqlop END, refs[1],
				       CASE WHEN op = 'ne' THEN '=' ELSE sqlop END, refs[1],
				       CASE WHEN refs[2] IS NOT NULL THEN ' AND v.v_currency = ' || refs[2] ELSE '' END);
		ELSE
			cond := format('r.id %s IN (%s = ANY (ARRAY[%s]%s))', CASE WHEN op = 'ne' THEN 'NOT' ELSE '' END,
				       sub, array_to_string(refs, ', '), CASE WHEN cast_ <> '' THEN cast_ || '[]' ELSE '' END);
			IF op NOT IN ('eq', 'ne') THEN
				cond := format('r.id IN (%s %s %s%s)', sub, sqlop, refs[1], cast_);
			END IF;
		END IF;
		RETURN;
	END IF;
	-- columns of the business table
	IF kind = 'instant' THEN
		refs := ARRAY(SELECT format('(''epoch''::timestamptz + %s::bigint * interval ''1 microsecond'')', r) FROM unnest(refs) r);
	END IF;
	IF op = 'empty' THEN
		cond := format('%s IS NULL', col);
	ELSIF op = 'not_empty' THEN
		cond := format('%s IS NOT NULL', col);
	ELSIF kind = 'money' THEN
		-- a money field's column NAME comes with NAME_key (float8, the
		-- indexed key) and NAME_currency, as the audit trail reads them
		cond := format('(%s_key %s %s::float8 AND %s %s %s::numeric%s)',
			       col, sqlop, refs[1], col, sqlop, refs[1],
			       CASE WHEN refs[2] IS NOT NULL THEN format(' AND %s_currency = %s', col, refs[2]) ELSE '' END);
		IF op = 'ne' THEN
			cond := format('NOT coalesce(%s_key = %s::float8 AND %s = %s::numeric%s, false)', col, refs[1], col, refs[1],
				       CASE WHEN refs[2] IS NOT NULL THEN format(' AND %s_currency = %s', col, refs[2]) ELSE '' END);
		END IF;
	ELSIF kind = 'number' THEN
		cond := format('%s %s %s::bigint', col, CASE WHEN op = 'ne' THEN 'IS DISTINCT FROM' ELSE sqlop END, refs[1]);
	ELSIF kind = 'norm' AND op NOT IN ('eq', 'ne') THEN
		-- on the sort expression (the ICU order); an empty value matches no range
		cond := CASE WHEN sf.sort_expr LIKE '%|%'
			THEN format('(NOT %s AND %s %s %s)', split_part(sf.sort_expr, '|', 1), split_part(sf.sort_expr, '|', 2), sqlop, refs[1])
			ELSE format('%s %s %s', sf.sort_expr, sqlop, refs[1]) END;
	ELSIF op = 'eq' THEN
		cond := format('%s = ANY (ARRAY[%s]%s)', col, array_to_string(refs, ', '),
			       CASE WHEN cast_ <> '' THEN cast_ || '[]' ELSE '' END);
	ELSIF op = 'ne' THEN
		cond := format('%s IS DISTINCT FROM %s%s', col, refs[1], cast_);
	ELSE
		cond := format('%s %s %s%s', col, sqlop, refs[1], cast_);
	END IF;
END
$function$;

CREATE OR REPLACE FUNCTION crm.record_list_sql(p_type text, p_filters jsonb, p_sort jsonb, p_after text, p_limit integer, p_deleted boolean, p_count boolean DEFAULT false, p_export boolean DEFAULT false, OUT sql text, OUT params text[])
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	tbl text := crm.business_table(p_type);
	conds text[];
	c text;
	s jsonb;
	sf crm.standard_fields;
	keys text[] := '{}';      -- sort expressions
	vals text[] := '{}';      -- expressions of the row's key values (for the cursor)
	kinds text[] := '{}';     -- text, instant, float, int
	descs boolean[] := '{}';
	nullable boolean[] := '{}';
	after jsonb;
	n int;
	i int;
	j int;
	refs text[] := '{}';
	ors text[] := '{}';
	eqs text;
	order_by text[] := '{}';
	uniform boolean := true;
	parts text[];
	sc text;
	inner_keys text[] := '{}';
	outer_order text[] := '{}';
BEGIN
	params := '{}';
	conds := ARRAY[CASE WHEN p_deleted THEN 'r.deleted_at IS NOT NULL' ELSE 'r.deleted_at IS NULL' END];
	-- The user's scope, stated in the query as well as enforced by row-level
	-- security: the policy's OR of per-statement values cannot be an index
	-- condition, this can (owner, team and id indexes in a bitmap OR), so a
	-- user who sees a few hundred of 200,000 accounts does not scan them
	-- all in name order. An export is limited to the export scope.
	sc := crm.scope_of(p_type, CASE WHEN p_export THEN 'export' ELSE 'read' END);
	IF sc = 'none' THEN
		conds := conds || 'false'::text;
	ELSIF sc <> 'all' THEN
		params := params || coalesce(crm.acting_user(), 0)::text
			|| crm.scope_teams(p_type, CASE WHEN p_export THEN 'export' ELSE 'read' END)::text
			|| crm.shared_ids(p_type, false)::text;
		conds := conds || format('(r.owner_id = ($1[%s])::bigint OR r.team_id = ANY (($1[%s])::bigint[]) '
					 'OR r.id = ANY (($1[%s])::bigint[]))', cardinality(params) - 2,
					 cardinality(params) - 1, cardinality(params));
	END IF;
	IF jsonb_typeof(coalesce(p_filters, '[]')) <> 'array' OR jsonb_array_length(coalesce(p_filters, '[]')) > 20 THEN
		PERFORM crm.raise('CRI01', 'filters', 'record.at_most_filters');
	END IF;
	FOR i IN 0 .. jsonb_array_length(coalesce(p_filters, '[]')) - 1 LOOP
		SELECT x.params, x.cond INTO params, c FROM crm.filter_cond(p_type, p_filters -> i, params) x;
		conds := conds || c;
	END LOOP;
	IF p_count THEN
		sql := format('SELECT count(*) AS total FROM (SELECT 1 FROM %s r WHERE %s LIMIT 10001) s',
			      tbl, array_to_string(conds, ' AND '));
		RETURN;
	END IF;
	IF jsonb_array_length(coalesce(p_sort, '[]')) > 3 THEN
		PERFORM crm.raise('CRI01', 'sort', 'record.at_most_sort_fields');
	END IF;
	IF jsonb_array_length(coalesce(p_sort, '[]')) = 0 THEN
		-- the registry's default, spelled as --sort takes it: "-created_at"
		-- is created_at descending
		SELECT jsonb_build_array(jsonb_build_object('field', ltrim(default_sort, '-'), 'desc', default_sort LIKE '-%'))
		INTO p_sort FROM crm.record_types WHERE name = p_type;
	END IF;
	FOR s IN SELECT jsonb_array_elements(p_sort) LOOP
		SELECT * INTO sf FROM crm.standard_fields WHERE record_type = p_type AND name = s ->> 'field';
		IF NOT FOUND OR sf.sort_expr IS NULL THEN
			PERFORM crm.raise('CRI01', 'sort', 'record.cannot_sort_by_sortable_id', p_type::text, (s ->> 'field')::text, ((SELECT string_agg(name, ', ' ORDER BY position) FROM crm.standard_fields
				 WHERE record_type = p_type AND sort_expr IS NOT NULL))::text);
		END IF;
		parts := string_to_array(sf.sort_expr, '|');
		IF cardinality(parts) = 2 THEN
			-- "x IS NULL" ascending, "x IS NOT NULL" descending: empty
			-- values last both ways, every key in one direction
			IF coalesce((s ->> 'desc')::boolean, false) THEN
				parts[1] := regexp_replace(parts[1], ' IS NULL$', ' IS NOT NULL');
			END IF;
			keys := keys || parts[1];
			kinds := kinds || 'bool'::text;
			vals := vals || parts[1];
			descs := descs || coalesce((s ->> 'desc')::boolean, false);
			nullable := nullable || false;
		END IF;
		keys := keys || parts[cardinality(parts)];
		kinds := kinds || CASE sf.kind WHEN 'instant' THEN 'instant' WHEN 'money' THEN 'float'
					       WHEN 'number' THEN 'int' WHEN 'date' THEN 'date' ELSE 'text' END;
		-- an instant's key in the cursor: the sort expression's (never NULL
		-- for a nullable one, whose empty values sort last on the key before)
		vals := vals || CASE sf.kind WHEN 'instant' THEN format('crm.us(%s)', parts[cardinality(parts)])
					     ELSE parts[cardinality(parts)] END;
		descs := descs || coalesce((s ->> 'desc')::boolean, false);
		nullable := nullable || (sf.nullable AND cardinality(parts) = 1);
	END LOOP;
	keys := keys || 'r.id'::text;
	kinds := kinds || 'int'::text;
	vals := vals || 'r.id'::text;
	descs := descs || descs[1];
	nullable := nullable || false;
	n := cardinality(keys);
	FOR i IN 1 .. n LOOP
		order_by := order_by || (keys[i] || CASE WHEN descs[i] THEN ' DESC' ELSE '' END);
		uniform := uniform AND descs[i] = descs[1] AND NOT nullable[i];
	END LOOP;
	IF p_after IS NOT NULL THEN
		BEGIN
			after := p_after::jsonb;
		EXCEPTION WHEN others THEN
			after := NULL;
		END;
		IF jsonb_typeof(after) IS DISTINCT FROM 'array' OR jsonb_array_length(after) <> n THEN
			PERFORM crm.raise('CRI01', 'page.cursor', 'record.not_cursor_this_list_start');
		END IF;
		FOR i IN 1 .. n LOOP
			IF after -> (i - 1) = 'null' THEN
				refs := refs || NULL::text;
				CONTINUE;
			END IF;
			params := params || (after ->> (i - 1));
			refs := refs || CASE kinds[i]
				WHEN 'instant' THEN format('(''epoch''::timestamptz + ($1[%s])::bigint * interval ''1 microsecond'')', cardinality(params))
				WHEN 'float' THEN format('($1[%s])::float8', cardinality(params))
				WHEN 'int' THEN format('($1[%s])::bigint', cardinality(params))
				WHEN 'bool' THEN format('($1[%s])::boolean', cardinality(params))
				WHEN 'date' THEN format('($1[%s])::date', cardinality(params))
				ELSE format('($1[%s])', cardinality(params)) END;
		END LOOP;
		IF uniform THEN
			conds := conds || format('(%s) %s (%s)', array_to_string(keys, ', '),
						 CASE WHEN descs[1] THEN '<' ELSE '>' END, array_to_string(refs, ', '));
		ELSE
			-- (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ...; a nullable
			-- single key (none is sortable today) sorts NULLs last ascending
			-- and first descending, as a plain index keeps them.
			FOR i IN 1 .. n LOOP
				eqs := '';
				FOR j IN 1 .. i - 1 LOOP
					eqs := eqs || CASE WHEN refs[j] IS NULL THEN format('%s IS NULL AND ', keys[j])
							   ELSE format('%s = %s AND ', keys[j], refs[j]) END;
				END LOOP;
				c := CASE
					WHEN refs[i] IS NULL AND NOT descs[i] THEN NULL
					WHEN refs[i] IS NULL THEN format('%s IS NOT NULL', keys[i])
					WHEN descs[i] THEN format('%s < %s', keys[i], refs[i])
					WHEN nullable[i] THEN format('(%s > %s OR %s IS NULL)', keys[i], refs[i], keys[i])
					ELSE format('%s > %s', keys[i], refs[i]) END;
				IF c IS NOT NULL THEN
					ors := ors || ('(' || eqs || c || ')');
				END IF;
			END LOOP;
			conds := conds || ('(' || coalesce(nullif(array_to_string(ors, ' OR '), ''), 'false') || ')');
		END IF;
	END IF;
	IF p_limit NOT BETWEEN 1 AND 501 THEN
		PERFORM crm.raise('CRI01', 'page.limit', 'record.page_limit_range');
	END IF;
	-- The page's ids are found on the table alone; the JSON (names, tags,
	-- custom values, each under row-level security) is built for those
	-- rows only, in the page's order.
	FOR i IN 1 .. n LOOP
		inner_keys := inner_keys || format('%s AS k%s', keys[i], i);
		outer_order := outer_order || format('x.k%s%s', i, CASE WHEN descs[i] THEN ' DESC' ELSE '' END);
	END LOOP;
	sql := format('SELECT (SELECT o.json FROM crm.%s_out o WHERE o.id = x.k%s)::text AS json, x.sort_key '
		      'FROM (SELECT %s, jsonb_build_array(%s)::text AS sort_key FROM %s r WHERE %s '
		      'ORDER BY %s LIMIT %s) x ORDER BY %s',
		      p_type, n, array_to_string(inner_keys, ', '), array_to_string(vals, ', '), tbl,
		      array_to_string(conds, ' AND '), array_to_string(order_by, ', '), p_limit,
		      array_to_string(outer_order, ', '));
END
$function$;

-- A record type name that exists (for filters of lists and the audit
-- trail); INVALID_ARGUMENT on p_field listing the types otherwise.
CREATE OR REPLACE FUNCTION crm.check_record_type(p_type text, p_field text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_type IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.record_types WHERE name = p_type) THEN
		PERFORM crm.raise('CRI01', p_field, 'record.not_record_type', p_type::text, ((SELECT string_agg(name, ', ' ORDER BY name) FROM crm.record_types))::text);
	END IF;
END
$function$;

-- ------------------------------------------------------------ generated dispatchers
--
-- The functions that take a record type and reach that type's table, view
-- or save function are generated from crm.record_types, one branch per
-- registered type, as static SQL: each request runs a plan PostgreSQL
-- caches, never a statement built at run time. crm.refresh_dispatch()
-- writes them again, with their privileges and the side tables' policies;
-- crm.refresh_generated() (99_generated.sql) runs it, and crmd migrate
-- runs that after the modules whenever it applied anything or the
-- registry changed (sql/README.md): a migration that adds a record type
-- changes no line here.
--
--   business_table(type)      the table, or INVALID_ARGUMENT on "type"
--                             listing the types the record requests serve
--   record_kind(record JSON)  which type a Record JSON holds
--   record_create(record)     record_save of the type, creating
--   record_save(type, ...)    what every type's save shares (clear list,
--                             external id, update scope, version, deleted,
--                             tags, custom values, the view's JSON) around
--                             the type's save function
--   record_get(type, id)      the type's view
--   record_lock(type, id)     SELECT ... FOR NO KEY UPDATE on its table
--   record_bump(type, id)     a new version (an edit of side rows only)
--   record_name(type, id)     the display name (crm.record_types.name_expr)
--   record_editable(type, id) SELECT ... FOR UPDATE under the table's
--                             UPDATE policy (side tables' write policies)
--   record_state(type, id)    version, deleted, owner and team names
--                             (crm.record_refuse)
--   record_exists(type, id)   whether it is visible (purge)
--   record_mark_deleted(...)  soft delete or restore in the delete scope
--   record_move(...)          new owner and team in the reassign scope
--   record_erase(type, id)    deletes the record's rows: in every table that
--                             references crm.records (side rows, shares;
--                             read from the catalog when generated) and
--                             its business row (crm.purge_record)
CREATE OR REPLACE FUNCTION crm.refresh_dispatch()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	t record;
	listed text;          -- the types the generic record requests serve
	holds text;
	n int;
	b_table text := '';
	b_kind text := '';
	b_create text := '';
	b_claim text := '';
	b_save text := '';
	b_get text := '';
	b_lock text := '';
	b_bump text := '';
	b_name text := '';
	b_edit text := '';
	b_state text := '';
	b_exists text := '';
	b_deleted text := '';
	b_move text := '';
	b_erase text := '';
	b_refs text := '';
	types text := '';
	fk record;
	granted text := 'crm.business_table(text), crm.record_kind(jsonb), crm.record_create(jsonb), '
		'crm.record_save(text,bigint,bigint,jsonb,text[]), crm.record_get(text,bigint), '
		'crm.record_lock(text,bigint), crm.record_bump(text,bigint), crm.record_name(text,bigint), '
		'crm.record_editable(text,bigint), crm.record_state(text,bigint), crm.record_exists(text,bigint), '
		'crm.record_mark_deleted(text,bigint,boolean), crm.record_move(text,bigint,bigint,bigint)';
BEGIN
	FOR t IN SELECT * FROM crm.record_types WHERE table_name IS NOT NULL ORDER BY name LOOP
		-- crm.records keeps each record's owner, team and deleted_at
		EXECUTE format('CREATE OR REPLACE TRIGGER sync_record AFTER UPDATE OF owner_id, team_id, deleted_at ON %s '
			       'FOR EACH ROW EXECUTE FUNCTION crm.sync_record()', t.table_name);
		EXECUTE format('UPDATE crm.records r SET owner_id = x.owner_id, team_id = x.team_id, deleted_at = x.deleted_at '
			       'FROM %s x WHERE x.id = r.id AND (r.owner_id, r.team_id, r.deleted_at) '
			       'IS DISTINCT FROM (x.owner_id, x.team_id, x.deleted_at)', t.table_name);
		b_edit := b_edit || format(E'\tIF p_type = %L THEN\n\t\tPERFORM 1 FROM %s WHERE id = p_id FOR UPDATE;\n\t\tRETURN FOUND;\n\tEND IF;\n',
					   t.name, t.table_name);
		b_state := b_state || format(E'\tIF p_type = %L THEN\n\t\tSELECT r.version, r.deleted_at IS NOT NULL, u.username, tm.name INTO version, deleted, owner, team\n'
					     || E'\t\tFROM %s r LEFT JOIN crm.users u ON u.id = r.owner_id LEFT JOIN crm.teams tm ON tm.id = r.team_id\n'
					     || E'\t\tWHERE r.id = p_id;\n\t\tRETURN;\n\tEND IF;\n', t.name, t.table_name);
		b_exists := b_exists || format(E'\tIF p_type = %L THEN\n\t\tRETURN EXISTS (SELECT 1 FROM %s WHERE id = p_id);\n\tEND IF;\n',
					       t.name, t.table_name);
		b_deleted := b_deleted || format(E'\tIF p_type = %L THEN\n\t\tUPDATE %s SET deleted_at = CASE WHEN p_deleted THEN now() END\n'
						 || E'\t\tWHERE id = p_id AND (deleted_at IS NULL) = p_deleted AND %s;\n'
						 || E'\t\tGET DIAGNOSTICS n = ROW_COUNT;\n\t\tRETURN n;\n\tEND IF;\n',
						 t.name, t.table_name, crm.scope_cond(t.name, 'delete'));
		b_move := b_move || format(E'\tIF p_type = %L THEN\n\t\tUPDATE %s SET owner_id = p_owner, team_id = p_team\n'
					   || E'\t\tWHERE id = p_id AND deleted_at IS NULL AND %s;\n'
					   || E'\t\tGET DIAGNOSTICS n = ROW_COUNT;\n\t\tRETURN n;\n\tEND IF;\n',
					   t.name, t.table_name, crm.scope_cond(t.name, 'reassign'));
		b_erase := b_erase || format(E'\tIF p_type = %L THEN\n\t\tDELETE FROM %s WHERE id = p_id;\n\t\tRETURN;\n\tEND IF;\n',
					     t.name, t.table_name);
		types := types || CASE WHEN types = '' THEN '' ELSE ', ' END || quote_literal(t.name);
		IF t.name_expr IS NOT NULL THEN
			b_name := b_name || format(E'\n\t\tWHEN %L THEN (SELECT %s FROM %s r WHERE r.id = p_id)',
						   t.name, t.name_expr, t.table_name);
		END IF;
		CONTINUE WHEN t.save_function IS NULL;
		b_table := b_table || format(' WHEN %L THEN %L', t.name, t.table_name);
		b_kind := b_kind || format(' WHEN p ? %L THEN %L', t.name, t.name);
		b_create := b_create || format(E'\tIF p ? %1$L THEN\n\t\tRETURN crm.record_save(%1$L, NULL, NULL, p -> %1$L, ''{}'');\n\tEND IF;\n',
					       t.name);
		-- the update scope (shares for editing included), the version and
		-- not deleted, tested and the row locked before the type's save
		-- function writes it: scalar subqueries, once per statement
		b_claim := b_claim || format(E'\t\tIF p_type = %L THEN\n\t\t\tPERFORM 1 FROM %s\n'
					     || E'\t\t\tWHERE id = p_id AND version = coalesce(p_version, version) AND deleted_at IS NULL\n'
					     || E'\t\t\t  AND (%s\n\t\t\t       OR id = ANY ((SELECT crm.shared_ids(%L, true))::bigint[]))\n'
					     || E'\t\t\tFOR NO KEY UPDATE;\n\t\t\tclaimed := FOUND;\n\t\tEND IF;\n',
					     t.name, t.table_name, crm.scope_cond(t.name, 'update'), t.name);
		b_save := b_save || format(E'\tIF p_type = %L THEN\n\t\tid_ := %s(p_id, d, clr);\n\tEND IF;\n',
					   t.name, t.save_function);
		b_get := b_get || format(E'\tIF p_type = %L THEN\n\t\tRETURN (SELECT v_.json FROM %s v_ WHERE v_.id = p_id);\n\tEND IF;\n',
					 t.name, t.view_name);
		b_lock := b_lock || format(E'\tIF p_type = %L THEN\n\t\tPERFORM 1 FROM %s WHERE id = p_id FOR NO KEY UPDATE;\n\t\tRETURN;\n\tEND IF;\n',
					   t.name, t.table_name);
		b_bump := b_bump || format(E'\tIF p_type = %L THEN\n\t\tUPDATE %s SET version = version + 1 WHERE id = p_id;\n\t\tRETURN;\n\tEND IF;\n',
					   t.name, t.table_name);
	END LOOP;
	SELECT string_agg(name, ', ' ORDER BY name), count(*) INTO listed, n
	FROM crm.record_types WHERE save_function IS NOT NULL;
	-- "an account or a contact", "an account, a contact or a lead"
	SELECT string_agg(CASE WHEN i = n AND n > 1 THEN ' or ' WHEN i > 1 THEN ', ' ELSE '' END
			  || CASE WHEN name ~ '^[aeiou]' THEN 'an ' ELSE 'a ' END || name, '' ORDER BY i)
	INTO holds
	FROM (SELECT name, row_number() OVER (ORDER BY name) AS i FROM crm.record_types
	      WHERE save_function IS NOT NULL) x;
	listed := coalesce(listed, 'none');
	holds := coalesce(holds, 'a record of a registered type');

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.business_table(p_type text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $g$
DECLARE
	t text := CASE p_type WHEN NULL THEN NULL::text%s END;
BEGIN
	IF t IS NULL THEN
		PERFORM crm.raise('CRI01', 'type', 'record.not_record_type', coalesce(p_type, ''), %L);
	END IF;
	RETURN t;
END
$g$$f$, b_table, listed);
	COMMENT ON FUNCTION crm.business_table(text) IS 'Generated by crm.refresh_dispatch(): the table of a record type the generic record requests serve; INVALID_ARGUMENT on "type" listing them otherwise.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_kind(p jsonb)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $g$ SELECT CASE WHEN false THEN NULL::text%s END $g$$f$, b_kind);
	COMMENT ON FUNCTION crm.record_kind(jsonb) IS 'Generated by crm.refresh_dispatch(): the record type whose key a Record JSON holds ({"account": {...}} → account), or NULL.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_create(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $g$
BEGIN
%sPERFORM crm.raise('CRI01', 'record', 'record.must_hold', %L);
END
$g$$f$, b_create || E'\t', holds);
	COMMENT ON FUNCTION crm.record_create(jsonb) IS 'Generated by crm.refresh_dispatch(): creates a record of the type whose key the JSON holds (crm.record_save); returns its JSON.';

	-- What every type's save shares is here once: the fields to clear,
	-- the external id, the update scope, version and deletion (refused by
	-- crm.record_refuse), tags, custom values and the JSON from the view;
	-- the type's save function validates and writes its own columns.
	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_save(p_type text, p_id bigint, p_version bigint, d jsonb, clr text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $g$
DECLARE
	id_ bigint;
	claimed boolean := false;
BEGIN
	PERFORM crm.business_table(p_type);
	PERFORM crm.check_clear(p_type, clr);
	d := crm.check_external_id(p_type, p_id, d);
	IF p_id IS NOT NULL THEN
%s		IF NOT claimed THEN
			PERFORM crm.record_refuse(p_type, p_id, p_version, 'update');
		END IF;
	END IF;
%s	PERFORM crm.save_tags(p_type, id_, d, clr, p_id IS NULL);
	PERFORM crm.save_custom(p_type, id_, d, clr, p_id IS NULL);
	RETURN crm.record_get(p_type, id_);
END
$g$$f$, b_claim, b_save);
	COMMENT ON FUNCTION crm.record_save(text,bigint,bigint,jsonb,text[]) IS 'Generated by crm.refresh_dispatch(): creates (p_id NULL) or updates a record from its JSON d, clearing clr: checks the fields to clear and the external id, on update tests the update scope, version and deletion (crm.record_refuse) and locks the row, calls the type''s save function (crm.record_types.save_function) for its own columns, then saves tags and custom values; returns the record''s JSON.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_get(p_type text, p_id bigint)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $g$
BEGIN
%sPERFORM crm.business_table(p_type);
	RETURN NULL;
END
$g$$f$, b_get || E'\t');
	COMMENT ON FUNCTION crm.record_get(text,bigint) IS 'Generated by crm.refresh_dispatch(): the record as JSON from its type''s view, deleted or not; NULL when the user cannot see it or it is of another type.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_lock(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $g$
BEGIN
%sPERFORM crm.business_table(p_type);
END
$g$$f$, b_lock || E'\t');
	COMMENT ON FUNCTION crm.record_lock(text,bigint) IS 'Generated by crm.refresh_dispatch(): locks a visible record''s row (FOR NO KEY UPDATE), so that concurrent list edits queue.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_bump(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $g$
BEGIN
%sPERFORM crm.business_table(p_type);
END
$g$$f$, b_bump || E'\t');
	COMMENT ON FUNCTION crm.record_bump(text,bigint) IS 'Generated by crm.refresh_dispatch(): gives a record a new version (an edit that changed only its side rows).';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_name(p_type text, p_id bigint)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $g$
	SELECT CASE p_type WHEN NULL THEN NULL::text%s END
$g$$f$, b_name);
	COMMENT ON FUNCTION crm.record_name(text,bigint) IS 'Generated by crm.refresh_dispatch(): a record''s display name (crm.record_types.name_expr), NULL when not visible.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_editable(p_type text, p_id bigint)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $g$
BEGIN
%s	RETURN false;
END
$g$$f$, b_edit);
	COMMENT ON FUNCTION crm.record_editable(text,bigint) IS 'Generated by crm.refresh_dispatch(): whether the acting user may update a record under its table''s row-level security (matrix scopes or an edit share); locks the row.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_state(p_type text, p_id bigint, OUT version bigint, OUT deleted boolean, OUT owner text, OUT team text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $g$
BEGIN
%s	RETURN;
END
$g$$f$, b_state);
	COMMENT ON FUNCTION crm.record_state(text,bigint) IS 'Generated by crm.refresh_dispatch(): a visible record''s version, whether it is deleted, its owner''s and team''s names (all NULL when not visible), for crm.record_refuse.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_exists(p_type text, p_id bigint)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $g$
BEGIN
%s	RETURN false;
END
$g$$f$, b_exists);
	COMMENT ON FUNCTION crm.record_exists(text,bigint) IS 'Generated by crm.refresh_dispatch(): whether a record of the type is visible to the acting user.';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_mark_deleted(p_type text, p_id bigint, p_deleted boolean)
 RETURNS integer
 LANGUAGE plpgsql
AS $g$
DECLARE
	n integer;
BEGIN
%s	RETURN 0;
END
$g$$f$, b_deleted);
	COMMENT ON FUNCTION crm.record_mark_deleted(text,bigint,boolean) IS 'Generated by crm.refresh_dispatch(): soft-deletes (p_deleted) or restores a record within the delete scope; the number of rows changed (0: refused, crm.record_refuse says why).';

	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_move(p_type text, p_id bigint, p_owner bigint, p_team bigint)
 RETURNS integer
 LANGUAGE plpgsql
AS $g$
DECLARE
	n integer;
BEGIN
%s	RETURN 0;
END
$g$$f$, b_move);
	COMMENT ON FUNCTION crm.record_move(text,bigint,bigint,bigint) IS 'Generated by crm.refresh_dispatch(): gives a live record a new owner and team within the reassign scope; the number of rows changed (0: refused).';

	-- The rows that reference a record, but for its business row and its
	-- audit trail: one DELETE per foreign key to crm.records, found in
	-- the catalog, so a side table a later migration adds is covered when
	-- the generators run again (no change to this module). A business
	-- table's reference to another type's table is not here: it is ON
	-- DELETE SET NULL (docs/data.md, "Adding a record type").
	FOR fk IN
		SELECT format('%I.%I', n.nspname, r.relname) AS tbl, a.attname AS col
		FROM pg_catalog.pg_constraint c
		JOIN pg_catalog.pg_class r ON r.oid = c.conrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'crm.records'::regclass
		  AND c.conrelid <> 'crm.audit'::regclass
		  AND c.conrelid NOT IN (SELECT x.table_name::regclass FROM crm.record_types x WHERE x.table_name IS NOT NULL)
		ORDER BY 1, 2
	LOOP
		b_refs := b_refs || format(E'\tDELETE FROM %s WHERE %I = p_id;\n', fk.tbl, fk.col);
	END LOOP;
	EXECUTE format($f$
CREATE OR REPLACE FUNCTION crm.record_erase(p_type text, p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm', 'pg_temp'
AS $g$
BEGIN
	IF p_type IS NULL OR p_type NOT IN (%s) THEN
		RAISE EXCEPTION 'crm.record_erase: "%%" is not a business record type', p_type;
	END IF;
%s%s	RAISE EXCEPTION 'crm.record_erase: "%%" is not a business record type', p_type;
END
$g$$f$, CASE WHEN types = '' THEN 'NULL' ELSE types END, b_refs, b_erase);
	COMMENT ON FUNCTION crm.record_erase(text,bigint) IS 'Generated by crm.refresh_dispatch(): deletes a record''s rows in every table that references crm.records (side rows, shares; not the audit trail) and its business row, with no check of its own: for crm.purge_record only.';

	-- Privileges of what it generates (a function it creates the first
	-- time has none): crm_app calls all but record_erase, which only
	-- crm.purge_record (SECURITY DEFINER) does.
	EXECUTE format('REVOKE ALL ON FUNCTION %s, crm.record_erase(text,bigint) FROM PUBLIC, crm_app, crm_auth', granted);
	EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO crm_app', granted);

	PERFORM crm.refresh_side_rls();
END
$function$;
COMMENT ON FUNCTION crm.refresh_dispatch() IS 'Generates the per-type dispatchers (business_table, record_kind, record_create, record_save, record_get, record_lock, record_bump, record_name, record_editable, record_state, record_exists, record_mark_deleted, record_move, record_erase) from crm.record_types as static functions with their privileges, keeps crm.records'' owner, team and deleted_at in step, and regenerates the side tables'' policies. Run by crm.refresh_generated() (99_generated.sql).';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.register_record(),
	crm.sync_record(),
	crm.attach_record(regclass,text,text[]),
	crm.scope_test(text,text),
	crm.refresh_dispatch(),
	crm.side_visible(text,text),
	crm.refresh_side_rls(),
	crm.record_updatable(text,bigint),
	crm.record_visible(text,bigint),
	crm.create_record_view(text,regclass,text),
	crm.check_external_id(text,bigint,jsonb),
	crm.check_clear(text,text[]),
	crm.account_parent_loops(bigint,bigint),
	crm.name_order_of(text,text),
	crm.save_contact_lists(bigint,jsonb,text[],boolean),
	crm.set_primary_account(bigint,bigint),
	crm.scope_cond(text,text),
	crm.record_set_deleted(text,bigint,boolean),
	crm.record_purge(text,bigint),
	crm.record_list(text,jsonb,jsonb,text,integer,boolean,boolean),
	crm.record_count(text,jsonb,boolean,boolean),
	crm.touch_record(),
	crm.record_refuse(text,bigint,bigint,text),
	crm.check_parent(bigint,bigint),
	crm.account_save(bigint,jsonb,text[]),
	crm.save_tags(text,bigint,jsonb,text[],boolean),
	crm.check_birthday(jsonb),
	crm.check_preferences(jsonb),
	crm.edit_contact_list(bigint,text,jsonb),
	crm.contact_save(bigint,jsonb,text[]),
	crm.record_content(jsonb),
	crm.record_sides(text,bigint,jsonb,text[]),
	crm.apply_edits(text,bigint,jsonb,jsonb),
	crm.record_update(bigint,bigint,jsonb,text[]),
	crm.record_reassign(text,bigint,text,text,boolean),
	crm.record_reassign(text,bigint,text,text),
	crm.filter_cond(text,jsonb,text[]),
	crm.record_list_sql(text,jsonb,jsonb,text,integer,boolean,boolean,boolean),
	crm.check_record_type(text,text)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.record_updatable(text,bigint),
	crm.record_visible(text,bigint),
	crm.check_external_id(text,bigint,jsonb),
	crm.check_clear(text,text[]),
	crm.account_parent_loops(bigint,bigint),
	crm.name_order_of(text,text),
	crm.save_contact_lists(bigint,jsonb,text[],boolean),
	crm.set_primary_account(bigint,bigint),
	crm.scope_cond(text,text),
	crm.record_set_deleted(text,bigint,boolean),
	crm.record_purge(text,bigint),
	crm.record_list(text,jsonb,jsonb,text,integer,boolean,boolean),
	crm.record_count(text,jsonb,boolean,boolean),
	crm.record_refuse(text,bigint,bigint,text),
	crm.check_parent(bigint,bigint),
	crm.account_save(bigint,jsonb,text[]),
	crm.save_tags(text,bigint,jsonb,text[],boolean),
	crm.check_birthday(jsonb),
	crm.check_preferences(jsonb),
	crm.edit_contact_list(bigint,text,jsonb),
	crm.contact_save(bigint,jsonb,text[]),
	crm.record_content(jsonb),
	crm.record_sides(text,bigint,jsonb,text[]),
	crm.apply_edits(text,bigint,jsonb,jsonb),
	crm.record_update(bigint,bigint,jsonb,text[]),
	crm.record_reassign(text,bigint,text,text,boolean),
	crm.record_reassign(text,bigint,text,text),
	crm.filter_cond(text,jsonb,text[]),
	crm.record_list_sql(text,jsonb,jsonb,text,integer,boolean,boolean,boolean),
	crm.check_record_type(text,text)
TO crm_app;
