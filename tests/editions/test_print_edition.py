"""The print edition's production features, checked in real output: page boxes for two
trim sizes (pikepdf and pdfinfo -box), crop marks outside the bleed, signature padding,
CMYK colour with pure-black text, full-bleed pieces reaching into the bleed, PDF/X-4
with its output intent, and byte-identical rebuilds."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from printbook import PARAGRAPH, chapter, write
from spindle.build import orchestrate as builder
from spindle.editions.print import signatures
from spindle.project.config import load
from spindle.core.errors import ConfigError

MM = 72 / 25.4
TOL = 0.1  # mm


def outputs_of(result) -> dict[str, object]:
    return {o.edition: o.path for o in result.outputs + result.extras}


@pytest.fixture(scope="module")
def padded(padding_build):
    project, result = padding_build
    return project, outputs_of(result), result


def boxes(path) -> list[dict[str, list[float]]]:
    """Every page's boxes from `pdfinfo -box` (poppler), in points."""
    out = subprocess.run(["pdfinfo", "-box", "-f", "1", "-l", "100000", str(path)],
                         capture_output=True, text=True, check=True).stdout
    pages: dict[int, dict[str, list[float]]] = {}
    for number, name, values in re.findall(r"^Page\s+(\d+)\s+(\w+Box):\s+(.+)$", out, re.M):
        pages.setdefault(int(number), {})[name] = [float(v) for v in values.split()]
    return [pages[n] for n in sorted(pages)]


# --- boxes on every page, two trim sizes ---------------------------------------------------------

@pytest.mark.parametrize("which", ["sample", "padded"])
def test_trim_and_bleed_boxes_on_every_page(which, outputs, sample_project, padded):
    project, path = (sample_project, outputs["print"]) if which == "sample" else (padded[0], padded[1]["print"])
    settings = project.config.editions.print
    width, height = settings.size
    bleed = settings.bleed.mm
    pages = boxes(path)
    with pikepdf.open(path) as pdf:
        assert len(pages) == len(pdf.pages)
    for number, page in enumerate(pages, 1):
        tx0, ty0, tx1, ty1 = page["TrimBox"]
        bx0, by0, bx1, by1 = page["BleedBox"]
        mx0, my0, mx1, my1 = page["MediaBox"]
        assert (tx1 - tx0) / MM == pytest.approx(width, abs=TOL), f"page {number} trim width"
        assert (ty1 - ty0) / MM == pytest.approx(height, abs=TOL), f"page {number} trim height"
        for side in (tx0 - bx0, ty0 - by0, bx1 - tx1, by1 - ty1):
            assert side / MM == pytest.approx(bleed, abs=TOL), f"page {number} bleed"
        # Crop marks sit outside the bleed: the MediaBox leaves room for them on every side.
        assert min(bx0 - mx0, by0 - my0, mx1 - bx1, my1 - by1) / MM > 4, f"page {number}: no slug for the marks"


def test_the_two_trim_sizes_differ(sample_project, padded):
    assert sample_project.config.editions.print.size == (148.0, 210.0)
    assert padded[0].config.editions.print.size == pytest.approx((152.4, 228.6))
    assert padded[0].config.editions.print.bleed.mm == pytest.approx(3.175)


def test_crop_marks_are_drawn_outside_the_bleed_in_registration_colour(outputs):
    with pikepdf.open(outputs["print"]) as pdf:
        page = pdf.pages[5]
        form = page.obj.Resources.XObject["/SpindleMarks"]
        assert form.Resources.ColorSpace.Reg[1] == pikepdf.Name.All  # the /All separation
        bleed = [float(v) for v in page.obj.BleedBox]
        trim = [float(v) for v in page.obj.TrimBox]
        strokes = re.findall(rb"([-\d.]+) ([-\d.]+) m ([-\d.]+) ([-\d.]+) l S", form.read_bytes())
        assert len(strokes) == 8  # two per corner
        for x0, y0, x1, y1 in strokes:
            xs, ys = (float(x0) + trim[0], float(x1) + trim[0]), (float(y0) + trim[1], float(y1) + trim[1])
            outside = (max(xs) <= bleed[0] + 1e-3 or min(xs) >= bleed[2] - 1e-3
                       or max(ys) <= bleed[1] + 1e-3 or min(ys) >= bleed[3] - 1e-3)
            assert outside, f"a crop mark enters the bleed: {xs} {ys}"
        content = b"".join(s.read_bytes() for s in page.obj.Contents)
        assert b"/SpindleMarks Do" in content


