"""Change events and the scheduler (issue 13; sql/0028_events.sql,
sql/modules/92_events.sql, server/notify.c, docs/events.md), against real
PostgreSQL and real crmd over TLS: an event for a watched record changed
by another user; none for a record the follower cannot see, nor after it
lost access; across two crmd on one database; the gap replayed after a
reconnect; RESYNC_REQUIRED for a position retention deleted past; one
EventsDropped for a consumer that does not keep up;
delivery resuming after PostgreSQL restarted; the outbox's order with two
transactions committing out of sequence order; an event held back by an
older transaction that writes no events (no notification) delivered when
it ends; routing: only the connections of the users an event concerns
fetch (crm.events_audience), the others move on without a query, and a
fetch the full queue refuses is retried; a due reminder firing once
with two crmd, also when one is killed."""

import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import CRM, NOT_FOUND, OK, exit_code, run_crm, wait_for
from identity import SMALL, make_world, ok, status, su_sql
from records import account, update

US = 1_000_000


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def subscribe(conn, after=None):
    sub = conn.pb.Subscribe()
    if after is not None:
        sub.after.xid, sub.after.seq = after
    r = conn.request(subscribe=sub)
    assert r.status.code == OK, r
    return r.subscribe


def follower(w, user, crmd=None, after=None):
    """A new connection of `user` that subscribed; returns (conn, reply)."""
    c = w.login_new(user, crmd)
    return c, subscribe(c, after)


def record_events(conn, n, timeout=15):
    """The next n RecordEvents pushed on conn (any already read first)."""
    got = [e.record for e in conn.events if e.WhichOneof("kind") == "record"]
    conn.events[:] = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        sf = conn.recv_frame(max(0.001, deadline - time.monotonic()))
        if sf.WhichOneof("kind") == "event" and sf.event.WhichOneof("kind") == "record":
            got.append(sf.event.record)
    assert len(got) == n, got
    return got


def quiet(conn, secs):
    """No RecordEvent arrives on conn for secs."""
    assert not [e for e in conn.events if e.WhichOneof("kind") == "record"]
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            sf = conn.recv_frame(max(0.001, deadline - time.monotonic()))
        except TimeoutError:
            return
        assert sf.WhichOneof("kind") != "event" or sf.event.WhichOneof("kind") != "record", sf


def pos(e):
    return (e.position.xid, e.position.seq)


def watch(w, who, type_, id_):
    ok(w.do(who, "watch_add", type=type_, id=id_), f"watch {type_}/{id_}")


def bump(w, who, a, **changes):
    changes = changes or {"phone": f"+49 30 {int.from_bytes(os.urandom(3), 'big')}"}
    r = update(w, who, a.id, a.version, "account", **changes)
    ok(r, "update")
    return r.record.account


# ------------------------------------------------------------ delivery

def test_an_event_arrives_for_a_watched_record_changed_by_another_user(world):
    w = world
    a = account(w, "sal", name="Watched Ltd")
    watch(w, "sal", "account", a.id)
    listed = ok(w.do("sal", "watch_list"), "watch_list").watch_list.watches
    assert [(x.type, x.id) for x in listed] == [(w.c("sal").pb.RECORD_TYPE_ACCOUNT, a.id)]
    conn, sub = follower(w, "sal")
    assert not sub.resync_required
    a2 = bump(w, "root", a)
    (e,) = record_events(conn, 1)
    assert (e.type, e.id, e.version, e.kind) == (conn.pb.RECORD_TYPE_ACCOUNT, a.id, a2.version,
                                                 "updated")
    assert pos(e) > (sub.position.xid, sub.position.seq)
    assert e.changed_at > 0
    # never values: a RecordEvent has no field for them
    assert set(e.DESCRIPTOR.fields_by_name) == {"position", "type", "id", "version", "kind",
                                                "changed_at"}
    ok(w.do("root", "record_delete", type="account", id=a.id), "delete")
    (e,) = record_events(conn, 1)
    assert (e.id, e.kind) == (a.id, "deleted")
    ok(w.do("sal", "watch_remove", type="account", id=a.id), "unwatch")
    status(w.do("sal", "watch_remove", type="account", id=a.id), NOT_FOUND, "watch_remove.id")
    ok(w.do("root", "record_restore", type="account", id=a.id), "restore")
    quiet(conn, 3)


