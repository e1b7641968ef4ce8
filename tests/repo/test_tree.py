"""What the repository tracks: no symlink out of the tree (a helper's `.tools` link to a local
Ace install was committed twice and replaced the real install with a link to itself), nothing
under build/ but its placeholder, no fetched corpus material."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                reason="not a git checkout")


def tracked() -> list[tuple[str, str]]:
    """(mode, path) of every file git tracks."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-s", "-z"], capture_output=True, check=True).stdout
    rows = []
    for entry in out.decode("utf-8").split("\0"):
        if entry:
            meta, path = entry.split("\t", 1)
            rows.append((meta.split()[0], path))
    return rows


def test_no_tracked_symlinks():
    links = [path for mode, path in tracked() if mode == "120000"]
    assert not links, f"symlinks are tracked (a local install or worktree link was committed): {links}"


def test_local_tools_and_outputs_are_not_tracked():
    paths = [path for _, path in tracked()]
    assert not [p for p in paths if p == ".tools" or p.startswith(".tools/")]
    assert [p for p in paths if p.startswith("build/")] == ["build/.gitkeep"]
    assert not [p for p in paths if p.startswith(".spindle-cache/")]
