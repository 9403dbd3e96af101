"""Migrations beyond the basics in test_database.py: a database newer than
this crmd, a database at a schema below CRM_SCHEMA_MIN, two `crmd
migrate` at once (the advisory lock), and what a later versioned migration
may write on a fresh database, before the modules exist."""

import glob
import hashlib
import os
import re
import subprocess
import threading

import conftest
from conftest import CRMD, Crmd
from records import type_table_sql


def test_database_newer_than_this_crmd_is_refused(env, db, crmd_factory):
    env.pg.sql("INSERT INTO crm_meta.schema_migrations (version, name, checksum)"
               " VALUES (9999, '9999_from_the_future.sql', 'x')", db=db, user="crm_owner")
    crmd = crmd_factory(start=False)
    r = crmd.run("serve", "--config", crmd.config_path, timeout=30)
    assert r.rc != 0, r
    assert "9999" in r.err and "newer" in r.err.lower(), r.err


def test_schema_below_the_minimum_is_refused(env, db, crmd_factory):
    """Roll the record back to the first migration only: crmd needs more."""
    env.pg.sql("DELETE FROM crm_meta.schema_migrations WHERE version > 1", db=db,
               user="crm_owner")
    crmd = crmd_factory(start=False)
    r = crmd.run("serve", "--config", crmd.config_path, timeout=30)
    assert r.rc != 0, r
    assert "migrate" in r.err.lower(), r.err


def test_two_migrates_at_once_apply_each_migration_once(env):
    empty = env.pg.create_db(template=None)
    try:
        m = Crmd(env, empty)
        results = []

        def run():
            results.append(subprocess.run([CRMD, "migrate", "--config", m.config_path],
                                          capture_output=True, text=True, timeout=120))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r.returncode == 0 for r in results), [(r.stdout, r.stderr) for r in results]
        applied = sum(len(re.findall(r"^applied \d{4}_", r.stdout, re.M)) for r in results)
        modules = sum(r.stdout.count("applied modules/") for r in results)
        versions = env.pg.sql("SELECT count(*), count(DISTINCT version)"
                              " FROM crm_meta.schema_migrations", db=empty)
        total, distinct = map(int, versions.split("|"))
        assert total == distinct == applied, (versions, [r.stdout for r in results])
        recorded = env.pg.sql("SELECT count(*) FROM crm_meta.schema_modules", db=empty)
        assert modules == int(recorded) > 0, (recorded, [r.stdout for r in results])
    finally:
        env.pg.drop_db(empty)


# ------------------------------------------------ a type's migration, fresh

def _versioned_files():
    return sorted(glob.glob(os.path.join(conftest.SOURCE_DIR, "sql",
                                         "[0-9][0-9][0-9][0-9]_*.sql")))


def _apply_versioned_only(env, db, skip=()):
    """What `crmd migrate` does on a fresh database up to its modules: its
    bookkeeping table, then each versioned migration in order, as the owner,
    each file in one transaction with its row in crm_meta.schema_migrations."""
    env.pg.sql("CREATE SCHEMA crm_meta; CREATE TABLE crm_meta.schema_migrations ("
               " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
               " applied_at timestamptz NOT NULL DEFAULT now())", db=db, user="crm_owner")
    for path in _versioned_files():
        name = os.path.basename(path)
        if name[:4] in skip:
            continue
        with open(path, "rb") as f:
            checksum = hashlib.sha256(f.read()).hexdigest()
        r = subprocess.run([os.path.join(env.pg.bindir, "psql"), "-X", "-q", "-1",
                            "-v", "ON_ERROR_STOP=1", "-h", env.pg.sockdir, "-p", str(env.pg.port),
                            "-U", "crm_owner", "-d", db, "-f", path,
                            "-c", "INSERT INTO crm_meta.schema_migrations (version, name, checksum)"
                                  f" VALUES ({int(name[:4])}, '{name}', '{checksum}')"],
                           capture_output=True, text=True)
        assert r.returncode == 0, (name, r.stderr)