def test_none_for_a_record_the_follower_cannot_see_nor_after_losing_access(world):
    w = world
    hidden = account(w, "root", owner="sup", name="Support's")
    status(w.do("sal", "record_get", type="account", id=hidden.id), NOT_FOUND)
    # refused exactly as a record that does not exist
    r1 = w.do("sal", "watch_add", type="account", id=hidden.id)
    r2 = w.do("sal", "watch_add", type="account", id=hidden.id + 1_000_000)
    status(r1, NOT_FOUND, "watch_add.id")
    status(r2, NOT_FOUND, "watch_add.id")
    assert r1.status.message_id == r2.status.message_id
    a = account(w, "sal", name="Mine")
    b = account(w, "sal", name="Also mine")
    watch(w, "sal", "account", a.id)
    watch(w, "sal", "account", b.id)
    conn, _ = follower(w, "sal")
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="sup"), "reassign")
    status(w.do("sal", "record_get", type="account", id=a.id), NOT_FOUND)
    a = ok(w.do("root", "record_get", type="account", id=a.id)).record.account
    bump(w, "root", a)
    bump(w, "root", hidden)
    b2 = bump(w, "root", b)
    # b's change comes after a's in the outbox: a's were passed over
    (e,) = record_events(conn, 1)
    assert (e.id, e.version) == (b.id, b2.version)
    quiet(conn, 2)
    # a watch of a record the user no longer sees is not listed
    listed = ok(w.do("sal", "watch_list")).watch_list.watches
    assert [x.id for x in listed] == [b.id]


def test_events_cross_crmd_instances(world, crmd_factory):
    w = world
    b_crmd = crmd_factory(**SMALL)
    a = account(w, "sal", name="Across")
    watch(w, "sal", "account", a.id)
    conn, _ = follower(w, "sal", crmd=b_crmd)
    a2 = bump(w, "root", a)  # through the first crmd
    (e,) = record_events(conn, 1)
    assert (e.id, e.version) == (a.id, a2.version)


# ------------------------------------------------------------ routing

def fetches(crmd, uid, start):
    """crmd's debug lines (from line `start`) of fetches for user `uid`."""
    rx = re.compile(rf"user_id={uid}: events fetch after ")
    return [line for line in crmd.log_lines()[start:] if rx.search(line)]


def test_only_the_users_an_event_concerns_fetch_the_others_move_on(world, crmd_factory):
    w = world
    d = crmd_factory(log_level="debug", **SMALL)
    a = account(w, "sal", name="Routed")
    b = account(w, "root", owner="sup", name="Support's routed")
    watch(w, "sal", "account", a.id)
    sal, _ = follower(w, "sal", crmd=d)
    sup, _ = follower(w, "sup", crmd=d)
    sal_id, sup_id = w.uid["sal"], w.uid["sup"]
    # each connection fetched once after Subscribe
    d.wait_log(rf"user_id={sup_id}: events fetch after ", timeout=10)
    a = bump(w, "root", a)
    record_events(sal, 1)
    time.sleep(0.5)
    start = len(d.log_lines())
    a = bump(w, "root", a)
    a = bump(w, "root", a)
    got = record_events(sal, 2)
    assert [e.version for e in got] == [a.version - 1, a.version]
    # sup's connection moved past both without a query; sal's fetched
    d.wait_log(rf"user_id={sup_id}: events moved to [0-9]+/[0-9]+ without a fetch",
               timeout=10, start=start)
    assert fetches(d, sal_id, start)
    assert not fetches(d, sup_id, start)
    quiet(sup, 1)
    # an event that concerns sup later still reaches sup, and only sup
    watch(w, "sup", "account", b.id)
    start = len(d.log_lines())
    b2 = bump(w, "root", b)
    (e,) = record_events(sup, 1)
    assert (e.id, e.version) == (b.id, b2.version)
    assert fetches(d, sup_id, start)
    quiet(sal, 1)
    # sal still watches a but lost access to it: sal's connection is in
    # the audience and fetches, and row-level security keeps the event out
    ok(w.do("root", "record_reassign", type="account", id=a.id, owner="sup"), "reassign")
    a = ok(w.do("root", "record_get", type="account", id=a.id)).record.account
    start = len(d.log_lines())
    bump(w, "root", a)
    wait_for(lambda: fetches(d, sal_id, start), 10, interval=0.1, what="sal's fetch")
    quiet(sal, 2)


