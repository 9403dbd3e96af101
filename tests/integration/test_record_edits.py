"""What a new user hit with records (issue 10, part 4), through crmd: edits
change only what was asked (part of an address, nothing at all, one tag or
e-mail address at a time), reassigning an account with or without its
contacts, text hygiene, pick-list and code spelling, errors that say what
is wrong and what is accepted, empty values sorting last both ways, team
delete and pick-list reordering."""

import json
import os

import pytest

from conftest import (ALREADY_EXISTS, CONFLICT, FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND,
                      PERMISSION_DENIED, exit_code, run_crm)
from identity import audit_rows, make_world, ok, status, su_sql
from records import account, contact, flt, get, list_all, update


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def srt(field, desc=False):
    return {"field": field, "desc": desc}


def edit(w, who, rec, kind, clear=None, changes=None, **ops):
    """record_update with edits of repeated fields (add_tags=..., ...)."""
    return w.do(who, "record_update", id=rec.id, version=rec.version, changes={kind: changes or {}},
                clear=clear or [], **ops)


# --------------------------------------------------------------- data changed that was not asked

def test_part_of_an_address_changes_only_that_part(world):
    a = account(world, billing_address=dict(street="Unter den Linden 1", city="Berlin",
                                            postal_code="10117", country="DE"),
                shipping_address=dict(city="Hamburg", country="DE"))
    b = ok(update(world, "root", a.id, a.version, "account", billing_address={"city": "Lyon"})).record.account
    assert b.billing_address.city == b"Lyon"
    assert (b.billing_address.street, b.billing_address.postal_code, b.billing_address.country) == (
        b"Unter den Linden 1", b"10117", b"DE")
    assert b.shipping_address == a.shipping_address
    # Clearing one part (as the README's --clear billing-city sends it).
    c = ok(update(world, "root", b.id, b.version, "account", clear=["billing_address.city"])).record.account
    assert not c.billing_address.HasField("city") and c.billing_address.street == b"Unter den Linden 1"
    # The whole address still clears at once.
    d = ok(update(world, "root", c.id, c.version, "account", clear=["shipping_address"])).record.account
    assert not d.HasField("shipping_address") and d.HasField("billing_address")
    r = status(update(world, "root", d.id, d.version, "account", clear=["billing_address.planet"]),
               INVALID_ARGUMENT, "record_update.clear")
    assert "billing_address.city" in r.status.message


def test_an_edit_that_changes_nothing_changes_nothing(world):
    a = account(world, name="Same", website="https://same.example", tags=["x"],
                billing_address=dict(city="Berlin"))
    before = audit_rows(world.env, world.db, f"record_id = {a.id}")
    for changes in ({"name": "Same"}, {"website": "https://same.example"}, {"tags": ["x"]},
                    {"billing_address": {"city": "Berlin"}}, {"name": "  Same  "}):
        b = ok(update(world, "root", a.id, a.version, "account", **changes)).record.account
        assert b.version == a.version and b.updated_at == a.updated_at, changes
    assert audit_rows(world.env, world.db, f"record_id = {a.id}") == before
    # A stale version is still a conflict, even for a no-op.
    c = ok(update(world, "root", a.id, a.version, "account", name="Other")).record.account
    assert c.version == a.version + 1
    status(update(world, "root", a.id, a.version, "account", name="Other"), CONFLICT, "record_update.version")
    # A change of side rows only (a tag) is a change: new version.
    d = ok(update(world, "root", c.id, c.version, "account", tags=["x", "y"])).record.account
    assert d.version == c.version + 1 and d.updated_at > c.updated_at


