"""The customer timeline (issue 13; crm timeline TYPE/ID, TimelineList,
sql/0029_timeline.sql, sql/modules/84_timeline.sql): a record's
interactions, tasks and change history (its audit rows) merged newest
first; an account's also holds its contacts' interactions and tasks;
keyset pages through the signed cursor without duplicates or gaps, ties on
one instant included; what the user may not see is neither shown nor
counted, and a record they cannot see is NOT_FOUND exactly as a missing
one; --kind, --since, --until; every bad input refused naming its field;
json and csv exact. Through the protocol (identity.py's World) and the
`crm` binary."""

import csv
import io
import json
import os
import time

import pytest

from conftest import INVALID_ARGUMENT, NOT_FOUND, exit_code, pb, run_crm
from identity import app_sql, make_world, ok, session_sql, status, su_sql, su_json
from records import account, contact

US = 1_000_000
USAGE = 2  # crm's exit status for a bad command line
DAY = 86400 * US
# a fixed past for interactions (they may happen at any time)
T0 = 1767225600 * US  # 2026-01-01T00:00:00Z


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def cli(w, user, *args, input=None, env=None):
    """Runs crm as `user` (one config directory per user, logged in once)."""
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home,
                                   env=env, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args, input=input)


def interaction(w, who="root", **fields):
    fields.setdefault("kind", "call")
    fields.setdefault("subject", "Intro")
    return ok(w.do(who, "record_create", record={"interaction": fields}),
              f"create interaction {fields}").record.interaction.meta.id


def task(w, who="root", **fields):
    fields.setdefault("subject", "Call back")
    return ok(w.do(who, "record_create", record={"task": fields}), f"create task {fields}").record.task.meta.id


def tl(w, who, type_, id_, kinds=(), since=None, until=None, limit=None, cursor=None, total=None):
    pg = {}
    if limit:
        pg["limit"] = limit
    if cursor:
        pg["cursor"] = cursor
    return w.do(who, "timeline_list", type=type_, id=id_, kinds=list(kinds), since=since, until=until,
                page=pg or None, total=total)


def keys(resp):
    """(kind, record id, at) of each item of a page."""
    return [(i.kind, i.record_id, i.at) for i in ok(resp, "timeline").timeline_list.items]


def walk(w, who, type_, id_, limit, **kw):
    """Every page of a timeline, followed through the cursors; the pages."""
    pages, cursor = [], None
    for _ in range(200):
        r = ok(tl(w, who, type_, id_, limit=limit, cursor=cursor, **kw), "page")
        pages.append(keys(r))
        cursor = r.timeline_list.next_cursor
        if not cursor:
            return pages
    raise AssertionError("the cursor never ended")


def set_audit_at(w, where, at_us):
    """Moves audit rows to one instant, as the superuser (the trail refuses
    updates from every role; replica mode skips its trigger)."""
    su_sql(w.env, w.db, "SET session_replication_role = replica; UPDATE crm.audit SET at = "
                        f"timestamptz 'epoch' + {at_us} * interval '1 microsecond' WHERE {where}")


def truth(w, type_, id_):
    """The timeline as the superuser sees it, from the tables (the rule of
    docs/data.md written again): (kind, id, at) newest first."""
    if type_ == "account":
        link = f"i.via_account_id = {id_}"
    elif type_ == "contact":
        link = f"i.contact_id = {id_}"
    else:
        link = "false"
    rows = su_json(w.env, w.db, f"""
        SELECT i.kind, i.id, crm.us(i.occurred_at) AS at, 2 AS src FROM crm.interactions i
        WHERE {link} AND i.deleted_at IS NULL
        UNION ALL
        SELECT 'task', i.id, crm.us(coalesce(i.completed_at, i.due_at, i.created_at)), 2 FROM crm.tasks i
        WHERE {link} AND i.deleted_at IS NULL
        UNION ALL
        SELECT 'change', a.id, crm.us(a.at), 1 FROM crm.audit a
        WHERE a.record_type = '{type_}' AND a.record_id = {id_}""")
    rows.sort(key=lambda r: (r["at"], r["src"], r["id"]), reverse=True)
    return [(r["kind"], r["id"] if r["kind"] != "change" else id_, r["at"]) for r in rows]


