"""The rebuild after an edit (issue 16): the screen PDF is finished from the print layout part by
part, each part cached beside its layout, so that an edit finishes the parts that changed; the
print edition's first round is laid out with the last build's signature padding. Checked on the
built files: the screen PDF made part by part is the one made from the whole layout (pages, text,
labels, boxes, links, bookmarks, destinations, structure), and a rebuild gives a cold build's bytes."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pikepdf
import pypdf
import pytest

from conftest import EPOCH, normalize
from spindle.build import orchestrate as builder
from spindle.core import cache as caching
from spindle.editions import layouts
from spindle.editions.print import screen
from spindle.project.config import load
from test_fastpath import prose, write_book


def _notes(messages: list[str], start: str) -> str:
    return next(m for m in messages if m.startswith(start))


def summary(path: Path) -> dict:
    """What a reader of the screen PDF meets: each page's text, label and box; where each
    bookmark, named destination and link leads (page index); the structure's page entries."""
    reader = pypdf.PdfReader(path)
    found: dict = {"labels": list(reader.page_labels),
                   "text": [normalize(page.extract_text()) for page in reader.pages]}
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}

        def target(dest):
            if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
                dest = dest.D
            if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
                return index.get(dest[0].objgen, "elsewhere")
            return str(dest) if dest is not None else None

        found["boxes"] = [[round(float(v), 2) for v in page.obj.MediaBox] for page in pdf.pages]
        found["dests"] = {name: target(dest) for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
        outline = []
        with pdf.open_outline() as tree:
            stack = [(item, 0) for item in reversed(tree.root)]
            while stack:
                item, depth = stack.pop()
                outline.append((depth, item.title, target(item.destination)))
                stack += [(child, depth + 1) for child in reversed(item.children)]
        found["outline"] = outline
        links = []
        for i, page in enumerate(pdf.pages):
            for annotation in page.obj.get("/Annots", ()):
                action = annotation.get("/A")
                dest = annotation.get("/Dest") if action is None else action.get("/D", action.get("/URI"))
                links.append((i, str(dest) if isinstance(dest, (pikepdf.String, pikepdf.Name)) else target(dest)))
        found["links"] = links
        root = pdf.Root.StructTreeRoot
        entries = dict(pikepdf.NumberTree(root.ParentTree).items())
        found["structure"] = sorted(
            (i, len(entries[int(page.obj.StructParents)]) if isinstance(entries.get(int(page.obj.StructParents)),
                                                                         pikepdf.Array) else None)
            for i, page in enumerate(pdf.pages) if "/StructParents" in page.obj)
        found["cmyk"] = any(b"DeviceCMYK" in page.obj.Contents.read_bytes() for page in pdf.pages
                            if isinstance(page.obj.get("/Contents"), pikepdf.Stream))
        found["has_output_intent"] = "/OutputIntents" in pdf.Root
    return found


def test_the_screen_pdf_made_part_by_part_is_the_one_made_from_the_whole_layout(sample_copy, tmp_path, monkeypatch):
    project = load(sample_copy)
    messages: list[str] = []
    parted = builder.build(project, ["pdf"], tmp_path / "parted", epoch=EPOCH, report=lambda m: messages.append(str(m)))
    note = _notes(messages, "pdf: made from the print edition's layout")
    assert "part by part:" in note, note
    left_out = int(re.search(r"\((\d+) blank print pages left out", note).group(1))
    assert left_out, "the sample's print layout has blank pages to leave out (versos, padding)"
    # the same layout, the screen PDF made from the whole of it (what a part that cannot be finished
    # on its own falls back to): the parts finished for the screen are forgotten, and none is made
    shutil.rmtree(project.root / caching.FOLDER / "derived")
    monkeypatch.setattr(screen, "derive_part", lambda *args, **kwargs: None)
    messages.clear()
    whole = builder.build(project, ["pdf"], tmp_path / "whole", epoch=EPOCH, report=lambda m: messages.append(str(m)))
    assert "from the whole layout" in _notes(messages, "pdf: made from the print edition's layout")
    assert re.search(r"\(0 laid out now", _notes(messages, "print: laid out in"))
    a, b = summary(parted.outputs[0].path), summary(whole.outputs[0].path)
    assert len(a["text"]) == parted.outputs[0].pages
    for key in a:
        assert a[key] == b[key], key
    assert not a["cmyk"] and not a["has_output_intent"]
    assert all(isinstance(t, int) for _, _, t in a["outline"]) and all(isinstance(t, int) for t in a["dests"].values())


@pytest.fixture
def book_copy(tmp_path):
    return load(write_book(tmp_path / "book"))


def _cold(project, editions: list[str], out: Path, cache: Path) -> dict[str, bytes]:
    result = builder.build(project, editions, out, epoch=EPOCH, jobs=2, cache=cache)
    return {o.edition: o.path.read_bytes() for o in result.outputs}


def test_an_edit_finishes_one_part_for_the_screen_and_gives_a_cold_builds_bytes(book_copy, tmp_path):
    project = book_copy
    builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    chapter = project.root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("A chart", "The chart"), encoding="utf-8")
    messages: list[str] = []
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
    assert re.search(r"\(1 laid out now", _notes(messages, "print: laid out in"))
    assert "part by part: 1 finished now" in _notes(messages, "pdf: made from the print edition's layout")
    cold = _cold(project, ["pdf"], tmp_path / "cold", tmp_path / "cold-cache")
    assert result.outputs[0].path.read_bytes() == cold["pdf"]


