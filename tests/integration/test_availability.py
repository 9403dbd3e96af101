"""Availability against clients that never log in and against frames that
cost much to decode: the authentication deadline after hello
(auth_timeout), the per-address cap on connections that have not logged in
(max_preauth_per_address), and the bound on what a frame may cost the I/O
thread before it is refused.

Loopback accepts any 127/8 source address, so 127.0.0.1 plays the attacker
and 127.0.0.2 someone else (Conn's `source`)."""

import multiprocessing
import os
import re
import socket
import ssl
import struct
import threading
import time

from conftest import (INVALID_ARGUMENT, OK, RESOURCE_EXHAUSTED, UNAUTHENTICATED, Closed, Conn,
                      pb, varint)
from test_proxy import proxy_v2

ATTACKER, OTHER = "127.0.0.1", "127.0.0.2"
REFUSED = (ssl.SSLError, OSError, Closed, TimeoutError)


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def ping_latencies(conn, n, max_seconds=30):
    out = []
    end = time.monotonic() + max_seconds
    for _ in range(n):
        if out and time.monotonic() > end:
            break
        t0 = time.perf_counter()
        r = conn.ping(timeout=10)
        out.append((time.perf_counter() - t0) * 1000.0)
        assert r.status.code == OK, r.status
    return out


def serve_under(victim, load, rounds=4, n=100):
    """Pings `victim` without and with `load` running, in alternating rounds
    so that the machine's own load weighs on both alike. Every ping must be
    answered OK (the outcome these tests assert). Returns (idle p99, loaded
    p99) in ms: a figure, not a verdict. Latency is a benchmark's business
    (tests/bench/run reports these two ratios against their target, 2x);
    under a sanitizer or beside other tests a sub-millisecond p99 says
    nothing. With CRM_BENCH_REPORT set, one line per call is appended to
    that file for the benchmark to print."""
    idle, loaded = [], []
    ping_latencies(victim, 30)  # warm up
    for _ in range(rounds):
        idle += ping_latencies(victim, n)
        load.resume()
        loaded += ping_latencies(victim, n, max_seconds=5)
        load.pause()
    return p99(idle), p99(loaded)


def bench_report(name, idle_p99, loaded_p99):
    path = os.environ.get("CRM_BENCH_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(f"{name} {idle_p99:.3f} {loaded_p99:.3f}\n")


class Load:
    """`body(load)` run in a forked process (its own interpreter lock: a
    thread would delay our pings on the client side). The body works while
    load.running() says so and returns when load.stop is set."""

    def __init__(self, body):
        ctx = multiprocessing.get_context("fork")
        self.on, self.stop, self.idle = ctx.Event(), ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=body, args=(self,), daemon=True)
        self.proc.start()

    # -- in the child
    def running(self):
        """Between two units of work: False (after saying so) while paused."""
        if self.on.is_set():
            self.idle.clear()
            return True
        self.idle.set()
        self.on.wait(0.2)
        return False

    # -- in the parent
    def resume(self):
        self.on.set()
        time.sleep(0.3)

    def pause(self):
        """Returns once the child has finished the work under way (its
        frames answered), so that idle rounds are idle."""
        self.idle.clear()
        self.on.clear()
        assert self.idle.wait(60), "load did not pause"

    def close(self):
        self.stop.set()
        self.on.set()
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.kill()
        return self.proc.exitcode


def hello_only(crmd, source=ATTACKER, **kw):
    """A connection that says hello and nothing else; None if refused."""
    try:
        return Conn(crmd.port, crmd.ca, source=source, timeout=5, **kw)
    except REFUSED:
        return None
    except AssertionError:  # hello answered with an error (refused)
        return None


