"""Helpers shared by the tlamodel front-end tests: load fixtures, run models with pyspec."""
from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from flagcheck.pyspec.successors import enabled, fire, initial_states
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Action, EnumType, Model, SetType, show_value
from flagcheck.tlamodel.load import Design, load_design

FIX = Path(__file__).resolve().parent / "fixtures"


def design(rel: str) -> Design:
    return load_design(FIX / rel)


def model(rel: str, scenario: str | None = None) -> Model:
    d = design(rel)
    scen = d.scenario(scenario) if scenario else d.scenarios[0]
    return d.model(scen)


def design_error(rel: str) -> DesignError:
    """The DesignError that loading ``rel`` and building all its models raises."""
    with pytest.raises(DesignError) as info:
        d = load_design(FIX / rel)
        for s in d.scenarios:
            d.model(s)
    return info.value


def assert_at(err: DesignError, file_name: str, line: int, col: int | tuple[int, ...],
              phrase: str) -> None:
    """``err`` points at file_name:line:col and says ``phrase``; render() agrees."""
    assert err.loc is not None, err.render()
    assert Path(err.loc.file).name == file_name, err.render()
    cols = col if isinstance(col, tuple) else (col,)
    assert err.loc.line == line and err.loc.col in cols, err.render()
    head = err.render().splitlines()[0]
    assert head.startswith(f"{err.loc.file}:{line}:{err.loc.col}: error: "), head
    assert phrase in head, head
    # the quoted source line and a caret under the offending column
    lines = err.render().splitlines()
    src = Path(err.loc.file) if Path(err.loc.file).is_absolute() else Path.cwd() / err.loc.file
    text = src.read_text(errors="replace").splitlines()[line - 1]
    assert lines[1] == "  " + text.expandtabs(1)
    assert lines[2] == "  " + " " * (err.loc.col - 1) + "^"


def explore(m: Model) -> dict[State, int]:
    """Every reachable state with its BFS depth."""
    seen: dict[State, int] = {}
    todo: deque[State] = deque()
    for s in initial_states(m):
        if s not in seen:
            seen[s] = 0
            todo.append(s)
    while todo:
        s = todo.popleft()
        for i in enabled(m, s):
            t = fire(m, i, s)
            if t not in seen:
                seen[t] = seen[s] + 1
                todo.append(t)
    return seen


def values(m: Model, s: State) -> dict[str, object]:
    """A state as {variable: value}, enums and sets shown by name."""
    out: dict[str, object] = {}
    for d, v in zip(m.vars, s):
        out[d.name] = show_value(d.type, v) if isinstance(d.type, (EnumType, SetType)) else v
    return out


def finals(m: Model) -> list[dict[str, object]]:
    """The reachable states where no action is enabled."""
    return [values(m, s) for s in explore(m) if not enabled(m, s)]


def reachable(m: Model) -> list[dict[str, object]]:
    return [values(m, s) for s in explore(m)]


def actions_of(m: Model, task: str) -> list[Action]:
    return [a for a in m.actions if a.task == task]


def error_message(m: Model, s: dict[str, object]) -> str:
    """The run-time error a state records ("none" if there is none)."""
    assert m.error_var is not None
    return str(s[m.error_var])
