"""Raw HTML made into XHTML (spindle.manuscript.xhtml) and links between chapters resolved
(spindle.manuscript.links), checked on small manuscripts in tmp_path."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from lxml import etree

from spindle.manuscript import xhtml
from spindle.project.config import load
from spindle.manuscript.load import load_book

WRAP = '<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{}</div>'


def parse(fragment: str):
    return etree.fromstring(WRAP.format(fragment).encode("utf-8"))


def project(tmp_path: Path, chapters: dict[str, str]):
    (tmp_path / "manuscript").mkdir()
    for name, body in chapters.items():
        (tmp_path / "manuscript" / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    listed = ", ".join(f'"manuscript/{n}"' for n in chapters)
    (tmp_path / "book.toml").write_text(f'[book]\ntitle = "T"\n\n[contents]\nchapters = [{listed}]\n', encoding="utf-8")
    return load_book(load(tmp_path / "book.toml"))


# --- xhtml ------------------------------------------------------------------------------------------------


def test_normalise_makes_html5_well_formed_xhtml():
    out = xhtml.normalise('<p class=a>one<br>two &nbsp;&copy; <img src=x.png><p>three <input disabled>'
                          '<!-- a -- b --><x-y>custom</x-y>\x01</p>')
    root = parse(out)
    assert out.startswith('<p class="a">one<br/>two \u00a0© <img src="x.png" alt=""/></p><p>three ')
    assert '<input disabled=""/>' in out and "<!--" not in out
    assert root.xpath("//*[local-name()='span'][@class='x-y']"), "a custom element inside <p> becomes a span"
    assert "\x01" not in out


def test_normalise_keeps_svg_and_mathml_in_their_namespaces():
    root = parse(xhtml.normalise('<svg viewbox="0 0 1 1"><use xlink:href="#a"/></svg><math><mi>x</mi></math>'))
    svg = root.find("{http://www.w3.org/2000/svg}svg")
    assert svg is not None and svg.get("viewBox") == "0 0 1 1"
    assert svg[0].get("{http://www.w3.org/1999/xlink}href") == "#a"
    assert root.find("{http://www.w3.org/1998/Math/MathML}math") is not None


def test_normalise_renames_repeated_ids_and_turns_a_name_into_an_id():
    root = parse(xhtml.normalise('<a name="x">a</a><span id="x">b</span><span id="x">c</span>'))
    assert root.xpath("//@id") == ["x", "x-2", "x-3"]
    assert not root.xpath("//@name")


def test_scan_reports_by_line_and_does_not_read_script_content_as_tags():
    found = xhtml.scan('<div>\n<script>if (a<b) { x = "</p>" }</script>\n<center onclick="go()">\n</div>')
    assert found == [
        (1, "<script> is not allowed in the book and was dropped with its content"),
        (2, '<center> is obsolete; it became <div class="center"> (style it in CSS)'),
        (2, "event handler 'onclick' on <center> was dropped (no scripts in the book)"),
    ]


def test_scan_leaves_foreign_content_alone_across_snippets():
    foreign: list[str] = []
    assert xhtml.scan('<svg width="4">', foreign) == [] and foreign == ["svg"]
    assert xhtml.scan('<rect width="4"/>', foreign) == []
    assert xhtml.scan("</svg>", foreign) == [] and foreign == []
    assert xhtml.scan("<blink>", foreign) != []


def test_rewrite_namespaces_ids_and_their_references():
    out = xhtml.rewrite('<label for="q">Q</label><input id=q><a name=top>t</a>',
                        rename_id=lambda i: "c-" + i, refer_id=lambda i: "c-" + i, image=lambda s, l: s)
    assert out == '<label for="c-q">Q</label><input id="c-q"><a name="c-top">t</a>'


# --- in the Markdown stage ------------------------------------------------------------------------------


def test_raw_html_in_a_chapter_is_repaired_and_reported(tmp_path):
    book = project(tmp_path, {"01-a.md": """
        ---
        title: A
        ---
        Text&nbsp;here.

        <div id="box">
        <p>open
        <script>x()</script>
        </div>

        ## Box

        A [link](#box) and <span id="box">a clash</span>.
        """})
    chapter = book.chapters[0]
    root = parse(chapter.html)
    # the heading's id was given first (the TOC links to it); the raw ids are namespaced and kept unique
    assert root.xpath("//@id") == ["a-box-2", "a-box", "a-box-3"]
    assert [h.id for h in chapter.headings] == ["a-box"]
    assert root.xpath("//*[local-name()='a'][.='link']/@href") == ["#a-box"]
    assert "Text\u00a0here." in chapter.html and "script" not in chapter.html
    assert chapter.warnings == ("manuscript/01-a.md:8: <script> is not allowed in the book and was dropped with its content",)


def test_links_between_chapters(tmp_path):
    book = project(tmp_path, {
        "01-a.md": """
            ---
            title: A
            ---
            To [b](02-b.md), [b's part](02-b.md#part), [by page name](02-b.html#part),
            [by EPUB name](b.xhtml#part), [a note](02-b.md#b-fn1) and [nowhere](02-b.md#nowhere).

            [gone](03-c.md) and [here](#missing)
            """,
        "02-b.md": """
            ---
            title: B
            ---
            {#part}
            ## Part

            A note.[^1] Back to [a](01-a.md#a).

            [^1]: The note.
            """,
    })
    a, b = book.chapters
    hrefs = parse(a.html).xpath("//*[local-name()='a']/@href")
    assert hrefs == ["#b", "#b-part", "#b-part", "#b-part", "#b-fn1", "#b", "#a"]
    assert '<span class="link-outside">gone</span>' in a.html, "a link out of the book becomes its text"
    assert "here</a>" in a.html, "a link to a missing id points at the chapter's start"
    assert a.warnings == (
        "manuscript/01-a.md:5: link '02-b.md#nowhere': manuscript/02-b.md has no id 'nowhere'; "
        "the link points at the chapter's start",
        "manuscript/01-a.md:7: link '03-c.md' does not point to a chapter of this book; it became plain text "
        "(link to a manuscript file listed in book.toml, or use a full URL)",
        "manuscript/01-a.md:7: link '#missing': no such id in this chapter; the link points at the chapter's start "
        "(give the target an id with {#missing})",
    )
    assert parse(b.html).xpath("//*[local-name()='a'][.='a']/@href") == ["#a"]


def test_links_to_the_books_site_become_web_links_there(tmp_path):
    """[book] site_url: a link to a file that is not a chapter is a page of the book's site, read from
    the chapter's own page (x.md as x.html, README.md as index.html; MkDocs' x/ with site_pages);
    a link to a folder reaches its README chapter; without site_url the link is text (L001)."""
    chapters = {"src/ch01.md": "# One\n\n[std](../std/index.html#x), [two](sub/), [gone](appendix.md#a)\n",
                "src/sub/README.md": "# Two\n\n[back](../ch01.md) [other](other.md) [up](../../x.md)\n"}
    (tmp_path / "manuscript" / "src" / "sub").mkdir(parents=True)
    for name, text in chapters.items():
        (tmp_path / "manuscript" / name).write_text(text, encoding="utf-8")
    listed = ", ".join(f'"manuscript/{n}"' for n in chapters)

    def hrefs(settings: str) -> tuple[list[list[str]], list[str]]:
        (tmp_path / "book.toml").write_text(f'[book]\ntitle = "T"\n{settings}\n[contents]\nchapters = [{listed}]\n')
        book = load_book(load(tmp_path / "book.toml"))
        return [parse(c.html).xpath("//*[local-name()='a']/@href") for c in book.chapters], \
            [d.code for d in book.diagnostics]

    site = 'site_url = "https://doc.rust-lang.org/book"'
    assert hrefs(site) == ([
        ["https://doc.rust-lang.org/std/index.html#x", "#readme", "https://doc.rust-lang.org/book/appendix.html#a"],
        ["#ch01", "https://doc.rust-lang.org/book/sub/other.html"],
    ], ["L001"]), "above the site's folder ('../../x.md') is no page of the site"
    assert hrefs(site + '\nsite_pages = "folders"')[0][1] == ["#ch01", "https://doc.rust-lang.org/book/sub/other/"]
    assert hrefs(site + '\nsite_folder = "manuscript"')[0][0][2] == "https://doc.rust-lang.org/book/src/appendix.html#a"
    assert hrefs("") == ([["#readme"], ["#ch01"]], ["L001", "L001", "L001", "L001"])


def test_ids_clashing_between_chapters_are_renamed_in_the_later_one(tmp_path):
    book = project(tmp_path, {
        "01-a.md": "---\ntitle: A\n---\n{#b-x}\n## Heading\n",
        "02-a-b.md": "---\ntitle: AB\nid: a-b\n---\n{#x}\n## Other\n\n[self](#x)\n",
    })
    first, second = book.chapters
    assert [h.id for h in first.headings] == ["a-b-x"]
    assert [h.id for h in second.headings] == ["a-b-x-2"]
    assert 'href="#a-b-x-2"' in second.html


def test_epub_hrefs_point_into_the_right_file():
    from spindle.manuscript.links import epub_hrefs

    out = epub_hrefs('<a href="#b-part">x</a><a href="#a-1">y</a><a href="#zzz">z</a>', "a.xhtml",
                     {"b-part": "b.xhtml", "a-1": "a.xhtml"})
    assert out == '<a href="b.xhtml#b-part">x</a><a href="#a-1">y</a><a href="#zzz">z</a>'


# --- remote images -------------------------------------------------------------------------------------


def test_allow_remote_fetches_and_packages_remote_images(tmp_path):
    """With --allow-remote an EPUB still may not refer to remote images: they are fetched
    (here from a server on the loopback address) and packaged with their true media type."""
    import functools
    import http.server
    import threading
    import zipfile

    from spindle.build import orchestrate as builder

    served = tmp_path / "served"
    served.mkdir()
    (served / "pic.img").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pic.img"
        root = tmp_path / "book"
        root.mkdir()
        project(root, {"01-a.md": f"---\ntitle: A\n---\n![A pixel]({url})\n\n<img src=\"{url}\" alt=\"raw\">\n"})
        offline = builder.build(load(root / "book.toml"), ["epub"], root / "off", epoch=0)
        assert [w.split(": ", 1)[1][:30] for w in offline.warnings] == ["remote image 'http://127.0.0.1"] * 2
        result = builder.build(load(root / "book.toml"), ["epub"], root / "out", epoch=0, allow_remote=True)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert result.warnings == []
    with zipfile.ZipFile(result.outputs[0].path) as z:
        names = [n for n in z.namelist() if "/images/remote-" in n]
        chapter = z.read("EPUB/a.xhtml").decode()
        opf = z.read("EPUB/content.opf").decode()
    assert len(names) == 1 and names[0].endswith(".png")
    assert "127.0.0.1" not in chapter and chapter.count(names[0].split("EPUB/")[1]) == 2
    assert re.search(r'<item href="images/remote-[0-9a-f]+\.png" [^>]*media-type="image/png"', opf)
