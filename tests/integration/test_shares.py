"""Sharing records of any type (RecordShare, ShareList; `crm share`):
a share opens a record its holder's role does not reach, to read or to
edit, for a user or a whole team; whoever may update the record by the
matrix may share it (not the holder of an edit share); a record the caller
cannot see is NOT_FOUND exactly like a missing id; unknown users and teams
and revoking a share that does not exist name their field; every share and
revoke is in the record's own audit trail. Notes are a record type like
the others (`crm share note/ID`).

World (identity.py): sal and sal2 are sales (own scope) in Sales East, sup
is support (read: team) in Support, vie a viewer (read all, update none),
mgr the manager of Sales (subteams)."""

import csv
import io
import json
import os
import re

import pytest

from conftest import INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, exit_code, pb, run_crm
from identity import make_world, ok, status
from records import account, contact, get, ids, page


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def share(w, who, type_, id_, **kw):
    if "access" in kw:
        kw["access"] = pb().Access.Value("ACCESS_" + kw["access"].upper())
    return w.do(who, "record_share", type=type_, id=id_, **kw)


def shares(w, who, type_, id_):
    return w.do(who, "share_list", type=type_, id=id_)


def listed(w, who, type_, id_):
    return id_ in ids(page(w, who, type_, filters=[{"field": "id", "op": "eq",
                                                      "values": [str(id_)]}]), type_)


def access_name(v):
    return pb().Access.Name(v).removeprefix("ACCESS_").lower()


def rows(resp):
    return [(s.user or None, s.team or None, access_name(s.access), s.shared_by or None)
            for s in resp.share_list.shares]


# --------------------------------------------------------------- the protocol

@pytest.mark.parametrize("kind", ["account", "contact"])
def test_share_read_then_edit_then_revoke(world, kind):
    w = world
    make = account if kind == "account" else contact
    rec = make(w, "sal")
    status(get(w, "sal2", kind, rec.id), NOT_FOUND, "record_get.id")
    assert not listed(w, "sal2", kind, rec.id)

    r = ok(share(w, "sal", kind, rec.id, user="sal2", access="read"))
    assert rows(r) == [("sal2", None, "read", "sal")]
    assert r.share_list.shares[0].created_at > 0
    got = getattr(ok(get(w, "sal2", kind, rec.id)).record, kind)
    assert got.id == rec.id
    assert listed(w, "sal2", kind, rec.id)
    # read only: the update is refused, and nothing changed
    change = {"tags": ["shared"]}
    status(w.do("sal2", "record_update", id=rec.id, version=got.version, changes={kind: change}),
           PERMISSION_DENIED)
    # the holder sees the shares too
    assert rows(ok(shares(w, "sal2", kind, rec.id))) == [("sal2", None, "read", "sal")]

    # sharing again changes the access
    r = ok(share(w, "sal", kind, rec.id, user="sal2", access="edit"))
    assert rows(r) == [("sal2", None, "edit", "sal")]
    ok(w.do("sal2", "record_update", id=rec.id, version=got.version, changes={kind: change}))
    # an edit share does not let its holder share further
    status(share(w, "sal2", kind, rec.id, user="sup", access="read"), PERMISSION_DENIED)
    status(get(w, "sup", kind, rec.id), NOT_FOUND, "record_get.id")

    r = ok(share(w, "sal", kind, rec.id, user="sal2", revoke=True))
    assert rows(r) == []
    status(get(w, "sal2", kind, rec.id), NOT_FOUND, "record_get.id")
    assert not listed(w, "sal2", kind, rec.id)
    # revoking again: there is nothing to revoke
    r = status(share(w, "sal", kind, rec.id, user="sal2", revoke=True), NOT_FOUND,
               "record_share.user")
    assert "not shared with user sal2" in r.status.message


def test_team_share(world):
    w = world
    a = account(w, "sal")
    for who in ("sup", "sal2"):
        status(get(w, who, "account", a.id), NOT_FOUND, "record_get.id")
    r = ok(share(w, "sal", "account", a.id, team="Support"))  # read by default
    assert rows(r) == [(None, "Support", "read", "sal")]
    ok(get(w, "sup", "account", a.id))
    assert listed(w, "sup", "account", a.id)
    status(get(w, "sal2", "account", a.id), NOT_FOUND, "record_get.id")  # not in Support
    # users first, then teams
    ok(share(w, "sal", "account", a.id, user="sal2", access="edit"))
    assert rows(ok(shares(w, "sal", "account", a.id))) == [
        ("sal2", None, "edit", "sal"), (None, "Support", "read", "sal")]
    ok(share(w, "sal", "account", a.id, team="support", revoke=True))  # names ignore case
    status(get(w, "sup", "account", a.id), NOT_FOUND, "record_get.id")
    r = status(share(w, "sal", "account", a.id, team="Support", revoke=True), NOT_FOUND,
               "record_share.team")
    assert "Support" in r.status.message


