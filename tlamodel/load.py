"""Entry point of the front end: a design file in, one IR Model per scenario out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from flagcheck.tlamodel.cfg import ErrorRegistry, TaskCompiler
from flagcheck.tlamodel.cfg_locals import reset_dead
from flagcheck.tlamodel.cfg_lock import MISUSE
from flagcheck.tlamodel.cfg_taskwork import make_queue, typed_adds
from flagcheck.tlamodel.cfg_events import event_flag
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.inherit import inherit
from flagcheck.tlamodel.ir import (BOOL, Action, DeadlockFree, EnumType, Expr, IntType, Invariant, Liveness,
                         Model,
                         PcInfo, Property, SourceLoc, VarDecl, const, free_vars, var)
from flagcheck.tlamodel.params import Overrides
from flagcheck.tlamodel.lower import Env, Lowerer, same_kind, type_name
from flagcheck.tlamodel.records import Expectation, PropSpec, SpecFile
from flagcheck.tlamodel.resolve import Merged, Resolver
from flagcheck.tlamodel.scope import Scope, build_scope, default_value, flat_vars, is_lock
from flagcheck.tlamodel.usage import stmt_calls
from flagcheck.tlamodel.weakmem import apply_memory

ASSERTIONS = "assertions"
#: the built-in property of locks (tlamodel.cfg_lock): reported when the model takes a lock
LOCK_MISUSE = "lock_misuse"
BUILTIN_PROPERTIES = (ASSERTIONS, LOCK_MISUSE)
DEFAULT_BOUND = 40


@dataclass
class Design:
    """A design with its merged definitions and the scenarios it is checked against."""
    spec: SpecFile
    merged: Merged
    scenarios: list[SpecFile]
    resolver: Resolver
    #: expectations after inheritance (tlamodel.inherit); None: the file's own ``expect:``
    expectations: list[Expectation] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def bound(self) -> int:
        return self.spec.bound if self.spec.bound is not None else DEFAULT_BOUND

    @property
    def expect(self) -> list[Expectation]:
        return self.spec.expect if self.expectations is None else self.expectations

    def lists(self, scenario: SpecFile) -> bool:
        """Whether ``scenario`` is one of the design's own (listed or inherited) scenarios:
        only those have expectations; a file from elsewhere may share a name only."""
        return any(s is scenario for s in self.scenarios)

    def expected(self, scenario: SpecFile) -> dict[str, Expectation]:
        """Expected verdicts of ``scenario``, by property."""
        if not self.lists(scenario):
            return {}
        return {e.prop: e for e in self.expect if e.scenario == scenario.name}

    def scenario(self, ref: str) -> SpecFile:
        """A listed/inherited scenario by name or path, else any scenario file."""
        for s in self.scenarios:
            if ref in (s.name, s.path) or Path(s.path).resolve() == Path(ref).resolve():
                return s
        p = Path(ref)
        if p.suffix in (".yaml", ".yml") or len(p.parts) > 1:
            if not p.is_file():
                raise DesignError(f"scenario file {ref!r} not found")
            spec = self.resolver.read(p, str(p))
            if spec.kind != "scenario":
                raise DesignError(f"{ref} is a {spec.kind} file, not a scenario")
            return spec
        names = [s.name for s in self.scenarios]
        raise DesignError(f"design {self.name} has no scenario '{ref}'",
                          hint=did_you_mean(ref, names) or
                          ("known: " + ", ".join(names) if names else
                           "it lists none; pass a scenario file: --scenario path/to/scenario.yaml"))

    @property
    def params(self) -> Mapping[str, int]:
        """The run's ``--param`` values this design was loaded with."""
        return self.resolver.overrides.values

    def check_params(self, others: Iterable["Design"] = ()) -> None:
        """Refuse a ``--param`` that no file read for this design (or ``others``, the
        run's other designs) declares."""
        self.resolver.overrides.check_declared(
            n for d in others for n in d.resolver.overrides.declared)

    def checked_properties(self) -> list[str]:
        if self.spec.check is not None:
            for name, loc in self.spec.check:
                if name not in self.merged.properties and name not in BUILTIN_PROPERTIES:
                    raise DesignError(f"unknown property '{name}'", loc,
                                      hint=did_you_mean(name, self.merged.properties))
            return [n for n, _ in self.spec.check]
        return list(self.merged.properties)

    def skipped(self, scenario: SpecFile) -> dict[str, str]:
        """Properties the scenario declares meaningless for itself, with the reason."""
        for name, (_, loc) in scenario.skip.items():
            if name not in self.merged.properties and name not in BUILTIN_PROPERTIES:
                raise DesignError(f"skip: unknown property '{name}'", loc,
                                  hint=did_you_mean(name, self.merged.properties))
        return {k: why for k, (why, _) in scenario.skip.items()}

    def model(self, scenario: SpecFile, properties: tuple[str, ...] = ()) -> Model:
        """The model of one scenario; ``properties`` (if given) replaces the check: list."""
        try:
            # the memory model (tlamodel.weakmem) rewrites the lowered model, for every engine
            return apply_memory(self, scenario, build_model(self, scenario, properties))
        except RecursionError:
            raise _too_deep(f"design {self.name} with scenario {scenario.name}") from None


