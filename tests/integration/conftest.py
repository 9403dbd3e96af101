"""Fixtures for the integration suite: a throwaway PostgreSQL 15 cluster, a
throwaway CA with server certificates, crmd on a free port, and clients
that speak the wire protocol (raw, in Python) or run the `crm` CLI.

One cluster per test process (ctest runs one process per test file); each
test gets its own database cloned from a migrated template and its own crmd.
Everything started here is torn down even when a test fails or pytest is
killed: processes get a parent-death signal, run in their own process group
and are also stopped from atexit.

Environment:
  CRM_BUILD_DIR   build tree holding server/crmd and client/crm (default: build/)
  CRM_SOURCE_DIR  source tree (default: two levels up from here)
  CRM_KEEP_TMP=1  keep the temporary directory for a post-mortem
"""

import atexit
import ctypes
import fcntl
import hashlib
import ipaddress
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("CRM_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("CRM_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
CRMD = os.path.join(BUILD_DIR, "server", "crmd")
CRM = os.path.join(BUILD_DIR, "client", "crm")
GEN_CERTS = os.path.join(SOURCE_DIR, "deploy", "gen-certs")
PG_OS_USER = "crmtest"
ADMIN_USER = "admin"  # created in the template database by `crmd create-admin`

# Status codes (crm.Code) and CLI exit codes (wire value + 1; OK is 0).
OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS = 1, 2, 3, 4
PERMISSION_DENIED, UNAUTHENTICATED, CONFLICT, FAILED_PRECONDITION = 5, 6, 7, 8
RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED = 9, 10, 11
UNIMPLEMENTED, INTERNAL = 12, 13

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
                     "UndefinedBehaviorSanitizer")


def exit_code(status):
    return 0 if status == OK else status + 1


# --------------------------------------------------------------- cleanup

_cleanups = []


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # keep going: everything must be stopped
            print(f"cleanup failed: {e}", file=sys.stderr)


atexit.register(_run_cleanups)

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup(sig, user=None):
    """preexec_fn: optionally drop to `user`, then ask for `sig` when the
    parent (pytest) dies. The order matters: a credential change clears
    the parent-death signal."""

    def fn():
        if user is not None:
            pw = pwd.getpwnam(user)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() == 1:
            os._exit(1)

    return fn


def kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_port_locks = []


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port nobody else here is using or will be given.

    Asking the kernel for port 0 hands out a port from the ephemeral range,
    which it also gives to outgoing connections: between our close and the
    server's bind, a parallel test's client could take it (PostgreSQL once
    failed to start in CI that way). So ports come from below the ephemeral
    range, and each is reserved for this process's life with a lock file, so
    parallel test processes never pick the same one."""
    lo, hi = _ephemeral_range()
    first, last = (10000, lo - 1) if lo > 12000 else (hi + 1, 65535)
    lockdir = os.path.join(tempfile.gettempdir(), "crm-test-ports")
    try:
        os.mkdir(lockdir)
        os.chmod(lockdir, 0o1777)  # shared by every user's test runs
    except FileExistsError:
        pass
    rng = random.Random(os.urandom(8))
    for _ in range(200):
        port = rng.randint(first, last)
        fd = os.open(os.path.join(lockdir, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            os.close(fd)
            continue
        _port_locks.append(fd)
        return port
    raise RuntimeError(f"no free port in {first}-{last}")


def wait_for(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------- protobuf

_pb = None


def pb():
    """The crm_pb2 module, generated from proto/crm.proto once per process."""
    global _pb
    if _pb is None:
        out = tempfile.mkdtemp(prefix="crm-pb-")
        _cleanups.append(lambda: shutil.rmtree(out, ignore_errors=True))
        proto_dir = os.path.join(SOURCE_DIR, "proto")
        # crm.proto's field options import descriptor.proto: given to protoc
        # as a descriptor set (proto/gen_fields.py, as the build does)
        gset = os.path.join(out, "google_descriptor.pb")
        subprocess.run([sys.executable, os.path.join(proto_dir, "gen_fields.py"), "google-set",
                        gset], check=True)
        subprocess.run(["protoc", f"--descriptor_set_in={gset}", f"-I{proto_dir}",
                        f"--python_out={out}", os.path.join(proto_dir, "crm.proto"),
                        os.path.join(proto_dir, "options.proto")], check=True)
        sys.path.insert(0, out)
        import crm_pb2  # noqa: E402
        _flat_meta(crm_pb2)
        _pb = crm_pb2
    return _pb


def _meta_field(desc):
    f = desc.fields_by_name.get("meta")
    return f if f is not None and f.message_type is not None and \
        f.message_type.name == "RecordMeta" else None


def _flat_meta(mod):
    """Every record type keeps its shared fields (id, version, owner,
    tags, custom, external_id, ...) in `meta` (RecordMeta), which the
    server's JSON and the CLI's print as the record's own keys. Tests read
    them the same way: a.id is a.meta.id, a.HasField("deleted_at") asks
    meta. Only reading: build records with record_message()."""
    for name, desc in mod.DESCRIPTOR.message_types_by_name.items():
        mf = _meta_field(desc)
        if mf is None:
            continue
        cls = getattr(mod, name)
        names = {f.name for f in mf.message_type.fields}
        for n in names:
            setattr(cls, n, property(lambda self, n=n: getattr(self.meta, n)))
        has = cls.HasField
        cls.HasField = lambda self, n, has=has, names=names: (
            self.meta.HasField(n) if n in names else has(self, n))


def record_message(cls, **fields):
    """A record message of class cls (pb().Account) from flat fields: the
    shared ones (id, version, tags, ...) go into its meta."""
    mf = _meta_field(cls.DESCRIPTOR)
    meta = {k: fields.pop(k) for k in list(fields) if k in mf.message_type.fields_by_name}
    if meta:
        fields["meta"] = pb().RecordMeta(**meta)
    return cls(**fields)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# PROXY protocol v2 header, command LOCAL (what a balancer's health check sends).
PROXY_V2_LOCAL = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"


def frame(body):
    return struct.pack(">I", len(body)) + body


# --------------------------------------------------------------- processes as the PG user

def _ensure_os_user():
    """When root, PostgreSQL must run as someone else: create `crmtest`
    (system user, no login) once, under a lock since tests run in parallel."""
    if os.geteuid() != 0:
        return None
    with open("/tmp/.crm-test-useradd.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(PG_OS_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                            "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                            PG_OS_USER], check=True, capture_output=True)
    return PG_OS_USER


def _pg_bindir():
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           check=True).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    return "/usr/lib/postgresql/15/bin"


class PgCluster:
    """A PostgreSQL cluster in `base`/pg: the superuser `postgres` over a
    Unix socket with trust (for the fixture's own SQL), roles crm_owner and
    crm_app with SCRAM passwords over TCP on 127.0.0.1 (for crmd)."""

    def __init__(self, base):
        self.base = base
        self.user = _ensure_os_user()
        self.bindir = _pg_bindir()
        self.datadir = os.path.join(base, "pg", "data")
        self.sockdir = os.path.join(base, "pg")
        self.logfile = os.path.join(base, "pg", "postgres.log")
        self.port = free_port()
        self.owner_password = "owner-" + os.urandom(8).hex()
        self.app_password = "app-" + os.urandom(8).hex()
        self.auth_password = "auth-" + os.urandom(8).hex()
        self.backup_password = "backup-" + os.urandom(8).hex()
        self.proc = None
        self._dbseq = 0

    def _chown(self, path):
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self):
        os.makedirs(self.sockdir)
        self._chown(self.sockdir)
        pwfile = os.path.join(self.sockdir, "pw")
        with open(pwfile, "w") as f:
            f.write("postgres-" + os.urandom(8).hex() + "\n")
        self._chown(pwfile)
        r = subprocess.run([os.path.join(self.bindir, "initdb"), "-D", self.datadir,
                            "-U", "postgres", "--pwfile", pwfile, "--locale=C.UTF-8",
                            "-E", "UTF8", "--auth-local=trust", "--auth-host=scram-sha-256",
                            "-N"], capture_output=True, text=True,
                           preexec_fn=_child_setup(signal.SIGKILL, self.user))
        os.unlink(pwfile)
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write(f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.sockdir}'
max_connections = 60
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
""")
        self.start()
        self.sql("CREATE ROLE crm_owner LOGIN PASSWORD '%s';"
                 "CREATE ROLE crm_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
                 "PASSWORD '%s';"
                 "CREATE ROLE crm_auth LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
                 "PASSWORD '%s';"
                 "CREATE ROLE crm_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE "
                 "IN ROLE pg_read_all_data PASSWORD '%s';"
                 "CREATE ROLE crm_report NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;"
                 % (self.owner_password, self.app_password, self.auth_password,
                    self.backup_password))

    def init_from(self, golden):
        """The cluster as a copy of a stopped one (Env's golden copy):
        its data directory with this cluster's port and socket, its
        roles' passwords."""
        os.makedirs(self.sockdir)
        self._chown(self.sockdir)
        subprocess.run(["cp", "-a", os.path.join(golden, "data"), self.datadir], check=True)
        with open(os.path.join(golden, "passwords.json")) as f:
            for k, v in json.load(f).items():
                setattr(self, k, v)
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write(f"port = {self.port}\nunix_socket_directories = '{self.sockdir}'\n")
        self.start()

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen([os.path.join(self.bindir, "postgres"), "-D", self.datadir],
                                     stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     start_new_session=True,
                                     preexec_fn=_child_setup(signal.SIGINT, self.user))
        logf.close()
        proc = self.proc
        _cleanups.append(lambda: self._stop_proc(proc))

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log_tail())
            return subprocess.run([os.path.join(self.bindir, "pg_isready"), "-q", "-h",
                                   self.sockdir, "-p", str(self.port)]).returncode == 0

        wait_for(ready, 30, 0.1, "postgres to accept connections")

    def _stop_proc(self, proc, sig=signal.SIGINT):
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(20)
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait()

    def stop(self, fast=True):
        """Fast shutdown (SIGINT): active sessions are terminated."""
        if self.proc is not None:
            self._stop_proc(self.proc, signal.SIGINT if fast else signal.SIGQUIT)

    def log_tail(self, n=40):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def sql(self, query, db="postgres", user="postgres", check=True):
        """Runs SQL through psql as `user` over the Unix socket; returns the
        unaligned tuples-only output, stripped."""
        r = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-A", "-t", "-q",
                            "-v", "ON_ERROR_STOP=1", "-h", self.sockdir, "-p", str(self.port),
                            "-U", user, "-d", db, "-c", query],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"psql failed ({query!r}): {r.stderr}")
        return r.stdout.strip() if check else r

    def conninfo(self, db, role):
        pw = {"crm_owner": self.owner_password, "crm_auth": self.auth_password,
              "crm_backup": self.backup_password}.get(role, self.app_password)
        return (f"host=127.0.0.1 port={self.port} dbname={db} user={role} "
                f"password={pw} connect_timeout=3")

    def create_db(self, template="crm_template"):
        self._dbseq += 1
        name = f"t{os.getpid()}_{self._dbseq}"
        tmpl = f" TEMPLATE {template}" if template else " TEMPLATE template0"
        self.sql(f"CREATE DATABASE {name} OWNER crm_owner{tmpl}")
        # A database's privileges are not copied from its template: the DBA's
        # set-up (sql/README.md) takes TEMPORARY from PUBLIC on each one.
        self.sql(f"REVOKE TEMPORARY ON DATABASE {name} FROM PUBLIC")
        return name

    def drop_db(self, name):
        if self.proc is not None and self.proc.poll() is None:
            self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)


