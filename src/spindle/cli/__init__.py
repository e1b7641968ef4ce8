"""The command line: thin Click commands that load the config and call one
library function each. ``run(argv) -> int``; only __main__ exits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from spindle import __version__
from spindle.core.errors import ConfigError, SpindleError
from spindle.project.formats import FORMAT_CHOICES

EDITION_CHOICES = ("pdf", "epub", "print", "all")


def _epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise ConfigError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got {value!r}")
    return int(value)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spindle")
def main() -> None:
    """Build screen PDF, EPUB 3 and print editions of a book from Markdown."""


@main.command()
@click.argument("editions", nargs=-1, type=click.Choice(EDITION_CHOICES))
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Output folder  [default: build/ beside book.toml]")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--allow-remote", is_flag=True, help="Allow fetching remote images and stylesheets.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print progress and details.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a manifest of the files built (edition, path, sha256, pages, bytes) and the manuscript's findings as JSON, for CI.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes laying out chapters in parallel  [default: the number of CPUs]")
@click.option("--single-pass", is_flag=True,
              help="Lay out each PDF as one document (no parallel layout, no chapter cache).")
@click.option("--book", "books", multiple=True, metavar="FOLDER",
              help="In a series (series.toml): build only this title (repeatable)  [default: every title]")
@click.option("--cluster", default=None, metavar="tcp://HOST:8786",
              help="Lay out on this Dask scheduler's workers (pip install 'spindle[cluster]'): a book's parts; "
                   "a series' titles, and a large title's parts  [default: series.toml's build.cluster, else here]")
def build(editions, config_path, out_dir, strict, allow_remote, quiet, verbose, as_json, jobs, single_pass,
          books, cluster) -> None:
    """Build EDITIONS (pdf, epub, print; default: all).

    In a folder with series.toml (and no book.toml), or with --config series.toml, it builds every
    title of the series (or those named with --book), then the series' catalogue.xml (OPDS) and index.html.
    On a terminal it shows its progress and ends with a table of the files built;
    elsewhere (CI) it prints one plain line per file."""
    from spindle.build import orchestrate as builder
    from spindle.build import manifest
    from spindle.core import progress
    from spindle.project.config import load

    chosen = builder.EDITIONS if not editions or "all" in editions else editions
    series_path = _series_config(config_path)
    if series_path is not None:
        return _build_series(series_path, editions and chosen, books, cluster, out_dir, strict=strict,
                             allow_remote=allow_remote, quiet=quiet, verbose=verbose, as_json=as_json, jobs=jobs,
                             single_pass=single_pass)
    if books:
        raise ConfigError("--book: only for a series; run it where series.toml is or pass --config series.toml")
    project = load(config_path)
    display = progress.Display(click.get_text_stream("stderr"), live=not quiet and sys.stderr.isatty(),
                               verbose=verbose, editions=len(set(chosen)))
    with display.pages():
        result = builder.build(project, chosen, Path(out_dir) if out_dir else None, strict=strict,
                               allow_remote=allow_remote, epoch=_epoch(), report=display, jobs=jobs,
                               single_pass=single_pass, cluster=cluster,
                               waiting=lambda message: click.echo(message, err=True))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(manifest.as_json(result, _shown))
    elif not quiet:
        built = manifest.entries(result, _shown)
        if sys.stdout.isatty():
            click.echo(progress.table(built))
        else:
            for o in built:
                pages = f"{o['pages']} pages, " if o["pages"] else ""
                click.echo(f"{o['edition']:<6} {o['path']}  ({pages}{progress.size(o['bytes'])}, {o['seconds']:.1f} s)")
    if not quiet:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)


def _series_config(config_path: str) -> Path | None:
    """series.toml when the command runs on a series: named by --config, or found here without a book.toml."""
    path = Path(config_path)
    if path.name == "series.toml":
        return path
    if config_path == "book.toml" and not path.exists() and Path("series.toml").is_file():
        return Path("series.toml")
    return None


def _build_series(series_path: Path, editions, books, cluster, out_dir, *, quiet: bool, verbose: bool,
                  as_json: bool, **options) -> None:
    import json

    from spindle.build import manifest
    from spindle.build import series
    from spindle.core import progress
    from spindle.project.series import load_series

    workspace = load_series(series_path)
    if out_dir:
        workspace = workspace.writing_to(Path(out_dir))
    say = (lambda m: click.echo(m, err=True)) if verbose else (lambda m: None)
    done = series.build(workspace, books, editions or None, cluster=cluster, epoch=_epoch(), report=say, **options)
    for book in done.books:
        for warning in book.result.warnings if book.result else ():
            click.echo(f"warning: {book.title.folder}: {warning}", err=True)
    if as_json:
        click.echo(json.dumps({"books": [{"folder": b.title.folder, "number": b.title.number, "error": b.error,
                                          **(manifest.manifest(b.result, _shown) if b.result else {})}
                                         for b in done.books],
                               "catalogue": [_shown(p) for p in done.catalogue]}, indent=2, ensure_ascii=False))
    elif not quiet:
        for book in done.books:
            for o in manifest.entries(book.result, _shown) if book.result else ():
                pages = f"{o['pages']} pages, " if o["pages"] else ""
                click.echo(f"{o['edition']:<6} {o['path']}  ({pages}{progress.size(o['bytes'])}, {o['seconds']:.1f} s)")
        for path in done.catalogue:
            click.echo(f"series {_shown(path)}")
    for book in done.failed:
        click.echo(f"error: {book.error}", err=True)
    failed = series.failure(done)
    if failed is not None:
        raise click.exceptions.Exit(failed.exit_code)


@main.command()
@click.argument("target", required=False, default="manuscript", type=click.Choice(["manuscript", "print"]))
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Folder holding the built files, for 'print'  [default: build/ beside book.toml]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="'text': one 'path:line: CODE message' per finding; 'json' for CI.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_context
def check(ctx, target, config_path, out_dir, fmt, as_json, strict) -> None:
    """Check TARGET: 'manuscript' (the default) lints the Markdown files and transcripts
    (codes: docs/manuscript.md); 'print' preflights the print PDF, cover and imposed sheets.
    Exit 1 on errors (and on warnings with --strict)."""
    from spindle.project.config import load

    as_json = as_json or fmt == "json"
    series_path = _series_config(config_path)
    if series_path is not None:  # every title of the series
        from spindle.build import series
        from spindle.project.series import load_series

        if target == "print":
            workspace = load_series(series_path)
            report = series.preflight(workspace.writing_to(Path(out_dir)) if out_dir else workspace)
            click.echo(report.as_json() if as_json else report.table())
            if report.errors or (strict and report.warnings):
                ctx.exit(1)
            return
        found = series.check(load_series(series_path))
        if as_json:
            click.echo(found.as_json())
        elif found.findings:
            click.echo(found.text())
            click.echo(found.summary(), err=True)
        if found.failed(strict):
            ctx.exit(1)
        return
    project = load(config_path)
    if target == "print":
        from spindle.editions.print.preflight import check_project

        report = check_project(project, Path(out_dir) if out_dir else None)
        click.echo(report.as_json() if as_json else report.table())
        failed = bool(report.errors or (strict and report.warnings))
    else:
        from spindle.checks.lint import lint

        found = lint(project)
        if as_json:
            click.echo(found.as_json())
        elif found.findings:
            click.echo(found.text())
            click.echo(found.summary(), err=True)
        failed = found.failed(strict)
    if failed:
        ctx.exit(1)


@main.command()
@click.argument("target", required=False, default="pdf", type=click.Choice(["pdf", "print"]))
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Folder holding the built files  [default: build/ beside book.toml]")
@click.option("--dpi", default=100, show_default=True, type=click.IntRange(20, 600), help="Resolution of the images.")
@click.option("--columns", default=None, type=click.IntRange(1, 100), help="Thumbnails (pdf) or spreads (print) per row of the contact sheet  [default: 10 or 4]")
def proof(target, config_path, out_dir, dpi, columns) -> None:
    """Write proof images of TARGET (default: pdf): 'pdf' pages or 'print' spreads
    (trim and bleed shown), and contact-sheet.png, the whole book at a glance:
    every page ('pdf') or every spread of facing pages ('print') as a thumbnail."""
    from spindle.build import orchestrate as builder
    from spindle.checks import proof as proofs
    from spindle.project.config import load

    project = load(config_path)
    out = builder.check_out_dir(project, Path(out_dir) if out_dir else project.root / "build")
    stem = project.config.book.file_stem
    pdf = builder.target(project, target, out)
    folder = out / f"{stem}-{target}-proof"
    marks = proofs.spill_marks(pdf, project, target)
    if target == "print":
        made = proofs.print_spreads(pdf, builder.target(project, "cover", out), folder, dpi, shown=_shown(pdf), marks=marks)
    else:
        made = proofs.pdf_pages(pdf, folder, dpi, shown=_shown(pdf), marks=marks)
    sheet = proofs.contact_sheet(pdf, folder / "contact-sheet.png", spreads_of_print=target == "print",
                                 columns=columns, shown=_shown(pdf))
    click.echo(f"{len(made.files)} image(s) in {_shown(made.folder)}")
    if marks:
        pages = ", ".join(str(n) for n in sorted(marks))
        click.echo(f"marked in red: what runs past the text block on page{'s' if len(marks) > 1 else ''} {pages}")
    spreads = f", {sheet.cells} spreads" if target == "print" else ""
    click.echo(f"contact sheet: {_shown(sheet.path)} ({sheet.pages} pages{spreads})")


@main.command()
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Output folder; the preview's PDFs go to its preview/  [default: build/ beside book.toml]")
@click.option("--allow-remote", is_flag=True, help="Allow fetching remote images and stylesheets.")
@click.option("-v", "--verbose", is_flag=True, help="Say what each change rebuilt.")
def serve(config_path, port, out_dir, allow_remote, verbose) -> None:
    """Preview the book in the browser, live: http://127.0.0.1:PORT/ shows it as HTML,
    /pdf and /print the pages of the paged editions. Saving a file under manuscript/,
    templates/, styles/ or book.toml rebuilds what it touches and updates the page (after
    a stylesheet, the page in view of /pdf or /print first, then the rest); a failed
    build shows its error in the page. Ctrl+C (or SIGTERM) stops."""
    from spindle.cli.serve import serve as run_server

    run_server(Path(config_path), port=port, out_dir=Path(out_dir) if out_dir else None, allow_remote=allow_remote,
               announce=click.echo, log=(lambda m: click.echo(m, err=True)) if verbose else (lambda m: None))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", default="My Book", show_default=True, help="The new book's title.")
@click.option("--lang", default="en", show_default=True, help="The book's language: a BCP 47 tag (en, nl, de, zh-Hant, ...).")
@click.option("--from", "source", default=None, type=click.Path(), metavar="SOURCE",
              help="Make the project from an existing book: a Word book (.docx, split into chapters at each "
                   "Heading 1), an mdBook, GitBook/HonKit or MkDocs folder, a pandoc book (metadata.yaml), a folder "
                   "of Markdown files or one Markdown file. SOURCE is only read.")
def init(directory, title, lang, source) -> None:
    """Create a new book project in DIRECTORY that builds at once (with --from: from an existing book)."""
    if source is not None and Path(source).suffix.lower() != ".docx":
        from spindle.manuscript.sources.project import create_from

        made = create_from(Path(source), Path(directory))
        for message in made.messages:
            click.echo(message, err=True)
        click.echo(f"created {made.config}: {made.chapters} chapters, {made.files} files; "
                   f"now run: cd {directory} && spindle build all")
        return
    from spindle.cli.scaffold import create, create_from_docx

    lang = _language("--lang", lang)
    if source:
        given = click.get_current_context().get_parameter_source("title").name != "DEFAULT"
        path, report = create_from_docx(Path(directory), Path(source), title=title if given else None, lang=lang)
        for line in report.lines(source):
            click.echo(f"warning: {line}", err=True)
    else:
        path = create(Path(directory), title=title, lang=lang)
    click.echo(f"created {path}; now run: cd {directory} && spindle build")


@main.group()
def transcript() -> None:
    """Interview transcripts (Teams, Zoom, Otter.ai, Rev, Whisper, SRT, .docx, text)."""


@transcript.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, help="Markdown file to write ('-' for standard output)  [default: manuscript/NAME.md]")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True,
              help="Transcript format; 'auto' tells it from the content.")
@click.option("--speaker", "speakers", multiple=True, metavar='"NAME=ROLE"',
              help="Print speaker NAME (as in the transcript) as ROLE; repeat for each speaker.")
@click.option("--interviewer", "interviewers", multiple=True, metavar="NAME", help="NAME asks the questions (repeatable).")
@click.option("--clean", is_flag=True, help="Remove fillers ('um', 'uh') and stutters ('I I').")
@click.option("--title", default="", help="The interview's title  [default: from the file name]")
@click.option("--subtitle", default="", help="Subtitle.")
@click.option("--standfirst", default="", help="The paragraph introducing the interview.")
@click.option("--lang", default=None, metavar="TAG",
              help="Language of the interview, a BCP 47 tag (en, nl-BE, zh, zh-Hant, ...)  [default: the file's own, or guessed from the text]")
@click.option("--pause", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds of silence after a sentence that start a new paragraph.")
@click.option("--paragraph-words", default=250, show_default=True, type=click.IntRange(min=20),
              help="Longest paragraph, in words (a Chinese or Japanese character counts half).")
@click.option("--timestamps", is_flag=True, help="Print each turn's time in the book (times are always kept as data).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def transcript_import(file, output, fmt, speakers, interviewers, clean, title, subtitle, standfirst, lang, pause,
                      paragraph_words, timestamps, force) -> None:
    """Import transcript FILE as a native interview Markdown file for editing."""
    from spindle.manuscript.transcripts.importer import import_transcript, speaker_map
    from spindle.manuscript.transcripts.model import Layout

    if lang is not None:
        lang = _language("--lang", lang)
    done = import_transcript(Path(file), output, format=fmt, speakers=speaker_map(speakers, interviewers), clean=clean,
                             title=title, subtitle=subtitle, standfirst=standfirst, lang=lang,
                             timestamps=timestamps, force=force, layout=Layout(pause=pause, words=paragraph_words))
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    if done.target is None:
        click.echo(done.markdown, nl=False)
    t = done.transcript
    err = done.target is None
    removed = f"; removed {t.removed} filler(s) and stutter(s)" if clean else ""
    where = _shown(done.target) if done.target else "standard output"
    click.echo(f"{file}: {_count(t.cues, 'cue')} read -> {_count(len(t.turns), 'turn')} by "
               f"{_count(len(done.speakers), 'speaker')} ({t.format}{', ' + t.flavour if t.flavour else ''}) "
               f"-> {where}{removed}", err=err)
    if t.lang_origin:
        click.echo(f"  language: {t.lang} ({t.lang_origin}; pass --lang to choose another)", err=err)
    if t.title and not title:
        click.echo(f"  title: {t.title!r} (from the file; pass --title to choose another)", err=err)
    if t.date:
        click.echo(f"  date: {t.date} (from the file)", err=err)
    words_in, words_out = dict(t.words_in), t.words_out()
    for raw, s in done.speakers.items():
        role = f"{s.full}{' (interviewer)' if s.interviewer else ''}"
        turns = sum(1 for x in t.turns if x.speaker == raw)
        click.echo(f"  {s.label}: {raw!r} -> {role}; {_count(turns, 'turn')}, {_count(words_in.get(raw, 0), 'word')} in, "
                   f"{words_out.get(raw, 0):,} out", err=err)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _language(option: str, value: str) -> str:
    from spindle.project.language import check

    try:
        return check(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


@main.group("import")
def import_() -> None:
    """Move a chapter written elsewhere into Markdown for good."""


@import_.command("docx")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, help="Markdown file to write ('-' for standard output); its figures go "
              "to a folder NAME-figures/ beside it  [default: manuscript/NAME.md]")
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False),
              help="The book whose [word.style_map] and language apply, when it exists.")
@click.option("--title", default="", help="The chapter's title  [default: the document's Title or first Heading 1]")
@click.option("--lang", default=None, metavar="TAG", help="The chapter's language, a BCP 47 tag  [default: the document's]")
@click.option("--force", is_flag=True, help="Overwrite the output file and its figures if they exist.")
def import_docx(file, output, config_path, title, lang, force) -> None:
    """Import Word chapter FILE (.docx) as a Markdown chapter: front matter, footnotes,
    figures saved beside it; prints what did not come across."""
    from spindle.manuscript.word.importer import import_docx as convert

    if lang is not None:
        lang = _language("--lang", lang)

    style_map = None
    if Path(config_path).is_file():
        from spindle.project.config import load

        style_map = load(config_path).config.word.style_map
    done = convert(Path(file), output, style_map=style_map, lang=lang, title=title, force=force)
    for line in done.report.lines(file):
        click.echo(f"warning: {line}", err=True)
    if done.target is None:
        click.echo(done.markdown, nl=False)
        return
    figures = f" and {len(done.figures)} figure(s) in {_shown(done.figures[0].parent)}" if done.figures else ""
    click.echo(f"{file} -> {_shown(done.target)}{figures}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(argv: list[str]) -> int:
    try:
        code = main.main(args=argv, prog_name="spindle", standalone_mode=False)
    except SpindleError as exc:
        listed = getattr(exc, "diagnostics", ())  # the manuscript's findings: warnings, then errors (when several)
        for found in [d for d in listed if d.level != "error"] + [d for d in listed if d.level == "error"]:
            if found.level != "error" or len(exc.errors) > 1:
                click.echo(f"{found.level}: {found}", err=True)
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        click.echo("interrupted; earlier outputs are untouched", err=True)
        return 130
    except Exception:  # a bug in spindle: one line naming the file with its traceback (core/crash.py)
        import traceback

        from spindle.core import crash

        command = next((a for a in argv if not a.startswith("-")), "spindle")
        found = crash.internal(f"running 'spindle {command}'", traceback.format_exc(), _crash_folder(argv), command,
                               outputs=command == "build")
        click.echo(f"error: {found}", err=True)
        return found.exit_code
    return code if isinstance(code, int) else 0  # ctx.exit(n) in a command returns n here


def _crash_folder(argv: list[str]) -> Path | None:
    """Where a crash's traceback goes: .spindle-cache/ beside the book.toml (or series.toml) the
    command read (--config, else the working folder's); None (the temporary folder) elsewhere."""
    config = None
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            config = Path(argv[i + 1])
        elif arg.startswith("--config="):
            config = Path(arg[len("--config="):])
    if config is None:
        config = next((Path(n) for n in ("book.toml", "series.toml") if Path(n).is_file()), None)
    if config is None or not config.is_file():
        return None
    return config.resolve().parent / ".spindle-cache"