def _too_deep(what: str) -> DesignError:
    return DesignError(f"{what} nests too deeply (expressions, blocks or YAML more than a few "
                       "hundred levels deep)", hint="split it into smaller definitions")


def load_design(path: str | Path, allow_paths: tuple[Path, ...] = (),
                params: Mapping[str, int] | None = None) -> Design:
    """The design at ``path`` with its scenarios; ``params`` are the run's ``--param``
    values (tlamodel.params).  Whether every one of them is declared is checked by the
    caller once it has read the scenarios it runs (``Design.check_params``): a scenario
    file given on the command line may be the one that declares it."""
    try:
        return _load_design(path, allow_paths, Overrides(dict(params or {})))
    except RecursionError:
        raise _too_deep(str(path)) from None


def _load_design(path: str | Path, allow_paths: tuple[Path, ...], overrides: Overrides) -> Design:
    p = Path(path)
    resolver = Resolver(p, allow_paths, overrides)
    spec = resolver.read(p, str(path))
    if spec.kind == "scenario":
        raise DesignError(f"{path} is a scenario; verify a design that lists it",
                          spec.loc, hint="flagcheck verify DESIGN.yaml --scenario " + str(path))
    merged = resolver.merged(spec)
    inherited = inherit(resolver, spec)
    scenarios = list(inherited.scenarios)
    checked = None if spec.check is None else [n for n, _ in spec.check]
    own = {(e.scenario, e.prop) for e in inherited.own_expect}
    # an inherited expectation of a property this design does not check is not an error
    # of this design (it is its base's); it just does not apply here
    expectations = [e for e in inherited.expect
                    if (e.scenario, e.prop) in own or checked is None or e.prop in checked]
    for e in inherited.own_expect:
        if e.prop not in merged.properties and e.prop not in BUILTIN_PROPERTIES:
            raise DesignError(f"expect: unknown property '{e.prop}'", e.prop_loc or e.loc,
                              hint=did_you_mean(e.prop, merged.properties))
        if spec.check is not None and e.prop not in [n for n, _ in spec.check]:
            raise DesignError(f"expect: property '{e.prop}' is not in this design's check: list",
                              e.prop_loc or e.loc, hint="add it to check:, or drop the expectation")
    _check_overrides(spec, merged, scenarios)
    return Design(spec, merged, scenarios, resolver, expectations)


def _check_overrides(spec: SpecFile, merged: Merged, scenarios: list[SpecFile]) -> None:
    """A new define/procedure in an extending design that nothing calls is almost always a
    misspelt override: report it instead of checking a design the author did not write."""
    if not spec.extends:
        return
    used: set[str] = set()
    for d in merged.defines.values():
        _expr_uses(d.body, used)
    for p in merged.procedures.values():
        stmt_calls(p.body, used)
    for pr in merged.properties.values():
        _expr_uses(pr.expr, used)
    for sc in scenarios:
        for body, _ in sc.run.values():
            stmt_calls(body, used)
        for p in sc.procedures.values():
            stmt_calls(p.body, used)
        for d in sc.defines.values():
            _expr_uses(d.body, used)
    for kind, table in (("define", spec.defines), ("procedure", spec.procedures)):
        for name, item in table.items():
            if name not in merged.base_names and name not in used:
                raise DesignError(
                    f"{kind} {name} overrides nothing in the files this design extends, and "
                    "nothing calls it", item.loc,
                    hint=did_you_mean(name, merged.base_names) or
                    "remove it, or call it from the code that should use it")


def _expr_uses(e, out: set[str]) -> None:  # noqa: ANN001
    from flagcheck.tlamodel.usage import _expr_calls
    _expr_calls(e, out)


# ------------------------------------------------------------------ model building
def _scope_for(design: Design, scen: SpecFile) -> Scope:
    m = design.merged.copy()
    m.add(scen)
    tasks = {t.name: t.group for t in scen.tasks.values()}
    return build_scope(m.enums, tasks, scen.signals, m.state, m.defines, m.procedures,
                       m.properties, scen.loc)


