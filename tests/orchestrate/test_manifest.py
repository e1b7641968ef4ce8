"""spindle build --json (a manifest whose hashes, sizes and page counts match the
files written) and the build's progress: a status line and a closing table on a
terminal (a real pseudo-terminal), plain lines elsewhere."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from spindle.core import progress
from spindle.cli import run

TOML = """\
[book]
title = "Manifest Book"
authors = ["Ann"]
isbn = { print = "978-90-832059-0-8" }

[contents]
chapters = ["manuscript/01.md", "manuscript/02.md"]

[editions.print]
imposition = "saddle-stitch"
"""


def tiny(root: Path) -> Path:
    (root / "manuscript").mkdir(parents=True)
    for n in (1, 2):
        (root / "manuscript" / f"0{n}.md").write_text(f"---\ntitle: Chapter {n}\n---\nSome text.[^1]\n\n[^1]: A note.\n",
                                                      encoding="utf-8")
    (root / "book.toml").write_text(TOML, encoding="utf-8")
    return root / "book.toml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`spindle build all --json` of a tiny book (with a cover and imposed sheets), once."""
    import contextlib

    config = tiny(tmp_path_factory.mktemp("manifest"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["build", "all", "--json", "--config", str(config)])
    return code, out.getvalue(), err.getvalue(), config.parent


def test_json_manifest_lists_every_file_with_its_real_hash(built):
    code, out, _, root = built
    assert code == 0
    data = json.loads(out)  # stdout is the manifest and nothing else
    editions = [o["edition"] for o in data["outputs"]]
    assert editions == ["pdf", "epub", "print", "cover", "imposed"]
    on_disk = sorted(p.name for p in (root / "build").iterdir())
    assert sorted(Path(o["path"]).name for o in data["outputs"]) == on_disk
    for o in data["outputs"]:
        path = Path(o["path"]) if Path(o["path"]).is_absolute() else Path.cwd() / o["path"]
        blob = path.read_bytes()
        assert o["sha256"] == hashlib.sha256(blob).hexdigest()
        assert o["bytes"] == len(blob)
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                assert o["pages"] == len(pdf.pages)
        else:
            assert o["pages"] is None
    assert data["warnings"] == [] and isinstance(data["notes"], list)


def test_json_keeps_notes_on_stderr(built):
    _, out, err, _ = built
    notes = json.loads(out)["notes"]
    assert notes and all(f"note: {note}" in err for note in notes)


def test_plain_lines_when_not_on_a_terminal(tmp_path, capsys):
    config = tiny(tmp_path)
    assert run(["build", "pdf", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    assert re.fullmatch(r"pdf    \S+manifest-book\.pdf  \(\d+ pages, \d+ KiB, \d+\.\d s\)", line), line
    assert "\r" not in err and "\x1b" not in err  # no status line for CI


def test_progress_and_table_on_a_terminal(tmp_path):
    config = tiny(tmp_path)
    main, replica = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    proc = subprocess.Popen([sys.executable, "-m", "spindle", "build", "pdf", "epub", "--config", str(config)],
                            stdin=replica, stdout=replica, stderr=replica, cwd=tmp_path, env=env, close_fds=True)
    os.close(replica)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        assert proc.wait(timeout=120) == 0
        os.close(main)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "reading manuscript/01.md (1/2)" in screen
    assert "[1/2] pdf" in screen and "[2/2] epub" in screen
    assert re.search(r"\d+ pages laid out", screen)  # WeasyPrint's layout, page by page
    assert "\r\x1b[K" in screen  # the status line is rewritten in place
    lines = [line.rstrip("\r") for line in screen.replace("\r\x1b[K", "\n").split("\n")]
    header = next(i for i, line in enumerate(lines) if line.startswith("edition"))
    assert lines[header].split() == ["edition", "file", "pages", "size", "time"]
    assert lines[header + 2].split()[0] == "pdf" and lines[header + 3].split()[0] == "epub"
    assert re.search(r"build/manifest-book\.pdf\s+\d+\s+\d+ KiB\s+\d+\.\d s$", lines[header + 2])


def test_display_live_verbose_and_quiet():
    stream = io.StringIO()
    display = progress.Display(stream, live=True, editions=2, interval=0)
    display(progress.chapter("manuscript/01.md", 1, 3))
    display(progress.edition("pdf"))
    display.page(7)
    display("pdf: laying out 01")  # a remark: the status for now, a line only with -v
    display.page(2)
    display.close()
    text = stream.getvalue()
    assert "spindle: reading manuscript/01.md (1/3)" in text
    assert "[1/2] pdf: 1 pages laid out" in text and "[1/2] pdf: pdf: laying out 01 (2 pages laid out)" in text
    assert "\n" not in text and text.endswith("\r\x1b[K")  # nothing stays on the screen
    stream = io.StringIO()
    verbose = progress.Display(stream, live=True, verbose=True)
    verbose("a remark")
    assert "a remark\n" in stream.getvalue()
    stream = io.StringIO()
    plain = progress.Display(stream, live=False, verbose=True)
    plain(progress.edition("epub"))
    plain("a remark")
    assert stream.getvalue() == "building epub …\na remark\n"
    stream = io.StringIO()
    progress.Display(stream, live=False)(progress.edition("epub"))
    assert stream.getvalue() == ""


def test_progress_messages_are_still_strings():
    said: list[str] = []
    said.append(progress.edition("print"))
    assert said == ["building print …"] and said[0].edition == "print" and said[0].step == "edition"


def test_table_aligns_columns():
    rows = [{"edition": "pdf", "path": "build/a.pdf", "pages": 12, "bytes": 2048, "seconds": 1.25},
            {"edition": "epub", "path": "build/a.epub", "pages": None, "bytes": 3 * 1024 * 1024, "seconds": 0.5}]
    assert progress.table(rows).splitlines() == [
        "edition  file          pages     size   time",
        "-------  ------------  -----  -------  -----",
        "pdf      build/a.pdf      12    2 KiB  1.2 s",
        "epub     build/a.epub         3.0 MiB  0.5 s",
    ]