def test_a_rebuild_starts_from_the_last_padding_and_pads_anew_when_it_no_longer_fits(book_copy, tmp_path,
                                                                                           monkeypatch):
    project = book_copy
    rounds: list = []
    edition = layouts._edition

    def counted(book, theme, name, *args, **kwargs):
        if name == "print":
            rounds.append(args[2] if len(args) > 2 else kwargs.get("padding"))
        return edition(book, theme, name, *args, **kwargs)

    monkeypatch.setattr(layouts, "_edition", counted)
    first = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    padded = next(n for n in first.notes if n.startswith("print: added"))
    assert rounds[0] is None and len(rounds) == 2  # a cold build: without padding, then padded
    # an edit that keeps the page count: one round, with the last build's padding
    chapter = project.root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("A chart", "The chart"), encoding="utf-8")
    rounds.clear()
    again = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    assert len(rounds) == 1 and rounds[0] is not None and rounds[0].added
    assert next(n for n in again.notes if n.startswith("print: added")) == padded
    assert {o.edition: o.path.read_bytes() for o in again.outputs} == \
        _cold(project, ["pdf", "print"], tmp_path / "cold-1", tmp_path / "cache-1")
    # a chapter that grows by pages: the last padding no longer fits; the padding for the page count
    # it implies is laid out at once (not a round without padding first), and it is a cold build's
    alpha = project.root / "manuscript" / "01-alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\n" + "\n\n".join(prose(n, 120) for n in range(7)) + "\n",
                     encoding="utf-8")
    rounds.clear()
    grown = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    assert next(n for n in grown.notes if n.startswith("print: added")) != padded
    assert len(rounds) == 2 and rounds[0] is not None and rounds[1] is not None and rounds[1] != rounds[0]
    rounds.clear()
    assert {o.edition: o.path.read_bytes() for o in grown.outputs} == \
        _cold(project, ["pdf", "print"], tmp_path / "cold-2", tmp_path / "cache-2")


