"""Conformance by loop: every record type in the registry (crm.record_types
with a table) goes through the same requests, so that a new type is
covered without new test code (docs/data.md, "The conformance suite").

For each type, through crmd:
- a round trip of every writable field set to a non-default value, the
  value sent compared field by field with what record_get returns (not
  with create's echo: both come from the same view, and a field the SQL
  spells wrong is silently dropped by crmd's JSON reader from both), then
  each field changed and compared again; the comparison is shown to catch
  a dropped field;
- each filterable standard field filtered on the record's own value (and
  EMPTY), each sortable one sorted both ways a page at a time, each
  clearable field (crm.record_types.clearable) cleared;
- the lifecycle: list, delete (a deleted record is read with deleted_at,
  listed only among the deleted), restore, purge (then NOT_FOUND);
- reassign, the audit trail, a custom field added later;
- sharing (record_share, share_list): read, edit, revoke;
- row-level security as the user of each seeded role against records
  owned across the organisation (identity.py's world): what the permission
  matrix in crm.permissions allows works, the rest is refused, and a
  record the user may not read is answered exactly as an id that does not
  exist.

Which fields a type has comes from its message in proto/crm.proto
(bookkeeping and fields marked read-only there are not sent); the values
from crm.standard_fields (kind), the pick lists, crm.fields (custom
fields) and the foreign keys of the type's table (which type a reference
names). Values are made per kind of value (text, pick list, money, date,
address, ...), never per record type.

One crmd and one database serve the whole module."""

import copy
import os
import re
import time

import pytest

import conftest
from conftest import NOT_FOUND, OK, PERMISSION_DENIED, pb
from identity import (BY_ROLE, PEOPLE, code_name, make_world, ok, status, su_json,
                      su_sql)

# --------------------------------------------------------------- the registry

_shared = {}


def shared_env():
    """The module's cluster, made once: collection already needs it, to
    read the registry the tests are parametrized over."""
    if "env" not in _shared:
        _shared["env"] = conftest.Env()
    return _shared["env"]


def registry():
    """(record types with a table, roles), from the migrated template."""
    if "registry" not in _shared:
        e = shared_env()
        types = su_sql(e, "crm_template", "SELECT name FROM crm.record_types"
                                          " WHERE table_name IS NOT NULL ORDER BY name").split()
        roles = su_sql(e, "crm_template", "SELECT name FROM crm.roles ORDER BY name").split()
        _shared["registry"] = (types, roles)
    return _shared["registry"]


def pytest_generate_tests(metafunc):
    types, roles = registry()
    if "rtype" in metafunc.fixturenames:
        metafunc.parametrize("rtype", types, scope="module")
    if "role" in metafunc.fixturenames:
        metafunc.parametrize("role", roles)


@pytest.fixture(scope="module")
def env():
    yield shared_env()


@pytest.fixture(scope="module")
def world(env):
    """identity.py's organisation on a database and crmd of this module."""
    db = env.pg.create_db()
    made = []

    def factory(start=True, **overrides):
        c = conftest.Crmd(env, db, overrides)
        made.append(c)
        if start:
            c.start()
        return c

    # One connection per user serves the whole module, several minutes
    # with every type: a user idle past crmd's idle timeout (60s in
    # conftest) while other roles' tests run would find it closed.
    w = make_world(env, factory, idle_timeout="900s")
    w.meta = {}
    yield w
    for c in made:
        rc = c.stop() if c.alive() else None
        assert rc in (0, None), f"{c.name} exited with {rc}:\n" + "\n".join(c.log_lines()[-40:])
        assert not c.sanitizer_reports(), c.sanitizer_reports()
    env.pg.drop_db(db)


# --------------------------------------------------------------- a type's facts

# Fields every record carries and no request writes (RecordReassign
# changes owner and team).
BOOKKEEPING = {"id", "version", "owner", "team", "created_at", "created_by", "updated_at",
               "updated_by", "deleted_at"}


def proto_read_only():
    """{(message, field)} marked read-only in proto/crm.proto: by a comment
    on the field's line, or by its option (read_only: true)."""
    out = set()
    with open(os.path.join(conftest.SOURCE_DIR, "proto", "crm.proto")) as f:
        text = f.read()
    for m in re.finditer(r"^message (\w+)\s*\{(.*?)^\}", text, re.M | re.S):
        for fm in re.finditer(r"^\s*(?:optional|repeated)\s+[\w.]+\s+(\w+)\s*=\s*\d+"
                              r"\s*(\[.*?\])?;([^\n]*)", m.group(2), re.M | re.S):
            if "read-only" in fm.group(3) or "read_only: true" in (fm.group(2) or ""):
                out.add((m.group(1), fm.group(1)))
    return out


