"""SPIN agrees with flagcheck on every exported Promela model.

For every design × scenario in specs/ (the reduced model, as the engines check it) and for
50 random IR models from tests/strategies.py's ``models()``, the model is exported with
``tlamodel.emit_promela.to_promela`` and checked by SPIN:

    spin -o2 -a model.pml                                 # -o2: keep every variable
    gcc -O0 -DBFS -DNOREDUCE -o pan pan.c                 # invariants: one never claim each
    ./pan -N <invariant>                                  # once per invariant
    gcc -O0 -DBFS -DNOREDUCE -DNOCLAIM -o pan_end pan.c   # deadlock: pan ignores end states
    ./pan_end                                             #   while a claim is in use

``spin -a`` runs once per model; pan.c is compiled once, plus once more with -DNOCLAIM
when the model has a deadlock property.  -DBFS makes pan's search breadth-first, so its
first error has a shortest trail (the effect -i/-I approximate by iterated DFS, at a much
higher price); -DNOREDUCE switches off partial-order reduction, which could drop the
shortest path from the search.  -O0 because gcc -O2 takes ~10 s on the largest pan.c and
these state spaces take milliseconds to search.  The compiler is tcc where it is installed
(.ci/run installs it): 0.01 s per pan.c against gcc -O0's 0.45 s, and pan's verdicts,
trails and state counts are the compiler's business only through C semantics both
implement; without tcc, gcc.

For each property, SPIN's verdict (claim violated / invalid end state / no errors) must
equal the explicit engine's.  For a violation the trail is replayed with ``spin -t -p``
and its steps are counted: a step counts when it is a task process executing one of the
exported ``d_step``s (each is exactly one IR action; the step's first line names the source
line of the d_step's guard, which identifies the action).  Steps of ``init`` (choosing
initial values), of ``terminal_watch`` and of the never claim are not IR steps and are not
counted.  The counted trail must not be shorter than flagcheck's shortest counterexample,
and with BFS and no reduction it must in fact be exactly as long.  The action sequence is
then replayed by pyspec (``check_violation``: a run of the model that violates the
property) and the variable values SPIN prints at the end of the trail must equal pyspec's
last state.  For properties that hold, the number of states pan stored must equal the
number of reachable IR states, or, when the model has a deadlock property, the number of
reachable (IR state, terminal_watch position) pairs (models with one initial state; with
several, pan also stores the states before ``init`` has chosen).

Skipped, with the reason, when ``spin`` or a C compiler is not installed (.ci/run installs
both with apt-get when it can).
"""
from __future__ import annotations

import glob
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from tests.budget import examples
from tests.strategies import sample

from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.pyspec.successors import fire
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.emit_promela import PromelaWriter
from flagcheck.tlamodel.ir import DeadlockFree, Invariant, Model
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
SPIN = shutil.which("spin")
CC = shutil.which("tcc") or shutil.which("gcc") or shutil.which("cc")
CFLAGS = ["-O0", "-w", "-DBFS", "-DNOREDUCE"]
PAN_ARGS = ["-w20", "-m10000000"]
N_RANDOM = examples(50)
WORKERS = 2

# xdist_group: under `pytest -n`, --dist loadgroup keeps the module on one worker, whose pool
# runs every case once (the pool starts every case of the module it sees collected)
pytestmark = [pytest.mark.spin, pytest.mark.slow, pytest.mark.xdist_group("spin"), pytest.mark.skipif(
    SPIN is None or CC is None,
    reason="SPIN agreement needs `spin` and a C compiler (apt-get install spin gcc); "
           f"found spin={SPIN}, cc={CC}")]


# ---------------------------------------------------------------- running SPIN
@dataclass
class SpinVerdict:
    status: str                        # "violated" | "holds"
    actions: tuple[int, ...] = ()      # the trail's IR actions (violations)
    initial: dict[str, int] = field(default_factory=dict)   # init's choices, Promela names
    final: dict[str, int] = field(default_factory=dict)     # values printed at trail end
    stored: int | None = None          # pan's "states, stored"
    seconds: float = 0.0               # pan (and the trail replay)


@dataclass
class SpinRun:
    text: str
    writer: PromelaWriter
    verdicts: dict[str, SpinVerdict]
    compile_seconds: float
    watch: bool


class SpinError(AssertionError):
    pass


#: one process start at a time across the pool's threads.  Why: on a clean-clone CI run one
#: start out of thousands failed with "OSError: [Errno 14] Bad address: '/usr/bin/spin'"
#: (EFAULT from the exec).  The cause is not established; CPython starts children with
#: vfork, and several threads were starting children at once, which this rules out.  A
#: start takes milliseconds; the processes still run side by side.
_SPAWN = threading.Lock()


