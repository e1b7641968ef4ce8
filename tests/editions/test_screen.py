"""One layout, two finishes (issue 16): the sample book's screen PDF is made from its print
edition's layout (book.toml: [editions.pdf] layout = "print"). Read from the built files: the
screen PDF's page labels, the print edition's printed folios and the EPUB's page-list agree;
its pages are the trim, in RGB, without the print edition's blank pages; every link, bookmark,
destination and structure element leads to a page in the file; `build pdf` alone gives the same
bytes as `build all`; a screen edition with pages of its own keeps them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pypdf
import pytest

from conftest import EPOCH, copy_sample, normalize
from spindle.build import orchestrate as builder
from spindle.project.config import load
from test_epub import NS, Epub

MM = 72 / 25.4


@pytest.fixture(scope="module")
def screen(outputs):
    with pikepdf.open(outputs["pdf"]) as pdf:
        yield pdf


@pytest.fixture(scope="module")
def labels(outputs) -> list[str]:
    return list(pypdf.PdfReader(outputs["pdf"]).page_labels)


@pytest.fixture(scope="module")
def page_list(outputs) -> dict[str, str]:
    epub = Epub(outputs["epub"])
    nav = epub.xml(epub.by_property("nav")[0].get("href"))
    entries = nav.xpath("//h:nav[@epub:type='page-list']/h:ol/h:li/h:a", namespaces=NS)
    return {a.text: a.get("href") for a in entries}


def test_the_sample_makes_its_screen_pdf_from_the_print_layout(sample_project, pdf_pages):
    assert sample_project.config.editions.screen_layout == "print"
    screen, printed = pdf_pages("pdf"), pdf_pages("print")
    blank = [i + 1 for i, text in enumerate(printed.normalized) if not text]
    assert blank, "the sample's print edition has blank pages (versos, padding) to leave out"
    assert len(screen) == len(printed) - len(blank)


def test_labels_folios_and_page_list_agree_at_every_chapter_opening(book, pdf_pages, labels, page_list):
    screen, printed = pdf_pages("pdf"), pdf_pages("print")
    opens = screen.chapter_starts(book)
    print_opens = printed.chapter_starts(book)
    for chapter in book.chapters:
        label = labels[opens[chapter.id]]
        assert label.isdigit(), f"{chapter.title!r}: the screen page has no numeric label ({label!r})"
        number = int(label)
        # the print edition: the chapter opens on that page, which prints that folio
        assert print_opens[chapter.id] == number - 1, (
            f"{chapter.title!r}: labelled {number} in the screen PDF, opens on print page {print_opens[chapter.id] + 1}")
        assert str(number) in printed.lines(number - 1)[-2:], (
            f"print page {number} ({chapter.title!r}) does not print the folio {number}: {printed.lines(number - 1)}")
        # the EPUB: the page-list's entry for that number is in the chapter's document
        assert page_list[str(number)].split("#")[0] == f"{chapter.id}.xhtml", (
            f"{chapter.title!r}: the page-list's page {number} is {page_list[str(number)]}")
        # and the screen page is the same page: the same text as the print page
        assert screen.normalized[opens[chapter.id]] == printed.normalized[number - 1]


def test_every_screen_page_is_its_print_page(pdf_pages, labels):
    """Page by page, the screen PDF's text is the print page's whose number it carries; the pages
    left out are exactly the print edition's pages without text."""
    screen, printed = pdf_pages("pdf"), pdf_pages("print")
    numbers = [int(label) for label in labels]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for index, number in enumerate(numbers):
        assert screen.normalized[index] == printed.normalized[number - 1], f"screen page {index + 1} (label {number})"
    left_out = sorted(set(range(1, len(printed) + 1)) - set(numbers))
    assert left_out == [i + 1 for i, text in enumerate(printed.normalized) if not text]


def test_pages_are_the_trim_without_bleed_or_marks(screen, sample_project):
    width, height = (v * MM for v in sample_project.config.editions.print.size)
    for number, page in enumerate(screen.pages, 1):
        media = [float(v) for v in page.obj.MediaBox]
        assert media == pytest.approx([0, 0, width, height], abs=0.01), f"page {number}: MediaBox {media}"
        assert [float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)] == pytest.approx(media)
        assert "/BleedBox" not in page.obj and "/CropBox" not in page.obj and "/ArtBox" not in page.obj


