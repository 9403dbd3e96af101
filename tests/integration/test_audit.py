"""The audit trail: one row per change, written in the request's own
transaction, with the acting user, request id, client address, record type
and id, action, and the old and new values of the changed fields only; and
audit_list with its filters, pagination, signed cursors and visibility."""

import base64
import json

import pytest

from conftest import INVALID_ARGUMENT, OK, pb
from identity import audit_rows, make_world, ok, password, rq, su_sql

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
        return audit_rows(self.w.env, self.w.db, f"request_id = {rid}")

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
    r, rid = t.run("sal", "note_create", body="first body")
    nid = r.note.note_id
    t.expect(rid, "sal", [("note", nid, "create", None, lambda o, n: (
        eq(o, None), eq(n["body"], "first body"), eq(n["owner_id"], w.uid["sal"]),
        eq(n["version"], 1), eq(n["deleted_at"], None)))], "note_create")

    r, rid = t.run("sal", "note_update", note_id=nid, version=1, body="second body")
    t.expect(rid, "sal", [("note", nid, "update", NOTE_UPD, lambda o, n: (
        eq((o["body"], n["body"]), ("first body", "second body")),
        eq((o["version"], n["version"]), (1, 2))))], "note_update")

    r, rid = t.run("sal", "note_delete", note_id=nid)
    t.expect(rid, "sal", [("note", nid, "delete", NOTE_UPD - {"body"} | {"deleted_at"},
                           lambda o, n: (eq(o["deleted_at"], None), eq(n["deleted_at"] is None,
                                                                       False)))],
             "note_delete")

    r, rid = t.run("sal", "note_restore", note_id=nid)
    t.expect(rid, "sal", [("note", nid, "restore", NOTE_UPD - {"body"} | {"deleted_at"},
                           lambda o, n: eq(n["deleted_at"], None))], "note_restore")

    # the manager moves it within Sales East (team unchanged), then to Sales
    r, rid = t.run("mgr", "note_reassign", note_id=nid, owner="sal2")
    t.expect(rid, "mgr", [("note", nid, "reassign",
                           {"owner_id", "version", "updated_at", "updated_by"},
                           lambda o, n: eq((o["owner_id"], n["owner_id"]),
                                           (w.uid["sal"], w.uid["sal2"])))], "note_reassign")
    r, rid = t.run("mgr", "note_reassign", note_id=nid, owner="mkt")
    t.expect(rid, "mgr", [("note", nid, "reassign", {"owner_id", "team_id", "version",
                                                     "updated_at"}, None)],
             "note_reassign across teams")

    r, rid = t.run("mkt", "note_share", note_id=nid, user="sup", access=A.Value("ACCESS_READ"))
    rows = t.expect(rid, "mkt", [("share", None, ("create", "share"), None, lambda o, n: (
        eq(n["record_type"], "note"), eq(n["record_id"], nid), eq(n["user_id"], w.uid["sup"]),
        eq(n["access"], "read")))], "note_share")
    share_id = rows[0]["record_id"] if rows else None
    r, rid = t.run("mkt", "note_share", note_id=nid, user="sup", access=A.Value("ACCESS_EDIT"))
    t.expect(rid, "mkt", [("share", share_id, "update", {"access"},
                           lambda o, n: eq((o["access"], n["access"]), ("read", "edit")))],
             "note_share upgrade to edit")
    r, rid = t.run("mkt", "note_share", note_id=nid, user="sup", revoke=True)
    t.expect(rid, "mkt", [("share", share_id, ("purge", "unshare", "delete"), None,
                           lambda o, n: eq(n, None))], "note_share revoke")

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
    for who, kind, f in (("sal", "note_update", dict(note_id=nid, version=99, body="x")),
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
    rows = audit_rows(w.env, w.db, "request_id IN (555, 556)")
    sid = ok(rq(c, "session_list")).session_list.sessions[0].session_id
    # A success opens a session (its own row, like every session change)
    # and is audited as a login of the user.
    assert [(r["request_id"], r["record_type"], r["action"], r["record_id"]) for r in rows] == \
        [(555, "user", "login_failed", w.uid["sal"]), (556, "session", "create", sid),
         (556, "user", "login", w.uid["sal"])]
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
    n1 = ok(w.do("sal", "note_create", body="one")).note.note_id
    for i in range(4):
        v = w.note_row(n1)["version"]
        ok(w.do("sal", "note_update", note_id=n1, version=v, body=f"v{i}"))
    mid = db_now_us(w)
    n2 = ok(w.do("sal", "note_create", body="two")).note.note_id
    ok(w.do("mgr", "note_update", note_id=n2, version=1, body="by mgr"))

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
        ok(w.do("sal", "note_create", body=f"n{i}"))
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
    mine = ok(w.do("sal", "note_create", body="mine")).note.note_id
    theirs = ok(w.do("sup", "note_create", body="theirs")).note.note_id
    other_sales = ok(w.do("sal2", "note_create", body="sal2's")).note.note_id
    ok(w.do("sup", "note_update", note_id=theirs, version=1, body="theirs 2"))

    assert entries(w, "sal", record_type="note", record_id=mine)
    assert entries(w, "sal", record_type="note", record_id=theirs) == []
    assert entries(w, "sal", record_type="note", record_id=other_sales) == []
    everything = entries(w, "sal")
    visible_notes = {n.note_id for n in ok(w.do("sal", "note_list", page=dict(limit=500)))
                     .note_list.notes}
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
    ok(w.do("sal2", "note_share", note_id=other_sales, user="sal",
            access=pb().Access.Value("ACCESS_READ")))
    assert entries(w, "sal", record_type="note", record_id=other_sales)

    # The viewer sees the whole trail.
    total = int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit"))
    seen = entries(w, "vie")
    assert len(seen) + 1 >= total  # the viewer's own login may land after the count
    assert entries(w, "vie", record_type="note", record_id=theirs)
    # and other users' actions on users
    assert [x for x in seen if x.record_type == "user" and x.action == "create"]