def _run(cmd: list[str], cwd: Path, timeout: float = 300) -> str:
    with _SPAWN:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    p = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    out = p.stdout + p.stderr
    if p.returncode != 0 and not cmd[0].startswith("./pan"):
        raise SpinError(f"{' '.join(cmd)} failed ({p.returncode}) in {cwd}:\n{out[-4000:]}")
    return out


def action_lines(text: str) -> dict[int, int]:
    """Source line of each exported d_step (its guard) -> IR action index."""
    out: dict[int, int] = {}
    current: int | None = None
    for no, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*/\* a(\d+)\b", line)
        if m:
            current = int(m.group(1))
        elif line.lstrip().startswith(":: d_step {"):
            assert current is not None, f"line {no}: d_step without its action comment"
            out[no] = current
            current = None
    return out


_STEP = re.compile(r"^\s*(\d+):\s+proc\s+\d+\s+\(([^)]*?):\d+\)\s+\S+:(\d+)\s+\(state\s+\d+\)\s+\[(.*)\]\s*$")
_FINAL = re.compile(r"^\t\t(\w+) = (-?\d+)\s*$")


def parse_trail(replay: str, lines: dict[int, int], tasks: set[str]) -> SpinVerdict:
    """IR actions, init choices and final values from ``spin -t -p`` output."""
    acts: list[int] = []
    initial: dict[str, int] = {}
    last_step = None
    for line in replay.splitlines():
        m = _STEP.match(line)
        if not m:
            continue
        step, proc, src, stmt = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        if proc == ":init:":
            a = re.fullmatch(r"(\w+) = (-?\d+)", stmt.strip())
            if a:
                initial[a.group(1)] = int(a.group(2))
            continue
        if step == last_step or proc not in tasks:
            continue                        # later lines of the same d_step; watch / claim
        last_step = step
        if src not in lines:
            raise SpinError(f"trail step {step} of {proc} is at line {src}, not at a d_step:\n{line}")
        acts.append(lines[src])
    final = {m.group(1): int(m.group(2)) for m in map(_FINAL.match, replay.splitlines()) if m}
    return SpinVerdict("violated", tuple(acts), initial, final)


def _pan(binary: str, args: list[str], cwd: Path, lines: dict[int, int],
         tasks: set[str], what: str) -> SpinVerdict:
    t0 = time.monotonic()
    trail = cwd / "model.pml.trail"
    trail.unlink(missing_ok=True)
    out = _run([f"./{binary}", *PAN_ARGS, *args], cwd)
    stored = re.search(r"(\d+) states, stored", out)
    n_stored = int(stored.group(1)) if stored else None
    errors = re.search(r"errors: (\d+)", out)
    if errors is None:
        raise SpinError(f"pan ({what}) printed no verdict:\n{out[-3000:]}")
    if errors.group(1) == "0":
        if "Search not completed" in out or "max search depth too small" in out:
            raise SpinError(f"pan ({what}) did not finish its search:\n{out[-3000:]}")
        return SpinVerdict("holds", stored=n_stored, seconds=time.monotonic() - t0)
    kind = ("end state in claim reached", "claim violated") if what != "deadlock" \
        else ("invalid end state",)
    if not any(k in out for k in kind) or not trail.exists():
        raise SpinError(f"pan ({what}) reported an unexpected error:\n{out[-3000:]}")
    replay = _run([SPIN, "-t", "-p", "model.pml"], cwd)       # type: ignore[list-item]
    v = parse_trail(replay, lines, tasks)
    v.stored, v.seconds = n_stored, time.monotonic() - t0
    return v


def run_spin(model: Model, workdir: Path) -> SpinRun:
    """Export ``model``, run SPIN on each of its properties, parse the verdicts."""
    workdir.mkdir(parents=True, exist_ok=True)
    writer = PromelaWriter(model)
    text = writer.render()
    (workdir / "model.pml").write_text(text)
    lines = action_lines(text)
    tasks = set(writer.procs.values())
    t0 = time.monotonic()
    # -o2: no dead-variable elimination, so pan's state is the whole IR state and the
    # state counts can be compared (SPIN otherwise resets globals nobody reads)
    _run([SPIN, "-o2", "-a", "model.pml"], workdir)            # type: ignore[list-item]
    invs = [p for p in model.properties if isinstance(p, Invariant)]
    dls = [p for p in model.properties if isinstance(p, DeadlockFree)]
    if invs:
        _run([CC, *CFLAGS, "-o", "pan", "pan.c"], workdir)      # type: ignore[list-item]
    if dls:
        _run([CC, *CFLAGS, "-DNOCLAIM", "-o", "pan_end", "pan.c"], workdir)  # type: ignore[list-item]
    compile_s = time.monotonic() - t0
    verdicts: dict[str, SpinVerdict] = {}
    for p in invs:
        verdicts[p.name] = _pan("pan", ["-N", writer.claims[p.name]], workdir, lines, tasks, p.name)
    if dls:
        v = _pan("pan_end", [], workdir, lines, tasks, "deadlock")
        for p in dls:
            verdicts[p.name] = v
    return SpinRun(text, writer, verdicts, compile_s, bool(writer.watch_name))


