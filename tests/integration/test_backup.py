"""Backup and restore, done exactly as docs/operations.md ("Backup and
restore") says: the crm_backup role; a logical backup (pg_dumpall
--globals-only for the roles, pg_dump -Fc --create as crm_backup) restored
into a fresh cluster, compared table by table (row count and a checksum of
the rows) and served by crmd; a physical base backup (pg_basebackup) with
WAL archiving, restored to a named restore point that excludes a change
made after it."""

import os
import signal
import subprocess

import pytest

from conftest import OK, Conn, PgCluster, _child_setup, wait_for
from identity import login, make_world, ok, rq
from records import account, contact, get

SCHEMAS = ("crm", "crm_meta")
BACKUP_PASSWORD = "backup-" + os.urandom(8).hex()


def run(cmd, user=None, env=None, check=True, timeout=120, input=None):
    """A PostgreSQL tool, as the cluster's OS user when `user` is given."""
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout, input=input,
                       preexec_fn=_child_setup(signal.SIGKILL, user))
    if check:
        assert r.returncode == 0, f"{cmd[0]} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def tool(cluster, name):
    return os.path.join(cluster.bindir, name)


def ensure_backup_role(cluster):
    """The crm_backup role of docs/operations.md, made here when the
    harness has not made it (idempotent). Sets BACKUP_PASSWORD: the
    harness's password for it when it has one, else one of this file's."""
    global BACKUP_PASSWORD
    cluster.sql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crm_backup') "
                "THEN CREATE ROLE crm_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB "
                "NOCREATEROLE NOREPLICATION IN ROLE pg_read_all_data; END IF; END $$")
    BACKUP_PASSWORD = getattr(cluster, "backup_password", None) or BACKUP_PASSWORD
    cluster.sql(f"ALTER ROLE crm_backup PASSWORD '{BACKUP_PASSWORD}'")


def fill(w):
    """Accounts, contacts, notes and the audit rows they leave, made
    through crmd by several users. Returns one account to look for later."""
    keep = account(w, "root", name="Kept GmbH", website="https://kept.example",
                   billing_address=dict(city="Berlin", country="DE"))
    for i in range(6):
        a = account(w, "sal" if i % 2 else "mgr", name=f"Account {i}")
        contact(w, "sal" if i % 2 else "mgr", given_name=f"Given{i}", family_name=f"Family {i}",
                account_id=a.id)
        w.note("sal" if i % 2 else "sup", f"note {i}")
    return keep


def digest(cluster, db):
    """{schema.table: 'rows checksum'} for every table and sequence outside
    the system schemas, read as the superuser (no row-level security)."""
    rels = cluster.sql(
        "SELECT format('%I.%I', n.nspname, c.relname) || ' ' || c.relkind::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'S') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1", db=db).split("\n")
    parts = []
    for line in rels:
        rel, kind = line.rsplit(" ", 1)
        what = ("SELECT last_value || '/' || is_called FROM {r}" if kind == "S" else
                "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' "
                "ORDER BY t::text)), '-') FROM {r} t").format(r=rel)
        parts.append(f"SELECT '{rel}', ({what})")
    out = cluster.sql(" UNION ALL ".join(parts), db=db)
    return dict(line.split("|", 1) for line in out.split("\n"))


def rows(d, table):
    return int(d[table].split(" ")[0])


def serve_from(crmd_factory, env, cluster):
    """A crmd on this test's database name in `cluster` (every conninfo
    of the config moved from the harness's cluster to that one)."""
    c = crmd_factory(start=False)
    for k, v in list(c.cfg.items()):
        if isinstance(v, str) and f" port={env.pg.port} " in v:
            c.cfg[k] = v.replace(f" port={env.pg.port} ", f" port={cluster.port} ")
    c.configure()
    return c.start()


def fetch_account(crmd, w, account_id):
    """Logs in as root on `crmd` and gets the account."""
    with Conn(crmd.port, crmd.ca) as c:
        login(c, "root", w.pw["root"])
        return rq(c, "record_get", type="account", id=account_id)


def new_cluster(env, name):
    """A PgCluster object for a data directory the test makes itself."""
    base = os.path.join(env.base, name)
    os.makedirs(base)
    os.chmod(base, 0o755)
    c = PgCluster(base)
    c.owner_password, c.app_password = env.pg.owner_password, env.pg.app_password
    return c


