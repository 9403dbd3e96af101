"""Accounts and contacts through crmd: every field round-trips, versions
guard updates, soft delete and restore, purge (with what only the record
owned, and the redaction of its history), validation of every field with
the field named, text stored byte for byte, custom fields and pick lists,
relationships."""

import re

import pytest

from conftest import (ALREADY_EXISTS, CONFLICT, FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND,
                      OK, PERMISSION_DENIED, pb)
from identity import audit_rows, make_world, ok, status, su_json, su_sql
from records import account, contact, flt, get, list_all, page, update


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


FULL_ACCOUNT = dict(
    name="Acme GmbH", legal_name="Acme Gesellschaft mit beschränkter Haftung", type="customer",
    individual=False, industry="Software", region="EMEA", tier="Gold",
    website="https://acme.example", phone="+49 (30) 1234-567 x 12",
    billing_address=dict(street="Unter den Linden 1\n2. OG", city="Berlin", region="Berlin",
                         postal_code="10117", country="DE"),
    shipping_address=dict(city="Hamburg", country="DE"),
    annual_revenue=dict(amount="1200000.50", currency="EUR"), employees=250,
    tags=["vip", "Partner 2026"], description="Key account.\nHandle with care.")


def test_account_every_field_round_trips(world):
    a = account(world, **FULL_ACCOUNT)
    assert a.id > 0 and a.version == 1 and a.owner == "root"
    g = ok(get(world, "root", "account", a.id)).record.account
    assert g == a
    assert g.type == pb().AccountType.Value("ACCOUNT_TYPE_CUSTOMER")
    assert (g.industry, g.region, g.tier) == (b"Software", b"EMEA", b"Gold")
    assert g.billing_address.street == "Unter den Linden 1\n2. OG".encode()
    assert g.billing_address.country == b"DE" and g.shipping_address.city == b"Hamburg"
    assert (g.annual_revenue.amount, g.annual_revenue.currency) == (b"1200000.50", b"EUR")
    assert g.employees == 250
    assert sorted(g.tags) == [b"Partner 2026", b"vip"]
    assert g.created_by == "root" and g.created_at > 0 and not g.HasField("deleted_at")
    # The registry knows the id and its type; the normalised phone is kept aside.
    assert su_sql(world.env, world.db, f"SELECT record_type FROM crm.records WHERE id = {a.id}") == "account"
    assert su_sql(world.env, world.db, f"SELECT phone_norm FROM crm.accounts WHERE id = {a.id}") == "+49301234567"


def test_ids_are_shared_across_types_and_a_wrong_type_is_not_found(world):
    a = account(world)
    c = contact(world)
    n = ok(world.do("root", "record_create", record={"note": {"body": "x"}})).record.note.meta.id
    assert len({a.id, c.id, n}) == 3
    status(get(world, "root", "contact", a.id), NOT_FOUND, "record_get.id")
    status(get(world, "root", "account", c.id), NOT_FOUND, "record_get.id")
    status(get(world, "root", "account", 10 ** 15), NOT_FOUND, "record_get.id")


def test_update_carries_the_version_and_stale_is_conflict(world):
    a = account(world, **FULL_ACCOUNT)
    r = ok(update(world, "root", a.id, a.version, "account", website="https://acme.test"))
    b = r.record.account
    assert b.version == a.version + 1 and b.website == b"https://acme.test"
    assert b.name == a.name and b.annual_revenue == a.annual_revenue  # untouched
    r = status(update(world, "root", a.id, a.version, "account", website="https://late.test"),
               CONFLICT, "record_update.version")
    assert f"account {a.id}" in r.status.message and "version" in r.status.message
    assert ok(get(world, "root", "account", a.id)).record.account.website == b"https://acme.test"
    # Clearing: named fields are emptied, others kept.
    r = ok(update(world, "root", a.id, b.version, "account",
                  clear=["website", "billing_address", "annual_revenue", "tags"]))
    c = r.record.account
    assert not c.website and not c.HasField("billing_address") and not c.HasField("annual_revenue")
    assert list(c.tags) == [] and c.HasField("shipping_address")
    status(update(world, "root", a.id, c.version, "account", clear=["name"]), INVALID_ARGUMENT, "record_update.clear")


