"""PostgreSQL's half of the enforcement, without crmd in the way: psql as
the application role crm_app, straight to the test database, with SQL that
has no WHERE clause. Row-level security alone must hide and protect rows
outside the acting user's scope, grant nothing without an acting user,
keep the audit trail append-only and secrets unreadable. Then a catalog
test that every table is covered."""

import json
import os
import re
import subprocess
import time

import pytest

from conftest import pb, wait_for
from identity import app_sql, make_world, ok, session_sql, su_json, su_sql


@pytest.fixture
def world(env, crmd_factory):
    w = make_world(env, crmd_factory)
    # Notes in every corner of the organisation, made through crmd.
    w.notes = {u: [w.note(u) for _ in range(n)]
               for u, n in (("sal", 2), ("sal2", 1), ("sup", 1), ("vie", 1), ("mkt", 1),
                            ("mgr", 1), ("root", 1))}
    return w


def as_app(w, user, sql, check=True):
    """Runs `sql` as crm_app in a transaction opened with crm.begin_request
    for `user`'s live session, as crmd does; user None: no begin_request;
    '': begin_request without a session token."""
    return app_sql(w.env, w.db, session_sql(w, user, sql), check=check)


NO_WHERE = "SELECT count(*) FROM crm.notes;\nUPDATE crm.notes SET body = 'x';\nDELETE FROM crm.notes;\n"


def run_no_where(w, user):
    """(visible, updated, deleted) for the three statements without WHERE."""
    out = as_app(w, user, NO_WHERE).stdout.split()
    m = re.fullmatch(r"(\d+) UPDATE (\d+) DELETE (\d+)", " ".join(out))
    assert m, out
    return tuple(int(x) for x in m.groups())


def snapshot(w):
    return su_json(w.env, w.db, "SELECT id, body, owner_id, deleted_at FROM crm.notes ORDER BY id")


def ids_of(w, *users):
    return {n for u in users for n in w.notes[u]}


@pytest.mark.parametrize("user,visible_of,updatable_of", [
    # sales: read, update own; purge never (admin scope only)
    ("sal", ("sal",), ("sal",)),
    # support: read team (Support: sup, vie), update own
    ("sup", ("sup", "vie"), ("sup",)),
    # marketing: read team (Sales, not Sales East), update own
    ("mkt", ("mkt", "mgr"), ("mkt",)),
    # manager of Sales: sub-teams for everything but purge
    ("mgr", ("mgr", "mkt", "sal", "sal2"), ("mgr", "mkt", "sal", "sal2")),
    # viewer: reads all, changes nothing
    ("vie", ("sal", "sal2", "sup", "vie", "mkt", "mgr", "root"), ()),
])
def test_rows_out_of_scope_are_invisible_and_unmodifiable(world, user, visible_of, updatable_of):
    w = world
    total = len(snapshot(w))
    visible = ids_of(w, *visible_of)
    # The notes made by the fixture are all there is, except the viewer's
    # count which also includes nothing else.
    assert total == sum(len(v) for v in w.notes.values())
    got_ids = {int(x) for x in as_app(w, user, "SELECT id FROM crm.notes;").stdout.split()}
    assert got_ids == visible
    before = snapshot(w)
    seen, updated, deleted = run_no_where(w, user)
    after = snapshot(w)
    assert seen == len(visible)
    assert updated == len(ids_of(w, *updatable_of)), "UPDATE without WHERE reached other rows"
    assert deleted == 0, "DELETE without WHERE purged rows"
    assert len(after) == len(before)
    changed = {a["id"] for a, b in zip(after, before) if a != b}
    assert changed == ids_of(w, *updatable_of)
    assert all(a["body"] == "x" for a in after if a["id"] in changed)


