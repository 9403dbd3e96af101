"""crm-desktop's record actions (CrmRecordActions): delete, restore,
reassign and share from a record page, through the accessibility tree
(the helpers of test_desktop.py), against a real crmd and PostgreSQL.
Every outcome is checked where it lands: the database (SQL as the
superuser) or the `crm` CLI as another user.

- test_delete_restore_reassign_share: the admin deletes an account from
  its page (deleted_at set), finds it under Deleted in the list and
  restores it (deleted_at cleared), reassigns it by the keyboard
  (Ctrl+Shift+O) first to a user who does not exist (the server's words
  in the dialog, nothing changed) then, with its contacts, to a sales rep
  (the owner of the account and its contact in the database, and on the
  page), shares it with another user (the share in
  the database; that user can now read it with `crm`) and removes the
  share again;
- test_delete_denied: a sales rep reads an account shared with her but
  may delete only her own: the Delete key and the confirmation give the
  denied message on the page, and the database is unchanged.
- test_action_dialogs_in_chinese: the same dialogs with LANGUAGE=zh_CN:
  the delete confirmation, reassign (the server's refusal in Chinese) and
  share (the share made through the Chinese dialog lands in the
  database), each found by its Chinese heading and controls.

Screenshots: $CRM_ARTIFACTS_DIR/actions-*.png."""

import json
import os
import time

import pytest

from conftest import fixtures
from desk import ARTIFACTS, Desktop, has_text, nodes, screenshot, screenshot_window
from test_desktop import desktop_env  # noqa: F401 (a fixture)

pyatspi = pytest.importorskip("pyatspi")
rawinput = pytest.importorskip("dogtail.rawinput")

PASSWORD = "pw-actions-" + os.urandom(4).hex()


@pytest.fixture(autouse=True)
def quick_input():
    """dogtail waits 1 s after each click and 0.1 s after each key: less
    here (the test waits for what it expects anyway), restored after."""
    from dogtail.config import config
    saved = config.actionDelay, config.typingDelay
    config.actionDelay, config.typingDelay = 0.2, 0.03
    yield
    config.actionDelay, config.typingDelay = saved
DENIED = "You are not allowed to do this"


