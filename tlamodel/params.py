"""Parameterised files: ``params:``, ``--param NAME=VALUE`` and task arrays ``A[lo..hi]``.

Why parameters belong to the file that declares them: a scenario family (N senders) and a
design bound (a queue of N entries) are written in different files, often by different
people; a file-local name cannot be changed behind a reader's back by a file it extends.
``--param N=5`` sets N in every file of the run that declares N, and a ``--param`` that no
file declares is an error (a misspelt name would otherwise run the default silently).

The values are read here; tlamodel.expand writes them into the code (docs/language.md,
"Parameters, task arrays and repeat").
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, checked_int, did_you_mean
from flagcheck.tlamodel.expand import Expander, element
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.syntax import CodeRef, parse_expr
from flagcheck.tlamodel.yamlfile import YamlDoc, is_map

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: ``A[1..N]``: a task array's key in ``tasks:``
_ARRAY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\[(.*)\]\s*")
#: the name of an element's index inside the array's own code, group and init
INDEX = "i"
#: parameters are names code could mean something else by
_RESERVED = {"current", "true", "false", "task", "group", "signal", "bool", INDEX}
#: one run may check at most this many parameter values (a sweep of a typo such as
#: 1..100000 would otherwise start a hundred thousand runs)
MAX_SWEEP = 1000


# ---------------------------------------------------------------- --param on the command line
@dataclass(frozen=True)
class Setting:
    """One ``--param``: a name and the value (or, for a sweep, the values) it takes."""
    name: str
    values: tuple[int, ...]

    @property
    def is_range(self) -> bool:
        return len(self.values) != 1


def parse_setting(text: str) -> Setting:
    """``N=5`` or (for a sweep) ``N=1..6``; anything else is a usage error (exit 2)."""
    name, eq, value = text.partition("=")
    name, value = name.strip(), value.strip()
    where = f"--param {text}"
    if not eq or not _NAME.fullmatch(name):
        raise DesignError(f"{where}: write NAME=VALUE or NAME=LO..HI",
                          hint="e.g. --param N=5, or --param N=1..6 for test and compare")
    lo, dots, hi = value.partition("..")
    a = _int(lo.strip(), where)
    b = _int(hi.strip(), where) if dots else a
    if b < a:
        raise DesignError(f"{where}: empty range {a}..{b}", hint="write LO..HI with LO <= HI")
    if b - a >= MAX_SWEEP:
        raise DesignError(f"{where}: {b - a + 1} values; a sweep takes at most {MAX_SWEEP}")
    return Setting(name, tuple(range(a, b + 1)) if dots else (a,))


def _int(text: str, where: str) -> int:
    try:
        return checked_int(text, None, "the value")
    except DesignError as e:
        raise DesignError(f"{where}: {e.message}", hint="parameters are integers, e.g. N=5") \
            from None


def combinations(settings: Iterable[Setting]) -> list[dict[str, int]]:
    """Every assignment a sweep runs, first setting slowest: ``N=1..2 M=5`` gives
    {N: 1, M: 5}, {N: 2, M: 5}.  One assignment when no setting is a range."""
    settings = list(settings)
    names = [s.name for s in settings]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise DesignError(f"--param {dup} is given twice")
    runs = [dict(zip(names, vals)) for vals in itertools.product(*(s.values for s in settings))]
    if len(runs) > MAX_SWEEP:
        raise DesignError(f"the --param ranges make {len(runs)} runs; at most {MAX_SWEEP}")
    return runs


def label(values: Mapping[str, int]) -> str:
    """How a sweep labels one run: ``N=3`` (``N=3 M=1`` for several)."""
    return " ".join(f"{k}={v}" for k, v in values.items())


@dataclass
class Overrides:
    """The ``--param`` values of one run, and which of them the files read so far declare
    (the reader records each declaration; :meth:`check_declared` refuses the others)."""
    values: Mapping[str, int] = field(default_factory=dict)
    declared: set[str] = field(default_factory=set)

    def check_declared(self, more: Iterable[str] = ()) -> None:
        known = self.declared | set(more)
        for name in self.values:
            if name not in known:
                raise DesignError(
                    f"unknown parameter '{name}' in --param: no file of this run declares it",
                    hint=did_you_mean(name, known) or
                    ("declared: " + ", ".join(sorted(known)) if known else
                     "declare it in the scenario or design: params: {" + name + ": 2}"))


# ---------------------------------------------------------------- params: in a file
def read_params(doc: YamlDoc, top: Any, overrides: Overrides | None) -> dict[str, int]:
    """The file's parameters: ``params: {N: 2}`` defaults, replaced by ``--param``."""
    if "params" not in top:
        return {}
    m = top["params"]
    if not is_map(m):
        raise DesignError("'params' must be a mapping of parameter names to integers",
                          doc.value_loc(top, "params"), hint="e.g. params: {N: 2}")
    out: dict[str, int] = {}
    for name in m:
        loc = doc.key_loc(m, name)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise DesignError(f"bad parameter name {name!r}", loc,
                              hint="names are letters, digits and '_' (ASCII)")
        if name in _RESERVED:
            raise DesignError(f"'{name}' cannot name a parameter", loc,
                              hint="it means something else in code; choose another name")
        v = m[name]
        if not isinstance(v, int) or isinstance(v, bool):
            raise DesignError(f"parameter {name} must be an integer, found {v!r}",
                              doc.value_loc(m, name), hint=f"e.g. {name}: 2")
        out[name] = checked_int(str(v), doc.value_loc(m, name), f"parameter {name}")
    if overrides is not None:
        overrides.declared.update(out)
        out.update({k: v for k, v in overrides.values.items() if k in out})
    return out


