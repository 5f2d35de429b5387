"""docs/mutation.md stays in step with the shipped designs: its score table has a row for
every design in specs/*.yaml, and every scenario its table of mutant-killing scenarios names
exists, is checked by some shipped design, and says in its doc: what it is for."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "mutation.md").read_text(encoding="utf-8")
DESIGNS = sorted((ROOT / "specs").glob("*.yaml"))


def _section(title: str) -> str:
    start = DOC.index(title)
    nxt = DOC.find("\n## ", start + 1)
    return DOC[start:nxt if nxt >= 0 else len(DOC)]


def test_every_shipped_design_has_a_score_row() -> None:
    table = _section("## The shipped designs")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([\w.-]+)` \|.*$", table, re.M)}
    names = [load_design(p).name for p in DESIGNS]
    missing = [n for n in names if n not in rows]
    assert not missing, f"docs/mutation.md has no score row for {missing}"
    for n in names:                          # before and after, each a percentage
        assert len(re.findall(r"\d+\.\d%", rows[n])) >= 2, rows[n]


def test_the_mutant_killing_scenarios_exist_are_listed_and_documented() -> None:
    table = _section("## The shipped designs")
    named = re.findall(r"^\| `([\w-]+)` \| [A-Za-z]", table, re.M)
    scen_names = {n for n in named if (ROOT / "specs" / "scenarios" / f"{n}.yaml").exists()}
    assert {"livelock-strands-joiner-work", "twa-resume-before-user-mode",
            "vcpu-signal-exit"} <= scen_names, named
    listed = {s.name for p in DESIGNS for s in load_design(p).scenarios}
    for n in scen_names:
        assert n in listed, f"scenario {n} is in docs/mutation.md but no shipped design lists it"
        text = (ROOT / "specs" / "scenarios" / f"{n}.yaml").read_text(encoding="utf-8")
        # its doc: (the scenarios written with the liveness properties) or, for the earlier
        # ones, its opening comment says which mutants it was written for
        doc = yaml.safe_load(text).get("doc") or text.split("\nflagcheck: 1")[0]
        assert "flagcheck mutate" in doc and "docs/mutation.md" in doc, (
            f"{n}.yaml: its doc: should say which mutants it was written for")
    for n in ("livelock-strands-joiner-work", "twa-resume-before-user-mode", "vcpu-signal-exit"):
        assert "flagcheck mutate" in yaml.safe_load(
            (ROOT / "specs" / "scenarios" / f"{n}.yaml").read_text(encoding="utf-8"))["doc"], n
