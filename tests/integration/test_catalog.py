"""The catalog, role by role: what each database role crmd's deployment
creates can reach, against a written allow-list. It fails on any table,
view, sequence or function (in schemas crm, crm_meta, public and
reporting) that crm_app, crm_auth, crm_report or PUBLIC can reach beyond the list below, on anything
but SELECT for crm_backup, on any SECURITY DEFINER function whose
search_path is not pinned to `pg_catalog, crm, pg_temp`, and if PUBLIC,
crm_app or crm_auth may create temporary tables (which could shadow the
request context or a table a definer function names).

A migration that adds a function or grants a table adds its line here:
`role | object | privileges`, after a `#` comment saying why the role needs
it (functions as regprocedure prints them;
column privileges as PRIV(col,...)). sql/README.md and docs/security.md
say what each role is for.

The standard objects of each record type the registry serves (a row of
crm.record_types with a save function) are allowed without a line:
crm_app's DELETE INSERT SELECT UPDATE on its table, SELECT on its view and
EXECUTE on its save function (bigint,jsonb,text[]), and crm_report's
SELECT on its reporting view (reporting.<its table's name>), exactly
those privileges (TYPE_ALLOW). Anything else a type's change grants
needs its line here."""

import pytest

from identity import su_sql

ALLOW = """
crm_app  | crm.account_parent_loops(bigint,bigint) | EXECUTE
crm_app  | crm.acting_session() | EXECUTE
crm_app  | crm.acting_user() | EXECUTE
crm_app  | crm.action_scopes(text) | EXECUTE
crm_app  | crm.address_json(text,text,text,text,text) | EXECUTE
crm_app  | crm.address_part(jsonb,text,text,text[],text) | EXECUTE
crm_app  | crm.apply_edits(text,bigint,jsonb,jsonb) | EXECUTE
# attachments (sql/0030, 0031, modules/86_attachments.sql): crm_app only
# reads the two tables, under their SELECT policies; every write goes
# through the five SECURITY DEFINER requests (begin, chunk, commit, abort,
# delete), which trust only crm.acting_user() and test the record
# themselves; list and read run as the caller; the checks and helpers
# run inside the definer functions and are not crm_app's; attachment_out
# is the security_invoker view list, commit and read return
crm_app  | crm.attach_abort(bigint) | EXECUTE
crm_app  | crm.attach_begin(text,bigint,text,text,bigint,text,bigint,integer,interval) | EXECUTE
crm_app  | crm.attach_chunk(bigint,integer,bytea,text,bigint,interval) | EXECUTE
crm_app  | crm.attach_commit(bigint,text) | EXECUTE
crm_app  | crm.attach_delete(bigint) | EXECUTE
crm_app  | crm.attach_list(text,bigint,text,integer) | EXECUTE
crm_app  | crm.attach_read(bigint,integer) | EXECUTE
crm_app  | crm.attachment_chunks | SELECT
crm_app  | crm.attachment_out | SELECT
crm_app  | crm.attachments | SELECT
crm_app  | crm.audit | SELECT
crm_app  | crm.audit_check_type(text) | EXECUTE
crm_app  | crm.audit_instant(bigint,text) | EXECUTE
crm_app  | crm.audit_list(text,bigint,text,bigint,bigint,bigint,integer) | EXECUTE
crm_app  | crm.audit_out | SELECT
crm_app  | crm.audit_scoped_ids(text,timestamp with time zone,timestamp with time zone,bigint,integer,bigint) | EXECUTE
crm_app  | crm.bad_char_at(text,boolean) | EXECUTE
crm_app  | crm.begin_request(bytea,text,text,text,text,text) | EXECUTE
crm_app  | crm.business_table(text) | EXECUTE
crm_app  | crm.char_name(text) | EXECUTE
crm_app  | crm.check_birthday(jsonb) | EXECUTE
crm_app  | crm.check_bool(text,text) | EXECUTE
crm_app  | crm.check_clear(text,text[]) | EXECUTE
crm_app  | crm.check_country(text,text) | EXECUTE
crm_app  | crm.check_date(text,text) | EXECUTE
crm_app  | crm.check_email(text,text) | EXECUTE
crm_app  | crm.check_external_id(text,bigint,jsonb) | EXECUTE
crm_app  | crm.check_instant(text,text) | EXECUTE
crm_app  | crm.check_money(text,text,text) | EXECUTE
crm_app  | crm.check_number(text,text) | EXECUTE
crm_app  | crm.check_parent(bigint,bigint) | EXECUTE
crm_app  | crm.check_phone(text,text) | EXECUTE
crm_app  | crm.check_picklist(text,text,text,text) | EXECUTE
crm_app  | crm.check_preferences(jsonb) | EXECUTE
crm_app  | crm.check_record_type(text,text) | EXECUTE
crm_app  | crm.check_role(text) | EXECUTE
crm_app  | crm.check_text(text,text,integer,boolean) | EXECUTE
crm_app  | crm.check_text(text,text,integer,boolean,boolean) | EXECUTE
crm_app  | crm.clean_address(jsonb,text,text) | EXECUTE
crm_app  | crm.clean_text(jsonb,text[],text,integer,boolean,boolean) | EXECUTE
crm_app  | crm.contact_emails | DELETE INSERT SELECT UPDATE
crm_app  | crm.contact_phones | DELETE INSERT SELECT UPDATE
crm_app  | crm.context_shared(text,boolean) | EXECUTE
crm_app  | crm.countries | SELECT
crm_app  | crm.currencies | SELECT
crm_app  | crm.custom_values | DELETE INSERT SELECT UPDATE
crm_app  | crm.edit_contact_list(bigint,text,jsonb) | EXECUTE
crm_app  | crm.event_horizon | SELECT
crm_app  | crm.events | SELECT
crm_app  | crm.events_audience(xid8,bigint,integer) | EXECUTE
crm_app  | crm.events_head() | EXECUTE
crm_app  | crm.events_read(xid8,bigint,integer) | EXECUTE
crm_app  | crm.events_start(xid8,bigint) | EXECUTE
crm_app  | crm.fail(text,text,text) | EXECUTE
crm_app  | crm.field_add(jsonb) | EXECUTE
crm_app  | crm.field_json(crm.fields) | EXECUTE
crm_app  | crm.field_list(text) | EXECUTE
crm_app  | crm.field_remove(text,text) | EXECUTE
crm_app  | crm.fields | DELETE INSERT SELECT UPDATE
crm_app  | crm.filter_cond(text,jsonb,text[]) | EXECUTE
crm_app  | crm.given(jsonb,text,text[]) | EXECUTE
crm_app  | crm.idempotency_keys | DELETE INSERT SELECT UPDATE
crm_app  | crm.idempotency_purge() | EXECUTE
# a task's completing update logs the interaction it led to
# (RecordUpdate.log): crm.record_update calls crm.interaction_log as the
# user, under row-level security (sql/modules/82_history.sql).
crm_app  | crm.interaction_log(text,jsonb,jsonb) | EXECUTE
# an interaction's participants and links (sql/0032_participants.sql,
# modules/82_history.sql): a create with links runs
# crm.record_create_linked, which calls crm.interaction_links, as the user;
# crm_app writes crm.record_links under its policies, and updates only
# its derived instant.
crm_app  | crm.interaction_links(bigint,jsonb) | EXECUTE
crm_app  | crm.jobs_run(integer) | EXECUTE
crm_app  | crm.message_template(text) | EXECUTE
crm_app  | crm.messages() | EXECUTE
crm_app  | crm.name_order_of(text,text) | EXECUTE
crm_app  | crm.permission_list(text,text) | EXECUTE
crm_app  | crm.permission_set(text,text,text,text) | EXECUTE
crm_app  | crm.permissions | INSERT SELECT UPDATE
crm_app  | crm.phone_norm(text) | EXECUTE
crm_app  | crm.pick(jsonb,text,text[],text) | EXECUTE
crm_app  | crm.picklist_add(text,text,text) | EXECUTE
crm_app  | crm.picklist_json(text) | EXECUTE
crm_app  | crm.picklist_list(text) | EXECUTE
crm_app  | crm.picklist_move(text,text,text,text) | EXECUTE
crm_app  | crm.picklist_remove(text,text) | EXECUTE
crm_app  | crm.picklist_values | DELETE INSERT SELECT UPDATE
crm_app  | crm.picklists | DELETE INSERT SELECT UPDATE
crm_app  | crm.purge_record(text,bigint) | EXECUTE
crm_app  | crm.raise(text,text,text) | EXECUTE
crm_app  | crm.raise(text,text,text,text[]) | EXECUTE
crm_app  | crm.record_bump(text,bigint) | EXECUTE
crm_app  | crm.record_content(jsonb) | EXECUTE
crm_app  | crm.record_count(text,jsonb,boolean,boolean) | EXECUTE
crm_app  | crm.record_create(jsonb) | EXECUTE
crm_app  | crm.record_create_linked(jsonb) | EXECUTE
crm_app  | crm.record_editable(text,bigint) | EXECUTE
crm_app  | crm.record_exists(text,bigint) | EXECUTE
crm_app  | crm.record_get(text,bigint) | EXECUTE
crm_app  | crm.record_id_seq | USAGE
crm_app  | crm.record_kind(jsonb) | EXECUTE
crm_app  | crm.record_links | DELETE INSERT SELECT UPDATE(at)
crm_app  | crm.record_list(text,jsonb,jsonb,text,integer,boolean,boolean) | EXECUTE
crm_app  | crm.record_list_sql(text,jsonb,jsonb,text,integer,boolean,boolean,boolean) | EXECUTE
crm_app  | crm.record_lock(text,bigint) | EXECUTE
crm_app  | crm.record_mark_deleted(text,bigint,boolean) | EXECUTE
crm_app  | crm.record_move(text,bigint,bigint,bigint) | EXECUTE
crm_app  | crm.record_name(text,bigint) | EXECUTE
crm_app  | crm.record_purge(text,bigint) | EXECUTE
crm_app  | crm.record_reassign(text,bigint,text,text) | EXECUTE
crm_app  | crm.record_reassign(text,bigint,text,text,boolean) | EXECUTE
crm_app  | crm.record_refuse(text,bigint,bigint,text) | EXECUTE
crm_app  | crm.record_save(text,bigint,bigint,jsonb,text[]) | EXECUTE
crm_app  | crm.record_set_deleted(text,bigint,boolean) | EXECUTE
crm_app  | crm.record_share(text,bigint,text,text,text,boolean) | EXECUTE
crm_app  | crm.record_sides(text,bigint,jsonb,text[]) | EXECUTE
crm_app  | crm.record_state(text,bigint) | EXECUTE
crm_app  | crm.record_tags | DELETE INSERT SELECT UPDATE
crm_app  | crm.record_type_list() | EXECUTE
crm_app  | crm.record_types | SELECT
crm_app  | crm.record_updatable(text,bigint) | EXECUTE
crm_app  | crm.record_update(bigint,bigint,jsonb,text[]) | EXECUTE
crm_app  | crm.record_visible(text,bigint) | EXECUTE
crm_app  | crm.records | SELECT
crm_app  | crm.redact(jsonb,text[]) | EXECUTE
crm_app  | crm.relation_add(bigint,bigint,text,boolean) | EXECUTE
crm_app  | crm.relation_json(crm.relations) | EXECUTE
crm_app  | crm.relation_kinds | SELECT
crm_app  | crm.relation_kinds_text() | EXECUTE
crm_app  | crm.relation_list(bigint,text,integer) | EXECUTE
crm_app  | crm.relation_remove(bigint) | EXECUTE
crm_app  | crm.relation_types_text() | EXECUTE
crm_app  | crm.relations | DELETE INSERT SELECT UPDATE
crm_app  | crm.role_out | SELECT
crm_app  | crm.roles | SELECT
crm_app  | crm.save_contact_lists(bigint,jsonb,text[],boolean) | EXECUTE
crm_app  | crm.save_custom(text,bigint,jsonb,text[],boolean) | EXECUTE
crm_app  | crm.save_custom_value(text,bigint,crm.fields,text) | EXECUTE
crm_app  | crm.save_tags(text,bigint,jsonb,text[],boolean) | EXECUTE
crm_app  | crm.scope_all(text,text) | EXECUTE
crm_app  | crm.scope_all_types(text) | EXECUTE
crm_app  | crm.scope_cond(text,text) | EXECUTE
crm_app  | crm.scope_of(text,text) | EXECUTE
crm_app  | crm.scope_own(text,text) | EXECUTE
crm_app  | crm.scope_teams(text,text) | EXECUTE
crm_app  | crm.session_list(text,boolean) | EXECUTE
crm_app  | crm.session_out | SELECT
crm_app  | crm.session_revoke(bigint) | EXECUTE
crm_app  | crm.sessions | SELECT(id,user_id,created_at,last_used_at,expires_at,idle_timeout,revoked_at,client_addr,client_name) UPDATE(revoked_at)
crm_app  | crm.set_primary_account(bigint,bigint) | EXECUTE
crm_app  | crm.share_apply(text,bigint,text,text,text,boolean) | EXECUTE
crm_app  | crm.share_list(text,bigint) | EXECUTE
crm_app  | crm.share_rows(text,bigint) | EXECUTE
crm_app  | crm.share_target(text,bigint,text) | EXECUTE
crm_app  | crm.shared_any(boolean) | EXECUTE
crm_app  | crm.shared_ids(text,boolean) | EXECUTE
crm_app  | crm.shares | DELETE INSERT SELECT UPDATE
crm_app  | crm.standard_fields | SELECT
crm_app  | crm.subject(text) | EXECUTE
crm_app  | crm.team_create(text,text) | EXECUTE
crm_app  | crm.team_delete(text) | EXECUTE
crm_app  | crm.team_id_of(text,text) | EXECUTE
crm_app  | crm.team_managers | DELETE INSERT SELECT
crm_app  | crm.team_out | SELECT
crm_app  | crm.team_update(text,text,text,text[]) | EXECUTE
crm_app  | crm.teams | DELETE INSERT SELECT UPDATE
crm_app  | crm.teams_of_scope(text) | EXECUTE
crm_app  | crm.us(timestamp with time zone) | EXECUTE
# the customer timeline (sql/modules/84_timeline.sql): crmd's TimelineList
# runs crm.timeline_list and, with a total, crm.timeline_count, as the user
# under row-level security; both call crm.timeline_args (the request's
# checks) and crm.timeline_kinds (the kinds an error lists). The trigger
# function crm.timeline_via is granted to nobody.
crm_app  | crm.timeline_args(text,bigint,text[],bigint,bigint) | EXECUTE
crm_app  | crm.timeline_count(text,bigint,text[],bigint,bigint) | EXECUTE
crm_app  | crm.timeline_kinds() | EXECUTE
crm_app  | crm.timeline_list(text,bigint,text[],bigint,bigint,text,integer) | EXECUTE
crm_app  | crm.user_create(text,text,text,text,text,text,text,text) | EXECUTE
crm_app  | crm.user_id_of(text,text) | EXECUTE
crm_app  | crm.user_name(bigint) | EXECUTE
crm_app  | crm.user_out | SELECT
crm_app  | crm.user_set_active(text,boolean) | EXECUTE
crm_app  | crm.user_update(text,text,text,text,text,text,text,text[],text[]) | EXECUTE
crm_app  | crm.users | INSERT SELECT(id,username,display_name,email,time_zone,locale,role,team_id,active,password_changed_at,last_login_at,created_at,updated_at) UPDATE(display_name,email,time_zone,locale,role,team_id,active,updated_at)
crm_app  | crm.watch_add(text,bigint) | EXECUTE
crm_app  | crm.watch_list() | EXECUTE
crm_app  | crm.watch_remove(text,bigint) | EXECUTE
crm_app  | crm.watches | DELETE INSERT SELECT
crm_app  | crm.with_article(text) | EXECUTE
crm_app  | crm_meta.schema_migrations | SELECT
crm_app  | crm_meta.schema_modules | SELECT
crm_app  | crm_meta.settings | SELECT
crm_auth | crm.begin_request(bytea,text,text,text,text,text) | EXECUTE
crm_auth | crm.idempotency_keys | INSERT SELECT UPDATE
crm_auth | crm.login_finish(text,text,bigint,boolean,bytea,text,interval,interval,integer,integer,interval,integer) | EXECUTE
crm_auth | crm.login_precheck(text,text,integer) | EXECUTE
crm_auth | crm.own_password_hash() | EXECUTE
crm_auth | crm.password_set(text,text,text) | EXECUTE
crm_auth | crm.session_open(bytea,text,interval,interval) | EXECUTE
crm_auth | crm.session_user_out() | EXECUTE
crm_auth | crm.us(timestamp with time zone) | EXECUTE
crm_auth | crm.user_out_of(text) | EXECUTE
"""

