-- deploy/demo-data.sql: a believable demo data set for deploy/demo: 300
-- accounts and 3,000 contacts, Chinese and Latin, owned by the demo users
-- across the Sales and Support teams, with tags, relationships and a few
-- custom fields. Deterministic (no random()): the same rows every time.
--
-- Run once by deploy/demo as the owner role (psql, one transaction) after
-- the demo users exist. The rows go through the tables' triggers, so they
-- are registered, versioned and audited like any other (the audit rows
-- name no user: the owner role wrote them).

SET client_min_messages = warning;

-- Custom fields an administrator might define.
INSERT INTO crm.fields (record_type, name, label, kind, min_value, max_value) VALUES
	('account', 'segment', 'Segment', 'picklist', NULL, NULL),
	('account', 'renewal_date', 'Renewal date', 'date', NULL, NULL),
	('account', 'health_score', 'Health score', 'number', '0', '100'),
	('contact', 'linkedin', 'LinkedIn profile', 'text', NULL, NULL),
	('contact', 'newsletter', 'Newsletter', 'boolean', NULL, NULL);
INSERT INTO crm.picklists (name, description) VALUES ('account.segment', 'Values of custom field segment of accounts');
INSERT INTO crm.picklist_values (picklist, value, label, position) VALUES
	('account.segment', 'SMB', 'SMB', 1), ('account.segment', 'Mid-market', 'Mid-market', 2),
	('account.segment', 'Enterprise', 'Enterprise', 3);

CREATE TEMP TABLE demo_owner AS
SELECT row_number() OVER (ORDER BY username) - 1 AS n, id, team_id
FROM crm.users WHERE username IN ('manager', 'sales', 'support', 'marketing', 'admin');

CREATE TEMP TABLE demo_words AS SELECT
	ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent',
	      'Tyrell', 'Cyberdyne', 'Nakatomi', 'Wonka', 'Gringotts', 'Monarch', 'Pied Piper',
	      'Massive Dynamic', 'Oscorp', 'Aperture', 'Black Mesa'] AS latin_co,
	ARRAY['GmbH', 'Ltd', 'Inc.', 'S.A.', 'AG', 'LLC', 'B.V.', 'Oy', 'S.p.A.', 'Group'] AS suffix,
	ARRAY['华为', '阿里巴巴', '腾讯', '百度', '京东', '小米', '美团', '字节跳动', '网易', '比亚迪',
	      '海尔', '联想', '格力', '中兴', '顺丰'] AS cjk_co,
	ARRAY['科技有限公司', '集团', '股份有限公司', '贸易有限公司', '网络科技'] AS cjk_suffix,
	ARRAY['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Felix', 'Grace', 'Hugo', 'Ines', 'Jonas',
	      'Kofi', 'Lena', 'Marco', 'Nadia', 'Omar', 'Paula', 'Rui', 'Sofia', 'Tariq', 'Ursula'] AS given,
	ARRAY['Müller', 'Smith', 'García', 'Rossi', 'Dubois', 'Nowak', 'Jensen', 'O''Brien', 'Silva',
	      'Kowalski', 'Schneider', 'Martin', 'Costa', 'Andersson', 'Okafor', 'Haddad'] AS family,
	ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴', '欧阳', '司马'] AS cjk_family,
	ARRAY['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军', '晓明', '嘉怡'] AS cjk_given,
	ARRAY['Software', 'Banking', 'Manufacturing', 'Retail', 'Healthcare', 'Energy', 'Education',
	      'Telecommunications', 'Consulting', 'Transport'] AS industry,
	ARRAY['EMEA', 'Americas', 'APAC', 'Greater China'] AS region,
	ARRAY['Platinum', 'Gold', 'Silver', 'Bronze'] AS tier,
	ARRAY['DE', 'GB', 'FR', 'US', 'CN', 'JP', 'BR', 'IN', 'NL', 'SE'] AS country,
	ARRAY['Berlin', 'London', 'Paris', 'New York', '上海', 'Tokyo', 'São Paulo', 'Bengaluru', 'Amsterdam', 'Stockholm'] AS city,
	ARRAY['EUR', 'GBP', 'EUR', 'USD', 'CNY', 'JPY', 'BRL', 'INR', 'EUR', 'SEK'] AS currency,
	ARRAY['CEO', 'CFO', 'CTO', 'Head of Procurement', 'IT Manager', 'Sales Director', 'Buyer',
	      'Office Manager', 'VP Engineering', '采购经理', '总经理'] AS title;

