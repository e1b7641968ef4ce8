"""Build a series: every title (or the ones named) listed in series.toml, then the series'
catalogue and index page.

A recipe in four steps:

1. load series.toml and each title's book.toml, with the series' name, number, publisher and
   shared theme (``project.series``); a title whose book.toml is wrong fails alone;
2. build each title into ``OUT/FOLDER/``: here, one after the other, each with the worker
   processes of a single build (``build.orchestrate``, its up-to-date check included: an
   unchanged title is a no-op); or, with a cluster address, on a Dask cluster
   (``build.cluster``), the up-to-date check still made here first;
3. a title that fails reports its one-line error; the others' outputs are written as usual;
4. write the catalogue (OPDS feed) and index page of every title whose editions are there
   (``build.catalogue``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from spindle.build.outcome import Built, SeriesResult, one_line
from spindle.core.errors import BuildError, SpindleError
from spindle.project.config import Project
from spindle.project.series import Title, Workspace, book_project


def build(workspace: Workspace, names: Iterable[str] = (), editions: Iterable[str] | None = None, *,
          cluster: str | None = None, strict: bool = False, allow_remote: bool = False, epoch: int | None = None,
          report: Callable[[str], None] = lambda message: None, jobs: int | None = None,
          single_pass: bool = False) -> SeriesResult:
    """Build the titles *names* (default: all) of *workspace*, then its catalogue and index page."""
    from spindle.build import catalogue

    chosen = [workspace.title(n) for n in names] or list(workspace.titles)
    editions = list(editions or workspace.config.build.editions)
    address = cluster if cluster is not None else workspace.config.build.cluster
    result = SeriesResult()
    projects: dict[Title, Project] = {}
    todo: list[Title] = []
    for title in workspace.titles:
        try:
            projects[title] = book_project(workspace, title)
        except SpindleError as exc:
            if title in chosen:
                result.books.append(Built(title, error=one_line(title, exc)))
            continue
        if title in chosen:
            todo.append(title)
    options = dict(strict=strict, allow_remote=allow_remote, epoch=epoch, single_pass=single_pass)
    if address:
        from spindle.build import cluster as remote

        result.books += remote.build(workspace, [(t, projects[t]) for t in todo], editions, address,
                                     report=report, **options)
    else:
        for title in todo:
            result.books.append(_build_here(workspace, title, projects[title], editions, report, jobs, **options))
    result.books.sort(key=lambda b: b.title.number)
    result.catalogue = catalogue.write(workspace, projects, epoch)
    return result


def _build_here(workspace: Workspace, title: Title, project: Project, editions: list[str], report, jobs,
                **options) -> Built:
    import time

    from spindle.build import orchestrate

    report(f"{title.folder}: building {', '.join(editions)}")
    started = time.perf_counter()
    try:
        made = orchestrate.build(project, editions, workspace.out_for(title), report=report, jobs=jobs, **options)
    except SpindleError as exc:
        return Built(title, error=one_line(title, exc), seconds=time.perf_counter() - started)
    return Built(title, made, seconds=time.perf_counter() - started)


def check(workspace: Workspace, names: Iterable[str] = ()):
    """Lint every title (or the ones named): one Report, each finding's path given from the series root."""
    import dataclasses

    from spindle.checks.lint import Report, lint

    found = Report()
    for title in [workspace.title(n) for n in names] or list(workspace.titles):
        found.findings += [dataclasses.replace(f, path=f"{title.folder}/{f.path}")
                           for f in lint(book_project(workspace, title)).findings]
    return found


def preflight(workspace: Workspace, names: Iterable[str] = ()):
    """``spindle check print`` at the root: every title's print files, in one preflight Report."""
    import dataclasses

    from spindle.editions.print.preflight import Report, check_project

    found = Report()
    for title in [workspace.title(n) for n in names] or list(workspace.titles):
        out = workspace.out_for(title)
        shown = _shown(workspace, out)
        found.findings += [dataclasses.replace(f, file=f"{shown}/{Path(f.file).name}")
                           for f in check_project(book_project(workspace, title), out).findings]
    return found


def _shown(workspace: Workspace, folder: Path) -> str:
    """*folder* as the user reads it: relative to the series' root when inside it."""
    try:
        return folder.resolve().relative_to(workspace.root.resolve()).as_posix()
    except ValueError:
        return str(folder)


def failure(result: SeriesResult) -> BuildError | None:
    """The error that ends ``spindle build`` when a title failed (the others were written)."""
    if not result.failed:
        return None
    first = result.failed[0].error
    more = f" (and {len(result.failed) - 1} more title(s))" if len(result.failed) > 1 else ""
    return BuildError(f"{first}{more}")