def test_no_or_empty_acting_user_sees_and_changes_nothing(world):
    w = world
    before = snapshot(w)
    assert run_no_where(w, None) == (0, 0, 0)
    assert run_no_where(w, "") == (0, 0, 0)
    # A live session's context ends with its transaction: the next
    # statement, without a begin_request of its own, sees nothing.
    r = app_sql(w.env, w.db, session_sql(w, "vie", "SELECT count(*) FROM crm.notes;") + NO_WHERE)
    lines = r.stdout.split()
    assert int(lines[0]) == len(before), lines
    assert lines[1:] == ["0", "UPDATE", "0", "DELETE", "0"], lines
    # Inserting needs an acting user with a create scope.
    for user in (None, ""):
        r = as_app(w, user, "INSERT INTO crm.notes (body) VALUES ('sneaky');", check=False)
        assert r.returncode != 0 and "row-level security" in r.stderr, r.stderr
    # Nor do the other tables show anything.
    for table in ("crm.teams", "crm.shares", "crm.sessions", "crm.audit", "crm.permissions",
                  "crm.team_managers", "crm.roles"):
        for user in (None, ""):
            r = as_app(w, user, f"SELECT count(*) FROM {table};")
            assert r.stdout.strip() == "0", f"{table} shows rows to {user!r}"
    r = as_app(w, None, "SELECT count(*) FROM crm.users WHERE true;", check=False)
    assert r.returncode != 0 or r.stdout.strip() == "0"
    assert snapshot(w) == before


def test_app_role_cannot_switch_off_row_level_security(world):
    w = world
    for sql in ("SET row_security = off; SELECT count(*) FROM crm.notes;",
                "ALTER TABLE crm.notes DISABLE ROW LEVEL SECURITY;",
                "ALTER TABLE crm.notes NO FORCE ROW LEVEL SECURITY;",
                "DROP POLICY select_scope ON crm.notes;",
                "TRUNCATE crm.notes;"):
        r = as_app(w, "sal", sql, check=False)
        assert r.returncode != 0, f"crm_app could run: {sql}"
    assert len(snapshot(w)) == sum(len(v) for v in w.notes.values())


def test_sales_insert_must_be_own(world):
    """INSERT's WITH CHECK: a sales user cannot write a note owned by
    someone else or into another team, even with SQL of their own."""
    w = world
    sales_east = ok(w.do("root", "team_get", name="Sales East")).team.team_id
    support = ok(w.do("root", "team_get", name="Support")).team.team_id
    for values in (f"'a', {w.uid['sal2']}, {sales_east}", f"'b', {w.uid['sal']}, {support}"):
        r = as_app(w, "sal", f"INSERT INTO crm.notes (body, owner_id, team_id) VALUES ({values});",
                   check=False)
        assert r.returncode != 0 and "row-level security" in r.stderr, (values, r.stderr)
    r = as_app(w, "sal", f"INSERT INTO crm.notes (body, owner_id, team_id)"
                         f" VALUES ('mine', {w.uid['sal']}, {sales_east});")
    assert "INSERT 0 1" in r.stdout
    # UPDATE's WITH CHECK ("new rows must stay within one of those scopes",
    # sql/0002): a sales user (reassign scope none) cannot give own notes
    # away, nor move them into another team, with a plain UPDATE.
    own = ",".join(map(str, w.notes["sal"]))
    for change in (f"team_id = {support}", f"owner_id = {w.uid['sal2']}"):
        as_app(w, "sal", f"UPDATE crm.notes SET {change};", check=False)
    rows = su_json(w.env, w.db, f"SELECT DISTINCT owner_id, team_id FROM crm.notes"
                                f" WHERE id IN ({own})")
    assert rows == [{"owner_id": w.uid["sal"], "team_id": sales_east}], \
        f"a sales user moved own notes out of their scope with a plain UPDATE: {rows}"


