"""Ace by DAISY finds no accessibility violations in the sample book's EPUB.

scripts/setup.sh installs Ace (npm @daisy/ace-cli into .tools/) and Debian's
chromium; this test skips only when Ace is not installed at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def ace_command() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "ace-cli"
    return str(local) if local.exists() else shutil.which("ace")


@pytest.fixture(scope="module")
def ace_report(outputs, tmp_path_factory) -> dict:
    ace = ace_command()
    if ace is None:
        pytest.skip("Ace by DAISY is not installed (scripts/setup.sh installs it into .tools/; "
                    "SPINDLE_SKIP_ACE=1 skips that)")
    env = dict(os.environ)
    if not env.get("PUPPETEER_EXECUTABLE_PATH"):
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        assert browser, "Ace is installed but chromium is not (scripts/setup.sh installs Debian's chromium)"
        env["PUPPETEER_EXECUTABLE_PATH"] = browser
    out = tmp_path_factory.mktemp("ace")
    run = subprocess.run([ace, "--silent", "--force", "--outdir", str(out), str(outputs["epub"])],
                         capture_output=True, text=True, timeout=600, env=env)
    report = out / "report.json"
    assert report.is_file(), f"Ace wrote no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return json.loads(report.read_text(encoding="utf-8"))


def violations(report: dict) -> list[str]:
    found = []
    for document in report.get("assertions", []):
        for assertion in document.get("assertions", []):
            if assertion.get("earl:result", {}).get("earl:outcome") == "fail":
                test = assertion.get("earl:test", {})
                found.append(f"{document.get('earl:testSubject', {}).get('url')}: {test.get('earl:impact')} "
                             f"{test.get('dct:title')}: {assertion['earl:result'].get('dct:description', '')[:200]}")
    return found


def test_ace_reports_no_violations(ace_report):
    found = violations(ace_report)
    assert ace_report["earl:result"]["earl:outcome"] == "pass" and not found, "\n".join(found)


def test_ace_reads_our_accessibility_metadata(ace_report):
    metadata = ace_report["a11y-metadata"]
    required = {"schema:accessMode", "schema:accessibilityFeature", "schema:accessibilityHazard",
                "schema:accessibilitySummary", "schema:accessModeSufficient", "dcterms:conformsTo"}
    assert required <= set(metadata["present"]), f"Ace misses {required - set(metadata['present'])}"
    # only the certifier's details may be missing: nobody certified the claim unless book.toml says who
    assert set(metadata.get("missing", [])) <= {"a11y:certifiedBy", "a11y:certifierCredential", "a11y:certifierReport"}
    assert not metadata.get("empty")
    outlines = ace_report.get("outlines", {})
    assert outlines.get("toc"), "Ace found no table of contents"
