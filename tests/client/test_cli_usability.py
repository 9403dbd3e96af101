"""What a new user hit in the `crm` CLI (issue 10, part 4), against the fake
crmd of test_cli_records.py: global options after the command, next-page
lines that repeat them, tables that fit the terminal, custom fields shown by
their label, --add-/--remove- for repeated fields, --primary-email alone,
reassign --with-contacts, help that matches the commands, errors that say
what to do next.

Needs deploy/gen-certs (openssl), protoc and the built `crm` (CRM_BUILD_DIR).
"""

import json
import tempfile

import test_cli_records as base
from conftest import fixtures
from test_cli_records import account, certs, fake, ok  # noqa: F401 (fixtures)

pb = fixtures.pb
record_message = fixtures.record_message
OK = fixtures.OK


def crm(fake, certs, *args, env=None, input=None):
    home = tempfile.mkdtemp(prefix="home-", dir=base._BASE)
    return fixtures.run_crm(*args, server=f"localhost:{fake.port}", ca=certs.ca, home=home,
                            input=input, env=env)


def kinds(fake):
    return [cf.WhichOneof("request") for cf in fake.got]


# ---------------------------------------------------------------- global options anywhere

def test_format_after_the_command(fake, certs):
    fake.handler = lambda cf: ok(record=account())
    r = crm(fake, certs, "account", "show", "12", "--format", "json")
    assert r.rc == 0, r
    assert json.loads(r.out)["name"] == "Acme GmbH"
    r = crm(fake, certs, "account", "show", "--format=csv", "12")
    assert r.rc == 0, r
    assert r.out.startswith("id,")


def test_raw_and_timeout_after_the_command(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(
        records=[account(name=b"=HYPERLINK(1)")]))
    r = crm(fake, certs, "account", "list", "--format", "csv", "--raw", "--timeout", "5000")
    assert r.rc == 0, r
    assert r.out.splitlines()[1].startswith("12,=HYPERLINK(1),")
    r = crm(fake, certs, "account", "list", "--format", "csv", "--csv-raw")
    assert r.out.splitlines()[1].startswith("12,=HYPERLINK(1),")
    r = crm(fake, certs, "account", "list", "--timeout", "soon")
    assert r.rc == 2 and "timeout must be a number of milliseconds" in r.err, r
    r = crm(fake, certs, "account", "list", "--format", "yaml")
    assert r.rc == 2 and "format must be table, json or csv" in r.err, r
    assert fake.got[-1].WhichOneof("request") == "record_list"  # the bad ones sent nothing
    assert len(fake.got) == 2


def test_server_after_the_command(fake, certs):
    fake.handler = lambda cf: ok(record=account())
    home = tempfile.mkdtemp(prefix="home-", dir=base._BASE)
    r = fixtures.run_crm("account", "show", "12", "--server", f"localhost:{fake.port}",
                         "--ca", certs.ca, home=home)
    assert r.rc == 0, r
    r = fixtures.run_crm("account", "show", "12", home=home)
    assert r.rc == 2 and "no server given" in r.err, r


