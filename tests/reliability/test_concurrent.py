"""Concurrent builds (issue 15, point 4): two `spindle build all` of one project at once, as two
real processes: the second waits for the first (saying so) and both end with complete outputs,
byte-identical to a build on its own; a build waiting longer than SPINDLE_LOCK_WAIT fails with a
clear one-line error; the lock dies with its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import tinybook

SRC = Path(__file__).resolve().parents[2] / "src"
EPOCH = "1539216000"


def env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": EPOCH, **extra}


def spindle(root: Path, *args: str, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "spindle", *args], cwd=root, env=env(**extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outputs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "build").iterdir())}


def complete(root: Path) -> None:
    import pikepdf

    files = outputs(root)
    assert sorted(files) == ["tiny-book-cover.pdf", "tiny-book-print.pdf", "tiny-book.epub", "tiny-book.pdf"], sorted(files)
    for name in files:
        path = root / "build" / name
        if name.endswith(".pdf"):
            with pikepdf.open(path) as pdf:
                assert len(pdf.pages) > 0
        else:
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None


@pytest.fixture
def tiny(tmp_path) -> Path:
    root = tmp_path / "book"
    tinybook.make(root)
    return root


def test_two_builds_at_once_both_end_with_complete_identical_outputs(tiny):
    first = spindle(tiny, "build", "all", "-q")
    lock = tiny / ".spindle-cache" / "lock"
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    second = spindle(tiny, "build", "all", "-q")
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert f"waiting for another build of this project (process {first.pid}) to finish" in err2
    assert "Traceback" not in err1 + err2
    complete(tiny)
    together = outputs(tiny)
    # a build on its own, from an empty cache, gives the same bytes
    for path in (tiny / "build").iterdir():
        path.unlink()
    subprocess.run(["rm", "-rf", str(tiny / ".spindle-cache")], check=True)
    alone = spindle(tiny, "build", "all", "-q")
    _, err = alone.communicate(timeout=120)
    assert alone.returncode == 0, err
    assert outputs(tiny) == together


def test_a_build_that_waits_too_long_fails_clearly_and_the_lock_dies_with_its_holder(tiny):
    import fcntl

    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "os.makedirs('.spindle-cache', exist_ok=True)\n"
        "fd = os.open('.spindle-cache/lock', os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, str(os.getpid()).encode())\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n")], cwd=tiny, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = spindle(tiny, "build", "epub", "-q", SPINDLE_LOCK_WAIT="1")
        out, err = waiter.communicate(timeout=60)
        assert waiter.returncode == 1
        lines = err.strip().splitlines()
        assert lines[0] == f"waiting for another build of this project (process {holder.pid}) to finish …"
        assert lines[1:] == [f"error: another build of this project (process {holder.pid}) has been running for "
                             "over 1 s; wait for it to end, or stop it, and build again"], err
        assert not (tiny / "build").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    # the holder died without unlocking: the kernel released its lock
    after = spindle(tiny, "build", "epub", "-q", SPINDLE_LOCK_WAIT="1")
    out, err = after.communicate(timeout=60)
    assert after.returncode == 0 and "waiting" not in err, err
