"""Access control through crmd: the default permission matrix on notes for
every role and action, the scopes (own, team, sub-teams, managed teams,
all), explicit shares, ids of invisible records, reassigning, and the
administrative requests only admins may make."""

import pytest

from conftest import NOT_FOUND, OK, PERMISSION_DENIED, pb
from identity import (ACTIONS, BY_ROLE, DOC_MATRIX, code_name, doc_scope, make_world, ok, rq,
                      status)


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


# For each role's acting user: a user of the same team and one outside
# every team the role's scopes reach (Support is outside Sales' tree).
TEAMMATE = {"root": "mkt", "mgr": "mkt", "sal": "sal2", "sup": "vie", "mkt": "mgr", "vie": "sup"}
OUTSIDER = {"root": "sup", "mgr": "sup", "sal": "sup", "sup": "mkt", "mkt": "sup", "vie": "mkt"}
KINDS = ("own", "teammate", "outsider")


def covers(scope, kind):
    return {"none": False, "own": kind == "own", "team": kind != "outsider",
            "subteams": kind != "outsider", "all": True}[scope]


def expected_on_record(role, action, kind):
    """What a request acting on one note should get: PERMISSION_DENIED when
    the role lacks the action altogether or can see the note but not act on
    it; NOT_FOUND when it cannot see the note; OK otherwise."""
    scope = doc_scope(role, action)
    if scope == "none":
        return PERMISSION_DENIED
    if covers(scope, kind):
        return OK
    if covers(doc_scope(role, "read"), kind):
        return PERMISSION_DENIED
    return NOT_FOUND


def owner_of(actor, kind):
    return {"own": actor, "teammate": TEAMMATE[actor], "outsider": OUTSIDER[actor]}[kind]


# request (on a note) → (route action, fields(note id, actor, its owner) →
# request fields). A reassign goes to someone else than the owner (to the
# same owner and team it changes nothing).
RECORD_OPS = {
    "record_get": ("read", lambda n, a, o: dict(type="note", id=n)),
    "record_update": ("update", lambda n, a, o: dict(id=n, version=None,
                                                     changes={"note": {"body": "changed"}})),
    "record_delete": ("delete", lambda n, a, o: dict(type="note", id=n)),
    "record_restore": ("delete", lambda n, a, o: dict(type="note", id=n)),
    "record_reassign": ("reassign", lambda n, a, o: dict(
        type="note", id=n, owner=a if o == TEAMMATE[a] else TEAMMATE[a])),
    "record_share": ("update", lambda n, a, o: dict(type="note", id=n, user=TEAMMATE[a],
                                                    access=pb().Access.Value("ACCESS_READ"))),
}


def test_default_matrix_is_the_documented_one(world):
    perms = ok(world.do("vie", "permission_list", record_type="note")).permission_list.permissions
    got = {(p.role, pb().Action.Name(p.action).lower()): pb().Scope.Name(p.scope).lower()
           for p in perms}
    want = {(role, a): DOC_MATRIX[role][i] for role in DOC_MATRIX for i, a in enumerate(ACTIONS)}
    assert got == want