# pg_read_all_data gives crm_backup SELECT on every table, view and
# sequence, and nothing else may be reachable for it.
BACKUP_PRIVILEGES = {"SELECT"}

DEFINER_PATH = "search_path=pg_catalog, crm, pg_temp"

REACH = """
WITH roles(r) AS (VALUES ('crm_app'), ('crm_auth'), ('crm_backup'), ('crm_report'), ('public')),
rels AS (
  SELECT c.oid, c.relkind, n.nspname || '.' || c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('crm', 'crm_meta', 'public', 'reporting') AND c.relkind IN ('r','p','v','m','S','f')),
tab AS (
  SELECT r, name, string_agg(p, ' ' ORDER BY p) AS privs FROM roles, rels,
    unnest(CASE WHEN relkind = 'S' THEN ARRAY['USAGE','SELECT','UPDATE']
                ELSE ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER'] END) p
  WHERE CASE WHEN relkind = 'S' THEN has_sequence_privilege(r, oid, p) ELSE has_table_privilege(r, oid, p) END
  GROUP BY r, name),
col AS (
  SELECT r, name, p || '(' || string_agg(a.attname, ',' ORDER BY a.attnum) || ')' AS cp FROM roles, rels
    JOIN pg_attribute a ON a.attrelid = rels.oid AND a.attnum > 0 AND NOT a.attisdropped,
    unnest(ARRAY['SELECT','INSERT','UPDATE','REFERENCES']) p
  WHERE relkind <> 'S' AND NOT has_table_privilege(r, rels.oid, p) AND has_column_privilege(r, rels.oid, a.attnum, p)
  GROUP BY r, name, p),
fn AS (
  SELECT r, p.oid::regprocedure::text AS name, 'EXECUTE' AS privs FROM roles, pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname IN ('crm', 'crm_meta', 'public', 'reporting') AND has_function_privilege(r, p.oid, 'EXECUTE'))
SELECT r, name, string_agg(privs, ' ' ORDER BY privs) FROM (
  SELECT r, name, privs FROM tab UNION ALL SELECT r, name, cp FROM col UNION ALL SELECT r, name, privs FROM fn) x
GROUP BY r, name ORDER BY r, name
"""


