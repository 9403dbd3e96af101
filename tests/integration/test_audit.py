"""The audit trail: one row per change, written in the request's own
transaction, with the acting user, request id, client address, record type
and id, action, and the old and new values of the changed fields only; and
audit_list with its filters, pagination, signed cursors and visibility."""

import base64
import json
import os
import re
import subprocess

import pytest

from conftest import INVALID_ARGUMENT, NOT_FOUND, OK, pb
from identity import (app_sql, audit_rows, begin_sql, make_world, ok, password, rq, session_sql, status,
                      su_json, su_sql)
from records import account, as_app_json, contact, update

# Columns never recorded (secrets, noise).
NEVER = {"password_hash", "token_hash", "last_used_at"}


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


class Trail:
    """Runs requests with unique ids and checks the audit rows each wrote."""

    def __init__(self, w):
        self.w = w
        self.problems = []

    def run(self, who, kind, /, conn=None, **fields):
        rid = self.w.rid()
        r = rq(conn or self.w.c(who), kind, frame_id=rid, **fields)
        if r.status.code != OK:
            self.problems.append(f"{kind} {fields}: {pb().Code.Name(r.status.code)} "
                                 f"{r.status.field!r} {r.status.message!r}")
        return r, rid

    def rows(self, rid):
        return audit_rows(self.w.env, self.w.db, f"request_id = {self.w.audit_rid(rid)}")

    def expect(self, rid, who, want, what):
        """`want`: list of (record_type, record_id, action(s), changed keys or
        None for any, check(old, new) or None), matched to rows in order."""
        rows = self.rows(rid)
        if len(rows) != len(want):
            self.problems.append(f"{what}: expected {len(want)} audit row(s), got {len(rows)}: "
                                 + json.dumps([(r['record_type'], r['record_id'], r['action'])
                                               for r in rows]))
            return rows
        for row, (rtype, rec_id, actions, keys, check) in zip(rows, want):
            actions = (actions,) if isinstance(actions, str) else actions
            where = f"{what} [{row['record_type']}/{row['record_id']} {row['action']}]"
            if row["record_type"] != rtype or row["action"] not in actions:
                self.problems.append(f"{where}: expected {rtype} {'|'.join(actions)}")
            if rec_id is not None and row["record_id"] != rec_id:
                self.problems.append(f"{where}: record_id {row['record_id']}, expected {rec_id}")
            if row["username"] != who or row["user_id"] != self.w.uid[who]:
                self.problems.append(f"{where}: acting user {row['username']}/{row['user_id']},"
                                     f" expected {who}")
            if row["client_addr"] != "127.0.0.1":
                self.problems.append(f"{where}: client_addr {row['client_addr']!r}")
            old, new = row["old_values"], row["new_values"]
            for vals in (old, new):
                if vals and NEVER & set(vals):
                    self.problems.append(f"{where}: records {NEVER & set(vals)}")
            if keys is not None:
                got_old = set(old or {})
                got_new = set(new or {})
                if row["action"] != "create" and got_old != set(keys):
                    self.problems.append(f"{where}: old_values keys {sorted(got_old)}, "
                                         f"expected {sorted(keys)}")
                if got_new != set(keys) and not (row["action"] == "create"
                                                 and set(keys) <= got_new):
                    self.problems.append(f"{where}: new_values keys {sorted(got_new)}, "
                                         f"expected {sorted(keys)}")
            if check is not None:
                try:
                    check(old, new)
                except AssertionError as e:
                    self.problems.append(f"{where}: {e}")
        return rows


def eq(a, b):
    assert a == b, f"{a!r} != {b!r}"