def audit_ids(w, type_, id_):
    return [r["id"] for r in su_json(w.env, w.db, f"SELECT id FROM crm.audit WHERE record_type = '{type_}'"
                                                  f" AND record_id = {id_} ORDER BY at DESC, id DESC")]


# ------------------------------------------------------------ merge and order

def test_merges_interactions_tasks_and_changes_newest_first(world):
    w = world
    acme = account(w, name="Acme")
    ada = contact(w, family_name="Lovelace", account_id=acme.id)
    other = account(w, name="Other")
    i1 = interaction(w, subject="Old call", account_id=acme.id, occurred_at=T0)
    i2 = interaction(w, kind="meeting", subject="With Ada", contact_id=ada.id, occurred_at=T0 + DAY)
    i3 = interaction(w, kind="email", subject="Both", account_id=acme.id, contact_id=ada.id,
                     occurred_at=T0 + 2 * DAY)
    elsewhere = interaction(w, subject="Elsewhere", account_id=other.id, contact_id=ada.id,
                            occurred_at=T0 + 3 * DAY)
    due = int(time.time() + 5 * 86400) * US
    t1 = task(w, subject="Send offer", account_id=acme.id, due_at=due)
    t2 = task(w, subject="Done for Ada", contact_id=ada.id, status="done")
    ok(w.do("root", "record_update", id=acme.id, version=acme.meta.version,
            changes={"account": {"website": "https://acme.example"}}), "edit acme")
    got = keys(tl(w, "root", "account", acme.id, limit=100))
    assert got == truth(w, "account", acme.id), got
    ids = [k[1] for k in got]
    # the future due task first, the account's changes after the task done
    # now, the interactions by when they happened; the other account's
    # interaction is not on Acme's timeline although its contact is Ada
    assert ids[0] == t1 and ids[-3:] == [i3, i2, i1], got
    assert elsewhere not in ids and t2 in ids
    assert [k[0] for k in got].count("change") == 2
    # the items say what they are
    items = ok(tl(w, "root", "account", acme.id, limit=100)).timeline_list.items
    by = {(i.kind, i.record_id): i for i in items}
    m = by[("meeting", i2)]
    assert (m.summary, m.who, m.at) == ("With Ada", "root", T0 + DAY), m
    assert m.record_type == pb().RecordType.Value("RECORD_TYPE_INTERACTION"), m
    t = by[("task", t2)]
    assert (t.summary, t.who, t.action) == ("Done for Ada", "root", "done"), t
    changes = [i for i in items if i.kind == "change"]
    assert [c.action for c in changes] == ["update", "create"], changes
    assert changes[0].summary == "website" and changes[0].who == "root" and changes[0].record_id == acme.id
    # a contact's timeline: its interactions (whatever their account) and tasks
    got = keys(tl(w, "root", "contact", ada.id, limit=100))
    assert got == truth(w, "contact", ada.id), got
    assert {k[1] for k in got if k[0] != "change"} == {i2, i3, elsewhere, t2}, got
    # an interaction's timeline: its own changes only
    got = keys(tl(w, "root", "interaction", i1))
    assert [k[0] for k in got] == ["change"], got


def test_an_accounts_timeline_keeps_what_happened_while_the_contact_was_there(world):
    """An interaction that names no account is on the timeline of the
    account its contact had when it was recorded; the contact moving on
    leaves it there, and new ones go to the new account."""
    w = world
    acme, globex = account(w, name="Acme"), account(w, name="Globex")
    ada = contact(w, family_name="Lovelace", account_id=acme.id)
    before = interaction(w, subject="At Acme", contact_id=ada.id, occurred_at=T0)
    r = ok(w.do("root", "record_get", type="contact", id=ada.id))
    ok(w.do("root", "record_update", id=ada.id, version=r.record.contact.meta.version,
            changes={"contact": {"account_id": globex.id}}), "move Ada")
    after = interaction(w, subject="At Globex", contact_id=ada.id, occurred_at=T0 + DAY)
    on = lambda a: [k[1] for k in keys(tl(w, "root", "account", a, kinds=["call"]))]
    assert on(acme.id) == [before] and on(globex.id) == [after]
    # linking the interaction to an account moves it there
    r = ok(w.do("root", "record_get", type="interaction", id=before))
    ok(w.do("root", "record_update", id=before, version=r.record.interaction.meta.version,
            changes={"interaction": {"account_id": globex.id}}), "link")
    assert on(acme.id) == [] and on(globex.id) == [after, before]
    # the derived column is not audited
    rows = su_json(w.env, w.db, f"SELECT new_values FROM crm.audit WHERE record_id = {before}")
    assert rows and all("via_account_id" not in (r["new_values"] or {}) for r in rows), rows


