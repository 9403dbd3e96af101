"""The integration fixtures (throwaway PostgreSQL, certificates, crmd with
an admin) from tests/integration/conftest.py, for crm-desktop's tests in
this folder (as tests/client/conftest.py does). Loaded under another module name so that the two
conftest files do not collide."""

import importlib.util
import os
import sys

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                     "conftest.py")
_spec = importlib.util.spec_from_file_location("crm_integration_fixtures", _PATH)
fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fixtures
_spec.loader.exec_module(fixtures)

env = fixtures.env
db = fixtures.db
crmd_factory = fixtures.crmd_factory
crmd = fixtures.crmd
