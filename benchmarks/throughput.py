#!/usr/bin/env python3
"""The explicit engine's raw speed and memory per state, next to SPIN's, in one run.

    .venv/bin/python benchmarks/throughput.py                    # senders N=3, io-uring-waiters N=3
    .venv/bin/python benchmarks/throughput.py --cell senders:3

Both searches visit the same reachable states of the same reduced model, unreduced (no
symmetry, no partial-order reduction: ``pan`` compiled with -DNOREDUCE), checking the
safety properties: flagcheck's explicit engine in a fresh process, one BFS for all of
them; SPIN's ``pan`` compiled without a never claim (-DNOCLAIM), the deadlock search, which
stores every reachable state once.  Printed per cell:

* states, seconds of the search alone (flagcheck: the engine's own time, model building
  left out; SPIN: ``pan``'s elapsed time, ``spin -a`` and ``gcc`` left out), states/s;
* bytes per stored state: flagcheck's peak resident set during the search minus the set
  before it, over the states; SPIN's "total actual memory usage" (hash table included)
  over the states stored;
* the ratios flagcheck / SPIN (time per state, bytes per state).

Figures depend on the machine's load (2 shared cores here): the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # runnable as `python benchmarks/throughput.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.scale_families import FAMILIES  # noqa: E402

DESIGN = ROOT / "specs" / "notify-signal-5.11.yaml"
CELLS = ("senders:3", "io-uring-waiters:3")


def _model(fam: str, n: int):  # noqa: ANN202
    from flagcheck.tlamodel.ir import Liveness
    from flagcheck.tlamodel.load import load_design
    from flagcheck.tlamodel.reduce import reduce_model
    d = load_design(DESIGN, params={"N": n})
    spec = d.scenario(str(FAMILIES[fam]))
    skipped = set(d.skipped(spec))
    m = reduce_model(d.model(spec))
    names = [p.name for p in m.properties
             if not isinstance(p, Liveness) and p.name not in skipped]
    return m, names


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def flagcheck_cell(fam: str, n: int) -> dict:
    """The child: one explicit search, unreduced; one JSON line."""
    from flagcheck.pyspec import explicit
    m, names = _model(fam, n)
    before = _rss_bytes()
    t0 = time.monotonic()
    out = explicit.check(m, names, symmetry=False, por=False)
    secs = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    states = max(o.states or 0 for o in out.values())
    verdicts = {k: o.status for k, o in out.items()}
    return {"states": states, "seconds": secs, "bytes": max(0, peak - before),
            "verdicts": verdicts}


def spin_cell(fam: str, n: int) -> dict:
    from flagcheck.tlamodel.emit_promela import PromelaWriter
    m, _ = _model(fam, n)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "model.pml").write_text(PromelaWriter(m).render())
        for cmd in (["spin", "-o2", "-a", "model.pml"],
                    ["gcc", "-O2", "-DNOREDUCE", "-DNOCLAIM", "-o", "pan", "pan.c"]):
            subprocess.run(cmd, cwd=work, check=True, capture_output=True)
        p = subprocess.run(["./pan", "-m2000000", "-w24"], cwd=work, capture_output=True,
                           text=True)
    text = p.stdout

    def num(pattern: str) -> float:
        hit = re.search(pattern, text)
        if hit is None:
            raise SystemExit(f"pan's output has no {pattern!r}:\n{text[-2000:]}")
        return float(hit.group(1))
    states = int(num(r"(\d+) states, stored"))
    return {"states": states, "seconds": num(r"pan: elapsed time ([\d.e+-]+) seconds"),
            "bytes": num(r"([\d.]+)\s+total actual memory usage") * 2**20}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cell", action="append", help="FAMILY:N (default: " + ", ".join(CELLS) + ")")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        fam, n = a.child.split(":")
        print(json.dumps(flagcheck_cell(fam, int(n))))
        return 0
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print("| model | engine | states | search s | states/s | bytes/state | ratio to SPIN "
          "(s/state, bytes/state) |")
    print("|---|---|---|---|---|---|---|")
    for cell in a.cell or CELLS:
        fam, n = cell.split(":")
        p = subprocess.run([sys.executable, __file__, "--child", cell], capture_output=True,
                           text=True, cwd=ROOT)
        if p.returncode != 0:
            print(f"| {fam}-{n} | flagcheck | error: {p.stderr.strip()[-200:]} |")
            continue
        fc = json.loads(p.stdout.strip().splitlines()[-1])
        sp = spin_cell(fam, int(n))
        for name, r in (("flagcheck explicit", fc), ("SPIN pan", sp)):
            rate = r["states"] / r["seconds"] if r["seconds"] else float("inf")
            per = r["bytes"] / r["states"]
            ratio = ""
            if r is fc:
                ratio = (f"{(fc['seconds'] / fc['states']) / (sp['seconds'] / sp['states']):.2f}, "
                         f"{per / (sp['bytes'] / sp['states']):.2f}"
                         if sp["seconds"] else "")
            print(f"| {fam}-{n} | {name} | {r['states']:,} | {r['seconds']:.2f} | "
                  f"{rate:,.0f} | {per:.0f} | {ratio} |", flush=True)
        if fc["states"] != sp["states"]:
            print(f"(state counts differ: flagcheck {fc['states']:,}, SPIN {sp['states']:,}; "
                  "SPIN's Promela adds its own end states)")
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
