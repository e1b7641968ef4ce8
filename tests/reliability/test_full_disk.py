"""A full disk (issue 15, point 6): the build fails with one line naming the output folder, and
every previous output is as it was, byte for byte, with no temporary file left: on a small tmpfs
filled to the last byte (skipped where mounting is not allowed), and under `ulimit -f`."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinybook

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": "1539216000"}
ENV.pop("SPINDLE_KILL_AT", None)


def spindle(root: Path, *args: str, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spindle", "build", *args], cwd=root, env=ENV, text=True,
                          capture_output=True, timeout=180, preexec_fn=preexec_fn)


def snapshot(root: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((root / "build").iterdir())}


def check_failed_cleanly(root: Path, done: subprocess.CompletedProcess, before: dict) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: build: cannot write the outputs: ") and "free some space" in lines[0], lines[0]
    assert snapshot(root) == before
    assert not list((root / ".spindle-cache" / "tmp").glob("*")), "temporary files left behind"


@pytest.fixture
def disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip() or made.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_in_one_line_and_keeps_the_previous_outputs(disk):
    root = disk / "book"
    tinybook.make(root)
    assert spindle(root, "epub", "pdf", "-q").returncode == 0
    before = snapshot(root)
    (root / "manuscript" / "02-beta.md").write_text("---\ntitle: Beta\n---\nBeta, changed.\n", encoding="utf-8")
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)  # fill the disk to the last byte
    try:
        for size in (65536, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    assert shutil.disk_usage(disk).free < 65536
    check_failed_cleanly(root, spindle(root, "epub", "pdf", "-q"), before)
    # with space again, the build goes through
    (disk / "filler").unlink()
    assert spindle(root, "epub", "pdf", "-q").returncode == 0
    assert snapshot(root) != before


def test_a_file_size_limit_fails_in_one_line_and_keeps_the_previous_outputs(tmp_path):
    root = tmp_path / "book"
    tinybook.make(root)
    assert spindle(root, "epub", "-q").returncode == 0
    before = snapshot(root)
    (root / "manuscript" / "02-beta.md").write_text("---\ntitle: Beta\n---\nBeta, changed.\n", encoding="utf-8")

    def limit():  # ulimit -f 256 (KiB): the EPUB (about 1.4 MiB with its fonts) cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    check_failed_cleanly(root, spindle(root, "epub", "-q", preexec_fn=limit), before)