def test_the_application_role_cannot_move_an_item_to_another_timeline(world):
    """via_account_id is derived: an UPDATE by crm_app for the item's own
    owner that sets it (with or without other columns) leaves it as the
    trigger computed, so nothing is moved onto an account's timeline
    unseen (the derived column is not audited)."""
    w = world
    acme, globex = account(w, "sal", name="Acme"), account(w, "sal", name="Globex")
    i = interaction(w, "sal", subject="At Acme", account_id=acme.id, occurred_at=T0)
    for sql in (f"UPDATE crm.interactions SET via_account_id = {globex.id} WHERE id = {i};",
                f"UPDATE crm.interactions SET via_account_id = {globex.id}, subject = 'Moved'"
                f" WHERE id = {i};"):
        r = app_sql(w.env, w.db, session_sql(w, "sal", sql))
        assert "UPDATE 1" in r.stdout, r
    assert su_sql(w.env, w.db, f"SELECT via_account_id FROM crm.interactions WHERE id = {i}") == str(acme.id)
    on = lambda a: [k[1] for k in keys(tl(w, "sal", "account", a, kinds=["call"]))]
    assert on(acme.id) == [i] and on(globex.id) == []


def test_the_application_role_cannot_read_a_hidden_contacts_account_through_the_item(world):
    """The derived via_account_id reads the contact as the writer, under
    row-level security: crm_app writing for sal an interaction or task
    that names a contact sal cannot read (straight SQL, no save function
    to refuse it) gets no account in the column, so the hidden contact's
    account cannot be read back through it (it was, while the trigger was
    a definer function). A contact sal can read still gives its account,
    even one sal cannot read; a purge of the account empties the column
    (its ON DELETE SET NULL was undone by the trigger, leaving the row
    naming a purged account)."""
    w = world
    secret = account(w, name="Secret")                    # root's: not sal's to see
    hidden = contact(w, family_name="Hidden", account_id=secret.id)
    own = account(w, "sal", name="Own")
    i = interaction(w, "sal", subject="Mine", account_id=own.id, occurred_at=T0)
    t = task(w, "sal", subject="Mine", account_id=own.id)
    cols = "owner_id, team_id, created_by, updated_by"
    sqls = [f"UPDATE crm.interactions SET account_id = NULL, contact_id = {hidden.id} WHERE id = {i}"
            " RETURNING 'via=' || coalesce(via_account_id::text, 'none');",
            f"UPDATE crm.tasks SET account_id = NULL, contact_id = {hidden.id} WHERE id = {t}"
            " RETURNING 'via=' || coalesce(via_account_id::text, 'none');",
            f"INSERT INTO crm.interactions ({cols}, kind, subject, contact_id)"
            f" SELECT u.id, u.team_id, u.id, u.id, 'call', 'Probe', {hidden.id} FROM crm.users u"
            f" WHERE u.id = {w.uid['sal']} RETURNING 'via=' || coalesce(via_account_id::text, 'none');"]
    for sql in sqls:
        r = app_sql(w.env, w.db, session_sql(w, "sal", sql))
        assert "via=none" in r.stdout and str(secret.id) not in r.stdout, (sql, r)
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.interactions WHERE via_account_id = {secret.id}"
                                f" OR id = {i} AND via_account_id IS NOT NULL") == "0"
    # a contact sal may read (shared) gives its account, which sal may not read
    ok(w.do("root", "record_share", type="contact", id=hidden.id, user="sal", access="ACCESS_READ"), "share")
    r = app_sql(w.env, w.db, session_sql(w, "sal", sqls[2]))
    assert f"via={secret.id}" in r.stdout, r
    probe = su_sql(w.env, w.db, f"SELECT max(id) FROM crm.interactions WHERE subject = 'Probe'")
    # the account purged (its cascade runs as the table's owner): no account
    ok(w.do("root", "record_purge", type="account", id=secret.id), "purge")
    assert su_sql(w.env, w.db, f"SELECT coalesce(via_account_id::text, 'none') FROM crm.interactions"
                                f" WHERE id = {probe}") == "none"


