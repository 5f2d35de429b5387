"""Coverage and vacuity: what a verify run actually exercised.

A property that "holds" says nothing when the code it is about never ran: a sender that
waits forever on a condition never sends, and ``no_lost_signal`` then holds vacuously.
This module explores the reachable states of a scenario's model with pyspec's successor
functions (the explicit engine's semantics) and reports

* which actions (statements and branches) fired anywhere in the reachable state space,
  and which labelled statements were reached;
* the statements of each task's own code (the scenario's ``run:``; a procedure call
  counts as one statement) none of whose actions ever fire: "never reached";
* per invariant that holds, whether any variable it reads ever changes.

Why the model *before* tlamodel.reduce: reduction merges a task-private step into the
next visible one and keeps only the second one's source position, so a statement made of
private steps would look unreached although it ran.  The unreduced model has the same
reachable behaviour (see tlamodel/reduce.py) and is small.

Why a search of its own rather than the check's: the check normally runs on the reduced
model, whose search cannot stand in for this one.  A task that runs private statements
and then blocks at an ``await`` has no step there at all (the merged step is disabled
with the await), so those statements would look never reached; the variables the
private steps change keep one value in every reduced state, so invariants reading them
would look vacuous; and the state count the summary reports is the unreduced model's.
The check may also have run in another process (the portfolio race), or be a liveness
search over a product with a monitor, neither of which records what this needs.

The warnings are findings, not verdicts: ``flagcheck verify --strict`` turns them into a
failure (exit 1).  Coverage is computed only for scenarios whose state space the explicit
engine exhausted (the exploration then costs about as much again); a BMC-only run, or a
search cut short, says "coverage not computed" and why.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.ir import Invariant, Model, SourceLoc, free_vars
from flagcheck.tlamodel.load import BUILTIN_PROPERTIES, Design
from flagcheck.tlamodel.usage import children

DEFAULT_MAX_STATES = 200_000
DEFAULT_TIMEOUT = 30.0
#: the built-in property about assert()/range failures: its variable (the error code)
#: staying constant is exactly what it asks for, so it is never "vacuous"
ASSERTIONS = "assertions"


@dataclass(frozen=True)
class CodeUnit:
    """One statement of a task's own code (a call counts as one statement)."""
    task: str
    text: str
    loc: SourceLoc | None
    func: str | None = None      # the procedure a call statement calls
    calls: int = 1               # call sites of ``func`` in this task merged into this unit

    def describe(self) -> str:
        more = f" (and {self.calls - 1} more call site(s))" if self.calls > 1 else ""
        at = f" at {self.loc.file}:{self.loc.line}" if self.loc is not None else ""
        return f"task {self.task}: {self.text}{at}{more}"


@dataclass(frozen=True)
class Finding:
    """A vacuity warning."""
    kind: str                    # "never-reached" / "constant-reads"
    scenario: str
    message: str
    properties: tuple[str, ...]  # the properties that hold and may hold vacuously
    loc: SourceLoc | None = None
    task: str | None = None


