"""Weak memory: the design-level ``memory:`` setting and the TSO store-buffer transformation.

Why an IR-to-IR transformation.  Every engine (explicit, BMC, k-induction, PDR), the replay
and both exports read the same IR Model, so a memory model written once here, after the
statements are lowered and before tlamodel.reduce merges private steps, is checked the same
way by all of them and no engine needs to know about it.

``memory: sc`` (the default) leaves the model alone.  ``memory: tso`` is x86-TSO (Owens,
Sarkar, Sewell, "A better x86 memory model: x86-TSO", TPHOLs 2009) on the variables marked
``shared: true``:

* every task has a FIFO store buffer of ``store_buffer`` entries (default 2): slot k is an
  enum variable ``T.sb[k]`` naming the location it holds (``empty`` or a shared variable T
  writes) and, per location, a value variable ``T.sb[k].x`` (the default value while the
  slot does not hold x, so equal buffers are equal states); occupied slots are a prefix;
* a store to a shared variable appends to the writer's buffer; a full buffer blocks the
  store until a flush made room (sound for TSO: a full buffer only forces a flush first);
* a load reads the writer's newest buffered value of that variable, else memory
  (store forwarding);
* a flush commits the task's oldest entry to memory: one action per task, location and
  value the task stores there (``flush x=1``; one per location when a store's value is not
  a constant and the type has more than SPLIT_FLUSH values), so a
  trace says which value reached memory when; flushes are the task's own actions and
  interleave like any step;
* full barriers wait until the task's buffer is empty and then read and write memory
  directly: every ``atomic { }`` block (a locked instruction: x86's ``smp_mb()`` is itself
  ``lock; addl $0,-4(%rsp)``, and every atomic RMW -- test_and_set_bit, cmpxchg, xchg, even
  set_bit -- is a locked instruction on x86) and every lock acquire or release.

Everything not marked shared (task-private flags, ghost counters properties read, locals,
program counters) stays sequentially consistent: marking is opt-in because the designs keep
bookkeeping variables that are not kernel memory, and every buffered variable costs state.

Reduction.  The buffer variables are made observable (Model.observable), so no store or
load of a shared variable is merged with its neighbours, and a flush (which reads and
writes only buffers and memory) commutes with every merged private step of any task.

Liveness caveat.  A flush belongs to its task, so weak fairness of tasks does not force a
buffer to drain while the task can do something else for ever; liveness verdicts under
``tso`` may therefore report a lasso in which a store is never flushed.
"""
from __future__ import annotations

import weakref

from dataclasses import replace
from pathlib import Path
from typing import Any

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import (Action, EnumType, Expr, Model, SourceLoc, StepInfo,
                                   Type, VarDecl, const, domain, show_expr, show_value, var)
from flagcheck.tlamodel.records import SpecFile, VarSpec
from flagcheck.tlamodel.scope import default_value, is_lock

MODELS = ("sc", "tso", "lkmm")
#: library barriers (lib/barriers.yaml) that are ``atomic { skip; }`` steps only so that
#: ``lkmm`` can see them: none of them is a locked instruction on x86, so not a TSO fence
WEAK_BARRIERS = ("smp_wmb", "smp_rmb", "smp_mb__before_atomic", "smp_mb__after_atomic",
                 "smp_store_release", "smp_load_acquire")
#: library RMWs that return nothing, or whose value is dropped (the _relaxed variants):
#: locked (fully ordered) on x86, unordered in the kernel's model (tlamodel.weakmem_lkmm)
UNORDERED_RMW = ("set_bit", "clear_bit", "xchg_relaxed")
DEFAULT_BUFFER = 2
MAX_BUFFER = 8
#: a location with at most this many values gets one flush action per value ("flush x=1")
SPLIT_FLUSH = 8


# ---------------------------------------------------------------- the design keys
def read_memory(doc: Any, top: Any, spec: SpecFile) -> None:
    """``memory:`` and ``store_buffer:`` of a design file (tlamodel.spec calls this)."""
    if "memory" in top:
        m = top["memory"]
        loc = doc.value_loc(top, "memory")
        if not isinstance(m, str) or m not in MODELS:
            raise DesignError(f"unknown memory model {m!r}", loc, hint="use sc, tso or lkmm")
        spec.memory = (m, loc)
    if "store_buffer" in top:
        b = top["store_buffer"]
        if not isinstance(b, int) or isinstance(b, bool) or not 1 <= b <= MAX_BUFFER:
            raise DesignError(f"'store_buffer' must be a whole number of entries "
                              f"(1..{MAX_BUFFER})", doc.value_loc(top, "store_buffer"))
        spec.store_buffer = b


