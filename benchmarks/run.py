#!/usr/bin/env python3
"""Measure flagcheck on the shipped designs: verdict, depth, states and seconds per
design × scenario × property × engine, plus the model size of each design × scenario.

    .venv/bin/python benchmarks/run.py                       # all specs/*.yaml, both engines
    .venv/bin/python benchmarks/run.py --engines explicit specs/rfc-v2-tif-taskwork.yaml
    .venv/bin/python benchmarks/run.py --json bench.json

Columns: ``depth`` is the counterexample length for ``violated``, the deepest BFS layer for
an explicit proof, the bound or the proof depth for BMC, the depth reached for ``unknown``;
``states`` is the explicit engine's count; ``seconds`` is the engine's own time for that
property.  Timeouts are wall-clock, so results depend on the machine's load (printed).

This script measures; it checks nothing against the designs' ``expect:`` entries (the
tests in tests/specs do that).  Exit status: 0 when every design loaded, 2 when one could
not be loaded or built (its error is printed and the other designs still run).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # runnable as `python benchmarks/run.py` from anywhere
    sys.path.insert(0, str(ROOT))

from flagcheck.checker.verify import ENGINES, Options, verify  # noqa: E402
from flagcheck.pyspec.outcome import Certificate  # noqa: E402
from flagcheck.tlamodel.errors import DesignError  # noqa: E402
from flagcheck.tlamodel.ir import Model  # noqa: E402
from flagcheck.tlamodel.load import load_design  # noqa: E402


@dataclass
class Row:
    design: str
    scenario: str
    property: str
    engine: str
    verdict: str
    status: str            # violated / proved / holds / unknown / skipped
    depth: int | None      # violated: steps of the counterexample; proved by explicit: the
    #                        deepest BFS layer; otherwise: the depth searched / reached
    states: int | None     # explicit engine only
    seconds: float | None  # the engine's own time for this property
    certificate: str = ""  # proofs by kind/pdr: k, invariant size, mined clauses


@dataclass
class Size:
    design: str
    scenario: str
    vars: int              # every state variable, pcs and the error variable included
    user_vars: int         # the variables a design declares (no pc / __error)
    actions: int
    properties: int


@dataclass
class RunTime:
    design: str
    scenario: str
    engine: str
    seconds: float         # wall clock of the whole verify() call (model building included)
    cpu: float             # CPU of this process in it (auto's engine processes not counted)


def shown(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Run every design × scenario × engine and print verdicts, depths, "
                    "states and seconds (measures; asserts nothing).")
    ap.add_argument("designs", nargs="*", type=Path, metavar="DESIGN.yaml",
                    help="design files (default: every specs/*.yaml)")
    ap.add_argument("--engines", default=",".join(e for e in ENGINES if e != "auto"),
                    help=f"comma-separated engines out of {', '.join(ENGINES)} "
                         "(default: %(default)s)")
    ap.add_argument("--depth", type=int, default=None,
                    help="BMC bound in steps (default: each design's 'bound:')")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds per design × scenario × engine (default: %(default)s)")
    ap.add_argument("--max-states", type=int, default=None,
                    help="state limit for the explicit engine (default: none)")
    ap.add_argument("--seed", type=int, default=0, help="Z3 random seed (default: 0)")
    ap.add_argument("--no-reduce", action="store_true",
                    help="check the front end's model as is (no merging of task-private steps)")
    ap.add_argument("--json", type=Path, default=None, metavar="FILE",
                    help="also write the rows, model sizes and total time as JSON")
    args = ap.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad or not engines:
        ap.error(f"--engines: unknown engine(s) {', '.join(bad) or '(none given)'}; "
                 f"choose from {', '.join(ENGINES)}")
    args.engines = list(dict.fromkeys(engines))
    if args.depth is not None and args.depth < 0:
        ap.error("--depth must be >= 0")
    if args.timeout is not None and args.timeout <= 0:
        ap.error("--timeout must be > 0")
    if args.max_states is not None and args.max_states < 1:
        ap.error("--max-states must be >= 1")
    if not args.designs:
        args.designs = sorted((ROOT / "specs").glob("*.yaml"))
    return args


def progress(msg: str) -> None:
    if sys.stderr.isatty():
        print(msg, file=sys.stderr, flush=True)


def bench_design(path: Path, args: argparse.Namespace, rows: list[Row], sizes: list[Size],
                 runs: list[RunTime]) -> None:
    design = load_design(path)
    for scen in design.scenarios:
        models: list[Model] = []
        for engine in args.engines:
            progress(f"  {design.name} × {scen.name} × {engine} ...")
            extra = {"reduce": False} if args.no_reduce else {}
            opts = Options(engine=engine, depth=args.depth, timeout=args.timeout,
                           max_states=args.max_states, seed=args.seed, **extra)
            t0, c0 = time.monotonic(), time.process_time()
            verdicts = verify(design, (scen.name,), (), opts, on_model=models.append)
            runs.append(RunTime(design.name, scen.name, engine, time.monotonic() - t0,
                                time.process_time() - c0))
            for v in verdicts:
                o = v.outcome
                rows.append(Row(
                    design=v.design, scenario=v.scenario, property=v.property,
                    engine=o.label if o is not None and o.engine else engine,  # auto→…
                    verdict=v.word() if o is not None else "not checked (skipped)",
                    status=v.status,
                    depth=o.depth if o is not None else None,
                    states=o.states if o is not None and o.answered_by == "explicit" else None,
                    seconds=round(o.seconds, 3) if o is not None else None,
                    certificate=certificate(o.certificate) if v.status == "proved" else ""))
        if models:
            m = models[0]
            sizes.append(Size(design.name, scen.name, len(m.vars),
                              sum(1 for d in m.vars if not d.internal), len(m.actions),
                              len(m.properties)))


def certificate(cert: Certificate | None) -> str:
    """What a kind/PDR proof rests on, in a table cell: "k=0, 656 mined" or
    "56 lemmas/197 nodes, 656 mined" (the mined clauses are checker.engines.invgen's)."""
    if cert is None:
        return ""
    parts = []
    if cert.method == "k-induction":
        parts.append(f"k={cert.k}")
    else:
        parts.append(f"{cert.lemmas} lemmas/{cert.nodes} nodes")
    if cert.mined:
        parts.append(f"{cert.mined} mined")
    return ", ".join(parts)


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def blank(x: object, fmt: str = "{}") -> str:
    return "" if x is None else fmt.format(x)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[Row] = []
    sizes: list[Size] = []
    runs: list[RunTime] = []
    failed: list[tuple[str, str]] = []
    t0 = time.monotonic()
    for path in args.designs:
        progress(f"{shown(path)}")
        try:
            bench_design(path, args, rows, sizes, runs)
        except DesignError as e:
            failed.append((shown(path), e.render()))
            print(e.render(), file=sys.stderr)
    total = time.monotonic() - t0

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"flagcheck benchmarks: engines {','.join(args.engines)}; "
          f"depth {args.depth if args.depth is not None else 'design bound'}; "
          f"timeout {args.timeout:g}s; max states {args.max_states or 'none'}; "
          f"{'unreduced' if args.no_reduce else 'reduced'} models; "
          f"{os.cpu_count()} CPUs, load average {load} at the end")
    print()
    print(table(["design", "scenario", "property", "engine", "verdict", "depth", "states", "seconds",
                 "certificate"],
                [[r.design, r.scenario, r.property, r.engine, r.verdict, blank(r.depth),
                  blank(r.states), blank(r.seconds, "{:.2f}"), r.certificate] for r in rows],
                right={5, 6, 7}))
    print()
    print(table(["design", "scenario", "vars", "user vars", "actions", "properties"],
                [[s.design, s.scenario, str(s.vars), str(s.user_vars), str(s.actions),
                  str(s.properties)] for s in sizes],
                right={2, 3, 4, 5}))
    print()
    print(table(["design", "scenario", "engine", "wall seconds", "cpu seconds"],
                [[r.design, r.scenario, r.engine, f"{r.seconds:.2f}", f"{r.cpu:.2f}"]
                 for r in runs],
                right={3, 4}))
    print()
    print(f"total: {total:.2f} s")
    for path, _ in failed:
        print(f"not measured: {path} (bad design, see stderr)")

    if args.json is not None:
        doc = {
            "options": {"engines": args.engines, "depth": args.depth, "timeout": args.timeout,
                        "max_states": args.max_states, "seed": args.seed,
                        "reduce": not args.no_reduce,
                        "designs": [shown(p) for p in args.designs]},
            "rows": [asdict(r) for r in rows],
            "models": [asdict(s) for s in sizes],
            "runs": [{**asdict(r), "seconds": round(r.seconds, 3), "cpu": round(r.cpu, 3)}
                     for r in runs],
            "failed": [{"design": p, "error": err} for p, err in failed],
            "total_seconds": round(total, 3),
        }
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return 2 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:            # e.g. `| head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
