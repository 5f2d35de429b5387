"""specs/lib/linux-5.11.yaml states the v5.11 design of specs/notify-signal-5.11.yaml as a
library (the post-5.11 designs extend it), and the two must not drift apart: every define
and procedure notify-signal-5.11.yaml overrides has the same code in the library, except
the ones the library extends for the later kernel states, each listed here with its reason.
"""
from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
#: library definitions that differ from the design's on purpose
EXTENDED = {
    "wants_signal": "PF_EXITING and stopped/traced targets (kernel/signal.c, v5.11)",
    "recalc_tsk": "JOBCTL_STOP_PENDING, JOBCTL_TRAP_FREEZE and SIGKILL keep TIF_SIGPENDING",
    "get_signal": "relock takes sighand->siglock as a lock held across steps",
}


def _code(path: Path) -> dict[str, str]:
    """name -> code without comments and blanks, for every define and procedure."""
    top = YAML(typ="safe").load(path.read_text())
    out = {}
    for key in ("define", "procedures"):
        for sig, body in (top.get(key) or {}).items():
            name = re.match(r"\s*([A-Za-z_]\w*)", str(sig)).group(1)  # type: ignore[union-attr]
            out[name] = re.sub(r"\s+", "", re.sub(r"(#|//)[^\n]*", "", str(body)))
    return out


def test_the_library_states_the_511_design() -> None:
    design = _code(ROOT / "specs" / "notify-signal-5.11.yaml")
    lib = _code(ROOT / "specs" / "lib" / "linux-5.11.yaml")
    missing = sorted(set(design) - set(lib))
    assert not missing, f"linux-5.11.yaml lacks {missing}"
    drift = sorted(n for n in design if n not in EXTENDED and design[n] != lib[n])
    assert not drift, f"linux-5.11.yaml and notify-signal-5.11.yaml differ on {drift}"
    still_equal = sorted(n for n in EXTENDED if design.get(n) == lib.get(n))
    assert not still_equal, f"EXTENDED lists {still_equal}, which no longer differ"


def test_the_later_kernel_states_behave() -> None:
    """The states the library adds, on small scenarios (fixtures_lib511/design.yaml): a
    stopped task runs again after SIGCONT and stays stopped without it; SIGKILL wakes a
    TASK_KILLABLE sleeper and a plain signal does not; the system freezer freezes and thaws."""
    from flagcheck.checker.verify import Options, verify
    from flagcheck.tlamodel.load import load_design
    d = load_design(Path(__file__).resolve().parent / "fixtures_lib511" / "design.yaml")
    verdicts = verify(d, (), (), Options(engine="explicit", timeout=120))
    assert len(verdicts) == 15
    bad = [(v.scenario, v.property, v.word()) for v in verdicts if v.expectation_met() is not True]
    assert not bad, bad