def test_soft_delete_restore_and_purge(world):
    parent = account(world, name="Parent")
    a = account(world, name="Child", parent_id=parent.id, tags=["x"])
    c = contact(world, given_name="Ada", account_id=a.id)
    r = ok(world.do("root", "record_delete", type="account", id=a.id))
    assert r.record.account.HasField("deleted_at")
    # A deleted record can be read (to restore it) but not changed.
    assert ok(get(world, "root", "account", a.id)).record.account.HasField("deleted_at")
    v = r.record.account.version
    r = status(update(world, "root", a.id, v, "account", name="X"), FAILED_PRECONDITION, "record_update.id")
    assert "restore" in r.status.message
    status(world.do("root", "record_delete", type="account", id=a.id), FAILED_PRECONDITION)
    r = ok(world.do("root", "record_restore", type="account", id=a.id))
    assert not r.record.account.HasField("deleted_at")
    status(world.do("root", "record_restore", type="account", id=a.id), FAILED_PRECONDITION)
    # Purge: the parent goes; the child's parent link is cleared (audited).
    ok(world.do("root", "record_purge", type="account", id=parent.id))
    status(get(world, "root", "account", parent.id), NOT_FOUND)
    child = ok(get(world, "root", "account", a.id)).record.account
    assert not child.HasField("parent_id")
    # Purge the child: its tags, relations and custom values go with it.
    ok(world.do("root", "record_purge", type="account", id=a.id))
    for table, col in (("crm.record_tags", "record_id"), ("crm.custom_values", "record_id"),
                       ("crm.relations", "to_id"), ("crm.relations", "from_id"),
                       ("crm.shares", "record_id"), ("crm.accounts", "id")):
        assert su_sql(world.env, world.db, f"SELECT count(*) FROM {table} WHERE {col} = {a.id}") == "0", table
    # The contact stays, without its primary account.
    cc = ok(get(world, "root", "contact", c.id)).record.contact
    assert not cc.HasField("account_id")
    # The registry keeps a tombstone, so the history still points somewhere.
    assert su_sql(world.env, world.db, f"SELECT purged_at IS NOT NULL FROM crm.records WHERE id = {a.id}") == "t"


def test_purge_redacts_personal_fields_in_the_history_and_audits_it(world):
    c = contact(world, given_name="Grace", family_name="Hopper", title="Rear Admiral",
                emails=[{"address": "grace@navy.example"}], phones=[{"number": "+1 555 0100"}],
                birthday={"year": 1906, "month": 12, "day": 9})
    c = ok(update(world, "root", c.id, c.version, "contact", title="Commodore")).record.contact
    ok(world.do("root", "record_purge", type="contact", id=c.id))
    rows = audit_rows(world.env, world.db, f"record_type = 'contact' AND record_id = {c.id}")
    text = str(rows)
    # the values as they could be left: whole words, the number's digits
    # as written or normalised, the year as a value (": 1906"): not "555"
    # or "1906" alone, which a random request id or a timestamp's
    # microseconds hold now and then
    for secret in ("Grace", "Hopper", "Admiral", "Commodore", "grace@navy", "555 0100",
                   "5550100"):
        assert secret not in text, f"{secret} survived the purge in the audit trail"
    assert not re.search(r": '?1906\b", text), "the birthday's year survived the purge"
    actions = [r["action"] for r in rows]
    assert actions[0] == "create" and "purge" in actions and actions[-1] == "redact"
    assert rows[-1]["new_values"]["audit_rows"] >= 3 and rows[-1]["username"] == "root"
    assert "[redacted]" in text


def test_purge_is_admin_only(world):
    a = account(world, owner="mgr")
    for who in ("mgr", "sal", "vie"):
        status(world.do(who, "record_purge", type="account", id=a.id), PERMISSION_DENIED)
    assert ok(get(world, "root", "account", a.id))


def test_contact_names_chinese_and_latin(world):
    z = contact(world, given_name="芳", family_name="王")
    assert z.display_name == "王芳" and z.name_order == pb().NameOrder.Value("NAME_ORDER_EASTERN")
    l = contact(world, given_name="Ada", family_name="Lovelace")
    assert l.display_name == "Ada Lovelace" and l.name_order == pb().NameOrder.Value("NAME_ORDER_WESTERN")
    e = contact(world, given_name="Yuki", family_name="Tanaka", name_order="eastern")
    assert e.display_name == "TanakaYuki"
    g = contact(world, given_name="Cher", family_name=None)
    assert g.display_name == "Cher"
    status(world.do("root", "record_create", record={"contact": {"title": "CEO"}}), INVALID_ARGUMENT,
           "record_create.record.contact.family_name")


