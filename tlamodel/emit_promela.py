"""Export an IR model as a readable Promela model for SPIN.

The Promela model is a faithful rendering of ``tlamodel.ir``'s semantics, so that SPIN
reaches the same states and gives the same verdicts as flagcheck's own engines:

State
    Every IR variable is one Promela global: ``bool``; ``byte``/``short``/``int`` for an
    int range (the smallest C type that holds the whole range, so negative ranges are held
    as they are and no offset is needed); ``byte`` for an enum, whose values are
    ``#define``d constants in declaration order (index = value, as in the IR, so ``<`` on
    enums compares indices); ``byte``/``short``/``int`` bitmasks for sets (bit i = element
    i).  Each global starts at the first of its allowed initial values; when a variable
    has several, an ``init`` process picks one per variable and only then starts the
    tasks, so every state SPIN can see is a state flagcheck can reach.

Steps
    One ``proctype`` per task.  Its body is ``do :: d_step { guard -> updates } ... od``
    with one option per IR action of the task: a ``d_step`` is one indivisible SPIN
    transition, exactly one IR step.  The IR's updates are simultaneous (every right-hand
    side reads the pre-state); they are ordered so that no assignment reads a variable an
    earlier one wrote, and where a cycle makes that impossible the right-hand side goes
    through a ``tmp_`` global first (reset to 0 at the end of the step, so it never makes
    two states differ).  An action that takes the task to its "finished" program point,
    from which the task has no action, leaves the loop (``break`` is a jump, not a SPIN
    transition) for an ``end_<task>_finished`` label where the process waits for good: a
    valid end state, like a terminated process, but without pan's process-deletion step,
    which would give one IR state several SPIN states.  So SPIN stores exactly the IR's
    reachable states (plus, with ``terminal_watch``, the watch's position).

Properties
    Each IR invariant is a ``#define INV_name`` and a named ``never`` claim
    (``./pan -N name``).  A claim rather than ``assert``s in the tasks: pan checks one
    claim per run, so each invariant gets its own verdict and its own shortest trail from
    one compiled pan, and the claim also looks at the initial states and at states that
    have no successor.  Deadlock freedom is SPIN's own invalid-end-state check: blocking
    at the top of a task's loop is always a valid end state (``end_`` label), and the
    process ``terminal_watch`` is parked at a non-end location exactly while
    ``Model.terminal`` is false, so "no process can move and not every process is at a
    valid end state" is exactly the IR's deadlock: no action enabled and not terminal.
    pan switches the end-state check off while a never claim is in use, so deadlocks are
    checked by a pan compiled with ``-DNOCLAIM`` (see the header of the exported file).

Shortest counterexamples: compile pan with ``-DBFS``; with ``-DNOREDUCE`` too (partial
order reduction may drop the shortest path), the trail has exactly as many task steps
(``d_step``s) as flagcheck's shortest counterexample has steps.
"""
from __future__ import annotations

from flagcheck.tlamodel.emit_common import (IDENT, ExprWriter, Names, meta_notes, model_enums,
                                            step_notes, task_order)
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import (BoolType, DeadlockFree, EnumType, Expr, IntType, Invariant,
                                   Model, SetType, Type, Value, free_vars, pc_value, show_value)

#: Promela keywords, C keywords, macros gcc predefines (the model goes through cpp) and
#: identifiers pan.c/pan.h #define; a state variable with one of these names would break
#: spin or the C compiler, so it is renamed.
RESERVED = frozenset("""
active assert atomic bit bool break byte chan d_step D_proctype do else empty enabled eval
false fi for full get_priority goto hidden if in init inline int len local ltl mtype nempty
never nfull notrace np_ od of pc_value print printf printm priority proctype provided run
select set_priority short show skip timeout trace true typedef unless unsigned xr xs
c_code c_decl c_expr c_state c_track STDIN accept end progress _ _pid _nr_pr _last
_priority np
auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while asm typeof
linux unix i386 i686 x86_64 amd64 gnu_linux
now trpt depth nr_states errors tau Ptr Pptr Qptr pptr qptr uchar uint ulong ushort max min
mix rand rot final cas iam_alive wasnew onstack_now onstack_put onstack_zap grab_state
getframe get16bits get_permuted bfs_do_store enter_critical leave_critical maxseq minseq
Addproc IfNotBlocked Index Max Offsetof PanSource Pclaim SpinVersion StackSize UnBlock
G_int G_long pthread_equal q_sz
BFS SAFETY NOREDUCE NOCLAIM NOFAIR REACH VECTORSZ MEMLIM COLLAPSE BITSTATE HC4 NP NFAIR
VERI VERBOSE CHECK SDUMP NOCOMP NOBOUNDCHECK NOSTUTTER NIBIS MA DEBUG NCORE SEP_STATE
TERMINAL
""".split())


