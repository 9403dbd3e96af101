"""A lint of the migrated catalog, as sql/README.md and docs/data.md
("Catalog rules") state the rules:

- every table and view, and each of their columns, has a comment (DBAs and
  BI tools read them);
- constraints are named `<table>_<column>_<rule>`: server/db.c turns a
  CHECK violation into an error naming the field by cutting the table name
  and the last `_<rule>` off the constraint's name, so a CHECK's middle
  part must be a column the CHECK reads (or is_<it>, or the stem of
  several: birthday for birthday_year, _month, _day) and its rule one
  word; UNIQUE, FOREIGN KEY and EXCLUDE constraints are named after all
  their columns in order (`<table>_<col>[_<col>...]_key`, `_fkey`,
  `_excl`), primary keys `<table>_pkey`;
- every business table (a record type's table, a side table whose rows
  belong to records, and any table with a policy) has row-level security
  ENABLEd and FORCEd, so that not even its owner reads past the policies
  by accident;
- no function in an application schema is executable by PUBLIC.

Each test lists every offender at once. The database is the migrated
template, cloned; no crmd runs."""

import re

from identity import su_json

# Schemas the application's migrations create objects in: everything but
# PostgreSQL's own.
APP_SCHEMAS = ("SELECT n.oid FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', "
               "'information_schema') AND n.nspname NOT LIKE 'pg\\_%'")

RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
            "f": "foreign table"}


def offenders(title, items):
    items = sorted(items)
    return f"{len(items)} {title}:\n  " + "\n  ".join(items) if items else ""


def test_every_table_view_and_column_has_a_comment(env, db):
    rels = su_json(env, db, f"""
        SELECT n.nspname || '.' || c.relname AS name, c.relkind AS kind,
               obj_description(c.oid, 'pg_class') AS comment
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relnamespace IN ({APP_SCHEMAS}) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT c.relispartition""")
    cols = su_json(env, db, f"""
        SELECT n.nspname || '.' || c.relname || '.' || a.attname AS name, c.relkind AS kind,
               col_description(c.oid, a.attnum) AS comment
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace IN ({APP_SCHEMAS}) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT c.relispartition""")
    # The query sees the application's catalog (else it would pass vacuously).
    assert any(r["name"] == "crm.accounts" for r in rels), rels
    assert any(c["name"] == "crm.accounts.name" for c in cols)
    bad_rels = [f"{RELKINDS[r['kind']]} {r['name']}" for r in rels
                if not (r["comment"] or "").strip()]
    bad_cols = [f"{RELKINDS[c['kind']]} column {c['name']}" for c in cols
                if not (c["comment"] or "").strip()]
    problems = [p for p in (offenders("relations without a comment (COMMENT ON TABLE/VIEW)",
                                      bad_rels),
                            offenders("columns without a comment (COMMENT ON COLUMN)", bad_cols))
                if p]
    assert not problems, "\n".join(problems)


CONSTRAINTS = f"""
SELECT n.nspname AS schema, c.relname AS "table", k.conname AS name, k.contype AS type,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.i) AS columns,
       pg_get_constraintdef(k.oid) AS def
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relnamespace IN ({APP_SCHEMAS}) AND k.contype IN ('c', 'u', 'f', 'x', 'p')
  AND k.conparentid = 0
"""

# Conventional rule words per kind (PostgreSQL's own for UNIQUE, FOREIGN
# KEY and EXCLUDE); a CHECK's rule is any one word saying what it checks
# (format, length, range, ...).
RULE_OF = {"u": "key", "f": "fkey", "x": "excl"}
KIND = {"c": "CHECK", "u": "UNIQUE", "f": "FOREIGN KEY", "x": "EXCLUDE", "p": "PRIMARY KEY"}


def field_from_name(table, name):
    """What server/db.c's constraint_field() makes of a constraint name:
    the part between `<table>_` and the last `_`, or None."""
    if not name.startswith(table + "_"):
        return None
    rest = name[len(table) + 1:]
    if "_" not in rest:
        return None
    field = rest[:rest.rindex("_")]
    return field or None


