"""Find what runs past the text block once a paged edition is laid out.

The theme keeps code, images and tables inside the text block (base.css, paged.css); this is the
check that it did, on WeasyPrint's own boxes, so it costs a walk over boxes already made (in the
worker that laid the part out) and knows what each box is. Every box that reaches more than
TOLERANCE past the page's content area (its text block) is a :class:`Spill`; the build reports
each once, with the page and the manuscript line where it can be found (:func:`locate`).

Margin boxes (folios, running heads) and full-bleed pages are meant to lie outside and are
skipped; so are whitespace runs (a space at the end of a line is never drawn)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spindle.core.diagnostics import Diagnostic

TOLERANCE = 2.0  # CSS px (0.5 mm): WeasyPrint's rounding and a glyph's side bearing
UNDERFULL = 1 / 3  # a page less full than this (not a chapter's last) is reported
QUIET_PAGES = ("front", "part", "full-bleed", "signature-blank")  # named pages that are meant to be short
PX_MM = 25.4 / 96
FULL_BLEED = "full-bleed"


@dataclass(frozen=True)
class Spill:
    page: int  # index of the page in the layout (0-based) until numbered, then the page number
    kind: str  # "text", "code", "image", "table"; "underfull" (over: how full, 0–1)
    what: str  # the text (its first characters) or the image's src
    chapter: str  # id of the chapter section it belongs to ("" outside chapters)
    over: float  # how far past the text block, in mm

    def at(self, page: int) -> "Spill":
        return Spill(page, self.kind, self.what, self.chapter, self.over)


def find(pages) -> list[Spill]:
    """Spills on WeasyPrint page boxes (index 0 is the first page given)."""
    from weasyprint.formatting_structure import boxes as kinds

    found: list[Spill] = []
    for index, page in enumerate(pages):
        if FULL_BLEED in (getattr(page.page_type, "name", "") or ""):
            continue
        left, top = page.content_box_x(), page.content_box_y()
        right, bottom = left + page.width, top + page.height
        seen: set[tuple[str, str]] = set()

        def visit(box, chapter: str, code: bool) -> None:
            if isinstance(box, kinds.MarginBox):
                return
            element = getattr(box, "element", None)
            tag = getattr(box, "element_tag", "") or ""
            classes = (element.get("class") or "") if element is not None and hasattr(element, "get") else ""
            if FULL_BLEED in classes.split():
                return
            if tag == "section" and "chapter" in classes.split() and element is not None:
                chapter = element.get("id") or chapter
            code = code or tag == "pre"
            kind = what = None
            if isinstance(box, kinds.TextBox):
                text = box.text.replace("\u200b", "").strip()  # (theme.render's breaks between code tokens)
                if text:
                    kind, what = ("code" if code else "text"), text
            elif isinstance(box, kinds.ReplacedBox):
                kind, what = "image", (element.get("src") if element is not None else "") or "an image"
            elif isinstance(box, kinds.TableBox):
                kind, what = "table", _text_of(box)[:60]
            if kind is not None:
                x0, y0 = box.position_x, box.position_y
                width = box.margin_width() if kind != "text" and kind != "code" else box.width
                height = box.margin_height() if kind != "text" and kind != "code" else box.height
                if kind in ("image", "table"):  # margins may lie outside; the border box may not
                    x0 += box.margin_left or 0
                    y0 += box.margin_top or 0
                    width = box.border_width()
                    height = box.border_height()
                over = max(left - x0, (x0 + width) - right, 0)
                if kind in ("image", "table"):
                    over = max(over, top - y0, (y0 + height) - bottom)
                spilled = over > TOLERANCE
                if spilled and (kind, what) not in seen:
                    seen.add((kind, what))
                    found.append(Spill(index, kind, what[:80], chapter, round(over * PX_MM, 1)))
                if kind != "table" or spilled:  # a spilling table is reported once, not cell by cell
                    return
            for child in getattr(box, "children", None) or ():
                visit(child, chapter, code)

        visit(page, "", False)
    return found


def underfull(pages) -> list[Spill]:
    """Pages (all but the last given: a chapter's last page may be short) filled less than a third of
    their content height, counting footnotes: what a kept block or a large figure moving on leaves."""
    from weasyprint.formatting_structure import boxes as kinds

    found: list[Spill] = []
    for index, page in enumerate(pages[:-1]):
        name = getattr(page.page_type, "name", "") or ""
        if page.page_type.blank or name in QUIET_PAGES:
            continue
        top, height = page.content_box_y(), page.height
        lowest, chapter, used = top, "", 0.0

        def visit(box, current: str) -> None:
            nonlocal lowest, chapter
            if isinstance(box, kinds.MarginBox):
                return
            element = getattr(box, "element", None)
            classes = (element.get("class") or "").split() if element is not None and hasattr(element, "get") else []
            if getattr(box, "element_tag", "") == "section" and "chapter" in classes:
                current = element.get("id") or current
                chapter = chapter or current
            if isinstance(box, (kinds.LineBox, kinds.ReplacedBox)):
                lowest = max(lowest, box.position_y + box.margin_height())
                return
            for child in getattr(box, "children", None) or ():
                visit(child, current)

        visit(page, "")
        footnotes = next((c for c in page.children if isinstance(c, kinds.FootnoteAreaBox)), None)
        if footnotes is not None and footnotes.children:
            used = footnotes.margin_height()
        fill = (lowest - top + used) / height if height else 1.0
        if fill < UNDERFULL and lowest > top:
            found.append(Spill(index, "underfull", "", chapter, round(fill, 2)))
    return found


def _text_of(box) -> str:
    if hasattr(box, "text"):
        return box.text.replace("\u200b", "")
    return " ".join(t for t in (_text_of(c) for c in getattr(box, "children", None) or ()) if t).strip()


_SPACE = re.compile(r"\s+")


def locate(spill: Spill, sources: dict[str, Path]) -> int | None:
    """The line of the chapter's manuscript file where *spill* is written, when it can be found."""
    path = sources.get(spill.chapter)
    if path is None or not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    needle = spill.what if spill.kind == "image" else _SPACE.sub(" ", spill.what)[:40]
    if not needle:
        return None
    for number, line in enumerate(lines, 1):
        if needle in _SPACE.sub(" ", line):
            return number
    shorter = needle[:16]
    for number, line in enumerate(lines, 1):
        if len(shorter) >= 6 and shorter in line:
            return number
    return None


def for_book(book, edition: str, spills: list[Spill]) -> list[Diagnostic]:
    """:func:`describe` with the book's chapters as the manuscript files: one finding (P004) per spill,
    printed as :func:`describe` words it, with its page."""
    from spindle.core.diagnostics import diagnostic

    sources = {chapter.id: chapter.source for chapter in book.chapters}
    spilled = [s for s in spills if s.kind != "underfull"]
    return [diagnostic("P004", text, page=spill.page)
            for spill, text in zip(spilled, describe(edition, spilled, sources, book.project.display))]


def notes_for_book(book, edition: str, spills: list[Spill]) -> list[str]:
    """The pages less than a third full (notes: the layout is legal, the page looks unfinished)."""
    sources = {chapter.id: chapter.source for chapter in book.chapters}
    short = [s for s in spills if s.kind == "underfull"]
    if not short:
        return []
    detail = ", ".join(f"{s.page} ({round(s.over * 100)}%"
                       + (f", {book.project.display(sources[s.chapter])}" if s.chapter in sources else "") + ")"
                       for s in short)
    return [f"{edition}: {len(short)} page(s) less than a third full before a chapter's last page: {detail}"]


def describe(edition: str, spills: list[Spill], sources: dict[str, Path], display) -> list[str]:
    """One warning per spill: ``pdf: page 12: code runs 14.2 mm past the text block: 'let x …'
    (manuscript/02.md:41)``; *display* shows a path as the user reads it."""
    out = []
    for spill in spills:
        where = ""
        path = sources.get(spill.chapter)
        if path is not None:
            line = locate(spill, sources)
            where = f" ({display(path)}{f':{line}' if line else ''})"
        shown = spill.what if len(spill.what) <= 40 else spill.what[:40] + "…"
        noun = {"text": "text", "code": "a code line", "image": "image", "table": "a table"}[spill.kind]
        out.append(f"{edition}: page {spill.page}: {noun} '{shown}' runs {spill.over:g} mm past the text block{where}")
    return out
