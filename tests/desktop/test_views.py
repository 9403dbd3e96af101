"""crm-desktop's generic record views (desk-views) against a real crmd and
PostgreSQL over TLS (the integration fixtures of tests/integration):

- test_paged_model_and_meta runs test_desk_views (C, no display): the
  metadata cache, the paged model to the 10,000th row and past the count
  to the end, far pages dropped and fetched again by their kept cursors,
  a sort, a filter and the quick filter's prefix asked of the server;
- the accounts are bulk-loaded as the superuser (as BULK_AUDIT in
  tests/integration/test_audit.py): more than the server counts (10,000).
"""

import json
import os
import subprocess
import time

import pytest

from conftest import fixtures
from desk import Desktop, has_text, nodes, screenshot

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

def test_list_sort_filter_record(crmd, bulk, tmp_path):
    pytest.importorskip("pyatspi")
    pytest.importorskip("dogtail.rawinput")
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
    s = Desktop(xdg, hooks=True)
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
        screenshot("views-01-accounts")

        # to the 10,000th row: End in the list walks the pages to it (looked
        # for in the list, its last rows first)
        s.click(s.find("label", f"Bulk {FIRST_ID + 1}", exact=True))
        s.raw.pressKey("End")
        s.wait_text(f"Bulk {FIRST_ID + 9_999}", timeout=60, under=table, last_first=True)
        screenshot("views-02-row-10000")

        # on past the count to the last row, scrolled as the benchmark does
        # (the adjustment, 2,400 px a frame): the list grows as the view
        # reaches its end (GTK 4.8's view asked for no appended row, and
        # the list stopped at 10,200)
        s.action("test-bench-scroll", f"{N_ACCOUNTS - 20} 2400")
        done = fixtures.wait_for(lambda: [l for l in s.stderr().splitlines()
                                          if l.startswith("bench-scroll:")], 90, 0.2,
                                 "the scroll to the end")
        rows = int(done[-1].split("rows=")[1].split()[0])
        assert rows >= N_ACCOUNTS - 20, done
        s.wait_text(f"Bulk {FIRST_ID + N_ACCOUNTS - 1}", timeout=30, under=table,
                    last_first=True)
        s.raw.pressKey("Home")

        # a sortable header: the server's order by name, descending on the
        # second click
        header = s.find("label", "Name", exact=True, under=table)
        s.click(header)
        s.click(header)
        s.wait_text("Zetb", timeout=30)
        screenshot("views-03-sorted")

        # the quick filter (Ctrl+F): names starting with the text
        s.raw.keyCombo("<Control>f")
        s.type_into("entry", "Quick filter", "Zeta")
        s.wait_text("3 records")
        s.wait_no_text("Zetb")
        screenshot("views-04-filtered")

        # a record: its fields by label, its relationship, its history
        s.click(s.find("label", "Zeta Three", exact=True), double=True)
        s.find("label", "Relationships")
        s.wait_text("https://zeta3.example")
        s.wait_text("Ada Zed")
        s.wait_text("update by admin")
        s.wait_text("create by admin")
        screenshot("views-05-record")
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
        assert "last-type=account" in text, text
        s.quit()

        # the next start reopens the list its user had open last, without
        # a click, with the columns chosen (Name hidden by the toggle above)
        s = Desktop(xdg)
        table = s.find("tree table", "Records", exact=True)
        s.find("label", "Legal name", exact=True, under=table)
        s.wait_text("prospect", under=table)
        s.wait_text("More than 10")
        assert not has_text(table, f"Bulk {FIRST_ID}")
        screenshot("views-06-reopened")
        s.quit()

        # a type the user may no longer read is not reopened: the sidebar
        # without it, no list
        su(crmd, "UPDATE crm.permissions SET scope = 'none' WHERE role = 'admin' "
                 "AND record_type = 'account' AND action = 'read'")
        try:
            s = Desktop(xdg)
            s.find("list item", "Contacts")
            s.wait_no_text("prospect", timeout=10)
            assert not [n for n in nodes(s.app)
                        if n.getRoleName() == "list item" and n.name == "Accounts"]
            assert not [n for n in nodes(s.app)
                        if n.getRoleName() == "tree table" and n.name == "Records"]
            screenshot("views-07-unreadable-not-reopened")
            s.quit()
        finally:
            su(crmd, "UPDATE crm.permissions SET scope = 'all' WHERE role = 'admin' "
                     "AND record_type = 'account' AND action = 'read'")
    except BaseException:
        s.keep_failure("views-failed")
        raise
    finally:
        s.close()
