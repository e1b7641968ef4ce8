"""Every page right on real books (issue 13), quickly: each book of the test corpus (/work/corpus, or
$SPINDLE_CORPUS; tests/corpus/SOURCES.md and the corpus's own SOURCES.md) imported as a user would
(``spindle init DIR --from BOOK``), its contents trimmed to a few chapters chosen for what they hold
(wide code, images in links and tables, footnotes, captions, scripts), built as the screen PDF and the
print edition; then, read from the PDFs with pdfplumber (tests/pagecheck.py): 0 glyphs and 0 images
past the text block, 0 .notdef glyphs, 0 fonts not embedded, 0 notes on a page without their call,
0 captions parted from what they caption, and no overflow reported by the build.

The whole books are checked the same way by tests/corpus/test_corpus.py (one full build per book,
also marked ``corpus``). Marked ``corpus``: ``pytest -m corpus`` runs it; it skips, saying why, when
the corpus or a book is absent."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

import pagecheck
from conftest import EPOCH

pytestmark = pytest.mark.corpus
CORPUS = Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))

# corpus folder -> parts of the paths of the chapter files to keep (any nesting is flattened)
BOOKS = {
    "trpl": ["ch02-00-guessing-game-tutorial.md", "ch04-01-what-is-ownership.md", "ch08-03-hash-maps.md",
             "ch15-02-deref.md"],
    "trpl-zh-cn": ["ch04-01-what-is-ownership.md", "ch08-02-strings.md", "ch08-03-hash-maps.md"],
    "mdbook-guide/guide": ["format/markdown.md", "format/configuration/renderers.md", "format/theme/index-hbs.md"],
    "js-primer": ["source/intro/README.md", "basic/implicit-coercion/README.md", "basic/data-type/README.md",
                  "basic/array/README.md", "nodecli/argument-parse/README.md"],
    "mostly-adequate": ["ch08.md", "ch10.md", "ch13.md"],
    "crypto-gitbook": ["elliptic-curve-cryptography-ecc.md", "aes-cipher-concepts.md"],
    "csharp-basics-bg": ["chapter-01-first-steps-in-programming.md", "chapter-02-simple-calculations.md"],
    "mkdocs-mobile-azure": ["chapter1/firstapp_pc.md", "chapter3/dataconcepts.md"],
    "practical-python": ["02_Working_with_data/07_Objects.md", "03_Program_organization/02_More_functions.md"],
    "ko-interview": ["Database/README.md", "Network/README.md", "Python/README.md"],
    "selinux-notebook": ["mls_mcs.md", "subjects.md", "apache_support.md"],
    "chip8-pandoc": ["2-basics.md", "3-setup.md"],
    "500lines": ["blockcode/blockcode.markdown", "image-filters/image-filters.markdown"],
}


def _files(entry) -> list[str]:
    """Every chapter file named by a [contents] entry: a path, or a table with a file and sections
    (or a part's chapters)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [f for item in entry for f in _files(item)]
    if isinstance(entry, dict):
        return ([entry["file"]] if isinstance(entry.get("file"), str) else []) + \
            _files(entry.get("sections", [])) + _files(entry.get("chapters", []))
    return []


def trim(book_toml: Path, keep: list[str]) -> list[str]:
    """Rewrite *book_toml*'s [contents] to the chapter files whose path holds one of *keep*."""
    text = book_toml.read_text(encoding="utf-8")
    contents = tomllib.loads(text)["contents"]
    files = [f for f in _files([contents.get(k, []) for k in ("front", "chapters", "back")])
             if any(part in f for part in keep)]
    listed = ",\n".join(f'    "{f}"' for f in files)
    text = re.sub(r"(?ms)^\[contents\]\n.*?(?=^\[|\Z)", lambda _: f"[contents]\nchapters = [\n{listed},\n]\n\n", text)
    book_toml.write_text(text, encoding="utf-8")
    return files


@pytest.fixture(scope="module", params=list(BOOKS))
def corpus_build(request, tmp_path_factory):
    from spindle.build import orchestrate as builder
    from spindle.cli import run
    from spindle.manuscript.load import load_book
    from spindle.project.config import load
    from spindle.theme import render

    name = request.param
    source = CORPUS / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent (set SPINDLE_CORPUS to the corpus folder; see tests/corpus/SOURCES.md)")
    target = tmp_path_factory.mktemp(name.replace("/", "-")) / "book"
    assert run(["init", str(target), "--from", str(source)]) == 0
    kept = trim(target / "book.toml", BOOKS[name])
    assert len(kept) >= len(BOOKS[name]) - 1, kept  # the chosen chapters are still in the book
    project = load(target / "book.toml")
    result = builder.build(project, ("pdf", "print"), target / "out", epoch=EPOCH)
    paths = {o.edition: o.path for o in result.outputs}
    chapters = load_book(project).chapters
    scans = {e: pagecheck.scan(paths[e], render.text_margins(project.config.editions, e)) for e in ("pdf", "print")}
    return name, result, paths, chapters, scans


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_pages_stay_inside_the_text_block(corpus_build, edition):
    name, result, _, _, scans = corpus_build
    assert scans[edition].outside == [], name
    assert [w for w in result.warnings if "past the text block" in w] == []


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_every_character_has_a_glyph_in_an_embedded_font(corpus_build, edition):
    name, result, paths, _, scans = corpus_build
    assert [w for w in result.warnings if "no font has" in w] == [], name
    assert pagecheck.font_problems(paths[edition]) == [], name
    assert len(scans[edition].pages) > 3


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_notes_sit_on_their_calls_page(corpus_build, edition):
    name, _, _, chapters, scans = corpus_build
    assert pagecheck.displaced_notes(scans[edition], chapters) == [], name


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_captions_stay_with_what_they_caption(corpus_build, edition):
    name, _, _, chapters, scans = corpus_build
    assert pagecheck.separated_captions(scans[edition], chapters) == [], name
