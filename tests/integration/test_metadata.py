"""Metadata for clients and the shared record fields (issue 11):
RecordTypeList lists the record types the user may read, with labels and
the actions the user's role allows; FieldList carries the facts a client
builds its views from (the crm option, help, longest value, multi-line,
the type an id field references, read-only, personal), stored in
crm.standard_fields; every record's shared fields are one RecordMeta,
with external_id (unique per type, filterable), while the CLI's JSON keeps
them flat. Through crmd and through `crm`."""

import json
import os

import conftest

import pytest

from conftest import ALREADY_EXISTS, INVALID_ARGUMENT, UNAUTHENTICATED, pb, run_crm
from identity import audit_rows, make_world, ok, status, su_json, su_sql
from records import account, contact, flt, get, list_all, update


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def record_types():
    """The record types crm.proto has: RecordType's values but 0, by name
    (what the build pairs with Record's members, crm_record_types.h)."""
    return [v.name[len("RECORD_TYPE_"):].lower() for v in pb().RecordType.DESCRIPTOR.values
            if v.number]


def sql_list(names):
    return ", ".join(f"'{n}'" for n in names)


def types(w, who):
    r = ok(w.do(who, "record_type_list"), f"record_type_list as {who}")
    A = pb().Action
    return {t.name: (t.label, t.plural_label, [A.Name(a).lower() for a in t.actions])
            for t in r.record_type_list.types}


def test_type_list_follows_the_permission_matrix(world):
    t = types(world, "root")
    assert t["account"] == ("Account", "Accounts",
                            ["read", "create", "update", "delete", "export", "reassign", "admin"])
    assert t["contact"][:2] == ("Contact", "Contacts")
    # Administrative types (no table) are not record types a client lists,
    # nor types the record requests do not serve (yet): every type listed
    # takes FieldList and RecordList.
    assert not {"user", "team", "field", "relation", "audit"} & set(t)
    served = set(record_types())
    assert set(t) == served, (set(t), served)
    for name in t:
        ok(world.do("root", "field_list", record_type=name), f"field_list {name}")
        ok(world.do("root", "record_list", type=name), f"record_list {name}")
    # A viewer reads and does nothing else.
    v = types(world, "vie")
    assert v["account"][2] == ["read"] and v["contact"][2] == ["read"]
    # A role that may not read contacts does not see the type; its other
    # actions follow the matrix as the admin sets it.
    ok(world.do("root", "permission_set", role="viewer", record_type="contact", action="READ",
                scope="NONE"), "viewer may not read contacts")
    ok(world.do("root", "permission_set", role="viewer", record_type="account", action="EXPORT",
                scope="OWN"), "viewer may export own accounts")
    v = types(world, "vie")
    assert "contact" not in v
    assert v["account"][2] == ["read", "export"]
    # What crmd answers is what the matrix says, for every role.
    for who in ("mgr", "sal", "sup", "mkt"):
        got = types(world, who)
        role = {"mgr": "manager", "sal": "sales", "sup": "support", "mkt": "marketing"}[who]
        rows = su_json(world.env, world.db,
                       f"SELECT record_type, action FROM crm.permissions WHERE role = '{role}'"
                       f" AND scope <> 'none' AND record_type IN ({sql_list(record_types())})")
        for name in record_types():
            want = {r["action"] for r in rows if r["record_type"] == name}
            assert set(got.get(name, ("", "", []))[2]) == want, (who, name)


def test_type_list_needs_a_session(world):
    from identity import rq
    r = rq(world.connect(), "record_type_list")
    assert r.status.code == UNAUTHENTICATED, r


def fields(w, who, type_):
    r = ok(w.do(who, "field_list", record_type=type_), f"field_list {type_}")
    return {f.name.decode(): f for f in r.field_list.fields}


