"""`crm`'s tables in the user's time zone and the locale's number format,
against a real crmd: times in the profile's time zone (crm.users.time_zone,
which the Login and Resume replies carry), else in TZ's; counts and money
with the separators of LC_NUMERIC / LC_MONETARY; --format json and csv
stay UTC and exact whatever the zone and the locale."""

import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import zoneinfo

import pytest

# The locales the tests read separators from, built from glibc's sources
# (Debian's `locales` package) into a private LOCPATH, so the machine needs
# none of them generated.
LOCALES = ("en_US", "de_DE", "zh_CN")


@pytest.fixture(scope="module")
def locpath(tmp_path_factory):
    assert shutil.which("localedef"), "localedef (Debian package locales) is needed"
    d = tmp_path_factory.mktemp("locales")
    for name in LOCALES:
        # exit 1 means warnings only; the locale is written all the same
        subprocess.run(["localedef", "-i", name, "-f", "UTF-8", str(d / f"{name}.UTF-8")],
                       capture_output=True, timeout=120)
        assert (d / f"{name}.UTF-8").is_dir(), name
    return str(d)


def _add_account(crmd):
    r = crmd.crm("account", "add", "--name", "Huaxia Trading", "--employees", "1250000",
                 "--annual-revenue", "1250000.00 EUR")
    assert r.rc == 0, r
    return r.out.strip()


def _utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def test_times_in_the_profile_zone_else_tz(crmd, tmp_path):
    crmd.crm_login()
    aid = _add_account(crmd)
    doc = json.loads(crmd.crm("--format", "json", "account", "show", aid).out)
    created = _utc(doc["created_at"])

    # The profile says UTC (the default): that wins over TZ.
    r = crmd.crm("account", "show", aid, env={"TZ": "America/New_York"})
    assert r.rc == 0, r
    assert created.strftime("%Y-%m-%d %H:%M:%S UTC") in r.out, r.out

    r = crmd.crm("user", "edit", "admin", "--time-zone", "Asia/Shanghai")
    assert r.rc == 0, r
    shanghai = created.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    r = crmd.crm("account", "show", aid, env={"TZ": "America/New_York"})
    assert r.rc == 0, r
    assert shanghai.strftime("%Y-%m-%d %H:%M:%S CST") in r.out, r.out
    r = crmd.crm("account", "list", env={"TZ": "Europe/Berlin", "COLUMNS": "200"})
    assert r.rc == 0, r
    updated = _utc(doc["updated_at"]).astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert updated.strftime("%Y-%m-%d %H:%M:%S CST") in r.out, r.out

    # JSON and CSV stay UTC.
    r = crmd.crm("--format", "json", "account", "show", aid, env={"TZ": "America/New_York"})
    assert json.loads(r.out)["created_at"] == doc["created_at"], r.out
    r = crmd.crm("--format", "csv", "account", "show", aid, env={"TZ": "America/New_York"})
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[1][rows[0].index("created_at")] == doc["created_at"], r.out

    # A zone this machine's tzdata lacks: TZ's zone (a POSIX rule, three
    # hours east, that needs no tzdata) instead.
    empty = tmp_path / "no-zoneinfo"
    empty.mkdir()
    r = crmd.crm("account", "show", aid, env={"TZDIR": str(empty), "TZ": "XYZ-3"})
    assert r.rc == 0, r
    east = created + datetime.timedelta(hours=3)
    assert east.strftime("%Y-%m-%d %H:%M:%S XYZ") in r.out, r.out
    assert "CST" not in r.out, r.out


def _field(out, name):
    """The value of a field in `show`'s key/value table."""
    m = re.search(rf"^{name}\s+(.*)$", out, re.M)
    assert m, (name, out)
    return m.group(1).strip()


def test_numbers_and_money_follow_the_locale(crmd, locpath):
    crmd.crm_login()
    aid = _add_account(crmd)
    want = {"en_US": ("1,250,000", "1,250,000.00 EUR"),
            "zh_CN": ("1,250,000", "1,250,000.00 EUR"),
            "de_DE": ("1.250.000", "1.250.000,00 EUR"),
            "C": ("1250000", "1250000.00 EUR")}
    for loc, (employees, revenue) in want.items():
        env = {"LOCPATH": locpath, "LC_ALL": loc if loc == "C" else f"{loc}.UTF-8"}
        r = crmd.crm("account", "show", aid, env=env)
        assert r.rc == 0, r
        assert _field(r.out, "employees") == employees, (loc, r.out)
        assert _field(r.out, "annual_revenue") == revenue, (loc, r.out)
        assert _field(r.out, "id") == aid and _field(r.out, "version") == "1", (loc, r.out)
    # LC_MONETARY and LC_NUMERIC are read apart.
    r = crmd.crm("account", "show", aid,
                 env={"LOCPATH": locpath, "LC_NUMERIC": "de_DE.UTF-8", "LC_MONETARY": "en_US.UTF-8"})
    assert _field(r.out, "employees") == "1.250.000", r.out
    assert _field(r.out, "annual_revenue") == "1,250,000.00 EUR", r.out

    # JSON and CSV stay exact in any locale.
    env = {"LOCPATH": locpath, "LC_ALL": "de_DE.UTF-8"}
    doc = json.loads(crmd.crm("--format", "json", "account", "show", aid, env=env).out)
    assert doc["employees"] == 1250000, doc
    assert doc["annual_revenue"] == {"amount": "1250000.00", "currency": "EUR"}, doc
    r = crmd.crm("--format", "csv", "account", "show", aid, env=env)
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[1][rows[0].index("employees")] == "1250000", r.out
    assert json.loads(rows[1][rows[0].index("annual_revenue")])["amount"] == "1250000.00", r.out


def test_numbers_follow_the_profile_locale_unless_the_environment_names_one(crmd, locpath):
    # the profile's locale (crm.users.locale) gives the separators, as in
    # crm-desktop; LANG alone does not override it, LC_ALL / LC_NUMERIC /
    # LC_MONETARY do
    crmd.crm_login()
    aid = _add_account(crmd)
    r = crmd.crm("user", "edit", "admin", "--locale", "de-DE")
    assert r.rc == 0, r
    crmd.crm_login()  # the session file keeps the profile locale
    env = {"LOCPATH": locpath, "LANG": "C.UTF-8", "LC_ALL": None, "LC_NUMERIC": None,
           "LC_MONETARY": None}
    r = crmd.crm("account", "show", aid, env=env)
    assert r.rc == 0, r
    assert _field(r.out, "employees") == "1.250.000", r.out
    assert _field(r.out, "annual_revenue") == "1.250.000,00 EUR", r.out
    r = crmd.crm("account", "show", aid, env=dict(env, LC_NUMERIC="C.UTF-8"))
    assert _field(r.out, "employees") == "1250000", r.out
    assert _field(r.out, "annual_revenue") == "1250000.00 EUR", r.out
    # JSON stays exact
    doc = json.loads(crmd.crm("--format", "json", "account", "show", aid, env=env).out)
    assert doc["employees"] == 1250000, doc