def test_contact_emails_phones_birthday_flags_and_primary_account(world):
    a = account(world, name="Initech")
    c = contact(world, given_name="Peter", family_name="Gibbons",
                emails=[{"address": "peter@initech.example"}, {"address": "pg@home.example", "kind": "home"}],
                phones=[{"number": "(030) 1234567", "kind": "mobile"}, {"number": "0049 30 7654321", "primary": True}],
                birthday={"month": 2, "day": 29}, do_not_contact=True,
                preferred_channel="in_person", preferences=[{"key": "lang", "value": "en"}],
                account_id=a.id)
    assert [e.primary for e in c.emails] == [True, False]
    assert [p.primary for p in c.phones] == [False, True]
    assert [p.normalized for p in c.phones] == ["0301234567", "+49307654321"]
    assert c.birthday.month == 2 and c.birthday.day == 29 and not c.birthday.HasField("year")
    assert c.do_not_contact and c.do_not_contact_at > 0 and not c.marketing_opt_out
    assert c.account_id == a.id and c.account_name == "Initech"
    assert [(p.key, p.value) for p in c.preferences] == [(b"lang", b"en")]
    rel = su_json(world.env, world.db, f"SELECT role, is_primary FROM crm.relations WHERE from_id = {c.id}")
    assert rel == [{"role": "employee", "is_primary": True}]
    # Turning do-not-contact off clears its date; opting out records one.
    c2 = ok(update(world, "root", c.id, c.version, "contact", do_not_contact=False,
                   marketing_opt_out=True)).record.contact
    assert not c2.HasField("do_not_contact_at") and c2.marketing_opt_out_at > 0


@pytest.mark.parametrize("changes,field", [
    ({"emails": [{"address": "not-an-address"}]}, "contact.emails.address"),
    ({"emails": [{"address": "a@b.example", "primary": True}, {"address": "c@d.example", "primary": True}]},
     "contact.emails"),
    ({"phones": [{"number": "call me maybe"}]}, "contact.phones.number"),
    ({"birthday": {"year": 2023, "month": 2, "day": 29}}, "contact.birthday.day"),
    ({"birthday": {"month": 13, "day": 1}}, "contact.birthday.month"),
    ({"birthday": {"month": 4, "day": 31}}, "contact.birthday.day"),
    ({"preferences": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}, "contact.preferences.key"),
    ({"given_name": "x" * 256}, "contact.given_name"),
    ({"account_id": 10 ** 15}, "contact.account_id"),
])
def test_contact_bad_input_names_the_field(world, changes, field):
    fields = dict(family_name="Doe")
    fields.update(changes)
    status(world.do("root", "record_create", record={"contact": fields}), INVALID_ARGUMENT
           if field != "contact.account_id" else NOT_FOUND, "record_create.record." + field)
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.contacts") == "0"


@pytest.mark.parametrize("changes,field", [
    ({"name": ""}, "account.name"),
    ({"name": "   "}, "account.name"),
    ({"name": "x" * 256}, "account.name"),
    ({"industry": "Sofware"}, "account.industry"),
    ({"annual_revenue": {"amount": "12,50", "currency": "EUR"}}, "account.annual_revenue.amount"),
    ({"annual_revenue": {"amount": "1e6", "currency": "EUR"}}, "account.annual_revenue.amount"),
    ({"annual_revenue": {"amount": "100", "currency": "XYZ"}}, "account.annual_revenue.currency"),
    ({"annual_revenue": {"amount": "100.5", "currency": "JPY"}}, "account.annual_revenue.amount"),
    ({"annual_revenue": {"amount": "-5", "currency": "EUR"}}, "account.annual_revenue.amount"),
    ({"billing_address": {"country": "Germany"}}, "account.billing_address.country"),
    ({"phone": "not a phone"}, "account.phone"),
    ({"employees": -1}, "account.employees"),
    ({"tags": [""]}, "account.tags"),
    ({"parent_id": 10 ** 15}, "account.parent_id"),
])
def test_account_bad_input_names_the_field(world, changes, field):
    fields = dict(name="Acme")
    fields.update(changes)
    r = world.do("root", "record_create", record={"account": fields})
    assert r.status.code in (INVALID_ARGUMENT, NOT_FOUND), r
    assert r.status.field == "record_create.record." + field, r.status
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.accounts") == "0"
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.records WHERE record_type = 'account'") == "0"


