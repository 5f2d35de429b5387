"""``memory: lkmm``: an operational approximation of the Linux-kernel memory model, as an
IR-to-IR transformation like tlamodel.weakmem's TSO (docs/weak-memory.md has the argument).

Why this shape: the kernel's model lets a CPU reorder plain accesses to different locations
unless a barrier, a dependency or release/acquire orders them.  Two mechanisms cover the
reorderings its litmus tests exercise:

* **per-location store buffers** (PSO): a task's stores to one location stay in order, stores
  to different locations reach memory in any order (store-store reordering: MP, S), and a
  task's own loads read its newest buffered value (store-load reordering: SB, R);
* **a reordering window of two** for loads: a load followed by an access to another location
  that does not depend on it (no variable the one writes is read or written by the other, so
  a control dependency -- the ``if`` that tests the loaded register -- keeps its order) may be
  performed second: an extra program point "the later access done early" (load-load and
  load-store reordering: MP's reader, LB, WRC, IRIW).

Barriers, recognised by the library procedure a step is inlined from (lib/barriers.yaml):
``smp_mb()`` and every ``atomic { }`` block and lock operation wait until all of the task's
buffers are empty and are never reordered; ``smp_wmb()`` waits for empty buffers too (stronger
than the kernel's: it also orders earlier stores before later loads); ``smp_rmb()`` is a step
between two loads, so they are not adjacent and not swapped; ``smp_store_release()`` waits
for empty buffers (earlier stores visible first) and is never swapped with an earlier
access; ``smp_load_acquire()`` is never swapped with a later access.

Approximations: memory stays multicopy atomic (one memory), and only adjacent accesses swap,
so some outcomes the kernel allows are missed (a non-multicopy-atomic propagation seen with
the readers ordered, a reordering across two or more accesses); every ``atomic { }`` block is
fully ordered, so unordered RMWs (set_bit, clear_bit, atomic_inc) are stronger here than in
the kernel.  The litmus tests in tests/tlamodel/fixtures/weakmem/ all give their Result.
"""
from __future__ import annotations

from dataclasses import replace

from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import (TRUE, Action, Expr, IntType, Model, PcInfo, StepInfo, Type,
                                   VarDecl, const, domain, free_vars, show_value, var)
from flagcheck.tlamodel.scope import default_value
from flagcheck.tlamodel.weakmem import SPLIT_FLUSH, UNORDERED_RMW, WEAK_BARRIERS, _subst, is_fence

#: how a step orders memory, by the library procedure it comes from
RELEASE, ACQUIRE = "smp_store_release", "smp_load_acquire"


def step_kind(a: Action, types: dict[str, Type]) -> str:
    """``fence`` (waits for empty buffers, never reordered), ``wmb``, ``rmb``, ``release``,
    ``acquire`` or ``plain``."""
    top = a.info.stack[-1] if a.info.stack else ""
    if top == RELEASE:
        return "release"
    if top == ACQUIRE:
        return "acquire"
    if top == "smp_wmb":
        return "wmb"
    if top in ("smp_mb__before_atomic", "smp_mb__after_atomic"):
        return "fence"     # full barriers next to an unordered RMW
    if top in WEAK_BARRIERS:
        return "rmb"
    if top in UNORDERED_RMW:
        return "rmw"
    return "fence" if is_fence(a, types) else "plain"


class _Buffers:
    """One task's per-location store buffers: ``T.sb.x.n`` entries in ``T.sb.x[k]``."""

    def __init__(self, task: str, locs: list[str], depth: int, types: dict[str, Type]):
        self.task, self.locs, self.depth, self.types = task, locs, depth, types
        self.cnt = IntType(0, depth)
        self.decls: list[VarDecl] = []
        for x in locs:
            self.decls.append(VarDecl(self.n_name(x), self.cnt, owner=task, field=f"sb.{x}.n"))
            for k in range(depth):
                self.decls.append(VarDecl(self.slot_name(x, k), types[x], owner=task,
                                          field=f"sb.{x}[{k}]"))

    def n_name(self, x: str) -> str:
        return f"{self.task}.sb.{x}.n"

    def slot_name(self, x: str, k: int) -> str:
        return f"{self.task}.sb.{x}[{k}]"

    def n(self, x: str) -> Expr:
        return var(self.n_name(x), self.cnt)

    def slot(self, x: str, k: int) -> Expr:
        return var(self.slot_name(x, k), self.types[x])

    def n_is(self, x: str, k: int) -> Expr:
        return op("eq", self.n(x), const(k, self.cnt))

    def drained(self) -> Expr:
        return op("and", *(self.n_is(x, 0) for x in self.locs))

    def forward(self, x: str) -> Expr:
        out: Expr = var(x, self.types[x])
        for k in range(self.depth):
            out = op("ite", self.n_is(x, k + 1), self.slot(x, k), out, ty=self.types[x])
        return out

    def store(self, x: str, e: Expr) -> tuple[Expr, dict[str, Expr]]:
        upd = {self.n_name(x): op("add", self.n(x), const(1, self.cnt), ty=self.cnt)}
        for k in range(self.depth):
            upd[self.slot_name(x, k)] = op("ite", self.n_is(x, k), e, self.slot(x, k),
                                           ty=self.types[x])
        return op("not", self.n_is(x, self.depth)), upd

    def flush(self, x: str) -> dict[str, Expr]:
        upd: dict[str, Expr] = {x: self.slot(x, 0),
                                self.n_name(x): op("sub", self.n(x), const(1, self.cnt),
                                                   ty=self.cnt)}
        for k in range(self.depth):
            last = k == self.depth - 1
            upd[self.slot_name(x, k)] = (const(default_value(self.types[x]), self.types[x])
                                         if last else self.slot(x, k + 1))
        return upd