def test_managed_teams_widen_the_scope_in_sql(world):
    w = world
    support = ok(w.do("root", "team_get", name="Support")).team.team_id
    before = {int(x) for x in as_app(w, "mgr", "SELECT id FROM crm.notes;").stdout.split()}
    assert not before & ids_of(w, "sup", "vie")
    su_sql(w.env, w.db, f"INSERT INTO crm.team_managers (team_id, user_id)"
                        f" VALUES ({support}, {w.uid['mgr']})")
    after = {int(x) for x in as_app(w, "mgr", "SELECT id FROM crm.notes;").stdout.split()}
    assert after == before | ids_of(w, "sup", "vie")


def test_audit_is_append_only_for_the_app_role(world):
    w = world
    w.c("root"), w.c("vie")  # their logins are audited: log in before counting
    count = su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit")
    assert int(count) > 0
    first = su_sql(w.env, w.db, "SELECT min(id) FROM crm.audit")
    for sql in (
        "INSERT INTO crm.audit (record_type, action) VALUES ('note', 'create');",
        f"UPDATE crm.audit SET action = 'nothing' WHERE id = {first};",
        "UPDATE crm.audit SET action = 'nothing';",
        f"DELETE FROM crm.audit WHERE id = {first};",
        "DELETE FROM crm.audit;",
        "TRUNCATE crm.audit;",
        "SELECT crm.audit_write('note', 1, 'create', NULL, NULL);",
    ):
        for user in ("root", "vie"):
            r = as_app(w, user, sql, check=False)
            assert r.returncode != 0 and "permission denied" in r.stderr, (user, sql, r.stderr)
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit") == count
    # It can read them, within its scope.
    assert int(as_app(w, "vie", "SELECT count(*) FROM crm.audit;").stdout) == int(count)


def test_app_role_cannot_read_secrets(world):
    w = world
    for sql in ("SELECT password_hash FROM crm.users;",
                "SELECT * FROM crm.users;",
                "SELECT token_hash FROM crm.sessions;",
                "SELECT * FROM crm.sessions;",
                "SELECT * FROM crm.login_throttle;",
                "UPDATE crm.users SET password_hash = 'x';",
                "UPDATE crm.sessions SET token_hash = '\\x00';"):
        r = as_app(w, "root", sql, check=False)
        assert r.returncode != 0 and "permission denied" in r.stderr, (sql, r.stderr)
    # The columns it may read are readable (the refusals are about secrets).
    r = as_app(w, "root", "SELECT count(username) FROM crm.users;"
                          " SELECT count(revoked_at IS NULL) FROM crm.sessions;")
    n_users, n_sessions = (int(x) for x in r.stdout.split())
    assert n_users >= 7 and n_sessions >= 1


# --------------------------------------------------------------- catalog

# Tables of schema crm exempt from a rule, and why. Everything else must
# have row-level security ENABLEd and FORCEd, at least one policy TO
# crm_app, and the `audit` trigger.
EXEMPT = {
    # Operational cache of replies to keyed requests, per principal (RLS:
    # each user reaches only their own): not business data; auditing it
    # would double every audited request.
    "idempotency_keys": {"audit"},
    # Static reference data written only by migrations (crm_app: SELECT).
    "record_types": {"rls", "policy", "audit"},
    # Login throttling state: RLS on, but crm_app has neither grants nor
    # policies (only the SECURITY DEFINER login functions touch it); the
    # attempts themselves are audited as login / login_failed.
    "login_throttle": {"policy", "audit"},
    # The permission matrix compiled per role (sql/0025): written only by
    # the statement triggers of crm.permissions, crm.roles and
    # crm.record_types (whose own audit rows record each change), read only
    # by definer functions; crm_app has neither grants nor policies.
    "role_scopes": {"policy", "audit"},
    # The trail itself: auditing it would recurse.
    "audit": {"audit"},
    # The record registry: rows written by the register_record trigger
    # with each business row (whose own audit row records the creation);
    # crm_app reads rows of records it can see.
    "records": {"audit"},
    # Static reference data written only by migrations (crm_app: SELECT).
    "currencies": {"rls", "policy", "audit"},
    "countries": {"rls", "policy", "audit"},
    "standard_fields": {"rls", "policy", "audit"},
    "relation_kinds": {"rls", "policy", "audit"},
    # The change outbox (sql/0028): filled from the audit trigger itself
    # (auditing it would recurse); crm_app reads through select_mine only.
    "events": {"audit"},
    # Retention's high-water mark, one row written by the scheduler.
    "event_horizon": {"audit"},
    # Who follows what: per-user preferences, not records; RLS: each user
    # reaches only their own rows.
    "watches": {"audit"},
    # The due-job queue (reminders, retention): RLS on, but crm_app has
    # neither grants nor policies (only definer functions claim jobs); what
    # a job does is audited where it writes.
    "jobs": {"policy", "audit"},
    # Attachments (sql/0030): audited as changes of their record by their
    # own trigger (crm.attachment_audit, named audit: commit and delete
    # write name, size, SHA-256 and content type), never row by row, and
    # nothing of staged uploads; their chunks never (the bytes stay out
    # of the trail).
    "attachments": {"audit"},
    "attachment_chunks": {"audit"},
}

