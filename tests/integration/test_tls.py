"""TLS as crmd offers it: versions and suites, certificate checks in the
clients, handshake timeout, peers that vanish without close_notify, client
certificates."""

import os
import re
import socket
import ssl
import subprocess
import time
import warnings

import pytest

from conftest import OK, Closed, Conn, free_port, kill_group, pb


def s_client(port, *args, ca=None, timeout=10):
    """openssl s_client; returns (protocol, cipher) of an established
    session, or (None, None) when the handshake failed."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
           "-brief", *args]
    if ca:
        cmd += ["-CAfile", ca]
    r = subprocess.run(cmd, input="", capture_output=True, text=True, timeout=timeout)
    out = r.stdout + r.stderr
    proto = re.search(r"Protocol version: (\S+)", out)
    cipher = re.search(r"Ciphersuite: (\S+)", out)
    if "CONNECTION ESTABLISHED" in out and proto:
        return proto.group(1), cipher.group(1) if cipher else None
    return None, None


@pytest.fixture
def permissive_server(env):
    """`openssl s_server` with the same certificate, allowing everything:
    proves the client below really offers what the test says it offers."""
    procs = []

    def start(*args, cert=None, key=None):
        port = free_port()
        p = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                              "-cert", cert or env.certs.server_cert,
                              "-key", key or env.certs.server_key, *args],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        procs.append(p)
        seen = []
        for line in p.stdout:
            seen.append(line)
            if "ACCEPT" in line:
                return port
        raise AssertionError("openssl s_server did not start: " + "".join(seen))

    yield start
    for p in procs:
        kill_group(p)
        p.wait()


def test_tls13_is_negotiated_by_default(crmd):
    with crmd.connect() as c:
        assert c.sock.version() == "TLSv1.3"
        assert c.ping().status.code == OK


def test_tls12_aead_works(crmd):
    ctx = ssl.create_default_context(cafile=crmd.ca)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with crmd.connect(context=ctx) as c:
        assert c.sock.version() == "TLSv1.2"
        name = c.sock.cipher()[0]
        assert name.startswith("ECDHE-"), name
        assert "GCM" in name or "CHACHA20" in name, name
        assert c.ping().status.code == OK
    proto, cipher = s_client(crmd.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                             ca=crmd.ca)
    assert proto == "TLSv1.2" and cipher == "ECDHE-ECDSA-AES128-GCM-SHA256"


@pytest.mark.parametrize("version", ["-tls1_1", "-tls1"])
def test_old_tls_refused_even_at_seclevel0(crmd, permissive_server, version):
    # control: this client really speaks the old version
    ctl = permissive_server(version, "-cipher", "DEFAULT@SECLEVEL=0")
    proto, _ = s_client(ctl, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert proto in ("TLSv1.1", "TLSv1"), "control handshake failed: test would prove nothing"
    proto, cipher = s_client(crmd.port, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert proto is None, f"crmd accepted {proto} {cipher}"
    assert crmd.alive()


def test_tls11_refused_python_client(crmd, permissive_server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(crmd.ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    # control: this very context completes a TLS 1.1 handshake with a server
    # that allows it, so the refusal below comes from crmd, not the client
    ctl = permissive_server("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", ctl), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.1", "control handshake: test would prove nothing"
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        Conn(crmd.port, crmd.ca, context=ctx)
    assert crmd.alive()


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA",
                                    "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES256-SHA"])
def test_cbc_suites_refused_on_tls12(crmd, permissive_server, cipher):
    ctl = permissive_server("-tls1_2", "-cipher", "ALL@SECLEVEL=0")
    assert s_client(ctl, "-tls1_2", "-cipher", cipher + "@SECLEVEL=0")[1] == cipher, \
        "control handshake failed"
    proto, got = s_client(crmd.port, "-tls1_2", "-cipher", cipher + "@SECLEVEL=0")
    assert proto is None, f"crmd accepted {got}"


@pytest.fixture
def rsa_crmd(env, crmd_factory):
    cert, key = env.certs.issue("rsa-server", key_type="rsa")
    return crmd_factory(tls_cert=cert, tls_key=key), cert, key


@pytest.mark.parametrize("cipher", ["AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256",
                                    "AES128-SHA", "ECDHE-RSA-AES128-SHA",
                                    "ECDHE-RSA-AES128-SHA256"])
def test_static_rsa_and_cbc_refused_with_rsa_certificate(rsa_crmd, permissive_server, cipher):
    crmd, cert, key = rsa_crmd
    ctl = permissive_server("-tls1_2", "-cipher", "ALL@SECLEVEL=0", cert=cert, key=key)
    assert s_client(ctl, "-tls1_2", "-cipher", cipher + "@SECLEVEL=0")[1] == cipher, \
        "control handshake failed"
    proto, got = s_client(crmd.port, "-tls1_2", "-cipher", cipher + "@SECLEVEL=0")
    assert proto is None, f"crmd accepted {got}"


def test_rsa_certificate_forward_secret_aead_works(rsa_crmd):
    crmd, _, _ = rsa_crmd
    proto, cipher = s_client(crmd.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256",
                             ca=crmd.ca)
    assert (proto, cipher) == ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    with crmd.connect() as c:
        assert c.ping().status.code == OK


def test_python_client_refuses_other_ca(env, crmd_factory):
    other_ca, cert, key = env.certs.other_ca()
    crmd = crmd_factory(tls_cert=cert, tls_key=key, start=False)
    crmd.ca = other_ca
    crmd.start()
    with pytest.raises(ssl.SSLCertVerificationError):
        Conn(crmd.port, env.certs.ca)


def test_cli_refuses_certificate_from_other_ca(env, crmd_factory):
    other_ca, cert, key = env.certs.other_ca()
    crmd = crmd_factory(tls_cert=cert, tls_key=key, start=False)
    crmd.ca = other_ca
    crmd.start()
    r = crmd.crm("ping", env={"CRM_CA": env.certs.ca})
    assert r.rc != 0, r
    assert re.search(r"certificate|verif", r.err, re.I), r.err
    assert r.out.strip() == ""
    # and the same server passes with the right CA (control)
    r = crmd.crm("ping", env={"CRM_CA": other_ca})
    assert r.rc == 0, r


def test_cli_refuses_wrong_host_name(env, crmd_factory):
    cert, key = env.certs.issue("otherhost", cn="other.example", san="DNS:other.example")
    crmd = crmd_factory(tls_cert=cert, tls_key=key)
    r = crmd.crm("ping")
    assert r.rc != 0, r
    assert re.search(r"host|name|127\.0\.0\.1|match", r.err, re.I), r.err
    with pytest.raises(ssl.SSLCertVerificationError):
        Conn(crmd.port, env.certs.ca, server_hostname="127.0.0.1")


def test_cli_ping_through_tls(crmd):
    r = crmd.crm("ping")
    assert r.rc == 0, r


def test_silent_connection_dropped_at_handshake_timeout(crmd_factory):
    crmd = crmd_factory(handshake_timeout="1s")
    s = socket.create_connection(("127.0.0.1", crmd.port), timeout=10)
    t0 = time.monotonic()
    try:
        data = s.recv(100)
    except ConnectionResetError:
        data = b""
    took = time.monotonic() - t0
    s.close()
    assert data == b""
    assert 0.5 <= took <= 4, took
    with crmd.connect() as c:
        assert c.ping().status.code == OK


def test_slow_handshake_dropped(crmd_factory):
    crmd = crmd_factory(handshake_timeout="1s")
    s = socket.create_connection(("127.0.0.1", crmd.port), timeout=10)
    # the start of a ClientHello record, then nothing
    s.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]))
    t0 = time.monotonic()
    try:
        while s.recv(100):
            pass
    except ConnectionResetError:
        pass
    took = time.monotonic() - t0
    s.close()
    assert took <= 4, took


def test_hello_not_sent_after_handshake_is_timed_out(crmd_factory):
    """A client that completes TLS but never says hello is not kept forever."""
    crmd = crmd_factory(handshake_timeout="1s", idle_timeout="2s")
    c = crmd.connect(hello=False)
    t0 = time.monotonic()
    c.expect_close(6)
    assert time.monotonic() - t0 <= 5.5


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _abrupt_close(c):
    """Close the TCP connection under TLS without close_notify."""
    raw = socket.socket(fileno=os.dup(c.sock.fileno()))
    raw.shutdown(socket.SHUT_RDWR)
    raw.close()
    c.sock.close()


def test_peer_closing_without_close_notify(crmd_factory):
    crmd = crmd_factory(max_connections=3)
    keep = crmd.connect()
    for i in range(12):
        c = crmd.connect()
        mode = i % 4
        if mode == 1:
            c.send(c.build(ping=pb().Ping(deep=True)))  # reply in flight
        elif mode == 2:
            c.send(c.build(sleep=pb().Sleep(ms=200)))  # worker busy with it
        elif mode == 3:
            c.send_raw(b"\x00\x00\x01\x00partial")  # half a frame
        _abrupt_close(c)
    # slots were freed: with max_connections=3, leaked connections would
    # stop these from being served
    time.sleep(0.5)
    others = [crmd.connect(timeout=5) for _ in range(2)]
    for o in others:
        assert o.ping(deep=True).status.code == OK
        o.close()
    # the loop is not spinning on a dead socket
    cpu0 = _cpu_seconds(crmd.proc.pid)
    time.sleep(1.0)
    assert _cpu_seconds(crmd.proc.pid) - cpu0 < 0.3
    assert keep.ping().status.code == OK
    keep.close()
    assert crmd.alive()
    assert not [l for l in crmd.log_lines() if re.search(r"\b(ERROR|FATAL|panic|abort)", l)]


def test_tls_close_notify_from_client(crmd):
    c = crmd.connect()
    assert c.ping().status.code == OK
    raw = c.sock.unwrap()  # sends close_notify
    raw.close()
    time.sleep(0.2)
    with crmd.connect() as c2:
        assert c2.ping().status.code == OK


def test_client_certificate_required(env, crmd_factory):
    ccert, ckey = env.certs.issue("client1", cn="client1", san="DNS:client1", client=True)
    crmd = crmd_factory(tls_client_ca=env.certs.ca, tls_client_cert_required="true")
    # without a certificate: refused (TLS 1.3 reports it at the first read)
    with pytest.raises((ssl.SSLError, OSError, Closed)):
        with Conn(crmd.port, env.certs.ca, timeout=3) as c:
            c.ping(timeout=3)
    ctx = ssl.create_default_context(cafile=env.certs.ca)
    ctx.load_cert_chain(ccert, ckey)
    with Conn(crmd.port, env.certs.ca, context=ctx) as c:
        assert c.ping().status.code == OK
    # a client certificate from another CA is refused
    d = os.path.join(env.base, "certs-rogue")
    rcert, rkey = env.certs.issue("client1", cn="client1", san="DNS:client1", client=True,
                                  ca_dir=d)
    ctx = ssl.create_default_context(cafile=env.certs.ca)
    ctx.load_cert_chain(rcert, rkey)
    with pytest.raises((ssl.SSLError, OSError, Closed)):
        with Conn(crmd.port, env.certs.ca, context=ctx, timeout=3) as c:
            c.ping(timeout=3)
