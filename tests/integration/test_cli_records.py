"""The record commands of `crm` against a real crmd: account and contact
add/show/list/edit/delete/restore/purge/reassign, contact link/unlink,
relations, custom fields and pick lists; output as tables, JSON and CSV
(with spreadsheet formulas neutralised unless --raw); the version an edit
carries; conflicts and denied access reported with the right exit codes."""

import concurrent.futures
import csv
import io
import json
import os
import subprocess

import pytest

from conftest import CONFLICT, INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, exit_code, run_crm, wait_for
from identity import make_world, ok
from records import account, update


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


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


def test_account_add_show_edit_list(world):
    r = cli(world, "root", "account", "add", "--name", "Acme GmbH", "--type", "customer", "--industry",
            "Software", "--billing-city", "Berlin", "--billing-country", "DE", "--annual-revenue",
            "1200000.50 EUR", "--tag", "vip", "--tag", "=cmd|' /C calc'!A0", "--phone", "+49 30 1234567")
    assert r.rc == 0, r
    aid = int(r.out.strip())
    r = cli(world, "root", "--format", "json", "account", "show", str(aid))
    assert r.rc == 0, r
    a = json.loads(r.out)
    assert a["id"] == aid and a["name"] == "Acme GmbH" and a["type"] == "customer"
    assert a["annual_revenue"] == {"amount": "1200000.50", "currency": "EUR"}
    assert a["billing_address"]["city"] == "Berlin" and a["version"] == 1
    r = cli(world, "root", "account", "show", str(aid))
    assert r.rc == 0 and "Acme GmbH" in r.out and "Berlin" in r.out, r
    # Edit without --version: the CLI sends the version it read.
    r = cli(world, "root", "account", "edit", str(aid), "--website", "https://acme.example", "--clear", "tags")
    assert r.rc == 0, r
    a = json.loads(cli(world, "root", "--format", "json", "account", "show", str(aid)).out)
    assert a["version"] == 2 and a["website"] == "https://acme.example" and a["tags"] == []
    # A stale --version is a conflict, with a hint.
    r = cli(world, "root", "account", "edit", str(aid), "--version", "1", "--name", "Late")
    assert r.rc == exit_code(CONFLICT), r
    assert "version" in r.err and "again" in r.err
    # add --format json prints the whole record.
    r = cli(world, "root", "--format", "json", "account", "add", "--name", "Beta", "--industry", "Banking")
    assert r.rc == 0 and json.loads(r.out)["name"] == "Beta", r
    r = cli(world, "root", "account", "list", "--industry", "Software", "--total")
    assert r.rc == 0 and "Acme GmbH" in r.out and "Beta" not in r.out and "1 account" in r.out, r
    r = cli(world, "root", "account", "list", "--industry", "software")  # as people type it
    assert r.rc == 0 and "Acme GmbH" in r.out and "Beta" not in r.out, r
    r = cli(world, "root", "account", "list", "--industry", "sofware")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "industry" in r.err and "Software" in r.err, r
    r = cli(world, "root", "--format", "json", "account", "list", "--sort", "-name")
    names = [x["name"] for x in json.loads(r.out)] if r.out.strip().startswith("[") else [
        x["name"] for x in json.loads(r.out)["accounts"]]
    assert names == ["Beta", "Acme GmbH"], r.out


def test_note_list_is_newest_first_unless_sorted(world):
    """`crm note list` lists newest first, as before notes became a record
    type, page after page; --sort created_at turns it round; the help
    says so. Accounts still list by name."""
    made = []
    for i in range(4):
        r = cli(world, "root", "note", "add", f"note {i}")
        assert r.rc == 0, r
        made.append(int(r.out.strip()))

    def listed(*args):
        r = cli(world, "root", "--format", "json", "note", "list", *args)
        assert r.rc == 0, r
        j = json.loads(r.out)
        return [x["id"] for x in (j if isinstance(j, list) else j["notes"])]

    assert listed() == made[::-1]
    assert listed("--limit", "3", "--all") == made[::-1]
    assert listed("--sort", "created_at") == made
    r = cli(world, "root", "note", "list", "--help")
    assert r.rc == 0 and "newest first unless --sort" in " ".join(r.out.split()), r
    for name in ("Zed", "Abe"):
        account(world, name=name)
    r = cli(world, "root", "--format", "json", "account", "list")
    assert r.rc == 0 and [x["name"] for x in json.loads(r.out)] == ["Abe", "Zed"], r


