-- sql/modules/70_relations.sql: relations between records.
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

CREATE OR REPLACE FUNCTION crm.relation_json(r crm.relations)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'relation_id', r.id, 'from_id', r.from_id, 'from_type', r.from_type,
		'from_name', crm.record_name(r.from_type, r.from_id), 'to_id', r.to_id, 'to_type', r.to_type,
		'to_name', crm.record_name(r.to_type, r.to_id), 'role', r.role, 'primary', r.is_primary,
		'created_at', crm.us(r.created_at)))
$function$;

CREATE OR REPLACE FUNCTION crm.relation_remove(p_id bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
	r crm.relations;
BEGIN
	SELECT * INTO r FROM crm.relations WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRN01', 'relation_id', 'relation.no_relation', p_id::text);
	END IF;
	IF NOT crm.record_editable(r.from_type, r.from_id) THEN
		PERFORM crm.record_refuse(r.from_type, r.from_id, NULL, 'update');
	END IF;
	DELETE FROM crm.relations WHERE id = p_id;
	IF r.is_primary THEN
		UPDATE crm.contacts SET account_id = NULL WHERE id = r.from_id AND account_id = r.to_id;
	END IF;
END
$function$;

-- A type name with its indefinite article, for messages: "an account".
CREATE OR REPLACE FUNCTION crm.with_article(p_type text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT CASE WHEN p_type ~ '^[aeiou]' THEN 'an ' ELSE 'a ' END || p_type $function$;
COMMENT ON FUNCTION crm.with_article(text) IS 'A record type''s name after its indefinite article ("an account", "a contact"), for messages.';

-- The types crm.relation_kinds relates, for messages: "account or
-- contact", "account, contact or lead".
CREATE OR REPLACE FUNCTION crm.relation_types_text()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
	SELECT coalesce(string_agg(CASE WHEN i = n AND n > 1 THEN ' or ' WHEN i > 1 THEN ', ' ELSE '' END || t, '' ORDER BY i), 'record')
	FROM (SELECT t, row_number() OVER (ORDER BY t) AS i, count(*) OVER () AS n
	      FROM (SELECT from_type AS t FROM crm.relation_kinds UNION SELECT to_type FROM crm.relation_kinds) u) x
$function$;
COMMENT ON FUNCTION crm.relation_types_text() IS 'The record types crm.relation_kinds relates, as words for messages ("account or contact").';

-- What crm.relation_kinds allows, for the message refusing another pair:
-- "from an account to an account, or from a contact to an account or a contact".
CREATE OR REPLACE FUNCTION crm.relation_kinds_text()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
	SELECT string_agg(x.words, ', or ' ORDER BY x.from_type)
	FROM (SELECT k.from_type, 'from ' || crm.with_article(k.from_type)
		     || ' to ' || string_agg(crm.with_article(k.to_type), ' or ' ORDER BY k.to_type) AS words
	      FROM crm.relation_kinds k GROUP BY k.from_type) x
$function$;
COMMENT ON FUNCTION crm.relation_kinds_text() IS 'The pairs crm.relation_kinds allows, as words for the message refusing another pair.';

-- Relations from or to a record, oldest first, keyset on the relation id.
CREATE OR REPLACE FUNCTION crm.relation_list(p_id bigint, p_after text, p_limit integer)
 RETURNS TABLE(json text, sort_key text)
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	t text := (SELECT record_type FROM crm.records WHERE id = p_id);
BEGIN
	IF t IS NULL OR NOT EXISTS (SELECT 1 FROM crm.relation_kinds k WHERE t IN (k.from_type, k.to_type))
	   OR NOT crm.record_visible(t, p_id) THEN
		PERFORM crm.raise('CRN01', 'record_id', 'record.not_found', crm.relation_types_text()::text, p_id::text);
	END IF;
	IF p_after IS NOT NULL AND p_after !~ '^[0-9]{1,18}$' THEN
		PERFORM crm.raise('CRI01', 'page.cursor', 'record.not_cursor_this_list_start');
	END IF;
	RETURN QUERY
	SELECT crm.relation_json(r)::text, r.id::text
	FROM crm.relations r
	WHERE (r.from_id = p_id OR r.to_id = p_id) AND r.id > coalesce(p_after::bigint, 0)
	ORDER BY r.id LIMIT p_limit;
END
$function$;

CREATE OR REPLACE FUNCTION crm.relation_add(p_from bigint, p_to bigint, p_role text, p_primary boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
	ft text := (SELECT record_type FROM crm.records WHERE id = p_from AND purged_at IS NULL);
	tt text := (SELECT record_type FROM crm.records WHERE id = p_to AND purged_at IS NULL);
	kind crm.relation_kinds;
	new_id bigint;
	role_ text;
	st text;
	msg text;
	col text;
	det text;
BEGIN
	IF ft IS NULL OR NOT EXISTS (SELECT 1 FROM crm.relation_kinds k WHERE k.from_type = ft)
	   OR NOT crm.record_visible(ft, p_from) THEN
		PERFORM crm.raise('CRN01', 'from_id', 'record.not_found', crm.relation_types_text()::text, p_from::text);
	END IF;
	IF tt IS NULL OR NOT EXISTS (SELECT 1 FROM crm.relation_kinds k WHERE k.to_type = tt)
	   OR NOT crm.record_visible(tt, p_to)
	   OR crm.record_get(tt, p_to) -> tt ? 'deleted_at' THEN
		PERFORM crm.raise('CRN01', 'to_id', 'record.not_found', crm.relation_types_text()::text, p_to::text);
	END IF;
	SELECT * INTO kind FROM crm.relation_kinds k WHERE k.from_type = ft AND k.to_type = tt;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRI01', 'to_id', 'relation.relation_goes_not_from', crm.relation_kinds_text()::text, crm.with_article(ft)::text, crm.with_article(tt)::text);
	END IF;
	IF p_from = p_to THEN
		PERFORM crm.raise('CRI01', 'to_id', 'relation.record_cannot_related_itself');
	END IF;
	IF ft = 'account' AND p_role = 'parent' THEN
		PERFORM crm.raise('CRI01', 'role', 'relation.account_parent_field_crm_account', p_from::text, p_to::text);
	END IF;
	IF p_primary AND NOT kind.primary_allowed THEN
		PERFORM crm.raise('CRI01', 'primary', 'relation.relation_from_cannot_primary_only', crm.with_article(ft)::text, crm.with_article(tt)::text, coalesce((SELECT string_agg(k.from_type || ' to ' || k.to_type, ', ' ORDER BY k.from_type, k.to_type)
				  FROM crm.relation_kinds k WHERE k.primary_allowed), 'none')::text);
	END IF;
	role_ := crm.check_picklist(kind.picklist, crm.check_text(p_role, 'role', 255, true), 'role');
	IF crm.record_get(ft, p_from) -> ft ? 'deleted_at' THEN
		PERFORM crm.raise('CRF01', 'from_id', 'record.deleted_crm_restore', ft::text, p_from::text, ft::text, p_from::text);
	END IF;
	IF NOT crm.record_editable(ft, p_from) THEN
		BEGIN
			PERFORM crm.record_refuse(ft, p_from, NULL, 'update');
		EXCEPTION WHEN OTHERS THEN
			-- record_refuse names the record "id"; here it is from_id
			-- (the message id and its arguments, in DETAIL, go along unchanged)
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, col = COLUMN_NAME,
						det = PG_EXCEPTION_DETAIL;
			RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = det,
				COLUMN = coalesce(CASE WHEN col = 'id' THEN 'from_id' ELSE nullif(col, '') END, '');
		END;
	END IF;
	IF EXISTS (SELECT 1 FROM crm.relations WHERE from_id = p_from AND to_id = p_to AND role = role_) THEN
		PERFORM crm.raise('CRE01', 'role', 'relation.already_related_as', ft::text, p_from::text, tt::text, p_to::text, role_::text);
	END IF;
	INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role)
	VALUES (p_from, ft, p_to, tt, role_) RETURNING id INTO new_id;
	IF p_primary THEN
		UPDATE crm.relations SET is_primary = false WHERE from_id = p_from AND is_primary;
		UPDATE crm.relations SET is_primary = true WHERE id = new_id;
		UPDATE crm.contacts SET account_id = p_to WHERE id = p_from AND account_id IS DISTINCT FROM p_to;
	END IF;
	RETURN (SELECT crm.relation_json(r) FROM crm.relations r WHERE r.id = new_id);
END
$function$;

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.with_article(text),
	crm.relation_types_text(),
	crm.relation_kinds_text(),
	crm.relation_json(crm.relations),
	crm.relation_remove(bigint),
	crm.relation_list(bigint,text,integer),
	crm.relation_add(bigint,bigint,text,boolean)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.with_article(text),
	crm.relation_types_text(),
	crm.relation_kinds_text(),
	crm.relation_json(crm.relations),
	crm.relation_remove(bigint),
	crm.relation_list(bigint,text,integer),
	crm.relation_add(bigint,bigint,text,boolean)
TO crm_app;
