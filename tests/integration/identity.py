"""Helpers for the identity, access and audit tests (test_identity.py,
test_access.py, test_rls.py, test_audit.py): an admin made with
`crmd create-admin`, logins, a small organisation of teams and users, typed
requests, and SQL as the application role or the superuser.

The organisation every test starts from (make_world):

    root   admin      (no team)        made by `crmd create-admin`
    mgr    manager    Sales
    mkt    marketing  Sales
    sal    sales      Sales East       (Sales East is a sub-team of Sales)
    sal2   sales      Sales East
    sup    support    Support
    vie    viewer     Support

The template database's own admin (conftest's ADMIN_USER), if there is one,
is disabled so that root is the only active admin. Passwords are hashed at
a tiny argon2id cost (SMALL) so that the suite stays fast; one test in
test_identity.py runs at production cost.
"""

import json
import re
import os
import subprocess
import time

import conftest
from conftest import OK, Conn, pb

SMALL = {"password_hash_memory": "64", "password_hash_iterations": "1"}

ROLES = ("admin", "manager", "sales", "support", "marketing", "viewer")

# username → (role, team); root is made separately by create-admin.
PEOPLE = {
    "mgr": ("manager", "Sales"),
    "mkt": ("marketing", "Sales"),
    "sal": ("sales", "Sales East"),
    "sal2": ("sales", "Sales East"),
    "sup": ("support", "Support"),
    "vie": ("viewer", "Support"),
}
# The user acting for each role in the permission matrix.
BY_ROLE = {"admin": "root", "manager": "mgr", "sales": "sal", "support": "sup",
           "marketing": "mkt", "viewer": "vie"}

# The default matrix for notes, as docs/security.md states it.
ACTIONS = ("read", "create", "update", "delete", "export", "reassign", "admin")
DOC_MATRIX = {
    "admin": ("all", "all", "all", "all", "all", "all", "all"),
    "manager": ("subteams", "subteams", "subteams", "subteams", "subteams", "subteams", "none"),
    "sales": ("own", "own", "own", "own", "own", "none", "none"),
    "support": ("team", "own", "own", "none", "none", "none", "none"),
    "marketing": ("team", "own", "own", "own", "team", "none", "none"),
    "viewer": ("all", "none", "none", "none", "none", "none", "none"),
}


def doc_scope(role, action):
    return DOC_MATRIX[role][ACTIONS.index(action)]


def code_name(code):
    return pb().Code.Name(code)


def password():
    return "pw-" + os.urandom(10).hex()


# --------------------------------------------------------------- requests

_REQ_CLASS = {"whoami": "WhoAmI"}


def message(kind, **fields):
    """The request message for ClientFrame field `kind` ("record_create"),
    with str values turned into bytes where the field is bytes and dicts
    into nested messages (page=dict(limit=2))."""
    p = pb()
    fd = p.ClientFrame.DESCRIPTOR.fields_by_name[kind]
    return _build(fd.message_type, fields)


def _build(desc, fields):
    p = pb()
    cls = getattr(p, desc.name)
    out = {}
    meta = desc.fields_by_name.get("meta")
    if meta is not None and meta.message_type is not None and meta.message_type.name == "RecordMeta":
        # a record's shared fields (id, tags, custom, ...) are given flat,
        # as in the JSON; they belong to its meta (RecordMeta)
        shared = {k: fields[k] for k in fields if k in meta.message_type.fields_by_name}
        fields = {k: v for k, v in fields.items() if k not in shared}
        shared = {k: v for k, v in shared.items() if v is not None}
        if shared:
            fields["meta"] = {**(fields.get("meta") or {}), **shared}
    for k, v in fields.items():
        if v is None:
            continue
        f = desc.fields_by_name[k]
        if f.message_type is not None and isinstance(v, dict):
            v = _build(f.message_type, v)
        elif f.message_type is not None and isinstance(v, (list, tuple)):
            v = [_build(f.message_type, x) if isinstance(x, dict) else x for x in v]
        elif f.enum_type is not None and isinstance(v, str):
            names = f.enum_type.values_by_name
            full = f"{_enum_prefix(f.enum_type.name)}{v.upper()}"
            v = names[full].number if full in names else names[v].number
        elif f.type == f.TYPE_BYTES:
            if isinstance(v, (list, tuple)):
                v = [x.encode() if isinstance(x, str) else x for x in v]
            elif isinstance(v, str):
                v = v.encode()
        out[k] = v
    return cls(**out)


def _enum_prefix(name):
    """RecordType → RECORD_TYPE_ (the protocol's enum value prefix)."""
    out = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name))
    return out.upper() + "_"


def rq(conn, kind, frame_id=None, key=None, timeout=None, **fields):
    """Sends one request and returns the Response."""
    return conn.request(timeout=timeout, id=frame_id, key=key, **{kind: message(kind, **fields)})