def _const_value(low: Lowerer, e, ty, loc: SourceLoc, what: str, env: Env) -> int | bool:  # noqa: ANN001
    x = low.expr(e, env, expected=ty)
    if not same_kind(x.type, ty):
        raise DesignError(f"type mismatch: {what} is {type_name(ty)}, the initial value is "
                          f"{type_name(x.type)}", loc)
    if x.op != "const":
        raise DesignError(f"{what}: an initial value must be a constant", loc)
    v = x.value
    assert v is not None
    if isinstance(ty, IntType) and not ty.lo <= int(v) <= ty.hi:
        raise DesignError(f"{what}: initial value {v} is outside {ty.lo}..{ty.hi}", loc)
    return v


def _initial_values(scope: Scope, low: Lowerer, scen: SpecFile, decls: list[VarDecl]) -> list:
    per_task = {t.name: {f: (e, loc) for f, e, loc in t.init} for t in scen.tasks.values()}
    for t, fields in per_task.items():
        for f, (_, loc) in fields.items():
            if f not in scope.fields["task"]:
                raise DesignError(f"task {t}: no per-task variable '{f}' to initialise", loc,
                                  hint=did_you_mean(f, scope.fields["task"]))
    out = []
    for d in decls:
        scope_name = "global" if d.owner is None else ("task" if d.owner in scope.tasks else "group")
        fname = d.field or d.name
        ty, vs = scope.fields[scope_name][fname]
        env = Env()
        if scope_name == "task":
            env = Env((("current", scope.consts[d.owner]),))  # type: ignore[index]
        override = per_task.get(d.owner or "", {}).get(fname)
        if override is not None:
            v = _const_value(low, override[0], ty, override[1], d.name, env)
        elif vs.init is not None:
            v = _const_value(low, vs.init, ty, vs.init.loc, d.name, env)
        else:
            v = default_value(ty)
        out.append((v,))
    return out


def build_model(design: Design, scen: SpecFile, only: tuple[str, ...] = ()) -> Model:
    scope = _scope_for(design, scen)
    low = Lowerer(scope)
    decls = flat_vars(scope)
    init = _initial_values(scope, low, scen, decls)
    callbacks: dict[str, object] = {}
    for proc in scope.procedures.values():
        typed_adds(proc.body, scope.procedures, callbacks)
    for body, _ in scen.run.values():
        typed_adds(body, scope.procedures, callbacks)
    queue = make_queue(scope, callbacks)
    scope.task_work_queue = queue
    if queue is not None:       # the typed queue's slots: none, i.e. empty, initially
        tw = queue.decls(scope.tasks)
        for d in tw:
            scope.var_types[d.name] = d.type
        decls, init = decls + tw, init + [(0,)] * len(tw)
    errors = ErrorRegistry()
    compiled: list[tuple[str, TaskCompiler]] = []
    events = _events(design, scen, scope, only)
    flags = [VarDecl(event_flag(p.name), BOOL, internal=True)
             for ps in events.values() for p in ps]
    for d in flags:
        scope.var_types[d.name] = d.type
    decls, init = decls + flags, init + [(False,)] * len(flags)
    for tname in scope.tasks:
        tc = TaskCompiler(low, tname, errors, events)
        body, loc = scen.run.get(tname, ((), scen.tasks[tname].loc))
        tc.compile(body, loc)
        compiled.append((tname, tc))
    pc_decls, pcs, edges_by_task = [], [], []
    for tname, tc in compiled:
        order, remap = _renumber(tc)
        ty = IntType(0, max(len(order) - 1, 0))
        pc_decls.append(VarDecl(f"{tname}.pc", ty, owner=tname, field="pc", internal=True))
        infos = tuple(tc.pcs[p] or PcInfo("(no statement)") for p in order)
        pcs.append((tname, f"{tname}.pc", infos))
        edges_by_task.append((tname, tc, remap, ty))
    err_decl = None
    if len(errors.messages) > 1:
        err_decl = VarDecl("__error", EnumType("error", tuple(errors.messages)), internal=True)
    slot_decls = [d for _, tc in compiled for d in tc.slots.decls]
    all_decls = decls + pc_decls + slot_decls + ([err_decl] if err_decl else [])
    for d in all_decls:
        scope.var_types[d.name] = d.type
    actions, slot_init = _actions(edges_by_task, errors, err_decl)
    init += [(0,)] * len(pc_decls) + [(slot_init[d.name],) for d in slot_decls] + \
        ([(0,)] if err_decl else [])
    err_ok = (op("eq", var("__error", err_decl.type), const(0, err_decl.type))
              if err_decl else None)
    # a daemon (a kernel thread) may block for ever: only the other tasks must finish
    done = op("and", *(op("eq", var(f"{t}.pc", ty), const(remap[tc.resolve(tc.done_pc)], ty))
                       for t, tc, remap, ty in edges_by_task if not scen.tasks[t].daemon))
    terminal = op("or", done, op("not", err_ok)) if err_ok is not None else done
    props = _properties(design, scen, scope, low, _error_checks(errors, err_decl), only)
    return Model(name=f"{design.name} × {scen.name}", vars=tuple(all_decls), init=tuple(init),
                 actions=tuple(actions), properties=tuple(props), tasks=scope.tasks,
                 terminal=terminal, pcs=tuple(pcs), error_var="__error" if err_decl else None,
                 meta={"design": design.name, "scenario": scen.name, "design_file": design.spec.path,
                       "scenario_file": scen.path},
                 # locks stay visible: the reduction never merges across spin_lock/unlock
                 observable=_observable(scope, low) | {d.name for d in decls if is_lock(d.type)}
                 | {d.name for d in flags})


