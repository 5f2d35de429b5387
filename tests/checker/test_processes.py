"""Worker pools of sweeps and mutation runs come from the fork server (checker.engines.processes).

A worker forked from the caller would inherit the locks other threads of the caller held at
that moment; the fork server, not the caller, is a worker's parent."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from flagcheck.checker.engines.processes import worker_context


def test_pool_workers_are_children_of_the_fork_server() -> None:
    with ProcessPoolExecutor(max_workers=2, mp_context=worker_context()) as pool:
        parents = set(pool.map(_parent, range(4)))
    assert os.getpid() not in parents and len(parents) == 1


def _parent(_: int) -> int:
    return os.getppid()