def test_side_rows_given_as_they_are_change_nothing_and_changed_alone_give_a_new_version(world):
    """Custom values, tags, e-mail addresses and phone numbers are side rows:
    record_update reads only them before the save to tell a change of them
    alone (new version) from an edit that changes nothing."""
    ok(world.do("root", "field_add", field=dict(record_type="account", name="segment", kind="text")))
    a = account(world, tags=["x"], custom=[{"field": "segment", "value": "gold"}])
    before = audit_rows(world.env, world.db, f"record_id = {a.id}")
    for changes in ({"custom": [{"field": "segment", "value": "gold"}]}, {"tags": ["X"]},
                    {"tags": ["x"], "custom": [{"field": "segment", "value": "gold"}], "name": "Acme"}):
        b = ok(update(world, "root", a.id, a.version, "account", **changes)).record.account
        assert b.version == a.version and b.updated_at == a.updated_at, changes
    assert audit_rows(world.env, world.db, f"record_id = {a.id}") == before
    b = ok(update(world, "root", a.id, a.version, "account", custom=[{"field": "segment", "value": "silver"}])).record.account
    assert b.version == a.version + 1 and [(c.field, c.value) for c in b.custom] == [(b"segment", b"silver")]
    c = ok(update(world, "root", b.id, b.version, "account", clear=["custom.segment"])).record.account
    assert c.version == b.version + 1 and not c.custom
    status(update(world, "root", a.id, a.version, "account", tags=["y"]), CONFLICT, "record_update.version")
    k = contact(world, emails=[{"address": "ada@work.example"}], phones=[{"number": "+44 20 7946 0958"}])
    m = ok(update(world, "root", k.id, k.version, "contact", emails=[{"address": "ada@work.example"}])).record.contact
    assert m.version == k.version
    m = ok(update(world, "root", k.id, k.version, "contact", phones=[{"number": "+1 555 0100"}])).record.contact
    assert m.version == k.version + 1 and [p.number for p in m.phones] == [b"+1 555 0100"]
    m = ok(update(world, "root", m.id, m.version, "contact", clear=["emails"])).record.contact
    assert m.version == k.version + 2 and not m.emails


def test_tags_are_added_and_removed_one_at_a_time(world):
    a = account(world, tags=["vip", "Partner"])
    b = ok(edit(world, "root", a, "account", add_tags=["new", "VIP"], remove_tags=["partner"])).record.account
    assert sorted(b.tags) == [b"new", b"vip"] and b.version == a.version + 1
    r = status(edit(world, "root", b, "account", remove_tags=["nope"]), INVALID_ARGUMENT, "record_update.remove_tags")
    assert '"nope"' in r.status.message and "vip" in r.status.message
    status(edit(world, "root", b, "account", changes={"tags": ["a"]}, add_tags=["b"]),
           INVALID_ARGUMENT, "record_update.add_tags")
    assert sorted(ok(get(world, "root", "account", a.id)).record.account.tags) == [b"new", b"vip"]


def test_emails_and_phones_are_added_removed_and_the_primary_switched(world):
    c = contact(world, emails=[{"address": "ada@work.example"}, {"address": "ada@home.example", "kind": "home"}],
                phones=[{"number": "+44 20 7946 0958"}])
    assert [e.primary for e in c.emails] == [True, False]
    d = ok(edit(world, "root", c, "contact", primary_email="ADA@home.example")).record.contact
    assert [(e.address, e.primary) for e in d.emails] == [(b"ada@work.example", False), (b"ada@home.example", True)]
    assert d.version == c.version + 1
    e = ok(edit(world, "root", d, "contact", add_emails=[{"address": "ada@new.example", "kind": "other"}],
                remove_emails=["ada@home.example"], add_phones=[{"number": "+1 555 0100", "kind": "mobile",
                                                                 "primary": True}])).record.contact
    assert [(x.address, x.primary) for x in e.emails] == [(b"ada@work.example", True), (b"ada@new.example", False)]
    assert e.emails[1].kind == b"other"
    assert [(x.number, x.primary) for x in e.phones] == [(b"+44 20 7946 0958", False), (b"+1 555 0100", True)]
    f = ok(edit(world, "root", e, "contact", remove_phones=["00 1 555 0100"])).record.contact
    assert [(x.number, x.primary) for x in f.phones] == [(b"+44 20 7946 0958", True)]
    r = status(edit(world, "root", f, "contact", remove_emails=["nobody@example.com"]), INVALID_ARGUMENT,
               "record_update.remove_emails")
    assert "ada@work.example" in r.status.message
    status(edit(world, "root", f, "contact", primary_phone="+49 1"), INVALID_ARGUMENT, "record_update.primary_phone")
    a = account(world)
    status(edit(world, "root", a, "account", add_emails=[{"address": "x@y.example"}]), INVALID_ARGUMENT,
           "record_update.add_emails")


