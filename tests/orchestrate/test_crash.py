"""A bug in spindle (not a mistake in the book) is reported as any error is: one line on stderr,
exit 1, no traceback, the previous outputs as they were; the traceback goes to
.spindle-cache/crash-NAME.txt beside book.toml, and the line names that file. The bugs are planted
with SPINDLE_RAISE_AT (core/faults.py): in a layout worker process, in the build's own process
laying a small book out (--jobs 1), elsewhere in the build, and in the live preview."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tinybook

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": "1539216000"}
ENV.pop("SPINDLE_KILL_AT", None)
ENV.pop("SPINDLE_RAISE_AT", None)
EDITED = "---\ntitle: Beta\n---\nBeta text, edited: this part is laid out again.\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("crash") / "book"
    tinybook.make(root)
    proc = subprocess.run([sys.executable, "-m", "spindle", "build", "pdf", "epub", "-q", "-j", "1"], cwd=root,
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (root / "manuscript" / "02-beta.md").write_text(EDITED, encoding="utf-8")  # laid out by the next build
    return root, outputs(root)


def outputs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "build").iterdir())}


def crashed(root: Path, *args: str, **env: str) -> tuple[str, Path]:
    """Run a build that meets the planted bug; (its one line after 'error: ', the crash file it names)."""
    proc = subprocess.run([sys.executable, "-m", "spindle", "build", *args], cwd=root, env={**ENV, **env},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: internal error while "), proc.stderr
    found = re.search(r"its traceback is in (\S+); please report it to spindle's maintainers with that file", lines[0])
    assert found, lines[0]
    report = root / found.group(1)
    text = report.read_text(encoding="utf-8")
    assert text.startswith("Traceback (most recent call last):")
    assert "faults.Injected: SPINDLE_RAISE_AT=" in text
    return lines[0][len("error: "):], report


@pytest.mark.parametrize("jobs", ["2", "1"], ids=["worker process", "in the build's process"])
def test_a_bug_laying_out_a_part_is_one_line_naming_the_part_and_its_traceback_file(built, jobs):
    root, before = built
    message, report = crashed(root, "pdf", "epub", "-j", jobs, SPINDLE_RAISE_AT="part")
    assert re.match(r"internal error while laying out part 'beta' of the (pdf|print) edition \(a bug in spindle, "
                    r"not in the book\): its traceback is in \.spindle-cache/crash-beta\.txt;", message), message
    assert message.endswith("; the previous outputs are as they were")
    assert report == root / ".spindle-cache" / "crash-beta.txt"
    assert "in lay_out" in report.read_text(encoding="utf-8")  # the worker's own frames
    assert outputs(root) == before
    report.unlink()


def test_a_bug_elsewhere_in_a_build_is_one_line_and_a_file_too(built):
    root, before = built
    message, report = crashed(root, "epub", SPINDLE_RAISE_AT="epub")
    assert message.startswith("internal error while running 'spindle build' (a bug in spindle, not in the book): "
                              "its traceback is in .spindle-cache/crash-build.txt;")
    assert report == root / ".spindle-cache" / "crash-build.txt"
    assert outputs(root) == before
    report.unlink()


def test_a_bug_with_config_elsewhere_writes_beside_that_book_toml(built, tmp_path):
    root, before = built
    proc = subprocess.run([sys.executable, "-m", "spindle", "build", "epub", "--config", str(root / "book.toml")],
                          cwd=tmp_path, env={**ENV, "SPINDLE_RAISE_AT": "epub"}, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    report = root / ".spindle-cache" / "crash-build.txt"
    assert f"its traceback is in {report};" in proc.stderr  # (outside the working folder: the whole path)
    assert "Injected" in report.read_text(encoding="utf-8")
    assert not list(tmp_path.iterdir())
    report.unlink()


def test_the_preview_reports_a_bug_in_one_line_and_keeps_serving(tmp_path, monkeypatch, capsys):
    from spindle.cli.serve import Preview
    from spindle.core import faults

    tinybook.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(faults, "_count", {})
    monkeypatch.setenv("SPINDLE_RAISE_AT", "parse")
    preview = Preview(tmp_path / "book.toml")
    preview.refresh({"config"})
    error = preview.state.error
    assert error.startswith("internal error while preparing the preview's HTML (a bug in spindle, not in the book): "
                            "its traceback is in .spindle-cache/crash-preview-html.txt;")
    assert "Injected" in (tmp_path / ".spindle-cache" / "crash-preview-html.txt").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert err == f"error: {error}\n"
    preview.refresh({"manuscript"})  # the bug met once (parse:1): the preview goes on
    assert preview.state.error is None and preview.state.html


def test_a_preview_thread_ended_by_a_bug_is_one_line_too(tmp_path, monkeypatch, capsys):
    import threading

    from spindle.cli.serve import Preview, report_thread_crashes

    tinybook.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    preview = Preview(tmp_path / "book.toml")
    previous = report_thread_crashes(preview)
    try:
        thread = threading.Thread(target=lambda: 1 / 0, name="spindle-watch")
        thread.start()
        thread.join()
    finally:
        threading.excepthook = previous
    err = capsys.readouterr().err
    assert err == ("error: internal error while running the preview (spindle-watch) (a bug in spindle, not in the "
                   "book): its traceback is in .spindle-cache/crash-preview-thread.txt; please report it to "
                   "spindle's maintainers with that file\n")
    text = (tmp_path / ".spindle-cache" / "crash-preview-thread.txt").read_text(encoding="utf-8")
    assert text.startswith("Traceback") and "ZeroDivisionError" in text


def test_a_bug_answering_a_preview_request_is_one_line(tmp_path, monkeypatch, capsys):
    from spindle.cli.serve import Handler, Preview, _Server

    tinybook.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    preview = Preview(tmp_path / "book.toml")
    server = _Server(("127.0.0.1", 0), type("PreviewHandler", (Handler,), {"preview": preview}))
    try:
        try:
            raise RuntimeError("a bug planted in a request's answer")
        except RuntimeError:
            server.handle_error(None, ("127.0.0.1", 54321))  # (as socketserver calls it)
    finally:
        server.server_close()
    err = capsys.readouterr().err
    assert err.startswith("error: internal error while answering a request from 127.0.0.1 (a bug in spindle")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "a bug planted" in (tmp_path / ".spindle-cache" / "crash-preview-request.txt").read_text(encoding="utf-8")
