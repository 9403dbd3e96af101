"""crm-desktop's record page: the timeline (CrmTimeline) and the
attachments (CrmAttachments) of docs/desktop.md, "Timeline and
attachments", under Xvfb through the accessibility tree against a real
crmd and PostgreSQL. What the desktop did is checked where it lands: the
server (the `crm` CLI, SQL as the superuser) and the files written.

- test_timeline_kinds_show_more: an account with 29 notes and a call
  made through `crm interaction add` (the call in the user's profile time
  zone, Asia/Shanghai); the page shows the newest 25 items, the call
  first, with its time in that zone; Show More brings the rest (the
  oldest note, the account's creation) and goes; the kind filter "Calls"
  leaves the call only; an interaction added meanwhile through `crm`
  appears when a pushed change of the record says so.
- test_attach_save_delete: a file of several chunks dropped on the page
  (the test hook app.test-drop-files: the drop's own code from there on)
  is on the server with its SHA-256; saved back (app.test-save-attachment,
  Save As without the dialog) it is the same bytes; Open writes the file
  under a sanitised name inside the cache folder (a name from the server
  with '/', '..' and a bidi override); Delete asks first: Cancel keeps it,
  Delete removes it on the server and from the page.
- test_history_in_chinese: the same page in Simplified Chinese.

Screenshots: $CRM_ARTIFACTS_DIR/history-*.png (docs/img/desktop-30-timeline.png,
desktop-31-attachments.png and desktop-zh-05-history.png are taken from them)."""

import hashlib
import json
import os
import time

import pytest

from conftest import fixtures
from desk import screenshot
from test_actions import account, su
from test_desktop import desktop_env  # noqa: F401 (a fixture)
from test_live import start

pyatspi = pytest.importorskip("pyatspi")
rawinput = pytest.importorskip("dogtail.rawinput")

ZONE = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def quick_input():
    from dogtail.config import config
    saved = config.actionDelay, config.typingDelay
    config.actionDelay, config.typingDelay = 0.2, 0.03
    yield
    config.actionDelay, config.typingDelay = saved


def interaction(crmd, acc, kind, subject, at):
    r = crmd.crm("interaction", "add", "--kind", kind, "--subject", subject, "--account",
                 str(acc), "--at", at)
    assert r.rc == 0, r
    return int(r.out.strip())


def open_page(desk, name):
    """The account's page, watched (pushed changes of it come)."""
    desk.click(desk.find("list item", "Accounts", timeout=20))
    desk.open_record(name)
    desk.find("label", "Timeline", timeout=20)
    desk.click(desk.find_exact("push button", "Watch"))
    desk.find_exact("push button", "Stop watching", timeout=15)


def begin(crmd, desktop_env, **kw):
    """The desktop as the admin, its cache in the test's folder."""
    cache = os.path.join(desktop_env["xdg"], ".cache")
    return start(crmd, desktop_env, XDG_CACHE_HOME=cache, **kw)


def into_view(desk, node, top=False, back="Back"):
    """The wheel over the page until node is on the screen (what is below
    the fields is not at first; a click needs it there); top: until it is
    near the page's top (for a screenshot), or the page's end."""
    bx, by, bw, bh = desk.find_exact("push button", back).queryComponent().getExtents(
        pyatspi.DESKTOP_COORDS)
    wx, wy, ww, wh = desk.app.getChildAtIndex(0).queryComponent().getExtents(
        pyatspi.DESKTOP_COORDS)
    last = None
    for _ in range(80):
        x, y, w, h = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        if y < by + bh + 10:
            rawinput.click(bx + 300, by + 250, 4)
        elif y + h > wy + wh - 20 or (top and y > by + bh + 200 and y != last):
            rawinput.click(bx + 300, by + 250, 5)
        else:
            break
        last = y
        time.sleep(0.1)
    time.sleep(0.3)
    return node


def choose_kind(desk, n):
    """The kind filter's entry n (0 every kind, 1 calls, ...), by the
    keyboard: the drop-down opens at the chosen entry."""
    desk.click(into_view(desk, desk.find("combo box", "Timeline kind")))
    time.sleep(0.5)
    for _ in range(n):
        rawinput.pressKey("Down")
    rawinput.pressKey("Return")


