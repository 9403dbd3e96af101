"""crmd and PostgreSQL: outages and recovery, schema checks at start-up,
migrations, idempotent retries, the app role's privileges."""

import os
import signal
import time

import conftest
from conftest import (CONFLICT, FAILED_PRECONDITION, INVALID_ARGUMENT, OK, UNAVAILABLE, Crmd,
                      pb, wait_for)


def test_postgres_down_gives_unavailable_and_service_resumes(env, crmd_factory):
    crmd = crmd_factory(db_workers=2)
    c = crmd.connect()
    assert c.ping(deep=True).status.code == OK
    env.pg.stop()
    try:
        for _ in range(4):
            t0 = time.monotonic()
            r = c.ping(deep=True, timeout=15)
            assert r.status.code == UNAVAILABLE, r
            assert time.monotonic() - t0 < 8
            # plain ping is answered by the I/O thread: still fine
            assert c.ping().status.code == OK
        r = c.note_create(b"while down", timeout=15)
        assert r.status.code == UNAVAILABLE, r
        assert crmd.alive()
    finally:
        env.pg.start()

    def back():
        return c.ping(deep=True, timeout=15).status.code == OK

    wait_for(back, 30, 0.3, "deep ping OK after PostgreSQL restarted")
    # prepared statements were re-prepared on the new connections
    for _ in range(4):
        r = c.note_create(b"after restart")
        assert r.status.code == OK, r
        assert c.note_get(r.record.note.meta.id).status.code == OK
    c.close()
    assert crmd.alive()


def test_postgres_down_at_startup_then_up(env, crmd_factory):
    """Started while PostgreSQL is down, crmd waits for it (hosts that boot
    both may start them in either order), then serves."""
    env.pg.stop()
    try:
        crmd = crmd_factory(start=False)
        crmd.start(wait=False)
        time.sleep(2.5)
        assert crmd.alive(), "crmd gave up while PostgreSQL was down:\n" + crmd.log()
        assert "not reachable" in crmd.log() or "database" in crmd.log()
    finally:
        env.pg.start()
    crmd.wait_ready(timeout=20)
    with crmd.connect() as c:
        assert c.ping(deep=True).status.code == OK


def test_sigterm_while_waiting_for_postgres(env, crmd_factory):
    env.pg.stop()
    try:
        crmd = crmd_factory(start=False)
        crmd.start(wait=False)
        time.sleep(1)
        crmd.send_signal(signal.SIGTERM)
        rc = crmd.wait(10)
        crmd.expected_rc = rc
        assert crmd.sanitizer_reports() == []
    finally:
        env.pg.start()


def _migrations(env, db):
    out = env.pg.sql("SELECT version, name FROM crm_meta.schema_migrations ORDER BY version",
                     db=db)
    return [line.split("|") for line in out.splitlines()]


def test_template_is_migrated(env, db):
    migs = _migrations(env, db)
    sql_files = sorted(f for f in os.listdir(os.path.join(conftest.SOURCE_DIR, "sql"))
                       if f[:4].isdigit() and f.endswith(".sql"))
    assert len(migs) == len(sql_files)
    assert [m[1] for m in migs] == sql_files


def test_tampered_checksum_refused(env, db, crmd_factory):
    migs = _migrations(env, db)
    version, name = migs[0]
    env.pg.sql(f"UPDATE crm_meta.schema_migrations SET checksum = 'x' WHERE version = {version}",
               db=db, user="crm_owner")
    crmd = crmd_factory(start=False)
    r = crmd.run("serve", "--config", crmd.config_path, timeout=30)
    assert r.rc != 0, r
    assert name in r.err or name.split("_")[0] in r.err, r.err
    assert "checksum" in r.err.lower(), r.err
    r = crmd.migrate()
    assert r.rc != 0, r
    assert name in r.err or name.split("_")[0] in r.err, r.err


def test_database_behind_refused_and_migrate_fixes_it(env, crmd_factory):
    empty = env.pg.create_db(template=None)
    try:
        crmd = Crmd(env, empty)
        r = crmd.run("serve", "--config", crmd.config_path, timeout=30)
        assert r.rc != 0, r
        assert "migrat" in r.err.lower(), r.err
        r = crmd.migrate()
        assert r.rc == 0, r
        r2 = crmd.migrate()
        assert r2.rc == 0, r2  # idempotent
        assert _migrations(env, empty) == _migrations(env, "crm_template")
    finally:
        env.pg.drop_db(empty)


