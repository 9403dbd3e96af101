-- sql/modules/60_fields.sql: custom fields and pick lists.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

-- Merges the change set's custom values (by field name) and clears the
-- ones named "custom.<field>" in clr; on create, required fields must be
-- there. Trigger crm.audit_side audits each value changed.
CREATE OR REPLACE FUNCTION crm.save_custom(p_type text, p_id bigint, d jsonb, clr text[], p_creating boolean)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	e jsonb;
	f crm.fields;
	c text;
BEGIN
	FOR e IN SELECT jsonb_array_elements(coalesce(d -> 'custom', '[]')) LOOP
		SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = e ->> 'field';
		IF NOT FOUND THEN
			PERFORM crm.raise('CRI01', p_type || '.custom', 'record.has_no_custom_field_crm', p_type::text, (e ->> 'field')::text, p_type::text);
		END IF;
		PERFORM crm.save_custom_value(p_type, p_id, f, e ->> 'value');
	END LOOP;
	FOREACH c IN ARRAY clr LOOP
		CONTINUE WHEN c NOT LIKE 'custom.%';
		SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = substr(c, 8);
		IF NOT FOUND THEN
			PERFORM crm.raise('CRI01', 'clear', 'field.has_no_custom_field', p_type::text, substr(c, 8)::text);
		END IF;
		PERFORM crm.save_custom_value(p_type, p_id, f, NULL);
	END LOOP;
	IF p_creating THEN
		SELECT * INTO f FROM crm.fields x WHERE x.record_type = p_type AND x.required
		  AND NOT EXISTS (SELECT 1 FROM crm.custom_values v WHERE v.record_id = p_id AND v.field_id = x.id)
		LIMIT 1;
		IF FOUND THEN
			PERFORM crm.raise('CRI01', p_type || '.custom.' || f.name, 'value.required');
		END IF;
	END IF;
END
$function$;

-- Removing a field deletes its values; each record's loss is audited
-- (trigger crm.audit_side).
CREATE OR REPLACE FUNCTION crm.field_remove(p_type text, p_name text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	f crm.fields;
BEGIN
	PERFORM crm.business_table(p_type);
	SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = p_name;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'name', 'field.has_no_custom_field_2', p_type::text, p_name::text);
	END IF;
	DELETE FROM crm.custom_values WHERE field_id = f.id;
	DELETE FROM crm.fields WHERE id = f.id;
	DELETE FROM crm.picklists WHERE name = p_type || '.' || p_name;
END
$function$;

