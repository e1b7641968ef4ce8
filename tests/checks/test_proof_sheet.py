"""spindle proof pdf|print: the contact sheet, one PNG with a thumbnail of every
page (pdf) or every spread of facing pages (print). Its size follows from the
page count, and every cell of the grid holds a picture exactly up to that count."""

from __future__ import annotations

import shutil

import pikepdf
import pytest
from PIL import Image

from spindle.cli import run
from spindle.checks.proof import MARGIN, SHEET_BACKGROUND, SHEET_GAP, SHEET_LABEL, sheet_size, spreads

WIDTH = 110  # px per page thumbnail (the default)


@pytest.fixture(scope="module")
def built(outputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet-build")
    for path in outputs.values():
        shutil.copy(path, out / path.name)
    return out


def pages_of(path) -> tuple[int, float, float]:
    """Page count and the first page's width and height (its TrimBox when it has one)."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        box = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
        return len(pdf.pages), box[2] - box[0], box[3] - box[1]


def filled(image: Image.Image, x: int, y: int, w: int, h: int) -> bool:
    """Whether the middle of a cell holds a page (anything but the sheet's grey)."""
    crop = image.crop((x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4))
    return any(colour != SHEET_BACKGROUND for colour in crop.getdata())


def cells(image: Image.Image, count: int, columns: int, cell: tuple[int, int]) -> list[bool]:
    """For every grid position of the sheet (full rows), whether it holds a picture."""
    rows = -(-count // columns)
    return [filled(image, MARGIN + (i % columns) * (cell[0] + SHEET_GAP),
                   MARGIN + (i // columns) * (cell[1] + SHEET_LABEL + SHEET_GAP), *cell)
            for i in range(rows * columns)]


def test_sheet_size_grows_with_the_count():
    assert sheet_size(1, 10, (100, 140)) == (2 * MARGIN + 100, 2 * MARGIN + 140 + SHEET_LABEL)
    assert sheet_size(21, 10, (100, 140)) == (2 * MARGIN + 10 * 100 + 9 * SHEET_GAP,
                                              2 * MARGIN + 3 * (140 + SHEET_LABEL) + 2 * SHEET_GAP)


def test_pdf_contact_sheet_has_one_thumbnail_per_page(built, sample_project, outputs, capsys):
    assert run(["proof", "pdf", "--config", str(sample_project.config_path), "--out", str(built), "--dpi", "20"]) == 0
    sheet = built / "joining-forces-sharing-power-pdf-proof" / "contact-sheet.png"
    count, width, height = pages_of(outputs["pdf"])
    assert f"contact sheet: {sheet} ({count} pages)" in capsys.readouterr().out
    cell = (WIDTH, round(height * WIDTH / width))
    with Image.open(sheet) as png:
        image = png.convert("RGB")
    assert image.size == sheet_size(count, 10, cell)
    grid = cells(image, count, 10, cell)
    assert grid == [True] * count + [False] * (len(grid) - count)


def test_print_contact_sheet_shows_facing_spreads(built, sample_project, outputs, capsys):
    assert run(["proof", "print", "--columns", "5", "--config", str(sample_project.config_path),
                "--out", str(built), "--dpi", "20"]) == 0
    sheet = built / "joining-forces-sharing-power-print-proof" / "contact-sheet.png"
    count, width, height = pages_of(outputs["print"])  # pages cut at the trim
    pairs = spreads(count)
    assert f"({count} pages, {len(pairs)} spreads)" in capsys.readouterr().out
    page = (WIDTH, round(height * WIDTH / width))
    with Image.open(sheet) as png:
        image = png.convert("RGB")
    assert image.size == sheet_size(len(pairs), 5, (2 * WIDTH, page[1]))
    expected, found = [], []
    for i, (left, right) in enumerate(pairs):
        x = MARGIN + (i % 5) * (2 * WIDTH + SHEET_GAP)
        y = MARGIN + (i // 5) * (page[1] + SHEET_LABEL + SHEET_GAP)
        found += [filled(image, x, y, *page), filled(image, x + WIDTH, y, *page)]
        expected += [left is not None, right is not None]
    assert found == expected  # page 1 alone on the right; the last page alone on the left when the count is even
    assert expected[0] is False and sum(expected) == count
    rows = -(-len(pairs) // 5)
    for i in range(len(pairs), rows * 5):  # nothing after the last spread
        x = MARGIN + (i % 5) * (2 * WIDTH + SHEET_GAP)
        assert not filled(image, x, MARGIN + (rows - 1) * (page[1] + SHEET_LABEL + SHEET_GAP), 2 * WIDTH, page[1])


def test_proof_defaults_to_the_pdf(built, sample_project, capsys):
    assert run(["proof", "--config", str(sample_project.config_path), "--out", str(built), "--dpi", "20"]) == 0
    assert "joining-forces-sharing-power-pdf-proof" in capsys.readouterr().out
