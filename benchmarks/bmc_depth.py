#!/usr/bin/env python3
"""BMC to depth 40 on every shipped io_uring scenario: seconds per design × scenario.

    .venv/bin/python benchmarks/bmc_depth.py                   # every design with one
    .venv/bin/python benchmarks/bmc_depth.py --depth 30 --design specs/coupled-5.9.yaml

Each cell is a fresh process running ``checker.engines.bmc`` on the reduced model (as
``flagcheck verify --engine bmc`` does) and the design's safety properties (the liveness
lasso search is a separate engine, checker/engines/lasso.py).  It prints the verdicts, the
depth reached, the seconds of search (model building left out) and the load average when
the cell ended: the machine has 2 shared cores, so the times depend on the load.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("io-uring-pthread-join", "io-uring-killable-join")


def cell(design: str, scenario: str, depth: int, timeout: float) -> None:
    """The child: one BMC run, one JSON line."""
    from flagcheck.checker.engines import bmc
    from flagcheck.tlamodel.ir import Liveness
    from flagcheck.tlamodel.load import load_design
    from flagcheck.tlamodel.reduce import reduce_model
    d = load_design(Path(design))
    m = reduce_model(d.model(d.scenario(scenario)))
    props = [p.name for p in m.properties if not isinstance(p, Liveness)]
    t0 = time.monotonic()
    out = bmc.check(m, props, depth=depth, timeout=timeout)
    secs = time.monotonic() - t0
    print(json.dumps({"verdicts": {n: f"{o.status}@{o.depth}" for n, o in out.items()},
                      "seconds": secs}))


def calibrate() -> str:
    """How fast this machine is, in two fixed jobs, so tables from different machines (and
    sessions: the "same" 2-core machine has differed by 2x) can be compared: 10 million
    Python additions, and Z3 refuting 9 pigeons in 8 holes (a fixed search, ~48,000
    conflicts)."""
    import z3
    t0 = time.process_time()
    n = 0
    for i in range(10_000_000):
        n += i
    py = time.process_time() - t0
    ctx = z3.Context()
    p = [[z3.Bool(f"p{i}_{j}", ctx) for j in range(8)] for i in range(9)]
    s = z3.SolverFor("QF_BV", ctx=ctx)
    s.add([z3.Or(row) for row in p])
    s.add([z3.Or(z3.Not(p[i][j]), z3.Not(p[k][j]))
           for j in range(8) for i in range(9) for k in range(i + 1, 9)])
    t0 = time.process_time()
    assert s.check() == z3.unsat
    return (f"machine: 10M Python additions {py:.2f} s, "
            f"Z3 pigeonhole 9/8 {time.process_time() - t0:.2f} s")


def pairs(designs: list[Path]) -> list[tuple[Path, str]]:
    from flagcheck.tlamodel.load import load_design
    out = []
    for p in designs:
        names = {s.name for s in load_design(p).scenarios}
        out += [(p, s) for s in SCENARIOS if s in names]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--design", action="append", type=Path)
    ap.add_argument("--depth", type=int, default=40)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--cell", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.cell:
        cell(a.cell[0], a.cell[1], int(a.cell[2]), float(a.cell[3]))
        return
    designs = a.design or sorted((ROOT / "specs").glob("*.yaml"))
    print(calibrate(), flush=True)
    print(f"| design | scenario | verdicts (depth {a.depth}) | s | load |")
    print("|---|---|---|---|---|")
    for design, scen in pairs(designs):
        cmd = [sys.executable, __file__, "--cell", str(design), scen, str(a.depth),
               str(a.timeout)]
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            r = {"verdicts": {"error": p.stderr.strip()[-200:]}, "seconds": float("nan")}
        v = ", ".join(f"{k} {x}" for k, x in r["verdicts"].items())
        print(f"| {design.stem} | {scen} | {v} | {r['seconds']:.1f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
