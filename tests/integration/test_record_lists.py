"""Lists of records: filters on standard and custom fields, sorting
(Chinese and Latin names under the ICU collation, NULLs, mixed
directions), keyset paging with signed cursors (tampered, foreign,
mismatched), paging through a changing table, totals capped at 10,000, and
the plans: each list path uses its index under row-level security as the
application role."""

import json

import pytest

from conftest import INVALID_ARGUMENT, OK, PERMISSION_DENIED, pb
from identity import make_world, ok, status, su_sql
from records import account, contact, flt, ids, index_conds, list_all, page, plan, update


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def srt(field, desc=False):
    return {"field": field, "desc": desc}


def test_names_sort_latin_then_chinese_by_pinyin_and_numbers_by_value(world):
    names = ["张伟", "李娜", "王芳", "alice", "Bob", "Émile", "zoe", "10 Corp", "9 Corp", "欧阳娜娜"]
    made = {account(world, name=n).id: n for n in names}
    got = [made[i] for i in list_all(world, "root", "account", limit=3)]
    assert got == ["9 Corp", "10 Corp", "alice", "Bob", "Émile", "zoe", "李娜", "欧阳娜娜", "王芳", "张伟"]
    back = [made[i] for i in list_all(world, "root", "account", sort=[srt("name", True)], limit=4)]
    assert back == list(reversed(got))


def test_filters_on_standard_fields(world):
    a = account(world, name="A", industry="Software", region="EMEA", tags=["vip"], employees=10,
                annual_revenue={"amount": "500", "currency": "EUR"}, billing_address={"country": "DE"})
    b = account(world, name="B", industry="Banking", region="APAC", tags=["VIP", "new"], employees=500,
                annual_revenue={"amount": "2000000", "currency": "USD"})
    c = account(world, name="C", owner="sal", industry="Software", type="partner")

    def q(*filters):
        return set(list_all(world, "root", "account", list(filters)))

    assert q(flt("industry", "eq", "Software")) == {a.id, c.id}
    assert q(flt("industry", "eq", "Software", "Banking")) == {a.id, b.id, c.id}
    assert q(flt("industry", "ne", "Software")) == {b.id}
    assert q(flt("region", "empty")) == {c.id}
    assert q(flt("tags", "eq", "vip")) == {a.id, b.id}          # tags match case-insensitively
    assert q(flt("tags", "eq", "new"), flt("region", "eq", "APAC")) == {b.id}
    assert q(flt("tags", "empty")) == {c.id}
    assert q(flt("owner", "eq", "sal")) == {c.id}
    assert q(flt("owner", "eq", "me")) == {a.id, b.id}
    assert q(flt("team", "eq", "Sales East")) == {c.id}
    assert q(flt("type", "eq", "partner")) == {c.id}
    assert q(flt("employees", "ge", 100)) == {b.id}
    assert q(flt("annual_revenue", "ge", "1000")) == {b.id}
    assert q(flt("annual_revenue", "lt", "1000 EUR")) == {a.id}
    # an amount with a currency matches that currency only (its _currency column)
    assert q(flt("annual_revenue", "ge", "100 USD")) == {b.id}
    assert q(flt("annual_revenue", "eq", "500 USD")) == set()
    assert q(flt("annual_revenue", "eq", "500.00 EUR")) == {a.id}
    assert q(flt("annual_revenue", "ne", "500 EUR")) == {b.id, c.id}
    assert q(flt("annual_revenue", "ne", "500 USD")) == {a.id, b.id, c.id}
    assert q(flt("annual_revenue", "empty")) == {c.id}
    assert q(flt("country", "eq", "de")) == {a.id}
    assert q(flt("name", "eq", "a")) == {a.id}                   # name equality ignores case
    since = ok(update(world, "root", b.id, b.version, "account", description="touched")).record.account.updated_at
    assert q(flt("updated_at", "ge", since)) == {b.id}
    assert q(flt("updated_at", "ge", "2000-01-01T00:00:00Z")) == {a.id, b.id, c.id}


