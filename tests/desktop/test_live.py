"""crm-desktop and the server's pushed change events (docs/desktop.md,
"Live updates"; docs/events.md), under Xvfb through the accessibility
tree against a real crmd and PostgreSQL. The desktop runs as the admin;
another user ("ops", with the `crm` CLI in a config directory of its own)
changes records meanwhile.

- test_live_page_list_edit_notification: Watch on an account's page (the
  watch in crm.watches); ops renames it: the page shows the new name with
  no user action, and the desktop sends a notification naming ops (seen
  through the test hooks' report of what went to
  g_application_send_notification, with its open action); the admin's own
  change through `crm` reloads the page but sends none; back in the list,
  ops renames it again and the row shows it; an edit in progress keeps
  what was typed when ops changes the record, and the notice appears;
  the notification's action (app.open-record) opens the record's page.
- test_reminder_and_my_tasks: a reminder falling due gives a notification;
  My Tasks lists the admin's tasks due today and overdue, not someone
  else's nor a done one; Complete makes a task leave the list and the
  server's record say done; a task ops changed since it was listed is a
  version conflict, shown with the form's conflict dialog, and Merge and
  save completes it.

Screenshots: $CRM_ARTIFACTS_DIR/live-*.png."""

import json
import os
import re
import time

import pytest

from conftest import fixtures
from desk import screenshot
from test_actions import Desk, as_user, account, add_user, su
from test_desktop import desktop_env  # noqa: F401 (a fixture)
from test_forms import find_exact, type_exact

pyatspi = pytest.importorskip("pyatspi")
rawinput = pytest.importorskip("dogtail.rawinput")


@pytest.fixture(autouse=True)
def quick_input():
    from dogtail.config import config
    saved = config.actionDelay, config.typingDelay
    config.actionDelay, config.typingDelay = 0.2, 0.03
    yield
    config.actionDelay, config.typingDelay = saved


def start(crmd, desktop_env, **kw):
    xdg = desktop_env["xdg"]
    with open(os.path.join(xdg, "crm", "config"), "w") as f:
        f.write(f"server = localhost:{crmd.port}\nca = {crmd.ca}\n")
    desk = desktop_env["desk"] = Desk(xdg, hooks=True, **kw)
    zh = kw.get("language") == "zh_CN"
    desk.type_into("text", "用户名" if zh else "User name", fixtures.ADMIN_USER)
    desk.type_into("text", "密码" if zh else "Password", crmd.env.admin_password, enter=True)
    return desk


def notifications(desk):
    """What the desktop sent as notifications so far (the hooks' report):
    dicts with id, title, body, action, target."""
    out = []
    for line in desk.stderr().splitlines():
        if line.startswith("test-notification: "):
            out.append(json.loads(line[len("test-notification: "):]))
    return out


def wait_notification(desk, pred, what, timeout=20):
    return fixtures.wait_for(lambda: next((n for n in notifications(desk) if pred(n)), None),
                             timeout, 0.2, f"the notification {what}")


def text_of(node):
    t = node.queryText()
    return t.getText(0, t.characterCount)


def ops_user(crmd):
    """ops: a second administrator, who may change the admin's records."""
    assert crmd.crm("team", "add", "Sales").rc == 0
    add_user(crmd, "ops", role="admin", team="Sales")


def test_live_page_list_edit_notification(crmd, desktop_env):
    crmd.crm_login()
    ops_user(crmd)
    acc = account(crmd, "Live Co")
    other = account(crmd, "Bystander Co")
    desk = start(crmd, desktop_env)
    desk.click(desk.find("list item", "Accounts", timeout=20))
    desk.find_exact("label", "Bystander Co", timeout=20)

    # Watch from the record page
    desk.open_record("Live Co")
    desk.click(desk.find_exact("push button", "Watch"))
    desk.find_exact("push button", "Stop watching", timeout=15)
    assert su(crmd, f"SELECT count(*) FROM crm.watches WHERE record_id = {acc}") == "1"

    # ops renames it: the page shows it by itself, and a notification says who
    r = as_user(crmd, "ops", "account", "edit", str(acc), "--name", "Live Co Renamed")
    assert r.rc == 0, r
    desk.find_exact("label", "Live Co Renamed", timeout=20)
    n = wait_notification(desk, lambda n: "Live Co Renamed" in n["title"], "of ops' change")
    assert "ops" in n["body"], n
    assert n["action"] == "app.open-record" and n["target"] == f"account/{acc}", n
    screenshot("live-01-page-updated")

    # the admin's own change (another program, same user): the page follows,
    # no notification
    seen = len(notifications(desk))
    r = crmd.crm("account", "edit", str(acc), "--website", "https://own.example")
    assert r.rc == 0, r
    desk.wait_text("https://own.example", timeout=20)
    time.sleep(2)
    assert len(notifications(desk)) == seen, notifications(desk)

    # the list: a row changed by ops shows its new value, no reload by hand
    desk.click(desk.find_exact("push button", "Back"))
    desk.find_exact("label", "Bystander Co", timeout=20)
    r = as_user(crmd, "ops", "account", "edit", str(acc), "--name", "Live Co Third")
    assert r.rc == 0, r
    desk.find_exact("label", "Live Co Third", timeout=20)
    desk.wait_no_text("Live Co Renamed")
    screenshot("live-02-list-updated")

    # an edit in progress is kept; the notice says someone else changed it
    desk.open_record("Live Co Third")
    desk.click(desk.find_exact("push button", "Edit"))
    find_exact(desk, "text", "Employees", timeout=20)
    type_exact(desk, "Employees", "77")
    r = as_user(crmd, "ops", "account", "edit", str(acc), "--website", "https://ops.example")
    assert r.rc == 0, r
    desk.wait_text("Changed by someone else since you opened it", timeout=20)
    assert text_of(find_exact(desk, "text", "Employees")) == "77"
    screenshot("live-03-edit-kept")
    # saving now goes through the conflict dialog; merging keeps both
    rawinput.keyCombo("<Control>s")
    desk.find("push button", "Merge and save", timeout=20).queryAction().doAction(0)
    fixtures.wait_for(lambda: su(crmd, f"SELECT employees FROM crm.accounts WHERE id = {acc}")
                      == "77", 20, 0.3, "the merged save")
    assert su(crmd, f"SELECT website FROM crm.accounts WHERE id = {acc}") == "https://ops.example"

    # the notification's action opens the record, from another list
    desk.click(desk.find_exact("push button", "Back", timeout=20))
    desk.click(desk.find("list item", "Contacts"))
    desk.wait_text("0 records", timeout=20)
    desk.action("open-record", f"account/{other}")
    desk.find_exact("push button", "Edit", timeout=20)
    desk.find_exact("label", "Bystander Co", timeout=20)
    desk.find("label", "Relationships")
    desk.quit()


