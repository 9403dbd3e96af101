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
