"""editions/paged/textlayout.py stands in for five of WeasyPrint 70's layout functions to do
less work again, and linebreak.py for split_first_line; the pages must not change: the sample
book and a book of decorated, spaced, justified and hyphenated text (underlines and overlines read the font metrics before a
text box is drawn, word and letter spacing change what a layout holds) give the same PDF bytes,
screen and print, laid out with WeasyPrint's own functions and with spindle's."""

from __future__ import annotations

from pathlib import Path

import pytest

from spindle.build import orchestrate as builder
from spindle.editions.paged import textlayout
from spindle.project.config import load
from conftest import EPOCH, copy_sample

pytestmark = pytest.mark.skipif(not textlayout.supported(), reason="the stand-ins are for WeasyPrint 70 only")

PROSE = ("Hyphenation of considerably longer vocabulary demonstrates justification, accountability, "
         "responsibilities and internationalisation within narrow measures; ")


def decorated_book(root: Path) -> Path:
    m = root / "manuscript"
    m.mkdir(parents=True)
    (m / "01-one.md").write_text(
        "# Decorated\n\n" + PROSE * 6 + "[an underlined link](https://example.org/) and ~~struck words~~.\n\n"
        "## A spaced heading\n\n" + PROSE * 4 + "\n\n    code line one\n    code\tline two\n\n"
        "Een Nederlandse alinea: " + "ontwikkelingssamenwerking en verantwoordelijkheden " * 6 + "{lang=nl}\n\n"
        "Text with `inline code` and a single\u00a0spaced word " + PROSE * 3 + "\n", encoding="utf-8")
    (m / "02-two.md").write_text("# Second\n\n" + (PROSE * 5 + "\n\n") * 4, encoding="utf-8")
    styles = root / "styles"
    styles.mkdir()
    (styles / "custom.css").write_text(
        "p { word-spacing: 0.04em; }\nh2 { letter-spacing: 0.05em; }\n"
        "a { text-decoration: underline overline; }\ndel, s { text-decoration: line-through; }\n", encoding="utf-8")
    (root / "book.toml").write_text(
        '[book]\ntitle = "Decorated"\nauthors = ["A. Writer"]\nlanguage = "en"\n\n'
        '[contents]\nchapters = ["manuscript/01-one.md", "manuscript/02-two.md"]\n', encoding="utf-8")
    return root / "book.toml"


def built(config: Path, out: Path) -> dict[str, bytes]:
    result = builder.build(load(config), ["pdf", "print"], out, epoch=EPOCH, jobs=1, cache=False)
    return {o.edition: o.path.read_bytes() for o in result.outputs if o.edition in ("pdf", "print")}


@pytest.mark.parametrize("book", ["sample", "decorated"])
def test_same_pdf_bytes_with_and_without(book, tmp_path, monkeypatch):
    config = copy_sample(tmp_path / "book") if book == "sample" else decorated_book(tmp_path / "book")
    from weasyprint.css import StyleFor
    from weasyprint.layout import block, inline
    from weasyprint.text import line_break

    textlayout.install()
    from spindle.editions.paged import linebreak

    assert line_break.Layout.setup is textlayout._setup and inline.strut is textlayout._strut
    assert inline.split_first_line is linebreak.split_first_line is line_break.split_first_line
    assert block.resolve_percentages is textlayout._resolve_percentages
    assert StyleFor.add_page_declarations is textlayout._add_page_declarations
    ours = built(config, tmp_path / "ours")

    textlayout.uninstall()
    monkeypatch.setattr(textlayout, "install", lambda: None)  # the build lays out with WeasyPrint's own
    assert line_break.Layout.setup is not textlayout._setup
    assert inline.split_first_line is not linebreak.split_first_line
    theirs = built(config, tmp_path / "theirs")

    assert set(ours) == {"pdf", "print"}
    for edition in ours:
        assert ours[edition] == theirs[edition], f"{book}: the {edition} PDF differs"


# editions/paged/linebreak.py: WeasyPrint 70's split_first_line without the tries a draft shows too wide