def _observable(scope: Scope, low: Lowerer) -> frozenset[str]:
    """The variables every property in scope reads, whichever of them this run checks
    (Model.observable: the reduction keeps them visible, so depths do not depend on -p)."""
    out: set[str] = set()
    for p in scope.properties.values():
        try:
            if p.kind == "always":
                out |= free_vars(low.cond(p.expr, Env()))
            elif p.kind not in ("deadlock_free", "on"):   # an event reads the error variable
                for a, b in _liveness(p, scope, low).instances:
                    out |= free_vars(a) | (free_vars(b) if b is not None else set())
        except DesignError:
            # a property that does not compile cannot be checked by any run, so no run's
            # reduction has to keep its variables; selecting it reports the error
            continue
    return frozenset(out)


def _liveness(p, scope: Scope, low: Lowerer) -> Liveness:  # noqa: ANN001
    """One obligation per task for ``for_each`` properties, else one."""
    envs = ([(t, Env(((p.for_each, scope.consts[t]),))) for t in scope.tasks]
            if p.for_each else [("", Env())])
    inst, labels = [], []
    for label, env in envs:
        first = low.cond(p.expr, env)
        second = low.cond(p.target, env) if p.target is not None else None
        inst.append((first, second))
        labels.append(label)
    return Liveness(p.name, p.kind, tuple(inst), p.doc, p.loc, tuple(labels))


def _renumber(tc: TaskCompiler) -> tuple[list[int], dict[int, int]]:
    """Keep the program points reachable from the task's start, in order of discovery."""
    out_edges: dict[int, list[int]] = {}
    for e in tc.edges:
        if e.src in tc.alias:
            raise AssertionError("internal: an aliased pc has outgoing edges")
        out_edges.setdefault(e.src, []).append(tc.resolve(e.dst))
    start = tc.resolve(0)
    order = [start]
    seen = {start}
    i = 0
    while i < len(order):
        for d in out_edges.get(order[i], []):
            if d not in seen:
                seen.add(d)
                order.append(d)
        i += 1
    done = tc.resolve(tc.done_pc)
    if done not in seen:
        order.append(done)
    return order, {p: i for i, p in enumerate(order)}


def _actions(edges_by_task, errors, err_decl) -> tuple[list[Action], dict[str, object]]:  # noqa: ANN001
    """The IR actions of every task, and the initial value of every local slot (a slot the
    task's first step reads starts with the value its declaration gives it)."""
    actions: list[Action] = []
    slot_init: dict[str, object] = {}
    err_var = var("__error", err_decl.type) if err_decl else None
    for tname, tc, remap, ty in edges_by_task:
        pcv = var(f"{tname}.pc", ty)
        mine: list[Action] = []
        for e in tc.edges:
            if e.src not in remap:
                continue  # unreachable code
            guard = op("and", op("eq", pcv, const(remap[e.src], ty)), e.guard)
            updates: list[tuple[str, Expr]] = [(f"{tname}.pc", const(remap[tc.resolve(e.dst)], ty))]
            # a jump through a local's declaration (or a constant return) writes its value
            updates += sorted({**e.updates, **tc.births_on(e.dst)}.items())
            if err_var is not None:
                guard = op("and", guard, op("eq", err_var, const(0, err_var.type)))
                if e.errors:
                    val: Expr = const(0, err_var.type)
                    for cond, msg in reversed(e.errors):
                        val = op("ite", cond, const(errors.id(msg), err_var.type), val)
                    updates.append(("__error", val))
            mine.append(Action(len(actions) + len(mine), tname, guard, tuple(updates), e.info))
        mine, live = reset_dead(mine, f"{tname}.pc", tc.slots.decls)
        born = tc.births_on(0)
        for d in tc.slots.decls:
            start = born.get(d.name) if d.name in live else None
            slot_init[d.name] = start.value if start is not None else default_value(d.type)
        actions += mine
    return actions, slot_init


