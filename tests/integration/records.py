"""Helpers for the business-record tests (test_records*.py): accounts and
contacts made through crmd by a World's users, lists followed to the end,
and plans of list statements as the application role."""

import json
import re

from conftest import OK, pb
from identity import app_sql, ok, rq, session_sql


def account(w, who="root", owner=None, **fields):
    """Creates an account as `who` (reassigned to `owner` by root when
    given); returns the Account message."""
    fields.setdefault("name", "Acme")
    r = ok(w.do(who, "record_create", record={"account": fields}), f"create account {fields}")
    a = r.record.account
    if owner and owner != who:
        r = ok(w.do("root", "record_reassign", type="account", id=a.id, owner=owner), "reassign")
        a = r.record.account
    return a


def contact(w, who="root", owner=None, **fields):
    fields.setdefault("family_name", "Lovelace")
    r = ok(w.do(who, "record_create", record={"contact": fields}), f"create contact {fields}")
    c = r.record.contact
    if owner and owner != who:
        r = ok(w.do("root", "record_reassign", type="contact", id=c.id, owner=owner), "reassign")
        c = r.record.contact
    return c


def get(w, who, type_, id_):
    return w.do(who, "record_get", type=type_, id=id_)


def update(w, who, id_, version, kind, clear=None, **changes):
    return w.do(who, "record_update", id=id_, version=version, changes={kind: changes},
                clear=clear or [])


def flt(field, op="eq", *values):
    return {"field": field, "op": op, "values": [str(v) for v in values]}


def page(w, who, type_, filters=(), sort=(), limit=None, cursor=None, **kw):
    pg = {}
    if limit:
        pg["limit"] = limit
    if cursor:
        pg["cursor"] = cursor
    return w.do(who, "record_list", type=type_, filters=list(filters), sort=list(sort),
                page=pg or None, **kw)


def ids(resp, kind):
    """The ids of a list page's records (a note's is in its meta)."""
    recs = [getattr(r, kind) for r in resp.record_list.records]
    return [x.id if "id" in x.DESCRIPTOR.fields_by_name else x.meta.id for x in recs]


def list_all(w, who, type_, filters=(), sort=(), limit=50, **kw):
    """Every record of a list, page by page; returns the ids in order."""
    out, cursor = [], None
    for _ in range(10000):
        r = ok(page(w, who, type_, filters, sort, limit, cursor, **kw), "list page")
        out += ids(r, type_)
        if not r.record_list.HasField("next_cursor"):
            return out
        cursor = r.record_list.next_cursor
    raise AssertionError("list did not end")


def as_app_json(w, user, sql):
    """Runs `sql` as crm_app acting for `user`; returns stdout lines."""
    r = app_sql(w.env, w.db, session_sql(w, user, sql))
    return r.stdout


def plan(w, user, type_, filters=(), sort=(), after=None, count=False):
    """The plan of the statement crmd runs for a list (or its total), as
    crm_app acting for `user`, with RLS on and sequential scans off (the
    test data is small; the question is whether an index *can* serve the
    path under row-level security, which needs leakproof operators)."""
    sql = (f"SELECT q.sql, q.params FROM crm.record_list_sql('{type_}', "
           f"'{json.dumps(list(filters))}', '{json.dumps(list(sort))}', "
           f"{'NULL' if after is None else repr(json.dumps(after))}, 51, false, {str(count).lower()}) q \\gset\n"
           "SET enable_seqscan = off;\n"
           "PREPARE p(text[]) AS :sql;\n"
           "EXPLAIN (COSTS OFF) EXECUTE p(:'params');\n")
    return as_app_json(w, user, sql)


def index_conds(plan_text):
    """{index name: [index conditions]} of a plan."""
    out = {}
    cur = None
    for line in plan_text.splitlines():
        m = re.search(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)", line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, [])
            continue
        m = re.search(r"Index Cond: (.*)", line)
        if m and cur:
            out[cur].append(m.group(1))
    return out


def type_table_sql(table, owner_default=""):
    """CREATE TABLE for a test record type, as a type's migration writes it
    (docs/data.md, "Adding a record type"): the bookkeeping columns every
    business table has, and a name. owner_default: e.g. " DEFAULT
    crm.acting_user()"."""
    return f"""CREATE TABLE {table} (
	id bigint PRIMARY KEY REFERENCES crm.records,
	owner_id bigint REFERENCES crm.users{owner_default},
	team_id bigint REFERENCES crm.teams,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by bigint REFERENCES crm.users,
	deleted_at timestamptz,
	external_id text,
	name text NOT NULL
);
"""
