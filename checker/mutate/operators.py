"""Mutation operators: single edits of a definition's syntax tree that match how flag
protocols break in the kernel.

Why on syntax trees (``tlamodel.syntax_tree``) and not on text: a tree edit is always
well formed, keeps every other statement's source position (so the report and any trace
of the mutant point at the design's own lines), and needs no knowledge of YAML quoting.
An edit can still give a design the front end refuses (a loop left without a step); the
runner reports such a mutant as ``invalid``.

Every operator yields ``(new_body, Change)``; a body is a procedure's statement tuple or a
define's expression.  The operators (``OPERATORS``):

* ``drop-wakeup``  — a wake-up becomes ``skip``: a call of a procedure whose name contains
  ``wake_up`` (wake_up_process, wake_up_interruptible, signal_wake_up) or a write
  ``t.state = RUNNING`` to another task (wake_up_state() inlined);
* ``drop-flag``    — an assignment to a kernel flag (an upper-case ``bool`` per-task
  variable: TIF_*, JOBCTL_*) becomes ``skip``: a lost set or a lost clear;
* ``swap``         — two adjacent statements of one block change places (clear-then-run
  becomes run-then-clear); jumps (break, continue, return, goto, skip) and
  declarations stay put;
* ``split-atomic`` — an ``atomic { }`` of several statements becomes two atomic blocks,
  split between two of its statements: the lock (or the single atomic instruction) no
  longer covers both halves;
* ``flag-family``  — a flag test reads another flag of its family: ``t.TIF_SIGPENDING`` vs
  ``t.TIF_NOTIFY_SIGNAL`` (per-task flags sharing the prefix before the first ``_``), or
  a call of ``signal_pending()`` vs ``task_sigpending()``; in conditions and in defines;
* ``invert-guard`` — the condition of an ``if``, ``while`` or ``await`` is negated.

* ``drop-lock``    — a ``spin_lock(l)`` (or ``_irq``, ``_bh``, ``raw_``, ``mutex_``) and the
  matching unlock of the same lock later in the same block both become ``skip``: the code
  between them runs without the lock (tlamodel.cfg_lock's locks held across steps).

The language has no barrier statement: ``atomic`` stands for one lock or one atomic
instruction, and ``split-atomic`` is the edit that drops it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterator

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.cfg_lock import LOCK_OPS
from flagcheck.tlamodel.ir import SourceLoc

OPERATORS = ("drop-wakeup", "drop-flag", "swap", "split-atomic", "flag-family", "invert-guard",
             "drop-lock")

#: defines that test "is a signal pending" in different ways: the v5.11 split between
#: signal_pending() (TIF_SIGPENDING || TIF_NOTIFY_SIGNAL) and task_sigpending()
#: (TIF_SIGPENDING only) is exactly the choice Oleg's lost signal turns on
DEFINE_FAMILIES: tuple[tuple[str, ...], ...] = (("signal_pending", "task_sigpending"),)


@dataclass(frozen=True)
class Change:
    """What one edit did, for the report: the operator, where, and a one-line description."""
    operator: str
    loc: SourceLoc
    description: str


@dataclass(frozen=True)
class Families:
    """The names a ``flag-family`` edit may swap, and the flags ``drop-flag`` drops; taken
    from the design's declarations, so an edit never names a flag the design lacks."""
    flags: frozenset[str]
    flag_family: tuple[tuple[str, ...], ...]
    define_family: tuple[tuple[str, ...], ...]

    def others(self, name: str, define: bool) -> tuple[str, ...]:
        for fam in (self.define_family if define else self.flag_family):
            if name in fam:
                return tuple(n for n in fam if n != name)
        return ()


def families(task_bools: list[str], defines: dict[str, int]) -> Families:
    """Flags are the upper-case per-task ``bool`` variables (kernel flag names); a family
    is those with one prefix (TIF_, JOBCTL_).  Define families are DEFINE_FAMILIES cut
    down to the defines that exist with one arity (``defines``: name -> parameters)."""
    flags = sorted(n for n in task_bools if n.isupper())
    by_prefix: dict[str, list[str]] = {}
    for n in flags:
        by_prefix.setdefault(n.split("_", 1)[0], []).append(n)
    fam = tuple(tuple(v) for v in by_prefix.values() if len(v) > 1)
    dfam = []
    for group in DEFINE_FAMILIES:
        present = [n for n in group if n in defines]
        if len(present) > 1 and len({defines[n] for n in present}) == 1:
            dfam.append(tuple(present))
    return Families(frozenset(flags), fam, tuple(dfam))


def short(text: str, width: int = 60) -> str:
    """A statement's source as one line for a report (comments already stripped)."""
    one = re.sub(r"\s+", " ", text).strip()
    return one if len(one) <= width else one[:width - 3] + "..."