def test_pages_have_no_duplicates_or_gaps_with_ties_on_one_instant(world):
    w = world
    acme = account(w, name="Acme")
    made = [interaction(w, kind=("call", "meeting", "note")[n % 3], subject=f"I{n}", account_id=acme.id,
                        occurred_at=T0) for n in range(11)]
    made += [interaction(w, subject=f"Later {n}", account_id=acme.id, occurred_at=T0 + DAY) for n in range(3)]
    tasks = [task(w, subject=f"T{n}", account_id=acme.id) for n in range(3)]
    su_sql(w.env, w.db, f"UPDATE crm.tasks SET created_at = timestamptz 'epoch' + {T0} * interval '1 microsecond'"
                        f" WHERE id IN ({','.join(map(str, tasks))})")
    for n in range(4):  # four changes of the account
        r = ok(w.do("root", "record_get", type="account", id=acme.id))
        ok(w.do("root", "record_update", id=acme.id, version=r.record.account.meta.version,
                changes={"account": {"employees": n + 1}}))
    set_audit_at(w, f"record_type = 'account' AND record_id = {acme.id}", T0)
    want = truth(w, "account", acme.id)
    assert len(want) == 11 + 3 + 3 + 5 and sum(1 for k in want if k[2] == T0) == 11 + 3 + 5, want
    for limit in (1, 2, 3, 4, 7, 50):
        pages = walk(w, "root", "account", acme.id, limit)
        flat = [k for p in pages for k in p]
        assert flat == want, (limit, flat)
        assert all(len(p) == limit for p in pages[:-1]) and 0 < len(pages[-1]) <= limit, (limit, pages)
    # on one instant: the records (ids down), then the changes (ids down)
    tie = [k for k in want if k[2] == T0]
    assert [k[0] for k in tie][-5:] == ["change"] * 5
    recs = [k[1] for k in tie if k[0] != "change"]
    assert recs == sorted(recs, reverse=True)
    # a row added behind the cursor is not repeated, one added ahead is read
    r = ok(tl(w, "root", "account", acme.id, limit=5))
    first = keys(r)
    newer = interaction(w, subject="Newest", account_id=acme.id, occurred_at=T0 + 5 * DAY)
    older = interaction(w, subject="Oldest", account_id=acme.id, occurred_at=T0 - DAY)
    rest, cursor = [], r.timeline_list.next_cursor
    while cursor:
        r = ok(tl(w, "root", "account", acme.id, limit=5, cursor=cursor))
        rest += keys(r)
        cursor = r.timeline_list.next_cursor
    assert newer not in [k[1] for k in rest] and rest[-1][1] == older
    assert first + rest == [k for k in truth(w, "account", acme.id) if k[1] != newer]


def test_the_cursor_belongs_to_its_timeline_and_user(world):
    w = world
    acme, globex = account(w, name="Acme"), account(w, name="Globex")
    for n in range(3):
        interaction(w, subject=f"I{n}", account_id=acme.id, occurred_at=T0 + n * US)
    cursor = ok(tl(w, "root", "account", acme.id, limit=1)).timeline_list.next_cursor
    assert cursor
    status(tl(w, "root", "account", globex.id, limit=1, cursor=cursor), INVALID_ARGUMENT,
           "timeline_list.page.cursor")
    status(tl(w, "root", "account", acme.id, kinds=["call"], limit=1, cursor=cursor), INVALID_ARGUMENT,
           "timeline_list.page.cursor")
    status(tl(w, "mgr", "account", acme.id, limit=1, cursor=cursor), INVALID_ARGUMENT,
           "timeline_list.page.cursor")
    status(tl(w, "root", "account", acme.id, limit=1, cursor=cursor[:-2] + b"AA"), INVALID_ARGUMENT,
           "timeline_list.page.cursor")


# ------------------------------------------------------------ visibility