# --- signature padding ------------------------------------------------------------------------------

@pytest.mark.parametrize("pages, signature, before, at_end", [
    (69, 4, 2, 1), (70, 4, 2, 0), (72, 4, 0, 0), (71, 4, 0, 1),
    (17, 16, 14, 1), (30, 16, 2, 0), (32, 16, 0, 0), (33, 16, 14, 1),
])
def test_padding_plan(book, pages, signature, before, at_end):
    plan = signatures.plan(pages, signature, book)
    assert (plan.before, plan.at_end) == (before, at_end)
    assert plan.total % signature == 0 and plan.anchor == "colophon"


def test_padding_without_back_matter_goes_at_the_end():
    plan = signatures.plan(13, 16, None)
    assert (plan.before, plan.at_end, plan.total) == (0, 3, 16)


def text_pages(path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


@pytest.mark.parametrize("which, signature", [("sample", 4), ("padded", 16)])
def test_page_count_is_padded_before_the_colophon(which, signature, outputs, sample_build, padded):
    path, result = (outputs["print"], sample_build) if which == "sample" else (padded[1]["print"], padded[2])
    texts = text_pages(path)
    assert len(texts) % signature == 0
    note = next(n for n in result.notes if "blank page" in n)
    m = re.search(r"added (\d+) blank pages? \((?:(\d+) before Colophon)?(?:, )?(?:(\d+) at the end)?\)", note)
    assert m, note
    added, before, at_end = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    assert added == before + at_end > 0 and f"make {len(texts)} pages" in note
    assert f"a multiple of the signature ({signature})" in note
    colophon = max(i for i, t in enumerate(texts) if t.strip().startswith("Colophon"))
    run_before = 0
    while not texts[colophon - 1 - run_before].strip():
        run_before += 1
    assert run_before >= before, f"expected {before} blank pages before the colophon, found {run_before}"
    trailing = len(texts) - 1 - colophon
    assert trailing == at_end and all(not t.strip() for t in texts[colophon + 1:])
    # Blank pages sit only where the book allows them: never inside a chapter's run of text.
    last_text = max(i for i, t in enumerate(texts[:colophon]) if t.strip())
    assert colophon - last_text - 1 == run_before


def test_padding_pages_are_truly_blank(padded):
    with pikepdf.open(padded[1]["print"]) as pdf:
        texts = text_pages(padded[1]["print"])
        colophon = max(i for i, t in enumerate(texts) if t.strip().startswith("Colophon"))
        for index in range(colophon - 3, colophon):
            content = b"".join(s.read_bytes() for s in pdf.pages[index].obj.Contents)
            assert b"BT" not in content, f"padding page {index + 1} draws text"


def test_blank_left_pages_have_no_folio_or_running_head(outputs):
    texts = text_pages(outputs["print"])
    blank_versos = [i for i, t in enumerate(texts) if not t.strip() and (i + 1) % 2 == 0]
    assert blank_versos
    with pikepdf.open(outputs["print"]) as pdf:
        for index in blank_versos:
            content = b"".join(s.read_bytes() for s in pdf.pages[index].obj.Contents)
            assert b"BT" not in content


def test_chapters_open_on_right_hand_pages_after_padding(padded):
    texts = text_pages(padded[1]["print"])
    for title in ("One", "Two", "Three", "Colophon", "Part two"):
        starts = [i for i, t in enumerate(texts) if re.match(rf"\s*(Chapter \d+\s*)?{title}\b", t, re.I)]
        assert starts, title
        assert all((i + 1) % 2 == 1 for i in starts), (title, [i + 1 for i in starts])


# --- colour ------------------------------------------------------------------------------------------

def fills_of_text(pdf, index: int) -> dict[str, set[tuple]]:
    """Font name -> the fill colours (space, components) its text is shown in on one page."""
    fonts = pdf.pages[index].obj.Resources.Font
    state, stack, font, out = ("DeviceGray", (0.0,)), [], None, {}
    space = "DeviceGray"
    for operands, op in pikepdf.parse_content_stream(pdf.pages[index]):
        op = str(op)
        if op == "q":
            stack.append((state, space, font))
        elif op == "Q" and stack:
            state, space, font = stack.pop()
        elif op == "cs":
            space = str(operands[0]).lstrip("/")
        elif op in ("scn", "sc"):
            state = (space, tuple(round(float(v), 3) for v in operands))
        elif op == "k":
            state = ("DeviceCMYK", tuple(round(float(v), 3) for v in operands))
        elif op == "rg":
            state = ("DeviceRGB", tuple(round(float(v), 3) for v in operands))
        elif op == "g":
            state = ("DeviceGray", tuple(round(float(v), 3) for v in operands))
        elif op == "Tf":
            font = re.sub(r"^[A-Z]{6}\+", "", str(fonts[str(operands[0])].BaseFont).lstrip("/"))
        elif op in ("Tj", "TJ") and font:
            out.setdefault(font, set()).add(state)
    return out


def test_body_text_is_pure_black_cmyk(outputs):
    with pikepdf.open(outputs["print"]) as pdf:
        seen: dict[str, set] = {}
        for index in range(10, 30):
            for font, colours in fills_of_text(pdf, index).items():
                seen.setdefault(font, set()).update(colours)
    assert seen["Spindle-Serif"] == {("DeviceCMYK", (0.0, 0.0, 0.0, 1.0))}, seen["Spindle-Serif"]
    assert all(space == "DeviceCMYK" for colours in seen.values() for space, _ in colours), seen


# --- full bleed -------------------------------------------------------------------------------------------

def pixel_at_mm(page_image, page, x_mm: float, y_mm: float, scale: float):
    """The colour at (x, y) mm from the lower-left of the page's TrimBox."""
    media = [float(v) for v in page.get_mediabox()]
    trim = [float(v) for v in page.get_trimbox()]
    x = (trim[0] - media[0] + x_mm * MM) * scale
    y = page_image.height - (trim[1] - media[1] + y_mm * MM) * scale
    return page_image.getpixel((int(x), int(y)))


def test_full_bleed_background_and_image_reach_into_the_bleed(padded):
    import pypdfium2

    texts = text_pages(padded[1]["print"])
    part = next(i for i, t in enumerate(texts) if t.strip() == "Part two")
    document = pypdfium2.PdfDocument(str(padded[1]["print"]))
    try:
        scale = 2.0
        bleed = 3.175
        width, height = 152.4, 228.6
        checks = []
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=scale).to_pil().convert("RGB")
            corner = pixel_at_mm(image, page, -bleed + 0.5, -bleed + 0.5, scale)
            if index == part:
                assert corner[0] > 100 and corner[1] < 60, f"part page bleed corner is {corner}"
                checks.append("part")
            elif corner[2] > 120 and corner[0] < 40:  # the blue photograph
                far = pixel_at_mm(image, page, width + bleed - 0.5, height + bleed - 0.5, scale)
                assert far[2] > 120 and far[0] < 40, f"the photograph stops short of the bleed: {far}"
                checks.append("photo")
            else:
                assert corner == (255, 255, 255), f"page {index + 1} paints its bleed: {corner}"
    finally:
        document.close()
    assert sorted(checks) == ["part", "photo"], checks