def test_every_mutating_request_writes_its_audit_row(world):
    w = world
    t = Trail(w)
    A, S = pb().Access, pb().Scope
    NOTE_UPD = {"body", "version", "updated_at"}

    # ---- notes
    r, rid = t.run("sal", "record_create", record={"note": {"body": "first body"}})
    nid = r.record.note.id
    t.expect(rid, "sal", [("note", nid, "create", None, lambda o, n: (
        eq(o, None), eq(n["body"], "first body"), eq(n["owner_id"], w.uid["sal"]),
        eq(n["version"], 1), eq(n["deleted_at"], None)))], "record_create (note)")

    r, rid = t.run("sal", "record_update", id=nid, version=1,
                   changes={"note": {"body": "second body"}})
    t.expect(rid, "sal", [("note", nid, "update", NOTE_UPD, lambda o, n: (
        eq((o["body"], n["body"]), ("first body", "second body")),
        eq((o["version"], n["version"]), (1, 2))))], "record_update (note)")

    r, rid = t.run("sal", "record_delete", type="note", id=nid)
    t.expect(rid, "sal", [("note", nid, "delete", NOTE_UPD - {"body"} | {"deleted_at"},
                           lambda o, n: (eq(o["deleted_at"], None), eq(n["deleted_at"] is None,
                                                                       False)))],
             "record_delete (note)")

    r, rid = t.run("sal", "record_restore", type="note", id=nid)
    t.expect(rid, "sal", [("note", nid, "restore", NOTE_UPD - {"body"} | {"deleted_at"},
                           lambda o, n: eq(n["deleted_at"], None))], "record_restore (note)")

    # the manager moves it within Sales East (team unchanged), then to Sales
    r, rid = t.run("mgr", "record_reassign", type="note", id=nid, owner="sal2")
    t.expect(rid, "mgr", [("note", nid, "reassign",
                           {"owner_id", "version", "updated_at", "updated_by"},
                           lambda o, n: eq((o["owner_id"], n["owner_id"]),
                                           (w.uid["sal"], w.uid["sal2"])))], "record_reassign (note)")
    r, rid = t.run("mgr", "record_reassign", type="note", id=nid, owner="mkt")
    t.expect(rid, "mgr", [("note", nid, "reassign", {"owner_id", "team_id", "version",
                                                     "updated_at"}, None)],
             "record_reassign (note) across teams")

    # A share is audited as a row of its own (type share) and as an update
    # of the record it opens (key "share"), so the record's history shows it.
    r, rid = t.run("mkt", "record_share", type="note", id=nid, user="sup",
                   access=A.Value("ACCESS_READ"))
    rows = t.expect(rid, "mkt", [
        ("share", None, ("create", "share"), None, lambda o, n: (
            eq(n["record_type"], "note"), eq(n["record_id"], nid), eq(n["user_id"], w.uid["sup"]),
            eq(n["access"], "read"), eq(n["shared_by"], w.uid["mkt"]))),
        ("note", nid, "update", None, lambda o, n: (
            eq(o, None), eq((n["share"]["user_id"], n["share"]["access"]),
                            (w.uid["sup"], "read"))))], "record_share (note)")
    share_id = rows[0]["record_id"] if rows else None
    r, rid = t.run("mkt", "record_share", type="note", id=nid, user="sup",
                   access=A.Value("ACCESS_EDIT"))
    t.expect(rid, "mkt", [("share", share_id, "update", {"access"},
                           lambda o, n: eq((o["access"], n["access"]), ("read", "edit"))),
                          ("note", nid, "update", {"share"},
                           lambda o, n: eq((o["share"]["access"], n["share"]["access"]),
                                           ("read", "edit")))],
             "record_share (note) upgrade to edit")
    r, rid = t.run("mkt", "record_share", type="note", id=nid, user="sup", revoke=True)
    t.expect(rid, "mkt", [("share", share_id, ("purge", "unshare", "delete"), None,
                           lambda o, n: eq(n, None)),
                          ("note", nid, "update", None,
                           lambda o, n: (eq(n, None), eq(o["share"]["user_id"], w.uid["sup"])))],
             "record_share (note) revoke")

    # ---- users
    r, rid = t.run("root", "user_create", username="newbie", role="sales", team="Support",
                   email="newbie@example.com", password=password())
    w.uid["newbie"] = r.user.user_id
    t.expect(rid, "root", [("user", r.user.user_id, "create", None, lambda o, n: (
        eq(n["username"], "newbie"), eq(n["role"], "sales"), eq(n["email"], "newbie@example.com"),
        eq(n["active"], True), eq("password_hash" in n, False)))], "user_create")

    r, rid = t.run("root", "user_update", username="newbie", display_name="New Bie")
    t.expect(rid, "root", [("user", w.uid["newbie"], "update", {"display_name"},
                            lambda o, n: eq((o["display_name"], n["display_name"]),
                                            ("newbie", "New Bie")))], "user_update display_name")

    r, rid = t.run("root", "user_update", username="newbie", role="marketing")
    t.expect(rid, "root", [("user", w.uid["newbie"], "update", {"role"},
                            lambda o, n: eq((o["role"], n["role"]), ("sales", "marketing")))],
             "user_update role")

    r, rid = t.run("root", "user_update", username="mgr", manages=["Support"])
    support = ok(w.do("root", "team_get", name="Support")).team.team_id
    t.expect(rid, "root", [("team_manager", None, "create", None, lambda o, n: (
        eq(n["team_id"], support), eq(n["user_id"], w.uid["mgr"])))], "user_update manages")

    c2 = w.login_new("sal2")
    sid2 = ok(rq(c2, "session_list")).session_list.sessions[0].session_id
    r, rid = t.run("root", "user_set_active", username="sal2", active=False)
    t.expect(rid, "root", [("user", w.uid["sal2"], "disable", {"active"},
                            lambda o, n: eq((o["active"], n["active"]), (True, False))),
                           ("session", sid2, "revoke", {"revoked_at"}, None)],
             "user_set_active false")
    r, rid = t.run("root", "user_set_active", username="sal2", active=True)
    t.expect(rid, "root", [("user", w.uid["sal2"], "enable", {"active"}, None)],
             "user_set_active true")

    # newbie has no session: nothing to revoke
    r, rid = t.run("root", "user_reset_password", username="newbie", new_password=password())
    t.expect(rid, "root", [("user", w.uid["newbie"], "password_reset", None, None)],
             "user_reset_password (no live sessions)")

    # ---- own password: revokes the old sessions, opens a new one
    cs = w.login_new("sup")
    old_sid = ok(rq(cs, "session_list")).session_list.sessions
    new_pw = password()
    r, rid = t.run("sup", "password_change", conn=cs, old_password=w.pw["sup"],
                   new_password=new_pw)
    w.pw["sup"] = new_pw
    want = [("user", w.uid["sup"], "password_change", None, None)]
    want += [("session", s.session_id, "revoke", {"revoked_at"}, None) for s in old_sid]
    want.append(("session", r.login.session_id, "create", None, None))
    rows = t.rows(rid)
    # order within the transaction is not the point: compare as a multiset
    got = sorted((x["record_type"], x["record_id"], x["action"]) for x in rows)
    exp = sorted((a, b, c) for a, b, c, _, _ in want)
    if got != exp:
        t.problems.append(f"password_change: audit rows {got}, expected {exp}")

    # ---- teams
    r, rid = t.run("root", "team_create", name="Field", parent="Sales")
    tid = r.team.team_id
    sales = ok(w.do("root", "team_get", name="Sales")).team.team_id
    t.expect(rid, "root", [("team", tid, "create", None, lambda o, n: (
        eq(n["name"], "Field"), eq(n["parent_id"], sales)))], "team_create")
    r, rid = t.run("root", "team_update", name="Field", new_name="Field Ops")
    t.expect(rid, "root", [("team", tid, "update", {"name"},
                            lambda o, n: eq((o["name"], n["name"]), ("Field", "Field Ops")))],
             "team_update rename")
    r, rid = t.run("root", "team_update", name="Field Ops", parent="Support")
    t.expect(rid, "root", [("team", tid, "update", {"parent_id"},
                            lambda o, n: eq((o["parent_id"], n["parent_id"]), (sales, support)))],
             "team_update move")

    # ---- permissions
    r, rid = t.run("root", "permission_set", role="viewer", record_type="note",
                   action=pb().Action.Value("CREATE"), scope=S.Value("OWN"))
    t.expect(rid, "root", [("permission", None, ("update", "permission_set"), {"scope"},
                            lambda o, n: eq((o["scope"], n["scope"]), ("none", "own")))],
             "permission_set")

    # ---- sessions
    cv = w.login_new("vie")
    vsid = ok(rq(cv, "session_list")).session_list.sessions[0].session_id
    r, rid = t.run("root", "session_revoke", session_id=vsid)
    t.expect(rid, "root", [("session", vsid, "revoke", {"revoked_at"},
                            lambda o, n: (eq(o["revoked_at"], None),
                                          eq(n["revoked_at"] is None, False)))], "session_revoke")
    cm = w.login_new("mkt")
    msid = ok(rq(cm, "session_list")).session_list.sessions
    msid = [s.session_id for s in msid if s.current][0]
    r, rid = t.run("mkt", "logout", conn=cm)
    t.expect(rid, "mkt", [("session", msid, ("revoke", "logout"), {"revoked_at"}, None)],
             "logout")

    # ---- refused requests leave no trace
    before = su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit")
    for who, kind, f in (("sal", "record_update", dict(id=nid, version=99,
                                                       changes={"note": {"body": "x"}})),
                         ("sal", "user_create", dict(username="x", role="admin",
                                                     password=password())),
                         ("root", "team_update", dict(name="Sales", parent="Sales East"))):
        assert rq(w.c(who), kind, **f).status.code != OK
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit") == before, \
        "a refused request wrote audit rows"

    assert not t.problems, "audit problems:\n" + "\n".join(t.problems)


