"""Replay: re-execute a counterexample with the reference semantics before anyone sees it.

Why: every engine (including the Z3 ones) produces a ``Trace``; replaying it through
``pyspec.successors`` turns an encoding bug into a loud error naming the step, the
statement and the variable, instead of a bogus counterexample in a report.

Numbering: "state i" is ``trace.states[i]``; "step i" (1-based) is the action
``trace.actions[i-1]`` that leads from state i-1 to state i.

A counterexample that replays comes back with its ``EndOfRun``: who can still step in
the last state, who finished, and where each blocked task is really waiting.  The
replay has to work these out anyway (a deadlock is a state where nothing is enabled),
and the reports show them, so they read this record instead of running the model again.
"""
from __future__ import annotations

from flagcheck.pyspec.endofrun import EndOfRun
from flagcheck.pyspec.evaluate import evaluate
from flagcheck.pyspec.liveness import unfair_tasks, violated_instance
from flagcheck.pyspec.successors import compiled, enabled, is_deadlock
from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import (Action, DeadlockFree, Invariant, Liveness, Model, StepInfo, pc_value,
                                   show_expr, show_value)


class ReplayError(Exception):
    """A trace that is not a run of the model, or does not violate what it claims to.

    ``step`` is the 1-based step (0 for the initial state), ``variable`` the first
    mismatching variable if any, ``expected`` (the model's value) and ``actual`` (the
    trace's value) rendered with ``show_value``."""

    def __init__(self, message: str, step: int | None = None, variable: str | None = None,
                 expected: str | None = None, actual: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.variable = variable
        self.expected = expected
        self.actual = actual


def replay(model: Model, trace: Trace) -> None:
    """Raise ReplayError unless ``trace`` is a run of ``model`` from an initial state."""
    cm = compiled(model)
    for i, s in enumerate(trace.states):
        if len(s) != cm.nvars:
            raise ReplayError(f"state {i} has {len(s)} values but model {model.name} has "
                              f"{cm.nvars} variables", step=i)
    _check_initial(model, trace.states[0])
    nacts = len(model.actions)
    for step, a in enumerate(trace.actions, start=1):
        pre, post = trace.states[step - 1], trace.states[step]
        if not (isinstance(a, int) and 0 <= a < nacts):
            raise ReplayError(f"step {step}: action index {a!r} out of range "
                              f"(model {model.name} has {nacts} actions)", step=step)
        act = model.actions[a]
        if not cm.actions[a].guard(pre):
            raise ReplayError(f"step {step} ({_describe(act)}): action is not enabled, guard "
                              f"{show_expr(act.guard)} is false in state {step - 1}", step=step)
        _compare(model, step, act, cm.actions[a].fire(pre), post)
    if trace.loop_start is not None:
        ls = trace.loop_start
        if not 0 <= ls < len(trace.states):
            raise ReplayError(f"loop_start {ls} is not a state of the trace "
                              f"(states 0..{len(trace.states) - 1})")
        if trace.states[-1] != trace.states[ls]:
            diffs = _diffs(model, trace.states[ls], trace.states[-1])
            name, exp, act_v = diffs[0]
            raise ReplayError(f"lasso does not close: last state {len(trace.states) - 1} "
                              f"differs from loop_start state {ls}: {_render(diffs)}",
                              step=trace.length, variable=name, expected=exp, actual=act_v)


def check_violation(model: Model, trace: Trace, property_name: str) -> EndOfRun:
    """Replay ``trace`` and confirm ``property_name`` is violated in its last state (for a
    liveness property: on the fair lasso the trace describes, see ``check_lasso``); the
    facts about the last state come back for the reports."""
    replay(model, trace)
    prop = model.property(property_name)
    if isinstance(prop, Liveness):
        return check_lasso(model, trace, prop)
    last = trace.states[-1]
    where = f"last state {len(trace.states) - 1}"
    on = enabled(model, last)
    if isinstance(prop, Invariant):
        if evaluate(prop.expr, last, compiled(model).index):
            raise ReplayError(f"invariant {prop.name} ({show_expr(prop.expr)}) holds in "
                              f"{where}; the trace is not a counterexample", step=trace.length)
    elif isinstance(prop, DeadlockFree):
        if not is_deadlock(model, last):
            why = (f"enabled: {', '.join(_describe(model.actions[i]) for i in on)}" if on
                   else "Model.terminal is true there")
            raise ReplayError(f"{prop.name}: {where} is not a deadlock ({why})",
                              step=trace.length)
    else:
        raise ReplayError(f"property {property_name}: unsupported kind {type(prop).__name__}")
    return end_of_run(model, last, on)


def check_lasso(model: Model, trace: Trace, prop: Liveness) -> EndOfRun:
    """An already replayed ``trace`` is a fair lasso violating ``prop``.

    Representation (pyspec.liveness): ``loop_start < n`` loops over ``states[loop_start..n-1]``
    (``states[n] == states[loop_start]``, checked by ``replay``); ``loop_start == n`` stutters
    forever in ``states[n]``, which must then be a dead state.  Fair: every task that owns an
    action steps in the loop or is disabled in one of its states.  Violated: the obligation's
    pending bit is true throughout the loop (exact semantics, ``violated_instance``).
    Returns the facts about the last state, with the violated obligation."""
    n, ls = trace.length, trace.loop_start
    if ls is None:
        raise ReplayError(f"{prop.name}: a liveness counterexample must be a lasso "
                          "(the trace has no loop_start)", step=n)
    on = enabled(model, trace.states[n])
    if ls == n:
        if on:
            raise ReplayError(
                f"{prop.name}: the trace ends by stuttering in state {n}, but that state is not "
                f"dead, so the run does not stop there (enabled: "
                f"{', '.join(_describe(model.actions[i]) for i in on)})", step=n)
    unfair = unfair_tasks(model, trace)
    if unfair:
        where = f"states {ls}..{n}" if ls < n else f"state {n}"
        raise ReplayError(f"{prop.name}: the loop ({where}) is not fair: task"
                          f"{'s' if len(unfair) > 1 else ''} {', '.join(unfair)} "
                          "never step in the loop although enabled in every state of it",
                          step=n)
    instance = violated_instance(model, prop, trace)
    if instance is None:
        what = {"leads_to": "for every obligation, the target holds in a state of the loop, or "
                            "the trigger holds nowhere after the last target",
                "eventually": "the condition holds somewhere on the lasso",
                "always_eventually": "the condition holds in some state of the loop"}
        raise ReplayError(f"{prop.name} ({prop.kind}) is not violated on this lasso: "
                          f"{what.get(prop.kind, 'no obligation is violated')}", step=n)
    return end_of_run(model, trace.states[n], on, instance)


def end_of_run(model: Model, state: State, on: list[int] | None = None,
               instance: int | None = None) -> EndOfRun:
    """Who can step in ``state`` (the last state of a run), who finished, and where each
    blocked task is waiting; ``on`` is ``enabled(model, state)`` when already known."""
    if on is None:
        on = enabled(model, state)
    idx = model.var_index()
    movers = frozenset(model.actions[i].task for i in on)
    finished: set[str] = set()
    blocked: dict[str, StepInfo | None] = {}
    for task, pc_var, infos in model.pcs:
        pc = int(state[idx[pc_var]])
        # hand-built models may carry no step info for their pcs: no name, not "finished"
        if pc < len(infos) and infos[pc].text == "finished":
            finished.add(task)
        elif task not in movers:
            blocked[task] = blocked_at(model, task, pc_var, state)
    return EndOfRun(tuple(on), movers, frozenset(finished), blocked, instance)


def blocked_at(model: Model, task: str, pc_var: str, state: State) -> StepInfo | None:
    """The statement ``task`` (which cannot step in ``state``) is really waiting at.

    After reduction the task's pc may sit at a private statement (an ``if``) merged into the
    ``await`` after it: the merged step is disabled because the await is.  Running each
    merged step's parts from ``state`` finds the first part whose guard is false along the
    path the task would take; None when the statement at the pc itself is the one."""
    idx = model.var_index()
    pc = state[idx[pc_var]]
    best: tuple[int, StepInfo] | None = None
    for a in model.actions:
        if a.task != task or not a.parts or pc_value(a.guard, pc_var) != pc:
            continue
        s = state
        for k, p in enumerate(a.parts):
            if not evaluate(p.guard, s, idx):
                if k > 0 and (best is None or k > best[0]):
                    best = (k, p.info)
                break
            s = _apply(p, s, idx)
    return None if best is None else best[1]


def _apply(a: Action, state: State, idx: dict[str, int]) -> State:
    out = list(state)
    for name, e in a.updates:
        out[idx[name]] = evaluate(e, state, idx)
    return tuple(out)


# ---------------------------------------------------------------- helpers
def _describe(act: Action) -> str:
    where = f" at {act.info.loc}" if act.info.loc is not None else ""
    return f"task {act.task}: {act.info.text}{where}"


def _check_initial(model: Model, s0: State) -> None:
    for decl, allowed, v in zip(model.vars, model.init, s0):
        if v not in allowed:
            shown = ", ".join(show_value(decl.type, x) for x in allowed)
            raise ReplayError(f"state 0 is not an initial state: {decl.name} = "
                              f"{show_value(decl.type, v)}, allowed: {shown or 'nothing'}",
                              step=0, variable=decl.name, expected=shown,
                              actual=show_value(decl.type, v))


def _diffs(model: Model, expected: State, actual: State) -> list[tuple[str, str, str]]:
    return [(d.name, show_value(d.type, e), show_value(d.type, a))
            for d, e, a in zip(model.vars, expected, actual) if e != a]


def _render(diffs: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{n} expected {e} but trace has {a}" for n, e, a in diffs)


def _compare(model: Model, step: int, act: Action, expected: State, actual: State) -> None:
    diffs = _diffs(model, expected, actual)
    if diffs:
        name, exp, act_v = diffs[0]
        raise ReplayError(f"step {step} ({_describe(act)}): post-state differs from the "
                          f"model: {_render(diffs)}", step=step, variable=name,
                          expected=exp, actual=act_v)

