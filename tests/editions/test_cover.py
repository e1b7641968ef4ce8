"""The print cover: one sheet (back, spine, front) whose trim width is two page widths
plus a spine computed from the final page count and the paper; a scannable vector
EAN-13 of the print ISBN, a QR code, and spine text only on a wide enough spine."""

from __future__ import annotations

import re

import pikepdf
import pytest

from printbook import ISBN, QR_URL
from spindle.editions.print import barcode
from spindle.editions.print.cover import Spine

MM = 72 / 25.4


def extras(result) -> dict[str, object]:
    return {o.edition: o.path for o in result.outputs + result.extras}


@pytest.fixture(scope="module")
def sample_cover(sample_build):
    return extras(sample_build)["cover"]


@pytest.fixture(scope="module")
def padded_cover(padding_build):
    return extras(padding_build[1])["cover"]


def trim_width_mm(path) -> tuple[float, float]:
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 1
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].obj.TrimBox)
        return (x1 - x0) / MM, (y1 - y0) / MM


# --- spine width --------------------------------------------------------------------------------------

@pytest.mark.parametrize("pages, leaf, ppi, expected", [
    (72, 0.1, None, 3.6),     # 36 leaves × 0.1 mm
    (72, 0.08, None, 2.88),
    (240, 0.1, None, 12.0),
    (240, 0.08, None, 9.6),
    (72, 0.1, 400, 4.57),     # 72 / 400 in
    (240, 0.1, 400, 15.24),
])
def test_spine_width_from_page_count_and_paper(pages, leaf, ppi, expected):
    assert Spine(pages, leaf, ppi, 6.0).width_mm == pytest.approx(expected, abs=0.005)


def test_cover_trim_is_two_pages_plus_the_spine(sample_build, sample_cover, sample_project):
    width, height = sample_project.config.editions.print.size
    pages = next(o.pages for o in sample_build.outputs if o.edition == "print")
    spine = pages / 2 * 0.1  # the sample: caliper 0.1 mm per leaf
    cover_width, cover_height = trim_width_mm(sample_cover)
    assert cover_width == pytest.approx(2 * width + spine, abs=0.1)
    assert cover_height == pytest.approx(height, abs=0.1)
    assert any(f"spine {spine:.2f} mm" in note for note in sample_build.notes), sample_build.notes


def test_cover_trim_for_pages_per_inch(padding_build, padded_cover):
    project, result = padding_build
    pages = next(o.pages for o in result.outputs if o.edition == "print")
    spine = pages / 50 * 25.4  # ppi = 50
    width, height = project.config.editions.print.size
    assert trim_width_mm(padded_cover)[0] == pytest.approx(2 * width + spine, abs=0.1)


def test_cover_has_bleed_and_fold_marks(padded_cover):
    with pikepdf.open(padded_cover) as pdf:
        page = pdf.pages[0]
        trim = [float(v) for v in page.obj.TrimBox]
        bleed = [float(v) for v in page.obj.BleedBox]
        assert (trim[0] - bleed[0]) / MM == pytest.approx(3.175, abs=0.1)
        marks = page.obj.Resources.XObject["/SpindleMarks"].read_bytes()
        assert len(re.findall(rb" l S", marks)) == 8 + 4  # crop marks + two folds, top and bottom


def cover_text(path) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_spine_text_only_on_a_wide_spine(sample_cover, padded_cover):
    # The sample's spine is 3.6 mm (< 6 mm): the title appears once (front); the fixture's is 16 mm.
    assert len(re.findall("Joining Forces, Sharing", cover_text(sample_cover))) == 1
    assert len(re.findall("Padding Test", cover_text(padded_cover))) == 2


def test_back_cover_text_is_the_book_description(sample_cover, book):
    text = " ".join(cover_text(sample_cover).split())
    assert " ".join(book.meta.description.split())[:60] in text.replace("- ", "")


# --- barcode and QR code -------------------------------------------------------------------------------

def test_ean13_module_pattern():
    bits = barcode.ean13_modules("9789083205908")
    assert len(bits) == 95
    assert bits[:3] == "101" and bits[45:50] == "01010" and bits[-3:] == "101"
    # First digit 9 → parity LGGLGL for the left half; '7' in L is 0111011, '8' in G is 0001001.
    assert bits[3:10] == "0111011" and bits[10:17] == "0001001"
    # Right half digits use R codes: '5' → 1001110.
    assert bits[50 + 7 * 2: 50 + 7 * 3] == "1001110"
    with pytest.raises(ValueError):
        barcode.ean13_modules("9789083205907")  # wrong check digit


def rendered(path, dpi: int = 600):
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()


@pytest.mark.parametrize("which", ["sample", "padded"])
def test_the_barcode_scans_as_the_print_isbn_and_the_qr_code_as_the_address(which, sample_cover, padded_cover, sample_project):
    import zxingcpp

    path = sample_cover if which == "sample" else padded_cover
    found = {str(r.format): r.text for r in zxingcpp.read_barcodes(rendered(path))}
    isbn = sample_project.config.book.isbn.print if which == "sample" else ISBN
    url = sample_project.config.editions.print.qr_url if which == "sample" else QR_URL
    assert found.get("EAN-13") == re.sub(r"\D", "", isbn), found
    assert found.get("QR Code") == url, found


def test_the_barcode_is_vector_black(sample_cover):
    with pikepdf.open(sample_cover) as pdf:
        page = pdf.pages[0]
        images = [x for x in page.obj.Resources.get("/XObject", {}).values() if x.get("/Subtype") == pikepdf.Name.Image]
        assert not images, "the cover should hold no raster images"
        content = b"".join(s.read_bytes() for s in page.obj.Contents)
        # The bars: rectangles filled in pure black K.
        assert content.count(b"0 0 0 1 scn") >= 30


def test_a_cover_without_isbn_says_so(tmp_path):
    from printbook import chapter, write
    from spindle.build import orchestrate as builder
    from spindle.project.config import load

    config = write(tmp_path, '[book]\ntitle = "No Number"\n[editions.print]\nmarks = false\n', {"01.md": chapter("One")})
    result = builder.build(load(config), ["print"], tmp_path / "build", epoch=1539216000, strict=True)
    assert any("no book.isbn.print, so the back cover has no barcode" in n for n in result.notes)
    assert not result.warnings
    assert "EAN-13" not in cover_text(tmp_path / "build" / "no-number-cover.pdf")
    with pikepdf.open(tmp_path / "build" / "no-number-cover.pdf") as pdf:
        assert b"0 0 0 1 scn" not in b"".join(s.read_bytes() for s in pdf.pages[0].obj.Contents)