def test_pick_list_filters_ignore_case(world):
    """A pick-list filter value is matched ignoring case and surrounding
    space, as writes are: it becomes the list's own spelling (so the
    column's index still serves it); a value the list lacks is an error
    naming the field and the values it takes."""
    ok(world.do("root", "field_add", field={"record_type": "account", "name": "segment", "kind": "picklist",
                                            "options": ["SMB", "Enterprise"]}))
    a = account(world, name="A", industry="Software", custom=[{"field": "segment", "value": "smb"}])
    b = account(world, name="B", industry="banking", custom=[{"field": "segment", "value": "Enterprise"}])
    assert (a.industry, b.industry) == (b"Software", b"Banking")

    def q(*filters):
        return set(list_all(world, "root", "account", list(filters)))

    assert q(flt("industry", "eq", "software")) == {a.id}
    assert q(flt("industry", "eq", " SOFTWARE ", "Banking")) == {a.id, b.id}
    assert q(flt("industry", "ne", "software")) == {b.id}
    assert q(flt("custom.segment", "eq", "enterprise")) == {b.id}
    assert q(flt("custom.segment", "ne", "Smb")) == {b.id}
    r = status(page(world, "root", "account", [flt("industry", "eq", "softwar")]), INVALID_ARGUMENT,
               "record_list.filters.industry")
    assert '"softwar"' in r.status.message and "Software" in r.status.message and "Banking" in r.status.message
    r = status(page(world, "root", "account", [flt("custom.segment", "eq", "mid")]), INVALID_ARGUMENT,
               "record_list.filters.custom.segment")
    assert "SMB, Enterprise" in r.status.message
    # A retired value stays on the records that hold it: still found.
    ok(world.do("root", "picklist_remove", name="industry", value="Software"))
    assert q(flt("industry", "eq", "SOFTWARE")) == {a.id}


@pytest.mark.parametrize("f,field", [
    (flt("nope", "eq", "x"), "record_list.filters.nope"),
    (flt("description", "eq", "x"), "record_list.filters.description"),
    (flt("employees", "ge", "many"), "record_list.filters.employees"),
    (flt("updated_at", "ge", "yesterday"), "record_list.filters.updated_at"),
    (flt("owner", "eq", "nobody"), "record_list.filters.owner"),
    (flt("industry", "ge", "A"), "record_list.filters.industry"),
    (flt("industry", "eq"), "record_list.filters.industry"),
    (flt("custom.none", "eq", "1"), "record_list.filters.custom.none"),
])
def test_bad_filters_name_the_field(world, f, field):
    status(page(world, "root", "account", [f]), INVALID_ARGUMENT, field)


def test_bad_sort_and_too_many_filters(world):
    r = status(page(world, "root", "account", sort=[srt("description")]), INVALID_ARGUMENT, "record_list.sort")
    assert "sortable" in r.status.message
    status(page(world, "root", "account", [flt("industry", "eq", "x")] * 21), INVALID_ARGUMENT)


def test_nulls_and_mixed_directions_page_without_gaps(world):
    made = [account(world, name=f"N{i % 3}", employees=(None if i % 4 == 0 else i % 5)).id for i in range(17)]
    truth = su_sql(world.env, world.db, "SELECT string_agg(id::text, ',' ORDER BY employees DESC NULLS LAST,"
                                        " name COLLATE crm.names, id DESC) FROM crm.accounts")
    for sort in ([srt("employees", True), srt("name")], [srt("employees")], [srt("name"), srt("employees", True)]):
        whole = list_all(world, "root", "account", sort=sort, limit=100)
        paged = list_all(world, "root", "account", sort=sort, limit=2)
        assert paged == whole and sorted(paged) == sorted(made), sort
    assert list_all(world, "root", "account", sort=[srt("employees", True), srt("name")], limit=3) == [
        int(x) for x in truth.split(",")]


