"""Mutation score of the engine modules (pyspec/ and the Z3 engines in checker/) with cosmic-ray.

Why a driver around cosmic-ray: cosmic-ray mutates the files in place and reverts them, so it
must run in a throwaway copy of the tree (benchmarks/mutation.sh makes a git worktree), and the
full set of mutants (about 4,000 for the nine modules) is far beyond a session's time on two
cores. This driver

* makes one cosmic-ray session per module (``init``), then keeps a deterministic sample:
  mutants inside type annotations are dropped (every module has
  ``from __future__ import annotations``, so they are never evaluated and always equivalent),
  each *site* (line, column, operator family) keeps one representative mutation (``PREFERRED``:
  ``+``->``-``, ``==``->``!=``, ``<``->``<=``, ...), and of the sites, every ``--every``-th one
  from ``--offset`` on in source order is run; the rest are marked skipped;
* runs each mutant's tests as two stages (``tests``): the module's own tests first, then the rest
  of the fast tier, both with ``-x``, so a mutant is killed quickly when its own tests see it
  and a survivor has faced the whole fast tier;
* ``exec`` runs the pending mutants, ``report`` prints the score table and the survivors,
  ``rerun-survivors`` turns the survivors back into pending work (after tests were added).

Run it through benchmarks/mutation.sh; see benchmarks/mutation.md.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Module -> its own tests (stage 1). Stage 2 is the rest of FAST_TIER.
_PY_GAPS = "tests/pyspec/test_pyspec_mutation_gaps.py"
_ENGINE_GAPS = "tests/checker/test_engine_mutation_gaps.py"
MODULES: dict[str, list[str]] = {
    "pyspec/evaluate.py": ["tests/pyspec/test_pyspec_evaluate.py", _PY_GAPS],
    "pyspec/successors.py": ["tests/pyspec/test_pyspec_successors.py",
                             "tests/pyspec/test_pyspec_explicit.py", _PY_GAPS],
    "pyspec/explicit.py": ["tests/pyspec/test_pyspec_explicit.py", _PY_GAPS],
    "pyspec/replay.py": ["tests/pyspec/test_pyspec_replay.py",
                         "tests/checker/test_pdr_recheck.py", _PY_GAPS],
    "checker/engines/encode.py": ["tests/checker/test_encode.py", _ENGINE_GAPS],
    "checker/engines/bmc.py": ["tests/checker/test_bmc.py",
                               "tests/checker/test_engine_bounds.py", _ENGINE_GAPS],
    "checker/engines/kinduction.py": ["tests/checker/test_kinduction.py",
                                      "tests/checker/test_engine_bounds.py", _ENGINE_GAPS],
    "checker/engines/pdr.py": ["tests/checker/test_pdr.py",
                               "tests/checker/test_pdr_recheck.py", _ENGINE_GAPS],
    "checker/engines/pdr_render.py": ["tests/checker/test_pdr.py", _ENGINE_GAPS],
    "checker/engines/portfolio.py": ["tests/checker/test_portfolio.py", _ENGINE_GAPS],
}

FAST_TIER: list[str] = [
    "tests/pyspec/test_pyspec_evaluate.py",
    "tests/pyspec/test_pyspec_successors.py",
    "tests/pyspec/test_pyspec_explicit.py",
    "tests/pyspec/test_pyspec_replay.py",
    "tests/pyspec/test_pyspec_mutation_gaps.py",
    "tests/checker/test_encode.py",
    "tests/checker/test_bmc.py",
    "tests/checker/test_engine_bounds.py",
    "tests/checker/test_kinduction.py",
    "tests/checker/test_pdr.py",
    "tests/checker/test_pdr_recheck.py",
    "tests/checker/test_portfolio.py",
    "tests/checker/test_differential.py",
    "tests/checker/test_engine_mutation_gaps.py",
]

# One representative replacement per operator family (the 'dual' of the operator); families
# not listed keep their first mutation at the site.
PREFERRED: dict[str, str] = {
    "Add": "Sub", "Sub": "Add", "Mul": "Add", "Div": "Mul", "FloorDiv": "Mul", "Mod": "FloorDiv",
    "Pow": "Mul", "LShift": "RShift", "RShift": "LShift", "BitOr": "BitAnd", "BitAnd": "BitOr",
    "BitXor": "BitOr",
    "Eq": "NotEq", "NotEq": "Eq", "Lt": "LtE", "LtE": "Lt", "Gt": "GtE", "GtE": "Gt",
    "Is": "IsNot", "IsNot": "Is", "In": "NotIn", "NotIn": "In",
    "USub": "UAdd", "UAdd": "USub", "Invert": "UAdd",
}

TIMEOUT_S = 120.0


def _session(workdir: Path, module: str) -> Path:
    return workdir / (module.replace("/", "_").removesuffix(".py") + ".sqlite")


def _present(paths: list[str]) -> list[str]:
    return [p for p in paths if (ROOT / p).exists()]


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of every annotation: never evaluated under postponed annotations."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        anns = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            anns.append(node.returns)
            a = node.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                if arg is not None:
                    anns.append(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for ann in anns:
            if ann is not None:
                spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno, ann.end_col_offset)))
    return spans


def _family(operator: str) -> tuple[str, str | None, str | None]:
    """('ReplaceBinaryOperator', 'Add', 'Sub') for 'core/ReplaceBinaryOperator_Add_Sub'."""
    name = operator.split("/", 1)[1]
    if name.startswith(("ReplaceBinaryOperator_", "ReplaceComparisonOperator_",
                        "ReplaceUnaryOperator_")):
        kind, src, dst = name.split("_")
        if kind == "ReplaceUnaryOperator" and src == "Delete":  # 'Delete_Not' deletes a 'not'
            return kind, dst, "Delete"
        return kind, src, dst
    return name, None, None


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT m.job_id, m.module_path, m.operator_name, m.occurrence,"
            " m.start_pos_row, m.start_pos_col,"
            " m.end_pos_row, m.end_pos_col, r.worker_outcome, r.test_outcome, r.output"
            " FROM mutation_specs m LEFT JOIN work_results r ON r.job_id = m.job_id").fetchall()
    finally:
        con.close()


def _imports_this_tree() -> None:
    """Refuse to start unless ``flagcheck.*`` imports this tree's files: the editable install
    maps it to the main checkout, and tests that never see a mutation let every mutant
    survive.  benchmarks/mutation.sh puts a ``flagcheck`` package of symlinks in the tree."""
    out = subprocess.run([sys.executable, "-c", "import flagcheck.pyspec as p; print(p.__file__)"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(ROOT):
        raise SystemExit(f"flagcheck.pyspec is imported from {out}, not from {ROOT}: "
                         "run through benchmarks/mutation.sh")


def init(workdir: Path, modules: list[str], every: int, offset: int) -> None:
    """One cosmic-ray session per module, then everything outside the sample marked skipped."""
    _imports_this_tree()
    workdir.mkdir(parents=True, exist_ok=True)
    for module in modules:
        cfg = workdir / (module.replace("/", "_").removesuffix(".py") + ".toml")
        cfg.write_text(
            "[cosmic-ray]\n"
            f'module-path = "{module}"\n'
            f"timeout = {TIMEOUT_S}\n"
            "excluded-modules = []\n"
            f'test-command = "{sys.executable} {Path(__file__).relative_to(ROOT)} tests {module}"\n'
            "[cosmic-ray.distributor]\n"
            'name = "local"\n')
        db = _session(workdir, module)
        db.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(cfg), str(db)],
                       cwd=ROOT, check=True)
        spans = _annotation_spans((ROOT / module).read_text())
        sites: dict[tuple, list[tuple]] = defaultdict(list)
        in_annotation = []
        for job, _m, op, occ, sr, sc, er, ec, *_ in _rows(db):
            if any(s <= (sr, sc) and (er, ec) <= e for s, e in spans):
                in_annotation.append(job)
                continue
            kind, src, dst = _family(op)
            sites[(sr, sc, kind, src)].append((dst, occ, job))
        keep = set()
        for i, site in enumerate(sorted(sites)):
            if i % every != offset:
                continue
            want = PREFERRED.get(site[3] or "")
            cands = sorted(sites[site], key=lambda c: (c[0] != want, c[1], c[0] or ""))
            keep.add(cands[0][2])
        con = sqlite3.connect(db)
        with con:
            jobs = [r[0] for r in con.execute("SELECT job_id FROM work_items")]
            con.executemany(
                "INSERT INTO work_results (job_id, worker_outcome, output)"
                " VALUES (?, 'SKIPPED', ?)",
                [(j, "in an annotation" if j in in_annotation else "not sampled")
                 for j in jobs if j not in keep])
        con.close()
        print(f"{module}: {len(jobs)} mutants, {len(in_annotation)} in annotations, "
              f"{len(sites)} sites, "
              f"{len(keep)} sampled", flush=True)


def run_tests(module: str) -> int:
    """The command each mutant runs: the module's own tests, then the rest of the fast tier."""
    env = dict(os.environ)
    env.setdefault("FLAGCHECK_EXAMPLES", "0.1")
    own = _present(MODULES[module])
    rest = [t for t in _present(FAST_TIER) if t not in own]
    base = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    for stage in (own, rest):
        rc = subprocess.run(base + stage, cwd=ROOT, env=env).returncode
        if rc != 0:
            return rc
    return 0


