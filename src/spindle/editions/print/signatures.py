"""Signature padding: a printed book's page count must be a multiple of its
signature (4 for saddle stitching, 8, 16 or 32 for sewn books).

The blank pages are added in the layout itself, not spliced into the PDF
afterwards, so folios, the table of contents, links and bookmarks stay right:
the print template places them before the closing pages (the colophon, or
else the first back-matter entry) and, when the count is odd, one blank
verso at the very end. The closing pages open on a right-hand page, so an
even number of blanks before them shifts them by exactly that many pages;
an odd remainder can only go at the end."""

from __future__ import annotations

from dataclasses import dataclass

from spindle.manuscript.model import Book


@dataclass(frozen=True)
class Padding:
    pages: int  # the page count before padding
    signature: int
    before: int = 0  # blank pages before the closing pages
    at_end: int = 0  # blank pages after the last page
    anchor: str | None = None  # id of the chapter the blanks precede
    anchor_title: str = ""

    @property
    def added(self) -> int:
        return self.before + self.at_end

    @property
    def total(self) -> int:
        return self.pages + self.added

    def describe(self) -> str:
        if not self.added:
            return f"{self.pages} pages, a multiple of the signature ({self.signature}); no blank pages added"
        where = []
        if self.before:
            where.append(f"{self.before} before {self.anchor_title or 'the closing pages'}")
        if self.at_end:
            where.append(f"{self.at_end} at the end")
        return (f"added {self.added} blank page{'s' if self.added != 1 else ''} ({', '.join(where)}) "
                f"to make {self.total} pages, a multiple of the signature ({self.signature})")


def closing_chapter(book: Book):
    """The chapter the padding goes before: the colophon, else the first back-matter entry."""
    back = [c for c in book.chapters if c.section == "back"]
    colophons = [c for c in back if c.kind == "colophon"]
    return colophons[0] if colophons else (back[0] if back else None)


def plan(pages: int, signature: int, book: Book | None = None, previous: Padding | None = None) -> Padding:
    """The blank pages to add to a layout of *pages* pages (which already holds
    *previous*'s blanks, if any) so that the count becomes a multiple of *signature*."""
    before = previous.before if previous else 0
    at_end = previous.at_end if previous else 0
    original = pages - before - at_end
    missing = (-pages) % signature
    anchor = closing_chapter(book) if book is not None else None
    if anchor is None:
        at_end += missing
    else:
        at_end += missing % 2
        before += missing - missing % 2
        if at_end >= 2:  # two trailing blanks are a leaf: move them before the closing pages
            before += at_end - at_end % 2
            at_end %= 2
    return Padding(pages=original, signature=signature, before=before, at_end=at_end,
                   anchor=anchor.id if anchor else None, anchor_title=anchor.title if anchor else "")