def test_a_fetch_the_full_queue_refuses_is_retried(world, crmd_factory):
    w = world
    d = crmd_factory(log_level="debug", db_workers="1", queue_length="1", **SMALL)
    a = account(w, "sal", name="Busy")
    watch(w, "sal", "account", a.id)
    conns = []
    for _ in range(12):
        c = w.login_new("sal", d)
        # the first fetches of the others may hold the one queue slot
        wait_for(lambda: c.request(subscribe=c.pb.Subscribe()).status.code == OK, 10,
                 interval=0.05, what="subscribed")
        conns.append(c)
    time.sleep(0.5)
    start = len(d.log_lines())
    a2 = bump(w, "root", a)  # through the other crmd: d's queue holds fetches only
    for c in conns:
        (e,) = record_events(c, 1)
        assert (e.id, e.version) == (a.id, a2.version)
    d.wait_log(r"events fetch refused \(queue full\); again in 50 ms", start=start)
    for c in conns:
        quiet(c, 0.2)


def test_a_reconnect_replays_the_gap_and_a_too_old_position_resyncs(world):
    w = world
    a = account(w, "sal", name="Gap")
    watch(w, "sal", "account", a.id)
    conn, _ = follower(w, "sal")
    a = bump(w, "root", a)
    (first,) = record_events(conn, 1)
    conn.close()
    a = bump(w, "root", a)
    a = bump(w, "root", a)
    conn, sub = follower(w, "sal", after=pos(first))
    assert not sub.resync_required
    assert (sub.position.xid, sub.position.seq) == pos(first)
    got = record_events(conn, 2)
    assert [e.version for e in got] == [a.version - 1, a.version]
    assert pos(first) < pos(got[0]) < pos(got[1])
    quiet(conn, 2)
    conn.close()
    # retention deletes past the position: the client must reload
    su_sql(w.env, w.db, "SELECT crm.events_prune(interval '0', 100000)")
    conn, sub = follower(w, "sal", after=pos(first))
    assert sub.resync_required
    assert (sub.position.xid, sub.position.seq) > pos(got[1])
    a = bump(w, "root", a)
    (e,) = record_events(conn, 1)
    assert e.version == a.version


def test_delivery_resumes_after_postgresql_restarts(world):
    w = world
    a = account(w, "sal", name="Restart")
    watch(w, "sal", "account", a.id)
    conn, _ = follower(w, "sal")
    w.env.pg.stop()
    w.env.pg.start()
    w.crmd.wait_log(r"events: LISTEN connection lost", timeout=15)

    def changed():
        w.forget("root")
        try:
            return w.do("root", "record_get", type="account", id=a.id).status.code == OK
        except Exception:
            return False
    wait_for(changed, 30, interval=0.5, what="crmd serving again")
    a2 = bump(w, "root", a)
    (e,) = record_events(conn, 1, timeout=20)
    assert e.version == a2.version
    w.crmd.wait_log(r"events: listening on crm_events", timeout=15)