def test_global_options_on_commands_without_options(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(field_list=p.FieldListReply(fields=[p.FieldDef(
        name=b"name", label=b"Name", kind=p.FIELD_KIND_TEXT, standard=True, sortable=True)]))
    r = crm(fake, certs, "field", "list", "account", "--format", "json")
    assert r.rc == 0, r
    assert json.loads(r.out)[0]["name"] == "name"


def test_next_page_repeats_the_options_in_force(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(
        records=[account()], next_cursor=b"c1"))
    r = crm(fake, certs, "--format", "csv", "account", "list", "--limit", "1")
    assert r.rc == 0, r
    assert "next page: crm account list --limit 1 --format csv --cursor c1" in r.err, r.err
    r = crm(fake, certs, "account", "list", "--format", "json", "--limit", "1")
    assert "next page: crm account list --format json --limit 1 --cursor c1" in r.err, r.err
    r = crm(fake, certs, "--raw", "--format=csv", "account", "list", "--cursor", "c0")
    assert "next page: crm account list --raw --format=csv --cursor c1" in r.err, r.err


# ---------------------------------------------------------------- repeated fields

def contact(**kw):
    p = pb()
    base = dict(id=5, version=3, owner="ada", given_name=b"Ada", family_name=b"Lovelace",
                display_name="Ada Lovelace", tags=[b"vip", b"board"],
                emails=[p.ContactEmail(address=b"ada@example.com", kind=b"work", primary=True),
                        p.ContactEmail(address=b"ada@home.example", kind=b"home")],
                phones=[p.ContactPhone(number=b"+44 20 7946 0958", kind=b"work", primary=True,
                                       normalized="+442079460958")])
    base.update(kw)
    return p.Record(contact=record_message(p.Contact, **base))


def edit_fake(fake, **kw):
    def handler(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=contact(**kw))
        return ok(record=contact(version=4))
    fake.handler = handler


def sent_update(fake):
    """A list-only edit is sent as it is: no read first, no version."""
    assert kinds(fake) == ["record_update"], kinds(fake)
    (u,) = fake.requests("record_update")
    assert not u.HasField("version"), u
    return u


def test_add_and_remove_email_keep_the_others(fake, certs):
    edit_fake(fake)
    r = crm(fake, certs, "contact", "edit", "5", "--add-email", "other:ada@work2.example",
            "--remove-email", "ADA@home.example")
    assert r.rc == 0, r
    u = sent_update(fake)
    # the lists are not sent whole
    assert [(e.address, e.kind) for e in u.add_emails] == [(b"ada@work2.example", b"other")]
    assert list(u.remove_emails) == [b"ADA@home.example"]
    c = u.changes.contact
    assert not c.emails and not c.phones and not c.tags and list(u.clear) == []
    assert not u.add_tags and not u.HasField("primary_email")


def test_primary_email_alone_picks_an_existing_address(fake, certs):
    edit_fake(fake)
    r = crm(fake, certs, "contact", "edit", "5", "--primary-email", "ada@home.example")
    assert r.rc == 0, r
    u = sent_update(fake)
    assert u.primary_email == b"ada@home.example" and not u.changes.contact.emails
    fake.got.clear()
    p = pb()

    def refuse(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=contact())
        return p.Response(status=p.Status(
            code=fixtures.INVALID_ARGUMENT, field="record_update.primary_email",
            message='contact 5 has no e-mail address "nobody@example.com" to make primary '
                    '(it has: ada@example.com, ada@home.example)'))
    fake.handler = refuse
    r = crm(fake, certs, "contact", "edit", "5", "--primary-email", "nobody@example.com")
    assert r.rc == 2, r  # as when crm checked it itself
    assert "(it has: ada@example.com, ada@home.example)" in r.err
    assert "--add-email" in r.err
    assert kinds(fake) == ["record_update"]  # sent once


def test_add_and_remove_phone_match_on_digits(fake, certs):
    edit_fake(fake)
    r = crm(fake, certs, "contact", "edit", "5", "--remove-phone", "+442079460958",
            "--add-phone", "mobile:+44 7700 900123")
    assert r.rc == 0, r
    u = sent_update(fake)
    assert [(x.number, x.kind) for x in u.add_phones] == [(b"+44 7700 900123", b"mobile")]
    assert list(u.remove_phones) == [b"+442079460958"] and not u.changes.contact.phones


def test_add_and_remove_tags(fake, certs):
    edit_fake(fake)
    r = crm(fake, certs, "contact", "edit", "5", "--add-tag", "partner", "--add-tag", "VIP",
            "--remove-tag", "board")
    assert r.rc == 0, r
    u = sent_update(fake)
    assert list(u.add_tags) == [b"partner", b"VIP"] and list(u.remove_tags) == [b"board"]
    assert not u.changes.contact.tags and list(u.clear) == []


def test_account_tags_and_version_given(fake, certs):
    fake.handler = lambda cf: ok(record=account())
    r = crm(fake, certs, "account", "edit", "12", "--add-tag", "b", "--version", "8")
    assert r.rc == 0, r
    assert kinds(fake) == ["record_update"]  # the version given: nothing to read
    (u,) = fake.requests("record_update")
    assert u.version == 8 and list(u.add_tags) == [b"b"] and not u.changes.account.tags


def test_list_edits_need_no_read_other_edits_read_the_version(fake, certs):
    """Edits made only of list items are sent without a version and not
    retried; an edit that also sets a field reads the version first; one
    that names --version sends it; a CONFLICT is reported, never retried."""
    p = pb()
    conflicts = [0]

    def handler(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=contact(version=7))
        if conflicts[0] > 0:
            conflicts[0] -= 1
            return p.Response(status=p.Status(code=fixtures.CONFLICT, field="version",
                                              message="contact 5 changed since you read it"))
        return ok(record=contact(version=9))
    fake.handler = handler
    r = crm(fake, certs, "contact", "edit", "5", "--add-tag", "x", "--remove-email", "ada@home.example")
    assert r.rc == 0, r
    u = sent_update(fake)
    assert list(u.add_tags) == [b"x"] and list(u.remove_emails) == [b"ada@home.example"]
    fake.got.clear()
    conflicts[0] = 1
    r = crm(fake, certs, "contact", "edit", "5", "--add-tag", "x", "--title", "Countess")
    assert r.rc == fixtures.exit_code(fixtures.CONFLICT), r
    assert kinds(fake) == ["record_get", "record_update"]
    assert fake.requests("record_update")[0].version == 7
    fake.got.clear()
    conflicts[0] = 1
    r = crm(fake, certs, "contact", "edit", "5", "--add-tag", "x", "--version", "2")
    assert r.rc == fixtures.exit_code(fixtures.CONFLICT), r
    assert kinds(fake) == ["record_update"]
    assert fake.requests("record_update")[0].version == 2


def test_list_ops_refused_where_they_make_no_sense(fake, certs):
    p = pb()

    def refuse(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=contact())
        return p.Response(status=p.Status(
            code=fixtures.INVALID_ARGUMENT, field="record_update.remove_emails",
            message='contact 5 has no e-mail address "x@example.com" (it has: ada@example.com, '
                    'ada@home.example)'))
    fake.handler = refuse
    r = crm(fake, certs, "contact", "edit", "5", "--remove-email", "x@example.com")
    assert r.rc == 2 and 'contact 5 has no e-mail address "x@example.com"' in r.err, r
    assert "(it has: ada@example.com, ada@home.example)" in r.err
    fake.got.clear()
    r = crm(fake, certs, "contact", "edit", "5", "--tag", "a", "--add-tag", "b")
    assert r.rc == 2 and "give one or the other" in r.err, r
    r = crm(fake, certs, "contact", "edit", "5", "--clear", "emails", "--add-email", "a@b.c")
    assert r.rc == 2 and "give one or the other" in r.err, r
    r = crm(fake, certs, "contact", "add", "--given-name", "X", "--add-tag", "b")
    assert r.rc == 2 and "unknown option '--add-tag'" in r.err, r
    r = crm(fake, certs, "contact", "edit", "5", "--add-email", "fax:a@b.c")
    assert r.rc == 2 and "--add-email 'fax:a@b.c': the kind before ':' is one of" in r.err, r
    assert fake.got == []


# ---------------------------------------------------------------- tables fit the terminal

def test_list_table_fits_the_terminal_and_show_keeps_everything(fake, certs):
    p = pb()
    long_name = b"Internationale Handelsgesellschaft f\xc3\xbcr Maschinenbau und Anlagen mbH"
    rec = account(name=long_name, industry=b"Manufacturing", region=b"EMEA")

    def handler(cf):
        if cf.WhichOneof("request") == "record_list":
            return ok(record_list=p.RecordListReply(records=[rec]))
        return ok(record=rec)
    fake.handler = handler
    r = crm(fake, certs, "account", "list", env={"COLUMNS": "80"})
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert "…" in lines[2] and "Internation" in lines[2]
    assert lines[2].split()[0] == "12"  # ids are never cut
    r = crm(fake, certs, "account", "list")  # not a terminal, no COLUMNS: all of it
    assert long_name.decode() in r.out
    r = crm(fake, certs, "account", "show", "12", env={"COLUMNS": "40"})
    assert long_name.decode() in r.out and "…" not in r.out
    r = crm(fake, certs, "account", "list", "--format", "csv", env={"COLUMNS": "40"})
    assert long_name.decode() in r.out


# ---------------------------------------------------------------- show: custom fields by label

def test_show_names_custom_fields_by_their_label(fake, certs):
    p = pb()
    rec = account(custom=[p.CustomValue(field=b"lead_score", value=b"12"),
                          p.CustomValue(field=b"segment", value=b"SMB")])

    def handler(cf):
        if cf.WhichOneof("request") == "field_list":
            assert cf.field_list.record_type == p.RECORD_TYPE_ACCOUNT
            return ok(field_list=p.FieldListReply(fields=[
                p.FieldDef(name=b"name", label=b"Name", standard=True),
                p.FieldDef(name=b"lead_score", label=b"Lead score", kind=p.FIELD_KIND_NUMBER)]))
        return ok(record=rec)
    fake.handler = handler
    r = crm(fake, certs, "account", "show", "12")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert "custom      Lead score: 12" in lines, lines
    assert "            segment: SMB" in lines  # no definition: its name
    r = crm(fake, certs, "account", "show", "12", "--format", "json")
    assert json.loads(r.out)["custom"] == [{"field": "lead_score", "value": "12"},
                                           {"field": "segment", "value": "SMB"}]
    # a server that refuses the field list: the names, and no error
    fake.handler = lambda cf: (p.Response(status=p.Status(
        code=fixtures.PERMISSION_DENIED, message="no")) if cf.WhichOneof("request") ==
        "field_list" else ok(record=rec))
    r = crm(fake, certs, "account", "show", "12")
    assert r.rc == 0 and "lead_score: 12" in r.out and r.err == "", r


# ---------------------------------------------------------------- help matches behaviour

def _standard_fields(record_type):
    """The standard fields of a type: as sql/0004_records.sql seeds them
    and as crm.proto's field options state them (crm_field_facts.json; the
    shared ones, such as external_id, came later)."""
    import os
    import re
    sql = open(os.path.join(fixtures.SOURCE_DIR, "sql", "0004_records.sql")).read()
    block = sql.split(f"SELECT '{record_type}', f.name")[1].split(") AS f(")[0]
    with open(os.path.join(fixtures.BUILD_DIR, "proto", "crm_field_facts.json")) as f:
        facts = {x["name"] for x in json.load(f) if x["record_type"] == record_type}
    return set(re.findall(r"^\s*\('([a-z_]+)',", block, re.M)) | facts


def _help(*cmd):
    r = fixtures.run_crm(*cmd, "--help")
    assert r.rc == 0, r
    return r.out


def test_list_help_names_only_the_types_own_fields():
    import re
    for noun in ("account", "contact"):
        own = _standard_fields(noun)
        out = _help(noun, "list")
        listed = re.search(r"standard field \(([^)]*)\)", out, re.S).group(1)
        names = [w for w in re.split(r"[,\s]+", listed) if w and w != "..."]
        assert names and set(names) <= own, (noun, set(names) - own)
        sort = re.search(r"descending:\s+(\S+)", out).group(1)
        assert {f.lstrip("-") for f in sort.split(",")} <= own, (noun, sort)
        assert f"crm field list {noun}" in out
    out = _help("contact", "list")
    assert "industry" not in out and "annual_revenue" not in out


def test_relation_help_lists_the_roles_the_server_takes():
    import os
    import re
    sql = open(os.path.join(fixtures.SOURCE_DIR, "sql", "0004_records.sql")).read()
    out = " ".join(_help("relation", "add").split())
    for pl in ("relation.contact.account", "relation.contact.contact",
               "relation.account.account"):
        seeded = re.search(r"\('" + re.escape(pl) + r"', ARRAY\[([^\]]*)\]", sql).group(1)
        want = re.findall(r"'([a-z_]+)'", seeded)
        said = re.search(r"\(" + re.escape(pl) + r"\): ([a-z_, ]+?)(?: [a-z]+ ->| Admins)",
                         out).group(1)
        assert [x.strip() for x in said.split(",")] == want, (pl, said)
    link = " ".join(_help("contact", "link").split())
    seeded = re.search(r"\('relation.contact.account', ARRAY\[([^\]]*)\]", sql).group(1)
    for role in re.findall(r"'([a-z_]+)'", seeded):
        assert role in link, role


def test_global_options_help_says_before_or_after():
    assert "go before or after the command" in " ".join(_help("account", "list").split())
    r = fixtures.run_crm("--help")
    assert "before or after the command" in r.out


# ---------------------------------------------------------------- reassign --with-contacts

def test_account_reassign_with_contacts(fake, certs):
    fake.handler = lambda cf: ok(record=account())
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob", "--with-contacts")
    assert r.rc == 0 and r.out == "account 12 now belongs to bob, with its contacts\n", r
    (ra,) = fake.requests("record_reassign")
    assert ra.with_contacts and ra.HasField("with_contacts")
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob")
    assert r.rc == 0, r
    assert not fake.requests("record_reassign")[1].HasField("with_contacts")
    r = crm(fake, certs, "contact", "reassign", "5", "--owner", "bob", "--with-contacts")
    assert r.rc == 2 and "--with-contacts is for accounts" in r.err, r
    assert len(fake.requests("record_reassign")) == 2


def test_every_record_type_has_share(fake, certs):
    # the verbs come from one table for every type: 'share' is no longer
    # only the note's
    p = pb()
    fake.handler = lambda cf: ok(share_list=p.ShareListReply())
    for noun, rid in (("account", 12), ("contact", 5), ("note", 3)):
        r = crm(fake, certs, noun, "share", str(rid), "--user", "sam", "--access", "edit")
        assert r.rc == 0, r
        rs = fake.requests("record_share")[-1]
        assert p.RecordType.Name(rs.type) == "RECORD_TYPE_" + noun.upper(), rs
        assert rs.id == rid and rs.user == b"sam" and rs.access == p.ACCESS_EDIT, rs
    r = crm(fake, certs, "account", "share", "12")
    assert r.rc == 2 and "--user USER or --team TEAM" in r.err, r
    assert len(fake.requests("record_share")) == 3
    out = " ".join(_help("account", "share").split())
    assert "usage: crm account share ID (--user USER | --team TEAM)" in out
    assert "The same as 'crm share account/ID'" in out


def test_account_reassign_says_where_the_contacts_went(fake, certs):
    p = pb()

    def handler(cf):
        rec = account()
        if cf.record_reassign.with_contacts:
            rec.reassign.contacts_moved = 3
        else:
            rec.reassign.contacts_stayed.add(owner="ada", count=2)
            rec.reassign.contacts_stayed.add(owner="sal", count=1)
        return ok(record=rec)
    fake.handler = handler
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob")
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        "account 12 now belongs to bob",
        "3 of its contacts stayed with their owners (2 with ada, 1 with sal); "
        "--with-contacts moves them too"], r.out
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob", "--with-contacts")
    assert r.out.splitlines() == ["account 12 now belongs to bob, with its contacts",
                                  "3 contacts moved with it"], r.out
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob", "--format", "json")
    assert json.loads(r.out)["id"] == 12  # stdout stays the record
    assert "crm: 3 of its contacts stayed with their owners (2 with ada, 1 with sal)" in r.err
    fake.handler = lambda cf: ok(record=account())  # nothing said about contacts
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob")
    assert r.out == "account 12 now belongs to bob\n", r


