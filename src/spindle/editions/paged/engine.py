"""Lay out a paged edition with WeasyPrint (imported here, lazily, so the
CLI starts fast). Shared by the screen PDF and the print edition."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from spindle.core.errors import BuildError
from spindle.theme import BUILTIN


@dataclass
class Layout:
    """A laid-out document: WeasyPrint's Document plus what we learned."""

    document: object
    pages: int
    warnings: list[str] = field(default_factory=list)
    variant: str | None = None  # a WeasyPrint pdf_variant such as "pdf/x-4"
    spills: list = field(default_factory=list)  # overflow.Spill per box past the text block (page numbers)


class Collect(logging.Handler):
    """WeasyPrint's warnings while a layout is made or written (paged.py and partlayout.py)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def layout(html: str, stylesheets: list[Path], extra_css: list[str], root: Path,
           allow_remote: bool = False, font_config=None, cache=None, variant: str | None = None,
           shared: tuple[Path, ...] = ()) -> Layout:
    """The document laid out keeping notes on their call's page (footnotes.notes_kept); laid out
    WeasyPrint's way as well only when a note is still set on a later page, keeping the layout with
    fewer such notes (see worker.lay_out). *shared*: a series' theme folders."""
    from weasyprint.text.fonts import FontConfiguration

    from spindle.editions.paged import footnotes

    font_config = font_config or FontConfiguration()
    cache = cache if cache is not None else {}
    with footnotes.notes_kept() as able:
        kept = _layout_once(html, stylesheets, extra_css, root, allow_remote, font_config, cache, variant, shared)
    moved = footnotes.displaced(kept.document)
    if not able or not moved:
        return kept
    held = _layout_once(html, stylesheets, extra_css, root, allow_remote, font_config, cache, variant, shared)
    return kept if len(moved) < len(footnotes.displaced(held.document)) else held


def _layout_once(html: str, stylesheets: list[Path], extra_css: list[str], root: Path,
                 allow_remote: bool, font_config, cache, variant: str | None,
                 shared: tuple[Path, ...] = ()) -> Layout:
    from weasyprint import CSS, HTML, LOGGER

    from spindle.editions.paged import imageids, textlayout
    from spindle.editions.paged.fetcher import ProjectFetcher, RefusedURL

    textlayout.install()  # the same text layout as the parts' (worker.py)
    imageids.use(root, tuple(shared))  # (images named by their place in the project, as the parts')
    fetcher = ProjectFetcher([root, *shared, BUILTIN], allow_remote=allow_remote)  # shared: a series' theme
    collector = Collect()
    profiles: dict = {}  # @color-profile rules (the print edition's CMYK output profile)
    common = dict(url_fetcher=fetcher, font_config=font_config, color_profiles=profiles)
    LOGGER.addHandler(collector)
    try:
        sheets = [CSS(filename=str(p), **common) for p in stylesheets[:-1]]
        sheets += [CSS(string=css, base_url=root.as_uri() + "/", **common) for css in extra_css]
        sheets.append(CSS(filename=str(stylesheets[-1]), **common))
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=font_config, pdf_tags=True, cache=cache,
            color_profiles=profiles, pdf_variant=variant,
        )
    except RefusedURL as exc:
        raise BuildError(str(exc)) from None
    finally:
        LOGGER.removeHandler(collector)
    from spindle.editions.paged import overflow

    boxes = [page._page_box for page in document.pages]
    spills = [s.at(s.page + 1) for s in overflow.find(boxes) + _underfull_per_chapter(boxes)]
    return Layout(document=document, pages=len(document.pages), warnings=relevant(collector.messages), variant=variant,
                  spills=spills)


@dataclass
class Laid:
    """A paged edition laid out (in one pass or part by part), before finishing."""

    pdf: bytes  # WeasyPrint's PDF (merged from the parts of a part-by-part layout)
    pages: int
    where: dict[str, int]  # element id -> page number where it first appears
    starts: list | None = None  # pagemap.PageStart per page (the print edition: the EPUB's page-list)
    warnings: list[str] = field(default_factory=list)
    padding: object = None  # signatures.Padding (the print edition)
    variant: str | None = None
    finished: bool = False  # pdf is already finished (the print edition's boxes, marks, ids and dates)
    spills: list = field(default_factory=list)  # overflow.Spill per box past the text block (page numbers)
    numbers: tuple[int, ...] | None = None  # the printed page number of each page, when they differ from 1, 2, ...
    from_print: bool = False  # the screen PDF, made from the print edition's layout (print/screen)


def _underfull_per_chapter(boxes: list) -> list:
    """overflow.underfull for each chapter's run of pages (a single-pass layout holds them all)."""
    from spindle.editions.paged import overflow

    runs: list[list[int]] = []
    for index, box in enumerate(boxes):
        if not runs or _opens_chapter(box):
            runs.append([])
        runs[-1].append(index)
    found = []
    for run in runs:
        found += [s.at(run[s.page]) for s in overflow.underfull([boxes[i] for i in run])]
    return found


def _opens_chapter(page_box) -> bool:
    """Whether a chapter opens on this page (its header is on it)."""
    def visit(box) -> bool:
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", "") == "header" and element is not None \
                and "chapter-header" in (element.get("class") or "").split():
            return True
        return any(visit(child) for child in getattr(box, "children", None) or ())
    return visit(page_box)


def relevant(messages: list[str]) -> list[str]:
    # WeasyPrint reports unsupported CSS it ignores; keep the ones an author can act on.
    return [m for m in messages if "Ignored" not in m and "unknown property" not in m.lower()]


def write(result: Layout, identifier: str) -> bytes:
    """Serialise a layout to PDF bytes, reproducibly (a fixed document id)."""
    from spindle.editions.paged.fetcher import RefusedURL

    from weasyprint import LOGGER

    pdf_id = hashlib.sha256(identifier.encode()).hexdigest()[:32].encode()
    collector = Collect()  # drawing reports glyphs that no font has
    LOGGER.addHandler(collector)
    try:
        return result.document.write_pdf(pdf_tags=True, pdf_identifier=pdf_id, pdf_variant=result.variant)
    except RefusedURL as exc:  # attachments are fetched while writing
        raise BuildError(str(exc)) from None
    finally:
        LOGGER.removeHandler(collector)
        result.warnings += [m for m in relevant(collector.messages) if m not in result.warnings]
