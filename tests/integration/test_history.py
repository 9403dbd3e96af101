"""Interactions and tasks (issue 13, sql/0027_history_records.sql,
sql/modules/82_history.sql): the record types' own rules, beyond what the
conformance suite checks for every type. Add, show, list, edit and delete
through `crm`; bad input refused naming the field (a kind missing, a
negative duration, a reminder in the past, a due time before the task's
creation, a disabled or unknown assignee); links to records the user
cannot see refused as NOT_FOUND; records outside the user's scope
invisible; `crm task list --mine --due overdue`; completed_at follows the
status; tasks without a due time sort last, page after page; `crm task
done` completing a task and logging the interaction it led to in the same
transaction (RecordUpdate.log), all or nothing."""

import json
import os
import time

import pytest

from conftest import CONFLICT, INVALID_ARGUMENT, NOT_FOUND, exit_code, pb, run_crm
from identity import app_sql, make_world, ok, session_sql, status, su_sql
from records import account, contact, get, ids, page, update

US = 1_000_000
USAGE = 2  # crm's exit status for a bad command line


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def cli(w, user, *args, input=None):
    """Runs crm as `user` (one config directory per user, logged in once)."""
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args, input=input)


def show(w, user, noun, rid):
    r = cli(w, user, "--format", "json", noun, "show", str(rid))
    assert r.rc == 0, r
    return json.loads(r.out)


def listed(w, user, noun, *args):
    r = cli(w, user, "--format", "json", noun, "list", *args)
    assert r.rc == 0, r
    out = json.loads(r.out)
    rows = out if isinstance(out, list) else out[noun + "s"]
    return [x["id"] for x in rows]


def now_us():
    return int(time.time()) * US


def task(w, who="root", **fields):
    fields.setdefault("subject", "Call back")
    return ok(w.do(who, "record_create", record={"task": fields}), f"create task {fields}").record.task


def interaction(w, who="root", **fields):
    fields.setdefault("kind", "call")
    fields.setdefault("subject", "Intro")
    return ok(w.do(who, "record_create", record={"interaction": fields}),
              f"create interaction {fields}").record.interaction


# ------------------------------------------------------------ the CLI

def test_interaction_add_show_list_edit_delete(world):
    w = world
    acme = account(w, name="Acme")
    ada = contact(w, family_name="Lovelace")
    r = cli(w, "root", "interaction", "add", "--kind", "call", "--subject", "Intro call",
            "--account", str(acme.id), "--contact", str(ada.id), "--direction", "in",
            "--duration", "15m", "--at", "2026-03-01T09:30:00+01:00", "--body", "line one\nline two")
    assert r.rc == 0, r
    iid = int(r.out.strip())
    i = show(w, "root", "interaction", iid)
    assert (i["kind"], i["direction"], i["subject"], i["duration"]) == ("call", "in", "Intro call", 15), i
    assert i["account_id"] == acme.id and i["account_name"] == "Acme", i
    assert i["contact_id"] == ada.id and i["contact_name"] == "Lovelace", i
    assert i["body"] == "line one\nline two" and i["owner"] == "root", i
    occurred = su_sql(w.env, w.db, f"SELECT crm.us(occurred_at) FROM crm.interactions WHERE id = {iid}")
    assert int(occurred) == 1772353800 * US, occurred  # 2026-03-01T08:30:00Z
    # without --at it happened now
    r = cli(w, "root", "interaction", "add", "--kind", "meeting", "--subject", "Kick-off")
    assert r.rc == 0, r
    kid = int(r.out.strip())
    ago = su_sql(w.env, w.db, f"SELECT extract(epoch FROM now() - occurred_at)::int FROM crm.interactions WHERE id = {kid}")
    assert abs(int(ago)) < 60, ago
    # newest first; the shortcuts filter
    assert listed(w, "root", "interaction")[:2] == [kid, iid]
    assert listed(w, "root", "interaction", "--account", str(acme.id)) == [iid]
    assert listed(w, "root", "interaction", "--kind", "meeting") == [kid]
    # edit: an outcome from the pick list, a cleared direction
    r = cli(w, "root", "interaction", "edit", str(iid), "--outcome", "left message", "--clear", "direction")
    assert r.rc == 0, r
    i = show(w, "root", "interaction", iid)
    assert i["outcome"] == "Left message" and i["direction"] is None and i["version"] == 2, i
    # a duration in hours and minutes
    r = cli(w, "root", "interaction", "edit", str(iid), "--duration", "1h30m")
    assert r.rc == 0, r
    assert show(w, "root", "interaction", iid)["duration"] == 90
    r = cli(w, "root", "interaction", "edit", str(iid), "--duration", "90s")
    assert r.rc == USAGE and "--duration" in r.err and "1h30m" in r.err, r
    r = cli(w, "root", "interaction", "edit", str(iid), "--outcome", "Maybe")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "outcome" in r.err, r
    # delete
    assert cli(w, "root", "interaction", "delete", str(iid)).rc == 0
    assert iid not in listed(w, "root", "interaction")
    assert iid in listed(w, "root", "interaction", "--deleted")


