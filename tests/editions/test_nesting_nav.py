"""Files nested three deep under a chapter (tests/fixtures/nesting: as an mdBook SUMMARY with a
sub-sub-chapter, or a MkDocs nav three deep, nests them) each have a document of their own in the
EPUB's spine, and every such document is in the navigation (and the NCX) at the default toc_depth 2
and at toc_depth 1: toc_depth limits headings, never files. The PDF bookmarks list every nested
file too (a file nested three deep has a level-4 title), and no heading below ###."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.project.config import load

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nesting"
H = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
     "opf": "http://www.idpf.org/2007/opf", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
OWN = {"cover.xhtml", "titlepage.xhtml", "nav.xhtml"}  # reached through the landmarks


def build(tmp_path: Path, editions: tuple[str, ...], extra: str = "") -> dict[str, Path]:
    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    if extra:
        (root / "book.toml").write_text((root / "book.toml").read_text() + extra, encoding="utf-8")
    result = builder.build(load(root / "book.toml"), editions, root / "build", epoch=EPOCH)
    return {o.edition: o.path for o in result.outputs}


def navigation(epub: Path) -> tuple[list[str], list[tuple[int, str, str]], list[str]]:
    """(the spine's files, (depth, label, file) of each entry of the toc nav, the NCX's files)."""
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        ncx = etree.fromstring(z.read(next(n for n in z.namelist() if n.endswith(".ncx"))))
    manifest = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", H)}
    spine = [manifest[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", H)]
    (toc,) = nav.xpath("//h:nav[@epub:type='toc']", namespaces=H)
    entries = [(len(a.xpath("ancestor::h:ol", namespaces=H)), "".join(a.itertext()).strip(), a.get("href").split("#")[0])
               for a in toc.iterfind(".//h:a", H)]
    return spine, entries, [s.split("#")[0] for s in ncx.xpath("//ncx:content/@src", namespaces=H)]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("nesting"), ("pdf", "epub"))


def test_every_spine_document_is_in_the_navigation_at_the_default_depth(outputs):
    spine, entries, ncx = navigation(outputs["epub"])
    chapters = [name for name in spine if name not in OWN]
    assert len(chapters) == 6  # the house, its floor, room, cupboard and cellar, the garden
    assert set(chapters) <= {file for _, _, file in entries}
    assert set(chapters) <= set(ncx)
    labels = [(depth, label) for depth, label, _ in entries]
    assert labels == [(1, "1. The House"), (2, "Its walls"), (2, "The Floor"), (3, "The Room"), (4, "The Cupboard"),
                      (2, "The Cellar"), (1, "2. The Garden"), (2, "Its pond")]  # no ### heading (toc_depth 2)


def test_at_depth_one_the_files_stay_and_the_headings_go(tmp_path):
    epub = build(tmp_path, ("epub",), "\n[editions.epub]\ntoc_depth = 1\n")["epub"]
    spine, entries, ncx = navigation(epub)
    assert set(spine) - OWN <= {file for _, _, file in entries} & set(ncx)
    assert [(d, label) for d, label, _ in entries] == [(1, "1. The House"), (2, "The Floor"), (3, "The Room"),
                                                       (4, "The Cupboard"), (2, "The Cellar"), (1, "2. The Garden")]


def test_the_pdf_bookmarks_list_every_nested_file(outputs):
    reader = pypdf.PdfReader(outputs["pdf"])
    found: list[tuple[int, str]] = []

    def walk(items, depth: int = 1) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title))

    walk(reader.outline)
    assert found == [(1, "Contents"), (1, "The House"), (2, "Its walls"), (2, "The Floor"), (3, "Its boards"),
                     (3, "The Room"), (4, "The Cupboard"), (2, "The Cellar"), (1, "The Garden"), (2, "Its pond")]