@dataclass(frozen=True)
class Coverage:
    scenario: str
    computed: bool
    reason: str = ""                         # why not computed, or why partial
    complete: bool = False                   # the whole reachable state space was explored
    states: int = 0
    actions_total: int = 0
    actions_fired: frozenset[int] = frozenset()
    #: per task-code statement: fired at least once?
    code: tuple[tuple[CodeUnit, bool], ...] = ()
    labels: tuple[tuple[str, bool], ...] = ()
    changed_vars: frozenset[str] = frozenset()
    findings: tuple[Finding, ...] = ()
    model: Model | None = field(default=None, compare=False, repr=False)

    @property
    def never_fired(self) -> list[int]:
        return [i for i in range(self.actions_total) if i not in self.actions_fired]

    def unreached(self) -> list[str]:
        """Every place the exploration never got to, with file:line: labels never reached,
        statements none of whose actions fired, and branches never taken of statements that
        ran (the actions behind "N/M actions fired")."""
        model = self.model
        if not self.computed or model is None:
            return []
        fired = self.actions_fired
        out = []
        for name, hit in self.labels:
            if not hit:
                a = next((a for a in model.actions if a.info.label == name), None)
                where = f" ({a.task}: {_place(a.info.stack, a.info.loc)})" if a else ""
                out.append(f"label {name} never reached{where}")
        stmts: dict[tuple, list] = {}      # statement -> its actions, in model order
        for a in model.actions:
            key = (a.task, a.info.stack, a.info.loc, a.info.text)
            stmts.setdefault(key, []).append(a)
        for (task, stack, loc, text), acts in stmts.items():
            shown = text if len(text) <= 100 else text[:99].rstrip() + "…"
            if not any(a.index in fired for a in acts):
                out.append(f"never reached: {task}: {shown} ({_place(stack, loc)})")
                continue
            for a in acts:
                if a.index not in fired:
                    from flagcheck.checker.report.facts import abbrev, part
                    what = ", ".join(abbrev(d, 120) for d in part(a.info).detail) or shown
                    out.append(f"branch never taken: {task}: {what} ({_place(stack, loc)})")
        return out

    def summary(self) -> str:
        if not self.computed:
            return f"{self.scenario}: coverage not computed ({self.reason})"
        part = "" if self.complete else f" (partial: {self.reason})"
        code_hit = sum(hit for _, hit in self.code)
        labels = ""
        if self.labels:
            labels = f", {sum(h for _, h in self.labels)}/{len(self.labels)} labels reached"
        return (f"{self.scenario}: {len(self.actions_fired)}/{self.actions_total} actions fired "
                f"in {self.states} states, {code_hit}/{len(self.code)} task-code statements "
                f"reached{labels}{part}")


def _place(stack: tuple[str, ...], loc: SourceLoc | None) -> str:
    """"pause › schedule, linux-base.yaml:120"."""
    fn = " › ".join(stack) or "task code"
    return fn + (f", {loc.file.rsplit('/', 1)[-1]}:{loc.line}" if loc is not None else "")


# ------------------------------------------------------------------ exploration
@dataclass
class _Explored:
    states: int
    fired: set[int]
    values: dict[int, set]      # variable position -> values seen
    complete: bool
    reason: str


def explore(model: Model, max_states: int | None = None, timeout: float | None = None) -> _Explored:
    """Breadth-first over the reachable states; record fired actions and values seen."""
    # imported here: the reports import this module for its records (Coverage, Finding)
    # and must not load the semantics to show them
    from flagcheck.pyspec.successors import compiled, initial_states
    cm = compiled(model)
    limit = max_states or DEFAULT_MAX_STATES
    deadline = time.monotonic() + (timeout if timeout is not None else DEFAULT_TIMEOUT)
    seen: set[State] = set()
    layer: list[State] = []
    for s in initial_states(model):
        if s not in seen:
            seen.add(s)
            layer.append(s)
    fired: set[int] = set()
    reason = ""
    n = 0
    while layer and not reason:
        nxt: list[State] = []
        for s in layer:
            n += 1
            if n % 512 == 0 and time.monotonic() > deadline:
                reason = f"timeout {timeout if timeout is not None else DEFAULT_TIMEOUT}s"
                break
            for a in cm.candidates(s):
                if not a.guard(s):
                    continue
                fired.add(a.index)
                t = a.fire(s)
                if t not in seen:
                    if len(seen) >= limit:
                        reason = f"state limit {limit} reached"
                        break
                    seen.add(t)
                    nxt.append(t)
            if reason:
                break
        layer = nxt
    values: dict[int, set] = {i: set() for i in range(len(model.vars))}
    for s in seen:
        for i, v in enumerate(s):
            values[i].add(v)
    return _Explored(len(seen), fired, values, not reason, reason)


