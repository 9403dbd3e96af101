"""The `crm` CLI's identity commands end to end, against a real crmd over
TLS with a throwaway PostgreSQL (the integration fixtures, see conftest.py):
login and the session file, logout, whoami, passwd, users, teams, roles,
permissions, sessions, the audit trail and the note commands; plus the C
program test_client_session (libcrmclient's resume and frame limits)."""

import csv
import io
import json
import os
import stat
import subprocess

import pytest

from conftest import fixtures

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_DENIED, EXIT_UNAUTH, EXIT_CONFLICT = 3, 4, 6, 7, 8
ADMIN = fixtures.ADMIN_USER


class Cli:
    """Runs `crm` against one crmd with its own session file."""

    def __init__(self, crmd, session_file):
        self.crmd = crmd
        self.session_file = str(session_file)

    def __call__(self, *args, input=None, session_file=None, fmt=None):
        pre = ("--format", fmt) if fmt else ()
        return fixtures.run_crm(*pre, *args, input=input,
                                server=f"127.0.0.1:{self.crmd.port}", ca=self.crmd.ca,
                                home=self.crmd.env.base,
                                env={"CRM_SESSION_FILE": session_file or self.session_file})

    def json(self, *args, **kw):
        r = self(*args, fmt="json", **kw)
        assert r.rc == 0, r
        return json.loads(r.out)

    def login(self, user, password, **kw):
        r = self("login", user, "--password-stdin", input=password + "\n", **kw)
        assert r.rc == 0, r
        return r


@pytest.fixture
def cli(crmd, tmp_path):
    c = Cli(crmd, tmp_path / "cfg" / "session")
    c.login(ADMIN, crmd.env.admin_password)
    return c


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --------------------------------------------------------------- the library

def test_library_resumes_sessions_and_follows_frame_limits(crmd):
    exe = os.path.join(fixtures.BUILD_DIR, "tests", "client", "test_client_session")
    assert os.path.exists(exe), f"{exe} is not built"
    env = dict(os.environ, CRM_TEST_SERVER=f"127.0.0.1:{crmd.port}", CRM_TEST_CA=crmd.ca,
               CRM_TEST_USER=ADMIN, CRM_TEST_PASSWORD=crmd.env.admin_password)
    r = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}"


# --------------------------------------------------------------- login, session file

def test_login_writes_a_private_session_file(crmd, tmp_path):
    c = Cli(crmd, tmp_path / "new" / "crm" / "session")
    r = c("whoami")
    assert r.rc == EXIT_UNAUTH and "login" in r.err, r
    c.login(ADMIN, crmd.env.admin_password)
    assert mode(c.session_file) == 0o600
    assert mode(os.path.dirname(c.session_file)) == 0o700
    text = open(c.session_file).read()
    assert f"server = 127.0.0.1:{crmd.port}" in text and "token = " in text
    me = c.json("whoami")
    assert me["username"] == ADMIN and me["role"] == "admin"
    assert isinstance(me["session_id"], int) and me["expires_at"]
    assert "token" not in me


def test_login_failures(crmd, tmp_path):
    c = Cli(crmd, tmp_path / "session")
    r = c("login", ADMIN, "--password-stdin", input="wrong password\n")
    assert r.rc == EXIT_UNAUTH, r
    assert not os.path.exists(c.session_file)
    r = c("login", ADMIN)  # stdin is not a terminal, no --password-stdin
    assert r.rc == 2 and "--password-stdin" in r.err, r
    r = c("login", ADMIN, "--password-stdin", input="")
    assert r.rc == 2, r
    assert crmd.env.admin_password not in crmd.log()


def test_session_file_readable_by_others_is_refused(cli):
    os.chmod(cli.session_file, 0o644)
    r = cli("whoami")
    assert r.rc == 1, r
    assert f"chmod 600 {cli.session_file}" in r.err and "readable" in r.err, r
    os.chmod(cli.session_file, 0o620)
    r = cli("whoami")
    assert r.rc == 1 and "writable" in r.err, r
    os.chmod(cli.session_file, 0o600)
    assert cli("whoami").rc == 0


def test_token_for_another_server_is_not_sent(cli):
    text = open(cli.session_file).read()
    port = cli.crmd.port
    with open(cli.session_file, "w") as f:
        f.write(text.replace(f"127.0.0.1:{port}", f"localhost:{port}"))
    r = cli("whoami")
    assert r.rc == EXIT_UNAUTH, r
    assert f"localhost:{port}" in r.err and "crm login" in r.err, r