def test_password_reset_audits_once_and_names_session_revocations(world):
    """An admin reset of a user with live sessions: one password_reset row
    for the user, and a revoke row per session."""
    w = world
    t = Trail(w)
    a = w.login_new("sal")
    w.login_new("sal")
    sids = {s.session_id for s in ok(rq(a, "session_list")).session_list.sessions}
    assert len(sids) == 2
    r, rid = t.run("root", "user_reset_password", username="sal", new_password=password())
    t.expect(rid, "root", [("user", w.uid["sal"], "password_reset", None, None)]
             + [("session", s, "revoke", {"revoked_at"}, None) for s in sorted(sids)],
             "user_reset_password with two live sessions")
    assert not t.problems, "\n".join(t.problems)


def test_logins_are_audited_with_request_ids(world):
    w = world
    c = w.connect()
    rq(c, "login", frame_id=555, username="sal", password="wrong-password")
    rq(c, "login", frame_id=556, username="sal", password=w.pw["sal"])
    r555, r556 = w.audit_rid(555), w.audit_rid(556)
    rows = audit_rows(w.env, w.db, f"request_id IN ({r555}, {r556})")
    sid = ok(rq(c, "session_list")).session_list.sessions[0].session_id
    # A success opens a session (its own row, like every session change)
    # and is audited as a login of the user.
    assert [(r["request_id"], r["record_type"], r["action"], r["record_id"]) for r in rows] == \
        [(r555, "user", "login_failed", w.uid["sal"]), (r556, "session", "create", sid),
         (r556, "user", "login", w.uid["sal"])]
    assert all(r["username"] == "sal" for r in rows[1:]), rows
    assert rows[0]["new_values"] == {"username": "sal"}


# --------------------------------------------------------------- audit_list

def entries(w, who, **f):
    f.setdefault("page", dict(limit=500))
    r = ok(w.do(who, "audit_list", **f), f"audit_list {f} as {who}")
    assert not r.audit_list.next_cursor, "more than 500 audit rows?"
    return list(r.audit_list.entries)


def db_now_us(w):
    return int(su_sql(w.env, w.db, "SELECT crm.us(clock_timestamp())"))


