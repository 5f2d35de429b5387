"""Export an IR model as a TLA+ module.

The module is a direct rendering of ``tlamodel.ir``'s transition system:

* every IR variable is a TLA+ variable; bools are ``BOOLEAN``, int ranges ``lo..hi``, enum
  values strings (``"RUNNING"``; values that are not identifiers, such as the run-time
  error messages, become ``"<enum>_<i>"`` with the message in a comment) and sets are TLA+
  sets of those strings (``SUBSET signal``), so ``{SIGUSR1}`` reads as ``{"SIGUSR1"}``;
* ``TypeOK`` gives each variable's type, ``Init`` its allowed initial values;
* each IR action is one operator: its guard, one primed equation per updated variable
  (the right-hand sides read unprimed variables, which is exactly the IR's simultaneous
  assignment) and ``UNCHANGED`` for all other variables;
* ``Next_<task>`` is the disjunction of a task's actions, ``Next`` of all tasks', and
  ``Spec == Init /\\ [][Next]_vars /\\ WF_vars(Next_<task>)`` for each task;
* each invariant is a named operator; ``Terminal`` is ``Model.terminal``; for a deadlock
  property ``<name> == Terminal \\/ ENABLED Next`` is the IR's deadlock freedom as a state
  predicate.  TLC's own deadlock check flags any state without a successor, including
  terminal ones, so the header says how to check it (``SpecD`` lets terminal states
  stutter).

The expression syntax is parenthesised throughout, so it does not depend on TLA+'s
operator precedence; conjunctions of an action and of ``Init``/``TypeOK`` use bulleted
lists, with the bullets aligned as TLA+'s layout rule requires.
"""
from __future__ import annotations

import re
import unicodedata

from flagcheck.tlamodel.emit_common import (IDENT, ExprWriter, Names, meta_notes, model_enums,
                                            model_exprs, step_notes, task_order)
from flagcheck.tlamodel.ir import (BoolType, DeadlockFree, EnumType, Expr, IntType, Invariant,
                                   Model, SetType, Type, Value)

#: TLA+ reserved words and the operators of the standard modules the spec extends
RESERVED = frozenset("""
ASSUME ASSUMPTION AXIOM CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED EXCEPT EXTENDS
IF IN INSTANCE LET LOCAL MODULE OTHER SF_ SUBSET THEN THEOREM UNCHANGED UNION VARIABLE
VARIABLES WF_ WITH BOOLEAN TRUE FALSE STRING ACTION COROLLARY LAMBDA LEMMA PROPOSITION
STATE TEMPORAL BY DEF DEFINE DEFS HAVE HIDE NEW OBVIOUS OMITTED ONLY PICK PROOF PROVE QED
RECURSIVE SUFFICES TAKE USE WITNESS
Nat Int Real Infinity Seq Len Head Tail Append SubSeq SelectSeq Cardinality IsFiniteSet
vars Init Next Spec SpecD TypeOK Terminal
""".split())


def ascii_text(text: str) -> str:
    """One line of plain ASCII (SANY and some editors dislike anything else)."""
    text = str(text).replace("›", ">").replace("×", "x").replace("→", "->")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.split())


class TlaNames(Names):
    """TLA+'s namespace: its reserved words; names are ASCII, contain a letter and do not
    start like the fairness operators (``WF_``, ``SF_``)."""

    def __init__(self) -> None:
        super().__init__(RESERVED)

    def base(self, want: str) -> str:
        base = super().base(ascii_text(want))
        if base.startswith(("WF_", "SF_")) or not re.search("[A-Za-z]", base):
            base = "v_" + base
        return base


def module_name(model: Model) -> str:
    base = re.sub(r"\W+", "_", ascii_text(model.name).replace(" x ", "__")).strip("_")
    if not base or base[0].isdigit():
        base = "M_" + base
    return base


