"""Finishing a part (worker.finish) with spindle's shortcuts writes the same PDFs as WeasyPrint's own
code: its margin boxes laid out again with the real page numbers (editions/paged/margins.py, fewer
margin boxes laid out), its lines of text drawn (glyphs.py), its page references kept (worker.py)."""

from __future__ import annotations

import pytest

from spindle.build import orchestrate as builder
from spindle.project.config import load
from conftest import EPOCH, copy_sample

pytest.importorskip("weasyprint")

# Margin boxes on every side and in corners, some on one side of the spread only, one with an image
# (never copied from page to page), and counters in the margins. (:nth() page selectors would make
# the edition be laid out in one pass, without finish.)
EXTRA_CSS = """
@page { @left-middle { content: "L" counter(page); font-size: 7pt; }
        @bottom-right-corner { content: "*"; }
        @right-top { content: url(figure.svg); width: 4mm; height: 4mm; } }
@page :right { @top-left-corner { content: "right"; font-size: 6pt; } }
@page :left { @bottom-left-corner { content: counter(page, lower-roman); } }
"""
FIGURE = """<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"""


def _project(root, extra: str):
    copy_sample(root)
    (root / "styles" / "custom.css").write_text((root / "styles" / "custom.css").read_text() + extra)
    (root / "styles" / "figure.svg").write_text(FIGURE)
    return load(root / "book.toml")


def _build(root, monkeypatch, weasyprint_own: bool, counts: dict) -> dict[str, bytes]:
    import weasyprint.layout.page as wpage

    from spindle.editions.paged import margins

    if weasyprint_own:
        import contextlib

        from spindle.editions.paged import glyphs, worker

        monkeypatch.setattr(margins, "margin_boxes",
                            lambda context, page, state, memo: list(wpage.make_margin_boxes(context, page, state)))
        monkeypatch.setattr(glyphs, "faster", contextlib.nullcontext)
        monkeypatch.setattr(worker, "_page_references_kept", contextlib.nullcontext)
    original = wpage.margin_box_content_layout

    def counting(*args):
        counts["laid"] = counts.get("laid", 0) + 1
        return original(*args)

    monkeypatch.setattr(wpage, "margin_box_content_layout", counting)
    try:
        result = builder.build(load(root / "book.toml"), ("pdf", "print"), root / "out", epoch=EPOCH, jobs=1)
    finally:
        monkeypatch.undo()
    assert not [note for note in result.notes if "one pass" in note], result.notes
    return {o.edition: o.path.read_bytes() for o in result.outputs}


# (the theme: a folio and a running head a page, the head copied; every-margin-box: four boxes a page,
# the folios, counters and the image laid out on every page)
@pytest.mark.parametrize("extra, fewer", [("", 0.8), (EXTRA_CSS, 0.95)], ids=["theme", "every-margin-box"])
def test_finished_parts_are_the_same_as_weasyprints_own(tmp_path, monkeypatch, extra, fewer):
    _project(tmp_path / "own", extra)
    _project(tmp_path / "ours", extra)
    own_counts: dict = {}
    our_counts: dict = {}
    own = _build(tmp_path / "own", monkeypatch, True, own_counts)
    ours = _build(tmp_path / "ours", monkeypatch, False, our_counts)
    assert set(own) == {"pdf", "print"} and set(ours) == set(own)
    for edition in own:
        assert ours[edition] == own[edition], edition
    # the running heads repeat from page to page: most of them are copied, not laid out again
    assert our_counts["laid"] < fewer * own_counts["laid"], (our_counts, own_counts)
