"""The TLA+ export (tlamodel.emit_tla) parses, is well-scoped, and means what the IR means.

No SANY here: tla2tools.jar is not served by any package registry this project can reach.
What is checked instead, for every design × scenario in specs/ (reduced, as the engines see
it) and for random IR models from tests/strategies.py's ``models()``:

1. Syntax, twice, with two independent parsers from PyPI:
   * ``tree-sitter-tlaplus`` (the TLA+ Foundation's grammar, the one the VS Code extension
     uses): the tree must contain no ERROR or MISSING node;
   * ``tla`` (an LR(1) parser of the full TLA+ grammar): must accept the module (a sample
     of the models only: it takes seconds per large module).
2. Scoping, the part of SANY's semantic pass that can go wrong here: every identifier used
   is a declared variable, a definition of the module, a bound variable in scope, or an
   operator of the extended standard module; nothing is defined twice.
3. Meaning: a small interpreter walks the tree-sitter parse tree (so precedence and the
   bulleted-list layout are taken as a TLA+ parser reads them, not as the emitter meant
   them), enumerates ``Init`` and ``Next``, and the state graph must equal pyspec's
   exactly: the same initial states, and from every reachable state the same successor
   states.  In every reachable state ``TypeOK`` holds and each invariant operator,
   ``Terminal`` and the deadlock operator (``Terminal \\/ ENABLED Next``) have the values
   pyspec gives the IR.

Skipped, with the reason, when the parser packages are not installed (.ci/run installs them).
"""
from __future__ import annotations

import functools
import glob
import itertools
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.budget import examples
from tests.isolate import in_child
from tests.strategies import sample

from flagcheck.pyspec.evaluate import evaluate
from flagcheck.pyspec.successors import compiled, initial_states, is_deadlock
from flagcheck.tlamodel.emit_tla import TlaWriter, to_tla
from flagcheck.tlamodel.ir import DeadlockFree, EnumType, Invariant, Model, SetType
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model
from tests.tlamodel.test_emit_promela import edge_model

ts = pytest.importorskip("tree_sitter", reason="TLA+ checks need the tree-sitter package")
tsl = pytest.importorskip("tree_sitter_tlaplus",
                          reason="TLA+ checks need the tree-sitter-tlaplus package")

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def parser() -> Any:
    """Made on first use, in the forked child that parses (tests.isolate: tree-sitter's
    freed memory must not outlive the check in the xdist worker)."""
    with warnings.catch_warnings():   # tree-sitter-tlaplus 1.5 hands over the grammar as an int
        warnings.simplefilter("ignore", DeprecationWarning)
        return ts.Parser(ts.Language(tsl.language()))


STD = {"Integers": set(), "Naturals": set()}     # module names; the operators used are symbols
N_RANDOM = examples(40)


# ---------------------------------------------------------------- parse tree -> tuples
def parse(text: str):  # noqa: ANN201
    tree = parser().parse(text.encode())
    return tree.root_node


def errors(node) -> list[str]:  # noqa: ANN001
    out = []
    if node.type == "ERROR" or node.is_missing:
        out.append(f"{node.type}{' (missing)' if node.is_missing else ''} at "
                   f"{node.start_point[0] + 1}:{node.start_point[1] + 1}: "
                   f"{node.text.decode()[:80]!r}")
    for c in node.children:
        out += errors(c)
    return out


def kids(n) -> list:  # noqa: ANN001
    return [c for c in n.children if c.is_named and c.type not in ("comment", "block_comment")]


_INFIX = {"eq", "neq", "lt", "leq", "gt", "geq", "plus", "minus", "land", "lor", "in", "notin",
          "cup", "cap", "setminus", "dots_2", "implies", "equiv"}


