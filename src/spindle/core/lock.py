"""One build of a project at a time: an exclusive lock (``fcntl.flock``) on
``.spindle-cache/lock`` beside book.toml, held for the whole build. A second build
(another ``spindle build``, or a rebuild of ``spindle serve``) waits for it, saying
so, up to :data:`WAIT` seconds, then fails with a clear message. The kernel drops
the lock when its process dies, however it dies: a killed build never leaves the
project locked."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from spindle.core.errors import BuildError

WAIT = float(os.environ.get("SPINDLE_LOCK_WAIT", "600"))  # seconds a build waits for another one


@contextlib.contextmanager
def held(folder: Path, waiting: Callable[[str], None] = lambda message: None,
         wait: float | None = None) -> Iterator[None]:
    """Hold the project's build lock (in *folder*, created if needed) while the block runs."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock (one build at a time is then up to the user)
        yield
        return

    wait = WAIT if wait is None else wait
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only project: no other build can write there either
        waiting(f"cannot create the build lock in {folder} ({exc.strerror}); building without it")
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            waiting(f"waiting for another build of this project{holder} to finish …")
            deadline = time.monotonic() + wait
            while True:
                time.sleep(0.1)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BuildError(f"another build of this project{holder} has been running for over {wait:g} s; "
                                         "wait for it to end, or stop it, and build again") from None
        try:  # who holds it, for the message of a build that waits (a full disk only loses that)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""