class Desk(Desktop):
    """desk.py's Desktop, plus whole names and clicks."""

    def find_exact(self, role, name, timeout=15, root=None):
        """A control named name, drawn (its size not zero). GTK 4.8 names
        a button with a label by its accessible label, then the label's
        text ("Share Share…", "_Delete Delete" in a dialog)."""
        def named(n):
            if n.getRoleName() != role:
                return False
            got = (n.name or "").replace("_", "")
            labels = [c for c in n if c is not None and c.getRoleName() == "label"]
            return got == name or any(got == f"{name} {c.name}" for c in labels)

        def drawn(n):
            x, y, w, h = n.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            return w > 0 and h > 0

        def look():
            for n in nodes(root or self.app):
                try:
                    if named(n) and drawn(n):
                        return n
                except Exception:
                    pass
            return None
        try:
            return fixtures.wait_for(look, timeout, 0.2, f"{role} named '{name}'")
        except AssertionError:
            self.dump()
            raise

    def dump(self):
        """The accessibility tree, for a failure's report."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "actions-failed-tree.txt"), "w") as f:
            for w in self.app:
                for n in nodes(w):
                    try:
                        f.write(f"{n.getRoleName()} {n.name!r}\n")
                    except Exception:
                        pass

    def click(self, node, double=False):
        x, y, w, h = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        (rawinput.doubleClick if double else rawinput.click)(x + w // 2, y + h // 2)
        time.sleep(0.3)

    def dialog(self, heading_start, timeout=15):
        """The dialog (a window of its own) whose heading starts so."""
        return fixtures.wait_for(
            lambda: next((w for w in self.app if w is not None and
                          (w.name or "").startswith(heading_start)), None),
            timeout, 0.2, f"the dialog '{heading_start}…'")

    def wait_no_text(self, part, timeout=15):
        fixtures.wait_for(lambda: not has_text(self.app, part), timeout, 0.2, f"no text '{part}'")

    def no_dialog(self, heading_start, timeout=15):
        fixtures.wait_for(lambda: not [w for w in self.app if w is not None and
                                       (w.name or "").startswith(heading_start)],
                          timeout, 0.2, f"the dialog '{heading_start}…' closed")

    def login(self, crmd, user, password):
        self.type_into("text", "User name", user)
        self.type_into("text", "Password", password, enter=True)
        self.click(self.find("list item", "Accounts", timeout=20))

    def open_record(self, name):
        self.click(self.find_exact("label", name, timeout=20), double=True)
        self.find("label", "Relationships")


def su(crmd, sql):
    return crmd.env.pg.sql(sql, db=crmd.db)


def account(crmd, name):
    r = crmd.crm("account", "add", "--name", name, "--format", "json")
    assert r.rc == 0, r
    return json.loads(r.out)["id"]


def add_user(crmd, name, role="sales", team="Sales"):
    r = crmd.crm("user", "add", name, "--role", role, "--team", team, "--password-stdin",
                 input=PASSWORD + "\n")
    assert r.rc == 0, r


def as_user(crmd, user, *args):
    """`crm` as user, with a config directory of its own."""
    home = os.path.join(crmd.dir, "cli-" + user)
    run = lambda *a, **kw: fixtures.run_crm(*a, server=f"127.0.0.1:{crmd.port}", ca=crmd.ca,
                                            home=home, **kw)
    if not os.path.exists(home):
        os.makedirs(home)
        r = run("login", user, "--password-stdin", input=PASSWORD + "\n")
        assert r.rc == 0, r
    return run(*args)


def start(crmd, desktop_env, language="en"):
    xdg = desktop_env["xdg"]
    with open(os.path.join(xdg, "crm", "config"), "w") as f:
        f.write(f"server = localhost:{crmd.port}\nca = {crmd.ca}\n")
    desk = desktop_env["desk"] = Desk(xdg, hooks=True, language=language)
    return desk


def deleted(crmd, acc):
    return su(crmd, f"SELECT deleted_at IS NOT NULL FROM crm.accounts WHERE id = {acc}")


def test_delete_restore_reassign_share(crmd, desktop_env):
    crmd.crm_login()
    assert crmd.crm("team", "add", "Sales").rc == 0
    add_user(crmd, "rep")
    add_user(crmd, "pat")
    acc = account(crmd, "Acme Actions")
    r = crmd.crm("contact", "add", "--given-name", "Ada", "--family-name", "Zed",
                 "--account", str(acc), "--format", "json")
    assert r.rc == 0, r
    ada = json.loads(r.out)["id"]
    r = as_user(crmd, "pat", "account", "show", str(acc))
    assert r.rc != 0, r  # pat's role reads only pat's own accounts
    desk = start(crmd, desktop_env)
    desk.login(crmd, fixtures.ADMIN_USER, crmd.env.admin_password)

    # delete from the page, after a confirmation naming the record
    desk.open_record("Acme Actions")
    desk.click(desk.find_exact("push button", "Delete"))
    d = desk.dialog("Delete “Acme Actions”")
    screenshot("actions-01-delete-confirm")
    desk.click(desk.find_exact("push button", "Delete", root=d))
    fixtures.wait_for(lambda: deleted(crmd, acc) == "t", 15, 0.2, "deleted_at set")
    desk.wait_text("This record is deleted")
    screenshot("actions-02-deleted")

    # the list, asked again, no longer has it; its Deleted toggle lists
    # it, to open and restore it
    desk.click(desk.find_exact("push button", "Back"))
    desk.wait_text("0 records")
    desk.click(desk.find_exact("push button", "Show deleted records"))
    desk.wait_text("1 record")
    desk.open_record("Acme Actions")
    desk.wait_text("This record is deleted")
    desk.click(desk.find_exact("push button", "Restore"))
    fixtures.wait_for(lambda: deleted(crmd, acc) == "f", 15, 0.2, "deleted_at cleared")
    desk.wait_text("restore by admin")  # the page again, with its history
    desk.wait_no_text("This record is deleted")
    screenshot("actions-03-restored")

    # reassign by the keyboard: an unknown user first (the server's words
    # in the dialog, asked again), then a sales rep
    rawinput.keyCombo("<Control><Shift>o")
    d = desk.dialog("Reassign “Acme Actions”")
    desk.type_into("text", "New owner", "nobody", enter=True, under=d)
    desk.wait_text("no active user named nobody")  # asked again, with why
    d = desk.dialog("Reassign “Acme Actions”")
    screenshot("actions-04-reassign-unknown")
    assert su(crmd, f"SELECT u.username FROM crm.accounts a JOIN crm.users u "
                    f"ON u.id = a.owner_id WHERE a.id = {acc}") == fixtures.ADMIN_USER
    # with its contacts (an account's choice)
    desk.click(desk.find_exact("check box", "Also move its contacts", root=d))
    desk.type_into("text", "New owner", "rep", enter=True, under=d)
    fixtures.wait_for(lambda: su(crmd, f"SELECT u.username FROM crm.accounts a JOIN crm.users u "
                                       f"ON u.id = a.owner_id WHERE a.id = {acc}") == "rep",
                      15, 0.2, "rep owns the account")
    assert su(crmd, f"SELECT u.username FROM crm.contacts c JOIN crm.users u "
                    f"ON u.id = c.owner_id WHERE c.id = {ada}") == "rep"
    desk.wait_text("reassign by admin")
    desk.find_exact("label", "rep")  # the Owner row's value
    screenshot("actions-05-reassigned")

    # share with pat: the share is there, and pat reads the account
    desk.click(desk.find_exact("push button", "Share"))
    d = desk.dialog("Share “Acme Actions”")
    desk.wait_text("Not shared with anyone")
    desk.type_into("text", "User or team to share with", "pat", enter=True, under=d)
    desk.find_exact("push button", "Remove the share of pat", root=d)
    screenshot("actions-06-shared")
    assert su(crmd, f"SELECT u.username || ' ' || s.access FROM crm.shares s JOIN crm.users u "
                    f"ON u.id = s.user_id WHERE s.record_id = {acc}") == "pat read"
    r = as_user(crmd, "pat", "account", "show", str(acc))
    assert r.rc == 0 and "Acme Actions" in r.out, r
    # a user who does not exist: the server's words in the dialog
    desk.type_into("text", "User or team to share with", "nobody", enter=True, under=d)
    desk.wait_text("no user named nobody")
    assert su(crmd, f"SELECT count(*) FROM crm.shares WHERE record_id = {acc}") == "1"
    # and removed again
    desk.click(desk.find_exact("push button", "Remove the share of pat", root=d))
    fixtures.wait_for(lambda: su(crmd, f"SELECT count(*) FROM crm.shares "
                                       f"WHERE record_id = {acc}") == "0", 15, 0.2, "no share")
    desk.wait_no_text("Remove the share of pat")
    desk.click(desk.find_exact("push button", "Close", root=d))
    desk.no_dialog("Share “Acme Actions”")
    desk.wait_text("reassign by admin")  # the page, open again
    desk.quit()


def test_delete_denied(crmd, desktop_env):
    crmd.crm_login()
    assert crmd.crm("team", "add", "Sales").rc == 0
    add_user(crmd, "vic")
    acc = account(crmd, "Denied Co")
    r = crmd.crm("share", f"account/{acc}", "--user", "vic", "--access", "edit")
    assert r.rc == 0, r
    desk = start(crmd, desktop_env)
    desk.login(crmd, "vic", PASSWORD)
    desk.open_record("Denied Co")
    # the Delete key on the page, then the confirmation
    rawinput.pressKey("Delete")
    d = desk.dialog("Delete “Denied Co”")
    desk.click(desk.find_exact("push button", "Delete", root=d))
    desk.wait_text(DENIED, timeout=20)
    screenshot("actions-07-denied")
    assert deleted(crmd, acc) == "f"
    desk.find_exact("push button", "Back")  # the page stays usable
    desk.quit()


def test_action_dialogs_in_chinese(crmd, desktop_env):
    crmd.crm_login()
    assert crmd.crm("team", "add", "Sales").rc == 0
    add_user(crmd, "rep")
    acc = account(crmd, "华东贸易 East Trading")
    desk = start(crmd, desktop_env, language="zh_CN")
    desk.type_into("text", "用户名", fixtures.ADMIN_USER)
    desk.type_into("text", "密码", crmd.env.admin_password, enter=True)
    desk.click(desk.find("list item", "客户", timeout=20))
    desk.click(desk.find_exact("label", "华东贸易 East Trading", timeout=20), double=True)
    desk.find("label", "关系")

    # the delete confirmation, in Chinese; Escape keeps the record
    rawinput.pressKey("Delete")
    d = desk.dialog("删除“华东贸易 East Trading”")
    desk.find_exact("push button", "取消(C)", root=d)  # its mnemonic shown
    screenshot_window("actions-zh-01-delete-confirm", "删除“华东贸易 East Trading”？")
    rawinput.pressKey("Escape")
    desk.no_dialog("删除“华东贸易 East Trading”")
    assert deleted(crmd, acc) == "f"

    # reassign to a user who does not exist: the server's refusal in Chinese
    rawinput.keyCombo("<Control><Shift>o")
    d = desk.dialog("转交“华东贸易 East Trading”")
    desk.type_into("text", "新负责人", "nobody", enter=True, under=d)
    desk.wait_text("没有名为 nobody 的有效用户")
    d = desk.dialog("转交“华东贸易 East Trading”")
    screenshot_window("actions-zh-02-reassign-unknown", "转交“华东贸易 East Trading”")
    rawinput.pressKey("Escape")
    desk.no_dialog("转交“华东贸易 East Trading”")
    assert su(crmd, f"SELECT u.username FROM crm.accounts a JOIN crm.users u "
                    f"ON u.id = a.owner_id WHERE a.id = {acc}") == fixtures.ADMIN_USER

    # share with rep through the Chinese dialog: the share is in the database
    desk.click(desk.find_exact("push button", "共享"))
    d = desk.dialog("共享“华东贸易 East Trading”")
    desk.wait_text("未与任何人共享")
    desk.type_into("text", "要共享给的用户或团队", "rep", enter=True, under=d)
    desk.find_exact("push button", "移除与 rep 的共享", root=d)
    screenshot_window("actions-zh-03-shared", "共享“华东贸易 East Trading”")
    assert su(crmd, f"SELECT u.username || ' ' || s.access FROM crm.shares s JOIN crm.users u "
                    f"ON u.id = s.user_id WHERE s.record_id = {acc}") == "rep read"
    rawinput.pressKey("Escape")
    desk.no_dialog("共享“华东贸易 East Trading”")
    desk.quit()