READ_ONLY = proto_read_only()


def writable(desc):
    return [f for f in desc.fields if f.name not in BOOKKEEPING
            and (desc.name, f.name) not in READ_ONLY]


def enum_value(rtype):
    """The RecordType value of a registry type, or None."""
    v = pb().RecordType.DESCRIPTOR.values_by_name.get("RECORD_TYPE_" + rtype.upper())
    return v.number if v is not None else None


class TypeFacts:
    """What the database and the protocol say about one record type."""

    def __init__(self, w, rtype):
        self.name = rtype
        rec = pb().Record.DESCRIPTOR.fields_by_name.get(rtype)
        self.enum = enum_value(rtype)
        if rec is None or self.enum is None:
            # A business type the registry has and the protocol lacks is a
            # defect (no test data has crm-datagen's synthetic types).
            pytest.fail(f"record type {rtype!r} is in crm.record_types but the protocol has no "
                        f"Record.{rtype} member or RECORD_TYPE_{rtype.upper()} value: a record "
                        f"type the registry has must be in proto/crm.proto")
        self.desc = rec.message_type
        self.table = su_sql(w.env, w.db, f"SELECT table_name FROM crm.record_types"
                                         f" WHERE name = '{rtype}'")
        self.std = {r["name"]: r for r in su_json(
            w.env, w.db, f"SELECT name, kind, nullable FROM crm.standard_fields"
                         f" WHERE record_type = '{rtype}'")}
        # column → the record type its foreign key names
        self.refs = {r["col"]: r["type"] for r in su_json(w.env, w.db, f"""
            SELECT a.attname AS col, t.name AS type
            FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid
              AND a.attnum = k.conkey[1]
            JOIN crm.record_types t ON t.table_name::regclass = k.confrelid
            WHERE k.contype = 'f' AND k.conrelid = '{self.table}'::regclass
              AND cardinality(k.conkey) = 1 AND a.attname <> 'id'""")}


def facts(w, rtype):
    if rtype not in w.meta:
        w.meta[rtype] = TypeFacts(w, rtype)
    return w.meta[rtype]


def picklist(w, *names):
    """The active values of the first of `names` that is a pick list."""
    for n in names:
        vals = su_sql(w.env, w.db, f"SELECT value FROM crm.picklist_values WHERE picklist = '{n}'"
                                   f" AND active ORDER BY position, value").splitlines()
        if vals:
            return vals
    return None


# --------------------------------------------------------------- values

