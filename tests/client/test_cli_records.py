"""The record commands of the `crm` CLI (account, contact, relation, field,
picklist) against a fake crmd: a TLS server in this process that answers
the hello and then whatever each test scripts, and keeps the requests it
got. It checks what the CLI sends (the messages the flags make, the version
read before an edit, cursors followed by --all) and what it prints (tables,
JSON, CSV, exit codes, hints), without PostgreSQL or the real server.

Needs deploy/gen-certs (openssl), protoc and the built `crm` (CRM_BUILD_DIR).
"""

import json
import shutil
import socket
import ssl
import struct
import tempfile
import threading

import pytest

from conftest import fixtures

pb = fixtures.pb
record_message = fixtures.record_message
OK, CONFLICT, NOT_FOUND = fixtures.OK, fixtures.CONFLICT, fixtures.NOT_FOUND


class FakeCrmd:
    """Answers hello itself; every other request goes to self.handler(cf),
    which returns a Response (id filled in here). self.got lists the
    ClientFrames in arrival order."""

    def __init__(self, certs):
        self.p = pb()
        self.got = []
        self.handler = lambda cf: self.p.Response(status=self.p.Status(code=OK))
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certs.server_cert, certs.server_key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        buf = b""
        try:
            while True:
                while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                (n,) = struct.unpack(">I", buf[:4])
                body, buf = buf[4:4 + n], buf[4 + n:]
                cf = self.p.ClientFrame()
                cf.ParseFromString(body)
                if cf.WhichOneof("request") == "hello":
                    r = self.p.Response(status=self.p.Status(code=OK), hello=self.p.HelloReply(
                        protocol=self.p.Version(major=1, minor=0), server_version="fake",
                        max_frame=1 << 20, max_inflight=8))
                else:
                    self.got.append(cf)
                    r = self.handler(cf)
                r.id = cf.id
                out = self.p.ServerFrame(response=r).SerializeToString()
                conn.sendall(struct.pack(">I", len(out)) + out)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    def close(self):
        self.stop = True
        self.sock.close()

    def requests(self, kind):
        return [getattr(cf, kind) for cf in self.got if cf.WhichOneof("request") == kind]


_BASE = None


@pytest.fixture(scope="module")
def certs():
    global _BASE
    _BASE = tempfile.mkdtemp(prefix="crm-fake-")
    yield fixtures.Certs(_BASE)
    shutil.rmtree(_BASE, ignore_errors=True)


@pytest.fixture
def fake(certs):
    f = FakeCrmd(certs)
    yield f
    f.close()


def crm(fake, certs, *args, input=None):
    home = tempfile.mkdtemp(prefix="home-", dir=_BASE)
    return fixtures.run_crm(*args, server=f"localhost:{fake.port}", ca=certs.ca, home=home,
                            input=input)


def ok(**body):
    p = pb()
    return p.Response(status=p.Status(code=OK), **body)


def account(**kw):
    p = pb()
    base = dict(id=12, version=3, owner="ada", team="Sales", created_at=1_700_000_000_000_000,
                updated_at=1_700_000_000_000_000, name=b"Acme GmbH",
                type=p.ACCOUNT_TYPE_CUSTOMER)
    base.update(kw)
    return p.Record(account=record_message(p.Account, **base))


# ---------------------------------------------------------------- add, show

def test_account_add_sends_the_fields_and_prints_the_id(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record=account())
    r = crm(fake, certs, "account", "add", "--name", "Acme GmbH", "--type", "customer",
            "--billing-city", "Berlin", "--annual-revenue", "1000000 EUR", "--tag", "vip",
            "--set", "score=12")
    assert r.rc == 0, r
    assert r.out == "12\n"
    (c,) = fake.requests("record_create")
    a = c.record.account
    assert a.name == b"Acme GmbH" and a.type == p.ACCOUNT_TYPE_CUSTOMER
    assert a.billing_address.city == b"Berlin" and not a.HasField("shipping_address")
    assert a.annual_revenue.amount == b"1000000" and a.annual_revenue.currency == b"EUR"
    assert list(a.tags) == [b"vip"]
    assert [(x.field, x.value) for x in a.custom] == [(b"score", b"12")]
    assert fake.got[0].idempotency_key  # a random key: safe to retry


