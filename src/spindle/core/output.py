"""Write outputs atomically: to a temporary file beside the target, renamed
into place only when complete, so a failed build leaves earlier outputs."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from spindle.core import faults


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces *target* atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: Path, data: bytes, scratch: Path | None = None) -> None:
    """Write *data* to *target* atomically (see :func:`write_all`)."""
    write_all([(target, data)], scratch)


def write_all(files: list[tuple[Path, bytes]], scratch: Path | None = None) -> None:
    """Write every file, all or nothing: each goes to a temporary file first (in *scratch*, a
    folder on the same file system such as .spindle-cache/tmp/, so a build killed while
    writing leaves nothing in the output folder; else beside its target), and only when all
    are complete are they renamed into place. A full disk or any other OSError while writing
    leaves every target as it was (and no temporary file)."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files:
            staged.append((_stage(target, data, scratch), target))
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        raise
    for n, (tmp, target) in enumerate(staged):
        faults.point("rename")
        try:
            os.replace(tmp, target)
        except BaseException:
            for left, _ in staged[n:]:
                _unlink(left)
            raise
        faults.point("written")


def _stage(target: Path, data: bytes, scratch: Path | None) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.parent
    if scratch is not None:
        try:
            scratch.mkdir(parents=True, exist_ok=True)
            if os.stat(scratch).st_dev == os.stat(target.parent).st_dev:
                folder = scratch
        except OSError:
            pass
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def remove_stale(folder: Path) -> None:
    """Temporary files (``.NAME.XXXX.part``) of a build that was killed while writing;
    called while the project's build lock is held."""
    try:
        stale = list(folder.glob(".*.part"))
    except OSError:
        return
    for path in stale:
        try:
            path.unlink()
        except OSError:
            pass


@contextlib.contextmanager
def source_date_epoch(epoch: int | None) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for libraries that read it (fontTools stamps
    subset fonts with the current time otherwise), restoring it afterwards."""
    if epoch is None:
        yield
        return
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