# ------------------------------------------------------------------ task code
def _units(task: str, body: tuple[A.Stmt, ...]) -> list[CodeUnit]:
    """The statements of a task's code in source order (calls are not entered)."""
    out: list[CodeUnit] = []

    def first_line(text: str) -> str:
        line = text.strip().splitlines()[0] if text.strip() else text
        line = line[:-1].rstrip() if line.endswith(";") else line
        return line if len(line) <= 80 else line[:77] + "..."

    def walk(s: A.Stmt) -> None:
        if isinstance(s, A.Jump):
            return
        if isinstance(s, A.CallStmt):
            out.append(CodeUnit(task, first_line(s.text), s.loc, s.func))
            return
        if isinstance(s, (A.If, A.While)):
            kw = "if" if isinstance(s, A.If) else "while"
            out.append(CodeUnit(task, f"{kw} ({first_line(_cond_text(s))})", s.loc))
        elif isinstance(s, A.Either):
            out.append(CodeUnit(task, "either", s.loc))
        elif isinstance(s, A.Choose):
            out.append(CodeUnit(task, first_line(s.text), s.loc))
        elif not isinstance(s, (A.Labeled, A.Block)):
            # Assign, Await, Assert, and an atomic block: one statement, not entered
            out.append(CodeUnit(task, first_line(s.text), s.loc))
            return
        for x in children(s):
            walk(x)

    for s in body:
        walk(s)
    return out


def _cond_text(s: A.If | A.While) -> str:
    text = s.text
    start = text.find("(")
    if start < 0:
        return text
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return text[start + 1:i]
    return text


def _same_place(a: SourceLoc | None, b: SourceLoc | None) -> bool:
    return a is not None and b is not None and (a.file, a.line, a.col) == (b.file, b.line, b.col)


def task_code(model: Model, run: dict[str, tuple[tuple[A.Stmt, ...], SourceLoc]],
              fired: set[int]) -> list[tuple[CodeUnit, bool]]:
    """Each task-code statement that owns at least one action, and whether one fired."""
    result: list[tuple[CodeUnit, bool]] = []
    for task in model.tasks:
        units = _units(task, run.get(task, ((), None))[0])   # type: ignore[arg-type]
        # several calls of one procedure in one task cannot be told apart by the actions
        # (they only record the call chain): merge them into the first call site
        by_func: dict[str, int] = {}
        merged: list[CodeUnit] = []
        for u in units:
            if u.func is not None and u.func in by_func:
                k = by_func[u.func]
                first = merged[k]
                merged[k] = CodeUnit(first.task, first.text, first.loc, first.func, first.calls + 1)
                continue
            if u.func is not None:
                by_func[u.func] = len(merged)
            merged.append(u)
        owned = [False] * len(merged)
        hit = [False] * len(merged)
        for a in model.actions:
            if a.task != task:
                continue
            k = _owner(merged, by_func, a.info.stack, a.info.loc)
            if k is None:
                continue
            owned[k] = True
            hit[k] = hit[k] or a.index in fired
        result += [(u, h) for u, o, h in zip(merged, owned, hit) if o]
    return result


def _owner(units: list[CodeUnit], by_func: dict[str, int], stack: tuple[str, ...],
           loc: SourceLoc | None) -> int | None:
    if stack:
        return by_func.get(stack[0])
    for k, u in enumerate(units):
        if u.func is None and _same_place(u.loc, loc):
            return k
    for k, u in enumerate(units):
        if u.func is None and u.loc is not None and loc is not None and \
                (u.loc.file, u.loc.line) == (loc.file, loc.line):
            return k
    return None


