"""`spindle import docx`: a Word chapter to a Markdown file for good (its
figures in a folder beside it), and the chapters of a whole Word book for
`spindle init --from`. Nothing is written unless the conversion succeeded,
and no existing file is replaced without ``force``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from spindle.core.errors import ConfigError
from spindle.core.output import write_bytes
from spindle.manuscript.word import read_docx, split_docx
from spindle.manuscript.word.report import Report
from spindle.project.config import LABELLED_LANGUAGES, slugify

LANGUAGES = LABELLED_LANGUAGES


@dataclass
class Imported:
    markdown: str
    target: Path | None  # None: written to standard output
    report: Report
    figures: list[Path] = field(default_factory=list)


def figures_folder(target: Path) -> Path:
    return target.with_name(target.stem + "-figures")


def import_docx(source: Path, output: str | None, *, style_map: Mapping[str, str] | None = None,
                lang: str | None = None, title: str = "", force: bool = False) -> Imported:
    target = None if output == "-" else Path(output) if output else _default_target(source)
    if target is not None:
        _check_target(target, source, force)
    folder = figures_folder(target) if target is not None else Path("figures")
    done = read_docx(source, str(source), style_map=style_map, media=folder.name, lang=lang, title=title,
                     languages=LANGUAGES)
    if target is None:
        if done.images:
            raise ConfigError(f"{source}: the document has {len(done.images)} image(s); write it to a file with "
                              "-o PATH.md so they can be saved beside it")
        return Imported(done.markdown, None, done.report)
    if done.images and folder.exists() and not force:
        raise ConfigError(f"{folder} already exists; pass --force to overwrite its figures, or choose another -o")
    written = []
    for name, blob in done.images.items():
        write_bytes(folder / name, blob)
        written.append(folder / name)
    write_bytes(target, done.markdown.encode("utf-8"))
    return Imported(done.markdown, target, done.report, written)


def _default_target(source: Path) -> Path:
    folder = Path("manuscript")
    if not folder.is_dir():
        raise ConfigError("no manuscript/ folder here; run this in the book's folder or pass -o PATH")
    return folder / f"{slugify(source.stem)}.md"


def _check_target(target: Path, source: Path, force: bool) -> None:
    if target.suffix.lower() not in (".md", ".markdown"):
        raise ConfigError(f"-o {target}: name a Markdown file ending in .md")
    if target.exists() and target.resolve() == source.resolve():
        raise ConfigError(f"-o {target}: that is the Word file itself; choose another file")
    if target.is_dir():
        raise ConfigError(f"-o {target}: is a folder; name the Markdown file to write")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; pass --force to overwrite it, or choose another -o")


@dataclass
class BookFiles:
    title: str
    subtitle: str
    lang: str
    chapters: list[tuple[str, str, dict[str, bytes]]]  # (file name, Markdown, figures by name)
    report: Report


def book_files(source: Path, style_map: Mapping[str, str] | None = None, default_lang: str = "en") -> BookFiles:
    """The chapters of a whole Word book, split at Heading 1: NN-slug.md with its NN-slug-figures/."""
    book = split_docx(source, str(source), style_map=style_map, languages=LANGUAGES, default_lang=default_lang)
    out = []
    stems = [f"{n:02d}-{slugify(c.title)[:40].rstrip('-')}" for n, c in enumerate(book.chapters, 1)]
    where: dict[str, str] = {}  # bookmark -> the link to it from another chapter
    for stem, chapter in zip(stems, book.chapters):
        for anchor in chapter.anchors:
            where.setdefault(anchor.lstrip("="), f"{stem}.md" if anchor.startswith("=") else f"{stem}.md#{anchor}")
    for stem, chapter in zip(stems, book.chapters):
        folder = f"{stem}-figures"
        text = re.sub(r"\]\(media/(image-\d+\.\w+)", lambda m: f"]({folder}/{m.group(1)}", chapter.markdown)
        text = re.sub(r"\]\(#([^)\s]+)\)", lambda m: f"]({where[m.group(1)]})" if m.group(1) in where and (
            m.group(1) not in chapter.anchors) else m.group(0), text)
        out.append((stem + ".md", text, {name: book.images[name] for name in chapter.images}))
    return BookFiles(book.title, book.subtitle, book.lang, out, book.report)
