"""Where local worker processes come from: a fork server, never a fork of this process.

Why not fork: a forked child inherits every lock another thread of this process held at
that moment (the progress printer's stdout, Z3's memory manager, pytest-xdist's channel)
and can wait on it forever, so the pool never finishes.  Why not spawn: each worker would
import flagcheck and Z3 again (a second or more per pool).  The fork server is started
once, without threads, imports flagcheck there, and forks each worker from itself.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext

_PRELOAD = ["flagcheck.checker.sweep", "flagcheck.checker.mutate.run"]


def worker_context() -> BaseContext:
    """The context for ProcessPoolExecutor(mp_context=...) of sweeps and mutation runs."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx
