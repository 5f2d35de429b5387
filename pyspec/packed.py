"""Packed states and column-wise (vectorised) evaluation for the layered explicit search.

Why: the tuple interpreter (pyspec.evaluate) pays a Python call per operator per state,
which caps the explicit search near 10k states/s.  Here a state is a few 63-bit words (each
variable a bit field holding ``value - lo``; constants take none), a BFS layer is an
``(n, words)`` numpy array, and each
IR expression is compiled once into a closure over *columns* (one array per variable), so an
operator costs one numpy call per layer instead of one Python call per state.  The closures
are built from ordinary functions over ``tlamodel.ir.MEANING``'s operators: no eval/exec.

A model the packing cannot hold (more than four words of state, an initial value outside
its type, numpy missing) is refused with ``Unpackable`` and the tuple search runs instead; a value
computed outside its variable's type during the search raises ``Unpackable`` too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from flagcheck.tlamodel.ir import (MEANING, BoolType, EnumType, Expr, IntType, Model,
                                   SetType, Type, Value)

try:
    import numpy as np
except ImportError:            # pragma: no cover - numpy is a dependency
    np = None  # type: ignore[assignment]

#: bits of one packed word (int64, sign bit kept clear)
MAX_BITS = 63


class Unpackable(Exception):
    """The model (or a value reached in it) does not fit the packed representation."""


#: a compiled column expression: columns -> array (or a Python scalar when constant)
VFn = Callable[["Columns"], object]


@dataclass(frozen=True)
class Field:
    """Where one variable lives: ``value = lo + ((word >> shift) & mask)`` in word ``word``
    of the packed state; ``word == -1`` for a variable no action writes and that starts
    with one value (a constant: it takes no bits, ``lo`` is its value)."""
    word: int
    shift: int
    mask: int
    lo: int
    hi: int
    is_bool: bool


def _bounds(ty: Type) -> tuple[int, int]:
    if isinstance(ty, BoolType):
        return 0, 1
    if isinstance(ty, IntType):
        return ty.lo, ty.hi
    if isinstance(ty, EnumType):
        return 0, max(0, len(ty.values) - 1)
    if isinstance(ty, SetType):
        return 0, (1 << len(ty.elem.values)) - 1
    raise Unpackable(f"unknown type {ty!r}")


@dataclass(frozen=True)
class Layout:
    """The bit fields of one model's variables, in ``Model.vars`` order, over ``words``
    63-bit words (a field never straddles two)."""
    fields: tuple[Field, ...]
    words: int
    bits: int

    @staticmethod
    def of(model: Model, max_words: int = 4) -> "Layout":
        if np is None:
            raise Unpackable("numpy is not installed")
        written = {name for a in model.actions for name, _ in a.updates}
        fields: list[Field] = []
        word, shift, bits = 0, 0, 0
        for v, init in zip(model.vars, model.init):
            lo, hi = _bounds(v.type)
            is_bool = isinstance(v.type, BoolType)
            if v.name not in written and len(init) == 1 and lo <= int(init[0]) <= hi:
                fields.append(Field(-1, 0, 0, int(init[0]), int(init[0]), is_bool))
                continue
            width = max(1, (hi - lo).bit_length())
            if width > MAX_BITS:
                raise Unpackable(f"variable {v.name} needs {width} bits")
            if shift + width > MAX_BITS:
                word, shift = word + 1, 0
            fields.append(Field(word, shift, (1 << width) - 1, lo, hi, is_bool))
            shift += width
            bits += width
        words = word + 1
        if words > max_words:
            raise Unpackable(f"{bits} bits of state (at most {max_words} words of "
                             f"{MAX_BITS} bits pack)")
        return Layout(tuple(fields), words, bits)

    def pack(self, state: tuple[Value, ...]) -> tuple[int, ...]:
        out = [0] * self.words
        for f, v in zip(self.fields, state):
            iv = int(v)
            if not f.lo <= iv <= f.hi:
                raise Unpackable(f"value {v!r} outside {f.lo}..{f.hi}")
            if f.word >= 0:
                out[f.word] |= (iv - f.lo) << f.shift
        return tuple(out)

    def unpack(self, packed: "np.ndarray") -> tuple[Value, ...]:
        ws = [int(w) for w in packed]
        out: list[Value] = []
        for f in self.fields:
            v = f.lo if f.word < 0 else f.lo + ((ws[f.word] >> f.shift) & f.mask)
            out.append(bool(v) if f.is_bool else v)
        return tuple(out)


class Columns:
    """Lazily decoded variable columns of a set of packed states (an ``(n, words)`` int64
    array): each variable read is decoded on first use and kept."""
    __slots__ = ("layout", "packed", "cache")

    def __init__(self, layout: Layout, packed: "np.ndarray") -> None:
        self.layout = layout
        self.packed = packed
        self.cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.packed)

    def col(self, i: int) -> "np.ndarray":
        c = self.cache.get(i)
        if c is None:
            f = self.layout.fields[i]
            if f.word < 0:
                c = np.full(len(self.packed), f.lo, dtype=np.int64)
            else:
                c = (self.packed[:, f.word] >> f.shift) & f.mask
                if f.lo:
                    c = c + f.lo
            self.cache[i] = c
        return c

    def rows(self, idx: "np.ndarray") -> "Columns":
        """The same columns restricted to ``idx`` (already decoded columns are sliced)."""
        sub = Columns(self.layout, self.packed[idx])
        sub.cache = {i: c[idx] for i, c in self.cache.items()}
        return sub


def as_mask(v: object, n: int) -> "np.ndarray":
    """A guard's value as a boolean array of length ``n`` (a constant is broadcast)."""
    if isinstance(v, np.ndarray):
        return v if v.dtype == np.bool_ else v != 0
    return np.full(n, bool(v))


