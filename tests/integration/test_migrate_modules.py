"""Repeatable modules (sql/modules/, sql/README.md): crmd migrate records
each module's checksum in crm_meta.schema_modules, applies a module again
only when its checksum differs, and crmd serve refuses a database where a
module of its build is missing or differs. Plus a lint of the SQL files:
each function is defined in one module, modules define no tables and every
statement in them can run twice, versioned migrations after 0004 define no
functions, views or policies."""

import glob
import hashlib
import os
import re

import conftest

MODULE_DIR = os.path.join(conftest.SOURCE_DIR, "sql", "modules")


def _module_files():
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(MODULE_DIR, "*.sql")))


def _sha256(name):
    with open(os.path.join(MODULE_DIR, name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _recorded(env, db):
    """{name: (checksum, applied_at)} from crm_meta.schema_modules."""
    out = env.pg.sql("SELECT name, checksum, applied_at FROM crm_meta.schema_modules", db=db)
    return {n: (c, a) for n, c, a in (line.split("|") for line in out.splitlines())}


def _serve_refusal(crmd):
    r = crmd.run("serve", "--config", crmd.config_path, timeout=30)
    assert r.rc != 0, r
    return r.err


def test_migrate_records_every_module_checksum(env, db):
    files = _module_files()
    assert files, "sql/modules/ has no module"
    recorded = _recorded(env, db)
    assert sorted(recorded) == files
    for name in files:
        assert recorded[name][0] == _sha256(name), name


def test_second_migrate_runs_no_module_again(env, db, crmd_factory):
    before = _recorded(env, db)
    crmd = crmd_factory(start=False)
    r = crmd.migrate()
    assert r.rc == 0, r
    assert "modules are up to date" in r.out, r.out
    assert "generated objects are up to date" in r.out, r.out
    assert "applied" not in r.out and "ran " not in r.out, r.out
    assert _recorded(env, db) == before


def test_changed_module_is_refused_by_serve_and_applied_again_by_migrate(env, db,
                                                                         crmd_factory):
    name = _module_files()[0]
    before = _recorded(env, db)
    # What the module states, changed behind its back: migrate must put it back.
    env.pg.sql("COMMENT ON FUNCTION crm.us(timestamptz) IS 'changed by hand'", db=db,
               user="crm_owner")
    env.pg.sql(f"UPDATE crm_meta.schema_modules SET checksum = 'x' WHERE name = '{name}'",
               db=db, user="crm_owner")
    crmd = crmd_factory(start=False)
    err = _serve_refusal(crmd)
    assert name in err and "migrate" in err.lower(), err

    r = crmd.migrate()
    assert r.rc == 0, r
    assert f"applied modules/{name}" in r.out, r.out
    assert r.out.count("applied modules/") == 1, r.out  # only the one that differed
    after = _recorded(env, db)
    assert after[name][0] == _sha256(name)
    assert after[name][1] != before[name][1]
    assert {n: v for n, v in after.items() if n != name} == \
        {n: v for n, v in before.items() if n != name}
    comment = env.pg.sql("SELECT obj_description('crm.us(timestamptz)'::regprocedure)", db=db)
    assert comment != "changed by hand" and comment, comment
    crmd.start()
    assert crmd.alive()


def test_missing_module_is_refused_by_serve_and_applied_by_migrate(env, db, crmd_factory):
    name = _module_files()[-1]
    env.pg.sql(f"DELETE FROM crm_meta.schema_modules WHERE name = '{name}'", db=db,
               user="crm_owner")
    crmd = crmd_factory(start=False)
    err = _serve_refusal(crmd)
    assert name in err and "not applied" in err and "migrate" in err.lower(), err
    r = crmd.migrate()
    assert r.rc == 0, r
    assert r.out.splitlines()[-2:] == [f"applied modules/{name}", "ran crm.refresh_generated()"], \
        r.out
    crmd.start()
    assert crmd.alive()


def test_database_without_module_bookkeeping_is_refused_until_migrated(env, db,
                                                                       crmd_factory):
    """A database migrated by a build without modules: serve asks for migrate,
    which creates the table and applies every module."""
    env.pg.sql("DROP TABLE crm_meta.schema_modules", db=db, user="crm_owner")
    crmd = crmd_factory(start=False)
    err = _serve_refusal(crmd)
    assert "schema_modules" in err and "migrate" in err.lower(), err
    r = crmd.migrate()
    assert r.rc == 0, r
    assert [l for l in r.out.splitlines() if l.startswith("applied ")] == \
        [f"applied modules/{n}" for n in _module_files()], r.out
    assert sorted(_recorded(env, db)) == _module_files()
    crmd.start()
    assert crmd.alive()


def test_failing_module_changes_nothing(env, db, crmd_factory):
    """Modules run in one transaction: when one fails, those before it are
    rolled back too and their checksums stay as they were."""
    files = _module_files()
    assert len(files) >= 2
    first, last = files[0], "90_audit.sql"
    assert last in files
    env.pg.sql(f"UPDATE crm_meta.schema_modules SET checksum = 'x' WHERE name IN "
               f"('{first}', '{last}')", db=db, user="crm_owner")
    # The audit trail's module cannot run without its table.
    env.pg.sql("ALTER TABLE crm.audit RENAME TO audit_away", db=db, user="crm_owner")
    crmd = crmd_factory(start=False)
    r = crmd.migrate()
    assert r.rc != 0, r
    assert f"module {last}" in r.err and "crm.audit" in r.err, r.err
    assert "applied modules/" not in r.out, r.out
    rec = _recorded(env, db)
    assert rec[first][0] == "x" and rec[last][0] == "x"
    env.pg.sql("ALTER TABLE crm.audit_away RENAME TO audit", db=db, user="crm_owner")
    r = crmd.migrate()
    assert r.rc == 0, r
    assert _recorded(env, db)[first][0] == _sha256(first)


# ---------------------------------------------------------------- lint

def _strip_comments(text):
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _statements_outside_bodies(text):
    """The text with dollar-quoted bodies blanked out (so that DDL a function
    generates at run time does not count as the module's own)."""
    return re.sub(r"(\$[A-Za-z_]*\$).*?\1", "$$", text, flags=re.S)


def test_each_function_is_defined_in_one_module_and_modules_define_no_table():
    defined = {}
    for name in _module_files():
        with open(os.path.join(MODULE_DIR, name)) as f:
            text = _statements_outside_bodies(_strip_comments(f.read()))
        assert not re.search(r"\bCREATE\s+(UNLOGGED\s+|TEMP\w*\s+)?TABLE\b", text, re.I), \
            f"{name} creates a table: tables belong in a versioned migration"
        for m in re.finditer(r"\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(", text,
                             re.I):
            fn = m.group(2).lower()
            assert defined.setdefault(fn, name) == name, \
                f"{fn} is defined in {defined[fn]} and in {name}"
    assert defined, "no module defines a function"


def test_every_module_statement_can_run_twice():
    for name in _module_files():
        with open(os.path.join(MODULE_DIR, name)) as f:
            text = _statements_outside_bodies(_strip_comments(f.read()))
        for kind in ("FUNCTION", "VIEW", "TRIGGER"):
            bare = re.search(rf"\bCREATE\s+{kind}\b", text, re.I)
            assert not bare, f"{name}: CREATE {kind} without OR REPLACE"
        dropped = {(m.group(1), m.group(2)) for m in re.finditer(
            r"\bDROP\s+POLICY\s+IF\s+EXISTS\s+(\w+)\s+ON\s+([\w.]+)", text, re.I)}
        for m in re.finditer(r"\bCREATE\s+POLICY\s+(\w+)\s+ON\s+([\w.]+)", text, re.I):
            assert (m.group(1), m.group(2)) in dropped, \
                f"{name}: policy {m.group(1)} on {m.group(2)} without DROP POLICY IF EXISTS"


def test_versioned_migrations_after_0004_define_no_function_view_or_policy():
    """0001-0004 landed before modules existed; from 0005 on, functions,
    views and policies are stated only in sql/modules/."""
    sql_dir = os.path.join(conftest.SOURCE_DIR, "sql")
    for path in sorted(glob.glob(os.path.join(sql_dir, "[0-9][0-9][0-9][0-9]_*.sql"))):
        if int(os.path.basename(path)[:4]) <= 4:
            continue
        with open(path) as f:
            text = _statements_outside_bodies(_strip_comments(f.read()))
        m = re.search(r"\bCREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|VIEW|POLICY)\b", text, re.I)
        assert not m, f"{os.path.basename(path)}: {m.group(0)} belongs in sql/modules/"