def _accesses(a: Action, shared: set[str]) -> tuple[set[str], set[str]]:
    """(shared variables read, shared variables written) by an action."""
    reads = set(free_vars(a.guard))
    for _, e in a.updates:
        reads |= free_vars(e)
    return reads & shared, {n for n, _ in a.updates} & shared


def _window(model: Model, shared: set[str], types: dict[str, Type]) -> Model:
    """Add, for every eligible adjacent pair "load a; access b" of a task, the order
    "b; a" through a new program point (see the module docstring)."""
    pcs = {t: (pc, infos) for t, pc, infos in model.pcs}
    new_actions = list(model.actions)
    new_pcs: dict[str, list[PcInfo]] = {t: list(infos) for t, (_, infos) in pcs.items()}
    err = model.error_var
    for t, (pc, _) in pcs.items():
        mine = [a for a in model.actions if a.task == t]
        src = {id(a): _pc_of(a.guard, pc) for a in mine}
        dst = {id(a): _pc_dst(a, pc) for a in mine}
        out: dict[int | None, list[Action]] = {}
        for a in mine:
            out.setdefault(src[id(a)], []).append(a)
        for a in mine:
            p, q = src[id(a)], dst[id(a)]
            if p is None or q is None or p == q or len(out.get(p, [])) != 1:
                continue
            succ = out.get(q, [])
            if not succ or not all(_swappable(a, b, pc, err, shared, types) and
                                   dst[id(b)] not in (None, q) for b in succ):
                continue
            for b in succ:
                r = dst[id(b)]
                assert r is not None
                _swap(a, b, p, q, r, t, pc, model, new_pcs, new_actions)
    widened = {pc: IntType(0, len(new_pcs[t]) - 1) for t, (pc, _) in pcs.items()}
    vars_ = tuple(replace(d, type=widened[d.name]) if d.name in widened else d
                  for d in model.vars)
    return replace(model, vars=vars_, actions=tuple(new_actions),
                   pcs=tuple((t, pc, tuple(new_pcs[t])) for t, pc, _ in model.pcs))


def _swappable(a: Action, b: Action, pc: str, err: str | None, shared: set[str],
               types: dict[str, Type]) -> bool:
    """Whether ``b`` may be performed before ``a`` (the module docstring's window): a is a
    plain load or an unordered RMW, b a plain access to another location, no dependency."""
    if step_kind(a, types) not in ("plain", "rmw") or step_kind(b, types) != "plain":
        return False
    ra, wa = _accesses(a, shared)
    rb, wb = _accesses(b, shared)
    if not (ra | wa) or not (rb | wb) or (ra | wa) & (rb | wb):
        return False
    if step_kind(a, types) == "plain" and (wa or not ra):
        return False     # a plain store before b: the store buffers already reorder it
    if any(n == err for n, _ in a.updates + b.updates):
        return False
    write_a = {n for n, _ in a.updates} - {pc}
    write_b = {n for n, _ in b.updates} - {pc}
    read_a = set(free_vars(a.guard)).union(*(free_vars(e) for _, e in a.updates))
    read_b = set(free_vars(b.guard)).union(*(free_vars(e) for _, e in b.updates))
    # a dependency (data or control: a test of the loaded register) keeps the order
    return not (write_a & (read_b | write_b) or write_b & read_a)


def _swap(a: Action, b: Action, p: int, q: int, r: int, t: str, pc: str, model: Model,
          new_pcs: dict[str, list[PcInfo]], new_actions: list[Action]) -> None:
    """Add "b early (p -> mid), then a (mid -> r)"."""
    pty = next(d.type for d in model.vars if d.name == pc)
    mid = len(new_pcs[t])
    new_pcs[t].append(PcInfo(f"{b.info.text} (done early); then {a.info.text}",
                             b.info.stack, b.info.loc))
    pcv = var(pc, pty)
    g_b = op("and", op("eq", pcv, const(p, pty)), _subst(b.guard, {pc: const(q, pty)}))
    upd_b = tuple((n, const(mid, pty) if n == pc else e) for n, e in b.updates)
    g_a = op("and", op("eq", pcv, const(mid, pty)),
             _subst(a.guard, {pc: const(p, pty)}))
    upd_a = tuple((n, const(r, pty) if n == pc else e) for n, e in a.updates)
    new_actions.append(Action(0, t, g_b, upd_b, replace(
        b.info, text=f"{b.info.text}  // early, before '{a.info.text}'")))
    new_actions.append(Action(0, t, g_a, upd_a, replace(
        a.info, text=f"{a.info.text}  // after the early '{b.info.text}'")))