# ---------------------------------------------------------------- errors say what to do next

def _fail(code, field, message):
    p = pb()
    return p.Response(status=p.Status(code=code, field=field, message=message))


def test_errors_point_to_the_command_that_shows_what_is_accepted(fake, certs):
    cases = [
        (("contact", "list", "--filter", "title=CTO"), fixtures.INVALID_ARGUMENT,
         "filters.title", "cannot filter on this field",
         "'crm field list contact' shows the fields that filter and sort"),
        (("account", "list", "--sort", "website"), fixtures.INVALID_ARGUMENT, "sort",
         "cannot sort by website", "'crm field list account' shows the fields"),
        (("account", "show", "99"), fixtures.NOT_FOUND, "record_get.id", "no account 99",
         "'crm account list' shows the accounts you can see"),
        (("account", "reassign", "12", "--owner", "nobody"), fixtures.NOT_FOUND, "owner",
         "no user nobody", "'crm user list' shows the usernames"),
        (("account", "edit", "12", "--version", "3", "--industry", "Spaceflight"),
         fixtures.INVALID_ARGUMENT, "account.industry", "is not a value of its pick list",
         "'crm picklist list industry' shows the values"),
        (("account", "delete", "12"), fixtures.PERMISSION_DENIED, "", "not allowed",
         "'crm whoami' shows your role"),
    ]
    for args, code, field, msg, hint in cases:
        fake.handler = lambda cf, code=code, field=field, msg=msg: _fail(code, field, msg)
        r = crm(fake, certs, *args)
        assert r.rc == fixtures.exit_code(code), (args, r)
        assert f"crm: hint: {hint}" in r.err, (args, r.err)
    # the server's message names the command already: no second hint
    fake.handler = lambda cf: _fail(fixtures.INVALID_ARGUMENT, "filters.x",
                                    'cannot filter accounts on "x" (crm field list account '
                                    'shows the fields)')
    r = crm(fake, certs, "account", "list", "--filter", "x=1")
    assert "crm: hint:" not in r.err, r.err