def test_field_facts_of_standard_fields(world):
    RT = pb().RecordType
    a = fields(world, "sal", "account")
    assert a["legal_name"].cli_option == "legal-name" and a["legal_name"].max_length == 255
    assert a["legal_name"].personal and not a["legal_name"].read_only
    assert a["description"].multi_line and a["description"].max_length == 32768
    assert not a["name"].multi_line and a["name"].help
    assert a["parent_id"].references == RT.Value("RECORD_TYPE_ACCOUNT")
    assert a["parent_id"].cli_option == "parent"
    assert not a["name"].HasField("references")
    assert a["id"].read_only and a["owner"].read_only and a["updated_at"].read_only
    assert not a["id"].HasField("cli_option")
    assert not a["type"].personal and a["type"].cli_option == "type"
    assert a["country"].cli_option == "billing-country"
    # existing facts stay
    assert a["name"].sortable and a["name"].filterable and a["name"].label == b"Name"
    c = fields(world, "sal", "contact")
    assert c["account_id"].references == RT.Value("RECORD_TYPE_ACCOUNT")
    assert c["display_name"].read_only and c["display_name"].personal
    assert c["given_name"].cli_option == "given-name" and c["birthday"].personal
    assert c["do_not_contact"].cli_option == "do-not-contact" and not c["do_not_contact"].personal
    # Every standard field of every type has help and agrees with the table.
    rows = su_json(world.env, world.db, "SELECT record_type, name, cli_option, read_only, personal,"
                   " help FROM crm.standard_fields"
                   f" WHERE record_type IN ({sql_list(record_types())})")
    by_type = {t: fields(world, "sal", t) for t in record_types()}
    assert {r["record_type"] for r in rows} == set(by_type)
    for r in rows:
        f = by_type[r["record_type"]][r["name"]]
        assert r["help"], r
        assert f.help == r["help"] and f.read_only == r["read_only"] and f.personal == r["personal"]
        assert (f.cli_option if f.HasField("cli_option") else None) == r["cli_option"]


def test_field_list_kinds_follow_the_standard_fields_kinds(world):
    """crm field list's kind of a standard field: number, money, date,
    boolean and picklist are themselves, every other kind (norm, instant,
    ref, ...) is text. A date field as a type's migration registers one."""
    su_sql(world.env, world.db,
           "INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr,"
           " nullable, position) VALUES ('note', 'due_on', 'Due on', 'date',"
           " '(r.created_at AT TIME ZONE ''UTC'')::date', NULL, true, 99)")
    K = pb().FieldKind
    own = {"number": K.FIELD_KIND_NUMBER, "money": K.FIELD_KIND_MONEY, "date": K.FIELD_KIND_DATE,
           "boolean": K.FIELD_KIND_BOOLEAN, "picklist": K.FIELD_KIND_PICKLIST}
    rows = su_json(world.env, world.db, "SELECT record_type, name, kind FROM crm.standard_fields"
                                        f" WHERE record_type IN ({sql_list(record_types())})")
    got = {t: fields(world, "root", t) for t in record_types()}
    for r in rows:
        want = own.get(r["kind"], K.FIELD_KIND_TEXT)
        assert got[r["record_type"]][r["name"]].kind == want, r
    assert got["note"]["due_on"].kind == K.FIELD_KIND_DATE


def test_a_date_standard_field_filters_and_sorts_page_by_page(world):
    """A type's own date field (kind date, a sort expression), as a type's
    migration registers one: filtered by day, and sorted both ways a page
    at a time (the cursor carries the day)."""
    su_sql(world.env, world.db,
           "INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr,"
           " nullable, position) VALUES ('account', 'founded_on', 'Founded on', 'date',"
           " '(r.created_at AT TIME ZONE ''UTC'')::date', '(r.created_at AT TIME ZONE ''UTC'')::date',"
           " false, 99)")
    made = [account(world, name=f"Dated {i}").id for i in range(3)]
    days = ["2021-05-03", "2019-01-20", "2020-11-30"]
    for rid, day in zip(made, days):
        su_sql(world.env, world.db, f"UPDATE crm.accounts SET created_at = '{day} 12:00Z'"
                                    f" WHERE id = {rid}")
    oldest_first = [made[1], made[2], made[0]]
    mine = [flt("name", "eq", *[f"Dated {i}" for i in range(3)])]
    for desc in (False, True):
        got = list_all(world, "root", "account", mine, [{"field": "founded_on", "desc": desc}],
                       limit=1)
        assert got == (oldest_first[::-1] if desc else oldest_first), (desc, got, made)
    assert list_all(world, "root", "account", mine + [flt("founded_on", "eq", "2020-11-30")]) \
        == [made[2]]
    assert list_all(world, "root", "account", mine + [flt("founded_on", "lt", "2021-01-01")],
                    [{"field": "founded_on"}]) == oldest_first[:2]


def test_custom_fields_have_the_facts_too(world):
    ok(world.do("root", "field_add", field=dict(record_type="account", name="score", kind="number")))
    f = fields(world, "sal", "account")["score"]
    assert not f.standard and not f.read_only and not f.personal and not f.multi_line
    assert f.filterable


def cli(w, user, *args):
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args)