class Values:
    """Makes a valid, non-default value for every writable field of a type.
    `v` (1, 2, ...) picks a different value each time, so that an update
    changes every field; texts name their field, so that two fields
    swapped in the SQL do not compare equal."""

    def __init__(self, w, t, v, refs=True, share_with=None):
        """refs=False: only the references a record needs (the type's
        required ones), each to a record root makes and, when `share_with`
        names a user, shares with that user to read."""
        self.w, self.t, self.v, self.refs, self.share_with = w, t, v, refs, share_with
        self.seq = 0

    def record(self):
        out = {}
        for f in writable(self.t.desc):
            val = self.field(self.t.desc, f, top=True)
            if val is not None:
                out[f.name] = val
        return out

    def uniq(self):
        self.seq += 1
        return f"{self.v}{self.seq}{os.urandom(4).hex()}"

    def field(self, desc, f, top=False):
        if f.name == "custom":
            return self.custom()
        kind = self.t.std.get(f.name, {}).get("kind") if top else None
        if f.label == f.LABEL_REPEATED:
            items = [self.single(desc, f, kind, i) for i in range(2)]
            items = [x for x in items if x is not None]
            if f.type == f.TYPE_MESSAGE and any("primary" in x for x in items):
                for i, x in enumerate(items):  # exactly one primary: the second
                    x["primary"] = i == 1
            return items or None
        return self.single(desc, f, kind, 0)

    def single(self, desc, f, kind, i):
        v = self.v
        if f.type == f.TYPE_MESSAGE:
            sub = f.message_type
            out = {}
            for g in writable(sub):
                val = (self.field(sub, g) if g.label == g.LABEL_REPEATED or g.name == "custom"
                       else self.single(sub, g, None, i))
                if val is not None:
                    out[g.name] = val
            return out or None
        if f.type == f.TYPE_ENUM:
            nonzero = [x.number for x in f.enum_type.values if x.number != 0]
            return nonzero[-(1 + (v - 1 + i) % len(nonzero))]
        if f.type == f.TYPE_BOOL:
            return v % 2 == 1
        if f.type in (f.TYPE_INT64, f.TYPE_INT32, f.TYPE_UINT32, f.TYPE_UINT64):
            if kind == "ref":
                return self.reference(f.name)
            if desc.name == "Date":
                return {"year": 1960 + v, "month": 1 + v, "day": 10 + v}[f.name]
            if kind == "instant":  # in the future: a due time, a reminder
                return (int(time.time()) + 86400 * (30 + v) + 60 * i) * 1_000_000
            return 4200 + 7 * v + i
        # bytes and strings
        if kind == "picklist":
            vals = picklist(self.w, f.name, f"{self.t.name}.{f.name}")
            assert vals, f"{self.t.name}.{f.name}: no pick list {f.name} with active values"
            return vals[v % len(vals)].encode()
        if kind == "user":  # an active user of the organisation (identity.py)
            return (b"root", b"mgr", b"sal")[v % 3]
        if kind == "phone" or (desc.name.endswith("Phone") and f.name == "number"):
            return f"+49 30 {5550100 + 10 * v + i}".encode()
        if desc.name.endswith("Email") and f.name == "address":
            return f"conf{v}.{i}.{self.uniq()}@example.com".encode()
        if desc.name.endswith(("Email", "Phone")) and f.name == "kind":
            return (b"home", b"other")[(v + i) % 2]
        if f.name == "country":  # a different one each time: billing is not shipping
            self.seq += 1
            return (b"DE", b"FR", b"JP", b"BR", b"CA")[(v + self.seq) % 5]
        if f.name == "currency":
            return (b"EUR", b"USD")[v % 2]
        if f.name == "amount":
            return f"{1000 * v + 234}.50".encode()
        if f.name == "website":
            return f"https://v{v}.{self.uniq()}.example".encode()
        return f"{f.name} {self.uniq()}".encode()

    def reference(self, field):
        if not self.refs and self.t.std.get(field, {}).get("nullable", True):
            return None
        target = self.t.refs.get(field)
        assert target, (f"{self.t.name}.{field} is a reference (crm.standard_fields kind ref) but"
                        f" no foreign key of {self.t.table} names a record type")
        tf = facts(self.w, target)
        r = ok(self.w.do("root", "record_create",
                         record={target: Values(self.w, tf, self.v, refs=False).record()}),
               f"create a {target} for {self.t.name}.{field}")
        rid = getattr(r.record, target).id
        if self.share_with not in (None, "root"):
            ok(self.w.do("root", "record_share", type=tf.enum, id=rid, user=self.share_with,
                         access="ACCESS_READ"), f"share the {target} {rid} with {self.share_with}")
        return rid

    def custom(self):
        out = []
        for f in su_json(self.w.env, self.w.db,
                         f"SELECT name, kind FROM crm.fields WHERE record_type = '{self.t.name}'"
                         f" ORDER BY name"):
            val = custom_value(self.w, self.t.name, f["name"], f["kind"], self.v)
            out.append({"field": f["name"].encode(), "value": val.encode()})
        return out or None


def custom_value(w, rtype, name, kind, v):
    if kind == "picklist":
        vals = picklist(w, f"{rtype}.{name}")
        return vals[v % len(vals)]
    return {"text": f"custom {name} {v}", "number": f"{40 + v}.5", "money": f"{500 * v}.00 EUR",
            "date": f"202{v}-0{v}-1{v}", "boolean": ("true", "false")[(v + 1) % 2]}[kind]


CUSTOM_KINDS = ("text", "number", "money", "date", "boolean", "picklist")


@pytest.fixture(scope="module")
def custom_fields(world, rtype):
    """One custom field of each kind on the type, so that the round trip
    carries custom values of every kind."""
    t = facts(world, rtype)
    have = set(su_sql(world.env, world.db, f"SELECT name FROM crm.fields"
                                           f" WHERE record_type = '{rtype}'").split())
    for kind in CUSTOM_KINDS:
        if f"conf_{kind}" in have:  # pytest may set the fixture up again for a type
            continue
        fd = {"record_type": t.enum, "name": f"conf_{kind}", "kind": "FIELD_KIND_" + kind.upper()}
        if kind == "picklist":
            fd["options"] = ["Alpha", "Beta", "Gamma"]
        ok(world.do("root", "field_add", field=fd), f"field_add {rtype}.conf_{kind}")
    return t


# --------------------------------------------------------------- comparing

