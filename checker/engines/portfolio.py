"""``--engine auto``: several engines race in separate processes; per property, the first
definitive answer wins.

Why processes: Z3 and the explicit search are both CPU-bound and hold the GIL (Z3 releases
it, the BFS does not), and the machine has two cores.  Why "per property": BMC often finds
a short counterexample for one property long before the explicit search has exhausted the
state space, while only the explicit search (or a proof engine) can say ``proved``.

Definitive = ``violated`` or ``holds`` with ``exhaustive``; a bounded ``holds`` or an
``unknown`` is kept only if nothing better arrives before every engine has stopped.

Progress: with a ``progress`` hook, each engine process reports through the same queue as
its result (``_QueueHook``); the engines already throttle (pyspec.progress), so this is a
few small messages a second.  The parent hands them on tagged with the engine's name.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing.process import BaseProcess
import os
import queue
import threading
import time
from dataclasses import replace
from typing import Callable

from flagcheck.checker.engines.processes import worker_context
from flagcheck.pyspec.progress import Progress, ProgressHook
from flagcheck.pyspec.outcome import Outcome
from flagcheck.tlamodel.ir import Model

Runner = Callable[[Model, list[str]], dict[str, Outcome]]

#: seconds between checks that every racing process is still alive
_POLL = 0.25


def definitive(o: Outcome) -> bool:
    return o.status == "violated" or (o.status == "holds" and o.exhaustive)


class _QueueHook:
    """An engine process's progress hook: puts each report on the result queue."""

    def __init__(self, q: "mp.Queue[tuple[str, object]]", name: str) -> None:
        self.q, self.name = q, name

    def __call__(self, p: Progress) -> None:
        self.q.put((self.name, p))


def _child(q: "mp.Queue[tuple[str, object]]", name: str, runner: Runner,
           model: Model, props: list[str], report: bool = False,
           limit_mb: int | None = None) -> None:
    _quiet_stderr()
    try:
        if limit_mb is not None:
            # The queue's feeder thread needs a stack (8 MB of address space): start it
            # before the cap, or the result could not be sent back.  ``None`` is ignored.
            q.put((name, None))
            load = getattr(runner, "load", None)    # the engine's modules, before the cap
            if load is not None:
                load()
            limit_address_space(limit_mb)
        if report:
            q.put((name, runner(model, props, progress=_QueueHook(q, name))))  # type: ignore[call-arg]
        else:
            q.put((name, runner(model, props)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent as an engine failure
        q.put((name, f"{type(e).__name__}: {e}"))


def _quiet_stderr() -> None:
    """Send an engine process's stderr to /dev/null.  Every failure it can still report
    goes to the parent as a message; one it cannot (a MemoryError while reporting a
    MemoryError, under --max-memory) would otherwise print Python's traceback on the
    user's terminal, and the parent already says how the process ended."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def limit_address_space(mb: int) -> None:
    """Cap this process's address space at ``mb`` MB (never above the hard limit).

    Called in engine processes only, never in the CLI's own: libz3 cannot survive a failed
    allocation while it creates a context (``Z3_mk_context`` returns NULL and the Python
    binding dereferences it: SIGSEGV), so a cap low enough to hit that must kill an engine
    process, which the parent reports as unknown, not the run."""
    import resource
    soft = mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _death(p: "mp.process.BaseProcess", limit_mb: int | None) -> str:
    """Why an engine process ended without a result (a crash or a failed start)."""
    code = p.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
    if limit_mb is None:
        return f"engine crashed: {how}"
    # under a cap the likeliest cause is the cap (libz3 crashes on a failed allocation)
    return f"memory limit {limit_mb} MB reached (engine crashed: {how})"


def race(model: Model, props: list[str], runners: dict[str, Runner],
         timeout: float | None, progress: ProgressHook | None = None,
         limit_mb: int | None = None) -> dict[str, Outcome]:
    """Run every engine at once; return, per property, the best outcome (see module doc).

    ``progress``: called in this process with each engine's reports, ``engine`` set to the
    racing engine's name (a runner must then accept a ``progress`` keyword).
    ``limit_mb``: each engine process caps its own address space at this many MB; one
    that dies (a signal, or a start that failed under the cap) counts as an engine
    failure, so every property still gets an outcome."""
    ctx = worker_context()     # not a fork of this process (checker.engines.processes says why)
    q: "mp.Queue[tuple[str, object]]" = ctx.Queue()
    procs = {name: ctx.Process(target=_child, args=(q, name, r, model, props,
                                                    progress is not None, limit_mb),
                               daemon=True)
             for name, r in runners.items()}
    # engines watch their own clocks; the grace covers the reply.  The clock starts
    # before the processes: starting one blocks until it has read the model, which
    # takes seconds for a big one, and that is part of the race's time too.
    deadline = None if timeout is None else time.monotonic() + timeout + 1.0
    _start_all(list(procs.values()))
    best: dict[str, Outcome] = {}
    failures: list[str] = []
    pending = set(procs)
    silent: set[str] = set()
    try:
        while pending and not all(n in best and definitive(best[n]) for n in props):
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                break             # progress reports must not keep a late race going
            try:
                # poll, so that a process that died without a word cannot stall the race
                name, res = q.get(timeout=_POLL if wait is None else min(wait, _POLL))
            except queue.Empty:
                # a process seen dead at the previous poll has had a whole poll to have
                # its last messages read (they are in the pipe before it exits): it died
                # without a result
                for n in sorted(silent & pending):
                    pending.discard(n)
                    failures.append(f"{n}: {_death(procs[n], limit_mb)}")
                silent = {n for n in pending if procs[n].exitcode is not None}
                continue
            if res is None:
                continue
            if isinstance(res, Progress):
                if progress is not None and name in pending:
                    # a report from inside an engine (PDR's BMC replay) keeps its own name
                    progress(res if res.engine == name
                             else replace(res, engine=f"{name}→{res.engine}"))
                continue
            pending.discard(name)
            if progress is not None:     # its last figures are no longer news
                progress(Progress(name, 0.0, phase="finished"))
            if isinstance(res, str):
                failures.append(f"{name}: {res}")
                continue
            for n, o in res.items():
                if n not in best or better(o, best[n]):
                    best[n] = o
    finally:
        for p in procs.values():
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)
    for n in props:
        if n not in best:
            why = "; ".join(failures) or f"timeout {timeout:.3g}s: no engine finished"
            best[n] = Outcome(n, "unknown", -1, engine="portfolio", reason=why)
    return best


def _start_all(procs: list[BaseProcess]) -> None:
    """Start the engine processes side by side: ``start()`` writes the pickled model
    into a pipe the child reads only once its interpreter is up, so starting them one
    after the other adds up those waits."""
    threads = [threading.Thread(target=p.start, daemon=True) for p in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def better(new: Outcome, old: Outcome) -> bool:
    """Is ``new`` a better answer than ``old`` for the same property?"""
    if definitive(new) != definitive(old):
        return definitive(new)
    return not definitive(new) and _deeper(new, old)


def _deeper(new: Outcome, old: Outcome) -> bool:
    """Between two non-definitive outcomes, prefer a bounded holds, then the deeper one."""
    rank = {"holds": 1, "unknown": 0}
    return (rank.get(new.status, 0), new.depth) > (rank.get(old.status, 0), old.depth)
