"""Importers: books written for other tools, read as spindle's reading order.

An :class:`Importer` recognises a book tree (an mdBook, a GitBook/HonKit book,
an MkDocs site, a pandoc book, a folder of Markdown files, one Markdown file)
and returns its contents as an :class:`Imported`: metadata, front/body/back
entries with their nesting and parts, and what it could not map. It only
reads. :mod:`spindle.manuscript.sources.project` turns an ``Imported`` into a
spindle project (copies the files, writes book.toml); ``spindle init DIR
--from SOURCE`` is its command.

Importers are tried in the order :func:`importers` lists them; the first whose
``detect`` claims the source reads it."""

from __future__ import annotations

from pathlib import Path

from spindle.manuscript.sources.model import Imported, Importer, ImportError_, Node, PartNode

__all__ = ["Imported", "ImportError_", "Importer", "Node", "PartNode", "importers", "read"]


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
