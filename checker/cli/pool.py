"""``-j N`` and ``--cluster ADDRESS``: where ``flagcheck test`` and ``compare`` run their
design × scenario jobs (checker/sweep.py).  One decorator, so both commands say the same."""
from __future__ import annotations

import functools
from typing import Any, Callable

import click

from flagcheck.checker.sweep import Pool


def pool_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``-j/--jobs`` and ``--cluster``; the command receives ``pool: Pool``."""
    @click.option("--jobs", "-j", type=click.IntRange(1, 1024), default=1, show_default=True,
                  metavar="N",
                  help="Run the design × scenario jobs on N local processes (same verdicts, "
                       "tables and exit code as one).")
    @click.option("--cluster", metavar="ADDRESS", default=None,
                  help="Run the jobs on an existing Dask distributed cluster, e.g. "
                       "tcp://host:8786 (pip install 'flagcheck[cluster]'; docs/scale.md).")
    @functools.wraps(f)
    def wrapper(*args: Any, jobs: int, cluster: str | None, **kw: Any) -> Any:
        return f(*args, pool=Pool(jobs=jobs, cluster=cluster), **kw)
    return wrapper