def differences(sent, got, path=""):
    """Every field of `sent` (a dict as given to the request) whose value
    `got` (the message read back) does not hold. Repeated scalars (tags)
    and key-value pairs (preferences) are compared as sets, custom values
    by field name, other repeated messages (e-mails, phones) in order."""
    out = []
    for name, want in sent.items():
        f = got.DESCRIPTOR.fields_by_name[name]
        have = getattr(got, name)
        where = f"{path}{name}"
        if f.label == f.LABEL_REPEATED:
            if f.type != f.TYPE_MESSAGE:  # a set (tags): order is the server's
                if sorted(have) != sorted(want):
                    out.append(f"{where}: sent {sorted(want)}, got {sorted(have)}")
            elif name == "custom":  # merged by field name
                have_d = {c.field: c.value for c in have}
                for c in want:
                    if have_d.get(c["field"]) != c["value"]:
                        out.append(f"{where}.{c['field'].decode()}: sent {c['value']!r}, got "
                                   f"{have_d.get(c['field'])!r}")
            elif len(have) != len(want):
                out.append(f"{where}: sent {len(want)} items, got {len(have)}")
            else:
                if "key" in f.message_type.fields_by_name:  # a map (preferences): keyed
                    want = sorted(want, key=lambda x: x.get("key", b""))
                    have = sorted(have, key=lambda x: x.key)
                for i, (wi, hi) in enumerate(zip(want, have)):
                    out += differences(wi, hi, f"{where}[{i}].")
        elif f.type == f.TYPE_MESSAGE:
            if not got.HasField(name):
                out.append(f"{where}: sent {want}, got nothing")
            else:
                out += differences(want, have, where + ".")
        elif have != want or (f.has_presence and not got.HasField(name)):
            out.append(f"{where}: sent {want!r}, got {have!r}"
                       + ("" if got.HasField(name) else " (absent)"))
    return out


def get(w, who, t, rid):
    return w.do(who, "record_get", type=t.enum, id=rid)


def the(resp, t):
    return getattr(resp.record, t.name)


def listed(w, who, t, filters=(), **kw):
    """Ids of a whole list."""
    out, cursor = [], None
    for _ in range(1000):
        r = ok(w.do(who, "record_list", type=t.enum, filters=list(filters),
                    page={"limit": 100, **({"cursor": cursor} if cursor else {})}, **kw),
               f"list {t.name} as {who}")
        out += [getattr(x, t.name).id for x in r.record_list.records]
        if not r.record_list.HasField("next_cursor"):
            return out
        cursor = r.record_list.next_cursor
    raise AssertionError("list did not end")


def by_id(rid):
    return {"field": b"id", "op": "FILTER_OP_EQ", "values": [str(rid).encode()]}


# --------------------------------------------------------------- round trip

def test_every_field_round_trips(world, rtype, custom_fields):
    w, t = world, custom_fields
    sent = Values(w, t, 1).record()
    assert sent, f"{rtype}: no writable field found"
    r = ok(w.do("root", "record_create", record={rtype: sent}), f"create {rtype} {sent}")
    rid = the(r, t).id
    got = the(ok(get(w, "root", t, rid)), t)
    diff = differences(sent, got)
    assert not diff, f"{rtype} {rid}: fields not read back as sent:\n  " + "\n  ".join(diff)
    assert rid in listed(w, "root", t, [by_id(rid)]), "the list does not find the record"

    # Every field changed: each holds its new value.
    changes = Values(w, t, 2).record()
    r = ok(w.do("root", "record_update", id=rid, version=got.version, changes={rtype: changes}),
           f"update {rtype} {changes}")
    got2 = the(ok(get(w, "root", t, rid)), t)
    diff = differences(changes, got2)
    assert not diff, f"{rtype} {rid}: fields not updated as sent:\n  " + "\n  ".join(diff)
    assert got2.version == got.version + 1

    # The comparison is not vacuous: a field the server dropped (a key the
    # SQL spelled wrong, which crmd's JSON reader ignores) is reported.
    for name in changes:
        dropped = copy.deepcopy(got2)
        dropped.ClearField(name)
        assert differences(changes, dropped), f"a dropped {rtype}.{name} would go unnoticed"


def test_a_custom_field_added_later_round_trips_and_goes_with_its_removal(world, rtype,
                                                                           custom_fields):
    w, t = world, custom_fields
    rid = the(ok(w.do("root", "record_create", record={rtype: Values(w, t, 3).record()})), t).id
    ok(w.do("root", "field_add", field={"record_type": t.enum, "name": "conf_late",
                                        "kind": "FIELD_KIND_NUMBER"}))
    names = [f.name for f in ok(w.do("root", "field_list", record_type=t.enum)).field_list.fields]
    assert b"conf_late" in names
    v = the(ok(get(w, "root", t, rid)), t).version
    ok(w.do("root", "record_update", id=rid, version=v,
            changes={rtype: {"custom": [{"field": b"conf_late", "value": b"12.25"}]}}))
    got = the(ok(get(w, "root", t, rid)), t)
    assert {c.field: c.value for c in got.custom}.get(b"conf_late") == b"12.25", got.custom
    ok(w.do("root", "field_remove", record_type=t.enum, name="conf_late"))
    got = the(ok(get(w, "root", t, rid)), t)
    assert b"conf_late" not in {c.field for c in got.custom}
    assert b"conf_text" in {c.field for c in got.custom}  # the others stay


