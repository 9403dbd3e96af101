-- 0006_record_fixes: what a new user hit with records (issue 10, part 4).
--
-- * Edits change only what was asked: a part of an address changes only
--   that part (clear takes billing_address.city too); an edit that changes
--   nothing writes nothing (no version, no updated_at, no audit row); tags,
--   e-mail addresses and phone numbers can be added and removed one by one
--   and the primary changed without retyping the rest.
-- * Reassigning an account can take its contacts along; the reply says how
--   many contacts stayed with whom otherwise.
-- * Input hygiene: single-line text is trimmed and may not hold tabs, line
--   breaks, control characters, bidirectional controls or non-characters;
--   multi-line text (descriptions, streets, notes) keeps line breaks. Pick-
--   list values are unique ignoring case and surrounding space and a
--   record's value is stored in the list's spelling; country and currency
--   codes are taken in any case.
-- * Errors say what is wrong and what is accepted (versions, money without a
--   currency, parent on itself, a contact without a name, refused
--   reassigns, deleting a deleted record).
-- * Empty values sort last in both directions.
-- * team_delete and picklist_move.

-- ------------------------------------------------------------ text hygiene

-- What a character is, for an error message: "a tab (U+0009)".
CREATE FUNCTION crm.char_name(c text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN c = E'\t' THEN 'a tab'
		    WHEN c IN (E'\n', E'\r') THEN 'a line break'
		    WHEN c ~ '[\u202a-\u202e\u2066-\u2069]' THEN 'a bidirectional control character'
		    WHEN c ~ '[\u0001-\u001f\u007f-\u009f]' THEN 'a control character'
		    ELSE 'a non-character' END
	       || format(' (U+%s)', upper(CASE WHEN ascii(c) < 65536 THEN lpad(to_hex(ascii(c)), 4, '0') ELSE to_hex(ascii(c)) END))
$$;

-- Position (1-based, in characters) of the first character text may not
-- hold, 0 when none: C0 and C1 controls (tab and line breaks too unless
-- p_multiline), bidirectional embeddings, overrides and isolates
-- (U+202A-U+202E, U+2066-U+2069) and non-characters (U+FDD0-U+FDEF and
-- the last two code points of every plane).
CREATE FUNCTION crm.bad_char_at(p_value text, p_multiline boolean) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT regexp_instr(p_value,
		CASE WHEN p_multiline THEN '[\u0001-\u0008\u000b\u000c\u000e-\u001f' ELSE '[\u0001-\u001f' END
		|| '\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff'
		|| '\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff'
		|| '\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff'
		|| '\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff'
		|| '\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]')
$$;

-- The last part of a field path, as the subject of a message:
-- "account.billing_address.city" -> "city".
CREATE FUNCTION crm.subject(p_field text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT replace(regexp_replace(coalesce(p_field, 'value'), '^.*\.', ''), '_', ' ') $$;

-- Text a user typed. Single-line text (p_multiline false) is trimmed of
-- surrounding white space and may then hold no tab or line break;
-- multi-line text keeps tabs and line breaks. Neither may hold another
-- control character, a bidirectional control or a non-character. At most
-- p_max characters (Unicode code points). Empty (after trimming) is NULL,
-- refused when required.
CREATE FUNCTION crm.check_text(p_value text, p_field text, p_max integer, p_required boolean,
			       p_multiline boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	v text := p_value;
	at integer;
BEGIN
	IF NOT p_multiline THEN
		v := btrim(v, E' \t\n\r\f\u000b\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff');
	END IF;
	IF v IS NULL OR v = '' THEN
		IF p_required THEN
			PERFORM crm.fail('CRI01', p_field, format('%s is required and may not be blank', crm.subject(p_field)));
		END IF;
		RETURN NULL;
	END IF;
	IF length(v) > p_max THEN
		PERFORM crm.fail('CRI01', p_field, format('%s must be at most %s characters (it has %s)',
							  crm.subject(p_field), p_max, length(v)));
	END IF;
	at := crm.bad_char_at(v, p_multiline);
	IF at > 0 THEN
		PERFORM crm.fail('CRI01', p_field, format('%s contains %s at character %s; %s', crm.subject(p_field),
			crm.char_name(substr(v, at, 1)), at,
			CASE WHEN p_multiline THEN 'text may hold line breaks and tabs but no other control or formatting character'
			     ELSE 'a single-line field takes no tab, line break, control or formatting character' END));
	END IF;
	RETURN v;
END
$$;

-- Single-line text (the four-argument form every earlier caller uses).
CREATE OR REPLACE FUNCTION crm.check_text(p_value text, p_field text, p_max integer, p_required boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT crm.check_text(p_value, p_field, p_max, p_required, false) $$;

-- The change set d with its text at path checked and cleaned (see
-- check_text); a value that is blank after trimming becomes null.
CREATE FUNCTION crm.clean_text(d jsonb, p_path text[], p_field text, p_max integer,
			       p_required boolean DEFAULT false, p_multiline boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF d #> p_path IS NULL OR jsonb_typeof(d #> p_path) <> 'string' THEN
		IF p_required THEN
			PERFORM crm.check_text(NULL, p_field, p_max, true, p_multiline);
		END IF;
		RETURN d;
	END IF;
	RETURN jsonb_set(d, p_path, coalesce(to_jsonb(crm.check_text(d #>> p_path, p_field, p_max, p_required, p_multiline)),
					     'null'::jsonb));
END
$$;

-- Country codes in any case, stored upper-case.
CREATE OR REPLACE FUNCTION crm.check_country(p_code text, p_field text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	c text := upper(btrim(p_code));
BEGIN
	IF c = '' THEN
		RETURN NULL;
	END IF;
	IF c IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.countries WHERE code = c) THEN
		PERFORM crm.fail('CRI01', p_field, format('country "%s" is not an ISO 3166 country code (two letters, e.g. DE, CN, US)', p_code));
	END IF;
	RETURN c;
END
$$;

-- Money: the currency in any case (stored upper-case); an amount without
-- a currency says so.
CREATE OR REPLACE FUNCTION crm.check_money(p_amount text, p_currency text, p_field text,
					   OUT amount numeric, OUT currency text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	minor smallint;
	c text := upper(btrim(p_currency));
BEGIN
	IF c IS NULL OR c = '' THEN
		PERFORM crm.fail('CRI01', p_field || '.currency', format('money needs a currency: an amount and an ISO 4217 code, e.g. "%s EUR"',
			coalesce(nullif(p_amount, ''), '1200.50')));
	END IF;
	SELECT x.minor_units INTO minor FROM crm.currencies x WHERE x.code = c;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRI01', p_field || '.currency', format('currency "%s" is not an ISO 4217 currency code (e.g. EUR, USD, CNY)', p_currency));
	END IF;
	amount := crm.check_number(p_amount, p_field || '.amount');
	IF scale(amount) > minor THEN
		PERFORM crm.fail('CRI01', p_field || '.amount', format('amount %s has too many decimals: %s has %s decimal places', p_amount, c, minor));
	END IF;
	currency := c;
END
$$;

-- A value of an admin-managed pick list, matched ignoring case and
-- surrounding space and returned in the list's spelling. Retired values
-- are refused on write; a record keeps a retired value it already has.
CREATE OR REPLACE FUNCTION crm.check_picklist(p_list text, p_value text, p_field text, p_old text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
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
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a value of pick list %s (crm picklist list %s)', p_value, p_list, p_list));
	END IF;
	RETURN v;
END
$$;

-- ------------------------------------------------------------ versions

-- Every update of a business row: next version, who and when, unless
-- nothing but the bookkeeping would change (an edit that changes nothing
-- changes nothing). A caller that changed only side rows (tags, e-mail
-- addresses, custom values) bumps the version explicitly
-- (SET version = version + 1).
CREATE OR REPLACE FUNCTION crm.touch_record() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
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
$$;

-- Why a record could not be changed: not visible (NOT_FOUND, saying
-- nothing about whether it exists), deleted (FAILED_PRECONDITION), a
-- version that is stale or never existed (CONFLICT), or visible but
-- outside the action's scope (PERMISSION_DENIED, saying whose it is and
-- what the role may do).
CREATE OR REPLACE FUNCTION crm.record_refuse(p_type text, p_id bigint, p_version bigint, p_action text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	t text := (SELECT table_name FROM crm.record_types WHERE name = p_type);
	v bigint;
	del boolean;
	own text;
	team text;
	sc text := crm.scope_of(p_type, CASE WHEN p_action IN ('restore', 'delete') THEN 'delete'
					  WHEN p_action = 'reassign' THEN 'reassign' ELSE 'update' END);
BEGIN
	EXECUTE format('SELECT r.version, r.deleted_at IS NOT NULL, u.username, tm.name FROM %s r '
		       'LEFT JOIN crm.users u ON u.id = r.owner_id LEFT JOIN crm.teams tm ON tm.id = r.team_id '
		       'WHERE r.id = $1', t)
	INTO v, del, own, team USING p_id;
	IF v IS NULL THEN
		PERFORM crm.fail('CRN01', 'id', format('no %s %s', p_type, p_id));
	ELSIF del AND p_action = 'delete' THEN
		PERFORM crm.fail('CRF01', 'id', format('%s %s is already deleted', p_type, p_id));
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.fail('CRF01', 'id', format('%s %s is deleted (crm %s restore %s)', p_type, p_id, p_type, p_id));
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.fail('CRF01', 'id', format('%s %s is not deleted', p_type, p_id));
	ELSIF p_version IS NOT NULL AND p_version > v THEN
		PERFORM crm.fail('CRC01', 'version', format('%s %s has no version %s: its version is %s', p_type, p_id, p_version, v));
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.fail('CRC01', 'version', format('%s %s changed since you read it (version %s, now %s): reload and retry', p_type, p_id, p_version, v));
	END IF;
	PERFORM crm.fail('CRP01', NULL, format('permission denied: %s %s belongs to %s (team %s); %s',
		p_type, p_id, coalesce(own, 'nobody'), coalesce(team, 'none'),
		CASE WHEN sc = 'none' THEN format('your role may not %s %ss', p_action, p_type)
		     ELSE format('your role may %s only %s', p_action,
				 CASE sc WHEN 'own' THEN 'records you own'
					 WHEN 'team' THEN 'records of your team and the teams you manage'
					 WHEN 'subteams' THEN 'records of your teams and the teams below them'
					 ELSE 'records in its scope' END
				 || CASE WHEN p_action = 'update' THEN ' and records shared with you for editing' ELSE '' END) END));
END
$$;

CREATE OR REPLACE FUNCTION crm.note_refuse(p_id bigint, p_version bigint, p_action text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	v bigint;
	del boolean;
BEGIN
	SELECT version, deleted_at IS NOT NULL INTO v, del FROM crm.notes WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'note_id', format('no note %s', p_id));
	ELSIF del AND p_action = 'delete' THEN
		PERFORM crm.fail('CRF01', 'note_id', format('note %s is already deleted', p_id));
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.fail('CRN01', 'note_id', format('note %s is deleted (crm note restore %s)', p_id, p_id));
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.fail('CRF01', 'note_id', format('note %s is not deleted', p_id));
	ELSIF p_version IS NOT NULL AND p_version > v THEN
		PERFORM crm.fail('CRC01', 'version', format('note %s has no version %s: its version is %s', p_id, p_version, v));
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.fail('CRC01', 'version', format('note %s changed since you read it (version %s, now %s): reload and retry', p_id, p_version, v));
	END IF;
	PERFORM crm.fail('CRP01', NULL, format('permission denied: you may not %s note %s', p_action, p_id));
END
$$;

-- ------------------------------------------------------------ accounts

CREATE OR REPLACE FUNCTION crm.check_parent(p_id bigint, p_parent bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_parent IS NULL THEN
		RETURN NULL;
	END IF;
	IF p_parent = p_id THEN
		PERFORM crm.fail('CRI01', 'account.parent_id', format('an account cannot be its own parent (account %s)', p_id));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.accounts WHERE id = p_parent AND deleted_at IS NULL) THEN
		PERFORM crm.fail('CRN01', 'account.parent_id', format('no account %s to be the parent', p_parent));
	END IF;
	IF p_id IS NOT NULL AND crm.account_parent_loops(p_id, p_parent) THEN
		PERFORM crm.fail('CRI01', 'account.parent_id', format('account %s is below account %s: a parent may not be its own descendant', p_parent, p_id));
	END IF;
	RETURN p_parent;
END
$$;

-- An address change set checked and cleaned (text trimmed, country
-- upper-case); only the parts given are there.
CREATE FUNCTION crm.clean_address(d jsonb, k text, p_field text) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF jsonb_typeof(d -> k) IS DISTINCT FROM 'object' THEN
		RETURN d;
	END IF;
	d := crm.clean_text(d, ARRAY[k, 'street'], p_field || '.street', 1024, false, true);
	d := crm.clean_text(d, ARRAY[k, 'city'], p_field || '.city', 255);
	d := crm.clean_text(d, ARRAY[k, 'region'], p_field || '.region', 255);
	d := crm.clean_text(d, ARRAY[k, 'postal_code'], p_field || '.postal_code', 32);
	IF d -> k ? 'country' THEN
		d := jsonb_set(d, ARRAY[k, 'country'],
			       coalesce(to_jsonb(crm.check_country(d -> k ->> 'country', p_field || '.country')), 'null'));
	END IF;
	RETURN d;
END
$$;

-- One part of an address after an update: the part given, NULL when the
-- part or the whole address is cleared, else the old value.
CREATE FUNCTION crm.address_part(d jsonb, k text, part text, clr text[], old text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE WHEN d -> k ? part THEN d -> k ->> part
		    WHEN k = ANY (clr) OR (k || '.' || part) = ANY (clr) THEN NULL
		    ELSE old END
$$;

-- Creates (p_id NULL) or updates an account from a change set (the
-- Account message as JSON) and a list of fields to clear. An address in
-- the change set changes only the parts it holds.
CREATE OR REPLACE FUNCTION crm.account_save(p_id bigint, p_version bigint, d jsonb, clr text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.accounts;
	b jsonb;
	s jsonb;
	rev numeric;
	cur text;
	id_ bigint := p_id;
	c text;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		IF c NOT IN ('legal_name', 'industry', 'region', 'tier', 'website', 'phone', 'billing_address',
			     'shipping_address', 'parent_id', 'annual_revenue', 'employees', 'description', 'tags')
		   AND c !~ '^(billing|shipping)_address\.(street|city|region|postal_code|country)$'
		   AND c NOT LIKE 'custom.%' THEN
			PERFORM crm.fail('CRI01', 'clear', format('"%s" is not an account field that can be cleared (e.g. website, billing_address, billing_address.city, custom.NAME)', c));
		END IF;
	END LOOP;
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
		PERFORM crm.fail('CRI01', 'account.employees', format('employees must be between 0 and 100000000 (not %s)', d ->> 'employees'));
	END IF;
	IF d ? 'annual_revenue' THEN
		SELECT x.amount, x.currency INTO rev, cur
		FROM crm.check_money(d -> 'annual_revenue' ->> 'amount', d -> 'annual_revenue' ->> 'currency',
				     'account.annual_revenue') x;
		IF rev < 0 THEN
			PERFORM crm.fail('CRI01', 'account.annual_revenue.amount', 'annual revenue must not be negative');
		END IF;
	END IF;
	IF creating THEN
		INSERT INTO crm.accounts (owner_id, team_id, created_by, updated_by, name, legal_name, type,
			individual, industry, region, tier, website, phone, phone_norm,
			billing_street, billing_city, billing_region, billing_postal_code, billing_country,
			shipping_street, shipping_city, shipping_region, shipping_postal_code, shipping_country,
			parent_id, annual_revenue, annual_revenue_currency, employees, description)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'name', d ->> 'legal_name', coalesce(d ->> 'type', 'prospect'),
			coalesce((d ->> 'individual')::boolean, false), d ->> 'industry', d ->> 'region', d ->> 'tier',
			d ->> 'website', d ->> 'phone', crm.phone_norm(d ->> 'phone'),
			b ->> 'street', b ->> 'city', b ->> 'region', b ->> 'postal_code', b ->> 'country',
			s ->> 'street', s ->> 'city', s ->> 'region', s ->> 'postal_code', s ->> 'country',
			crm.check_parent(NULL, (d ->> 'parent_id')::bigint), rev, cur,
			(d ->> 'employees')::bigint, d ->> 'description'
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
			phone_norm = crm.phone_norm(crm.pick(d, 'phone', clr, phone)),
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
			description = crm.pick(d, 'description', clr, description)
		WHERE id = p_id AND version = p_version AND deleted_at IS NULL
		  AND (owner_id = (SELECT crm.scope_own('account', 'update'))
		       OR (SELECT crm.scope_all('account', 'update'))
		       OR team_id = ANY ((SELECT crm.scope_teams('account', 'update'))::bigint[])
		       OR id = ANY ((SELECT crm.shared_ids('account', true))::bigint[]));
		IF NOT FOUND THEN
			PERFORM crm.record_refuse('account', p_id, p_version, 'update');
		END IF;
	END IF;
	PERFORM crm.save_tags('account', id_, d, clr, creating);
	PERFORM crm.save_custom('account', id_, d, clr, creating);
	RETURN (SELECT v_.json FROM crm.account_out v_ WHERE v_.id = id_);
END
$$;

-- ------------------------------------------------------------ tags

-- Replaces a record's tags when the change set names them (only the
-- difference is written; trigger crm.audit_side audits it). Tags are
-- single-line text, trimmed; the same tag twice (ignoring case) counts once.
CREATE OR REPLACE FUNCTION crm.save_tags(p_type text, p_id bigint, d jsonb, clr text[], p_creating boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
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
		PERFORM crm.fail('CRI01', p_type || '.tags', format('a record has at most 50 tags (this would have %s)', cardinality(want)));
	END IF;
	DELETE FROM crm.record_tags
	WHERE record_id = p_id AND tag_norm <> ALL (ARRAY(SELECT lower(normalize(x, NFKC)) FROM unnest(want) x));
	INSERT INTO crm.record_tags (record_id, record_type, tag)
	SELECT p_id, p_type, x FROM unnest(want) x
	ON CONFLICT DO NOTHING;
END
$$;

-- ------------------------------------------------------------ contacts

CREATE OR REPLACE FUNCTION crm.check_birthday(b jsonb) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
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
		PERFORM crm.fail('CRI01', 'contact.birthday.month', format('birthday month must be between 1 and 12 (not %s)', coalesce(m::text, 'missing')));
	END IF;
	IF y IS NOT NULL AND y NOT BETWEEN 1850 AND this_year THEN
		PERFORM crm.fail('CRI01', 'contact.birthday.year', format('birthday year must be between 1850 and %s (not %s)', this_year, y));
	END IF;
	IF dd IS NULL OR dd < 1 OR dd > 31
	   OR dd > extract(day FROM make_date(coalesce(y, 2000)::int, m::int, 1) + interval '1 month - 1 day') THEN
		PERFORM crm.fail('CRI01', 'contact.birthday.day', format('birthday day: %s-%s has no day %s', coalesce(y::text, '----'),
			lpad(m::text, 2, '0'), coalesce(dd::text, 'missing')));
	END IF;
END
$$;

-- Preferences: a list of {key, value} → one JSON object (keys unique,
-- trimmed single-line text).
CREATE OR REPLACE FUNCTION crm.check_preferences(p jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	o jsonb := '{}';
	e jsonb;
	k text;
BEGIN
	IF jsonb_array_length(p) > 50 THEN
		PERFORM crm.fail('CRI01', 'contact.preferences', format('a contact has at most 50 preferences (not %s)', jsonb_array_length(p)));
	END IF;
	FOR e IN SELECT jsonb_array_elements(p) LOOP
		k := crm.check_text(e ->> 'key', 'contact.preferences.key', 64, true);
		IF o ? k THEN
			PERFORM crm.fail('CRI01', 'contact.preferences.key', format('preference "%s" is given twice', k));
		END IF;
		o := o || jsonb_build_object(k, coalesce(crm.check_text(e ->> 'value', 'contact.preferences.value', 1024), ''));
	END LOOP;
	RETURN o;
END
$$;

-- A contact's e-mail addresses or phone numbers (list = emails / phones)
-- after the edits of a RecordUpdate: the current list, then remove_<list>
-- (each must be there), then add_<list> (one already there is kept; its
-- kind and primary flag are updated when given), then primary_email /
-- primary_phone. Addresses match ignoring case, numbers by their normal
-- form. The result is the whole list, as if the client had sent it.
CREATE FUNCTION crm.edit_contact_list(p_id bigint, list text, ops jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
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
			PERFORM crm.fail('CRI01', 'remove_' || list, format('contact %s has no %s "%s" (it has: %s)',
				p_id, CASE WHEN is_email THEN 'e-mail address' ELSE 'phone number' END, r,
				coalesce((SELECT string_agg(e ->> k, ', ') FROM jsonb_array_elements(cur) e), 'none')));
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
			PERFORM crm.fail('CRI01', CASE WHEN is_email THEN 'primary_email' ELSE 'primary_phone' END,
				format('contact %s has no %s "%s" to make primary (it has: %s)', p_id,
				       CASE WHEN is_email THEN 'e-mail address' ELSE 'phone number' END, prim,
				       coalesce((SELECT string_agg(e ->> k, ', ') FROM jsonb_array_elements(cur) e), 'none')));
		END IF;
		cur := (SELECT jsonb_agg(jsonb_set(e, '{primary}', to_jsonb(CASE WHEN is_email THEN lower(e ->> k) ELSE crm.phone_norm(e ->> k) END = want))
				ORDER BY o) FROM jsonb_array_elements(cur) WITH ORDINALITY AS t(e, o));
	END IF;
	RETURN cur;
END
$$;

CREATE OR REPLACE FUNCTION crm.contact_save(p_id bigint, p_version bigint, d jsonb, clr text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.contacts;
	id_ bigint := p_id;
	c text;
	bd jsonb;
	prefs jsonb;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		IF c NOT IN ('given_name', 'family_name', 'title', 'emails', 'phones', 'birthday', 'preferred_channel',
			     'preferences', 'account_id', 'description', 'tags')
		   AND c NOT LIKE 'custom.%' THEN
			PERFORM crm.fail('CRI01', 'clear', format('"%s" is not a contact field that can be cleared (e.g. title, emails, birthday, custom.NAME)', c));
		END IF;
	END LOOP;
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
		PERFORM crm.fail('CRI01', CASE WHEN d ? 'given_name' OR 'given_name' = ANY (clr) THEN 'contact.given_name' ELSE 'contact.family_name' END,
				 'a contact needs a given name or a family name (or both)');
	END IF;
	IF d ? 'account_id' AND NOT EXISTS (SELECT 1 FROM crm.accounts
					   WHERE id = (d ->> 'account_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.fail('CRN01', 'contact.account_id', format('no account %s', d ->> 'account_id'));
	END IF;
	IF creating THEN
		INSERT INTO crm.contacts (owner_id, team_id, created_by, updated_by, given_name, family_name,
			name_order, title, birthday_year, birthday_month, birthday_day, preferred_channel,
			do_not_contact, do_not_contact_at, marketing_opt_out, marketing_opt_out_at, preferences,
			description, account_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'given_name', d ->> 'family_name',
			coalesce(d ->> 'name_order', crm.name_order_of(d ->> 'given_name', d ->> 'family_name')),
			d ->> 'title', (bd ->> 'year')::smallint, (bd ->> 'month')::smallint, (bd ->> 'day')::smallint,
			d ->> 'preferred_channel',
			coalesce((d ->> 'do_not_contact')::boolean, false),
			CASE WHEN (d ->> 'do_not_contact')::boolean THEN now() END,
			coalesce((d ->> 'marketing_opt_out')::boolean, false),
			CASE WHEN (d ->> 'marketing_opt_out')::boolean THEN now() END,
			coalesce(prefs, '{}'), d ->> 'description', (d ->> 'account_id')::bigint
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
			description = crm.pick(d, 'description', clr, description)
		WHERE id = p_id AND version = p_version AND deleted_at IS NULL
		  AND (owner_id = (SELECT crm.scope_own('contact', 'update'))
		       OR (SELECT crm.scope_all('contact', 'update'))
		       OR team_id = ANY ((SELECT crm.scope_teams('contact', 'update'))::bigint[])
		       OR id = ANY ((SELECT crm.shared_ids('contact', true))::bigint[]));
		IF NOT FOUND THEN
			PERFORM crm.record_refuse('contact', p_id, p_version, 'update');
		END IF;
	END IF;
	IF crm.given(d, 'account_id', clr) THEN
		PERFORM crm.set_primary_account(id_, (d ->> 'account_id')::bigint);
	END IF;
	PERFORM crm.save_contact_lists(id_, d, clr, creating);
	PERFORM crm.save_tags('contact', id_, d, clr, creating);
	PERFORM crm.save_custom('contact', id_, d, clr, creating);
	RETURN (SELECT v_.json FROM crm.contact_out v_ WHERE v_.id = id_);
END
$$;

-- ------------------------------------------------------------ updates

-- A record's JSON without what every write changes (to tell whether an
-- edit changed anything).
CREATE FUNCTION crm.record_content(p jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
	SELECT (SELECT jsonb_object_agg(k, v - '{version,updated_at,updated_by}'::text[]) FROM jsonb_each(p) AS e(k, v))
$$;

-- The RecordUpdate's edits of repeated fields folded into the change set
-- as whole lists: add_tags / remove_tags (any type), add_emails /
-- remove_emails / primary_email and add_phones / remove_phones /
-- primary_phone (contacts). A list given whole and edited is a mistake.
CREATE FUNCTION crm.apply_edits(t text, p_id bigint, d jsonb, ops jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	cur text[];
	x text;
	want text;
	l text;
BEGIN
	IF ops ? 'add_tags' OR ops ? 'remove_tags' THEN
		IF d ? 'tags' THEN
			PERFORM crm.fail('CRI01', 'add_tags', 'give the whole tag list (tags) or add_tags / remove_tags, not both');
		END IF;
		cur := ARRAY(SELECT tag FROM crm.record_tags WHERE record_id = p_id ORDER BY tag_norm);
		FOR x IN SELECT jsonb_array_elements_text(coalesce(ops -> 'remove_tags', '[]')) LOOP
			want := lower(normalize(btrim(x), NFKC));
			IF want <> ALL (ARRAY(SELECT lower(normalize(y, NFKC)) FROM unnest(cur) y)) THEN
				PERFORM crm.fail('CRI01', 'remove_tags', format('%s %s has no tag "%s" (its tags: %s)', t, p_id, x,
					coalesce(nullif(array_to_string(cur, ', '), ''), 'none')));
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
			PERFORM crm.fail('CRI01', 'add_' || l, format('only contacts have %s', l));
		END IF;
		IF d ? l THEN
			PERFORM crm.fail('CRI01', 'add_' || l, format('give the whole list (%s) or add_%s / remove_%s, not both', l, l, l));
		END IF;
		d := d || jsonb_build_object(l, crm.edit_contact_list(p_id, l, ops));
	END LOOP;
	RETURN d;
END
$$;

-- p is the RecordUpdate as JSON ({"changes": {"account": {...}},
-- "add_tags": [...], ...}) or, from an older crmd, only the Record
-- ({"account": {...}}). An edit that changes nothing changes nothing: no
-- new version, no updated_at, no audit row. An edit of side rows only
-- (tags, custom values, e-mail addresses) gives the record a new version.
CREATE OR REPLACE FUNCTION crm.record_update(p_id bigint, p_version bigint, p jsonb, p_clear text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t text := (SELECT record_type FROM crm.records WHERE id = p_id);
	ops jsonb := '{}';
	kind text;
	before jsonb;
	after jsonb;
BEGIN
	IF p ? 'changes' THEN
		ops := p - 'changes';
		p := p -> 'changes';
	END IF;
	kind := CASE WHEN p ? 'account' THEN 'account' WHEN p ? 'contact' THEN 'contact' END;
	IF kind IS NULL OR kind IS DISTINCT FROM t OR NOT crm.record_visible(t, p_id) THEN
		PERFORM crm.fail('CRN01', 'id', format('no %s %s', coalesce(kind, 'record'), p_id));
	END IF;
	before := crm.record_get(t, p_id);
	IF before -> t ? 'deleted_at' THEN
		PERFORM crm.record_refuse(t, p_id, p_version, 'update');
	END IF;
	p := jsonb_build_object(t, crm.apply_edits(t, p_id, p -> t, ops));
	IF t = 'account' THEN
		after := crm.account_save(p_id, p_version, p -> 'account', coalesce(p_clear, '{}'));
	ELSE
		after := crm.contact_save(p_id, p_version, p -> 'contact', coalesce(p_clear, '{}'));
	END IF;
	IF (after -> t -> 'version') = (before -> t -> 'version')
	   AND crm.record_content(after) IS DISTINCT FROM crm.record_content(before) THEN
		EXECUTE format('UPDATE %s SET version = version + 1 WHERE id = $1', crm.business_table(t)) USING p_id;
		after := crm.record_get(t, p_id);
	END IF;
	RETURN after;
END
$$;

-- ------------------------------------------------------------ reassign

-- Reassigning moves the team with the owner unless a team is given; the
-- new owner must be within the reassigning user's scope. An account's
-- contacts (those whose primary account it is) move with it in the same
-- transaction when p_with_contacts; otherwise the reply's "reassign" says
-- how many stayed with whom. Only contacts the user can see are counted or
-- moved; one the user sees but may not reassign refuses the whole request.
CREATE FUNCTION crm.record_reassign(p_type text, p_id bigint, p_owner text, p_team text, p_with_contacts boolean)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
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
		PERFORM crm.fail('CRN01', 'owner', format('no active user named %s', p_owner));
	END IF;
	new_team := coalesce(crm.team_id_of(p_team, 'team'), new_owner.team_id);
	IF NOT ((SELECT crm.scope_all(p_type, 'reassign'))
		OR new_team = ANY ((SELECT crm.scope_teams(p_type, 'reassign'))::bigint[])
		OR (new_owner.id = crm.acting_user() AND sc <> 'none')) THEN
		PERFORM crm.fail('CRP01', 'owner', format('permission denied: %s (team %s) is outside the teams you may reassign to (%s)',
			new_owner.username, coalesce((SELECT name FROM crm.teams WHERE id = new_team), 'none'),
			CASE sc WHEN 'none' THEN format('your role may not reassign %ss', p_type)
				WHEN 'own' THEN 'only yourself'
				ELSE coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM crm.teams
					       WHERE id = ANY (crm.scope_teams(p_type, 'reassign'))), 'none') END));
	END IF;
	EXECUTE format('UPDATE %s SET owner_id = $2, team_id = $3 WHERE id = $1 AND deleted_at IS NULL AND %s',
		       t, crm.scope_cond(p_type, 'reassign'))
	USING p_id, new_owner.id, new_team;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n = 0 THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, 'reassign');
	END IF;
	IF p_type <> 'account' THEN
		IF p_with_contacts THEN
			PERFORM crm.fail('CRI01', 'with_contacts', format('only accounts have contacts to move (this is a %s)', p_type));
		END IF;
		RETURN crm.record_get(p_type, p_id);
	END IF;
	IF p_with_contacts THEN
		SELECT count(*) INTO n FROM crm.contacts c
		WHERE c.account_id = p_id AND c.deleted_at IS NULL AND c.owner_id IS DISTINCT FROM new_owner.id
		  AND NOT ((SELECT crm.scope_all('contact', 'reassign')) OR c.owner_id = (SELECT crm.scope_own('contact', 'reassign'))
			   OR c.team_id = ANY ((SELECT crm.scope_teams('contact', 'reassign'))::bigint[]));
		IF n > 0 THEN
			PERFORM crm.fail('CRP01', 'with_contacts', format('permission denied: %s of account %s''s contacts are outside what your role may reassign; '
				'reassign the account without --with-contacts, or ask an administrator', n, p_id));
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
$$;
GRANT EXECUTE ON FUNCTION crm.record_reassign(text, bigint, text, text, boolean) TO crm_app;

CREATE OR REPLACE FUNCTION crm.record_reassign(p_type text, p_id bigint, p_owner text, p_team text) RETURNS jsonb
LANGUAGE sql
AS $$ SELECT crm.record_reassign(p_type, p_id, p_owner, p_team, false) $$;
CREATE OR REPLACE FUNCTION crm.filter_cond(p_type text, f jsonb, INOUT params text[], OUT cond text)
LANGUAGE plpgsql STABLE
AS $$
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
BEGIN
	IF fname IS NULL THEN
		PERFORM crm.fail('CRI01', 'filters.field', 'is required');
	END IF;
	IF op NOT IN ('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'empty', 'not_empty') THEN
		PERFORM crm.fail('CRI01', fld, format('unknown operator %s', op));
	END IF;
	IF op IN ('empty', 'not_empty') THEN
		vals := '{}';
	ELSIF cardinality(vals) = 0 THEN
		PERFORM crm.fail('CRI01', fld, 'needs a value');
	ELSIF cardinality(vals) > 1 AND op <> 'eq' THEN
		PERFORM crm.fail('CRI01', fld, 'only equality takes several values');
	ELSIF cardinality(vals) > 100 THEN
		PERFORM crm.fail('CRI01', fld, 'at most 100 values');
	END IF;
	IF fname LIKE 'custom.%' THEN
		SELECT * INTO cf FROM crm.fields WHERE record_type = p_type AND name = substr(fname, 8);
		IF NOT FOUND THEN
			PERFORM crm.fail('CRI01', fld, format('%s has no custom field "%s" (crm field list %s)', p_type, substr(fname, 8), p_type));
		END IF;
		kind := cf.kind;
	ELSE
		SELECT * INTO sf FROM crm.standard_fields WHERE record_type = p_type AND name = fname;
		IF NOT FOUND OR sf.kind = 'none' THEN
			PERFORM crm.fail('CRI01', fld, format('cannot filter %ss on "%s" (crm field list %s shows which fields can be filtered and sorted)', p_type, fname, p_type));
		END IF;
		kind := sf.kind;
		col := sf.col;
	END IF;
	IF kind IN ('norm', 'picklist', 'enum', 'text', 'country', 'tags', 'email', 'user', 'team', 'boolean', 'phone')
	   AND op IN ('lt', 'le', 'gt', 'ge') AND NOT (kind = 'norm' AND sf.sort_expr IS NOT NULL) THEN
		PERFORM crm.fail('CRI01', fld, 'takes only =, != and empty / not empty');
	END IF;
	-- each value, checked and normalised, becomes a parameter
	FOREACH v IN ARRAY vals LOOP
		x := CASE
			WHEN kind = 'norm' AND op IN ('eq', 'ne') THEN lower(normalize(v, NFKC))
			WHEN kind IN ('norm') THEN v
			WHEN kind IN ('tags') THEN lower(normalize(v, NFKC))
			WHEN kind = 'email' THEN lower(v)
			WHEN kind = 'phone' THEN crm.phone_norm(v)
			WHEN kind = 'country' THEN upper(btrim(v))
			WHEN kind IN ('number', 'money') THEN v
			WHEN kind = 'instant' THEN crm.us(crm.check_instant(v, fld))::text
			WHEN kind = 'date' THEN crm.check_date(v, fld)::text
			WHEN kind = 'boolean' THEN crm.check_bool(v, fld)::text
			WHEN kind = 'ref' THEN CASE WHEN v ~ '^[0-9]{1,18}$' THEN v END
			WHEN kind = 'user' THEN (SELECT id::text FROM crm.users
						 WHERE username = CASE WHEN lower(v) = 'me' THEN crm.user_name(crm.acting_user()) ELSE lower(v) END)
			WHEN kind = 'team' THEN (SELECT id::text FROM crm.teams WHERE name = v)
			ELSE v END;
		IF x IS NULL THEN
			PERFORM crm.fail('CRI01', fld, format('"%s" is not %s', v,
				CASE kind WHEN 'ref' THEN 'an id' WHEN 'user' THEN 'a user name (or me)' ELSE 'a team name' END));
		END IF;
		IF kind IN ('number', 'money') THEN
			m := regexp_match(btrim(v), '^(\S+)(\s+([A-Za-z]{3}))?$');
			PERFORM crm.check_number(m[1], fld);
			IF m[3] IS NOT NULL THEN
				IF kind = 'number' THEN
					PERFORM crm.fail('CRI01', fld, format('"%s" is not a number', v));
				END IF;
				PERFORM crm.check_money(m[1], m[3], fld);
			END IF;
			IF kind = 'number' AND col IS NOT NULL AND m[1] !~ '^-?[0-9]+$' THEN
				PERFORM crm.fail('CRI01', fld, format('"%s" is not a whole number', v));
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
		cond := format('(r.annual_revenue_key %s %s::float8 AND %s %s %s::numeric%s)',
			       sqlop, refs[1], col, sqlop, refs[1],
			       CASE WHEN refs[2] IS NOT NULL THEN ' AND r.annual_revenue_currency = ' || refs[2] ELSE '' END);
		IF op = 'ne' THEN
			cond := format('NOT coalesce(r.annual_revenue_key = %s::float8 AND %s = %s::numeric%s, false)', refs[1], col, refs[1],
				       CASE WHEN refs[2] IS NOT NULL THEN ' AND r.annual_revenue_currency = ' || refs[2] ELSE '' END);
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
$$;
CREATE OR REPLACE FUNCTION crm.record_list_sql(p_type text, p_filters jsonb, p_sort jsonb, p_after text,
				    p_limit integer, p_deleted boolean, p_count boolean DEFAULT false,
				    p_export boolean DEFAULT false, OUT sql text, OUT params text[])
LANGUAGE plpgsql STABLE
AS $$
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
		PERFORM crm.fail('CRI01', 'filters', 'at most 20 filters');
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
		PERFORM crm.fail('CRI01', 'sort', 'at most 3 sort fields');
	END IF;
	IF jsonb_array_length(coalesce(p_sort, '[]')) = 0 THEN
		p_sort := jsonb_build_array(jsonb_build_object('field', CASE p_type WHEN 'contact' THEN 'display_name' ELSE 'name' END));
	END IF;
	FOR s IN SELECT jsonb_array_elements(p_sort) LOOP
		SELECT * INTO sf FROM crm.standard_fields WHERE record_type = p_type AND name = s ->> 'field';
		IF NOT FOUND OR sf.sort_expr IS NULL THEN
			PERFORM crm.fail('CRI01', 'sort', format('cannot sort %ss by "%s"; sortable: %s, id', p_type, s ->> 'field',
				(SELECT string_agg(name, ', ' ORDER BY position) FROM crm.standard_fields
				 WHERE record_type = p_type AND sort_expr IS NOT NULL)));
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
					       WHEN 'number' THEN 'int' ELSE 'text' END;
		vals := vals || CASE sf.kind WHEN 'instant' THEN format('crm.us(%s)', sf.col) ELSE parts[cardinality(parts)] END;
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
			PERFORM crm.fail('CRI01', 'page.cursor', 'is not a cursor of this list; start the list again');
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
		PERFORM crm.fail('CRI01', 'page.limit', 'must be between 1 and 500');
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
$$;
CREATE OR REPLACE FUNCTION crm.save_custom_value(p_type text, p_id bigint, f crm.fields, p_value text)
RETURNS void
LANGUAGE plpgsql
AS $$
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
			PERFORM crm.fail('CRI01', fld, 'is required');
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
			PERFORM crm.fail('CRI01', fld, format('money needs a currency: an amount and an ISO 4217 code, e.g. "%s EUR"', btrim(p_value)));
		ELSIF m IS NULL THEN
			PERFORM crm.fail('CRI01', fld, format('"%s" is not money (an amount and a currency, e.g. "1200.50 EUR")', p_value));
		END IF;
		SELECT x.amount, x.currency INTO num, cur FROM crm.check_money(m[1], m[2], fld) x;
	WHEN 'date' THEN
		dt := crm.check_date(p_value, fld);
	WHEN 'boolean' THEN
		b := crm.check_bool(p_value, fld);
	END CASE;
	IF num IS NOT NULL AND ((f.min_value IS NOT NULL AND num < f.min_value::numeric)
				OR (f.max_value IS NOT NULL AND num > f.max_value::numeric)) THEN
		PERFORM crm.fail('CRI01', fld, format('must be between %s and %s', coalesce(f.min_value, '-∞'), coalesce(f.max_value, '∞')));
	END IF;
	IF dt IS NOT NULL AND ((f.min_value IS NOT NULL AND dt < f.min_value::date)
			       OR (f.max_value IS NOT NULL AND dt > f.max_value::date)) THEN
		PERFORM crm.fail('CRI01', fld, format('must be between %s and %s', coalesce(f.min_value, '…'), coalesce(f.max_value, '…')));
	END IF;
	INSERT INTO crm.custom_values (record_id, record_type, field_id, v_text, v_num, v_num_key, v_currency, v_date, v_bool)
	VALUES (p_id, p_type, f.id, txt, num, num::double precision, cur, dt, b)
	ON CONFLICT (record_id, field_id) DO UPDATE
	SET v_text = EXCLUDED.v_text, v_num = EXCLUDED.v_num, v_num_key = EXCLUDED.v_num_key,
	    v_currency = EXCLUDED.v_currency, v_date = EXCLUDED.v_date, v_bool = EXCLUDED.v_bool;
END
$$;
CREATE OR REPLACE FUNCTION crm.relation_add(p_from bigint, p_to bigint, p_role text, p_primary boolean) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	ft text := (SELECT record_type FROM crm.records WHERE id = p_from AND purged_at IS NULL);
	tt text := (SELECT record_type FROM crm.records WHERE id = p_to AND purged_at IS NULL);
	new_id bigint;
	role_ text;
	st text;
	msg text;
	col text;
BEGIN
	IF ft IS NULL OR ft NOT IN ('account', 'contact')
	   OR NOT crm.record_visible(ft, p_from) THEN
		PERFORM crm.fail('CRN01', 'from_id', format('no account or contact %s', p_from));
	END IF;
	IF tt IS NULL OR tt NOT IN ('account', 'contact') OR NOT crm.record_visible(tt, p_to)
	   OR crm.record_get(tt, p_to) -> tt ? 'deleted_at' THEN
		PERFORM crm.fail('CRN01', 'to_id', format('no account or contact %s', p_to));
	END IF;
	IF (ft, tt) NOT IN (('contact', 'account'), ('contact', 'contact'), ('account', 'account')) THEN
		PERFORM crm.fail('CRI01', 'to_id', 'a relation goes from a contact to an account or a contact, or from an account to an account');
	END IF;
	IF p_from = p_to THEN
		PERFORM crm.fail('CRI01', 'to_id', 'a record cannot be related to itself');
	END IF;
	IF ft = 'account' AND p_role = 'parent' THEN
		PERFORM crm.fail('CRI01', 'role', format('an account''s parent is a field: crm account edit %s --parent %s', p_from, p_to));
	END IF;
	IF p_primary AND NOT (ft = 'contact' AND tt = 'account') THEN
		PERFORM crm.fail('CRI01', 'primary', format('only a contact''s account can be primary (this relation goes from a %s to a %s)', ft, tt));
	END IF;
	role_ := crm.check_picklist(format('relation.%s.%s', ft, tt), crm.check_text(p_role, 'role', 255, true), 'role');
	IF crm.record_get(ft, p_from) -> ft ? 'deleted_at' THEN
		PERFORM crm.fail('CRF01', 'from_id', format('%s %s is deleted (crm %s restore %s)', ft, p_from, ft, p_from));
	END IF;
	IF NOT crm.record_editable(ft, p_from) THEN
		BEGIN
			PERFORM crm.record_refuse(ft, p_from, NULL, 'update');
		EXCEPTION WHEN OTHERS THEN
			-- record_refuse names the record "id"; here it is from_id
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, col = COLUMN_NAME;
			PERFORM crm.fail(st, CASE WHEN col = 'id' THEN 'from_id' ELSE nullif(col, '') END, msg);
		END;
	END IF;
	IF EXISTS (SELECT 1 FROM crm.relations WHERE from_id = p_from AND to_id = p_to AND role = role_) THEN
		PERFORM crm.fail('CRE01', 'role', format('%s %s is already related to %s %s as %s', ft, p_from, tt, p_to, role_));
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
$$;

-- ------------------------------------------------------------ custom fields and pick lists

-- A custom field may not take a standard field's name; pick-list options
-- are trimmed and unique ignoring case.
CREATE OR REPLACE FUNCTION crm.field_add(p jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
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
		PERFORM crm.fail('CRI01', 'field.name', 'a field name is 1 to 40 lower-case letters, digits or _, starting with a letter');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.standard_fields WHERE record_type = t AND name = nm) THEN
		PERFORM crm.fail('CRE01', 'field.name', format('"%s" is a standard field of %ss; give the custom field another name (crm field list %s)', nm, t, t));
	END IF;
	IF k IS NULL OR k NOT IN ('text', 'number', 'money', 'date', 'boolean', 'picklist') THEN
		PERFORM crm.fail('CRI01', 'field.kind', 'a field''s kind is text, number, money, date, boolean or picklist');
	END IF;
	lbl := crm.check_text(p ->> 'label', 'field.label', 255);
	IF p ? 'max_length' AND (k <> 'text' OR (p ->> 'max_length')::int NOT BETWEEN 1 AND 4096) THEN
		PERFORM crm.fail('CRI01', 'field.max_length', 'only text fields have a maximum length, from 1 to 4096 characters');
	END IF;
	IF (p ? 'min' OR p ? 'max') AND k NOT IN ('number', 'money', 'date') THEN
		PERFORM crm.fail('CRI01', 'field.min', 'only number, money and date fields have a range');
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
		PERFORM crm.fail('CRI01', 'field.options', 'a pick-list field needs at least one option');
	END IF;
	IF k <> 'picklist' AND jsonb_array_length(coalesce(p -> 'options', '[]')) > 0 THEN
		PERFORM crm.fail('CRI01', 'field.options', 'only pick-list fields have options');
	END IF;
	IF EXISTS (SELECT 1 FROM crm.fields WHERE record_type = t AND name = nm) THEN
		PERFORM crm.fail('CRE01', 'field.name', format('%s already has a custom field %s', t, nm));
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
				PERFORM crm.fail('CRE01', 'field.options', format('option "%s" is given twice (options are unique ignoring case)', o));
			END IF;
			seen := seen || lower(o);
			i := i + 1;
			INSERT INTO crm.picklist_values (picklist, value, label, position)
			VALUES (t || '.' || nm, o, o, i) ON CONFLICT DO NOTHING;
		END LOOP;
	END IF;
	RETURN crm.field_json(f);
END
$$;

CREATE OR REPLACE FUNCTION crm.field_json(f crm.fields) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'record_type', f.record_type, 'name', f.name, 'label', f.label, 'kind', f.kind,
		'required', f.required, 'max_length', f.max_length, 'min', f.min_value, 'max', f.max_value,
		'options', CASE WHEN f.kind = 'picklist' THEN (SELECT jsonb_agg(value ORDER BY position)
			FROM crm.picklist_values WHERE picklist = f.record_type || '.' || f.name AND active) END,
		'standard', false, 'sortable', false, 'filterable', true, 'created_at', crm.us(f.created_at)))
$$;

-- Standard fields first, then custom ones; each says whether lists can
-- filter and sort by it.
CREATE OR REPLACE FUNCTION crm.field_list(p_type text) RETURNS TABLE (json text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	PERFORM crm.business_table(p_type);
	RETURN QUERY
	SELECT jsonb_build_object('record_type', s.record_type, 'name', s.name, 'label', s.label,
				  'kind', CASE s.kind WHEN 'money' THEN 'money' WHEN 'number' THEN 'number'
						      WHEN 'boolean' THEN 'boolean' WHEN 'picklist' THEN 'picklist'
						      ELSE 'text' END,
				  'standard', true, 'sortable', s.sort_expr IS NOT NULL,
				  'filterable', s.kind <> 'none')::text
	FROM (SELECT * FROM crm.standard_fields WHERE record_type = p_type ORDER BY position) s
	UNION ALL
	SELECT crm.field_json(f)::text FROM (SELECT * FROM crm.fields WHERE record_type = p_type ORDER BY name) f;
END
$$;

-- A pick-list value is trimmed single-line text, unique in its list
-- ignoring case; adding a retired value (in any case) brings it back.
CREATE OR REPLACE FUNCTION crm.picklist_add(p_name text, p_value text, p_label text) RETURNS TABLE (json text)
LANGUAGE plpgsql
AS $$
DECLARE
	v text := crm.check_text(p_value, 'value', 255, true);
	l text := crm.check_text(p_label, 'label', 255);
	old crm.picklist_values;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.fail('CRN01', 'name', format('no pick list %s (crm picklist list shows them all)', p_name));
	END IF;
	SELECT * INTO old FROM crm.picklist_values WHERE picklist = p_name AND lower(value) = lower(v);
	IF FOUND AND old.active THEN
		PERFORM crm.fail('CRE01', 'value', format('pick list %s already has "%s" (values are unique ignoring case)', p_name, old.value));
	ELSIF FOUND THEN
		UPDATE crm.picklist_values SET active = true, label = coalesce(l, label) WHERE id = old.id;
	ELSE
		INSERT INTO crm.picklist_values (picklist, value, label, position)
		VALUES (p_name, v, coalesce(l, v),
			coalesce((SELECT max(position) + 1 FROM crm.picklist_values WHERE picklist = p_name), 1));
	END IF;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$$;

CREATE OR REPLACE FUNCTION crm.picklist_remove(p_name text, p_value text) RETURNS TABLE (json text)
LANGUAGE plpgsql
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.fail('CRN01', 'name', format('no pick list %s (crm picklist list shows them all)', p_name));
	END IF;
	UPDATE crm.picklist_values SET active = false
	WHERE picklist = p_name AND lower(value) = lower(btrim(p_value)) AND active;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'value', format('pick list %s has no active value "%s"', p_name, p_value));
	END IF;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$$;

-- Moves a value of a pick list just before or just after another one
-- (exactly one of p_before, p_after); positions are renumbered 1..n.
CREATE FUNCTION crm.picklist_move(p_name text, p_value text, p_before text, p_after text) RETURNS TABLE (json text)
LANGUAGE plpgsql
AS $$
DECLARE
	v text;
	other text;
	rest text[];
	i int;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.fail('CRN01', 'name', format('no pick list %s (crm picklist list shows them all)', p_name));
	END IF;
	IF (p_before IS NULL) = (p_after IS NULL) THEN
		PERFORM crm.fail('CRI01', 'before', 'give exactly one of before or after: the value to move next to');
	END IF;
	SELECT value INTO v FROM crm.picklist_values WHERE picklist = p_name AND lower(value) = lower(btrim(p_value));
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'value', format('pick list %s has no value "%s"', p_name, p_value));
	END IF;
	SELECT value INTO other FROM crm.picklist_values
	WHERE picklist = p_name AND lower(value) = lower(btrim(coalesce(p_before, p_after)));
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', CASE WHEN p_before IS NOT NULL THEN 'before' ELSE 'after' END,
				 format('pick list %s has no value "%s"', p_name, coalesce(p_before, p_after)));
	END IF;
	IF other = v THEN
		PERFORM crm.fail('CRI01', CASE WHEN p_before IS NOT NULL THEN 'before' ELSE 'after' END,
				 'a value cannot move next to itself');
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
$$;

-- ------------------------------------------------------------ teams

-- Deletes a team that has no members, no sub-teams and owns no records;
-- otherwise FAILED_PRECONDITION saying how many of each are left. Its
-- managers and shares go with it.
CREATE FUNCTION crm.team_delete(p_name text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	tid bigint := crm.team_id_of(p_name, 'name');
	members bigint;
	subs bigint;
	recs bigint := 0;
	what text[] := '{}';
	rt record;
	n bigint;
BEGIN
	IF NOT crm.scope_all('team', 'delete') THEN
		PERFORM crm.fail('CRP01', NULL, 'permission denied: your role may not delete teams');
	END IF;
	SELECT count(*) INTO members FROM crm.users WHERE team_id = tid;
	SELECT count(*) INTO subs FROM crm.teams WHERE parent_id = tid;
	FOR rt IN SELECT name, table_name FROM crm.record_types WHERE table_name IS NOT NULL ORDER BY name LOOP
		EXECUTE format('SELECT count(*) FROM %s WHERE team_id = $1', rt.table_name) INTO n USING tid;
		IF n > 0 THEN
			recs := recs + n;
			what := what || format('%s %s%s', n, rt.name, CASE WHEN n = 1 THEN '' ELSE 's' END);
		END IF;
	END LOOP;
	IF members > 0 OR subs > 0 OR recs > 0 THEN
		PERFORM crm.fail('CRF01', 'name', format('team %s still has %s: move them to another team first (crm user edit, crm team edit, crm account reassign …)',
			(SELECT name FROM crm.teams WHERE id = tid),
			array_to_string(ARRAY[CASE WHEN members > 0 THEN format('%s member%s', members, CASE WHEN members = 1 THEN '' ELSE 's' END) END,
					      CASE WHEN subs > 0 THEN format('%s sub-team%s', subs, CASE WHEN subs = 1 THEN '' ELSE 's' END) END,
					      CASE WHEN recs > 0 THEN 'records it owns (' || array_to_string(what, ', ') || ')' END], ', ')));
	END IF;
	DELETE FROM crm.teams WHERE id = tid;
END
$$;
GRANT DELETE ON crm.teams TO crm_app;

-- ------------------------------------------------------------ sorting: empty values last

-- Descending sorts on a field that may be empty use the key
-- "x IS NOT NULL" (see crm.record_list_sql); these serve them.
CREATE INDEX accounts_revenue_desc_idx ON crm.accounts ((annual_revenue_key IS NOT NULL), (CASE WHEN annual_revenue_key IS NULL THEN 0 ELSE annual_revenue_key END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX accounts_employees_desc_idx ON crm.accounts ((employees IS NOT NULL), (CASE WHEN employees IS NULL THEN 0 ELSE employees END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX contacts_family_desc_idx ON crm.contacts ((family_name IS NOT NULL), (CASE WHEN family_name IS NULL THEN '' ELSE family_name END) COLLATE crm.names, id)
	WHERE deleted_at IS NULL;
COMMENT ON COLUMN crm.standard_fields.sort_expr IS
	'The sort key: one expression, or for a field that may be empty '
	'"x IS NULL|CASE WHEN x IS NULL THEN c ELSE x END": two keys that put empty values last '
	'in both directions (descending, crm.record_list_sql uses "x IS NOT NULL" as the first key) '
	'and never compare NULL, so a keyset condition stays one row comparison an index serves. '
	'CASE, not coalesce: PostgreSQL treats COALESCE as possibly leaky under row-level security, '
	'CASE and IS NULL as safe.';

-- ------------------------------------------------------------ lists that answer truthfully

-- Sessions: one's own; another user's (p_user) or everyone's (p_all) only
-- with the session read scope all. Asking for more than one may see is
-- PERMISSION_DENIED, not an empty list; an unknown user is NOT_FOUND.
CREATE FUNCTION crm.session_list(p_user text, p_all boolean) RETURNS SETOF crm.session_out
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	me text := crm.user_name(crm.acting_user());
BEGIN
	IF p_user IS NOT NULL THEN
		PERFORM crm.user_id_of(btrim(p_user), 'username');
	END IF;
	IF (p_all OR (p_user IS NOT NULL AND lower(btrim(p_user)) IS DISTINCT FROM me))
	   AND NOT crm.scope_all('session', 'read') THEN
		PERFORM crm.fail('CRP01', CASE WHEN p_all THEN 'all' ELSE 'username' END,
				 'permission denied: your role may list only your own sessions (crm session list without --user or --all)');
	END IF;
	RETURN QUERY SELECT * FROM crm.session_out
	WHERE (p_user IS NULL OR username = lower(btrim(p_user)))
	  AND (p_all OR p_user IS NOT NULL OR user_id = crm.acting_user())
	ORDER BY session_id;
END
$$;

-- The permission matrix, for a role and/or a record type that exist.
CREATE FUNCTION crm.permission_list(p_role text, p_type text)
RETURNS TABLE (role text, record_type text, action text, scope text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	PERFORM crm.check_role(p_role);
	PERFORM crm.check_record_type(p_type, 'record_type');
	RETURN QUERY SELECT p.role, p.record_type, p.action, p.scope FROM crm.permissions p
	WHERE (p_role IS NULL OR p.role = p_role) AND (p_type IS NULL OR p.record_type = p_type)
	ORDER BY p.role, p.record_type,
		 array_position(ARRAY['read', 'create', 'update', 'delete', 'export', 'reassign', 'admin'], p.action);
END
$$;

-- A record type name that exists (for filters of lists and the audit
-- trail); INVALID_ARGUMENT on p_field listing the types otherwise.
CREATE FUNCTION crm.check_record_type(p_type text, p_field text) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_type IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.record_types WHERE name = p_type) THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a record type (%s)', p_type,
			(SELECT string_agg(name, ', ' ORDER BY name) FROM crm.record_types)));
	END IF;
END
$$;

-- ------------------------------------------------------------ what the catalog says

-- (crm.audit_row cannot audit crm.roles, whose key is name, not id; a
-- migration's wording fix needs no audit row.)
ALTER TABLE crm.roles DISABLE TRIGGER audit;
UPDATE crm.roles SET description = CASE name
	WHEN 'sales' THEN 'Works own accounts, contacts and notes'
	WHEN 'support' THEN 'Reads the team''s accounts, contacts and notes; works own ones'
	WHEN 'marketing' THEN 'Reads and exports the team''s accounts, contacts and notes; works own ones'
	ELSE description END
WHERE name IN ('sales', 'support', 'marketing');
ALTER TABLE crm.roles ENABLE TRIGGER audit;

COMMENT ON SCHEMA crm IS
	'Application data of crmd: users, teams, roles and permissions, sessions, the audit trail, '
	'and the business records (notes, accounts, contacts, their relations, custom fields and '
	'pick lists). Written only through crmd (role crm_app).';

-- ------------------------------------------------------------ privileges

-- New functions: nothing for PUBLIC, EXECUTE for the application role.
REVOKE ALL ON FUNCTION crm.char_name(text), crm.bad_char_at(text, boolean), crm.subject(text),
	crm.check_text(text, text, integer, boolean, boolean),
	crm.clean_text(jsonb, text[], text, integer, boolean, boolean),
	crm.clean_address(jsonb, text, text), crm.address_part(jsonb, text, text, text[], text),
	crm.edit_contact_list(bigint, text, jsonb), crm.record_content(jsonb),
	crm.apply_edits(text, bigint, jsonb, jsonb),
	crm.record_reassign(text, bigint, text, text, boolean),
	crm.picklist_move(text, text, text, text), crm.team_delete(text),
	crm.session_list(text, boolean), crm.permission_list(text, text), crm.check_record_type(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.char_name(text), crm.bad_char_at(text, boolean), crm.subject(text),
	crm.check_text(text, text, integer, boolean, boolean),
	crm.clean_text(jsonb, text[], text, integer, boolean, boolean),
	crm.clean_address(jsonb, text, text), crm.address_part(jsonb, text, text, text[], text),
	crm.edit_contact_list(bigint, text, jsonb), crm.record_content(jsonb),
	crm.apply_edits(text, bigint, jsonb, jsonb),
	crm.record_reassign(text, bigint, text, text, boolean),
	crm.picklist_move(text, text, text, text), crm.team_delete(text),
	crm.session_list(text, boolean), crm.permission_list(text, text), crm.check_record_type(text, text) TO crm_app;

-- ------------------------------------------------------------ notes and teams: text hygiene

-- A note's body is multi-line text: line breaks and tabs kept, other
-- control and formatting characters refused (crm.check_text).
CREATE OR REPLACE FUNCTION crm.note_create(p_body text) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
DECLARE
	new_id bigint;
BEGIN
	PERFORM crm.check_text(p_body, 'body', 4096, true, true);
	INSERT INTO crm.notes (body, owner_id, team_id, created_by, updated_by)
	SELECT p_body, u.id, u.team_id, u.id, u.id FROM crm.users u WHERE u.id = crm.acting_user()
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = new_id;
END
$$;

CREATE OR REPLACE FUNCTION crm.note_update(p_id bigint, p_version bigint, p_body text) RETURNS SETOF crm.note_out
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM crm.check_text(p_body, 'body', 4096, true, true);
	UPDATE crm.notes SET body = p_body, version = version + 1, updated_at = now(),
		updated_by = crm.acting_user()
	WHERE id = p_id AND version = p_version AND deleted_at IS NULL
	  AND (owner_id = (SELECT crm.scope_own('note', 'update'))
	       OR (SELECT crm.scope_all('note', 'update'))
	       OR team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[])
	       OR id = ANY ((SELECT crm.shared_ids('note', true))::bigint[]));
	IF NOT FOUND THEN
		PERFORM crm.note_refuse(p_id, p_version, 'update');
	END IF;
	RETURN QUERY SELECT * FROM crm.note_out WHERE note_id = p_id;
END
$$;

-- Team names are trimmed single-line text.
CREATE OR REPLACE FUNCTION crm.team_create(p_name text, p_parent text)
RETURNS SETOF crm.team_out
LANGUAGE plpgsql
AS $$
DECLARE
	nm text := crm.check_text(p_name, 'name', 255, true);
	new_id bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM crm.teams WHERE lower(name) = lower(nm)) THEN
		PERFORM crm.fail('CRE01', 'name', format('team %s already exists', nm));
	END IF;
	INSERT INTO crm.teams (name, parent_id) VALUES (nm, crm.team_id_of(btrim(p_parent), 'parent'))
	RETURNING id INTO new_id;
	RETURN QUERY SELECT * FROM crm.team_out WHERE team_id = new_id;
END
$$;
