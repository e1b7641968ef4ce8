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
from spindle.output import write_bytes
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
    outputs: list[Output] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def target(project: Project, edition: str, out_dir: Path) -> Path:
    stem = project.config.book.file_stem
    return out_dir / {"pdf": f"{stem}.pdf", "epub": f"{stem}.epub", "print": f"{stem}-print.pdf"}[edition]


def check_out_dir(project: Project, out_dir: Path) -> Path:
    out = out_dir.resolve()
    theme = project.config.theme
    for name in ("manuscript", theme.templates, theme.styles):
        protected = project.path(name)
        if out == protected or protected in out.parents:
            raise ConfigError(f"--out {out_dir}: refusing to write into the project's {name}/; choose another folder")
    return out


def build(
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
    font_config = None
    for edition in editions:
        start = time.perf_counter()
        report(f"building {edition} …")
        if edition == "epub":
            from spindle import epub

            data, pages = epub.build(book, theme, epoch), None
        else:
            if font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                font_config = FontConfiguration()
            data, pages, warnings = _paged(book, theme, edition, epoch, allow_remote, font_config)
            result.warnings += warnings
        path = target(project, edition, out)
        staged.append((Output(edition, path, len(data), time.perf_counter() - start, pages), data))
    _fail_on_warnings(strict, result.warnings)
    for output, data in staged:
        write_bytes(output.path, data)
        result.outputs.append(output)
    return result


def _paged(book: Book, theme: Theme, edition: str, epoch: int | None, allow_remote: bool, font_config):
    from spindle import paged, render

    html = render.paged_html(book, edition, theme, epoch)
    settings = render.page_settings(book, edition, theme)
    sheets = theme.stylesheets(edition) + [theme.custom_stylesheet()]
    layout = paged.layout(html, sheets, [settings], book.project.root, allow_remote, font_config)
    ident = f"{book.meta.title}|{edition}|{book.meta.isbn.print or book.meta.identifier}"
    return paged.write(layout, ident), layout.pages, layout.warnings


def _fail_on_warnings(strict: bool, warnings: list[str]) -> None:
    if strict and warnings:
        raise BuildError(f"{len(warnings)} warning(s) and --strict is set; first: {warnings[0]}")