def test_without_a_sort_lists_follow_the_registry_notes_newest_first(world):
    """No sort given: the type's default_sort in the registry. Accounts by
    name and contacts by display name, ascending; notes newest first
    (created_at descending, id descending breaking ties), as notes listed
    before they became a record type; paged the same way, and a sort
    named by the request still wins."""
    accs = {account(world, name=n).id: n for n in ("Cb", "Aa", "Bc")}
    assert [accs[i] for i in list_all(world, "root", "account", limit=2)] == ["Aa", "Bc", "Cb"]
    cons = {contact(world, given_name=g, family_name="Z").id: g for g in ("Yo", "Al", "Mo")}
    assert [cons[i] for i in list_all(world, "root", "contact", limit=2)] == ["Al", "Mo", "Yo"]
    n = [ok(world.do("root", "record_create", record={"note": {"body": f"n{i}"}})).record.note.meta.id
         for i in range(5)]
    # created_at decides, not the id: n1 the oldest, n2 and n3 the newest, at one instant
    su_sql(world.env, world.db, f"""SET session_replication_role = replica;
        UPDATE crm.notes SET created_at = '2020-01-01' WHERE id = {n[1]};
        UPDATE crm.notes SET created_at = '2030-01-01' WHERE id IN ({n[2]}, {n[3]});""")
    newest = [n[3], n[2], n[4], n[0], n[1]]
    assert list_all(world, "root", "note", limit=50) == newest
    assert list_all(world, "root", "note", limit=2) == newest
    assert list_all(world, "root", "note", sort=[srt("created_at")], limit=2) == list(reversed(newest))
    assert list_all(world, "root", "note", sort=[srt("created_at", True)], limit=3) == newest


def test_paging_through_a_changing_table_skips_and_repeats_nothing(world):
    """Keyset paging continues after the last row's sort keys: rows added
    before or after the cursor, rows deleted, and rows already seen whose
    sort value changes to one before the cursor, neither skip a row nor
    show one twice. (A row whose sort value moves *past* the cursor shows
    up again at its new place: that is a change, not a repeat.)"""
    base = [account(world, name=f"Row {i:03d}").id for i in range(30)]
    doomed = account(world, name="Row 999").id
    seen, cursor, n = [], None, 0
    while True:
        r = ok(page(world, "root", "account", limit=4, cursor=cursor))
        got = ids(r, "account")
        seen += got
        n += 1
        account(world, name=f"Row {n:03d}a")     # after the cursor: will be seen
        account(world, name=f"AAA {n}")          # before it: will not
        if got:                                  # a seen row moves further back
            a = ok(world.do("root", "record_get", type="account", id=got[0])).record.account
            ok(update(world, "root", a.id, a.version, "account", name=f"AAA moved {n}"))
        if n == 2:
            ok(world.do("root", "record_delete", type="account", id=doomed))
        if not r.record_list.HasField("next_cursor"):
            break
        cursor = r.record_list.next_cursor
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert set(base) <= set(seen), "a row present throughout was skipped"
    assert doomed not in seen


