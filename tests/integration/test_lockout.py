"""Lockout without locking anyone out (issue 10 part 2): failures are
throttled per (user, client address), so an attacker's wrong passwords
lock only the attacker's address out of that user; guessing spread over
many addresses is capped per user per hour, except for addresses that
logged in as that user in the last 30 days; reaching the cap is logged
and audited. Client addresses come from PROXY v2 headers of a trusted
proxy (loopback here), as behind HAProxy.

Before sql/0005, test_wrong_passwords_from_one_address_do_not_lock_others_out
failed: five wrong passwords from anywhere locked the user out everywhere."""

import re

import pytest

from conftest import OK, RESOURCE_EXHAUSTED, UNAUTHENTICATED, Conn
from identity import SMALL, audit_rows, make_world, ok, rq, status, su_sql
from test_proxy import proxy_v2


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def behind_proxy(w, crmd_factory, **cfg):
    t = crmd_factory(**SMALL, trusted_proxies="127.0.0.0/8", **cfg)

    def connect(addr):
        return Conn(t.port, t.ca, preamble=proxy_v2(addr, 40000))
    return t, connect


def attempt(conn, user, pw):
    return rq(conn, "login", username=user, password=pw)


def test_wrong_passwords_from_one_address_do_not_lock_others_out(world, crmd_factory):
    w = world
    t, connect = behind_proxy(w, crmd_factory, login_max_failures="3", login_lockout_max="60s")
    attacker = connect("198.51.100.7")
    for i in range(5):
        r = attempt(attacker, "root", f"guess-{i}-password")
        assert r.status.code in (UNAUTHENTICATED, RESOURCE_EXHAUSTED), r
    # The attacker's address is locked out of root, even with the password...
    r = status(attempt(attacker, "root", w.pw["root"]), RESOURCE_EXHAUSTED)
    assert "this address" in r.status.message, r.status.message
    # ...root, from an address without failures, logs in.
    ok(attempt(connect("203.0.113.5"), "root", w.pw["root"]), "root from elsewhere")
    # And the attacker's address may still log in as somebody else.
    ok(attempt(connect("198.51.100.7"), "sal", w.pw["sal"]), "another user from that address")
    rows = audit_rows(w.env, w.db, "action = 'login_failed' AND client_addr = '198.51.100.7'")
    assert rows and all(r["username"] == "root" for r in rows), rows


def test_guessing_spread_over_addresses_is_capped_per_user(world, crmd_factory):
    w = world
    t, connect = behind_proxy(w, crmd_factory, login_max_failures="3",
                              login_user_hourly_cap="6")
    ok(attempt(connect("192.0.2.10"), "sal", w.pw["sal"]), "sal's usual address")
    for i in range(6):  # one guess per address: no pair is ever locked
        status(attempt(connect(f"198.51.100.{20 + i}"), "sal", "a-wrong-password"),
               UNAUTHENTICATED, what=f"guess {i + 1}")
    # At the cap, an unfamiliar address is refused before any hashing,
    # even with the right password...
    r = status(attempt(connect("203.0.113.99"), "sal", w.pw["sal"]), RESOURCE_EXHAUSTED,
               what="right password from a new address at the cap")
    assert "not logged in from" in r.status.message, r.status.message
    m = re.search(r"(\d+) s", r.status.message)
    assert m and 3000 < int(m.group(1)) <= 3600, r.status.message
    # ...the address sal logged in from keeps working, and other users too.
    ok(attempt(connect("192.0.2.10"), "sal", w.pw["sal"]), "sal from a known address")
    ok(attempt(connect("203.0.113.99"), "sup", w.pw["sup"]), "another user, new address")
    # Reaching the cap warned once in crmd's log and in the audit trail,
    # where an administrator sees it.
    assert len(re.findall(r"WARN.*user sal reached login_user_hourly_cap", t.log())) == 1, t.log()
    capped = audit_rows(w.env, w.db, "action = 'login_capped'")
    assert [(r["username"], r["record_id"]) for r in capped] == [("sal", w.uid["sal"])], capped
    admin = connect("192.0.2.50")
    ok(attempt(admin, "root", w.pw["root"]))
    entries = ok(rq(admin, "audit_list", page={"limit": 50})).audit_list.entries
    assert any(e.action == "login_capped" and e.username == "sal" for e in entries), entries


def test_failed_logins_carry_the_attempted_username(world):
    w = world
    c = w.connect()
    status(rq(c, "login", username="Sal", password="not-the-password"), UNAUTHENTICATED)
    status(rq(c, "login", username="ghost", password="not-the-password"), UNAUTHENTICATED)
    rows = audit_rows(w.env, w.db, "action = 'login_failed'")
    assert [(r["username"], r["user_id"]) for r in rows[-2:]] == [("sal", None), ("ghost", None)], rows
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.audit WHERE action = 'login_failed'"
                               " AND username IS NULL") == "0"