def test_account_add_json_prints_the_record(fake, certs):
    fake.handler = lambda cf: ok(record=account(annual_revenue=pb().Money(
        amount=b"1000000", currency=b"EUR")))
    r = crm(fake, certs, "--format", "json", "account", "add", "--name", "Acme GmbH")
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["id"] == 12 and j["type"] == "customer" and j["name"] == "Acme GmbH"
    assert j["annual_revenue"] == {"amount": "1000000", "currency": "EUR"}
    assert j["created_at"] == "2023-11-14T22:13:20.000000Z"
    assert j["website"] is None


def test_contact_show_for_people(fake, certs):
    p = pb()
    c = record_message(p.Contact, id=5, version=1, given_name=b"Ada", family_name=b"Lovelace",
                  display_name="Ada Lovelace",
                  emails=[p.ContactEmail(address=b"ada@example.com", kind=b"work", primary=True),
                          p.ContactEmail(address=b"ada@home.example", kind=b"home")],
                  birthday=p.Date(month=12, day=10), name_order=p.NAME_ORDER_WESTERN)
    fake.handler = lambda cf: ok(record=p.Record(contact=c))
    r = crm(fake, certs, "contact", "show", "5")
    assert r.rc == 0, r
    (g,) = fake.requests("record_get")
    assert g.type == p.RECORD_TYPE_CONTACT and g.id == 5
    lines = r.out.splitlines()
    assert lines[0].split() == ["id", "5"]
    assert "emails        ada@example.com (work, primary)" in lines
    assert "              ada@home.example (home)" in lines
    assert "birthday      12-10" in lines
    assert "name_order    western" in lines
    assert not any(line.startswith("title") for line in lines)  # absent fields left out


# ---------------------------------------------------------------- edit

def test_edit_reads_the_version_first(fake, certs):
    p = pb()

    def handler(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=account(version=7))
        return ok(record=account(version=8, tier=b"gold"))
    fake.handler = handler
    r = crm(fake, certs, "account", "edit", "12", "--tier", "gold", "--clear", "billing-city",
            "--clear", "custom.score")
    assert r.rc == 0, r
    assert [cf.WhichOneof("request") for cf in fake.got] == ["record_get", "record_update"]
    (u,) = fake.requests("record_update")
    assert u.id == 12 and u.version == 7
    assert u.changes.account.tier == b"gold" and not u.changes.account.HasField("name")
    assert list(u.clear) == ["billing_address.city", "custom.score"]
    assert any(line.split() == ["tier", "gold"] for line in r.out.splitlines())


def test_edit_conflict(fake, certs):
    p = pb()

    def handler(cf):
        if cf.WhichOneof("request") == "record_get":
            return ok(record=account(version=3))
        return p.Response(status=p.Status(
            code=CONFLICT, message="account 12 changed since you read it (version 3, now 4)"))
    fake.handler = handler
    r = crm(fake, certs, "account", "edit", "12", "--name", "Acme AG")
    assert r.rc == fixtures.exit_code(CONFLICT), r
    assert "account 12 changed since you read it (version 3, now 4) [CONFLICT]" in r.err
    assert "run the command again" in r.err

    fake.got.clear()
    r = crm(fake, certs, "account", "edit", "12", "--name", "Acme AG", "--version", "3")
    assert r.rc == fixtures.exit_code(CONFLICT), r
    assert [cf.WhichOneof("request") for cf in fake.got] == ["record_update"]
    assert "no longer at version 3" in r.err


# ---------------------------------------------------------------- list