def names_a_column(field, cols):
    """Whether the field db.c reports names a column the CHECK reads: the
    column itself, a boolean column is_<field> (relations.is_primary is the
    field `primary`), or the stem of a field stored in several columns
    (`birthday` for birthday_year, birthday_month and birthday_day)."""
    return any(field == c or c == "is_" + field or c.startswith(field + "_") for c in cols)


def constraint_problem(c):
    table, name, kind, cols = c["table"], c["name"], c["type"], c["columns"]
    if kind == "p":
        return None if name == f"{table}_pkey" else f"should be {table}_pkey"
    if kind == "c":
        field = field_from_name(table, name)
        rule = name.rsplit("_", 1)[-1]
        if field is None or not re.fullmatch(r"[a-z][a-z0-9]*", rule):
            return "should be <table>_<column>_<rule> with a one-word rule"
        if not names_a_column(field, cols):
            return (f"db.c would name the field {field!r}, which is not a column the check "
                    f"reads ({', '.join(cols) or 'none'})")
        return None
    want = f"{table}_{'_'.join(cols)}_{RULE_OF[kind]}"
    # PostgreSQL cuts identifiers at 63 bytes; a name that long may be cut.
    if name != want and not (len(want) > 63 and name == want[:63]):
        return f"should be {want}"
    return None


def test_constraints_are_named_table_column_rule(env, db):
    rows = su_json(env, db, CONSTRAINTS)
    assert any(r["name"] == "users_email_format" for r in rows), "the query found no constraints"
    # The derivation agrees with db.c on the examples its comment gives.
    assert field_from_name("users", "users_email_format") == "email"
    assert field_from_name("notes", "notes_body_length") == "body"
    bad = []
    for r in rows:
        why = constraint_problem(r)
        if why:
            bad.append(f"{r['schema']}.{r['table']}: {KIND[r['type']]} {r['name']} "
                       f"({r['def'][:80]}): {why}")
    assert not bad, offenders("constraints not named <table>_<column>_<rule>", bad)


BUSINESS = """
SELECT n.nspname || '.' || c.relname AS name, c.relrowsecurity AS rls,
       c.relforcerowsecurity AS force, array_remove(ARRAY[
         CASE WHEN EXISTS (SELECT 1 FROM crm.record_types t
                           WHERE t.table_name::regclass = c.oid) THEN 'record type' END,
         {side}
         CASE WHEN EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
              THEN 'has policies' END,
         CASE WHEN c.relrowsecurity THEN 'row-level security on' END], NULL) AS why
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('crm', 'crm_meta')
"""


SIDE = """CASE WHEN EXISTS (SELECT 1 FROM crm_meta.side_tables s
                           WHERE s.table_name::regclass = c.oid) THEN 'side table' END,"""


def test_every_business_table_forces_row_level_security(env, db):
    # side tables are listed in crm_meta.side_tables while it exists
    has_side = su_json(env, db, "SELECT to_regclass('crm_meta.side_tables') IS NOT NULL AS x")
    query = BUSINESS.replace("{side}", SIDE if has_side[0]["x"] else "")
    rows = [r for r in su_json(env, db, query) if r["why"]]
    names = {r["name"] for r in rows}
    assert {"crm.notes", "crm.accounts", "crm.contacts", "crm.record_tags"} <= names, names
    bad = [f"{r['name']} ({', '.join(r['why'])}): "
           + ("row-level security not enabled" if not r["rls"] else "not FORCEd")
           for r in rows if not (r["rls"] and r["force"])]
    assert not bad, offenders("business tables without ENABLEd and FORCEd row-level security",
                              bad)


def test_no_function_is_executable_by_public(env, db):
    rows = su_json(env, db, f"""
        SELECT p.oid::regprocedure::text AS name
        FROM pg_proc p WHERE p.pronamespace IN ({APP_SCHEMAS})
          AND has_function_privilege('public', p.oid, 'EXECUTE')""")
    n = su_json(env, db, f"SELECT count(*) AS n FROM pg_proc p WHERE p.pronamespace IN"
                         f" ({APP_SCHEMAS})")[0]["n"]
    assert n > 50, "the query found no application functions"
    assert not rows, offenders("functions executable by PUBLIC (REVOKE EXECUTE ... FROM PUBLIC)",
                               [r["name"] for r in rows])