def test_the_padding_is_settled_from_the_chapters_layouts_before_the_closing_parts_are_laid_out(book_copy, tmp_path):
    """A rebuild whose page count changes settles its signature padding as soon as every part's
    layout is known and the front matter is laid out with its page numbers (scheduler._Run.rebase),
    not after every part of a round with the last build's padding is written: the closing parts of
    that padding are not laid out at all. Here a chapter grows by 4 pages: the 4 blank pages before
    the colophon give way to them, and the colophon and the closing blank page stay where the cold
    build had them (their layouts come from the cache). One worker (in this process): the order of
    the layouts is fixed. The bytes are a cold build's."""
    from collections import Counter

    project = book_copy
    builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=1)
    alpha = project.root / "manuscript" / "01-alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\n" + "\n\n".join(prose(n, 120) for n in range(7)) + "\n",
                     encoding="utf-8")
    messages: list[str] = []
    grown = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=1, report=lambda m: messages.append(str(m)))
    layouts_of = Counter(m.split(": ", 1)[1] for m in messages if m.startswith("laying out print: "))
    assert layouts_of["alpha"] == 1 and layouts_of["front"] <= 2, layouts_of
    closing = {name: n for name, n in layouts_of.items() if name == "colophon" or name.endswith("+blanks")}
    assert not closing, closing  # (the last build's padding: 4 blank pages before the colophon, 1 at the end)
    assert next(n for n in grown.notes if n.startswith("print: added")).startswith("print: added 1 blank page (1 at the end)")
    assert re.search(r"\(6 laid out now", _notes(messages, "print: laid out in"))  # (the chapters moved, the front twice)
    assert {o.edition: o.path.read_bytes() for o in grown.outputs} == \
        _cold(project, ["pdf", "print"], tmp_path / "cold", tmp_path / "cold-cache")


def test_a_part_whose_blank_page_would_lead_into_the_next_part_is_not_finished_on_its_own(tmp_path):
    """A blank page links lead on from leads to the next page kept: inside the part, or (the last
    part) back to its last page kept; otherwise the whole layout is finished instead."""
    from tinybook import make

    result = builder.build(load(make(tmp_path / "book")), ["print"], tmp_path / "out", epoch=EPOCH)
    data = result.outputs[0].path.read_bytes()
    with pikepdf.open(io_bytes(data)) as pdf:
        count = len(pdf.pages)
    assert count >= 3
    trailing = [False] * (count - 1) + [True]
    assert screen.derive_part(data, trailing, [], last=False) is None
    assert screen.derive_part(data, [True] * count, [], last=True) is None
    made = screen.derive_part(data, trailing, [(count - 1, 1, "End", 0.0, 10.0, "open")], last=True)
    assert made.kept == tuple(range(count - 1))
    assert made.bookmarks == [(count - 2, 1, "End", None, None, "open")]  # to the top of the last page kept
    leading = [True] + [False] * (count - 1)
    made = screen.derive_part(data, leading, [(0, 1, "Start", 0.0, 10.0, "open")], last=False)
    assert made.kept == tuple(range(1, count)) and made.bookmarks == [(0, 1, "Start", None, None, "open")]
    with pikepdf.open(io_bytes(made.pdf)) as pdf:
        assert len(pdf.pages) == count - 1
        assert [int(p.obj.StructParents) for p in pdf.pages if "/StructParents" in p.obj] == list(range(count - 1))


def io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


def test_edits_that_reach_other_chapters_give_a_cold_builds_bytes(book_copy, tmp_path):
    """What a rebuild reuses (layouts, the screen parts, the sources' findings) never hides a change
    that one chapter's edit makes to another: an id given to a heading in gamma changes the link to it
    in alpha (whose file is unchanged); a note added in beta moves the pages after it."""
    project = book_copy
    before = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2).outputs[0].path.read_bytes()
    gamma, beta = (project.root / "manuscript" / name for name in ("03-gamma.md", "02-beta.md"))
    gamma.write_text(gamma.read_text(encoding="utf-8").replace("## Section 1 of Gamma", "## Section 1 of Gamma {#moved}"),
                     encoding="utf-8")
    messages: list[str] = []
    first = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
    laid_now = int(re.search(r"\((\d+) laid out now", _notes(messages, "print: laid out in")).group(1))
    assert laid_now >= 2, messages  # gamma, and alpha whose link now reads #gamma-moved
    with pikepdf.open(first.outputs[0].path) as pdf:
        names = {str(name) for name in pikepdf.NameTree(pdf.Root.Names.Dests).keys()}
    assert "gamma-moved" in names and "gamma-section-1-of-gamma" not in names
    assert first.outputs[0].path.read_bytes() != before
    cold = _cold(project, ["pdf", "print"], tmp_path / "cold1", tmp_path / "cold-cache1")
    assert {o.edition: o.path.read_bytes() for o in first.outputs} == cold
    before = first.outputs[0].path.read_bytes()
    text = beta.read_text(encoding="utf-8")
    beta.write_text(text.replace(".\n", ".[^added]\n\n[^added]: A note added to beta, with more words in it.\n", 1),
                    encoding="utf-8")
    second = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    cold = _cold(project, ["pdf", "print"], tmp_path / "cold2", tmp_path / "cold-cache2")
    assert {o.edition: o.path.read_bytes() for o in second.outputs} == cold
    assert second.outputs[0].path.read_bytes() != before


