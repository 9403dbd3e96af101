-- 0004_records: the record mechanism every business type shares, and the
-- first business types on it: accounts, contacts, relationships, custom
-- fields and pick lists.
--
-- One mechanism, used by every business table through crm.attach_record():
--   * ids come from one sequence (crm.record_id_seq) and every record is
--     registered (id, type) in crm.records, so polymorphic links (shares,
--     relations, tags, custom values, audit rows) have real foreign keys.
--     A purged record stays in crm.records as a tombstone (purged_at set)
--     so its redacted audit history still points somewhere;
--   * owner, team, version, created/updated by and at and deleted_at live
--     on the business table itself, so row-level security is a cheap
--     column test that indexes serve;
--   * every update bumps the version (trigger crm.touch_record); writers
--     compare the version they read;
--   * row-level security (crm.attach_rls) and audit (crm.attach_audit) as
--     for notes.
--
-- crmd talks to these tables only through the functions at the end, which
-- take and return JSON whose keys are the protocol's field names (see
-- proto/crm.proto and docs/data.md).
--
-- Matching never rewrites what users typed: derived columns (name_norm,
-- phone_norm, address_norm, tag_norm, *_key) hold the normalised forms.
--
-- Leakproofness: under row-level security only leakproof operators can be
-- index conditions. numeric comparisons are not leakproof in PostgreSQL
-- 15, so numbers and money carry a float8 key column (exact numeric
-- comparison is applied on top); ILIKE, trigram, jsonb and array
-- containment are never used on list paths: tags, e-mail addresses, phone
-- numbers and custom values live in side tables compared with =, <, >.

SET LOCAL client_min_messages = warning;

-- ------------------------------------------------------------ reference data

-- Names sort by the ICU root order with Latin before Han, Han by pinyin,
-- digits numerically ("9 Corp" before "10 Corp"). The cluster's own
-- locale stays C.UTF-8.
CREATE COLLATION crm.names (provider = icu, locale = 'zh-u-kn-true-kr-latn-hani');
COMMENT ON COLLATION crm.names IS 'Sort order for names: Latin before Chinese, Chinese by pinyin, numbers by value.';

CREATE TABLE crm.currencies (
	code text PRIMARY KEY CONSTRAINT currencies_code_format CHECK (code ~ '^[A-Z]{3}$'),
	minor_units smallint NOT NULL CONSTRAINT currencies_minor_units_range CHECK (minor_units BETWEEN 0 AND 4),
	name text NOT NULL
);
COMMENT ON TABLE crm.currencies IS 'ISO 4217 currencies (from Debian''s iso-codes) with their minor units; money amounts may not have more decimals than these.';

CREATE TABLE crm.countries (
	code text PRIMARY KEY CONSTRAINT countries_code_format CHECK (code ~ '^[A-Z]{2}$'),
	name text NOT NULL
);
COMMENT ON TABLE crm.countries IS 'ISO 3166-1 alpha-2 country codes (from Debian''s iso-codes), for addresses.';
INSERT INTO crm.currencies (code, minor_units, name) VALUES
	('AED', 2, 'UAE Dirham'),
	('AFN', 2, 'Afghani'),
	('ALL', 2, 'Lek'),
	('AMD', 2, 'Armenian Dram'),
	('ANG', 2, 'Netherlands Antillean Guilder'),
	('AOA', 2, 'Kwanza'),
	('ARS', 2, 'Argentine Peso'),
	('AUD', 2, 'Australian Dollar'),
	('AWG', 2, 'Aruban Florin'),
	('AZN', 2, 'Azerbaijan Manat'),
	('BAM', 2, 'Convertible Mark'),
	('BBD', 2, 'Barbados Dollar'),
	('BDT', 2, 'Taka'),
	('BGN', 2, 'Bulgarian Lev'),
	('BHD', 3, 'Bahraini Dinar'),
	('BIF', 0, 'Burundi Franc'),
	('BMD', 2, 'Bermudian Dollar'),
	('BND', 2, 'Brunei Dollar'),
	('BOB', 2, 'Boliviano'),
	('BOV', 2, 'Mvdol'),
	('BRL', 2, 'Brazilian Real'),
	('BSD', 2, 'Bahamian Dollar'),
	('BTN', 2, 'Ngultrum'),
	('BWP', 2, 'Pula'),
	('BYN', 2, 'Belarusian Ruble'),
	('BZD', 2, 'Belize Dollar'),
	('CAD', 2, 'Canadian Dollar'),
	('CDF', 2, 'Congolese Franc'),
	('CHE', 2, 'WIR Euro'),
	('CHF', 2, 'Swiss Franc'),
	('CHW', 2, 'WIR Franc'),
	('CLF', 4, 'Unidad de Fomento'),
	('CLP', 0, 'Chilean Peso'),
	('CNY', 2, 'Yuan Renminbi'),
	('COP', 2, 'Colombian Peso'),
	('COU', 2, 'Unidad de Valor Real'),
	('CRC', 2, 'Costa Rican Colon'),
	('CUC', 2, 'Peso Convertible'),
	('CUP', 2, 'Cuban Peso'),
	('CVE', 2, 'Cabo Verde Escudo'),
	('CZK', 2, 'Czech Koruna'),
	('DJF', 0, 'Djibouti Franc'),
	('DKK', 2, 'Danish Krone'),
	('DOP', 2, 'Dominican Peso'),
	('DZD', 2, 'Algerian Dinar'),
	('EGP', 2, 'Egyptian Pound'),
	('ERN', 2, 'Nakfa'),
	('ETB', 2, 'Ethiopian Birr'),
	('EUR', 2, 'Euro'),
	('FJD', 2, 'Fiji Dollar'),
	('FKP', 2, 'Falkland Islands Pound'),
	('GBP', 2, 'Pound Sterling'),
	('GEL', 2, 'Lari'),
	('GHS', 2, 'Ghana Cedi'),
	('GIP', 2, 'Gibraltar Pound'),
	('GMD', 2, 'Dalasi'),
	('GNF', 0, 'Guinean Franc'),
	('GTQ', 2, 'Quetzal'),
	('GYD', 2, 'Guyana Dollar'),
	('HKD', 2, 'Hong Kong Dollar'),
	('HNL', 2, 'Lempira'),
	('HRK', 2, 'Kuna'),
	('HTG', 2, 'Gourde'),
	('HUF', 2, 'Forint'),
	('IDR', 2, 'Rupiah'),
	('ILS', 2, 'New Israeli Sheqel'),
	('INR', 2, 'Indian Rupee'),
	('IQD', 3, 'Iraqi Dinar'),
	('IRR', 2, 'Iranian Rial'),
	('ISK', 0, 'Iceland Krona'),
	('JMD', 2, 'Jamaican Dollar'),
	('JOD', 3, 'Jordanian Dinar'),
	('JPY', 0, 'Yen'),
	('KES', 2, 'Kenyan Shilling'),
	('KGS', 2, 'Som'),
	('KHR', 2, 'Riel'),
	('KMF', 0, 'Comorian Franc'),
	('KPW', 2, 'North Korean Won'),
	('KRW', 0, 'Won'),
	('KWD', 3, 'Kuwaiti Dinar'),
	('KYD', 2, 'Cayman Islands Dollar'),
	('KZT', 2, 'Tenge'),
	('LAK', 2, 'Lao Kip'),
	('LBP', 2, 'Lebanese Pound'),
	('LKR', 2, 'Sri Lanka Rupee'),
	('LRD', 2, 'Liberian Dollar'),
	('LSL', 2, 'Loti'),
	('LYD', 3, 'Libyan Dinar'),
	('MAD', 2, 'Moroccan Dirham'),
	('MDL', 2, 'Moldovan Leu'),
	('MGA', 2, 'Malagasy Ariary'),
	('MKD', 2, 'Denar'),
	('MMK', 2, 'Kyat'),
	('MNT', 2, 'Tugrik'),
	('MOP', 2, 'Pataca'),
	('MRU', 2, 'Ouguiya'),
	('MUR', 2, 'Mauritius Rupee'),
	('MVR', 2, 'Rufiyaa'),
	('MWK', 2, 'Malawi Kwacha'),
	('MXN', 2, 'Mexican Peso'),
	('MXV', 2, 'Mexican Unidad de Inversion (UDI)'),
	('MYR', 2, 'Malaysian Ringgit'),
	('MZN', 2, 'Mozambique Metical'),
	('NAD', 2, 'Namibia Dollar'),
	('NGN', 2, 'Naira'),
	('NIO', 2, 'Cordoba Oro'),
	('NOK', 2, 'Norwegian Krone'),
	('NPR', 2, 'Nepalese Rupee'),
	('NZD', 2, 'New Zealand Dollar'),
	('OMR', 3, 'Rial Omani'),
	('PAB', 2, 'Balboa'),
	('PEN', 2, 'Sol'),
	('PGK', 2, 'Kina'),
	('PHP', 2, 'Philippine Peso'),
	('PKR', 2, 'Pakistan Rupee'),
	('PLN', 2, 'Zloty'),
	('PYG', 0, 'Guarani'),
	('QAR', 2, 'Qatari Rial'),
	('RON', 2, 'Romanian Leu'),
	('RSD', 2, 'Serbian Dinar'),
	('RUB', 2, 'Russian Ruble'),
	('RWF', 0, 'Rwanda Franc'),
	('SAR', 2, 'Saudi Riyal'),
	('SBD', 2, 'Solomon Islands Dollar'),
	('SCR', 2, 'Seychelles Rupee'),
	('SDG', 2, 'Sudanese Pound'),
	('SEK', 2, 'Swedish Krona'),
	('SGD', 2, 'Singapore Dollar'),
	('SHP', 2, 'Saint Helena Pound'),
	('SLE', 2, 'Leone'),
	('SLL', 2, 'Leone'),
	('SOS', 2, 'Somali Shilling'),
	('SRD', 2, 'Surinam Dollar'),
	('SSP', 2, 'South Sudanese Pound'),
	('STN', 2, 'Dobra'),
	('SVC', 2, 'El Salvador Colon'),
	('SYP', 2, 'Syrian Pound'),
	('SZL', 2, 'Lilangeni'),
	('THB', 2, 'Baht'),
	('TJS', 2, 'Somoni'),
	('TMT', 2, 'Turkmenistan New Manat'),
	('TND', 3, 'Tunisian Dinar'),
	('TOP', 2, 'Pa’anga'),
	('TRY', 2, 'Turkish Lira'),
	('TTD', 2, 'Trinidad and Tobago Dollar'),
	('TWD', 2, 'New Taiwan Dollar'),
	('TZS', 2, 'Tanzanian Shilling'),
	('UAH', 2, 'Hryvnia'),
	('UGX', 0, 'Uganda Shilling'),
	('USD', 2, 'US Dollar'),
	('USN', 2, 'US Dollar (Next day)'),
	('UYI', 0, 'Uruguay Peso en Unidades Indexadas (UI)'),
	('UYU', 2, 'Peso Uruguayo'),
	('UYW', 4, 'Unidad Previsional'),
	('UZS', 2, 'Uzbekistan Sum'),
	('VED', 2, 'Bolívar Soberano'),
	('VES', 2, 'Bolívar Soberano'),
	('VND', 0, 'Dong'),
	('VUV', 0, 'Vatu'),
	('WST', 2, 'Tala'),
	('XAF', 0, 'CFA Franc BEAC'),
	('XCD', 2, 'East Caribbean Dollar'),
	('XOF', 0, 'CFA Franc BCEAO'),
	('XPF', 0, 'CFP Franc'),
	('YER', 2, 'Yemeni Rial'),
	('ZAR', 2, 'Rand'),
	('ZMW', 2, 'Zambian Kwacha'),
	('ZWL', 2, 'Zimbabwe Dollar');

