"""Split a paged edition's HTML into parts that can be laid out one by one.

Every chapter opens on a new page, so the book's HTML (one document, rendered
from the theme's templates exactly as for a single-pass layout) falls apart at
its chapters: the *front* part holds what comes before the first chapter (half
title, title page, table of contents), and each chapter's part holds the
chapter's section with whatever the template puts between it and the previous
chapter (its part title, signature padding) and, for the last part, what
follows. Signature padding (the print template's blank pages, ``BLANK``) that
opens a chapter's part, or is all that follows the last chapter, is a part of its
own: the padding round of the print edition then lays out only those blank pages
(and numbers again what they move), not the chapter beside them. Each part is a
complete HTML document: the
book's ``<head>`` and the ``<html>`` and ``<body>`` tags with their attributes,
around that slice of the body.

The split is found by reading the HTML's top-level structure with the standard
library's tokenizer; anything it cannot account for (text directly in
``<body>``, chapters not found as children of ``<body>``, unbalanced tags)
returns ``None`` with the reason, and the edition is laid out in one pass.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# The class of the print template's signature padding (templates/print.html): an empty page each.
BLANK = "signature-blank"
_ID = re.compile(r"""\sid\s*=""", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    name: str  # "front" or the chapter's id
    html: str
    extra: str = ""  # what else shapes the layout: a hash of the images the part shows
    blank: bool = False  # signature padding alone (BLANK pages, no id in them): nothing refers to it

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.html.encode("utf-8") + b"\0" + self.extra.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Split:
    parts: tuple[Part, ...] = ()
    problem: str | None = None  # why the HTML could not be split


class _Reader(HTMLParser):
    """Offsets of <body>'s content and of each of its child elements."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.text = text
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.depth = -1  # depth below <body>; -1 outside it
        self.stack: list[str] = []
        self.body_open: tuple[int, int] | None = None  # (start of <body ...>, end of it)
        self.body_close: int | None = None
        self.children: list[tuple[int, int, str | None]] = []  # (start, end, id) of <body>'s child elements
        self.blank: list[bool] = []  # per child: a signature padding page (class BLANK)
        self.stray: str | None = None
        self._child_start = 0
        self._child_id: str | None = None

    def _at(self) -> int:
        line, col = self.getpos()
        return self.lines[line - 1] + col

    def handle_starttag(self, tag, attrs):
        start = self._at()
        end = start + len(self.get_starttag_text())
        if self.depth < 0:
            if tag == "body" and self.body_open is None:
                self.body_open = (start, end)
                self.depth = 0
            return
        if self.depth == 0:
            self._child_start = start
            self._child_id = dict(attrs).get("id")
            self.blank.append(BLANK in (dict(attrs).get("class") or "").split())
        if tag in VOID:
            if self.depth == 0:
                self.children.append((start, end, self._child_id))
            return
        self.stack.append(tag)
        self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            start = self._at()
            self.children.append((start, start + len(self.get_starttag_text()), dict(attrs).get("id")))
            self.blank.append(BLANK in (dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag):
        start = self._at()
        if self.depth < 0:
            return
        if self.depth == 0:
            if tag == "body":
                self.body_close = start
                self.depth = -1
            elif tag not in VOID and self.stray is None:
                self.stray = f"an unmatched </{tag}> in <body>"
            return
        if not self.stack or self.stack[-1] != tag:
            if self.stray is None:
                self.stray = f"</{tag}> does not close <{self.stack[-1] if self.stack else 'body'}>"
            return
        self.stack.pop()
        self.depth -= 1
        if self.depth == 0:
            end = self.text.index(">", start) + 1
            self.children.append((self._child_start, end, self._child_id))

    def handle_data(self, data):
        if self.depth == 0 and data.strip() and self.stray is None:
            self.stray = f"text directly in <body>: {data.strip()[:30]!r}"


def split(html: str, chapter_ids: list[str]) -> Split:
    """The front part and one part per chapter (in *chapter_ids* order)."""
    reader = _Reader(html)
    reader.feed(html)
    reader.close()
    if reader.body_open is None or reader.body_close is None:
        return Split(problem="the template has no <body> ... </body>")
    if reader.stray:
        return Split(problem=reader.stray)
    ids = [ident for _, _, ident in reader.children]
    where: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident is not None:
            where.setdefault(ident, i)
    missing = [c for c in chapter_ids if c not in where]
    if missing:
        return Split(problem=f"chapter '{missing[0]}' is not a child element of <body>")
    positions = [where[c] for c in chapter_ids]
    if positions != sorted(positions):
        return Split(problem="the chapters are not in reading order in <body>")
    if not chapter_ids:
        return Split(problem="the book has no chapters")
    # A chapter's part begins after the previous chapter (the first one's at its part title, if any).
    first = positions[0]
    if first > 0 and ids[first - 1] == f"{chapter_ids[0]}-part":
        first -= 1
    bounds = [first] + [p + 1 for p in positions[:-1]] + [len(ids)]
    head = html[: reader.body_open[1]]
    tail = html[reader.body_close:]
    body_start = reader.body_open[1]

    def piece(begin: int, end: int) -> str:
        start = reader.children[begin][0] if begin < len(ids) else reader.body_close
        stop = reader.children[end - 1][1] if end > begin else start
        return head + "\n" + html[start:stop] + "\n" + tail

    def padding(name: str, begin: int, end: int) -> Part:
        start = reader.children[begin][0]
        stop = reader.children[end - 1][1]
        return Part(name, piece(begin, end), blank=_ID.search(html, start, stop) is None)

    front_stop = reader.children[first][0]
    parts = [Part("front", head + html[body_start:front_stop] + "\n" + tail)]
    for n, chapter in enumerate(chapter_ids):
        begin, end = bounds[n], bounds[n + 1]
        blanks = begin
        while blanks < positions[n] and reader.blank[blanks]:
            blanks += 1
        if blanks > begin:  # padding before the chapter (and its part title)
            parts.append(padding(f"{chapter}+blanks", begin, blanks))
            begin = blanks
        after = positions[n] + 1
        if n == len(chapter_ids) - 1 and after < end and all(reader.blank[after:end]):
            parts.append(Part(chapter, piece(begin, after)))
            parts.append(padding("end+blanks", after, end))  # ("+": never in a chapter's id)
        else:
            parts.append(Part(chapter, piece(begin, end)))
    return Split(parts=tuple(parts))