def test_permission_matrix_for_every_role_and_action(world):
    w = world
    mismatches = []

    def check(role, what, resp, want, before=None, after=None):
        got = resp.status.code
        line = (f"{role:9} {what:28} expected {code_name(want):17} got {code_name(got):17} "
                f"{resp.status.message!r}")
        if got != want:
            mismatches.append(line)
        if got != OK and before is not None and before != after:
            mismatches.append(line + " -- but the note changed")
        if got == OK and before is not None and before == after and what.split()[0] != "record_get":
            mismatches.append(line + " -- but the note did not change")

    # Notes for every (role, request, owner kind), made up front.
    notes = {}
    for role, actor in BY_ROLE.items():
        for req in RECORD_OPS:
            for kind in KINDS:
                nid = w.note(owner_of(actor, kind))
                if req == "record_restore":
                    ok(w.do("root", "record_delete", type="note", id=nid))
                notes[role, req, kind] = nid

    for role, actor in BY_ROLE.items():
        c = w.c(actor)
        # Requests on one note.
        for req, (action, fields) in RECORD_OPS.items():
            for kind in KINDS:
                nid = notes[role, req, kind]
                f = fields(nid, actor, owner_of(actor, kind))
                if "version" in f:
                    f["version"] = w.note_row(nid)["version"]
                before = w.note_state(nid)
                r = rq(c, req, **f)
                after = w.note_state(nid)
                want = expected_on_record(role, action, kind)
                check(role, f"{req} ({kind})", r, want, before, after)
                if want == PERMISSION_DENIED and doc_scope(role, action) == "none":
                    # Refused by the matrix before any data: the message
                    # names the action and the record type.
                    if r.status.code == PERMISSION_DENIED and not (
                            action in r.status.message and "note" in r.status.message):
                        mismatches.append(f"{role} {req}: message does not name {action} notes:"
                                          f" {r.status.message!r}")
        # create
        r = rq(c, "record_create", record={"note": {"body": f"created by {actor}"}})
        want = PERMISSION_DENIED if doc_scope(role, "create") == "none" else OK
        check(role, "record_create", r, want)
        if r.status.code == OK:
            row = w.note_row(r.record.note.id)
            if row["owner_id"] != w.uid[actor]:
                mismatches.append(f"{role} record_create: owner {row['owner_id']} is not the creator")
            team_id = w.do("root", "team_get", name=w.team[actor]).team.team_id \
                if w.team[actor] else None
            if row["team_id"] != team_id:
                mismatches.append(f"{role} record_create: team {row['team_id']} is not {team_id}")
        # list and export: the visible ones of the notes given to record_get
        for export in (False, True):
            action = "export" if export else "read"
            r = rq(c, "record_list", type="note", export=export, page=dict(limit=500))
            want = PERMISSION_DENIED if doc_scope(role, action) == "none" else OK
            check(role, f"record_list export={export}", r, want)
            if r.status.code != OK:
                continue
            ids = {n.note.id for n in r.record_list.records}
            assert not r.record_list.next_cursor, "more than 500 notes?"
            for kind in KINDS:
                nid = notes[role, "record_get", kind]
                visible = covers(doc_scope(role, "read"), kind)
                if (nid in ids) != visible:
                    mismatches.append(f"{role} record_list export={export}: {kind} note "
                                      f"{'missing' if visible else 'listed'}")
    assert not mismatches, "permission matrix mismatches:\n" + "\n".join(mismatches)


# --------------------------------------------------------------- scopes

def listed(w, user):
    r = ok(w.do(user, "record_list", type="note", page=dict(limit=500)), f"record_list as {user}")
    return {n.note.id for n in r.record_list.records}


def test_scope_own_sales_sees_only_own_notes(world):
    w = world
    a = ok(w.do("sal", "record_create", record={"note": {"body": "sal's"}})).record.note
    b = ok(w.do("sal2", "record_create", record={"note": {"body": "sal2's"}})).record.note
    assert a.owner == "sal" and a.team == "Sales East"
    assert a.id in listed(w, "sal") and b.id not in listed(w, "sal")
    assert b.id in listed(w, "sal2") and a.id not in listed(w, "sal2")
    status(w.do("sal", "record_get", type="note", id=b.id), NOT_FOUND, "record_get.id")
    ok(w.do("sal", "record_get", type="note", id=a.id))


def test_scope_team_support_and_marketing_see_their_team(world):
    w = world
    vie_note = w.note("vie")        # Support
    sal_note = w.note("sal")        # Sales East
    mgr_note = w.note("mgr")        # Sales
    sup_sees = listed(w, "sup")
    assert vie_note in sup_sees and sal_note not in sup_sees and mgr_note not in sup_sees
    ok(w.do("sup", "record_get", type="note", id=vie_note))
    # Marketing reads its team (Sales) but not the sub-team Sales East.
    mkt_sees = listed(w, "mkt")
    assert mgr_note in mkt_sees
    assert sal_note not in mkt_sees, "team scope reaches into sub-teams"
    status(w.do("mkt", "record_get", type="note", id=sal_note), NOT_FOUND)


def test_scope_subteams_manager_sees_sales_east(world):
    w = world
    sal_note, mkt_note, sup_note = w.note("sal"), w.note("mkt"), w.note("sup")
    seen = listed(w, "mgr")
    assert sal_note in seen and mkt_note in seen and sup_note not in seen
    n = ok(w.do("mgr", "record_get", type="note", id=sal_note)).record.note
    ok(w.do("mgr", "record_update", id=sal_note, version=n.version, changes={"note": {"body": "by the manager"}}))
    status(w.do("mgr", "record_get", type="note", id=sup_note), NOT_FOUND)


