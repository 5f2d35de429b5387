"""``flagcheck test`` and ``flagcheck compare``: many designs at once.

``test`` is the regression runner: a design states the verdict it expects for every
scenario × property (like the ``Result:`` line of a kernel litmus test), so a repository
can keep known-bad designs and still gate on them.  ``compare`` lays the verdicts of several
designs side by side: one cell per design × scenario, folding the properties the scenario
checks into one word (the README's table is its markdown output).

Only the logic lives here; checker/report/compare.py renders a :class:`DesignTable`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from flagcheck.checker.sweep import SERIAL, Job, Pool, verify_designs
from flagcheck.checker.verify import Options, verify
from flagcheck.checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, Verdict, fold_exit
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.resolve import Resolver


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
                on_model: Callable[[Any], None] | None = None,
                pool: Pool = SERIAL, params: dict[str, int] | None = None) -> list[DesignRun]:
    """Check every design under ``paths`` against all its scenarios.  Every file is loaded
    before any search starts, so a bad file fails the run at once (exit 2) rather than
    after minutes of checking the others.  A parallel ``pool`` (checker/sweep.py) runs the
    design × scenario jobs there; the verdicts come back in the serial order.  ``params``:
    the --param values (each must be declared by some file of the run)."""
    files = find_designs(paths)
    designs = [(f, load_design(f, allow_paths=allow, params=params)) for f in files]
    if params:
        designs[0][1].check_params(d for _, d in designs)
    if pool.parallel:
        def done(job: Job, i: int, n: int) -> None:
            if on_design is not None:
                on_design(job.path, i, n)
        per = verify_designs(designs, opts, pool, allow, done)
        return [DesignRun(f, d, vs) for (f, d), vs in zip(designs, per)]
    runs = []
    for i, (f, d) in enumerate(designs):
        if on_design is not None:
            on_design(f, i + 1, len(designs))
        runs.append(DesignRun(f, d, verify(d, (), (), opts, on_model=on_model)))
    return runs


def run_tests(paths: tuple[Path, ...], opts: Options) -> list[Check]:
    return [c for r in run_designs(paths, opts) for c in r.checks]


def tests_exit_code(checks: list[Check]) -> int:
    """``flagcheck test``'s exit code: a failed expectation counts as a violation (1),
    an undecided one as unknown (3)."""
    return fold_exit(EXIT_VIOLATED if c.failed else EXIT_UNKNOWN if c.result == "UNKNOWN"
                     else EXIT_OK for c in checks)


def verdict_cell(v: Verdict) -> str:
    """A short verdict for one property in a table cell ("violated@16", "holds≤40"):
    compare's per-property JSON cells and gate's table both use it."""
    o = v.outcome
    if o is None:
        return "—"
    if o.status == "violated":
        return f"violated@{o.depth}"
    if o.status == "holds":
        return "proved" if o.exhaustive else f"holds≤{o.depth}"
    return "unknown"


#: How a violated property is named in a comparison cell: a reader of the table wants
#: "lost signal", not the property's identifier.  Properties not listed keep their name.
PROPERTY_WORDS = {"no_lost_signal": "lost signal", "no_deadlock": "deadlock",
                  "assertions": "assertion"}


def property_words(name: str) -> str:
    """The words for a property in a per-scenario cell (``no_deadlock`` → ``deadlock``)."""
    return PROPERTY_WORDS.get(name, name)


@dataclass(frozen=True)
class ScenarioCell:
    """One design × scenario: every property the scenario checks, folded into one word.

    ``status`` is the worst verdict among the checked properties (violated, then unknown,
    then holds, then proved; ``skipped`` when the scenario checks none, ``""`` when the
    design does not list the scenario) so renderers can style the cell without parsing it.
    """
    text: str
    status: str


def scenario_cell(verdicts: list[Verdict]) -> ScenarioCell:
    """Fold one design × scenario's per-property verdicts into the cell the README shows.

    Skipped properties do not count: "proved" means every property the scenario *checks*
    holds in every reachable state.  Violations name each violated property and its
    counterexample length, so two violations in one scenario are both visible.
    """
    checked = [v for v in verdicts if v.outcome is not None]
    if not checked:
        return ScenarioCell("—", "skipped") if verdicts else ScenarioCell("", "")
    violated = [v for v in checked if v.status == "violated"]
    if violated:
        return ScenarioCell(", ".join(f"{property_words(v.property)}@{v.outcome.depth}"
                                      for v in violated if v.outcome is not None), "violated")
    if any(v.status == "unknown" for v in checked):
        return ScenarioCell("unknown", "unknown")
    bounded = [v.outcome.depth for v in checked if v.status == "holds" and v.outcome is not None]
    if bounded:
        return ScenarioCell(f"holds@{min(bounded)}", "holds")
    return ScenarioCell("proved", "proved")


@dataclass(frozen=True)
class DesignTable:
    """``flagcheck compare``'s result: every design's verdicts, keyed for a table with a
    row per design and a column per scenario (or scenario × property)."""
    designs: list[str]
    columns: list[tuple[str, str]]                       # (scenario, property)
    cells: dict[tuple[str, str, str], Verdict]           # (design, scenario, property)
    summaries: dict[str, str] = field(default_factory=dict)     # design → its summary:
    scenarios: list[str] = field(default_factory=list)          # in the order designs list them
    controls: frozenset[str] = frozenset()                      # scenarios with control: true

    def get(self, design: str, col: tuple[str, str]) -> str:
        v = self.cells.get((design, *col))
        return verdict_cell(v) if v is not None else ""

    def scenario_cell(self, design: str, scenario: str) -> ScenarioCell:
        """The README cell of one design × scenario (see :func:`scenario_cell`)."""
        return scenario_cell([v for (d, s, _), v in self.cells.items()
                              if d == design and s == scenario])

    def scenario_label(self, scenario: str) -> str:
        """A scenario's column heading; a control scenario says so, because every design
        is meant to violate it and a reader should not take those cells for bugs."""
        return f"{scenario} (control)" if scenario in self.controls else scenario

    @property
    def any_violated(self) -> bool:
        return any(v.status == "violated" for v in self.cells.values())


def compare_designs(paths: tuple[Path, ...], opts: Options, pool: Pool = SERIAL,
                    params: dict[str, int] | None = None) -> DesignTable:
    """Check every design under ``paths`` on all its scenarios, for one table (the
    design × scenario jobs on ``pool``, checker/sweep.py); ``params``: --param values."""
    designs: list[str] = []
    columns: list[tuple[str, str]] = []
    cells: dict[tuple[str, str, str], Verdict] = {}
    summaries: dict[str, str] = {}
    scenarios: list[str] = []
    controls: set[str] = set()
    loaded = [(f, load_design(f, params=params)) for f in find_designs(paths)]
    if params:
        loaded[0][1].check_params(d for _, d in loaded)
    per = (verify_designs(loaded, opts, pool) if pool.parallel
           else [verify(d, (), (), opts) for _, d in loaded])
    for (f, d), verdicts in zip(loaded, per):
        designs.append(d.name)
        summaries[d.name] = d.spec.summary
        for s in d.scenarios:
            if s.name not in scenarios:
                scenarios.append(s.name)
            if s.control:
                controls.add(s.name)
        for v in verdicts:
            if (v.scenario, v.property) not in columns:
                columns.append((v.scenario, v.property))
            cells[(d.name, v.scenario, v.property)] = v
    return DesignTable(designs, columns, cells, summaries, scenarios, frozenset(controls))



# ------------------------------------------------------------------ --param sweeps
def labelled(verdicts: list[Verdict], label: str) -> list[Verdict]:
    """``verdicts`` with the design named ``design [N=3]``: the row label of one run of
    a parameter sweep, so every table and report tells the runs apart."""
    return [replace(v, design=f"{v.design} [{label}]") for v in verdicts]


def merged_tables(tables: list[tuple[str, DesignTable]]) -> DesignTable:
    """One compare table from a sweep's runs: a row per design per parameter value (the
    row named ``design [N=3]``), the scenarios' columns in first-seen order."""
    designs: list[str] = []
    columns: list[tuple[str, str]] = []
    cells: dict[tuple[str, str, str], Verdict] = {}
    summaries: dict[str, str] = {}
    scenarios: list[str] = []
    controls: set[str] = set()
    for label, t in tables:
        names = {d: f"{d} [{label}]" for d in t.designs}
        designs += names.values()
        summaries.update({names[d]: s for d, s in t.summaries.items() if d in names})
        columns += [c for c in t.columns if c not in columns]
        scenarios += [s for s in t.scenarios if s not in scenarios]
        controls |= t.controls
        for (d, s, p), v in t.cells.items():
            cells[(names[d], s, p)] = replace(v, design=names[d])
    return DesignTable(designs, columns, cells, summaries, scenarios, frozenset(controls))