def _pc_of(guard: Expr, pc: str) -> int | None:
    from flagcheck.tlamodel.ir import pc_value
    return pc_value(guard, pc)


def _pc_dst(a: Action, pc: str) -> int | None:
    for n, e in a.updates:
        if n == pc and e.op == "const":
            return int(e.value)  # type: ignore[arg-type]
    return None


def to_lkmm(model: Model, shared: list[str], depth: int) -> Model:
    """``model`` under the approximation of the module docstring."""
    types = {d.name: d.type for d in model.vars}
    sset = set(shared)
    model = _window(model, sset, types)
    types = {d.name: d.type for d in model.vars}
    err_ok = (op("eq", var(model.error_var, types[model.error_var]),
                 const(0, types[model.error_var])) if model.error_var else TRUE)
    writes: dict[str, list[str]] = {t: [] for t in model.tasks}
    stored: dict[tuple[str, str], set | None] = {}
    for a in model.actions:
        if step_kind(a, types) not in ("fence", "rmw"):
            for n, e in a.updates:
                if n in sset:
                    if n not in writes[a.task]:
                        writes[a.task].append(n)
                    seen = stored.setdefault((a.task, n), set())
                    if seen is not None:
                        stored[(a.task, n)] = seen | {e.value} if e.op == "const" else None
    bufs = {t: _Buffers(t, sorted(ws, key=shared.index), depth, types)
            for t, ws in writes.items() if ws}
    actions: list[Action] = []
    for a in model.actions:
        buf = bufs.get(a.task)
        kind = step_kind(a, types)
        if buf is None:
            actions.append(a)
            continue
        if kind in ("fence", "wmb"):
            actions.append(replace(a, guard=op("and", buf.drained(), a.guard)))
            continue
        if kind == "rmw":
            # an unordered RMW acts on memory at once, after this task's own buffered stores
            # to its location (coherence), and orders nothing else
            mine = {n for n, _ in a.updates} & set(buf.locs)
            others = {x: buf.forward(x) for x in buf.locs if x not in mine}
            guard = op("and", *(buf.n_is(x, 0) for x in sorted(mine)),
                       _subst(a.guard, others))
            actions.append(replace(a, guard=guard, updates=tuple(
                (n, _subst(e, others)) for n, e in a.updates)))
            continue
        sigma = {x: buf.forward(x) for x in buf.locs}
        guard = _subst(a.guard, sigma)
        if kind == "release":
            guard = op("and", buf.drained(), guard)
        upd: dict[str, Expr] = {}
        shown = []
        for n, e in a.updates:
            e2 = _subst(e, sigma)
            if n in sset:
                room, more = buf.store(n, e2)
                guard = op("and", guard, room)
                upd.update(more)
                shown.append(f"{n}={e}")
            else:
                upd[n] = e2
        info = a.info
        if shown:
            info = replace(info, text=f"{a.info.text}  // store {', '.join(shown)} buffered")
        actions.append(replace(a, guard=guard, updates=tuple(upd.items()), info=info))
    for t, buf in bufs.items():
        for x in buf.locs:
            ty = types[x]
            known = stored.get((t, x))
            values = domain(ty) if known is None else tuple(sorted(known))
            head = op("and", err_ok, op("not", buf.n_is(x, 0)))
            if len(values) > SPLIT_FLUSH:
                actions.append(Action(0, t, head, tuple(buf.flush(x).items()),
                                      StepInfo(f"flush {x}", stack=("store buffer",))))
                continue
            for v in values:
                upd = buf.flush(x)
                upd[x] = const(v, ty)
                actions.append(Action(0, t, op("and", head, op("eq", buf.slot(x, 0), const(v, ty))),
                                      tuple(upd.items()),
                                      StepInfo(f"flush {x}={show_value(ty, v)}",
                                               stack=("store buffer",))))
    decls = [d for b in bufs.values() for d in b.decls]
    meta = dict(model.meta)
    meta["memory"] = f"lkmm (per-location store buffers of {depth}, a load window of two)"
    return replace(model, vars=model.vars + tuple(decls),
                   init=model.init + tuple((default_value(d.type),) for d in decls),
                   actions=tuple(replace(a, index=i) for i, a in enumerate(actions)),
                   meta=meta, observable=model.observable | {d.name for d in decls})
