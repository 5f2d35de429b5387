"""docs/library.md and docs/properties.md cover what the shipped library defines.

Every define and procedure of specs/lib/linux-base.yaml has a row in docs/library.md (a
design author overrides them by name, so each needs its kernel function and version), and
every named property has a section in docs/properties.md.  The README points to the docs.
"""
from __future__ import annotations

import re
from pathlib import Path

from flagcheck.tlamodel.spec import read_spec
from flagcheck.tlamodel.yamlfile import load_yaml

ROOT = Path(__file__).resolve().parents[2]
LIB = read_spec(load_yaml(ROOT / "specs" / "lib" / "linux-base.yaml"))
#: the v5.11+ library: its rows are in library.md too (names it shares with linux-base once)
LIB511 = read_spec(load_yaml(ROOT / "specs" / "lib" / "linux-5.11.yaml"))


def _rows(doc: str) -> set[str]:
    """Names that open a table row: | `name(...)` | or | `name` |."""
    text = (ROOT / "docs" / doc).read_text()
    return set(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)(?:\([^`]*\))?`", text, re.M))


def test_every_define_and_procedure_is_in_library_md() -> None:
    rows = _rows("library.md")
    names = set(LIB.defines) | set(LIB.procedures) | set(LIB511.defines) | set(LIB511.procedures)
    missing = sorted(names - rows)
    assert not missing, f"docs/library.md has no row for: {missing}"
    stale = sorted(rows - names - set(_state_names()))
    assert not stale, f"docs/library.md lists names linux-base.yaml does not define: {stale}"


def _state_names() -> list[str]:
    return [v.name for v in list(LIB.state.values()) + list(LIB511.state.values())]


def test_library_rows_cite_a_kernel_version_or_say_what_they_model() -> None:
    text = (ROOT / "docs" / "library.md").read_text()
    for name in sorted(set(LIB.procedures)):
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}("))
        assert len(row.split("|")[2].strip()) > 20, row


def test_every_property_is_in_properties_md() -> None:
    text = (ROOT / "docs" / "properties.md").read_text()
    headings = set(re.findall(r"^## (\S+)$", text, re.M))
    missing = sorted((set(LIB.properties) | {"assertions"}) - headings)
    assert not missing, f"docs/properties.md has no section for: {missing}"


def test_readme_points_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    for doc in ("docs/language.md", "docs/properties.md", "docs/library.md"):
        assert doc in readme
        assert (ROOT / doc).is_file()
