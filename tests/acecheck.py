"""Ace by DAISY, shared by the EPUB accessibility tests (tests/editions/test_ace.py) and the corpus
tests: run it on an EPUB and read the failed assertions from its report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ace_command() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "ace-cli"
    return str(local) if local.exists() else shutil.which("ace")


def ace_report(epub: Path, out: Path, timeout: int = 600) -> dict:
    """Ace's JSON report on *epub* (written under *out*); skips the test when Ace is not installed."""
    ace = ace_command()
    if ace is None:
        pytest.skip("Ace by DAISY is not installed (scripts/setup.sh installs it into .tools/; "
                    "SPINDLE_SKIP_ACE=1 skips that)")
    env = dict(os.environ)
    if not env.get("PUPPETEER_EXECUTABLE_PATH"):
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        assert browser, "Ace is installed but chromium is not (scripts/setup.sh installs Debian's chromium)"
        env["PUPPETEER_EXECUTABLE_PATH"] = browser
    # Ace gives each document 240 s by default; a large chapter file on a busy machine needs more
    # (js-primer's parts were one 2 MB document before nested files got documents of their own;
    # its largest is now 233 kB): the per-document limit follows the whole run's
    run = subprocess.run([ace, "--silent", "--force", "--timeout", str(timeout * 1000), "--outdir", str(out),
                          str(epub)], capture_output=True, text=True, timeout=timeout, env=env)
    report = out / "report.json"
    assert report.is_file(), f"Ace wrote no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return json.loads(report.read_text(encoding="utf-8"))


def violations(report: dict, impacts: tuple[str, ...] | None = None) -> list[str]:
    """The failed assertions (of those *impacts* only, when given), one line each."""
    found = []
    for document in report.get("assertions", []):
        for assertion in document.get("assertions", []):
            test = assertion.get("earl:test", {})
            if assertion.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            if impacts is not None and test.get("earl:impact") not in impacts:
                continue
            found.append(f"{document.get('earl:testSubject', {}).get('url')}: {test.get('earl:impact')} "
                         f"{test.get('dct:title')}: {assertion['earl:result'].get('dct:description', '')[:200]}")
    return found