def test_what_the_user_may_not_see_is_not_shown_or_counted(world):
    """sal (sales: own records) owns Acme. On its timeline: sal's own
    interaction; root's interaction on Acme (not sal's to see); sal's
    interaction with a contact of Acme that sal cannot see (reached only
    through that contact); sal's interaction with sal's own contact of
    Acme; a task of root's; the account's changes (sal's audit scope: the
    history of records sal may read)."""
    w = world
    acme = account(w, name="Acme", owner="sal")
    hidden_c = contact(w, family_name="Hidden", account_id=acme.id)           # root's
    own_c = contact(w, "sal", family_name="Mine", account_id=acme.id)
    mine = interaction(w, "sal", subject="Mine", account_id=acme.id, occurred_at=T0)
    roots = interaction(w, subject="Root's", account_id=acme.id, occurred_at=T0 + US)
    # made by root (sal may not link a contact sal cannot see), then sal's
    via_hidden = interaction(w, subject="Via hidden", contact_id=hidden_c.id, occurred_at=T0 + 2 * US)
    ok(w.do("root", "record_reassign", type="interaction", id=via_hidden, owner="sal"), "reassign")
    assert ok(w.do("sal", "record_get", type="interaction", id=via_hidden)), "sal sees it"
    via_own = interaction(w, "sal", subject="Via own", contact_id=own_c.id, occurred_at=T0 + 3 * US)
    roots_task = task(w, subject="Root's task", account_id=acme.id)
    sals_task = task(w, "sal", subject="Sal's task", account_id=acme.id)
    root_all = keys(tl(w, "root", "account", acme.id, limit=100))
    assert {mine, roots, via_hidden, via_own, roots_task, sals_task} <= {k[1] for k in root_all}
    r = ok(tl(w, "sal", "account", acme.id, limit=100, total=True))
    got = keys(r)
    seen = {k[1] for k in got if k[0] != "change"}
    assert seen == {mine, via_own, sals_task}, got
    assert r.timeline_list.total == len(got) and not r.timeline_list.total_capped, (r.timeline_list.total, got)
    # sal reads the account's history (own scope covers it); root sees the same rows
    assert [k for k in got if k[0] == "change"] == [k for k in root_all if k[0] == "change"]
    # pages of one never reach the hidden ones either
    flat = [k for p in walk(w, "sal", "account", acme.id, 1) for k in p]
    assert flat == got
    # root counts everything
    r = ok(tl(w, "root", "account", acme.id, limit=2, total=True))
    assert r.timeline_list.total == len(root_all) and len(r.timeline_list.items) == 2
    # a viewer reads every record but for the audit trail's own rule: all
    assert keys(tl(w, "vie", "account", acme.id, limit=100)) == root_all


def test_a_record_the_user_cannot_see_is_not_found_as_a_missing_one(world):
    w = world
    acme = account(w, name="Acme")                  # root's: not sal's to see
    interaction(w, subject="Secret", account_id=acme.id)
    missing = acme.id + 1000
    hidden = status(tl(w, "sal", "account", acme.id), NOT_FOUND, "timeline_list.id")
    gone = status(tl(w, "sal", "account", missing), NOT_FOUND, "timeline_list.id")
    assert hidden.status.message_id == gone.status.message_id == "record.not_found"
    assert hidden.status.message.replace(str(acme.id), "N") == gone.status.message.replace(str(missing), "N")
    # the wrong type for an id is missing too
    status(tl(w, "root", "contact", acme.id), NOT_FOUND, "timeline_list.id")
    # a purged record is gone
    ok(w.do("root", "record_purge", type="account", id=acme.id), "purge")
    status(tl(w, "root", "account", acme.id), NOT_FOUND, "timeline_list.id")
    # the CLI: exit 4, the same words
    a = cli(w, "sal", "timeline", f"account/{acme.id}")
    b = cli(w, "sal", "timeline", f"account/{missing}")
    assert a.rc == b.rc == exit_code(NOT_FOUND), (a, b)
    assert a.err.replace(str(acme.id), "N") == b.err.replace(str(missing), "N"), (a, b)


# ------------------------------------------------------------ filters

