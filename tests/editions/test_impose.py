"""Saddle-stitch imposition: the page numbers read back from each side of each sheet
are in folding order, for a 16-page and a 28-page book; sheets are twice the trim
size with crop and fold marks; creep moves inner pages towards the spine; the
sample book's imposed sheets carry its pages."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest

from conftest import normalize
from spindle.editions.print.impose import impose, saddle_stitch_order

MM = 72 / 25.4
W, H, BLEED = 148 * MM, 210 * MM, 3 * MM


def numbered_book(pages: int) -> bytes:
    """A PDF of *pages* A5 pages with 3 mm bleed, each showing its number (Helvetica)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    for number in range(1, pages + 1):
        content = f"BT /F1 48 Tf {W / 2 - 30:.2f} {H / 2:.2f} Td (p{number}) Tj ET".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[-BLEED, -BLEED, W + BLEED, H + BLEED],
            BleedBox=[-BLEED, -BLEED, W + BLEED, H + BLEED],
            TrimBox=[0, 0, W, H],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def halves(data: bytes) -> list[tuple[str, str]]:
    """(left text, right text) of each imposed sheet side, split at the fold."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    sides = []
    try:
        for index in range(len(document)):
            page = document[index]
            text = page.get_textpage()
            x0, y0, x1, y1 = (float(v) for v in page.get_trimbox())
            fold = (x0 + x1) / 2
            sides.append((text.get_text_bounded(x0 - BLEED, y0, fold, y1).strip(),
                          text.get_text_bounded(fold, y0, x1 + BLEED, y1).strip()))
    finally:
        document.close()
    return sides


@pytest.mark.parametrize("pages, expected", [
    (16, [(16, 1), (2, 15), (14, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)]),
    (28, [(28, 1), (2, 27), (26, 3), (4, 25), (24, 5), (6, 23), (22, 7), (8, 21),
          (20, 9), (10, 19), (18, 11), (12, 17), (16, 13), (14, 15)]),
])
def test_imposed_page_order_read_back_from_the_sheets(pages, expected):
    data = impose(numbered_book(pages), identifier="test", epoch=0)
    read = halves(data)
    assert read == [(f"p{left}", f"p{right}") for left, right in expected]
    assert [(s.left, s.right) for s in saddle_stitch_order(pages)] == expected


def test_every_page_appears_once_and_each_sheet_folds_to_consecutive_pages():
    for pages in (4, 8, 16, 28, 64):
        order = saddle_stitch_order(pages)
        numbers = sorted(n for side in order for n in (side.left, side.right))
        assert numbers == list(range(1, pages + 1))
        for side in order:
            assert side.left + side.right == pages + 1  # facing on the sheet, opposite in the book


def test_a_page_count_that_is_not_a_multiple_of_four_is_refused():
    from spindle.core.errors import BuildError

    with pytest.raises(BuildError, match="multiple of 4"):
        impose(numbered_book(10))


def test_sheets_are_twice_the_trim_with_bleed_and_marks():
    with pikepdf.open(io.BytesIO(impose(numbered_book(16)))) as pdf:
        assert len(pdf.pages) == 8
        for page in pdf.pages:
            tx0, ty0, tx1, ty1 = (float(v) for v in page.obj.TrimBox)
            bx0, by0, bx1, by1 = (float(v) for v in page.obj.BleedBox)
            mx0, my0, mx1, my1 = (float(v) for v in page.obj.MediaBox)
            assert ((tx1 - tx0) / MM, (ty1 - ty0) / MM) == pytest.approx((296, 210), abs=0.1)
            assert (tx0 - bx0) / MM == pytest.approx(3, abs=0.1) and (by1 - ty1) / MM == pytest.approx(3, abs=0.1)
            assert (bx0 - mx0) / MM > 4
            marks = page.obj.Resources.XObject["/SpindleMarks"].read_bytes()
            assert len(re.findall(rb" l S", marks)) == 8 + 2  # crop marks and the fold, top and bottom


def placements(page) -> dict[str, float]:
    """Form name -> x translation of its placement on an imposed sheet."""
    content = page.obj.Contents[1].read_bytes() if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
    return {name.decode(): float(x) for x, name in re.findall(rb"1 0 0 1 ([-\d.]+) [-\d.]+ cm (/P\d) Do", content)}


def test_creep_moves_inner_sheets_towards_the_spine():
    creep = 0.4
    with pikepdf.open(io.BytesIO(impose(numbered_book(16), creep_mm=creep))) as pdf:
        for index, page in enumerate(pdf.pages):
            sheet = index // 2
            placed = placements(page)
            assert placed["/P0"] / MM == pytest.approx(sheet * creep, abs=0.01), f"sheet {sheet + 1} left page"
            assert (placed["/P1"] - W) / MM == pytest.approx(-sheet * creep, abs=0.01), f"sheet {sheet + 1} right page"


def test_pages_are_clipped_at_the_fold_and_keep_their_outer_bleed():
    with pikepdf.open(io.BytesIO(impose(numbered_book(4)))) as pdf:
        page = pdf.pages[0]
        content = page.obj.Contents[1].read_bytes()
        clips = [[float(v) for v in m] for m in re.findall(rb"q ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re W n", content)]
        left, right = clips
        assert left[0] == pytest.approx(-BLEED, abs=0.01) and left[0] + left[2] == pytest.approx(W, abs=0.01)
        assert right[0] == pytest.approx(W, abs=0.01) and right[0] + right[2] == pytest.approx(2 * W + BLEED, abs=0.01)


def test_the_sample_books_imposed_sheets_hold_its_pages(sample_build):
    import pypdfium2

    paths = {o.edition: o.path for o in sample_build.outputs + sample_build.extras}
    printed = pypdfium2.PdfDocument(str(paths["print"]))
    try:
        page_texts = [normalize(printed[i].get_textpage().get_text_range()) for i in range(len(printed))]
    finally:
        printed.close()
    sides = halves(paths["imposed"].read_bytes())
    order = saddle_stitch_order(len(page_texts))
    assert len(sides) == len(order) == len(page_texts) // 2
    for side, (left, right) in zip(order, sides):
        assert normalize(left) == page_texts[side.left - 1], f"sheet {side.sheet + 1} {side.side}, left"
        assert normalize(right) == page_texts[side.right - 1], f"sheet {side.sheet + 1} {side.side}, right"
