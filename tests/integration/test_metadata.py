"""Metadata for clients (issue 11): RecordTypeList lists the record types
the user may read, with labels and the actions the user's role allows;
FieldList carries the facts a client builds its views from (the crm
option, help, longest value, multi-line, the type an id field references,
read-only, personal), stored in crm.standard_fields. Through crmd and
through `crm type list` / `crm field list`."""

import json
import os

import pytest

from conftest import UNAUTHENTICATED, pb, run_crm
from identity import make_world, ok, su_json


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def types(w, who):
    r = ok(w.do(who, "record_type_list"), f"record_type_list as {who}")
    A = pb().Action
    return {t.name: (t.label, t.plural_label, [A.Name(a).lower() for a in t.actions])
            for t in r.record_type_list.types}


def test_type_list_follows_the_permission_matrix(world):
    t = types(world, "root")
    assert t["account"] == ("Account", "Accounts",
                            ["read", "create", "update", "delete", "export", "reassign", "admin"])
    assert t["contact"][:2] == ("Contact", "Contacts")
    # Administrative types (no table) are not record types a client lists.
    assert not {"user", "team", "field", "relation", "audit"} & set(t)
    # A viewer reads and does nothing else.
    v = types(world, "vie")
    assert v["account"][2] == ["read"] and v["contact"][2] == ["read"]
    # A role that may not read contacts does not see the type; its other
    # actions follow the matrix as the admin sets it.
    ok(world.do("root", "permission_set", role="viewer", record_type="contact", action="READ",
                scope="NONE"), "viewer may not read contacts")
    ok(world.do("root", "permission_set", role="viewer", record_type="account", action="EXPORT",
                scope="OWN"), "viewer may export own accounts")
    v = types(world, "vie")
    assert "contact" not in v
    assert v["account"][2] == ["read", "export"]
    # What crmd answers is what the matrix says, for every role.
    for who in ("mgr", "sal", "sup", "mkt"):
        got = types(world, who)
        role = {"mgr": "manager", "sal": "sales", "sup": "support", "mkt": "marketing"}[who]
        rows = su_json(world.env, world.db,
                       f"SELECT record_type, action FROM crm.permissions WHERE role = '{role}'"
                       " AND scope <> 'none' AND record_type IN ('account', 'contact')")
        for name in ("account", "contact"):
            want = {r["action"] for r in rows if r["record_type"] == name}
            assert set(got.get(name, ("", "", []))[2]) == want, (who, name)


def test_type_list_needs_a_session(world):
    from identity import rq
    r = rq(world.connect(), "record_type_list")
    assert r.status.code == UNAUTHENTICATED, r


def fields(w, who, type_):
    r = ok(w.do(who, "field_list", record_type=type_), f"field_list {type_}")
    return {f.name.decode(): f for f in r.field_list.fields}


def test_field_facts_of_standard_fields(world):
    RT = pb().RecordType
    a = fields(world, "sal", "account")
    assert a["legal_name"].cli_option == "legal-name" and a["legal_name"].max_length == 255
    assert a["legal_name"].personal and not a["legal_name"].read_only
    assert a["description"].multi_line and a["description"].max_length == 32768
    assert not a["name"].multi_line and a["name"].help
    assert a["parent_id"].references == RT.Value("RECORD_TYPE_ACCOUNT")
    assert a["parent_id"].cli_option == "parent"
    assert not a["name"].HasField("references")
    assert a["id"].read_only and a["owner"].read_only and a["updated_at"].read_only
    assert not a["id"].HasField("cli_option")
    assert not a["type"].personal and a["type"].cli_option == "type"
    assert a["country"].cli_option == "billing-country"
    # existing facts stay
    assert a["name"].sortable and a["name"].filterable and a["name"].label == b"Name"
    c = fields(world, "sal", "contact")
    assert c["account_id"].references == RT.Value("RECORD_TYPE_ACCOUNT")
    assert c["display_name"].read_only and c["display_name"].personal
    assert c["given_name"].cli_option == "given-name" and c["birthday"].personal
    assert c["do_not_contact"].cli_option == "do-not-contact" and not c["do_not_contact"].personal
    # Every standard field of both types has help and agrees with the table.
    rows = su_json(world.env, world.db, "SELECT record_type, name, cli_option, read_only, personal,"
                   " help FROM crm.standard_fields WHERE record_type IN ('account', 'contact')")
    for r in rows:
        f = (a if r["record_type"] == "account" else c)[r["name"]]
        assert r["help"], r
        assert f.help == r["help"] and f.read_only == r["read_only"] and f.personal == r["personal"]
        assert (f.cli_option if f.HasField("cli_option") else None) == r["cli_option"]


def test_custom_fields_have_the_facts_too(world):
    ok(world.do("root", "field_add", field=dict(record_type="account", name="score", kind="number")))
    f = fields(world, "sal", "account")["score"]
    assert not f.standard and not f.read_only and not f.personal and not f.multi_line
    assert f.filterable


def cli(w, user, *args):
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args)


def test_cli_type_list_and_field_facts(world):
    r = cli(world, "root", "--format", "json", "type", "list")
    assert r.rc == 0, r
    got = {t["name"]: t for t in json.loads(r.out)}
    assert got["account"]["label"] == "Account" and got["account"]["plural_label"] == "Accounts"
    assert "export" in got["contact"]["actions"]
    r = cli(world, "vie", "--format", "csv", "type", "list")
    assert r.rc == 0 and "account" in r.out and "read" in r.out and "create" not in r.out, r
    r = cli(world, "vie", "type", "list")
    assert r.rc == 0 and "Accounts" in r.out, r
    r = cli(world, "root", "--format", "json", "field", "list", "contact")
    assert r.rc == 0, r
    f = {x["name"]: x for x in json.loads(r.out)}
    assert f["account_id"]["references"] == "account" and f["account_id"]["cli_option"] == "account"
    assert f["description"]["multi_line"] is True and f["description"]["max_length"] == 32768
    assert f["id"]["read_only"] is True and f["given_name"]["personal"] is True
    assert f["given_name"]["help"].startswith("The given name")
    # The table stays readable: no help column.
    r = cli(world, "root", "field", "list", "contact")
    assert r.rc == 0 and "The given name" not in r.out and "display_name" in r.out, r
    r = cli(world, "root", "type", "list", "extra")
    assert r.rc != 0
