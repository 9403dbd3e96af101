"""crm-desktop's generic record views (desk-views) against a real crmd and
PostgreSQL over TLS (the integration fixtures of tests/integration):

- test_paged_model_and_meta runs test_desk_views (C, no display): the
  metadata cache, the paged model to the 10,000th row and past the count
  to the end, far pages dropped and fetched again by their kept cursors,
  a sort, a filter and the quick filter's prefix asked of the server;
- the accounts are bulk-loaded as the superuser (as BULK_AUDIT in
  tests/integration/test_audit.py): more than the server counts (10,000).
"""

import importlib.util
import os
import subprocess
import sys

import pytest

_NAME = "crm_integration_fixtures"
if _NAME in sys.modules:
    fixtures = sys.modules[_NAME]
else:
    _PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                         "conftest.py")
    _spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    fixtures = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = fixtures
    _spec.loader.exec_module(fixtures)

env = fixtures.env
db = fixtures.db
crmd_factory = fixtures.crmd_factory
crmd = fixtures.crmd

N_ACCOUNTS = 10_450   # past the server's count (10,000) by two pages and some
FIRST_ID = 4_000_001

BULK_ACCOUNTS = """
SET session_replication_role = replica;  -- a bulk load of records: no triggers
INSERT INTO crm.records (id, record_type)
SELECT g, 'account' FROM generate_series({first}, {last}) g;
INSERT INTO crm.accounts (id, owner_id, team_id, name, created_at, updated_at)
SELECT g, u.id, u.team_id, 'Bulk ' || g, now(), now()
FROM generate_series({first}, {last}) g, crm.users u WHERE u.username = '{admin}';
INSERT INTO crm.records (id, record_type) VALUES ({last} + 1, 'account'), ({last} + 2, 'account'),
    ({last} + 3, 'account');
INSERT INTO crm.accounts (id, owner_id, team_id, name, created_at, updated_at)
SELECT {last} + k, u.id, u.team_id, n, now(), now()
FROM (VALUES (1, 'Zeta One'), (2, 'zeta two'), (3, 'Zetb')) v(k, n), crm.users u
WHERE u.username = '{admin}';
SET session_replication_role = origin;
ANALYZE;
"""


def su(crmd, sql):
    return crmd.env.pg.sql(sql, db=crmd.db)


@pytest.fixture
def bulk(crmd):
    su(crmd, BULK_ACCOUNTS.format(first=FIRST_ID, last=FIRST_ID + N_ACCOUNTS - 1,
                                  admin=fixtures.ADMIN_USER))
    n = int(su(crmd, "SELECT count(*) FROM crm.accounts WHERE deleted_at IS NULL"))
    assert n > 10_000
    return n


def test_paged_model_and_meta(crmd, bulk):
    exe = os.path.join(fixtures.BUILD_DIR, "tests", "test_desk_views")
    assert os.path.exists(exe), f"{exe} is not built"
    desc = su(crmd, "SELECT string_agg(name, '|') FROM (SELECT name FROM crm.accounts "
                    "WHERE deleted_at IS NULL ORDER BY name COLLATE crm.names DESC, id DESC "
                    "LIMIT 2) q")
    # names compare by collation (numbers by value): a prefix of letters
    prefix = "Zeta"
    count = su(crmd, f"SELECT count(*) FROM crm.accounts WHERE deleted_at IS NULL "
                     f"AND name COLLATE crm.names >= '{prefix}' "
                     f"AND name COLLATE crm.names < '{prefix[:-1]}{chr(ord(prefix[-1]) + 1)}'")
    assert int(count) == 2
    one_id = FIRST_ID + 123
    env = dict(os.environ, CRM_TEST_SERVER=f"127.0.0.1:{crmd.port}", CRM_TEST_CA=crmd.ca,
               CRM_TEST_USER=fixtures.ADMIN_USER, CRM_TEST_PASSWORD=crmd.env.admin_password,
               CRM_TEST_N_ACCOUNTS=str(bulk), CRM_TEST_DESC_FIRST=desc,
               CRM_TEST_PREFIX=prefix, CRM_TEST_PREFIX_COUNT=count,
               CRM_TEST_ONE_NAME=f"bulk {one_id}",  # names match ignoring case
               CRM_TEST_ONE_ID=str(one_id), HOME=crmd.env.base,
               XDG_CONFIG_HOME=os.path.join(crmd.env.base, "desk-config"))
    r = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}"
