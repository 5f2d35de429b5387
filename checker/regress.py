"""``flagcheck test`` and ``flagcheck compare``: many designs at once.

``test`` is the regression runner: a design states the verdict it expects for every
scenario × property (like the ``Result:`` line of a kernel litmus test), so a repository
can keep known-bad designs and still gate on them.  ``compare`` lays the verdicts of several
designs side by side (designs as rows, scenario × property as columns).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from checker.run import Options, verify
from checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, Verdict
from tlamodel.errors import DesignError
from tlamodel.load import load_design
from tlamodel.resolve import Resolver


def find_designs(paths: tuple[Path, ...]) -> list[Path]:
    """Design files among ``paths``; folders are searched for ``*.yaml`` design files."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*.yaml")):
                if _kind(f) == "design":
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise DesignError(f"no such file or folder: {p}")
    if not out:
        raise DesignError("no design files found in " + ", ".join(map(str, paths)),
                          hint="a design file has a 'design:' key")
    return out


def _kind(f: Path) -> str:
    return Resolver(f).read(f, str(f)).kind


@dataclass(frozen=True)
class Check:
    """One expectation judged."""
    verdict: Verdict
    result: str        # ok / MISMATCH / NO EXPECTATION / UNKNOWN / skipped

    @property
    def failed(self) -> bool:
        return self.result in ("MISMATCH", "NO EXPECTATION")


def judge(v: Verdict) -> Check:
    if v.status == "skipped":
        return Check(v, "skipped")
    if v.expected is None:
        return Check(v, "NO EXPECTATION")
    met = v.expectation_met()
    if met is None:
        return Check(v, "UNKNOWN")
    return Check(v, "ok" if met else "MISMATCH")


@dataclass
class DesignRun:
    """One design file checked by ``flagcheck test``: the design (for its Report) and its
    judged verdicts."""
    path: Path
    design: Any
    verdicts: list[Verdict]

    @property
    def checks(self) -> list[Check]:
        return [judge(v) for v in self.verdicts]


def run_designs(paths: tuple[Path, ...], opts: Options, allow: tuple[Path, ...] = (),
                on_design: Callable[[Path, int, int], None] | None = None,
                on_model: Callable[[Any], None] | None = None) -> list[DesignRun]:
    """Check every design under ``paths`` against all its scenarios.  Every file is loaded
    before any search starts, so a bad file fails the run at once (exit 2) rather than
    after minutes of checking the others."""
    files = find_designs(paths)
    designs = [(f, load_design(f, allow_paths=allow)) for f in files]
    runs = []
    for i, (f, d) in enumerate(designs):
        if on_design is not None:
            on_design(f, i + 1, len(designs))
        runs.append(DesignRun(f, d, verify(d, (), (), opts, on_model=on_model)))
    return runs


def run_tests(paths: tuple[Path, ...], opts: Options) -> list[Check]:
    return [c for r in run_designs(paths, opts) for c in r.checks]


def tests_exit_code(checks: list[Check]) -> int:
    if any(c.failed for c in checks):
        return EXIT_VIOLATED
    if any(c.result == "UNKNOWN" for c in checks):
        return EXIT_UNKNOWN
    return EXIT_OK


def expected_word(v: Verdict) -> str:
    e = v.expected
    if e is None:
        return "—"
    return e.verdict + (f"@{e.depth}" if e.depth is not None else "")


def cell(v: Verdict) -> str:
    """A short verdict for a comparison table cell."""
    o = v.outcome
    if o is None:
        return "—"
    if o.status == "violated":
        return f"violated@{o.depth}"
    if o.status == "holds":
        return "proved" if o.exhaustive else f"holds≤{o.depth}"
    return "unknown"


@dataclass(frozen=True)
class Comparison:
    designs: list[str]
    columns: list[tuple[str, str]]                       # (scenario, property)
    cells: dict[tuple[str, str, str], Verdict]           # (design, scenario, property)

    def get(self, design: str, col: tuple[str, str]) -> str:
        v = self.cells.get((design, *col))
        return cell(v) if v is not None else ""

    @property
    def any_violated(self) -> bool:
        return any(v.status == "violated" for v in self.cells.values())


def compare(paths: tuple[Path, ...], opts: Options) -> Comparison:
    designs: list[str] = []
    columns: list[tuple[str, str]] = []
    cells: dict[tuple[str, str, str], Verdict] = {}
    for f in find_designs(paths):
        d = load_design(f)
        designs.append(d.name)
        for v in verify(d, (), (), opts):
            if (v.scenario, v.property) not in columns:
                columns.append((v.scenario, v.property))
            cells[(d.name, v.scenario, v.property)] = v
    return Comparison(designs, columns, cells)


def markdown(c: Comparison) -> str:
    head = "| design | " + " | ".join(f"{s}<br>{p}" for s, p in c.columns) + " |"
    sep = "|---" * (len(c.columns) + 1) + "|"
    rows = []
    for d in c.designs:
        cells = []
        for col in c.columns:
            txt = c.get(d, col)
            cells.append(f"**{txt}**" if txt.startswith("violated") else txt)
        rows.append(f"| {d} | " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *rows]) + "\n"