def test_csv_neutralises_formulas_unless_raw(world):
    aid = account(world, name="=HYPERLINK(\"http://evil.example\")", phone="+44 20 7946 0958").id
    r = cli(world, "root", "--format", "csv", "account", "list")
    assert r.rc == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    row = [x for x in rows if x["id"] == str(aid)][0]
    assert row["name"].startswith("'="), row
    r = cli(world, "root", "--raw", "--format", "csv", "account", "list")
    row = [x for x in csv.DictReader(io.StringIO(r.out)) if x["id"] == str(aid)][0]
    assert row["name"].startswith("=HYPERLINK"), row


def test_contacts_link_unlink_and_relations(world):
    acme = account(world, name="Acme").id
    r = cli(world, "root", "contact", "add", "--given-name", "芳", "--family-name", "王", "--email",
            "work:wang@example.cn", "--phone", "mobile:+86 138 0013 8000", "--birthday", "02-29",
            "--account", str(acme))
    assert r.rc == 0, r
    cid = int(r.out.strip())
    c = json.loads(cli(world, "root", "--format", "json", "contact", "show", str(cid)).out)
    assert c["display_name"] == "王芳" and c["account_id"] == acme and c["birthday"]["day"] == 29
    assert c["emails"][0]["address"] == "wang@example.cn" and c["phones"][0]["normalized"] == "+8613800138000"
    other = account(world, name="Globex").id
    r = cli(world, "root", "contact", "link", str(cid), str(other), "--role", "billing")
    assert r.rc == 0, r
    rel = int(r.out.strip())
    r = cli(world, "root", "--format", "json", "relation", "list", str(cid))
    rels = json.loads(r.out)
    rels = rels if isinstance(rels, list) else rels["relations"]
    assert {x["role"] for x in rels} == {"employee", "billing"}, rels
    assert cli(world, "root", "contact", "unlink", str(rel)).rc == 0
    r = cli(world, "root", "relation", "add", str(cid), str(other), "--role", "astrologer")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "pick list" in r.err, r


def test_delete_restore_purge_reassign(world):
    aid = account(world, name="Doomed").id
    assert cli(world, "root", "account", "delete", str(aid)).rc == 0
    r = cli(world, "root", "account", "list", "--deleted")
    assert "Doomed" in r.out, r
    assert cli(world, "root", "account", "restore", str(aid)).rc == 0
    r = cli(world, "root", "account", "reassign", str(aid), "--owner", "mgr")
    assert r.rc == 0, r
    r = cli(world, "root", "account", "purge", str(aid))
    assert r.rc == 2, r  # no terminal, no --yes: refused, nothing sent
    assert cli(world, "root", "account", "show", str(aid)).rc == 0
    assert cli(world, "root", "account", "purge", str(aid), "--yes").rc == 0
    r = cli(world, "root", "account", "show", str(aid))
    assert r.rc == exit_code(NOT_FOUND), r


def test_fields_and_picklists(world):
    r = cli(world, "root", "field", "add", "account", "score", "--kind", "number", "--min", "0", "--max", "10")
    assert r.rc == 0, r
    r = cli(world, "sal", "field", "add", "account", "x", "--kind", "text")
    assert r.rc == exit_code(PERMISSION_DENIED), r
    r = cli(world, "root", "account", "add", "--name", "Scored", "--set", "score=7")
    assert r.rc == 0, r
    aid = int(r.out.strip())
    r = cli(world, "root", "account", "edit", str(aid), "--set", "score=11")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "score" in r.err, r
    r = cli(world, "root", "account", "list", "--filter", "custom.score>=5")
    assert "Scored" in r.out, r
    r = cli(world, "root", "field", "list", "account")
    assert r.rc == 0 and "score" in r.out and "industry" in r.out, r
    assert cli(world, "root", "picklist", "add", "industry", "Space").rc == 0
    r = cli(world, "sal", "picklist", "list", "industry")
    assert r.rc == 0 and "Space" in r.out, r
    r = cli(world, "root", "field", "remove", "account", "score")
    assert r.rc == 2 and "--yes" in r.err, r  # no terminal to ask on
    assert cli(world, "root", "field", "remove", "account", "score", "--yes").rc == 0