def tup(n) -> Any:  # noqa: ANN001, C901
    """A small tuple AST for the constructs the exporter writes (anything else fails)."""
    t = n.type
    if t == "identifier_ref":
        return ("id", n.text.decode())
    if t == "nat_number":
        return ("num", int(n.text.decode()))
    if t == "string":
        return ("str", n.text.decode()[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
    if t == "boolean":
        return ("bool", n.text.decode() == "TRUE")
    if t == "boolean_set":
        return ("set", [("bool", False), ("bool", True)])
    if t == "parentheses":
        return tup(kids(n)[0])
    if t == "finite_set_literal":
        return ("set", [tup(k) for k in kids(n)])
    if t == "tuple_literal":
        return ("tuple", [tup(k) for k in kids(n) if k.type not in ("langle_bracket", "rangle_bracket")])
    if t == "bound_infix_op":
        sym = n.child_by_field_name("symbol").type
        assert sym in _INFIX, f"unexpected infix operator {sym}"
        return ("infix", sym, tup(n.child_by_field_name("lhs")), tup(n.child_by_field_name("rhs")))
    if t == "bound_prefix_op":
        sym = n.child_by_field_name("symbol").type
        return ("prefix", sym, tup(n.child_by_field_name("rhs")))
    if t == "bound_postfix_op":
        sym = n.child_by_field_name("symbol").type
        assert sym == "prime", sym
        return ("prime", tup(n.child_by_field_name("lhs")))
    if t == "if_then_else":
        return ("ite", tup(n.child_by_field_name("if")), tup(n.child_by_field_name("then")),
                tup(n.child_by_field_name("else")))
    if t in ("conj_list", "disj_list"):
        items = [tup(kids(item)[-1]) for item in kids(n)]
        return ("and" if t == "conj_list" else "or", items)
    if t == "function_literal":
        qb, body = kids(n)[0], kids(n)[-1]
        return ("fun", qb.child_by_field_name("intro").text.decode(),
                tup(qb.child_by_field_name("set")), tup(body))
    if t == "case":
        arms = []
        for arm in kids(n):
            if arm.type == "case_arm":
                c, v = [k for k in kids(arm) if k.type != "case_arrow"]
                arms.append((tup(c), tup(v)))
        return ("case", arms)
    if t == "function_evaluation":
        f, x = kids(n)
        return ("app", tup(f), tup(x))
    if t in ("step_expr_or_stutter", "fairness", "always"):
        return ("temporal", t)
    raise AssertionError(f"unexpected TLA+ construct {t}: {n.text.decode()[:80]!r}")


class Module:
    def __init__(self, text: str) -> None:
        root = parse(text)
        bad = errors(root)
        assert not bad, "tree-sitter-tlaplus found syntax errors:\n" + "\n".join(bad[:10])
        (mod,) = [k for k in kids(root) if k.type == "module"]
        self.name = mod.child_by_field_name("name").text.decode()
        self.variables: list[str] = []
        self.defs: dict[str, Any] = {}
        self.extends: list[str] = []
        self.nodes: dict[str, Any] = {}
        for k in kids(mod):
            if k.type == "extends":
                self.extends += [x.text.decode() for x in kids(k)]
            elif k.type == "variable_declaration":
                self.variables += [x.text.decode() for x in kids(k)]
            elif k.type == "operator_definition":
                name = k.child_by_field_name("name").text.decode()
                assert name not in self.defs and name not in self.variables, f"{name} defined twice"
                self.nodes[name] = k.child_by_field_name("definition")
                self.defs[name] = tup(self.nodes[name])
        assert len(set(self.variables)) == len(self.variables), "a variable declared twice"
        self.cache: dict[str, Any] = {}
        self.act_memo: dict[int, bool] = {}
        self.pure: dict[str, bool] = {}
        self.cmemo: dict[tuple[int, frozenset[str]], Callable] = {}
        self.smemo: dict[int, Callable] = {}
        self.last_steps: tuple[Any, list] = (None, [])
        self.action_defs = {n for n in self.defs if self._is_action(self.defs[n], set())}

    # -------------------------------------------------------------- scoping
    def check_scopes(self) -> None:
        known = set(self.variables) | set(self.defs)
        for ext in self.extends:
            assert ext in STD, f"EXTENDS {ext}: not a standard module the checks know"

        def walk(node: Any, bound: frozenset[str], where: str) -> None:
            if not isinstance(node, tuple):
                return
            if node[0] == "id":
                assert node[1] in known or node[1] in bound, f"{where}: unknown identifier {node[1]}"
                return
            if node[0] == "fun":
                assert node[1] not in known, f"{where}: bound {node[1]} shadows a definition"
                walk(node[2], bound, where)
                walk(node[3], bound | {node[1]}, where)
                return
            for x in node[1:]:
                if isinstance(x, list):
                    for y in x:
                        if isinstance(y, tuple) and y and isinstance(y[0], tuple):
                            for z in y:
                                walk(z, bound, where)
                        else:
                            walk(y, bound, where)
                else:
                    walk(x, bound, where)
        for name, d in self.defs.items():
            walk(d, frozenset(), name)
        # the temporal formulas are opaque tuples above; check their identifiers by text
        for name in ("Spec", "SpecD"):
            node = self.nodes.get(name)
            assert node is not None, f"no {name}"
            for ref in _refs(node):
                assert ref in known, f"{name}: unknown identifier {ref}"

    # -------------------------------------------------------------- evaluation
    def _is_action(self, node: Any, seen: set[str]) -> bool:
        if not isinstance(node, tuple):
            return False
        hit = self.act_memo.get(id(node))
        if hit is None:
            hit = self.act_memo[id(node)] = self._is_action_walk(node, seen)
        return hit

    def _is_action_walk(self, node: Any, seen: set[str]) -> bool:
        if node[0] == "prime" or (node[0] == "prefix" and node[1] == "unchanged"):
            return True
        if node[0] == "id" and node[1] in self.defs and node[1] not in seen:
            return self._is_action(self.defs[node[1]], seen | {node[1]})
        return any(self._is_action(x, seen) if isinstance(x, tuple) else
                   any(self._is_action(y, seen) for y in x if isinstance(y, tuple))
                   if isinstance(x, list) else False for x in node[1:])

    def ev(self, node: Any, s: dict[str, Any], env: dict[str, Any]) -> Any:
        """Value of ``node`` (a node of this module's trees: compiled closures are memoised
        by node identity)."""
        return self.comp(node, frozenset(env))(s, env)

    def value(self, name: str, s: dict[str, Any]) -> Any:
        """Value of the definition ``name`` in state ``s``."""
        return self.ev(self.defs[name], s, {})

    def steps(self, node: Any, s: dict[str, Any]) -> list[dict[str, Any]]:
        """The primed assignments an action formula allows from ``s`` (the last answer is
        kept: ENABLED Next asks again for the state whose successors were just taken)."""
        key = (id(node), id(s))
        if self.last_steps[0] != key:
            self.last_steps = (key, self.cstep(node)(s))
        return self.last_steps[1]

    # The interpreter compiles the tuple AST into closures once per node: the big models
    # have ~1000 states × ~200 actions to go through.
    def comp(self, node: Any, bound: frozenset[str] = frozenset()) -> Callable:  # noqa: C901
        key = (id(node), bound)
        hit = self.cmemo.get(key)
        if hit is not None:
            return hit
        f = self._comp(node, bound)
        self.cmemo[key] = f
        return f

    def _comp(self, node: Any, bound: frozenset[str]) -> Callable:  # noqa: C901
        k = node[0]
        if k == "id":
            n = node[1]
            if n in bound:
                return lambda s, e: e[n]
            if n in self.variables:
                return lambda s, e: s[n]
            if n not in self.pure:
                self.pure[n] = not _mentions_vars(self.defs[n], set(self.variables), self.defs)
            body = self.comp(self.defs[n])
            if self.pure[n]:
                v = body({}, {})
                return lambda s, e: v
            return lambda s, e: body(s, {})
        if k in ("num", "str", "bool"):
            v = node[1]
            return lambda s, e: v
        if k == "set":
            fs = [self.comp(x, bound) for x in node[1]]
            return lambda s, e: frozenset(f(s, e) for f in fs)
        if k in ("and", "or"):
            fs = [self.comp(x, bound) for x in node[1]]
            if k == "and":
                return lambda s, e: all(f(s, e) for f in fs)
            return lambda s, e: any(f(s, e) for f in fs)
        if k == "ite":
            c, a, b = (self.comp(x, bound) for x in node[1:])
            return lambda s, e: a(s, e) if c(s, e) else b(s, e)
        if k == "case":
            arms = [(self.comp(c, bound), self.comp(v, bound)) for c, v in node[1]]

            def case(s: dict, e: dict) -> Any:
                for c, v in arms:
                    if c(s, e):
                        return v(s, e)
                raise AssertionError("CASE: no arm applies")
            return case
        if k == "fun":
            x = node[1]
            dom, body = self.comp(node[2], bound), self.comp(node[3], bound | {x})
            return lambda s, e: {d: body(s, {**e, x: d}) for d in dom(s, e)}
        if k == "app":
            f, a = self.comp(node[1], bound), self.comp(node[2], bound)
            return lambda s, e: f(s, e)[a(s, e)]
        if k == "prefix":
            op, a = node[1], node[2]
            if op == "enabled":
                return lambda s, e: bool(self.steps(a, s))
            x = self.comp(a, bound)
            if op == "lnot":
                return lambda s, e: not x(s, e)
            if op == "negative":
                return lambda s, e: -x(s, e)
            if op == "powerset":
                def powerset(s: dict, e: dict) -> frozenset:
                    base = sorted(x(s, e))
                    return frozenset(frozenset(c) for r in range(len(base) + 1)
                                     for c in itertools.combinations(base, r))
                return powerset
            raise AssertionError(f"prefix {op} in a state expression")
        if k == "infix":
            op = node[1]
            a, b = self.comp(node[2], bound), self.comp(node[3], bound)
            if op == "land":
                return lambda s, e: a(s, e) and b(s, e)
            if op == "lor":
                return lambda s, e: a(s, e) or b(s, e)
            lhs, rhs = node[2], node[3]
            if op in ("eq", "neq") and lhs[0] == "id" and lhs[1] in self.variables \
                    and lhs[1] not in bound and rhs[0] in ("num", "str", "bool"):
                n, v = lhs[1], rhs[1]          # the `pc = k` at the top of every action
                if op == "eq":
                    return lambda s, e: s[n] == v
                return lambda s, e: s[n] != v
            fn = {"eq": lambda x, y: x == y, "neq": lambda x, y: x != y,
                  "lt": lambda x, y: x < y, "leq": lambda x, y: x <= y,
                  "gt": lambda x, y: x > y, "geq": lambda x, y: x >= y,
                  "plus": lambda x, y: x + y, "minus": lambda x, y: x - y,
                  "in": lambda x, y: x in y, "notin": lambda x, y: x not in y,
                  "cup": lambda x, y: x | y, "cap": lambda x, y: x & y,
                  "setminus": lambda x, y: x - y,
                  "dots_2": lambda x, y: frozenset(range(x, y + 1))}[op]
            return lambda s, e: fn(a(s, e), b(s, e))
        raise AssertionError(f"cannot evaluate {k} in a state expression")

    def cstep(self, node: Any) -> Callable[[dict], list[dict]]:
        hit = self.smemo.get(id(node))
        if hit is None:
            hit = self.smemo[id(node)] = self._cstep(node)
        return hit

    def _cstep(self, node: Any) -> Callable[[dict], list[dict]]:
        k = node[0]
        if k == "id" and node[1] in self.action_defs:
            return self.cstep(self.defs[node[1]])
        if k == "or" or (k == "infix" and node[1] == "lor" and self._is_action(node, set())):
            fs = [self.cstep(it) for it in (node[1] if k == "or" else [node[2], node[3]])]
            return lambda s: [a for f in fs for a in f(s)]
        if k == "and" or (k == "infix" and node[1] == "land"):
            items = node[1] if k == "and" else [node[2], node[3]]
            parts = [(True, self.cstep(it)) if self._is_action(it, set())
                     else (False, self.comp(it)) for it in items]

            def conj(s: dict) -> list[dict]:
                out: list[dict] = [{}]
                for is_act, f in parts:
                    if not is_act:
                        if not f(s, {}):
                            return []
                        continue
                    new = []
                    for part in out:
                        for more in f(s):
                            if all(part.get(x, v) == v for x, v in more.items()):
                                new.append({**part, **more})
                    out = new
                    if not out:
                        return []
                return out
            return conj
        if k == "infix" and node[1] == "eq" and node[2][0] == "prime":
            assert node[2][1][0] == "id" and node[2][1][1] in self.variables
            x, rhs = node[2][1][1], self.comp(node[3])
            return lambda s: [{x: rhs(s, {})}]
        if k == "prefix" and node[1] == "unchanged":
            names = self._tuple_vars(node[2])
            return lambda s: [{x: s[x] for x in names}]
        assert not self._is_action(node, set()), f"unsupported action formula {k}"
        g = self.comp(node)
        return lambda s: [{}] if g(s, {}) else []

    def _tuple_vars(self, node: Any) -> list[str]:
        if node[0] == "id" and node[1] in self.defs:
            return self._tuple_vars(self.defs[node[1]])
        if node[0] == "id":
            return [node[1]]
        assert node[0] == "tuple"
        return [x for el in node[1] for x in self._tuple_vars(el)]

    def initial(self) -> list[dict[str, Any]]:
        body = self.defs["Init"]
        items = body[1] if body[0] == "and" else [body]
        choices: dict[str, list[Any]] = {}
        for it in items:
            assert it[0] == "infix" and it[1] in ("eq", "in") and it[2][0] == "id", it
            v = self.ev(it[3], {}, {})
            choices[it[2][1]] = [v] if it[1] == "eq" else sorted(v, key=repr)
        assert set(choices) == set(self.variables), "Init does not give every variable a value"
        names = list(choices)
        return [dict(zip(names, combo)) for combo in itertools.product(*(choices[n] for n in names))]


def _refs(node) -> set[str]:  # noqa: ANN001
    out = set()
    if node.type == "identifier_ref":
        out.add(node.text.decode())
    for c in node.children:
        out |= _refs(c)
    return out


def _mentions_vars(node: Any, variables: set[str], defs: dict[str, Any], seen=None) -> bool:  # noqa: ANN001
    seen = seen or set()
    if not isinstance(node, tuple):
        return False
    if node[0] == "id":
        if node[1] in variables:
            return True
        if node[1] in defs and node[1] not in seen:
            return _mentions_vars(defs[node[1]], variables, defs, seen | {node[1]})
        return False
    if node[0] == "prefix" and node[1] == "enabled":
        return True
    for x in node[1:]:
        if isinstance(x, tuple) and _mentions_vars(x, variables, defs, seen):
            return True
        if isinstance(x, list):
            for y in x:
                if isinstance(y, tuple) and y and isinstance(y[0], tuple):
                    if any(_mentions_vars(z, variables, defs, seen) for z in y):
                        return True
                elif _mentions_vars(y, variables, defs, seen):
                    return True
    return False


# ---------------------------------------------------------------- IR <-> TLA+ values
def to_ir(w: TlaWriter, m: Model, s: dict[str, Any]) -> tuple:
    out = []
    for d in m.vars:
        v = s[w.var[d.name]]
        ty = d.type
        if isinstance(ty, EnumType):
            v = [w.enum_val[(ty, i)] for i in range(len(ty.values))].index(v)
        elif isinstance(ty, SetType):
            names = [w.enum_val[(ty.elem, i)] for i in range(len(ty.elem.values))]
            v = sum(1 << names.index(x) for x in v)
        out.append(v)
    return tuple(out)


def check_semantics(m: Model, text: str | None = None) -> None:
    """``same_meaning`` in a forked child (tests.isolate): the parse trees stay there."""
    in_child(same_meaning, m, text)


def same_meaning(m: Model, text: str | None = None) -> None:
    w = TlaWriter(m)
    rendered = w.render()
    text = text or rendered
    mod = Module(text)
    mod.check_scopes()
    cm = compiled(m)
    assert mod.variables == [w.var[v.name] for v in m.vars]
    tla_init = {to_ir(w, m, s): s for s in mod.initial()}
    ir_init = set(initial_states(m))
    assert set(tla_init) == ir_init, "Init differs from Model.init"
    seen = dict(tla_init)
    todo = list(tla_init)
    index = m.var_index()
    invs = [p for p in m.properties if isinstance(p, Invariant)]
    dls = [p for p in m.properties if isinstance(p, DeadlockFree)]
    while todo:
        ir = todo.pop()
        s = seen[ir]
        succ_tla = set()
        for a in mod.steps(mod.defs["Next"], s):
            assert set(a) == set(mod.variables), f"a step leaves {set(mod.variables) - set(a)} open"
            t = to_ir(w, m, a)
            succ_tla.add(t)
            if t not in seen:
                seen[t] = a
                todo.append(t)
        succ_ir = {c.fire(ir) for c in cm.candidates(ir) if c.guard(ir)}
        assert succ_tla == succ_ir, f"successors differ in state {ir}"
        assert mod.value("TypeOK", s) is True, f"TypeOK false in {ir}"
        assert mod.value("Terminal", s) == bool(cm.terminal(ir))
        for p in invs:
            assert mod.value(w.prop_name[p.name], s) == bool(evaluate(p.expr, ir, index)), \
                f"{p.name} differs in {ir}"
        for p in dls:
            assert mod.value(w.prop_name[p.name], s) == (not is_deadlock(m, ir)), \
                f"{p.name} differs in {ir}"


# ---------------------------------------------------------------- cases
def spec_cases() -> list[tuple[str, str]]:
    out = []
    for path in sorted(glob.glob(str(ROOT / "specs" / "*.yaml"))):
        d = cached_design(path)
        out += [(path, s.name) for s in d.scenarios]
    return out


def spec_model(path: str, scen: str) -> Model:
    d = cached_design(path)
    return reduce_model(d.model(d.scenario(scen)))


def random_models() -> list[Model]:
    return sample(N_RANDOM)


# ---------------------------------------------------------------- tests
@pytest.mark.slow
@pytest.mark.parametrize("case", spec_cases(), ids=lambda c: f"{Path(c[0]).stem}-{c[1]}")
def test_shipped_specs_export_to_tla_with_the_same_meaning(case: tuple[str, str]) -> None:
    check_semantics(spec_model(*case))


@pytest.mark.slow
def test_random_models_export_to_tla_with_the_same_meaning() -> None:
    for m in random_models():
        check_semantics(m)


def test_edge_cases_export_to_tla_with_the_same_meaning() -> None:
    m = edge_model()
    text = to_tla(m)
    assert '"colour_2"' in text and "\\* enum colour" in text       # not an identifier
    assert "colour_rank" in text                                     # < on an enum
    assert "(-3)" in text and "SUBSET_2" in text and "IF_2 ==" in text   # keywords renamed
    check_semantics(m, text)


def test_module_layout() -> None:
    in_child(_module_layout)


def _module_layout() -> None:
    m = spec_model(str(ROOT / "specs" / "rfc-v2-tif-taskwork.yaml"), "oleg-lost-signal")
    text = to_tla(m)
    lines = text.splitlines()
    assert lines[0].startswith("---- MODULE rfc_v2_tif_taskwork__oleg_lost_signal ")
    assert lines[-1] == "===="
    mod = Module(text)
    for name in ("TypeOK", "Init", "Next", "Spec", "SpecD", "Terminal", "no_lost_signal",
                 "assertions", "Next_T", "Next_A", "Next_S"):
        assert name in mod.defs, name
    assert "WF_vars(Next_T)" in text and "[][Next]_vars" in text
    assert text.isascii()
    # every IR action is one operator, with its statement and kernel function in a comment
    assert sum(1 for n in mod.defs if n.startswith("a") and n[1:2].isdigit()) == len(m.actions)
    assert "\\* a4: pause > schedule" in text


@pytest.mark.slow
@pytest.mark.parametrize("which", ["coupled-5.9:oleg-on-cpu", "rfc-v2-tif-taskwork:oleg-lost-signal",
                                   "edge", "random"])
def test_lr_parser_accepts_the_modules(which: str) -> None:
    """The second, independent parser (PyPI ``tla``) on a sample: it is slow on big modules."""
    tla = pytest.importorskip("tla", reason="the LR(1) check needs the `tla` package")
    if which == "edge":
        models = [edge_model()]
    elif which == "random":
        models = random_models()[:8]
    else:
        design, scen = which.split(":")
        models = [spec_model(str(ROOT / "specs" / f"{design}.yaml"), scen)]
    for m in models:
        text = to_tla(m)
        tree = tla.parse(text)
        assert tree is not None, f"`tla` rejected the module for {m.name}"
