"""What the Promela and TLA+ exporters share: naming, the model's enums, its task order and
the notes each exported action carries.

Why shared: both files must declare the same enums in the same order, list the tasks in the
same order and describe each action by the same statement, call stack and source location,
so a reader can put a SPIN trail next to a TLC trace and a flagcheck trace; each exporter
only supplies its own identifier rules and comment syntax.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator

from flagcheck.tlamodel.ir import Action, EnumType, Expr, Invariant, Model, SetType, Type, Value

#: a plain identifier in both target languages
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Names:
    """One namespace for every identifier an exported file declares.

    ``fresh`` turns a wanted name into an identifier (``base``) and numbers it (``x_2``)
    while it is ``taken``; a language with more rules overrides those two."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.used: set[str] = set(reserved)

    def base(self, want: str) -> str:
        base = re.sub(r"\W", "_", want).strip("_") or "x"
        return "v_" + base if base[0].isdigit() else base

    def taken(self, name: str) -> bool:
        return name in self.used

    def fresh(self, want: str) -> str:
        base = self.base(want)
        name, n = base, 1
        while self.taken(name):
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


class ExprWriter:
    """Fully parenthesised rendering of IR expressions, so the output never depends on the
    target's operator precedence.  Leaves, negation and the n-ary ``and``/``or`` read the
    same in both targets but for their symbols (the class attributes); a subclass renders
    values (``value``) and every other operator (``operator``)."""
    NOT = "!"
    AND = " && "
    OR = " || "
    TRUE = "true"
    FALSE = "false"
    #: IR variable -> its name in the exported file
    var: dict[str, str]

    def value(self, ty: Type, v: Value) -> str:
        raise NotImplementedError

    def operator(self, e: Expr, x: list[str]) -> str:
        """``e`` (not a leaf, ``not``, ``and`` or ``or``) given its rendered arguments ``x``."""
        raise NotImplementedError

    def expr(self, e: Expr) -> str:
        op, a = e.op, e.args
        if op == "const":
            assert e.value is not None
            return self.value(e.type, e.value)
        if op == "var":
            return self.var[e.name or ""]
        x = [self.expr(y) for y in a]
        if op == "not":
            return f"{self.NOT}{x[0]}" if a[0].op in ("var", "const") else f"{self.NOT}({x[0]})"
        if op in ("and", "or"):
            if not x:
                return self.TRUE if op == "and" else self.FALSE
            if len(x) == 1:
                return x[0]
            return "(" + (self.AND if op == "and" else self.OR).join(x) + ")"
        return self.operator(e, x)


def task_order(model: Model) -> list[str]:
    """The scenario's tasks in their order, then any other task that owns an action."""
    return list(model.tasks) + sorted({a.task for a in model.actions} - set(model.tasks))


def model_exprs(model: Model) -> Iterator[Expr]:
    """Every expression the exported file renders: guards, updates, invariants, terminal."""
    for a in model.actions:
        yield a.guard
        for _, e in a.updates:
            yield e
    for p in model.properties:
        if isinstance(p, Invariant):
            yield p.expr
    yield model.terminal


def model_enums(model: Model) -> list[EnumType]:
    """The enums the exported file must declare, in order of first use (variables first)."""
    out: list[EnumType] = []
    seen: set[EnumType] = set()

    def add(t: Type) -> None:
        if isinstance(t, SetType):
            t = t.elem
        if isinstance(t, EnumType) and t not in seen:
            seen.add(t)
            out.append(t)

    def walk(e: Expr) -> None:
        add(e.type)
        for a in e.args:
            walk(a)
    for v in model.vars:
        add(v.type)
    for e in model_exprs(model):
        walk(e)
    return out


def meta_notes(model: Model, clean: Callable[[str], str]) -> list[str]:
    """``design file: ...`` and ``scenario file: ...`` where the model knows them."""
    return [f"{k.replace('_', ' ')}: {clean(model.meta[k])}"
            for k in ("design_file", "scenario_file") if k in model.meta]


def step_notes(action: Action, arrow: str, clean: Callable[[str], str]) -> list[str]:
    """What an exported action's comment says: ``a<i>: f › g``, its statement, the branch
    decisions inside it and its source location, each made safe by ``clean``."""
    info = action.info
    where = arrow.join(info.stack)
    out = [f"a{action.index}{': ' + clean(where) if where else ''}", clean(info.text)]
    out += [clean(d) for d in info.detail]
    if info.loc is not None:
        out.append(clean(str(info.loc)))
    return out