def test_revoked_session_says_log_in_again(cli, tmp_path):
    other = Cli(cli.crmd, tmp_path / "other")
    other.login(ADMIN, cli.crmd.env.admin_password)
    sid = other.json("whoami")["session_id"]
    r = cli("session", "revoke", str(sid))
    assert r.rc == 0, r
    r = other("whoami")
    assert r.rc == EXIT_UNAUTH and "session expired or revoked: run `crm login`" in r.err, r
    # revoking one's own session logs out here too
    mine = cli.json("whoami")["session_id"]
    assert cli("session", "revoke", str(mine)).rc == 0
    assert not os.path.exists(cli.session_file)


def test_logout(cli):
    r = cli("logout")
    assert r.rc == 0, r
    assert not os.path.exists(cli.session_file)
    r = cli("logout")
    assert r.rc == 0 and "not logged in" in r.out, r
    assert cli("whoami").rc == EXIT_UNAUTH


def test_passwd_keeps_this_session_and_ends_the_others(cli, tmp_path):
    pw = "first-pass-" + os.urandom(4).hex()
    r = cli("user", "add", "pat", "--role", "sales", "--password-stdin", input=pw + "\n")
    assert r.rc == 0, r
    pat = Cli(cli.crmd, tmp_path / "pat")
    pat.login("pat", pw)
    second = Cli(cli.crmd, tmp_path / "pat2")
    second.login("pat", pw)
    r = pat("passwd", "--password-stdin", input="wrong-old-password\nsecond-pass-123\n")
    assert r.rc == EXIT_INVALID, r
    r = pat("passwd", "--password-stdin", input=f"{pw}\nsecond-pass-123\n")
    assert r.rc == 0, r
    assert pat.json("whoami")["username"] == "pat"  # the new token was stored
    assert mode(pat.session_file) == 0o600
    assert second("whoami").rc == EXIT_UNAUTH
    r = second("login", "pat", "--password-stdin", input=pw + "\n")
    assert r.rc == EXIT_UNAUTH, r
    second.login("pat", "second-pass-123")
    assert "second-pass-123" not in cli.crmd.log()


# --------------------------------------------------------------- users, teams

def test_users_and_teams(cli, tmp_path):
    assert cli("team", "add", "Sales").rc == 0
    assert cli("team", "add", "Sales East", "--parent", "Sales").rc == 0
    assert cli("team", "add", "Support").rc == 0
    teams = {t["name"]: t for t in cli.json("team", "list")}
    assert teams["Sales East"]["parent"] == "Sales"
    assert teams["Sales East"]["path"] == "Sales / Sales East"

    r = cli("user", "add", "alice", "--role", "sales", "--team", "Sales East", "--email",
            "a@example.org", "--display-name", "Alice A", "--password-stdin",
            input="alice-password-1\n")
    assert r.rc == 0, r
    r = cli("user", "add", "bob", "--role", "support", "--team", "Support")
    assert r.rc == 0 and "no password" in r.err, r  # no terminal, no --password-stdin
    r = cli("user", "add", "carol")
    assert r.rc == 2 and "--role" in r.err, r
    r = cli("user", "add", "alice", "--role", "sales")
    assert r.rc == 5, r  # ALREADY_EXISTS

    alice = cli.json("user", "show", "alice")
    assert alice["email"] == "a@example.org" and alice["team"] == "Sales East"
    assert alice["manages"] == [] and alice["active"] is True

    alice = cli.json("user", "edit", "alice", "--manages", "Sales", "--manages", "Support",
                     "--time-zone", "Europe/Berlin")
    assert sorted(alice["manages"]) == ["Sales", "Support"]
    assert alice["time_zone"] == "Europe/Berlin"
    alice = cli.json("user", "edit", "alice", "--clear-email", "--clear-manages")
    assert alice["email"] is None and alice["manages"] == []
    r = cli("user", "edit", "alice", "--email", "x@y.z", "--clear-email")
    assert r.rc == 2, r
    r = cli("user", "edit", "alice", "--time-zone", "Mars/Olympus_Mons")
    assert r.rc == EXIT_INVALID, r

    r = cli("user", "disable", ADMIN)
    assert r.rc == 9 and "last active admin" in r.err, r  # FAILED_PRECONDITION
    assert cli.json("user", "disable", "bob")["active"] is False
    names = [u["username"] for u in cli.json("user", "list")]
    assert "bob" not in names and "alice" in names
    names = [u["username"] for u in cli.json("user", "list", "--all")]
    assert "bob" in names
    assert cli.json("user", "enable", "bob")["active"] is True
    assert [u["username"] for u in cli.json("user", "list", "--team", "Support")] == ["bob"]
    assert [u["username"] for u in cli.json("user", "list", "--role", "sales")] == ["alice"]

    r = cli("user", "reset-password", "bob", "--password-stdin", input="bob-password-12\n")
    assert r.rc == 0, r
    Cli(cli.crmd, tmp_path / "bob").login("bob", "bob-password-12")
    r = cli("user", "reset-password", "bob")
    assert r.rc == 2 and "--password-stdin" in r.err, r

    r = cli("team", "edit", "Sales East", "--name", "Sales North")
    assert r.rc == 0, r
    t = cli.json("team", "move", "Sales North", "--root")
    assert t["parent"] is None and t["path"] == "Sales North"
    t = cli.json("team", "move", "Sales North", "--parent", "Support")
    assert t["path"] == "Support / Sales North"
    r = cli("team", "move", "Support", "--parent", "Sales North")
    assert r.rc == EXIT_INVALID, r  # below its own sub-team
    r = cli("team", "move", "Support")
    assert r.rc == 2, r
    assert cli.json("team", "show", "Support")["name"] == "Support"