def ok(resp, what=""):
    assert resp.status.code == OK, (
        f"{what}: expected OK, got {code_name(resp.status.code)} "
        f"field={resp.status.field!r} message={resp.status.message!r}")
    return resp


def status(resp, code, field=None, what=""):
    """Asserts the response's status code (and field, when given)."""
    got = (code_name(resp.status.code), resp.status.field, resp.status.message)
    assert resp.status.code == code, f"{what}: expected {code_name(code)}, got {got}"
    if field is not None:
        assert resp.status.field == field, f"{what}: expected field {field!r}, got {got}"
    return resp


def login(conn, user, pw):
    """Logs `conn` in and returns the session token."""
    r = conn.request(login=pb().Login(username=user.encode(), password=pw.encode()))
    ok(r, f"login {user}")
    assert r.login.token, r
    conn.token = r.login.token
    return r.login.token


def resume(conn, token):
    return conn.request(resume=pb().Resume(token=token.encode()))


# --------------------------------------------------------------- admin and SQL

def create_admin(crmd, username, pw):
    """`crmd create-admin --config FILE USERNAME` with the password on stdin."""
    r = subprocess.run([conftest.CRMD, "create-admin", "--config", crmd.config_path, username],
                       input=pw + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"create-admin failed ({r.returncode}): {r.stdout} {r.stderr}"
    return r


def psql(env, db, sql, role="crm_app", check=True):
    """Runs `sql` (statements separated by ;, one psql session, autocommit)
    over TCP as `role` with its password; returns the CompletedProcess.
    Output is unaligned and tuples-only, command tags included."""
    r = subprocess.run([os.path.join(env.pg.bindir, "psql"), "-X", "-A", "-t",
                        "-v", "ON_ERROR_STOP=1", "-d", env.pg.conninfo(db, role), "-f", "-"],
                       input=sql, capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, f"psql as {role} failed: {r.stderr}\nSQL: {sql}"
    return r


def app_sql(env, db, sql, check=True):
    return psql(env, db, sql, "crm_app", check)


def begin_sql(token, request_id=1, addr="127.0.0.1", hashed=False):
    """The prologue crmd opens every transaction with, as psql lines:
    crm.begin_request with the raw session token (None: no session).
    hashed: pass SHA-256(token) instead, as crmd did before sql/0005 (so
    that these tests can be run against the older schema to show what was
    open there)."""
    tok = "NULL" if token is None else f"convert_to('{token}', 'UTF8')"
    if hashed and token is not None:
        tok = f"sha256({tok})"
    return (f"SELECT count(*) AS i FROM crm.begin_request({tok}, '{request_id}', '{addr}', '30000',"
            f" NULL, NULL) \\gset\n")


def token_hashed(w):
    """Whether this database's crm.begin_request still takes a token hash
    (schemas before sql/0005)."""
    if getattr(w, "_token_hashed", None) is None:
        w._token_hashed = su_sql(w.env, w.db, "SELECT proargnames[1] = 'p_token_hash' FROM pg_proc"
                                              " WHERE oid = 'crm.begin_request'::regproc") == "t"
    return w._token_hashed


def session_sql(w, user, sql):
    """`sql` wrapped in one transaction that starts as crmd's do: with
    crm.begin_request for `user`'s live session (logged in through crmd
    if need be). user "": begin_request without a token; None: no
    begin_request at all. Command tags of the wrapper are not printed."""
    if user is None:
        return sql
    token = None
    if user != "":
        w.c(user)
        token = w.tokens[user]
    return ("\\set QUIET on\nBEGIN;\n" + begin_sql(token, hashed=token_hashed(w))
            + "\\set QUIET off\n" + sql + "\n\\set QUIET on\nCOMMIT;\n\\set QUIET off\n")


def su_sql(env, db, sql):
    """SQL as the superuser (bypasses RLS): the fixture's view of the truth."""
    return env.pg.sql(sql, db=db)


def su_json(env, db, query):
    """Rows of `query` as a list of dicts (via json_agg), as the superuser."""
    out = su_sql(env, db, f"SELECT coalesce(json_agg(q), '[]') FROM ({query}) q")
    return json.loads(out)


def audit_rows(env, db, where):
    """crm.audit rows matching a WHERE clause, oldest first, as dicts."""
    return su_json(env, db, f"SELECT id, user_id, username, request_id, client_addr, record_type,"
                            f" record_id, action, old_values, new_values, old_shown, new_shown FROM crm.audit"
                            f" WHERE {where} ORDER BY id")


# --------------------------------------------------------------- the world

class World:
    """A crmd (small argon2 cost) on this test's database with root, two
    team trees and one user per role (see the module docstring)."""

    def __init__(self, env, db, crmd):
        self.env = env
        self.db = db
        self.crmd = crmd
        self.pw = {}
        self.uid = {}
        self.role = {"root": "admin"}
        self.team = {"root": None}
        self.tokens = {}
        self._conns = {}
        self._used = {}  # user: when its connection was last taken
        self._next_id = 1 << 40

    # -- connections
    def connect(self, crmd=None):
        """A fresh connection that said hello but did not log in."""
        c = crmd or self.crmd
        return Conn(c.port, c.ca)

    def login_new(self, user, crmd=None):
        """A fresh connection with a fresh session of `user`."""
        c = self.connect(crmd)
        self.tokens[user] = login(c, user, self.pw[user])
        return c

    def c(self, user):
        """A cached connection logged in as `user` (one session per user)."""
        conn = self._conns.get(user)
        # crmd closes a connection idle for its idle_timeout (60 s in the
        # fixtures): one a module's later test takes up after a slow
        # stretch is resumed on a new connection instead
        if conn is not None and time.monotonic() - self._used.get(user, 0) > 30:
            conn.close()
            conn = None
        if conn is None or conn.closed:
            conn = self.connect()
            token = self.tokens.get(user)
            if token is None or resume(conn, token).status.code != OK:
                self.tokens[user] = login(conn, user, self.pw[user])
            self._conns[user] = conn
        self._used[user] = time.monotonic()
        return conn

    def forget(self, user):
        conn = self._conns.pop(user, None)
        if conn is not None:
            conn.close()
        self.tokens.pop(user, None)

    def rid(self):
        """A frame id unique in this test (see audit_rid)."""
        self._next_id += 1
        return self._next_id

    def audit_rid(self, frame_id, crmd=None):
        """The request id crmd gave the request sent with `frame_id`: its
        log line says `req=<frame id> rid=<request id>`, and its audit rows
        carry the request id."""
        line = (crmd or self.crmd).wait_log(rf"\breq={frame_id} rid=\d+ ")
        return int(re.search(r"\brid=(\d+) ", line).group(1))

    def do(self, who, kind, /, **fields):
        return rq(self.c(who), kind, **fields)

    # -- records
    def add_user(self, username, role, team=None, pw=None, as_user="root", **extra):
        pw = pw or password()
        r = ok(self.do(as_user, "user_create", username=username, role=role, team=team,
                       password=pw, **extra), f"user_create {username}")
        self.pw[username] = pw
        self.uid[username] = r.user.user_id
        self.role[username] = role
        self.team[username] = team
        return r.user

    def note(self, owner, body=None):
        """A note owned by `owner` (in owner's team): root writes it and,
        for anyone else, reassigns it. Returns the note id."""
        body = body or f"note of {owner} {os.urandom(4).hex()}"
        r = ok(self.do("root", "record_create", record={"note": {"body": body}}), "record_create")
        nid = r.record.note.meta.id
        if owner != "root":
            ok(self.do("root", "record_reassign", type="RECORD_TYPE_NOTE", id=nid, owner=owner),
               "record_reassign")
        return nid

    def note_row(self, nid):
        rows = su_json(self.env, self.db, f"SELECT * FROM crm.notes WHERE id = {int(nid)}")
        return rows[0] if rows else None

    def note_state(self, nid):
        """The note's row and its shares, to tell whether a request changed it."""
        shares = su_json(self.env, self.db, f"SELECT user_id, team_id, access FROM crm.shares"
                                            f" WHERE record_type = 'note' AND record_id = {int(nid)}"
                                            f" ORDER BY id")
        return self.note_row(nid), shares


def make_world(env, crmd_factory, **overrides):
    """Starts a crmd with the small argon2 cost (plus `overrides`) on this
    test's database and creates root, the teams and the users."""
    cfg = dict(SMALL)
    cfg.update(overrides)
    crmd = crmd_factory(start=False, **cfg)
    w = World(env, crmd.db, crmd)
    w.pw["root"] = password()
    create_admin(crmd, "root", w.pw["root"])
    crmd.start()
    w.uid["root"] = ok(w.do("root", "whoami"), "whoami").user.user_id
    # Only root is an active admin (the template may hold one of its own).
    tmpl_admin = getattr(conftest, "ADMIN_USER", "admin")
    r = w.do("root", "user_get", username=tmpl_admin)
    if r.status.code == OK and r.user.active:
        ok(w.do("root", "user_set_active", username=tmpl_admin, active=False),
           "disable the template's admin")
    ok(w.do("root", "team_create", name="Sales"), "team Sales")
    ok(w.do("root", "team_create", name="Sales East", parent="Sales"), "team Sales East")
    ok(w.do("root", "team_create", name="Support"), "team Support")
    for name, (role, team) in PEOPLE.items():
        w.add_user(name, role, team)
    return w