#: per design load (its resolver), (file, mtime, size) -> that file's SpecFile:
#: memory_of() runs for every model a design builds, and parsing lib/linux-base.yaml
#: again each time cost as much as the model.  Kept per resolver, not per process: a
#: SpecFile holds its path as shown (relative to the folder the run started in) and its
#: resolver's allowed folders, so one read in another run (another cwd) does not apply.
_READ: "weakref.WeakKeyDictionary[Any, dict[tuple[str, int, int], SpecFile]]" = \
    weakref.WeakKeyDictionary()


def _read(design: Any, path: Path) -> SpecFile:
    from flagcheck.tlamodel.resolve import _shown   # resolve imports spec, which imports us
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    mine = _READ.setdefault(design.resolver, {})
    if key not in mine:
        mine[key] = design.resolver.read(path, _shown(path))   # as tlamodel.inherit does
    return mine[key]


def _setting(design: Any, spec: SpecFile, key: str, seen: set[str]) -> Any:
    """The design's own ``key``, else the first of its base designs' (depth first): a
    variant that extends a ``memory: tso`` design is checked under TSO too."""
    own = getattr(spec, key)
    if own is not None or spec.path in seen:
        return own
    seen.add(spec.path)
    for ref, loc in spec.extends:
        base = _read(design, design.resolver.find(ref, spec.path, loc, "extends"))
        if base.kind == "design":
            got = _setting(design, base, key, seen)
            if got is not None:
                return got
    return None


def memory_of(design: Any) -> tuple[str, SourceLoc | None, int]:
    """(model, where it was set, store buffer length) of a design (tlamodel.load.Design)."""
    m = _setting(design, design.spec, "memory", set())
    n = _setting(design, design.spec, "store_buffer", set())
    name, loc = m if m is not None else ("sc", None)
    return name, loc, n if n is not None else DEFAULT_BUFFER


def shared_vars(model: Model, state: dict[str, VarSpec]) -> list[str]:
    """Names of the model's variables declared ``shared: true`` (``state``: the design's
    merged declarations with the scenario's own, keyed ``scope/name``)."""
    out = []
    for d in model.vars:
        if d.internal or is_lock(d.type):
            continue
        if d.owner is None:
            spec = state.get(f"global/{d.name}")
        else:
            kind = "task" if d.owner in model.tasks else "group"
            spec = state.get(f"{kind}/{d.field}")
            if d.name != f"{d.owner}.{d.field}":
                spec = None   # a local's slot or a task_work slot, not a declared field
        if spec is not None and spec.shared:
            out.append(d.name)
    return out


def apply_memory(design: Any, scen: SpecFile, model: Model) -> Model:
    """The model under the design's memory setting (tlamodel.load.Design.model calls this)."""
    name, loc, depth = memory_of(design)
    if name == "sc":
        return model
    shared = shared_vars(model, {**design.merged.state, **scen.state})
    if not shared:
        raise DesignError(f"memory: {name} but no state variable is marked 'shared: true'", loc,
                          hint="mark the kernel memory the tasks race on, e.g. "
                               "cond: {type: bool, shared: true}")
    if name == "lkmm":
        from flagcheck.tlamodel.weakmem_lkmm import to_lkmm   # it imports this module
        return to_lkmm(model, shared, depth)
    return to_tso(model, shared, depth)


# ---------------------------------------------------------------- the transformation
def is_fence(a: Action, types: dict[str, Type]) -> bool:
    """A full barrier under TSO: an ``atomic { }`` block (a locked instruction) or a lock
    operation (acquire and release are locked instructions on x86)."""
    if a.info.stack and a.info.stack[-1] in WEAK_BARRIERS:
        return False
    if a.info.text.startswith("atomic "):
        return True
    return any(is_lock(types[n]) for n, _ in a.updates if n in types)


