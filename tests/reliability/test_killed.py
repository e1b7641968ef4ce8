"""Killed builds (issue 15, point 5): `spindle build all` is killed with SIGKILL at 20 moments
spread over parsing, layout (with its cache writes), merging, the screen PDF made from the print layout, the print edition, the EPUB and
the writing of the outputs: 18 named points where the build kills itself (SPINDLE_KILL_AT, see
spindle.core.faults) and 2 kills from outside after a delay. After each kill every file in build/
is either the previous output, byte for byte, or the new one complete; no temporary file is left
in build/; and the next build gives the same bytes as a build from an empty cache."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import tinybook

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": "1539216000"}
ENV.pop("SPINDLE_KILL_AT", None)
CHANGED = "---\ntitle: Beta, revised\n---\nBeta text, revised after the first build.\n\n![A chart](figures/chart.svg)\n"

# (point, n): killed the n-th time the build reaches the point
POINTS = [("parse", 1), ("parse", 3), ("layout", 1), ("layout", 2), ("layout", 3), ("cache", 1), ("cache", 4),
          ("merge", 1), ("screen", 1), ("print", 1), ("epub", 1), ("write", 1), ("rename", 1), ("written", 1),
          ("rename", 2), ("written", 2), ("rename", 4), ("manifest", 1)]
DELAYS = [0.7, 1.4]  # seconds after the start, killed from outside
MOMENTS = [f"{p}:{n}" for p, n in POINTS] + [f"after {d} s" for d in DELAYS]


def spindle(root: Path, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "spindle", "build", "all", "-q", "-j", "1"], cwd=root,
                            env={**ENV, "TMPDIR": tempfile.gettempdir(), **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def build(root: Path) -> None:
    """A whole build, in this process (as `spindle build all -q -j 1` in *root*; no start-up cost)."""
    from spindle.cli import run

    cwd, epoch = os.getcwd(), os.environ.get("SOURCE_DATE_EPOCH")
    os.chdir(root)
    os.environ["SOURCE_DATE_EPOCH"] = ENV["SOURCE_DATE_EPOCH"]
    try:
        assert run(["build", "all", "-q", "-j", "1"]) == 0
    finally:
        os.chdir(cwd)
        if epoch is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch


def outputs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "build").iterdir())}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """(work folder, pristine copy of the book built once, outputs before and after the change).
    Every build happens in the same folder: the PDFs' bytes depend on where the project lies."""
    base = tmp_path_factory.mktemp("killed")
    work = base / "work"
    tinybook.make(work)
    (work / "manuscript" / "02-beta.md").write_text(CHANGED, encoding="utf-8")
    build(work)
    new = outputs(work)
    shutil.rmtree(work)
    tinybook.make(work)
    build(work)
    old = outputs(work)
    assert set(old) == set(new)
    assert all(old[name] != new[name] for name in ("tiny-book.pdf", "tiny-book.epub", "tiny-book-print.pdf"))
    shutil.copytree(work, base / "pristine", symlinks=True)
    return work, base / "pristine", old, new


def test_the_moments_are_twenty():
    assert len(MOMENTS) == 20


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_build_leaves_old_or_complete_outputs_and_a_sound_cache(book, moment):
    work, pristine, old, new = book
    shutil.rmtree(work)
    shutil.copytree(pristine, work, symlinks=True)
    (work / "manuscript" / "02-beta.md").write_text(CHANGED, encoding="utf-8")
    if moment.startswith("after"):
        proc = spindle(work)
        time.sleep(float(moment.split()[1]))
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the build and its layout workers, as a power cut would
        except ProcessLookupError:
            pass
        proc.communicate(timeout=60)
    else:
        proc = spindle(work, SPINDLE_KILL_AT=moment)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, f"not killed at {moment}: {err.decode()}"
        # its layout workers end by themselves once the build is gone
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("layout workers outlived the killed build by 10 s")
    left = outputs(work)
    assert set(left) == set(old), f"files added or lost in build/: {sorted(set(left) ^ set(old))}"
    for name, data in left.items():
        assert data in (old[name], new[name]), f"{name}: neither the previous output nor the new one"
    build(work)
    assert outputs(work) == new, "the build after the kill differs from a build from an empty cache"
