"""The screen PDF, checked in the built file itself: text, table of contents,
bookmarks, fonts, tagging, metadata, footnotes and links."""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections import Counter

import pikepdf
import pytest

BODY_FONT = "Spindle-Serif"  # the theme's text face, fonts.css: "Spindle Serif" = Linux Libertine
BODY_FAMILY = "Linux Libertine"


@pytest.fixture(scope="module")
def pages(pdf_pages):
    return pdf_pages("pdf")


@pytest.fixture(scope="module")
def pdf(outputs):
    with pikepdf.open(outputs["pdf"]) as document:
        yield document


@pytest.fixture(scope="module")
def starts(pages, book) -> dict[str, int]:
    return pages.chapter_starts(book)


# --- helpers ---------------------------------------------------------------------------

def collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def page_numbers(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    return {page.obj.objgen: i for i, page in enumerate(pdf.pages)}


def named_destinations(pdf: pikepdf.Pdf) -> dict[str, object]:
    named: dict[str, object] = {}
    names = pdf.Root.get("/Names")
    if names is not None and "/Dests" in names:
        for key, value in pikepdf.NameTree(names.Dests).items():
            named[str(key)] = value
    dests = pdf.Root.get("/Dests")
    if dests is not None:
        for key, value in dests.items():
            named[key.lstrip("/")] = value
    return named


def destination_page(dest, pdf: pikepdf.Pdf, named: dict[str, object]) -> int | None:
    """The page index an outline item's or link's destination points to."""
    if isinstance(dest, (pikepdf.String, pikepdf.Name, str)):
        dest = named.get(str(dest).lstrip("/") if isinstance(dest, pikepdf.Name) else str(dest))
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if not isinstance(dest, pikepdf.Array) or len(dest) == 0:
        return None
    target = dest[0]
    if isinstance(target, int):  # remote-style page number
        return int(target)
    return page_numbers(pdf).get(target.objgen)


def link_target(annot) -> object | None:
    """The destination of an internal link annotation (None for URI links)."""
    if "/Dest" in annot:
        return annot.Dest
    action = annot.get("/A")
    if action is not None and action.get("/S") == "/GoTo":
        return action.D
    return None


def links(pdf: pikepdf.Pdf, page_indexes=None):
    for i, page in enumerate(pdf.pages):
        if page_indexes is not None and i not in page_indexes:
            continue
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == "/Link":
                yield i, annot


def all_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font dictionary used by a page, a form XObject or a Type 3 font."""
    fonts: dict[object, pikepdf.Dictionary] = {}
    visited: set[object] = set()

    def key(obj):
        return obj.objgen if obj.objgen != (0, 0) else id(obj)

    def visit(resources):
        if resources is None or key(resources) in visited:
            return
        visited.add(key(resources))
        for font in resources.get("/Font", {}).values():
            if key(font) not in fonts:
                fonts[key(font)] = font
                visit(font.get("/Resources"))
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))
    return list(fonts.values())


def font_program_names(stream: pikepdf.Stream) -> set[str]:
    """Family and full names recorded inside an embedded font program."""
    from fontTools.cffLib import CFFFontSet
    from fontTools.ttLib import TTFont

    data = stream.read_bytes()
    names: set[str] = set()
    if data[:4] in (b"OTTO", b"\x00\x01\x00\x00", b"true"):
        font = TTFont(io.BytesIO(data))
        if "name" in font:
            names |= {font["name"].getDebugName(n) or "" for n in (1, 4, 6, 16)}
        if "CFF " in font:
            cff = font["CFF "].cff
            names |= {getattr(cff[n], "FamilyName", "") or "" for n in cff.fontNames} | set(cff.fontNames)
    else:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        names |= {getattr(cff[n], "FamilyName", "") or "" for n in cff.fontNames} | set(cff.fontNames)
    return {n for n in names if n}


# --- text and reading order ------------------------------------------------------------

def test_every_chapter_title_is_in_the_text_in_reading_order(pages, book):
    text = "".join(pages.normalized[pages.toc_page() + 1:])
    position = 0
    for chapter in book.chapters:
        found = text.find(pages.normalize(chapter.title), position)
        assert found >= 0, f"{chapter.title!r} ({chapter.display}) missing, or out of reading order"
        position = found + 1


def test_chapters_start_on_their_own_pages(starts, book):
    ordered = [starts[c.id] for c in book.chapters]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered), ordered


# --- table of contents -----------------------------------------------------------------

def test_toc_page_numbers_are_the_chapter_start_pages(pages, book, starts):
    """The contents' numbers are the printed ones (the screen PDF is made from the print layout,
    its blank pages left out): each is the start page's label and the folio printed on it."""
    toc = pages.toc_page()
    text = collapse(pages.texts[toc])
    labels = pages.reader.page_labels
    for chapter in book.chapters:
        m = re.search(re.escape(collapse(chapter.title)) + r"[\s.]*?(\d+)(?!\d)", text)
        assert m, f"table of contents has no line 'Title ..... N' for {chapter.title!r}:\n{pages.texts[toc]}"
        printed = int(m.group(1))
        start = starts[chapter.id]
        assert str(printed) == labels[start], (
            f"TOC says {chapter.title!r} is on page {printed}; it starts on the page labelled {labels[start]}"
        )
        assert str(printed) in pages.lines(start), (
            f"page {start + 1}, where {chapter.title!r} starts, does not show the folio {printed}: "
            f"{pages.lines(start)}"
        )