CREATE OR REPLACE FUNCTION crm.picklist_json(p_name text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
	SELECT jsonb_build_object('name', l.name, 'values',
		coalesce((SELECT jsonb_agg(jsonb_build_object('value', v.value, 'label', v.label,
							      'position', v.position, 'active', v.active)
					   ORDER BY v.position, v.value)
			  FROM crm.picklist_values v WHERE v.picklist = l.name), '[]'))
	FROM crm.picklists l WHERE l.name = p_name
$function$;

CREATE OR REPLACE FUNCTION crm.picklist_list(p_name text)
 RETURNS TABLE(json text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.raise('CRN01', 'name', 'field.no_pick_list_crm_picklist', p_name::text);
	END IF;
	RETURN QUERY SELECT crm.picklist_json(name)::text FROM crm.picklists
		     WHERE p_name IS NULL OR name = p_name ORDER BY name;
END
$function$;

-- A value of an admin-managed pick list, matched ignoring case and
-- surrounding space and returned in the list's spelling. Retired values
-- are refused on write; a record keeps a retired value it already has.
CREATE OR REPLACE FUNCTION crm.check_picklist(p_list text, p_value text, p_field text, p_old text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	v text;
BEGIN
	IF p_value IS NULL THEN
		RETURN NULL;
	END IF;
	IF lower(btrim(p_value)) = lower(p_old) THEN
		RETURN p_old;
	END IF;
	SELECT value INTO v FROM crm.picklist_values
	WHERE picklist = p_list AND lower(value) = lower(btrim(p_value)) AND active;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRI01', p_field, 'field.not_value_pick_list_crm', p_value::text, p_list::text, p_list::text);
	END IF;
	RETURN v;
END
$function$;

CREATE OR REPLACE FUNCTION crm.save_custom_value(p_type text, p_id bigint, f crm.fields, p_value text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	fld text := p_type || '.custom.' || f.name;
	m text[];
	num numeric;
	cur text;
	dt date;
	b boolean;
	txt text;
BEGIN
	IF p_value IS NULL OR btrim(p_value) = '' THEN
		IF f.required THEN
			PERFORM crm.raise('CRI01', fld, 'value.required');
		END IF;
		DELETE FROM crm.custom_values WHERE record_id = p_id AND field_id = f.id;
		RETURN;
	END IF;
	CASE f.kind
	WHEN 'text' THEN
		txt := crm.check_text(p_value, fld, coalesce(f.max_length, 255), f.required);
	WHEN 'picklist' THEN
		txt := crm.check_picklist(p_type || '.' || f.name, p_value, fld);
	WHEN 'number' THEN
		num := crm.check_number(p_value, fld);
	WHEN 'money' THEN
		m := regexp_match(btrim(p_value), '^(\S+)\s+([A-Za-z]{3})$');
		IF m IS NULL AND btrim(p_value) ~ '^-?[0-9.]+$' THEN
			PERFORM crm.raise('CRI01', fld, 'value.money_needs_currency_amount_iso', btrim(p_value)::text);
		ELSIF m IS NULL THEN
			PERFORM crm.raise('CRI01', fld, 'field.not_money_amount_currency_eur', p_value::text);
		END IF;
		SELECT x.amount, x.currency INTO num, cur FROM crm.check_money(m[1], m[2], fld) x;
	WHEN 'date' THEN
		dt := crm.check_date(p_value, fld);
	WHEN 'boolean' THEN
		b := crm.check_bool(p_value, fld);
	END CASE;
	IF num IS NOT NULL AND ((f.min_value IS NOT NULL AND num < f.min_value::numeric)
				OR (f.max_value IS NOT NULL AND num > f.max_value::numeric)) THEN
		PERFORM crm.raise('CRI01', fld, 'field.value_range', coalesce(f.min_value, '-∞')::text, coalesce(f.max_value, '∞')::text);
	END IF;
	IF dt IS NOT NULL AND ((f.min_value IS NOT NULL AND dt < f.min_value::date)
			       OR (f.max_value IS NOT NULL AND dt > f.max_value::date)) THEN
		PERFORM crm.raise('CRI01', fld, 'field.value_range', coalesce(f.min_value, '…')::text, coalesce(f.max_value, '…')::text);
	END IF;
	INSERT INTO crm.custom_values (record_id, record_type, field_id, v_text, v_num, v_num_key, v_currency, v_date, v_bool)
	VALUES (p_id, p_type, f.id, txt, num, num::double precision, cur, dt, b)
	ON CONFLICT (record_id, field_id) DO UPDATE
	SET v_text = EXCLUDED.v_text, v_num = EXCLUDED.v_num, v_num_key = EXCLUDED.v_num_key,
	    v_currency = EXCLUDED.v_currency, v_date = EXCLUDED.v_date, v_bool = EXCLUDED.v_bool;
END
$function$;

-- A custom field may not take a standard field's name; pick-list options
-- are trimmed and unique ignoring case.
CREATE OR REPLACE FUNCTION crm.field_add(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	t text := p ->> 'record_type';
	nm text := lower(btrim(p ->> 'name'));
	k text := p ->> 'kind';
	o text;
	seen text[] := '{}';
	i int := 0;
	f crm.fields;
	lbl text;
BEGIN
	PERFORM crm.business_table(t);
	IF nm IS NULL OR nm !~ '^[a-z][a-z0-9_]{0,39}$' THEN
		PERFORM crm.raise('CRI01', 'field.name', 'field.field_name_lower_case_letters');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.standard_fields WHERE record_type = t AND name = nm) THEN
		PERFORM crm.raise('CRE01', 'field.name', 'field.standard_field_give_custom_field', nm::text, t::text, t::text);
	END IF;
	IF k IS NULL OR k NOT IN ('text', 'number', 'money', 'date', 'boolean', 'picklist') THEN
		PERFORM crm.raise('CRI01', 'field.kind', 'field.field_kind_text_number_money');
	END IF;
	lbl := crm.check_text(p ->> 'label', 'field.label', 255);
	IF p ? 'max_length' AND (k <> 'text' OR (p ->> 'max_length')::int NOT BETWEEN 1 AND 4096) THEN
		PERFORM crm.raise('CRI01', 'field.max_length', 'field.only_text_fields_have_maximum');
	END IF;
	IF (p ? 'min' OR p ? 'max') AND k NOT IN ('number', 'money', 'date') THEN
		PERFORM crm.raise('CRI01', 'field.min', 'field.only_number_money_date_fields');
	END IF;
	IF k IN ('number', 'money') AND p ? 'min' THEN
		PERFORM crm.check_number(p ->> 'min', 'field.min');
	END IF;
	IF k IN ('number', 'money') AND p ? 'max' THEN
		PERFORM crm.check_number(p ->> 'max', 'field.max');
	END IF;
	IF k = 'date' AND p ? 'min' THEN
		PERFORM crm.check_date(p ->> 'min', 'field.min');
	END IF;
	IF k = 'date' AND p ? 'max' THEN
		PERFORM crm.check_date(p ->> 'max', 'field.max');
	END IF;
	IF k = 'picklist' AND jsonb_array_length(coalesce(p -> 'options', '[]')) = 0 THEN
		PERFORM crm.raise('CRI01', 'field.options', 'field.pick_list_field_needs_at');
	END IF;
	IF k <> 'picklist' AND jsonb_array_length(coalesce(p -> 'options', '[]')) > 0 THEN
		PERFORM crm.raise('CRI01', 'field.options', 'field.only_pick_list_fields_have');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.fields WHERE record_type = t AND name = nm) THEN
		PERFORM crm.raise('CRE01', 'field.name', 'field.already_has_custom_field', t::text, nm::text);
	END IF;
	INSERT INTO crm.fields (record_type, name, label, kind, required, max_length, min_value, max_value)
	VALUES (t, nm, coalesce(lbl, initcap(replace(nm, '_', ' '))), k,
		coalesce((p ->> 'required')::boolean, false), (p ->> 'max_length')::int, p ->> 'min', p ->> 'max')
	RETURNING * INTO f;
	IF k = 'picklist' THEN
		INSERT INTO crm.picklists (name, description) VALUES (t || '.' || nm, 'Values of custom field ' || nm || ' of ' || t || 's')
		ON CONFLICT (name) DO NOTHING;
		FOR o IN SELECT jsonb_array_elements_text(p -> 'options') LOOP
			o := crm.check_text(o, 'field.options', 255, true);
			IF lower(o) = ANY (seen) THEN
				PERFORM crm.raise('CRE01', 'field.options', 'field.option_given_twice_options_are', o::text);
			END IF;
			seen := seen || lower(o);
			i := i + 1;
			INSERT INTO crm.picklist_values (picklist, value, label, position)
			VALUES (t || '.' || nm, o, o, i) ON CONFLICT DO NOTHING;
		END LOOP;
	END IF;
	RETURN crm.field_json(f);
END
$function$;

CREATE OR REPLACE FUNCTION crm.field_json(f crm.fields)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'record_type', f.record_type, 'name', f.name, 'label', f.label, 'kind', f.kind,
		'required', f.required, 'max_length', f.max_length, 'min', f.min_value, 'max', f.max_value,
		'options', CASE WHEN f.kind = 'picklist' THEN (SELECT jsonb_agg(value ORDER BY position)
			FROM crm.picklist_values WHERE picklist = f.record_type || '.' || f.name AND active) END,
		'standard', false, 'sortable', false, 'filterable', true, 'created_at', crm.us(f.created_at),
		'multi_line', false, 'read_only', false, 'personal', false))
$function$;

-- Standard fields first, then custom ones; each says whether lists can
-- filter and sort by it, and (standard fields, from crm.standard_fields)
-- the facts a client builds its views from: the crm option, help, the
-- longest value, multi-line, the type an id field references, read-only,
-- personal.
CREATE OR REPLACE FUNCTION crm.field_list(p_type text)
 RETURNS TABLE(json text)
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	PERFORM crm.business_table(p_type);
	RETURN QUERY
	SELECT jsonb_strip_nulls(jsonb_build_object('record_type', s.record_type, 'name', s.name, 'label', s.label,
				  'kind', CASE s.kind WHEN 'money' THEN 'money' WHEN 'number' THEN 'number'
						      WHEN 'date' THEN 'date'
						      WHEN 'boolean' THEN 'boolean' WHEN 'picklist' THEN 'picklist'
						      ELSE 'text' END,
				  'max_length', s.max_length,
				  'standard', true, 'sortable', s.sort_expr IS NOT NULL,
				  'filterable', s.kind <> 'none', 'cli_option', s.cli_option,
				  'help', nullif(s.help, ''), 'multi_line', s.multi_line, 'references', s.ref_type,
				  'read_only', s.read_only, 'personal', s.personal))::text
	FROM (SELECT * FROM crm.standard_fields WHERE record_type = p_type ORDER BY position) s
	UNION ALL
	SELECT crm.field_json(f)::text FROM (SELECT * FROM crm.fields WHERE record_type = p_type ORDER BY name) f;
END
$function$;

-- A pick-list value is trimmed single-line text, unique in its list
-- ignoring case; adding a retired value (in any case) brings it back.
CREATE OR REPLACE FUNCTION crm.picklist_add(p_name text, p_value text, p_label text)
 RETURNS TABLE(json text)
 LANGUAGE plpgsql
AS $function$
DECLARE
	v text := crm.check_text(p_value, 'value', 255, true);
	l text := crm.check_text(p_label, 'label', 255);
	old crm.picklist_values;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.raise('CRN01', 'name', 'field.no_pick_list_crm_picklist', p_name::text);
	END IF;
	SELECT * INTO old FROM crm.picklist_values WHERE picklist = p_name AND lower(value) = lower(v);
	IF FOUND AND old.active THEN
		PERFORM crm.raise('CRE01', 'value', 'field.pick_list_already_has_values', p_name::text, old.value::text);
	ELSIF FOUND THEN
		UPDATE crm.picklist_values SET active = true, label = coalesce(l, label) WHERE id = old.id;
	ELSE
		INSERT INTO crm.picklist_values (picklist, value, label, position)
		VALUES (p_name, v, coalesce(l, v),
			coalesce((SELECT max(position) + 1 FROM crm.picklist_values WHERE picklist = p_name), 1));
	END IF;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$function$;

CREATE OR REPLACE FUNCTION crm.picklist_remove(p_name text, p_value text)
 RETURNS TABLE(json text)
 LANGUAGE plpgsql
AS $function$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.raise('CRN01', 'name', 'field.no_pick_list_crm_picklist', p_name::text);
	END IF;
	UPDATE crm.picklist_values SET active = false
	WHERE picklist = p_name AND lower(value) = lower(btrim(p_value)) AND active;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'value', 'field.pick_list_has_no_active', p_name::text, p_value::text);
	END IF;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$function$;