def test_list_only_edits_need_no_version(world):
    """add_X / remove_X / primary_X are set operations on the lists as they
    are when the update arrives: no version needed (none to be stale), and
    the record still gets a new version. Setting or clearing a field still
    needs the version read."""
    a = account(world, tags=["vip"])
    b = ok(world.do("root", "record_update", id=a.id, changes={"account": {}},
                    add_tags=["new"], remove_tags=["VIP"])).record.account
    assert list(b.tags) == [b"new"] and b.version == a.version + 1
    c = contact(world, emails=[{"address": "ada@work.example"}])
    d = ok(world.do("root", "record_update", id=c.id, changes={"contact": {}},
                    add_emails=[{"address": "ada@home.example"}], primary_email="ada@home.example")).record.contact
    assert [(e.address, e.primary) for e in d.emails] == [(b"ada@work.example", False), (b"ada@home.example", True)]
    assert d.version == c.version + 1
    # A list edit that changes nothing changes nothing, version included.
    e = ok(world.do("root", "record_update", id=c.id, changes={"contact": {}},
                    add_emails=[{"address": "ADA@home.example"}])).record.contact
    assert e.version == d.version
    # Anything else without a version is refused, naming the version.
    for changes, clear, ops in (({"name": "Other"}, [], {"add_tags": ["more"]}), ({}, ["website"], {"add_tags": ["more"]}),
                                ({"tags": ["x"]}, [], {}), ({"name": "Other"}, [], {}), ({}, [], {})):
        r = status(world.do("root", "record_update", id=b.id, changes={"account": changes}, clear=clear, **ops),
                   INVALID_ARGUMENT, "record_update.version", what=str((changes, clear, ops)))
        assert "version you read" in r.status.message
    assert ok(get(world, "root", "account", a.id)).record.account.version == b.version
    # Scope and deletion are checked as for any update.
    status(world.do("sal", "record_update", id=a.id, changes={"account": {}}, add_tags=["x"]), NOT_FOUND)
    ok(world.do("root", "record_delete", type="account", id=a.id))
    status(world.do("root", "record_update", id=a.id, changes={"account": {}}, add_tags=["x"]),
           FAILED_PRECONDITION, "record_update.id")


def test_reassigning_an_account_with_and_without_its_contacts(world):
    a = account(world, name="Moving", owner="sal")
    c1 = contact(world, family_name="One", owner="sal", account_id=a.id)
    c2 = contact(world, family_name="Two", owner="sal2", account_id=a.id)
    contact(world, family_name="Elsewhere", owner="sal")
    r = ok(world.do("root", "record_reassign", type="account", id=a.id, owner="mgr"))
    assert r.record.account.owner == "mgr"
    out = r.record.reassign
    assert out.contacts_moved == 0
    assert [(s.owner, s.count) for s in out.contacts_stayed] == [("sal", 1), ("sal2", 1)]
    r = ok(world.do("root", "record_reassign", type="account", id=a.id, owner="mgr", with_contacts=True))
    assert r.record.reassign.contacts_moved == 2 and len(r.record.reassign.contacts_stayed) == 0
    for cid in (c1.id, c2.id):
        c = ok(get(world, "root", "contact", cid)).record.contact
        assert (c.owner, c.team) == ("mgr", "Sales")
    r = ok(world.do("root", "record_reassign", type="account", id=a.id, owner="sal", with_contacts=True))
    assert r.record.reassign.contacts_moved == 2
    status(world.do("root", "record_reassign", type="contact", id=c1.id, owner="mgr", with_contacts=True),
           INVALID_ARGUMENT, "record_reassign.with_contacts")
    # All or nothing: a contact the manager may not reassign refuses the whole request.
    sup = contact(world, family_name="Support's", owner="sup", account_id=a.id)
    # shared with the manager for reading: visible, but not the manager's to reassign
    su_sql(world.env, world.db, "INSERT INTO crm.shares (record_type, record_id, user_id, access) "
                                f"VALUES ('contact', {sup.id}, {world.uid['mgr']}, 'read')")
    assert ok(get(world, "mgr", "contact", sup.id))
    before = ok(get(world, "root", "account", a.id)).record.account
    r = status(world.do("mgr", "record_reassign", type="account", id=a.id, owner="sal2", with_contacts=True),
               PERMISSION_DENIED)
    assert "contacts" in r.status.message
    assert ok(get(world, "root", "account", a.id)).record.account.owner == before.owner
    assert ok(get(world, "root", "contact", sup.id)).record.contact.owner == "sup"