def test_access_through_the_cli(world):
    mine = account(world, name="Sal's", owner="sal").id
    theirs = account(world, name="Sup's", owner="sup").id
    r = cli(world, "sal", "account", "list", "--total")
    assert r.rc == 0 and "Sal's" in r.out and "Sup's" not in r.out, r
    r = cli(world, "sal", "account", "show", str(theirs))
    assert r.rc == exit_code(NOT_FOUND), r
    r = cli(world, "sal", "account", "edit", str(theirs), "--name", "Mine now")
    assert r.rc == exit_code(NOT_FOUND), r
    r = cli(world, "sal", "account", "reassign", str(mine), "--owner", "sal2")
    assert r.rc == exit_code(PERMISSION_DENIED), r
    r = cli(world, "sup", "account", "list", "--export")
    assert r.rc == exit_code(PERMISSION_DENIED), r
    r = cli(world, "vie", "account", "add", "--name", "Nope")
    assert r.rc == exit_code(PERMISSION_DENIED), r
    r = cli(world, "sal", "account", "purge", str(mine), "--yes")
    assert r.rc == exit_code(PERMISSION_DENIED), r


# ---------------------------------------------------------------- what a new user hit (issue 10)

def test_global_options_after_the_command_and_the_next_page(world):
    import shlex
    for name in ("P1", "P2", "P3"):
        account(world, name=name)
    r = cli(world, "root", "account", "list", "--sort", "name", "--limit", "2", "--format", "csv")
    assert r.rc == 0, r
    assert [row["name"] for row in csv.DictReader(io.StringIO(r.out))] == ["P1", "P2"]
    (line,) = [x for x in r.err.splitlines() if x.startswith("next page: ")]
    words = shlex.split(line[len("next page: "):])
    assert words[:3] == ["crm", "account", "list"] and "--format" in words, words
    r = cli(world, "root", *words[1:])  # the line as printed, run again
    assert r.rc == 0, r
    assert [row["name"] for row in csv.DictReader(io.StringIO(r.out))] == ["P3"]
    r = cli(world, "root", "account", "show", str(account(world, name="P4").id), "--format", "json")
    assert r.rc == 0 and json.loads(r.out)["name"] == "P4", r


def test_add_remove_and_primary_without_retyping(world):
    r = cli(world, "root", "contact", "add", "--family-name", "Lovelace", "--email", "work:a@x.example",
            "--email", "home:b@x.example", "--phone", "+44 20 7946 0958", "--tag", "t1", "--tag", "t2")
    assert r.rc == 0, r
    cid = str(int(r.out.strip()))
    show = lambda: json.loads(cli(world, "root", "--format", "json", "contact", "show", cid).out)
    r = cli(world, "root", "contact", "edit", cid, "--add-email", "other:c@x.example",
            "--remove-email", "a@x.example", "--add-tag", "t3", "--remove-tag", "t1")
    assert r.rc == 0, r
    c = show()
    assert [(e["address"], e["kind"], e.get("primary", False)) for e in c["emails"]] == [
        ("b@x.example", "home", True), ("c@x.example", "other", False)], c["emails"]
    assert sorted(c["tags"]) == ["t2", "t3"] and c["version"] == 2
    assert c["phones"][0]["number"] == "+44 20 7946 0958"  # untouched
    r = cli(world, "root", "contact", "edit", cid, "--primary-email", "c@x.example")
    assert r.rc == 0, r
    c = show()
    assert [e["address"] for e in c["emails"] if e.get("primary")] == ["c@x.example"], c["emails"]
    assert len(c["emails"]) == 2
    r = cli(world, "root", "contact", "edit", cid, "--add-phone", "mobile:+44 7700 900123",
            "--remove-phone", "+442079460958", "--remove-tag", "t2", "--remove-tag", "t3")
    assert r.rc == 0, r
    c = show()
    assert [(x["number"], x["kind"]) for x in c["phones"]] == [("+44 7700 900123", "mobile")]
    assert c["tags"] == []
    r = cli(world, "root", "contact", "edit", cid, "--remove-email", "zz@x.example")
    assert r.rc == 2 and '"zz@x.example"' in r.err and "it has: b@x.example, c@x.example" in r.err, r
    assert show()["version"] == 4  # refused, nothing changed