# Tables that are not business tables but carry a copy of each record's
# owner and team: crm.records (sql/0013), kept in step by the triggers
# register_record and sync_record, which its own policy and, through it,
# the side tables' policies test.
OWNER_COPIES = {"records"}

# Tables that are not business records and so carry no owner/team: the
# identity and access machinery itself. Every other table of schema crm
# must be a business table (crm.attach_rls policies, owner_id, team_id).
NOT_BUSINESS = {"users", "teams", "team_managers", "roles", "permissions", "role_scopes", "sessions", "shares",
                "record_types", "login_throttle", "audit", "idempotency_keys",
                # the record registry, reference data and administration
                "records", "currencies", "countries", "standard_fields", "fields", "picklists",
                "picklist_values", "relation_kinds",
                # side tables: rows belong to a record and follow its access
                # (crm.refresh_side_rls, or the contact's for e-mails and
                # phones); audited as changes of that record (crm.audit_side)
                "record_tags", "custom_values", "relations", "contact_emails", "contact_phones",
                # an interaction's participants and links (sql/0032): visible
                # when both ends are, written by who may edit the interaction
                "record_links",
                # change events, watches and the due-job queue (sql/0028)
                "events", "event_horizon", "watches", "jobs",
                # attachments and their chunks: rows belong to a record and
                # follow its visibility (policies of modules/86_attachments.sql)
                "attachments", "attachment_chunks"}

CATALOG = """
SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
               AND 'crm_app'::regrole = ANY (p.polroles)) AS app_policy,
       ARRAY(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid
             AND 'crm_app'::regrole = ANY (p.polroles) ORDER BY 1) AS app_cmds,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND 0 = ANY (p.polroles))
           AS public_policy,
       (SELECT t.tgtype FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit'
        AND t.tgfoid IN ('crm.audit_row'::regproc, 'crm.audit_side'::regproc)) AS audit_tgtype,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'select_scope'
               AND pg_get_expr(p.polqual, p.polrelid) LIKE '%(owner_id = ( SELECT crm.scope_own(%'
               AND pg_get_expr(p.polqual, p.polrelid) LIKE '%shared_ids(%') AS business,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'owner_id'
               AND NOT a.attisdropped) AS has_owner,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'team_id'
               AND NOT a.attisdropped) AS has_team
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'p')
ORDER BY 1
"""