def test_interaction_cli_refuses_bad_kind_direction_duration(world):
    w = world
    r = cli(w, "root", "interaction", "add", "--kind", "fax", "--subject", "X")
    assert r.rc == USAGE and "--kind" in r.err and "meeting" in r.err, r
    r = cli(w, "root", "interaction", "add", "--kind", "call", "--subject", "X", "--direction", "sideways")
    assert r.rc == USAGE and "--direction" in r.err, r
    r = cli(w, "root", "interaction", "add", "--kind", "call", "--subject", "X", "--duration", "-5")
    assert r.rc == USAGE and "--duration" in r.err, r
    r = cli(w, "root", "interaction", "add", "--kind", "call", "--subject", "X", "--at", "yesterday-ish")
    assert r.rc == USAGE and "--at" in r.err, r
    assert listed(w, "root", "interaction") == []


def test_task_add_show_list_edit_delete(world):
    w = world
    due = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3 * 86400))
    r = cli(w, "root", "task", "add", "--subject", "Send the offer", "--due", due, "--priority", "high",
            "--remind", due, "--description", "with the\nprices")
    assert r.rc == 0, r
    tid = int(r.out.strip())
    t = show(w, "root", "task", tid)
    assert (t["subject"], t["priority"], t["status"], t["assignee"]) == \
        ("Send the offer", "high", "open", "root"), t
    assert t["description"] == "with the\nprices" and t["completed_at"] is None, t
    # assigned to another user; done sets completed_at, reopening clears it
    r = cli(w, "root", "task", "edit", str(tid), "--assignee", "sal", "--status", "done")
    assert r.rc == 0, r
    t = show(w, "root", "task", tid)
    assert t["assignee"] == "sal" and t["status"] == "done" and t["completed_at"] is not None, t
    r = cli(w, "root", "task", "edit", str(tid), "--status", "in_progress")
    assert r.rc == 0, r
    t = show(w, "root", "task", tid)
    assert t["status"] == "in_progress" and t["completed_at"] is None, t
    assert listed(w, "root", "task", "--assignee", "sal") == [tid]
    assert listed(w, "root", "task", "--status", "open") == []
    assert cli(w, "root", "task", "delete", str(tid)).rc == 0
    assert listed(w, "root", "task") == []


