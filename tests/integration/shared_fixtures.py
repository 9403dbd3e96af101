"""This folder's fixtures (conftest.py: throwaway PostgreSQL, certificates,
crmd with an admin) for the test folders beside it that drive crmd too
(tests/client, tests/desktop). Their conftest.py appends this folder to
sys.path and imports these names:

    from shared_fixtures import crmd, crmd_factory, db, env, fixtures

conftest.py is loaded once, as the module crm_integration_fixtures (the
importing folder has a conftest module of its own); `fixtures` is it."""

import importlib.util
import os
import sys

_NAME = "crm_integration_fixtures"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, os.path.join(os.path.dirname(os.path.abspath(__file__)), "conftest.py"))
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])
fixtures = sys.modules[_NAME]

env = fixtures.env
db = fixtures.db
crmd_factory = fixtures.crmd_factory
crmd = fixtures.crmd