def test_cli_type_list_and_field_facts(world):
    r = cli(world, "root", "--format", "json", "type", "list")
    assert r.rc == 0, r
    got = {t["name"]: t for t in json.loads(r.out)}
    assert got["account"]["label"] == "Account" and got["account"]["plural_label"] == "Accounts"
    assert "export" in got["contact"]["actions"]
    r = cli(world, "vie", "--format", "csv", "type", "list")
    assert r.rc == 0 and "account" in r.out and "read" in r.out and "create" not in r.out, r
    r = cli(world, "vie", "type", "list")
    assert r.rc == 0 and "Accounts" in r.out, r
    r = cli(world, "root", "--format", "json", "field", "list", "contact")
    assert r.rc == 0, r
    f = {x["name"]: x for x in json.loads(r.out)}
    assert f["account_id"]["references"] == "account" and f["account_id"]["cli_option"] == "account"
    assert f["description"]["multi_line"] is True and f["description"]["max_length"] == 32768
    assert f["id"]["read_only"] is True and f["given_name"]["personal"] is True
    assert f["given_name"]["help"].startswith("The given name")
    # The table stays readable: no help column.
    r = cli(world, "root", "field", "list", "contact")
    assert r.rc == 0 and "The given name" not in r.out and "display_name" in r.out, r
    r = cli(world, "root", "type", "list", "extra")
    assert r.rc != 0


# ---------------------------------------------------------------- RecordMeta, external_id

def test_shared_fields_are_one_record_meta(world):
    p = pb()
    for name in ("Account", "Contact"):
        d = getattr(p, name).DESCRIPTOR
        assert d.fields_by_name["meta"].message_type.name == "RecordMeta"
        assert not {"id", "version", "owner", "tags", "custom"} & set(d.fields_by_name)
    a = account(world, external_id="ERP-1", tags=["t"])
    r = ok(get(world, "root", "account", a.id)).record.account
    assert r.meta.id == a.id and r.meta.version == 1 and r.meta.owner == "root"
    assert r.meta.external_id == b"ERP-1" and list(r.meta.tags) == [b"t"]
    # the view's JSON has the shared keys flat, as jsonmsg reads them
    j = su_sql(world.env, world.db, f"SELECT json FROM crm.account_out WHERE id = {a.id}")
    import json as json_
    obj = json_.loads(j)["account"]
    assert obj["external_id"] == "ERP-1" and obj["id"] == a.id and "meta" not in obj


def test_external_id_is_unique_per_type_and_can_change(world):
    a = account(world, external_id="  ERP-7 ")
    assert a.external_id == b"ERP-7"  # trimmed
    # another account may not take it, even one whose creator cannot see the first
    r = world.do("sal", "record_create", record={"account": {"name": "B", "external_id": "ERP-7"}})
    status(r, ALREADY_EXISTS, "record_create.record.account.external_id")
    assert "ERP-7" in r.status.message
    # a contact may: unique per type
    c = contact(world, external_id="ERP-7")
    assert c.external_id == b"ERP-7"
    # update: set, keep, clear
    b = account(world, name="B2", external_id="ERP-8")
    status(update(world, "root", b.id, b.version, "account", external_id="ERP-7"),
           ALREADY_EXISTS, "record_update.changes.account.external_id")
    u = ok(update(world, "root", b.id, b.version, "account", external_id="ERP-9")).record.account
    assert u.external_id == b"ERP-9"
    # audited like any field
    rows = audit_rows(world.env, world.db, f"record_id = {b.id} AND action = 'update'")
    assert rows and rows[-1]["old_values"]["external_id"] == "ERP-8"
    assert rows[-1]["new_values"]["external_id"] == "ERP-9"
    u = ok(update(world, "root", b.id, u.version, "account", description="x")).record.account
    assert u.external_id == b"ERP-9"  # untouched when not given
    u = ok(update(world, "root", b.id, u.version, "account", clear=["external_id"])).record.account
    assert not u.meta.HasField("external_id")
    # ERP-8 is free again; a blank one is none
    account(world, name="B3", external_id="ERP-8")
    u = ok(update(world, "root", b.id, u.version, "account", external_id="  ")).record.account
    assert not u.meta.HasField("external_id")
    # at most 255 characters, no control characters
    status(world.do("root", "record_create", record={"account": {"name": "C", "external_id": "x" * 256}}),
           INVALID_ARGUMENT, "record_create.record.account.external_id")
    status(world.do("root", "record_create", record={"account": {"name": "C", "external_id": "a\x07b"}}),
           INVALID_ARGUMENT, "record_create.record.account.external_id")
    # the wire validator names the field the same way (no ".meta.")
    status(world.do("root", "record_create", record={"account": {"name": "C", "external_id": b"a\x00b"}}),
           INVALID_ARGUMENT, "record_create.record.account.external_id")
    # a deleted record keeps its id until purged
    ok(world.do("root", "record_delete", type="contact", id=c.id))
    status(world.do("root", "record_create", record={"contact": {"family_name": "Z", "external_id": "ERP-7"}}),
           ALREADY_EXISTS, "record_create.record.contact.external_id")
    ok(world.do("root", "record_purge", type="contact", id=c.id))
    contact(world, family_name="Z", external_id="ERP-7")


