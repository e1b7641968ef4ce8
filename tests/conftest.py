"""Shared fixtures. Expensive builds happen once per session and are shared."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from spindle.build import orchestrate as builder
from spindle.project.config import load

ROOT = Path(__file__).resolve().parent.parent
EPOCH = 1539216000  # 2018-10-11T00:00:00Z, the launch date


def copy_sample(dest: Path) -> Path:
    """A private copy of the sample project (book.toml, manuscript, templates, styles)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "book.toml", dest / "book.toml")
    for name in ("manuscript", "templates", "styles"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    return dest / "book.toml"


@pytest.fixture(scope="session", autouse=True)
def _private_temp(tmp_path_factory):
    """The suite's temporary files in a folder of pytest's (kept for the last three runs, like every
    tmp_path), not in the system's: WeasyPrint called in this process leaves a ``weasyprint-*`` folder of
    font copies for each font configuration it makes, and a build the reliability tests kill leaves its
    own; subprocesses (the CLI) are pointed there too, through TMPDIR. (Not removed at the end:
    multiprocessing removes its own folder in it after the session.)"""
    import tempfile

    folder = tmp_path_factory.mktemp("tmp")
    before, tempfile.tempdir = tempfile.tempdir, str(folder)
    env_before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
        if env_before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = env_before


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> builder.Result:
    """Every edition of the sample book, built once with SOURCE_DATE_EPOCH."""
    project = load(ROOT / "book.toml")
    out = tmp_path_factory.mktemp("sample-build")
    return builder.build(project, builder.EDITIONS, out, epoch=EPOCH)


@pytest.fixture(scope="session")
def outputs(sample_build) -> dict[str, Path]:
    return {o.edition: o.path for o in sample_build.outputs}


@pytest.fixture(scope="session")
def sample_project():
    return load(ROOT / "book.toml")


# --- Added for the output tests (test_pdf, test_epub, test_print, test_determinism) ---


@dataclass(frozen=True)
class Run:
    """One piece of text as drawn on a PDF page (user-space points, effective size)."""

    text: str
    x: float
    y: float
    size: float
    font: str  # BaseFont without the subset prefix, e.g. "Spindle-Serif"


def normalize(text: str) -> str:
    """Letters and digits only, lower-cased: immune to line breaks, hyphenation and spacing."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


class PdfPages:
    """The text of every page of a PDF (pypdf), with the position, size and font of each run."""

    normalize = staticmethod(normalize)

    def __init__(self, path: Path):
        import pypdf

        self.path = path
        self.reader = pypdf.PdfReader(path)
        self.texts: list[str] = []
        self.runs: list[list[Run]] = []
        for page in self.reader.pages:
            runs: list[Run] = []

            def visit(text, cm, tm, font, size, runs=runs):
                if not text.strip():
                    return
                a = tm[0] * cm[0] + tm[1] * cm[2]
                b = tm[0] * cm[1] + tm[1] * cm[3]
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                name = str(font.get("/BaseFont", "")) if font else ""
                name = re.sub(r"^/([A-Z]{6}\+)?", "", name)
                runs.append(Run(text, x, y, size * (a * a + b * b) ** 0.5, name))

            self.texts.append(page.extract_text(visitor_text=visit))
            self.runs.append(runs)

    def __len__(self) -> int:
        return len(self.texts)

    @cached_property
    def normalized(self) -> list[str]:
        return [normalize(t) for t in self.texts]

    def lines(self, index: int) -> list[str]:
        return [" ".join(line.split()) for line in self.texts[index].splitlines() if line.strip()]

    def toc_page(self, heading: str = "Contents") -> int:
        """Index of the table of contents: the first page that starts with its heading."""
        for i, text in enumerate(self.normalized):
            if text.startswith(normalize(heading)):
                return i
        raise AssertionError(f"{self.path.name}: no page starts with {heading!r}")

    def chapter_starts(self, book) -> dict[str, int]:
        """Page index where each chapter starts: the first page after the table of contents
        (and after the previous chapter's start) whose text opens with the chapter title,
        allowing for a short label such as 'Chapter 3' before it."""
        starts: dict[str, int] = {}
        page = self.toc_page()
        for chapter in book.chapters:
            title = normalize(chapter.title)
            found = next(
                (i for i in range(page + 1, len(self)) if title in self.normalized[i][: len(title) + 24]),
                None,
            )
            assert found is not None, (
                f"{self.path.name}: no page after page {page + 1} opens with the title of "
                f"{chapter.display}: {chapter.title!r}"
            )
            starts[chapter.id] = page = found
        return starts


@pytest.fixture(scope="session")
def epoch() -> int:
    return EPOCH


@pytest.fixture(scope="session")
def book(sample_project):
    """The sample book's document model (titles, languages, notes) as spindle parses it."""
    from spindle.manuscript.load import load_book

    return load_book(sample_project)


@pytest.fixture(scope="session")
def pdf_pages(outputs):
    """pdf_pages("pdf") / pdf_pages("print"): the parsed pages of a built PDF, cached."""
    cache: dict[str, PdfPages] = {}

    def get(edition: str) -> PdfPages:
        if edition not in cache:
            cache[edition] = PdfPages(outputs[edition])
        return cache[edition]

    return get


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A private copy of the sample project; returns the path of its book.toml."""
    return copy_sample(tmp_path / "project")


# --- The print edition's fixture book (test_print_edition, test_cover, test_impose, test_preflight) ---

@pytest.fixture(scope="session")
def padding_build(tmp_path_factory):
    """A small print-only book (6×9 in, signature 16, PDF/X-4, saddle stitch), built once."""
    from printbook import padding_book

    root = tmp_path_factory.mktemp("padding-book")
    project = load(padding_book(root))
    result = builder.build(project, ["print"], root / "build", epoch=EPOCH)
    return project, result
