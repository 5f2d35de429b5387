"""PDR's inductive invariant in the design's own names.

Spacer hands back Z3 terms over anonymous state copies, with arithmetic bounds, bit tests
and type-range lemmas; a proof is only an explanation if it reads like the design
("T not at sleep (linux-base.yaml:150) || T.TIF_SIGPENDING").  The renderer is apart from
checker.engines.pdr because it is a presentation concern with its own rules (meaning over
syntax, program counters by place) and its own tests, not part of how PDR decides.
"""
from __future__ import annotations

import z3

from flagcheck.checker.engines.encode import Encoder
from flagcheck.tlamodel.ir import BoolType, IntType, Model, SetType, VarDecl
from flagcheck.tlamodel.ir import domain as ir_domain, show_value

#: a sub-formula over one int/enum variable with at most this many values is rendered
#: by its meaning ("pc in {a, b}") instead of its syntax (Spacer's bounds and bit tests)
_MAX_ENUMERATE = 64
#: program counter values a lemma is split over by place (a task has one per statement)
_MAX_PLACES = 512


def conjuncts(f: z3.ExprRef) -> list[z3.ExprRef]:
    """The top-level lemmas of an invariant (Spacer returns a conjunction of them)."""
    return list(f.children()) if z3.is_and(f) else [f]


def nodes(f: z3.ExprRef) -> int:
    """Distinct term nodes: the invariant's size with shared sub-terms counted once."""
    seen: set[int] = set()
    todo = [f]
    while todo:
        e = todo.pop()
        if e.get_id() not in seen:
            seen.add(e.get_id())
            todo.extend(e.children())
    return len(seen)


_CMP = {z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
        z3.Z3_OP_EQ: "==", z3.Z3_OP_DISTINCT: "!=", z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-",
        z3.Z3_OP_MUL: "*", z3.Z3_OP_BOR: "+", z3.Z3_OP_BAND: "&"}


class Renderer:
    """Z3 terms over state copy 0 -> C-like text in the design's names.

    A sub-formula that mentions a single int/enum/bool variable is shown by its meaning,
    computed by trying every value of the variable's declared type ("T.pc in {run,
    sleep}"), so Spacer's arithmetic bounds and type-range lemmas come out in the
    design's terms; lemmas that hold for every well-typed value are left out."""

    def __init__(self, model: Model, enc: Encoder) -> None:
        self.enc = enc
        self.decls: dict[str, VarDecl] = {
            str(x): v for v, x in zip(model.vars, enc.vars_at(0).values())}
        self._free: dict[int, tuple[z3.ExprRef, frozenset[str]]] = {}
        #: per program counter variable: its task and the name of each value's place
        self.places = program_places(model)

    def show(self, f: z3.ExprRef) -> tuple[str, int]:
        """The text of ``f``, and how many of its lemmas only restate variable types."""
        parts = [self.text(c) for c in conjuncts(f)]
        kept = [p for p in parts if p != "true"]
        return (" && ".join(kept) if kept else "true"), len(parts) - len(kept)

    def free(self, e: z3.ExprRef) -> frozenset[str]:
        # keyed by Z3's AST id, and the term is kept with its entry: Z3 reuses the id of a
        # term that was freed (by_place simplifies many short-lived terms), and a stale
        # entry made by_place recurse for ever on a variable the term does not contain
        k = e.get_id()
        if k not in self._free:
            own = frozenset((str(e),)) if z3.is_const(e) and str(e) in self.decls else frozenset()
            for c in e.children():
                own |= self.free(c)
            self._free[k] = (e, own)
        return self._free[k][1]

    def text(self, e: z3.ExprRef) -> str:
        if z3.is_bool(e):
            fv = self.free(e)
            if len(fv) == 1:
                sem = self.by_meaning(e, next(iter(fv)))
                if sem is not None:
                    return sem
            pcs = sorted(n for n in fv if self.decls[n].name in self.places)
            if pcs:
                split = self.by_place(e, pcs[0])
                if split is not None:
                    return split
            if z3.is_true(e) or z3.is_false(e):
                return "true" if z3.is_true(e) else "false"
            if z3.is_not(e):
                return "!" + self.atom(e.arg(0))
            if z3.is_and(e) or z3.is_or(e):
                parts = [self.text(c) for c in e.children()]
                unit = "true" if z3.is_and(e) else "false"
                parts = [p for p in parts if p != unit] or [unit]
                return "(" + (" && " if z3.is_and(e) else " || ").join(parts) + ")"
        if z3.is_const(e) and str(e) in self.decls:
            return self.decls[str(e)].name
        if z3.is_int_value(e) or z3.is_bv_value(e):
            return str(e.as_long())  # type: ignore[attr-defined]
        op = e.decl().kind()
        if op in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT) and e.num_args() == 2:
            atom = self.set_atom(e.arg(0), e.arg(1)) or self.set_atom(e.arg(1), e.arg(0))
            if atom is not None:
                return atom if op == z3.Z3_OP_EQ else "!" + atom
        if op == z3.Z3_OP_BIT2BOOL:   # Z3's own form of Extract(k, k, s) == 1
            d = self.decls.get(str(e.arg(0)))
            if d is not None and isinstance(d.type, SetType):
                return f"({d.type.elem.values[e.params()[0]]} in {d.name})"
        if op in _CMP and e.num_args() == 2:
            return f"({self.atom(e.arg(0))} {_CMP[op]} {self.atom(e.arg(1))})"
        args = ", ".join(self.text(c) for c in e.children())
        return f"{e.decl().name()}({args})"

    def atom(self, e: z3.ExprRef) -> str:
        """``text(e)`` as one operand: parenthesised unless already a single group."""
        t = self.text(e)
        return t if " " not in t or (t.startswith("(") and t.endswith(")")) else f"({t})"

    def set_atom(self, x: z3.ExprRef, val: z3.ExprRef) -> str | None:
        """``s == {A, C}`` and ``Extract(k, k, s) == 1|0`` ("A in s") for a set variable s."""
        if not z3.is_bv_value(val):
            return None
        n = val.as_long()  # type: ignore[attr-defined]
        d = self.decls.get(str(x))
        if d is not None and isinstance(d.type, SetType):
            return f"({d.name} == {show_value(d.type, n)})"
        if x.decl().kind() != z3.Z3_OP_EXTRACT or x.params()[0] != x.params()[1]:
            return None
        d = self.decls.get(str(x.arg(0)))
        if d is None or not isinstance(d.type, SetType):
            return None
        text = f"({d.type.elem.values[x.params()[0]]} in {d.name})"
        return text if n == 1 else "!" + text

    def by_place(self, e: z3.ExprRef, name: str) -> str | None:
        """``e`` case by case over the places of a program counter: "(T not at X || r)"
        per group of places where the rest of ``e`` reads ``r``, so no raw pc number is
        left in the text (Spacer mixes pcs into arithmetic: "A.pc - __error <= 0")."""
        d = self.decls[name]
        task, names = self.places[d.name]
        vals = ir_domain(d.type)
        if len(vals) > _MAX_PLACES:
            return None
        x = self.enc.vars_at(0)[d.name]
        groups: dict[str, list[str]] = {}
        for v in vals:
            r = z3.simplify(z3.substitute(e, (x, self.enc.value(v, d.type))))
            groups.setdefault(self.text(r), []).append(names.get(v, f"pc {v}"))  # type: ignore
        every = [p for ps in groups.values() for p in ps]
        if len(groups) == 1:
            return next(iter(groups))
        out = []
        for r, ps in groups.items():
            if r == "true":
                continue
            away = place_text(task, every, [p for p in every if p not in ps])
            out.append(away if r == "false" else f"({away} || {r})")
        return " && ".join(out) if out else "true"

    def by_meaning(self, e: z3.ExprRef, name: str) -> str | None:
        d = self.decls[name]
        if isinstance(d.type, SetType):
            return None   # shown syntactically: "A in s" reads better than 2^n values
        vals = ir_domain(d.type)
        if len(vals) > (_MAX_PLACES if d.name in self.places else _MAX_ENUMERATE):
            return None
        x = self.enc.vars_at(0)[d.name]
        ok = []
        for v in vals:
            r = z3.simplify(z3.substitute(e, (x, self.enc.value(v, d.type))))
            if not (z3.is_true(r) or z3.is_false(r)):
                return None
            if z3.is_true(r):
                ok.append(v)
        if d.name in self.places:
            task, names = self.places[d.name]
            return place_text(task, [names.get(v, f"pc {v}") for v in vals],   # type: ignore
                               [names.get(v, f"pc {v}") for v in ok])           # type: ignore
        return _set_text(d, vals, ok)