def test_cursors_are_signed_bound_to_user_and_filters(world):
    for i in range(5):
        account(world, name=f"C{i}", industry="Software")
    f = [flt("industry", "eq", "Software")]
    r = ok(page(world, "root", "account", f, limit=2))
    cur = r.record_list.next_cursor
    assert cur
    # Tampered: any flipped byte.
    bad = bytearray(cur)
    bad[len(bad) // 2] ^= 1
    status(page(world, "root", "account", f, limit=2, cursor=bytes(bad)), INVALID_ARGUMENT,
           "record_list.page.cursor")
    # Other filters or sort.
    status(page(world, "root", "account", [flt("industry", "eq", "Banking")], limit=2, cursor=cur),
           INVALID_ARGUMENT, "record_list.page.cursor")
    status(page(world, "root", "account", f, sort=[srt("name", True)], limit=2, cursor=cur),
           INVALID_ARGUMENT, "record_list.page.cursor")
    status(page(world, "root", "contact", f, limit=2, cursor=cur), INVALID_ARGUMENT)
    # Another user's.
    status(page(world, "mgr", "account", f, limit=2, cursor=cur), INVALID_ARGUMENT, "record_list.page.cursor")
    # Garbage.
    status(page(world, "root", "account", f, limit=2, cursor=b"garbage"), INVALID_ARGUMENT,
           "record_list.page.cursor")
    ok(page(world, "root", "account", f, limit=2, cursor=cur))


def test_page_size_limits(world):
    status(page(world, "root", "account", limit=501), INVALID_ARGUMENT, "record_list.page.limit")
    for i in range(3):
        account(world, name=f"P{i}")
    r = ok(page(world, "root", "account"))
    assert len(r.record_list.records) == 3 and not r.record_list.HasField("next_cursor")


def test_totals_exact_then_capped(world):
    for i in range(3):
        account(world, name=f"T{i}", industry="Energy")
    r = ok(page(world, "root", "account", [flt("industry", "eq", "Energy")], total=True, limit=1))
    assert (r.record_list.total, r.record_list.total_capped) == (3, False)
    assert not ok(page(world, "root", "account", limit=1)).record_list.HasField("total")
    # 10,001 rows through SQL (the owner role: the triggers register them).
    su_sql(world.env, world.db,
           "SET crm.user_id = '%d'; INSERT INTO crm.accounts (owner_id, name, industry)"
           " SELECT %d, 'bulk ' || g, 'Retail' FROM generate_series(1, 10001) g" % (world.uid["root"], world.uid["root"]))
    r = ok(page(world, "root", "account", [flt("industry", "eq", "Retail")], total=True, limit=5))
    assert (r.record_list.total, r.record_list.total_capped) == (10000, True)
    assert len(r.record_list.records) == 5


def test_totals_and_lists_count_only_what_the_user_may_see(world):
    for who in ("sal", "sal2", "sup"):
        for i in range(2):
            account(world, name=f"{who}{i}", owner=who, industry="Media")
    for who, n in (("sal", 2), ("sup", 2), ("mgr", 4), ("vie", 6), ("root", 6)):
        r = ok(page(world, who, "account", [flt("industry", "eq", "Media")], total=True))
        assert r.record_list.total == n and len(r.record_list.records) == n, who


def test_export_needs_the_export_permission(world):
    account(world, name="E", owner="sup")
    status(page(world, "sup", "account", export=True), PERMISSION_DENIED)
    ok(page(world, "sup", "account"))
    ok(page(world, "vie", "account"))
    status(page(world, "vie", "account", export=True), PERMISSION_DENIED)


def test_deleted_records_are_listed_apart(world):
    a = account(world, name="Gone")
    b = account(world, name="Here")
    ok(world.do("root", "record_delete", type="account", id=a.id))
    assert list_all(world, "root", "account") == [b.id]
    assert list_all(world, "root", "account", deleted=True) == [a.id]


def test_contact_filters_email_phone_account(world):
    acme = account(world, name="Acme")
    a = contact(world, given_name="Ada", emails=[{"address": "Ada@Example.com"}],
                phones=[{"number": "+44 20 7946 0958"}], account_id=acme.id)
    b = contact(world, given_name="Bo", family_name="Li", phones=[{"number": "0044 (20) 7946-0958 x 3"}])
    assert list_all(world, "root", "contact", [flt("email", "eq", "ada@example.COM")]) == [a.id]
    assert set(list_all(world, "root", "contact", [flt("phone", "eq", "+442079460958")])) == {a.id, b.id}
    assert list_all(world, "root", "contact", [flt("account_id", "eq", acme.id)]) == [a.id]
    assert list_all(world, "root", "contact", [flt("family_name", "eq", "LI")]) == [b.id]
    assert list_all(world, "root", "contact", sort=[srt("family_name")], limit=1) == [b.id, a.id]
    assert list_all(world, "root", "contact", sort=[srt("family_name", True)], limit=1) == [a.id, b.id]
    # Empty family names sort last in both directions.
    c = contact(world, given_name="Cy", family_name=None)
    assert list_all(world, "root", "contact", sort=[srt("family_name")], limit=1) == [b.id, a.id, c.id]
    assert list_all(world, "root", "contact", sort=[srt("family_name", True)], limit=1) == [a.id, b.id, c.id]


# --------------------------------------------------------------- plans under RLS

# Each list path and the index that must carry its condition. Values are
# selective in the bulk data below, as they would be in a real table.
ACCOUNT_FILTER_PATHS = [
    ([flt("industry", "eq", "Software")], "accounts_industry_idx"),
    ([flt("industry", "eq", "software")], "accounts_industry_idx"),  # the list's spelling first
    ([flt("region", "eq", "EMEA")], "accounts_region_idx"),
    ([flt("tier", "eq", "Gold")], "accounts_tier_idx"),
    ([flt("country", "eq", "DE")], "accounts_country_idx"),
    ([flt("owner", "eq", "sal")], "accounts_owner_idx"),
    ([flt("team", "eq", "Support")], "accounts_team_idx"),
    ([flt("name", "eq", "bulk 77")], "accounts_name_norm_idx"),
    ([flt("phone", "eq", "+4930777")], "accounts_phone_idx"),
    ([flt("updated_at", "ge", "2026-11-20")], "accounts_updated_idx"),
    ([flt("annual_revenue", "ge", "4990000")], "accounts_revenue_idx"),
    ([flt("employees", "ge", "19990")], "accounts_employees_idx"),
    ([flt("tags", "eq", "vip")], "record_tags_tag_idx"),
    ([flt("custom.score", "ge", "99")], "custom_values_num_idx"),
    ([flt("custom.segment", "eq", "S7")], "custom_values_text_idx"),
    ([flt("custom.renewal", "lt", "2027-01-03")], "custom_values_date_idx"),
    ([flt("custom.churn", "eq", "true")], "custom_values_bool_idx"),
]

CONTACT_FILTER_PATHS = [
    ([flt("email", "eq", "c77@bulk.example")], "contact_emails_norm_idx"),
    ([flt("phone", "eq", "+4477")], "contact_phones_norm_idx"),
    ([flt("account_id", "eq", "1000077")], "contacts_account_idx"),
    ([flt("display_name", "eq", "given 77 family")], "contacts_name_norm_idx"),
    ([flt("family_name", "eq", "family")], "contacts_family_norm_idx"),
    ([flt("owner", "eq", "sal")], "contacts_owner_idx"),
    ([flt("updated_at", "ge", "2026-11-20")], "contacts_updated_idx"),
]

SORT_PATHS = [
    ("account", [srt("name")], ["bulk 5", 5], "accounts_name_idx"),
    ("account", [srt("name", True)], ["bulk 5", 5], "accounts_name_idx"),
    ("account", [srt("updated_at", True)], [1790000000000000, 5], "accounts_updated_idx"),
    ("account", [srt("created_at")], [1790000000000000, 5], "accounts_created_idx"),
    # fields that may be empty: "x IS NULL" ascending, "x IS NOT NULL"
    # descending, so empty values come last both ways
    ("account", [srt("annual_revenue")], [False, 100.0, 5], "accounts_revenue_sort_idx"),
    ("account", [srt("annual_revenue", True)], [True, 100.0, 5], "accounts_revenue_desc_idx"),
    ("account", [srt("employees")], [False, 100, 5], "accounts_employees_sort_idx"),
    ("account", [srt("employees", True)], [True, 100, 5], "accounts_employees_desc_idx"),
    ("contact", [srt("display_name")], ["given 5", 5], "contacts_name_idx"),
    ("contact", [srt("family_name")], [False, "family", 5], "contacts_family_idx"),
    ("contact", [srt("family_name")], [True, "", 5], "contacts_family_idx"),
    ("contact", [srt("family_name", True)], [True, "family", 5], "contacts_family_desc_idx"),
    ("contact", [srt("family_name", True)], [False, "", 5], "contacts_family_desc_idx"),
    ("contact", [srt("updated_at")], [1790000000000000, 5], "contacts_updated_idx"),
    # notes: no sort given is the registry's default_sort, -created_at
    # (newest first): the same index read backwards
    ("note", [], [1790000000000000, 5], "notes_created_idx"),
    ("note", [srt("created_at")], [1790000000000000, 5], "notes_created_idx"),
    ("note", [srt("created_at", True)], [1790000000000000, 5], "notes_created_idx"),
    ("note", [srt("updated_at", True)], [1790000000000000, 5], "notes_updated_idx"),
]

BULK = """
SET session_replication_role = replica;  -- a bulk load: no triggers, no FK checks
INSERT INTO crm.records (id, record_type) SELECT g, 'account' FROM generate_series(1000001, 1020000) g;
INSERT INTO crm.records (id, record_type) SELECT g, 'contact' FROM generate_series(2000001, 2020000) g;
CREATE TEMP TABLE o AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, team_id FROM crm.users WHERE active;
INSERT INTO crm.accounts (id, owner_id, team_id, name, industry, region, tier, billing_country, phone,
    phone_norm, annual_revenue, annual_revenue_currency, employees, created_at, updated_at)
SELECT g, o.id, o.team_id, 'Bulk ' || (g - 1000000),
    (ARRAY['Software', 'Banking', 'Retail', 'Energy', 'Media', 'Insurance', 'Transport', 'Education',
           'Agriculture', 'Government', 'Healthcare', 'Consulting'])[1 + g % 12],
    (ARRAY['EMEA', 'APAC', 'Americas', 'Greater China', 'Nordics', 'Benelux', 'Iberia', 'Gulf'])[1 + g % 8],
    (ARRAY['Gold', 'Silver', 'Bronze', 'Platinum', 'Tin', 'Lead', 'Iron', 'Zinc'])[1 + g / 7 % 8],
    (ARRAY['DE', 'FR', 'GB', 'CN', 'US', 'JP', 'BR', 'IN', 'NL', 'SE', 'IT', 'ES'])[1 + g / 3 % 12],
    '+49 30 ' || (g - 1000000), '+4930' || (g - 1000000), (g % 5000) * 1000, 'EUR', g % 20000,
    timestamptz '2020-01-01' + (g % 1500) * interval '1 day', timestamptz '2020-01-01' + (g % 1500) * interval '1 day'
FROM generate_series(1000001, 1020000) g JOIN o ON o.n = g % (SELECT count(*) FROM o);
INSERT INTO crm.contacts (id, owner_id, team_id, given_name, family_name, account_id, created_at, updated_at)
SELECT g, o.id, o.team_id, 'Given ' || (g - 2000000), CASE WHEN g % 500 = 0 THEN 'Family' END,
    1000001 + g % 20000, timestamptz '2020-01-01' + (g % 1500) * interval '1 day',
    timestamptz '2020-01-01' + (g % 1500) * interval '1 day'
FROM generate_series(2000001, 2020000) g JOIN o ON o.n = g % (SELECT count(*) FROM o);
INSERT INTO crm.records (id, record_type) SELECT g, 'note' FROM generate_series(3000001, 3020000) g;
INSERT INTO crm.notes (id, owner_id, team_id, body, created_at, updated_at)
SELECT g, o.id, o.team_id, 'Bulk note ' || (g - 3000000), timestamptz '2020-01-01' + (g % 1500) * interval '1 day',
    timestamptz '2020-01-01' + (g % 1500) * interval '1 day'
FROM generate_series(3000001, 3020000) g JOIN o ON o.n = g % (SELECT count(*) FROM o);
INSERT INTO crm.contact_emails (contact_id, position, address, is_primary)
SELECT g, 0, 'c' || (g - 2000000) || '@bulk.example', true FROM generate_series(2000001, 2020000) g;
INSERT INTO crm.contact_phones (contact_id, position, number, number_norm, is_primary)
SELECT g, 0, '+44 ' || (g - 2000000), '+44' || (g - 2000000), true FROM generate_series(2000001, 2020000) g;
INSERT INTO crm.record_tags (record_id, record_type, tag)
SELECT g, 'account', CASE WHEN g % 1000 = 0 THEN 'vip' ELSE 'tag ' || g % 97 END FROM generate_series(1000001, 1020000) g;
INSERT INTO crm.custom_values (record_id, record_type, field_id, v_num, v_num_key)
SELECT g, 'account', (SELECT id FROM crm.fields WHERE name = 'score'), g % 100, g % 100 FROM generate_series(1000001, 1020000) g;
INSERT INTO crm.custom_values (record_id, record_type, field_id, v_text)
SELECT g, 'account', (SELECT id FROM crm.fields WHERE name = 'segment'), 'S' || g % 50 FROM generate_series(1000001, 1020000) g;
INSERT INTO crm.custom_values (record_id, record_type, field_id, v_date)
SELECT g, 'account', (SELECT id FROM crm.fields WHERE name = 'renewal'), date '2027-01-01' + g % 700 FROM generate_series(1000001, 1020000) g;
INSERT INTO crm.custom_values (record_id, record_type, field_id, v_bool)
SELECT g, 'account', (SELECT id FROM crm.fields WHERE name = 'churn'), g % 40 = 0 FROM generate_series(1000001, 1020000) g;
SET session_replication_role = origin;
ANALYZE;
"""


@pytest.fixture
def plan_world(world):
    for f in ({"name": "score", "kind": "number"}, {"name": "segment", "kind": "text"},
              {"name": "renewal", "kind": "date"}, {"name": "churn", "kind": "boolean"}):
        ok(world.do("root", "field_add", field=dict(record_type="account", **f)))
    su_sql(world.env, world.db, BULK)
    return world


def test_each_list_path_uses_its_index_under_rls(plan_world):
    """For every filter and sort path: the statement crmd runs, planned as
    crm_app for a sales user (own scope) and a manager (sub-teams), with
    row-level security on, has the path's index carrying its condition."""
    problems = []
    paths = [("account", f, [], None, i, True) for f, i in ACCOUNT_FILTER_PATHS]
    paths += [("contact", f, [], None, i, True) for f, i in CONTACT_FILTER_PATHS]
    paths += [(t, [], s, a, i, False) for t, s, a, i in SORT_PATHS]
    for type_, filters, sort, after, index, count in paths:
        for user in ("sal", "mgr"):
            p = plan(plan_world, user, type_, filters, sort, after=after, count=count)
            if not index_conds(p).get(index):
                problems.append(f"{index} carries no index condition for {type_} {filters or sort} as {user}:\n{p}")
    assert not problems, "\n".join(problems)


def test_an_export_covers_only_the_export_scope(world):
    """Marketing reads its team's accounts; with its export scope narrowed
    to its own, an export lists only those (and counts only those)."""
    mine = account(world, name="Mkt own", owner="mkt").id
    team = account(world, name="Mgr's", owner="mgr").id
    assert set(list_all(world, "mkt", "account")) == {mine, team}
    assert set(list_all(world, "mkt", "account", export=True)) == {mine, team}
    ok(world.do("root", "permission_set", role="marketing", record_type="account",
                action=pb().Action.Value("EXPORT"), scope=pb().Scope.Value("OWN")))
    assert set(list_all(world, "mkt", "account")) == {mine, team}
    assert list_all(world, "mkt", "account", export=True) == [mine]
    r = ok(page(world, "mkt", "account", total=True, export=True))
    assert r.record_list.total == 1
