"""The second layer against the database roles themselves: psql as crm_app
(with its password, with or without a live session token), crm_auth and
crm_backup, trying each attack of issue 10 part 1. Row-level security and
the functions must hold on their own, whatever crmd's role says or sets.

Before sql/0005_trust.sql, each test marked "was open" here succeeded as an
attack (the acting user and the scope caches were settings any role can
SET; login_precheck/login_finish/purge_record were executable by crm_app;
TEMPORARY was PUBLIC's); the others guard properties of the new design
(the context starts empty in every transaction, also pipelined)."""

import re

import pytest

from conftest import NOT_FOUND, OK, pb
from identity import (app_sql, begin_sql, make_world, psql, session_sql, su_json, su_sql,
                      token_hashed)


@pytest.fixture
def world(env, crmd_factory):
    w = make_world(env, crmd_factory, db_workers="1", max_inflight="256", queue_length="512",
                   log_level="debug")
    w.notes = {u: [w.note(u) for _ in range(2)] for u in ("sal", "sup", "root")}
    return w


def notes_total(w):
    return int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.notes"))


def as_role(w, role, sql, check=False):
    return psql(w.env, w.db, sql, role=role, check=check)


BUSINESS = ("crm.notes", "crm.accounts", "crm.contacts", "crm.users", "crm.teams",
            "crm.sessions", "crm.audit", "crm.shares", "crm.permissions", "crm.records")

# Every setting the schema before 0005 trusted, forged for root (the admin).
def forged(w):
    root = w.uid["root"]
    return (f"\\set QUIET on\nSET crm.user_id = '{root}';\nSET crm.session_id = '1';\n"
            f"SET crm.scopes = '{root}|,note.read=all,note.update=all,note.admin=all,"
            f"user.read=all,user.admin=all,audit.read=all,session.read=all,';\n"
            f"SET crm.audit_action = 'login';\nSET crm.request_id = '424242';\n"
            f"SET crm.client_addr = '203.0.113.9';\n\\set QUIET off\n")


def test_forged_settings_without_a_session_read_and_write_nothing(world):
    """was open: SET crm.user_id made row-level security answer as root."""
    w = world
    counts = as_role(w, "crm_app", forged(w) + "".join(
        f"SELECT count(*) FROM {t};\n" for t in BUSINESS), check=True).stdout.split()
    assert counts == ["0"] * len(BUSINESS), counts
    before = su_json(w.env, w.db, "SELECT id, body, owner_id FROM crm.notes ORDER BY id")
    for sql in ("UPDATE crm.notes SET body = 'pwned';",
                "DELETE FROM crm.notes;",
                f"INSERT INTO crm.notes (body, owner_id) VALUES ('x', {w.uid['root']});",
                f"UPDATE crm.users SET role = 'admin' WHERE id = {w.uid['sal']};",
                "SELECT crm.record_create('{\"note\": {\"body\": \"forged\"}}');"):
        r = as_role(w, "crm_app", forged(w) + sql)
        assert not re.search(r"\b(INSERT 0|UPDATE|DELETE) [1-9]", r.stdout), (sql, r.stdout)
    assert su_json(w.env, w.db, "SELECT id, body, owner_id FROM crm.notes ORDER BY id") == before
    assert su_sql(w.env, w.db, f"SELECT role FROM crm.users WHERE id = {w.uid['sal']}") == "sales"


def test_forged_settings_inside_a_live_session_change_nothing(world):
    """was open: after sal's begin_request, SET crm.user_id / the scope
    cache made the rest of the transaction root's, audit rows included."""
    w = world
    sal_note = w.notes["sal"][0]
    r = app_sql(w.env, w.db, session_sql(
        w, "sal", forged(w) + "SELECT count(*) FROM crm.notes;\n"
        f"UPDATE crm.notes SET body = 'edited by sal' WHERE id = {sal_note};\n"
        f"UPDATE crm.notes SET body = 'root''s, really' WHERE id = {w.notes['root'][0]};\n"))
    out = r.stdout.split()
    assert out[0] == str(len(w.notes["sal"])), out  # sal's own notes only
    assert out[1:] == ["UPDATE", "1", "UPDATE", "0"], out
    row = su_json(w.env, w.db, f"SELECT user_id, username, action, request_id, client_addr"
                               f" FROM crm.audit WHERE record_id = {sal_note}"
                               f" ORDER BY id DESC LIMIT 1")[0]
    # user from the session; request id and address as begin_request was told
    assert row == {"user_id": w.uid["sal"], "username": "sal", "action": "update",
                   "request_id": 1, "client_addr": "127.0.0.1"}, row