INSERT INTO crm.countries (code, name) VALUES
	('AW', 'Aruba'),
	('AF', 'Afghanistan'),
	('AO', 'Angola'),
	('AI', 'Anguilla'),
	('AX', 'Åland Islands'),
	('AL', 'Albania'),
	('AD', 'Andorra'),
	('AE', 'United Arab Emirates'),
	('AR', 'Argentina'),
	('AM', 'Armenia'),
	('AS', 'American Samoa'),
	('AQ', 'Antarctica'),
	('TF', 'French Southern Territories'),
	('AG', 'Antigua and Barbuda'),
	('AU', 'Australia'),
	('AT', 'Austria'),
	('AZ', 'Azerbaijan'),
	('BI', 'Burundi'),
	('BE', 'Belgium'),
	('BJ', 'Benin'),
	('BQ', 'Bonaire, Sint Eustatius and Saba'),
	('BF', 'Burkina Faso'),
	('BD', 'Bangladesh'),
	('BG', 'Bulgaria'),
	('BH', 'Bahrain'),
	('BS', 'Bahamas'),
	('BA', 'Bosnia and Herzegovina'),
	('BL', 'Saint Barthélemy'),
	('BY', 'Belarus'),
	('BZ', 'Belize'),
	('BM', 'Bermuda'),
	('BO', 'Bolivia, Plurinational State of'),
	('BR', 'Brazil'),
	('BB', 'Barbados'),
	('BN', 'Brunei Darussalam'),
	('BT', 'Bhutan'),
	('BV', 'Bouvet Island'),
	('BW', 'Botswana'),
	('CF', 'Central African Republic'),
	('CA', 'Canada'),
	('CC', 'Cocos (Keeling) Islands'),
	('CH', 'Switzerland'),
	('CL', 'Chile'),
	('CN', 'China'),
	('CI', 'Côte d''Ivoire'),
	('CM', 'Cameroon'),
	('CD', 'Congo, The Democratic Republic of the'),
	('CG', 'Congo'),
	('CK', 'Cook Islands'),
	('CO', 'Colombia'),
	('KM', 'Comoros'),
	('CV', 'Cabo Verde'),
	('CR', 'Costa Rica'),
	('CU', 'Cuba'),
	('CW', 'Curaçao'),
	('CX', 'Christmas Island'),
	('KY', 'Cayman Islands'),
	('CY', 'Cyprus'),
	('CZ', 'Czechia'),
	('DE', 'Germany'),
	('DJ', 'Djibouti'),
	('DM', 'Dominica'),
	('DK', 'Denmark'),
	('DO', 'Dominican Republic'),
	('DZ', 'Algeria'),
	('EC', 'Ecuador'),
	('EG', 'Egypt'),
	('ER', 'Eritrea'),
	('EH', 'Western Sahara'),
	('ES', 'Spain'),
	('EE', 'Estonia'),
	('ET', 'Ethiopia'),
	('FI', 'Finland'),
	('FJ', 'Fiji'),
	('FK', 'Falkland Islands (Malvinas)'),
	('FR', 'France'),
	('FO', 'Faroe Islands'),
	('FM', 'Micronesia, Federated States of'),
	('GA', 'Gabon'),
	('GB', 'United Kingdom'),
	('GE', 'Georgia'),
	('GG', 'Guernsey'),
	('GH', 'Ghana'),
	('GI', 'Gibraltar'),
	('GN', 'Guinea'),
	('GP', 'Guadeloupe'),
	('GM', 'Gambia'),
	('GW', 'Guinea-Bissau'),
	('GQ', 'Equatorial Guinea'),
	('GR', 'Greece'),
	('GD', 'Grenada'),
	('GL', 'Greenland'),
	('GT', 'Guatemala'),
	('GF', 'French Guiana'),
	('GU', 'Guam'),
	('GY', 'Guyana'),
	('HK', 'Hong Kong'),
	('HM', 'Heard Island and McDonald Islands'),
	('HN', 'Honduras'),
	('HR', 'Croatia'),
	('HT', 'Haiti'),
	('HU', 'Hungary'),
	('ID', 'Indonesia'),
	('IM', 'Isle of Man'),
	('IN', 'India'),
	('IO', 'British Indian Ocean Territory'),
	('IE', 'Ireland'),
	('IR', 'Iran, Islamic Republic of'),
	('IQ', 'Iraq'),
	('IS', 'Iceland'),
	('IL', 'Israel'),
	('IT', 'Italy'),
	('JM', 'Jamaica'),
	('JE', 'Jersey'),
	('JO', 'Jordan'),
	('JP', 'Japan'),
	('KZ', 'Kazakhstan'),
	('KE', 'Kenya'),
	('KG', 'Kyrgyzstan'),
	('KH', 'Cambodia'),
	('KI', 'Kiribati'),
	('KN', 'Saint Kitts and Nevis'),
	('KR', 'Korea, Republic of'),
	('KW', 'Kuwait'),
	('LA', 'Lao People''s Democratic Republic'),
	('LB', 'Lebanon'),
	('LR', 'Liberia'),
	('LY', 'Libya'),
	('LC', 'Saint Lucia'),
	('LI', 'Liechtenstein'),
	('LK', 'Sri Lanka'),
	('LS', 'Lesotho'),
	('LT', 'Lithuania'),
	('LU', 'Luxembourg'),
	('LV', 'Latvia'),
	('MO', 'Macao'),
	('MF', 'Saint Martin (French part)'),
	('MA', 'Morocco'),
	('MC', 'Monaco'),
	('MD', 'Moldova, Republic of'),
	('MG', 'Madagascar'),
	('MV', 'Maldives'),
	('MX', 'Mexico'),
	('MH', 'Marshall Islands'),
	('MK', 'North Macedonia'),
	('ML', 'Mali'),
	('MT', 'Malta'),
	('MM', 'Myanmar'),
	('ME', 'Montenegro'),
	('MN', 'Mongolia'),
	('MP', 'Northern Mariana Islands'),
	('MZ', 'Mozambique'),
	('MR', 'Mauritania'),
	('MS', 'Montserrat'),
	('MQ', 'Martinique'),
	('MU', 'Mauritius'),
	('MW', 'Malawi'),
	('MY', 'Malaysia'),
	('YT', 'Mayotte'),
	('NA', 'Namibia'),
	('NC', 'New Caledonia'),
	('NE', 'Niger'),
	('NF', 'Norfolk Island'),
	('NG', 'Nigeria'),
	('NI', 'Nicaragua'),
	('NU', 'Niue'),
	('NL', 'Netherlands'),
	('NO', 'Norway'),
	('NP', 'Nepal'),
	('NR', 'Nauru'),
	('NZ', 'New Zealand'),
	('OM', 'Oman'),
	('PK', 'Pakistan'),
	('PA', 'Panama'),
	('PN', 'Pitcairn'),
	('PE', 'Peru'),
	('PH', 'Philippines'),
	('PW', 'Palau'),
	('PG', 'Papua New Guinea'),
	('PL', 'Poland'),
	('PR', 'Puerto Rico'),
	('KP', 'Korea, Democratic People''s Republic of'),
	('PT', 'Portugal'),
	('PY', 'Paraguay'),
	('PS', 'Palestine, State of'),
	('PF', 'French Polynesia'),
	('QA', 'Qatar'),
	('RE', 'Réunion'),
	('RO', 'Romania'),
	('RU', 'Russian Federation'),
	('RW', 'Rwanda'),
	('SA', 'Saudi Arabia'),
	('SD', 'Sudan'),
	('SN', 'Senegal'),
	('SG', 'Singapore'),
	('GS', 'South Georgia and the South Sandwich Islands'),
	('SH', 'Saint Helena, Ascension and Tristan da Cunha'),
	('SJ', 'Svalbard and Jan Mayen'),
	('SB', 'Solomon Islands'),
	('SL', 'Sierra Leone'),
	('SV', 'El Salvador'),
	('SM', 'San Marino'),
	('SO', 'Somalia'),
	('PM', 'Saint Pierre and Miquelon'),
	('RS', 'Serbia'),
	('SS', 'South Sudan'),
	('ST', 'Sao Tome and Principe'),
	('SR', 'Suriname'),
	('SK', 'Slovakia'),
	('SI', 'Slovenia'),
	('SE', 'Sweden'),
	('SZ', 'Eswatini'),
	('SX', 'Sint Maarten (Dutch part)'),
	('SC', 'Seychelles'),
	('SY', 'Syrian Arab Republic'),
	('TC', 'Turks and Caicos Islands'),
	('TD', 'Chad'),
	('TG', 'Togo'),
	('TH', 'Thailand'),
	('TJ', 'Tajikistan'),
	('TK', 'Tokelau'),
	('TM', 'Turkmenistan'),
	('TL', 'Timor-Leste'),
	('TO', 'Tonga'),
	('TT', 'Trinidad and Tobago'),
	('TN', 'Tunisia'),
	('TR', 'Türkiye'),
	('TV', 'Tuvalu'),
	('TW', 'Taiwan, Province of China'),
	('TZ', 'Tanzania, United Republic of'),
	('UG', 'Uganda'),
	('UA', 'Ukraine'),
	('UM', 'United States Minor Outlying Islands'),
	('UY', 'Uruguay'),
	('US', 'United States'),
	('UZ', 'Uzbekistan'),
	('VA', 'Holy See (Vatican City State)'),
	('VC', 'Saint Vincent and the Grenadines'),
	('VE', 'Venezuela, Bolivarian Republic of'),
	('VG', 'Virgin Islands, British'),
	('VI', 'Virgin Islands, U.S.'),
	('VN', 'Viet Nam'),
	('VU', 'Vanuatu'),
	('WF', 'Wallis and Futuna'),
	('WS', 'Samoa'),
	('YE', 'Yemen'),
	('ZA', 'South Africa'),
	('ZM', 'Zambia'),
	('ZW', 'Zimbabwe');
GRANT SELECT ON crm.currencies, crm.countries TO crm_app;

-- ------------------------------------------------------------ record registry

ALTER TABLE crm.record_types
	ADD COLUMN table_name text,
	ADD COLUMN personal text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN crm.record_types.table_name IS 'The business table of a record type (NULL for administrative types).';
COMMENT ON COLUMN crm.record_types.personal IS 'Fields (audit JSON keys) holding personal data: a purge redacts them in the record''s audit history.';

INSERT INTO crm.record_types (name, description, table_name, personal) VALUES
	('account', 'Accounts: companies and individual customers', 'crm.accounts',
	 '{name,name_norm,legal_name,phone,phone_norm,website,description,billing_street,billing_city,billing_region,billing_postal_code,shipping_street,shipping_city,shipping_region,shipping_postal_code,tags,custom}'),
	('contact', 'Contacts: the people who work with or for customers', 'crm.contacts',
	 '{given_name,family_name,display_name,title,birthday_year,birthday_month,birthday_day,preferences,description,emails,phones,tags,custom}'),
	('relation', 'Relationships between records (governed by the records they link)', NULL, '{}'),
	('field', 'Custom fields and pick lists', NULL, '{}');
UPDATE crm.record_types SET table_name = 'crm.notes', personal = '{body}' WHERE name = 'note';

CREATE SEQUENCE crm.record_id_seq;
COMMENT ON SEQUENCE crm.record_id_seq IS 'Ids of every business record, whatever its type.';
GRANT USAGE ON SEQUENCE crm.record_id_seq TO crm_app;

CREATE TABLE crm.records (
	id bigint PRIMARY KEY,
	record_type text NOT NULL REFERENCES crm.record_types,
	created_at timestamptz NOT NULL DEFAULT now(),
	purged_at timestamptz
);
COMMENT ON TABLE crm.records IS
	'Every business record ever created, by id and type: the target of every polymorphic '
	'foreign key (shares, relations, tags, custom values, audit). Rows are written by the '
	'trigger crm.register_record and never deleted: a purge sets purged_at.';

-- Notes join the registry: their ids now come from the shared sequence.
ALTER TABLE crm.notes ALTER COLUMN id DROP IDENTITY;
INSERT INTO crm.records (id, record_type, created_at) SELECT id, 'note', created_at FROM crm.notes;
SELECT setval('crm.record_id_seq', greatest((SELECT max(id) FROM crm.notes), 1));
ALTER TABLE crm.notes ALTER COLUMN id SET DEFAULT nextval('crm.record_id_seq');
ALTER TABLE crm.notes ADD CONSTRAINT notes_id_record FOREIGN KEY (id) REFERENCES crm.records;

ALTER TABLE crm.shares ADD CONSTRAINT shares_record_id_fkey
	FOREIGN KEY (record_id) REFERENCES crm.records ON DELETE CASCADE;
CREATE INDEX shares_record_idx ON crm.shares (record_id);

-- Audit rows of business records point at the registry (NULL for users,
-- teams, sessions and the other administrative types, whose ids are their
-- own).
ALTER TABLE crm.audit ADD COLUMN record_ref bigint REFERENCES crm.records;
UPDATE crm.audit a SET record_ref = a.record_id
FROM crm.records r WHERE r.id = a.record_id AND r.record_type = a.record_type;
CREATE INDEX audit_record_ref_idx ON crm.audit (record_ref) WHERE record_ref IS NOT NULL;
COMMENT ON COLUMN crm.audit.record_ref IS 'The business record (crm.records) the row is about; set with record_id when the type is a business type.';

CREATE OR REPLACE FUNCTION crm.audit_write(p_type text, p_id bigint, p_action text, p_old jsonb, p_new jsonb,
					    p_user bigint DEFAULT NULL)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	INSERT INTO crm.audit (user_id, username, request_id, client_addr, record_type, record_id,
			       action, old_values, new_values, record_ref)
	SELECT u, (SELECT username FROM crm.users WHERE id = u),
	       nullif(current_setting('crm.request_id', true), '')::bigint,
	       nullif(current_setting('crm.client_addr', true), ''),
	       p_type, p_id, p_action, p_old, p_new,
	       (SELECT r.id FROM crm.records r WHERE r.id = p_id AND r.record_type = p_type)
	FROM (SELECT coalesce(p_user, crm.acting_user()) AS u) AS a;
$$;
REVOKE ALL ON FUNCTION crm.audit_write(text, bigint, text, jsonb, jsonb, bigint) FROM PUBLIC;
COMMENT ON COLUMN crm.audit.action IS 'create, update, delete, restore, purge, redact, reassign, revoke, enable, disable, login, login_failed, password_change, password_reset. Shares are records of type share (create, update, purge); permission changes are updates of type permission; a logout is a revoke of type session; redact records that a purge blanked personal fields in a record''s history.';

-- Registers a new business row in crm.records (BEFORE INSERT; the owner
-- role writes the registry, crm_app cannot).
CREATE FUNCTION crm.register_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
BEGIN
	IF NEW.id IS NULL THEN
		NEW.id := nextval('crm.record_id_seq');
	END IF;
	INSERT INTO crm.records (id, record_type) VALUES (NEW.id, TG_ARGV[0]);
	RETURN NEW;
END
$$;

CREATE TRIGGER register_record BEFORE INSERT ON crm.notes
	FOR EACH ROW EXECUTE FUNCTION crm.register_record('note');

-- Every update of a business row: next version, who and when.
CREATE FUNCTION crm.touch_record() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	NEW.version := OLD.version + 1;
	NEW.updated_at := now();
	NEW.updated_by := crm.acting_user();
	RETURN NEW;
END
$$;