LINES_CSS = """
@page { size: 120mm 200mm; margin: 10mm; }
body { font-family: serif; font-size: 10pt; overflow-wrap: break-word; }
p { text-align: justify; hyphens: auto; margin: 0 0 4pt; }
.narrow { width: 38mm; } .wide { width: 95mm; }
.spaced { letter-spacing: 0.05em; } .words { word-spacing: 0.2em; } .tight { letter-spacing: -0.02em; }
.sans { font-family: sans-serif; font-size: 12pt; } .mono { font-family: monospace; overflow-wrap: anywhere; }
.all { word-break: break-all; } .caps { font-variant: small-caps; }
td { hyphens: auto; padding: 2pt; }
"""
LINES_HTML = (
    "<p class=narrow lang=en>" + PROSE * 3 + "</p>"
    "<p class=wide lang=en>" + PROSE * 3 + " <a href='#x'>a linked phrase that wraps around</a> and "
    "<em>emphasised internationalisation</em>, <strong>responsibilities</strong> well-being; Addison-Wesley.</p>"
    "<p class='narrow spaced' lang=en>" + PROSE * 2 + "</p>"
    "<p class='wide words' lang=en>" + PROSE * 2 + "</p>"
    "<p class='narrow tight' lang=en>" + PROSE * 2 + "</p>"
    "<p class='narrow sans caps' lang=en>" + PROSE * 2 + "</p>"
    "<p class='narrow mono' lang=en>" + PROSE + " some_very_long_identifier_without_breaks()</p>"
    "<p class='narrow all' lang=en>" + PROSE + "</p>"
    "<p class=narrow lang=nl>" + "ontwikkelingssamenwerking en verantwoordelijkheden " * 5 + "</p>"
    "<p class=narrow lang=de>" + "Donaudampfschifffahrtsgesellschaft und Rechtsschutzversicherungen " * 4 + "</p>"
    "<p class=narrow lang=en>Soft hy\u00adphen\u00adated con\u00adsid\u00aderably lon\u00adger vo\u00adcab\u00adu\u00adlary " * 4 + "</p>"
    "<p class=narrow lang=el>" + "Η διεθνοποίηση των υπευθυνοτήτων απαιτεί συνεργασία " * 4 + "</p>"
    "<p class=narrow lang=ru>" + "Интернационализация ответственности требует сотрудничества " * 4 + "</p>"
    "<p class=narrow lang=ar dir=rtl>" + "تدويل المسؤوليات يتطلب التعاون " * 5 + "</p>"
    "<p class=narrow lang=en>Tabs\tand\ttext, \u201cquoted\u201d\u2014dashed\u2026 " + PROSE + "</p>"
    "<table><tr><td lang=en>" + PROSE + "</td><td lang=en>internationalisation responsibilities</td></tr></table>"
)


def _recorded_calls():
    """The split_first_line calls WeasyPrint makes laying LINES_HTML out (with the stand-in)."""
    import weasyprint
    from weasyprint.layout import inline, preferred

    from spindle.editions.paged import linebreak

    calls = []

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return linebreak.split_first_line(*args, **kwargs)

    textlayout.install()
    try:
        for module in (inline, preferred):
            assert module.split_first_line is linebreak.split_first_line
            module.split_first_line = recording
        weasyprint.HTML(string=f"<style>{LINES_CSS}</style>{LINES_HTML}").render()
    finally:
        for module in (inline, preferred):
            module.split_first_line = linebreak.split_first_line
    return calls


def _answer(function, args, kwargs):
    layout, *numbers = function(*args, **kwargs)
    return numbers, dict(layout.__dict__)


def test_split_first_line_gives_weasyprints_answers(monkeypatch):
    """Every line WeasyPrint breaks in a page of justified, hyphenated, spaced text in several
    scripts, at its own width and at narrower and wider ones: the same length, resume index,
    width, height, baseline and kept layout as WeasyPrint 70's own function; and tries were skipped."""
    from weasyprint.text import line_break

    from spindle.editions.paged import linebreak

    calls = _recorded_calls()
    assert len(calls) > 200
    monkeypatch.setattr(linebreak, "AUDIT", {})
    original = linebreak._SAVED["split_first_line"]
    assert original is not linebreak.split_first_line and original.__module__ == line_break.__name__
    compared = 0
    for args, kwargs in calls:
        text, style, context, max_width, *rest = args
        widths = {max_width} if max_width is None else {max_width, max_width * 0.6, max_width * 0.83,
                                                        max_width * 1.17, max_width + 7.5}
        for width in widths:
            theirs = _answer(original, (text, style, context, width, *rest), kwargs)
            ours = _answer(linebreak.split_first_line, (text, style, context, width, *rest), kwargs)
            assert ours == theirs, (text[:60], width)
            compared += 1
    assert compared > 1000
    assert linebreak.AUDIT.get("skipped", 0) > 300 and linebreak.AUDIT.get("kept", 0) > 20, linebreak.AUDIT
    assert linebreak.AUDIT.get("wrong", 0) == 0, linebreak.AUDIT

    # the comparison can fail: with a margin far below zero, tries that fit are skipped
    monkeypatch.setattr(linebreak, "AUDIT", None)
    monkeypatch.setattr(linebreak, "_MARGIN", -1.0)
    assert any(_answer(original, args, kwargs) != _answer(linebreak.split_first_line, args, kwargs)
               for args, kwargs in calls)
