"""The part in view, laid out before the rest of its edition (``spindle serve``).

After a stylesheet is saved, the live preview lays out first the part (the front
matter or a chapter) that holds the page the designer is looking at, numbered as
it was in the edition's previous layout, and shows its pages while the whole
edition is laid out again. The previous layout says where each part began: the
page of its chapter's named destination in the PDF (``anchors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spindle.manuscript.model import Book
from spindle.theme import Theme


AHEAD = 3  # pages laid out past the page in view (the part's pages after them wait for the whole edition)


@dataclass(frozen=True)
class Glimpse:
    """One part laid out on its own with the stylesheets as they are now."""

    edition: str
    part: str  # "front" or a chapter's id
    start: int  # the page it begins on (as in the previous layout)
    pages: int
    pdf: bytes


class Unreached(Exception):
    """The stylesheet changes since the last build cannot reach the part in view (paged/reach.py):
    its pages stay as they are, nothing to lay out first."""

    def __init__(self, part: str):
        super().__init__(part)
        self.part = part


def anchors(pdf: Path) -> dict[str, int]:
    """The named destinations of a laid-out edition and their pages (1-based)."""
    import pikepdf

    found: dict[str, int] = {}
    with pikepdf.open(pdf) as document:
        index = {page.objgen: number for number, page in enumerate(document.pages, 1)}
        names = document.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return found
        for name, target in pikepdf.NameTree(names.Dests).items():
            if isinstance(target, pikepdf.Dictionary):
                target = target.get("/D")
            if isinstance(target, pikepdf.Array) and len(target) and isinstance(target[0], pikepdf.Dictionary):
                page = index.get(target[0].objgen)
                if page is not None:
                    found[str(name)] = page
    return found


def numbers(pdf: Path) -> list[int]:
    """The printed number of each page of a built PDF, from its /PageLabels (a page without a
    numeric label counts as its position)."""
    import pikepdf

    found: list[int] = []
    with pikepdf.open(pdf) as document:
        for position, page in enumerate(document.pages, 1):
            label = page.label
            found.append(int(label) if label.isdigit() else position)
    return found


def laid_as(project, edition: str) -> str:
    """The layout that shows *edition*'s pages: the print edition's for a screen PDF made from it."""
    from spindle.editions import layouts

    return "print" if edition == "pdf" and layouts.to_lay_out(project, ["pdf"]) == ["print"] else edition


def part_at(book: Book, where: dict[str, int], page: int) -> tuple[str, int]:
    """(The part that holds *page*, the page it begins on) in a layout whose named destinations
    are *where*: the last chapter that begins on or before it (at its part title, if it has one),
    else the front matter."""
    found = ("front", 1)
    for chapter in book.chapters:
        begins = [where[name] for name in (f"{chapter.id}-part", chapter.id) if name in where]
        if begins and min(begins) <= page:
            found = (chapter.id, min(begins))
    return found


def styles_key(project, theme: Theme, edition: str, allow_remote: bool) -> str | None:
    """The key of *edition*'s stylesheets as they are now (the cache holds its parts' layouts under it)."""
    from spindle.editions import layouts

    found = layouts.styles_for(project, theme, laid_as(project, edition), allow_remote)
    return None if isinstance(found, str) else found[0].key


def lay_out_part(book: Book, theme: Theme, edition: str, page: int, where: dict[str, int], *,
                 allow_remote: bool, previous: str | None = None,
                 numbers: list[int] | None = None) -> Glimpse | None:
    """The part of *edition* that held *page* in the layout whose named destinations are *where*,
    laid out on its own in this process and numbered as it was, up to a few pages past *page*,
    with the running heads carried in from the parts before it in that layout (*previous*: its
    stylesheets' key, see :func:`styles_key`); None when the edition is not laid out part by part
    (its whole layout is then the first look). A screen PDF made from the print layout is looked at
    through that layout: *numbers* (the printed number of each of its pages, :func:`numbers`) map
    its pages to the print edition's, and the part's pages are finished for the screen. Raises
    Unreached when the stylesheet changes since the last build cannot reach that part."""
    from spindle.core import cache as caching
    from spindle.editions import layouts
    from spindle.editions.paged import reach, scheduler

    if scheduler.supported_engine() is not None:
        return None
    layout = laid_as(book.project, edition)
    if layout != edition:
        if not numbers or not 0 < page <= len(numbers):
            return None
        where = {name: numbers[at - 1] for name, at in where.items() if 0 < at <= len(numbers)}
        page = numbers[page - 1]
    spec = layouts._edition(book, theme, layout, None, allow_remote)
    if isinstance(spec, str):
        return None
    part, start = part_at(book, where, page)
    store = caching.Cache(None if allow_remote else caching.folder_for(book.project.root, None))
    held = next((p for p in spec.parts if p.name == part), None)
    if held is not None and layouts._reach(book.project, layout, spec.styles, store).unreached(held):
        raise Unreached(part)
    try:
        earlier = (store, previous) if previous and store.enabled else None
        filed = reach.recorded(store, layouts.reach_slot(book.project, layout))  # (parts an edit did not reach)
        done = scheduler.lay_out_alone(spec, part, start, where, until=page + AHEAD, earlier=earlier, filed=filed)
    except (scheduler.Unsplittable, KeyError):
        return None
    if layout == edition:
        return Glimpse(edition=edition, part=part, start=start, pages=done.pages, pdf=done.pdf)
    return _on_screen(book, theme, edition, part, start, done, numbers)


def _on_screen(book: Book, theme, edition: str, part: str, start: int, done, numbers: list[int]) -> Glimpse | None:
    """A part laid out in the print geometry, finished as the screen PDF's pages: the printed pages
    that the screen PDF leaves out (blank ones) are left out here too, the rest take their places."""
    from spindle.editions import layouts
    from spindle.editions.print import screen

    shown = set(numbers)
    printed = range(start, start + done.pages)
    kept = [n for n in printed if n in shown]
    if not kept:
        return None
    made = screen.derive(done.pdf, [n not in shown for n in printed], layouts.identifier(book, edition), None,
                         layouts._link_colour(theme))
    return Glimpse(edition=edition, part=part, start=numbers.index(kept[0]) + 1, pages=made.pages, pdf=made.pdf)