# --- PDF/X-4 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["print", "cover", "imposed"])
def test_pdfx4_output_intent_with_the_configured_profile(padded, role):
    profile = (padded[1]["print"].parent.parent / "press.icc").read_bytes()
    with pikepdf.open(padded[1][role]) as pdf:
        assert pdf.pdf_version >= "1.6"
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
        assert re.search(r"<xmpMM:DocumentID>xmp\.did:[0-9a-f-]{36}</xmpMM:DocumentID>", xmp)
        assert re.search(r"<xmpMM:InstanceID>xmp\.iid:[0-9a-f-]{36}</xmpMM:InstanceID>", xmp)
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) == "Custom"
        assert str(intent.Info) == "Artifex CMYK SWOP Profile"
        assert int(intent.DestOutputProfile.N) == 4
        assert intent.DestOutputProfile.read_bytes()[36:40] == b"acsp" and intent.DestOutputProfile.read_bytes()[16:20] == b"CMYK"
        assert len(intent.DestOutputProfile.read_bytes()) <= len(profile) + 16
        assert str(pdf.docinfo.Trapped) == "/False"
        for page in pdf.pages:
            assert "/TrimBox" in page.obj and "/BleedBox" in page.obj


def test_rgb_content_is_made_device_independent_under_pdfx(padded):
    with pikepdf.open(padded[1]["print"]) as pdf:
        default = pdf.pages[0].obj.Resources.ColorSpace.DefaultRGB
        assert default[0] == pikepdf.Name.ICCBased and int(default[1].N) == 3


