"""Hypothesis runs the same examples on every run (CI starts without an example database,
so random examples would make what the differential tests catch vary from run to run).

``FLAGCHECK_HYPOTHESIS=nightly`` switches to fresh random examples with the example
database, and ``FLAGCHECK_EXAMPLES=N`` multiplies every test's example count (tests/budget.py),
for a longer run off the CI path, e.g. ``FLAGCHECK_HYPOTHESIS=nightly FLAGCHECK_EXAMPLES=10``.
"""
from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("nightly", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("FLAGCHECK_HYPOTHESIS", "ci"))

# a worker that dies is reported with its crashing stack and the tests it ran last, and
# its test gets one more run (tests/crash_retry.py)
pytest_plugins = ["tests.crashlog", "tests.crash_retry"]