def test_manager_of_several_teams_sees_them_all(world):
    w = world
    sup_note = w.note("sup")
    status(w.do("mgr", "record_get", type="note", id=sup_note), NOT_FOUND, what="before managing Support")
    u = ok(w.do("root", "user_update", username="mgr", manages=["Support"]),
           "user_update manages=[Support]").user
    assert list(u.manages) == ["Support"] and u.role == "manager" and u.team == "Sales"
    assert sup_note in listed(w, "mgr")
    n = ok(w.do("mgr", "record_get", type="note", id=sup_note)).record.note
    ok(w.do("mgr", "record_update", id=sup_note, version=n.version, changes={"note": {"body": "managed"}}))
    # Still sees the own tree; a sub-team of a managed team is seen too.
    assert w.note("sal") in listed(w, "mgr")
    ok(w.do("root", "user_update", username="mgr", clear=["manages"]), "clear manages")
    status(w.do("mgr", "record_get", type="note", id=sup_note), NOT_FOUND, what="after clearing manages")


def test_scope_all_viewer_sees_everything(world):
    w = world
    ids = {w.note(u) for u in ("root", "sal", "sup", "mkt", "mgr")}
    assert ids <= listed(w, "vie")
    for nid in ids:
        ok(w.do("vie", "record_get", type="note", id=nid))


def test_explicit_shares_read_and_edit(world):
    w = world
    A = pb().Access
    nid = ok(w.do("sal", "record_create", record={"note": {"body": "to share"}})).record.note.id

    def version():
        return w.note_row(nid)["version"]

    status(w.do("sal2", "record_get", type="note", id=nid), NOT_FOUND, what="before sharing")
    ok(w.do("sal", "record_share", type="note", id=nid, user="sal2", access=A.Value("ACCESS_READ")))
    ok(w.do("sal2", "record_get", type="note", id=nid), "get with a read share")
    assert nid in listed(w, "sal2")
    status(w.do("sal2", "record_update", id=nid, version=version(), changes={"note": {"body": "no"}}),
           PERMISSION_DENIED, what="update with a read share")
    status(w.do("sal2", "record_delete", type="note", id=nid), PERMISSION_DENIED,
           what="delete with a read share")
    assert w.note_row(nid)["body"] == "to share"

    ok(w.do("sal", "record_share", type="note", id=nid, user="sal2", access=A.Value("ACCESS_EDIT")))
    ok(w.do("sal2", "record_update", id=nid, version=version(), changes={"note": {"body": "edited by sal2"}}),
       "update with an edit share")
    assert w.note_row(nid)["body"] == "edited by sal2"
    # An edit share does not let one share further or delete.
    status(w.do("sal2", "record_share", type="note", id=nid, user="sup", access=A.Value("ACCESS_READ")),
           PERMISSION_DENIED, what="re-share with an edit share")
    status(w.do("sal2", "record_delete", type="note", id=nid), PERMISSION_DENIED,
           what="delete with an edit share")

    # Shared with a team.
    status(w.do("sup", "record_get", type="note", id=nid), NOT_FOUND)
    ok(w.do("sal", "record_share", type="note", id=nid, team="Support", access=A.Value("ACCESS_READ")))
    ok(w.do("sup", "record_get", type="note", id=nid), "get with a team share")

    # Revoking.
    ok(w.do("sal", "record_share", type="note", id=nid, user="sal2", revoke=True))
    status(w.do("sal2", "record_get", type="note", id=nid), NOT_FOUND, what="after revoking the share")
    ok(w.do("sal", "record_share", type="note", id=nid, team="Support", revoke=True))
    status(w.do("sup", "record_get", type="note", id=nid), NOT_FOUND, what="after revoking the team share")


def test_guessing_ids_reveals_nothing(world):
    w = world
    hidden = w.note("sup")
    missing = int(w.note("root")) + 100000

    def same(who, req, /, **f):
        r1 = w.do(who, req, id=hidden, **f)
        r2 = w.do(who, req, id=missing, **f)
        for r in (r1, r2):
            status(r, NOT_FOUND, what=f"{who} {req} on an invisible or missing note")
        m1 = r1.status.message.replace(str(hidden), "N")
        m2 = r2.status.message.replace(str(missing), "N")
        assert (m1, r1.status.field) == (m2, r2.status.field), (m1, m2)

    same("sal", "record_get", type="note")
    same("sal", "record_update", version=1, changes={"note": {"body": "x"}})
    same("sal", "record_delete", type="note")
    same("sal", "record_restore", type="note")
    same("sal", "record_share", type="note", user="sal2", access=pb().Access.Value("ACCESS_READ"))
    same("mgr", "record_reassign", type="note", owner="mkt")
    # A deleted invisible note is no different.
    ok(w.do("root", "record_delete", type="note", id=hidden))
    same("sal", "record_restore", type="note")
    same("mgr", "record_restore", type="note")
    assert w.note_row(hidden)["body"].startswith("note of sup")