def test_without_a_profile_spindle_says_what_it_does_not_claim(sample_build, outputs):
    assert any("not PDF/X" in n and "icc_profile" in n for n in sample_build.notes)
    with pikepdf.open(outputs["print"]) as pdf:
        assert "/OutputIntents" not in pdf.Root
        xmp = pdf.Root.Metadata.read_bytes().decode() if "/Metadata" in pdf.Root else ""
        assert "GTS_PDFX" not in xmp


@pytest.mark.parametrize("profile, message", [
    ("../outside.icc", "lies outside the project"),
    ("missing.icc", "not found"),
    ("rgb.icc", "is a RGB profile; PDF/X-4 print needs a CMYK output profile"),
])
def test_a_bad_output_profile_is_a_config_error(tmp_path, profile, message):
    import shutil

    from printbook import RGB_PROFILE

    shutil.copy(RGB_PROFILE, tmp_path / "rgb.icc")
    config = write(tmp_path, f'[book]\ntitle = "X"\n[editions.print]\nicc_profile = "{profile}"\n',
                   {"01.md": chapter("One")})
    with pytest.raises(ConfigError) as exc:
        builder.build(load(config), ["print"], tmp_path / "build")
    assert message in str(exc.value)
    assert str(exc.value).startswith("book.toml:")
    assert not (tmp_path / "build").exists()


# --- reproducible ----------------------------------------------------------------------------------

def test_rebuilds_are_byte_identical(padded, tmp_path):
    project, first, _ = padded
    again = outputs_of(builder.build(project, ["print"], tmp_path / "again", epoch=1539216000))
    assert set(again) == {"print", "cover", "imposed"}
    for role in ("print", "cover", "imposed"):
        assert first[role].read_bytes() == again[role].read_bytes(), f"{role} differs between builds"


def test_the_epoch_sets_the_pdf_dates(padded):
    with pikepdf.open(padded[1]["cover"]) as pdf:
        assert str(pdf.docinfo.CreationDate) == "D:20181011000000Z"
        assert "<xmp:CreateDate>2018-10-11T00:00:00Z</xmp:CreateDate>" in pdf.Root.Metadata.read_bytes().decode()


def test_gutter_widens_the_inside_margin(tmp_path):
    """The same book with a 6 mm gutter: the text block of a right-hand page moves 6 mm outwards."""
    import pypdfium2

    lefts = []
    for gutter in ("0mm", "6mm"):
        root = tmp_path / gutter
        config = write(root, f'[book]\ntitle = "G"\n[editions.print]\nmarks = false\ngutter = "{gutter}"\n',
                       {"01.md": chapter("One", PARAGRAPH * 3)})
        result = builder.build(load(config), ["print"], root / "build", epoch=1539216000)
        document = pypdfium2.PdfDocument(str(result.outputs[0].path))
        try:
            texts = [document[i].get_textpage() for i in range(len(document))]
            index = next(i for i in range(len(document)) if (i + 1) % 2 == 1 and "Lorem" in texts[i].get_text_range())
            page = document[index]
            trim_x0 = float(page.get_trimbox()[0])
            xs = [texts[index].get_charbox(c)[0] for c in range(texts[index].count_chars())
                  if texts[index].get_text_range(c, 1).strip()]
            lefts.append(min(xs) - trim_x0)
        finally:
            document.close()
    assert (lefts[1] - lefts[0]) / MM == pytest.approx(6, abs=0.3)


@pytest.mark.parametrize("setting, message", [
    ('signature = 6', "editions.print.signature: expected one of 2, 4, 8, 16, 32, got 6"),
    ('signature = 2\nimposition = "saddle-stitch"', "saddle stitching folds sheets of 4 pages"),
    ('creep = "0.2mm"', "creep: only used with imposition = 'saddle-stitch'"),
    ('caliper = "0.1mm"\nppi = 400', "caliper and ppi: give the paper's thickness one way, not both"),
    ('caliper = "2mm"', "caliper: expected 0.02mm to 1mm per leaf"),
    ('qr_url = "ftp://example.org/x"', "qr_url: expected an http:// or https:// address"),
    ('icc_profile = "press.txt"', "icc_profile: expected an .icc file"),
    ('imposition = "saddle"', "(did you mean 'saddle-stitch'?)"),
    ('gutter = "wide"', "editions.print.gutter: expected a length such as '3mm', got 'wide'"),
])
def test_print_settings_are_validated(tmp_path, setting, message):
    config = tmp_path / "book.toml"
    config.write_text(f'[book]\ntitle = "X"\n[editions.print]\n{setting}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load(config)
    assert message in str(exc.value) and re.match(r".*book\.toml:\d+: editions\.print", str(exc.value))
