"""The orchestrator: config → manuscript → document model → render →
writers, staged in memory and committed to build/ only when every edition
succeeded (a failed build leaves earlier outputs untouched)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from typing import TYPE_CHECKING

from spindle.core import progress
from spindle.project.config import Project
from spindle.core.errors import BuildError, ConfigError
from spindle.core.output import remove_stale, source_date_epoch, write_all
from spindle.build.result import Output, Result
from spindle.core import faults

if TYPE_CHECKING:
    from spindle.manuscript.model import Book

EDITIONS = ("pdf", "epub", "print")


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

    Options: strict, allow_remote, epoch (SOURCE_DATE_EPOCH), report (a progress callback),
    jobs (worker processes for the paged editions; default: the number of CPUs), single_pass
    (lay each paged edition out as one document: no parallel layout, no chapter cache),
    cache (the cache folder; default .spindle-cache/ beside book.toml; False: none),
    cluster (a Dask scheduler's address, or a connected ``distributed.Client``: the paged
    editions' parts are laid out on its workers instead of *jobs* processes here; the cache,
    the merge and the outputs stay here).
    While it runs, SOURCE_DATE_EPOCH is set for the libraries that honour it (fontTools), and
    the project's build lock is held (core.lock): a second build of the project waits for
    this one, reporting that through *waiting* (default: *report*)."""
    from spindle.core import cache as caching
    from spindle.core import lock

    waiting = options.pop("waiting", None) or options.get("report") or (lambda message: None)
    with lock.held(project.root / caching.FOLDER, waiting), source_date_epoch(options.get("epoch")):
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
    jobs: int | None = None,
    single_pass: bool = False,
    cache: Path | str | bool | None = None,
    cluster=None,
) -> Result:
    from spindle.core import cache as caching
    from spindle.build import uptodate

    editions = [e for e in EDITIONS if e in set(editions)]
    out = check_out_dir(project, out_dir or project.root / "build")
    remove_stale(out)
    scratch = project.root / caching.FOLDER / "tmp"  # temporary outputs: never left in build/ by a killed build
    remove_stale(scratch)
    store, manifest = uptodate.slot(project, editions, out, strict=strict, epoch=epoch, single_pass=single_pass,
                                    allow_remote=allow_remote, cache=cache)
    if manifest is not None:
        done = uptodate.check(project, store, manifest)
        if done is not None:
            report("nothing changed since the last build")
            return done

    paged_editions = [e for e in ("pdf", "print") if e in editions]
    if not paged_editions:  # the EPUB alone: no workers, and the layout engine's modules are not imported
        from contextlib import nullcontext

        pooled = nullcontext()
    elif cluster is not None and not single_pass:
        from spindle.build import remote

        pooled = remote.parts_pool(cluster)
    else:
        from spindle.editions.paged.scheduler import Pool, default_jobs

        pooled = Pool(jobs or default_jobs())
    with pooled as pool:
        if paged_editions and not single_pass:  # the workers get ready while the manuscript is read
            from spindle.editions import layouts
            from spindle.theme import Theme

            styles: list = []  # the workers read them (and their fonts) while the manuscript is read
            every = not store.enabled or layouts.styles_changed(project, Theme(project),
                                                                layouts.to_lay_out(project, paged_editions),
                                                                allow_remote, store, styles)
            pool.start(every, styles)  # all of them when the stylesheets changed: every chapter is laid out again
        return _build_book(project, editions, out, paged_editions, pool, store, manifest, scratch, strict=strict,
                           allow_remote=allow_remote, epoch=epoch, report=report, single_pass=single_pass,
                           fit=jobs is None)