def test_task_list_mine_due(world):
    """--mine is the tasks assigned to the user; --due overdue the open ones
    due before now, today those due today (in the user's time zone), week
    in the seven days from today."""
    w = world
    overdue = task(w, subject="Overdue", assignee="sal")
    # a task due in the past cannot be made: made due soon, then moved back
    # in the database as time would
    su_sql(w.env, w.db, f"UPDATE crm.tasks SET created_at = now() - interval '3 days',"
                        f" due_at = now() - interval '1 day' WHERE id = {overdue.meta.id}")
    done = task(w, subject="Done", assignee="sal", status="done")
    su_sql(w.env, w.db, f"UPDATE crm.tasks SET created_at = now() - interval '3 days',"
                        f" due_at = now() - interval '1 day' WHERE id = {done.meta.id}")
    later = task(w, subject="Later", assignee="sal", due_at=now_us() + 3 * 86400 * US)
    far = task(w, subject="Far", assignee="sal", due_at=now_us() + 30 * 86400 * US)
    other = task(w, subject="Someone else's", assignee="mgr")
    su_sql(w.env, w.db, f"UPDATE crm.tasks SET created_at = now() - interval '3 days',"
                        f" due_at = now() - interval '1 day' WHERE id = {other.meta.id}")
    mine = set(listed(w, "root", "task", "--mine"))
    assert mine.isdisjoint({overdue.meta.id, later.meta.id, other.meta.id}), mine  # root's own: none of these
    assert listed(w, "root", "task", "--assignee", "sal", "--due", "overdue") == [overdue.meta.id]
    assert set(listed(w, "root", "task", "--due", "overdue")) == {overdue.meta.id, other.meta.id}
    assert listed(w, "root", "task", "--assignee", "sal", "--due", "week") == [later.meta.id]
    assert far.meta.id not in listed(w, "root", "task", "--due", "week")
    # sal, who owns none of them (root does), sees them when shared
    for t in (overdue, done, later, other):
        ok(w.do("root", "record_share", type="task", id=t.meta.id, user="sal", access="ACCESS_READ"))
    assert listed(w, "sal", "task", "--mine", "--due", "overdue") == [overdue.meta.id]
    assert set(listed(w, "sal", "task", "--mine")) == {overdue.meta.id, done.meta.id, later.meta.id}
    r = cli(w, "sal", "task", "list", "--due", "soon")
    assert r.rc == USAGE and "--due" in r.err, r


# ------------------------------------------------------------ bad input

