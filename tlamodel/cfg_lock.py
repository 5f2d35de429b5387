"""Locks held across steps: ``spin_lock(l)`` / ``spin_unlock(l)`` for the statement compiler.

Why a type and not ``atomic { }``: an atomic block is one step, so a lock held across several
steps (spin_lock(&sighand->siglock); ...; spin_unlock()) could only be modelled as an
explicit variable, and a second acquisition by the holder -- a real class of kernel bug: a
path that already holds siglock calls one that takes it again -- was invisible.

A variable of type ``lock`` holds its holder: ``unlocked`` or a task.  Lowered to the
existing IR (a guard, an update, the run-time error variable), so every engine and both
exports handle it without knowing about locks:

* ``spin_lock(l)`` is enabled while ``l`` is unlocked (the task spins, i.e. blocks, while
  another task holds it) and sets it to ``current``; taken by its holder it is a
  *lock misuse* (the kernel would spin for ever on itself): the run stops with that error;
* ``spin_unlock(l)`` sets it to unlocked; by a task that does not hold it, a lock misuse.

Lock misuses are the built-in property ``lock_misuse`` (tlamodel.load), apart from
``assertions``; a cycle of tasks waiting for each other's locks (ABBA) is a state where no
task can step, which ``deadlock_free`` reports.

The reduction (tlamodel.reduce) never merges across a lock operation: both can set the
error variable, and lock variables are observable (Model.observable), so acquire and release
are visible steps -- the conservative reading of Lipton's movers (an acquire is a right
mover and a release a left mover, so merging private steps *into* them would be sound too,
but nothing here depends on it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import EnumType, Expr, const
from flagcheck.tlamodel.lower import Lowerer, type_name
from flagcheck.tlamodel.scope import is_lock

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path

#: the built-in lock operations: name -> True to acquire, False to release
LOCK_OPS = {"spin_lock": True, "spin_lock_irq": True, "spin_lock_bh": True,
            "raw_spin_lock": True, "mutex_lock": True,
            "spin_unlock": False, "spin_unlock_irq": False, "spin_unlock_bh": False,
            "raw_spin_unlock": False, "mutex_unlock": False}
#: every lock-misuse message starts with this (tlamodel.load tells them from assertions)
MISUSE = "lock misuse: "


class LockMixin:
    """``spin_lock``/``spin_unlock`` of TaskCompiler (see the module docstring)."""
    low: Lowerer
    task: str
    errors: Any

    def lvalue(self, target: A.AExpr, env: Any, read: Any) -> list[tuple[str, Expr]]:
        raise NotImplementedError

    def reader(self, path: "Path") -> Any:
        raise NotImplementedError

    def is_lock_op(self, s: A.Stmt) -> bool:
        """A call of a built-in lock operation (a procedure of the same name wins)."""
        return isinstance(s, A.CallStmt) and s.func in LOCK_OPS and \
            s.func not in self.low.scope.procedures

    def sym_lock(self, s: A.CallStmt, path: "Path", frame: "Frame") -> None:
        """One lock operation on ``path``: guard, update and the misuse error."""
        if len(s.args) != 1:
            raise DesignError(f"{s.func}() takes 1 argument (the lock), got {len(s.args)}",
                              s.loc, hint=f"{s.func}(current.group.siglock)")
        read = self.reader(path)
        arg = s.args[0]
        targets = self.lvalue(arg, frame.env, read)
        types = self.low.scope.var_types
        ty = types[targets[0][0]]
        if not is_lock(ty):
            raise DesignError(f"{s.func}() takes a lock, found {type_name(ty)} "
                              f"'{targets[0][0]}'", arg.loc,
                              hint="declare it with type: lock")
        assert isinstance(ty, EnumType)
        me = const(1 + self.low.scope.tasks.index(self.task), ty)
        free = const(0, ty)
        acquire = LOCK_OPS[s.func]
        for name, when in targets:
            v = read(name)
            held = op("eq", v, me)
            if acquire:
                bad = op("and", when, held)
                what = f"{self.task} already holds {name}"
                path.guard = op("and", path.guard,
                                op("or", op("not", when), op("eq", v, free), held))
                new = op("ite", op("and", when, op("eq", v, free)), me, v, ty=ty)
            else:
                bad = op("and", when, op("not", held))
                what = f"{self.task} does not hold {name}"
                new = op("ite", op("and", when, held), free, v, ty=ty)
            if not (bad.op == "const" and not bad.value):
                path.errors.append((bad, f"{MISUSE}{s.text} but {what} ({s.loc})"))
            path.sigma[name] = new
