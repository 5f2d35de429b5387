#!/usr/bin/env python3
"""Partial-order reduction: states and seconds of the explicit search with and without it.

    .venv/bin/python benchmarks/por.py                        # shipped pairs, both families
    .venv/bin/python benchmarks/por.py --no-shipped --sizes 1-4 --timeout 300

Four searches of the reduced model's safety properties (the invariants and deadlock
freedom; liveness is never reduced by partial-order reduction, so it would only measure
the lasso search): ``plain`` (no reduction of states at all), ``por`` (partial-order
reduction, pyspec.por), ``sym`` (symmetry reduction, pyspec.symmetry, the default of
``flagcheck verify``) and ``por+sym`` (both: ``verify --por``), each in a fresh process
with a time limit.  Seconds are the search
alone (model building left out); for ``por`` they include the unreduced rerun that finds the
shortest counterexample of a violated property.  Printed: the shipped design × scenario
pairs (a total row, and every pair where partial-order reduction stores fewer states),
then the scaled families of benchmarks/scale/ on one design for N = --sizes, with the
load average when each row ended: the machine has 2 shared cores, so the times depend on
the load, the counts do not.  A cell that runs out of time is not followed by larger N of
its kind.
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
SCALE = ROOT / "benchmarks" / "scale"
FAMILIES = ("senders", "io-uring-waiters")
KINDS = ("plain", "por", "sym", "por+sym")


def cell(design: str, scenario: str, n: int, kind: str) -> None:
    """The child: one search, one JSON line."""
    from flagcheck.pyspec import explicit
    from flagcheck.tlamodel.ir import Liveness
    from flagcheck.tlamodel.load import load_design
    from flagcheck.tlamodel.reduce import reduce_model
    params = {"N": n} if n >= 0 else None
    d = load_design(Path(design), allow_paths=(SCALE,), params=params)
    m = reduce_model(d.model(d.scenario(scenario)))
    props = [p.name for p in m.properties if not isinstance(p, Liveness)]
    t0 = time.monotonic()
    out = explicit.check(m, props, symmetry="sym" in kind, por="por" in kind)
    secs = time.monotonic() - t0
    states = max((o.states or 0) for o in out.values())
    print(json.dumps({"status": sorted({o.status for o in out.values()}), "states": states,
                      "seconds": secs}))


def run(design: Path, scenario: str, n: int, kind: str, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cell", str(design), scenario,
           str(n), kind]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": ["timeout"], "states": None, "seconds": timeout}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"status": ["error: " + p.stderr.strip()[-200:]], "states": None, "seconds": 0.0}


def fig(r: dict | None) -> str:
    if not r:
        return "— | —"
    if r["states"] is None:
        return f"{r['status'][0]} | > {r['seconds']:.0f}"
    return f"{r['states']:,} ({'/'.join(r['status'])}) | {r['seconds']:.2f}"


def shipped(timeout: float) -> None:
    """Every shipped pair, all three searches; the pairs POR reduces and a total row."""
    from flagcheck.tlamodel.load import load_design
    print("| design × scenario | plain states | s | por states | s | sym states | s | "
          "por+sym states | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = {k: [0, 0.0] for k in KINDS}
    pairs = 0
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        for scen in load_design(path).scenarios:
            row = {k: run(path, scen.name, -1, k, timeout) for k in KINDS}
            pairs += 1
            for k, r in row.items():
                total[k][0] += r["states"] or 0
                total[k][1] += r["seconds"]
            if row["por"]["states"] is not None and row["plain"]["states"] is not None and \
                    row["por"]["states"] < row["plain"]["states"]:
                print(f"| {path.stem} × {scen.name} | "
                      f"{' | '.join(fig(row[k]) for k in KINDS)} |", flush=True)
    print(f"| all {pairs} pairs | " + " | ".join(
        f"{total[k][0]:,} | {total[k][1]:.1f}" for k in KINDS) +
        f" |\n\nload average {os.getloadavg()[0]:.1f}", flush=True)


def families(design: Path, sizes: str, timeout: float) -> None:
    lo, _, hi = sizes.partition("-")
    for fam in FAMILIES:
        print(f"\n{fam} ({design.stem})\n")
        print("| N | plain states | s | por states | s | sym states | s | por+sym states | s "
              "| load |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        dead = dict.fromkeys(KINDS, False)
        for n in range(int(lo), int(hi or lo) + 1):
            row: dict[str, dict | None] = {}
            for k in KINDS:
                row[k] = None if dead[k] else run(design, str(SCALE / f"{fam}.yaml"), n, k,
                                                  timeout)
                dead[k] = dead[k] or row[k] is None or row[k]["states"] is None  # type: ignore[index]
            print(f"| {n} | {' | '.join(fig(row[k]) for k in KINDS)} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
            if all(dead.values()):
                break


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cell", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--design", type=Path, default=ROOT / "specs" / "notify-signal-5.11.yaml")
    ap.add_argument("--sizes", default="1-4")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per cell")
    ap.add_argument("--no-shipped", action="store_true", help="only the scaled families")
    ap.add_argument("--no-families", action="store_true", help="only the shipped pairs")
    a = ap.parse_args(argv)
    if a.cell:
        cell(a.cell[0], a.cell[1], int(a.cell[2]), a.cell[3])
        return 0
    if not a.no_shipped:
        shipped(a.timeout)
    if not a.no_families:
        families(a.design, a.sizes, a.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
