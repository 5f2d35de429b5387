"""A nested pytest run over fixture files, for the tests of the suite's own plugins
(tests/crashlog.py, tests/crash_retry.py).

Why a clean environment: inside an xdist worker the outer run's ``PYTEST_XDIST_WORKER``
and ``FLAGCHECK_CRASHLOG_DIR`` would make the nested controller think it is a worker."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "FLAGCHECK_CRASHLOG"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, **env})
