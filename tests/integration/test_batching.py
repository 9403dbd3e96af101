"""A DB worker that finds several single-statement reads waiting sends them
to PostgreSQL as one pipeline, each its own implicit transaction. One
request failing inside such a batch must not affect the others, and every
request must still get its own, right answer."""

from conftest import NOT_FOUND, OK, frame, pb


def test_a_failure_inside_a_batch_leaves_the_others_alone(crmd_factory):
    crmd = crmd_factory(db_workers="1", max_inflight="256", queue_length="512",
                        log_level="debug")
    with crmd.connect() as c:
        p = pb()
        made = c.note_create(b"batched note")
        assert made.status.code == OK, made
        nid = made.record.note.meta.id
        c.sleep(200)  # nothing else waits; then everything below queues behind one sleep
        frames, want = [], {}
        c.send(c.build(id=1000, sleep=p.Sleep(ms=300)))  # holds the one worker
        for i in range(60):
            rid = 2000 + i
            kind = i % 5
            if kind == 0:
                f = p.ClientFrame(id=rid, ping=p.Ping(deep=True, payload=b"p%d" % i))
                want[rid] = ("ping", OK)
            elif kind == 1:
                f = p.ClientFrame(id=rid, record_get=p.RecordGet(type=p.RECORD_TYPE_NOTE, id=nid))
                want[rid] = ("record", OK)
            elif kind == 2:
                f = p.ClientFrame(id=rid, record_get=p.RecordGet(type=p.RECORD_TYPE_NOTE,
                                                                id=nid + 1000 + i))
                want[rid] = (None, NOT_FOUND)
            elif kind == 3:
                f = p.ClientFrame(id=rid, user_get=p.UserGet(username=b"nobody-%d" % i))
                want[rid] = (None, NOT_FOUND)
            else:
                f = p.ClientFrame(id=rid, team_get=p.TeamGet(name=b"no team %d" % i))
                want[rid] = (None, NOT_FOUND)
            frames.append(frame(f.SerializeToString()))
        c.send_raw(b"".join(frames))
        got = {}
        for _ in range(len(frames) + 1):
            r = c.recv_response(timeout=20)
            got[r.id] = r
        assert got[1000].status.code == OK
        for rid, (body, code) in want.items():
            r = got[rid]
            assert r.status.code == code, (rid, r)
            if body:
                assert r.WhichOneof("body") == body, (rid, r)
            if body == "ping":
                assert r.ping.payload == b"p%d" % (rid - 2000) and r.ping.db_time > 0, r
            if body == "record":
                n = r.record.note
                assert n.body == b"batched note" and n.meta.id == nid, r
            if code == NOT_FOUND:
                assert r.status.field, r
    log = crmd.log()
    # the pipelined path really ran, and the connection stayed healthy
    import re
    batches = [int(m.group(1)) for m in re.finditer(r"batch of \d+, (\d+) pipelined", log)]
    assert batches and max(batches) >= 2, "no request was pipelined in a batch"
    assert "connection not idle" not in log and "reconnecting" not in log, log[-2000:]


def test_a_batch_mixing_pipelined_and_ordinary_requests(crmd_factory):
    """Gets are pipelined; an update in the same batch is not: it must run
    after the pipelined results have been read, never in between (it once
    read a queued get's result as its own and crashed crmd)."""
    crmd = crmd_factory(db_workers="1", max_inflight="256", queue_length="512",
                        log_level="debug")
    with crmd.connect() as c:
        p = pb()
        made = c.request(record_create=p.RecordCreate(record=p.Record(account=p.Account(name=b"Mixed"))))
        assert made.status.code == OK, made
        aid, version = made.record.account.id, made.record.account.version
        c.send(c.build(id=1000, sleep=p.Sleep(ms=300)))  # holds the one worker
        frames, updates = [], []
        for i in range(40):
            rid = 2000 + i
            if i % 4 == 3:
                f = p.ClientFrame(id=rid, record_update=p.RecordUpdate(
                    id=aid, version=version, changes=p.Record(account=p.Account(description=b"u%d" % i))))
                updates.append(rid)
            else:
                f = p.ClientFrame(id=rid, record_get=p.RecordGet(
                    type=p.RecordType.Value("RECORD_TYPE_ACCOUNT"), id=aid))
            frames.append(frame(f.SerializeToString()))
        c.send_raw(b"".join(frames))
        got = {}
        for _ in range(len(frames) + 1):
            r = c.recv_response(timeout=20)
            got[r.id] = r
        # Exactly one update wins the version; the others conflict; every get answers.
        codes = [got[u].status.code for u in updates]
        assert codes.count(OK) == 1 and all(x == pb().Code.Value("CONFLICT") for x in codes if x != OK), codes
        for rid, r in got.items():
            if rid >= 2000 and rid not in updates:
                assert r.status.code == OK and r.record.account.id == aid, r
    assert crmd.alive()
    import re
    batches = [int(m.group(1)) for m in re.finditer(r"batch of \d+, (\d+) pipelined", crmd.log())]
    assert batches and max(batches) >= 2, "no request was pipelined in a batch"