class PromelaNames(Names):
    """Promela's namespace: its reserved words, and any capitalisation of ``true`` and
    ``false``, so that no declared name can be read as a boolean constant."""

    def __init__(self) -> None:
        super().__init__(RESERVED)

    def taken(self, name: str) -> bool:
        return name in self.used or name.lower() in ("true", "false")


def comment(text: str) -> str:
    """Text that is safe inside ``/* */`` on one line."""
    return " ".join(str(text).replace("*/", "* /").replace("/*", "/ *").split())


def done_pcs(model: Model) -> dict[str, int]:
    """Per task: the program-counter value at which it has finished, where one is known.

    The front end names it ``finished`` in ``Model.pcs``; otherwise the ``pc == k``
    conjunct of ``Model.terminal`` (the random test models) is used."""
    out: dict[str, int] = {}
    for task, _pc, infos in model.pcs:
        for i, info in enumerate(infos):
            if info.text == "finished":
                out[task] = i
    pc_task = {pc: task for task, pc, _ in model.pcs}

    def scan(e: Expr) -> None:
        if e.op == "eq" and e.args[0].op == "var" and e.args[1].op == "const":
            task = pc_task.get(e.args[0].name or "")
            if task is not None and task not in out:
                out[task] = int(e.args[1].value)  # type: ignore[arg-type]
        elif e.op in ("and", "or"):
            for a in e.args:
                scan(a)
    scan(model.terminal)
    return out


def final_actions(model: Model) -> set[int]:
    """Actions after which their task can never move again (it sits at its finished pc,
    no action of the task leaves that pc, and no other task writes the pc)."""
    done = done_pcs(model)
    pc_of = {task: pc for task, pc, _ in model.pcs}
    out: set[int] = set()
    for task, d in done.items():
        pc = pc_of[task]
        mine = [a for a in model.actions if a.task == task]
        if any(pc_value(a.guard, pc) in (None, d) for a in mine):
            continue       # some action may fire at the finished pc
        if any(a.task != task and any(n == pc for n, _ in a.updates) for a in model.actions):
            continue
        for a in mine:
            for n, e in a.updates:
                if n == pc and e.op == "const" and int(e.value) == d:  # type: ignore[arg-type]
                    out.add(a.index)
    return out


def order_updates(updates: tuple[tuple[str, Expr], ...]) -> tuple[list[int], list[int]]:
    """Sequential order for a simultaneous assignment.

    Returns ``(direct, via_tmp)``: the indices of updates that can be assigned in place,
    in an order where none reads a variable written before it, and the indices that must
    be computed into temporaries first (members of a read/write cycle)."""
    n = len(updates)
    reads = [free_vars(e) for _, e in updates]
    names = [v for v, _ in updates]
    # i must come before j when j writes something i reads
    before: dict[int, set[int]] = {i: set() for i in range(n)}   # j -> readers that must precede
    for i in range(n):
        for j in range(n):
            if i != j and names[j] in reads[i]:
                before[j].add(i)
    left = list(range(n))
    direct: list[int] = []
    via_tmp: list[int] = []
    while left:
        ready = [j for j in left if not (before[j] & set(left))]
        if ready:
            j = ready[0]
            direct.append(j)
        else:
            j = left[0]
            via_tmp.append(j)
        left.remove(j)
    return direct, via_tmp


