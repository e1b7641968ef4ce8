"""Named points of a build where the tests of killed builds stop it: with
``SPINDLE_KILL_AT=NAME`` (or ``NAME:N``, the N-th time it is reached) in the environment,
the process kills itself with SIGKILL there, as a power cut or ``kill -9`` would. Without
that variable a point costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

_count: dict[str, int] = {}


def point(name: str) -> None:
    wanted = os.environ.get("SPINDLE_KILL_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _count[name] = _count.get(name, 0) + 1
    if _count[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
