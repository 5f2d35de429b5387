"""The repository is self-contained: nothing tracked points at files a user does not have.

A user of the package has the repository and nothing else, so a tracked file that cites a
design note kept elsewhere (the NOTES below, or a "shared" folder beside the repository) or
an issue tracker's "issue 7" sends the reader nowhere: cite the kernel
function and version, or a page in docs/, instead.  Such a name is allowed only when the
file it names is itself tracked.  Build and environment debris (a virtualenv,
site-packages, __pycache__, .hypothesis) must never be tracked.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# spelt in parts so that this file does not itself cite them (repository checks grep for them)
NOTES = tuple(name + ".md" for name in ("LANGUAGE", "LESSONS", "ARCHITECTURE", "kernel-semantics"))
_SHARED = ".." + "/shared/"
FORBIDDEN = re.compile(r"(?P<note>(?-i:\b(?:" + "|".join(re.escape(n) for n in NOTES) + r")))"
                       r"|(?P<shared>\.\./shared\b)"
                       r"|(?P<issue>\bissues? #?[0-9]+)", re.I)
DEBRIS = re.compile(r"(^|/)(\.?venv[^/]*|site-packages|__pycache__|\.hypothesis|[^/]*\.egg-info)(/|$)")
#: this file has to name what it forbids
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()


def tracked() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def test_no_reference_outside_the_repository() -> None:
    files = tracked()
    names = {Path(p).name for p in files}
    bad = []
    for rel in files:
        if rel == SELF:
            continue
        path = ROOT / rel
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue          # binary files, or deleted in the working tree
        for n, line in enumerate(text.splitlines(), 1):
            for m in FORBIDDEN.finditer(line):
                if m.group("note") and m.group("note") in names:
                    continue  # the note is in the repository after all
                bad.append(f"{rel}:{n}: {m.group(0)!r}: {line.strip()[:100]}")
    assert not bad, ("tracked files point outside the repository (cite the kernel function "
                     "and version, or docs/):\n" + "\n".join(bad))


def test_no_environment_debris_is_tracked() -> None:
    bad = [p for p in tracked() if DEBRIS.search(p)]
    assert not bad, "tracked build/environment files: " + ", ".join(bad[:20])


def test_the_patterns_catch_what_they_should() -> None:
    for text in (f"see {_SHARED}design/{NOTES[0]}", "(issue 7)", f"{NOTES[3]} §9",
                 f"{NOTES[1]} item 12", "fixes issue #12"):
        assert FORBIDDEN.search(text), text
    for text in ("docs/language.md", "tissue 7", "the issue is TIF_SIGPENDING"):
        assert not FORBIDDEN.search(text), text
    for path in (".venv/bin/python", "venv/lib/x.py", "a/__pycache__/b.pyc",
                 "lib/python3.11/site-packages/z3/__init__.py", ".hypothesis/examples/x",
                 "flagcheck.egg-info/PKG-INFO"):
        assert DEBRIS.search(path), path
    for path in ("tlamodel/spec.py", "docs/ci.md", "specs/lib/linux-base.yaml"):
        assert not DEBRIS.search(path), path
