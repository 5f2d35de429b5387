"""A counterexample as rows a kernel developer reads: who stepped, in which kernel
function, what the statement was, which branch it took, and which flags changed.

Kept apart from the renderers so the terminal, Markdown and HTML reports all show the
same facts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker.verdict import Verdict
from pyspec.successors import enabled
from pyspec.trace import State, Trace
from tlamodel.ir import Expr, Invariant, Model, SourceLoc, free_vars, show_value


@dataclass(frozen=True)
class Change:
    var: str          # e.g. T.TIF_SIGPENDING
    owner: str | None
    old: str
    new: str


@dataclass(frozen=True)
class Step:
    number: int
    task: str
    function: str     # "pause › schedule"
    text: str
    label: str | None
    detail: tuple[str, ...]
    changes: tuple[Change, ...]
    action: int = -1                  # index into Model.actions
    loc: SourceLoc | None = None      # where the statement is written
    stack: tuple[str, ...] = ()       # the inlined kernel functions, outermost first


@dataclass(frozen=True)
class TaskEnd:
    task: str
    where: str        # the statement it is at, or "finished"
    function: str
    blocked: bool     # not finished and cannot step


def changes(model: Model, pre: State, post: State) -> tuple[Change, ...]:
    out = []
    for i, v in enumerate(model.vars):
        if pre[i] != post[i] and not v.internal:
            out.append(Change(v.name, v.owner, show_value(v.type, pre[i]), show_value(v.type, post[i])))
    return tuple(out)


def steps(model: Model, trace: Trace) -> list[Step]:
    rows = []
    for i, a_idx in enumerate(trace.actions):
        a = model.actions[a_idx]
        rows.append(Step(i + 1, a.task, " › ".join(a.info.stack) or "(task code)", a.info.text,
                         a.info.label, a.info.detail,
                         changes(model, trace.states[i], trace.states[i + 1]),
                         a_idx, a.info.loc, a.info.stack))
    return rows


def task_ends(model: Model, state: State, enabled: list[int]) -> list[TaskEnd]:
    idx = model.var_index()
    ends = []
    movers = {model.actions[i].task for i in enabled}
    for task, pc_var, infos in model.pcs:
        info = infos[int(state[idx[pc_var]])]
        finished = info.text == "finished"
        ends.append(TaskEnd(task, info.text, " › ".join(info.stack), not finished and task not in movers))
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


def ending(model: Model, trace: Trace, prop: str) -> Ending:
    last = trace.states[-1]
    expr = invariant_expr(model, prop)
    values = final_values(model, last, expr) if expr is not None else {}
    return Ending(tuple(task_ends(model, last, enabled(model, last))),
                  error_message(model, last), values)


def where(end: TaskEnd) -> str:
    """"finished" or "in pause › schedule: <statement> (cannot step)"."""
    if end.where == "finished":
        return "finished"
    fn = f"{end.function}: " if end.function else ""
    return f"in {fn}{end.where}" + (" (cannot step)" if end.blocked else "")


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
    end = ending(model, trace, v.property)
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
        lines.append(pad + (f"{s.label}: " if s.label else "") + s.text)
        lines += [pad + d for d in s.detail]
        lines += [pad + "changed " + change_text(c) for c in s.changes]
    return lines


def ending_lines(model: Model, trace: Trace, prop: str) -> list[str]:
    end = ending(model, trace, prop)
    out = []
    if end.error:
        out.append(f"run-time error: {end.error}")
    out.append("At the end:")
    out += [f"  {e.task}: {where(e)}" for e in end.tasks]
    if end.values:
        out.append("Values the property reads:")
        out += [f"  {owner}: " + ", ".join(vals) for owner, vals in end.values.items()]
    return out