# What a migration adding a record type writes (docs/data.md, "Adding a
# record type"): its registry row, its table attached to crm.records, its
# standard fields, its permissions, a relation kind, and a record of it.
GADGET_MIGRATION = r"""
INSERT INTO crm.record_types (name, description) VALUES ('gadget', 'Gadgets (a test type)');
""" + type_table_sql("crm.gadgets") + r"""SELECT crm.attach_record('crm.gadgets', 'gadget');
INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
VALUES ('gadget', 'name', 'Name', 'text', 'r.name', 'r.name', false, 1);
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT role, 'gadget', action, scope FROM crm.permissions WHERE record_type = 'account';
INSERT INTO crm.relation_kinds (from_type, to_type, picklist)
SELECT 'gadget', 'account', picklist FROM crm.relation_kinds LIMIT 1;
INSERT INTO crm.gadgets (owner_id, name) SELECT min(id), 'Sprocket' FROM crm.users;
UPDATE crm.gadgets SET name = 'Cog';
"""


def test_a_type_migration_writes_audited_tables_on_a_fresh_database(env):
    """0005 dropped crm.audit_write and modules/90_audit.sql makes it after
    every migration; 0024 puts a placeholder there meanwhile, so that a
    later migration's inserts into audited tables (crm.permissions above
    all) do not fail on a fresh database. Then `crmd migrate` runs the
    modules, whose real function replaces the placeholder."""
    fresh = env.pg.create_db(template=None)
    try:
        _apply_versioned_only(env, fresh)
        audited = env.pg.sql("SELECT count(*) FROM crm.audit", db=fresh)
        env.pg.sql(GADGET_MIGRATION, db=fresh, user="crm_owner")
        # the placeholder wrote nothing: install-time rows are not audited
        assert env.pg.sql("SELECT count(*) FROM crm.audit", db=fresh) == audited
        assert env.pg.sql("SELECT count(*) FROM crm.records WHERE record_type = 'gadget'",
                          db=fresh) == "1"
        # the modules replace it (same signature) and the generators serve gadget
        r = Crmd(env, fresh).migrate()
        assert r.rc == 0, r
        before = int(env.pg.sql("SELECT count(*) FROM crm.audit", db=fresh))
        env.pg.sql("UPDATE crm.permissions SET scope = CASE scope WHEN 'all' THEN 'own' ELSE 'all' END"
                   " WHERE record_type = 'gadget' AND role = 'viewer' AND action = 'read'",
                   db=fresh, user="crm_owner")
        assert int(env.pg.sql("SELECT count(*) FROM crm.audit", db=fresh)) > before
        # nobody but the owner calls it (PUBLIC's EXECUTE was revoked)
        assert env.pg.sql("SELECT has_function_privilege('crm_app', 'crm.audit_write("
                          "text,bigint,text,jsonb,jsonb,bigint,text)', 'EXECUTE')", db=fresh) == "f"
    finally:
        env.pg.drop_db(fresh)


def test_the_placeholder_leaves_the_modules_audit_write_alone(env, db):
    """On a migrated database 0024 changes nothing: run again, the real
    crm.audit_write stays and a migration's writes are audited."""
    sig = "crm.audit_write(text,bigint,text,jsonb,jsonb,bigint,text)"
    body = f"SELECT md5(prosrc) FROM pg_proc WHERE oid = '{sig}'::regprocedure"
    was = env.pg.sql(body, db=db)
    path = [p for p in _versioned_files() if os.path.basename(p).startswith("0024_")][0]
    with open(path) as f:
        env.pg.sql(f.read(), db=db, user="crm_owner")
    assert env.pg.sql(body, db=db) == was
    before = int(env.pg.sql("SELECT count(*) FROM crm.audit", db=db))
    env.pg.sql(GADGET_MIGRATION, db=db, user="crm_owner")
    assert int(env.pg.sql("SELECT count(*) FROM crm.audit", db=db)) > before
