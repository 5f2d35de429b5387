"""Which definitions are used anywhere: catches an "override" that overrides nothing.

Why: designs override library definitions by name, so a typo (``signal_pendng``) silently
adds a new, unused definition and the proposal being checked is not the one the author
wrote.  A new name in a design that nothing calls is reported with the closest base name.
"""
from __future__ import annotations

from typing import Iterable

from flagcheck.tlamodel import syntax_tree as A


def _expr_calls(e: A.AExpr | None, out: set[str]) -> None:
    if e is None:
        return
    if isinstance(e, A.Call):
        out.add(e.func)
    for x in A.operands(e):
        _expr_calls(x, out)


def children(s: A.Stmt) -> tuple[A.Stmt, ...]:
    """The statements nested directly in ``s``, in source order (none for a simple
    statement; a call's procedure body is not nested in it).  The one description of the
    statement tree's shape: the usage check here and coverage's list of task-code
    statements (checker.coverage) both walk the tree with it."""
    if isinstance(s, A.If):
        return (s.then,) if s.other is None else (s.then, s.other)
    if isinstance(s, (A.While, A.Atomic)):
        return (s.body,)
    if isinstance(s, A.Either):
        return s.branches
    if isinstance(s, A.Choose):
        return (s.body,) if s.other is None else (s.body, s.other)
    if isinstance(s, A.Labeled):
        return (s.stmt,)
    if isinstance(s, A.Block):
        return s.stmts
    return ()


def stmt_calls(stmts: Iterable[A.Stmt], out: set[str]) -> None:
    """Names called by statements (procedures) and by their expressions (defines)."""
    work = list(stmts)
    while work:
        s = work.pop()
        if isinstance(s, A.CallStmt):
            out.add(s.func)
            for a in s.args:
                _expr_calls(a, out)
            if s.func == "task_work_add" and len(s.args) == 3 and isinstance(s.args[1], A.Name):
                out.add(s.args[1].id)      # a typed task_work callback (tlamodel.cfg_taskwork)
        elif isinstance(s, A.Assign):
            _expr_calls(s.target, out)
            _expr_calls(s.value, out)
        elif isinstance(s, (A.Await, A.Assert, A.If, A.While, A.Choose)):
            _expr_calls(s.cond, out)
        elif isinstance(s, A.Local):
            _expr_calls(s.init, out)
        elif isinstance(s, A.Jump):
            _expr_calls(s.value, out)
        work.extend(children(s))