def expect_refused_over_cap(crmd, source=ATTACKER, **kw):
    c = Conn(crmd.port, crmd.ca, source=source, timeout=5, hello=False, **kw)
    frames = c.expect_close(5)
    c.close()
    assert len(frames) == 1, frames
    st = frames[0].response.status
    assert frames[0].response.id == 0
    assert st.code == RESOURCE_EXHAUSTED, st
    assert "max_preauth_per_address" in st.message, st.message
    assert "not logged in" in st.message, st.message
    return st


def expect_deadline_close(conn, timeout):
    frames = conn.expect_close(timeout)
    assert len(frames) == 1, frames
    r = frames[0].response
    assert r.id == 0, r
    assert r.status.code == UNAUTHENTICATED, r.status
    assert "auth_timeout" in r.status.message, r.status.message
    return r


def test_auth_deadline_closes_idlers_and_dribblers(crmd_factory):
    """After hello a client has auth_timeout to log in. Bytes do not reset
    the deadline (one byte every 200 ms of a frame that never completes
    keeps nothing open), the idle timeout being far away; a connection that
    logged in in time is not touched."""
    crmd = crmd_factory(auth_timeout="1500ms", idle_timeout="60s")
    t0 = time.monotonic()
    idle = hello_only(crmd)
    dribbler = hello_only(crmd)
    assert idle and dribbler
    user = crmd.connect()
    stop = threading.Event()

    dribbler.send_raw(struct.pack(">I", 1000))  # a frame that never completes

    def dribble():
        while not stop.wait(0.2):
            try:
                dribbler.send_raw(b"\x00")
            except (OSError, ssl.SSLError):
                return

    th = threading.Thread(target=dribble)
    th.start()
    try:
        expect_deadline_close(idle, 4)
        expect_deadline_close(dribbler, 4)
    finally:
        stop.set()
        th.join()
    took = time.monotonic() - t0
    assert 1.3 < took < 4, took
    assert user.ping().status.code == OK
    assert crmd.wait_log(r"no login within auth_timeout")
    user.close()
    # The deadline is re-armed by a logout.
    c = crmd.connect()
    assert c.request(logout=pb().Logout()).status.code == OK
    expect_deadline_close(c, 4)
    c.close()


def test_login_in_flight_at_the_deadline_is_answered(crmd_factory):
    """A login received before auth_timeout but still queued for the
    password hash when the deadline passes is answered: a successful one
    keeps the connection; after a failed one the deadline's frame comes and
    the connection closes. The one auth thread is kept busy by 24 logins
    from elsewhere, so the login's hash starts well after the deadline."""
    crmd = crmd_factory(auth_timeout="200ms", auth_threads="1", idle_timeout="60s")
    p = pb()
    hello = p.ClientFrame(id=1, hello=p.Hello(protocol=p.Version(major=1, minor=0),
                                             client_name=b"pytest"))

    def login_behind_busy_pool(password):
        busy = Conn(crmd.port, crmd.ca, source=OTHER)
        for i in range(24):
            busy.send(busy.build(login=p.Login(username=b"admin",
                                               password=crmd.env.admin_password.encode())))
        time.sleep(0.1)
        c = Conn(crmd.port, crmd.ca, hello=False)
        t0 = time.monotonic()
        # hello and login in one write: the login is in by the deadline
        c.send_raw(b"".join(struct.pack(">I", len(m)) + m for m in (
            hello.SerializeToString(),
            p.ClientFrame(id=2, login=p.Login(username=b"admin",
                                              password=password.encode())).SerializeToString())))
        assert c.recv_response(want_id=1, timeout=10).status.code == OK
        r = c.recv_response(want_id=2, timeout=30)
        assert time.monotonic() - t0 > 0.25, "the login was answered before the deadline"
        for _ in range(24):
            assert busy.recv_response(timeout=60).status.code == OK
        busy.close()
        return c, r

    c, r = login_behind_busy_pool(crmd.env.admin_password)
    assert r.status.code == OK, r.status
    time.sleep(0.5)
    assert c.ping().status.code == OK
    c.close()
    c, r = login_behind_busy_pool("wrong password")
    assert r.status.code == UNAUTHENTICATED, r.status
    frames = c.expect_close(10)
    assert len(frames) == 1, frames
    assert frames[0].response.id == 0
    assert frames[0].response.status.code == UNAUTHENTICATED
    assert "auth_timeout" in frames[0].response.status.message
    c.close()