def test_task_refuses_past_reminder_early_due_disabled_assignee(world):
    w = world
    soon = now_us() + 3600 * US

    def refused(fields, field, code=INVALID_ARGUMENT):
        fields.setdefault("subject", "X")
        return status(w.do("root", "record_create", record={"task": fields}), code,
                      f"record_create.record.task.{field}")

    r = refused({"remind_at": now_us() - 3600 * US}, "remind_at")
    assert "reminder" in r.status.message, r.status.message
    r = refused({"due_at": now_us() - 86400 * US}, "due_at")
    assert "due before" in r.status.message, r.status.message
    ok(w.do("root", "user_set_active", username="sal2", active=False), "disable sal2")
    r = refused({"assignee": "sal2", "due_at": soon}, "assignee")
    assert "sal2" in r.status.message and "disabled" in r.status.message, r.status.message
    refused({"assignee": "nobody"}, "assignee", NOT_FOUND)
    refused({"subject": "   "}, "subject")
    # nothing half-written
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.tasks") == "0"
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.records WHERE record_type = 'task'") == "0"
    # an update is held to the same rules
    t = task(w, due_at=soon)
    status(update(w, "root", t.meta.id, 1, "task", remind_at=now_us() - 3600 * US),
           INVALID_ARGUMENT, "record_update.changes.task.remind_at")
    status(update(w, "root", t.meta.id, 1, "task", due_at=now_us() - 86400 * US),
           INVALID_ARGUMENT, "record_update.changes.task.due_at")
    status(update(w, "root", t.meta.id, 1, "task", assignee="sal2"),
           INVALID_ARGUMENT, "record_update.changes.task.assignee")
    assert get(w, "root", "task", t.meta.id).record.task.meta.version == 1
    # an all-day task is due on a date: today's is not before its creation
    today = (int(time.time()) // 86400) * 86400 * US
    d = task(w, due_at=today, all_day=True)
    assert d.all_day and d.due_at == today


def test_interaction_refuses_missing_kind_negative_duration(world):
    w = world
    r = w.do("root", "record_create", record={"interaction": {"subject": "X"}})
    status(r, INVALID_ARGUMENT, "record_create.record.interaction.kind")
    r = w.do("root", "record_create", record={"interaction": {"kind": "call", "subject": "X", "duration": -5}})
    status(r, INVALID_ARGUMENT, "record_create.record.interaction.duration")
    r = w.do("root", "record_create", record={"interaction": {"kind": "call"}})
    status(r, INVALID_ARGUMENT, "record_create.record.interaction.subject")
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.interactions") == "0"


# ------------------------------------------------------------ access

def test_links_to_records_the_user_cannot_see_are_not_found(world):
    """sal cannot see mgr's account and contact: linking them is refused
    exactly as ids that do not exist; shared, they may be linked."""
    w = world
    hidden = account(w, "root", owner="mgr", name="Hidden")
    who = contact(w, "root", owner="mgr", family_name="Hidden")
    for kind, base in (("interaction", {"kind": "visit", "subject": "X"}), ("task", {"subject": "X"})):
        for field, rid in (("account_id", hidden.id), ("contact_id", who.id), ("account_id", 999999999)):
            r = w.do("sal", "record_create", record={kind: {**base, field: rid}})
            status(r, NOT_FOUND, f"record_create.record.{kind}.{field}")
            assert str(rid) in r.status.message, r.status.message
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.records WHERE record_type IN ('interaction', 'task')") == "0"
    # an update may not link them either
    t = task(w, "sal")
    status(update(w, "sal", t.meta.id, 1, "task", account_id=hidden.id),
           NOT_FOUND, "record_update.changes.task.account_id")
    ok(w.do("root", "record_share", type="account", id=hidden.id, user="sal", access="ACCESS_READ"))
    assert interaction(w, "sal", account_id=hidden.id).account_id == hidden.id


def test_a_user_outside_scope_cannot_see_them(world):
    w = world
    i = interaction(w, "sal", subject="Private call")
    t = task(w, "sal", subject="Private task")
    for user in ("sup",):  # support, another team: reads its team's records only
        status(get(w, user, "interaction", i.meta.id), NOT_FOUND)
        status(get(w, user, "task", t.meta.id), NOT_FOUND)
        assert ids(ok(page(w, user, "interaction")), "interaction") == []
        assert ids(ok(page(w, user, "task")), "task") == []
        r = cli(w, user, "task", "show", str(t.meta.id))
        assert r.rc == exit_code(NOT_FOUND), r
    # the manager of sal's team sees them
    assert ok(get(w, "mgr", "task", t.meta.id)).record.task.subject == b"Private task"
    # a task assigned to a user outside scope is still not theirs to see
    t2 = task(w, "sal", subject="For support", assignee="sup")
    status(get(w, "sup", "task", t2.meta.id), NOT_FOUND)


def test_tasks_without_due_time_sort_last_page_after_page(world):
    """The due sort (a nullable instant): tasks without one come last both
    ways, and the keyset cursor pages through them one at a time."""
    w = world
    soon = now_us() + 3600 * US
    made = [task(w, subject="A", due_at=soon + 2 * US).meta.id, task(w, subject="B").meta.id,
            task(w, subject="C", due_at=soon + 1 * US).meta.id, task(w, subject="D").meta.id]
    for desc, want in ((False, [made[2], made[0], made[1], made[3]]),
                       (True, [made[0], made[2], made[3], made[1]])):
        got, cursor = [], None
        for _ in range(10):
            r = ok(page(w, "root", "task", sort=[{"field": "due_at", "desc": desc}], limit=1, cursor=cursor))
            got += ids(r, "task")
            cursor = r.record_list.next_cursor
            if not cursor:
                break
        assert got == want, (desc, got, want)


# ------------------------------------------------------------ task done --log

def count_interactions(w):
    return int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.interactions"))


def test_task_done_without_log(world):
    w = world
    t = task(w, "sal", subject="Call Ada")
    r = cli(w, "sal", "task", "done", str(t.meta.id))
    assert r.rc == 0 and f"task {t.meta.id} done" in r.out and "interaction" not in r.out, r
    got = show(w, "sal", "task", t.meta.id)
    assert got["status"] == "done" and got["completed_at"] is not None, got
    assert count_interactions(w) == 0
    # the interaction's options without --log are a usage error
    t2 = task(w, "sal", subject="Other")
    r = cli(w, "sal", "task", "done", str(t2.meta.id), "--subject", "Called")
    assert r.rc == USAGE and "--log" in r.err, r
    r = cli(w, "sal", "task", "done", str(t2.meta.id), "--kind", "call", "--subject", "Called")
    assert r.rc == USAGE and "--log" in r.err, r
    assert show(w, "sal", "task", t2.meta.id)["status"] == "open"


def test_task_done_with_log_creates_one_interaction_linked_like_the_task(world):
    w = world
    acme = account(w, "sal", name="Acme")
    ada = contact(w, "sal", family_name="Lovelace", account_id=acme.id)
    t = task(w, "sal", subject="Call Ada", account_id=acme.id, contact_id=ada.id)
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--log", "call", "--subject", "Called Ada",
            "--body", "She agreed", "--duration", "15m", "--direction", "out")
    assert r.rc == 0, r
    rows = su_sql(w.env, w.db, "SELECT id || '|' || kind || '|' || subject || '|' || body || '|' || duration"
                                " || '|' || direction || '|' || account_id || '|' || contact_id || '|' || owner_id"
                                " FROM crm.interactions")
    assert rows.count("\n") == 0 and rows, rows
    iid, *rest = rows.split("|")
    assert rest == ["call", "Called Ada", "She agreed", "15", "out", str(acme.id), str(ada.id),
                    str(w.uid["sal"])], rows
    assert f"interaction {iid} logged" in r.out, r
    got = show(w, "sal", "task", t.meta.id)
    assert got["status"] == "done" and got["completed_at"] is not None, got
    # the protocol: the reply names the interaction; the log's own links win
    other = account(w, "sal", name="Other")
    t2 = task(w, "sal", subject="Visit", account_id=acme.id, contact_id=ada.id)
    r = ok(w.do("sal", "record_update", id=t2.meta.id, version=t2.meta.version,
                changes={"task": {"status": "TASK_STATUS_DONE"}},
                log={"interaction": {"kind": "INTERACTION_KIND_VISIT", "subject": b"Visited",
                                     "account_id": other.id}}))
    new = r.record.task.logged_interaction_id
    assert new and r.record.task.status == pb().TASK_STATUS_DONE, r
    i = ok(get(w, "sal", "interaction", new)).record.interaction
    assert (i.subject, i.account_id, i.contact_id) == (b"Visited", other.id, ada.id), i
    assert count_interactions(w) == 2
    # JSON output: the task with the id
    t3 = task(w, "sal", subject="Mail")
    r = cli(w, "sal", "--format", "json", "task", "done", str(t3.meta.id), "--log", "email", "--subject", "Sent")
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out["status"] == "done" and out["logged_interaction_id"] > new, out