def test_catalog_every_table_is_covered(env, db):
    # The migrated database as shipped (the template, cloned): no crmd needed.
    tables = su_json(env, db, CATALOG)
    names = {t["name"] for t in tables}
    assert set(EXEMPT) <= names, f"allow-list names tables that do not exist: {set(EXEMPT) - names}"
    problems = []
    for t in tables:
        ex = EXEMPT.get(t["name"], set())
        if "rls" not in ex and not (t["rls"] and t["force"]):
            problems.append(f"{t['name']}: row-level security not ENABLEd and FORCEd")
        if "policy" not in ex and not t["app_policy"]:
            problems.append(f"{t['name']}: no policy TO crm_app")
        if t["public_policy"]:
            problems.append(f"{t['name']}: a policy applies TO PUBLIC")
        tg = t["audit_tgtype"]
        if "audit" not in ex:
            # ROW (1), not BEFORE (2), INSERT (4), DELETE (8), UPDATE (16)
            if tg is None:
                problems.append(f"{t['name']}: no audit trigger (crm.attach_audit)")
            elif tg & 0b11111 != 0b11101:
                problems.append(f"{t['name']}: audit trigger is not AFTER INSERT OR UPDATE OR "
                                f"DELETE FOR EACH ROW (tgtype {tg})")
        if t["business"]:
            if not (t["has_owner"] and t["has_team"]):
                problems.append(f"{t['name']}: business table without owner_id and team_id")
            # one policy per command: r(SELECT) a(INSERT) w(UPDATE) d(DELETE)
            if sorted(t["app_cmds"]) != ["a", "d", "r", "w"]:
                problems.append(f"{t['name']}: policies TO crm_app are {t['app_cmds']}, not one "
                                f"per command")
        elif t["name"] not in NOT_BUSINESS:
            problems.append(f"{t['name']}: neither a business table (crm.attach_rls, owner_id, "
                            f"team_id) nor on the short NOT_BUSINESS list")
        elif t["has_owner"] and t["name"] not in OWNER_COPIES:
            problems.append(f"{t['name']}: has owner_id but not the business policies "
                            f"(crm.attach_rls)")
    business = {t["name"] for t in tables if t["business"]}
    assert {"notes", "accounts", "contacts"} <= business, "the detection of business tables failed"
    assert not problems, "\n".join(problems)


def test_catalog_app_role_and_functions(env, db):
    role = su_json(env, db, "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
                            " FROM pg_roles WHERE rolname = 'crm_app'")
    assert role == [{"rolsuper": False, "rolbypassrls": False, "rolcreaterole": False,
                     "rolcreatedb": False}]
    owned = su_sql(env, db, "SELECT count(*) FROM pg_shdepend d JOIN pg_database b"
                            " ON b.oid = d.dbid OR d.dbid = 0"
                            " WHERE d.refobjid = 'crm_app'::regrole AND d.deptype = 'o'")
    assert owned == "0", "crm_app owns objects"
    assert su_sql(env, db, "SELECT count(*) FROM pg_database WHERE datdba = 'crm_app'::regrole") == "0"
    for cls in ("pg_class", "pg_proc", "pg_type", "pg_namespace"):
        col = {"pg_class": "relowner", "pg_proc": "proowner", "pg_type": "typowner",
               "pg_namespace": "nspowner"}[cls]
        assert su_sql(env, db, f"SELECT count(*) FROM {cls} WHERE {col} = 'crm_app'::regrole") == "0"
    # SECURITY DEFINER functions pin search_path.
    loose = su_sql(env, db, "SELECT coalesce(string_agg(p.proname, ', '), '') FROM pg_proc p"
                            " WHERE p.pronamespace IN ('crm'::regnamespace, 'crm_meta'::regnamespace)"
                            " AND p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c"
                            " WHERE c LIKE 'search_path=%')")
    assert loose == "", f"SECURITY DEFINER without a pinned search_path: {loose}"
    # The helpers policies call are STABLE (evaluated once per statement in
    # their scalar sub-selects) and fail closed.
    helpers = su_json(env, db, "SELECT proname, provolatile FROM pg_proc WHERE pronamespace ="
                               " 'crm'::regnamespace AND proname IN ('acting_user', 'scope_of',"
                               " 'scope_all', 'scope_own', 'scope_teams', 'shared_ids')")
    assert {h["proname"] for h in helpers} == {"acting_user", "scope_of", "scope_all",
                                               "scope_own", "scope_teams", "shared_ids"}
    assert all(h["provolatile"] == "s" for h in helpers), helpers
    # crm_app writes no table it should only read.
    for table, privs in (("crm.audit", "INSERT,UPDATE,DELETE,TRUNCATE"),
                         ("crm.record_types", "INSERT,UPDATE,DELETE,TRUNCATE"),
                         ("crm_meta.schema_migrations", "INSERT,UPDATE,DELETE,TRUNCATE"),
                         ("crm.login_throttle", "SELECT,INSERT,UPDATE,DELETE,TRUNCATE"),
                         ("crm.role_scopes", "SELECT,INSERT,UPDATE,DELETE,TRUNCATE")):
        for p in privs.split(","):
            has = su_sql(env, db, f"SELECT has_table_privilege('crm_app', '{table}', '{p}')")
            assert has == "f", f"crm_app has {p} on {table}"
    for col in ("password_hash",):
        assert su_sql(env, db, f"SELECT has_column_privilege('crm_app', 'crm.users', '{col}',"
                               f" 'SELECT')") == "f"
    assert su_sql(env, db, "SELECT has_column_privilege('crm_app', 'crm.sessions', 'token_hash',"
                           " 'SELECT')") == "f"
    # Schema-building helpers run in migrations only.
    for fn in ("crm.attach_rls(regclass, text)", "crm.attach_admin_rls(regclass, text)",
               "crm.attach_audit(regclass, text, text[])", "crm.attach_record(regclass, text, text[])",
               "crm.create_record_view(text, regclass, text)", "crm.refresh_side_rls()"):
        assert su_sql(env, db, f"SELECT has_function_privilege('crm_app', '{fn}', 'EXECUTE')") == "f", fn


