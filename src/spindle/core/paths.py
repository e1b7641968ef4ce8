"""Paths as the user reads them: relative to the project where they lie inside it."""

from __future__ import annotations

from pathlib import Path


def display(path: Path, root: Path) -> str:
    """*path* relative to *root* (a resolved folder) where it lies inside it, else as given."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