# --------------------------------------------------------------- filters, sorting, clearing

# How a standard field's value is written in a filter, from its column
# (crm.standard_fields.col) by kind: the rest as the column's text.
FILTER_TEXT = {"user": "(SELECT u.username FROM crm.users u WHERE u.id = {col})",
               "team": "(SELECT x.name FROM crm.teams x WHERE x.id = {col})",
               "instant": "crm.us({col})::text"}


def std_fields(w, t, where):
    return su_json(w.env, w.db, f"SELECT name, kind, col, sort_expr FROM crm.standard_fields"
                                f" WHERE record_type = '{t.name}' AND {where} ORDER BY position")


def test_filters_on_every_filterable_field(world, rtype, custom_fields):
    """Each standard field a list filters on (kind other than none): a
    filter with the record's own value finds it, EMPTY finds it only when
    the field is empty; the tags and the fields without a column of their
    own (a contact's e-mails, phones) are filtered as NOT_EMPTY."""
    w, t = world, custom_fields
    rid = the(ok(w.do("root", "record_create", record={rtype: Values(w, t, 9).record()})), t).id
    ok(w.do("root", "record_reassign", type=t.enum, id=rid, owner="sal"))  # a team too
    fields = std_fields(w, t, "kind <> 'none'")
    assert fields, f"{rtype}: no filterable standard field"
    problems = []
    for f in fields:
        name = f["name"].encode()
        if f["col"] is None:
            value = None
            found = listed(w, "root", t, [by_id(rid), {"field": name, "op": "FILTER_OP_NOT_EMPTY"}])
            if rid not in found:
                problems.append(f"{f['name']} NOT_EMPTY does not find the record")
            continue
        expr = FILTER_TEXT.get(f["kind"], "({col})::text").format(col=f["col"])
        value = su_sql(w.env, w.db, f"SELECT coalesce({expr}, '<empty>') FROM {t.table} r"
                                    f" WHERE r.id = {rid}")
        empty = rid in listed(w, "root", t, [by_id(rid), {"field": name, "op": "FILTER_OP_EMPTY"}])
        if value == "<empty>":
            if not empty:
                problems.append(f"{f['name']} is empty but EMPTY does not find the record")
            continue
        if empty:
            problems.append(f"{f['name']} = {value!r} but EMPTY finds the record")
        eq = {"field": name, "op": "FILTER_OP_EQ", "values": [value.encode()]}
        if rid not in listed(w, "root", t, [by_id(rid), eq]):
            problems.append(f"{f['name']} EQ {value!r} (its own value) does not find the record")
    assert not problems, f"{rtype}:\n  " + "\n  ".join(problems)


def test_sorts_on_every_sortable_field(world, rtype, custom_fields):
    """Each standard field a list sorts by (a sort expression): three
    records, paged one at a time (the keyset cursor), come in the order of
    the sort expression's keys and id, and descending in the reverse."""
    w, t = world, custom_fields
    tag = f"sort-{os.urandom(3).hex()}".encode()
    ids = []
    for v in (1, 5, 9):
        rec = Values(w, t, v).record()
        rec["tags"] = [tag]
        ids.append(the(ok(w.do("root", "record_create", record={rtype: rec})), t).id)
    flt = {"field": b"tags", "op": "FILTER_OP_EQ", "values": [tag]}
    fields = std_fields(w, t, "sort_expr IS NOT NULL")
    assert fields, f"{rtype}: no sortable standard field"
    problems = []
    for f in fields:
        keys = f["sort_expr"].split("|")
        for desc in (False, True):
            d = " DESC" if desc else ""
            want = [int(x) for x in su_sql(
                w.env, w.db, f"SELECT r.id FROM {t.table} r WHERE r.id IN ({', '.join(map(str, ids))})"
                             f" ORDER BY {', '.join(k + d for k in keys)}, r.id{d}").split()]
            got, cursor = [], None
            for _ in range(10):
                r = w.do("root", "record_list", type=t.enum, filters=[flt],
                         sort=[{"field": f["name"].encode(), "desc": desc}],
                         page={"limit": 1, **({"cursor": cursor} if cursor else {})})
                if r.status.code != OK:
                    problems.append(f"sort by {f['name']}{d}: {code_name(r.status.code)}"
                                    f" {r.status.message!r}")
                    break
                got += [getattr(x, rtype).id for x in r.record_list.records]
                if not r.record_list.HasField("next_cursor"):
                    break
                cursor = r.record_list.next_cursor
            if r.status.code == OK and got != want:
                problems.append(f"sort by {f['name']}{d}: got {got}, the sort expression gives {want}")
    assert not problems, f"{rtype}:\n  " + "\n  ".join(problems)


