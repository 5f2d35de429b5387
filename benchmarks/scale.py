#!/usr/bin/env python3
"""The scaled-family benchmark: every flagcheck engine and SPIN side by side, N = 1..8.

    .venv/bin/python benchmarks/scale.py                       # both families, N = 1..8
    .venv/bin/python benchmarks/scale.py --sizes 1-4 --timeout 30 --engines explicit,pdr
    .venv/bin/python benchmarks/scale.py --markdown table.md --json scale.json

Families (benchmarks/scale_families.py, one parameterised scenario file each, run with
``--param N=n``): ``senders`` (T in
pause(); N tasks queue TWA_SIGNAL work on T, N tasks send it SIGUSR1) and
``io-uring-waiters-N`` (io-uring-pthread-join with N threads waiting for the CQE), on one
design (``--design``, default specs/notify-signal-5.11.yaml).

Each cell is a fresh process, so its time is the time to verdict a user sees (start-up,
loading, reduction and the engine, every property of the scenario), and its memory is the
process's peak resident set (``ru_maxrss``; for ``auto`` the race's engine processes are
not counted).  flagcheck cells run ``verify``
with ``--engine E --timeout T``; the SPIN cell exports the same reduced model (tlamodel's
Promela exporter), runs ``spin -a``, ``gcc -O2`` and ``pan`` once per invariant
(``-N claim``) and once without claims for deadlock: its time is the sum, its memory the
largest "total actual memory usage" pan reports.  ``ratio`` is a cell's time over SPIN's
at the same N, for cells with a verdict.

Per-cell timeout (``--timeout``, wall clock): a cell that runs out is ``timeout``, and
that engine is not run on larger N of the family (they would only time out too).
Figures depend on the machine's load (2 shared cores here): re-run before quoting them.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # runnable as `python benchmarks/scale.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.scale_families import FAMILIES  # noqa: E402

ENGINES = ("explicit", "explicit-por", "bmc", "kind", "pdr", "auto")


@dataclass
class Cell:
    family: str
    n: int
    engine: str            # a flagcheck engine or "spin"
    status: str            # proved / violated / holds / unknown / timeout / error
    verdict: str           # the properties' verdict words, or why not
    states: int | None
    seconds: float
    mb: float              # peak resident set of the cell's process(es)
    ratio: float | None = None
    #: SPIN only: the pan runs' seconds (the rest of ``seconds`` is spin -a and gcc -O2)
    search: float | None = None


def _run(cmd: list[str], cwd: Path | None, timeout: float) -> tuple[int, str, float]:
    """Run ``cmd``; (exit code or -1 on timeout, output, seconds)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        out, _ = p.communicate(timeout=max(0.1, timeout))
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return -1, out, time.monotonic() - t0
    return p.returncode, out, time.monotonic() - t0


