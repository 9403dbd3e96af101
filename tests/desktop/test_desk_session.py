"""crm-desktop's session and the user's profile (desk-locale), against a
real crmd and PostgreSQL over TLS (the integration fixtures):

- test_profile_display_and_logout runs test_desk_session (C, no display,
  CrmConn and crm_display as the desktop uses them): a user whose profile
  says Asia/Shanghai and zh-CN logs in; the session file keeps the locale
  for the next start; a record's created_at shows in +08:00 and its
  employees and annual revenue with zh_CN's separators while its id stays
  plain; Log Out sends Logout: the session row is revoked in the database
  and the old token no longer resumes;
- test_next_start_speaks_the_profile_language starts crm-desktop under
  Xvfb (when there) with that session file: the interface is Chinese
  before anything is asked of the server, the record page shows the
  values as above; an explicit LANGUAGE=en still wins.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import crmd, crmd_factory, db, env, fixtures  # noqa: F401 (fixtures)
from desk import screenshot

ZONE, LOCALE = "Asia/Shanghai", "zh-CN"


def su(crmd, sql):
    return crmd.env.pg.sql(sql, db=crmd.db)


@pytest.fixture
def profile(crmd):
    """The admin's profile in Shanghai and Chinese, and an account with a
    count and an amount; returns (account id, created_at as Shanghai
    shows it)."""
    crmd.crm_login()
    r = crmd.crm("user", "edit", fixtures.ADMIN_USER, "--time-zone", ZONE, "--locale", LOCALE)
    assert r.rc == 0, r
    r = crmd.crm("account", "add", "--name", "Shanghai Trading", "--employees", "12500",
                 "--annual-revenue", "1250000.50 EUR", "--format", "json")
    assert r.rc == 0, r
    acc = json.loads(r.out)["id"]
    created = su(crmd, f"SELECT to_char(created_at AT TIME ZONE '{ZONE}', 'YYYY-MM-DD HH24:MI') "
                       f"FROM crm.accounts WHERE id = {acc}")
    utc = su(crmd, f"SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
                   f"FROM crm.accounts WHERE id = {acc}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", created), created
    assert created != utc  # +08:00 is not UTC
    return acc, created


def run_session_test(crmd, acc, created, session_file):
    exe = os.path.join(fixtures.BUILD_DIR, "tests", "desktop", "test_desk_session")
    assert os.path.exists(exe), f"{exe} is not built"
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("CRM_", "LC_", "LANG"))}
    e.update(CRM_TEST_SERVER=f"127.0.0.1:{crmd.port}", CRM_TEST_CA=crmd.ca,
             CRM_TEST_USER=fixtures.ADMIN_USER, CRM_TEST_PASSWORD=crmd.env.admin_password,
             CRM_TEST_SESSION_FILE=session_file, CRM_TEST_ACCOUNT_ID=str(acc),
             CRM_TEST_ZONE=ZONE, CRM_TEST_LOCALE=LOCALE, CRM_TEST_CREATED=created,
             CRM_TEST_EMPLOYEES="12,500", CRM_TEST_REVENUE="1,250,000.50 EUR",
             LANG="C.UTF-8", TZ="UTC", HOME=crmd.env.base,
             XDG_CONFIG_HOME=os.path.join(crmd.env.base, "desk-config"))
    r = subprocess.run([exe], env=e, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}"
    m = re.search(r"^token=(\S+)$", r.stdout, re.M)
    assert m, r.stdout
    return m.group(1)


def test_profile_display_and_logout(crmd, profile, tmp_path):
    acc, created = profile
    token = run_session_test(crmd, acc, created, str(tmp_path / "desktop-session"))
    # Logout reached crmd: the session is revoked, its token resumes nothing
    rows = su(crmd, "SELECT count(*), count(*) FILTER (WHERE s.revoked_at IS NULL) "
                    "FROM crm.sessions s JOIN crm.users u ON u.id = s.user_id "
                    f"WHERE u.username = '{fixtures.ADMIN_USER}' "
                    "AND s.client_name LIKE 'crm-desktop/%'")
    assert rows == "1|0", f"the desktop's session (all|live): {rows}"
    with fixtures.Conn(crmd.port, crmd.ca) as c:
        r = c.resume(token)
        assert r.status.code == fixtures.UNAUTHENTICATED, r


# --------------------------------------------------------------- the next start, on screen

def start(xdg, **lang):
    """The desktop with no language settings in its environment but
    LANG=C.UTF-8 and TZ=UTC, and those given."""
    from desk import Desktop
    return Desktop(xdg, language=None, TZ="UTC", **lang)


def test_next_start_speaks_the_profile_language(crmd, profile, tmp_path):
    pyatspi = pytest.importorskip("pyatspi")
    rawinput = pytest.importorskip("dogtail.rawinput")
    if not os.environ.get("DISPLAY"):
        pytest.skip("no display: run under xvfb-run (tests/desktop/CMakeLists.txt)")
    acc, created = profile
    xdg = str(tmp_path / "xdg")
    os.makedirs(os.path.join(xdg, "crm"), mode=0o700)
    with open(os.path.join(xdg, "crm", "config"), "w") as f:
        f.write(f"server = localhost:{crmd.port}\nca = {crmd.ca}\n")
    session = os.path.join(xdg, "crm", "desktop-session")

    # first start: nothing known of the user yet, English (LANG=C.UTF-8)
    s = start(xdg)
    try:
        s.type_into("text", "User name", fixtures.ADMIN_USER)
        s.type_into("text", "Password", crmd.env.admin_password, enter=True)
        s.wait_text("Choose a Record Type")
        fixtures.wait_for(lambda: os.path.exists(session), 10, 0.2, "desktop-session")
        assert re.search(r"^locale = zh-CN$", open(session).read(), re.M)
    finally:
        s.close()

    # the next start: Chinese before the server is asked, values as the
    # profile has them
    s = start(xdg)
    try:
        s.wait_text("选择一种记录类型")
        s.find("label", "记录类型")
        s.click(s.find("list item", "客户"))  # the type's label, from the catalog
        s.click(s.find("label", "Shanghai Trading", exact=True), double=True)
        s.wait_text("12,500")
        s.wait_text("1,250,000.50 EUR")
        s.wait_text(created)
        screenshot("session-zh-record")
    finally:
        s.close()

    # an explicit LANGUAGE wins over the profile
    s = start(xdg, LANGUAGE="en")
    try:
        s.wait_text("Choose a Record Type")
    finally:
        s.close()