def test_audit_list_filters_and_pagination(world):
    w = world
    n1 = ok(w.do("sal", "record_create", record={"note": {"body": "one"}})).record.note.id
    for i in range(4):
        v = w.note_row(n1)["version"]
        ok(w.do("sal", "record_update", id=n1, version=v, changes={"note": {"body": f"v{i}"}}))
    mid = db_now_us(w)
    n2 = ok(w.do("sal", "record_create", record={"note": {"body": "two"}})).record.note.id
    ok(w.do("mgr", "record_update", id=n2, version=1, changes={"note": {"body": "by mgr"}}))

    # --record
    e = entries(w, "root", record_type="note", record_id=n1)
    assert [x.action for x in e] == ["update"] * 4 + ["create"], "not newest first"
    assert all(x.record_id == n1 and x.record_type == "note" for x in e)
    assert [x.audit_id for x in e] == sorted((x.audit_id for x in e), reverse=True)
    db = audit_rows(w.env, w.db, f"record_type = 'note' AND record_id = {n1}")
    assert sorted(x.audit_id for x in e) == [r["id"] for r in db]
    first = e[-1]
    assert json.loads(first.new_values)["body"] == "one" and not first.old_values
    upd = json.loads(e[0].old_values), json.loads(e[0].new_values)
    assert upd[0]["body"] == "v2" and upd[1]["body"] == "v3"
    assert all(x.username == "sal" and x.client_addr == "127.0.0.1" for x in e)

    # --user
    e = entries(w, "root", username="mgr")
    assert e and all(x.username == "mgr" for x in e)
    assert [(x.record_id, x.action) for x in e if x.record_type == "note"] == [(n2, "update")]
    assert {x.audit_id for x in e} == {r["id"] for r in audit_rows(
        w.env, w.db, f"user_id = {w.uid['mgr']}")}

    # --since / --until
    after = entries(w, "root", record_type="note", since=mid)
    before = entries(w, "root", record_type="note", until=mid)
    assert {x.record_id for x in after} == {n2}
    assert n2 not in {x.record_id for x in before} and n1 in {x.record_id for x in before}
    assert all(x.at >= mid for x in after) and all(x.at < mid for x in before)
    assert len(entries(w, "root", username="sal", since=mid, until=mid)) == 0

    # pagination: pages of 2 cover the whole list exactly once
    full = [x.audit_id for x in entries(w, "root", username="sal")]
    assert len(full) >= 6
    got, cursor, pages = [], None, 0
    while True:
        page = dict(limit=2)
        if cursor:
            page["cursor"] = cursor
        r = ok(w.do("root", "audit_list", username="sal", page=page))
        got += [x.audit_id for x in r.audit_list.entries]
        pages += 1
        assert len(r.audit_list.entries) <= 2
        if not r.audit_list.HasField("next_cursor") or not r.audit_list.next_cursor:
            break
        cursor = r.audit_list.next_cursor
        assert pages < 100
    assert got == full
    assert pages == -(-len(full) // 2), (pages, len(full))


def test_audit_list_cursor_tampering_and_reuse(world):
    w = world
    for i in range(3):
        ok(w.do("sal", "record_create", record={"note": {"body": f"n{i}"}}))
    r = ok(w.do("root", "audit_list", username="sal", page=dict(limit=1)))
    cursor = r.audit_list.next_cursor
    assert cursor
    ok(w.do("root", "audit_list", username="sal", page=dict(limit=1, cursor=cursor)))

    def refused(who, cur, what, **f):
        f.setdefault("username", "sal")
        r = w.do(who, "audit_list", page=dict(limit=1, cursor=cur), **f)
        assert (r.status.code, r.status.field) == (INVALID_ARGUMENT, "audit_list.page.cursor"), \
            (what, r.status)
        return r

    raw = bytearray(cursor)
    for pos in (0, len(raw) // 2, len(raw) - 1):
        t = bytearray(raw)
        t[pos] = ord("A") if t[pos] != ord("A") else ord("B")
        refused("root", bytes(t), f"tampered at {pos}")
    refused("root", cursor[:-3], "truncated")
    refused("root", b"garbage", "garbage")
    refused("root", cursor, "other filters", username="mgr")
    refused("vie", cursor, "another user's cursor")

    # Forgeries: well-formed cursors (server/cursor.c's layout: version(1)
    # user_id(8) expires(8) filters_hash(16) key_len(2) key mac(16), in
    # unpadded base64url) with a field changed and the old MAC kept. Only
    # the MAC can tell them from the real one, so each must be refused as
    # altered. The decoding must work: a failure here is a failure.
    def b64(b):
        return base64.urlsafe_b64encode(bytes(b)).rstrip(b"=")

    dec = bytearray(base64.urlsafe_b64decode(cursor + b"=" * (-len(cursor) % 4)))
    klen = dec[33] << 8 | dec[34]
    assert dec[0] == 1 and len(dec) == 35 + klen + 16, "cursor layout changed: update this test"
    assert b64(dec) == cursor, "re-encoding the cursor must give it back (control)"
    forged = {}
    t = bytearray(dec)
    t[35 + klen - 1] ^= 1
    forged["key"] = t
    t = bytearray(dec)
    t[9:17] = (int.from_bytes(dec[9:17], "big") + 365 * 86400).to_bytes(8, "big")
    forged["expiry"] = t
    t = bytearray(dec)
    t[17] ^= 0x80
    forged["filters hash"] = t
    for what, t in forged.items():
        r = refused("root", b64(t), f"forged {what}")
        assert "altered" in r.status.message, (what, r.status)
    vie_cursor = ok(w.do("vie", "audit_list", username="sal", page=dict(limit=1))) \
        .audit_list.next_cursor
    vie_dec = base64.urlsafe_b64decode(vie_cursor + b"=" * (-len(vie_cursor) % 4))
    t = bytearray(dec)
    t[1:9] = vie_dec[1:9]  # root's cursor claiming to be vie's
    assert t[1:9] != dec[1:9]
    r = refused("vie", b64(t), "forged user")
    assert "altered" in r.status.message, r.status
    # the control: the untouched cursor, still good after all that
    ok(w.do("root", "audit_list", username="sal", page=dict(limit=1, cursor=b64(dec))))


def test_audit_visibility_sales_sees_only_visible_records_viewer_sees_all(world):
    w = world
    mine = ok(w.do("sal", "record_create", record={"note": {"body": "mine"}})).record.note.id
    theirs = ok(w.do("sup", "record_create", record={"note": {"body": "theirs"}})).record.note.id
    other_sales = ok(w.do("sal2", "record_create",
                          record={"note": {"body": "sal2's"}})).record.note.id
    ok(w.do("sup", "record_update", id=theirs, version=1, changes={"note": {"body": "theirs 2"}}))

    assert entries(w, "sal", record_type="note", record_id=mine)
    assert entries(w, "sal", record_type="note", record_id=theirs) == []
    assert entries(w, "sal", record_type="note", record_id=other_sales) == []
    everything = entries(w, "sal")
    visible_notes = {n.note.id for n in ok(w.do("sal", "record_list", type="note",
                                                page=dict(limit=500))).record_list.records}
    for x in everything:
        if x.username == "sal":
            continue
        if x.record_type == "note":
            assert x.record_id in visible_notes, f"sal sees history of note {x.record_id}"
        elif x.record_type in ("user", "session"):
            assert x.record_id in (w.uid["sal"],) or x.record_type == "session", \
                f"sal sees {x.record_type} {x.record_id} by {x.username}"
    assert not {x.record_id for x in everything if x.record_type == "note"} & {theirs, other_sales}
    # A share makes the history visible.
    ok(w.do("sal2", "record_share", type="note", id=other_sales, user="sal",
            access=pb().Access.Value("ACCESS_READ")))
    assert entries(w, "sal", record_type="note", record_id=other_sales)

    # The viewer sees the whole trail.
    total = int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit"))
    seen = entries(w, "vie")
    assert len(seen) + 1 >= total  # the viewer's own login may land after the count
    assert entries(w, "vie", record_type="note", record_id=theirs)
    # and other users' actions on users
    assert [x for x in seen if x.record_type == "user" and x.action == "create"]


# --------------------------------------------------------------- who sees what

def all_entries(w, who, limit=7, **f):
    """Every entry `who` may list, following the cursors (small pages, so
    that paging through the merged ways in is exercised)."""
    got, cursor = [], None
    for _ in range(1000):
        page = dict(limit=limit)
        if cursor:
            page["cursor"] = cursor
        r = ok(w.do(who, "audit_list", page=page, **f), f"audit_list as {who}")
        got += list(r.audit_list.entries)
        cursor = r.audit_list.next_cursor
        if not cursor:
            return got
    raise AssertionError("more than 1000 pages")


def old_rule(w, who):
    """The audit ids `who` may read by the rule before the subject columns:
    scope all, or (audit scope not none and) one's own action or a record
    crm.record_visible says one sees, evaluated row by row as crm_app."""
    rows = su_json(w.env, w.db, "SELECT id, user_id, record_type, record_id FROM crm.audit")
    js = json.dumps(rows).replace("'", "''")
    out = as_app_json(w, who, (
        f"SELECT x.id FROM json_to_recordset('{js}') AS x(id bigint, user_id bigint, record_type text,"
        " record_id bigint) WHERE crm.scope_all('audit', 'read') OR (crm.scope_of('audit', 'read') <> 'none'"
        " AND (x.user_id = crm.acting_user() OR crm.record_visible(x.record_type, x.record_id)));\n"))
    return {int(x) for x in out.split()}


def policy_ids(w, who):
    """What the SELECT policy alone lets `who` read of crm.audit, as crm_app."""
    return {int(x) for x in as_app_json(w, who, "SELECT id FROM crm.audit;\n").split()}


def test_audit_list_shows_exactly_the_history_of_what_one_sees(world):
    """Every reader's list (paged through the cursors) and the SELECT policy
    on its own agree with "own actions and records one can see" evaluated
    row by row, after shares, reassignments both ways, relations with an
    invisible end, a purge and changes to users and teams."""
    w = world
    users = ["root", "mgr", "mkt", "sal", "sal2", "sup", "vie"]
    for u in users:
        w.c(u)  # log in first: logins are audit rows too
    mine = ok(w.do("sal", "record_create", record={"note": {"body": "mine"}})).record.note.id
    ok(w.do("sup", "record_create", record={"note": {"body": "support's"}}))
    shared = ok(w.do("sal2", "record_create", record={"note": {"body": "shared"}})).record.note.id
    ok(w.do("sal2", "record_share", type="note", id=shared, user="sal",
            access=pb().Access.Value("ACCESS_READ")))
    ok(w.do("sal", "record_update", id=mine, version=1, changes={"note": {"body": "mine 2"}}))
    own = account(w, name="Own", owner="sal")
    theirs = account(w, name="Support's", owner="sup")
    came = account(w, name="Came", owner="sal2")
    ok(update(w, "sal2", came.id, came.version, "account", website="https://came.example"))
    ok(w.do("root", "record_reassign", type="account", id=came.id, owner="sal"))
    went = account(w, name="Went", owner="sal")
    ok(update(w, "sal", went.id, went.version, "account", website="https://went.example"))
    ok(w.do("root", "record_reassign", type="account", id=went.id, owner="sup"))
    c = contact(w, family_name="Rel", owner="sal")
    ok(w.do("root", "relation_add", from_id=c.id, to_id=own.id, role="employee"))
    ok(w.do("root", "relation_add", from_id=c.id, to_id=theirs.id, role="employee"))
    gone = account(w, name="Gone", owner="sal")
    ok(update(w, "sal", gone.id, gone.version, "account", website="https://gone.example"))
    ok(w.do("root", "record_purge", type="account", id=gone.id))
    ok(w.do("root", "user_update", username="sal", display_name="Sal Es"))
    ok(w.do("root", "user_update", username="sup", display_name="Sup Port"))
    ok(w.do("root", "team_create", name="Field"))
    problems = []
    for u in users:
        want = old_rule(w, u)
        got = [x.audit_id for x in all_entries(w, u)]
        if got != sorted(got, reverse=True) or len(got) != len(set(got)):
            problems.append(f"{u}: not newest first, or repeated: {got}")
        if set(got) != want:
            problems.append(f"{u}: audit_list extra {sorted(set(got) - want)}, missing {sorted(want - set(got))}")
        pol = policy_ids(w, u)
        if pol != want:
            problems.append(f"{u}: policy extra {sorted(pol - want)}, missing {sorted(want - pol)}")
    # one user's actions (audit list --user): exactly those of the above
    who_did = {x["id"]: x["user_id"] for x in su_json(w.env, w.db, "SELECT id, user_id FROM crm.audit")}
    for u in users:
        want = old_rule(w, u)
        for v in ("root", "mgr", "sal", "sal2", "sup"):
            got = [x.audit_id for x in all_entries(w, u, username=v)]
            mine_ = sorted((i for i in want if who_did.get(i) == w.uid[v]), reverse=True)
            if got != mine_:
                problems.append(f"{u} --user {v}: got {got}, want {mine_}")
    # crm.audit_scoped_ids reads its ranges as the owner (the policy then
    # checks the page's rows once): called by crm_app on its own, it still
    # answers exactly the ids the reader may read, by the same rule as the
    # policy, never one more (relations to an invisible account, records
    # reassigned away or purged); with a --user, exactly that user's.
    big = 1000000
    for u in users:
        if as_app_json(w, u, "SELECT crm.scope_of('audit', 'read');\n").split() == ["all"]:
            continue  # crm.audit_list reads the trail directly for these
        want = old_rule(w, u)
        got = [int(x) for x in as_app_json(
            w, u, f"SELECT unnest(crm.audit_scoped_ids(NULL, NULL, NULL, NULL, {big}, NULL));\n").split()]
        if set(got) != want or len(got) != len(set(got)):
            problems.append(f"{u}: crm.audit_scoped_ids extra {sorted(set(got) - want)},"
                            f" missing {sorted(want - set(got))}")
        for v in ("root", "sal", "sup"):
            got = [int(x) for x in as_app_json(
                w, u, f"SELECT unnest(crm.audit_scoped_ids(NULL, NULL, NULL, NULL, {big}, {w.uid[v]}));\n").split()]
            mine_ = {i for i in want if who_did.get(i) == w.uid[v]}
            if set(got) != mine_:
                problems.append(f"{u}: crm.audit_scoped_ids --user {v} extra {sorted(set(got) - mine_)},"
                                f" missing {sorted(mine_ - set(got))}")
    # and without a request's context, nothing
    r = app_sql(w.env, w.db, "SELECT cardinality(crm.audit_scoped_ids(NULL, NULL, NULL, NULL, 50, NULL));\n")
    if r.stdout.split() != ["0"]:
        problems.append(f"crm.audit_scoped_ids without a context: {r.stdout!r}")
    assert not problems, "\n".join(problems)
    # and the cases themselves, for sal
    seen = {(x.record_type, x.record_id) for x in all_entries(w, "sal")}
    assert ("note", shared) in seen and ("account", came.id) in seen
    assert ("account", theirs.id) not in seen
    went_rows = [x for x in all_entries(w, "sal", record_type="account", record_id=went.id)]
    assert went_rows and all(x.username == "sal" for x in went_rows), "only sal's own actions on Went"
    rels = {x.record_id for x in all_entries(w, "sal", record_type="relation")}
    assert len(rels) == 1, "the relation to an invisible account stays hidden"


def test_audit_list_refuses_unknown_types_and_times_out_of_range(world):
    w = world
    r = w.do("sal", "audit_list", record_type="deal", record_id=1)
    assert (r.status.code, r.status.field) == (INVALID_ARGUMENT, "audit_list.record_type"), r.status
    assert "deal" in r.status.message and "account" in r.status.message
    for f in ("since", "until"):
        r = w.do("sal", "audit_list", **{f: 9_000_000_000_000_000_000})
        assert (r.status.code, r.status.field) == (INVALID_ARGUMENT, f"audit_list.{f}"), r.status
    ok(w.do("sal", "audit_list", record_type="account"))
    ok(w.do("sal", "audit_list", record_type="team_manager"))
    status(w.do("sal", "audit_list", username="ghost"), NOT_FOUND, "audit_list.username")


def test_audit_entries_name_users_and_teams_and_show_money(world):
    w = world
    a = account(w, name="Money", owner="sal")
    a = ok(update(w, "root", a.id, a.version, "account",
                  annual_revenue=dict(amount="1250000", currency="EUR"))).record.account
    a = ok(update(w, "root", a.id, a.version, "account",
                  annual_revenue=dict(amount="99.5", currency="EUR"))).record.account
    # the account's currency changes later: the change before stays in euros
    a = ok(update(w, "root", a.id, a.version, "account",
                  annual_revenue=dict(amount="99.5", currency="USD"))).record.account
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="mgr"))
    ok(w.do("root", "user_update", username="sal", team="Support"))
    e = entries(w, "root", record_type="account", record_id=a.id)
    by = {}
    for x in e:  # newest first: keep the newest of each action
        by.setdefault(x.action, x)
    assert by["reassign"].user_id == w.uid["root"]
    old, new = json.loads(by["reassign"].old_shown), json.loads(by["reassign"].new_shown)
    assert old["owner_id"] == f"{w.uid['sal']} (sal)" and new["owner_id"] == f"{w.uid['mgr']} (mgr)"
    assert re.fullmatch(r"\d+ \(Sales East\)", old["team_id"]), old
    assert re.fullmatch(r"\d+ \(Sales\)", new["team_id"]), new
    # raw values stay as they were recorded
    assert json.loads(by["reassign"].new_values)["owner_id"] == w.uid["mgr"]
    money = [x for x in e if x.action == "update" and "annual_revenue" in json.loads(x.new_values)]
    assert len(money) == 2
    first, second = money[1], money[0]
    assert json.loads(first.new_shown) == {"annual_revenue": "1250000.00 EUR"}, first.new_shown
    assert "annual_revenue_currency" in json.loads(first.new_values)
    # only the amount changed: the currency is the one the account's history
    # last recorded (EUR), not the account's now (USD)
    assert json.loads(second.old_shown) == {"annual_revenue": "1250000.00 EUR"}, second.old_shown
    assert json.loads(second.new_shown) == {"annual_revenue": "99.50 EUR"}, second.new_shown
    cur = [x for x in e if x.action == "update" and "annual_revenue_currency" in json.loads(x.new_values)
           and "annual_revenue" not in json.loads(x.new_values)]
    assert [json.loads(x.new_shown) for x in cur] == [{"annual_revenue_currency": "USD"}], cur
    u = entries(w, "root", record_type="user", record_id=w.uid["sal"])
    upd = [x for x in u if x.action == "update"][0]
    assert upd.record_name == "sal"
    assert re.fullmatch(r"\d+ \(Support\)", json.loads(upd.new_shown)["team_id"]), upd.new_shown
    t = entries(w, "root", record_type="team")
    assert {x.record_name for x in t} >= {"Sales", "Sales East", "Support"}