def test_lists_filter_on_external_id(world):
    a = account(world, external_id="X-1")
    account(world, name="Other", external_id="X-2")
    account(world, name="None")
    assert list_all(world, "root", "account", [flt("external_id", "eq", "X-1")]) == [a.id]
    assert len(list_all(world, "root", "account", [flt("external_id", "not_empty")])) == 2
    f = fields(world, "root", "account")["external_id"]
    assert f.filterable and f.cli_option == "external-id" and f.max_length == 255
    # a user who cannot see the record does not find it by its external id
    assert list_all(world, "sal", "account", [flt("external_id", "eq", "X-1")]) == []


def test_cli_json_keeps_the_shared_fields_flat(world):
    r = cli(world, "root", "account", "add", "--name", "Acme", "--external-id", "ERP-42", "--tag", "vip")
    assert r.rc == 0, r
    aid = int(r.out.strip())
    r = cli(world, "root", "--format", "json", "account", "show", str(aid))
    assert r.rc == 0, r
    j = json.loads(r.out)
    keys = list(j)
    assert "meta" not in j and j["id"] == aid and j["version"] == 1 and j["owner"] == "root"
    assert j["external_id"] == "ERP-42" and j["tags"] == ["vip"]
    # id first, the type's own fields, then tags and custom, then the rest
    assert keys[:2] == ["id", "name"] and keys.index("tags") < keys.index("version")
    assert keys[-1] == "external_id" and keys[-2] == "deleted_at"
    r = cli(world, "root", "--format", "json", "account", "list", "--filter", "external_id=ERP-42")
    assert r.rc == 0 and [x["id"] for x in json.loads(r.out)] == [aid], r
    r = cli(world, "root", "account", "edit", str(aid), "--clear", "external-id")
    assert r.rc == 0, r
    j = json.loads(cli(world, "root", "--format", "json", "account", "show", str(aid)).out)
    assert j["external_id"] is None and j["version"] == 2
    r = cli(world, "root", "account", "add", "--name", "Two", "--external-id", "ERP-43")
    assert r.rc == 0, r
    r = cli(world, "root", "account", "edit", str(aid), "--external-id", "ERP-43")
    assert r.rc != 0 and "ERP-43" in r.err, r
    r = cli(world, "root", "account", "show", str(aid))
    assert r.rc == 0 and "owner" in r.out and "version" in r.out, r


# ---------------------------------------------------------------- proto field options

def test_proto_field_options_agree_with_standard_fields(world):
    """The facts stated as options on crm.proto's fields ([(crm.field) =
    {...}], proto/options.proto), as the build extracts them
    (proto/gen_fields.py -> crm_field_facts.json), are what
    crm.standard_fields holds and crm field list returns."""
    path = os.path.join(conftest.BUILD_DIR, "proto", "crm_field_facts.json")
    with open(path) as f:
        facts = {(r["record_type"], r["name"]): r for r in json.load(f)}
    rows = su_json(world.env, world.db,
                   "SELECT record_type, name, label, cli_option, help, max_length, multi_line,"
                   " ref_type, read_only, personal, sort_expr IS NOT NULL AS sortable,"
                   " kind <> 'none' AS filterable FROM crm.standard_fields"
                   f" WHERE record_type IN ({sql_list(record_types())})")
    db = {(r["record_type"], r["name"]): r for r in rows}
    # every standard field is stated on crm.proto: on a proto field, or as
    # an option of the message (crm.filter) for a filter on no field of
    # its own (the billing country, a part of billing_address)
    assert set(db) == set(facts), (set(db) - set(facts), set(facts) - set(db))
    assert facts[("account", "country")]["filter_only"]
    assert facts[("account", "country")]["label"] == "Billing country"
    for key, want in facts.items():
        got = db[key]
        for k in ("label", "cli_option", "help", "max_length", "multi_line", "read_only",
                  "personal", "sortable", "filterable"):
            assert got[k] == want[k], (key, k, got[k], want[k])
        assert got["ref_type"] == want["references"], key
    # and the shared fields are stated once, on RecordMeta, for every type
    assert {t for t, _ in facts} == set(record_types())
    for t in record_types():
        assert facts[(t, "external_id")]["field"] == "external_id"
        assert facts[(t, "owner")] == dict(facts[("account", "owner")], record_type=t)