# ---------------------------------------------------------------- comparing
@dataclass
class Checked:
    model: Model
    explicit: dict[str, Outcome]
    explicit_seconds: float
    spin: SpinRun


def check_model(model: Model, workdir: Path) -> Checked:
    # SPIN runs the safety properties (invariants, deadlock); the liveness properties some
    # designs also check are compared across flagcheck's own engines
    # (tests/checker/test_liveness_differential.py)
    safety = [p.name for p in model.properties if isinstance(p, (Invariant, DeadlockFree))]
    t0 = time.monotonic()
    ex = explicit.check(model, safety)
    ex_s = time.monotonic() - t0
    return Checked(model, ex, ex_s, run_spin(model, workdir))


def assert_agree(c: Checked) -> None:
    m, run = c.model, c.spin
    where = f"model {m.name}; Promela in the failure output below\n"
    idx = m.var_index()
    back = {pn: ir for ir, pn in run.writer.var.items()}
    for name, e in c.explicit.items():
        assert e.status in ("violated", "holds") and (e.status == "violated" or e.exhaustive), \
            f"{where}explicit engine gave no definitive verdict for {name}: {e}"
        s = run.verdicts[name]
        assert s.status == e.status, (
            f"{where}{name}: flagcheck {e.status} (depth {e.depth}) but SPIN {s.status}"
            f"\n{run.text}")
        if e.status == "holds":
            if all(len(vs) == 1 for vs in m.init):
                want = spin_state_count(m, run.watch)
                assert s.stored == want, (
                    f"{where}{name}: SPIN stored {s.stored} states; flagcheck reached "
                    f"{e.states}, which makes {want} with terminal_watch's positions")
            continue
        # a violation: compare trail lengths, then replay SPIN's trail in pyspec
        assert len(s.actions) >= e.depth, (
            f"{where}{name}: SPIN's trail has {len(s.actions)} steps, fewer than flagcheck's "
            f"shortest counterexample ({e.depth})")
        assert len(s.actions) == e.depth, (
            f"{where}{name}: SPIN's BFS trail has {len(s.actions)} steps, flagcheck's shortest "
            f"counterexample {e.depth}")
        state = tuple(vs[0] for vs in m.init)
        st = list(state)
        for pname, v in s.initial.items():
            if pname in back:
                st[idx[back[pname]]] = v
        states = [tuple(_typed(m, i, v) for i, v in enumerate(st))]
        for a in s.actions:
            states.append(fire(m, a, states[-1]))
        trace = Trace(tuple(states), tuple(s.actions))
        check_violation(m, trace, name)
        last = states[-1]
        for pname, v in s.final.items():
            if pname in back:
                assert int(last[idx[back[pname]]]) == v, (
                    f"{where}{name}: after SPIN's trail {pname} = {v} in SPIN but "
                    f"{last[idx[back[pname]]]} in pyspec")
            elif pname.startswith("tmp_"):
                assert v == 0, f"{where}scratch variable {pname} = {v} at the end of the trail"
        missing = set(back) - set(s.final)
        assert not missing, f"{where}SPIN's replay did not print {sorted(missing)[:5]}"


def spin_state_count(m: Model, watch: bool) -> int:
    """How many states pan must store for a model with one initial state: the reachable
    IR states, times the positions terminal_watch can be in (it may step to its end label
    while the state is terminal, and back while it is not)."""
    from flagcheck.pyspec.successors import compiled
    cm = compiled(m)
    start = (tuple(vs[0] for vs in m.init), 0)
    seen, todo = {start}, [start]
    while todo:
        st, w = todo.pop()
        nxt = [(c.fire(st), w) for c in cm.candidates(st) if c.guard(st)]
        if watch and (w == 0) == bool(cm.terminal(st)):
            nxt.append((st, 1 - w))
        for t in nxt:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return len(seen)


def _typed(m: Model, i: int, v: int):  # noqa: ANN202
    from flagcheck.tlamodel.ir import BoolType
    return bool(v) if isinstance(m.vars[i].type, BoolType) else int(v)


# ---------------------------------------------------------------- cases
def spec_cases() -> list[tuple[str, str]]:
    out = []
    for path in sorted(glob.glob(str(ROOT / "specs" / "*.yaml"))):
        d = cached_design(path)
        out += [(path, s.name) for s in d.scenarios]
    return out