def test_money_of_any_type_is_shown_as_money_by_its_field_facts(world):
    """Which values are money is the field facts' word (crm.standard_fields,
    kind money: columns NAME and NAME_currency) when the change is
    written, whatever the type: a contact given a money field here reads
    as money in its audit trail from then on, and a change of the amount
    alone takes the currency its history last recorded. What a row shows
    is worked out when it is written: a fact added later does not restyle
    the rows before it."""
    w = world
    c = contact(w, family_name="Budget")
    su_sql(w.env, w.db, f"""
ALTER TABLE crm.contacts ADD COLUMN budget numeric, ADD COLUMN budget_currency text;
UPDATE crm.contacts SET budget = 1500, budget_currency = 'JPY' WHERE id = {c.id};
INSERT INTO crm.standard_fields (record_type, name, label, kind, position)
    VALUES ('contact', 'budget', 'Budget', 'money', 99);
UPDATE crm.contacts SET budget = 2500 WHERE id = {c.id};
UPDATE crm.contacts SET budget_currency = 'USD', budget = 30.5 WHERE id = {c.id};""")
    e = entries(w, "root", record_type="contact", record_id=c.id)
    rows = [x for x in reversed(e) if "budget" in json.loads(x.new_values)]
    assert len(rows) == 3, [x.new_values for x in e]
    assert [(json.loads(x.old_shown or "null"), json.loads(x.new_shown or "null")) for x in rows] == [
        # before the fact: a number and a code, as recorded (nothing shown differently)
        (None, None),
        ({"budget": "1500 JPY"}, {"budget": "2500 JPY"}),
        ({"budget": "2500 JPY"}, {"budget": "30.50 USD"}),
    ]