def test_money_keeps_minor_units_per_currency(world):
    for amount, cur, shown in (("1000", "JPY", "1000"), ("12.345", "KWD", "12.345"),
                               ("99.9", "USD", "99.90"), ("0", "CNY", "0.00")):
        a = account(world, name=f"M {cur}", annual_revenue={"amount": amount, "currency": cur})
        assert (a.annual_revenue.amount, a.annual_revenue.currency) == (shown.encode(), cur.encode())


def test_parent_accounts_cannot_loop(world):
    a = account(world, name="A")
    b = account(world, name="B", parent_id=a.id)
    c = account(world, name="C", parent_id=b.id)
    assert c.parent_name == "B"
    status(update(world, "root", a.id, a.version, "account", parent_id=c.id), INVALID_ARGUMENT,
           "record_update.changes.account.parent_id")
    status(update(world, "root", a.id, a.version, "account", parent_id=a.id), INVALID_ARGUMENT,
           "record_update.changes.account.parent_id")


TRICKY = ["O'Brien \"Quotes\" \\ backslash", "emoji 🦄👩‍💻", "עברית right-to-left", "'); DROP TABLE crm.accounts; --",
          "tab\tand\nnewline", "Ünïcödé ＡＢＣ"]


@pytest.mark.parametrize("text", TRICKY)
def test_text_is_stored_and_returned_byte_for_byte(world, text):
    """Multi-line text (a description) is kept byte for byte; single-line
    text (a name, a tag) too when it holds no tab or line break (those are
    refused there: test_record_edits.py)."""
    line = text.replace("\t", " ").replace("\n", " ")
    a = account(world, name=line, description=text, tags=[line[:60]])
    g = ok(get(world, "root", "account", a.id)).record.account
    assert g.name == line.encode() and g.description == text.encode() and g.tags == [line[:60].encode()]
    assert su_sql(world.env, world.db, f"SELECT description = {sql_literal(text)} FROM crm.accounts WHERE id = {a.id}") == "t"


def sql_literal(s):
    return "'" + s.replace("'", "''") + "'"


@pytest.mark.parametrize("bad,why", [(b"nul\x00byte", "NUL byte"), (b"bell\x07", "control character"),
                                     (b"\xff\xfe", "not valid UTF-8"), (b"\xed\xa0\x80", "not valid UTF-8")])
def test_nul_and_control_characters_are_refused(world, bad, why):
    r = world.do("root", "record_create", record={"account": {"name": bad}})
    status(r, INVALID_ARGUMENT, "record_create.record.account.name")
    assert why in r.status.message, r.status.message
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.accounts") == "0"


# --------------------------------------------------------------- custom fields and pick lists

