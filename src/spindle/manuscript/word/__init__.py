"""Word manuscripts: a .docx chapter read into spindle Markdown.

    read_docx(source, display, ...) -> Converted(markdown, metadata, report, images)

The Markdown is what `spindle import docx` writes and what the build parses
for a .docx named in book.toml: front matter (title, subtitle, lang), headings,
paragraphs, emphasis, small caps, super/subscript, nested lists, quotes,
footnotes and endnotes, tables (HTML where cells are merged), figures with
alt text and caption, links and bookmarks, other languages per paragraph.

mammoth converts the body (styles through a style map, lists, notes, tables
with merged cells, images with their descriptions, hyperlinks, bookmarks);
wordml.py reads what mammoth does not (tracked changes, comments, fields,
w:lang) straight from the WordprocessingML before mammoth sees it. What does
not come across is in the Report. Importing this package is cheap: mammoth
loads only when a document is read."""

from __future__ import annotations

from typing import Mapping

from spindle.manuscript.word.report import Converted, Item, Report

__all__ = ["Converted", "Item", "Report", "read_docx", "split_docx", "is_teams_transcript"]


def read_docx(source, display: str = "", *, style_map: Mapping[str, str] | None = None, media: str = "media",
              lang: str | None = None, title: str = "", subtitle: str = "", languages: tuple[str, ...] = ("en", "nl"),
              default_lang: str = "en") -> Converted:
    """Read a .docx (a path or its bytes) into a spindle chapter.

    *style_map*: Word style name -> target (see stylemap.TARGETS); *media*: the folder images are referred
    to by, relative to the Markdown; *lang*, *title*, *subtitle*: given values win over the document's;
    *languages*: the chapter languages spindle supports (another main language falls back to *default_lang*)."""
    from spindle.manuscript.word.convert import convert_chapter

    data, display = _bytes(source, display)
    return convert_chapter(data, display, style_map or {}, media, lang, title, subtitle, languages, default_lang)


def split_docx(source, display: str = "", *, style_map: Mapping[str, str] | None = None,
               languages: tuple[str, ...] = ("en", "nl"), default_lang: str = "en"):
    """A whole Word book split into chapters at Heading 1 (see convert.split_book)."""
    from spindle.manuscript.word.convert import split_book

    data, display = _bytes(source, display)
    return split_book(data, display, style_map or {}, languages, default_lang)


def is_teams_transcript(data: bytes) -> bool:
    from spindle.manuscript.word.convert import is_teams_transcript as check

    return check(data)


def _bytes(source, display: str) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), display or "document.docx"
    from pathlib import Path

    from spindle.core.errors import ManuscriptError

    path = Path(source)
    shown = display or str(source)
    try:
        return path.read_bytes(), shown
    except FileNotFoundError:
        raise ManuscriptError("no such file; check the path", shown) from None
    except IsADirectoryError:
        raise ManuscriptError("a folder, not a Word .docx file", shown) from None
    except OSError as exc:
        raise ManuscriptError(f"cannot read: {exc.strerror}", shown) from None
