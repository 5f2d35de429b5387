#!/usr/bin/env python3
"""Mutation score of the shipped *designs* against their scenarios (``flagcheck mutate``),
with the run time of each design and of the whole run.

    .venv/bin/python benchmarks/mutate.py                  # all specs/*.yaml, -j = every core
    .venv/bin/python benchmarks/mutate.py -j 2 --json mutate.json specs/notify-signal-5.11.yaml

Not to be confused with benchmarks/mutation.py, which mutates the checker's own Python
(cosmic-ray) to score the test suite; this one mutates the designs (docs/mutation.md) to
score the scenarios.  The issue's budget: the whole run over the shipped designs under
10 minutes with ``-j 2`` on a 2-core machine.  Times are wall-clock, so they depend on the
machine's load (printed); the CPU time printed last does not, and divided by the cores it
is the wall time on a machine nobody else uses.

Exit status: 0 when every design was mutated, 2 when one could not be loaded.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # runnable as `python benchmarks/mutate.py` from anywhere
    sys.path.insert(0, str(ROOT))

from flagcheck.checker.mutate.results import STATUSES  # noqa: E402
from flagcheck.checker.mutate.run import default_jobs, mutate_design  # noqa: E402
from flagcheck.checker.report.mutation import render_json, render_markdown  # noqa: E402
from flagcheck.tlamodel.errors import DesignError  # noqa: E402


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished workers: unlike wall time, it
    does not depend on what else the machine runs (the pools are closed by now)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + _fork_server_cpu()


def _fork_server_cpu() -> float:
    """The workers are children of the fork server (checker.engines.processes), which reaps
    them, so their CPU is in its children's times, read from /proc (0 where there is none)."""
    from multiprocessing import forkserver
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # after the ")" that ends the name: utime, stime, cutime, cstime are fields 12-15
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("designs", nargs="*", type=Path)
    ap.add_argument("-j", "--jobs", type=int, default=default_jobs())
    ap.add_argument("--json", type=Path, help="also write the flagcheck-mutate JSON here")
    ap.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    designs = args.designs or sorted(Path("specs").glob("*.yaml"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"flagcheck mutate on {len(designs)} designs, -j {args.jobs}, "
          f"load average {load:.2f} at start")
    head = f"{'design':32} {'mutants':>7} " + " ".join(f"{s:>18}" for s in STATUSES)
    print(head + f" {'score':>7} {'seconds':>8}")
    runs, code = [], 0
    t0 = time.monotonic()
    for path in designs:
        try:
            d = mutate_design(path, jobs=args.jobs)
        except DesignError as e:
            print(e.render(), file=sys.stderr)
            code = 2
            continue
        runs.append(d)
        print(f"{d.design:32} {len(d.results):>7} " + " ".join(
            f"{d.count(s):>18}" for s in STATUSES) + f" {d.score:>6.1f}% {d.seconds:>8.1f}",
            flush=True)
    total = time.monotonic() - t0
    print(f"total: {sum(len(d.results) for d in runs)} mutants in {total:.1f} s "
          f"({total / 60:.1f} min) with -j {args.jobs}")
    cpu = _cpu_seconds()
    print(f"CPU: {cpu:.0f} s in this process and its workers, {cpu / args.jobs / 60:.1f} min "
          f"over {args.jobs} cores: the wall time on a machine nobody else uses")
    for d in runs:
        for r in d.survivors:
            print(f"  survivor {d.design}: {r.mutant.where}: {r.mutant.description}")
    if args.json:
        args.json.write_text(render_json(runs))
    if args.markdown:
        args.markdown.write_text(render_markdown(runs))
    return code


if __name__ == "__main__":
    sys.exit(main())
