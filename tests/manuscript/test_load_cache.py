"""The parsed chapters kept in the build cache (manuscript.load, issue 16: a rebuild after an edit
parses the edited chapter only): a chapter read from the cache is the chapter parsed anew, and it is
parsed anew whenever anything it was made from changed (its bytes, an included file, an image, the
ids of the chapters before it, book.toml, spindle's code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_sample
from spindle.core import cache as caching
from spindle.core.errors import ManuscriptProblems, SpindleError
from spindle.manuscript import load as loading
from spindle.project.config import load


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The files parsed (not taken from the cache) by load_book from now on."""
    files: list[str] = []
    real = loading.load_chapter

    def counted(project, entry, *args, **kwargs):
        files.append(entry.file)
        return real(project, entry, *args, **kwargs)

    monkeypatch.setattr(loading, "load_chapter", counted)
    return files


def test_the_sample_books_chapters_from_the_cache_are_the_chapters_parsed_anew(tmp_path, parsed):
    project = load(copy_sample(tmp_path / "book"))
    store = caching.Cache(tmp_path / "cache")
    fresh = loading.load_book(project)
    assert loading.load_book(project, store=store) == fresh  # (filling the cache)
    parsed.clear()
    again = loading.load_book(project, store=store)
    assert again == fresh
    kept = [c for c in fresh.chapters if not c.diagnostics]
    assert len(kept) >= 5 and len(parsed) < len(fresh.chapters)
    assert any(c.notes for c in kept) and any(c.resources for c in kept) and any(c.headings for c in kept)
    assert [c.source for c in again.chapters] == [c.source for c in fresh.chapters]


def small_book(root: Path) -> Path:
    m = root / "manuscript"
    m.mkdir(parents=True)
    (m / "01-intro.md").write_text("# One\n\n![A chart](chart.svg)\n\n```text\n{{#include code.txt}}\n```\n\n"
                                   "Text.[^1]\n\n[^1]: A note.\n", encoding="utf-8")
    (m / "02-intro.md").write_text("# Two\n\nSee [one](01-intro.md).\n", encoding="utf-8")
    (m / "code.txt").write_text("first listing\n", encoding="utf-8")
    (m / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" '
                                 'height="5"/></svg>\n', encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "T"\n[contents]\nchapters = ["manuscript/01-intro.md", '
                                    '"manuscript/02-intro.md"]\n', encoding="utf-8")
    return root / "book.toml"


def test_a_chapter_is_parsed_again_when_what_it_was_made_from_changed(tmp_path, parsed):
    config = small_book(tmp_path / "book")
    store = caching.Cache(tmp_path / "cache")
    m = config.parent / "manuscript"

    def loaded():
        parsed.clear()
        book = loading.load_book(load(config), store=store)
        files = list(parsed)
        assert book == loading.load_book(load(config))  # the cache never changes what is read
        return book, files

    loaded()
    book, files = loaded()
    assert files == [] and [c.id for c in book.chapters] == ["intro", "intro-2"]
    (m / "code.txt").write_text("second listing\n", encoding="utf-8")  # an included file
    book, files = loaded()
    assert files == ["manuscript/01-intro.md"] and "second listing" in book.chapters[0].html
    (m / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"/>\n', encoding="utf-8")
    assert loaded()[1] == ["manuscript/01-intro.md"]  # an image
    # the first chapter's id changes, and with it the second's (no longer a clash): both parsed again
    intro = m / "01-intro.md"
    intro.write_text("---\nid: opening\n---\n" + intro.read_text(encoding="utf-8"), encoding="utf-8")
    book, files = loaded()
    assert files == ["manuscript/01-intro.md", "manuscript/02-intro.md"]
    assert [c.id for c in book.chapters] == ["opening", "intro"]
    assert loaded()[1] == []
    (config).write_text(config.read_text(encoding="utf-8").replace('title = "T"', 'title = "T"\nlanguage = "nl"'),
                        encoding="utf-8")
    book, files = loaded()  # book.toml
    assert len(files) == 2 and {c.lang for c in book.chapters} == {"nl"}


def test_a_file_a_cached_chapter_needs_that_is_gone_is_reported_as_without_the_cache(tmp_path, parsed):
    config = small_book(tmp_path / "book")
    store = caching.Cache(tmp_path / "cache")
    loading.load_book(load(config), store=store)
    (config.parent / "manuscript" / "code.txt").unlink()
    parsed.clear()
    book = loading.load_book(load(config), store=store)
    assert parsed == ["manuscript/01-intro.md"]
    assert [d.code for d in book.chapters[0].diagnostics] == ["D002"]
    assert not any(p.name == "code.txt" for p in book.chapters[0].includes)
    # a chapter with a finding is not kept: it is parsed (and reported) at every build
    parsed.clear()
    loading.load_book(load(config), store=store)
    assert parsed == ["manuscript/01-intro.md"]


def test_a_damaged_entry_is_a_miss(tmp_path, parsed):
    config = small_book(tmp_path / "book")
    store = caching.Cache(tmp_path / "cache")
    fresh = loading.load_book(load(config), store=store)
    for entry in (tmp_path / "cache" / "chapters").rglob("*.json"):
        entry.write_bytes(entry.read_bytes()[:-20])
    parsed.clear()
    assert loading.load_book(load(config), store=store) == fresh
    assert len(parsed) == 2


def test_a_build_with_the_epub_takes_the_chapters_parsed_before_and_makes_the_same_epub(tmp_path, parsed):
    """`spindle build all` after `build pdf` parses none of the chapters the PDF build kept (it
    parsed every one again before), and its EPUB is a cold build's, byte for byte."""
    from spindle.build import orchestrate as builder

    epoch = 1539216000
    cold = builder.build(load(small_book(tmp_path / "cold")), ("epub",), tmp_path / "cold" / "build", epoch=epoch)
    warm_project = load(small_book(tmp_path / "warm"))
    builder.build(warm_project, ("pdf",), tmp_path / "warm" / "build", epoch=epoch)  # (fills the cache)
    parsed.clear()
    warm = builder.build(warm_project, ("epub",), tmp_path / "warm" / "build", epoch=epoch)
    assert parsed == [], f"parsed again for the EPUB: {parsed}"
    [cold_epub] = [o.path for o in cold.outputs if o.edition == "epub"]
    [warm_epub] = [o.path for o in warm.outputs if o.edition == "epub"]
    assert warm_epub.read_bytes() == cold_epub.read_bytes()