def is_clear(msg, path):
    """Whether the field at `path` (a field, or field.part) holds nothing."""
    head, _, rest = path.partition(".")
    f = msg.DESCRIPTOR.fields_by_name[head]
    if f.label == f.LABEL_REPEATED:
        return len(getattr(msg, head)) == 0
    if f.has_presence and not msg.HasField(head):
        return True
    if rest:
        return is_clear(getattr(msg, head), rest)
    return not f.has_presence and getattr(msg, head) == f.default_value


def test_clearing_every_clearable_field(world, rtype, custom_fields):
    """Each of the type's clearable fields (crm.record_types.clearable),
    set on a record, is empty once an update clears it, and the others are
    left as they were."""
    w, t = world, custom_fields
    clearable = su_sql(w.env, w.db, f"SELECT array_to_string(clearable, ' ') FROM crm.record_types"
                                    f" WHERE name = '{rtype}'").split()
    problems = []
    for path in clearable:
        rid = the(ok(w.do("root", "record_create", record={rtype: Values(w, t, 6).record()})), t).id
        before = the(ok(get(w, "root", t, rid)), t)
        if is_clear(before, path):
            problems.append(f"{path}: not set by the values the suite makes, so not tested")
            continue
        r = w.do("root", "record_update", id=rid, version=before.version, changes={rtype: {}},
                 clear=[path])
        if r.status.code != OK:
            problems.append(f"{path}: clearing refused: {code_name(r.status.code)}"
                            f" {r.status.message!r}")
            continue
        after = the(ok(get(w, "root", t, rid)), t)
        if not is_clear(after, path):
            problems.append(f"{path}: still set after clearing it")
        for other in clearable:
            if other != path and not other.startswith(path + ".") \
                    and not path.startswith(other + ".") and is_clear(after, other):
                problems.append(f"clearing {path} cleared {other} too")
    assert not problems, f"{rtype}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------- lifecycle

def test_delete_restore_purge(world, rtype, custom_fields):
    w, t = world, custom_fields
    rid = the(ok(w.do("root", "record_create", record={rtype: Values(w, t, 4).record()})), t).id
    assert rid in listed(w, "root", t, [by_id(rid)])
    r = ok(w.do("root", "record_delete", type=t.enum, id=rid))
    assert the(r, t).HasField("deleted_at")
    # Deleted: read with deleted_at (to restore it), listed only among the deleted.
    assert the(ok(get(w, "root", t, rid)), t).HasField("deleted_at")
    assert rid not in listed(w, "root", t, [by_id(rid)])
    assert rid in listed(w, "root", t, [by_id(rid)], deleted=True)
    r = ok(w.do("root", "record_restore", type=t.enum, id=rid))
    assert not the(r, t).HasField("deleted_at")
    assert rid in listed(w, "root", t, [by_id(rid)])
    assert rid not in listed(w, "root", t, [by_id(rid)], deleted=True)
    ok(w.do("root", "record_purge", type=t.enum, id=rid))
    status(get(w, "root", t, rid), NOT_FOUND, "record_get.id")
    assert rid not in listed(w, "root", t, [by_id(rid)])
    assert rid not in listed(w, "root", t, [by_id(rid)], deleted=True)
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM {t.table} WHERE id = {rid}") == "0"


def test_reassign_and_the_audit_trail(world, rtype, custom_fields):
    w, t = world, custom_fields
    sent = Values(w, t, 5).record()
    rid = the(ok(w.do("root", "record_create", record={rtype: sent})), t).id
    v = the(ok(get(w, "root", t, rid)), t).version
    change = {"tags": [b"audited"]}
    ok(w.do("root", "record_update", id=rid, version=v, changes={rtype: change}))
    ok(w.do("root", "record_delete", type=t.enum, id=rid))
    ok(w.do("root", "record_restore", type=t.enum, id=rid))
    r = ok(w.do("root", "record_reassign", type=t.enum, id=rid, owner="sal"))
    assert (the(r, t).owner, the(r, t).team) == ("sal", "Sales East")
    got = the(ok(get(w, "sal", t, rid)), t)
    assert (got.owner, got.team) == ("sal", "Sales East")
    status(get(w, "sup", t, rid), NOT_FOUND, "record_get.id")
    entries = ok(w.do("root", "audit_list", record_type=rtype, record_id=rid)).audit_list.entries
    actions = [e.action for e in sorted(entries, key=lambda e: e.audit_id)]
    for a in ("create", "update", "delete", "restore", "reassign"):
        assert a in actions, f"{rtype} {rid}: no {a} in the audit trail {actions}"
    assert actions[0] == "create", actions
    assert all(e.username == "root" and e.request_id for e in entries), entries


