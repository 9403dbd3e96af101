"""The integration fixtures (tests/integration/conftest.py) under one module
name, for the benchmarks that run under pytest (desk_bench.py)."""
import importlib.util
import os
import sys

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
