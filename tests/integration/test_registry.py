"""Record types as data (sql/0013_record_registry.sql, docs/data.md "The
registry"): the dispatchers are generated from crm.record_types by
crm.refresh_dispatch(), so a type added the way a migration adds one
(table, crm.attach_record, a view, a save function, a registry row, the
generators run again) is created, read, listed and named without a line of
50_records.sql changing; crmd migrate runs the generators
(crm.refresh_generated) when the registry changed, with no module changed;
the types errors list come from the registry;
relation kinds come from crm.relation_kinds; crm.records keeps each
record's owner, team and deleted_at, which side tables' row-level
security tests."""

import json

import pytest

from conftest import INVALID_ARGUMENT, NOT_FOUND
from identity import app_sql, make_world, ok, session_sql, status, su_sql
from records import account, contact, flt, type_table_sql


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def owner_sql(w, sql):
    return w.env.pg.sql(sql, db=w.db, user="crm_owner")


def served(w):
    """The types the generic record requests serve, as the registry has them."""
    return su_sql(w.env, w.db, "SELECT name FROM crm.record_types WHERE save_function IS NOT NULL"
                               " ORDER BY name").split()


def one_of(names):
    """"an account, a contact or a note", as the generated errors say it."""
    words = [("an " if n[0] in "aeiou" else "a ") + n for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def as_app(w, user, sql, check=True):
    """Runs `sql` as crm_app in a request of `user`; returns (rc, stdout, stderr)."""
    r = app_sql(w.env, w.db, session_sql(w, user, sql), check=check)
    return r.returncode, r.stdout.strip(), r.stderr


# What a migration adding the type "widget" holds (the table, its registry
# row, its permissions, its standard fields), plus what its module holds
# (the view and the save function, which writes the widget's own columns
# only: crm.record_save does the rest).
WIDGET_TYPE = r"""
""" + type_table_sql("crm.widgets", " DEFAULT crm.acting_user()") + r"""GRANT SELECT, INSERT, UPDATE, DELETE ON crm.widgets TO crm_app;
INSERT INTO crm.record_types (name, description) VALUES ('widget', 'Widgets (a test type)');
SELECT crm.attach_record('crm.widgets', 'widget');
INSERT INTO crm.permissions (role, record_type, action, scope)
SELECT role, 'widget', action, scope FROM crm.permissions WHERE record_type = 'account';
INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
VALUES ('widget', 'name', 'Name', 'text', 'r.name', 'r.name', false, 1);
SELECT crm.create_record_view('widget', 'crm.widgets', $$'name', r.name$$);
CREATE FUNCTION crm.widget_save(p_id bigint, d jsonb, clr text[]) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
	id_ bigint := p_id;
BEGIN
	IF p_id IS NULL THEN
		INSERT INTO crm.widgets (owner_id, team_id, created_by, updated_by, name, external_id)
		SELECT u.id, u.team_id, u.id, u.id, d ->> 'name', d ->> 'external_id'
		FROM crm.users u WHERE u.id = crm.acting_user()
		RETURNING id INTO id_;
	ELSE
		UPDATE crm.widgets SET name = coalesce(d ->> 'name', name),
			external_id = crm.pick(d, 'external_id', clr, external_id)
		WHERE id = p_id;
	END IF;
	RETURN id_;
END
$f$;
GRANT EXECUTE ON FUNCTION crm.widget_save(bigint,jsonb,text[]) TO crm_app;
UPDATE crm.record_types SET table_name = 'crm.widgets', view_name = 'crm.widget_out',
	save_function = 'crm.widget_save', name_expr = 'upper(r.name)', default_sort = 'name'
WHERE name = 'widget';
"""

# ... then the generators run again (what crmd migrate does).
WIDGET = WIDGET_TYPE + "SELECT crm.refresh_generated();\n"


def test_a_type_added_as_a_migration_would_is_served_by_generated_dispatchers(world):
    before = su_sql(world.env, world.db, "SELECT pg_get_functiondef('crm.record_get(text,bigint)'::regprocedure)")
    assert "crm.account_out" in before and "widget" not in before
    owner_sql(world, WIDGET)
    body = su_sql(world.env, world.db, "SELECT pg_get_functiondef('crm.record_get(text,bigint)'::regprocedure)")
    assert "crm.widget_out" in body, body
    # Static SQL, one branch per type: no statement is built at run time.
    for fn in ("record_get(text,bigint)", "record_create(jsonb)", "record_name(text,bigint)",
               "record_editable(text,bigint)", "business_table(text)", "record_save(text,bigint,bigint,jsonb,text[])",
               "record_state(text,bigint)", "record_exists(text,bigint)",
               "record_mark_deleted(text,bigint,boolean)", "record_move(text,bigint,bigint,bigint)"):
        d = su_sql(world.env, world.db, f"SELECT pg_get_functiondef('crm.{fn}'::regprocedure)")
        assert "EXECUTE" not in d, (fn, d)
        assert "widget" in d, (fn, d)

    # root (admin) creates one; record_get, record_name and the list serve it
    rc, out, err = as_app(world, "root", """SELECT crm.record_create('{"widget": {"name": "Sprocket", "tags": ["blue"]}}')::text;""")
    w = json.loads(out)["widget"]
    assert w["name"] == "Sprocket" and w["owner"] == "root" and w["tags"] == ["blue"] and w["version"] == 1
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_get('widget', {w['id']})::text;")
    assert json.loads(out) == {"widget": w}
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_name('widget', {w['id']});")
    assert out == "SPROCKET"
    rc, out, _ = as_app(world, "root", "SELECT json FROM crm.record_list('widget', '[]', '[]', NULL, 10, false);")
    assert [json.loads(l)["widget"]["id"] for l in out.splitlines()] == [w["id"]]
    # an update through the generic path (generated record_kind and record_save)
    rc, out, _ = as_app(world, "root", f"""SELECT crm.record_update({w['id']}, 1, '{{"changes": {{"widget": {{"name": "Cog"}}}}}}', '{{}}')::text;""")
    assert json.loads(out)["widget"]["name"] == "Cog"
    # crm.widget_save tests no scope, version or deletion and knows no
    # clear list, tags or custom values: crm.record_save does, for it too
    def update(user, version, changes, clear="{}"):
        return as_app(world, user, f"""SELECT crm.record_update({w['id']}, {version},"""
                                   f""" '{{"changes": {{"widget": {json.dumps(changes)}}}}}', '{clear}')::text;""",
                      check=False)
    rc, out, err = update("root", 1, {"name": "Stale"})
    assert rc != 0 and f"widget {w['id']} changed since you read it (version 1, now 2)" in err, err
    rc, out, err = update("sal", 2, {"name": "Not mine"})
    assert rc != 0 and f"no widget {w['id']}" in err, err
    rc, out, err = update("root", 2, {}, "{name}")
    assert rc != 0 and '"name" is not a widget field that can be cleared (tags, external_id, custom.NAME)' in err, err
    rc, out, err = update("root", 2, {"external_id": " W-1 ", "tags": ["blue", "green"]})
    assert rc == 0, err
    assert json.loads(out)["widget"]["external_id"] == "W-1", out  # trimmed
    assert json.loads(out)["widget"]["tags"] == ["blue", "green"], out
    rc, out, err = update("root", 3, {}, "{tags}")
    assert rc == 0 and "tags" not in json.loads(out)["widget"], (out, err)
    rc, out, err = update("root", 4, {"tags": ["blue"]})
    assert rc == 0, err
    assert su_sql(world.env, world.db, f"SELECT name FROM crm.widgets WHERE id = {w['id']}") == "Cog"
    owner_sql(world, f"UPDATE crm.widgets SET deleted_at = now() WHERE id = {w['id']}")
    rc, out, err = update("root", 5, {"name": "Gone"})
    assert rc != 0 and f"widget {w['id']} is deleted" in err, err
    owner_sql(world, f"UPDATE crm.widgets SET deleted_at = NULL WHERE id = {w['id']}")
    # crm.records keeps the owner, team and deleted_at (sync trigger)
    owner_sql(world, f"UPDATE crm.widgets SET deleted_at = now(), owner_id = (SELECT id FROM crm.users WHERE username = 'sal') WHERE id = {w['id']}")
    row = su_sql(world.env, world.db, f"SELECT u.username, r.deleted_at IS NOT NULL FROM crm.records r JOIN crm.users u ON u.id = r.owner_id WHERE r.id = {w['id']}")
    assert row == "sal|t", row
    owner_sql(world, f"UPDATE crm.widgets SET deleted_at = NULL, owner_id = (SELECT id FROM crm.users WHERE username = 'root') WHERE id = {w['id']}")

    # delete, restore and reassign through the generic functions
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_set_deleted('widget', {w['id']}, true)::text;")
    assert "deleted_at" in json.loads(out)["widget"]
    rc, out, err = as_app(world, "root", f"SELECT crm.record_set_deleted('widget', {w['id']}, true);", check=False)
    assert rc != 0 and f"widget {w['id']} is already deleted" in err, err
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_set_deleted('widget', {w['id']}, false)::text;")
    assert "deleted_at" not in json.loads(out)["widget"]
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_reassign('widget', {w['id']}, 'mgr', NULL)::text;")
    assert json.loads(out)["widget"]["owner"] == "mgr"
    rc, out, _ = as_app(world, "root", f"SELECT crm.record_reassign('widget', {w['id']}, 'root', NULL)::text;")
    # sales may not delete what it does not own: refused, saying whose it is
    rc, out, err = as_app(world, "sal", f"SELECT crm.record_set_deleted('widget', {w['id']}, true);", check=False)
    assert rc != 0 and f"no widget {w['id']}" in err, err

    # row-level security of the new type and of its side rows (tags),
    # which the side tables' policies reach through crm.records alone
    rc, out, _ = as_app(world, "sal", f"SELECT crm.record_get('widget', {w['id']}) IS NULL;")
    assert out == "t"
    rc, out, _ = as_app(world, "sal", f"SELECT count(*) FROM crm.record_tags WHERE record_id = {w['id']};")
    assert out == "0"
    rc, out, _ = as_app(world, "vie", f"SELECT count(*) FROM crm.record_tags WHERE record_id = {w['id']};")
    assert out == "1"  # viewer reads all
    rc, out, _ = as_app(world, "root", f"SELECT count(*) FROM crm.record_tags WHERE record_id = {w['id']};")
    assert out == "1"

    # the types errors list come from the registry
    rc, out, err = as_app(world, "root", "SELECT crm.business_table('deal');", check=False)
    types = served(world)
    assert "widget" in types
    assert rc != 0 and f'"deal" is not a record type ({", ".join(types)})' in err, err
    rc, out, err = as_app(world, "root", """SELECT crm.record_create('{"deal": {}}');""", check=False)
    assert rc != 0 and f"must hold {one_of(types)}" in err, err


# A side table of widgets, as a migration adding the type might add one:
# its rows belong to a record (row-level security from crm_meta.side_tables,
# a purge deletes them through crm.record_erase).
WIDGET_SIDE = r"""
CREATE TABLE crm.widget_parts (
	record_id bigint NOT NULL REFERENCES crm.records,
	record_type text NOT NULL,
	part text NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.widget_parts TO crm_app;
INSERT INTO crm_meta.side_tables (table_name, pairs) VALUES ('crm.widget_parts', '{record_id,record_type}');
"""


def _functiondef(w, fn):
    return su_sql(w.env, w.db, f"SELECT pg_get_functiondef('crm.{fn}'::regprocedure)")


def test_crmd_migrate_runs_the_generators_when_the_registry_changed(world):
    """A type added as a migration adds one, with no module changed (no
    generator called): crmd migrate sees the registry changed and runs
    crm.refresh_generated() (dispatchers, side tables' policies, audit
    follow triggers, reporting view) in the modules' transaction; run again
    with nothing changed, it runs nothing."""
    w = world
    assert "widget" not in _functiondef(w, "record_get(text,bigint)")
    owner_sql(w, WIDGET_TYPE + WIDGET_SIDE
              # as on a fresh database, where the migration's crm.attach_record
              # has 0004's body: no sync_record, no audit follow triggers
              + "DROP TRIGGER sync_record ON crm.widgets;"
              + "DROP TRIGGER audit_follow ON crm.widgets;"
              + "DROP TRIGGER audit_follow_purge ON crm.widgets;")
    assert "widget" not in _functiondef(w, "record_get(text,bigint)")

    r = w.crmd.migrate()
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith("schema is up to date") and \
        lines[1:] == ["modules are up to date", "ran crm.refresh_generated()"], r.out
    # the dispatchers
    for fn in ("record_get(text,bigint)", "record_create(jsonb)", "record_save(text,bigint,bigint,jsonb,text[])",
               "business_table(text)", "record_erase(text,bigint)", "record_move(text,bigint,bigint,bigint)"):
        assert "widget" in _functiondef(w, fn), fn
    assert "DELETE FROM crm.widget_parts WHERE record_id = p_id" in _functiondef(w, "record_erase(text,bigint)")
    # the side table's policies
    pols = su_sql(w.env, w.db, "SELECT string_agg(policyname, ',' ORDER BY policyname) FROM pg_policies"
                               " WHERE schemaname = 'crm' AND tablename = 'widget_parts'")
    assert pols == "delete_scope,insert_scope,owner_all,select_scope,update_scope", pols
    # the triggers crm.records and the audit trail follow the owner by
    trig = su_sql(w.env, w.db, "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger"
                               " WHERE tgrelid = 'crm.widgets'::regclass AND tgname IN"
                               " ('sync_record', 'audit_follow', 'audit_follow_purge')")
    assert trig == "audit_follow,audit_follow_purge,sync_record", trig
    # the reporting view
    cols = su_sql(w.env, w.db, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute"
                               " WHERE attrelid = 'reporting.widgets'::regclass AND attnum > 0")
    assert "name" in cols.split(",") and "owner_username" in cols.split(","), cols

    # and it serves: crm_app may call what was generated
    rc, out, err = as_app(w, "root", """SELECT crm.record_create('{"widget": {"name": "Gear", "tags": ["red"]}}')::text;""")
    gear = json.loads(out)["widget"]
    assert gear["name"] == "Gear" and gear["tags"] == ["red"], gear
    rc, out, _ = as_app(w, "root", f"SELECT crm.record_reassign('widget', {gear['id']}, 'sal', NULL)::text;")
    owners = su_sql(w.env, w.db, f"SELECT string_agg(DISTINCT u.username, ',') FROM crm.audit a"
                                 f" JOIN crm.users u ON u.id = a.subject_owner"
                                 f" WHERE a.subject_type = 'widget' AND a.subject_ref = {gear['id']}")
    assert owners == "sal", owners  # the history followed the widget to sal
    owner_sql(w, f"INSERT INTO crm.widget_parts VALUES ({gear['id']}, 'widget', 'cog')")
    rc, out, _ = as_app(w, "sal", "SELECT count(*) FROM crm.widget_parts;")
    assert out == "1"
    rc, out, _ = as_app(w, "sup", "SELECT count(*) FROM crm.widget_parts;")
    assert out == "0"

    # nothing changed: nothing runs again
    before = su_sql(w.env, w.db, "SELECT applied_at FROM crm_meta.schema_generated")
    r = w.crmd.migrate()
    assert r.rc == 0, r
    assert r.out.splitlines()[1:] == ["modules are up to date", "generated objects are up to date"], r.out
    assert su_sql(w.env, w.db, "SELECT applied_at FROM crm_meta.schema_generated") == before
    # a change of a registry row alone runs them again
    owner_sql(w, "UPDATE crm.record_types SET name_expr = 'lower(r.name)' WHERE name = 'widget'")
    r = w.crmd.migrate()
    assert r.rc == 0 and r.out.splitlines()[-1] == "ran crm.refresh_generated()", r
    assert "lower(r.name)" in _functiondef(w, "record_name(text,bigint)")


def test_errors_list_the_registered_types(world):
    # (the protocol's RecordType enum cannot name an unknown type: asked in SQL)
    rc, out, err = as_app(world, "root", "SELECT crm.business_table('deal');", check=False)
    types = served(world)
    assert {"account", "contact", "note"} <= set(types), types
    assert rc != 0 and f'"deal" is not a record type ({", ".join(types)})' in err, err
    # a type the registry stops serving leaves the list once the generator runs
    owner_sql(world, "UPDATE crm.record_types SET save_function = NULL WHERE name = 'contact';"
                     "SELECT crm.refresh_dispatch();")
    rc, out, err = as_app(world, "root", "SELECT crm.business_table('contact');", check=False)
    types = [t for t in types if t != "contact"]
    assert rc != 0 and f'"contact" is not a record type ({", ".join(types)})' in err, err
    rc, out, err = as_app(world, "root", """SELECT crm.record_create('{"contact": {"family_name": "X"}}');""", check=False)
    assert rc != 0 and f"must hold {one_of(types)}" in err, err


def test_relation_kinds_come_from_the_table(world):
    acme = account(world, name="Acme")
    ada = contact(world, family_name="Lovelace")
    # account → contact is not a kind: refused naming the field
    r = status(world.do("root", "relation_add", from_id=acme.id, to_id=ada.id, role="partner"),
               INVALID_ARGUMENT, "relation_add.to_id")
    assert r.status.message == ("a relation goes from an account to an account, or from a contact to "
                                "an account or a contact (not from an account to a contact)"), r.status.message
    # nor may crm_app write such a row itself (the foreign key to relation_kinds)
    rc, out, err = as_app(world, "root",
                          f"INSERT INTO crm.relations (from_id, from_type, to_id, to_type, role) "
                          f"VALUES ({acme.id}, 'account', {ada.id}, 'contact', 'partner');", check=False)
    assert rc != 0 and "relations_from_type_to_type_fkey" in err, err
    # primary only where the kind allows it
    globex = account(world, name="Globex")
    r = status(world.do("root", "relation_add", from_id=acme.id, to_id=globex.id, role="partner", primary=True),
               INVALID_ARGUMENT, "relation_add.primary")
    assert "contact to account" in r.status.message, r.status.message
    # a migration adds the kind (roles from an existing pick list): now accepted
    owner_sql(world, "INSERT INTO crm.relation_kinds (from_type, to_type, picklist, description) "
                     "VALUES ('account', 'contact', 'relation.account.account', 'test')")
    rel = ok(world.do("root", "relation_add", from_id=acme.id, to_id=ada.id, role="partner")).relation
    assert (rel.from_id, rel.to_id, rel.role) == (acme.id, ada.id, b"partner")
    assert rel.to_name == "Lovelace"
    # the role is checked against the kind's pick list
    r = status(world.do("root", "relation_add", from_id=acme.id, to_id=ada.id, role="employee"),
               INVALID_ARGUMENT, "relation_add.role")
    assert "relation.account.account" in r.status.message, r.status.message


def test_records_registry_follows_owner_team_and_deletion(world):
    a = account(world, "sal", name="Mine")
    row = su_sql(world.env, world.db, f"SELECT u.username, t.name, r.deleted_at IS NULL FROM crm.records r "
                                      f"JOIN crm.users u ON u.id = r.owner_id JOIN crm.teams t ON t.id = r.team_id "
                                      f"WHERE r.id = {a.id}")
    assert row == "sal|Sales East|t", row
    ok(world.do("root", "record_reassign", type="account", id=a.id, owner="sup"))
    ok(world.do("root", "record_delete", type="account", id=a.id))
    row = su_sql(world.env, world.db, f"SELECT u.username, t.name, r.deleted_at IS NOT NULL FROM crm.records r "
                                      f"JOIN crm.users u ON u.id = r.owner_id JOIN crm.teams t ON t.id = r.team_id "
                                      f"WHERE r.id = {a.id}")
    assert row == "sup|Support|t", row
    # sal no longer sees it, nor its tags; sup does
    status(world.do("sal", "record_get", type="account", id=a.id), NOT_FOUND, "record_get.id")
    ok(world.do("sup", "record_get", type="account", id=a.id))


def _plan(w, user, sql):
    rc, out, err = as_app(w, user, "SET enable_seqscan = off;\nEXPLAIN (COSTS OFF) " + sql)
    return out


def _subplans(plan):
    return sum(1 for l in plan.splitlines() if "SubPlan" in l or "InitPlan" in l)


def test_side_row_security_does_not_grow_with_the_number_of_types(world):
    """The plan of a record read (its view: tags and custom values are side
    rows) and of a side table alone has as many sub-plans with one more
    record type as without it: side rows test their record once, in
    crm.records, not one arm per type."""
    a = account(world, "sal", name="Acme", tags=["x"])
    get_sql = f"SELECT json FROM crm.account_out WHERE id = {a.id};"
    tags_sql = "SELECT count(*) FROM crm.record_tags;"
    before = {u: (_plan(world, u, get_sql), _plan(world, u, tags_sql)) for u in ("sal", "mgr")}
    for u in before:
        # the side policy reaches crm.records only, by its primary key
        assert "records_pkey" in before[u][1], before[u][1]
        assert "accounts" not in before[u][1] and "contacts" not in before[u][1], before[u][1]
    owner_sql(world, WIDGET)
    for u, (g, t) in before.items():
        g2, t2 = _plan(world, u, get_sql), _plan(world, u, tags_sql)
        assert _subplans(g2) == _subplans(g), (g, g2)
        assert _subplans(t2) == _subplans(t), (t, t2)
        assert "widgets" not in g2 and "widgets" not in t2
    # and what the plans compute is unchanged: sal sees the tag, sup does not
    rc, out, _ = as_app(world, "sal", f"SELECT count(*) FROM crm.record_tags WHERE record_id = {a.id};")
    assert out == "1"
    rc, out, _ = as_app(world, "sup", f"SELECT count(*) FROM crm.record_tags WHERE record_id = {a.id};")
    assert out == "0"


def test_the_generator_brings_the_registry_copy_in_step(world):
    """Rows written while the previous modules still ran (an instance of the
    previous build during crmd migrate) get their owner and team when the
    module runs the generator again; crm_app cannot write them itself."""
    a = account(world, "sal", name="Drifted")
    owner_sql(world, f"UPDATE crm.records SET owner_id = NULL, team_id = NULL WHERE id = {a.id}")
    rc, out, _ = as_app(world, "sal", f"SELECT count(*) FROM crm.records WHERE id = {a.id};")
    assert out == "0"  # invisible while out of step
    owner_sql(world, "SELECT crm.refresh_dispatch()")
    rc, out, _ = as_app(world, "sal", f"SELECT count(*) FROM crm.records WHERE id = {a.id};")
    assert out == "1"
    rc, out, err = as_app(world, "sal", f"UPDATE crm.records SET owner_id = NULL WHERE id = {a.id};", check=False)
    assert rc != 0 and "permission denied" in err, err


def test_a_new_types_money_filter_and_default_sort_come_from_the_registry(world):
    """A money field of a type added as a migration would (a column NAME
    with NAME_key and NAME_currency, kind money in crm.standard_fields) is
    filtered on its own columns, and the type's default_sort may say
    descending ("-name", as --sort spells it): 50_records.sql names
    neither."""
    owner_sql(world, WIDGET + """
ALTER TABLE crm.widgets ADD COLUMN price numeric, ADD COLUMN price_key float8, ADD COLUMN price_currency text;
INSERT INTO crm.standard_fields (record_type, name, label, kind, col, sort_expr, nullable, position)
VALUES ('widget', 'price', 'Price', 'money', 'r.price', NULL, true, 2);
UPDATE crm.record_types SET default_sort = '-name' WHERE name = 'widget';
""")
    made = {}
    for name in ("A", "C", "B"):
        rc, out, _ = as_app(world, "root", f"""SELECT crm.record_create('{{"widget": {{"name": "{name}"}}}}')::text;""")
        made[name] = json.loads(out)["widget"]["id"]
    owner_sql(world, f"UPDATE crm.widgets SET price = 5, price_key = 5, price_currency = 'EUR' WHERE id = {made['A']};"
                     f"UPDATE crm.widgets SET price = 50, price_key = 50, price_currency = 'USD' WHERE id = {made['B']};")

    def listed(*filters):
        rc, out, err = as_app(world, "root", f"SELECT json FROM crm.record_list('widget', '{json.dumps(filters)}',"
                                             " '[]', NULL, 10, false);", check=False)
        assert rc == 0, err
        return [json.loads(x)["widget"]["name"] for x in out.splitlines()]

    assert listed() == ["C", "B", "A"]
    assert listed(flt("price", "ge", "1")) == ["B", "A"]
    assert listed(flt("price", "ge", "1 USD")) == ["B"]
    assert listed(flt("price", "lt", "10.5 EUR")) == ["A"]
    assert listed(flt("price", "ne", "5 EUR")) == ["C", "B"]
    assert listed(flt("price", "empty")) == ["C"]


def _audit_ids(w, user, rtype, rid=None):
    """The audit rows `user` lists: one record's history (rid), or the
    whole trail filtered by type (through crm.audit_scoped_ids)."""
    rc, out, err = as_app(w, user, f"SELECT audit_id FROM crm.audit_list('{rtype}', {rid or 'NULL'},"
                                   " NULL, NULL, NULL, NULL, 100);")
    return [int(x) for x in out.split()]


def test_a_new_types_audit_trail_needs_no_line_of_the_audit_module(world):
    """The audit trail reads the registry: a type added as a migration adds
    one (WIDGET: no call of anything in modules/90_audit.sql but through
    crm.attach_record) has its rows' subject (owner and team, from
    crm.records), their visibility by the reader's read scope of the type,
    the subject following a reassign, and a purge (crm.record_erase,
    generated with the other dispatchers) without that module changing."""
    w = world
    # the audit module names no business type: its policy and functions are
    # generic (or generated), so a new type needs no line there
    pol = su_sql(w.env, w.db, "SELECT qual FROM pg_policies WHERE tablename = 'audit' AND policyname = 'select_scope'")
    for t in ("note", "account", "contact"):
        assert f"'{t}'" not in pol, pol
        for fn in ("audit_owner_of(text,bigint)", "purge_record(text,bigint)",
                   "audit_scoped_ids(text,timestamp with time zone,timestamp with time zone,bigint,integer,bigint)"):
            d = su_sql(w.env, w.db, f"SELECT pg_get_functiondef('crm.{fn}'::regprocedure)")
            assert f"'{t}'" not in d, (fn, d)
            assert "EXECUTE" not in d, (fn, d)
    owner_sql(w, WIDGET)
    erase = su_sql(w.env, w.db, "SELECT pg_get_functiondef('crm.record_erase(text,bigint)'::regprocedure)")
    assert "EXECUTE" not in erase and "crm.widgets" in erase, erase
    # every table that references crm.records but the business tables and
    # the trail has its DELETE in the generated function
    refs = su_sql(w.env, w.db, "SELECT c.conrelid::regclass::text || '|' || a.attname FROM pg_constraint c"
                               " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                               " WHERE c.contype = 'f' AND c.confrelid = 'crm.records'::regclass"
                               " AND c.conrelid <> 'crm.audit'::regclass AND c.conrelid NOT IN"
                               " (SELECT table_name::regclass FROM crm.record_types WHERE table_name IS NOT NULL)")
    assert len(refs.split()) >= 5, refs  # shares, tags, custom values, relations' two ends
    for ref in refs.split():
        tbl, col = ref.split("|")
        assert f"DELETE FROM crm.{tbl.removeprefix('crm.')} WHERE {col} = p_id" in erase, (ref, erase)

    rc, out, _ = as_app(w, "root", """SELECT crm.record_create('{"widget": {"name": "Gear", "tags": ["red"]}}')::text;""")
    wid = json.loads(out)["widget"]["id"]
    subj = su_sql(w.env, w.db, f"SELECT DISTINCT a.subject_type || '|' || u.username FROM crm.audit a"
                               f" JOIN crm.users u ON u.id = a.subject_owner WHERE a.record_type = 'widget' AND a.record_id = {wid}")
    assert subj == "widget|root", subj
    created = _audit_ids(w, "root", "widget", wid)
    assert created, "no audit row for the widget"
    # sal (sales: reads its own widgets) sees none of root's rows; once the
    # widget is sal's, all of them, by its history and in the trail
    assert _audit_ids(w, "sal", "widget", wid) == []
    assert _audit_ids(w, "sal", "widget") == []
    rc, out, _ = as_app(w, "root", f"SELECT crm.record_reassign('widget', {wid}, 'sal', NULL)::text;")
    assert json.loads(out)["widget"]["owner"] == "sal"
    hist = _audit_ids(w, "root", "widget", wid)
    assert len(hist) > len(created)
    assert _audit_ids(w, "sal", "widget", wid) == hist
    assert _audit_ids(w, "sal", "widget") == hist
    # sup (support: its team's widgets) is in another team: nothing
    assert _audit_ids(w, "sup", "widget", wid) == []
    assert _audit_ids(w, "sup", "widget") == []
    # vie reads every widget, and the trail whole
    assert _audit_ids(w, "vie", "widget", wid) == hist

    # sal may not purge it; root may: the widget and its tags are gone, its
    # history redacted and no longer sal's to read
    rc, out, err = as_app(w, "sal", f"SELECT crm.record_purge('widget', {wid});", check=False)
    assert rc != 0 and "only administrators purge widgets" in err, err
    as_app(w, "root", f"SELECT crm.record_purge('widget', {wid});")
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.widgets WHERE id = {wid}") == "0"
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.record_tags WHERE record_id = {wid}") == "0"
    assert su_sql(w.env, w.db, f"SELECT purged_at IS NOT NULL FROM crm.records WHERE id = {wid}") == "t"
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.audit WHERE record_type = 'widget' AND record_id = {wid}"
                               f" AND action IN ('purge', 'redact')") == "2"
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.audit WHERE record_type = 'widget' AND record_id = {wid}"
                               f" AND subject_type IS NOT NULL") == "0"
    assert _audit_ids(w, "sal", "widget", wid) == []
    # (root reads it all: its history, the tag's removal, the purge, the redaction)
    assert set(hist) < set(_audit_ids(w, "root", "widget", wid))
    rc, out, err = as_app(w, "root", f"SELECT crm.record_purge('widget', {wid});", check=False)
    assert rc != 0 and f"no widget {wid}" in err, err
