-- sql/modules/95_reporting.sql: the reporting schema (docs/reporting.md).
--
-- A repeatable module (sql/README.md). crm.refresh_reporting() (re)creates
-- one view reporting.<table> per record type of crm.record_types that has a
-- table, from the catalog and the registry. crm.refresh_generated()
-- (99_generated.sql) calls it, and crmd migrate runs that after the
-- modules whenever it applied a migration or a module or what the
-- generators read changed: a migration that adds a record type, or a
-- column to a type's table, changes no line here.
--
-- The views only ever gain columns: CREATE OR REPLACE VIEW, never DROP.
-- A view's existing columns keep their place, name and type; what is new
-- is appended; a column whose source is gone stays, always NULL.
-- The views run as their owner (security_invoker off), so members of
-- crm_report see every live row of every type (docs/security.md).

CREATE OR REPLACE FUNCTION crm.refresh_reporting()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'crm'
AS $function$
DECLARE
	rt record;
	a record;
	s record;
	t regclass;
	v text;
	base text;
	pl text;
	cols text[];
	exprs text[];
	notes text[];
	sel text[];
	i int;
BEGIN
	FOR rt IN SELECT name, description, table_name FROM crm.record_types
		  WHERE table_name IS NOT NULL ORDER BY name LOOP
		t := rt.table_name::regclass;
		v := (SELECT relname FROM pg_class WHERE oid = t);
		cols := '{}'; exprs := '{}'; notes := '{}';
		-- The table's business columns, in order. Left out: search keys
		-- (*_norm, *_key: derived from a column that is there) and
		-- deleted_at (always NULL: only live rows are shown).
		FOR a IN SELECT attnum, attname, atttypid, col_description(t, attnum) AS note
			 FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped
			   AND attname !~ '_(norm|key)$' AND attname <> 'deleted_at'
			   AND atttypid <> 'tsvector'::regtype ORDER BY attnum LOOP
			cols := cols || a.attname::text;
			exprs := exprs || format('r.%I', a.attname);
			notes := notes || coalesce(a.note, format('Column %s of %s.', a.attname, t));
			base := regexp_replace(a.attname, '_id$', '');
			-- People and teams: their names, resolved when the view is read.
			IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = t AND contype = 'f'
				   AND confrelid = 'crm.users'::regclass AND conkey = ARRAY[a.attnum]) THEN
				cols := cols || (base || '_username') || (base || '_name');
				exprs := exprs
					|| format('(SELECT u.username FROM crm.users u WHERE u.id = r.%I)', a.attname)
					|| format('(SELECT u.display_name FROM crm.users u WHERE u.id = r.%I)', a.attname);
				notes := notes
					|| format('Username of the user in %s.', a.attname)
					|| format('Display name of the user in %s.', a.attname);
			ELSIF EXISTS (SELECT FROM pg_constraint WHERE conrelid = t AND contype = 'f'
				      AND confrelid = 'crm.teams'::regclass AND conkey = ARRAY[a.attnum]) THEN
				cols := cols || (base || '_name');
				exprs := exprs || format('(SELECT m.name FROM crm.teams m WHERE m.id = r.%I)', a.attname);
				notes := notes || format('Name of the team in %s.', a.attname);
			END IF;
			-- Pick lists: the label of the stored value.
			pl := (SELECT p.name FROM crm.picklists p
			       WHERE a.atttypid = 'text'::regtype AND p.name IN (rt.name || '.' || a.attname, a.attname)
			       ORDER BY p.name = a.attname LIMIT 1);
			IF pl IS NOT NULL THEN
				cols := cols || (a.attname || '_label');
				exprs := exprs || format('(SELECT pv.label FROM crm.picklist_values pv '
							 'WHERE pv.picklist = %L AND pv.value = r.%I)', pl, a.attname);
				notes := notes || format('Label of %s in pick list %s.', a.attname, pl);
			END IF;
		END LOOP;
		-- List side tables (crm.contact_emails, crm.contact_phones): a table
		-- <x>_<list> whose single-column key to this table cascades and that
		-- has a position; the view has <list>, its values in order.
		FOR s IN SELECT c.conrelid::regclass AS tab, fa.attname AS fk,
				substr(sc.relname, length(regexp_replace(fa.attname, '_id$', '')) + 2) AS list,
				(SELECT va.attname FROM pg_attribute va WHERE va.attrelid = c.conrelid AND va.attnum > 0
				   AND NOT va.attisdropped AND va.attgenerated = '' AND va.atttypid = 'text'::regtype
				   AND va.attname NOT IN ('kind') AND va.attname !~ '_(norm|key)$'
				 ORDER BY va.attnum LIMIT 1) AS val
			 FROM pg_constraint c
			 JOIN pg_class sc ON sc.oid = c.conrelid
			 JOIN pg_attribute fa ON fa.attrelid = c.conrelid AND fa.attnum = c.conkey[1]
			 WHERE c.contype = 'f' AND c.confrelid = t AND c.confdeltype = 'c'
			   AND cardinality(c.conkey) = 1
			   AND sc.relname LIKE regexp_replace(fa.attname, '_id$', '') || '\_%'
			   AND EXISTS (SELECT FROM pg_attribute pa WHERE pa.attrelid = c.conrelid
					AND pa.attname = 'position' AND NOT pa.attisdropped)
			 ORDER BY sc.relname LOOP
			CONTINUE WHEN s.val IS NULL;
			cols := cols || s.list;
			exprs := exprs || format('ARRAY(SELECT x.%I FROM %s x WHERE x.%I = r.id ORDER BY x.position)',
						 s.val, s.tab, s.fk);
			notes := notes || format('The %s of the record, in order (%s.%s).', s.list, s.tab, s.val);
		END LOOP;
		IF EXISTS (SELECT FROM crm.standard_fields WHERE record_type = rt.name AND name = 'tags') THEN
			cols := cols || 'tags'::text;
			exprs := exprs || 'ARRAY(SELECT g.tag FROM crm.record_tags g WHERE g.record_id = r.id ORDER BY g.tag_norm)'::text;
			notes := notes || 'The record''s tags, sorted.'::text;
		END IF;
		cols := cols || 'custom'::text;
		exprs := exprs || format(
			'coalesce((SELECT jsonb_object_agg(f.name, CASE f.kind '
			'WHEN %L THEN jsonb_build_object(%L, cv.v_num, %L, cv.v_currency) '
			'WHEN %L THEN jsonb_build_object(%L, cv.v_text, %L, (SELECT pv.label FROM crm.picklist_values pv '
			'WHERE pv.picklist = f.record_type || %L || f.name AND pv.value = cv.v_text)) '
			'ELSE coalesce(to_jsonb(cv.v_text), to_jsonb(cv.v_num), to_jsonb(cv.v_date), to_jsonb(cv.v_bool)) END) '
			'FROM crm.custom_values cv JOIN crm.fields f ON f.id = cv.field_id WHERE cv.record_id = r.id), %L::jsonb)',
			'money', 'amount', 'currency', 'picklist', 'value', 'label', '.', '{}');
		notes := notes || 'Custom field values by field name (crm.fields): money as {"amount","currency"}, pick lists as {"value","label"}, others as the value.'::text;

		-- The existing view's columns first, in their order and type.
		sel := '{}';
		FOR a IN SELECT attname::text AS name, format_type(atttypid, atttypmod) AS typ
			 FROM pg_attribute WHERE attrelid = to_regclass(format('reporting.%I', v))
			   AND attnum > 0 AND NOT attisdropped ORDER BY attnum LOOP
			i := array_position(cols, a.name);
			IF i IS NULL THEN
				sel := sel || format('NULL::%s AS %I', a.typ, a.name);
			ELSE
				sel := sel || format('(%s)::%s AS %I', exprs[i], a.typ, a.name);
				cols[i] := NULL;
			END IF;
		END LOOP;
		FOR i IN 1 .. cardinality(cols) LOOP
			IF cols[i] IS NOT NULL THEN
				sel := sel || format('%s AS %I', exprs[i], cols[i]);
			END IF;
		END LOOP;
		EXECUTE format('CREATE OR REPLACE VIEW reporting.%I AS SELECT %s FROM %s r WHERE r.deleted_at IS NULL',
			       v, array_to_string(sel, ', '), t);
		EXECUTE format('COMMENT ON VIEW reporting.%I IS %L', v,
			       format('Live %s records, company-wide (record type %s: %s). docs/reporting.md.',
				      v, rt.name, rt.description));
		FOR i IN 1 .. cardinality(notes) LOOP
			IF cols[i] IS NOT NULL THEN
				EXECUTE format('COMMENT ON COLUMN reporting.%I.%I IS %L', v, cols[i], notes[i]);
			END IF;
		END LOOP;
		-- Columns kept from an earlier shape (their note is the earlier
		-- one, or this).
		FOR a IN SELECT attname FROM pg_attribute
			 WHERE attrelid = format('reporting.%I', v)::regclass AND attnum > 0 AND NOT attisdropped
			   AND col_description(attrelid, attnum) IS NULL LOOP
			EXECUTE format('COMMENT ON COLUMN reporting.%I.%I IS %L', v, a.attname,
				       'No longer filled: its source is gone (views only gain columns).');
		END LOOP;
		EXECUTE format('REVOKE ALL ON reporting.%I FROM PUBLIC', v);
		EXECUTE format('GRANT SELECT ON reporting.%I TO crm_report', v);
	END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION crm.refresh_reporting() FROM PUBLIC, crm_app, crm_auth;