def execute(workdir: Path, modules: list[str]) -> None:
    for module in modules:
        cfg = workdir / (module.replace("/", "_").removesuffix(".py") + ".toml")
        subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(cfg),
                        str(_session(workdir, module))],
                       cwd=ROOT, check=True)


def rerun_survivors(workdir: Path, modules: list[str]) -> None:
    """Make the survivors pending again, so ``exec`` runs them against the current tests."""
    for module in modules:
        con = sqlite3.connect(_session(workdir, module))
        with con:
            n = con.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'").rowcount
        con.close()
        print(f"{module}: {n} survivors pending again")


def _source_line(module: str, row: int) -> str:
    return (ROOT / module).read_text().splitlines()[row - 1].strip()


def report(workdir: Path, modules: list[str], as_json: bool) -> None:
    table, survivors = [], []
    for module in modules:
        rows = _rows(_session(workdir, module))
        run = [r for r in rows if r[8] != "SKIPPED"]
        done = [r for r in run if r[9] is not None]
        killed = [r for r in done if r[9] == "KILLED"]
        timeouts = [r for r in killed if r[10] == "timeout"]
        surv = [r for r in done if r[9] == "SURVIVED"]
        incompetent = [r for r in done if r[9] == "INCOMPETENT"]
        table.append(dict(module=module, total=len(rows), sampled=len(run), done=len(done),
                          killed=len(killed),
                          timeouts=len(timeouts), survived=len(surv), incompetent=len(incompetent)))
        for r in sorted(surv, key=lambda r: (r[4], r[5], r[2])):
            survivors.append(dict(module=module, line=r[4], col=r[5],
                                  operator=r[2].split("/", 1)[1],
                                  occurrence=r[3], job=r[0], source=_source_line(module, r[4])))
    if as_json:
        print(json.dumps(dict(table=table, survivors=survivors), indent=1))
        return
    print("| module | mutants | sampled | run | killed (timeouts) | survived | score |")
    print("|---|---|---|---|---|---|---|")
    tot = defaultdict(int)
    for t in table:
        for k in ("total", "sampled", "done", "killed", "timeouts", "survived"):
            tot[k] += t[k]
        score = f"{100 * t['killed'] / t['done']:.1f}%" if t["done"] else "-"
        print(f"| {t['module']} | {t['total']} | {t['sampled']} | {t['done']} "
              f"| {t['killed']} ({t['timeouts']}) "
              f"| {t['survived']} | {score} |")
    score = f"{100 * tot['killed'] / tot['done']:.1f}%" if tot["done"] else "-"
    print(f"| **all** | {tot['total']} | {tot['sampled']} | {tot['done']} "
          f"| {tot['killed']} ({tot['timeouts']}) "
          f"| {tot['survived']} | {score} |")
    print()
    for s in survivors:
        print(f"- {s['module']}:{s['line']}:{s['col']} {s['operator']} #{s['occurrence']} "
              f"`{s['source']}`")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["init", "exec", "tests", "report", "rerun-survivors"])
    ap.add_argument("modules", nargs="*",
                    help="modules (default: init all of MODULES; otherwise those with a session)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/flagcheck-mutation"),
                    help="where the cosmic-ray sessions (.toml, .sqlite) are kept")
    ap.add_argument("--every", type=int, default=4, help="run every N-th mutation site")
    ap.add_argument("--offset", type=int, default=0, help="which residue of --every to run")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_intermixed_args()
    modules = a.modules or (list(MODULES) if a.command == "init" else
                            [m for m in MODULES if _session(a.workdir, m).exists()])
    if a.command == "tests":
        return run_tests(modules[0])
    if a.command in ("exec", "rerun-survivors"):
        _imports_this_tree()
    if a.command == "init":
        init(a.workdir, modules, a.every, a.offset)
    elif a.command == "exec":
        execute(a.workdir, modules)
    elif a.command == "rerun-survivors":
        rerun_survivors(a.workdir, modules)
    else:
        report(a.workdir, modules, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