# What each served record type's standard objects may be reached with.
TYPE_ALLOW = """
SELECT 'crm_app', table_name, 'DELETE INSERT SELECT UPDATE' FROM t
UNION ALL SELECT 'crm_app', view_name, 'SELECT' FROM t
UNION ALL SELECT 'crm_app', save_function || '(bigint,jsonb,text[])', 'EXECUTE' FROM t
UNION ALL SELECT 'crm_report', 'reporting.' || relname, 'SELECT' FROM t
"""
TYPES = """
WITH t AS (SELECT r.name, r.table_name, r.view_name, r.save_function, c.relname
           FROM crm.record_types r JOIN pg_class c ON c.oid = to_regclass(r.table_name)
           WHERE r.save_function IS NOT NULL)
"""


def type_allowed(env, db):
    """{(role, object): privileges} of the served types' standard objects."""
    out = {}
    for line in su_sql(env, db, TYPES + TYPE_ALLOW).splitlines():
        role, obj, privs = line.split("|")
        out[(role, obj)] = privs
    return out


def allowed(env=None, db=None):
    out = type_allowed(env, db) if env is not None else {}
    for line in ALLOW.strip().splitlines():
        if line.startswith("#"):
            continue  # the reason for the lines below it
        role, obj, privs = (x.strip() for x in line.split(" | "))
        assert (role, obj) not in out, f"allow-list names {role} {obj} twice"
        out[(role, obj)] = privs
    return out