def test_who_may_share(world):
    w = world
    a = account(w, "sal")
    # the manager's update scope (subteams) covers Sales East: may share
    r = ok(share(w, "mgr", "account", a.id, user="sup"))
    assert rows(r) == [("sup", None, "read", "mgr")]
    ok(get(w, "sup", "account", a.id))
    # the viewer sees everything but may update nothing
    ok(get(w, "vie", "account", a.id))
    status(share(w, "vie", "account", a.id, user="sal2"), PERMISSION_DENIED)
    # sup reads it through the share, but may not share it
    r = status(share(w, "sup", "account", a.id, user="sal2"), PERMISSION_DENIED)
    assert "share" in r.status.message
    assert rows(ok(shares(w, "sal", "account", a.id))) == [("sup", None, "read", "mgr")]


def test_invisible_record_is_not_found_like_a_missing_id(world):
    w = world
    a = account(w, "sal")
    missing = a.id + 1000000

    def same(kind, call):
        seen = status(call(a.id), NOT_FOUND, f"{kind}.id")
        gone = status(call(missing), NOT_FOUND, f"{kind}.id")
        assert (seen.status.message.replace(str(a.id), "N")
                == gone.status.message.replace(str(missing), "N")), (seen, gone)

    same("record_share", lambda i: share(w, "sal2", "account", i, user="sup"))
    same("share_list", lambda i: shares(w, "sal2", "account", i))
    # the type is part of the name: an account's id as a contact is not found
    status(shares(w, "sal", "contact", a.id), NOT_FOUND, "share_list.id")


def unknown_type(w, who, kind, **fields):
    """Sends `kind` with type 99, a RecordType value the protocol lacks
    (Python's protobuf refuses to set one: it goes in as an unknown field
    of the parsed bytes and is sent as it came)."""
    cls = getattr(pb(), pb().ClientFrame.DESCRIPTOR.fields_by_name[kind].message_type.name)
    msg = cls()
    msg.ParseFromString(b"\x08\x63" + cls(**fields).SerializeToString())
    return w.c(who).request(**{kind: msg})


def test_bad_input_names_the_field(world):
    w = world
    a = account(w, "sal")
    status(share(w, "sal", "account", a.id, user="nobody"), NOT_FOUND, "record_share.user")
    status(share(w, "sal", "account", a.id, team="No Such Team"), NOT_FOUND, "record_share.team")
    status(unknown_type(w, "sal", "record_share", id=a.id, user=b"sal2"), INVALID_ARGUMENT,
           "record_share.type")
    status(w.do("sal", "record_share", id=a.id, user="sal2"), INVALID_ARGUMENT,
           "record_share.type")
    status(unknown_type(w, "sal", "share_list", id=a.id), INVALID_ARGUMENT, "share_list.type")
    status(share(w, "sal", "account", a.id), INVALID_ARGUMENT, "record_share.user")
    status(share(w, "sal", "account", a.id, user="sal2", team="Support"), INVALID_ARGUMENT,
           "record_share.user")
    status(w.do("sal", "record_share", type="account", user="sal2"), INVALID_ARGUMENT,
           "record_share.id")
    status(share(w, "sal", "account", a.id, user="x" * 300), INVALID_ARGUMENT,
           "record_share.user")
    # nothing was shared on the way
    assert rows(ok(shares(w, "sal", "account", a.id))) == []


def test_deleted_record_cannot_be_shared(world):
    w = world
    a = account(w, "sal")
    ok(w.do("sal", "record_delete", type="account", id=a.id))
    r = status(share(w, "sal", "account", a.id, user="sal2"), 8, "record_share.id")  # FAILED_PRECONDITION
    assert "restore" in r.status.message


def test_share_is_in_the_records_audit_trail(world):
    w = world
    a = account(w, "sal")
    ok(share(w, "sal", "account", a.id, user="sal2"))
    ok(share(w, "sal", "account", a.id, user="sal2", access="edit"))
    ok(share(w, "sal", "account", a.id, user="sal2", revoke=True))
    entries = ok(w.do("sal", "audit_list", record_type="account", record_id=a.id)).audit_list.entries
    changes = [(json.loads(e.old_values or "null"), json.loads(e.new_values or "null"))
               for e in sorted(entries, key=lambda e: e.audit_id)
               if "share" in (e.new_values or "") + (e.old_values or "")]
    sal2 = w.uid["sal2"]
    assert [(o and o["share"]["access"], n and n["share"]["access"]) for o, n in changes] == [
        (None, "read"), ("read", "edit"), ("edit", None)], changes
    assert all((n or o)["share"]["user_id"] == sal2 for o, n in changes)
    assert all(e.username == "sal" for e in entries if "share" in (e.new_values or e.old_values))
    # revoked: the former holder reads neither the record nor its trail
    status(get(w, "sal2", "account", a.id), NOT_FOUND)
    assert not ok(w.do("sal2", "audit_list", record_type="account",
                       record_id=a.id)).audit_list.entries


