"""Check where footnotes landed in a paged layout, and keep them on their call's page.

WeasyPrint may move a page's last footnote to the next page when that lets a
later line keep its orphans/widows settings; the reader then finds the note
one page after its call. The layouts lay such parts out again with that
deferral switched off (:func:`notes_kept`); the build reports any note still
displaced."""

from __future__ import annotations

import contextlib
import functools
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


# --- keeping notes on their call's page -------------------------------------------------------------------
#
# The theme sets `footnote-policy: line` (paged.css): a note that does not fit below its call's line
# takes that line to the next page with it. What remains is WeasyPrint's other deferral: when a line
# does not fit at the page's foot and breaking before it would go against `widows`/`orphans` (or it
# is the first line of its block there), WeasyPrint 70 moves the page's last notes to the next page
# to make room for it (layout/block.py, ``_linebox_layout``, the ``report`` branch, which ignores
# footnote-policy). A book designer would rather break the paragraph elsewhere and keep the note.
# :func:`notes_kept` lays out with that branch switched off, and the layouts (worker.lay_out,
# engine.layout) lay out under it: where the branch would not move a note it does nothing, so only
# the pages where WeasyPrint would displace a note change, and a part is laid out once. Only a part
# with a note still displaced is laid out WeasyPrint's way too (the fewer displaced wins); a note
# still displaced is reported as before.

_REPORT = "report = not context.in_column and can_break_now and not could_break_before"


@functools.cache
def _keeping_linebox_layout():
    """WeasyPrint's ``_linebox_layout`` without the branch that defers notes, or None when this
    WeasyPrint's source differs (then nothing changes and displaced notes are reported)."""
    import inspect

    import weasyprint.layout.block as block

    try:
        source = inspect.getsource(block._linebox_layout)
    except (OSError, TypeError):
        return None
    if source.count(_REPORT) != 1:
        return None
    namespace = dict(vars(block))
    exec(compile(source.replace(_REPORT, "report = False"), block.__file__, "exec"), namespace)
    return namespace["_linebox_layout"]


@contextlib.contextmanager
def notes_kept():
    """Within it, WeasyPrint breaks a paragraph rather than move a note off its call's page; yields
    whether it could (False: this WeasyPrint's layout code is not the one known)."""
    import weasyprint.layout.block as block

    keeping = _keeping_linebox_layout()
    if keeping is None:
        yield False
        return
    saved = block._linebox_layout
    block._linebox_layout = keeping
    try:
        yield True
    finally:
        block._linebox_layout = saved