def reach(env, db):
    rows = su_sql(env, db, REACH)
    out = {}
    for line in rows.splitlines():
        role, obj, privs = line.split("|")
        out[(role, obj)] = privs
    return out


def test_roles_reach_nothing_beyond_the_allow_list(env, db):
    got = reach(env, db)
    allow = allowed(env, db)
    # The registry's types are derived (else their objects would be beyond).
    assert allow.get(("crm_app", "crm.contact_save(bigint,jsonb,text[])")) == "EXECUTE", allow
    assert allow.get(("crm_report", "reporting.notes")) == "SELECT", allow
    # The query sees what crmd needs (else it would pass vacuously).
    assert got.get(("crm_app", "crm.notes")) == "DELETE INSERT SELECT UPDATE", got
    assert ("crm_report", "reporting.accounts") in got
    assert ("crm_auth", "crm.login_finish(text,text,bigint,boolean,bytea,text,interval,interval,"
                        "integer,integer,interval,integer)") in got
    beyond = beyond_allowed(got, allow)
    assert not beyond, "reachable beyond the allow-list:\n" + "\n".join(beyond)


def beyond_allowed(got, allow):
    return sorted(f"{r} | {o} | {p} (allowed: {allow.get((r, o), 'nothing')})"
                  for (r, o), p in got.items()
                  if r != "crm_backup" and allow.get((r, o)) != p)