class PromelaWriter(ExprWriter):
    def __init__(self, model: Model, title: str = "") -> None:
        self.m = model
        self.title = title
        self.names = PromelaNames()
        self.var: dict[str, str] = {}
        self.types = {v.name: v.type for v in model.vars}
        self.enum_const: dict[tuple[EnumType, int], str] = {}
        self.enums = model_enums(model)
        for v in model.vars:
            self.var[v.name] = self.names.fresh(v.name)
        self._name_enum_values()
        self.tmp: dict[str, str] = {}

    # ------------------------------------------------------------ naming
    def _name_enum_values(self) -> None:
        count: dict[str, int] = {}
        for t in self.enums:
            for v in t.values:
                count[v] = count.get(v, 0) + 1
        for t in self.enums:
            for i, v in enumerate(t.values):
                if IDENT.match(v) and count[v] == 1 and v not in self.names.used:
                    want = v
                elif IDENT.match(v) and len(v) <= 40:
                    want = f"{t.name}_{v}"
                else:
                    want = f"{t.name}_{i}"
                self.enum_const[(t, i)] = self.names.fresh(want)

    # ------------------------------------------------------------ values and types
    def value(self, ty: Type, v: Value) -> str:
        if isinstance(ty, BoolType):
            return "true" if v else "false"
        if isinstance(ty, IntType):
            return str(int(v)) if int(v) >= 0 else f"({int(v)})"
        if isinstance(ty, EnumType):
            if (ty, int(v)) in self.enum_const:
                return self.enum_const[(ty, int(v))]
            return str(int(v))
        assert isinstance(ty, SetType)
        bits = [i for i in range(len(ty.elem.values)) if int(v) >> i & 1]
        if int(v) >> len(ty.elem.values):
            return str(int(v))          # bits outside the element enum: keep the number
        if not bits:
            return "0"
        parts = [f"(1 << {self.value(ty.elem, i)})" for i in bits]
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"

    @staticmethod
    def ctype(ty: Type) -> str:
        if isinstance(ty, BoolType):
            return "bool"
        if isinstance(ty, IntType):
            lo, hi = ty.lo, ty.hi
        elif isinstance(ty, EnumType):
            lo, hi = 0, max(len(ty.values) - 1, 0)
        else:
            lo, hi = 0, (1 << len(ty.elem.values)) - 1
        if lo >= 0 and hi <= 255:
            return "byte"
        if lo >= -32768 and hi <= 32767:
            return "short"
        if lo >= -(1 << 31) and hi <= (1 << 31) - 1:
            return "int"
        raise ValueError(f"type {ty} does not fit a Promela int")

    # ------------------------------------------------------------ expressions
    def operator(self, e: Expr, x: list[str]) -> str:
        op = e.op
        infix = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "add": "+", "sub": "-",
                 "union": "|", "inter": "&"}
        if op in infix:
            return f"({x[0]} {infix[op]} {x[1]})"
        if op == "diff":
            return f"({x[0]} & ~{x[1]})"
        if op == "ite":
            return f"({x[0]} -> {x[1]} : {x[2]})"
        if op == "singleton":
            return f"(1 << {x[0]})"
        if op == "member":
            return f"(({x[1]} >> {x[0]}) & 1)"
        raise ValueError(f"IR operator {op!r} has no Promela rendering")

    # ------------------------------------------------------------ the file
    def render(self) -> str:
        m = self.m
        invs = [p for p in m.properties if isinstance(p, Invariant)]
        dls = [p for p in m.properties if isinstance(p, DeadlockFree)]
        multi_init = any(len(vs) > 1 for vs in m.init)
        watch = bool(dls) and not (m.terminal.op == "const" and m.terminal.value is True)
        self.claims = {p.name: self.names.fresh(p.name) for p in invs}
        self.inv_macro = {p.name: self.names.fresh("INV_" + p.name) for p in invs}
        self.terminal_macro = self.names.fresh("TERMINAL_STATE")
        tasks = task_order(m)
        self.procs = {t: self.names.fresh("task_" + t) for t in tasks}
        self.watch_name = self.names.fresh("terminal_watch") if watch else ""
        body: list[str] = []
        body += self._header(invs, dls, watch)
        body += self._enums()
        body += self._state()
        body += self._properties_macros(invs)
        for t in tasks:
            body += self._task(t, active=not multi_init)
        if watch:
            body += self._watch(dls)
        if multi_init:
            body += self._init(tasks)
        body += self._claims(invs)
        text = "\n".join(body) + "\n"
        # the temporaries are declared once the actions have asked for them
        return text.replace("/*@TMP@*/\n", self._tmp_decls())

    def _header(self, invs: list[Invariant], dls: list[DeadlockFree], watch: bool) -> list[str]:
        m = self.m
        out = ["/*", f" * {comment(m.name)}: Promela model exported by flagcheck."]
        if self.title:
            out.append(f" * {comment(self.title)}")
        out += [f" * {note}" for note in meta_notes(m, comment)]
        out += [f" * {len(m.vars)} variables, {len(m.actions)} actions, "
                f"{len(self.procs)} task process(es).",
                " *",
                " * Each d_step is one step of flagcheck's IR (one action); traces and depths",
                " * count d_steps.  Check it with SPIN (BFS gives shortest counterexamples):",
                " *   spin -a THIS.pml",
                " *   gcc -O2 -DBFS -DNOREDUCE -o pan pan.c"]
        for p in invs:
            out.append(f" *   ./pan -N {self.claims[p.name]}    # invariant {comment(p.name)}")
        for p in dls:
            flag = " -DNOCLAIM" if invs else ""
            out.append(f" *   gcc -O2 -DBFS -DNOREDUCE{flag} -o pan_end pan.c && ./pan_end"
                       f"    # {comment(p.name)}: an invalid end state is a deadlock")
        if not dls:
            out.append(" * No deadlock property: blocking is never an error here (every task may"
                       " stop at the top of its loop).")
        out += [" *   spin -t -p THIS.pml    # replay the trail pan wrote", " */", ""]
        return out

    def _enums(self) -> list[str]:
        out: list[str] = []
        for t in self.enums:
            out.append(f"/* enum {comment(t.name)} */")
            for i, v in enumerate(t.values):
                name = self.enum_const[(t, i)]
                note = "" if name == v else f"    /* {comment(v)} */"
                out.append(f"#define {name} {i}{note}")
            out.append("")
        return out

    def _state(self) -> list[str]:
        m = self.m
        out: list[str] = []
        groups: dict[str, list[int]] = {}
        for i, v in enumerate(m.vars):
            key = ("internal" if v.internal and v.owner is None else
                   f"{v.owner}" if v.owner is not None else "global")
            groups.setdefault(key, []).append(i)
        pcs = {pc: (task, infos) for task, pc, infos in m.pcs}
        done = done_pcs(m)
        for key, idxs in groups.items():
            out.append(f"/* ---- {comment(key)} ---- */")
            for i in idxs:
                v = m.vars[i]
                ty = v.type
                init = self.value(ty, m.init[i][0]) if m.init[i] else self.value(ty, 0)
                note = [f"{v.name} : {ty}"]
                if isinstance(ty, SetType):
                    note.append("bitmask: " + ", ".join(
                        f"bit {j} = {self.value(ty.elem, j)}" for j in range(len(ty.elem.values))))
                if len(m.init[i]) > 1:
                    note.append("initially one of " + ", ".join(show_value(ty, x) for x in m.init[i]))
                if v.name in pcs:
                    task, infos = pcs[v.name]
                    if task in done:
                        note.append(f"{done[task]} = finished")
                decl = f"{self.ctype(ty)} {self.var[v.name]} = {init};"
                out.append(f"{decl:<40} /* {comment('; '.join(note))} */")
                if m.error_var == v.name and isinstance(ty, EnumType):
                    for j, msg in enumerate(ty.values[1:], 1):
                        out.append(f"{'':<40} /* {self.enum_const[(ty, j)]}: {comment(msg)} */")
            out.append("")
        out.append("/*@TMP@*/")
        return out

    def _tmp_decls(self) -> str:
        if not self.tmp:
            return ""
        lines = ["/* scratch for simultaneous assignments; always 0 between steps */"]
        for v, t in self.tmp.items():
            lines.append(f"{self.ctype(self.types[v])} {t};")
        return "\n".join(lines) + "\n\n"

    def _properties_macros(self, invs: list[Invariant]) -> list[str]:
        out: list[str] = []
        for p in invs:
            doc = f": {comment(p.doc)}" if p.doc else ""
            out.append(f"/* invariant {comment(p.name)}{doc} */")
            out.append(f"#define {self.inv_macro[p.name]} {self.expr(p.expr)}")
            out.append("")
        out.append("/* every task has finished (or a run-time error stopped the run) */")
        out.append(f"#define {self.terminal_macro} {self.expr(self.m.terminal)}")
        out.append("")
        return out

    def _assign(self, updates: tuple[tuple[str, Expr], ...]) -> list[str]:
        direct, via_tmp = order_updates(updates)
        stmts: list[str] = []
        for i in via_tmp:
            n, e = updates[i]
            t = self.tmp.setdefault(n, self.names.fresh("tmp_" + self.var[n]))
            stmts.append(f"{t} = {self.expr(e)}")
        for i in direct:
            n, e = updates[i]
            stmts.append(f"{self.var[n]} = {self.expr(e)}")
        for i in via_tmp:
            n, _ = updates[i]
            stmts.append(f"{self.var[n]} = {self.tmp[n]}")
        for i in via_tmp:
            n, _ = updates[i]
            zero = "false" if isinstance(self.types[n], BoolType) else "0"
            stmts.append(f"{self.tmp[n]} = {zero}")
        return stmts

    def _task(self, task: str, active: bool) -> list[str]:
        m = self.m
        final = final_actions(m)
        label = self.names.fresh("end_" + task)
        head = f"{'active ' if active else ''}proctype {self.procs[task]}()"
        why = ("a valid end state; terminal_watch decides about deadlock" if self.watch_name
               else "a valid end state: the model has no deadlock property")
        out = [f"/* ==== task {comment(task)} ==== */", head, "{",
               f"{label}:    /* waiting here is {why} */",
               "    do"]
        acts = [a for a in m.actions if a.task == task]
        for a in acts:
            head, *notes = step_notes(a, " › ", comment)
            out.append(f"    /* {head}")
            out += [f"     *   {note}" for note in notes]
            out[-1] += " */"
            stmts = self._assign(a.updates)
            guard = self.expr(a.guard)
            tail = "; break" if a.index in final else ""
            if not stmts:
                stmts = ["skip"]
            out.append(f"    :: d_step {{ {guard} ->")
            for k, s in enumerate(stmts):
                out.append(f"           {s}{';' if k < len(stmts) - 1 else ''}")
            out.append(f"       }}{tail}")
        if not acts:
            out.append("    :: false    /* this task has no actions */")
        out.append("    od;" if final & {a.index for a in acts} else "    od")
        if final & {a.index for a in acts}:
            # parked rather than terminated: a dead process would be a second SPIN state
            # for the same IR state (processes die one by one, in reverse creation order)
            done = self.names.fresh(f"end_{task}_finished")
            out += [f"{done}:    /* the task has finished; it waits here, a valid end state */",
                    "    false"]
        out += ["}", ""]
        return out

    def _watch(self, dls: list[DeadlockFree]) -> list[str]:
        names = ", ".join(comment(p.name) for p in dls)
        return [f"/* ==== deadlock freedom ({names}) ====",
                " * Parked at the top of the loop (not an end state) exactly while the run is",
                " * not terminal, so SPIN's \"invalid end state\" = no action enabled and not",
                " * every task finished. */",
                f"active proctype {self.watch_name}()",
                "{",
                "    do",
                f"    :: {self.terminal_macro} ->",
                f"end_terminal:  !{self.terminal_macro}",
                "    od",
                "}",
                ""]

    def _init(self, tasks: list[str]) -> list[str]:
        m = self.m
        out = ["/* ==== initial states: pick one allowed value per variable, then start ==== */",
               "init", "{", "    atomic {"]
        for i, v in enumerate(m.vars):
            if len(m.init[i]) > 1:
                opts = " ".join(f":: {self.var[v.name]} = {self.value(v.type, x)}"
                                for x in m.init[i])
                out.append(f"        if {opts} fi;")
        for t in tasks:
            out.append(f"        run {self.procs[t]}();")
        out[-1] = out[-1].rstrip(";")
        out += ["    }", "}", ""]
        return out

    def _claims(self, invs: list[Invariant]) -> list[str]:
        out: list[str] = []
        for p in invs:
            out += [f"/* invariant {comment(p.name)}: ./pan -N {self.claims[p.name]} */",
                    f"never {self.claims[p.name]} {{",
                    "    do",
                    f"    :: !({self.inv_macro[p.name]}) -> break",
                    "    :: else",
                    "    od",
                    "}",
                    ""]
        return out