def test_a_failing_log_leaves_the_task_not_done(world):
    """Nothing half-written: a log refused (a bad kind, no subject, a
    contact the user cannot see) refuses the whole update, naming the
    log's field; the task stays open at its version."""
    w = world
    hidden = contact(w, "root", owner="mgr", family_name="Hidden")
    t = task(w, "sal", subject="Call")
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--log", "lunch", "--subject", "X")
    assert r.rc == USAGE and "lunch" in r.err, r
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--log", "call")
    assert r.rc == exit_code(INVALID_ARGUMENT) and "subject" in r.err, r
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--log", "call", "--subject", "X",
            "--contact", str(hidden.id))
    assert r.rc == exit_code(NOT_FOUND), r
    # the protocol: the field is the log's
    r = w.do("sal", "record_update", id=t.meta.id, version=t.meta.version,
             changes={"task": {"status": "TASK_STATUS_DONE"}}, log={"interaction": {"subject": b"X"}})
    status(r, INVALID_ARGUMENT, "record_update.log.interaction.kind")
    r = w.do("sal", "record_update", id=t.meta.id, version=t.meta.version,
             changes={"task": {"status": "TASK_STATUS_DONE"}},
             log={"interaction": {"kind": "INTERACTION_KIND_CALL", "subject": b"X", "contact_id": hidden.id}})
    status(r, NOT_FOUND, "record_update.log.interaction.contact_id")
    # a log only with a task that the update leaves done; and only a task's
    r = w.do("sal", "record_update", id=t.meta.id, version=t.meta.version,
             changes={"task": {"subject": b"Still open"}},
             log={"interaction": {"kind": "INTERACTION_KIND_CALL", "subject": b"X"}})
    status(r, INVALID_ARGUMENT, "record_update.log")
    i = interaction(w, "sal")
    r = w.do("sal", "record_update", id=i.meta.id, version=i.meta.version,
             changes={"interaction": {"subject": b"Y"}},
             log={"interaction": {"kind": "INTERACTION_KIND_CALL", "subject": b"X"}})
    status(r, INVALID_ARGUMENT, "record_update.log")
    got = ok(get(w, "sal", "task", t.meta.id)).record.task
    assert got.status == pb().TASK_STATUS_OPEN and got.meta.version == t.meta.version and got.subject == b"Call", got
    assert count_interactions(w) == 1  # i only
    assert su_sql(w.env, w.db, f"SELECT string_agg(action, ',') FROM crm.audit"
                                f" WHERE record_type = 'task' AND record_id = {t.meta.id}") == "create"


