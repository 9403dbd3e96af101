"""libcrmclient's retry rules, through the `crm` CLI and a TCP proxy that
cuts the connection right after the request reached crmd, before the reply
comes back:

- a request with an idempotency key (every mutating CLI command sends one)
  is resent on a new connection and takes effect exactly once;
- a request without one is reported UNAVAILABLE "outcome unknown" and is
  not resent.

The proxy reads TLS record headers (plaintext) to count the client's
encrypted records: with TLS 1.3 these are Finished, hello, resume and then
the request itself.
"""

import json
import socket
import struct
import threading
import time

from conftest import exit_code, UNAVAILABLE

APP_DATA = 0x17


class CuttingProxy:
    """Forwards 127.0.0.1:port → crmd. Connection number `cut_conn` is cut
    once the client's `cut_after`-th application-data record has been
    forwarded and `grace` seconds have passed (so crmd has committed); the
    others pass untouched."""

    def __init__(self, target_port, cut_conn=2, cut_after=4, grace=0.5):
        self.target = target_port
        self.cut_conn = cut_conn
        self.cut_after = cut_after
        self.grace = grace
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.records = {}  # connection number -> record types seen from the client
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            first = self.connections == self.cut_conn
            s = socket.create_connection(("127.0.0.1", self.target))
            if first:
                self.cut_client = c
            threading.Thread(target=self._up, args=(c, s, first, self.connections),
                             daemon=True).start()
            threading.Thread(target=self._down, args=(s, c), daemon=True).start()

    def _up(self, c, s, first, n):
        buf, records = b"", 0
        seen = self.records.setdefault(n, [])
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 5:
                    rtype, _, length = struct.unpack(">BHH", buf[:5])
                    if len(buf) < 5 + length:
                        break
                    buf = buf[5 + length:]
                    records += rtype == APP_DATA
                    seen.append(rtype)
                cutting = first and records >= self.cut_after
                if cutting:
                    # before the request is forwarded: from now on nothing
                    # reaches the client, however fast crmd answers (set
                    # after forwarding, a reply could slip through first)
                    self.cut.set()
                s.sendall(data)
                if cutting:
                    time.sleep(self.grace)
                    break
        except OSError:
            pass
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            x.close()

    def _down(self, s, c):
        try:
            while True:
                data = s.recv(65536)
                if not data or (self.cut.is_set() and self._is_cut_conn(c)):
                    break
                c.sendall(data)
        except OSError:
            pass

    def _is_cut_conn(self, c):
        return getattr(self, "cut_client", None) is c

    def close(self):
        self.sock.close()


def _note_count(env, db):
    return int(env.pg.sql("SELECT count(*) FROM crm.notes", db=db))


def _cli(crmd, proxy, *args, input=None):
    return crmd.crm(*args, env={"CRM_SERVER": f"127.0.0.1:{proxy.port}"}, input=input)


def _login_through(crmd, proxy):
    # The session file ties the token to the server's address: log in
    # through the proxy (its first connection, which it lets through).
    import conftest
    r = _cli(crmd, proxy, "login", conftest.ADMIN_USER, "--password-stdin",
             input=crmd.env.admin_password + "\n")
    assert r.rc == 0, r


def test_keyed_request_is_resent_once_after_a_cut(env, db, crmd):
    proxy = CuttingProxy(crmd.port)
    try:
        _login_through(crmd, proxy)
        before = _note_count(env, db)
        r = _cli(crmd, proxy, "--format", "json", "note", "add", "written once")
        assert r.rc == 0, r
        assert proxy.cut.is_set() and proxy.connections >= 3, f"no cut: {proxy.records}"
        assert _note_count(env, db) == before + 1
        note = json.loads(r.out)
        row = env.pg.sql(f"SELECT body FROM crm.notes WHERE id = {int(note['id'])}", db=db)
        assert row == "written once"
    finally:
        proxy.close()


def test_unkeyed_request_is_not_resent_and_says_outcome_unknown(env, db, crmd):
    proxy = CuttingProxy(crmd.port, cut_conn=3)
    try:
        _login_through(crmd, proxy)
        r = _cli(crmd, proxy, "--format", "json", "note", "add", "to read")
        assert r.rc == 0, r
        nid = json.loads(r.out)["id"]
        r = _cli(crmd, proxy, "note", "show", str(nid))
        assert r.rc == exit_code(UNAVAILABLE), r
        assert "outcome unknown" in r.err, r.err
        assert proxy.connections == 3, "an unkeyed request was resent"
    finally:
        proxy.close()