def _error_checks(errors: ErrorRegistry, err_decl: VarDecl | None) -> dict[str, Expr]:
    """The invariants over the run-time error variable: ``assertions`` (no assert fails, no
    value leaves its range), ``lock_misuse`` when the model takes locks, and one per event
    property (ErrorRegistry.owner says which error belongs to which)."""
    if err_decl is None:
        return {ASSERTIONS: const(True, BOOL)}
    ev = var("__error", err_decl.type)
    owned: dict[str, list[int]] = {}
    for i, m in enumerate(errors.messages[1:], start=1):
        owner = LOCK_MISUSE if m.startswith(MISUSE) else errors.owner.get(m, ASSERTIONS)
        owned.setdefault(owner, []).append(i)
    if set(owned) <= {ASSERTIONS}:
        return {ASSERTIONS: op("eq", ev, const(0, err_decl.type))}
    out = {name: op("and", *(op("ne", ev, const(i, ev.type)) for i in ids))
           for name, ids in owned.items()}
    out.setdefault(ASSERTIONS, const(True, BOOL))
    return out


def _checked_names(design: Design, scen: SpecFile, scope: Scope,
                   only: tuple[str, ...]) -> list[str]:
    """The properties a model of ``scen`` checks (built-in ones and skipped ones left out)."""
    # the design's selection, then the scenario's own properties (always checked)
    names = design.checked_properties() + [n for n in scen.properties
                                           if n not in design.checked_properties()]
    if only:   # an explicit selection (verify --property) may name any defined property
        names = [n for n in only if n in scope.properties]
    skipped = design.skipped(scen)
    return [n for n in names if n not in BUILTIN_PROPERTIES and n not in skipped]


def _events(design: Design, scen: SpecFile, scope: Scope,
            only: tuple[str, ...]) -> dict[str, list[PropSpec]]:
    """Every event property in scope (``on: "LABEL: cond"``), by label, checked or not (so
    the model does not depend on the selection: tlamodel.cfg_events); a label no code of
    the design or scenario defines is an error at the property."""
    out: dict[str, list[PropSpec]] = {}
    labels: set[str] = set()
    for p in scope.procedures.values():
        _labels(p.body, labels)
    for body, _ in scen.run.values():
        _labels(body, labels)
    for name, p in scope.properties.items():
        if p.kind == "on" and p.label is not None:
            if p.label not in labels:
                raise DesignError(f"property {name}: no statement is labelled '{p.label}'",
                                  p.loc, hint=did_you_mean(p.label, labels) or
                                  "label the statement: LABEL: statement;")
            out.setdefault(p.label, []).append(p)
    return out


def _labels(stmts, out: set[str]) -> None:  # noqa: ANN001
    from flagcheck.tlamodel import syntax_tree as A
    from flagcheck.tlamodel.usage import children
    for s in stmts:
        if isinstance(s, A.Labeled):
            out.add(s.label)
        _labels(children(s), out)


def _properties(design: Design, scen: SpecFile, scope: Scope, low: Lowerer,
                checks: dict[str, Expr], only: tuple[str, ...] = ()) -> list[Property]:
    out: list[Property] = []
    skipped = design.skipped(scen)
    for name in _checked_names(design, scen, scope, only):
        p = scope.properties[name]
        if p.kind == "on":
            out.append(Invariant(name, op("not", var(event_flag(name), BOOL)), p.doc, p.loc))
        elif p.kind == "deadlock_free":
            out.append(DeadlockFree(name, p.doc, p.loc))
        elif p.kind == "always":
            assert p.expr is not None
            out.append(Invariant(name, low.cond(p.expr, Env()), p.doc, p.loc))
        else:
            out.append(_liveness(p, scope, low))
    docs = {ASSERTIONS: "no assert() fails and no variable leaves its range",
            LOCK_MISUSE: "no task takes a lock it holds or releases one it does not hold"}
    for name, expr in checks.items():
        # assertions: always reported, so tables line up (TRUE when nothing can fail)
        if name not in skipped and name in docs:
            out.append(Invariant(name, expr, docs[name]))
    return out
