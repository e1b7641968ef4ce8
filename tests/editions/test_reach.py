"""A stylesheet edit lays out again only the parts it can reach (issue 16, editions/paged/reach.py):
the style rules that differ from the last build's are matched on each part's HTML; a part none of
whose elements they match keeps its cached layout, and anything the scheme cannot prove harmless
(an at-rule, a custom property, a rule matching every part, an added @import) lays out every part.
Checked on real builds by counting the parts laid out, and against a cold build's bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.editions.paged import reach
from spindle.project.config import load
from test_fastpath import write_book

BASE = ":root { --colour-accent: #8a2432; }\n"


# --- the comparison of the stylesheets (no layout) ----------------------------------------------------------

def _changed(old: str, new: str):
    return reach.changed(reach.items([(None, old)]), reach.items([(None, new)]))


def _selectors(found) -> list[str]:
    return sorted(str(s.pseudo_element or "") for s in found)


def test_the_rules_that_differ_are_found_rule_by_rule():
    old = "h2 { color: red; }\n/* a note */\np { margin: 0 }\ntd { color: blue }\n"
    assert _changed(old, old) == []
    assert _changed(old, old.replace("/* a note */", "/* another */")) == []  # comments do not count
    assert _changed(old, old.replace("margin: 0 }", "margin:   0;}")) == []  # nor does spacing
    found = _changed(old, old.replace("color: blue", "color: green"))
    assert len(found) == 2  # the rule as it was and as it is
    html = "<html><body><table><tr><td>x</td></tr></table></body></html>"
    assert reach.reaches(html, found) and not reach.reaches("<html><body><p>x</p></body></html>", found)
    # a rule moved is a rule removed and added: its elements are reached
    moved = _changed(old, "td { color: blue }\nh2 { color: red; }\np { margin: 0 }\n")
    assert moved and reach.reaches(html, moved)
    # pseudo-elements are matched on their element
    before = _changed(old, old + "blockquote::before { content: '“' }\n")
    assert _selectors(before) == ["before"]
    assert reach.reaches("<html><body><blockquote>q</blockquote></body></html>", before)
    assert not reach.reaches("<html><body><p>q</p></body></html>", before)
    # @media blocks count as their rules
    media = "@media print { td { color: blue } }\n"
    assert len(_changed(media, media.replace("blue", "red"))) == 2


_PARTS = [
    "<html><body><h2 id=a>Title</h2><p>x <code>&lt;h2&gt;</code></p></body></html>",
    "<html><body><pre><code>&lt;table&gt; &lt;p&gt;</code></pre><blockquote><p>q</p></blockquote></body></html>",
    "<html><body><table><tr><td>x</td></tr></table><figure><img src=a.png><figcaption>c</figcaption></figure></body></html>",
    "<html><body><P CLASS=x>shouting</P><section><h3>s</h3></section></body></html>",
]


@pytest.mark.parametrize("rule", ["h2", "p", "table", "tbody", "td", "blockquote::before", "H3", "figure", "img",
                                  "pre", "section", "h2, td", "p.x", "h2 + p", "p:first-child", "section > h3"])
def test_a_bare_element_selector_is_found_in_the_text_as_parsing_finds_it(rule):
    """reaches() answers a selector that is an element's name alone from the part's text: the
    same answer as matching it on the parsed part (escaped text such as ``&lt;h2&gt;`` is no
    element; ``tbody``, made by the parser, is found by parsing)."""
    old = "body { margin: 0 }\n"
    found = _changed(old, old + rule + " { color: red }\n")
    parsed = reach.Selectors(found)  # the same selectors without their bare names: always parsed
    assert parsed.bare == set()
    names = [r.strip().split("::")[0].lower() for r in rule.split(",")]
    assert found.bare == {n for n in names if n.isalnum()}
    for html in _PARTS:
        assert reach.reaches(html, found) == reach.reaches(html, parsed), html


def test_a_part_holding_a_bare_element_selectors_element_is_not_parsed(monkeypatch):
    import tinyhtml5

    found = _changed("p { margin: 0 }\n", "p { margin: 0 }\nh2 { letter-spacing: 0.01em }\n")
    assert found.bare == {"h2"}

    def refuse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(tinyhtml5, "parse", refuse)
    assert reach.reaches(_PARTS[0], found)  # from the text alone
    with pytest.raises(AssertionError, match="parsed"):
        reach.reaches(_PARTS[1], found)  # no <h2 in the text: parsed to be sure


@pytest.mark.parametrize("new", [
    BASE + "@page { margin-bottom: 2cm; }\n",  # a page rule
    BASE.replace("#8a2432", "#224466"),  # a custom property
    BASE + ".box { --gap: 1em; }\n",  # a custom property on a rule with a selector
    BASE + '@font-face { font-family: "X"; src: url(x.otf); }\n',
    BASE + '@counter-style thumbs { system: cyclic; symbols: "👍"; }\n',
    '@import "extra.css";\n' + BASE,
    BASE + "section { & p { color: red } }\n",  # nested rules: their selectors are not the prelude's
    BASE + "p:unknown-thing { color: red }\n",  # a selector cssselect2 cannot read
    BASE + "p { color: red }\n}\n",  # what the parser cannot read
])
def test_what_is_not_a_plain_style_rule_reaches_every_part(new):
    assert _changed(BASE, new) is None


def test_an_import_after_other_rules_is_told_from_one_before_them(tmp_path):
    (tmp_path / "extra.css").write_text("td { color: blue }\n", encoding="utf-8")
    sheet = tmp_path / "custom.css"
    first = '@import "extra.css";\nh2 { color: red }\n'
    old = reach.items([(str(sheet), first)], (tmp_path,))
    # the imported sheet's rules are items: an edit there is matched like any rule
    (tmp_path / "extra.css").write_text("td { color: green }\n", encoding="utf-8")
    assert len(reach.changed(old, reach.items([(str(sheet), first)], (tmp_path,)))) == 2
    # a rule put before the @import makes WeasyPrint ignore it: every part
    assert reach.changed(old, reach.items([(str(sheet), 'p { margin: 0 }\n' + first)], (tmp_path,))) is None


# --- real builds --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The fast-path book (front matter, five chapters: a table in alpha, a figure in beta, delta in
    Dutch) with a styles/custom.css, built once (the print layout, the screen PDF from it)."""
    root = tmp_path_factory.mktemp("reach") / "book"
    project = load(write_book(root))
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(BASE, encoding="utf-8")
    builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    return project


