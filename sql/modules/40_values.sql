-- sql/modules/40_values.sql: validating and normalizing field values
-- (text, numbers, money, phones, e-mail, countries, addresses).
--
-- A repeatable module (sql/README.md): crmd migrate applies it, after all
-- versioned migrations, whenever its checksum differs from the one
-- recorded in crm_meta.schema_modules. Everything here can run again:
-- CREATE OR REPLACE, DROP POLICY IF EXISTS + CREATE POLICY, CREATE OR
-- REPLACE TRIGGER. Signature changes and drops go in a versioned migration.

-- A field from a change set: the new value when given, NULL when listed
-- in clear, else the old value.
CREATE OR REPLACE FUNCTION crm.pick(d jsonb, k text, clr text[], old text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT CASE WHEN d ? k THEN d ->> k WHEN k = ANY (clr) THEN NULL ELSE old END $function$;

CREATE OR REPLACE FUNCTION crm.given(d jsonb, k text, clr text[])
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT d ? k OR k = ANY (clr) $function$;

-- Phone numbers: digits, spaces and + ( ) . / - with an optional
-- extension; the normal form keeps the digits, with + for international
-- numbers (a leading 00 counts as +); the extension is dropped.
CREATE OR REPLACE FUNCTION crm.phone_norm(p_number text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
	SELECT CASE WHEN p IS NULL THEN NULL
		    WHEN p LIKE '+%' THEN '+' || regexp_replace(p, '[^0-9]', '', 'g')
		    WHEN regexp_replace(p, '[^0-9]', '', 'g') LIKE '00%'
			THEN '+' || substr(regexp_replace(p, '[^0-9]', '', 'g'), 3)
		    ELSE regexp_replace(p, '[^0-9]', '', 'g') END
	FROM (SELECT btrim(regexp_replace(p_number, '\s*(x|ext\.?|#)\s*[0-9]+\s*$', '', 'i')) AS p) s
$function$;

CREATE OR REPLACE FUNCTION crm.check_phone(p_number text, p_field text)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
	IF p_number IS NULL THEN
		RETURN NULL;
	END IF;
	IF length(p_number) > 64 THEN
		PERFORM crm.raise('CRI01', p_field, 'value.phone_too_long');
	END IF;
	IF p_number !~* '^\s*\+?[0-9 ().\/-]+((x|ext\.?|#)\s*[0-9]+)?\s*$'
	   OR length(regexp_replace(crm.phone_norm(p_number), '[^0-9]', '', 'g')) NOT BETWEEN 3 AND 17 THEN
		PERFORM crm.raise('CRI01', p_field, 'value.not_phone_number_digits_spaces', p_number::text);
	END IF;
	RETURN p_number;
END
$function$;

CREATE OR REPLACE FUNCTION crm.check_email(p_address text, p_field text)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
	IF p_address IS NULL OR length(p_address) > 254
	   OR p_address !~ '^[^@[:space:]]+@[^@[:space:].]+(\.[^@[:space:].]+)+$' THEN
		PERFORM crm.raise('CRI01', p_field, 'value.not_mail_address', coalesce(p_address, '')::text);
	END IF;
	RETURN p_address;
END
$function$;

-- A decimal amount in text: optional sign, digits, optional point.
CREATE OR REPLACE FUNCTION crm.check_number(p_text text, p_field text)
 RETURNS numeric
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
	IF p_text IS NULL OR p_text !~ '^-?[0-9]{1,18}(\.[0-9]{1,12})?$' THEN
		PERFORM crm.raise('CRI01', p_field, 'value.not_number_digits_with_optional', coalesce(p_text, '')::text);
	END IF;
	RETURN p_text::numeric;
END
$function$;

-- A calendar date "YYYY-MM-DD", checked (2026-02-30 is refused).
CREATE OR REPLACE FUNCTION crm.check_date(p_text text, p_field text)
 RETURNS date
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
DECLARE
	m text[] := regexp_match(p_text, '^([0-9]{4})-([0-9]{2})-([0-9]{2})$');
BEGIN
	IF m IS NULL OR m[2]::int NOT BETWEEN 1 AND 12 OR m[3]::int < 1
	   OR m[3]::int > extract(day FROM make_date(m[1]::int, m[2]::int, 1) + interval '1 month - 1 day') THEN
		PERFORM crm.raise('CRI01', p_field, 'value.not_date_yyyy_mm_dd', coalesce(p_text, '')::text);
	END IF;
	RETURN make_date(m[1]::int, m[2]::int, m[3]::int);
END
$function$;

CREATE OR REPLACE FUNCTION crm.check_bool(p_text text, p_field text)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
BEGIN
	IF lower(p_text) IN ('true', 'yes', 'y', '1', 'on') THEN
		RETURN true;
	ELSIF lower(p_text) IN ('false', 'no', 'n', '0', 'off') THEN
		RETURN false;
	END IF;
	PERFORM crm.raise('CRI01', p_field, 'value.not_true_false', coalesce(p_text, '')::text);
END
$function$;

-- An instant: microseconds since the epoch, or ISO 8601 text.
CREATE OR REPLACE FUNCTION crm.check_instant(p_text text, p_field text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
	IF p_text ~ '^-?[0-9]{1,18}$' THEN
		RETURN 'epoch'::timestamptz + p_text::bigint * interval '1 microsecond';
	END IF;
	IF p_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$' THEN
		BEGIN
			RETURN p_text::timestamptz;
		EXCEPTION WHEN others THEN
			NULL;
		END;
	END IF;
	PERFORM crm.raise('CRI01', p_field, 'value.not_instant_iso_01t09_00z', coalesce(p_text, '')::text);
END
$function$;

-- STABLE, as jsonb_build_object is: inlined into the record views (an
-- IMMUTABLE one over a STABLE body is called instead).
CREATE OR REPLACE FUNCTION crm.address_json(p_street text, p_city text, p_region text, p_postal text, p_country text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
	SELECT nullif(jsonb_strip_nulls(jsonb_build_object('street', p_street, 'city', p_city, 'region', p_region,
							   'postal_code', p_postal, 'country', p_country)), '{}')
$function$;

-- What a character is, for an error message: "a tab (U+0009)".
CREATE OR REPLACE FUNCTION crm.char_name(c text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
	SELECT CASE WHEN c = E'\t' THEN 'a tab'
		    WHEN c IN (E'\n', E'\r') THEN 'a line break'
		    WHEN c ~ '[\u202a-\u202e\u2066-\u2069]' THEN 'a bidirectional control character'
		    WHEN c ~ '[\u0001-\u001f\u007f-\u009f]' THEN 'a control character'
		    ELSE 'a non-character' END
	       || format(' (U+%s)', upper(CASE WHEN ascii(c) < 65536 THEN lpad(to_hex(ascii(c)), 4, '0') ELSE to_hex(ascii(c)) END))
$function$;

-- Position (1-based, in characters) of the first character text may not
-- hold, 0 when none: C0 and C1 controls (tab and line breaks too unless
-- p_multiline), bidirectional embeddings, overrides and isolates
-- (U+202A-U+202E, U+2066-U+2069) and non-characters (U+FDD0-U+FDEF and
-- the last two code points of every plane).
CREATE OR REPLACE FUNCTION crm.bad_char_at(p_value text, p_multiline boolean)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
	SELECT regexp_instr(p_value,
		CASE WHEN p_multiline THEN '[\u0001-\u0008\u000b\u000c\u000e-\u001f' ELSE '[\u0001-\u001f' END
		|| '\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff'
		|| '\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff'
		|| '\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff'
		|| '\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff'
		|| '\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]')
$function$;

-- The last part of a field path, as the subject of a message:
-- "account.billing_address.city" -> "city".
CREATE OR REPLACE FUNCTION crm.subject(p_field text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ SELECT replace(regexp_replace(coalesce(p_field, 'value'), '^.*\.', ''), '_', ' ') $function$;

-- Text a user typed. Single-line text (p_multiline false) is trimmed of
-- surrounding white space and may then hold no tab or line break;
-- multi-line text keeps tabs and line breaks. Neither may hold another
-- control character, a bidirectional control or a non-character. At most
-- p_max characters (Unicode code points). Empty (after trimming) is NULL,
-- refused when required.
CREATE OR REPLACE FUNCTION crm.check_text(p_value text, p_field text, p_max integer, p_required boolean, p_multiline boolean)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
DECLARE
	v text := p_value;
	at integer;
BEGIN
	IF NOT p_multiline THEN
		v := btrim(v, E' \t\n\r\f\u000b\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff');
	END IF;
	IF v IS NULL OR v = '' THEN
		IF p_required THEN
			PERFORM crm.raise('CRI01', p_field, 'value.required_not_blank', crm.subject(p_field)::text);
		END IF;
		RETURN NULL;
	END IF;
	IF length(v) > p_max THEN
		PERFORM crm.raise('CRI01', p_field, 'value.must_at_most_characters_has', crm.subject(p_field)::text, p_max::text, length(v)::text);
	END IF;
	at := crm.bad_char_at(v, p_multiline);
	IF at > 0 THEN
		PERFORM crm.raise('CRI01', p_field, 'value.bad_character', crm.subject(p_field)::text, crm.char_name(substr(v, at, 1))::text, at::text, (CASE WHEN p_multiline THEN 'text may hold line breaks and tabs but no other control or formatting character'
			     ELSE 'a single-line field takes no tab, line break, control or formatting character' END)::text);
	END IF;
	RETURN v;
END
$function$;

-- Single-line text (the four-argument form every earlier caller uses).
CREATE OR REPLACE FUNCTION crm.check_text(p_value text, p_field text, p_max integer, p_required boolean DEFAULT false)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT crm.check_text(p_value, p_field, p_max, p_required, false) $function$;

-- The change set d with its text at path checked and cleaned (see
-- check_text); a value that is blank after trimming becomes null.
CREATE OR REPLACE FUNCTION crm.clean_text(d jsonb, p_path text[], p_field text, p_max integer, p_required boolean DEFAULT false, p_multiline boolean DEFAULT false)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
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
$function$;

-- Country codes in any case, stored upper-case.
CREATE OR REPLACE FUNCTION crm.check_country(p_code text, p_field text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	c text := upper(btrim(p_code));
BEGIN
	IF c = '' THEN
		RETURN NULL;
	END IF;
	IF c IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.countries WHERE code = c) THEN
		PERFORM crm.raise('CRI01', p_field, 'value.country_not_iso_country_code', p_code::text);
	END IF;
	RETURN c;
END
$function$;

-- Money: the currency in any case (stored upper-case); an amount without
-- a currency says so.
CREATE OR REPLACE FUNCTION crm.check_money(p_amount text, p_currency text, p_field text, OUT amount numeric, OUT currency text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
	minor smallint;
	c text := upper(btrim(p_currency));
BEGIN
	IF c IS NULL OR c = '' THEN
		PERFORM crm.raise('CRI01', p_field || '.currency', 'value.money_needs_currency_amount_iso', coalesce(nullif(p_amount, ''), '1200.50')::text);
	END IF;
	SELECT x.minor_units INTO minor FROM crm.currencies x WHERE x.code = c;
	IF NOT FOUND THEN
		PERFORM crm.raise('CRI01', p_field || '.currency', 'value.currency_not_iso_currency_code', p_currency::text);
	END IF;
	amount := crm.check_number(p_amount, p_field || '.amount');
	IF scale(amount) > minor THEN
		PERFORM crm.raise('CRI01', p_field || '.amount', 'value.amount_has_too_many_decimals', p_amount::text, c::text, minor::text);
	END IF;
	currency := c;
END
$function$;

-- An address change set checked and cleaned (text trimmed, country
-- upper-case); only the parts given are there.
CREATE OR REPLACE FUNCTION crm.clean_address(d jsonb, k text, p_field text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
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
$function$;

-- One part of an address after an update: the part given, NULL when the
-- part or the whole address is cleared, else the old value.
CREATE OR REPLACE FUNCTION crm.address_part(d jsonb, k text, part text, clr text[], old text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
	SELECT CASE WHEN d -> k ? part THEN d -> k ->> part
		    WHEN k = ANY (clr) OR (k || '.' || part) = ANY (clr) THEN NULL
		    ELSE old END
$function$;

-- Privileges: exactly the roles named below may call this module's
-- functions (the owner always may); dropping a role from a GRANT
-- here revokes it on the next crmd migrate.
REVOKE ALL ON FUNCTION
	crm.pick(jsonb,text,text[],text),
	crm.given(jsonb,text,text[]),
	crm.phone_norm(text),
	crm.check_phone(text,text),
	crm.check_email(text,text),
	crm.check_number(text,text),
	crm.check_date(text,text),
	crm.check_bool(text,text),
	crm.check_instant(text,text),
	crm.address_json(text,text,text,text,text),
	crm.char_name(text),
	crm.bad_char_at(text,boolean),
	crm.subject(text),
	crm.check_text(text,text,integer,boolean,boolean),
	crm.check_text(text,text,integer,boolean),
	crm.clean_text(jsonb,text[],text,integer,boolean,boolean),
	crm.check_country(text,text),
	crm.check_money(text,text,text),
	crm.clean_address(jsonb,text,text),
	crm.address_part(jsonb,text,text,text[],text)
FROM PUBLIC, crm_app, crm_auth;
GRANT EXECUTE ON FUNCTION
	crm.pick(jsonb,text,text[],text),
	crm.given(jsonb,text,text[]),
	crm.phone_norm(text),
	crm.check_phone(text,text),
	crm.check_email(text,text),
	crm.check_number(text,text),
	crm.check_date(text,text),
	crm.check_bool(text,text),
	crm.check_instant(text,text),
	crm.address_json(text,text,text,text,text),
	crm.char_name(text),
	crm.bad_char_at(text,boolean),
	crm.subject(text),
	crm.check_text(text,text,integer,boolean,boolean),
	crm.check_text(text,text,integer,boolean),
	crm.clean_text(jsonb,text[],text,integer,boolean,boolean),
	crm.check_country(text,text),
	crm.check_money(text,text,text),
	crm.clean_address(jsonb,text,text),
	crm.address_part(jsonb,text,text,text[],text)
TO crm_app;