def test_preauth_cap_per_address(crmd_factory):
    """Two I/O threads: the count is the whole server's, not a thread's."""
    crmd = crmd_factory(max_preauth_per_address=4, auth_timeout="30s", io_threads="2")
    held = [hello_only(crmd) for _ in range(4)]
    assert all(held)
    expect_refused_over_cap(crmd)
    # another address is not affected
    with crmd.connect(source=OTHER) as c:
        assert c.ping().status.code == OK
    other = [hello_only(crmd, source=OTHER) for _ in range(4)]
    assert all(other)
    # logging in frees the slot: logged-in connections are not capped
    r = held[0].login("admin", crmd.env.admin_password)
    assert r.status.code == OK, r.status
    extra = hello_only(crmd)
    assert extra is not None
    expect_refused_over_cap(crmd)
    # so does closing
    held[1].close()

    def fits():
        c = hello_only(crmd)
        if c is not None:
            held.append(c)
        return c is not None

    deadline = time.monotonic() + 5
    while not fits():
        assert time.monotonic() < deadline, "slot not freed by a close"
        time.sleep(0.1)
    assert crmd.wait_log(r"over max_preauth_per_address")
    for c in held + other + [extra]:
        c.close()


def test_preauth_cap_uses_proxy_source_address(crmd_factory):
    crmd = crmd_factory(trusted_proxies="127.0.0.1/32", max_preauth_per_address=2)
    a = [hello_only(crmd, preamble=proxy_v2("203.0.113.7", 1000 + i)) for i in range(2)]
    assert all(a)
    expect_refused_over_cap(crmd, preamble=proxy_v2("203.0.113.7", 1003))
    # same proxy, other client: its own count
    b = hello_only(crmd, preamble=proxy_v2("203.0.113.8", 1004))
    assert b is not None
    for c in a + [b]:
        c.close()


def test_flood_from_one_address_leaves_others_served(crmd_factory):
    """One address opens far more connections than it may hold before
    logging in: some say hello and idle, some dribble bytes of a frame that
    never completes, and it keeps knocking. Another address still connects
    and logs in, and every one of its pings is answered while the flood
    runs; the flood's over-cap connections are refused; the deadline closes
    what it held. (How much the flood slows the other client is a figure
    of tests/bench/run.)"""
    crmd = crmd_factory(max_connections=100, auth_timeout="30s", idle_timeout="90s")
    # Knocks stop well before the first held connection's deadline frees a
    # slot (opening 110 TLS connections takes seconds under a sanitizer).
    knock_until = time.monotonic() + 22
    held, refused = [], 0
    for i in range(110):
        c = hello_only(crmd)
        if c is None:
            refused += 1
        else:
            held.append(c)
    dribblers = held[-10:]
    for d in dribblers:
        d.send_raw(struct.pack(">I", 1000))

    def flood(load):  # in a child process
        extra = []
        while not load.stop.is_set():
            if not load.running():
                continue
            for d in dribblers:
                try:
                    d.send_raw(b"\x00")
                except (OSError, ssl.SSLError):
                    pass
            if time.monotonic() < knock_until:
                c = hello_only(crmd)  # knocking again: refused
                if c is not None:
                    extra.append(c)
            time.sleep(0.1)
        os._exit(len(extra))

    load = Load(flood)
    try:
        with crmd.connect(source=OTHER) as c:
            idle_p99, flood_p99 = serve_under(c, load)
    finally:
        let_in = load.close()
    print(f"ping p99 idle {idle_p99:.3f} ms, under flood {flood_p99:.3f} ms; "
          f"flood held {len(held)}, refused {refused}, let in later {let_in}")
    assert len(held) == 64, (len(held), refused)  # the default cap
    assert refused == 110 - 64
    assert let_in == 0
    bench_report("flood", idle_p99, flood_p99)
    for c in held:
        expect_deadline_close(c, 40)
    assert crmd.alive()