def test_task_done_version_conflict(world):
    w = world
    t = task(w, "sal", subject="Call")
    ok(update(w, "sal", t.meta.id, t.meta.version, "task", subject=b"Call Ada"))
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--version", str(t.meta.version),
            "--log", "call", "--subject", "Called")
    assert r.rc == exit_code(CONFLICT), r
    got = ok(get(w, "sal", "task", t.meta.id)).record.task
    assert got.status == pb().TASK_STATUS_OPEN, got
    assert count_interactions(w) == 0
    # with the current version (read by crm when --version is not given) it lands
    r = cli(w, "sal", "task", "done", str(t.meta.id), "--log", "call", "--subject", "Called")
    assert r.rc == 0, r
    assert count_interactions(w) == 1


# ------------------------------------------------------------ participants and links

def links_of(i):
    """(kind, target_type, target_id or user) of an Interaction's links."""
    return sorted((l.kind.decode(), l.target_type.decode(), l.target_id or l.user.decode()) for l in i.links)


def test_several_contacts_a_user_participant_and_a_link(world):
    """crm interaction add --contact A --contact B --participant sal2 --link
    account/X: the first contact is the interaction's contact, the others
    and the user participants, the account related; show lists them, and
    the timeline of the second contact and of the linked account hold the
    interaction (once, also on the first contact's)."""
    w = world
    acme, other = account(w, "sal", name="Acme"), account(w, "sal", name="Other")
    ada = contact(w, "sal", family_name="Lovelace", account_id=acme.id)
    bob = contact(w, "sal", family_name="Babbage")
    r = cli(w, "sal", "interaction", "add", "--kind", "meeting", "--subject", "Kick-off",
            "--contact", str(ada.id), "--contact", str(bob.id), "--participant", "sal2",
            f"--link=account/{other.id}")
    assert r.rc == 0, r
    iid = int(r.out.strip())
    i = ok(get(w, "sal", "interaction", iid)).record.interaction
    assert i.contact_id == ada.id and i.account_id == 0, i
    assert links_of(i) == [("participant", "contact", bob.id), ("participant", "user", "sal2"),
                           ("related", "account", other.id)], i.links
    assert {l.name for l in i.links} == {"Babbage", "", "Other"}, i.links
    shown = show(w, "sal", "interaction", iid)
    assert len(shown["links"]) == 3, shown
    on = lambda t, rid: [x.record_id for x in ok(w.do("sal", "timeline_list", type=t, id=rid,
                                                      kinds=["meeting"])).timeline_list.items]
    assert on("contact", bob.id) == [iid] and on("contact", ada.id) == [iid]
    assert on("account", other.id) == [iid] and on("account", acme.id) == [iid]
    r = ok(w.do("sal", "timeline_list", type="contact", id=bob.id, kinds=["meeting"], total=True))
    assert r.timeline_list.total == 1, r
    # the links follow the interaction's time on the timeline
    ok(update(w, "sal", iid, i.meta.version, "interaction", occurred_at=now_us() - 86400 * US))
    assert su_sql(w.env, w.db, f"SELECT count(*) FROM crm.record_links l JOIN crm.interactions i"
                                f" ON i.id = l.record_id WHERE l.at <> i.occurred_at") == "0"
    # bad input: no such user, a link without an id
    r = cli(w, "sal", "interaction", "add", "--kind", "call", "--subject", "X", "--participant", "nobody")
    assert r.rc == exit_code(NOT_FOUND) and "nobody" in r.err, r
    r = cli(w, "sal", "interaction", "add", "--kind", "call", "--subject", "X", "--link", "account")
    assert r.rc == USAGE, r


