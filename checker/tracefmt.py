"""A counterexample as rows a kernel developer reads: who stepped, in which kernel
function, what the statement was, which branch it took, and which flags changed.

Kept apart from the renderers so the terminal, Markdown and HTML reports all show the
same facts.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspec.trace import State, Trace
from tlamodel.ir import Expr, Invariant, Model, free_vars, show_value


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
                         changes(model, trace.states[i], trace.states[i + 1])))
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
