"""Where flagcheck's own worker processes come from: a fork server, not a fork or a
spawn of the calling process.

Why not fork: a forked child inherits every lock another thread of this process held at
that moment (the progress printer's stdout, Z3's memory manager, pytest-xdist's channel)
and can wait on it forever.  Why not spawn: each child would import flagcheck, Z3 and
numpy again (about a second per engine of a race, per worker of a pool), and starting
several at once from threads (the race starts its engines side by side) means several
vforks at once out of a process whose other threads keep running; the test suite saw an
exec fail with EFAULT there.  The fork server is the one process started from the caller
(once, on first use); it imports flagcheck before any Z3 context exists, runs no thread of
ours, and forks every child from itself.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext

#: imported once by the fork server, so a child starts with them loaded
_PRELOAD = ["flagcheck.checker.engines.registry", "flagcheck.checker.engines.portfolio",
            "flagcheck.checker.sweep", "flagcheck.checker.mutate.run"]


def worker_context() -> BaseContext:
    """The multiprocessing context of engine races, sweeps (-j) and mutation runs (-j)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx
