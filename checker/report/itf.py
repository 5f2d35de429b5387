"""Counterexamples as ITF traces (Apalache's Informal Trace Format, ADR-015), and back.

Values: bool -> JSON bool; int -> JSON number (``{"#bigint": "..."}`` outside the range a
JSON number holds exactly); enum -> its name as a string; set -> ``{"#set": [names]}``
(members in the enum's order).  Every state lists every variable of the model, including
the program counters (``T.pc``) and the run-time error code (``__error``), so that a
saved trace can be decoded back into IR states and replayed (``flagcheck replay``).

Decoding distinguishes two kinds of trouble: ``BadTrace`` (the file is not an ITF trace at
all: bad input, exit 2) and ``Mismatch`` (a well-formed trace that is not a run of the
given model any more: a variable, enum value or statement the design no longer has).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flagcheck.checker.report import facts
from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import BoolType, EnumType, IntType, Model, SetType, Type, Value

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
_SAFE = 2 ** 53 - 1


class BadTrace(Exception):
    """Not an ITF trace (missing keys, wrong JSON types)."""


class Mismatch(Exception):
    """A well-formed trace that does not fit the model it is decoded against."""


# ---------------------------------------------------------------- values
def encode_value(ty: Type, v: Value) -> Any:
    if isinstance(ty, BoolType):
        return bool(v)
    if isinstance(ty, IntType):
        n = int(v)
        return n if -_SAFE <= n <= _SAFE else {"#bigint": str(n)}
    if isinstance(ty, EnumType):
        i = int(v)
        return ty.values[i] if 0 <= i < len(ty.values) else {"#bigint": str(i)}
    return {"#set": [n for i, n in enumerate(ty.elem.values) if int(v) >> i & 1]}


def decode_value(name: str, ty: Type, x: Any) -> Value:
    """The IR value of ``x`` for variable ``name`` of type ``ty``; Mismatch if it has none."""
    def bad(what: str) -> Mismatch:
        return Mismatch(f"variable {name}: {what} (the design's type is {ty})")

    if isinstance(ty, BoolType):
        if not isinstance(x, bool):
            raise bad(f"expected true/false, the trace has {_show(x)}")
        return x
    if isinstance(ty, IntType):
        if isinstance(x, dict) and set(x) == {"#bigint"} and isinstance(x["#bigint"], str):
            try:
                n = int(x["#bigint"])
            except ValueError:
                raise bad(f"bad #bigint {x['#bigint']!r}") from None
        elif isinstance(x, int) and not isinstance(x, bool):
            n = x
        else:
            raise bad(f"expected an integer, the trace has {_show(x)}")
        if not ty.lo <= n <= ty.hi:
            raise bad(f"value {n} is outside {ty.lo}..{ty.hi}")
        return n
    if isinstance(ty, EnumType):
        if not isinstance(x, str):
            raise bad(f"expected a name, the trace has {_show(x)}")
        if x not in ty.values:
            raise bad(f"{x!r} is not one of {', '.join(ty.values)}")
        return ty.values.index(x)
    assert isinstance(ty, SetType)
    if not (isinstance(x, dict) and set(x) == {"#set"} and isinstance(x["#set"], list)):
        raise bad(f"expected {{\"#set\": [...]}}, the trace has {_show(x)}")
    mask = 0
    for m in x["#set"]:
        if not isinstance(m, str) or m not in ty.elem.values:
            raise bad(f"set member {_show(m)} is not one of {', '.join(ty.elem.values)}")
        mask |= 1 << ty.elem.values.index(m)
    return mask


def _show(x: Any) -> str:
    import json
    s = json.dumps(x, sort_keys=True)
    return s if len(s) <= 60 else s[:57] + "..."


# ---------------------------------------------------------------- traces
def encode_trace(model: Model, v: Verdict, design_file: str, reduced: bool = True) -> dict[str, Any]:
    """The ITF trace of ``v``'s counterexample (``v`` must be violated)."""
    assert v.outcome is not None and v.outcome.trace is not None
    trace = v.outcome.trace
    rows = facts.steps(model, trace)
    states: list[dict[str, Any]] = []
    for i, s in enumerate(trace.states):
        st: dict[str, Any] = {d.name: encode_value(d.type, x) for d, x in zip(model.vars, s)}
        meta: dict[str, Any] = {"index": i}
        if i > 0:
            r = rows[i - 1]
            meta.update({
                "action": r.action, "task": r.task, "text": r.text, "stack": list(r.stack),
                "function": r.function, "label": r.label, "detail": list(r.detail),
                "loc": str(r.loc) if r.loc is not None else None,
                "changed": [c.var for c in r.changes],
                # the statements the step runs, in order, each with its own label and place
                # (several when tlamodel.reduce merged task-private steps into this one)
                "parts": [{"text": p.text, "label": p.label, "function": p.function,
                           "stack": list(p.stack), "branch": p.branch, "detail": list(p.detail),
                           "loc": str(p.loc) if p.loc is not None else None}
                          for p in r.parts],
            })
        st["#meta"] = meta
        states.append(st)
    out: dict[str, Any] = {
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": design_file,
            "description": f"{v.property} violated on {v.scenario} ({v.design}), "
                           f"{trace.length} steps, replayed",
            "design": v.design,
            "scenario": v.scenario,
            # the file checked, which the design need not list (verify --scenario FILE)
            "scenario_file": model.meta.get("scenario_file"),
            "property": v.property,
            "reduced": reduced,
            "tasks": list(model.tasks),
            "varTypes": {d.name: str(d.type) for d in model.vars},
            "internal": [d.name for d in model.vars if d.internal],
        },
        "vars": [d.name for d in model.vars],
        "states": states,
    }
    if trace.loop_start is not None:
        out["loop"] = trace.loop_start
    return out