def test_a_link_to_a_record_the_user_cannot_see_is_not_found(world):
    w = world
    hidden = contact(w, "root", owner="mgr", family_name="Hidden")
    hidden_acct = account(w, "root", owner="mgr", name="Hidden")
    mine = contact(w, "sal", family_name="Mine")
    before = su_sql(w.env, w.db, "SELECT count(*) FROM crm.records")
    for link, rid in (({"target_type": b"contact", "target_id": hidden.id}, hidden.id),
                      ({"target_type": b"account", "target_id": hidden_acct.id}, hidden_acct.id),
                      ({"target_type": b"account", "target_id": 999999999}, 999999999)):
        r = w.do("sal", "record_create", record={"interaction": {"kind": "INTERACTION_KIND_CALL",
                                                                  "subject": b"X", "contact_id": mine.id}},
                 links=[link])
        status(r, NOT_FOUND, "record_create.links")
        assert str(rid) in r.status.message, r.status.message
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.records") == before  # nothing half-written
    r = cli(w, "sal", "interaction", "add", "--kind", "call", "--subject", "X", "--contact", str(mine.id),
            "--contact", str(hidden.id))
    assert r.rc == exit_code(NOT_FOUND), r
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.record_links") == "0"
    # the second layer: crm_app writing the link itself, for sal
    iid = interaction(w, "sal", contact_id=mine.id).meta.id
    r = app_sql(w.env, w.db, session_sql(w, "sal", f"INSERT INTO crm.record_links (record_id, record_type, kind,"
                                                   f" target_type, target_id, at) VALUES ({iid}, 'interaction',"
                                                   f" 'participant', 'contact', {hidden.id}, now());"),
                check=False)
    assert r.returncode != 0, r
    # nor a link on an interaction sal may not edit, to a contact sal may read
    theirs = interaction(w, "root", subject="Root's").meta.id
    r = app_sql(w.env, w.db, session_sql(w, "sal", f"INSERT INTO crm.record_links (record_id, record_type, kind,"
                                                   f" target_type, target_id, at) VALUES ({theirs}, 'interaction',"
                                                   f" 'participant', 'contact', {mine.id}, now());"),
                check=False)
    assert r.returncode != 0, r
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.record_links") == "0"


def test_a_reader_who_cannot_see_a_linked_contact_does_not_see_that_link(world):
    w = world
    ada = contact(w, "sal", family_name="Lovelace")
    secret = contact(w, "root", family_name="Secret")
    ok(w.do("root", "record_share", type="contact", id=secret.id, user="sal", access="ACCESS_READ"))
    r = ok(w.do("sal", "record_create", record={"interaction": {"kind": "INTERACTION_KIND_CALL",
                                                                 "subject": b"Both", "contact_id": ada.id}},
                links=[{"target_type": b"contact", "target_id": secret.id}]))
    iid = r.record.interaction.meta.id
    assert links_of(r.record.interaction) == [("participant", "contact", secret.id)]
    # sal2 is shared the interaction and Ada, not the secret contact
    ok(w.do("sal", "record_share", type="interaction", id=iid, user="sal2", access="ACCESS_READ"))
    ok(w.do("sal", "record_share", type="contact", id=ada.id, user="sal2", access="ACCESS_READ"))
    i = ok(get(w, "sal2", "interaction", iid)).record.interaction
    assert i.subject == b"Both" and list(i.links) == [], i
    assert ok(get(w, "sal", "interaction", iid)).record.interaction.links[0].target_id == secret.id
    # the secret contact's timeline: root sees the interaction
    items = ok(w.do("root", "timeline_list", type="contact", id=secret.id, kinds=["call"])).timeline_list.items
    assert [x.record_id for x in items] == [iid]
    # purging the linked contact removes the link
    ok(w.do("root", "record_purge", type="contact", id=secret.id))
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.record_links") == "0"
