"""A tiny book for the bad-input catalogue, the sandbox and the process tests: two Markdown
chapters (a footnote, a PNG and an SVG figure, a link between them) and a WebVTT interview."""

from __future__ import annotations

import io
from pathlib import Path

BOOK_TOML = """\
[book]
title = "Tiny Book"
authors = ["Ann Writer"]
date = "2020-01-01"

[contents]
back = []

[[contents.chapters]]
file = "manuscript/01-alpha.md"

[[contents.chapters]]
file = "manuscript/02-beta.md"

[[contents.chapters]]
file = "manuscript/talk.vtt"
title = "A talk"
"""
ALPHA = """\
---
title: Alpha
---
Alpha text with a note.[^1] See [Beta](02-beta.md).

![A square](figures/square.png)

[^1]: The note.
"""
BETA = """\
---
title: Beta
---
Beta text.

![A chart](figures/chart.svg)
"""
VTT = """\
WEBVTT

00:00:01.000 --> 00:00:04.000
<v Ann>What brought you here?

00:00:05.000 --> 00:00:09.000
<v Bob>The river, and the people on it.
"""
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'


def png(width: int = 4, height: int = 4) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def make(root: Path) -> Path:
    """Write the tiny book into *root*; returns the path of its book.toml."""
    figures = root / "manuscript" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(BOOK_TOML, encoding="utf-8")
    (root / "manuscript" / "01-alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "manuscript" / "02-beta.md").write_text(BETA, encoding="utf-8")
    (root / "manuscript" / "talk.vtt").write_text(VTT, encoding="utf-8")
    (figures / "square.png").write_bytes(png())
    (figures / "chart.svg").write_text(SVG, encoding="utf-8")
    return root / "book.toml"
