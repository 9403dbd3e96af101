"""crmd when PostgreSQL goes away under it, and process hygiene.

- A restart of PostgreSQL costs no request: pooled connections the server
  closed are replaced before use, and a request whose connection dies
  before anything can have committed runs again on a new one.
- A connection lost after COMMIT was sent: a keyed write answers with its
  real outcome (its key, looked up on a new connection); a write without a
  key says its outcome is unknown, never "retry".
- The request id in crmd's log line is the one audit rows carry, unique
  across connections.
- A reader of stderr that stalls does not stall crmd: log lines are
  written by a log thread, and dropped (and counted) when it falls behind.

Backends are killed for real (PostgreSQL stopped, pg_terminate_backend);
a test-only deferred trigger, installed by the superuser in the test's
throwaway database, holds a COMMIT on an advisory lock so the backend can
be killed after COMMIT was sent.
"""

import os
import re
import select
import signal
import subprocess
import threading
import time

from conftest import (CRMD, OK, UNAVAILABLE, ADMIN_USER, Conn, _child_setup, kill_group,
                      _cleanups, frame, pb, wait_for)

LOCK_KEY = 4242


def _all_ok(results):
    bad = [(what, pb().Code.Name(r.status.code), r.status.message)
           for what, r in results if r.status.code != OK]
    assert not bad, bad


def _round(conns, k):
    """Every connection sends a record_create (a note) and a deep ping without
    waiting, so several workers take requests at once; returns the
    replies."""
    p = pb()
    sent = []
    for i, c in enumerate(conns):
        for cf in (c.build(**c.note_frame(f"after restart {k}.{i}".encode())),
                   c.build(ping=p.Ping(deep=True))):
            c.send(cf)
            sent.append((c, cf))
    return [(cf.WhichOneof("request"), c.recv_response(15, want_id=cf.id)) for c, cf in sent]


def test_requests_after_postgres_restart_all_succeed(env, crmd_factory):
    """Each pooled connection (3 DB workers, 2 auth workers) was opened
    before the restart; afterwards 22 requests, 4 of them logins, all
    succeed: none is the one that finds its connection dead."""
    crmd = crmd_factory(db_workers=3, auth_threads=2)
    conns = [crmd.connect() for _ in range(3)]
    _all_ok(_round(conns, 0))
    env.pg.stop()
    env.pg.start()
    results = []
    for k in range(3):
        results += _round(conns, k + 1)
        if k < 2:
            for _ in range(2):
                with Conn(crmd.port, crmd.ca) as c:
                    results.append(("login", c.login(ADMIN_USER, env.admin_password,
                                                     timeout=15)))
    assert len(results) == 22, len(results)
    _all_ok(results)
    assert crmd.alive()


def _backend_pids(env, db, query_like, wait_event=None):
    cond = f"datname = '{db}' AND query LIKE '{query_like}' AND pid <> pg_backend_pid()"
    if wait_event:
        cond += f" AND wait_event = '{wait_event}'"
    out = env.pg.sql(f"SELECT pid FROM pg_stat_activity WHERE {cond}")
    return [int(x) for x in out.split()]


def _terminate_when_seen(env, db, query_like, wait_event=None):
    pids = wait_for(lambda: _backend_pids(env, db, query_like, wait_event), 10, 0.05,
                    f"a crmd backend running {query_like!r}")
    env.pg.sql(f"SELECT pg_terminate_backend({pids[0]})")
    return pids[0]


def test_read_cut_off_by_terminated_backend_runs_again(env, db, crmd_factory):
    crmd = crmd_factory()
    with crmd.connect() as c:
        cf = c.build(sleep=pb().Sleep(ms=1500))
        c.send(cf)
        _terminate_when_seen(env, db, "SELECT pg_sleep%")
        r = c.recv_response(15, want_id=cf.id)
        assert r.status.code == OK, r
        assert r.sleep.slept_ms == 1500
    crmd.wait_log(r"connection lost after COMMIT was sent; running it again")