def as_column(v: object, n: int) -> "np.ndarray":
    """An update's value as an int64 array of length ``n``."""
    if isinstance(v, np.ndarray):
        return v.astype(np.int64, copy=False)
    return np.full(n, int(v), dtype=np.int64)


# ---------------------------------------------------------------- compiler
class _Const:
    __slots__ = ("v",)

    def __init__(self, v: Value) -> None:
        self.v = v


Node = Union[_Const, VFn]


def compile_columns(expr: Expr, index: dict[str, int]) -> VFn:
    """``expr`` as a closure over ``Columns`` (constants folded through ``MEANING``)."""
    n = _Compiler(index).comp(expr)
    if isinstance(n, _Const):
        v = n.v
        return lambda c: v
    return n


def _lift(n: Node) -> VFn:
    if isinstance(n, _Const):
        v = n.v
        return lambda c: v
    return n


def _vnot(x: object) -> object:
    return np.logical_not(x) if isinstance(x, np.ndarray) else not x


def _vite(c: object, t: object, e: object) -> object:
    if isinstance(c, np.ndarray):
        return np.where(c, t, e)
    return t if c else e


def _vsingleton(e: object) -> object:
    return np.left_shift(np.int64(1), e) if isinstance(e, np.ndarray) else 1 << int(e)  # type: ignore[call-overload]


def _vmember(e: object, s: object) -> object:
    return ((s >> e) & 1) == 1  # type: ignore[operator]


#: column-wise meaning of each operator (arrays or scalars); agrees with ir.MEANING
_VEC: dict[str, Callable[..., object]] = {
    "not": _vnot,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "ite": _vite,
    "union": lambda a, b: a | b,
    "inter": lambda a, b: a & b,
    "diff": lambda a, b: a & ~b,
    "singleton": _vsingleton,
    "member": _vmember,
}


class _Compiler:
    def __init__(self, index: dict[str, int]) -> None:
        self.index = index
        self.memo: dict[int, Node] = {}
        self.keep: list[Expr] = []

    def comp(self, e: Expr) -> Node:
        hit = self.memo.get(id(e))
        if hit is None:
            hit = self._build(e)
            self.memo[id(e)] = hit
            self.keep.append(e)
        return hit

    def _build(self, e: Expr) -> Node:
        op = e.op
        if op == "const":
            return _Const(e.value)  # type: ignore[arg-type]
        if op == "var":
            try:
                i = self.index[e.name]  # type: ignore[index]
            except KeyError:
                raise KeyError(f"IR: expression mentions unknown variable {e.name!r}") from None
            return lambda c: c.col(i)
        if op not in MEANING:
            raise ValueError(f"IR: unknown operator {op!r}")
        args = [self.comp(a) for a in e.args]
        if op in ("and", "or"):
            return _nary(op, args)
        if op == "ite" and isinstance(args[0], _Const):
            return args[1] if args[0].v else args[2]
        if all(isinstance(a, _Const) for a in args):
            return _Const(MEANING[op](*(a.v for a in args)))  # type: ignore[union-attr]
        fn = _VEC[op]
        fs = [_lift(a) for a in args]
        if len(fs) == 1:
            (f,) = fs
            return lambda c: fn(f(c))
        if len(fs) == 2:
            f, g = fs
            return lambda c: fn(f(c), g(c))
        f, g, h = fs
        return lambda c: fn(f(c), g(c), h(c))


def _nary(op: str, args: list[Node]) -> Node:
    neutral = op == "and"
    fns: list[VFn] = []
    for a in args:
        if isinstance(a, _Const):
            if bool(a.v) != neutral:
                return _Const(not neutral)
            continue
        fns.append(a)
    if not fns:
        return _Const(neutral)
    if len(fns) == 1:
        f = fns[0]
        return lambda c: _truth(f(c))
    combine = np.logical_and if op == "and" else np.logical_or
    tfns = tuple(fns)

    def nary(c: Columns) -> object:
        acc = None
        for f in tfns:
            v = f(c)
            if not isinstance(v, np.ndarray):
                if bool(v) != neutral:
                    return not neutral
                continue
            acc = _truth(v) if acc is None else combine(acc, v)
        return neutral if acc is None else acc
    return nary


def _truth(v: object) -> object:
    if isinstance(v, np.ndarray):
        return v if v.dtype == np.bool_ else v != 0
    return bool(v)
