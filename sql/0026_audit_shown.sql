-- 0026_audit_shown: an audit row's values as people read them, kept with
-- the row.
--
-- crm.audit_out showed a change set with user and team names beside their
-- ids and money amounts with their currency, worked out on every read by a
-- subquery per row: about 58 us for each row of a page that held such a
-- value, most of a scoped audit page's cost beyond its rows
-- (docs/benchmarks.md, "Audit: where a sales user's page goes"). The
-- trigger audit_shown (modules/90_audit.sql) now works them out once, when
-- the row is written: names as they were then, money in the currency of
-- the change. NULL in both columns means nothing in the row is shown
-- differently (the recorded values are what people read).
--
-- The rows already in the trail get them here, worked out as the view did
-- (today's names; the currency the record's history last recorded before
-- the row), so that what people read of them does not change. Only rows
-- that hold a user, team or money key are rewritten. The trail's guard
-- (audit_append_only, made by the module) is off for the statement: the
-- rows' history columns are not touched.

ALTER TABLE crm.audit ADD COLUMN IF NOT EXISTS old_shown jsonb, ADD COLUMN IF NOT EXISTS new_shown jsonb;
COMMENT ON COLUMN crm.audit.old_shown IS
	'old_values as people read them, worked out when the row was written: user and team ids followed by '
	'their names then ("5 (alice)"), money amounts with their currency to its minor units ("1250000.00 EUR", '
	'the currency key folded in); NULL in both columns when nothing is shown differently.';
COMMENT ON COLUMN crm.audit.new_shown IS 'new_values shown the same way as old_shown.';

ALTER TABLE crm.audit DISABLE TRIGGER USER;

UPDATE crm.audit a SET old_shown = sh.old_shown, new_shown = sh.new_shown
FROM crm.audit b
CROSS JOIN LATERAL (
	SELECT jsonb_object_agg(x.key, x.shown) FILTER (WHERE x.side = 'o') AS old_shown,
	       jsonb_object_agg(x.key, x.shown) FILTER (WHERE x.side = 'n') AS new_shown
	FROM (SELECT v.side, e.key, CASE
		WHEN jsonb_typeof(e.value) <> 'number' THEN e.value
		WHEN e.key IN ('owner_id', 'user_id', 'created_by', 'updated_by') THEN
			to_jsonb((e.value #>> '{}') || coalesce(' (' || (SELECT u.username FROM crm.users u
									 WHERE u.id = (e.value #>> '{}')::bigint) || ')', ''))
		WHEN e.key = 'team_id' OR (b.record_type = 'team' AND e.key = 'parent_id') THEN
			to_jsonb((e.value #>> '{}') || coalesce(' (' || (SELECT t.name FROM crm.teams t
									 WHERE t.id = (e.value #>> '{}')::bigint) || ')', ''))
		WHEN cur.code IS NOT NULL THEN
			to_jsonb(round((e.value #>> '{}')::numeric,
				       coalesce((SELECT c.minor_units FROM crm.currencies c WHERE c.code = cur.code), 2))::text
				 || ' ' || cur.code)
		ELSE e.value END AS shown
	      FROM (SELECT coalesce(array_agg(f.name), '{}') AS names,
			   coalesce(array_agg(f.name || '_currency'), '{}') AS currencies
		    FROM crm.standard_fields f WHERE f.record_type = b.record_type AND f.kind = 'money') m
	      CROSS JOIN LATERAL (
		    SELECT * FROM (VALUES ('o', b.old_values, b.new_values), ('n', b.new_values, b.old_values)) w
		    WHERE b.old_values ?| ARRAY['owner_id', 'user_id', 'created_by', 'updated_by', 'team_id', 'parent_id']
		       OR b.new_values ?| ARRAY['owner_id', 'user_id', 'created_by', 'updated_by', 'team_id', 'parent_id']
		       OR b.old_values ?| (m.names || m.currencies)
		       OR b.new_values ?| (m.names || m.currencies)) v(side, vals, other)
	      CROSS JOIN LATERAL jsonb_each(v.vals) e
	      CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(e.value) = 'number' THEN
					coalesce(v.vals ->> (e.key || '_currency'), v.other ->> (e.key || '_currency'),
						 CASE WHEN e.key = ANY (m.names) THEN
							(SELECT h.new_values ->> (e.key || '_currency') FROM crm.audit h
							 WHERE h.record_type = b.record_type AND h.record_id = b.record_id
							   AND h.id < b.id AND h.new_values ? (e.key || '_currency')
							 ORDER BY h.id DESC LIMIT 1) END) END AS code
				  OFFSET 0) cur
	      WHERE NOT (e.key LIKE '%\_currency'
			 AND coalesce(jsonb_typeof(v.vals -> left(e.key, -9)) = 'number', false))
	      OFFSET 0) x
) sh
WHERE a.id = b.id
  AND (b.old_values ?| (SELECT ARRAY['owner_id', 'user_id', 'created_by', 'updated_by', 'team_id', 'parent_id']
				|| coalesce(array_agg(f.name) || array_agg(f.name || '_currency'), '{}')
			 FROM crm.standard_fields f WHERE f.kind = 'money')
       OR b.new_values ?| (SELECT ARRAY['owner_id', 'user_id', 'created_by', 'updated_by', 'team_id', 'parent_id']
				|| coalesce(array_agg(f.name) || array_agg(f.name || '_currency'), '{}')
			 FROM crm.standard_fields f WHERE f.kind = 'money'))
  AND (sh.old_shown IS NOT NULL OR sh.new_shown IS NOT NULL);

ALTER TABLE crm.audit ENABLE TRIGGER USER;
