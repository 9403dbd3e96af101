"""Migrations beyond the basics in test_database.py: a database newer than
this crmd, a database at a schema below CRM_SCHEMA_MIN, and two `crmd
migrate` at once (the advisory lock)."""

import re
import subprocess
import threading

from conftest import CRMD, Crmd


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
