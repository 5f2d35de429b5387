"""Running out of memory is an unknown, whichever way it shows: a MemoryError, Z3's
``out of memory`` exception, or an engine process killed by a signal under the cap."""
from __future__ import annotations

import os
import resource
import signal
from dataclasses import dataclass

import pytest
import z3

from flagcheck.checker.engines import portfolio, registry
from flagcheck.checker.engines.registry import Runner, Settings, out_of_memory
from flagcheck.checker.verify import Options, run_engine
from flagcheck.pyspec.outcome import Outcome
from tests.checker import models as M

MODEL = M.counter_race(2)
PROPS = ["count_ok", "no_deadlock"]


def _z3_oom(model, props, settings, progress):  # noqa: ANN001, ANN202
    raise z3.Z3Exception(b"out of memory")


def _other_z3_error(model, props, settings, progress):  # noqa: ANN001, ANN202
    raise z3.Z3Exception(b"invalid argument")


def test_out_of_memory_recognises_z3_and_python() -> None:
    assert out_of_memory(z3.Z3Exception(b"out of memory"))
    assert out_of_memory(z3.Z3Exception("out of memory"))
    assert out_of_memory(MemoryError())
    assert not out_of_memory(z3.Z3Exception(b"invalid argument"))
    assert not out_of_memory(RuntimeError("out of memory"))   # not a Z3 exception


def test_z3_out_of_memory_is_unknown_with_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.REGISTRY, "bmc", _z3_oom)
    out = Runner("bmc", Settings(depth=5, timeout=None, max_states=None, seed=0,
                                 max_memory=150))(MODEL, PROPS)
    assert set(out) == set(PROPS)
    for o in out.values():
        assert o.status == "unknown" and o.reason == "memory limit 150 MB reached", o
        assert not o.exhaustive and o.trace is None


def _spacer_oom(model, props, settings, progress):  # noqa: ANN001, ANN202
    """PDR catches Spacer's exception itself and answers in Z3's words."""
    from flagcheck.pyspec.outcome import Outcome
    return {p: Outcome(p, "unknown", -1, engine="pdr", reason="spacer: out of memory")
            for p in props}


def _solver_memory_exceeded(model, props, settings, progress):  # noqa: ANN001, ANN202
    from flagcheck.pyspec.outcome import Outcome
    return {props[0]: Outcome(props[0], "unknown", 3, engine="bmc",
                              reason="max. memory exceeded at depth 4"),
            props[1]: Outcome(props[1], "unknown", -1, engine="bmc", reason="timeout 1s")}


@pytest.mark.parametrize("engine, fake", [("pdr", _spacer_oom), ("bmc", _solver_memory_exceeded)])
def test_z3_memory_answers_are_worded_as_the_limit(monkeypatch: pytest.MonkeyPatch, engine: str,
                                                   fake) -> None:  # noqa: ANN001
    monkeypatch.setitem(registry.REGISTRY, engine, fake)
    out = Runner(engine, Settings(depth=5, timeout=None, max_states=None, seed=0,
                                  max_memory=150))(MODEL, PROPS)
    assert out["count_ok"].reason == "memory limit 150 MB reached", out
    assert out["count_ok"].status == "unknown"
    if engine == "bmc":     # what the engine established stays, other reasons stay
        assert out["count_ok"].depth == 3
        assert out["no_deadlock"].reason == "timeout 1s"


def test_z3_out_of_memory_through_run_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.REGISTRY, "kind", _z3_oom)
    out = run_engine(MODEL, PROPS, Options(engine="kind"), 5)
    assert {o.status for o in out.values()} == {"unknown"}
    assert all("out of memory" in o.reason for o in out.values())


def test_other_z3_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.REGISTRY, "bmc", _other_z3_error)
    with pytest.raises(z3.Z3Exception):
        run_engine(MODEL, PROPS, Options(engine="bmc"), 5)


@dataclass(frozen=True)
class Segfault:
    """An engine whose process dies of SIGSEGV, as libz3 does when it cannot allocate a
    context (picklable: the race sends it to a spawned process)."""

    def __call__(self, model, props):  # noqa: ANN001, ANN204
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file in the work tree
        os.kill(os.getpid(), signal.SIGSEGV)
        return {}


@pytest.mark.parametrize("limit", [None, 4096])
def test_an_engine_process_that_dies_gives_unknown_and_no_hang(limit: int | None) -> None:
    out = portfolio.race(MODEL, PROPS, {"bmc": Segfault()}, None, limit_mb=limit)
    for o in out.values():
        assert o.status == "unknown", o
        assert f"engine crashed: signal {int(signal.SIGSEGV)}" in o.reason, o
        assert ("memory limit 4096 MB" in o.reason) == (limit is not None), o


def test_a_dead_loser_does_not_spoil_the_winner() -> None:
    out = portfolio.race(MODEL, ["count_ok"], {"bmc": Segfault(), "explicit": Runner(
        "explicit", Settings(depth=10, timeout=None, max_states=None, seed=0))}, None,
        limit_mb=2048)
    assert out["count_ok"].status == "violated", out


@dataclass(frozen=True)
class CapProbe:
    """A runner that reports the address-space limit its ``load`` ran under and the one
    it runs under (picklable: it is sent to an engine process)."""

    def load(self) -> None:
        os.environ["CAP_AT_LOAD"] = str(resource.getrlimit(resource.RLIMIT_AS)[0])

    def __call__(self, model, props):  # noqa: ANN001, ANN204
        at_run = resource.getrlimit(resource.RLIMIT_AS)[0]
        why = f"load {os.environ.get('CAP_AT_LOAD', 'never')}, run {at_run}"
        return {p: Outcome(p, "unknown", -1, engine="bmc", reason=why) for p in props}


def test_an_engine_process_loads_its_modules_before_the_memory_cap() -> None:
    """Compiling a module at the cap fails in odd ways (CI once got BMC's answer as
    "ValueError: field 'target' is required for AnnAssign"), so the engine process loads
    the engine first and caps itself after."""
    out = portfolio.race(MODEL, PROPS, {"bmc": CapProbe()}, None, limit_mb=4096)
    cap = 4096 * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    for o in out.values():
        assert o.reason == f"load {resource.getrlimit(resource.RLIMIT_AS)[0]}, run {cap}", o


def test_each_z3_engine_names_a_module_that_load_imports() -> None:
    """Every engine but the explicit one (loaded with the registry) has its module listed,
    and ``load`` imports it: checked in a fresh interpreter, where nothing else has."""
    import subprocess
    import sys
    assert set(registry.MODULES) == set(registry.REGISTRY) - {"explicit"}
    code = ("import sys; from flagcheck.checker.engines.registry import MODULES, Runner, Settings\n"
            "s = Settings(depth=1, timeout=None, max_states=None, seed=0)\n"
            "for n, m in MODULES.items():\n"
            "    assert m not in sys.modules, m\n"
            "    Runner(n, s).load()\n"
            "    assert m in sys.modules, m\n"
            "print('ok')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.stdout.strip() == "ok", p.stderr
