"""Local variables, procedure results and how both stay out of the state vector when dead.

A ``local x: T = e;`` in a procedure or a task's code, and the result of a procedure called
inside an expression (``if (io_run_task_work()) continue;``), need a place in the state while
they hold a value the code will still read: a *slot*, one IR variable per task and per
declaration (``T.set_notify_signal.old``) or call site (``T.io_run_task_work()@12:9``).
Procedures are inlined and cannot recurse, so one declaration is never active twice in one
task and one slot per declaration is enough.

Why it does not split states.  A slot the code will not read again is *dead*.  After the
task's actions are built, a live-variable analysis over the task's program counter
(``reset_dead``) finds, for every action, the slots dead at its destination, and the action
sets each of them back to the type's default value (false, 0, the first enum value).  So in
every reachable state a dead slot holds its default: two runs that differ only in a value
nobody will read again reach the same state, and the search does not pay for it.  Assigning
a dead slot costs nothing either: the analysis drops the write.

Declarations that are not steps.  ``local x: T;`` and ``local x: T = c;`` with a constant
``c`` change nothing another task can see, so they are no step of their own: the value is
written by the step that *arrives* at the declaration (a "birth" on the jump through it,
``TaskCompiler.births``), which is also how each loop iteration starts with a fresh value.
A declaration whose initial value reads the state is one step, like an assignment.
``return c;`` with a constant is a birth of the caller's result slot in the same way.

Procedure calls in expressions run before the statement that contains them, left to right
(innermost first), each writing its result slot; the statement then reads the slots.
Where C would not evaluate a call (the right side of ``&&``, ``||``, ``=>``, a branch of
``?:``, a quantifier's body) it is refused, so the order is never a surprise.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Action, Expr, SourceLoc, Type, VarDecl, const, free_vars, pc_value
from flagcheck.tlamodel.scope import default_value

#: the hoisted call's stand-in in the rewritten expression (``__`` names are reserved)
BINDER = "__call_{line}_{col}"


# ------------------------------------------------------------------ hoisting calls
def hoist_expr(e: A.AExpr, is_proc: Callable[[str], bool], out: list[tuple[str, A.CallStmt]],
               guarded: str | None = None) -> A.AExpr:
    """``e`` with every procedure call replaced by a name bound to its result; the calls are
    appended to ``out`` in evaluation order.  ``guarded`` names the construct that might
    not evaluate the current subexpression (the call is then refused)."""
    if isinstance(e, A.Call):
        args = tuple(hoist_expr(a, is_proc, out, guarded) for a in e.args)
        if not is_proc(e.func):
            return replace(e, args=args)
        if guarded is not None:
            raise DesignError(f"procedure {e.func}() is called on the {guarded}, where it might "
                              "not run", e.loc, hint=f"call it first: local r: TYPE = "
                              f"{e.func}(...); then use r")
        binder = BINDER.format(line=e.loc.line, col=e.loc.col)
        out.append((binder, A.CallStmt(e.func, args, e.loc, f"{e.func}(...)")))
        return A.Name(binder, e.loc)
    if isinstance(e, A.Field):
        return replace(e, obj=hoist_expr(e.obj, is_proc, out, guarded))
    if isinstance(e, A.Unary):
        return replace(e, arg=hoist_expr(e.arg, is_proc, out, guarded))
    if isinstance(e, A.Binary):
        left = hoist_expr(e.left, is_proc, out, guarded)
        lazy = {"&&": "right of '&&'", "||": "right of '||'", "=>": "right of '=>'"}.get(e.op)
        return replace(e, left=left, right=hoist_expr(e.right, is_proc, out, guarded or lazy))
    if isinstance(e, A.Ternary):
        cond = hoist_expr(e.cond, is_proc, out, guarded)
        branch = guarded or "branch of '?:'"
        return replace(e, cond=cond, then=hoist_expr(e.then, is_proc, out, branch),
                       other=hoist_expr(e.other, is_proc, out, branch))
    if isinstance(e, A.Quant):
        return replace(e, body=hoist_expr(e.body, is_proc, out, guarded or
                                          f"body of '{e.kind}'"))
    if isinstance(e, A.SetLit):
        return replace(e, elems=tuple(hoist_expr(x, is_proc, out, guarded) for x in e.elems))
    return e


def hoist_stmt(s: A.Stmt, is_proc: Callable[[str], bool]
               ) -> tuple[list[tuple[str, A.CallStmt]], A.Stmt]:
    """The procedure calls inside a simple statement's expressions, and the statement that
    reads their results instead.  Compound statements are left alone (their parts are
    hoisted when they are compiled), except for the test of an ``if`` or ``while``."""
    calls: list[tuple[str, A.CallStmt]] = []
    h = lambda x: hoist_expr(x, is_proc, calls)  # noqa: E731
    if isinstance(s, A.Assign):
        s = replace(s, value=h(s.value))
    elif isinstance(s, A.CallStmt):
        s = replace(s, args=tuple(h(a) for a in s.args))
    elif isinstance(s, (A.If, A.While, A.Assert)):
        s = replace(s, cond=h(s.cond))
    elif isinstance(s, A.Jump) and s.value is not None:
        s = replace(s, value=h(s.value))
    elif isinstance(s, A.Local) and s.init is not None:
        s = replace(s, init=h(s.init))
    elif isinstance(s, (A.Await, A.Choose)) and s.cond is not None:
        hoist_expr(s.cond, is_proc, calls, "test of 'await'" if isinstance(s, A.Await)
                   else "'where' of 'choose'")
    return calls, s


def names_in(e: A.AExpr | None, out: set[str]) -> set[str]:
    """Every plain name ``e`` mentions (a local may not be read in its own initial value)."""
    if isinstance(e, A.Name):
        out.add(e.id)
    elif e is not None:
        for x in A.operands(e):
            names_in(x, out)
    return out


def ends_in_return(stmts: tuple[A.Stmt, ...]) -> bool:
    """Conservatively: every way through ``stmts`` ends in ``return`` (or loops for ever).
    A procedure declared ``-> TYPE`` must pass this, so its result is always defined."""
    if not stmts:
        return False
    s = stmts[-1]
    while isinstance(s, A.Labeled):
        s = s.stmt
    if isinstance(s, A.Jump):
        return s.kind in ("return", "goto")
    if isinstance(s, (A.Block, A.Atomic)):
        return ends_in_return(s.stmts if isinstance(s, A.Block) else s.body.stmts)
    if isinstance(s, A.If):
        return s.other is not None and ends_in_return(s.then.stmts) and \
            ends_in_return((s.other,))
    if isinstance(s, A.Either):
        return all(ends_in_return(b.stmts) for b in s.branches)
    if isinstance(s, A.Choose):
        return s.other is not None and ends_in_return(s.body.stmts) and \
            ends_in_return(s.other.stmts)
    if isinstance(s, A.While):
        return isinstance(s.cond, A.BoolLit) and s.cond.value and not _breaks(s.body.stmts)
    return False


def _breaks(stmts: tuple[A.Stmt, ...]) -> bool:
    """Whether a ``break`` of this loop (not of an inner one) occurs in ``stmts``."""
    for s in stmts:
        if isinstance(s, A.Jump) and s.kind == "break":
            return True
        if isinstance(s, A.While):
            continue
        if isinstance(s, A.Labeled) and _breaks((s.stmt,)):
            return True
        if isinstance(s, (A.If, A.Either, A.Choose, A.Block, A.Atomic)):
            from flagcheck.tlamodel.usage import children
            if _breaks(children(s)):
                return True
    return False


# ------------------------------------------------------------------ slots
class Slots:
    """The slot variables of one task: one per local declaration or call site."""

    def __init__(self, task: str, var_types: dict[str, Type]) -> None:
        self.task = task
        self.var_types = var_types
        self.by_site: dict[tuple[SourceLoc, str], str] = {}
        self.decls: list[VarDecl] = []

    def slot(self, site: SourceLoc, field: str, ty: Type) -> str:
        """The variable for the declaration or call at ``site`` (``field``: what a trace
        column shows, e.g. ``set_notify_signal.old``)."""
        key = (site, field)
        if key in self.by_site:
            return self.by_site[key]
        name, n = f"{self.task}.{field}", 1
        while name in self.var_types:
            n += 1
            name = f"{self.task}.{field}#{n}"
        self.var_types[name] = ty
        self.by_site[key] = name
        self.decls.append(VarDecl(name, ty, owner=self.task, field=name.split(".", 1)[1]))
        return name


# ------------------------------------------------------------------ dead slots
def reset_dead(actions: list[Action], pc: str, slots: list[VarDecl],
               start: int = 0) -> tuple[list[Action], set[str]]:
    """Every action of one task, rewritten so that the slots dead at its destination are
    reset to their default (see the module docstring), and the slots live at ``start``
    (the task's first program point: they take their birth value initially).

    ``live[k]``: the slots some run from program point k may read before writing them; the
    least fixed point of live[src] ⊇ reads(a) ∪ (live[dst] − writes(a)) over the task's
    actions (an ``ite`` that keeps the old value reads it, so a conditional write is no kill).
    """
    names = {d.name for d in slots}
    if not names:
        return actions, set()
    shape = []
    for a in actions:
        src = pc_value(a.guard, pc)
        dst = next((int(e.value) for n, e in a.updates if n == pc and e.op == "const"), None)  # type: ignore[arg-type]
        reads = set(free_vars(a.guard))
        for _, e in a.updates:
            reads |= free_vars(e)
        writes = {n for n, _ in a.updates}
        shape.append((src, dst, reads & names, writes & names))
    live: dict[int | None, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for src, dst, reads, writes in shape:
            want = reads | (live.get(dst, set()) - writes if dst is not None else set(names))
            have = live.setdefault(src, set())
            if not want <= have:
                have |= want
                changed = True
    types = {d.name: d.type for d in slots}
    out = []
    for a, (src, dst, _, writes) in zip(actions, shape):
        after = live.get(dst, set()) if dst is not None else set(names)
        before = live.get(src, set()) if src is not None else set(names)
        upd = [(n, e) for n, e in a.updates if n not in names or n in after]
        for n in sorted(names - after):
            if n in before:     # a slot dead at src holds its default already
                upd.append((n, _default(types[n])))
        out.append(a if upd == list(a.updates) else replace(a, updates=tuple(upd)))
    return out, live.get(start, set())


def _default(ty: Type) -> Expr:
    return const(default_value(ty), ty)
