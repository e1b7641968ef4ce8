"""The print-ready PDF, checked in the built file: trim and bleed boxes,
right-hand chapter openings, mirrored margins and empty blank pages."""

from __future__ import annotations

import re
from collections import Counter

import pikepdf
import pytest

from spindle.project.config import page_dimensions

MM = 72 / 25.4
TOLERANCE_MM = 0.1


@pytest.fixture(scope="module")
def pages(pdf_pages):
    return pdf_pages("print")


@pytest.fixture(scope="module")
def pdf(outputs):
    with pikepdf.open(outputs["print"]) as document:
        yield document


@pytest.fixture(scope="module")
def settings(sample_project):
    return sample_project.config.editions.print


@pytest.fixture(scope="module")
def starts(pages, book) -> dict[str, int]:
    return pages.chapter_starts(book)


def box(page, name: str) -> list[float]:
    value = page.obj.get(name)
    assert value is not None, f"page has no {name}"
    return [float(v) for v in value]


# --- page boxes ---------------------------------------------------------------------------------

def test_sample_is_a5_with_3mm_bleed(settings):
    # The checks below read the sizes from book.toml; this pins the sample's values.
    assert page_dimensions(settings.trim) == (148.0, 210.0)
    assert settings.bleed.mm == pytest.approx(3.0)


def test_every_page_has_the_trim_box_of_the_trim_size(pdf, settings):
    width, height = page_dimensions(settings.trim)
    for number, page in enumerate(pdf.pages, 1):
        x0, y0, x1, y1 = box(page, "/TrimBox")
        assert (x1 - x0) / MM == pytest.approx(width, abs=TOLERANCE_MM), f"page {number}: TrimBox width"
        assert (y1 - y0) / MM == pytest.approx(height, abs=TOLERANCE_MM), f"page {number}: TrimBox height"


def test_bleed_box_extends_the_bleed_beyond_the_trim_on_every_side(pdf, settings):
    bleed = settings.bleed.mm
    for number, page in enumerate(pdf.pages, 1):
        tx0, ty0, tx1, ty1 = box(page, "/TrimBox")
        bx0, by0, bx1, by1 = box(page, "/BleedBox")
        mx0, my0, mx1, my1 = box(page, "/MediaBox")
        for side, extent in (("left", tx0 - bx0), ("bottom", ty0 - by0), ("right", bx1 - tx1), ("top", by1 - ty1)):
            assert extent / MM == pytest.approx(bleed, abs=TOLERANCE_MM), f"page {number}: {side} bleed {extent / MM:.2f} mm"
        assert mx0 <= bx0 + 0.01 and my0 <= by0 + 0.01 and mx1 >= bx1 - 0.01 and my1 >= by1 - 0.01, (
            f"page {number}: BleedBox lies outside the MediaBox"
        )


# --- right-hand openings -----------------------------------------------------------------------------

def test_every_chapter_starts_on_a_right_hand_page(pages, book, starts):
    wrong = [
        f"{c.title!r} starts on page {starts[c.id] + 1}" for c in book.chapters if (starts[c.id] + 1) % 2 == 0
    ]
    assert not wrong, "chapters opening on a left-hand (even) page:\n" + "\n".join(wrong)


def test_title_page_and_contents_are_on_right_hand_pages(pages, book):
    toc = pages.toc_page()
    assert (toc + 1) % 2 == 1, f"the table of contents is on page {toc + 1}"
    title = pages.normalize(book.meta.title)
    title_pages = [i for i in range(toc) if pages.normalize(book.meta.subtitle) in pages.normalized[i]
                   and title in pages.normalized[i]]
    assert title_pages and all((i + 1) % 2 == 1 for i in title_pages), f"title page on {[i + 1 for i in title_pages]}"


def test_toc_page_numbers_are_the_chapter_start_pages(pages, book, starts):
    text = " ".join(pages.texts[pages.toc_page()].split())
    for chapter in book.chapters:
        m = re.search(re.escape(" ".join(chapter.title.split())) + r"[\s.]*?(\d+)(?!\d)", text)
        assert m, f"no TOC line for {chapter.title!r}"
        assert int(m.group(1)) == starts[chapter.id] + 1, f"TOC page number for {chapter.title!r}"


# --- mirrored margins -----------------------------------------------------------------------------------

def test_margins_are_mirrored(pdf, pages, settings, starts):
    """The text block's left edge sits at the inside margin on right-hand (odd) pages
    and at the outside margin on left-hand (even) pages."""
    first_chapter = min(starts.values())
    left_edges: dict[str, Counter] = {"odd": Counter(), "even": Counter()}
    for index in range(first_chapter, len(pages)):
        runs = pages.runs[index]
        if len(runs) < 10:  # blank pages, or pages too short to show the text block
            continue
        trim_x0 = box(pdf.pages[index], "/TrimBox")[0]
        edge = min(run.x for run in runs) - trim_x0
        left_edges["odd" if (index + 1) % 2 else "even"][round(edge / MM, 1)] += 1
    assert left_edges["odd"] and left_edges["even"], left_edges
    right_page_edge = left_edges["odd"].most_common(1)[0][0]
    left_page_edge = left_edges["even"].most_common(1)[0][0]
    assert right_page_edge == pytest.approx(settings.margin_inside.mm, abs=0.5), left_edges
    assert left_page_edge == pytest.approx(settings.margin_outside.mm, abs=0.5), left_edges
    assert abs(right_page_edge - left_page_edge) > 1, "left and right pages have the same left margin"


# --- blank pages ------------------------------------------------------------------------------------------

TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}


def test_blank_pages_carry_no_text_at_all(pdf, pages, settings):
    """A page with no text inside its text area (at most a folio or a running head in
    the margins) is a blank page; it must be truly empty: no folio, no running head."""
    height = page_dimensions(settings.trim)[1]
    blank = []
    for index, runs in enumerate(pages.runs):
        trim_y0 = box(pdf.pages[index], "/TrimBox")[1]
        inside = [
            r for r in runs
            if settings.margin_bottom.mm - 1 < (r.y - trim_y0) / MM < height - settings.margin_top.mm + 1
        ]
        if inside:
            continue
        blank.append(index)
        assert pages.texts[index].strip() == "", f"blank page {index + 1} shows text: {pages.texts[index]!r}"
        operators = {str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[index])}
        assert not operators & TEXT_OPERATORS, f"blank page {index + 1} draws text ({operators & TEXT_OPERATORS})"
    assert blank, "the sample book should have blank pages (e.g. the verso of the half-title)"
