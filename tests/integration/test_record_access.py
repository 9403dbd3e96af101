"""Access to accounts and contacts: the permission matrix for every role
and every record request, ids of invisible records (guessed or real)
answered exactly like ids that do not exist, links to invisible records,
reassigning within scope, and PostgreSQL's own enforcement as crm_app on
the business and side tables."""

import pytest

from conftest import NOT_FOUND, OK, PERMISSION_DENIED, pb
from identity import app_sql, doc_scope, make_world, ok, session_sql, status, su_sql
from records import account, contact, flt, get, list_all, page, update
from test_access import OUTSIDER, TEAMMATE, covers, expected_on_record, owner_of


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def ops(type_):
    """request → (action, fields(record, actor))"""
    kind = type_
    return {
        "record_get": ("read", lambda r, a: dict(type=type_, id=r.id)),
        "record_update": ("update", lambda r, a: dict(id=r.id, version=r.version,
                                                       changes={kind: {"description": "changed"}})),
        "record_delete": ("delete", lambda r, a: dict(type=type_, id=r.id)),
        "record_reassign": ("reassign", lambda r, a: dict(type=type_, id=r.id, owner=TEAMMATE[a])),
        "record_purge": ("admin", lambda r, a: dict(type=type_, id=r.id)),
    }


def make(world, type_, owner):
    if type_ == "account":
        return account(world, name=f"of {owner}", owner=owner)
    return contact(world, family_name=f"of {owner}", owner=owner)


@pytest.mark.parametrize("type_", ["account", "contact"])
def test_matrix_for_every_role_and_request(world, type_):
    """Like the notes' matrix test: each role's user against a record of
    their own, of a teammate and of an outsider, for every request."""
    problems = []
    for role, actor in (("manager", "mgr"), ("sales", "sal"), ("support", "sup"),
                        ("marketing", "mkt"), ("viewer", "vie"), ("admin", "root")):
        for kind in ("own", "teammate", "outsider"):
            for req, (action, fields) in ops(type_).items():
                rec = make(world, type_, owner_of(actor, kind))
                want = expected_on_record(role, action, kind)
                if req == "record_reassign" and want == OK:
                    # the new owner (a teammate) must be in the reassign scope
                    want = OK if covers(doc_scope(role, "reassign"), "teammate") else PERMISSION_DENIED
                r = world.do(actor, req, **fields(rec, actor))
                if r.status.code != want:
                    problems.append(f"{role} {req} on {kind}'s {type_}: want {want} got "
                                    f"{r.status.code} {r.status.message}")
        # create: every role with a create scope may create its own
        r = world.do(actor, "record_create", record={type_: {"name": "new"} if type_ == "account"
                                                       else {"family_name": "new"}})
        want = PERMISSION_DENIED if doc_scope(role, "create") == "none" else OK
        if r.status.code != want:
            problems.append(f"{role} create {type_}: want {want} got {r.status.code}")
    assert not problems, "\n".join(problems)


def test_invisible_ids_read_exactly_like_missing_ones(world):
    a = account(world, name="Secret", owner="sup")
    c = contact(world, family_name="Secret", owner="sup")
    missing = 10 ** 14
    for type_, rid in (("account", a.id), ("contact", c.id)):
        for req, fields in (("record_get", dict(type=type_, id=rid)),
                            ("record_delete", dict(type=type_, id=rid)),
                            ("record_restore", dict(type=type_, id=rid)),
                            ("record_update", dict(id=rid, version=1, changes={type_: {"description": "x"}})),
                            ("relation_list", dict(record_id=rid))):
            seen = world.do("sal", req, **fields)
            fields2 = {k: (missing if v == rid else v) for k, v in fields.items()}
            none = world.do("sal", req, **fields2)
            assert seen.status.code == none.status.code == NOT_FOUND, (req, seen.status, none.status)
            assert seen.status.field == none.status.field, req
            assert seen.status.message.replace(str(rid), "N") == none.status.message.replace(str(missing), "N"), req
    # Lists and totals never count them either.
    r = ok(page(world, "sal", "account", total=True))
    assert r.record_list.total == 0 and not r.record_list.records


