"""One severity table: ``spindle check`` and ``spindle build`` report the same findings, with the
same codes, files, lines and levels, and the build's exit code follows them (--strict: warnings too)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from spindle.build import orchestrate as builder
from spindle.checks.lint import lint
from spindle.cli import run
from spindle.core.diagnostics import CODES
from spindle.core.errors import ManuscriptProblems
from spindle.project.config import load

CHAPTERS = {
    "01-one.md": """\
        ---
        title: One
        ---
        ## Start

        ![A missing map](figures/map.png)

        See [a page that is not in the book](../notes/todo.md) and [a lost anchor](02-two.md#nowhere).

        {{#frobnicate something}}

        ```rust
        {{#include code/gone.rs}}
        ```
        """,
    "02-two.md": """\
        ---
        title: Two
        ---
        ## Two

        #### Skipped a level

        A note.[^1] {% unknown_tag %}

        [^1]: Used.

        [^2]: Never used.
        """,
}
LINE = re.compile(r"^(manuscript/[^:]+):(\d+): ([A-Z]\d{3}) ", re.M)
SHOWN = re.compile(r"^(error|warning): (manuscript/[^:]+):(\d+): ", re.M)


def planted(root: Path, with_errors: bool = True) -> Path:
    (root / "manuscript").mkdir(parents=True)
    for name, text in CHAPTERS.items():
        text = textwrap.dedent(text)
        if not with_errors:
            text = text.replace("![A missing map](figures/map.png)", "").replace("{{#include code/gone.rs}}", "")
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "Planted"\n[contents]\n'
                                    'chapters = ["manuscript/01-one.md", "manuscript/02-two.md"]\n', encoding="utf-8")
    return root / "book.toml"


def found(text: str) -> set[tuple[str, str, int]]:
    return {(m.group(3), m.group(1), int(m.group(2))) for m in LINE.finditer(text)}


def test_check_and_build_report_exactly_the_same_findings(tmp_path, capsys):
    config = planted(tmp_path)
    assert run(["check", "--config", str(config)]) == 1
    checked = capsys.readouterr().out
    with pytest.raises(ManuscriptProblems) as problems:
        builder.build(load(config), ["epub"], tmp_path / "build", cache=False)
    assert run(["build", "epub", "--config", str(config)]) == 1
    shown = capsys.readouterr().err
    expected = {
        ("I001", "manuscript/01-one.md", 6),   # missing image: error
        ("L001", "manuscript/01-one.md", 8),   # a link out of the book: warning, becomes text
        ("L002", "manuscript/01-one.md", 8),   # an anchor that does not exist: warning
        ("D001", "manuscript/01-one.md", 10),  # an unknown mdBook directive
        ("D002", "manuscript/01-one.md", 13),  # a missing include: error
        ("H001", "manuscript/02-two.md", 6),
        ("D001", "manuscript/02-two.md", 8),   # an unknown GitBook tag
        ("N002", "manuscript/02-two.md", 12),
    }
    assert found(checked) == expected
    assert {d.key() for d in problems.value.diagnostics} == expected
    assert {(d.code, d.level) for d in problems.value.diagnostics} == {(c, CODES[c].level) for c, _, _ in expected}
    # the command prints each of them, at its level, then one line that sums up
    assert sorted((m.group(2), int(m.group(3)), m.group(1)) for m in SHOWN.finditer(shown)) == \
        sorted((path, line, CODES[code].level) for code, path, line in expected)
    assert shown.splitlines()[-1].startswith("error: 2 errors in the manuscript")
    assert not (tmp_path / "build").exists()  # nothing written


def test_warnings_only_build_succeeds_with_the_same_findings_and_strict_fails_both(tmp_path, capsys):
    config = planted(tmp_path, with_errors=False)
    report = lint(load(config))
    assert report.findings and not report.errors
    result = builder.build(load(config), ["epub"], tmp_path / "out", cache=False)
    assert [d.key() for d in result.diagnostics] == [d.key() for d in report.findings]
    assert [str(d) for d in result.diagnostics] == [w for w in result.warnings if w in map(str, result.diagnostics)]
    assert run(["check", "--strict", "--config", str(config)]) == 1
    assert run(["build", "epub", "--strict", "--config", str(config), "--out", str(tmp_path / "strict")]) == 1
    assert not (tmp_path / "strict").exists()
    assert run(["check", "--config", str(config)]) == 0


def test_build_json_lists_the_findings_check_json_lists_also_when_nothing_changed(tmp_path, capsys):
    import json

    config = planted(tmp_path, with_errors=False)
    assert run(["check", "--json", "--config", str(config)]) == 0
    checked = json.loads(capsys.readouterr().out)["findings"]
    for attempt in ("first", "nothing changed"):
        assert run(["build", "epub", "--json", "--config", str(config)]) == 0, attempt
        built = json.loads(capsys.readouterr().out)["findings"]
        assert built == checked, attempt
    assert {f["code"] for f in checked} == {"L001", "L002", "D001", "H001", "N002"}


def test_the_sources_findings_of_an_unchanged_file_come_from_the_cache(tmp_path, monkeypatch):
    """The build's checks of a Markdown file (checks.lint.source_findings) are cached by its bytes:
    after an edit only the edited file is checked again, and the findings are what check reports."""
    from spindle.checks import lint as linting

    config = planted(tmp_path, with_errors=False)
    first = builder.build(load(config), ["epub"], tmp_path / "out")
    assert list((tmp_path / ".spindle-cache" / "lint").rglob("*.json"))
    checked: list[str] = []
    real = linting.source_findings
    monkeypatch.setattr(linting, "source_findings", lambda project, entry, *args: checked.append(entry.file)
                        or real(project, entry, *args))
    two = tmp_path / "manuscript" / "02-two.md"
    two.write_text(two.read_text(encoding="utf-8").replace("#### Skipped a level", "### One level down"),
                   encoding="utf-8")
    second = builder.build(load(config), ["epub"], tmp_path / "out")
    assert checked == ["manuscript/02-two.md"]
    keys = [d.key() for d in second.diagnostics]
    assert keys == [d.key() for d in lint(load(config)).findings]
    assert ("H001", "manuscript/02-two.md", 6) in [d.key() for d in first.diagnostics]
    assert not any(code == "H001" for code, _, _ in keys) and any(code == "N002" for code, _, _ in keys)
    assert [(d.level, str(d)) for d in second.diagnostics if d.path == "manuscript/01-one.md"] == \
        [(d.level, str(d)) for d in first.diagnostics if d.path == "manuscript/01-one.md"]