-- Accounts: every fourth Chinese; some parents, tags and custom values.
INSERT INTO crm.accounts (id, owner_id, team_id, created_by, name, type, industry, region, tier,
	website, phone, phone_norm, billing_city, billing_country, annual_revenue, annual_revenue_currency,
	employees, description, created_at, updated_at)
SELECT nextval('crm.record_id_seq'), o.id, o.team_id, o.id,
	CASE WHEN g % 4 = 0 THEN w.cjk_co[1 + g % 15] || w.cjk_suffix[1 + g % 5]
	     ELSE w.latin_co[1 + g % 20] || ' ' || w.suffix[1 + (g / 20) % 10] || CASE WHEN g >= 200 THEN ' ' || g ELSE '' END END,
	(ARRAY['prospect', 'customer', 'customer', 'partner', 'competitor', 'customer'])[1 + g % 6],
	w.industry[1 + g % 10], w.region[1 + g % 4], w.tier[1 + g % 4],
	'https://' || lower(replace(w.latin_co[1 + g % 20], ' ', '')) || g || '.example',
	(ARRAY['+49 30 ', '+44 20 7946 ', '(030) ', '+86 21 ', '+1 (212) 555-'])[1 + g % 5] || lpad((g * 7919 % 10000)::text, 4, '0'),
	crm.phone_norm((ARRAY['+49 30 ', '+44 20 7946 ', '(030) ', '+86 21 ', '+1 (212) 555-'])[1 + g % 5] || lpad((g * 7919 % 10000)::text, 4, '0')),
	w.city[1 + g % 10], w.country[1 + g % 10],
	CASE WHEN g % 7 <> 0 THEN (g * 104729 % 50000000)::numeric END,
	CASE WHEN g % 7 <> 0 THEN w.currency[1 + g % 10] END,
	10 + g * 37 % 20000,
	CASE WHEN g % 5 = 0 THEN 'Demo account ' || g || '.' END,
	now() - (g || ' days')::interval, now() - ((g % 30) || ' days')::interval
FROM generate_series(0, 299) g CROSS JOIN demo_words w
JOIN demo_owner o ON o.n = g % (SELECT count(*) FROM demo_owner);

UPDATE crm.accounts c SET parent_id = p.id
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM crm.accounts) p,
     (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM crm.accounts) cc
WHERE cc.id = c.id AND cc.rn % 10 = 5 AND p.rn = cc.rn - 5;

INSERT INTO crm.record_tags (record_id, record_type, tag)
SELECT a.id, 'account', t.tag
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM crm.accounts) a
CROSS JOIN LATERAL (VALUES ('vip', a.rn % 9 = 0), ('renewal 2027', a.rn % 4 = 1), ('reference', a.rn % 11 = 0),
			   ('重点客户', a.rn % 13 = 0)) AS t(tag, yes)
WHERE t.yes;

INSERT INTO crm.custom_values (record_id, record_type, field_id, v_text, v_num, v_num_key, v_date)
SELECT a.id, 'account', f.id,
	CASE f.name WHEN 'segment' THEN (ARRAY['SMB', 'Mid-market', 'Enterprise'])[1 + a.rn % 3] END,
	CASE f.name WHEN 'health_score' THEN (a.rn * 37 % 101)::numeric END,
	CASE f.name WHEN 'health_score' THEN (a.rn * 37 % 101)::float8 END,
	CASE f.name WHEN 'renewal_date' THEN date '2027-01-01' + (a.rn * 13 % 365)::int END
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM crm.accounts) a
JOIN crm.fields f ON f.record_type = 'account' AND f.name IN ('segment', 'health_score', 'renewal_date')
WHERE a.rn % 3 <> 0;

-- Contacts: ten per account, every third Chinese (family name first).
CREATE TEMP TABLE demo_acct AS SELECT id, owner_id, team_id, row_number() OVER (ORDER BY id) - 1 AS n FROM crm.accounts;