def test_shares_cannot_widen_ones_own_access(world):
    """A share is written only by someone who may update the record: a
    sales user cannot share an invisible note with themselves in SQL and
    then change it."""
    w = world
    target = w.notes["root"][0]
    body = w.note_row(target)["body"]
    r = as_app(w, "sal", f"INSERT INTO crm.shares (record_type, record_id, user_id, access)"
                         f" VALUES ('note', {target}, {w.uid['sal']}, 'edit');", check=False)
    assert r.returncode != 0 and "row-level security" in r.stderr, r.stdout + r.stderr
    as_app(w, "sal", f"UPDATE crm.notes SET body = 'pwned' WHERE id = {target};", check=False)
    assert w.note_row(target)["body"] == body
    # the owner-side path still works: root shares, sal reads
    ok(w.do("root", "record_share", type="note", id=target, user="sal",
            access=pb().ACCESS_READ))
    out = as_app(w, "sal", f"SELECT count(*) FROM crm.notes WHERE id = {target};").stdout
    assert out.split()[0] == "1", out


def _scopes(w, user, action="read"):
    """(crm.action_scopes, crm.scope_all_types) of `action` as `user`."""
    out = as_app(w, user, f"SELECT crm.action_scopes('{action}')::text || ' ' ||"
                          f" crm.scope_all_types('{action}');").stdout.strip().splitlines()[-1]
    scopes, all_types = out.rsplit(" ", 1)
    return json.loads(scopes), all_types == "true"


def _records_seen(w, user, rtype):
    out = as_app(w, user, f"SELECT count(*) FROM crm.records WHERE record_type = '{rtype}';").stdout
    return int(out.split()[-1])