def _lock_row(world, table, rid):
    """A psql session holding record rid's row lock (FOR UPDATE) until
    its stdin gets COMMIT: updates of the row wait for it."""
    pg = world.env.pg
    p = subprocess.Popen([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", world.db],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(f"BEGIN;\nSELECT id FROM crm.{table} WHERE id = {int(rid)} FOR UPDATE;\n\\echo locked\n")
    p.stdin.flush()
    while p.stdout.readline().strip() != "locked":
        assert p.poll() is None, p.stderr.read()
    return p


def test_list_edits_are_sent_as_edits_so_concurrent_ones_all_land(world):
    """--add-X / --remove-X / a lone --primary-X go to crmd as RecordUpdate's
    add_/remove_/primary_ fields, applied to the lists as they are when the
    update runs: two people adding to the same record at once both keep what
    they added. Such an edit reads nothing first and carries no version, so
    it can be neither stale nor retried: both edits here wait on the
    record's row lock, and once it is released each lands in turn on the
    lists the other left (with a read-modify-write of the whole list, one
    would be refused or would drop the other's items)."""
    r = cli(world, "root", "contact", "add", "--family-name", "Hopper", "--email", "work:g@x.example",
            "--tag", "t0")
    assert r.rc == 0, r
    cid = str(int(r.out.strip()))
    show = lambda: json.loads(cli(world, "root", "--format", "json", "contact", "show", cid).out)
    start = len(world.crmd.log_lines())
    lock = _lock_row(world, "contacts", cid)
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(cli, world, "root", "contact", "edit", cid, "--add-email", f"home:{x}@x.example",
                                "--add-tag", x) for x in ("ta", "tb")]
            waiting = lambda: world.env.pg.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                f"AND datname = '{world.db}'") == "2"
            wait_for(waiting, 20, what="both updates waiting on the row lock")
            lock.stdin.write("COMMIT;\n")
            lock.stdin.close()
            results = [f.result() for f in runs]
    finally:
        lock.kill()
        lock.wait()
    assert all(r.rc == 0 for r in results), results
    c = show()
    assert sorted(e["address"] for e in c["emails"]) == ["g@x.example", "ta@x.example", "tb@x.example"], c
    assert [e["address"] for e in c["emails"] if e.get("primary")] == ["g@x.example"], c
    assert sorted(c["tags"]) == ["t0", "ta", "tb"], c
    assert c["version"] == 3, c
    # Two updates, each sent once; nothing read before them (the show after is one get).
    world.crmd.wait_log(r"type=record_get ", start=start)
    sent = [l for l in world.crmd.log_lines()[start:] if " type=record_" in l]
    assert [l.split(" type=")[1].split()[0] for l in sent] == ["record_update", "record_update", "record_get"], sent
    # With --version, the version is still checked: a stale one is a conflict, nothing changed.
    r = cli(world, "root", "contact", "edit", cid, "--add-tag", "late", "--version", "2")
    assert r.rc == exit_code(CONFLICT) and "--version" in r.err, r
    assert show()["version"] == 3

    # Adding what is there keeps it, taking the new kind; nothing else changes.
    r = cli(world, "root", "contact", "edit", cid, "--add-tag", "T0", "--add-email", "other:TA@x.example")
    assert r.rc == 0, r
    c = show()
    assert sorted(c["tags"]) == ["t0", "ta", "tb"], c
    assert [(e["address"], e["kind"]) for e in c["emails"] if e["address"] == "ta@x.example"] == [
        ("ta@x.example", "other")], c
    assert c["version"] == 4, c
    r = cli(world, "root", "contact", "edit", cid, "--add-tag", "tb")  # changes nothing at all
    assert r.rc == 0 and show()["version"] == 4, r
    # Removing what is not there, or making it primary: exit 2, what it has, nothing written.
    r = cli(world, "root", "contact", "edit", cid, "--remove-tag", "nope", "--add-tag", "new")
    assert r.rc == 2 and '"nope"' in r.err and "t0, ta, tb" in r.err, r
    r = cli(world, "root", "contact", "edit", cid, "--primary-email", "zz@x.example")
    assert r.rc == 2 and '"zz@x.example"' in r.err and "--add-email" in r.err, r
    c = show()
    assert c["version"] == 4 and sorted(c["tags"]) == ["t0", "ta", "tb"], c
    # A lone primary and a remove in one edit, sent as edits.
    r = cli(world, "root", "contact", "edit", cid, "--primary-email", "tb@x.example", "--remove-email",
            "g@x.example")
    assert r.rc == 0, r
    c = show()
    assert sorted((e["address"], e.get("primary", False)) for e in c["emails"]) == [
        ("ta@x.example", False), ("tb@x.example", True)], c  # in the order the two edits landed


