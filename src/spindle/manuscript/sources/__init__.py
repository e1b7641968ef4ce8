"""Importers: books written for other tools, read as spindle's reading order.

An :class:`Importer` recognises a book tree (an mdBook, a GitBook/HonKit book,
an MkDocs site, a pandoc book, a folder of Markdown files, one Markdown file)
and returns its contents as an :class:`Imported`: metadata, front/body/back
entries with their nesting and parts, and what it could not map. It only
reads. :mod:`spindle.manuscript.sources.project` turns an ``Imported`` into a
spindle project (copies the files, writes book.toml); ``spindle init DIR
--from SOURCE`` is its command.

Importers are tried in the order of :data:`IMPORTERS`; the first whose
``detect`` claims the source reads it."""

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


def importers() -> list[Importer]:
    from spindle.manuscript.sources.folder import Folder, SingleFile
    from spindle.manuscript.sources.gitbook import GitBook
    from spindle.manuscript.sources.mdbook import MdBook
    from spindle.manuscript.sources.mkdocs import MkDocs
    from spindle.manuscript.sources.pandoc import Pandoc

    return [MdBook(), GitBook(), MkDocs(), Pandoc(), Folder(), SingleFile()]


def read(source: Path) -> Imported:
    """The book at *source*, read by the first importer that recognises it."""
    if not source.exists():
        raise ImportError_("no such file or folder; give the folder of an mdBook, GitBook, MkDocs or pandoc "
                           "book, a folder of Markdown files, or one Markdown file", source)
    for importer in importers():
        if importer.detect(source):
            return importer.read(source)
    raise ImportError_("not a book spindle can import: no book.toml with src/SUMMARY.md, SUMMARY.md, "
                       "book.json, mkdocs.yml, metadata.yaml or Markdown files found", source)
