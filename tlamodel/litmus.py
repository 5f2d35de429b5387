"""C litmus tests (the herd7 format of the kernel's tools/memory-model/litmus-tests/) to
flagcheck scenarios, for the subset flagcheck can express.

Why a converter: the kernel's litmus tests, each with its ``Result:`` line, are the oracle of
a memory model; translating them by hand does not scale past a few dozen.  The output is a
scenario for specs/lib/litmus.yaml (shared ``x``, ``y``, ``z``, a
lock ``mylock``, registers ``r0``, ``r1`` per task starting at -1, a ``fin`` flag and the
invariant ``never_exists: !exists_clause()``), so its verdict under a ``memory:`` setting is
the test's answer: ``never_exists`` holds iff the ``exists`` clause is unreachable.

The subset: ``int``/``spinlock_t`` declarations without initial values, ``WRITE_ONCE``,
``READ_ONCE``, ``smp_store_release``, ``smp_load_acquire``, ``smp_store_mb``, ``smp_mb``,
``smp_wmb``, ``smp_rmb``, ``smp_mb__before_atomic``, ``smp_mb__after_atomic``,
``spin_lock``/``spin_unlock``, ``if (rN) stmt;`` / ``if (rN == V) stmt;`` (a control
dependency), at most three locations, two registers per task and values 0..2, and an
``exists`` clause that is a conjunction of ``N:rK=V`` and ``x=V``.  A final-memory term adds
each task's closing ``smp_mb(); fin = true`` so it is read with every buffer drained.
Anything else raises Unsupported with the reason.

Usage: ``python -m flagcheck.tlamodel.litmus FILE.litmus... -o DIR`` writes one scenario per
supported file, prints, per file, its Result and what happened, and writes three designs that
check them (``litmus-lkmm.yaml``: every test with a Result line; ``litmus-sc.yaml`` and
``litmus-tso.yaml``: the Never tests, which any stronger model must forbid too), so
``flagcheck test DIR`` is the oracle run.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

LOCATIONS = ("x", "y", "z")
REGISTERS = ("r0", "r1")
MAX_VALUE = 2


class Unsupported(Exception):
    """A litmus test outside the subset; the message says which construct."""


@dataclass(frozen=True)
class Converted:
    """A converted test: the scenario's name, its YAML text and the file's Result line."""
    name: str
    yaml: str
    result: str | None


_PROC = re.compile(r"\bP(\d+)\s*\(([^)]*)\)\s*\{(.*?)\n\}", re.S)
_RESULT = re.compile(r"Result:\s*(\w+)")
_EXISTS = re.compile(r"^\s*exists\s*\((.*)\)\s*$", re.M | re.S)


def _strip_comments(text: str) -> str:
    # a comment is "(* ... *)"; "(*x" is a dereference in WRITE_ONCE(*x, 1), not a comment
    return re.sub(r"\(\*(?![\w*]).*?\*\)", " ", text, flags=re.S)


class _Names:
    """The test's locations and registers, mapped onto the library's."""

    def __init__(self) -> None:
        self.locs: dict[str, str] = {}
        self.regs: dict[tuple[int, str], str] = {}
        self.locks: dict[str, str] = {}

    def loc(self, name: str) -> str:
        name = name.lstrip("*").strip()
        if name not in self.locs:
            if len(self.locs) == len(LOCATIONS):
                raise Unsupported(f"more than {len(LOCATIONS)} locations")
            free = [n for n in LOCATIONS if n not in self.locs.values()]
            self.locs[name] = name if name in free else free[0]
        return self.locs[name]

    def reg(self, task: int, name: str) -> str:
        key = (task, name)
        if key not in self.regs:
            mine = [r for (t, _), r in self.regs.items() if t == task]
            if len(mine) == len(REGISTERS):
                raise Unsupported(f"P{task} uses more than {len(REGISTERS)} registers")
            self.regs[key] = REGISTERS[len(mine)]
        return self.regs[key]

    def lock(self, name: str) -> str:
        name = name.lstrip("*").strip()
        if name not in self.locks and self.locks:
            raise Unsupported("more than one lock")
        self.locks[name] = "mylock"
        return "mylock"


def _value(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"\d+", text) or int(text) > MAX_VALUE:
        raise Unsupported(f"value {text!r} (only 0..{MAX_VALUE})")
    return int(text)


_BARRIERS = ("smp_mb", "smp_wmb", "smp_rmb", "smp_mb__before_atomic", "smp_mb__after_atomic")


def _stmt(task: int, s: str, names: _Names) -> str:
    """One statement of a process body, as flagcheck code."""
    s = s.strip()
    m = re.fullmatch(r"if\s*\((\w+)\s*(?:==\s*(\d+))?\)\s*(.+)", s, re.S)
    if m:
        reg = names.reg(task, m.group(1))
        cond = f"current.{reg} == {_value(m.group(2))}" if m.group(2) else f"current.{reg} != 0"
        return f"if ({cond}) {{ {_stmt(task, m.group(3), names)} }}   # a control dependency"
    m = re.fullmatch(r"WRITE_ONCE\(\s*([*\w]+)\s*,\s*(\w+)\s*\)", s)
    if m:
        return f"{names.loc(m.group(1))} = {_value(m.group(2))};"
    m = re.fullmatch(r"(smp_store_release|smp_store_mb)\(\s*([*\w]+)\s*,\s*(\w+)\s*\)", s)
    if m:     # the library procedure of the same name
        return f"{m.group(1)}({names.loc(m.group(2))}, {_value(m.group(3))});"
    m = re.fullmatch(r"(\w+)\s*=\s*(READ_ONCE|smp_load_acquire)\(\s*([*\w]+)\s*\)", s)
    if m:
        reg, loc = names.reg(task, m.group(1)), names.loc(m.group(3))
        if m.group(2) == "smp_load_acquire":
            return f"smp_load_acquire(current.{reg}, {loc});"
        return f"current.{reg} = {loc};"
    m = re.fullmatch(r"(\w+)\(\s*\)", s)
    if m and m.group(1) in _BARRIERS:
        return f"{m.group(1)}();"
    m = re.fullmatch(r"(spin_lock|spin_unlock)\(\s*([*\w]+)\s*\)", s)
    if m:
        return f"{m.group(1)}({names.lock(m.group(2))});"
    raise Unsupported(f"P{task}: statement {s!r}")


def _statements(body: str) -> list[str]:
    """Split a body into statements: ``;``-terminated, an ``if (...)`` with its statement."""
    out: list[str] = []
    for part in body.split(";"):
        part = " ".join(part.split())
        if not part or re.fullmatch(r"(int|spinlock_t)\s+\w+", part):
            continue
        if "{" in part or "}" in part or re.search(r"\b(else|while|for)\b", part):
            raise Unsupported(f"control flow {part!r}")
        out.append(part)
    return out


def _exists(clause: str, names: _Names, tasks: int) -> tuple[str, bool]:
    """The clause as a flagcheck expression, and whether it reads final memory."""
    if "\\/" in clause or "~" in clause:
        raise Unsupported("an exists clause with \\/ or ~")
    terms, memory = [], False
    for t in clause.split("/\\"):
        t = t.strip()
        m = re.fullmatch(r"(\d+):(\w+)\s*=\s*(\w+)", t)
        if m:
            task = int(m.group(1))
            if task >= tasks:
                raise Unsupported(f"exists names P{task}")
            terms.append(f"P{task}.{names.reg(task, m.group(2))} == {_value(m.group(3))}")
            continue
        m = re.fullmatch(r"(\w+)\s*=\s*(\w+)", t)
        if m:
            terms.append(f"{names.loc(m.group(1))} == {_value(m.group(2))}")
            memory = True
            continue
        raise Unsupported(f"exists term {t!r}")
    if memory:
        terms = [f"P{i}.fin" for i in range(tasks)] + terms
    return " && ".join(terms), memory


def convert(text: str, source: str) -> Converted:
    """The scenario of one litmus file (``source`` is cited in its doc)."""
    head = text.strip().splitlines()[0] if text.strip() else ""
    m = re.fullmatch(r"C\s+(\S+)", head.strip())
    if not m:
        raise Unsupported("not a C litmus test (no 'C NAME' line)")
    name = m.group(1)
    rm = _RESULT.search(text)
    result = rm.group(1) if rm else None
    body = _strip_comments(text)
    init = re.search(r"\n\{(.*?)\}", body, re.S)
    if init and re.search(r"=", init.group(1)):
        raise Unsupported("initial values other than 0")
    procs = sorted(((int(i), b) for i, _, b in _PROC.findall(body)), key=lambda p: p[0])
    if not procs or [i for i, _ in procs] != list(range(len(procs))):
        raise Unsupported("processes are not P0, P1, ...")
    names = _Names()
    code = {i: [_stmt(i, s, names) for s in _statements(b)] for i, b in procs}
    em = _EXISTS.search(body)
    if not em:
        raise Unsupported("no exists clause")
    clause, memory = _exists(" ".join(em.group(1).split()), names, len(procs))
    if memory:
        for lines in code.values():
            lines += ["smp_mb();", "current.fin = true;"]
    scen = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    out = [f"flagcheck: 1", f"scenario: {scen}",
           f"summary: {name} ({result or 'no Result line'} under the Linux-kernel memory model)",
           "doc: |", f"  Converted by tlamodel/litmus.py from {source}.",
           "tasks:"] + [f"  P{i}:" for i, _ in procs] + \
          ["define:", f"  exists_clause(): {clause}", "run:"]
    for i, lines in code.items():
        out.append(f"  P{i}: |")
        out += [f"    {ln}" for ln in lines] or ["    skip;"]
    return Converted(scen, "\n".join(out) + "\n", result)


def designs(converted: list[Converted]) -> dict[str, str]:
    """The designs that check ``converted``, by file name, every expectation from a Result
    line: under lkmm each test with one (Never: ``holds``, Sometimes: ``violated``); under
    sc and tso, which are stronger than the kernel's model, the Never tests only."""
    out = {}
    for memory in ("sc", "tso", "lkmm"):
        tests = [c for c in converted if c.result == "Never" or
                 (memory == "lkmm" and c.result == "Sometimes")]
        if not tests:
            continue
        lines = ["flagcheck: 1", f"design: litmus-{memory}",
                 f"summary: the converted litmus tests under memory {memory}",
                 "extends: lib/litmus.yaml", f"memory: {memory}",
                 f"scenarios: [{', '.join(f'{c.name}.yaml' for c in tests)}]",
                 "check: [never_exists, assertions]", "bound: 40", "expect:"]
        for c in tests:
            verdict = "holds" if c.result == "Never" else "violated"
            lines.append(f"  {c.name}: {{never_exists: {verdict}, assertions: holds}}")
        out[f"litmus-{memory}.yaml"] = "\n".join(lines) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    """Convert files; print one line per file: name, Result, written or unsupported why."""
    ap = argparse.ArgumentParser(prog="python -m flagcheck.tlamodel.litmus",
                                 description="C litmus tests to flagcheck scenarios")
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True, help="folder for the scenarios")
    args = ap.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    done: list[Converted] = []
    for f in args.files:
        try:
            c = convert(f.read_text(encoding="utf-8"), str(f))
        except Unsupported as e:
            print(f"{f.name}\tunsupported\t{e}")
            continue
        (args.output / f"{c.name}.yaml").write_text(c.yaml, encoding="utf-8")
        print(f"{f.name}\t{c.result or '?'}\t{c.name}.yaml")
        done.append(c)
    if done:
        for name, text in designs(done).items():
            (args.output / name).write_text(text, encoding="utf-8")
        print(f"flagcheck test {args.output} checks them under memory sc, tso and lkmm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