class Tx:
    """A psql session as crm_owner kept open between statements, named by
    application_name so that the test can see what it is doing."""

    def __init__(self, env, db, name):
        self.env, self.db, self.name = env, db, name
        ci = env.pg.conninfo(db, "crm_owner") + f" application_name={name}"
        self.proc = subprocess.Popen([os.path.join(env.pg.bindir, "psql"), "-X", "-q", "-v",
                                      "ON_ERROR_STOP=1", "-d", ci], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True)

    def send(self, sql):
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()

    def state(self):
        return su_sql(self.env, self.db, "SELECT state || ':' || coalesce(backend_xid::text, '')"
                      f" FROM pg_stat_activity WHERE application_name = '{self.name}'").strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def test_out_of_order_commits_are_delivered_once_both_are_visible_in_xid_seq_order(world):
    w = world
    a = account(w, "sal", name="Order")
    conn, _ = follower(w, "sal")
    uid = w.uid["sal"]
    insert = (f"INSERT INTO crm.events (record_type, record_id, version, kind, user_id)"
              f" VALUES ('account', {a.id}, %d, 'updated', {uid});")
    t1, t2 = Tx(w.env, w.db, "events_t1"), Tx(w.env, w.db, "events_t2")
    try:
        t1.send("BEGIN; " + insert % 101)   # lower xid, lower sequence
        wait_for(lambda: t1.state().startswith("idle in transaction:") and t1.state()[-1] != ":",
                 10, what="t1 wrote")
        t2.send("BEGIN; " + insert % 102)   # higher xid, higher sequence
        wait_for(lambda: t2.state().startswith("idle in transaction:") and t2.state()[-1] != ":",
                 10, what="t2 wrote")
        t2.send("COMMIT;")                  # the later one commits first
        wait_for(lambda: t2.state() == "idle:", 10, what="t2 committed")
        t2.close()
        # t2's row is committed but t1 may still commit a lower position
        quiet(conn, 4)
        t1.send("COMMIT;")
        t1.close()
        got = record_events(conn, 2)
        assert [e.version for e in got] == [101, 102]
        assert pos(got[0]) < pos(got[1])
        rows = su_sql(w.env, w.db, "SELECT seq FROM crm.events WHERE version IN (101, 102)"
                      " ORDER BY version").split()
        assert [int(x) for x in rows] == [e.position.seq for e in got]
    finally:
        for t in (t1, t2):
            if t.proc.poll() is None:
                t.proc.kill()
                t.proc.wait()


def test_an_event_held_back_by_a_transaction_that_writes_none_arrives_when_it_ends(world):
    w = world
    a = account(w, "sal", name="Held")
    conn, _ = follower(w, "sal")
    t1 = Tx(w.env, w.db, "events_h1")
    try:
        t1.send("BEGIN; SELECT pg_current_xact_id();")  # an older transaction, no events
        wait_for(lambda: t1.state().startswith("idle in transaction:") and t1.state()[-1] != ":",
                 10, what="t1 has an xid")
        su_sql(w.env, w.db, "INSERT INTO crm.events (record_type, record_id, version, kind,"
                            f" user_id) VALUES ('account', {a.id}, 7, 'updated', {w.uid['sal']})")
        quiet(conn, 3)
        t1.send("COMMIT;")  # notifies nothing: the events thread's head poll finds it
        t1.close()
        (e,) = record_events(conn, 1, timeout=10)
        assert e.version == 7
    finally:
        if t1.proc.poll() is None:
            t1.proc.kill()
            t1.proc.wait()


# ------------------------------------------------------------ the scheduler

def tasks_due(w, n, secs):
    due = (int(time.time()) + secs) * US
    ids = []
    for i in range(n):
        r = ok(w.do("root", "record_create", record={"task": {"subject": f"Remind {i}",
                                                              "remind_at": due}}), "task")
        ids.append(r.record.task.id)
    return ids


