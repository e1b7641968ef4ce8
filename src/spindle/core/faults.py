"""Named points of a build where the tests of killed builds stop it: with
``SPINDLE_KILL_AT=NAME`` (or ``NAME:N``, the N-th time it is reached) in the environment,
the process kills itself with SIGKILL there, as a power cut or ``kill -9`` would. With
``SPINDLE_RAISE_AT=NAME`` (or ``NAME:N``) it raises :class:`Injected` there instead, as a bug
in spindle would (the tests of internal errors: core/crash.py). Without those variables a
point costs two dictionary lookups."""

from __future__ import annotations

import os
import signal

_count: dict[str, int] = {}


class Injected(RuntimeError):
    """The planted bug of SPINDLE_RAISE_AT."""


def _reached(wanted: str, name: str) -> bool:
    target, _, nth = wanted.partition(":")
    if target != name:
        return False
    _count[name] = _count.get(name, 0) + 1
    return _count[name] == int(nth or 1)


def point(name: str) -> None:
    wanted = os.environ.get("SPINDLE_KILL_AT")
    if wanted and _reached(wanted, name):
        os.kill(os.getpid(), signal.SIGKILL)
    wanted = os.environ.get("SPINDLE_RAISE_AT")
    if wanted and _reached(wanted, name):
        raise Injected(f"SPINDLE_RAISE_AT={wanted}: a bug planted at {name!r}")