def test_app_role_cannot_read_a_password_hash(world):
    """was open: crm.login_precheck and crm.own_password_hash returned one."""
    w = world
    for sql in ("SELECT password_hash FROM crm.login_precheck('root', '127.0.0.1', 100);",
                "SELECT crm.own_password_hash();"):
        r = as_role(w, "crm_app", sql)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stdout, r.stderr)
        r = app_sql(w.env, w.db, session_sql(w, "root", sql), check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stdout, r.stderr)
    assert "$argon2id$" not in as_role(w, "crm_app", "SELECT * FROM crm.user_out;").stdout


def test_app_role_cannot_mint_a_session(world):
    """was open: crm.login_finish opened a session for any user with a
    token of the caller's choosing."""
    w = world
    w.c("sal")  # its login opens a session: count after it
    sessions = su_sql(w.env, w.db, "SELECT count(*) FROM crm.sessions")
    token = "minted-by-crm-app-000000000000000000000000"
    for sql in (f"SELECT * FROM crm.login_finish('root', '127.0.0.1', {w.uid['root']}, true,"
                f" sha256(convert_to('{token}', 'UTF8')), 'x', '1 hour', '1 hour', 5, 20, '1 min', 100);",
                f"SELECT * FROM crm.session_open(sha256(convert_to('{token}', 'UTF8')), 'x',"
                f" '1 hour', '1 hour');"):
        r = app_sql(w.env, w.db, session_sql(w, "sal", sql), check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stdout, r.stderr)
        r = as_role(w, "crm_app", forged(w) + sql)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stdout, r.stderr)
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.sessions") == sessions
    c = w.connect()
    r = c.request(resume=pb().Resume(token=token.encode()))
    assert r.status.code != OK


def test_app_role_cannot_forge_or_rewrite_audit_rows(world):
    """The trail is written by triggers only; nobody updates or deletes it
    (not even the owner: the append-only trigger), and a row's user comes
    from the session."""
    w = world
    w.c("root")  # its login is audited: count after it
    n = su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit")
    first = su_sql(w.env, w.db, "SELECT min(id) FROM crm.audit")
    for sql in (f"SELECT crm.audit_write('note', 1, 'create', NULL, NULL, {w.uid['root']});",
                "INSERT INTO crm.audit (record_type, action) VALUES ('note', 'create');",
                f"UPDATE crm.audit SET username = 'someone' WHERE id = {first};",
                f"DELETE FROM crm.audit WHERE id = {first};"):
        r = app_sql(w.env, w.db, session_sql(w, "root", sql), check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stderr)
    for sql in (f"UPDATE crm.audit SET username = 'someone' WHERE id = {first};",
                f"DELETE FROM crm.audit WHERE id = {first};", "TRUNCATE crm.audit;"):
        r = psql(w.env, w.db, sql, role="crm_owner", check=False)
        assert r.returncode != 0 and "append-only" in r.stderr, (sql, r.stderr)
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit") == n


def test_purge_with_forged_scopes_is_refused(world):
    """was open: crm.purge_record trusted crm.scopes, so a sales user's
    transaction (or none at all) could purge and redact any record."""
    w = world
    target = w.notes["root"][0]
    sal_uid = w.uid["sal"]
    cache = f"SET crm.scopes = '{sal_uid}|,note.read=all,note.admin=all,';\n"
    for user in ("sal", None):
        sql = (cache if user else forged(w)) + f"SELECT crm.purge_record('note', {target});"
        r = app_sql(w.env, w.db, session_sql(w, user, sql), check=False)
        assert r.returncode != 0, (user, r.stdout)
    assert w.note_row(target) is not None
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.audit WHERE record_id = {target}"
                               f" AND action = 'redact'") == "0"
    # An administrator's session may purge (and only then is history redacted).
    r = app_sql(w.env, w.db, session_sql(w, "root", f"SELECT crm.purge_record('note', {target});"))
    assert w.note_row(target) is None
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.audit WHERE record_id = {target}"
                               f" AND action = 'redact'") == "1"


