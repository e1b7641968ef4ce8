"""Cache integrity (issue 15, point 3): every entry in .spindle-cache/ carries a SHA-256 over its
kind, key and payload; truncated, corrupted or foreign files are detected, removed and made
again, never used: the rebuild gives the same bytes as a build from an empty cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import tinybook
from spindle.build import orchestrate as builder
from spindle.core import cache as caching
from spindle.project.config import load

EPOCH = 1539216000


def entries(root: Path) -> list[Path]:
    folder = root / caching.FOLDER
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in ("size", caching.LOCK))


def build(root: Path) -> bytes:
    builder.build(load(root / "book.toml"), ["pdf", "epub"], root / "build", epoch=EPOCH, jobs=1)
    return (root / "build" / "tiny-book.pdf").read_bytes() + (root / "build" / "tiny-book.epub").read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The pristine built book, and the folder each test builds in: always the same path, since
    the PDF's bytes depend on where the project lies (its /ID)."""
    base = tmp_path_factory.mktemp("cache-integrity")
    work = base / "work"
    tinybook.make(work)
    clean = build(work)
    assert len(entries(work)) >= 4, "the build should have cached parts, tables and its manifest"
    shutil.copytree(work, base / "pristine")
    return base / "pristine", clean, work


def fresh(reference) -> Path:
    pristine, _, work = reference
    shutil.rmtree(work)
    shutil.copytree(pristine, work)
    shutil.rmtree(work / "build")
    return work


def _truncate(path: Path, data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip(path: Path, data: bytes) -> bytes:
    middle = caching.HEADER + (len(data) - caching.HEADER) // 2
    return data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:]


def _empty(path: Path, data: bytes) -> bytes:
    return b""


def _garbage(path: Path, data: bytes) -> bytes:
    return os.urandom(len(data))


def _unsealed(path: Path, data: bytes) -> bytes:
    """The bare payload, as an older spindle (or a hand-made file) would leave it."""
    return data[caching.HEADER:]


def _forged_header(path: Path, data: bytes) -> bytes:
    """A well-formed header with a checksum that does not match the payload."""
    return caching.MAGIC + b"0" * 64 + b"\n" + data[caching.HEADER:]


MODES = {"truncated": _truncate, "one-bit-flipped": _flip, "empty": _empty, "garbage": _garbage,
         "unsealed": _unsealed, "forged-header": _forged_header}


@pytest.mark.parametrize("mode", [*MODES, "foreign"])
def test_damaged_cache_entries_are_rebuilt_never_used(reference, tmp_path, mode):
    pristine, clean, _ = reference
    root = fresh(reference)
    files = entries(root)
    if mode == "foreign":  # every entry replaced by another entry's (valid) file: a copy from elsewhere
        contents = [p.read_bytes() for p in files]
        for path, data in zip(files, contents[1:] + contents[:1]):
            path.write_bytes(data)
    else:
        for path in files:
            path.write_bytes(MODES[mode](path, path.read_bytes()))
    store = caching.Cache(root / caching.FOLDER)
    assert all(store.read(p.parent.parent.name, p.stem, p.suffix) is None for p in files), "damage not detected"
    assert not any(p.exists() for p in files), "a damaged entry is removed when found"
    # and damaged again, then built: same bytes as from an empty cache, every entry sound afterwards
    shutil.copytree(pristine / caching.FOLDER, root / caching.FOLDER, dirs_exist_ok=True)
    for path in entries(root):
        path.write_bytes(MODES.get(mode, _garbage)(path, path.read_bytes()))
    assert build(root) == clean
    for path in entries(root):
        assert caching._unseal(path.read_bytes(), path.parent.parent.name, path.name) is not None, path


def test_a_sound_cache_is_used(reference, tmp_path):
    pristine, clean, _ = reference
    root = fresh(reference)
    before = {p: p.read_bytes() for p in entries(root) if "builds" not in p.parts}  # the manifest is rewritten
    assert build(root) == clean
    after = {p: p.read_bytes() for p in entries(root)}
    assert {p: after.get(p) for p in before} == before, "sound entries were read, not made again"
