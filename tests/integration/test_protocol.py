"""The wire protocol as a raw client sees it: hello, versions, unknown
requests, ping, pipelining, in-flight caps, malformed and oversized frames,
and what the request log says."""

import os
import re
import socket
import struct
import time

from conftest import (DEADLINE_EXCEEDED, FAILED_PRECONDITION, INVALID_ARGUMENT, OK,
                      RESOURCE_EXHAUSTED, UNIMPLEMENTED, Closed, frame, pb, varint)


def test_hello_reply_describes_server(crmd):
    c = crmd.connect(hello=False)
    r = c.hello(name=b"pytest/1")
    assert r.status.code == OK
    assert r.WhichOneof("body") == "hello"
    h = r.hello
    assert h.protocol.major == 1
    assert re.match(r"^\d+\.\d+\.\d+", h.server_version), h.server_version
    assert any(v.major == 1 for v in h.supported)
    assert h.max_frame > 0 and h.max_inflight > 0


def test_request_before_hello_fails_then_closes(crmd):
    c = crmd.connect(hello=False)
    c.send(c.build(id=7, ping=pb().Ping()))
    frames = c.expect_close(5)
    assert len(frames) == 1, frames
    r = frames[0].response
    assert r.id == 7
    assert r.status.code == FAILED_PRECONDITION
    assert "hello" in r.status.message.lower()
    # the server itself is fine
    with crmd.connect() as c2:
        assert c2.ping().status.code == OK


def test_second_hello_is_refused(crmd):
    with crmd.connect() as c:
        r = c.hello()
        assert r.status.code != OK
        # not a reason to crash: either the connection is closed or usable
        if not c.closed:
            try:
                c.ping(timeout=2)
            except (Closed, TimeoutError):
                pass
    with crmd.connect() as c2:
        assert c2.ping().status.code == OK


def test_unsupported_major_version(crmd):
    c = crmd.connect(hello=False)
    r = c.hello(major=99, minor=0)
    assert r.status.code == FAILED_PRECONDITION
    msg = r.status.message
    assert re.search(r"\b1(\.\d+)?\b", msg), f"message does not name version 1: {msg!r}"
    c.close()


def test_newer_minor_version_is_accepted(crmd):
    with crmd.connect(hello=False) as c:
        r = c.hello(major=1, minor=57)
        assert r.status.code == OK
        assert r.hello.protocol.major == 1


def test_unknown_request_type_is_unimplemented_and_connection_stays(crmd):
    with crmd.connect() as c:
        # ClientFrame{id=41, <field 900: empty message>}: a request type from
        # the future. Field 900, wire type 2 (length-delimited), length 0.
        body = varint(1 << 3 | 0) + varint(41) + varint(900 << 3 | 2) + varint(0)
        c.send_raw(frame(body))
        r = c.recv_response(want_id=41)
        assert r.status.code == UNIMPLEMENTED
        # still open and usable
        assert c.ping().status.code == OK


def test_retired_note_requests_are_unimplemented(crmd):
    """The note requests (ClientFrame 12, 13, 38-43) are retired: an older
    client's note_create or note_get is a request this server does not
    know; notes go through the record requests."""
    with crmd.connect() as c:
        for rid, field, inner in ((51, 12, varint(1 << 3 | 2) + varint(1) + b"x"),  # body "x"
                                  (52, 13, varint(1 << 3 | 0) + varint(1)),         # note_id 1
                                  (53, 38, b""), (54, 43, b"")):
            body = varint(1 << 3 | 0) + varint(rid) + varint(field << 3 | 2) + varint(len(inner))
            c.send_raw(frame(body + inner))
            r = c.recv_response(want_id=rid)
            assert r.status.code == UNIMPLEMENTED, (field, r)
        assert c.note_create(b"as a record").status.code == OK


def test_frame_without_request_is_invalid(crmd):
    with crmd.connect() as c:
        c.send(pb().ClientFrame(id=5))
        r = c.recv_response(want_id=5)
        assert r.status.code == INVALID_ARGUMENT
        assert r.status.field == "request"


