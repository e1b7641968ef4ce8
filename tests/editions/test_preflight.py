"""Preflight (spindle check print, build --strict) catches what a printer would reject:
a low-resolution image (named, with its page), a glyph missing from its font, an
unembedded font, a wrong page box, a page count off the signature and a missing
PDF/X output intent; and passes the sample book."""

from __future__ import annotations

import io
import json
import re
import subprocess

import pikepdf
import pytest

from printbook import ISBN, chapter, write
from spindle.build import orchestrate as builder
from spindle.editions.print import preflight
from spindle.cli import run
from spindle.project.config import load
from spindle.core.errors import BuildError

PUA = "\U0010FFFD"  # a private-use character no installed font has (Libertine has U+E000)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A book with a 120×90 px image set across the text block and a character no font has."""
    from PIL import Image

    root = tmp_path_factory.mktemp("faulty")
    (root / "manuscript" / "figures").mkdir(parents=True)
    Image.new("RGB", (120, 90), (200, 40, 40)).save(root / "manuscript" / "figures" / "small.png")
    config = write(root, '[book]\ntitle = "Faulty"\n[editions.print]\nsignature = 8\n', {
        "01-one.md": chapter("One", "Text.\n\n![A small picture](figures/small.png)\n"),
        "02-two.md": chapter("Two", f"A symbol {PUA} nobody has."),
    })
    project = load(config)
    result = builder.build(project, ["print"], root / "build", epoch=1539216000)
    return project, result


def test_sample_passes_preflight(sample_project, outputs, capsys):
    report = preflight.check_project(sample_project, outputs["print"].parent)
    assert not report.errors and not report.warnings, report.table()
    checks = {(f.file.rsplit("/", 1)[-1], f.check) for f in report.findings}
    for check in ("boxes", "fonts", "glyphs", "images", "signature", "pdfx"):
        assert ("joining-forces-sharing-power-print.pdf", check) in checks
    assert ("joining-forces-sharing-power-cover.pdf", "boxes") in checks
    assert ("joining-forces-sharing-power-print-imposed.pdf", "boxes") in checks


def test_font_check_agrees_with_pdffonts(outputs, sample_project):
    listing = subprocess.run(["pdffonts", str(outputs["print"])], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5] == "yes" for row in rows), listing  # the 'emb' column
    findings = preflight.check(outputs["print"], expect(sample_project, ("fonts",)))
    assert findings[0].level == "ok" and findings[0].message.startswith(f"{len(rows)} font(s)")


def expect(project, checks=preflight.CHECKS, name="print.pdf"):
    p = project.config.editions.print
    return preflight.Expect(name, p.size, p.bleed.mm, signature=p.signature, pdfx=p.icc_profile is not None,
                            checks=checks)


def test_low_resolution_image_is_named_with_its_page(faulty):
    project, _ = faulty
    report = preflight.check_project(project)
    (warning,) = [f for f in report.warnings if f.check == "images"]
    assert "manuscript/figures/small.png (120 × 90 px)" in warning.message
    assert re.search(r": \d+ ppi, below 300 ppi", warning.message)
    texts = page_texts(project.root / "build" / "faulty-print.pdf")
    assert "A small picture" in texts[warning.page - 1] or "One" in texts[warning.page - 1]


def page_texts(path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def test_missing_glyph_is_an_error_naming_the_character_and_page(faulty):
    project, result = faulty
    report = preflight.check_project(project)
    (error,) = [f for f in report.errors if f.check == "glyphs"]
    assert "U+10FFFD" in error.message and "empty box" in error.message
    assert "A symbol" in page_texts(project.root / "build" / "faulty-print.pdf")[error.page - 1]
    # the build said so too, once, in its own words (WeasyPrint's .notdef messages are folded in)
    assert len([w for w in result.warnings if "no font has the character" in w and "U+10FFFD" in w]) == 1
    assert not any(".notdef" in w for w in result.warnings)
    # with its code from the one table, where it is first used (--json lists it so)
    assert [(d.code, d.level, d.path) for d in result.diagnostics if "U+10FFFD" in d.message] == [
        ("P001", "warning", "manuscript/02-two.md")]


def test_a_cover_template_of_two_pages_is_a_coded_warning(tmp_path):
    """R001: the cover template made more than one page (the first is the cover)."""
    from pathlib import Path

    import spindle.theme
    from spindle.project.config import load

    config = write(tmp_path, '[book]\ntitle = "Covered"\n[editions.print]\nsignature = 4\n',
                   {"01-one.md": chapter("One", "Text.")})
    cover = (Path(spindle.theme.__file__).parent / "templates" / "cover.html").read_text(encoding="utf-8")
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "cover.html").write_text(
        cover.replace("</body>", '<p>One.</p><p style="break-before: page">A second page.</p></body>'), encoding="utf-8")
    result = builder.build(load(config), ["print"], tmp_path / "build", epoch=1539216000)
    found = [d for d in result.diagnostics if d.code == "R001"]
    assert [d.message for d in found] == ["cover: the cover template made 2 pages; only the first is the cover"]
    assert str(found[0]) in result.warnings


