"""What an importer returns: the book's metadata and reading order (:class:`Imported`), as
:class:`Node` entries (a file, or a title with entries under it) and :class:`PartNode` parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from spindle.core.errors import SpindleError


class ImportError_(SpindleError):
    """The source cannot be imported (exit code 2, as a bad configuration)."""

    exit_code = 2


@dataclass
class Node:
    """One reading-order entry: a file, or a title with no page of its own (an MkDocs nav
    section, a SUMMARY entry without a link), with the entries nested under it."""

    path: Path | None  # absolute path of the source file; None: a title-only entry
    title: str = ""  # the title the source's table of contents gives it
    children: list["Node"] = field(default_factory=list)
    text: str | None = None  # content written instead of copying the file (a split file, a title page)
    name: str = ""  # file name for written content


@dataclass
class PartNode:
    title: str
    chapters: list[Node] = field(default_factory=list)


@dataclass
class Imported:
    dialect: str  # "mdBook", "GitBook", ...
    root: Path  # the folder the book's files are relative to
    title: str = ""
    authors: list[str] = field(default_factory=list)
    language: str = ""
    description: str = ""
    rights: str = ""
    site_url: str = ""  # where the book is published (https://…/), when the source says
    site_folder: Path | None = None  # the folder the site's pages are made from (mdBook's src, MkDocs' docs_dir)
    site_pages: str = "html"  # "folders": x.md is published as x/ (MkDocs' use_directory_urls)
    front: list[Node] = field(default_factory=list)
    chapters: list[Node | PartNode] = field(default_factory=list)
    back: list[Node] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # what has no spindle equivalent, one line each
    notes: list[str] = field(default_factory=list)  # what was done that the author should know
    transform: object = None  # optional callable(text, path) -> text applied to copied chapters
    shared_anchors: bool = False  # '#id' links reach any chapter (pandoc joins the files into one document)


class Importer(Protocol):
    name: ClassVar[str]

    def detect(self, source: Path) -> bool: ...

    def read(self, source: Path) -> Imported: ...