def test_frame_id_zero_is_refused_naming_the_field(crmd):
    """Id 0 is what crmd puts on connection-level errors: a client request
    carrying it is refused, naming "id", on the I/O path (ping) and the
    worker path (deep ping) alike; the connection stays usable. A hello
    with id 0 is refused and, as any bad hello, closes."""
    with crmd.connect() as c:
        for req in (dict(ping=pb().Ping()), dict(ping=pb().Ping(deep=True)),
                    dict(record_get=pb().RecordGet(type=pb().RECORD_TYPE_NOTE, id=1))):
            c.send(pb().ClientFrame(id=0, **req))
            r = c.recv_response(timeout=5)
            assert r.id == 0
            assert r.status.code == INVALID_ARGUMENT, (req, r.status)
            assert r.status.field == "id", r.status
            assert "0 is reserved" in r.status.message, r.status.message
        assert c.ping().status.code == OK
    c = crmd.connect(hello=False)
    p = pb()
    c.send(p.ClientFrame(id=0, hello=p.Hello(protocol=p.Version(major=1, minor=0),
                                             client_name=b"pytest")))
    frames = c.expect_close(5)
    assert len(frames) == 1, frames
    assert frames[0].response.status.code == INVALID_ARGUMENT
    assert frames[0].response.status.field == "id"
    c.close()


def test_ping_and_payload_echo(crmd):
    with crmd.connect() as c:
        r = c.ping(payload=b"hello \xe4\xb8\xad\xe6\x96\x87")
        assert r.status.code == OK
        assert r.ping.payload == b"hello \xe4\xb8\xad\xe6\x96\x87"
        now = time.time() * 1e6
        assert abs(r.ping.server_time - now) < 60e6
        assert not r.ping.HasField("db_time")


def test_ping_payload_too_long(crmd):
    with crmd.connect() as c:
        r = c.ping(payload=b"x" * 1025)
        assert r.status.code == INVALID_ARGUMENT
        assert "payload" in r.status.field


def test_deep_ping_goes_through_database(crmd):
    with crmd.connect() as c:
        r = c.ping(deep=True)
        assert r.status.code == OK, r.status
        assert r.ping.HasField("db_time")
        assert abs(r.ping.db_time - time.time() * 1e6) < 60e6
        assert r.ping.schema_version >= 1


def test_invalid_utf8_and_nul_refused_naming_field(crmd):
    with crmd.connect() as c:
        for bad in (b"a\x00b", b"\xff\xfe", b"bell\x07", b"\xc0\xaf"):
            r = c.note_create(bad)
            assert r.status.code == INVALID_ARGUMENT, (bad, r)
            assert r.status.field.endswith("body"), r.status.field
        r = c.note_create("tab\tnewline\n中文 ok".encode())
        assert r.status.code == OK, r.status


def test_note_roundtrip(crmd):
    with crmd.connect() as c:
        body = "Ünïcödé 中文 note".encode()
        r = c.note_create(body)
        assert r.status.code == OK, r.status
        nid = r.record.note.meta.id
        assert nid > 0
        g = c.note_get(nid)
        assert g.status.code == OK
        assert g.record.note.body == body
        assert c.note_get(nid + 1000000).status.code == 3  # NOT_FOUND