def test_reassign_moves_the_team_and_stays_within_scope(world):
    w = world
    nid = ok(w.do("mgr", "record_create", record={"note": {"body": "mgr's"}})).record.note.id
    r = status(w.do("mgr", "record_reassign", type="note", id=nid, owner="sup"), PERMISSION_DENIED,
               "record_reassign.owner", "reassign to a user outside the manager's teams")
    assert "sup" in r.status.message
    r = status(w.do("mgr", "record_reassign", type="note", id=nid, owner="mkt", team="Support"),
               PERMISSION_DENIED, what="reassign into a team outside the scope")
    assert w.note_row(nid)["owner_id"] == w.uid["mgr"]
    n = ok(w.do("mgr", "record_reassign", type="note", id=nid, owner="sal")).record.note
    assert (n.owner, n.team) == ("sal", "Sales East"), "the team did not follow the owner"
    n = ok(w.do("mgr", "record_reassign", type="note", id=nid, owner="mkt", team="Sales East")).record.note
    assert (n.owner, n.team) == ("mkt", "Sales East"), "the given team was not kept"
    status(w.do("mgr", "record_reassign", type="note", id=nid, owner="nobody"), NOT_FOUND,
           "record_reassign.owner")
    # Sales may not reassign at all, not even their own notes to themselves.
    own = ok(w.do("sal", "record_create", record={"note": {"body": "sal's"}})).record.note.id
    r = status(w.do("sal", "record_reassign", type="note", id=own, owner="sal2"), PERMISSION_DENIED)
    assert "reassign" in r.status.message and "note" in r.status.message


def test_permission_changes_take_effect(world):
    w = world
    A, S = pb().Action, pb().Scope
    status(w.do("vie", "record_create", record={"note": {"body": "x"}}), PERMISSION_DENIED)
    p = ok(w.do("root", "permission_set", role="viewer", record_type="note",
                action=A.Value("CREATE"), scope=S.Value("OWN"))).permission
    assert (p.role, p.record_type, p.action, p.scope) == ("viewer", "note", A.Value("CREATE"),
                                                          S.Value("OWN"))
    n = ok(w.do("vie", "record_create", record={"note": {"body": "viewer's"}}), "create after the grant").record.note
    assert n.owner == "vie"
    ok(w.do("root", "permission_set", role="sales", record_type="note",
            action=A.Value("READ"), scope=S.Value("NONE")))
    status(w.do("sal", "record_list", type="note"), PERMISSION_DENIED, what="read after the revocation")
    status(w.do("sal", "record_get", type="note", id=n.id), PERMISSION_DENIED)


def test_only_admins_change_users_teams_and_permissions(world):
    w = world
    A, S = pb().Action, pb().Scope
    for user in ("mgr", "sal", "sup", "mkt", "vie"):
        for kind, f in [
            ("user_create", dict(username="x" + user, role="admin", password="p" * 12)),
            ("user_update", dict(username=user, role="admin")),
            ("user_set_active", dict(username="root", active=False)),
            ("user_reset_password", dict(username="root", new_password="q" * 12)),
            ("team_create", dict(name="T" + user)),
            ("team_update", dict(name="Sales", new_name="Mine")),
            ("permission_set", dict(role=w.role[user], record_type="note",
                                    action=A.Value("READ"), scope=S.Value("ALL"))),
        ]:
            r = status(w.do(user, kind, **f), PERMISSION_DENIED, what=f"{user} {kind}")
            assert r.status.message.startswith("permission denied"), r.status.message
        # Everyone reads users, teams, roles and the matrix.
        for kind in ("user_list", "team_list", "role_list", "permission_list"):
            ok(w.do(user, kind), f"{user} {kind}")
        ok(w.do(user, "user_get", username="root"))
    assert ok(w.do("root", "user_get", username="root")).user.role == "admin"
    assert ok(w.do("root", "team_get", name="Sales")).team.name == "Sales"
