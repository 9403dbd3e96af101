"""crmd's life: start-up, SIGTERM/SIGINT draining, SIGHUP certificate
reload, pid file."""

import os
import shutil
import signal
import socket
import ssl
import time

import pytest

from conftest import OK, Closed, Conn, pb, subject_cn


def _serial(conn):
    return conn.peer_cert()["serialNumber"]


def test_pid_file_written_and_removed(crmd):
    pid_file = crmd.cfg["pid_file"]
    with open(pid_file) as f:
        assert int(f.read().strip()) == crmd.proc.pid
    assert crmd.stop() == 0
    assert not os.path.exists(pid_file)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_drains_inflight_requests(crmd_factory, sig):
    crmd = crmd_factory(shutdown_grace="10s")
    c = crmd.connect()
    idle = crmd.connect()
    cf = c.build(sleep=pb().Sleep(ms=1500))
    c.send(cf)
    time.sleep(0.3)  # in a worker now
    t0 = time.monotonic()
    crmd.send_signal(sig)
    # new connections are no longer served
    time.sleep(0.2)
    refused = False
    try:
        with Conn(crmd.port, crmd.ca, timeout=1) as n:
            n.ping(timeout=1)
    except (ssl.SSLError, OSError, Closed, TimeoutError):
        refused = True
    assert refused, "a new connection was served after the shutdown signal"
    r = c.recv_response(timeout=10, want_id=cf.id)
    assert r.status.code == OK, r
    assert r.sleep.slept_ms >= 1400
    assert time.monotonic() - t0 >= 0.9
    assert crmd.wait(10) == 0
    # the idle connection was closed by the server, not left hanging
    idle.expect_close(1)
    c.close()


def test_shutdown_grace_bounds_draining(crmd_factory):
    crmd = crmd_factory(shutdown_grace="1s", request_timeout="30s")
    c = crmd.connect()
    c.send(c.build(sleep=pb().Sleep(ms=8000)))
    time.sleep(0.3)
    t0 = time.monotonic()
    crmd.send_signal(signal.SIGTERM)
    crmd.wait(8)
    took = time.monotonic() - t0
    assert took < 5, f"took {took:.1f}s despite shutdown_grace=1s"
    crmd.expected_rc = crmd.proc.returncode  # 0 or not: the grace ran out
    c.close()


def test_shutdown_event_pushed_to_idle_clients(crmd):
    c = crmd.connect()
    crmd.send_signal(signal.SIGTERM)
    frames = c.expect_close(10)
    kinds = [f.WhichOneof("kind") for f in frames]
    # an announcement is optional, but anything sent must be an event
    assert set(kinds) <= {"event"}, frames
    assert crmd.wait(10) == 0


def _swap_cert(crmd, cert, key):
    """Replace the files crmd's config points at, each atomically."""
    for src, dst in ((key, crmd.cfg["tls_key"]), (cert, crmd.cfg["tls_cert"])):
        tmp = dst + ".new"
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, dst)


def test_sighup_swaps_certificate(env, crmd_factory):
    cert0, key0 = env.certs.issue("hup0", cn="crmd-first")
    cert1, key1 = env.certs.issue("hup1", cn="crmd-reloaded")
    d = os.path.join(env.base, "live-certs")
    os.makedirs(d, exist_ok=True)
    live_cert, live_key = os.path.join(d, "server.pem"), os.path.join(d, "server.key")
    shutil.copyfile(cert0, live_cert)
    shutil.copyfile(key0, live_key)
    crmd = crmd_factory(tls_cert=live_cert, tls_key=live_key)

    old = crmd.connect()
    assert subject_cn(old.peer_cert()) == "crmd-first"
    serial0 = _serial(old)
    # a request in flight across the reload
    inflight = old.build(sleep=pb().Sleep(ms=700))
    old.send(inflight)

    _swap_cert(crmd, cert1, key1)
    nlines = len(crmd.log_lines())
    crmd.send_signal(signal.SIGHUP)

    def new_cert():
        with crmd.connect() as c:
            return subject_cn(c.peer_cert()) == "crmd-reloaded" and _serial(c) != serial0

    deadline = time.monotonic() + 5
    while not new_cert():
        assert time.monotonic() < deadline, "new connections never saw the new certificate"
        time.sleep(0.1)
    # the open connection keeps working, on its old session
    assert old.recv_response(timeout=5, want_id=inflight.id).status.code == OK
    assert old.ping().status.code == OK
    assert old.ping(deep=True).status.code == OK
    assert subject_cn(old.peer_cert()) == "crmd-first"
    assert crmd.alive()
    assert len(crmd.log_lines()) > nlines, "the reload was not logged"

    # a bad certificate: logged, and the previous one stays
    with open(live_cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    nlines = len(crmd.log_lines())
    crmd.send_signal(signal.SIGHUP)
    line = crmd.wait_log(r"(?i)(error|warn)", start=nlines, timeout=5)
    assert "cert" in line.lower() or "tls" in line.lower(), line
    with crmd.connect() as c:
        assert subject_cn(c.peer_cert()) == "crmd-reloaded"
        assert c.ping().status.code == OK
    assert old.ping().status.code == OK

    # a certificate that does not match the key: same
    shutil.copyfile(cert0, live_cert)  # key is still key1
    nlines = len(crmd.log_lines())
    crmd.send_signal(signal.SIGHUP)
    crmd.wait_log(r"(?i)(error|warn)", start=nlines, timeout=5)
    with crmd.connect() as c:
        assert subject_cn(c.peer_cert()) == "crmd-reloaded"
    old.close()
    assert crmd.alive()


def test_bad_certificate_at_startup_is_fatal(env, crmd_factory, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("garbage\n")
    crmd = crmd_factory(tls_cert=str(bad), start=False)
    r = crmd.run("serve", "--config", crmd.config_path, timeout=15)
    assert r.rc != 0
    assert "tls_cert" in r.err or "certificate" in r.err.lower(), r.err


def test_port_in_use_is_fatal(crmd_factory):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    crmd = crmd_factory(listen=f"127.0.0.1:{port}", start=False)
    r = crmd.run("serve", "--config", crmd.config_path, timeout=15)
    s.close()
    assert r.rc != 0
    assert str(port) in r.err, r.err


def test_two_listen_addresses(crmd_factory):
    from conftest import free_port
    p2 = free_port()
    crmd = crmd_factory(start=False)
    crmd.configure(listen=f"127.0.0.1:{crmd.port},127.0.0.1:{p2}")
    crmd.start()
    with Conn(p2, crmd.ca) as c:
        assert c.ping().status.code == OK
    with crmd.connect() as c:
        assert c.ping().status.code == OK
