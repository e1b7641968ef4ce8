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