class CommitBlocker:
    """A deferred trigger on `table` takes advisory lock LOCK_KEY at
    COMMIT; a psql session holding it makes crmd's COMMIT wait."""

    def __init__(self, env, db, table="crm.notes"):
        self.env, self.db = env, db
        env.pg.sql(
            "CREATE FUNCTION public.test_hold_commit() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$BEGIN PERFORM pg_advisory_xact_lock({LOCK_KEY}); RETURN NULL; END$$;"
            f" CREATE CONSTRAINT TRIGGER test_hold_commit AFTER INSERT ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION public.test_hold_commit();", db=db)
        pg = env.pg
        self.holder = subprocess.Popen(
            [os.path.join(pg.bindir, "psql"), "-X", "-q", "-h", pg.sockdir, "-p", str(pg.port),
             "-U", "postgres", "-d", db],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        holder = self.holder
        _cleanups.append(lambda: (holder.kill(), holder.wait()))
        self.holder.stdin.write(f"SELECT pg_advisory_lock({LOCK_KEY});\n")
        self.holder.stdin.flush()
        wait_for(lambda: env.pg.sql(
            f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {LOCK_KEY}"
            " AND granted") == "1", 10, 0.05, "the advisory lock to be held")

    def kill_waiting_commit(self):
        """Terminates the crmd backend waiting in COMMIT, then lets
        COMMITs through."""
        pid = _terminate_when_seen(self.env, self.db, "COMMIT%", wait_event="advisory")
        self.holder.stdin.write(f"SELECT pg_advisory_unlock({LOCK_KEY});\n")
        self.holder.stdin.flush()
        return pid

    def close(self):
        self.holder.stdin.close()
        self.holder.wait(10)


def _notes_with_body(env, db, body):
    return int(env.pg.sql(f"SELECT count(*) FROM crm.notes WHERE body = '{body}'", db=db))


def test_unkeyed_write_lost_after_commit_says_outcome_unknown(env, db, crmd_factory):
    crmd = crmd_factory()
    block = CommitBlocker(env, db)
    with crmd.connect() as c:
        cf = c.build(**c.note_frame(b"unkeyed while the server dies"))
        c.send(cf)
        block.kill_waiting_commit()
        r = c.recv_response(15, want_id=cf.id)
        assert r.status.code == UNAVAILABLE, r
        assert "outcome is unknown" in r.status.message, r.status.message
        assert "check before retrying" in r.status.message, r.status.message
        assert "retry shortly" not in r.status.message
        # not run again behind the user's back: at most the one try
        time.sleep(0.5)
        assert _notes_with_body(env, db, "unkeyed while the server dies") == 0
        # the worker serves the next request on a new connection
        assert c.note_create(b"next").status.code == OK
    block.close()


def test_keyed_write_lost_after_commit_answers_real_outcome(env, db, crmd_factory):
    crmd = crmd_factory()
    block = CommitBlocker(env, db)
    with crmd.connect() as c:
        cf = c.build(key=b"lost-commit-1",
                     **c.note_frame(b"keyed while the server dies"))
        c.send(cf)
        block.kill_waiting_commit()
        r = c.recv_response(15, want_id=cf.id)
        # the lost transaction did not commit: the key says so, and the
        # request ran (once) on a new connection
        assert r.status.code == OK, r
        assert _notes_with_body(env, db, "keyed while the server dies") == 1
        # the same key again replays that outcome, nothing new
        r2 = c.request(key=b"lost-commit-1",
                       **c.note_frame(b"keyed while the server dies"))
        assert r2.status.code == OK and r2.record.note.meta.id == r.record.note.meta.id, r2
        assert _notes_with_body(env, db, "keyed while the server dies") == 1
    block.close()


def test_login_lost_at_commit_fails_and_is_not_logged_as_the_user(env, db, crmd_factory):
    """The login's last step (the user's row, then COMMIT) fails: the
    reply is the error and the log line names no user."""
    crmd = crmd_factory()
    block = CommitBlocker(env, db, "crm.sessions")
    with Conn(crmd.port, crmd.ca) as c:
        cf = c.build(id=9001, login=pb().Login(username=ADMIN_USER.encode(),
                                               password=env.admin_password.encode()))
        c.send(cf)
        block.kill_waiting_commit()
        r = c.recv_response(15, want_id=cf.id)
        assert r.status.code == UNAVAILABLE, r
        assert not r.HasField("login")
    line = crmd.wait_log(r"\breq=9001 .*type=login")
    assert "status=UNAVAILABLE" in line and line.endswith(" user=-"), line
    block.close()


def test_request_ids_unique_across_connections_and_in_the_log(env, db, crmd_factory):
    crmd = crmd_factory()
    a, b = crmd.connect(), crmd.connect()
    # the same frame id on both connections
    ra = a.request(id=77, **a.note_frame(b"from a"))
    rb = b.request(id=77, **b.note_frame(b"from b"))
    assert ra.status.code == OK and rb.status.code == OK
    rows = env.pg.sql("SELECT record_id, request_id FROM crm.audit WHERE record_type = 'note'"
                      " AND action = 'create' ORDER BY record_id", db=db)
    rid = dict(tuple(int(x) for x in line.split("|")) for line in rows.splitlines())
    assert set(rid) == {ra.record.note.meta.id, rb.record.note.meta.id}, rows
    assert rid[ra.record.note.meta.id] != rid[rb.record.note.meta.id], rows
    for note_id, r in rid.items():
        assert r > 0
        line = crmd.wait_log(rf"\brid={r}\b")
        assert "req=77 " in line and "type=record_create" in line, line
    a.close()
    b.close()


def test_unread_stderr_does_not_stall_the_loop(env, crmd_factory):
    """crmd's stderr is a pipe nobody reads: once its 64 KiB are full, a
    log write would block. Pings (each logs a line) keep being answered
    promptly; lines that do not fit are counted and the count is logged
    once the reader catches up."""
    crmd = crmd_factory(start=False)
    rfd, wfd = os.pipe()
    crmd.logf = None
    crmd.proc = subprocess.Popen([CRMD, "serve", "--config", crmd.config_path],
                                 stdin=subprocess.DEVNULL, stdout=wfd, stderr=wfd,
                                 start_new_session=True, preexec_fn=_child_setup(signal.SIGKILL))
    os.close(wfd)
    proc = crmd.proc
    _cleanups.append(lambda: (kill_group(proc), proc.wait()))
    got = []
    try:
        crmd.wait_ready()
        c = Conn(crmd.port, crmd.ca, timeout=5)
        worst = 0.0
        # ~130 bytes of log each: 1.9 MB, past the pipe and crmd's ring
        for _ in range(300):
            t0 = time.monotonic()
            batch = [c.build(ping=pb().Ping()) for _ in range(50)]
            c.send_raw(b"".join(frame(cf.SerializeToString()) for cf in batch))
            for cf in batch:
                assert c.recv_response(want_id=cf.id).status.code == OK
            worst = max(worst, time.monotonic() - t0)
        assert worst < 1.0, f"slowest batch of 50 pings took {worst:.3f} s"
        c.close()
    finally:
        reader = threading.Thread(target=_drain, args=(rfd, got), daemon=True)
        reader.start()
    wait_for(lambda: re.search(rb"\d+ log lines dropped", b"".join(got)), 10, 0.1,
             "the dropped-lines count in the log")
    assert crmd.stop() == 0
    reader.join(10)


def _drain(fd, out):
    while True:
        r, _, _ = select.select([fd], [], [], 30)
        if not r:
            return
        data = os.read(fd, 65536)
        if not data:
            os.close(fd)
            return
        out.append(data)