def test_sharing(world, rtype, custom_fields):
    w, t = world, custom_fields
    rid = the(ok(w.do("root", "record_create", record={rtype: Values(w, t, 6).record()})), t).id
    status(get(w, "sal", t, rid), NOT_FOUND, "record_get.id")
    ok(w.do("root", "record_share", type=t.enum, id=rid, user="sal", access="ACCESS_READ"))
    ok(get(w, "sal", t, rid))
    assert rid in listed(w, "sal", t, [by_id(rid)])
    v = the(ok(get(w, "root", t, rid)), t).version
    status(w.do("sal", "record_update", id=rid, version=v, changes={rtype: {"tags": [b"x"]}}),
           PERMISSION_DENIED)
    ok(w.do("root", "record_share", type=t.enum, id=rid, user="sal", access="ACCESS_EDIT"))
    ok(w.do("sal", "record_update", id=rid, version=v, changes={rtype: {"tags": [b"x"]}}))
    shared = ok(w.do("sal", "share_list", type=t.enum, id=rid)).share_list.shares
    assert [(s.user, s.access, s.shared_by) for s in shared] == [
        ("sal", pb().Access.Value("ACCESS_EDIT"), "root")], shared
    ok(w.do("root", "record_share", type=t.enum, id=rid, user="sal", revoke=True))
    status(get(w, "sal", t, rid), NOT_FOUND, "record_get.id")
    status(w.do("sal", "share_list", type=t.enum, id=rid), NOT_FOUND, "share_list.id")


# --------------------------------------------------------------- row-level security

TEAM_PARENT = {"Sales East": "Sales"}  # identity.py's team tree


def team_of(user):
    return None if user == "root" else PEOPLE[user][1]


def below(team):
    """The team and every team under it."""
    out = {team}
    changed = True
    while changed:
        changed = False
        for child, parent in TEAM_PARENT.items():
            if parent in out and child not in out:
                out.add(child)
                changed = True
    return out


def in_scope(user, scope, owner):
    """Whether a record owned by `owner` (in the owner's team) is within
    `user`'s scope, as docs/security.md defines the scopes (nobody in the
    world manages a team beyond their own membership)."""
    if scope == "all":
        return True
    if scope == "none":
        return False
    if scope == "own":
        return owner == user
    team, mine = team_of(owner), team_of(user)
    if team is None or mine is None:
        return owner == user
    if scope == "team":
        return team == mine or owner == user
    if scope == "subteams":
        return team in below(mine) or owner == user
    raise AssertionError(f"unknown scope {scope}")


OWNERS = ("root", "mgr", "mkt", "sal", "sal2", "sup", "vie")
BOGUS_ID = 10 ** 15


@pytest.fixture(scope="module")
def targets(world, custom_fields):
    """A record owned by each user of the world, tagged to be listed together."""
    w, t = world, custom_fields
    tag = f"rls-{t.name}".encode()
    if tag in w.meta:  # pytest may set the fixture up again for a type
        return t, tag, w.meta[tag]
    out = w.meta[tag] = {}
    for owner in OWNERS:
        rec = Values(w, t, 7, refs=False).record()
        rec["tags"] = [tag]
        rid = the(ok(w.do("root", "record_create", record={t.name: rec})), t).id
        if owner != "root":
            ok(w.do("root", "record_reassign", type=t.enum, id=rid, owner=owner))
        out[owner] = rid
    return t, tag, out


def same_as_bogus(w, who, kind, rid, **fields):
    """Asserts that `kind` on `rid` is answered exactly as on an id that
    does not exist (code, field, message with the id)."""
    r = w.do(who, kind, **{k: (rid if v == "ID" else v) for k, v in fields.items()})
    b = w.do(who, kind, **{k: (BOGUS_ID if v == "ID" else v) for k, v in fields.items()})
    norm = (lambda s, i: s.replace(str(i), "ID"))
    got = (code_name(r.status.code), r.status.field, norm(r.status.message, rid))
    bogus = (code_name(b.status.code), b.status.field, norm(b.status.message, BOGUS_ID))
    assert r.status.code != OK and got == bogus, (
        f"{kind} by {who} on an invisible record: {got}; on an id that does not exist: {bogus}")


