"""Every page right on real books (issue 13): a few chapters of each book of the test corpus
(/work/corpus, or $SPINDLE_CORPUS), made into a spindle project by hand (the importers are another
stage's work), built as the screen PDF and the print edition; then 0 glyphs and 0 images outside
the text block, 0 characters without a glyph, every font embedded, 0 overflow reports.

Marked ``corpus``: ``pytest -m corpus`` runs it; it skips, saying why, when the corpus is absent."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.project.config import load

pytestmark = pytest.mark.corpus
CORPUS = Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))

# name: (language, chapter files relative to the corpus, folders of images to copy). The books are
# built as English for now: book.language knows only 'en' and 'nl' (the theme's :lang() faces for
# ja, ko, zh are ready for when it knows more).
BOOKS = {
    "trpl": ("en", ["trpl/src/ch02-00-guessing-game-tutorial.md", "trpl/src/ch04-01-what-is-ownership.md",
                    "trpl/src/ch15-02-deref.md"], ["trpl/src/img"]),
    "trpl-zh-cn": ("zh-CN", ["trpl-zh-cn/src/ch04-01-what-is-ownership.md", "trpl-zh-cn/src/ch08-02-strings.md"],
                   ["trpl-zh-cn/src/img"]),
    "ko-interview": ("ko", ["ko-interview/Database/README.md", "ko-interview/Network/README.md"],
                     ["ko-interview/Database/images", "ko-interview/Network/images"]),
    "js-primer": ("ja", ["js-primer/source/basic/array/README.md", "js-primer/source/basic/string/README.md"],
                  ["js-primer/source/basic/array/img", "js-primer/source/basic/string/img"]),
    "csharp-basics-bg": ("bg", ["csharp-basics-bg/Content/Chapter-9-1-problems-for-champions/crossing-sequences/example.md",
                                "csharp-basics-bg/Content/Chapter-4-1-complex-conditions/switch-case-construction/example-day-of-week.md",
                                "csharp-basics-bg/chapter-01-first-steps-in-programming.md"],
                         ["csharp-basics-bg/assets"]),
}


def make_project(name: str, dest: Path) -> Path:
    """A spindle project of *name*'s chapters: front matter added, root-relative image paths
    made relative, image folders copied beside them."""
    language, chapters, folders = BOOKS[name]
    missing = [c for c in chapters if not (CORPUS / c).is_file()]
    if missing:
        pytest.skip(f"corpus book {name} lacks {missing[0]}")
    manuscript = dest / "manuscript"
    manuscript.mkdir(parents=True)
    for folder in folders:
        source = CORPUS / folder
        if source.is_dir():
            relative = Path(folder).relative_to(Path(folder).parts[0])  # inside the book
            shutil.copytree(source, dest / relative, dirs_exist_ok=True)
            shutil.copytree(source, manuscript / Path(folder).name, dirs_exist_ok=True)
    entries = []
    for index, chapter in enumerate(chapters, 1):
        text = (CORPUS / chapter).read_text(encoding="utf-8")
        heading = re.search(r"^#{1,2}\s+(.+?)\s*#*\s*$", text, re.M)
        title = (heading.group(1) if heading else Path(chapter).stem).replace('"', "'")
        text = re.sub(r'(\]\(|src=")/', r"\1../", text)  # root-relative paths: from the book's root
        text = re.sub(r"\]\(\./", "](", text)
        target = manuscript / f"{index:02d}.md"
        target.write_text(f'---\ntitle: "{title}"\n---\n\n{text}', encoding="utf-8")
        entries.append(f'"manuscript/{target.name}"')
    (dest / "book.toml").write_text(
        f'[book]\ntitle = "{name}"\nlanguage = "en"\nauthors = ["Corpus"]\ndate = "2020-01-01"\n'
        f'isbn = {{ print = "978-90-832059-0-8" }}\n\n[contents]\nchapters = [{", ".join(entries)}]\n\n'
        '[editions.pdf]\npage_size = "A5"\n\n[editions.print]\ntrim = "A5"\nbleed = "3mm"\nsignature = 4\n',
        encoding="utf-8")
    return dest / "book.toml"


@pytest.fixture(scope="module", params=sorted(BOOKS))
def corpus_build(request, tmp_path_factory):
    if not CORPUS.is_dir():
        pytest.skip(f"no test corpus at {CORPUS} (set SPINDLE_CORPUS)")
    root = tmp_path_factory.mktemp(request.param)
    project = load(make_project(request.param, root / "book"))
    result = builder.build(project, ("pdf", "print"), root / "out", epoch=EPOCH)
    return request.param, project, result, {o.edition: o.path for o in result.outputs}


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_pages_stay_inside_the_text_block(corpus_build, edition):
    from test_pages import _outside

    name, project, result, paths = corpus_build
    assert _outside(project, edition, paths[edition]) == [], name
    assert [w for w in result.warnings if "past the text block" in w] == []


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_corpus_every_character_has_a_glyph_in_an_embedded_font(corpus_build, edition):
    import pikepdf

    from spindle.editions.print import preflight

    name, project, result, paths = corpus_build
    assert [w for w in result.warnings if "no font has" in w] == [], name
    expect = preflight.Expect(str(paths[edition]), (0, 0), 0, checks=("fonts", "glyphs"))
    problems = [f for f in preflight.check(paths[edition], expect) if f.level == "error"]
    assert problems == [], name
    with pikepdf.open(paths[edition]) as pdf:
        assert len(pdf.pages) > 3