# A type as its migration and module would add it (its table, registry row,
# view, save function and reporting view, granted as the generators do),
# plus what no type's standard objects are: TRUNCATE on its table, and a
# side table of its own.
GIZMO = r"""
CREATE TABLE crm.gizmos (id bigint PRIMARY KEY REFERENCES crm.records, name text);
CREATE TABLE crm.gizmo_parts (gizmo_id bigint REFERENCES crm.gizmos, part text);
INSERT INTO crm.record_types (name, description, table_name, view_name, save_function,
			      name_expr, default_sort)
VALUES ('gizmo', 'Gizmos (a test type)', 'crm.gizmos', 'crm.gizmo_out', 'crm.gizmo_save',
	'r.name', 'name');
CREATE VIEW crm.gizmo_out AS SELECT id, name FROM crm.gizmos;
CREATE FUNCTION crm.gizmo_save(p_id bigint, d jsonb, clr text[]) RETURNS bigint
LANGUAGE sql AS $$ SELECT p_id $$;
REVOKE ALL ON FUNCTION crm.gizmo_save(bigint,jsonb,text[]) FROM PUBLIC;
CREATE VIEW reporting.gizmos AS SELECT id, name FROM crm.gizmos;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.gizmos TO crm_app;
GRANT SELECT ON crm.gizmo_out TO crm_app;
GRANT EXECUTE ON FUNCTION crm.gizmo_save(bigint,jsonb,text[]) TO crm_app;
GRANT SELECT ON reporting.gizmos TO crm_report;
"""