# --------------------------------------------------------------- answers that tell the truth

def test_deleting_a_deleted_record_and_restoring_a_live_one_say_so(world):
    a = account(world)
    ok(world.do("root", "record_delete", type="account", id=a.id))
    r = status(world.do("root", "record_delete", type="account", id=a.id), FAILED_PRECONDITION, "record_delete.id")
    assert r.status.message == f"account {a.id} is already deleted"
    ok(world.do("root", "record_restore", type="account", id=a.id))
    r = status(world.do("root", "record_restore", type="account", id=a.id), FAILED_PRECONDITION, "record_restore.id")
    assert r.status.message == f"account {a.id} is not deleted"


def test_validation_errors_say_what_is_accepted(world):
    a = account(world)
    r = status(update(world, "root", a.id, a.version, "account", annual_revenue={"amount": "1250000"}),
               INVALID_ARGUMENT, "record_update.changes.account.annual_revenue.currency")
    assert '"1250000 EUR"' in r.status.message and "currency" in r.status.message
    r = status(update(world, "root", a.id, 999, "account", name="X"), CONFLICT, "record_update.version")
    assert "no version 999" in r.status.message
    r = status(update(world, "root", a.id, a.version, "account", parent_id=a.id), INVALID_ARGUMENT,
               "record_update.changes.account.parent_id")
    assert "its own parent" in r.status.message
    c = contact(world, given_name="Ada", family_name=None)
    r = status(update(world, "root", c.id, c.version, "contact", clear=["given_name"]), INVALID_ARGUMENT,
               "record_update.changes.contact.given_name")
    assert "given name or a family name" in r.status.message and "display_name" not in r.status.message
    r = status(update(world, "root", c.id, c.version, "contact", birthday={"year": 4000000000, "month": 1, "day": 1}),
               INVALID_ARGUMENT, "record_update.changes.contact.birthday.year")
    assert "1850" in r.status.message
    ok(world.do("root", "field_add", field=dict(record_type="account", name="budget", kind="money")))
    r = status(update(world, "root", a.id, a.version, "account", custom=[{"field": "budget", "value": "500"}]),
               INVALID_ARGUMENT, "record_update.changes.account.custom.budget")
    assert '"500 EUR"' in r.status.message


def test_a_refused_reassign_says_why(world):
    # The manager of Sales may reassign within Sales and the teams below it;
    # to a user outside them is refused, saying whom and which teams.
    b = account(world, name="Sales'", owner="sal")
    r = status(world.do("mgr", "record_reassign", type="account", id=b.id, owner="sup"), PERMISSION_DENIED,
               "record_reassign.owner")
    assert "sup" in r.status.message and "Sales" in r.status.message


def test_field_list_says_what_can_be_filtered_and_sorted(world):
    r = ok(world.do("root", "field_list", record_type="account"))
    f = {x.name.decode(): x for x in r.field_list.fields}
    assert f["name"].filterable and f["name"].sortable
    assert not f["description"].filterable and not f["description"].sortable
    assert f["industry"].filterable and not f["industry"].sortable
    r = status(world.do("root", "record_list", type="account", filters=[flt("description", "eq", "x")]),
               INVALID_ARGUMENT, "record_list.filters.description")
    assert "crm field list account" in r.status.message


# --------------------------------------------------------------- input hygiene

@pytest.mark.parametrize("bad,what", [("tab\there", "a tab (U+0009)"), ("line\nbreak", "a line break (U+000A)"),
                                      ("c1\u0085", "a control character (U+0085)"),
                                      ("evil\u202egnp.exe", "a bidirectional control character (U+202E)"),
                                      ("iso\u2066late", "a bidirectional control character (U+2066)"),
                                      ("non\ufdd0char", "a non-character (U+FDD0)"),
                                      ("plane\U0001ffffend", "a non-character (U+1FFFF)")])
def test_single_line_text_refuses_control_and_formatting_characters(world, bad, what):
    r = status(world.do("root", "record_create", record={"account": {"name": bad}}), INVALID_ARGUMENT,
               "record_create.record.account.name")
    assert what in r.status.message, r.status.message
    r = status(world.do("root", "record_create", record={"contact": {"family_name": "Ok", "title": bad}}),
               INVALID_ARGUMENT, "record_create.record.contact.title")
    assert su_sql(world.env, world.db, "SELECT count(*) FROM crm.accounts") == "0"