def test_user_list_pages(cli):
    for i in range(5):
        assert cli("user", "add", f"page{i}", "--role", "viewer").rc == 0
    seen = []
    args = ["user", "list", "--limit", "2"]
    for _ in range(10):
        r = cli(*args, fmt="json")
        assert r.rc == 0, r
        seen += [u["username"] for u in json.loads(r.out)]
        lines = [l for l in r.err.splitlines() if l.startswith("next page: ")]
        if not lines:
            break
        # the format given before the command is repeated after it
        assert lines[0].startswith("next page: crm user list --limit 2 --format json --cursor "), lines
        args = ["user", "list", "--limit", "2", "--cursor", lines[0].split()[-1]]
    assert sorted(seen) == sorted(set(seen))
    assert {f"page{i}" for i in range(5)} <= set(seen)
    r = cli("user", "list", "--cursor", "hex:zz")
    assert r.rc == 2, r


# --------------------------------------------------------------- roles, permissions, audit

def test_roles_and_permissions(cli):
    roles = {r["name"] for r in cli.json("role", "list")}
    assert {"admin", "manager", "sales", "support", "marketing", "viewer"} <= roles
    role = cli.json("role", "show", "sales")
    assert role["name"] == "sales" and isinstance(role["permissions"], list)
    assert all(set(p) == {"role", "record_type", "action", "scope"} for p in role["permissions"])
    r = cli("role", "show", "sales")
    assert r.rc == 0 and "record_type" in r.out and "reassign" in r.out, r
    rows = list(csv.reader(io.StringIO(cli("role", "show", "sales", fmt="csv").out)))
    assert rows[0] == ["role", "record_type", "action", "scope"]

    p = cli.json("permission", "set", "sales", "note", "export", "team")
    assert p == {"role": "sales", "record_type": "note", "action": "export", "scope": "team"}
    cells = cli.json("permission", "list", "--role", "sales", "--type", "note")
    assert {"role": "sales", "record_type": "note", "action": "export",
            "scope": "team"} in cells
    r = cli("permission", "set", "sales", "note", "fly", "team")
    assert r.rc == 2 and "read, create, update, delete, export, reassign, admin" in r.err, r
    r = cli("permission", "set", "sales", "note", "read", "mine")
    assert r.rc == 2 and "none, own, team, subteams, all" in r.err, r
    r = cli("permission", "set", "sales", "note", "read")
    assert r.rc == 2, r
    entries = cli.json("audit", "list", "--record", "permission", "--limit", "5")
    assert entries and entries[0]["username"] == ADMIN