def _build_book(project: Project, editions: list[str], out: Path, paged_editions: list[str], pool, store,
                manifest: str | None, scratch: Path, *, strict: bool, allow_remote: bool, epoch: int | None,
                report: Callable[[str], None], single_pass: bool, fit: bool = False) -> Result:
    from spindle.build import uptodate
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme

    started = time.perf_counter()
    result = Result()
    book = load_book(project, allow_remote=allow_remote, report=report, store=store)
    result.notes += book.notes
    _manuscript_findings(project, book, result, strict, store)
    theme = Theme(project)
    if fit and paged_editions and not single_pass:  # (--jobs not given) a small book: in this process
        pool.fit(sum(len(c.html) for c in book.chapters))
    from spindle.theme import stylecheck

    found = stylecheck.check(theme, allow_remote)
    result.diagnostics += found
    result.warnings += [str(d) for d in found]
    _fail_on_warnings(strict, result.warnings)
    staged: list[tuple[Output, bytes]] = []
    extras: list[tuple[Output, bytes]] = []
    font_config = None
    laid: dict = {}
    if paged_editions:
        from spindle.editions import layouts

        report(f"laying out {' and '.join(paged_editions)} …")
        if single_pass:
            font_config = _fonts(None)
        laid, how = layouts.lay_out(book, theme, paged_editions, epoch=epoch, allow_remote=allow_remote,
                                    pool=pool, single_pass=single_pass, store=store, report=report,
                                    font_config=font_config)
        for line in how:
            if "in one pass" in line and not single_pass:
                result.notes.append(line)
            report(line)
        cluster = getattr(pool, "summary", lambda: None)()  # parts laid out on a Dask cluster
        if cluster:
            result.notes.append(cluster)
    for_epub: dict = {}  # from the print edition: the page-list and the cover
    for edition in sorted(editions, key=lambda e: e == "epub"):  # the EPUB last: it maps the print pages
        start = time.perf_counter()
        report(progress.edition(edition))
        if edition == "epub":
            from spindle.editions.epub import writer as epub

            if "pages" not in for_epub and laid.get("print") is not None and laid["print"].starts:
                # the screen PDF's layout is the print edition's: its pages are the page-list's
                for_epub = {"pages": epub.PageList(tuple(laid["print"].starts), epub.print_identifier(book))}
            if "pages" not in for_epub:
                report("epub: no page-list: the print edition is not built in this run (spindle build all maps its pages)")
            faults.point("epub")
            data, pages = epub.build(book, theme, epoch, allow_remote=allow_remote, **for_epub), None
        elif edition == "print":
            from spindle.editions import layouts
            from spindle.editions.print import printing

            made = printing.build(book, theme, epoch, allow_remote, font_config, layouts.identifier(book, edition),
                                  preflight=strict, laid=laid["print"])
            data, pages = made.files.pop("print"), made.pages
            if "epub" in editions:
                for_epub = _print_for_epub(book, made)
            result.warnings += made.warnings
            result.diagnostics += [d for d in made.diagnostics if d not in result.diagnostics]
            result.notes += made.notes
            seconds = time.perf_counter() - started
            extras += [(Output(role, target(project, role, out), len(blob), seconds), blob) for role, blob in made.files.items()]
        else:
            from spindle.editions.paged import footnotes

            data, pages = laid["pdf"].pdf, laid["pdf"].pages
            from spindle.editions.paged import messages, overflow

            if laid["pdf"].from_print and "print" in editions:
                # one layout: what the print edition reports of it is what the screen PDF has
                staged.append((Output(edition, target(project, edition, out), len(data),
                                      time.perf_counter() - started, pages), data))
                continue
            found = messages.fold(book, edition, laid["pdf"].warnings) + overflow.for_book(book, edition, laid["pdf"].spills)
            result.warnings += [str(d) for d in found]
            result.diagnostics += [d for d in found if d not in result.diagnostics]  # one for both paged editions
            result.notes += overflow.notes_for_book(book, edition, laid["pdf"].spills)
            result.notes += footnotes.describe_pages(edition, laid["pdf"].where)
        path = target(project, edition, out)
        elapsed = time.perf_counter() - (start if edition == "epub" else started)
        staged.append((Output(edition, path, len(data), elapsed, pages), data))
    result.warnings = list(dict.fromkeys(result.warnings))  # a problem both paged editions meet, once
    _fail_on_warnings(strict, result.warnings)
    staged.sort(key=lambda s: EDITIONS.index(s[0].edition))
    faults.point("write")
    try:
        write_all([(o.path, data) for o, data in staged + extras], scratch)
    except OSError as exc:
        raise BuildError(f"cannot write the outputs: {exc.strerror or exc}; free some space (or fix the folder's "
                         "permissions) and build again; the previous outputs are as they were",
                         project.display(out)) from None
    result.outputs += [o for o, _ in staged]
    result.extras += [o for o, _ in extras]
    faults.point("manifest")
    result.inputs = uptodate.inputs(project, book)
    if manifest is not None:
        uptodate.record(project, store, manifest, result)
    store.prune()
    return result


def _print_for_epub(book: Book, made) -> dict:
    """What the EPUB takes from the print edition: where each page begins, and
    (when book.toml names no EPUB cover) the print cover's front as a PNG."""
    from spindle.editions.epub import writer as epub
    from spindle.editions.epub import cover as epubcover

    found: dict = {"pages": epub.PageList(tuple(made.starts), epub.print_identifier(book))}
    if not book.project.config.editions.epub.cover and "cover" in made.files:
        found["cover_image"] = ("images/cover.png", epubcover.front_png(made.files["cover"], book))
    return found


def _fonts(font_config):
    if font_config is not None:
        return font_config
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _manuscript_findings(project: Project, book: Book, result: Result, strict: bool, store=None) -> None:
    """What ``spindle check`` reports on this book (the same findings, at the same levels, from the
    same table): errors stop the build, all of them reported; warnings are the build's warnings."""
    from spindle.checks.lint import book_findings
    from spindle.core.diagnostics import errors
    from spindle.core.errors import ManuscriptProblems

    found = book_findings(project, book, store)
    if errors(found):
        raise ManuscriptProblems(found)
    result.diagnostics += found
    result.warnings += [str(d) for d in found]
    _fail_on_warnings(strict, result.warnings)


def _fail_on_warnings(strict: bool, warnings: list[str]) -> None:
    if strict and warnings:
        more = f" (and {len(warnings) - 1} more warning(s))" if len(warnings) > 1 else ""
        raise BuildError(f"{warnings[0]}{more}; --strict makes warnings errors")
