"""z3 objects are released on the thread that owns their context (checker.engines.z3_threads).

Why it matters: a finalizer run by the garbage collector on another thread (the progress
printer, xdist's message thread) calls Z3_dec_ref while the owner may be inside a Z3 call
with the GIL released; the two corrupt the context and the process dies later in a
garbage collection.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import z3
import z3.z3 as z3mod

from flagcheck.checker.engines import z3_threads

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def dec_refs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that called Z3_dec_ref, in order."""
    seen: list[str] = []
    real = z3mod.Z3_dec_ref

    def counting(ctx, ast):  # noqa: ANN001, ANN202
        seen.append(threading.current_thread().name)
        return real(ctx, ast)
    monkeypatch.setattr(z3mod, "Z3_dec_ref", counting)
    return seen


def _drop_on(thread_name: str, box: list[object]) -> None:
    t = threading.Thread(target=box.clear, name=thread_name)
    t.start()
    t.join()


def test_a_term_dropped_on_another_thread_waits_for_its_owner(dec_refs: list[str]) -> None:
    ctx = z3.Context()
    z3_threads.drain()
    before = z3_threads.pending()
    box: list[object] = [z3.BitVec("x", 8, ctx) + 1]
    dec_refs.clear()
    _drop_on("printer", box)
    # the last reference went on the printer thread: nothing was released there
    assert dec_refs == []
    assert z3_threads.pending() == before + 1
    z3_threads.drain()
    assert dec_refs and set(dec_refs) == {threading.current_thread().name}
    assert z3_threads.pending() == before


def test_the_owner_releases_at_once(dec_refs: list[str]) -> None:
    ctx = z3.Context()
    e = z3.BitVec("y", 8, ctx) * 3
    dec_refs.clear()
    del e
    assert dec_refs == [threading.current_thread().name]


def test_a_context_whose_thread_ended_is_released_anywhere(dec_refs: list[str]) -> None:
    made: list[object] = []
    t = threading.Thread(target=lambda: made.append(z3.BitVec("z", 8, z3.Context()) - 1),
                         name="engine")
    t.start()
    t.join()
    dec_refs.clear()
    made.clear()            # the owner has ended: released here, at once
    assert dec_refs == [threading.current_thread().name]


def test_solver_checks_still_answer_after_foreign_releases() -> None:
    from flagcheck.checker.engines.solver import SolverContext
    s = SolverContext()
    x = z3.BitVec("x", 8, s.ctx)
    box: list[object] = [x + i for i in range(50)]
    _drop_on("printer", box)
    s.add(x * 2 == 6)
    assert s.check() == "sat"
    assert z3_threads.pending() == 0      # check() released what the printer left


@pytest.mark.slow
def test_a_thread_collecting_garbage_beside_z3_calls_does_not_crash() -> None:
    """The stress that crashed without the module (3 of 10 runs of 20 s died of SIGSEGV);
    here 6 s of it in a child, which must exit 0."""
    p = subprocess.run([sys.executable, "-X", "faulthandler",
                        str(ROOT / "tests" / "checker" / "z3_gc_stress.py"), "6"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": ""})
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.startswith("survived"), p.stdout
