"""The orchestrator: config → manuscript → document model → render →
writers, staged in memory and committed to build/ only when every edition
succeeded (a failed build leaves earlier outputs untouched)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from spindle.config import Project
from spindle.errors import BuildError, ConfigError
from spindle.manuscript import load_book
from spindle.model import Book
from spindle.output import source_date_epoch, write_bytes
from spindle.theme import Theme

EDITIONS = ("pdf", "epub", "print")


@dataclass(frozen=True)
class Output:
    edition: str
    path: Path
    bytes: int
    seconds: float
    pages: int | None = None


@dataclass
class Result:
    outputs: list[Output] = field(default_factory=list)  # one per edition
    warnings: list[str] = field(default_factory=list)
    extras: list[Output] = field(default_factory=list)  # companion files: the print cover and imposed sheets
    notes: list[str] = field(default_factory=list)  # what the build did (padding, spine, PDF/X claim)


def target(project: Project, edition: str, out_dir: Path) -> Path:
    stem = project.config.book.file_stem
    return out_dir / {"pdf": f"{stem}.pdf", "epub": f"{stem}.epub", "print": f"{stem}-print.pdf",
                      "cover": f"{stem}-cover.pdf", "imposed": f"{stem}-print-imposed.pdf"}[edition]


def check_out_dir(project: Project, out_dir: Path) -> Path:
    out = out_dir.resolve()
    theme = project.config.theme
    for name in ("manuscript", theme.templates, theme.styles):
        protected = project.path(name)
        if out == protected or protected in out.parents:
            raise ConfigError(f"--out {out_dir}: refusing to write into the project's {name}/; choose another folder")
    return out


def build(project: Project, editions: Iterable[str] = EDITIONS, out_dir: Path | None = None, **options) -> Result:
    """Build *editions* of *project* into *out_dir* (default: build/ beside book.toml).

    Options: strict, allow_remote, epoch (SOURCE_DATE_EPOCH), report (a progress callback).
    While it runs, SOURCE_DATE_EPOCH is set for the libraries that honour it (fontTools)."""
    with source_date_epoch(options.get("epoch")):
        return _build(project, editions, out_dir, **options)


def _build(
    project: Project,
    editions: Iterable[str] = EDITIONS,
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    allow_remote: bool = False,
    epoch: int | None = None,
    report: Callable[[str], None] = lambda message: None,
) -> Result:
    editions = [e for e in EDITIONS if e in set(editions)]
    out = check_out_dir(project, out_dir or project.root / "build")
    result = Result()
    book = load_book(project, allow_remote=allow_remote)
    result.warnings += book.warnings
    _fail_on_warnings(strict, result.warnings)
    theme = Theme(project)
    staged: list[tuple[Output, bytes]] = []
    extras: list[tuple[Output, bytes]] = []
    font_config = None
    for_epub: dict = {}  # from the print edition: the page-list and the cover
    for edition in sorted(editions, key=lambda e: e == "epub"):  # the EPUB last: it maps the print pages
        start = time.perf_counter()
        report(f"building {edition} …")
        if edition == "epub":
            from spindle import epub

            if "pages" not in for_epub:
                report("epub: no page-list: the print edition is not built in this run (spindle build all maps its pages)")
            data, pages = epub.build(book, theme, epoch, allow_remote=allow_remote, **for_epub), None
        elif edition == "print":
            from spindle import printing

            font_config = _fonts(font_config)
            made = printing.build(book, theme, epoch, allow_remote, font_config, _identifier(book, edition),
                                  preflight=strict)
            data, pages = made.files.pop("print"), made.pages
            if "epub" in editions:
                for_epub = _print_for_epub(book, made)
            result.warnings += made.warnings
            result.notes += made.notes
            seconds = time.perf_counter() - start
            extras += [(Output(role, target(project, role, out), len(blob), seconds), blob) for role, blob in made.files.items()]
        else:
            font_config = _fonts(font_config)
            data, pages, warnings, notes = _paged(book, theme, edition, epoch, allow_remote, font_config)
            result.warnings += warnings
            result.notes += notes
        path = target(project, edition, out)
        staged.append((Output(edition, path, len(data), time.perf_counter() - start, pages), data))
    _fail_on_warnings(strict, result.warnings)
    staged.sort(key=lambda s: EDITIONS.index(s[0].edition))
    for output, data in staged:
        write_bytes(output.path, data)
        result.outputs.append(output)
    for output, data in extras:
        write_bytes(output.path, data)
        result.extras.append(output)
    return result


def _print_for_epub(book: Book, made) -> dict:
    """What the EPUB takes from the print edition: where each page begins, and
    (when book.toml names no EPUB cover) the print cover's front as a PNG."""
    from spindle import epub, epubcover, pagemap

    found: dict = {"pages": epub.PageList(tuple(pagemap.page_starts(made.document)), epub.print_identifier(book))}
    if not book.project.config.editions.epub.cover and "cover" in made.files:
        found["cover_image"] = ("images/cover.png", epubcover.front_png(made.files["cover"], book))
    return found


def _fonts(font_config):
    if font_config is not None:
        return font_config
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _identifier(book: Book, edition: str) -> str:
    return f"{book.meta.title}|{edition}|{book.meta.isbn.print or book.meta.identifier}"


def _paged(book: Book, theme: Theme, edition: str, epoch: int | None, allow_remote: bool, font_config):
    from spindle import footnotes, paged, render

    html = render.paged_html(book, edition, theme, epoch)
    settings = render.page_settings(book, edition, theme)
    sheets = theme.stylesheets(edition) + [theme.custom_stylesheet()]
    layout = paged.layout(html, sheets, [settings], book.project.root, allow_remote, font_config)
    notes = footnotes.describe(edition, layout.document)
    return paged.write(layout, _identifier(book, edition)), layout.pages, layout.warnings, notes


def _fail_on_warnings(strict: bool, warnings: list[str]) -> None:
    if strict and warnings:
        raise BuildError(f"{len(warnings)} warning(s) and --strict is set; first: {warnings[0]}")