def test_kind_since_until_filter(world):
    w = world
    acme = account(w, name="Acme")
    c1 = interaction(w, kind="call", account_id=acme.id, occurred_at=T0)
    m1 = interaction(w, kind="meeting", account_id=acme.id, occurred_at=T0 + DAY)
    e1 = interaction(w, kind="email", account_id=acme.id, occurred_at=T0 + 2 * DAY)
    t1 = task(w, account_id=acme.id)
    su_sql(w.env, w.db, f"UPDATE crm.tasks SET created_at = timestamptz 'epoch' + {T0 + 3 * DAY}"
                        f" * interval '1 microsecond' WHERE id = {t1}")
    ids = lambda **kw: [k[1] for k in keys(tl(w, "root", "account", acme.id, limit=100, **kw))]
    assert ids(kinds=["meeting"]) == [m1]
    assert ids(kinds=["call", "email"]) == [e1, c1]
    assert ids(kinds=["task"]) == [t1]
    assert ids(kinds=["change"]) == [acme.id]
    assert ids(kinds=["task", "meeting", "meeting"]) == [t1, m1]
    # since: at or after; until: before
    assert ids(since=T0 + DAY, until=T0 + 3 * DAY) == [e1, m1]
    assert ids(since=T0 + DAY, until=T0 + DAY) == []
    assert ids(until=T0 + DAY) == [c1]
    assert ids(since=T0 + 3 * DAY, kinds=["task", "call"]) == [t1]
    # filters and pages together
    flat = [k[1] for p in walk(w, "root", "account", acme.id, 1, since=T0, until=T0 + 3 * DAY,
                               kinds=["call", "meeting", "email"]) for k in p]
    assert flat == [e1, m1, c1]
    # the CLI's options, before or after the operand
    r = cli(w, "root", "--format", "json", "timeline", "--kind", "call,email", f"account/{acme.id}")
    assert r.rc == 0, r
    assert [x["record_id"] for x in json.loads(r.out)] == [e1, c1]
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--since", "2026-01-02", "--until",
            "2026-01-03T00:00:00Z", "--kind", "meeting", "--kind", "email", "--format", "json")
    assert r.rc == 0, r
    assert [x["record_id"] for x in json.loads(r.out)] == [m1]


# ------------------------------------------------------------ bad input

def test_bad_input_is_refused_naming_the_field(world):
    w = world
    acme = account(w, name="Acme")
    r = status(tl(w, "root", "account", acme.id, kinds=["call", "fax"]), INVALID_ARGUMENT, "timeline_list.kinds")
    assert r.status.message_id == "timeline.unknown_kind" and "fax" in r.status.message, r.status
    assert "meeting" in r.status.message and "change" in r.status.message, r.status
    status(tl(w, "root", "account", acme.id, kinds=[""]), INVALID_ARGUMENT, "timeline_list.kinds")
    r = status(tl(w, "root", "account", acme.id, since=T0 + DAY, until=T0), INVALID_ARGUMENT,
               "timeline_list.until")
    assert r.status.message_id == "timeline.until_before_since", r.status
    assert "2026-01-02T00:00:00Z" in r.status.message and "2026-01-01T00:00:00Z" in r.status.message
    status(tl(w, "root", "account", acme.id, since=-(10 ** 18)), INVALID_ARGUMENT, "timeline_list.since")
    status(tl(w, "root", "account", acme.id, until=10 ** 18), INVALID_ARGUMENT, "timeline_list.until")
    status(w.do("root", "timeline_list", id=acme.id), INVALID_ARGUMENT, "timeline_list.type")
    status(w.do("root", "timeline_list", type="account"), INVALID_ARGUMENT, "timeline_list.id")
    status(tl(w, "root", "account", -5), INVALID_ARGUMENT, "timeline_list.id")
    status(tl(w, "root", "account", acme.id, limit=501), INVALID_ARGUMENT, "timeline_list.page.limit")
    # the CLI: bad TYPE/ID, bad times, bad kinds lists are usage errors
    # naming what it takes; the server's refusals come back with the field
    for args, flag in ((["acme"], "TYPE/ID"), (["account/x"], "TYPE/ID"), (["widget/4"], "TYPE"),
                       ([f"account/{acme.id}", "--since", "soon"], "--since"),
                       ([f"account/{acme.id}", "--until", "2026-13-01"], "--until"),
                       ([f"account/{acme.id}", "--kind", "call,,note"], "--kind"),
                       ([f"account/{acme.id}", "--limit", "0"], "--limit"),
                       ([], "TYPE/ID"), ([f"account/{acme.id}", "account/2"], "account/2")):
        r = cli(w, "root", "timeline", *args)
        assert r.rc == USAGE and flag in r.err, (args, r)
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--kind", "fax")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "kinds" in r.err and "fax" in r.err, r
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--since", "2026-02-01", "--until", "2026-01-01")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "until" in r.err and "since" in r.err, r


