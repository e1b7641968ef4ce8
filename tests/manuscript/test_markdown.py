"""Markdown to XHTML fragments: quotes per language, namespaced ids, notes,
figures, tables, definition lists, containers, interview turns and the
errors/warnings that name file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from lxml import etree

from spindle.project.config import Entry, load
from spindle.core.errors import ManuscriptError
from spindle.manuscript.load import load_book, load_chapter
from spindle.manuscript.markdown import ParseContext, render, typographic
from spindle.manuscript.model import Note, Speaker

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'


def make_project(root: Path, chapters: dict[str, str], language: str = "en") -> Path:
    """book.toml listing *chapters* (name -> source, dedented) plus a figure."""
    (root / "manuscript" / "figures").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "figures" / "chart.svg").write_text(SVG, encoding="utf-8")
    for name, text in chapters.items():
        (root / "manuscript" / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    files = ", ".join(f'"manuscript/{name}"' for name in chapters)
    config = root / "book.toml"
    config.write_text(f'[book]\ntitle = "Tiny"\nlanguage = "{language}"\n\n[contents]\nchapters = [{files}]\n',
                      encoding="utf-8")
    return config


def chapter(tmp_path: Path, text: str, name: str = "01-alpha.md", language: str = "en"):
    """Load one chapter (front matter + body) through spindle.manuscript.load."""
    project = load(make_project(tmp_path, {name: text}, language))
    return load_chapter(project, Entry(f"manuscript/{name}"), "body", None, set())


def fragment(tmp_path: Path, text: str, lang: str = "en", speakers: dict | None = None, chapter_id: str = "ch"):
    """Render a body with spindle.manuscript.markdown.render directly."""
    (tmp_path / "manuscript" / "figures").mkdir(parents=True, exist_ok=True)
    (tmp_path / "manuscript" / "figures" / "chart.svg").write_text(SVG, encoding="utf-8")
    ctx = ParseContext(chapter_id=chapter_id, source=tmp_path / "manuscript" / "x.md", display="manuscript/x.md",
                       root=tmp_path.resolve(), line_offset=0, speakers=speakers or {})
    return render(textwrap.dedent(text).lstrip("\n"), lang, ctx)


def parse_xhtml(html: str):
    """The fragment must be well-formed XML (it goes into EPUB XHTML as is)."""
    wrapped = ('<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
               + html + "</div>")
    return etree.fromstring(wrapped.encode("utf-8"))


# --- smart quotes ---------------------------------------------------------------------------


def test_english_smart_quotes(tmp_path):
    frag = fragment(tmp_path, """He said "it's 'fine'" -- really.""")
    assert "“it’s ‘fine’”" in frag.html
    assert '"' not in frag.html.split(">", 1)[1].rsplit("<", 1)[0]


def test_dutch_smart_quotes(tmp_path):
    frag = fragment(tmp_path, """Zij zei "samen 'sterker'" vandaag.""", lang="nl")
    assert "„samen ‚sterker’”" in frag.html


def test_chapter_language_from_front_matter_overrides_book(tmp_path):
    ch = chapter(tmp_path, """
        ---
        title: '"Samen" sterker'
        lang: nl
        ---
        Het "netwerk" groeit.
    """)
    assert ch.lang == "nl"
    assert "„netwerk”" in ch.html
    assert ch.title == "„Samen” sterker"


def test_book_language_is_the_default(tmp_path):
    ch = chapter(tmp_path, """
        ---
        title: Samen
        ---
        Het "netwerk" groeit.
    """, language="nl")
    assert ch.lang == "nl"
    assert "„netwerk”" in ch.html


def test_code_keeps_straight_quotes(tmp_path):
    frag = fragment(tmp_path, 'Use `"raw"` here and "curly" there.')
    assert "<code>&quot;raw&quot;</code>" in frag.html or '<code>"raw"</code>' in frag.html
    assert "“curly”" in frag.html


def test_typographic_titles():
    assert typographic('"Shifting" power -- now', "en") == "“Shifting” power – now"
    assert typographic('"Samen" sterker', "nl") == "„Samen” sterker"


# --- footnotes ----------------------------------------------------------------------------------


def test_footnotes_are_namespaced_per_chapter(tmp_path):
    body = """
        ---
        title: {title}
        ---
        Text with a note.[^1] And another.[^two]

        [^1]: First note of {title}.
        [^two]: Second note of {title}.
    """
    config = make_project(tmp_path, {
        "01-alpha.md": body.format(title="Alpha"),
        "02-beta.md": body.format(title="Beta"),
    })
    book = load_book(load(config))
    alpha, beta = book.chapters
    assert [n.id for n in alpha.notes] == ["alpha-fn1", "alpha-fn2"]
    assert [n.id for n in beta.notes] == ["beta-fn1", "beta-fn2"]
    assert alpha.notes[0] == Note(id="alpha-fn1", ref_id="alpha-fnref1", number=1,
                                  html="<p>First note of Alpha.</p>")
    assert beta.notes[1].ref_id == "beta-fnref2" and beta.notes[1].number == 2
    assert "Second note of Beta." in beta.notes[1].html
    assert ('<a class="noteref" id="alpha-fnref1" href="#alpha-fn1" role="doc-noteref" '
            'epub:type="noteref">1</a>') in alpha.html
    assert 'href="#beta-fn1"' in beta.html
    # notes are not left in the body
    assert "First note of Alpha" not in alpha.html
    # every id in the whole book is unique
    ids = [n.id for c in book.chapters for n in c.notes] + [n.ref_id for c in book.chapters for n in c.notes]
    assert len(ids) == len(set(ids))


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "markdown"


def test_link_definitions_right_after_a_footnote_are_definitions(tmp_path):
    """js-primer (GitBook): ``[^1]: note`` then, with no blank line, ``[IEEE 754]: url`` and more
    definitions. CommonMark made them lazy lines of the note (the note printed them, the
    reference links printed as written); they end the note, as in GitBook's parser."""
    text = (FIXTURES / "footnote-then-definitions.md").read_text(encoding="utf-8")
    found = chapter(tmp_path, text)
    body = parse_xhtml(found.html)
    links = {a.get("href"): "".join(a.itertext()) for a in body.iter("{http://www.w3.org/1999/xhtml}a")}
    assert links["https://ja.wikipedia.org/wiki/IEEE_754"] == "IEEE 754"
    assert links["https://tc39.es/ecma262/"] == "ECMAScript"
    assert links["#strict-mode"] == "strict mode"  # (resolved to the chapter's ids later, by manuscript/links)
    assert "[IEEE 754]" not in found.html and "[ECMAScript]" not in found.html
    (note,) = found.notes
    assert "2ality.com" in note.html and "IEEE" not in note.html and "tc39" not in note.html