def test_crmd_migrate_sets_the_field_facts_crm_proto_states(world):
    """crmd migrate runs crm_field_facts.sql (crm.proto's field options as
    an UPDATE of crm.standard_fields, compiled into crmd) after the
    modules and before it decides whether to run the generators
    (crm.generated_inputs() reads the facts): a fact that differs from
    crm.proto's, as after an upgrade to a build whose option changed, is
    set to crm.proto's, and the generators run. Run again, it writes
    nothing."""
    w = world
    path = os.path.join(conftest.BUILD_DIR, "proto", "crm_field_facts.json")
    with open(path) as f:
        want = next(r["label"] for r in json.load(f)
                    if (r["record_type"], r["name"]) == ("account", "name"))
    label = ("SELECT label FROM crm.standard_fields"
             " WHERE record_type = 'account' AND name = 'name'")
    assert su_sql(w.env, w.db, label) == want
    # the database holds another label, with which the generators last ran
    w.env.pg.sql("UPDATE crm.standard_fields SET label = 'Changed'"
                 " WHERE record_type = 'account' AND name = 'name';"
                 " UPDATE crm_meta.schema_generated SET inputs = crm.generated_inputs();",
                 db=w.db, user="crm_owner")
    r = w.crmd.migrate()
    assert r.rc == 0, r
    assert r.out.splitlines()[1:] == ["modules are up to date",
                                      "applied crm_field_facts.sql (1 standard field changed)",
                                      "ran crm.refresh_generated()"], r.out
    assert su_sql(w.env, w.db, label) == want

    # nothing new: no row written, no audit row, nothing run again
    state = ("SELECT (SELECT string_agg(xmin::text, ',' ORDER BY record_type, name)"
             "         FROM crm.standard_fields),"
             " (SELECT count(*) FROM crm.audit), (SELECT applied_at FROM crm_meta.schema_generated)")
    before = su_sql(w.env, w.db, state)
    r = w.crmd.migrate()
    assert r.rc == 0, r
    assert r.out.splitlines()[1:] == ["modules are up to date",
                                      "generated objects are up to date"], r.out
    assert su_sql(w.env, w.db, state) == before


def test_add_help_comes_from_the_field_options(env):
    """crm TYPE add --help states each option that sets a standard field
    with the help its proto field option gives (crm_field_help.h)."""
    path = os.path.join(conftest.BUILD_DIR, "proto", "crm_field_facts.json")
    with open(path) as f:
        facts = json.load(f)
    for rtype in record_types():
        r = run_crm(rtype, "add", "--help", home=env.base)
        assert r.rc == 0, r
        text = " ".join(r.out.split())
        # the type's own fields (the shared ones, --tag and --external-id,
        # are in the help every type has)
        mine = [x for x in facts if x["record_type"] == rtype and x["cli_option"]
                and not x["read_only"] and not x["shared"] and not x.get("filter_only")]
        assert len(mine) > (10 if rtype in ("account", "contact") else 0), rtype
        for x in mine:
            assert f"--{x['cli_option']}" in text, (rtype, x["cli_option"])
            help_ = x["help"]  # first letter lower-cased, as gen_fields.py does, but YYYY
            if not help_[1].isupper():
                help_ = help_[0].lower() + help_[1:]
            assert " ".join(help_.split()) in text, (rtype, x["cli_option"], help_)


def test_list_help_names_fields_that_filter_and_sort(world):
    """The fields `crm TYPE list --help` names (those crm.proto's field
    options say filter, and a sort example from those that sort; commands.c
    reads them from crm_field_facts.h) are standard fields of the type that
    filter, and sort, in crm.standard_fields."""
    rows = su_json(world.env, world.db,
                   "SELECT record_type, name, kind <> 'none' AS filterable,"
                   " sort_expr IS NOT NULL AS sortable FROM crm.standard_fields")
    db = {(r["record_type"], r["name"]): r for r in rows}
    for rtype in record_types():
        r = run_crm(rtype, "list", "--help", home=world.env.base)
        assert r.rc == 0, r
        text = " ".join(r.out.split())
        filters = text.split("standard field (", 1)[1].split(", ...)", 1)[0].split(", ")
        sorts = text.split("sorts it descending: ", 1)[1].split(" ", 1)[0].split(",")
        assert len(filters) >= 5 and sorts, (rtype, filters, sorts)
        for name in filters:
            assert db.get((rtype, name), {}).get("filterable"), (rtype, name)
        for name in sorts:
            assert db.get((rtype, name.lstrip("-")), {}).get("sortable"), (rtype, name)