def test_audit_rows_show_names_as_they_were_when_written(world):
    """An audit row shows the names of the users and teams it names as they
    were when it was written (what a field history shows), while
    record_name is the user's or team's name now."""
    w = world
    ok(w.do("root", "team_create", name="Kestrel"))
    a = account(w, name="Named", owner="sal")
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="mgr", team="Kestrel"))
    ok(w.do("root", "team_update", name="Kestrel", new_name="Falcon 隼"))
    ok(w.do("root", "user_update", username="mgr", display_name="Renamed"))
    e = entries(w, "root", record_type="account", record_id=a.id)
    re_row = [x for x in e if x.action == "reassign"][0]
    assert re.fullmatch(r"\d+ \(Kestrel\)", json.loads(re_row.new_shown)["team_id"]), re_row.new_shown
    t = [x for x in entries(w, "root", record_type="team") if x.action == "update"]
    assert t and t[0].record_name == "Falcon 隼"
    assert json.loads(t[0].new_values)["name"] == "Falcon 隼"


def test_the_migration_shows_rows_written_before_it_as_the_trigger_does(world):
    """sql/0026 worked out old_shown and new_shown for the rows already in
    the trail: run again over rows whose columns were cleared, it gives
    back what the trigger wrote, for every row of this world (names,
    teams, money of several currencies, a change of the amount alone)."""
    w = world
    a = account(w, name="Backfill", owner="sal")
    for amount, cur in (("1250000", "EUR"), ("99.5", "EUR"), ("7", "JPY")):
        a = ok(update(w, "root", a.id, a.version, "account",
                      annual_revenue=dict(amount=amount, currency=cur))).record.account
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="mgr"))
    snap = "SELECT id, old_shown, new_shown FROM crm.audit ORDER BY id"
    before = su_json(w.env, w.db, snap)
    assert sum(1 for r in before if r["new_shown"]) >= 10, before
    su_sql(w.env, w.db, "ALTER TABLE crm.audit DISABLE TRIGGER USER;"
                        " UPDATE crm.audit SET old_shown = NULL, new_shown = NULL;"
                        " ALTER TABLE crm.audit ENABLE TRIGGER USER")
    path = os.path.join(os.path.dirname(__file__), "..", "..", "sql", "0026_audit_shown.sql")
    with open(path) as f:
        w.env.pg.sql(f.read(), db=w.db, user="crm_owner")
    assert su_json(w.env, w.db, snap) == before
    # and the trail's guard is back on
    with pytest.raises(Exception):
        w.env.pg.sql("UPDATE crm.audit SET new_shown = '{}' WHERE id = (SELECT max(id) FROM crm.audit)",
                     db=w.db, user="crm_owner")


# --------------------------------------------------------------- plans

BULK_AUDIT = """
SET session_replication_role = replica;  -- a bulk load of records: no triggers
INSERT INTO crm.records (id, record_type) SELECT g, 'account' FROM generate_series(3000001, 3010000) g;
CREATE TEMP TABLE o AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, team_id FROM crm.users
    WHERE active AND username <> 'sal';
INSERT INTO crm.accounts (id, owner_id, team_id, name, created_at, updated_at)
SELECT g, CASE WHEN g % 200 = 0 THEN {sal} ELSE o.id END,
       CASE WHEN g % 200 = 0 THEN {sal_team} ELSE o.team_id END, 'Bulk ' || g, now(), now()
FROM generate_series(3000001, 3010000) g JOIN o ON o.n = g % (SELECT count(*) FROM o);
SET session_replication_role = origin;
-- their history, through the audit table's own triggers: five rows each
INSERT INTO crm.audit (user_id, username, record_type, record_id, action, new_values)
SELECT a.owner_id, 'bulk', 'account', a.id, 'update', jsonb_build_object('website', 'https://' || k || '.example')
FROM crm.accounts a, generate_series(1, 5) k WHERE a.id > 3000000 ORDER BY k, a.id;
ANALYZE;
"""


def rq_sql_as(w, who, sql):
    """`sql` as crm_app in a request of `who`: (rc, stdout, stderr)."""
    r = app_sql(w.env, w.db, session_sql(w, who, sql))
    return r.returncode, r.stdout.strip(), r.stderr