def reminders(w, ids):
    out = su_sql(w.env, w.db, "SELECT record_id, count(*) FROM crm.events WHERE kind = 'reminder'"
                 f" AND record_id IN ({','.join(map(str, ids))}) GROUP BY record_id")
    return {int(k): int(v) for k, v in (line.split("|") for line in out.split())}


def pending(w, ids):
    return int(su_sql(w.env, w.db, "SELECT count(*) FROM crm.jobs WHERE kind = 'reminder'"
                      f" AND done_at IS NULL AND record_id IN ({','.join(map(str, ids))})"))


def test_a_due_reminder_fires_once_with_two_crmd_also_when_one_is_killed(world, crmd_factory):
    w = world
    other = crmd_factory(**SMALL)
    conn, _ = follower(w, "root", crmd=other)
    ids = tasks_due(w, 10, 3)
    assigned = record_events(conn, 10)
    assert {e.kind for e in assigned} == {"assigned"}
    wait_for(lambda: pending(w, ids) == 0, 30, interval=0.2, what="reminders done")
    assert reminders(w, ids) == {i: 1 for i in ids}
    got = record_events(conn, 10)
    assert sorted(e.id for e in got) == sorted(ids) and {e.kind for e in got} == {"reminder"}
    quiet(conn, 2)
    # The other crmd killed in the middle of firing them: the first crmd
    # is stopped (SIGSTOP) so that the other claims the due jobs, and a
    # lock on the outbox holds its transaction after the claim.
    ids = tasks_due(w, 20, 3)
    locker = Tx(w.env, w.db, "events_lock")
    try:
        w.crmd.send_signal(signal.SIGSTOP)
        locker.send("BEGIN; LOCK TABLE crm.events IN EXCLUSIVE MODE;")
        wait_for(lambda: su_sql(w.env, w.db, "SELECT count(*) FROM pg_stat_activity"
                                " WHERE wait_event_type = 'Lock' AND query LIKE '%jobs_run%'"
                                ).strip() == "1", 20, interval=0.1, what="the other crmd mid-job")
        other.send_signal(signal.SIGKILL)
        other.wait()
        other.expected_rc = other.proc.returncode
    finally:
        w.crmd.send_signal(signal.SIGCONT)
        locker.send("ROLLBACK;")
        locker.close()
    wait_for(lambda: pending(w, ids) == 0, 30, interval=0.2, what="reminders done")
    assert reminders(w, ids) == {i: 1 for i in ids}


# ------------------------------------------------------------ the CLI

def cli_env(w, user):
    """crm's environment as `user` (logged in once, in a home of its own)."""
    home = os.path.join(w.crmd.dir, "cli-" + user)
    os.makedirs(home, exist_ok=True)
    r = run_crm("login", user, "--password-stdin", input=w.pw[user] + "\n",
                server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home)
    assert r.rc == 0, r
    e = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    e.update(XDG_CONFIG_HOME=os.path.join(home, "xdg"), HOME=home,
             CRM_SERVER=f"127.0.0.1:{w.crmd.port}", CRM_CA=w.crmd.ca, LANGUAGE="", LANG="C.UTF-8")
    return e


def crm(e, *args):
    r = subprocess.run([CRM, *args], capture_output=True, text=True, timeout=30, env=e,
                       stdin=subprocess.DEVNULL)
    return r