def test_pipelined_ping_ten_times_inflight_cap_in_one_write(crmd_factory):
    # Ten times the cap in one write. Shallow pings are answered on the I/O
    # thread and never count as in flight, so the cap is filled by requests
    # that stay with the workers: 8 sleeps of 1 s (two workers: they hold
    # the cap for 4 s). Behind them, in the same write, deep pings (which
    # count) alternate with shallow pings (which do not): every deep ping
    # is over the cap, every shallow ping is still answered.
    cap = 8
    crmd = crmd_factory(max_inflight=cap, db_workers=2)
    p = pb()
    with crmd.connect() as c:
        n = 10 * cap
        sleeps = set(range(1000, 1000 + cap))
        deep = set(range(1000 + cap, 1000 + n, 2))
        shallow = set(range(1000 + cap + 1, 1000 + n, 2))
        frames = []
        for i in range(1000, 1000 + n):
            if i in sleeps:
                cf = p.ClientFrame(id=i, sleep=p.Sleep(ms=1000))
            else:
                cf = p.ClientFrame(id=i, ping=p.Ping(deep=i in deep, payload=str(i).encode()))
            frames.append(frame(cf.SerializeToString()))
        c.send_raw(b"".join(frames))  # one write: many frames in the same TLS records
        seen, order = {}, []
        for _ in range(n):
            r = c.recv_response(timeout=15)
            assert r.id not in seen, f"id {r.id} answered twice"
            seen[r.id] = r
            order.append(r.id)
        assert sorted(seen) == list(range(1000, 1000 + n))
        for i in sleeps:
            assert seen[i].status.code == OK, seen[i]
        for i in deep:
            st = seen[i].status
            assert st.code == RESOURCE_EXHAUSTED, (i, st)
            assert f"max {cap}" in st.message and "in flight" in st.message, st
        for i in shallow:
            assert seen[i].status.code == OK, seen[i]
            assert seen[i].ping.payload == str(i).encode()
        # over-cap answers come at once, before any sleep is done
        first_sleep = min(order.index(i) for i in sleeps)
        assert max(order.index(i) for i in deep) < first_sleep, order
        # nothing more arrives
        try:
            extra = c.recv_response(timeout=0.3)
            raise AssertionError(f"unexpected extra response {extra}")
        except TimeoutError:
            pass
        # the cap is free again
        assert c.ping(deep=True).status.code == OK
        assert c.ping().status.code == OK


def test_pipelined_deep_pings_over_cap_get_resource_exhausted(crmd_factory):
    crmd = crmd_factory(max_inflight=4, db_workers=2)
    with crmd.connect() as c:
        n = 40
        # sleeps keep the first requests in flight, so the cap must bite
        data = b"".join(frame(pb().ClientFrame(id=i + 1, sleep=pb().Sleep(ms=300))
                              .SerializeToString()) for i in range(n))
        t0 = time.monotonic()
        c.send_raw(data)
        seen = {}
        exhausted_at = []
        for _ in range(n):
            r = c.recv_response(timeout=15)
            assert r.id not in seen
            seen[r.id] = r.status.code
            if r.status.code == RESOURCE_EXHAUSTED:
                exhausted_at.append(time.monotonic() - t0)
        assert sorted(seen) == list(range(1, n + 1))
        ok = [i for i, s in seen.items() if s == OK]
        assert set(seen.values()) <= {OK, RESOURCE_EXHAUSTED}
        assert 4 <= len(ok) < n, seen
        assert exhausted_at and min(exhausted_at) < 0.25, "over-cap answers must come at once"
        assert set(range(1, 5)) <= set(ok), "the first max_inflight requests are served"


def test_pipelined_mixed_requests_answered_by_id(crmd):
    with crmd.connect() as c:
        p = pb()
        frames = [
            p.ClientFrame(id=501, sleep=p.Sleep(ms=400)),
            p.ClientFrame(id=502, ping=p.Ping(payload=b"a")),
            p.ClientFrame(id=503, ping=p.Ping(deep=True)),
            p.ClientFrame(id=504, ping=p.Ping(payload=b"b")),
        ]
        c.send_raw(b"".join(frame(f.SerializeToString()) for f in frames))
        order = []
        for _ in frames:
            r = c.recv_response(timeout=10)
            assert r.status.code == OK, r
            order.append(r.id)
        assert sorted(order) == [501, 502, 503, 504]
        # the plain pings do not wait behind the sleep
        assert order.index(502) < order.index(501)
        assert order.index(504) < order.index(501)


