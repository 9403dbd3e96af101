"""libcrmclient's non-blocking API driven from a poll() loop: the C program
tests/client/test_client_nonblocking (built by tests/client) sends 100
pipelined requests to a real crmd and checks every reply."""

import os
import subprocess

import conftest


def test_nonblocking_api_drives_100_pipelined_requests(crmd_factory):
    exe = os.path.join(conftest.BUILD_DIR, "tests", "client", "test_client_nonblocking")
    assert os.path.exists(exe), f"{exe} is not built"
    crmd = crmd_factory(max_inflight=128)
    env = dict(os.environ, CRM_TEST_SERVER=f"127.0.0.1:{crmd.port}", CRM_TEST_CA=crmd.ca)
    r = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}"