def test_compiled_scopes_follow_the_matrix_at_once(world):
    """crm.records and every side table read the acting user's scopes of
    all types from crm.role_scopes (sql/0025), which triggers on the matrix
    keep in step: a change made through crmd holds from the next request, for
    the records' own policy and for the all-types shortcut side tables
    take. A cell removed is none."""
    w = world
    scopes, all_types = _scopes(w, "vie")
    assert scopes["note"] == "all" and scopes["account"] == "all" and all_types
    assert _records_seen(w, "vie", "note") == len(ids_of(w, *w.notes))
    A, S = pb().Action, pb().Scope
    ok(w.do("root", "permission_set", role="viewer", record_type="note", action=A.Value("READ"),
            scope=S.Value("TEAM")))
    scopes, all_types = _scopes(w, "vie")
    assert scopes["note"] == "team" and not all_types
    assert _records_seen(w, "vie", "note") == len(ids_of(w, "sup", "vie"))
    ok(w.do("root", "permission_set", role="viewer", record_type="note", action=A.Value("READ"),
            scope=S.Value("ALL")))
    assert _scopes(w, "vie") == (scopes | {"note": "all"}, True)
    # a business type without a cell: none, and no longer all types
    su_sql(w.env, w.db, "DELETE FROM crm.permissions WHERE role = 'viewer' AND record_type = 'contact'"
                        " AND action = 'read'")
    scopes, all_types = _scopes(w, "vie")
    assert "contact" not in scopes and not all_types
    # what the triggers keep equals a compilation from scratch
    before = su_sql(w.env, w.db, "SELECT json_agg(s ORDER BY role, action) FROM crm.role_scopes s")
    su_sql(w.env, w.db, "SELECT crm.refresh_role_scopes()")
    assert su_sql(w.env, w.db, "SELECT json_agg(s ORDER BY role, action) FROM crm.role_scopes s") == before


def _session(w, *lines):
    """A psql session as the superuser in its own transaction, left open:
    write more to its stdin; it answers \\echo lines as it reaches them."""
    pg = w.env.pg
    p = subprocess.Popen([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", w.db],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write("".join(l + "\n" for l in lines))
    p.stdin.flush()
    return p


def _wait_echo(p, word):
    while True:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        if line.strip() == word:
            return


def _cell(table, role, rtype, scope):
    return (f"UPDATE crm.{table} SET scope = '{scope}' WHERE role = '{role}' AND record_type = '{rtype}'"
            f" AND action = 'read';")


@pytest.mark.parametrize("isolation", ["READ COMMITTED", "REPEATABLE READ"])
def test_concurrent_matrix_changes_never_leave_stale_compiled_scopes(world, isolation):
    """Two transactions change different cells at once. The second one's
    compilation waits for the first to end; under READ COMMITTED it then sees
    the first's cell and keeps both; under REPEATABLE READ (a snapshot from
    before the first committed) it fails with a serialization error rather
    than write back the first's old cell. Either way crm.role_scopes
    equals the matrix."""
    w = world
    first = _session(w, "BEGIN;", _cell("permissions", "viewer", "note", "own"), "\\echo changed")
    _wait_echo(first, "changed")
    # the second's snapshot is taken (SELECT 1) before the first commits,
    # and it is blocked on the first's lock when the first commits (a fixed
    # sleep was not enough on a loaded machine)
    second = _session(w, f"BEGIN ISOLATION LEVEL {isolation};", "SELECT 1;", "\\echo snapshot",
                      _cell("permissions", "viewer", "account", "team"), "COMMIT;", "\\echo done")
    _wait_echo(second, "snapshot")
    wait_for(lambda: w.env.pg.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        f" AND datname = '{w.db}' AND query LIKE 'UPDATE crm.permissions%'") == "1",
        30, 0.05, "the second transaction waiting for the first's lock")
    assert second.poll() is None
    first.stdin.write("COMMIT;\n\\echo committed\n")
    first.stdin.flush()
    _wait_echo(first, "committed")
    out, err = second.communicate(timeout=30)
    first.communicate(timeout=30)
    want_account = "team"
    if isolation == "READ COMMITTED":
        assert second.returncode == 0 and "done" in out, err
    else:
        assert second.returncode != 0 and "could not serialize access" in err, (out, err)
        want_account = "all"
    scopes, _ = _scopes(w, "vie")
    assert scopes["note"] == "own" and scopes["account"] == want_account, scopes
    matrix = su_json(w.env, w.db, "SELECT record_type, scope FROM crm.permissions"
                                  " WHERE role = 'viewer' AND action = 'read'")
    assert scopes == {r["record_type"]: r["scope"] for r in matrix}