def test_duplicate_inflight_id_is_invalid_argument(crmd):
    with crmd.connect() as c:
        c.send(c.build(id=77, sleep=pb().Sleep(ms=800)))
        time.sleep(0.1)
        # the same id again, once for the worker path, once for a plain
        # ping that the I/O thread answers itself
        c.send(c.build(id=77, sleep=pb().Sleep(ms=10)))
        c.send(c.build(id=77, ping=pb().Ping()))
        replies = [c.recv_response(timeout=5, want_id=77) for _ in range(3)]
        dups = [r for r in replies if r.status.code == INVALID_ARGUMENT]
        oks = [r for r in replies if r.status.code == OK]
        assert len(dups) == 2, replies
        assert all(r.status.field == "id" for r in dups), dups
        assert len(oks) == 1 and oks[0].WhichOneof("body") == "sleep", replies
        assert oks[0].sleep.slept_ms >= 700
        # once answered, the id may be reused
        assert c.ping(id=77).status.code == OK


def test_sleep_needs_diagnostics(crmd_factory):
    crmd = crmd_factory(diagnostics="false")
    with crmd.connect() as c:
        r = c.sleep(10)
        assert r.status.code != OK
        assert c.ping().status.code == OK


def test_oversized_frame_refused_before_body_and_others_unaffected(crmd_factory):
    crmd = crmd_factory(max_frame="65536", max_frame_preauth="4096")
    other = crmd.connect()
    with crmd.connect() as c:
        # only the header: the server must answer without waiting for 10 MB
        c.send_raw(struct.pack(">I", 10 * 1024 * 1024))
        frames = c.expect_close(5)
        assert len(frames) == 1, frames
        r = frames[0].response
        assert r.status.code in (RESOURCE_EXHAUSTED, INVALID_ARGUMENT), r
        assert r.status.message
    assert other.ping().status.code == OK
    assert other.ping(deep=True).status.code == OK
    other.close()


def test_preauth_frame_limit(crmd_factory):
    crmd = crmd_factory(max_frame="1048576", max_frame_preauth="2048")
    p = pb()
    big = p.RecordCreate(record=p.Record(note=p.NoteRecord(body=b"y" * 3000)))  # a 3000-byte frame
    with crmd.connect(auth=False, hello=False) as c:
        r = c.hello()
        assert r.hello.max_frame <= 2048
        # a frame under the limit passes
        assert c.ping(payload=b"x" * 1000).status.code == OK
        # one over max_frame_preauth (nobody is logged in): error, close
        c.send(c.build(id=9, record_create=big))
        frames = c.expect_close(5)
        assert len(frames) == 1
        assert frames[0].response.status.code in (RESOURCE_EXHAUSTED, INVALID_ARGUMENT)
    # once logged in, the connection gets max_frame
    with crmd.connect() as c:
        r = c.request(record_create=big)
        assert r.status.code == OK, r


def test_requests_need_a_session(crmd):
    with crmd.connect(auth=False) as c:
        assert c.ping().status.code == OK  # plain ping needs none
        for kw in ({"ping": pb().Ping(deep=True)}, c.note_frame(b"x"),
                   {"record_get": pb().RecordGet(type=pb().RECORD_TYPE_NOTE, id=1)}, {"sleep": pb().Sleep(ms=1)}):
            r = c.request(**kw)
            assert r.status.code == 6, (kw, r)  # UNAUTHENTICATED
        r = c.login("admin", "wrong password")
        assert r.status.code == 6, r
        assert not r.login.token
        r = c.resume("not-a-token")
        assert r.status.code == 6, r
        r = c.login("admin", crmd.env.admin_password)
        assert r.status.code == OK and r.login.token
        assert c.ping(deep=True).status.code == OK
    log = crmd.log()
    assert crmd.env.admin_password not in log
    assert "wrong password" not in log


def test_garbage_frame_gets_error_then_close(crmd):
    with crmd.connect() as c:
        junk = bytes([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03])  # not protobuf
        c.send_raw(frame(junk))
        frames = c.expect_close(5)
        assert len(frames) == 1
        assert frames[0].response.status.code == INVALID_ARGUMENT
    with crmd.connect() as c:
        assert c.ping().status.code == OK


