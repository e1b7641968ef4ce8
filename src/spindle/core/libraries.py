"""Finding the C libraries WeasyPrint loads without ctypes' subprocesses.

WeasyPrint opens Pango, HarfBuzz, fontconfig and GObject through cffi, trying each library under
several names (Linux, macOS and Windows spellings). For a bare name cffi asks
``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` for every name and, for a name
ldconfig does not know, ``gcc`` and ``ld`` as well: 22 names, about 40 subprocesses, 0.3 s of wall
time and 0.14 s of CPU at each start of a build that lays out pages (measured 2026-12-01,
bench/results.md). :func:`quicken` answers from one reading of the ldconfig cache instead, and
asks ctypes only about a name a linker could find besides it (a ``lib<name>.*`` file in a library
folder): the same answers, without the subprocesses for names no library here has."""

from __future__ import annotations

import functools
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

_LDCONFIG = "/sbin/ldconfig"
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}  # as ctypes.util reads ldconfig's lines
_FOLDERS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64")


def tune_allocator() -> bool:
    """glibc's malloc without fastbins (``M_MXFAST`` 0) in this process and the workers forked from
    it; True when set (Linux with glibc). Freeing a merged book (qpdf's many small objects) fills the
    fastbins, and glibc consolidates them all at the next large free: 50 ms of CPU spent freeing one
    cached part's bytes at the end of the bench book's rebuild after a one-chapter edit, on its critical
    path. Without fastbins that cost is gone; a cold build took the same CPU and peak memory
    (measured 2026-12-01, bench/results.md)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").mallopt(1, 0) == 1  # M_MXFAST = 1
    except (OSError, AttributeError):
        return False


def quicken() -> None:
    """Install the quick lookup for this process (and the workers forked from it); on Linux only."""
    import ctypes.util

    if not sys.platform.startswith("linux") or not os.path.exists(_LDCONFIG):
        return
    if getattr(ctypes.util.find_library, "spindle_quick", False):
        return
    original = ctypes.util.find_library

    @functools.lru_cache(maxsize=None)
    def find_library(name: str):
        found = _from_cache(name)
        if found is not None:
            return found
        if _on_disk(name):  # a linker might find it where ldconfig does not: ask ctypes, as before
            return original(name)
        return None

    find_library.spindle_quick = True  # type: ignore[attr-defined]
    ctypes.util.find_library = find_library


@functools.lru_cache(maxsize=1)
def _ldconfig() -> bytes:
    try:
        return subprocess.run([_LDCONFIG, "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout
    except OSError:
        return b""


def _from_cache(name: str) -> str | None:
    """ctypes.util's first answer (its _findSoname_ldconfig), from the one reading of ``ldconfig -p``."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    regex = os.fsencode(r"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name), _ABI.get(machine, "libc6")))
    found = re.search(regex, _ldconfig())
    return os.fsdecode(found.group(1)) if found else None


@functools.lru_cache(maxsize=1)
def _folders() -> tuple[Path, ...]:
    """Where gcc and ld look for a library: LD_LIBRARY_PATH, the folders of every library ldconfig
    knows, and the usual ones."""
    listed = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    listed += sorted({os.fsdecode(os.path.dirname(m)) for m in re.findall(rb"=> (\S+)", _ldconfig())})
    listed += [d for d in _FOLDERS if os.path.isdir(d)]
    return tuple(Path(d) for d in dict.fromkeys(listed))


def _on_disk(name: str) -> bool:
    prefix = f"lib{name}."
    return any(entry.startswith(prefix) for folder in _folders() for entry in _listing(folder))


@functools.lru_cache(maxsize=None)
def _listing(folder: Path) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(folder))
    except OSError:
        return ()
