"""Plain Markdown chapters (issue 12, item 1): no front matter needed.

The same chapter written with front matter and as plain Markdown (title as its
first '#' heading) builds to the same title, heading ids and links, read back
from the EPUB's XHTML and the PDF's text. A heading that carries its own
number is not numbered again; a file without a heading is titled after its name
with a warning; heading levels are taken relative to the first heading."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from conftest import EPOCH, PdfPages
from spindle.build import orchestrate as builder
from spindle.project.config import load

BOOK = """[book]
title = "Harbour Book"
language = "en"
authors = ["Test Author"]

[contents]
chapters = ["manuscript/harbour.md", "manuscript/quay.md"]
"""

BODY = """
The lights are lit at dusk. See [the beacons](#beacons) and [the quay's cranes](quay.md#cranes),
or go back to [the top](harbour.md#harbour-lights).

## Beacons

Red to port, green to starboard.

### Leading lights

Two lights in a line.
"""

QUAY = """# Quay

Ships tie up here.

## Cranes

They lift containers. Back to [the beacons](harbour.md#beacons).
"""


def _project(root: Path, harbour: str) -> Path:
    (root / "manuscript").mkdir(parents=True)
    (root / "book.toml").write_text(BOOK, encoding="utf-8")
    (root / "manuscript" / "harbour.md").write_text(harbour, encoding="utf-8")
    (root / "manuscript" / "quay.md").write_text(QUAY, encoding="utf-8")
    return root / "book.toml"


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """The book built twice: harbour.md with front matter, and as plain Markdown."""
    built = {}
    for name, text in (("front", "---\ntitle: Harbour Lights\n---\n" + BODY),
                       ("plain", "# Harbour Lights\n" + BODY)):
        root = tmp_path_factory.mktemp(name)
        project = load(_project(root, text))
        result = builder.build(project, ("pdf", "epub"), root / "build", epoch=EPOCH)
        built[name] = ({o.edition: o.path for o in result.outputs}, result)
    return built


def _xhtml(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read(next(n for n in z.namelist() if n.endswith(name))).decode()


def test_same_title_ids_and_links_with_and_without_front_matter(twins):
    seen = {}
    for name, (outputs, result) in twins.items():
        harbour = _xhtml(outputs["epub"], "harbour.xhtml")
        quay = _xhtml(outputs["epub"], "quay.xhtml")
        title = re.search(r'<h1 class="chapter-title"[^>]*>(.*?)</h1>', harbour).group(1)
        heading_ids = re.findall(r'<h[2-6][^>]*\sid="([^"]+)"', harbour + quay)
        links = re.findall(r'<a\b[^>]*\shref="([^"]+)"', harbour + quay)
        pdf = PdfPages(outputs["pdf"])
        seen[name] = (title, heading_ids, [l for l in links if "harbour-lights" not in l], pdf.normalize(" ".join(pdf.texts)))
        assert title == "Harbour Lights"
        assert heading_ids == ["harbour-beacons", "harbour-leading-lights", "quay-cranes"]
        assert "#harbour-beacons" in links and "quay.xhtml#quay-cranes" in links
        assert not [w for w in result.warnings if "link" in w], result.warnings
    assert seen["front"] == seen["plain"]


def test_plain_title_keeps_its_id_and_links_to_it_work(twins):
    outputs, _ = twins["plain"]
    harbour = _xhtml(outputs["epub"], "harbour.xhtml")
    assert '<h1 class="chapter-title" id="harbour-harbour-lights">Harbour Lights</h1>' in harbour
    assert 'href="#harbour-harbour-lights"' in harbour
    assert harbour.count("Harbour Lights</h1>") == 1  # the heading moved into the title, not printed twice
    pdf = PdfPages(outputs["pdf"])
    assert pdf.normalize(" ".join(pdf.texts)).count("harbourlights") == pdf.normalize(
        " ".join(PdfPages(twins["front"][0]["pdf"]).texts)).count("harbourlights")


def _load(tmp_path: Path, files: dict[str, str]):
    from spindle.manuscript.load import load_book

    (tmp_path / "manuscript").mkdir()
    for name, text in files.items():
        (tmp_path / "manuscript" / name).write_text(text, encoding="utf-8")
    chapters = ", ".join(f'"manuscript/{n}"' for n in files)
    (tmp_path / "book.toml").write_text(f'[book]\ntitle = "T"\n[contents]\nchapters = [{chapters}]\n', encoding="utf-8")
    return load_book(load(tmp_path / "book.toml"))


def test_numbered_headings_are_not_numbered_twice(tmp_path):
    from spindle.editions.epub.writer import toc_tree

    book = _load(tmp_path, {"a.md": "# 1. Background\n\nText.\n", "b.md": "# Chapter 4: Results\n\nText.\n",
                            "c.md": "# 第1章 概要\n\n本文。\n", "d.md": "# Methods\n\nText.\n"})
    assert [c.self_numbered for c in book.chapters] == [True, True, True, False]
    # most chapters number themselves: the book does its own numbering, spindle adds none
    assert [e.label for e in toc_tree(book)] == ["1. Background", "Chapter 4: Results", "第1章 概要", "Methods"]


def test_one_numbered_title_keeps_the_others_numbered(tmp_path):
    from spindle.editions.epub.writer import toc_tree

    book = _load(tmp_path, {"a.md": "# Origins\n\nText.\n", "b.md": "# 1984 and After\n\nText.\n",
                            "c.md": "# Methods\n\nText.\n"})
    assert [e.label for e in toc_tree(book)] == ["1. Origins", "1984 and After", "3. Methods"]


def test_levels_relative_to_the_first_heading_and_title_from_file_name(tmp_path):
    book = _load(tmp_path, {"01-deep.md": "## Deep Title\n\nText.\n\n### Part A\n\n#### Detail\n\n## Another top\n",
                            "02-no-heading.md": "Just text, no heading.\n"})
    deep, bare = book.chapters
    assert deep.title == "Deep Title"
    assert [(h.level, h.text) for h in deep.headings] == [(2, "Part A"), (3, "Detail"), (2, "Another top")]
    assert not [w for w in deep.warnings if "heading" in w]
    assert bare.title == "No heading"
    assert bare.warnings == ("manuscript/02-no-heading.md: no heading to take the chapter title from; titled "
                             "'No heading' after the file name (start the file with a '# Title' line, or give it "
                             "front matter with 'title:')",)


def test_setext_title_and_later_hash_headings(tmp_path):
    book = _load(tmp_path, {"s.md": "Setext Title\n============\n\nText.\n\n# Second top\n\nMore.\n\nSub\n---\n"})
    (chapter,) = book.chapters
    assert chapter.title == "Setext Title"
    assert [(h.level, h.text) for h in chapter.headings] == [(2, "Second top"), (2, "Sub")]


def test_long_non_latin_note_with_raw_html(tmp_path):
    """tinyhtml5 takes a string under 200 characters for a file name when such a file exists: a
    footnote of 114 Japanese characters (342 bytes) in a chapter with raw HTML once failed with
    'File name too long'. spindle hands it a stream."""
    long_text = "このようなプリミティブ型からオブジェクト型への変換はボックス化と呼ばれます。" * 3
    book = _load(tmp_path, {"a.md": f"# A\n\nText.[^1] <span>raw</span>\n\n[^1]: {long_text}\n"})
    assert long_text in book.chapters[0].notes[0].html
