"""`crmd check-config`, `--help`, `--version`: every key validated, errors
name the key, secrets never echoed."""

import re

import pytest

from conftest import CRMD, Crmd

# key -> bad values; each must make check-config fail naming the key
BAD = {
    "listen": ["127.0.0.1:99999", "127.0.0.1", "127.0.0.1:0x50", ""],
    "max_connections": ["0", "ten"],
    "trusted_proxies": ["10.0.0.0/33", "banana", "10.0.0.1/8", "::1/129"],
    "tls_cert": ["/nonexistent/cert.pem", ""],
    "tls_key": ["/nonexistent/key.pem", ""],
    "tls_client_ca": ["/nonexistent/ca.pem"],
    "tls_client_cert_required": ["maybe"],
    "db_app": ["this is not a conninfo", "host='unterminated"],
    "db_owner": ["nosuchkeyword=1"],
    "io_threads": ["0", "65", "1.5"],
    "db_workers": ["0", "-1"],
    "queue_length": ["0", "-5", "1e3"],
    "max_frame": ["100", "12abc", "99999999999"],
    "max_frame_preauth": ["100", "2097152"],
    "max_inflight": ["0", "100000"],
    "db_retries": ["11", "-1"],
    "handshake_timeout": ["10x", "0", "-1s"],
    "idle_timeout": ["abc", "1w", "25h"],
    "request_timeout": ["0ms", "s"],
    "shutdown_grace": ["forever", "10 s"],
    "log_level": ["loud", "INFO!"],
    "diagnostics": ["perhaps"],
    "auth_threads": ["0", "65"],
    "auth_queue_length": ["0"],
    "password_hash_memory": ["4", "lots"],
    "password_hash_iterations": ["0", "101"],
    "password_min_length": ["7"],
    "session_lifetime": ["500ms", "21d"],
    "session_idle_timeout": ["0"],
    "login_max_failures": ["0"],
    "login_max_failures_addr": ["0"],
    "login_lockout_max": ["10ms"],
    "attachment_max_size": ["257MiB", "-1", "25 MiB", "25MB", "1TiB", "lots"],
    "attachment_upload_expiry": ["500ms", "8d", "1w"],
}


@pytest.fixture
def cfg(env):
    """A Crmd that is only used for its config file (no database needed)."""
    return Crmd(env, "crm_template")


def _cases():
    for key, values in BAD.items():
        for v in values:
            yield pytest.param(key, v, id=f"{key}={v!r}")


def test_valid_config_passes(cfg):
    r = cfg.check_config()
    assert r.rc == 0, r


@pytest.mark.parametrize("value", ["0", "1048576", "512KiB", "25MiB", "256MiB"])
def test_attachment_max_size_takes_bytes_and_units(cfg, value):
    cfg.configure(attachment_max_size=value)
    r = cfg.check_config()
    assert r.rc == 0, r


@pytest.mark.parametrize("key,value", list(_cases()))
def test_bad_value_names_key(cfg, key, value):
    cfg.configure(**{key: value})
    r = cfg.check_config()
    assert r.rc != 0, f"{key} = {value!r} accepted: {r}"
    assert r.rc != 0 and re.search(rf"\b{re.escape(key)}\b", r.err), r.err


def test_unknown_key_named(cfg):
    cfg.configure(no_such_key="1")
    r = cfg.check_config()
    assert r.rc != 0
    assert "no_such_key" in r.err


def test_key_outside_section(env, cfg):
    with open(cfg.config_path) as f:
        body = f.read()
    cfg.write_raw_config("listen = 127.0.0.1:1\n" + body)
    r = cfg.check_config()
    assert r.rc != 0
    assert re.search(r"line 1|section|listen", r.err), r.err


def test_unknown_section(cfg):
    with open(cfg.config_path) as f:
        body = f.read()
    cfg.write_raw_config(body + "[other]\nx = 1\n")
    r = cfg.check_config()
    assert r.rc != 0
    assert re.search(r"\bother\b|\bx\b|line", r.err), r.err


def test_duplicate_key(cfg):
    with open(cfg.config_path) as f:
        body = f.read()
    cfg.write_raw_config(body + "db_workers = 3\ndb_workers = 4\n")
    r = cfg.check_config()
    assert r.rc != 0
    assert "db_workers" in r.err


def test_syntax_error_names_line(cfg):
    with open(cfg.config_path) as f:
        lines = f.read().splitlines()
    lines.insert(3, "this line has no equals sign")
    cfg.write_raw_config("\n".join(lines) + "\n")
    r = cfg.check_config()
    assert r.rc != 0
    assert "line 4" in r.err, r.err


def test_missing_file(cfg, tmp_path):
    r = cfg.run("check-config", "--config", str(tmp_path / "nope.conf"))
    assert r.rc != 0
    assert "nope.conf" in r.err


def test_password_never_echoed(cfg):
    cfg.configure(db_app="host=x password=hunter2secret port='broken")
    r = cfg.check_config()
    assert r.rc != 0
    assert "db_app" in r.err
    assert "hunter2secret" not in r.err + r.out


def test_client_cert_required_needs_client_ca(cfg):
    cfg.configure(tls_client_cert_required="true")
    r = cfg.check_config()
    assert r.rc != 0
    assert "tls_client_cert_required" in r.err or "tls_client_ca" in r.err


def test_durations_accept_units(cfg):
    cfg.configure(handshake_timeout="500ms", idle_timeout="5min", request_timeout="30",
                  shutdown_grace="2s")
    r = cfg.check_config()
    assert r.rc == 0, r


def test_several_listen_addresses_and_proxies(cfg):
    cfg.configure(listen="127.0.0.1:7001, [::1]:7002", trusted_proxies="10.0.0.0/8, ::1/128")
    r = cfg.check_config()
    assert r.rc == 0, r


def test_help_and_version(cfg):
    r = cfg.run("--help")
    assert r.rc == 0
    text = r.out + r.err
    for word in ("serve", "migrate", "check-config", "--config"):
        assert word in text
    r = cfg.run("--version")
    assert r.rc == 0
    assert re.search(r"\d+\.\d+\.\d+", r.out), r.out


def test_bad_usage(cfg):
    for args in (["frobnicate"], ["serve"], []):
        r = cfg.run(*args)
        assert r.rc != 0, (args, r)
        assert r.err.strip(), args
    assert CRMD