def test_custom_fields_are_defined_validated_stored_and_filtered(world):
    for f in ({"name": "score", "kind": "number", "min": "0", "max": "100"},
              {"name": "renewal", "kind": "date"},
              {"name": "budget", "kind": "money"},
              {"name": "churn_risk", "kind": "boolean"},
              {"name": "segment", "kind": "picklist", "options": ["SMB", "Enterprise"]},
              {"name": "note", "kind": "text", "max_length": 10}):
        r = ok(world.do("root", "field_add", field=dict(record_type="account", **f)), f)
        assert r.field.name == f["name"].encode()
    status(world.do("root", "field_add", field={"record_type": "account", "name": "score", "kind": "text"}),
           ALREADY_EXISTS, "field_add.field.name")
    status(world.do("root", "field_add", field={"record_type": "account", "name": "Bad Name", "kind": "text"}),
           INVALID_ARGUMENT, "field_add.field.name")
    status(world.do("mgr", "field_add", field={"record_type": "account", "name": "x", "kind": "text"}),
           PERMISSION_DENIED)
    # Defining fields ran no DDL: no new column, no new table.
    assert su_sql(world.env, world.db, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'crm.accounts'::regclass"
                                       " AND attname IN ('score', 'segment')") == "0"
    a = account(world, name="Custom", custom=[{"field": "score", "value": "42.5"},
                                              {"field": "renewal", "value": "2027-02-28"},
                                              {"field": "budget", "value": "5000.00 EUR"},
                                              {"field": "churn_risk", "value": "yes"},
                                              {"field": "segment", "value": "SMB"}])
    got = {c.field: c.value for c in a.custom}
    assert got == {b"score": b"42.5", b"renewal": b"2027-02-28", b"budget": b"5000.00 EUR",
                   b"churn_risk": b"true", b"segment": b"SMB"}
    for field, value in (("score", "101"), ("score", "abc"), ("renewal", "2027-02-30"),
                         ("budget", "5000"), ("segment", "Huge"), ("churn_risk", "maybe"),
                         ("note", "x" * 11)):
        status(update(world, "root", a.id, a.version, "account", custom=[{"field": field, "value": value}]),
               INVALID_ARGUMENT, f"record_update.changes.account.custom.{field}")
    status(update(world, "root", a.id, a.version, "account", custom=[{"field": "nope", "value": "1"}]),
           INVALID_ARGUMENT, "record_update.changes.account.custom")
    other = account(world, name="Other", custom=[{"field": "score", "value": "7"}])
    assert list_all(world, "root", "account", [flt("custom.score", "ge", 40)]) == [a.id]
    assert list_all(world, "root", "account", [flt("custom.segment", "eq", "SMB")]) == [a.id]
    assert list_all(world, "root", "account", [flt("custom.renewal", "lt", "2028-01-01")]) == [a.id]
    assert set(list_all(world, "root", "account", [flt("custom.score", "not_empty")])) == {a.id, other.id}
    # An empty value clears; a required field must be there on create.
    b = ok(update(world, "root", a.id, a.version, "account", custom=[{"field": "score", "value": ""}])).record.account
    assert b"score" not in {c.field for c in b.custom}
    ok(world.do("root", "field_add", field={"record_type": "account", "name": "region_code", "kind": "text",
                                            "required": True}))
    status(world.do("root", "record_create", record={"account": {"name": "No code"}}), INVALID_ARGUMENT,
           "record_create.record.account.custom.region_code")
    # The field list shows standard and custom fields.
    fl = ok(world.do("sal", "field_list", record_type="account")).field_list.fields
    names = [f.name for f in fl]
    assert b"name" in names and b"score" in names and b"region_code" in names
    # Removing a field removes its values (audited on the records).
    ok(world.do("root", "field_remove", record_type="account", name="score"))
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.custom_values v JOIN crm.fields f ON f.id = v.field_id"
                                       " WHERE f.name = 'score'") == "0"
    gone = audit_rows(world.env, world.db, f"record_id = {other.id} AND old_values ? 'custom'")
    assert gone and gone[-1]["old_values"]["custom"]["field"] == "score"


def test_pick_lists_are_admin_managed(world):
    r = ok(world.do("sal", "picklist_list", name="industry")).picklist_list
    assert r.picklists[0].name == "industry" and len(r.picklists[0].values) >= 10
    status(world.do("sal", "picklist_add", name="industry", value="Space"), PERMISSION_DENIED)
    ok(world.do("root", "picklist_add", name="industry", value="Space"))
    a = account(world, name="Rocket", industry="Space")
    ok(world.do("root", "picklist_remove", name="industry", value="Space"))
    # Retired: new writes refuse it, the record keeps it.
    status(world.do("root", "record_create", record={"account": {"name": "R2", "industry": "Space"}}),
           INVALID_ARGUMENT, "record_create.record.account.industry")
    assert ok(get(world, "root", "account", a.id)).record.account.industry == b"Space"
    ok(update(world, "root", a.id, a.version, "account", description="still Space"))
    status(world.do("root", "picklist_list", name="nope"), NOT_FOUND, "picklist_list.name")


# --------------------------------------------------------------- relationships