def test_row_level_security_as_each_role(world, rtype, role, targets):
    t, tag, recs = targets
    w = world
    assert role in BY_ROLE, (f"role {role} is in crm.roles but identity.py's world has no user "
                             f"for it (BY_ROLE)")
    who = BY_ROLE[role]
    scope = {r["action"]: r["scope"] for r in su_json(
        w.env, w.db, f"SELECT action, scope FROM crm.permissions"
                     f" WHERE role = '{role}' AND record_type = '{rtype}'")}
    scope = {a: scope.get(a, "none") for a in
             ("read", "create", "update", "delete", "export", "reassign", "admin")}
    problems = []

    def expect(what, resp, allowed):
        code = resp.status.code
        if allowed and code != OK:
            problems.append(f"{what}: refused ({code_name(code)} {resp.status.field} "
                            f"{resp.status.message!r}) but {role} may")
        if not allowed and code != PERMISSION_DENIED:
            problems.append(f"{what}: {code_name(code)}, expected PERMISSION_DENIED")

    visible = {o for o in OWNERS if in_scope(who, scope["read"], o)}
    for owner, rid in recs.items():
        r = get(w, who, t, rid)
        what = f"{who} ({role}) get {rtype} of {owner}"
        if owner in visible:
            if r.status.code != OK:
                problems.append(f"{what}: {code_name(r.status.code)}, but {role} reads "
                                f"{scope['read']}")
        elif (r.status.code, r.status.field) != (NOT_FOUND, "record_get.id"):
            problems.append(f"{what}: {code_name(r.status.code)} {r.status.field}, expected "
                            f"NOT_FOUND (the record is invisible)")
    flt = {"field": b"tags", "op": "FILTER_OP_EQ", "values": [tag]}
    want = {recs[o] for o in visible}
    if scope["read"] == "none":  # a list one may not see is an error, not empty
        expect(f"{who} ({role}) list {rtype}",
               w.do(who, "record_list", type=t.enum, filters=[flt]), False)
        got = want
    else:
        got = set(listed(w, who, t, [flt]))
    if got != want:
        problems.append(f"{who} ({role}) list {rtype}: got the records of "
                        f"{sorted(o for o in OWNERS if recs[o] in got)}, expected "
                        f"{sorted(visible)}")
    assert not problems, "\n".join(problems)

    for owner, rid in recs.items():
        pre = f"{who} ({role}) on the {rtype} of {owner}:"
        if owner not in visible:
            v = the(ok(get(w, "root", t, rid)), t).version
            same_as_bogus(w, who, "record_update", rid, id="ID", version=v,
                          changes={rtype: {"tags": [tag, b"touched"]}})
            same_as_bogus(w, who, "record_delete", rid, type=t.enum, id="ID")
            if scope["reassign"] != "none":
                same_as_bogus(w, who, "record_reassign", rid, type=t.enum, id="ID",
                              owner=owner)
            continue
        v = the(ok(get(w, "root", t, rid)), t).version
        expect(f"{pre} update", w.do(who, "record_update", id=rid, version=v,
                                     changes={rtype: {"tags": [tag, b"touched"]}}),
               in_scope(who, scope["update"], owner))
        r = w.do(who, "record_delete", type=t.enum, id=rid)
        expect(f"{pre} delete", r, in_scope(who, scope["delete"], owner))
        if r.status.code == OK:
            expect(f"{pre} restore", w.do(who, "record_restore", type=t.enum, id=rid), True)
        expect(f"{pre} reassign (to the same owner)",
               w.do(who, "record_reassign", type=t.enum, id=rid, owner=owner),
               in_scope(who, scope["reassign"], owner))
        if scope["admin"] == "none":
            expect(f"{pre} purge", w.do(who, "record_purge", type=t.enum, id=rid), False)
    # Creating: owned by the creator.
    rec = Values(w, t, 8, refs=False, share_with=who).record()
    r = w.do(who, "record_create", record={rtype: rec})
    expect(f"{who} ({role}) create {rtype}", r, scope["create"] != "none")
    if r.status.code == OK:
        assert the(r, t).owner == who
    # Exporting.
    r = w.do(who, "record_list", type=t.enum, filters=[flt], export=True)
    expect(f"{who} ({role}) export {rtype}", r, scope["export"] != "none")
    if r.status.code == OK:
        ids = {getattr(x, rtype).id for x in r.record_list.records}
        assert ids <= want, f"export shows records beyond what {who} may read"
    assert not problems, "\n".join(problems)