def press(node):
    node.queryAction().doAction(0)
    time.sleep(0.3)


def stderr_line(desk, prefix, timeout=30):
    def look():
        for line in desk.stderr().splitlines():
            if line.startswith(prefix):
                return line[len(prefix):]
        return None
    return fixtures.wait_for(look, timeout, 0.2, f"'{prefix}' from the desktop")


def attachments(crmd, acc):
    r = crmd.crm("attach", "list", f"account/{acc}", "--format", "json")
    assert r.rc == 0, r
    return json.loads(r.out)


def test_timeline_kinds_show_more(crmd, desktop_env):
    crmd.crm_login()
    assert crmd.crm("user", "edit", fixtures.ADMIN_USER, "--time-zone", ZONE).rc == 0
    acc = account(crmd, "History Co")
    for i in range(1, 30):
        interaction(crmd, acc, "note", f"Note {i:02d}", f"2026-02-{(i % 28) + 1:02d}T08:00:00Z"
                    if i < 28 else f"2026-03-0{i - 27}T07:00:00Z")
    interaction(crmd, acc, "call", "Called about the offer", "2026-03-01T09:30:00+01:00")
    desk = begin(crmd, desktop_env)
    open_page(desk, "History Co")

    # the newest first: the call, at 16:30 in Shanghai (08:30 UTC)
    desk.find_exact("label", "Called about the offer", timeout=20)
    desk.wait_text("2026-03-01 16:30")
    # 25 a page: the oldest note and the account's creation wait for Show More
    desk.wait_no_text("Note 01")
    more = into_view(desk, desk.find_exact("push button", "Show More"))
    into_view(desk, desk.find("combo box", "Timeline kind"), top=True)
    screenshot("history-01-timeline")
    press(more)
    desk.find_exact("label", "Note 01", timeout=20)
    fixtures.wait_for(lambda: not has_drawn(desk, "push button", "Show More"), 20, 0.3,
                      "Show More gone at the end")

    # one kind: calls
    choose_kind(desk, 1)  # Calls
    desk.wait_no_text("Note 27")
    desk.find_exact("label", "Called about the offer")
    screenshot("history-02-calls")

    # a pushed change of the record (another program renames it): the page
    # asks again, and a call logged meanwhile shows (the filter kept)
    interaction(crmd, acc, "call", "Second call", "2026-03-02T10:00:00Z")
    assert crmd.crm("account", "edit", str(acc), "--website", "https://history.example").rc == 0
    desk.find_exact("label", "Second call", timeout=20)
    desk.wait_no_text("Note 27")
    desk.quit()


def has_drawn(desk, role, name):
    try:
        desk.find_exact(role, name, timeout=0.5)
        return True
    except AssertionError:
        return False