def said(s: A.Stmt, width: int = 40) -> str:
    """A statement as the report names it: an atomic block by its first statement (its
    own text is only the keyword), a labelled one with its label."""
    if isinstance(s, A.Labeled):
        return f"{s.label}: {said(s.stmt, width)}"
    if isinstance(s, A.Atomic):
        inner = s.body.stmts
        more = " ..." if len(inner) > 1 else ""
        return "atomic { " + (short(said(inner[0], width // 2) + more, width) if inner else "") + " }"
    return short(s.text, width)


def _head(s: A.Stmt) -> str:
    """``if (cond)`` / ``while (cond)`` without the block that follows."""
    return short(s.text.split("{", 1)[0])


# ------------------------------------------------------------------ procedures
def body_mutants(stmts: tuple[A.Stmt, ...], fam: Families,
                 ops: frozenset[str]) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    """Every single-edit variant of a procedure body under the operators ``ops``."""
    yield from _list(stmts, fam, ops)


def _list(stmts: tuple[A.Stmt, ...], fam: Families,
          ops: frozenset[str]) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    for i, s in enumerate(stmts):
        for new, ch in _stmt(s, fam, ops):
            yield stmts[:i] + new + stmts[i + 1:], ch
    if "drop-lock" in ops:
        yield from _drop_locks(stmts)
    if "swap" in ops:
        for i in range(len(stmts) - 1):
            a, b = stmts[i], stmts[i + 1]
            if _swappable(a) and _swappable(b) and _strip(a) != _strip(b):
                yield (stmts[:i] + (b, a) + stmts[i + 2:],
                       Change("swap", a.loc, f"swap '{said(a)}' with the next statement "
                                             f"'{said(b)}'"))


def _drop_locks(stmts: tuple[A.Stmt, ...]) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    """Each lock taken in this block and released later in it: both calls dropped."""
    for i, s in enumerate(stmts):
        if not (isinstance(s, A.CallStmt) and LOCK_OPS.get(s.func)):
            continue
        release = s.func.replace("_lock", "_unlock", 1)
        for j in range(i + 1, len(stmts)):
            u = stmts[j]
            if isinstance(u, A.CallStmt) and u.func == release and _same(u.args, s.args):
                new = stmts[:i] + (_skip(s),) + stmts[i + 1:j] + (_skip(u),) + stmts[j + 1:]
                yield new, Change("drop-lock", s.loc, f"drop the lock '{short(s.text, 40)}' "
                                                      f"and its '{short(u.text, 40)}'")
                break


def _same(a: object, b: object) -> bool:
    """Syntax trees equal up to source positions (the same lock named twice)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if hasattr(a, "__dataclass_fields__"):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__
                   if f not in ("loc", "text"))
    return a == b


def _swappable(s: A.Stmt) -> bool:
    """Statements that do something; jumps and declarations keep their place."""
    return isinstance(s, (A.Assign, A.CallStmt, A.If, A.While, A.Atomic, A.Await, A.Either,
                          A.Choose, A.Assert, A.Labeled))


def _strip(s: A.Stmt) -> str:
    return re.sub(r"\s+", "", s.text)


def _skip(s: A.Stmt) -> A.Jump:
    return A.Jump("skip", None, s.loc, "skip;")


def _block(b: A.Block, stmts: tuple[A.Stmt, ...]) -> A.Block:
    return replace(b, stmts=stmts)


def _one(new: tuple[A.Stmt, ...], like: A.Stmt) -> A.Stmt:
    """A statement slot that takes one statement: wrap an edit that made several."""
    return new[0] if len(new) == 1 else A.Block(new, like.loc, like.text)


def _stmt(s: A.Stmt, fam: Families,
          ops: frozenset[str]) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    """Edits of ``s`` itself, then edits nested inside it."""
    if "drop-wakeup" in ops and _is_wakeup(s):
        yield (_skip(s),), Change("drop-wakeup", s.loc, f"drop the wake-up '{short(s.text)}'")
    if "drop-flag" in ops and _is_flag_write(s, fam):
        yield (_skip(s),), Change("drop-flag", s.loc, f"drop the flag write '{short(s.text)}'")
    if "split-atomic" in ops:
        yield from _splits(s)
    if isinstance(s, (A.If, A.While, A.Await)) and not isinstance(s.cond, A.BoolLit):
        if "invert-guard" in ops:
            neg = A.Unary("!", s.cond, s.cond.loc)
            yield (replace(s, cond=neg),), Change(
                "invert-guard", s.loc, f"invert the guard of '{_head(s)}'")
    if isinstance(s, (A.If, A.While, A.Await, A.Assert, A.Choose)) and s.cond is not None:
        if "flag-family" in ops:
            for e, ch in expr_mutants(s.cond, fam):
                yield (replace(s, cond=e),), ch
    yield from _nested(s, fam, ops)


def _nested(s: A.Stmt, fam: Families,
            ops: frozenset[str]) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    if isinstance(s, A.Block):
        for new, ch in _list(s.stmts, fam, ops):
            yield (_block(s, new),), ch
    elif isinstance(s, A.If):
        for new, ch in _list(s.then.stmts, fam, ops):
            yield (replace(s, then=_block(s.then, new)),), ch
        if s.other is not None:
            for new, ch in _stmt(s.other, fam, ops):
                yield (replace(s, other=_one(new, s.other)),), ch
    elif isinstance(s, (A.While, A.Atomic)):
        for new, ch in _list(s.body.stmts, fam, ops):
            yield (replace(s, body=_block(s.body, new)),), ch
    elif isinstance(s, A.Either):
        for k, br in enumerate(s.branches):
            for new, ch in _list(br.stmts, fam, ops):
                yield (replace(s, branches=s.branches[:k] + (_block(br, new),)
                               + s.branches[k + 1:]),), ch
    elif isinstance(s, A.Choose):
        for new, ch in _list(s.body.stmts, fam, ops):
            yield (replace(s, body=_block(s.body, new)),), ch
        if s.other is not None:
            for new, ch in _list(s.other.stmts, fam, ops):
                yield (replace(s, other=_block(s.other, new)),), ch
    elif isinstance(s, A.Labeled):
        for new, ch in _stmt(s.stmt, fam, ops):
            if len(new) == 1:
                yield (replace(s, stmt=new[0]),), ch
            else:       # the label stays on the first part (a split atomic block)
                yield (replace(s, stmt=new[0]),) + new[1:], ch


def _is_wakeup(s: A.Stmt) -> bool:
    if isinstance(s, A.CallStmt):
        return "wake_up" in s.func
    if isinstance(s, A.Assign) and s.op == "=" and isinstance(s.target, A.Field):
        obj = s.target.obj
        return (s.target.field == "state" and isinstance(obj, A.Name) and obj.id != "current"
                and isinstance(s.value, A.Name) and s.value.id == "RUNNING")
    return False


def _is_flag_write(s: A.Stmt, fam: Families) -> bool:
    return (isinstance(s, A.Assign) and isinstance(s.target, A.Field)
            and s.target.field in fam.flags)


def _splits(s: A.Stmt) -> Iterator[tuple[tuple[A.Stmt, ...], Change]]:
    """``atomic { a; b; c; }`` -> ``atomic { a; } atomic { b; c; }`` and
    ``atomic { a; b; } atomic { c; }``: the one step becomes two."""
    if not isinstance(s, A.Atomic):
        return
    body = s.body.stmts
    for k in range(1, len(body)):
        if all(isinstance(x, A.Jump) and x.kind == "skip" for x in body[k:]):
            continue
        first = replace(s, body=_block(s.body, body[:k]))
        second = A.Atomic(_block(s.body, body[k:]), body[k].loc, "atomic { "
                          + " ".join(short(x.text, 30) for x in body[k:]) + " }")
        yield (first, second), Change(
            "split-atomic", s.loc, f"split the atomic block after '{said(body[k - 1])}'"
                                   " (two steps)")


# ------------------------------------------------------------------ expressions
def expr_mutants(e: A.AExpr, fam: Families) -> Iterator[tuple[A.AExpr, Change]]:
    """``flag-family`` variants of an expression: one flag read or define call replaced."""
    if isinstance(e, A.Field):
        for other in fam.others(e.field, define=False):
            yield replace(e, field=other), Change(
                "flag-family", e.loc, f"read {other} instead of {e.field}")
        for x, ch in expr_mutants(e.obj, fam):
            yield replace(e, obj=x), ch
    elif isinstance(e, A.Call):
        for other in fam.others(e.func, define=True):
            yield replace(e, func=other), Change(
                "flag-family", e.loc, f"call {other}() instead of {e.func}()")
        for k, a in enumerate(e.args):
            for x, ch in expr_mutants(a, fam):
                yield replace(e, args=e.args[:k] + (x,) + e.args[k + 1:]), ch
    elif isinstance(e, A.Unary):
        for x, ch in expr_mutants(e.arg, fam):
            yield replace(e, arg=x), ch
    elif isinstance(e, A.Binary):
        for x, ch in expr_mutants(e.left, fam):
            yield replace(e, left=x), ch
        for x, ch in expr_mutants(e.right, fam):
            yield replace(e, right=x), ch
    elif isinstance(e, A.Ternary):
        for x, ch in expr_mutants(e.cond, fam):
            yield replace(e, cond=x), ch
        for x, ch in expr_mutants(e.then, fam):
            yield replace(e, then=x), ch
        for x, ch in expr_mutants(e.other, fam):
            yield replace(e, other=x), ch
    elif isinstance(e, A.Quant):
        for x, ch in expr_mutants(e.body, fam):
            yield replace(e, body=x), ch
