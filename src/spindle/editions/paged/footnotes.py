"""Check where footnotes landed in a paged layout.

WeasyPrint may move a page's last footnote to the next page when that lets a
later line keep its orphans/widows settings; the reader then finds the note
one page after its call. The build reports every such note."""

from __future__ import annotations

import re

_REF = re.compile(r"^(?P<chapter>.+)-fnref(?P<number>\d+)$")


def pages_of(document) -> dict[str, int]:
    """Element id → 1-based page number where it first appears."""
    where: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            where.setdefault(anchor, number)
    return where


def displaced(document) -> list[tuple[str, int, int]]:
    """(note id, page of the call, page of the note) for notes set off their call's page."""
    return displaced_in(pages_of(document))


def displaced_in(where: dict[str, int]) -> list[tuple[str, int, int]]:
    """The same, from element ids and their pages (a layout made part by part)."""
    out = []
    for anchor, call_page in where.items():
        m = _REF.match(anchor)
        if not m:
            continue
        note_id = f"{m['chapter']}-fn{m['number']}"
        note_page = where.get(note_id)
        if note_page is not None and note_page != call_page:
            out.append((note_id, call_page, note_page))
    return sorted(out, key=lambda item: item[1])


def describe(edition: str, document) -> list[str]:
    return describe_pages(edition, pages_of(document))


def describe_pages(edition: str, where: dict[str, int]) -> list[str]:
    moved = displaced_in(where)
    if not moved:
        return []
    detail = ", ".join(f"{note} (call p. {call}, note p. {page})" for note, call, page in moved)
    return [f"{edition}: {len(moved)} footnote(s) set on the page after their call to keep widows/orphans: {detail}"]
