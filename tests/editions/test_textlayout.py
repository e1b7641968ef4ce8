"""editions/paged/textlayout.py stands in for five of WeasyPrint 70's layout functions to do
less work again; the pages must not change: the sample book and a book of decorated,
spaced, justified and hyphenated text (underlines and overlines read the font metrics before a
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
    assert line_break.Layout.setup is textlayout._setup and inline.strut is textlayout._strut
    assert block.resolve_percentages is textlayout._resolve_percentages
    assert StyleFor.add_page_declarations is textlayout._add_page_declarations
    ours = built(config, tmp_path / "ours")

    textlayout.uninstall()
    monkeypatch.setattr(textlayout, "install", lambda: None)  # the build lays out with WeasyPrint's own
    assert line_break.Layout.setup is not textlayout._setup
    theirs = built(config, tmp_path / "theirs")

    assert set(ours) == {"pdf", "print"}
    for edition in ours:
        assert ours[edition] == theirs[edition], f"{book}: the {edition} PDF differs"