def test_truncated_protobuf_gets_error_then_close(crmd):
    with crmd.connect() as c:
        good = pb().ClientFrame(id=3, ping=pb().Ping(payload=b"abcdefgh")).SerializeToString()
        c.send_raw(frame(good[:-3]))  # submessage cut short
        frames = c.expect_close(5)
        assert len(frames) == 1
        assert frames[0].response.status.code == INVALID_ARGUMENT


def test_random_garbage_before_hello(crmd):
    for junk in (os.urandom(64), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x00\x00\x00"):
        c = crmd.connect(hello=False)
        c.send_raw(junk)
        try:
            c.expect_close(5)
        finally:
            c.close()
    with crmd.connect() as c:
        assert c.ping().status.code == OK
    assert crmd.alive()


def test_truncated_frame_then_disconnect(crmd):
    for cut in (1, 3, 4, 10):
        c = crmd.connect()
        data = frame(pb().ClientFrame(id=1, ping=pb().Ping(payload=b"z" * 40))
                     .SerializeToString())
        c.send_raw(data[:cut])
        c.close()
    time.sleep(0.2)
    with crmd.connect() as c:
        assert c.ping(deep=True).status.code == OK
    assert crmd.alive()


def test_frame_split_across_writes(crmd):
    with crmd.connect() as c:
        data = frame(pb().ClientFrame(id=66, ping=pb().Ping(payload=b"split")).SerializeToString())
        for b in data:
            c.send_raw(bytes([b]))
            time.sleep(0.002)
        r = c.recv_response(want_id=66)
        assert r.status.code == OK and r.ping.payload == b"split"


def test_request_log_line_fields_and_no_body(crmd):
    secret = b"TOPSECRET-body-" + os.urandom(4).hex().encode()
    with crmd.connect() as c:
        assert c.ping(id=987654321, payload=secret).status.code == OK
        assert c.note_create(secret, id=987654322).status.code == OK
        assert c.ping(deep=True, id=987654323).status.code == OK
        assert c.note_get(123456789, id=987654324).status.code == 3
    line = crmd.wait_log(r"\b987654321\b")
    assert re.search(r"\bping\b", line), line
    assert re.search(r"\bOK\b", line), line
    assert "127.0.0.1" in line, line
    assert re.search(r"\d+(\.\d+)?\s*ms\b|\bms=\d", line), line
    line = crmd.wait_log(r"\b987654322\b")
    assert "record_create" in line and re.search(r"\bOK\b", line), line
    line = crmd.wait_log(r"\b987654324\b")
    assert "NOT_FOUND" in line, line
    log = crmd.log()
    assert secret.decode() not in log, "a message body reached the log"
    assert crmd.env.pg.app_password not in log, "a password reached the log"
    assert crmd.token and crmd.token not in log, "a session token reached the log"


def test_request_timeout_is_deadline_exceeded(crmd_factory):
    # 2 s, not less: the harness's login runs under the same timeout and
    # may take more than a second under sanitizers on a busy machine.
    crmd = crmd_factory(request_timeout="2s")
    with crmd.connect() as c:
        t0 = time.monotonic()
        r = c.sleep(6000, timeout=15)
        took = time.monotonic() - t0
        assert r.status.code == DEADLINE_EXCEEDED, r
        assert took < 5.5, took
        # the worker is free again and the server healthy
        assert c.ping(deep=True).status.code == OK
        assert c.sleep(100).status.code == OK


def test_many_connections_in_parallel(crmd):
    conns = [crmd.connect() for _ in range(20)]
    for i, c in enumerate(conns):
        c.send(c.build(id=i + 1, ping=pb().Ping(deep=bool(i % 2))))
    for i, c in enumerate(conns):
        r = c.recv_response(timeout=10)
        assert r.id == i + 1 and r.status.code == OK
    for c in conns:
        c.close()


def test_half_closed_client_still_gets_reply(crmd):
    c = crmd.connect()
    c.send(c.build(id=12, ping=pb().Ping(deep=True)))
    r = c.recv_response(want_id=12)
    assert r.status.code == OK
    raw = c.sock
    try:
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    c.close()
    assert crmd.alive()