@pytest.fixture
def world(env, crmd_factory):
    ensure_backup_role(env.pg)
    return make_world(env, crmd_factory)


def test_backup_role_reads_everything_and_nothing_else(world, db):
    env = world.env
    attrs = env.pg.sql("SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, "
                       "rolreplication FROM pg_roles WHERE rolname = 'crm_backup'")
    assert attrs == "t|f|t|f|f|f", attrs
    member_of = env.pg.sql("SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) "
                           "FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
                           "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = 'crm_backup'")
    assert member_of == "pg_read_all_data"
    owns = env.pg.sql("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                      "WHERE r.rolname = 'crm_backup'", db=db)
    assert owns == "0"
    world.note("sal", "for the backup role")

    def as_backup(sql, check=True):
        return run([tool(env.pg, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                    "127.0.0.1", "-p", str(env.pg.port), "-U", "crm_backup", "-d", db, "-c", sql],
                   env={"PGPASSWORD": BACKUP_PASSWORD}, check=check)

    # every row, past row-level security
    n = as_backup("SELECT count(*) FROM crm.notes").stdout.strip()
    assert n == env.pg.sql("SELECT count(*) FROM crm.notes", db=db) and int(n) >= 1
    # and no write
    for sql in ("INSERT INTO crm_meta.settings SELECT * FROM crm_meta.settings LIMIT 0",
                "DELETE FROM crm.notes", "UPDATE crm.accounts SET name = name",
                "CREATE TABLE crm.x (i int)", "TRUNCATE crm.audit"):
        r = as_backup(sql, check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stderr)
    # the owner cannot dump: row-level security stops pg_dump (why crm_backup exists)
    r = run([tool(env.pg, "pg_dump"), "-h", "127.0.0.1", "-p", str(env.pg.port), "-U",
             "crm_owner", "-Fc", "-f", os.devnull, db],
            env={"PGPASSWORD": env.pg.owner_password}, check=False)
    assert r.returncode != 0 and "row-level security" in r.stderr, r.stderr


def test_logical_backup_restores_into_a_fresh_cluster_and_crmd_serves_it(world, db,
                                                                          crmd_factory):
    env, w = world.env, world
    keep = fill(w)
    before = digest(env.pg, db)
    for t in ("crm.accounts", "crm.contacts", "crm.notes", "crm.audit", "crm.users",
              "crm_meta.schema_migrations", "crm_meta.settings"):
        assert rows(before, t) > 0, (t, before.get(t))

    # the backup, as docs/operations.md says
    out = os.path.join(env.base, "logical")
    os.makedirs(out)
    os.chmod(out, 0o777)
    globals_sql, dump = os.path.join(out, "crm-globals.sql"), os.path.join(out, "crm.dump")
    r = run([tool(env.pg, "pg_dumpall"), "--globals-only", "-h", env.pg.sockdir, "-p",
             str(env.pg.port), "-U", "postgres"])
    with open(globals_sql, "w") as f:
        f.write(r.stdout)
    run([tool(env.pg, "pg_dump"), "-h", "127.0.0.1", "-p", str(env.pg.port), "-U", "crm_backup",
         "-Fc", "--create", "-f", dump, db], env={"PGPASSWORD": BACKUP_PASSWORD})
    run([tool(env.pg, "pg_restore"), "--list", dump])
    # a change after the backup is not in the restore
    account(w, "root", name="After the backup")

    # the restore into a fresh cluster that has none of our roles
    fresh = new_cluster(env, "fresh")
    fresh.init()
    for role in fresh.sql("SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' "
                          "AND rolname <> 'postgres'").split():
        fresh.sql(f'DROP ROLE "{role}"')
    os.chmod(globals_sql, 0o644)
    os.chmod(dump, 0o644)
    r = run([tool(fresh, "psql"), "-X", "-q", "-h", fresh.sockdir, "-p", str(fresh.port),
             "-U", "postgres", "-d", "postgres", "-f", globals_sql], check=False)
    errors = [l for l in r.stderr.splitlines() if "ERROR" in l]
    assert all('role "postgres" already exists' in l for l in errors), r.stderr
    run([tool(fresh, "pg_restore"), "--create", "--exit-on-error", "-h", fresh.sockdir, "-p",
         str(fresh.port), "-U", "postgres", "-d", "postgres", dump])

    after = digest(fresh, db)
    assert after == before
    assert fresh.sql("SELECT count(*) FROM crm.accounts WHERE name = 'After the backup'",
                     db=db) == "0"
    # database-level grants travel with --create (REVOKE TEMPORARY, CONNECT)
    acl = ("SELECT string_agg(a::text, ',' ORDER BY a::text) FROM pg_database, unnest(datacl) a "
           "WHERE datname = current_database()")
    assert fresh.sql(acl, db=db) == env.pg.sql(acl, db=db)
    # the roles came back with their passwords: crmd serves the restored copy
    served = serve_from(crmd_factory, env, fresh)
    r = fetch_account(served, w, keep.id)
    ok(r, "get the kept account from the restored database")
    assert r.record.account.name == b"Kept GmbH"
    assert r.record.account.billing_address.city == b"Berlin"
    assert ok(get(w, "root", "account", keep.id)).record.account.version == \
        r.record.account.version
    fresh.stop()


@pytest.fixture
def archiving(env):
    """The harness's cluster with WAL archiving on (docs/operations.md);
    returns the archive directory."""
    archive = os.path.join(env.base, "wal-archive")
    os.makedirs(archive)
    env.pg._chown(archive)
    with open(os.path.join(env.pg.datadir, "postgresql.conf"), "a") as f:
        f.write(f"\n# test_backup.py\narchive_mode = on\narchive_command = "
                f"'test ! -f {archive}/%f && cp %p {archive}/%f'\n")
    env.pg.stop()
    env.pg.start()
    return archive


def test_point_in_time_restore_to_a_named_restore_point(archiving, env, db, crmd_factory):
    ensure_backup_role(env.pg)
    w = make_world(env, crmd_factory)
    keep = fill(w)
    base = new_cluster(env, "pitr")
    os.makedirs(base.sockdir)
    base._chown(base.sockdir)
    run([tool(env.pg, "pg_basebackup"), "-h", env.pg.sockdir, "-p", str(env.pg.port), "-U",
         "postgres", "-D", base.datadir, "-Fp", "-Xstream", "-c", "fast"], user=env.pg.user)

    before = ok(w.do("root", "record_create", record={"account": {"name": "Before the point"}}))
    su = env.pg.sql
    su("SELECT pg_create_restore_point('before-mistake')")
    after = ok(w.do("root", "record_create", record={"account": {"name": "After the point"}}))
    ok(w.do("root", "record_delete", type="account", id=keep.id))
    # the segment holding all that goes to the archive
    seg = su("SELECT pg_walfile_name(pg_current_wal_lsn())")
    su("SELECT pg_switch_wal()")
    wait_for(lambda: os.path.exists(os.path.join(archiving, seg)), 30, 0.1, f"archived {seg}")
    assert su("SELECT count(*) FROM crm.accounts WHERE name = 'After the point'", db=db) == "1"

    # the restore of docs/operations.md: the base backup, restore_command,
    # the named target, recovery.signal
    with open(os.path.join(base.datadir, "postgresql.conf"), "a") as f:
        f.write(f"""
# the restored copy
port = {base.port}
unix_socket_directories = '{base.sockdir}'
archive_mode = off
restore_command = 'cp {archiving}/%f %p'
recovery_target_name = 'before-mistake'
recovery_target_action = 'promote'
""")
    signal_file = os.path.join(base.datadir, "recovery.signal")
    open(signal_file, "w").close()
    base._chown(signal_file)
    base.start()
    wait_for(lambda: base.sql("SELECT pg_is_in_recovery()") == "f", 60, 0.2, "recovery to end")
    names = base.sql("SELECT string_agg(name, ',' ORDER BY id) FROM crm.accounts "
                     "WHERE deleted_at IS NULL", db=db).split(",")
    assert "Before the point" in names and "Kept GmbH" in names
    assert "After the point" not in names
    assert base.sql(f"SELECT count(*) FROM crm.accounts WHERE id = "
                    f"{after.record.account.id}", db=db) == "0"
    # crmd serves the restored cluster: the deleted account is back
    served = serve_from(crmd_factory, env, base)
    r = fetch_account(served, w, keep.id)
    ok(r, "the account deleted after the restore point")
    assert r.record.account.name == b"Kept GmbH"
    assert fetch_account(served, w, before.record.account.id).status.code == OK
    base.stop()