def test_attach_save_delete(crmd, desktop_env, tmp_path):
    crmd.crm_login()
    acc = account(crmd, "Files Co")
    data = os.urandom(700 * 1024 + 13)  # three chunks of 256 KiB
    src = tmp_path / "offer.pdf"
    src.write_bytes(data)
    desk = begin(crmd, desktop_env)
    open_page(desk, "Files Co")
    desk.wait_text("No attachments")

    # dropped on the page: uploaded in chunks, committed, listed
    desk.action("test-drop-files", str(src))
    assert stderr_line(desk, "test-upload: ") == "ok offer.pdf"
    desk.find_exact("label", "offer.pdf", timeout=20)
    (a,) = attachments(crmd, acc)
    assert a["name"] == "offer.pdf" and a["size"] == len(data), a
    assert a["content_type"] == "application/pdf", a
    assert a["sha256"] == hashlib.sha256(data).hexdigest(), a
    # the timeline follows (an attachment's audit entry is a change of the record)
    into_view(desk, desk.find_exact("push button", "Attach File…"), top=True)
    screenshot("history-03-attachments")

    # saved back: the same bytes
    out = tmp_path / "saved.pdf"
    desk.action("test-save-attachment", f"{a['id']} {out}")
    assert stderr_line(desk, "test-save-attachment: ") == f"ok {out}"
    assert out.read_bytes() == data
    assert not [f for f in os.listdir(tmp_path) if f.startswith("saved.pdf.")]

    # a hostile name from the server: Open writes inside the cache folder
    # under a sanitised name (no '/', no leading dot, no bidi override)
    evil = tmp_path / "evil.txt"
    evil.write_bytes(b"evil\n")
    r = crmd.crm("attach", "put", f"account/{acc}", str(evil), "--name", "../../x.txt")
    assert r.rc == 0, r
    evil_id = next(x["id"] for x in attachments(crmd, acc) if x["name"] != "offer.pdf")
    # crmd refuses a bidi control in a name; a row written past it (an older
    # server, a restored dump) is what the desktop must still survive
    su(crmd, f"UPDATE crm.attachments SET name = '../../x' || U&'\\202E' || 'txt.exe' "
       f"WHERE id = {evil_id}")
    r = crmd.crm("account", "edit", str(acc), "--website", "https://files.example")
    assert r.rc == 0, r  # a pushed change: the list is asked again
    shown = "_._.._x_txt.exe"  # the leading dot, the slashes and U+202E each "_"
    # (find, not find_exact: that one drops underscores, a mnemonic's mark)
    desk.find("label", shown, timeout=20)
    press(desk.find("push button", f"Open “{shown}”"))
    path = stderr_line(desk, "test-open-attachment: ok ")
    cache = os.path.join(desktop_env["xdg"], ".cache", "crm-desktop", "attachments",
                         str(evil_id))
    assert os.path.dirname(path) == cache, path
    assert os.path.basename(path) == shown, path
    assert open(path, "rb").read() == b"evil\n"

    # Delete asks; Cancel keeps it
    press(desk.find_exact("push button", "Delete “offer.pdf”"))
    d = desk.dialog("Delete “offer.pdf”?")
    desk.wait_text("removed from this record")
    screenshot("history-04-delete-asks")
    press(desk.find("push button", "Cancel", under=d))
    desk.no_dialog("Delete “offer.pdf”?")
    assert len(attachments(crmd, acc)) == 2
    # Delete removes it on the server and from the page
    press(desk.find_exact("push button", "Delete “offer.pdf”"))
    d = desk.dialog("Delete “offer.pdf”?")
    press(desk.find("push button", "Delete", under=d))
    fixtures.wait_for(lambda: len(attachments(crmd, acc)) == 1, 20, 0.3, "the deletion")
    # (the History part still names it: the audit trail keeps the name)
    fixtures.wait_for(lambda: not has_drawn(desk, "push button", "Delete “offer.pdf”"), 20,
                      0.3, "the row gone")
    assert su(crmd, f"SELECT count(*) FROM crm.attachments WHERE id = {a['id']}") == "0"
    desk.quit()


def test_history_in_chinese(crmd, desktop_env, tmp_path):
    crmd.crm_login()
    assert crmd.crm("user", "edit", fixtures.ADMIN_USER, "--time-zone", ZONE).rc == 0
    acc = account(crmd, "上海光圈科技有限公司")
    interaction(crmd, acc, "call", "电话沟通报价", "2026-03-01T09:30:00+01:00")
    interaction(crmd, acc, "meeting", "上门拜访", "2026-03-03T02:00:00Z")
    f = tmp_path / "报价单.txt"
    f.write_text("报价\n")
    assert crmd.crm("attach", "put", f"account/{acc}", str(f)).rc == 0
    desk = begin(crmd, desktop_env, language="zh_CN")
    desk.click(desk.find("list item", "客户", timeout=20))
    desk.click(desk.find_exact("label", "上海光圈科技有限公司", timeout=20), double=True)
    desk.find("label", "时间线", timeout=20)
    desk.find_exact("label", "电话沟通报价", timeout=20)
    desk.find_exact("label", "报价单.txt")
    desk.wait_text("通话")
    desk.find_exact("push button", "附加文件…")
    into_view(desk, desk.find_exact("push button", "附加文件…"), top=True, back="返回")
    screenshot("history-zh-05-history")
    desk.quit()