def _content_streams(pdf):
    """Every page's and form's content, with a name for the messages."""
    seen = set()

    def forms(resources, where):
        for name, xobject in ((resources or {}).get("/XObject") or {}).items():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield f"{where} form {name}", xobject
                yield from forms(xobject.get("/Resources"), where)
        for name, pattern in ((resources or {}).get("/Pattern") or {}).items():
            if pattern.get("/PatternType") == 1 and pattern.objgen not in seen:
                seen.add(pattern.objgen)
                yield f"{where} pattern {name}", pattern
                yield from forms(pattern.get("/Resources"), where)

    for number, page in enumerate(pdf.pages, 1):
        yield f"page {number}", page
        yield from forms(page.obj.get("/Resources"), f"page {number}")


def test_no_cmyk_and_no_output_intent(screen):
    assert "/OutputIntents" not in screen.Root
    assert not any(k.startswith("/GTS_PDFX") for k in screen.docinfo.keys())
    if "/Metadata" in screen.Root:
        assert "pdfx" not in screen.Root.Metadata.read_bytes().decode("utf-8").lower()
    colours = 0
    for where, owner in _content_streams(screen):
        for operands, operator in pikepdf.parse_content_stream(owner):
            op = str(operator)
            assert op not in ("k", "K"), f"{where}: CMYK colour operator {op} {list(operands)}"
            if op in ("cs", "CS"):
                assert operands[0] != pikepdf.Name.DeviceCMYK, f"{where}: {op} /DeviceCMYK"
            if op in ("scn", "SCN", "sc", "SC"):
                colours += 1
                assert len(operands) != 4, f"{where}: four-component colour {op} {list(operands)}"
        resources = owner.get("/Resources") if isinstance(owner, pikepdf.Stream) else owner.obj.get("/Resources")
        for space in ((resources or {}).get("/ColorSpace") or {}).values():
            assert space != pikepdf.Name.DeviceCMYK, where
        for name, xobject in ((resources or {}).get("/XObject") or {}).items():
            if xobject.get("/Subtype") == "/Image":
                assert xobject.get("/ColorSpace") != pikepdf.Name.DeviceCMYK, f"{where}: image {name} is CMYK"
    assert colours > 100  # the print stylesheet's device-cmyk() colours, now RGB


def test_the_print_edition_keeps_its_cmyk(outputs):
    with pikepdf.open(outputs["print"]) as pdf:
        spaces = [operands[0] for page in pdf.pages for operands, op in pikepdf.parse_content_stream(page)
                  if str(op) == "cs"]
    assert pikepdf.Name.DeviceCMYK in spaces


def _page_of(pdf, pages, named, dest):
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.D
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        dest = named.get(str(dest).lstrip("/"))
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.D
    if not isinstance(dest, pikepdf.Array) or not len(dest):
        return None
    return pages.get(dest[0].objgen)


def test_links_bookmarks_and_destinations_lead_to_pages_in_the_file(screen, book):
    pages = {page.obj.objgen: i for i, page in enumerate(screen.pages)}
    named = {str(k): v for k, v in pikepdf.NameTree(screen.Root.Names.Dests).items()}
    assert named and all(_page_of(screen, pages, named, d) is not None for d in named.values())
    internal = 0
    for number, page in enumerate(screen.pages, 1):
        for annotation in page.obj.get("/Annots", ()):
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            dest = annotation.get("/Dest")
            if dest is None and action is not None and action.get("/S") == "/GoTo":
                dest = action.D
            if dest is not None:
                internal += 1
                assert _page_of(screen, pages, named, dest) is not None, f"page {number}: a link to a page not in the file"
    assert internal >= len(book.chapters)  # the table of contents at least
    items, stack = 0, [screen.Root.Outlines.First]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        items += 1
        assert _page_of(screen, pages, named, item.get("/Dest") or item.A.D) is not None, str(item.Title)
        stack += [item.get("/Next"), item.get("/First")]
    assert items >= len(book.chapters)


