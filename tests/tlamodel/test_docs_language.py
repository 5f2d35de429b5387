"""docs/language.md stays true to the grammar and the front end.

Its ```yaml blocks that start with ``# file: NAME.yaml`` are complete files: they are written
into one folder, every design is loaded with its scenarios, every model is built and every
``expect:`` entry is checked with the explicit engine.  A block with ``# error: TEXT`` on its
second line must be refused with TEXT in the message.  Other ```yaml blocks must be valid
YAML, ```c blocks parse as statements and ```c expr blocks as expressions.  Every keyword of
the grammar, every top-level key and every property kind must be mentioned.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flagcheck.tlamodel import spec as S
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.resolve import Resolver
from flagcheck.tlamodel.syntax import CodeRef, parse_code, parse_expr

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "language.md"
GRAMMAR = ROOT / "tlamodel" / "grammar.lark"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str, int]]:
    text = DOC.read_text()
    return [(m.group(1).strip(), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def complete_files() -> list[tuple[str, str, str | None]]:
    out = []
    for info, body, _ in blocks():
        m = re.match(r"# file: (\S+\.yaml)\n(?:# error: ([^\n]+)\n)?", body)
        if info == "yaml" and m:
            out.append((m.group(1), body, m.group(2)))
    return out


@pytest.fixture(scope="module")
def doc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("language-doc")
    names = [n for n, _, _ in complete_files()]
    assert len(names) == len(set(names)), "two complete files with one name"
    for name, body, _ in complete_files():
        (d / name).write_text(body)
    return d


def test_there_are_complete_examples() -> None:
    kinds = set()
    for _, body, _ in complete_files():
        kinds |= {k for k in S.KIND_KEYS if re.search(rf"^{k}:", body, re.M)}
    assert kinds == set(S.KIND_KEYS)


@pytest.mark.parametrize("name", [n for n, _, err in complete_files() if err is None])
def test_complete_file_loads(doc_dir: Path, name: str) -> None:
    path = doc_dir / name
    spec = Resolver(path).read(path, str(path))
    if spec.kind != "design":
        return
    d = load_design(path)
    assert d.scenarios, f"{name}: an example design should list its scenarios"
    for scen in d.scenarios:
        d.model(scen)
    own = {(e.scenario, e.prop) for e in spec.expect}   # not what extends may add
    if own:
        from flagcheck.checker.regress import judge
        from flagcheck.checker.verify import Options, verify
        scens = tuple(sorted({s for s, _ in own}))
        verdicts = verify(d, scens, (), Options(engine="explicit", timeout=120))
        checked = [judge(v) for v in verdicts if (v.scenario, v.property) in own]
        assert len(checked) == len(own)
        bad = [(c.verdict.scenario, c.verdict.property, c.verdict.word()) for c in checked
               if c.result != "ok"]
        assert not bad, f"{name}: expect: does not match: {bad}"


@pytest.mark.parametrize("name,error", [(n, e) for n, _, e in complete_files() if e])
def test_error_example_is_refused(doc_dir: Path, name: str, error: str) -> None:
    with pytest.raises(DesignError) as info:
        d = load_design(doc_dir / name)
        for scen in d.scenarios:
            d.model(scen)
    assert error in info.value.render()


def test_fragments_parse() -> None:
    ref = CodeRef(str(DOC), 1, 1)
    n = 0
    for info, body, line in blocks():
        where = f"docs/language.md:{line}"
        if info == "c":
            parse_code(body, CodeRef(str(DOC), line + 1, 1), where)
        elif info == "c expr":
            parse_expr(body, CodeRef(str(DOC), line + 1, 1), where)
        elif info == "yaml":
            YAML(typ="safe").load(body)
        else:
            continue
        n += 1
    assert n > 20, ref


def test_every_keyword_and_key_is_documented() -> None:
    text = DOC.read_text()
    keywords = set(re.findall(r'"([a-z_]+)"', GRAMMAR.read_text())) | {"forall", "exists"}
    keys = set(S.COMMON_KEYS).union(*S.KIND_KEYS.values())
    kinds = set(S.PROPERTY_KINDS) | {"for_each", "doc", "from", "to"}
    types = {"bool", "set(", "..", "task", "group", "signal"}
    missing = sorted(w for w in keywords | keys | kinds | set(S.SCOPES)
                     if f"`{w}" not in text and not re.search(rf"\b{w}\b[ (:]", text))
    assert not missing, f"docs/language.md does not mention: {missing}"
    assert all(t in text for t in types)
    for w in keywords:
        assert re.search(rf"^```c[^\n]*\n(?:(?!```).)*\b{w}\b", text, re.S | re.M), \
            f"no code example uses '{w}'"