def test_list_all_follows_cursors_and_counts(fake, certs):
    p = pb()

    def handler(cf):
        rl = cf.record_list
        if not rl.page.HasField("cursor"):
            return ok(record_list=p.RecordListReply(
                records=[account(id=1, name=b"A"), account(id=2, name=b"B")],
                next_cursor=b"c1", total=3))
        return ok(record_list=p.RecordListReply(records=[account(id=3, name=b"C")]))
    fake.handler = handler
    r = crm(fake, certs, "account", "list", "--all", "--total", "--industry", "Software",
            "--industry", "Retail", "--filter", "employees>=10", "--sort", "name,-updated_at",
            "--updated-since", "2026-03-01")
    assert r.rc == 0, r
    first, second = fake.requests("record_list")
    assert first.total and not second.total
    assert first.page.limit == 500 and second.page.cursor == b"c1"
    assert first.type == p.RECORD_TYPE_ACCOUNT
    f = {(x.field, x.op): list(x.values) for x in first.filters}
    assert f[(b"industry", p.FILTER_OP_EQ)] == [b"Software", b"Retail"]
    assert f[(b"employees", p.FILTER_OP_GE)] == [b"10"]
    assert f[(b"updated_at", p.FILTER_OP_GE)] == [b"1772323200000000"]
    assert [(s.field, s.desc) for s in first.sort] == [(b"name", False), (b"updated_at", True)]
    lines = r.out.splitlines()
    assert lines[0].split() == ["id", "name", "type", "industry", "region", "owner",
                                "updated_at"]
    assert [line.split()[1] for line in lines[2:5]] == ["A", "B", "C"]
    assert lines[-1] == "3 accounts"
    assert "next page" not in r.err


def test_list_one_page_says_how_to_go_on(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(
        records=[account()], next_cursor=b"c1", total=10000, total_capped=True))
    r = crm(fake, certs, "account", "list", "--total", "--limit", "1")
    assert r.rc == 0, r
    assert r.out.splitlines()[-1] == "10,000+ accounts"
    assert "next page: crm account list --total --limit 1 --cursor c1" in r.err


def test_list_json_with_total(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(records=[account()], total=1))
    r = crm(fake, certs, "--format", "json", "account", "list", "--total")
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["total"] == 1 and j["total_capped"] is False
    assert j["accounts"][0]["name"] == "Acme GmbH" and j["accounts"][0]["owner"] == "ada"


def test_list_csv_neutralises_formulas(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(
        records=[account(name=b"=HYPERLINK(1)", phone=b"+44 20 7946 0958")]))
    r = crm(fake, certs, "--format", "csv", "account", "list")
    assert r.rc == 0, r
    row = r.out.splitlines()[1]
    assert row.startswith("12,'=HYPERLINK(1),,customer,")
    assert ",'+44 20 7946 0958," in row
    r = crm(fake, certs, "--format", "csv", "--csv-raw", "account", "list")
    assert r.out.splitlines()[1].startswith("12,=HYPERLINK(1),,customer,")


def test_contact_list_table(fake, certs):
    p = pb()
    c = record_message(p.Contact, id=5, display_name="王芳", title=b"CTO", owner="ada", account_name="Acme",
                  emails=[p.ContactEmail(address=b"a@x", primary=False),
                          p.ContactEmail(address=b"b@x", primary=True)],
                  phones=[p.ContactPhone(number=b"+86 10 1234 5678")])
    fake.handler = lambda cf: ok(record_list=p.RecordListReply(records=[p.Record(contact=c)]))
    r = crm(fake, certs, "contact", "list", "--account", "12")
    assert r.rc == 0, r
    assert r.out.splitlines()[2].split() == ["5", "王芳", "CTO", "b@x", "+86", "10", "1234",
                                            "5678", "Acme", "ada"]
    (rl,) = fake.requests("record_list")
    assert [(x.field, list(x.values)) for x in rl.filters] == [(b"account_id", [b"12"])]


# ---------------------------------------------------------------- delete, purge, reassign