def test_notes_share_through_the_same_path(world):
    w = world
    nid = w.note("sal")
    ok(w.do("sal", "record_share", type="note", id=nid, user="sal2",
            access=pb().Access.Value("ACCESS_READ")))
    ok(w.do("sal2", "record_get", type="note", id=nid))
    # revoking what is not there is refused for notes too
    status(w.do("sal", "record_share", type="note", id=nid, team="Support", revoke=True),
           NOT_FOUND, "record_share.team")
    ok(w.do("sal", "record_share", type="note", id=nid, user="sal2", revoke=True))
    status(w.do("sal2", "record_get", type="note", id=nid), NOT_FOUND)


# --------------------------------------------------------------- the CLI

def cli(w, user, *args):
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca,
                                   home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args)


def test_cli_share_list_and_revoke(world):
    w = world
    a = account(w, "sal")
    ref = f"account/{a.id}"
    r = cli(w, "sal", "share", ref, "--user", "sal2")
    assert r.rc == 0 and "sal2" in r.out and "read" in r.out, r
    r = cli(w, "sal2", "account", "show", str(a.id))
    assert r.rc == 0 and "Acme" in r.out, r
    # options before or after the command
    r = cli(w, "sal", "--format", "json", "share", ref, "--team", "Support", "--access", "edit")
    assert r.rc == 0, r
    got = json.loads(r.out)
    assert [(s.get("user"), s.get("team"), s["access"], s["shared_by"]) for s in got] == [
        ("sal2", None, "read", "sal"), (None, "Support", "edit", "sal")], got
    r = cli(w, "sal", "share", "list", ref, "--format", "json")
    assert r.rc == 0 and json.loads(r.out) == got, r
    r = cli(w, "sal", "share", "list", ref, "--format", "csv")
    assert r.rc == 0, r
    table = list(csv.DictReader(io.StringIO(r.out)))
    assert [(x["user"], x["team"], x["access"]) for x in table] == [
        ("sal2", "", "read"), ("", "Support", "edit")], r.out
    r = cli(w, "sal", "share", "list", ref)
    assert r.rc == 0 and re.search(r"sal2\s.*read", r.out) and "Support" in r.out, r
    r = cli(w, "sal", "share", ref, "--user", "sal2", "--revoke")
    assert r.rc == 0 and "sal2" not in r.out and "Support" in r.out, r
    r = cli(w, "sal2", "account", "show", str(a.id))
    assert r.rc == exit_code(NOT_FOUND), r
    r = cli(w, "sal", "share", ref, "--user", "sal2", "--revoke")
    assert r.rc == exit_code(NOT_FOUND) and "sal2" in r.err, r


def test_cli_refusals(world):
    w = world
    a = account(w, "sal")
    ref = f"account/{a.id}"
    r = cli(w, "sal", "share", ref, "--user", "nobody")
    assert r.rc == exit_code(NOT_FOUND) and "nobody" in r.err, r
    r = cli(w, "sal", "share", ref, "--team", "Nowhere")
    assert r.rc == exit_code(NOT_FOUND) and "Nowhere" in r.err, r
    r = cli(w, "sal2", "share", ref, "--user", "sup")
    assert r.rc == exit_code(NOT_FOUND), r
    r = cli(w, "vie", "share", ref, "--user", "sup")
    assert r.rc == exit_code(PERMISSION_DENIED), r
    for bad in (["share", "widget/1", "--user", "sal2"], ["share", ref],
                ["share", ref, "--user", "sal2", "--team", "Support"],
                ["share", ref, "--user", "sal2", "--access", "own"],
                ["share", ref, "--user", "sal2", "--revoke", "--access", "edit"],
                ["share", "account", "--user", "sal2"], ["share", "list"],
                ["share", "list", ref, "--user", "sal2"]):
        r = cli(w, "sal", *bad)
        assert r.rc == 2, (bad, r)
    r = cli(w, "sal", "share", "--help")
    assert r.rc == 0 and "share list TYPE/ID" in r.out and "--access" in r.out, r


def test_cli_shares_a_note(world):
    w = world
    nid = w.note("sal")
    r = cli(w, "sal", "share", f"note/{nid}", "--user", "sal2", "--access", "edit")
    assert r.rc == 0 and "shared" in r.out, r
    ok(w.do("sal2", "record_get", type="note", id=nid))
    r = cli(w, "sal", "share", f"note/{nid}", "--user", "sal2", "--revoke")
    assert r.rc == 0, r
    status(w.do("sal2", "record_get", type="note", id=nid), NOT_FOUND)
