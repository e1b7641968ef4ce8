"""Real books (issue 12, item 8): ``spindle init DIR --from BOOK && spindle build all`` with no
edits, on the public books listed in tests/corpus/SOURCES.md.

The books are not part of this repository (fetched material is never committed here): the tests
look for them in $SPINDLE_CORPUS (default /work/corpus) and skip when a book is absent. They are
slow (the biggest is 600+ pages), so they are marked ``corpus`` and left out of the default run:
``pytest -m corpus`` runs them.

Each test checks: both commands exit 0; the number of top-level chapters in the book's table of
contents (the loaded book the TOC template lists), the EPUB navigation and the PDF bookmarks equals
the number of top-level entries of the source's own table of contents, counted here from the source
files directly (not through the importer)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from spindle.cli import run

CORPUS = Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))
pytestmark = pytest.mark.corpus

_TOP_ITEM = re.compile(r"^[-*+] \[[^\]]*\]\((?!https?:)([^)#]+)")
_LINK_LINE = re.compile(r"^\[[^\]]*\]\(([^)]+)\)\s*$")


def _mdbook(root: Path) -> int:
    """Prefix + numbered top-level + suffix chapters of SUMMARY.md (drafts have no file)."""
    lines = (root / "src" / "SUMMARY.md").read_text(encoding="utf-8").splitlines()
    return sum(1 for ln in lines if _TOP_ITEM.match(ln) or _LINK_LINE.match(ln))


def _gitbook(root: Path) -> int:
    config = json.loads((root / "book.json").read_text(encoding="utf-8"))
    base = root / config.get("root", ".")
    summary = base / (config.get("structure", {}).get("summary") or "SUMMARY.md")
    readme = (config.get("structure", {}).get("readme") or "README.md")
    files = []
    for line in summary.read_text(encoding="utf-8").splitlines():
        m = _TOP_ITEM.match(line)
        if m and (base / m.group(1)).resolve() not in files:
            files.append((base / m.group(1)).resolve())
    return len(files) + (0 if (base / readme).resolve() in files else 1)


def _mkdocs(root: Path) -> int:
    loader = type("L", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("!", lambda *a: None)
    loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *a: None)
    nav = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=loader)["nav"]
    return sum(1 for e in nav if not str(next(iter(e.values())) if isinstance(e, dict) else e).startswith("http"))


def _contents_list(root: Path) -> int:
    """practical-python: the entries of Notes/Contents.md, plus the README that introduces the course."""
    lines = (root / "Notes" / "Contents.md").read_text(encoding="utf-8").splitlines()
    return sum(1 for ln in lines if _TOP_ITEM.match(ln)) + 1


def _readme_toc(root: Path) -> int:
    """ko-interview: README's table of contents links one folder per chapter (nested under its
    parts), plus the README itself."""
    lines = (root / "README.md").read_text(encoding="utf-8").split("Table of Contents", 1)[1].splitlines()[1:]
    end = next(i for i, ln in enumerate(lines) if ln.startswith("#"))
    return sum(1 for ln in lines[:end] if re.match(r"^\s+- \[.*\]\(https://github\.com/", ln)) + 1


def _section_list(root: Path) -> int:
    return sum(1 for ln in (root / "src" / "section_list.txt").read_text().splitlines() if ln.strip().endswith(".md"))


def _makefile(root: Path) -> int:
    return len(dict.fromkeys(re.findall(r"\b\d-\w+\.md\b", (root / "Makefile").read_text())))


BOOKS = {  # corpus folder -> (the source's own top-level count, part titles that are not chapters)
    "trpl": _mdbook,
    "mdbook-guide/guide": _mdbook,
    "js-primer": _gitbook,
    "mostly-adequate": _gitbook,
    "mkdocs-mobile-azure": _mkdocs,
    "practical-python": _contents_list,
    "ko-interview": _readme_toc,
    "selinux-notebook": _section_list,
    "chip8-pandoc": _makefile,
}


@pytest.mark.parametrize("name", list(BOOKS))
def test_import_and_build(name, tmp_path, capsys):
    import pypdf

    from spindle.manuscript.load import load_book
    from spindle.project.config import Part, load

    source = CORPUS / name
    if not source.exists():
        pytest.skip(f"{source} is absent (set SPINDLE_CORPUS to the corpus folder; see tests/corpus/SOURCES.md)")
    expected = BOOKS[name](source)
    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(source)]) == 0, capsys.readouterr().err
    assert run(["build", "all", "--config", str(target / "book.toml"), "-q"]) == 0, capsys.readouterr().err
    project = load(target / "book.toml")
    book = load_book(project)
    assert len(book.chapters) == expected  # the TOC lists these, one entry each
    parts = {p.title for p in project.config.contents.chapters if isinstance(p, Part)}
    stem = project.config.book.file_stem
    with zipfile.ZipFile(target / "build" / f"{stem}.epub") as z:
        nav = z.read(next(n for n in z.namelist() if n.endswith("nav.xhtml"))).decode()
    toc = nav.split('epub:type="toc"')[1].split("</nav>")[0]
    assert len(re.findall(r'<li class="toc-(?:chapter|foreword|introduction|preface|afterword|appendix|colophon|'
                          r'interview)">', toc)) == expected
    outline = pypdf.PdfReader(target / "build" / f"{stem}.pdf").outline
    top = [o.title for o in outline if not isinstance(o, list)]
    assert len([t for t in top if t not in parts and t != "Contents"]) == expected