def test_text_is_trimmed_and_multi_line_fields_keep_line_breaks(world):
    a = account(world, name="  Acme \u00a0", description="Line 1\n\tLine 2\n", tags=[" vip "],
                billing_address=dict(street="Hauptstr. 1\nHinterhaus", city=" Berlin "))
    assert a.name == b"Acme" and a.description == b"Line 1\n\tLine 2\n" and list(a.tags) == [b"vip"]
    assert a.billing_address.street == b"Hauptstr. 1\nHinterhaus" and a.billing_address.city == b"Berlin"
    r = status(world.do("root", "record_create", record={"account": {"name": "X", "description": "bidi \u202e"}}),
               INVALID_ARGUMENT, "record_create.record.account.description")
    assert "U+202E" in r.status.message
    status(world.do("root", "record_create", record={"account": {"name": "   "}}), INVALID_ARGUMENT,
           "record_create.record.account.name")
    # Length in characters (code points), not bytes: 255 Chinese characters fit.
    ok(world.do("root", "record_create", record={"account": {"name": "汉" * 255}}))
    r = status(world.do("root", "record_create", record={"account": {"name": "汉" * 256}}), INVALID_ARGUMENT,
               "record_create.record.account.name")
    assert "255 characters" in r.status.message


def test_codes_and_pick_list_values_in_any_case(world):
    a = account(world, industry="  software ", tier="GOLD", billing_address=dict(country="de"),
                annual_revenue=dict(amount="10", currency="eur"))
    assert (a.industry, a.tier) == (b"Software", b"Gold")
    assert a.billing_address.country == b"DE" and a.annual_revenue.currency == b"EUR"
    assert list_all(world, "root", "account", [flt("country", "eq", "de")]) == [a.id]
    assert list_all(world, "root", "account", [flt("annual_revenue", "ge", "5 eur")]) == [a.id]
    # Pick lists: values trimmed and unique ignoring case.
    r = status(world.do("root", "picklist_add", name="industry", value=" SOFTWARE "), ALREADY_EXISTS,
               "picklist_add.value")
    assert '"Software"' in r.status.message
    r = ok(world.do("root", "picklist_add", name="industry", value="  Space  "))
    assert b"Space" in [v.value for v in r.picklist_list.picklists[0].values]
    status(world.do("root", "field_add", field=dict(record_type="account", name="level", kind="picklist",
                                                    options=["a", " A "])), ALREADY_EXISTS, "field_add.field.options")


def test_a_custom_field_cannot_take_a_standard_fields_name(world):
    r = status(world.do("root", "field_add", field=dict(record_type="account", name="name", kind="text")),
               ALREADY_EXISTS, "field_add.field.name")
    assert "standard field" in r.status.message
    r = ok(world.do("root", "field_list", record_type="account"))
    assert [f.name for f in r.field_list.fields].count(b"name") == 1


# --------------------------------------------------------------- sorting

def test_empty_values_sort_last_in_both_directions(world):
    none = account(world, name="None")
    small = account(world, name="Small", employees=5, annual_revenue=dict(amount="1", currency="EUR"))
    big = account(world, name="Big", employees=500, annual_revenue=dict(amount="100", currency="EUR"))
    for field in ("employees", "annual_revenue"):
        assert list_all(world, "root", "account", sort=[srt(field)], limit=1) == [small.id, big.id, none.id]
        assert list_all(world, "root", "account", sort=[srt(field, True)], limit=1) == [big.id, small.id, none.id]
    a = contact(world, given_name="Ada", family_name=None)
    b = contact(world, family_name="Babbage")
    c = contact(world, family_name="Curie")
    assert list_all(world, "root", "contact", sort=[srt("family_name", True)], limit=1) == [c.id, b.id, a.id]
    assert list_all(world, "root", "contact", sort=[srt("family_name")], limit=1) == [b.id, c.id, a.id]


# --------------------------------------------------------------- administration