# --------------------------------------------------------------- certificates

class Certs:
    """A CA made by deploy/gen-certs and certificates issued from it on
    demand. `issue` returns (cert_path, key_path)."""

    def __init__(self, base):
        self.base = base
        self.dir = os.path.join(base, "certs")
        self.ca = os.path.join(self.dir, "ca.pem")
        self.server_cert, self.server_key = self.issue("server")

    def issue(self, name, cn="localhost", san="DNS:localhost,IP:127.0.0.1", key_type="ec",
              ca_dir=None, force=False, client=False):
        d = ca_dir or self.dir
        cmd = [GEN_CERTS, "-d", d, "-n", name, "-c", cn, "-s", san, "-t", key_type]
        if client:
            cmd.append("--client")
        if force:
            cmd.append("-f")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"gen-certs failed: {r.stderr}")
        return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")

    def other_ca(self):
        """A second, unrelated CA with its own localhost certificate."""
        d = os.path.join(self.base, "certs-other")
        cert, key = self.issue("server", ca_dir=d)
        return os.path.join(d, "ca.pem"), cert, key


# --------------------------------------------------------------- protocol client

class Closed(Exception):
    pass


class Conn:
    """A raw protocol client: TLS via Python's ssl, frames by hand, messages
    from crm_pb2. Replies are matched by id; frames that arrive for other
    ids are kept for later."""

    def __init__(self, port, ca, host="127.0.0.1", server_hostname="localhost", timeout=10,
                 hello=True, context=None, preamble=None, source=None):
        self.pb = pb()
        ctx = context or ssl.create_default_context(cafile=ca)
        # source: the local address to connect from (any 127/8 address
        # reaches a loopback listener), to play several client addresses.
        raw = socket.create_connection((host, port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        try:
            if preamble:  # e.g. a PROXY protocol header, before TLS
                raw.sendall(preamble)
            self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.buf = b""
        self.pending = []
        self.events = []
        self.next_id = 1
        self.closed = False
        self.token = None
        if hello:
            r = self.hello()
            assert r.status.code == OK, r

    # -- bytes
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, cf):
        self.send_raw(frame(cf.SerializeToString()))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no frame in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no frame in time")
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
                BrokenPipeError) as e:
            self.closed = True
            raise Closed(str(e))
        except ssl.SSLError as e:
            self.closed = True
            raise Closed(str(e))
        if not data:
            self.closed = True
            raise Closed("EOF")
        self.buf += data

    def recv_frame(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    sf = self.pb.ServerFrame()
                    sf.ParseFromString(body)
                    return sf
            self._fill(deadline)

    def recv_response(self, timeout=None, want_id=None):
        """Next response (events are stored in self.events); with want_id,
        the next response carrying that id."""
        for i, r in enumerate(self.pending):
            if want_id is None or r.id == want_id:
                return self.pending.pop(i)
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            sf = self.recv_frame(max(0.001, deadline - time.monotonic()))
            if sf.WhichOneof("kind") == "event":
                self.events.append(sf.event)
                continue
            r = sf.response
            if want_id is None or r.id == want_id:
                return r
            self.pending.append(r)

    def expect_close(self, timeout=5):
        """Reads until the server closes; returns the frames it sent first.
        Fails if the connection is still open after `timeout`."""
        frames = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                frames.append(self.recv_frame(max(0.001, deadline - time.monotonic())))
        except Closed:
            return frames
        except TimeoutError:
            raise AssertionError(f"server did not close the connection within {timeout}s "
                                 f"(got {len(frames)} frames)")

    # -- requests
    def alloc_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def build(self, id=None, key=None, **req):
        cf = self.pb.ClientFrame(id=self.alloc_id() if id is None else id, **req)
        if key is not None:
            cf.idempotency_key = key
        return cf

    def request(self, timeout=None, **kw):
        cf = self.build(**kw)
        self.send(cf)
        return self.recv_response(timeout, want_id=cf.id)

    def hello(self, major=1, minor=0, name=b"pytest", **kw):
        p = self.pb
        return self.request(hello=p.Hello(protocol=p.Version(major=major, minor=minor),
                                          client_name=name), **kw)

    def ping(self, deep=False, payload=None, **kw):
        p = self.pb.Ping(deep=deep)
        if payload is not None:
            p.payload = payload
        return self.request(ping=p, **kw)

    def login(self, username, password, **kw):
        r = self.request(login=self.pb.Login(username=username.encode(),
                                              password=password.encode()), **kw)
        if r.status.code == OK:
            self.token = r.login.token
        return r

    def resume(self, token, **kw):
        r = self.request(resume=self.pb.Resume(token=token.encode()), **kw)
        if r.status.code == OK:
            self.token = token
        return r

    def sleep(self, ms, **kw):
        return self.request(sleep=self.pb.Sleep(ms=ms), **kw)

    def note_frame(self, body):
        """record_create's fields for a note with `body` (a cheap mutating
        request): c.build(**c.note_frame(b"x"))."""
        p = self.pb
        return {"record_create": p.RecordCreate(record=p.Record(note=p.NoteRecord(body=body)))}

    def note_create(self, body, **kw):
        """record_create of a note; its id is r.record.note.meta.id."""
        return self.request(**self.note_frame(body), **kw)

    def note_get(self, note_id, **kw):
        """record_get of a note; its text is r.record.note.body."""
        return self.request(record_get=self.pb.RecordGet(type=self.pb.RECORD_TYPE_NOTE, id=note_id),
                            **kw)

    def peer_cert(self):
        return self.sock.getpeercert()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def subject_cn(cert):
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


# --------------------------------------------------------------- crmd

class CliResult:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return f"CliResult(rc={self.rc}, out={self.out!r}, err={self.err!r})"


class Crmd:
    """One crmd: its config file, process and log. `overrides` are config
    keys (None removes a key)."""

    seq = 0

    def __init__(self, env, db, overrides=None):
        Crmd.seq += 1
        self.env = env
        self.db = db
        self.name = f"crmd{Crmd.seq}"
        self.dir = os.path.join(env.base, self.name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.config_path = os.path.join(self.dir, "crmd.conf")
        self.logfile = os.path.join(self.dir, "crmd.log")
        self.ca = env.certs.ca
        self.proc = None
        self.expected_rc = 0
        self.token = None
        self.cfg = {
            "listen": f"127.0.0.1:{self.port}",
            "tls_cert": env.certs.server_cert,
            "tls_key": env.certs.server_key,
            "db_app": env.pg.conninfo(db, "crm_app") if db else None,
            "db_owner": env.pg.conninfo(db, "crm_owner") if db else None,
            "db_auth": env.pg.conninfo(db, "crm_auth") if db else None,
            "io_threads": "1",
            "db_workers": "2",
            "queue_length": "64",
            "handshake_timeout": "5s",
            "idle_timeout": "60s",
            "request_timeout": "10s",
            "shutdown_grace": "5s",
            "log_level": "info",
            "diagnostics": "true",
            "pid_file": os.path.join(self.dir, "crmd.pid"),
        }
        self.configure(**(overrides or {}))

    def configure(self, **overrides):
        self.cfg.update(overrides)
        lines = ["# written by tests/integration/conftest.py", "[crmd]"]
        for k, v in self.cfg.items():
            if v is not None:
                lines.append(f"{k} = {v}")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def write_raw_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    # -- one-shot commands
    def run(self, *args, timeout=30, input=None):
        r = subprocess.run([CRMD, *args], capture_output=True, text=True, timeout=timeout,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL,
                           preexec_fn=_child_setup(signal.SIGKILL))
        return CliResult(r.returncode, r.stdout, r.stderr)

    def check_config(self):
        return self.run("check-config", "--config", self.config_path)

    def migrate(self):
        return self.run("migrate", "--config", self.config_path, timeout=60)

    # -- the server
    def start(self, wait=True, timeout=15):
        assert os.path.exists(CRMD), f"{CRMD} not built"
        self.logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen([CRMD, "serve", "--config", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, start_new_session=True,
                                     preexec_fn=_child_setup(signal.SIGKILL))
        proc = self.proc
        _cleanups.append(lambda: (kill_group(proc), proc.wait()))
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=15):
        # Only "does it speak TLS": certificate checks are the tests' business.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        preamble = PROXY_V2_LOCAL if self.loopback_is_trusted_proxy() else b""

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"crmd exited with {self.proc.returncode}:\n"
                                     + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(preamble)
                    with ctx.wrap_socket(s, server_hostname="localhost"):
                        return True
            except (OSError, ssl.SSLError):
                return False

        try:
            wait_for(ready, timeout, 0.05, "crmd to accept TLS connections")
        except AssertionError as e:
            raise AssertionError(f"{e}; crmd log:\n" + "\n".join(self.log_lines()[-30:]))

    def loopback_is_trusted_proxy(self):
        for item in (self.cfg.get("trusted_proxies") or "").split(","):
            try:
                if ipaddress.ip_address("127.0.0.1") in ipaddress.ip_network(item.strip()):
                    return True
            except ValueError:
                pass
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15):
        return self.proc.wait(timeout)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops crmd (SIGTERM: drain) and returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                kill_group(self.proc)
                self.proc.wait()
                raise AssertionError(f"crmd did not stop within {timeout}s after {sig!r}")
        return self.proc.returncode

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_lines(self):
        return self.log().splitlines()

    def wait_log(self, pattern, timeout=5, start=0):
        """Waits for a log line matching the regex `pattern` at or after line
        `start`; returns the line."""
        rx = re.compile(pattern)

        def found():
            for line in self.log_lines()[start:]:
                if rx.search(line):
                    return line
            return None

        return wait_for(found, timeout, 0.05, f"log line /{pattern}/")

    def sanitizer_reports(self):
        return [l for l in self.log_lines() if any(m in l for m in SANITIZER_MARKERS)]

    # -- clients
    def connect(self, auth=True, **kw):
        """A Conn that said hello and, with auth, is logged in as the test
        admin (Login once per crmd, then Resume with the same token: a
        login costs an argon2id hash)."""
        c = Conn(self.port, self.ca, **kw)
        if auth and kw.get("hello", True):
            r = None
            if self.token:
                r = c.resume(self.token)
            if r is None or r.status.code != OK:
                r = c.login(ADMIN_USER, self.env.admin_password)
                assert r.status.code == OK, f"login failed: {r}"
                self.token = c.token
        return c

    def crm(self, *args, env=None, timeout=30, server=True, input=None):
        """Runs `crm` against this crmd; its config and session files live
        in this crmd's directory (XDG_CONFIG_HOME)."""
        return run_crm(*args, env=env, timeout=timeout, input=input,
                       server=f"127.0.0.1:{self.port}" if server else None,
                       ca=self.ca, home=self.dir)

    def crm_login(self):
        r = self.crm("login", ADMIN_USER, "--password-stdin",
                     input=self.env.admin_password + "\n")
        assert r.rc == 0, f"crm login failed: {r}"
        return r


def run_crm(*args, env=None, timeout=30, server=None, ca=None, home=None, input=None):
    """Runs the `crm` CLI with a clean config directory."""
    assert os.path.exists(CRM), f"{CRM} not built"
    e = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    if home:
        xdg = os.path.join(home, "xdg")
        os.makedirs(xdg, exist_ok=True)
        e["XDG_CONFIG_HOME"] = xdg
        e["HOME"] = home
    if server:
        e["CRM_SERVER"] = server
    if ca:
        e["CRM_CA"] = ca
    e.update(env or {})
    e = {k: v for k, v in e.items() if v is not None}
    r = subprocess.run([CRM, *args], capture_output=True, text=True, timeout=timeout, env=e,
                       input=input, stdin=None if input is not None else subprocess.DEVNULL,
                       preexec_fn=_child_setup(signal.SIGKILL))
    return CliResult(r.returncode, r.stdout, r.stderr)


# --------------------------------------------------------------- fixtures

def _golden_key():
    """What the migrated cluster depends on: crmd (its compiled-in SQL),
    the SQL files crmd migrate reads, this file and PostgreSQL's binaries."""
    h = hashlib.sha256()
    paths = [CRMD, os.path.abspath(__file__), os.path.join(_pg_bindir(), "postgres")]
    for root, _, files in sorted(os.walk(os.path.join(SOURCE_DIR, "sql"))):
        paths += [os.path.join(root, f) for f in sorted(files)]
    for path in paths:
        h.update(path.encode() + b"\0")
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:24]