def traced(w, who, sql):
    """Runs `sql` as crm_app acting for `who` (generic plans, as crmd's
    connections), with every statement's plan logged with actual row
    counts (auto_explain, nested statements included) and function calls
    counted. Returns (plans, {function: calls})."""
    pg = w.env.pg
    w.c(who)  # logged in: its session's token starts the transaction
    script = (
        "LOAD 'auto_explain';\n"
        "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;\n"
        "SET auto_explain.log_nested_statements = on; SET auto_explain.log_timing = off;\n"
        "SET track_functions = 'all'; SET plan_cache_mode = force_generic_plan;\n"
        # as if every plan were expensive enough to compile: a page's plans never are
        "SET jit_above_cost = 0;\n"
        "SET ROLE crm_app;\n"
        "BEGIN;\n"
        # the acting user as crmd establishes it: from the session's token
        + begin_sql(w.tokens[who]) +
        "SET client_min_messages = log;\n"
        f"{sql};\n"
        "SET client_min_messages = notice;\n"
        "SELECT funcname || '=' || calls FROM pg_stat_xact_user_functions;\n"
        "COMMIT;\n")
    r = subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", w.db, "-f", "-"],
                       input=script, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    calls = {}
    for line in r.stdout.split():
        if "=" in line:
            k, v = line.split("=", 1)
            calls[k] = calls.get(k, 0) + int(v)
    return r.stderr, calls


def audit_scans(plans):
    """[(kind, index, rows looked at)] of every scan of crm.audit in the
    plans: rows returned plus rows removed by a filter, over all loops."""
    out = []
    lines = plans.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"(Seq Scan|Index Scan Backward|Index Scan|Index Only Scan|Bitmap Heap Scan)"
                      r"(?: using (\w+))? on audit .*rows=(\d+) loops=(\d+)", line)
        if not m:
            continue
        rows, loops = int(m.group(3)), int(m.group(4))
        removed = 0
        for nxt in lines[i + 1:i + 8]:
            if "->" in nxt:
                break
            r = re.search(r"Rows Removed by Filter: (\d+)", nxt)
            if r:
                removed += int(r.group(1))
        out.append((m.group(1), m.group(2), (rows + removed) * loops))
    return out


def policy_once(plans, what):
    """The trail's policy is applied once, to the page's rows, and not to
    each index range of crm.audit_scoped_ids: under crm_app every range
    carried its own copy of the policy and its initial plans (up to six
    definer calls each, most of a sales user's page beyond an admin's).
    The policy is recognised by its relation clause (crm.record_visible);
    the ranges' own test (crm.audit_readable, inlined) names
    crm.audit_relation_readable instead. And the page's rows that have
    nothing shown differently skip crm.audit_out's subquery that shows it."""
    out = []
    blocks = plans.split("Query Text: ")[1:]
    ids = [b for b in blocks if b.startswith("ARRAY(")]
    page = [b for b in blocks if b.startswith("SELECT o.* FROM crm.audit_out")]
    if len(ids) != 1 or len(page) != 1:
        return [f"{what}: expected one ids query and one page query, got {len(ids)} and {len(page)}:\n{plans}"]
    if "record_visible" in ids[0] or ids[0].count("InitPlan") > 1 or "audit_relation_readable" not in ids[0]:
        out.append(f"{what}: the ids query applies the policy per range, or not its own test:\n{ids[0]}")
    if "record_visible" not in page[0]:
        out.append(f"{what}: the page's rows are read without the trail's policy:\n{page[0]}")
    # Nearly all rows of these pages (changes of a website) hold no key
    # crm.audit_out shows differently: the subquery that would show them
    # (the row type's money fields, then every key) is not run for them.
    # The keys of every type are read once a statement; crm.standard_fields
    # was read once per row (51 times a page).
    scans = [int(x) for x in re.findall(r"on standard_fields \w+ .*loops=(\d+)\)", page[0])]
    if max(scans, default=0) > 5:
        out.append(f"{what}: crm.standard_fields read for rows with nothing to show ({scans} loops):\n{page[0]}")
    return out


def test_a_sales_users_and_a_managers_page_read_a_page_not_the_trail(world):
    """50,000 audit rows of 10,000 accounts, of which sal owns 50: the
    first page and a later one, for sal (own) and mgr (sub-teams), are read
    through indexes, look at no more than a few hundred rows, never call
    crm.record_visible row by row (the policy before 0007 did, on every row
    it walked past), and are never JIT-compiled (at a million rows the
    generic plan's estimate passed jit_above_cost: 400-850 ms a page).
    The same holds for one user's actions (audit list --user sup): sup
    made thousands of changes, to records neither sal nor mgr can see, and
    reading them all to find none visible was the cost before 0011.
    And for a role that reads a type whole (its audit scope not all): one
    index range per such type, whatever the number of types (the types and
    scopes come from the registry and crm.action_scopes)."""
    w = world
    w.c("sal")  # logged in before the bulk: its login rows are older
    sal_team = su_sql(w.env, w.db, f"SELECT team_id FROM crm.users WHERE id = {w.uid['sal']}")
    su_sql(w.env, w.db, BULK_AUDIT.format(sal=w.uid["sal"], sal_team=sal_team))
    before = su_sql(w.env, w.db, "SELECT max(id) - 20000 FROM crm.audit")
    assert int(su_sql(w.env, w.db, f"SELECT count(*) FROM crm.audit WHERE user_id = {w.uid['sup']}")) > 3000
    problems = []
    for who in ("sal", "mgr"):
        for cursor, user in (("NULL", "NULL"), (before, "NULL"), ("NULL", "'sup'"), (before, "'sup'")):
            sql = f"SELECT count(*) FROM crm.audit_list(NULL, NULL, {user}, NULL, NULL, {cursor}, 50)"
            plans, calls = traced(w, who, sql)
            scans = audit_scans(plans)
            what = f"{who}, before {cursor}, user {user}"
            if not scans:
                problems.append(f"{what}: no scan of crm.audit in the plans:\n{plans}")
            for kind, index, looked in scans:
                if kind not in ("Index Scan", "Index Scan Backward"):
                    problems.append(f"{what}: {kind} on audit:\n{plans}")
            looked = sum(x[2] for x in scans)
            if looked > 600:
                problems.append(f"{what}: looked at {looked} audit rows for a page of 50:\n{plans}")
            # (the test's own outer statement is planned outside crmd's functions)
            inner = [b for b in plans.split("Query Text: ")[1:] if not b.startswith(sql)]
            if any("JIT:" in b for b in inner):
                problems.append(f"{what}: a plan was compiled (JIT) for a page of 50:\n{plans}")
            if calls.get("record_visible", 0) > 0:
                problems.append(f"{what}: crm.record_visible called {calls['record_visible']} times")
            # sal's scope of reading the trail: once in crm.audit_list, once
            # in the policy's initial plans (scope all and "not none" were
            # two); nothing else on sal's first page asks for a scope
            if (who, cursor, user) == ("sal", "NULL", "NULL") and calls.get("scope_of", 0) > 2:
                problems.append(f"{what}: crm.scope_of called {calls['scope_of']} times for a page")
            problems += policy_once(plans, what)
    assert not problems, "\n".join(problems)
    # and the page itself is right: the newest history of sal's accounts
    r = ok(w.do("sal", "audit_list", page=dict(limit=50)))
    want = su_json(w.env, w.db, "SELECT a.id FROM crm.audit a JOIN crm.accounts x ON x.id = a.record_id"
                                f" WHERE a.record_type = 'account' AND x.owner_id = {w.uid['sal']}"
                                " ORDER BY a.id DESC LIMIT 50")
    assert [x.audit_id for x in r.audit_list.entries] == [x["id"] for x in want]
    # A type read whole without scope all on the trail (marketing given
    # scope all on reading accounts): its rows are one index range of the
    # type, read newest first, as many as a page needs; and the page is
    # what row-level security lets mkt read, newest first.
    su_sql(w.env, w.db, "UPDATE crm.permissions SET scope = 'all'"
                        " WHERE role = 'marketing' AND record_type = 'account' AND action = 'read'")
    for cursor in ("NULL", before):
        sql = f"SELECT count(*) FROM crm.audit_list(NULL, NULL, NULL, NULL, NULL, {cursor}, 50)"
        plans, calls = traced(w, "mkt", sql)
        scans = audit_scans(plans)
        what = f"mkt, account read whole, before {cursor}"
        if not any(index == "audit_subject_type_idx" for _, index, _ in scans):
            problems.append(f"{what}: no range of the type read whole:\n{plans}")
        for kind, index, looked in scans:
            if kind not in ("Index Scan", "Index Scan Backward"):
                problems.append(f"{what}: {kind} on audit:\n{plans}")
        looked = sum(x[2] for x in scans)
        if looked > 600:
            problems.append(f"{what}: looked at {looked} audit rows for a page of 50:\n{plans}")
        if calls.get("record_visible", 0) > 0:
            problems.append(f"{what}: crm.record_visible called {calls['record_visible']} times")
        rc, page, err = rq_sql_as(w, "mkt", f"SELECT audit_id FROM crm.audit_list(NULL, NULL, NULL, NULL, NULL, {cursor}, 50);")
        rc, truth, err = rq_sql_as(w, "mkt", f"SELECT id FROM crm.audit WHERE id < coalesce({cursor}, 9223372036854775807)"
                                             " ORDER BY id DESC LIMIT 51;")
        if len(truth.split()) != 51 or page.split() != truth.split():
            problems.append(f"{what}: page {page.split()[:5]}..., row-level security {truth.split()[:5]}...")
    assert not problems, "\n".join(problems)


