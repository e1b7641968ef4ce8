"""What became of each title of a series build (``build.series``, ``build.cluster``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spindle.build.result import Result
from spindle.core.errors import SpindleError
from spindle.project.series import Title


@dataclass
class Built:
    """What became of one title."""

    title: Title
    result: Result | None = None
    error: str | None = None  # the one-line error of a failed title
    where: str = "here"  # "here", or the Dask worker's address
    seconds: float = 0.0  # wall time of the title's build (on the worker, for a cluster)


@dataclass
class SeriesResult:
    books: list[Built] = field(default_factory=list)
    catalogue: list[Path] = field(default_factory=list)  # catalogue.xml, index.html and the covers

    @property
    def failed(self) -> list[Built]:
        return [b for b in self.books if b.error is not None]


def one_line(title: Title, exc: SpindleError) -> str:
    """The error as the user reads it, the book's folder in front of a path relative to it."""
    text = str(exc).replace("\n", " ")
    if exc.path is None:
        return f"{title.folder}: {text}"
    if str(exc.path).startswith(title.folder.rstrip("/") + "/"):
        return text
    return f"{title.folder}/{text}"
