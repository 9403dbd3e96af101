"""crm-desktop's generic record views (desk-views) against a real crmd and
PostgreSQL over TLS (the integration fixtures of tests/integration):

- test_paged_model_and_meta runs test_desk_views (C, no display): the
  metadata cache, the paged model to the 10,000th row and past the count
  to the end, far pages dropped and fetched again by their kept cursors,
  a sort, a filter and the quick filter's prefix asked of the server;
- the accounts are bulk-loaded as the superuser (as BULK_AUDIT in
  tests/integration/test_audit.py): more than the server counts (10,000).
"""

import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

_NAME = "crm_integration_fixtures"
if _NAME in sys.modules:
    fixtures = sys.modules[_NAME]
else:
    _PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                         "conftest.py")
    _spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    fixtures = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = fixtures
    _spec.loader.exec_module(fixtures)

env = fixtures.env
db = fixtures.db
crmd_factory = fixtures.crmd_factory
crmd = fixtures.crmd

N_ACCOUNTS = 10_450   # past the server's count (10,000) by two pages and some
FIRST_ID = 4_000_001

BULK_ACCOUNTS = """
SET session_replication_role = replica;  -- a bulk load of records: no triggers
INSERT INTO crm.records (id, record_type)
SELECT g, 'account' FROM generate_series({first}, {last}) g;
INSERT INTO crm.accounts (id, owner_id, team_id, name, created_at, updated_at)
SELECT g, u.id, u.team_id, 'Bulk ' || g, now(), now()
FROM generate_series({first}, {last}) g, crm.users u WHERE u.username = '{admin}';
INSERT INTO crm.records (id, record_type) VALUES ({last} + 1, 'account'), ({last} + 2, 'account'),
    ({last} + 3, 'account');
INSERT INTO crm.accounts (id, owner_id, team_id, name, created_at, updated_at)
SELECT {last} + k, u.id, u.team_id, n, now(), now()
FROM (VALUES (1, 'Zeta One'), (2, 'zeta two'), (3, 'Zetb')) v(k, n), crm.users u
WHERE u.username = '{admin}';
SET session_replication_role = origin;
ANALYZE;
"""


def su(crmd, sql):
    return crmd.env.pg.sql(sql, db=crmd.db)


@pytest.fixture
def bulk(crmd):
    su(crmd, BULK_ACCOUNTS.format(first=FIRST_ID, last=FIRST_ID + N_ACCOUNTS - 1,
                                  admin=fixtures.ADMIN_USER))
    n = int(su(crmd, "SELECT count(*) FROM crm.accounts WHERE deleted_at IS NULL"))
    assert n > 10_000
    return n


def test_paged_model_and_meta(crmd, bulk):
    exe = os.path.join(fixtures.BUILD_DIR, "tests", "desktop", "test_desk_views")
    assert os.path.exists(exe), f"{exe} is not built"
    desc = su(crmd, "SELECT string_agg(name, '|') FROM (SELECT name FROM crm.accounts "
                    "WHERE deleted_at IS NULL ORDER BY name COLLATE crm.names DESC, id DESC "
                    "LIMIT 2) q")
    # names compare by collation (numbers by value): a prefix of letters
    prefix = "Zeta"
    count = su(crmd, f"SELECT count(*) FROM crm.accounts WHERE deleted_at IS NULL "
                     f"AND name COLLATE crm.names >= '{prefix}' "
                     f"AND name COLLATE crm.names < '{prefix[:-1]}{chr(ord(prefix[-1]) + 1)}'")
    assert int(count) == 2
    one_id = FIRST_ID + 123
    env = dict(os.environ, CRM_TEST_SERVER=f"127.0.0.1:{crmd.port}", CRM_TEST_CA=crmd.ca,
               CRM_TEST_USER=fixtures.ADMIN_USER, CRM_TEST_PASSWORD=crmd.env.admin_password,
               CRM_TEST_N_ACCOUNTS=str(bulk), CRM_TEST_DESC_FIRST=desc,
               CRM_TEST_PREFIX=prefix, CRM_TEST_PREFIX_COUNT=count,
               CRM_TEST_ONE_NAME=f"bulk {one_id}",  # names match ignoring case
               CRM_TEST_ONE_ID=str(one_id), HOME=crmd.env.base,
               XDG_CONFIG_HOME=os.path.join(crmd.env.base, "desk-config"))
    r = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}"


