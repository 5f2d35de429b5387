"""The scaled scenario families of benchmarks/scale.py: one parameterised file each.

``benchmarks/scale/senders.yaml`` and ``benchmarks/scale/io-uring-waiters.yaml`` declare
``params: {N: 2}`` and are run with ``--param N=n`` (docs/language.md, section 10):

* ``senders``: T asleep in pause(); N tasks queue TWA_SIGNAL work on T and N tasks send
  it SIGUSR1, each in its own thread group (Oleg's lost-signal scenario with N of each
  sender); T's task_works list is widened to 0..N so every adder's work fits;
* ``io-uring-waiters``: io-uring-pthread-join with N threads waiting in
  io_uring_wait_cqe(): T1 arms a poll request and joins W[1]; W[1..N] wait for the CQE
  that only T1's task_work posts; P3 writes the pipe.

Why the written-out forms stay (``WRITTEN_OUT``): they are what the families were before
they had a parameter, one file per N, and the test suite checks that the parameterised
file with N = n is the same model as the written-out copy (state counts of the explicit
engine; they were equal for N = 1..4 when the copies were retired).
"""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "scale"
SIZES = range(1, 9)
#: family name -> its parameterised scenario file
FAMILIES = {"senders": FOLDER / "senders.yaml",
            "io-uring-waiters": FOLDER / "io-uring-waiters.yaml"}


def senders(n: int) -> str:
    """``senders.yaml`` with N = n, written out task by task."""
    tasks = ["  T: {group: G_T}"]
    run = ["  T: pause();"]
    for i in range(1, n + 1):
        tasks.append(f"  A{i}: {{group: G_A{i}}}")
        run.append(f"  A{i}: task_work_add(T, TWA_SIGNAL);")
    for i in range(1, n + 1):
        tasks.append(f"  S{i}: {{group: G_S{i}}}")
        run.append(f"  S{i}: kill(T, SIGUSR1);")
    return "\n".join([
        f"# written out by benchmarks/scale_families.py: Oleg's lost signal with {n} of each sender",
        "flagcheck: 1",
        f"scenario: senders-{n}",
        f"summary: T in pause() gets TWA_SIGNAL work from {n} tasks and SIGUSR1 from {n}",
        "tasks:", *tasks,
        "signals: [SIGUSR1]",
        "state:",
        "  task:",
        f"    task_works: {{type: 0..{n}, doc: \"length of the task->task_works list\"}}",
        "run:", *run,
        "skip:",
        "  no_deadlock: pause() has the classic restart race (see oleg-lost-signal)",
        ""])


def waiters(n: int) -> str:
    """``io-uring-waiters.yaml`` with N = n, written out task by task."""
    ws = [f"W{i}" for i in range(1, n + 1)]
    wake = " ".join(f"wake_up_interruptible({w});" for w in ws)
    tasks = ["  T1: {group: P}", *(f"  {w}: {{group: P}}" for w in ws), "  P3: {group: P}"]
    run = ["  T1: |", "    poll_add();", "    pthread_join(W1);",
           "  W1: |", "    io_uring_wait_cqe(cq_events >= 1);", "    thread_exit(T1);",
           *(f"  {w}: io_uring_wait_cqe(cq_events >= 1);" for w in ws[1:]),
           "  P3: pipe_write();"]
    return "\n".join([
        f"# written out by benchmarks/scale_families.py: io-uring-pthread-join with {n} waiters",
        "flagcheck: 1",
        f"scenario: io-uring-waiters-{n}",
        f"summary: T1 joins W1; {n} threads wait for the CQE only T1's task_work posts",
        "tasks:", *tasks,
        "signals: [SIGUSR1]",
        "state:",
        "  global:",
        "    pipe_data:  {type: bool, doc: \"the pipe has data\"}",
        "    poll_armed: {type: bool, doc: \"T1's poll request waits on the pipe\"}",
        "    cq_events:  {type: 0..1, doc: \"CQEs posted to the ring\"}",
        "procedures:",
        "  poll_add(): |",
        f"    atomic {{ if (pipe_data) {{ cq_events += 1; {wake} }} else {{ poll_armed = true; }} }}",
        "  pipe_write(): |",
        "    atomic { pipe_data = true; }",
        "    if (poll_armed) {",
        "      poll_armed = false;",
        "      io_req_task_work_add(T1);",
        "    }",
        "  task_work_callback(): |",
        f"    atomic {{ cq_events += 1; {wake} }}",
        "run:", *run,
        ""])


#: family name -> the scenario text of N = n written out task by task
WRITTEN_OUT = {"senders": senders, "io-uring-waiters": waiters}