def test_delete_restore_reassign(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(record=account())
    r = crm(fake, certs, "contact", "delete", "5")
    assert r.rc == 0 and "contact 5 deleted" in r.out, r
    r = crm(fake, certs, "contact", "restore", "5")
    assert r.rc == 0 and r.out == "contact 5 restored\n", r
    r = crm(fake, certs, "account", "reassign", "12", "--owner", "bob", "--team", "East")
    assert r.rc == 0 and r.out == "account 12 now belongs to bob, team East\n", r
    d, = fake.requests("record_delete")
    assert d.type == p.RECORD_TYPE_CONTACT and d.id == 5
    ra, = fake.requests("record_reassign")
    assert ra.owner == b"bob" and ra.team == b"East" and ra.type == p.RECORD_TYPE_ACCOUNT


def test_purge_needs_yes_without_a_terminal(fake, certs):
    p = pb()
    fake.handler = lambda cf: ok(empty=p.Empty())
    r = crm(fake, certs, "account", "purge", "12")
    assert r.rc == 2 and "--yes" in r.err, r
    assert fake.got == []
    r = crm(fake, certs, "account", "purge", "12", "--yes")
    assert r.rc == 0 and r.out == "account 12 purged\n", r
    (pu,) = fake.requests("record_purge")
    assert pu.id == 12 and pu.type == p.RECORD_TYPE_ACCOUNT


def test_not_found_exit_code(fake, certs):
    p = pb()
    fake.handler = lambda cf: p.Response(status=p.Status(
        code=NOT_FOUND, message="no account 99", field="id"))
    r = crm(fake, certs, "account", "show", "99")
    assert r.rc == fixtures.exit_code(NOT_FOUND), r
    assert "no account 99 (field: id) [NOT_FOUND]" in r.err


# ---------------------------------------------------------------- relations, fields, pick lists

def test_link_and_relation_list(fake, certs):
    p = pb()
    rel = p.Relation(relation_id=55, from_id=5, from_type=p.RECORD_TYPE_CONTACT,
                     from_name="Ada Lovelace", to_id=12, to_type=p.RECORD_TYPE_ACCOUNT,
                     to_name="Acme", role=b"billing", primary=True)

    def handler(cf):
        if cf.WhichOneof("request") == "relation_add":
            return ok(relation=rel)
        return ok(relation_list=p.RelationListReply(relations=[rel]))
    fake.handler = handler
    r = crm(fake, certs, "contact", "link", "5", "12", "--role", "billing", "--primary")
    assert r.rc == 0 and r.out == "55\n", r
    (a,) = fake.requests("relation_add")
    assert (a.from_id, a.to_id, a.role, a.primary) == (5, 12, b"billing", True)
    r = crm(fake, certs, "--format", "json", "relation", "list", "5")
    assert r.rc == 0, r
    (j,) = json.loads(r.out)
    assert j["from_type"] == "contact" and j["to_type"] == "account" and j["role"] == "billing"
    r = crm(fake, certs, "contact", "link", "5", "12")
    assert r.rc == 2 and "--role" in r.err


def test_field_add_and_picklists(fake, certs):
    p = pb()

    def handler(cf):
        kind = cf.WhichOneof("request")
        if kind == "field_add":
            return ok(field=cf.field_add.field)
        return ok(picklist_list=p.PicklistListReply(picklists=[p.Picklist(
            name="industry", values=[p.PicklistValue(value=b"Software", label=b"Software",
                                                     position=1, active=True)])]))
    fake.handler = handler
    r = crm(fake, certs, "field", "add", "account", "segment", "--kind", "picklist",
            "--option", "A", "--option", "B", "--required")
    assert r.rc == 0, r
    (fa,) = fake.requests("field_add")
    f = fa.field
    assert f.record_type == p.RECORD_TYPE_ACCOUNT and f.name == b"segment"
    assert f.kind == p.FIELD_KIND_PICKLIST and list(f.options) == [b"A", b"B"] and f.required
    assert any(line.split() == ["kind", "picklist"] for line in r.out.splitlines())
    r = crm(fake, certs, "field", "add", "account", "x", "--kind", "text", "--min", "1")
    assert r.rc == 2, r
    r = crm(fake, certs, "field", "add", "lead", "x", "--kind", "text")
    assert r.rc == 2 and "account, contact" in r.err, r
    r = crm(fake, certs, "picklist", "add", "industry", "Software")
    assert r.rc == 0, r
    assert r.out.splitlines()[2].split() == ["industry", "Software", "Software", "1", "true"]
