"""Sweeps: the design × scenario jobs of ``flagcheck test`` and ``compare`` in parallel.

Why design × scenario: it is the unit ``verify`` already loops over (one model, one
reduction, one engine run that checks every property of the scenario at once: the explicit
search answers all of them in one BFS, so splitting by property would repeat the search).
Each job loads its design file itself, so only paths, names and the run's ``Options``
travel to a worker, and it returns the scenario's Verdicts (plain picklable dataclasses).
Results are put back in the serial order (design by design, scenario by scenario), so the
tables, reports and exit codes are those of a serial run.

Where jobs run (``Pool``): in this process (``jobs == 1``, the default), on ``jobs`` local
worker processes (``concurrent.futures``), or on an existing Dask distributed cluster
(``cluster``: the scheduler's address; ``dask.distributed`` is the optional ``cluster``
extra, docs/scale.md shows how to start a scheduler and workers).  An error in a job (a
DesignError: exit 2) is raised in the caller as in a serial run.
"""
from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from flagcheck.checker.engines.processes import worker_context
from flagcheck.checker.verdict import Verdict
from flagcheck.checker.verify import Options, select_scenarios, verify
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import Design, load_design


@dataclass(frozen=True)
class Pool:
    """Where a sweep's jobs run: ``jobs`` local processes, or a Dask cluster."""
    jobs: int = 1
    cluster: str | None = None

    @property
    def parallel(self) -> bool:
        return self.cluster is not None or self.jobs > 1

    def describe(self) -> str:
        if self.cluster is not None:
            return f"Dask cluster {self.cluster}"
        return f"{self.jobs} local process(es)"


SERIAL = Pool()


@dataclass(frozen=True)
class Job:
    """One design × scenario: everything a worker needs to run it from scratch."""
    path: Path
    scenario: str
    opts: Options
    allow: tuple[Path, ...] = ()
    #: the run's --param values, as (name, value) pairs (picklable, hashable)
    params: tuple[tuple[str, int], ...] = ()


def run_job(job: Job) -> list[Verdict]:
    """The verdicts of one design × scenario, exactly as ``verify`` gives them serially."""
    design = load_design(job.path, allow_paths=job.allow, params=dict(job.params))
    return verify(design, (job.scenario,), (), job.opts)


def jobs_of(designs: Iterable[tuple[Path, Design]], opts: Options,
            allow: tuple[Path, ...] = ()) -> list[Job]:
    """Every design × scenario job, in the order a serial run checks them (each with the
    --param values its design was loaded with)."""
    return [Job(path, s.name, opts, allow, tuple(d.params.items()))
            for path, d in designs for s in select_scenarios(d, ())]


def run_jobs(jobs: list[Job], pool: Pool,
             on_done: Callable[[Job, int, int], None] | None = None) -> list[list[Verdict]]:
    """Each job's verdicts, in the order of ``jobs``; ``on_done(job, done, total)`` is
    called as each one finishes (in whatever order they finish)."""
    if not pool.parallel:
        out = []
        for i, job in enumerate(jobs):
            out.append(run_job(job))
            if on_done is not None:
                on_done(job, i + 1, len(jobs))
        return out
    if pool.cluster is not None:
        return _on_dask(jobs, pool.cluster, on_done)
    return _on_processes(jobs, pool.jobs, on_done)


def verify_designs(designs: list[tuple[Path, Design]], opts: Options, pool: Pool,
                   allow: tuple[Path, ...] = (),
                   on_done: Callable[[Job, int, int], None] | None = None) -> list[list[Verdict]]:
    """Per design (in order), the verdicts serial ``verify(design, (), (), opts)`` gives."""
    jobs = jobs_of(designs, opts, allow)
    results = run_jobs(jobs, pool, on_done)
    per: dict[Path, list[Verdict]] = {path: [] for path, _ in designs}
    for job, verdicts in zip(jobs, results):
        per[job.path].extend(verdicts)
    return [per[path] for path, _ in designs]


def _on_processes(jobs: list[Job], workers: int,
                  on_done: Callable[[Job, int, int], None] | None) -> list[list[Verdict]]:
    results: list[list[Verdict] | None] = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=min(workers, max(1, len(jobs))),
                             mp_context=worker_context()) as ex:
        futures: dict[Future, int] = {ex.submit(run_job, job): i for i, job in enumerate(jobs)}
        try:
            for n, fut in enumerate(as_completed(futures)):
                i = futures[fut]
                results[i] = fut.result()
                if on_done is not None:
                    on_done(jobs[i], n + 1, len(jobs))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return [r for r in results if r is not None]


def _on_dask(jobs: list[Job], address: str,
             on_done: Callable[[Job, int, int], None] | None) -> list[list[Verdict]]:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise DesignError("--cluster needs dask.distributed, which is not installed",
                          hint="pip install 'flagcheck[cluster]'") from None
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise DesignError(f"cannot reach the Dask scheduler at {address}: {e}",
                          hint="start one with 'dask scheduler' and workers with "
                               "'dask worker ADDRESS' (docs/scale.md)") from None
    results: list[list[Verdict] | None] = [None] * len(jobs)
    try:
        futures = client.map(run_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for n, fut in enumerate(dask_completed(futures, loop=client.loop)):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except AssertionError as e:
                if "daemonic" not in str(e):
                    raise
                raise DesignError("a Dask worker could not start an engine process "
                                  "(--engine auto and --max-memory run engines in child "
                                  "processes, which daemonic workers may not start)",
                                  hint="start the workers with "
                                       "DASK_DISTRIBUTED__WORKER__DAEMON=False") from None
            if on_done is not None:
                on_done(jobs[i], n + 1, len(jobs))
    finally:
        client.close()
    return [r for r in results if r is not None]