-- Moves a value of a pick list just before or just after another one
-- (exactly one of p_before, p_after); positions are renumbered 1..n.
CREATE OR REPLACE FUNCTION crm.picklist_move(p_name text, p_value text, p_before text, p_after text)
 RETURNS TABLE(json text)
 LANGUAGE plpgsql
AS $function$
DECLARE
	v text;
	other text;
	rest text[];
	i int;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.raise('CRN01', 'name', 'field.no_pick_list_crm_picklist', p_name::text);
	END IF;
	IF (p_before IS NULL) = (p_after IS NULL) THEN
		PERFORM crm.raise('CRI01', 'before', 'field.give_exactly_one_before_after');
	END IF;
	SELECT value INTO v FROM crm.picklist_values WHERE picklist = p_name AND lower(value) = lower(btrim(p_value));
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'value', 'field.pick_list_has_no_value', p_name::text, p_value::text);
	END IF;
	SELECT value INTO other FROM crm.picklist_values
	WHERE picklist = p_name AND lower(value) = lower(btrim(coalesce(p_before, p_after)));
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', CASE WHEN p_before IS NOT NULL THEN 'before' ELSE 'after' END, 'field.pick_list_has_no_value', p_name::text, coalesce(p_before, p_after)::text);
	END IF;
	IF other = v THEN
		PERFORM crm.raise('CRI01', CASE WHEN p_before IS NOT NULL THEN 'before' ELSE 'after' END, 'field.value_cannot_move_next_itself');
	END IF;
	rest := ARRAY(SELECT value FROM crm.picklist_values WHERE picklist = p_name AND value <> v ORDER BY position, value);
	i := array_position(rest, other);
	rest := CASE WHEN p_before IS NOT NULL THEN rest[:i - 1] || v || rest[i:]
		     ELSE rest[:i] || v || rest[i + 1:] END;
	UPDATE crm.picklist_values pv SET position = o.n
	FROM unnest(rest) WITH ORDINALITY AS o(value, n)
	WHERE pv.picklist = p_name AND pv.value = o.value AND pv.position <> o.n;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$function$;

-- The record types the acting user may read (business types: those with
-- a table), with their labels and the actions the user's role may take on
-- them (scope not none in the permission matrix), for clients that build
-- their views from metadata (RecordTypeList).
CREATE OR REPLACE FUNCTION crm.record_type_list()
 RETURNS TABLE(json text)
 LANGUAGE sql
 STABLE
AS $function$
	SELECT jsonb_build_object('name', t.name,
		'label', coalesce(t.label, initcap(t.name)),
		'plural_label', coalesce(t.plural_label, coalesce(t.label, initcap(t.name)) || 's'),
		'actions', (SELECT jsonb_agg(a.action ORDER BY a.n)
			    FROM unnest(ARRAY['read', 'create', 'update', 'delete', 'export', 'reassign', 'admin'])
				 WITH ORDINALITY AS a(action, n)
			    WHERE crm.scope_of(t.name, a.action) <> 'none'))::text
	FROM crm.record_types t
	WHERE t.table_name IS NOT NULL AND crm.scope_of(t.name, 'read') <> 'none'
	ORDER BY t.name
$function$;
COMMENT ON FUNCTION crm.record_type_list() IS 'The record types the acting user may read, with labels and the actions the role allows (RecordTypeList), as JSON rows.';

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.save_custom(text,bigint,jsonb,text[],boolean),
	crm.field_remove(text,text),
	crm.picklist_json(text),
	crm.picklist_list(text),
	crm.check_picklist(text,text,text,text),
	crm.save_custom_value(text,bigint,crm.fields,text),
	crm.field_add(jsonb),
	crm.field_json(crm.fields),
	crm.field_list(text),
	crm.picklist_add(text,text,text),
	crm.picklist_remove(text,text),
	crm.picklist_move(text,text,text,text),
	crm.record_type_list()
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.save_custom(text,bigint,jsonb,text[],boolean),
	crm.field_remove(text,text),
	crm.picklist_json(text),
	crm.picklist_list(text),
	crm.check_picklist(text,text,text,text),
	crm.save_custom_value(text,bigint,crm.fields,text),
	crm.field_add(jsonb),
	crm.field_json(crm.fields),
	crm.field_list(text),
	crm.picklist_add(text,text,text),
	crm.picklist_remove(text,text),
	crm.picklist_move(text,text,text,text),
	crm.record_type_list()
TO crm_app;