def spec_model(path: str, scenario: str) -> Model:
    d = cached_design(path)
    return reduce_model(d.model(d.scenario(scenario)))


def random_models() -> list[Model]:
    """N_RANDOM models from tests/strategies.py's ``models()``, the same ones on every run."""
    return sample(N_RANDOM)


class _Pool:
    """Runs every selected case's SPIN pipeline on WORKERS threads (the work happens in
    spin/gcc/pan subprocesses), started when the first case is asked for."""

    def __init__(self) -> None:
        self.ex = ThreadPoolExecutor(WORKERS)
        self.futures: dict[str, Future[Checked]] = {}

    def submit(self, key: str, make: Callable[[], Model], workdir: Path) -> None:
        if key not in self.futures:
            self.futures[key] = self.ex.submit(lambda: check_model(make(), workdir))

    def get(self, key: str) -> Checked:
        return self.futures[key].result()


@pytest.fixture(scope="module")
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    p = _Pool()
    base = tmp_path_factory.mktemp("spin")
    randoms = random_models()       # drawn here, in the main thread, once
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if spec is None or item.module is not request.module:
            continue
        if "case" in spec.params:
            path, scen = spec.params["case"]
            p.submit(f"{path}::{scen}", lambda a=path, b=scen: spec_model(a, b),
                     base / f"{Path(path).stem}--{scen}")
        elif "index" in spec.params:
            i = spec.params["index"]
            p.submit(f"random{i}", lambda m=randoms[i]: m, base / f"random{i}")
    yield p
    p.ex.shutdown(cancel_futures=True)


@pytest.mark.parametrize("case", spec_cases(), ids=lambda c: f"{Path(c[0]).stem}-{c[1]}")
def test_spin_agrees_on_shipped_specs(pool: _Pool, case: tuple[str, str],
                                      tmp_path: Path) -> None:
    path, scen = case
    key = f"{path}::{scen}"
    pool.submit(key, lambda: spec_model(path, scen), tmp_path)
    assert_agree(pool.get(key))


@pytest.mark.parametrize("index", range(N_RANDOM))
def test_spin_agrees_on_random_models(pool: _Pool, index: int, tmp_path: Path) -> None:
    key = f"random{index}"
    pool.submit(key, lambda: random_models()[index], tmp_path)
    assert_agree(pool.get(key))


def test_the_module_stays_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Under the README's `pytest -n auto --dist loadgroup` every test here is in group
    "spin": the pool computes every case of the module once per worker that runs one of its
    tests (pytest 9.2 with pytest-xdist 3.8 ignored the groups: see pyproject.toml)."""
    if not getattr(request.config.option, "loadgroup", False):   # set by xdist's workers
        pytest.skip("only under pytest -n --dist loadgroup (the README's test command)")
    assert request.node.nodeid.endswith("@spin"), request.node.nodeid


def test_random_models_are_varied() -> None:
    """The sample is not degenerate: it has violations of both kinds and proofs."""
    ms = random_models()
    assert len(ms) == N_RANDOM
    kinds = set()
    for m in ms:
        for name, o in explicit.check(m).items():
            kinds.add((name, o.status))
    assert {("inv", "violated"), ("inv", "holds"), ("deadlock", "violated"),
            ("deadlock", "holds")} <= kinds, kinds
    assert any(any(len(v) > 1 for v in m.init) for m in ms)
    assert any(len(m.tasks) == 3 for m in ms)


# ---------------------------------------------------------------- the table in the report
def _table() -> None:  # pragma: no cover - `python -m tests.checker.test_spin_agreement`
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="spin-table-"))
    cases = spec_cases()
    with ThreadPoolExecutor(WORKERS) as ex:
        res = list(ex.map(lambda c: check_model(spec_model(*c), base / f"{Path(c[0]).stem}-{c[1]}"),
                          cases))
    print("| design | scenario | property | flagcheck (explicit) | SPIN | flagcheck s | SPIN s (compile + pan) |")
    print("|---|---|---|---|---|---|---|")
    for (path, scen), c in zip(cases, res):
        for name, e in c.explicit.items():
            s = c.spin.verdicts[name]
            fe = f"{e.status}" + (f" ({e.depth})" if e.status == "violated" else f" ({e.states} st)")
            fs = f"{s.status}" + (f" ({len(s.actions)})" if s.status == "violated" else
                                  f" ({s.stored} st)")
            print(f"| {Path(path).stem} | {scen} | {name} | {fe} | {fs} | {c.explicit_seconds:.2f} "
                  f"| {c.spin.compile_seconds:.2f} + {s.seconds:.2f} |")
        try:
            assert_agree(c)
        except AssertionError as err:
            print("   DISAGREE:", str(err).splitlines()[0])


if __name__ == "__main__":  # pragma: no cover
    _table()
