"""Typed task_work: ``task_work_add(T, callback, TWA_SIGNAL)`` for the statement compiler.

Why: real bugs depend on *which* work is queued (an fput, a request completion, a poll
wake) and on what its callback does when task_work_run() runs it in the target's context;
with a counter only, the work's effect had to be hard-wired into a scenario's
task_work_callback().

The queue, lowered to plain IR variables (so every engine and both exports handle it):
``task_works`` (the library's per-task count) is the queue's length, and each task gets
slots ``T.task_work[0..K-1]`` (K = the largest value of ``task_works``' range) holding the
queued callbacks, of the enum ``task_work_fn`` (``none`` and every procedure some code
passes to the three-argument ``task_work_add``), plus ``T.task_work[run]``, the work
task_work_run() took last.

* ``task_work_add(t, cb, notify)``: one step pushes ``cb`` at the tail (after the kernel's
  -ESRCH check of ``task_works_exited``: then nothing is queued and nobody notified); a full
  queue is a modelling error, the run-time error "task_work queue of T is full"; then the
  notification as the library's ``task_work_add(t, notify)`` does it.
* ``task_works -= 1`` (how the library's task_work_run() and exit_task_work() take a work)
  pops the head into ``T.task_work[run]``; the slots shift, so works run in the order they
  were added (the kernel's lock-free list is LIFO, and task_work_run() runs each batch it
  takes in reverse, i.e. oldest first).  An untyped ``task_works += 1`` queues ``none``.
* ``task_work_callback()`` runs the procedure in ``T.task_work[run]``, or for ``none`` the
  design's own ``task_work_callback()`` (the untyped work of the library).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import EnumType, Expr, IntType, VarDecl, const
from flagcheck.tlamodel.lower import Lowerer, Thunk

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path

ADD = "task_work_add"
RUN_CALLBACK = "task_work_callback"
COUNT = "task_works"


@dataclass(frozen=True)
class TaskWorkQueue:
    """The typed queue of a model: the callback enum and the capacity."""
    fn: EnumType
    capacity: int

    def slot(self, task: str, i: int | str) -> str:
        return f"{task}.task_work[{i}]"

    def decls(self, tasks: tuple[str, ...]) -> list[VarDecl]:
        return [VarDecl(self.slot(t, i), self.fn, owner=t, field=f"task_work[{i}]")
                for t in tasks for i in [*range(self.capacity), "run"]]


def typed_adds(stmts: tuple[A.Stmt, ...], procedures: dict[str, Any], out: dict[str, Any]) -> None:
    """The callbacks of every three-argument task_work_add() in ``stmts`` (name -> call)."""
    from flagcheck.tlamodel.usage import children
    for s in stmts:
        if isinstance(s, A.CallStmt) and s.func == ADD and len(s.args) == 3:
            cb = s.args[1]
            if not isinstance(cb, A.Name) or cb.id not in procedures:
                raise DesignError("task_work_add(t, callback, notify): the callback must name "
                                  "a procedure", cb.loc, hint="e.g. task_work_add(T, "
                                  "io_req_task_complete, TWA_SIGNAL)")
            if procedures[cb.id].params:
                raise DesignError(f"task_work callback {cb.id}() must take no parameters: it "
                                  "runs in the target task's context (current)", cb.loc)
            out.setdefault(cb.id, s)
        typed_adds(children(s), procedures, out)


def make_queue(scope: Any, callbacks: dict[str, Any]) -> TaskWorkQueue | None:
    """The queue for ``callbacks`` (None when no code adds typed work)."""
    if not callbacks:
        return None
    count = scope.fields["task"].get(COUNT)
    first = next(iter(callbacks.values()))
    if count is None or not isinstance(count[0], IntType) or count[0].hi < 1:
        raise DesignError("typed task_work needs the per-task variable 'task_works' (the queue "
                          "length, e.g. task_works: 0..2)", first.loc)
    return TaskWorkQueue(EnumType("task_work_fn", ("none", *sorted(callbacks))), count[0].hi)


class TaskWorkMixin:
    """Typed task_work for TaskCompiler (see the module docstring)."""
    low: Lowerer
    task: str
    errors: Any

    def reader(self, path: "Path") -> Any:
        raise NotImplementedError

    def lvalue(self, target: A.AExpr, env: Any, read: Any) -> list[tuple[str, Expr]]:
        raise NotImplementedError

    @property
    def queue(self) -> TaskWorkQueue | None:
        return getattr(self.low.scope, "task_work_queue", None)

    def is_typed_add(self, s: A.Stmt) -> bool:
        return isinstance(s, A.CallStmt) and s.func == ADD and len(s.args) == 3 and \
            self.queue is not None

    def is_typed_run(self, s: A.Stmt) -> bool:
        return isinstance(s, A.CallStmt) and s.func == RUN_CALLBACK and not s.args and \
            self.queue is not None

    def notify_part(self, s: A.CallStmt, frame: "Frame") -> tuple[A.Stmt, "Frame"]:
        """The notification of ``task_work_add(t, cb, notify)``: the library's
        task_work_add(t, notify) without its push (an ``if`` on the mode, in a frame where
        ``t`` and ``notify`` are the call's arguments)."""
        from dataclasses import replace
        loc, t, n = s.loc, A.Name("__tw_t", s.loc), A.Name("__tw_notify", s.loc)
        resume = A.CallStmt("set_notify_resume", (t,), loc, "set_notify_resume(t);")
        signal = A.CallStmt("twa_signal_notify", (t,), loc, "twa_signal_notify(t);")
        inner = A.If(A.Binary("==", n, A.Name("TWA_SIGNAL", loc), loc),
                     A.Block((signal,), loc, "{"), None, loc, "if (notify == TWA_SIGNAL)")
        stmt = A.If(A.Binary("==", n, A.Name("TWA_RESUME", loc), loc),
                    A.Block((resume,), loc, "{"), inner, loc, "if (notify == TWA_RESUME)")
        env = frame.env.bind([("__tw_t", Thunk(s.args[0], frame.env)),
                              ("__tw_notify", Thunk(s.args[2], frame.env))])
        return stmt, replace(frame, env=env)

    def sym_push(self, s: A.CallStmt, path: "Path", frame: "Frame") -> "Path":
        """Queue the callback on ``path``; returns the fork of the path on which the target
        had exited (-ESRCH: nothing queued, no notification; its exit is set by the caller)."""
        q = self.queue
        assert q is not None
        read = self.reader(path)
        cb = s.args[1]
        assert isinstance(cb, A.Name)
        fn = const(q.fn.values.index(cb.id), q.fn)
        targets = self.lvalue(A.Field(s.args[0], COUNT, s.args[0].loc), frame.env, read)
        exited_any: list[Expr] = []
        failed = path.fork()
        for name, when in targets:
            task = name.split(".", 1)[0]
            n = read(name)
            exited = read(f"{task}.task_works_exited")
            exited_any.append(op("and", when, exited))
            ok = op("and", when, op("not", exited))
            full = op("and", ok, op("eq", n, const(q.capacity, n.type)))
            msg = (f"task_work queue of {task} is full: {s.text} with {q.capacity} works queued "
                   f"({s.loc}); widen task_works' range")
            path.errors.append((full, msg))
            push = op("and", ok, op("not", full))
            for i in range(q.capacity):
                slot = q.slot(task, i)
                old = read(slot)
                path.sigma[slot] = op("ite", op("and", push, op("eq", n, const(i, n.type))),
                                      fn, old, ty=q.fn)
            path.sigma[name] = op("ite", push, op("add", n, const(1, IntType(1, 1))), n,
                                  ty=n.type)
        any_exited = op("or", *exited_any)
        path.guard = op("and", path.guard, op("not", any_exited))
        failed.guard = op("and", failed.guard, any_exited)
        return failed

    def pop_updates(self, name: str, when: Expr, read: Any) -> dict[str, Expr]:
        """``task_works -= 1`` on a typed queue: the head goes to task_work[run], the rest
        moves up, the tail slot becomes none."""
        q = self.queue
        if q is None or not name.endswith("." + COUNT):
            return {}
        task = name[:-len(COUNT) - 1]
        out = {q.slot(task, "run"): op("ite", when, read(q.slot(task, 0)),
                                       read(q.slot(task, "run")), ty=q.fn)}
        for i in range(q.capacity):
            nxt = read(q.slot(task, i + 1)) if i + 1 < q.capacity else const(0, q.fn)
            out[q.slot(task, i)] = op("ite", when, nxt, read(q.slot(task, i)), ty=q.fn)
        return out

    def callback_options(self, read: Any) -> list[tuple[Expr, str | None]]:
        """For task_work_callback(): (guard on task_work[run], procedure to run; None = the
        design's own task_work_callback())."""
        q = self.queue
        assert q is not None
        head = read(q.slot(self.task, "run"))
        return [(op("eq", head, const(i, q.fn)), None if i == 0 else name)
                for i, name in enumerate(q.fn.values)]

    # ------------------------------------------------------------ as steps, and in atomic
    def typed_add(self, s: A.CallStmt, p: int, q: int, frame: "Frame", label: str | None) -> None:
        """The push step (to the notification, or to q when the target has exited), then
        the notification's own steps."""
        from flagcheck.tlamodel.cfg import Path
        from flagcheck.tlamodel.ir import TRUE
        path = Path(TRUE, {}, [], [])
        self.event_checks(label, path, frame)  # type: ignore[attr-defined]
        failed = self.sym_push(s, path, frame)
        m = self.new_pc()  # type: ignore[attr-defined]
        info = self.info(s, frame, label)  # type: ignore[attr-defined]
        self.emit(p, m, path.guard, self.changed(path), path.errors, info)  # type: ignore[attr-defined]
        self.emit(p, q, failed.guard, self.changed(failed), failed.errors,  # type: ignore[attr-defined]
                  self.info(s, frame, label, ("-ESRCH: the task has exited",)))  # type: ignore[attr-defined]
        notify, inner = self.notify_part(s, frame)
        self.stmt(notify, m, q, inner, None)  # type: ignore[attr-defined]

    def typed_run(self, s: A.CallStmt, p: int, q: int, frame: "Frame", label: str | None) -> None:
        """task_work_callback(): one step chooses the callback task_work_run() took."""
        for guard, proc in self.callback_options(self.low.plain_read):
            entry = self.new_pc()  # type: ignore[attr-defined]
            self.emit(p, entry, guard, {}, [],  # type: ignore[attr-defined]
                      self.info(s, frame, label, (f"runs {proc or RUN_CALLBACK}()",)))  # type: ignore[attr-defined]
            callee, body = self.inline(A.CallStmt(proc or RUN_CALLBACK, (), s.loc, s.text),  # type: ignore[attr-defined]
                                       frame, q)
            self.seq(body, entry, q, callee)  # type: ignore[attr-defined]

    def sym_typed(self, s: A.CallStmt, path: "Path", frame: "Frame") -> list["Path"]:
        """Either builtin inside an atomic block."""
        if self.is_typed_add(s):
            failed = self.sym_push(s, path, frame)
            notify, inner = self.notify_part(s, frame)
            return [failed] + self.sym_seq((notify,), [path], inner, True)  # type: ignore[attr-defined]
        out: list["Path"] = []
        for guard, proc in self.callback_options(self.reader(path)):
            pp = path.fork()
            pp.guard = op("and", pp.guard, guard)
            pp.notes.append(f"runs {proc or RUN_CALLBACK}()")
            token = ("ret", len(self.frames))  # type: ignore[attr-defined]
            callee, body = self.inline(A.CallStmt(proc or RUN_CALLBACK, (), s.loc, s.text),  # type: ignore[attr-defined]
                                       frame, token)
            for x in self.sym_seq(body, [pp], callee, True):  # type: ignore[attr-defined]
                if x.exit == token:
                    x.exit = None
                out.append(x)
        return out