def record_list_bomb(req_id, elements=500_000):
    """A 1 MB ClientFrame: record_list with half a million empty filters,
    written by hand (2 bytes each: tag 2, length 0)."""
    inner = b"\x12\x00" * elements
    return (b"\x08" + varint(req_id) + varint(47 << 3 | 2) + varint(len(inner)) + inner)


PIPELINED = 8
BOMB_ELEMENTS = 32_000  # 64 KB frames: see the test's docstring


def test_costly_frames_do_not_slow_other_clients(crmd_factory):
    """A logged-in client pipelines frames of empty repeated sub-messages,
    8 at a time, twice a second. Before the bound, decoding cost the I/O
    thread about 0.3 us per element: 110-180 ms for a 1 MB frame of 500,000
    (test_prescan.c checks that one is refused in microseconds), 10 ms for
    each of these 64 KB frames of 32,000. The frames are kept at 64 KB so
    that what is measured is decoding, not the cost of receiving megabytes
    (under AddressSanitizer every fresh 1 MB buffer costs page faults that
    stall the thread longer than decoding now does). Each frame is refused
    naming the field, the connection stays usable, and another client's
    pings are all answered meanwhile (how much slower is a figure of
    tests/bench/run)."""
    crmd = crmd_factory()
    attacker = crmd.connect()
    # The issue's own frame, 1 MB of 500,000: refused, and the time crmd
    # logs for it (from the complete frame to the queued answer) is small.
    attacker.send_raw(struct.pack(">I", len(record_list_bomb(999))) + record_list_bomb(999))
    r = attacker.recv_response(timeout=30)
    assert r.status.code == INVALID_ARGUMENT and r.status.field == "record_list.filters", r
    ms = float(re.search(r" ms=([0-9.]+)", crmd.wait_log(r"req=999 rid=[0-9]+ type=unknown")).group(1))
    assert ms < 20, f"crmd spent {ms} ms on the frame"
    batch = b"".join(struct.pack(">I", len(b)) + b
                     for b in (record_list_bomb(i, BOMB_ELEMENTS) for i in range(1, 1 + PIPELINED)))
    rd, wr = os.pipe()

    def attack(load):  # in a child process
        os.close(rd)
        answers = 0
        try:
            while not load.stop.is_set():
                if not load.running():
                    continue
                t0 = time.monotonic()
                attacker.send_raw(batch)
                for _ in range(PIPELINED):
                    r = attacker.recv_response(timeout=30)
                    ok = (r.status.code == INVALID_ARGUMENT
                          and r.status.field == "record_list.filters"
                          and "at most 200" in r.status.message)
                    if not ok:
                        os.write(wr, repr(r.status).encode()[:500])
                        os._exit(2)
                    answers += 1
                time.sleep(max(0.0, 0.5 - (time.monotonic() - t0)))
            assert attacker.ping().status.code == OK
        except BaseException as e:
            os.write(wr, repr(e).encode()[:500])
            os._exit(3)
        os.write(wr, b"answers %d" % answers)
        os._exit(0)

    load = Load(attack)
    os.close(wr)
    try:
        with crmd.connect(source=OTHER) as victim:
            idle_p99, attack_p99 = serve_under(victim, load)
    finally:
        rc = load.close()
        report = os.read(rd, 1000).decode()
        os.close(rd)
    print(f"ping p99 idle {idle_p99:.3f} ms, under decode attack {attack_p99:.3f} ms; "
          f"attacker: {report}")
    assert rc == 0, report
    assert int(report.split()[1]) > 0, report
    attacker.close()
    bench_report("decode", idle_p99, attack_p99)