-- One line per business table: registry, versions, row-level security
-- and audit. p_skip names columns the audit trail leaves out (derived
-- columns and the bookkeeping every update changes).
CREATE FUNCTION crm.attach_record(p_table regclass, p_type text, VARIADIC p_skip text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
BEGIN
	EXECUTE format('CREATE TRIGGER register_record BEFORE INSERT ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.register_record(%L)', p_table, p_type);
	EXECUTE format('CREATE TRIGGER touch_record BEFORE UPDATE ON %s '
		       'FOR EACH ROW EXECUTE FUNCTION crm.touch_record()', p_table);
	PERFORM crm.attach_rls(p_table, p_type);
	PERFORM crm.attach_audit(p_table, p_type,
				 VARIADIC p_skip || ARRAY['version', 'updated_at', 'updated_by']);
END
$$;

-- Default matrix for the new business types: the note pattern.
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT p.role, t.name, p.action, p.scope
FROM crm.permissions p, (VALUES ('account'), ('contact')) AS t(name)
WHERE p.record_type = 'note';

-- Custom fields and pick lists: administrators manage them, everyone reads.
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT 'admin', 'field', a, 'all'
FROM unnest(ARRAY['read', 'create', 'update', 'delete', 'export', 'reassign', 'admin']) AS a;
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT r, 'field', 'read', 'all'
FROM unnest(ARRAY['manager', 'sales', 'support', 'marketing', 'viewer']) AS r;

-- Whether the acting user may change a record (row-level security's
-- UPDATE policy decides: SELECT ... FOR UPDATE applies it). Locks the
-- row, which write paths are about to change anyway. Side tables use it
-- in their write policies.
CREATE FUNCTION crm.record_editable(p_type text, p_id bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
DECLARE
	t text;
	ok boolean;
BEGIN
	SELECT table_name INTO t FROM crm.record_types WHERE name = p_type;
	IF t IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE format('SELECT true FROM %s WHERE id = $1 FOR UPDATE', t) INTO ok USING p_id;
	RETURN coalesce(ok, false);
END
$$;
COMMENT ON FUNCTION crm.record_editable(text, bigint) IS
	'Whether the acting user may update a record under its table''s row-level security '
	'(matrix scopes or an edit share); locks the row.';
GRANT EXECUTE ON FUNCTION crm.record_editable(text, bigint) TO crm_app;

-- Row-level security for a side table whose rows belong to records of
-- any business type: a row is visible when every record it names is
-- (p_pairs: id column, type column, ...), and writable when the first is
-- editable. The policy is generated from crm.record_types, one cheap arm
-- per type (scope all short-circuits per statement); a migration adding
-- a business type calls crm.refresh_side_rls() again.
CREATE TABLE crm_meta.side_tables (
	table_name text PRIMARY KEY,
	pairs text[] NOT NULL
);
COMMENT ON TABLE crm_meta.side_tables IS 'Side tables whose row-level security crm.refresh_side_rls() generates from crm.record_types.';

CREATE FUNCTION crm.side_visible(p_id_col text, p_type_col text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, crm
AS $$
	SELECT '(' || string_agg(format('(%2$s = %3$L AND ((SELECT crm.scope_all(%3$L, ''read'')) OR EXISTS (SELECT 1 FROM %4$s x WHERE x.id = %1$s)))',
					p_id_col, p_type_col, name, table_name), ' OR ' ORDER BY name) || ')'
	FROM crm.record_types WHERE table_name IS NOT NULL
$$;

CREATE FUNCTION crm.refresh_side_rls() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $$
DECLARE
	s record;
	vis text;
	i int;
BEGIN
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
$$;

-- ------------------------------------------------------------ pick lists

CREATE TABLE crm.picklists (
	id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	name text PRIMARY KEY CONSTRAINT picklists_name_format CHECK (name ~ '^[a-z][a-z0-9_.]{0,63}$'),
	description text NOT NULL DEFAULT ''
);
COMMENT ON TABLE crm.picklists IS
	'Admin-managed value lists: industry, region and tier of accounts, the roles of each '
	'kind of relationship (relation.<from>.<to>), and one per custom pick-list field '
	'(<type>.<field>).';

CREATE TABLE crm.picklist_values (
	id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	picklist text NOT NULL REFERENCES crm.picklists ON DELETE CASCADE ON UPDATE CASCADE,
	value text NOT NULL CONSTRAINT picklist_values_value_length CHECK (length(value) BETWEEN 1 AND 255),
	label text NOT NULL CONSTRAINT picklist_values_label_length CHECK (length(label) BETWEEN 1 AND 255),
	position integer NOT NULL,
	active boolean NOT NULL DEFAULT true,
	PRIMARY KEY (picklist, value)
);
COMMENT ON COLUMN crm.picklist_values.active IS 'Retired values stay on the records that hold them; new writes may not use them.';

INSERT INTO crm.picklists (name, description) VALUES
	('industry', 'Industry of an account'),
	('region', 'Sales region of an account'),
	('tier', 'Service or value tier of an account'),
	('relation.contact.account', 'Roles of a contact at an account'),
	('relation.contact.contact', 'How two contacts are related'),
	('relation.account.account', 'How two accounts are related');
INSERT INTO crm.picklist_values (picklist, value, label, position)
SELECT l.picklist, v.value, v.value, v.n
FROM (VALUES
	('industry', ARRAY['Agriculture', 'Banking', 'Construction', 'Consulting', 'Education',
			   'Energy', 'Government', 'Healthcare', 'Hospitality', 'Insurance',
			   'Manufacturing', 'Media', 'Non-profit', 'Retail', 'Software',
			   'Telecommunications', 'Transport', 'Other']),
	('region', ARRAY['Americas', 'EMEA', 'APAC', 'Greater China']),
	('tier', ARRAY['Platinum', 'Gold', 'Silver', 'Bronze']),
	('relation.contact.account', ARRAY['employee', 'decision_maker', 'billing', 'technical',
					   'influencer', 'champion', 'former_employee', 'other']),
	('relation.contact.contact', ARRAY['reports_to', 'assistant_of', 'referred_by', 'family',
					   'colleague', 'other']),
	('relation.account.account', ARRAY['partner', 'competitor', 'supplier', 'customer',
					   'subsidiary', 'other'])
) AS l(picklist, vals),
LATERAL unnest(l.vals) WITH ORDINALITY AS v(value, n);

-- ------------------------------------------------------------ custom fields

CREATE TABLE crm.fields (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_type text NOT NULL REFERENCES crm.record_types,
	name text NOT NULL CONSTRAINT fields_name_format CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
	label text NOT NULL CONSTRAINT fields_label_length CHECK (length(label) BETWEEN 1 AND 255),
	kind text NOT NULL CONSTRAINT fields_kind_check
		CHECK (kind IN ('text', 'number', 'money', 'date', 'boolean', 'picklist')),
	required boolean NOT NULL DEFAULT false,
	max_length integer CONSTRAINT fields_max_length_range CHECK (max_length BETWEEN 1 AND 4096),
	min_value text,
	max_value text,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (record_type, name)
);
COMMENT ON TABLE crm.fields IS
	'Custom fields defined by administrators per record type. Defining one is a row here, '
	'never DDL; values live in crm.custom_values.';

-- The standard fields of each type as lists and filters see them: how to
-- filter (kind), which column or expression, and how to sort (sort_expr,
-- NULL when the field has no index to sort by).
CREATE TABLE crm.standard_fields (
	record_type text NOT NULL REFERENCES crm.record_types,
	name text NOT NULL,
	label text NOT NULL,
	kind text NOT NULL,
	col text,
	sort_expr text,
	nullable boolean NOT NULL DEFAULT true,
	position integer NOT NULL,
	PRIMARY KEY (record_type, name)
);
COMMENT ON COLUMN crm.standard_fields.sort_expr IS
	'The sort key: one expression, or for a field that may be empty '
	'"x IS NULL|CASE WHEN x IS NULL THEN c ELSE x END": two keys that put empty values last '
	'(first descending) and never compare NULL, so a keyset condition stays one row comparison '
	'an index serves. CASE, not coalesce: PostgreSQL treats COALESCE as possibly leaky under '
	'row-level security, CASE and IS NULL as safe.';
COMMENT ON TABLE crm.standard_fields IS
	'Built-in fields per record type, for field lists, filters and sorting. kind: text, norm '
	'(equality on a normalised column), enum, picklist, number, money, instant, boolean, user, '
	'team, tags, ref, email, phone, country.';

INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
SELECT 'account', f.name, f.label, f.kind, f.col, f.sort_expr, f.nullable, row_number() OVER ()
FROM (VALUES
	('id', 'Id', 'ref', 'r.id', NULL, false),
	('name', 'Name', 'norm', 'r.name_norm', 'r.name COLLATE crm.names', false),
	('legal_name', 'Legal name', 'none', NULL, NULL, true),
	('type', 'Type', 'enum', 'r.type', NULL, false),
	('individual', 'Individual', 'boolean', 'r.individual', NULL, false),
	('industry', 'Industry', 'picklist', 'r.industry', NULL, true),
	('region', 'Region', 'picklist', 'r.region', NULL, true),
	('tier', 'Tier', 'picklist', 'r.tier', NULL, true),
	('website', 'Website', 'none', NULL, NULL, true),
	('phone', 'Phone', 'phone', 'r.phone_norm', NULL, true),
	('billing_address', 'Billing address', 'none', NULL, NULL, true),
	('country', 'Billing country', 'country', 'r.billing_country', NULL, true),
	('shipping_address', 'Shipping address', 'none', NULL, NULL, true),
	('parent_id', 'Parent account', 'ref', 'r.parent_id', NULL, true),
	('annual_revenue', 'Annual revenue', 'money', 'r.annual_revenue', 'r.annual_revenue_key IS NULL|CASE WHEN r.annual_revenue_key IS NULL THEN 0 ELSE r.annual_revenue_key END', true),
	('employees', 'Employees', 'number', 'r.employees', 'r.employees IS NULL|CASE WHEN r.employees IS NULL THEN 0 ELSE r.employees END', true),
	('description', 'Description', 'none', NULL, NULL, true),
	('tags', 'Tags', 'tags', NULL, NULL, true),
	('owner', 'Owner', 'user', 'r.owner_id', NULL, false),
	('team', 'Team', 'team', 'r.team_id', NULL, true),
	('created_at', 'Created', 'instant', 'r.created_at', 'r.created_at', false),
	('updated_at', 'Updated', 'instant', 'r.updated_at', 'r.updated_at', false)
) AS f(name, label, kind, col, sort_expr, nullable);

INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
SELECT 'contact', f.name, f.label, f.kind, f.col, f.sort_expr, f.nullable, row_number() OVER ()
FROM (VALUES
	('id', 'Id', 'ref', 'r.id', NULL, false),
	('display_name', 'Name', 'norm', 'r.display_name_norm', 'r.display_name COLLATE crm.names', false),
	('given_name', 'Given name', 'none', NULL, NULL, true),
	('family_name', 'Family name', 'norm', 'r.family_name_norm', 'r.family_name IS NULL|CASE WHEN r.family_name IS NULL THEN '''' ELSE r.family_name END COLLATE crm.names', true),
	('name_order', 'Name order', 'enum', 'r.name_order', NULL, false),
	('title', 'Title', 'none', NULL, NULL, true),
	('email', 'E-mail', 'email', NULL, NULL, true),
	('phone', 'Phone', 'phone', NULL, NULL, true),
	('birthday', 'Birthday', 'none', NULL, NULL, true),
	('preferred_channel', 'Preferred channel', 'enum', 'r.preferred_channel', NULL, true),
	('do_not_contact', 'Do not contact', 'boolean', 'r.do_not_contact', NULL, false),
	('marketing_opt_out', 'Marketing opt-out', 'boolean', 'r.marketing_opt_out', NULL, false),
	('preferences', 'Preferences', 'none', NULL, NULL, true),
	('account_id', 'Primary account', 'ref', 'r.account_id', NULL, true),
	('description', 'Description', 'none', NULL, NULL, true),
	('tags', 'Tags', 'tags', NULL, NULL, true),
	('owner', 'Owner', 'user', 'r.owner_id', NULL, false),
	('team', 'Team', 'team', 'r.team_id', NULL, true),
	('created_at', 'Created', 'instant', 'r.created_at', 'r.created_at', false),
	('updated_at', 'Updated', 'instant', 'r.updated_at', 'r.updated_at', false)
) AS f(name, label, kind, col, sort_expr, nullable);
GRANT SELECT ON crm.standard_fields TO crm_app;

-- ------------------------------------------------------------ accounts

CREATE TABLE crm.accounts (
	id bigint PRIMARY KEY REFERENCES crm.records,
	owner_id bigint NOT NULL REFERENCES crm.users,
	team_id bigint REFERENCES crm.teams,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by bigint REFERENCES crm.users,
	deleted_at timestamptz,
	name text NOT NULL CONSTRAINT accounts_name_length CHECK (length(name) BETWEEN 1 AND 255),
	name_norm text NOT NULL GENERATED ALWAYS AS (lower(normalize(name, NFKC))) STORED,
	legal_name text CONSTRAINT accounts_legal_name_length CHECK (length(legal_name) BETWEEN 1 AND 255),
	type text NOT NULL DEFAULT 'prospect' CONSTRAINT accounts_type_check
		CHECK (type IN ('prospect', 'customer', 'partner', 'competitor', 'other')),
	individual boolean NOT NULL DEFAULT false,
	industry text,
	region text,
	tier text,
	website text CONSTRAINT accounts_website_length CHECK (length(website) BETWEEN 1 AND 2048),
	phone text CONSTRAINT accounts_phone_length CHECK (length(phone) BETWEEN 1 AND 64),
	phone_norm text,
	billing_street text CONSTRAINT accounts_billing_street_length CHECK (length(billing_street) <= 1024),
	billing_city text CONSTRAINT accounts_billing_city_length CHECK (length(billing_city) <= 255),
	billing_region text CONSTRAINT accounts_billing_region_length CHECK (length(billing_region) <= 255),
	billing_postal_code text CONSTRAINT accounts_billing_postal_code_length CHECK (length(billing_postal_code) <= 32),
	billing_country text REFERENCES crm.countries,
	shipping_street text CONSTRAINT accounts_shipping_street_length CHECK (length(shipping_street) <= 1024),
	shipping_city text CONSTRAINT accounts_shipping_city_length CHECK (length(shipping_city) <= 255),
	shipping_region text CONSTRAINT accounts_shipping_region_length CHECK (length(shipping_region) <= 255),
	shipping_postal_code text CONSTRAINT accounts_shipping_postal_code_length CHECK (length(shipping_postal_code) <= 32),
	shipping_country text REFERENCES crm.countries,
	parent_id bigint REFERENCES crm.accounts ON DELETE SET NULL,
	annual_revenue numeric CONSTRAINT accounts_annual_revenue_range CHECK (annual_revenue >= 0 AND annual_revenue < 1e18),
	annual_revenue_currency text REFERENCES crm.currencies,
	annual_revenue_key double precision GENERATED ALWAYS AS (annual_revenue::double precision) STORED,
	employees bigint CONSTRAINT accounts_employees_range CHECK (employees BETWEEN 0 AND 100000000),
	description text CONSTRAINT accounts_description_length CHECK (length(description) <= 32768),
	CONSTRAINT accounts_annual_revenue_currency CHECK ((annual_revenue IS NULL) = (annual_revenue_currency IS NULL)),
	CONSTRAINT accounts_parent_id_self CHECK (parent_id <> id)
);
COMMENT ON TABLE crm.accounts IS 'Companies and individual customers.';
COMMENT ON COLUMN crm.accounts.name_norm IS 'lower(NFKC(name)): equality filters and duplicate matching; the name itself is kept as typed.';
COMMENT ON COLUMN crm.accounts.phone_norm IS 'The phone number''s digits, with + for an international number: for matching.';
COMMENT ON COLUMN crm.accounts.annual_revenue_key IS 'annual_revenue as float8: an index key usable under row-level security (numeric comparison is not leakproof); exact comparisons use annual_revenue.';
COMMENT ON COLUMN crm.accounts.industry IS 'A value of pick list industry (checked on write; retired values stay).';

CREATE INDEX accounts_name_idx ON crm.accounts (name COLLATE crm.names, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_name_norm_idx ON crm.accounts (name_norm) WHERE deleted_at IS NULL;
CREATE INDEX accounts_updated_idx ON crm.accounts (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_created_idx ON crm.accounts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_owner_idx ON crm.accounts (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_team_idx ON crm.accounts (team_id, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_industry_idx ON crm.accounts (industry, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_region_idx ON crm.accounts (region, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_tier_idx ON crm.accounts (tier, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_country_idx ON crm.accounts (billing_country, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_revenue_idx ON crm.accounts (annual_revenue_key, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_revenue_sort_idx ON crm.accounts ((annual_revenue_key IS NULL), (CASE WHEN annual_revenue_key IS NULL THEN 0 ELSE annual_revenue_key END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX accounts_employees_idx ON crm.accounts (employees, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_employees_sort_idx ON crm.accounts ((employees IS NULL), (CASE WHEN employees IS NULL THEN 0 ELSE employees END), id)
	WHERE deleted_at IS NULL;
CREATE INDEX accounts_phone_idx ON crm.accounts (phone_norm) WHERE deleted_at IS NULL;
CREATE INDEX accounts_parent_idx ON crm.accounts (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX accounts_deleted_idx ON crm.accounts (deleted_at, id) WHERE deleted_at IS NOT NULL;

SELECT crm.attach_record('crm.accounts', 'account', 'name_norm', 'phone_norm', 'annual_revenue_key');
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.accounts TO crm_app;

-- ------------------------------------------------------------ contacts

CREATE TABLE crm.contacts (
	id bigint PRIMARY KEY REFERENCES crm.records,
	owner_id bigint NOT NULL REFERENCES crm.users,
	team_id bigint REFERENCES crm.teams,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by bigint REFERENCES crm.users,
	deleted_at timestamptz,
	given_name text CONSTRAINT contacts_given_name_length CHECK (length(given_name) BETWEEN 1 AND 255),
	family_name text CONSTRAINT contacts_family_name_length CHECK (length(family_name) BETWEEN 1 AND 255),
	name_order text NOT NULL DEFAULT 'western' CONSTRAINT contacts_name_order_check
		CHECK (name_order IN ('western', 'eastern')),
	display_name text NOT NULL GENERATED ALWAYS AS (
		CASE WHEN name_order = 'eastern' THEN coalesce(family_name, '') || coalesce(given_name, '')
		     ELSE coalesce(given_name || ' ' || family_name, given_name, family_name) END) STORED,
	display_name_norm text NOT NULL GENERATED ALWAYS AS (lower(normalize(
		CASE WHEN name_order = 'eastern' THEN coalesce(family_name, '') || coalesce(given_name, '')
		     ELSE coalesce(given_name || ' ' || family_name, given_name, family_name) END, NFKC))) STORED,
	family_name_norm text GENERATED ALWAYS AS (lower(normalize(family_name, NFKC))) STORED,
	title text CONSTRAINT contacts_title_length CHECK (length(title) BETWEEN 1 AND 255),
	birthday_year smallint CONSTRAINT contacts_birthday_year_range CHECK (birthday_year BETWEEN 1850 AND 2200),
	birthday_month smallint CONSTRAINT contacts_birthday_month_range CHECK (birthday_month BETWEEN 1 AND 12),
	birthday_day smallint CONSTRAINT contacts_birthday_day_range CHECK (birthday_day BETWEEN 1 AND 31),
	preferred_channel text CONSTRAINT contacts_preferred_channel_check
		CHECK (preferred_channel IN ('email', 'phone', 'sms', 'mail', 'in_person')),
	do_not_contact boolean NOT NULL DEFAULT false,
	do_not_contact_at timestamptz,
	marketing_opt_out boolean NOT NULL DEFAULT false,
	marketing_opt_out_at timestamptz,
	preferences jsonb NOT NULL DEFAULT '{}' CONSTRAINT contacts_preferences_object
		CHECK (jsonb_typeof(preferences) = 'object'),
	account_id bigint REFERENCES crm.accounts ON DELETE SET NULL,
	description text CONSTRAINT contacts_description_length CHECK (length(description) <= 32768),
	CONSTRAINT contacts_given_name_required CHECK (given_name IS NOT NULL OR family_name IS NOT NULL),
	CONSTRAINT contacts_birthday_valid CHECK (
		(birthday_month IS NULL AND birthday_day IS NULL AND birthday_year IS NULL)
		OR (birthday_month IS NOT NULL AND birthday_day IS NOT NULL
		    AND birthday_day <= extract(day FROM (make_date(coalesce(birthday_year, 2000), birthday_month, 1)
							 + interval '1 month - 1 day'))))
);
COMMENT ON TABLE crm.contacts IS 'People who work with or for customers.';
COMMENT ON COLUMN crm.contacts.display_name IS 'Given then family name with a space (western), or family then given name without one (eastern: Chinese, Japanese, Korean).';
COMMENT ON COLUMN crm.contacts.birthday_year IS 'Optional: a birthday may be known without the year; 29 February without a year is valid.';
COMMENT ON COLUMN crm.contacts.account_id IS 'The primary account: mirrors the primary contact-to-account relation (crm.relations.is_primary).';
COMMENT ON COLUMN crm.contacts.do_not_contact_at IS 'When do_not_contact was last set to true.';

CREATE INDEX contacts_name_idx ON crm.contacts (display_name COLLATE crm.names, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_name_norm_idx ON crm.contacts (display_name_norm) WHERE deleted_at IS NULL;
CREATE INDEX contacts_family_idx ON crm.contacts ((family_name IS NULL), (CASE WHEN family_name IS NULL THEN '' ELSE family_name END) COLLATE crm.names, id)
	WHERE deleted_at IS NULL;
CREATE INDEX contacts_family_norm_idx ON crm.contacts (family_name_norm) WHERE deleted_at IS NULL;
CREATE INDEX contacts_updated_idx ON crm.contacts (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_created_idx ON crm.contacts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_owner_idx ON crm.contacts (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_team_idx ON crm.contacts (team_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_account_idx ON crm.contacts (account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX contacts_deleted_idx ON crm.contacts (deleted_at, id) WHERE deleted_at IS NOT NULL;

SELECT crm.attach_record('crm.contacts', 'contact', 'display_name_norm', 'family_name_norm');
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.contacts TO crm_app;

CREATE TABLE crm.contact_emails (
	contact_id bigint NOT NULL REFERENCES crm.contacts ON DELETE CASCADE,
	position smallint NOT NULL,
	address text NOT NULL CONSTRAINT contact_emails_address_format
		CHECK (length(address) <= 254 AND address ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
	address_norm text NOT NULL GENERATED ALWAYS AS (lower(address)) STORED,
	kind text NOT NULL DEFAULT 'work' CONSTRAINT contact_emails_kind_check CHECK (kind IN ('work', 'home', 'other')),
	is_primary boolean NOT NULL DEFAULT false,
	PRIMARY KEY (contact_id, position)
);
CREATE UNIQUE INDEX contact_emails_primary_key ON crm.contact_emails (contact_id) WHERE is_primary;
CREATE INDEX contact_emails_norm_idx ON crm.contact_emails (address_norm);
COMMENT ON TABLE crm.contact_emails IS 'A contact''s e-mail addresses, in the order given; one is primary.';

CREATE TABLE crm.contact_phones (
	contact_id bigint NOT NULL REFERENCES crm.contacts ON DELETE CASCADE,
	position smallint NOT NULL,
	number text NOT NULL CONSTRAINT contact_phones_number_length CHECK (length(number) BETWEEN 1 AND 64),
	number_norm text NOT NULL,
	kind text NOT NULL DEFAULT 'work' CONSTRAINT contact_phones_kind_check
		CHECK (kind IN ('work', 'mobile', 'home', 'fax', 'other')),
	is_primary boolean NOT NULL DEFAULT false,
	PRIMARY KEY (contact_id, position)
);
CREATE UNIQUE INDEX contact_phones_primary_key ON crm.contact_phones (contact_id) WHERE is_primary;
CREATE INDEX contact_phones_norm_idx ON crm.contact_phones (number_norm);
COMMENT ON TABLE crm.contact_phones IS 'A contact''s phone numbers as entered, with a normalised form for matching; one is primary.';

-- Side tables of a contact follow the contact: visible when it is,
-- writable when it is editable.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['crm.contact_emails', 'crm.contact_phones'] LOOP
		EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY select_scope ON %s FOR SELECT TO crm_app '
			       'USING (EXISTS (SELECT 1 FROM crm.contacts c WHERE c.id = contact_id))', t);
		EXECUTE format('CREATE POLICY insert_scope ON %s FOR INSERT TO crm_app '
			       'WITH CHECK (crm.record_editable(''contact'', contact_id))', t);
		EXECUTE format('CREATE POLICY update_scope ON %s FOR UPDATE TO crm_app '
			       'USING (crm.record_editable(''contact'', contact_id)) '
			       'WITH CHECK (crm.record_editable(''contact'', contact_id))', t);
		EXECUTE format('CREATE POLICY delete_scope ON %s FOR DELETE TO crm_app '
			       'USING (crm.record_editable(''contact'', contact_id))', t);
		EXECUTE format('CREATE POLICY owner_all ON %s TO crm_owner USING (true) WITH CHECK (true)', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO crm_app', t);
	END LOOP;
END
$$;

-- ------------------------------------------------------------ side tables of every type

CREATE TABLE crm.record_tags (
	record_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	record_type text NOT NULL,
	tag text NOT NULL CONSTRAINT record_tags_tag_length CHECK (length(tag) BETWEEN 1 AND 64),
	tag_norm text NOT NULL GENERATED ALWAYS AS (lower(normalize(tag, NFKC))) STORED,
	PRIMARY KEY (record_id, tag_norm)
);
CREATE INDEX record_tags_tag_idx ON crm.record_tags (record_type, tag_norm, record_id);
COMMENT ON TABLE crm.record_tags IS 'Tags of records of any type; filters compare tag_norm with = (leakproof, so the index serves them under row-level security).';

CREATE TABLE crm.custom_values (
	record_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	record_type text NOT NULL,
	field_id bigint NOT NULL REFERENCES crm.fields ON DELETE CASCADE,
	v_text text CONSTRAINT custom_values_v_text_length CHECK (length(v_text) <= 4096),
	v_num numeric,
	v_num_key double precision,
	v_currency text REFERENCES crm.currencies,
	v_date date,
	v_bool boolean,
	PRIMARY KEY (record_id, field_id),
	CONSTRAINT custom_values_one_value CHECK (num_nonnulls(v_text, v_num, v_date, v_bool) = 1)
);
CREATE INDEX custom_values_text_idx ON crm.custom_values (field_id, v_text, record_id) WHERE v_text IS NOT NULL;
CREATE INDEX custom_values_num_idx ON crm.custom_values (field_id, v_num_key, record_id) WHERE v_num_key IS NOT NULL;
CREATE INDEX custom_values_date_idx ON crm.custom_values (field_id, v_date, record_id) WHERE v_date IS NOT NULL;
CREATE INDEX custom_values_bool_idx ON crm.custom_values (field_id, v_bool, record_id) WHERE v_bool IS NOT NULL;
COMMENT ON TABLE crm.custom_values IS
	'Values of custom fields, one typed column per kind (text and pick lists in v_text; '
	'numbers and money amounts in v_num with a float8 index key; money''s currency in '
	'v_currency), each indexed by (field, value, record).';

CREATE TABLE crm.relations (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	from_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	from_type text NOT NULL,
	to_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	to_type text NOT NULL,
	role text NOT NULL,
	is_primary boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users DEFAULT crm.acting_user(),
	CONSTRAINT relations_to_id_self CHECK (from_id <> to_id),
	CONSTRAINT relations_role_pair CHECK ((from_type, to_type) IN (('contact', 'account'), ('contact', 'contact'), ('account', 'account'))),
	CONSTRAINT relations_primary_pair CHECK (NOT is_primary OR (from_type = 'contact' AND to_type = 'account')),
	UNIQUE (from_id, to_id, role)
);
CREATE INDEX relations_to_idx ON crm.relations (to_id, id);
CREATE INDEX relations_from_idx ON crm.relations (from_id, id);
CREATE UNIQUE INDEX relations_primary_key ON crm.relations (from_id) WHERE is_primary;
COMMENT ON TABLE crm.relations IS
	'Relationships: contact to account (a role; one primary account per contact, mirrored '
	'in contacts.account_id), contact to contact, account to account. Roles come from the '
	'pick lists relation.<from>.<to>. Visible when both records are; changed by whoever may '
	'edit the from record.';

INSERT INTO crm_meta.side_tables (table_name, pairs) VALUES
	('crm.record_tags', '{record_id,record_type}'),
	('crm.custom_values', '{record_id,record_type}'),
	('crm.relations', '{from_id,from_type,to_id,to_type}');
SELECT crm.refresh_side_rls();
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.record_tags, crm.custom_values, crm.relations TO crm_app;
SELECT crm.attach_audit('crm.relations', 'relation');

-- Side rows are audited as changes of the record they belong to: one
-- audit row per tag, custom value, e-mail address or phone number added,
-- changed or removed (the business row's own trigger sees none of them).
CREATE FUNCTION crm.audit_side() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
	n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
	r jsonb := coalesce(n, o);
	k text := TG_ARGV[2];
BEGIN
	IF k = 'custom' THEN
		o := (SELECT jsonb_build_object('field', f.name, 'value', coalesce(o ->> 'v_text', o ->> 'v_num', o ->> 'v_date', o ->> 'v_bool')
						|| coalesce(' ' || (o ->> 'v_currency'), ''))
		      FROM crm.fields f WHERE f.id = (o ->> 'field_id')::bigint);
		n := (SELECT jsonb_build_object('field', f.name, 'value', coalesce(n ->> 'v_text', n ->> 'v_num', n ->> 'v_date', n ->> 'v_bool')
						|| coalesce(' ' || (n ->> 'v_currency'), ''))
		      FROM crm.fields f WHERE f.id = (n ->> 'field_id')::bigint);
	ELSE
		o := o - TG_ARGV[1] - 'record_type' - 'tag_norm' - 'address_norm' - 'number_norm' - 'position';
		n := n - TG_ARGV[1] - 'record_type' - 'tag_norm' - 'address_norm' - 'number_norm' - 'position';
	END IF;
	IF o IS NOT DISTINCT FROM n THEN
		RETURN NULL;
	END IF;
	PERFORM crm.audit_write(coalesce(nullif(TG_ARGV[0], ''), r ->> 'record_type'), (r ->> TG_ARGV[1])::bigint, 'update',
				CASE WHEN o IS NOT NULL THEN jsonb_build_object(k, o) END,
				CASE WHEN n IS NOT NULL THEN jsonb_build_object(k, n) END);
	RETURN NULL;
END
$$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.record_tags
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('', 'record_id', 'tags');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.custom_values
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('', 'record_id', 'custom');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.contact_emails
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('contact', 'contact_id', 'emails');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.contact_phones
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('contact', 'contact_id', 'phones');

-- Administrative tables of fields and pick lists.
SELECT crm.attach_admin_rls('crm.fields', 'field');
SELECT crm.attach_admin_rls('crm.picklists', 'field');
SELECT crm.attach_admin_rls('crm.picklist_values', 'field');
SELECT crm.attach_audit('crm.fields', 'field');
SELECT crm.attach_audit('crm.picklists', 'picklist');
SELECT crm.attach_audit('crm.picklist_values', 'picklist_value');
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.fields, crm.picklists, crm.picklist_values TO crm_app;

-- ------------------------------------------------------------ visibility, every type

CREATE OR REPLACE FUNCTION crm.record_updatable(p_type text, p_id bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, crm
AS $$
	SELECT CASE p_type
		WHEN 'note' THEN EXISTS (SELECT 1 FROM crm.notes n WHERE n.id = p_id
			AND ((SELECT crm.scope_all('note', 'update'))
			     OR n.owner_id = (SELECT crm.scope_own('note', 'update'))
			     OR n.team_id = ANY ((SELECT crm.scope_teams('note', 'update'))::bigint[])))
		WHEN 'account' THEN EXISTS (SELECT 1 FROM crm.accounts n WHERE n.id = p_id
			AND ((SELECT crm.scope_all('account', 'update'))
			     OR n.owner_id = (SELECT crm.scope_own('account', 'update'))
			     OR n.team_id = ANY ((SELECT crm.scope_teams('account', 'update'))::bigint[])))
		WHEN 'contact' THEN EXISTS (SELECT 1 FROM crm.contacts n WHERE n.id = p_id
			AND ((SELECT crm.scope_all('contact', 'update'))
			     OR n.owner_id = (SELECT crm.scope_own('contact', 'update'))
			     OR n.team_id = ANY ((SELECT crm.scope_teams('contact', 'update'))::bigint[])))
		ELSE false END
$$;

ALTER TABLE crm.records ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.records FORCE ROW LEVEL SECURITY;
CREATE POLICY select_scope ON crm.records FOR SELECT TO crm_app USING (crm.record_visible(record_type, id));
CREATE POLICY owner_all ON crm.records TO crm_owner USING (true) WITH CHECK (true);
GRANT SELECT ON crm.records TO crm_app;

-- ------------------------------------------------------------ policy helpers, cached

-- The scope helpers of 0002 were SECURITY DEFINER SQL functions: planned
-- again on every call, and each call paying for SET search_path. A policy
-- calls four of them per table it protects, so reading one account with
-- its owner's name, tags and custom values ran some forty of them, most
-- of a get's time. Now the helpers the policies call are plain PL/pgSQL
-- (plans kept, no SET) that remember each answer for the rest of the
-- transaction in a transaction-local setting keyed by the acting user
-- (crm.scopes, crm.st_*, crm.sh_*); only a miss calls the SECURITY
-- DEFINER lookup that reads the matrix, the team tree or the shares. Same
-- signatures, same answers. (The application role could write those
-- settings too; that gives it nothing it does not have already, since it
-- names the acting user itself: row-level security here guards against
-- crmd's own mistakes, not against a hostile crm_app.)
-- All of the acting user's cells of the matrix, as ",account.read=all,...,".
CREATE FUNCTION crm.scope_lookup() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	out_ text;
BEGIN
	SELECT ',' || coalesce(string_agg(p.record_type || '.' || p.action || '=' || p.scope, ','), '') || ','
	INTO out_
	FROM crm.users u JOIN crm.permissions p ON p.role = u.role
	WHERE u.id = crm.acting_user() AND u.active;
	RETURN out_;
END
$$;

CREATE FUNCTION crm.scope_teams_lookup(p_scope text) RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	out_ bigint[];
BEGIN
	WITH RECURSIVE base AS (
		SELECT x.team_id AS id FROM crm.users x WHERE x.id = crm.acting_user() AND x.team_id IS NOT NULL
		UNION
		SELECT m.team_id FROM crm.team_managers m WHERE m.user_id = crm.acting_user()),
	tree AS (
		SELECT id FROM base
		UNION
		SELECT t.id FROM crm.teams t JOIN tree ON t.parent_id = tree.id WHERE p_scope = 'subteams')
	SELECT coalesce(array_agg(id), '{}') INTO out_ FROM tree;
	RETURN out_;
END
$$;

CREATE FUNCTION crm.shared_ids_lookup(p_type text, p_edit boolean) RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	out_ bigint[];
BEGIN
	SELECT coalesce(array_agg(DISTINCT s.record_id), '{}') INTO out_
	FROM crm.shares s
	WHERE s.record_type = p_type
	  AND (s.access = 'edit' OR NOT p_edit)
	  AND (s.user_id = crm.acting_user()
	       OR s.team_id = (SELECT team_id FROM crm.users WHERE id = crm.acting_user()));
	RETURN out_;
END
$$;
REVOKE ALL ON FUNCTION crm.scope_lookup(), crm.scope_teams_lookup(text),
	crm.shared_ids_lookup(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.scope_lookup(), crm.scope_teams_lookup(text),
	crm.shared_ids_lookup(text, boolean) TO crm_app;

-- One lookup of the whole matrix row per transaction (crm.begin_request's
-- permission check makes it), then string searches.
CREATE OR REPLACE FUNCTION crm.scope_of(p_type text, p_action text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	u text := coalesce(current_setting('crm.user_id', true), '');
	v text := current_setting('crm.scopes', true);
	k text := ',' || p_type || '.' || p_action || '=';
	i int;
BEGIN
	IF v IS NULL OR v = '' OR split_part(v, '|', 1) <> u THEN
		v := u || '|' || crm.scope_lookup();
		PERFORM set_config('crm.scopes', v, true);
	END IF;
	i := strpos(v, k);
	IF i = 0 THEN
		RETURN 'none';
	END IF;
	RETURN split_part(substr(v, i + length(k)), ',', 1);
END
$$;

CREATE OR REPLACE FUNCTION crm.scope_all(p_type text, p_action text) RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT crm.scope_of(p_type, p_action) = 'all' $$;

CREATE OR REPLACE FUNCTION crm.scope_own(p_type text, p_action text) RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN crm.scope_of(p_type, p_action) <> 'none' THEN crm.acting_user() END $$;

CREATE OR REPLACE FUNCTION crm.scope_teams(p_type text, p_action text) RETURNS bigint[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	k text := 'crm.st_' || p_type || '_' || p_action;
	u text := current_setting('crm.user_id', true);
	v text := current_setting(k, true);
	s text;
	out_ bigint[] := '{}';
BEGIN
	IF v IS NOT NULL AND v <> '' AND split_part(v, ':', 1) = coalesce(u, '') THEN
		RETURN split_part(v, ':', 2)::bigint[];
	END IF;
	s := crm.scope_of(p_type, p_action);
	IF s IN ('team', 'subteams') THEN
		out_ := crm.scope_teams_lookup(s);
	END IF;
	PERFORM set_config(k, coalesce(u, '') || ':' || out_::text, true);
	RETURN out_;
END
$$;

CREATE OR REPLACE FUNCTION crm.shared_ids(p_type text, p_edit boolean) RETURNS bigint[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	k text := 'crm.sh_' || p_type || '_' || p_edit::text;
	u text := current_setting('crm.user_id', true);
	v text := current_setting(k, true);
	out_ bigint[];
BEGIN
	IF v IS NOT NULL AND v <> '' AND split_part(v, ':', 1) = coalesce(u, '') THEN
		RETURN split_part(v, ':', 2)::bigint[];
	END IF;
	out_ := crm.shared_ids_lookup(p_type, p_edit);
	PERFORM set_config(k, coalesce(u, '') || ':' || out_::text, true);
	RETURN out_;
END
$$;

CREATE OR REPLACE FUNCTION crm.record_visible(p_type text, p_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, crm
AS $$
BEGIN
	CASE p_type
	WHEN 'note' THEN RETURN EXISTS (SELECT 1 FROM crm.notes WHERE id = p_id);
	WHEN 'account' THEN RETURN EXISTS (SELECT 1 FROM crm.accounts WHERE id = p_id);
	WHEN 'contact' THEN RETURN EXISTS (SELECT 1 FROM crm.contacts WHERE id = p_id);
	WHEN 'relation' THEN RETURN EXISTS (SELECT 1 FROM crm.relations WHERE id = p_id);
	WHEN 'user' THEN RETURN p_id = crm.acting_user();
	WHEN 'session' THEN RETURN EXISTS (SELECT 1 FROM crm.sessions WHERE id = p_id AND user_id = crm.acting_user());
	WHEN 'team', 'permission', 'role', 'field' THEN RETURN true;
	ELSE RETURN false;
	END CASE;
END
$$;
COMMENT ON FUNCTION crm.record_visible(text, bigint) IS
	'Whether the acting user may see a record, under its table''s row-level security. '
	'Every business type adds its line here.';

-- ------------------------------------------------------------ value helpers

-- A field from a change set: the new value when given, NULL when listed
-- in clear, else the old value.
CREATE FUNCTION crm.pick(d jsonb, k text, clr text[], old text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN d ? k THEN d ->> k WHEN k = ANY (clr) THEN NULL ELSE old END $$;

CREATE FUNCTION crm.given(d jsonb, k text, clr text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT d ? k OR k = ANY (clr) $$;

-- Text a user typed: at most p_max characters and not only blanks when
-- required; stored as given.
CREATE FUNCTION crm.check_text(p_value text, p_field text, p_max integer, p_required boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF p_value IS NULL OR p_value = '' THEN
		IF p_required THEN
			PERFORM crm.fail('CRI01', p_field, 'is required');
		END IF;
		RETURN NULL;
	END IF;
	IF length(p_value) > p_max THEN
		PERFORM crm.fail('CRI01', p_field, format('must be at most %s characters', p_max));
	END IF;
	IF p_required AND p_value !~ '[^[:space:]]' THEN
		PERFORM crm.fail('CRI01', p_field, 'must not be blank');
	END IF;
	RETURN p_value;
END
$$;

-- Phone numbers: digits, spaces and + ( ) . / - with an optional
-- extension; the normal form keeps the digits, with + for international
-- numbers (a leading 00 counts as +); the extension is dropped.
CREATE FUNCTION crm.phone_norm(p_number text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN p IS NULL THEN NULL
		    WHEN p LIKE '+%' THEN '+' || regexp_replace(p, '[^0-9]', '', 'g')
		    WHEN regexp_replace(p, '[^0-9]', '', 'g') LIKE '00%'
			THEN '+' || substr(regexp_replace(p, '[^0-9]', '', 'g'), 3)
		    ELSE regexp_replace(p, '[^0-9]', '', 'g') END
	FROM (SELECT btrim(regexp_replace(p_number, '\s*(x|ext\.?|#)\s*[0-9]+\s*$', '', 'i')) AS p) s
$$;

CREATE FUNCTION crm.check_phone(p_number text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF p_number IS NULL THEN
		RETURN NULL;
	END IF;
	IF length(p_number) > 64 THEN
		PERFORM crm.fail('CRI01', p_field, 'must be at most 64 characters');
	END IF;
	IF p_number !~* '^\s*\+?[0-9 ().\/-]+((x|ext\.?|#)\s*[0-9]+)?\s*$'
	   OR length(regexp_replace(crm.phone_norm(p_number), '[^0-9]', '', 'g')) NOT BETWEEN 3 AND 17 THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a phone number (digits, spaces, + ( ) . / - and an optional extension "x 12")', p_number));
	END IF;
	RETURN p_number;
END
$$;

CREATE FUNCTION crm.check_email(p_address text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF p_address IS NULL OR length(p_address) > 254
	   OR p_address !~ '^[^@[:space:]]+@[^@[:space:].]+(\.[^@[:space:].]+)+$' THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not an e-mail address', coalesce(p_address, '')));
	END IF;
	RETURN p_address;
END
$$;

-- A decimal amount in text: optional sign, digits, optional point.
CREATE FUNCTION crm.check_number(p_text text, p_field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF p_text IS NULL OR p_text !~ '^-?[0-9]{1,18}(\.[0-9]{1,12})?$' THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a number (digits with an optional sign and decimal point, e.g. -1234.5)', coalesce(p_text, '')));
	END IF;
	RETURN p_text::numeric;
END
$$;

-- Money: an amount with no more decimals than the currency's minor units
-- and an ISO 4217 code. From a Money message ({"amount","currency"}) or
-- from text "1200.50 EUR".
CREATE FUNCTION crm.check_money(p_amount text, p_currency text, p_field text,
				OUT amount numeric, OUT currency text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	minor smallint;
BEGIN
	SELECT c.minor_units INTO minor FROM crm.currencies c WHERE c.code = p_currency;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRI01', p_field || '.currency', format('"%s" is not an ISO 4217 currency code (e.g. EUR, USD, CNY)', coalesce(p_currency, '')));
	END IF;
	amount := crm.check_number(p_amount, p_field || '.amount');
	IF scale(amount) > minor THEN
		PERFORM crm.fail('CRI01', p_field || '.amount', format('%s has %s decimal places', p_currency, minor));
	END IF;
	currency := p_currency;
END
$$;

-- A calendar date "YYYY-MM-DD", checked (2026-02-30 is refused).
CREATE FUNCTION crm.check_date(p_text text, p_field text) RETURNS date
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	m text[] := regexp_match(p_text, '^([0-9]{4})-([0-9]{2})-([0-9]{2})$');
BEGIN
	IF m IS NULL OR m[2]::int NOT BETWEEN 1 AND 12 OR m[3]::int < 1
	   OR m[3]::int > extract(day FROM make_date(m[1]::int, m[2]::int, 1) + interval '1 month - 1 day') THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a date (YYYY-MM-DD)', coalesce(p_text, '')));
	END IF;
	RETURN make_date(m[1]::int, m[2]::int, m[3]::int);
END
$$;

CREATE FUNCTION crm.check_bool(p_text text, p_field text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF lower(p_text) IN ('true', 'yes', 'y', '1', 'on') THEN
		RETURN true;
	ELSIF lower(p_text) IN ('false', 'no', 'n', '0', 'off') THEN
		RETURN false;
	END IF;
	PERFORM crm.fail('CRI01', p_field, format('"%s" is not true or false', coalesce(p_text, '')));
END
$$;

-- An instant: microseconds since the epoch, or ISO 8601 text.
CREATE FUNCTION crm.check_instant(p_text text, p_field text) RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
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
	PERFORM crm.fail('CRI01', p_field, format('"%s" is not an instant (ISO 8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z, or microseconds since 1970)', coalesce(p_text, '')));
END
$$;

-- A value of an admin-managed pick list (retired values are refused on
-- write; a record keeps a retired value it already has).
CREATE FUNCTION crm.check_picklist(p_list text, p_value text, p_field text, p_old text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_value IS NULL OR p_value IS NOT DISTINCT FROM p_old THEN
		RETURN p_value;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.picklist_values WHERE picklist = p_list AND value = p_value AND active) THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not a value of pick list %s (crm picklist list %s)', p_value, p_list, p_list));
	END IF;
	RETURN p_value;
END
$$;

CREATE FUNCTION crm.check_country(p_code text, p_field text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.countries WHERE code = p_code) THEN
		PERFORM crm.fail('CRI01', p_field, format('"%s" is not an ISO 3166 country code (two capital letters, e.g. DE, CN, US)', p_code));
	END IF;
	RETURN p_code;
END
$$;

CREATE FUNCTION crm.user_name(p_id bigint) RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT username FROM crm.users WHERE id = p_id $$;

-- ------------------------------------------------------------ tags and custom values

-- Replaces a record's tags when the change set names them (only the
-- difference is written; trigger crm.audit_side audits it).
CREATE FUNCTION crm.save_tags(p_type text, p_id bigint, d jsonb, clr text[], p_creating boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	want text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]')));
	t text;
BEGIN
	IF NOT crm.given(d, 'tags', clr) THEN
		RETURN;
	END IF;
	IF cardinality(want) > 50 THEN
		PERFORM crm.fail('CRI01', p_type || '.tags', 'at most 50 tags');
	END IF;
	FOREACH t IN ARRAY want LOOP
		PERFORM crm.check_text(t, p_type || '.tags', 64, true);
	END LOOP;
	DELETE FROM crm.record_tags
	WHERE record_id = p_id AND tag_norm <> ALL (ARRAY(SELECT lower(normalize(x, NFKC)) FROM unnest(want) x));
	INSERT INTO crm.record_tags (record_id, record_type, tag)
	SELECT p_id, p_type, x FROM unnest(want) x
	ON CONFLICT DO NOTHING;
END
$$;

-- One custom value, validated by its field's definition; '' or NULL
-- deletes it.
CREATE FUNCTION crm.save_custom_value(p_type text, p_id bigint, f crm.fields, p_value text)
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
	IF p_value IS NULL OR p_value = '' THEN
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
		m := regexp_match(p_value, '^(\S+)\s+([A-Z]{3})$');
		IF m IS NULL THEN
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

-- Merges the change set's custom values (by field name) and clears the
-- ones named "custom.<field>" in clr; on create, required fields must be
-- there. Trigger crm.audit_side audits each value changed.
CREATE FUNCTION crm.save_custom(p_type text, p_id bigint, d jsonb, clr text[], p_creating boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	e jsonb;
	f crm.fields;
	c text;
BEGIN
	FOR e IN SELECT jsonb_array_elements(coalesce(d -> 'custom', '[]')) LOOP
		SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = e ->> 'field';
		IF NOT FOUND THEN
			PERFORM crm.fail('CRI01', p_type || '.custom', format('%s has no custom field "%s" (crm field list %s)', p_type, e ->> 'field', p_type));
		END IF;
		PERFORM crm.save_custom_value(p_type, p_id, f, e ->> 'value');
	END LOOP;
	FOREACH c IN ARRAY clr LOOP
		CONTINUE WHEN c NOT LIKE 'custom.%';
		SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = substr(c, 8);
		IF NOT FOUND THEN
			PERFORM crm.fail('CRI01', 'clear', format('%s has no custom field "%s"', p_type, substr(c, 8)));
		END IF;
		PERFORM crm.save_custom_value(p_type, p_id, f, NULL);
	END LOOP;
	IF p_creating THEN
		SELECT * INTO f FROM crm.fields x WHERE x.record_type = p_type AND x.required
		  AND NOT EXISTS (SELECT 1 FROM crm.custom_values v WHERE v.record_id = p_id AND v.field_id = x.id)
		LIMIT 1;
		IF FOUND THEN
			PERFORM crm.fail('CRI01', p_type || '.custom.' || f.name, 'is required');
		END IF;
	END IF;
END
$$;

-- Why a record could not be changed: not visible (NOT_FOUND, saying
-- nothing about whether it exists), deleted, stale version (CONFLICT), or
-- visible but outside the action's scope (PERMISSION_DENIED).
CREATE FUNCTION crm.record_refuse(p_type text, p_id bigint, p_version bigint, p_action text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	t text := (SELECT table_name FROM crm.record_types WHERE name = p_type);
	v bigint;
	del boolean;
BEGIN
	EXECUTE format('SELECT version, deleted_at IS NOT NULL FROM %s WHERE id = $1', t) INTO v, del USING p_id;
	IF v IS NULL THEN
		PERFORM crm.fail('CRN01', 'id', format('no %s %s', p_type, p_id));
	ELSIF del AND p_action <> 'restore' THEN
		PERFORM crm.fail('CRN01', 'id', format('%s %s is deleted (crm %s restore %s)', p_type, p_id, p_type, p_id));
	ELSIF NOT del AND p_action = 'restore' THEN
		PERFORM crm.fail('CRF01', 'id', format('%s %s is not deleted', p_type, p_id));
	ELSIF p_version IS NOT NULL AND v <> p_version THEN
		PERFORM crm.fail('CRC01', 'version', format('%s %s changed since you read it (version %s, now %s): reload and retry', p_type, p_id, p_version, v));
	END IF;
	PERFORM crm.fail('CRP01', NULL, format('permission denied: you may not %s %s %s', p_action, p_type, p_id));
END
$$;

-- ------------------------------------------------------------ accounts: JSON and writes

CREATE FUNCTION crm.address_json(p_street text, p_city text, p_region text, p_postal text, p_country text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
	SELECT nullif(jsonb_strip_nulls(jsonb_build_object('street', p_street, 'city', p_city, 'region', p_region,
							   'postal_code', p_postal, 'country', p_country)), '{}')
$$;

-- Every business type's JSON, as the column `json` of a view crm.<type>_out
-- (security_invoker: row-level security applies to whoever reads it). The
-- fields every record shares (the protocol's fields 1 to 11: id, version,
-- owner, team, who and when, tags, custom values) are written here once;
-- p_fields adds the type's own, as jsonb_build_object arguments over the
-- row r. Scalar subqueries, not function calls: planned once per
-- statement, with row-level security's per-statement checks run once per
-- statement instead of once per row.
CREATE FUNCTION crm.create_record_view(p_type text, p_table regclass, p_fields text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, crm
AS $fn$
BEGIN
	EXECUTE format($v$
CREATE VIEW crm.%1$s_out WITH (security_invoker = true) AS
SELECT r.*, jsonb_build_object(%1$L, jsonb_strip_nulls(jsonb_build_object(
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
		   FROM crm.custom_values v JOIN crm.fields f ON f.id = v.field_id WHERE v.record_id = r.id))
	|| jsonb_build_object(%3$s))) AS json
FROM %2$s r$v$, p_type, p_table, p_fields);
	EXECUTE format('GRANT SELECT ON crm.%s_out TO crm_app', p_type);
END
$fn$;

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

-- Whether making p_parent the parent of p_id closes a loop. Walks the
-- whole chain whatever the caller may see (SECURITY DEFINER), answering
-- only yes or no.
CREATE FUNCTION crm.account_parent_loops(p_id bigint, p_parent bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
	WITH RECURSIVE up(id, depth) AS (
		SELECT p_parent, 0
		UNION ALL
		SELECT a.parent_id, up.depth + 1 FROM crm.accounts a JOIN up ON a.id = up.id
		WHERE a.parent_id IS NOT NULL AND up.depth < 1000)
	SELECT EXISTS (SELECT 1 FROM up WHERE id = p_id)
$$;
GRANT EXECUTE ON FUNCTION crm.account_parent_loops(bigint, bigint) TO crm_app;

CREATE FUNCTION crm.check_parent(p_id bigint, p_parent bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_parent IS NULL THEN
		RETURN NULL;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm.accounts WHERE id = p_parent AND deleted_at IS NULL) THEN
		PERFORM crm.fail('CRN01', 'account.parent_id', format('no account %s', p_parent));
	END IF;
	IF p_id IS NOT NULL AND (p_parent = p_id OR crm.account_parent_loops(p_id, p_parent)) THEN
		PERFORM crm.fail('CRI01', 'account.parent_id', format('account %s is below account %s: a parent may not be its own descendant', p_parent, p_id));
	END IF;
	RETURN p_parent;
END
$$;

-- Creates (p_id NULL) or updates an account from a change set (the
-- Account message as JSON) and a list of fields to clear.
CREATE FUNCTION crm.account_save(p_id bigint, p_version bigint, d jsonb, clr text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.accounts;
	b jsonb := d -> 'billing_address';
	s jsonb := d -> 'shipping_address';
	rev numeric;
	cur text;
	id_ bigint := p_id;
	c text;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		IF c NOT IN ('legal_name', 'industry', 'region', 'tier', 'website', 'phone', 'billing_address',
			     'shipping_address', 'parent_id', 'annual_revenue', 'employees', 'description', 'tags')
		   AND c NOT LIKE 'custom.%' THEN
			PERFORM crm.fail('CRI01', 'clear', format('"%s" is not an account field that can be cleared', c));
		END IF;
	END LOOP;
	IF NOT creating THEN
		SELECT * INTO o FROM crm.accounts WHERE id = p_id;
	END IF;
	PERFORM crm.check_text(d ->> 'name', 'account.name', 255, creating OR d ? 'name'),
		crm.check_text(d ->> 'legal_name', 'account.legal_name', 255),
		crm.check_text(d ->> 'website', 'account.website', 2048),
		crm.check_phone(d ->> 'phone', 'account.phone'),
		crm.check_picklist('industry', d ->> 'industry', 'account.industry', o.industry),
		crm.check_picklist('region', d ->> 'region', 'account.region', o.region),
		crm.check_picklist('tier', d ->> 'tier', 'account.tier', o.tier),
		crm.check_text(b ->> 'street', 'account.billing_address.street', 1024),
		crm.check_text(b ->> 'city', 'account.billing_address.city', 255),
		crm.check_text(b ->> 'region', 'account.billing_address.region', 255),
		crm.check_text(b ->> 'postal_code', 'account.billing_address.postal_code', 32),
		crm.check_country(b ->> 'country', 'account.billing_address.country'),
		crm.check_text(s ->> 'street', 'account.shipping_address.street', 1024),
		crm.check_text(s ->> 'city', 'account.shipping_address.city', 255),
		crm.check_text(s ->> 'region', 'account.shipping_address.region', 255),
		crm.check_text(s ->> 'postal_code', 'account.shipping_address.postal_code', 32),
		crm.check_country(s ->> 'country', 'account.shipping_address.country'),
		crm.check_text(d ->> 'description', 'account.description', 32768);
	IF (d ->> 'employees')::bigint NOT BETWEEN 0 AND 100000000 THEN
		PERFORM crm.fail('CRI01', 'account.employees', 'must be between 0 and 100000000');
	END IF;
	IF d ? 'annual_revenue' THEN
		SELECT x.amount, x.currency INTO rev, cur
		FROM crm.check_money(d -> 'annual_revenue' ->> 'amount', d -> 'annual_revenue' ->> 'currency',
				     'account.annual_revenue') x;
		IF rev < 0 THEN
			PERFORM crm.fail('CRI01', 'account.annual_revenue.amount', 'must not be negative');
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
			billing_street = CASE WHEN crm.given(d, 'billing_address', clr) THEN b ->> 'street' ELSE billing_street END,
			billing_city = CASE WHEN crm.given(d, 'billing_address', clr) THEN b ->> 'city' ELSE billing_city END,
			billing_region = CASE WHEN crm.given(d, 'billing_address', clr) THEN b ->> 'region' ELSE billing_region END,
			billing_postal_code = CASE WHEN crm.given(d, 'billing_address', clr) THEN b ->> 'postal_code' ELSE billing_postal_code END,
			billing_country = CASE WHEN crm.given(d, 'billing_address', clr) THEN b ->> 'country' ELSE billing_country END,
			shipping_street = CASE WHEN crm.given(d, 'shipping_address', clr) THEN s ->> 'street' ELSE shipping_street END,
			shipping_city = CASE WHEN crm.given(d, 'shipping_address', clr) THEN s ->> 'city' ELSE shipping_city END,
			shipping_region = CASE WHEN crm.given(d, 'shipping_address', clr) THEN s ->> 'region' ELSE shipping_region END,
			shipping_postal_code = CASE WHEN crm.given(d, 'shipping_address', clr) THEN s ->> 'postal_code' ELSE shipping_postal_code END,
			shipping_country = CASE WHEN crm.given(d, 'shipping_address', clr) THEN s ->> 'country' ELSE shipping_country END,
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

-- ------------------------------------------------------------ contacts: JSON and writes

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

-- Han, Kana or Hangul in a name → the family name comes first.
CREATE FUNCTION crm.name_order_of(p_given text, p_family text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE WHEN coalesce(p_family, '') || coalesce(p_given, '')
			 ~ '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]'
		    THEN 'eastern' ELSE 'western' END
$$;

-- Replaces a contact's e-mail addresses or phone numbers with the list
-- given: validated, at most 20, exactly one primary (the first unless
-- one says so). Written only when it differs; trigger crm.audit_side
-- audits the rows.
CREATE FUNCTION crm.save_contact_lists(p_id bigint, d jsonb, clr text[], p_creating boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
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
			PERFORM crm.fail('CRI01', 'contact.' || list, 'at most 20');
		END IF;
		SELECT count(*) FILTER (WHERE (x ->> 'primary')::boolean) INTO prim FROM jsonb_array_elements(e) x;
		IF prim > 1 THEN
			PERFORM crm.fail('CRI01', 'contact.' || list, 'only one may be primary');
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
					PERFORM crm.fail('CRI01', 'contact.emails.kind', format('"%s" is not one of work, home, other', e -> i ->> 'kind'));
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
					PERFORM crm.fail('CRI01', 'contact.phones.kind', format('"%s" is not one of work, mobile, home, fax, other', e -> i ->> 'kind'));
				END IF;
				IF e -> i ->> 'number' IS NULL THEN
					PERFORM crm.fail('CRI01', 'contact.phones.number', 'is required');
				END IF;
				INSERT INTO crm.contact_phones (contact_id, position, number, number_norm, kind, is_primary)
				VALUES (p_id, i, crm.check_phone(e -> i ->> 'number', 'contact.phones.number'),
					crm.phone_norm(e -> i ->> 'number'), coalesce(e -> i ->> 'kind', 'work'),
					CASE WHEN prim = 0 THEN i = 0 ELSE coalesce((e -> i ->> 'primary')::boolean, false) END);
			END LOOP;
		END IF;
	END LOOP;
END
$$;

-- Preferences: a list of {key, value} → one JSON object (keys unique).
CREATE FUNCTION crm.check_preferences(p jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	o jsonb := '{}';
	e jsonb;
BEGIN
	IF jsonb_array_length(p) > 50 THEN
		PERFORM crm.fail('CRI01', 'contact.preferences', 'at most 50');
	END IF;
	FOR e IN SELECT jsonb_array_elements(p) LOOP
		PERFORM crm.check_text(e ->> 'key', 'contact.preferences.key', 64, true),
			crm.check_text(e ->> 'value', 'contact.preferences.value', 1024);
		IF o ? (e ->> 'key') THEN
			PERFORM crm.fail('CRI01', 'contact.preferences.key', format('"%s" is given twice', e ->> 'key'));
		END IF;
		o := o || jsonb_build_object(e ->> 'key', coalesce(e ->> 'value', ''));
	END LOOP;
	RETURN o;
END
$$;

CREATE FUNCTION crm.check_birthday(b jsonb) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	y int := (b ->> 'year')::int;
	m int := (b ->> 'month')::int;
	dd int := (b ->> 'day')::int;
BEGIN
	IF b IS NULL THEN
		RETURN;
	END IF;
	IF m IS NULL OR m NOT BETWEEN 1 AND 12 THEN
		PERFORM crm.fail('CRI01', 'contact.birthday.month', 'must be between 1 and 12');
	END IF;
	IF y IS NOT NULL AND y NOT BETWEEN 1850 AND extract(year FROM now())::int THEN
		PERFORM crm.fail('CRI01', 'contact.birthday.year', format('must be between 1850 and %s', extract(year FROM now())));
	END IF;
	IF dd IS NULL OR dd < 1 OR dd > extract(day FROM make_date(coalesce(y, 2000), m, 1) + interval '1 month - 1 day') THEN
		PERFORM crm.fail('CRI01', 'contact.birthday.day', format('%s-%s has no day %s', coalesce(y::text, '----'), lpad(m::text, 2, '0'), coalesce(dd, 0)));
	END IF;
END
$$;

-- Makes p_account the contact's primary account: the primary
-- contact-to-account relation (created with role employee when missing)
-- and contacts.account_id. NULL removes the primary mark.
-- The caller keeps contacts.account_id in step.
CREATE FUNCTION crm.set_primary_account(p_contact bigint, p_account bigint) RETURNS void
LANGUAGE plpgsql
AS $$
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
$$;

CREATE FUNCTION crm.contact_save(p_id bigint, p_version bigint, d jsonb, clr text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	creating boolean := p_id IS NULL;
	o crm.contacts;
	id_ bigint := p_id;
	c text;
	bd jsonb := d -> 'birthday';
	prefs jsonb;
BEGIN
	FOREACH c IN ARRAY clr LOOP
		IF c NOT IN ('given_name', 'family_name', 'title', 'emails', 'phones', 'birthday', 'preferred_channel',
			     'preferences', 'account_id', 'description', 'tags')
		   AND c NOT LIKE 'custom.%' THEN
			PERFORM crm.fail('CRI01', 'clear', format('"%s" is not a contact field that can be cleared', c));
		END IF;
	END LOOP;
	IF NOT creating THEN
		SELECT * INTO o FROM crm.contacts WHERE id = p_id;
	END IF;
	PERFORM crm.check_text(d ->> 'given_name', 'contact.given_name', 255),
		crm.check_text(d ->> 'family_name', 'contact.family_name', 255),
		crm.check_text(d ->> 'title', 'contact.title', 255),
		crm.check_text(d ->> 'description', 'contact.description', 32768),
		crm.check_birthday(bd);
	IF d ? 'preferences' THEN
		prefs := crm.check_preferences(d -> 'preferences');
	END IF;
	IF d ? 'account_id' AND NOT EXISTS (SELECT 1 FROM crm.accounts
					   WHERE id = (d ->> 'account_id')::bigint AND deleted_at IS NULL) THEN
		PERFORM crm.fail('CRN01', 'contact.account_id', format('no account %s', d ->> 'account_id'));
	END IF;
	IF creating THEN
		IF coalesce(d ->> 'given_name', '') = '' AND coalesce(d ->> 'family_name', '') = '' THEN
			PERFORM crm.fail('CRI01', 'contact.family_name', 'a contact needs a given or a family name');
		END IF;
		INSERT INTO crm.contacts (owner_id, team_id, created_by, updated_by, given_name, family_name,
			name_order, title, birthday_year, birthday_month, birthday_day, preferred_channel,
			do_not_contact, do_not_contact_at, marketing_opt_out, marketing_opt_out_at, preferences,
			description, account_id)
		SELECT u.id, u.team_id, u.id, u.id, nullif(d ->> 'given_name', ''), nullif(d ->> 'family_name', ''),
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
			given_name = nullif(crm.pick(d, 'given_name', clr, given_name), ''),
			family_name = nullif(crm.pick(d, 'family_name', clr, family_name), ''),
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

-- ------------------------------------------------------------ the requests crmd runs

CREATE FUNCTION crm.business_table(p_type text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	t text := (SELECT table_name FROM crm.record_types WHERE name = p_type AND name IN ('account', 'contact'));
BEGIN
	IF t IS NULL THEN
		PERFORM crm.fail('CRI01', 'type', format('"%s" is not a record type (account, contact)', coalesce(p_type, '')));
	END IF;
	RETURN t;
END
$$;

CREATE FUNCTION crm.record_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
	IF p ? 'account' THEN
		RETURN crm.account_save(NULL, NULL, p -> 'account', '{}');
	ELSIF p ? 'contact' THEN
		RETURN crm.contact_save(NULL, NULL, p -> 'contact', '{}');
	END IF;
	PERFORM crm.fail('CRI01', 'record', 'must hold an account or a contact');
END
$$;

CREATE FUNCTION crm.record_update(p_id bigint, p_version bigint, p jsonb, p_clear text[]) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t text := (SELECT record_type FROM crm.records WHERE id = p_id);
BEGIN
	IF p ? 'account' AND t = 'account' THEN
		RETURN crm.account_save(p_id, p_version, p -> 'account', coalesce(p_clear, '{}'));
	ELSIF p ? 'contact' AND t = 'contact' THEN
		RETURN crm.contact_save(p_id, p_version, p -> 'contact', coalesce(p_clear, '{}'));
	END IF;
	PERFORM crm.fail('CRN01', 'id', format('no %s %s', CASE WHEN p ? 'account' THEN 'account' ELSE 'contact' END, p_id));
END
$$;

-- The record as JSON, deleted or not; NULL when the user cannot see it
-- or it is of another type.
CREATE FUNCTION crm.record_get(p_type text, p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_type = 'account' THEN
		RETURN (SELECT v_.json FROM crm.account_out v_ WHERE v_.id = p_id);
	ELSIF p_type = 'contact' THEN
		RETURN (SELECT v_.json FROM crm.contact_out v_ WHERE v_.id = p_id);
	END IF;
	PERFORM crm.business_table(p_type);
END
$$;

-- The explicit scope test of an action (row-level security's UPDATE
-- policy admits update, delete and reassign scopes alike).
CREATE FUNCTION crm.scope_cond(p_type text, p_action text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT format('(owner_id = (SELECT crm.scope_own(%1$L, %2$L)) OR (SELECT crm.scope_all(%1$L, %2$L)) '
		      'OR team_id = ANY ((SELECT crm.scope_teams(%1$L, %2$L))::bigint[]))', p_type, p_action)
$$;

CREATE FUNCTION crm.record_set_deleted(p_type text, p_id bigint, p_deleted boolean) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t text := crm.business_table(p_type);
	n int;
BEGIN
	EXECUTE format('UPDATE %s SET deleted_at = CASE WHEN $2 THEN now() END '
		       'WHERE id = $1 AND (deleted_at IS NULL) = $2 AND %s', t, crm.scope_cond(p_type, 'delete'))
	USING p_id, p_deleted;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n = 0 THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, CASE WHEN p_deleted THEN 'delete' ELSE 'restore' END);
	END IF;
	RETURN crm.record_get(p_type, p_id);
END
$$;

-- Reassigning moves the team with the owner unless a team is given; the
-- new owner must be within the reassigning user's scope.
CREATE FUNCTION crm.record_reassign(p_type text, p_id bigint, p_owner text, p_team text) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t text := crm.business_table(p_type);
	new_owner record;
	new_team bigint;
	n int;
BEGIN
	SELECT id, username, team_id INTO new_owner FROM crm.users WHERE username = lower(p_owner) AND active;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'owner', format('no active user named %s', p_owner));
	END IF;
	new_team := coalesce(crm.team_id_of(p_team, 'team'), new_owner.team_id);
	IF NOT ((SELECT crm.scope_all(p_type, 'reassign'))
		OR new_team = ANY ((SELECT crm.scope_teams(p_type, 'reassign'))::bigint[])
		OR (new_owner.id = crm.acting_user() AND (SELECT crm.scope_of(p_type, 'reassign')) <> 'none')) THEN
		PERFORM crm.fail('CRP01', 'owner', format('permission denied: %s is outside the teams you may reassign to', new_owner.username));
	END IF;
	EXECUTE format('UPDATE %s SET owner_id = $2, team_id = $3 WHERE id = $1 AND deleted_at IS NULL AND %s',
		       t, crm.scope_cond(p_type, 'reassign'))
	USING p_id, new_owner.id, new_team;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n = 0 THEN
		PERFORM crm.record_refuse(p_type, p_id, NULL, 'reassign');
	END IF;
	RETURN crm.record_get(p_type, p_id);
END
$$;

-- The JSON object with the values of the given keys replaced.
CREATE FUNCTION crm.redact(p jsonb, p_keys text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE WHEN p IS NULL OR jsonb_typeof(p) <> 'object' THEN p
		    ELSE (SELECT coalesce(jsonb_object_agg(k, CASE WHEN k = ANY (p_keys) AND v <> 'null' THEN '"[redacted]"'::jsonb ELSE v END), '{}')
			  FROM jsonb_each(p) AS e(k, v)) END
$$;

-- Purge, run as the owner role once the caller's right is established:
-- removes every row that belongs to the record only (any table with a
-- foreign key to crm.records other than the business tables and the
-- audit trail, found in the catalog so a new side table is covered
-- without touching this function), the record itself (rows pointing at
-- it by an ON DELETE SET NULL key, such as child accounts, are updated
-- and audited), redacts the record's personal fields in its audit
-- history, audits the redaction and marks the registry row purged.
CREATE FUNCTION crm.purge_record(p_type text, p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, crm
AS $$
DECLARE
	rt crm.record_types;
	fk record;
	n bigint;
BEGIN
	SELECT * INTO rt FROM crm.record_types WHERE name = p_type;
	IF NOT crm.scope_all(p_type, 'admin') OR rt.table_name IS NULL THEN
		PERFORM crm.fail('CRP01', NULL, format('permission denied: only administrators purge %ss', p_type));
	END IF;
	FOR fk IN
		SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'crm.records'::regclass
		  AND c.conrelid <> 'crm.audit'::regclass
		  AND c.conrelid::regclass::text NOT IN (SELECT table_name FROM crm.record_types WHERE table_name IS NOT NULL)
	LOOP
		EXECUTE format('DELETE FROM %s WHERE %I = $1', fk.tbl, fk.col) USING p_id;
	END LOOP;
	EXECUTE format('DELETE FROM %s WHERE id = $1', rt.table_name) USING p_id;
	UPDATE crm.audit a
	SET old_values = crm.redact(a.old_values, rt.personal), new_values = crm.redact(a.new_values, rt.personal)
	WHERE a.record_ref = p_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE crm.records SET purged_at = now() WHERE id = p_id;
	PERFORM crm.audit_write(p_type, p_id, 'redact', NULL,
				jsonb_build_object('audit_rows', n, 'fields', to_jsonb(rt.personal)));
END
$$;
REVOKE ALL ON FUNCTION crm.purge_record(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.purge_record(text, bigint) TO crm_app;

CREATE FUNCTION crm.record_purge(p_type text, p_id bigint) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	t text := crm.business_table(p_type);
	ok boolean;
BEGIN
	EXECUTE format('SELECT true FROM %s WHERE id = $1', t) INTO ok USING p_id;
	IF ok IS NULL THEN
		PERFORM crm.fail('CRN01', 'id', format('no %s %s', p_type, p_id));
	END IF;
	PERFORM crm.purge_record(p_type, p_id);
END
$$;

-- ------------------------------------------------------------ lists

-- One filter as an SQL condition on the list's row r; values go to
-- params (referenced as ($1[n]) in the statement). Every condition is
-- built from leakproof operators on an indexed column, or is an
-- "r.id IN (subquery)" whose subquery is, so indexes serve it under
-- row-level security.
CREATE FUNCTION crm.filter_cond(p_type text, f jsonb, INOUT params text[], OUT cond text)
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
			PERFORM crm.fail('CRI01', fld, format('cannot filter %ss on "%s" (crm field list %s shows the fields)', p_type, fname, p_type));
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
			WHEN kind = 'country' THEN upper(v)
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
			m := regexp_match(v, '^(\S+)(\s+([A-Z]{3}))?$');
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
				params := params || m[3];
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

-- The statement of a list page (or, with p_count, of its total, capped
-- at 10,001 rows) and its parameters. Sort keys are indexed expressions;
-- id is always the last key and follows the first key's direction, so
-- (key, id) indexes serve both directions. The cursor key is a JSON array
-- of the last row's sort values and id.
CREATE FUNCTION crm.record_list_sql(p_type text, p_filters jsonb, p_sort jsonb, p_after text,
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
			-- (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ...; NULLs sort last
			-- ascending and first descending, as the indexes keep them.
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

CREATE FUNCTION crm.record_list(p_type text, p_filters jsonb, p_sort jsonb, p_after text, p_limit integer,
				p_deleted boolean, p_export boolean DEFAULT false)
RETURNS TABLE (json text, sort_key text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q record;
BEGIN
	SELECT * INTO q FROM crm.record_list_sql(p_type, p_filters, p_sort, p_after, p_limit, p_deleted, false, p_export);
	RETURN QUERY EXECUTE q.sql USING q.params;
END
$$;

CREATE FUNCTION crm.record_count(p_type text, p_filters jsonb, p_deleted boolean, p_export boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	q record;
	n bigint;
BEGIN
	SELECT * INTO q FROM crm.record_list_sql(p_type, p_filters, NULL, NULL, 1, p_deleted, true, p_export);
	EXECUTE q.sql INTO n USING q.params;
	RETURN n;
END
$$;

-- ------------------------------------------------------------ relationships

CREATE FUNCTION crm.record_name(p_type text, p_id bigint) RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT CASE p_type
		WHEN 'account' THEN (SELECT name FROM crm.accounts WHERE id = p_id)
		WHEN 'contact' THEN (SELECT display_name FROM crm.contacts WHERE id = p_id) END
$$;

CREATE FUNCTION crm.relation_json(r crm.relations) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'relation_id', r.id, 'from_id', r.from_id, 'from_type', r.from_type,
		'from_name', crm.record_name(r.from_type, r.from_id), 'to_id', r.to_id, 'to_type', r.to_type,
		'to_name', crm.record_name(r.to_type, r.to_id), 'role', r.role, 'primary', r.is_primary,
		'created_at', crm.us(r.created_at)))
$$;

-- Links two records the user can see, changing the from record (which
-- needs the right to edit it). Account-to-account "parent" is the
-- account's parent_id (crm account edit ID --parent P).
CREATE FUNCTION crm.relation_add(p_from bigint, p_to bigint, p_role text, p_primary boolean) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	ft text := (SELECT record_type FROM crm.records WHERE id = p_from AND purged_at IS NULL);
	tt text := (SELECT record_type FROM crm.records WHERE id = p_to AND purged_at IS NULL);
	new_id bigint;
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
		PERFORM crm.fail('CRI01', 'primary', 'only a contact''s account can be primary');
	END IF;
	PERFORM crm.check_picklist(format('relation.%s.%s', ft, tt), p_role, 'role');
	IF NOT crm.record_editable(ft, p_from) THEN
		PERFORM crm.record_refuse(ft, p_from, NULL, 'update');
	END IF;
	IF crm.record_get(ft, p_from) -> ft ? 'deleted_at' THEN
		PERFORM crm.fail('CRN01', 'from_id', format('%s %s is deleted (crm %s restore %s)', ft, p_from, ft, p_from));
	END IF;
	IF EXISTS (SELECT 1 FROM crm.relations WHERE from_id = p_from AND to_id = p_to AND role = p_role) THEN
		PERFORM crm.fail('CRE01', 'role', format('%s %s is already related to %s %s as %s', ft, p_from, tt, p_to, p_role));
	END IF;
	INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role)
	VALUES (p_from, ft, p_to, tt, p_role) RETURNING id INTO new_id;
	IF p_primary THEN
		UPDATE crm.relations SET is_primary = false WHERE from_id = p_from AND is_primary;
		UPDATE crm.relations SET is_primary = true WHERE id = new_id;
		UPDATE crm.contacts SET account_id = p_to WHERE id = p_from AND account_id IS DISTINCT FROM p_to;
	END IF;
	RETURN (SELECT crm.relation_json(r) FROM crm.relations r WHERE r.id = new_id);
END
$$;

CREATE FUNCTION crm.relation_remove(p_id bigint) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	r crm.relations;
BEGIN
	SELECT * INTO r FROM crm.relations WHERE id = p_id;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'relation_id', format('no relation %s', p_id));
	END IF;
	IF NOT crm.record_editable(r.from_type, r.from_id) THEN
		PERFORM crm.record_refuse(r.from_type, r.from_id, NULL, 'update');
	END IF;
	DELETE FROM crm.relations WHERE id = p_id;
	IF r.is_primary THEN
		UPDATE crm.contacts SET account_id = NULL WHERE id = r.from_id AND account_id = r.to_id;
	END IF;
END
$$;

-- Relations from or to a record, oldest first, keyset on the relation id.
CREATE FUNCTION crm.relation_list(p_id bigint, p_after text, p_limit integer)
RETURNS TABLE (json text, sort_key text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	t text := (SELECT record_type FROM crm.records WHERE id = p_id);
BEGIN
	IF t IS NULL OR t NOT IN ('account', 'contact') OR NOT crm.record_visible(t, p_id) THEN
		PERFORM crm.fail('CRN01', 'record_id', format('no account or contact %s', p_id));
	END IF;
	IF p_after IS NOT NULL AND p_after !~ '^[0-9]{1,18}$' THEN
		PERFORM crm.fail('CRI01', 'page.cursor', 'is not a cursor of this list; start the list again');
	END IF;
	RETURN QUERY
	SELECT crm.relation_json(r)::text, r.id::text
	FROM crm.relations r
	WHERE (r.from_id = p_id OR r.to_id = p_id) AND r.id > coalesce(p_after::bigint, 0)
	ORDER BY r.id LIMIT p_limit;
END
$$;

-- ------------------------------------------------------------ custom fields

CREATE FUNCTION crm.field_json(f crm.fields) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'record_type', f.record_type, 'name', f.name, 'label', f.label, 'kind', f.kind,
		'required', f.required, 'max_length', f.max_length, 'min', f.min_value, 'max', f.max_value,
		'options', CASE WHEN f.kind = 'picklist' THEN (SELECT jsonb_agg(value ORDER BY position)
			FROM crm.picklist_values WHERE picklist = f.record_type || '.' || f.name AND active) END,
		'standard', false, 'sortable', false, 'created_at', crm.us(f.created_at)))
$$;

CREATE FUNCTION crm.field_add(p jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	t text := p ->> 'record_type';
	nm text := p ->> 'name';
	k text := p ->> 'kind';
	o text;
	i int := 0;
	f crm.fields;
BEGIN
	PERFORM crm.business_table(t);
	IF nm IS NULL OR nm !~ '^[a-z][a-z0-9_]{0,39}$' THEN
		PERFORM crm.fail('CRI01', 'field.name', 'must be 1 to 40 lower-case letters, digits or _, starting with a letter');
	END IF;
	IF k IS NULL OR k NOT IN ('text', 'number', 'money', 'date', 'boolean', 'picklist') THEN
		PERFORM crm.fail('CRI01', 'field.kind', 'must be text, number, money, date, boolean or picklist');
	END IF;
	PERFORM crm.check_text(p ->> 'label', 'field.label', 255);
	IF p ? 'max_length' AND (k <> 'text' OR (p ->> 'max_length')::int NOT BETWEEN 1 AND 4096) THEN
		PERFORM crm.fail('CRI01', 'field.max_length', 'only text fields have one, from 1 to 4096');
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
	VALUES (t, nm, coalesce(p ->> 'label', initcap(replace(nm, '_', ' '))), k,
		coalesce((p ->> 'required')::boolean, false), (p ->> 'max_length')::int, p ->> 'min', p ->> 'max')
	RETURNING * INTO f;
	IF k = 'picklist' THEN
		INSERT INTO crm.picklists (name, description) VALUES (t || '.' || nm, 'Values of custom field ' || nm || ' of ' || t || 's')
		ON CONFLICT (name) DO NOTHING;
		FOR o IN SELECT jsonb_array_elements_text(p -> 'options') LOOP
			i := i + 1;
			PERFORM crm.check_text(o, 'field.options', 255, true);
			INSERT INTO crm.picklist_values (picklist, value, label, position)
			VALUES (t || '.' || nm, o, o, i) ON CONFLICT DO NOTHING;
		END LOOP;
	END IF;
	RETURN crm.field_json(f);
END
$$;

CREATE FUNCTION crm.field_list(p_type text) RETURNS TABLE (json text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	PERFORM crm.business_table(p_type);
	RETURN QUERY
	SELECT jsonb_build_object('record_type', s.record_type, 'name', s.name, 'label', s.label,
				  'kind', CASE s.kind WHEN 'money' THEN 'money' WHEN 'number' THEN 'number'
						      WHEN 'boolean' THEN 'boolean' WHEN 'picklist' THEN 'picklist'
						      ELSE 'text' END,
				  'standard', true, 'sortable', s.sort_expr IS NOT NULL)::text
	FROM (SELECT * FROM crm.standard_fields WHERE record_type = p_type ORDER BY position) s
	UNION ALL
	SELECT crm.field_json(f)::text FROM (SELECT * FROM crm.fields WHERE record_type = p_type ORDER BY name) f;
END
$$;

-- Removing a field deletes its values; each record's loss is audited
-- (trigger crm.audit_side).
CREATE FUNCTION crm.field_remove(p_type text, p_name text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	f crm.fields;
BEGIN
	PERFORM crm.business_table(p_type);
	SELECT * INTO f FROM crm.fields WHERE record_type = p_type AND name = p_name;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'name', format('%s has no custom field %s', p_type, p_name));
	END IF;
	DELETE FROM crm.custom_values WHERE field_id = f.id;
	DELETE FROM crm.fields WHERE id = f.id;
	DELETE FROM crm.picklists WHERE name = p_type || '.' || p_name;
END
$$;

-- ------------------------------------------------------------ pick lists

CREATE FUNCTION crm.picklist_json(p_name text) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('name', l.name, 'values',
		coalesce((SELECT jsonb_agg(jsonb_build_object('value', v.value, 'label', v.label,
							      'position', v.position, 'active', v.active)
					   ORDER BY v.position, v.value)
			  FROM crm.picklist_values v WHERE v.picklist = l.name), '[]'))
	FROM crm.picklists l WHERE l.name = p_name
$$;

CREATE FUNCTION crm.picklist_list(p_name text) RETURNS TABLE (json text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.fail('CRN01', 'name', format('no pick list %s (crm picklist list shows them all)', p_name));
	END IF;
	RETURN QUERY SELECT crm.picklist_json(name)::text FROM crm.picklists
		     WHERE p_name IS NULL OR name = p_name ORDER BY name;
END
$$;

CREATE FUNCTION crm.picklist_add(p_name text, p_value text, p_label text) RETURNS TABLE (json text)
LANGUAGE plpgsql
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM crm.picklists WHERE name = p_name) THEN
		PERFORM crm.fail('CRN01', 'name', format('no pick list %s (crm picklist list shows them all)', p_name));
	END IF;
	PERFORM crm.check_text(p_value, 'value', 255, true), crm.check_text(p_label, 'label', 255);
	INSERT INTO crm.picklist_values (picklist, value, label, position)
	VALUES (p_name, p_value, coalesce(p_label, p_value),
		coalesce((SELECT max(position) + 1 FROM crm.picklist_values WHERE picklist = p_name), 1))
	ON CONFLICT (picklist, value) DO UPDATE SET active = true, label = coalesce(p_label, crm.picklist_values.label);
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$$;

CREATE FUNCTION crm.picklist_remove(p_name text, p_value text) RETURNS TABLE (json text)
LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE crm.picklist_values SET active = false WHERE picklist = p_name AND value = p_value AND active;
	IF NOT FOUND THEN
		PERFORM crm.fail('CRN01', 'value', format('pick list %s has no active value "%s"', p_name, p_value));
	END IF;
	RETURN QUERY SELECT crm.picklist_json(p_name)::text;
END
$$;

-- Schema-building helpers are for migrations (the owner role) only.
REVOKE ALL ON FUNCTION crm.attach_record(regclass, text, text[]), crm.create_record_view(text, regclass, text),
	crm.refresh_side_rls(), crm.side_visible(text, text), crm.attach_rls(regclass, text),
	crm.attach_admin_rls(regclass, text), crm.attach_audit(regclass, text, text[]) FROM PUBLIC;
