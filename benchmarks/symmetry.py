#!/usr/bin/env python3
"""Symmetry reduction on the senders family: states and time with and without it.

    .venv/bin/python benchmarks/symmetry.py                     # N = 1..8, 1800 s a cell
    .venv/bin/python benchmarks/symmetry.py --sizes 1-4 --timeout 300 --no-plain

Each cell is a fresh process running the explicit engine on the family's safety
properties (the invariants; liveness is searched unreduced either way, so it would only
measure the lasso search) of the reduced model of benchmarks/scale/senders.yaml with
``--param N=n``, on one design (``--design``).  It prints N, the states of the unreduced
search, the orbits of the reduced one, their seconds (search only, model building left
out), the peak resident set and the load average when the cell ended: the machine has 2
shared cores, so the times depend on the load, the counts do not.  A cell that runs out of
time (``--timeout``) is not followed by larger N of its kind.
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
FAMILY = ROOT / "benchmarks" / "scale" / "senders.yaml"


def cell(design: str, n: int, symmetry: bool) -> None:
    """The child: one search, one JSON line."""
    import resource

    from flagcheck.pyspec import explicit
    from flagcheck.tlamodel.ir import Liveness
    from flagcheck.tlamodel.load import load_design
    from flagcheck.tlamodel.reduce import reduce_model
    d = load_design(Path(design), allow_paths=(FAMILY.parent,), params={"N": n})
    m = reduce_model(d.model(d.scenario(str(FAMILY))))
    props = [p.name for p in m.properties if not isinstance(p, Liveness)]
    t0 = time.monotonic()
    out = explicit.check(m, props, symmetry=symmetry)
    secs = time.monotonic() - t0
    o = next(iter(out.values()))
    print(json.dumps({"status": sorted({x.status for x in out.values()}), "states": o.states,
                      "orbits": o.orbits, "seconds": secs, "symmetry": o.symmetry,
                      "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(design: Path, n: int, symmetry: bool, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cell", str(design), str(n),
           "1" if symmetry else "0"]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": ["timeout"], "states": None, "seconds": timeout, "mb": 0.0}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"status": ["error: " + p.stderr.strip()[-200:]], "states": None,
                "seconds": 0.0, "mb": 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--design", type=Path, default=ROOT / "specs" / "notify-signal-5.11.yaml")
    ap.add_argument("--sizes", default="1-8")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per cell")
    ap.add_argument("--no-plain", action="store_true", help="only the reduced search")
    a = ap.parse_args(argv)
    if a.cell:
        cell(a.cell[0], int(a.cell[1]), a.cell[2] == "1")
        return 0
    lo, _, hi = a.sizes.partition("-")
    print("| N | states (no symmetry) | s | orbits (symmetry) | s | MB | load |")
    print("|---|---|---|---|---|---|---|")
    dead = {False: a.no_plain, True: False}
    for n in range(int(lo), int(hi or lo) + 1):
        row: dict[bool, dict] = {}
        for sym in (False, True):
            if dead[sym]:
                continue
            row[sym] = r = run(a.design, n, sym, a.timeout)
            dead[sym] = r["states"] is None
        plain, red = row.get(False, {}), row.get(True, {})

        def fig(r: dict) -> tuple[str, str]:
            if not r:
                return "—", "—"
            if r["states"] is None:
                return r["status"][0], f"> {r['seconds']:.0f}" if r["status"] == ["timeout"] else "—"
            return f"{r['states']:,} ({'/'.join(r['status'])})", f"{r['seconds']:.1f}"
        mb = max(plain.get("mb", 0.0), red.get("mb", 0.0))
        print(f"| {n} | {' | '.join(fig(plain))} | {' | '.join(fig(red))} | {mb:.0f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