def test_the_scoped_page_is_not_planned_again_on_every_call(world):
    """A sales user's pages under PostgreSQL's default plan_cache_mode (any
    client but crmd, whose connections force generic plans): from the
    sixth call on, crm.audit_scoped_ids runs its merged query's generic
    plan, which names the acting user as a parameter. Its custom plan is
    estimated far cheaper (the scopes folded in), so without the
    function's own setting PostgreSQL planned the query again on every
    call: seven ranges, each with the policy's initplans, about half of a
    page's PostgreSQL time."""
    w = world
    pg = w.env.pg
    w.c("sal")
    page = "SELECT count(*) FROM crm.audit_list(NULL, NULL, NULL, NULL, NULL, NULL, 50);\n"
    script = (
        "LOAD 'auto_explain';\n"
        "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;\n"
        "SET plan_cache_mode = auto;\n"
        "SET ROLE crm_app;\n"
        + "".join("BEGIN;\n" + begin_sql(w.tokens["sal"]) + "SET client_min_messages = log;\n" + page
                  + "SET client_min_messages = notice;\nCOMMIT;\n" for _ in range(8)))
    r = subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", w.db, "-f", "-"],
                       input=script, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ids = [b for b in r.stderr.split("Query Text: ")[1:] if b.startswith("ARRAY(")]
    assert len(ids) == 8, r.stderr
    sal = w.uid["sal"]
    for n, plan in enumerate(ids[5:], 6):
        conds = re.findall(r"Index Cond: \(\(user_id >= ([^)]*)\)", plan)
        assert conds, f"call {n}: no range of sal's own actions:\n{plan}"
        assert all(c.startswith("$") for c in conds), \
            f"call {n}: the acting user ({sal}) planned in, a custom plan:\n{plan}"


# --------------------------------------------------------------- the CLI

def crm_as(w, user, tmp_path, *args, fmt=None):
    from conftest import run_crm
    env = {"CRM_SESSION_FILE": str(tmp_path / f"session-{user}"), "COLUMNS": "200"}
    common = dict(server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=str(tmp_path), env=env)
    if not os.path.exists(env["CRM_SESSION_FILE"]):
        r = run_crm("login", user, "--password-stdin", input=w.pw[user] + "\n", **common)
        assert r.rc == 0, r
    pre = ("--format", fmt) if fmt else ()
    return run_crm(*pre, *args, **common)


def test_crm_audit_list_all_names_money_and_narrow_changes(world, tmp_path):
    w = world
    a = account(w, name="Wide", owner="sal", description="x" * 300)
    ok(update(w, "root", a.id, a.version, "account", annual_revenue=dict(amount="1250000", currency="EUR")))
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="sal2"))
    for i in range(4):
        ok(w.do("root", "record_create", record={"note": {"body": f"n{i}"}}))
    # --all follows the cursors: pages of 2 give every entry once
    r = crm_as(w, "root", tmp_path, "audit", "list", "--all", "--limit", "2", fmt="json")
    assert r.rc == 0, r
    every = json.loads(r.out)
    total = int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit"))
    assert len(every) == total and len({e["audit_id"] for e in every}) == total, (len(every), total)
    assert "next page" not in r.err
    r = crm_as(w, "root", tmp_path, "audit", "list", "--limit", "2", fmt="json")
    assert len(json.loads(r.out)) == 2 and "next page:" in r.err, r
    # the table: names beside ids, money as money, changes cut at 60 columns
    r = crm_as(w, "root", tmp_path, "audit", "list", "--record", f"account/{a.id}")
    assert r.rc == 0, r
    assert f"owner_id: {w.uid['sal']} (sal) → {w.uid['sal2']} (sal2)" in r.out, r.out
    assert "1250000.00 EUR" in r.out, r.out
    assert "x" * 61 not in r.out and "…" in r.out
    widths = {len(line) for line in r.out.splitlines()}
    assert max(widths) < 200, r.out
    # JSON keeps what was recorded, with the acting user's id
    j = json.loads(crm_as(w, "root", tmp_path, "audit", "list", "--record", f"account/{a.id}",
                          fmt="json").out)
    re_ = next(e for e in j if e["action"] == "reassign")
    assert re_["new_values"]["owner_id"] == w.uid["sal2"] and re_["user_id"] == w.uid["root"]
    u = json.loads(crm_as(w, "root", tmp_path, "audit", "list", "--record", f"user/{w.uid['sal']}",
                          fmt="json").out)
    assert u and all(e["record_name"] == "sal" for e in u)
