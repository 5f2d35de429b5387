"""Example counts for the property-based tests, scaled by ``FLAGCHECK_EXAMPLES`` (default 1).

The counts in the tests are what CI runs in its time budget; a nightly-style run raises
them all at once without editing every ``@settings``."""
from __future__ import annotations

import os


def examples(n: int) -> int:
    return max(1, int(n * float(os.environ.get("FLAGCHECK_EXAMPLES", "1"))))
