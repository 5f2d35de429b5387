"""Stress for checker.engines.z3_threads: the main thread makes z3 terms and checks while a
second thread allocates (so the garbage collector often runs there) and the main thread
leaves reference cycles holding terms of its context.  Without the module this died of
SIGSEGV within 20 s in about a third of the runs.  Usage: z3_gc_stress.py SECONDS"""
from __future__ import annotations

import sys
import threading
import time

import z3

import flagcheck.checker.engines  # noqa: F401  (installs checker.engines.z3_threads)


def main(seconds: float) -> None:
    ctx = z3.Context()
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            [[i] for i in range(200)]
    threading.Thread(target=churn, daemon=True).start()
    t0, rounds = time.monotonic(), 0
    while time.monotonic() - t0 < seconds:
        s = z3.Solver(ctx=ctx)
        xs = [z3.BitVec(f"x{i}", 16, ctx) for i in range(60)]
        for i in range(59):
            s.add(z3.ULT(xs[i] * 3 + 7, xs[i + 1] ^ 0x55))
            cycle: dict[str, object] = {"e": xs[i] + xs[i + 1]}
            cycle["self"] = cycle
        s.check()
        rounds += 1
    stop.set()
    print("survived", rounds, "rounds")


if __name__ == "__main__":
    main(float(sys.argv[1]))