class _Buffer:
    """One task's store buffer: its variables and the expressions over them."""

    def __init__(self, task: str, locs: list[str], depth: int, types: dict[str, Type]):
        self.task, self.locs, self.depth, self.types = task, locs, depth, types
        self.enum = EnumType(f"{task}_sb", ("empty",) + tuple(locs))
        self.decls: list[VarDecl] = []
        for k in range(depth):
            self.decls.append(VarDecl(self.addr_name(k), self.enum, owner=task, field=f"sb[{k}]"))
            for x in locs:
                self.decls.append(VarDecl(self.val_name(k, x), types[x], owner=task,
                                          field=f"sb[{k}].{x}"))

    def addr_name(self, k: int) -> str:
        return f"{self.task}.sb[{k}]"

    def val_name(self, k: int, x: str) -> str:
        return f"{self.task}.sb[{k}].{x}"

    def addr(self, k: int) -> Expr:
        return var(self.addr_name(k), self.enum)

    def val(self, k: int, x: str) -> Expr:
        return var(self.val_name(k, x), self.types[x])

    def holds(self, k: int, x: str) -> Expr:
        return op("eq", self.addr(k), const(self.locs.index(x) + 1, self.enum))

    def is_empty(self, k: int) -> Expr:
        return op("eq", self.addr(k), const(0, self.enum))

    def first_free(self, k: int) -> Expr:
        """Slot k is where the next store goes: empty, and k == 0 or slot k-1 is full."""
        if k == 0:
            return self.is_empty(0)
        return op("and", self.is_empty(k), op("not", self.is_empty(k - 1)))

    def forward(self, x: str) -> Expr:
        """The task's view of x: its newest buffered value, else memory."""
        out: Expr = var(x, self.types[x])
        for k in range(self.depth):
            out = op("ite", self.holds(k, x), self.val(k, x), out, ty=self.types[x])
        return out

    def append(self, writes: list[tuple[str, Expr]]) -> tuple[Expr, dict[str, Expr]]:
        """The guard (room for every write) and the updates that append ``writes``, in
        order, at the end of the buffer."""
        m = len(writes)
        room = self.is_empty(self.depth - m)
        upd: dict[str, Expr] = {}
        for k in range(self.depth):
            addr: Expr = self.addr(k)
            vals = {x: self.val(k, x) for x in self.locs}
            for j, (x, e) in reversed(list(enumerate(writes))):
                if k - j < 0:
                    continue
                here = self.first_free(k - j)
                addr = op("ite", here, const(self.locs.index(x) + 1, self.enum), addr,
                          ty=self.enum)
                vals[x] = op("ite", here, e, vals[x], ty=self.types[x])
            upd[self.addr_name(k)] = addr
            for x, e in vals.items():
                if e != self.val(k, x):
                    upd[self.val_name(k, x)] = e
        return room, upd

    def flush(self, x: str) -> dict[str, Expr]:
        """Commit the oldest entry (which holds x) to memory and shift the rest down."""
        upd: dict[str, Expr] = {x: self.val(0, x)}
        for k in range(self.depth):
            last = k == self.depth - 1
            upd[self.addr_name(k)] = const(0, self.enum) if last else self.addr(k + 1)
            for y in self.locs:
                upd[self.val_name(k, y)] = (const(default_value(self.types[y]), self.types[y])
                                            if last else self.val(k + 1, y))
        return upd


def _subst(e: Expr, sigma: dict[str, Expr]) -> Expr:
    from flagcheck.tlamodel.reduce import subst   # reduce imports nothing from here
    return subst(e, sigma, {})


def _store_text(a: Action, writes: list[tuple[str, Expr]]) -> str:
    shown = ", ".join(f"{x}={show_expr(e)}" for x, e in writes)
    return f"{a.info.text}  // store {shown} buffered"


