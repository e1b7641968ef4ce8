"""A bug in spindle (not a mistake in the book) reported as the house reports any error: one line,
a non-zero exit, no traceback on the screen. The traceback goes to a file, ``crash-NAME.txt`` in
the project's ``.spindle-cache/`` (where the build's lock already lives; a build never writes into
manuscript/, templates/ or styles/), and the line names that file and asks for a report with it.
The file's name is the same every time the same step fails: a second crash there replaces it."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from spindle.core.errors import InternalError

FOLDER = ".spindle-cache"  # (core.cache.FOLDER: the folder beside book.toml)


def file_name(name: str) -> str:
    """``crash-NAME.txt``, NAME kept to letters, digits, '.', '_' and '-' (a part's name is a chapter id)."""
    return f"crash-{re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('.-') or 'spindle'}.txt"


def record(details: str, folder: Path | None, name: str) -> Path | None:
    """Write *details* (a traceback) to *folder*/crash-NAME.txt, or, when that folder cannot be
    written (or is None), to the system's temporary folder as spindle-crash-NAME.txt; the path
    written, or None when neither could be."""
    text = details if details.endswith("\n") else details + "\n"
    places = ([folder / file_name(name)] if folder is not None else []) + \
        [Path(tempfile.gettempdir()) / f"spindle-{file_name(name)}"]
    for path in places:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            return path
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
    return None


def shown(path: Path) -> str:
    """*path* as the user reads it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def internal(doing: str, details: str, folder: Path | None, name: str, outputs: bool = True) -> InternalError:
    """The error to raise for a bug met while *doing* (``laying out 02-beta``): its traceback
    *details* written to *folder*/crash-NAME.txt first. *outputs*: the message says that the
    previous outputs are as they were (a build's)."""
    path = record(details, folder, name)
    return InternalError(doing, shown(path) if path is not None else None, outputs)