# ---------------------------------------------------------------- audit list --all

def test_audit_list_all_follows_the_cursors(fake, certs):
    p = pb()

    def entry(i):
        return p.AuditEntry(audit_id=i, at=1_700_000_000_000_000, username="ada",
                            action="update", record_type="account", record_id=12,
                            new_values=json.dumps({"name": "x" * 300}))

    def handler(cf):
        page = cf.audit_list.page
        if not page.HasField("cursor"):
            return ok(audit_list=p.AuditListReply(entries=[entry(2)], next_cursor=b"a1"))
        return ok(audit_list=p.AuditListReply(entries=[entry(1)]))
    fake.handler = handler
    r = crm(fake, certs, "audit", "list", "--all", "--user", "ada", env={"COLUMNS": "100"})
    assert r.rc == 0, r
    first, second = fake.requests("audit_list")
    assert first.page.limit == 500 and second.page.cursor == b"a1"
    assert second.username == b"ada"
    lines = r.out.splitlines()
    assert len(lines) == 4 and "next page" not in r.err, r
    assert all(len(x) <= 100 for x in lines), lines  # a long change does not widen it
    fake.got.clear()
    r = crm(fake, certs, "audit", "list", "--format", "json")
    assert [e["audit_id"] for e in json.loads(r.out)] == [2]
    assert "next page: crm audit list --format json --cursor a1" in r.err, r.err


