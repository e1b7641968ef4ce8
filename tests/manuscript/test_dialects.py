"""Other tools' dialects, read as those tools read them (tests/fixtures/dialects: a small book of our
own writing with mdBook includes and listings, GitBook tags, MkDocs admonitions and GitHub alerts):
nothing printed literally, every problem a diagnostic naming file and line."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from lxml import etree

from spindle.manuscript.load import load_book
from spindle.project.config import load

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"
H = {"h": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("dialects")
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    return load_book(load(root / "book.toml"))


def html_of(book, cid: str) -> str:
    return next(c for c in book.chapters if c.id == cid).html


def tree(fragment: str):
    return etree.fromstring(f'<div xmlns="{H["h"]}" xmlns:epub="http://www.idpf.org/2007/ops">{fragment}</div>')


def text(element) -> str:
    return "".join(element.itertext())


def code_blocks(fragment: str) -> list[str]:
    return [text(p) for p in tree(fragment).xpath("//h:pre", namespaces=H)]


def test_the_fixture_loads_without_any_finding(book):
    assert [str(d) for d in book.diagnostics] == []


def test_every_chapter_is_well_formed_xhtml_with_nothing_left_literally(book):
    for chapter in book.chapters:
        root = tree(chapter.html)
        prose = "".join(t for e in root.iter() if e.tag != f"{{{H['h']}}}code" for t in [e.text or "", e.tail or ""])
        for leftover in ("{{#include", "{{#rustdoc", "{{#title", "{%", "[!NOTE]", "!!! ", "<Listing", "<!--"):
            assert leftover not in chapter.html.replace("{{#include file.rs}}", "").replace("{% if x %}", ""), \
                (chapter.id, leftover)
        assert "ANCHOR" not in chapter.html
        assert prose


# --- mdBook ---------------------------------------------------------------------------------------

def test_include_with_an_anchor_takes_the_lines_between_and_no_anchor_line(book):
    first = code_blocks(html_of(book, "mdbook"))[0]
    assert first.startswith("fn main() {") and first.rstrip().endswith("}")
    assert "use std::io" not in first and "helper" not in first and "ANCHOR" not in first


def test_include_line_ranges_follow_mdbooks_rules(book):
    blocks = code_blocks(html_of(book, "mdbook"))
    assert blocks[1] == "fn helper() -> u32 {\n    42\n}\n"  # :10:12
    assert blocks[2] == "fn helper() -> u32 {\n    42\n}\n"  # :10: (to the end)
    assert blocks[3].strip() == "use std::io;"  # ::3 (the anchor line on 3 left out)
    assert blocks[4] == "use std::io;\n"  # :1


def test_rustdoc_include_drops_hidden_lines_and_keeps_a_double_hash_as_one(book):
    hidden = code_blocks(html_of(book, "mdbook"))[5]
    assert hidden == "let x = 5;\n# not hidden: a literal hash\n"


def test_hidelines_attribute_hides_lines_with_its_prefix(book):
    python = next(b for b in code_blocks(html_of(book, "mdbook")) if "def greet" in b)
    assert "!!!" not in python and "hidden = True" not in python and 'return f"Hello' in python


def test_included_markdown_is_rendered_as_markdown(book):
    root = tree(html_of(book, "mdbook"))
    assert "A paragraph written once and included where it is needed." in \
        [text(p) for p in root.xpath("//h:p", namespaces=H)]


def test_an_escaped_directive_is_the_literal_text_and_title_is_dropped(book):
    html = html_of(book, "mdbook")
    assert "escape it: {{#include file.rs}}." in html and "\\{{" not in html
    assert "A title for the browser tab" not in html


def test_listing_is_a_numbered_figure_with_caption_file_name_and_an_id_links_reach(book):
    root = tree(html_of(book, "mdbook"))
    (figure,) = root.xpath("//h:figure[@class='listing']", namespaces=H)
    assert figure.get("id") == "mdbook-listing-2-1"
    caption = figure.xpath("h:figcaption", namespaces=H)[0]
    assert text(caption) == "Listing 2-1: Code that gets a guess from the user and prints it, using String::new"
    assert caption.xpath("h:code", namespaces=H)[0].text == "String::new"  # inline Markdown rendered
    assert text(figure.xpath("h:p[@class='listing-file']", namespaces=H)[0]) == "Filename: src/main.rs"
    assert figure.xpath(".//h:pre", namespaces=H)
    assert root.xpath("//h:a[text()='2-1']/@href", namespaces=H) == ["#mdbook-listing-2-1"]


def test_info_string_attributes_become_language_and_classes(book):
    root = tree(html_of(book, "mdbook"))
    first = root.xpath("//h:pre", namespaces=H)[0]
    assert first.get("class").split() == ["code", "language-rust", "code-ignore", "code-does_not_compile"]
    assert first.xpath("h:code/@class", namespaces=H) == ["language-rust"]


def test_code_is_highlighted_with_pygments_classes(book):
    root = tree(html_of(book, "mdbook"))
    first = root.xpath("//h:pre", namespaces=H)[0]
    assert first.xpath(".//h:span[@class='k' and text()='fn']", namespaces=H)
    assert first.xpath(".//h:span[@class='c1' and text()='// a comment']", namespaces=H)
    assert first.xpath(".//h:span[@class='s' and contains(text(), 'You guessed')]", namespaces=H)


def test_linenos_numbers_each_line(book):
    root = tree(html_of(book, "mdbook"))
    (numbered,) = root.xpath("//h:pre[contains(@class, 'numbered')]", namespaces=H)
    lines = numbered.xpath(".//h:span[@class='line']", namespaces=H)
    assert [text(line) for line in lines] == ["fn helper() -> u32 {", "    42", "}"]


def test_raw_html_of_authors_is_kept_and_comments_dropped(book):
    html = html_of(book, "mdbook")
    root = tree(html)
    assert [text(k) for k in root.xpath("//h:kbd", namespaces=H)] == ["Ctrl", "C"]
    assert root.xpath("//h:sub", namespaces=H)[0].text == "2" and root.xpath("//h:sup", namespaces=H)[0].text == "2"
    assert root.xpath("//h:figure/h:figcaption[text()='A figure written in HTML.']", namespaces=H)
    assert root.xpath("//h:details/h:summary[text()='More about guesses']", namespaces=H)
    assert "note to the author" not in html and "comment block" not in html


def test_links_in_the_sources_dialect_resolve(book):
    root = tree(html_of(book, "mdbook"))
    hrefs = {text(a).replace("\n", " "): a.get("href") for a in root.xpath("//h:a", namespaces=H)}
    assert hrefs["the next chapter"] == "#gitbook-hints-and-embeds"  # chapter.md#slug
    assert hrefs["its page"] == "#gitbook"  # chapter.html
    assert hrefs["GitHub chapter’s alerts"] == "#github-alerts-and-more"
    assert hrefs["the Rust site"] == "https://www.rust-lang.org/"
    github = tree(html_of(book, "github"))
    assert github.xpath("//h:a[text()='link']/@href", namespaces=H) == ["#github-alerts-and-more-1"]


# --- GitBook, MkDocs, GitHub -------------------------------------------------------------------------

def callouts(fragment: str) -> list[tuple[str, str, str]]:
    return [(a.get("class"), text(a.xpath("h:p[@class='callout-title']", namespaces=H)[0]),
             " ".join(text(p) for p in a.xpath("h:p[not(@class)]", namespaces=H)))
            for a in tree(fragment).xpath("//h:aside", namespaces=H)]


def test_gitbook_hints_embed_include_raw_and_code(book):
    html = html_of(book, "gitbook")
    assert callouts(html) == [
        ("callout callout-note", "Note", "An info hint, with Markdown inside."),
        ("callout callout-warning", "Warning", "A warning hint."),
    ]
    root = tree(html)
    assert root.xpath("//h:a[@href='https://www.youtube.com/watch?v=abc']/text()", namespaces=H) == ["A video"]
    assert "A paragraph written once" in html
    assert "Template syntax shown as text: {% if x %}." in html
    assert text(root.xpath("//h:figure[@class='listing']/h:p[@class='listing-file']", namespaces=H)[0]) \
        == "Filename: greet.py"


def test_mkdocs_admonitions_are_callouts_with_their_titles(book):
    assert callouts(html_of(book, "mkdocs")) == [
        ("callout callout-note", "Read this first", "An admonition body, indented by four spaces,\nwith code in it."),
        ("callout callout-tip", "Tip", "A tip with no title of its own."),
        ("callout callout-warning", "A collapsible one", "Shown in full in print."),
    ]


def test_github_alerts_are_callouts_and_other_quotes_stay_quotes(book):
    html = html_of(book, "github")
    assert [(c[0], c[1]) for c in callouts(html)] == [
        ("callout callout-note", "Note"), ("callout callout-tip", "Tip"), ("callout callout-important", "Important"),
        ("callout callout-warning", "Warning"), ("callout callout-caution", "Caution"),
    ]
    assert "[!" not in html
    assert tree(html).xpath("//h:blockquote/h:p[text()='An ordinary quote stays a quote.']", namespaces=H)


# --- problems: one line each, naming file and line -------------------------------------------------

def small_book(root: Path, body: str, files: dict[str, str] | None = None) -> Path:
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "01-one.md").write_text("---\ntitle: One\n---\n" + textwrap.dedent(body), encoding="utf-8")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "T"\n[contents]\nchapters = ["manuscript/01-one.md"]\n',
                                    encoding="utf-8")
    return root / "book.toml"


def findings(config: Path) -> list[tuple[str, str, int | None]]:
    return [(d.code, d.path, d.line) for d in load_book(load(config)).diagnostics]


def test_an_include_outside_the_project_is_refused_with_file_and_line(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    config = small_book(tmp_path / "book", "Text.\n\n```\n{{#include ../../secret.txt}}\n```\n\n{% include \"/etc/hostname\" %}\n")
    book = load_book(load(config))
    assert [(d.code, d.line, d.level) for d in book.diagnostics] == [("D002", 7, "error"), ("D002", 10, "error")]
    assert "outside the project" in book.diagnostics[0].message
    assert "password" not in book.chapters[0].html


def test_unknown_directives_warn_outside_code_and_are_left_alone_inside(tmp_path):
    config = small_book(tmp_path, """\
        {{#frobnicate x}}

        {% if output.name == "ebook" %}
        Kept text.
        {% endif %}

        `{% inline code %}` and `{{#toc}}`

        ```handlebars
        {{#toc}}{{/toc}} {% tag %}
        ```

        Bare {{#toc}} in prose.
        """)
    book = load_book(load(config))
    assert [(d.code, d.line) for d in book.diagnostics] == [("D001", 4), ("D001", 6), ("D001", 8), ("D001", 16)]
    html = book.chapters[0].html
    assert "{{#frobnicate x}}" in html and "Kept text." in html and "{% if" not in html
    assert "{% inline code %}" in html and code_blocks(html) == ["{{#toc}}{{/toc}} {% tag %}\n"]


def test_missing_include_and_missing_anchor(tmp_path):
    config = small_book(tmp_path, "```rust\n{{#include code/none.rs}}\n{{#include code/a.rs:nope}}\n{{#include code/a.rs:9:12}}\n```\n",
                        {"manuscript/code/a.rs": "fn a() {}\n"})
    assert findings(config) == [("D002", "manuscript/01-one.md", 5), ("D003", "manuscript/01-one.md", 6),
                                ("D003", "manuscript/01-one.md", 7)]


def test_lines_after_an_include_keep_their_own_line_numbers(tmp_path):
    config = small_book(tmp_path, "```rust\n{{#include code/a.rs}}\n```\n\n![](missing.png)\n",
                        {"manuscript/code/a.rs": "fn a() {}\nfn b() {}\nfn c() {}\n"})
    assert ("I001", "manuscript/01-one.md", 8) in findings(config)


def test_the_chapter_digest_and_the_build_inputs_include_included_files(tmp_path):
    config = small_book(tmp_path, "```rust\n{{#include code/a.rs}}\n```\n", {"manuscript/code/a.rs": "fn a() {}\n"})
    before = load_book(load(config)).chapters[0]
    assert before.includes == ((tmp_path / "manuscript" / "code" / "a.rs").resolve(),)
    (tmp_path / "manuscript" / "code" / "a.rs").write_text("fn b() {}\n", encoding="utf-8")
    after = load_book(load(config)).chapters[0]
    assert after.digest != before.digest and "b" in after.html

    from spindle.build import uptodate
    from spindle.build.result import Result
    from spindle.core import cache as caching

    store = caching.Cache(tmp_path / ".cache")
    uptodate.record(load(config), store, "k", Result(inputs=uptodate.inputs(load(config), load_book(load(config)))))
    recorded = store.read_json("builds", "k")["inputs"]
    assert any(name.endswith("code/a.rs") for name in recorded)


def test_an_include_that_includes_itself_stops_with_a_warning(tmp_path):
    config = small_book(tmp_path, "```\n{{#include code/a.txt}}\n```\n",
                        {"manuscript/code/a.txt": "a\n{{#include a.txt}}\n{{#include b.txt}}\n",
                         "manuscript/code/b.txt": "b\n{{#include a.txt}}\n"})
    book = load_book(load(config))
    assert {(d.code, d.line) for d in book.diagnostics} == {("D004", 5)}
    assert code_blocks(book.chapters[0].html) == ["a\nb\n"]


def test_a_listing_inside_a_quote_stays_in_the_quote(tmp_path):
    config = small_book(tmp_path, """\
        > A quote with a listing:
        >
        > <Listing file-name="src/main.rs">
        >
        > ```rust
        > fn main() {}
        > ```
        >
        > </Listing>
        """)
    book = load_book(load(config))
    root = tree(book.chapters[0].html)
    assert not book.diagnostics
    (figure,) = root.xpath("//h:blockquote/h:figure[@class='listing']", namespaces=H)
    assert text(figure.xpath("h:p[@class='listing-file']", namespaces=H)[0]) == "Filename: src/main.rs"
    assert code_blocks(book.chapters[0].html) == ["fn main() {}\n"]


def test_raw_html_is_never_read_as_a_file_name(tmp_path, monkeypatch):
    """tinyhtml5 reads a string under 200 characters as a file name when such a file exists: a
    snippet is always parsed as HTML (and a long non-ASCII one does not fail with ENAMETOOLONG)."""
    from spindle.manuscript import xhtml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "<hr>").write_text("<p>SECRET</p>", encoding="utf-8")
    assert xhtml.normalise("<hr>") == "<hr/>" and xhtml.scan("<hr>") == []
    japanese = "<p>" + "変換はボックス化と呼ばれます" * 6 + "</p>"
    assert xhtml.normalise(japanese) == japanese and xhtml.scan(japanese) == []


def test_template_variables_are_put_in_or_reported(tmp_path):
    from spindle.manuscript.dialects import expand

    text, found = expand("Node {{book.nodeversion}} and {{ missing }}.\n\n`{{ code }}`\n", tmp_path / "a.md",
                         tmp_path, "a.md", 3, {"nodeversion": "22.18.0"})
    assert text.startswith("Node 22.18.0 and {{ missing }}.")
    assert [(d.code, d.line) for d in found.diagnostics] == [("D001", 4)]
    assert "'{{ missing }}' is not defined" in found.diagnostics[0].message


def test_links_across_folders_non_latin_slugs_and_trailing_heading_ids(tmp_path):
    (tmp_path / "src" / "one").mkdir(parents=True)
    (tmp_path / "src" / "two").mkdir(parents=True)
    (tmp_path / "src" / "one" / "a.md").write_text(textwrap.dedent("""\
        ---
        title: A
        ---
        ## Start {#begin .wide}

        To [the guide](../two/b.md#入门指南), [encoded](../two/b.md#%E5%85%A5%E9%97%A8%E6%8C%87%E5%8D%97),
        [the second](../two/b.html#入门指南-1), [by id](../two/b.md#vars), [here](#begin),
        [old slug](../two/b.md#cafe-creme), [mdBook's case](../two/b.md#Café-Crème) and [a site](https://example.org/x).
        """), encoding="utf-8")
    (tmp_path / "src" / "two" / "b.md").write_text(textwrap.dedent("""\
        ---
        title: B
        ---
        ## 入门指南

        ## 入门指南

        ## Variables {#vars}

        ## Café crème
        """), encoding="utf-8")
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n[contents]\nchapters = ["src/one/a.md", "src/two/b.md"]\n',
                                        encoding="utf-8")
    book = load_book(load(tmp_path / "book.toml"))
    a, b = book.chapters
    assert [h.id for h in b.headings] == ["b-入门指南", "b-入门指南-1", "b-vars", "b-café-crème"]
    assert [h.text for h in b.headings][2] == "Variables"
    root = tree(a.html)
    assert root.xpath("//h:h2/@id", namespaces=H) == ["a-begin"] and root.xpath("//h:h2/@class", namespaces=H) == ["wide"]
    assert [x.get("href") for x in root.xpath("//h:a", namespaces=H)] == [
        "#b-入门指南", "#b-入门指南", "#b-入门指南-1", "#b-vars", "#a-begin", "#b-café-crème", "#b-café-crème",
        "https://example.org/x"]
    assert not book.diagnostics


def test_gitbook_tabs_follow_each_other_under_their_titles(tmp_path):
    config = small_book(tmp_path, """\
        {% tabs %}
        {% tab title="Windows" %}
        Press Enter.
        {% endtab %}

        {% tab title="macOS" %}
        Press Return.
        {% endtab %}
        {% endtabs %}

        {% content-ref url="02-two.md" %}
        [Two](https://example.org/two)
        {% endcontent-ref %}
        """)
    book = load_book(load(config))
    assert not book.diagnostics
    paragraphs = [text(p) for p in tree(book.chapters[0].html).xpath("//h:p", namespaces=H)]
    assert paragraphs == ["Windows\nPress Enter.", "macOS\nPress Return.", "Two"]


def test_a_listing_inside_a_list_item_stays_in_the_item(tmp_path):
    config = small_book(tmp_path, """\
        1. First step:

           <Listing number="1-1" caption="Step one">

           ```rust
           fn main() {}
           ```

           </Listing>

        2. Second step.
        """)
    book = load_book(load(config))
    root = tree(book.chapters[0].html)
    assert not book.diagnostics
    assert root.xpath("//h:ol/h:li[1]/h:figure[@class='listing']/h:figcaption", namespaces=H)
    assert len(root.xpath("//h:ol/h:li", namespaces=H)) == 2


def test_a_code_title_is_shown_as_its_file_name(tmp_path):
    config = small_book(tmp_path, '```py title="bubble sort.py" linenos\ndef sort(): pass\n```\n')
    html = load_book(load(config)).chapters[0].html
    root = tree(html)
    assert text(root.xpath("//h:p[@class='listing-file']", namespaces=H)[0]) == "Filename: bubble sort.py"
    assert root.xpath("//h:pre[contains(@class, 'language-py') and contains(@class, 'numbered')]", namespaces=H)


def test_gitbook_code_imports_slices_problems_and_code_fences(tmp_path):
    """include-codeblock's [import](…): a line slice, a missing file (D002) and a marker that is not
    in the file (D003) at their lines; inside a code fence it is text."""
    config = small_book(tmp_path, """\
        [import:2-3, title:"a.js"](code/a.js)

        [import](code/missing.js)

        [import:"nowhere"](code/a.js)

        ```md
        [import](code/a.js)
        ```
        """, {"manuscript/code/a.js": "one();\ntwo();\nthree();\nfour();\n"})
    book = load_book(load(config))
    assert [(d.code, d.line) for d in book.diagnostics] == [("D002", 6), ("D003", 8)]
    assert code_blocks(book.chapters[0].html) == ["two();\nthree();\n", "[import](code/a.js)\n"]


def test_emoji_shortcodes_render_as_github_shows_them(tmp_path):
    """':memo:' is 📝 in text and headings, as GitHub and MkDocs (pymdownx.emoji) show it; the heading's
    id keeps the name, as GitHub's anchors do; code, URLs and names that are no emoji stay as written.
    The PDF draws it with the theme's emoji face, with no missing-glyph warning."""
    import subprocess

    from spindle.build import orchestrate as builder

    config = small_book(tmp_path, """\
        ## :memo: Table of Contents

        Thanks :pray: :+1: and `:pray:`, [a link](https://example.org/:smile:), :doc: at 10:30:45.

        ```
        :smile:
        ```
        """)
    book = load_book(load(config))
    chapter = book.chapters[0]
    assert [(h.id, h.text) for h in chapter.headings] == [("one-memo-table-of-contents", "📝 Table of Contents")]
    assert "Thanks 🙏 👍 and <code>:pray:</code>" in chapter.html
    assert 'href="https://example.org/:smile:"' in chapter.html and ":doc: at 10:30:45." in chapter.html
    assert code_blocks(chapter.html) == [":smile:\n"]
    result = builder.build(load(config), ["pdf"], tmp_path / "out", epoch=0)
    assert not result.warnings, result.warnings
    pdf = result.outputs[0].path
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "🙏" in text and ":pray:" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Emoji" in fonts, fonts