def test_a_footnotes_indented_lines_and_other_paragraphs_keep_commonmarks_rule(tmp_path):
    """Only an unindented (lazy) line after a footnote ends it; a definition line inside an
    ordinary paragraph stays that paragraph's text, as CommonMark says."""
    found = fragment(tmp_path, """
        Text.[^1] Then [x][] and [y][].

        [^1]: A note
            [x]: https://example.org/indented

        A paragraph
        [y]: https://example.org/in-a-paragraph
    """)
    assert "https://example.org/indented" not in found.html
    assert "[x]: https://example.org/indented" in found.notes[0].html  # (the note's own text)
    assert "[y]: " in found.html and 'href="https://example.org/in-a-paragraph"' not in found.html


def test_note_referenced_twice(tmp_path):
    frag = fragment(tmp_path, """
        One.[^a] Two.[^a]

        [^a]: Shared.
    """)
    assert len(frag.notes) == 1
    assert frag.html.count('href="#ch-fn1"') == 2
    assert 'id="ch-fnref1"' in frag.html
    ids = [el.get("id") for el in parse_xhtml(frag.html).iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "a second call of a note must get its own id"


def test_multi_paragraph_note(tmp_path):
    frag = fragment(tmp_path, """
        Text.[^1]

        [^1]: First paragraph.

            Second paragraph.
    """)
    assert frag.notes[0].html.count("<p>") == 2


# --- headings --------------------------------------------------------------------------------------


def test_heading_ids_are_prefixed_with_chapter_id(tmp_path):
    """Slugs as GitHub and mdBook make them (lowercased, punctuation dropped, each space a '-',
    letters of every script kept, repeats numbered -1, -2), so a book's own #anchors keep working."""
    ch = chapter(tmp_path, """
        ---
        title: Alpha
        ---
        Intro.

        ## New "alliances" & partners

        ### Détails, naïvement

        {#why}
        ## A section with an explicit id

        ## New "alliances" & partners
    """)
    assert ch.id == "alpha"
    assert [(h.level, h.id) for h in ch.headings] == [
        (2, "alpha-new-alliances--partners"),
        (3, "alpha-détails-naïvement"),
        (2, "alpha-why"),
        (2, "alpha-new-alliances--partners-1"),
    ]
    assert ch.headings[0].text == "New “alliances” & partners"
    assert '<h2 id="alpha-why">A section with an explicit id</h2>' in ch.html
    assert '<h3 id="alpha-détails-naïvement">' in ch.html


def test_block_attributes_on_heading(tmp_path):
    frag = fragment(tmp_path, "{#custom .wide}\n## Section\n")
    assert 'id="ch-custom"' in frag.html and 'class="wide"' in frag.html


def test_same_heading_in_two_chapters_gets_distinct_ids(tmp_path):
    body = "---\ntitle: {t}\n---\n## Conclusion\n"
    book = load_book(load(make_project(tmp_path, {"01-a.md": body.format(t="A"), "02-b.md": body.format(t="B")})))
    assert [h.id for c in book.chapters for h in c.headings] == ["a-conclusion", "b-conclusion"]


def test_explicit_chapter_id_from_front_matter(tmp_path):
    ch = chapter(tmp_path, "---\ntitle: X\nid: intro\n---\n## Hello\n")
    assert ch.id == "intro"
    assert ch.headings[0].id == "intro-hello"


def test_h1_inside_chapter_warns_with_file_and_line(tmp_path):
    ch = chapter(tmp_path, "---\ntitle: X\n---\nText.\n\n# Big\n")
    assert ch.warnings == (
        "manuscript/01-alpha.md:6: a '#' heading inside a chapter; the title comes from the front matter, "
        "use '##' for sections",
    )


# --- figures, images --------------------------------------------------------------------------------


def test_image_alone_becomes_figure_with_caption(tmp_path):
    ch = chapter(tmp_path, """
        ---
        title: Alpha
        ---
        Text.

        ![A bar chart](figures/chart.svg "Figure 1. Money flows")
    """)
    assert ('<figure><img src="manuscript/figures/chart.svg" alt="A bar chart"/>'
            "<figcaption>Figure 1. Money flows</figcaption></figure>") in ch.html
    assert ch.resources == ("manuscript/figures/chart.svg",)
    assert ch.warnings == ()


def test_figure_without_title_has_no_caption(tmp_path):
    frag = fragment(tmp_path, "![A chart](figures/chart.svg)\n")
    assert '<figure><img src="manuscript/figures/chart.svg" alt="A chart"/></figure>' in frag.html
    assert "figcaption" not in frag.html


def test_inline_image_is_not_a_figure(tmp_path):
    frag = fragment(tmp_path, 'See ![icon](figures/chart.svg "Tip") here.\n')
    assert "<figure>" not in frag.html
    assert '<img src="manuscript/figures/chart.svg" alt="icon" title="Tip"/>' in frag.html
    assert frag.html.startswith("<p>")


def test_image_used_twice_is_one_resource(tmp_path):
    frag = fragment(tmp_path, "![a](figures/chart.svg)\n\n![b](./figures/chart.svg)\n")
    assert frag.resources == ("manuscript/figures/chart.svg",)


def missing_image(ch):
    """The chapter's one I001 diagnostic: a missing image is an error, reported with the others
    once the book is loaded (the build then stops; spindle check reports the same)."""
    (found,) = [d for d in ch.diagnostics if d.code == "I001"]
    assert found.level == "error"
    return found


def test_missing_image_names_file_and_line(tmp_path):
    info = missing_image(chapter(tmp_path, """
            ---
            title: Alpha
            ---
            Text.

            More text.

            ![Map](figures/map.png)
        """))
    assert str(info) == ("manuscript/01-alpha.md:8: image 'figures/map.png' not found; "
                         "check the path (relative to this file)")


def test_missing_image_line_with_crlf_line_endings(tmp_path):
    text = "---\r\ntitle: Alpha\r\n---\r\nText.\r\n\r\n![Map](figures/map.png)\r\n"
    assert missing_image(chapter(tmp_path, text)).line == 6


def test_missing_image_line_is_the_image_line_not_the_paragraph_start(tmp_path):
    """An image on the third line of a paragraph is reported at that line."""
    info = missing_image(chapter(tmp_path, """
            ---
            title: Alpha
            ---
            A paragraph that starts here,
            continues here,
            and shows ![a map](figures/map.png) here.
        """))
    assert str(info).startswith("manuscript/01-alpha.md:6: image 'figures/map.png' not found")


def test_image_without_alt_text_warns_with_file_and_line(tmp_path):
    ch = chapter(tmp_path, """
        ---
        title: Alpha
        ---
        Text.

        ![](figures/chart.svg)
    """)
    assert ch.warnings == (
        "manuscript/01-alpha.md:6: image 'figures/chart.svg' has no alt text; describe it in ![...]",
    )
    assert 'alt=""' in ch.html


# --- block structures --------------------------------------------------------------------------------


def test_table(tmp_path):
    frag = fragment(tmp_path, """
        | Funder | Grantee |
        |:-------|--------:|
        | "Trust" | 10 |
    """)
    root = parse_xhtml(frag.html)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert [th.text for th in root.findall(".//h:thead/h:tr/h:th", ns)] == ["Funder", "Grantee"]
    assert [td.text for td in root.findall(".//h:tbody/h:tr/h:td", ns)] == ["“Trust”", "10"]


def test_definition_list(tmp_path):
    frag = fragment(tmp_path, """
        Currency
        : What people exchange.

        Power
        : Who decides.
    """)
    assert "<dl>" in frag.html
    assert "<dt>Currency</dt>" in frag.html
    assert "<dd>What people exchange.</dd>" in frag.html
    assert frag.html.count("<dt>") == 2


def test_box_and_pullquote_containers(tmp_path):
    frag = fragment(tmp_path, """
        ::: box
        Boxed **text**.
        :::

        ::: pullquote
        "Trust is the currency."
        :::

        ::: note
        A note aside.
        :::

        ::: sidebar
        Generic.
        :::
    """)
    assert '<aside class="box">\n<p>Boxed <strong>text</strong>.</p>\n</aside>' in frag.html
    assert ('<aside class="pullquote" role="doc-pullquote" epub:type="pullquote">\n'
            "<p>“Trust is the currency.”</p>\n</aside>") in frag.html
    assert '<aside class="note" role="note">' in frag.html
    assert '<div class="sidebar">\n<p>Generic.</p>\n</div>' in frag.html
    parse_xhtml(frag.html)


def test_nested_containers_close_with_the_right_tags(tmp_path):
    frag = fragment(tmp_path, """
        :::: box
        Outer.

        ::: pullquote
        Inner.
        :::
        ::::
    """)
    root = parse_xhtml(frag.html)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    outer = root.find("h:aside", ns)
    assert outer.get("class") == "box"
    assert outer.find("h:aside", ns).get("role") == "doc-pullquote"


def test_fragment_is_well_formed_xhtml(tmp_path):
    frag = fragment(tmp_path, """
        Line one  
        line two, and an image ![x](figures/chart.svg).

        ---

        * a
        * b

        ![Chart](figures/chart.svg "Caption & more")
    """)
    parse_xhtml(frag.html)
    assert "<hr />" in frag.html or "<hr/>" in frag.html


# --- interviews --------------------------------------------------------------------------------------


INTERVIEW = """
    ---
    title: Funder meets grantee
    kind: interview
    standfirst: A "frank" talk.
    speakers:
      Q: {role: "Interviewer, The Broker", interviewer: true}
      A: {name: Jan Jansen, role: "Director, Fonds", short: Jansen}
    ---
    Q: Why did you change how you fund?

    A: Because trust matters [laughs].

    It took years.

    Q: And now?

    A: Now we share power.
"""


def test_interview_turns(tmp_path):
    ch = chapter(tmp_path, INTERVIEW, name="06-interview.md")
    assert ch.kind == "interview"
    assert [s.label for s in ch.speakers] == ["Q", "A"]
    assert ch.speakers[0] == Speaker(label="Q", role="Interviewer, The Broker", interviewer=True)
    html = ch.html
    # first turns carry the full role
    assert ('<p class="turn question" data-speaker="Q"><span class="speaker">Interviewer, The Broker:</span> '
            "Why did you change how you fund?</p>") in html
    assert ('<p class="turn answer" data-speaker="A"><span class="speaker">Jan Jansen, Director, Fonds:</span> '
            "Because trust matters") in html
    # an unlabelled paragraph continues the turn
    assert '<p class="turn-cont answer" data-speaker="A">It took years.</p>' in html
    # later turns use the short name (or the label)
    assert '<p class="turn answer" data-speaker="A"><span class="speaker">Jansen:</span> Now we share power.</p>' in html
    assert '<p class="turn question" data-speaker="Q"><span class="speaker">Q:</span> And now?</p>' in html
    assert html.count('class="turn question"') == 2
    # editorial remarks are marked up
    assert '<span class="editorial">[laughs]</span>' in html
    assert "„" not in ch.standfirst and "“frank”" in ch.standfirst
    parse_xhtml(html)


def test_interview_without_speakers_is_an_error(tmp_path):
    with pytest.raises(ManuscriptError) as info:
        chapter(tmp_path, "---\ntitle: T\nkind: interview\n---\nQ: Hi?\n")
    assert str(info.value).startswith("manuscript/01-alpha.md:1: an interview needs a 'speakers' table")


def test_labels_outside_interviews_are_plain_text(tmp_path):
    ch = chapter(tmp_path, "---\ntitle: T\n---\nQ: is this a turn?\n")
    assert "<p>Q: is this a turn?</p>" in ch.html
    assert "turn" not in ch.html.replace("a turn?", "")


def test_a_refused_image_with_no_alt_text_stands_in_with_its_file_name(tmp_path):
    """A remote image is not fetched: its alt text stands in, or with none its file name, so a
    link around it still has text to read (ko-interview's README: Ace's serious link-name)."""
    out = fragment(tmp_path, """
        <a href="https://example.org/graphs"><img src="https://example.org/team/contributors.svg?width=720"></a>

        [![](https://example.org/badges/licence.svg)](https://example.org/licence) ![A badge](https://example.org/b.svg)
        """)
    root = parse_xhtml(out.html)
    stand_ins = ["".join(s.itertext()) for s in root.iter("{http://www.w3.org/1999/xhtml}span")
                 if s.get("class") == "image-refused"]
    assert stand_ins == ["contributors.svg", "licence.svg", "A badge"]


def test_chapter_ids_are_read_as_the_id_pattern_finds_them():
    """links._ids_in (the fast scan for ids) finds what links._ID finds, in the same order, unescaped."""
    import html as html_module

    from spindle.manuscript import links

    samples = ['<p id="a">x xid="a b id="c" <b\tid="d&amp;e"/> id="z"', 'id="start" <i\nid="n"/>',
               '<a data-id="no" id="yes">', '<span id="">', "", '<p id="x y">"quoted" id="t"</p>']
    for sample in samples:
        assert links._ids_in(sample) == [html_module.unescape(m.group(2)) for m in links._ID.finditer(sample)]
    assert links._ids_in(samples[0]) == ["a", "c", "d&e", "z"]


# --- highlighted code held out of the XHTML pass ----------------------------------------------------

HELD_CASES = {
    "raw HTML beside code": """
        <span class="filename">Filename: src/main.rs</span>

        ```rust
        fn main() { let s = "a < b && 'c'"; println!("{s}"); }
        ```

        Text<br>after.[^1]

        [^1]: A note with code:

            ```python
            print('x' if a < b else "y")
            ```
        """,
    "a formatting element left open before the code": """
        <b>bold, never closed

        ```rust
        fn main() {}
        ```

        after
        """,
    "a textarea left open before the code": """
        Text <textarea>open

        ```rust
        fn main() {}
        ```
        """,
    "code with a character XML refuses": "<i>raw</i>\n\n```c\nint a;\f\nint b;\n```\n",
    "private-use characters in the text": "<i>raw</i> \ue000 \ue001\n\n```rust\nfn main() {}\n```\n",
}


@pytest.mark.parametrize("case", HELD_CASES)
def test_code_held_out_of_the_xhtml_pass_comes_out_as_before(tmp_path, monkeypatch, case):
    """Spindle's highlighted code bodies skip the HTML5 re-parse of a chapter with raw HTML: the
    fragment, its notes and its warnings are exactly what the parse of everything gives."""
    from spindle.manuscript import markdown, xhtml

    seen: list[str] = []
    normalise = xhtml.normalise
    monkeypatch.setattr(xhtml, "normalise", lambda text, problems=None: seen.append(text) or normalise(text, problems))
    held = fragment(tmp_path, HELD_CASES[case])
    monkeypatch.setattr(markdown, "_hold", lambda block, held: block)  # holding off: every body parsed, as before
    whole = fragment(tmp_path, HELD_CASES[case])
    assert (held.html, held.notes, held.diagnostics) == (whole.html, whole.notes, whole.diagnostics)
    parse_xhtml(held.html)
    assert "\ue000" not in held.html.replace("\ue000 \ue001", "")
    if case == "a textarea left open before the code":  # the parse made the code the textarea's text
        assert '&lt;span class="k"&gt;fn' in held.html
    else:
        assert '<span class="k">fn</span>' in held.html or '<span class="kt">int</span>' in held.html
    if case == "code with a character XML refuses":  # left to the XHTML pass, which replaces it
        assert "\f" not in held.html and "\ufffd" in held.html
    if case == "raw HTML beside code":
        assert '<span class="fm">println!</span>' in held.html  # highlighted, and not parsed again:
        assert len(seen) == 4 and not [text for text in seen[:2] if 'class="fm"' in text or 'class="nb"' in text]
        assert len(held.notes) == 1 and '<span class="nb">print</span>' in held.notes[0].html


@pytest.mark.parametrize("stem, expected", [
    ("01-intro", "intro"), ("2018-report", "report"), ("01-02-floor", "floor"), ("01_02_floor", "floor"),
    ("1.2 Floor plan", "floor-plan"), ("01 - intro", "intro"), ("ch03-01-variables", "ch03-01-variables"),
    ("01-02", "c-02"), ("07", "chapter"), ("3d-printing", "c-3d-printing"), ("01-3d-printing", "c-3d-printing"),
])
def test_a_chapter_id_drops_every_number_that_orders_the_files(stem, expected):
    """Files ordered by several numbers (01-02-floor.md) have ids without them (it was c-02-floor);
    a number that is part of a word stays (3d-printing was d-printing)."""
    from spindle.manuscript.load import _chapter_id

    assert _chapter_id(stem, set()) == expected