def _width(s):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_audit_table_cut_to_the_terminal_like_other_lists(fake, certs):
    """The audit table narrows its widest text columns to the terminal
    (CJK counting two columns), cutting long cells with "…" as record lists
    do; numbers and times stay whole; JSON keeps everything."""
    p = pb()
    name = "株式会社東京マシナリー・インターナショナル・ホールディングス"

    def handler(cf):
        return ok(audit_list=p.AuditListReply(entries=[p.AuditEntry(
            audit_id=7, at=1_700_000_000_000_000, username="ada.lovelace.longname", action="update",
            record_type="account", record_id=12, record_name=name,
            request_id=1741137470730272798, client_addr="2001:db8:85a3::8a2e:370:7334",
            new_shown=json.dumps({"name": name}), old_shown=json.dumps({"name": "Acme"}))]))
    fake.handler = handler
    for cols, left_out in ((140, []), (110, []), (80, ["request_id"]), (60, ["request_id", "client_addr"])):
        r = crm(fake, certs, "audit", "list", env={"COLUMNS": str(cols)})
        assert r.rc == 0, r
        lines = r.out.splitlines()
        assert all(_width(x) <= cols for x in lines), (cols, lines)
        assert "…" in lines[2] and "2023-11-14 22:13:20" in lines[2], lines  # times whole
        assert [c for c in ("request_id", "client_addr") if c not in lines[0]] == left_out, lines
        assert ("1741137470730272798" in lines[2]) == ("request_id" in lines[0]), lines  # ids whole
        assert cols < 140 or "株式" in lines[2], lines  # wide characters, two columns each
    r = crm(fake, certs, "audit", "list")  # not a terminal, no COLUMNS: the record name whole
    assert name in r.out
    r = crm(fake, certs, "audit", "list", "--format", "json", env={"COLUMNS": "60"})
    assert json.loads(r.out)[0]["record_name"] == name
