"""Every page right on the bench book (issue 13): bench/generate.py's book (prose in English and
Dutch, a footnote every few paragraphs, a table and a figure per chapter, an interview), built as the
screen PDF and the print edition and read back page by page (tests/pagecheck.py, pdfplumber): 0 glyphs
and 0 images past the text block, 0 .notdef glyphs, 0 fonts not embedded, 0 notes on a page without
their call, 0 captions parted from what they caption, and no overflow reported by the build.

The default run builds a 40-page book; the whole 600-page book (465 notes, about 980 pages in each
PDF: a few minutes to build and as many to read back on two cores) is marked ``bench``:
``pytest -m bench tests/editions/test_pages_bench.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pagecheck
from conftest import EPOCH

pytest.importorskip("pdfplumber")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=[pytest.param(40, id="40-pages"),
                                        pytest.param(600, id="600-pages", marks=pytest.mark.bench)])
def bench_build(request, tmp_path_factory):
    from spindle.build import orchestrate as builder
    from spindle.manuscript.load import load_book
    from spindle.project.config import load
    from spindle.theme import render

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    book = generate.generate(tmp_path_factory.mktemp("bench") / "book", request.param)
    project = load(book)
    result = builder.build(project, ("pdf", "print"), book.parent / "out", epoch=EPOCH)
    paths = {o.edition: o.path for o in result.outputs}
    chapters = load_book(project).chapters
    scans = {e: pagecheck.scan(paths[e], render.text_margins(project.config.editions, e)) for e in ("pdf", "print")}
    return result, paths, chapters, scans


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_the_bench_book_has_the_five_zeroes(bench_build, edition):
    result, paths, chapters, scans = bench_build
    scanned = scans[edition]
    assert sum(len(c.notes) for c in chapters) >= 20  # notes to check (465 in the 600-page book)
    assert scanned.outside == []
    assert [w for w in result.warnings if "past the text block" in w or "no font has" in w] == []
    assert pagecheck.font_problems(paths[edition]) == []
    assert pagecheck.displaced_notes(scanned, chapters) == []
    assert not [n for n in result.notes + result.warnings if "set on the page after their call" in n]
    assert len(pagecheck.captions(chapters)) >= 2
    assert pagecheck.separated_captions(scanned, chapters) == []
