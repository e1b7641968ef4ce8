"""Every chapter of two real mdBook books (The Rust Programming Language and the mdBook guide, in
/work/corpus or $SPINDLE_CORPUS; not part of the repository) through spindle's Markdown pipeline:
nothing of a directive left in the text, every listing's caption in the output, well-formed XHTML.
Marked ``corpus``: skipped when the corpus is absent."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
from lxml import etree

from spindle.manuscript.markdown import ParseContext, render

CORPUS = Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS} (set SPINDLE_CORPUS)")]
H = "{http://www.w3.org/1999/xhtml}"
BOOKS = {"trpl": ("trpl", "trpl/src"), "mdbook-guide": ("mdbook-guide", "mdbook-guide/guide/src")}
DIRECTIVE = re.compile(r"\{\{\s*#([A-Za-z0-9_]+)\s+([^}]+)\}\}")
CAPTION = re.compile(r"<Listing\b[^\n]*?\bcaption=\"([^\"]*)\"")


def chapters(book: str) -> list[Path]:
    root, src = BOOKS[book]
    return sorted(p for p in (CORPUS / src).rglob("*.md") if p.name != "SUMMARY.md")


def rendered(book: str, path: Path):
    root = (CORPUS / BOOKS[book][0]).resolve()
    ctx = ParseContext(chapter_id="c", source=path.resolve(), display=str(path.relative_to(CORPUS)), root=root,
                       line_offset=0)
    fragment = render(path.read_text(encoding="utf-8-sig"), "en", ctx)
    notes = "".join(n.html for n in fragment.notes)
    return fragment, etree.fromstring(f"<div xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">{fragment.html}{notes}</div>")


def prose(root) -> str:
    """The text outside code: what a reader sees as the book's own words."""
    out = []

    def walk(element):
        if element.tag in (f"{H}code", f"{H}pre"):
            return
        out.append(element.text or "")
        for child in element:
            walk(child)
            out.append(child.tail or "")
    walk(root)
    return "".join(out)


def plain(text: str) -> str:
    text = html.unescape(text).translate(str.maketrans("‘’“”", "''\"\"", "`*_"))
    return " ".join(text.split())


@pytest.mark.parametrize("book", sorted(BOOKS))
def test_every_chapter_renders_with_no_directive_left_and_every_listing_captioned(book):
    problems = []
    listings = captions = opened = figures = 0
    for path in chapters(book):
        source = path.read_text(encoding="utf-8-sig")
        fragment, root = rendered(book, path)  # well-formed XHTML, or lxml raises here
        everything = "".join(root.itertext())
        # {{# is left only where the author wrote it as text: escaped (\{{#…}}) or not a directive ({{#toc}})
        literal = source.count("{{#") - sum(1 for m in DIRECTIVE.finditer(source) if source[m.start() - 1] != "\\")
        if everything.count("{{#") > literal:
            problems.append(f"{path.name}: {everything.count('{{#')} '{{{{#' in the text, {literal} written as text")
        words = prose(root)
        for leftover in ("{%", "[!NOTE]", "[!TIP]", "[!IMPORTANT]", "[!WARNING]", "[!CAUTION]", "!!! ", "<Listing",
                         "</Listing>"):
            if leftover in words:
                problems.append(f"{path.name}: {leftover!r} left in the text")
        opened += len(re.findall(r"^[\s>]*<Listing\b", source, re.M))
        figures += sum(1 for f in root.iter(f"{H}figure") if f.get("class") == "listing")
        wanted = [plain(c) for c in CAPTION.findall(source)]
        shown = [plain("".join(f.itertext())) for f in root.iter(f"{H}figcaption")]
        for caption in wanted:
            listings += 1
            if any(caption in s for s in shown):
                captions += 1
            else:
                problems.append(f"{path.name}: listing caption {caption!r} not in the output")
        for d in fragment.diagnostics:
            if d.path is None or (d.code.startswith("D") and d.line is None):
                problems.append(f"{path.name}: a finding without its place: {d}")
    assert not problems, "\n".join(problems[:40])
    if book == "trpl":
        assert opened == figures >= 400  # FEATURES.md: 424 <Listing> blocks, each a numbered figure
        assert listings == captions >= 350  # those with a caption (most), each caption in the output


def test_trpl_includes_are_expanded_into_its_code(tmp_path):
    path = CORPUS / "trpl/src/ch05-01-defining-structs.md"
    fragment, root = rendered("trpl", path)
    assert not [d for d in fragment.diagnostics if d.code in ("D002", "D003")]
    code = "".join("".join(p.itertext()) for p in root.iter(f"{H}pre"))
    assert "struct User {" in code and "active: bool," in code
    assert "ANCHOR" not in code
    figure = next(root.iter(f"{H}figure"))
    assert figure.get("id") == "c-listing-5-1"
