"""Ace by DAISY finds no accessibility violations in the sample book's EPUB.

scripts/setup.sh installs Ace (npm @daisy/ace-cli into .tools/) and Debian's
chromium; this test skips only when Ace is not installed at all."""

from __future__ import annotations

import pytest

from acecheck import ace_report as run_ace
from acecheck import violations


@pytest.fixture(scope="module")
def ace_report(outputs, tmp_path_factory) -> dict:
    return run_ace(outputs["epub"], tmp_path_factory.mktemp("ace"))


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