def program_places(model: Model) -> dict[str, tuple[str, dict[int, str]]]:
    """Per program counter variable: (task, value -> place).  A place is the statement's
    label or its kernel function, with its file:line ("pause › schedule (linux-base.yaml:120)"),
    so an invariant reads "T not at sleep (linux-base.yaml:150)" instead of "T.pc != 18"."""
    from flagcheck.checker.report.facts import label_at
    out: dict[str, tuple[str, dict[int, str]]] = {}
    for task, pc_var, infos in model.pcs:
        names: dict[int, str] = {}
        for v, info in enumerate(infos):
            if info.text == "finished":
                names[v] = "finished"
                continue
            what = label_at(model, task, pc_var, v) or " › ".join(info.stack) or "task code"
            at = f" ({info.loc.file.rsplit('/', 1)[-1]}:{info.loc.line})" if info.loc else ""
            names[v] = what + at
        seen: dict[str, int] = {}
        for name in names.values():
            seen[name] = seen.get(name, 0) + 1
        # two values at one place (one statement split in steps): tell them apart
        out[pc_var] = (task, {v: n if seen[n] == 1 else f"{n} #{v}" for v, n in names.items()})
    return out


def place_text(task: str, places: list[str], ok: list[str]) -> str:
    """"T at X", "T not at X", "T at one of {X, Y}" -- whichever names fewer places."""
    if len(ok) == len(places):
        return "true"
    if not ok:
        return "false"
    rest = [p for p in places if p not in ok]
    neg = len(rest) < len(ok)
    shown = rest if neg else ok
    where = shown[0] if len(shown) == 1 else "one of {" + ", ".join(shown) + "}"
    return f"{task} {'not at' if neg else 'at'} {where}"


def _set_text(d: VarDecl, vals: tuple[object, ...], ok: list[object]) -> str:
    """The constraint "d.name takes one of ``ok`` (out of ``vals``)" in its shortest form."""
    shown = lambda v: show_value(d.type, v)  # type: ignore[arg-type]  # noqa: E731
    if len(ok) == len(vals):
        return "true"
    if not ok:
        return "false"
    if isinstance(d.type, BoolType):
        return d.name if ok == [True] else "!" + d.name
    if len(ok) == 1:
        return f"{d.name} == {shown(ok[0])}"
    rest = [v for v in vals if v not in ok]
    if len(rest) == 1:
        return f"{d.name} != {shown(rest[0])}"
    if isinstance(d.type, IntType) and ok == list(range(ok[0], ok[-1] + 1)):  # type: ignore
        return f"{ok[0]} <= {d.name} <= {ok[-1]}"
    return f"{d.name} in {{{', '.join(shown(v) for v in ok)}}}"