def iso(seconds):
    """An instant seconds from now, as crm takes it."""
    from datetime import datetime, timedelta, timezone
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat(
        timespec="seconds")


def task(run, subject, due, assignee="admin", *extra):
    r = run("task", "add", "--subject", subject, "--due", iso(due), "--assignee", assignee,
            *extra, "--format", "json")
    assert r.rc == 0, r
    return json.loads(r.out)["id"]


def status(crmd, tid):
    return su(crmd, f"SELECT status FROM crm.tasks WHERE id = {tid}")


def test_reminder_and_my_tasks(crmd, desktop_env):
    crmd.crm_login()
    ops_user(crmd)
    ops = lambda *a: as_user(crmd, "ops", *a)  # noqa: E731
    offer = task(ops, "Send the offer", 120)
    visit = task(ops, "Plan the visit", 3 * 86400)
    task(ops, "Ops own task", 3600, "ops")
    done = task(ops, "Already done", 3600, "admin", "--status", "done")
    desk = start(crmd, desktop_env)
    desk.find("list item", "My Tasks", timeout=20)

    # a reminder falling due, for a task ops assigns meanwhile: both told
    call = task(ops, "Call Ada back", 3, "admin", "--remind", iso(3))
    n = wait_notification(desk, lambda n: n["title"] == "Call Ada back", "of the assignment")
    assert n["body"] == "Assigned to you by ops", n
    n = wait_notification(desk, lambda n: n["title"] == "Reminder: Call Ada back",
                          "of the reminder", timeout=30)
    assert n["body"].startswith("Due "), n
    assert n["target"] == f"task/{call}", n

    # My Tasks: overdue, today, this week; not ops' task nor a done one
    time.sleep(1)  # "Call Ada back" is overdue now
    desk.click(desk.find("list item", "My Tasks"))
    for subject in ("Call Ada back", "Send the offer", "Plan the visit"):
        desk.find_exact("label", subject, timeout=20)
    for label in ("Overdue", "Today", "This Week"):
        desk.find_exact("label", label)
    desk.wait_no_text("Ops own task")
    desk.wait_no_text("Already done")
    screenshot("live-04-my-tasks")

    # Complete: the row goes, the server's record says done
    desk.click(desk.find_exact("push button", "Complete “Send the offer”"))
    fixtures.wait_for(lambda: status(crmd, offer) == "done", 20, 0.2, "the task done")
    desk.wait_no_text("Send the offer")
    assert status(crmd, visit) == "open" and status(crmd, done) == "done"

    # changed by ops since it was listed: the form's conflict dialog; merged
    r = ops("task", "edit", str(visit), "--priority", "high")
    assert r.rc == 0, r
    desk.click(desk.find_exact("push button", "Complete “Plan the visit”"))
    desk.wait_text("since you opened it", timeout=20)
    screenshot("live-05-complete-conflict")
    desk.find("push button", "Merge and save", timeout=20).queryAction().doAction(0)
    fixtures.wait_for(lambda: status(crmd, visit) == "done", 20, 0.2, "the merged completion")
    assert su(crmd, f"SELECT priority FROM crm.tasks WHERE id = {visit}") == "high"
    desk.find_exact("label", "My Tasks", timeout=20)
    desk.wait_no_text("Plan the visit")
    desk.find_exact("label", "Call Ada back")
    desk.quit()


def test_my_tasks_and_watch_in_chinese(crmd, desktop_env):
    """My Tasks and the Watch button in Simplified Chinese (the catalog's
    texts through the accessibility tree; a screenshot kept)."""
    crmd.crm_login()
    task(crmd.crm, "给客户回电话", 600)
    account(crmd, "上海光圈科技有限公司")
    desk = start(crmd, desktop_env, language="zh_CN")
    desk.click(desk.find("list item", "我的任务", timeout=20))
    desk.find_exact("label", "给客户回电话", timeout=20)
    desk.find_exact("label", "今天")
    desk.find_exact("label", "已逾期")
    desk.find_exact("push button", "完成“给客户回电话”")
    screenshot("live-zh-01-my-tasks")
    desk.click(desk.find_exact("list item", "客户"))
    desk.click(desk.find_exact("label", "上海光圈科技有限公司", timeout=20), double=True)
    desk.click(desk.find_exact("push button", "关注", timeout=20))
    desk.find_exact("push button", "停止关注", timeout=15)
    screenshot("live-zh-02-watching")
    desk.quit()