def test_errors_in_the_users_language(world):
    w = world
    w.add_user("zhang", "admin", None, locale="zh-CN")
    acme = account(w, name="Acme")
    r = cli(w, "zhang", "timeline", f"account/{acme.id}", "--kind", "fax")
    assert r.rc == exit_code(INVALID_ARGUMENT), r
    assert "fax" in r.err and "时间线" in r.err, r
    r = cli(w, "zhang", "timeline", f"account/{acme.id}", "--since", "2026-02-01", "--until", "2026-01-01")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "2026-01-01T00:00:00Z" in r.err and "早于" in r.err, r
    r = cli(w, "zhang", "timeline", "--help")
    assert r.rc == 0 and "时间线" in r.out, r


# ------------------------------------------------------------ output

def test_json_csv_and_table_output(world):
    w = world
    w.add_user("li", "admin", None, time_zone="Asia/Shanghai")
    acme = account(w, name="Acme")
    i1 = interaction(w, kind="meeting", subject="启动会议 kick-off", account_id=acme.id, occurred_at=T0)
    t1 = task(w, subject="Follow up", account_id=acme.id, status="done")
    done_at = int(su_sql(w.env, w.db, f"SELECT crm.us(completed_at) FROM crm.tasks WHERE id = {t1}"))
    change_at = int(su_sql(w.env, w.db, f"SELECT crm.us(at) FROM crm.audit WHERE record_type = 'account'"
                                        f" AND record_id = {acme.id}"))

    def rfc(us):
        t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // US))
        return t + f".{us % US:06d}Z"

    want = [
        {"at": rfc(done_at), "kind": "task", "record_type": "task", "record_id": t1, "summary": "Follow up",
         "who": "root", "action": "done"},
        {"at": rfc(change_at), "kind": "change", "record_type": "account", "record_id": acme.id,
         "summary": None, "who": "root", "action": "create"},
        {"at": rfc(T0), "kind": "meeting", "record_type": "interaction", "record_id": i1,
         "summary": "启动会议 kick-off", "who": "root", "action": None},
    ]
    if done_at < change_at:
        want[0], want[1] = want[1], want[0]
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--format", "json")
    assert r.rc == 0, r
    assert json.loads(r.out) == want, r.out
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--format", "csv")
    assert r.rc == 0, r
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[0] == ["at", "kind", "record_type", "record_id", "summary", "who", "action"], rows
    assert rows[1:] == [[x["at"], x["kind"], x["record_type"], str(x["record_id"]), x["summary"] or "",
                         x["who"], x["action"] or ""] for x in want], rows
    # with the count: an object
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--format", "json", "--total")
    assert r.rc == 0, r
    assert json.loads(r.out) == {"total": 3, "total_capped": False, "items": want}, r.out
    # a table for people, in the user's time zone, wide characters two columns
    r = cli(w, "li", "timeline", f"account/{acme.id}", "--kind", "meeting", env={"COLUMNS": "120"})
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["at", "kind", "record", "summary", "who"], r.out
    row = lines[2]
    assert row.startswith("2026-01-01 08:00:00 CST") and "meeting" in row and f"interaction/{i1}" in row, r.out
    assert "启动会议 kick-off" in row and row.rstrip().endswith("root"), r.out
    # the who column starts at the same display column in the heading, the
    # rule and the row: the four Chinese characters count two columns each
    width = lambda s: sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in s)
    assert width(row[:row.rindex("root")]) == lines[0].index("who") == lines[1].rindex(" ") + 1, r.out
    r = cli(w, "root", "timeline", f"account/{acme.id}", "--total", "--kind", "change")
    assert r.rc == 0 and "1 item in the timeline" in r.out and "create" in r.out, r