def test_a_registered_types_objects_are_allowed_and_nothing_more(env, db):
    env.pg.sql(GIZMO, db=db, user="crm_owner")
    got = reach(env, db)
    assert got.get(("crm_app", "crm.gizmo_save(bigint,jsonb,text[])")) == "EXECUTE", got
    assert beyond_allowed(got, allowed(env, db)) == [], "a served type's objects are allowed"
    env.pg.sql("GRANT TRUNCATE ON crm.gizmos TO crm_app;"
               " GRANT SELECT ON crm.gizmo_parts TO crm_app", db=db, user="crm_owner")
    assert beyond_allowed(reach(env, db), allowed(env, db)) == [
        "crm_app | crm.gizmo_parts | SELECT (allowed: nothing)",
        "crm_app | crm.gizmos | DELETE INSERT SELECT TRUNCATE UPDATE"
        " (allowed: DELETE INSERT SELECT UPDATE)"]


def test_public_reaches_nothing(env, db):
    got = reach(env, db)
    assert not [k for k in got if k[0] == "public"], sorted(k for k in got if k[0] == "public")


def test_backup_role_only_reads(env, db):
    got = reach(env, db)
    extra = sorted(f"{o}: {p}" for (r, o), p in got.items()
                   if r == "crm_backup" and set(p.split()) - BACKUP_PRIVILEGES)
    assert not extra, extra
    assert ("crm_backup", "crm.audit") in got  # it does read everything
    attrs = su_sql(env, db, "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,"
                            " ARRAY(SELECT b.rolname FROM pg_auth_members m"
                            " JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid)"
                            " FROM pg_roles r WHERE rolname = 'crm_backup'")
    assert attrs == "f|t|f|f|{pg_read_all_data}", attrs