def test_temp_table_cannot_shadow_a_table_in_a_definer_function(world):
    """was open: with TEMPORARY granted to PUBLIC, crm_app created
    pg_temp.pg_constraint and pg_temp.pg_attribute, which
    crm.purge_record (search_path without pg_temp, so pg_temp first)
    read instead of the catalog: it then deleted a row of a table of the
    attacker's choosing as the owner."""
    w = world
    n_perm = su_sql(w.env, w.db, "SELECT count(*) FROM crm.permissions")
    shadow = (
        "CREATE TEMP TABLE pg_constraint (conrelid oid, conkey int2[], contype \"char\","
        " confrelid oid);\n"
        "INSERT INTO pg_temp.pg_constraint VALUES ('crm.permissions'::regclass, '{1}', 'f',"
        " 'crm.records'::regclass);\n"
        "CREATE TEMP TABLE pg_attribute (attrelid oid, attnum int2, attname name);\n"
        "INSERT INTO pg_temp.pg_attribute VALUES ('crm.permissions'::regclass, 1, 'id');\n"
        "GRANT SELECT ON pg_temp.pg_constraint, pg_temp.pg_attribute TO PUBLIC;\n")
    r = app_sql(w.env, w.db, session_sql(w, "root", shadow + f"SELECT crm.purge_record('note',"
                                         f" (SELECT min(id) FROM crm.notes));"), check=False)
    # (the message names the database, or the session's temporary schema
    # when begin_request already made it)
    assert r.returncode != 0 and re.search(r"permission denied (to create temporary tables|for"
                                           r" schema pg_temp)", r.stderr), (r.stdout, r.stderr)
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.permissions") == n_perm
    # Nor can the context itself be shadowed or read.
    for sql in ("CREATE TEMP TABLE crm_context (user_id bigint);",
                "SELECT * FROM pg_temp.crm_context;",
                "UPDATE pg_temp.crm_context SET user_id = 1;"):
        r = app_sql(w.env, w.db, session_sql(w, "sal", sql), check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stderr)


def test_context_is_empty_without_begin_after_commit_abort_and_discard(world):
    """A statement without begin_request sees nothing: after another
    transaction's commit, after an abort, and after DISCARD TEMP (which
    drops the context table; the next begin_request makes it again)."""
    w = world
    w.c("sup")
    w.c("sal")
    h = token_hashed(w)

    def begin(user):
        return begin_sql(w.tokens[user], hashed=h)
    count = "SELECT count(*) FROM crm.notes;\n"
    script = ("BEGIN;\n" + begin("sup") + count + "COMMIT;\n" + count
              + "BEGIN;\n" + begin("sal") + count + "SELECT 1/0;\n")
    r = app_sql(w.env, w.db, script, check=False)
    lines = [x for x in r.stdout.split() if x.isdigit()]
    assert lines == ["2", "0", "2"], r.stdout
    script = ("\\set ON_ERROR_STOP 0\nBEGIN;\n" + begin("sal") + "SELECT 1/0;\nROLLBACK;\n"
              + count + "BEGIN;\n" + begin("sal") + count + "COMMIT;\nDISCARD TEMP;\n"
              + count + "SELECT crm.acting_user() IS NULL;\n"
              + "BEGIN;\n" + begin("sup") + count + "COMMIT;\n" + count)
    r = app_sql(w.env, w.db, script, check=False)
    lines = [x for x in r.stdout.split() if x.isdigit() or x in ("t", "f")]
    assert lines == ["0", "2", "0", "t", "2", "0"], (r.stdout, r.stderr)