def test_check_print_cli_exits_non_zero_with_a_table_and_json(faulty, capsys, monkeypatch):
    project, _ = faulty
    monkeypatch.chdir(project.root)
    assert run(["check", "print"]) == 1
    table = capsys.readouterr().out
    assert re.search(r"faulty-print\.pdf\s+glyphs\s+ERROR\s+page \d+: U\+10FFFD", table), table
    assert re.search(r"images\s+WARNING", table)
    assert run(["check", "print", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] >= 1 and data["warnings"] >= 1
    assert {"file", "check", "level", "message", "page"} <= set(data["findings"][0])


def test_check_print_passes_the_sample(sample_project, outputs, capsys):
    assert run(["check", "print", "--config", str(sample_project.config_path), "--out", str(outputs["print"].parent)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_check_without_a_built_pdf_says_what_to_do(tmp_path, capsys):
    config = write(tmp_path, '[book]\ntitle = "Unbuilt"\n', {"01.md": chapter("One")})
    assert run(["check", "print", "--config", str(config)]) == 1
    assert "run 'spindle build print' first" in capsys.readouterr().err


def test_strict_build_fails_on_a_low_resolution_image_and_writes_nothing(tmp_path):
    from PIL import Image

    (tmp_path / "manuscript" / "figures").mkdir(parents=True)
    Image.new("RGB", (120, 90), (200, 40, 40)).save(tmp_path / "manuscript" / "figures" / "small.png")
    config = write(tmp_path, f'[book]\ntitle = "Strict"\nisbn = {{ print = "{ISBN}" }}\n',
                   {"01.md": chapter("One", "![Small](figures/small.png)")})
    with pytest.raises(BuildError, match=r"preflight: .*small\.png .* ppi"):
        builder.build(load(config), ["print"], tmp_path / "build", strict=True)
    assert not (tmp_path / "build").exists() or not any((tmp_path / "build").iterdir())


def modified(path, change) -> bytes:
    with pikepdf.open(path) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_an_unembedded_font_is_an_error(outputs, sample_project):
    def add_helvetica(pdf):
        page = pdf.pages[4]
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        page.obj.Resources = pikepdf.Dictionary(page.obj.Resources)
        page.obj.Resources.Font = pikepdf.Dictionary(page.obj.Resources.Font)
        page.obj.Resources.Font.HelvX = font
        page.contents_add(pdf.make_stream(b"BT /HelvX 9 Tf 20 20 Td (added) Tj ET"), prepend=False)

    findings = preflight.check(modified(outputs["print"], add_helvetica), expect(sample_project, ("fonts",)))
    (error,) = [f for f in findings if f.level == "error"]
    assert "font Helvetica is not embedded" in error.message and error.page == 5


def test_a_wrong_trim_box_is_an_error_naming_the_page(outputs, sample_project):
    def shrink(pdf):
        box = [float(v) for v in pdf.pages[6].obj.TrimBox]
        pdf.pages[6].obj.TrimBox = [box[0], box[1], box[2] - 2 * 72 / 25.4, box[3]]

    findings = preflight.check(modified(outputs["print"], shrink), expect(sample_project, ("boxes",)))
    errors = [f for f in findings if f.level == "error"]
    assert errors and all(f.page == 7 for f in errors)
    assert any("TrimBox 146.0 × 210.0 mm, expected 148 × 210 mm" in f.message for f in errors)


def test_a_page_count_off_the_signature_is_an_error(outputs, sample_project):
    findings = preflight.check(modified(outputs["print"], lambda pdf: pdf.pages.remove(pdf.pages[-1])),
                               expect(sample_project, ("signature",)))
    assert findings[0].level == "error" and "not a multiple of the signature (4)" in findings[0].message


def test_pdfx_without_its_output_intent_is_an_error(padding_build):
    project, result = padding_build
    path = next(o.path for o in result.outputs if o.edition == "print")
    assert all(f.level == "ok" for f in preflight.check(path, expect(project, ("pdfx",))))

    def drop(pdf):
        del pdf.Root["/OutputIntents"]

    findings = preflight.check(modified(path, drop), expect(project, ("pdfx",)))
    assert [f.message for f in findings if f.level == "error"] == ["no /GTS_PDFX output intent"]