def test_serving_roles_are_plain(env, db):
    for role in ("crm_app", "crm_auth"):
        attrs = su_sql(env, db, f"SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,"
                                f" (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)"
                                f" FROM pg_roles r WHERE rolname = '{role}'")
        assert attrs == "f|f|f|f|0", (role, attrs)


def test_report_role_is_a_plain_group(env, db):
    """crm_report (sql/0009_reporting.sql) logs in as nobody: reporting
    logins are its members (docs/reporting.md)."""
    attrs = su_sql(env, db, "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,"
                            " (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)"
                            " FROM pg_roles r WHERE rolname = 'crm_report'")
    assert attrs == "f|f|f|f|f|0", attrs


def test_every_definer_function_pins_its_search_path(env, db):
    bad = su_sql(env, db, "SELECT string_agg(p.oid::regprocedure::text || ' ' ||"
                          " coalesce(array_to_string(p.proconfig, ';'), '(none)'), E'\\n')"
                          " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                          " WHERE n.nspname IN ('crm', 'crm_meta', 'public') AND p.prosecdef"
                          f" AND NOT coalesce(p.proconfig @> ARRAY['{DEFINER_PATH}'], false)")
    assert bad == "", "SECURITY DEFINER without " + DEFINER_PATH + ":\n" + bad
    n = su_sql(env, db, "SELECT count(*) FROM pg_proc p JOIN pg_namespace n"
                        " ON n.oid = p.pronamespace WHERE n.nspname = 'crm' AND p.prosecdef")
    assert int(n) > 10


@pytest.mark.parametrize("database", ["test", "crm_template"])
def test_nobody_but_the_owner_creates_temporary_tables(env, db, database):
    """The migration revokes it on the database it runs in; a database
    cloned from it gets PostgreSQL's default back, which the DBA's set-up
    (and the harness's create_db) revokes again, and crmd serve checks."""
    name = db if database == "test" else database
    for role in ("public", "crm_app", "crm_auth", "crm_report"):
        got = su_sql(env, db, f"SELECT has_database_privilege('{role}', '{name}', 'TEMPORARY')")
        assert got == "f", f"{role} may create temporary tables in {name}"
