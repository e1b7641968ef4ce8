"""The command line: thin Click commands that load the config and call one
library function each. ``run(argv) -> int``; only __main__ exits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from spindle import __version__
from spindle.errors import ConfigError, SpindleError

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
        for o in result.outputs:
            pages = f"{o.pages} pages, " if o.pages else ""
            click.echo(f"{o.edition:<6} {_shown(o.path)}  ({pages}{o.bytes / 1024:,.0f} KiB, {o.seconds:.1f} s)")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", default="My Book", show_default=True, help="The new book's title.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True, help="The book's language.")
def init(directory, title, lang) -> None:
    """Create a new book project in DIRECTORY that builds at once."""
    from spindle.scaffold import create

    path = create(Path(directory), title=title, lang=lang)
    click.echo(f"created {path}; now run: cd {directory} && spindle build")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(argv: list[str]) -> int:
    try:
        main.main(args=argv, prog_name="spindle", standalone_mode=False)
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
    return 0