# ---------------------------------------------------------------- task arrays
def array_key(key: Any) -> tuple[str, str] | None:
    """``A[1..N]`` -> ("A", "1..N"); None for a plain task name."""
    m = _ARRAY.fullmatch(str(key))
    return (m.group(1), m.group(2)) if m else None


def array_range(doc: YamlDoc, m: Any, key: Any, inside: str, exp: Expander) -> tuple[int, int]:
    """The index range of task array ``key`` (``lo..hi``, evaluated now)."""
    loc = doc.key_loc(m, key)
    lo, dots, hi = inside.partition("..")
    if not dots:
        raise DesignError(f"task array {key}: write NAME[LO..HI], e.g. A[1..N]", loc)
    col = loc.col + str(key).index("[") + 1
    a = exp.const(parse_expr(lo, CodeRef(loc.file, loc.line, col), "an array bound"),
                  "an array bound")
    b = exp.const(parse_expr(hi, CodeRef(loc.file, loc.line, col + len(lo) + 2),
                             "an array bound"), "an array bound")
    if a < 0:
        raise DesignError(f"task array {key}: the first index is {a}; indices start at 0 "
                          "or more", loc)
    if b < a:
        raise DesignError(f"task array {key} is empty ({a}..{b}): it needs at least one "
                          "task", loc, hint="a parameter used as the last index must be "
                                            f"at least {a}")
    return a, b


def group_name(doc: YamlDoc, tv: Any, exp: Expander) -> str:
    """An element's ``group:``: a name, or an indexed name (``G[i]``: one group each)."""
    text, ref = doc.code(tv, "group", str(tv["group"]))
    e = parse_expr(text, ref, "a group name")
    if isinstance(e, A.Index):
        return element(e.array, exp.const(e.index, f"the index of {e.array}[...]"))
    if isinstance(e, A.Name):
        return e.id
    raise DesignError("a group is a name, or an indexed name such as G[i]",
                      doc.value_loc(tv, "group"))


def elements(name: str, rng: tuple[int, int], exp: Expander,
             loc: SourceLoc) -> list[tuple[str, Expander]]:
    """Each element's task name and the constants of its code (``i`` bound to its index)."""
    if exp.lookup(INDEX) is not None:
        raise DesignError(f"task array {name}: '{INDEX}' (the element's index in its code) "
                          "is already a parameter", loc)
    return [(element(name, k), exp.with_index(INDEX, k)) for k in range(rng[0], rng[1] + 1)]


# ---------------------------------------------------------------- the rest of the file
#: what only a file that uses this syntax contains: ``A[``, ``repeat``, a named range bound
_MARKS = re.compile(r"\w\s*\[|\brepeat\b|\.\.\s*-?\s*[A-Za-z_]|[A-Za-z_]\w*\s*\.\.")


def expand_spec(spec: Any, exp: Expander, text: str) -> None:
    """Write the file's constants into its state types and initial values, defines,
    procedures and properties (task code is written out as it is read).  A file with no
    parameters and none of the syntax (``text`` tells) is left as read: the libraries'
    hundreds of procedures need not be copied on every load."""
    if not exp.params and not _MARKS.search(text):
        return
    for key, vs in spec.state.items():
        if vs.name in exp.params:
            raise DesignError(f"'{vs.name}' is both a parameter and a {vs.scope} variable",
                              vs.loc, hint="rename one of them")
        spec.state[key] = replace(vs, type_text=exp.type_text(vs.type_text, vs.loc),
                                  init=exp.opt(vs.init))
    for table in (spec.defines, spec.procedures):
        for name, d in table.items():
            for p in d.params:
                exp.binder(p, d.loc, f"a parameter of {name}")
            # a procedure's body is a tuple of statements, a define's one expression
            body = exp.stmts(d.body) if isinstance(d.body, tuple) else exp.expr(d.body)
            table[name] = replace(d, body=body)
    for name, p in spec.properties.items():
        if p.for_each is not None:
            exp.binder(p.for_each, p.loc, f"the for_each variable of {name}")
        spec.properties[name] = replace(p, expr=exp.opt(p.expr), target=exp.opt(p.target))