def run_flagcheck(design: Path, fam: str, n: int, engine: str, timeout: float) -> Cell:
    """One engine on family ``fam`` with N = ``n``, in its own process (``--cell``)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cell", str(design),
           str(FAMILIES[fam]), engine, str(timeout), str(n)]
    code, out, secs = _run(cmd, ROOT, timeout + 30)
    if code == -1:
        return Cell(fam, int(n), engine, "timeout", f"> {timeout:g} s", None, secs, 0.0)
    try:
        doc = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Cell(fam, int(n), engine, "error", out.strip()[-200:], None, secs, 0.0)
    return Cell(fam, int(n), engine, doc["status"], doc["verdict"], doc["states"], secs,
                doc["mb"])


def cell_main(design: str, scenario: str, engine: str, timeout: float, n: int) -> None:
    """The child of ``run_flagcheck``: verify with --param N=n, print one JSON line."""
    import resource

    from flagcheck.checker.verify import Options, verify
    from flagcheck.tlamodel.load import load_design
    d = load_design(design, params={"N": n})
    # "explicit-nosym": the explicit engine without symmetry reduction (--no-symmetry);
    # "explicit-por": with partial-order reduction too (--por)
    opts = Options(engine=engine.removesuffix("-nosym").removesuffix("-por"), timeout=timeout,
                   symmetry=not engine.endswith("-nosym"), por=engine.endswith("-por"))
    # the safety properties, the ones SPIN checks too (the liveness ones are
    # searched for fair lassos, unreduced: a different question)
    safety = tuple(name for name, p in d.merged.properties.items()
                   if p.kind in ("always", "deadlock_free"))
    verdicts = [v for v in verify(d, (scenario,), (*safety, "assertions"), opts)
                if v.outcome is not None]
    statuses = {v.status for v in verdicts}
    status = next((s for s in ("violated", "unknown", "holds") if s in statuses), "proved")
    states = max((v.outcome.states or 0 for v in verdicts if v.outcome), default=0) or None
    words = "; ".join(f"{v.property}: {v.word()}" for v in verdicts)
    mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"status": status, "verdict": words, "states": states, "mb": mb}))


def run_spin(design: Path, fam: str, n: int, timeout: float) -> Cell:
    """export -> spin -a -> gcc -O2 -> pan, once per invariant and once for deadlock."""
    from flagcheck.tlamodel.emit_promela import PromelaWriter
    from flagcheck.tlamodel.ir import DeadlockFree, Invariant
    from flagcheck.tlamodel.load import load_design
    from flagcheck.tlamodel.reduce import reduce_model
    t0 = time.monotonic()
    d = load_design(design, params={"N": n})
    spec = d.scenario(str(FAMILIES[fam]))
    skipped = set(d.skipped(spec))
    model = reduce_model(d.model(spec))
    writer = PromelaWriter(model)
    invs = [p for p in model.properties if isinstance(p, Invariant) and p.name not in skipped]
    dls = [p for p in model.properties if isinstance(p, DeadlockFree) and p.name not in skipped]
    peak = 0.0
    search = 0.0
    words, stored, status = [], None, "proved"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "model.pml").write_text(writer.render())
        steps = [["spin", "-o2", "-a", "model.pml"]]
        if invs:
            steps.append(["gcc", "-O2", "-DNOREDUCE", "-o", "pan", "pan.c"])
        if dls:
            steps.append(["gcc", "-O2", "-DNOREDUCE", "-DNOCLAIM", "-o", "pan_end", "pan.c"])
        pans = [(p.name, ["./pan", "-m2000000", "-w24", "-N", writer.claims[p.name]])
                for p in invs]
        pans += [(p.name, ["./pan_end", "-m2000000", "-w24"]) for p in dls]
        for cmd in steps:
            left = timeout - (time.monotonic() - t0)
            code, out, _ = _run(cmd, work, left)
            if code != 0:
                why = "timeout" if code == -1 else "error"
                return Cell(fam, int(n), "spin", why, f"{cmd[0]}: {out.strip()[-120:]}",
                            None, time.monotonic() - t0, peak)
        for name, cmd in pans:
            left = timeout - (time.monotonic() - t0)
            code, out, secs = _run(cmd, work, left)
            search += secs
            mem = re.search(r"([\d.]+)\s+total actual memory usage", out)
            peak = max(peak, float(mem.group(1)) if mem else 0.0)
            if code == -1:
                return Cell(fam, int(n), "spin", "timeout", f"> {timeout:g} s", None,
                            time.monotonic() - t0, peak)
            m = re.search(r"(\d+) states, stored", out)
            if m:
                stored = max(stored or 0, int(m.group(1)))
            errors = re.search(r"errors: (\d+)", out)
            if errors is None or "out of memory" in out or "Search not completed" in out:
                return Cell(fam, int(n), "spin", "error", out.strip()[-120:], stored,
                            time.monotonic() - t0, peak)
            bad = errors.group(1) != "0"
            words.append(f"{name}: {'violated' if bad else 'holds'}")
            if bad:
                status = "violated"
    return Cell(fam, int(n), "spin", status, "; ".join(words), stored,
                time.monotonic() - t0, peak, search=search)


def _sizes(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def markdown(cells: list[Cell], engines: list[str]) -> str:
    """One row per family × N, one column per engine: time (s), states, MB, ratio."""
    cols = [*engines, "spin"]
    head = "| family | N | " + " | ".join(cols) + " |"
    rows = [head, "|---|---|" + "---|" * len(cols)]
    by = {(c.family, c.n, c.engine): c for c in cells}
    for fam, n in dict.fromkeys((c.family, c.n) for c in cells):
        out = []
        for e in cols:
            c = by.get((fam, n, e))
            if c is None:
                out.append("—")
            elif c.status in ("timeout", "error"):
                out.append(c.status)
            else:
                st = f", {c.states:,} st" if c.states else ""
                r = f", ×{c.ratio:.2f}" if c.ratio is not None else ""
                pan = f" (pan {c.search:.2f} s)" if c.search is not None else ""
                out.append(f"{c.status} {c.seconds:.1f} s{pan}{st}, {c.mb:.0f} MB{r}")
        rows.append(f"| {fam} | {n} | " + " | ".join(out) + " |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cell", nargs=5, metavar=("DESIGN", "SCENARIO", "ENGINE", "TIMEOUT", "N"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--design", type=Path, default=ROOT / "specs" / "notify-signal-5.11.yaml")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--sizes", default="1-8", help="N range, e.g. 1-8 or 3")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per cell")
    ap.add_argument("--spin-timeout", type=float, help="seconds per SPIN cell (default: --timeout)")
    ap.add_argument("--no-spin", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args(argv)
    if a.cell:
        cell_main(a.cell[0], a.cell[1], a.cell[2], float(a.cell[3]), int(a.cell[4]))
        return 0
    engines = [e for e in a.engines.split(",") if e]
    spin = not a.no_spin and shutil.which("spin") and shutil.which("gcc")
    cells: list[Cell] = []
    print(f"# scale benchmark, design {a.design.name}, timeout {a.timeout:g} s per cell; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    for fam in a.families.split(","):
        dead: set[str] = set()
        for n in _sizes(a.sizes):
            row: list[Cell] = []
            for e in [*engines, *(["spin"] if spin else [])]:
                if e in dead:
                    continue
                c = (run_spin(a.design, fam, n, a.spin_timeout or a.timeout) if e == "spin"
                     else run_flagcheck(a.design, fam, n, e, a.timeout))
                if c.status in ("timeout", "error") or (e != "spin" and c.status == "unknown"):
                    dead.add(e)
                row.append(c)
                print(f"{fam}-{n} {e}: {c.status} {c.seconds:.1f}s states={c.states} "
                      f"{c.mb:.0f}MB load={os.getloadavg()[0]:.1f} {c.verdict[:100]}", flush=True)
            ref = next((c for c in row if c.engine == "spin" and c.status not in
                        ("timeout", "error")), None)
            for c in row:
                if ref is not None and c.engine != "spin" and c.status in ("proved", "violated",
                                                                          "holds"):
                    c.ratio = c.seconds / ref.seconds if ref.seconds else None
            cells += row
    table = markdown(cells, engines)
    print(table)
    if a.markdown:
        a.markdown.write_text(table)
    if a.json:
        a.json.write_text(json.dumps([asdict(c) for c in cells], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
