"""spindle proof print: PNG spreads of facing pages with trim and bleed shown;
spindle proof pdf: one PNG per page."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from spindle.cli import run
from spindle.checks.proof import BLEED, MARGIN, TRIM, spreads

MM = 72 / 25.4


def test_spreads_pair_facing_pages():
    assert spreads(1) == [(None, 1)]
    assert spreads(4) == [(None, 1), (2, 3), (4, None)]
    assert spreads(7) == [(None, 1), (2, 3), (4, 5), (6, 7)]


@pytest.fixture(scope="module")
def proofs(outputs, sample_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("proof-build")
    for path in outputs.values():
        shutil.copy(path, out / path.name)
    cover = outputs["print"].with_name(outputs["print"].name.replace("-print.pdf", "-cover.pdf"))
    shutil.copy(cover, out / cover.name)
    return out


def test_proof_print_writes_spreads_with_trim_and_bleed(proofs, sample_project, outputs, capsys):
    assert run(["proof", "print", "--config", str(sample_project.config_path), "--out", str(proofs), "--dpi", "50"]) == 0
    folder = proofs / "joining-forces-sharing-power-print-proof"
    import pikepdf

    with pikepdf.open(outputs["print"]) as pdf:
        pages = len(pdf.pages)
    files = sorted(folder.glob("spread-*.png"))
    assert len(files) == len(spreads(pages))
    assert (folder / "cover.png").is_file()
    assert f"{len(files) + 1} image(s)" in capsys.readouterr().out
    with Image.open(folder / "spread-002-003.png") as png:
        image = png.convert("RGB")
    width, height = sample_project.config.editions.print.size
    bleed = sample_project.config.editions.print.bleed.mm
    half = (width + bleed) / 25.4 * 50  # each page: trim plus its outer bleed (cut at the spine)
    assert image.width - 2 * MARGIN == pytest.approx(2 * half, abs=3)
    colours = set(image.getdata())
    assert TRIM in colours and BLEED in colours
    # The trim line runs down the page, the bleed's width inside the bleed edge.
    x_trim = MARGIN + round(bleed / 25.4 * 50)
    column = [image.getpixel((x, image.height // 2)) for x in range(x_trim - 2, x_trim + 3)]
    assert TRIM in column


def test_proof_pdf_writes_one_image_per_page(proofs, sample_project, outputs):
    assert run(["proof", "pdf", "--config", str(sample_project.config_path), "--out", str(proofs), "--dpi", "30"]) == 0
    import pikepdf

    files = sorted((proofs / "joining-forces-sharing-power-pdf-proof").glob("page-*.png"))
    with pikepdf.open(outputs["pdf"]) as pdf:
        assert len(files) == len(pdf.pages)
    with Image.open(files[0]) as first:
        assert first.width == pytest.approx(148 / 25.4 * 30, abs=2)


def test_proof_without_a_build_says_so(tmp_path, capsys):
    from printbook import chapter, write

    config = write(tmp_path, '[book]\ntitle = "Unbuilt"\n', {"01.md": chapter("One")})
    assert run(["proof", "print", "--config", str(config)]) == 1
    assert "not found; build it first" in capsys.readouterr().err
