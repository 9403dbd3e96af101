"""PROXY protocol v2 (HAProxy `send-proxy-v2`): accepted from
trusted_proxies only, required from them, and the client address it
carries is the one crmd logs."""

import socket
import ssl
import struct

import pytest

from conftest import OK, Closed, Conn

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2(src_ip, src_port, dst_ip="127.0.0.1", dst_port=7443, local=False):
    if local:
        return SIG + bytes([0x20, 0x00]) + struct.pack(">H", 0)
    body = socket.inet_aton(src_ip) + socket.inet_aton(dst_ip) + struct.pack(">HH", src_port,
                                                                            dst_port)
    return SIG + bytes([0x21, 0x11]) + struct.pack(">H", len(body)) + body


def proxy_v2_ipv6(src_ip, src_port):
    body = (socket.inet_pton(socket.AF_INET6, src_ip) + socket.inet_pton(socket.AF_INET6, "::1")
            + struct.pack(">HH", src_port, 7443))
    return SIG + bytes([0x21, 0x21]) + struct.pack(">H", len(body)) + body


REFUSED = (ssl.SSLError, OSError, Closed, AssertionError)


def test_client_address_from_trusted_proxy_is_logged(crmd_factory):
    crmd = crmd_factory(trusted_proxies="127.0.0.1/32")
    with Conn(crmd.port, crmd.ca, preamble=proxy_v2("203.0.113.7", 40001)) as c:
        assert c.ping(id=4242001).status.code == OK
    line = crmd.wait_log(r"req=4242001\b")
    assert "203.0.113.7" in line, line
    with Conn(crmd.port, crmd.ca, preamble=proxy_v2_ipv6("2001:db8::5", 40002)) as c:
        assert c.ping(id=4242002).status.code == OK
    line = crmd.wait_log(r"req=4242002\b")
    assert "2001:db8::5" in line, line


def test_local_command_keeps_proxy_address(crmd_factory):
    crmd = crmd_factory(trusted_proxies="127.0.0.0/8")
    with Conn(crmd.port, crmd.ca, preamble=proxy_v2("", 0, local=True)) as c:
        assert c.ping(id=4242003).status.code == OK
    assert "127.0.0.1" in crmd.wait_log(r"req=4242003\b")


def test_header_required_from_trusted_proxy(crmd_factory):
    crmd = crmd_factory(trusted_proxies="127.0.0.1/32", handshake_timeout="2s")
    with pytest.raises(REFUSED):
        with Conn(crmd.port, crmd.ca, timeout=4) as c:
            c.ping(timeout=3)
    assert crmd.alive()


def test_header_from_untrusted_peer_refused(crmd_factory):
    crmd = crmd_factory(trusted_proxies="10.0.0.0/8", handshake_timeout="2s")
    with pytest.raises(REFUSED):
        with Conn(crmd.port, crmd.ca, timeout=4, preamble=proxy_v2("203.0.113.9", 1)) as c:
            c.ping(timeout=3)
    assert "203.0.113.9" not in crmd.log()
    with crmd.connect() as c:  # a plain client from there is fine
        assert c.ping().status.code == OK


def test_malformed_header_from_trusted_proxy(crmd_factory):
    crmd = crmd_factory(trusted_proxies="127.0.0.1/32", handshake_timeout="2s")
    bad = SIG + bytes([0x21, 0x11]) + struct.pack(">H", 4) + b"\x00\x00\x00\x00"
    for junk in (bad, SIG[:8] + b"garbage!" * 4, b"\x16\x03\x01" + b"\x00" * 40):
        with pytest.raises(REFUSED):
            with Conn(crmd.port, crmd.ca, timeout=4, preamble=junk) as c:
                c.ping(timeout=3)
    assert crmd.alive()
    with Conn(crmd.port, crmd.ca, preamble=proxy_v2("198.51.100.1", 2)) as c:
        assert c.ping().status.code == OK
