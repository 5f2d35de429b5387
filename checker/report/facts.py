"""A counterexample as rows a kernel developer reads: who stepped, in which kernel
function, what the statement was, which branch it took, and which flags changed.

Kept apart from the renderers so the terminal, Markdown and HTML reports all show the
same facts.  Nothing here runs the model: what the last state says about the tasks (who
can step, where a blocked task waits) was found by the replay and is read off the
verdict (``Verdict.end``), the rest is read off the trace's states.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.endofrun import EndOfRun
from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import (Action, Expr, Invariant, Model, SourceLoc, StepInfo, free_vars, pc_value,
                                   show_value)


@dataclass(frozen=True)
class Change:
    var: str          # e.g. T.TIF_SIGPENDING
    owner: str | None
    old: str
    new: str


@dataclass(frozen=True)
class Part:
    """One statement a step runs.  A step merged by tlamodel.reduce runs several, each
    with its own label, kernel function and source line; any other step runs one."""
    text: str                         # the whole statement, never abbreviated
    label: str | None
    function: str                     # "pause › schedule", or "(task code)"
    stack: tuple[str, ...]
    loc: SourceLoc | None
    #: the branch this statement itself took ("true" for an if whose condition held)
    branch: str | None
    #: every branch decision, each naming its statement ("if (wants_signal(p, sig)) -> false")
    detail: tuple[str, ...]

    def head(self, text: str | None = None) -> str:
        """"label: statement -> branch" (``text`` replaces the statement, e.g. abbreviated)."""
        return ((f"{self.label}: " if self.label else "") + (self.text if text is None else text)
                + (f" -> {self.branch}" if self.branch else ""))

    def notes(self) -> tuple[str, ...]:
        """The branch decisions taken inside the statement (its own is in ``head``)."""
        own = f"{self.text} -> {self.branch}" if self.branch else None
        return tuple(d for d in self.detail if d != own)


@dataclass(frozen=True)
class Step:
    number: int
    task: str
    function: str     # "pause › schedule"
    text: str         # the whole statement (of a merged step: its parts joined by " ; ")
    label: str | None
    detail: tuple[str, ...]           # every part's branch decisions, each naming its statement
    changes: tuple[Change, ...]
    action: int = -1                  # index into Model.actions
    loc: SourceLoc | None = None      # where the statement is written
    stack: tuple[str, ...] = ()       # the inlined kernel functions, outermost first
    parts: tuple[Part, ...] = ()      # the statements it runs, in order (one unless merged)


@dataclass(frozen=True)
class TaskEnd:
    task: str
    where: str        # the statement it is at, or "finished"
    function: str
    blocked: bool     # not finished and cannot step
    loc: SourceLoc | None = None
    label: str | None = None


def changes(model: Model, pre: State, post: State) -> tuple[Change, ...]:
    out = []
    for i, v in enumerate(model.vars):
        if pre[i] != post[i] and not v.internal:
            out.append(Change(v.name, v.owner, show_value(v.type, pre[i]), show_value(v.type, post[i])))
    return tuple(out)


def function_of(stack: tuple[str, ...]) -> str:
    return " › ".join(stack) or "(task code)"


def part(info: StepInfo) -> Part:
    """The statement of ``info`` with each branch decision naming its statement.

    The front end records an if's or while's own outcome as a bare "-> true" (the statement
    is next to it in the unmerged step); inside a merged step that would no longer say which
    statement it is about, so it is spelled out here."""
    branch = None
    detail = []
    for d in info.detail:
        if " -> " in d and not d.startswith("->"):     # already "statement -> outcome"
            detail.append(d)
            continue
        word = d[2:].strip() if d.startswith("->") else d    # "-> true", "branch 2", "p = T"
        branch = branch or word
        detail.append(f"{info.text} -> {word}")
    return Part(info.text, info.label, function_of(info.stack), info.stack, info.loc, branch,
                tuple(detail))


def parts_of(a: Action) -> tuple[Part, ...]:
    return tuple(part(p.info) for p in a.parts) if a.parts else (part(a.info),)


def steps(model: Model, trace: Trace) -> list[Step]:
    rows = []
    for i, a_idx in enumerate(trace.actions):
        a = model.actions[a_idx]
        ps = parts_of(a)
        rows.append(Step(i + 1, a.task, function_of(a.info.stack), a.info.text,
                         a.info.label, tuple(d for p in ps for d in p.detail),
                         changes(model, trace.states[i], trace.states[i + 1]),
                         a_idx, a.info.loc, a.info.stack, ps))
    return rows


def label_at(model: Model, task: str, pc_var: str, pc: object) -> str | None:
    """The label of the statement at program counter value ``pc`` of ``task``, if any."""
    for a in model.actions:
        first = a.parts[0] if a.parts else a
        if a.task == task and first.info.label and pc_value(first.guard, pc_var) == pc:
            return first.info.label
    return None


def task_ends(model: Model, state: State, end: EndOfRun) -> list[TaskEnd]:
    """Where each task is in ``state``, the last state of a run whose replay found ``end``."""
    idx = model.var_index()
    ends = []
    for task, pc_var, infos in model.pcs:
        info = infos[int(state[idx[pc_var]])]
        blocked = task in end.blocked
        real = end.blocked.get(task)
        if real is not None:
            ends.append(TaskEnd(task, real.text, " › ".join(real.stack), True, real.loc, real.label))
        else:
            label = label_at(model, task, pc_var, state[idx[pc_var]])
            ends.append(TaskEnd(task, info.text, " › ".join(info.stack), blocked, info.loc, label))
    return ends


def final_values(model: Model, state: State, expr: Expr | None) -> dict[str, list[str]]:
    """Per owner, the values the property reads in the last state (what makes it false)."""
    idx = model.var_index()
    names = free_vars(expr) if expr is not None else frozenset(v.name for v in model.vars)
    out: dict[str, list[str]] = {}
    for v in model.vars:
        if v.name in names and not v.internal:
            out.setdefault(v.owner or "global", []).append(
                f"{v.field or v.name}={show_value(v.type, state[idx[v.name]])}")
    return out


def error_message(model: Model, state: State) -> str | None:
    if model.error_var is None:
        return None
    idx = model.var_index()
    ev = next(v for v in model.vars if v.name == model.error_var)
    val = int(state[idx[ev.name]])
    return None if val == 0 else show_value(ev.type, val)


def invariant_expr(model: Model, prop: str) -> Expr | None:
    p = model.property(prop)
    return p.expr if isinstance(p, Invariant) else None


# ---------------------------------------------------------------- shared by the renderers
@dataclass(frozen=True)
class Ending:
    """What the last state of a counterexample says."""
    tasks: tuple[TaskEnd, ...]
    error: str | None                   # run-time error message, if the run stopped on one
    values: dict[str, list[str]]        # per owner, what the invariant reads ({} for deadlock)


def ending(v: Verdict) -> Ending:
    """The end of ``v``'s counterexample: the replay's facts (``v.end``) in words."""
    model, o = v.model, v.outcome
    assert model is not None and o is not None and o.trace is not None
    if v.end is None:
        raise ValueError(f"{v.property} on {v.scenario}: the counterexample was not replayed "
                         "(Verdict.end is missing); only replayed traces are shown")
    last = o.trace.states[-1]
    expr = invariant_expr(model, v.property)
    values = final_values(model, last, expr) if expr is not None else {}
    return Ending(tuple(task_ends(model, last, v.end)), error_message(model, last), values)


def abbrev(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters for display ("…" marks the cut).  Only the reports
    a person reads abbreviate; traces keep the whole statement."""
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def where(end: TaskEnd, width: int | None = None) -> str:
    """"finished" or "in pause › schedule: sleep: <statement> (file:line) (cannot step)"."""
    if end.where == "finished":
        return "finished"
    fn = f"{end.function}: " if end.function else ""
    text = end.where if width is None else abbrev(end.where, width)
    label = f"{end.label}: " if end.label else ""
    at = f" ({end.loc.file.rsplit('/', 1)[-1]}:{end.loc.line})" if end.loc is not None else ""
    return f"in {fn}{label}{text}{at}" + (" (cannot step)" if end.blocked else "")


