"""Server limits: the bounded job queue, the connection cap, the idle
timeout, output back-pressure."""

import select
import socket
import ssl
import struct
import threading
import time

from conftest import OK, RESOURCE_EXHAUSTED, Closed, Conn, frame, pb


def test_queue_full_gives_resource_exhausted_at_once(crmd_factory):
    crmd = crmd_factory(db_workers=1, queue_length=2)
    conns = [crmd.connect() for _ in range(3)]
    t0 = time.monotonic()
    for c in conns:
        for _ in range(2):
            cf = c.build(sleep=pb().Sleep(ms=1000))
            c.send(cf)
            time.sleep(0.05)  # a stable order: the first one is running
    results = []

    def reader(c):
        for _ in range(2):
            r = c.recv_response(timeout=15)
            results.append((r.status.code, time.monotonic() - t0, r.status.message))

    threads = [threading.Thread(target=reader, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(results) == 6, results
    codes = [r[0] for r in results]
    assert set(codes) <= {OK, RESOURCE_EXHAUSTED}, results
    busy = [r for r in results if r[0] == RESOURCE_EXHAUSTED]
    ok = [r for r in results if r[0] == OK]
    # one running + two queued; the others are turned away
    assert 2 <= len(ok) <= 3, results
    assert len(busy) >= 3, results
    for code, at, msg in busy:
        assert at < 0.8, f"RESOURCE_EXHAUSTED after {at:.2f}s: must be answered at once"
        assert msg
    # the I/O thread still answers plain pings while workers are busy
    with crmd.connect() as c:
        c.send(c.build(sleep=pb().Sleep(ms=800)))
        t1 = time.monotonic()
        assert c.ping().status.code == OK
        assert time.monotonic() - t1 < 0.5
        c.recv_response(timeout=10)
    for c in conns:
        c.close()


def test_max_connections_plus_one_refused_cleanly(crmd_factory):
    crmd = crmd_factory(max_connections=3, handshake_timeout="2s")
    conns = [crmd.connect() for _ in range(3)]
    # number 4: TLS completes, then one RESOURCE_EXHAUSTED frame, then close
    t0 = time.monotonic()
    c4 = Conn(crmd.port, crmd.ca, timeout=5, hello=False)
    frames = c4.expect_close(5)
    c4.close()
    assert time.monotonic() - t0 < 3
    assert len(frames) == 1, frames
    r = frames[0].response
    assert r.status.code == RESOURCE_EXHAUSTED, r
    assert "connections" in r.status.message, r.status.message
    # the three are unaffected
    for c in conns:
        assert c.ping().status.code == OK
    assert crmd.alive()
    # a slot freed: new connections are served again
    conns.pop().close()

    def try_connect():
        try:
            with Conn(crmd.port, crmd.ca, timeout=2) as c:
                return c.ping(timeout=2).status.code == OK
        except (ssl.SSLError, OSError, Closed, TimeoutError, AssertionError):
            return False

    deadline = time.monotonic() + 5
    while not try_connect():
        assert time.monotonic() < deadline, "no new connection served after a slot freed"
        time.sleep(0.1)
    for c in conns:
        c.close()


def test_connection_flood_beyond_limit(crmd_factory):
    """Far past max_connections crmd closes at accept; it keeps serving."""
    crmd = crmd_factory(max_connections=2)
    keep = [crmd.connect() for _ in range(2)]
    socks = []
    for _ in range(100):
        try:
            socks.append(socket.create_connection(("127.0.0.1", crmd.port), timeout=2))
        except OSError:
            break
    time.sleep(0.3)
    for s in socks:
        s.close()
    for c in keep:
        assert c.ping(deep=True).status.code == OK
        c.close()
    time.sleep(0.3)
    with crmd.connect() as c:
        assert c.ping().status.code == OK


def test_idle_connection_closed(crmd_factory):
    crmd = crmd_factory(idle_timeout="1s")
    busy = crmd.connect()
    idle = crmd.connect()
    assert idle.ping().status.code == OK
    t0 = time.monotonic()
    # the busy one keeps talking and must survive past the timeout
    while time.monotonic() - t0 < 2.2:
        assert busy.ping().status.code == OK
        time.sleep(0.25)
    idle.expect_close(3)
    assert time.monotonic() - t0 < 4.5
    busy.close()


def test_request_in_progress_is_not_idle(crmd_factory):
    crmd = crmd_factory(idle_timeout="1s", request_timeout="10s")
    with crmd.connect() as c:
        r = c.sleep(1800, timeout=10)
        assert r.status.code == OK


def test_idle_timeout_counts_from_the_last_reply(crmd_factory):
    """A request that takes most of idle_timeout must leave the client the
    whole timeout to send the next one: idle means nothing in flight, so the
    clock starts at the reply, not at the last byte received."""
    crmd = crmd_factory(idle_timeout="1s", request_timeout="10s")
    with crmd.connect() as c:
        assert c.sleep(900, timeout=10).status.code == OK
        time.sleep(0.4)  # 1.3 s after the request was read, 0.4 s after the reply
        assert c.ping(timeout=5).status.code == OK
        c.expect_close(3)  # and idle it does close


def test_slow_reader_does_not_stall_others(crmd):
    """A client that sends many requests but never reads: the server stops
    reading from it (output high-water mark) without hurting others."""
    hog = crmd.connect()
    payload = b"p" * 1000
    data = b"".join(frame(pb().ClientFrame(id=i + 1, ping=pb().Ping(payload=payload))
                          .SerializeToString()) for i in range(500))
    hog.sock.setblocking(False)
    sent = 0
    t0 = time.monotonic()
    for _ in range(400):  # ~20 MB of requests at most, bounded in time
        try:
            hog.sock.sendall(data)
            sent += 1
        except (ssl.SSLWantWriteError, BlockingIOError, socket.timeout):
            break
        except OSError:
            break
        if time.monotonic() - t0 > 5:
            break
    with crmd.connect() as c:
        t1 = time.monotonic()
        assert c.ping().status.code == OK
        assert c.ping(deep=True).status.code == OK
        assert time.monotonic() - t1 < 2
    hog.close()
    assert crmd.alive()


def test_paused_reading_resumes_with_buffered_frames(crmd_factory):
    """The client writes far more than the output high-water mark while not
    reading; crmd pauses reading from it. When the client reads again, crmd
    must resume and answer every request, including the frames that sat in
    its input buffer (or inside OpenSSL) while reading was paused."""
    crmd = crmd_factory(max_frame="65536", max_inflight="1024")
    c = crmd.connect()
    # a small receive buffer, so that the kernel does not absorb it all
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    # more than the kernel's socket buffers (several MB on loopback) can
    # hold besides crmd's 256 KiB output mark
    n = 16000
    payload = b"q" * 1000
    data = b"".join(frame(pb().ClientFrame(id=i + 1, ping=pb().Ping(payload=payload))
                          .SerializeToString()) for i in range(n))
    sock = c.sock
    sock.setblocking(False)
    sent = 0
    blocked_since = None
    deadline = time.monotonic() + 30
    # phase 1: write only, until crmd stops reading (our writes block)
    while sent < len(data):
        assert time.monotonic() < deadline
        try:
            sent += sock.send(data[sent:sent + 65536])
            blocked_since = None
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            blocked_since = blocked_since or time.monotonic()
            if time.monotonic() - blocked_since > 0.7:
                break
            time.sleep(0.01)
    assert sent < len(data), "crmd never stopped reading: no back-pressure"
    # normal buffers again: tiny windows would make the rest crawl
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    # phase 2: read and write until everything is answered
    buf = b""
    seen = set()
    while len(seen) < n:
        assert time.monotonic() < deadline, \
            f"stalled with {len(seen)}/{n} answers, {sent}/{len(data)} bytes sent"
        progress = False
        if sent < len(data):
            try:
                sent += sock.send(data[sent:sent + 65536])
                progress = True
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
        try:
            chunk = sock.recv(262144)
            assert chunk, "crmd closed the connection"
            buf += chunk
            progress = True
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        while len(buf) >= 4:
            (ln,) = struct.unpack(">I", buf[:4])
            if len(buf) < 4 + ln:
                break
            sf = pb().ServerFrame()
            sf.ParseFromString(buf[4:4 + ln])
            buf = buf[4 + ln:]
            assert sf.response.status.code == OK, sf
            assert sf.response.id not in seen
            seen.add(sf.response.id)
        if not progress:
            select.select([sock], [sock] if sent < len(data) else [], [], 0.05)
    assert seen == set(range(1, n + 1))
    c.close()
