"""The `crm` command line against a real crmd: ping, notes, output
formats, settings precedence, exit codes, help."""

import csv
import io
import json
import os
import re

from conftest import free_port, run_crm


def test_help_and_version(env):
    r = run_crm("--help", home=env.base)
    assert r.rc == 0, r
    for word in ("ping", "note", "--server", "--ca", "--format"):
        assert word in r.out, word
    r = run_crm("--version", home=env.base)
    assert r.rc == 0
    assert re.search(r"\d+\.\d+\.\d+", r.out), r.out
    for cmd in (["ping", "--help"], ["note", "--help"], ["note", "add", "--help"],
                ["note", "show", "--help"], ["version", "--help"]):
        r = run_crm(*cmd, home=env.base)
        assert r.rc == 0, (cmd, r)
        assert r.out.strip(), cmd


def test_usage_errors_exit_2(env):
    for cmd in (["frobnicate"], ["--format", "xml", "ping"], ["ping", "--bogus"],
                ["note", "show", "abc"], ["note", "show"], ["--server"]):
        r = run_crm(*cmd, home=env.base, server="127.0.0.1:1", ca="/dev/null")
        assert r.rc == 2, (cmd, r)
        assert r.err.strip(), cmd


def test_ping(crmd):
    r = crmd.crm("ping")
    assert r.rc == 0, r
    assert "0.1.0" in r.out, r.out
    assert re.search(r"\d+(\.\d+)?\s*ms", r.out), r.out
    r = crmd.crm("ping", "--deep")
    assert r.rc == 7, r  # UNAUTHENTICATED: deep ping needs a session
    assert "login" in r.err, r.err
    crmd.crm_login()
    r = crmd.crm("ping", "--deep")
    assert r.rc == 0, r


def test_ping_json_and_csv(crmd):
    crmd.crm_login()
    r = crmd.crm("--format", "json", "ping", "--deep")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    flat = json.dumps(doc)
    assert "0.1.0" in flat
    r = crmd.crm("--format", "csv", "ping")
    assert r.rc == 0, r
    rows = list(csv.reader(io.StringIO(r.out)))
    assert len(rows) >= 2, rows
    assert len(rows[0]) == len(rows[1])
    assert "0.1.0" in rows[1]


def test_login_whoami_logout(crmd):
    r = crmd.crm("whoami")
    assert r.rc == 7, r
    r = crmd.crm("login", "admin", "--password-stdin", input="wrong-password\n")
    assert r.rc == 7, r
    crmd.crm_login()
    session = os.path.join(crmd.dir, "xdg", "crm", "session")
    assert os.stat(session).st_mode & 0o077 == 0
    with open(session) as f:
        assert crmd.env.admin_password not in f.read()
    r = crmd.crm("--format", "json", "whoami")
    assert r.rc == 0, r
    assert "admin" in r.out
    r = crmd.crm("logout")
    assert r.rc == 0, r
    r = crmd.crm("whoami")
    assert r.rc == 7, r


def test_note_add_and_show(crmd):
    crmd.crm_login()
    body = "Call back Mr. 王 about the 3 € invoice, \"urgent\", ok"
    r = crmd.crm("--format", "json", "note", "add", body)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    nid = doc.get("id", doc.get("note_id"))
    assert isinstance(nid, int) and nid > 0, doc
    r = crmd.crm("--format", "json", "note", "show", str(nid))
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc.get("body") == body, doc
    r = crmd.crm("--format", "csv", "note", "show", str(nid))
    assert r.rc == 0, r
    rows = list(csv.reader(io.StringIO(r.out)))
    assert body in rows[1], rows
    r = crmd.crm("note", "show", str(nid))
    assert r.rc == 0
    assert "王" in r.out


def test_exit_codes_from_status(crmd):
    crmd.crm_login()
    r = crmd.crm("note", "show", "999999999")
    assert r.rc == 4, r  # NOT_FOUND
    assert "NOT_FOUND" in r.err or "not found" in r.err.lower(), r.err
    r = crmd.crm("note", "add", "bad\x07bell")
    assert r.rc == 3, r  # INVALID_ARGUMENT
    assert "body" in r.err, r.err


def test_unreachable_server_is_unavailable(env):
    r = run_crm("ping", home=env.base, server=f"127.0.0.1:{free_port()}", ca=env.certs.ca)
    assert r.rc == 11, r  # UNAVAILABLE
    assert r.err.strip()
    assert r.out.strip() == ""


def test_missing_ca_file(crmd, env):
    r = crmd.crm("ping", env={"CRM_CA": os.path.join(env.base, "no-such-ca.pem")})
    assert r.rc != 0
    assert "no-such-ca.pem" in r.err, r.err


def test_flags_win_over_environment(crmd, env):
    # environment points nowhere; the flag wins
    r = crmd.crm("--server", f"127.0.0.1:{crmd.port}", "ping",
                 env={"CRM_SERVER": "127.0.0.1:1"})
    assert r.rc == 0, r
    # and the other way round
    r = crmd.crm("--server", "127.0.0.1:1", "ping")
    assert r.rc == 11, r


def test_config_file_used_and_overridden(crmd, env):
    cfgdir = os.path.join(crmd.dir, "xdg", "crm")
    os.makedirs(cfgdir, exist_ok=True)
    path = os.path.join(cfgdir, "config")
    with open(path, "w") as f:
        f.write(f"server = 127.0.0.1:{crmd.port}\nca = {crmd.ca}\n")
    try:
        r = crmd.crm("ping", server=False, env={"CRM_CA": None})
        assert r.rc == 0, r
        r = crmd.crm("ping", server=False, env={"CRM_SERVER": "127.0.0.1:1"})
        assert r.rc == 11, r
    finally:
        os.unlink(path)


def test_version_command(crmd):
    r = crmd.crm("version")
    assert r.rc == 0, r
    assert r.out.count("0.1.0") >= 1


def test_ping_count(crmd):
    r = crmd.crm("--format", "csv", "ping", "--count", "3")
    assert r.rc == 0, r
    rows = list(csv.reader(io.StringIO(r.out)))
    assert len(rows) >= 4, rows  # header + one row per ping (+ summary)


def _note_id(out):
    doc = json.loads(out)
    nid = doc.get("id", doc.get("note_id"))
    assert isinstance(nid, int), doc
    return nid


def test_note_add_from_stdin_and_idempotency_key(crmd, env):
    crmd.crm_login()
    r = crmd.crm("--format", "json", "note", "add", "-", input="from stdin\nline 2\n")
    assert r.rc == 0, r
    nid = _note_id(r.out)
    r = crmd.crm("--format", "json", "note", "show", str(nid))
    assert json.loads(r.out)["body"] == "from stdin\nline 2\n"
    a = crmd.crm("--format", "json", "note", "add", "once", "--idempotency-key", "k-123")
    b = crmd.crm("--format", "json", "note", "add", "once", "--idempotency-key", "k-123")
    assert a.rc == 0 and b.rc == 0, (a, b)
    assert _note_id(a.out) == _note_id(b.out)
    c = crmd.crm("note", "add", "different", "--idempotency-key", "k-123")
    assert c.rc != 0, c