def _rebuild(project, css: str, editions=("pdf", "print")) -> tuple[int, int, builder.Result]:
    """(parts, parts laid out now) of the print layout after styles/custom.css is set to *css*."""
    (project.root / "styles" / "custom.css").write_text(css, encoding="utf-8")
    messages: list[str] = []
    result = builder.build(project, list(editions), epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
    note = next(m for m in messages if m.startswith("print: laid out in"))
    parts, now = re.search(r"laid out in (\d+) parts \((\d+) laid out now", note).groups()
    return int(parts), int(now), result


def _cold(project, out: Path, cache: Path, editions=("pdf", "print")) -> dict[str, bytes]:
    result = builder.build(project, list(editions), out, epoch=EPOCH, jobs=2, cache=cache)
    return {o.edition: o.path.read_bytes() for o in result.outputs}


def test_a_rule_reaching_one_chapter_lays_out_that_part_alone_and_gives_a_cold_builds_bytes(book, tmp_path):
    css = BASE + "td { color: #224466; }\n"  # the table is in chapter alpha only
    parts, now, result = _rebuild(book, css)
    assert parts >= 7 and now == 1, (parts, now)
    rebuilt = {o.edition: o.path.read_bytes() for o in result.outputs}
    cold = _cold(book, tmp_path / "cold", tmp_path / "cold-cache")
    assert {"pdf", "print"} <= set(rebuilt)
    for edition in ("pdf", "print"):
        assert rebuilt[edition] == cold[edition], edition
    # the same edit undone: the part's earlier layout, still cached, serves again
    assert _rebuild(book, BASE)[1] == 0


@pytest.mark.parametrize("rule", [
    ':lang(nl) p { color: #303030; }',  # chapter delta is Dutch
    'img[src$="chart.svg"] { opacity: 0.9; }',  # the figure of chapter beta
])
def test_a_rule_matching_in_one_chapter_by_language_or_attribute_lays_out_that_part_alone(book, rule):
    assert _rebuild(book, BASE + rule + "\n", ["pdf"])[1] == 1
    assert _rebuild(book, BASE, ["pdf"])[1] == 0  # (back as it was, from the cache)


@pytest.mark.parametrize("css", [
    BASE + "@page { margin-bottom: 2.2cm; }\n",
    BASE.replace("#8a2432", "#224466"),
    BASE + "body { color: #202020; }\n",
    '@import "extra.css";\n' + BASE,
])
def test_an_edit_the_scheme_cannot_confine_lays_out_every_part(book, css):
    (book.root / "styles" / "extra.css").write_text(".nowhere-in-the-book { color: red; }\n", encoding="utf-8")
    parts, now, _ = _rebuild(book, css, ["pdf"])
    assert now >= parts, (parts, now)
    _rebuild(book, BASE, ["pdf"])


def test_an_edit_in_an_imported_sheet_reaches_the_parts_its_rules_match(book):
    extra = book.root / "styles" / "extra.css"
    extra.write_text("td { color: #112233; }\n", encoding="utf-8")
    css = '@import "extra.css";\n' + BASE
    _rebuild(book, css, ["pdf"])
    extra.write_text("td { color: #332211; }\n", encoding="utf-8")
    assert _rebuild(book, css, ["pdf"])[1] == 1  # alpha's table: the imported sheet's change is seen


def test_a_named_string_set_in_one_part_reaches_the_running_heads_of_the_others(book, tmp_path):
    """The book title in the print edition's running heads is set on the half title (the front
    part): a rule there changes only the front part's layout, but the string it carries into every
    later part's margin boxes is applied at finish time, so every page shows it, as a cold build does."""
    import pypdf

    css = BASE + '.half-title { string-set: book-title "Another title"; }\n'
    _, _, result = _rebuild(book, css)
    rebuilt = {o.edition: o.path for o in result.outputs}
    reader = pypdf.PdfReader(rebuilt["print"])
    pages = [p.extract_text() for p in reader.pages[8:]]  # (after the front matter: the chapters' pages)
    assert sum("Another title" in p for p in pages) >= 5 and not any("Fast Path" in p for p in pages)
    cold = _cold(book, tmp_path / "cold", tmp_path / "cold-cache")
    for edition in ("pdf", "print"):
        assert rebuilt[edition].read_bytes() == cold[edition], edition
    _rebuild(book, BASE)


def test_the_preview_lays_out_first_only_a_part_in_view_the_edit_reaches(book):
    """``spindle serve`` lays out the part holding the page in view before the rest (preview.py):
    after an edit that cannot reach that part, its pages stay as they are and nothing is laid out
    first; after one that reaches it, the part is laid out as before."""
    from spindle.editions import preview
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme

    pdf = _rebuild(book, BASE, ["pdf"])[2].outputs[0].path
    where, numbers = preview.anchors(pdf), preview.numbers(pdf)
    loaded, theme = load_book(book), Theme(book)
    previous = preview.styles_key(book, theme, "pdf", False)
    alpha, gamma = where["alpha"], where["gamma"]
    (book.root / "styles" / "custom.css").write_text(BASE + "td { color: #445566; }\n", encoding="utf-8")
    try:
        with pytest.raises(preview.Unreached) as raised:
            preview.lay_out_part(loaded, theme, "pdf", gamma + 1, where, allow_remote=False, previous=previous,
                                 numbers=numbers)
        assert raised.value.part == "gamma"
        glimpse = preview.lay_out_part(loaded, Theme(book), "pdf", alpha + 1, where, allow_remote=False,
                                       previous=previous, numbers=numbers)
        assert glimpse is not None and glimpse.part == "alpha" and glimpse.pages >= 2
    finally:
        (book.root / "styles" / "custom.css").write_text(BASE, encoding="utf-8")


def test_an_edit_to_a_stylesheet_a_template_links_to_lays_the_book_out_again(tmp_path):
    """A project template may link a stylesheet of its own (``<link rel="stylesheet">``): WeasyPrint
    applies it, so an edit to it (or to a sheet it imports) must reach the layouts, not leave the
    cached ones in place."""
    import pdfplumber

    from spindle.theme import BUILTIN

    root = tmp_path / "book"
    project = load(write_book(root))
    (root / "templates").mkdir()
    template = (BUILTIN / "templates" / "book.html").read_text(encoding="utf-8")
    assert "</head>" in template
    (root / "templates" / "book.html").write_text(
        template.replace("</head>", '<link rel="stylesheet" href="styles/linked.css"/>\n</head>'), encoding="utf-8")
    (root / "styles").mkdir()
    (root / "styles" / "linked.css").write_text('@import "colours.css";\n', encoding="utf-8")
    colours = root / "styles" / "colours.css"

    def colours_of_text(blue: int) -> set:
        colours.write_text(f"p {{ color: rgb(0, 0, {blue}) !important; }}\n", encoding="utf-8")
        messages: list[str] = []
        result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2, report=lambda m: messages.append(str(m)))
        note = next(m for m in messages if m.startswith("print: laid out in"))
        parts, now = map(int, re.search(r"laid out in (\d+) parts \((\d+) laid out now", note).groups())
        assert now >= parts, note  # every part: the linked sheet reaches them all
        pdf = next(o.path for o in result.outputs if o.edition == "pdf")
        with pdfplumber.open(pdf) as document:
            return {tuple(round(v, 2) for v in c["non_stroking_color"]) for page in document.pages[3:]
                    for c in page.chars if c["text"] == "e"}

    assert (0.0, 0.0, 1.0) in colours_of_text(255)
    found = colours_of_text(128)
    assert (0.0, 0.0, 0.5) in found and (0.0, 0.0, 1.0) not in found