INSERT INTO crm.contacts (id, owner_id, team_id, created_by, given_name, family_name, name_order, title,
	birthday_year, birthday_month, birthday_day, preferred_channel, do_not_contact, do_not_contact_at,
	marketing_opt_out, marketing_opt_out_at, account_id, created_at, updated_at)
SELECT nextval('crm.record_id_seq'), a.owner_id, a.team_id, a.owner_id,
	CASE WHEN g % 3 = 0 THEN w.cjk_given[1 + g % 14] ELSE w.given[1 + g % 20] END,
	CASE WHEN g % 3 = 0 THEN w.cjk_family[1 + (g / 3) % 12] ELSE w.family[1 + (g / 7) % 16] END,
	CASE WHEN g % 3 = 0 THEN 'eastern' ELSE 'western' END,
	w.title[1 + g % 11],
	CASE WHEN g % 10 = 0 THEN 1960 + g % 40 END,
	CASE WHEN g % 2 = 0 THEN 1 + g % 12 END, CASE WHEN g % 2 = 0 THEN 1 + g % 28 END,
	(ARRAY['email', 'phone', 'sms', 'mail', 'in_person', NULL])[1 + g % 6],
	g % 50 = 0, CASE WHEN g % 50 = 0 THEN now() - interval '30 days' END,
	g % 17 = 0, CASE WHEN g % 17 = 0 THEN now() - interval '60 days' END,
	a.id, now() - ((g % 400) || ' days')::interval, now() - ((g % 45) || ' days')::interval
FROM generate_series(0, 2999) g CROSS JOIN demo_words w
JOIN demo_acct a ON a.n = g / 10;

CREATE TEMP TABLE demo_contact AS
SELECT c.id, c.account_id, c.given_name, c.family_name, c.name_order, row_number() OVER (ORDER BY c.id) - 1 AS n
FROM crm.contacts c;

INSERT INTO crm.contact_emails (contact_id, position, address, kind, is_primary)
SELECT c.id, 0,
	lower(CASE WHEN c.name_order = 'eastern' THEN 'user' || c.n ELSE translate(c.given_name || '.' || c.family_name || c.n, 'üáéíóúçãö'' ', 'uaeioucao') END)
	|| '@' || (ARRAY['example.com', 'example.org', 'example.net', 'example.cn'])[1 + c.n % 4],
	'work', true
FROM demo_contact c;

INSERT INTO crm.contact_phones (contact_id, position, number, number_norm, kind, is_primary)
SELECT c.id, 0, p.num, crm.phone_norm(p.num), (ARRAY['work', 'mobile'])[1 + c.n % 2], true
FROM demo_contact c
CROSS JOIN LATERAL (SELECT (ARRAY['+44 20 7946 ', '+86 138 0013 ', '(030) 555-', '0049 89 ', '+1 415 555 '])[1 + c.n % 5]
			   || lpad((c.n * 7 % 10000)::text, 4, '0') AS num) p
WHERE c.n % 4 <> 3;

INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role, is_primary)
SELECT c.id, 'contact', c.account_id, 'account',
	(ARRAY['employee', 'decision_maker', 'billing', 'technical', 'employee'])[1 + c.n % 5], true
FROM demo_contact c;

INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role)
SELECT c.id, 'contact', b.id, 'contact', 'reports_to'
FROM demo_contact c JOIN demo_contact b ON b.n = c.n - c.n % 10
WHERE c.n % 10 <> 0;

INSERT INTO crm.record_tags (record_id, record_type, tag)
SELECT c.id, 'contact', (ARRAY['newsletter', 'event 2026', 'champion'])[1 + c.n % 3]
FROM demo_contact c WHERE c.n % 5 = 0;

INSERT INTO crm.custom_values (record_id, record_type, field_id, v_text, v_bool)
SELECT c.id, 'contact', f.id,
	CASE f.name WHEN 'linkedin' THEN 'https://linkedin.example/in/demo-' || c.n END,
	CASE f.name WHEN 'newsletter' THEN c.n % 2 = 0 END
FROM demo_contact c JOIN crm.fields f ON f.record_type = 'contact'
WHERE c.n % 6 = 0;

ANALYZE crm.accounts, crm.contacts, crm.contact_emails, crm.contact_phones, crm.relations,
	crm.record_tags, crm.custom_values;