def test_team_delete_is_refused_while_the_team_is_in_use(world):
    r = status(world.do("root", "team_delete", name="Sales East"), FAILED_PRECONDITION, "team_delete.name")
    assert "2 members" in r.status.message, r.status.message
    ok(world.do("root", "team_create", name="Empty"))
    ok(world.do("root", "team_create", name="Child", parent="Empty"))
    r = status(world.do("root", "team_delete", name="Empty"), FAILED_PRECONDITION)
    assert "1 sub-team" in r.status.message
    ok(world.do("root", "team_delete", name="Child"))
    ok(world.do("root", "team_create", name="Owner"))
    a = account(world)
    ok(world.do("root", "record_reassign", type="account", id=a.id, owner="root", team="Owner"))
    r = status(world.do("root", "team_delete", name="Owner"), FAILED_PRECONDITION)
    assert "1 account" in r.status.message
    status(world.do("mgr", "team_delete", name="Empty"), PERMISSION_DENIED)
    ok(world.do("root", "team_delete", name="Empty"))
    status(world.do("root", "team_get", name="Empty"), NOT_FOUND)
    status(world.do("root", "team_delete", name="Nope"), NOT_FOUND, "team_delete.name")


def test_picklist_move_reorders_values(world):
    def order():
        r = ok(world.do("root", "picklist_list", name="tier"))
        return [v.value.decode() for v in sorted(r.picklist_list.picklists[0].values, key=lambda v: v.position)]
    assert order() == ["Platinum", "Gold", "Silver", "Bronze"]
    ok(world.do("root", "picklist_move", name="tier", value="bronze", before="Gold"))
    assert order() == ["Platinum", "Bronze", "Gold", "Silver"]
    r = ok(world.do("root", "picklist_move", name="tier", value="Platinum", after="Silver"))
    assert order() == ["Bronze", "Gold", "Silver", "Platinum"]
    assert [v.position for v in r.picklist_list.picklists[0].values] == [1, 2, 3, 4]
    status(world.do("root", "picklist_move", name="tier", value="Gold", before="Tin"), NOT_FOUND, "picklist_move.before")
    status(world.do("root", "picklist_move", name="tier", value="Gold"), INVALID_ARGUMENT, "picklist_move.before")
    status(world.do("sal", "picklist_move", name="tier", value="Gold", after="Silver"), PERMISSION_DENIED)


def test_lists_beyond_what_one_may_see_are_errors_not_empty(world):
    # sessions: a non-admin asking for another user's or everyone's
    r = status(world.do("sal", "session_list", username="root"), PERMISSION_DENIED, "session_list.username")
    assert "only your own sessions" in r.status.message
    status(world.do("sal", "session_list", all=True), PERMISSION_DENIED, "session_list.all")
    assert ok(world.do("sal", "session_list", username="sal")).session_list.sessions
    assert ok(world.do("sal", "session_list")).session_list.sessions
    status(world.do("root", "session_list", username="nobody"), NOT_FOUND, "session_list.username")
    assert ok(world.do("root", "session_list", username="sal")).session_list.sessions
    # permissions: a type or a role that does not exist
    r = status(world.do("root", "permission_list", record_type="deals"), INVALID_ARGUMENT,
               "permission_list.record_type")
    assert "account" in r.status.message
    status(world.do("root", "permission_list", role="wizard"), INVALID_ARGUMENT, "permission_list.role")
    assert ok(world.do("root", "permission_list", record_type="account")).permission_list.permissions
    # audit: a type that does not exist, instants out of range
    r = status(world.do("root", "audit_list", record_type="deal", record_id=1), INVALID_ARGUMENT,
               "audit_list.record_type")
    assert '"deal" is not a record type' in r.status.message
    r = status(world.do("root", "audit_list", since=-(2 ** 62)), INVALID_ARGUMENT, "audit_list.since")
    assert r.status.message.startswith("since ")
    status(world.do("root", "audit_list", until=2 ** 62), INVALID_ARGUMENT, "audit_list.until")
    ok(world.do("root", "audit_list", record_type="account"))


# --------------------------------------------------------------- through the crm command

def cli(w, user, *args, input=None):
    """Runs crm as `user` (one config directory per user, logged in once)."""
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args, input=input)