# ------------------------------------------------------------------ the analysis
def analyse(model: Model, scenario: str, run: dict[str, tuple[tuple[A.Stmt, ...], SourceLoc]],
            holding: list[str], max_states: int | None = None,
            timeout: float | None = None) -> Coverage:
    """Coverage of ``model`` (unreduced) and vacuity findings for the properties in
    ``holding`` (those whose verdict is holds or proved on this scenario)."""
    ex = explore(model, max_states, timeout)
    labels: dict[str, bool] = {}
    for a in model.actions:
        if a.info.label:
            labels[a.info.label] = labels.get(a.info.label, False) or a.index in ex.fired
    code = task_code(model, run, ex.fired)
    changed = frozenset(model.vars[i].name for i, vals in ex.values.items() if len(vals) > 1)
    findings: list[Finding] = []
    if ex.complete and holding:
        props = tuple(holding)
        for unit, hit in code:
            if not hit:
                findings.append(Finding(
                    "never-reached", scenario,
                    f"never reached: {unit.describe()} — {', '.join(props)} may hold vacuously "
                    f"on {scenario}", props, unit.loc, unit.task))
        for name in holding:
            if name in BUILTIN_PROPERTIES:    # assertions, lock_misuse: read the error variable
                continue
            try:
                prop = model.property(name)
            except KeyError:
                continue
            if not isinstance(prop, Invariant):
                continue
            # the error variable and ghost flags (event properties) are flagcheck's own
            reads = sorted(free_vars(prop.expr) - {model.error_var}
                           - {v.name for v in model.vars if v.internal})
            if reads and not any(r in changed for r in reads):
                shown = ", ".join(reads[:6]) + (f" and {len(reads) - 6} more" if len(reads) > 6 else "")
                findings.append(Finding(
                    "constant-reads", scenario,
                    f"{name} holds on {scenario}, but none of the variables it reads ever "
                    f"changes in any reachable state ({shown}): it may hold vacuously",
                    (name,), prop.loc))
    return Coverage(scenario, True, ex.reason, ex.complete, ex.states, len(model.actions),
                    frozenset(ex.fired), tuple(code), tuple(sorted(labels.items())),
                    changed, tuple(findings), model)


def not_computed(scenario: str, reason: str) -> Coverage:
    return Coverage(scenario, False, reason)


def of_run(design: Design, verdicts: list[Verdict], engine: str, max_states: int | None = None,
           timeout: float | None = None) -> list[Coverage]:
    """Coverage per scenario of a verify run.

    Each scenario is the file the verdicts were computed on (Verdict.spec): the design
    need not list it, and two files may share a scenario name."""
    out: list[Coverage] = []
    seen: list[tuple[str, int]] = []
    for v in verdicts:
        if (v.scenario, id(v.spec)) not in seen:
            seen.append((v.scenario, id(v.spec)))
    for name, spec_id in seen:
        mine = [v for v in verdicts if v.scenario == name and id(v.spec) == spec_id]
        # Only where the explicit engine exhausted the state space: the exploration below
        # then costs about as much again, and anything cut short could not support a
        # "never reached" anyway.
        if not any(v.outcome is not None and v.outcome.exhaustive and
                   v.outcome.answered_by == "explicit" for v in mine):
            out.append(not_computed(name, _why_not(mine, engine)))
            continue
        holding = [v.property for v in mine if v.status in ("holds", "proved")]
        spec = next((v.spec for v in mine if v.spec is not None), None)
        if spec is None:
            out.append(not_computed(name, "the verdicts do not say which scenario file "
                                          "was checked"))
            continue
        out.append(analyse(design.model(spec), name, spec.run, holding, max_states, timeout))
    return out


def _why_not(verdicts: list[Verdict], engine: str) -> str:
    if engine == "bmc":
        return "bmc-only run: no state space was explored; use --engine explicit or auto"
    if any(v.status == "unknown" for v in verdicts):
        return "the search was cut short"
    if all(v.status in ("violated", "skipped") for v in verdicts):
        return "no property holds on this scenario, so none can hold vacuously"
    return "the explicit engine did not explore the whole state space; use --engine explicit"


def findings(cov: list[Coverage]) -> list[Finding]:
    return [f for c in cov for f in c.findings]
