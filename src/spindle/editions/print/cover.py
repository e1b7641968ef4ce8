"""The print cover: back, spine and front on one sheet with bleed, laid out
by WeasyPrint from theme/templates/cover.html and theme/styles/cover.css
(both project-overridable). The spine width comes from the final page count
of the print PDF and the paper's thickness."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from spindle.editions.print import barcode
from spindle.manuscript.model import Book
from spindle.theme import Theme

MM = 72 / 25.4


@dataclass(frozen=True)
class Spine:
    pages: int
    leaf_mm: float  # paper thickness per leaf (two pages)
    ppi: int | None  # pages per inch, when given that way
    min_text_mm: float

    @property
    def leaves(self) -> int:
        return math.ceil(self.pages / 2)

    @property
    def width_mm(self) -> float:
        """Spine width: leaves × caliper (or pages ÷ pages-per-inch), to 0.01 mm."""
        if self.ppi is not None:
            return round(self.pages / self.ppi * 25.4, 2)
        return round(self.leaves * self.leaf_mm, 2)

    @property
    def has_text(self) -> bool:
        return self.width_mm >= self.min_text_mm

    @property
    def font_size_pt(self) -> float:
        """Spine lettering: at most 11pt, at most about half the spine's width."""
        return round(min(11.0, self.width_mm * 0.5 * MM), 2)

    def describe(self) -> str:
        basis = (f"{self.pages} pages at {self.ppi} pages per inch" if self.ppi is not None
                 else f"{self.leaves} leaves × {self.leaf_mm:g} mm")
        text = "with spine text" if self.has_text else f"too narrow for spine text (< {self.min_text_mm:g} mm)"
        return f"spine {self.width_mm:.2f} mm ({basis}), {text}"


def spine_for(book: Book, pages: int) -> Spine:
    p = book.project.config.editions.print
    return Spine(pages=pages, leaf_mm=p.leaf_mm, ppi=p.ppi, min_text_mm=p.spine_text_min.mm)


def sheet_size(book: Book, spine: Spine) -> tuple[float, float]:
    """The cover's trim size in mm: two page widths plus the spine, by the page height."""
    width, height = book.project.config.editions.print.size
    return 2 * width + spine.width_mm, height


def paragraphs(text: str) -> Markup:
    """Plain back-cover text to HTML paragraphs (blank lines separate them)."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(Markup("<p>%s</p>") % escape(b) for b in blocks if b)


def html(book: Book, theme: Theme, spine: Spine, epoch: int | None) -> str:
    from spindle.theme.render import base_context

    p = book.project.config.editions.print
    isbn = book.meta.isbn.print
    context = base_context(book, "cover", epoch)
    return theme.render(
        "cover.html", **context,
        spine=spine,
        back_text=paragraphs(p.back_cover if p.back_cover is not None else book.meta.description),
        isbn=isbn or "",
        barcode=barcode.ean13_html(isbn) if isbn else None,
        qr_url=p.qr_url or "",
        qr=barcode.qr_html(p.qr_url) if p.qr_url else None,
    )


def settings(book: Book, theme: Theme, spine: Spine) -> str:
    from spindle.theme.render import icc_url, settings_css

    p = book.project.config.editions.print
    width, height = sheet_size(book, spine)
    return settings_css(
        theme, "cover", width, height, bleed=p.bleed.mm, marks=p.marks, mirrored=False,
        margin_top=0.0, margin_bottom=0.0, margin_inside=0.0, margin_outside=0.0,
        icc_profile=icc_url(p.icc_profile), trim_width=p.size[0], spine_width=spine.width_mm,
        spine_font_size=spine.font_size_pt,
    )


def layout(book: Book, theme: Theme, spine: Spine, epoch: int | None, allow_remote: bool,
           font_config, variant: str | None, cache=None):
    from spindle.editions.paged import engine as paged

    sheets = theme.stylesheets("cover") + [theme.custom_stylesheet()]
    return paged.layout(html(book, theme, spine, epoch), sheets, [settings(book, theme, spine)],
                        book.project.root, allow_remote, font_config, cache=cache, variant=variant,
                        shared=book.project.shared)
