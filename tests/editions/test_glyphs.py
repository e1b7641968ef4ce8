"""The faster drawing of text lines (editions/paged/glyphs.py) writes the same PDF as WeasyPrint's own."""

from __future__ import annotations

import hashlib

import pytest

weasyprint = pytest.importorskip("weasyprint")

from spindle.editions.paged import glyphs  # noqa: E402

TEXT = """
<html lang="en"><head><style>
@page { size: A6; margin: 12mm; @bottom-center { content: counter(page); } }
body { font-family: "DejaVu Serif", serif; font-size: 10pt; text-align: justify; hyphens: auto; }
.sans { font-family: "DejaVu Sans", sans-serif; letter-spacing: 0.05em; word-spacing: 0.2em; }
.caps { font-variant: small-caps; font-kerning: normal; }
pre { font-family: "DejaVu Sans Mono", monospace; tab-size: 4; white-space: pre-wrap; }
.cut { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 30mm; }
.clamp { -webkit-line-clamp: 2; display: -webkit-box; overflow: hidden; width: 40mm; }
</style></head><body>
<h1>AVAVA To Wa — office affluent ﬁnal</h1>
<p>Justified text with hyphenation: internationalisation, characteristically, incomprehensibilities,
counterrevolutionaries and a soft&shy;hyphen, spaces&nbsp;non-breaking, zero&#8203;width, the
last line short. Combining marks: e\u0301 a\u0308 o\u0302; precomposed: é ä ô. Quotes “like” ‘this’.</p>
<p class="sans">Letter spacing and word spacing on sans text, with ﬁgures 0123456789 and ½ ¾.</p>
<p class="caps">Small Caps With Kerning: AVATAR Wavy Type</p>
<p lang="ar" dir="rtl" style="font-family: 'Noto Naskh Arabic', serif">مرحبا بالعالم، هذا نص عربي للاختبار.</p>
<p lang="he" dir="rtl">שלום עולם, זה טקסט בעברית.</p>
<p>Mixed: English then عربي then English again, and Ελληνικά, Кириллица.</p>
<pre>def f(x):
\treturn x  # a tab, and a very long line of code that has to wrap because it does not fit the page width</pre>
<p class="cut">A line cut with an ellipsis because it is far too long for its box</p>
<p class="clamp">Two lines at most, then block ellipsis: the rest of this paragraph is not drawn at all.</p>
<p>Emoji: 😀 🎉 and a mathematical letter: \U0001D400.</p>
<p style="font-size: 0.0000005pt">tiny</p>
<p>   </p>
</body></html>
"""


class _Counting:
    def __init__(self, original):
        self.original, self.calls = original, 0

    def __call__(self, *args):
        self.calls += 1
        return self.original(*args)


def _written(document, patched: bool) -> bytes:
    if not patched:
        return document.write_pdf(pdf_tags=True)
    with glyphs.faster():
        return document.write_pdf(pdf_tags=True)


@pytest.fixture(scope="module")
def document():
    return weasyprint.HTML(string=TEXT).render()


def test_the_faster_drawing_writes_the_same_bytes(document):
    plain = _written(document, patched=False)
    faster = _written(document, patched=True)
    assert len(document.pages) > 1
    assert hashlib.sha256(faster).hexdigest() == hashlib.sha256(plain).hexdigest()


def test_common_lines_are_drawn_by_the_replacement_and_the_rest_by_weasyprint(document, monkeypatch):
    import weasyprint.draw.text as text

    drawn = _Counting(text.draw_first_line)
    monkeypatch.setattr(text, "draw_first_line", drawn)
    document.write_pdf(pdf_tags=True)
    lines = drawn.calls  # every line WeasyPrint draws
    fallback = _Counting(text.draw_first_line.original)
    replacement = glyphs._replacement(fallback)
    assert replacement is not None
    monkeypatch.setattr(text, "draw_first_line", replacement)
    document.write_pdf(pdf_tags=True)
    # the two lines ending in an ellipsis at least go to WeasyPrint; most lines do not
    assert 2 <= fallback.calls < lines / 2, (fallback.calls, lines)


def test_only_weasyprint_70_is_patched(monkeypatch):
    import weasyprint.draw.text as text

    original = text.draw_first_line
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with glyphs.faster():
        assert text.draw_first_line is original
    monkeypatch.setattr(weasyprint, "__version__", "70.0")
    with glyphs.faster():
        assert text.draw_first_line is not original
    assert text.draw_first_line is original