def to_tso(model: Model, shared: list[str], depth: int) -> Model:
    """``model`` with x86-TSO store buffers of ``depth`` entries on ``shared`` (see the
    module docstring)."""
    types = {d.name: d.type for d in model.vars}
    sset = set(shared)
    err_ok = (op("eq", var(model.error_var, types[model.error_var]),
                 const(0, types[model.error_var])) if model.error_var else None)
    writes_of: dict[str, list[str]] = {t: [] for t in model.tasks}
    for a in model.actions:
        if not is_fence(a, types):
            for n, _ in a.updates:
                if n in sset and n not in writes_of[a.task]:
                    writes_of[a.task].append(n)
    buffers = {t: _Buffer(t, sorted(ws, key=shared.index), depth, types)
               for t, ws in writes_of.items() if ws}
    #: (task, location) -> the values its buffered stores can write; None: any value
    stored: dict[tuple[str, str], set[Any] | None] = {}
    for a in model.actions:
        if a.task in buffers and not is_fence(a, types):
            for n, e in a.updates:
                if n in sset:
                    seen = stored.setdefault((a.task, n), set())
                    if seen is not None:
                        stored[(a.task, n)] = seen | {e.value} if e.op == "const" else None
    actions: list[Action] = []
    for a in model.actions:
        buf = buffers.get(a.task)
        if buf is None:
            actions.append(a)     # a task that stores nothing buffered reads memory: SC
            continue
        if is_fence(a, types):
            drained = buf.is_empty(0)
            actions.append(replace(a, guard=op("and", drained, a.guard)))
            continue
        sigma = {x: buf.forward(x) for x in buf.locs}
        guard = _subst(a.guard, sigma)
        writes = [(n, _subst(e, sigma)) for n, e in a.updates if n in sset]
        upd = {n: _subst(e, sigma) for n, e in a.updates if n not in sset}
        info = a.info
        if writes:
            if len(writes) > depth:
                raise DesignError(f"one step stores {len(writes)} shared variables but the "
                                  f"store buffer holds {depth}", a.info.loc,
                                  hint=f"store_buffer: {len(writes)}")
            room, more = buf.append(writes)
            guard = op("and", guard, room)
            upd.update(more)
            info = replace(info, text=_store_text(a, [(n, e) for n, e in a.updates
                                                      if n in sset]))
        actions.append(replace(a, guard=guard, updates=tuple(upd.items()), info=info))
    for t, buf in buffers.items():
        for x in buf.locs:
            guard = buf.holds(0, x) if err_ok is None else op("and", err_ok, buf.holds(0, x))
            ty = types[x]
            known = stored.get((t, x))
            values = domain(ty) if known is None else tuple(sorted(known))
            if len(values) > SPLIT_FLUSH:
                actions.append(Action(0, t, guard, tuple(buf.flush(x).items()),
                                      StepInfo(f"flush {x}", stack=("store buffer",))))
                continue
            # one flush per value, so the trace says which value reached memory
            for v in values:
                upd = buf.flush(x)
                upd[x] = const(v, ty)
                actions.append(Action(0, t, op("and", guard, op("eq", buf.val(0, x),
                                                                const(v, ty))),
                                      tuple(upd.items()),
                                      StepInfo(f"flush {x}={show_value(ty, v)}",
                                               stack=("store buffer",))))
    decls = [d for b in buffers.values() for d in b.decls]
    init = [(default_value(d.type),) for d in decls]
    meta = dict(model.meta)
    meta["memory"] = f"tso (store buffer {depth})"
    return replace(model, vars=model.vars + tuple(decls), init=model.init + tuple(init),
                   actions=tuple(replace(a, index=i) for i, a in enumerate(actions)),
                   meta=meta, observable=model.observable | {d.name for d in decls})




def unfair_flushes(model: Model, actions: tuple[int, ...], states: tuple[tuple[Any, ...], ...],
                   loop_start: int) -> list[str]:
    """Tasks whose store buffer a lasso never drains: non-empty in every loop state and no
    flush of that task in the loop.  Weak fairness of tasks allows such a lasso (the task
    keeps stepping otherwise), x86-TSO does not (a buffer drains eventually), so a liveness
    counterexample that needs one is no TSO behaviour (checker.verify makes it unknown)."""
    idx = model.var_index()
    n = len(actions)
    loop = states[loop_start:n] if loop_start < n else states[n:]
    flushed = {model.actions[a].task for a in actions[loop_start:]
               if model.actions[a].info.stack == ("store buffer",)}
    out = []
    for t in model.tasks:
        # tso: the head slot names a location; lkmm: one count per location
        heads = [i for name, i in idx.items() if name == f"{t}.sb[0]" or
                 (name.startswith(f"{t}.sb.") and name.endswith(".n"))]
        if heads and t not in flushed and loop and \
                all(any(s[h] != 0 for h in heads) for s in loop):
            out.append(t)
    return out