def test_cli_edits_part_of_an_address_and_clears_one_part(world):
    a = account(world, billing_address=dict(street="Rue 1", city="Paris", postal_code="75001", country="FR"))
    r = cli(world, "root", "account", "edit", str(a.id), "--billing-city", "Lyon")
    assert r.rc == 0, r
    j = json.loads(cli(world, "root", "--format", "json", "account", "show", str(a.id)).out)
    assert j["billing_address"] == {"street": "Rue 1", "city": "Lyon", "postal_code": "75001", "country": "FR"}
    r = cli(world, "root", "account", "edit", str(a.id), "--clear", "billing-city")
    assert r.rc == 0, r
    j = json.loads(cli(world, "root", "--format", "json", "account", "show", str(a.id)).out)
    assert j["billing_address"] == {"street": "Rue 1", "postal_code": "75001", "country": "FR"}
    r = cli(world, "root", "account", "edit", str(a.id), "--annual-revenue", "1250000")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "1250000 EUR" in r.err, r


def test_cli_reassign_with_contacts_team_delete_and_picklist_move(world):
    a = account(world, owner="sal")
    contact(world, owner="sal", account_id=a.id)
    r = cli(world, "root", "account", "reassign", str(a.id), "--owner", "mgr")
    # the outcome follows the table's line on standard output
    assert r.rc == 0 and "1 with sal" in r.out and "--with-contacts" in r.out, r
    r = cli(world, "root", "account", "reassign", str(a.id), "--owner", "sal2", "--with-contacts")
    assert r.rc == 0 and "1 contact moved" in r.out, r
    r = cli(world, "root", "team", "delete", "Sales East")
    assert r.rc == exit_code(FAILED_PRECONDITION) and "members" in r.err, r
    assert cli(world, "root", "team", "add", "Temp").rc == 0
    r = cli(world, "root", "team", "delete", "Temp")
    assert r.rc == 0, r
    r = cli(world, "root", "--format", "json", "picklist", "move", "tier", "bronze", "--before", "platinum")
    assert r.rc == 0, r
    r = cli(world, "root", "--format", "csv", "picklist", "list", "tier")
    assert [row.split(",")[1] for row in r.out.splitlines()[1:]][:2] == ["Bronze", "Platinum"], r.out
    r = cli(world, "root", "picklist", "move", "tier", "Gold")
    assert r.rc == exit_code(INVALID_ARGUMENT) or r.rc == 2, r


def test_note_text_keeps_line_breaks_and_team_names_are_trimmed(world):
    n = ok(world.do("root", "record_create", record={"note": {"body": "first\n\tsecond"}})).record.note
    assert n.body in ("first\n\tsecond", b"first\n\tsecond")
    r = status(world.do("root", "record_create", record={"note": {"body": "evil\u202etxt"}}),
               INVALID_ARGUMENT, "record_create.record.note.body")
    assert "U+202E" in r.status.message
    status(world.do("root", "record_update", id=n.meta.id, version=n.meta.version,
                    changes={"note": {"body": "\u0085"}}),
           INVALID_ARGUMENT, "record_update.changes.note.body")
    assert ok(world.do("root", "team_create", name="  Ops  ")).team.name == "Ops"
    r = status(world.do("root", "team_create", name="Tab\tTeam"), INVALID_ARGUMENT, "team_create.name")
    assert "a tab" in r.status.message


def test_relation_add_errors_name_its_own_fields(world):
    acme = account(world, name="Acme")
    ada = contact(world, given_name="Ada")
    theirs = contact(world, given_name="Sal's", owner="sal")
    # role in any case, stored in the pick list's spelling
    r = ok(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role=" Decision_Maker "))
    assert r.relation.role == b"decision_maker"
    # a from record one may see but not edit: refused, naming no field of another request
    ok(world.do("root", "record_reassign", type="account", id=acme.id, owner="sal"))
    r = status(world.do("vie", "relation_add", from_id=theirs.id, to_id=acme.id, role="billing"), PERMISSION_DENIED)
    assert r.status.field in ("", "relation_add.from_id") and "contact" in r.status.message
    ok(world.do("root", "record_delete", type="contact", id=ada.id))
    r = status(world.do("root", "relation_add", from_id=ada.id, to_id=acme.id, role="billing"), FAILED_PRECONDITION,
               "relation_add.from_id")
    assert "restore" in r.status.message


def test_catalog_texts_name_only_what_exists(world):
    r = ok(world.do("root", "role_list"))
    text = " ".join(x.description for x in r.role_list.roles).lower()
    for missing in ("lead", "deal", "ticket", "campaign", "segment"):
        assert missing not in text, (missing, text)
    comment = su_sql(world.env, world.db, "SELECT obj_description('crm'::regnamespace, 'pg_namespace')")
    assert "reporting schema" not in comment and "accounts" in comment