#: the values a Promela ``int`` holds (SPIN's int is 32-bit two's complement)
PROMELA_INT = (-(1 << 31), (1 << 31) - 1)


def check_fits(model: Model) -> None:
    """Refuse, as the user's error, a model with a variable no Promela type can hold.

    flagcheck's own engines take any width, so such a design verifies; only the export
    cannot encode it, and the author needs to know which variable and why.
    """
    lo_max, hi_max = PROMELA_INT
    for v in model.vars:
        ty = v.type
        if isinstance(ty, SetType) and len(ty.elem.values) > 31:
            why = (f"a set of {ty.elem.name} is a bitmask of one bit per value, and there are "
                   f"{len(ty.elem.values)} {ty.elem.name} values; a Promela int has 31 value "
                   "bits")
        elif isinstance(ty, IntType) and not (lo_max <= ty.lo and ty.hi <= hi_max):
            why = f"its range {ty.lo}..{ty.hi} is outside Promela's int, {lo_max}..{hi_max}"
        else:
            continue
        raise DesignError(f"cannot export to Promela: variable {v.name} ({ty}) does not fit "
                          f"a Promela int: {why}",
                          hint="use fewer values for the export, or export to TLA+ (--to tla)")


def to_promela(model: Model, title: str = "") -> str:
    """The Promela text of ``model`` (see the module docstring for the encoding)."""
    check_fits(model)
    return PromelaWriter(model, title).render()
