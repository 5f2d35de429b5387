"""Which definitions of a design are mutated, and the mutants made from them.

Why only what the scenarios reach: a mutant of a procedure no scenario calls survives
every scenario trivially and says nothing about them; the report would drown in such
"survivors".  Reached code is followed from each scenario's ``run:`` bodies (and the
implicit ``do_exit()``), through the procedures and defines in effect for that scenario.

Why defines that properties read are left alone: mutating ``signal_lost()`` would change
the oracle, not the design; a mutant there tells nothing about the scenarios.  Scenario
code (``run:`` and the scenario's own procedures, e.g. a ``task_work_callback()``) is the
test, not the design, and is never mutated either.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable

from flagcheck.checker.mutate.operators import (OPERATORS, Change, Families, body_mutants,
                                                expr_mutants, families)
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.load import Design
from flagcheck.tlamodel.records import DefineSpec, ProcSpec, SpecFile
from flagcheck.tlamodel.usage import _expr_calls, stmt_calls

#: the procedure every task runs when its code ends, if the design defines it
EXIT_HOOK = "do_exit"


@dataclass(frozen=True)
class Mutant:
    """One seeded bug: a definition of the design (or its library) replaced by an edited
    copy.  Picklable, so worker processes get the edit itself rather than regenerate it."""
    id: int
    operator: str
    kind: str                       # "procedure" or "define"
    name: str                       # the definition edited
    loc: SourceLoc
    description: str
    spec: ProcSpec | DefineSpec     # the edited definition

    @property
    def where(self) -> str:
        """file:line of the edited statement or expression, as the report shows it."""
        return f"{self.loc.file}:{self.loc.line}"

    def apply(self, design: Design) -> Design:
        """The design with this mutant's definition in place of the original."""
        merged = design.merged.copy()
        table = merged.procedures if self.kind == "procedure" else merged.defines
        table[self.name] = self.spec      # type: ignore[assignment]
        return dataclasses.replace(design, merged=merged)


def reached_by(design: Design, scen: SpecFile) -> set[str]:
    """Names of the design's procedures and defines (not the scenario's own) that the
    scenario's code reaches: a mutant of anything else leaves its model unchanged."""
    m = design.merged.copy()
    m.add(scen)
    names: set[str] = set()
    if EXIT_HOOK in m.procedures:
        names.add(EXIT_HOOK)
    for body, _ in scen.run.values():
        stmt_calls(body, names)
    seen = _closure(names, m.procedures, m.defines)
    return {n for n in seen if (n in m.procedures and n not in scen.procedures)
            or (n in m.defines and n not in scen.defines)}


def reached(design: Design, scenarios: Iterable[SpecFile]) -> tuple[set[str], set[str]]:
    """Procedures and defines of the design (not of a scenario) that some scenario's code
    reaches, and the defines that the checked properties read."""
    procs: set[str] = set()
    defines: set[str] = set()
    oracle: set[str] = set()
    checked = design.checked_properties()
    for scen in scenarios:
        m = design.merged.copy()
        m.add(scen)
        seen = reached_by(design, scen)
        procs |= {n for n in seen if n in m.procedures}
        defines |= {n for n in seen if n in m.defines}
        used: set[str] = set()
        for pname in list(checked) + list(scen.properties):
            prop = m.properties.get(pname)
            if prop is not None:
                _expr_calls(prop.expr, used)
                _expr_calls(prop.target, used)
        oracle |= _closure(used, {}, m.defines)
    return procs, defines - oracle


def _closure(start: set[str], procs: dict[str, ProcSpec], defines: dict[str, DefineSpec]) -> set[str]:
    seen: set[str] = set()
    work = list(start)
    while work:
        n = work.pop()
        if n in seen:
            continue
        seen.add(n)
        out: set[str] = set()
        if n in procs:
            stmt_calls(procs[n].body, out)
        elif n in defines:
            _expr_calls(defines[n].body, out)
        work.extend(out - seen)
    return seen


def design_families(design: Design) -> Families:
    """The flag and define families of the merged design (tlamodel's declarations)."""
    bools = [v.name for v in design.merged.state.values()
             if v.scope == "task" and v.type_text.strip() == "bool"]
    arity = {n: len(d.params) for n, d in design.merged.defines.items()}
    return families(bools, arity)


def check_operators(ops: Iterable[str]) -> frozenset[str]:
    """The operator names, refused (exit 2) with a suggestion when one is unknown."""
    out = frozenset(ops) or frozenset(OPERATORS)
    for op in out:
        if op not in OPERATORS:
            raise DesignError(f"unknown mutation operator '{op}'",
                              hint=did_you_mean(op, OPERATORS) or "use " + ", ".join(OPERATORS))
    return out


def make_mutants(design: Design, scenarios: list[SpecFile],
                 ops: Iterable[str] = OPERATORS) -> list[Mutant]:
    """Every mutant of the definitions the scenarios reach, in source order (file, line,
    column, operator), numbered from 1."""
    wanted = check_operators(ops)
    procs, defines = reached(design, scenarios)
    fam = design_families(design)
    raw: list[tuple[Change, str, str, ProcSpec | DefineSpec]] = []
    for name in sorted(procs):
        spec = design.merged.procedures[name]
        for body, ch in body_mutants(spec.body, fam, wanted):
            raw.append((ch, "procedure", name, dataclasses.replace(spec, body=body)))
    if "flag-family" in wanted:
        for name in sorted(defines):
            d = design.merged.defines[name]
            for expr, ch in expr_mutants(d.body, fam):
                raw.append((ch, "define", name, dataclasses.replace(d, body=expr)))
    raw.sort(key=lambda r: (r[0].loc.file, r[0].loc.line, r[0].loc.col, r[0].operator,
                            r[0].description))
    return [Mutant(i + 1, ch.operator, kind, name, ch.loc, f"{name}: {ch.description}", spec)
            for i, (ch, kind, name, spec) in enumerate(raw)]
