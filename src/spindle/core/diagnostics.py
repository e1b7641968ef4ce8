"""Diagnostics: every problem spindle finds in a book, with one severity table.

A :class:`Diagnostic` is data (level, code, message, path, line, page), so it
crosses process boundaries and is reported the same way by ``spindle check``
and ``spindle build``. Its level never comes from the place that found it: it
comes from :data:`CODES`, the one table of codes and severities, so check and
build cannot disagree on whether a finding is an error. ``--strict`` makes
warnings fatal in both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    level: str  # "error" or "warning"
    summary: str
    stage: str = "manuscript"  # "manuscript": spindle check finds it too; "layout", "print": only a build


CODES: dict[str, Code] = {c.code: c for c in (
    # manuscript files and front matter
    Code("C001", "error", "a manuscript file named in book.toml cannot be read or parsed"),
    Code("M001", "error", "unknown front-matter key"),
    Code("M002", "error", "invalid front matter (missing, bad YAML, a wrong value)"),
    # links
    Code("L001", "warning", "link to a file that is not part of this book (it becomes plain text)"),
    Code("L002", "warning", "link to an anchor (#id) that does not exist (it points at the chapter's start)"),
    Code("L003", "warning", "link with an empty target (it becomes plain text)"),
    Code("L004", "warning", "web link that is not a valid URL (percent-encoded, or plain text when it cannot be)"),
    # images
    Code("I001", "error", "image not found, outside the project, or of a kind that cannot be used"),
    Code("I002", "warning", "image without alt text"),
    Code("I003", "warning", "remote image not fetched (build without --allow-remote)"),
    # footnotes
    Code("N001", "error", "footnote reference without a definition"),
    Code("N002", "warning", "footnote definition that nothing refers to"),
    # interviews and transcripts
    Code("T001", "error", "transcript speaker missing from the speaker map"),
    Code("T002", "warning", "speaker in the speaker map or front matter who never speaks"),
    Code("T003", "warning", "interview paragraph opening with an unknown speaker label"),
    Code("T004", "warning", "transcript turns that name no speaker, with no role given for them"),
    Code("T005", "warning", "a transcript reader's remark on its input"),
    # headings
    Code("H001", "warning", "heading that skips a level"),
    Code("H002", "warning", "'#' heading inside a chapter (the title comes from the front matter)"),
    Code("H003", "warning", "a chapter with no heading to take its title from (it is titled after its file name)"),
    # dialect directives (mdBook, GitBook/HonKit, MkDocs, GitHub)
    Code("D001", "warning", "a directive spindle does not know ({{#…}}, {% … %}); it is kept as text"),
    Code("D002", "error", "an included file is missing, unreadable or outside the project"),
    Code("D003", "warning", "an include's anchor or line range selects nothing"),
    Code("D004", "warning", "a directive written wrongly (unclosed block, bad attribute)"),
    # Word chapters (the 'line' is the paragraph number)
    Code("W001", "warning", "Word chapter: tracked changes, accepted and counted"),
    Code("W002", "warning", "Word chapter: a comment, dropped (with its author, text and paragraph)"),
    Code("W003", "warning", "Word chapter: a style spindle does not know, and what it became"),
    Code("W004", "warning", "Word chapter: something else dropped or changed (fields, images, language, title)"),
    # raw HTML
    Code("X001", "warning", "raw HTML that had to be changed to make valid XHTML"),
    # the project's own stylesheets (styles/)
    Code("S001", "warning", "a stylesheet rule the layout engine cannot parse (it is skipped), or a '{' never closed"),
    # laying out the paged editions (a build only: spindle check lays nothing out)
    Code("P001", "warning", "a character no font has (it prints as an empty box), at its first use", "layout"),
    Code("P002", "warning", "an image the layout engine could not read, at the line that uses it", "layout"),
    Code("P003", "warning", "another message of the layout engine (a style it cannot use)", "layout"),
    Code("P004", "warning", "text, code, an image or a table running past the text block (page and line)", "layout"),
    # the print edition's finishing (a build only)
    Code("R001", "warning", "the print cover: a warning of its layout, or a template that made more than one page",
         "print"),
    Code("R002", "warning", "a preflight warning on the print PDF, its cover or the imposed sheets (with --strict)",
         "print"),
)}


@dataclass(frozen=True)
class Diagnostic:
    level: str
    code: str
    message: str
    path: str | None = None
    line: int | None = None
    page: int | None = None

    def where(self) -> str:
        if self.path is None:
            return ""
        where = f"{self.path}:"
        if self.line is not None:
            where += f"{self.line}:"
        if self.page is not None:
            where += f" page {self.page}:"
        return where

    def __str__(self) -> str:
        """``path:line: message``: how a build prints it (after ``warning:``)."""
        where = self.where()
        return f"{where} {self.message}" if where else self.message

    def text(self) -> str:
        """``path:line: CODE message``: how ``spindle check`` prints it."""
        where = self.where()
        return f"{where} {self.code} {self.message}" if where else f"{self.code} {self.message}"

    def key(self) -> tuple[str, str | None, int | None]:
        return self.code, self.path, self.line

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "code": self.code, "level": self.level,
                "message": self.message, **({"page": self.page} if self.page is not None else {})}


def diagnostic(code: str, message: str, path: str | None = None, line: int | None = None,
               page: int | None = None) -> Diagnostic:
    """A diagnostic of *code*, at the level the table gives it."""
    return Diagnostic(CODES[code].level, code, message, path, line, page)


def errors(found) -> list[Diagnostic]:
    return [d for d in found if d.level == "error"]


def unique(found) -> list[Diagnostic]:
    """Each finding once, in the order first met (one place can be reached twice, e.g. a note's text)."""
    seen: dict[tuple, Diagnostic] = {}
    for d in found:
        seen.setdefault((d.code, d.path, d.line, d.message), d)
    return list(seen.values())
