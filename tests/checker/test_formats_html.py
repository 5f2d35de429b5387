"""The HTML report rendered by a real browser (headless Chromium).

Chromium comes from Debian's ``chromium`` package.  If it is missing and this runs as root
with apt-get available (CI machines), the test installs it (set FLAGCHECK_NO_APT=1 to
forbid that); otherwise it is skipped with the reason.  The page must render offline, with
no script: we dump the DOM Chromium built and count the swimlanes in it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flagcheck.checker.report import facts
from flagcheck.checker.report import render, report_of
from flagcheck.checker.verify import Options, verify
from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _find() -> str | None:
    for b in BROWSERS:
        path = shutil.which(b)
        if path:
            return path
    return None


def _install() -> str:
    """'' when installed, else why not."""
    if os.environ.get("FLAGCHECK_NO_APT"):
        return "FLAGCHECK_NO_APT is set"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root, so apt-get cannot install it"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
            if r.returncode != 0:
                return f"{' '.join(cmd)} failed: {r.stderr.strip()[-300:]}"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"apt-get failed: {e}"
    return ""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find()
    if path is None:
        why = _install()
        path = _find()
        if path is None:
            pytest.skip(f"headless Chromium is not available ({why or 'not found after install'}); "
                        "install Debian's 'chromium' package to run this test")
    return path


def _run(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-extensions",
             "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}"]
    return subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=120)


def test_chromium_renders_one_lane_per_task(chromium: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    d = load_design("specs/rfc-v2-tif-taskwork.yaml")
    vs = verify(d, ("oleg-lost-signal",), ("no_lost_signal",), Options(engine="explicit"))
    (v,) = [x for x in vs if x.status == "violated"]
    page = tmp_path / "report.html"
    page.write_text(render("html", report_of(d, vs)), encoding="utf-8")

    shot = tmp_path / "shot.png"
    r = _run(chromium, tmp_path, "--dump-dom", "--window-size=1400,1800",
             f"--screenshot={shot}", page.as_uri())
    dom = r.stdout
    assert r.returncode == 0 and "<svg" in dom, r.stderr[-2000:]
    lanes = re.findall(r'<g class="lane" data-task="([^"]+)">', dom)
    assert lanes == list(v.model.tasks)
    steps = re.findall(r'<g class="step" data-step="(\d+)" data-task="([^"]+)">', dom)
    assert len(steps) == v.outcome.trace.length
    rows = facts.steps(v.model, v.outcome.trace)
    assert sorted((int(n), t) for n, t in steps) == [(r.number, r.task) for r in rows]
    assert "no_lost_signal is violated after step" in dom
    assert "<script" not in dom
    # the screenshot is a real picture, not an empty page
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