def change_text(c: Change) -> str:
    return f"{c.var}: {c.old} → {c.new}"


def verdict_sentence(v: Verdict) -> str:
    return f"{v.property} {v.word()} on {v.scenario} ({v.design})"


def summary(model: Model, v: Verdict, design_file: str | None = None) -> str:
    """A few sentences: what was violated, by whom, which design-file steps, how it ends."""
    assert v.outcome is not None and v.outcome.trace is not None
    trace = v.outcome.trace
    rows = steps(model, trace)
    tasks = [t for t in model.tasks if any(s.task == t for s in rows)]
    out = [f"{verdict_sentence(v)}: a run of {trace.length} steps by {', '.join(tasks) or 'no task'}"
           " (replayed)."]
    if design_file is not None:
        own = [s for s in rows if s.loc is not None and same_file(s.loc.file, design_file)]
        if own:
            groups: list[tuple[int, int, str]] = []     # consecutive steps in one function
            for s in own:
                what = f"{s.task}: {s.stack[-1] if s.stack else 'task code'}"
                if groups and groups[-1][1] == s.number - 1 and groups[-1][2] == what:
                    groups[-1] = (groups[-1][0], s.number, what)
                else:
                    groups.append((s.number, s.number, what))
            out.append("Steps in the design itself: " + "; ".join(
                (f"{a}" if a == b else f"{a}-{b}") + f" ({what})" for a, b, what in groups) + ".")
    end = ending(v)
    if end.error:
        out.append(f"Run-time error: {end.error}.")
    out.append("At the end: " + "; ".join(f"{e.task} {where(e)}" for e in end.tasks) + ".")
    return " ".join(out)


def same_file(a: str, b: str) -> bool:
    return a == b or Path(a).resolve() == Path(b).resolve()


def plain_lines(model: Model, trace: Trace) -> list[str]:
    """The trace as plain text, one block per step (for JUnit bodies and logs)."""
    lines = []
    width = len(str(trace.length))
    for s in steps(model, trace):
        head = f"{s.number:>{width}} | {s.task}: {s.function}"
        lines.append(head)
        pad = " " * width + " |     "
        for k, p in enumerate(s.parts):
            if len(s.parts) > 1:
                lines.append(pad + f"[{k + 1}/{len(s.parts)}] {p.function}")
            lines.append(pad + p.head())
            lines += [pad + "  " + d for d in p.notes()]
        lines += [pad + "changed " + change_text(c) for c in s.changes]
    return lines


def ending_lines(v: Verdict) -> list[str]:
    """How ``v``'s counterexample ends, as plain lines (JUnit bodies, the HTML drawing's
    last box)."""
    end = ending(v)
    out = []
    if end.error:
        out.append(f"run-time error: {end.error}")
    out.append("At the end:")
    out += [f"  {e.task}: {where(e)}" for e in end.tasks]
    if end.values:
        out.append("Values the property reads:")
        out += [f"  {owner}: " + ", ".join(vals) for owner, vals in end.values.items()]
    return out