def read_line(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no line from crm watch follow in time"
    return proc.stdout.readline()


def test_cli_watch_add_list_remove_and_follow_across_a_crmd_restart(world):
    w = world
    a = account(w, "sal", name="Followed")
    e = cli_env(w, "sal")
    r = crm(e, "watch", "add", f"account/{a.id}")
    assert r.returncode == 0, r
    r = crm(e, "--format", "json", "watch", "list")
    assert r.returncode == 0, r
    assert [x["id"] for x in json.loads(r.stdout)] == [a.id]
    r = crm(e, "watch", "add", f"account/{a.id + 1_000_000}")
    assert r.returncode == exit_code(NOT_FOUND), r
    proc = subprocess.Popen([CRM, "watch", "follow", "--format", "json"], env=e, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        w.crmd.wait_log(r"type=subscribe status=OK ms=[0-9.]+ user=sal", timeout=10)
        a = bump(w, "root", a)
        ev = json.loads(read_line(proc, 15))
        assert (ev["kind"], ev["type"], ev["id"], ev["version"]) == ("updated", "account", a.id,
                                                                     a.version)
        # crmd restarts: the follower reconnects and gets what it missed
        w.crmd.stop()
        w.crmd.start()
        w.forget("root")
        a = bump(w, "root", a)
        ev2 = json.loads(read_line(proc, 40))
        assert (ev2["id"], ev2["version"]) == (a.id, a.version)
        assert (ev2["position"]["xid"], ev2["position"]["seq"]) > \
            (ev["position"]["xid"], ev["position"]["seq"])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert "reconnecting" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = crm(e, "watch", "remove", f"account/{a.id}")
    assert r.returncode == 0, r
    r = crm(e, "watch", "remove", f"account/{a.id}")
    assert r.returncode == exit_code(NOT_FOUND), r


def drain(conn, idle):
    """Every frame the server sent until it stays silent for `idle`
    seconds: read in large chunks and cut here, for many small frames."""
    data = bytearray(conn.buf)
    conn.buf = b""
    conn.sock.settimeout(idle)
    while True:
        try:
            chunk = conn.sock.recv(1 << 20)
        except (socket.timeout, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    frames, off = [], 0
    while off + 4 <= len(data):
        (n,) = struct.unpack_from(">I", data, off)
        if off + 4 + n > len(data):
            break
        sf = conn.pb.ServerFrame()
        sf.ParseFromString(bytes(data[off + 4:off + 4 + n]))
        frames.append(sf)
        off += 4 + n
    conn.buf = bytes(data[off:])
    return frames


def test_a_consumer_too_slow_gets_one_events_dropped_then_resubscribes(world):
    w = world
    a = account(w, "sal", name="Flood")
    conn, _ = follower(w, "sal")
    # a client that reads nothing: its small receive buffer fills at once
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    n = 250000
    su_sql(w.env, w.db, "INSERT INTO crm.events (record_type, record_id, version, kind, user_id)"
                        f" SELECT 'account', {a.id}, g, 'updated', {w.uid['sal']}"
                        f" FROM generate_series(1, {n}) g")
    w.crmd.wait_log(r"events dropped \(output above \d+ bytes\)", timeout=120)
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # now read it all
    # Read until the EventsDropped frame (last of what was queued) is in, or
    # a minute: a loaded machine may pause the sender longer than one idle
    # interval; then once more for anything that would follow it.
    frames, deadline = [], time.monotonic() + 60

    def is_dropped(sf):
        return sf.WhichOneof("kind") == "event" and sf.event.WhichOneof("kind") == "dropped"
    while time.monotonic() < deadline and not any(is_dropped(sf) for sf in frames[-1:]):
        frames += drain(conn, 2)
    frames += drain(conn, 2)
    got, dropped, after, last = 0, None, [], None
    for sf in frames:
        k = sf.event.WhichOneof("kind") if sf.WhichOneof("kind") == "event" else None
        if k == "dropped":
            assert dropped is None, "a second EventsDropped"
            dropped = sf.event.dropped.position
        elif k == "record" and dropped is not None:
            after.append(sf.event.record)
        elif k == "record":
            got += 1
            last = sf.event.record
    assert dropped is not None
    assert not after, "events after EventsDropped"
    assert 0 < got < n
    assert (dropped.xid, dropped.seq) == pos(last)
    # subscribing again from the position given goes on where it stopped
    sub = subscribe(conn, (dropped.xid, dropped.seq))
    assert not sub.resync_required
    (e,) = record_events(conn, 1)
    assert e.version == got + 1