def test_a_worker_warmed_with_the_stylesheets_lays_a_part_out_to_the_same_bytes(book_copy, monkeypatch):
    """The build's first worker reads the stylesheets (and loads their fonts) while the manuscript
    is read (worker.warm): the part it lays out next is the one a fresh worker makes."""
    from spindle.editions.paged import worker
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    project = book_copy
    theme = Theme(project)
    edition = layouts._edition(load_book(project), theme, "print", EPOCH, False)
    part = edition.parts[2]
    job = worker.Job(name=part.name, html=part.html, styles=edition.styles, lead="left", number=4, page_starts=True)

    def laid_out(warmed: bool):
        worker.reset()
        if warmed:
            worker.warm(edition.styles)
            assert edition.styles.key in worker._STYLES  # read, its fonts loaded
        held = worker.lay_out(job)
        laid = dataclasses.asdict(held.laid)
        done = worker.finish(held, worker.Numbering(lead=4, keep_blank=True))
        return laid, done.pdf, done.anchors, done.bookmarks, done.starts

    try:
        cold, warmed = laid_out(False), laid_out(True)
    finally:
        worker.reset()
    assert cold[0]["pages"] > 1
    assert warmed == cold


def test_the_chapters_paged_bodies_read_from_the_cache_are_the_ones_made_anew(book_copy, tmp_path):
    """render.paged_html keeps each chapter's body (notes in place, code lines and long runs marked)
    in the cache: the HTML made with the cache, empty or filled, is the HTML made without it, and a
    chapter whose HTML changed gets a body of its own."""
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme, render

    project = book_copy
    book, theme = load_book(project), Theme(project)
    store = caching.Cache(tmp_path / "cache")
    plain = render.paged_html(book, "print", theme, EPOCH)
    assert render.paged_html(book, "print", theme, EPOCH, store=store) == plain
    kept = list((tmp_path / "cache" / "bodies").rglob("*.html"))
    assert len(kept) == len(book.chapters)
    assert render.paged_html(book, "print", theme, EPOCH, store=store) == plain  # (read back)
    chapter = project.root / "manuscript" / "04-delta.md"  # (no link leads into it: the others are as they were)
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("## Section 1 of Delta samen", "## A new title"),
                       encoding="utf-8")
    edited = load_book(project)
    assert render.paged_html(edited, "print", theme, EPOCH, store=store) == render.paged_html(edited, "print", theme, EPOCH)
    assert len(list((tmp_path / "cache" / "bodies").rglob("*.html"))) == len(kept) + 1
    assert "A new title" in render.paged_html(edited, "print", theme, EPOCH, store=store)


def test_the_workers_leave_no_temporary_files(book_copy, tmp_path, monkeypatch):
    """Each worker's temporary files (WeasyPrint's copies of the stylesheets' fonts, which only its
    font configuration's __del__ removes, never run in a worker that is stopped) are removed with it."""
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = builder.build(book_copy, ["pdf"], epoch=EPOCH, jobs=2)
    assert result.outputs[0].pages > 10
    assert list(scratch.iterdir()) == []
