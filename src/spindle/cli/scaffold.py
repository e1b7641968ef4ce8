"""``spindle init``: a new book project that builds at once with the
built-in theme."""

from __future__ import annotations

import json
from pathlib import Path

from spindle.core.errors import ConfigError
from spindle.project.i18n import labels

BOOK_TOML = """\
# The book's configuration. Every key: see the README ("Configuration").
[book]
title = {title}
language = "{lang}"
authors = ["Your Name"]
date = "2026-01-01"

[contents]
front = []
chapters = ["manuscript/01-first-chapter.md"]
back = []

[editions.print]
trim = "A5"
bleed = "3mm"
"""

CHAPTER = """\
---
title: {heading}
lang: {lang}
---

Write your first chapter here, in Markdown. Footnotes work like this.[^1]

## A section

*Emphasis*, **strong**, tables, definition lists and `:::` boxes are supported.

[^1]: A footnote, set at the foot of the page in the PDF.
"""

CUSTOM_CSS = """\
/* Your design tweaks, loaded last in every edition. For example:
:root { --colour-accent: #004b87; --font-size: 11pt; } */
"""


def create(directory: Path, title: str = "My Book", lang: str = "en") -> Path:
    config = directory / "book.toml"
    if config.exists():
        raise ConfigError(f"{config} already exists; choose an empty folder")
    heading = {"en": "First chapter", "nl": "Eerste hoofdstuk"}.get(lang, labels(lang)["chapter"])
    (directory / "manuscript").mkdir(parents=True, exist_ok=True)
    (directory / "styles").mkdir(exist_ok=True)
    (directory / "templates").mkdir(exist_ok=True)
    chapter = directory / "manuscript" / "01-first-chapter.md"
    if not chapter.exists():
        chapter.write_text(CHAPTER.format(heading=heading, lang=lang), encoding="utf-8")
    custom = directory / "styles" / "custom.css"
    if not custom.exists():
        custom.write_text(CUSTOM_CSS, encoding="utf-8")
    config.write_text(BOOK_TOML.format(title=json.dumps(title, ensure_ascii=False), lang=lang), encoding="utf-8")
    return config


def create_from_docx(directory: Path, source: Path, title: str | None = None, lang: str = "en") -> tuple[Path, object]:
    """A new project whose chapters are a Word book split at Heading 1 (``spindle init DIR --from FILE.docx``).
    Returns book.toml's path and the conversion report."""
    from spindle.core.output import write_bytes
    from spindle.manuscript.word.importer import book_files

    config = directory / "book.toml"
    if config.exists():
        raise ConfigError(f"{config} already exists; choose an empty folder")
    if source.suffix.lower() not in (".docx", ".doc", ".docm"):
        raise ConfigError(f"--from {source}: only Word .docx files can start a project here; "
                          "for Markdown books name the .docx, or run 'spindle init' and add the chapters")
    book = book_files(source, default_lang=lang)  # everything converted before anything is written
    manuscript = directory / "manuscript"
    for name, text, figures in book.chapters:
        for figure, blob in figures.items():
            write_bytes(manuscript / (name[:-3] + "-figures") / figure, blob)
        write_bytes(manuscript / name, text.encode("utf-8"))
    (directory / "styles").mkdir(exist_ok=True)
    (directory / "templates").mkdir(exist_ok=True)
    custom = directory / "styles" / "custom.css"
    if not custom.exists():
        custom.write_text(CUSTOM_CSS, encoding="utf-8")
    chapters = ",\n".join(f'    "manuscript/{name}"' for name, _, _ in book.chapters)
    text = BOOK_TOML.format(title=json.dumps(title or book.title, ensure_ascii=False), lang=book.lang)
    text = text.replace('chapters = ["manuscript/01-first-chapter.md"]', f"chapters = [\n{chapters},\n]")
    if book.subtitle:
        text = text.replace("\nlanguage =", f"\nsubtitle = {json.dumps(book.subtitle, ensure_ascii=False)}\nlanguage =", 1)
    config.write_text(f"# Made by 'spindle init --from {source.name}'.\n" + text, encoding="utf-8")
    return config, book.report
