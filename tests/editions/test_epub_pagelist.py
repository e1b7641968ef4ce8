"""The sample book's EPUB carries a page-list mapped to its print edition: one
entry per printed page, each pointing at a page-break marker placed where that
printed page begins, checked against the print PDF's own text."""

from __future__ import annotations

import pytest
from lxml import etree

from spindle.build import orchestrate as builder
from spindle.editions.epub import writer as epub_module
from test_epub import NS, Epub

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SKIP = {"footnote", "pagebreak"}


@pytest.fixture(scope="module")
def epub(outputs):
    return Epub(outputs["epub"])


@pytest.fixture(scope="module")
def page_list(epub) -> list[tuple[str, str]]:
    nav = epub.xml(epub.by_property("nav")[0].get("href"))
    lists = nav.xpath("//h:nav[@epub:type='page-list']", namespaces=NS)
    assert len(lists) == 1, "no page-list in the sample book's EPUB (it is built with the print edition)"
    return [(a.text, a.get("href")) for a in lists[0].xpath("./h:ol/h:li/h:a", namespaces=NS)]


def text_after(root, marker, normalize) -> str:
    """The reading text that follows *marker* in its document (notes and note calls left out)."""
    out: list[str] = []
    state = {"on": False}

    def walk(element):
        if element is marker:
            state["on"] = True
        classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
        skipped = "noteref" in classes or element.get(EPUB_TYPE) in SKIP
        if state["on"] and element.text and not skipped:
            out.append(element.text)
        if not skipped:
            for child in element:
                walk(child)
        if state["on"] and element.tail:
            out.append(element.tail)

    walk(root)
    return normalize("".join(out))


def test_one_entry_per_printed_page(page_list, pdf_pages):
    printed = len(pdf_pages("print"))
    assert [label for label, _ in page_list] == [str(n) for n in range(1, printed + 1)]


def test_every_entry_points_at_its_page_break_marker(epub, page_list):
    for label, href in page_list:
        root = epub.xml(href)
        found = root.xpath("//*[@id=$i]", i=href.split("#")[1])
        assert found, f"page {label}: {href} has no target"
        marker = found[0]
        assert marker.tag == "{http://www.w3.org/1999/xhtml}span" and marker.get(EPUB_TYPE) == "pagebreak"
        assert marker.get("role") == "doc-pagebreak" and marker.get("aria-label") == label
        assert not len(marker) and not (marker.text or "").strip()


def test_markers_are_in_page_order_through_the_spine(epub, page_list):
    spine = epub.spine_hrefs
    order = []
    for href in spine:
        ids = etree.fromstring(epub.read(href)).xpath("//*[@epub:type='pagebreak']/@aria-label", namespaces=NS)
        order += [int(i) for i in ids]
    assert order == sorted(order) and len(order) == len(page_list)


def test_entries_begin_where_the_printed_pages_begin(epub, book, page_list, pdf_pages):
    """For every printed page of a chapter that has text, the EPUB text right after the
    marker is on that printed page (its first 24 letters and digits, or all of a shorter page)."""
    pdf = pdf_pages("print")
    chapter_files = {c.href for c in book.chapters}
    checked = 0
    for label, href in page_list:
        number = int(label)
        page_text = pdf.normalized[number - 1]
        file_name, fragment = href.split("#")
        if file_name not in chapter_files or not page_text:
            continue  # blank pages share the next page's place; front matter differs between editions
        root = epub.xml(file_name)
        marker = root.xpath("//*[@id=$i]", i=fragment)[0]
        following = text_after(root, marker, pdf.normalize)
        probe = following[: min(24, len(page_text))]
        assert probe and probe in page_text, (
            f"page {number}: the EPUB text after the marker ({following[:40]!r}) is not on the printed page "
            f"({page_text[:60]!r})")
        checked += 1
    assert checked >= len(page_list) * 0.7, f"only {checked} of {len(page_list)} pages could be checked"


def test_page_break_source_names_the_print_edition(epub, book):
    assert epub.meta("pageBreakSource") == [epub_module.print_identifier(book)]
    assert epub_module.print_identifier(book).startswith("urn:isbn:")
    assert {"pageBreakMarkers", "pageNavigation"} <= set(epub.meta("schema:accessibilityFeature"))


def test_without_the_print_edition_there_is_no_page_list_and_verbose_says_so(sample_project, tmp_path):
    said: list[str] = []
    result = builder.build(sample_project, ["epub"], tmp_path, epoch=0, report=said.append)
    epub = Epub(result.outputs[0].path)
    assert not epub.xml("nav.xhtml").xpath("//h:nav[@epub:type='page-list']", namespaces=NS)
    assert not epub.xml("introduction.xhtml").xpath("//*[@epub:type='pagebreak']", namespaces=NS)
    assert epub.meta("pageBreakSource") == []
    assert any("no page-list" in line and "print" in line for line in said), said


# --- placing markers (spindle.editions.paged.pagemap.mark), on a small document ---------------------------------------

DOC = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
       'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head><body><section id="c">'
       '<h2 id="page-2">One</h2><p>“Quoted” words here<a class="noteref" href="#n">1</a> and more.</p>'
       '<p><img src="x.png" alt="x"/></p></section></body></html>')


def test_mark_places_markers_before_the_page_s_first_word():
    from spindle.editions.paged.pagemap import PageStart, mark

    starts = [PageStart(1, None), PageStart(2, "c", 0, 0, False, "onequoted"),
              PageStart(3, "c", 9, 0, False, "wordshereandmore"),
              PageStart(4, "c", 99, 0, False, "andmore"),  # counts differ: the probe finds the place
              PageStart(5, "c", 0, 0, True), PageStart(6, None)]
    out, entries = mark({"c.xhtml": DOC}, starts, {"c": "c.xhtml"})
    assert entries == [("1", "c.xhtml#page-1"), ("2", "c.xhtml#page-2-2"), ("3", "c.xhtml#page-3"),
                       ("4", "c.xhtml#page-4"), ("5", "c.xhtml#page-5"), ("6", "c.xhtml#page-6")]
    body = out["c.xhtml"].split("<body>")[1]

    def span(n: int, ident: str | None = None) -> str:
        return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="{ident or f"page-{n}"}" '
                f'aria-label="{n}"/>')

    assert f'<h2 id="page-2">{span(1)}{span(2, "page-2-2")}One</h2>' in body, "blank page 1 shares page 2's place"
    assert f"<p>“Quoted” {span(3)}words here" in body, "an opening quote stays with its word"
    assert f'href="#n">1</a> {span(4)}and more.' in body, "note calls are not counted"
    assert f'<p>{span(5)}<img src="x.png" alt="x"/></p>{span(6)}</section>' in body
    assert out["c.xhtml"].startswith('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html')
