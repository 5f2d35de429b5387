"""The plain records a design file is read into (tlamodel.spec reads them; tlamodel.resolve
merges them along ``extends``).

Apart from the reader so that it stays a page of data: every later stage (resolve, scope,
load, verdicts) works on these records and never on the YAML.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.ir import SourceLoc


@dataclass(frozen=True)
class VarSpec:
    scope: str            # global / task / group
    name: str
    type_text: str
    init: A.AExpr | None
    doc: str
    loc: SourceLoc
    #: ``shared: true``: a memory location that ``memory: tso`` buffers (tlamodel.weakmem)
    shared: bool = False


@dataclass(frozen=True)
class DefineSpec:
    name: str
    params: tuple[str, ...]
    body: A.AExpr
    loc: SourceLoc


@dataclass(frozen=True)
class ProcSpec:
    name: str
    params: tuple[str, ...]
    body: tuple[A.Stmt, ...]
    loc: SourceLoc
    #: ``name(params) -> TYPE``: the type of the value ``return expr;`` gives back (None:
    #: the procedure returns nothing and can only be a statement)
    ret_type: str | None = None


@dataclass(frozen=True)
class PropSpec:
    name: str
    kind: str             # always / deadlock_free / leads_to / eventually / always_eventually
    expr: A.AExpr | None
    doc: str
    loc: SourceLoc
    target: A.AExpr | None = None     # leads_to: the "to" expression
    for_each: str | None = None       # a task variable: one obligation per task
    #: ``on: "LABEL: cond"``: the statement label whose every execution must meet ``expr``
    label: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    name: str
    group: str
    init: tuple[tuple[str, A.AExpr, SourceLoc], ...]
    loc: SourceLoc
    #: a kernel thread (SQPOLL, an io-wq worker, a kthread loop): it may block for ever
    #: without that being a deadlock (tlamodel.load leaves it out of Model.terminal)
    daemon: bool = False


@dataclass(frozen=True)
class Expectation:
    scenario: str
    prop: str
    verdict: str          # violated / holds
    depth: int | None
    loc: SourceLoc
    prop_loc: SourceLoc | None = None


@dataclass
class SpecFile:
    kind: str
    name: str
    path: str
    summary: str = ""
    extends: list[tuple[str, SourceLoc]] = field(default_factory=list)
    includes: list[tuple[str, SourceLoc]] = field(default_factory=list)
    enums: dict[str, tuple[tuple[str, ...], SourceLoc]] = field(default_factory=dict)
    state: dict[str, VarSpec] = field(default_factory=dict)      # key: scope/name
    defines: dict[str, DefineSpec] = field(default_factory=dict)
    procedures: dict[str, ProcSpec] = field(default_factory=dict)
    properties: dict[str, PropSpec] = field(default_factory=dict)
    # design
    scenarios: list[tuple[str, SourceLoc]] = field(default_factory=list)
    #: names of scenarios inherited through ``extends`` that this design does not check
    drop_scenarios: list[tuple[str, SourceLoc]] = field(default_factory=list)
    check: list[tuple[str, SourceLoc]] | None = None
    bound: int | None = None
    #: ``memory: sc|tso`` and ``store_buffer: N`` (tlamodel.weakmem); None: inherited or sc
    memory: tuple[str, SourceLoc] | None = None
    store_buffer: int | None = None
    expect: list[Expectation] = field(default_factory=list)
    # scenario
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    signals: list[tuple[str, SourceLoc]] = field(default_factory=list)
    run: dict[str, tuple[tuple[A.Stmt, ...], SourceLoc]] = field(default_factory=dict)
    skip: dict[str, tuple[str, SourceLoc]] = field(default_factory=dict)
    # a control scenario: one every design is meant to violate, to show the checker can
    # say "violated" at all; reports mark it so a reader does not take its cells as bugs
    control: bool = False
    loc: SourceLoc | None = None