def test_audit_list(cli):
    n = cli.json("note", "add", "audited")["id"]
    assert cli("note", "edit", str(n), "audited, edited").rc == 0
    entries = cli.json("audit", "list", "--record", f"note/{n}")
    actions = [e["action"] for e in entries]
    assert "create" in actions and "update" in actions, entries
    upd = next(e for e in entries if e["action"] == "update")
    assert isinstance(upd["old_values"], dict) and isinstance(upd["new_values"], dict)
    assert upd["old_values"]["body"] == "audited"
    assert upd["new_values"]["body"] == "audited, edited"
    assert upd["record_type"] == "note" and upd["record_id"] == n
    r = cli("audit", "list", "--record", f"note/{n}")
    assert r.rc == 0 and "body: audited → audited, edited" in r.out, r
    rows = list(csv.DictReader(io.StringIO(cli("audit", "list", "--record", f"note/{n}",
                                               fmt="csv").out)))
    assert any(json.loads(row["new_values"] or "null") == upd["new_values"] for row in rows)
    for since in ("-1h", "2000-01-01", "2000-01-01T00:00:00Z", "2000-01-01T01:00:00+01:00"):
        assert cli.json("audit", "list", "--since", since, "--record", f"note/{n}"), since
    assert cli.json("audit", "list", "--until", "2000-01-01", "--record", f"note/{n}") == []
    assert cli.json("audit", "list", "--user", ADMIN, "--since", "-1h")
    r = cli("audit", "list", "--since", "yesterday")
    assert r.rc == 2 and "RFC 3339" in r.err, r
    r = cli("audit", "list", "--record", "note/x")
    assert r.rc == 2, r


# --------------------------------------------------------------- notes

def test_note_commands(cli, tmp_path):
    pw = "sam-password-1"
    assert cli("team", "add", "Ops").rc == 0
    assert cli("user", "add", "sam", "--role", "sales", "--team", "Ops", "--password-stdin",
               input=pw + "\n").rc == 0
    n = cli.json("note", "add", "hello")
    nid = n["id"]
    assert n["version"] == 1 and n["owner"] == ADMIN
    e = cli.json("note", "edit", str(nid), "hello again")
    assert e["body"] == "hello again" and e["version"] == 2
    r = cli("note", "edit", str(nid), "stale", "--version", "1")
    assert r.rc == EXIT_CONFLICT, r
    assert f"note {nid} changed since you read it" in r.err and f"crm note show {nid}" in r.err, r
    assert cli.json("note", "show", str(nid))["body"] == "hello again"

    assert nid in [x["id"] for x in cli.json("note", "list")]
    assert cli("note", "delete", str(nid)).rc == 0
    assert nid not in [x["id"] for x in cli.json("note", "list")]
    assert nid in [x["id"] for x in cli.json("note", "list", "--deleted")]
    assert cli("note", "restore", str(nid)).rc == 0
    assert cli.json("note", "show", str(nid))["deleted_at"] is None

    sam = Cli(cli.crmd, tmp_path / "sam")
    sam.login("sam", pw)
    assert sam("note", "show", str(nid)).rc == EXIT_NOT_FOUND
    assert cli("note", "share", str(nid), "--user", "sam", "--access", "read").rc == 0
    assert sam.json("note", "show", str(nid))["body"] == "hello again"
    r = sam("note", "edit", str(nid), "sam was here")
    assert r.rc in (EXIT_NOT_FOUND, EXIT_DENIED), r
    assert cli("note", "share", str(nid), "--user", "sam", "--revoke").rc == 0
    assert sam("note", "show", str(nid)).rc == EXIT_NOT_FOUND
    r = cli("note", "share", str(nid), "--user", "sam", "--team", "Ops")
    assert r.rc == 2, r
    r = cli("note", "share", str(nid), "--user", "sam", "--access", "write")
    assert r.rc == 2 and "read, edit" in r.err, r

    moved = cli("note", "reassign", str(nid), "--owner", "sam")
    assert moved.rc == 0, moved
    shown = sam.json("note", "show", str(nid))
    assert shown["owner"] == "sam" and shown["team"] == "Ops"
    assert sam.json("note", "edit", str(nid), "mine now")["body"] == "mine now"
    r = cli("note", "reassign", str(nid))
    assert r.rc == 2 and "--owner" in r.err, r


def test_help_for_every_command(cli):
    for noun, verbs in {"user": ["add", "list", "show", "edit", "disable", "enable",
                                 "reset-password"],
                        "team": ["add", "list", "show", "edit", "move"],
                        "role": ["list", "show"], "permission": ["list", "set"],
                        "session": ["list", "revoke"], "audit": ["list"],
                        "note": ["add", "show", "list", "edit", "delete", "restore",
                                 "purge", "reassign", "share"]}.items():
        r = cli(noun, "--help")
        assert r.rc == 0 and all(v in r.out for v in verbs), r
        for v in verbs:
            r = cli(noun, v, "--help")
            assert r.rc == 0 and f"usage: crm {noun} {v}" in r.out, r
    for cmd in ("login", "logout", "whoami", "passwd"):
        r = cli(cmd, "--help")
        assert r.rc == 0 and f"usage: crm {cmd}" in r.out, r