def test_toc_links_lead_to_the_chapter_start_pages(pdf, pages, book, starts):
    toc = pages.toc_page()
    first_chapter = min(starts.values())
    named = named_destinations(pdf)
    targets: dict[str, set[int | None]] = {}
    for _, annot in links(pdf, range(toc, first_chapter)):
        dest = link_target(annot)
        if isinstance(dest, (pikepdf.String, pikepdf.Name)):
            targets.setdefault(str(dest).lstrip("/"), set()).add(destination_page(dest, pdf, named))
    for chapter in book.chapters:
        assert chapter.id in targets, f"no link in the table of contents to #{chapter.id} ({chapter.title!r})"
        assert targets[chapter.id] == {starts[chapter.id]}, (
            f"TOC link to {chapter.title!r} leads to page(s) "
            f"{sorted(p + 1 for p in targets[chapter.id] if p is not None)}, the chapter starts on page "
            f"{starts[chapter.id] + 1}"
        )


# --- bookmarks -------------------------------------------------------------------------

def test_bookmarks_exist_for_every_chapter_and_point_to_its_start(pdf, book, starts):
    named = named_destinations(pdf)
    assert "/Outlines" in pdf.Root, "the PDF has no outline (bookmarks)"
    with pdf.open_outline() as outline:
        top = [(collapse(item.title), destination_page(item.destination or (item.action or {}).get("/D"), pdf, named))
               for item in outline.root]
    titles = [title for title, _ in top]
    position = 0
    for chapter in book.chapters:
        title = collapse(chapter.title)
        assert title in titles[position:], f"no bookmark {title!r} (in reading order) among {titles}"
        position = titles.index(title, position)
        assert top[position][1] == starts[chapter.id], (
            f"bookmark {title!r} leads to page {top[position][1]}, the chapter starts on page "
            f"{starts[chapter.id] + 1}"
        )
        position += 1


# --- fonts -------------------------------------------------------------------------------

def test_every_font_is_embedded(pdf):
    fonts = all_fonts(pdf)
    assert fonts, "no fonts found at all"
    missing = []
    for font in fonts:
        subtype = font.get("/Subtype")
        if subtype == "/Type3":  # glyphs are content streams inside the font itself
            continue
        parts = list(font.DescendantFonts) if subtype == "/Type0" else [font]
        for part in parts:
            descriptor = part.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(part.get("/BaseFont")))
    assert not missing, f"fonts not embedded: {missing}"


def test_body_font_is_the_theme_serif_linux_libertine(pdf, pages):
    chars = Counter()
    for runs in pages.runs:
        for run in runs:
            chars[run.font] += len(run.text.strip())
    body, _ = chars.most_common(1)[0]
    assert body == BODY_FONT, f"most text is set in {body}, expected {BODY_FONT}: {chars.most_common(5)}"
    serif = [f for f in all_fonts(pdf) if re.sub(r"^/([A-Z]{6}\+)?", "", str(f.get("/BaseFont"))) == BODY_FONT]
    assert serif, f"no font named {BODY_FONT}"
    part = serif[0].DescendantFonts[0] if serif[0].get("/Subtype") == "/Type0" else serif[0]
    descriptor = part.FontDescriptor
    program = next(descriptor[k] for k in ("/FontFile3", "/FontFile2", "/FontFile") if k in descriptor)
    names = font_program_names(program)
    assert any(BODY_FAMILY in n or "LinLibertine" in n for n in names), (
        f"the embedded {BODY_FONT} program is not {BODY_FAMILY}: {names}"
    )


# --- structure and metadata --------------------------------------------------------------

def test_pdf_is_tagged(pdf, book):
    mark_info = pdf.Root.get("/MarkInfo")
    assert mark_info is not None and bool(mark_info.get("/Marked")) is True, "/MarkInfo /Marked is not true"
    tree = pdf.Root.get("/StructTreeRoot")
    assert tree is not None and "/K" in tree, "no /StructTreeRoot (or an empty one)"
    roles = Counter()

    def walk(node):
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                roles[str(node.S)] += 1
            if "/K" in node:
                walk(node.K)
        elif isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)

    walk(tree)
    assert roles["/H1"] >= len(book.chapters), f"fewer H1 structure elements than chapters: {roles}"
    assert roles["/P"] > 0, roles


