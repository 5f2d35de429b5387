"""Statements: compile one task's code into guarded actions over its program counter.

Granularity is the model (docs/language.md, section 3): every statement outside ``atomic { }`` is one
step, and an ``if``/``while`` test is a step of its own (it reads shared state).  An
``atomic`` block is *one* action: it is executed symbolically here, path by path, so that
each feasible path through it becomes a guarded simultaneous assignment, and an ``await``
inside it is a guard on the whole block (the block does not start until it can finish).
Procedure calls are inlined, so the trace can name the kernel function of every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Union

from flagcheck.tlamodel import deadline
from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import TRUE, Expr, PcInfo, SourceLoc, StepInfo, var
from flagcheck.tlamodel.cfg_assign import AssignMixin
from flagcheck.tlamodel.cfg_decl import DeclMixin
from flagcheck.tlamodel.cfg_lock import LockMixin
from flagcheck.tlamodel.cfg_events import EventMixin
from flagcheck.tlamodel.cfg_taskwork import TaskWorkMixin
from flagcheck.tlamodel.cfg_locals import Slots, hoist_stmt
from flagcheck.tlamodel.lower import Binding, Env, Lowerer, Thunk
from flagcheck.tlamodel.ir import Type

MAX_PATHS = 4096
MAX_INLINE_DEPTH = 48
#: the most statements one task's code may inline to (a procedure calling another twice,
#: 30 levels deep, would be a billion)
MAX_STATEMENTS = 50_000
#: The procedure every task runs when its own code ends, if the design defines one: a task
#: of a scenario is a thread, and a thread whose code has ended exits.  Why it matters: the
#: kernel's do_exit() runs the task_work still queued on the task (exit_task_work()), so a
#: task that merely "finished" with work queued is not the bug a blocked one is.
EXIT_PROCEDURE = "do_exit"

#: what a label labels when the statement is no step of its own (for event properties)
STEPLESS = {"Local": "a local declaration", "Block": "a block", "Either": "an either",
            "Choose": "a choose", "Jump": "a jump", "CallStmt": "a procedure call"}
RetToken = tuple[str, int]           # ("ret", frame id): return inside an inlined atomic call
Exit = Union[int, RetToken, None]    # None: falls through to the next statement


@dataclass(frozen=True)
class LabelRef:
    frame: int
    name: str
    loc: SourceLoc


@dataclass
class Frame:
    """One inlined procedure instance."""
    env: Env
    stack: tuple[str, ...]
    ret: Exit
    fid: int
    labels: dict[str, int] = field(default_factory=dict)
    loops: tuple[tuple[int, int], ...] = ()
    #: the procedure's result type (``name(...) -> TYPE``), None if it returns nothing
    returns: Type | None = None
    #: the slot ``return expr;`` writes (None: called as a statement, the value is dropped)
    ret_var: str | None = None


@dataclass
class Path:
    guard: Expr
    sigma: dict[str, Expr]
    errors: list[tuple[Expr, str]]
    notes: list[str]
    exit: Exit = None

    def fork(self) -> "Path":
        return Path(self.guard, dict(self.sigma), list(self.errors), list(self.notes), self.exit)


@dataclass
class Edge:
    src: int
    dst: int
    guard: Expr
    updates: dict[str, Expr]
    errors: list[tuple[Expr, str]]
    info: StepInfo


class ErrorRegistry:
    """Run-time failures (assertions, out-of-range writes) share one error variable."""

    def __init__(self) -> None:
        self.messages: list[str] = ["none"]
        #: message -> the built-in or event property it violates (absent: ``assertions``)
        self.owner: dict[str, str] = {}

    def id(self, message: str) -> int:
        if message not in self.messages:
            self.messages.append(message)
        return self.messages.index(message)




class TaskCompiler(AssignMixin, DeclMixin, LockMixin, EventMixin, TaskWorkMixin):
    def __init__(self, low: Lowerer, task: str, errors: ErrorRegistry,
                 events: dict[str, list[Any]] | None = None) -> None:
        self.low = low
        self.task = task
        self.errors = errors
        self.events = events or {}
        self.pcs: list[PcInfo | None] = []
        self.edges: list[Edge] = []
        self.alias: dict[int, int | LabelRef] = {}
        self.alias_loc: dict[int, SourceLoc] = {}
        self.frames: dict[int, Frame] = {}
        self.done_pc = -1
        self.statements = 0     # compiled so far, inlined calls included (MAX_STATEMENTS)
        self.slots = Slots(task, low.scope.var_types)
        #: values written by a jump *through* a program point (tlamodel.cfg_locals)
        self.births: dict[int, list[tuple[str, Expr]]] = {}
        self.is_proc = lambda f: f in low.scope.procedures and f not in low.scope.defines

    # ------------------------------------------------------------ driver
    def compile(self, body: tuple[A.Stmt, ...], loc: SourceLoc) -> None:
        start = self.new_pc()
        self.done_pc = self.new_pc()
        self.pcs[self.done_pc] = PcInfo("finished", (), loc)
        current = self.low.scope.consts[self.task]
        frame = self.new_frame(Env((("current", current),)), (), self.done_pc)
        self.seq(body + self.exit_call(loc), start, self.done_pc, frame)

    def exit_call(self, loc: SourceLoc) -> tuple[A.Stmt, ...]:
        """``do_exit();`` when the design defines it (see EXIT_PROCEDURE), else nothing."""
        proc = self.low.scope.procedures.get(EXIT_PROCEDURE)
        if proc is None:
            return ()
        if proc.params:
            raise DesignError(f"{EXIT_PROCEDURE}() takes no arguments: every task runs it when "
                              "its code ends", proc.loc, hint=f"declare it as {EXIT_PROCEDURE}()")
        return (A.CallStmt(EXIT_PROCEDURE, (), loc, f"{EXIT_PROCEDURE}()"),)

    def new_pc(self) -> int:
        self.pcs.append(None)
        return len(self.pcs) - 1

    def new_frame(self, env: Env, stack: tuple[str, ...], ret: Exit) -> Frame:
        f = Frame(env, stack, ret, len(self.frames))
        self.frames[f.fid] = f
        return f

    def births_on(self, pc: int) -> dict[str, Expr]:
        """The slot values written on the way from ``pc`` to the point it resolves to."""
        self.resolve(pc)
        out: dict[str, Expr] = {}
        while True:
            out.update(self.births.get(pc, ()))
            if pc not in self.alias:
                return out
            pc = self.alias[pc]  # type: ignore[assignment]

    def resolve(self, pc: int) -> int:
        seen: list[int] = []
        while pc in self.alias:
            if pc in seen:
                loc = next((self.alias_loc[p] for p in seen if p in self.alias_loc), None)
                raise DesignError(f"task {self.task}: a loop of jumps that never executes a "
                                  "statement (an empty loop body, or goto/continue without a step)",
                                  loc, hint="give the loop body a statement, e.g. await (cond);")
            seen.append(pc)
            target = self.alias[pc]
            if isinstance(target, LabelRef):
                frame = self.frames[target.frame]
                if target.name not in frame.labels:
                    raise DesignError(f"unknown label '{target.name}'", target.loc,
                                      hint=did_you_mean(target.name, frame.labels))
                dst = frame.labels[target.name]
                if dst < 0:
                    raise DesignError(f"cannot jump into the atomic block at '{target.name}'",
                                      target.loc)
                self.alias[pc] = dst
                target = dst
            pc = target
        return pc

    # ------------------------------------------------------------ non-atomic statements
    def seq(self, stmts: tuple[A.Stmt, ...], p: int, q: int, frame: Frame) -> None:
        if not stmts:
            self.alias[p] = q
            return
        cur = p
        for i, s in enumerate(stmts):
            nxt = q if i == len(stmts) - 1 else self.new_pc()
            frame = self.stmt(s, cur, nxt, frame, None) or frame
            cur = nxt

    def info(self, s: A.Stmt, frame: Frame, label: str | None, detail: tuple[str, ...] = (),
             text: str | None = None) -> StepInfo:
        # the whole statement: traces (JSON, ITF) are read by machines, and the reports
        # abbreviate for display themselves
        return StepInfo(text if text is not None else s.text, s.loc, label, frame.stack, detail)

    def emit(self, src: int, dst: int, guard: Expr, updates: dict[str, Expr],
             errs: list[tuple[Expr, str]], info: StepInfo) -> None:
        if guard.op == "const" and guard.value is False:
            return
        if self.pcs[src] is None:
            self.pcs[src] = PcInfo(info.text, info.stack, info.loc)
        for _, msg in errs:
            self.errors.id(msg)
        self.edges.append(Edge(src, dst, guard, updates, errs, info))

    def stmt(self, s: A.Stmt, p: int, q: int, frame: Frame,
             label: str | None) -> Frame | None:
        """Compile ``s`` from program point p to q; a declaration returns the frame that
        sees the new local (the rest of its block is compiled in it)."""
        deadline.check()
        self.statements += 1
        if self.statements > MAX_STATEMENTS:
            chain = " → ".join(frame.stack) or "its own code"
            raise DesignError(f"task {self.task}'s code inlines to more than "
                              f"{MAX_STATEMENTS:,} statements (inlining {chain})", s.loc,
                              hint="procedure calls are inlined, so a procedure that calls "
                                   "another twice doubles its size at every level")
        if isinstance(s, A.Labeled):
            if s.label in frame.labels:
                raise DesignError(f"label '{s.label}' is defined twice", s.loc)
            frame.labels[s.label] = p
            return self.stmt(s.stmt, p, q, frame, s.label)
        if not isinstance(s, (A.Block, A.While)):
            calls, s = hoist_stmt(s, self.is_proc)
            if calls:
                p, frame = self.run_calls(calls, p, frame)
        if isinstance(s, (A.Local, A.Block, A.Either, A.Choose, A.Jump)) or (
                isinstance(s, A.CallStmt) and not self.is_lock_op(s)):
            self.check_step(label, STEPLESS[type(s).__name__], s.loc)
        if isinstance(s, A.Local):
            return self.declare(s, p, q, frame, label)
        if isinstance(s, A.Jump) and s.kind == "return":
            self.return_stmt(s, p, frame, label)
        elif isinstance(s, A.Block):
            self.seq(s.stmts, p, q, frame)
        elif self.is_typed_add(s) or self.is_typed_run(s):
            (self.typed_add if self.is_typed_add(s) else self.typed_run)(s, p, q, frame, label)  # type: ignore[arg-type]
        elif isinstance(s, A.CallStmt) and not self.is_lock_op(s):
            callee, body = self.inline(s, frame, q)
            self.seq(body, p, q, callee)
        elif isinstance(s, A.If):
            self.if_stmt(s, p, q, frame, label)
        elif isinstance(s, A.While):
            self.while_stmt(s, p, q, frame, label)
        elif isinstance(s, A.Either):
            for i, b in enumerate(s.branches):
                entry = self.new_pc()
                self.emit(p, entry, TRUE, {}, [], self.info(s, frame, label, (f"branch {i + 1}",)))
                self.seq(b.stmts, entry, q, frame)
        elif isinstance(s, A.Choose):
            self.choose_stmt(s, p, q, frame, label)
        elif isinstance(s, A.Jump) and s.kind != "skip":
            self.alias[p] = self.jump_target(s, frame)  # type: ignore[assignment]
            self.alias_loc.setdefault(p, s.loc)
        elif isinstance(s, A.Jump):
            self.alias[p] = q
        else:  # Assign, Assert, Await, Atomic: one action per feasible path
            body = s.body.stmts if isinstance(s, A.Atomic) else (s,)
            text = s.body.text if isinstance(s, A.Atomic) else s.text
            start = Path(TRUE, {}, [], [])
            self.event_checks(label, start, frame)
            paths = self.sym_seq(body, [start], frame, atomic=True)
            for path in paths:
                dst = q if path.exit is None else path.exit
                assert isinstance(dst, int)
                self.emit(p, dst, path.guard, self.changed(path), path.errors,
                          self.info(s, frame, label, tuple(path.notes),
                                    "atomic " + text if isinstance(s, A.Atomic)
                                    else text))
        return None

    def jump_target(self, s: A.Jump, frame: Frame) -> int | LabelRef:
        if s.kind == "return":
            if not isinstance(frame.ret, int):
                raise AssertionError("return token outside atomic")
            return frame.ret
        if s.kind == "goto":
            assert s.target is not None
            return LabelRef(frame.fid, s.target, s.loc)
        if not frame.loops:
            raise DesignError(f"'{s.kind}' outside a while loop", s.loc)
        head, exit_ = frame.loops[-1]
        return exit_ if s.kind == "break" else head

    def if_stmt(self, s: A.If, p: int, q: int, frame: Frame, label: str | None) -> None:
        c = self.low.cond(s.cond, frame.env)
        if c.op == "const":   # decided at compile time: no step
            self.check_step(label, "an if decided when compiled", s.loc)
            if c.value:
                self.seq(s.then.stmts, p, q, frame)
            elif s.other is not None:
                self.stmt(s.other, p, q, frame, None)
            else:
                self.alias[p] = q
            return
        t = self.new_pc()
        ev = self.test_events(label, frame)
        self.emit(p, t, c, {}, list(ev), self.info(s, frame, label, ("-> true",)))
        self.seq(s.then.stmts, t, q, frame)
        if s.other is None:
            self.emit(p, q, op("not", c), {}, list(ev), self.info(s, frame, label, ("-> false",)))
        else:
            e = self.new_pc()
            self.emit(p, e, op("not", c), {}, list(ev), self.info(s, frame, label, ("-> false",)))
            self.stmt(s.other, e, q, frame, None)

    def while_stmt(self, s: A.While, p: int, q: int, frame: Frame, label: str | None) -> None:
        calls, s = hoist_stmt(s, self.is_proc)      # run again before every test
        t, tframe = self.run_calls(calls, p, frame) if calls else (p, frame)
        c = self.low.cond(s.cond, tframe.env)
        if c.op == "const" and not c.value:
            self.alias[t] = q
            return
        b = self.new_pc()
        if c.op == "const":      # while (true): the loop head is not a step of its own
            self.alias[t] = b
            self.alias_loc[t] = s.loc
        else:
            ev = self.test_events(label, frame)
            self.emit(t, b, c, {}, list(ev), self.info(s, frame, label, ("-> true",)))
            self.emit(t, q, op("not", c), {}, list(ev), self.info(s, frame, label, ("-> false",)))
        inner = replace(frame, loops=frame.loops + ((p, q),))
        self.seq(s.body.stmts, b, p, inner)
        frame.labels.update(inner.labels)

    def inline(self, s: A.CallStmt, frame: Frame, ret: Exit,
               ret_var: str | None = None) -> tuple[Frame, tuple[A.Stmt, ...]]:
        sc = self.low.scope
        proc = sc.procedures.get(s.func)
        if proc is None:
            if s.func in sc.defines:
                raise DesignError(f"{s.func}() is a define (a value); it cannot be a statement",
                                  s.loc, hint="use it in a condition or an assignment")
            raise DesignError(f"unknown procedure '{s.func}'", s.loc,
                              hint=did_you_mean(s.func, sc.procedures))
        if len(s.args) != len(proc.params):
            raise DesignError(f"{s.func}() takes {len(proc.params)} argument(s), got {len(s.args)}",
                              s.loc, hint=f"{s.func}({', '.join(proc.params)})")
        if s.func in frame.stack:
            chain = " -> ".join(frame.stack[frame.stack.index(s.func):] + (s.func,))
            raise DesignError(f"recursive call: {chain}", s.loc,
                              hint="procedures are inlined; recursion is not allowed")
        if len(frame.stack) >= MAX_INLINE_DEPTH:
            raise DesignError(f"calls nest more than {MAX_INLINE_DEPTH} deep", s.loc)
        binds: list[tuple[str, Binding]] = [("current", frame.env.lookup("current"))]  # type: ignore[list-item]
        binds += [(p, Thunk(a, frame.env)) for p, a in zip(proc.params, s.args)]
        callee = self.new_frame(Env(tuple(binds)), frame.stack + (s.func,), ret)
        callee.returns, callee.ret_var = self.result_type(proc), ret_var
        return callee, proc.body

    # ------------------------------------------------------------ atomic (symbolic) execution
    def changed(self, path: Path) -> dict[str, Expr]:
        return {k: v for k, v in path.sigma.items() if not (v.op == "var" and v.name == k)}

    def reader(self, path: Path):  # noqa: ANN201 - a closure
        types = self.low.scope.var_types
        return lambda name: path.sigma.get(name) or var(name, types[name])

    def sym_seq(self, stmts: tuple[A.Stmt, ...], paths: list[Path], frame: Frame,
                atomic: bool) -> list[Path]:
        for s in stmts:
            decl = s.stmt if isinstance(s, A.Labeled) else s
            if isinstance(decl, A.Local):
                frame = self.local_frame(decl, frame)
            out: list[Path] = []
            for path in paths:
                if path.exit is not None:
                    out.append(path)
                else:
                    out.extend(self.sym(s, path, frame))
            paths = [pp for pp in out if not (pp.guard.op == "const" and pp.guard.value is False)]
            if len(paths) > MAX_PATHS:
                raise DesignError(f"atomic block has more than {MAX_PATHS} paths", s.loc,
                                  hint="split it into smaller atomic blocks")
        return paths

    def sym(self, s: A.Stmt, path: Path, frame: Frame) -> list[Path]:
        if not isinstance(s, (A.Block, A.Atomic, A.Labeled, A.While)):
            calls, s = hoist_stmt(s, self.is_proc)
            if calls:
                paths, frame = self.sym_calls(calls, path, frame)
                return [x for pp in paths
                        for x in ([pp] if pp.exit is not None else self.sym(s, pp, frame))]
        low, read = self.low, self.reader(path)
        if isinstance(s, (A.Local, A.Jump)) and (isinstance(s, A.Local) or s.value is not None):
            self.sym_value(s, path, frame)
            return [path]
        if isinstance(s, A.Assign):
            self.sym_assign(s, path, frame)
            return [path]
        if isinstance(s, A.Labeled):
            frame.labels.setdefault(s.label, -1)
            self.event_checks(s.label, path, frame)
            return self.sym(s.stmt, path, frame)
        if isinstance(s, (A.Block, A.Atomic)):
            body = s.stmts if isinstance(s, A.Block) else s.body.stmts
            return self.sym_seq(body, [path], frame, True)
        if isinstance(s, A.Await):
            path.guard = op("and", path.guard, low.cond(s.cond, frame.env, read))
            return [path]
        if isinstance(s, A.Assert):
            c = low.cond(s.cond, frame.env, read)
            if not (c.op == "const" and c.value):
                msg = f"assertion failed: {s.text} ({s.loc})"
                path.errors.append((op("not", c), msg))
            return [path]
        if isinstance(s, A.If):
            c = low.cond(s.cond, frame.env, read)
            branches: list[tuple[Expr, tuple[A.Stmt, ...], str]] = [
                (c, s.then.stmts, "true"),
                (op("not", c), (s.other,) if s.other is not None else (), "false")]
            out: list[Path] = []
            for g, body, word in branches:
                if g.op == "const" and not g.value:
                    continue
                pp = path.fork()
                pp.guard = op("and", pp.guard, g)
                if c.op != "const":
                    pp.notes.append(f"{s.text} -> {word}")
                out.extend(self.sym_seq(body, [pp], frame, True))
            return out
        if isinstance(s, A.Either):
            out = []
            for i, b in enumerate(s.branches):
                pp = path.fork()
                pp.notes.append(f"either: branch {i + 1}")
                out.extend(self.sym_seq(b.stmts, [pp], frame, True))
            return out
        if isinstance(s, A.Choose):
            values, conds = self.choose_options(s, frame.env, read)
            out = []
            for (name, v), c in zip(values, conds):
                pp = path.fork()
                pp.guard = op("and", pp.guard, c)
                pp.notes.append(f"{s.text} -> {s.var} = {name}")
                out.extend(self.sym_seq(s.body.stmts, [pp],
                                        replace(frame, env=frame.env.bind([(s.var, v)])), True))
            if s.other is not None:
                pp = path.fork()
                pp.guard = op("and", pp.guard, op("not", op("or", *conds)))
                pp.notes.append(f"{s.text} -> no candidate")
                out.extend(self.sym_seq(s.other.stmts, [pp], frame, True))
            return out
        if self.is_typed_add(s) or self.is_typed_run(s):
            return self.sym_typed(s, path, frame)  # type: ignore[arg-type]
        if self.is_lock_op(s):
            self.sym_lock(s, path, frame)  # type: ignore[arg-type]
            return [path]
        if isinstance(s, A.CallStmt):
            token: RetToken = ("ret", len(self.frames))
            callee, body = self.inline(s, frame, token)
            paths = self.sym_seq(body, [path], callee, True)
            for pp in paths:
                if pp.exit == token:
                    pp.exit = None
            return paths
        if isinstance(s, A.Jump):
            if s.kind == "skip":
                return [path]
            if s.kind == "return":       # to the call site: a pc, or the inlined-call token
                self.check_return(s, frame)
                path.exit = frame.ret
                return [path]
            target = self.jump_target(s, frame)
            if isinstance(target, LabelRef):
                pc = self.new_pc()
                self.alias[pc] = target
                target = pc
            path.exit = target
            return [path]
        if isinstance(s, A.While):
            raise DesignError("a while loop inside atomic { } is not supported: an atomic block "
                              "is one step of the model", s.loc,
                              hint="move the loop outside, or unroll it with if")
        raise AssertionError(s)