class Env:
    """Per-process environment: temp dir, certificates, cluster with the
    migrated template database.

    initdb, crmd migrate and create-admin take some ten seconds (more under
    a sanitizer) and were repeated by every test process: the first
    process of a build makes a golden copy of the stopped cluster in the
    build tree (tests/pg-golden/KEY, KEY a hash of crmd, the SQL files and
    this file), the others copy it and start it on their own port. Set
    CRM_TEST_NO_GOLDEN=1 to make every cluster from scratch."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="crm-it-")
        os.chmod(self.base, 0o755)  # the PG user must reach base/pg
        if os.environ.get("CRM_KEEP_TMP") != "1":
            base = self.base
            _cleanups.insert(0, lambda: shutil.rmtree(base, ignore_errors=True))
        self.certs = Certs(self.base)
        self.pg = PgCluster(self.base)
        if os.environ.get("CRM_TEST_NO_GOLDEN") == "1":
            self._make()
            return
        top = os.path.join(BUILD_DIR, "tests", "pg-golden")
        golden = os.path.join(top, _golden_key())
        os.makedirs(top, mode=0o700, exist_ok=True)
        with open(os.path.join(top, ".lock"), "w") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)  # one process makes it, the others wait
            if not os.path.exists(os.path.join(golden, "passwords.json")):
                self._make()
                self.pg.stop()
                self.pg.proc.wait()
                for old in os.listdir(top):  # earlier builds' copies
                    if not old.startswith("."):
                        shutil.rmtree(os.path.join(top, old), ignore_errors=True)
                tmp = golden + ".tmp"
                os.makedirs(tmp, mode=0o700)
                subprocess.run(["cp", "-a", self.pg.datadir, os.path.join(tmp, "data")],
                               check=True)
                with open(os.path.join(tmp, "passwords.json"), "w") as f:
                    json.dump({k: getattr(self.pg, k) for k in (
                        "owner_password", "app_password", "auth_password",
                        "backup_password")} | {"admin_password": self.admin_password}, f)
                os.rename(tmp, golden)
                self.pg.start()
                return
        self.pg.init_from(golden)
        with open(os.path.join(golden, "passwords.json")) as f:
            self.admin_password = json.load(f)["admin_password"]

    def _make(self):
        """The cluster from scratch: initdb, the template database migrated,
        its admin."""
        self.pg.init()
        self.pg.sql("CREATE DATABASE crm_template OWNER crm_owner TEMPLATE template0")
        m = Crmd(self, "crm_template")
        r = m.migrate()
        if r.rc != 0:
            raise RuntimeError(f"crmd migrate failed ({r.rc}):\n{r.out}\n{r.err}")
        self.admin_password = "pw-" + os.urandom(12).hex()
        r = m.run("create-admin", "--config", m.config_path, ADMIN_USER,
                  input=self.admin_password + "\n")
        if r.rc != 0:
            raise RuntimeError(f"crmd create-admin failed ({r.rc}):\n{r.out}\n{r.err}")
        self.pg.sql("ALTER DATABASE crm_template WITH IS_TEMPLATE true")


@pytest.fixture(scope="session")
def env():
    for exe in (CRMD,):
        if not os.path.exists(exe):
            pytest.fail(f"{exe} is not built (CRM_BUILD_DIR={BUILD_DIR})")
    e = Env()
    yield e
    e.pg.stop()


@pytest.fixture
def db(env):
    name = env.pg.create_db()
    yield name
    env.pg.drop_db(name)


@pytest.fixture
def crmd_factory(env, db, request):
    """make(**config_overrides, start=True) → a running Crmd on this test's
    database. Teardown stops each with SIGTERM and fails the test if one
    did not exit as expected or a sanitizer reported something."""
    made = []

    def make(start=True, **overrides):
        c = Crmd(env, db, overrides)
        made.append(c)
        if start:
            c.start()
        return c

    yield make
    problems = []
    for c in made:
        rc = c.stop() if c.alive() else (c.proc.returncode if c.proc else None)
        if c.proc is not None and rc != c.expected_rc:
            problems.append(f"{c.name} exited with {rc}, expected {c.expected_rc}")
        reports = c.sanitizer_reports()
        if reports:
            problems.append(f"{c.name} sanitizer reports: {reports[:5]}")
        if c.proc is not None:
            print(f"----- {c.name} log (tail) -----")
            print("\n".join(c.log_lines()[-60:]))
    assert not problems, "; ".join(problems)


@pytest.fixture
def crmd(crmd_factory):
    return crmd_factory()