def test_document_metadata(pdf, book, epoch):
    info = pdf.docinfo
    meta = book.meta
    assert meta.title in str(info.get("/Title", "")), f"/Title is {info.get('/Title')!r}"
    author = str(info.get("/Author", ""))
    assert author, "no /Author"
    for person in meta.authors:
        assert person.name in author, f"/Author {author!r} lacks {person.name!r}"
    assert str(pdf.Root.get("/Lang", "")) == meta.language == "en"
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("D:%Y%m%d%H%M%S")
    for key in ("/CreationDate", "/ModDate"):
        assert str(info.get(key, "")).startswith(stamp), f"{key} {info.get(key)!r} is not SOURCE_DATE_EPOCH"


# --- footnotes -----------------------------------------------------------------------------

def test_footnotes_sit_on_the_page_of_their_call(pages, book, starts, sample_build):
    """Each note's text is at the foot of the page that holds its call (the small
    superscript number in the text); checked for every note of the book."""
    sizes = Counter()
    for runs in pages.runs:
        for run in runs:
            sizes[round(run.size, 1)] += len(run.text)
    body_size = sizes.most_common(1)[0][0]
    order = [starts[c.id] for c in book.chapters] + [len(pages)]
    checked, problems = 0, []
    for index, chapter in enumerate(book.chapters):
        first, end = order[index], order[index + 1]
        calls: dict[int, list[int]] = {}
        for page in range(first, end):
            for run in pages.runs[page]:
                if run.text.strip().isdigit() and run.size < 0.75 * body_size:
                    calls.setdefault(int(run.text.strip()), []).append(page)
        for note in chapter.notes:
            call_pages = calls.get(note.number, [])
            assert len(call_pages) == 1, (
                f"{note.id}: expected one superscript call '{note.number}' in pages {first + 1}-{end}, "
                f"found it on {[p + 1 for p in call_pages]}"
            )
            snippet = pages.normalize(plain(note.html))[:40]
            note_pages = [i for i, text in enumerate(pages.normalized) if snippet in text]
            assert len(note_pages) == 1, f"{note.id}: note text found on pages {[p + 1 for p in note_pages]}"
            checked += 1
            if note_pages[0] != call_pages[0]:
                problems.append(f"{note.id}: call on page {call_pages[0] + 1}, note text on page {note_pages[0] + 1}")
    assert checked > 0, "the sample book has no footnotes to check"
    # WeasyPrint defers a page's last note to the next page to make room for a line (widows and
    # orphans); spindle lays such parts out again keeping the notes (footnotes.notes_kept): no note
    # of the sample book is off its call's page, in either paged edition, and none is reported so.
    assert problems == []
    assert not [n for n in sample_build.notes if "set on the page after their call" in n]


def test_notes_can_be_kept_with_this_weasyprint():
    """footnotes.notes_kept switches off one branch of WeasyPrint 70's line layout by its source:
    a WeasyPrint whose source differs would silently let notes drift again."""
    from spindle.editions.paged import footnotes

    with footnotes.notes_kept() as able:
        assert able


# --- links ------------------------------------------------------------------------------------

def test_internal_links_resolve_to_pages(pdf, book):
    named = named_destinations(pdf)
    internal, broken, uris = 0, [], []
    for page, annot in links(pdf):
        dest = link_target(annot)
        if dest is None:
            action = annot.get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.append(str(action.URI))
            continue
        internal += 1
        if destination_page(dest, pdf, named) is None:
            broken.append(f"page {page + 1}: {dest}")
    assert internal >= len(book.chapters), f"only {internal} internal links"
    assert not broken, f"internal links with no destination page: {broken}"
    assert all(re.match(r"(https?|mailto):", u) for u in uris), uris
    targets = {str(link_target(a)).lstrip("/") for _, a in links(pdf) if link_target(a) is not None}
    for chapter in book.chapters:
        assert chapter.id in named, f"no named destination for #{chapter.id}"
        assert chapter.id in targets, f"nothing links to #{chapter.id}"


def test_the_samples_template_override_replaces_the_built_in_title_page(pdf_pages, outputs):
    """templates/partials/titlepage.html in the sample project is used instead of the theme's, in the
    screen PDF, the print edition and the EPUB's title page."""
    import zipfile

    occasion = "Launched at the Partos Innovation Festival, 11 October 2018"
    for edition in ("pdf", "print"):
        pages = pdf_pages(edition)
        assert any(pages.normalize(occasion) in pages.normalize(text) for text in pages.texts[:4]), edition
    with zipfile.ZipFile(outputs["epub"]) as epub:
        name = next(n for n in epub.namelist() if n.endswith("titlepage.xhtml"))
        assert f'<p class="occasion">{occasion}</p>' in epub.read(name).decode()