def test_structure_tree_has_no_dangling_pages(screen):
    pages = {page.obj.objgen for page in screen.pages}
    root = screen.Root.StructTreeRoot
    seen, elements, stack = set(), 0, [root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            if not isinstance(kid, pikepdf.Dictionary) or (kid.is_indirect and kid.objgen in seen):
                continue
            if kid.is_indirect:
                seen.add(kid.objgen)
            if "/Pg" in kid:
                elements += 1
                assert kid.Pg.objgen in pages, f"a {kid.get('/S', kid.get('/Type'))} element on a page not in the file"
            if kid.get("/Type") not in ("/MCR", "/OBJR"):
                stack.append(kid)
    assert elements > 100
    # every page's parent-tree entry is there, and none is left for a page taken out
    keys = {int(k) for k, _ in pikepdf.NumberTree(root.ParentTree).items()}
    parents = {int(page.obj.StructParents) for page in screen.pages if "/StructParents" in page.obj}
    annotations = {int(a.StructParent) for page in screen.pages for a in page.obj.get("/Annots", ())
                   if "/StructParent" in a}
    assert keys == parents | annotations  # (none left for the pages taken out)


def test_metadata_is_the_books(screen, book, epoch):
    info = screen.docinfo
    assert str(info.Title).startswith(book.meta.title)
    assert str(info.CreationDate) == "D:20181011000000Z"
    assert str(screen.Root.Lang) == book.lang


@pytest.fixture(scope="module")
def pdf_alone(tmp_path_factory) -> tuple[Path, builder.Result]:
    """`spindle build pdf` on a fresh copy of the sample (its own cache), with SOURCE_DATE_EPOCH."""
    root = tmp_path_factory.mktemp("pdf-alone")
    project = load(copy_sample(root / "book"))
    return root, builder.build(project, ["pdf"], root / "out", epoch=EPOCH)


def test_build_pdf_alone_is_build_alls_screen_pdf(pdf_alone, outputs):
    root, result = pdf_alone
    assert [o.edition for o in result.outputs] == ["pdf"]
    assert result.outputs[0].path.read_bytes() == outputs["pdf"].read_bytes()
    assert not (root / "out" / outputs["print"].name).exists()


def test_build_print_after_build_pdf_is_from_the_cache(pdf_alone, outputs):
    root, _ = pdf_alone
    messages: list[str] = []
    result = builder.build(load(root / "book" / "book.toml"), ["print"], root / "out", epoch=EPOCH,
                           report=lambda m: messages.append(str(m)))
    laid = [m for m in messages if m.startswith("print: laid out in")]
    assert laid and re.search(r"\(0 laid out now", laid[0]), laid
    assert result.outputs[0].path.read_bytes() == outputs["print"].read_bytes()


def test_a_screen_edition_with_its_own_layout_keeps_it(tmp_path):
    from tinybook import make

    config = make(tmp_path / "book")
    config.write_text(config.read_text() + '\n[editions.pdf]\nlayout = "own"\npage_size = "A4"\n\n'
                      '[editions.print]\ntrim = "A5"\nsignature = 16\n', encoding="utf-8")
    result = builder.build(load(config), ["pdf", "print"], tmp_path / "out", epoch=EPOCH)
    paths = {o.edition: o.path for o in result.outputs}
    with pikepdf.open(paths["pdf"]) as pdf, pikepdf.open(paths["print"]) as printed:
        assert [float(v) for v in pdf.pages[0].obj.MediaBox] == pytest.approx([0, 0, 210 * MM, 297 * MM], abs=0.01)
        assert "/PageLabels" not in pdf.Root
        assert len(printed.pages) % 16 == 0 and len(pdf.pages) < len(printed.pages)
        # its own stylesheet: the screen margins (16 mm either side), the same on every page
        first = pypdf.PdfReader(paths["pdf"])
        xs = []
        for page in first.pages:
            page.extract_text(visitor_text=lambda text, cm, tm, font, size: xs.append(tm[4] * cm[0] + cm[4])
                              if text.strip() else None)
        assert min(xs) == pytest.approx(16 * MM, abs=1.5)


def test_cmyk_images_become_rgb_on_screen_only(tmp_path):
    """A CMYK JPEG (as a press-ready photo comes) stays CMYK in print and is RGB on screen,
    converted as the colours are: R = (1 - C)(1 - K), ..."""
    from PIL import Image

    from tinybook import make

    config = make(tmp_path / "book")
    figures = config.parent / "manuscript" / "figures"
    Image.new("CMYK", (60, 40), (200, 30, 0, 10)).save(figures / "photo.jpg")
    chapter = config.parent / "manuscript" / "01-alpha.md"
    chapter.write_text(chapter.read_text() + "\n![A press-ready photo](figures/photo.jpg)\n", encoding="utf-8")
    result = builder.build(load(config), ["pdf", "print"], tmp_path / "out", epoch=EPOCH)
    paths = {o.edition: o.path for o in result.outputs}

    def photos(path):
        with pikepdf.open(path) as pdf:
            return [(str(obj.get("/ColorSpace")), pikepdf.PdfImage(obj).as_pil_image().convert("RGB").getpixel((10, 10))
                     if obj.get("/ColorSpace") == "/DeviceRGB" else None)
                    for obj in pdf.objects
                    if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" and obj.get("/Width") == 60]

    assert [space for space, _ in photos(paths["print"])] == ["/DeviceCMYK"]
    [(space, pixel)] = photos(paths["pdf"])
    expected = tuple(round(255 * (1 - v / 255) * (1 - 10 / 255)) for v in (200, 30, 0))
    assert space == "/DeviceRGB" and all(abs(a - b) <= 3 for a, b in zip(pixel, expected)), (pixel, expected)


def test_a_pdfx_print_edition_gives_a_screen_pdf_without_press_claims(tmp_path):
    """The print fixture book (PDF/X-4 with a CMYK output profile, signature 16: 15 pages of
    padding, a part page, a full-bleed photograph): its screen PDF claims nothing for a press
    and has none of the padding."""
    from lxml import etree

    from printbook import padding_book

    result = builder.build(load(padding_book(tmp_path / "book")), ["pdf"], tmp_path / "out", epoch=EPOCH)
    path = result.outputs[0].path
    with pikepdf.open(path) as pdf:
        assert "/OutputIntents" not in pdf.Root
        xmp = pdf.Root.Metadata.read_bytes()
        etree.fromstring(xmp)  # still well-formed
        assert b"pdfx" not in xmp.lower() and b"GTS_PDFX" not in xmp
        assert not any("PDFX" in str(k) for k in pdf.docinfo.keys())
        width, height = 6 * 72, 9 * 72
        assert all([float(v) for v in page.obj.MediaBox] == pytest.approx([0, 0, width, height]) for page in pdf.pages)
    reader = pypdf.PdfReader(path)
    numbers = [int(label) for label in reader.page_labels]
    assert numbers[-1] == 31 and not set(range(16, 31)) & set(numbers)  # the padding before the colophon
    assert all(normalize(page.extract_text()) or page.images for page in reader.pages)  # no blank page


def test_an_edit_lays_out_one_chapter_of_the_shared_layout(tmp_path):
    """`build pdf` after a one-chapter edit lays out that chapter alone (of the print layout the
    screen PDF is made from), and a `build print` after it nothing at all."""
    from tinybook import make

    config = make(tmp_path / "book")
    project = load(config)
    builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    chapter = config.parent / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    messages: list[str] = []
    builder.build(project, ["pdf"], epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
    assert any(re.match(r"print: laid out in \d+ parts \(1 laid out now", m) for m in messages), messages
    assert any(m.startswith("pdf: made from the print edition's layout") for m in messages), messages
    messages.clear()
    builder.build(project, ["print"], epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
    assert any(re.match(r"print: laid out in \d+ parts \(0 laid out now", m) for m in messages), messages


@pytest.mark.parametrize("text", [b"<0012>", b"(k 0 0 0 1 K)"])
def test_colour_operators_in_any_content(text):
    """Both ways of rewriting a content stream (over its bytes; operator by operator when it has
    literal strings, which may hold look-alikes) give RGB colours and leave the text alone."""
    from spindle.editions.print import screen as screen_module

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    page.obj.TrimBox = pikepdf.Array([10, 10, 190, 190])
    page.obj.Contents = pdf.make_stream(
        b"q /DeviceCMYK cs 0 0.83 0.64 0.46 scn 0 0 0 1 K 1 0 0 0 k 0 0 100 100 re f\n"
        b"BT /F1 12 Tf [" + text + b"] TJ ET Q")
    buffer = io.BytesIO()
    pdf.save(buffer)
    made = screen_module.derive(buffer.getvalue(), None, "test", EPOCH)
    with pikepdf.open(io.BytesIO(made.pdf)) as out:
        assert [float(v) for v in out.pages[0].obj.MediaBox] == [10, 10, 190, 190]
        ops = [(str(op), [float(v) if not isinstance(v, (pikepdf.Name, pikepdf.Array)) else v for v in operands])
               for operands, op in pikepdf.parse_content_stream(out.pages[0])]
    assert ("cs", [pikepdf.Name.DeviceRGB]) in ops
    assert ("scn", pytest.approx([0.54, 0.0918, 0.1944])) in ops
    assert ("RG", [0, 0, 0]) in ops and ("rg", [0, 1, 1]) in ops
    assert not any(op in ("k", "K") for op, _ in ops)
    tj = next(operands for op, operands in ops if op == "TJ")
    assert bytes(tj[0][0]) == (b"\x00\x12" if text.startswith(b"<") else b"k 0 0 0 1 K")