def test_show_names_custom_fields_by_label_and_lists_fit(world):
    r = cli(world, "root", "field", "add", "account", "lead_score", "--kind", "number",
            "--label", "Lead score")
    assert r.rc == 0, r
    long = "Internationale Handelsgesellschaft für Maschinenbau und Anlagen mbH"
    r = cli(world, "root", "account", "add", "--name", long, "--set", "lead_score=12")
    assert r.rc == 0, r
    aid = r.out.strip()
    r = cli(world, "root", "account", "show", aid)
    assert r.rc == 0 and "Lead score: 12" in r.out and long in r.out, r
    r = cli(world, "sal", "account", "show", aid)  # sal cannot see it: not found, with a hint
    assert r.rc == exit_code(NOT_FOUND) and "crm: hint: 'crm account list'" in r.err, r
    home = os.path.join(world.crmd.dir, "cli-root")
    r = run_crm("account", "list", server=f"127.0.0.1:{world.crmd.port}", ca=world.crmd.ca,
                home=home, env={"COLUMNS": "72"})
    assert r.rc == 0, r
    assert all(len(x) <= 72 for x in r.out.splitlines()), r.out
    assert "…" in r.out and long not in r.out


def test_audit_table_fits_the_terminal(world):
    """`audit list` as a table is cut to the terminal like record lists
    (wide characters count two columns); request_id and then client_addr are
    left out when it cannot fit otherwise; JSON keeps everything."""
    import unicodedata
    width = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    name = "株式会社東京マシナリー・インターナショナル・ホールディングス"
    r = cli(world, "root", "account", "add", "--name", name, "--description", "x" * 200)
    assert r.rc == 0, r
    aid = r.out.strip()
    r = cli(world, "root", "account", "edit", aid, "--name", name + " 2")
    assert r.rc == 0, r
    home = os.path.join(world.crmd.dir, "cli-root")
    run = lambda cols, *a: run_crm("audit", "list", "--record", f"account/{aid}", *a,
                                   server=f"127.0.0.1:{world.crmd.port}", ca=world.crmd.ca, home=home,
                                   env={"COLUMNS": cols})
    for cols in (120, 80, 64):
        r = run(str(cols))
        assert r.rc == 0, r
        lines = r.out.splitlines()
        assert len(lines) == 4 and all(width(x) <= cols for x in lines), (cols, lines)
        assert "…" in r.out, r.out
    assert "request_id" in run("160").out.splitlines()[0]
    assert "request_id" not in run("80").out.splitlines()[0]
    j = json.loads(run("40", "--format", "json").out)
    assert j[0]["request_id"] and name in json.dumps(j, ensure_ascii=False)


def _roles_in_help(pair):
    r = run_crm("relation", "add", "--help")
    text = " ".join(r.out.split())
    import re
    said = re.search(r"\(relation\." + pair + r"\): ([a-z_, ]+?)(?: [a-z]+ ->| Admins)", text)
    return [x.strip() for x in said.group(1).split(",")]


def test_relation_roles_in_help_are_the_ones_the_server_takes(world):
    a1, a2 = account(world, name="R1").id, account(world, name="R2").id
    for role in _roles_in_help(r"account\.account"):
        r = cli(world, "root", "relation", "add", str(a1), str(a2), "--role", role)
        assert r.rc == 0, (role, r)
    r = cli(world, "root", "contact", "add", "--family-name", "Rel")
    c1 = r.out.strip()
    r = cli(world, "root", "contact", "add", "--family-name", "Rel2")
    c2 = r.out.strip()
    for role in _roles_in_help(r"contact\.contact"):
        r = cli(world, "root", "relation", "add", c1, c2, "--role", role)
        assert r.rc == 0, (role, r)
    for role in _roles_in_help(r"contact\.account"):
        r = cli(world, "root", "relation", "add", c1, str(a1), "--role", role)
        assert r.rc == 0, (role, r)