def test_relationships(world):
    acme = account(world, name="Acme")
    globex = account(world, name="Globex")
    ada = contact(world, given_name="Ada", family_name="Lovelace")
    bob = contact(world, given_name="Bob")
    r1 = ok(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role="decision_maker",
                     primary=True)).relation
    assert (r1.from_name, r1.to_name, r1.role, r1.primary) == ("Ada Lovelace", "Acme", b"decision_maker", True)
    assert ok(get(world, "root", "contact", ada.id)).record.contact.account_id == acme.id
    ok(world.do("root", "relation_add", from_id=ada.id, to_id=globex.id, role="billing", primary=True))
    assert ok(get(world, "root", "contact", ada.id)).record.contact.account_id == globex.id
    ok(world.do("root", "relation_add", from_id=bob.id, to_id=ada.id, role="reports_to"))
    ok(world.do("root", "relation_add", from_id=acme.id, to_id=globex.id, role="competitor"))
    status(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role="decision_maker"),
           ALREADY_EXISTS, "relation_add.role")
    status(world.do("root", "relation_add", from_id=acme.id, to_id=ada.id, role="partner"),
           INVALID_ARGUMENT, "relation_add.to_id")
    status(world.do("root", "relation_add", from_id=ada.id, to_id=ada.id, role="family"),
           INVALID_ARGUMENT, "relation_add.to_id")
    status(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role="astrologer"),
           INVALID_ARGUMENT, "relation_add.role")
    status(world.do("root", "relation_add", from_id=acme.id, to_id=globex.id, role="parent"),
           INVALID_ARGUMENT, "relation_add.role")
    status(world.do("root", "relation_add", from_id=acme.id, to_id=globex.id, role="partner", primary=True),
           INVALID_ARGUMENT, "relation_add.primary")
    lst = ok(world.do("root", "relation_list", record_id=ada.id)).relation_list.relations
    assert {(x.from_id, x.to_id, x.role) for x in lst} == {
        (ada.id, acme.id, b"decision_maker"), (ada.id, globex.id, b"billing"), (bob.id, ada.id, b"reports_to")}
    # Paging through relations.
    p1 = ok(world.do("root", "relation_list", record_id=ada.id, page={"limit": 2})).relation_list
    assert len(p1.relations) == 2 and p1.HasField("next_cursor")
    p2 = ok(world.do("root", "relation_list", record_id=ada.id,
                     page={"limit": 2, "cursor": p1.next_cursor})).relation_list
    assert len(p2.relations) == 1 and not p2.HasField("next_cursor")
    # Removing the primary relation clears the contact's account.
    prim = [x for x in lst if x.primary][0]
    ok(world.do("root", "relation_remove", relation_id=prim.relation_id))
    assert not ok(get(world, "root", "contact", ada.id)).record.contact.HasField("account_id")
    status(world.do("root", "relation_remove", relation_id=prim.relation_id), NOT_FOUND, "relation_remove.relation_id")
    # New roles come from the pick list.
    ok(world.do("root", "picklist_add", name="relation.contact.account", value="astrologer"))
    ok(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role="astrologer"))


def test_create_with_an_idempotency_key_applies_once(world):
    c = world.c("root")
    from identity import rq
    r1 = ok(rq(c, "record_create", key=b"acct-key-1", record={"account": {"name": "Once"}}))
    r2 = ok(rq(c, "record_create", key=b"acct-key-1", record={"account": {"name": "Once"}}))
    assert r1.record.account.id == r2.record.account.id
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.accounts WHERE name = 'Once'") == "1"


def test_every_change_is_audited_with_old_and_new_values(world):
    a = account(world, name="Audited", tags=["a"])
    a = ok(update(world, "root", a.id, a.version, "account", name="Audited 2", tags=["b"])).record.account
    ok(world.do("root", "record_delete", type="account", id=a.id))
    ok(world.do("root", "record_restore", type="account", id=a.id))
    ok(world.do("root", "record_reassign", type="account", id=a.id, owner="mgr"))
    rows = audit_rows(world.env, world.db, f"record_type = 'account' AND record_id = {a.id}")
    acts = [r["action"] for r in rows]
    assert acts[0] == "create" and {"delete", "restore", "reassign"} <= set(acts)
    upd = [r for r in rows if r["action"] == "update" and r["old_values"] and "name" in r["old_values"]]
    assert upd and upd[0]["old_values"]["name"] == "Audited" and upd[0]["new_values"]["name"] == "Audited 2"
    tags = [r for r in rows if (r["old_values"] or {}).get("tags") or (r["new_values"] or {}).get("tags")]
    assert any((r["old_values"] or {}).get("tags", {}).get("tag") == "a" for r in tags)
    assert any((r["new_values"] or {}).get("tags", {}).get("tag") == "b" for r in tags)
    assert all(r["request_id"] for r in rows if r["action"] != "redact")