def test_users_alternating_in_one_pipeline_each_see_only_their_own(world):
    """Two users' requests, A B A B ..., batched by crmd's one DB worker
    into one pipeline on one PostgreSQL connection: each transaction acts
    only for its own session."""
    w = world
    p = pb()
    a, b = w.c("sal"), w.c("sup")
    na, nb = w.notes["sal"][0], w.notes["sup"][0]
    a.send(a.build(id=9000, sleep=p.Sleep(ms=400)))  # holds the one worker
    frames = []
    for i in range(40):
        who, conn = (("sal", a), ("sup", b))[i % 2]
        nid = (na, nb)[(i // 2) % 2]  # each asks for its own note, then the other's
        conn.send(conn.build(id=9100 + i, record_get=p.RecordGet(type=p.RECORD_TYPE_NOTE, id=nid)))
        frames.append((who, conn, 9100 + i, nid))
    got = {}
    for who, conn, rid, nid in frames:
        got[rid] = conn.recv_response(timeout=20, want_id=rid)
    for who, conn, rid, nid in frames:
        own = nid == (na if who == "sal" else nb)
        r = got[rid]
        assert r.status.code == (OK if own else NOT_FOUND), (who, nid, r)
        if own:
            assert r.record.note.meta.owner == who, r
    a.recv_response(timeout=20, want_id=9000)
    batches = [int(m.group(1)) for m in
               re.finditer(r"batch of \d+, (\d+) pipelined", w.crmd.log())]
    assert batches and max(batches) >= 4, "the requests were not pipelined"


def test_auth_role_reads_no_table(world):
    w = world
    for t in BUSINESS:
        r = as_role(w, "crm_auth", f"SELECT count(*) FROM {t};")
        assert r.returncode != 0 and "permission denied" in r.stderr, (t, r.stdout)
    # It can mint a session for anyone: that is its job (docs/security.md).
    r = as_role(w, "crm_auth", "BEGIN;\n" + begin_sql(None) + "SELECT session_id IS NOT NULL"
                f" FROM crm.login_finish('sal', '127.0.0.1', {w.uid['sal']}, true,"
                f" sha256('auth-minted'::bytea), 'x', '1 hour', '1 hour', 5, 20, '1 min', 100);\nCOMMIT;\n")
    assert r.returncode == 0 and "t" in r.stdout.split(), r.stderr


def test_backup_role_reads_everything_and_writes_nothing(world):
    w = world
    r = as_role(w, "crm_backup", "SELECT count(*) FROM crm.notes;"
                                 " SELECT count(password_hash) > 0 FROM crm.users;", check=True)
    assert r.stdout.split() == [str(notes_total(w)), "t"], r.stdout
    for sql in ("UPDATE crm.notes SET body = 'x';", "DELETE FROM crm.audit;",
                "SELECT * FROM crm.begin_request(NULL, '1', 'x', '1000', NULL, NULL);",
                "CREATE TEMP TABLE x (a int);"):
        r = as_role(w, "crm_backup", sql)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stderr)


@pytest.mark.parametrize("role", ["crm_owner", "crm_app"])
def test_serve_refuses_an_auth_role_that_owns_or_bypasses(env, db, crmd_factory, role):
    """db_auth is checked as db_app is: an owner (crm_owner) is refused; so
    is a role that may create temporary tables (crm_app given TEMP)."""
    if role == "crm_app":
        su_sql(env, db, f"GRANT TEMPORARY ON DATABASE {db} TO crm_app")
    c = crmd_factory(start=False, db_auth=env.pg.conninfo(db, role))
    r = c.run("serve", "--config", c.config_path, timeout=30)
    assert r.rc != 0, r.out + r.err
    assert "db_auth" in r.err or ("db_app" in r.err and role == "crm_app"), r.err
    assert ("owns" in r.err) if role == "crm_owner" else ("temporary" in r.err), r.err


def test_context_table_stays_small_over_many_requests(world):
    """was open: the first scope read of each transaction rewrote the
    context row with the role's whole permission row (about 2 KB), and
    autovacuum never visits temporary tables, so one connection's
    pg_temp.crm_context grew by a page every few requests (4 MB after
    2,000) and every reader scanned all of it: a get became four times
    slower over a worker connection's life. The readers now cache nothing
    in the row; 400 requests that read scopes, teams and shares leave the
    table at a page or two."""
    w = world
    w.c("root")  # the admin: the widest permission row
    token = w.tokens["root"]
    one = ("BEGIN;\n" + begin_sql(token, hashed=token_hashed(w))
           + "SELECT crm.scope_of('note', 'read'), crm.scope_teams('note', 'update'),"
             " crm.shared_ids('note', false), count(*) FROM crm.notes \\gset\nCOMMIT;\n")
    size = ("SELECT pg_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = 'crm_context';\n")
    r = app_sql(w.env, w.db, "\\set QUIET on\n" + one * 400 + "\\set QUIET off\n" + size)
    assert int(r.stdout.split()[-1]) <= 2 * 8192, r.stdout
    # The readers still answer from the context: sal reads sal's notes only.
    out = app_sql(w.env, w.db, session_sql(w, "sal", "SELECT count(*) FROM crm.notes;")).stdout.split()
    assert out == [str(len(w.notes["sal"]))], out


def test_session_check_writes_no_context(world):
    """A deep ping's prologue (action 'check', no record type) checks the
    session and writes no context: its transaction has no acting user,
    reads no row and takes no transaction id; a dead token still fails."""
    w = world
    w.c("root")
    tok = f"convert_to('{w.tokens['root']}', 'UTF8')"
    r = app_sql(w.env, w.db, (
        "BEGIN;\n"
        f"SELECT username FROM crm.begin_request({tok}, '1', '127.0.0.1', '30000', NULL, 'check');\n"
        "SELECT crm.acting_user() IS NULL, pg_current_xact_id_if_assigned() IS NULL,"
        " (SELECT count(*) FROM crm.notes), crm.scope_of('note', 'read');\n"
        "COMMIT;\n"))
    assert r.stdout.split()[:3] == ["BEGIN", "root", "t|t|0|none"], r.stdout
    r = app_sql(w.env, w.db, "SELECT username FROM crm.begin_request(convert_to('no such token', 'UTF8'),"
                " '1', '127.0.0.1', '30000', NULL, 'check');\n", check=False)
    assert r.returncode != 0 and "session expired or revoked" in r.stderr, r.stderr