# --------------------------------------------------------------- the views on screen
# crm-desktop under Xvfb (run this file inside xvfb-run and dbus-run-session,
# as tests/desktop/views.cmake does), driven through the accessibility tree.

DESKTOP = os.path.join(fixtures.BUILD_DIR, "client", "desktop", "crm-desktop")
ARTIFACTS = os.environ.get("CRM_ARTIFACTS_DIR") or os.path.join(
    fixtures.BUILD_DIR, "tests", "desktop", "artifacts")


def nodes(root, depth=0):
    if depth > 60:
        return
    yield root
    for i in range(root.childCount):
        try:
            child = root.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            yield from nodes(child, depth + 1)


def texts(app):
    """Every name and label text in the tree."""
    out = []
    for n in nodes(app):
        try:
            if n.name:
                out.append(n.name)
            if n.getRoleName() == "label":
                t = n.queryText()
                out.append(t.getText(0, t.characterCount))
        except Exception:
            pass
    return out


class Screen:
    """The running desktop, found on the accessibility bus."""

    def __init__(self, xdg, pyatspi, rawinput):
        self.pyatspi, self.raw = pyatspi, rawinput
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(XDG_CONFIG_HOME=xdg, HOME=xdg, GTK_A11Y="atspi", LANGUAGE="en",
                   LC_ALL="C.UTF-8")
        self.err_path = os.path.join(xdg, "desktop.stderr")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([DESKTOP], env=env, stdout=self.err, stderr=self.err)
        self.app = fixtures.wait_for(self._app, 20, 0.2, "crm-desktop on the a11y bus")

    def _app(self):
        assert self.proc.poll() is None, f"crm-desktop exited: {open(self.err_path).read()}"
        for app in self.pyatspi.Registry.getDesktop(0):
            if app is not None and app.name == "crm-desktop" and app.childCount > 0:
                return app
        return None

    def find(self, role, name, timeout=20, exact=False, under=None):
        def look():
            for n in nodes(under or self.app):
                try:
                    # (GTK 4.8 reports no "showing" state: the first match)
                    if n.getRoleName() == role and (
                            n.name == name if exact else name in (n.name or "")):
                        return n
                except Exception:
                    pass
            return None
        return fixtures.wait_for(look, timeout, 0.2, f"{role} '{name}'")

    def wait_text(self, part, timeout=20):
        return fixtures.wait_for(lambda: any(part in t for t in texts(self.app)), timeout, 0.2,
                                 f"text '{part}'")

    def wait_no_text(self, part, timeout=20):
        return fixtures.wait_for(lambda: not any(part in t for t in texts(self.app)), timeout,
                                 0.2, f"no text '{part}'")

    def click(self, node, double=False):
        # GTK 4.8's AT-SPI sometimes answers late while a long list is
        # rebuilt: ask again rather than fail on the bus's timeout
        for attempt in range(3):
            try:
                x, y, w, h = node.queryComponent().getExtents(self.pyatspi.DESKTOP_COORDS)
                break
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(1)
        (self.raw.doubleClick if double else self.raw.click)(x + w // 2, y + h // 2)
        time.sleep(0.3)

    def type_into(self, role, name, text, enter=False):
        self.click(self.find(role, name))
        self.raw.keyCombo("<Control>a")
        self.raw.typeText(text)
        if enter:
            self.raw.pressKey("Return")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def screenshot(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"views-{name}.png")
    time.sleep(0.5)
    subprocess.run(["import", "-window", "root", path], check=True, timeout=20)
    colours = subprocess.run(["identify", "-format", "%k", path], check=True,
                             capture_output=True, text=True, timeout=20).stdout
    assert int(colours) > 16, f"{path} looks blank ({colours} colours)"


def test_list_sort_filter_record(crmd, bulk, tmp_path):
    pyatspi = pytest.importorskip("pyatspi")
    rawinput = pytest.importorskip("dogtail.rawinput")
    if not os.environ.get("DISPLAY"):
        pytest.skip("no display: run under xvfb-run (tests/desktop/views.cmake)")
    # a record with history and a relationship, made the ordinary way
    crmd.crm_login()
    r = crmd.crm("account", "add", "--name", "Zeta Three", "--website", "https://z3.example",
                 "--format", "json")
    assert r.rc == 0, r
    acc = json.loads(r.out)["id"]
    r = crmd.crm("account", "edit", str(acc), "--website", "https://zeta3.example")
    assert r.rc == 0, r
    r = crmd.crm("contact", "add", "--given-name", "Ada", "--family-name", "Zed",
                 "--account", str(acc))
    assert r.rc == 0, r

    xdg = str(tmp_path / "xdg")
    os.makedirs(os.path.join(xdg, "crm"), mode=0o700)
    with open(os.path.join(xdg, "crm", "config"), "w") as f:
        f.write(f"ca = {crmd.ca}\n")
    s = Screen(xdg, pyatspi, rawinput)
    try:
        s.type_into("text", "Server address", f"localhost:{crmd.port}", enter=True)
        s.type_into("text", "User name", fixtures.ADMIN_USER)
        s.type_into("text", "Password", crmd.env.admin_password, enter=True)
        s.click(s.find("list item", "Accounts"))

        # the list: columns from the field list, the server's count
        table = s.find("tree table", "Records", exact=True)
        s.find("label", "Legal name", exact=True, under=table)
        s.wait_text("More than 10")  # 10,000 or 10000, as the locale groups
        s.wait_text("000 records")
        s.wait_text(f"Bulk {FIRST_ID}")
        screenshot("01-accounts")

        # to the 10,000th row: End in the list walks the pages to it
        s.click(s.find("label", f"Bulk {FIRST_ID + 1}", exact=True))
        s.raw.pressKey("End")
        s.wait_text(f"Bulk {FIRST_ID + 9_999}", timeout=60)
        screenshot("02-row-10000")

        # a sortable header: the server's order by name, descending on the
        # second click
        header = s.find("label", "Name", exact=True, under=table)
        s.click(header)
        s.click(header)
        s.wait_text("Zetb", timeout=30)
        screenshot("03-sorted")

        # the quick filter (Ctrl+F): names starting with the text
        s.raw.keyCombo("<Control>f")
        s.type_into("entry", "Quick filter", "Zeta")
        s.wait_text("3 records")
        s.wait_no_text("Zetb")
        screenshot("04-filtered")

        # a record: its fields by label, its relationship, its history
        s.click(s.find("label", "Zeta Three", exact=True), double=True)
        s.find("label", "Relationships")
        s.wait_text("https://zeta3.example")
        s.wait_text("Ada Zed")
        s.wait_text("update by admin")
        s.wait_text("create by admin")
        screenshot("05-record")
        # Back: the list as it was
        s.click(s.find("push button", "Back", exact=True))
        s.wait_no_text("Relationships")  # the page is gone
        s.wait_text("3 records")

        # the column choice, remembered per user and type beside the config
        # file (GTK 4.8 keeps popovers out of the accessibility tree: the
        # keyboard toggles a check in the Columns menu)
        s.click(s.find("push button", "Columns"))
        time.sleep(0.5)
        s.raw.pressKey("Tab")
        s.raw.pressKey("space")
        views = os.path.join(xdg, "crm", "desktop-views")
        fixtures.wait_for(lambda: os.path.exists(views), 10, 0.2, "desktop-views")
        text = open(views).read()
        assert f"[{fixtures.ADMIN_USER}/account]" in text, text
        line = [x for x in text.splitlines() if x.startswith("columns=")][0]
        assert line != "columns=name;legal_name;type;individual;industry;region;", text
        s.raw.pressKey("Escape")
    except BaseException:
        # what the screen had, for the failure's report
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "views-failed-tree.txt"), "w") as f:
            for n in nodes(s.app):
                try:
                    f.write(f"{n.getRoleName()} {n.name!r}\n")
                except Exception:
                    pass
        subprocess.run(["import", "-window", "root",
                        os.path.join(ARTIFACTS, "views-failed.png")], timeout=20)
        raise
    finally:
        s.close()
