"""The integration fixtures (throwaway PostgreSQL, certificates, crmd with
an admin) for the client's end-to-end tests in this folder: see
tests/integration/shared_fixtures.py."""

import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from shared_fixtures import crmd, crmd_factory, db, env, fixtures  # noqa: E402,F401