def decode_trace(model: Model, itf: Any) -> Trace:
    """IR states and action indices of an ITF trace, checked against ``model``.

    Actions are found by index (``#meta.action`` of each state after the first) and must be
    the same statement: same task and same text as in the trace."""
    if not isinstance(itf, dict):
        raise BadTrace("an ITF trace is a JSON object")
    vars_ = itf.get("vars")
    states = itf.get("states")
    if not isinstance(vars_, list) or not all(isinstance(x, str) for x in vars_):
        raise BadTrace("ITF trace: 'vars' must be a list of variable names")
    if not isinstance(states, list) or not states or not all(isinstance(s, dict) for s in states):
        raise BadTrace("ITF trace: 'states' must be a non-empty list of objects")
    names = [d.name for d in model.vars]
    missing = [n for n in names if n not in vars_]
    extra = [n for n in vars_ if n not in names]
    if missing or extra:
        parts = []
        if extra:
            parts.append("the trace has variables the design does not: " + ", ".join(extra[:5]))
        if missing:
            parts.append("the design has variables the trace does not: " + ", ".join(missing[:5]))
        raise Mismatch("; ".join(parts))
    decoded = []
    for i, st in enumerate(states):
        row = []
        for d in model.vars:
            if d.name not in st:
                raise BadTrace(f"ITF trace: state {i} has no value for {d.name}")
            try:
                row.append(decode_value(d.name, d.type, st[d.name]))
            except Mismatch as e:
                raise Mismatch(f"state {i}: {e}") from None
        decoded.append(tuple(row))
    actions = []
    for i, st in enumerate(states[1:], start=1):
        meta = st.get("#meta")
        if not isinstance(meta, dict) or not isinstance(meta.get("action"), int):
            raise BadTrace(f"ITF trace: state {i} has no '#meta': {{'action': N}} "
                           "(flagcheck needs the action index of each step)")
        a = meta["action"]
        if not 0 <= a < len(model.actions):
            raise Mismatch(f"step {i}: action {a} does not exist (the design's model has "
                           f"{len(model.actions)} actions)")
        act = model.actions[a]
        text, task = meta.get("text"), meta.get("task")
        if text is not None and text != act.info.text or task is not None and task != act.task:
            raise Mismatch(f"step {i}: action {a} is now \"{act.task}: {act.info.text}\" "
                           f"but the trace recorded \"{task}: {text}\"")
        actions.append(a)
    loop = itf.get("loop")
    if loop is not None and not isinstance(loop, int):
        raise BadTrace("ITF trace: 'loop' must be a state index")
    return Trace(tuple(decoded), tuple(actions), loop)


# ---------------------------------------------------------------- saved traces
@dataclass(frozen=True)
class Saved:
    """One counterexample found in a saved file."""
    scenario: str | None
    property: str | None
    design: str | None
    trace: dict[str, Any]


@dataclass(frozen=True)
class ReplayResult:
    saved: Saved
    scenario: str
    property: str
    reproduces: bool
    reason: str = ""
    steps: int = 0


def saved_traces(doc: Any) -> list[Saved]:
    """The counterexamples of a ``flagcheck-report`` document, or a bare ITF trace."""
    if isinstance(doc, dict) and doc.get("format") == "flagcheck-report":
        version = doc.get("version")
        if version != 1:
            raise BadTrace(f"flagcheck-report version {version!r} is not supported "
                           "(this flagcheck reads version 1)")
        verdicts = doc.get("verdicts")
        if not isinstance(verdicts, list):
            raise BadTrace("flagcheck-report: 'verdicts' must be a list")
        out = []
        for v in verdicts:
            if isinstance(v, dict) and isinstance(v.get("counterexample"), dict):
                out.append(Saved(v.get("scenario"), v.get("property"), v.get("design"),
                                 v["counterexample"]))
        return out
    if isinstance(doc, dict) and "states" in doc and "vars" in doc:
        meta = doc.get("#meta") if isinstance(doc.get("#meta"), dict) else {}
        return [Saved(meta.get("scenario"), meta.get("property"), meta.get("design"), doc)]
    raise BadTrace("not a flagcheck report (\"format\": \"flagcheck-report\") nor an ITF trace "
                   "(\"vars\" and \"states\")")