def _string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class TlaWriter(ExprWriter):
    NOT = "~"
    AND = " /\\ "
    OR = " \\/ "
    TRUE = "TRUE"
    FALSE = "FALSE"

    def __init__(self, model: Model, title: str = "") -> None:
        self.m = model
        self.title = title
        self.names = TlaNames()
        self.enums = model_enums(model)
        self.enum_set: dict[EnumType, str] = {}
        self.enum_val: dict[tuple[EnumType, int], str] = {}
        self.var = {v.name: self.names.fresh(v.name) for v in model.vars}
        for t in self.enums:
            self.enum_set[t] = self.names.fresh(t.name if t.name not in self.names.used
                                                else t.name + "_t")
            taken: set[str] = set()
            for i, v in enumerate(t.values):
                s = v if IDENT.match(v) and v not in taken else f"{t.name}_{i}"
                while s in taken:
                    s += "_"
                taken.add(s)
                self.enum_val[(t, i)] = s
        self.rank: dict[EnumType, str] = {}
        self._ranks_needed()
        self.bound = self.names.fresh("e") if self.rank else "e"  # bound variable of rank

    # ------------------------------------------------------------ analysis
    def _ranks_needed(self) -> None:
        def walk(e: Expr) -> None:
            if e.op in ("lt", "le") and isinstance(e.args[0].type, EnumType):
                t = e.args[0].type
                if t not in self.rank:
                    self.rank[t] = self.names.fresh(f"{t.name}_rank")
            for a in e.args:
                walk(a)
        for e in model_exprs(self.m):
            walk(e)

    # ------------------------------------------------------------ values
    def value(self, ty: Type, v: Value) -> str:
        if isinstance(ty, BoolType):
            return "TRUE" if v else "FALSE"
        if isinstance(ty, IntType):
            return str(int(v)) if int(v) >= 0 else f"(-{-int(v)})"
        if isinstance(ty, EnumType):
            return _string(self.enum_val[(ty, int(v))])
        assert isinstance(ty, SetType)
        if int(v) >> len(ty.elem.values):
            raise ValueError(f"set value {v} has members outside {ty.elem.name}")
        return "{" + ", ".join(self.value(ty.elem, i) for i in range(len(ty.elem.values))
                               if int(v) >> i & 1) + "}"

    def type_set(self, ty: Type) -> str:
        if isinstance(ty, BoolType):
            return "BOOLEAN"
        if isinstance(ty, IntType):
            return f"{self.value(ty, ty.lo)}..{self.value(ty, ty.hi)}"
        if isinstance(ty, EnumType):
            return self.enum_set[ty]
        assert isinstance(ty, SetType)
        return f"SUBSET {self.enum_set[ty.elem]}"

    # ------------------------------------------------------------ expressions
    def operator(self, e: Expr, x: list[str]) -> str:
        op, a = e.op, e.args
        if op in ("lt", "le") and isinstance(a[0].type, EnumType):
            r = self.rank[a[0].type]
            x = [f"{r}[{x[0]}]", f"{r}[{x[1]}]"]
        infix = {"eq": "=", "ne": "#", "lt": "<", "le": "<=", "add": "+", "sub": "-",
                 "union": "\\cup", "inter": "\\cap", "diff": "\\"}
        if op in infix:
            return f"({x[0]} {infix[op]} {x[1]})"
        if op == "ite":
            return f"(IF {x[0]} THEN {x[1]} ELSE {x[2]})"
        if op == "singleton":
            return "{" + x[0] + "}"
        if op == "member":
            return f"({x[0]} \\in {x[1]})"
        raise ValueError(f"IR operator {op!r} has no TLA+ rendering")

    @staticmethod
    def conjuncts(e: Expr) -> list[Expr]:
        if e.op == "and":
            out: list[Expr] = []
            for a in e.args:
                out += TlaWriter.conjuncts(a)
            return out
        if e.op == "const" and e.value is True:
            return []
        return [e]

    @staticmethod
    def wrap(head: str, names: list[str], tail: str, indent: int, width: int = 96) -> list[str]:
        """``head`` + comma-separated ``names`` + ``tail`` over lines of at most ``width``;
        continuation lines are indented ``indent`` (right of the bullet, as layout requires)."""
        lines, cur = [], head
        for i, n in enumerate(names):
            piece = n + (", " if i < len(names) - 1 else tail)
            if len(cur) + len(piece) > width and cur.strip():
                lines.append(cur.rstrip())
                cur = " " * indent
            cur += piece
        lines.append(cur)
        return lines

    @staticmethod
    def bullets(items: list[str], indent: int, sym: str = "/\\") -> list[str]:
        pad = " " * indent
        if not items:
            return [pad + ("TRUE" if sym == "/\\" else "FALSE")]
        return [f"{pad}{sym} {it}" for it in items]

    # ------------------------------------------------------------ the module
    def render(self) -> str:
        m = self.m
        name = module_name(m)
        invs = [p for p in m.properties if isinstance(p, Invariant)]
        dls = [p for p in m.properties if isinstance(p, DeadlockFree)]
        tasks = task_order(m)
        self.act_name = {}
        for a in m.actions:
            fn = a.info.stack[-1] if a.info.stack else ""
            self.act_name[a.index] = self.names.fresh(f"a{a.index}_{a.task}" + (f"_{fn}" if fn else ""))
        self.next_name = {t: self.names.fresh(f"Next_{t}") for t in tasks}
        self.prop_name = {p.name: self.names.fresh(p.name) for p in m.properties}
        vnames = [self.var[v.name] for v in m.vars]

        out = [f"{'-' * 4} MODULE {name} {'-' * 4}"]
        out += self._header(invs, dls)
        out += ["EXTENDS Integers", ""]
        if vnames:
            out.append("VARIABLES")
            for i, v in enumerate(m.vars):
                sep = "," if i < len(m.vars) - 1 else ""
                out.append(f"    {self.var[v.name]}{sep}    \\* {ascii_text(v.name)} : "
                           f"{ascii_text(str(v.type))}")
            out.append("")
        out += self.wrap("vars == <<", vnames, ">>", 8) if vnames else ["vars == <<>>"]
        out.append("")
        out += self._enum_defs()
        out += ["TypeOK =="] + self.bullets(
            [f"{self.var[v.name]} \\in {self.type_set(v.type)}" for v in m.vars], 4) + [""]
        init_items = []
        for v, vals in zip(m.vars, m.init):
            if len(vals) == 1:
                init_items.append(f"{self.var[v.name]} = {self.value(v.type, vals[0])}")
            else:
                init_items.append(f"{self.var[v.name]} \\in {{"
                                  + ", ".join(self.value(v.type, x) for x in vals) + "}")
        out += ["Init =="] + self.bullets(init_items, 4) + [""]
        out += ["\\* every task has finished (or a run-time error stopped the run)",
                f"Terminal == {self.expr(m.terminal)}", ""]
        for p in invs:
            out.append(f"\\* invariant {ascii_text(p.name)}" + (f": {ascii_text(p.doc)}" if p.doc else ""))
            out.append(f"{self.prop_name[p.name]} == {self.expr(p.expr)}")
            out.append("")
        for t in tasks:
            out += self._task(t)
        out.append("Next ==")
        out += self.bullets([self.next_name[t] for t in tasks], 4, "\\/")
        out.append("")
        fair = "".join(f" /\\ WF_vars({self.next_name[t]})" for t in tasks)
        out += [f"Spec == Init /\\ [][Next]_vars{fair}", ""]
        out += ["\\* Terminal states stutter, so TLC's deadlock check reports exactly the IR's deadlocks",
                f"SpecD == Init /\\ [][Next \\/ (Terminal /\\ UNCHANGED vars)]_vars{fair}", ""]
        for p in dls:
            out.append(f"\\* deadlock freedom {ascii_text(p.name)}: some action is enabled unless the run is"
                       " terminal")
            out.append(f"{self.prop_name[p.name]} == Terminal \\/ ENABLED Next")
            out.append("")
        out.append("=" * 4)
        return "\n".join(out) + "\n"

    def _header(self, invs: list[Invariant], dls: list[DeadlockFree]) -> list[str]:
        m = self.m
        out = [f"\\* {ascii_text(m.name)}: exported by flagcheck"]
        if self.title:
            out.append(f"\\* {ascii_text(self.title)}")
        out += [f"\\* {note}" for note in meta_notes(m, ascii_text)]
        out.append(f"\\* {len(m.vars)} variables, {len(m.actions)} actions; each action is one step of"
                   " flagcheck's IR.")
        checks = ["TypeOK"] + [self.prop_name[p.name] for p in invs]
        out.append("\\* TLC: SPECIFICATION Spec, INVARIANTS " + " ".join(checks)
                   + ", CHECK_DEADLOCK FALSE.")
        if dls:
            names = ", ".join(self.prop_name[p.name] for p in dls)
            out.append(f"\\* Deadlock ({names}): check the invariant {names}, or run TLC on SpecD with"
                       " CHECK_DEADLOCK TRUE")
            out.append("\\* (in Spec a finished run has no successor, which TLC would call a deadlock).")
        out.append("")
        return out

    def _enum_defs(self) -> list[str]:
        out: list[str] = []
        for t in self.enums:
            vals = ", ".join(_string(self.enum_val[(t, i)]) for i in range(len(t.values)))
            out.append(f"\\* enum {ascii_text(t.name)}")
            for i, v in enumerate(t.values):
                if self.enum_val[(t, i)] != v:
                    out.append(f"\\*   {self.enum_val[(t, i)]}: {ascii_text(v)}")
            out.append(f"{self.enum_set[t]} == {{{vals}}}")
            if t in self.rank:
                b = self.bound
                cases = " [] ".join(f"{b} = {_string(self.enum_val[(t, i)])} -> {i}"
                                    for i in range(len(t.values)))
                out.append(f"{self.rank[t]} == [{b} \\in {self.enum_set[t]} |-> CASE {cases}]")
            out.append("")
        return out

    def _task(self, task: str) -> list[str]:
        m = self.m
        out = [f"\\* ==== task {ascii_text(task)} ===="]
        acts = [a for a in m.actions if a.task == task]
        updated_all = [v.name for v in m.vars]
        for a in acts:
            head, *notes = step_notes(a, " > ", ascii_text)
            out.append(f"\\* {head}")
            out += [f"\\*   {note}" for note in notes]
            items = [self.expr(g) for g in self.conjuncts(a.guard)]
            upd = dict(a.updates)
            items += [f"{self.var[n]}' = {self.expr(e)}" for n, e in a.updates]
            rest = [self.var[n] for n in updated_all if n not in upd]
            if rest:
                items.append("\n".join(self.wrap("UNCHANGED <<", rest, ">>", 8)))
            out += [f"{self.act_name[a.index]} =="] + self.bullets(items, 4) + [""]
        out.append(f"{self.next_name[task]} ==")
        out += self.bullets([self.act_name[a.index] for a in acts], 4, "\\/")
        out.append("")
        return out


def to_tla(model: Model, title: str = "") -> str:
    """The TLA+ module text of ``model`` (see the module docstring)."""
    return TlaWriter(model, title).render()