def test_links_to_invisible_records_are_not_found(world):
    mine = contact(world, family_name="Mine", owner="sal")
    theirs = account(world, name="Theirs", owner="sup")
    own_acct = account(world, name="Own", owner="sal")
    status(world.do("sal", "relation_add", from_id=mine.id, to_id=theirs.id, role="employee"), NOT_FOUND, "relation_add.to_id")
    status(world.do("sal", "relation_add", from_id=theirs.id, to_id=own_acct.id, role="partner"),
           NOT_FOUND, "relation_add.from_id")
    status(update(world, "sal", mine.id, mine.version, "contact", account_id=theirs.id), NOT_FOUND,
           "record_update.changes.contact.account_id")
    status(update(world, "sal", own_acct.id, own_acct.version, "account", parent_id=theirs.id), NOT_FOUND,
           "record_update.changes.account.parent_id")
    # A record one sees but may not edit cannot be linked from.
    seen = account(world, name="Seen", owner="vie")
    status(world.do("vie", "relation_add", from_id=seen.id, to_id=theirs.id, role="partner"), PERMISSION_DENIED)
    r = world.do("mgr", "relation_add", from_id=account(world, name="S", owner="sal").id, to_id=seen.id,
                 role="partner")
    status(r, NOT_FOUND, "relation_add.to_id")  # Support's record is outside the manager's sub-teams
    # Relations of a record are listed only when both ends are visible.
    ok(world.do("root", "relation_add", from_id=mine.id, to_id=theirs.id, role="employee"))
    rels = ok(world.do("sal", "relation_list", record_id=mine.id)).relation_list.relations
    assert [x.to_id for x in rels] == []


def test_reassign_stays_within_scope(world):
    a = account(world, name="Mine", owner="mgr")
    r = ok(world.do("mgr", "record_reassign", type="account", id=a.id, owner="sal"))
    assert (r.record.account.owner, r.record.account.team) == ("sal", "Sales East")
    status(world.do("mgr", "record_reassign", type="account", id=a.id, owner="sup"), PERMISSION_DENIED, "record_reassign.owner")
    status(world.do("sal", "record_reassign", type="account", id=a.id, owner="sal2"), PERMISSION_DENIED)
    status(world.do("mgr", "record_reassign", type="account", id=a.id, owner="ghost"), NOT_FOUND, "record_reassign.owner")


def as_app(w, user, sql):
    return app_sql(w.env, w.db, session_sql(w, user, sql)).stdout.split()


def test_rls_alone_hides_and_protects_records_and_their_side_rows(world):
    own = contact(world, family_name="Own", owner="sal", emails=[{"address": "own@x.example"}], tags=["t"])
    other = contact(world, family_name="Other", owner="sup", emails=[{"address": "other@x.example"}], tags=["t"])
    acc = account(world, name="Other acct", owner="sup", tags=["t"])
    ok(world.do("root", "relation_add", from_id=other.id, to_id=acc.id, role="employee"))
    counts = as_app(world, "sal", "SELECT count(*) FROM crm.contacts; SELECT count(*) FROM crm.contact_emails;"
                                  " SELECT count(*) FROM crm.record_tags; SELECT count(*) FROM crm.relations;"
                                  " SELECT count(*) FROM crm.records WHERE record_type <> 'note';"
                                  " SELECT count(*) FROM crm.accounts;")
    assert counts == ["1", "1", "1", "0", "1", "0"], counts
    out = as_app(world, "sal", "UPDATE crm.contacts SET title = 'x'; DELETE FROM crm.contact_emails;"
                               " DELETE FROM crm.record_tags; UPDATE crm.accounts SET name = 'x';"
                               " DELETE FROM crm.relations;")
    assert out == ["UPDATE", "1", "DELETE", "1", "DELETE", "1", "UPDATE", "0", "DELETE", "0"], out
    assert su_sql(world.env, world.db, f"SELECT count(*) FROM crm.contact_emails WHERE contact_id = {other.id}") == "1"
    # Writing a side row for someone else's record is refused by the policy.
    r = app_sql(world.env, world.db, session_sql(
                world, "sal",
                f"INSERT INTO crm.record_tags (record_id, record_type, tag) VALUES ({acc.id}, 'account', 'pwn');"),
                check=False)
    assert r.returncode != 0 and "row-level security" in r.stderr
    # Without an acting user nothing is visible at all.
    assert as_app(world, None, "SELECT count(*) FROM crm.contacts; SELECT count(*) FROM crm.record_tags;") == ["0", "0"]


def test_app_role_cannot_forge_the_registry_or_the_audit_trail(world):
    a = account(world, name="R")
    for sql in (f"DELETE FROM crm.records WHERE id = {a.id};",
                f"UPDATE crm.records SET record_type = 'contact' WHERE id = {a.id};",
                "INSERT INTO crm.records (id, record_type) VALUES (999999, 'account');",
                "SELECT crm.audit_write('account', 1, 'update', NULL, NULL);",
                "SELECT crm.purge_record('account', 1);"):
        r = app_sql(world.env, world.db, session_sql(world, "sal", sql), check=False)
        assert r.returncode != 0, sql
