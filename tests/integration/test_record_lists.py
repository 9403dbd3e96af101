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
    assert q(flt("country", "eq", "de")) == {a.id}
    assert q(flt("name", "eq", "a")) == {a.id}                   # name equality ignores case
    since = ok(update(world, "root", b.id, b.version, "account", description="touched")).record.account.updated_at
    assert q(flt("updated_at", "ge", since)) == {b.id}
    assert q(flt("updated_at", "ge", "2000-01-01T00:00:00Z")) == {a.id, b.id, c.id}


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
    truth = su_sql(world.env, world.db, "SELECT string_agg(id::text, ',' ORDER BY employees DESC,"
                                        " name COLLATE crm.names, id DESC) FROM crm.accounts")
    for sort in ([srt("employees", True), srt("name")], [srt("employees")], [srt("name"), srt("employees", True)]):
        whole = list_all(world, "root", "account", sort=sort, limit=100)
        paged = list_all(world, "root", "account", sort=sort, limit=2)
        assert paged == whole and sorted(paged) == sorted(made), sort
    assert list_all(world, "root", "account", sort=[srt("employees", True), srt("name")], limit=3) == [
        int(x) for x in truth.split(",")]


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
    # NULL family names sort last ascending, first descending.
    assert list_all(world, "root", "contact", sort=[srt("family_name")], limit=1) == [b.id, a.id]
    assert list_all(world, "root", "contact", sort=[srt("family_name", True)], limit=1) == [a.id, b.id]


# --------------------------------------------------------------- plans under RLS

ACCOUNT_FILTER_PATHS = [
    ([flt("industry", "eq", "Software")], "accounts_industry_idx"),
    ([flt("region", "eq", "EMEA")], "accounts_region_idx"),
    ([flt("tier", "eq", "Gold")], "accounts_tier_idx"),
    ([flt("country", "eq", "DE")], "accounts_country_idx"),
    ([flt("owner", "eq", "sal")], "accounts_owner_idx"),
    ([flt("team", "eq", "Sales")], "accounts_team_idx"),
    ([flt("name", "eq", "acme")], "accounts_name_norm_idx"),
    ([flt("phone", "eq", "+49301234567")], "accounts_phone_idx"),
    ([flt("updated_at", "ge", "2026-01-01")], "accounts_updated_idx"),
    ([flt("annual_revenue", "ge", "1000")], "accounts_revenue_idx"),
    ([flt("employees", "ge", "100")], "accounts_employees_idx"),
    ([flt("tags", "eq", "vip")], "record_tags_tag_idx"),
    ([flt("custom.score", "ge", "10")], "custom_values_num_idx"),
    ([flt("custom.segment", "eq", "SMB")], "custom_values_text_idx"),
    ([flt("custom.renewal", "lt", "2027-01-01")], "custom_values_date_idx"),
    ([flt("custom.churn", "eq", "true")], "custom_values_bool_idx"),
]

CONTACT_FILTER_PATHS = [
    ([flt("email", "eq", "a@b.example")], "contact_emails_norm_idx"),
    ([flt("phone", "eq", "+44207")], "contact_phones_norm_idx"),
    ([flt("account_id", "eq", "5")], "contacts_account_idx"),
    ([flt("display_name", "eq", "ada")], "contacts_name_norm_idx"),
    ([flt("family_name", "eq", "li")], "contacts_family_norm_idx"),
    ([flt("owner", "eq", "sal")], "contacts_owner_idx"),
]

SORT_PATHS = [
    ("account", [srt("name")], ["x", 5], "accounts_name_idx"),
    ("account", [srt("name", True)], ["x", 5], "accounts_name_idx"),
    ("account", [srt("updated_at", True)], [1790000000000000, 5], "accounts_updated_idx"),
    ("account", [srt("created_at")], [1790000000000000, 5], "accounts_created_idx"),
    ("contact", [srt("display_name")], ["x", 5], "contacts_name_idx"),
    ("contact", [srt("updated_at")], [1790000000000000, 5], "contacts_updated_idx"),
]


@pytest.fixture
def plan_world(world):
    for f in ({"name": "score", "kind": "number"}, {"name": "segment", "kind": "text"},
              {"name": "renewal", "kind": "date"}, {"name": "churn", "kind": "boolean"}):
        ok(world.do("root", "field_add", field=dict(record_type="account", **f)))
    account(world, name="Plan", owner="sal")
    return world


@pytest.mark.parametrize("filters,index", ACCOUNT_FILTER_PATHS + CONTACT_FILTER_PATHS)
def test_each_filter_path_uses_its_index_under_rls(plan_world, filters, index):
    type_ = "contact" if (filters, index) in CONTACT_FILTER_PATHS else "account"
    for user in ("sal", "mgr"):
        p = plan(plan_world, user, type_, filters, count=True)
        conds = index_conds(p)
        assert conds.get(index), f"{index} not an index condition for {filters} as {user}:\n{p}"


@pytest.mark.parametrize("type_,sort,after,index", SORT_PATHS)
def test_each_sort_path_pages_through_its_index_under_rls(plan_world, type_, sort, after, index):
    p = plan(plan_world, "sal", type_, sort=sort, after=after)
    conds = index_conds(p)
    assert conds.get(index), f"{index} does not carry the keyset condition for {sort}:\n{p}"
    assert any("ROW(" in c or ">" in c or "<" in c for c in conds[index]), p
