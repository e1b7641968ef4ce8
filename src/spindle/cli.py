"""The command line: thin Click commands that load the config and call one
library function each. ``run(argv) -> int``; only __main__ exits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from spindle import __version__
from spindle.errors import ConfigError, SpindleError
from spindle.transcripts.formats import FORMAT_CHOICES

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
def build(editions, config_path, out_dir, strict, allow_remote, quiet, verbose) -> None:
    """Build EDITIONS (pdf, epub, print; default: all)."""
    from spindle import build as builder
    from spindle.config import load

    chosen = builder.EDITIONS if not editions or "all" in editions else editions
    project = load(config_path)
    report = (lambda m: click.echo(m, err=True)) if verbose else (lambda m: None)
    result = builder.build(project, chosen, Path(out_dir) if out_dir else None, strict=strict,
                           allow_remote=allow_remote, epoch=_epoch(), report=report)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        for o in result.outputs + result.extras:
            pages = f"{o.pages} pages, " if o.pages else ""
            click.echo(f"{o.edition:<6} {_shown(o.path)}  ({pages}{o.bytes / 1024:,.0f} KiB, {o.seconds:.1f} s)")
        for note in result.notes:
            click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("target", required=False, type=click.Choice(["print"]))
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Folder holding the built files  [default: build/ beside book.toml]")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON (for CI).")
@click.pass_context
def check(ctx, target, config_path, out_dir, as_json) -> None:
    """Check TARGET: 'print' preflights the print PDF, cover and imposed sheets."""
    from spindle.config import load
    from spindle.preflight import check_project

    if target is None:
        raise click.UsageError("name what to check: spindle check print")
    report = check_project(load(config_path), Path(out_dir) if out_dir else None)
    click.echo(report.as_json() if as_json else report.table())
    if report.errors:
        ctx.exit(1)


@main.command()
@click.argument("target", type=click.Choice(["print", "pdf"]))
@click.option("--config", "config_path", default="book.toml", show_default=True, type=click.Path(dir_okay=False), help="The book's configuration file.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Folder holding the built files  [default: build/ beside book.toml]")
@click.option("--dpi", default=100, show_default=True, type=click.IntRange(20, 600), help="Resolution of the images.")
def proof(target, config_path, out_dir, dpi) -> None:
    """Write proof images of TARGET: 'print' spreads (trim and bleed shown) or 'pdf' pages."""
    from spindle import build as builder
    from spindle import proof as proofs
    from spindle.config import load

    project = load(config_path)
    out = builder.check_out_dir(project, Path(out_dir) if out_dir else project.root / "build")
    stem = project.config.book.file_stem
    if target == "print":
        pdf = builder.target(project, "print", out)
        made = proofs.print_spreads(pdf, builder.target(project, "cover", out), out / f"{stem}-print-proof", dpi,
                                    shown=_shown(pdf))
    else:
        pdf = builder.target(project, "pdf", out)
        made = proofs.pdf_pages(pdf, out / f"{stem}-pdf-proof", dpi, shown=_shown(pdf))
    click.echo(f"{len(made.files)} image(s) in {_shown(made.folder)}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", default="My Book", show_default=True, help="The new book's title.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True, help="The book's language.")
def init(directory, title, lang) -> None:
    """Create a new book project in DIRECTORY that builds at once."""
    from spindle.scaffold import create

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
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True, help="Language of the interview.")
@click.option("--timestamps", is_flag=True, help="Print each turn's time in the book (times are always kept as data).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def transcript_import(file, output, fmt, speakers, interviewers, clean, title, subtitle, standfirst, lang, timestamps, force) -> None:
    """Import transcript FILE as a native interview Markdown file for editing."""
    from spindle.transcripts.importer import import_transcript, speaker_map

    done = import_transcript(Path(file), output, format=fmt, speakers=speaker_map(speakers, interviewers), clean=clean,
                             title=title, subtitle=subtitle, standfirst=standfirst, lang=lang,
                             timestamps=timestamps, force=force)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    if done.target is None:
        click.echo(done.markdown, nl=False)
    t = done.transcript
    removed = f"; removed {t.removed} filler(s) and stutter(s)" if clean else ""
    where = _shown(done.target) if done.target else "standard output"
    click.echo(f"{file}: {len(t.turns)} turns by {len(done.speakers)} speakers ({t.format}"
               f"{', ' + t.flavour if t.flavour else ''}) -> {where}{removed}", err=done.target is None)
    for raw, s in done.speakers.items():
        role = f"{s.full}{' (interviewer)' if s.interviewer else ''}"
        click.echo(f"  {s.label}: {raw!r} -> {role}", err=done.target is None)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(argv: list[str]) -> int:
    try:
        code = main.main(args=argv, prog_name="spindle", standalone_mode=False)
    except SpindleError as exc:
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
    return code if isinstance(code, int) else 0  # ctx.exit(n) in a command returns n here