def test_app_role_owns_nothing_and_cannot_bypass_rls(env, db):
    out = env.pg.sql("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'crm_app'")
    assert out == "f|f"
    owned = env.pg.sql("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                       "WHERE r.rolname = 'crm_app'", db=db)
    assert owned == "0"
    # the app role can use the tables migrations granted it
    r = env.pg.sql("SELECT count(*) FROM crm.notes", db=db, user="crm_app", check=False)
    assert r.returncode == 0, r.stderr
    # but cannot change the schema
    r = env.pg.sql("CREATE TABLE crm.x (i int)", db=db, user="crm_app", check=False)
    assert r.returncode != 0


def test_idempotent_retry_after_dropped_connection(env, db, crmd):
    key = b"key-" + os.urandom(8).hex().encode()
    body = b"exactly once"
    c = crmd.connect()
    c.send(c.build(key=key, **c.note_frame(body)))
    c.close()  # before reading the reply

    def rows():
        return int(env.pg.sql("SELECT count(*) FROM crm.notes", db=db))

    try:
        wait_for(lambda: rows() == 1, 2, 0.05, "the first attempt to commit")
    except AssertionError:
        pass  # dropped before it ran: the retry must then create it
    ids = []
    for _ in range(2):
        with crmd.connect() as c2:
            r = c2.note_create(body, key=key)
            assert r.status.code == OK, r
            ids.append(r.record.note.meta.id)
    assert ids[0] == ids[1]
    assert rows() == 1
    # the same key with a different body is an error, and creates nothing
    with crmd.connect() as c3:
        r = c3.note_create(b"something else", key=key)
        assert r.status.code in (INVALID_ARGUMENT, CONFLICT, FAILED_PRECONDITION), r
        # a different key is a different request
        r = c3.note_create(body, key=key + b"-2")
        assert r.status.code == OK and r.record.note.meta.id != ids[0]
    assert rows() == 2


def test_idempotency_key_rules(crmd):
    with crmd.connect() as c:
        # a key on a request that does not mutate is refused
        r = c.ping(key=b"k1")
        assert r.status.code == INVALID_ARGUMENT
        assert r.status.field == "idempotency_key"
        r = c.note_create(b"x", key=b"")
        assert r.status.code == INVALID_ARGUMENT
        r = c.note_create(b"x", key=b"k" * 65)
        assert r.status.code == INVALID_ARGUMENT
        assert r.status.field == "idempotency_key"


def test_concurrent_retries_same_key(env, db, crmd):
    key = b"race-" + os.urandom(6).hex().encode()
    conns = [crmd.connect() for _ in range(4)]
    frames = []
    for c in conns:
        cf = c.build(key=key, **c.note_frame(b"race"))
        c.send(cf)
        frames.append(cf)
    ids = set()
    for c, cf in zip(conns, frames):
        r = c.recv_response(timeout=10, want_id=cf.id)
        # a retry racing the original may be told to retry, never to duplicate
        assert r.status.code in (OK, CONFLICT, UNAVAILABLE), r
        if r.status.code == OK:
            ids.add(r.record.note.meta.id)
        c.close()
    assert len(ids) == 1
    assert env.pg.sql("SELECT count(*) FROM crm.notes", db=db) == "1"


def test_crmd_sessions_run_with_jit_off(env, crmd_factory):
    """crmd's own sessions (app and auth pools) run with jit = off, whatever
    the database says: JIT-compiling a generic plan that runs in a
    millisecond cost tens to hundreds of milliseconds. The database asks for
    JIT on every plan (jit_above_cost = 0) and has auto_explain log each
    top-level plan with the settings that differ from the defaults; every
    statement crmd ran says jit = 'off' and none was compiled."""
    crmd = crmd_factory(start=False)
    env.pg.sql("LOAD 'auto_explain';\n"
               f"ALTER DATABASE {crmd.db} SET session_preload_libraries = 'auto_explain';\n"
               f"ALTER DATABASE {crmd.db} SET auto_explain.log_min_duration = 0;\n"
               f"ALTER DATABASE {crmd.db} SET auto_explain.log_settings = on;\n"
               f"ALTER DATABASE {crmd.db} SET auto_explain.log_level = warning;\n"  # the cluster logs warnings up
               f"ALTER DATABASE {crmd.db} SET jit_above_cost = 0;\n")
    with open(env.pg.logfile, errors="replace") as f:
        start = len(f.read())
    crmd.start()
    with crmd.connect() as c:
        for _ in range(3):
            assert c.ping(deep=True).status.code == OK
            r = c.note_create(b"jit?")
            assert r.status.code == OK, r
    c2 = crmd.connect(auth=False)
    c2.hello()
    c2.login("nobody", "wrong password")  # the auth pool's statements
    c2.close()

    def plans():
        with open(env.pg.logfile, errors="replace") as f:
            log = f.read()[start:]
        return [b for b in log.split("duration: ")[1:] if "Query Text:" in b]

    wait_for(lambda: any("login_precheck" in b for b in plans()), 10, 0.1, "the auth pool's plans in the log")
    ours = [b for b in plans() if "crm.begin_request" in b or "crm.login_precheck" in b or "crm.record_create" in b]
    assert any("crm.begin_request" in b for b in ours) and any("crm.login_precheck" in b for b in ours), ours
    bad = [b for b in ours if "jit = 'off'" not in b or "JIT:" in b]
    assert not bad, bad[:3]
