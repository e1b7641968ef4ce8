"""Every page right (issue 13), read from the built PDFs: no glyph or image past the text block,
long code lines wrapped with a continuation mark (or shrunk), images scaled with their aspect kept,
every script set in a real glyph of an embedded font, overflows reported with page and file:line,
WeasyPrint's messages folded into spindle's.

The book is tests/fixtures/pages: code too wide, images too large (Markdown and raw HTML, raster
and SVG, floats), a chapter in eleven scripts."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pikepdf
import pytest

import pagecheck
from conftest import EPOCH, normalize
from spindle.build import orchestrate as builder
from spindle.core.errors import BuildError
from spindle.project.config import load

pdfplumber = pytest.importorskip("pdfplumber")

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
MM = 72 / 25.4
TOLERANCE = 1.0  # pt
SCRIPTS = {  # the scripts chapter (03-scripts.md), a word or two of each
    "Greek": "Ελληνικά", "Cyrillic": "Български", "Korean": "한국어", "Thai": "ภาษาไทย", "Bengali": "বাংলা",
    "Hindi": "हिन्दी", "Arabic": "العربية", "Hebrew": "עברית", "Chinese": "中文的句子", "Japanese": "日本語の文章です",
    "Emoji": "😀", "Maths": "𝔽ℤ",
}


def _copy(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    return dest / "book.toml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    project = load(_copy(root / "book"))
    result = builder.build(project, ("pdf", "epub", "print"), root / "out", epoch=EPOCH)
    return project, result, {o.edition: o.path for o in result.outputs}


def _printed_numbers(path: Path) -> list[int]:
    """The printed page number of each page (pagecheck's, from /PageLabels), else its place."""
    return [number or i + 1 for i, number in enumerate(pagecheck.printed_numbers(path))]


def _text_block(project, edition: str, page, number: int | None = None) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the text block in pdfplumber's coordinates (x as in the PDF,
    top down from the page's bbox), from book.toml's margins. The screen PDF made from the print
    layout (the fixture's, as by default) has the print edition's text block, cut to the trim;
    *number*: the page's printed number (which side of the spread it is)."""
    number = number or page.page_number
    if edition == "pdf" and project.config.editions.screen_layout == "own":
        top, right, bottom, left = 18, 16, 20, 16
        x0, y0 = 0.0, 0.0
        width, height = float(page.width), float(page.height)
    elif edition == "pdf":
        p = project.config.editions.print
        assert (float(page.width), float(page.height)) == pytest.approx(tuple(v * MM for v in p.size), abs=0.01)
        x0, y0 = 0.0, 0.0
        width, height = float(page.width), float(page.height)
        inside, outside = p.margin_inside.mm + p.gutter.mm, p.margin_outside.mm
        top, bottom = p.margin_top.mm, p.margin_bottom.mm
        left, right = (inside, outside) if number % 2 else (outside, inside)
    else:
        p = project.config.editions.print
        trim = [float(v) for v in page.page_obj.attrs["TrimBox"]]
        media = [float(v) for v in page.page_obj.attrs["MediaBox"]]
        x0, y0 = trim[0], float(page.bbox[1]) + media[3] - trim[3]
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        inside, outside = p.margin_inside.mm + p.gutter.mm, p.margin_outside.mm
        top, bottom = p.margin_top.mm, p.margin_bottom.mm
        left, right = (inside, outside) if page.page_number % 2 else (outside, inside)
    return (x0 + left * MM, y0 + top * MM, x0 + width - right * MM, y0 + height - bottom * MM)


def _outside(project, edition: str, path: Path) -> list[str]:
    found = []
    numbers = _printed_numbers(path)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            left, top, right, bottom = _text_block(project, edition, page, numbers[page.page_number - 1])
            for char in page.chars:
                if char["text"].strip() and (char["x0"] < left - TOLERANCE or char["x1"] > right + TOLERANCE):
                    found.append(f"page {page.page_number}: {char['text']!r} at x {char['x0']:.1f}–{char['x1']:.1f}")
            for image in page.images:
                if (image["x0"] < left - TOLERANCE or image["x1"] > right + TOLERANCE
                        or image["top"] < top - TOLERANCE or image["bottom"] > bottom + TOLERANCE):
                    found.append(f"page {page.page_number}: image {image['srcsize']} at "
                                 f"{image['x0']:.0f},{image['top']:.0f}–{image['x1']:.0f},{image['bottom']:.0f}")
    return found


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_nothing_leaves_the_text_block(built, edition):
    project, result, paths = built
    assert _outside(project, edition, paths[edition]) == []
    assert not [w for w in result.warnings if "past the text block" in w]


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_long_code_lines_wrap_with_a_mark(built, edition):
    _, _, paths = built
    with pdfplumber.open(paths[edition]) as pdf:
        index, page = next((i, p) for i, p in enumerate(pdf.pages) if "fn main()" in (p.extract_text() or ""))
        text = page.extract_text()
        mono = [c for c in page.chars if c["fontname"].endswith("Noto-Sans-Mono")]
    # every character of the long lines is there, wrapped, and the text holds nothing else (the mark is not text)
    assert normalize("This message is much longer than the page is wide") in normalize(text)
    assert normalize("a_very_long_identifier_without_any_spaces_at_all_that_cannot_break_anywhere") in normalize(text)
    assert "\u21b3" not in text
    # a continuation row hangs: it starts right of the block's left edge (the gutter holds the mark)
    left = min(c["x0"] for c in mono)
    wide = next(c for c in mono if c["text"] == "w" and "wide" in "".join(
        d["text"] for d in mono if abs(d["top"] - c["top"]) < 1))  # 'wide");', the first long line's last row
    assert wide["x0"] > left + 8
    # the mark: a tiling pattern of the hook image for each wrapped line (4 in the first two blocks)
    with pikepdf.open(paths[edition]) as document:
        patterns = document.pages[index].obj.Resources.get("/Pattern", {})
        tiles = [p for p in patterns.values() if p.get("/PatternType") == 1]
    assert len(tiles) >= 4


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_a_line_of_short_tokens_breaks_between_them(built, edition):
    """01-code.md's `IO.of(signIn).ap(…)` line (mostly-adequate ch10, 14 characters past the block
    before): it wraps, the break between two tokens; the zero-width spaces that allow it are not in
    the text a reader copies."""
    _, _, paths = built
    with pdfplumber.open(paths[edition]) as pdf:
        page = next(p for p in pdf.pages if "IO.of(signIn)" in (p.extract_text() or ""))
        text = page.extract_text()
        chars = page.chars
    rows = [line for line in text.splitlines() if line.startswith("IO.of(signIn)")]
    assert rows and not rows[0].endswith("(IO.of(false));")  # wrapped ...
    assert normalize("IO.of(signIn).ap(getVal('#email')).ap(getVal('#password')).ap(IO.of(false));") in normalize(text)
    assert "\u200b" not in text and not [c for c in chars if c["text"] == "\u200b"]


def test_code_can_shrink_instead(tmp_path):
    book = _copy(tmp_path / "book")
    (book.parent / "styles").mkdir()
    # (the floor sits between the two blocks' fitting sizes in the print edition's 113 mm text block,
    # which the screen PDF has too)
    (book.parent / "styles" / "custom.css").write_text(":root { --code-shrink: 1; --code-min-size: 4.8pt; }\n")
    result = builder.build(load(book), ("pdf",), tmp_path / "out", epoch=EPOCH)
    with pdfplumber.open(result.outputs[0].path) as pdf:
        page = next(p for p in pdf.pages if "main()" in (p.extract_text() or ""))  # ('fnmain': small type)
        sizes = {round(c["size"], 1) for c in page.chars if c["fontname"].endswith("Noto-Sans-Mono")}
        lines = (page.extract_text() or "").splitlines()
    assert min(sizes) < 7  # shrunk from 8.4 pt (0.8 × 10.5 pt) for the widest block ...
    assert min(sizes) >= 4.8  # ... not below the floor
    # the raw listing (101 columns) fits at its shrunk size (about 5 pt): one line, no mark
    assert any(l.startswith("raw listing:") and l.endswith("the/page") for l in lines)
    # the indented block's line (113 columns) would need about 4.6 pt: at the floor, it wraps
    assert not any("indented code block with a line" in l and "characters" in l for l in lines)


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_images_fit_and_keep_their_aspect(built, edition):
    project, _, paths = built
    numbers = _printed_numbers(paths[edition])
    with pdfplumber.open(paths[edition]) as pdf:
        images = [(page, image) for page in pdf.pages for image in page.images]
        assert len(images) >= 8
        for page, image in images:
            left, top, right, bottom = _text_block(project, edition, page, numbers[page.page_number - 1])
            width, height = image["x1"] - image["x0"], image["bottom"] - image["top"]
            assert width <= right - left + TOLERANCE and height <= (bottom - top) * 2 / 3 + TOLERANCE
            source_w, source_h = image["srcsize"]
            assert abs(width / height - source_w / source_h) < 0.02 * source_w / source_h, image["srcsize"]


def test_floats_leave_room_for_text(built):
    project, _, paths = built
    with pdfplumber.open(paths["pdf"]) as pdf:
        page = next(p for p in pdf.pages if "Text beside the float" in (p.extract_text() or ""))
        left, _, right, _ = _text_block(project, "pdf", page)
        width = right - left  # (the same on either side of the spread)
        floats = [i for i in page.images if tuple(i["srcsize"]) == (900, 600) and i["x1"] - i["x0"] < width - 1]
        assert floats and all(i["x1"] - i["x0"] <= 0.45 * width + TOLERANCE for i in floats)


LINKED = "Images that other markup, not their own size"  # 04-linked-images.md's first words


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_images_in_links_in_text_and_with_raw_sizes_stay_in_the_text_block(built, edition):
    """04-linked-images.md: an image inside a link in an indented paragraph (js-primer's
    `[![Watch](…)](…)`, 4.4 mm past the block before the fix), one opening an indented paragraph,
    one in running text, width/height/min-width attributes larger than the page, a raw indent, a wide
    raw wrapper, a raw left margin (11 mm past before), a raw padding and border, a raw relative
    position (15 mm past before), an inline <svg>:
    every one inside the text block, the linked ones still links."""
    project, _, paths = built
    numbers = _printed_numbers(paths[edition])  # (each page's side of the spread)
    with pdfplumber.open(paths[edition]) as pdf:
        start = next(i for i, p in enumerate(pdf.pages) if normalize(LINKED) in normalize(p.extract_text() or ""))
        end = next(i for i, p in enumerate(pdf.pages) if normalize("The end of the images.") in normalize(p.extract_text() or ""))
        pages = pdf.pages[start:end + 1]
        images = [(page, image) for page in pages for image in page.images]
        drawn = [(page, r) for page in pages for r in page.rects
                 if r.get("non_stroking_color") and tuple(round(c, 2) for c in r["non_stroking_color"])[:3] == (1.0, 0.5, 0.0)]
        links = [a["uri"] for page in pages for a in page.annots if a.get("uri")]
        assert len(images) == 11 and len(drawn) == 1  # every image of the chapter, and the SVG's rectangle
        for page, box in images + drawn:
            left, top, right, bottom = _text_block(project, edition, page, numbers[page.page_number - 1])
            assert left - TOLERANCE <= box["x0"] and box["x1"] <= right + TOLERANCE, (page.page_number, box["x0"], box["x1"])
            assert top - TOLERANCE <= box["top"] and box["bottom"] <= bottom + TOLERANCE, (page.page_number, box["top"])
        # the linked image in the indented paragraph: as wide as the block, starting at its left edge
        page, first = images[0]
        left, _, right, _ = _text_block(project, edition, page, numbers[page.page_number - 1])
        assert abs(first["x0"] - left) < TOLERANCE and abs(first["x1"] - right) < TOLERANCE
    assert "https://example.com/watchers" in links and "https://example.com/raw" in links


def test_svg_text_is_set_in_the_theme_faces(built):
    _, _, paths = built
    with pdfplumber.open(paths["pdf"]) as pdf:
        chars = [c for p in pdf.pages for c in p.chars]
    svg = {c["fontname"].split("+")[-1] for c in chars if c["text"] in "SansinanSVGfigure"}
    faces = {c["fontname"].split("+")[-1] for c in chars}
    assert "Noto-Sans" not in faces and "DejaVu-Sans" not in faces, faces  # SVG "sans-serif" → Spindle Sans
    assert "Spindle-Sans" in svg


# --- every script -----------------------------------------------------------------------------------------

def _glyph_ids(pdf_path: Path) -> dict[str, list[tuple[str, int, bool]]]:
    """Character -> (font, glyph id, glyph has a drawing) for every character the PDF's fonts map."""
    from fontTools.ttLib import TTFont

    from spindle.editions.print import preflight

    out: dict[str, list] = {}
    with pikepdf.open(pdf_path) as pdf:
        fonts = {}
        for page in pdf.pages:
            for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
                fonts[font.objgen] = font
        for font in fonts.values():
            if font.get("/Subtype") != "/Type0":
                continue
            info = preflight._FontInfo(font)
            descriptor = font.DescendantFonts[0].FontDescriptor
            stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            program = None
            if stream is not None:
                try:
                    program = TTFont(io.BytesIO(stream.read_bytes()))
                except Exception:
                    program = None
            order = program.getGlyphOrder() if program is not None else []
            for code, text in info.to_unicode.items():
                cid = code if info.code_to_cid is None else info.code_to_cid.get(code, 0)
                gid = cid if info.cid_to_gid is None else (info.cid_to_gid[cid] if cid < len(info.cid_to_gid) else 0)
                drawn = gid != 0 and _drawn(program, order, gid, bitmap="Emoji" in info.name)
                for char in text:
                    out.setdefault(char, []).append((info.name, gid, drawn))
    return out


def _drawn(program, order: list[str], gid: int, bitmap: bool) -> bool:
    if program is None or gid >= len(order):
        return program is None  # a program fontTools cannot read: trust the glyph id
    name = order[gid]
    if bitmap:  # colour emoji: WeasyPrint draws the bitmap; the outline is empty by design
        return True
    if "glyf" in program:
        return program["glyf"][name].numberOfContours != 0
    if "CFF " in program:
        charstring = program["CFF "].cff[0].CharStrings[name]
        charstring.decompile()
        return any(isinstance(op, str) and op.endswith("moveto") for op in charstring.program)
    return True  # bitmap-only (colour emoji): the glyph id is a real one


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_every_script_prints_a_real_glyph(built, edition):
    _, result, paths = built
    glyphs = _glyph_ids(paths[edition])
    missing = {}
    for script, sample in SCRIPTS.items():
        for char in sample:
            found = glyphs.get(char, [])
            # the same face is embedded once per part of the layout, each a subset: one draws it
            if not any(drawn for _, _, drawn in found):
                missing[script] = (char, found)
            elif not all(font.startswith(("Noto", "Spindle")) for font, _, _ in found):
                missing[script] = (char, found)  # a face outside the theme's chain slipped in
    assert missing == {}
    assert not [w for w in result.warnings if "no font has" in w]


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_maths_letters_are_set_in_the_maths_face_in_any_weight(built, edition):
    """03-scripts.md's 𝔽, regular and bold: Libertine's regular face has the letter, its bold face
    not; WeasyPrint 70 drew the bold one from the bold face (crypto-gitbook: an empty box)."""
    _, _, paths = built
    with pdfplumber.open(paths[edition]) as pdf:
        faces = [c["fontname"].split("+")[-1] for p in pdf.pages for c in p.chars if c["text"] == "\U0001d53d"]
    assert len(faces) == 3 and "Noto-Sans-Math-Bold" in faces, faces
    assert all(face.startswith("Noto-Sans-Math") for face in faces), faces


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_every_font_is_embedded_and_subset(built, edition):
    _, _, paths = built
    with pikepdf.open(paths[edition]) as pdf:
        for page in pdf.pages:
            for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
                if font.get("/Subtype") == "/Type3":
                    continue
                descriptor = (font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font).get("/FontDescriptor")
                assert descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                assert re.match(r"^/[A-Z]{6}\+", str(font.BaseFont)), font.BaseFont


def test_the_epub_relies_on_the_reading_system_with_the_right_language(built):
    """The EPUB embeds the theme's Latin faces only (a CJK face alone is 20 MB): every chapter names
    its language, the stylesheet names the Noto faces for readers that have them."""
    import zipfile

    _, _, paths = built
    with zipfile.ZipFile(paths["epub"]) as epub:
        names = epub.namelist()
        css = "".join(epub.read(n).decode() for n in names if n.endswith(".css"))
        chapter = next(epub.read(n).decode() for n in names if n.endswith(".xhtml") and "한국어" in epub.read(n).decode())
    assert 'xml:lang="en"' in chapter and 'lang="ko"' in chapter and 'lang="ja"' in chapter
    assert "Noto Serif CJK" in css and "Noto Sans Thai" in css and "Noto Sans Math" in css
    assert not [n for n in names if "Noto" in n]


def test_a_character_no_font_has_is_reported_once_at_its_line(tmp_path):
    book = _copy(tmp_path / "book")
    chapter = book.parent / "manuscript" / "03-scripts.md"
    lines = chapter.read_text().splitlines()
    chapter.write_text("\n".join(lines + ["", "Unassigned: \u0378 and again \u0378.", "", "Once more: \u0378."]) + "\n")
    result = builder.build(load(book), ("pdf", "print"), tmp_path / "out", epoch=EPOCH)
    reports = [w for w in result.warnings if "U+0378" in w]
    assert reports == [f"manuscript/03-scripts.md:{len(lines) + 2}: no font has the character '\u0378' (U+0378); "
                       "it prints as an empty box: add a face that has it to the theme's font stacks "
                       "(--font-scripts in styles/custom.css)"]
    assert not [w for w in result.warnings if ".notdef" in w]
    with pytest.raises(BuildError, match="--strict"):
        builder.build(load(book), ("pdf",), tmp_path / "out2", epoch=EPOCH, strict=True)


# --- the overflow detector --------------------------------------------------------------------------------

PLANTED = '<p style="white-space: nowrap">A planted line that never wraps and so runs far past the right edge of the text block of the page.</p>'


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    book = _copy(root / "book")
    chapter = book.parent / "manuscript" / "01-code.md"
    lines = chapter.read_text().splitlines()
    chapter.write_text("\n".join(lines + ["", PLANTED]) + "\n")
    result = builder.build(load(book), ("pdf", "print"), root / "out", epoch=EPOCH)
    return book, result, len(lines) + 2


def test_an_overflow_is_reported_once_with_page_and_line(planted):
    _, result, line = planted
    reports = [w for w in result.warnings if "past the text block" in w]
    # once: the screen PDF is made from the print edition's layout, and the print edition reports it
    assert len(reports) == 1, reports
    assert re.match(rf"print: page \d+: text 'A planted line that never wraps and so r…' runs [\d.]+ mm past the "
                    rf"text block \(manuscript/01-code\.md:{line}\)$", reports[0]), reports
    found = [d for d in result.diagnostics if d.code == "P004"]  # findings with a code, for --json
    assert sorted(str(d) for d in found) == sorted(reports) and all(d.level == "warning" and d.page for d in found)


def test_strict_fails_on_an_overflow(planted, tmp_path):
    book, _, _ = planted
    with pytest.raises(BuildError, match="past the text block"):
        builder.build(load(book), ("pdf",), tmp_path / "out", epoch=EPOCH, strict=True)


def test_check_print_fails_on_an_overflow(planted, built, capsys):
    from spindle.cli import run

    book, result, _ = planted
    out = next(o.path for o in result.outputs if o.edition == "print").parent
    assert run(["check", "print", "--config", str(book), "--out", str(out)]) == 1
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if "textblock" in line)
    assert "ERROR" in row and re.search(r"page \d+: past the text block: text 3\d\.\d mm", row), row
    project, clean, _ = built  # the same book without the planted line: nothing to report
    clean_out = next(o.path for o in clean.outputs if o.edition == "print").parent
    run(["check", "print", "--config", str(project.config_path), "--out", str(clean_out)])
    assert re.search(r"textblock\s+ok", capsys.readouterr().out)


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_proof_marks_an_overflow(planted, edition, capsys):
    from PIL import Image

    from spindle.checks.proof import SPILL
    from spindle.cli import run

    book, result, _ = planted
    out = next(o.path for o in result.outputs if o.edition == edition).parent
    assert run(["proof", edition, "--config", str(book), "--out", str(out), "--dpi", "40"]) == 0
    said = capsys.readouterr().out
    page = int(re.search(r"marked in red: what runs past the text block on page (\d+)", said).group(1))
    folder = out / f"pages-{edition}-proof"
    images = sorted(folder.glob("page-*.png" if edition == "pdf" else "spread-*.png"))
    marked = []
    for path in images:
        with Image.open(path) as png:
            if SPILL in {pixel for pixel in png.convert("RGB").getdata()}:
                marked.append(path.name)
    if edition == "pdf":
        assert marked == [f"page-{page:03d}.png"]
    else:  # spread-LLL-RRR.png
        assert len(marked) == 1 and f"{page:03d}" in marked[0].removesuffix(".png").split("-")[1:]


# --- keeps ------------------------------------------------------------------------------------------------

def test_a_caption_stays_with_its_figure(built):
    _, _, paths = built
    for edition in ("pdf", "print"):
        with pdfplumber.open(paths[edition]) as pdf:
            page = next(p for p in pdf.pages if "caption stays with it" in (p.extract_text() or ""))
            caption = next(w for w in page.extract_words() if w["text"] == "caption")
            figure = [i for i in page.images if tuple(i["srcsize"]) == (400, 3000) and i["bottom"] <= caption["top"]]
            assert figure, edition


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_notes_and_listing_captions_stay_on_their_page(built, edition):
    """05-keeps.md, read back by tests/pagecheck.py: two notes that open with the same words, called
    from list items on facing pages (each found on its own call's page, not the first note's), and a
    three-line listing under its caption set lower and lower on a page (never parted after its caption
    or its first line: it moves whole; never cut before its last line alone)."""
    import pagecheck
    from spindle.manuscript.load import load_book
    from spindle.theme import render

    project, _, paths = built
    chapters = load_book(project).chapters
    scanned = pagecheck.scan(paths[edition], render.text_margins(project.config.editions, edition))
    keeps = [c for c in chapters if c.display.endswith("05-keeps.md")]
    assert [n.number for n in keeps[0].notes] == [1, 2]
    assert pagecheck.displaced_notes(scanned, chapters) == []
    assert len(pagecheck.captions(keeps)) == 7
    assert pagecheck.separated_captions(scanned, chapters) == []
    # each listing's three lines are on one page
    for page in scanned.pages:
        if any(line.text.startswith("listing5") for line in page.lines):
            text = page.text
            assert "fnmainprintlnhelloworld" in text, page.number
    assert pagecheck.font_problems(paths[edition]) == []


TABLE_CHAPTER = ("---\ntitle: A long table\n---\n\n" + ("A line of text to fill the page a little. " * 14 + "\n\n") * 4
                 + "| a | b |\n|---|---|\n" + "".join(f"| row {i} | value {i} |\n" for i in range(26)) + "\nAfter.\n")


def test_no_page_is_left_less_than_a_third_full(tmp_path):
    """A table that does not fit breaks between rows (its header repeated) rather than leaving the
    page before it nearly empty; a stylesheet that keeps it whole gets a note naming the page."""
    book = _copy(tmp_path / "book")
    (book.parent / "manuscript" / "01-code.md").write_text(TABLE_CHAPTER)
    result = builder.build(load(book), ("pdf",), tmp_path / "out", epoch=EPOCH)
    assert not [n for n in result.notes if "less than a third full" in n]
    with pdfplumber.open(result.outputs[0].path) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    split = [i for i, text in enumerate(pages) if "row " in text]
    assert len(split) == 2 and pages[split[1]].lstrip().startswith(("A long table", "a b", "a\nb"))  # header repeated
    (book.parent / "styles").mkdir()
    (book.parent / "styles" / "custom.css").write_text("table { break-inside: avoid; }\n")
    result = builder.build(load(book), ("pdf",), tmp_path / "out2", epoch=EPOCH)
    (note,) = [n for n in result.notes if "less than a third full" in n]
    assert re.match(r"pdf: 1 page\(s\) less than a third full before a chapter's last page: \d+ \(\d+%, "
                    r"manuscript/01-code\.md\)$", note), note


def test_weasyprint_messages_are_folded_into_one_finding_each(built):
    from spindle.editions.paged import messages
    from spindle.manuscript.load import load_book

    project, _, _ = built
    book = load_book(project)
    raw = ['.notdef glyph rendered for Unicode string unsupported by fonts: "한" (U+D55C)'] * 3 + [
        'Image "manuscript/figures/wide.png" has no required alt description',  # the manuscript stage says so
        "Failed to load image at 'file:///x/manuscript/figures/float.png': cannot identify image file",
        "Invalid math function at 3:4: calc(1em * x)",
    ]
    found = list(dict.fromkeys(messages.fold(book, "pdf", raw) + messages.fold(book, "print", raw)))  # as a build
    assert [(d.code, d.level, d.path, d.line) for d in found] == [
        ("P001", "warning", "manuscript/03-scripts.md", 7), ("P002", "warning", "manuscript/02-images.md", 22),
        ("P003", "warning", None, None)]
    folded = [str(d) for d in found]
    assert folded == [
        "manuscript/03-scripts.md:7: no font has the character '한' (U+D55C); it prints as an empty box: add a face "
        "that has it to the theme's font stacks (--font-scripts in styles/custom.css)",
        "manuscript/02-images.md:22: image 'file:///x/manuscript/figures/float.png' could not be read: "
        "cannot identify image file",
        "layout: Invalid math function at 3:4: calc(1em * x)",
    ]
